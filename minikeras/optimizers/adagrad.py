"""Adagrad: per-element learning rates that shrink as squared gradients add up."""
from __future__ import annotations

from minikeras import backend as K
from minikeras.optimizers.base import Optimizer, _epsilon, _non_negative


class Adagrad(Optimizer):
    """Per-element learning rates that shrink as squared gradients accumulate (Duchi, 2011).

    With an accumulator ``acc`` starting at ``initial_accumulator_value``::

        acc_t = acc + g^2
        p_t = p - lr * g / sqrt(acc_t + epsilon)

    Arguments:
        learning_rate: float, defaults to 0.001.
        initial_accumulator_value: float >= 0, defaults to 0.1.
        epsilon: float, defaults to 1e-7.

    >>> import numpy as np
    >>> w = K.variable([1.0], name='w')
    >>> opt = Adagrad(learning_rate=0.1)
    >>> step = K.function([], [], updates=opt.get_updates(K.sum(K.square(w)), [w]))
    >>> _ = step([]); np.round(K.get_value(w), 4)   # 1 - 0.1 * 2 / sqrt(0.1 + 4)
    array([0.9012], dtype=float32)
    """

    # Keras 3 order of the slots in its variables and files (see Optimizer)
    keras_slot_groups = (("accumulators",),)

    def __init__(self, learning_rate: float = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, *, name: str = "adagrad", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = _non_negative("initial_accumulator_value",
                                                       initial_accumulator_value)
        self.epsilon = _epsilon(epsilon)

    def build(self, params):
        if not self.built:
            self.accumulators = self.add_slots(params, "accumulator",
                                               self.initial_accumulator_value)
        super().build(params)

    def update_step(self, gradient, variable, learning_rate):
        acc = self.slot(self.accumulators, variable)
        acc_t = acc + K.square(gradient)
        p_t = variable - learning_rate * gradient / K.sqrt(acc_t + self.epsilon)
        return [(acc, acc_t), (variable, p_t)]

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
