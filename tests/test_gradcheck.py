import numpy as np

from unrolled.gradcheck import gradcheck, numerical_gradient, relative_error


def test_numerical_gradient_of_a_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)
    np.testing.assert_array_equal(x, [[1.0, -2.0], [0.5, 3.0]])  # restored


def test_gradcheck_detects_a_wrong_gradient():
    w = np.array([0.3, -0.7, 1.1])
    loss = lambda: float(np.sum(np.sin(w)))  # noqa: E731
    assert gradcheck(loss, {"w": w}, {"w": np.cos(w)})["w"] < 1e-9
    assert gradcheck(loss, {"w": w}, {"w": 1.01 * np.cos(w)})["w"] > 1e-3


def test_relative_error_is_normwise_and_handles_zero():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([1.0, 0.0], [1.0, 1e-12]) < 1e-11
    assert abs(relative_error([2.0], [1.0]) - 0.5) < 1e-15
