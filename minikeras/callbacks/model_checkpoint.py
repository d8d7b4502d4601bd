"""ModelCheckpoint: save the model (or its weights) as training goes."""
from __future__ import annotations

import os
import warnings

import numpy as np

from minikeras.callbacks.callback import Callback
from minikeras.callbacks.monitoring import check_mode, direction, is_improvement


class ModelCheckpoint(Callback):
    """Save the model (or only its weights) after every epoch, or every few batches.

    ``filepath`` may hold format fields filled from the epoch number (counted from 1, as
    printed by ``fit``) and the epoch's logs: ``'ckpt-{epoch:02d}-{val_loss:.2f}.keras'``
    becomes ``'ckpt-03-0.41.keras'``.

    Args:
        filepath: where to save; ``model.save(path)`` or ``model.save_weights(path)``.
        monitor: the log key that decides what "best" is (with ``save_best_only``).
        verbose: 1 prints a line each time it saves or decides not to.
        save_best_only: save only when ``monitor`` improved on the best so far.
        save_weights_only: call ``model.save_weights`` instead of ``model.save``.
        mode: ``'min'``, ``'max'`` or ``'auto'``, as in ``EarlyStopping``.
        save_freq: ``'epoch'``, or an integer: save after every that many batches.
        initial_value_threshold: the best value to beat at the start
            (with ``save_best_only``).

    >>> import os, tempfile
    >>> from pathlib import Path
    >>> from types import SimpleNamespace
    >>> folder = tempfile.mkdtemp()
    >>> model = SimpleNamespace(save=lambda path: Path(path).touch())   # a stand-in
    >>> ckpt = ModelCheckpoint(os.path.join(folder, "m-{epoch:02d}-{val_loss:.1f}.keras"),
    ...                        save_best_only=True)
    >>> ckpt.set_model(model)
    >>> for epoch, val_loss in enumerate([0.9, 0.7, 0.8]):
    ...     ckpt.on_epoch_end(epoch, {"val_loss": val_loss})
    >>> sorted(os.listdir(folder))       # epoch 3 was worse than epoch 2: not saved
    ['m-01-0.9.keras', 'm-02-0.7.keras']
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. "
                             "Expected save_freq are 'epoch' or integer values")
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = check_mode("ModelCheckpoint", mode)
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self.direction = None
        self._current_epoch = 0
        self._batches_since_save = 0
        self._last_batch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        # Batch numbers restart at 0 each epoch; count the batches run since the last save.
        new = batch + 1 if batch <= self._last_batch else batch - self._last_batch
        self._batches_since_save += new
        self._last_batch = batch
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _file_path(self, epoch, batch, logs):
        fields = dict(logs)
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {e}") from None

    def _should_save(self, epoch, logs, filepath) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=3)
            return True
        if self.direction is None:
            self.direction = direction(self.monitor, self.mode, self.model)
            if self.best is None:
                self.best = np.inf if self.direction == "min" else -np.inf
        best = f"{self.best:.5f}"
        if is_improvement(current, self.best, self.direction):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        filepath = self._file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, filepath):
            return
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if os.path.isdir(filepath):
            raise OSError("Please specify a non-directory filepath for ModelCheckpoint. "
                          f"Filepath used is an existing directory: {filepath}")
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)
