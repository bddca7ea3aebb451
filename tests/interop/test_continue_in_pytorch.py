"""examples/continue_in_pytorch.py under `torchrun --nproc_per_node 2`, on the CPU (gloo): a
tiny charlm model, exported, trains a few DistributedDataParallel steps, and both processes
end with identical weights."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import unrolled
from unrolled.cli import main

EXAMPLE = Path(__file__).parents[2] / "examples" / "continue_in_pytorch.py"
TEXT = "the cat sat on the mat and the dog sat on the log; the bird sang on the mat.\n" * 6


def test_torchrun_two_processes_end_with_identical_weights(torch, tmp_path):
    from unrolled.interop.torch import load_module

    text, run = tmp_path / "text.txt", tmp_path / "run"
    text.write_text(TEXT, encoding="utf-8")
    train = [
        "charlm",
        "train",
        "--text",
        str(text),
        "--hidden",
        "8",
        "--embed-dim",
        "4",
        "--seq-len",
        "5",
        "--batch-size",
        "4",
        "--steps",
        "4",
        "--eval-every",
        "4",
        "--sample-every",
        "0",
        "--out",
        str(run),
        "--quiet",
    ]
    assert main(train) == 0
    assert main(["export", str(run / "model.npz"), "--format", "torch"]) == 0
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        str(EXAMPLE),
        str(run / "model.pt"),
        "--text",
        str(text),
        "--steps",
        "3",
        "--eval-every",
        "3",
        "--out",
        str(run / "continued.pt"),
    ]
    src = str(Path(unrolled.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": src, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]

    printed = done.stdout
    assert "2 process(es) x 2 streams of 5 characters" in printed
    digests = re.search(r"weights sha256 by rank: (\w+), (\w+) \((\w+)\)", printed)
    assert digests[1] == digests[2] and digests[3] == "identical"
    # PyTorch measures the validation loss unrolled saved with the model, then trains on
    start = float(re.search(r"\(unrolled's model\): validation (\S+)", printed)[1])
    before, extras = load_module(run / "model.pt", with_extras=True)
    assert abs(start - extras["val_loss"]) < 1e-4
    after = load_module(run / "continued.pt")
    moved = [
        not np.array_equal(a.detach().numpy(), b.detach().numpy())
        for a, b in zip(before.parameters(), after.parameters(), strict=True)
    ]
    assert sum(moved) >= len(moved) - 2  # all but the frozen zero biases (bias_hh) moved
