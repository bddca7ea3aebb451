"""The base of every recurrent layer, and of SimpleRNN, LSTM and GRU in particular.

`Recurrent` is the bookkeeping around a sequence, the same for every cell: the generic
`RNN(cell)` (rnn.py) steps a cell object through time, while `Fused`, the base of the thin
SimpleRNN, LSTM and GRU classes (simple_rnn.py, lstm.py, gru.py), hands the whole sequence to
its functional cell's fast path. The bookkeeping has Keras's semantics:
- `go_backwards`: the input (and mask) is read last step first, and with
  `return_sequences` the outputs come back in that processing order (reversed time), while
  the mask handed on stays in input order (Keras's `compute_mask`).
- `dropout` (Fused): one input mask per sequence, the same at every step;
  `recurrent_dropout`: one (N, H) mask on h_{t-1} (the cell's `recurrent_mask`). Both only
  when `training=True`, drawn from `config.default_rng()`, scaled by 1 / (1 - rate).
- `mask`: a skipped step carries the states; it outputs the last output again (0 before the
  first real step), or 0 with `zero_output_for_mask=True`. Without return_sequences the
  layer returns the last step's output under that rule: the final h, or 0 for a sample with
  no real step (or, with zero_output_for_mask, a masked last step).
- `stateful`: the final state of one call is the initial state of the next.
- `return_state`: forward returns [y, h] (SimpleRNN, GRU) or [y, h, c] (LSTM).

`step` is the inference path for generation: one (N, D) step through the cell's step
function, nothing kept for backward.
"""

import numpy as np

from unrolled import initializers
from unrolled.errors import InputError, boolean, invalid, positive_int
from unrolled.layers.base import Layer, activation_name, check_rate, dropout_mask


def _add(a, b):
    """a + b where either may be None (a missing gradient)."""
    if a is None:
        return b
    return a if b is None else a + b


