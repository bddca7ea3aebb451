"""Float64 finite-difference checks of SimpleRNN, LSTM and GRU layers: every parameter, the
input and the initial states, through L = sum(y * R), in each option that changes the math."""

import functools

import numpy as np
import pytest

from unrolled.layers import GRU, LSTM, SimpleRNN

N, T, D, H = 2, 4, 3, 2
LAYERS = {
    "rnn": SimpleRNN,
    "lstm": LSTM,
    "gru": GRU,
    "gru_reset_before": functools.partial(GRU, reset_after=False),
}
N_STATES = {"rnn": 1, "lstm": 2, "gru": 1, "gru_reset_before": 1}
PADDED = np.array([[True, True, True, True], [True, True, False, False]])  # a padded batch
HOLES = np.array([[True, False, True, True], [False, True, True, False]])  # gaps anywhere
UNREAD = np.array([[False, True, True, False], [False, False, False, False]])  # one all masked

OPTIONS = {
    "last_output": ({}, {}),
    "sequences": ({"return_sequences": True}, {}),
    "state": ({"return_state": True}, {}),
    "sequences_and_state": ({"return_sequences": True, "return_state": True}, {}),
    "initial_state": ({"return_sequences": True}, {"initial_state": True}),
    "backwards": ({"go_backwards": True}, {}),
    "backwards_sequences_state": (
        {"go_backwards": True, "return_sequences": True, "return_state": True},
        {"initial_state": True},
    ),
    "padded": ({"return_sequences": True, "return_state": True}, {"mask": PADDED}),
    "padded_last": ({}, {"mask": PADDED}),
    "holes_backwards": ({"go_backwards": True, "return_sequences": True}, {"mask": HOLES}),
    "holes_zero_outputs": (
        {"return_sequences": True, "zero_output_for_mask": True},
        {"mask": HOLES, "initial_state": True},
    ),
    "unread_last": ({"return_state": True}, {"mask": UNREAD, "initial_state": True}),
    "unread_last_zero_outputs": ({"zero_output_for_mask": True}, {"mask": UNREAD}),
    "no_bias": ({"use_bias": False, "return_sequences": True}, {}),
    "dropout": (
        {"dropout": 0.3, "recurrent_dropout": 0.4, "return_sequences": True},
        {"training": True},
    ),
    "linear": ({"activation": None, "return_sequences": True}, {}),
}


def make(kind, seed=0, **options):
    layer = LAYERS[kind](H, dtype="float64", bias_initializer="random_normal", **options)
    layer.build((None, T, D), rng=np.random.default_rng(seed))
    return layer


def forward_kwargs(kind, call, rng):
    kwargs = dict(call)
    if kwargs.pop("initial_state", False):
        kwargs["initial_state"] = [rng.standard_normal((N, H)) for _ in range(N_STATES[kind])]
    return kwargs


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("kind", LAYERS)
def test_gradients(kind, option, rng, max_gradient_error):
    options, call = OPTIONS[option]
    layer = make(kind, **options)
    x = rng.standard_normal((N, T, D))
    assert max_gradient_error(layer, x, **forward_kwargs(kind, call, rng)) < 1e-6


@pytest.mark.parametrize(
    "kind, options",
    [
        ("rnn", {"activation": "relu"}),
        ("lstm", {"activation": "sigmoid"}),
        ("lstm", {"recurrent_activation": "tanh", "unit_forget_bias": False}),
        ("gru", {"activation": "sigmoid"}),
        ("gru", {"activation": "relu", "recurrent_activation": "tanh"}),
    ],
)
def test_gradients_other_activations(kind, options, rng, max_gradient_error):
    layer = make(kind, return_sequences=True, **options)
    x = rng.standard_normal((N, T, D))
    assert max_gradient_error(layer, x) < 1e-6


@pytest.mark.parametrize("kind", LAYERS)
def test_gradient_of_returned_states_only(kind, rng):
    """backward([None, dh, (dc)]) with return_sequences: only the final states get a gradient."""
    layer = make(kind, return_sequences=True, return_state=True)
    x = rng.standard_normal((N, T, D))
    _, *states = layer.forward(x, training=True)
    dstates = [rng.standard_normal(s.shape) for s in states]
    dx = layer.backward([None, *dstates])
    reference = make(kind, return_state=True)  # same weights: y is the final h
    reference.forward(x, training=True)
    np.testing.assert_allclose(dx, reference.backward([dstates[0], None, *dstates[1:]]), rtol=1e-12)
    assert not np.allclose(dx, 0)
