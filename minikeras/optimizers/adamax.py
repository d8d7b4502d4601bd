"""Adamax: Adam with the infinity norm in place of the mean square."""
from __future__ import annotations

from minikeras import backend as K
from minikeras.optimizers.base import Moments


class Adamax(Moments):
    """Adam with the infinity norm in place of the mean square (Kingma and Ba, 2014, 7.1).

    With ``m`` and ``u`` from 0 and ``t = iterations + 1``::

        m_t = m + (g - m) * (1 - beta_1)
        u_t = max(beta_2 * u, |g|)
        p_t = p - lr * m_t / ((1 - beta_1^t) * (u_t + epsilon))

    Arguments:
        learning_rate: float, defaults to 0.001.
        beta_1: float, defaults to 0.9.
        beta_2: float, defaults to 0.999.
        epsilon: float, defaults to 1e-7.

    >>> import numpy as np
    >>> w = K.variable([1.0, -2.0], name='w')
    >>> opt = Adamax(learning_rate=0.1)
    >>> step = K.function([], [], updates=opt.get_updates(K.sum(K.square(w)), [w]))
    >>> _ = step([]); np.round(K.get_value(w), 4)   # the first step is lr * sign(g)
    array([ 0.9, -1.9], dtype=float32)
    """

    # Keras 3 order of the slots in its variables and files (see Optimizer)
    keras_slot_groups = (("momentums", "norms"),)

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, *, name: str = "adamax",
                 **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name=name, **kwargs)

    def build(self, params):
        if not self.built:
            self.momentums = self.add_slots(params, "momentum")
            self.norms = self.add_slots(params, "norm")
        super().build(params)

    def update_step(self, gradient, variable, learning_rate):
        t = K.cast(self.iterations + 1, variable.dtype)
        m = self.slot(self.momentums, variable)
        u = self.slot(self.norms, variable)
        m_t = m + (gradient - m) * (1 - self.beta_1)
        u_t = K.maximum(self.beta_2 * u, K.abs(gradient))
        p_t = variable - learning_rate * m_t / ((1 - K.pow(self.beta_1, t)) * (u_t + self.epsilon))
        return [(m, m_t), (u, u_t), (variable, p_t)]
