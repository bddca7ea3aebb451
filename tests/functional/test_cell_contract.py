"""The contract every recurrent cell (rnn, lstm, gru, gru_reset_before) keeps, checked the
same way for each: gradient checks of the sequence pair under every option, the fast sequence
path pinned to a loop of the readable step functions, a padded (masked) batch pinned to
running each sequence alone, float32 staying float32, and inference without a cache.
Cell-specific checks (step pairs, activation sweeps, golden values) live in test_rnn.py,
test_lstm.py, test_gru.py."""

import numpy as np
import pytest

from unrolled.functional import gru, lstm, rnn

KINDS = ["rnn", "lstm", "gru", "gru_reset_before"]
GATED = ["lstm", "gru", "gru_reset_before"]
ACTIVATIONS = ["tanh", "sigmoid", "relu", "linear"]


@pytest.mark.parametrize("recurrent_activation", ACTIVATIONS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("kind", GATED)
def test_gated_sequence_gradients_per_activation(
    cells, rng, kind, activation, recurrent_activation
):
    errors = cells.sequence_errors(
        kind, rng, activation=activation, recurrent_activation=recurrent_activation
    )
    assert max(errors.values()) < 1e-6, errors


STEP = {
    "rnn": (rnn.rnn_step_forward, rnn.rnn_step_backward),
    "lstm": (lstm.lstm_step_forward, lstm.lstm_step_backward),
    "gru": (gru.gru_step_forward, gru.gru_step_backward),
    "gru_reset_before": (gru.gru_reset_before_step_forward, gru.gru_reset_before_step_backward),
}
MASK = np.array([[1, 0, 1], [1, 1, 0], [0, 0, 0]], dtype=bool)  # hole, padding, all masked
SEQUENCE_CASES = {
    "all upstream": {},
    "dh None": {"dh": False},
    "dlast None": {"dlast": False},
    "mask": {"mask": MASK},
    "mask, zero outputs": {"mask": MASK, "zero_output_for_mask": True},
    "recurrent_mask": {"recurrent_mask": True},
    "no bias": {"bias": False},
    "everything": {"mask": MASK, "recurrent_mask": True, "bias": False, "dh": False},
    "zero states": {"zero_states": True},
    "zero states, one step": {"zero_states": True, "T": 1},
    "zero states, mask": {"zero_states": True, "mask": MASK, "recurrent_mask": True},
}
GATED_PAIRS = [("tanh", "sigmoid"), ("relu", "sigmoid"), ("sigmoid", "tanh"), ("linear", "relu")]
STEP_MATCH_CASES = [("rnn", {"activation": a}) for a in ("tanh", "relu")] + [
    (kind, {"activation": a, "recurrent_activation": r}) for kind in GATED for a, r in GATED_PAIRS
]


@pytest.mark.parametrize("case", SEQUENCE_CASES)
@pytest.mark.parametrize("kind", KINDS)
def test_sequence_gradients(cells, rng, kind, case):
    errors = cells.sequence_errors(kind, rng, **SEQUENCE_CASES[case])
    assert max(errors.values()) < 1e-6, errors


def by_steps(kind, x, states, W, dh, dlast, **options):
    """The readable path: loop the step functions forward, then backward through time.

    Returns h (N, T, H), [final states], dx (N, T, D), [initial-state grads], [dWx, dWh, db].
    """
    step_forward, step_backward = STEP[kind]
    S = len(states)  # 1, or 2 for the LSTM
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
        dstates = rest[:S]
        dW = [acc + g for acc, g in zip(dW, rest[S:], strict=True)]
    return np.stack(hs, axis=1), states, np.stack(dxs, axis=1), dstates, dW


@pytest.mark.parametrize("kind, options", STEP_MATCH_CASES)
def test_fast_path_matches_steps(cells, rng, kind, options):
    """The fast sequence path and the step loop agree to float64 rounding, forward and backward."""
    N, T, D, H = 3, 5, 4, 3
    x = rng.standard_normal((N, T, D))
    states, W = cells.initial_states(rng, kind, N, H), cells.weights(rng, kind, D, H)
    dh = rng.standard_normal((N, T, H))
    dlast = [rng.standard_normal((N, H)) for _ in states]
    h, last, cache = cells.sequence(kind, x, states, W, **options)
    dx, dstates, dW = cells.sequence_backward(kind, dh, dlast, cache)
    expected = by_steps(kind, x, states, W, dh, dlast, **options)
    got = (h, last, dx, dstates, dW)
    for a, b in zip(got, expected, strict=True):
        for u, v in zip(a, b, strict=True) if isinstance(a, list) else [(a, b)]:
            np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-13)


