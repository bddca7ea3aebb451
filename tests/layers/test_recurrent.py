"""Behaviour of SimpleRNN, LSTM and GRU layers: masks, state, dropout, step, weights, config,
and every error message."""

import functools
import json

import numpy as np
import pytest

import unrolled
from unrolled import config
from unrolled.layers import GRU, LSTM, SimpleRNN, deserialize, serialize

LAYERS = {
    "rnn": SimpleRNN,
    "lstm": LSTM,
    "gru": GRU,
    "gru_reset_before": functools.partial(GRU, reset_after=False),
}
N_STATES = {"rnn": 1, "lstm": 2, "gru": 1, "gru_reset_before": 1}
N, T, D, H = 3, 5, 4, 6


def make(kind, dtype="float64", seed=0, **options):
    layer = LAYERS[kind](H, dtype=dtype, bias_initializer="random_normal", **options)
    layer.build((None, None, D), rng=np.random.default_rng(seed))
    return layer


@pytest.fixture(autouse=True)
def keep_floatx():
    before = config.floatx()
    yield
    config.set_floatx(np.dtype(before).name)


@pytest.mark.parametrize("zero_output_for_mask", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("kind", LAYERS)
def test_padded_batch_equals_each_sequence_alone(kind, go_backwards, zero_output_for_mask, rng):
    lengths = [5, 3, 1]
    x = rng.standard_normal((N, T, D))
    mask = np.arange(T)[None, :] < np.array(lengths)[:, None]  # (N, T) post-padding
    x[~mask] = 7.0  # garbage in the padding must not matter
    layer = make(
        kind,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
        zero_output_for_mask=zero_output_for_mask,
    )
    y, *states = layer.forward(x, mask=mask)
    for n, L in enumerate(lengths):
        y_n, *states_n = layer.forward(x[n : n + 1, :L])
        if go_backwards:  # outputs in processing order: the padding first, no output yet
            np.testing.assert_allclose(y[n, T - L :], y_n[0], rtol=1e-12, atol=1e-14)
            np.testing.assert_array_equal(y[n, : T - L], 0)
        else:  # the padding last: Keras repeats the last real output, or gives 0
            np.testing.assert_allclose(y[n, :L], y_n[0], rtol=1e-12, atol=1e-14)
            padding = 0 if zero_output_for_mask else y[n, L - 1]
            np.testing.assert_array_equal(y[n, L:], np.broadcast_to(padding, (T - L, H)))
        for s, s_n in zip(states, states_n, strict=True):
            np.testing.assert_allclose(s[n], s_n[0], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", LAYERS)
def test_compute_mask(kind):
    mask = np.array([[True, True, False]])
    assert make(kind).compute_mask(None, mask) is None
    assert make(kind, return_sequences=True).compute_mask(None, mask) is mask
    backwards = make(kind, return_sequences=True, go_backwards=True).compute_mask(None, mask)
    assert backwards is mask  # as Keras 3 passes it on: not flipped with the outputs


@pytest.mark.parametrize("kind", LAYERS)
def test_stateful_carry_equals_one_long_sequence(kind, rng):
    x = rng.standard_normal((N, T, D))
    whole = make(kind, return_sequences=True, return_state=True)
    y, *states = whole.forward(x)
    chunked = make(kind, return_sequences=True, return_state=True, stateful=True)
    y1, *_ = chunked.forward(x[:, :2])
    y2, *states2 = chunked.forward(x[:, 2:])
    np.testing.assert_allclose(np.concatenate([y1, y2], axis=1), y, rtol=1e-12)
    for s, s2 in zip(states, states2, strict=True):
        np.testing.assert_allclose(s2, s, rtol=1e-12)
    chunked.reset_states()
    np.testing.assert_allclose(chunked.forward(x[:, :2])[0], y1, rtol=1e-12)


def test_stateful_batch_size_must_stay_the_same(rng):
    layer = make("lstm", stateful=True)
    layer.forward(rng.standard_normal((N, T, D)))
    with pytest.raises(
        unrolled.InputError, match=r"holds states for a batch of 3, got a batch of 2"
    ):
        layer.forward(rng.standard_normal((2, T, D)))
    layer.reset_states()
    assert layer.forward(rng.standard_normal((2, T, D))).shape == (2, H)


@pytest.mark.parametrize("kind", LAYERS)
def test_return_state_and_initial_state(kind, rng):
    x = rng.standard_normal((N, T, D))
    h0 = [rng.standard_normal((N, H)) for _ in range(N_STATES[kind])]
    y, *states = make(kind, return_state=True).forward(x, initial_state=h0)
    assert len(states) == N_STATES[kind]
    np.testing.assert_array_equal(y, states[0])  # without sequences, y is the final h
    y_zero = make(kind).forward(x)
    assert not np.allclose(y, y_zero)  # the initial state mattered
    seq = make(kind, return_sequences=True).forward(x, initial_state=h0)
    np.testing.assert_allclose(seq[:, -1], y, rtol=1e-12)


@pytest.mark.parametrize("kind", LAYERS)
def test_dropout_only_in_training_and_repeatable(kind, rng):
    x = rng.standard_normal((N, T, D))
    layer = make(kind, dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
    plain = make(kind, return_sequences=True)
    np.testing.assert_array_equal(layer.forward(x), plain.forward(x))
    unrolled.set_seed(3)
    a = layer.forward(x, training=True)
    unrolled.set_seed(3)
    b = layer.forward(x, training=True)
    c = layer.forward(x, training=True)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, plain.forward(x))
    assert not np.allclose(a, c)


def test_input_dropout_mask_is_the_same_at_every_step():
    """Linear SimpleRNN with Wh = 0 and a constant input: y_t = (x * m) @ Wx + b is the
    same at every step only if the mask m is drawn once per sequence (Keras)."""
    layer = SimpleRNN(
        H,
        activation=None,
        dropout=0.5,
        return_sequences=True,
        recurrent_initializer="zeros",
        dtype="float64",
    )
    layer.build((None, None, D), rng=np.random.default_rng(0))
    y = layer.forward(np.ones((N, T, D)), training=True)
    np.testing.assert_allclose(y, np.repeat(y[:, :1], T, axis=1), rtol=1e-12)
    assert len({tuple(row) for row in y[:, 0]}) > 1  # rows got different masks


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", LAYERS)
def test_step_equals_forward(kind, dtype, rng):
    x = rng.standard_normal((N, T, D))
    h0 = [rng.standard_normal((N, H)) for _ in range(N_STATES[kind])]
    layer = make(kind, dtype=dtype, return_sequences=True, return_state=True)
    y, *final = layer.forward(x, initial_state=h0)
    state = h0
    for t in range(T):
        y_t, state = layer.step(x[:, t], state)
        assert y_t.dtype == np.dtype(dtype)
        np.testing.assert_allclose(
            y_t,
            y[:, t],
            rtol=1e-5 if dtype == "float32" else 1e-12,
            atol=1e-6 if dtype == "float32" else 0,
        )
    for s, f in zip(state, final, strict=True):
        np.testing.assert_allclose(
            s, f, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6 if dtype == "float32" else 0
        )


@pytest.mark.parametrize("kind", LAYERS)
def test_step_starts_from_zeros(kind, rng):
    x = rng.standard_normal((N, T, D))
    layer = make(kind)
    y, state = layer.step(x[:, 0], None)
    assert len(state) == N_STATES[kind]
    np.testing.assert_allclose(y, layer.forward(x[:, :1]), rtol=1e-12)


@pytest.mark.parametrize(
    "kind, shapes, count",
    [
        ("rnn", [(D, H), (H, H), (H,)], D * H + H * H + H),
        ("lstm", [(D, 4 * H), (H, 4 * H), (4 * H,)], 4 * (D * H + H * H + H)),
        ("gru", [(D, 3 * H), (H, 3 * H), (2, 3 * H)], 3 * (D * H + H * H + 2 * H)),
    ],
)
def test_keras_weight_layout_and_count(kind, shapes, count):
    layer = make(kind)
    assert [w.shape for w in layer.get_weights()] == shapes
    assert list(layer.params) == ["kernel", "recurrent_kernel", "bias"]
    assert layer.count_params() == count
    no_bias = make(kind, use_bias=False)
    assert list(no_bias.params) == ["kernel", "recurrent_kernel"]
    assert no_bias.count_params() == count - int(np.prod(shapes[2]))


def test_default_initial_values():
    layer = LSTM(H, input_shape=(None, D))
    layer.build((None, None, D))
    assert layer.dtype == np.float32
    Wx, Wh, b = layer.get_weights()
    np.testing.assert_array_equal(b, np.r_[np.zeros(H), np.ones(H), np.zeros(2 * H)])
    np.testing.assert_allclose(Wh @ Wh.T, np.eye(H), atol=1e-5)  # orthogonal rows
    limit = np.sqrt(6 / (D + 4 * H))
    assert np.abs(Wx).max() <= limit and np.abs(Wx).max() > 0.5 * limit
    plain = LSTM(H, unit_forget_bias=False)
    plain.build((None, None, D))
    np.testing.assert_array_equal(plain.params["bias"], np.zeros(4 * H))
    gru = GRU(H)
    gru.build((None, None, D))
    np.testing.assert_array_equal(gru.params["bias"], np.zeros((2, 3 * H)))


def test_floatx_is_read_at_build_time(rng):
    layer = GRU(H)
    unrolled.set_floatx("float64")
    layer.build((None, None, D))
    assert layer.params["kernel"].dtype == np.float64
    assert layer.forward(rng.standard_normal((N, T, D)).astype(np.float32)).dtype == np.float64


@pytest.mark.parametrize("kind", LAYERS)
def test_get_set_weights_round_trip_in_place(kind, rng):
    a, b = make(kind, seed=1), make(kind, seed=2)
    arrays = [b.params[k] for k in b.params]
    b.set_weights(a.get_weights())
    assert all(b.params[k] is arr for k, arr in zip(b.params, arrays, strict=True))
    x = rng.standard_normal((N, T, D))
    np.testing.assert_array_equal(a.forward(x), b.forward(x))


@pytest.mark.parametrize("kind", LAYERS)
def test_params_and_grads_may_be_rebound_to_flat_buffers(kind, rng):
    """A Model replaces params[k] / grads[k] by views into one buffer: the layer must use them."""
    layer, reference = make(kind, return_sequences=True), make(kind, return_sequences=True)
    sizes = [p.size for p in layer.params.values()]
    flat_w, flat_g = np.empty(sum(sizes)), np.full(sum(sizes), np.nan)
    offset = 0
    for k, p in list(layer.params.items()):
        view = flat_w[offset : offset + p.size].reshape(p.shape)
        view[...] = p
        layer.params[k] = view
        layer.grads[k] = flat_g[offset : offset + p.size].reshape(p.shape)
        offset += p.size
    flat_w *= 2  # the layer must see this change
    reference.set_weights([2 * w for w in reference.get_weights()])
    x, dy = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    np.testing.assert_allclose(
        layer.forward(x, training=True), reference.forward(x, training=True), rtol=1e-12
    )
    layer.backward(dy)
    reference.backward(dy)
    np.testing.assert_allclose(
        flat_g, np.concatenate([g.ravel() for g in reference.grads.values()]), rtol=1e-12
    )


@pytest.mark.parametrize("kind", LAYERS)
def test_config_round_trip(kind, rng):
    layer = LAYERS[kind](
        H,
        return_sequences=True,
        go_backwards=True,
        dropout=0.1,
        recurrent_dropout=0.2,
        kernel_initializer={
            "class_name": "RandomUniform",
            "config": {"minval": -0.1, "maxval": 0.1},
        },
        bias_initializer="ones",
        input_shape=(None, D),
        name="my_layer",
        dtype="float64",
        activation="relu",
    )
    cfg = json.loads(json.dumps(serialize(layer)))
    assert cfg["class_name"] == type(layer).__name__
    copy = deserialize(cfg)
    assert type(copy) is type(layer)
    assert copy.get_config() == layer.get_config()
    assert cfg["config"]["kernel_initializer"] == {
        "class_name": "RandomUniform",
        "config": {"minval": -0.1, "maxval": 0.1, "seed": None},  # Keras's config
    }
    layer.build((None, None, D))
    copy.build((None, None, D))
    copy.set_weights(layer.get_weights())
    x = rng.standard_normal((N, T, D))
    np.testing.assert_array_equal(copy.forward(x), layer.forward(x))


def test_config_has_keras_names():
    cfg = LSTM(H).get_config()
    for key in (
        "units",
        "activation",
        "recurrent_activation",
        "use_bias",
        "return_sequences",
        "return_state",
        "go_backwards",
        "stateful",
        "unit_forget_bias",
        "dropout",
        "recurrent_dropout",
        "kernel_initializer",
        "recurrent_initializer",
        "bias_initializer",
        "name",
        "dtype",
    ):
        assert key in cfg
    assert cfg["kernel_initializer"] == "glorot_uniform"
    assert cfg["recurrent_initializer"] == "orthogonal"
    assert "unit_forget_bias" not in GRU(H).get_config()
    assert "recurrent_activation" not in SimpleRNN(H).get_config()


def test_default_names_are_keras_like():
    a, b = SimpleRNN(2), SimpleRNN(2)
    assert a.name.startswith("simple_rnn") and b.name != a.name
    assert LSTM(2, name="encoder").name == "encoder"


@pytest.mark.parametrize("kind", LAYERS)
def test_compute_output_shape(kind, rng):
    for options in (
        {},
        {"return_sequences": True},
        {"return_state": True},
        {"return_sequences": True, "return_state": True},
    ):
        layer = make(kind, **options)
        out = layer.forward(rng.standard_normal((N, T, D)))
        shapes = [o.shape for o in out] if isinstance(out, list) else out.shape
        assert layer.compute_output_shape((N, T, D)) == shapes


def test_error_wrong_rank():
    with pytest.raises(
        unrolled.InputError,
        match=r"layer 'lstm_x' expects input of shape "
        r"\(batch, timesteps, features\), got \(32, 10\)",
    ):
        LSTM(H, name="lstm_x").build((32, 10))
    layer = make("gru", name="g")
    with pytest.raises(
        unrolled.InputError,
        match=r"layer 'g' expects input of shape \(batch, timesteps, features\), got \(3, 4\)",
    ):
        layer.forward(np.zeros((3, 4)))


def test_error_wrong_feature_size_after_build():
    layer = make("rnn", name="r")
    with pytest.raises(
        unrolled.InputError,
        match=r"layer 'r' expects input of shape \(batch, timesteps, 4\), got \(3, 5, 7\)",
    ):
        layer.forward(np.zeros((3, 5, 7)))


def test_error_wrong_mask_shape():
    layer = make("lstm", name="m")
    with pytest.raises(
        unrolled.InputError, match=r"layer 'm' expects a mask of shape \(3, 5\), got \(3, 4\)"
    ):
        layer.forward(np.zeros((N, T, D)), mask=np.ones((3, 4), bool))


def test_error_wrong_initial_state():
    layer = make("lstm", name="s")
    with pytest.raises(
        unrolled.InputError,
        match=r"layer 's' expects initial_state of shapes \[\(3, 6\), \(3, 6\)\], got \[\(3, 6\)\]",
    ):
        layer.forward(np.zeros((N, T, D)), initial_state=[np.zeros((N, H))])


def test_error_set_weights():
    layer = make("lstm", name="w")
    weights = layer.get_weights()
    with pytest.raises(
        unrolled.InputError,
        match=r"layer 'w' expects 3 weight arrays \['kernel', 'recurrent_kernel', 'bias'\], got 2",
    ):
        layer.set_weights(weights[:2])
    with pytest.raises(
        unrolled.InputError,
        match=r"layer 'w' expects weight 'recurrent_kernel' of shape \(6, 24\), got \(6, 18\)",
    ):
        layer.set_weights([weights[0], np.zeros((H, 3 * H)), weights[2]])
    weights[2][5] = np.nan
    before = layer.get_weights()
    with pytest.raises(
        unrolled.InputError,
        match=r"layer 'w' received non-finite values \(nan or inf\) in weight 'bias'",
    ):
        layer.set_weights(weights)
    for w, b in zip(layer.get_weights(), before, strict=True):  # nothing was half-written
        np.testing.assert_array_equal(w, b)
    with pytest.raises(unrolled.InputError, match=r"layer 'unbuilt' is not built yet"):
        LSTM(H, name="unbuilt").set_weights(weights)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"activation": "swish"},
            r"argument `activation`, expected one of .*'tanh'.*, got 'swish'",
        ),
        ({"recurrent_activation": "hard"}, r"argument `recurrent_activation`.*got 'hard'"),
        ({"kernel_initializer": "he_magic"}, r"argument `kernel_initializer`.*got 'he_magic'"),
        ({"dropout": 1.0}, r"argument `dropout`, expected a float in \[0, 1\), got 1.0"),
        ({"recurrent_dropout": -0.1}, r"argument `recurrent_dropout`.*got -0.1"),
        ({"dtype": "float16"}, r"argument `dtype`.*got 'float16'"),
    ],
)
def test_error_bad_arguments(kwargs, match):
    with pytest.raises(unrolled.InputError, match=match):
        LSTM(H, **kwargs)


