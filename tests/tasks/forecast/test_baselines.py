"""Baselines and metrics against numbers worked out by hand on a short series."""

import math

import numpy as np
import pytest

from unrolled.tasks.forecast import baselines

# a short price series; origins 3 and 4 forecast rows 3.. and 4.. from rows before them
Y = np.array([10.0, 12.0, 11.0, 13.0, 12.0, 15.0])
ORIGINS = np.array([3, 4])


def test_actuals_are_the_rows_after_each_origin():
    np.testing.assert_array_equal(baselines.actuals(Y, ORIGINS, 2), [[13, 12], [12, 15]])


def test_naive_repeats_the_last_known_value():
    # origin 3 knows y[2] = 11; origin 4 knows y[3] = 13
    np.testing.assert_array_equal(baselines.naive(Y, ORIGINS, 2), [[11, 11], [13, 13]])


def test_drift_extends_the_line_from_the_first_value():
    # origin 3: slope (11 - 10) / 2 = 0.5 -> 11.5, 12; origin 4: slope (13 - 10) / 3 = 1 -> 14, 15
    np.testing.assert_allclose(baselines.drift(Y, ORIGINS, 2), [[11.5, 12.0], [14.0, 15.0]])


def test_drift_with_one_known_value_is_persistence():
    np.testing.assert_allclose(baselines.drift(Y, [1], 2), [[10.0, 10.0]])


def test_moving_average_of_the_last_k_known_values():
    # origin 3, k=2: (12 + 11) / 2 = 11.5; origin 4: (11 + 13) / 2 = 12
    np.testing.assert_allclose(baselines.moving_average(Y, ORIGINS, 1, 2), [[11.5], [12.0]])
    # fewer than k known rows: the mean of those there are, (10 + 12) / 2
    np.testing.assert_allclose(baselines.moving_average(Y, [2], 1, 5), [[11.0]])


def test_baselines_never_read_the_rows_they_forecast():
    changed = Y.copy()
    changed[3:] = [1e6, -1e6, 7.0]  # the future changes wildly; forecasts from origin 3 must not
    for name, fn in baselines.BASELINES.items():
        np.testing.assert_array_equal(
            fn(Y, [3], 3, 2), fn(changed, [3], 3, 2), err_msg=f"{name} looked ahead"
        )


def test_rmse_mae_mape_by_hand():
    pred = np.array([[11.0], [13.0]])
    actual = np.array([[13.0], [12.0]])
    # errors -2 and +1
    assert baselines.rmse(pred, actual) == pytest.approx(math.sqrt((4 + 1) / 2))
    assert baselines.mae(pred, actual) == pytest.approx(1.5)
    assert baselines.mape(pred, actual) == pytest.approx(100 * (2 / 13 + 1 / 12) / 2)


def test_mape_skips_zero_actual_values():
    assert baselines.mape([1.0, 2.0], [0.0, 4.0]) == pytest.approx(50.0)
    assert math.isnan(baselines.mape([1.0], [0.0]))


def test_directional_accuracy_by_hand():
    last = np.array([10.0, 10.0, 10.0, 10.0])
    actual = np.array([11.0, 9.0, 12.0, 10.0])  # up, down, up, flat (flat is skipped)
    pred = np.array([10.5, 10.5, 10.0, 3.0])  # up (right), up (wrong), no move (wrong), -
    assert baselines.directional_accuracy(pred, actual, last) == pytest.approx(1 / 3)


def test_directional_accuracy_of_persistence_is_undefined():
    naive = baselines.naive(Y, ORIGINS, 2)
    assert math.isnan(
        baselines.directional_accuracy(naive, baselines.actuals(Y, ORIGINS, 2), Y[ORIGINS - 1])
    )


def test_directional_accuracy_multi_step_uses_the_origins_last_value():
    # origin 3 (last 11): actual 13, 12 are both up; origin 4 (last 13): 12 down, 15 up
    drift = baselines.drift(Y, ORIGINS, 2)  # all above their last value: up, up, up, up
    da = baselines.directional_accuracy(drift, baselines.actuals(Y, ORIGINS, 2), Y[ORIGINS - 1])
    assert da == pytest.approx(3 / 4)


