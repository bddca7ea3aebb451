"""Optimizers with Keras 3's update rules and defaults, on one flat parameter vector.

The model keeps every parameter in one flat array `p` and every gradient in one flat `g`
(each layer's `params[k]` is a view into it), so a step is a handful of vectorised ops over
all weights at once, clipping included. `t` counts steps from 1:

    SGD       v = momentum v - lr g;  p += v            (nesterov: p += momentum v - lr g)
              momentum 0: p -= lr g
    RMSprop   s = rho s + (1 - rho) g^2;  p -= lr g / sqrt(s + eps)
              centered: a = rho a + (1 - rho) g, denominator sqrt(s - a^2 + eps)
              momentum > 0: v = momentum v + lr g / sqrt(.); p -= v
    Adagrad   s += g^2;  p -= lr g / sqrt(s + eps)      (s starts at initial_accumulator_value)
    Adam      m += (g - m)(1 - beta_1);  v += (g^2 - v)(1 - beta_2)
              p -= lr sqrt(1 - beta_2^t) / (1 - beta_1^t) m / (sqrt(v) + eps)

Clipping happens before the update, one kind at a time as in Keras: `clipnorm` rescales each
variable g to norm <= clipnorm, `global_clipnorm` rescales all of g together, `clipvalue`
clips every entry to [-clipvalue, clipvalue].
Source: keras/src/optimizers/{sgd,rmsprop,adagrad,adam,base_optimizer}.py (Keras 3).
"""

import math
from numbers import Real

import numpy as np

from unrolled.errors import InputError, invalid
from unrolled.keras_compat import OPTIMIZER_NO_OPS, check_extra_arguments


class Optimizer:
    """Base: validates the shared arguments, clips, counts `iterations`, holds slot arrays."""

    name = "optimizer"

    def __init__(
        self, learning_rate, clipnorm=None, clipvalue=None, global_clipnorm=None, **keras_args
    ):
        keras_args.pop("name", None)  # Keras's label for the optimizer: changes nothing here
        check_extra_arguments(self, keras_args, OPTIMIZER_NO_OPS)
        self.learning_rate = _positive("learning_rate", learning_rate)
        self.clipnorm = _positive("clipnorm", clipnorm, optional=True)
        self.clipvalue = _positive("clipvalue", clipvalue, optional=True)
        self.global_clipnorm = _positive("global_clipnorm", global_clipnorm, optional=True)
        chosen = [k for k in ("clipnorm", "clipvalue", "global_clipnorm") if getattr(self, k)]
        if len(chosen) > 1:
            raise InputError(
                f"Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set; "
                f"got {', '.join(chosen)}."
            )
        self.iterations = 0  # update steps taken; Adam's bias correction reads it
        self.state_for = None  # the weights its slots were built for (models/train_state.py)
        self.slots = {}  # name -> flat array of p's size (momentums, velocities, ...)

    def build(self, params, sizes):
        """Allocate slot arrays for the flat `params`; `sizes` lists each variable's length."""
        self._starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        self._sizes = np.asarray(sizes, dtype=np.intp)
        self._tmp = np.empty_like(params)  # scratch, so a step allocates nothing
        self._tmp2 = np.empty_like(params)
        self.slots = self._make_slots(params)
        # room for the state before a step, to undo one that leaves a non-finite value
        self._before = [np.empty_like(a) for a in (params, *self.slots.values())]

    def _make_slots(self, params):
        """name -> slot array for the flat `params`, each filled with its initial value."""
        return {name: np.full_like(params, value) for name, value in self._slot_inits()}

    def apply(self, params, grads):
        """One step: clip `grads` in place, then update `params` and the slots in place.

        Returns True, or False when the step would leave a non-finite value in `params` or a
        slot: then it is undone, and params, slots and `iterations` are as they were.
        """
        state = (params, *self.slots.values())
        for array, before in zip(state, self._before, strict=True):
            np.copyto(before, array)
        self._clip(grads)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is checked just below
            self._update(params, grads, self.learning_rate)
            finite = all(map(_finite, state))
        if not finite:
            for array, before in zip(state, self._before, strict=True):
                np.copyto(array, before)
            return False
        self.iterations += 1
        return True

    def _clip(self, g):
        if self.clipnorm:
            # per variable: g <- g * c / max(||g||, c)
            norms = np.sqrt(np.add.reduceat(np.multiply(g, g, out=self._tmp), self._starts))
            if (norms > self.clipnorm).any():
                g *= np.repeat(self.clipnorm / np.maximum(norms, self.clipnorm), self._sizes)
        elif self.global_clipnorm:
            norm = math.sqrt(float(np.vdot(g, g)))
            if norm > self.global_clipnorm:
                g *= self.global_clipnorm / norm
        elif self.clipvalue:
            np.clip(g, -self.clipvalue, self.clipvalue, out=g)

    def _slot_inits(self):
        """(name, initial value) of each per-parameter state array."""
        return []

    def _update(self, p, g, lr):
        raise NotImplementedError

    def get_config(self):
        config = {"name": self.name, "learning_rate": self.learning_rate}
        for key in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, key):
                config[key] = getattr(self, key)
        return config

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    name = "sgd"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum = _fraction("momentum", momentum)
        self.nesterov = bool(nesterov)

    def _slot_inits(self):
        return [("momentum", 0.0)] if self.momentum else []

    def _update(self, p, g, lr):
        if not self.momentum:
            np.multiply(g, lr, out=self._tmp)
            p -= self._tmp
            return
        v, step = self.slots["momentum"], self._tmp
        np.multiply(g, lr, out=step)  # lr g
        v *= self.momentum
        v -= step  # v = momentum v - lr g
        if self.nesterov:
            np.multiply(v, self.momentum, out=self._tmp2)
            self._tmp2 -= step
            p += self._tmp2  # p += momentum v - lr g
        else:
            p += v

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    name = "rmsprop"

    def __init__(
        self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs
    ):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum = _fraction("rho", rho), _fraction("momentum", momentum)
        self.epsilon = _positive("epsilon", epsilon)
        self.centered = bool(centered)

    def _slot_inits(self):
        slots = [("velocity", 0.0)]
        if self.momentum > 0:
            slots.append(("momentum", 0.0))
        if self.centered:
            slots.append(("average_gradient", 0.0))
        return slots

    def _update(self, p, g, lr):
        s, rho, denominator, step = self.slots["velocity"], self.rho, self._tmp, self._tmp2
        s *= rho
        np.multiply(g, g, out=denominator)
        denominator *= 1 - rho
        s += denominator  # s = rho s + (1 - rho) g^2
        if self.centered:
            a = self.slots["average_gradient"]
            a *= rho
            np.multiply(g, 1 - rho, out=step)
            a += step  # a = rho a + (1 - rho) g
            np.multiply(a, a, out=step)
            np.subtract(s, step, out=denominator)
            denominator += self.epsilon  # s - a^2 + eps
        else:
            np.add(s, self.epsilon, out=denominator)
        np.sqrt(denominator, out=denominator)
        np.multiply(g, lr, out=step)
        step /= denominator  # lr g / sqrt(.)
        if self.momentum > 0:
            v = self.slots["momentum"]
            v *= self.momentum
            v += step
            step = v
        p -= step

    def get_config(self):
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }


