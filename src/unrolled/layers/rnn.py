"""Keras's generic recurrent layer: `RNN(cell)` runs any cell over a sequence, one step at a
time, with the same bookkeeping as SimpleRNN, LSTM and GRU (recurrent.py: masks, states,
go_backwards, stateful, return_state).

    RNN(LSTMCell(32), return_sequences=True)       the LSTM layer's math, step by step
    RNN([GRUCell(32), GRUCell(16)])                a list is one StackedRNNCells
    RNN(MyCell(8))                                 a cell of your own

The cell contract (Keras's `call`, plus the backward that NumPy needs):

    cell.state_size     an int, or a list of ints: one per state (LSTMCell: [H, H])
    cell.output_size    the size of y_t (default: the first state's size)
    cell.build(input_shape, rng)    optional: (None, D) -> creates cell.params and cell.grads
                        (name -> array, the same keys); a Layer subclass implements
                        `_param_shapes(input_shape)` and `_make_params(shapes, rng)` and
                        inherits this
    y_t, new_states = cell.call(x_t, states, training=False)
                        x_t (N, D), states a list of (N, S) arrays -> y_t (N, O) and a list
    dx_t, dstates = cell.backward(dy_t, dnew_states, x_t, states)
                        the gradients through one step, given that step's inputs again:
                        dy_t (N, O) and dnew_states (a list of (N, S)) in, dx_t (N, D) and
                        dstates (a list like states) out; ADDS (+=) the weight gradients
                        into cell.grads, which the layer zeros before each backward

Backward gets the step's inputs, not a cache: a cell recomputes what it needs (our cells
rerun their step function), so `call` keeps Keras's signature and a cell holds no per-step
history. The cost is one more forward per step in training; SimpleRNN, LSTM and GRU are the
fast path for the built-in cells' math.

Masks follow Keras: a skipped step keeps the states and repeats the last output (0 before
the first real step), or outputs 0 with zero_output_for_mask; the last output is the last
step's under that rule.
"""

import numpy as np

from unrolled import config
from unrolled.errors import InputError, invalid
from unrolled.layers.base import Layer, snake_case, unique_name
from unrolled.layers.gru import GRU
from unrolled.layers.lstm import LSTM
from unrolled.layers.recurrent import Recurrent
from unrolled.layers.simple_rnn import SimpleRNN

# a cell is one step: these belong to the RNN layer around it
_SEQUENCE_ARGUMENTS = (
    "return_sequences",
    "return_state",
    "go_backwards",
    "stateful",
    "zero_output_for_mask",
    "unroll",
    "input_shape",
)


def _zero_rate(value, name):
    """A cell's dropout: 0 only (one mask per sequence is the layer's business here)."""
    if isinstance(value, bool) or value != 0:
        raise invalid(name, "0 in a cell (the SimpleRNN, LSTM and GRU layers take it)", value)
    return 0.0


