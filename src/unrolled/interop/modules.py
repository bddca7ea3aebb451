"""A Sequential as an equal `torch.nn.Module`, and back; the .pt file that carries one.

    module = to_module(model)            # module(x) equals model.predict(x); eval() mode
    model = from_module(module)          # an equal Sequential, weights bit for bit
    save_module(module, "model.pt")      # the state_dict + the architecture as JSON, no code
    module = load_module("model.pt")     # torch.load(weights_only=True) inside

Each unrolled layer becomes one small module of the same name around PyTorch's own layers:
nn.Embedding, nn.Linear, and for SimpleRNN / LSTM / GRU a native nn.RNN / nn.LSTM / nn.GRU
(batch_first) holding the weights in PyTorch's layout (interop/torch.py), so `state_dict()`
has PyTorch's names and shapes. Where the native kernel computes the same
function (SimpleRNN with tanh or relu; LSTM and GRU with tanh and sigmoid; no mask; no
recurrent dropout) the layer calls it, cuDNN on a GPU. Otherwise the same weights run
through the cell written out step by step (`_loop`): other activations, masks from Masking
or Embedding(mask_zero=True) (a skipped step carries the state and repeats the last output,
or outputs 0 with zero_output_for_mask: Keras's rule, as here), and recurrent dropout.

One bias, as here. PyTorch's RNN and LSTM add two bias vectors, bias_ih + bias_hh; unrolled
has one. bias_ih holds it and bias_hh stays 0 and frozen (requires_grad=False), so an
optimizer step moves the same numbers as here (two trainable copies would each get the
whole gradient: a double step). GRU's two biases are both real (ours is (2, 3H)).

Keras semantics kept: go_backwards returns the outputs in reading order (reversed time); a
stateful layer starts each call from the final states of the last one (detached: the
gradient stops at the call's edge, truncated BPTT) until `reset_states()`; Dropout and the
recurrent layers' dropout act in train() mode only (to_module returns eval() mode, like a
model that is about to predict; call .train() before training).

The .pt file is `torch.save` of a plain dict: format and version, the architecture
(`Sequential.get_config()`) and extras as JSON strings, and the state_dict. `torch.load(path,
weights_only=True)` reads it, so loading never runs code from the file.
"""

import json
import os
import pickle

import numpy as np

from unrolled import layers as unrolled_layers
from unrolled import models
from unrolled.errors import InputError, invalid
from unrolled.files import atomic_path
from unrolled.interop import require
from unrolled.interop.torch_weights import check_torch_form, from_torch, to_torch
from unrolled.models.sequential import model_from_config

torch = require("torch", "unrolled.interop.torch's modules")
nn, F = torch.nn, torch.nn.functional

FORMAT, FORMAT_VERSION = "unrolled.torch", 1


def _linear(x):
    return x


ACTIVATIONS = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "linear": _linear,
    "softmax": lambda x: torch.softmax(x, dim=-1),
}


def _tensor(array):
    return torch.from_numpy(np.ascontiguousarray(array))


def _numpy(tensor):
    return tensor.detach().cpu().numpy().copy()


def _load(module, state):
    """Copy NumPy arrays into `module`'s parameters (every key, nothing else)."""
    module.load_state_dict({k: _tensor(v) for k, v in state.items()})


def _torch_dtype(array):
    return getattr(torch, array.dtype.name)  # float32 -> torch.float32


def _dropout_mask(shape, rate, like):
    """Inverted-dropout multiplier of `shape`: 0 with probability `rate`, else 1 / (1 - rate)."""
    return F.dropout(like.new_ones(shape), rate, training=True)


class Layer(nn.Module):
    """One unrolled layer as a module. `config` is `serialize(layer)`: from_module and
    load_module rebuild the unrolled layer from it."""

    def __init__(self, layer):
        super().__init__()
        self.config = unrolled_layers.serialize(layer)

    def compute_mask(self, x, mask):
        """The mask for the next layer, as the unrolled layer computes it."""
        return mask

    def get_weights(self):
        """The weights as NumPy arrays, in the unrolled layer's order and (Keras) layout."""
        return []

    def reset_states(self):
        """Forget states carried between calls (only stateful recurrent layers have any)."""


