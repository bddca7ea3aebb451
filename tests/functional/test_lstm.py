"""LSTM cell: gradient checks of the step pair and of the sequence pair for every activation
pair, and golden values. The checks shared by all cells are in test_cell_contract.py."""

import numpy as np
import pytest

from unrolled.functional.lstm import lstm_step_backward, lstm_step_forward

ACTIVATIONS = ["tanh", "sigmoid", "relu", "linear"]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("recurrent_activation", ACTIVATIONS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_step_gradients(cells, rng, activation, recurrent_activation, bias):
    N, D, H = 2, 3, 3
    prev_h, prev_c = cells.initial_states(rng, "lstm", N, H)
    Wx, Wh, b = cells.weights(rng, "lstm", D, H, bias)
    inputs = dict(x=rng.standard_normal((N, D)), prev_h=prev_h, prev_c=prev_c, Wx=Wx, Wh=Wh, b=b)
    upstream = [rng.standard_normal((N, H)), rng.standard_normal((N, H))]

    def forward(*args):
        return lstm_step_forward(*args, activation, recurrent_activation)

    errors = cells.check_pair(forward, lstm_step_backward, inputs, upstream)
    assert max(errors.values()) < 1e-6, errors


def test_sequence_gradients_through_the_final_cell_state_only(cells, rng):
    """Only last_c gets a gradient; the mask's carried c must pass it back unchanged."""
    mask = np.array([[1, 1, 0], [1, 0, 1], [0, 0, 0]], dtype=bool)
    errors = cells.sequence_errors("lstm", rng, upstream=[False, False, True], mask=mask)
    assert max(errors.values()) < 1e-6, errors


def test_forget_gate_one_input_gate_zero_keeps_the_cell():
    """Golden case: with f = 1 and i = 0 (saturated biases) the memory c is carried unchanged."""
    N, D, H = 1, 2, 2
    b = np.concatenate([np.full(H, -50.0), np.full(H, 50.0), np.zeros(H), np.zeros(H)])
    prev_c = np.array([[0.3, -0.7]])
    Wx, Wh = np.zeros((D, 4 * H)), np.zeros((H, 4 * H))
    next_h, next_c, _ = lstm_step_forward(np.ones((N, D)), np.zeros((N, H)), prev_c, Wx, Wh, b)
    np.testing.assert_allclose(next_c, prev_c, rtol=1e-15)
    np.testing.assert_allclose(next_h, 0.5 * np.tanh(prev_c), rtol=1e-15)  # o = σ(0) = 0.5
