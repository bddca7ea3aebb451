"""`unrolled trace`: the tutorial's tiny RNN, one time step at a time (task.py)."""

from unrolled.tasks.trace.task import Config, Result, add_parser, resolve, run

__all__ = ["Config", "Result", "add_parser", "resolve", "run"]
