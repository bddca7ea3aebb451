"""The Diebold-Mariano test and the moving-block bootstrap against independent computations:
statsmodels' HAC standard error of a mean (the DM denominator) and its Bartlett long-run
variance (what a moving-block bootstrap's variance of a mean converges to, Kunsch 1989), and
scipy's normal and t tails."""

import importlib
import math
import os

import numpy as np
import pytest

from unrolled.tasks.forecast import significance


def oracle(name):
    """A test-only oracle (pip install statsmodels, which brings scipy): skipped locally
    without it, but under CI=true a missing oracle fails instead of silently skipping."""
    if os.environ.get("CI") == "true":
        return importlib.import_module(name)
    return pytest.importorskip(name)


sm = oracle("statsmodels.api")
sandwich = oracle("statsmodels.stats.sandwich_covariance")
stats = oracle("scipy.stats")


def errors(n, h, rng):
    """Paired errors of two forecasters whose h-step errors overlap: MA(h-1) noise, the second
    a little worse."""
    shocks = rng.normal(size=(n + h - 1, 2))
    e = np.lib.stride_tricks.sliding_window_view(shocks, h, axis=0).sum(axis=2)  # (n, 2)
    return e[:, 0], 1.15 * e[:, 1]


def hac_dm(d, h):
    """DM from statsmodels: the t statistic of the mean of d with a HAC standard error whose
    window is rectangular (weights 1) over lags 0 .. h-1, without small-sample correction."""
    fit = sm.OLS(d, np.ones_like(d)).fit()
    cov = sandwich.cov_hac(
        fit, nlags=h - 1, weights_func=sandwich.weights_uniform, use_correction=False
    )
    return fit.params[0] / math.sqrt(cov[0, 0])


@pytest.mark.parametrize(("n", "h"), [(40, 1), (252, 1), (120, 3), (250, 5)])
def test_dm_matches_statsmodels_hac_with_the_hln_factor(n, h, rng):
    e1, e2 = errors(n, h, rng)
    dm_star, p = significance.dm_test(e1, e2, h)
    hln = math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)  # Harvey, Leybourne & Newbold (1997)
    assert dm_star == pytest.approx(hac_dm(e1**2 - e2**2, h) * hln, rel=1e-10)
    assert p == pytest.approx(2 * stats.norm.sf(abs(dm_star)), rel=1e-10)
    # the normal tail stands in for HLN's t with n-1 degrees of freedom: close from n = 30 on
    assert abs(p - 2 * stats.t.sf(abs(dm_star), n - 1)) < 0.012


def test_dm_averages_each_origins_steps_and_finds_a_real_difference(rng):
    e1, e2 = errors(300, 1, rng)
    worse = np.column_stack([e2, 1.1 * e2])  # (n, 2): each origin's loss is its steps' mean
    d = e1**2 - (e2**2 + (1.1 * e2) ** 2) / 2
    dm_star, p = significance.dm_test(e1, worse, 2)
    assert dm_star == pytest.approx(hac_dm(d, 2) * math.sqrt((300 + 1 - 4 + 2 / 300) / 300))
    assert dm_star < 0 and p < 0.05  # the first forecaster is better, and it shows


def test_dm_gives_no_p_value_below_30_origins_nor_for_identical_forecasts(rng):
    e1, e2 = errors(29, 1, rng)
    dm_star, p = significance.dm_test(e1, e2, 1)
    assert dm_star is not None and p is None
    assert significance.dm_test(e1, e1, 1) == (None, None)


def test_the_documented_gap_between_the_normal_and_t_tails():
    """significance.py's docstring: at |DM*| = 1.96 the normal tail gives 0.050, the t tail
    0.060 with 29 degrees of freedom and 0.051 with 251."""
    assert 2 * stats.norm.sf(1.96) == pytest.approx(0.050, abs=5e-4)
    assert 2 * stats.t.sf(1.96, 29) == pytest.approx(0.060, abs=5e-4)
    assert 2 * stats.t.sf(1.96, 251) == pytest.approx(0.051, abs=5e-4)


def test_block_indices_are_runs_of_consecutive_origins(rng):
    idx = significance.block_indices(10, 3, 500, rng)  # (B, n)
    assert idx.shape == (500, 10) and idx.min() == 0 and idx.max() == 9
    blocks = idx[:, :9].reshape(500, 3, 3)  # the first three whole blocks of each resample
    assert (np.diff(blocks, axis=2) == 1).all()
    assert set(blocks[:, :, 0].ravel()) == set(range(8))  # every start 0 .. n-b drawn


def test_the_bootstrap_variance_of_a_mean_is_the_bartlett_long_run_variance(rng):
    """For a moving-block bootstrap with blocks of b, the variance of the resampled mean is
    about the Bartlett-weighted long-run variance with lags 0 .. b-1, over n (Kunsch 1989)."""
    n, b = 400, 8
    x = np.zeros(n)
    for t in range(1, n):  # AR(1): positively autocorrelated, as volatility clusters are
        x[t] = 0.6 * x[t - 1] + rng.normal()
    idx = significance.block_indices(n, b, 20000, np.random.default_rng(1))
    fit = sm.OLS(x, np.ones(n)).fit()
    bartlett = sandwich.cov_hac(fit, nlags=b - 1, use_correction=False)[0, 0]
    assert x[idx].mean(axis=1).var() == pytest.approx(bartlett, rel=0.1)
    assert x[idx].mean(axis=1).var() > 2 * x.var() / n  # an iid bootstrap would be far less


def test_skill_ci_is_the_percentile_interval_of_resampled_skills(rng):
    e1, e2 = errors(252, 1, rng)
    low, high = significance.skill_ci(e1, e2, 1, np.random.default_rng(7))
    idx = significance.block_indices(252, 6, significance.RESAMPLES, np.random.default_rng(7))
    skills = [1 - math.sqrt(np.mean(e1[i] ** 2) / np.mean(e2[i] ** 2)) for i in idx]
    assert [low, high] == pytest.approx(np.percentile(skills, [2.5, 97.5]), rel=1e-12)
    skill = 1 - math.sqrt(np.mean(e1**2) / np.mean(e2**2))
    assert low < skill < high
