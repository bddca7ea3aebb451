"""Masking: mark padded time steps of float sequences so the layers after it skip them (Keras).

    Masking(mask_value=0.0)        x (N, T, D) -> x with padded steps zeroed, and the mask
    mask[n, t] = any_d x[n, t, d] != mask_value

A step whose every feature equals `mask_value` is padding: its output is 0, and the mask
handed to the next layer tells a recurrent layer to skip it (state carried, the last output
repeated: Keras's rule, layers/recurrent.py) and a sequence loss to leave it out.
Embedding(mask_zero=True) does the same for integer ids.
"""

from numbers import Real

import numpy as np

from unrolled.errors import invalid
from unrolled.layers.base import Layer


def _number(value, name):
    """`value` as a float, or the standard error unless it is a real number."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise invalid(name, "a number", value)
    return float(value)


class Masking(Layer):
    """Marks the steps whose features all equal `mask_value` as padding."""

    input_ndim = 3
    _checks = {"mask_value": _number}

    def __init__(self, mask_value=0.0, input_shape=None, name=None, dtype=None, **keras_args):
        super().__init__(input_shape=input_shape, name=name, dtype=dtype, **keras_args)
        self.mask_value = mask_value  # checked as it is set (Layer._checks)

    def _check_input_shape(self, shape, building=False):
        if len(shape) != 3:
            raise self._error(
                f"expects input of shape (batch, timesteps, features), got {tuple(shape)}"
            )

    def compute_mask(self, x, mask=None):
        """(N, T) bool: True where a step holds data, False where it is padding."""
        return np.any(np.asarray(x) != self.mask_value, axis=-1)

    def forward(self, x, training=False, mask=None):
        """x (N, T, D) -> the same with padded steps set to 0."""
        x = self._prepare(x)
        keep = self.compute_mask(x)[..., None]  # (N, T, 1)
        self._cache = keep if training else None
        return x * keep

    def backward(self, dy, input_gradient=True):
        keep = self._last_cache()
        return np.asarray(dy) * keep if input_gradient else None

    def step(self, x_t, state=None):
        raise self._error(
            "cannot mark a single step as padding for the layers after it; run the whole "
            "sequence with predict() instead of step()"
        )

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
