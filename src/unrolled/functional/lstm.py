"""Long short-term memory cell (Hochreiter & Schmidhuber 1997; gate order i, f, c, o as Keras
and PyTorch): forward and backward, one step and a whole sequence.

    a_t = x_t @ Wx + h_{t-1} @ Wh + b = [a_i, a_f, a_g, a_o]     (N, 4H)
    i = σ(a_i)   f = σ(a_f)   g = act(a_g)   o = σ(a_o)            σ: recurrent_activation
    c_t = f * c_{t-1} + i * g
    h_t = o * act(c_t)                                             act: activation (tanh)

Backward, with dh_t and dc_t the total gradients into h_t and c_t:

    dc_t     += dh_t * o * act'(act(c_t))
    da_i = dc_t * g * σ'(i)      da_f = dc_t * c_{t-1} * σ'(f)
    da_g = dc_t * i * act'(g)    da_o = dh_t * act(c_t) * σ'(o)
    dc_{t-1} = dc_t * f          dh_{t-1} = da_t @ Wh^T

Derivatives are taken from outputs (σ' = s (1 - s), tanh' = 1 - y^2), so caches hold
post-activation values. Weights in Keras layout: Wx (D, 4H), Wh (H, 4H), b (4H,) or None.
"""

import functools
from typing import NamedTuple

import numpy as np

from unrolled.functional import _sequence as seq
from unrolled.functional import activations


class LSTMStepCache(NamedTuple):
    x: np.ndarray  # (N, D)
    prev_h: np.ndarray  # (N, H)
    prev_c: np.ndarray  # (N, H)
    i: np.ndarray  # (N, H) input gate
    f: np.ndarray  # (N, H) forget gate
    g: np.ndarray  # (N, H) candidate cell
    o: np.ndarray  # (N, H) output gate
    act_c: np.ndarray  # (N, H) act(next_c)
    Wx: np.ndarray  # (D, 4H)
    Wh: np.ndarray  # (H, 4H)
    b: np.ndarray | None  # (4H,) or None
    activation: str
    recurrent_activation: str


class LSTMCache(NamedTuple):
    xs: np.ndarray  # (T, D, N) inputs
    hs: np.ndarray  # (T + 1, H, N) hidden states, hs[0] = h0^T
    cs: np.ndarray  # (T + 1, H, N) cell states, cs[0] = c0^T
    gates: np.ndarray  # (T, 4H, N) i, f, g, o after their activations
    act_c: np.ndarray  # (T, H, N) act(c_t)
    skip: np.ndarray | None  # (T, 1, N) bool, True where the mask skipped the step
    zero: np.ndarray | None  # (T, 1, N) bool, True where the output is 0 (seq.zero_outputs)
    rmask: np.ndarray | None  # (H, N) recurrent mask, transposed
    Wx: np.ndarray  # (D, 4H)
    Wh: np.ndarray  # (H, 4H)
    b: np.ndarray | None  # (4H,) or None
    activation: str
    recurrent_activation: str
    first: int  # 1 when h0, c0 were None (zeros): no work on them, no gradient for them


@functools.lru_cache(maxsize=16)
def _sigmoid_factors(H, N, activation, dtype):
    """(half, shift, columns), read-only: the sigmoid gates as one tanh pass.

    σ(a) = tanh(a / 2) / 2 + 1 / 2. The loop scales the sigmoid columns of Wx, Wh, b by
    half once (a power-of-two scale is exact: same numbers), so a_t arrives halved there and
    gate = tanh(a) * half + shift: 1/2 and 1/2 on i, f, o (and on g when the activation is
    sigmoid too), 1 and 0 on any other g. Full (4H, N) arrays, since broadcasting a column
    costs small layers one inner loop per row. columns (4H,) is half's first column, the
    factor of each weight column (contiguous, so scaling the weights is one fast pass).
    """
    half = np.full((4 * H, N), 0.5, dtype=dtype)
    if activation != "sigmoid":
        half[2 * H : 3 * H] = 1.0
    shift, columns = 1 - half, half[:, 0].copy()
    half.flags.writeable = shift.flags.writeable = columns.flags.writeable = False
    return half, shift, columns


