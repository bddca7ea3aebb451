"""The math of `unrolled trace`: one sequence through the real step functions, kept as records.

Forward, step t (from h_0 = 0, c_0 = 0):  h_t = cell(x_t, h_{t-1}),  y_t = W_hy h_t + b_y,
p_t = softmax(y_t), loss_t = -log p_t[target_t]. Backward, newest step first:

    dL/dy_t = p_t - onehot(target_t)
    dL/dh_t = W_hy^T dL/dy_t  +  dL/dh_t from step t+1     (the second part is 0 at the end)
    (dx_t, dL/dh_{t-1}, dWx_t, dWh_t, db_t) = cell_step_backward(dL/dh_t, cache_t)

and each weight's gradient is the sum of its per-step contributions (the weights are shared).
Weights are in Keras layout (Wx (D, G*H), Wh (H, G*H)); the records give gradients in the
tutorial's layout, W_xh = Wx^T, W_hh = Wh^T, W_hy = Wy^T.
"""

from dataclasses import dataclass, field

import numpy as np

from unrolled.functional import activations
from unrolled.functional.gru import gru_step_backward, gru_step_forward
from unrolled.functional.lstm import lstm_step_backward, lstm_step_forward
from unrolled.functional.rnn import rnn_step_backward, rnn_step_forward
from unrolled.gradcheck import relative_error

FD_STEP = 1e-6  # central differences in float64: ~1e-10 relative error
FD_MAX_ENTRIES = 200  # bigger arrays (trained models) are checked on a seeded sample of entries
WEIGHTS = {"dW_xh": "Wx", "dW_hh": "Wh", "db": "b", "dW_hy": "Wy", "db_y": "by"}


@dataclass
class Net:
    """What a trace runs: a cell's weights (Keras layout, float64) and the output layer."""

    kind: str  # "rnn" | "lstm" | "gru"
    vocab: list  # symbols in index order
    embed: np.ndarray  # (V, D): row v is symbol v's input vector (the identity: one-hot)
    Wx: np.ndarray  # (D, G*H)
    Wh: np.ndarray  # (H, G*H)
    b: np.ndarray | None  # (G*H,), the GRU's (2, 3H), or None
    Wy: np.ndarray  # (H', V) output layer
    by: np.ndarray | None  # (V,) or None
    activation: str = "tanh"
    recurrent_activation: str = "sigmoid"
    head: list = field(default_factory=list)  # a saved model's layers between cell and output
    level: str = "char"  # "char" or "word": how the report joins symbols
    tokenize: object = None  # text -> symbols (a saved Vocabulary's); None: characters
    tutorial: bool = False  # the tutorial's own network (the report adds its numbers)
    about: list = field(default_factory=list)  # where the weights came from, one line each

    @property
    def onehot(self):
        """Whether each input vector is its symbol's one-hot row (no Embedding)."""
        return np.array_equal(self.embed, np.eye(len(self.vocab)))


@dataclass
class Step:
    """One forward step of one sequence; vectors are 1-D."""

    t: int  # 1-based
    input: str
    target: str  # the next symbol
    x: np.ndarray  # (D,) the input vector
    prev_h: np.ndarray  # (H,)
    parts: dict  # key -> (H,): the vectors between h_{t-1} and h_t (report.PARTS)
    h: np.ndarray  # (H,)
    c: np.ndarray | None  # (H,) the LSTM's cell state
    y: np.ndarray  # (V,) scores
    p: np.ndarray  # (V,) softmax(y)
    predicted: str
    loss: float  # -log p[target]
    cache: object = field(repr=False)  # the step function's cache, for the backward pass
    top: np.ndarray = field(repr=False, default=None)  # (H',) what the output layer read


@dataclass
class BackStep:
    t: int
    dy: np.ndarray  # (V,) dL/dy_t = p_t - onehot(target)
    dh_output: np.ndarray  # (H,) W_hy^T dL/dy_t: from this step's own output
    dh_future: np.ndarray  # (H,) dL/dh_t sent back by step t+1 (0 at the last step)
    dh: np.ndarray  # (H,) their sum
    dc_future: np.ndarray | None  # (H,) the LSTM's dL/dc_t from step t+1
    contributions: dict  # this step's "dW_xh", "dW_hh", "db", "dW_hy" (, "db_y")


@dataclass
class Gradient:
    analytic: np.ndarray  # summed over the steps, tutorial layout
    numeric: np.ndarray  # central finite differences (NaN where not sampled)
    relative_error: float  # ||a - n|| / max(||a||, ||n||) over the checked entries


