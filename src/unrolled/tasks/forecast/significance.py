"""Is a forecaster's difference from persistence real, or luck? Two answers from paired errors.

e1[t], e2[t] are the errors of a forecaster and of naive at the same n origins (each origin's
squared errors averaged over its steps when the horizon is longer than one day).

Diebold-Mariano (1995) on squared error, with the small-sample correction of Harvey, Leybourne &
Newbold (1997, "Testing the equality of prediction mean squared errors"), for h-step forecasts
(their errors overlap, so the loss differential is autocorrelated up to lag h-1):
    d[t]    = e1[t]^2 - e2[t]^2                      (< 0 where the forecaster did better)
    gamma_k = (1/n) sum_{t>k} (d[t] - dbar)(d[t-k] - dbar)
    DM      = dbar / sqrt((gamma_0 + 2 sum_{k=1}^{h-1} gamma_k) / n)
    DM*     = DM * sqrt((n + 1 - 2h + h(h-1)/n) / n)
HLN compare DM* with Student's t with n-1 degrees of freedom. The task's dependencies hold no
t distribution (no scipy), so for n >= 30 the two-sided p-value uses the normal tail,
p = erfc(|DM*| / sqrt(2)), a little smaller than the t tail (0.050 against 0.060 at n = 30,
against 0.051 at n = 252). Below 30 origins that gap grows, and no p-value is given (None).

Moving-block bootstrap (Kunsch 1989) for the skill 1 - RMSE_1 / RMSE_2: B resamples of n
origins, each made of blocks of b consecutive origins whose starts are drawn uniformly from
0 .. n-b; a resample keeps each origin's pair of errors together, and blocks keep the
volatility clusters of daily prices. b = max(h, round(n^(1/3))) (about 6 for a trading year).
The 95 % interval is the 2.5th and 97.5th percentiles of the B resampled skills.
"""

import math

import numpy as np

__all__ = ["MIN_ORIGINS", "block_indices", "dm_test", "skill_ci"]

MIN_ORIGINS = 30  # below this the normal tail is too far from HLN's t tail: no p-value
RESAMPLES = 2000  # bootstrap resamples: the interval's ends move by about 0.002 between seeds


def _losses(errors):
    """(n,) or (n, H) errors -> (n,) squared error per origin, averaged over its steps."""
    e = np.asarray(errors, dtype=np.float64)
    return (e * e).reshape(len(e), -1).mean(axis=1)


def dm_test(errors, naive_errors, horizon):
    """(DM*, two-sided p-value) of Diebold-Mariano with the HLN correction (module docstring).

    errors, naive_errors: (n,) or (n, H) errors at the same origins; horizon: h. The p-value
    is None below MIN_ORIGINS origins, and both are None when the loss differential has no
    spread (two identical forecasters) or its long-run variance estimate is not positive.
    """
    d = _losses(errors) - _losses(naive_errors)  # (n,) loss differential
    n, h = len(d), horizon
    u = d - d.mean()
    gamma = [u[k:] @ u[: n - k] / n for k in range(min(h, n))]  # autocovariances, lags 0..h-1
    variance = gamma[0] + 2.0 * sum(gamma[1:])  # long-run variance of d (rectangular window)
    if not variance > 0:
        return None, None
    dm = d.mean() / math.sqrt(variance / n)
    dm_star = dm * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    p = math.erfc(abs(dm_star) / math.sqrt(2.0)) if n >= MIN_ORIGINS else None
    return dm_star, p


def block_indices(n, block, resamples, rng):
    """(resamples, n) origin indices of moving-block resamples: ceil(n / block) blocks of
    `block` consecutive origins each, starts uniform in 0 .. n-block, cut to n."""
    k = -(-n // block)  # blocks per resample
    starts = rng.integers(0, n - block + 1, size=(resamples, k))  # (B, k)
    return (starts[:, :, None] + np.arange(block)).reshape(resamples, -1)[:, :n]  # (B, n)


def skill_ci(errors, naive_errors, horizon, rng, resamples=RESAMPLES):
    """[low, high], the moving-block bootstrap 95 % interval of 1 - RMSE / RMSE_naive."""
    l1, l2 = _losses(errors), _losses(naive_errors)  # (n,) each
    n = len(l1)
    block = min(n, max(horizon, round(n ** (1 / 3))))
    idx = block_indices(n, block, resamples, rng)  # (B, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        skills = 1.0 - np.sqrt(l1[idx].mean(axis=1) / l2[idx].mean(axis=1))  # (B,)
    low, high = np.percentile(skills, [2.5, 97.5])
    return [float(low), float(high)]
