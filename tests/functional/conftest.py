"""Shared checks for the recurrent cells (rnn, lstm, gru), reached through the `cells` fixture.

Each cell module gets the same three proofs: a centered-difference gradient check of every
forward/backward pair, the fast sequence path pinned to a loop of step functions, and a padded
(masked) batch pinned to running each sequence alone. The cells differ only in how many states
they carry (LSTM: h and c) and in their weight shapes, so a uniform call hides that here.
"""

import types

import numpy as np
import pytest

from unrolled.functional import gru, lstm, rnn
from unrolled.gradcheck import gradcheck

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
N_STATES = {"rnn": 1, "lstm": 2, "gru": 1}
SEQUENCE = {
    "rnn": (rnn.rnn_forward, rnn.rnn_backward),
    "lstm": (lstm.lstm_forward, lstm.lstm_backward),
    "gru": (gru.gru_forward, gru.gru_backward),
}
STEP = {
    "rnn": (rnn.rnn_step_forward, rnn.rnn_step_backward),
    "lstm": (lstm.lstm_step_forward, lstm.lstm_step_backward),
    "gru": (gru.gru_step_forward, gru.gru_step_backward),
}


def weights(rng, kind, D, H, bias=True, dtype=np.float64):
    """Random (Wx (D, GH), Wh (H, GH), b) in Keras layout; GRU b is (2, 3H); b None without bias."""
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
    kind, rng, upstream=None, mask=None, recurrent_mask=False, bias=True, **options
):
    """Gradient-check one sequence pair: N=3, T=3, D=3, H=2, float64, nonzero initial states.

    upstream: which outputs (h, last_h[, last_c]) get a gradient, all by default; mask (N, T)
    bool or None; recurrent_mask: whether to use one; options: activation names.
    """
    N, T, D, H = 3, 3, 3, 2
    forward, backward = SEQUENCE[kind]
    states = initial_states(rng, kind, N, H)
    Wx, Wh, b = weights(rng, kind, D, H, bias)
    inputs = dict(x=rng.standard_normal((N, T, D)), **dict(zip(["h0", "c0"], states, strict=False)))
    inputs.update(Wx=Wx, Wh=Wh, b=b)
    rmask = rng.uniform(0.0, 2.0, (N, H)) if recurrent_mask else None
    shapes = [(N, T, H)] + [(N, H)] * len(states)
    given = upstream or [True] * len(shapes)
    grads = [rng.standard_normal(s) if g else None for s, g in zip(shapes, given, strict=True)]

    def run(*args):
        return forward(*args, mask=mask, recurrent_mask=rmask, **options)

    return check_pair(run, backward, inputs, grads)


def sequence(kind, x, states, W, **options):
    """Uniform sequence call -> h (N, T, H), [final states], cache."""
    h, *last, cache = SEQUENCE[kind][0](x, *states, *W, **options)
    return h, last, cache


def sequence_backward(kind, dh, dlast, cache):
    """Uniform BPTT call -> dx, [initial-state grads], [dWx, dWh, db]."""
    dx, *rest = SEQUENCE[kind][1](dh, *dlast, cache)
    return dx, rest[: N_STATES[kind]], rest[N_STATES[kind] :]


def by_steps(kind, x, states, W, dh, dlast, **options):
    """The readable path: loop the step functions forward, then backward through time.

    Returns h (N, T, H), [final states], dx (N, T, D), [initial-state grads], [dWx, dWh, db].
    """
    step_forward, step_backward = STEP[kind]
    T = x.shape[1]
    hs, caches = [], []
    for t in range(T):
        *states, cache = step_forward(x[:, t], *states, *W, **options)
        hs.append(states[0])
        caches.append(cache)
    dstates = [d.copy() for d in dlast]
    dW, dxs = [0, 0, 0], [None] * T
    for t in reversed(range(T)):
        dstates[0] = dstates[0] + dh[:, t]  # output gradient joins the carried one
        dxs[t], *rest = step_backward(*dstates, caches[t])
        dstates = rest[: N_STATES[kind]]
        dW = [acc + g for acc, g in zip(dW, rest[N_STATES[kind] :], strict=True)]
    return np.stack(hs, axis=1), states, np.stack(dxs, axis=1), dstates, dW


def assert_steps_match_sequence(kind, rng, **options):
    """The fast sequence path and the step loop agree to float64 rounding, forward and backward."""
    N, T, D, H = 3, 5, 4, 3
    x = rng.standard_normal((N, T, D))
    states, W = initial_states(rng, kind, N, H), weights(rng, kind, D, H)
    dh = rng.standard_normal((N, T, H))
    dlast = [rng.standard_normal((N, H)) for _ in states]
    h, last, cache = sequence(kind, x, states, W, **options)
    dx, dstates, dW = sequence_backward(kind, dh, dlast, cache)
    expected = by_steps(kind, x, states, W, dh, dlast, **options)
    got = (h, last, dx, dstates, dW)
    for a, b in zip(got, expected, strict=True):
        for u, v in zip(a, b, strict=True) if isinstance(a, list) else [(a, b)]:
            np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-13)


