"""Adam: momentum and RMSprop together, with bias correction."""
from __future__ import annotations

from minikeras import backend as K
from minikeras.optimizers.base import Moments, _bool
from minikeras.updates import FusedUpdate


class Adam(Moments):
    """Momentum and RMSprop together, with bias correction (Kingma and Ba, 2014).

    With a mean ``m`` and a mean square ``v`` of the gradient (both from 0) and
    ``t = iterations + 1``::

        m_t = m + (g - m) * (1 - beta_1)
        v_t = v + (g^2 - v) * (1 - beta_2)
        alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        p_t = p - alpha * m_t / (sqrt(v_t) + epsilon)

    ``amsgrad=True`` keeps the largest ``v`` seen, ``vhat_t = max(vhat, v_t)``, and uses
    it in place of ``v_t`` in the last line.

    Arguments:
        learning_rate: float, defaults to 0.001.
        beta_1: float, defaults to 0.9: decay of the mean.
        beta_2: float, defaults to 0.999: decay of the mean square.
        epsilon: float, defaults to 1e-7 (outside the square root, as in Keras 3).
        amsgrad: bool, defaults to False.

    >>> import numpy as np
    >>> w = K.variable([1.0, -2.0], name='w')
    >>> opt = Adam(learning_rate=0.1)
    >>> step = K.function([], [], updates=opt.get_updates(K.sum(K.square(w)), [w]))
    >>> _ = step([]); np.round(K.get_value(w), 4)   # the first step is lr * sign(g)
    array([ 0.9, -1.9], dtype=float32)
    """

    # Keras 3 order of the slots in its variables and files (see Optimizer)
    keras_slot_groups = (("momentums", "velocities"), ("velocity_hats",))

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False, *,
                 name: str = "adam", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name=name, **kwargs)
        self.amsgrad = _bool("amsgrad", amsgrad)

    def build(self, params):
        if not self.built:
            self.momentums = self.add_slots(params, "momentum")
            self.velocities = self.add_slots(params, "velocity")
            self.velocity_hats = self.add_slots(params, "velocity_hat") if self.amsgrad else []
        super().build(params)

    def update_step(self, gradient, variable, learning_rate):
        g = gradient
        alpha = self._alpha(learning_rate, variable.dtype)
        m = self.slot(self.momentums, variable)
        v = self.slot(self.velocities, variable)
        m_t = m + (g - m) * (1 - self.beta_1)
        v_t = v + (K.square(g) - v) * (1 - self.beta_2)
        updates = [(m, m_t), (v, v_t)]
        if self.amsgrad:
            vhat = self.slot(self.velocity_hats, variable)
            v_t = K.maximum(vhat, v_t)
            updates.append((vhat, v_t))
        p_t = variable - m_t * alpha / (K.sqrt(v_t) + self.epsilon)
        if self.amsgrad:
            return updates + [(variable, p_t)]
        return [FusedUpdate("adam_step", [variable, m, v], [g, alpha],
                            updates + [(variable, p_t)], beta_1=self.beta_1,
                            beta_2=self.beta_2, epsilon=self.epsilon)]

    def _alpha(self, learning_rate, dtype):
        t = K.cast(self.iterations + 1, dtype)
        return learning_rate * K.sqrt(1 - K.pow(self.beta_2, t)) / (1 - K.pow(self.beta_1, t))

    def get_config(self):
        return {**super().get_config(), "amsgrad": self.amsgrad}
