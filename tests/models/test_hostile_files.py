"""Model files made to hurt: every malformed file is one InputError naming it, found before any
layer is built and before much memory is spent, never another exception type."""

import io
import json
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unrolled.errors import InputError
from unrolled.layers import LSTM, Dense, Embedding
from unrolled.models import Sequential, load_model


def _npy(array):
    """The .npy bytes of `array`, as np.savez writes them."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


def _saved(path, embedding=False):
    """A small trained-looking model file; returns (document, {entry name: array})."""
    if embedding:
        layers = [Embedding(5, 3, input_shape=(None,)), LSTM(2), Dense(1)]
    else:
        layers = [LSTM(2, input_shape=(3, 1)), Dense(1)]
    model = Sequential(layers)
    model.compile("adam", "mse")
    model.save(path)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    return json.loads(str(arrays.pop("__document__"))), arrays


def _write(path, document, arrays, extra=()):
    """A model file from a document (dict or raw text) and arrays; `extra`: more entries as
    (ZipInfo or name, bytes)."""
    text = document if isinstance(document, str) else json.dumps(document)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__document__.npy", _npy(np.array(text)))
        for key, array in arrays.items():
            zf.writestr(f"{key}.npy", _npy(array))
        for info, data in extra:
            zf.writestr(info, data)


def _edit_layer(key, value, embedding=False, index=0):
    def make(path):
        document, arrays = _saved(path, embedding)
        document["model"]["layers"][index]["config"][key] = value
        _write(path, document, arrays)

    return make


def _document_text(text):
    def make(path):
        _, arrays = _saved(path)
        _write(path, text, arrays)

    return make


def _learning_rate_infinity(path):
    document, arrays = _saved(path)
    text = json.dumps(document).replace('"learning_rate": 0.001', '"learning_rate": Infinity')
    assert "Infinity" in text
    _write(path, text, arrays)


def _huge_header(path):
    """weights/0/kernel's npy header declares 2**40 floats; the entry holds a few bytes."""
    document, arrays = _saved(path)
    del arrays["weights/0/kernel"]
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (2**20, 2**20)}
    )
    _write(path, document, arrays, [("weights/0/kernel.npy", header.getvalue() + bytes(64))])


def _weights_of(dtype):
    def make(path):
        document, arrays = _saved(path)
        kernel = arrays["weights/0/kernel"]
        if dtype == "structured":
            arrays["weights/0/kernel"] = np.zeros(kernel.shape, dtype=[("a", "<f4"), ("b", "<f4")])
        else:
            arrays["weights/0/kernel"] = np.zeros(kernel.shape, dtype=dtype)
        _write(path, document, arrays)

    return make


def _patched(path, offsets):
    """Rewrite bytes of a saved file: {(signature, offset within the record): new bytes}."""
    data = bytearray(path.read_bytes())
    for (signature, offset), value in offsets.items():
        start = data.index(signature)
        data[start + offset : start + offset + len(value)] = value
    path.write_bytes(bytes(data))


def _encrypted(path):
    _saved(path)
    # general purpose bit 0 (encrypted) in the first local header and its central record
    _patched(path, {(b"PK\x03\x04", 6): b"\x01\x00", (b"PK\x01\x02", 8): b"\x01\x00"})


def _unknown_compression(path):
    _saved(path)
    _patched(path, {(b"PK\x03\x04", 8): b"\x63\x00", (b"PK\x01\x02", 10): b"\x63\x00"})


def _unused_entry(path, megabytes=64):
    """An entry the format does not name: 64 MB of zeros, deflated to a few hundred KB."""
    document, arrays = _saved(path)
    _write(path, document, arrays)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        zf.open("junk.npy", "w") as f,
    ):
        for _ in range(megabytes):
            f.write(bytes(1 << 20))


def _iterations(value):
    def make(path):
        document, arrays = _saved(path)
        document["compile"]["iterations"] = value
        _write(path, document, arrays)

    return make


HOSTILE = {
    "deeply nested JSON": (_document_text("[" * 100_000 + "]" * 100_000), "JSON"),
    "Infinity in the JSON": (_learning_rate_infinity, "not a finite number"),
    "units 10**12": (_edit_layer("units", 10**12), r"weight 'kernel' .*\(1, 4000000000000\)"),
    "units 8000": (_edit_layer("units", 8000), r"weight 'kernel' .*\(1, 32000\)"),
    "units 2000": (_edit_layer("units", 2000), r"weight 'kernel' .*\(1, 8000\)"),
    "input_dim 10**10": (
        _edit_layer("input_dim", 10**10, embedding=True),
        r"weight 'embeddings' .*\(10000000000, 3\)",
    ),
    "an npy header of 2**40 floats": (_huge_header, r"declares an array of \(1048576, 1048576\)"),
    "the encrypted flag": (_encrypted, "encrypted"),
    "an unknown compression method": (_unknown_compression, "compression method 99"),
    "string weights": (_weights_of("<U5"), "real floating-point"),
    "structured weights": (_weights_of("structured"), "real floating-point"),
    "complex weights": (_weights_of(np.complex64), "real floating-point"),
    "bool weights": (_weights_of(np.bool_), "real floating-point"),
    "datetime weights": (_weights_of("datetime64[D]"), "real floating-point"),
    "an entry the format does not name": (_unused_entry, "'junk.npy'"),
    "negative iterations": (_iterations(-3), "iterations"),
    "iterations beyond 2**53": (_iterations(10**30), "beyond"),
}


