"""trainable=False: frozen layers keep their weights through fit (pretrained embeddings),
are counted as non-trainable in the summary, and stay frozen across save and load."""

import numpy as np
import pytest

import unrolled
from unrolled import optimizers
from unrolled.layers import LSTM, Bidirectional, Dense, Embedding, TimeDistributed
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


def one_step_alike(model, twin, ids, iterations):
    """One train_on_batch each: the same step count after it and bit-identical weights."""
    for m in (model, twin):
        m.train_on_batch(ids, ids[:, -1])
    assert model.optimizer.iterations == twin.optimizer.iterations == iterations
    for a, b in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.fixture
def data(rng):
    return rng.standard_normal((10, 4)).astype(np.float32), rng.integers(0, 10, (32, 6))


@pytest.mark.parametrize(
    "optimizer",
    [
        "adam",
        optimizers.SGD(0.1, momentum=0.9, nesterov=True),
        optimizers.RMSprop(centered=True, momentum=0.5),
        optimizers.Adagrad(0.1),
        optimizers.Adam(global_clipnorm=0.1),
    ],
    ids=["adam", "sgd-nesterov", "rmsprop-centered", "adagrad", "adam-global-clipnorm"],
)
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


def test_a_layer_frozen_inside_a_wrapper_stays_frozen_and_is_counted(rng, capsys):
    x, y = rng.standard_normal((16, 5, 2)), rng.standard_normal((16, 5, 1))
    unrolled.set_seed(0)
    model = Sequential(
        [
            Bidirectional(LSTM(4, return_sequences=True, trainable=False), input_shape=(None, 2)),
            TimeDistributed(Dense(1, trainable=False)),
        ]
    )
    model.compile("adam", "mse")
    before = model.get_weights()
    model.summary()
    out = capsys.readouterr().out
    assert " Trainable params: 0 (0.00 B)" in out and " Non-trainable params: 233" in out
    with pytest.warns(UserWarning, match="no trainable weights"):
        model.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    model.layers[0].backward_layer.trainable = True  # one direction trains again
    model.fit(x, y, epochs=1, verbose=0)
    after = model.get_weights()
    unchanged = [np.array_equal(a, b) for a, b in zip(before, after, strict=True)]
    assert unchanged == [True] * 3 + [False] * 3 + [True] * 2  # forward, backward, Dense


def test_unfreezing_starts_the_optimizer_over_like_a_fresh_one(data):
    E, ids = data
    model = ids_model(E)
    model.fit(ids, ids[:, -1], epochs=3, batch_size=8, verbose=0)  # moments for the rest
    model.layers[0].trainable = True
    twin = ids_model(E, trainable=True)
    twin.set_weights(model.get_weights())
    one_step_alike(model, twin, ids, iterations=1)


def test_compiling_again_with_the_same_optimizer_keeps_its_state(data):
    E, ids = data
    model, twin = ids_model(E), ids_model(E)
    for m in (model, twin):
        m.fit(ids, ids[:, -1], epochs=2, batch_size=8, shuffle=False, verbose=0)
    model.compile(model.optimizer, model.loss, metrics=["accuracy"])  # e.g. to add a metric
    one_step_alike(model, twin, ids, iterations=9)


def test_model_trainable_sets_every_layer(data):
    E, _ = data
    model = ids_model(E, trainable=True)
    model.trainable = False
    assert not model.trainable and not any(layer.trainable for layer in model.layers)
    model.layers[1].trainable = True
    assert model.trainable
    with pytest.raises(unrolled.InputError, match="`trainable`.*True or False"):
        model.trainable = "no"


def test_two_models_sharing_one_optimizer_never_mix_their_state(rng, tmp_path):
    x = rng.standard_normal((8, 4, 1))
    shared = optimizers.Adam(0.01)
    unrolled.set_seed(0)
    small = Sequential([LSTM(2, input_shape=(None, 1)), Dense(1)])
    large = Sequential([LSTM(5, input_shape=(None, 1)), Dense(1)])
    for model in (small, large):
        model.compile(shared, "mse")
        model.fit(x, x[:, -1], epochs=2, verbose=0)
    assert shared.iterations == 2  # the large model's steps, its own state
    small.fit(x, x[:, -1], epochs=1, verbose=0)  # the state is rebuilt for the small one
    assert shared.iterations == 1 and shared.slots["momentum"].size == small._params.size
    small.save(tmp_path / "small.npz")
    assert load_model(tmp_path / "small.npz").optimizer.iterations == 1


def test_model_trainable_reaches_the_layers_inside_wrappers(rng):
    model = Sequential(
        [
            Bidirectional(LSTM(2, return_sequences=True, trainable=False), input_shape=(None, 1)),
            TimeDistributed(Dense(1, trainable=False)),
        ]
    )
    model.trainable = True
    assert all(layer.frozen_keys() == () for layer in model.layers)
    assert model.layers[0].backward_layer.trainable and model.layers[1].layer.trainable
    assert Sequential().trainable  # as Keras: a model with no layers counts as trainable
