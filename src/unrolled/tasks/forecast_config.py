"""The settings of `unrolled forecast`: the Config dataclass, the tutorial's recipe and the
command-line flags, one per Config field, with Config's defaults shown in --help.
"""

import argparse
import dataclasses
from dataclasses import dataclass

from unrolled.tasks import forecast_data
from unrolled.tasks._common import add_common_flags, comma_list
from unrolled.tasks.forecast_scaling import TARGETS


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


def resolve(config):
    """The settings actually used: with --tutorial, the tutorial's recipe replaces the flags."""
    if config.tutorial:
        data = TUTORIAL_BUILTIN if config.csv is None else {"rows": 0}  # the whole training file
        config = dataclasses.replace(config, **TUTORIAL, **data)
    return config


def _test_size(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a row count or a fraction, got {text!r}"
        ) from None
    return int(value) if value >= 1 and value.is_integer() else value


def add_flags(parser):
    """Add one flag per Config field to `parser`, defaults taken from Config()."""
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
