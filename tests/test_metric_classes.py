"""The Metric base class and the metric classes (issue 18, item 4), standalone: numbers
worked out by hand from Keras 3's definitions (tests/interop checks them against Keras)."""
import numpy as np
import pytest

import minikeras as mk
import minikeras.backend as K
from minikeras import metrics as M
from minikeras import ops
from minikeras.tensor import Tensor, recording_updates


def test_mean_accumulates_over_batches_with_weights():
    m = M.Mean()
    m.update_state([1.0, 3.0])                              # total 4, count 2
    m.update_state([5.0, 7.0], sample_weight=[1.0, 0.5])    # total 4 + 5 + 3.5, count 3.5
    assert float(m.result()) == pytest.approx(12.5 / 3.5)
    assert isinstance(m.result(), np.ndarray)              # a value, not a graph tensor
    m.reset_state()
    assert float(m.result()) == 0.0                        # 0 / 0 is 0 (divide_no_nan)


def test_sum_and_mean_of_nested_values_reduce_per_sample():
    s = M.Sum()
    s.update_state(np.ones((2, 3)))                         # sums everything
    assert float(s.result()) == 6.0
    m = M.Mean()
    m.update_state(np.array([[1.0, 3.0], [5.0, 7.0]]))     # per sample: 2 and 6
    assert float(m.result()) == 4.0 and float(m.count.numpy()) == 2.0


def test_accuracy_over_an_epoch_is_the_fraction_of_all_samples():
    """Not the mean of batch accuracies: 1/1 then 1/3 is 2/4 overall, not (1 + 1/3) / 2."""
    m = M.SparseCategoricalAccuracy()
    m.update_state([1], [[0.2, 0.8]])
    m.update_state([0, 0, 1], [[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]])
    assert float(m.result()) == 0.5


@pytest.mark.parametrize("metric, y_true, y_pred, expected", [
    (M.BinaryAccuracy(), [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], 0.75),
    (M.BinaryAccuracy(threshold=0.9), [[1], [1]], [[0.95], [0.85]], 0.5),
    (M.CategoricalAccuracy(), [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], 0.5),
    (M.TopKCategoricalAccuracy(k=2), [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.5, 0.2, 0.3]],
     0.5),
    (M.SparseTopKCategoricalAccuracy(k=1), [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], 0.5),
    (M.Accuracy(), [[1], [2], [3], [4]], [[0], [2], [3], [4]], 0.75),
    (M.MeanSquaredError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], 0.25),
    (M.MeanAbsoluteError(), [[0, 1], [0, 0]], [[1, 3], [0, 0]], 0.75),
    (M.MeanAbsolutePercentageError(), [[2.0, 4.0]], [[1.0, 5.0]], 37.5),
    (M.RootMeanSquaredError(), [[0, 1], [0, 0]], [[1, 3], [0, 0]], np.sqrt(5 / 4)),
    (M.CosineSimilarity(), [[0.0, 2.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]], 0.5),
    (M.Hinge(), [[1.0, 0.0]], [[0.5, -2.0]], 0.25),
    (M.SquaredHinge(), [[1.0, 0.0]], [[0.5, -2.0]], 0.125),
    (M.Poisson(), [[1.0, 2.0]], [[1.0, 1.0]], 1.0),
])
def test_values_by_hand(metric, y_true, y_pred, expected):
    metric.update_state(np.array(y_true, "float32"), np.array(y_pred, "float32"))
    assert float(metric.result()) == pytest.approx(expected, rel=1e-5)


def test_confusion_counts_precision_recall():
    y_true = np.array([0, 1, 1, 1, 0, 1])
    y_pred = np.array([0.9, 0.2, 0.6, 0.8, 0.3, 0.5])  # > 0.5: F T F T F F -> predicted 1 0 1 1 0 0
    tp, fp, tn, fn = 2.0, 1.0, 1.0, 2.0               # 0.5 is not above 0.5
    for cls, want in ((M.TruePositives, tp), (M.FalsePositives, fp),
                      (M.TrueNegatives, tn), (M.FalseNegatives, fn)):
        m = cls()
        m.update_state(y_true, y_pred)
        assert float(m.result()) == want, cls.__name__
    p, r = M.Precision(), M.Recall()
    p.update_state(y_true, y_pred)
    r.update_state(y_true, y_pred)
    assert float(p.result()) == pytest.approx(tp / (tp + fp))
    assert float(r.result()) == pytest.approx(tp / (tp + fn))
    several = M.Precision(thresholds=[0.1, 0.7])
    several.update_state(y_true, y_pred)             # > 0.1: all six, 4 right; > 0.7: 2, 1
    np.testing.assert_allclose(several.result(), [4 / 6, 1 / 2], rtol=1e-6)
    weighted = M.Recall()
    weighted.update_state(y_true, y_pred, sample_weight=[1, 3, 1, 1, 1, 0])
    assert float(weighted.result()) == pytest.approx(2 / 5)   # tp 1 + 1, fn 3 + 0


