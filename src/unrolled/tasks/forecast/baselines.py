"""Naive forecasts and forecast metrics: the yardstick every model result stands beside.

A forecast is made at an *origin* t (the first row not yet seen) for the H rows t .. t+H-1,
using only rows 0 .. t-1. With y the target column (T,) and h = 1 .. H:
    naive (persistence)   yhat[t+h-1] = y[t-1]                         "tomorrow = today"
    drift                 yhat[t+h-1] = y[t-1] + h * (y[t-1] - y[0]) / (t-1)
    moving average        yhat[t+h-1] = mean(y[t-k : t])               (k rows)
(Hyndman & Athanasopoulos, "Forecasting: Principles and Practice", section 5.2.)

Metrics compare predictions P (W, H) with actual values A (W, H), W origins:
    RMSE = sqrt(mean((P - A)^2))     MAE = mean(|P - A|)     MAPE = 100 * mean(|P - A| / |A|)
    directional accuracy = share of cases where sign(P - last) == sign(A - last), last = y[t-1]
    skill = 1 - RMSE_model / RMSE_naive   (> 0: better than persistence, < 0: worse)
Directional accuracy skips cases where the actual value did not move, and a forecast of "no
change" counts as wrong, so persistence (which never predicts a direction) has none: NaN.
Every comparison with naive also gets a Diebold-Mariano p-value and a bootstrap interval for
the skill (significance.py); every forecaster gets the coverage and width of its conformal
bands (intervals.py).
"""

import math

import numpy as np

from unrolled.tasks.forecast import intervals, significance

__all__ = [
    "BASELINES",
    "METRICS",
    "actuals",
    "baseline_forecasts",
    "directional_accuracy",
    "drift",
    "evaluate",
    "mae",
    "mape",
    "moving_average",
    "naive",
    "rmse",
    "score",
    "skill",
    "p_text",
    "skill_sentence",
]


# the metrics of `evaluate`, in table order
METRICS = ("rmse", "mae", "mape", "directional_accuracy", "skill")


def _origins(origins):
    return np.asarray(origins, dtype=np.int64).reshape(-1)  # (W,)


def actuals(y, origins, horizon):
    """The true values being forecast: A[w, h-1] = y[origins[w] + h - 1], shape (W, H)."""
    t = _origins(origins)
    return np.asarray(y, dtype=np.float64)[t[:, None] + np.arange(horizon)]


def naive(y, origins, horizon):
    """Persistence: every step repeats the last known value y[t-1]. Returns (W, H)."""
    t = _origins(origins)
    last = np.asarray(y, dtype=np.float64)[t - 1]  # (W,)
    return np.repeat(last[:, None], horizon, axis=1)


def drift(y, origins, horizon):
    """The straight line from the first row to the last known one, extended h steps. (W, H).

    With a single known row (t = 1) the slope is undefined; it is taken as 0 (persistence).
    """
    y = np.asarray(y, dtype=np.float64)
    t = _origins(origins)
    last = y[t - 1]  # (W,)
    slope = np.where(t > 1, (last - y[0]) / np.maximum(t - 1, 1), 0.0)  # (W,) per-row change
    return last[:, None] + slope[:, None] * np.arange(1, horizon + 1)


def moving_average(y, origins, horizon, window):
    """The mean of the last `window` known rows (fewer near the start), repeated. (W, H)."""
    y = np.asarray(y, dtype=np.float64)
    t = _origins(origins)
    csum = np.concatenate([[0.0], np.cumsum(y)])  # csum[i] = y[0] + ... + y[i-1]
    start = np.maximum(t - window, 0)
    mean = (csum[t] - csum[start]) / (t - start)  # (W,)
    return np.repeat(mean[:, None], horizon, axis=1)


# name -> function(y, origins, horizon, ma_window) for the results table, in table order
BASELINES = {
    "naive": lambda y, t, H, k: naive(y, t, H),
    "drift": lambda y, t, H, k: drift(y, t, H),
    "moving average": lambda y, t, H, k: moving_average(y, t, H, k),
}


def rmse(pred, actual):
    """Root mean squared error over every entry."""
    err = np.asarray(pred, dtype=np.float64) - np.asarray(actual, dtype=np.float64)
    return float(np.sqrt(np.mean(err * err)))


def mae(pred, actual):
    """Mean absolute error over every entry."""
    err = np.asarray(pred, dtype=np.float64) - np.asarray(actual, dtype=np.float64)
    return float(np.mean(np.abs(err)))


