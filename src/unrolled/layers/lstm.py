"""LSTM layer over `unrolled.functional.lstm` (gate order i, f, c, o)."""

import numpy as np

from unrolled.errors import boolean
from unrolled.functional.lstm import (
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)
from unrolled.layers.recurrent import Gated


class LSTM(Gated):
    """Long short-term memory, gates i, f, c, o (Keras layout).

    Weights: kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H,). `unit_forget_bias=True`
    starts the forget-gate bias at 1 so the cell remembers by default (Jozefowicz et al., 2015).
    """

    kind = "lstm"
    gates = 4
    state_names = ("h", "c")
    cell_forward = staticmethod(lstm_forward)
    cell_backward = staticmethod(lstm_backward)
    cell_step = staticmethod(lstm_step_forward)
    cell_step_backward = staticmethod(lstm_step_backward)
    _checks = {**Gated._checks, "unit_forget_bias": boolean}

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = unit_forget_bias

    def _make_bias(self, shape, rng):
        if not self.unit_forget_bias:
            return super()._make_bias(shape, rng)
        H, init = self.units, self.bias_initializer
        # [b_i, b_f = 1, b_c, b_o] drawn as Keras does
        parts = [
            init((H,), rng, self.dtype),
            np.ones(H, self.dtype),
            init((2 * H,), rng, self.dtype),
        ]
        return np.concatenate(parts)

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}
