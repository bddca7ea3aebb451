"""Input: Keras 3's way to declare a Sequential model's input shape, as its first entry.

    model = Sequential([Input(shape=(None, 1)), LSTM(4, activation="sigmoid"), Dense(1)])

is the same model as `Sequential([LSTM(4, activation="sigmoid", input_shape=(None, 1)),
Dense(1)])`: the shape (without the batch axis; None for any length) becomes the first
layer's `input_shape`, so the model builds at once and its files need nothing new.
`batch_size` (or the batch axis of `batch_shape`) is checked and accepted for Keras code but
fixes nothing: any batch size works, and a stateful layer checks its own. `dtype` describes
x (e.g. "int32" ids for an Embedding); it does not set any layer's dtype.
"""

import numpy as np

from unrolled.errors import InputError, invalid, positive_int
from unrolled.keras_compat import check_extra_arguments

INPUT_NO_OPS = {
    "sparse": ((None, False), "inputs are dense arrays"),
    "tensor": ((None,), "unrolled has no symbolic tensors"),
    "optional": ((False,), "every model here has one required input"),
}


class Input:
    """The input of a Sequential model: shape (without batch), e.g. (None, 1) or (T,) ids."""

    def __init__(
        self, shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, **keras_args
    ):
        if "input_shape" in keras_args:
            raise InputError("Input takes shape=(...) (without the batch axis), not input_shape=")
        check_extra_arguments(self, keras_args, INPUT_NO_OPS)
        if batch_shape is not None:
            if shape is not None:
                raise InputError("Input got both shape and batch_shape; pass one")
            long_enough = isinstance(batch_shape, list | tuple) and len(batch_shape) >= 2
            if not long_enough or not all(_size(d) for d in batch_shape):
                expected = "a tuple (batch, ...) of 2 or more sizes, each a positive int or None"
                raise invalid("batch_shape", expected, batch_shape)
            batch_size, shape = batch_shape[0], batch_shape[1:]
        if not isinstance(shape, list | tuple) or not shape:
            raise invalid("shape", "a tuple of sizes without the batch axis, e.g. (None, 1)", shape)
        if batch_size is not None:
            positive_int(batch_size, "batch_size")
        if dtype is not None:
            dtype = _number_dtype(dtype)
        self.shape = plain_shape(shape, "shape")
        self.batch_size, self.dtype, self.name = batch_size, dtype, name  # Keras's attributes

    def __repr__(self):
        return f"<Input shape={self.shape}>"


def plain_shape(shape, argument="input_shape"):
    """A shape as a tuple of Python ints and None (NumPy integers would not go into JSON), or
    one line naming `argument` unless every size is a positive integer or None."""
    if isinstance(shape, np.ndarray) and shape.ndim == 1:
        shape = shape.tolist()
    if not isinstance(shape, list | tuple) or not all(_size(d) for d in shape):
        raise invalid(argument, "sizes that are positive integers or None", shape)
    return tuple(None if d is None else int(d) for d in shape)


def _number_dtype(dtype):
    """np.dtype(dtype), or one line unless it names a number type (x is numbers or ids)."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.kind not in "biuf":
        raise invalid("dtype", "a number dtype such as 'float32' or 'int32'", dtype)
    return resolved


def _size(d):
    """True for None (any size) or a positive int."""
    return d is None or (isinstance(d, int | np.integer) and not isinstance(d, bool) and d > 0)