class Cell(Layer):
    """One step of a SimpleRNN, LSTM or GRU: Keras's SimpleRNNCell, LSTMCell and GRUCell.

    The settings and weights live in a layer of the cell's kind (`self.layer`, never run over
    a sequence): the same arguments and checks, the same weights and config, the same
    functional step functions. Settings read and set on the cell reach that layer.
    """

    layer_class = None  # SimpleRNN | LSTM | GRU
    _checks = {"dropout": _zero_rate, "recurrent_dropout": _zero_rate}

    def __init__(
        self, units, dropout=0.0, recurrent_dropout=0.0, name=None, dtype=None, **settings
    ):
        for argument in _SEQUENCE_ARGUMENTS:
            if argument in settings:
                raise InputError(
                    f"{type(self).__name__} got `{argument}`, which belongs to the RNN layer "
                    f"around it: RNN({type(self).__name__}(...), {argument}=...)"
                )
        name = name if name is not None else unique_name(snake_case(type(self).__name__))
        layer = self.layer_class(units, name=name, dtype=dtype, **settings)
        object.__setattr__(self, "layer", layer)  # before Layer.__init__ sets anything
        super().__init__(name=name, dtype=dtype)
        self.dropout = dropout  # Keras's arguments, 0 only here (_checks)
        self.recurrent_dropout = recurrent_dropout

    def __getattr__(self, name):  # only for what the cell itself lacks: the settings
        layer = self.__dict__.get("layer")
        if layer is None or name not in self.settings():
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(layer, name)

    def __setattr__(self, name, value):
        if name in self.settings():
            setattr(self.layer, name, value)  # checked there
        else:
            super().__setattr__(name, value)

    def settings(self):
        """The names of the settings kept in the layer: its own, not the sequence's."""
        own = (*Recurrent._checks, *Cell._checks)
        return [k for k in self.layer_class._checks if k not in own]

    def _sublayers(self):
        return (self.layer,)

    @property
    def state_size(self):
        sizes = self.layer.state_sizes
        return sizes[0] if len(sizes) == 1 else sizes

    @property
    def output_size(self):
        return self.layer.units

    def _param_shapes(self, input_shape):
        *_, D = input_shape
        return self.layer.param_shapes((None, None, D))

    def build(self, input_shape, rng=None):
        """input_shape (None, D): the layer's weights for (N, T, D) sequences, shared."""
        *_, D = tuple(input_shape)
        self.layer.dtype = self.dtype
        self.layer.build((None, None, D), rng)
        self.dtype = self.layer.dtype
        self.params, self.grads = self.layer.params, self.layer.grads  # the same dicts
        self.built = True

    def _step_inputs(self, x_t, states):
        layer = self.layer
        x_t = np.asarray(x_t, dtype=self.dtype)
        states = [np.asarray(s, dtype=self.dtype) for s in states]
        return x_t, states, (*layer._weights(),), layer._activations()

    def call(self, x_t, states, training=False):
        """x_t (N, D), states [h] or [h, c] -> (h_t, new states); the functional step."""
        if not self.built:
            self.build((None, np.shape(x_t)[-1]))
        x_t, states, weights, activations = self._step_inputs(x_t, states)
        *new_states, _ = self.layer.cell_step(x_t, *states, *weights, **activations)
        return new_states[0], new_states

    def backward(self, dy_t, dnew_states, x_t, states):
        """Rerun the step for its cache, then the functional step backward; adds dW."""
        x_t, states, weights, activations = self._step_inputs(x_t, states)
        *_, cache = self.layer.cell_step(x_t, *states, *weights, **activations)
        dnext = [dnew_states[0] + dy_t, *dnew_states[1:]]  # h_t is the output and a state
        dx_t, *rest = self.layer.cell_step_backward(*dnext, cache)
        dstates, (dWx, dWh, db) = rest[: len(states)], rest[len(states) :]
        self.grads["kernel"] += dWx
        self.grads["recurrent_kernel"] += dWh
        if db is not None:
            self.grads["bias"] += db
        return dx_t, dstates

    def get_config(self):
        config = self.layer.get_config()
        for key in (*_SEQUENCE_ARGUMENTS, "name", "dtype", "trainable"):
            config.pop(key, None)
        return {**super().get_config(), **config}


class SimpleRNNCell(Cell):
    """h_t = act(x_t @ Wx + h_{t-1} @ Wh + b), one step (SimpleRNN's math and weights)."""

    layer_class = SimpleRNN


class LSTMCell(Cell):
    """One LSTM step, states [h, c] (LSTM's math and weights)."""

    layer_class = LSTM


class GRUCell(Cell):
    """One GRU step, either form (GRU's math and weights, reset_after as there)."""

    layer_class = GRU


CELLS = {cls.__name__: cls for cls in (SimpleRNNCell, LSTMCell, GRUCell)}


def deserialize_cell(config):
    """A cell from {"class_name": ..., "config": {...}}: ours, or one line naming it."""
    class_name = config.get("class_name") if isinstance(config, dict) else None
    if class_name == "StackedRNNCells":
        return StackedRNNCells.from_config(config.get("config", {}))
    if class_name not in CELLS:
        raise invalid("cell", f"one of {[*CELLS, 'StackedRNNCells']} (a saved cell)", class_name)
    return CELLS[class_name].from_config(config.get("config", {}))


def serialize_cell(cell):
    """{"class_name", "config"} of one of our cells, or one line for a cell of your own."""
    if type(cell).__name__ not in (*CELLS, "StackedRNNCells"):
        raise InputError(
            f"a cell of your own ({type(cell).__name__}) cannot be saved in a model file; "
            "save the weights (save_weights) and build the model in code"
        )
    return {"class_name": type(cell).__name__, "config": cell.get_config()}


def _check_cell(cell):
    """The cell as is, or one line naming what it lacks (Keras's contract plus backward)."""
    if isinstance(cell, dict):
        return deserialize_cell(cell)
    missing = [a for a in ("call", "backward", "state_size") if not hasattr(cell, a)]
    if missing:
        raise invalid(
            "cell",
            f"a cell with call(x_t, states), backward(dy_t, dstates, x_t, states) and "
            f"state_size (missing: {', '.join(missing)})",
            cell,
        )
    return cell


def _sizes(cell):
    size = cell.state_size
    return [int(s) for s in size] if isinstance(size, list | tuple) else [int(size)]


