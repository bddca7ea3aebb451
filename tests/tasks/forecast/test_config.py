"""`unrolled forecast` never ignores a flag: --tutorial and --model refuse the flags they would
override, limits are checked before training, and a hand-edited model file is named in one line.
"""

import json

import numpy as np
import pytest

from unrolled.cli import build_parser, main
from unrolled.errors import InputError
from unrolled.tasks._shared.flags import config_from
from unrolled.tasks.forecast import Config, run
from unrolled.tasks.forecast import model as forecast_model
from unrolled.tasks.forecast.config import FILE_SETTINGS, TUTORIAL, resolve

from .test_task import TINY, csv_lines, prices, write_csv


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory):
    """120 weekdays: 96 training rows, a 24-row test period (the default 20%)."""
    return write_csv(tmp_path_factory.mktemp("data") / "prices.csv", csv_lines(*prices()))


@pytest.fixture(scope="module")
def model_file(csv_file, tmp_path_factory):
    """A tiny model trained on csv_file (lookback 5)."""
    out = tmp_path_factory.mktemp("first")
    assert main(["forecast", "--csv", str(csv_file), "--out", str(out), *TINY]) == 0
    return out / "model.npz"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty working folder: resolve's check probes where runs/ would go."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def no_training(monkeypatch):
    """Every check below must fire before training: training is an error here."""

    def refuse(*args, **kwargs):
        raise AssertionError("trained before the flags were checked")

    monkeypatch.setattr(forecast_model, "fit", refuse)


def one_error(argv, tmp_path, cli_error):
    """Run forecast: cli_error's one line (exit 2, no traceback), and no output folder."""
    out = tmp_path / "out"
    err = cli_error(["forecast", *argv, "--out", str(out), "--quiet"])
    assert not out.exists()
    return err


# the tutorial's recipe is fixed: a flag asking for something else is refused


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--lookback", "5"], "--lookback"),
        (["--epochs", "3"], "--epochs"),
        (["--units", "8"], "--units"),
        (["--test-size", "50"], "--test-size"),  # the built-in tutorial test month
    ],
)
def test_tutorial_refuses_a_flag_its_recipe_fixes(argv, flag, tmp_path, cli_error, no_training):
    err = one_error(["--tutorial", *argv], tmp_path, cli_error)
    assert f"Argument `{flag}`: {argv[1]} disagrees with the tutorial's recipe, which uses " in err
    assert f"; leave {flag} out, or drop --tutorial to choose it." in err


def test_tutorial_accepts_the_recipe_values_and_other_flags(folder):
    config = Config(tutorial=True, lookback=1, epochs=200, ma_window=5)
    resolved = resolve(config)
    assert (resolved.lookback, resolved.epochs, resolved.ma_window) == (1, 200, 5)
    assert resolved.units == TUTORIAL["units"] and resolved.patience == 10  # recipe, default
    with pytest.raises(InputError, match="`--lookback`: 5 disagrees with the tutorial's"):
        run(Config(tutorial=True, lookback=5))  # from Python too
    with pytest.raises(InputError, match="`--lookback`: 60 disagrees with the tutorial's"):
        run(Config(tutorial=True, lookback=60))  # the default's value, given: as on the CLI


def test_tutorial_accepts_its_own_column_as_features_and_shows_values_as_typed(
    folder, tmp_path, cli_error, no_training
):
    resolved = resolve(Config(tutorial=True, features=("Open",)))
    assert resolved.features == ("Open",)  # Open alone: what the recipe uses
    err = one_error(["--tutorial", "--features", "High,Open"], tmp_path, cli_error)
    assert "`--features`: High,Open disagrees with the tutorial's recipe, which uses Open;" in err
    err = one_error(["--tutorial", "--column", "Close"], tmp_path, cli_error)
    assert "`--column`: Close disagrees with the tutorial's recipe, which uses Open;" in err


# a model file's model is used as is: training flags and backtests are refused


