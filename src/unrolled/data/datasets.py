"""Built-in datasets (package data in unrolled/data/files) and the shared ones read from disk.

Built in:
- "hello": the string "hello", min-char-rnn's four-symbol example (h, e, l, o).
- "belling_the_cat": Aesop's fable as prose (public domain), written out from the tutorial's
  LSTM section with its garbled sentence restored. With Vocabulary(level="word", lower=True)
  it gives exactly the 204 tokens (112 symbols) of Atienza's belling_the_cat.txt.
- "sp500": S&P 500 index daily OHLCV (Date, Open, High, Low, Close, Adj Close, Volume),
  1999-01-04 .. 2018-12-31, 5031 trading days. Copied byte for byte from PyPI's `arch` 8.0.0
  wheel, path arch/data/sp500/sp500.csv.gz (102,735 bytes, sha256 1e028cbb9c400cc0
  18c816ccc439b33c919387e726c3ed5ca2c05c82746059de); arch is NCSA-licensed (a BSD-style
  licence), (c) Kevin Sheppard. Full provenance in files/README.md.
Not built in (too large or not ours to ship), read only from the folder named by the
environment variable UNROLLED_DATA_DIR (never a path worked out from where the package is
installed; the test suite points it at ../shared/data beside the checkout):
- "google_train", "google_test": the "Deep Learning A-Z" Google (GOOG) daily prices.
- "tinyshakespeare": Karpathy's char-rnn corpus.
"""

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from unrolled.data.series import load_prices
from unrolled.errors import InputError

__all__ = [
    "dataset_path",
    "fable_text",
    "hello_text",
    "list_datasets",
    "load_dataset",
    "load_series",
    "load_text",
    "shared_data_dir",
]

HELLO = "hello"


@dataclass(frozen=True)
class _Entry:
    file: str | None  # file name (None for data defined in this module)
    kind: str  # "text" or "prices"
    builtin: bool  # shipped as package data, or read from the shared data folder
    description: str  # one line for list_datasets()
    source: str = ""  # where to get a file that is not built in


_REGISTRY = {
    "hello": _Entry(None, "text", True, "the string 'hello': min-char-rnn's 4-symbol example"),
    "belling_the_cat": _Entry(
        "belling_the_cat.txt",
        "text",
        True,
        "Aesop's fable 'Belling the Cat' as prose: 204 word tokens, 112 symbols",
    ),
    "sp500": _Entry(
        "sp500.csv.gz",
        "prices",
        True,
        "S&P 500 index daily OHLCV, 1999-01-04..2018-12-31 (5031 days), from arch 8.0.0",
    ),
    "google_train": _Entry(
        "Google_Stock_Price_Train.csv",
        "prices",
        False,
        "Google (GOOG) daily OHLCV 2012-01-03..2016-12-30 (1258 days); not built in, "
        "read from $UNROLLED_DATA_DIR",
        "the 'Deep Learning A-Z' course data; public copies on GitHub, e.g. Renu-coder2002/Dataset",
    ),
    "google_test": _Entry(
        "Google_Stock_Price_Test.csv",
        "prices",
        False,
        "Google (GOOG) daily OHLCV 2017-01-03..2017-01-31 (20 days); not built in, "
        "read from $UNROLLED_DATA_DIR",
        "the 'Deep Learning A-Z' course data; public copies on GitHub, e.g. Renu-coder2002/Dataset",
    ),
    "tinyshakespeare": _Entry(
        "tinyshakespeare.txt",
        "text",
        False,
        "Karpathy's tiny shakespeare, 1,115,394 characters (65 symbols); not built in, "
        "read from $UNROLLED_DATA_DIR",
        "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
    ),
}


def list_datasets():
    """dict: dataset name -> one-line description."""
    return {name: entry.description for name, entry in _REGISTRY.items()}


def _entry(name):
    if name not in _REGISTRY:
        raise InputError(f"Unknown dataset {name!r}; known datasets: {', '.join(_REGISTRY)}.")
    return _REGISTRY[name]


def shared_data_dir():
    """The folder of the non-built-in datasets, $UNROLLED_DATA_DIR, or None when it is unset."""
    env = os.environ.get("UNROLLED_DATA_DIR")
    return Path(env) if env else None


def dataset_path(name):
    """The file behind dataset `name`, as a Path (a packaged file or one in the shared folder)."""
    entry = _entry(name)
    if entry.file is None:
        raise InputError(f"Dataset {name!r} is defined in code and has no file; use load_text.")
    if entry.builtin:
        path = resources.files("unrolled.data").joinpath("files", entry.file)
        return Path(str(path))
    folder = shared_data_dir()
    if folder is None:
        raise InputError(
            f"Dataset {name!r} is not built in: set UNROLLED_DATA_DIR to the folder that holds "
            f"{entry.file} (source: {entry.source})."
        )
    path = folder / entry.file
    if not path.is_file():
        raise InputError(
            f"Dataset {name!r} is not built in and {str(path)!r} was not found; put "
            f"{entry.file} there or set UNROLLED_DATA_DIR to the folder that holds it "
            f"(source: {entry.source})."
        )
    return path


def load_dataset(name, **kwargs):
    """Load a price dataset with `load_prices(dataset_path(name), **kwargs)` -> PriceSeries.

    e.g. load_dataset("sp500", column="Close", features=["Volume"]).
    """
    entry = _entry(name)
    if entry.kind != "prices":
        raise InputError(f"Dataset {name!r} is text, not a price series; use load_text({name!r}).")
    shown = {"name": f"the built-in dataset {name!r}"} if entry.builtin else {}  # not its path
    return load_prices(dataset_path(name), **shown, **kwargs)


load_series = load_dataset


def load_text(name):
    """The text of a text dataset ("hello", "belling_the_cat", "tinyshakespeare") as a str."""
    entry = _entry(name)
    if entry.kind != "text":
        raise InputError(f"Dataset {name!r} is a price series; use load_dataset({name!r}).")
    if entry.file is None:
        return HELLO
    return dataset_path(name).read_text(encoding="utf-8")


def fable_text():
    """Aesop's "Belling the Cat" as prose (about 950 characters, two paragraphs)."""
    return load_text("belling_the_cat")


def hello_text():
    """'hello': the char-RNN toy example (vocabulary h, e, l, o)."""
    return HELLO
