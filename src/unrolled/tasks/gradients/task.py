"""`unrolled gradients`: vanishing and exploding gradients, measured with the real engine.

For each cell (SimpleRNN, LSTM, GRU) and each scale s of the recurrent weights, run a batch
of random sequences forward with the step functions, put a loss on the last state only,
L = sum_n v_n . h_T (v_n a random unit vector), and backpropagate with the step backward
functions from t = T-1 down, recording ||dL/dh_{T-k}|| for k = 0 .. T-1. By the chain rule

    dL/dh_{t-1} = J_t^T dL/dh_t,    J_t = dh_t/dh_{t-1} = diag(tanh'(a_t)) W_hh^T  (SimpleRNN)

so the norm after k steps is a product of k Jacobians: it shrinks geometrically when they
contract (s < 1: vanishing) and grows when they expand (s > 1: exploding). The LSTM adds a
path through its cell state, dc_{t-1} = f_t * dc_t, which a forget gate near 1 leaves open
(Hochreiter & Schmidhuber 1997; forget bias 1 as Jozefowicz et al. 2015 and Keras).

Setup (printed with the results): each gate's recurrent block is s times a random orthogonal
(H, H) matrix, so its spectral radius is exactly s; inputs are small, N(0, 0.1^2), through
N(0, 1/D) input weights, so the tanh units start near their linear regime, where s alone
decides the direction. With large s the state saturates and tanh' < 1 damps each step, yet
with enough units the dynamics turn chaotic (Sompolinsky et al. 1988) and the product of
Jacobians still grows: measured here, not assumed. (With H = 8 it no longer does.)
Backward is linear in dL/dh, so each step's gradient is rescaled to unit size and the scale
kept as a logarithm: the norms are exact even where they pass 1e308 or fall below 1e-308.
"""

import json
import math
from dataclasses import dataclass

import numpy as np

from unrolled.errors import invalid
from unrolled.functional.gru import gru_step_backward, gru_step_forward
from unrolled.functional.lstm import lstm_step_backward, lstm_step_forward
from unrolled.functional.rnn import rnn_step_backward, rnn_step_forward
from unrolled.initializers import orthogonal
from unrolled.tasks._shared.cells import GATES, KINDS, initial_bias
from unrolled.tasks._shared.flags import (
    add_cells_flag,
    add_common_flags,
    add_task_parser,
    comma_list,
    config_from,
)
from unrolled.tasks._shared.plots import write_plot_and_json
from unrolled.tasks._shared.settings import as_json, check_cells, check_common, check_integer, flag
from unrolled.tasks.gradients import report as gradients_report

LEARNING_RATE = 0.01  # for the clipping demo: the size of one SGD step


@dataclass
class Config:
    cells: tuple = KINDS  # which cells to measure
    scales: tuple = (0.5, 1.0, 1.5, 3.0)  # recurrent weights = scale * orthogonal (per gate)
    steps: int = 100  # T, the sequence length; the loss sits on the last step
    hidden: int = 32  # H: enough units for chaos at large scales, few enough to be instant
    inputs: int = 8  # D, input features
    input_scale: float = 0.1  # std of the inputs: small, so tanh starts near linear
    batch: int = 16  # N sequences; the table shows the geometric mean of their norms
    clip: float = 1.0  # global-norm clipping applied to the most exploding case
    seed: int = 0  # same seed, same weights, inputs and numbers
    out: str | None = None  # folder for gradients.png and gradients.json; None: runs/...
    quiet: bool = False  # print only the table
    json: bool = False  # print gradients.json to stdout instead of the text


@dataclass
class Curve:
    cell: str
    scale: float
    spectral_radius: float  # largest |eigenvalue| over the gates' recurrent blocks
    log10_norms: np.ndarray  # (T,) log10 ||dL/dh_{T-k}||, k = 0 .. T-1 (geometric mean over N)
    factor: float | None  # fitted per-step factor: 10**slope of log10 norm vs k
    log10_grad: float  # log10 ||dL/dW|| over all weights (for the clipping demo)
    Wh_norm: float  # ||W_hh||, to compare one SGD step with

    def norm(self, k):
        return 10.0 ** self.log10_norms[k]


@dataclass
class Result:
    config: Config
    curves: list
    clip: dict | None
    files: dict

    def to_json(self):
        return {
            "task": "gradients",
            "setup": as_json(self.config),
            "curves": [
                {
                    "cell": c.cell,
                    "scale": c.scale,
                    "spectral_radius": c.spectral_radius,
                    "factor": c.factor,
                    "log10_norms": [round(float(v), 6) for v in c.log10_norms],
                }
                for c in self.curves
            ],
            "clip": self.clip,
        }


