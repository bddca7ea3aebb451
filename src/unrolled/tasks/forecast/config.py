"""The settings of `unrolled forecast`: the Config dataclass, the one step that resolves it, the
tutorial's recipe and the command-line flags (one per Config field).

A field whose "not given" matters is None by default, and so is its flag. `resolve` fills each
None once, from the first source that has it: the model file (--model), else the tutorial's
recipe (--tutorial), then DEFAULTS; then it checks every setting, before any data is read (only
the moving-average window waits for the data: see MA_WINDOW). A value the user gave is never
silently replaced: one that disagrees with the model file or the recipe is a one-line error
naming its flag, and a flag the user did not give is never named. The command line and Python
behave the same: a flag is a Config field that is not None.

With --model nothing is trained: the data is whatever --csv or --dataset names (without
either, one line says which data the model was trained on), every row of it is used (--rows
0), and without --test-size, --test-from or --test-csv the test period is the whole file
(whole_file).
"""

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unrolled.errors import InputError, invalid
from unrolled.tasks._shared.flags import add_common_flags, comma_list
from unrolled.tasks._shared.settings import (
    check_common,
    check_integer,
    defaults,
    fixed,
    flag,
    shown,
    unused,
)
from unrolled.tasks._shared.user_files import existing_file

CELLS = ("lstm", "gru", "rnn")
STRATEGIES = ("direct", "recursive")
TARGETS = ("price", "change")  # what the network models (data.WindowScaler)
# the settings with a fixed set of values (also checked in a model file, model.check_file)
CHOICES = {"strategy": STRATEGIES, "cell": CELLS, "target": TARGETS}


@dataclass
class Config:
    """Settings of one forecast run; each field is one command-line flag. None: not given, so
    `resolve` fills it (from the model file, the tutorial's recipe or DEFAULTS)."""

    csv: str | None = None  # a Yahoo-style daily CSV; None -> the built-in dataset
    dataset: str | None = None  # built-in series (`--dataset list`); None -> "sp500"
    column: str | None = None  # the price to forecast (for the Google course files use Open)
    features: tuple | None = None  # input columns (the target is always one); None -> target
    date_column: str = "Date"  # the CSV's date column
    fill: str | None = None  # "ffill" carries values over missing cells; None -> an error
    rows: int | None = None  # use the latest rows only; 0 -> all rows (the default with --model)
    end: str | None = None  # the last date used, to test on history; None -> the data's last
    test_size: float | None = None  # test rows at the end: a count (an int >= 1) or a fraction;
    # with --model and no --test-size, --test-from nor --test-csv it stays None: the whole file
    test_from: str | None = None  # first test date, instead of --test-size
    test_csv: str | None = None  # a separate test file that follows the training data
    lookback: int | None = None  # days each forecast sees
    horizon: int | None = None  # days ahead to forecast from each origin
    strategy: str | None = None  # "direct" (H outputs) or "recursive" (one step, fed back)
    target: str | None = None  # "price" (scaled levels) or "change" (from the last price)
    cell: str | None = None  # "lstm", "gru" or "rnn"
    units: int | None = None  # hidden units per layer
    layers: int | None = None  # stacked recurrent layers
    activation: str | None = None  # the cell's activation
    dropout: float | None = None  # dropout after each recurrent layer
    epochs: int | None = None  # at most; early stopping may end sooner
    batch_size: int | None = None  # windows per gradient step
    learning_rate: float | None = None  # Adam's step size
    validation: float | None = None  # share of training windows (the latest) for early stopping
    patience: int | None = None  # epochs without a better validation loss before stopping
    ma_window: int | None = None  # days in the moving-average baseline; None -> see MA_WINDOW
    interval: tuple | None = None  # prediction-band levels, each in (0, 1); () -> no bands
    backtest: int = 0  # walk-forward folds over the test period (refit per fold); 0 -> none
    predict_next: int = 0  # forecast this many trading days past the end (<= 1000)
    model: str | None = None  # forecast with a saved model file instead of training
    tutorial: bool = False  # the tutorial's exact recipe (see TUTORIAL)
    seed: int | None = None  # the random seed: same seed, same weights, same numbers
    out: str | None = None  # output folder; None -> runs/forecast-<time>/
    quiet: bool = False  # no progress bar, no facts; just the table
    json: bool = False  # print metrics.json to stdout (everything else goes to stderr)


