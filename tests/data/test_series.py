"""load_prices: every quirk of real CSVs and every error, plus the shared Google files."""

import gzip
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unrolled.data import PriceSeries, load_prices
from unrolled.data.datasets import shared_data_dir
from unrolled.errors import InputError

SHARED = shared_data_dir()  # UNROLLED_DATA_DIR, which conftest.py sets

HEADER = "Date,Open,High,Low,Close,Volume"
ROWS = [
    '1/3/2017,778.81,789.63,775.8,786.14,"1,657,300"',
    '1/4/2017,788.36,791.34,783.16,786.9,"1,073,000"',
    '1/5/2017,786.08,794.48,785.02,"1,008.64","1,335,200"',
]


def write(tmp_path, text, name="prices.csv", newline="\n", bom=False):
    """Write lines with explicit bytes: the chosen line ending, optional BOM, no final newline."""
    data = newline.join(text).encode("utf-8")
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def test_yahoo_quirks_crlf_bom_no_final_newline_thousands(tmp_path):
    path = write(tmp_path, [HEADER, *ROWS], newline="\r\n", bom=True)
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf" and not path.read_bytes().endswith(b"\n")
    s = load_prices(path, features=["Close", "Volume"])
    assert isinstance(s, PriceSeries) and len(s) == 3
    assert s.columns == ["Open", "Close", "Volume"]
    assert s.values.dtype == np.float64 and s.values.shape == (3, 3)
    np.testing.assert_array_equal(s.values[:, 0], [778.81, 788.36, 786.08])
    assert s.values[2, 1] == 1008.64 and s.values[0, 2] == 1657300.0
    assert s.dates.dtype == np.dtype("datetime64[D]")
    assert str(s.dates[0]) == "2017-01-03" and s.notices == []
    np.testing.assert_array_equal(s.column("Close"), s.values[:, 1])
    assert s.source == str(path)


def test_iso_dates_lf_final_newline_blank_lines_and_spaced_header(tmp_path):
    lines = ["Date,Open, Volume", "2017-01-03,1.5,10", "", "2017-01-04,2.5,20", "", ""]
    s = load_prices(write(tmp_path, lines), features="Volume")
    np.testing.assert_array_equal(s.dates, np.array(["2017-01-03", "2017-01-04"], "datetime64[D]"))
    np.testing.assert_array_equal(s.values, [[1.5, 10], [2.5, 20]])


def test_descending_rows_are_sorted_with_a_notice(tmp_path):
    s = load_prices(write(tmp_path, [HEADER, *reversed(ROWS)]))
    np.testing.assert_array_equal(s.values[:, 0], [778.81, 788.36, 786.08])
    assert s.notices == ["rows were in descending date order; sorted ascending"]
    shuffled = [HEADER, ROWS[1], ROWS[0], ROWS[2]]
    s = load_prices(write(tmp_path, shuffled))
    np.testing.assert_array_equal(s.values[:, 0], [778.81, 788.36, 786.08])
    assert s.notices == ["rows were not in date order; sorted ascending"]


def test_gzip_and_tab_separated(tmp_path):
    path = tmp_path / "prices.csv.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbf" + "\r\n".join([HEADER, *ROWS]).encode()))
    assert load_prices(path, column="Close").values[2, 0] == 1008.64
    tsv = ["Date\tOpen\tVolume", "1/3/2017\t778.81\t1,657,300"]
    assert load_prices(write(tmp_path, tsv), features=["Volume"]).values[0, 1] == 1657300


def test_missing_file_and_empty_files(tmp_path):
    with pytest.raises(InputError, match=r"File not found: '.*nope\.csv'"):
        load_prices(tmp_path / "nope.csv")
    with pytest.raises(InputError, match=r"The file .*empty\.csv is empty\."):
        load_prices(write(tmp_path, [], name="empty.csv"))
    with pytest.raises(InputError, match="has a header but no data rows"):
        load_prices(write(tmp_path, [HEADER, ""]))


