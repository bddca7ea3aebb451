"""`unrolled gradients`: vanishing and exploding gradients, measured (task.py)."""

from unrolled.tasks.gradients.task import Config, Result, add_parser, run

__all__ = ["Config", "Result", "add_parser", "run"]
