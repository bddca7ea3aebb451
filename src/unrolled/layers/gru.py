"""GRU layer over `unrolled.functional.gru`, in both of Keras's forms (gate order z, r, h)."""

from unrolled.errors import boolean
from unrolled.functional import gru
from unrolled.layers.recurrent import Gated

# reset_after -> the cell's (sequence forward, sequence backward, step forward, step backward)
_FORMS = {
    True: (gru.gru_forward, gru.gru_backward, gru.gru_step_forward, gru.gru_step_backward),
    False: (
        gru.gru_reset_before_forward,
        gru.gru_reset_before_backward,
        gru.gru_reset_before_step_forward,
        gru.gru_reset_before_step_backward,
    ),
}


class GRU(Gated):
    """Gated recurrent unit, gates z, r, h.

    reset_after=True (Keras 3's default, cuDNN's and PyTorch's form): the reset gate scales
    h_{t-1} @ Wh_h + bh_h; weights kernel (D, 3H), recurrent_kernel (H, 3H), bias (2, 3H)
    with row 0 the input bias and row 1 the recurrent bias.
    reset_after=False (Keras's default before TF 2): it scales h_{t-1} before the product;
    one bias (3H,).
    """

    kind = "gru"
    gates = 3
    _checks = {**Gated._checks, "reset_after": boolean}
    _shaping = (*Gated._shaping, "reset_after")  # the bias is (2, 3H) or (3H,)
    # the form's functions, looked up as they are used: reset_after may change until build
    cell_forward = property(lambda self: _FORMS[self.reset_after][0])
    cell_backward = property(lambda self: _FORMS[self.reset_after][1])
    cell_step = property(lambda self: _FORMS[self.reset_after][2])
    cell_step_backward = property(lambda self: _FORMS[self.reset_after][3])

    def __init__(self, units, reset_after=True, **kwargs):
        super().__init__(units, **kwargs)
        self.reset_after = reset_after

    def _bias_shape(self):
        # reset-after: (2, 3H), row 0 input, row 1 recurrent; reset-before: (3H,)
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}
