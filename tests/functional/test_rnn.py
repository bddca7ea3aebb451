"""SimpleRNN cell: gradient checks of the step pair and of the sequence pair for every
activation, and golden values. The checks shared by all cells are in test_cell_contract.py."""

import numpy as np
import pytest

from unrolled.functional.rnn import rnn_step_backward, rnn_step_forward

ACTIVATIONS = ["tanh", "relu", "sigmoid", "linear"]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_step_gradients(cells, rng, activation, bias):
    N, D, H = 2, 3, 4
    (prev_h,) = cells.initial_states(rng, "rnn", N, H)
    Wx, Wh, b = cells.weights(rng, "rnn", D, H, bias)
    inputs = dict(x=rng.standard_normal((N, D)), prev_h=prev_h, Wx=Wx, Wh=Wh, b=b)

    def forward(*args):
        return rnn_step_forward(*args, activation)

    errors = cells.check_pair(forward, rnn_step_backward, inputs, [rng.standard_normal((N, H))])
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_sequence_gradients_per_activation(cells, rng, activation):
    errors = cells.sequence_errors("rnn", rng, activation=activation)
    assert max(errors.values()) < 1e-6, errors


def test_hand_computed_step():
    """a = x Wx + prev_h Wh + b = [0.1 + 0.6 + 0.25, 0.2 + 0.8 - 0.5 + 0.1] = [0.95, 0.6]."""
    x, prev_h = np.array([[1.0, 2.0]]), np.array([[0.5, -1.0]])
    Wx, Wh, b = np.array([[0.1, 0.2], [0.3, 0.4]]), 0.5 * np.eye(2), np.array([0.0, 0.1])
    next_h, _ = rnn_step_forward(x, prev_h, Wx, Wh, b)
    np.testing.assert_allclose(next_h, np.tanh([[0.95, 0.6]]), rtol=1e-15)
    relu_h, _ = rnn_step_forward(-x, prev_h, Wx, Wh, b, activation="relu")
    np.testing.assert_allclose(relu_h, [[0.0, 0.0]], atol=0)  # a = [-0.45, -1.4]