class StackedRNNCells(Layer):
    """Cells one above the other inside one step: cell k reads cell k-1's output.

    Its states are every cell's states in order (flat), its output the last cell's output.
    Weights: each cell's, with keys prefixed "cell_<k>_" (Keras's order: cell 0 first).
    """

    def __init__(self, cells, name=None, dtype=None, **keras_args):
        if not isinstance(cells, list | tuple) or not cells:
            raise invalid("cells", "a non-empty list of cells", cells)
        super().__init__(name=name, dtype=dtype, **keras_args)
        self.cells = [_check_cell(cell) for cell in cells]

    @property
    def state_size(self):
        return [s for cell in self.cells for s in _sizes(cell)]

    @property
    def output_size(self):
        last = self.cells[-1]
        return getattr(last, "output_size", _sizes(last)[0])

    def _param_shapes(self, input_shape):
        *_, D = input_shape
        shapes = {}
        for k, cell in enumerate(self.cells):  # only our cells reach a model file
            for key, shape in cell.param_shapes((None, D)).items():
                shapes[f"cell_{k}_{key}"] = shape
            D = cell.output_size
        return shapes

    def build(self, input_shape, rng=None):
        """input_shape (None, D); each cell is built for the output of the one below."""
        *_, D = tuple(input_shape)
        self.dtype = self.dtype or self.cells[0].dtype
        self.params, self.grads = {}, {}
        for k, cell in enumerate(self.cells):
            _build_cell(cell, D, rng, self.dtype)
            for key in getattr(cell, "params", {}):
                self.params[f"cell_{k}_{key}"] = cell.params[key]
                self.grads[f"cell_{k}_{key}"] = cell.grads[key]
            D = getattr(cell, "output_size", _sizes(cell)[0])
        self.built = True

    def _bind(self):
        """Point the cells at our (possibly rebound) arrays."""
        for k, cell in enumerate(self.cells):
            for key in getattr(cell, "params", {}):
                cell.params[key] = self.params[f"cell_{k}_{key}"]
                cell.grads[key] = self.grads[f"cell_{k}_{key}"]

    def _split(self, states):
        """The flat states -> one list per cell."""
        out, k = [], 0
        for cell in self.cells:
            n = len(_sizes(cell))
            out.append(list(states[k : k + n]))
            k += n
        return out

    def call(self, x_t, states, training=False):
        self._bind()
        new_states = []
        for cell, cell_states in zip(self.cells, self._split(states), strict=True):
            x_t, new = cell.call(x_t, cell_states, training=training)
            new_states += list(new) if isinstance(new, list | tuple) else [new]
        return x_t, new_states

    def backward(self, dy_t, dnew_states, x_t, states):
        """Rerun the stack for each cell's input, then go down it."""
        self._bind()
        inputs, per_cell = [], self._split(states)
        for cell, cell_states in zip(self.cells, per_cell, strict=True):
            inputs.append(x_t)
            x_t, _ = cell.call(x_t, cell_states)
        dstates = self._split(dnew_states)
        dx = dy_t
        for k in reversed(range(len(self.cells))):
            dx, dstates[k] = self.cells[k].backward(dx, dstates[k], inputs[k], per_cell[k])
        return dx, [d for cell_d in dstates for d in cell_d]

    def frozen_keys(self):
        """The weights of the cells with trainable=False; all of them when this one has."""
        if not self.trainable:
            return tuple(self.params)
        return tuple(
            f"cell_{k}_{key}"
            for k, cell in enumerate(self.cells)
            if not getattr(cell, "trainable", True)
            for key in getattr(cell, "params", {})
        )

    def _sublayers(self):
        return tuple(c for c in self.__dict__.get("cells", ()) if isinstance(c, Layer))

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_cell(c) for c in self.cells]}


def _build_cell(cell, D, rng, dtype):
    """Build a cell for inputs of D features, in `dtype` when it is one of ours."""
    if getattr(cell, "built", False) or not hasattr(cell, "build"):
        return
    if isinstance(cell, Layer) and cell.dtype is None:
        cell.dtype = dtype
    cell.build((None, D), rng)


