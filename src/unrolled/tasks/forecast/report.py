"""The forecast task's files: the metrics document and the run folder (the printed tables,
built from the same document, are in forecast_tables.py).

    metrics.json     every number in the tables, the settings, the data's provenance and dates
    predictions.csv  one row per test origin and step (and per day past the data's end)
    forecast.png     real prices, the model and naive forecasts, the train/test boundary
    model.npz        the model with its scalers and settings (reload with --model)
The folder is created here, after every input was checked, so a user error writes nothing.
"""

import dataclasses
import json
import math
from pathlib import Path

import numpy as np

from unrolled import files
from unrolled.tasks._shared import plots

__all__ = ["document", "dumps", "write", "write_metrics"]

SCALING = {
    "price": "price levels, MinMaxScaler(0, 1) fitted on the training rows only",
    "change": "each window relative to its last price, MinMaxScaler(0, 1) fitted on the "
    "training windows only; forecast = last price * (1 + predicted change)",
}
BASELINE_NOTES = {
    "naive": "tomorrow = today: the last known price",
    "drift": "the line from the first known price to the last, extended",
    "moving average": "the mean of the last ma_window known prices",
}


def _clean(value):
    """NaN/inf -> None and NumPy scalars -> Python, so the document is strict JSON."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def document(config, provenance, scores, verdict, model_name, history, backtest, future, extras):
    """The metrics.json document (JSON-able; NaN stored as null)."""
    settings = dataclasses.asdict(config)
    H = config.horizon
    return _clean(
        {
            "task": "forecast",
            "settings": settings,
            "data": provenance,
            "method": {
                "split": "chronological: training rows, then test rows (never shuffled)",
                "scaling": SCALING[config.target],
                "strategy": config.strategy,
                "horizon": H,
                "metrics_over": (
                    "every test origin, one-step-ahead"
                    if H == 1
                    else f"every test origin and every step h = 1..{H}, averaged; "
                    "rmse_by_step lists each step"
                ),
                "directional_accuracy": "share of moves (from the last known price) whose "
                "sign the forecast got right; null for a forecast that never moves",
                "skill": "1 - RMSE / RMSE_naive",
                "baselines": {**BASELINE_NOTES, "ma_window": config.ma_window},
            },
            "model": {"name": model_name, "training": history},
            "metrics": scores,
            "verdict": verdict,
            "backtest": backtest,
            "predict_next": future,
            **extras,
        }
    )


def dumps(document):
    """The document as indented JSON text."""
    return json.dumps(document, indent=2)


def write_metrics(path, document):
    files.write_json(path, document)


def _predictions_csv(data, origins, forecasts, actual, future):
    names = list(forecasts)
    header = ["date", "last_known_date", "step", "actual"] + [n.replace(" ", "_") for n in names]
    lines = [",".join(header + ["kind"])]
    W, H = actual.shape
    for w in range(W):
        t = origins[w]
        for h in range(H):
            cells = [str(data.dates[t + h]), str(data.dates[t - 1]), str(h + 1)]
            cells += [f"{actual[w, h]:.6g}"] + [f"{forecasts[n][w, h]:.6g}" for n in names]
            lines.append(",".join(cells + ["test"]))
    if future:
        for k, date in enumerate(future["dates"]):
            cells = [date, future["last_known_date"], str(k + 1), ""]
            cells += [f"{future[n.replace(' ', '_')][k]:.6g}" for n in names]
            lines.append(",".join(cells + ["future"]))
    return "\n".join(lines) + "\n"


def _source_name(data):
    """'S&P 500 index' for a built-in series, else the training file's name."""
    if data["dataset"]:
        return (data["description"] or data["dataset"]).split(" daily")[0]
    return Path(data["source"]["train"]).name.removesuffix(".gz").removesuffix(".csv")


def _plot(path, document, data, origins, forecasts, actual, future):
    plt = plots.pyplot()
    T, s = len(data.dates), data.split
    H = actual.shape[1]
    first = max(0, s - max(T - s, 60))  # show as many training days as test days (>= 60)
    target = document["data"]["columns"][0]
    name = document["model"]["name"]
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.plot(data.dates[first:], data.target[first:], color="black", lw=1.4, label=f"real {target}")
    step = "next day" if H == 1 else f"{H} days ahead"
    target_dates = data.dates[origins + H - 1]
    ax.plot(
        target_dates,
        forecasts["model"][:, -1],
        color="tab:blue",
        lw=1.4,
        label=f"{name} forecast ({step})",
    )
    ax.plot(
        target_dates,
        forecasts["naive"][:, -1],
        color="tab:orange",
        lw=1.0,
        ls="--",
        label="naive forecast (last known price)",
    )
    if future:
        dates = np.array(future["dates"], dtype="datetime64[D]")
        ax.plot(
            dates,
            future["model"],
            color="tab:blue",
            lw=1.4,
            ls=":",
            marker=".",
            label=f"{name} past the data's end (no actuals)",
        )
    ax.axvline(data.dates[s], color="grey", ls=":", lw=1.2)
    ax.text(
        data.dates[s],
        0.98,
        "  train | test  ",
        transform=ax.get_xaxis_transform(),
        ha="center",
        va="top",
        color="grey",
        fontsize=9,
        backgroundcolor="white",
    )
    m = document["metrics"]
    skill = m["model"]["skill"]
    ax.set_title(
        f"{_source_name(document['data'])} {target}: {name} vs naive forecast on the test period\n"
        f"RMSE {m['model']['rmse']:.2f} vs naive {m['naive']['rmse']:.2f} "
        f"(skill {'n/a' if skill is None else f'{skill:+.3f}'})",
        fontsize=11,
    )
    ax.set_xlabel("date")
    ax.set_ylabel(f"{target} price")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    fig.autofmt_xdate()
    files.save_figure(fig, path)


def write(out, document, data, origins, forecasts, actual, future, model, model_extras):
    """Create the folder and write the model, predictions.csv and forecast.png. Returns
    {name: path} including "metrics" (written afterwards by write_metrics)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    if model is not None:
        paths["model"] = out / "model.npz"
        model.save(paths["model"], extras=model_extras)
    paths["predictions"] = out / "predictions.csv"
    files.write_text(
        paths["predictions"], _predictions_csv(data, origins, forecasts, actual, future)
    )
    paths["plot"] = out / "forecast.png"
    _plot(paths["plot"], document, data, origins, forecasts, actual, future)
    paths["metrics"] = out / "metrics.json"
    return paths
