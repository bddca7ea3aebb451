"""User mistakes every task handles the same way: one line on stderr, exit code 2, no files."""

import sys
from pathlib import Path

import pytest

from unrolled import files
from unrolled.cli import main
from unrolled.errors import InputError
from unrolled.tasks import charlm, forecast, gradients, memory, nextword, trace

FAST = {
    "trace": ["trace"],
    "gradients": ["gradients", "--steps", "3", "--scales", "1"],
    "memory": ["memory", "--quick"],
    "nextword": ["nextword", "--epochs", "1", "--units", "4", "--layers", "1"],
    "charlm": ["charlm", "train", "--steps", "2", "--hidden", "4", "--layers", "1"],
    "forecast": ["forecast", "--epochs", "1", "--units", "2", "--lookback", "5"],
}
MODEL = {
    "trace": ["trace", "--input", "hello", "--model"],
    "nextword": ["nextword", "--model"],
    "charlm": ["charlm", "sample", "--model"],
    "forecast": ["forecast", "--model"],
}


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty working folder, so a default runs/ folder would show up in it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("task", FAST)
def test_out_that_is_a_file_is_a_user_error(task, folder, cli_error):
    (folder / "taken").write_text("not a folder")
    err = cli_error([*FAST[task], "--out", "taken"])
    assert "Argument `--out`: 'taken' is a file" in err
    assert sorted(p.name for p in folder.iterdir()) == ["taken"]


@pytest.mark.parametrize("task", FAST)
def test_out_below_a_file_is_a_user_error(task, folder, cli_error):
    (folder / "taken").write_text("not a folder")
    assert "'taken' is a file" in cli_error([*FAST[task], "--out", "taken/run"])


@pytest.mark.parametrize("task", MODEL)
def test_model_that_is_a_folder_says_so(task, folder, cli_error):
    (folder / "models").mkdir()
    err = cli_error([*MODEL[task], "models"])
    assert "Argument `--model`: 'models' is a folder, not a file." in err


@pytest.mark.parametrize("task", MODEL)
def test_model_that_is_not_a_model_file_names_the_argument(task, folder, cli_error):
    (folder / "notes.npz").write_text("just text")
    err = cli_error([*MODEL[task], "notes.npz"])
    assert "Argument `--model`: cannot load" in err and "not an unrolled model file" in err


def test_nextword_save_to_a_folder_fails_before_training(folder, cli_error):
    (folder / "models").mkdir()
    err = cli_error([*FAST["nextword"], "--save", "models"])
    assert "Argument `--save`: 'models' is a folder; give a file name." in err
    assert list((folder / "models").iterdir()) == [] and not (folder / "runs").exists()


@pytest.mark.parametrize("flag", ["--csv", "--test-csv"])
def test_forecast_csv_that_is_a_folder_says_so(flag, folder, cli_error):
    (folder / "prices").mkdir()
    err = cli_error(["forecast", flag, "prices"])
    assert f"Argument `{flag}`: 'prices' is a folder, not a file." in err


@pytest.mark.parametrize("argv", [["--units", "-1"], ["--batch-size", "0"], ["--rows", "-5"]])
def test_forecast_errors_name_the_flag(argv, folder, cli_error):
    assert f"argument `{argv[0]}`, expected an integer" in cli_error(["forecast", *argv])


@pytest.mark.parametrize("task", ["nextword", "charlm"])
def test_text_that_is_a_folder_says_so(task, folder, cli_error):
    (folder / "texts").mkdir()
    err = cli_error([*FAST[task], "--text", "texts"])
    assert "Argument `--text`: 'texts' is a folder, not a file." in err


# a seed is an integer >= 0, checked before any work
SEED_MESSAGE = "Received an invalid value for argument `--seed`, expected an integer >= 0, got -1."


