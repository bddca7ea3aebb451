"""Built-in datasets: the fable's tokens, the packaged S&P 500 file, the registry."""

import gzip
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import unrolled.data as data
from unrolled.data import Vocabulary, datasets
from unrolled.errors import InputError

SHARED = datasets.shared_data_dir()  # UNROLLED_DATA_DIR, which conftest.py sets
SP500_SHA256 = "1e028cbb9c400cc018c816ccc439b33c919387e726c3ed5ca2c05c82746059de"


def test_fable_prose_gives_exactly_the_article_tokens():
    ref_path = SHARED / "belling_the_cat.txt"
    if not ref_path.is_file():
        pytest.skip(f"shared data not found: {ref_path}")
    reference = ref_path.read_text(encoding="utf-8").split()
    text = data.fable_text()
    v = Vocabulary(level="word", lower=True)
    assert v.tokenize(text) == reference
    assert len(reference) == 204 and len(v.fit(text)) == 112


def test_fable_is_prose_with_the_restored_sentence():
    text = data.fable_text()
    assert text.startswith("Long ago, the mice had a general council")
    assert (
        "in the sly and treacherous manner in which the enemy approaches us. Now, if we could "
        "receive some signal of her approach" in text
    )
    assert text.endswith("impossible remedies.\n")
    assert Vocabulary("word", lower=True).fit(text).symbols_[:4] == [",", "the", ".", "and"]


def test_hello():
    assert data.hello_text() == data.load_text("hello") == "hello"
    assert len(Vocabulary("char").fit(data.hello_text())) == 4


def test_sp500_file_is_the_arch_file_byte_for_byte():
    path = data.dataset_path("sp500")
    assert path.name == "sp500.csv.gz" and path.is_file()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SP500_SHA256
    assert path.stat().st_size < 300_000
    assert gzip.decompress(path.read_bytes()).startswith(b"Date,Open,High,Low,Close,Adj Close")


def test_load_sp500():
    s = data.load_dataset("sp500", column="Close", features=["Adj Close", "Volume"])
    assert s.values.shape == (5031, 3) and s.columns == ["Close", "Adj Close", "Volume"]
    assert str(s.dates[0]) == "1999-01-04" and str(s.dates[-1]) == "2018-12-31"
    np.testing.assert_array_equal(s.values[0], [1228.099976, 1228.099976, 877000000.0])
    assert s.values[-1, 0] == 2506.850098 and s.notices == []
    assert np.all(np.diff(s.dates).astype(int) > 0)
    assert data.load_series("sp500").values[0, 0] == 1229.22998  # Open, the default


def test_registry():
    names = data.list_datasets()
    assert {"hello", "belling_the_cat", "sp500", "google_train", "google_test"} <= set(names)
    assert all(isinstance(d, str) and "\n" not in d for d in names.values())
    assert "1999-01-04..2018-12-31" in names["sp500"] and "arch 8.0.0" in names["sp500"]
    assert "not built in" in names["google_train"]
    with pytest.raises(
        InputError,
        match=r"Unknown dataset 'spx'; known datasets: hello, "
        r"belling_the_cat, sp500, google_train",
    ):
        data.dataset_path("spx")
    with pytest.raises(InputError, match="is text, not a price series; use load_text"):
        data.load_dataset("belling_the_cat")
    with pytest.raises(InputError, match="is a price series; use load_dataset"):
        data.load_text("sp500")
    with pytest.raises(InputError, match="has no file"):
        data.dataset_path("hello")


def test_shared_datasets_are_read_from_the_shared_folder(monkeypatch, tmp_path):
    if (SHARED / "Google_Stock_Price_Test.csv").is_file():
        assert datasets.dataset_path("google_test") == (SHARED / "Google_Stock_Price_Test.csv")
        assert len(data.load_dataset("google_test")) == 20
    monkeypatch.setenv("UNROLLED_DATA_DIR", str(tmp_path))
    with pytest.raises(InputError, match=r"'google_train' is not built in and .* was not found"):
        data.dataset_path("google_train")
    with pytest.raises(
        InputError, match=r"\(source: https://raw\.githubusercontent\.com/karpathy/"
    ):
        data.dataset_path("tinyshakespeare")
    (tmp_path / "tinyshakespeare.txt").write_text("First Citizen:\n")
    assert data.load_text("tinyshakespeare") == "First Citizen:\n"


def test_without_unrolled_data_dir_only_built_in_datasets_exist(monkeypatch):
    monkeypatch.delenv("UNROLLED_DATA_DIR")
    assert datasets.shared_data_dir() is None  # never a folder worked out from site-packages
    with pytest.raises(InputError) as raised:
        data.dataset_path("google_train")
    assert str(raised.value) == (
        "Dataset 'google_train' is not built in: set UNROLLED_DATA_DIR to the folder that "
        "holds Google_Stock_Price_Train.csv (source: the 'Deep Learning A-Z' course data; "
        "public copies on GitHub, e.g. Renu-coder2002/Dataset)."
    )
    assert len(data.load_dataset("sp500")) == 5031


def test_the_tests_find_shared_data_through_the_library():
    # conftest.py points UNROLLED_DATA_DIR at ../shared/data beside the checkout unless it is
    # set; every test reads shared data through datasets.shared_data_dir, as the library does
    tests, own_path = Path(__file__).parents[1], " / ".join(['"shared"', '"data"'])
    for test in tests.rglob("*.py"):
        if test.parent == tests or test.is_relative_to(tests / "tasks" / "forecast"):
            continue  # conftest.py sets the default; forecast's tests are changing elsewhere
        assert own_path not in test.read_text(encoding="utf-8"), test
    assert datasets.shared_data_dir() == SHARED


def test_importing_data_does_not_import_pandas():
    code = "import sys, unrolled.data; print('pandas' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": ":".join(sys.path)},
    ).stdout
    assert out.strip() == "False"
