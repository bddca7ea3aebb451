"""to_module / from_module / save_module / load_module: a Sequential as an equal torch module.

Every model of the zoo (conftest.py): the module's output equals predict within 1e-5 in
float32 and 1e-9 in float64, at batch sizes and lengths from 1; one SGD step in each library
gives the same weights within 1e-6 (float64), dropout included (both sides draw the same
masks); from_module(to_module(m)) is m again, weights bit for bit."""

import sys

import numpy as np
import pytest

import unrolled
from unrolled.errors import InputError
from unrolled.optimizers import SGD

SHAPES = [(1, 1), (3, 6), (40, 4)]  # (N, T): one step; a small batch; past predict's 32
TOLERANCE = {"float32": 1e-5, "float64": 1e-9}


@pytest.fixture
def interop(torch):
    """unrolled.interop.torch, whose whole-model functions need torch."""
    from unrolled.interop import torch as interop_torch

    return interop_torch


def tensor(torch, module, x):
    """A NumPy batch as a tensor; features in the module's dtype (predict casts them too)."""
    x = torch.from_numpy(x)
    return x.to(next(module.parameters()).dtype) if x.is_floating_point() else x


def run(torch, module, x):
    """module(x) for a NumPy batch, as NumPy (a pair for Bidirectional(merge_mode=None))."""
    with torch.no_grad():
        y = module(tensor(torch, module, x))
    return [t.numpy() for t in y] if isinstance(y, tuple) else y.numpy()


def close(ours, theirs, atol):
    np.testing.assert_allclose(np.asarray(theirs), np.asarray(ours), rtol=0, atol=atol)


