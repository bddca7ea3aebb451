"""`unrolled charlm train|sample`: a character-level language model (task.py)."""

from unrolled.tasks.charlm.model import build_model, generate_text, load, prime_text
from unrolled.tasks.charlm.task import SampleConfig, TrainConfig, add_parser, run, sample
from unrolled.tasks.charlm.train import TrainResult, train

__all__ = [
    "SampleConfig",
    "TrainConfig",
    "TrainResult",
    "add_parser",
    "build_model",
    "generate_text",
    "load",
    "prime_text",
    "run",
    "sample",
    "train",
]
