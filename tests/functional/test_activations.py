import numpy as np
import pytest

from unrolled.functional import activations
from unrolled.gradcheck import numerical_gradient, relative_error


def test_sigmoid_is_stable_and_exact():
    # the tanh form is exact to rounding in absolute terms (~1e-17 in the far tail)
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0])
    s = activations.sigmoid(x)
    assert np.all(np.isfinite(s))
    with np.errstate(over="ignore"):
        expected = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(s, expected, rtol=1e-15, atol=1e-16)


def test_sigmoid_keeps_float32():
    assert activations.sigmoid(np.ones(3, dtype=np.float32)).dtype == np.float32


def test_softmax_and_log_softmax_do_not_overflow():
    x = np.array([[1000.0, 1001.0, 1002.0], [-5.0, 0.0, 5.0]])
    p = activations.softmax(x)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(np.log(p), activations.log_softmax(x), rtol=1e-12)
    np.testing.assert_allclose(p[0], activations.softmax(x[0] - 1000.0), rtol=1e-15)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu", "linear"])
def test_derivative_from_output_matches_finite_differences(name):
    forward, derivative = activations.ACTIVATIONS[name]
    x = np.array([-2.0, -0.5, 0.3, 1.7])
    y = forward(x.copy())
    for i in range(x.size):
        xi = x[i : i + 1].copy()
        numeric = numerical_gradient(lambda xi=xi: forward(xi.copy()).sum(), xi)
        assert relative_error(derivative(y[i : i + 1]), numeric) < 1e-8
