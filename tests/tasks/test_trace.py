"""`unrolled trace`: the tutorial's worked example, BPTT against finite differences, errors."""

import json

import numpy as np
import pytest

from unrolled.cli import main
from unrolled.errors import InputError
from unrolled.functional.activations import softmax
from unrolled.tasks.trace import Config, run

# the tutorial's numbers "for the letter e" (its spreadsheet rounded intermediate values)
TUTORIAL_H = [0.936534, 0.949104, 0.762341]
TUTORIAL_Y = [1.90607732, 1.13779113, 0.95666016, 1.27422602]


def test_the_tutorials_worked_example():
    result = run(Config())
    assert result.net.vocab == ["h", "e", "l", "o"]
    assert [s.input for s in result.steps] == list("hell")
    assert [s.target for s in result.steps] == list("ello")
    first, e = result.steps[0], result.steps[1]
    # step 1 ("h"): W_xh x_t is W_xh's first column; h_0 = 0, so W_hh h_0 + b = b
    np.testing.assert_allclose(first.parts["Wx_x"], [0.287027, 0.902874, 0.537524])
    np.testing.assert_allclose(first.parts["Wh_h_b"], [0.567] * 3)
    np.testing.assert_allclose(first.h, np.tanh([0.854027, 1.469874, 1.104524]), atol=1e-12)
    # step 2 ("e") carries h_1: the tutorial's h_t and y_t, and its wrong prediction "h"
    np.testing.assert_allclose(e.prev_h, first.h)
    np.testing.assert_allclose(e.h, TUTORIAL_H, atol=1e-5)
    np.testing.assert_allclose(e.y, TUTORIAL_Y, atol=1e-5)
    np.testing.assert_allclose(e.p, softmax(e.y), atol=1e-15)
    assert e.predicted == "h" and e.target == "l"
    assert e.loss == pytest.approx(-np.log(e.p[2]))
    assert result.total_loss == pytest.approx(sum(s.loss for s in result.steps))


def test_bptt_matches_finite_differences_and_adds_up():
    result = run(Config(backward=True))
    assert [b.t for b in result.back] == [4, 3, 2, 1]  # newest step first
    for name, gradient in result.gradients.items():
        assert gradient.relative_error < 1e-7, name
    # the summed gradients are the sums of the per-step contributions
    for name, gradient in result.gradients.items():
        total = sum(b.contributions[name] for b in result.back)
        np.testing.assert_allclose(gradient.analytic, total, atol=1e-15)
    # dL/dh_t = its own output's part + what step t+1 sent back (0 at the last step)
    assert not result.back[0].dh_future.any()
    for b in result.back:
        np.testing.assert_allclose(b.dh, b.dh_output + b.dh_future, atol=1e-15)
    np.testing.assert_allclose(result.back[0].dy, result.steps[-1].p - np.eye(4)[3], atol=1e-15)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_cells_trace_their_gates_and_gradients(cell):
    result = run(Config(cell=cell, word="hole", backward=True, seed=3))
    s = result.steps[1]
    if cell == "lstm":
        for gate in "ifo":
            assert ((s.parts[gate] > 0) & (s.parts[gate] < 1)).all()
        prev_c = result.steps[0].c
        np.testing.assert_allclose(s.c, s.parts["f"] * prev_c + s.parts["i"] * s.parts["g"])
        np.testing.assert_allclose(s.h, s.parts["o"] * np.tanh(s.c))
    else:
        z = s.parts["z"]
        np.testing.assert_allclose(s.h, z * s.prev_h + (1 - z) * s.parts["hh"])
    for name, gradient in result.gradients.items():
        assert gradient.relative_error < 1e-6, (cell, name)
    # the seed fixes the random weights
    again = run(Config(cell=cell, word="hole", seed=3))
    np.testing.assert_array_equal(again.steps[-1].h, result.steps[-1].h)


def test_text_output_is_a_readable_table(capsys):
    assert main(["trace", "--backward"]) == 0
    out = capsys.readouterr().out
    assert 'step 2   input "e"   target "l"' in out
    assert "0.936533  0.949103  0.762336" in out  # h_2, shown to 6 decimals
    assert 'predicted "h"' in out and "(wrong)" in out
    assert "Backward pass (BPTT), newest step first" in out
    assert "from step 5" in out and "numeric" in out and "relative error" in out
    assert "[" not in out.split("Summary")[1]  # tables, not array dumps


