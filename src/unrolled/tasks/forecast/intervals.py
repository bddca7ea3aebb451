"""Prediction intervals: conformal prediction on a forecaster's own errors, scaled by recent
volatility and kept on target online by adaptive conformal inference (ACI).

A forecast made at origin t (from rows before t) for row t+h-1 gets the band
    yhat[t, h] +- q[t, h] * move[t],   move[t] = y[t-1] * sigma[t]
where sigma[t] is the volatility of daily returns known at t (an exponentially weighted mean of
squared returns up to row t-1, RiskMetrics' lambda = 0.94), so move[t] is the size of a
typical one-day move when the forecast is made. Each error becomes a score in those units:
    score[t, h] = |y[t+h-1] - yhat[t, h]| / move[t]
and q[t, h] is the conformal quantile of the scores already known at t, separately for each
step h: the calibration scores (forecasts made before the first origin, whose rows are all
known) and those of earlier origins t' whose row t'+h-1 is before t. Of n known scores,
q is the ceil((n+1)(1 - a_t))-th smallest (split conformal; Vovk et al. 2005), and only the
latest WINDOW count.

ACI (Gibbs & Candes 2021, "Adaptive conformal inference under distribution shift") moves the
miscoverage a_t that the quantile aims at, starting from a = 1 - level:
    a_{t+1} = a_t + GAMMA * (a - miss_t),   miss_t = 1 if a known row fell outside its band
A run of misses widens the bands, a run of hits narrows them; over any stretch the share of
misses stays near a. At step h a miss is known h-1 rows after its origin, and counted then.
Where a_t <= 0 ACI's band would be the whole line; here it is the largest known score's.

A band starts once its step has enough known scores for split conformal prediction to give a
finite band at the level: n with ceil((n+1) * level) <= n, that is 4 for 80% and 19 for 95%
(first_band). Before that an origin has no band (NaN), and coverage and width are measured
over the forecasts that have one. A forecast applied with --model to a whole file has no
calibration scores, only the errors that arrive as its days become known, so its first
forecasts have no band; after a training split the calibration scores are usually enough.

Nothing at or after origin t (not y[t], nor any later row) reaches the band of origin t.
"""

import math

import numpy as np

__all__ = [
    "CALIBRATION",
    "GAMMA",
    "LAMBDA",
    "WINDOW",
    "band",
    "coverage",
    "first_band",
    "scores",
    "typical_move",
]

CALIBRATION = 0.1  # the latest tenth of the training windows calibrate: early stopping's
# validation windows by default, errors the model was not fitted on (with --validation 0, as
# in the tutorial, fitted ones, which look smaller; ACI widens the bands as misses come)

LAMBDA = 0.94  # RiskMetrics' daily decay: recent days weigh most (half-life about 11 days)
GAMMA = 0.005  # ACI's step, Gibbs & Candes's choice: a miss moves a_t by under 0.005
WINDOW = 250  # known scores used, the latest: about a trading year


def typical_move(y, origins):
    """(W,) y[t-1] * sigma[t] for each origin t: the last known value times the volatility of
    the daily returns r[k] = y[k] / y[k-1] - 1 known at t, an exponentially weighted mean
    sum_k LAMBDA^(t-1-k) r[k]^2 / sum_k LAMBDA^(t-1-k) over k = 1 .. t-1 (so origins >= 2).
    Prices must be positive (data.load_data refuses others where there are bands)."""
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):  # (a price of 0 without bands)
        r2 = np.concatenate([[0.0], (y[1:] / y[:-1] - 1.0) ** 2])  # (T,) r[k]^2, r[0] unknown
    num, den, variance = 0.0, 0.0, np.full(len(y) + 1, np.nan)  # variance[t]: known at t
    for k in range(1, len(y)):
        num, den = LAMBDA * num + r2[k], LAMBDA * den + 1.0
        variance[k + 1] = num / den
    t = np.asarray(origins, dtype=np.int64)
    return y[t - 1] * np.sqrt(variance[t])


def scores(actual, pred, move):
    """(W, H) errors |actual - pred| in units of the typical move (W,) at each origin; NaN where
    no move is known (no volatility yet, or a price that never moved: a move of 0)."""
    move = np.asarray(move, dtype=np.float64)[:, None]  # (W, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(move > 0, np.abs(actual - pred) / move, np.nan)


def first_band(level):
    """Known scores needed before a band of `level`: the least n with ceil((n+1) * level) <=
    n, where the split conformal quantile first is a known score (4 for 0.8, 19 for 0.95)."""
    return math.ceil(round(level / (1.0 - level), 9))


def _quantile(scores, a):
    """The ceil((n+1)(1-a))-th smallest of n >= 1 known scores (the largest if that is past n;
    0 if the rank is below 1)."""
    n = len(scores)
    rank = math.ceil((n + 1) * (1.0 - a))
    if rank < 1:
        return 0.0
    return float(np.partition(scores, min(rank, n) - 1)[min(rank, n) - 1])


def band(pred, actual, move, calibration, level):
    """Lower and upper bands (W, H) of `level` for forecasts from consecutive origins.

    pred, actual: (W, H) forecasts and true values; move: (W,) typical_move at each origin;
    calibration: (C, H) scores of forecasts made before the first origin (all known; C may
    be 0). Only the rows known at each origin are used (module docstring); NaN where there
    are fewer than first_band(level) known scores, or no typical move.
    """
    W, H = pred.shape
    error = scores(actual, pred, move)  # (W, H); row w is known at w + h
    lower, upper = np.full((W, H), np.nan), np.full((W, H), np.nan)
    for h in range(H):  # step h + 1: origin w's row is known from origin w + h + 1 on
        a = 1.0 - level  # ACI's current miscoverage target
        for w in range(W):
            seen = w - h - 1  # the latest origin whose step-h row is known now
            if seen >= 0 and not np.isnan(lower[seen, h]):  # a miss counts where a band was
                outside = not lower[seen, h] <= actual[seen, h] <= upper[seen, h]
                a += GAMMA * ((1.0 - level) - outside)
            known = np.concatenate([calibration[:, h], error[: max(seen + 1, 0), h]])
            known = known[~np.isnan(known)][-WINDOW:]
            if len(known) < first_band(level) or not move[w] > 0:
                continue
            q = _quantile(known, a) * move[w]
            lower[w, h], upper[w, h] = pred[w, h] - q, pred[w, h] + q
    return lower, upper


def coverage(lower, upper, actual):
    """Share of true values inside [lower, upper] and the mean width, over the (W, H) entries
    that have a band (NaN if none has), and per step: {"coverage", "mean_width", "banded",
    "coverage_by_step", "mean_width_by_step"}; "banded" counts the entries with a band."""
    has = ~np.isnan(lower)  # (W, H)
    inside = np.where(has, (lower <= actual) & (actual <= upper), np.nan)
    width = np.where(has, upper - lower, np.nan)

    def mean(values, axis=None):
        n = has.sum(axis=axis)
        total = np.nansum(values, axis=axis)
        with np.errstate(invalid="ignore"):  # no band at all: 0/0 -> NaN
            return total / n

    return {
        "coverage": float(mean(inside)),
        "mean_width": float(mean(width)),
        "banded": int(has.sum()),
        "coverage_by_step": mean(inside, axis=0).tolist(),
        "mean_width_by_step": mean(width, axis=0).tolist(),
    }
