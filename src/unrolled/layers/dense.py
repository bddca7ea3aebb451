"""Dense: y = act(x @ W + b) on the last axis, so it works per time step on (N, T, H) too.

Backward goes through the activation from its output (act' from y), and through softmax as
the Jacobian-vector product dz = y * (dy - sum(dy * y)) along the last axis.
"""

import functools

import numpy as np

from unrolled import initializers
from unrolled.errors import boolean, positive_int
from unrolled.functional import activations
from unrolled.functional.dense import dense_backward, dense_forward
from unrolled.layers.base import Layer, activation_name

_NAMES = (*activations.ACTIVATIONS, "softmax")


class Dense(Layer):
    """Fully connected layer. Weights: kernel (D, M), bias (M,)."""

    _checks = {
        "units": positive_int,
        "activation": functools.partial(activation_name, names=_NAMES),
        "use_bias": boolean,
        "kernel_initializer": initializers.get,
        "bias_initializer": initializers.get,
    }
    _shaping = ("units", "use_bias")

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        input_shape=None,
        name=None,
        dtype=None,
        **keras_args,
    ):
        super().__init__(input_shape=input_shape, name=name, dtype=dtype, **keras_args)
        self.units = units  # each setting is checked as it is set (Layer._checks)
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer

    def _check_input_shape(self, shape, building=False):
        if len(shape) < 2:
            raise self._error(f"expects input of shape (batch, ..., features), got {tuple(shape)}")
        if not building and shape[-1] != self.params["kernel"].shape[0]:
            D = self.params["kernel"].shape[0]
            raise self._error(f"expects input of shape (batch, ..., {D}), got {tuple(shape)}")

    def _param_shapes(self, input_shape):
        D, M = input_shape[-1], self.units
        return {"kernel": (D, M), "bias": (M,)} if self.use_bias else {"kernel": (D, M)}

    def _make_params(self, input_shape, rng):
        shapes = self._param_shapes(input_shape)
        params = {"kernel": self.kernel_initializer(shapes["kernel"], rng, self.dtype)}
        if self.use_bias:
            params["bias"] = self.bias_initializer(shapes["bias"], rng, self.dtype)
        return params

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def _activate(self, z):
        """act(z), in place where the activation allows it."""
        if self.activation == "linear":
            return z
        if self.activation == "softmax":
            return activations.softmax(z)
        return activations.ACTIVATIONS[self.activation][0](z)

    def forward(self, x, training=False, mask=None):
        """x (..., D) -> y (..., M); only `training=True` keeps what backward needs."""
        x = self._prepare(x)
        z, cache = dense_forward(x, self.params["kernel"], self.params.get("bias"))
        y = self._activate(z)
        self._cache = (cache, y) if training else None
        return y

    def backward(self, dy, input_gradient=True):
        """dy (..., M) -> dx (..., D), or None with input_gradient=False; fills grads in place."""
        cache, y = self._last_cache()
        dz = np.asarray(dy, dtype=self.dtype)
        if self.activation == "softmax":
            dz = y * (dz - (dz * y).sum(axis=-1, keepdims=True))  # J^T dy, J = diag(y) - y y^T
        elif self.activation != "linear":  # linear: act' = 1, dz = dy
            dz = dz * activations.ACTIVATIONS[self.activation][1](y)
        out = self.grads["kernel"], self.grads.get("bias")
        dx, _, _ = dense_backward(dz, cache, input_gradient, out)  # written into grads
        return dx

    def step(self, x_t, state=None):
        """x_t (N, D) -> (y_t (N, M), state unchanged); nothing cached."""
        if not self.built:
            self.build((None, np.shape(x_t)[-1]))
        x_t = np.asarray(x_t, dtype=self.dtype)
        z, _ = dense_forward(x_t, self.params["kernel"], self.params.get("bias"))
        return self._activate(z), state

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation,
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }
