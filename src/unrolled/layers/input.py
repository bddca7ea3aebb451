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
from unrolled.keras_args import check_extra_arguments

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
        check_extra_arguments(self, keras_args, INPUT_NO_OPS)
        if batch_shape is not None:
            if shape is not None:
                raise InputError("Input got both shape and batch_shape; pass one")
            if not isinstance(batch_shape, list | tuple) or len(batch_shape) < 2:
                raise invalid(
                    "batch_shape", "a tuple (batch, ...) of at least 2 sizes", batch_shape
                )
            batch_size, shape = batch_shape[0], batch_shape[1:]
        if not isinstance(shape, list | tuple) or not shape:
            raise invalid("shape", "a tuple of sizes without the batch axis, e.g. (None, 1)", shape)
        if not all(size is None or _positive_size(size) for size in shape):
            raise invalid("shape", "sizes that are positive integers or None", tuple(shape))
        if batch_size is not None:
            positive_int(batch_size, "batch_size")
        if dtype is not None:
            try:
                dtype = np.dtype(dtype)
            except TypeError:
                raise invalid(
                    "dtype", "a NumPy dtype name such as 'float32' or 'int32'", dtype
                ) from None
        self.shape = tuple(shape)
        self.batch_size, self.dtype, self.name = batch_size, dtype, name

    def __repr__(self):
        return f"<Input shape={self.shape}>"


def _positive_size(size):
    return isinstance(size, int | np.integer) and not isinstance(size, bool) and size > 0
