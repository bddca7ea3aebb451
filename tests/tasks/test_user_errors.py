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


def _hostile(path, kind):
    """A model file made to hurt the loader: a document nested 100,000 deep, complex weights,
    or a config whose layer needs 8000 units' worth of weights the file does not hold."""
    import io
    import json
    import zipfile

    import numpy as np

    from unrolled.layers import LSTM, Dense
    from unrolled.models import Sequential

    Sequential([LSTM(2, input_shape=(3, 1)), Dense(1)]).save(path)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    document = json.loads(str(arrays.pop("__document__")))
    text = json.dumps(document)
    if kind == "deep":
        text = "[" * 100_000 + "]" * 100_000
    elif kind == "complex":
        arrays["weights/0/kernel"] = arrays["weights/0/kernel"].astype(np.complex64)
    else:
        document["model"]["layers"][0]["config"]["units"] = 8000
        text = json.dumps(document)
    with zipfile.ZipFile(path, "w") as zf:
        for key, array in {"__document__": np.array(text), **arrays}.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array)
            zf.writestr(f"{key}.npy", buffer.getvalue())


@pytest.mark.parametrize("kind", ["deep", "complex", "units"])
@pytest.mark.parametrize("argv", [*MODEL.values(), ["export"]], ids=[*MODEL, "export"])
def test_a_hostile_model_file_is_one_line_and_exit_2(argv, kind, folder, cli_error):
    _hostile(folder / "bad.npz", kind)
    err = cli_error([*argv, "bad.npz"])
    assert "cannot load 'bad.npz': " in err
    assert sorted(p.name for p in folder.iterdir()) == ["bad.npz"]


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


def test_a_write_that_fails_late_is_one_line_naming_the_file(folder, monkeypatch, capsys):
    def refuse(path, document):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(files, "write_json", refuse)
    assert main([*FAST["memory"], "--out", "run"]) == 1  # memory has its own --task
    expected = f"unrolled memory: {Path('run', 'memory.json')}: Permission denied"
    assert capsys.readouterr().err == f"error: {expected}\n"  # the final path, not a temporary
    assert list(folder.iterdir()) == []


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


@pytest.mark.parametrize(
    "row, message",
    [
        ("1/4/2017,1e308", "Value '1e308' in row 3, column 'Open' of prices.csv is beyond"),
        ("1/1/9999,790.1", "Date 9999-01-01 in row 3 of prices.csv lies outside the years"),
    ],
)
def test_forecast_refuses_values_that_make_no_sense_before_training(
    row, message, folder, cli_error
):
    days = [f"2016-{m:02d}-{d:02d},{700 + d}" for m in range(1, 13) for d in range(1, 29)]
    (folder / "prices.csv").write_text("\n".join(["Date,Open", "1/3/2017,778.8", row, *days]))
    err = cli_error(["forecast", "--csv", "prices.csv", "--column", "Open", "--out", "run"])
    assert message in err
    assert sorted(p.name for p in folder.iterdir()) == ["prices.csv"]


# without the [tasks] extra: one line saying what to install, before any work


@pytest.mark.parametrize("task", ["forecast", "gradients", "memory", "charlm"])
def test_a_task_that_plots_without_matplotlib_says_what_to_install(
    task, folder, monkeypatch, capsys
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    assert main([*FAST[task], "--out", "run"]) == 2
    out, err = capsys.readouterr()
    assert err == (
        f"error: unrolled {task} draws its plots with matplotlib, which is not installed: "
        "pip install 'unrolled[tasks]'\n"
    )
    assert out == "" and list(folder.iterdir()) == []  # nothing begun, nothing written


@pytest.mark.parametrize("task", ["trace", "nextword"])
def test_a_task_that_does_not_plot_runs_without_matplotlib(task, folder, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main([*FAST[task], "--out", "run"]) == 0


def test_tqdm_is_a_core_dependency_and_matplotlib_an_extra():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("tqdm") for d in project["dependencies"])
    assert not any(d.startswith("matplotlib") for d in project["dependencies"])
    assert any(d.startswith("matplotlib") for d in project["optional-dependencies"]["tasks"])


@pytest.mark.parametrize(
    "vocabulary, message",
    [
        (None, "holds a damaged vocabulary (Received an invalid value for argument `state`"),
        ({"symbols": [["a"], "b"]}, "symbols that are non-empty strings, got 'list'"),
        ({"symbols": ["a", "a"]}, "distinct symbols"),
        ({"symbols": ["a", "b"], "counts": "many"}, "'counts': 2 integers >= 0"),
        (
            {"symbols": ["a", "b", "c"]},
            "holds a vocabulary of 3 symbols for a model with 2 outputs",
        ),
    ],
)
@pytest.mark.parametrize("task", ["nextword", "charlm"])
def test_a_model_file_with_a_damaged_vocabulary_is_one_line(
    task, vocabulary, message, folder, cli_error
):
    from unrolled.layers import LSTM, Dense, Embedding
    from unrolled.models import Sequential

    model = Sequential([Embedding(2, 2, input_shape=(3,)), LSTM(2), Dense(2, "softmax")])
    extras = {"task": task, "input": "embedding", "context": 3}
    model.save(folder / "m.npz", extras={**extras, "vocabulary": vocabulary})
    argv = ["nextword", "--model", "m.npz", "--prompt", "a b a"]
    if task == "charlm":
        argv = ["charlm", "sample", "--model", "m.npz"]
    err = cli_error(argv)
    assert err.startswith("error: Argument `--model`: 'm.npz' ") and message in err


@pytest.mark.parametrize(
    "layers, extras",
    [
        ("embedding", {}),  # no context, no input kind
        ("embedding", {"context": "3", "input": "embedding"}),
        ("embedding", {"context": 3, "input": "onehot"}),  # but the first layer embeds
        ("dense", {"context": 3, "input": "embedding"}),  # no Embedding, no LSTM
    ],
)
def test_a_nextword_file_whose_extras_do_not_fit_its_network_is_one_line(
    layers, extras, folder, cli_error
):
    from unrolled.layers import LSTM, Dense, Embedding
    from unrolled.models import Sequential

    if layers == "embedding":
        model = Sequential([Embedding(2, 2, input_shape=(3,)), LSTM(2), Dense(2, "softmax")])
    else:
        model = Sequential([Dense(2, input_shape=(3,))])
    vocabulary = {"symbols": ["a", "b"]}
    model.save(folder / "m.npz", extras={"task": "nextword", "vocabulary": vocabulary, **extras})
    err = cli_error(["nextword", "--model", "m.npz", "--prompt", "a b a"])
    assert err.startswith("error: Argument `--model`: 'm.npz' is not a network as `unrolled ")
