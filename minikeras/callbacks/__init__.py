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
or read and write its weights. Names, arguments and defaults follow Keras 3; each
callback has a file of its own (``early_stopping.py``, ``model_checkpoint.py``, ...).

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

from minikeras.callbacks.callback import Callback
from minikeras.callbacks.callback_list import CallbackList
from minikeras.callbacks.csv_logger import CSVLogger
from minikeras.callbacks.early_stopping import EarlyStopping
from minikeras.callbacks.history import History
from minikeras.callbacks.lambda_callback import LambdaCallback
from minikeras.callbacks.learning_rate_scheduler import LearningRateScheduler
from minikeras.callbacks.model_checkpoint import ModelCheckpoint
from minikeras.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
           "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "TerminateOnNaN"]
