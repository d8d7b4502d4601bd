"""LearningRateScheduler: set the learning rate at every epoch from a function."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

import minikeras.backend as K
from minikeras.callbacks.callback import Callback
from minikeras.tensor import Variable


def _get_lr(optimizer) -> float:
    lr = optimizer.learning_rate
    return float(K.get_value(lr)) if isinstance(lr, Variable) else float(lr)


def _set_lr(optimizer, value: float) -> None:
    """Change the learning rate in place when it is a variable (the compiled training
    function reads that variable), else replace the plain number."""
    if isinstance(optimizer.learning_rate, Variable):
        K.set_value(optimizer.learning_rate, value)
    else:
        optimizer.learning_rate = value


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of every epoch from a function.

    ``schedule(epoch, lr)`` gets the epoch (from 0) and the current learning rate and
    returns the new one, a float; a one-argument ``schedule(epoch)`` works too. At the
    end of the epoch the rate in use is added to the logs as ``'learning_rate'``.

    >>> from types import SimpleNamespace
    >>> import minikeras.backend as K
    >>> model = SimpleNamespace(optimizer=SimpleNamespace(learning_rate=K.variable(0.1)))
    >>> halve = LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr / 2)
    >>> halve.set_model(model)
    >>> rates = []
    >>> for epoch in range(4):
    ...     halve.on_epoch_begin(epoch)
    ...     logs = {}
    ...     halve.on_epoch_end(epoch, logs)
    ...     rates.append(round(logs["learning_rate"], 4))
    >>> rates
    [0.1, 0.1, 0.05, 0.025]
    """

    def __init__(self, schedule: Callable, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            lr = self.schedule(epoch, _get_lr(optimizer))
        except TypeError:              # a Keras 1/2 style schedule(epoch)
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.float32, np.float64)):
            message = f"The output of the `schedule` function should be a float. Got: {lr}"
            raise ValueError(message)
        _set_lr(optimizer, float(lr))
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _get_lr(self.model.optimizer)
