"""Simple (Elman) recurrent cell: forward and backward, one step and a whole sequence.

    a_t = x_t @ Wx + h_{t-1} @ Wh + b          (N, H)
    h_t = act(a_t)                              act: tanh (default), relu, sigmoid, linear

    da_t      = dh_t * act'(h_t)                act' from the output: 1 - h^2 for tanh
    dh_{t-1}  = da_t @ Wh^T    dx_t = da_t @ Wx^T
    dWx = sum_t x_t^T da_t     dWh = sum_t h_{t-1}^T da_t     db = sum_t da_t

Weights in Keras layout: Wx (D, H), Wh (H, H), b (H,) or None. The step functions are the
readable version (cs231n's rnn_layers); `rnn_forward`/`rnn_backward` are the fast path and
compute the same numbers (a test pins them together).
"""

from typing import NamedTuple

import numpy as np

from unrolled.functional import _sequence as seq
from unrolled.functional import activations


class RNNStepCache(NamedTuple):
    x: np.ndarray  # (N, D) input
    prev_h: np.ndarray  # (N, H) previous hidden state
    next_h: np.ndarray  # (N, H) new hidden state act(a)
    Wx: np.ndarray  # (D, H)
    Wh: np.ndarray  # (H, H)
    b: np.ndarray | None  # (H,) or None
    activation: str


class RNNCache(NamedTuple):
    xs: np.ndarray  # (T, D, N) inputs
    hs: np.ndarray  # (T + 1, H, N) states: hs[0] = h0^T, hs[t + 1] after step t
    skip: np.ndarray | None  # (T, 1, N) bool, True where the mask skipped the step
    zero: np.ndarray | None  # (T, 1, N) bool, True where the output is 0 (seq.zero_outputs)
    rmask: np.ndarray | None  # (H, N) recurrent mask, transposed
    Wx: np.ndarray  # (D, H)
    Wh: np.ndarray  # (H, H)
    b: np.ndarray | None  # (H,) or None
    activation: str
    first: int  # 1 when h0 was None (zeros): no work on it, no gradient for it


def rnn_step_forward(x, prev_h, Wx, Wh, b, activation="tanh"):
    """One step. x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H,) or None.

    Returns next_h (N, H) and an RNNStepCache.
    """
    act_, _ = activations.ACTIVATIONS[activation]
    a = np.dot(x, Wx)  # (N, H) pre-activation (np.dot: less overhead than @ on small arrays)
    a += np.dot(prev_h, Wh)
    if b is not None:
        a += b
    next_h = act_(a)
    return next_h, RNNStepCache(x, prev_h, next_h, Wx, Wh, b, activation)


def rnn_step_backward(dnext_h, cache):
    """Backward of one step. dnext_h (N, H) is dL/dnext_h.

    Returns dx (N, D), dprev_h (N, H), dWx (D, H), dWh (H, H), db (H,) or None.
    """
    x, prev_h, next_h, Wx, Wh, b, activation = cache
    _, dact = activations.ACTIVATIONS[activation]
    da = dnext_h * dact(next_h)  # backprop through the nonlinearity
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = None if b is None else da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(
    x,
    h0,
    Wx,
    Wh,
    b,
    activation="tanh",
    mask=None,
    recurrent_mask=None,
    keep_cache=True,
    return_sequences=True,
    zero_output_for_mask=False,
):
    """Run the cell over a sequence (batch-first in and out; time-major, feature-major inside).

    x (N, T, D), h0 (N, H) or None (zeros: the first step skips the recurrent GEMM, and
    backward returns None for its gradient), Wx (D, H), Wh (H, H), b (H,) or None,
    mask (N, T) bool or None (False: skip the step and carry the state; it outputs the
    last output again, or 0 with zero_output_for_mask: see _sequence.zero_outputs),
    recurrent_mask (N, H) or None (multiplies h_{t-1} before the recurrent GEMM).
    Returns h (N, T, H) all outputs (None without return_sequences: only the final state
    wanted), last_h (N, H) final state, and an RNNCache (None when keep_cache is False).
    """
    N, T, D = x.shape
    H = Wh.shape[0]
    dtype = seq.compute_dtype(x, h0, Wx, Wh)
    act_, _ = activations.ACTIVATIONS[activation]
    first = seq.first_recurrent_step(h0)  # steps before it have h_{t-1} = 0
    xs = seq.step_inputs(x, dtype)  # (T, D, N)
    skip = seq.skip_steps(mask)  # (T, 1, N) or None
    zero = seq.zero_outputs(skip, zero_output_for_mask)  # (T, 1, N) or None
    rmask = seq.recurrent_mask(recurrent_mask, dtype)  # (H, N) or None
    hs = seq.states(h0, T, N, H, dtype)  # (T + 1, H, N)
    A = seq.project_inputs(xs, Wx, b)  # (T, H, N): Wx^T x_t + b for every t
    buf = np.empty((H, N), dtype=dtype)
    for t in range(T):
        next_h = hs[t + 1]
        if t >= first:
            np.dot(Wh.T, seq.recurrent_input(hs[t], rmask, buf), out=next_h)  # Wh^T h_{t-1}
            next_h += A[t]
        else:
            np.copyto(next_h, A[t])
        act_(next_h)  # h_t = act(a_t), in place
        seq.carry(next_h, hs[t], skip, t)
    h = seq.hidden_outputs(hs, zero) if return_sequences else None
    if not keep_cache:  # inference: nothing for backward
        return h, seq.final_state(hs), None
    cache = RNNCache(xs, hs, skip, zero, rmask, Wx, Wh, b, activation, first)
    return h, seq.final_state(hs), cache


def rnn_backward(dh, dlast_h, cache, input_gradient=True):
    """Backpropagation through time for `rnn_forward`.

    dh (N, T, H) or None: gradient of every output; dlast_h (N, H) or None: of the final state.
    Returns dx (N, T, D) (None when input_gradient is False), dh0 (N, H) (None when the
    forward took h0 as None), dWx (D, H), dWh (H, H), db (H,) or None.
    """
    xs, hs, skip, zero, rmask, Wx, Wh, b, activation, first = cache
    T = xs.shape[0]
    _, dact = activations.ACTIVATIONS[activation]
    dH, dnext_h = seq.output_gradients(dh, dlast_h, zero, hs[0])  # (T, H, N), (H, N)
    dA = seq.zero_skipped(dact(hs[1:]), skip)  # (T, H, N) act'(h_t); becomes da_t in the loop
    dprev_h = np.empty_like(dnext_h)
    for t in reversed(range(T)):
        if dH is not None:
            dnext_h += dH[t]  # total gradient into h_t: from its output and from step t + 1
        da = dA[t]
        da *= dnext_h  # da_t = dh_t * act'(h_t)
        if t < first:
            break  # a zero h0: nothing wants its gradient
        np.dot(Wh, da, out=dprev_h)  # dh_{t-1} = Wh da_t
        if rmask is not None:
            dprev_h *= rmask
        seq.carry(dprev_h, dnext_h, skip, t)  # a skipped step passes its gradient straight on
        dnext_h, dprev_h = dprev_h, dnext_h
    dA2 = seq.flat_steps(dA)  # (H, T*N)
    dWh = seq.recurrent_weight_gradient(hs, rmask, dA2, first)
    dx, dWx = seq.input_gradients(xs, Wx, dA2, input_gradient)
    db = None if b is None else dA2.sum(axis=1)
    return dx, seq.initial_state_gradient(dnext_h, first, hs[0]), dWx, dWh, db
