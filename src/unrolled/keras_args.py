"""Arguments Keras takes and unrolled does not implement: a clear answer for each.

Code and configs written for Keras often carry arguments that change nothing here (a
regularizer left at None, `implementation=2`): those load. Any other value of such an
argument, a Keras 2 name that Keras 3 removed too, or an unknown name is one InputError that
names the argument and says what to write instead.
"""

import inspect

import numpy as np

from unrolled.errors import InputError, invalid

# Keras arguments unrolled does not implement, each with the values that leave the math as it
# is: those pass (so code and configs written for Keras load), any other is an error.
LAYER_NO_OPS = {
    "trainable": ((True,), "every layer trains"),
    "seed": ((None,), "dropout draws from the default generator: use unrolled.set_seed(n)"),
    "zero_output_for_mask": (
        (True,),
        "a skipped step always outputs zeros here; Keras's default, False, repeats the last output",
    ),
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
            values, why = no_ops[name]
            if not any(_same(value, v) for v in values):
                expected = " or ".join(map(repr, values))
                raise invalid(name, f"{expected} in {cls} ({why})", value)
        elif name in KERAS_2_HINTS:
            raise InputError(
                f"{cls} got an unknown argument `{name}` (Keras 2, removed in Keras 3); "
                f"{KERAS_2_HINTS[name](value)}."
            )
        else:
            accepted = ", ".join(accepted_arguments(type(owner)))
            raise InputError(
                f"{cls} got an unknown argument `{name}` (= {value!r}); it accepts {accepted}."
            )


def _same(value, no_op):
    """value is the no-op value (None, a bool or a number), never an array compared whole."""
    if no_op is None or isinstance(no_op, bool):
        return value is no_op or (isinstance(value, np.bool_) and value == no_op)
    return np.ndim(value) == 0 and not isinstance(value, bool | str) and value == no_op
