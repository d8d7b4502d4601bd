"""``Sum``, ``Mean`` and ``MeanMetricWrapper``: the accumulators most metrics are made of.

``Mean`` keeps a weighted total and the total weight; its result is their ratio. A
function metric (``accuracy``, ``mae``: one value per sample) wrapped in a
``MeanMetricWrapper`` becomes the mean of that value over every sample seen, so an
epoch's accuracy is the fraction of all its samples right, not an average of batch
accuracies. Sample weights weight each sample; a mask on the predictions (masked
timesteps) gives the masked entries weight 0.

>>> m = Mean()
>>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
>>> m.result()
array(2., dtype=float32)
"""
from __future__ import annotations

from collections.abc import Callable

from minikeras.losses.loss import _divide_no_nan, apply_mask, squeeze_or_expand_to_same_rank
from minikeras.metrics.metric import Metric
from minikeras.ops import elementwise as ew
from minikeras.ops import reductions as red
from minikeras.ops.eager import to_tensor
from minikeras.tensor import Tensor


def _tensor(value, dtype: str) -> Tensor:
    return ew.cast(to_tensor(value), dtype)


def reduce_to_samplewise_values(values, sample_weight, reduce_fn: Callable, dtype: str):
    """One value (and one weight) per sample, as Keras 3's metrics reduce them: values
    with more axes than the weights are reduced over the extra axes (``reduce_fn``), the
    weights broadcast over the rest, and what is left is reduced to one per sample."""
    mask = getattr(values, "_keras_mask", None)
    values = _tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = _tensor(sample_weight, dtype)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, dtype, "sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        if values.ndim > sample_weight.ndim:
            values = reduce_fn(values, axis=tuple(range(sample_weight.ndim, values.ndim)))
        like = ew.zeros_like(values)
        sample_weight = sample_weight + like  # broadcast to the values' shape
        values = values * sample_weight
        if sample_weight.ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, sample_weight.ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the values given.

    >>> m = Sum()
    >>> m.update_state([1, 3, 5, 7])
    >>> m.result()
    array(16., dtype=float32)
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")

    def update_state(self, values, sample_weight=None) -> None:
        values, _ = reduce_to_samplewise_values(values, sample_weight, red.sum, self.dtype)
        self.total.assign_add(red.sum(values))

    def result(self):
        return ew.cast(self.total, self.dtype)


class Mean(Metric):
    """The (weighted) mean of the values given: ``total / count``.

    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7])
    >>> m.result()
    array(4., dtype=float32)
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")
        self.count = self.add_variable((), "zeros", name="count")

    def update_state(self, values, sample_weight=None) -> None:
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, red.mean,
                                                            self.dtype)
        self.total.assign_add(red.sum(values))
        if sample_weight is not None:
            count = red.sum(sample_weight)
        elif values.ndim >= 1:
            count = red.count(values, axis=0)  # the batch size
        else:
            count = _tensor(1.0, self.dtype)
        self.count.assign_add(ew.cast(count, self.dtype))

    def _mean(self) -> Tensor:
        return _divide_no_nan(self.total, ew.cast(self.count, self.dtype))

    def result(self):
        return self._mean()


class MeanMetricWrapper(Mean):
    """A function ``fn(y_true, y_pred, **kwargs)`` of one value per sample, as a metric:
    the mean of its values over every sample seen.

    >>> import numpy as np
    >>> m = MeanMetricWrapper(lambda t, p: (t - p) ** 2, name="squares")
    >>> m.update_state(np.array([[0.0], [1.0]]), np.array([[1.0], [1.0]]))
    >>> m.result()
    array(0.5, dtype=float32)
    """

    def __init__(self, fn: Callable, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        mask = getattr(y_pred, "_keras_mask", None)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None and isinstance(values, Tensor) and mask.ndim > values.ndim:
            mask = None  # the function reduced the masked axis away
        sample_weight = apply_mask(sample_weight, mask, self.dtype, "sum")
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        """Name, dtype and the function's options (a subclass fixes the function; a
        plain wrapper also saves the function's name)."""
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:
            config["fn"] = getattr(self._fn, "__name__", None)
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if cls is MeanMetricWrapper and isinstance(config.get("fn"), str):
            from minikeras.metrics.functions import get
            config["fn"] = get(config["fn"])
        return cls(**config)

