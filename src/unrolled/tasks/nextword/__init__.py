"""`unrolled nextword`: next-word prediction on "Belling the Cat" (task.py)."""

from unrolled.tasks.nextword.task import Config, Result, add_parser, run

__all__ = ["Config", "Result", "add_parser", "run"]