def repeated_outputs(keep, zero_output_for_mask):
    """For one sample's mask keep (T,): the step whose output each step shows, or -1 for 0.

    Keras's rule: a real step shows its own; a skipped one 0 with zero_output_for_mask,
    else the last real step's (0 before the first)."""
    source, last = [], -1
    for t, real in enumerate(keep):
        last = t if real else last
        source.append(t if real else (-1 if zero_output_for_mask else last))
    return np.array(source)


@pytest.mark.parametrize("zero_output_for_mask", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_padded_batch_matches_each_sequence_alone(cells, rng, kind, zero_output_for_mask):
    """A masked batch gives exactly what each sequence gives alone without its masked steps;
    a masked step shows the last real output (0 before the first), or 0 with
    zero_output_for_mask, and its output gradient goes to the step it shows."""
    mask = np.array(
        [
            [1, 1, 1, 1, 1],
            [1, 0, 1, 1, 0],  # holes in the middle and padding at the end
            [0, 1, 1, 0, 0],  # padded at both ends
            [0, 0, 0, 0, 0],  # fully masked: the initial state passes straight through
        ],
        dtype=bool,
    )
    N, T = mask.shape
    D, H = 3, 4
    x = rng.standard_normal((N, T, D))
    states, W = cells.initial_states(rng, kind, N, H), cells.weights(rng, kind, D, H)
    dh = rng.standard_normal((N, T, H))  # nonzero at masked steps too
    dlast = [rng.standard_normal((N, H)) for _ in states]
    options = {"mask": mask, "zero_output_for_mask": zero_output_for_mask}
    h, last, cache = cells.sequence(kind, x, states, W, **options)
    dx, dstates, dW = cells.sequence_backward(kind, dh, dlast, cache)
    dW_alone = [np.zeros_like(w) for w in W]
    for n in range(N):
        keep, row = mask[n], slice(n, n + 1)
        source = repeated_outputs(keep, zero_output_for_mask)
        dh_alone = np.zeros((1, T, H))  # each step's output gradient, moved to its source
        for t, s in enumerate(source):
            if s >= 0:
                dh_alone[0, s] += dh[n, t]
        h1, last1, cache1 = cells.sequence(kind, x[row][:, keep], [s[row] for s in states], W)
        dx1, dstates1, dW1 = cells.sequence_backward(
            kind, dh_alone[:, keep], [d[row] for d in dlast], cache1
        )
        shown = np.zeros((T, H))
        shown[source >= 0] = h[n, source[source >= 0]]
        np.testing.assert_allclose(h[row][:, keep], h1, rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(h[n], shown)
        np.testing.assert_array_equal(dx[row][:, ~keep], 0)
        np.testing.assert_allclose(dx[row][:, keep], dx1, rtol=1e-12, atol=1e-14)
        for a, b in zip(last + dstates, last1 + dstates1, strict=True):
            np.testing.assert_allclose(a[row], b, rtol=1e-12, atol=1e-14)
        dW_alone = [acc + g for acc, g in zip(dW_alone, dW1, strict=True)]
    for a, b in zip(dW, dW_alone, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)
    np.testing.assert_array_equal(last[0][3], states[0][3])  # fully masked row


@pytest.mark.parametrize("kind", KINDS)
def test_float32_stays_float32(cells, rng, kind):
    """float32 in, float32 everywhere out (no silent upcast), and close to the float64 result."""
    N, T, D, H = 2, 4, 3, 5
    x = rng.standard_normal((N, T, D))
    states, W = cells.initial_states(rng, kind, N, H), cells.weights(rng, kind, D, H)
    mask = np.ones((N, T), dtype=bool)
    mask[1, 2:] = False
    rmask = np.full((N, H), 1.25)
    x32, *states32 = (a.astype(np.float32) for a in (x, *states))
    W32, rmask32 = [w.astype(np.float32) for w in W], rmask.astype(np.float32)
    h, last, cache = cells.sequence(kind, x32, states32, W32, mask=mask, recurrent_mask=rmask32)
    dh = np.ones((N, T, H), dtype=np.float32)
    grads = cells.sequence_backward(kind, dh, [np.ones((N, H), np.float32) for _ in states], cache)
    arrays = [h, *last, grads[0], *grads[1], *grads[2]]
    assert all(a.dtype == np.float32 for a in arrays), [a.dtype for a in arrays]
    h64, _, _ = cells.sequence(kind, x, states, W, mask=mask, recurrent_mask=rmask)
    np.testing.assert_allclose(h, h64, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_final_states_only(cells, rng, kind):
    """return_sequences=False skips the outputs h (None) and changes nothing else."""
    N, T, D, H = 2, 4, 3, 3
    x = rng.standard_normal((N, T, D))
    states, W = cells.initial_states(rng, kind, N, H), cells.weights(rng, kind, D, H)
    _, last, cache = cells.sequence(kind, x, states, W)
    h, last2, cache2 = cells.sequence(kind, x, states, W, return_sequences=False)
    assert h is None
    for a, b in zip([*last, *cache2.hs], [*last2, *cache.hs], strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", KINDS)
def test_backward_without_input_gradient(cells, rng, kind):
    """input_gradient=False gives dx None and the very same other gradients."""
    N, T, D, H = 2, 4, 3, 3
    x = rng.standard_normal((N, T, D))
    states, W = cells.initial_states(rng, kind, N, H), cells.weights(rng, kind, D, H)
    dh, dlast = rng.standard_normal((N, T, H)), [None] * len(states)
    _, _, cache = cells.sequence(kind, x, states, W)
    dx, dstates, dW = cells.sequence_backward(kind, dh, dlast, cache)
    dx2, dstates2, dW2 = cells.sequence_backward(kind, dh, dlast, cache, input_gradient=False)
    assert dx is not None and dx2 is None
    for a, b in zip(dstates + dW, dstates2 + dW2, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", KINDS)
def test_inference_without_cache(cells, rng, kind):
    """keep_cache=False (inference) returns the same outputs and no cache."""
    N, T, D, H = 2, 4, 3, 3
    x = rng.standard_normal((N, T, D))
    states, W = cells.initial_states(rng, kind, N, H), cells.weights(rng, kind, D, H)
    h, last, cache = cells.sequence(kind, x, states, W)
    h2, last2, cache2 = cells.sequence(kind, x, states, W, keep_cache=False)
    assert cache is not None and cache2 is None
    np.testing.assert_array_equal(h, h2)
    for a, b in zip(last, last2, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("T, masked", [(1, False), (4, False), (4, True)])
@pytest.mark.parametrize("kind", KINDS)
def test_none_initial_states_are_zeros(cells, rng, kind, T, masked):
    """Initial states None give what zero arrays give, forward and backward, and None for
    their gradients (the first step skips the work on them)."""
    N, D, H = 4, 3, 3
    mask = np.arange(T) < np.array([[T], [1], [0], [T - 1]]) if masked else None
    x = rng.standard_normal((N, T, D))
    W = cells.weights(rng, kind, D, H)
    zeros = [np.zeros((N, H)) for _ in cells.initial_states(rng, kind, N, H)]
    dh = rng.standard_normal((N, T, H))
    dlast = [rng.standard_normal((N, H)) for _ in zeros]
    h, last, cache = cells.sequence(kind, x, zeros, W, mask=mask)
    h0, last0, cache0 = cells.sequence(kind, x, [None] * len(zeros), W, mask=mask)
    dx, _, dW = cells.sequence_backward(kind, dh, dlast, cache)
    dx0, dstates0, dW0 = cells.sequence_backward(kind, dh, dlast, cache0)
    assert dstates0 == [None] * len(zeros)
    for a, b in zip([h, *last, dx, *dW], [h0, *last0, dx0, *dW0], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
