"""Fixtures the task tests share."""

import pytest

from unrolled.cli import main


def expect_cli_error(argv, capsys):
    """The CLI must exit 2 with one "error: " line on stderr and no traceback; that line."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


@pytest.fixture
def cli_error(capsys):
    """run(argv): expect_cli_error with this test's captured output."""
    return lambda argv: expect_cli_error(argv, capsys)
