"""Checks at Sequential's boundaries: what compile, fit, evaluate and predict receive.

Each boundary's checks are one function here, called once at the top of the method:

    compile_arguments    the optimizer, the loss (required) and the metric names
    fit_arguments        compiled; x and y; validation; tbptt; batch_size, verbose; full
                         batches for stateful layers; epochs, initial_epoch; callbacks
    evaluate_arguments   compiled; batch_size, verbose; x and y
    predict_arguments    verbose, batch_size; x
    batch_arguments      compiled; x and y (train_on_batch, test_on_batch, compute_gradients)
    inputs               x alone (predict_on_batch, and every boundary above that takes x)

x is checked against the shape the model declares (its first layer's input_shape or Input),
the model is built for it if it is not yet, and x comes back in the model's dtype; y is
checked against the model's outputs and loss. A message names the argument, what was
expected and what came, with the likely fix when there is one.
"""

import math

import numpy as np

from unrolled import losses, optimizers
from unrolled import metrics as metrics_module
from unrolled.callbacks import Callback
from unrolled.errors import InputError, invalid, non_negative_int, positive_int, whole_numbers
from unrolled.layers import Bidirectional, Embedding
from unrolled.models.fit import FitArguments

DEFAULT_BATCH = 32  # predict's batch size when none is given (Keras's default)


def compile_arguments(optimizer, loss, metrics):
    """(Optimizer, Loss, metric names) from compile's names or instances."""
    if loss is None:
        raise invalid("loss", "a loss name such as 'mse' or a Loss instance", loss)
    optimizer, loss = optimizers.get(optimizer), losses.get(loss)
    if metrics is not None and not isinstance(metrics, list | tuple):
        raise invalid("metrics", "a list of metric names", metrics)
    return optimizer, loss, [metrics_module.check(m) for m in metrics or []]


def fit_arguments(
    model,
    x,
    y,
    batch_size,
    epochs,
    verbose,
    validation_split,
    validation_data,
    shuffle,
    callbacks,
    initial_epoch,
    tbptt,
):
    """fit's arguments (in its order), checked in the order below and resolved."""
    _require_compiled(model, "fit")
    x, y = _data(model, x, y)
    x, y, validation = _split_validation(model, x, y, validation_split, validation_data)
    if tbptt is not None:
        positive_int(tbptt, "tbptt")
        for layer in model.layers:
            if isinstance(layer, Bidirectional) or getattr(layer, "go_backwards", False):
                raise InputError(
                    f"tbptt carries state forward in time; layer '{layer.name}' reads "
                    "sequences backwards, so it cannot be trained in chunks"
                )
    batch_size, verbose = positive_int(batch_size, "batch_size"), _verbose(verbose)
    _require_full_batches(model, len(x), batch_size, "x")
    if validation is not None:
        _require_full_batches(model, len(validation[0]), batch_size, "the validation data")
    epochs = positive_int(epochs, "epochs")
    initial_epoch = non_negative_int(initial_epoch, "initial_epoch")
    callbacks = list(callbacks or [])
    for callback in callbacks:
        if not isinstance(callback, Callback):
            raise invalid("callbacks", "a list of Callback instances", callback)
    return FitArguments(
        x, y, validation, batch_size, epochs, initial_epoch, shuffle, tbptt, callbacks, verbose
    )


def evaluate_arguments(model, x, y, batch_size, verbose):
    """(x, y, batch_size, verbose) for evaluate."""
    _require_compiled(model, "evaluate")
    batch_size, verbose = positive_int(batch_size, "batch_size"), _verbose(verbose)
    x, y = _data(model, x, y)
    return x, y, batch_size, verbose


def predict_arguments(model, x, batch_size, verbose):
    """(x, batch_size) for predict. `verbose` is only checked: predict draws no progress bar."""
    _verbose(verbose)
    batch_size = positive_int(batch_size or DEFAULT_BATCH, "batch_size")
    return inputs(model, x), batch_size


def batch_arguments(model, what, x, y):
    """(x, y) for the method `what` that takes them as one batch (train_on_batch, ...)."""
    _require_compiled(model, what)
    return _data(model, x, y)


def inputs(model, x):
    """x as an array for the first layer: ids for an Embedding, else finite numbers in the
    model's dtype. A model not built yet is built for x's shape here."""
    x = _array(x, "x")
    _check_x_shape(model, x.shape)
    model._ensure_built(x)
    if isinstance(model.layers[0], Embedding):
        return x
    if x.dtype.kind not in "biuf":
        raise invalid("x", "an array of numbers", f"an array of {x.dtype}")
    x = x.astype(model.dtype, copy=False)
    if not np.isfinite(x).all():
        raise InputError("x contains non-finite values (nan or inf)")
    return x


