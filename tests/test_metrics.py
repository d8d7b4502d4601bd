"""Metrics: accuracies against NumPy, top-k ties, losses as metrics, 'accuracy' resolution."""
import numpy as np
import pytest

from minikeras import backend as K
from minikeras import losses as L
from minikeras import metrics as M

rng = np.random.default_rng(1)


def run(fn, y_true, y_pred, **kwargs):
    """Evaluate through placeholders with an unknown batch size."""
    t = K.placeholder((None,) + y_true.shape[1:], dtype=y_true.dtype.name)
    p = K.placeholder((None,) + y_pred.shape[1:], dtype=y_pred.dtype.name)
    return K.function([t, p], [fn(t, p, **kwargs)])([y_true, y_pred])[0]


def test_accuracy_is_exact_match():
    t = np.array([[1.0], [2.0], [3.0], [4.0]])
    p = np.array([[0.0], [2.0], [3.0], [4.0]])
    # Keras 3: one value per entry (Keras 2 averaged over the last axis)
    np.testing.assert_array_equal(run(M.accuracy, t, p), [[0], [1], [1], [1]])
    np.testing.assert_array_equal(run(M.accuracy, t[:, 0], p), [[0], [1], [1], [1]])
    np.testing.assert_allclose(run(M.accuracy, np.array([[1.0, 2.0]]), np.array([[1.0, 3.0]])),
                               [[1.0, 0.0]])


def test_binary_accuracy_with_thresholds():
    t = rng.integers(0, 2, (50, 3)).astype("float32")
    p = rng.uniform(0, 1, (50, 3)).astype("float32")
    for threshold in (0.5, 0.3, 0.8):
        want = ((p > threshold) == t).astype("float32")  # Keras 3: entry by entry
        np.testing.assert_allclose(run(M.binary_accuracy, t, p, threshold=threshold), want)
    keras_example = run(M.binary_accuracy, np.array([[1.0], [1.0], [0.0], [0.0]]),
                        np.array([[0.98], [1.0], [0.0], [0.6]]))
    assert keras_example.mean() == 0.75
    # targets (batch,) against one sigmoid unit (batch, 1)
    np.testing.assert_array_equal(run(M.binary_accuracy, t[:, 0], p[:, :1])[:, 0],
                                  (p[:, 0] > 0.5) == t[:, 0])


def test_categorical_and_sparse_categorical_accuracy():
    p = rng.normal(0, 1, (40, 6))
    ids = rng.integers(0, 6, 40)
    want = (np.argmax(p, -1) == ids).astype("float32")
    assert 0 < want.mean() < 1
    np.testing.assert_array_equal(run(M.categorical_accuracy, np.eye(6)[ids], p), want)
    for targets in (ids, ids[:, None], ids.astype("float32"), ids[:, None].astype("float64")):
        got = run(M.sparse_categorical_accuracy, targets, p)
        assert got.shape == (40,) and got.dtype == np.float32
        np.testing.assert_array_equal(got, want)
    # Keras's documented examples: 0.5 each
    t, p = np.array([[0, 0, 1], [0, 1, 0]]), np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    assert K.eval(M.categorical_accuracy(t, p)).mean() == 0.5
    assert K.eval(M.sparse_categorical_accuracy([[2], [1]], [[0.1, 0.6, 0.3],
                                                             [0.05, 0.95, 0]])).mean() == 0.5


def np_in_top_k(ids, p, k):
    """Independent reference: the target is in the top k if its score reaches the k-th
    largest score of its row (ties at the boundary count as in)."""
    kth_largest = np.sort(p, -1)[:, -k]
    return (p[np.arange(len(ids)), ids] >= kth_largest).astype("float32")


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_accuracies(k):
    p = rng.integers(0, 4, (60, 5)).astype("float32")  # many ties on purpose
    ids = rng.integers(0, 5, 60)
    want = np_in_top_k(ids, p, k)
    np.testing.assert_array_equal(run(M.top_k_categorical_accuracy, np.eye(5)[ids], p, k=k),
                                  want)
    np.testing.assert_array_equal(run(M.sparse_top_k_categorical_accuracy, ids, p, k=k), want)
    np.testing.assert_array_equal(
        run(M.sparse_top_k_categorical_accuracy, ids[:, None].astype("float32"), p, k=k), want)


