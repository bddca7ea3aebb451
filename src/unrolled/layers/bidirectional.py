"""Bidirectional wrapper: one copy of a recurrent layer reads the sequence forwards, another
backwards, and their outputs are merged (Schuster & Paliwal, 1997; Keras semantics).

    y_fw = forward_layer(x)        y_bw = backward_layer(x)   (go_backwards flipped)
    with return_sequences, y_bw is re-reversed in time so y_fw[:, t] and y_bw[:, t] both
    describe step t; then merge: concat (N, ., 2H) | sum | mul | ave | None ([y_fw, y_bw]).

As in Keras, both directions get zero_output_for_mask = return_sequences: a masked step of
the merged sequence is 0 in both halves, whichever direction reached it first.

Parameters live in one flat dict with prefixed keys ("forward_kernel", ...,
"backward_bias"), forward first (Keras's weight order). The wrapped layers' dicts are
re-pointed at those arrays before every call, so a Model may replace them with views.
"""

import numpy as np

from unrolled.errors import invalid
from unrolled.layers.base import Layer, serialize
from unrolled.layers.gru import GRU
from unrolled.layers.lstm import LSTM
from unrolled.layers.recurrent import Recurrent
from unrolled.layers.rnn import RNN
from unrolled.layers.simple_rnn import SimpleRNN

MERGE_MODES = ("concat", "sum", "mul", "ave", None)
RECURRENT_LAYERS = {cls.__name__: cls for cls in (SimpleRNN, LSTM, GRU, RNN)}


def _copy(layer, **changes):
    """A fresh, unbuilt layer of the same class and config, with `changes` applied."""
    return type(layer).from_config({**layer.get_config(), **changes})


def _deserialize(config):
    if config is None or isinstance(config, Layer):
        return config
    return RECURRENT_LAYERS[config["class_name"]].from_config(config["config"])


def _flip(a):
    return None if a is None else a[:, ::-1]


