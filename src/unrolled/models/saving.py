"""Model files: one .npz holding every array plus one JSON document, never a pickle.

    model.save("model.npz", extras={"scaler": scaler.get_state()})
    model = load_model("model.npz")                       # predicts and trains on as before
    model, extras = load_model("model.npz", with_extras=True)

This module writes and reads the files for any model with Sequential's surface and imports
no model class: `load_model` (in sequential.py) builds the Sequential from the document that
`read_model` returns, then `restore` puts the weights and the training state back.

Inside the archive:
    __document__           JSON text: format name and version, the model config (layer
                           configs), compile settings, optimizer iterations, `extras`
    weights/<i>/<key>      layer i's parameter `key` (Keras layout)
    optimizer/<slot>       the optimizer's flat state arrays (momentums, velocities, ...)

Reading opens the zip itself and trusts nothing in it: the JSON is bounded in size, depth
and numbers; each entry must be one the format names, stored or deflated, unencrypted; and
every array's npy header (shape, real floating-point dtype, exact byte count) is checked
against the weights the model config implies before any array data is read or any layer is
built, so a hostile file costs neither time nor memory. Arrays are read with
allow_pickle=False, so a file can never run code. Writing goes to a temporary file in the
same folder, renamed over the target only when complete. Every way a file can be wrong
(missing, truncated, not ours, pickled objects, a newer format, a config its arrays do not
fit) gives one InputError naming the file.

The file is a NumPy archive, so its name should end in .npz (any case). (`Sequential.save`
hands a name ending in .keras to interop/keras.py, which writes Keras's own format.) `save`
and `save_weights` still write to any other name they are given, exactly there (never adding
".npz" the way `np.savez` does), but warn: a Keras name (model.h5, x.weights.h5) would send a
reader to Keras or h5py, which cannot open it, and a script that ends in
`model.save("model.h5")` should not lose its trained model over a name. The tasks'
--save flags refuse such a name before training (`suffix_problem`). Loading reads the file's
bytes, never its name, so files saved under any name load.
"""

import json
import math
import os
import re
import tokenize
import warnings
import zipfile
import zlib

import numpy as np

from unrolled import losses, optimizers
from unrolled.errors import InputError, invalid, non_negative_int
from unrolled.files import atomic_path
from unrolled.models import train_state

FORMAT_VERSION = 1
MODEL_FORMAT = "unrolled.model"
WEIGHTS_FORMAT = "unrolled.weights"
DOCUMENT = "__document__"
# Keras and HDF5 suffixes, swapped for .npz in the suggested name (others get .npz appended)
_KERAS_SUFFIXES = (".h5", ".hdf5", ".keras")
# Bounds on what a file may declare, checked before it is read: a model's description is a
# few KB (a word vocabulary in its extras, a few MB) and nests about 8 levels deep
MAX_DOCUMENT_CHARS = 16 << 20
MAX_DEPTH = 32
MAX_INT = 2**53  # the integers a JSON number holds exactly
_TOO_DEEP = f"the model description (JSON) is nested deeper than {MAX_DEPTH} levels"
# the entries a file may hold: the description, each layer's weights, the optimizer's slots
_ENTRY = re.compile(r"(__document__|weights/\d+/\w+|optimizer/\w+)\.npy")
_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def save_model(model, path, extras=None):
    """Write `model` (config, weights, compile settings, optimizer state) and `extras`."""
    path = _checked_path(path)
    document = {"format": MODEL_FORMAT, "model": model.get_config(), "compile": None}
    arrays = _weight_arrays(model, "save")
    if model.compiled:
        current = train_state.is_current(model)  # a state for other weights is not saved
        document["compile"] = {
            "optimizer": model.optimizer.get_config(),
            "loss": model.loss.get_config(),
            "metrics": model.metrics,
            "iterations": model.optimizer.iterations if current else 0,
        }
        for name, slot in model.optimizer.slots.items() if current else ():
            arrays[f"optimizer/{name}"] = slot
    document["extras"] = extras
    _write(path, document, arrays)


