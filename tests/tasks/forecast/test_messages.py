"""Every error of `unrolled forecast` names only flags that forecast has, and blames only flags
that the user typed: what went wrong (the message up to its first "; " or sentence end) names
no flag the user left out, such as --ma-window once did. A hint after it may suggest any flag
forecast has ("use --target price"), and a flag forecast lacks is named only where the user
typed it (argparse's "unrecognized arguments")."""

import ast
import re
from pathlib import Path

import pytest

import unrolled.tasks.forecast as forecast_package
from unrolled.cli import build_parser, main

from .test_task import CASES as BAD_CASES
from .test_task import TINY, _bad_cases, csv_lines, prices, write_csv

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def forecast_flags():
    """Every option string of `unrolled forecast`, --help included."""
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if a.choices and "forecast" in a.choices]
    return {s for a in subparsers.choices["forecast"]._actions for s in a.option_strings}


def test_every_flag_in_forecasts_source_is_a_forecast_flag():
    """The source's strings (messages, help, f-strings' text) name no other task's flag."""
    known, named = forecast_flags(), {}
    for path in Path(forecast_package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for flag in FLAG.findall(node.value):
                    named.setdefault(flag, path.name)
    assert named and {f: p for f, p in named.items() if f not in known} == {}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The files the errors below need: 160 weekdays of prices; the first 120 train a tiny
    model (the last 24 of those its test period), the next 40 come after it, 4 rows are too
    few for it, and a 2-row file is too short for any test period."""
    folder = tmp_path_factory.mktemp("files")
    dates, values = prices(160)
    train = write_csv(folder / "train.csv", csv_lines(dates[:120], values[:120]))
    assert main(["forecast", "--csv", str(train), "--out", str(folder / "run"), *TINY]) == 0
    return {
        "csv": str(train),
        "model": str(folder / "run" / "model.npz"),
        "later": str(write_csv(folder / "later.csv", csv_lines(dates[120:], values[120:]))),
        "full": str(write_csv(folder / "full.csv", csv_lines(dates, values))),
        "four": str(write_csv(folder / "four.csv", csv_lines(dates[120:124], values[120:124]))),
        "two": str(write_csv(folder / "two.csv", csv_lines(dates[:2], values[:2]))),
        "folder": str(folder),
    }


# argv for each error, given the files above: the flags forecast has, typed or left out
CASES = {
    "model without data": lambda f: ["--model", f["model"]],
    "model on its own training days": lambda f: ["--model", f["model"], "--csv", f["csv"]],
    "model on too short a file": lambda f: ["--model", f["model"], "--csv", f["four"]],
    "model with too little history": lambda f: [
        *("--model", f["model"], "--csv", f["full"], "--test-from", "2020-01-03"),
    ],
    "model with a longer test": lambda f: [
        *("--model", f["model"], "--csv", f["later"], "--test-size", "2", "--horizon", "3"),
    ],
    "model and ma-window, whole file": lambda f: [
        *("--model", f["model"], "--csv", f["later"], "--ma-window", "50"),
    ],
    "model and ma-window, test size": lambda f: [
        *("--model", f["model"], "--csv", f["later"], "--test-size", "4", "--ma-window", "40"),
    ],
    "model and a training flag": lambda f: [
        *("--model", f["model"], "--csv", f["later"], "--seed", "0"),
    ],
    "model and a backtest": lambda f: [
        *("--model", f["model"], "--csv", f["later"], "--backtest", "2"),
    ],
    "model and tutorial": lambda f: ["--model", f["model"], "--tutorial"],
    "model and a disagreeing lookback": lambda f: [
        *("--model", f["model"], "--csv", f["later"], "--lookback", "9"),
    ],
    "tutorial and a lookback": lambda f: ["--tutorial", "--lookback", "5"],
    "tutorial and a test size": lambda f: ["--tutorial", "--test-size", "50"],
    "two rows, the default test size": lambda f: ["--csv", f["two"]],
    "a test size of 1.0": lambda f: ["--csv", f["csv"], "--test-size", "1.0"],
    "too long a horizon": lambda f: ["--csv", f["csv"], *TINY, "--horizon", "30"],
    "too many folds": lambda f: ["--csv", f["csv"], *TINY, "--backtest", "100"],
    "too long a moving average": lambda f: ["--csv", f["csv"], *TINY, "--ma-window", "1000"],
    "too far ahead": lambda f: ["--csv", f["csv"], "--predict-next", "1001"],
    "a folder for --csv": lambda f: ["--csv", f["folder"]],
    "a typo in a flag": lambda f: ["--csv", f["csv"], "--lookbak", "5"],
    "an unknown cell": lambda f: ["--csv", f["csv"], "--cell", "lstmx"],
    "a bad dropout": lambda f: ["--csv", f["csv"], "--dropout", "1.5"],
}


def check_flags(argv, err):
    """The rule in the module docstring, for one error line `err` of forecast `argv`."""
    typed = {a.split("=")[0] for a in argv if a.startswith("--")}
    message = err.removeprefix("error: ").rstrip("\n")
    named = set(FLAG.findall(message))
    assert named <= forecast_flags() | typed, f"a flag forecast lacks: {err}"
    what = re.split(r"; |(?<=[.?!]) ", message, maxsplit=1)[0]
    blamed = set(FLAG.findall(what)) | set(re.findall(r"argument `(--[a-z-]+)`", message, re.I))
    assert blamed <= typed, f"blames a flag the user did not type: {err}"


@pytest.mark.parametrize("case", CASES)
def test_an_error_blames_only_flags_the_user_typed(case, files, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # where the default runs/ folder would appear
    argv = CASES[case](files)
    assert main(["forecast", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    check_flags(argv, err)
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("case", BAD_CASES)
def test_the_bad_input_cases_blame_only_flags_the_user_typed(case, tmp_path, capsys):
    """The one-line errors of test_task's catalogue of bad input, by the same rule."""
    argv = [*_bad_cases(tmp_path)[case][0], "--out", str(tmp_path / "out")]
    assert main(["forecast", *argv]) == 2
    check_flags(argv, capsys.readouterr().err)