class Bidirectional(Layer):
    """Runs `layer` both ways over the sequence and merges the two outputs.

    forward(x) returns the merged y, or with return_state
    [y, h_fw, (c_fw), h_bw, (c_bw)] (merge_mode None: [y_fw, y_bw, h_fw, ...]).
    """

    def __init__(
        self,
        layer,
        merge_mode="concat",
        backward_layer=None,
        input_shape=None,
        name=None,
        dtype=None,
        **keras_args,
    ):
        layer, backward_layer = _deserialize(layer), _deserialize(backward_layer)
        if not isinstance(layer, Recurrent):
            raise invalid("layer", "a recurrent layer: SimpleRNN, LSTM, GRU or RNN", layer)
        if merge_mode not in MERGE_MODES:
            raise invalid("merge_mode", f"one of {list(MERGE_MODES)}", merge_mode)
        base = layer.name.removeprefix("forward_").removeprefix("backward_")
        super().__init__(input_shape=input_shape, name=name, dtype=dtype, **keras_args)
        self.merge_mode = merge_mode
        changes = {"zero_output_for_mask": layer.return_sequences}
        if dtype is not None:
            changes["dtype"] = np.dtype(self.dtype).name
        self.forward_layer = _copy(layer, name=f"forward_{base}", **changes)
        if backward_layer is None:
            backward_layer = _copy(
                layer, name=f"backward_{base}", go_backwards=not layer.go_backwards, **changes
            )
        backward_layer.zero_output_for_mask = backward_layer.return_sequences
        for attribute in ("return_sequences", "return_state", "stateful"):
            if getattr(backward_layer, attribute) != getattr(layer, attribute):
                raise invalid(
                    f"backward_layer.{attribute}",
                    getattr(layer, attribute),
                    getattr(backward_layer, attribute),
                )
        if backward_layer.go_backwards == layer.go_backwards:
            raise invalid(
                "backward_layer.go_backwards", not layer.go_backwards, backward_layer.go_backwards
            )
        self.backward_layer = backward_layer
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful
        self.dinitial_state = None

    @property
    def _layers(self):
        return (("forward_", self.forward_layer), ("backward_", self.backward_layer))

    def _param_shapes(self, input_shape):
        return {
            p + k: shape
            for p, layer in self._layers
            for k, shape in layer.param_shapes(input_shape).items()
        }

    def build(self, input_shape, rng=None):
        """Build both directions; expose their weights under prefixed keys."""
        for _, layer in self._layers:
            layer.build(input_shape, rng)
        self.dtype = self.forward_layer.dtype
        self.params = {p + k: v for p, layer in self._layers for k, v in layer.params.items()}
        self.grads = {p + k: v for p, layer in self._layers for k, v in layer.grads.items()}
        self.built = True

    def _bind(self):
        """Point the wrapped layers at our (possibly rebound) arrays."""
        for prefix, layer in self._layers:
            for k in layer.params:
                layer.params[k] = self.params[prefix + k]
                layer.grads[k] = self.grads[prefix + k]

    def _sublayers(self):
        return (self.forward_layer, self.backward_layer) if hasattr(self, "backward_layer") else ()

    def frozen_keys(self):
        """The weights of a direction with trainable=False; all of them when this wrapper has."""
        if not self.trainable:
            return tuple(self.params)
        return tuple(
            p + k for p, layer in self._layers if not layer.trainable for k in layer.params
        )

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            shape, *states = shape
        if self.merge_mode == "concat":
            shape = (*shape[:-1], 2 * shape[-1])
        y = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            return y + states + states
        return y if self.merge_mode is None else shape

    def compute_mask(self, x, mask=None):
        return mask if self.return_sequences else None

    def forward(self, x, training=False, initial_state=None, mask=None):
        """x (N, T, D); initial_state: forward states then backward states, or None."""
        if not self.built:
            self.build((None, *np.shape(x)[1:]))
        self._bind()
        fw_state = bw_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fw_state, bw_state = initial_state[:half], initial_state[half:]
        y_fw = self.forward_layer.forward(x, training, fw_state, mask)
        y_bw = self.backward_layer.forward(x, training, bw_state, mask)
        states = []
        if self.return_state:
            (y_fw, *s_fw), (y_bw, *s_bw) = y_fw, y_bw
            states = s_fw + s_bw
        if self.return_sequences:
            y_bw = _flip(y_bw)  # back to the caller's time order
        self._cache = (y_fw, y_bw) if training else None
        if self.merge_mode is None:
            return [y_fw, y_bw, *states]
        y = {
            "concat": lambda: np.concatenate([y_fw, y_bw], axis=-1),
            "sum": lambda: y_fw + y_bw,
            "mul": lambda: y_fw * y_bw,
            "ave": lambda: (y_fw + y_bw) / 2,
        }[self.merge_mode]()
        return [y, *states] if self.return_state else y

    def _split(self, dy):
        """Gradient of the merged output -> (dy_fw, dy_bw), each may be None."""
        if dy is None:
            return None, None
        y_fw, y_bw = self._last_cache()
        if self.merge_mode == "concat":
            H = y_fw.shape[-1]
            return dy[..., :H], dy[..., H:]
        if self.merge_mode == "sum":
            return dy, dy
        if self.merge_mode == "ave":
            return dy / 2, dy / 2
        return dy * y_bw, dy * y_fw  # mul

    def backward(self, dy, input_gradient=True):
        """dy like forward's output (a list with return_state or merge_mode None) -> dx, or
        None with input_gradient=False."""
        self._last_cache()  # the error names this layer, not a wrapped one
        self._bind()
        n = len(self.forward_layer.state_sizes)
        parts = list(dy) if self.merge_mode is None or self.return_state else [dy]
        if self.merge_mode is None:
            dy_fw, dy_bw, *dstates = parts
        else:
            (dy_fw, dy_bw), dstates = self._split(parts[0]), parts[1:]
        if self.return_sequences:
            dy_bw = _flip(dy_bw)  # into the backward layer's processing order
        dstates = dstates or [None] * (2 * n)
        dxs = [
            layer.backward([d, *ds] if self.return_state else d, input_gradient)
            for (_, layer), d, ds in zip(
                self._layers, (dy_fw, dy_bw), (dstates[:n], dstates[n:]), strict=True
            )
        ]
        self.dinitial_state = self.forward_layer.dinitial_state + self.backward_layer.dinitial_state
        return dxs[0] + dxs[1] if input_gradient else None  # both directions read x

    def step(self, x_t, state=None):
        raise self._error(
            "reads the whole sequence (its backward half needs the future) and cannot step"
        )

    def reset_state(self):
        for _, layer in self._layers:
            layer.reset_state()

    def set_weights(self, weights):
        super().set_weights(weights)
        self._bind()

    def get_config(self):
        return {
            **super().get_config(),
            "layer": serialize(self.forward_layer),
            "merge_mode": self.merge_mode,
            "backward_layer": serialize(self.backward_layer),
        }
