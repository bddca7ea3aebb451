"""The Layer protocol: a thin object that holds parameters and gradients around pure math.

    layer.build((None, T, D), rng)   creates params[k] and zero grads[k] (same keys, shapes)
    y = layer.forward(x, training)   keeps what backward needs only when training
    dx = layer.backward(dy)          writes grads[k] IN PLACE and returns dx
    layer.backward(dy, input_gradient=False)   the same, skipping dx (None): for a model's
                                     first layer, whose input gradient nobody reads
    y_t, state = layer.step(x_t, state)   one step of inference, nothing cached

A Model may replace `params[k]` and `grads[k]` by views into one flat buffer after build, so
a layer reads its weights from `self.params` at every call and writes gradients with
`self.grads[k][...] = ...`, never keeping another reference. Shapes passed to `build`
include the batch dimension as None; the constructor's `input_shape` leaves it out (Keras).

Keras users set hyperparameters after construction (`layer.activation = None`,
`layer.rate = 0.3`). A class lists its settings in `_checks` (name -> check(value, name)),
and every assignment to one, the constructor's own included, goes through its check: a bad
value is the same one-line error whenever it comes. Those in `_shaping` fix the weights'
shapes and are refused once the layer is built; Keras's no-op arguments (keras_compat)
accept only their no-op values, as in the constructor.
"""

import itertools
import re
from collections import defaultdict

import numpy as np

from unrolled import config
from unrolled.errors import InputError, boolean, invalid, positive_int
from unrolled.functional import activations
from unrolled.keras_compat import LAYER_NO_OPS, check_extra_arguments
from unrolled.layers.input import Input, plain_shape

# per base name, how many layers took it: "lstm", "lstm_1", "lstm_2" ... (as Keras names them)
_name_counters = defaultdict(itertools.count)


def unique_name(base):
    """`base` the first time, then `base_1`, `base_2`, ..."""
    k = next(_name_counters[base])
    return base if k == 0 else f"{base}_{k}"


