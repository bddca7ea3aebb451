"""`unrolled forecast`: the tutorial's stock-price LSTM, done honestly.

The tutorial trains an LSTM on daily Google prices and plots its one-step predictions beside
the real prices. Such a model, fed yesterday's true price, mostly learns persistence
("tomorrow = today"), so its curve is the real one shifted by a day. Here every result stands
beside naive baselines computed from the same origins, on a test period the model and its
scalers never saw:
    1) load the series (CSV or built-in) and split it by date: train | test
    2) cut lookback windows; fit the MinMax scaler on the training part only
    3) train (early stopping on the last slice of the training part) or load a model file
    4) forecast every test origin (direct: H outputs; recursive: one step fed back H times)
    5) score the model and the naive, drift and moving-average forecasts; skill vs naive
    6) optionally: a walk-forward backtest (refit per fold) and a forecast past the data's end
    7) write forecast.png, predictions.csv, metrics.json and the model file; print the table
The data and split live in forecast_data.py, the scaling in forecast_scaling.py, the model in
forecast_model.py, the outputs in forecast_report.py, the baselines and metrics in baselines.py.
"""

import argparse
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

from unrolled import config as unrolled_config
from unrolled.tasks import baselines, forecast_data, forecast_model, forecast_report
from unrolled.tasks._common import (
    add_common_flags,
    add_task_parser,
    comma_list,
    config_from,
    printer,
)
from unrolled.tasks.forecast_scaling import TARGETS

__all__ = ["TUTORIAL", "Config", "Result", "add_parser", "run"]


@dataclass
class Config:
    """Settings of one forecast run; each field is one command-line flag."""

    csv: str | None = None  # a Yahoo-style daily CSV; None -> the built-in dataset
    dataset: str | None = None  # built-in series (`--dataset list`); None -> "sp500"
    column: str = "Close"  # the price to forecast (for the Google course files use Open)
    features: tuple | None = None  # input columns (the target is always one); None -> target
    date_column: str = "Date"  # the CSV's date column
    fill: str | None = None  # "ffill" carries values over missing cells; None -> an error
    rows: int = 1260  # use the latest rows only (about 5 trading years); 0 -> all rows
    test_size: float = 0.2  # test rows at the end: a count (>= 1) or a fraction (< 1)
    test_from: str | None = None  # first test date, instead of --test-size
    test_csv: str | None = None  # a separate test file that follows the training data
    lookback: int = 60  # days each forecast sees (the course model's 60)
    horizon: int = 1  # days ahead to forecast from each origin
    strategy: str = "direct"  # "direct" (H outputs) or "recursive" (one step, fed back)
    target: str = "price"  # "price" (scaled levels, the tutorial's) or "change" (from the last)
    cell: str = "lstm"  # "lstm", "gru" or "rnn"
    units: int = 32  # hidden units per layer: enough for one price series, and fast
    layers: int = 1  # stacked recurrent layers
    activation: str = "tanh"  # the cell's activation (the tutorial uses sigmoid)
    dropout: float = 0.0  # dropout after each recurrent layer
    epochs: int = 100  # at most; early stopping usually ends after 30 to 50
    batch_size: int = 32  # Keras's default
    learning_rate: float = 0.001  # Adam's default
    validation: float = 0.1  # share of training windows (the latest) used for early stopping
    patience: int = 10  # epochs without a better validation loss before stopping
    ma_window: int = 20  # days in the moving-average baseline (about a trading month)
    backtest: int = 0  # walk-forward folds over the test period (refit per fold); 0 -> none
    predict_next: int = 0  # also forecast this many trading days past the data's end
    model: str | None = None  # forecast with a saved model file instead of training
    tutorial: bool = False  # the tutorial's exact recipe (see TUTORIAL)
    seed: int = 0  # same seed, same weights, same numbers
    out: str | None = None  # output folder; None -> runs/forecast-<time>/
    quiet: bool = False  # no progress bar, no facts; just the table
    json: bool = False  # print metrics.json to stdout (everything else goes to stderr)


