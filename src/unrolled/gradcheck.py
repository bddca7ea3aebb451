"""Finite-difference gradient checks: the first of our two proofs of every gradient.

For a scalar loss L(theta), the centered difference

    dL/dtheta_i ~ (L(theta + h e_i) - L(theta - h e_i)) / (2 h)

has error O(h^2) plus rounding of about eps * |L| / h; in float64 with h = 1e-6 it
agrees with an exact gradient to ~1e-10. We compare whole arrays with the norm-wise
relative error ||a - n|| / max(||a||, ||n||): an elementwise ratio would blow up on
entries that are ~0 in both, where only the rounding noise is left.
"""

import numpy as np


def numerical_gradient(f, x, h=1e-6):
    """Centered-difference gradient of the scalar function `f()` with respect to array `x`.

    `x` is perturbed in place (and restored), so `f` should read it, e.g. a closure over
    a layer's parameter. Returns an array of x's shape.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat = x.reshape(-1)
    assert np.shares_memory(flat, x), "x must be contiguous so it can be perturbed in place"
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f()
        flat[i] = old - h
        minus = f()
        flat[i] = old
        grad.reshape(-1)[i] = (plus - minus) / (2 * h)
    return grad


def relative_error(analytic, numeric):
    """||a - n|| / max(||a||, ||n||), 0.0 when both are zero (or empty)."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"shapes differ: analytic {a.shape}, numeric {n.shape}")
    scale = max(np.linalg.norm(a), np.linalg.norm(n))
    return float(np.linalg.norm(a - n) / scale) if scale > 0 else 0.0


def gradcheck(f, inputs, analytic, h=1e-6):
    """Check analytic gradients of scalar `f()` against finite differences.

    inputs:   dict name -> float64 array that f reads (perturbed in place)
    analytic: dict name -> gradient array of the same shape
    Returns dict name -> max relative error. Example:

        errors = gradcheck(loss, {"kernel": layer.params["kernel"]}, layer.grads)
        assert max(errors.values()) < 1e-6
    """
    return {
        name: relative_error(analytic[name], numerical_gradient(f, x, h))
        for name, x in inputs.items()
    }