def read_model(path, weight_shapes):
    """(document, arrays) of a file that `save_model` wrote, or one InputError naming it.

    weight_shapes(model_config) -> [(layer name, {key: shape}), ...]: the weights of the
    model the document describes, worked out without building it (sequential.weight_shapes).
    """
    return _read(path, MODEL_FORMAT, lambda document: weight_shapes(document["model"]))


def restore(model, document, arrays, path):
    """Onto `model`, built from document["model"]: the file's weights, and its compile
    settings and optimizer state when it had them."""
    _set_weights(model, arrays)
    settings = document.get("compile")
    if settings:
        try:
            _restore_training(model, settings, arrays)
        except (KeyError, TypeError, ValueError) as error:
            raise corrupt(path, f"bad compile settings or optimizer state ({error})") from None


def _restore_training(model, settings, arrays):
    """Compile as saved and put the optimizer state (slots and step count) back."""
    iterations = non_negative_int(settings["iterations"], "iterations")
    model.compile(
        optimizers.from_config(settings["optimizer"]),
        losses.from_config(settings["loss"]),
        settings["metrics"],
    )
    slots = {
        k.removeprefix("optimizer/"): v for k, v in arrays.items() if k.startswith("optimizer/")
    }
    optimizer = model.optimizer
    optimizer.build(model._params, model._sizes)
    fresh = optimizer.slots
    if set(slots) != set(fresh) or any(slots[k].shape != v.shape for k, v in fresh.items()):
        return  # no saved state (never trained, or stale): the first training step starts it
    for name, slot in fresh.items():
        slot[...] = slots[name]
    optimizer.iterations = iterations
    optimizer.state_for = train_state.state_key(model)


def load_extras(path):
    """Only the `extras` dict stored with a model (None if there was none)."""
    return _read(path, MODEL_FORMAT, None)[0].get("extras")


def save_weights(model, path):
    """Write only the weights (and the layer names, to check them on loading)."""
    path = _checked_path(path)
    arrays = _weight_arrays(model, "save_weights")
    _write(
        path, {"format": WEIGHTS_FORMAT, "layers": [layer.name for layer in model.layers]}, arrays
    )


def load_weights(model, path):
    """Set a built model's weights from `save_weights` (or `save`) output."""
    if not model.built:
        raise InputError(
            "build the model (or give its first layer input_shape) before load_weights"
        )
    shapes = [(layer.name, {k: p.shape for k, p in layer.params.items()}) for layer in model.layers]
    _, arrays = _read(path, (WEIGHTS_FORMAT, MODEL_FORMAT), lambda document: shapes)
    _set_weights(model, arrays)


def _checked_path(path):
    """`path` as a str (one line if it is not a path), with a warning when its name does not
    end in .npz (see above)."""
    if not isinstance(path, str | os.PathLike):
        raise invalid("path", "a file path ending in .npz", path)
    path = os.fsdecode(path)
    problem = suffix_problem(path)
    if problem:
        warnings.warn(f"{problem}; writing it anyway", stacklevel=4)  # at the user's save()
    return path


def suffix_problem(path):
    """None for a name ending in .npz (or a folder: writing onto it is atomic_path's error);
    else what is wrong with the name and the one to use."""
    if path.lower().endswith(".npz") or os.path.isdir(path):
        return None
    root, suffix = os.path.splitext(path)
    keras = suffix.lower() in _KERAS_SUFFIXES
    suggested = (root if keras else path) + ".npz"
    unreadable = ", which Keras and h5py cannot read" if keras else ""
    return (
        f"{path!r} would hold unrolled's .npz format (arrays + JSON, no pickle){unreadable}; "
        f"name it {suggested!r}"
    )


def _weight_arrays(model, what):
    if not model.built:
        raise InputError(f"build the model (fit, predict or build) before {what}()")
    return {
        f"weights/{i}/{key}": array
        for i, layer in enumerate(model.layers)
        for key, array in layer.params.items()
    }


