"""Checks at the boundary of fit, evaluate and predict: the data and the arguments, once.

Training inherits the DataChecks mixin for the checks that need the model (its first layer,
output shape, loss and metrics); the module functions check plain arguments.
"""

import math

import numpy as np

from unrolled import metrics as metrics_module
from unrolled.errors import InputError, invalid, positive_int
from unrolled.layers import Bidirectional, Embedding


class DataChecks:
    """Checks against the model: compiled, x for its first layer, y for its output, tbptt."""

    def _require_compiled(self, what):
        if not self.compiled:
            raise InputError(f"call compile(optimizer, loss) before {what}()")

    def _inputs(self, x):
        """x as an array for the first layer: ids for an Embedding, else finite floats."""
        x = _array(x, "x")
        if x.ndim < 2:
            raise InputError(f"x needs a batch axis and at least one more, got shape {x.shape}")
        self._ensure_built(x)
        if isinstance(self.layers[0], Embedding):
            return x
        if x.dtype.kind not in "biuf":
            raise invalid("x", "an array of numbers", f"an array of {x.dtype}")
        x = x.astype(self.dtype, copy=False)
        if not np.isfinite(x).all():
            raise InputError("x contains non-finite values (nan or inf)")
        return x

    def _data(self, x, y):
        """(x, y) checked against each other and the model's output; resolves metrics."""
        x = self._inputs(x)
        y = _array(y, "y")
        if len(x) == 0:
            raise InputError("x has no samples: its first (batch) axis has length 0")
        if y.ndim == 0:
            raise invalid("y", "an array with one target per sample", y.item())
        if len(y) != len(x):
            raise InputError(f"x and y need the same number of samples, got {len(x)} and {len(y)}")
        out = self.output_shape
        if self.loss.sparse:
            if y.ndim == len(out) and y.shape[-1] == 1:
                y = y[..., 0]  # (N, 1) class ids -> (N,)
            expected, V = out[:-1], out[-1]
            whole = y.dtype.kind in "biu" or (
                y.dtype.kind == "f" and np.isfinite(y).all() and np.array_equal(np.round(y), y)
            )
            if not whole:
                raise invalid("y", "integer class ids for a sparse loss", f"an array of {y.dtype}")
            y = y.astype(np.intp)
            if y.size and (y.min() < 0 or y.max() >= V):
                raise InputError(f"y holds class ids outside [0, {V}) (the model has {V} outputs)")
        else:
            if y.ndim == len(out) - 1:
                y = y[..., None]  # (N,) targets for (N, 1) outputs
            expected = out
            if y.dtype.kind not in "biuf":
                raise invalid("y", "an array of numbers", f"an array of {y.dtype}")
            y = y.astype(self.dtype, copy=False)
            if not np.isfinite(y).all():
                raise InputError("y contains non-finite values (nan or inf)")
        if not _fits(y.shape, expected, x.shape[1] if len(out) == 3 else None):
            raise InputError(f"y has shape {y.shape}, but the model outputs {format_shape(out)}")
        self._metric_fns = [metrics_module.get(m, y.ndim, out) for m in self.metrics]
        return x, y

    def _check_tbptt(self, tbptt, x):
        if tbptt is None:
            return
        positive_int(tbptt, "tbptt")
        for layer in self.layers:
            if isinstance(layer, Bidirectional) or getattr(layer, "go_backwards", False):
                raise InputError(
                    f"tbptt carries state forward in time; layer '{layer.name}' reads "
                    "sequences backwards, so it cannot be trained in chunks"
                )


def split_validation(x, y, validation_split, validation_data, prepare):
    """Training arrays and validation (x, y) or None. A split takes the last fraction (Keras)."""
    if validation_data is not None:
        if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
            raise invalid("validation_data", "a tuple (x_val, y_val)", type(validation_data))
        return x, y, prepare(*validation_data)
    if not validation_split:
        return x, y, None
    if not 0 < validation_split < 1:
        raise invalid("validation_split", "a float in [0, 1)", validation_split)
    split_at = math.floor(len(x) * (1 - validation_split))
    if split_at in (0, len(x)):
        raise InputError(
            f"validation_split={validation_split} leaves no training or no validation "
            f"samples out of {len(x)}"
        )
    return x[:split_at], y[:split_at], (x[split_at:], y[split_at:])


def _array(a, name):
    if a is None:
        raise invalid(name, "an array", None)
    try:
        return np.asarray(a)
    except ValueError as error:  # ragged nested lists
        raise InputError(f"{name} could not be read as an array: {error}") from None


def _fits(shape, expected, T):
    """y's shape matches the output's (None matches anything); sequence targets have x's T."""
    if len(shape) != len(expected):
        return False
    if T is not None and shape[1] != T:
        return False
    return all(e is None or s == e for s, e in zip(shape[1:], expected[1:], strict=True))


def format_shape(shape):
    """(None, 4) as Keras prints it."""
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def check_verbose(verbose):
    """verbose as 0, 1 or 2 (Keras's "auto" is 1), or the standard error."""
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise invalid("verbose", "'auto', 0, 1 or 2", verbose)
    return verbose
