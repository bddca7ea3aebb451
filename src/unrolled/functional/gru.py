"""Gated recurrent unit (Cho et al. 2014) in both of Keras's forms: forward and backward, one
step and a whole sequence. Gate order z, r, h.

Reset after the recurrent product (`reset_after=True`: Keras 3's default, cuDNN, PyTorch):

    ax = x_t @ Wx + bx = [ax_z, ax_r, ax_h]        ah = h_{t-1} @ Wh + bh = [ah_z, ah_r, ah_h]
    z = σ(ax_z + ah_z)     r = σ(ax_r + ah_r)        σ: recurrent_activation (sigmoid)
    hh = act(ax_h + r * ah_h)                         act: activation (tanh)
    h_t = z * h_{t-1} + (1 - z) * hh

Backward, with dh_t the total gradient into h_t:

    dz = dh_t * (h_{t-1} - hh) * σ'(z)     da = dh_t * (1 - z) * act'(hh)     dr = da * ah_h * σ'(r)
    dax = [dz, dr, da]                     dah = [dz, dr, da * r]
    dh_{t-1} = dh_t * z + dah @ Wh^T       dx_t = dax @ Wx^T

Weights in Keras layout: Wx (D, 3H), Wh (H, 3H), b (2, 3H) with row 0 = bx (input bias) and
row 1 = bh (recurrent bias), or None.

Reset before it (`reset_after=False`: Cho et al.'s own form, Keras's default before TF 2, so
many saved models have it; the `gru_reset_before_*` functions). One bias, and the reset gate
scales h_{t-1} before it meets Wh_h, so the candidate's recurrent product waits for r:

    ax = x_t @ Wx + b = [ax_z, ax_r, ax_h]         Wh = [Wh_z, Wh_r, Wh_h], each (H, H)
    z = σ(ax_z + h_{t-1} @ Wh_z)     r = σ(ax_r + h_{t-1} @ Wh_r)
    hh = act(ax_h + (r * h_{t-1}) @ Wh_h)
    h_t = z * h_{t-1} + (1 - z) * hh

    dz, da as above      drh = da @ Wh_h^T (into r * h_{t-1})      dr = drh * h_{t-1} * σ'(r)
    dh_{t-1} = dh_t * z + drh * r + [dz, dr] @ [Wh_z, Wh_r]^T
    dWh = [h_{t-1}^T [dz, dr],  (r * h_{t-1})^T da]       dax = [dz, dr, da]

Weights: Wx (D, 3H), Wh (H, 3H), b (3H,) or None.
"""

from typing import NamedTuple

import numpy as np

from unrolled.functional import _sequence as seq
from unrolled.functional import activations


class GRUStepCache(NamedTuple):
    x: np.ndarray  # (N, D)
    prev_h: np.ndarray  # (N, H)
    z: np.ndarray  # (N, H) update gate
    r: np.ndarray  # (N, H) reset gate
    hh: np.ndarray  # (N, H) candidate state
    ah_h: np.ndarray  # (N, H) h_{t-1} @ Wh_h + bh_h, what r multiplied
    Wx: np.ndarray  # (D, 3H)
    Wh: np.ndarray  # (H, 3H)
    b: np.ndarray | None  # (2, 3H) or None
    activation: str
    recurrent_activation: str


class GRUCache(NamedTuple):
    xs: np.ndarray  # (T, D, N) inputs
    hs: np.ndarray  # (T + 1, H, N) states, hs[0] = h0^T
    gates: np.ndarray  # (T, 3H, N) z, r, hh after their activations
    ah: np.ndarray  # (T, 3H, N) Wh^T h_{t-1} + bh
    skip: np.ndarray | None  # (T, 1, N) bool, True where the mask skipped the step
    zero: np.ndarray | None  # (T, 1, N) bool, True where the output is 0 (seq.zero_outputs)
    rmask: np.ndarray | None  # (H, N) recurrent mask, transposed
    Wx: np.ndarray  # (D, 3H)
    Wh: np.ndarray  # (H, 3H)
    b: np.ndarray | None  # (2, 3H) or None
    activation: str
    recurrent_activation: str
    first: int  # 1 when h0 was None (zeros): no work on it, no gradient for it


