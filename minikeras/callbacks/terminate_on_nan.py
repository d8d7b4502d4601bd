"""TerminateOnNaN: stop as soon as the loss is NaN or infinite."""
from __future__ import annotations

import numpy as np

from minikeras.callbacks.callback import Callback


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
