"""LambdaCallback: a callback made on the spot from plain functions."""
from __future__ import annotations

from minikeras.callbacks.callback import Callback


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