def test_unknown_column_lists_the_real_ones(tmp_path):
    path = write(tmp_path, [HEADER, *ROWS])
    cols = "columns: Date, Open, High, Low, Close, Volume"
    with pytest.raises(InputError, match=f"No column 'open' \\(argument `column`\\) in .*; {cols}"):
        load_prices(path, column="open")
    with pytest.raises(InputError, match="No column 'Adj Close' \\(argument `features`\\)"):
        load_prices(path, features=["Adj Close"])
    with pytest.raises(InputError, match="No column 'Day' \\(argument `date_column`\\)"):
        load_prices(path, date_column="Day")


def test_non_numeric_cell_names_row_column_value(tmp_path):
    rows = [HEADER, ROWS[0], '1/4/2017,788.36,791.34,783.16,abc,"1,073,000"']
    with pytest.raises(InputError, match=r"Non-numeric value 'abc' in row 3, column 'Close'"):
        load_prices(write(tmp_path, rows, newline="\r\n"), features=["Close"])
    # the row number is the file's, even with a quoted field spanning two lines before it
    rows = ["Date,Open,Note", '1/3/2017,1.0,"two\nlines"', "1/4/2017,inf,x"]
    with pytest.raises(InputError, match=r"Non-numeric value 'inf' in row 4, column 'Open'"):
        load_prices(write(tmp_path, rows))


def test_missing_values_error_and_ffill(tmp_path):
    rows = [
        "Date,Open,Close",
        "1/3/2017,1.0,10",
        "1/4/2017,,11",
        "1/5/2017,null,",
        "1/6/2017,4.0,13",
    ]
    path = write(tmp_path, rows)
    pattern = (
        r"3 missing values in .*: column 'Open' rows 3, 4; column 'Close' row 4\. "
        r"Pass fill='ffill'"
    )
    with pytest.raises(InputError, match=pattern):
        load_prices(path, features=["Close"])
    s = load_prices(path, features=["Close"], fill="ffill")
    np.testing.assert_array_equal(s.values, [[1, 10], [1, 11], [1, 11], [4, 13]])
    assert s.notices == [
        "forward-filled 3 missing values (column 'Open' rows 3, 4; column 'Close' row 4)"
    ]
    d = load_prices(path, features=["Close"], fill="drop")
    np.testing.assert_array_equal(d.values, [[1, 10], [4, 13]])
    assert d.notices[0].startswith("dropped 2 rows with missing values")


def test_long_missing_lists_are_cut_and_drop_can_empty(tmp_path):
    rows = ["Date,Open"] + [f"2017-01-{d:02d}," for d in range(1, 9)]
    with pytest.raises(InputError, match=r"8 missing values .*rows 2, 3, 4, 5, 6 and 3 more\."):
        load_prices(write(tmp_path, rows))
    with pytest.raises(InputError, match="Every row of .* has a missing value"):
        load_prices(write(tmp_path, rows), fill="drop")


def test_ffill_follows_date_order_and_first_value_cannot_be_filled(tmp_path):
    # descending file: the earliest date is the last row, and forward means forward in time
    rows = ["Date,Open", "1/5/2017,", "1/4/2017,2.0", "1/3/2017,1.0"]
    s = load_prices(write(tmp_path, rows), fill="ffill")
    np.testing.assert_array_equal(s.values[:, 0], [1.0, 2.0, 2.0])
    rows = ["Date,Open", "1/3/2017,", "1/4/2017,2.0"]
    with pytest.raises(
        InputError,
        match=r"first value of column 'Open' \(row 2, 2017-01-03\) "
        r"is missing .* cannot be forward-filled",
    ):
        load_prices(write(tmp_path, rows), fill="ffill")


