"""Taking a model elsewhere: PyTorch (weights, whole modules, .pt files) and ONNX export.

    torch.py           weights of one layer <-> a PyTorch state_dict (NumPy only); its
                       to_module / from_module / save_module / load_module load modules.py
    modules.py         a Sequential as an equal torch.nn.Module, and back (imports torch)
    onnx.py            a Sequential as a standard ONNX graph (imports onnx)
    export.py          `model.export(path, format)`: one entry for both formats
    cli.py             `unrolled export MODEL --format onnx|torch --out PATH`

PyTorch and onnx are optional: `import unrolled` imports neither, and each is imported only
when a function that needs it runs (`require`), with one line saying what to install.
"""

import importlib

from unrolled.errors import InputError

# what to install for each optional package
INSTALL = {"torch": "pip install torch", "onnx": "pip install 'unrolled[onnx]'"}


def require(package, what):
    """The imported `package`, or one InputError saying that `what` needs it and how to get it."""
    try:
        return importlib.import_module(package)
    except ImportError:
        raise InputError(f"{what} needs the {package} package: {INSTALL[package]}") from None
