"""Taking a model elsewhere: PyTorch (weights, whole modules, .pt files) and ONNX export.

    torch.py           the public face: torch_weights.py's per-layer functions, and
                       to_module / from_module / save_module / load_module from modules.py
    torch_weights.py   weights of one layer <-> a PyTorch state_dict (NumPy only)
    modules.py         a Sequential as an equal torch.nn.Module, and back (imports torch)
    onnx.py            a Sequential as a standard ONNX graph (imports onnx)
    keras.py           Keras 3 .keras files in and out (imports h5py); model.save("m.keras")
                       and load_model("m.keras") come here
    export.py          `model.export(path, format)`: one entry for both formats
    cli.py             `unrolled export MODEL --format onnx|torch --out PATH`

PyTorch, onnx and h5py are optional: `import unrolled` imports neither, and each is imported only
when a function that needs it runs (`require`), with one line saying what to install.
"""

import importlib

from unrolled.errors import InputError

# what to install for each optional package
INSTALL = {
    "torch": "pip install torch",
    "onnx": "pip install 'unrolled[onnx]'",
    "h5py": "pip install 'unrolled[keras]'",
}


def require(package, what):
    """The imported `package`, or one InputError saying that `what` needs it and how to get it."""
    try:
        return importlib.import_module(package)
    except ImportError:
        raise InputError(f"{what} needs the {package} package: {INSTALL[package]}") from None


def dims(shape):
    """A model shape, None for any size, with names for those: axis 0 "batch", axis 1 "time"."""
    return [("batch", "time")[k] if d is None and k < 2 else d for k, d in enumerate(shape)]
