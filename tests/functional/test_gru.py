"""GRU cell (reset-after): gradient checks of the step pair and of the sequence pair for every
activation pair, and golden values. The checks shared by all cells are in
test_cell_contract.py."""

import numpy as np
import pytest

from unrolled.functional.gru import gru_step_backward, gru_step_forward

ACTIVATIONS = ["tanh", "sigmoid", "relu", "linear"]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("recurrent_activation", ACTIVATIONS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_step_gradients(cells, rng, activation, recurrent_activation, bias):
    N, D, H = 2, 3, 3
    (prev_h,) = cells.initial_states(rng, "gru", N, H)
    Wx, Wh, b = cells.weights(rng, "gru", D, H, bias)
    inputs = dict(x=rng.standard_normal((N, D)), prev_h=prev_h, Wx=Wx, Wh=Wh, b=b)

    def forward(*args):
        return gru_step_forward(*args, activation, recurrent_activation)

    errors = cells.check_pair(forward, gru_step_backward, inputs, [rng.standard_normal((N, H))])
    assert max(errors.values()) < 1e-6, errors


def test_reset_applies_after_the_recurrent_matmul():
    """Golden case: z = 0 (saturated), r = 0.5: hh = tanh(ax_h + 0.5 * (h Wh_h + bh_h))."""
    N, D, H = 1, 1, 1
    Wx = np.array([[0.0, 0.0, 0.4]])  # z, r, h blocks
    Wh = np.array([[0.0, 0.0, 2.0]])
    b = np.array([[-60.0, 0.0, 0.1], [0.0, 0.0, 0.3]])  # row 0 input bias, row 1 recurrent
    x, prev_h = np.ones((N, D)), np.full((N, H), 0.5)
    next_h, _ = gru_step_forward(x, prev_h, Wx, Wh, b)
    np.testing.assert_allclose(next_h, np.tanh([[0.4 + 0.1 + 0.5 * (1.0 + 0.3)]]), rtol=1e-14)
