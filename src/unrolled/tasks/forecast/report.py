"""The forecast task's report: the metrics document, the printed tables built from it, and the
run folder.

    metrics.json     every number in the tables, the settings, the data's provenance and dates
    predictions.csv  one row per test origin and step (and per day past the data's end), with
                     every forecaster's bands (<name>_lower_80, <name>_upper_80, ...)
    forecast.png     real prices, the model's forecasts and bands, naive's, the train/test
                     boundary
    model.npz        the model with its scalers and settings (reload with --model)
The tables: the results beside the baselines (with the skill's interval and the
Diebold-Mariano p-value), the bands' coverage, RMSE by step, the backtest and the forecast past
the data's end. The folder is created here, after every input was checked, so a user error
writes nothing. A plot that cannot be drawn (a date matplotlib cannot place, a value it
cannot scale) is skipped, and the reason kept in metrics.json ("plot_skipped"): it never
costs the run its other files.
"""

import dataclasses
import json
import math
from pathlib import Path

import numpy as np

from unrolled import files
from unrolled.tasks._shared import plots
from unrolled.tasks._shared.printing import format_table
from unrolled.tasks.forecast import intervals, significance
from unrolled.tasks.forecast.config import whole_file

__all__ = ["document", "dumps", "tables", "tutorial_pairing_sentence", "write", "write_metrics"]

SCALING = {
    "price": "price levels, MinMaxScaler(0, 1) fitted on the training rows only",
    "change": "each window relative to its last price, divided by its standard deviation over "
    "the training windows only (StandardScaler(with_mean=False): 0 stays 0); forecast = last "
    "price * (1 + predicted change)",
}
BASELINE_NOTES = {
    "naive": "tomorrow = today: the last known price",
    "drift": "the line from the first known price to the last, extended",
    "moving average": "the mean of the last ma_window known prices",
}