# what a field that nothing else filled becomes, and why
DEFAULTS = dict(
    column="Close",  # the day's closing price, what a price series usually means
    rows=1260,  # about 5 trading years: enough windows, and markets not too unlike the test's
    test_size=0.2,  # the last fifth of the rows
    lookback=60,  # the course model's 60 days
    horizon=1,  # the next day, as in the tutorial
    strategy="direct",  # H outputs in one pass: no forecast is fed back as an input
    target="change",  # scale-free moves from the last price: lost least to persistence on
    # the 2015-2017 backtest folds (docs/forecast.md); "price" is the tutorial's levels
    cell="lstm",  # the tutorial's cell
    units=32,  # enough for one price series, and fast
    layers=1,  # one series needs no stack
    activation="tanh",  # Keras's default (the tutorial uses sigmoid)
    dropout=0.0,  # early stopping already guards against overfitting
    epochs=100,  # at most; early stopping usually ends after 30 to 50
    batch_size=32,  # Keras's default
    learning_rate=0.001,  # Adam's default
    validation=0.1,  # the latest tenth of the training windows watches for overfitting
    patience=10,  # epochs without a better validation loss before stopping
    interval=(0.8, 0.95),  # a band for a usual day and one for nearly every day
    seed=0,  # same seed, same weights, same numbers
)
# the moving-average window when none is given: about a trading month, or every training row
# if there are fewer (the one default that depends on the data: run fills it after the split)
MA_WINDOW = 20

MAX_PREDICT_NEXT = 1000  # the most that --predict-next asks: ~4 trading years; beyond, noise

