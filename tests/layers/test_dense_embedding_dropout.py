"""Dense, Embedding and Dropout layers: gradients, masks, step, weights, config, errors."""

import json

import numpy as np
import pytest

import unrolled
from unrolled.layers import Dense, Dropout, Embedding, deserialize, serialize


def dense(activation, use_bias=True, D=3, M=4, **kwargs):
    layer = Dense(
        M,
        activation=activation,
        use_bias=use_bias,
        bias_initializer="random_normal",
        dtype="float64",
        **kwargs,
    )
    layer.build((None, D), rng=np.random.default_rng(0))
    return layer


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3)])
@pytest.mark.parametrize("activation", [None, "relu", "tanh", "sigmoid", "softmax"])
def test_dense_gradients(activation, shape, rng, max_gradient_error):
    layer = dense(activation)
    assert max_gradient_error(layer, rng.standard_normal(shape)) < 1e-6


def test_dense_backward_without_input_gradient(rng, backward_twice):
    layer = dense("tanh")
    x, dy = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    assert backward_twice(layer, x, dy).shape == x.shape


@pytest.mark.parametrize(
    "layer, x, dy_shape",
    [(dense("relu"), np.ones((5, 3)), (5, 4)), (Embedding(7, 3), np.ones((2, 4), int), (2, 4, 3))],
)
def test_inference_forward_keeps_no_cache(layer, x, dy_shape):
    """training=False stores nothing for backward, so backward after it is a clear error."""
    layer.forward(x, training=True)
    layer.forward(x)
    assert layer._cache is None
    with pytest.raises(unrolled.InputError, match=r"has no forward pass .* training=True"):
        layer.backward(np.ones(dy_shape))


def test_dense_gradients_without_bias(rng, max_gradient_error):
    layer = dense("softmax", use_bias=False)
    assert list(layer.params) == ["kernel"]
    assert max_gradient_error(layer, rng.standard_normal((2, 4, 3))) < 1e-6


def test_dense_values_on_sequences(rng):
    layer = dense("softmax")
    x = rng.standard_normal((2, 5, 3))
    y = layer.forward(x)
    logits = x @ layer.params["kernel"] + layer.params["bias"]
    expected = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    np.testing.assert_allclose(layer.step(x[:, 0])[0], y[:, 0], rtol=1e-12)
    assert layer.compute_output_shape((None, 5, 3)) == (None, 5, 4)
    assert layer.count_params() == 3 * 4 + 4


def test_dense_errors():
    with pytest.raises(
        unrolled.InputError,
        match=r"argument `activation`, expected one of "
        r"\['linear', 'relu', 'sigmoid', 'softmax', 'tanh'\], got 'gelu'",
    ):
        Dense(3, activation="gelu")
    layer = dense(None, name="out")
    with pytest.raises(
        unrolled.InputError,
        match=r"layer 'out' expects input of shape \(batch, \.\.\., 3\), got \(2, 5\)",
    ):
        layer.forward(np.zeros((2, 5)))
    with pytest.raises(
        unrolled.InputError,
        match=r"layer 'out' expects weight 'kernel' of shape \(3, 4\), got \(4, 3\)",
    ):
        layer.set_weights([np.zeros((4, 3)), np.zeros(4)])
    with pytest.raises(
        unrolled.InputError,
        match=r"layer 'out' received non-finite values \(nan or inf\) in weight 'kernel'",
    ):
        layer.set_weights([np.full((3, 4), np.inf), np.zeros(4)])
    with pytest.raises(
        unrolled.InputError, match=r"argument `units`, expected a positive integer, got 0"
    ):
        Dense(0)


def test_dense_config_round_trip(rng):
    layer = Dense(4, activation="tanh", use_bias=False, input_shape=(3,), name="d", dtype="float64")
    copy = deserialize(json.loads(json.dumps(serialize(layer))))
    assert copy.get_config() == layer.get_config()
    assert layer.get_config()["input_shape"] == [3]


def embedding(**kwargs):
    layer = Embedding(7, 3, dtype="float64", **kwargs)
    layer.build((None, None), rng=np.random.default_rng(0))
    return layer


