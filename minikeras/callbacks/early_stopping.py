"""EarlyStopping: stop training when a monitored quantity stops improving."""
from __future__ import annotations

import warnings

from minikeras.callbacks.callback import Callback
from minikeras.callbacks.monitoring import check_mode, direction, is_improvement


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving.

    At the end of every epoch the value ``logs[monitor]`` is compared with the best seen
    so far. After ``patience`` epochs in a row without an improvement of more than
    ``min_delta``, it sets ``model.stop_training = True`` (never after the first epoch).

    Args:
        monitor: the log key to watch, e.g. ``'val_loss'`` or ``'val_accuracy'``.
        min_delta: smallest change that counts as an improvement.
        patience: how many epochs without improvement to wait before stopping.
        verbose: 1 prints ``Epoch N: early stopping`` when training ends early.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (decided from the name: losses and
            errors go down, accuracy and AUC go up).
        baseline: a value to beat. Until an epoch beats it, the patience counter keeps
            running even while the value improves.
        restore_best_weights: at the end of training, put back the weights of the best
            epoch (otherwise the model keeps the weights of the last epoch).
        start_from_epoch: number of warm-up epochs that are not watched at all.

    >>> from types import SimpleNamespace
    >>> model = SimpleNamespace(stop_training=False)
    >>> stopper = EarlyStopping(monitor="val_accuracy", patience=2, verbose=1)
    >>> stopper.set_model(model)
    >>> stopper.on_train_begin()
    >>> for epoch, acc in enumerate([0.80, 0.90, 0.85, 0.88, 0.95]):
    ...     stopper.on_epoch_end(epoch, {"val_accuracy": acc})
    ...     if model.stop_training:
    ...         break
    >>> stopper.on_train_end()
    Epoch 4: early stopping
    >>> stopper.best, stopper.best_epoch
    (0.9, 1)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.mode = check_mode("EarlyStopping", mode)
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.direction = None          # 'min' or 'max', decided at the first epoch end
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        # Reset, so that one instance can serve several calls to fit.
        self.wait = 0                  # epochs since the last improvement
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.direction is None:
            self.direction = direction(self.monitor, self.mode, self.model)
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return                     # nothing to watch, or still warming up
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch

        self.wait += 1
        if is_improvement(current, self.best, self.direction, self.min_delta):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Patience starts again only once the baseline is beaten too.
            if self.baseline is None or is_improvement(current, self.baseline,
                                                        self.direction, self.min_delta):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is "
                          f"not available. Available metrics are: {','.join(logs)}",
                          stacklevel=2)
        return value
