"""TimeDistributed: a per-step layer on every time step, with Keras's weights, counts and
config; the same numbers as Dense on a sequence; gradients; saving; stepping."""

import numpy as np
import pytest

import unrolled
from unrolled.errors import InputError
from unrolled.layers import LSTM, Dense, Dropout, Embedding, TimeDistributed, deserialize, serialize
from unrolled.models import Sequential, load_model

from .conftest import layer_gradient_errors


def test_it_computes_what_dense_computes_on_a_sequence(rng):
    wrapped = TimeDistributed(Dense(5, activation="tanh"), dtype="float64")
    plain = Dense(5, activation="tanh", dtype="float64")
    x = rng.standard_normal((3, 4, 6))
    wrapped.build(x.shape)
    plain.build(x.shape)
    plain.set_weights(wrapped.get_weights())
    y = wrapped.forward(x, training=True)
    np.testing.assert_allclose(y, plain.forward(x, training=True), rtol=1e-13, atol=1e-15)
    dy = rng.standard_normal(y.shape)
    np.testing.assert_allclose(wrapped.backward(dy), plain.backward(dy), rtol=1e-13, atol=1e-15)
    for k in ("kernel", "bias"):
        np.testing.assert_allclose(wrapped.grads[k], plain.grads[k], rtol=1e-13, atol=1e-15)


def test_gradients_match_finite_differences(rng):
    layer = TimeDistributed(Dense(3, activation="softmax"), dtype="float64")
    layer.build((None, 4, 2))
    errors = layer_gradient_errors(layer, rng.standard_normal((2, 4, 2)))
    assert set(errors) == {"kernel", "bias", "x"} and max(errors.values()) < 1e-6, errors


def test_keras_parameter_count_shapes_and_names():
    model = Sequential(
        [
            Embedding(65, 16, input_shape=(None,)),
            LSTM(32, return_sequences=True),
            TimeDistributed(Dense(65, activation="softmax")),
        ]
    )
    wrapper = model.layers[-1]
    assert wrapper.count_params() == 32 * 65 + 65  # Keras: 2,145
    assert model.output_shape == (None, None, 65)
    assert wrapper.name.startswith("time_distributed")
    assert list(wrapper.params) == ["kernel", "bias"]
    assert wrapper.params is wrapper.layer.params  # the flat buffer reaches both


def test_a_model_trains_saves_and_steps_with_it(rng, tmp_path):
    unrolled.set_seed(0)
    model = Sequential(
        [
            Embedding(8, 4, input_shape=(None,)),
            LSTM(6, return_sequences=True),
            TimeDistributed(Dense(8)),
        ]
    )
    model.compile(
        unrolled.optimizers.Adam(0.05),
        unrolled.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    ids = rng.integers(0, 8, (16, 5))
    losses = model.fit(ids, ids, epochs=40, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.2 * losses[0]  # it learns to copy its input
    model.save(tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded.predict(ids), model.predict(ids))
    whole = model.predict(ids[:2])
    steps = np.stack([model.step(ids[:2, t]) for t in range(5)], axis=1)
    np.testing.assert_allclose(steps, whole, rtol=1e-5, atol=1e-6)


def test_config_round_trip_and_dropout_per_step(rng):
    layer = TimeDistributed(Dropout(0.5), name="td")
    again = deserialize(serialize(layer))
    assert isinstance(again.layer, Dropout) and again.layer.rate == 0.5 and again.name == "td"
    x = np.ones((4, 3, 10), np.float32)
    np.testing.assert_array_equal(layer.forward(x), x)  # inference: identity
    y = layer.forward(x, training=True)
    assert set(np.unique(y)) <= {0.0, 2.0} and (y == 0).any() and (y == 2).any()
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), y)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: TimeDistributed(LSTM(3)), "`layer`.*Dense or Dropout"),
        (lambda: TimeDistributed("dense"), "`layer`"),
    ],
)
def test_only_per_step_layers_can_be_wrapped(make, message):
    with pytest.raises(InputError, match=message):
        make()


def test_a_single_step_input_is_refused_with_its_shape():
    layer = TimeDistributed(Dense(2))
    layer.build((None, 4, 3))
    with pytest.raises(InputError, match=r"\(batch, timesteps, \.\.\.\), got \(5, 3\)"):
        layer.forward(np.zeros((5, 3), np.float32))


def test_a_built_layer_keeps_its_weights_and_must_fit(rng):
    dense = Dense(3)
    dense.build((None, 4))
    kernel = dense.get_weights()[0].copy()
    wrapped = TimeDistributed(dense)
    wrapped.build((None, 5, 4))
    np.testing.assert_array_equal(wrapped.get_weights()[0], kernel)  # not drawn again
    with pytest.raises(InputError, match=r"expects input of shape \(batch, \.\.\., 4\)"):
        TimeDistributed(dense).build((None, 5, 7))
    y = wrapped.forward(rng.random((2, 5, 4)).astype(np.float32), training=True)
    assert wrapped.backward(y.tolist()).shape == (2, 5, 4)  # a list dy works too
