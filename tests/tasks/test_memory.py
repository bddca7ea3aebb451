"""`unrolled memory`: the data, the quick experiment's outcome, outputs and errors."""

import json
from dataclasses import replace

import numpy as np
import pytest

from unrolled.cli import main
from unrolled.errors import InputError
from unrolled.tasks.memory import (
    Config,
    Result,
    adding_data,
    build_model,
    recall_data,
    resolve,
    run,
)


def test_recall_data():
    x, y = recall_data(50, 7, 4, np.random.default_rng(0))
    assert x.shape == (50, 7, 5) and y.shape == (50,)
    assert (x[:, :, :4].sum(axis=-1) == 1).all()  # one symbol per step
    np.testing.assert_array_equal(x[:, 0, :4].argmax(axis=-1), y)  # the answer is step 1
    np.testing.assert_array_equal(x[:, :, 4], np.eye(7)[[0] * 50])  # flag only on step 1


def test_adding_data():
    x, y = adding_data(200, 10, np.random.default_rng(0))
    assert x.shape == (200, 10, 2) and y.shape == (200, 1)
    marker = x[:, :, 1]
    assert (marker.sum(axis=1) == 2).all()
    assert (marker[:, :5].sum(axis=1) == 1).all()  # one marker in each half
    np.testing.assert_allclose(y[:, 0], (x[:, :, 0] * marker).sum(axis=1), rtol=1e-6)


def test_gated_cells_start_keeping_their_state():
    config = Config(hidden=4, keep_bias=3.0)
    lstm, gru = (build_model(cell, 3, 2, config) for cell in ("lstm", "gru"))
    bias = lstm.layers[0].params["bias"]  # gate order i, f, c, o
    np.testing.assert_array_equal(bias[:8], [-3.0] * 4 + [3.0] * 4)
    np.testing.assert_array_equal(bias[8:], 0.0)
    np.testing.assert_array_equal(gru.layers[0].params["bias"][0, :4], 3.0)  # z, r, h
    keras = build_model("lstm", 3, 2, Config(hidden=4, keep_bias="keras"))
    np.testing.assert_array_equal(keras.layers[0].params["bias"][4:8], 1.0)  # unit_forget_bias


def test_quick_run_shows_the_point(tmp_path):
    """In seconds: every cell solves a short gap; at the long one the LSTM remembers and the
    SimpleRNN is near chance."""
    result = run(Config(quick=True, quiet=True, out=str(tmp_path)))
    short, long = result.config.lengths
    for cell in ("rnn", "lstm", "gru"):
        assert result.score(cell, short) > 0.9, cell
    assert result.score("lstm", long) > 0.9
    assert result.score("rnn", long) < 2 * result.chance
    assert (tmp_path / "memory.png").stat().st_size > 1000
    doc = json.loads((tmp_path / "memory.json").read_text())
    assert doc["chance"] == pytest.approx(1 / 8) and len(doc["runs"]) == 6
    assert doc["tokens_per_second"] > 0


