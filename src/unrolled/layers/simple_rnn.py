"""SimpleRNN layer: the fully connected recurrence over `unrolled.functional.rnn`."""

from unrolled.functional.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from unrolled.layers.recurrent import Fused


class SimpleRNN(Fused):
    """Fully connected recurrence: h_t = act(x_t @ Wx + h_{t-1} @ Wh + b).

    Weights: kernel (D, H), recurrent_kernel (H, H), bias (H,).
    """

    kind = "rnn"
    cell_forward = staticmethod(rnn_forward)
    cell_backward = staticmethod(rnn_backward)
    cell_step = staticmethod(rnn_step_forward)
    cell_step_backward = staticmethod(rnn_step_backward)
