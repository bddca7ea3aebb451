"""Taking a model elsewhere: PyTorch (weights of one layer, whole modules, .pt files).

    torch.py           weights of one layer <-> a PyTorch state_dict (NumPy only); its
                       to_module / from_module / save_module / load_module load modules.py
    modules.py         a Sequential as an equal torch.nn.Module, and back (imports torch)

PyTorch is optional: `import unrolled` does not import it; it is imported only when a
function that needs it runs (`require`), with one line saying what to install.
"""

import importlib

from unrolled.errors import InputError

# what to install for each optional package
INSTALL = {"torch": "pip install torch"}


def require(package, what):
    """The imported `package`, or one InputError saying that `what` needs it and how to get it."""
    try:
        return importlib.import_module(package)
    except ImportError:
        raise InputError(f"{what} needs the {package} package: {INSTALL[package]}") from None
