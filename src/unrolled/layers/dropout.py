"""Dropout (Srivastava et al., 2014), inverted: in training each entry is zeroed with
probability `rate` and the survivors scaled by 1 / (1 - rate), so inference is the identity."""

import numpy as np

from unrolled.layers.base import Layer, check_rate, dropout_mask


class Dropout(Layer):
    """Identity unless training=True. Masks come from `config.default_rng()` or `rng`."""

    _checks = {"rate": check_rate}

    def __init__(self, rate, input_shape=None, name=None, dtype=None, **keras_args):
        super().__init__(input_shape=input_shape, name=name, dtype=dtype, **keras_args)
        self.rate = rate  # checked as it is set (Layer._checks)
        self._keep = None

    def forward(self, x, training=False, mask=None, rng=None):
        """x (any shape) -> same shape; a fresh mask per call in training."""
        x = self._prepare(x)
        self._keep = None
        if not training or self.rate == 0:
            return x
        self._keep = dropout_mask(x.shape, self.rate, x.dtype, rng)
        return x * self._keep

    def backward(self, dy, input_gradient=True):
        if not input_gradient:
            return None
        dy = np.asarray(dy)
        return dy if self._keep is None else dy * self._keep

    def step(self, x_t, state=None):
        return x_t, state

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}
