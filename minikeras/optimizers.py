"""Optimizers: how a gradient becomes a change of the weights.

Training works as it did in Keras 2: an optimizer changes nothing *now*. Given a loss and
the parameters, ``get_updates`` builds a list of symbolic **update pairs**
``(variable, new_value)``. ``K.function(inputs, outputs, updates)`` computes every new
value from the *old* values, then assigns them all; one call of that function is one
training step. So every rule below reads the state as it was before the step.

>>> import minikeras.backend as K
>>> w = K.variable([1.0, -2.0], name='w')
>>> loss = K.sum(K.square(w))                    # gradient: 2 w
>>> opt = SGD(learning_rate=0.1)
>>> step = K.function([], [loss], updates=opt.get_updates(loss, [w]))
>>> step([])                                     # the loss *before* the step
[array(5., dtype=float32)]
>>> K.get_value(w)                               # w - 0.1 * 2 w = 0.8 w
array([ 0.8, -1.6], dtype=float32)
>>> int(K.get_value(opt.iterations))
1

Each rule is the one in Keras 3 (``keras/src/optimizers/*.py``), with Keras 3's defaults.
The Keras 2 arguments ``lr=`` (the learning rate) and ``decay=`` (time decay,
``lr / (1 + decay * iterations)``) are accepted too. In the formulas, ``g`` is the
gradient (after clipping), ``t = iterations + 1`` counts steps from 1, and a variable
with a ``_t`` is its new value.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from minikeras import backend as K
from minikeras import config, kernels
from minikeras.graph import InPlaceUpdate
from minikeras.tensor import Tensor, Variable

# Keras 3 optimizer settings minikeras does not implement; a config may carry them (a model
# saved by Keras 3) as long as they are switched off.
_KERAS3_OFF = {"weight_decay": (None, 0, 0.0), "use_ema": (False,), "loss_scale_factor": (None,),
               "ema_overwrite_frequency": (None,), "gradient_accumulation_steps": (None,)}


class Optimizer:
    """The base class: learning rate, decay, clipping, slot variables, config.

    Arguments (every optimizer takes these as keywords):
        learning_rate: float >= 0, kept in the variable ``opt.learning_rate`` (also
            ``opt.lr``) so that callbacks can change it between steps.
        clipnorm: clip each gradient to this L2 norm: ``g * clipnorm / max(|g|, clipnorm)``.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: scale all gradients together so that their joint norm is at most
            this. Only one of the three clipping arguments may be set (as in Keras 3).
        name: the optimizer's name; slot variables are named ``<param>_<slot>``.
        lr: Keras 2 spelling of ``learning_rate``.
        decay: Keras 2 time decay: the step taken with ``iterations`` steps done so far
            uses ``lr_t = lr * 1 / (1 + decay * iterations)`` (the first step uses ``lr``).

    A subclass creates its slot variables in ``build`` and writes its rule in
    ``update_step(gradient, variable, learning_rate) -> list of update pairs``.

    >>> opt = SGD(lr=0.1, decay=1e-6)                # Keras 2 spellings
    >>> float(K.get_value(opt.learning_rate))
    0.10000000149011612
    >>> opt.learning_rate = 0.05                     # assigns the variable
    >>> opt.get_config()['learning_rate']
    0.05
    """

    def __init__(self, learning_rate: float = 0.01, *, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str | None = None, **kwargs):
        learning_rate = kwargs.pop("lr", learning_rate)
        decay = kwargs.pop("decay", 0.0)
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected keyword argument(s): "
                            f"{', '.join(sorted(kwargs))}")
        learning_rate = _non_negative("learning_rate", learning_rate)
        decay = _non_negative("decay", 0.0 if decay is None else decay)
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(c is not None for c in clips.values()) > 1:
            raise ValueError("only one of clipnorm, clipvalue and global_clipnorm can be set; "
                             f"got {', '.join(f'{k}={v}' for k, v in clips.items())}")
        for k, v in clips.items():
            if v is not None and not v > 0:
                raise ValueError(f"{k} must be a positive number, got {v!r}")
        self.name = name or type(self).__name__.lower()
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self._learning_rate = _state(learning_rate, config.floatx(), "learning_rate")
        self.iterations = _state(0, "int64", "iterations")
        self.initial_decay = decay
        self.decay = _state(decay, config.floatx(), "decay")
        self.built = False
        self._slots: list[Variable] = []   # in creation order, like Keras's optimizer variables
        self._index: dict[int, int] = {}   # id(param) -> its position in the built list
        self.updates: list = []

    # ---- the learning rate: a variable, so it can change between steps ----
    @property
    def learning_rate(self) -> Variable:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if isinstance(value, Tensor):
            value = K.eval(value)
        self._learning_rate.assign(value)

    lr = learning_rate  # Keras 2 name, same variable

    def current_learning_rate(self) -> Tensor:
        """The learning rate of the coming step: ``lr / (1 + decay * iterations)``."""
        if self.initial_decay <= 0:
            return self._learning_rate
        it = K.cast(self.iterations, self.decay.dtype)
        return self._learning_rate * (1.0 / (1.0 + self.decay * it))

    # ---- slot variables ----
    def build(self, params: Sequence[Variable]) -> None:
        """Create the slot variables for ``params`` (once; later calls check the list)."""
        if self.built:
            unknown = [p.name for p in params if id(p) not in self._index]
            if unknown:
                raise ValueError(f"optimizer {self.name!r} was built for other variables and "
                                 f"does not know {unknown}; make a new optimizer for them")
            return
        self._index = {id(p): i for i, p in enumerate(params)}
        self.built = True

    def add_slots(self, params: Sequence[Variable], slot: str,
                  initial_value: float = 0.0) -> list[Variable]:
        """One new variable per parameter, of its shape and dtype, filled with a value."""
        new = [_state(np.full(p.shape, initial_value), p.dtype, f"{p.name}_{slot}")
               for p in params]
        self._slots.extend(new)
        return new

    def slot(self, slots: list[Variable], param: Variable) -> Variable:
        """The slot variable in ``slots`` that belongs to ``param``."""
        return slots[self._index[id(param)]]

    # ---- gradients and updates ----
    def get_gradients(self, loss: Tensor, params: Sequence[Variable]) -> list[Tensor]:
        """``K.gradients(loss, params)``, clipped as the constructor asked."""
        grads = K.gradients(loss, params)
        if self.clipnorm is not None:
            c = self.clipnorm
            return [g * c / K.maximum(K.sqrt(K.sum(K.square(g))), c) for g in grads]
        if self.global_clipnorm is not None:
            c = self.global_clipnorm
            squares = [K.cast(K.sum(K.square(g)), config.floatx()) for g in grads]
            norm = K.sqrt(sum(squares[1:], start=squares[0])) if squares else 0.0
            return [g * K.cast(c / K.maximum(norm, c), g.dtype) for g in grads]
        if self.clipvalue is not None:
            return [K.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def get_updates(self, loss: Tensor, params: Sequence[Variable],
                    fused: bool = False) -> list:
        """The update pairs of one training step, ``iterations += 1`` first.

        With ``fused=True``, a parameter whose rule has a fused kernel is updated by it in
        place (one pass over memory, see ``fused_step``); the numbers are the same.
        """
        params = list(params)
        for p in params:
            if not isinstance(p, Variable):
                raise TypeError(f"an optimizer updates variables; {p!r} is not one")
        grads = self.get_gradients(loss, params)
        self.build(params)
        lr = self.current_learning_rate()
        updates = [K.update_add(self.iterations, 1)] + self.shared_updates()
        for p, g in zip(params, grads):
            g, lr_p = K.cast(g, p.dtype), K.cast(lr, p.dtype)
            step = self.fused_step(g, p, lr_p) if fused else None
            updates += [step] if step is not None else self.update_step(g, p, lr_p)
        self.updates = updates
        return updates

    def fused_step(self, gradient: Tensor, variable: Variable,
                   learning_rate: Tensor) -> InPlaceUpdate | None:
        """``update_step`` done by one in-place kernel, or None where there is none."""
        return None

    def shared_updates(self) -> list[tuple]:
        """Update pairs for state shared by all parameters (none, except in Nadam)."""
        return []

    def update_step(self, gradient: Tensor, variable: Variable,
                    learning_rate: Tensor) -> list[tuple]:
        """The rule: update pairs for one parameter and its slots."""
        raise NotImplementedError(f"{type(self).__name__} must define update_step")

    # ---- state: Keras 2's weights, Keras 3's variables ----
    @property
    def weights(self) -> list[Variable]:
        """Keras 2 order: ``[iterations] + slots``."""
        return [self.iterations] + self._slots

    @property
    def variables(self) -> list[Variable]:
        """Keras 3 order: ``[iterations, learning_rate] + slots``."""
        return [self.iterations, self._learning_rate] + self._slots

    def get_weights(self) -> list[np.ndarray]:
        return K.batch_get_value(self.weights)

    def set_weights(self, weights: Sequence) -> None:
        """Load state saved by ``get_weights`` (build the optimizer first)."""
        mine = self.weights
        if len(weights) != len(mine):
            raise ValueError(f"optimizer {self.name!r} has {len(mine)} weights "
                             f"({', '.join(v.name for v in mine)}), got a list of "
                             f"{len(weights)}" + ("" if self.built else
                                                  "; call get_updates first to build it"))
        for v, w in zip(mine, weights):
            if np.shape(w) != v.shape:
                raise ValueError(f"optimizer weight {v.name!r} has shape {v.shape}, the value "
                                 f"given has shape {np.shape(w)}")
        K.batch_set_value(zip(mine, weights))

    # ---- config ----
    def get_config(self) -> dict:
        return {"name": self.name,
                "learning_rate": _as_float(self._learning_rate),
                "decay": _as_float(self.decay),
                "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config: dict) -> Optimizer:
        """Rebuild from ``get_config()``; Keras 2 (``lr``) and Keras 3 configs work too."""
        config = dict(config)
        config.pop("ema_momentum", None)  # only meaningful with use_ema
        for key, off in _KERAS3_OFF.items():
            if key in config:
                value = config.pop(key)
                if value not in off:
                    raise ValueError(f"minikeras optimizers do not support {key}={value!r}")
        if isinstance(config.get("learning_rate"), dict):
            raise TypeError("learning-rate schedules are not supported; use a float "
                             "learning_rate (and a callback to change it)")
        return cls(**config)

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} {self.name!r} "
                f"learning_rate={_as_float(self._learning_rate)}>")


def _non_negative(what: str, value) -> float:
    value = float(value)
    if not value >= 0:
        raise ValueError(f"{what} must be a number >= 0, got {value!r}")
    return value


def _state(value, dtype: str, name: str) -> Variable:
    """An optimizer variable: not trained itself."""
    v = K.variable(value, dtype=dtype, name=name)
    v.trainable = False
    return v


def _as_float(v: Variable) -> float:
    """The value as a Python float, in its shortest form (0.001, not 0.0010000000474...)."""
    return float(str(v.value[()]))


def _bool(what: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be True or False, got {value!r}")
    return bool(value)


def _epsilon(value) -> float:
    """Keras 2 allowed epsilon=None, meaning K.epsilon()."""
    return config.epsilon() if value is None else float(value)


# ---------------------------------------------------------------- the optimizers


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

    >>> w = K.variable([1.0], name='w')
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> step = K.function([], [], updates=opt.get_updates(K.sum(K.square(w)), [w]))
    >>> _ = step([]); _ = step([])             # m: -0.2, then 0.9 * -0.2 - 0.1 * 1.6
    >>> K.get_value(w), K.get_value(opt.weights[1])
    (array([0.46], dtype=float32), array([-0.34], dtype=float32))
    """

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
        return [(m, m_t), (variable, p_t)]

    def fused_step(self, gradient, variable, learning_rate):
        if not self.momentum or not kernels.has("sgd_momentum_step"):
            return None
        m = self.slot(self.momentums, variable)
        return InPlaceUpdate("sgd_momentum_step", [variable, m], [gradient, learning_rate],
                             momentum=self.momentum, nesterov=self.nesterov)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


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

    >>> w = K.variable([1.0, -2.0], name='w')
    >>> opt = RMSprop(learning_rate=0.1)
    >>> step = K.function([], [], updates=opt.get_updates(K.sum(K.square(w)), [w]))
    >>> _ = step([]); np.round(K.get_value(w), 4)   # first step: lr * g / |g| / sqrt(0.1)
    array([ 0.6838, -1.6838], dtype=float32)
    """

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
        return updates + [(variable, variable - increment)]

    def fused_step(self, gradient, variable, learning_rate):
        if self.centered or self.momentum > 0 or not kernels.has("rmsprop_step"):
            return None
        v = self.slot(self.velocities, variable)
        return InPlaceUpdate("rmsprop_step", [variable, v], [gradient, learning_rate],
                             rho=self.rho, epsilon=self.epsilon)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


class Adagrad(Optimizer):
    """Per-element learning rates that shrink as squared gradients accumulate (Duchi, 2011).

    With an accumulator ``acc`` starting at ``initial_accumulator_value``::

        acc_t = acc + g^2
        p_t = p - lr * g / sqrt(acc_t + epsilon)

    Arguments:
        learning_rate: float, defaults to 0.001.
        initial_accumulator_value: float >= 0, defaults to 0.1.
        epsilon: float, defaults to 1e-7.

    >>> w = K.variable([1.0], name='w')
    >>> opt = Adagrad(learning_rate=0.1)
    >>> step = K.function([], [], updates=opt.get_updates(K.sum(K.square(w)), [w]))
    >>> _ = step([]); np.round(K.get_value(w), 4)   # 1 - 0.1 * 2 / sqrt(0.1 + 4)
    array([0.9012], dtype=float32)
    """

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

    >>> w = K.variable([1.0], name='w')
    >>> opt = Adadelta(learning_rate=1.0, epsilon=1e-2)
    >>> step = K.function([], [], updates=opt.get_updates(K.sum(K.square(w)), [w]))
    >>> _ = step([]); np.round(K.get_value(w), 4)   # 1 - sqrt(0.01) * 2 / sqrt(0.2 + 0.01)
    array([0.5636], dtype=float32)
    """

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