@pytest.mark.parametrize("units", [0, -3, 2.5, True])
def test_error_bad_units(units):
    with pytest.raises(unrolled.InputError, match=r"argument `units`, expected a positive integer"):
        GRU(units)


def test_error_wrong_number_of_state_gradients(rng):
    layer = make("lstm", return_state=True, name="rs")
    layer.forward(rng.standard_normal((N, T, D)), training=True)
    with pytest.raises(
        unrolled.InputError, match=r"layer 'rs' expects 3 gradients \[dy, dh, dc\], got 2"
    ):
        layer.backward([None, np.zeros((N, H))])


def test_error_backward_before_forward():
    with pytest.raises(
        unrolled.InputError, match=r"layer 'fresh' has no forward pass to differentiate"
    ):
        make("gru", name="fresh").backward(np.zeros((N, H)))


@pytest.mark.parametrize("kind", LAYERS)
def test_backward_without_input_gradient(kind, rng, backward_twice):
    """A model's first layer skips dx (None): the weight gradients are the same."""
    layer = make(kind, return_sequences=True, go_backwards=True)
    x, dy = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    assert backward_twice(layer, x, dy) is not None


@pytest.mark.parametrize("kind", LAYERS)
def test_inference_forward_keeps_no_cache(kind, rng):
    """training=False stores nothing for backward, so backward after it is a clear error."""
    layer = make(kind, return_sequences=True, name="infer")
    x = rng.standard_normal((N, T, D))
    y = layer.forward(x, training=True)
    np.testing.assert_array_equal(layer.forward(x), y)  # same outputs without the cache
    assert layer._cache is None
    with pytest.raises(
        unrolled.InputError, match=r"layer 'infer' has no forward pass .* training=True"
    ):
        layer.backward(np.zeros((N, T, H)))
