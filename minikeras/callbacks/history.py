"""History: the logs of every epoch (``fit`` returns it)."""
from __future__ import annotations

from minikeras.callbacks.callback import Callback


class History(Callback):
    """Records the logs of every epoch; ``fit`` returns it (and sets ``model.history``).

    ``history.history`` maps each log key to a list with one value per epoch, and
    ``history.epoch`` lists the epoch numbers (from 0).

    >>> h = History()
    >>> h.on_train_begin()
    >>> h.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.8})
    >>> h.on_epoch_end(1, {"loss": 0.3, "accuracy": 0.9})
    >>> h.epoch, h.history
    ([0, 1], {'loss': [0.5, 0.3], 'accuracy': [0.8, 0.9]})
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
