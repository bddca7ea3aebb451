"""The forecast task's data: load, pick the test period, cut windows and scale them, without
leakage.

The series has T rows in date order and F columns, column 0 being the price to forecast. Rows
0 .. s-1 are the training part and rows s .. T-1 the test part (chronological, never shuffled):
    scalers       fitted on rows 0 .. s-1 only (fold by fold in a backtest)
    train windows targets in rows lookback .. s-1, inputs before each target
    test windows  one per origin t = s .. T-H: inputs rows t-L .. t-1 (the last training rows
                  are allowed: they are known when the forecast is made), targets rows t .. t+H-1
So no training target and no scaler statistic comes from the test part, and every prediction
uses only rows before its origin. With --model nothing is trained, and without a test flag the
test period is the whole file (config.whole_file): s = lookback, so rows 0 .. L-1 are history
only, the inputs of the first forecast, and every later row is a test day.

WindowScaler turns raw windows X (W, L, F) and targets Y (W, M) into model inputs and outputs
back into prices, in one of two ways (--target):
    price   the tutorial's: MinMax-scaled levels, fitted on the training rows only.
            inputs = mm_x(X), outputs = mm_y(Y); a price above the training range maps above 1,
            which a saturating network struggles to reach (trending prices are hard here).
    change  relative to the last known row: r = X / X[:, -1] - 1, target Y / X[:, -1, 0] - 1,
            each divided by its standard deviation over the training windows (StandardScaler
            without centring, so 0 stays 0); price = last * (1 + change). The level no longer
            matters, only recent moves do, and an output of 0 is exactly persistence: a network
            with little to learn stays close to it (measured in docs/forecast.md).
Either way the scalers are fitted on training data only and travel in the model file.
"""

from dataclasses import dataclass, field

import numpy as np

from unrolled.data import (
    MinMaxScaler,
    StandardScaler,
    datasets,
    load_prices,
    scaler_from_state,
    sliding_windows,
)
from unrolled.errors import InputError, invalid
from unrolled.tasks.forecast.config import whole_file

__all__ = ["Data", "WindowScaler", "fold_bounds", "load_data", "windows"]

DEFAULT_DATASET = "sp500"


@dataclass
class Data:
    """A loaded series and its split.

    dates: (T,) datetime64[D]; values: (T, F) float64 with the target in column 0;
    columns: F names; split: s, the first test row; provenance: JSON-able facts about the
    source; notices: what the loader changed or what looks odd, one line each.
    """

    dates: np.ndarray
    values: np.ndarray
    columns: list
    split: int
    provenance: dict
    notices: list = field(default_factory=list)

    @property
    def target(self):
        """(T,) the price being forecast."""
        return self.values[:, 0]


def _load(config, path, name):
    kwargs = dict(
        column=config.column,
        date_column=config.date_column,
        features=list(config.features or []),
        fill=config.fill,
    )
    if path is not None:
        return load_prices(path, **kwargs)
    return datasets.load_dataset(name, **kwargs)


def _date(text, argument):
    """A YYYY-MM-DD flag as datetime64[D], or the standard one-line error."""
    try:
        return np.datetime64(str(text).strip(), "D")
    except ValueError:
        raise invalid(argument, "a date like 2018-01-02", text) from None


def _split_row(config, dates, n_train_file):
    """s, the first test row, from --test-csv, --test-from or --test-size; with --model and
    none of them, the whole file: the first `lookback` rows are the first forecasts' inputs."""
    T = len(dates)
    if config.test_csv is not None:
        return n_train_file
    if whole_file(config):
        return config.lookback
    if config.test_from is not None:
        start = _date(config.test_from, "--test-from")
        if not dates[0] < start <= dates[-1]:
            raise InputError(
                f"--test-from {start} is outside the data: it must lie after {dates[0]} and "
                f"on or before {dates[-1]}."
            )
        return int(np.searchsorted(dates, start))
    size = config.test_size
    n_test = int(size) if size >= 1 else int(round(T * size))
    if n_test < 1 or n_test >= T:  # (not named --test-size: the default 0.2 may be this size)
        raise InputError(
            f"A test size of {size} gives a {n_test}-row test period out of {T} rows; "
            f"it needs at least 1 row and must leave training rows."
        )
    return T - n_test


def _min_train_rows(lookback, horizon, validation):
    """Training rows needed for one window of `horizon` targets (the bands' calibration needs
    one too), and one validation window if asked."""
    return lookback + horizon + (1 if validation > 0 else 0)


def ma_rows(T, s, config):
    """The most rows a moving average can reach: the rows before the test period, or in a
    whole file (with --model) the rows known at its last forecast."""
    return T - config.horizon if whole_file(config) else s


