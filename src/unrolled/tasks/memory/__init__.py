"""`unrolled memory`: how far back SimpleRNN, LSTM and GRU remember (task.py)."""

from unrolled.tasks.memory.data import adding_data, recall_data
from unrolled.tasks.memory.task import Config, Result, add_parser, resolve, run
from unrolled.tasks.memory.train import build_model

__all__ = [
    "Config",
    "Result",
    "adding_data",
    "add_parser",
    "build_model",
    "recall_data",
    "resolve",
    "run",
]
