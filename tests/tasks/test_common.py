"""User mistakes every task handles the same way: one line on stderr, exit code 2, no files."""

import pytest

from unrolled.cli import main

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


def one_error(argv, capsys):
    """Run the CLI; it must fail with one line on stderr and write nothing; the line."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty working folder, so a default runs/ folder would show up in it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("task", FAST)
def test_out_that_is_a_file_is_a_user_error(task, folder, capsys):
    (folder / "taken").write_text("not a folder")
    err = one_error([*FAST[task], "--out", "taken"], capsys)
    assert "Argument `--out`: 'taken' is a file" in err
    assert sorted(p.name for p in folder.iterdir()) == ["taken"]


@pytest.mark.parametrize("task", FAST)
def test_out_below_a_file_is_a_user_error(task, folder, capsys):
    (folder / "taken").write_text("not a folder")
    assert "'taken' is a file" in one_error([*FAST[task], "--out", "taken/run"], capsys)


@pytest.mark.parametrize("task", MODEL)
def test_model_that_is_a_folder_says_so(task, folder, capsys):
    (folder / "models").mkdir()
    err = one_error([*MODEL[task], "models"], capsys)
    assert "Argument `--model`: 'models' is a folder, not a file." in err


@pytest.mark.parametrize("task", MODEL)
def test_model_that_is_not_a_model_file_names_the_argument(task, folder, capsys):
    (folder / "notes.npz").write_text("just text")
    err = one_error([*MODEL[task], "notes.npz"], capsys)
    assert "Argument `--model`: cannot load" in err and "not an unrolled model file" in err


def test_nextword_save_to_a_folder_fails_before_training(folder, capsys):
    (folder / "models").mkdir()
    err = one_error([*FAST["nextword"], "--save", "models"], capsys)
    assert "Argument `--save`: 'models' is a folder; give a file name." in err
    assert list((folder / "models").iterdir()) == [] and not (folder / "runs").exists()


@pytest.mark.parametrize("flag", ["--csv", "--test-csv"])
def test_forecast_csv_that_is_a_folder_says_so(flag, folder, capsys):
    (folder / "prices").mkdir()
    err = one_error(["forecast", flag, "prices"], capsys)
    assert f"Argument `{flag}`: 'prices' is a folder, not a file." in err


@pytest.mark.parametrize("argv", [["--units", "-1"], ["--batch-size", "0"], ["--rows", "-5"]])
def test_forecast_errors_name_the_flag(argv, folder, capsys):
    assert f"argument `{argv[0]}`, expected an integer" in one_error(["forecast", *argv], capsys)


@pytest.mark.parametrize("task", ["nextword", "charlm"])
def test_text_that_is_a_folder_says_so(task, folder, capsys):
    (folder / "texts").mkdir()
    err = one_error([*FAST[task], "--text", "texts"], capsys)
    assert "Argument `--text`: 'texts' is a folder, not a file." in err
