"""SimpleRNN layer: the fully connected recurrence over `unrolled.functional.rnn`."""

import numpy as np

from unrolled.functional import activations
from unrolled.functional.rnn import rnn_backward, rnn_forward
from unrolled.layers.recurrent import Recurrent


class SimpleRNN(Recurrent):
    """Fully connected recurrence: h_t = act(x_t @ Wx + h_{t-1} @ Wh + b).

    Weights: kernel (D, H), recurrent_kernel (H, H), bias (H,).
    """

    kind = "rnn"
    cell_forward = staticmethod(rnn_forward)
    cell_backward = staticmethod(rnn_backward)

    def _step(self, x, state, Wx, Wh, b):
        act_, _ = activations.ACTIVATIONS[self.activation]
        a = np.dot(x, Wx)  # np.dot: less overhead than @ on small arrays
        a += np.dot(state[0], Wh)
        if b is not None:
            a += b
        return [act_(a)]
