"""Keras 3 .keras files, both ways, against Keras 3.15 itself (torch backend).

In: Sequential models built and saved by Keras, covering every layer kind unrolled has (an
Input with a dtype, Embedding(mask_zero=True), Masking, Dropout, Bidirectional, both GRU
forms, stacked recurrent layers, RNN over cells, TimeDistributed, RepeatVector, float64),
load with predictions equal to Keras's within 1e-5. Out: every model of the interop zoo,
saved as .keras, opens in keras.models.load_model with equal predictions. Round trips both
ways; what cannot load is one line naming the layer."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import unrolled
from unrolled.errors import InputError

N, T = 4, 6


def ids(V, seed=0):
    """(N, T) ids with padding (0) at the start of sample 0, the end of 1, the middle of 2."""
    x = np.random.default_rng(seed).integers(1, V, (N, T))
    x[0, :2] = x[1, -2:] = x[2, 3] = 0
    return x


def features(D, seed=0, pad=None):
    """(N, T, D) float32 features; with pad, padded steps hold that value."""
    x = np.random.default_rng(seed).standard_normal((N, T, D)).astype(np.float32)
    if pad is not None:
        x[0, :2] = x[1, -2:] = x[2, 3] = pad
    return x


def keras_models(keras):
    """name -> (a Keras Sequential, an input batch)."""
    L = keras.layers

    def bias():  # nonzero biases: a bias in the wrong place must show
        return {"bias_initializer": keras.initializers.RandomNormal(stddev=0.3, seed=1)}

    return {
        "embedding_mask_bidirectional": (
            keras.Sequential(
                [
                    keras.Input(shape=(None,), dtype="int32"),
                    L.Embedding(10, 4, mask_zero=True),
                    L.Bidirectional(L.LSTM(3, return_sequences=True, **bias())),
                    L.Dropout(0.3),
                    L.GRU(3, reset_after=False, return_sequences=True, **bias()),
                    L.GRU(2, **bias()),
                    L.Dense(2, activation="softmax"),
                ]
            ),
            ids(10),
        ),
        "masking_stacked_sequences": (
            keras.Sequential(
                [
                    keras.Input(shape=(None, 3)),
                    L.Masking(mask_value=0.0),
                    L.SimpleRNN(4, return_sequences=True, **bias()),
                    L.LSTM(3, return_sequences=True, go_backwards=True, **bias()),
                    L.Bidirectional(
                        L.GRU(2, return_sequences=True, reset_after=False, **bias()),
                        merge_mode="sum",
                    ),
                    L.TimeDistributed(L.Dense(2, activation="tanh")),
                ]
            ),
            features(3, pad=0.0),
        ),
        "cells_repeat_vector": (
            keras.Sequential(
                [
                    keras.Input(shape=(None, 2)),
                    L.RNN([L.LSTMCell(3, **bias()), L.GRUCell(3, reset_after=False)]),
                    L.RepeatVector(4),
                    L.RNN(L.SimpleRNNCell(2, activation="relu"), return_sequences=True),
                    L.Bidirectional(L.SimpleRNN(2), merge_mode="ave"),
                    L.Dense(1, activation="sigmoid"),
                ]
            ),
            features(2),
        ),
        "float64_activations": (
            keras.Sequential(
                [
                    keras.Input(shape=(None, 3), dtype="float64"),
                    L.LSTM(
                        3,
                        activation="sigmoid",
                        recurrent_activation="tanh",
                        unit_forget_bias=False,
                        return_sequences=True,
                        dtype="float64",
                    ),
                    L.GRU(2, activation="relu", use_bias=False, dtype="float64"),
                    L.Dense(2, activation="relu", dtype="float64"),
                ]
            ),
            features(3).astype(np.float64),
        ),
    }


@pytest.fixture(scope="session")
def keras_files(keras, tmp_path_factory):
    """name -> (path of the saved .keras file, input batch, Keras's predictions)."""
    folder = tmp_path_factory.mktemp("keras_files")
    files = {}
    for name, (model, x) in keras_models(keras).items():
        path = folder / f"{name}.keras"
        model.save(path)
        files[name] = (path, x, np.asarray(model.predict(x, verbose=0)))
    return files


@pytest.mark.parametrize(
    "name",
    [
        "embedding_mask_bidirectional",
        "masking_stacked_sequences",
        "cells_repeat_vector",
        "float64_activations",
    ],
)
def test_keras_files_load_with_keras_predictions(keras, keras_files, name, tmp_path):
    path, x, expected = keras_files[name]
    model = unrolled.load_model(path)
    assert not model.compiled
    np.testing.assert_allclose(model.predict(x), expected, rtol=0, atol=1e-5)
    # and back: Keras opens what we write from it, with the same predictions
    model.save(tmp_path / "back.keras")
    again = keras.models.load_model(tmp_path / "back.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), expected, rtol=0, atol=1e-5)


def test_loaded_layers_are_ours_with_keras_names_and_settings(keras_files):
    model = unrolled.load_model(keras_files["embedding_mask_bidirectional"][0])
    names = [type(layer).__name__ for layer in model.layers]
    assert names == ["Embedding", "Bidirectional", "Dropout", "GRU", "GRU", "Dense"]
    embedding, bidirectional, _, gru, *_ = model.layers
    assert embedding.mask_zero and gru.reset_after is False and model.dtype == np.float32
    assert bidirectional.forward_layer.zero_output_for_mask  # as Keras sets it
    assert model.input_shape == (None, None)


def test_every_zoo_model_opens_in_keras(keras, zoo, zoo_name, tmp_path):
    model, case = zoo.build(zoo_name), zoo.ZOO[zoo_name]
    x = zoo.inputs(zoo_name, 3, 5)
    expected = model.predict(x, batch_size=3)  # a stateful model learns its batch size here
    model.save(tmp_path / "m.keras")
    theirs = keras.models.load_model(tmp_path / "m.keras")
    model.reset_states()  # Keras starts from zero states
    got = theirs.predict(x.astype(np.int32) if case.ids else x, verbose=0)
    for a, b in zip(
        got if isinstance(got, list) else [got],
        expected if isinstance(expected, list) else [expected],
        strict=True,
    ):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
    back = unrolled.load_model(tmp_path / "m.keras")
    for a, b in zip(back.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # ours -> Keras -> ours: bit for bit
    configs = [layer.get_config() for layer in (*back.layers, *model.layers)]
    for config in configs:
        config.pop("input_shape", None)  # the model's Input carries it in Keras's file
    assert configs[: len(back.layers)] == configs[len(back.layers) :]
    assert back.input_shape == model.input_shape


def test_extras_travel_in_metadata_and_old_npz_named_keras_still_load(zoo, tmp_path):
    model = zoo.build("embedding_rnn_lstm")
    model.save(tmp_path / "m.keras", extras={"vocabulary": ["<pad>", "a"]})
    loaded, extras = unrolled.load_model(tmp_path / "m.keras", with_extras=True)
    assert extras == {"vocabulary": ["<pad>", "a"]}
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert json.loads(archive.read("metadata.json"))["keras_version"] == "3.15.1"
    unrolled_npz = tmp_path / "old.keras"  # what save("x.keras") wrote before .keras files
    from unrolled.models import saving

    with pytest.warns(UserWarning, match="would hold unrolled's .npz format"):
        saving.save_model(model, unrolled_npz)
    x = zoo.inputs("embedding_rnn_lstm", 2, 3)
    np.testing.assert_array_equal(unrolled.load_model(unrolled_npz).predict(x), model.predict(x))


def test_regularizers_are_dropped_with_a_warning(keras, tmp_path):
    model = keras.Sequential(
        [
            keras.Input(shape=(None, 2)),
            keras.layers.LSTM(3, kernel_regularizer="l2", recurrent_constraint="non_neg"),
        ]
    )
    model.save(tmp_path / "r.keras")
    with (
        pytest.warns(UserWarning, match="layer 'lstm.*' has a kernel_regularizer .*dropped"),
        pytest.warns(UserWarning, match="recurrent_constraint"),
    ):
        ours = unrolled.load_model(tmp_path / "r.keras")
    x = features(2)
    np.testing.assert_allclose(ours.predict(x), model.predict(x, verbose=0), atol=1e-5)


def test_a_trained_and_compiled_keras_model_loads(keras, tmp_path):
    model = keras.Sequential(
        [keras.Input(shape=(None, 3)), keras.layers.GRU(2), keras.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    x = features(3)
    model.fit(x, np.ones((N, 1)), epochs=2, verbose=0)  # the file gets optimizer variables
    model.save(tmp_path / "t.keras")
    np.testing.assert_allclose(
        unrolled.load_model(tmp_path / "t.keras").predict(x), model.predict(x, verbose=0), atol=1e-5
    )


def unloadable(keras):
    """name -> a Keras model that unrolled cannot run, and the message saying why."""
    L = keras.layers
    inputs = keras.Input(shape=(None, 3))
    return {
        "functional": (
            keras.Model(inputs, L.LSTM(2)(inputs)),
            r"it holds a Keras Functional model; unrolled reads Sequential models",
        ),
        "layer we lack": (
            keras.Sequential([keras.Input(shape=(None, 3)), L.Conv1D(2, 2), L.LSTM(2)]),
            r"layer 'conv1d.*' is a Conv1D, which unrolled does not have; it reads Bidirectional",
        ),
        "activation we lack": (
            keras.Sequential(
                [keras.Input(shape=(None, 3)), L.LSTM(2), L.Dense(2, activation="gelu")]
            ),
            r"layer 'dense.*' \(Dense\): Received an invalid value for argument `activation`, "
            r".*'gelu'",
        ),
        "mixed precision": (
            keras.Sequential([keras.Input(shape=(None, 3)), L.LSTM(2, dtype="bfloat16")]),
            r"layer 'lstm.*' computes in Keras's dtype policy 'bfloat16'",
        ),
    }


def test_what_cannot_load_is_one_line_naming_it(keras, tmp_path):
    @keras.saving.register_keras_serializable(package="mine")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    cases = {
        **unloadable(keras),
        "custom layer": (
            keras.Sequential([keras.Input(shape=(None, 3)), Twice(), keras.layers.LSTM(2)]),
            r"layer 'twice' is a Twice \(a custom layer\), which unrolled does not have",
        ),
    }
    for name, (model, message) in cases.items():
        path = tmp_path / f"{name}.keras"
        model.save(path)
        with pytest.raises(InputError, match=rf"^cannot load '.*': {message}") as info:
            unrolled.load_model(path)
        assert "\n" not in str(info.value), name


def test_damaged_files_and_a_missing_h5py_are_one_line(keras_files, zoo, tmp_path, monkeypatch):
    path = tmp_path / "broken.keras"
    source = keras_files["cells_repeat_vector"][0]
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        dst.writestr("config.json", src.read("config.json"))
        dst.writestr("model.weights.h5", b"not hdf5")
    with pytest.raises(InputError, match=r"^cannot load .*: its weights cannot be read"):
        unrolled.load_model(path)
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        config = json.loads(src.read("config.json"))
        del config["config"]["layers"][1]["config"]["cell"]  # an RNN without its cell
        dst.writestr("config.json", json.dumps(config))
        dst.writestr("model.weights.h5", src.read("model.weights.h5"))
    with pytest.raises(InputError, match=r"^cannot load .*: its config is damaged .*'cell'"):
        unrolled.load_model(path)
    model = zoo.build("stateful")  # no call yet: Keras needs its batch size
    with pytest.raises(InputError, match=r"layer 'lstm.*' is stateful, and Keras builds it"):
        model.save(tmp_path / "s.keras")
    monkeypatch.setitem(sys.modules, "h5py", None)  # `import h5py` now fails
    message = r"^reading a Keras file needs the h5py package: pip install 'unrolled\[keras\]'$"
    with pytest.raises(InputError, match=message):
        unrolled.load_model(source)
    with pytest.raises(InputError, match="writing a Keras file needs the h5py package"):
        zoo.build("seq2seq").save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()


def test_npz_files_and_importing_unrolled_need_neither_h5py_nor_keras(tmp_path):
    src = str(Path(unrolled.__file__).parents[1])
    code = (
        "import sys, unrolled, unrolled.interop.keras\n"
        "m = unrolled.Sequential([unrolled.LSTM(2, input_shape=(None, 1))])\n"
        f"m.save({str(tmp_path / 'm.npz')!r}); unrolled.load_model({str(tmp_path / 'm.npz')!r})\n"
        "assert not {'h5py', 'keras'} & set(sys.modules), 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": src})