def snake_case(class_name):
    """ "SimpleRNN" -> "simple_rnn", "LSTM" -> "lstm" (Keras's default layer names)."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def check_rate(value, argument):
    """`value` as a float, or the standard error unless it is a probability in [0, 1)."""
    if not 0 <= value < 1:
        raise invalid(argument, "a float in [0, 1)", value)
    return float(value)


def activation_name(name, argument="activation", names=tuple(activations.ACTIVATIONS)):
    """`name`, "linear" for None (Keras's "no activation"), or the standard error unless it is
    one of `names` (the functional cells', by default)."""
    name = "linear" if name is None else name
    if name not in names:
        raise invalid(argument, f"one of {sorted(names)}", name)
    return name


def dropout_mask(shape, rate, dtype, rng=None):
    """Inverted-dropout multiplier: 0 with probability `rate`, else 1 / (1 - rate)."""
    keep = (rng or config.default_rng()).random(shape) >= rate
    return keep.astype(dtype) / np.dtype(dtype).type(1 - rate)


def serialize(layer):
    """{"class_name": "LSTM", "config": {...}}: JSON-able, enough to rebuild the layer."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


class Layer:
    """Base class: names, dtype, build, weights in and out, config round trip.

    Subclasses implement `_check_input_shape(shape)`, `_make_params(input_shape, rng)`,
    `forward`, `backward`, `step` and `compute_output_shape`; ours also `_param_shapes`, the
    shapes `_make_params` gives, so a model file can be checked before anything is built.
    """

    input_ndim = None  # the rank of x this layer takes, batch included (None: any)
    _checks = {}  # setting -> check(value, name): the value to store, or the one-line error
    _shaping = ()  # settings that fix the weights' shapes: refused once built

    def __init__(self, input_shape=None, name=None, dtype=None, trainable=True, **keras_args):
        if "input_dim" in keras_args:  # Keras: input_dim=D stands for input_shape=(D,)
            input_dim = keras_args.pop("input_dim")
            if input_shape is not None:
                raise InputError(
                    f"{type(self).__name__} got both input_shape={input_shape!r} and "
                    f"input_dim={input_dim!r}; pass one"
                )
            input_shape = (positive_int(input_dim, "input_dim"),)
        check_extra_arguments(self, keras_args)
        self.input_shape = None if input_shape is None else plain_shape(input_shape)
        self.name = name if name is not None else unique_name(snake_case(type(self).__name__))
        self.dtype = None if dtype is None else config.resolve_dtype(dtype)
        self.trainable = trainable  # False: training leaves the weights as they are
        self.built = False
        self.params = {}
        self.grads = {}
        self._cache = None  # what the last training forward left for backward

    def __setattr__(self, name, value):
        if name in self._shaping and getattr(self, "built", False):
            raise self._error(
                f"is built, and `{name}` fixes its weights' shapes; make a new "
                f"{type(self).__name__} with {name}={value!r} instead"
            )
        check = self._checks.get(name)
        if check is not None:
            value = check(value, name)
        elif name in LAYER_NO_OPS:
            check_extra_arguments(self, {name: value})
        super().__setattr__(name, value)

    def build(self, input_shape, rng=None):
        """Create params (in `self.dtype`, default `config.floatx()`) and zero grads."""
        input_shape = tuple(input_shape)
        self._check_input_shape(input_shape, building=True)
        self.dtype = config.resolve_dtype(self.dtype)
        self.params = self._make_params(input_shape, rng or config.default_rng())
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.built = True

    def param_shapes(self, input_shape):
        """{key: shape} of the weights `build(input_shape)` makes, in Keras's order, without
        making any (a model file's arrays are checked against them before a layer is built);
        an InputError naming the layer if it cannot take `input_shape`."""
        input_shape = tuple(input_shape)
        self._check_input_shape(input_shape, building=True)
        return self._param_shapes(input_shape)

    def _check_input_shape(self, shape, building=False):
        """Raise an InputError naming the layer if `shape` cannot be this layer's input."""

    def _param_shapes(self, input_shape):
        """dict name -> shape of each weight, in Keras's weight order (none by default)."""
        return {}

    def _make_params(self, input_shape, rng):
        """dict name -> array of `self.dtype`, in Keras's weight order."""
        return {}

    def _prepare(self, x):
        """x as an array of the layer's dtype; builds the layer on first use, else checks x."""
        x = np.asarray(x)
        if self.built:
            self._check_input_shape(x.shape)
        else:
            self.build((None, *x.shape[1:]))
        return x.astype(self.dtype, copy=False)

    def _error(self, what):
        return InputError(f"layer '{self.name}' {what}")

    def _last_cache(self):
        """The cache of the last training forward, or a clear error without one."""
        if self._cache is None:
            raise self._error(
                "has no forward pass to differentiate: backward() needs forward(x, "
                "training=True) first (an inference forward keeps no caches)"
            )
        return self._cache

    def __call__(self, x, **kwargs):
        if isinstance(x, Input):  # Keras's functional API: layer(Input(...))
            raise self._error(
                "was called on an Input: unrolled builds models with Sequential only; write "
                f"Sequential([Input(shape={x.shape}), {type(self).__name__}(...), ...])"
            )
        return self.forward(x, **kwargs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def compute_mask(self, x, mask=None):
        """The mask for the next layer: passed on unchanged unless a layer says otherwise."""
        return mask

    def step(self, x_t, state=None):
        """One step of inference, nothing cached: (y_t, state); stateless layers keep None."""
        return self.forward(x_t), state

    def reset_state(self):
        """Forget any state carried between calls (only stateful recurrent layers have one)."""

    def reset_states(self):
        """Keras 2's name for reset_state (Keras 3 keeps it as an alias too)."""
        self.reset_state()

    def _require_built(self, what):
        if not self.built:
            raise self._error(f"is not built yet: call build(input_shape) before {what}")

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):  # as Keras: a wrapper's flag reaches the layers it wraps
        self._trainable = boolean(value, "trainable")
        for layer in self._sublayers():
            layer.trainable = value

    def _sublayers(self):
        """The layers this one wraps (none; Bidirectional and TimeDistributed have some)."""
        return ()

    def frozen_keys(self):
        """The keys of `params` that do not train: all of them with trainable=False."""
        return () if self.trainable else tuple(self.params)

    def count_params(self):
        self._require_built("count_params()")
        return int(sum(p.size for p in self.params.values()))

    def get_weights(self):
        """Copies of the weights in Keras's order and layout."""
        return [p.copy() for p in self.params.values()]

    def set_weights(self, weights):
        """Overwrite weights in place (Keras order and layout); checks count, shapes, values."""
        self._require_built("set_weights()")
        weights = list(weights)
        if len(weights) != len(self.params):
            raise self._error(
                f"expects {len(self.params)} weight arrays {list(self.params)}, got {len(weights)}"
            )
        arrays = []
        for (key, p), w in zip(self.params.items(), weights, strict=True):
            w = np.asarray(w)
            if w.dtype.kind not in "fiu":  # complex would lose its imaginary part; bool, text...
                raise self._error(
                    f"expects real numbers for weight '{key}' (floats, or integers to convert), "
                    f"got an array of {w.dtype}"
                )
            if w.shape != p.shape:
                raise self._error(f"expects weight '{key}' of shape {p.shape}, got {w.shape}")
            if not np.all(np.isfinite(w)):
                raise self._error(f"received non-finite values (nan or inf) in weight '{key}'")
            arrays.append(w)
        for p, w in zip(self.params.values(), arrays, strict=True):
            p[...] = w

    def get_config(self):
        """JSON-serialisable constructor arguments; `from_config` rebuilds an equal layer."""
        cfg = {
            "name": self.name,
            "dtype": None if self.dtype is None else np.dtype(self.dtype).name,
        }
        if self.input_shape is not None:
            cfg["input_shape"] = list(self.input_shape)
        if not self.trainable:
            cfg["trainable"] = False
        return cfg

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"
