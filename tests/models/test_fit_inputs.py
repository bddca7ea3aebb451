"""Keras habits and bad arguments at fit/evaluate/predict/save: one clear error each."""

import numpy as np
import pytest

import unrolled
from unrolled.layers import LSTM, Dense


@pytest.fixture
def model():
    unrolled.set_seed(0)
    m = unrolled.Sequential([LSTM(3, input_shape=(None, 2)), Dense(1)])
    m.compile("adam", "mse", metrics=["mae"])
    return m


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.random((8, 4, 2), dtype=np.float32), rng.random((8, 1), dtype=np.float32)


def test_empty_data_is_refused_not_scored_zero(model, data):
    x, y = data
    with pytest.raises(ValueError, match="x has no samples"):
        model.evaluate(x[:0], y[:0], verbose=0)
    with pytest.raises(ValueError, match="x has no samples"):
        model.fit(x[:0], y[:0], verbose=0)
    with pytest.raises(ValueError, match="x has no samples"):
        model.fit(x, y, verbose=0, validation_data=(x[:0], y[:0]))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": -1}, r"argument `epochs`, expected a positive integer, got -1"),
        ({"epochs": 2.5}, r"argument `epochs`, expected a positive integer, got 2.5"),
        ({"initial_epoch": -2}, r"argument `initial_epoch`, expected a non-negative integer"),
    ],
)
def test_epoch_arguments_are_checked(model, data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        model.fit(*data, verbose=0, **kwargs)


def test_missing_targets_name_y(model, data):
    with pytest.raises(
        ValueError, match=r"argument `y`, expected targets, one per sample.*got None"
    ):
        model.fit(data[0], None, verbose=0)
    with pytest.raises(ValueError, match=r"argument `y`, expected an array with one target"):
        model.fit(data[0], 3.0, verbose=0)


def test_predict_takes_keras_verbose(model, data):
    quiet = model.predict(data[0], verbose=0)
    np.testing.assert_array_equal(quiet, model.predict(data[0]))
    with pytest.raises(ValueError, match="argument `verbose`"):
        model.predict(data[0], verbose=5)


def test_saving_onto_a_folder_is_a_clear_error(model, tmp_path):
    with pytest.raises(ValueError, match="it is a folder"):
        model.save(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_evaluate_can_return_a_dict(model, data):
    logs = model.evaluate(*data, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mae"]
    assert [logs["loss"], logs["mae"]] == model.evaluate(*data, verbose=0)


def test_gru_takes_both_of_keras_reset_after_forms():
    assert unrolled.GRU(3, reset_after=True).units == 3
    assert unrolled.GRU(3, reset_after=False).reset_after is False  # tested in tests/keras
    with pytest.raises(ValueError, match=r"argument `reset_after`, expected True or False"):
        unrolled.GRU(3, reset_after="no")


@pytest.mark.parametrize("make", [lambda x: iter(x), lambda x: (row for row in x)])
def test_a_generator_of_batches_is_refused_in_one_line(tutorial_model, make):
    model, x = tutorial_model(), np.zeros((4, 3, 1), np.float32)
    with pytest.raises(
        unrolled.InputError, match=r"`x`, expected an array.*generators.*got .an? \w"
    ):
        model.fit(make(x), np.zeros((4, 1)), verbose=0)
    with pytest.raises(unrolled.InputError, match="`x`, expected an array"):
        model.predict(make(x))


def test_keras_dataset_forms_are_refused_in_one_line(tutorial_model, torch):
    model, x, y = tutorial_model(), np.zeros((4, 3, 1), np.float32), np.zeros((4, 1), np.float32)
    with pytest.raises(unrolled.InputError, match="`x`, expected an array.*got 'a generator'"):
        model.fit((row for row in zip(x, y, strict=True)), verbose=0)  # Keras's fit(dataset)
    with pytest.raises(unrolled.InputError, match="argument `y`, expected targets.*got None"):
        model.fit(x, verbose=0)
    data = torch.utils.data
    loader = data.DataLoader(data.TensorDataset(torch.from_numpy(x)), batch_size=2)
    with pytest.raises(unrolled.InputError, match="`x`, expected an array.*got 'a DataLoader'"):
        model.predict(loader)
    with pytest.raises(unrolled.InputError, match="`x`, expected an array.*got 'a dict'"):
        model.predict({"x": x})