@pytest.mark.parametrize("N, T", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_module_equals_predict(torch, interop, zoo, zoo_name, dtype, N, T):
    model = zoo.build(zoo_name, dtype)
    x = zoo.inputs(zoo_name, N, T)
    module = interop.to_module(model)
    expected = model.predict(x, batch_size=N)  # one batch: a stateful layer's states fit it
    assert not module.training and next(module.parameters()).dtype == getattr(torch, dtype)
    close(expected, run(torch, module, x), TOLERANCE[dtype])


def test_stateful_layers_carry_states_between_calls(torch, interop, zoo):
    model = zoo.build("stateful", "float64")
    module = interop.to_module(model)
    x1, x2 = zoo.inputs("stateful", 3, 4, seed=1), zoo.inputs("stateful", 3, 5, seed=2)
    for x in (x1, x2):  # the second call starts from the first's final states
        close(model.predict(x, batch_size=3), run(torch, module, x), 1e-9)
    model.reset_states()
    module.reset_states()
    close(model.predict(x2, batch_size=3), run(torch, module, x2), 1e-9)
    with pytest.raises(InputError, match="holds states for a batch of 3, got a batch of 2"):
        run(torch, module, x1[:2])


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_masked_steps_follow_keras_rule(torch, interop, zero_output_for_mask, return_sequences):
    """A masked step repeats the last output (0 before the first real one), or outputs 0
    with zero_output_for_mask, in the module as in the model; so does the last output."""
    unrolled.set_seed(0)
    options = {"zero_output_for_mask": zero_output_for_mask, "dtype": "float64"}
    model = unrolled.Sequential(
        [
            unrolled.Masking(0.0, input_shape=(None, 3), dtype="float64"),
            unrolled.GRU(4, activation="relu", return_sequences=return_sequences, **options),
        ]
    )
    x = np.random.default_rng(0).standard_normal((3, 5, 3))
    x[0, :2] = x[1, 3:] = x[2, 2] = 0.0  # padding first, last, and in the middle
    close(model.predict(x), run(torch, interop.to_module(model), x), 1e-12)


@pytest.fixture
def same_dropout_masks(torch, monkeypatch):
    """Both libraries draw their dropout masks from twin generators, in the same order."""
    from unrolled.interop import modules
    from unrolled.layers import dropout, recurrent

    def twin():
        rng = np.random.default_rng(7)
        return lambda shape, rate: (rng.random(shape) >= rate) / (1 - rate)

    ours, theirs = twin(), twin()

    def ours_mask(shape, rate, dtype, rng=None):
        return ours(shape, rate).astype(dtype)

    def theirs_mask(shape, rate, like):
        return torch.from_numpy(theirs(tuple(shape), rate)).to(like.dtype)

    monkeypatch.setattr(dropout, "dropout_mask", ours_mask)
    monkeypatch.setattr(recurrent, "dropout_mask", ours_mask)
    monkeypatch.setattr(modules, "_dropout_mask", theirs_mask)


def test_one_sgd_step_gives_the_same_weights(
    torch, interop, zoo, trainable_zoo_name, same_dropout_masks
):
    """The same batch, the same loss (mean squared error), one SGD step in each library: the
    same weights within 1e-6, so the gradients agree too (train mode: dropout acts)."""
    model = zoo.build(trainable_zoo_name, "float64")
    module = interop.to_module(model).train()
    x = zoo.inputs(trainable_zoo_name, 3, 5)
    y = np.random.default_rng(3).standard_normal(model.predict(x).shape)
    model.reset_states()  # a stateful layer starts the step from zeros, as the module does
    before = model.get_weights()

    model.compile(optimizer=SGD(learning_rate=0.5), loss="mse")
    model.train_on_batch(x, y)
    params = [p for p in module.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.5)
    loss = torch.nn.functional.mse_loss(module(torch.from_numpy(x)), torch.from_numpy(y))
    loss.backward()
    optimizer.step()

    after = interop.from_module(module).get_weights()
    for ours, theirs in zip(model.get_weights(), after, strict=True):
        close(ours, theirs, 1e-6)
    moved = max(np.abs(a - b).max() for a, b in zip(model.get_weights(), before, strict=True))
    assert moved > 1e-2  # a step that changed nothing would prove nothing


def test_from_module_gives_the_model_back_bit_for_bit(torch, interop, zoo, zoo_name):
    model = zoo.build(zoo_name, "float64")
    back = interop.from_module(interop.to_module(model))
    assert back.get_config() == model.get_config()
    for ours, theirs in zip(model.get_weights(), back.get_weights(), strict=True):
        assert theirs.dtype == ours.dtype and np.array_equal(theirs, ours)


def test_a_module_trained_in_torch_comes_back_equal(torch, interop, zoo):
    model = zoo.build("lstm_options", "float64")
    module = interop.to_module(model).train()
    optimizer = torch.optim.Adam([p for p in module.parameters() if p.requires_grad], lr=0.1)
    for seed in range(3):
        loss = module(torch.from_numpy(zoo.inputs("lstm_options", 4, 5, seed))).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    back = interop.from_module(module.eval())
    x = zoo.inputs("lstm_options", 2, 7)
    close(back.predict(x), run(torch, module, x), 1e-9)
    assert not np.allclose(back.get_weights()[0], model.get_weights()[0])


def test_bias_hh_stays_zero_and_frozen(torch, interop, zoo):
    """RNN and LSTM keep our one bias in bias_ih; GRU's two biases both train."""
    module = interop.to_module(zoo.build("embedding_rnn_lstm", "float64"))
    for layer in module.layers[1:3]:
        assert not layer.cell.bias_hh_l0.requires_grad and not layer.cell.bias_hh_l0.any()
        assert layer.cell.bias_ih_l0.requires_grad
    gru = interop.to_module(zoo.build("gru_options", "float64")).layers[0].cell
    assert gru.bias_hh_l0.requires_grad and gru.bias_hh_l0.any()


def test_a_frozen_layer_gets_no_gradient(torch, interop, zoo):
    model = zoo.build("bidirectional_concat", "float64")
    model.layers[0].forward_layer.trainable = False  # one direction, as Keras allows
    model.layers[2].trainable = False
    module = interop.to_module(model)
    frozen = {name for name, p in module.named_parameters() if not p.requires_grad}
    forward = {f"layers.0.forward_layer.cell.{w}_l0" for w in ("weight_ih", "weight_hh")}
    forward |= {f"layers.0.forward_layer.cell.{b}_l0" for b in ("bias_ih", "bias_hh")}
    dense = {"layers.2.linear.weight", "layers.2.linear.bias"}
    assert frozen == forward | dense | {"layers.0.backward_layer.cell.bias_hh_l0"}  # LSTM's 0
    assert interop.from_module(module).get_config() == model.get_config()


# nn.Sequential built by hand from PyTorch's own layers
def test_hand_built_embedding_stacked_bidirectional_lstm(torch, interop):
    nn = torch.nn
    torch.manual_seed(0)
    emb, linear = nn.Embedding(10, 4), nn.Linear(6, 10)
    lstm = nn.LSTM(4, 3, num_layers=2, batch_first=True, bidirectional=True, dropout=0.2)
    model = interop.from_module(nn.Sequential(emb, lstm, linear, nn.Softmax(dim=-1)))
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Embedding", "Bidirectional", "Dropout", "Bidirectional", "Dense"]
    assert model.layers[1].forward_layer.return_sequences and model.dtype == np.float64
    ids = np.random.default_rng(0).integers(0, 10, (3, 5))
    lstm.eval()
    with torch.no_grad():
        expected = torch.softmax(linear(lstm(emb(torch.from_numpy(ids)))[0]), dim=-1)
    close(model.predict(ids), expected.numpy(), 1e-9)


def test_hand_built_gru_time_major_and_rnn_without_bias(torch, interop):
    nn = torch.nn
    torch.manual_seed(1)
    gru, linear = nn.GRU(3, 4), nn.Linear(4, 2)  # batch_first=False: (T, N, D)
    model = interop.from_module(nn.Sequential(gru, linear, nn.Tanh()))
    x = np.random.default_rng(1).standard_normal((2, 6, 3))
    with torch.no_grad():
        expected = torch.tanh(linear(gru(torch.from_numpy(x).transpose(0, 1))[0])).transpose(0, 1)
    close(model.predict(x), expected.numpy(), 1e-9)

    rnn = nn.RNN(3, 4, nonlinearity="relu", bias=False, batch_first=True, dtype=torch.float32)
    head = nn.Linear(4, 1, bias=False, dtype=torch.float32)
    model = interop.from_module(nn.Sequential(rnn, nn.Dropout(0.1), head, nn.Sigmoid()))
    assert [type(layer).__name__ for layer in model.layers] == ["SimpleRNN", "Dropout", "Dense"]
    assert model.layers[0].activation == "relu" and model.dtype == np.float32
    x = x.astype(np.float32)
    with torch.no_grad():
        expected = torch.sigmoid(head(rnn(torch.from_numpy(x))[0]))
    close(model.predict(x), expected.numpy(), 1e-5)


def test_hand_built_linear_first(torch, interop):
    nn = torch.nn
    linear = nn.Linear(3, 4)
    model = interop.from_module(nn.Sequential(linear, nn.ReLU()))
    x = np.random.default_rng(2).standard_normal((5, 3))
    with torch.no_grad():
        close(model.predict(x), torch.relu(linear(torch.from_numpy(x))).numpy(), 1e-9)


@pytest.mark.parametrize(
    "make, received",
    [
        (lambda nn: nn.Sequential(nn.Conv1d(3, 3, 1)), "Conv1d at position 0"),
        (lambda nn: nn.Sequential(nn.LSTM(3, 4, proj_size=2)), "LSTM at position 0"),
        (lambda nn: nn.Sequential(nn.Embedding(5, 2, max_norm=1.0)), "Embedding at position 0"),
        (lambda nn: nn.Sequential(nn.Linear(3, 2), nn.Softmax(dim=1)), "Softmax at position 1"),
        (lambda nn: nn.Sequential(nn.GRU(3, 2), nn.Tanh()), "Tanh at position 1"),
        (lambda nn: nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.ReLU()), "ReLU at position 2"),
        (lambda nn: nn.Sequential(), "no such layer in it"),
        (lambda nn: nn.LSTM(3, 2), "LSTM"),
    ],
)
def test_from_module_refuses_what_it_cannot_express(torch, interop, make, received):
    with pytest.raises(InputError, match=f"argument `module`, expected .*got '{received}"):
        interop.from_module(make(torch.nn))


