"""Model files: round trips that predict and keep training bit for bit, extras, atomic
writes, and one clear error for every kind of bad file."""

import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import unrolled
from unrolled import optimizers
from unrolled.errors import InputError
from unrolled.layers import GRU, LSTM, Bidirectional, Dense, Embedding
from unrolled.models import Sequential, load_model
from unrolled.models.saving import load_extras


def test_round_trip_predicts_identically(tmp_path, rng, tutorial_model, regression_data):
    x, y = regression_data(rng)
    model = tutorial_model()
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.count_params() == 101 and loaded.layers[0].activation == "sigmoid"


def test_continued_training_is_identical(tmp_path, rng, tutorial_model, regression_data):
    x, y = regression_data(rng)
    model = tutorial_model()
    model.compile(optimizers.Adam(0.01, clipnorm=1.0), "mse", metrics=["mae"])
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    assert loaded.optimizer.iterations == model.optimizer.iterations == 4
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    histories = []
    for m in (model, loaded):
        unrolled.set_seed(5)  # the same shuffles
        histories.append(m.fit(x, y, epochs=3, verbose=0).history)
    assert histories[0] == histories[1]
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "layers, x",
    [
        (
            [
                Embedding(9, 4, mask_zero=True, input_shape=(None,)),
                GRU(5, return_sequences=True),
                Dense(9, "softmax"),
            ],
            np.array([[1, 2, 3, 0], [4, 5, 0, 0]]),
        ),
        (
            [Bidirectional(LSTM(3), merge_mode="sum", input_shape=(None, 2)), Dense(2)],
            np.ones((2, 3, 2)),
        ),
    ],
)
def test_round_trip_of_other_architectures(tmp_path, layers, x):
    model = Sequential(layers)
    model.save(tmp_path / "m.npz")  # never compiled: no optimizer in the file
    loaded = load_model(tmp_path / "m.npz")
    assert not loaded.compiled
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_extras_come_back(tmp_path, tutorial_model):
    extras = {"vocabulary": {"symbols": ["a", "b"]}, "scaler": {"min_": [0.5], "scale_": [2.0]}}
    model = tutorial_model()
    model.save(tmp_path / "m.npz", extras=extras)
    loaded, got = load_model(tmp_path / "m.npz", with_extras=True)
    assert got == extras and load_extras(tmp_path / "m.npz") == extras
    assert isinstance(loaded, Sequential)


def test_the_file_is_a_plain_npz_without_pickles(tmp_path, tutorial_model):
    tutorial_model().save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as npz:
        document = json.loads(str(npz["__document__"]))
        assert document["format"] == "unrolled.model" and document["format_version"] == 1
        assert npz["weights/0/kernel"].shape == (1, 16)


def test_loading_does_not_move_the_global_random_stream(tmp_path, tutorial_model):
    tutorial_model().save(tmp_path / "m.npz")
    unrolled.set_seed(1)
    expected = unrolled.config.default_rng().random()
    unrolled.set_seed(1)
    load_model(tmp_path / "m.npz")
    assert unrolled.config.default_rng().random() == expected


def test_a_failed_save_leaves_no_file(tmp_path, tutorial_model):
    with pytest.raises(InputError, match="extras must be JSON-serialisable"):
        tutorial_model().save(tmp_path / "m.npz", extras={"bad": object()})
    assert os.listdir(tmp_path) == []


def test_saving_over_an_existing_file_replaces_it(tmp_path, rng, tutorial_model):
    path = tmp_path / "m.npz"
    a, b = tutorial_model(seed=1), tutorial_model(seed=2)
    a.save(path)
    b.save(path)
    x = rng.standard_normal((3, 2, 1))
    np.testing.assert_array_equal(load_model(path).predict(x), b.predict(x))
    assert os.listdir(tmp_path) == ["m.npz"]


def test_weights_round_trip_and_mismatch(tmp_path, rng, tutorial_model):
    a, b = tutorial_model(seed=1), tutorial_model(seed=2)
    a.save_weights(tmp_path / "w.npz")
    b.load_weights(tmp_path / "w.npz")
    x = rng.standard_normal((3, 2, 1))
    np.testing.assert_array_equal(a.predict(x), b.predict(x))
    other = Sequential([LSTM(5, input_shape=(None, 1)), Dense(1)])
    with pytest.raises(InputError, match="expects weight 'kernel' of shape"):
        other.load_weights(tmp_path / "w.npz")
    with pytest.raises(InputError, match="expected a unrolled.model file, got 'unrolled.weights'"):
        load_model(tmp_path / "w.npz")


def _truncated(path):
    Sequential([Dense(1, input_shape=(2,))]).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _foreign(path):
    np.savez(path, a=np.arange(3))


def _pickled_array(path):
    document = {"format": "unrolled.model", "format_version": 1}
    with open(path, "wb") as f:
        arrays = {"weights/0/kernel": np.array([{"x": 1}], dtype=object)}
        np.savez(f, __document__=np.array(json.dumps(document)), **arrays)


def _pickle_file(path):
    path.write_bytes(pickle.dumps({"weights": [1, 2]}))


def _newer(path):
    document = {"format": "unrolled.model", "format_version": 99}
    with open(path, "wb") as f:
        np.savez(f, __document__=np.array(json.dumps(document)))


def _text(path):
    path.write_text("Date,Open\n1/3/2012,325.25\n")


def _bad_json(path):
    with open(path, "wb") as f:
        np.savez(f, __document__=np.array("{not json"))


