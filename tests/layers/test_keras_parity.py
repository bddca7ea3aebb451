"""SimpleRNN, LSTM and GRU in both forms against Keras 3.15 itself, in float64: outputs, final
states, and the gradients of every weight, the input and the initial states (Keras through
torch's autograd), in every option that changes the math: masks with and without
zero_output_for_mask, go_backwards, initial and returned states, activations, no bias, and
Bidirectional (which sets zero_output_for_mask = return_sequences on both directions)."""

import numpy as np
import pytest

from unrolled import layers

N, T, D, H = 3, 5, 4, 3
HOLES = np.array(
    [
        [True, False, True, True, False],  # a hole, then padding at the end
        [False, False, True, True, True],  # padding first: no output to repeat yet
        [False, False, False, False, False],  # nothing to read
    ]
)
KINDS = {
    "SimpleRNN": {},
    "LSTM": {},
    "GRU": {},
    "GRU reset_before": {"reset_after": False},
}


def pair(keras, kind, **options):
    """(Keras layer, our layer) of the same class and options, float64, nonzero biases."""
    name = kind.split()[0]
    options = {**KINDS[kind], **options}
    theirs = getattr(keras.layers, name)(
        H,
        dtype="float64",
        bias_initializer=keras.initializers.RandomNormal(stddev=0.5, seed=1),
        **options,
    )
    return theirs, getattr(layers, name)(H, dtype="float64", **options)


CASES = {
    "last output": ({}, {}),
    "sequences": ({"return_sequences": True}, {}),
    "masked sequences": ({"return_sequences": True}, {"mask": HOLES, "initial_state": True}),
    "masked, zero outputs": (
        {"return_sequences": True, "zero_output_for_mask": True},
        {"mask": HOLES, "initial_state": True},
    ),
    "masked last output": ({"return_state": True}, {"mask": HOLES, "initial_state": True}),
    "masked last output, zero outputs": ({"zero_output_for_mask": True}, {"mask": HOLES}),
    "backwards": (
        {"go_backwards": True, "return_sequences": True, "return_state": True},
        {"mask": HOLES, "initial_state": True},
    ),
    "no bias, other activations": (
        {"use_bias": False, "activation": "relu", "return_sequences": True},
        {"initial_state": True},
    ),
}
GATED = {"recurrent_activation": "tanh", "activation": "sigmoid", "return_sequences": True}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("kind", KINDS)
def test_layer_matches_keras(keras, keras_parity, kind, case):
    options, call = CASES[case]
    theirs, ours = pair(keras, kind, **options)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, T, D))
    states = None
    if call.get("initial_state"):
        states = [rng.standard_normal((N, H)) for _ in range(2 if kind == "LSTM" else 1)]
    keras_parity(theirs, ours, x, mask=call.get("mask"), initial_state=states)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "GRU reset_before"])
def test_gated_activations_match_keras(keras, keras_parity, kind):
    theirs, ours = pair(keras, kind, **GATED)
    x = np.random.default_rng(1).standard_normal((N, T, D))
    keras_parity(theirs, ours, x, mask=HOLES)


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_bidirectional_matches_keras(keras, keras_parity, kind, return_sequences):
    inner_theirs, inner_ours = pair(keras, kind, return_sequences=return_sequences)
    theirs = keras.layers.Bidirectional(inner_theirs, dtype="float64")
    ours = layers.Bidirectional(inner_ours, dtype="float64")
    x = np.random.default_rng(2).standard_normal((N, T, D))
    keras_parity(theirs, ours, x, mask=HOLES)
    assert ours.forward_layer.zero_output_for_mask is return_sequences
    assert ours.backward_layer.zero_output_for_mask is return_sequences
