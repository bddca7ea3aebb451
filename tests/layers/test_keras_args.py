"""Arguments written for Keras that unrolled does not take as they are.

Keras 3.15 itself (checked with KERAS_BACKEND=torch):
- Embedding(input_length=...) warns "Argument `input_length` is deprecated" and ignores it;
- `batch_input_shape` and `time_major` are unrecognized (ValueError) on every layer;
- `input_dim=D` means input_shape=(D,), so a recurrent layer then fails on its 2-d input;
- LSTM and GRU accept `implementation`, SimpleRNN does not; all three accept `unroll`;
- regularizers, constraints and `seed` are accepted (and change training).
Here: what changes no result is accepted and gives the same layer, the rest is one InputError
naming the argument.
"""

import numpy as np
import pytest

import unrolled
from unrolled.errors import InputError
from unrolled.layers import (
    GRU,
    LSTM,
    Bidirectional,
    Dense,
    Dropout,
    Embedding,
    Layer,
    SimpleRNN,
    deserialize,
    serialize,
)

RECURRENT = [SimpleRNN, LSTM, GRU]
X = np.linspace(-1, 1, 2 * 5 * 3).reshape(2, 5, 3)  # (N, T, D)


def built(make, shape=(None, 5, 3)):
    """A layer made with a fixed seed and built for `shape`."""
    unrolled.set_seed(0)
    layer = make()
    layer.build(shape)
    return layer


def assert_same_layer(a, b, x=X):
    config_a, config_b = a.get_config(), b.get_config()
    config_a.pop("name"), config_b.pop("name")
    assert config_a == config_b
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(a.forward(x), b.forward(x))


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (LSTM, {"implementation": 1, "unroll": True, "use_cudnn": False}),
        (GRU, {"implementation": 2, "unroll": False, "use_cudnn": "auto"}),
        (LSTM, {"implementation": 0}),  # Keras 2's default, still in old configs
        (SimpleRNN, {"unroll": True}),
        (LSTM, {"kernel_regularizer": None, "recurrent_constraint": None, "seed": None}),
        (GRU, {"trainable": True, "activity_regularizer": None}),
    ],
)
def test_arguments_that_change_no_result_are_accepted(cls, kwargs):
    assert_same_layer(
        built(lambda: cls(4, return_sequences=True, **kwargs)),
        built(lambda: cls(4, return_sequences=True)),
    )


def test_embedding_input_length_warns_and_is_ignored_as_in_keras():
    ids = np.array([[1, 2, 0, 7], [3, 3, 9, 1]])
    with pytest.warns(UserWarning, match="`input_length` is deprecated and ignored"):
        with_length = built(lambda: Embedding(10, 3, input_length=4), (None, 4))
    assert_same_layer(with_length, built(lambda: Embedding(10, 3), (None, 4)), ids)


def test_embedding_weights_start_the_table():
    E = np.linspace(0, 1, 30).reshape(10, 3)
    layer = Embedding(10, 3, weights=[E], dtype="float64")
    layer.build((None, 4))
    np.testing.assert_array_equal(layer.get_weights()[0], E)
    E[0] = 5.0  # the layer holds its own copy
    assert layer.get_weights()[0][0, 0] == 0.0
    with pytest.raises(InputError, match=r"`weights`, expected \[a finite array of shape"):
        Embedding(10, 3, weights=[np.zeros((3, 10))])


def test_input_dim_means_input_shape_d_as_in_keras():
    assert Layer(input_dim=3).input_shape == (3,)
    assert Dense(4, input_dim=3).input_shape == (3,)
    with pytest.raises(InputError, match="got both input_shape=.* and input_dim=3; pass one"):
        Layer(input_shape=(3,), input_dim=3)
    with pytest.raises(InputError, match="`input_dim`, expected a positive integer"):
        Layer(input_dim=0)


@pytest.mark.parametrize("cls", RECURRENT)
def test_input_dim_on_a_recurrent_layer_says_what_to_write(cls):
    match = r"takes input of shape \(timesteps, features\).*use input_shape=\(None, 3\)"
    with pytest.raises(InputError, match=match):
        cls(4, input_dim=3)