def mape(pred, actual):
    """Mean absolute percentage error (in %); entries whose actual value is 0 are skipped."""
    pred = np.asarray(pred, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    keep = actual != 0
    if not keep.any():
        return math.nan
    return float(100.0 * np.mean(np.abs(pred[keep] - actual[keep]) / np.abs(actual[keep])))


def directional_accuracy(pred, actual, last):
    """Share (0..1) of cases whose predicted move from `last` has the actual move's sign.

    pred, actual: (W, H) or (W,); last: (W,) the value known at each origin. Cases where the
    actual value did not move are skipped; a predicted "no move" is never right. NaN when the
    forecast never predicts a move (persistence) or nothing moved.
    """
    pred = np.asarray(pred, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    last = np.asarray(last, dtype=np.float64).reshape(-1, *([1] * (pred.ndim - 1)))
    moved = np.sign(actual - last)
    guess = np.sign(pred - last)
    if not moved.any() or not guess.any():
        return math.nan
    return float(np.mean(guess[moved != 0] == moved[moved != 0]))


def skill(rmse_model, rmse_naive):
    """Skill score 1 - RMSE_model / RMSE_naive (NaN if the naive RMSE is 0)."""
    return 1.0 - rmse_model / rmse_naive if rmse_naive > 0 else math.nan


def evaluate(pred, actual, last, rmse_naive=None):
    """Every metric for one forecaster: {"rmse", "mae", "mape", "directional_accuracy",
    "skill"} (skill only when rmse_naive is given), each over all origins and steps."""
    result = {
        "rmse": rmse(pred, actual),
        "mae": mae(pred, actual),
        "mape": mape(pred, actual),
        "directional_accuracy": directional_accuracy(pred, actual, last),
    }
    if rmse_naive is not None:
        result["skill"] = skill(result["rmse"], rmse_naive)
    return result


def baseline_forecasts(y, origins, horizon, ma_window):
    """{"naive", "drift", "moving average"} -> (W, H) forecasts from the same origins."""
    return {name: fn(y, origins, horizon, ma_window) for name, fn in BASELINES.items()}


def score(forecasts, actual, last, rng, bands):
    """Metrics of each forecast {name: (W, H)}, skill against forecasts["naive"].

    rng: the bootstrap's np.random.Generator; bands: {name: {level: (lower, upper)}}, each
    (W, H). Returns {name: {"rmse", "mae", "mape", "directional_accuracy", "skill",
    "skill_ci", "dm_pvalue", "rmse_by_step", "dm_pvalue_by_step", "intervals"}}: the first
    seven over every origin and step, the "_by_step" lists per step h = 1 .. H (column h-1),
    and "intervals" one {"level", "coverage", "mean_width", ...} per band level
    (intervals.coverage). Naive has no skill interval nor p-value against itself (None).
    """
    H = actual.shape[1]
    naive_err = forecasts["naive"] - actual  # (W, H)
    rmse_naive = rmse(forecasts["naive"], actual)
    result = {}
    for name, pred in forecasts.items():
        err = pred - actual  # (W, H)
        versus = name != "naive"
        result[name] = {
            **evaluate(pred, actual, last, rmse_naive),
            "skill_ci": significance.skill_ci(err, naive_err, H, rng) if versus else None,
            "dm_pvalue": significance.dm_test(err, naive_err, H)[1] if versus else None,
            "rmse_by_step": [rmse(pred[:, h], actual[:, h]) for h in range(H)],
            "dm_pvalue_by_step": [
                significance.dm_test(err[:, h], naive_err[:, h], h + 1)[1] if versus else None
                for h in range(H)
            ],
            "intervals": [
                {"level": level, **intervals.coverage(lower, upper, actual)}
                for level, (lower, upper) in bands[name].items()
            ],
        }
    return result


def p_text(p):
    """A p-value as printed: 'p = 0.41', 'p = 0.003', 'p < 0.001'."""
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.2f}" if p >= 0.01 else f"p = {p:.3f}"


def skill_sentence(name, scores, origins):
    """The plain-words verdict printed under the table, from a forecaster's `scores` (its row
    of `score`) over `origins` test origins: skill, its interval and the Diebold-Mariano test."""
    skill_score = scores["skill"]
    if math.isnan(skill_score):
        return f"The {name} cannot be compared with the naive forecast (its RMSE is 0)."
    pct = abs(skill_score) * 100
    how = "the same RMSE" if skill_score == 0 else f"its RMSE is {pct:.1f}% "
    how += "" if skill_score == 0 else ("lower" if skill_score > 0 else "higher")
    low, high = scores["skill_ci"]
    numbers = f"skill {skill_score:+.3f}, 95% interval {low:+.3f} .. {high:+.3f}"
    p = scores["dm_pvalue"]
    if p is None:
        beats = "beats" if skill_score > 0 else "does not beat"
        return (
            f"The {name} {beats} the naive forecast: {how} ({numbers}); {origins} test origins "
            f"are too few for a Diebold-Mariano p-value (it needs {significance.MIN_ORIGINS})."
        )
    if p >= 0.05:
        return (
            f"The {name} is not significantly different from persistence (Diebold-Mariano "
            f"{p_text(p)}): {how} ({numbers})."
        )
    beats = "beats" if skill_score > 0 else "loses to"
    return (
        f"The {name} {beats} the naive forecast, significantly (Diebold-Mariano {p_text(p)}): "
        f"{how} ({numbers})."
    )