def test_precision_top_k_and_class_id():
    y_true = np.array([[0, 1, 1], [1, 0, 1]])
    y_pred = np.array([[0.1, 0.8, 0.6], [0.7, 0.4, 0.9]])
    top1 = M.Precision(top_k=1)                      # picks 1 and 2: right both times
    top1.update_state(y_true, y_pred)
    assert float(top1.result()) == 1.0
    column = M.Recall(class_id=0)                    # class 0: one positive, found
    column.update_state(y_true, y_pred)
    assert float(column.result()) == 1.0


def test_auc_by_the_trapezoids():
    """With 3 thresholds (-eps, 0.5, 1 + eps) the ROC points are (1, 1), (fpr, tpr) at 0.5
    and (0, 0); the trapezoid rule gives the area."""
    y_true, y_pred = [0, 0, 1, 1], [0.0, 0.6, 0.3, 0.9]
    m = M.AUC(num_thresholds=3)
    m.update_state(y_true, y_pred)
    fpr, tpr = 1 / 2, 1 / 2                          # at 0.5: positives 0.6 (wrong), 0.9
    area = (1 - fpr) * (1 + tpr) / 2 + fpr * (tpr + 0) / 2
    assert float(m.result()) == pytest.approx(area)
    perfect = M.AUC()
    perfect.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert float(perfect.result()) == pytest.approx(1.0, abs=1e-6)


def test_metrics_made_without_a_name_are_numbered():
    K.clear_session()
    assert [M.Precision().name, M.Precision().name, M.AUC().name] == \
        ["precision", "precision_1", "auc"]
    assert M.BinaryAccuracy().name == M.BinaryAccuracy().name == "binary_accuracy"


class TruePositivesByHand(M.Metric):
    """Keras 3's own example of a Metric subclass, in our words."""

    def __init__(self, name="true_positives_by_hand", **kwargs):
        super().__init__(name=name, **kwargs)
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        hits = ops.cast(ops.logical_and(ops.cast(y_true, "bool"), ops.cast(y_pred, "bool")),
                        self.dtype)
        if sample_weight is not None:
            hits = hits * ops.cast(sample_weight, self.dtype)
        self.count.assign(self.count + ops.sum(hits))

    def result(self):
        return self.count


def test_a_subclass_works_standalone_and_in_fit():
    m = TruePositivesByHand()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert float(m.result()) == 2.0 and isinstance(m.result(), np.ndarray)
    model = mk.Sequential([mk.layers.Input((1,)),
                           mk.layers.Dense(1, kernel_initializer="ones")])
    model.compile(mk.optimizers.SGD(0.0), "mse", metrics=[TruePositivesByHand()])
    x = np.array([[1.0], [0.0], [2.0], [0.0], [3.0]])
    y = np.array([[1.0], [1.0], [0.0], [0.0], [5.0]])   # both nonzero: rows 0 and 4
    logs = model.evaluate(x, y, batch_size=2, verbose=0, return_dict=True)
    assert logs["true_positives_by_hand"] == 2.0        # summed over the three batches


def test_update_state_inside_a_graph_records_updates():
    m = M.Mean()
    x = K.placeholder(shape=(None,))
    with recording_updates() as recorder:
        m.update_state(x)
    step = K.function([x], [], updates=recorder.updates)
    step([np.array([1.0, 2.0])])
    step([np.array([6.0])])
    assert float(m.result()) == 3.0                    # (1 + 2 + 6) / 3
    from minikeras.ops.eager import symbolic_scope
    with symbolic_scope():
        assert isinstance(m.result(), Tensor)          # while a graph is built: a tensor


def test_masks_on_predictions_weight_the_entries():
    y_pred = K.constant([[[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]]])
    y_pred._keras_mask = K.constant([[True, True, False]], dtype="bool")
    m = M.SparseCategoricalAccuracy()
    m.update_state(K.constant([[0.0, 0.0, 1.0]]), y_pred)   # right, wrong, (masked)
    assert float(m.result()) == 0.5


def test_get_serialize_deserialize():
    assert M.get("mae") is M.mean_absolute_error
    assert isinstance(M.get("AUC"), M.AUC) and isinstance(M.get(M.Recall), M.Recall)
    saved = M.serialize(M.Precision(thresholds=[0.3], name="p"))
    assert saved["class_name"] == "Precision" and saved["config"]["thresholds"] == [0.3]
    back = M.deserialize(saved)
    assert isinstance(back, M.Precision) and back.name == "p" and back.thresholds == [0.3]
    assert M.deserialize(M.serialize(M.BinaryAccuracy(threshold=0.3))).get_config() == \
        {"name": "binary_accuracy", "dtype": "float32", "threshold": 0.3}


def test_add_variable_needs_super_init():
    class Broken(M.Metric):
        def __init__(self):
            self.total = self.add_variable((), "zeros")
    with pytest.raises(RuntimeError, match="super"):
        Broken()