SKILL_CI = (
    f"95% interval of the skill: moving-block bootstrap over origins ({significance.RESAMPLES} "
    "resamples, blocks of max(h, round(n^(1/3))) origins), the 2.5th and 97.5th percentiles"
)
DM_PVALUE = (
    "Diebold-Mariano test against naive on squared error, with the Harvey-Leybourne-Newbold "
    "correction for horizon h; two-sided p-value from the normal tail (no scipy), given for "
    f"n >= {significance.MIN_ORIGINS} origins only (null below)"
)
INTERVALS = (
    "conformal bands on each forecaster's own errors in units of the typical daily move known "
    f"at the origin (last price x EWMA volatility of returns, lambda {intervals.LAMBDA}), "
    f"calibrated on the latest {intervals.CALIBRATION:.0%} of the training windows, then "
    f"adaptive conformal inference (gamma {intervals.GAMMA}) online on the latest "
    f"{intervals.WINDOW} known errors; a band never uses its own day or later ones"
)
# the backtest table's mean ± std columns: (metric, digits, scale)
BACKTEST_COLUMNS = (
    ("rmse", 2, 1),
    ("mae", 2, 1),
    ("directional_accuracy", 1, 100),
    ("skill", 3, 1),
)
LU = ("lower", "upper")  # a band's two columns in predictions.csv


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
    split = "chronological: training rows, then test rows (never shuffled)"
    if config.model is not None:  # nothing trained: the rows before the test are inputs only
        split = "chronological: history rows (inputs only), then test rows"
        if whole_file(config):
            split = (
                f"the whole file: its first {config.lookback} row(s) are history, the inputs "
                "of the first forecast; every later row is a test day"
            )
    return _clean(
        {
            "task": "forecast",
            "settings": settings,
            "data": provenance,
            "method": {
                "split": split,
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
                "skill_ci": SKILL_CI,
                "dm_pvalue": DM_PVALUE,
                "intervals": INTERVALS,
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


def _fmt(value, digits=2, scale=1.0):
    return "n/a" if value is None else f"{value * scale:,.{digits}f}"


def _p(value):
    return "n/a" if value is None else ("<0.001" if value < 0.001 else f"{value:.3f}")


def _ci(pair):
    return "n/a" if pair is None or None in pair else f"{pair[0]:+.3f} .. {pair[1]:+.3f}"


def _pct(level):
    return f"{100 * level:g}%"


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
                _ci(m["skill_ci"]),
                _p(m["dm_pvalue"]),
            ]
        )
    headers = ["forecaster", "RMSE", "MAE", "MAPE %", "direction %", "skill vs naive"]
    headers += ["skill 95% interval", "DM p"]
    return format_table(headers, rows)


def _intervals_table(document):
    """Nominal against empirical coverage, and the mean width, of every forecaster's bands."""
    rows = []
    for name, m in document["metrics"].items():
        cells = [_label(name, document)]
        for band in m["intervals"]:
            cells += [_fmt(band["coverage"], 1, 100.0), _fmt(band["mean_width"])]
        rows.append(cells)
    headers = ["forecaster"]
    for band in document["metrics"]["model"]["intervals"]:
        headers += [f"{_pct(band['level'])} band: covered %", "mean width"]
    return format_table(headers, rows)


def _late_bands(document):
    """A line when some of the model's forecasts have no band (intervals.first_band), as
    with --model on a whole file; else None."""
    n = document["test_origins"] * document["settings"]["horizon"]
    bands = document["metrics"]["model"]["intervals"]
    if all(band["banded"] == n for band in bands):
        return None
    needs = " and ".join(
        f"{intervals.first_band(b['level'])} for {_pct(b['level'])} bands" for b in bands
    )
    have = [f"{b['banded'] or 'none'} {_pct(b['level'])} bands" for b in bands]
    return (
        f"note: a band starts once enough errors are known, {needs} (errors made before the "
        f"test period, then the test days' as they become known); of the model's {n:,} "
        f"forecasts, {' and '.join(have).replace(' ', ' have ', 1)}."
    )


def _steps_table(document):
    metrics = document["metrics"]
    model, naive = metrics["model"], metrics["naive"]
    headers = ["step (days ahead)", "model RMSE", "naive RMSE", "skill", "DM p"]
    headers += [f"model {_pct(b['level'])} covered %" for b in model["intervals"]]
    rows = []
    for h, (m, n) in enumerate(zip(model["rmse_by_step"], naive["rmse_by_step"], strict=True)):
        skill = 1 - m / n if m is not None and n else None
        cells = [f"{h + 1}", _fmt(m), _fmt(n), _fmt(skill, 3), _p(model["dm_pvalue_by_step"][h])]
        cells += [_fmt(b["coverage_by_step"][h], 1, 100.0) for b in model["intervals"]]
        rows.append(cells)
    return format_table(headers, rows)


def _backtest_table(backtest, document):
    def spread(stats, digits, scale):
        std = "" if stats["std"] is None else f" ± {_fmt(stats['std'], digits, scale)}"
        return _fmt(stats["mean"], digits, scale) + std

    rows = []
    for name, m in backtest["summary"].items():
        cells = [_label(name, document)]
        cells += [spread(m[key], d, k) for key, d, k in BACKTEST_COLUMNS]
        cells += [spread(band["coverage"], 1, 100) for band in m["intervals"]]
        pooled = backtest["pooled"][name]
        skill = _fmt(pooled["skill"], 3)
        cells += [skill if name == "naive" else f"{skill} ({_ci(pooled['skill_ci'])})"]
        cells += [_p(pooled["dm_pvalue"])]
        rows.append(cells)
    headers = ["forecaster", "RMSE", "MAE", "direction %", "skill vs naive"]
    headers += [f"{_pct(b['level'])} covered %" for b in m["intervals"]]
    headers += ["pooled skill (95% interval)", "pooled DM p"]
    return format_table(headers, rows)


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
    if document["metrics"]["model"]["intervals"]:
        parts += [
            "",
            "prediction intervals (conformal on each forecaster's own errors, adapted online; "
            "a band never sees its own day):",
            _intervals_table(document),
        ]
        late = _late_bands(document)
        if late:
            parts.append(late)
    if H > 1:
        parts += ["", "by step:", _steps_table(document)]
    if document["backtest"]:
        b = document["backtest"]
        n = sum(f["origins"] for f in b["by_fold"])
        parts += [
            "",
            f"walk-forward backtest: {b['folds']} folds (expanding window, refit and rescale "
            f"per fold), mean ± std over folds; pooled: the {n:,} origins of all folds as one "
            "series:",
            _backtest_table(b, document),
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


def _predictions_csv(data, origins, forecasts, bands, actual, future):
    names = list(forecasts)
    columns = [n.replace(" ", "_") for n in names]
    edges = [(n, level) for n in names for level in bands[n]]  # every band's two columns
    header = ["date", "last_known_date", "step", "actual"] + columns
    header += [f"{n.replace(' ', '_')}_{side}_{100 * lv:g}" for n, lv in edges for side in LU]
    lines = [",".join(header + ["kind"])]
    W, H = actual.shape
    for w in range(W):
        t = origins[w]
        for h in range(H):
            cells = [str(data.dates[t + h]), str(data.dates[t - 1]), str(h + 1)]
            cells += [f"{actual[w, h]:.6g}"] + [f"{forecasts[n][w, h]:.6g}" for n in names]
            cells += [_cell(bands[n][lv][i][w, h]) for n, lv in edges for i in (0, 1)]
            lines.append(",".join(cells + ["test"]))
    if future:
        for k, date in enumerate(future["dates"]):
            cells = [date, future["last_known_date"], str(k + 1), ""]
            cells += [f"{future[c][k]:.6g}" for c in columns] + [""] * (2 * len(edges))
            lines.append(",".join(cells + ["future"]))
    return "\n".join(lines) + "\n"


def _cell(value):
    """A band's edge in predictions.csv: empty where there is no band (NaN)."""
    return "" if np.isnan(value) else f"{value:.6g}"


def _source_name(data):
    """'S&P 500 index' for a built-in series, else the training file's name."""
    if data["dataset"]:
        return (data["description"] or data["dataset"]).split(" daily")[0]
    return Path(data["source"]["train"]).name.removesuffix(".gz").removesuffix(".csv")


def _plot(path, document, data, origins, forecasts, bands, actual, future):
    """Draw forecast.png; None, or why it could not be drawn (one line). The figure is always
    closed. An OSError (a full disk) is not a drawing problem: it is raised."""
    plt = plots.pyplot()
    fig = plt.figure(figsize=(10, 5))
    try:
        _draw(fig, path, document, data, origins, forecasts, bands, actual, future)
    except OSError:
        raise
    except Exception as error:  # matplotlib's, for data it cannot draw: the run goes on
        return " ".join(f"{type(error).__name__}: {error}".split())[:300]
    finally:
        plt.close(fig)
    return None


def _draw(fig, path, document, data, origins, forecasts, bands, actual, future):
    T, s = len(data.dates), data.split
    H = actual.shape[1]
    first = max(0, s - max(T - s, 60))  # show as many training days as test days (>= 60)
    target = document["data"]["columns"][0]
    name = document["model"]["name"]
    ax = fig.add_subplot()
    ax.plot(data.dates[first:], data.target[first:], color="black", lw=1.4, label=f"real {target}")
    step = "next day" if H == 1 else f"{H} days ahead"
    target_dates = data.dates[origins + H - 1]
    model_bands = [b for b in document["metrics"]["model"]["intervals"] if b["banded"]]
    shades = np.linspace(0.15, 0.35, len(model_bands))  # the widest band palest
    for band, alpha in zip(sorted(model_bands, key=lambda b: -b["level"]), shades, strict=True):
        lower, upper = bands["model"][band["level"]]
        covered = _fmt(band["coverage_by_step"][-1], 0, 100.0)  # of the step drawn (n/a: none)
        ax.fill_between(
            target_dates,
            lower[:, -1],
            upper[:, -1],
            color="tab:blue",
            alpha=alpha,
            lw=0,
            label=f"{_pct(band['level'])} band (covered {covered}%)",
        )
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
        "  train | test  " if document["settings"]["model"] is None else "  history | test  ",
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
        f"RMSE {_fmt(m['model']['rmse'])} vs naive {_fmt(m['naive']['rmse'])} "
        f"(skill {'n/a' if skill is None else f'{skill:+.3f}'})",
        fontsize=11,
    )
    ax.set_xlabel("date")
    ax.set_ylabel(f"{target} price")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    fig.autofmt_xdate()
    files.save_figure(fig, path)


def write(out, document, data, origins, forecasts, bands, actual, future, model, model_extras):
    """Create the folder and write the model, predictions.csv and forecast.png. Returns
    {name: path} including "metrics" (written afterwards by write_metrics), without "plot"
    when it could not be drawn: then document["plot_skipped"] says why."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    if model is not None:
        paths["model"] = out / "model.npz"
        model.save(paths["model"], extras=model_extras)
    paths["predictions"] = out / "predictions.csv"
    files.write_text(
        paths["predictions"], _predictions_csv(data, origins, forecasts, bands, actual, future)
    )
    plot = out / "forecast.png"
    document["plot_skipped"] = _plot(
        plot, document, data, origins, forecasts, bands, actual, future
    )
    if document["plot_skipped"] is None:
        paths["plot"] = plot
    paths["metrics"] = out / "metrics.json"
    return paths