def test_skill_and_its_sentence():
    assert baselines.skill(0.9, 1.0) == pytest.approx(0.1)
    assert baselines.skill(1.25, 1.0) == pytest.approx(-0.25)
    assert math.isnan(baselines.skill(1.0, 0.0))
    scores = {"skill": -0.004, "skill_ci": [-0.0121, 0.0063], "dm_pvalue": 0.412}
    assert baselines.skill_sentence("LSTM", scores, 252) == (
        "The LSTM is not significantly different from persistence (Diebold-Mariano p = 0.41): "
        "its RMSE is 0.4% higher (skill -0.004, 95% interval -0.012 .. +0.006)."
    )
    scores = {"skill": 0.1, "skill_ci": [0.05, 0.15], "dm_pvalue": 0.0004}
    assert baselines.skill_sentence("GRU", scores, 252) == (
        "The GRU beats the naive forecast, significantly (Diebold-Mariano p < 0.001): its RMSE "
        "is 10.0% lower (skill +0.100, 95% interval +0.050 .. +0.150)."
    )
    scores = {"skill": -0.25, "skill_ci": [-0.4, -0.1], "dm_pvalue": 0.004}
    assert "loses to the naive forecast, significantly (Diebold-Mariano p = 0.004)" in (
        baselines.skill_sentence("GRU", scores, 252)
    )
    scores = {"skill": -0.509, "skill_ci": [-0.9, -0.2], "dm_pvalue": None}
    assert baselines.skill_sentence("LSTM", scores, 20) == (
        "The LSTM does not beat the naive forecast: its RMSE is 50.9% higher (skill -0.509, 95% "
        "interval -0.900 .. -0.200); 20 test origins are too few for a Diebold-Mariano p-value "
        "(it needs 30)."
    )


def test_score_compares_every_forecast_with_naive():
    actual = baselines.actuals(Y, ORIGINS, 2)
    forecasts = baselines.baseline_forecasts(Y, ORIGINS, 2, ma_window=2)
    forecasts["model"] = actual + 0.5  # off by 0.5 everywhere
    bands = {name: {0.8: (pred - 1.0, pred + 1.0)} for name, pred in forecasts.items()}
    scores = baselines.score(forecasts, actual, Y[ORIGINS - 1], np.random.default_rng(0), bands)
    # naive errors: origin 3: 11-13, 11-12; origin 4: 13-12, 13-15 -> -2, -1, 1, -2
    rmse_naive = math.sqrt((4 + 1 + 1 + 4) / 4)
    assert scores["naive"]["rmse"] == pytest.approx(rmse_naive)
    assert scores["naive"]["skill"] == 0.0
    assert scores["model"]["rmse"] == pytest.approx(0.5)
    assert scores["model"]["skill"] == pytest.approx(1 - 0.5 / rmse_naive)
    assert scores["naive"]["rmse_by_step"] == pytest.approx([math.sqrt(2.5), math.sqrt(2.5)])
    assert set(scores) == {"model", "naive", "drift", "moving average"}
    # naive is not tested against itself; 2 origins are too few for a p-value
    assert scores["naive"]["dm_pvalue"] is None and scores["naive"]["skill_ci"] is None
    assert scores["model"]["dm_pvalue"] is None and len(scores["model"]["skill_ci"]) == 2
    # +-1 around each forecast: the model (off by 0.5) always inside, naive (|e| 1 or 2) half
    assert scores["model"]["intervals"][0]["coverage"] == 1.0
    assert scores["naive"]["intervals"][0]["coverage"] == 0.5
    assert scores["naive"]["intervals"][0]["coverage_by_step"] == [0.5, 0.5]
    assert scores["naive"]["intervals"][0]["mean_width"] == 2.0