def _interpolate(prev_h, z, hh, out=None):
    """h_t = z * h_{t-1} + (1 - z) * hh, as hh + z * (h_{t-1} - hh): one temporary fewer.
    Both forms end every step with it."""
    out = np.subtract(prev_h, hh, out=out)
    out *= z
    out += hh
    return out


def _interpolation_factors(hs, z, hh, skip, dact, drec):
    """The local factors of `_interpolate` for all steps at once, both forms' backward:
    dz / dh_t (T, H, N), da / dh_t (da: into the candidate's pre-activation) and the direct
    dh_{t-1} / dh_t; a skipped step takes no gradient in and passes dh_t straight on."""
    z_from_h = seq.zero_skipped((hs[:-1] - hh) * drec(z), skip)
    a_from_h = seq.zero_skipped((1 - z) * dact(hh), skip)
    h_from_h = z if skip is None else np.where(skip, 1, z)
    return z_from_h, a_from_h, h_from_h


def gru_step_forward(x, prev_h, Wx, Wh, b, activation="tanh", recurrent_activation="sigmoid"):
    """One step. x (N, D), prev_h (N, H), Wx (D, 3H), Wh (H, 3H), b (2, 3H) or None.

    Returns next_h (N, H) and a GRUStepCache.
    """
    act_, _ = activations.ACTIVATIONS[activation]
    rec_, _ = activations.ACTIVATIONS[recurrent_activation]
    H = prev_h.shape[1]
    ax = np.dot(x, Wx)  # (N, 3H) input projections (np.dot: less overhead than @)
    ah = np.dot(prev_h, Wh)  # (N, 3H) recurrent projections
    if b is not None:
        ax += b[0]
        ah += b[1]
    zr = ax[:, : 2 * H]  # (N, 2H) the update and reset gates' pre-activations
    zr += ah[:, : 2 * H]
    rec_(zr)
    z, r = zr[:, :H], zr[:, H:]  # update gate, reset gate (N, H)
    ah_h = ah[:, 2 * H :]
    hh = ax[:, 2 * H :]
    hh += r * ah_h  # reset applied after the matmul
    act_(hh)  # candidate state
    next_h = _interpolate(prev_h, z, hh)
    cache = GRUStepCache(x, prev_h, z, r, hh, ah_h, Wx, Wh, b, activation, recurrent_activation)
    return next_h, cache


def gru_step_backward(dnext_h, cache):
    """Backward of one step. dnext_h (N, H).

    Returns dx (N, D), dprev_h (N, H), dWx (D, 3H), dWh (H, 3H), db (2, 3H) or None.
    """
    x, prev_h, z, r, hh, ah_h, Wx, Wh, b, activation, rec_activation = cache
    _, dact = activations.ACTIVATIONS[activation]
    _, drec = activations.ACTIVATIONS[rec_activation]
    dz = dnext_h * (prev_h - hh) * drec(z)  # through the interpolation
    da = dnext_h * (1 - z) * dact(hh)  # into the candidate's pre-activation
    dr = da * ah_h * drec(r)
    dax = np.concatenate([dz, dr, da], axis=1)  # (N, 3H) input side
    dah = np.concatenate([dz, dr, da * r], axis=1)  # (N, 3H) recurrent side
    dx = dax @ Wx.T
    dprev_h = dnext_h * z + dah @ Wh.T  # direct path through z * h plus the recurrent GEMM
    dWx = x.T @ dax
    dWh = prev_h.T @ dah
    db = None if b is None else np.stack([dax.sum(axis=0), dah.sum(axis=0)])
    return dx, dprev_h, dWx, dWh, db


