"""`unrolled forecast` end to end on small data: the CLI path, bad input, leakage, outputs."""

import dataclasses
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from unrolled.cli import main
from unrolled.errors import InputError
from unrolled.tasks.forecast import Config, run
from unrolled.tasks.forecast import data as forecast_data
from unrolled.tasks.forecast.data import WindowScaler

SHARED = Path(__file__).parents[3].parent / "shared" / "data"
# small and fast: 5-day windows, 4 units, 2 epochs
TINY = ["--lookback", "5", "--units", "4", "--epochs", "2", "--batch-size", "16", "--quiet"]
HEADER = "Date,Open,High,Low,Close,Volume"


def prices(n=120, seed=0):
    """(dates (n,) datetime64[D] weekdays from 2020-01-01, OHLCV (n, 5)) of a random walk."""
    rng = np.random.default_rng(seed)
    dates = np.busday_offset("2020-01-01", np.arange(n), roll="forward")
    close = 100 + np.cumsum(rng.normal(0, 1, n))
    open_ = close + rng.normal(0, 0.3, n)
    high = np.maximum(open_, close) + 0.5
    low = np.minimum(open_, close) - 0.5
    volume = rng.integers(1_000_000, 3_000_000, n)
    return dates, np.column_stack([open_, high, low, close, volume])


def csv_lines(dates, values):
    """Yahoo/course style: M/D/YYYY dates, a quoted Volume with thousands separators."""
    lines = [HEADER]
    for d, (o, h, lo, c, v) in zip(dates, values, strict=True):
        y, m, day = str(d).split("-")
        lines.append(f'{int(m)}/{int(day)}/{y},{o:.2f},{h:.2f},{lo:.2f},{c:.2f},"{int(v):,}"')
    return lines


def write_csv(path, lines, newline="\n", bom=False):
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + newline.join(lines).encode())
    return path


@pytest.fixture
def csv_file(tmp_path):
    return write_csv(tmp_path / "prices.csv", csv_lines(*prices()))


def read_metrics(out):
    return json.loads((out / "metrics.json").read_text())


def read_predictions(out):
    lines = (out / "predictions.csv").read_text().splitlines()
    header = lines[0].split(",")
    return header, [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]


# the split and windows: nothing from the test part reaches training


def test_windows_inputs_lie_before_their_targets():
    series = np.arange(20.0)[:, None]  # row t holds the value t
    X, Y, origins = forecast_data.windows(series, lookback=3, horizon=2, start=12, stop=20)
    assert origins.tolist() == list(range(12, 19))
    for x, y, t in zip(X[:, :, 0], Y, origins, strict=True):
        assert x.tolist() == [t - 3, t - 2, t - 1] and y.tolist() == [t, t + 1]
    X, Y, origins = forecast_data.windows(series, lookback=3, horizon=2, start=0, stop=12)
    assert origins[0] == 3 and Y.max() == 11  # training targets stay below the split row 12


def test_scalers_see_the_training_rows_only():
    values = np.concatenate([np.linspace(1, 2, 10), [1000.0, -1000.0]])[:, None]
    X, Y, _ = forecast_data.windows(values, 3, 1, 0, 10)
    scaler = WindowScaler("price").fit(values[:10], X, Y)
    assert scaler.x_.data_max_[0] == 2.0 and scaler.x_.data_min_[0] == 1.0
    assert scaler.y_.data_max_[0] == 2.0


@pytest.mark.parametrize("target", ["price", "change"])
def test_window_scaler_round_trip(target, rng):
    values = 100 + np.cumsum(rng.normal(0, 1, (50, 2)), axis=0)  # (T, F) positive prices
    X, Y, _ = forecast_data.windows(values, 5, 2, 0, 40)
    scaler = WindowScaler(target).fit(values[:40], X, Y)
    Z = scaler.targets(X, Y)
    if target == "price":  # training targets land in [0, 1]
        assert Z.min() >= -1e-12 and Z.max() <= 1 + 1e-12
    else:  # standard deviation 1, and a zero output is the last price (persistence)
        assert Z.std() == pytest.approx(1.0)
        last = np.broadcast_to(X[:, -1, :1], Z.shape)
        np.testing.assert_allclose(scaler.prices(X, np.zeros_like(Z)), last)
    np.testing.assert_allclose(scaler.prices(X, Z), Y)
    again = WindowScaler.from_state(json.loads(json.dumps(scaler.get_state())))
    np.testing.assert_allclose(again.inputs(X), scaler.inputs(X))
    if target == "change":  # a window's own last row is "no change"; the level does not matter
        np.testing.assert_allclose(scaler.inputs(X * 3.0), scaler.inputs(X), atol=1e-12)