def test_to_module_refuses_an_unbuilt_model_or_another_object(torch, interop):
    with pytest.raises(InputError, match=r"build the model .* before to_module\(\)"):
        interop.to_module(unrolled.Sequential([unrolled.LSTM(2)]))
    with pytest.raises(InputError, match="argument `model`, expected an unrolled Sequential"):
        interop.to_module(torch.nn.Linear(2, 2))


# the .pt file
def test_save_and_load_a_trained_module_with_extras(torch, interop, zoo, tmp_path):
    module = interop.to_module(zoo.build("embedding_mask_zero", "float32")).train()
    loss = module(tensor(torch, module, zoo.inputs("embedding_mask_zero", 3, 4))).sum()
    loss.backward()
    with torch.no_grad():
        for p in module.parameters():
            p -= 0.1 * p.grad if p.grad is not None else 0
    path = tmp_path / "model.pt"
    interop.save_module(module, path, extras={"vocabulary": ["<pad>", "a"]})
    loaded, extras = interop.load_module(path, with_extras=True)
    assert extras == {"vocabulary": ["<pad>", "a"]} and not loaded.training
    x = zoo.inputs("embedding_mask_zero", 5, 6)
    close(run(torch, module.eval(), x), run(torch, loaded, x), 0)
    # what a PyTorch user without unrolled reads: a plain dict, PyTorch's names
    raw = torch.load(path, weights_only=True)
    assert set(raw) == {"format", "format_version", "model", "extras", "state_dict"}
    assert "layers.2.forward_layer.cell.weight_ih_l0" in raw["state_dict"]


