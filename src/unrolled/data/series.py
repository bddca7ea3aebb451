"""Load a daily price series from a CSV file (Yahoo Finance style), the way people have them.

    Date,Open,High,Low,Close,Volume
    1/3/2012,325.25,332.83,324.97,663.59,"7,380,500"

Quirks handled: quoted thousands separators ("1,657,300", "1,008.64"), CRLF or LF line ends, a
UTF-8 byte-order mark, no final newline, blank lines, spaces around header names (" Volume"),
tab-separated files, dates as M/D/YYYY or YYYY-MM-DD, rows in descending (or any) date order,
and gzip-compressed files (*.gz, inflated up to MAX_INFLATED). Yahoo's "null" and empty cells
count as missing values.

Every problem is one InputError line that names the file and, where it applies, the row (as
numbered in the file: the header is row 1), the column and the value. A row with more or fewer
fields than the header is such a problem, wherever the extra or missing field falls, and so is
a value no market has seen: a number beyond +-1e15 (in a loaded column) or a date outside the
years 1800 to 2200 (a placeholder such as 1/1/9999), which would only break the arithmetic or
the plot after training.

We parse with the csv module rather than pandas: the core stays NumPy-only, and reading row by
row is what lets each error name the exact file row of a bad cell; these files are small.
"""

import csv
import datetime as _dt
import gzip
import io
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from unrolled.errors import InputError, invalid

__all__ = ["PriceSeries", "load_prices"]

_MISSING = frozenset({"", "null", "nan", "na", "n/a", "-", "none"})
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_FILLS = (None, "ffill", "drop")
MAX_INFLATED = 64 << 20  # bytes a .gz file may inflate to; decades of daily rows are a few MB
LARGEST = 1e15  # no price or volume is larger; beyond it the scaling and plotting overflow
FIRST_DATE, LAST_DATE = _dt.date(1800, 1, 1), _dt.date(2200, 12, 31)


@dataclass
class PriceSeries:
    """A loaded series: T rows (ascending dates) by F columns; values[:, 0] is `column`.

    dates: (T,) datetime64[D]; values: (T, F) float64; columns: the F column names;
    source: the file read; notices: what the loader changed (sorting, filling), one line each.
    """

    dates: np.ndarray
    values: np.ndarray
    columns: list
    source: str
    notices: list = field(default_factory=list)

    def __len__(self):
        return self.values.shape[0]

    def column(self, name):
        """(T,) values of one loaded column."""
        if name not in self.columns:
            raise invalid("name", f"one of {self.columns}", name)
        return self.values[:, self.columns.index(name)]


def _read_rows(path, label):
    """(header, [(file_row, fields), ...]) with blank rows skipped; the file's row numbers.
    label: how messages name the file."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                data = f.read(MAX_INFLATED + 1)  # a bomb stops here, uninflated beyond
            if len(data) > MAX_INFLATED:
                raise InputError(
                    f"The file {label} inflates to more than {MAX_INFLATED >> 20} MiB, more than "
                    "any daily price series; unpack it and check what it holds."
                )
        else:
            data = path.read_bytes()
        # utf-8-sig drops a BOM; newline="" lets csv handle CRLF and quoted fields itself
        f = io.StringIO(data.decode("utf-8-sig"), newline="")
        first = f.readline()
        delimiter = "\t" if "\t" in first and "," not in first else ","
        f.seek(0)
        reader = csv.reader(f, delimiter=delimiter)
        rows = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"Could not read {label} as a CSV file: {exc}") from None
    if not rows:
        raise InputError(f"The file {label} is empty.")
    (_, header), data = rows[0], rows[1:]
    if not data:
        raise InputError(f"The file {label} has a header but no data rows.")
    return [h.strip() for h in header], data


def _parse_date(text):
    """'1/3/2012' or '2012-01-03' -> datetime.date, or None if it is neither (or impossible)."""
    text = text.strip()
    if m := _ISO.fullmatch(text):
        y, mo, d = m.groups()
    elif m := _US.fullmatch(text):
        mo, d, y = m.groups()
    else:
        return None
    try:
        return _dt.date(int(y), int(mo), int(d))
    except ValueError:
        return None


def _parse_number(text):
    """'1,008.64' -> 1008.64; missing markers -> nan; None if it is not a finite number."""
    text = text.strip()
    if text.lower() in _MISSING:
        return np.nan
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _column_index(header, name, argument, label):
    if name not in header:
        known = ", ".join(" ".join(h.split()) for h in header if h)  # one line, always
        hint = ""
        if len(header) == 1 and ";" in header[0]:
            hint = "; the file looks semicolon-separated: save it with commas (or tabs)"
        raise InputError(
            f"No column {name!r} (argument `{argument}`) in {label}; columns: {known}{hint}."
        )
    return header.index(name)


def _rows_list(file_rows):
    """[3, 4] -> 'rows 3, 4'; [5] -> 'row 5'; long lists are cut after five."""
    shown = ", ".join(str(r) for r in file_rows[:5])
    more = f" and {len(file_rows) - 5} more" if len(file_rows) > 5 else ""
    return ("row " if len(file_rows) == 1 else "rows ") + shown + more


def _field_count_message(label, line, got, expected):
    """One line for a row whose field count differs from the header's."""
    hint = ""
    if got > expected:  # the usual cause: an unquoted thousands separator, 1,234.5
        hint = ' (often an unquoted comma in a value: write "1,234.5" in quotes)'
    return f"Row {line} of {label} has {got} fields, expected {expected} like the header{hint}."


