"""Masking (padded float sequences) and RepeatVector (the seq2seq bridge): their numbers,
gradients, masks in a model, configs, and the one-line errors."""

import numpy as np
import pytest

import unrolled
from unrolled.errors import InputError
from unrolled.layers import (
    LSTM,
    Dense,
    Masking,
    RepeatVector,
    TimeDistributed,
    deserialize,
    serialize,
)
from unrolled.models import Sequential, load_model

from .conftest import layer_gradient_errors


def padded_model(seed=0, return_sequences=False, dtype="float64"):
    unrolled.set_seed(seed)
    return Sequential(
        [
            Masking(mask_value=0.0, input_shape=(None, 2), dtype=dtype),
            LSTM(3, return_sequences=return_sequences, dtype=dtype),
            Dense(1, dtype=dtype),
        ]
    )


def test_padded_steps_give_what_each_sequence_gives_alone(rng):
    model = padded_model()
    short, long = rng.standard_normal((1, 3, 2)), rng.standard_normal((1, 5, 2))
    batch = np.zeros((2, 5, 2))
    batch[0, :3], batch[1] = short[0], long[0]  # the short one padded with zeros at the end
    together = model.predict(batch)
    np.testing.assert_allclose(together[0], model.predict(short)[0], rtol=1e-12)
    np.testing.assert_allclose(together[1], model.predict(long)[0], rtol=1e-12)


def test_padding_adds_nothing_to_the_loss_or_the_gradients(rng):
    model = padded_model(return_sequences=True)
    model.compile("sgd", "mse")
    x, y = rng.standard_normal((1, 3, 2)), rng.standard_normal((1, 3, 1))
    padded_x, padded_y = np.zeros((1, 5, 2)), rng.standard_normal((1, 5, 1))
    padded_x[:, :3], padded_y[:, :3] = x, y  # the padded targets are noise: they must not count
    loss, grads = model.compute_gradients(x, y)
    padded_loss, padded_grads = model.compute_gradients(padded_x, padded_y)
    assert padded_loss == pytest.approx(loss, rel=1e-12)
    for g, padded_g in zip(grads, padded_grads, strict=True):
        np.testing.assert_allclose(padded_g, g, rtol=1e-10, atol=1e-14)


def test_masking_layer_gradients_and_mask(rng):
    layer = Masking(mask_value=-1.0, dtype="float64")
    x = rng.standard_normal((2, 4, 3))
    x[0, 1] = -1.0  # one padded step
    layer.build(x.shape)
    np.testing.assert_array_equal(layer.compute_mask(x), [[True, False, True, True], [True] * 4])
    y = layer.forward(x, training=True)
    assert not y[0, 1].any() and np.array_equal(y[1], x[1])
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)  # a padded step's output is the constant 0: no gradient flows
    assert not dx[0, 1].any()
    np.testing.assert_array_equal(np.delete(dx[0], 1, axis=0), np.delete(dy[0], 1, axis=0))
    np.testing.assert_array_equal(dx[1], dy[1])


def test_repeat_vector_shapes_and_gradients(rng):
    layer = RepeatVector(4, dtype="float64")
    x = rng.standard_normal((3, 2))
    layer.build(x.shape)
    y = layer.forward(x, training=True)
    assert y.shape == (3, 4, 2) and all(np.array_equal(y[:, t], x) for t in range(4))
    dy = rng.standard_normal(y.shape)
    np.testing.assert_allclose(layer.backward(dy), dy.sum(axis=1))
    assert max(layer_gradient_errors(layer, x).values()) < 1e-6


def test_an_lstm_autoencoder_learns_and_round_trips(rng, tmp_path):
    unrolled.set_seed(0)
    T = 6
    model = Sequential(
        [
            LSTM(8, input_shape=(T, 1)),
            RepeatVector(T),
            LSTM(8, return_sequences=True),
            TimeDistributed(Dense(1)),
        ]
    )
    assert model.output_shape == (None, T, 1)
    assert model.count_params() == 320 + 0 + 544 + 9  # Keras's counts for these layers
    model.compile(unrolled.optimizers.Adam(0.01), "mse")
    x = np.sin(np.linspace(0, 3, T) + rng.uniform(0, 6, (64, 1)))[..., None]
    losses = model.fit(x, x, epochs=40, verbose=0).history["loss"]
    assert losses[-1] < 0.2 * losses[0]
    model.save(tmp_path / "ae.npz")
    np.testing.assert_array_equal(load_model(tmp_path / "ae.npz").predict(x), model.predict(x))


def test_configs_round_trip():
    for layer in (Masking(mask_value=-1.0, name="m"), RepeatVector(3, name="r")):
        again = deserialize(serialize(layer))
        assert type(again) is type(layer) and again.get_config() == layer.get_config()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Masking(mask_value="pad"), "`mask_value`.*a number"),
        (lambda: Masking(mask_value=[0, 0]), "`mask_value`"),
        (lambda: RepeatVector(0), "`n`.*positive integer"),
        (lambda: RepeatVector(n=2.5), "`n`"),
    ],
)
def test_bad_arguments_get_one_line(make, message):
    with pytest.raises(InputError, match=message):
        make()


def test_neither_can_step_and_both_say_why(rng):
    masked = padded_model()
    with pytest.raises(InputError, match="predict"):
        masked.step(rng.standard_normal((1, 2)))
    bridge = Sequential([LSTM(2, input_shape=(None, 1)), RepeatVector(3), LSTM(2)])
    with pytest.raises(InputError, match="cannot step"):
        bridge.step(rng.standard_normal((1, 1)))


def test_wrong_ranks_name_the_layer():
    with pytest.raises(InputError, match=r"'rv' expects input of shape \(batch, features\)"):
        Sequential(
            [LSTM(2, return_sequences=True, input_shape=(None, 1)), RepeatVector(2, name="rv")]
        )
