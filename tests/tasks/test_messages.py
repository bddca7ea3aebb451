"""Every command-line error message names only flags that its task has, blames only a flag the
user typed (a hint may suggest others), and speaks no Python ("None")."""

import re

import pytest

from unrolled.cli import build_parser

from .conftest import expect_cli_error

# mistakes a user makes, per command; each must fail with one line (exit 2)
MISTAKES = [
    ["trace", "--word", "help"],
    ["trace", "--cell", "lstn"],
    ["trace", "--input", "hello"],
    ["trace", "--model", "m.npz", "--word", "hello"],
    ["trace", "--model", "m.npz"],
    ["gradients", "--scales", "0"],
    ["gradients", "--scales", "1,1"],
    ["gradients", "--steps", "1"],
    ["gradients", "--clip", "-1"],
    ["gradients", "--cells", "rnn,cnn"],
    ["memory", "--lengths", "0"],
    ["memory", "--symbols", "1"],
    ["memory", "--keep-bias", "inf"],
    ["memory", "--learning-rate", "0"],
    ["nextword", "--context", "0"],
    ["nextword", "--prompt", "had a general", "--top-k", "0"],
    ["nextword", "--prompt", "had a general", "--top-k", "3"],
    ["nextword", "--prompt", "had a giraffe"],
    ["nextword", "--prompt", "general"],
    ["nextword", "--temperature", "0.5"],
    ["nextword", "--model", "m.npz", "--epochs", "3"],
    ["nextword", "--model", "m.npz", "--text", "t.txt"],
    ["nextword", "--learning-rate", "0"],
    ["nextword", "--save", "model.h5"],
    ["charlm", "train", "--val-fraction", "0.99"],
    ["charlm", "train", "--seq-len", "5000"],
    ["charlm", "train", "--batch-size", "100"],
    ["charlm", "train", "--steps", "2", "--epochs", "1"],
    ["charlm", "train", "--dropout", "1"],
    ["charlm", "train", "--lr", "0"],
    ["charlm", "train", "--temperature", "-1"],
    ["charlm", "sample", "--model", "m.npz", "--top-k", "0"],
    ["charlm", "sample", "--model", "m.npz", "--length", "-1"],
    ["charlm", "sample", "--model", "m.npz"],
    ["export", "m.npz"],
    ["forecast", "--test-size", "5000"],
    ["forecast", "--horizon", "400"],
    ["forecast", "--lookback", "0"],
    ["forecast", "--column", "Opne"],
    ["forecast", "--dataset", "nope"],
    ["forecast", "--csv", "prices.csv"],
]


def _flags(argv):
    """The flags of the (sub)command that argv runs, from the parser itself."""
    parser = build_parser()
    words = [w for w in argv if not w.startswith("-")]
    for word in words:
        subparsers = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
        if not subparsers or word not in subparsers[0].choices:
            break
        parser = subparsers[0].choices[word]
    return {s for action in parser._actions for s in action.option_strings}


@pytest.mark.parametrize("argv", MISTAKES, ids=[" ".join(a) for a in MISTAKES])
def test_an_error_names_the_tasks_flags_and_blames_one_the_user_typed(
    argv, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prices.csv").write_text("Date;Open\n1/3/2017;1,5\n")
    err = expect_cli_error(argv, capsys)
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", err))
    assert named <= _flags(argv), f"names flags {argv[0]} does not have: {err}"
    blamed = re.findall(r"[Aa]rgument `(--[a-z0-9-]+)`", err)
    assert set(blamed) <= set(argv), f"blames a flag the user did not type: {err}"
    assert not re.search(r"\bNone\b", err), f"speaks Python: {err}"
