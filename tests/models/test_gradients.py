"""Whole-model gradients (float64) against centered differences of the model's own loss:
stacked LSTMs, Embedding + GRU with padding masks, and Bidirectional, end to end."""

import numpy as np
import pytest

import unrolled
from unrolled import losses
from unrolled.gradcheck import gradcheck
from unrolled.layers import GRU, LSTM, Bidirectional, Dense, Embedding, SimpleRNN
from unrolled.models import Sequential


def model_errors(model, x, y):
    """Max relative error, per weight, of compute_gradients against finite differences."""
    loss, grads = model.compute_gradients(x, y)
    assert loss == pytest.approx(model.evaluate(x, y, batch_size=len(x), verbose=0), rel=1e-12)
    names = [f"{layer.name}/{k}" for layer in model.layers for k in layer.params]
    params = {n: p for n, (*_, p, _) in zip(names, model._views, strict=True)}
    analytic = dict(zip(names, grads, strict=True))

    def f():
        return model.evaluate(x, y, batch_size=len(x), verbose=0)

    return gradcheck(f, params, analytic), analytic


def check(model, x, y):
    errors, analytic = model_errors(model, x, y)
    assert max(errors.values()) < 1e-6, errors
    assert all(g.any() for g in analytic.values())  # every weight gets a (nonzero) gradient


def test_stacked_lstm_and_dense(float64, rng):
    unrolled.set_seed(0)
    model = Sequential([LSTM(4, return_sequences=True, input_shape=(None, 3)), LSTM(3), Dense(2)])
    model.compile("adam", "mse")
    check(model, rng.standard_normal((5, 4, 3)), rng.standard_normal((5, 2)))


def test_embedding_gru_dense_with_padding_and_a_masked_loss(float64, rng):
    unrolled.set_seed(1)
    model = Sequential(
        [
            Embedding(6, 3, mask_zero=True, input_shape=(None,)),
            GRU(4, return_sequences=True),
            Dense(6),
        ]
    )
    model.compile("adam", losses.SparseCategoricalCrossentropy(from_logits=True))
    ids = rng.integers(1, 6, (4, 5))
    ids[0, 3:] = 0  # padding: masked out of the recurrence and of the loss
    ids[2, 4:] = 0
    y = rng.integers(0, 6, (4, 5))
    check(model, ids, y)
    _, grads = model.compute_gradients(ids, y)
    assert not grads[0][0].any()  # the padding id 0 never reaches the loss


def test_bidirectional_lstm_and_softmax_dense(float64, rng):
    unrolled.set_seed(2)
    model = Sequential(
        [Bidirectional(LSTM(3), input_shape=(None, 2)), Dense(4, activation="softmax")]
    )
    model.compile("adam", "categorical_crossentropy")
    y = np.eye(4)[rng.integers(0, 4, 5)]
    check(model, rng.standard_normal((5, 4, 2)), y)


def test_simple_rnn_sequence_output_with_binary_crossentropy(float64, rng):
    unrolled.set_seed(3)
    model = Sequential(
        [SimpleRNN(3, return_sequences=True, input_shape=(None, 2)), Dense(1, activation="sigmoid")]
    )
    model.compile("adam", "binary_crossentropy")
    check(model, rng.standard_normal((3, 4, 2)), rng.integers(0, 2, (3, 4, 1)).astype(float))
