"""Metrics from the confusion matrix: true/false positives/negatives, ``Precision``,
``Recall`` and ``AUC`` (Keras 3's definitions).

A prediction counts as positive when it is **greater than** a threshold (0.5 unless
told): for each threshold the metric adds up, weighted by the sample weights,

* true positives: target 1 and prediction > threshold, false negatives: target 1 and
  prediction <= threshold, and likewise true/false negatives and false positives.

``Precision = TP / (TP + FP)`` and ``Recall = TP / (TP + FN)`` (0 when nothing was
predicted positive). ``AUC`` keeps the four counts at ``num_thresholds`` evenly spaced
thresholds (with the ends just outside [0, 1]) and sums the area under the ROC (or PR)
curve they trace, by the trapezoid rule ('interpolation').

>>> m = Precision()
>>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
>>> m.result()
array(0.6666667, dtype=float32)
"""
from __future__ import annotations

import numpy as np

from minikeras import config
from minikeras.losses.loss import _divide_no_nan, squeeze_or_expand_to_same_rank
from minikeras.metrics.metric import Metric
from minikeras.metrics.reduction import _tensor
from minikeras.ops import activations as act
from minikeras.ops import elementwise as ew
from minikeras.ops import reductions as red
from minikeras.ops import shapes as sh
from minikeras.tensor import Constant, Tensor

NEG_INF = -1e10


def _thresholds(thresholds, default: float) -> list[float]:
    if thresholds is None:
        return [default]
    values = [thresholds] if isinstance(thresholds, (int, float)) else list(thresholds)
    for t in values:
        if not 0.0 <= t <= 1.0 and t != NEG_INF:
            raise ValueError(f"thresholds must be in [0, 1], got {t}")
    return [float(t) for t in values]


def _keep_top_k(y_pred: Tensor, k: int) -> Tensor:
    """Scores outside the k highest of each row become -inf (never above a threshold)."""
    order = sh.argsort(ew.negative(y_pred), -1)
    top = sh.getitem(order, (Ellipsis, slice(0, k)))
    chosen = red.max(sh.one_hot(top, y_pred.shape[-1], "bool"), axis=-2)
    return ew.where(chosen, y_pred, NEG_INF)


def update_confusion_variables(variables: dict, y_true, y_pred, thresholds,
                               top_k=None, class_id=None, sample_weight=None) -> None:
    """Add this batch's weighted counts to ``variables`` ('tp', 'fp', 'tn', 'fn': one
    entry per threshold), as Keras 3's ``update_confusion_matrix_variables``."""
    dtype = next(iter(variables.values())).dtype
    y_true, y_pred = _tensor(y_true, dtype), _tensor(y_pred, dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = sh.expand_dims(_tensor(sample_weight, dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                          expand_rank_1=False)
    if top_k is not None:
        y_pred = _keep_top_k(y_pred, top_k)
    if class_id is not None:
        y_true = sh.getitem(y_true, (Ellipsis, slice(class_id, class_id + 1)))
        y_pred = sh.getitem(y_pred, (Ellipsis, slice(class_id, class_id + 1)))
    predictions = sh.reshape(y_pred, (1, -1))                 # every entry, one row
    labels = sh.reshape(ew.cast(y_true, "bool"), (1, -1))
    limits = Constant(np.asarray(thresholds, dtype).reshape(-1, 1))
    pred_positive = ew.greater(predictions, limits)           # (thresholds, entries)
    weights = None
    if sample_weight is not None:
        weights = sh.reshape(sample_weight + ew.zeros_like(y_pred), (1, -1))
    cells = {"tp": (labels, pred_positive),
             "fp": (ew.logical_not(labels), pred_positive),
             "tn": (ew.logical_not(labels), ew.logical_not(pred_positive)),
             "fn": (labels, ew.logical_not(pred_positive))}
    for key, variable in variables.items():
        label_side, pred_side = cells[key]
        hits = ew.cast(ew.logical_and(label_side, pred_side), dtype)
        if weights is not None:
            hits = hits * weights
        variable.assign_add(red.sum(hits, axis=1))


class _ConfusionCount(Metric):
    """One cell of the confusion matrix, summed at each threshold."""

    cell = "tp"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._init_thresholds = thresholds
        self.thresholds = _thresholds(thresholds, 0.5)
        self.accumulator = self.add_variable((len(self.thresholds),), "zeros",
                                             name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        update_confusion_variables({self.cell: self.accumulator}, y_true, y_pred,
                                   self.thresholds, sample_weight=sample_weight)

    def result(self):
        return self.accumulator[0] if len(self.thresholds) == 1 else \
            ew.identity(self.accumulator)

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self._init_thresholds}


class TruePositives(_ConfusionCount):
    """The (weighted) number of true positives.

    >>> m = TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    array(2., dtype=float32)
    """

    cell = "tp"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name, dtype)


class FalsePositives(_ConfusionCount):
    """The (weighted) number of false positives.

    >>> m = FalsePositives()
    >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
    >>> m.result()
    array(2., dtype=float32)
    """

    cell = "fp"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name, dtype)


class TrueNegatives(_ConfusionCount):
    """The (weighted) number of true negatives.

    >>> m = TrueNegatives()
    >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
    >>> m.result()
    array(2., dtype=float32)
    """

    cell = "tn"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name, dtype)


class FalseNegatives(_ConfusionCount):
    """The (weighted) number of false negatives.

    >>> m = FalseNegatives()
    >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
    >>> m.result()
    array(2., dtype=float32)
    """

    cell = "fn"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name, dtype)