def test_embedding_gradient_with_repeated_ids(max_gradient_error):
    ids = np.array([[1, 2, 2, 6], [2, 0, 1, 2]])  # 2 appears four times
    layer = embedding()
    assert max_gradient_error(layer, ids) < 1e-6
    dy = np.ones((2, 4, 3))
    layer.forward(ids, training=True)
    assert layer.backward(dy) is None
    np.testing.assert_array_equal(layer.grads["embeddings"][:, 0], [1, 2, 4, 0, 0, 0, 1])


def test_embedding_defaults_values_and_step():
    layer = Embedding(50, 8)
    layer.build((None, 5))
    E = layer.params["embeddings"]
    assert E.dtype == np.float32 and np.abs(E).max() <= 0.05  # Keras: RandomUniform(-0.05, 0.05)
    ids = np.array([[3, 0, 49]])
    np.testing.assert_array_equal(layer.forward(ids), E[ids])
    np.testing.assert_array_equal(layer.step(np.array([3, 49]))[0], E[[3, 49]])
    assert layer.compute_output_shape((None, 5)) == (None, 5, 8)
    assert layer.count_params() == 400
    np.testing.assert_array_equal(layer.forward(ids.astype(float)), E[ids])


def test_embedding_mask_zero():
    ids = np.array([[4, 2, 0, 0], [1, 0, 0, 0]])
    np.testing.assert_array_equal(embedding(mask_zero=True).compute_mask(ids), ids != 0)
    assert embedding().compute_mask(ids) is None


def test_embedding_errors():
    layer = embedding(name="emb")
    with pytest.raises(
        unrolled.InputError, match=r"layer 'emb' expects ids in \[0, 7\), got values from -1 to 7"
    ):
        layer.forward(np.array([[-1, 7]]))
    with pytest.raises(
        unrolled.InputError, match=r"layer 'emb' expects integer ids, got an array of float64"
    ):
        layer.forward(np.array([[0.5, 1.0]]))
    with pytest.raises(
        unrolled.InputError, match=r"argument `output_dim`, expected a positive integer, got -2"
    ):
        Embedding(4, -2)


def test_embedding_config_round_trip():
    layer = Embedding(10, 4, mask_zero=True, embeddings_initializer="glorot_normal", name="e")
    copy = deserialize(json.loads(json.dumps(serialize(layer))))
    assert copy.get_config() == layer.get_config()
    assert copy.mask_zero


def test_dropout_identity_unless_training(rng):
    x = rng.standard_normal((20, 30))
    layer = Dropout(0.4, dtype="float64")
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)
    assert layer.step(x) == (x, None)


def test_dropout_in_training(rng, max_gradient_error):
    x = rng.standard_normal((200, 50))
    layer = Dropout(0.4, dtype="float64")
    unrolled.set_seed(1)
    y = layer.forward(x, training=True)
    dropped = y == 0
    assert 0.35 < dropped.mean() < 0.45
    np.testing.assert_allclose(y[~dropped], x[~dropped] / 0.6, rtol=1e-12)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)) == 0, dropped)
    unrolled.set_seed(1)
    np.testing.assert_array_equal(layer.forward(x, training=True), y)
    z = layer.forward(x, training=True, rng=np.random.default_rng(5))
    assert not np.array_equal(z, y)
    assert max_gradient_error(layer, x[:4, :5].copy(), training=True) < 1e-6


def test_dropout_errors_and_config():
    with pytest.raises(
        unrolled.InputError, match=r"argument `rate`, expected a float in \[0, 1\), got 1.5"
    ):
        Dropout(1.5)
    layer = Dropout(0.25, name="drop")
    assert deserialize(json.loads(json.dumps(serialize(layer)))).get_config() == layer.get_config()


def test_deserialize_unknown_class():
    with pytest.raises(unrolled.InputError, match=r"argument `class_name`.*got 'Conv2D'"):
        deserialize({"class_name": "Conv2D", "config": {}})


def test_embedding_refuses_string_ids_in_one_line():
    layer = Embedding(10, 2, name="emb")
    with pytest.raises(
        unrolled.InputError, match="layer 'emb' expects integer ids, got an array of <U1"
    ):
        layer.forward(np.array([["a", "b"]]))
