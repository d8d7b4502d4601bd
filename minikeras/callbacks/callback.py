"""The base class of callbacks: every hook exists and does nothing."""
from __future__ import annotations


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