# the tutorial's recipe: Open, lookback 1, LSTM(4, sigmoid), Dense(1), adam, mse, batch 32,
# 200 epochs, no validation split; MinMax fitted on the training file; one-step forecasts of
# the test file
TUTORIAL = dict(
    column="Open",
    features=("Open",),  # the target alone
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

# the settings a model file fixes: with --model they fill the fields left None
FILE_SETTINGS = (
    "column",
    "features",
    "lookback",
    "horizon",
    "strategy",
    "cell",
    "units",
    "layers",
    "activation",
    "dropout",
    "target",
)
# settings that only shape training: with --model nothing is trained, so giving one is an error
TRAINING_ONLY = ("epochs", "batch_size", "learning_rate", "validation", "patience", "seed")


def resolve(config, found=None):
    """The settings actually used, checked: each None field filled from the model file's
    settings (`found`: its extras, with --model), else the tutorial's recipe (--tutorial), then
    DEFAULTS. A given value that disagrees with the file or the recipe is an error."""
    if config.model is not None:
        if config.tutorial:
            raise InputError(
                f"Argument `--model`: {str(config.model)!r} is an already trained model, but "
                "--tutorial trains the tutorial's recipe from scratch; pass one or the other."
            )
        config = _from_file(config, found)
    elif config.tutorial:
        data = TUTORIAL_BUILTIN if config.csv is None else {"rows": 0}  # the whole training file
        hint = "leave {} out, or drop --tutorial to choose it"
        config = fixed(config, {**TUTORIAL, **data}, "the tutorial's recipe", hint.format)
    fill = DEFAULTS
    if config.model is not None and (config.test_from, config.test_csv) == (None, None):
        fill = {k: v for k, v in DEFAULTS.items() if k != "test_size"}  # None: the whole file
    config = defaults(config, fill)
    _check(config)
    return config


def whole_file(config):
    """A resolved config tests on the whole file: with --model and no --test-size,
    --test-from nor --test-csv. Its first `lookback` rows are history only, the inputs of the
    first forecasts; every later row is a test day (data.load_data)."""
    return config.test_size is None


def _from_file(config, found):
    """`config` with the model file's window and network settings (FILE_SETTINGS). A given flag
    that disagrees with the file, sets how to train (TRAINING_ONLY) or asks for a backtest
    (which trains a model per fold) is an error: the file's model is used as is."""
    path = f"--model {str(config.model)!r}"
    if config.csv is None and config.dataset is None:
        raise InputError(
            f"Argument `--model`: no prices to forecast were given; {_trained_on(found)}"
        )
    settings = {name: found["settings"][name] for name in FILE_SETTINGS}
    settings["features"] = tuple(settings["features"])  # JSON has lists; --features gives tuples
    config = fixed(
        config,
        settings,
        "the model file",
        lambda option: f"leave {option} out to use the model's setting",
    )
    why = (
        f"sets how a model is trained, but {path} is already trained and is not trained again; "
        "leave it out, or drop --model."
    )
    unused(config, TRAINING_ONLY, why)
    if config.rows is None:  # nothing is trained, so every row of the data can be forecast
        config = dataclasses.replace(config, rows=0)
    if config.backtest:
        raise InputError(
            f"Argument `--backtest`: a walk-forward backtest trains a new model per fold, but "
            f"{path} is already trained; run the backtest without --model."
        )
    return config


def _trained_on(found):
    """Which data a model file (its extras, `found`) was trained on, and how to pass data to
    it. A file saved before the extras recorded the data ("data") says only the dates."""
    column, start, end = found["settings"]["column"], found["train_from"], found["train_to"]
    span = f"from {start} to {end}"
    data = found.get("data") if isinstance(found.get("data"), dict) else {}
    if isinstance(data.get("dataset"), str):
        name = data["dataset"]
        return (
            f"the model was trained on the {column} prices of the built-in dataset {name!r} "
            f"{span}: pass --dataset {name} with --test-from DATE, a date after {end}, or a "
            "price file with --csv FILE."
        )
    if isinstance(data.get("csv"), str):
        return (
            f"the model was trained on the {column} prices of {data['csv']!r} {span}: pass "
            f"the prices to forecast, later than {end}, with --csv FILE."
        )
    return (
        f"the model file does not say which data it was trained on (its {column} prices "
        f"{span}): pass the prices to forecast, later than {end}, with --csv FILE or "
        "--dataset NAME."
    )


def input_columns(config):
    """The columns the model reads, target first (as load_prices orders them)."""
    return [config.column] + [c for c in (config.features or ()) if c != config.column]


def _check(config):
    """Validate every setting once, before any data is read (--ma-window may still be None)."""
    names = ("lookback", "horizon", "units", "layers", "epochs", "batch_size", "patience")
    for name in names:
        check_integer(getattr(config, name), flag(name))
    if config.ma_window is not None:
        check_integer(config.ma_window, "--ma-window")
    for name in ("rows", "backtest", "predict_next"):
        check_integer(getattr(config, name), flag(name), low=0)
    if config.predict_next > MAX_PREDICT_NEXT:
        expected = f"at most {MAX_PREDICT_NEXT} trading days (about four years)"
        raise invalid("--predict-next", expected, config.predict_next)
    for name, allowed in CHOICES.items():
        if getattr(config, name) not in allowed:
            raise invalid(flag(name), f"one of {', '.join(allowed)}", getattr(config, name))
    if not 0 <= config.dropout < 1:
        raise invalid("--dropout", "a number in [0, 1)", config.dropout)
    if not 0 <= config.validation < 1:
        raise invalid("--validation", "a number in [0, 1)", config.validation)
    if not config.learning_rate > 0:
        raise invalid("--learning-rate", "a positive number", config.learning_rate)
    if not all(0 < level < 1 for level in config.interval):
        expected = "levels in (0, 1), like 0.8,0.95"
        raise invalid("--interval", expected, config.interval)
    if not whole_file(config):
        _check_test_size(config.test_size)
    for name in ("csv", "test_csv"):
        if getattr(config, name) is not None and Path(getattr(config, name)).is_dir():
            existing_file(getattr(config, name), flag(name))  # a folder: one clear line
    check_common(config, "forecast")
    if config.csv is not None and config.dataset is not None:
        raise InputError("Pass either --csv FILE or --dataset NAME, not both.")
    if config.test_csv is not None and config.test_from is not None:
        raise InputError("Pass either --test-csv FILE or --test-from DATE, not both.")
    if config.test_csv is not None and config.end is not None:
        raise InputError("Pass either --test-csv FILE or --end DATE, not both.")
    n_inputs = len(input_columns(config))
    if config.strategy == "recursive" and n_inputs > 1:
        raise InputError(
            "--strategy recursive feeds each forecast back as the next input, so it needs a "
            f"single input column; got {n_inputs} features. Use --strategy direct."
        )
    n_out = outputs(config)
    if config.predict_next > n_out and n_inputs > 1:
        raise InputError(
            f"--predict-next {config.predict_next} is more than the model's {n_out} output(s), "
            f"so forecasts would be fed back as inputs; that needs a single input column. Use "
            f"--horizon {config.predict_next} or no --features."
        )


def _check_test_size(size):
    """A count is an int >= 1, a fraction a float in (0, 1): as in scikit-learn, 1.0 is a
    fraction (the whole series, no training rows), so a float >= 1 is refused, never rounded."""
    is_count = isinstance(size, int | np.integer) and not isinstance(size, bool)
    is_fraction = isinstance(size, float | np.floating) and 0 < size < 1
    if (is_count and size >= 1) or is_fraction:
        return
    expected = "a row count (>= 1) or a fraction in (0, 1)"
    if isinstance(size, float | np.floating) and size >= 1 and float(size).is_integer():
        n = int(size)
        expected = (
            f"a row count without a decimal point (write {n} for {n} row{'s' if n > 1 else ''}) "
            "or a fraction below 1 (like 0.2)"
        )
    raise invalid("--test-size", expected, size)


def outputs(config):
    """Outputs of the model: H for the direct strategy, 1 for the recursive one."""
    return config.horizon if config.strategy == "direct" else 1


def _test_size(text):
    """--test-size as typed: "20" -> 20 rows (int), "0.2" or "1.0" -> a fraction (float), which
    resolve then requires below 1, as scikit-learn's train_test_split does."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a row count or a fraction, got {text!r}"
        ) from None


def _tutorial_help():
    """--tutorial's help, the recipe in a few words (an installed package has no docs/)."""
    t = TUTORIAL
    return (
        f"the tutorial's exact recipe: {t['column']} prices, lookback {t['lookback']}, "
        f"{t['cell'].upper()}({t['units']}, {t['activation']}) -> Dense(1), adam, "
        f"batch {t['batch_size']}, {t['epochs']} epochs, no validation split; without --csv "
        f"it tests on the built-in series' last {TUTORIAL_BUILTIN['test_size']} days"
    )


def add_flags(parser):
    """Add one flag per Config field to `parser`. A field that is None until resolved has a None
    flag too, with its real default (DEFAULTS) in the help; the others show Config's default."""
    config = Config()

    def add(flag, help, **kwargs):
        name = flag[2:].replace("-", "_")
        default = getattr(config, name)
        if default is False:  # a switch
            kwargs["action"] = "store_true"
        else:
            real = DEFAULTS.get(name, default)
            kwargs.setdefault("type", str if real is None else type(real))
            if name in DEFAULTS:
                help = f"{help} (default: {shown(name, real)})"
            kwargs["default"] = default
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
    add("--end", "last date used, YYYY-MM-DD (default: the data's last)", metavar="DATE")
    add("--test-size", "test rows (a count: 20) or a fraction below 1 (0.2)", type=_test_size)
    add("--test-from", "first test date, YYYY-MM-DD (instead of --test-size)", metavar="DATE")
    add("--test-csv", "separate test CSV that follows the training data", metavar="FILE")
    add("--lookback", "days each forecast sees")
    add("--horizon", "days ahead to forecast")
    add("--strategy", "H outputs, or 1 fed back H times", choices=STRATEGIES)
    add("--target", "model scaled prices, or changes from the last", choices=TARGETS)
    add("--cell", "recurrent cell", choices=CELLS)
    add("--units", "hidden units per layer")
    add("--layers", "stacked recurrent layers")
    add("--activation", "the cell's activation")
    add("--dropout", "dropout after each recurrent layer")
    add("--epochs", "training epochs (at most; early stopping may end sooner)")
    add("--batch-size", "windows per gradient step")
    add("--learning-rate", "Adam's step size")
    add("--validation", "latest share of training windows for early stopping (0: none)")
    add("--patience", "early stopping: epochs without improvement")
    add(
        "--ma-window",
        f"days in the moving-average baseline (default: {MA_WINDOW}, or the training rows if "
        "fewer)",
        type=int,
    )
    add(
        "--interval",
        "prediction-band levels, comma-separated ('' for none)",
        type=comma_list(float, "levels"),
    )
    add("--backtest", "walk-forward folds over the test period, refit per fold", metavar="N")
    add(
        "--predict-next",
        f"forecast N trading days past the end (N <= {MAX_PREDICT_NEXT})",
        metavar="N",
    )
    add("--model", "forecast with a saved model file instead of training", metavar="FILE")
    add("--tutorial", _tutorial_help())
    add("--seed", "random seed")  # not add_common_flags' --seed: None when not given
    add_common_flags(
        parser,
        quiet="print only the results table",
        json="print metrics.json to stdout (the rest goes to stderr)",
        seed=None,
    )
