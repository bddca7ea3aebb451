"""PyTorch interop, the public face: `unrolled.interop.torch`.

to_torch, from_torch, layer_state_dict, load_layer_state_dict
    one layer's weights as a PyTorch state_dict and back (torch_weights.py: NumPy only)
to_module, from_module, save_module, load_module
    whole models as torch.nn modules and .pt files (modules.py, which imports torch; it
    loads when one of these is first used, so this module never imports torch itself)
"""

from unrolled.interop.torch_weights import (
    from_torch,
    layer_state_dict,
    load_layer_state_dict,
    to_torch,
)

__all__ = ["from_torch", "layer_state_dict", "load_layer_state_dict", "to_torch"]

MODULE_FUNCTIONS = ("to_module", "from_module", "save_module", "load_module")


def __getattr__(name):
    if name in MODULE_FUNCTIONS:
        from unrolled.interop import modules

        return getattr(modules, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
