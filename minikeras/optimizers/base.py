"""The base class of the optimizers: learning rate, decay, clipping, slot variables,
config; and what Adam, Adamax and Nadam share (``Moments``).

>>> import minikeras.backend as K
>>> from minikeras.optimizers import SGD
>>> opt = SGD(lr=0.1, decay=1e-6)                # Keras 2 spellings
>>> float(K.get_value(opt.learning_rate))
0.10000000149011612
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from minikeras import backend as K
from minikeras import config
from minikeras.tensor import Tensor, Variable

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
    ``update_step(gradient, variable, learning_rate) -> list of updates``: update pairs,
    or, where a kernel can do the whole step in place, one ``FusedUpdate`` that carries
    those pairs too (the compiler picks which runs, see ``minikeras.updates``).

    >>> from minikeras.optimizers import SGD
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

    def get_updates(self, loss: Tensor, params: Sequence[Variable]) -> list:
        """The updates of one training step, ``iterations += 1`` first: pairs, and one
        ``FusedUpdate`` per parameter whose rule has an in-place kernel."""
        params = list(params)
        for p in params:
            if not isinstance(p, Variable):
                raise TypeError(f"an optimizer updates variables; {p!r} is not one")
        grads = self.get_gradients(loss, params)
        self.build(params)
        lr = self.current_learning_rate()
        updates = [K.update_add(self.iterations, 1)] + self.shared_updates()
        for p, g in zip(params, grads):
            updates += self.update_step(K.cast(g, p.dtype), p, K.cast(lr, p.dtype))
        self.updates = updates
        return updates

    def shared_updates(self) -> list[tuple]:
        """Update pairs for state shared by all parameters (none, except in Nadam)."""
        return []

    def update_step(self, gradient: Tensor, variable: Variable,
                    learning_rate: Tensor) -> list:
        """The rule: the updates of one parameter and its slots."""
        raise NotImplementedError(f"{type(self).__name__} must define update_step")

    # ---- state: Keras 2's weights, Keras 3's variables ----
    @property
    def weights(self) -> list[Variable]:
        """Keras 2 order: ``[iterations] + slots``."""
        return [self.iterations] + self._slots

    # Keras 3 creates an optimizer's slots one trained variable at a time, so in its list
    # of variables (and in saved files) the slot lists named in one group interleave:
    # Adam's (("momentums", "velocities"),) gives m0, v0, m1, v1, ...; groups follow one
    # another; state shared by all variables (Nadam's product) comes last.
    keras_slot_groups: tuple[tuple[str, ...], ...] = ()
    keras_shared_state: tuple[str, ...] = ()

    @property
    def variables(self) -> list[Variable]:
        """Keras 3 order: ``iterations``, ``learning_rate``, then the slots as Keras 3
        lists them (``keras_slot_groups``; an optimizer without them: creation order)."""
        head = [self.iterations, self._learning_rate]
        if not self.keras_slot_groups:
            return head + self._slots
        ordered = []
        for group in self.keras_slot_groups:
            lists = [getattr(self, name, None) or [] for name in group]
            lists = [slots for slots in lists if slots]
            for i in range(len(lists[0]) if lists else 0):
                ordered += [slots[i] for slots in lists]
        shared = [getattr(self, name) for name in self.keras_shared_state
                  if getattr(self, name, None) is not None]
        ordered += shared
        if {id(v) for v in ordered} != {id(v) for v in self._slots}:
            raise AssertionError(f"{type(self).__name__}.keras_slot_groups do not list "
                                 f"all of its slots")
        return head + ordered

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


class Moments(Optimizer):
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
