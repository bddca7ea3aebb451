"""Plumbing shared by the recurrent fast paths (rnn.py, lstm.py, gru.py).

The sequence functions take batch-first arrays (N, T, ·) and work time-major and
feature-major inside: step t's pre-activations are one contiguous (GH, N) block, and so is
each gate's (H, N) slice of it, whatever H and N are. (With the batch first, a gate would be
an (N, H) strided slice: N short rows per elementwise op, which is what small layers pay
for most.) The transposes happen once per call, at the edges. What every cell does the
same way lives here:

    Z[t] = Wx^T x_t + bx          one batched GEMM for all input projections, (T, GH, N)
    dWx = X dZ^T,  dx = Wx dZ,  dWh = H_prev dZ_h^T,  db = row sums of dZ
                                  one GEMM each over all steps, with the steps flattened
                                  into the columns: X (D, T*N), dZ (GH, T*N)

and the mask: a skipped step (mask[n, t] False) carries the state through unchanged, so a
padded batch gives exactly the per-sequence result. What a skipped step outputs is Keras's
rule (`zero_outputs`): the last output again, which is the carried state (0 before the
sample's first real step), or 0 with `zero_output_for_mask`.
"""

import numpy as np


def compute_dtype(*arrays):
    """The float type the math runs in: that of the inputs (float32 stays float32)."""
    return np.result_type(*[a for a in arrays if a is not None])


def first_recurrent_step(*initial_states):
    """The first step t whose previous state may be nonzero: 0, or 1 when every initial
    state is None (zeros).

    Steps before it skip the work on the previous state (the recurrent GEMM forward, its
    gradient backward): a zero state adds nothing, and nobody wants its gradient.
    """
    for s in initial_states:
        if s is not None:
            return 0
    return 1


def step_inputs(x, dtype):
    """x (N, T, D) -> xs (T, D, N) in `dtype`: each step's inputs as a contiguous block."""
    return np.ascontiguousarray(x.transpose(1, 2, 0), dtype=dtype)


def skip_steps(mask):
    """mask (N, T) bool or None -> skip (T, 1, N) bool, True where the step is skipped."""
    return None if mask is None else np.ascontiguousarray(~np.asarray(mask, bool).T)[:, None, :]


def project_inputs(xs, Wx, bx):
    """All input projections in one batched GEMM.

    xs (T, D, N), Wx (D, GH), bx (GH,) or None -> Z (T, GH, N) with Z[t] = Wx^T x_t + bx.
    """
    # (GH, D) @ (T, D, N); one step is a 2-D np.dot, with half the batched matmul's overhead
    Z = np.dot(Wx.T, xs[0])[None] if len(xs) == 1 else np.matmul(Wx.T, xs)
    if bx is not None:
        Z += bx[:, None]
    return Z


def zero_outputs(skip, zero_output_for_mask):
    """Where a step outputs 0: skip (T, 1, N) bool or None -> (T, 1, N) bool, or None for nowhere.

    Keras 3's rule for a skipped step: with zero_output_for_mask it outputs 0; without (the
    default) it repeats the last output, the carried state, except before the sample's first
    real step, where there is no output yet to repeat and it outputs 0.
    """
    if skip is None:
        return None
    zero = skip if zero_output_for_mask else np.logical_and.accumulate(skip, axis=0)
    return zero if zero.any() else None


def recurrent_mask(rmask, dtype):
    """rmask (N, H) or None -> its transpose (H, N) in `dtype`, or None."""
    return None if rmask is None else np.ascontiguousarray(np.asarray(rmask).T, dtype=dtype)


def states(h0, T, N, H, dtype):
    """hs (T + 1, H, N) with hs[0] = h0^T (zeros for None): the state before each step,
    then the final one. h0 (N, H) or None."""
    if h0 is None:
        return np.zeros((T + 1, H, N), dtype=dtype)
    hs = np.empty((T + 1, H, N), dtype=dtype)
    hs[0] = h0.T
    return hs


def recurrent_input(prev_h, rmask, buf):
    """prev_h * rmask (written into buf), or prev_h itself without a recurrent mask."""
    return prev_h if rmask is None else np.multiply(prev_h, rmask, out=buf)