def test_same_seed_same_numbers(tmp_path, capsys):
    argv = [
        "memory",
        "--quick",
        "--cells",
        "rnn",
        "--lengths",
        "20",
        "--json",
        "--seed",
        "3",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert first["config"]["lengths"] == [20]  # --quick keeps what the caller chose
    assert [(r["score"], r["epochs"]) for r in first["runs"]] == [
        (r["score"], r["epochs"]) for r in second["runs"]
    ]


def test_adding_problem_quick(tmp_path, capsys):
    argv = [
        "memory",
        "--task",
        "adding",
        "--quick",
        "--cells",
        "lstm",
        "--quiet",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Adding problem" in out and "test MSE" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cells", "rnn,tree"], "`--cells`, expected cells from rnn, lstm, gru, got 'rnn,tree'"),
        (["--lengths", "5,0"], "`--lengths`, expected sequence lengths T >= 1, got '5,0'"),
        (["--lengths", "5,x"], "argument --lengths: expected comma-separated integers"),
        (["--task", "copy"], "`--task`, expected one of recall, adding, got 'copy'"),
        (["--clipnorm", "0"], "`--clipnorm`, expected a number > 0, got 0.0"),
        (["--symbols", "1"], "`--symbols`, expected an integer >= 2, got 1"),
        (["--lengths", "5,5"], "`--lengths`, expected distinct values, got '5,5'"),
        (["--cells", "lstm,rnn,lstm"], "`--cells`, expected distinct values, got 'lstm,rnn,lstm'"),
        (
            ["--task", "adding", "--symbols", "3"],
            "`--symbols`: only --task recall has symbols, expected it left out with --task "
            "adding; got --symbols 3.",
        ),
        # the default's value, typed, where it does nothing: refused all the same
        (
            ["--task", "adding", "--quick", "--symbols", "8"],
            "Argument `--symbols`: only --task recall has symbols, expected it left out with "
            "--task adding; got --symbols 8.",
        ),
        (["--cells", "rnn", "--keep-bias", "4"], "Argument `--keep-bias`: only the gated cells"),
        (
            ["--cells", "rnn", "--keep-bias", "keras"],
            "`--keep-bias`: only the gated cells have one, expected --cells with lstm or gru; "
            "got --cells rnn.",
        ),
    ],
)
def test_bad_arguments(argv, message, cli_error, tmp_path):
    assert message in cli_error(["memory", *argv, "--out", str(tmp_path / "run")])
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("bias", "text"),
    [
        ("-1", "keep bias -1 (LSTM forget -1 / input +1, GRU update -1)"),
        ("2.5", "keep bias 2.5 (LSTM forget +2.5 / input -2.5, GRU update +2.5)"),
        ("0", "keep bias 0 (LSTM forget +0 / input +0, GRU update +0)"),
    ],
)
def test_keep_bias_signs_read_well(bias, text, capsys, tmp_path):
    argv = ["memory", "--quick", "--cells", "lstm", "--lengths", "2", "--epochs", "1"]
    assert main([*argv, "--keep-bias", bias, "--quiet", "--out", str(tmp_path)]) == 0
    assert text in capsys.readouterr().out


def test_quick_keeps_the_values_given_even_the_defaults(tmp_path):
    config = Config(quick=True, epochs=20, cells=("rnn",), lengths=(2,), train=64, test=50)
    result = run(replace(config, quiet=True, out=str(tmp_path)))
    assert result.config.epochs == 20  # epochs=20 (the default) is not QUICK's 10
    assert result.config.repeats == 1  # not given: QUICK's


def test_python_and_the_command_line_resolve_alike(tmp_path, capsys):
    argv = ["memory", "--quick", "--epochs", "20", "--cells", "rnn", "--lengths", "2"]
    assert main([*argv, "--train", "64", "--test", "50", "--json", "--out", str(tmp_path)]) == 0
    config = Config(quick=True, epochs=20, cells=("rnn",), lengths=(2,), train=64, test=50)
    expected = Result(resolve(replace(config, out=str(tmp_path))), [], 0, 0).to_json()
    assert json.loads(capsys.readouterr().out)["config"] == expected["config"]
    with pytest.raises(InputError, match="^Argument `--symbols`: only --task recall"):
        resolve(Config(task="adding", symbols=8))  # the default's value, given: refused too


def test_json_config_is_the_resolved_config_less_the_output_switches(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # resolve checks that runs/memory-<time>/ could be written
    config = Config(cells=("lstm",), lengths=(3, 4), keep_bias="keras", quiet=True, json=True)
    doc = Result(resolve(config), [], 0.125, 0.0).to_json()
    assert doc["config"] == {
        "task": "recall",
        "cells": ["lstm"],
        "lengths": [3, 4],
        "symbols": 8,
        "hidden": 16,
        "train": 2048,
        "epochs": 20,
        "batch_size": 64,
        "learning_rate": 0.01,
        "clipnorm": 1.0,
        "keep_bias": "keras",
        "test": 1000,
        "repeats": 3,
        "quick": False,
        "seed": 0,
        "out": None,
    }
