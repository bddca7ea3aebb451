"""The networks `unrolled trace` can run, each a `Net` (steps.py):

    tutorial_net   the tutorial's worked example, with its printed weights
    random_net     an RNN, LSTM or GRU over the same vocabulary with seeded random weights
    model_net      the first recurrent layer of a model file another task saved
All three are float64, as the finite-difference check of `--backward` needs.
"""

import numpy as np

from unrolled.errors import InputError, invalid
from unrolled.tasks._shared.cells import GATES, KIND_OF, initial_bias
from unrolled.tasks._shared.user_files import load_model_file
from unrolled.tasks.trace.steps import Net

TUTORIAL_VOCAB = ("h", "e", "l", "o")
TUTORIAL_W_XH = [  # (H, V) = (3, 4): the tutorial's W_xh, column v = symbol v's weights
    [0.287027, 0.84606, 0.572392, 0.486813],
    [0.902874, 0.871522, 0.691079, 0.18998],
    [0.537524, 0.09224, 0.558159, 0.491528],
]
TUTORIAL_W_HY = [  # (V, H) = (4, 3)
    [0.37168, 0.974829459, 0.830034886],
    [0.39141, 0.282585823, 0.659835709],
    [0.64985, 0.09821557, 0.334287084],
    [0.91266, 0.32581642, 0.144630018],
]
TUTORIAL_W_HH, TUTORIAL_B = 0.42703, 0.567  # a scalar times I; one bias shared by every unit


def tutorial_net():
    """The tutorial's hello network (float64)."""
    H = 3
    return Net(
        kind="rnn",
        vocab=list(TUTORIAL_VOCAB),
        embed=np.eye(4),
        Wx=np.array(TUTORIAL_W_XH).T.copy(),  # (D, H) Keras layout = W_xh^T
        Wh=TUTORIAL_W_HH * np.eye(H),
        b=np.full(H, TUTORIAL_B),
        Wy=np.array(TUTORIAL_W_HY).T.copy(),  # (H, V)
        by=None,
        tutorial=True,
        about=[
            "the tutorial's worked example",
            f"W_xh (3x4) and W_hy (4x3) as printed there, W_hh = {TUTORIAL_W_HH} * I, "
            f"b = {TUTORIAL_B} in every unit, no output bias",
        ],
    )


def random_net(kind, seed, H=3):
    """A `kind` cell over the tutorial's vocabulary with N(0, 0.5^2) weights drawn from `seed`."""
    rng = np.random.default_rng(seed)
    V = len(TUTORIAL_VOCAB)
    G = GATES[kind]
    return Net(
        kind=kind,
        vocab=list(TUTORIAL_VOCAB),
        embed=np.eye(V),
        Wx=rng.normal(0, 0.5, (V, G * H)),
        Wh=rng.normal(0, 0.5, (H, G * H)),
        b=initial_bias(kind, H),  # forget-gate bias 1, as Keras's unit_forget_bias
        Wy=rng.normal(0, 0.5, (H, V)),
        by=None,
        about=[f"random weights N(0, 0.5^2), seed {seed}; hidden size {H}"]
        + (
            ["forget-gate bias 1 (Keras's unit_forget_bias), other biases 0"]
            if kind == "lstm"
            else []
        ),
    )


def model_net(path, backward=False):
    """The first recurrent layer of a saved model, with what feeds it and what reads it.

    backward: the trace will run BPTT, which needs the layer to feed the output Dense directly.
    """
    from unrolled.data.vocab import Vocabulary

    model, extras = load_model_file(path, "--model")
    if not extras or "vocabulary" not in extras:
        raise invalid("--model", "a model file with a vocabulary in its extras", str(path))
    vocab = Vocabulary.from_state(extras["vocabulary"])
    layers = list(model.layers)
    names = [type(layer).__name__ for layer in layers]
    first = next((k for k, n in enumerate(names) if n in KIND_OF), None)
    if first is None or first > 1 or (first == 1 and names[0] != "Embedding"):
        raise invalid(
            "--model",
            "a model whose first recurrent layer takes one-hot input or follows an Embedding",
            " -> ".join(names),
        )
    if names[-1] != "Dense":
        raise invalid("--model", "a model that ends in a Dense layer", " -> ".join(names))
    cell, dense = layers[first], layers[-1]
    cfg, dense_cfg = cell.get_config(), dense.get_config()
    if dense_cfg.get("activation") not in (None, "linear", "softmax"):
        raise invalid("--model", "a softmax or linear output layer", dense_cfg.get("activation"))
    if cfg.get("go_backwards"):
        raise invalid("--model", "a recurrent layer that reads forwards", "go_backwards=True")
    V = len(vocab)
    embed = layers[0].params["embeddings"] if first == 1 else np.eye(V)
    if cell.params["kernel"].shape[0] != embed.shape[1] or dense.params["kernel"].shape[1] != V:
        raise invalid(
            "--model",
            f"one-hot or embedded inputs and {V} outputs (its vocabulary)",
            f"kernel shapes {cell.params['kernel'].shape} ... {dense.params['kernel'].shape}",
        )

    head = layers[first + 1 : -1]
    if backward and head:  # BPTT through deeper layers is the model's business
        raise InputError(
            "Argument `--backward` traces BPTT when the recurrent layer feeds the output "
            f"Dense directly; this model has {len(head)} layer(s) in between "
            f"({' -> '.join(names)}). Trace it without --backward."
        )

    def f64(a):
        return None if a is None else np.array(a, dtype=np.float64)

    return Net(
        kind=KIND_OF[names[first]],
        vocab=list(vocab.symbols_),
        embed=f64(embed),
        Wx=f64(cell.params["kernel"]),
        Wh=f64(cell.params["recurrent_kernel"]),
        b=f64(cell.params.get("bias")),
        Wy=f64(dense.params["kernel"]),
        by=f64(dense.params.get("bias")),
        activation=cfg.get("activation") or "linear",
        recurrent_activation=cfg.get("recurrent_activation") or "sigmoid",
        head=head,
        level=vocab.level,
        tokenize=vocab.tokenize,
        about=[f"model {path}: " + " -> ".join(names)],
    )
