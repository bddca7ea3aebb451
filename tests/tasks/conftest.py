"""Fixtures the task tests share."""

import pytest

from unrolled.cli import main


@pytest.fixture
def cli_error(capsys):
    """run(argv): the CLI must exit 2 with one "error: " line on stderr; returns that line."""

    def run(argv):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
        return err

    return run
