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

Reading uses `np.load(allow_pickle=False)`, so a file can never run code. Writing goes to a
temporary file in the same folder, renamed over the target only when complete. Every way a
file can be wrong (missing, truncated, not ours, pickled objects, a newer format) gives one
InputError naming the file.

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
import os
import warnings
import zipfile

import numpy as np

from unrolled import losses, optimizers
from unrolled.errors import InputError, invalid
from unrolled.files import atomic_path
from unrolled.models import train_state

FORMAT_VERSION = 1
MODEL_FORMAT = "unrolled.model"
WEIGHTS_FORMAT = "unrolled.weights"
DOCUMENT = "__document__"
# Keras and HDF5 suffixes, swapped for .npz in the suggested name (others get .npz appended)
_KERAS_SUFFIXES = (".h5", ".hdf5", ".keras")


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


def read_model(path):
    """(document, arrays) of a file that `save_model` wrote, or one InputError naming it."""
    return _read(path, MODEL_FORMAT)


def restore(model, document, arrays, path):
    """Onto `model`, built from document["model"]: the file's weights, and its compile
    settings and optimizer state when it had them."""
    _set_weights(model, arrays, path)
    settings = document.get("compile")
    if settings:
        try:
            _restore_training(model, settings, arrays)
        except (KeyError, TypeError, ValueError) as error:
            raise corrupt(path, f"bad compile settings or optimizer state ({error})") from None


def _restore_training(model, settings, arrays):
    """Compile as saved and put the optimizer state (slots and step count) back."""
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
    optimizer.iterations = int(settings["iterations"])
    optimizer.state_for = train_state.state_key(model)


def load_extras(path):
    """Only the `extras` dict stored with a model (None if there was none)."""
    return read_model(path)[0].get("extras")


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
    _, arrays = _read(path, (WEIGHTS_FORMAT, MODEL_FORMAT))
    _set_weights(model, arrays, path)


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


def _set_weights(model, arrays, path):
    weights = []
    for i, layer in enumerate(model.layers):
        for key in layer.params:
            if f"weights/{i}/{key}" not in arrays:
                raise corrupt(path, f"no weight {key!r} for layer {i} ({layer.name})")
            weights.append(arrays[f"weights/{i}/{key}"])
    model.set_weights(weights)


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


def _read(path, formats):
    """(document, arrays) of one of our files, or one InputError saying what is wrong."""
    path = os.fspath(path)
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
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as npz:
            if DOCUMENT not in npz.files:
                raise InputError(
                    f"cannot load {path!r}: not an unrolled model file "
                    "(it has no model description)"
                )
            document = json.loads(str(npz[DOCUMENT]))
            arrays = {key: npz[key] for key in npz.files if key != DOCUMENT}
    except InputError:
        raise
    except ValueError as error:
        if "pickle" in str(error):
            raise InputError(
                f"cannot load {path!r}: it holds pickled Python objects, which are never loaded"
            ) from None
        raise corrupt(path, error) from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, UnicodeDecodeError) as error:
        raise corrupt(path, error) from None
    formats = formats if isinstance(formats, tuple) else (formats,)
    if not isinstance(document, dict) or document.get("format") not in formats:
        found = document.get("format") if isinstance(document, dict) else None
        raise InputError(
            f"cannot load {path!r}: expected a {' or '.join(formats)} file, got {found!r}"
        )
    version = document.get("format_version")
    if not isinstance(version, int):
        raise corrupt(path, "no format version")
    if version > FORMAT_VERSION:
        raise InputError(
            f"cannot load {path!r}: format version {version!r} is newer than this unrolled "
            f"reads ({FORMAT_VERSION}); upgrade unrolled"
        )
    return document, arrays


def corrupt(path, reason):
    return InputError(
        f"cannot load {os.fspath(path)!r}: the file is truncated or corrupt ({reason})"
    )
