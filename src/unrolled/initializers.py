"""Weight initializers with Keras 3's names, arguments and semantics.

    VarianceScaling(scale, mode, distribution)   fan = fan_in, fan_out or their mean
        uniform               U(-l, l),  l = sqrt(3 scale / fan)
        truncated_normal      N(0, s) cut at 2s,  s = sqrt(scale / fan) / 0.8796
        untruncated_normal    N(0, s),  s = sqrt(scale / fan)
    GlorotUniform, GlorotNormal   scale 1, fan_avg          (Glorot & Bengio, 2010)
    HeUniform, HeNormal           scale 2, fan_in           (He et al., 2015)
    LecunUniform, LecunNormal     scale 1, fan_in           (LeCun et al., 1998)
    Orthogonal(gain)     Q of the QR of a normal matrix, signs fixed by diag(R)  (Saxe et al.)
    RandomUniform(minval=-0.05, maxval=0.05), RandomNormal(mean=0, stddev=0.05),
    TruncatedNormal(mean=0, stddev=0.05) (cut at 2 stddev), Zeros, Ones, Constant(value),
    Identity(gain)

Each is a class, as in Keras (`kernel_initializer=initializers.Orthogonal(gain=0.5)`), and
each has Keras's string name ("orthogonal"; "uniform" and "normal" are Keras's aliases).
An instance is called as `init(shape, rng, dtype)`. With `seed=None` it draws from `rng`
(the layer's, from `unrolled.set_seed`); with an integer seed it draws from its own
generator made from that seed at every call, so it gives the same values every time, as a
seeded Keras initializer does (not Keras's values: the generators differ).

A recurrent kernel (H, G*H) gets one flat orthogonal matrix of that shape (orthonormal rows),
as Keras does, not G separate (H, H) blocks. `get` turns a name, a Keras-style dict
{"class_name": "Constant", "config": {"value": 0.1}}, an instance (ours or a Keras one) or a
plain callable into an initializer; `serialize` turns one back into a name or a dict.
"""

import math

import numpy as np

from unrolled import config
from unrolled.errors import invalid

# Truncating N(0, 1) at +-2 leaves a standard deviation of 0.8796; dividing by it keeps the
# variance asked for (Keras's VarianceScaling constant).
_TRUNCATED_STD = 0.87962566103423978
MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


def compute_fans(shape):
    """(fan_in, fan_out) as Keras computes them: (D, M) -> (D, M); (M,) -> (M, M)."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])  # 1 for a matrix
    return shape[-2] * receptive, shape[-1] * receptive


def variance_scaling(
    shape, rng, dtype=np.float32, scale=1.0, mode="fan_in", distribution="truncated_normal"
):
    """Keras's VarianceScaling: a distribution whose variance is scale / fan."""
    fan_in, fan_out = compute_fans(shape)
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    scale = scale / max(1.0, fan)
    if distribution == "uniform":
        limit = math.sqrt(3.0 * scale)
        return rng.uniform(-limit, limit, size=shape).astype(dtype)
    if distribution == "truncated_normal":
        return (math.sqrt(scale) / _TRUNCATED_STD * _truncated_standard_normal(shape, rng)).astype(
            dtype
        )
    return (math.sqrt(scale) * rng.standard_normal(shape)).astype(dtype)


def glorot_uniform(shape, rng, dtype=np.float32):
    """U(-l, l) with l = sqrt(6 / (fan_in + fan_out))."""
    return variance_scaling(shape, rng, dtype, 1.0, "fan_avg", "uniform")


def glorot_normal(shape, rng, dtype=np.float32):
    """Normal with std sqrt(2 / (fan_in + fan_out)), truncated at two standard deviations."""
    return variance_scaling(shape, rng, dtype, 1.0, "fan_avg", "truncated_normal")


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


def truncated_normal(shape, rng, dtype=np.float32, mean=0.0, stddev=0.05):
    """N(mean, stddev) cut at two standard deviations (Keras's TruncatedNormal)."""
    return (mean + stddev * _truncated_standard_normal(shape, rng)).astype(dtype)


def identity(shape, rng=None, dtype=np.float32, gain=1.0):
    """gain * I, rectangular for a non-square matrix (Keras's Identity)."""
    if len(shape) != 2:
        raise invalid("shape", "a 2-D shape for the identity initializer", tuple(shape))
    return gain * np.eye(*shape, dtype=dtype)


class Initializer:
    """Keras's initializer classes: settings at construction, arrays at each call.

    A subclass names its math (`function`, called as function(shape, rng, dtype, **settings))
    and its Keras class and string names, and takes Keras's arguments. `seed`, where a class
    has one, picks the generator, never the math.
    """

    function = None  # (shape, rng, dtype, **settings) -> array
    name = None  # Keras's string name, e.g. "glorot_uniform"
    unseeded = False  # True for the classes without a seed argument (Zeros, Constant, ...)

    def __init__(self, seed=None, **settings):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise invalid("seed", "None or an integer", seed)
        self.seed = seed
        self.settings = settings

    def __call__(self, shape, rng=None, dtype=np.float32):
        if self.seed is not None:
            rng = np.random.default_rng(self.seed)  # the same values at every call
        rng = rng or config.default_rng()
        return type(self).function(tuple(shape), rng, dtype, **self.settings)

    def get_config(self):
        """Keras's config: the settings, and the seed for the classes that take one."""
        return {**self.settings, **({} if self.unseeded else {"seed": self.seed})}

    def __repr__(self):
        settings = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({settings})"


class Zeros(Initializer):
    unseeded = True
    function, name = staticmethod(zeros), "zeros"

    def __init__(self):
        super().__init__()


class Ones(Initializer):
    unseeded = True
    function, name = staticmethod(ones), "ones"

    def __init__(self):
        super().__init__()


