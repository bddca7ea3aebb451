"""train_on_batch / test_on_batch / predict_on_batch: one batch at a time, as Keras spells it,
with the same numbers as fit, evaluate and predict on that batch."""

import numpy as np
import pytest

import unrolled
from unrolled.errors import InputError
from unrolled.layers import LSTM, Dense
from unrolled.models import Sequential


def model(metrics=None, seed=0):
    unrolled.set_seed(seed)
    m = Sequential([LSTM(4, input_shape=(None, 2)), Dense(3, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy", metrics=metrics)
    return m


@pytest.fixture
def batch(rng):
    return rng.standard_normal((8, 5, 2)).astype(np.float32), rng.integers(0, 3, 8)


def test_train_on_batch_is_one_fit_step(batch):
    x, y = batch
    by_fit, by_batch = model(), model()
    history = by_fit.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    loss = by_batch.train_on_batch(x, y)
    assert loss == history.history["loss"][0]
    for a, b in zip(by_fit.get_weights(), by_batch.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert by_batch.optimizer.iterations == 1
    second = by_batch.train_on_batch(x, y)
    assert second < loss  # it keeps training, and reports this batch's own loss


def test_metrics_come_back_as_a_list_or_a_dict(batch):
    x, y = batch
    m = model(metrics=["accuracy"])
    loss, accuracy = m.train_on_batch(x, y)
    assert 0 <= accuracy <= 1 and loss > 0
    logs = m.test_on_batch(x, y, return_dict=True)
    assert list(logs) == ["loss", "accuracy"]
    assert logs == m.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)


def test_test_and_predict_on_batch_change_nothing(batch):
    x, y = batch
    m = model()
    before = [w.copy() for w in m.get_weights()]
    assert m.test_on_batch(x, y) == m.evaluate(x, y, batch_size=len(x), verbose=0)
    np.testing.assert_array_equal(m.predict_on_batch(x), m.predict(x))
    assert m.predict_on_batch(x).shape == (8, 3)
    for a, b in zip(before, m.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_non_finite_loss_leaves_the_weights_and_warns(rng):
    unrolled.set_seed(0)
    m = Sequential([LSTM(2, input_shape=(None, 1)), Dense(1)])
    m.compile("sgd", "mse")
    before = [w.copy() for w in m.get_weights()]
    with pytest.warns(UserWarning, match="loss is inf.*not updated"):
        loss = m.train_on_batch(rng.random((4, 3, 1)), np.full((4, 1), 1e30))
    assert np.isnan(loss)
    for a, b in zip(before, m.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_keras_arguments_and_mistakes_get_one_line(batch):
    x, y = batch
    m = model()
    with pytest.raises(InputError, match="`sample_weight`.*sample weights"):
        m.train_on_batch(x, y, sample_weight=np.ones(8))
    with pytest.raises(InputError, match="did you mean `return_dict`"):
        m.test_on_batch(x, y, return_dct=True)
    m.train_on_batch(x, y, sample_weight=None, class_weight=None)  # Keras's defaults: fine
    with pytest.raises(InputError, match=r"compile\(optimizer, loss\) before train_on_batch"):
        Sequential([Dense(1, input_shape=(2,))]).train_on_batch(np.ones((2, 2)), np.ones((2, 1)))