@pytest.mark.parametrize(
    "argv",
    [
        ["--epochs", "5"],
        ["--epochs", "100"],  # the default value, given explicitly: still not used
        ["--batch-size", "8"],
        ["--learning-rate", "0.01"],
        ["--validation", "0.2"],
        ["--patience", "3"],
        ["--seed", "1"],
        ["--seed", "0"],  # the default, given explicitly (--seed comes from add_common_flags)
    ],
)
def test_model_refuses_training_flags(argv, csv_file, model_file, tmp_path, cli_error):
    err = one_error(
        ["--csv", str(csv_file), "--model", str(model_file), *argv], tmp_path, cli_error
    )
    assert f"Argument `{argv[0]}`: sets how a model is trained" in err
    assert f"--model {str(model_file)!r} is already trained" in err


def test_model_names_one_training_flag_given(csv_file, model_file, tmp_path, cli_error):
    argv = ["--csv", str(csv_file), "--model", str(model_file), "--epochs", "5"]
    err = one_error([*argv, "--batch-size", "8"], tmp_path, cli_error)
    assert err.startswith("error: Argument `--epochs`: sets how a model is trained")
    assert "--batch-size" not in err


def test_model_refuses_training_settings_from_python_as_on_the_command_line(
    csv_file, model_file, folder
):
    """No "given" set: a field that is not None was given, the default's value included."""
    with pytest.raises(InputError, match=r"^Argument `--epochs`: sets how a model is trained"):
        run(Config(csv=str(csv_file), model=str(model_file), epochs=100))
    with pytest.raises(InputError, match=r"^Argument `--seed`: sets how a model is trained"):
        run(Config(csv=str(csv_file), model=str(model_file), seed=0))


def test_model_refuses_a_backtest(csv_file, model_file, tmp_path, cli_error):
    argv = ["--csv", str(csv_file), "--model", str(model_file), "--backtest", "2"]
    err = one_error(argv, tmp_path, cli_error)
    assert "Argument `--backtest`: a walk-forward backtest trains a new model per fold" in err


def test_model_refuses_tutorial_naming_the_model(csv_file, model_file, tmp_path, cli_error):
    argv = ["--csv", str(csv_file), "--model", str(model_file), "--tutorial"]
    err = one_error(argv, tmp_path, cli_error)
    assert f"Argument `--model`: {str(model_file)!r} is an already trained model" in err
    assert "--column" not in err


def _data(value):
    return lambda extras: extras.update(data=value) if value else extras.pop("data")


@pytest.mark.parametrize(
    "edit, says",
    [
        (
            None,  # the file as saved: it names its --csv
            "the model was trained on the Close prices of {csv!r} from 2020-01-01 to 2020-05-13: "
            "pass the prices to forecast, later than 2020-05-13, with --csv FILE.",
        ),
        (
            _data({"csv": None, "dataset": "sp500"}),
            "the model was trained on the Close prices of the built-in dataset 'sp500' from "
            "2020-01-01 to 2020-05-13: pass --dataset sp500 with --test-from DATE, a date after "
            "2020-05-13, or a price file with --csv FILE.",
        ),
        (
            _data(None),  # saved before the extras named the data
            "the model file does not say which data it was trained on (its Close prices from "
            "2020-01-01 to 2020-05-13): pass the prices to forecast, later than 2020-05-13, with "
            "--csv FILE or --dataset NAME.",
        ),
    ],
)
def test_model_without_data_names_the_data_it_was_trained_on(
    edit, says, csv_file, model_file, tmp_path, cli_error, no_training
):
    """Never the built-in S&P 500 by default: a model trained on Google is not applied to it."""
    path = model_file if edit is None else _rewrite(model_file, tmp_path / "m.npz", edit)
    err = one_error(["--model", str(path)], tmp_path, cli_error)
    expected = "Argument `--model`: no prices to forecast were given; " + says
    assert err == f"error: {expected.format(csv=str(csv_file))}\n"


