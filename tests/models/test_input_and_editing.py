"""Keras 3's Input as a Sequential model's first entry, and editing a model: pop, get_layer."""

import numpy as np
import pytest

import unrolled
from unrolled.errors import InputError
from unrolled.layers import LSTM, Dense, Embedding, Input
from unrolled.models import Sequential, load_model


def test_input_first_is_the_same_model_as_input_shape_on_the_first_layer(rng):
    x = rng.random((6, 5, 1))
    unrolled.set_seed(3)
    with_input = Sequential([Input(shape=(None, 1)), LSTM(4, activation="sigmoid"), Dense(1)])
    unrolled.set_seed(3)
    with_shape = Sequential([LSTM(4, activation="sigmoid", input_shape=(None, 1)), Dense(1)])
    assert with_input.built and with_input.input_shape == (None, None, 1)
    assert with_input.output_shape == (None, 1)
    assert with_input.count_params() == 101  # Keras's count for this model
    for a, b in zip(with_input.get_weights(), with_shape.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(with_input.predict(x), with_shape.predict(x))
    assert with_input.layers[0].get_config()["input_shape"] == [None, 1]


def test_input_by_add_with_integer_ids_and_a_fixed_length(capsys):
    model = Sequential()
    model.add(Input((7,), dtype="int32"))
    assert not model.built and model.layers == []
    model.add(Embedding(20, 3))
    model.add(LSTM(2))
    assert model.output_shape == (None, 2)
    with pytest.raises(InputError, match=r"Input\(shape=\(7,\)\) fixes.*Input\(shape=\(None,\)\)"):
        model.predict(np.zeros((2, 5), np.int64))  # a declared length is enforced
    model.summary()
    assert "Input" not in capsys.readouterr().out  # as Keras: no row for the input


def test_a_saved_model_with_an_input_loads_and_predicts_the_same(rng, tmp_path):
    model = Sequential([Input(shape=(None, 2)), LSTM(3), Dense(1)])
    x = rng.random((4, 6, 2))
    model.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(load_model(tmp_path / "m.npz").predict(x), model.predict(x))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Input(), "`shape`.*got None"),
        (lambda: Input((0, 1)), r"`shape`.*positive integers or None.*\(0, 1\)"),
        (lambda: Input((None, 1.5)), "`shape`"),
        (lambda: Input((None, 1), batch_size=0), "`batch_size`"),
        (lambda: Input((None, 1), dtype="nope"), "`dtype`.*'nope'"),
        (lambda: Input((None, 1), sparse=True), "`sparse`.*True"),
        (lambda: Input((None, 1), batch_shape=(8, None, 1)), "both shape and batch_shape"),
        (lambda: Input(batch_shape=(8,)), "`batch_shape`"),
        (lambda: Input((None, 1), shpe=(1,)), "did you mean `shape`"),
    ],
)
def test_bad_input_arguments_get_one_line(make, message):
    with pytest.raises(InputError, match=message) as error:
        make()
    assert "\n" not in str(error.value)


def test_batch_shape_gives_the_shape_and_any_batch_still_works(rng):
    model = Sequential([Input(batch_shape=(8, None, 1)), LSTM(2)])
    assert model.input_shape == (None, None, 1)
    assert model.predict(rng.random((3, 4, 1))).shape == (3, 2)


def test_input_must_come_first_and_agree_with_the_first_layer():
    with pytest.raises(InputError, match="only come first"):
        Sequential([LSTM(2, input_shape=(None, 1)), Input((None, 1))])
    with pytest.raises(InputError, match="only come first"):
        Sequential([Input((None, 1)), Input((None, 1))])
    with pytest.raises(InputError, match=r"input_shape=\(None, 1\).*shape=\(None, 2\)"):
        Sequential([Input((None, 2)), LSTM(3, input_shape=(None, 1))])
    Sequential([Input((None, 1)), LSTM(3, input_shape=(None, 1))])  # the same shape twice: fine


def test_pop_removes_the_last_layer_and_training_goes_on(rng):
    x, y = rng.random((8, 5, 1)), rng.random((8, 1))
    model = Sequential([Input((None, 1)), LSTM(4), Dense(3), Dense(1)])
    model.compile("adam", "mse")
    model.fit(x, y, epochs=1, verbose=0)
    lstm_kernel = model.layers[0].get_weights()[0]
    popped = model.pop()
    assert popped.units == 1 and popped not in model.layers
    assert [layer.units for layer in model.layers[1:]] == [3]
    assert model.output_shape == (None, 3) and model._params.size == 96 + 15
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], lstm_kernel)  # kept
    model.add(Dense(1))
    history = model.fit(x, y, epochs=2, verbose=0)  # the optimizer rebuilds for the new size
    assert np.isfinite(history.history["loss"]).all() and model._params.size == 96 + 15 + 4