class Embedding(Layer):
    """ids (N, T), any integer (or whole float) tensor -> rows of E (N, T, D)."""

    def __init__(self, layer):
        super().__init__(layer)
        E = layer.params["embeddings"]  # (V, D)
        self.embedding = nn.Embedding(*E.shape, dtype=_torch_dtype(E))
        _load(self.embedding, {"weight": E})
        self.mask_zero = layer.mask_zero

    def forward(self, ids, mask=None):
        return self.embedding(ids.long())

    def compute_mask(self, ids, mask):
        return ids != 0 if self.mask_zero else mask

    def get_weights(self):
        return [_numpy(self.embedding.weight)]


class Dense(Layer):
    """act(x @ kernel + bias) on the last axis: nn.Linear holds kernel^T (M, D)."""

    def __init__(self, layer):
        super().__init__(layer)
        kernel, *bias = layer.get_weights()  # (D, M), [(M,)]
        self.linear = nn.Linear(*kernel.shape, bias=bool(bias), dtype=_torch_dtype(kernel))
        _load(self.linear, {"weight": kernel.T, **({"bias": bias[0]} if bias else {})})
        self.activation = layer.activation

    def forward(self, x, mask=None):
        return ACTIVATIONS[self.activation](self.linear(x))

    def get_weights(self):
        bias = [] if self.linear.bias is None else [_numpy(self.linear.bias)]
        return [_numpy(self.linear.weight).T.copy(), *bias]


class Dropout(Layer):
    """Inverted dropout in train() mode (F.dropout's masks), the identity in eval() mode."""

    def __init__(self, layer):
        super().__init__(layer)
        self.rate = layer.rate

    def forward(self, x, mask=None):
        if not (self.training and self.rate > 0):
            return x
        return x * _dropout_mask(x.shape, self.rate, x)

    def extra_repr(self):
        return f"rate={self.rate}"


class Masking(Layer):
    """Steps whose every feature equals mask_value are padding: zeroed, and masked."""

    def __init__(self, layer):
        super().__init__(layer)
        self.mask_value = layer.mask_value

    def compute_mask(self, x, mask):
        return (x != self.mask_value).any(dim=-1)  # (N, T)

    def forward(self, x, mask=None):
        return x * self.compute_mask(x, mask).unsqueeze(-1)


class RepeatVector(Layer):
    def __init__(self, layer):
        super().__init__(layer)
        self.n = layer.n

    def forward(self, x, mask=None):
        return x.unsqueeze(1).repeat(1, self.n, 1)  # (N, D) -> (N, n, D)

    def compute_mask(self, x, mask):
        return None


class TimeDistributed(Layer):
    """Its Dense or Dropout, which act on the last axis: on every step already."""

    def __init__(self, layer):
        super().__init__(layer)
        self.layer = _module_for(layer.layer)

    def forward(self, x, mask=None):
        return self.layer(x)

    def get_weights(self):
        return self.layer.get_weights()


