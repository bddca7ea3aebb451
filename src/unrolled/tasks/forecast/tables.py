"""The forecast task's printed tables, built from the metrics document (forecast_report.py):
the results beside the baselines, RMSE by step, the backtest and the forecast past the data.
"""

from unrolled.tasks._shared.printing import format_table

__all__ = ["tables", "tutorial_pairing_sentence"]


def _fmt(value, digits=2, scale=1.0):
    return "n/a" if value is None else f"{value * scale:,.{digits}f}"


def _label(name, document):
    if name == "model":
        return f"{document['model']['name']} (model)"
    if name == "moving average":
        return f"moving average ({document['method']['baselines']['ma_window']})"
    return "naive (persistence)" if name == "naive" else name


def _main_table(document):
    rows = []
    for name, m in document["metrics"].items():
        rows.append(
            [
                _label(name, document),
                _fmt(m["rmse"]),
                _fmt(m["mae"]),
                _fmt(m["mape"]),
                _fmt(m["directional_accuracy"], 1, 100.0),
                _fmt(m["skill"], 3),
            ]
        )
    headers = ["forecaster", "RMSE", "MAE", "MAPE %", "direction %", "skill vs naive"]
    return format_table(headers, rows)


def _steps_table(document):
    metrics = document["metrics"]
    H = len(metrics["model"]["rmse_by_step"])
    rows = []
    for h in range(H):
        model, naive = metrics["model"]["rmse_by_step"][h], metrics["naive"]["rmse_by_step"][h]
        skill = 1 - model / naive if model is not None and naive else None
        rows.append([f"{h + 1}", _fmt(model), _fmt(naive), _fmt(skill, 3)])
    return format_table(["step (days ahead)", "model RMSE", "naive RMSE", "skill"], rows)


def _backtest_table(backtest):
    rows = []
    for name, m in backtest["summary"].items():
        cells = [name]
        for key, digits, scale in (
            ("rmse", 2, 1),
            ("mae", 2, 1),
            ("directional_accuracy", 1, 100),
            ("skill", 3, 1),
        ):
            mean, std = m[key]["mean"], m[key]["std"]
            spread = "" if std is None else f" ± {_fmt(std, digits, scale)}"
            cells.append(_fmt(mean, digits, scale) + spread)
        rows.append(cells)
    return format_table(["forecaster", "RMSE", "MAE", "direction %", "skill vs naive"], rows)


def _future_table(future):
    rows = [
        [date, f"{k + 1}", _fmt(v), _fmt(n)]
        for k, (date, v, n) in enumerate(
            zip(future["dates"], future["model"], future["naive"], strict=True)
        )
    ]
    return format_table(["date (beyond the data)", "step", "model", "naive"], rows)


def tables(document):
    """Everything printed after training: the results, per step, backtest, future forecast."""
    test = document["data"]["test"]
    s = document["settings"]
    H = s["horizon"]
    ahead = "one-day-ahead" if H == 1 else f"{H}-day ({s['strategy']})"
    n = document["test_origins"]
    parts = [
        f"test period {test['from']} .. {test['to']}: {n:,} {ahead} forecasts of "
        f"{document['data']['columns'][0]}"
        + ("" if H == 1 else f", metrics averaged over steps 1..{H}"),
        _main_table(document),
    ]
    if H > 1:
        parts += ["", "by step:", _steps_table(document)]
    if document["backtest"]:
        b = document["backtest"]
        parts += [
            "",
            f"walk-forward backtest: {b['folds']} folds (expanding window, refit and rescale "
            "per fold), mean ± std over folds:",
            _backtest_table(b),
        ]
    if document["predict_next"]:
        f = document["predict_next"]
        parts += [
            "",
            f"forecast past the data's end ({f['method']}; weekdays, holidays not skipped; "
            "no actual values to score it):",
        ]
        parts.append(_future_table(f))
    return "\n".join(parts)


def tutorial_pairing_sentence(document):
    """How the tutorial's plot flatters the model, in numbers."""
    return (
        f"The tutorial's plot pairs each prediction with the day it was made from: that RMSE "
        f"is {document['tutorial_pairing_rmse']:.2f}, against the honest "
        f"{document['metrics']['model']['rmse']:.2f} (next day) and naive "
        f"{document['metrics']['naive']['rmse']:.2f}."
    )
