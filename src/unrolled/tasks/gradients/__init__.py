"""`unrolled gradients`: vanishing and exploding gradients, measured (task.py)."""

from unrolled.tasks.gradients.task import (
    Config,
    Result,
    add_parser,
    backward_norms,
    make_weights,
    run,
)

__all__ = ["Config", "Result", "add_parser", "backward_norms", "make_weights", "run"]
