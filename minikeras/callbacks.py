"""Callbacks: small objects that ``fit`` calls at fixed moments of training.

The training loop knows nothing about early stopping, checkpoints or CSV files. It only
calls *hooks* at the right moments, and each callback decides what to do there::

    callbacks.on_train_begin()
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        for batch in range(steps):
            callbacks.on_train_batch_begin(batch)
            logs = {"loss": ...}                 # one training step
            callbacks.on_train_batch_end(batch, logs)
        callbacks.on_epoch_end(epoch, epoch_logs)   # e.g. {"loss": 0.3, "val_loss": 0.4}
        if model.stop_training:
            break
    callbacks.on_train_end(epoch_logs)

A callback talks back to training only through the model it is given: it may set
``model.stop_training = True``, change ``model.optimizer.learning_rate``, save the model,
or read and write its weights. Names, arguments and defaults follow Keras 3.

>>> from types import SimpleNamespace
>>> model = SimpleNamespace(stop_training=False)
>>> cbs = CallbackList([EarlyStopping(monitor="loss")], model=model, add_history=True)
>>> cbs.on_train_begin()
>>> for epoch, loss in enumerate([0.9, 0.7, 0.8, 0.6]):
...     cbs.on_epoch_end(epoch, {"loss": loss})
...     if model.stop_training:
...         break
>>> model.history.history          # the third epoch did not improve: training stopped
{'loss': [0.9, 0.7, 0.8]}
"""
from __future__ import annotations

import collections.abc
import csv
import os
import warnings
from collections.abc import Callable

import numpy as np

import minikeras.backend as K
from minikeras.tensor import Variable

__all__ = ["CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
           "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "TerminateOnNaN"]


class Callback:
    """Base class: every hook exists and does nothing, so a subclass overrides only what
    it needs.

    ``model`` is the model being trained (set by ``set_model``) and ``params`` a dict
    such as ``{"epochs": 10, "steps": 300, "verbose": 1}`` (set by ``set_params``).
    ``on_batch_begin``/``on_batch_end`` are the Keras 2 names of the training-batch hooks:
    by default ``on_train_batch_end`` calls ``on_batch_end``, so old callbacks still work.

    >>> class PrintEpochs(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch}: loss {logs['loss']:.2f}")
    >>> PrintEpochs().on_epoch_end(0, {"loss": 0.25})
    epoch 0: loss 0.25
    """

    def __init__(self):
        self.model = None
        self.params = None

    def set_params(self, params: dict) -> None:
        self.params = params

    def set_model(self, model) -> None:
        self.model = model

    # -- training (fit)
    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)   # Keras 2 name

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)     # Keras 2 name

    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...

    # -- evaluation (evaluate, and validation inside fit)
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...

    # -- prediction (predict)
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...


def _floats(logs):
    """Logs with NumPy scalars turned into Python floats (anything else is left alone)."""
    out = {}
    for key, value in (logs or {}).items():
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            out[key] = value
    return out


class CallbackList(Callback):
    """Many callbacks behind one: each hook is passed on to every callback, in order.

    ``add_history=True`` appends a ``History`` (unless one is already in the list) and
    makes it ``model.history``. ``**params`` (``epochs``, ``steps``, ``verbose``, ...)
    go to every callback's ``set_params``. ``add_progbar`` is accepted for Keras
    compatibility and ignored: minikeras's ``fit`` draws its own progress bar.

    >>> seen = []
    >>> cbs = CallbackList([LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))],
    ...                    epochs=2, steps=10, verbose=0)
    >>> cbs.callbacks[0].params
    {'epochs': 2, 'steps': 10, 'verbose': 0}
    >>> cbs.on_epoch_end(0, {}); cbs.on_epoch_end(1, {}); seen
    [0, 1]
    """

    def __init__(self, callbacks=None, model=None, add_history=False, add_progbar=False,
                 **params):
        super().__init__()
        self.callbacks = list(callbacks or [])
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        if add_history and self._history is None:
            self._history = History()
            self.callbacks.append(self._history)
        self.set_model(model)
        self.set_params(params)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def __iter__(self):
        return iter(self.callbacks)

    def set_params(self, params):
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model):
        if model is None:
            return
        self.model = model
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _call(self, hook: str, *args, logs=None):
        logs = logs if logs is not None else {}
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs=logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs=_floats(logs))

    # A Keras 2 style loop calls these; they are the training-batch hooks.
    on_batch_begin = on_train_batch_begin
    on_batch_end = on_train_batch_end

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs=logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs=_floats(logs))

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs=logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs=logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs=logs)


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


# ---------------------------------------------------------------- watching one number

# Words that tell whether bigger or smaller is better, for ``mode="auto"``.
_BIGGER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "iou", "cosine")
_SMALLER_IS_BETTER = ("loss", "error", "mse", "mae", "mape", "msle", "crossentropy",
                      "hinge", "kl", "poisson", "logcosh")


