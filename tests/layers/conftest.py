"""Helpers for the layer tests: a float64 gradient check through a random scalar loss, and the
check that backward without the input gradient changes nothing else."""

import numpy as np
import pytest

import unrolled
from unrolled.gradcheck import gradcheck


def layer_gradient_errors(layer, x, seed=0, **forward_kwargs):
    """Relative errors of every gradient of L = sum_k sum(out_k * R_k), R_k fixed and random.

    Checks each parameter, the input x (when it is a float array) and each array of
    forward_kwargs["initial_state"]. The forward runs in training mode (only that keeps the
    caches backward needs); the default generator is re-seeded before every forward so that
    dropout masks are the same in every evaluation. Returns dict name -> error.
    """
    forward_kwargs = {"training": True, **forward_kwargs}

    def run():
        unrolled.set_seed(seed)
        return layer.forward(x, **forward_kwargs)

    out = run()
    outs = out if isinstance(out, list) else [out]
    R = [np.random.default_rng(100 + k).standard_normal(o.shape) for k, o in enumerate(outs)]

    def loss():
        out = run()
        outs = out if isinstance(out, list) else [out]
        return sum(float(np.sum(o * r)) for o, r in zip(outs, R, strict=True))

    dx = layer.backward(R if isinstance(out, list) else R[0])
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    inputs = dict(layer.params)
    if np.issubdtype(np.asarray(x).dtype, np.floating):
        inputs["x"], analytic["x"] = x, dx
    initial_state = forward_kwargs.get("initial_state")
    if initial_state is not None:
        for k, (s, ds) in enumerate(zip(initial_state, layer.dinitial_state, strict=True)):
            inputs[f"initial_state_{k}"], analytic[f"initial_state_{k}"] = s, ds
    return gradcheck(loss, inputs, analytic)


@pytest.fixture
def max_gradient_error():
    """max over all checked gradients of `layer_gradient_errors` (see there)."""

    def check(layer, x, **forward_kwargs):
        errors = layer_gradient_errors(layer, x, **forward_kwargs)
        assert errors, "nothing was checked"
        return max(errors.values())

    return check


@pytest.fixture
def backward_twice():
    """One training forward, then backward with and without the input gradient: the second
    returns None and writes the very same grads. Returns the first dx."""

    def check(layer, x, dy):
        layer.forward(x, training=True)
        dx = layer.backward(dy)
        grads = {k: g.copy() for k, g in layer.grads.items()}
        assert layer.backward(dy, input_gradient=False) is None
        for k, g in layer.grads.items():
            np.testing.assert_array_equal(g, grads[k])
        return dx

    return check
