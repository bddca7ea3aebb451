"""`unrolled forecast`: the tutorial's stock-price LSTM, done honestly.

The tutorial trains an LSTM on daily Google prices and plots its one-step predictions beside
the real prices. Such a model, fed yesterday's true price, mostly learns persistence
("tomorrow = today"), so its curve is the real one shifted by a day. Here every result stands
beside naive baselines computed from the same origins, on a test period the model and its
scalers never saw:
    1) load the series (CSV or built-in) and split it by date: train | test
    2) cut lookback windows; fit the scaler (data.WindowScaler) on the training part only
    3) train (early stopping on the last slice of the training part) or load a model file
    4) forecast every test origin (direct: H outputs; recursive: one step fed back H times)
    5) score the model and the naive, drift and moving-average forecasts: skill vs naive with
       its bootstrap interval and a Diebold-Mariano p-value; conformal bands for each
    6) optionally: a walk-forward backtest (refit per fold) and a forecast past the data's end
    7) write forecast.png, predictions.csv, metrics.json and the model file; print the table
The settings and flags live in config.py; the series, its split, windows and scaling in data.py;
the network, its training, forecasts and model file in model.py; the naive forecasts and the
metrics in baselines.py, the significance tests in significance.py, the prediction bands in
intervals.py; metrics.json, the plot and the printed tables in report.py.
"""

import dataclasses
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unrolled import config as unrolled_config
from unrolled.files import run_dir
from unrolled.tasks._shared.flags import add_task_parser, config_from
from unrolled.tasks._shared.printing import printer
from unrolled.tasks._shared.user_files import run_folder
from unrolled.tasks.forecast import baselines, report
from unrolled.tasks.forecast import model as forecast_model
from unrolled.tasks.forecast.config import MA_WINDOW, Config, add_flags, resolve, whole_file
from unrolled.tasks.forecast.data import WindowScaler, load_data, ma_rows

__all__ = ["Result", "add_parser", "run"]


@dataclass
class Result:
    """What `run` returns: the metrics document, the printed table and where files went."""

    metrics: dict  # exactly what metrics.json holds
    table: str  # the results table as printed
    out: Path  # the run folder
    files: dict  # name -> path of each written file
    model: object  # the trained (or loaded) model


