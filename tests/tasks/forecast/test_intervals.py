"""Conformal bands: the volatility scale against pandas, coverage on exchangeable errors, ACI
after a shift, and no band ever reads its own day or a later one."""

import math

import numpy as np
import pytest

from unrolled.tasks.forecast import baselines, intervals


def walk(n, rng, vol=0.01):
    """(n,) positive prices whose daily returns have standard deviation `vol` (per row)."""
    return 100 * np.exp(np.cumsum(rng.normal(0, 1, n) * vol))


def test_typical_move_is_the_last_price_times_pandas_ewm_volatility(rng):
    import pandas as pd  # the tasks' dependency: its ewm is the independent computation

    y = walk(80, rng)
    origins = np.arange(2, 80)
    r2 = pd.Series((y[1:] / y[:-1] - 1) ** 2)  # r[1] .. r[T-1]
    ewm = r2.ewm(alpha=1 - intervals.LAMBDA, adjust=True).mean().to_numpy()  # over r[1..k]
    expected = y[origins - 1] * np.sqrt(ewm[origins - 2])  # origin t knows r[1] .. r[t-1]
    np.testing.assert_allclose(intervals.typical_move(y, origins), expected, rtol=1e-12)


def bands_of_naive(y, start, H, level, n_cal=50):
    """Naive's bands from origins start .. T-H, calibrated on the n_cal origins before."""
    origins = np.arange(start, len(y) - H + 1)
    cal = np.arange(start - n_cal - H + 1, start - H + 1)
    pred, actual = baselines.naive(y, origins, H), baselines.actuals(y, origins, H)
    cal_scores = np.abs(baselines.actuals(y, cal, H) - baselines.naive(y, cal, H))
    cal_scores /= intervals.typical_move(y, cal)[:, None]
    move = intervals.typical_move(y, origins)
    return origins, intervals.band(pred, actual, move, cal_scores, level)


@pytest.mark.parametrize(("H", "n_cal"), [(1, 50), (3, 50), (1, 0), (3, 0)])
def test_changing_day_t_changes_no_band_at_or_before_t(H, n_cal, rng):
    """n_cal 0: no calibration, as with --model on a whole file; errors count as they come."""
    y = walk(300, rng)
    t = 200  # the changed row
    origins, (lower, upper) = bands_of_naive(y, 100, H, 0.8, n_cal)
    changed = y.copy()
    changed[t] *= 1.3  # a wild day
    _, (lower2, upper2) = bands_of_naive(changed, 100, H, 0.8, n_cal)
    before = origins <= t  # forecasts made at t or earlier, for t and every later row
    np.testing.assert_array_equal(lower2[before], lower[before])
    np.testing.assert_array_equal(upper2[before], upper[before])
    assert not np.array_equal(upper2[~before], upper[~before])  # the test can see a change


@pytest.mark.parametrize("level", [0.8, 0.95])
def test_exchangeable_errors_are_covered_at_the_nominal_level(level, rng):
    W = 3000
    actual = rng.normal(size=(W, 1))
    lower, upper = intervals.band(np.zeros((W, 1)), actual, np.ones(W), np.abs(actual[:0]), level)
    assert intervals.coverage(lower, upper, actual)["coverage"] == pytest.approx(level, abs=0.02)


def test_aci_recovers_the_level_after_the_errors_triple(rng):
    """A shift the volatility scale does not see: errors 3x larger from origin 500 on."""
    W = 1000
    actual = rng.normal(size=(W, 1)) * np.where(np.arange(W) < 500, 1.0, 3.0)[:, None]
    cal = np.abs(rng.normal(size=(100, 1)))
    lower, upper = intervals.band(np.zeros((W, 1)), actual, np.ones(W), cal, 0.8)
    inside = (lower <= actual) & (actual <= upper)
    assert inside[:500].mean() == pytest.approx(0.8, abs=0.04)
    assert inside[500:].mean() == pytest.approx(0.8, abs=0.05)
    assert inside[500:550].mean() < 0.5  # the shift is felt at first, then made good


def test_errors_that_follow_volatility_are_covered_through_a_calm_and_a_storm(rng):
    """Returns calm, then 4x as volatile: scaled by the typical move, naive's scores keep
    their distribution, so its bands widen with the storm and keep their coverage."""
    calm_days = walk(600, rng, 0.005)
    y = np.concatenate([calm_days, calm_days[-1] * np.exp(np.cumsum(rng.normal(0, 0.02, 600)))])
    origins, (lower, upper) = bands_of_naive(y, 200, 1, 0.8)
    actual = baselines.actuals(y, origins, 1)
    inside = ((lower <= actual) & (actual <= upper))[:, 0]
    calm, stormy = origins < 600, origins >= 620
    assert inside[calm].mean() == pytest.approx(0.8, abs=0.06)
    assert inside[stormy].mean() == pytest.approx(0.8, abs=0.06)
    width = (upper - lower)[:, 0] / y[origins - 1]  # relative to the price
    assert width[stormy].mean() > 3 * width[calm].mean()


@pytest.mark.parametrize(("level", "first"), [(0.5, 1), (0.8, 4), (0.9, 9), (0.95, 19)])
def test_a_band_starts_once_its_conformal_quantile_is_a_known_score(level, first):
    """With n known scores the split conformal band is finite from ceil((n+1) * level) <= n
    on; before, it would be the whole line, and there is no band (NaN), counted nowhere."""
    assert intervals.first_band(level) == first
    n = first - 1  # one fewer: the rank ceil((n+1) * level) is past the n known scores
    assert math.ceil((first + 1) * level) <= first and math.ceil((n + 1) * level) > n
    W = 30
    actual = np.arange(1.0, W + 1)[:, None] % 3  # errors 1, 2, 0, 1, 2, 0, ...
    lower, upper = intervals.band(np.zeros((W, 1)), actual, np.ones(W), np.zeros((0, 1)), level)
    has = ~np.isnan(lower[:, 0])
    assert has.tolist() == [False] * first + [True] * (W - first)  # origin w knows w errors
    with_two = intervals.band(np.zeros((W, 1)), actual, np.ones(W), np.ones((2, 1)), level)[0]
    assert (~np.isnan(with_two[:, 0])).sum() == W - max(first - 2, 0)  # 2 calibration scores
    result = intervals.coverage(lower, upper, actual)
    assert result["banded"] == W - first
    inside = (lower[has] <= actual[has]) & (actual[has] <= upper[has])
    assert result["coverage"] == pytest.approx(inside.mean())
    assert result["mean_width"] == pytest.approx((upper - lower)[has].mean())


def test_no_band_at_all_has_no_coverage_and_no_typical_move_no_band():
    nan = np.full((3, 1), np.nan)
    result = intervals.coverage(nan, nan, np.ones((3, 1)))
    assert np.isnan(result["coverage"]) and result["banded"] == 0
    # a price that never moved: a typical move of 0 gives no score and no band, no warning
    y = np.array([5.0, 5.0, 5.0, 5.0, 6.0, 5.5])
    move = intervals.typical_move(y, np.arange(2, 6))
    assert move.tolist()[:2] == [0.0, 0.0] and move[3] > 0
    assert np.isnan(intervals.scores(np.ones((4, 1)), np.zeros((4, 1)), move)[:2]).all()
