"""GRU cell in both forms (reset after and before the recurrent product): gradient checks of
the step pairs for every activation pair, and golden values. The checks shared by all cells
(the sequence pairs included) are in test_cell_contract.py; Keras's own numbers for both
forms in tests/keras/."""

import numpy as np
import pytest

from unrolled.functional import gru
from unrolled.functional.gru import gru_step_forward

ACTIVATIONS = ["tanh", "sigmoid", "relu", "linear"]
STEPS = {
    "gru": (gru.gru_step_forward, gru.gru_step_backward),
    "gru_reset_before": (gru.gru_reset_before_step_forward, gru.gru_reset_before_step_backward),
}


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("recurrent_activation", ACTIVATIONS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("kind", STEPS)
def test_step_gradients(cells, rng, kind, activation, recurrent_activation, bias):
    N, D, H = 2, 3, 3
    step_forward, step_backward = STEPS[kind]
    (prev_h,) = cells.initial_states(rng, kind, N, H)
    Wx, Wh, b = cells.weights(rng, kind, D, H, bias)
    inputs = dict(x=rng.standard_normal((N, D)), prev_h=prev_h, Wx=Wx, Wh=Wh, b=b)

    def forward(*args):
        return step_forward(*args, activation, recurrent_activation)

    errors = cells.check_pair(forward, step_backward, inputs, [rng.standard_normal((N, H))])
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


def test_reset_applies_before_the_recurrent_matmul():
    """Golden case: z = 0 (saturated), r = 0.5: hh = tanh(ax_h + b_h + (0.5 * h) Wh_h)."""
    Wx = np.array([[0.0, 0.0, 0.4]])  # z, r, h blocks
    Wh = np.array([[0.0, 0.0, 2.0]])
    b = np.array([-60.0, 0.0, 0.1])  # one bias (3H,)
    x, prev_h = np.ones((1, 1)), np.full((1, 1), 0.5)
    next_h, _ = gru.gru_reset_before_step_forward(x, prev_h, Wx, Wh, b)
    np.testing.assert_allclose(next_h, np.tanh([[0.4 + 0.1 + (0.5 * 0.5) * 2.0]]), rtol=1e-14)


def test_the_two_forms_differ_only_by_where_the_reset_acts(rng):
    """With r = 1 (saturated) and no recurrent bias, reset before and after are one cell."""
    N, D, H = 2, 3, 4
    x, prev_h = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh = rng.standard_normal((D, 3 * H)), rng.standard_normal((H, 3 * H))
    Wh[:, H : 2 * H] = 0  # r's pre-activation is its bias alone: 60, so r = 1
    b = rng.standard_normal(3 * H)
    b[H : 2 * H] = 60.0
    after, _ = gru.gru_step_forward(x, prev_h, Wx, Wh, np.stack([b, np.zeros_like(b)]))
    before, _ = gru.gru_reset_before_step_forward(x, prev_h, Wx, Wh, b)
    np.testing.assert_allclose(before, after, rtol=1e-12)