def run(config):
    """Run one forecast (see the module docstring) and write its folder; returns a Result.

    A field of `config` left None is filled from the model file (config.model), the tutorial's
    recipe (config.tutorial) or the defaults, the same as its flag left out (config.resolve).
    """
    started = time.perf_counter()
    # the settings: a model file's fill the fields left None (beside --tutorial, resolve
    # refuses --model before the file is read)
    saved = None
    if config.model is not None and not config.tutorial:
        saved = forecast_model.load(config.model)  # (model, extras)
    config = resolve(config, None if saved is None else saved[1])
    say = printer(config.json, config.quiet)
    unrolled_config.set_seed(config.seed)

    # 1) data and split; every user error is raised before anything is written
    data = load_data(config)
    if saved is not None:
        forecast_model.check_unseen(saved[1], data)
    T, s = len(data.dates), data.split
    if config.ma_window is None:  # not given: a trading month, or every row it can reach if fewer
        config = dataclasses.replace(config, ma_window=min(MA_WINDOW, ma_rows(T, s, config)))
    p = data.provenance
    say(f"data: {_describe_source(p)}, {T:,} rows {p['first_date']} .. {p['last_date']}")
    for notice in data.notices:
        say(f"note: {notice}")
    say(f"target: {data.columns[0]}; inputs: {', '.join(data.columns)}")
    before = f"{_rows(s)} {p['train']['from']} .. {p['train']['to']}"
    if saved is None:
        say(f"train: {before}")
    else:  # nothing is trained: the rows before the test period are only inputs
        first = "the first forecast's inputs" if whole_file(config) else "inputs only"
        say(f"history: {before} ({first}; the model was trained up to {saved[1]['train_to']})")
    say(f"test:  {_rows(T - s)} {p['test']['from']} .. {p['test']['to']}")
    if config.tutorial:
        say("recipe: the tutorial's (" + forecast_model.recipe(config) + ")")

    # 2) + 3) the scaler is fitted on the training rows only, then train (or reuse a model)
    if saved is None:
        model, scaler, history = forecast_model.fit(data.values, s, config, say)
    else:
        model, scaler, history = saved[0], WindowScaler.from_state(saved[1]["scaler"]), None
        say(f"model: loaded from {config.model} (no training)")

    # 4) + 5) forecast every test origin t = s .. T-H from rows t-L .. t-1, and the
    # baselines from the same origins, with bands; metrics and skill against naive
    rng = np.random.default_rng(config.seed)  # the skill bootstrap's (training has its own)
    origins, forecasts, bands, actual, scores = forecast_model.score_block(
        model, scaler, data, config, s, T, rng
    )
    pred = forecasts["model"]  # (W, H) prices
    name = forecast_model.model_name(config)
    verdict = baselines.skill_sentence(name, scores["model"], len(origins))

    # 6) walk-forward backtest and the forecast past the data's end
    backtest = None
    if config.backtest:
        backtest = forecast_model.backtest(data, config, say, rng)
    future = None
    if config.predict_next:
        future = forecast_model.predict_next(model, data, config, scaler)

    # 7) outputs
    extras = {"test_origins": len(origins), "tutorial_pairing_rmse": None}
    if config.tutorial and len(pred) > 1:
        # the tutorial draws the prediction made from day j's price beside day j itself
        extras["tutorial_pairing_rmse"] = baselines.rmse(pred[1:, 0], actual[:-1, 0])
    document = report.document(
        config=config,
        provenance=data.provenance,
        scores=scores,
        verdict=verdict,
        model_name=name,
        history=history,
        backtest=backtest,
        future=future,
        extras=extras,
    )
    out = run_dir(config.out, "forecast")
    with run_folder(out) as folder:  # all or nothing: `out` appears once it is complete
        files = report.write(
            folder,
            document,
            data=data,
            origins=origins,
            forecasts=forecasts,
            bands=bands,
            actual=actual,
            future=future,
            model=model if saved is None else None,
            model_extras=forecast_model.extras(config, data, scaler),
        )
        if document["plot_skipped"]:  # every other file is written; say so even with --quiet
            print(
                f"warning: forecast.png skipped: the plot could not be drawn "
                f"({document['plot_skipped']}); the other files are written.",
                file=sys.stderr,
            )
        document["files"] = {k: str(out / v.name) for k, v in files.items()}
        document["seconds"] = round(time.perf_counter() - started, 2)
        report.write_metrics(files["metrics"], document)
    files = {k: out / v.name for k, v in files.items()}
    table = report.tables(document)
    # the table and verdict always print (to stderr with --json, where stdout is the JSON)
    show = printer(config.json, quiet=config.quiet and config.json)
    show()
    show(table)
    show()
    show(verdict)
    if extras["tutorial_pairing_rmse"] is not None:
        show(report.tutorial_pairing_sentence(document))
    for key, path in files.items():
        say(f"{key}: {path}")
    if config.json:
        print(report.dumps(document))
    return Result(document, table, out, files, model)


def _rows(n):
    return f"{n:,} row{'' if n == 1 else 's'}"


def _describe_source(provenance):
    if provenance["dataset"]:
        return f"built-in dataset {provenance['dataset']!r}"
    return " + ".join(provenance["source"].values())


def add_parser(subparsers):
    """Add `unrolled forecast`: one flag per Config field, defaults shown in --help."""
    help = "forecast stock prices with an RNN, beside naive baselines"
    parser = add_task_parser(subparsers, "forecast", help, __doc__)
    add_flags(parser)
    parser.set_defaults(func=_main)
    return parser


def _main(args):
    if args.dataset == "list":
        from unrolled.data import list_datasets

        print("datasets (forecast reads the price series; --csv reads any Yahoo-style file):")
        for name, description in list_datasets().items():
            print(f"  {name:16s} {description}")
        return 0
    run(config_from(Config, args))
    return 0
