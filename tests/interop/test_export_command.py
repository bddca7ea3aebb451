"""`unrolled export MODEL --format onnx|torch --out PATH` on the tasks' own model files: the
network runs as before in onnxruntime and in PyTorch, and the extras come along as JSON."""

import json
import sys

import numpy as np
import pytest

import unrolled.interop
from unrolled.cli import main
from unrolled.data import Vocabulary
from unrolled.models import load_model
from unrolled.tasks.forecast.data import WindowScaler

TEXT = "the cat sat on the mat and the dog sat on the log; the bird sang on the mat.\n" * 4


@pytest.fixture(scope="module")
def task_models(tmp_path_factory):
    """Model files written by three tasks on tiny settings: name -> path."""
    folder = tmp_path_factory.mktemp("tasks")
    text = folder / "text.txt"
    text.write_text(TEXT, encoding="utf-8")
    runs = {
        "charlm": [
            "charlm",
            "train",
            "--text",
            str(text),
            "--hidden",
            "6",
            "--embed-dim",
            "4",
            "--seq-len",
            "5",
            "--batch-size",
            "2",
            "--steps",
            "2",
            "--eval-every",
            "2",
            "--sample-every",
            "0",
            "--out",
            str(folder / "charlm"),
        ],
        "nextword": [
            "nextword",
            "--text",
            str(text),
            "--context",
            "2",
            "--units",
            "6",
            "--layers",
            "1",
            "--embed-dim",
            "4",
            "--epochs",
            "1",
            "--out",
            str(folder / "nextword"),
        ],
        "forecast": [
            "forecast",
            "--lookback",
            "5",
            "--units",
            "4",
            "--epochs",
            "1",
            "--batch-size",
            "64",
            "--out",
            str(folder / "forecast"),
        ],
    }
    for argv in runs.values():
        assert main([*argv, "--quiet"]) == 0
    return {name: folder / name / "model.npz" for name in runs}


def sample_inputs(model, extras):
    """A batch the task's network takes: ids from its vocabulary, or scaled price windows."""
    rng = np.random.default_rng(0)
    if "vocabulary" in extras:
        V = len(Vocabulary.from_state(extras["vocabulary"]))
        return rng.integers(0, V, (3, 7 if model.input_shape[1] is None else model.input_shape[1]))
    return rng.uniform(0, 1, (3, *model.input_shape[1:]))


@pytest.mark.parametrize("task", ["charlm", "nextword", "forecast"])
def test_task_models_run_in_onnxruntime_with_their_extras(
    onnxruntime, task_models, task, tmp_path, capsys
):
    out = tmp_path / f"{task}.onnx"
    assert main(["export", str(task_models[task]), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"wrote {out} (onnx): ") and "onnxruntime.InferenceSession" in printed
    model, extras = load_model(task_models[task], with_extras=True)
    served = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    stored = json.loads(served.get_modelmeta().custom_metadata_map["unrolled.extras"])
    assert stored == extras
    x = sample_inputs(model, extras)
    feed = x.astype(np.int64) if x.dtype.kind == "i" else x.astype(np.float32)
    model.reset_states()
    (got,) = served.run(None, {"x": feed})
    np.testing.assert_allclose(got, model.predict(x, batch_size=len(x)), rtol=0, atol=1e-5)
    if task == "forecast":  # the scaler maps the graph's output back to prices
        scaler = WindowScaler.from_state(stored["scaler"])
        assert "scaler: the network takes scaled windows" in printed
        assert np.isfinite(scaler.prices(100 + x, got)).all()
    else:
        assert "vocabulary: the network takes ids" in printed


@pytest.mark.parametrize("task", ["charlm", "nextword", "forecast"])
def test_task_models_load_in_pytorch_with_their_extras(torch, task_models, task, capsys):
    from unrolled.interop.torch import load_module

    assert main(["export", str(task_models[task]), "--format", "torch"]) == 0
    out = task_models[task].with_suffix(".pt")  # the default: beside the model
    assert f"wrote {out} (torch)" in capsys.readouterr().out
    module, extras = load_module(out, with_extras=True)
    model, saved = load_model(task_models[task], with_extras=True)
    assert extras == saved
    x = sample_inputs(model, extras)
    tensor = torch.from_numpy(x if x.dtype.kind == "i" else x.astype(np.float32))
    with torch.no_grad():
        got = module(tensor).numpy()
    model.reset_states()
    np.testing.assert_allclose(got, model.predict(x, batch_size=len(x)), rtol=0, atol=1e-5)


def test_user_mistakes_are_one_line(onnx, task_models, tmp_path, monkeypatch, capsys):
    def error(argv):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        return err

    model = str(task_models["charlm"])
    assert "cannot load 'nope.npz': no such file" in error(["export", "nope.npz"])
    assert "invalid choice: 'keras'" in error(["export", model, "--format", "keras"])
    (tmp_path / "notes.txt").write_text("hello")
    assert "not an unrolled model file" in error(["export", str(tmp_path / "notes.txt")])
    assert "it is a folder" in error(["export", model, "--out", str(tmp_path)])
    monkeypatch.setitem(sys.modules, "onnx", None)
    monkeypatch.delitem(sys.modules, "unrolled.interop.onnx", raising=False)
    monkeypatch.delattr(unrolled.interop, "onnx", raising=False)
    assert "pip install 'unrolled[onnx]'" in error(["export", model])