def cell_step(net, x, prev_h, prev_c):
    """One step of the real cell: x (1, D), prev_h, prev_c (1, H) -> h, c, parts, cache."""
    if net.kind == "rnn":
        h, cache = rnn_step_forward(x, prev_h, net.Wx, net.Wh, net.b, net.activation)
        recurrent = prev_h @ net.Wh + (0 if net.b is None else net.b)
        return h, None, {"Wx_x": x @ net.Wx, "Wh_h_b": recurrent}, cache
    if net.kind == "lstm":
        h, c, cache = lstm_step_forward(
            x, prev_h, prev_c, net.Wx, net.Wh, net.b, net.activation, net.recurrent_activation
        )
        return h, c, {"f": cache.f, "i": cache.i, "g": cache.g, "o": cache.o, "c": c}, cache
    h, cache = gru_step_forward(
        x, prev_h, net.Wx, net.Wh, net.b, net.activation, net.recurrent_activation
    )
    return h, None, {"z": cache.z, "r": cache.r, "hh": cache.hh}, cache


def forward(net, inputs, targets):
    """Feed the symbols one at a time from h_0 = 0 (and c_0 = 0); returns a list of Steps."""
    H = net.Wh.shape[0]
    h, c = np.zeros((1, H)), np.zeros((1, H))
    head_states = [None] * len(net.head)
    steps = []
    for t, (symbol, target) in enumerate(zip(inputs, targets, strict=True), start=1):
        x = net.embed[net.vocab.index(symbol)][None, :]  # (1, D)
        prev_h = h
        h, c, parts, cache = cell_step(net, x, prev_h, c)
        top = h
        for k, layer in enumerate(net.head):  # a saved model's deeper layers, inference only
            top, head_states[k] = layer.step(top, head_states[k])
        y = (top @ net.Wy + (0 if net.by is None else net.by))[0]  # (V,) scores
        logp = activations.log_softmax(y)
        steps.append(
            Step(
                t,
                symbol,
                target,
                x[0],
                prev_h[0],
                {k: v[0] for k, v in parts.items()},
                h[0],
                c[0] if net.kind == "lstm" else None,
                y,
                np.exp(logp),
                predicted=net.vocab[int(np.argmax(y))],
                loss=float(-logp[net.vocab.index(target)]),  # cross-entropy of the next symbol
                cache=cache,
                top=np.asarray(top)[0],
            )
        )
    return steps


def total_loss(steps):
    return float(sum(s.loss for s in steps))


def backward(net, steps):
    """BPTT with the real step backward functions, newest step first.

    Returns BackSteps (newest first) and the summed gradients in the tutorial's layout
    (W_xh (G*H, D), W_hh (G*H, H), W_hy (V, H)): the transposes of Keras's kernels.
    """
    H = net.Wh.shape[0]
    dnext_h, dnext_c = np.zeros((1, H)), np.zeros((1, H))
    totals, back = {}, []
    for s in reversed(steps):
        dy = s.p.copy()
        dy[net.vocab.index(s.target)] -= 1  # d(-log softmax(y)[target]) / dy
        dh_output = dy @ net.Wy.T  # (H,) through y_t = W_hy h_t
        dh = (dh_output + dnext_h[0])[None, :]  # its own output + what step t+1 sent back
        dc_future = dnext_c[0].copy() if net.kind == "lstm" else None
        if net.kind == "rnn":
            _, dprev_h, dWx, dWh, db = rnn_step_backward(dh, s.cache)
        elif net.kind == "lstm":
            _, dprev_h, dnext_c, dWx, dWh, db = lstm_step_backward(dh, dnext_c, s.cache)
        else:
            _, dprev_h, dWx, dWh, db = gru_step_backward(dh, s.cache)
        contrib = {"dW_xh": dWx.T, "dW_hh": dWh.T, "db": db, "dW_hy": np.outer(dy, s.top)}
        contrib["db_y"] = None if net.by is None else dy
        contrib = {k: v for k, v in contrib.items() if v is not None}
        for name, value in contrib.items():
            totals[name] = totals.get(name, 0) + value  # shared weights: the gradients add up
        back.append(BackStep(s.t, dy, dh_output, dnext_h[0].copy(), dh[0], dc_future, contrib))
        dnext_h = dprev_h
    return back, totals


def check_gradients(net, inputs, targets, totals, seed):
    """Each summed gradient beside central finite differences of the total loss (float64)."""
    rng = np.random.default_rng(seed)
    checked = {}
    for name, analytic in totals.items():
        weights = getattr(net, WEIGHTS[name])  # perturbed in place; forward() reads it
        flat = weights.reshape(-1)
        picks = np.arange(flat.size)
        if flat.size > FD_MAX_ENTRIES:
            picks = np.sort(rng.choice(flat.size, FD_MAX_ENTRIES, replace=False))
        numeric = np.full(flat.size, np.nan)
        for i in picks:
            old = flat[i]
            flat[i] = old + FD_STEP
            plus = total_loss(forward(net, inputs, targets))
            flat[i] = old - FD_STEP
            minus = total_loss(forward(net, inputs, targets))
            flat[i] = old
            numeric[i] = (plus - minus) / (2 * FD_STEP)
        numeric = numeric.reshape(weights.shape)
        numeric = numeric.T if name.startswith("dW") else numeric  # to the tutorial's layout
        seen = ~np.isnan(numeric)
        checked[name] = Gradient(analytic, numeric, relative_error(analytic[seen], numeric[seen]))
    return checked