def _set_weights(model, arrays):
    """The file's weights onto the model (`_read` checked that each is there, shaped right)."""
    model.set_weights(
        [
            arrays[f"weights/{i}/{key}"]
            for i, layer in enumerate(model.layers)
            for key in layer.params
        ]
    )


def _write(path, document, arrays):
    try:
        text = json.dumps({**document, "format_version": FORMAT_VERSION})
    except (TypeError, ValueError) as error:
        message = (
            f"the model config or extras must be JSON-serialisable (dicts, lists, str, "
            f"numbers): {error}"
        )
        raise InputError(message) from None
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **{DOCUMENT: np.array(text)}, **arrays)


def file_path(path):
    """`path` as a str, or the standard one-line error unless it is a path (None, a number)."""
    if not isinstance(path, str | os.PathLike):
        raise invalid("path", "a file path", path)
    return os.fspath(path)


def _read(path, formats, expected):
    """(document, arrays) of one of our files, or one InputError saying what is wrong.

    expected(document) -> [(layer name, {key: shape}), ...], the weights the file must hold
    (None: read the document alone). Every entry is checked, from the zip directory and its
    npy header, before any array is read: a file holds only the entries the format names, each
    stored or deflated, unencrypted, real floating-point arrays of the expected shapes.
    """
    path = file_path(path)
    if not os.path.isfile(path):
        raise InputError(f"cannot load {path!r}: no such file")
    try:
        with open(path, "rb") as f:
            signature = f.read(4)
    except OSError as error:  # unreadable: permissions, a special file
        raise InputError(f"cannot load {path!r}: {error.strerror or error}") from None
    if signature not in (b"PK\x03\x04", b"PK\x05\x06"):  # a zip archive (or an empty one)
        raise InputError(f"cannot load {path!r}: not an unrolled model file (not a .npz archive)")
    try:
        with zipfile.ZipFile(path) as archive:
            if f"{DOCUMENT}.npy" not in archive.namelist():
                raise InputError(
                    f"cannot load {path!r}: not an unrolled model file "
                    "(it has no model description)"
                )
            entries = _entries(archive, path)
            document = _document(archive, entries.pop(DOCUMENT), path, formats)
            if expected is None:
                return document, {}
            headers = {key: _header(archive, info) for key, info in entries.items()}
            if any(dtype.hasobject for _, dtype in headers.values()):
                raise InputError(
                    f"cannot load {path!r}: it holds pickled Python objects, which are never loaded"
                )
            try:
                layers = expected(document)
            except (ValueError, TypeError, KeyError, AttributeError, IndexError) as error:
                raise corrupt(path, f"bad model config ({error})") from None
            _check_arrays(headers, layers, path)
            arrays = {key: _array(archive, info) for key, info in entries.items()}
    except InputError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise corrupt(path, error) from None
    return document, arrays


