"""Helpers for the recurrent cells' tests (rnn, lstm, gru and GRU's reset-before form
"gru_reset_before"), reached through the `cells` fixture:
random weights and states, and a centered-difference gradient check of a forward/backward
pair. The cells differ only in how many states they carry (LSTM: h and c) and in their weight
shapes, which the helpers hide."""

import types

import numpy as np
import pytest

from unrolled.functional import gru, lstm, rnn
from unrolled.gradcheck import gradcheck

GATES = {"rnn": 1, "lstm": 4, "gru": 3, "gru_reset_before": 3}
N_STATES = {"rnn": 1, "lstm": 2, "gru": 1, "gru_reset_before": 1}  # h, or h and c
SEQUENCE = {
    "rnn": (rnn.rnn_forward, rnn.rnn_backward),
    "lstm": (lstm.lstm_forward, lstm.lstm_backward),
    "gru": (gru.gru_forward, gru.gru_backward),
    "gru_reset_before": (gru.gru_reset_before_forward, gru.gru_reset_before_backward),
}


def weights(rng, kind, D, H, bias=True, dtype=np.float64):
    """Random (Wx (D, GH), Wh (H, GH), b) in Keras layout; b is (GH,), for the reset-after GRU
    (2, 3H), None without bias."""
    GH = GATES[kind] * H
    b_shape = (2, GH) if kind == "gru" else (GH,)
    Wx = 0.5 * rng.standard_normal((D, GH))
    Wh = 0.5 * rng.standard_normal((H, GH))
    b = 0.5 * rng.standard_normal(b_shape) if bias else None
    return tuple(None if w is None else w.astype(dtype) for w in (Wx, Wh, b))


def initial_states(rng, kind, N, H, dtype=np.float64):
    """Nonzero initial states: [h0] or [h0, c0], each (N, H)."""
    return [rng.standard_normal((N, H)).astype(dtype) for _ in range(N_STATES[kind])]


def check_pair(forward, backward, inputs, upstream):
    """Max relative error of `backward` against centered differences of `forward`, per input.

    inputs: dict name -> float64 array or None, passed positionally to forward, which returns
    (*outputs, cache). The loss is sum(output * upstream) over outputs whose upstream is not
    None; backward(*upstream, cache) returns one gradient per input, None for a None input.
    """

    def loss():
        outputs = forward(*inputs.values())[:-1]
        return sum(
            float(np.sum(o * u)) for o, u in zip(outputs, upstream, strict=True) if u is not None
        )

    cache = forward(*inputs.values())[-1]
    grads = dict(zip(inputs, backward(*upstream, cache), strict=True))
    for name, x in inputs.items():
        assert (x is None) == (grads[name] is None), name
    live = {name: x for name, x in inputs.items() if x is not None}
    return gradcheck(loss, live, grads)


def sequence_errors(
    kind,
    rng,
    dh=True,
    dlast=True,
    upstream=None,
    mask=None,
    recurrent_mask=False,
    bias=True,
    zero_states=False,
    T=3,
    **options,
):
    """Gradient-check one sequence pair: N=3, T=3, D=3, H=2, float64, nonzero initial states.

    dh, dlast: whether the outputs h and the final states get a gradient (upstream, a list of
    flags for h, last_h[, last_c], overrides both); mask (N, T) bool or None; recurrent_mask:
    whether to use one; zero_states: pass the initial states as None (zeros: backward must
    return None for them); options: more keywords of the forward (activation names,
    zero_output_for_mask).
    """
    N, D, H = 3, 3, 2
    forward, backward = SEQUENCE[kind]
    states = initial_states(rng, kind, N, H)
    if zero_states:
        states = [None] * len(states)
    Wx, Wh, b = weights(rng, kind, D, H, bias)
    inputs = dict(x=rng.standard_normal((N, T, D)), **dict(zip(["h0", "c0"], states, strict=False)))
    inputs.update(Wx=Wx, Wh=Wh, b=b)
    rmask = rng.uniform(0.0, 2.0, (N, H)) if recurrent_mask else None
    shapes = [(N, T, H)] + [(N, H)] * len(states)
    given = upstream or [dh] + [dlast] * len(states)
    grads = [rng.standard_normal(s) if g else None for s, g in zip(shapes, given, strict=True)]

    def run(*args):
        return forward(*args, mask=mask, recurrent_mask=rmask, **options)

    return check_pair(run, backward, inputs, grads)


def sequence(kind, x, states, W, **options):
    """Uniform sequence call -> h (N, T, H), [final states], cache."""
    h, *last, cache = SEQUENCE[kind][0](x, *states, *W, **options)
    return h, last, cache


def sequence_backward(kind, dh, dlast, cache, **options):
    """Uniform BPTT call -> dx, [initial-state grads], [dWx, dWh, db]."""
    dx, *rest = SEQUENCE[kind][1](dh, *dlast, cache, **options)
    return dx, rest[: N_STATES[kind]], rest[N_STATES[kind] :]


@pytest.fixture
def cells():
    """The helpers above, for the cell test modules."""
    return types.SimpleNamespace(
        weights=weights,
        initial_states=initial_states,
        check_pair=check_pair,
        sequence_errors=sequence_errors,
        sequence=sequence,
        sequence_backward=sequence_backward,
    )