@pytest.mark.parametrize("cls", RECURRENT)
def test_batch_input_shape_says_what_to_write(cls):
    match = r"unknown argument `batch_input_shape`.*use input_shape=\(5, 3\)"
    with pytest.raises(InputError, match=match):
        cls(4, batch_input_shape=(2, 5, 3))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: LSTM(4, foo=1), r"^LSTM got an unknown argument `foo` \(= 1\); it accepts units"),
        (lambda: SimpleRNN(4, implementation=1), "SimpleRNN got an unknown argument `implem"),
        (lambda: GRU(4, implementation=3), "`implementation`, expected 0, 1 or 2"),
        (lambda: GRU(4, time_major=True), "unknown argument `time_major`.*batch, timesteps"),
        (lambda: Embedding(10, 3, batch_input_shape=(None, 4)), r"input_shape=\(4,\)"),
        (lambda: Embedding(10, 3, foo=1), "Embedding got an unknown argument `foo`"),
        (lambda: LSTM(4, kernel_regularizer="l2"), "`kernel_regularizer`, expected None .*'l2'"),
        (lambda: GRU(4, bias_constraint="non_neg"), "`bias_constraint`, expected None"),
        (lambda: LSTM(4, seed=1), "`seed`, expected None .*set_seed"),
        (lambda: LSTM(4, trainable="no"), "`trainable`, expected True or False, got 'no'"),
        (lambda: LSTM(4, kernel_regularizer=np.zeros(2)), "`kernel_regularizer`, expected None"),
        (lambda: GRU(4, batch_input_shape=5), r"use input_shape=\(timesteps, features\)"),
        (lambda: Embedding(3, 2, weights=[np.array([["a", "b"]] * 3)]), "`weights`, expected"),
        (lambda: Embedding(3, 2, weights=[np.ones((3, 2)), np.ones(2)]), "`weights`, expected"),
        (lambda: Embedding(10, 3, embeddings_regularizer="l2"), "`embeddings_regularizer`"),
        (
            lambda: Dense(4, foo=1),
            r"^Dense got an unknown argument `foo` \(= 1\); it accepts units",
        ),
        (lambda: Dropout(0.5, batch_input_shape=(2, 3)), r"input_shape=\(3,\)"),
        (lambda: Bidirectional(LSTM(4), kernel_constraint="x"), "`kernel_constraint`, exp"),
    ],
)
def test_other_arguments_are_one_line_errors(make, match):
    with pytest.raises(InputError, match=match) as info:
        make()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("cls", RECURRENT)
def test_from_config_treats_keras_keys_like_the_constructor(cls):
    config = serialize(cls(4))
    assert_same_layer(
        built(lambda: deserialize({**config, "config": {**config["config"], "unroll": True}})),
        built(lambda: deserialize(config)),
    )
    with pytest.raises(InputError, match="unknown argument `foo`"):
        cls.from_config({**config["config"], "foo": 1})


def test_embedding_from_config_with_input_length_warns():
    config = Embedding(10, 3).get_config()
    with pytest.warns(UserWarning, match="input_length"):
        Embedding.from_config({**config, "input_length": 4})


# -- settings Keras users change after construction -------------------------------------------
def test_settings_set_later_take_effect():
    lstm = built(lambda: LSTM(4, return_sequences=True))
    lstm.activation = None  # Keras's "no activation"
    assert lstm.activation == "linear"
    assert_same_layer(lstm, built(lambda: LSTM(4, return_sequences=True, activation="linear")))
    dropout = Dropout(0.5)
    dropout.rate = 0.0
    np.testing.assert_array_equal(dropout.forward(X, training=True), X.astype(dropout.dtype))
    dense = built(lambda: Dense(2, activation="softmax"), (None, 3))
    dense.activation = "linear"  # e.g. logits for a saliency map
    np.testing.assert_allclose(dense.forward(X[:, 0]), X[:, 0] @ dense.get_weights()[0], rtol=1e-5)
    gru = GRU(3)
    gru.reset_after = False  # before build: the weights follow
    gru.build((None, 5, 3))
    assert gru.params["bias"].shape == (9,) and gru.get_config()["reset_after"] is False


@pytest.mark.parametrize(
    "make, name, value, match",
    [
        (lambda: LSTM(4), "activation", "swish", r"`activation`, expected one of \['linear'"),
        (lambda: GRU(4), "recurrent_activation", 3, "`recurrent_activation`, expected one of"),
        (lambda: SimpleRNN(4), "dropout", 1.0, r"`dropout`, expected a float in \[0, 1\)"),
        (lambda: LSTM(4), "return_sequences", "yes", "`return_sequences`, expected True or F"),
        (lambda: LSTM(4), "trainable", None, "`trainable`, expected True or False, got None"),
        (lambda: LSTM(4), "kernel_initializer", "he_magic", "`kernel_initializer`, expected"),
        (lambda: LSTM(4), "kernel_regularizer", "l2", "`kernel_regularizer`, expected None"),
        (lambda: Dense(4), "activation", "gelu", "`activation`, expected one of"),
        (lambda: Dropout(0.1), "rate", -0.1, "`rate`, expected a float in"),
        (lambda: Embedding(5, 2), "mask_zero", 1, "`mask_zero`, expected True or False"),
        (lambda: built(lambda: LSTM(4)), "units", 8, "layer 'lstm.*' is built, and `units` fix"),
        (lambda: built(lambda: GRU(4)), "reset_after", False, "is built, and `reset_after`"),
        (
            lambda: built(lambda: Dense(2), (None, 3)),
            "use_bias",
            False,
            r"fixes its weights' shapes; make a new Dense with use_bias=False instead$",
        ),
    ],
)
def test_settings_set_later_are_checked_like_arguments(make, name, value, match):
    layer = make()
    with pytest.raises(InputError, match=match) as info:
        setattr(layer, name, value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("cls", RECURRENT)
def test_reset_state_is_keras_3s_name(cls):
    layer = built(lambda: cls(4, stateful=True))
    first = layer.forward(X)
    assert not np.array_equal(layer.forward(X), first)  # carried on
    layer.reset_state()
    np.testing.assert_array_equal(layer.forward(X), first)
    layer.reset_states()  # the older name stays
    np.testing.assert_array_equal(layer.forward(X), first)
    pair = Bidirectional(cls(2, stateful=True))
    y = pair.forward(X)
    pair.reset_state()
    np.testing.assert_array_equal(pair.forward(X), y)
