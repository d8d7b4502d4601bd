"""Many callbacks behind one: what ``fit`` talks to."""
from __future__ import annotations

from minikeras.callbacks.callback import Callback
from minikeras.callbacks.history import History


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

    >>> from minikeras.callbacks import LambdaCallback
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