def _direction(monitor: str, mode: str, model=None) -> str:
    """``'min'`` or ``'max'``: which way the monitored quantity improves.

    ``mode='auto'`` asks the model's metrics first (a metric object may say
    ``_direction = 'up'``, as in Keras 3), then guesses from the name; a name it cannot
    judge is an error rather than a silent guess.
    """
    if mode in ("min", "max"):
        return mode
    name = monitor.removeprefix("val_")
    if name == "loss" or name.endswith("_loss"):
        return "min"
    for metric in getattr(model, "metrics", None) or []:
        if getattr(metric, "name", None) == name and hasattr(metric, "_direction"):
            return "max" if metric._direction == "up" else "min"
    if any(word in name for word in _BIGGER_IS_BETTER):
        return "max"
    if any(word in name for word in _SMALLER_IS_BETTER):
        return "min"
    raise ValueError(f"cannot tell whether monitor={monitor!r} should be maximized or "
                     "minimized. Pass mode='max' to keep the highest value, or mode='min' "
                     "to keep the lowest.")


def _check_mode(owner: str, mode: str) -> str:
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner} mode {mode!r} is unknown, fallback to auto mode.",
                      stacklevel=3)
        return "auto"
    return mode


def _is_improvement(current, reference, direction: str, min_delta: float = 0.0) -> bool:
    """Better than ``reference`` by more than ``min_delta``? (``None`` is beaten by all.)"""
    if reference is None:
        return True
    if direction == "min":
        return current + min_delta < reference
    return current - min_delta > reference


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
        self.mode = _check_mode("EarlyStopping", mode)
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
            self.direction = _direction(self.monitor, self.mode, self.model)
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return                     # nothing to watch, or still warming up
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch

        self.wait += 1
        if _is_improvement(current, self.best, self.direction, self.min_delta):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Patience starts again only once the baseline is beaten too.
            if self.baseline is None or _is_improvement(current, self.baseline,
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
        self.mode = _check_mode("ModelCheckpoint", mode)
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
            self.direction = _direction(self.monitor, self.mode, self.model)
            if self.best is None:
                self.best = np.inf if self.direction == "min" else -np.inf
        best = f"{self.best:.5f}"
        if _is_improvement(current, self.best, self.direction):
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


# ---------------------------------------------------------------- the others


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


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite.

    Once the loss is NaN, every later step is NaN too, so there is no point going on.
    Training stops gracefully (``model.stop_training = True``): the other callbacks still
    get ``on_train_end``.

    >>> from types import SimpleNamespace
    >>> model = SimpleNamespace(stop_training=False)
    >>> guard = TerminateOnNaN()
    >>> guard.set_model(model)
    >>> guard.on_train_batch_end(7, {"loss": float("nan")})
    Batch 7: Invalid loss, terminating training
    >>> model.stop_training
    True
    """

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class CSVLogger(Callback):
    """Write one line per epoch to a CSV file: the epoch, then the logs in sorted key order.

    The file is flushed after every epoch, so it can be watched while training runs.
    With ``append=True`` an existing file is continued (without a second header).
    Rows end in ``\\r\\n``, as Python's ``csv`` module (and Keras) write them.

    >>> import os, tempfile
    >>> from pathlib import Path
    >>> from types import SimpleNamespace
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> logger = CSVLogger(path)
    >>> logger.set_model(SimpleNamespace())
    >>> logger.on_train_begin()
    >>> logger.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75})
    >>> logger.on_epoch_end(1, {"loss": 0.25, "accuracy": 0.875})
    >>> logger.on_train_end()
    >>> print(Path(path).read_text())
    epoch,accuracy,loss
    0,0.75,0.5
    1,0.875,0.25
    <BLANKLINE>
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.csv_file = None
        self.writer = None
        self.keys = None

    def on_train_begin(self, logs=None):
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename) as f:
                self.append_header = not f.readline()   # an empty file still needs one
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        # Kept open for the whole run (closed in on_train_end), so no `with` block.
        self.csv_file = open(self.filename, "a" if self.append else "w")  # noqa: SIM115
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            # Validation runs may not have happened yet: keep a column for them anyway.
            for name in getattr(self.model, "metrics_names", None) or []:
                if name.startswith("val_") and name not in self.keys:
                    self.keys.append(name)
        if self.writer is None:
            dialect = type("Dialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, ["epoch"] + self.keys,
                                         dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _csv_value(value):
    """Lists and arrays are written as ``"[1, 2, 3]"``; everything else as is."""
    if isinstance(value, str) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value
    if isinstance(value, collections.abc.Iterable):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class LambdaCallback(Callback):
    """A callback made on the spot from plain functions, one per hook you care about.

    ``on_epoch_begin``/``on_epoch_end`` are called as ``f(epoch, logs)``,
    ``on_train_begin``/``on_train_end`` as ``f(logs)`` and the batch hooks as
    ``f(batch, logs)``. Any other hook can be given by name in ``**kwargs``, e.g.
    ``on_test_end=f``.

    >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
    >>> cb.on_epoch_end(3, {"loss": 0.5})
    3 0.5
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        hooks = dict(kwargs, on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)   # replaces the do-nothing method