def test_duplicate_and_bad_dates(tmp_path):
    rows = [HEADER, ROWS[0], ROWS[1], ROWS[1]]
    with pytest.raises(InputError, match=r"Duplicate date 2017-01-04 in rows 3 and 4 of"):
        load_prices(write(tmp_path, rows))
    for bad in ("42737", "13/1/2017", "2017-02-30", "Jan 3 2017"):
        rows = [HEADER, ROWS[0], f"{bad},1,2,3,4,5"]
        with pytest.raises(InputError, match=f"Unparseable date '{bad}' in row 3 of .*M/D/YYYY"):
            load_prices(write(tmp_path, rows))


def test_short_row_and_bad_fill(tmp_path):
    with pytest.raises(InputError, match="Row 3 of .* has 2 fields, expected 6"):
        load_prices(write(tmp_path, [HEADER, ROWS[0], "1/4/2017,1"]), features=["Close"])
    with pytest.raises(InputError, match="`fill`, expected None, 'ffill' or 'drop', got 'bfill'"):
        load_prices(write(tmp_path, [HEADER, *ROWS]), fill="bfill")


@pytest.fixture
def google():
    if not (SHARED / "Google_Stock_Price_Train.csv").is_file():
        pytest.skip(f"shared data not found in {SHARED}")
    return SHARED


def test_real_google_train(google):
    path = google / "Google_Stock_Price_Train.csv"
    assert path.read_bytes().count(b"\r\n") == 1258  # CRLF, no final newline
    s = load_prices(path, features=["High", "Low", "Close", "Volume"])
    assert s.values.shape == (1258, 5) and s.notices == []
    assert s.values[0, 0] == 325.25 and s.values[-1, 0] == 782.75
    assert str(s.dates[0]) == "2012-01-03" and str(s.dates[-1]) == "2016-12-30"
    close = s.column("Close")
    assert 1008.64 in close and close.max() == 1216.83 and close.min() == 491.2
    assert s.values[0, 4] == 7380500.0 and s.values[-1, 4] == 1770000.0


def test_real_google_test(google):
    s = load_prices(google / "Google_Stock_Price_Test.csv", features=["Volume"])
    assert len(s) == 20
    np.testing.assert_array_equal(s.values[0], [778.81, 1657300.0])
    assert str(s.dates[-1]) == "2017-01-31"


@pytest.mark.parametrize(
    "row, fields, hint",
    [
        ('1/4/2017,788.36,791.34,783.16,786.9,"1,073,000",7', 7, True),  # a trailing extra
        ("1/4/2017,788.36,791.34,783.16,786.9,1,073,000", 8, True),  # an unquoted separator
        ("1/4/2017,788.36,791.34,783.16,786.9", 5, False),  # short, but Open is present
    ],
)
def test_a_row_whose_field_count_differs_from_the_header_is_an_error(tmp_path, row, fields, hint):
    path = write(tmp_path, [HEADER, ROWS[0], "", row, ROWS[2]])  # a blank line 3: row 4
    with pytest.raises(InputError) as raised:
        load_prices(path)  # only Date and Open are read: the rest of the row still counts
    message = f"Row 4 of {path} has {fields} fields, expected 6 like the header"
    if hint:
        message += ' (often an unquoted comma in a value: write "1,234.5" in quotes)'
    assert str(raised.value) == message + "."


# values that make no sense are refused with one line before any training


@pytest.mark.parametrize("value", ["1e308", "-1e308", "2e15", '"2,000,000,000,000,000"'])
def test_a_value_beyond_any_price_or_volume_is_refused(tmp_path, value):
    rows = [HEADER, ROWS[0], f"1/4/2017,788.36,791.34,783.16,{value},100"]
    with pytest.raises(InputError, match=r"in row 3, column 'Close' of .* is beyond ±1e\+15"):
        load_prices(write(tmp_path, rows), features=["Close"])


def test_a_large_value_in_a_column_not_loaded_is_no_concern(tmp_path):
    rows = [HEADER, ROWS[0], "1/4/2017,788.36,791.34,783.16,1e308,100"]
    assert len(load_prices(write(tmp_path, rows))) == 2  # Close is not read


