"""The text output of `unrolled trace`: small tables built from steps.py's records.

Nothing is computed here except what a reader needs to compare (the tutorial's own numbers,
the tutorial's scalar W_hh and b as traces and sums). One table per step: a row per named
vector, a column per hidden unit or vocabulary symbol; big vectors show their first units
and the most probable symbols.
"""

import numpy as np

from unrolled.tasks._shared.cells import GATE_LABELS, NAMES
from unrolled.tasks._shared.printing import format_table

SHOW = 8  # at most this many units or symbols per row
# per cell: (key, label) of the vectors a step shows between h_{t-1} and h_t
PARTS = {
    "rnn": (("Wx_x", "W_xh x_t"), ("Wh_h_b", "W_hh h_{t-1} + b")),
    "lstm": (
        ("f", "forget gate f_t"),
        ("i", "input gate i_t"),
        ("g", "candidate g_t"),
        ("o", "output gate o_t"),
        ("c", "cell state c_t"),
    ),
    "gru": (("z", "update gate z_t"), ("r", "reset gate r_t"), ("hh", "candidate h~_t")),
}
GATES = {"rnn": ("b",), **GATE_LABELS}  # per G*H block; the SimpleRNN's one reads as its bias b
TUTORIAL_E = (  # what the tutorial prints "for the letter e"
    "the tutorial, letter e: h_t = 0.936534 0.949104 0.762341, "
    "y_t = 1.90607732 1.13779113 0.95666016 1.27422602 (within 1e-5: its spreadsheet rounded)"
)


def _num(v):
    return f"{v:.6f}"


def _show(symbol):
    """A symbol as printable text ('\\n' for a newline)."""
    return repr(symbol)[1:-1]


def _table(rows, labels, order=None, title=""):
    """Rows (name, vector) -> indented table lines; at most SHOW columns (in `order` if given)."""
    idx = list(range(len(labels)) if order is None else order)[:SHOW]
    more = [f"(+{len(labels) - len(idx)})"] if len(labels) > len(idx) else []
    table = format_table(
        [title] + [labels[i] for i in idx] + more,
        [[name] + [_num(v[i]) for i in idx] + [""] * len(more) for name, v in rows],
    )
    return ["  " + line for line in table.splitlines()]


def _labels(net):
    """(units, gate units, input labels, vocabulary) for the column and row headers."""
    H, D = net.Wh.shape[0], net.Wx.shape[0]
    units = [f"unit {k + 1}" for k in range(H)]
    gates = (
        units if net.kind == "rnn" else [f"{g}{k + 1}" for g in GATES[net.kind] for k in range(H)]
    )
    vocab = [_show(v) for v in net.vocab]
    return units, gates, vocab if net.onehot else [f"x{k + 1}" for k in range(D)], vocab


def format_step(net, s, units, vocab):
    """One forward step's lines; `units` and `vocab` are the column headers (`_labels`)."""
    lines = [f'step {s.t}   input "{_show(s.input)}"   target "{_show(s.target)}"']
    if net.onehot and len(s.x) <= 16:
        onehot = " ".join(str(int(v)) for v in s.x)
        lines.append(f'  x_t = one-hot("{_show(s.input)}") = [{onehot}]')
    act = net.activation
    h_label = {
        "rnn": f"h_t = {act}(sum)",
        "lstm": f"h_t = o_t * {act}(c_t)",
        "gru": "h_t = z h_{t-1} + (1-z) h~",
    }[net.kind]
    rows = [("h_{t-1}", s.prev_h)] + [(label, s.parts[k]) for k, label in PARTS[net.kind]]
    lines += _table(rows + [(h_label, s.h)], units)
    order = None if len(vocab) <= SHOW else np.argsort(-s.p, kind="stable")
    y_label = "y_t (output scores)" if net.head else "y_t = W_hy h_t"
    lines += _table([(y_label, s.y), ("softmax(y_t)", s.p)], vocab, order)
    p_pred, p_target = (s.p[net.vocab.index(v)] for v in (s.predicted, s.target))
    right = "right" if s.predicted == s.target else "wrong"
    lines.append(
        f'  predicted "{_show(s.predicted)}" (p = {p_pred:.4f}), target '
        f'"{_show(s.target)}" (p = {p_target:.4f}): cross-entropy -log p = {s.loss:.4f}'
        f" ({right})"
    )
    if net.tutorial and s.t == 2 and s.input == "e":
        lines.append("  " + TUTORIAL_E)
    return lines


