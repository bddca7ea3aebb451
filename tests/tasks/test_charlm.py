import contextlib
import io
import json
import math

import numpy as np
import pytest

from unrolled.cli import main
from unrolled.data import Vocabulary, char_rnn_batches
from unrolled.errors import InputError
from unrolled.models import load_model
from unrolled.tasks import charlm
from unrolled.tasks.charlm import SampleConfig, TrainConfig, generate_text

from .conftest import expect_cli_error

TEXT = "the cat sat on the mat. the cat ate the rat. " * 12  # 540 characters, 12 symbols
QUICK = [
    "--hidden",
    "24",
    "--layers",
    "1",
    "--embed-dim",
    "8",
    "--batch-size",
    "4",
    "--seq-len",
    "12",
    "--steps",
    "40",
    "--eval-every",
    "10",
    "--lr",
    "0.01",
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A quick model trained through the CLI; its folder and metrics.json."""
    folder = tmp_path_factory.mktemp("charlm")
    text = folder / "cat.txt"
    text.write_text(TEXT, encoding="utf-8")
    out = folder / "run"
    args = [
        "charlm",
        "train",
        "--text",
        str(text),
        *QUICK,
        "--sample-every",
        "20",
        "--sample-length",
        "30",
        "--out",
        str(out),
        "--quiet",
    ]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(args) == 0
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    return folder, out, metrics, printed.getvalue()


def test_char_vocabulary_round_trip_and_frequency_order():
    text = "Hello, world!\nHello again."
    vocab = Vocabulary(level="char").fit(text)
    assert vocab.decode(vocab.encode(text)) == text
    # 5 l's, 3 o's, then H, e, space and a (2 each) in the order they first appear
    assert vocab.symbols_[:6] == ["l", "o", "H", "e", " ", "a"]
    assert vocab.symbols_ == Vocabulary(level="char").fit(text).symbols_


def test_train_writes_the_best_model_the_curve_and_metrics(trained):
    _, out, metrics, _ = trained
    assert (out / "model.npz").is_file() and (out / "loss.png").stat().st_size > 1000
    assert metrics["vocab_size"] == 12 and metrics["steps"] == 40
    assert metrics["history"]["step"] == [10, 20, 30, 40]
    val = metrics["history"]["val_loss"]
    assert val[-1] < math.log(12)  # better than uniform guessing
    assert metrics["best_val_loss"] == min(val)
    assert metrics["best_val_bpc"] == pytest.approx(min(val) / math.log(2))
    assert [s["step"] for s in metrics["samples"]] == [20, 40]
    assert all(len(s["text"]) == 30 for s in metrics["samples"])
    _, extras = load_model(out / "model.npz", with_extras=True)
    assert extras["task"] == "charlm" and extras["val_loss"] == min(val)
    assert Vocabulary.from_state(extras["vocabulary"]).symbols_[0] == " "


def test_quiet_training_prints_only_the_summary(trained):
    *_, metrics, printed = trained
    assert printed.startswith(f"after {metrics['steps']} steps")
    assert "vocab size" not in printed and "step 20" not in printed  # no facts, no samples
    assert f"{metrics['best_val_loss']:.4f}" in printed


def test_sampling_with_a_fixed_seed_is_repeatable(trained, capsys):
    _, out, _, _ = trained
    texts = []
    for seed in (3, 3, 4):
        args = [
            "charlm",
            "sample",
            "--model",
            str(out / "model.npz"),
            "--prime",
            "the ",
            "--length",
            "60",
            "--seed",
            str(seed),
        ]
        assert main(args) == 0
        texts.append(capsys.readouterr().out)
    assert texts[0] == texts[1] != texts[2]
    assert texts[0].startswith("the ") and len(texts[0]) == 4 + 60 + 1  # and a newline


def test_temperature_to_zero_equals_greedy(trained):
    _, out, _, _ = trained
    model = str(out / "model.npz")
    greedy = charlm.sample(
        SampleConfig(model=model, prime="the c", length=40, temperature=0, quiet=True)
    )
    cold = [
        charlm.sample(
            SampleConfig(
                model=model, prime="the c", length=40, temperature=1e-4, seed=seed, quiet=True
            )
        )
        for seed in (0, 1)
    ]
    assert cold == [greedy, greedy]


def test_save_load_then_sample_gives_the_same_text(trained, tmp_path):
    folder, *_ = trained
    result = charlm.train(
        TrainConfig(
            text=str(folder / "cat.txt"),
            hidden=16,
            layers=2,
            embed_dim=8,
            batch_size=4,
            seq_len=12,
            steps=5,
            eval_every=5,
            sample_every=0,
            out=str(tmp_path),
            quiet=True,
        )
    )
    path = tmp_path / "again.npz"
    result.model.save(path)
    loaded = load_model(path)
    texts = [
        "".join(generate_text(m, result.vocabulary, "the", 50, 0.9, 5, np.random.default_rng(7)))
        for m in (result.model, loaded)
    ]
    assert texts[0] == texts[1] and len(texts[0]) == 50


def test_sampling_uses_single_steps_that_match_the_full_forward(trained):
    _, out, _, _ = trained
    model, vocab, _ = charlm.load(out / "model.npz")
    ids = vocab.encode("the cat sat")
    model.reset_states()
    full = model.predict(ids[None])[0]  # (T, V) logits of the whole sequence at once
    model.reset_states()
    stepped = np.stack([model.step(np.array([i]))[0] for i in ids])  # (T, V), one at a time
    np.testing.assert_allclose(stepped, full, rtol=1e-4, atol=1e-5)

    def no_predict(*args, **kwargs):
        raise AssertionError("sampling must not call predict()")

    model.predict = no_predict
    assert len("".join(generate_text(model, vocab, "the", 10, rng=np.random.default_rng(0)))) == 10


def test_state_is_carried_across_chunks_and_kept_by_validation():
    config = TrainConfig(hidden=8, layers=1, embed_dim=4, batch_size=4, seq_len=12)
    vocab = Vocabulary(level="char").fit(TEXT)
    X, Y = char_rnn_batches(vocab.encode(TEXT), 4, 12)  # (K, B, L)
    np.testing.assert_array_equal(X[1, :, 0], Y[0, :, -1])  # each stream goes on in chunk 1
    model = charlm.build_model(len(vocab), config)
    model.fit(X[0], Y[0], batch_size=4, epochs=1, shuffle=False, verbose=0)
    lstm = model.layers[1]
    state = [s.copy() for s in lstm.states]  # (B, H) h and c after chunk 0
    assert np.abs(state[0]).sum() > 0
    from unrolled.tasks.charlm.train import evaluate

    evaluate(model, X[2:4], Y[2:4])
    for kept, now in zip(state, lstm.states, strict=True):
        np.testing.assert_array_equal(kept, now)


def test_gru_with_dropout_and_epochs(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text(TEXT, encoding="utf-8")
    result = charlm.train(
        TrainConfig(
            text=str(text),
            cell="gru",
            hidden=8,
            layers=2,
            embed_dim=4,
            dropout=0.2,
            batch_size=4,
            seq_len=12,
            epochs=1,
            eval_every=100,
            sample_every=0,
            out=str(tmp_path / "run"),
            quiet=True,
        )
    )
    K = ((int(len(TEXT) * 0.9) - 1) // 4) // 12
    assert result.steps == K and result.history["step"] == [K]
    assert [type(layer).__name__ for layer in result.model.layers] == [
        "Embedding",
        "GRU",
        "Dropout",
        "GRU",
        "Dropout",
        "Dense",
    ]


# user errors: one line on stderr, exit code 2
def error_of(args, capsys):
    return expect_cli_error(["charlm", *args], capsys)


def test_errors(trained, tmp_path, capsys):
    folder, out, _, _ = trained
    model = str(out / "model.npz")
    err = error_of(["sample", "--model", model, "--prime", "The Cat"], capsys)
    assert "'T', 'C' never appeared in the training text" in err
    assert "not found" in error_of(["sample", "--model", str(tmp_path / "x.npz")], capsys)
    assert "`--top-k`" in error_of(["sample", "--model", model, "--top-k", "0"], capsys)
    assert "`--temperature`" in error_of(
        ["sample", "--model", model, "--temperature", "-1"], capsys
    )
    err = error_of(["train", "--text", str(folder / "cat.txt"), "--batch-size", "64"], capsys)
    assert "too few for --batch-size 64 streams of --seq-len 25" in err
    assert "--batch-size 19 or less, or a shorter --seq-len" in err
    assert "either --steps or --epochs" in error_of(
        ["train", "--steps", "2", "--epochs", "1"], capsys
    )
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    assert "is empty" in error_of(["train", "--text", str(empty)], capsys)
    assert "invalid choice: 'rnn'" in error_of(["train", "--cell", "rnn"], capsys)
    other = tmp_path / "other.npz"
    charlm.build_model(3, TrainConfig(hidden=4, layers=1, embed_dim=2)).save(other)
    assert "not saved by `unrolled charlm`" in error_of(["sample", "--model", str(other)], capsys)
    with pytest.raises(InputError, match="`--dropout`"):
        charlm.train(TrainConfig(dropout=1.5))


@pytest.mark.parametrize("text", ["a", "ab", "abcdefghij"])
def test_a_text_too_short_for_one_stream_says_how_long_it_must_be(text, tmp_path, capsys):
    short = tmp_path / "short.txt"
    short.write_text(text, encoding="utf-8")
    err = error_of(["train", "--text", str(short)], capsys)
    n = len(text)
    assert f"is too short: it has {n} character{'' if n == 1 else 's'}, and --seq-len 25" in err
    assert "needs at least 29 (26 to train on, 2 to validate on)" in err
    assert "or less" not in err


def test_a_validation_part_too_short_suggests_a_larger_val_fraction(tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text("x" * 50, encoding="utf-8")
    err = error_of(["train", "--text", str(text), "--val-fraction", "0.01"], capsys)
    assert "needs at least 101" in err and "a larger --val-fraction" in err


@pytest.mark.parametrize("L", [1, 2, 25, 100])
@pytest.mark.parametrize("f", [0.01, 0.1, 0.5, 0.9])
def test_the_shortest_text_is_exactly_long_enough(L, f):
    from unrolled.tasks.charlm.train import make_batches, shortest_text

    n = shortest_text(L, f)
    config = TrainConfig(seq_len=L, batch_size=1, val_fraction=f)
    text = "ab" * n
    make_batches(text[:n], config)  # n characters: batches
    with pytest.raises(InputError, match="too short"):
        make_batches(text[: n - 1], config)