class Recurrent(Layer):
    """What every recurrent layer does around its cell. A subclass supplies:

    state_names     the carried states' names, in Keras's return_state order
    state_sizes     their sizes
    output_size     the size of one step's output
    input_features  D, once built
    _sequence_forward(x, states, mask, training) -> (y, final_states, cache)
        x (N, T, D) in processing order (already reversed for go_backwards), states
        a list of (N, S) arrays or Nones (zeros), mask (N, T) or None; y (N, T, O) with
        return_sequences else the last output (N, O), both under Keras's mask rule
    _sequence_backward(dy, dfinal_states, cache, input_gradient) -> (dx, dinitial_states)
        fills `grads`; dy and the entries of dfinal_states may be None
    step(x_t, state) -> (y_t, state)
    """

    input_ndim = 3  # (N, T, D)
    _checks = {
        name: boolean
        for name in (
            "return_sequences",
            "return_state",
            "go_backwards",
            "stateful",
            "zero_output_for_mask",
        )
    }

    def __init__(
        self,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        zero_output_for_mask=False,
        unroll=False,
        input_shape=None,
        name=None,
        dtype=None,
        **keras_args,
    ):
        if "input_dim" in keras_args:  # Keras 3 reads it as input_shape=(D,): no time axis
            D = keras_args["input_dim"]
            raise InputError(
                f"{type(self).__name__} takes input of shape (timesteps, features), but "
                f"input_dim={D!r} means input_shape=({D!r},) in Keras 3; "
                f"use input_shape=(None, {D!r})"
            )
        super().__init__(input_shape=input_shape, name=name, dtype=dtype, **keras_args)
        del unroll  # Keras's `unroll` only trades memory for speed in a graph: the same math
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.zero_output_for_mask = zero_output_for_mask
        self.states = None  # stateful: the final states of the last call, else None
        self.dinitial_state = None  # after backward: gradients of the initial states

    def _check_input_shape(self, shape, building=False):
        if len(shape) != 3:
            raise self._error(
                f"expects input of shape (batch, timesteps, features), got {tuple(shape)}"
            )
        D = shape[2] if building else self.input_features
        if shape[2] != D or D is None:
            raise self._error(f"expects input of shape (batch, timesteps, {D}), got {tuple(shape)}")

    def compute_output_shape(self, input_shape):
        N, T, _ = input_shape
        y = (N, T, self.output_size) if self.return_sequences else (N, self.output_size)
        return [y] + [(N, S) for S in self.state_sizes] if self.return_state else y

    def compute_mask(self, x, mask=None):
        """The mask for the next layer: the input's with return_sequences, else None.

        As Keras 3 does, it is passed on as it came, even after go_backwards, whose outputs
        come in reversed time: the next layer then reads it against the reversed sequence.
        A Keras model with that pair gives the same numbers here.
        """
        return mask if self.return_sequences else None

    def _initial_states(self, initial_state, N):
        """The states the sequence starts from: given, carried (stateful), or None for zeros
        (the cell then skips the first step's work on them)."""
        if initial_state is None and self.stateful and self.states is not None:
            if self.states[0].shape[0] != N:
                raise self._error(
                    f"is stateful and holds states for a batch of {self.states[0].shape[0]}, "
                    f"got a batch of {N}; call reset_states() to start over"
                )
            return self.states
        if initial_state is None:
            return [None] * len(self.state_sizes)
        if isinstance(initial_state, np.ndarray):
            initial_state = [initial_state]
        states = [np.asarray(s, dtype=self.dtype) for s in initial_state]
        shapes = [s.shape for s in states]
        expected = [(N, S) for S in self.state_sizes]
        if shapes != expected:
            raise self._error(f"expects initial_state of shapes {expected}, got {shapes}")
        return states

    def _check_mask(self, mask, N, T):
        if mask is None:
            return None
        mask = np.asarray(mask)
        if mask.shape != (N, T):
            raise self._error(f"expects a mask of shape {(N, T)}, got {mask.shape}")
        return mask.astype(bool, copy=False)

    def forward(self, x, training=False, initial_state=None, mask=None):
        """Run the layer over a batch of sequences; only `training=True` keeps what
        `backward` needs (and applies dropout).

        x (N, T, D); initial_state: a list of (N, S) arrays ([h] or [h, c]) or None;
        mask (N, T) bool or None (False: padding, skipped). Returns y, (N, T, O) with
        return_sequences else (N, O), or with return_state the list [y, h] / [y, h, c].
        """
        x = self._prepare(x)
        N, T, _ = x.shape
        mask = self._check_mask(mask, N, T)
        states = self._initial_states(initial_state, N)
        if self.go_backwards:
            x = x[:, ::-1]  # read the sequence last step first
            mask = None if mask is None else mask[:, ::-1]
        y, final, cache = self._sequence_forward(x, states, mask, training)
        self._cache = cache if training else None  # inference keeps nothing
        if self.stateful:
            self.states = [s.copy() for s in final]
        return [y, *final] if self.return_state else y

    def backward(self, dy, input_gradient=True):
        """Backpropagation through time for the last forward; fills `grads` in place.

        dy: gradient of y ((N, T, O) or (N, O)), or with return_state a list [dy, dh, (dc)]
        whose entries may be None. Returns dx (N, T, D), or None with input_gradient=False;
        the gradients of the initial states are left in `self.dinitial_state` (a list like
        the states; None entries when the forward started from zeros, with no initial_state
        given or carried).
        """
        cache = self._last_cache()
        n_states = len(self.state_sizes)
        if self.return_state:
            if len(dy) != 1 + n_states:
                names = ", ".join(["dy", *("d" + s for s in self.state_names)])
                raise self._error(f"expects {1 + n_states} gradients [{names}], got {len(dy)}")
            dy, *dstates = [None if d is None else np.asarray(d, self.dtype) for d in dy]
        else:
            dy, dstates = np.asarray(dy, self.dtype), [None] * n_states
        dx, self.dinitial_state = self._sequence_backward(dy, dstates, cache, input_gradient)
        if dx is None:
            return None
        if self.go_backwards:
            dx = np.ascontiguousarray(dx[:, ::-1])  # back to the caller's time order
        return dx

    def reset_state(self):
        """Forget the carried state: the next call starts from zeros (any batch size)."""
        self.states = None

    def get_config(self):
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "zero_output_for_mask": self.zero_output_for_mask,
        }


