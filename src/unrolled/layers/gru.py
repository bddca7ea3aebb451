"""GRU layer over `unrolled.functional.gru` (reset-after form, gate order z, r, h)."""

from unrolled.errors import invalid
from unrolled.functional.gru import gru_backward, gru_forward, gru_step_forward
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
    cell_step = staticmethod(gru_step_forward)

    def __init__(self, units, reset_after=True, **kwargs):
        if reset_after is not True:  # Keras's reset-before form is a different cell
            raise invalid(
                "reset_after", "True (the reset-after form is the only GRU here)", reset_after
            )
        super().__init__(units, **kwargs)

    def _make_bias(self, rng):
        return self.bias_initializer((2, 3 * self.units), rng, self.dtype)  # (2, 3H)
