"""The established forecasters on `unrolled forecast`'s own test days: statsforecast's AutoETS,
Theta and AutoARIMA, refitted every day on the rows before the forecast day only.

    python benchmarks/forecast_anchors.py                    # the run recorded in RESULTS.md
    python benchmarks/forecast_anchors.py --models AutoETS   # one model

Benchmark-only: statsforecast is not a dependency of unrolled and CI never installs it. Run
it from a separate virtual environment:

    python -m venv /tmp/sf-venv && /tmp/sf-venv/bin/pip install statsforecast
    PYTHONPATH=src /tmp/sf-venv/bin/python benchmarks/forecast_anchors.py

(or `pip install -e '.[anchors]'`). The days are the default command's: the built-in S&P 500
Close, its latest 1,260 rows, the last 20 % (252 days, 2017-12-29 .. 2018-12-31) forecast one
day ahead. Each method's forecast for day t comes from a fit on rows 0 .. t-1 (an expanding
window, statsforecast's cross_validation with refit=True and step_size=1), with the method's
own 80 % and 95 % intervals. The scores are the task's: RMSE, skill against naive, the
Diebold-Mariano p-value (HLN correction) and the moving-block bootstrap 95 % interval of the
skill (tasks/forecast/significance.py, seed 0), and each interval's coverage and mean width.
"""

import argparse
import os
import time

import numpy as np

from unrolled.data import datasets
from unrolled.tasks.forecast import baselines, significance

MODELS = ("AutoETS", "Theta", "AutoARIMA")
LEVELS = (80, 95)


def _model(name):
    from statsforecast import models

    return {
        "AutoETS": models.AutoETS,
        "Theta": models.Theta,
        "AutoARIMA": models.AutoARIMA,
    }[name]()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1260, help="latest rows used (the task's)")
    parser.add_argument("--test-size", type=int, default=252, help="test days at the end")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated")
    args = parser.parse_args(argv)
    os.environ.setdefault("NIXTLA_ID_AS_COL", "1")
    import pandas as pd
    from statsforecast import StatsForecast

    series = datasets.load_dataset("sp500", column="Close")
    dates, y = series.dates[-args.rows :], series.values[-args.rows :, 0]
    T, n = len(y), args.test_size
    origins = np.arange(T - n, T)
    actual = y[origins]  # (n,)
    naive_err = y[origins - 1] - actual
    print(
        f"S&P 500 Close, {T} rows {dates[0]} .. {dates[-1]}; {n} one-day-ahead forecasts "
        f"{dates[T - n]} .. {dates[-1]}, each refitted on the rows before its day"
    )
    df = pd.DataFrame({"unique_id": "sp500", "ds": np.arange(T), "y": y})  # trading-day index
    rows = []
    for name in args.models.split(","):
        started = time.perf_counter()
        sf = StatsForecast(models=[_model(name)], freq=1, n_jobs=1)
        cv = sf.cross_validation(df=df, h=1, n_windows=n, step_size=1, level=list(LEVELS))
        cv = cv.sort_values("ds")
        assert cv["ds"].tolist() == origins.tolist(), "statsforecast forecast other days"
        pred = cv[name].to_numpy()
        err = pred - actual
        rmse = baselines.rmse(pred, actual)
        _, p = significance.dm_test(err, naive_err, 1)
        low, high = significance.skill_ci(err, naive_err, 1, np.random.default_rng(0))
        cells = [
            name,
            f"{rmse:.2f}",
            f"{baselines.skill(rmse, baselines.rmse(y[origins - 1], actual)):+.4f}",
            f"[{low:+.3f}, {high:+.3f}]",
            "n/a" if p is None else f"{p:.2f}",
        ]
        for level in LEVELS:
            lo, hi = cv[f"{name}-lo-{level}"].to_numpy(), cv[f"{name}-hi-{level}"].to_numpy()
            covered = np.mean((lo <= actual) & (actual <= hi))
            cells += [f"{100 * covered:.1f}", f"{np.mean(hi - lo):.1f}"]
        cells.append(f"{time.perf_counter() - started:.0f}")
        rows.append(cells)
        print("| " + " | ".join(cells) + " |", flush=True)
    naive_rmse = baselines.rmse(y[origins - 1], actual)
    header = ["method", "RMSE", "skill", "skill 95 % CI", "DM p"]
    header += [f"{level} % {k}" for level in LEVELS for k in ("covered", "width")] + ["seconds"]
    print(f"\nnaive RMSE {naive_rmse:.2f}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for cells in rows:
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