class Fused(Recurrent):
    """SimpleRNN, LSTM and GRU: the whole sequence in one call of the functional cell's fast
    path. A subclass sets `kind`, `gates`, `state_names` and the cell's three functions:

        cell_forward(x, *states, Wx, Wh, b, activation=..., [recurrent_activation=...,]
                     mask=, recurrent_mask=, keep_cache=, return_sequences=,
                     zero_output_for_mask=)
            -> (h, *final_states, cache)        e.g. rnn_forward, lstm_forward, gru_forward
        cell_backward(dh, *dfinal_states, cache, input_gradient)
            -> (dx, *dinitial_states, dWx, dWh, db)
        cell_step(x_t, *states, Wx, Wh, b, activation=..., [recurrent_activation=...])
            -> (*next_states, cache)            e.g. lstm_step_forward (for `step`)
        cell_step_backward(*dnext_states, cache)
            -> (dx_t, *dprev_states, dWx, dWh, db)   e.g. lstm_step_backward (for the
                                                     cells of RNN(cell), rnn.py)
    """

    kind = None  # "rnn" | "lstm" | "gru"
    # the cell's functions, as staticmethods
    cell_forward = cell_backward = cell_step = cell_step_backward = None
    gates = 1  # G: the kernel is (D, G*H)
    state_names = ("h",)  # the carried states, in Keras's return_state order
    _checks = {
        **Recurrent._checks,
        "units": positive_int,
        "activation": activation_name,
        "use_bias": boolean,
        "dropout": check_rate,
        "recurrent_dropout": check_rate,
        "kernel_initializer": initializers.get,
        "recurrent_initializer": initializers.get,
        "bias_initializer": initializers.get,
    }
    _shaping = ("units", "use_bias")

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        dropout=0.0,
        recurrent_dropout=0.0,
        zero_output_for_mask=False,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            zero_output_for_mask=zero_output_for_mask,
            **kwargs,
        )
        self.units = units  # each setting is checked as it is set (Layer._checks)
        self.activation = activation
        self.use_bias = use_bias
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer

    @property
    def state_sizes(self):
        return [self.units] * len(self.state_names)

    @property
    def output_size(self):
        return self.units

    @property
    def input_features(self):
        return self.params["kernel"].shape[0]

    def _param_shapes(self, input_shape):
        D, H, GH = input_shape[-1], self.units, self.gates * self.units
        shapes = {"kernel": (D, GH), "recurrent_kernel": (H, GH)}  # (D, G*H), (H, G*H)
        if self.use_bias:
            shapes["bias"] = self._bias_shape()
        return shapes

    def _bias_shape(self):
        return (self.gates * self.units,)  # (G*H,)

    def _make_params(self, input_shape, rng):
        shapes = self._param_shapes(input_shape)
        params = {
            "kernel": self.kernel_initializer(shapes["kernel"], rng, self.dtype),
            "recurrent_kernel": self.recurrent_initializer(
                shapes["recurrent_kernel"], rng, self.dtype
            ),
        }
        if self.use_bias:
            params["bias"] = self._make_bias(shapes["bias"], rng)
        return params

    def _make_bias(self, shape, rng):
        return self.bias_initializer(shape, rng, self.dtype)

    def _weights(self):
        p = self.params
        return p["kernel"], p["recurrent_kernel"], p.get("bias")

    def _sequence_forward(self, x, states, mask, training):
        N, T, D = x.shape
        Wx, Wh, b = self._weights()
        input_mask = rmask = None
        if training and self.dropout > 0:
            input_mask = dropout_mask((N, 1, D), self.dropout, self.dtype)  # same every step
            x = x * input_mask
        if training and self.recurrent_dropout > 0:
            rmask = dropout_mask((N, self.units), self.recurrent_dropout, self.dtype)
        h, *final, cache = self.cell_forward(
            x,
            *states,
            Wx,
            Wh,
            b,
            mask=mask,
            recurrent_mask=rmask,
            keep_cache=training,
            return_sequences=self.return_sequences,
            zero_output_for_mask=self.zero_output_for_mask,
            **self._activations(),
        )
        zero_rows = None
        if self.return_sequences:
            y = h
        else:
            y, zero_rows = self._last_output(final[0], mask)
        return y, final, (cache, input_mask, zero_rows)

    def _last_output(self, last_h, mask):
        """The last step's output (N, H) and the samples where it is 0 ((N,) bool, or None).

        Keras's rule (see the module docstring): the final h, but 0 for a sample with no real
        step, or with zero_output_for_mask for a sample whose last step was skipped.
        mask (N, T) in processing order, or None.
        """
        if mask is None or mask.shape[1] == 0:
            return last_h, None
        zero_rows = ~mask[:, -1] if self.zero_output_for_mask else ~mask.any(axis=1)
        if not zero_rows.any():
            return last_h, None
        return np.where(zero_rows[:, None], 0, last_h), zero_rows

    def _sequence_backward(self, dy, dstates, cache, input_gradient):
        cache, input_mask, zero_rows = cache
        if not self.return_sequences:
            if zero_rows is not None:
                dy = np.where(zero_rows[:, None], 0, dy)  # a constant 0 there
            dstates[0] = _add(dstates[0], dy)  # y is the final h
            dy = None
        dx, *dinitial, dWx, dWh, db = self.cell_backward(dy, *dstates, cache, input_gradient)
        self.grads["kernel"][...] = dWx
        self.grads["recurrent_kernel"][...] = dWh
        if db is not None:
            self.grads["bias"][...] = db
        if dx is not None and input_mask is not None:
            dx *= input_mask
        return dx, dinitial

    def step(self, x_t, state=None):
        """One step of inference, nothing cached.

        x_t (N, D); state: a list of (N, H) arrays or None (zeros).
        Returns y_t = next h (N, H) and the new state list.
        """
        if not self.built:
            self.build((None, None, np.shape(x_t)[-1]))
        x_t = np.asarray(x_t, dtype=self.dtype)
        if state is None:
            state = [np.zeros((x_t.shape[0], self.units), self.dtype) for _ in self.state_names]
        else:
            state = [np.asarray(s, dtype=self.dtype) for s in state]
        Wx, Wh, b = self._weights()
        *state, _ = self.cell_step(x_t, *state, Wx, Wh, b, **self._activations())
        return state[0], state

    def _activations(self):
        """The activation names the cell functions take, as keywords."""
        return {"activation": self.activation}

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation,
            "use_bias": self.use_bias,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }


def check_implementation(value, name):
    """Keras's `implementation`: 0 (Keras 2's default), 1 or 2, ways of computing the same
    gates; all the same here."""
    if isinstance(value, bool) or value not in (0, 1, 2):
        raise invalid(name, "0, 1 or 2 (how Keras computes the gates; no change here)", value)
    return value


class Gated(Fused):
    """A recurrent layer with gates: adds `recurrent_activation` (sigmoid by default)."""

    _checks = {
        **Fused._checks,
        "recurrent_activation": activation_name,
        "implementation": check_implementation,
    }

    def __init__(
        self, units, recurrent_activation="sigmoid", implementation=2, use_cudnn="auto", **kwargs
    ):
        super().__init__(units, **kwargs)
        self.recurrent_activation = recurrent_activation
        # Keras's `implementation` and `use_cudnn` choose how Keras computes the same gates:
        # accepted, and nothing changes here
        self.implementation = implementation
        del use_cudnn

    def _activations(self):
        return {"activation": self.activation, "recurrent_activation": self.recurrent_activation}

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation}