class Recurrent(Layer):
    """One direction of a SimpleRNN, LSTM or GRU over a native `cell` (its weights). A
    subclass names its kind and native module and writes the cell's step for `_loop`:

        _step(zx, zh, states, act, rec) -> new states
            zx, zh (N, G*H): x_t W_ih^T + b_ih and h_{t-1} W_hh^T + b_hh, gates in
            PyTorch's order; states [h] or [h, c], each (N, H); act, rec: the activations
    """

    kind = native = None  # "rnn" | "lstm" | "gru"; nn.RNN | nn.LSTM | nn.GRU
    n_states = 1

    def __init__(self, layer):
        check_torch_form(layer)
        super().__init__(layer)
        self.units, self.activation = layer.units, layer.activation
        self.recurrent_activation = getattr(layer, "recurrent_activation", "sigmoid")
        self.return_sequences, self.go_backwards = layer.return_sequences, layer.go_backwards
        self.stateful, self.zero_output_for_mask = layer.stateful, layer.zero_output_for_mask
        self.dropout, self.recurrent_dropout = layer.dropout, layer.recurrent_dropout
        kernel, recurrent_kernel, *bias = layer.get_weights()
        options = {"batch_first": True, "bias": bool(bias), "dtype": _torch_dtype(kernel)}
        self.cell = self._native_cell(kernel.shape[0], self.units, options)
        _load(self.cell, to_torch(self.kind, kernel, recurrent_kernel, *(bias or [None])))
        if bias and self.kind != "gru":
            self.cell.bias_hh_l0.requires_grad_(False)  # stays 0: our one bias is bias_ih
        self.states = None  # stateful: the final states of the last call

    def _native_cell(self, D, H, options):
        return self.native(D, H, **options)

    def _fused(self):
        """True when the native kernel computes this layer's activations."""
        return (self.activation, self.recurrent_activation) == ("tanh", "sigmoid")

    def forward(self, x, mask=None):
        """x (N, T, D), mask (N, T) bool or None -> (N, T, H) with return_sequences, else
        the final h (N, H)."""
        N, _, D = x.shape
        if self.training and self.dropout > 0:
            x = x * _dropout_mask((N, 1, D), self.dropout, x)  # one mask per sequence
        rmask = None
        if self.training and self.recurrent_dropout > 0:
            rmask = _dropout_mask((N, self.units), self.recurrent_dropout, x)  # on h_{t-1}
        if self.go_backwards:
            x = x.flip(1)  # read the sequence last step first
            mask = None if mask is None else mask.flip(1)
        states = self._initial_states(N)
        if self._fused() and mask is None and rmask is None:
            y, final = self._native(x, states)
        else:
            y, final = self._loop(x, states, mask, rmask)
        if self.stateful:
            self.states = [s.detach() for s in final]
        if self.return_sequences:
            return y
        return final[0] if mask is None or y.shape[1] == 0 else y[:, -1]  # the last output

    def _initial_states(self, N):
        if not (self.stateful and self.states is not None):
            return None
        if self.states[0].shape[0] != N:
            raise InputError(
                f"layer '{self.config['config']['name']}' is stateful and holds states for a "
                f"batch of {self.states[0].shape[0]}, got a batch of {N}; call reset_states()"
            )
        return self.states

    def _native(self, x, states):
        """The fused kernel: y (N, T, H) and the final states [(N, H), ...]."""
        hx = None
        if states is not None:
            hx = tuple(s[None] for s in states) if self.n_states == 2 else states[0][None]
        y, last = self.cell(x, hx)  # last: (1, N, H), or for LSTM a pair of them
        return y, [s[0] for s in last] if self.n_states == 2 else [last[0]]

    def _loop(self, x, states, mask, rmask):
        """The cell step by step over the native weights (PyTorch layout): y (N, T, H) and
        the final states. A masked step (mask False) carries the states and repeats the last
        output (0 before the first real step), or outputs 0 with zero_output_for_mask."""
        N, T, _ = x.shape
        cell = self.cell
        act = ACTIVATIONS[self.activation]
        rec = ACTIVATIONS[self.recurrent_activation]
        zx = F.linear(x, cell.weight_ih_l0, getattr(cell, "bias_ih_l0", None))  # (N, T, G*H)
        if states is None:
            states = [x.new_zeros(N, self.units) for _ in range(self.n_states)]
        outputs, last = [], x.new_zeros(N, self.units)  # no output yet: 0
        for t in range(T):
            h = states[0] if rmask is None else states[0] * rmask
            zh = F.linear(h, cell.weight_hh_l0, getattr(cell, "bias_hh_l0", None))  # (N, G*H)
            new = self._step(zx[:, t], zh, states, act, rec)
            if mask is None:
                outputs.append(new[0])
            else:
                keep = mask[:, t, None]  # (N, 1)
                new = [torch.where(keep, n, s) for n, s in zip(new, states, strict=True)]
                last = torch.where(keep, new[0], 0 if self.zero_output_for_mask else last)
                outputs.append(last)
            states = new
        y = torch.stack(outputs, dim=1) if outputs else x.new_zeros(N, 0, self.units)
        return y, states

    def reset_states(self):
        self.states = None

    def get_weights(self):
        kernel, recurrent_kernel, bias = from_torch(self.kind, self.cell.state_dict())
        return [kernel, recurrent_kernel] + ([] if bias is None else [bias])


