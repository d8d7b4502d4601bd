"""Learning-rate schedules: the learning rate as a function of the step (Keras 3's
``keras.optimizers.schedules``).

Give one as an optimizer's ``learning_rate`` and every training step uses
``schedule(step)``, where ``step`` counts the steps done so far (0 for the first):

* ``ExponentialDecay``: ``initial * decay_rate ^ (step / decay_steps)`` (the exponent
  rounded down with ``staircase=True``);
* ``InverseTimeDecay``: ``initial / (1 + decay_rate * step / decay_steps)``;
* ``PiecewiseConstantDecay``: ``values[0]`` while ``step <= boundaries[0]``,
  ``values[1]`` while ``step <= boundaries[1]``, ..., ``values[-1]`` after;
* ``CosineDecay``: half a cosine from ``initial`` down to ``alpha * initial`` over
  ``decay_steps`` steps (after an optional linear warm-up to ``warmup_target``);
* ``PolynomialDecay``: from ``initial`` to ``end_learning_rate`` along
  ``(1 - step / decay_steps) ^ power``.

Called on a number, a schedule gives its value now; inside training it is part of the
compiled step.

>>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> [round(float(schedule(s)), 6) for s in (0, 5, 10)]
[0.1, 0.070711, 0.05]
"""
from __future__ import annotations

import math

from minikeras import config
from minikeras.ops import elementwise as ew
from minikeras.ops.eager import keras_op, to_tensor
from minikeras.tensor import Tensor


def _step(step, dtype: str) -> Tensor:
    return ew.cast(step if isinstance(step, Tensor) else to_tensor(step), dtype)


def _dtype(value) -> str:
    return value.dtype if isinstance(value, Tensor) else config.floatx()


class LearningRateSchedule:
    """The base class: subclasses define ``__call__(step)`` and ``get_config()``.

    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, initial):
    ...         self.initial = initial
    ...     def __call__(self, step):
    ...         return self.initial / (step + 1)
    ...     def get_config(self):
    ...         return {"initial": self.initial}
    >>> Halving(1.0)(1)
    0.5
    """

    def __call__(self, step):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  f"override `__call__(self, step)`.")

    def get_config(self) -> dict:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  f"override `get_config()` in order to be serializable.")

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ^ (step / decay_steps)``.

    >>> schedule = ExponentialDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)
    >>> [float(schedule(s)) for s in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        if decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: "
                             f"decay_steps={decay_steps}")
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    @keras_op("step")
    def __call__(self, step):
        dtype = _dtype(self.initial_learning_rate)
        p = _step(step, dtype) / float(self.decay_steps)
        if self.staircase:
            p = ew.floor(p)
        return self.initial_learning_rate * ew.power(float(self.decay_rate), p)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    >>> schedule = InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)
    >>> [float(schedule(s)) for s in range(3)]
    [1.0, 0.6666666865348816, 0.5]
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    @keras_op("step")
    def __call__(self, step):
        dtype = _dtype(self.initial_learning_rate)
        p = _step(step, dtype) / float(self.decay_steps)
        if self.staircase:
            p = ew.floor(p)
        return self.initial_learning_rate / (1.0 + float(self.decay_rate) * p)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` on the i-th stretch of steps between ``boundaries`` (a step equal
    to a boundary still belongs to the stretch before it).

    >>> schedule = PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])
    >>> [float(schedule(s)) for s in range(6)]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.10000000149011612]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(f"The length of boundaries should be 1 less than the length "
                             f"of values. Received: boundaries={boundaries} of length "
                             f"{len(boundaries)}, and values={values} of length "
                             f"{len(values)}.")
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    @keras_op("step")
    def __call__(self, step):
        dtype = config.floatx()
        step = _step(step, dtype)
        value = ew.cast(ew.less_equal(step, float(self.boundaries[0])), dtype) * \
            float(self.values[0])
        value = value + ew.cast(ew.greater(step, float(self.boundaries[-1])), dtype) * \
            float(self.values[-1])
        for low, high, v in zip(self.boundaries[:-1], self.boundaries[1:], self.values[1:-1]):
            inside = ew.logical_and(ew.greater(step, float(low)),
                                    ew.less_equal(step, float(high)))
            value = value + ew.cast(inside, dtype) * float(v)
        return value

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """A cosine decay from the initial (or warm-up target) learning rate to ``alpha``
    times it over ``decay_steps`` steps; with ``warmup_target``, first a linear warm-up
    over ``warmup_steps`` from ``initial_learning_rate`` to it.

    >>> schedule = CosineDecay(1.0, decay_steps=4)
    >>> [round(float(schedule(s)), 4) for s in range(6)]
    [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        if decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: "
                             f"decay_steps={decay_steps}")
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.alpha, self.name = alpha, name
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

    def _decay(self, step, decay_from):
        cosine = 0.5 * (1.0 + ew.cos(math.pi * (step / float(self.decay_steps))))
        return decay_from * ((1.0 - self.alpha) * cosine + self.alpha)

    @keras_op("step")
    def __call__(self, step):
        step = _step(step, _dtype(self.initial_learning_rate))
        if self.warmup_target is None:
            return self._decay(ew.minimum(step, float(self.decay_steps)),
                               self.initial_learning_rate)
        warmup = float(self.warmup_steps)
        step = ew.minimum(step, float(self.decay_steps) + warmup)
        rising = (self.warmup_target - self.initial_learning_rate) * \
            (step / max(warmup, 1e-38)) + self.initial_learning_rate
        return ew.where(ew.less(step, warmup), rising,
                        self._decay(step - warmup, self.warmup_target))

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - step / decay_steps) ^ power + end``, the step held at
    ``decay_steps`` (or, with ``cycle=True``, ``decay_steps`` stretched to the next
    multiple above the step).

    >>> schedule = PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.2)
    >>> [round(float(schedule(s)), 4) for s in (0, 2, 4, 8)]
    [1.0, 0.6, 0.2, 0.2]
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                 power=1.0, cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power, self.cycle = end_learning_rate, power, cycle
        self.name = name

    @keras_op("step")
    def __call__(self, step):
        step = _step(step, _dtype(self.initial_learning_rate))
        steps = float(self.decay_steps)
        if self.cycle:
            multiplier = ew.where(ew.equal(step, 0.0), 1.0, ew.ceil(step / steps))
            decay_steps = steps * multiplier
        else:
            step, decay_steps = ew.minimum(step, steps), steps
        p = step / decay_steps
        return (self.initial_learning_rate - self.end_learning_rate) * \
            ew.power(1.0 - p, float(self.power)) + self.end_learning_rate

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


SCHEDULES = {cls.__name__: cls for cls in (ExponentialDecay, InverseTimeDecay,
                                            PiecewiseConstantDecay, CosineDecay,
                                            PolynomialDecay)}


def serialize(schedule: LearningRateSchedule) -> dict:
    """The schedule as Keras 3 writes it in an optimizer's config.

    >>> serialize(InverseTimeDecay(0.1, 10, 0.5))["class_name"]
    'InverseTimeDecay'
    """
    return {"module": "keras.optimizers.schedules", "class_name": type(schedule).__name__,
            "config": schedule.get_config(), "registered_name": None}


def deserialize(config: dict, custom_objects=None) -> LearningRateSchedule:
    """The schedule ``serialize`` described (custom classes through ``custom_objects``)."""
    classes = {**SCHEDULES, **(custom_objects or {})}
    name = config.get("class_name")
    if name not in classes:
        raise ValueError(f"unknown learning rate schedule {name!r}; pass its class in "
                         f"custom_objects")
    return classes[name].from_config(dict(config.get("config") or {}))