@pytest.mark.parametrize("make, match", HOSTILE.values(), ids=list(HOSTILE))
def test_a_hostile_file_is_one_input_error_in_little_time_and_memory(tmp_path, make, match):
    path = tmp_path / "model.npz"
    make(path)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(InputError, match=match) as raised:
            load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2.0
    assert peak < 8 << 20  # no layer built, no large entry read
    message = str(raised.value)
    assert message.startswith(f"cannot load {str(path)!r}: ") and "\n" not in message
    error = raised.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_a_document_larger_than_the_bound_is_refused_unread(tmp_path):
    path = tmp_path / "model.npz"
    document, arrays = _saved(path)
    document["extras"] = {"notes": "x" * (17 << 20)}
    _write(path, document, arrays)
    with pytest.raises(InputError, match="description is larger than"):
        load_model(path)


def test_nesting_deeper_than_the_bound_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    document, arrays = _saved(path)
    nested = []
    for _ in range(100):
        nested = [nested]
    document["extras"] = {"nested": nested}
    _write(path, document, arrays)
    with pytest.raises(InputError, match="nested deeper than 32"):
        load_model(path)


def test_float64_weights_for_a_float32_layer_load_when_they_fit(tmp_path):
    path = tmp_path / "model.npz"
    document, arrays = _saved(path)
    arrays = {k: v.astype(np.float64) if k.startswith("weights/") else v for k, v in arrays.items()}
    _write(path, document, arrays)
    assert load_model(path).layers[0].params["kernel"].dtype == np.float32


def test_load_model_of_none_names_the_argument():
    with pytest.raises(InputError, match=r"argument `path`, expected a file path, got None"):
        load_model(None)


@pytest.mark.parametrize("dtype", [np.complex64, np.bool_, "datetime64[D]", "<U3", object])
def test_set_weights_takes_only_real_floating_point_arrays(dtype):
    layer = Dense(2)
    layer.build((None, 3))
    with pytest.raises(InputError, match="expects real numbers for weight 'kernel'"):
        layer.set_weights([np.zeros((3, 2), dtype=dtype), np.zeros(2)])


def test_set_weights_still_takes_integer_lists():
    layer = Dense(2)
    layer.build((None, 1))
    layer.set_weights([[[1, 2]], [0, 0]])  # the tutorial writes small weights by hand
    assert layer.params["kernel"].tolist() == [[1.0, 2.0]]


# fuzzing: any bytes, any JSON document: a model or one InputError, nothing else


@pytest.fixture(scope="module")
def valid_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("valid") / "model.npz"
    _saved(path)
    return path.read_bytes()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_damaged_bytes_give_a_model_or_one_input_error(tmp_path, valid_file, data):
    raw = bytearray(valid_file)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        at = data.draw(st.integers(0, len(raw) - 1), label="at")
        kind = data.draw(st.sampled_from(["flip", "cut", "insert"]), label="kind")
        if kind == "flip":
            raw[at] ^= data.draw(st.integers(1, 255), label="xor")
        elif kind == "cut":
            del raw[at : at + data.draw(st.integers(1, 64), label="length")]
        else:
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=16), label="bytes")
    path = tmp_path / "fuzzed.npz"
    path.write_bytes(bytes(raw))
    try:
        load_model(path)
    except InputError as error:
        assert str(error).startswith(f"cannot load {str(path)!r}: ") and "\n" not in str(error)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
SENSITIVE = st.sampled_from(
    [
        ("model", "layers", 0, "config", "units"),
        ("model", "layers", 0, "config", "activation"),
        ("model", "layers", 0, "config", "input_shape"),
        ("model", "layers", 0, "config", "dropout"),
        ("model", "layers", 0, "config", "name"),
        ("model", "layers", 0, "class_name"),
        ("model", "layers", 1, "config"),
        ("model", "layers"),
        ("model", "input_shape"),
        ("model", "name"),
        ("model",),
        ("compile", "optimizer", "learning_rate"),
        ("compile", "optimizer", "name"),
        ("compile", "optimizer"),
        ("compile", "loss"),
        ("compile", "metrics"),
        ("compile", "iterations"),
        ("compile",),
        ("format_version",),
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(where=SENSITIVE, value=JSON)
def test_any_json_value_anywhere_gives_a_model_or_one_input_error(tmp_path, where, value):
    path = tmp_path / "model.npz"
    document, arrays = _saved(path)
    target = document
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    _write(path, json.dumps(document), arrays)
    try:
        load_model(path)
    except InputError as error:
        assert str(error).startswith(f"cannot load {str(path)!r}: ") and "\n" not in str(error)
