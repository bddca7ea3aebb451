"""PyTorch is the float64 oracle: weights converted by unrolled.interop.torch must give the same
outputs, final states and every gradient as torch.nn.RNN / LSTM / GRU, across two chained calls
(the second starts from the first's final state and backprop runs through both)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import unrolled
from unrolled.errors import InputError
from unrolled.functional.gru import gru_backward, gru_forward
from unrolled.functional.lstm import lstm_backward, lstm_forward
from unrolled.functional.rnn import rnn_backward, rnn_forward
from unrolled.interop.torch import from_torch, layer_state_dict, load_layer_state_dict, to_torch

SEQUENCE = {
    "rnn": (rnn_forward, rnn_backward),
    "lstm": (lstm_forward, lstm_backward),
    "gru": (gru_forward, gru_backward),
}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
SHAPES = [(1, 1, 2, 3), (3, 1, 4, 2), (1, 4, 3, 5), (4, 6, 5, 3), (2, 3, 1, 1)]  # N, T, D, H


def numpy(a):
    return a.detach().numpy() if hasattr(a, "detach") else a


def close(ours, theirs):
    np.testing.assert_allclose(numpy(ours), numpy(theirs), rtol=1e-9, atol=1e-12)


def torch_module(torch, kind, activation, D, H, bias=True, bidirectional=False):
    """A one-layer batch-first torch.nn.RNN/LSTM/GRU (float64 under the `torch` fixture)."""
    options = dict(batch_first=True, bias=bias, bidirectional=bidirectional)
    if kind == "rnn":
        return torch.nn.RNN(D, H, nonlinearity=activation, **options)
    return {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](D, H, **options)


def ours_forward(kind, activation, x, states, W):
    """Our sequence forward -> h, [final states], cache."""
    options = {"activation": activation} if kind == "rnn" else {}
    h, *last, cache = SEQUENCE[kind][0](x, *states, *W, **options)
    return h, last, cache


def keras_weights(rng, kind, D, H, bias=True):
    GH = GATES[kind] * H
    b = rng.standard_normal((2, GH) if kind == "gru" else GH) if bias else None
    return rng.standard_normal((D, GH)), rng.standard_normal((H, GH)), b


@pytest.mark.parametrize("N, T, D, H", SHAPES)
@pytest.mark.parametrize("kind, activation", CELLS)
def test_two_chained_calls_match_torch(torch, kind, activation, N, T, D, H):
    rng = np.random.default_rng([N, T, D, H])
    torch.manual_seed(N * 1000 + T * 100 + D * 10 + H)
    module = torch_module(torch, kind, activation, D, H)
    with torch.no_grad():  # both torch biases nonzero, so from_torch must add them (RNN, LSTM)
        for p in module.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.8, 0.8, p.shape)))
    W = from_torch(kind, module.state_dict())
    S = 2 if kind == "lstm" else 1
    x1, x2 = rng.standard_normal((N, T, D)), rng.standard_normal((N, T + 1, D))
    states0 = [rng.standard_normal((N, H)) for _ in range(S)]
    g1, g2 = rng.standard_normal((N, T, H)), rng.standard_normal((N, T + 1, H))
    g_last = [rng.standard_normal((N, H)) for _ in range(S)]

    # torch: two chained calls, the second starting from the first's final state
    tx1, tx2 = (torch.tensor(x, requires_grad=True) for x in (x1, x2))
    t_states0 = [torch.tensor(s[None], requires_grad=True) for s in states0]  # (1, N, H)

    def call(x, states):
        y, last = module(x, tuple(states) if S == 2 else states[0])
        return y, list(last) if S == 2 else [last]

    ty1, t_last1 = call(tx1, t_states0)
    ty2, t_last2 = call(tx2, t_last1)
    loss = (ty1 * torch.from_numpy(g1)).sum() + (ty2 * torch.from_numpy(g2)).sum()
    loss = loss + sum(
        (s[0] * torch.from_numpy(g)).sum() for s, g in zip(t_last2, g_last, strict=True)
    )
    loss.backward()

    # ours: the same two calls, then backprop through the second and into the first
    backward = SEQUENCE[kind][1]
    h1, last1, cache1 = ours_forward(kind, activation, x1, states0, W)
    h2, last2, cache2 = ours_forward(kind, activation, x2, last1, W)
    dx2, *rest2 = backward(g2, *g_last, cache2)
    dx1, *rest1 = backward(g1, *rest2[:S], cache1)
    dW = [a + b for a, b in zip(rest1[S:], rest2[S:], strict=True)]

    close(h1, ty1), close(h2, ty2), close(dx1, tx1.grad), close(dx2, tx2.grad)
    for ours, theirs in zip(last2, t_last2, strict=True):
        close(ours, theirs[0])
    for ours, theirs in zip(rest1[:S], t_states0, strict=True):
        close(ours, theirs.grad[0])
    grads = {name: p.grad for name, p in module.named_parameters()}
    dWx, dWh, db = from_torch(kind, grads)
    close(dW[0], dWx), close(dW[1], dWh)
    if kind == "gru":
        close(dW[2], db)
    else:  # b = b_ih + b_hh, so each torch bias gets our db
        close(dW[2], grads["bias_ih_l0"]), close(dW[2], grads["bias_hh_l0"])


@pytest.mark.parametrize("kind, activation", CELLS)
def test_bidirectional_keys_and_reverse_direction(torch, kind, activation):
    """The `_reverse` weights drive torch's backward direction: it equals our cell run on the
    time-reversed input, reversed back."""
    rng = np.random.default_rng(7)
    N, T, D, H = 2, 4, 3, 2
    module = torch_module(torch, kind, activation, D, H, bidirectional=True)
    state = module.state_dict()
    fwd, bwd = from_torch(kind, state), from_torch(kind, state, suffix="_reverse")
    x = rng.standard_normal((N, T, D))
    zeros = [np.zeros((N, H))] * (2 if kind == "lstm" else 1)
    h_fwd, _, _ = ours_forward(kind, activation, x, zeros, fwd)
    h_bwd, _, _ = ours_forward(kind, activation, x[:, ::-1], zeros, bwd)
    with torch.no_grad():
        y, _ = module(torch.from_numpy(x))
    close(np.concatenate([h_fwd, h_bwd[:, ::-1]], axis=2), y)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_round_trip_and_torch_layout(torch, kind, bias):
    rng = np.random.default_rng(3)
    D, H = 3, 2
    W = keras_weights(rng, kind, D, H, bias)
    state = to_torch(kind, *W, suffix="_reverse")
    back = from_torch(kind, state, suffix="_reverse")
    for a, b in zip(W, back, strict=True):
        assert (a is None and b is None) or np.array_equal(a, b)
    module = torch_module(torch, kind, "tanh", D, H, bias=bias, bidirectional=True)
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items() if "reverse" in k}
    assert {k: v.shape for k, v in state.items()} == expected
    module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    close(module.weight_ih_l0_reverse, state["weight_ih_l0_reverse"])


def test_gru_gate_blocks_swap(torch):
    """Ours z, r, h; torch r, z, n: our z block is torch's second block, r the first."""
    D, H = 2, 3
    module = torch_module(torch, "gru", "tanh", D, H)
    w_ih = module.weight_ih_l0.detach().numpy()
    Wx, _, b = from_torch("gru", module.state_dict())
    close(Wx[:, :H], w_ih[H : 2 * H].T), close(Wx[:, H : 2 * H], w_ih[:H].T)
    close(Wx[:, 2 * H :], w_ih[2 * H :].T)
    close(b[1, :H], module.bias_hh_l0[H : 2 * H])


