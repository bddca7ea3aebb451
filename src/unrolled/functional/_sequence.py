"""Plumbing shared by the recurrent fast paths (rnn.py, lstm.py, gru.py).

The sequence functions take batch-first arrays (N, T, ·) and work time-major (T, N, ·)
inside, so the slice for step t is one contiguous block. What every cell does the same way
lives here:

    Z  = X @ Wx + bx              one GEMM for all input projections, X (T*N, D)
    dWx = X^T @ dZ,  dx = dZ @ Wx^T,  dWh = H_prev^T @ dZ_h     one GEMM each over all steps

and the mask: a skipped step (mask[n, t] False) carries the state through unchanged and
outputs 0, so a padded batch gives exactly the per-sequence result.
"""

import numpy as np

from unrolled.functional import activations


def compute_dtype(*arrays):
    """The float type the math runs in: that of the inputs (float32 stays float32)."""
    return np.result_type(*(a.dtype for a in arrays if a is not None))


def time_major(x, dtype):
    """x (N, T, K) -> contiguous copy of shape (T, N, K) in `dtype`."""
    return np.ascontiguousarray(x.transpose(1, 0, 2), dtype=dtype)


def skip_steps(mask):
    """mask (N, T) bool or None -> skip (T, N, 1) bool, True where the step is skipped."""
    return None if mask is None else np.ascontiguousarray(~np.asarray(mask, bool).T)[:, :, None]


def project_inputs(xs, Wx, bx):
    """All input projections in one GEMM.

    xs (T, N, D), Wx (D, GH), bx (GH,) or None -> Z (T, N, GH) = xs @ Wx + bx.
    """
    T, N, D = xs.shape
    Z = np.dot(xs.reshape(T * N, D), Wx).reshape(T, N, Wx.shape[1])  # (T*N, D) @ (D, GH)
    if bx is not None:
        Z += bx
    return Z


def cast(a, dtype):
    """a in `dtype` (no copy when it already is), or None."""
    return None if a is None else np.asarray(a, dtype=dtype)


def states(h0, T, dtype):
    """hs (T + 1, N, H) with hs[0] = h0: the state before each step, then the final one."""
    hs = np.empty((T + 1, *h0.shape), dtype=dtype)
    hs[0] = h0
    return hs


def recurrent_input(prev_h, rmask, buf):
    """prev_h * rmask (written into buf), or prev_h itself without a recurrent mask."""
    return prev_h if rmask is None else np.multiply(prev_h, rmask, out=buf)


def activate_into(act_, x, out):
    """out = act(x) for an in-place activation `act_`: one pass for tanh, else copy then act."""
    if act_ is activations.tanh_:
        return np.tanh(x, out=out)
    np.copyto(out, x)
    return act_(out)


def carry(next_s, prev_s, skip, t):
    """Skipped rows keep their previous state: next_s[n] = prev_s[n] where skip[t, n]."""
    if skip is not None:
        np.copyto(next_s, prev_s, where=skip[t])


def hidden_outputs(hs, skip):
    """hs (T + 1, N, H) states -> h (N, T, H) batch-first outputs, 0 at skipped steps."""
    h = np.ascontiguousarray(hs[1:].transpose(1, 0, 2))  # (N, T, H)
    if skip is not None:
        np.copyto(h, 0, where=skip.transpose(1, 0, 2))
    return h


def output_gradients(dh, dlast_h, skip, like):
    """Upstream gradients in time-major form.

    dh (N, T, H) or None, dlast_h (N, H) or None, like: an (N, H) array of the right dtype.
    Returns dH (T, N, H) or None (0 at skipped steps, whose output is a constant 0) and
    dnext_h (N, H), a fresh array the BPTT loop may overwrite.
    """
    dH = None
    if dh is not None:
        dH = time_major(dh, like.dtype)
        if skip is not None:
            np.copyto(dH, 0, where=skip)
    dnext_h = np.zeros_like(like) if dlast_h is None else np.array(dlast_h, dtype=like.dtype)
    return dH, dnext_h


def zero_skipped(P, skip):
    """Zero the local-derivative factors P (T, N, K) at skipped steps: no gradient flows in."""
    if skip is not None:
        np.copyto(P, 0, where=skip)
    return P


def recurrent_weight_gradient(hs, rmask, dZh):
    """dWh = H_prev^T @ dZh, one GEMM over all steps.

    hs (T + 1, N, H) states, rmask (N, H) or None, dZh (T, N, GH) -> dWh (H, GH).
    """
    T, N, GH = dZh.shape
    H_prev = hs[:-1] if rmask is None else hs[:-1] * rmask  # (T, N, H): what met Wh
    return H_prev.reshape(T * N, hs.shape[2]).T @ dZh.reshape(T * N, GH)


def input_gradients(xs, Wx, dZx):
    """dx = dZ @ Wx^T and dWx = X^T @ dZ, one GEMM each over all steps.

    xs (T, N, D), Wx (D, GH), dZx (T, N, GH) -> dx (N, T, D), dWx (D, GH).
    """
    T, N, D = xs.shape
    dZ2 = dZx.reshape(T * N, Wx.shape[1])
    dx = np.dot(dZ2, Wx.T).reshape(T, N, D)
    dWx = xs.reshape(T * N, D).T @ dZ2  # (D, T*N) @ (T*N, GH)
    return np.ascontiguousarray(dx.transpose(1, 0, 2)), dWx