def gru_forward(
    x,
    h0,
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

    x (N, T, D), h0 (N, H) or None (zeros: the first step skips the recurrent GEMM, and
    backward returns None for its gradient), Wx (D, 3H), Wh (H, 3H), b (2, 3H) or None,
    mask (N, T) bool or None (False: skip the step and carry the state; it outputs the
    last output again, or 0 with zero_output_for_mask: see _sequence.zero_outputs),
    recurrent_mask (N, H) or None (multiplies h_{t-1} before the recurrent GEMM).
    Returns h (N, T, H) all outputs (None without return_sequences: only the final state
    wanted), last_h (N, H) final state, and a GRUCache (None when keep_cache is False).
    """
    N, T, D = x.shape
    H = Wh.shape[0]
    dtype = seq.compute_dtype(x, h0, Wx, Wh)
    act_, _ = activations.ACTIVATIONS[activation]
    rec_, _ = activations.ACTIVATIONS[recurrent_activation]
    first = seq.first_recurrent_step(h0)  # steps before it have h_{t-1} = 0
    bx, bh = (None, None) if b is None else b  # (3H,) each: input and recurrent biases
    xs = seq.step_inputs(x, dtype)  # (T, D, N)
    skip = seq.skip_steps(mask)  # (T, 1, N) or None
    zero = seq.zero_outputs(skip, zero_output_for_mask)  # (T, 1, N) or None
    rmask = seq.recurrent_mask(recurrent_mask, dtype)  # (H, N) or None
    hs = seq.states(h0, T, N, H, dtype)  # (T + 1, H, N)
    gates = seq.project_inputs(xs, Wx, bx)  # (T, 3H, N): ax, then z, r, hh after the loop
    ah = np.empty((T if keep_cache else 1, 3 * H, N), dtype=dtype)  # Wh^T h_{t-1} + bh
    buf, rh = np.empty((H, N), dtype=dtype), np.empty((H, N), dtype=dtype)
    # bh as a full (3H, N) array: adding it beats broadcasting a column, once per step
    bh_ = None if bh is None else np.repeat(bh[:, None], N, axis=1)
    for t in range(T):
        a, ah_t, next_h = gates[t], ah[t if keep_cache else 0], hs[t + 1]
        if t >= first:
            np.dot(Wh.T, seq.recurrent_input(hs[t], rmask, buf), out=ah_t)
        else:
            ah_t.fill(0)
        if bh_ is not None:
            ah_t += bh_
        zr = a[: 2 * H]
        zr += ah_t[: 2 * H]
        rec_(zr)  # z, r
        z, r, hh = a[:H], a[H : 2 * H], a[2 * H :]
        hh += np.multiply(r, ah_t[2 * H :], out=rh)  # ax_h + r * ah_h
        act_(hh)
        _interpolate(hs[t], z, hh, out=next_h)
        seq.carry(next_h, hs[t], skip, t)
    h = seq.hidden_outputs(hs, zero) if return_sequences else None
    if not keep_cache:  # inference: nothing for backward
        return h, seq.final_state(hs), None
    cache = GRUCache(
        xs, hs, gates, ah, skip, zero, rmask, Wx, Wh, b, activation, recurrent_activation, first
    )
    return h, seq.final_state(hs), cache


def gru_backward(dh, dlast_h, cache, input_gradient=True):
    """Backpropagation through time for `gru_forward`.

    dh (N, T, H) or None: gradient of every output; dlast_h (N, H) or None: of the final state.
    Returns dx (N, T, D) (None when input_gradient is False), dh0 (N, H) (None when the
    forward took h0 as None), dWx (D, 3H), dWh (H, 3H), db (2, 3H) or None.
    """
    xs, hs, gates, ah, skip, zero, rmask, Wx, Wh, b, activation, rec_activation, first = cache
    T, GH, N = gates.shape
    H = GH // 3
    _, dact = activations.ACTIVATIONS[activation]
    _, drec = activations.ACTIVATIONS[rec_activation]
    z, r, hh = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]  # (T, H, N) each
    # Local factors for all steps at once; the loop only multiplies by dh_t or da_t.
    z_from_h, a_from_h, h_from_h = _interpolation_factors(hs, z, hh, skip, dact, drec)
    r_from_a = ah[:, 2 * H :] * drec(r)  # dr / da
    dH, dnext_h = seq.output_gradients(dh, dlast_h, zero, hs[0])  # (T, H, N), (H, N)
    dAh = np.empty_like(gates)  # (T, 3H, N) dah_t = [dz, dr, da * r]
    dA = np.empty_like(hh)  # (T, H, N) da_t
    dprev_h, direct = np.empty_like(dnext_h), np.empty_like(dnext_h)
    for t in reversed(range(T)):
        if dH is not None:
            dnext_h += dH[t]  # total gradient into h_t: from its output and from step t + 1
        np.multiply(dnext_h, z_from_h[t], out=dAh[t, :H])  # dz
        np.multiply(dnext_h, a_from_h[t], out=dA[t])  # da
        np.multiply(dA[t], r_from_a[t], out=dAh[t, H : 2 * H])  # dr
        np.multiply(dA[t], r[t], out=dAh[t, 2 * H :])  # da * r: into ah_h
        if t < first:
            break  # a zero h0: nothing wants its gradient
        np.dot(Wh, dAh[t], out=dprev_h)  # Wh dah_t
        if rmask is not None:
            dprev_h *= rmask
        dprev_h += np.multiply(dnext_h, h_from_h[t], out=direct)  # + dh_t * z
        dnext_h, dprev_h = dprev_h, dnext_h
    dA2 = seq.flat_steps(dAh)  # (3H, T*N), steps flattened: dah
    dWh = seq.recurrent_weight_gradient(hs, rmask, dA2, first)
    dbh = dA2.sum(axis=1)
    dA2[2 * H :] = seq.flat_steps(dA)  # the input side sees da itself: dax = [dz, dr, da]
    dx, dWx = seq.input_gradients(xs, Wx, dA2, input_gradient)
    db = None if b is None else np.stack([dA2.sum(axis=1), dbh])
    return dx, seq.initial_state_gradient(dnext_h, first, hs[0]), dWx, dWh, db


class GRUResetBeforeStepCache(NamedTuple):
    x: np.ndarray  # (N, D)
    prev_h: np.ndarray  # (N, H)
    z: np.ndarray  # (N, H) update gate
    r: np.ndarray  # (N, H) reset gate
    hh: np.ndarray  # (N, H) candidate state
    Wx: np.ndarray  # (D, 3H)
    Wh: np.ndarray  # (H, 3H)
    b: np.ndarray | None  # (3H,) or None
    activation: str
    recurrent_activation: str


class GRUResetBeforeCache(NamedTuple):
    xs: np.ndarray  # (T, D, N) inputs
    hs: np.ndarray  # (T + 1, H, N) states, hs[0] = h0^T
    gates: np.ndarray  # (T, 3H, N) z, r, hh after their activations
    rh: np.ndarray  # (T, H, N) r * h_{t-1} (h_{t-1} times the recurrent mask): what met Wh_h
    skip: np.ndarray | None  # (T, 1, N) bool, True where the mask skipped the step
    zero: np.ndarray | None  # (T, 1, N) bool, True where the output is 0 (seq.zero_outputs)
    rmask: np.ndarray | None  # (H, N) recurrent mask, transposed
    Wx: np.ndarray  # (D, 3H)
    Wh: np.ndarray  # (H, 3H)
    b: np.ndarray | None  # (3H,) or None
    activation: str
    recurrent_activation: str
    first: int  # 1 when h0 was None (zeros): no work on it, no gradient for it


def gru_reset_before_step_forward(
    x, prev_h, Wx, Wh, b, activation="tanh", recurrent_activation="sigmoid"
):
    """One step of the reset-before form. x (N, D), prev_h (N, H), Wx (D, 3H), Wh (H, 3H),
    b (3H,) or None.

    Returns next_h (N, H) and a GRUResetBeforeStepCache.
    """
    act_, _ = activations.ACTIVATIONS[activation]
    rec_, _ = activations.ACTIVATIONS[recurrent_activation]
    H = prev_h.shape[1]
    ax = np.dot(x, Wx)  # (N, 3H) input projections
    if b is not None:
        ax += b
    zr = ax[:, : 2 * H]  # (N, 2H) the update and reset gates' pre-activations
    zr += np.dot(prev_h, Wh[:, : 2 * H])
    rec_(zr)
    z, r = zr[:, :H], zr[:, H:]  # update gate, reset gate (N, H)
    hh = ax[:, 2 * H :]
    hh += np.dot(r * prev_h, Wh[:, 2 * H :])  # reset applied before the matmul
    act_(hh)  # candidate state
    next_h = _interpolate(prev_h, z, hh)
    cache = GRUResetBeforeStepCache(
        x, prev_h, z, r, hh, Wx, Wh, b, activation, recurrent_activation
    )
    return next_h, cache


def gru_reset_before_step_backward(dnext_h, cache):
    """Backward of one reset-before step. dnext_h (N, H).

    Returns dx (N, D), dprev_h (N, H), dWx (D, 3H), dWh (H, 3H), db (3H,) or None.
    """
    x, prev_h, z, r, hh, Wx, Wh, b, activation, rec_activation = cache
    _, dact = activations.ACTIVATIONS[activation]
    _, drec = activations.ACTIVATIONS[rec_activation]
    H = prev_h.shape[1]
    dz = dnext_h * (prev_h - hh) * drec(z)  # through the interpolation
    da = dnext_h * (1 - z) * dact(hh)  # into the candidate's pre-activation
    drh = da @ Wh[:, 2 * H :].T  # into r * h_{t-1}
    dr = drh * prev_h * drec(r)
    dzr = np.concatenate([dz, dr], axis=1)  # (N, 2H)
    dax = np.concatenate([dz, dr, da], axis=1)  # (N, 3H)
    dx = dax @ Wx.T
    # the direct path through z * h, through r * h, and through the gates' recurrent GEMM
    dprev_h = dnext_h * z + drh * r + dzr @ Wh[:, : 2 * H].T
    dWx = x.T @ dax
    dWh = np.concatenate([prev_h.T @ dzr, (r * prev_h).T @ da], axis=1)
    db = None if b is None else dax.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def gru_reset_before_forward(
    x,
    h0,
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
    """`gru_forward` for the reset-before form: the same arguments and returns, but b is
    (3H,) or None, and the cache a GRUResetBeforeCache. Two recurrent GEMMs per step, since
    the candidate's needs r: Wh_zr^T h_{t-1}, then Wh_h^T (r * h_{t-1}).
    """
    N, T, D = x.shape
    H = Wh.shape[0]
    dtype = seq.compute_dtype(x, h0, Wx, Wh)
    act_, _ = activations.ACTIVATIONS[activation]
    rec_, _ = activations.ACTIVATIONS[recurrent_activation]
    first = seq.first_recurrent_step(h0)  # steps before it have h_{t-1} = 0
    Wh_zr, Wh_h = np.ascontiguousarray(Wh[:, : 2 * H]), np.ascontiguousarray(Wh[:, 2 * H :])
    xs = seq.step_inputs(x, dtype)  # (T, D, N)
    skip = seq.skip_steps(mask)  # (T, 1, N) or None
    zero = seq.zero_outputs(skip, zero_output_for_mask)  # (T, 1, N) or None
    rmask = seq.recurrent_mask(recurrent_mask, dtype)  # (H, N) or None
    hs = seq.states(h0, T, N, H, dtype)  # (T + 1, H, N)
    gates = seq.project_inputs(xs, Wx, b)  # (T, 3H, N): ax, then z, r, hh after the loop
    rh = np.zeros((T if keep_cache else 1, H, N), dtype=dtype)  # r * h_{t-1}: 0 before first
    buf, rec = np.empty((H, N), dtype=dtype), np.empty((2 * H, N), dtype=dtype)
    for t in range(T):
        a, next_h, rh_t = gates[t], hs[t + 1], rh[t if keep_cache else 0]
        zr, hh = a[: 2 * H], a[2 * H :]
        if t >= first:
            prev_h = seq.recurrent_input(hs[t], rmask, buf)  # h_{t-1} (times the mask)
            zr += np.dot(Wh_zr.T, prev_h, out=rec)
        rec_(zr)  # z, r
        z, r = a[:H], a[H : 2 * H]
        if t >= first:
            np.multiply(r, prev_h, out=rh_t)  # reset before the matmul
            hh += np.dot(Wh_h.T, rh_t, out=buf)  # buf is free again: prev_h was used
        act_(hh)
        _interpolate(hs[t], z, hh, out=next_h)
        seq.carry(next_h, hs[t], skip, t)
    h = seq.hidden_outputs(hs, zero) if return_sequences else None
    if not keep_cache:  # inference: nothing for backward
        return h, seq.final_state(hs), None
    cache = GRUResetBeforeCache(
        xs, hs, gates, rh, skip, zero, rmask, Wx, Wh, b, activation, recurrent_activation, first
    )
    return h, seq.final_state(hs), cache


def gru_reset_before_backward(dh, dlast_h, cache, input_gradient=True):
    """Backpropagation through time for `gru_reset_before_forward`; returns what
    `gru_backward` does, with db (3H,) or None."""
    xs, hs, gates, rh, skip, zero, rmask, Wx, Wh, b, activation, rec_activation, first = cache
    T, GH, N = gates.shape
    H = GH // 3
    _, dact = activations.ACTIVATIONS[activation]
    _, drec = activations.ACTIVATIONS[rec_activation]
    Wh_zr, Wh_h = Wh[:, : 2 * H], Wh[:, 2 * H :]
    z, r, hh = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]  # (T, H, N) each
    # Local factors for all steps at once; the loop only multiplies by dh_t or da_t.
    z_from_h, a_from_h, h_from_h = _interpolation_factors(hs, z, hh, skip, dact, drec)
    r_from_rh = drec(r)  # dr / drh is h_{t-1} σ'(r); h_{t-1} joins in the loop
    dH, dnext_h = seq.output_gradients(dh, dlast_h, zero, hs[0])  # (T, H, N), (H, N)
    dG = np.zeros_like(gates)  # (T, 3H, N) [dz, dr, da]
    drh, buf = np.empty_like(dnext_h), np.empty_like(dnext_h)
    dprev_h, direct = np.empty_like(dnext_h), np.empty_like(dnext_h)
    for t in reversed(range(T)):
        if dH is not None:
            dnext_h += dH[t]  # total gradient into h_t: from its output and from step t + 1
        dz, dr, da = dG[t, :H], dG[t, H : 2 * H], dG[t, 2 * H :]
        np.multiply(dnext_h, z_from_h[t], out=dz)
        np.multiply(dnext_h, a_from_h[t], out=da)
        if t < first:
            break  # h_{t-1} = 0: r met nothing (dr = 0), and nothing wants dh0
        np.dot(Wh_h, da, out=drh)  # into r * h_{t-1}
        prev_h = seq.recurrent_input(hs[t], rmask, buf)  # what r multiplied
        np.multiply(drh, prev_h, out=dr)
        dr *= r_from_rh[t]
        np.dot(Wh_zr, dG[t, : 2 * H], out=dprev_h)  # through the gates' recurrent GEMM
        dprev_h += np.multiply(drh, r[t], out=direct)  # through r * h_{t-1}
        if rmask is not None:
            dprev_h *= rmask
        dprev_h += np.multiply(dnext_h, h_from_h[t], out=direct)  # + dh_t * z
        dnext_h, dprev_h = dprev_h, dnext_h
    dG2 = seq.flat_steps(dG)  # (3H, T*N), steps flattened
    dWh_zr = seq.recurrent_weight_gradient(hs, rmask, dG2[: 2 * H], first)  # (H, 2H)
    dWh_h = np.dot(dG2[2 * H :], seq.flat_steps(rh).T).T  # (r h_{t-1}) da^T summed: (H, H)
    dx, dWx = seq.input_gradients(xs, Wx, dG2, input_gradient)
    db = None if b is None else dG2.sum(axis=1)
    dWh = np.concatenate([dWh_zr, dWh_h], axis=1)
    return dx, seq.initial_state_gradient(dnext_h, first, hs[0]), dWx, dWh, db
