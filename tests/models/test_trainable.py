"""trainable=False: frozen layers keep their weights through fit (pretrained embeddings),
are counted as non-trainable in the summary, and stay frozen across save and load."""

import numpy as np
import pytest

import unrolled
from unrolled.layers import LSTM, Dense, Embedding
from unrolled.models import Sequential, load_model


def ids_model(E, trainable=False, optimizer="adam"):
    unrolled.set_seed(0)
    model = Sequential(
        [
            Embedding(10, 4, weights=[E], trainable=trainable, input_shape=(None,)),
            LSTM(3),
            Dense(10),
        ]
    )
    model.compile(optimizer, unrolled.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


@pytest.fixture
def data(rng):
    return rng.standard_normal((10, 4)).astype(np.float32), rng.integers(0, 10, (32, 6))


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop", "adagrad"])
def test_a_frozen_embedding_keeps_its_table_while_the_rest_trains(data, optimizer):
    E, ids = data
    model = ids_model(E, optimizer=optimizer)
    lstm_before = model.layers[1].get_weights()[0].copy()
    model.fit(ids, ids[:, -1], epochs=3, batch_size=8, verbose=0)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], E)
    assert not np.array_equal(model.layers[1].get_weights()[0], lstm_before)


def test_freezing_after_training_stops_even_the_momentum(data):
    E, ids = data
    model = ids_model(E, trainable=True)
    model.fit(ids, ids[:, -1], epochs=2, batch_size=8, verbose=0)  # Adam moments built up
    model.layers[0].trainable = False
    table = model.layers[0].get_weights()[0].copy()
    model.fit(ids, ids[:, -1], epochs=2, batch_size=8, verbose=0)
    model.train_on_batch(ids, ids[:, -1])
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], table)
    model.layers[0].trainable = True  # and it trains again when unfrozen
    model.fit(ids, ids[:, -1], epochs=1, batch_size=8, verbose=0)
    assert not np.array_equal(model.layers[0].get_weights()[0], table)


def test_summary_counts_frozen_weights_as_non_trainable(data, capsys):
    E, _ = data
    ids_model(E).summary()
    out = capsys.readouterr().out
    assert " Total params: 176 (704.00 B)" in out  # 40 + 96 + 40, as Keras counts them
    assert " Trainable params: 136 (544.00 B)" in out
    assert " Non-trainable params: 40 (160.00 B)" in out


def test_frozen_survives_save_and_load(data, tmp_path):
    E, ids = data
    model = ids_model(E)
    model.save(tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    assert not loaded.layers[0].trainable and loaded.layers[1].trainable
    assert loaded.layers[0].get_config()["trainable"] is False
    loaded.fit(ids, ids[:, -1], epochs=1, batch_size=8, verbose=0)
    np.testing.assert_array_equal(loaded.layers[0].get_weights()[0], E)