def test_lstm_biases_are_summed_and_split(torch):
    module = torch_module(torch, "lstm", "tanh", 2, 3)
    state = module.state_dict()
    _, _, b = from_torch("lstm", state)
    close(b, state["bias_ih_l0"] + state["bias_hh_l0"])
    out = to_torch("lstm", *from_torch("lstm", state))
    close(out["bias_ih_l0"], b)
    np.testing.assert_array_equal(out["bias_hh_l0"], 0)


class FakeLayer:
    """Duck-typed recurrent layer: .kind, get_weights(), set_weights() that checks shapes."""

    def __init__(self, kind, weights):
        self.kind, self.weights = kind, [w for w in weights if w is not None]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        assert [w.shape for w in weights] == [w.shape for w in self.weights]
        self.weights = [np.array(w) for w in weights]


class FakeBidirectional:
    def __init__(self, forward_layer, backward_layer):
        self.forward_layer, self.backward_layer = forward_layer, backward_layer


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_layer_state_dict_bidirectional(torch, kind):
    rng = np.random.default_rng(5)
    D, H = 4, 3
    layer = FakeBidirectional(
        FakeLayer(kind, keras_weights(rng, kind, D, H)),
        FakeLayer(kind, keras_weights(rng, kind, D, H)),
    )
    state = layer_state_dict(layer)
    module = torch_module(torch, kind, "tanh", D, H, bidirectional=True)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})  # strict
    torch_state = module.state_dict()
    load_layer_state_dict(layer, torch_state)
    for suffix, single in [("", layer.forward_layer), ("_reverse", layer.backward_layer)]:
        for ours, theirs in zip(
            single.get_weights(), from_torch(kind, torch_state, suffix), strict=True
        ):
            close(ours, theirs)