class SimpleRNN(Recurrent):
    kind, native = "rnn", nn.RNN

    def _native_cell(self, D, H, options):
        nonlinearity = "relu" if self.activation == "relu" else "tanh"
        return self.native(D, H, nonlinearity=nonlinearity, **options)

    def _fused(self):
        return self.activation in ("tanh", "relu")

    def _step(self, zx, zh, states, act, rec):
        return [act(zx + zh)]  # h_t = act(x_t Wx + h_{t-1} Wh + b)


class LSTM(Recurrent):
    kind, native, n_states = "lstm", nn.LSTM, 2

    def _step(self, zx, zh, states, act, rec):
        i, f, g, o = (zx + zh).chunk(4, dim=1)  # gates i, f, g, o: the same in both layouts
        next_c = rec(f) * states[1] + rec(i) * act(g)
        return [rec(o) * act(next_c), next_c]


class GRU(Recurrent):
    kind, native = "gru", nn.GRU

    def _step(self, zx, zh, states, act, rec):
        xr, xz, xn = zx.chunk(3, dim=1)  # PyTorch's gate order r, z, n
        hr, hz, hn = zh.chunk(3, dim=1)
        r, z = rec(xr + hr), rec(xz + hz)
        n = act(xn + r * hn)  # reset after the recurrent product
        return [(1 - z) * n + z * states[0]]


MERGES = {
    "concat": lambda a, b: torch.cat([a, b], dim=-1),
    "sum": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "ave": lambda a, b: (a + b) / 2,
}


class Bidirectional(Layer):
    """Both directions, the backward outputs flipped back to the caller's time order, merged
    (merge_mode None: the pair (y_forward, y_backward), Keras's list)."""

    def __init__(self, layer):
        super().__init__(layer)
        self.forward_layer = _module_for(layer.forward_layer)
        self.backward_layer = _module_for(layer.backward_layer)
        self.merge_mode, self.return_sequences = layer.merge_mode, layer.return_sequences

    def forward(self, x, mask=None):
        y_fw, y_bw = self.forward_layer(x, mask), self.backward_layer(x, mask)
        if self.return_sequences:
            y_bw = y_bw.flip(1)
        if self.merge_mode is None:
            return y_fw, y_bw
        return MERGES[self.merge_mode](y_fw, y_bw)

    def compute_mask(self, x, mask):
        return mask if self.return_sequences else None

    def get_weights(self):
        return self.forward_layer.get_weights() + self.backward_layer.get_weights()

    def reset_states(self):
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()


MODULES = {
    cls.__name__: cls
    for cls in (
        Embedding,
        Dense,
        Dropout,
        Masking,
        RepeatVector,
        TimeDistributed,
        SimpleRNN,
        LSTM,
        GRU,
        Bidirectional,
    )
}


def _module_for(layer):
    """The module for `layer`; a frozen layer's (trainable=False) parameters get no gradient."""
    module = MODULES[type(layer).__name__](layer)
    if not layer.trainable:
        module.requires_grad_(False)
    return module


class Sequential(nn.Module):
    """The layers in order, each handing the next its output and mask, as unrolled does."""

    def __init__(self, name, input_shape, layers):
        super().__init__()
        self.name, self.input_shape = name, input_shape
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        """x (N, T, D) features, or (N, T) ids for an Embedding -> the last layer's output."""
        mask = None
        for layer in self.layers:
            x, mask = layer(x, mask), layer.compute_mask(x, mask)
        return x

    def reset_states(self):
        """Forget the states that stateful layers carry between calls."""
        for layer in self.layers:
            layer.reset_states()

    def get_config(self):
        """Like the unrolled Sequential's: name, input_shape and layer configs."""
        layers = [layer.config for layer in self.layers]
        return {"name": self.name, "input_shape": list(self.input_shape), "layers": layers}