class Adagrad(Optimizer):
    name = "adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        value = initial_accumulator_value
        if isinstance(value, bool) or not isinstance(value, Real) or not value >= 0:
            raise invalid("initial_accumulator_value", "a number >= 0", value)
        self.initial_accumulator_value = float(value)
        self.epsilon = _positive("epsilon", epsilon)

    def _slot_inits(self):
        return [("accumulator", self.initial_accumulator_value)]

    def _update(self, p, g, lr):
        s, denominator, step = self.slots["accumulator"], self._tmp, self._tmp2
        np.multiply(g, g, out=step)
        s += step  # s += g^2
        np.add(s, self.epsilon, out=denominator)
        np.sqrt(denominator, out=denominator)
        np.multiply(g, lr, out=step)
        step /= denominator
        p -= step  # p -= lr g / sqrt(s + eps)

    def get_config(self):
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


class Adam(Optimizer):
    name = "adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2 = _fraction("beta_1", beta_1), _fraction("beta_2", beta_2)
        self.epsilon = _positive("epsilon", epsilon)

    def _make_slots(self, params):
        """The two moments live in one (2, size) array, so one pass of each op updates both."""
        self._moments = np.zeros((2, params.size), dtype=params.dtype)  # [m, v]
        self._targets = np.empty_like(self._moments)  # [g, g^2], what m and v move towards
        self._rates = np.array([[1 - self.beta_1], [1 - self.beta_2]], dtype=params.dtype)
        return {"momentum": self._moments[0], "velocity": self._moments[1]}

    def _update(self, p, g, lr):
        moments, targets, tmp, step = self._moments, self._targets, self._tmp, self._tmp2
        m, v = moments
        t = self.iterations + 1
        alpha = lr * math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)  # bias correction
        targets[0] = g
        np.multiply(g, g, out=targets[1])
        targets -= moments
        targets *= self._rates
        moments += targets  # m += (g - m)(1 - beta_1);  v += (g^2 - v)(1 - beta_2)
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.multiply(m, alpha, out=step)
        step /= tmp
        p -= step  # p -= alpha m / (sqrt(v) + eps)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


OPTIMIZERS = {cls.name: cls for cls in (SGD, RMSprop, Adagrad, Adam)}


def get(identifier):
    """An Optimizer from a Keras name ("adam", "sgd", ...) or an instance (returned as is)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in OPTIMIZERS:
        return OPTIMIZERS[identifier.lower()]()
    raise invalid("optimizer", f"an Optimizer or one of {sorted(OPTIMIZERS)}", identifier)


def from_config(config):
    """Rebuild an optimizer from `get_config()`."""
    config = dict(config)
    name = config.pop("name")
    if name not in OPTIMIZERS:
        raise invalid("optimizer", f"one of {sorted(OPTIMIZERS)}", name)
    return OPTIMIZERS[name](**config)


def all_finite(a):
    """True if every entry of the flat array `a` is finite."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _finite(a)


def _finite(a):
    """all_finite without its errstate, for callers already inside one (one per training
    step, not one per array: entering np.errstate costs more than the check on a small model).

    One dot product does it on the usual path: a nan or inf entry makes the squared norm
    a . a non-finite. Finite entries can overflow it too, so only a non-finite norm is
    checked entry by entry.
    """
    return math.isfinite(np.vdot(a, a)) or bool(np.isfinite(a).all())


def _positive(argument, value, optional=False):
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 < value < math.inf:
        raise invalid(argument, "a positive finite number", value)
    return float(value)


def _fraction(argument, value):
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value <= 1:
        raise invalid(argument, "a number in [0, 1]", value)
    return float(value)