def _check_model_length(T, s, config):
    """With --model: the data holds the model's window and a whole horizon after it."""
    L, H, model = config.lookback, config.horizon, str(config.model)
    if whole_file(config):
        if T < L + H:
            raise InputError(
                f"Argument `--model`: the model file {model!r} reads {L} days to forecast {H} "
                f"ahead, so the data needs at least {L + H} rows; it has {T}."
            )
    elif T - s < H:
        raise InputError(
            f"Argument `--model`: the model file {model!r} forecasts {H} days ahead, more "
            f"than the {T - s}-row test period; lengthen the test period (--test-size, "
            "--test-from or --test-csv)."
        )
    elif s < L:
        raise InputError(
            f"Argument `--model`: the model file {model!r} reads the {L} days before each "
            f"forecast, but only {s} come before the test period; start it later."
        )


def _check_length(T, s, config):
    """Before any training: the test period holds a whole horizon (and every asked-for
    backtest fold and a given moving-average window fits), the training part a window."""
    n_test, H = T - s, config.horizon
    if config.model is not None:
        _check_model_length(T, s, config)
    elif n_test < H:
        raise InputError(
            f"Received an invalid value for argument `--horizon`, expected at most the "
            f"{n_test} rows of the test period (each test forecast is checked against the "
            f"{H} days after it), got {H}; use a shorter --horizon or a longer test period."
        )
    need_train = _min_train_rows(config.lookback, H, config.validation)
    if config.model is None and s < need_train:
        raise InputError(
            f"Not enough rows: the data has {T} ({s} for training, {n_test} for testing), but "
            f"lookback={config.lookback}, horizon={H} and a {n_test}-row test period need at "
            f"least {need_train + n_test} ({need_train} for training, {n_test} for testing)."
        )
    if config.backtest:
        fold_bounds(s, T, config.backtest, H)
    limit = ma_rows(T, s, config)
    if config.ma_window is not None and config.ma_window > limit:  # given (config.MA_WINDOW)
        rows = "rows known at the last forecast" if whole_file(config) else "training rows"
        raise invalid("--ma-window", f"at most the {limit} {rows}", config.ma_window)


def _split_jumps(dates, y, name):
    """Notices for one-day moves beyond +-40%: the signature of an unadjusted stock split."""
    with np.errstate(divide="ignore", invalid="ignore"):
        change = y[1:] / y[:-1] - 1.0
    jumps = np.flatnonzero(np.abs(change) > 0.4)
    return [
        f"{name} moves {100 * change[j]:+.0f}% from {dates[j]} to {dates[j + 1]}: an "
        "unadjusted split? consider another column"
        for j in jumps[:3]
    ]


def _check_values(values, columns, dates, s, config):
    """Before any training, values the reader accepts but the task cannot use: a target that
    never moves in the test period (persistence is exact there: no skill can be measured), and
    a value that is divided by where it must be positive: every input column's when
    forecasting changes (WindowScaler), the target's when there are bands (their typical move
    is a price times the volatility of returns)."""
    y = values[s - 1 :, 0]  # the last known price and the test period
    if np.all(y == y[0]):
        raise InputError(
            f"Column {columns[0]!r} is {y[0]:g} on every row from {dates[s - 1]} to "
            f"{dates[-1]}, the test period and the day before: nothing moves, so no forecast "
            "can be scored against persistence."
        )
    divided = values if config.target == "change" else values[:, : 1 if config.interval else 0]
    bad = np.argwhere(divided <= 0)
    if not bad.size:
        return
    row, col = bad[0]
    uses, fixes = [], []
    if config.target == "change":
        uses.append("forecasting changes divides each window by its last value")
        fixes.append("--target price")
    if config.interval and col == 0:
        uses.append("the prediction bands measure errors in daily returns")
        fixes.append("--interval ''")
    fix = " with ".join(fixes) + (f", or leave {columns[col]} out of --features" if col else "")
    raise InputError(
        f"Column {columns[col]!r} is {values[row, col]:g} on {dates[row]}, but "
        f"{' and '.join(uses)}: {'both need' if len(uses) > 1 else 'that needs'} positive "
        f"values; use {fix}."
    )