class _Moments(Optimizer):
    """Shared by Adam, Adamax and Nadam: decay rates of the gradient's first and second
    moments, and the epsilon that keeps the division away from zero."""

    def __init__(self, learning_rate: float, beta_1: float, beta_2: float, epsilon: float,
                 *, name: str, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = _epsilon(epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class Adam(_Moments):
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

    >>> w = K.variable([1.0, -2.0], name='w')
    >>> opt = Adam(learning_rate=0.1)
    >>> step = K.function([], [], updates=opt.get_updates(K.sum(K.square(w)), [w]))
    >>> _ = step([]); np.round(K.get_value(w), 4)   # the first step is lr * sign(g)
    array([ 0.9, -1.9], dtype=float32)
    """

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
        return updates + [(variable, p_t)]

    def _alpha(self, learning_rate, dtype):
        t = K.cast(self.iterations + 1, dtype)
        return learning_rate * K.sqrt(1 - K.pow(self.beta_2, t)) / (1 - K.pow(self.beta_1, t))

    def fused_step(self, gradient, variable, learning_rate):
        if self.amsgrad or not kernels.has("adam_step"):
            return None
        m, v = self.slot(self.momentums, variable), self.slot(self.velocities, variable)
        return InPlaceUpdate("adam_step", [variable, m, v],
                             [gradient, self._alpha(learning_rate, variable.dtype)],
                             beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)

    def get_config(self):
        return {**super().get_config(), "amsgrad": self.amsgrad}


class Adamax(_Moments):
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

    >>> w = K.variable([1.0, -2.0], name='w')
    >>> opt = Adamax(learning_rate=0.1)
    >>> step = K.function([], [], updates=opt.get_updates(K.sum(K.square(w)), [w]))
    >>> _ = step([]); np.round(K.get_value(w), 4)   # the first step is lr * sign(g)
    array([ 0.9, -1.9], dtype=float32)
    """

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



class Nadam(_Moments):
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

    >>> w = K.variable([1.0, -2.0], name='w')
    >>> opt = Nadam(learning_rate=0.1)
    >>> step = K.function([], [], updates=opt.get_updates(K.sum(K.square(w)), [w]))
    >>> _ = step([]); np.round(K.get_value(w), 4)   # first step: 1.0628 * lr * sign(g)
    array([ 0.8937, -1.8937], dtype=float32)
    """

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



# ---------------------------------------------------------------- by name

ALL_OPTIMIZERS = {cls.__name__.lower(): cls
                  for cls in (SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam)}


def serialize(optimizer: Optimizer) -> dict:
    """The optimizer as a plain dict, in the shape Keras 3 writes into ``.keras`` files.

    >>> serialize(SGD(momentum=0.9))['config']['momentum']
    0.9
    """
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """A new optimizer from ``serialize``'s dict (or Keras 2's ``{class_name, config}``).

    >>> deserialize({'class_name': 'Adam', 'config': {'learning_rate': 0.01}})
    <Adam 'adam' learning_rate=0.01>
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"an optimizer config is a dict with 'class_name' and 'config'; "
                         f"got {config!r}")
    name = config["class_name"]
    classes = {**ALL_OPTIMIZERS, **{k.lower(): v for k, v in (custom_objects or {}).items()}}
    cls = classes.get(str(name).lower())
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r}; valid names: "
                         f"{', '.join(sorted(classes))}")
    return cls.from_config(config.get("config") or {})


def get(identifier) -> Optimizer:
    """An optimizer from a name ('adam', 'SGD', ...), a config dict, or an optimizer.

    >>> get('rmsprop')
    <RMSprop 'rmsprop' learning_rate=0.001>
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = ALL_OPTIMIZERS.get(identifier.lower())
        if cls is not None:
            return cls()
    raise ValueError(f"could not interpret optimizer identifier {identifier!r}: use one of "
                     f"{', '.join(repr(n) for n in ALL_OPTIMIZERS)}, a config dict, or an "
                     f"Optimizer instance")


__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "Adamax", "Nadam", "Optimizer", "RMSprop",
           "deserialize", "get", "serialize"]
