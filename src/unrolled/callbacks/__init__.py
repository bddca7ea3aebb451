"""Callbacks that `fit` calls around epochs and batches, with Keras's names.

The hook protocol and the runner are in base.py; History in history.py; the callbacks that
watch or steer training in monitoring.py; CSVLogger in csv_logger.py.
"""

from unrolled.callbacks.base import BATCH_HOOKS, Callback, CallbackList, LambdaCallback
from unrolled.callbacks.csv_logger import CSVLogger
from unrolled.callbacks.history import History
from unrolled.callbacks.monitoring import (
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)

__all__ = [
    "BATCH_HOOKS",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]
