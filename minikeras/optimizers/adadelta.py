"""Adadelta: Adagrad with running averages, and steps in the units of the weights."""
from __future__ import annotations

from minikeras import backend as K
from minikeras.optimizers.base import Optimizer, _epsilon


class Adadelta(Optimizer):
    """Adagrad with running averages, and step sizes in the units of ``p`` (Zeiler, 2012).

    With running averages ``ag`` (of g^2) and ``ad`` (of squared steps), both from 0, and
    ``rms(x) = sqrt(x + epsilon)``::

        ag_t = rho * ag + (1 - rho) * g^2
        delta = -rms(ad) * g / rms(ag_t)
        ad_t = rho * ad + (1 - rho) * delta^2
        p_t = p + lr * delta

    Arguments:
        learning_rate: float, defaults to 0.001 (the paper's form is 1.0).
        rho: float, defaults to 0.95.
        epsilon: float, defaults to 1e-7.

    >>> import numpy as np
    >>> w = K.variable([1.0], name='w')
    >>> opt = Adadelta(learning_rate=1.0, epsilon=1e-2)
    >>> step = K.function([], [], updates=opt.get_updates(K.sum(K.square(w)), [w]))
    >>> _ = step([]); np.round(K.get_value(w), 4)   # 1 - sqrt(0.01) * 2 / sqrt(0.2 + 0.01)
    array([0.5636], dtype=float32)
    """

    # Keras 3 order of the slots in its variables and files (see Optimizer)
    keras_slot_groups = (("accumulated_grads", "accumulated_delta_vars"),)

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 *, name: str = "adadelta", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho = float(rho)
        self.epsilon = _epsilon(epsilon)

    def build(self, params):
        if not self.built:
            self.accumulated_grads = self.add_slots(params, "accumulated_grad")
            self.accumulated_delta_vars = self.add_slots(params, "accumulated_delta_var")
        super().build(params)

    def update_step(self, gradient, variable, learning_rate):
        rho, eps = self.rho, self.epsilon
        ag = self.slot(self.accumulated_grads, variable)
        ad = self.slot(self.accumulated_delta_vars, variable)
        ag_t = rho * ag + (1 - rho) * K.square(gradient)
        delta = -(K.sqrt(ad + eps) * gradient) / K.sqrt(ag_t + eps)
        ad_t = rho * ad + (1 - rho) * K.square(delta)
        return [(ag, ag_t), (ad, ad_t), (variable, variable + learning_rate * delta)]

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