def _entries(archive, path):
    """{array key: ZipInfo} for every entry, refusing any the format does not name, any
    stored twice, encrypted, or packed other than stored or deflated (np.savez[_compressed])."""
    entries = {}
    for info in archive.infolist():
        name = info.filename
        key = name.removesuffix(".npy")
        if not _ENTRY.fullmatch(name):
            raise InputError(
                f"cannot load {path!r}: it holds {name!r}, which is no part of an unrolled "
                "model file"
            )
        if key in entries:
            raise InputError(f"cannot load {path!r}: it holds {name!r} twice")
        if info.flag_bits & 0x1:
            raise InputError(
                f"cannot load {path!r}: its entry {name!r} is encrypted, which unrolled never "
                "writes"
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise InputError(
                f"cannot load {path!r}: its entry {name!r} uses compression method "
                f"{info.compress_type}; a model file's entries are stored or deflated"
            )
        entries[key] = info
    return entries


def _document(archive, info, path, formats):
    """The JSON document in entry `info`: of one of `formats`, a version this code reads."""
    shape, dtype = _header(archive, info)
    if shape != () or dtype.kind != "U":
        raise corrupt(path, "the model description is not a text")
    if dtype.itemsize // 4 > MAX_DOCUMENT_CHARS:  # 4 bytes per character
        raise InputError(
            f"cannot load {path!r}: its model description is larger than "
            f"{MAX_DOCUMENT_CHARS:,} characters"
        )
    text = str(_array(archive, info))
    try:
        document = json.loads(text, parse_constant=_not_finite, parse_float=_finite)
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None
    _check_values(document, depth=1)
    formats = formats if isinstance(formats, tuple) else (formats,)
    if not isinstance(document, dict) or document.get("format") not in formats:
        found = document.get("format") if isinstance(document, dict) else None
        raise InputError(
            f"cannot load {path!r}: expected a {' or '.join(formats)} file, got {found!r}"
        )
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise corrupt(path, "no format version")
    if version > FORMAT_VERSION:
        raise InputError(
            f"cannot load {path!r}: format version {version!r} is newer than this unrolled "
            f"reads ({FORMAT_VERSION}); upgrade unrolled"
        )
    return document


def _not_finite(name):
    raise ValueError(f"the model description holds {name}, which is not a finite number")


def _finite(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the model description holds {text}, which is not a finite number")
    return value


def _check_values(value, depth):
    """ValueError unless `value` nests at most MAX_DEPTH deep and its integers lie within
    +-2**53 (floats are finite already: `_finite`)."""
    if depth > MAX_DEPTH:
        raise ValueError(_TOO_DEEP)
    if isinstance(value, dict | list):
        for item in value.values() if isinstance(value, dict) else value:
            _check_values(item, depth + 1)
    elif isinstance(value, int) and abs(value) > MAX_INT:
        raise ValueError(f"the model description holds {value}, beyond +-2**53")


def _array(archive, info):
    """The array in entry `info` (its header checked by `_header` first); never a pickle."""
    with archive.open(info) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _header(archive, info):
    """(shape, dtype) of the array in entry `info`, from its npy header alone;
    ValueError unless the entry's size is exactly what the header declares (pickled objects
    have no size to declare: `_read` refuses them)."""
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version not in _HEADER_READERS:
            raise ValueError(f"entry {info.filename!r} has npy format version {version}")
        try:
            shape, _, dtype = _HEADER_READERS[version](f)
        except (SyntaxError, tokenize.TokenError):  # NumPy parses the header as Python
            raise ValueError(f"entry {info.filename!r} has a malformed npy header") from None
        header = f.tell()
    if not dtype.hasobject and header + math.prod(shape) * dtype.itemsize != info.file_size:
        raise ValueError(
            f"entry {info.filename!r} holds {info.file_size:,} bytes, but its header declares "
            f"an array of {shape} {dtype}"
        )
    return shape, dtype


def _check_arrays(headers, layers, path):
    """Every weight the model has is in `headers` with its shape and a real floating-point
    dtype; every other entry is an optimizer slot as long as all the weights together."""
    headers, size = dict(headers), 0
    for i, (name, shapes) in enumerate(layers):
        for key, shape in shapes.items():
            if f"weights/{i}/{key}" not in headers:
                raise corrupt(path, f"no weight {key!r} for layer {i} ({name})")
            found, dtype = headers.pop(f"weights/{i}/{key}")
            if dtype.kind != "f":
                raise corrupt(
                    path,
                    f"weight {key!r} of layer {i} ({name}) holds {dtype} values, not real "
                    "floating-point ones",
                )
            if found != tuple(shape):
                raise corrupt(
                    path,
                    f"layer {i} ({name}) expects weight {key!r} of shape {tuple(shape)}, but the "
                    f"file holds {found}",
                )
            size += math.prod(shape)
    for key, (found, dtype) in headers.items():
        if not key.startswith("optimizer/"):
            raise InputError(
                f"cannot load {path!r}: it holds {key + '.npy'!r}, which is no weight of its model"
            )
        if found != (size,) or dtype.kind != "f":
            raise corrupt(path, f"optimizer state {key!r} is {found} {dtype}, expected ({size},)")


def corrupt(path, reason):
    return InputError(
        f"cannot load {os.fspath(path)!r}: the file is truncated or corrupt ({reason})"
    )
