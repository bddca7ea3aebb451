"""Keras 3 model files (.keras): a Sequential from one, and one that Keras opens.

    model = unrolled.load_model("m.keras")    # a Sequential saved by Keras 3
    model.save("m.keras")                     # keras.models.load_model("m.keras") opens it

A .keras file is a zip archive of three members:
    config.json        the model: Keras's serialized configs, {"module", "class_name",
                       "config", "registered_name", "build_config"} per layer, nested for
                       Bidirectional, TimeDistributed and RNN's cells
    metadata.json      Keras's version and the date (and here the `extras` given to save)
    model.weights.h5   every weight, in HDF5 groups named after the layers' classes in
                       order ("lstm", "lstm_1", ...): layers/<name>/vars/<i>, with a fused
                       recurrent layer's under .../cell/vars, a Bidirectional's under
                       forward_layer/... and backward_layer/..., a TimeDistributed's under
                       layer/..., and a stack of cells' under cell/cells/<cell name>/...

Keras's configs and ours use the same argument names (that is the point of unrolled's
layers), so translating is mostly bookkeeping: Keras's wrappers around each config, its
dtype policies, and the Keras-only keys. What a file holds that unrolled cannot run (a
functional or subclassed model, a layer or activation it lacks, a dtype policy other than
float32 / float64) is one InputError naming the layer. Regularizers and constraints only
shape training in Keras; a file's are dropped with a warning (the predictions are the same).
A dropout `seed` is dropped: unrolled's randomness comes from unrolled.set_seed.

The architecture and the weights travel, both ways; compile settings and optimizer state do
not (compile again after loading). h5py is needed for the weights: pip install
'unrolled[keras]'.
"""

import io
import json
import re
import warnings
import zipfile
from datetime import datetime, timezone

import numpy as np

from unrolled.errors import InputError
from unrolled.files import atomic_path
from unrolled.interop import require
from unrolled.layers import (
    LAYERS,
    RNN,
    Bidirectional,
    StackedRNNCells,
    TimeDistributed,
    deserialize,
    serialize,
)
from unrolled.layers.recurrent import Fused
from unrolled.layers.rnn import CELLS
from unrolled.models.sequential import Sequential

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
KERAS_VERSION = "3.15.1"  # the Keras whose files these are (and the tests check against)
DTYPES = ("float32", "float64")
KNOWN = {*LAYERS, *CELLS, "StackedRNNCells"}


