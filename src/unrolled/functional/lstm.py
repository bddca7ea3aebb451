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
    next_c: np.ndarray  # (N, H)
    act_c: np.ndarray  # (N, H) act(next_c)
    next_h: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, 4H)
    Wh: np.ndarray  # (H, 4H)
    b: np.ndarray | None  # (4H,) or None
    activation: str
    recurrent_activation: str


class LSTMCache(NamedTuple):
    xs: np.ndarray  # (T, N, D) inputs, time-major
    hs: np.ndarray  # (T + 1, N, H) hidden states, hs[0] = h0
    cs: np.ndarray  # (T + 1, N, H) cell states, cs[0] = c0
    gates: np.ndarray  # (T, N, 4H) i, f, g, o after their activations
    act_c: np.ndarray  # (T, N, H) act(c_t)
    skip: np.ndarray | None  # (T, N, 1) bool, True where the mask skipped the step
    rmask: np.ndarray | None  # (N, H) recurrent mask
    Wx: np.ndarray  # (D, 4H)
    Wh: np.ndarray  # (H, 4H)
    b: np.ndarray | None  # (4H,) or None
    activation: str
    recurrent_activation: str


def _sigmoid_halves(H, dtype):
    """(4H,) column factors: 0.5 on the sigmoid gates i, f, o and 1 on g.

    The fast path scales Wx, Wh, b by it once, so a_t arrives halved on i, f, o and
    σ(a) = tanh(a / 2) / 2 + 1 / 2 needs no per-step halving (a power-of-two scale is exact:
    same numbers).
    """
    half = np.full(4 * H, 0.5, dtype=dtype)
    half[2 * H : 3 * H] = 1.0
    return half


def _sigmoid_of_double_(y):
    """In place y <- σ(2 y) = (tanh(y) + 1) / 2, the sigmoid of a halved pre-activation."""
    np.tanh(y, out=y)
    y *= 0.5
    y += 0.5
    return y


