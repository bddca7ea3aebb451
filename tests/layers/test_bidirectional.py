"""Bidirectional: gradients in every merge mode, state handling, weights and config."""

import functools
import json

import numpy as np
import pytest

import unrolled
from unrolled.layers import GRU, LSTM, Bidirectional, Dense, SimpleRNN, deserialize, serialize

N, T, D, H = 2, 4, 3, 2
LAYERS = {
    "rnn": SimpleRNN,
    "lstm": LSTM,
    "gru": GRU,
    "gru_reset_before": functools.partial(GRU, reset_after=False),
}
N_STATES = {"rnn": 1, "lstm": 2, "gru": 1, "gru_reset_before": 1}
MASK = np.array([[True, True, True, True], [True, True, True, False]])


def make(kind, merge_mode="concat", seed=0, **options):
    inner = LAYERS[kind](H, dtype="float64", bias_initializer="random_normal", **options)
    layer = Bidirectional(inner, merge_mode=merge_mode)
    layer.build((None, T, D), rng=np.random.default_rng(seed))
    return layer


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("kind", LAYERS)
def test_gradients_per_merge_mode(kind, merge_mode, return_sequences, rng, max_gradient_error):
    layer = make(kind, merge_mode, return_sequences=return_sequences)
    x = rng.standard_normal((N, T, D))
    assert max_gradient_error(layer, x, mask=MASK) < 1e-6


@pytest.mark.parametrize("merge_mode", ["concat", None])
@pytest.mark.parametrize("kind", LAYERS)
def test_gradients_with_states(kind, merge_mode, rng, max_gradient_error):
    layer = make(kind, merge_mode, return_sequences=True, return_state=True)
    x = rng.standard_normal((N, T, D))
    initial_state = [rng.standard_normal((N, H)) for _ in range(2 * N_STATES[kind])]
    assert max_gradient_error(layer, x, initial_state=initial_state) < 1e-6


def test_gradients_with_dropout(rng, max_gradient_error):
    layer = make("lstm", "ave", return_sequences=True, dropout=0.3, recurrent_dropout=0.3)
    x = rng.standard_normal((N, T, D))
    assert max_gradient_error(layer, x, training=True) < 1e-6


def test_outputs_are_the_two_directions_aligned_in_time(rng):
    layer = make("gru", None, return_sequences=True, return_state=True)
    x = rng.standard_normal((N, T, D))
    y_fw, y_bw, h_fw, h_bw = layer.forward(x)
    np.testing.assert_array_equal(y_fw[:, -1], h_fw)  # forward reads t = 0 .. T-1
    np.testing.assert_array_equal(y_bw[:, 0], h_bw)  # backward ends at t = 0
    concat = Bidirectional(layer.forward_layer)
    concat.build((None, T, D))
    concat.set_weights(layer.get_weights())
    y, *states = concat.forward(x)
    np.testing.assert_array_equal(y, np.concatenate([y_fw, y_bw], axis=-1))
    np.testing.assert_array_equal(states[0], h_fw)


def test_params_keys_names_and_count():
    layer = make("lstm")
    assert list(layer.params) == [
        "forward_kernel",
        "forward_recurrent_kernel",
        "forward_bias",
        "backward_kernel",
        "backward_recurrent_kernel",
        "backward_bias",
    ]
    assert list(layer.grads) == list(layer.params)
    assert layer.forward_layer.name.startswith("forward_lstm")
    assert layer.backward_layer.name.startswith("backward_lstm")
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    assert layer.count_params() == 2 * 4 * (D * H + H * H + H)
    assert [w.shape for w in layer.get_weights()] == [(D, 4 * H), (H, 4 * H), (4 * H,)] * 2


def test_params_may_be_rebound_to_flat_buffers(rng):
    layer, reference = make("gru", return_sequences=True), make("gru", return_sequences=True)
    total = sum(p.size for p in layer.params.values())
    flat_w, flat_g = np.empty(total), np.full(total, np.nan)
    offset = 0
    for k, p in list(layer.params.items()):
        layer.params[k] = flat_w[offset : offset + p.size].reshape(p.shape)
        layer.params[k][...] = p
        layer.grads[k] = flat_g[offset : offset + p.size].reshape(p.shape)
        offset += p.size
    flat_w *= 3
    reference.set_weights([3 * w for w in reference.get_weights()])
    x, dy = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, 2 * H))
    np.testing.assert_allclose(
        layer.forward(x, training=True), reference.forward(x, training=True), rtol=1e-12
    )
    layer.backward(dy)
    reference.backward(dy)
    expected = np.concatenate([g.ravel() for g in reference.grads.values()])
    np.testing.assert_allclose(flat_g, expected, rtol=1e-12)


def test_compute_output_shape_and_mask(rng):
    x = rng.standard_normal((N, T, D))
    for merge_mode in ["concat", "sum", "mul", "ave", None]:
        for options in ({}, {"return_sequences": True}, {"return_state": True}):
            layer = make("lstm", merge_mode, **options)
            out = layer.forward(x)
            shapes = [o.shape for o in out] if isinstance(out, list) else out.shape
            assert layer.compute_output_shape((N, T, D)) == shapes
    assert make("lstm", return_sequences=True).compute_mask(x, MASK) is MASK
    assert make("lstm").compute_mask(x, MASK) is None


def test_config_round_trip(rng):
    backward = GRU(H, go_backwards=True, return_sequences=True, activation="relu", dtype="float64")
    layer = Bidirectional(GRU(H, return_sequences=True, dtype="float64"), "mul", backward)
    cfg = json.loads(json.dumps(serialize(layer)))
    copy = deserialize(cfg)
    assert copy.get_config() == layer.get_config()
    assert copy.backward_layer.activation == "relu"
    layer.build((None, T, D))
    copy.build((None, T, D))
    copy.set_weights(layer.get_weights())
    x = rng.standard_normal((N, T, D))
    np.testing.assert_array_equal(copy.forward(x), layer.forward(x))


def test_stateful_reset():
    layer = make("rnn", stateful=True)
    x = np.ones((N, T, D))
    first = layer.forward(x)
    assert not np.allclose(layer.forward(x), first)
    layer.reset_states()
    np.testing.assert_array_equal(layer.forward(x), first)


def test_errors():
    with pytest.raises(
        unrolled.InputError,
        match=r"argument `merge_mode`, expected one of "
        r"\['concat', 'sum', 'mul', 'ave', None\], got 'max'",
    ):
        Bidirectional(LSTM(H), merge_mode="max")
    with pytest.raises(
        unrolled.InputError,
        match=r"argument `layer`, expected a recurrent layer: SimpleRNN, LSTM, GRU or RNN",
    ):
        Bidirectional(Dense(H))
    with pytest.raises(
        unrolled.InputError,
        match=r"argument `backward_layer.go_backwards`, expected True, got False",
    ):
        Bidirectional(LSTM(H), backward_layer=LSTM(H))
    with pytest.raises(unrolled.InputError, match=r"argument `backward_layer.return_sequences`"):
        Bidirectional(LSTM(H), backward_layer=LSTM(H, go_backwards=True, return_sequences=True))
    layer = make("lstm")
    with pytest.raises(
        unrolled.InputError, match=r"layer 'bidirectional.*' reads the whole sequence"
    ):
        layer.step(np.zeros((N, D)))


def test_backward_without_input_gradient(rng, backward_twice):
    layer = make("lstm", "concat", return_sequences=True)
    x, dy = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, 2 * H))
    assert backward_twice(layer, x, dy).shape == x.shape
