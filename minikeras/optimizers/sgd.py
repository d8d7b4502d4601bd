"""SGD: mini-batch stochastic gradient descent, with optional (Nesterov) momentum."""
from __future__ import annotations

from minikeras.optimizers.base import Optimizer, _bool
from minikeras.updates import FusedUpdate


class SGD(Optimizer):
    """Mini-batch stochastic gradient descent, with optional (Nesterov) momentum.

    Without momentum::

        p_t = p - lr * g

    With ``momentum`` > 0 (a velocity ``m``, starting at 0)::

        m_t = momentum * m - lr * g
        p_t = p + m_t                          (plain)
        p_t = p + momentum * m_t - lr * g      (nesterov=True)

    Arguments:
        learning_rate: float, defaults to 0.01.
        momentum: float in [0, 1], defaults to 0.0 (plain gradient descent).
        nesterov: bool, defaults to False.

    >>> import minikeras.backend as K
    >>> w = K.variable([1.0], name='w')
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> step = K.function([], [], updates=opt.get_updates(K.sum(K.square(w)), [w]))
    >>> _ = step([]); _ = step([])             # m: -0.2, then 0.9 * -0.2 - 0.1 * 1.6
    >>> K.get_value(w), K.get_value(opt.weights[1])
    (array([0.46], dtype=float32), array([-0.34], dtype=float32))
    """

    # Keras 3 order of the slots in its variables and files (see Optimizer)
    keras_slot_groups = (("momentums",),)

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, *, name: str = "SGD", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be a float in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = _bool("nesterov", nesterov)

    def build(self, params):
        if not self.built:
            self.momentums = self.add_slots(params, "momentum") if self.momentum else []
        super().build(params)

    def update_step(self, gradient, variable, learning_rate):
        if not self.momentum:
            return [(variable, variable - learning_rate * gradient)]
        m = self.slot(self.momentums, variable)
        m_t = self.momentum * m - learning_rate * gradient
        if self.nesterov:
            p_t = variable + (self.momentum * m_t - learning_rate * gradient)
        else:
            p_t = variable + m_t
        return [FusedUpdate("sgd_momentum_step", [variable, m], [gradient, learning_rate],
                            [(m, m_t), (variable, p_t)], momentum=self.momentum,
                            nesterov=self.nesterov)]

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