def format_backward(net, result):
    units, gates, inputs, vocab = _labels(net)
    dact = {
        "tanh": "1 - h_t^2",
        "sigmoid": "h_t (1 - h_t)",
        "relu": "[h_t > 0]",
        "linear": "1",
    }.get(net.activation, "act'")
    lines = [
        "",
        "Backward pass (BPTT), newest step first; L = the sum of the steps' cross-entropies.",
        "dL/dh_t = W_hy^T dL/dy_t (from its own output) + dL/dh_t sent back by step t+1.",
    ]
    steps = {s.t: s for s in result.steps}
    for b in result.back:
        s = steps[b.t]
        lines += ["", f'step {b.t}   input "{_show(s.input)}"   target "{_show(s.target)}"']
        lines += _table([("dL/dy_t = p_t - onehot", b.dy)], vocab)
        rows = [
            ("from y_t: W_hy^T dL/dy_t", b.dh_output),
            (f"from step {b.t + 1} (future)", b.dh_future),
            ("dL/dh_t (sum)", b.dh),
        ]
        if b.dc_future is not None:
            rows.append((f"dL/dc_t from step {b.t + 1}", b.dc_future))
        if net.kind == "rnn" and "db" in b.contributions:
            rows.append((f"dL/da_t = dL/dh_t * ({dact})", b.contributions["db"]))
        lines += _table(rows, units)
        if len(gates) * len(inputs) <= 64:  # small nets: this step's share of each gradient
            c = b.contributions
            lines.append("  this step's contribution to the gradients:")
            lines += _table(list(zip(gates, c["dW_xh"], strict=True)), inputs, title="dW_xh")
            lines += _table(list(zip(gates, c["dW_hh"], strict=True)), units, title="dW_hh")
            if "db" in c:
                lines += _bias_table(net, c["db"], units)
    lines += [
        "",
        f"Gradients summed over the {len(result.steps)} steps, beside central finite differences:",
    ]
    return lines + _gradient_lines(net, result.gradients, units, gates, inputs, vocab)


def _gate_rows(net, db, H):
    """A bias gradient as (labels, rows): one (H,) row per gate (and per input/recurrent half
    for the GRU's (2, 3H))."""
    halves = ("x ", "h ") if np.ndim(db) == 2 else ("",)
    labels = [f"{half}{gate}" for half in halves for gate in GATES[net.kind]]
    return labels, np.atleast_2d(db).reshape(-1, H)  # (halves * G, H)


def _bias_table(net, db, units, title="db"):
    """A bias gradient as one row per gate (and per input/recurrent half for the GRU)."""
    labels, rows = _gate_rows(net, db, len(units))
    return _table(list(zip(labels, rows, strict=True)), units, title=title)


def _gradient_lines(net, gradients, units, gates, inputs, vocab):
    shapes = {
        "dW_xh": (gates, inputs),
        "dW_hh": (gates, units),
        "dW_hy": (vocab, units),
        "db_y": (["b_y"], vocab),
    }
    lines = []
    for name, g in gradients.items():
        lines.append(f"  {name}: relative error {g.relative_error:.1e}")
        if g.analytic.size > 64:
            continue  # a trained model's matrices: the error says it all
        if name == "db":
            (rows, a), (_, n) = (_gate_rows(net, v, len(units)) for v in (g.analytic, g.numeric))
            cols = units
        else:
            a, n = np.atleast_2d(g.analytic), np.atleast_2d(g.numeric)
            rows, cols = shapes[name]
        table = format_table(
            ["analytic"] + cols + ["|", "numeric"] + cols,
            [
                [r] + [_num(v) for v in a[k]] + ["|", r] + [_num(v) for v in n[k]]
                for k, r in enumerate(rows)
            ],
        )
        lines += ["  " + line for line in table.splitlines()]
    if net.tutorial:
        lines.append(
            "  The tutorial's W_hh is one number w times I and its b one number: "
            f"dL/dw = trace(dW_hh) = {np.trace(gradients['dW_hh'].analytic):.6f}, "
            f"dL/db = sum(db) = {gradients['db'].analytic.sum():.6f}."
        )
    return lines


def format_text(result):
    net, steps = result.net, result.steps
    article = "an" if net.kind == "lstm" else "a"
    lines = [f"Trace of {article} {NAMES[net.kind]} cell: {net.about[0]}", *net.about[1:]]
    shown = " ".join(_show(v) for v in net.vocab[:40]) + (" ..." if len(net.vocab) > 40 else "")
    order = "one-hot in this order" if net.onehot else "embedded; in index order"
    lines.append(f"vocabulary ({len(net.vocab)} symbols, {order}): {shown}")
    sep = "" if net.level == "char" else " "
    lines.append(
        f"inputs {sep.join(s.input for s in steps)!r} -> targets "
        f"{sep.join(s.target for s in steps)!r}: each step predicts the next symbol"
    )
    lines.append(
        "h_0 = 0 (nothing precedes the first symbol) and each h_t is carried into the "
        "next step"
        + (', so the tutorial\'s step "for the letter e" is step 2 here.' if net.tutorial else ".")
    )
    units, _, _, vocab = _labels(net)
    for s in steps:
        lines += [""] + format_step(net, s, units, vocab)
    rows = [
        [
            s.t,
            _show(s.input),
            _show(s.predicted),
            _show(s.target),
            f"{s.p[net.vocab.index(s.target)]:.4f}",
            f"{s.loss:.4f}",
        ]
        for s in steps
    ]
    lines += ["", "Summary"]
    lines += format_table(
        ["step", "input", "predicted", "target", "p(target)", "loss"], rows
    ).splitlines()
    right = sum(s.predicted == s.target for s in steps)
    lines.append(
        f"total loss (the sum over steps) {result.total_loss:.4f}; "
        f"{right}/{len(steps)} predictions right"
    )
    if result.back is not None:
        lines += format_backward(net, result)
    return "\n".join(lines)
