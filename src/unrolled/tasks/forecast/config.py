"""The settings of `unrolled forecast`: the Config dataclass, the tutorial's recipe, the
command-line flags (one per Config field, with Config's defaults shown in --help), the settings
a model file carries, and the check of them all before any data is read. A flag the user gives
is never silently replaced: where --tutorial or --model fixes a setting, a different value
given for it is a one-line error.
"""

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unrolled.errors import InputError, invalid
from unrolled.tasks._shared.common import (
    Given,
    GivenTrue,
    add_common_flags,
    check_common,
    check_integer,
    comma_list,
    existing_file,
    flag,
    refuse_disagreeing,
    refuse_given,
    same,
    shown,
)

CELLS = ("lstm", "gru", "rnn")
STRATEGIES = ("direct", "recursive")
TARGETS = ("price", "change")  # what the network models (data.WindowScaler)
# the settings with a fixed set of values (also checked in a model file, model.check_file)
CHOICES = {"strategy": STRATEGIES, "cell": CELLS, "target": TARGETS}


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
    test_size: float = 0.2  # test rows at the end: a count (an int >= 1) or a fraction (< 1)
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
    predict_next: int = 0  # forecast this many trading days past the end (<= 1000)
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


# the settings a model file fixes: with --model they replace the command line's
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


def resolve(config, given=()):
    """The settings actually used: with --tutorial, the tutorial's recipe fills every setting it
    fixes; a flag in `given` that asks for something else is an error, never ignored."""
    if not config.tutorial:
        return config
    if config.model is not None:
        raise InputError(
            f"Argument `--model`: {str(config.model)!r} is an already trained model, but "
            "--tutorial trains the tutorial's recipe from scratch; pass one or the other."
        )
    data = TUTORIAL_BUILTIN if config.csv is None else {"rows": 0}  # the whole training file
    recipe = {**TUTORIAL, **data}
    uses = dict(recipe, features=(recipe["column"],))  # features None: the target alone
    for key, value in uses.items():
        if key in given and not same(getattr(config, key), value):
            raise InputError(
                f"Argument `{flag(key)}`: --tutorial runs the tutorial's recipe, which uses "
                f"{shown(key, value)}, got {shown(key, getattr(config, key))}; leave "
                f"{flag(key)} out, or drop --tutorial to choose it."
            )
    return dataclasses.replace(config, **recipe)


def settings_from_file(config, found, given):
    """The config with the model file's window and network settings (see FILE_SETTINGS).

    A flag in `given` that disagrees with the file, sets how to train (TRAINING_ONLY) or asks
    for a backtest (which trains a model per fold) is an error: the file's model is used as is.
    """
    path = repr(str(config.model)) if config.model is not None else "file"
    settings = dict(found["settings"], features=tuple(found["settings"]["features"]))
    refuse_disagreeing(config, settings, given)  # a list of features equals their tuple
    refuse_given(
        config,
        TRAINING_ONLY,
        given,
        lambda one, flags, _: (
            f"{flags}: {'sets' if one else 'set'} how a model is "
            f"trained, but --model {path} is already trained and is not trained again; leave "
            f"{'it' if one else 'them'} out, or drop --model."
        ),
    )
    if config.backtest:
        raise InputError(
            f"Argument `--backtest`: a walk-forward backtest trains a new model per fold, but "
            f"--model {path} is already trained; run the backtest without --model."
        )
    return dataclasses.replace(config, **settings)


def input_columns(config):
    """The columns the model reads, target first (as load_prices orders them)."""
    return [config.column] + [c for c in (config.features or ()) if c != config.column]


def check_settings(config):
    """Validate every setting once, before any data is read."""

    names = ("lookback", "horizon", "units", "layers", "epochs", "batch_size", "patience")
    for name in (*names, "ma_window"):
        check_integer(getattr(config, name), flag(name))
    for name in ("rows", "backtest", "predict_next"):
        check_integer(getattr(config, name), flag(name), low=0)
    for name, allowed in CHOICES.items():
        if getattr(config, name) not in allowed:
            raise invalid(flag(name), f"one of {', '.join(allowed)}", getattr(config, name))
    if config.fill not in (None, "ffill", "drop"):
        raise invalid("--fill", "ffill or drop", config.fill)
    if not 0 <= config.dropout < 1:
        raise invalid("--dropout", "a number in [0, 1)", config.dropout)
    if not 0 <= config.validation < 1:
        raise invalid("--validation", "a number in [0, 1)", config.validation)
    if not config.learning_rate > 0:
        raise invalid("--learning-rate", "a positive number", config.learning_rate)
    _check_test_size(config.test_size)
    for name in ("csv", "test_csv"):
        if getattr(config, name) is not None and Path(getattr(config, name)).is_dir():
            existing_file(getattr(config, name), flag(name))  # a folder: one clear line
    check_common(config, "forecast")
    if config.test_csv is not None and config.test_from is not None:
        raise InputError("Pass either --test-csv FILE or --test-from DATE, not both.")
    n_inputs = len(input_columns(config))
    if config.strategy == "recursive" and n_inputs > 1:
        raise InputError(
            "--strategy recursive feeds each forecast back as the next input, so it needs a "
            f"single input column; got {n_inputs} features. Use --strategy direct."
        )
    n_out = config.horizon if config.strategy == "direct" else 1
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
    check_settings then requires below 1, as scikit-learn's train_test_split does."""
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
    """Add one flag per Config field to `parser`, defaults taken from Config()."""
    d = Config()

    def add(flag, help, **kwargs):
        default = getattr(d, flag[2:].replace("-", "_"))
        if default is False:  # a switch
            kwargs["action"] = GivenTrue
        else:
            kwargs.update(action=Given, default=default)
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
    add("--ma-window", "days in the moving-average baseline")
    add("--backtest", "walk-forward folds over the test period, refit per fold", metavar="N")
    add("--predict-next", "forecast N trading days past the end (N <= 1000)", metavar="N")
    add("--model", "forecast with a saved model file instead of training", metavar="FILE")
    add("--tutorial", _tutorial_help())
    add_common_flags(
        parser,
        quiet="print only the results table",
        json="print metrics.json to stdout (the rest goes to stderr)",
    )
