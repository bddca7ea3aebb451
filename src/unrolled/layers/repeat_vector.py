"""RepeatVector: one vector per sample, repeated n times into a sequence (Keras).

    RepeatVector(n)                x (N, D) -> y (N, n, D), y[:, t] = x
    backward                       dx = sum_t dy[:, t]

The bridge of a sequence-to-sequence autoencoder: an encoder LSTM's final state, repeated,
feeds a decoder LSTM with return_sequences=True (then TimeDistributed(Dense(...))).
"""

import numpy as np

from unrolled.errors import positive_int
from unrolled.layers.base import Layer


class RepeatVector(Layer):
    """Repeats its (N, D) input n times along a new time axis."""

    input_ndim = 2
    _checks = {"n": positive_int}

    def __init__(self, n, input_shape=None, name=None, dtype=None, **keras_args):
        super().__init__(input_shape=input_shape, name=name, dtype=dtype, **keras_args)
        self.n = n  # checked as it is set (Layer._checks)

    def _check_input_shape(self, shape, building=False):
        if len(shape) != 2:
            raise self._error(f"expects input of shape (batch, features), got {tuple(shape)}")

    def compute_output_shape(self, input_shape):
        N, D = input_shape
        return (N, self.n, D)

    def compute_mask(self, x, mask=None):
        return None  # every repeated step is data

    def forward(self, x, training=False, mask=None):
        """x (N, D) -> y (N, n, D), a fresh array."""
        x = self._prepare(x)
        self._cache = True if training else None
        return np.repeat(x[:, None, :], self.n, axis=1)

    def backward(self, dy, input_gradient=True):
        """dy (N, n, D) -> dx (N, D): every copy's gradient flows back to the one x."""
        self._last_cache()
        return np.asarray(dy).sum(axis=1) if input_gradient else None

    def step(self, x_t, state=None):
        raise self._error(
            "turns one vector into a whole sequence, so a model with it cannot step one time "
            "step at a time; use predict()"
        )

    def get_config(self):
        return {**super().get_config(), "n": self.n}
