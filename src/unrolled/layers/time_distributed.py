"""TimeDistributed: apply one per-step layer to every time step, with the same weights (Keras).

    TimeDistributed(Dense(V, activation="softmax"))     (N, T, H) -> (N, T, V)

The steps are folded into the batch, x (N, T, ...) -> (N*T, ...), the wrapped layer runs
once on that, and its output is unfolded again; backward does the same with dy. Our Dense
already works on the last axis, so `TimeDistributed(Dense(...))` is the same model as
`Dense(...)` on a sequence: the wrapper is here so Keras code runs as written. Its weights
are the wrapped layer's (the two share one params dict, so a model's flat buffer reaches
both) and the parameter count is Keras's.
"""

import numpy as np

from unrolled.errors import invalid
from unrolled.layers.base import Layer, serialize
from unrolled.layers.dense import Dense
from unrolled.layers.dropout import Dropout

PER_STEP_LAYERS = {cls.__name__: cls for cls in (Dense, Dropout)}


class TimeDistributed(Layer):
    """Runs `layer` (a Dense or Dropout) on each step of (N, T, ...) inputs."""

    input_ndim = 3

    def __init__(self, layer, input_shape=None, name=None, dtype=None, **keras_args):
        if isinstance(layer, dict) and layer.get("class_name") in PER_STEP_LAYERS:
            layer = PER_STEP_LAYERS[layer["class_name"]].from_config(layer["config"])
        if not isinstance(layer, tuple(PER_STEP_LAYERS.values())):
            raise invalid("layer", "a per-step layer: Dense or Dropout", layer)
        super().__init__(input_shape=input_shape, name=name, dtype=dtype, **keras_args)
        if dtype is not None:
            if layer.built and layer.dtype != self.dtype:
                raise invalid("dtype", f"the wrapped layer's {np.dtype(layer.dtype).name}", dtype)
            layer.dtype = self.dtype
        self.layer = layer

    def _check_input_shape(self, shape, building=False):
        if len(shape) < 3:
            raise self._error(f"expects input of shape (batch, timesteps, ...), got {tuple(shape)}")

    def _param_shapes(self, input_shape):
        return self.layer.param_shapes((None, *input_shape[2:]))  # one step's shapes

    def build(self, input_shape, rng=None):
        """Build the wrapped layer for one step's shape (a built one keeps its weights, and
        must fit that shape); share its weights and gradients."""
        input_shape = tuple(input_shape)
        self._check_input_shape(input_shape, building=True)
        step = (None, *input_shape[2:])
        if self.layer.built:
            self.layer._check_input_shape(step)
        else:
            self.layer.build(step, rng)
        self.dtype = self.layer.dtype
        self.params, self.grads = self.layer.params, self.layer.grads  # the same dicts
        self.built = True

    def compute_output_shape(self, input_shape):
        N, T, *step = input_shape
        return (N, T, *self.layer.compute_output_shape((None, *step))[1:])

    def forward(self, x, training=False, mask=None):
        """x (N, T, ...) -> y (N, T, ...); the mask passes through unchanged (as Keras)."""
        x = self._prepare(x)
        N, T = x.shape[:2]
        y = self.layer.forward(x.reshape(N * T, *x.shape[2:]), training=training)
        self._cache = (N, T) if training else None
        return y.reshape(N, T, *y.shape[1:])

    def backward(self, dy, input_gradient=True):
        """dy (N, T, ...) -> dx (N, T, ...), or None with input_gradient=False."""
        N, T = self._last_cache()
        dy = np.asarray(dy)
        dx = self.layer.backward(dy.reshape(N * T, *dy.shape[2:]), input_gradient)
        return None if dx is None else dx.reshape(N, T, *dx.shape[1:])

    def _sublayers(self):
        return (self.layer,) if hasattr(self, "layer") else ()  # none while constructing

    def frozen_keys(self):
        """All weights when this wrapper or the wrapped layer has trainable=False."""
        return tuple(self.params) if not (self.trainable and self.layer.trainable) else ()

    def step(self, x_t, state=None):
        """One step's input (N, ...) goes to the wrapped layer as is."""
        return self.layer.step(x_t, state)

    def get_config(self):
        return {**super().get_config(), "layer": serialize(self.layer)}