def make_weights(cell, scale, config, rng):
    """Wx (D, G*H) ~ N(0, 1/D); Wh (H, G*H): each gate's (H, H) block = scale * orthogonal."""
    H, D, G = config.hidden, config.inputs, GATES[cell]
    Wx = rng.normal(0.0, 1.0 / math.sqrt(D), (D, G * H))
    Wh = np.concatenate([orthogonal((H, H), rng, np.float64) for _ in range(G)], axis=1) * scale
    return Wx, Wh, initial_bias(cell, H)  # forget-gate bias 1


def spectral_radius(Wh):
    H = Wh.shape[0]
    blocks = [Wh[:, k : k + H] for k in range(0, Wh.shape[1], H)]
    return float(max(np.abs(np.linalg.eigvals(B)).max() for B in blocks))


def backward_norms(cell, x, Wx, Wh, b, v):
    """Forward with the step functions, then BPTT from dL/dh_T = v down to h_0.

    x (T, N, D) time-major, v (N, H). Returns log10 ||dL/dh_{T-k}|| of shape (T + 1, N) for
    k = 0 .. T (k = T is the initial state), a log10 scale S and the weight gradients
    {"Wx", "Wh", "b"}, each the exact gradient divided by 10**S.
    """
    T, N, _ = x.shape
    H = Wh.shape[0]
    h, c = np.zeros((N, H)), np.zeros((N, H))
    caches = []
    for t in range(T):
        if cell == "rnn":
            h, cache = rnn_step_forward(x[t], h, Wx, Wh, b)
        elif cell == "lstm":
            h, c, cache = lstm_step_forward(x[t], h, c, Wx, Wh, b)
        else:
            h, cache = gru_step_forward(x[t], h, Wx, Wh, b)
        caches.append(cache)
    dh, dc = v.copy(), np.zeros((N, H))
    log_scale = 0.0  # the true gradients are 10**log_scale times the carried dh and dc
    log_norms = np.empty((T + 1, N))
    steps = []  # (log10 scale, {"Wx": dWx, "Wh": dWh, "b": db}) per step
    for k, t in enumerate(reversed(range(T))):
        with np.errstate(divide="ignore"):  # a norm of exactly 0 is log10 -inf, not an error
            log_norms[k] = log_scale + np.log10(np.linalg.norm(dh, axis=1))
        if cell == "rnn":
            _, dh, dWx, dWh, db = rnn_step_backward(dh, caches[t])
        elif cell == "lstm":
            _, dh, dc, dWx, dWh, db = lstm_step_backward(dh, dc, caches[t])
        else:
            _, dh, dWx, dWh, db = gru_step_backward(dh, caches[t])
        steps.append((log_scale, {"Wx": dWx, "Wh": dWh, "b": db}))
        big = max(np.abs(dh).max(), np.abs(dc).max())
        if big > 0:  # backward is linear in (dh, dc): rescale, remember the factor
            dh, dc = dh / big, dc / big
            log_scale += math.log10(big)
    with np.errstate(divide="ignore"):
        log_norms[T] = log_scale + np.log10(np.linalg.norm(dh, axis=1))
    # dL/dW = sum_t 10**s_t g_t = 10**S sum_t 10**(s_t - S) g_t, S = max s_t: never overflows
    S = max(s for s, _ in steps)
    grads = {name: sum(10.0 ** (s - S) * g[name] for s, g in steps) for name in ("Wx", "Wh", "b")}
    return log_norms, S, grads


def measure(cell, scale, config):
    """One (cell, scale): weights, inputs and readout vectors from its own seeded generator."""
    rng = np.random.default_rng([config.seed, KINDS.index(cell), round(scale * 1000)])
    T, N = config.steps, config.batch
    Wx, Wh, b = make_weights(cell, scale, config, rng)
    x = rng.normal(0.0, config.input_scale, (T, N, config.inputs))  # (T, N, D)
    v = rng.normal(size=(N, config.hidden))
    v /= np.linalg.norm(v, axis=1, keepdims=True)  # dL/dh_T: one unit vector per sequence
    log_norms, S, grads = backward_norms(cell, x, Wx, Wh, b, v)
    mean_log = log_norms[:T].mean(axis=1)  # k = 0 .. T-1; geometric mean over the N sequences
    finite = np.isfinite(mean_log)
    factor = None
    if finite.sum() > 1:
        slope = np.polyfit(np.arange(T)[finite], mean_log[finite], 1)[0]
        factor = float(10.0**slope)
    total = math.sqrt(sum(float((g * g).sum()) for g in grads.values()))
    log10_grad = S + math.log10(total) if total > 0 else -math.inf
    return Curve(
        cell,
        float(scale),
        spectral_radius(Wh),
        mean_log,
        factor,
        log10_grad,
        float(np.linalg.norm(Wh)),
    )


