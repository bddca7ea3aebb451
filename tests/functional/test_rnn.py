"""SimpleRNN cell: gradient checks of every forward/backward pair, the fast path against the
step functions, and masking against running each sequence alone."""

import numpy as np
import pytest

from unrolled.functional.rnn import rnn_step_backward, rnn_step_forward

ACTIVATIONS = ["tanh", "relu", "sigmoid", "linear"]
MASK = np.array([[1, 0, 1], [1, 1, 0], [0, 0, 0]], dtype=bool)  # hole, padding, all masked
SEQUENCE_CASES = {
    "all upstream": {},
    "dh None": {"upstream": [False, True]},
    "only dh": {"upstream": [True, False]},
    "mask": {"mask": MASK},
    "recurrent_mask": {"recurrent_mask": True},
    "no bias": {"bias": False},
    "everything": {"mask": MASK, "recurrent_mask": True, "bias": False, "upstream": [0, 1]},
}


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


@pytest.mark.parametrize("case", SEQUENCE_CASES)
def test_sequence_gradients(cells, rng, case):
    errors = cells.sequence_errors("rnn", rng, **SEQUENCE_CASES[case])
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_fast_path_matches_steps(cells, rng, activation):
    cells.assert_steps_match_sequence("rnn", rng, activation=activation)


def test_padded_batch_matches_each_sequence_alone(cells, rng):
    cells.assert_padded_batch_matches_alone("rnn", rng)


def test_float32_stays_float32(cells, rng):
    cells.assert_float32_stays_float32("rnn", rng)


def test_inference_without_cache(cells, rng):
    cells.assert_no_cache_same_outputs("rnn", rng)


def test_hand_computed_step():
    """a = x Wx + prev_h Wh + b = [0.1 + 0.6 + 0.25, 0.2 + 0.8 - 0.5 + 0.1] = [0.95, 0.6]."""
    x, prev_h = np.array([[1.0, 2.0]]), np.array([[0.5, -1.0]])
    Wx, Wh, b = np.array([[0.1, 0.2], [0.3, 0.4]]), 0.5 * np.eye(2), np.array([0.0, 0.1])
    next_h, _ = rnn_step_forward(x, prev_h, Wx, Wh, b)
    np.testing.assert_allclose(next_h, np.tanh([[0.95, 0.6]]), rtol=1e-15)
    relu_h, _ = rnn_step_forward(-x, prev_h, Wx, Wh, b, activation="relu")
    np.testing.assert_allclose(relu_h, [[0.0, 0.0]], atol=0)  # a = [-0.45, -1.4]
