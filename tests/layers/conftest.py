"""Helpers for the layer tests: a float64 gradient check through a random scalar loss, the
check that backward without the input gradient changes nothing else, and `keras_parity`:
a Keras layer and ours on the same float64 input, outputs and every gradient compared.

Keras has no backward of its own; with the torch backend its layers are torch code, so
torch's autograd differentiates Keras's own forward (see the `keras` fixture for float64).
"""

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


KERAS_TOLERANCE = {"rtol": 1e-9, "atol": 1e-12}  # float64 on both sides


def _listed(out):
    """Outputs as a flat list (Keras nests a stack of cells' states per cell)."""
    if not isinstance(out, list | tuple):
        return [out]
    return [leaf for item in out for leaf in _listed(item)]


def keras_run(layer, x, upstream, mask=None, initial_state=None, training=False):
    """Keras `layer` on x, then L = sum_k sum(out_k * upstream_k) backpropagated by torch
    (upstream None: no backward).

    Returns (outputs, {"weights": gradients in get_weights order, "x": dx or None,
    "initial_state": [...] or None}), all NumPy arrays.
    """
    import torch

    xt = torch.tensor(x, requires_grad=np.issubdtype(x.dtype, np.floating))
    kwargs = {"training": training}
    if mask is not None:
        kwargs["mask"] = torch.tensor(mask)
    states = None
    if initial_state is not None:
        states = [torch.tensor(s, requires_grad=True) for s in initial_state]
        kwargs["initial_state"] = states
    outs = _listed(layer(xt, **kwargs))
    if upstream is not None:  # None: the outputs only
        loss = sum((o * torch.tensor(r)).sum() for o, r in zip(outs, upstream, strict=True))
        loss.backward()

    def grad(t):
        return None if t.grad is None else t.grad.numpy()

    grads = {
        "weights": [grad(w.value) for w in layer.weights],
        "x": grad(xt) if xt.requires_grad else None,
        "initial_state": None if states is None else [grad(s) for s in states],
    }
    return [o.detach().numpy() for o in outs], grads


def our_run(layer, x, upstream, mask=None, initial_state=None):
    """The same for our layer: forward in training mode, backward of the same upstream."""
    kwargs = {} if mask is None else {"mask": mask}
    if initial_state is not None:
        kwargs["initial_state"] = initial_state
    out = layer.forward(x, training=True, **kwargs)
    outs = _listed(out)
    dx = layer.backward(upstream if isinstance(out, list) else upstream[0])
    grads = {
        "weights": [layer.grads[k].copy() for k in layer.params],
        "x": dx if np.issubdtype(x.dtype, np.floating) else None,
        "initial_state": None if initial_state is None else layer.dinitial_state,
    }
    return outs, grads


@pytest.fixture
def keras_parity(keras):
    """keras_parity(theirs, ours, x, mask=None, initial_state=None): copy the built Keras
    layer's weights into ours (built here), run both, and assert equal outputs and gradients
    (float64 on both sides, to 1e-9)."""

    def check(theirs, ours, x, mask=None, initial_state=None):
        run = {"mask": mask, "initial_state": initial_state}
        shapes = [o.shape for o in keras_run(theirs, x, None, **run)[0]]
        rng = np.random.default_rng(7)
        upstream = [rng.standard_normal(shape) for shape in shapes]
        ours.build(tuple(None if k == 0 else d for k, d in enumerate(x.shape)))
        ours.set_weights(theirs.get_weights())
        expected, expected_grads = keras_run(theirs, x, upstream, **run)
        got, got_grads = our_run(ours, x, upstream, **run)
        assert len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_allclose(a, b, **KERAS_TOLERANCE)
        for key, theirs_grads in expected_grads.items():
            if theirs_grads is None:
                continue
            mine = got_grads[key]
            for a, b in zip(_listed(mine), _listed(theirs_grads), strict=True):
                b = np.zeros_like(a) if b is None else b  # torch: None where nothing flowed
                np.testing.assert_allclose(a, b, **KERAS_TOLERANCE, err_msg=key)
        return expected

    return check
