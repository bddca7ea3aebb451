"""The `unrolled` command: one subcommand per task.

    unrolled forecast            # the main job: an honest stock-price forecast
    unrolled trace --backward    # the tutorial's worked example, step by step
    unrolled gradients           # vanishing / exploding gradients, measured
    unrolled memory              # long-term memory: SimpleRNN vs LSTM vs GRU
    unrolled nextword            # next-word prediction on "Belling the Cat"
    unrolled charlm train|sample # character-level language model
    unrolled export MODEL        # the model for PyTorch (--format torch) or ONNX Runtime

Exit codes: 0 success, 2 a user error (one line on stderr, no traceback), 1 an internal error.
"""

import argparse
import importlib
import sys

from unrolled.errors import InputError
from unrolled.interop import cli as export_command

# subcommand modules under unrolled.tasks, in the order `--help` lists them
TASKS = ("forecast", "trace", "gradients", "memory", "nextword", "charlm")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows "(default: X)" after each option's help, except where there is nothing to show."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or "%(default)" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """argparse with our help format, reporting a usage mistake as one line and exit code 2."""

    def __init__(self, *args, **kwargs):
        kwargs["formatter_class"] = HelpFormatter
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        # argparse hands a subcommand's leftovers up to the top parser, which would report
        # them as "unrolled: ..."; the parser that met them reports them ("unrolled trace: ...")
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        if not hasattr(namespace, "prog"):  # the innermost parser runs first: "unrolled trace"
            namespace.prog = self.prog
        return namespace, extras

    def error(self, message):
        raise InputError(f"{self.prog}: {message}")


def build_parser():
    parser = _Parser(
        prog="unrolled",
        description="Recurrent neural networks from scratch in NumPy: run a task.",
    )
    parser.add_argument("--version", action="version", version=_version())
    subparsers = parser.add_subparsers(dest="task", metavar="TASK", parser_class=_Parser)
    subparsers.required = True
    for name in TASKS:
        importlib.import_module(f"unrolled.tasks.{name}").add_parser(subparsers)
    export_command.add_parser(subparsers)  # `unrolled export`: not a task, a file for elsewhere
    return parser


def _version():
    from importlib.metadata import version

    return f"unrolled {version('unrolled')}"


def main(argv=None):
    """Run the command line; returns the exit code."""
    prog = None
    try:
        args = build_parser().parse_args(argv)
        prog = args.prog
        return args.func(args) or 0
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        # the tasks check their paths before any work; a file system that refuses a read or
        # a write later still gets one line, not a traceback (an OSError without a file is a bug)
        if error.filename is None or prog is None:
            raise
        print(f"error: {prog}: {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
