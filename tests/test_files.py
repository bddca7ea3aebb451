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


# stale temporary files: a writer that dies leaves its temporary file; the next write of the
# same target removes it, but never the temporary file of a writer that is still alive
fcntl = pytest.importorskip("fcntl", reason="stale files are found by their lock (POSIX)")


def _temps(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_dead_writers_temp_file_is_removed_by_the_next_write(tmp_path):
    (tmp_path / ".m.json.abc123.tmp").write_text("half of a file")  # nobody holds its lock
    write_json(tmp_path / "m.json", {})
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_a_live_writers_temp_file_is_left_alone(tmp_path):
    live = tmp_path / ".m.json.abc123.tmp"
    live.write_text("being written")
    with open(live) as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # what a writer in another process holds
        write_json(tmp_path / "m.json", {})
        assert _temps(tmp_path) == [live.name]


def test_other_targets_temp_files_are_not_touched(tmp_path):
    (tmp_path / ".other.json.abc123.tmp").write_text("someone else's")
    write_json(tmp_path / "m.json", {})
    assert _temps(tmp_path) == [".other.json.abc123.tmp"]


def test_a_write_that_fails_without_a_file_name_names_the_target(tmp_path):
    import errno

    path = tmp_path / "m.json"
    with pytest.raises(OSError) as raised, atomic_path(path):
        raise OSError(errno.ENOSPC, "No space left on device")  # as f.write reports it
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(path)
    assert list(tmp_path.iterdir()) == []


SAVER = """
import sys
import numpy as np
from unrolled.layers import Dense
from unrolled.models import Sequential

model = Sequential([Dense(2000, input_shape=(2000,))])  # 16 MB of weights: saves take a while
print("ready", flush=True)
while True:
    model.save(sys.argv[1])
"""


def test_killed_saves_leave_the_old_file_whole_and_at_most_one_temp_file(tmp_path):
    import random
    import signal
    import subprocess
    import sys
    import time

    import numpy as np

    from unrolled.layers import Dense
    from unrolled.models import Sequential, load_model

    path = tmp_path / "model.npz"
    old = Sequential([Dense(2000, input_shape=(2000,))])
    old.save(path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(__import__("sys").path)}
    shapes = [w.shape for w in old.get_weights()]
    rng = random.Random(0)
    for _ in range(6):
        saver = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, env=env
        )
        assert saver.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.05, 0.4))  # somewhere in a save, most of the time
        saver.send_signal(signal.SIGKILL)
        saver.wait()
        saver.stdout.close()
        assert [w.shape for w in load_model(path).get_weights()] == shapes  # whole, old or new
        assert len(_temps(tmp_path)) <= 1
    old.save(path)  # the next save clears what the last kill left
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
    np.testing.assert_array_equal(load_model(path).get_weights()[0], old.get_weights()[0])


# run folders: all or nothing


def _listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_a_run_folder_appears_whole_when_the_block_completes(tmp_path):
    from unrolled.files import atomic_folder

    out = tmp_path / "runs" / "a"
    with atomic_folder(out, lambda folder: None) as folder:
        (folder / "metrics.json").write_text("{}")
        assert not out.exists()
    assert _listing(tmp_path) == ["runs", "runs/a", "runs/a/metrics.json"]
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~mask


@pytest.mark.parametrize("crash", [RuntimeError, KeyboardInterrupt])
def test_a_crash_leaves_no_folder_and_the_earlier_one_whole(tmp_path, crash):
    from unrolled.files import atomic_folder

    out = tmp_path / "a"
    out.mkdir()
    (out / "metrics.json").write_text("earlier run")
    with pytest.raises(crash), atomic_folder(out, lambda folder: None) as folder:
        (folder / "model.npz").write_text("half")
        raise crash()
    assert _listing(tmp_path) == ["a", "a/metrics.json"]
    assert (out / "metrics.json").read_text() == "earlier run"


def test_a_new_run_replaces_the_earlier_folder_whole(tmp_path):
    from unrolled.files import atomic_folder

    out = tmp_path / "a"
    out.mkdir()
    (out / "model.npz").write_text("earlier run")
    with atomic_folder(out, lambda folder: None) as folder:
        (folder / "metrics.json").write_text("new run")
    assert _listing(tmp_path) == ["a", "a/metrics.json"]  # never a mix of the two runs


def test_a_folder_that_may_not_be_replaced_is_kept(tmp_path):
    from unrolled.errors import InputError
    from unrolled.files import atomic_folder

    out = tmp_path / "a"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not ours"), atomic_folder(out, lambda f: "not ours"):
        pass
    assert _listing(tmp_path) == ["a", "a/notes.txt"]


def test_a_dead_runs_temporary_folder_is_removed_by_the_next_run(tmp_path):
    from unrolled.files import atomic_folder

    stale = tmp_path / ".a.abc123.tmp"
    stale.mkdir()
    (stale / "model.npz").write_text("half")
    with atomic_folder(tmp_path / "a", lambda folder: None):
        pass
    assert _listing(tmp_path) == ["a"]


def test_an_io_error_inside_a_run_folder_names_the_final_path(tmp_path):
    import errno

    from unrolled.files import atomic_folder

    out = tmp_path / "a"
    with pytest.raises(OSError) as raised, atomic_folder(out, lambda f: None) as folder:
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "metrics.json"))
    assert raised.value.filename == str(out / "metrics.json")
    assert list(tmp_path.iterdir()) == []
