"""The settings of `unrolled forecast`: the Config dataclass, the tutorial's recipe, the
command-line flags (one per Config field, with Config's defaults shown in --help) and the
settings a model file carries. A flag the user gives is never silently replaced: where
--tutorial or --model fixes a setting, a different value given for it is a one-line error.
"""

import argparse
import dataclasses
from dataclasses import dataclass

import numpy as np

from unrolled.errors import InputError
from unrolled.tasks._shared.common import (
    Given,
    GivenTrue,
    add_common_flags,
    comma_list,
    flag,
    refuse_disagreeing,
    refuse_given,
    same,
    shown,
)
from unrolled.tasks.forecast import data as forecast_data
from unrolled.tasks.forecast.scaling import TARGETS, WindowScaler


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


def check_file(path, model, found):
    """One line naming --model and the file unless the forecast model file is usable: every
    setting present and valid and matching its network, its scaler and training span intact."""

    def bad(what):
        return InputError(
            f"Argument `--model`: the model file {str(path)!r} {what}; it cannot be used."
        )

    s = found.get("settings")
    keys = [k for k in ("columns", "train_from", "train_to", "scaler") if k not in found]
    if not isinstance(s, dict):
        raise bad("has no forecast settings (extras.settings)")
    keys += [f"settings.{k}" for k in FILE_SETTINGS if k not in s]
    if keys:
        raise bad(f"has no {', '.join(keys)}")
    expect = {k: ("an integer >= 1", _positive) for k in ("lookback", "horizon", "units", "layers")}
    expect.update(
        {k: (f"one of {', '.join(v)}", v.__contains__) for k, v in forecast_data.CHOICES.items()}
    )
    expect["dropout"] = ("a number in [0, 1)", lambda v: _number(v) and 0 <= v < 1)
    expect["column"] = expect["activation"] = ("a name", lambda v: isinstance(v, str) and v)
    expect["features"] = ("a list of column names", _names)
    for key, (expected, ok) in expect.items():
        if not ok(s[key]):
            raise bad(f"has {key} {s[key]!r} in its settings, expected {expected}")
    for key in ("train_from", "train_to"):
        try:
            np.datetime64(str(found[key]), "D")
        except ValueError:
            raise bad(f"has {key} {found[key]!r}, expected a date like 2018-01-02") from None
    n_out = s["horizon"] if s["strategy"] == "direct" else 1
    shape = (s["lookback"], len(s["features"]), n_out)
    if (*model.input_shape[1:], model.output_shape[-1]) != shape:
        raise bad(
            f"says lookback {shape[0]}, {shape[1]} input(s) and {n_out} output(s), but its "
            f"network reads {model.input_shape[1:]} and writes {model.output_shape[-1]}"
        )
    try:
        scaler = WindowScaler.from_state(found["scaler"])
        fitted = hasattr(scaler.x_, "n_features_in_") and hasattr(scaler.y_, "n_features_in_")
    except (InputError, KeyError, TypeError, ValueError, AttributeError):
        fitted = False
    if not fitted or scaler.target != s["target"]:
        raise bad(f"has no fitted scaler for --target {s['target']} (extras.scaler is damaged)")


def _number(v):
    return not isinstance(v, bool) and isinstance(v, int | float)


def _names(v):
    return isinstance(v, list) and v and all(isinstance(c, str) for c in v)


def _positive(v):
    return not isinstance(v, bool) and isinstance(v, int) and v >= 1


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
    add("--predict-next", "forecast N trading days past the end (N <= 1000)", metavar="N")
    add("--model", "forecast with a saved model file instead of training", metavar="FILE")
    add("--tutorial", _tutorial_help())
    add_common_flags(
        parser,
        quiet="print only the results table",
        json="print metrics.json to stdout (the rest goes to stderr)",
    )
