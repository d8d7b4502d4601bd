"""Nadam: Adam with Nesterov momentum."""
from __future__ import annotations

from minikeras import backend as K
from minikeras import config
from minikeras.optimizers.base import Moments, _state
from minikeras.tensor import Tensor


class Nadam(Moments):
    """Adam with Nesterov momentum (Dozat, 2015), with Keras's momentum schedule.

    The momentum factor changes with the step ``t = iterations + 1``:
    ``mu(t) = beta_1 * (1 - 0.5 * 0.96^t)``, and a running product ``P`` (starting at 1,
    shared by all parameters) holds ``mu(1) * ... * mu(t)``. Then::

        P_t = P * mu(t)
        m_t = m + (g - m) * (1 - beta_1)
        v_t = v + (g^2 - v) * (1 - beta_2)
        m_hat = mu(t+1) * m_t / (1 - P_t * mu(t+1)) + (1 - mu(t)) * g / (1 - P_t)
        v_hat = v_t / (1 - beta_2^t)
        p_t = p - lr * m_hat / (sqrt(v_hat) + epsilon)

    Arguments:
        learning_rate: float, defaults to 0.001.
        beta_1: float, defaults to 0.9.
        beta_2: float, defaults to 0.999.
        epsilon: float, defaults to 1e-7.

    >>> import numpy as np
    >>> w = K.variable([1.0, -2.0], name='w')
    >>> opt = Nadam(learning_rate=0.1)
    >>> step = K.function([], [], updates=opt.get_updates(K.sum(K.square(w)), [w]))
    >>> _ = step([]); np.round(K.get_value(w), 4)   # first step: 1.0628 * lr * sign(g)
    array([ 0.8937, -1.8937], dtype=float32)
    """

    # Keras 3 order of the slots in its variables and files (see Optimizer)
    keras_slot_groups = (("momentums", "velocities"),)
    keras_shared_state = ("u_product",)

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, *, name: str = "nadam",
                 **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name=name, **kwargs)

    def build(self, params):
        if not self.built:
            self.momentums = self.add_slots(params, "momentum")
            self.velocities = self.add_slots(params, "velocity")
            dtype = params[0].dtype if params else config.floatx()
            self.u_product = _state(1.0, dtype, "u_product")
            self._slots.append(self.u_product)
        super().build(params)

    def _mu(self, step, dtype) -> Tensor:
        return self.beta_1 * (1.0 - 0.5 * K.pow(K.constant(0.96, dtype=dtype), step))

    def shared_updates(self):
        t = K.cast(self.iterations + 1, self.u_product.dtype)
        self._u_product_t = self.u_product * self._mu(t, self.u_product.dtype)
        return [(self.u_product, self._u_product_t)]

    def update_step(self, gradient, variable, learning_rate):
        g, dtype = gradient, variable.dtype
        t = K.cast(self.iterations + 1, dtype)
        mu_t, mu_next = self._mu(t, dtype), self._mu(t + 1, dtype)
        product_t = K.cast(self._u_product_t, dtype)
        m = self.slot(self.momentums, variable)
        v = self.slot(self.velocities, variable)
        m_t = m + (g - m) * (1 - self.beta_1)
        v_t = v + (K.square(g) - v) * (1 - self.beta_2)
        m_hat = mu_next * m_t / (1 - product_t * mu_next) + (1 - mu_t) * g / (1 - product_t)
        v_hat = v_t / (1 - K.pow(self.beta_2, t))
        p_t = variable - m_hat * learning_rate / (K.sqrt(v_hat) + self.epsilon)
        return [(m, m_t), (v, v_t), (variable, p_t)]