def test_fold_bounds_cover_the_test_period_in_order():
    assert forecast_data.fold_bounds(100, 131, 3, 1) == [(100, 110), (110, 120), (120, 131)]
    with pytest.raises(InputError, match="blocks of 2 rows, fewer than the horizon 3"):
        forecast_data.fold_bounds(100, 106, 3, 3)


def test_changing_the_last_test_day_changes_no_forecast(tmp_path):
    """Fails if the scaler (or anything else) saw the test part: the last row is only a target."""
    dates, values = prices()
    a = write_csv(tmp_path / "a.csv", csv_lines(dates, values))
    values[-1] *= 50  # a wild last test day
    b = write_csv(tmp_path / "b.csv", csv_lines(dates, values))
    for path, out in ((a, "out_a"), (b, "out_b")):
        assert main(["forecast", "--csv", str(path), "--out", str(tmp_path / out), *TINY]) == 0
    _, rows_a = read_predictions(tmp_path / "out_a")
    _, rows_b = read_predictions(tmp_path / "out_b")
    assert [r["model"] for r in rows_a] == [r["model"] for r in rows_b]
    assert rows_a[-1]["actual"] != rows_b[-1]["actual"]
    # and the model file's scaler is the training part's
    ma = read_metrics(tmp_path / "out_a")
    assert ma["data"]["train"]["rows"] == 96 and ma["data"]["test"]["rows"] == 24


def test_changing_a_test_day_changes_no_forecast_nor_band_made_at_or_before_it(tmp_path):
    """The bands of every forecaster (and the forecasts) made at origins up to day t, for t
    and later days, do not move when day t's price does; later ones do."""
    dates, values = prices()
    t = 108  # a test day: rows 96 .. 119 are the test period
    changed = values.copy()
    changed[t] *= 1.5
    rows = {}
    for name, vals in (("a", values), ("b", changed)):
        path = write_csv(tmp_path / f"{name}.csv", csv_lines(dates, vals))
        out = tmp_path / f"out_{name}"
        assert (
            main(["forecast", "--csv", str(path), "--out", str(out), "--horizon", "2", *TINY]) == 0
        )
        header, rows[name] = read_predictions(out)
    bands = [c for c in header if "_lower_" in c or "_upper_" in c]
    assert len(bands) == 4 * 2 * 2  # 4 forecasters x 2 levels x lower, upper
    made_by_t = [r["last_known_date"] < str(dates[t]) for r in rows["a"]]
    assert sum(made_by_t) == 2 * (t - 96 + 1)  # origins 96 .. t, two steps each
    columns = ["model", "naive", "drift", "moving_average", *bands]
    pairs = list(zip(rows["a"], rows["b"], made_by_t, strict=True))
    for a, b, _ in filter(lambda pair: pair[2], pairs):
        assert [a[c] for c in columns] == [b[c] for c in columns], a["date"]
    assert any(a["naive_upper_95"] != b["naive_upper_95"] for a, b, before in pairs if not before)


# the CLI path on CSV quirks


def test_course_style_csv_crlf_bom_descending(tmp_path, capsys):
    dates, values = prices()
    lines = csv_lines(dates, values)
    path = write_csv(tmp_path / "p.csv", [lines[0], *reversed(lines[1:])], "\r\n", bom=True)
    out = tmp_path / "out"
    assert main(["forecast", "--csv", str(path), "--out", str(out), *TINY[:-1]]) == 0
    printed = capsys.readouterr().out
    assert "descending date order" in printed and "naive (persistence)" in printed
    m = read_metrics(out)
    assert m["data"]["first_date"] == "2020-01-01" and m["data"]["last_date"] == str(dates[-1])


# bad input: one line, exit code 2, nothing written


