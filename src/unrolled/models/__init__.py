"""Sequential models: the class (sequential.py), its fit loop (fit.py), the checks on what
fit/predict receive (checks.py), the summary, the progress bar, and model files (saving.py)."""

from unrolled.models.saving import load_model
from unrolled.models.sequential import Sequential

__all__ = ["Sequential", "load_model"]