def test_model_settings_fill_the_flags_left_out_and_no_untyped_flag_is_named(
    model_file, tmp_path, capsys, cli_error
):
    """The model alone on a short file that follows its training data: 16 rows before a 4-row
    test period, too few for the moving average's default 20 days, which then takes the 16
    (the default was once an error naming --ma-window, a flag nobody typed). On the whole
    20-row file the last forecast knows 19 rows: the moving average takes 19."""
    dates, values = prices(140)
    later = write_csv(tmp_path / "later.csv", csv_lines(dates[120:], values[120:]))
    out = tmp_path / "run"
    argv = ["--model", str(model_file), "--csv", str(later)]
    assert main(["forecast", *argv, "--test-size", "4", "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["settings"]["lookback"] == 5 and m["settings"]["units"] == 4  # the file's
    assert m["data"]["train"]["rows"] == 16 and m["settings"]["ma_window"] == 16
    assert "moving average (16)" in capsys.readouterr().out
    err = one_error([*argv, "--test-size", "4", "--ma-window", "20"], tmp_path, cli_error)
    assert "argument `--ma-window`, expected at most the 16 training rows, got 20." in err
    assert main(["forecast", *argv, "--out", str(tmp_path / "whole")]) == 0
    m = json.loads((tmp_path / "whole" / "metrics.json").read_text())
    assert m["data"]["train"]["rows"] == 5 and m["settings"]["ma_window"] == 19
    err = one_error([*argv, "--ma-window", "20"], tmp_path, cli_error)
    assert "`--ma-window`, expected at most the 19 rows known at the last forecast, got 20" in err


def test_the_command_line_and_python_start_from_the_same_config(capsys):
    """A flag left out is None, as a Config field left out; --help names the real default."""
    args = build_parser().parse_args(["forecast"])
    assert config_from(Config, args) == Config()
    with pytest.raises(SystemExit):
        main(["forecast", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for shown in ("--lookback LOOKBACK days each forecast sees (default: 60)", "(default: 0.2)"):
        assert shown in text
    assert "the moving-average baseline (default: 20, or the training rows if fewer)" in text


def test_tutorial_help_says_the_recipe_without_pointing_to_docs(capsys):
    """An installed package has no docs/ folder: --help itself says what --tutorial runs."""
    with pytest.raises(SystemExit):
        main(["forecast", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "docs/" not in text and TUTORIAL["validation"] == 0
    assert (
        "--tutorial the tutorial's exact recipe: Open prices, lookback 1, LSTM(4, sigmoid) -> "
        "Dense(1), adam, batch 32, 200 epochs, no validation split; without --csv it tests "
        "on the built-in series' last 20 days"
    ) in text


# a test size: a count is typed as a whole number, a fraction is below 1


@pytest.mark.parametrize(
    "typed, parsed", [("20", 20), ("1", 1), ("0.2", 0.2), ("1.0", 1.0), ("2e1", 20.0)]
)
def test_test_size_keeps_the_type_it_was_typed_with(typed, parsed):
    args = build_parser().parse_args(["forecast", "--test-size", typed])
    assert args.test_size == parsed and type(args.test_size) is type(parsed)


@pytest.mark.parametrize(
    "typed, message",
    [
        ("1.0", "a row count without a decimal point (write 1 for 1 row) or a fraction below 1"),
        ("20.0", "a row count without a decimal point (write 20 for 20 rows) or a fraction"),
        ("1.5", "a row count (>= 1) or a fraction in (0, 1), got 1.5."),
        ("0", "a row count (>= 1) or a fraction in (0, 1), got 0."),
    ],
)
def test_a_float_test_size_of_one_or_more_is_refused(
    typed, message, tmp_path, cli_error, no_training
):
    """Like scikit-learn's test_size: 1.0 is a fraction (every row), never one row."""
    err = one_error(["--test-size", typed], tmp_path, cli_error)
    assert "Received an invalid value for argument `--test-size`, expected " + message in err


def test_a_float_test_size_of_one_is_refused_from_python_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # were it accepted, its run folder would land here
    with pytest.raises(InputError, match=r"\(write 1 for 1 row\).*got 1\.0\.$"):
        run(Config(test_size=1.0))


@pytest.mark.parametrize("typed, test_rows", [("1", 1), ("20", 20), ("0.2", 24)])
def test_a_whole_number_is_rows_and_a_fraction_a_share(typed, test_rows, csv_file, tmp_path):
    out = tmp_path / "out"
    argv = ["forecast", "--csv", str(csv_file), "--test-size", typed, "--out", str(out), *TINY]
    assert main(argv) == 0
    assert json.loads((out / "metrics.json").read_text())["data"]["test"]["rows"] == test_rows


# limits that depend on the data: checked once it is read, before training


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--horizon", "30"],
            "argument `--horizon`, expected at most the 24 rows of the test period",
        ),
        (["--backtest", "100"], "--backtest 100 cuts the 24-row test period into blocks of 0"),
        (["--ma-window", "100000"], "`--ma-window`, expected at most the 96 training rows"),
        (["--predict-next", "1001"], "`--predict-next`, expected at most 1000 trading days"),
    ],
)
def test_limits_are_checked_before_training(
    argv, message, csv_file, tmp_path, cli_error, no_training
):
    err = one_error(["--csv", str(csv_file), *TINY[:-1], *argv], tmp_path, cli_error)
    assert message in err


def test_predict_next_may_reach_past_a_short_test_period(model_file, csv_file, tmp_path):
    """Forecasting past the end reads only the last `lookback` rows: the 24-row test period
    does not limit it."""
    out = tmp_path / "out"
    argv = ["forecast", "--csv", str(csv_file), "--model", str(model_file), "--predict-next", "30"]
    assert main([*argv, "--test-size", "24", "--out", str(out), "--quiet"]) == 0
    rows = (out / "predictions.csv").read_text().splitlines()
    assert sum(row.endswith(",future") for row in rows) == 30


def test_an_unreadable_model_file_is_one_line(tmp_path, cli_error, monkeypatch):
    locked = tmp_path / "locked.npz"
    locked.write_bytes(b"PK\x03\x04")
    real_open = open

    def refuse(path, *args, **kwargs):
        if str(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refuse)
    err = one_error(["--model", str(locked)], tmp_path, cli_error)
    assert f"cannot load {str(locked)!r}: Permission denied" in err and "--model" in err


# a hand-edited model file: one line naming --model and the file


def _rewrite(src, dst, edit=None, drop=None):
    with np.load(src, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files if not (drop and k.startswith(drop))}
    document = json.loads(str(arrays["__document__"]))
    if edit:
        edit(document["extras"])
    arrays["__document__"] = np.array(json.dumps(document))
    np.savez(dst, **arrays)
    return dst


def _set(key, value):
    return lambda extras: extras["settings"].update({key: value})


@pytest.mark.parametrize(
    "edit, drop, message",
    [
        (lambda e: e.pop("scaler"), None, "has no scaler"),
        (lambda e: e["scaler"].update(x={"class": "Foo"}), None, "has no fitted scaler"),
        (lambda e: e.pop("settings"), None, "has no forecast settings"),
        (lambda e: e["settings"].pop("lookback"), None, "has no settings.lookback"),
        (_set("lookback", 0), None, "has lookback 0 in its settings, expected an integer >= 1"),
        (_set("lookback", 7), None, "says lookback 7, 1 input(s) and 1 output(s), but its"),
        (_set("cell", "xyz"), None, "has cell 'xyz' in its settings, expected one of lstm"),
        (lambda e: e.update(train_to="soon"), None, "has train_to 'soon', expected a date"),
        (None, "weights/0/", "truncated or corrupt (no weight 'kernel' for layer 0"),
    ],
)
def test_a_hand_edited_model_file_is_one_line_naming_model(
    edit, drop, message, csv_file, model_file, tmp_path, cli_error
):
    path = _rewrite(model_file, tmp_path / "edited.npz", edit, drop)
    err = one_error(["--csv", str(csv_file), "--model", str(path)], tmp_path, cli_error)
    assert err.startswith("error: Argument `--model`: ") and str(path) in err, err
    assert message in err and "Path(" not in err and "`--lookback`" not in err


def test_model_features_compare_as_a_list_or_a_tuple_and_show_as_typed(folder):
    settings = {name: TUTORIAL[name] for name in FILE_SETTINGS}
    found = {"settings": {**settings, "features": ["Open", "High"]}}
    config = Config(model="m.npz", csv="p.csv", features=["Open", "High"], lookback=1)  # a list
    used = resolve(config, found)
    assert used.features == ("Open", "High") and used.units == TUTORIAL["units"]
    with pytest.raises(InputError) as error:
        resolve(Config(model="m.npz", csv="p.csv", features=("High", "Open")), found)
    assert str(error.value) == (
        "Argument `--features`: High,Open disagrees with the model file, which uses Open,High; "
        "leave --features out to use the model's setting."
    )