@pytest.mark.parametrize("date", ["1/1/9999", "2201-01-01", "1/1/0001", "1799-12-31"])
def test_a_date_outside_1800_to_2200_is_refused(tmp_path, date):
    rows = [HEADER, ROWS[0], f"{date},1,2,3,4,5"]
    with pytest.raises(InputError, match=r"Date .* in row 3 of .* lies outside the years 1800"):
        load_prices(write(tmp_path, rows))


def test_dates_at_the_ends_of_the_range_are_fine(tmp_path):
    rows = [HEADER, "1800-01-01,1,2,3,4,5", "12/31/2200,1,2,3,4,5"]
    assert len(load_prices(write(tmp_path, rows))) == 2


# compressed files are inflated up to a cap


def test_a_gzip_bomb_is_refused_at_the_cap_without_inflating_the_rest(tmp_path, monkeypatch):
    import tracemalloc

    from unrolled.data import series

    monkeypatch.setattr(series, "MAX_INFLATED", 1 << 20)
    body = (HEADER + "\n" + ROWS[0] + "\n").encode() + b" " * (32 << 20)
    path = tmp_path / "bomb.csv.gz"
    path.write_bytes(gzip.compress(body, compresslevel=1))
    assert path.stat().st_size < 1 << 20  # 32 MB of spaces in a few hundred KB
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match=r"bomb\.csv\.gz inflates to more than 1 MiB"):
            load_prices(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20


def test_the_cap_leaves_room_for_real_files():
    from unrolled.data import series

    assert series.MAX_INFLATED == 64 << 20  # decades of daily rows are a few MB


# messages


def test_a_semicolon_separated_file_gets_a_hint(tmp_path):
    rows = ["Date;Open;Close", "03.01.2017;778,81;786,14"]
    with pytest.raises(InputError, match=r"No column 'Date' .*; the file looks semicolon-sep"):
        load_prices(write(tmp_path, rows))


def test_one_missing_value_is_singular(tmp_path):
    rows = ["Date,Open", "1/3/2017,1.0", "1/4/2017,"]
    with pytest.raises(InputError, match=r"^1 missing value in .*: column 'Open' row 3\."):
        load_prices(write(tmp_path, rows))


def test_a_built_in_dataset_is_named_not_its_installed_path():
    from unrolled.data import load_dataset

    with pytest.raises(InputError) as raised:
        load_dataset("sp500", column="Nope")
    message = str(raised.value)
    assert "built-in dataset 'sp500'" in message
    assert "sp500.csv.gz" not in message and "/" not in message.split("; columns:")[0]


# fuzzing: any text is a series or one InputError, nothing else

CELLS = st.one_of(
    st.sampled_from(["", "null", "NaN", "1e308", "-0", "1,000.5", '"1,2"', "inf", "x", " 3 "]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.text(alphabet=',;"\t\r\n 0123456789./-eE', max_size=12),
)
DATES = st.one_of(
    st.dates().map(str),
    st.dates().map(lambda d: f"{d.month}/{d.day}/{d.year}"),
    st.text(alphabet="0123456789/-", max_size=10),
)


@settings(max_examples=200, deadline=None)
@given(
    header=st.lists(st.sampled_from(["Date", "Open", "Close", "Volume", " Open", ""]), max_size=5),
    rows=st.lists(st.tuples(DATES, st.lists(CELLS, max_size=5)), max_size=8),
    delimiter=st.sampled_from([",", "\t", ";"]),
    ending=st.sampled_from(["\n", "\r\n"]),
    fill=st.sampled_from([None, "ffill", "drop"]),
)
def test_any_text_gives_a_series_or_one_input_error(header, rows, delimiter, ending, fill):
    lines = [delimiter.join(header)] + [delimiter.join([d, *cells]) for d, cells in rows]
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_text(ending.join(lines), encoding="utf-8")
        try:
            s = load_prices(path, features=["Close"], fill=fill)
        except InputError as error:
            assert "\n" not in str(error)
            return
    assert np.isfinite(s.values).all() and (np.abs(s.values) <= 1e15).all()
    assert np.all(s.dates[1:] > s.dates[:-1])