def lstm_step_forward(
    x, prev_h, prev_c, Wx, Wh, b, activation="tanh", recurrent_activation="sigmoid"
):
    """One step. x (N, D), prev_h (N, H), prev_c (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,) or None.

    Returns next_h (N, H), next_c (N, H) and an LSTMStepCache.
    """
    act_, _ = activations.get(activation, "activation")
    rec_, _ = activations.get(recurrent_activation, "recurrent_activation")
    a = x @ Wx + prev_h @ Wh  # (N, 4H) pre-activations
    if b is not None:
        a += b
    i, f, g, o = np.split(a, 4, axis=1)  # (N, H) views into a
    rec_(i)  # input gate: how much new to write
    rec_(f)  # forget gate: how much old memory to keep
    act_(g)  # candidate memory
    rec_(o)  # output gate: how much memory to expose
    next_c = f * prev_c + i * g  # forget some old memory, write some new
    act_c = act_(next_c.copy())
    next_h = o * act_c  # expose a gated view of the memory
    cache = LSTMStepCache(
        x, prev_h, prev_c, i, f, g, o, next_c, act_c, next_h, Wx, Wh, b, activation,
        recurrent_activation,
    )  # fmt: skip
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward of one step. dnext_h (N, H), dnext_c (N, H).

    Returns dx (N, D), dprev_h (N, H), dprev_c (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,) or None.
    """
    x, prev_h, prev_c, i, f, g, o, _, act_c, _, Wx, Wh, b, activation, rec_activation = cache
    _, dact = activations.get(activation)
    _, drec = activations.get(rec_activation)
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
    x, h0, c0, Wx, Wh, b, activation="tanh", recurrent_activation="sigmoid", mask=None,
    recurrent_mask=None, keep_cache=True,
):  # fmt: skip
    """Run the cell over a sequence (batch-first in and out, time-major inside).

    x (N, T, D), h0 (N, H), c0 (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,) or None,
    mask (N, T) bool or None (False: skip the step, carry h and c, output 0),
    recurrent_mask (N, H) or None (multiplies h_{t-1} before the recurrent GEMM).
    Returns h (N, T, H) all outputs, last_h (N, H), last_c (N, H) final states, and an
    LSTMCache (None when keep_cache is False).
    """
    N, T, D = x.shape
    H = h0.shape[1]
    dtype = seq.compute_dtype(x, h0, c0, Wx, Wh)
    act_, _ = activations.get(activation, "activation")
    rec_, _ = activations.get(recurrent_activation, "recurrent_activation")
    Wx_, Wh_, b_ = Wx, Wh, b  # the weights the loop multiplies by
    if recurrent_activation == "sigmoid":
        half = _sigmoid_halves(H, dtype)  # (4H,)
        shift = 1 - half  # (4H,) 0.5 on i, f, o; 0 on g
        Wx_, Wh_, b_ = Wx * half, Wh * half, None if b is None else b * half
        rec_ = _sigmoid_of_double_
    one_tanh = recurrent_activation == "sigmoid" and activation == "tanh"
    xs = seq.time_major(x, dtype)  # (T, N, D)
    skip = seq.skip_steps(mask)  # (T, N, 1) or None
    rmask = seq.cast(recurrent_mask, dtype)
    hs, cs = seq.states(h0, T, dtype), seq.states(c0, T, dtype)  # (T + 1, N, H) each
    gates = seq.project_inputs(xs, Wx_, b_)  # (T, N, 4H): x_t @ Wx + b, gates after the loop
    act_c = np.empty((T if keep_cache else 1, N, H), dtype=dtype)  # act(c_t)
    rec = np.empty((N, 4 * H), dtype=dtype)  # h_{t-1} @ Wh
    buf, ig = np.empty((N, H), dtype=dtype), np.empty((N, H), dtype=dtype)
    for t in range(T):
        a, prev_c, next_c = gates[t], cs[t], cs[t + 1]
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        ac = act_c[t if keep_cache else 0]
        np.dot(seq.recurrent_input(hs[t], rmask, buf), Wh_, out=rec)
        a += rec  # a_t = x_t @ Wx + b + h_{t-1} @ Wh
        if one_tanh:  # full-width passes beat four strided ones
            np.tanh(a, out=a)  # g = tanh(a_g); i, f, o: tanh of the halved a
            a *= half  # σ(2y) = tanh(y) / 2 + 1 / 2 on i, f, o; g times 1
            a += shift
        else:
            rec_(a[:, : 2 * H])
            act_(g)
            rec_(o)
        np.multiply(f, prev_c, out=next_c)  # c_t = f * c_{t-1} ...
        next_c += np.multiply(i, g, out=ig)  # ... + i * g
        seq.activate_into(act_, next_c, ac)
        np.multiply(o, ac, out=hs[t + 1])  # h_t = o * act(c_t)
        seq.carry(hs[t + 1], hs[t], skip, t)
        seq.carry(next_c, prev_c, skip, t)
    cache = (
        LSTMCache(
            xs, hs, cs, gates, act_c, skip, rmask, Wx, Wh, b, activation, recurrent_activation
        )
        if keep_cache
        else None
    )
    return seq.hidden_outputs(hs, skip), hs[T].copy(), cs[T].copy(), cache


def lstm_backward(dh, dlast_h, dlast_c, cache):
    """Backpropagation through time for `lstm_forward`.

    dh (N, T, H) or None: gradient of every output; dlast_h, dlast_c (N, H) or None: of the
    final states. Returns dx (N, T, D), dh0 (N, H), dc0 (N, H), dWx (D, 4H), dWh (H, 4H),
    db (4H,) or None.
    """
    xs, hs, cs, gates, act_c, skip, rmask, Wx, Wh, b, activation, rec_activation = cache
    T, N, H = act_c.shape
    _, dact = activations.get(activation)
    _, drec = activations.get(rec_activation)
    i, f, g, o = (gates[:, :, k * H : (k + 1) * H] for k in range(4))  # (T, N, H) each
    # Local factors for all steps at once; the loop only multiplies by dc_t or dh_t.
    dA = np.empty((T, N, 4, H), dtype=gates.dtype)  # becomes da_t = [da_i, da_f, da_g, da_o]
    np.multiply(g, drec(i), out=dA[:, :, 0])  # da_i / dc
    np.multiply(cs[:-1], drec(f), out=dA[:, :, 1])  # da_f / dc
    np.multiply(i, dact(g), out=dA[:, :, 2])  # da_g / dc
    np.multiply(act_c, drec(o), out=dA[:, :, 3])  # da_o / dh
    c_from_h = o * dact(act_c)  # (T, N, H) dc_t / dh_t
    c_from_c = f if skip is None else np.where(skip, 1, f)  # dc_{t-1} / dc_t; 1 when skipped
    seq.zero_skipped(dA.reshape(T, N, 4 * H), skip)
    seq.zero_skipped(c_from_h, skip)
    dH, dnext_h = seq.output_gradients(dh, dlast_h, skip, hs[0])  # (T, N, H), (N, H)
    _, dnext_c = seq.output_gradients(None, dlast_c, skip, cs[0])
    dprev_h, dc = np.empty_like(dnext_h), np.empty_like(dnext_c)
    WhT = np.ascontiguousarray(Wh.T)  # (4H, H): the faster GEMM layout for da_t @ Wh^T
    for t in reversed(range(T)):
        if dH is not None:
            dnext_h += dH[t]  # total gradient into h_t: from its output and from step t + 1
        np.multiply(dnext_h, c_from_h[t], out=dc)
        dc += dnext_c  # total gradient into c_t
        dA[t, :, :3] *= dc[:, None, :]  # da_i, da_f, da_g
        dA[t, :, 3] *= dnext_h  # da_o
        np.multiply(dc, c_from_c[t], out=dnext_c)  # dc_{t-1}
        np.dot(dA[t].reshape(N, 4 * H), WhT, out=dprev_h)  # dh_{t-1} = da_t @ Wh^T
        if rmask is not None:
            dprev_h *= rmask
        seq.carry(dprev_h, dnext_h, skip, t)  # a skipped step passes its gradient straight on
        dnext_h, dprev_h = dprev_h, dnext_h
    dA = dA.reshape(T, N, 4 * H)
    dWh = seq.recurrent_weight_gradient(hs, rmask, dA)
    dx, dWx = seq.input_gradients(xs, Wx, dA)
    db = None if b is None else dA.sum(axis=(0, 1))
    return dx, dnext_h, dnext_c, dWx, dWh, db