@pytest.mark.parametrize(
    "argv", [*FAST.values(), ["trace", "--cell", "lstm"], ["charlm", "sample", "--model", "m.npz"]]
)
def test_negative_seed_is_one_line_for_every_task(argv, folder, cli_error):
    assert cli_error([*argv, "--seed", "-1"]) == f"error: {SEED_MESSAGE}\n"
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    "run, config",
    [
        (forecast.run, forecast.Config(seed=-1)),
        (trace.run, trace.Config(cell="lstm", seed=-1)),
        (gradients.run, gradients.Config(seed=-1)),
        (memory.run, memory.Config(quick=True, seed=-1)),
        (nextword.run, nextword.Config(seed=-1)),
        (charlm.run, charlm.TrainConfig(seed=-1)),
        (charlm.run, charlm.SampleConfig(model="m.npz", seed=-1)),
    ],
)
def test_negative_seed_from_python_is_an_input_error(run, config, folder):
    with pytest.raises(InputError) as error:
        run(config)
    assert str(error.value) == SEED_MESSAGE
    assert list(folder.iterdir()) == []


# an output path that cannot be written: one line, before any training
needs_proc = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="/proc refuses new files on Linux"
)


@needs_proc
@pytest.mark.parametrize("task", FAST)
def test_out_that_cannot_be_written_fails_before_training(task, folder, cli_error):
    err = cli_error([*FAST[task], "--out", "/proc/unrolled-run"])
    assert "Argument `--out`: cannot write '/proc/unrolled-run': creating a file in '/proc'" in err
    assert list(folder.iterdir()) == []


@needs_proc
@pytest.mark.parametrize("save", ["/proc/model.npz", "/proc/models/model.npz"])
def test_nextword_save_that_cannot_be_written_fails_before_training(save, folder, cli_error):
    err = cli_error([*FAST["nextword"], "--save", save])
    assert f"Argument `--save`: cannot write {save!r}: creating a file in '/proc'" in err


@needs_proc
@pytest.mark.parametrize("task", ["gradients", "memory", "charlm", "forecast"])
def test_default_run_folder_that_cannot_be_written_fails_before_training(
    task, monkeypatch, cli_error
):
    monkeypatch.chdir("/proc")  # these tasks write runs/<task>-<time>/ without --out
    err = cli_error(FAST[task])
    assert "Argument `--out`: cannot write 'runs/" in err


def test_the_writability_probe_leaves_nothing_behind(folder):
    from unrolled.tasks._shared.user_files import check_writable

    (folder / "runs").mkdir()
    check_writable("runs/a/b", "--out", folder=True)
    check_writable("runs/model.npz", "--save", folder=False)
    assert list((folder / "runs").iterdir()) == []


def test_a_write_that_fails_late_is_one_line_naming_the_file(folder, monkeypatch, cli_error):
    def refuse(path, document):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(files, "write_json", refuse)
    err = cli_error([*FAST["memory"], "--out", "run"])  # memory has its own --task
    expected = f"unrolled memory: {Path('run', 'memory.json')}: Permission denied"
    assert err == f"error: {expected}\n"


def test_an_os_error_without_a_file_is_a_bug_and_keeps_its_traceback(folder, monkeypatch):
    def broken(path, document):
        raise OSError("something internal")

    monkeypatch.setattr(files, "write_json", broken)
    with pytest.raises(OSError, match="something internal"):
        main([*FAST["gradients"], "--out", "run"])


# usage mistakes name the subcommand
@pytest.mark.parametrize(
    "argv, prog",
    [
        (["trace", "--quiet"], "unrolled trace"),
        (["charlm", "sample", "--model", "m.npz", "--json"], "unrolled charlm sample"),
        (["charlm", "train", "extra"], "unrolled charlm train"),
        (["--bogus", "trace"], "unrolled"),
    ],
)
def test_unrecognized_arguments_name_the_subcommand(argv, prog, folder, cli_error):
    err = cli_error(argv)
    assert err.startswith(f"error: {prog}: unrecognized arguments: ")
