"""Global settings: the default float type and the default random generator.

Layers read these when they are *built*, so `set_floatx("float64")` affects every layer
built afterwards and `set_seed(n)` makes every later weight draw, shuffle and dropout
mask repeatable bit for bit.
"""

import numpy as np

from unrolled.errors import InputError

_FLOATX = {"float32": np.float32, "float64": np.float64}
_state = {"floatx": np.float32, "rng": np.random.default_rng()}


def floatx():
    """The default float dtype (`np.float32` unless changed)."""
    return _state["floatx"]


def set_floatx(name):
    """Make `name` ("float32" or "float64") the dtype of every layer built afterwards."""
    _state["floatx"] = resolve_dtype(name)


def resolve_dtype(dtype):
    """`None` -> the default; "float32"/"float64" or a NumPy float type -> that dtype."""
    if dtype is None:
        return _state["floatx"]
    key = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if key not in _FLOATX:
        raise InputError(
            f"Received an invalid value for argument `dtype`, expected 'float32' or 'float64', "
            f"got {dtype!r}."
        )
    return _FLOATX[key]


def set_seed(seed):
    """Seed the default generator: the same seed gives bit-identical weights and training."""
    _state["rng"] = np.random.default_rng(seed)


def default_rng():
    """The generator used wherever no `rng` is passed explicitly."""
    return _state["rng"]