def _bad_cases(tmp_path):
    dates, values = prices(40)
    lines = csv_lines(dates, values)
    nonnum = list(lines)
    nonnum[4] = nonnum[4].replace(nonnum[4].split(",")[4], "abc", 1)
    missing = list(lines)
    missing[7] = ",".join(missing[7].split(",")[:4] + ["", *missing[7].split(",")[5:]])
    dup = [*lines[:6], lines[5], *lines[6:]]
    zero = [
        *lines[:10],
        lines[10][: lines[10].rindex(',"')] + ",0",
        *lines[11:],
    ]  # Volume 0 in row 11
    extra = [*lines[:3], lines[3] + ",1", *lines[4:]]  # a 7th field in row 4
    close_zero = list(lines)
    fields = close_zero[12].split(",")
    close_zero[12] = ",".join([*fields[:4], "0", *fields[5:]])  # Close 0 on 2020-01-16
    still = [*lines[:-10], *[f'{ln.split(",")[0]},5,5,5,5,"1,000"' for ln in lines[-10:]]]
    train = write_csv(tmp_path / "train.csv", lines)
    overlap = write_csv(tmp_path / "overlap.csv", [HEADER, *lines[-3:]])
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    return {
        "missing file": (["--csv", str(tmp_path / "nope.csv")], "File not found"),
        "empty file": (["--csv", str(empty)], "is empty"),
        "no such column": (
            ["--csv", str(train), "--column", "Price"],
            "No column 'Price'.*columns: Date, Open, High, Low, Close, Volume",
        ),
        "no such feature": (["--csv", str(train), "--features", "Open,Adj"], "No column 'Adj'"),
        "non-numeric": (
            ["--csv", str(write_csv(tmp_path / "n.csv", nonnum))],
            "Non-numeric value 'abc' in row 5, column 'Close'",
        ),
        "extra field": (
            ["--csv", str(write_csv(tmp_path / "x.csv", extra))],
            r"Row 4 of .*x\.csv has 7 fields, expected 6 like the header",
        ),
        "missing values": (
            ["--csv", str(write_csv(tmp_path / "m.csv", missing))],
            "1 missing values?.*row 8.*ffill",
        ),
        "duplicate dates": (
            ["--csv", str(write_csv(tmp_path / "d.csv", dup))],
            "Duplicate date 2020-01-07 in rows 6 and 7",
        ),
        "too few rows": (
            ["--csv", str(train), "--lookback", "60"],
            "the data has 40 .* need at least 70",
        ),
        "test csv overlaps": (
            ["--csv", str(train), "--test-csv", str(overlap), "--lookback", "5"],
            "overlaps the training data: 3 of its dates",
        ),
        "test-from outside": (
            ["--csv", str(train), "--test-from", "2030-01-01"],
            "--test-from 2030-01-01 is outside the data",
        ),
        "test-from not a date": (
            ["--csv", str(train), "--test-from", "2020-13-45"],
            r"argument `--test-from`, expected a date like 2018-01-02, got '2020-13-45'\.$",
        ),
        "bad test-size": (["--csv", str(train), "--test-size", "abc"], "--test-size"),
        "recursive multivariate": (
            ["--csv", str(train), "--strategy", "recursive", "--features", "Open,Close"],
            "single input column",
        ),
        "predict-next multivariate": (
            ["--csv", str(train), "--features", "Open,Close", "--predict-next", "3"],
            "single input column",
        ),
        "changes need positive values": (
            [
                "--csv",
                str(write_csv(tmp_path / "z.csv", zero)),
                "--target",
                "change",
                "--features",
                "Volume",
                "--lookback",
                "5",
            ],
            r"^error: Column 'Volume' is 0 on 2020-01-14, but forecasting changes divides each "
            r"window by its last value: that needs positive values; use --target price, or "
            r"leave Volume out of --features\.$",
        ),
        "bands need positive prices": (
            [
                "--csv",
                str(write_csv(tmp_path / "c.csv", close_zero)),
                "--target",
                "price",
                "--lookback",
                "5",
            ],
            r"^error: Column 'Close' is 0 on 2020-01-16, but the prediction bands measure "
            r"errors in daily returns: that needs positive values; use --interval ''\.$",
        ),
        "changes and bands need positive prices": (
            ["--csv", str(write_csv(tmp_path / "c.csv", close_zero)), "--lookback", "5"],
            r"forecasting changes divides each window by its last value and the prediction "
            r"bands measure errors in daily returns: both need positive values; use --target "
            r"price with --interval ''\.$",
        ),
        "nothing moves in the test period": (
            [
                "--csv",
                str(write_csv(tmp_path / "s.csv", still)),
                "--test-size",
                "8",
                "--lookback",
                "5",
            ],
            r"^error: Column 'Close' is 5 on every row from 2020-02-13 to 2020-02-25, the test "
            r"period and the day before: nothing moves, so no forecast can be scored against "
            r"persistence\.$",
        ),
        "csv and dataset": (["--csv", str(train), "--dataset", "sp500"], "not both"),
        "unknown dataset": (["--dataset", "nasdaq"], "Unknown dataset 'nasdaq'"),
        "bad units": (["--csv", str(train), "--units", "0"], "`--units`, expected an integer"),
        "bad interval": (
            ["--csv", str(train), "--interval", "0.8,95"],
            r"`--interval`, expected levels in \(0, 1\), like 0.8,0.95, got \(0.8, 95.0\)\.$",
        ),
        "end before the data": (
            ["--csv", str(train), "--end", "2019-12-31"],
            "--end 2019-12-31 is before the data's first date 2020-01-01",
        ),
        "end and test csv": (
            ["--csv", str(train), "--test-csv", str(overlap), "--end", "2020-02-01"],
            "either --test-csv FILE or --end DATE, not both",
        ),
        "not a model file": (["--csv", str(train), "--model", str(train)], str(train)),
    }


