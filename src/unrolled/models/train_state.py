"""Which weights train, and the optimizer state that belongs to exactly those weights.

An optimizer's slots (momentums, velocities) and step count describe one set of trainable
weights, and the optimizer records which (`optimizer.state_for`: the layers and shapes of the
flat buffer, and its frozen parts). Training keeps the state while the model's weights are
that set. When they are not (`pop`, `add`, a layer's `trainable` flipped, an optimizer
assigned to this model that last trained another), the next training step starts the
optimizer over: fresh slots, step count 0, as a new optimizer after compile. Compiling again
with the same optimizer object keeps its state (Keras 3 does too). A model file stores the
state only while it is current.

Frozen weights (a layer with trainable=False, or a wrapped layer with it) get no gradient:
their entries of the flat gradient are zeroed after backward, so fresh slots stay at rest
there and no optimizer moves them, clipping by global norm included.
"""

import warnings


def frozen_slices(model):
    """Slices of the flat parameter buffer that do not train, in order (merged when adjacent)."""
    slices, offset = [], 0
    for (layer, key, *_), size in zip(model._views, model._sizes, strict=True):
        if key in layer.frozen_keys():
            if slices and slices[-1].stop == offset:
                slices[-1] = slice(slices[-1].start, offset + size)
            else:
                slices.append(slice(offset, offset + size))
        offset += size
    return slices


def frozen_count(model):
    """How many of the model's weights do not train."""
    return sum(s.stop - s.start for s in frozen_slices(model))


def state_key(model):
    """What an optimizer's state for this model is built for: which arrays of which layers
    (with their shapes) fill the flat buffer, and which parts of it are frozen."""
    layout = tuple((layer, key, p.shape) for layer, key, p, _ in model._views)
    return layout, tuple((s.start, s.stop) for s in frozen_slices(model))


def ensure(model):
    """Before training steps: the optimizer's state for the model's trainable weights (built
    anew, step count 0, unless it already is) and `model._frozen`, the slices to zero."""
    key = state_key(model)
    model._frozen = [slice(*bounds) for bounds in key[1]]
    if model.optimizer.state_for == key:
        return
    model.optimizer.build(model._params, model._sizes)
    model.optimizer.iterations = 0
    model.optimizer.state_for = key
    if frozen_count(model) == model._params.size:
        warnings.warn("The model has no trainable weights: training changes nothing.", stacklevel=3)


def is_current(model):
    """True when the optimizer's state belongs to the model's weights as they are now."""
    return model.optimizer.state_for == state_key(model)
