"""`model.export(path, format)`: a Sequential as a file for another engine (Keras 3's name).

    format="onnx"    a standard ONNX graph for ONNX Runtime and other servers (onnx.py;
                     needs the onnx package: pip install 'unrolled[onnx]')
    format="torch"   a PyTorch file: the state_dict and the architecture as JSON, read with
                     torch.load(weights_only=True) by unrolled.interop.torch.load_module
                     (modules.py; needs torch)

`extras`, the JSON-able dict a task stores with its model (vocabulary, scaler, settings),
travel inside the file as JSON, untouched: the ONNX graph takes ids or scaled windows just
as `predict` does, and the caller encodes text or scales prices with them as before.
"""

import os

from unrolled.errors import InputError, invalid

FORMATS = ("onnx", "torch")
SUFFIXES = {"onnx": ".onnx", "torch": ".pt"}


def export(model, path, format="onnx", extras=None):
    """Write the built `model` to `path` in `format` (one of FORMATS), with `extras`."""
    if format not in FORMATS:
        raise invalid("format", f"one of {list(FORMATS)}", format)
    if not isinstance(path, str | os.PathLike):
        raise invalid("filepath", "a file path", path)
    if not model.built:
        raise InputError("build the model (fit, predict or build) before export()")
    if format == "onnx":
        from unrolled.interop.onnx import save_onnx

        save_onnx(model, path, extras)
    else:
        from unrolled.interop.modules import save_module, to_module

        save_module(to_module(model), path, extras)