def test_load_module_refuses_what_it_did_not_write(torch, interop, tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("this would run",))

    cases = {
        "missing.pt": None,
        "text.pt": b"not a torch file",
        "pickle.pt": Evil(),
        "other.pt": {"format": "something else"},
        "newer.pt": {"format": "unrolled.torch", "format_version": 99},
        "damaged.pt": {"format": "unrolled.torch", "format_version": 1, "model": "{"},
    }
    expected = {
        "missing.pt": "no such file",
        "text.pt": r"not a PyTorch file that unrolled wrote",
        "pickle.pt": r"not a PyTorch file that unrolled wrote \(torch.load\(weights_only=True\)",
        "other.pt": "expected a unrolled.torch file, got 'something else'",
        "newer.pt": "format version 99 is newer than this unrolled reads",
        "damaged.pt": "the file is damaged",
    }
    for name, content in cases.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            torch.save(content, path)
        with pytest.raises(InputError, match=f"cannot load '.*{name}': {expected[name]}"):
            interop.load_module(path)


def test_save_module_refuses_other_objects_and_extras_that_are_not_json(torch, interop, zoo):
    with pytest.raises(InputError, match="argument `module`, expected a module made by"):
        interop.save_module(torch.nn.Linear(2, 2), "x.pt")
    module = interop.to_module(zoo.build("seq2seq"))
    with pytest.raises(InputError, match="extras must be JSON-serialisable"):
        interop.save_module(module, "x.pt", extras={"a": object()})


# PyTorch stays optional
def test_without_torch_the_functions_say_what_to_install(monkeypatch):
    import unrolled.interop

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails
    monkeypatch.delitem(sys.modules, "unrolled.interop.modules", raising=False)
    monkeypatch.delattr(unrolled.interop, "modules", raising=False)
    with pytest.raises(InputError, match="needs the torch package: pip install torch$"):
        from unrolled.interop.torch import to_module  # noqa: F401