class RNN(Recurrent):
    """Any cell over a sequence, one step at a time (the contract: module docstring)."""

    def __init__(self, cell, **kwargs):
        """cell: a cell, a list of cells (a StackedRNNCells) or a saved cell's dict; kwargs:
        Recurrent's (return_sequences, return_state, go_backwards, stateful, ...)."""
        cell = StackedRNNCells(cell) if isinstance(cell, list | tuple) else _check_cell(cell)
        super().__init__(**kwargs)
        self.cell = cell
        self._features = None  # D, once built

    @property
    def state_sizes(self):
        return _sizes(self.cell)

    @property
    def state_names(self):
        return (
            ("h", "c")
            if isinstance(self.cell, LSTMCell)
            else tuple(f"state_{k}" for k in range(len(self.state_sizes)))
        )

    @property
    def output_size(self):
        return getattr(self.cell, "output_size", self.state_sizes[0])

    @property
    def input_features(self):
        return self._features

    def _sublayers(self):
        cell = self.__dict__.get("cell")
        return (cell,) if isinstance(cell, Layer) else ()

    def frozen_keys(self):
        """The cell's frozen weights (all of them with trainable=False here)."""
        if not self.trainable:
            return tuple(self.params)
        return self.cell.frozen_keys() if isinstance(self.cell, Layer) else ()

    def _param_shapes(self, input_shape):
        return (
            self.cell.param_shapes((None, input_shape[2])) if isinstance(self.cell, Layer) else {}
        )

    def build(self, input_shape, rng=None):
        """Build the cell for one step's (None, D) and share its weights."""
        input_shape = tuple(input_shape)
        self._check_input_shape(input_shape, building=True)
        self.dtype = config.resolve_dtype(self.dtype or getattr(self.cell, "dtype", None))
        _build_cell(self.cell, input_shape[2], rng or config.default_rng(), self.dtype)
        self._features = input_shape[2]
        self.params = getattr(self.cell, "params", {})  # the same dicts: a model's flat
        self.grads = getattr(self.cell, "grads", {})  # buffer reaches the cell
        self.built = True

    def _sequence_forward(self, x, states, mask, training):
        N, T, _ = x.shape
        O = self.output_size
        started = [s is not None for s in states]
        states = [
            np.zeros((N, S), self.dtype) if s is None else s
            for s, S in zip(states, self.state_sizes, strict=True)
        ]
        last = np.zeros((N, O), self.dtype)  # the output a masked step repeats: none yet
        outputs, record = [], []
        for t in range(T):
            y_t, new = self.cell.call(x[:, t], states, training=training)
            new = list(new) if isinstance(new, list | tuple) else [new]
            if mask is not None:
                keep = mask[:, t, None]  # (N, 1)
                new = [np.where(keep, n, s) for n, s in zip(new, states, strict=True)]
                y_t = np.where(keep, y_t, 0 if self.zero_output_for_mask else last)
            if training:
                record.append(states)  # the states this step read
            states, last = new, y_t
            if self.return_sequences:
                outputs.append(y_t)
        if self.return_sequences:
            y = np.stack(outputs, axis=1) if outputs else np.zeros((N, 0, O), self.dtype)
        else:
            y = last
        return y, states, (x, record, mask, started)

    def _sequence_backward(self, dy, dstates, cache, input_gradient):
        x, record, mask, started = cache
        N, T, D = x.shape
        for g in self.grads.values():
            g[...] = 0  # the cell adds each step's share
        dstates = [
            np.zeros((N, S), self.dtype) if d is None else d
            for d, S in zip(dstates, self.state_sizes, strict=True)
        ]
        O = self.output_size
        dlast = np.zeros((N, O), self.dtype)  # gradient of the output the next step repeats
        if not self.return_sequences and dy is not None:
            dlast = dy  # y is the last step's output
        dx = np.zeros((N, T, D), self.dtype) if input_gradient else None
        for t in reversed(range(T)):
            dout = dlast if not self.return_sequences or dy is None else dlast + dy[:, t]
            dnew, dcarried = dstates, [0] * len(dstates)
            if mask is None:
                dlast = np.zeros_like(dout)
            else:
                keep = mask[:, t, None]
                dlast = np.where(keep, 0, 0 if self.zero_output_for_mask else dout)
                dout = np.where(keep, dout, 0)
                dnew = [np.where(keep, d, 0) for d in dstates]
                dcarried = [np.where(keep, 0, d) for d in dstates]  # the states passed through
            dx_t, dprev = self.cell.backward(dout, dnew, x[:, t], record[t])
            dstates = [a + b for a, b in zip(dprev, dcarried, strict=True)]
            if dx is not None:
                dx[:, t] = dx_t
        dinitial = [d if s else None for d, s in zip(dstates, started, strict=True)]
        return dx, dinitial

    def step(self, x_t, state=None):
        """One step of inference: (y_t, new states); state None means zeros."""
        if not self.built:
            self.build((None, None, np.shape(x_t)[-1]))
        x_t = np.asarray(x_t, dtype=self.dtype)
        if state is None:
            state = [np.zeros((x_t.shape[0], S), self.dtype) for S in self.state_sizes]
        y_t, new = self.cell.call(x_t, state)
        return y_t, list(new) if isinstance(new, list | tuple) else [new]

    def get_config(self):
        return {**super().get_config(), "cell": serialize_cell(self.cell)}