def test_popping_every_layer_and_adding_again_keeps_the_input(rng):
    model = Sequential([Input((None, 1)), LSTM(2)])
    model.pop()
    assert not model.built and model.layers == []
    with pytest.raises(InputError, match="no layers in the model to pop"):
        model.pop()
    model.add(LSTM(3))
    assert model.built and model.output_shape == (None, 3)


def test_pop_resets_the_state_that_step_carries(rng):
    model = Sequential([LSTM(3, input_shape=(None, 1)), Dense(2), Dense(1)])
    model.step(rng.random((1, 1)))
    model.pop()
    assert model.step(rng.random((1, 1))).shape == (1, 2)


def test_get_layer_by_name_or_index():
    model = Sequential([LSTM(2, input_shape=(None, 1), name="encoder"), Dense(1, name="head")])
    assert model.get_layer("head") is model.layers[1]
    assert model.get_layer(index=0) is model.layers[0]
    assert model.get_layer(index=-1) is model.layers[1]
    with pytest.raises(InputError, match=r"No such layer: 'tail'.*\['encoder', 'head'\]"):
        model.get_layer("tail")
    with pytest.raises(InputError, match="either name= or index="):
        model.get_layer()
    with pytest.raises(InputError, match="either name= or index="):
        model.get_layer("head", 1)
    with pytest.raises(InputError, match=r"`index`.*\[-2, 2\).*got 2"):
        model.get_layer(index=2)
    with pytest.raises(InputError, match="`index`.*an integer"):
        model.get_layer(index=True)


def test_after_pop_and_add_the_optimizer_starts_over(rng):
    x, y = rng.random((8, 5, 1)), rng.random((8, 1))
    unrolled.set_seed(0)
    model = Sequential([Input((None, 1)), LSTM(2), Dense(1)])
    model.compile("adam", "mse")
    model.fit(x, y, epochs=5, verbose=0)
    model.pop()
    model.add(Dense(1))  # the same number of weights as the popped Dense: same flat size
    fresh = Sequential([Input((None, 1)), LSTM(2), Dense(1)])
    fresh.set_weights(model.get_weights())
    fresh.compile("adam", "mse")
    model.train_on_batch(x, y)
    fresh.train_on_batch(x, y)
    assert model.optimizer.iterations == 1  # not the popped layer's 6th step
    for a, b in zip(model.get_weights(), fresh.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # no moments left over from the old Dense


def test_a_layer_called_on_an_input_points_to_sequential():
    with pytest.raises(InputError, match=r"called on an Input.*Sequential\(\[Input\(shape="):
        LSTM(4)(Input(shape=(None, 1)))


def test_an_input_after_popping_everything_is_still_refused():
    model = Sequential([Input((None, 1)), LSTM(2)])
    model.pop()
    assert model.get_config()["input_shape"] is None
    with pytest.raises(InputError, match="only come first.*once"):
        model.add(Input((None, 1)))


def test_a_model_saved_after_pop_loads_and_its_optimizer_starts_over(rng, tmp_path):
    x, y = rng.random((8, 5, 1)), rng.random((8, 1))
    unrolled.set_seed(0)
    model = Sequential([Input((None, 1)), LSTM(2), Dense(3), Dense(1)])
    model.compile("adam", "mse")
    model.fit(x, y, epochs=2, verbose=0)
    model.pop()
    model.add(Dense(1))
    model.save(tmp_path / "m.npz")  # the old state belongs to other weights: not saved
    loaded = load_model(tmp_path / "m.npz")
    model.train_on_batch(x, y)
    loaded.train_on_batch(x, y)
    assert loaded.optimizer.iterations == model.optimizer.iterations == 1
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_numpy_integer_sizes_save(tmp_path):
    model = Sequential([Input(shape=(np.int64(5), 2)), LSTM(3, input_shape=(np.int64(5), 2))])
    model.save(tmp_path / "m.npz")
    assert load_model(tmp_path / "m.npz").input_shape == (None, 5, 2)
    with pytest.raises(InputError, match=r"`index`.*it has 0 layers"):
        Sequential().get_layer(index=0)


@pytest.mark.parametrize("shape", [(5.5, 3), (True, 3), ("x", 3), (0, 3), 5])
def test_a_layer_input_shape_of_bad_sizes_is_one_line(shape):
    with pytest.raises(InputError, match="`input_shape`, expected sizes that are positive"):
        LSTM(4, input_shape=shape)


def test_a_model_built_with_numpy_sizes_saves(tmp_path):
    model = Sequential([LSTM(2)])
    model.build((None, np.int64(5), np.int64(3)))
    model.save(tmp_path / "m.npz")
    assert load_model(tmp_path / "m.npz").input_shape == (None, 5, 3)


def test_shapes_given_as_numpy_arrays_still_work():
    model = Sequential([LSTM(2, input_shape=np.array([4, 3]))])
    assert model.input_shape == (None, 4, 3)
    other = Sequential([LSTM(2)])
    other.build(np.array([8, 5, 3]))
    assert other.output_shape == (8, 2)