def test_json_document(capsys, tmp_path):
    assert main(["trace", "--json", "--backward", "--out", str(tmp_path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["vocabulary"] == ["h", "e", "l", "o"]
    step = doc["steps"][1]
    assert {"input", "h", "y", "p", "predicted", "target", "loss"} <= step.keys()
    np.testing.assert_allclose(step["h"], TUTORIAL_H, atol=1e-5)
    assert step["predicted"] == "h" and step["target"] == "l"
    grads = doc["backward"]["gradients"]
    assert set(grads) == {"dW_xh", "dW_hh", "db", "dW_hy"}
    assert grads["dW_xh"]["relative_error"] < 1e-7
    assert json.loads((tmp_path / "trace.json").read_text()) == doc


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--word", "hallo"], "'a' is not in it"),
        (["--word", "h"], "at least 2 symbols"),
        (["--cell", "tree"], "`--cell`, expected one of rnn, lstm, gru, got 'tree'"),
        (["--input", "hello"], "`--input`, expected to be used with --model"),
        (["--model", "m.npz"], "`--input`"),
        (["--model", "m.npz", "--word", "hell", "--input", "x"], "cannot be combined"),
        # the defaults' values, typed: refused all the same, before the file is read
        (
            ["--model", "m.npz", "--cell", "rnn", "--input", "x"],
            "Argument `--cell`: cannot be combined with `--model` (the model file fixes the cell; "
            "give its text with `--input`).",
        ),
        (
            ["--cell", "rnn", "--model", "m.npz", "--word", "hello"],
            "Argument `--word`: cannot be combined with `--model`",
        ),
    ],
)
def test_bad_arguments_give_one_line_errors(argv, message, cli_error):
    assert message in cli_error(["trace", *argv])


def test_from_python_a_given_default_is_refused_with_a_model():
    config = Config(model="m.npz", input="hello", cell="rnn")
    with pytest.raises(InputError, match=r"^Argument `--cell`: cannot be combined"):
        run(config)


def test_word_outside_the_vocabulary_names_the_symbols():
    with pytest.raises(InputError, match=r"'x', 'y' are not in it"):
        run(Config(word="hexy"))


def _saved_model(tmp_path, embedding):
    from unrolled.data.vocab import Vocabulary
    from unrolled.layers import LSTM, Dense, Embedding
    from unrolled.models import Sequential

    vocab = Vocabulary().fit("hello world")
    V = len(vocab)
    first = [Embedding(V, 4, input_shape=(None,))] if embedding else []
    model = Sequential(
        [
            *first,
            LSTM(5, input_shape=None if embedding else (None, V)),
            Dense(V, activation="softmax"),
        ]
    )
    model.build((None, None) if embedding else (None, None, V), rng=np.random.default_rng(1))
    path = tmp_path / "model.npz"
    model.save(path, extras={"vocabulary": vocab.to_state()})
    return model, vocab, path


@pytest.mark.parametrize("embedding", [True, False])
def test_traces_a_saved_model(tmp_path, embedding):
    model, vocab, path = _saved_model(tmp_path, embedding)
    result = run(Config(model=str(path), input="low world", backward=True))
    assert result.net.kind == "lstm"
    ids = vocab.encode("low world")
    x = ids[None, :-1] if embedding else np.eye(len(vocab))[ids[None, :-1]]
    # every step's softmax is what the model itself predicts after that prefix
    for s in result.steps:
        np.testing.assert_allclose(s.p, model.predict(x[:, : s.t])[0], atol=1e-5)
    for name, gradient in result.gradients.items():
        assert gradient.relative_error < 1e-5, name


def test_model_input_outside_its_vocabulary(tmp_path):
    _, _, path = _saved_model(tmp_path, True)
    with pytest.raises(InputError, match=r"'z' is not in it"):
        run(Config(model=str(path), input="hello z"))


def test_backward_refuses_layers_in_between_naming_them(tmp_path):
    """The layer names come from the model, not out of a label that holds its path."""
    from unrolled.data.vocab import Vocabulary
    from unrolled.layers import LSTM, Dense
    from unrolled.models import Sequential

    vocab = Vocabulary().fit("hello world")
    V = len(vocab)
    model = Sequential(
        [LSTM(4, return_sequences=True, input_shape=(None, V)), LSTM(3), Dense(V, "softmax")]
    )
    model.build((None, None, V), rng=np.random.default_rng(1))
    path = tmp_path / "run: 1" / "model.npz"  # ": " in the path, as in the label
    path.parent.mkdir()
    model.save(path, extras={"vocabulary": vocab.to_state()})
    with pytest.raises(InputError) as raised:
        run(Config(model=str(path), input="hello", backward=True))
    assert str(raised.value) == (
        "Argument `--backward` traces BPTT when the recurrent layer feeds the output Dense "
        "directly; this model has 1 layer(s) in between (LSTM -> LSTM -> Dense). Trace it "
        "without --backward."
    )
    assert run(Config(model=str(path), input="hello")).net.head  # without it: traced
