"""`unrolled forecast`: a stock-price forecast beside its naive baselines (task.py)."""

from unrolled.tasks.forecast.config import Config
from unrolled.tasks.forecast.task import Result, add_parser, run

__all__ = ["Config", "Result", "add_parser", "run"]
