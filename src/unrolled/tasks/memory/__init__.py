"""`unrolled memory`: how far back SimpleRNN, LSTM and GRU remember (task.py)."""

from unrolled.tasks.memory.task import Config, Result, add_parser, run

__all__ = ["Config", "Result", "add_parser", "run"]
