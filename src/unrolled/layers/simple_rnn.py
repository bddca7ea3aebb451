"""SimpleRNN layer: the fully connected recurrence over `unrolled.functional.rnn`."""

from unrolled.functional import activations
from unrolled.functional.rnn import rnn_backward, rnn_forward
from unrolled.layers.recurrent import Recurrent


class SimpleRNN(Recurrent):
    """Fully connected recurrence: h_t = act(x_t @ Wx + h_{t-1} @ Wh + b).

    Weights: kernel (D, H), recurrent_kernel (H, H), bias (H,).
    """

    kind = "rnn"

    def _sequence_forward(self, x, states, Wx, Wh, b, mask, rmask, keep_cache):
        h, last_h, cache = rnn_forward(
            x, states[0], Wx, Wh, b, self.activation, mask, rmask, keep_cache,
            self.return_sequences,
        )  # fmt: skip
        return h, [last_h], cache

    def _sequence_backward(self, dh, dstates, cache, input_gradient):
        dx, dh0, dWx, dWh, db = rnn_backward(dh, dstates[0], cache, input_gradient)
        return dx, [dh0], dWx, dWh, db

    def _step(self, x, state, Wx, Wh, b):
        act_, _ = activations.ACTIVATIONS[self.activation]
        a = x @ Wx
        a += state[0] @ Wh
        if b is not None:
            a += b
        return [act_(a)]
