"""A Sequential as a standard ONNX graph, for ONNX Runtime and other servers.

    proto = to_onnx(model)                       # an onnx.ModelProto
    save_onnx(model, "model.onnx", extras)       # what model.export("model.onnx") writes

One input "x": (batch, time, features) float32, or (batch, time) int64 ids when the first
layer is an Embedding; batch and time are dynamic axes. One output "y" (two, "y_forward"
and "y_backward", after a Bidirectional with merge_mode=None, Keras's list). Opset 17.
Float32 throughout: onnxruntime's RNN/LSTM/GRU kernels run float32 only, so a float64 model's
weights are rounded to float32.

Each layer is standard operators:
    Embedding            Gather(E, ids)
    Dense                MatMul(x, kernel), Add(bias), then Tanh | Sigmoid | Relu | Softmax
    SimpleRNN/LSTM/GRU   RNN | LSTM | GRU, time-major (a Transpose in and out), weights in
                         ONNX's layout: W (1, G*H, D) = kernel^T, R (1, G*H, H) =
                         recurrent_kernel^T, B (1, 2*G*H) = [input bias, recurrent bias]
                         (0 for SimpleRNN and LSTM, whose one bias is the input one). LSTM
                         gates go from i, f, c, o to ONNX's i, o, f, c; GRU keeps z, r, h, with
                         linear_before_reset=1 for the reset-after form and 0 for
                         reset_after=False (one input bias, recurrent bias 0). Activations by
                         name; linear is Affine(alpha 1, beta 0).
    go_backwards         Slice(step -1) on the time axis first; the outputs stay in reading
                         order, as Keras returns them
    Bidirectional        both directions, the backward outputs flipped back, then Concat |
                         Add | Mul | Add and Mul 0.5
    TimeDistributed      its Dense (which acts per step already)
    RepeatVector         Unsqueeze, Tile
    Dropout              nothing (inference)

Masks are refused: ONNX's recurrent operators skip only trailing steps (`sequence_lens`),
while Masking and Embedding(mask_zero=True) may mark any step. Stateful layers start every
run from zero states, as `predict` does after `reset_states()`. The model's config and the
`extras` (a task's vocabulary, scaler, ...) are stored as JSON in metadata_props
("unrolled.model", "unrolled.extras"); the graph does not use them.
"""

import json

import numpy as np

from unrolled.errors import InputError
from unrolled.files import atomic_path
from unrolled.interop import dims, require

onnx = require("onnx", "ONNX export")
helper, numpy_helper = onnx.helper, onnx.numpy_helper

OPSET = 17
IR_VERSION = 8  # the IR version that came with opset 17 (ONNX 1.12): older runtimes read it
OPS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
ACTIVATIONS = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu", "linear": "Affine"}
MERGES = {"concat": "Concat", "sum": "Add", "mul": "Mul", "ave": "Add"}


class _Graph:
    """Nodes and weights in the making; every value gets a fresh name."""

    def __init__(self):
        self.nodes, self.weights, self._count = [], [], 0

    def name(self, hint):
        self._count += 1
        return f"{hint}/{self._count}"

    def constant(self, array, hint):
        """A float32 (or int64) weight; returns its name."""
        array = np.asarray(array)
        array = array.astype(np.int64 if array.dtype.kind in "iu" else np.float32)
        name = self.name(hint)
        self.weights.append(numpy_helper.from_array(array, name))
        return name

    def add(self, op, inputs, hint, outputs=1, **attributes):
        """Append one `op` node; returns its output name (a list when outputs > 1)."""
        names = [self.name(f"{hint}/{op}") for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, names, name=names[0], **attributes))
        return names[0] if outputs == 1 else names


def _reverse_time(g, x, hint):
    """x (N, T, ...) with its time axis reversed (Slice with step -1)."""
    ends = np.iinfo(np.int64).min  # past the first step, whatever T is
    args = [g.constant([v], f"{hint}/slice") for v in (-1, ends, 1, -1)]  # starts ends axes steps
    return g.add("Slice", [x, *args], hint)


def _recurrent(g, layer, x):
    """One direction: x (N, T, D) -> (N, T, H) with return_sequences, else the final h (N, H)."""
    hint, H = layer.name, layer.units
    kernel, recurrent_kernel, *bias = layer.get_weights()
    W, R = kernel.T, recurrent_kernel.T  # (G*H, D), (G*H, H)
    if layer.kind == "gru" and layer.reset_after:
        B = np.concatenate(bias[0]) if bias else None  # [input bias, recurrent bias] (6H,)
    else:
        B = np.concatenate([bias[0], np.zeros_like(bias[0])]) if bias else None
    acts = {  # ONNX's f (gates), g (candidate), h (LSTM's cell output)
        "rnn": [layer.activation],
        "gru": [getattr(layer, "recurrent_activation", None), layer.activation],
        "lstm": [getattr(layer, "recurrent_activation", None), layer.activation, layer.activation],
    }[layer.kind]
    if layer.kind == "lstm":  # i, f, c, o -> ONNX's i, o, f, c
        order = np.concatenate([np.arange(k * H, (k + 1) * H) for k in (0, 3, 1, 2)])
        W, R = W[order], R[order]
        B = None if B is None else np.concatenate([B[: 4 * H][order], B[4 * H :]])
    attributes = {"hidden_size": H, "activations": [ACTIVATIONS[a] for a in acts]}
    if "linear" in acts:  # Affine(x) = alpha x + beta; every listed value is the same
        attributes.update(activation_alpha=[1.0] * len(acts), activation_beta=[0.0] * len(acts))
    if layer.kind == "gru":
        attributes["linear_before_reset"] = int(layer.reset_after)
    if layer.go_backwards:
        x = _reverse_time(g, x, hint)
    inputs = [
        g.add("Transpose", [x], hint, perm=[1, 0, 2]),  # (T, N, D)
        g.constant(W[None], f"{hint}/W"),
        g.constant(R[None], f"{hint}/R"),
    ]
    if B is not None:
        inputs.append(g.constant(B[None], f"{hint}/B"))
    Y, Y_h = g.add(OPS[layer.kind], inputs, hint, outputs=2, **attributes)
    if not layer.return_sequences:
        return g.add("Squeeze", [Y_h, g.constant([0], f"{hint}/axes")], hint)  # (N, H)
    Y = g.add("Squeeze", [Y, g.constant([1], f"{hint}/axes")], hint)  # (T, 1, N, H) -> (T, N, H)
    return g.add("Transpose", [Y], hint, perm=[1, 0, 2])


