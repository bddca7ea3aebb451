"""`unrolled nextword`: next-word prediction on "Belling the Cat" (task.py)."""

from unrolled.tasks.nextword.model import Answer, answer, build_model
from unrolled.tasks.nextword.task import Config, Result, add_parser, resolve, run

__all__ = ["Answer", "Config", "Result", "add_parser", "answer", "build_model", "resolve", "run"]