def load_prices(path, column="Open", date_column="Date", features=None, fill=None, name=None):
    """Read a price CSV into a PriceSeries with ascending dates.

    Args:
        path: a .csv (or .csv.gz) file with a header row.
        column: the series to model; always column 0 of `values` (the forecasting target).
        date_column: the name of the date column (M/D/YYYY or YYYY-MM-DD).
        features: None (just `column`) or a list of column names to load as well; `column`
            comes first and is not repeated.
        fill: what to do with missing values: None -> error, "ffill" -> carry the previous
            day's value forward (in date order), "drop" -> drop the rows that have any.
        name: how error messages name the file (default: its path), e.g. a built-in dataset's
            name rather than where the package is installed.
    Returns:
        PriceSeries with dates (T,) datetime64[D], values (T, F) float64, columns (F names).
    """
    if fill not in _FILLS:
        raise invalid("fill", "None, 'ffill' or 'drop'", fill)
    if isinstance(features, str):
        features = [features]
    columns = [column] + [c for c in (features or []) if c != column]
    path = Path(path)
    if not path.is_file():
        raise InputError(f"File not found: {str(path)!r}.")
    label = name or path
    header, data = _read_rows(path, label)
    date_idx = _column_index(header, date_column, "date_column", label)
    col_idx = [
        _column_index(header, c, "column" if k == 0 else "features", label)
        for k, c in enumerate(columns)
    ]

    # 1) parse every cell, remembering the file row of each data row
    T, F = len(data), len(columns)
    file_rows = np.array([line for line, _ in data])
    dates = []
    values = np.empty((T, F))
    for i, (line, fields) in enumerate(data):
        if len(fields) != len(header):  # a malformed row: its cells cannot be trusted
            raise InputError(_field_count_message(label, line, len(fields), len(header)))
        date = _parse_date(fields[date_idx])
        if date is None:
            raise InputError(
                f"Unparseable date {fields[date_idx]!r} in row {line} of {label}; "
                "expected M/D/YYYY or YYYY-MM-DD."
            )
        if not FIRST_DATE <= date <= LAST_DATE:
            raise InputError(
                f"Date {date} in row {line} of {label} lies outside the years "
                f"{FIRST_DATE.year} to {LAST_DATE.year}; is it a placeholder?"
            )
        dates.append(date)
        for j, k in enumerate(col_idx):
            value = _parse_number(fields[k])
            if value is None:
                raise InputError(
                    f"Non-numeric value {fields[k]!r} in row {line}, column {columns[j]!r} "
                    f"of {label}."
                )
            if abs(value) > LARGEST:
                raise InputError(
                    f"Value {fields[k].strip()!r} in row {line}, column {columns[j]!r} of "
                    f"{label} is beyond ±{LARGEST:g}, larger than any price or volume."
                )
            values[i, j] = value
    dates = np.array(dates, dtype="datetime64[D]")
    notices = []

    # 2) ascending date order; equal dates are an error, not something to guess about
    if T > 1 and not np.all(dates[1:] > dates[:-1]):
        if np.all(dates[1:] < dates[:-1]):
            order = np.arange(T)[::-1]
            notices.append("rows were in descending date order; sorted ascending")
        else:
            order = np.argsort(dates, kind="stable")
            notices.append("rows were not in date order; sorted ascending")
        dates, values, file_rows = dates[order], values[order], file_rows[order]
    same = np.flatnonzero(dates[1:] == dates[:-1])
    if same.size:
        a, b = sorted((file_rows[same[0]], file_rows[same[0] + 1]))
        raise InputError(f"Duplicate date {dates[same[0]]} in rows {a} and {b} of {label}.")

    # 3) missing values
    missing = np.isnan(values)
    if missing.any():
        where = "; ".join(
            f"column {columns[j]!r} {_rows_list(sorted(file_rows[missing[:, j]].tolist()))}"
            for j in range(F)
            if missing[:, j].any()
        )
        count = int(missing.sum())
        if fill is None:
            raise InputError(
                f"{count} missing value{'s' if count > 1 else ''} in {label}: {where}. Pass "
                "fill='ffill' (--fill ffill on the command line) to carry the previous value "
                "forward, or fill='drop' to drop those rows."
            )
        if fill == "drop":
            keep = ~missing.any(axis=1)
            if not keep.any():
                raise InputError(f"Every row of {label} has a missing value; nothing is left.")
            dates, values = dates[keep], values[keep]
            notices.append(f"dropped {int((~keep).sum())} rows with missing values ({where})")
        else:
            first = np.flatnonzero(missing[0])
            if first.size:
                raise InputError(
                    f"The first value of column {columns[first[0]]!r} (row "
                    f"{file_rows[0]}, {dates[0]}) is missing in {label} and cannot be "
                    "forward-filled; remove that row or use fill='drop'."
                )
            # carry the last observed value forward: index of the latest non-missing row
            last_seen = np.where(~missing, np.arange(values.shape[0])[:, None], 0)
            np.maximum.accumulate(last_seen, axis=0, out=last_seen)
            values = np.take_along_axis(values, last_seen, axis=0)
            notices.append(f"forward-filled {int(missing.sum())} missing values ({where})")

    return PriceSeries(
        dates=dates, values=values, columns=columns, source=str(path), notices=notices
    )
