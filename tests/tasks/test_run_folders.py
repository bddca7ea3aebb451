"""Run folders, all or nothing: a task writes into a temporary folder beside --out and moves it
into place at the end, so a crash, Ctrl-C or a full disk leaves no partial folder, an earlier
run's folder stays whole until the new one is complete, and two runs never mix their files."""

import errno
import os
import pathlib

import pytest

from unrolled.cli import main
from unrolled.tasks._shared import plots
from unrolled.tasks._shared.user_files import RUN_FILES

# each task, small and quiet (trace has no --quiet), writing into --out run
RUNS = {
    "trace": ["trace"],
    "gradients": ["gradients", "--steps", "3", "--scales", "1", "--quiet"],
    "memory": ["memory", "--quick", "--quiet"],
    "nextword": ["nextword", "--epochs", "1", "--units", "4", "--layers", "1", "--quiet"],
    "charlm": ["charlm", "train", "--steps", "2", "--hidden", "4", "--layers", "1", "--quiet"],
    "forecast": ["forecast", "--epochs", "1", "--units", "2", "--lookback", "5", "--quiet"],
}
PLOTTING = ("gradients", "memory", "charlm")  # forecast draws its own plot (forecast/report.py)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _everything(folder):
    """Every path under `folder`, hidden ones included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _fail_writes(monkeypatch, error):
    """Every text file a task writes (JSON, CSV) fails with `error`, as the disk would."""

    def write_text(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(pathlib.Path, "write_text", write_text)


@pytest.mark.parametrize("task", RUNS)
def test_a_run_writes_only_files_a_later_run_may_replace(task, folder):
    assert main([*RUNS[task], "--out", "run"]) == 0
    written = {p.name for p in (folder / "run").iterdir()}
    assert written and written <= RUN_FILES
    assert _everything(folder) == ["run", *sorted(f"run/{name}" for name in written)]


@pytest.mark.parametrize("task", RUNS)
def test_a_full_disk_is_one_line_naming_the_file_and_leaves_no_folder(
    task, folder, monkeypatch, capsys
):
    (folder / "run").mkdir()
    (folder / "run" / "metrics.json").write_text("an earlier run")
    _fail_writes(monkeypatch, OSError(errno.ENOSPC, "No space left"))
    assert main([*RUNS[task], "--out", "run"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unrolled ") and err.count("\n") == 1
    assert f": {pathlib.Path('run')}{os.sep}" in err and ": No space left" in err
    assert ".tmp" not in err  # the file's final name, not the temporary folder's
    assert _everything(folder) == ["run", "run/metrics.json"]
    assert (folder / "run" / "metrics.json").read_text() == "an earlier run"


@pytest.mark.parametrize("task", RUNS)
@pytest.mark.parametrize("crash", [RuntimeError("a bug"), KeyboardInterrupt()])
def test_a_crash_or_ctrl_c_leaves_no_partial_folder(task, crash, folder, monkeypatch):
    _fail_writes(monkeypatch, crash)
    if isinstance(crash, KeyboardInterrupt):
        assert main([*RUNS[task], "--out", "run"]) == 130
    else:
        with pytest.raises(RuntimeError, match="a bug"):
            main([*RUNS[task], "--out", "run"])
    assert _everything(folder) == []


def test_two_runs_into_one_folder_never_mix_their_files(folder):
    assert main([*RUNS["trace"], "--out", "run"]) == 0
    assert main([*RUNS["nextword"], "--out", "run"]) == 0
    assert sorted(p.name for p in (folder / "run").iterdir()) == ["metrics.json", "model.npz"]


@pytest.mark.parametrize("task", RUNS)
def test_an_out_folder_with_other_files_is_refused_before_any_work(task, folder, cli_error):
    (folder / "mine").mkdir()
    (folder / "mine" / "notes.txt").write_text("not a run's")
    err = cli_error([*RUNS[task], "--out", "mine"])
    assert "Argument `--out`: 'mine' holds files that no unrolled run writes (notes.txt)" in err
    assert _everything(folder) == ["mine", "mine/notes.txt"]


@pytest.mark.parametrize("task", PLOTTING)
def test_a_plot_that_cannot_be_drawn_never_costs_the_run(task, folder, monkeypatch, capsys):
    def broken():
        raise OverflowError("cannot draw values this large")

    monkeypatch.setattr(plots, "pyplot", broken)
    assert main([*RUNS[task], "--out", "run"]) == 0
    err = capsys.readouterr().err
    png = f"{task if task != 'charlm' else 'loss'}.png"
    assert f"warning: {png} skipped: the plot could not be drawn (OverflowError: " in err
    written = {p.name for p in (folder / "run").iterdir()}
    assert written and not any(name.endswith(".png") for name in written)