def to_module(model):
    """A torch.nn.Module equal to the built Sequential `model`, in eval() mode.

    Its parameters have the model's dtype and are copies: training one leaves the other as
    it is. `module(x)` takes a tensor; its output equals `model.predict(x)`.
    """
    if not isinstance(model, models.Sequential):
        raise invalid("model", "an unrolled Sequential", type(model).__name__)
    if not model.built:
        raise InputError("build the model (fit, predict or build) before to_module()")
    unknown = [
        type(layer).__name__ for layer in model.layers if type(layer).__name__ not in MODULES
    ]
    if unknown:
        raise invalid("model", f"layers of the kinds {sorted(MODULES)}", unknown)
    module = Sequential(model.name, model.input_shape, [_module_for(x) for x in model.layers])
    return module.eval()


def from_module(module):
    """A Sequential equal to `module`: one made by to_module (or load_module), trained or not,
    or an nn.Sequential of PyTorch's own nn.Embedding, nn.RNN, nn.LSTM, nn.GRU, nn.Linear
    (each followed by nn.Tanh, nn.Sigmoid, nn.ReLU or nn.Softmax(dim=-1) if wanted) and
    nn.Dropout. Weights bit for bit (RNN and LSTM biases: bias_ih + bias_hh)."""
    if isinstance(module, Sequential):
        model = model_from_config(module.get_config())
        model.set_weights([w for layer in module.layers for w in layer.get_weights()])
        return model
    if isinstance(module, nn.Sequential):
        return _from_torch_layers(module)
    kind = type(module).__name__
    raise invalid("module", f"a module made by to_module or an nn.Sequential ({_PLAIN})", kind)


_PLAIN = (
    "nn.Embedding (no max_norm), nn.RNN, nn.LSTM, nn.GRU (no proj_size), nn.Linear (an "
    "activation may follow it), nn.Dropout"
)
_KINDS = {nn.RNN: "rnn", nn.LSTM: "lstm", nn.GRU: "gru"}
_RECURRENT_LAYERS = {
    "rnn": unrolled_layers.SimpleRNN,
    "lstm": unrolled_layers.LSTM,
    "gru": unrolled_layers.GRU,
}
_ACTIVATION_MODULES = {nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.ReLU: "relu"}


def _dtype_name(module):
    """The dtype of the module's parameters ("float32"), or None without any."""
    p = next(module.parameters(), None)
    return None if p is None else str(p.dtype).removeprefix("torch.")


def _from_torch_layers(sequential):
    """An nn.Sequential of PyTorch's own layers -> an equal Sequential.

    A recurrent module's output is the whole sequence (return_sequences=True), its
    num_layers become stacked layers with its inter-layer dropout as Dropout layers between
    them, bidirectional=True a Bidirectional (concat, PyTorch's output), batch_first either
    way (unrolled is batch-first; the weights are the same).
    """
    built, weights, input_shape = [], [], None  # unrolled layers, their weights in order
    for position, child in enumerate(sequential):
        what = f"{type(child).__name__} at position {position}"
        activation = _ACTIVATION_MODULES.get(type(child))
        if type(child) is nn.Softmax and child.dim == -1:
            activation = "softmax"
        if activation is not None:
            last = built[-1] if built else None
            if not isinstance(last, unrolled_layers.Dense) or last.activation != "linear":
                raise invalid("module", "an activation only right after an nn.Linear", what)
            last.activation = activation
            continue
        dtype = _dtype_name(child)
        if isinstance(child, nn.Embedding) and child.max_norm is None:
            shape = (None, None)  # (N, T) ids
            built.append(
                unrolled_layers.Embedding(child.num_embeddings, child.embedding_dim, dtype=dtype)
            )
            weights.append(_numpy(child.weight))
        elif type(child) in _KINDS and not getattr(child, "proj_size", 0):
            shape = (None, None, child.input_size)
            _recurrent_layers(child, dtype, built, weights)
        elif isinstance(child, nn.Linear):
            shape = (None, child.in_features)
            use_bias = child.bias is not None
            built.append(unrolled_layers.Dense(child.out_features, use_bias=use_bias, dtype=dtype))
            bias = [_numpy(child.bias)] if use_bias else []
            weights.extend([_numpy(child.weight).T.copy(), *bias])
        elif type(child) is nn.Dropout:
            shape = None
            built.append(unrolled_layers.Dropout(child.p))
        else:
            raise invalid("module", f"an nn.Sequential of {_PLAIN}", what)
        if input_shape is None:
            input_shape = shape
    if input_shape is None:
        raise invalid("module", f"an nn.Sequential of {_PLAIN}", "no such layer in it")
    layers = [unrolled_layers.serialize(layer) for layer in built]
    model = model_from_config({"name": "sequential", "input_shape": input_shape, "layers": layers})
    model.set_weights(weights)
    return model


