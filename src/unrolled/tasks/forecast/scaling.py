"""How the forecast task turns price windows into model inputs, and model outputs into prices.

Two targets, for raw windows X (W, L, F) (column 0 is the price) and targets Y (W, M):
    price   the tutorial's: MinMax-scaled levels, fitted on the training rows only.
            inputs = mm_x(X), outputs = mm_y(Y); a price above the training range maps above 1,
            which a saturating network struggles to reach (trending prices are hard here).
    change  relative to the last known row: r = X / X[:, -1] - 1, target Y / X[:, -1, 0] - 1,
            each MinMax-scaled on the training windows; price = last * (1 + output). The level
            no longer matters, only recent moves do; a zero output is exactly persistence.
Either way the scalers are fitted on training data only and travel in the model file.
"""

import numpy as np

from unrolled.data import MinMaxScaler, scaler_from_state
from unrolled.errors import InputError

__all__ = ["TARGETS", "WindowScaler"]

TARGETS = ("price", "change")


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
        else:
            F = X.shape[2]
            self.x_ = MinMaxScaler().fit(_relative(X).reshape(-1, F))
            self.y_ = MinMaxScaler().fit((Y / X[:, -1, :1] - 1.0).reshape(-1, 1))
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


def check_positive(values, columns, dates, target):
    """--target change divides by the last known value: every value must be positive."""
    if target != "change":
        return
    bad = np.argwhere(values <= 0)
    if bad.size:
        row, col = bad[0]
        raise InputError(
            f"--target change divides by the last known value, but column {columns[col]!r} "
            f"is {values[row, col]:g} on {dates[row]}; use --target price or other features."
        )
