"""Checks at the boundary of fit, evaluate and predict: the data and the arguments, once.

Training inherits the DataChecks mixin for the checks that need the model (its first layer,
output shape, loss and metrics); the module functions check plain arguments.
"""

import math

import numpy as np

from unrolled import metrics as metrics_module
from unrolled.errors import InputError, invalid, positive_int, whole_numbers
from unrolled.layers import Bidirectional, Embedding


class DataChecks:
    """Checks against the model: compiled, x for its first layer, y for its output, tbptt."""

    def _require_compiled(self, what):
        if not self.compiled:
            raise InputError(f"call compile(optimizer, loss) before {what}()")

    def _inputs(self, x):
        """x as an array for the first layer: ids for an Embedding, else finite floats."""
        x = _array(x, "x")
        self._check_x_shape(x.shape)
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
        if y is None:  # Keras's fit(dataset) form, or a forgotten y
            raise invalid("y", "targets, one per sample of x (x and y, both arrays)", None)
        y = _array(y, "y")
        given = y.shape  # the shape to report: y is reshaped below
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
            if not whole_numbers(y):
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
            raise InputError(self._target_mismatch(given, x.shape))
        self._metric_fns = [metrics_module.get(m, y.ndim, out) for m in self.metrics]
        return x, y

    def _input_spec(self):
        """The shape x must have (None: any size), or None when nothing is known yet.

        Only a T the user declared (the first layer's input_shape) is enforced: a model built
        from the first data it sees keeps taking sequences of any length, as tasks rely on.
        """
        if not self.layers:
            return None
        first = self.layers[0]
        if first.input_shape is not None:
            return (None, *first.input_shape)
        if not self.built:
            rank = first.input_ndim
            return None if rank is None else (None,) * rank
        if isinstance(first, Embedding):
            return (None,) * len(self.input_shape)  # ids: any length
        return (None,) * (len(self.input_shape) - 1) + self.input_shape[-1:]  # features fixed

    def _check_x_shape(self, shape):
        """x's whole shape against the model's, before any batching, with a hint to fix it."""
        spec = self._input_spec()
        if spec is None:
            if len(shape) < 2:
                raise InputError(f"x needs a batch axis and at least one more, got shape {shape}")
            return
        if _fits(shape, spec):
            return
        ids = isinstance(self.layers[0], Embedding)
        axes = _AXES.get((len(spec), ids), "(batch, ...)")
        if any(d is not None for d in spec):
            axes += f" = {format_shape(spec)}"
        message = f"x has shape {shape}, but the model takes {axes}"
        declared = self.layers[0].input_shape
        timed = len(spec) == 3 or ids  # axis 1 is time
        if timed and len(shape) == len(spec) and _fits((*shape[:1], spec[1], *shape[2:]), spec):
            any_length = (None, *declared[1:])
            if self._declared_input is not None:  # the user wrote an Input
                message += (
                    f": its Input(shape={declared}) fixes the length (write "
                    f"Input(shape={any_length}) to take sequences of any length)"
                )
            else:
                message += (
                    f": its first layer declared input_shape={declared} (declare "
                    f"input_shape={any_length} to take sequences of any length)"
                )
        elif len(shape) == len(spec) - 1:
            sample, feature = (1, *shape), (*shape, 1)
            if _fits(sample, spec) and (ids or spec[-1] is not None or shape[-1] == 1):
                message += f"; for one sample add the batch axis: x.reshape{sample}"
            elif _fits(feature, spec) and not ids:
                message += f"; for one feature reshape it: x.reshape{feature}"
        raise InputError(message)

    def _target_mismatch(self, shape, x_shape):
        """Why y of `shape` (as passed) does not fit the outputs, with the likely fix."""
        out = self.output_shape
        if len(out) == 3:
            out = (out[0], x_shape[1], *out[2:])  # one target per step of x
        message = f"y has shape {shape}, but the model outputs {format_shape(out)}"
        one_hot = "(N, " + ", ".join(map(str, out[1:])) + ")"
        if self.loss.name == "categorical_crossentropy" and (
            len(shape) == len(out) - 1 or (len(shape) == len(out) and shape[-1] == 1)
        ):
            return (
                f"y has shape {shape}, but categorical_crossentropy needs one-hot targets of "
                f"shape {one_hot}; for integer class ids use "
                "loss='sparse_categorical_crossentropy'"
            )
        if len(out) == 3 and len(shape) == 2 and not self.loss.sparse:
            message += (
                " (one target per time step: the last recurrent layer has return_sequences="
                "True; set it to False for one target per sequence)"
            )
        return message

    def _check_tbptt(self, tbptt):
        if tbptt is None:
            return
        positive_int(tbptt, "tbptt")
        for layer in self.layers:
            if isinstance(layer, Bidirectional) or getattr(layer, "go_backwards", False):
                raise InputError(
                    f"tbptt carries state forward in time; layer '{layer.name}' reads "
                    "sequences backwards, so it cannot be trained in chunks"
                )

    def _check_stateful(self, n_samples, batch_size, what="x"):
        """A stateful layer carries one state per row of the batch, so every batch must be
        full: the number of samples a multiple of batch_size (Keras asks the same)."""
        stateful = [layer.name for layer in self.layers if getattr(layer, "stateful", False)]
        if stateful and n_samples % batch_size:
            raise InputError(
                f"layer '{stateful[0]}' is stateful, so every batch needs batch_size="
                f"{batch_size} samples, but {what} has {n_samples} (not a multiple); drop the "
                f"last {n_samples % batch_size} samples or choose a batch_size that divides "
                f"{n_samples}"
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
    """`a` as an array, or one line: None, ragged lists, or something that is no array at all
    (a generator, a tf.data.Dataset, a DataLoader, a dict...)."""
    if a is None:
        raise invalid(name, "an array", None)
    try:
        array = None if hasattr(a, "__next__") else np.asarray(a)
    except ValueError as error:  # ragged nested lists
        raise InputError(f"{name} could not be read as an array: {error}") from None
    if array is None or (array.dtype == object and array.ndim == 0):
        kind = type(a.item() if isinstance(a, np.ndarray) else a).__name__
        expected = "an array (unrolled does not read batches from generators or datasets)"
        raise invalid(name, expected, f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}")
    return array


def _fits(shape, expected, T=None):
    """shape matches `expected` (None matches anything) past the batch axis; T, when given,
    is the time axis's length (sequence targets have x's T)."""
    if len(shape) != len(expected):
        return False
    if T is not None and shape[1] != T:
        return False
    return all(e is None or s == e for s, e in zip(shape[1:], expected[1:], strict=True))


# what the axes of x mean, by (rank, first layer is an Embedding)
_AXES = {
    (3, False): "(batch, timesteps, features)",
    (2, True): "(batch, timesteps)",
    (2, False): "(batch, features)",
}


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