def _bidirectional(g, layer, x):
    hint = layer.name
    y_fw = _recurrent(g, layer.forward_layer, x)
    y_bw = _recurrent(g, layer.backward_layer, x)
    if layer.return_sequences:
        y_bw = _reverse_time(g, y_bw, hint)  # back to the caller's time order
    if layer.merge_mode is None:
        return [y_fw, y_bw]
    attributes = {"axis": -1} if layer.merge_mode == "concat" else {}
    y = g.add(MERGES[layer.merge_mode], [y_fw, y_bw], hint, **attributes)
    if layer.merge_mode == "ave":
        y = g.add("Mul", [y, g.constant(np.float32(0.5), f"{hint}/half")], hint)
    return y


def _dense(g, layer, x):
    hint = layer.name
    kernel, *bias = layer.get_weights()
    y = g.add("MatMul", [x, g.constant(kernel, f"{hint}/kernel")], hint)
    if bias:
        y = g.add("Add", [y, g.constant(bias[0], f"{hint}/bias")], hint)
    if layer.activation == "softmax":
        return g.add("Softmax", [y], hint, axis=-1)
    if layer.activation != "linear":
        return g.add(ACTIVATIONS[layer.activation], [y], hint)
    return y


def _embedding(g, layer, ids):
    if layer.mask_zero:
        _refuse_mask(layer, "Embedding(mask_zero=True)")
    (E,) = layer.get_weights()
    return g.add("Gather", [g.constant(E, f"{layer.name}/embeddings"), ids], layer.name, axis=0)


def _repeat_vector(g, layer, x):
    hint = layer.name
    x = g.add("Unsqueeze", [x, g.constant([1], f"{hint}/axes")], hint)  # (N, 1, D)
    return g.add("Tile", [x, g.constant([1, layer.n, 1], f"{hint}/repeats")], hint)


def _masking(g, layer, x):
    _refuse_mask(layer, "Masking")


def _refuse_mask(layer, what):
    raise InputError(
        f"layer '{layer.name}' ({what}) marks padded steps, which ONNX's RNN/LSTM/GRU "
        "operators cannot skip (sequence_lens trims only trailing steps); export with "
        "format='torch', or train on unpadded sequences without it"
    )


EMITTERS = {
    "Embedding": _embedding,
    "Dense": _dense,
    "Dropout": lambda g, layer, x: x,
    "TimeDistributed": lambda g, layer, x: EMITTERS[type(layer.layer).__name__](g, layer.layer, x),
    "RepeatVector": _repeat_vector,
    "Masking": _masking,
    "SimpleRNN": _recurrent,
    "LSTM": _recurrent,
    "GRU": _recurrent,
    "Bidirectional": _bidirectional,
}


def to_onnx(model, extras=None):
    """The built Sequential `model` as an onnx.ModelProto (checked by onnx.checker)."""
    if not model.built:
        raise InputError("build the model (fit, predict or build) before export()")
    ids = type(model.layers[0]).__name__ == "Embedding"
    g = _Graph()
    x = "x"
    for layer in model.layers:
        x = EMITTERS[type(layer).__name__](g, layer, x)
    outputs, shapes, names = [x], [model.output_shape], ["y"]
    if isinstance(x, list):  # Bidirectional(merge_mode=None): Keras's pair of outputs
        outputs, shapes, names = x, model.output_shape, ["y_forward", "y_backward"]
    for name, value in zip(names, outputs, strict=True):
        g.nodes.append(helper.make_node("Identity", [value], [name], name=name))
    x_type = onnx.TensorProto.INT64 if ids else onnx.TensorProto.FLOAT
    graph = helper.make_graph(
        g.nodes,
        model.name,
        [helper.make_tensor_value_info("x", x_type, dims(model.input_shape))],
        [
            helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, dims(shape))
            for name, shape in zip(names, shapes, strict=True)
        ],
        g.weights,
    )
    proto = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="unrolled"
    )
    proto.ir_version = IR_VERSION
    properties = {"unrolled.model": json.dumps(model.get_config())}
    if extras is not None:
        properties["unrolled.extras"] = json.dumps(extras)
    helper.set_model_props(proto, properties)
    onnx.checker.check_model(proto)
    return proto


def save_onnx(model, path, extras=None):
    """Write `to_onnx(model, extras)` to `path` (atomically)."""
    proto = to_onnx(model, extras)
    with atomic_path(path) as tmp:
        tmp.write_bytes(proto.SerializeToString())
