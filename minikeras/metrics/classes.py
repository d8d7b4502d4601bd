"""The metric classes that are the mean of a function's per-sample values: accuracies,
regression errors, crossentropies, hinges (Keras 3's names, defaults and results).

>>> import numpy as np
>>> m = SparseCategoricalAccuracy()
>>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
>>> m.result()
array(0.5, dtype=float32)
>>> m.update_state([[1]], [[0.1, 0.8, 0.1]])    # a third sample: 2 right out of 3
>>> round(float(m.result()), 4)
0.6667
"""
from __future__ import annotations

from minikeras import losses as L
from minikeras.losses.loss import squeeze_or_expand_to_same_rank
from minikeras.metrics import functions as F
from minikeras.metrics.reduction import Mean, MeanMetricWrapper, _tensor
from minikeras.ops import elementwise as ew


# ---------------------------------------------------------------- accuracies
class Accuracy(MeanMetricWrapper):
    """How often predictions equal the targets exactly.

    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> m.result()
    array(0.75, dtype=float32)
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(F.accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the 0/1 targets.

    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> m.result()
    array(0.75, dtype=float32)
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(F.binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the most likely class is the one-hot target's.

    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    array(0.5, dtype=float32)
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(F.categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the most likely class is the integer target.

    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> m.result()
    array(0.5, dtype=float32)
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(F.sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target's class is among the ``k`` highest scores.

    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    array(0.5, dtype=float32)
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(F.top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer target is among the ``k`` highest scores.

    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    array(0.5, dtype=float32)
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        if from_sorted_ids:
            raise NotImplementedError("SparseTopKCategoricalAccuracy(from_sorted_ids=True)")
        super().__init__(F.sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)



# ---------------------------------------------------------------- regression
class MeanSquaredError(MeanMetricWrapper):
    """The mean of ``(y_true - y_pred)^2``.

    >>> m = MeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    array(0.25, dtype=float32)
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(L.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of ``|y_true - y_pred|``.

    >>> m = MeanAbsoluteError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    array(0.25, dtype=float32)
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(L.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The mean of ``100 |y_true - y_pred| / |y_true|``.

    >>> m = MeanAbsolutePercentageError()
    >>> m.update_state([[2.0, 4.0]], [[1.0, 5.0]])
    >>> m.result()
    array(37.5, dtype=float32)
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(L.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """The mean of ``(log(y_true + 1) - log(y_pred + 1))^2``.

    >>> m = MeanSquaredLogarithmicError()
    >>> m.update_state([[0.0]], [[0.0]])
    >>> m.result()
    array(0., dtype=float32)
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(L.mean_squared_logarithmic_error, name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """The mean cosine of the angle between targets and predictions (+1: aligned).

    >>> m = CosineSimilarity()
    >>> m.update_state([[0.0, 2.0]], [[0.0, 1.0]])
    >>> m.result()
    array(1., dtype=float32)
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(F.cosine_similarity, name=name, dtype=dtype, axis=axis)


class LogCoshError(MeanMetricWrapper):
    """The mean of ``log(cosh(y_pred - y_true))``.

    >>> m = LogCoshError()
    >>> m.update_state([[1.0]], [[1.0]])
    >>> m.result()
    array(0., dtype=float32)
    """

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(L.log_cosh, name=name, dtype=dtype)




class RootMeanSquaredError(Mean):
    """``sqrt(mean((y_pred - y_true)^2))`` over every element seen.

    >>> m = RootMeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    array(0.5, dtype=float32)
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = _tensor(y_true, self.dtype), _tensor(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(ew.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return ew.sqrt(self._mean())


# ---------------------------------------------------------------- probabilistic
class BinaryCrossentropy(MeanMetricWrapper):
    """The mean binary crossentropy.

    >>> import numpy as np
    >>> m = BinaryCrossentropy()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(m.result()), 4)
    0.8149
    """

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(L.binary_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    """The mean categorical crossentropy.

    >>> import numpy as np
    >>> m = CategoricalCrossentropy()
    >>> m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> round(float(m.result()), 4)
    1.1769
    """

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(L.categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean crossentropy with integer targets.

    >>> import numpy as np
    >>> m = SparseCategoricalCrossentropy()
    >>> m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> round(float(m.result()), 4)
    1.1769
    """

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(L.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)


class KLDivergence(MeanMetricWrapper):
    """The mean Kullback-Leibler divergence.

    >>> import numpy as np
    >>> m = KLDivergence()
    >>> m.update_state([[0.5, 0.5]], [[0.25, 0.75]])
    >>> round(float(m.result()), 4)
    0.1438
    """

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(L.kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """The mean Poisson loss.

    >>> m = Poisson()
    >>> m.update_state([[1.0, 2.0]], [[1.0, 1.0]])
    >>> round(float(m.result()), 4)
    1.0
    """

    def __init__(self, name="poisson", dtype=None):
        super().__init__(L.poisson, name=name, dtype=dtype)



# ---------------------------------------------------------------- hinge
class Hinge(MeanMetricWrapper):
    """The mean hinge loss.

    >>> m = Hinge()
    >>> m.update_state([[1.0, 0.0]], [[0.5, -2.0]])
    >>> m.result()
    array(0.25, dtype=float32)
    """

    def __init__(self, name="hinge", dtype=None):
        super().__init__(L.hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """The mean squared hinge loss.

    >>> m = SquaredHinge()
    >>> m.update_state([[1.0, 0.0]], [[0.5, -2.0]])
    >>> m.result()
    array(0.125, dtype=float32)
    """

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(L.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """The mean categorical hinge loss.

    >>> import numpy as np
    >>> m = CategoricalHinge()
    >>> m.update_state([[0.0, 1.0, 0.0]], [[0.3, 0.5, 0.2]])
    >>> round(float(m.result()), 4)
    0.8
    """

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(L.categorical_hinge, name=name, dtype=dtype)


