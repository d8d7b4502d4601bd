"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
from __future__ import annotations

from minikeras import backend as K
from minikeras.optimizers.base import Optimizer, _bool, _epsilon
from minikeras.updates import FusedUpdate


class RMSprop(Optimizer):
    """Divide the gradient by a running root-mean-square of recent gradients (Hinton, 2012).

    With a running mean square ``v`` (starting at 0)::

        v_t = rho * v + (1 - rho) * g^2
        increment = lr * g / sqrt(v_t + epsilon)

    ``centered=True`` also keeps a running mean ``a`` of the gradient and divides by the
    estimated standard deviation instead: ``sqrt(v_t - a_t^2 + epsilon)`` with
    ``a_t = rho * a + (1 - rho) * g``. Then, with ``momentum`` > 0 (a slot ``m``)::

        m_t = momentum * m + increment;   p_t = p - m_t

    and without it ``p_t = p - increment``.

    Arguments:
        learning_rate: float, defaults to 0.001.
        rho: float, defaults to 0.9: how much of the old mean square to keep.
        momentum: float, defaults to 0.0.
        epsilon: float, defaults to 1e-7 (inside the square root, as in Keras 3).
        centered: bool, defaults to False.

    >>> import numpy as np
    >>> w = K.variable([1.0, -2.0], name='w')
    >>> opt = RMSprop(learning_rate=0.1)
    >>> step = K.function([], [], updates=opt.get_updates(K.sum(K.square(w)), [w]))
    >>> _ = step([]); np.round(K.get_value(w), 4)   # first step: lr * g / |g| / sqrt(0.1)
    array([ 0.6838, -1.6838], dtype=float32)
    """

    # Keras 3 order of the slots in its variables and files (see Optimizer)
    keras_slot_groups = (("velocities",), ("momentums",), ("average_gradients",))

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, *, name: str = "rmsprop",
                 **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho, self.momentum = float(rho), float(momentum)
        self.epsilon = _epsilon(epsilon)
        self.centered = _bool("centered", centered)

    def build(self, params):
        if not self.built:
            self.velocities = self.add_slots(params, "velocity")
            self.momentums = self.add_slots(params, "momentum") if self.momentum > 0 else []
            self.average_gradients = (self.add_slots(params, "average_gradient")
                                      if self.centered else [])
        super().build(params)

    def update_step(self, gradient, variable, learning_rate):
        rho, g = self.rho, gradient
        v = self.slot(self.velocities, variable)
        v_t = rho * v + (1 - rho) * K.square(g)
        updates = [(v, v_t)]
        if self.centered:
            a = self.slot(self.average_gradients, variable)
            a_t = rho * a + (1 - rho) * g
            updates.append((a, a_t))
            denominator = v_t - K.square(a_t) + self.epsilon
        else:
            denominator = v_t + self.epsilon
        increment = learning_rate * g / K.sqrt(denominator)
        if self.momentum > 0:
            m = self.slot(self.momentums, variable)
            m_t = self.momentum * m + increment
            return updates + [(m, m_t), (variable, variable - m_t)]
        if self.centered:
            return updates + [(variable, variable - increment)]
        return [FusedUpdate("rmsprop_step", [variable, v], [gradient, learning_rate],
                            updates + [(variable, variable - increment)], rho=self.rho,
                            epsilon=self.epsilon)]

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