def _require_compiled(model, what):
    if not model.compiled:
        raise InputError(f"call compile(optimizer, loss) before {what}()")


def _data(model, x, y):
    """(x, y) checked against each other and the model's outputs; y shaped like them."""
    x = inputs(model, x)
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
    out = model.output_shape
    if model.loss.sparse:
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
        y = y.astype(model.dtype, copy=False)
        if not np.isfinite(y).all():
            raise InputError("y contains non-finite values (nan or inf)")
    if not _fits(y.shape, expected, x.shape[1] if len(out) == 3 else None):
        raise InputError(_target_mismatch(model, given, x.shape))
    return x, y


def _split_validation(model, x, y, validation_split, validation_data):
    """Training arrays and validation (x, y) or None. A split takes the last fraction (Keras)."""
    if validation_data is not None:
        if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
            raise invalid("validation_data", "a tuple (x_val, y_val)", type(validation_data))
        return x, y, _data(model, *validation_data)
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


def _require_full_batches(model, n_samples, batch_size, what):
    """A stateful layer carries one state per row of the batch, so every batch must be
    full: the number of samples a multiple of batch_size (Keras asks the same)."""
    stateful = [layer.name for layer in model.layers if getattr(layer, "stateful", False)]
    if stateful and n_samples % batch_size:
        raise InputError(
            f"layer '{stateful[0]}' is stateful, so every batch needs batch_size="
            f"{batch_size} samples, but {what} has {n_samples} (not a multiple); drop the "
            f"last {n_samples % batch_size} samples or choose a batch_size that divides "
            f"{n_samples}"
        )


def _verbose(verbose):
    """verbose as 0, 1 or 2 (Keras's "auto" is 1), or the standard error."""
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise invalid("verbose", "'auto', 0, 1 or 2", verbose)
    return verbose


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


def _input_spec(model):
    """The shape x must have (None: any size), or None when nothing is known yet.

    Only a T the user declared (the first layer's input_shape) is enforced: a model built
    from the first data it sees keeps taking sequences of any length, as tasks rely on.
    """
    if not model.layers:
        return None
    first = model.layers[0]
    if first.input_shape is not None:
        return (None, *first.input_shape)
    if not model.built:
        rank = first.input_ndim
        return None if rank is None else (None,) * rank
    if isinstance(first, Embedding):
        return (None,) * len(model.input_shape)  # ids: any length
    return (None,) * (len(model.input_shape) - 1) + model.input_shape[-1:]  # features fixed


def _check_x_shape(model, shape):
    """x's whole shape against the model's, before any batching, with a hint to fix it."""
    spec = _input_spec(model)
    if spec is None:
        if len(shape) < 2:
            raise InputError(f"x needs a batch axis and at least one more, got shape {shape}")
        return
    if _fits(shape, spec):
        return
    ids = isinstance(model.layers[0], Embedding)
    axes = _AXES.get((len(spec), ids), "(batch, ...)")
    if any(d is not None for d in spec):
        axes += f" = {format_shape(spec)}"
    message = f"x has shape {shape}, but the model takes {axes}"
    declared = model.layers[0].input_shape
    timed = len(spec) == 3 or ids  # axis 1 is time
    if timed and len(shape) == len(spec) and _fits((*shape[:1], spec[1], *shape[2:]), spec):
        any_length = (None, *declared[1:])
        if model._declared_input is not None:  # the user wrote an Input
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


def _target_mismatch(model, shape, x_shape):
    """Why y of `shape` (as passed) does not fit the outputs, with the likely fix."""
    out = model.output_shape
    if len(out) == 3:
        out = (out[0], x_shape[1], *out[2:])  # one target per step of x
    message = f"y has shape {shape}, but the model outputs {format_shape(out)}"
    one_hot = "(N, " + ", ".join(map(str, out[1:])) + ")"
    if model.loss.name == "categorical_crossentropy" and (
        len(shape) == len(out) - 1 or (len(shape) == len(out) and shape[-1] == 1)
    ):
        return (
            f"y has shape {shape}, but categorical_crossentropy needs one-hot targets of "
            f"shape {one_hot}; for integer class ids use "
            "loss='sparse_categorical_crossentropy'"
        )
    if len(out) == 3 and len(shape) == 2 and not model.loss.sparse:
        message += (
            " (one target per time step: the last recurrent layer has return_sequences="
            "True; set it to False for one target per sequence)"
        )
    return message


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