def _sigmoid_of_double_(y):
    """In place y <- σ(2 y) = (tanh(y) + 1) / 2, the sigmoid of a halved pre-activation."""
    np.tanh(y, out=y)
    y *= 0.5
    y += 0.5
    return y


def _gate_blocks(a, H):
    """The i, f, g, o rows of a (..., 4H, N) array: four (..., H, N) views."""
    return a[..., :H, :], a[..., H : 2 * H, :], a[..., 2 * H : 3 * H, :], a[..., 3 * H :, :]


def lstm_step_forward(
    x, prev_h, prev_c, Wx, Wh, b, activation="tanh", recurrent_activation="sigmoid"
):
    """One step. x (N, D), prev_h (N, H), prev_c (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,) or None.

    Returns next_h (N, H), next_c (N, H) and an LSTMStepCache.
    """
    act_, _ = activations.ACTIVATIONS[activation]
    rec_, _ = activations.ACTIVATIONS[recurrent_activation]
    H = prev_h.shape[1]
    a = np.dot(x, Wx)  # (N, 4H) pre-activations (np.dot: less overhead than @ on small arrays)
    a += np.dot(prev_h, Wh)
    if b is not None:
        a += b
    g = act_(a[:, 2 * H : 3 * H], out=np.empty_like(prev_c))  # candidate memory (N, H)
    rec_(a)  # the gates in one pass over a (faster than three; its g block goes unused)
    i, f, o = a[:, :H], a[:, H : 2 * H], a[:, 3 * H :]  # input, forget, output gates (N, H)
    next_c = f * prev_c  # forget some old memory ...
    next_c += i * g  # ... and write some new
    act_c = act_(next_c, out=np.empty_like(next_c))
    next_h = o * act_c  # expose a gated view of the memory
    cache = LSTMStepCache(
        x, prev_h, prev_c, i, f, g, o, act_c, Wx, Wh, b, activation, recurrent_activation
    )
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward of one step. dnext_h (N, H), dnext_c (N, H).

    Returns dx (N, D), dprev_h (N, H), dprev_c (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,) or None.
    """
    x, prev_h, prev_c, i, f, g, o, act_c, Wx, Wh, b, activation, rec_activation = cache
    _, dact = activations.ACTIVATIONS[activation]
    _, drec = activations.ACTIVATIONS[rec_activation]
    dc = dnext_c + dnext_h * o * dact(act_c)  # total gradient into next_c
    da = np.concatenate(
        [
            dc * g * drec(i),  # input gate
            dc * prev_c * drec(f),  # forget gate
            dc * i * dact(g),  # candidate
            dnext_h * act_c * drec(o),  # output gate
        ],
        axis=1,
    )  # (N, 4H)
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dprev_c = dc * f
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = None if b is None else da.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(
    x,
    h0,
    c0,
    Wx,
    Wh,
    b,
    activation="tanh",
    recurrent_activation="sigmoid",
    mask=None,
    recurrent_mask=None,
    keep_cache=True,
    return_sequences=True,
    zero_output_for_mask=False,
):
    """Run the cell over a sequence (batch-first in and out; time-major, feature-major inside).

    x (N, T, D), h0 and c0 (N, H) each, or both None (zeros: the first step then skips the
    work on them, and backward returns None for their gradients), Wx (D, 4H), Wh (H, 4H),
    b (4H,) or None, mask (N, T) bool or None (False: skip the step and carry h and c; it
    outputs the last output again, or 0 with zero_output_for_mask: _sequence.zero_outputs),
    recurrent_mask (N, H) or None (multiplies h_{t-1} before the recurrent GEMM).
    Returns h (N, T, H) all outputs (None without return_sequences: only the final states
    wanted), last_h (N, H), last_c (N, H) final states, and an LSTMCache (None when
    keep_cache is False).
    """
    N, T, D = x.shape
    H = Wh.shape[0]
    dtype = seq.compute_dtype(x, h0, c0, Wx, Wh)
    act_, _ = activations.ACTIVATIONS[activation]
    rec_, _ = activations.ACTIVATIONS[recurrent_activation]
    first = seq.first_recurrent_step(h0, c0)  # steps before it have zero states
    Wx_, Wh_, b_ = Wx, Wh, b  # the weights the loop multiplies by
    # Sigmoid gates from halved weights, all four gates in one tanh pass (_sigmoid_factors):
    # the same numbers as sigmoid_, and it pays for small layers. With and without it,
    # `benchmarks/engine.py --threads 1 --sizes 4 16 32` (CPU-time ratios to torch) gave
    # forward 1.45x / 1.2x / 1.2x faster at H = 4 / 16 / 32 and training up to 1.2x; at
    # H = 128-512 it made no measurable difference (within 2%).
    if recurrent_activation == "sigmoid":
        half, shift, columns = _sigmoid_factors(H, N, activation, dtype)  # (4H, N), (4H,)
        Wx_, b_ = Wx * columns, None if b is None else b * columns
        Wh_ = Wh * columns if first < T else None  # only if some step multiplies by it
        rec_ = _sigmoid_of_double_
    one_tanh = recurrent_activation == "sigmoid" and activation in ("tanh", "sigmoid")
    xs = seq.step_inputs(x, dtype)  # (T, D, N)
    skip = seq.skip_steps(mask)  # (T, 1, N) or None
    zero = seq.zero_outputs(skip, zero_output_for_mask)  # (T, 1, N) or None
    rmask = seq.recurrent_mask(recurrent_mask, dtype)  # (H, N) or None
    hs, cs = seq.states(h0, T, N, H, dtype), seq.states(c0, T, N, H, dtype)  # (T + 1, H, N)
    gates = seq.project_inputs(xs, Wx_, b_)  # (T, 4H, N): Wx^T x_t + b, gates after the loop
    act_c = np.empty((T if keep_cache else 1, H, N), dtype=dtype)  # act(c_t)
    if first < T:  # scratch for the steps whose previous states may be nonzero
        rec = np.empty((4 * H, N), dtype=dtype)  # Wh^T h_{t-1}
        buf, fc = np.empty((H, N), dtype=dtype), np.empty((H, N), dtype=dtype)
    for t in range(T):
        a, prev_c, next_c = gates[t], cs[t], cs[t + 1]
        i, f, g, o = _gate_blocks(a, H)  # (H, N) each
        ac = act_c[t if keep_cache else 0]
        if t >= first:
            np.dot(Wh_.T, seq.recurrent_input(hs[t], rmask, buf), out=rec)
            a += rec  # a_t = Wx^T x_t + b + Wh^T h_{t-1}
        if one_tanh:  # one full-width pass beats four block ones
            np.tanh(a, out=a)  # tanh of a, halved on the sigmoid gates
            a *= half  # σ(2y) = tanh(y) / 2 + 1 / 2 on sigmoid gates; a tanh g times 1
            a += shift
        else:
            rec_(a[: 2 * H])
            act_(g)
            rec_(o)
        np.multiply(i, g, out=next_c)  # c_t = i * g ...
        if t >= first:
            next_c += np.multiply(f, prev_c, out=fc)  # ... + f * c_{t-1}
        act_(next_c, out=ac)
        np.multiply(o, ac, out=hs[t + 1])  # h_t = o * act(c_t)
        seq.carry(hs[t + 1], hs[t], skip, t)
        seq.carry(next_c, prev_c, skip, t)
    h = seq.hidden_outputs(hs, zero) if return_sequences else None
    last_h, last_c = seq.final_state(hs), seq.final_state(cs)
    if not keep_cache:  # inference: nothing for backward
        return h, last_h, last_c, None
    cache = LSTMCache(
        xs, hs, cs, gates, act_c, skip, zero, rmask, Wx, Wh, b, activation, recurrent_activation,
        first,
    )  # fmt: skip
    return h, last_h, last_c, cache


def lstm_backward(dh, dlast_h, dlast_c, cache, input_gradient=True):
    """Backpropagation through time for `lstm_forward`.

    dh (N, T, H) or None: gradient of every output; dlast_h, dlast_c (N, H) or None: of the
    final states. Returns dx (N, T, D) (None when input_gradient is False: nobody wants it),
    dh0 (N, H), dc0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,) or None; dh0 and dc0 are
    None when the forward took them as None.
    """
    xs, hs, cs, gates, act_c, skip, zero, rmask, Wx, Wh, b, activation, rec_activation, first = (
        cache
    )
    T, H, N = act_c.shape
    _, dact = activations.ACTIVATIONS[activation]
    _, drec = activations.ACTIVATIONS[rec_activation]
    i, f, g, o = _gate_blocks(gates, H)  # (T, H, N) each
    # Local factors for all steps at once; the loop only multiplies by dc_t or dh_t.
    dA = drec(gates)  # (T, 4H, N) σ' of every gate; becomes da_t = [da_i, da_f, da_g, da_o]
    da_i, da_f, da_g, da_o = _gate_blocks(dA, H)
    if activation != rec_activation:
        da_g[...] = dact(g)  # the candidate's own act'
    da_i *= g  # da_i / dc = g σ'(i)
    da_f *= cs[:-1]  # da_f / dc = c_{t-1} σ'(f)
    da_g *= i  # da_g / dc = i act'(g)
    da_o *= act_c  # da_o / dh = act(c_t) σ'(o)
    c_from_h = dact(act_c)  # (T, H, N) dc_t / dh_t = o act'(act(c_t))
    c_from_h *= o
    c_from_c = f  # dc_{t-1} / dc_t
    if skip is not None:  # a skipped step takes no gradient in and passes dc_t straight on
        c_from_c = np.where(skip, 1, f)
        seq.zero_skipped(dA, skip)
        seq.zero_skipped(c_from_h, skip)
    dH, dnext_h = seq.output_gradients(dh, dlast_h, zero, hs[0])  # (T, H, N), (H, N)
    dnext_c = None if dlast_c is None else np.array(dlast_c.T, cs.dtype, order="C")  # None: 0
    dc = np.empty_like(dnext_h)
    dprev_h = np.empty_like(dnext_h) if first < T else None  # dh_{t-1}, for steps >= first
    for t in reversed(range(T)):
        if dH is not None:
            dnext_h += dH[t]  # total gradient into h_t: from its output and from step t + 1
        np.multiply(dnext_h, c_from_h[t], out=dc)
        if dnext_c is not None:
            dc += dnext_c  # total gradient into c_t
        da_ifg = dA[t, : 3 * H].reshape(3, H, N)
        da_ifg *= dc  # da_i, da_f, da_g
        da_o_t = da_o[t]
        da_o_t *= dnext_h  # da_o
        if t < first:
            break  # zero initial states: nothing wants their gradients
        dnext_c = np.multiply(dc, c_from_c[t], out=dnext_c)  # dc_{t-1} (new when None)
        np.dot(Wh, dA[t], out=dprev_h)  # dh_{t-1} = Wh da_t
        if rmask is not None:
            dprev_h *= rmask
        seq.carry(dprev_h, dnext_h, skip, t)  # a skipped step passes its gradient straight on
        dnext_h, dprev_h = dprev_h, dnext_h
    dA2 = seq.flat_steps(dA)  # (4H, T*N)
    dWh = seq.recurrent_weight_gradient(hs, rmask, dA2, first)
    dx, dWx = seq.input_gradients(xs, Wx, dA2, input_gradient)
    db = None if b is None else dA2.sum(axis=1)
    dh0 = seq.initial_state_gradient(dnext_h, first, hs[0])
    dc0 = seq.initial_state_gradient(dnext_c, first, cs[0])
    return dx, dh0, dc0, dWx, dWh, db