def _recurrent_layers(module, dtype, built, weights):
    """Append the unrolled layers (and their weights) of one nn.RNN / nn.LSTM / nn.GRU."""
    kind = _KINDS[type(module)]
    options = {"use_bias": module.bias, "return_sequences": True, "dtype": dtype}
    if kind == "rnn":
        options["activation"] = module.nonlinearity
    state = module.state_dict()
    directions = ["", "_reverse"] if module.bidirectional else [""]
    for k in range(module.num_layers):
        if k and module.dropout:
            built.append(unrolled_layers.Dropout(module.dropout))
        cell = _RECURRENT_LAYERS[kind](module.hidden_size, **options)
        built.append(unrolled_layers.Bidirectional(cell) if module.bidirectional else cell)
        for suffix in directions:  # layer k's keys, renamed as a one-layer module's
            layer_state = {
                name.replace(f"_l{k}{suffix}", f"_l0{suffix}"): value
                for name, value in state.items()
                if name.endswith(f"_l{k}{suffix}")
            }
            kernel, recurrent_kernel, bias = from_torch(kind, layer_state, suffix)
            weights.extend([kernel, recurrent_kernel] + ([] if bias is None else [bias]))


def save_module(module, path, extras=None):
    """Write a module made by to_module (trained or not) to `path` (see the module docstring);
    `extras` (JSON-able, e.g. a task's vocabulary) travel with it."""
    if not isinstance(module, Sequential):
        raise invalid("module", "a module made by to_module or load_module", type(module).__name__)
    try:
        extras = json.dumps(extras)
    except (TypeError, ValueError) as error:
        raise InputError(f"the extras must be JSON-serialisable: {error}") from None
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": json.dumps(module.get_config()),
        "extras": extras,
        "state_dict": module.state_dict(),
    }
    with atomic_path(path) as tmp:
        torch.save(document, tmp)


def load_module(path, with_extras=False):
    """The module saved at `path` by save_module (or `unrolled export --format torch`), on
    the CPU in eval() mode; with_extras=True returns (module, extras)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise InputError(f"cannot load {path!r}: no such file")
    try:
        document = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # not a pickle, or one that holds more than tensors
        raise InputError(
            f"cannot load {path!r}: not a PyTorch file that unrolled wrote "
            "(torch.load(weights_only=True) refused it)"
        ) from None
    except (RuntimeError, EOFError, ValueError, OSError) as error:
        raise InputError(
            f"cannot load {path!r}: not a PyTorch file that unrolled wrote ({_first_line(error)})"
        ) from None
    found = document.get("format") if isinstance(document, dict) else None
    if found != FORMAT:
        raise InputError(f"cannot load {path!r}: expected a {FORMAT} file, got {found!r}")
    if document.get("format_version", 0) > FORMAT_VERSION:
        raise InputError(
            f"cannot load {path!r}: format version {document['format_version']!r} is newer "
            f"than this unrolled reads ({FORMAT_VERSION}); upgrade unrolled"
        )
    try:
        module = to_module(model_from_config(json.loads(document["model"])))
        module.load_state_dict(document["state_dict"])
        extras = json.loads(document["extras"])
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise InputError(
            f"cannot load {path!r}: the file is damaged ({_first_line(error)})"
        ) from None
    return (module, extras) if with_extras else module


def _first_line(error):
    """An exception's message, first line only (torch's run over many), or its type's name."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