# --tutorial: Open, lookback 1, LSTM(4, sigmoid), Dense(1), adam, mse, batch 32, 200 epochs,
# no validation split; MinMax fitted on the training file; one-step forecasts of the test file
TUTORIAL = dict(
    column="Open",
    features=None,
    lookback=1,
    horizon=1,
    strategy="direct",
    target="price",
    cell="lstm",
    units=4,
    layers=1,
    activation="sigmoid",
    dropout=0.0,
    epochs=200,
    batch_size=32,
    learning_rate=0.001,
    validation=0.0,
)
# without --csv the tutorial recipe runs on the built-in series: 1258 training days (the size of
# the Google training file) followed by a 20-day test period (the size of its test file)
TUTORIAL_BUILTIN = dict(rows=1278, test_size=20, test_from=None)


@dataclass
class Result:
    """What `run` returns: the metrics document, the printed table and where files went."""

    metrics: dict  # exactly what metrics.json holds
    table: str  # the results table as printed
    out: Path  # the run folder
    files: dict  # name -> path of each written file
    model: object  # the trained (or loaded) model


def _resolve(config):
    """The settings actually used: with --tutorial, the tutorial's recipe replaces the flags."""
    if config.tutorial:
        data = TUTORIAL_BUILTIN if config.csv is None else {"rows": 0}  # the whole training file
        config = dataclasses.replace(config, **TUTORIAL, **data)
    return config