def _no_config(path):
    with open(path, "wb") as f:
        np.savez(
            f, __document__=np.array(json.dumps({"format": "unrolled.model", "format_version": 1}))
        )


def _empty_zip(path):
    with zipfile.ZipFile(path, "w"):
        pass


@pytest.mark.parametrize(
    "make, match",
    [
        (None, "no such file"),
        (_truncated, "truncated or corrupt"),
        (_foreign, r"not an unrolled model file \(it has no model description\)"),
        (_pickled_array, "pickled Python objects, which are never loaded"),
        (_pickle_file, r"not a \.npz archive"),
        (_newer, "format version 99 is newer than this unrolled reads"),
        (_text, r"not a \.npz archive"),
        (_bad_json, "truncated or corrupt"),
        (_empty_zip, "no model description"),
        (_no_config, r"truncated or corrupt \(bad model config"),
    ],
)
def test_every_bad_file_gives_one_clear_error(tmp_path, make, match):
    path = tmp_path / "model.npz"
    if make:
        make(path)
    with pytest.raises(InputError, match=match) as raised:
        load_model(path)
    assert str(path) in str(raised.value)
    error = raised.value  # no chained NumPy/zipfile traceback behind the one line
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_unbuilt_models_cannot_be_saved(tmp_path):
    with pytest.raises(InputError, match="build the model"):
        Sequential([LSTM(2)]).save(tmp_path / "m.npz")


def _rewrite(path, edit_document=None, drop=None):
    """Rewrite a saved model file by hand: edit its JSON document, drop arrays by prefix."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files if not (drop and k.startswith(drop))}
    document = json.loads(str(arrays["__document__"]))
    if edit_document:
        edit_document(document)
    arrays["__document__"] = np.array(json.dumps(document))
    with open(path, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize(
    "edit, drop, match",
    [
        (None, "weights/0/", r"no weight 'kernel' for layer 0"),
        (lambda d: d["compile"].update(optimizer={"name": "nope"}), None, "optimizer state"),
    ],
)
def test_a_hand_edited_file_is_named_as_the_user_wrote_it(tmp_path, edit, drop, match):
    path = tmp_path / "m.npz"
    model = Sequential([LSTM(2, input_shape=(3, 1)), Dense(1)])
    model.compile("adam", "mse")
    model.save(path)
    _rewrite(path, edit, drop)
    with pytest.raises(InputError, match=match) as raised:
        load_model(path)  # a pathlib.Path, printed as the plain path, never PosixPath('...')
    assert str(raised.value).startswith(f"cannot load {str(path)!r}: ")
    assert "Path(" not in str(raised.value)


NAMES = [
    ("model.h5", "model.npz"),
    ("model.keras", "model.npz"),
    ("model.hdf5", "model.npz"),
    ("model.weights.h5", "model.weights.npz"),
    ("model.H5", "model.npz"),
    ("model", "model.npz"),  # no suffix: written as named, never given one (np.savez would)
    ("model.v2", "model.v2.npz"),
]


@pytest.mark.parametrize(
    "method, name, suggested",
    [
        (method, name, suggested)
        for method in ("save", "save_weights")
        for name, suggested in NAMES
        if not (method == "save" and name.endswith(".keras"))  # a Keras file: test_keras_files
    ],
)
def test_a_name_without_npz_is_written_as_named_with_a_warning(
    tmp_path, tutorial_model, method, name, suggested
):
    path, model = tmp_path / name, tutorial_model()
    with pytest.warns(UserWarning) as warned:
        getattr(model, method)(path)  # a script's trained model is never lost over a name
    message = str(warned[0].message)
    keras = name.lower().endswith((".h5", ".hdf5", ".keras"))
    unreadable = ", which Keras and h5py cannot read" if keras else ""
    assert message == (
        f"{str(path)!r} would hold unrolled's .npz format (arrays + JSON, no pickle)"
        f"{unreadable}; name it {str(tmp_path / suggested)!r}; writing it anyway"
    )
    assert warned[0].filename == __file__  # the warning points at the caller's save()
    assert os.listdir(tmp_path) == [name]
    x = np.linspace(-1, 1, 6).reshape(2, 3, 1)
    again = load_model(path) if method == "save" else tutorial_model(seed=3)
    if method == "save_weights":
        again.load_weights(path)
    np.testing.assert_array_equal(again.predict(x), model.predict(x))


def test_npz_names_in_any_case_and_str_paths_are_written(tmp_path, tutorial_model, recwarn):
    model = tutorial_model()
    model.save(str(tmp_path / "m.NPZ"))
    model.save_weights(tmp_path / "w.weights.npz")
    assert not recwarn.list  # nothing to warn about
    assert sorted(os.listdir(tmp_path)) == ["m.NPZ", "w.weights.npz"]
    with pytest.raises(InputError, match="argument `path`, expected a file path ending in .npz"):
        model.save(42)


@pytest.mark.parametrize("name", ["model.h5", "model.keras", "model"])
def test_a_file_already_saved_under_any_name_still_loads(tmp_path, tutorial_model, name):
    model = tutorial_model()
    model.save(tmp_path / "m.npz")
    (tmp_path / "m.npz").rename(tmp_path / name)  # as older versions wrote it
    x = np.linspace(-1, 1, 6).reshape(2, 3, 1)
    np.testing.assert_array_equal(load_model(tmp_path / name).predict(x), model.predict(x))
    other = tutorial_model(seed=3)
    other.load_weights(tmp_path / name)
    np.testing.assert_array_equal(other.predict(x), model.predict(x))
