import io
import json

import numpy as np
import pytest

from unrolled.cli import main
from unrolled.data import Vocabulary, fable_text, lm_windows
from unrolled.errors import InputError
from unrolled.tasks import nextword
from unrolled.tasks.nextword import Config, run
from unrolled.tasks.nextword.task import _prepare

from .conftest import expect_cli_error

# every 2-word context below is followed by one word only, so 100% top-1 is reachable
TINY = "the quick brown fox jumps over the lazy dog and a quick cat sleeps ."
QUICK = dict(
    context=2,
    units=32,
    layers=1,
    embed_dim=16,
    epochs=60,
    batch_size=4,
    learning_rate=0.01,
    quiet=True,
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny text, and the quick model trained on it and saved (reused by several tests)."""
    folder = tmp_path_factory.mktemp("nextword")
    text = folder / "tiny.txt"
    text.write_text(TINY + "\n", encoding="utf-8")
    model = folder / "tiny.npz"
    result = run(Config(text=str(text), save=str(model), **QUICK))
    return text, model, result


def test_fable_vocabulary_is_stable_and_frequency_ranked():
    config, _ = nextword.resolve(Config())
    vocab, tokens, _ = _prepare(config)
    again, _, _ = _prepare(config)
    assert vocab.symbols_ == again.symbols_  # same order on every run
    assert len(vocab) == 112 and len(tokens) == 204
    assert vocab.symbols_[:6] == [",", "the", ".", "and", "to", "said"]
    counts = [tokens.count(s) for s in vocab.symbols_]
    assert counts == sorted(counts, reverse=True)  # most frequent first
    # equal counts keep the order of first appearance
    first = {s: tokens.index(s) for s in vocab.symbols_}
    for a, b in zip(vocab.symbols_, vocab.symbols_[1:], strict=False):
        if tokens.count(a) == tokens.count(b):
            assert first[a] < first[b]


def test_encode_decode_round_trip():
    vocab = Vocabulary(level="word", lower=True).fit(fable_text())
    ids = vocab.encode(fable_text())
    assert vocab.encode(vocab.decode(ids)).tolist() == ids.tolist()
    assert vocab.decode(vocab.encode("the mice had a general council, and")) == (
        "the mice had a general council, and"
    )


def test_windows_are_exact_on_a_small_text():
    vocab = Vocabulary(level="word").fit("a b c a b d")  # a:0 b:1 c:2 d:3
    X, y = lm_windows(vocab.encode("a b c a b d"), 3)
    np.testing.assert_array_equal(X, [[0, 1, 2], [1, 2, 0], [2, 0, 1]])
    np.testing.assert_array_equal(y, [0, 1, 3])


def test_reaches_100_percent_on_a_tiny_text(tiny):
    _, _, result = tiny
    assert result.vocab_size == 13 and result.windows == 13
    assert result.top1 == 1.0 and result.top5 == 1.0
    assert result.epochs == QUICK["epochs"] and len(result.history["loss"]) == result.epochs
    assert result.history["loss"][-1] < result.history["loss"][0]


def test_prompt_gives_top5_and_a_greedy_continuation(tiny, capsys):
    _, model, _ = tiny
    result = run(Config(model=str(model), prompt="over the", length=4, quiet=True))
    (a,) = result.answers
    assert [w for w, _ in a.top][0] == "lazy" and len(a.top) == 5
    probabilities = [p for _, p in a.top]
    assert probabilities[0] > 0.5 and probabilities == sorted(probabilities, reverse=True)
    assert a.continuation == "over the lazy dog and a"
    out = capsys.readouterr().out
    assert "prompt: over the" in out and "continuation: over the lazy dog and a" in out
    assert "lazy" in out.split("continuation")[0]


def test_save_then_model_reuses_it_without_training(tiny, capsys):
    _, model, trained = tiny
    loaded = run(Config(model=str(model), prompt="the quick brown", length=5, quiet=True))
    assert loaded.epochs == 0 and loaded.top1 == trained.top1
    assert loaded.answers[0].continuation == "the quick brown fox jumps over the lazy"
    # sampling with a fixed seed is repeatable through the task too
    sampled = [
        run(
            Config(
                model=str(model), prompt="the quick", temperature=1.5, top_k=3, seed=s, quiet=True
            )
        )
        .answers[0]
        .continuation
        for s in (1, 1)
    ]
    assert sampled[0] == sampled[1]


def test_interactive_reads_prompts_until_eof(tiny, capsys):
    _, model, _ = tiny
    stdin = io.StringIO("the lazy\n\nzebra crossing\nthe\nthe quick\n")
    result = run(Config(model=str(model), interactive=True, length=2, quiet=True), stdin=stdin)
    assert [a.prompt for a in result.answers] == ["the lazy", "the quick"]
    captured = capsys.readouterr()
    assert "'zebra' is not in the vocabulary" in captured.err
    assert "has 1 word, the model needs 2" in captured.err


def test_cli_json(tiny, capsys):
    text, _, _ = tiny
    args = [
        "nextword",
        "--text",
        str(text),
        "--context",
        "2",
        "--units",
        "16",
        "--layers",
        "1",
        "--epochs",
        "2",
        "--prompt",
        "the lazy",
        "--json",
    ]
    assert main(args) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["vocab_size"] == 13 and document["epochs"] == 2
    assert document["answers"][0]["prompt"] == "the lazy"


def test_onehot_input_trains(tiny):
    text, _, _ = tiny
    result = run(Config(text=str(text), input="onehot", **{**QUICK, "epochs": 3}))
    assert result.model.layers[0].__class__.__name__ == "LSTM"
    assert 0 <= result.top1 <= 1


# every user error: one line on stderr, exit code 2
def error_of(args, capsys):
    return expect_cli_error(["nextword", *args], capsys)


def test_unknown_prompt_word_names_it_and_suggests_close_ones(tiny, capsys):
    _, model, _ = tiny
    err = error_of(["--model", str(model), "--prompt", "the quik"], capsys)
    assert "'quik'" in err and "closest known: 'quick'" in err


def test_too_few_prompt_words(tiny, capsys):
    _, model, _ = tiny
    err = error_of(["--model", str(model), "--prompt", "lazy"], capsys)
    assert "has 1 word, the model needs 2" in err


def test_prompt_is_checked_before_training(capsys):
    err = error_of(["--prompt", "had a"], capsys)  # the fable model needs 3 words
    assert "has 2 words, the model needs 3" in err


def test_missing_and_empty_text_files(tmp_path, capsys):
    assert "not found" in error_of(["--text", str(tmp_path / "nope.txt")], capsys)
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    assert "is empty" in error_of(["--text", str(empty)], capsys)


def test_text_shorter_than_context(tmp_path, capsys):
    short = tmp_path / "short.txt"
    short.write_text("only three words", encoding="utf-8")
    err = error_of(["--text", str(short)], capsys)
    assert "has 3 words but --context 3 needs at least 4" in err


def test_bad_settings_and_model_files(tiny, tmp_path, capsys):
    _, model, _ = tiny
    top_k = error_of(["--prompt", "had a general", "--top-k", "0"], capsys)
    assert "`--top-k`, expected None or an integer >= 1, got 0." in top_k
    assert "`--context`" in error_of(["--context", "0"], capsys)
    assert "file 'x.npz' not found" in error_of(["--model", "x.npz"], capsys)
    other = tmp_path / "other.npz"
    config, _ = nextword.resolve(Config(units=4, layers=1, embed_dim=2))
    nextword.build_model(5, config).save(other)  # no extras
    assert "not saved by `unrolled nextword`" in error_of(["--model", str(other)], capsys)
    with pytest.raises(InputError, match="either --model FILE"):
        run(Config(model=str(model), text="x.txt"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--units", "4", "--context", "2"],  # --context 2 agrees: --units is named
            "Argument `--units`: 4 disagrees with the model file, which uses 32; "
            "leave --units out to use the model's setting.",
        ),
        (
            ["--context", "3"],
            "`--context`: 3 disagrees with the model file, which uses 2",
        ),
        (
            ["--no-lower"],
            "`--lower`: --no-lower disagrees with the model file, which uses --lower",
        ),
        (
            ["--input", "onehot"],
            "`--input`: onehot disagrees with the model file, which uses embedding",
        ),
        (
            ["--embed-dim", "64"],
            "`--embed-dim`: 64 disagrees with the model file, which uses 16",
        ),
        (
            ["--layers", "2"],
            "`--layers`: 2 disagrees with the model file, which uses 1",
        ),
        (["--epochs", "3"], "Argument `--epochs`: a saved model is used as it was trained"),
        # training flags are refused even with the defaults' values
        (["--lr", "0.003"], "Argument `--learning-rate`: a saved model is used as it was"),
        (
            ["--epochs", "40", "--batch-size", "16"],
            "Argument `--epochs`: a saved model is used as it was trained, so expected it left "
            "out.",
        ),
    ],
)
def test_network_flags_must_agree_with_a_model_and_training_flags_are_an_error(
    tiny, argv, message, capsys
):
    _, model, _ = tiny
    assert message in error_of(["--model", str(model), "--prompt", "the lazy", *argv], capsys)


def test_network_flags_that_agree_with_the_model_file_are_accepted(tiny, capsys):
    _, model, _ = tiny
    argv = ["--context", "2", "--lower", "--input", "embedding", "--embed-dim", "16"]
    argv += ["--units", "32", "--layers", "1", "--length", "1", "--quiet"]
    assert main(["nextword", "--model", str(model), "--prompt", "the lazy", *argv]) == 0
    assert "the lazy" in capsys.readouterr().out


def test_a_model_without_a_prompt_says_what_to_pass(tiny, capsys):
    _, model, _ = tiny
    assert error_of(["--model", str(model)], capsys) == (
        "error: Argument `--model`: a saved model answers prompts, expected --prompt WORDS or "
        "--interactive with it, got neither.\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--length", "5"], "Argument `--length`: it only shapes answers to --prompt or"),
        (["--temperature", "1"], "Argument `--temperature`: it only shapes answers"),
        (["--length", "10"], "Argument `--length`: it only shapes answers"),  # the default
        (
            ["--prompt", "had a general", "--top-k", "3"],
            "Argument `--top-k`: only used when sampling, expected --temperature > 0 with it, "
            "got --temperature 0 (greedy).",
        ),
    ],
)
def test_generation_flags_that_would_do_nothing_are_an_error(argv, message, capsys):
    assert message in error_of(argv, capsys)  # before any training


def test_from_python_every_setting_given_counts_as_on_the_command_line(tiny):
    _, model, _ = tiny
    result = run(Config(model=str(model), prompt="the lazy", units=32, length=1, quiet=True))
    assert len(result.answers) == 1  # units=32 is the model's: nothing to refuse
    assert (result.model.layers[1].units, nextword.resolve(Config())[0].units) == (32, 512)
    with pytest.raises(InputError, match="`--units`: 512 disagrees"):  # the default's value
        run(Config(model=str(model), prompt="the lazy", units=512))
    with pytest.raises(InputError, match="`--epochs`: a saved model"):
        run(Config(model=str(model), prompt="the lazy", epochs=40))


@pytest.mark.parametrize("name", ["model.h5", "model"])
def test_a_save_name_without_npz_is_refused_before_training(tmp_path, cli_error, name):
    err = cli_error(["nextword", "--save", str(tmp_path / name), "--epochs", "1"])
    assert "Argument `--save`:" in err and "name it" in err and ".npz" in err
    assert list(tmp_path.iterdir()) == []  # nothing trained, nothing written