def run(config, saved=None):
    """Run one forecast (see the module docstring) and write its folder; returns a Result.

    saved: an already loaded (model, extras) pair, else loaded from config.model if given.
    """
    started = time.perf_counter()
    config = _resolve(config)
    if config.model is not None and saved is None:
        saved = forecast_model.load(config.model)
    if saved is not None:
        config = forecast_model.settings_from_file(config, saved[1])
    forecast_data.check_settings(config)
    say = printer(config.json, config.quiet)
    unrolled_config.set_seed(config.seed)
    n_out = forecast_model.outputs(config)

    # 1) data and split; every user error is raised before anything is written
    data = forecast_data.load_data(config, n_out)
    if saved is not None:
        forecast_model.check_unseen(saved[1], data)
    T, s, L, H = len(data.dates), data.split, config.lookback, config.horizon
    p = data.provenance
    say(f"data: {_describe_source(p)}, {T:,} rows {p['first_date']} .. {p['last_date']}")
    for notice in data.notices:
        say(f"note: {notice}")
    say(f"target: {data.columns[0]}; inputs: {', '.join(data.columns)}")
    say(f"train: {s:,} rows {p['train']['from']} .. {p['train']['to']}")
    say(f"test:  {T - s:,} rows {p['test']['from']} .. {p['test']['to']}")
    if config.tutorial:
        say("recipe: the tutorial's (" + forecast_model.recipe(config) + ")")

    # 2) + 3) the scaler is fitted on the training rows only, then train (or reuse a model)
    if saved is None:
        model, scaler, history = forecast_model.fit(data.values, s, config, say)
    else:
        model, scaler, history = saved[0], forecast_model.scaler_from(saved[1]), None
        say(f"model: loaded from {config.model} (no training)")

    # 4) forecast every test origin t = s .. T-H from rows t-L .. t-1
    X_test, _, origins = forecast_data.windows(data.values, L, H, s, T)
    pred = forecast_model.predict(model, X_test, H, scaler)  # (W, H) prices

    # 5) the same origins for the baselines; metrics and skill against naive
    y = data.target
    forecasts = {"model": pred, **baselines.baseline_forecasts(y, origins, H, config.ma_window)}
    actual = baselines.actuals(y, origins, H)
    scores = baselines.score(forecasts, actual, y[origins - 1])
    name = forecast_model.model_name(config)
    verdict = baselines.skill_sentence(name, scores["model"]["skill"])

    # 6) walk-forward backtest and the forecast past the data's end
    backtest = None
    if config.backtest:
        backtest = forecast_model.backtest(data, config, say)
    future = None
    if config.predict_next:
        future = forecast_model.predict_next(model, data, config, scaler)

    # 7) outputs
    extras = {"test_origins": len(origins), "tutorial_pairing_rmse": None}
    if config.tutorial and len(pred) > 1:
        # the tutorial draws the prediction made from day j's price beside day j itself
        extras["tutorial_pairing_rmse"] = baselines.rmse(pred[1:, 0], actual[:-1, 0])
    document = forecast_report.document(
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
    out = Path(config.out) if config.out else forecast_report.default_out()
    files = forecast_report.write(
        out,
        document,
        data=data,
        origins=origins,
        forecasts=forecasts,
        actual=actual,
        future=future,
        model=model if saved is None else None,
        model_extras=forecast_model.extras(config, data, scaler),
    )
    document["files"] = {k: str(v) for k, v in files.items()}
    document["seconds"] = round(time.perf_counter() - started, 2)
    forecast_report.write_metrics(files["metrics"], document)
    table = forecast_report.tables(document)
    # the table and verdict always print (to stderr with --json, where stdout is the JSON)
    show = printer(config.json, quiet=config.quiet and config.json)
    show()
    show(table)
    show()
    show(verdict)
    if extras["tutorial_pairing_rmse"] is not None:
        show(forecast_report.tutorial_pairing_sentence(document))
    for key, path in files.items():
        say(f"{key}: {path}")
    if config.json:
        print(forecast_report.dumps(document))
    return Result(document, table, out, files, model)


def _describe_source(provenance):
    if provenance["dataset"]:
        return f"built-in dataset {provenance['dataset']!r}"
    return " + ".join(provenance["source"].values())


def _test_size(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a row count or a fraction, got {text!r}"
        ) from None
    return int(value) if value >= 1 and value.is_integer() else value


def add_parser(subparsers):
    """Add `unrolled forecast`: one flag per Config field, defaults shown in --help."""
    help = "forecast stock prices with an RNN, beside naive baselines"
    parser = add_task_parser(subparsers, "forecast", help, __doc__)
    d = Config()

    def add(flag, help, **kwargs):
        name = flag[2:].replace("-", "_")
        if kwargs.get("action") != "store_true":
            kwargs.setdefault("default", getattr(d, name))
            default = getattr(d, name)
            kwargs.setdefault("type", str if default is None else type(default))
        parser.add_argument(flag, help=help, **kwargs)

    add("--csv", "Yahoo-style daily price CSV (Date,Open,...)", metavar="FILE")
    add("--dataset", "built-in series, sp500 if none; 'list' shows them", metavar="NAME")
    add("--column", "the price to forecast")
    add(
        "--features",
        "input columns, comma-separated (multivariate)",
        type=comma_list(str, "column names"),
    )
    add("--date-column", "the CSV's date column")
    add("--fill", "handle missing values instead of failing", choices=("ffill", "drop"))
    add("--rows", "use only the latest N rows (0: all)")
    add("--test-size", "test rows (>= 1) or fraction (< 1)", type=_test_size)
    add("--test-from", "first test date, YYYY-MM-DD (instead of --test-size)", metavar="DATE")
    add("--test-csv", "separate test CSV that follows the training data", metavar="FILE")
    add("--lookback", "days each forecast sees")
    add("--horizon", "days ahead to forecast")
    add("--strategy", "H outputs, or 1 fed back H times", choices=forecast_data.STRATEGIES)
    add("--target", "model scaled prices, or changes from the last", choices=TARGETS)
    add("--cell", "recurrent cell", choices=forecast_data.CELLS)
    add("--units", "hidden units per layer")
    add("--layers", "stacked recurrent layers")
    add("--activation", "the cell's activation")
    add("--dropout", "dropout after each recurrent layer")
    add("--epochs", "training epochs (at most; early stopping may end sooner)")
    add("--batch-size", "windows per gradient step")
    add("--learning-rate", "Adam's step size")
    add("--validation", "latest share of training windows for early stopping (0: none)")
    add("--patience", "early stopping: epochs without improvement")
    add("--ma-window", "days in the moving-average baseline")
    add("--backtest", "walk-forward folds over the test period, refit per fold", metavar="N")
    add("--predict-next", "also forecast N trading days past the data's end", metavar="N")
    add("--model", "forecast with a saved model file instead of training", metavar="FILE")
    add("--tutorial", "the tutorial's exact recipe (see docs/forecast.md)", action="store_true")
    add_common_flags(
        parser,
        quiet="print only the results table",
        json="print metrics.json to stdout (the rest goes to stderr)",
    )
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