class _PrecisionRecall(Metric):
    """What Precision and Recall share: thresholds, top_k, class_id, two counts."""

    cells = ("tp", "fp")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self.thresholds = _thresholds(thresholds, NEG_INF if top_k is not None else 0.5)
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), "zeros", name="true_positives")
        self.other = self.add_variable((n,), "zeros", name=(
            "false_positives" if self.cells[1] == "fp" else "false_negatives"))

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        update_confusion_variables({"tp": self.true_positives, self.cells[1]: self.other},
                                   y_true, y_pred, self.thresholds, self.top_k,
                                   self.class_id, sample_weight)

    def result(self):
        value = _divide_no_nan(self.true_positives, self.true_positives + self.other)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """``TP / (TP + FP)``: how many of the predicted positives are right.

    Args:
        thresholds: one float (default 0.5) or a list; a prediction above it counts as
            positive. A list gives one precision per threshold.
        top_k: only the k highest scores of each row can be positive.
        class_id: look at this class (column) only.

    >>> m = Precision(thresholds=[0.3, 0.7])
    >>> m.update_state([0, 1, 1, 1], [0.5, 0.2, 0.9, 0.8])
    >>> m.result()
    array([0.6666667, 1.       ], dtype=float32)
    """

    cells = ("tp", "fp")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)


class Recall(_PrecisionRecall):
    """``TP / (TP + FN)``: how many of the actual positives are found.

    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    array(0.6666667, dtype=float32)
    """

    cells = ("tp", "fn")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)


class AUC(Metric):
    """The area under the ROC curve (or the precision-recall curve, ``curve='PR'``).

    Args:
        num_thresholds: how many thresholds (evenly spaced, the first and last just
            outside [0, 1]) the curve is made of; 200 by default.
        curve: 'ROC' or 'PR'.
        summation_method: 'interpolation' (trapezoids; for PR, Davis & Goadrich's
            interpolation), 'minoring' or 'majoring' (rectangles under or over).
        thresholds: your own thresholds instead (in [0, 1]).
        from_logits: predictions are logits (a sigmoid is applied first).

    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> m.result()
    array(0.75, dtype=float32)
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        if multi_label or label_weights is not None:
            raise NotImplementedError("AUC with multi_label or label_weights")
        curve, summation_method = str(curve).upper(), str(summation_method).lower()
        if curve not in ("ROC", "PR"):
            raise ValueError(f'curve must be "ROC" or "PR", got {curve!r}')
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"summation_method must be 'interpolation', 'minoring' or "
                             f"'majoring', got {summation_method!r}")
        self.curve, self.summation_method = curve, summation_method
        self.multi_label, self.num_labels, self.from_logits = multi_label, num_labels, \
            from_logits
        self._init_thresholds = thresholds
        if thresholds is not None:
            inner = sorted(_thresholds(thresholds, 0.5))
        else:
            if num_thresholds <= 1:
                raise ValueError(f"num_thresholds must be > 1, got {num_thresholds}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        eps = config.epsilon()
        self.thresholds = [0.0 - eps] + inner + [1.0 + eps]
        self.num_thresholds = len(self.thresholds)
        n = self.num_thresholds
        self.true_positives = self.add_variable((n,), "zeros", name="true_positives")
        self.false_positives = self.add_variable((n,), "zeros", name="false_positives")
        self.true_negatives = self.add_variable((n,), "zeros", name="true_negatives")
        self.false_negatives = self.add_variable((n,), "zeros", name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        if self.from_logits:
            y_pred = act.sigmoid(_tensor(y_pred, self.dtype))
        update_confusion_variables(
            {"tp": self.true_positives, "fp": self.false_positives,
             "tn": self.true_negatives, "fn": self.false_negatives},
            y_true, y_pred, self.thresholds, sample_weight=sample_weight)

    def _pr_interpolated(self) -> Tensor:
        """Davis & Goadrich (2006): precision interpolated between thresholds."""
        n = self.num_thresholds
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        head, tail = slice(0, n - 1), slice(1, n)
        dtp = tp[head] - tp[tail]
        p = tp + fp
        dp = p[head] - p[tail]
        slope = _divide_no_nan(dtp, ew.maximum(dp, 0.0))
        intercept = tp[tail] - slope * p[tail]
        both = ew.logical_and(ew.greater(p[head], 0.0), ew.greater(p[tail], 0.0))
        ratio = ew.where(both, _divide_no_nan(p[head], ew.maximum(p[tail], 0.0)), 1.0)
        increments = _divide_no_nan(slope * (dtp + intercept * ew.log(ratio)),
                                    ew.maximum(tp[tail] + fn[tail], 0.0))
        return red.sum(increments)

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._pr_interpolated()
        tp, fp = self.true_positives, self.false_positives
        recall = _divide_no_nan(tp, tp + self.false_negatives)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + self.true_negatives), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        n = self.num_thresholds
        head, tail = y[0:n - 1], y[1:n]
        if self.summation_method == "interpolation":
            heights = (head + tail) / 2.0
        elif self.summation_method == "minoring":
            heights = ew.minimum(head, tail)
        else:
            heights = ew.maximum(head, tail)
        return red.sum((x[0:n - 1] - x[1:n]) * heights)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "curve": self.curve, "summation_method": self.summation_method,
                "multi_label": self.multi_label, "num_labels": self.num_labels,
                "label_weights": None, "from_logits": self.from_logits,
                "thresholds": self._init_thresholds}