def is_keras_archive(path):
    """True when `path` is a zip archive with a Keras model's config and weights."""
    try:
        with zipfile.ZipFile(path) as archive:
            return {CONFIG, WEIGHTS} <= set(archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def keras_name(class_name):
    """Keras's snake case for a class: "SimpleRNN" -> "simple_rnn", "LSTMCell" -> "lstm_cell"."""
    name = re.sub(r"\W+", "", class_name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _group_names(objects):
    """The h5 group of each layer (or cell) in a list, as Keras names them: by class, in
    order ("lstm", "lstm_1", ...)."""
    used, names = {}, []
    for obj in objects:
        name = keras_name(type(obj).__name__)
        used[name] = used.get(name, -1) + 1
        names.append(name if used[name] == 0 else f"{name}_{used[name]}")
    return names


def _weight_groups(layer, path):
    """[(h5 group, how many weights)] for one of our layers (or cells), in get_weights()
    order: where Keras keeps them."""
    if isinstance(layer, Fused):
        return [(f"{path}/cell", len(layer.params))]  # Keras's layer holds a cell
    if isinstance(layer, Bidirectional):
        forward = _weight_groups(layer.forward_layer, f"{path}/forward_layer")
        return forward + _weight_groups(layer.backward_layer, f"{path}/backward_layer")
    if isinstance(layer, TimeDistributed):
        return _weight_groups(layer.layer, f"{path}/layer")
    if isinstance(layer, RNN):
        return _weight_groups(layer.cell, f"{path}/cell")
    if isinstance(layer, StackedRNNCells):
        names = _group_names(layer.cells)
        return [
            group
            for cell, name in zip(layer.cells, names, strict=True)
            for group in _weight_groups(cell, f"{path}/cells/{name}")
        ]
    return [(path, len(layer.params))]


# -- reading -------------------------------------------------------------------------------
def load_keras_model(path):
    """(model, extras) from a Keras 3 .keras file: a built Sequential with the file's
    weights (uncompiled), and the `extras` unrolled stored there (None for Keras's files)."""
    h5py = require("h5py", "reading a Keras file")
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read(CONFIG))
            names = archive.namelist()
            metadata = json.loads(archive.read(METADATA)) if METADATA in names else {}
            weights = io.BytesIO(archive.read(WEIGHTS))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise _cannot(path, f"not a readable Keras archive ({error})") from None
    try:
        layer_configs, input_shape, name = _sequential(config, path)
        layers = [_layer(c, path) for c in layer_configs]
        model = Sequential(layers, name=name)
        # a throwaway generator, not the global stream: the file's weights replace these
        model.build(input_shape, rng=np.random.default_rng(0))
        with h5py.File(weights, "r") as f:
            model.set_weights(_read_weights(f, model, path))
    except InputError as error:
        if str(error).startswith("cannot load"):
            raise
        raise _cannot(path, error) from None
    except (KeyError, TypeError, AttributeError, IndexError) as error:
        raise _cannot(path, f"its config is damaged ({error!r})") from None
    except OSError as error:  # h5py: not an HDF5 file
        raise _cannot(path, f"its weights cannot be read ({error})") from None
    return model, metadata.get("unrolled_extras")


def _cannot(path, why):
    return InputError(f"cannot load {str(path)!r}: {why}")


def _sequential(config, path):
    """(layer configs without the InputLayer, input shape with batch None, model name)."""
    class_name = config.get("class_name") if isinstance(config, dict) else None
    if class_name != "Sequential":
        raise _cannot(
            path,
            f"it holds a Keras {class_name} model; unrolled reads Sequential models (a "
            "functional Model(inputs, outputs) or a subclassed model has no counterpart here)",
        )
    inner = config["config"]
    layers, shape = list(inner["layers"]), None
    if layers and layers[0]["class_name"] == "InputLayer":
        first = layers.pop(0)["config"]
        shape = first.get("batch_shape") or first.get("batch_input_shape")
    for source in (layers[0] if layers else {}, config):
        shape = shape or (source.get("build_config") or {}).get("input_shape")
    if not layers or shape is None:
        raise _cannot(path, "its model has no layers or was never built (no input shape)")
    return layers, (None, *shape[1:]), inner.get("name", "sequential")


def _layer(config, path):
    """Our layer for one Keras layer config, or one line naming it."""
    ours = _to_ours(config, path)
    try:
        return deserialize(ours)
    except InputError as error:
        name = ours["config"].get("name")
        raise _cannot(path, f"layer {name!r} ({ours['class_name']}): {error}") from None


def _dtype(policy, name, path):
    """Keras's dtype policy (a name or {"class_name": "DTypePolicy", "config": {"name"}})."""
    if isinstance(policy, dict):
        policy = (policy.get("config") or {}).get("name")
    if policy is not None and policy not in DTYPES:
        raise _cannot(
            path,
            f"layer {name!r} computes in Keras's dtype policy {policy!r}; unrolled computes "
            f"in {' or '.join(DTYPES)}",
        )
    return policy


def _to_ours(config, path):
    """A Keras-form layer or cell config -> {"class_name", "config"} as deserialize takes."""
    class_name = config.get("class_name")
    inner = dict(config.get("config") or {})
    name = inner.get("name", class_name)
    if class_name not in KNOWN:
        custom = (
            " (a custom layer)" if config.get("registered_name") not in (None, class_name) else ""
        )
        raise _cannot(
            path,
            f"layer {name!r} is a {class_name}{custom}, which unrolled does not have; it "
            f"reads {', '.join(sorted(KNOWN))}",
        )
    inner["dtype"] = _dtype(inner.get("dtype"), name, path)
    inner.pop("seed", None)  # dropout's randomness: unrolled.set_seed here
    for key in [k for k in inner if k.endswith(("_regularizer", "_constraint"))]:
        value = inner.pop(key)
        if value is not None:
            warnings.warn(
                f"{path!s}: layer {name!r} has a {key} ({_class(value)}), which unrolled "
                "does not have; dropped (it shapes training, not predictions)",
                UserWarning,
                stacklevel=2,
            )
    for key in ("layer", "backward_layer", "cell"):
        if isinstance(inner.get(key), dict):
            inner[key] = _to_ours(inner[key], path)
    if "cells" in inner:
        inner["cells"] = [_to_ours(c, path) for c in inner["cells"]]
    return {"class_name": class_name, "config": inner}


def _class(value):
    return value.get("class_name", value) if isinstance(value, dict) else value


def _read_weights(f, model, path):
    """Every weight array, layer by layer in get_weights() order."""
    arrays = []
    for layer, name in zip(model.layers, _group_names(model.layers), strict=True):
        for group, count in _weight_groups(layer, f"layers/{name}"):
            for i in range(count):
                if f"{group}/vars/{i}" not in f:
                    raise _cannot(path, f"no weight {i} for layer {layer.name!r} ({group})")
                arrays.append(np.asarray(f[f"{group}/vars/{i}"]))
    return arrays


# -- writing -------------------------------------------------------------------------------
def save_keras_model(model, path, extras=None):
    """Write `model` (a built Sequential) as a Keras 3 .keras archive, atomically."""
    h5py = require("h5py", "writing a Keras file")
    if not model.built:
        raise InputError("build the model (fit, predict or build) before save()")
    config = keras_config(model)
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        for layer, name in zip(model.layers, _group_names(model.layers), strict=True):
            arrays = iter(layer.get_weights())
            for group, count in _weight_groups(layer, f"layers/{name}"):
                for i in range(count):
                    f[f"{group}/vars/{i}"] = next(arrays)
    metadata = {
        "keras_version": KERAS_VERSION,
        "date_saved": datetime.now(timezone.utc).strftime("%Y-%m-%d@%H:%M:%S"),
        "saved_by": "unrolled",
    }
    if extras is not None:
        metadata["unrolled_extras"] = extras
    try:
        metadata_json = json.dumps(metadata)
    except (TypeError, ValueError) as error:
        raise InputError(f"extras must be JSON-serialisable: {error}") from None
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        archive.writestr(METADATA, metadata_json)
        archive.writestr(CONFIG, json.dumps(config))
        archive.writestr(WEIGHTS, weights.getvalue())


def _batch_size(model):
    """None, or for a model with stateful layers the batch size their carried states have:
    Keras builds a stateful layer for one fixed batch size."""
    stateful = [layer for layer in model.layers if getattr(layer, "stateful", False)]
    if not stateful:
        return None
    direction = [getattr(layer, "forward_layer", layer) for layer in stateful]  # Bidirectional
    carried = [layer.states[0].shape[0] for layer in direction if layer.states is not None]
    if not carried:
        raise InputError(
            f"layer '{stateful[0].name}' is stateful, and Keras builds it for one fixed batch "
            "size, which unrolled learns from a call: run the model on a batch of that size "
            "(predict or fit) before save()"
        )
    return carried[0]


def keras_config(model):
    """Keras's config.json for a built Sequential: an InputLayer, then every layer."""
    dtype = np.dtype(model.dtype).name
    first = model.layers[0]
    input_dtype = "int32" if type(first).__name__ == "Embedding" else dtype
    shape = (_batch_size(model), *model.input_shape[1:])
    layers = [
        {
            "module": "keras.layers",
            "class_name": "InputLayer",
            "config": {"batch_shape": list(shape), "dtype": input_dtype, "name": "input_layer"},
            "registered_name": None,
        }
    ]
    for layer in model.layers:
        keras_form = _to_keras(serialize(layer))
        keras_form["build_config"] = {"input_shape": list(shape)}
        layers.append(keras_form)
        shape = layer.compute_output_shape(shape)
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": model.name,
            "trainable": model.trainable,
            "dtype": dtype,
            "layers": layers,
        },
        "registered_name": None,
        "build_config": {"input_shape": layers[0]["config"]["batch_shape"]},
    }


def _to_keras(ours):
    """Our {"class_name", "config"} -> Keras's serialized form, nested configs included."""
    config = dict(ours["config"])
    config.pop("input_shape", None)  # the InputLayer carries it
    for key, value in config.items():
        if key.endswith("_initializer") and isinstance(value, dict):
            config[key] = {"module": "keras.initializers", **value, "registered_name": None}
        elif key in ("layer", "backward_layer", "cell") and isinstance(value, dict):
            config[key] = _to_keras(value)
        elif key == "cells":
            config[key] = [_to_keras(c) for c in value]
    return {
        "module": "keras.layers",
        "class_name": ours["class_name"],
        "config": config,
        "registered_name": None,
    }
