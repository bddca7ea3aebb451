"""Weight initializers with Keras semantics, each `fn(shape, rng, dtype) -> array`.

    glorot_uniform   U(-l, l),  l = sqrt(6 / (fan_in + fan_out))            (Glorot & Bengio, 2010)
    glorot_normal    N(0, s) truncated at 2s, s = sqrt(2 / (fan_in + fan_out)) / 0.8796
    orthogonal       Q of the QR of a normal matrix, signs fixed by diag(R)  (Saxe et al., 2014)
    random_uniform   U(minval, maxval), default (-0.05, 0.05); "uniform" is its Keras alias
    random_normal    N(mean, stddev), default (0, 0.05); "normal" is its Keras alias
    zeros, ones, constant(value)

A recurrent kernel (H, G*H) gets one flat orthogonal matrix of that shape (orthonormal rows),
as Keras does, not G separate (H, H) blocks. `get` turns a name, a Keras-style dict
{"class_name": "Constant", "config": {"value": 0.1}} or a callable into an initializer;
`serialize` turns one back into a JSON-able name or dict.
"""

import inspect
import math

import numpy as np

from unrolled.errors import invalid

# Truncating N(0, 1) at +-2 leaves a standard deviation of 0.8796; dividing by it keeps the
# variance that Glorot's formula asks for (Keras's VarianceScaling constant).
_TRUNCATED_STD = 0.87962566103423978


def compute_fans(shape):
    """(fan_in, fan_out) as Keras computes them: (D, M) -> (D, M); (M,) -> (M, M)."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])  # 1 for a matrix
    return shape[-2] * receptive, shape[-1] * receptive


def glorot_uniform(shape, rng, dtype=np.float32):
    """U(-l, l) with l = sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = compute_fans(shape)
    limit = math.sqrt(6.0 / max(1.0, fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def glorot_normal(shape, rng, dtype=np.float32):
    """Normal with std sqrt(2 / (fan_in + fan_out)), truncated at two standard deviations."""
    fan_in, fan_out = compute_fans(shape)
    stddev = math.sqrt(2.0 / max(1.0, fan_in + fan_out)) / _TRUNCATED_STD
    return (stddev * _truncated_standard_normal(shape, rng)).astype(dtype)


def _truncated_standard_normal(shape, rng):
    """N(0, 1) samples in [-2, 2]: redraw the ones outside until none is left."""
    z = rng.standard_normal(shape)
    outside = np.abs(z) > 2
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2
    return z


def orthogonal(shape, rng, dtype=np.float32, gain=1.0):
    """A (flattened) orthogonal matrix times `gain`; rows or columns orthonormal, whichever fit.

    shape (..., C) is treated as a (R, C) matrix with R the product of the leading dims.
    """
    rows, cols = math.prod(shape[:-1]), shape[-1]
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)  # q (max, min) with orthonormal columns
    q *= np.sign(np.diag(r))  # make the factorization unique: diag(R) > 0
    if rows < cols:
        q = q.T
    return np.ascontiguousarray(gain * q.reshape(shape), dtype=dtype)


def zeros(shape, rng=None, dtype=np.float32):
    return np.zeros(shape, dtype=dtype)


def ones(shape, rng=None, dtype=np.float32):
    return np.ones(shape, dtype=dtype)


def constant(shape, rng=None, dtype=np.float32, value=0.0):
    return np.full(shape, value, dtype=dtype)


def random_uniform(shape, rng, dtype=np.float32, minval=-0.05, maxval=0.05):
    return rng.uniform(minval, maxval, size=shape).astype(dtype)


def random_normal(shape, rng, dtype=np.float32, mean=0.0, stddev=0.05):
    return rng.normal(mean, stddev, size=shape).astype(dtype)


# our name -> (function, Keras class name); the Keras aliases below map onto these names
_INITIALIZERS = {
    "glorot_uniform": (glorot_uniform, "GlorotUniform"),
    "glorot_normal": (glorot_normal, "GlorotNormal"),
    "orthogonal": (orthogonal, "Orthogonal"),
    "zeros": (zeros, "Zeros"),
    "ones": (ones, "Ones"),
    "constant": (constant, "Constant"),
    "random_uniform": (random_uniform, "RandomUniform"),
    "random_normal": (random_normal, "RandomNormal"),
}
_ALIASES = {
    "uniform": "random_uniform",
    "normal": "random_normal",
    "zero": "zeros",
    "one": "ones",
    **{class_name: name for name, (_, class_name) in _INITIALIZERS.items()},
}


class Initializer:
    """A named initializer with its settings, e.g. Initializer("constant", value=0.1).

    Calling it draws the array; `get_config()` gives back the Keras-style description.
    """

    def __init__(self, name, **config):
        self.name = name
        self.config = config

    def __call__(self, shape, rng, dtype=np.float32):
        return _INITIALIZERS[self.name][0](tuple(shape), rng, dtype, **self.config)

    def get_config(self):
        """The plain name when there are no settings, else {"class_name", "config"}."""
        if not self.config:
            return self.name
        return {"class_name": _INITIALIZERS[self.name][1], "config": dict(self.config)}

    def __repr__(self):
        settings = "".join(f", {k}={v!r}" for k, v in self.config.items())
        return f"Initializer({self.name!r}{settings})"


def get(identifier, argument="initializer"):
    """A callable initializer from a name, a Keras-style dict or a callable (returned as is)."""
    if callable(identifier):
        return identifier
    if isinstance(identifier, dict) and "class_name" in identifier:
        name, config = identifier["class_name"], dict(identifier.get("config") or {})
        config.pop("seed", None)  # Keras configs carry a seed; ours come from the rng
    else:
        name, config = identifier, {}
    name = _ALIASES.get(name, name) if isinstance(name, str) else None
    if name not in _INITIALIZERS:
        raise invalid(argument, f"one of {sorted(_INITIALIZERS)} or a Keras-style dict", identifier)
    try:
        inspect.signature(_INITIALIZERS[name][0]).bind((1,), None, **config)
    except TypeError:
        raise invalid(argument, f"settings accepted by {name!r}", identifier) from None
    return Initializer(name, **config)


def serialize(initializer, argument="initializer"):
    """The JSON-able form of an initializer (a name or a Keras-style dict)."""
    if isinstance(initializer, Initializer):
        return initializer.get_config()
    for name, (fn, _) in _INITIALIZERS.items():
        if initializer is fn:
            return name
    raise invalid(argument, "a named initializer (a custom callable cannot be saved)", initializer)