def assert_padded_batch_matches_alone(kind, rng):
    """A masked batch gives exactly what each sequence gives alone without its masked steps."""
    mask = np.array(
        [
            [1, 1, 1, 1, 1],
            [1, 0, 1, 1, 0],  # holes in the middle and padding at the end
            [1, 1, 0, 0, 0],  # padded at the end
            [0, 0, 0, 0, 0],  # fully masked: the initial state passes straight through
        ],
        dtype=bool,
    )
    N, T = mask.shape
    D, H = 3, 4
    x = rng.standard_normal((N, T, D))
    states, W = initial_states(rng, kind, N, H), weights(rng, kind, D, H)
    dh = rng.standard_normal((N, T, H))  # nonzero at masked steps too: they must be ignored
    dlast = [rng.standard_normal((N, H)) for _ in states]
    h, last, cache = sequence(kind, x, states, W, mask=mask)
    dx, dstates, dW = sequence_backward(kind, dh, dlast, cache)
    dW_alone = [np.zeros_like(w) for w in W]
    for n in range(N):
        keep, row = mask[n], slice(n, n + 1)
        h1, last1, cache1 = sequence(kind, x[row][:, keep], [s[row] for s in states], W)
        dx1, dstates1, dW1 = sequence_backward(
            kind, dh[row][:, keep], [d[row] for d in dlast], cache1
        )
        np.testing.assert_allclose(h[row][:, keep], h1, rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(h[row][:, ~keep], 0)
        np.testing.assert_array_equal(dx[row][:, ~keep], 0)
        np.testing.assert_allclose(dx[row][:, keep], dx1, rtol=1e-12, atol=1e-14)
        for a, b in zip(last + dstates, last1 + dstates1, strict=True):
            np.testing.assert_allclose(a[row], b, rtol=1e-12, atol=1e-14)
        dW_alone = [acc + g for acc, g in zip(dW_alone, dW1, strict=True)]
    for a, b in zip(dW, dW_alone, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)
    np.testing.assert_array_equal(last[0][3], states[0][3])  # fully masked row


def assert_float32_stays_float32(kind, rng):
    """float32 in, float32 everywhere out (no silent upcast), and close to the float64 result."""
    N, T, D, H = 2, 4, 3, 5
    x = rng.standard_normal((N, T, D))
    states, W = initial_states(rng, kind, N, H), weights(rng, kind, D, H)
    mask = np.ones((N, T), dtype=bool)
    mask[1, 2:] = False
    rmask = np.full((N, H), 1.25)
    f32 = [a.astype(np.float32) for a in (x, *states, *W)]
    h, last, cache = sequence(kind, f32[0], f32[1 : 1 + len(states)], f32[-3:], mask=mask,
                              recurrent_mask=rmask.astype(np.float32))  # fmt: skip
    dh = np.ones((N, T, H), dtype=np.float32)
    grads = sequence_backward(kind, dh, [np.ones((N, H), np.float32) for _ in states], cache)
    arrays = [h, *last, grads[0], *grads[1], *grads[2]]
    assert all(a.dtype == np.float32 for a in arrays), [a.dtype for a in arrays]
    h64, _, _ = sequence(kind, x, states, W, mask=mask, recurrent_mask=rmask)
    np.testing.assert_allclose(h, h64, rtol=1e-4, atol=1e-5)


def assert_no_cache_same_outputs(kind, rng):
    """keep_cache=False (inference) returns the same outputs and no cache."""
    N, T, D, H = 2, 4, 3, 3
    x = rng.standard_normal((N, T, D))
    states, W = initial_states(rng, kind, N, H), weights(rng, kind, D, H)
    h, last, cache = sequence(kind, x, states, W)
    h2, last2, cache2 = sequence(kind, x, states, W, keep_cache=False)
    assert cache is not None and cache2 is None
    np.testing.assert_array_equal(h, h2)
    for a, b in zip(last, last2, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.fixture
def cells():
    """The helpers above, for the cell test modules."""
    return types.SimpleNamespace(
        weights=weights,
        initial_states=initial_states,
        check_pair=check_pair,
        sequence_errors=sequence_errors,
        assert_steps_match_sequence=assert_steps_match_sequence,
        assert_padded_batch_matches_alone=assert_padded_batch_matches_alone,
        assert_float32_stays_float32=assert_float32_stays_float32,
        assert_no_cache_same_outputs=assert_no_cache_same_outputs,
    )
