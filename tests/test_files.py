import json
import os

import pytest

from unrolled.files import atomic_path, run_dir, write_json
from unrolled.tasks._shared.printing import format_table


def test_write_json_is_complete(tmp_path):
    path = tmp_path / "sub" / "m.json"
    write_json(path, {"rmse": 1.5})
    assert json.loads(path.read_text()) == {"rmse": 1.5}
    assert [p.name for p in path.parent.iterdir()] == ["m.json"]


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_run_dir_default_and_explicit(tmp_path):
    assert run_dir(tmp_path, "forecast") == tmp_path
    assert run_dir(None, "forecast").parts[0] == "runs"
    assert run_dir(None, "forecast").name.startswith("forecast-")


def test_format_table_aligns_columns():
    text = format_table(["model", "rmse"], [["lstm", "1.25"], ["naive", "10.5"]])
    lines = text.splitlines()
    assert lines == ["model  rmse", "-----  ----", "lstm   1.25", "naive  10.5"]


def test_written_files_get_the_usual_permissions(tmp_path):
    path = tmp_path / "m.json"
    write_json(path, {})
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
