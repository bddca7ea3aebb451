"""`unrolled gradients`: the measured norms, their direction, the clipping demo, errors."""

import json

import numpy as np
import pytest

from unrolled.cli import main
from unrolled.functional.gru import gru_backward, gru_forward
from unrolled.functional.lstm import lstm_backward, lstm_forward
from unrolled.functional.rnn import rnn_backward, rnn_forward
from unrolled.tasks._shared.settings import as_json
from unrolled.tasks.gradients import Config, Result, backward_norms, make_weights, run
from unrolled.tasks.gradients.report import sci


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_step_by_step_norms_match_the_fast_path(cell):
    """k = T is dL/dh_0: the sequence functions' dh0 must have the same norm, and the weight
    gradients (kept rescaled by 10**S to avoid overflow) must equal theirs."""
    config = Config(steps=12, hidden=6, inputs=3, batch=4)
    rng = np.random.default_rng(0)
    Wx, Wh, b = make_weights(cell, 1.5, config, rng)
    x = rng.normal(0, 0.5, (12, 4, 3))  # (T, N, D)
    v = rng.normal(size=(4, 6))
    log_norms, S, grads = backward_norms(cell, x, Wx, Wh, b, v)
    xb, h0 = x.transpose(1, 0, 2), np.zeros((4, 6))
    if cell == "rnn":
        _, _, cache = rnn_forward(xb, h0, Wx, Wh, b)
        _, dh0, dWx, dWh, db = rnn_backward(None, v, cache)
    elif cell == "lstm":
        _, _, _, cache = lstm_forward(xb, h0, h0, Wx, Wh, b)
        _, dh0, _, dWx, dWh, db = lstm_backward(None, v, None, cache)
    else:
        _, _, cache = gru_forward(xb, h0, Wx, Wh, b)
        _, dh0, dWx, dWh, db = gru_backward(None, v, cache)
    np.testing.assert_allclose(10 ** log_norms[-1], np.linalg.norm(dh0, axis=1), rtol=1e-9)
    np.testing.assert_allclose(10 ** log_norms[0], np.linalg.norm(v, axis=1), rtol=1e-12)
    for name, exact in (("Wx", dWx), ("Wh", dWh), ("b", db)):
        np.testing.assert_allclose(10**S * grads[name], exact, rtol=1e-9, atol=1e-12)


def test_vanishing_and_exploding_and_the_lstm(tmp_path):
    result = run(Config(steps=60, hidden=16, batch=6, out=str(tmp_path)))
    curve = {(c.cell, c.scale): c for c in result.curves}
    small, large = curve[("rnn", 0.5)], curve[("rnn", 3.0)]
    # SimpleRNN: geometric decay at scale 0.5 (~0.5 per step), growth at scale 3
    assert 0.4 < small.factor < 0.6 and small.norm(50) < 1e-12
    assert large.factor > 1.1 and large.norm(50) > 1e3
    assert curve[("rnn", 1.5)].factor > 1.0
    for c in result.curves:
        assert c.spectral_radius == pytest.approx(c.scale)
        assert c.norm(0) == pytest.approx(1.0)  # dL/dh_T is a unit vector
    # the LSTM (forget bias 1) keeps orders of magnitude more gradient at k = 50
    assert curve[("lstm", 0.5)].log10_norms[50] - small.log10_norms[50] > 5
    # clipping: the largest gradient is the SimpleRNN's at scale 3, scaled down to the clip
    clip = result.clip
    assert (clip["cell"], clip["scale"]) == ("rnn", 3.0)
    assert clip["clipped_norm"] == pytest.approx(1.0)
    assert clip["log10_multiplier"] == pytest.approx(-clip["log10_grad_norm"])
    assert (tmp_path / "gradients.png").stat().st_size > 1000


def test_exploding_norms_do_not_overflow(tmp_path):
    result = run(Config(cells=("rnn",), scales=(3.0,), steps=3000, batch=2, out=str(tmp_path)))
    (curve,) = result.curves
    assert np.isfinite(curve.log10_norms).all() and curve.log10_norms[-1] > 308  # past float64


def test_cli_table_and_json(capsys, tmp_path):
    assert main(["gradients", "--steps", "20", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "k=19" in out and "explodes" in out and "vanishes" in out
    assert "Gradient clipping (--clip 1)" in out
    rnn_json = ["gradients", "--steps", "20", "--cells", "rnn", "--json", "--seed", "3"]
    rnn_json += ["--out", str(tmp_path)]
    assert main(rnn_json) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["cell"] for c in doc["curves"]] == ["rnn"] * 4
    assert len(doc["curves"][0]["log10_norms"]) == 20
    assert doc == json.loads((tmp_path / "gradients.json").read_text())
    # the same seed gives the same numbers
    assert main(rnn_json) == 0
    assert json.loads(capsys.readouterr().out) == doc


def test_every_column_has_a_header_even_at_two_steps(capsys, tmp_path):
    argv = ["gradients", "--steps", "2", "--cells", "rnn", "--scales", "0.5,3", "--quiet"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    header, rule, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["cell", "scale", "radius", "k=1", "per", "step", "trend"]
    assert [row.split()[-1] for row in rows] == ["vanishes", "explodes"]
    assert len(rule.split()) == 6 and "-" not in [row.split()[-2] for row in rows]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cells", "rnn,tree"], "`--cells`, expected cells from rnn, lstm, gru, got 'rnn,tree'"),
        (["--steps", "0"], "`--steps`, expected an integer in [2, 100000], got 0"),
        (["--steps", "1"], "`--steps`, expected an integer in [2, 100000], got 1"),
        (["--scales", "1,1"], "`--scales`, expected distinct values, got '1.0,1.0'"),
        (["--cells", "rnn,rnn"], "`--cells`, expected distinct values, got 'rnn,rnn'"),
        (["--clip", "0"], "`--clip`, expected a number > 0, got 0.0"),
        (["--clip", "-1"], "`--clip`, expected a number > 0, got -1.0"),
        (["--scales", "1,x"], "argument --scales: expected comma-separated numbers, got '1,x'"),
        (["--scales", "0"], "`--scales`, expected positive numbers"),
    ],
)
def test_bad_arguments(argv, message, cli_error, tmp_path):
    assert message in cli_error(["gradients", *argv, "--out", str(tmp_path / "run")])
    assert not (tmp_path / "run").exists()  # a user error writes nothing


@pytest.mark.parametrize(
    ("log10", "text"),
    [
        (0.0, "1.00e+00"),
        (-4.8e-17, "1.00e+00"),
        (331.5465, "3.52e+331"),
        (-0.3, "5.01e-01"),
        (2.99999, "1.00e+03"),
        (-np.inf, "0"),
    ],
)
def test_scientific_notation_beyond_float64(log10, text):
    assert sci(log10) == text


def test_json_setup_is_the_config_less_the_output_switches():
    config = Config(cells=("rnn", "gru"), steps=7, seed=2, quiet=True, json=True, out="o")
    setup = {
        "cells": ["rnn", "gru"],
        "scales": [0.5, 1.0, 1.5, 3.0],
        "steps": 7,
        "hidden": 32,
        "inputs": 8,
        "input_scale": 0.1,
        "batch": 16,
        "clip": 1.0,
        "seed": 2,
        "out": "o",
    }
    assert as_json(config) == setup and list(as_json(config)) == list(setup)  # field order
    assert Result(config, [], None, {}).to_json()["setup"] == setup