def load_data(config):
    """Load the series named by `config` and find its split; every input check happens here.

    Returns Data. Raises InputError (one line) for every bad input.
    """
    name = config.dataset or DEFAULT_DATASET
    train = _load(config, config.csv, name)
    notices = [f"{train.source}: {n}" for n in train.notices]
    n_file = len(train)
    dates, values = train.dates, train.values
    if config.end is not None:
        end = _date(config.end, "--end")
        if end < dates[0]:
            raise InputError(f"--end {end} is before the data's first date {dates[0]}.")
        dates, values = dates[dates <= end], values[dates <= end]
    if config.rows and len(dates) > config.rows:
        dates, values = dates[-config.rows :], values[-config.rows :]
    n_train_file = len(dates)
    sources = {"train": train.source}
    if config.test_csv is not None:
        test = _load(config, config.test_csv, None)
        notices += [f"{test.source}: {n}" for n in test.notices]
        overlap = int(np.sum(test.dates <= dates[-1]))
        if overlap:
            raise InputError(
                f"The test file {test.source} overlaps the training data: {overlap} of its "
                f"dates ({test.dates[0]} ..) are on or before the training data's last date "
                f"{dates[-1]}."
            )
        dates = np.concatenate([dates, test.dates])
        values = np.concatenate([values, test.values])
        sources["test"] = test.source
    s = _split_row(config, dates, n_train_file)
    _check_length(len(dates), s, config)
    notices += _split_jumps(dates, values[:, 0], train.columns[0])
    _check_values(values, train.columns, dates, s, config)
    provenance = {
        "source": sources,
        "dataset": None if config.csv else name,
        "description": None if config.csv else datasets.list_datasets().get(name),
        "columns": list(train.columns),
        "file_rows": n_file,
        "rows_used": len(dates),
        "first_date": str(dates[0]),
        "last_date": str(dates[-1]),
        "train": {"rows": s, "from": str(dates[0]), "to": str(dates[s - 1])},
        "test": {"rows": len(dates) - s, "from": str(dates[s]), "to": str(dates[-1])},
    }
    return Data(dates, values, list(train.columns), s, provenance, notices)


def windows(values, lookback, horizon, start, stop):
    """Every window whose targets lie in rows start .. stop-1 (inputs may come before start).

    values: (T, F) the series. Returns X (W, L, F), Y (W, H) (column 0's values) and
    origins (W,), the first target row of each window.
    """
    first = max(start, lookback)  # the first origin with `lookback` rows before it
    X, Y = sliding_windows(values[first - lookback : stop], lookback, horizon, target_col=0)
    return X, Y, first + np.arange(len(X))


def fold_bounds(split, T, folds, horizon):
    """A walk-forward backtest's test blocks: rows split .. T-1 cut into `folds` consecutive
    blocks [(start, stop), ...]; fold k trains on every row before its block."""
    size = (T - split) // folds
    if size < horizon:
        raise InputError(
            f"--backtest {folds} cuts the {T - split}-row test period into blocks of {size} "
            f"rows, fewer than the horizon {horizon}; use fewer folds or a longer test period."
        )
    bounds = [(split + k * size, split + (k + 1) * size) for k in range(folds)]
    bounds[-1] = (bounds[-1][0], T)  # the last block takes the rows left over
    return bounds


def _relative(X):
    """(W, L, F) -> each row relative to the window's last row, minus 1."""
    return X / X[:, -1:, :] - 1.0


class WindowScaler:
    """Maps raw windows to model inputs and model outputs back to prices (see module doc)."""

    def __init__(self, target="price"):
        self.target = target

    def fit(self, train_rows, X, Y):
        """Fit on the training rows (s, F) and the training windows X (W, L, F), Y (W, M)."""
        if self.target == "price":
            self.x_ = MinMaxScaler().fit(train_rows)
            self.y_ = MinMaxScaler().fit(train_rows[:, :1])
        else:  # no centring: a change of 0 (persistence) stays 0
            F = X.shape[2]
            self.x_ = StandardScaler(with_mean=False).fit(_relative(X).reshape(-1, F))
            self.y_ = StandardScaler(with_mean=False).fit((Y / X[:, -1, :1] - 1.0).reshape(-1, 1))
        return self

    def inputs(self, X):
        """Raw windows (W, L, F) -> model inputs (W, L, F)."""
        W, L, F = X.shape
        z = X if self.target == "price" else _relative(X)
        return self.x_.transform(z.reshape(-1, F)).reshape(W, L, F)

    def targets(self, X, Y):
        """Raw windows and their future prices (W, M) -> model targets (W, M)."""
        z = Y if self.target == "price" else Y / X[:, -1, :1] - 1.0
        return self.y_.transform(z.reshape(-1, 1)).reshape(Y.shape)

    def prices(self, X, out):
        """Model outputs (W, M) for windows X (W, L, F) -> price forecasts (W, M)."""
        z = self.y_.inverse_transform(np.asarray(out, np.float64).reshape(-1, 1)).reshape(out.shape)
        return z if self.target == "price" else X[:, -1, :1] * (1.0 + z)

    def get_state(self):
        return {"target": self.target, "x": self.x_.get_state(), "y": self.y_.get_state()}

    @classmethod
    def from_state(cls, state):
        scaler = cls(state["target"])
        scaler.x_, scaler.y_ = scaler_from_state(state["x"]), scaler_from_state(state["y"])
        return scaler
