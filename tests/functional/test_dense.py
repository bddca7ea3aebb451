"""dense_forward / dense_backward: values and float64 finite-difference gradients."""

import numpy as np
import pytest

from unrolled.functional.dense import dense_backward, dense_forward
from unrolled.gradcheck import gradcheck


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 3)])
def test_dense_gradients(shape, use_bias, rng):
    x = rng.standard_normal(shape)
    W = rng.standard_normal((3, 2))
    b = rng.standard_normal(2) if use_bias else None
    R = rng.standard_normal((*shape[:-1], 2))

    def loss():
        return float(np.sum(dense_forward(x, W, b)[0] * R))

    _, cache = dense_forward(x, W, b)
    dx, dW, db = dense_backward(R, cache)
    inputs, analytic = {"x": x, "W": W}, {"x": dx, "W": dW}
    if use_bias:
        inputs["b"], analytic["b"] = b, db
    else:
        assert db is None
    assert max(gradcheck(loss, inputs, analytic).values()) < 1e-6


def test_dense_values_on_the_last_axis():
    x = np.arange(12.0).reshape(2, 2, 3)
    W = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    y, _ = dense_forward(x, W, np.array([0.5, -0.5]))
    np.testing.assert_array_equal(y[1, 0], [6 + 8 + 0.5, 7 - 8 - 0.5])
    assert y.shape == (2, 2, 2)


def test_dense_keeps_float32():
    x = np.ones((2, 3), np.float32)
    y, cache = dense_forward(x, np.ones((3, 4), np.float32), np.zeros(4, np.float32))
    dx, dW, db = dense_backward(np.ones_like(y), cache)
    assert {a.dtype for a in (y, dx, dW, db)} == {np.dtype(np.float32)}