def carry(next_s, prev_s, skip, t):
    """Skipped samples keep their previous state: next_s[:, n] = prev_s[:, n] where skip[t, n]."""
    if skip is not None:
        np.copyto(next_s, prev_s, where=skip[t])


def hidden_outputs(hs, zero):
    """hs (T + 1, H, N) states -> h (N, T, H) batch-first outputs, 0 where `zero` (T, 1, N)."""
    T, H, N = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
    h = np.empty((N, T, H), dtype=hs.dtype)
    for t in range(T):  # one 2D transpose per step: far faster than one 3D transpose
        h[:, t] = hs[t + 1].T
    if zero is not None:
        np.copyto(h, 0, where=zero.transpose(2, 0, 1))
    return h


def final_state(hs):
    """hs (T + 1, H, N) -> the last state as a fresh (N, H) array."""
    return np.array(hs[-1].T, order="C")


def output_gradients(dh, dlast_h, zero, like):
    """Upstream gradients, time-major and feature-major.

    dh (N, T, H) or None, dlast_h (N, H) or None, zero (T, 1, N) or None: where the output
    is a constant 0 (`zero_outputs`); like: an (H, N) array of the right dtype.
    Returns dH (T, H, N) or None (0 where the output is a constant) and dnext_h (H, N), a
    fresh array the BPTT loop may overwrite. A skipped step's repeated output is the carried
    state, so its gradient joins dnext_h and flows back to the step that made it.
    """
    dH = None
    if dh is not None:
        dH = np.ascontiguousarray(dh.transpose(1, 2, 0), dtype=like.dtype)
        if zero is not None:
            np.copyto(dH, 0, where=zero)
    dnext_h = np.zeros_like(like) if dlast_h is None else np.array(dlast_h.T, like.dtype, order="C")
    return dH, dnext_h


def initial_state_gradient(dstate, first, like):
    """What the BPTT loop carried back to the initial state, (H, N) -> (N, H).

    None when that state was None (zeros; `first` is 1); zeros when no gradient reached it
    (dstate None: no steps, no upstream). like: an (H, N) array of the right dtype.
    """
    if first:
        return None
    if dstate is None:
        return np.zeros(like.shape[::-1], dtype=like.dtype)
    return np.ascontiguousarray(dstate.T)


def zero_skipped(P, skip):
    """Zero the local-derivative factors P (T, K, N) at skipped steps: no gradient flows in."""
    if skip is not None:
        np.copyto(P, 0, where=skip)
    return P


def flat_steps(dZ):
    """dZ (T, GH, N) -> (GH, T*N) with column t*N + n = dZ[t, :, n] (no copy when T = 1)."""
    T, GH, N = dZ.shape
    if T == 1:
        return dZ[0]
    return np.ascontiguousarray(dZ.transpose(1, 0, 2)).reshape(GH, T * N)


def recurrent_weight_gradient(hs, rmask, dZ2, first=0):
    """dWh = H_prev dZ^T, one GEMM over the steps from `first` on (earlier ones had
    h_{t-1} = 0).

    hs (T + 1, H, N) states, rmask (H, N) or None, dZ2 (GH, T*N) -> dWh (H, GH).
    """
    T, H, N = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
    if first >= T:
        return np.zeros((H, dZ2.shape[0]), dtype=dZ2.dtype)
    H_prev = hs[first:-1] if rmask is None else hs[first:-1] * rmask  # what met Wh
    H_prev = flat_steps(H_prev)  # (H, (T - first) * N)
    return np.dot(dZ2[:, first * N :], H_prev.T).T  # ((GH, rows) @ (rows, H))^T: faster BLAS


def input_gradients(xs, Wx, dZ2, input_gradient=True):
    """dx = Wx dZ and dWx = X dZ^T, one GEMM each over all steps.

    xs (T, D, N), Wx (D, GH), dZ2 (GH, T*N) -> dx (N, T, D), or None when input_gradient
    is False (nobody wants it), and dWx (D, GH).
    """
    T, D, N = xs.shape
    dWx = np.dot(dZ2, flat_steps(xs).T).T  # ((GH, T*N) @ (T*N, D))^T: faster BLAS
    if not input_gradient:
        return None, dWx
    dx = np.dot(dZ2.T, Wx.T).reshape(T, N, D)  # row t*N + n is dx[n, t]
    return np.ascontiguousarray(dx.transpose(1, 0, 2)), dWx