def test_top_k_default_k_and_keras_example():
    t, p = np.array([[0, 0, 1], [0, 1, 0]]), np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    np.testing.assert_array_equal(K.eval(M.top_k_categorical_accuracy(t, p, k=1)), [0, 1])
    np.testing.assert_array_equal(K.eval(M.top_k_categorical_accuracy(t, p)), [1, 1])  # k=5


def test_losses_work_as_metrics():
    t, p = rng.uniform(0.1, 1, (5, 3)), rng.uniform(0.1, 1, (5, 3))
    for name in ("mse", "mae", "mape", "msle", "kld", "poisson", "hinge", "squared_hinge",
                 "binary_crossentropy", "categorical_crossentropy", "log_cosh", "logcosh"):
        assert M.get(name) is L.get(name)
        np.testing.assert_allclose(run(M.get(name), t, p), run(L.get(name), t, p))
    assert M.mse is L.mean_squared_error and M.MAE is L.mean_absolute_error
    assert M.get("sparse_categorical_crossentropy") is L.sparse_categorical_crossentropy


def test_cosine_similarity_metric_is_positive():
    t, p = rng.normal(0, 1, (4, 3)), rng.normal(0, 1, (4, 3))
    want = np.sum(t * p, -1) / np.linalg.norm(t, axis=-1) / np.linalg.norm(p, axis=-1)
    np.testing.assert_allclose(run(M.cosine_similarity, t, p), want, rtol=1e-10)
    np.testing.assert_allclose(run(M.cosine_similarity, t, p), -run(L.cosine_similarity, t, p))


def test_get_and_unknown_names():
    assert M.get("accuracy") is M.accuracy  # the exact-match one, as keras.metrics.get
    assert M.get("top_k_categorical_accuracy") is M.top_k_categorical_accuracy
    assert M.get(None) is None

    def my(t, p):
        return K.mean(p, axis=-1)

    assert M.get(my) is my
    with pytest.raises(ValueError, match="valid names.*'binary_accuracy'"):
        M.get("binary_acuracy")
    with pytest.raises(ValueError):
        M.get(5)


# ---- which accuracy 'accuracy' means: Keras 3 decides from the shapes ----

@pytest.mark.parametrize("target_shape, output_shape, expected", [
    ((None, 1), (None, 1), "BinaryAccuracy"),                  # one output unit
    ((None,), (None, 1), "BinaryAccuracy"),
    ((None, 10), (None, 10), "CategoricalAccuracy"),           # one-hot targets
    ((None,), (None, 10), "SparseCategoricalAccuracy"),        # class ids, lower rank
    ((None, 1), (None, 10), "SparseCategoricalAccuracy"),      # class ids in a column
    ((None, 7, 1), (None, 7, 5), "SparseCategoricalAccuracy"),  # per timestep
    ((None, 7, 5), (None, 7, 5), "CategoricalAccuracy"),
])
def test_accuracy_is_chosen_from_the_shapes(target_shape, output_shape, expected):
    from minikeras.models.compile_utils import get_metric
    y_pred = K.placeholder(output_shape)
    for spelling in ("accuracy", "acc", "Accuracy"):
        metric = get_metric(spelling, target_shape, y_pred)
        assert type(metric).__name__ == expected and metric.name == spelling


def test_other_metrics_keep_the_name_given():
    from minikeras.models.compile_utils import get_metric
    y = K.placeholder((None, 3))
    assert get_metric("mae", (None, 3), y).name == "mae"
    assert get_metric(M.binary_accuracy, (None, 3), y).name == "binary_accuracy"
    assert get_metric(M.AUC(name="roc"), (None, 3), y).name == "roc"
    assert get_metric(L.Huber(name="my_huber"), (None, 3), y).name == "my_huber"
    with pytest.raises(ValueError, match="unknown metric"):
        get_metric("acuracy", (None, 3), y)