class Constant(Initializer):
    unseeded = True
    function, name = staticmethod(constant), "constant"

    def __init__(self, value=0.0):
        super().__init__(value=value)


class RandomUniform(Initializer):
    function, name = staticmethod(random_uniform), "random_uniform"

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed, minval=minval, maxval=maxval)


class RandomNormal(Initializer):
    function, name = staticmethod(random_normal), "random_normal"

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed, mean=mean, stddev=stddev)


class TruncatedNormal(Initializer):
    function, name = staticmethod(truncated_normal), "truncated_normal"

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed, mean=mean, stddev=stddev)


class Orthogonal(Initializer):
    function, name = staticmethod(orthogonal), "orthogonal"

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed, gain=gain)


class Identity(Initializer):
    unseeded = True
    function, name = staticmethod(identity), "identity"

    def __init__(self, gain=1.0):
        super().__init__(gain=gain)


class VarianceScaling(Initializer):
    """scale / fan variance; `input_axes` and `output_axes` (Keras 3.15, for the fans of
    higher-rank weights) are accepted as None, the fans of every weight here."""

    function, name = staticmethod(variance_scaling), "variance_scaling"

    def __init__(
        self,
        scale=1.0,
        mode="fan_in",
        distribution="truncated_normal",
        seed=None,
        input_axes=None,
        output_axes=None,
    ):
        if not (isinstance(scale, int | float) and scale > 0):
            raise invalid("scale", "a positive number", scale)
        if mode not in MODES:
            raise invalid("mode", f"one of {list(MODES)}", mode)
        if distribution == "normal":  # Keras's older name
            distribution = "truncated_normal"
        if distribution not in DISTRIBUTIONS:
            raise invalid("distribution", f"one of {list(DISTRIBUTIONS)}", distribution)
        for axes, value in (("input_axes", input_axes), ("output_axes", output_axes)):
            if value is not None:
                raise invalid(axes, "None (the fans of a matrix: its two dimensions)", value)
        super().__init__(seed, scale=scale, mode=mode, distribution=distribution)


class _Scaled(VarianceScaling):
    """GlorotUniform and friends: VarianceScaling with fixed settings; only the seed (and
    the axes, None) are theirs to take, and to save."""

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_Scaled):
    name = "glorot_uniform"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_avg", "uniform", seed, input_axes, output_axes)


class GlorotNormal(_Scaled):
    name = "glorot_normal"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, input_axes, output_axes)


class HeUniform(_Scaled):
    name = "he_uniform"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(2.0, "fan_in", "uniform", seed, input_axes, output_axes)


class HeNormal(_Scaled):
    name = "he_normal"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed, input_axes, output_axes)


class LecunUniform(_Scaled):
    name = "lecun_uniform"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_in", "uniform", seed, input_axes, output_axes)


class LecunNormal(_Scaled):
    name = "lecun_normal"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed, input_axes, output_axes)


CLASSES = (
    Zeros,
    Ones,
    Constant,
    RandomUniform,
    RandomNormal,
    TruncatedNormal,
    GlorotUniform,
    GlorotNormal,
    HeUniform,
    HeNormal,
    LecunUniform,
    LecunNormal,
    Orthogonal,
    Identity,
    VarianceScaling,
)
# every name Keras accepts -> the class: string names, class names, Keras's aliases
_BY_NAME = {
    **{cls.name: cls for cls in CLASSES},
    **{cls.__name__: cls for cls in CLASSES},
    "uniform": RandomUniform,
    "normal": RandomNormal,
    "zero": Zeros,
    "one": Ones,
    "IdentityInitializer": Identity,
}


# our plain functions -> their classes, so a function given as an initializer saves by name
_FUNCTIONS = {
    glorot_uniform: GlorotUniform,
    glorot_normal: GlorotNormal,
    orthogonal: Orthogonal,
    zeros: Zeros,
    ones: Ones,
    constant: Constant,
    random_uniform: RandomUniform,
    random_normal: RandomNormal,
    truncated_normal: TruncatedNormal,
    identity: Identity,
    variance_scaling: VarianceScaling,
}


def get(identifier, argument="initializer"):
    """An initializer from a name, a Keras-style dict, an instance (ours, or Keras's: rebuilt
    from its class name and config), one of the functions above, or any other callable
    (returned as is: it cannot be saved)."""
    if isinstance(identifier, Initializer):
        return identifier
    if hasattr(identifier, "get_config") and type(identifier).__name__ in _BY_NAME:
        identifier = {"class_name": type(identifier).__name__, "config": identifier.get_config()}
    elif callable(identifier):
        return _FUNCTIONS[identifier]() if identifier in _FUNCTIONS else identifier
    settings = {}
    if isinstance(identifier, dict) and "class_name" in identifier:
        name, settings = identifier["class_name"], dict(identifier.get("config") or {})
    else:
        name = identifier
    cls = _BY_NAME.get(name) if isinstance(name, str) else None
    if cls is None:
        names = sorted(cls.name for cls in CLASSES)
        raise invalid(argument, f"one of {names}, a Keras-style dict or an instance", identifier)
    try:
        return cls(**settings)
    except TypeError:
        raise invalid(argument, f"settings accepted by {cls.__name__}", identifier) from None


def serialize(initializer, argument="initializer"):
    """The JSON-able form: the string name when every setting is Keras's default, else
    Keras's dict {"class_name": ..., "config": {...}}."""
    if not isinstance(initializer, Initializer):
        raise invalid(
            argument, "a named initializer (a custom callable cannot be saved)", initializer
        )
    config = initializer.get_config()
    if config == type(initializer)().get_config():
        return initializer.name
    return {"class_name": type(initializer).__name__, "config": config}
