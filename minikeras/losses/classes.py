"""The loss classes (a function and its options, averaged over the samples when called),
and finding any loss by its name.

>>> import minikeras.backend as K
>>> K.eval(Huber(delta=0.5)(K.constant([[0.], [0.]]), K.constant([[1.], [0.]])))
array(0.1875, dtype=float32)
"""
from __future__ import annotations

import inspect
from collections.abc import Callable

from minikeras.losses.functions import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    kld,
    log_cosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from minikeras.losses.loss import Loss, squeeze_or_expand_to_same_rank
from minikeras.tensor import Tensor


class LossFunctionWrapper(Loss):
    """A Loss made from a per-sample loss function and its keyword arguments.

    >>> import numpy as np, minikeras.backend as K
    >>> loss = LossFunctionWrapper(huber, delta=0.5)
    >>> K.eval(loss(K.constant([[0.], [0.]]), K.constant([[1.], [0.]])))
    array(0.1875, dtype=float32)
    """

    def __init__(self, fn: Callable, reduction="sum_over_batch_size", name=None, dtype=None,
                 **kwargs):
        super().__init__(name or getattr(fn, "__name__", None), reduction, dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred) -> Tensor:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is LossFunctionWrapper:
            config["fn"] = serialize(self.fn)
        return config

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize(config["fn"])
        return cls(**config)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of ``mean_squared_error`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> y_true, y_pred = K.constant([[0., 1.], [0., 0.]]), K.constant([[1., 1.], [1., 0.]])
    >>> K.eval(MeanSquaredError()(y_true, y_pred))
    array(0.5, dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction, name, dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of ``mean_absolute_error`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(MeanAbsoluteError()(K.constant([[0., 1.]]), K.constant([[1., 3.]])))
    array(1.5, dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error",
                 dtype=None):
        super().__init__(mean_absolute_error, reduction, name, dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean of ``mean_absolute_percentage_error`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(MeanAbsolutePercentageError()(K.constant([[2.]]), K.constant([[1.]])))
    array(50., dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction, name, dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean of ``mean_squared_logarithmic_error`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(MeanSquaredLogarithmicError()(K.constant([[0.]]), K.constant([[0.]])))
    array(0., dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction, name, dtype)


class CosineSimilarity(LossFunctionWrapper):
    """Mean of ``cosine_similarity`` (Keras 3 sign: -1 is best) over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(CosineSimilarity()(K.constant([[0., 2.]]), K.constant([[0., 1.]])))
    array(-1., dtype=float32)
    """

    def __init__(self, axis: int = -1, reduction="sum_over_batch_size",
                 name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction, name, dtype, axis=axis)


class Huber(LossFunctionWrapper):
    """Mean of ``huber`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(Huber(delta=1.0)(K.constant([[0.]]), K.constant([[3.]])))
    array(2.5, dtype=float32)
    """

    def __init__(self, delta: float = 1.0, reduction="sum_over_batch_size",
                 name="huber_loss", dtype=None):
        super().__init__(huber, reduction, name, dtype, delta=delta)


class LogCosh(LossFunctionWrapper):
    """Mean of ``log_cosh`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(LogCosh()(K.constant([[1.]]), K.constant([[1.]])))
    array(0., dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction, name, dtype)


class Hinge(LossFunctionWrapper):
    """Mean of ``hinge`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(Hinge()(K.constant([[1.], [-1.]]), K.constant([[0.5], [0.5]])))
    array(1., dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction, name, dtype)


class SquaredHinge(LossFunctionWrapper):
    """Mean of ``squared_hinge`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(SquaredHinge()(K.constant([[1.], [-1.]]), K.constant([[0.5], [0.5]])))
    array(1.25, dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction, name, dtype)


class CategoricalHinge(LossFunctionWrapper):
    """Mean of ``categorical_hinge`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(CategoricalHinge()(K.constant([[0., 1.]]), K.constant([[0., 2.]])))
    array(0., dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge",
                 dtype=None):
        super().__init__(categorical_hinge, reduction, name, dtype)


class KLDivergence(LossFunctionWrapper):
    """Mean of ``kl_divergence`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(KLDivergence()(K.constant([[0.5, 0.5]]), K.constant([[0.5, 0.5]])))
    array(0., dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction, name, dtype)


class Poisson(LossFunctionWrapper):
    """Mean of ``poisson`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> K.eval(Poisson()(K.constant([[0.]]), K.constant([[2.]])))
    array(2., dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, reduction, name, dtype)


class BinaryCrossentropy(LossFunctionWrapper):
    """Mean of ``binary_crossentropy`` over the samples.

    >>> import numpy as np, minikeras.backend as K
    >>> bce = BinaryCrossentropy(from_logits=True)
    >>> y_true, logits = K.constant([0, 1, 0, 0]), K.constant([-18.6, 0.51, 2.94, -12.8])
    >>> round(float(K.eval(bce(y_true, logits))), 4)
    0.8655
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class CategoricalCrossentropy(LossFunctionWrapper):
    """Mean of ``categorical_crossentropy`` over the samples (one-hot targets).

    >>> import numpy as np, minikeras.backend as K
    >>> cce = CategoricalCrossentropy()
    >>> y_true, y_pred = [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    >>> round(float(K.eval(cce(y_true, y_pred))), 4)
    1.1769
    >>> round(float(K.eval(cce(y_true, y_pred, sample_weight=[0.3, 0.7]))), 4)
    0.8136
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Mean of ``sparse_categorical_crossentropy`` over the samples (integer targets).

    >>> import numpy as np, minikeras.backend as K
    >>> scce = SparseCategoricalCrossentropy()
    >>> round(float(K.eval(scce([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]))), 4)
    1.1769
    """

    def __init__(self, from_logits: bool = False, ignore_class=None,
                 reduction="sum_over_batch_size", name="sparse_categorical_crossentropy",
                 dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, ignore_class=ignore_class)
        self.from_logits, self.ignore_class = from_logits, ignore_class


# ---------------------------------------------------------------- lookup by name

_FUNCTIONS = (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
              mean_squared_logarithmic_error, cosine_similarity, huber, log_cosh, hinge,
              squared_hinge, categorical_hinge, kl_divergence, poisson,
              categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy)
_CLASSES = (MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
            MeanSquaredLogarithmicError, CosineSimilarity, Huber, LogCosh, Hinge,
            SquaredHinge, CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy,
            CategoricalCrossentropy, SparseCategoricalCrossentropy, LossFunctionWrapper)
_BY_NAME: dict = {obj.__name__: obj for obj in _FUNCTIONS + _CLASSES}
# The short and old names of loss functions; metrics.py accepts the same ones.
ALIASES = {"mse": mse, "MSE": mse, "mae": mae, "MAE": mae, "mape": mape, "MAPE": mape,
           "msle": msle, "MSLE": msle, "kld": kld, "KLD": kld, "bce": binary_crossentropy,
           "BCE": binary_crossentropy, "kullback_leibler_divergence": kl_divergence,
           "logcosh": log_cosh}
_BY_NAME.update(ALIASES)
_BY_NAME["cosine_proximity"] = cosine_similarity  # Keras 2's name, for the loss only


def _unknown(name) -> ValueError:
    return ValueError(f"unknown loss {name!r}; valid names are {sorted(_BY_NAME)}")


def serialize(loss) -> dict:
    """A JSON-ready description of a loss function or Loss object, in Keras 3's format.

    >>> serialize(mse)['config']
    'mean_squared_error'
    >>> saved = serialize(Huber(delta=2.0))
    >>> saved['class_name'], saved['config']
    ('Huber', {'name': 'huber_loss', 'reduction': 'sum_over_batch_size', 'delta': 2.0})
    """
    if isinstance(loss, Loss):
        return {"module": "keras.losses", "class_name": type(loss).__name__,
                "config": loss.get_config(), "registered_name": None}
    name = getattr(loss, "__name__", None)
    if name in _BY_NAME and _BY_NAME[name] is loss:
        return {"module": "keras.losses", "class_name": "function", "config": name,
                "registered_name": name}
    raise ValueError(f"cannot serialize {loss!r}: it is not one of minikeras's losses")


def deserialize(config):
    """The loss described by ``config``: a name or :func:`serialize`'s dict.

    >>> deserialize('mse') is mean_squared_error
    True
    >>> deserialize(serialize(Huber(delta=2.0))).get_config()['delta']
    2.0
    """
    if isinstance(config, str):
        if config not in _BY_NAME:
            raise _unknown(config)
        obj = _BY_NAME[config]
        return obj() if inspect.isclass(obj) else obj
    name = config.get("class_name")
    if name == "function":
        return deserialize(config["config"])
    if name not in _BY_NAME or not inspect.isclass(_BY_NAME[name]):
        raise _unknown(name)
    return _BY_NAME[name].from_config(dict(config.get("config") or {}))


def get(identifier):
    """A loss from a name, a saved config, a Loss class or object, or a function.

    >>> get('categorical_crossentropy') is categorical_crossentropy, get('MSE') is mse
    (True, True)
    >>> get('BinaryCrossentropy')
    <BinaryCrossentropy name='binary_crossentropy'>
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"could not interpret loss {identifier!r}: pass a name (one of "
                     f"{sorted(_BY_NAME)}), a Loss or a function(y_true, y_pred)")
