"""Sequential models: the class and load_model (sequential.py), its fit loop (fit.py), the
checks on what compile/fit/evaluate/predict receive (checks.py), which weights train
(train_state.py), the summary, the progress bar, and model files (saving.py)."""

from unrolled.models.sequential import Sequential, load_model

__all__ = ["Sequential", "load_model"]