def test_layer_state_dict_without_bias(torch):
    rng = np.random.default_rng(6)
    layer = FakeLayer("gru", keras_weights(rng, "gru", 2, 3, bias=False))
    state = layer_state_dict(layer)
    assert sorted(state) == ["weight_hh_l0", "weight_ih_l0"]
    module = torch_module(torch, "gru", "tanh", 2, 3, bias=False)
    load_layer_state_dict(layer, module.state_dict())
    close(layer.get_weights()[0], from_torch("gru", module.state_dict())[0])
    with pytest.raises(InputError, match="`state_dict`, expected no bias keys"):
        load_layer_state_dict(layer, torch_module(torch, "gru", "tanh", 2, 3).state_dict())


def test_parameters_with_requires_grad_are_accepted(torch):
    module = torch_module(torch, "lstm", "tanh", 2, 3)
    Wx, _, _ = from_torch("lstm", dict(module.named_parameters()))
    close(Wx, module.weight_ih_l0.detach().numpy().T)


def test_errors_name_the_argument():
    with pytest.raises(InputError, match="argument `kind`.*got 'lstmm'"):
        to_torch("lstmm", np.zeros((1, 4)), np.zeros((1, 4)), None)
    with pytest.raises(InputError, match="argument `state_dict`.*'weight_hh_l0_reverse'"):
        from_torch("rnn", {"weight_ih_l0_reverse": np.zeros((1, 1))}, suffix="_reverse")


def test_gru_reset_before_has_no_pytorch_form(torch):
    model = unrolled.Sequential([unrolled.GRU(2, reset_after=False, input_shape=(None, 3))])
    message = r"^layer 'g' is a GRU with reset_after=False, which PyTorch has no layer for"
    layer = unrolled.Bidirectional(unrolled.GRU(2, reset_after=False), name="b")
    layer.build((None, None, 3))
    with pytest.raises(InputError, match=message.replace("'g'", "'forward_gru.*'")):
        layer_state_dict(layer)
    from unrolled.interop.torch import to_module

    with pytest.raises(InputError, match=message.replace("'g'", "'gru.*'")):
        to_module(model)


def test_module_does_not_import_torch():
    src = str(Path(unrolled.__file__).parents[1])
    code = "import sys, unrolled.interop.torch; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": src})