def clipping(curves, clip):
    """What global-norm clipping does to the most exploding case's weight gradient."""
    worst = max(curves, key=lambda c: c.log10_grad)
    ratio_log = math.log10(clip) - worst.log10_grad  # the clip multiplies every gradient by this
    step_log = math.log10(LEARNING_RATE) + worst.log10_grad  # ||lr * g||, unclipped
    clipped = 10.0 ** min(worst.log10_grad, math.log10(clip))  # ||g|| * min(1, clip / ||g||)
    return {
        "cell": worst.cell,
        "scale": worst.scale,
        "clip": clip,
        "log10_grad_norm": worst.log10_grad,
        "clipped_norm": clipped,
        "log10_multiplier": min(0.0, ratio_log),
        "learning_rate": LEARNING_RATE,
        "log10_step_unclipped": step_log,
        "step_clipped": LEARNING_RATE * clipped,
        "Wh_norm": worst.Wh_norm,
        "factor": worst.factor,
    }


def _check(config):
    check_cells(config.cells, KINDS)
    for s in config.scales:
        if not (isinstance(s, (int, float)) and math.isfinite(s) and s > 0):
            raise invalid("--scales", "positive numbers", s)
    if not config.scales:
        raise invalid("--scales", "at least one positive number", "")
    for name, values in (("--cells", config.cells), ("--scales", config.scales)):
        if len(set(values)) < len(values):  # a repeat would print the same rows twice
            raise invalid(name, "distinct values", ",".join(map(str, values)))
    # T >= 2: one step back (k = 1) and a per-step factor fitted through at least two norms
    for name, low, high in (
        ("steps", 2, 100_000),
        ("hidden", 1, 1024),
        ("inputs", 1, 1024),
        ("batch", 1, 4096),
    ):
        check_integer(getattr(config, name), flag(name), low, high)
    if not (math.isfinite(config.input_scale) and config.input_scale >= 0):
        raise invalid("--input-scale", "a number >= 0", config.input_scale)
    if not (math.isfinite(config.clip) and config.clip > 0):
        raise invalid("--clip", "a number > 0", config.clip)
    check_common(config, "gradients")


def run(config):
    """Measure every (cell, scale); write gradients.png and gradients.json."""

    _check(config)
    curves = [measure(c, s, config) for c in config.cells for s in config.scales]
    result = Result(config, curves, clipping(curves, config.clip), {})
    write_plot_and_json(result, "gradients", gradients_report.plot, config.out)
    return result


def add_parser(subparsers):
    help = "vanishing and exploding gradients through time, measured"
    p = add_task_parser(subparsers, "gradients", help, __doc__)
    d = Config()
    add_cells_flag(p, d.cells)
    p.add_argument(
        "--scales",
        type=comma_list(float, "numbers"),
        default=",".join(f"{v:g}" for v in d.scales),
        help="comma-separated scales of the recurrent weights",
    )
    p.add_argument("--steps", "-T", type=int, default=d.steps, help="sequence length T")
    p.add_argument("--hidden", type=int, default=d.hidden, help="hidden units H")
    p.add_argument("--inputs", type=int, default=d.inputs, help="input features D")
    p.add_argument("--input-scale", type=float, default=d.input_scale, help="std of the inputs")
    p.add_argument("--batch", type=int, default=d.batch, help="sequences averaged")
    p.add_argument("--clip", type=float, default=d.clip, help="clip norm for the demo")
    add_common_flags(p, quiet="print only the table", json="print gradients.json to stdout")
    p.set_defaults(func=main)
    return p


def main(args):
    config = config_from(Config, args)
    result = run(config)
    if config.json:
        print(json.dumps(result.to_json(), indent=2))
    elif config.quiet:
        print(gradients_report.format_table_text(result))
    else:
        print(gradients_report.format_text(result))
        print("\n" + "\n".join(f"{name}: {path}" for name, path in result.files.items()))
    return 0