CASES = [
    "missing file",
    "empty file",
    "no such column",
    "no such feature",
    "non-numeric",
    "extra field",
    "missing values",
    "duplicate dates",
    "too few rows",
    "test csv overlaps",
    "test-from outside",
    "test-from not a date",
    "bad test-size",
    "predict-next multivariate",
    "changes need positive values",
    "recursive multivariate",
    "bands need positive prices",
    "changes and bands need positive prices",
    "nothing moves in the test period",
    "csv and dataset",
    "unknown dataset",
    "bad units",
    "bad interval",
    "end before the data",
    "end and test csv",
    "not a model file",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, tmp_path, capsys, monkeypatch):
    args, pattern = _bad_cases(tmp_path)[case]
    monkeypatch.chdir(tmp_path)  # the default run folder would appear here
    before = set(os.listdir(tmp_path))
    out = tmp_path / "out"
    assert main(["forecast", *args, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert re.search(pattern, err), err
    assert not out.exists() and set(os.listdir(tmp_path)) == before


def test_an_unknown_fill_from_python_is_the_csv_readers_one_line(csv_file, tmp_path, monkeypatch):
    """The command line offers only ffill and drop; from Python the reader checks `fill`."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"argument `fill`, expected None, 'ffill' or 'drop'"):
        run(Config(csv=str(csv_file), fill="bfill", quiet=True))
    assert not (tmp_path / "runs").exists()


def test_a_price_of_zero_runs_where_nothing_divides_by_it(tmp_path):
    """Scaled price levels without bands never divide by a price: 0 is accepted there."""
    dates, values = prices(60)
    values[10, 3] = 0.0  # Close
    path = write_csv(tmp_path / "z.csv", csv_lines(dates, values))
    args = ["--csv", str(path), "--target", "price", "--interval", "", "--out", str(tmp_path / "o")]
    assert main(["forecast", *args, *TINY]) == 0
    assert read_metrics(tmp_path / "o")["metrics"]["model"]["intervals"] == []


def test_missing_values_forward_filled_on_request(tmp_path):
    dates, values = prices(60)
    values[10, 3] = np.nan
    lines = [line.replace("nan", "") for line in csv_lines(dates, values)]
    path = write_csv(tmp_path / "m.csv", lines)
    out = tmp_path / "out"
    assert main(["forecast", "--csv", str(path), "--fill", "ffill", "--out", str(out), *TINY]) == 0
    assert read_metrics(out)["settings"]["fill"] == "ffill"


# the recipe, the outputs and the options


def test_run_writes_every_output_and_the_table_has_the_baselines(csv_file, tmp_path):
    out = tmp_path / "out"
    result = run(Config(csv=str(csv_file), lookback=5, units=4, epochs=2, out=str(out), quiet=True))
    assert set(result.files) == {"model", "predictions", "plot", "metrics"}
    png = (out / "forecast.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 150_000
    m = read_metrics(out)
    assert set(m["metrics"]) == {"model", "naive", "drift", "moving average"}
    for row in m["metrics"].values():
        assert row["rmse"] > 0 and row["mae"] > 0 and row["mape"] > 0
    assert m["metrics"]["naive"]["directional_accuracy"] is None  # persistence never moves
    assert m["metrics"]["model"]["skill"] == pytest.approx(
        1 - m["metrics"]["model"]["rmse"] / m["metrics"]["naive"]["rmse"]
    )
    assert m["settings"]["lookback"] == 5 and m["data"]["source"]["train"] == str(csv_file)
    assert m["data"]["test"] == {"rows": 24, "from": "2020-05-14", "to": "2020-06-16"}
    assert "naive forecast" in m["verdict"]
    for line in ("LSTM (model)", "naive (persistence)", "drift", "moving average (20)"):
        assert line in result.table
    header, rows = read_predictions(out)
    assert header[:4] == ["date", "last_known_date", "step", "actual"] and len(rows) == 24
    assert rows[0]["date"] == "2020-05-14" and rows[0]["last_known_date"] == "2020-05-13"


def test_end_leaves_out_the_later_rows_and_rows_count_back_from_it(csv_file, tmp_path):
    common = dict(csv=str(csv_file), lookback=5, units=4, epochs=1, quiet=True, interval=())
    result = run(Config(end="2020-05-13", rows=80, out=str(tmp_path / "a"), **common))
    data = result.metrics["data"]
    assert (data["last_date"], data["rows_used"], data["file_rows"]) == ("2020-05-13", 80, 120)
    assert data["test"] == {"rows": 16, "from": "2020-04-22", "to": "2020-05-13"}
    assert "prediction intervals" not in result.table  # --interval '': no bands


def test_test_from_and_test_size_split_at_the_same_row(csv_file, tmp_path):
    common = dict(csv=str(csv_file), lookback=5, units=4, epochs=1, quiet=True)
    by_date = run(Config(test_from="2020-05-14", out=str(tmp_path / "a"), **common))
    by_size = run(Config(test_size=24, out=str(tmp_path / "b"), **common))
    assert by_date.metrics["data"]["test"] == by_size.metrics["data"]["test"]
    assert by_date.metrics["data"]["train"]["to"] == "2020-05-13"


@pytest.fixture
def first(csv_file, tmp_path):
    """The run folder of a tiny model trained on csv_file (it holds model.npz)."""
    folder = tmp_path / "first"
    assert main(["forecast", "--csv", str(csv_file), "--out", str(folder), *TINY]) == 0
    return folder


def with_model(csv_file, first, *more):
    """forecast's arguments that reuse first's model on csv_file."""
    return ["forecast", "--csv", str(csv_file), "--model", str(first / "model.npz"), *more]


def test_saved_model_reloads_and_forecasts_without_training(csv_file, first, tmp_path, capsys):
    second = tmp_path / "second"
    more = ["--out", str(second), "--predict-next", "3", "--test-from", "2020-05-14"]
    assert main(with_model(csv_file, first, *more)) == 0
    assert "no training" in capsys.readouterr().out
    a, b = read_metrics(first), read_metrics(second)
    assert b["settings"]["lookback"] == 5  # the file's settings, not the default 60
    assert b["metrics"]["model"]["rmse"] == pytest.approx(a["metrics"]["model"]["rmse"])
    assert not (second / "model.npz").exists()
    nxt = b["predict_next"]
    assert nxt["dates"] == ["2020-06-17", "2020-06-18", "2020-06-19"] and len(nxt["model"]) == 3
    _, rows = read_predictions(second)
    assert [r["kind"] for r in rows[-3:]] == ["future"] * 3 and rows[-1]["actual"] == ""


def test_a_saved_model_forecasts_a_new_file_whole(csv_file, first, tmp_path, capsys):
    """--model on a new file, no test flag: every row after the first `lookback` is a test
    day, forecast with the model's own scaler; the same forecasts as the longer file's with
    --test-from. The bands start once enough errors of the file are known (none before it)."""
    dates, values = prices(160)  # its first 120 rows are csv_file's
    later = write_csv(tmp_path / "later.csv", csv_lines(dates[120:], values[120:]))
    whole = tmp_path / "whole"
    model = str(first / "model.npz")
    assert main(["forecast", "--model", model, "--csv", str(later), "--out", str(whole)]) == 0
    printed = capsys.readouterr().out
    m = read_metrics(whole)
    assert m["data"]["train"] == {"rows": 5, "from": "2020-06-17", "to": "2020-06-23"}
    assert m["data"]["test"] == {"rows": 35, "from": "2020-06-24", "to": "2020-08-11"}
    assert m["settings"]["test_size"] is None and m["settings"]["rows"] == 0
    assert m["method"]["split"].startswith("the whole file: its first 5 row(s) are history")
    assert "history: 5 rows 2020-06-17 .. 2020-06-23 (the first forecast's inputs;" in printed
    full = write_csv(tmp_path / "full.csv", csv_lines(dates, values))
    argv = ["--model", model, "--csv", str(full), "--test-from", "2020-06-24"]
    assert main(["forecast", *argv, "--out", str(tmp_path / "from"), "--quiet"]) == 0
    _, a = read_predictions(whole)
    _, b = read_predictions(tmp_path / "from")
    for column in ("date", "model", "naive"):
        assert [r[column] for r in a] == [r[column] for r in b]
    # the moving average (20) averages the rows known so far until 20 are: 5 at first
    ma_a, ma_b = ([float(r["moving_average"]) for r in rows] for rows in (a, b))
    np.testing.assert_allclose(ma_a[15:], ma_b[15:], rtol=1e-5)  # (its sums start elsewhere)
    assert ma_a[0] != pytest.approx(ma_b[0], rel=1e-3)
    # no error is known before the file: 4 are needed for an 80% band, 19 for a 95% one
    assert [r["model_lower_80"] == "" for r in a] == [True] * 4 + [False] * 31
    assert [r["naive_upper_95"] == "" for r in a] == [True] * 19 + [False] * 16
    assert [b["banded"] for b in m["metrics"]["model"]["intervals"]] == [31, 16]
    assert "of the model's 35 forecasts, 31 have 80% bands and 16 95% bands." in printed
    assert (whole / "forecast.png").exists() and m["plot_skipped"] is None


def test_a_flag_that_disagrees_with_the_model_file_is_an_error(csv_file, first, tmp_path, capsys):
    out = tmp_path / "x"
    assert main(with_model(csv_file, first, "--lookback", "9", "--out", str(out))) == 2
    err = capsys.readouterr().err
    assert "`--lookback`: 9 disagrees with the model file, which uses 5;" in err
    assert not out.exists()


def test_model_file_is_not_scored_on_days_it_trained_on(csv_file, first, tmp_path, capsys):
    more = ["--test-size", "40", "--out", str(tmp_path / "x")]
    assert main(with_model(csv_file, first, *more)) == 2
    assert "trained on data up to 2020-05-13" in capsys.readouterr().err
    assert main(with_model(csv_file, first, "--out", str(tmp_path / "x"))) == 2  # whole file
    assert capsys.readouterr().err == (
        "error: The model was trained on data up to 2020-05-13, but the test period starts on "
        "2020-01-08; pass --test-from DATE, a date after 2020-05-13, so it is scored only on "
        "days it has not seen.\n"
    )


@pytest.mark.parametrize(("strategy", "target"), [("direct", "price"), ("recursive", "change")])
def test_multi_step_reports_every_step(strategy, target, csv_file, tmp_path):
    out = tmp_path / "out"
    args = ["--horizon", "3", "--strategy", strategy, "--target", target, "--predict-next", "4"]
    assert main(["forecast", "--csv", str(csv_file), "--out", str(out), *TINY, *args]) == 0
    m = read_metrics(out)
    assert len(m["metrics"]["model"]["rmse_by_step"]) == 3 and m["method"]["strategy"] == strategy
    assert "averaged" in m["method"]["metrics_over"]
    _, rows = read_predictions(out)
    assert len(rows) == 22 * 3 + 4  # 22 origins with 3 test days ahead, then 4 future days
    # naive's step-1 RMSE equals the one-step persistence error over the same origins
    assert m["metrics"]["naive"]["rmse_by_step"][0] > 0


def test_multivariate_features_and_backtest(csv_file, tmp_path):
    out = tmp_path / "out"
    args = ["--features", "Open,High,Low,Close,Volume", "--backtest", "2"]
    assert main(["forecast", "--csv", str(csv_file), "--out", str(out), *TINY, *args]) == 0
    m = read_metrics(out)
    assert m["data"]["columns"] == ["Close", "Open", "High", "Low", "Volume"]
    b = m["backtest"]
    assert b["folds"] == 2 and [f["train_rows"] for f in b["by_fold"]] == [96, 108]
    assert set(b["summary"]["model"]["rmse"]) == {"mean", "std"}
    assert b["pooled"]["model"]["intervals"][0]["level"] == 0.8
    assert b["by_fold"][0]["metrics"]["naive"]["intervals"][1]["level"] == 0.95


def test_a_plot_that_cannot_be_drawn_is_skipped_in_one_line(
    csv_file, tmp_path, capsys, monkeypatch
):
    """matplotlib refusing the data (here its own message for a date past 9999) costs the run
    only its plot: one line says so and why; metrics.json keeps the reason."""
    import matplotlib.figure
    import matplotlib.pyplot as plt

    def refuse(*args, **kwargs):
        raise ValueError("Date ordinal 3078336.75 converts to 10398-03-14 (using epoch\n1970)")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", refuse)
    out = tmp_path / "out"
    assert main(["forecast", "--csv", str(csv_file), "--out", str(out), *TINY]) == 0
    assert capsys.readouterr().err == (
        "warning: forecast.png skipped: the plot could not be drawn (ValueError: Date ordinal "
        "3078336.75 converts to 10398-03-14 (using epoch 1970)); the other files are written.\n"
    )
    assert sorted(os.listdir(out)) == ["metrics.json", "model.npz", "predictions.csv"]
    m = read_metrics(out)
    assert m["plot_skipped"].startswith("ValueError: Date ordinal") and "plot" not in m["files"]
    assert plt.get_fignums() == []  # the figure was closed all the same


def test_a_full_disk_while_plotting_is_not_a_plot_problem(csv_file, tmp_path, monkeypatch):
    """An OSError is an I/O failure, for the command line's one line, not a skipped plot."""
    import matplotlib.figure

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", "forecast.png")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", full)
    config = Config(csv=str(csv_file), lookback=5, units=4, epochs=1, out=str(tmp_path / "o"))
    with pytest.raises(OSError, match="No space left"):
        run(dataclasses.replace(config, quiet=True))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 1e308 overflows where it is accepted
@pytest.mark.parametrize("wild", ["a price of 1e308", "a date of 1/1/9999"])
def test_a_wild_cell_is_refused_or_the_run_completes(wild, tmp_path, capsys):
    """Issue 12's repro: such a file once trained, then died in the plot with a traceback,
    leaving model.npz and predictions.csv alone. Now the reader refuses it in one line (exit 2,
    nothing written), or the run completes, its plot skipped in one line if need be."""
    dates, values = prices()
    lines = csv_lines(dates, values)
    fields = lines[50].split(",") if "1e308" in wild else lines[-1].split(",")
    if "1e308" in wild:
        lines[50] = ",".join([*fields[:4], "1e308", *fields[5:]])
    else:
        lines[-1] = ",".join(["1/1/9999", *fields[1:]])
    out = tmp_path / "out"
    path = write_csv(tmp_path / "wild.csv", lines)
    code = main(["forecast", "--csv", str(path), "--out", str(out), *TINY])
    err = capsys.readouterr().err
    assert code in (0, 2) and err.count("\n") <= 1 and "Traceback" not in err, err
    if code == 2:
        assert err.startswith("error: ") and not out.exists()
        return
    written = set(os.listdir(out))
    assert {"metrics.json", "model.npz", "predictions.csv"} <= written
    assert ("forecast.png" in written) == (err == "")
    assert read_metrics(out)["plot_skipped"] is None or "forecast.png skipped" in err


def test_json_prints_metrics_json(csv_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["forecast", "--csv", str(csv_file), "--out", str(out), "--json", *TINY]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == read_metrics(out)
    assert printed["data"]["first_date"] == "2020-01-01"


def test_dataset_list(capsys):
    assert main(["forecast", "--dataset", "list"]) == 0
    assert "sp500" in capsys.readouterr().out


def test_default_command_on_the_builtin_series(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["forecast", "--epochs", "1"]) == 0
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.startswith("forecast-")
    m = read_metrics(folder)
    assert m["data"]["dataset"] == "sp500" and m["data"]["last_date"] == "2018-12-31"
    assert m["data"]["rows_used"] == 1260 and m["settings"]["lookback"] == 60
    assert m["settings"]["target"] == "change" and m["settings"]["interval"] == [0.8, 0.95]
    model = m["metrics"]["model"]
    assert 0 < model["dm_pvalue"] <= 1 and model["skill_ci"][0] < model["skill_ci"][1]
    assert [b["level"] for b in model["intervals"]] == [0.8, 0.95]
    assert 0.5 < model["intervals"][0]["coverage"] < model["intervals"][1]["coverage"]
    printed = capsys.readouterr().out
    assert "(Diebold-Mariano p" in printed
    assert "80% band: covered %" in printed and "forecast.png" in printed


GOOGLE = [SHARED / "Google_Stock_Price_Train.csv", SHARED / "Google_Stock_Price_Test.csv"]


needs_shared = pytest.mark.skipif(
    not GOOGLE[0].exists() and os.environ.get("CI") != "true", reason="needs ../shared/data"
)


@needs_shared
def test_google_close_quirks_quoted_thousands_and_the_split_note(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["forecast", "--csv", str(GOOGLE[0]), "--column", "Close", "--lookback", "5"]
    assert main([*args, "--epochs", "1", "--units", "4", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "note: Close moves -51% from 2014-03-26 to 2014-03-27" in printed
    assert read_metrics(out)["data"]["train"]["rows"] == 1006  # 1258 rows, the last 20% test


@needs_shared
def test_tutorial_recipe_on_the_google_files(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["forecast", "--tutorial", "--csv", str(GOOGLE[0]), "--test-csv", str(GOOGLE[1])]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    m = read_metrics(out)
    s = m["settings"]
    assert (s["column"], s["lookback"], s["units"], s["activation"], s["epochs"]) == (
        "Open",
        1,
        4,
        "sigmoid",
        200,
    )
    assert m["data"]["train"]["rows"] == 1258 and m["data"]["test"]["rows"] == 20
    assert m["data"]["test"]["from"] == "2017-01-03"
    naive = m["metrics"]["naive"]["rmse"]
    # persistence on the 20 test Opens, from the true previous Open (the last is 12/30/2016)
    opens = [782.75] + [float(r.split(",")[1]) for r in GOOGLE[1].read_text().splitlines()[1:]]
    assert naive == pytest.approx(np.sqrt(np.mean(np.diff(opens) ** 2)))
    assert m["metrics"]["model"]["rmse"] > 0 and m["tutorial_pairing_rmse"] > 0
    assert "naive (persistence)" in printed and "the day it was made from" in printed


@needs_shared
def test_a_tutorial_model_forecasts_the_whole_test_file(tmp_path, capsys):
    """Issue 12's repro: the Google test file alone after a model trained with --tutorial. The
    file's settings fill the flags left out (no error names a flag the user did not type, once
    --ma-window), the test period is the whole file after its first row (the lookback), and
    the forecasts are the tutorial run's own for those days: the same model and scaler. Without
    --csv, one line names the training file (once the built-in S&P 500, silently)."""
    first = tmp_path / "tut"
    args = ["forecast", "--tutorial", "--csv", str(GOOGLE[0]), "--test-csv", str(GOOGLE[1])]
    assert main([*args, "--out", str(first), "--quiet"]) == 0
    out = tmp_path / "out"
    args = ["forecast", "--model", str(first / "model.npz"), "--csv", str(GOOGLE[1])]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    m = read_metrics(out)
    assert (m["settings"]["column"], m["settings"]["lookback"]) == ("Open", 1)
    assert m["data"]["train"] == {"rows": 1, "from": "2017-01-03", "to": "2017-01-03"}
    assert m["data"]["test"] == {"rows": 19, "from": "2017-01-04", "to": "2017-01-31"}
    _, tutorial = read_predictions(first)
    _, applied = read_predictions(out)
    assert [(r["date"], r["model"]) for r in applied] == [
        (r["date"], r["model"]) for r in tutorial[1:]
    ]
    assert [b["banded"] for b in m["metrics"]["model"]["intervals"]] == [14, 0]
    assert "history: 1 row 2017-01-03 .. 2017-01-03" in printed
    assert "moving average (19)" in printed and "naive (persistence)" in printed
    assert main(args[:3] + ["--out", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err == (
        "error: Argument `--model`: no prices to forecast were given; the model was trained on "
        f"the Open prices of {str(GOOGLE[0])!r} from 2012-01-03 to 2016-12-30: pass the "
        "prices to forecast, later than 2016-12-30, with --csv FILE.\n"
    )
    assert not (tmp_path / "none").exists()
