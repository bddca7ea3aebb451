"""Arguments Keras takes and unrolled does not implement: a clear answer for each.

Code and configs written for Keras often carry arguments that change nothing here (a
regularizer left at None, `implementation=2`): those load. Any other value of such an
argument, a Keras 2 name that Keras 3 removed too, or an unknown name is one InputError that
names the argument and says what to write instead.
"""

import difflib
import inspect

import numpy as np

from unrolled.errors import InputError, invalid

# Keras arguments unrolled does not implement, each with the values that leave the math as it
# is: those pass (so code and configs written for Keras load), any other is an error.
LAYER_NO_OPS = {
    "seed": ((None,), "dropout draws from the default generator: use unrolled.set_seed(n)"),
    "noise_shape": ((None,), "Dropout draws one mask entry per value"),
    **{
        f"{w}_{kind}": ((None,), f"unrolled has no {kind}s")
        for w in ("kernel", "recurrent", "bias", "embeddings")
        for kind in ("regularizer", "constraint")
    },
    "activity_regularizer": ((None,), "unrolled has no regularizers"),
    "lora_rank": ((None,), "unrolled has no LoRA"),
    "lora_alpha": ((None,), "unrolled has no LoRA"),
    "quantization_config": ((None,), "unrolled does not quantize"),
}

OPTIMIZER_NO_OPS = {
    "decay": ((None, 0), "no built-in decay here: use callbacks.LearningRateScheduler"),
    "weight_decay": ((None, 0), "no weight decay here"),
    "use_ema": ((False,), "no moving average of the weights here"),
    "ema_momentum": ((0.99,), "no moving average of the weights here"),
    "ema_overwrite_frequency": ((None,), "no moving average of the weights here"),
    "loss_scale_factor": ((None,), "no loss scaling here"),
    "gradient_accumulation_steps": ((None, 1), "one update per batch here"),
    "amsgrad": ((False,), "no AMSGrad variant here"),
}

# Keras's fit/evaluate/predict arguments, by the same rule
FIT_NO_OPS = {
    "sample_weight": ((None,), "unrolled does not support sample weights"),
    "class_weight": ((None,), "unrolled does not support class weights"),
    "steps_per_epoch": ((None,), "an epoch is always one pass over x"),
    "validation_steps": ((None,), "validation always uses all of validation_data"),
    "validation_batch_size": ((None,), "validation uses batch_size"),
    "validation_freq": ((1,), "validation runs after every epoch"),
    # Keras 2 only: loading from generators; arrays need none of it
    "max_queue_size": ((10,), "unrolled does not load data from generators"),
    "workers": ((1,), "unrolled does not load data from generators"),
    "use_multiprocessing": ((False,), "unrolled does not load data from generators"),
}
PREDICT_NO_OPS = {
    "steps": ((None,), "it always covers all of x"),
    "callbacks": ((None,), "only fit runs callbacks here"),
}
EVALUATE_NO_OPS = {**PREDICT_NO_OPS, "sample_weight": FIT_NO_OPS["sample_weight"]}
ON_BATCH_NO_OPS = {key: FIT_NO_OPS[key] for key in ("sample_weight", "class_weight")}

# Keras 2 arguments that Keras 3 rejects too, with what to write instead
KERAS_2_HINTS = {
    "batch_input_shape": lambda v: (
        f"use input_shape={tuple(v)[1:]}, without the batch dimension"
        if isinstance(v, list | tuple)
        else "use input_shape=(timesteps, features), without the batch dimension"
    ),
    "time_major": lambda v: "inputs are always (batch, timesteps, features)",
    "lr": lambda v: f"use learning_rate={v!r}",
}


def accepted_arguments(cls):
    """The keyword arguments `cls(...)` takes by name, from every __init__ along its MRO."""
    names = []
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        for p in inspect.signature(init).parameters.values():
            if p.kind is p.POSITIONAL_OR_KEYWORD and p.name not in ("self", *names):
                names.append(p.name)
    return names


def check_extra_arguments(owner, extra, no_ops=LAYER_NO_OPS):
    """Raise one InputError for the first argument in `extra` (keywords beyond `owner`'s
    signature) unless it is a Keras argument in `no_ops` holding its no-op value."""
    cls = type(owner).__name__
    for name, value in extra.items():
        if name in no_ops:
            _require_no_op(cls, name, value, no_ops[name])
        elif name in KERAS_2_HINTS:
            raise InputError(
                f"{cls} got an unknown argument `{name}` (Keras 2, removed in Keras 3); "
                f"{KERAS_2_HINTS[name](value)}."
            )
        else:
            raise _unknown(cls, name, value, accepted_arguments(type(owner)))


def check_call_arguments(method, extra, no_ops):
    """The same for a method (fit, evaluate, predict): `extra` is what its **keras_args got."""
    owner = f"{method.__name__}()"
    for name, value in extra.items():
        if name not in no_ops:
            params = inspect.signature(method).parameters.values()
            accepted = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
            raise _unknown(owner, name, value, accepted)
        _require_no_op(owner, name, value, no_ops[name])


def _require_no_op(owner, name, value, no_op):
    values, why = no_op
    if not any(_same(value, v) for v in values):
        expected = " or ".join(map(repr, values))
        if isinstance(value, np.ndarray) and value.ndim:  # sample weights: not every value
            value = f"an array of shape {value.shape}"
        raise invalid(name, f"{expected} in {owner} ({why})", value)


def _unknown(owner, name, value, accepted):
    """The error for an unknown keyword: what `owner` accepts, and the closest name."""
    close = difflib.get_close_matches(name, accepted, n=1)
    guess = f"did you mean `{close[0]}`? It" if close else "it"
    return InputError(
        f"{owner} got an unknown argument `{name}` (= {value!r}); {guess} accepts "
        f"{', '.join(accepted)}."
    )


def _same(value, no_op):
    """value is the no-op value (None, a bool or a number), never an array compared whole."""
    if no_op is None or isinstance(no_op, bool):
        return value is no_op or (isinstance(value, np.bool_) and value == no_op)
    return np.ndim(value) == 0 and not isinstance(value, bool | str) and value == no_op
