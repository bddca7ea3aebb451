"""GRU layer over `unrolled.functional.gru` (reset-after form, gate order z, r, h)."""

import numpy as np

from unrolled.errors import invalid
from unrolled.functional import activations
from unrolled.functional.gru import gru_backward, gru_forward
from unrolled.layers.recurrent import Gated


class GRU(Gated):
    """Gated recurrent unit, reset-after form (Keras `reset_after=True`), gates z, r, h.

    Weights: kernel (D, 3H), recurrent_kernel (H, 3H), bias (2, 3H): row 0 input bias,
    row 1 recurrent bias.
    """

    kind = "gru"
    gates = 3
    cell_forward = staticmethod(gru_forward)
    cell_backward = staticmethod(gru_backward)

    def __init__(self, units, reset_after=True, **kwargs):
        if reset_after is not True:  # Keras's reset-before form is a different cell
            raise invalid(
                "reset_after", "True (the reset-after form is the only GRU here)", reset_after
            )
        super().__init__(units, **kwargs)

    def _make_bias(self, rng):
        return self.bias_initializer((2, 3 * self.units), rng, self.dtype)  # (2, 3H)

    def _step(self, x, state, Wx, Wh, b):
        act_, _ = activations.ACTIVATIONS[self.activation]
        rec_, _ = activations.ACTIVATIONS[self.recurrent_activation]
        (prev_h,) = state
        H = self.units
        ax = np.dot(x, Wx)  # (N, 3H): input projections (np.dot: less overhead than @)
        ah = np.dot(prev_h, Wh)  # (N, 3H): recurrent projections
        if b is not None:
            ax += b[0]
            ah += b[1]
        zr = ax[:, : 2 * H]
        zr += ah[:, : 2 * H]
        rec_(zr)  # z | r
        hh = ax[:, 2 * H :]
        hh += zr[:, H:] * ah[:, 2 * H :]  # reset after the recurrent GEMM
        act_(hh)
        next_h = prev_h - hh  # h_t = z * h_{t-1} + (1 - z) * hh = hh + z * (h_{t-1} - hh)
        next_h *= zr[:, :H]
        next_h += hh
        return [next_h]
