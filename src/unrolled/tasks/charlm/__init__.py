"""`unrolled charlm train|sample`: a character-level language model (task.py)."""

from unrolled.tasks.charlm.task import SampleConfig, TrainConfig, add_parser, run, sample, train

__all__ = ["SampleConfig", "TrainConfig", "add_parser", "run", "sample", "train"]
