"""Losses: per-sample values against NumPy formulas, Keras's documented numbers, the stable
crossentropy paths, reductions and sample weights, gradients, lookup and configs."""
import numpy as np
import pytest

from minikeras import backend as K
from minikeras import losses as L
from minikeras.autograd import check_gradients

EPS = 1e-7
rng = np.random.default_rng(0)
T = rng.uniform(0.05, 1.0, (6, 4))   # positive targets (mape, msle, kld, poisson)
P = rng.uniform(0.05, 1.0, (6, 4))


def run(fn, y_true, y_pred, **kwargs):
    """Evaluate through placeholders with an unknown batch size, in float64."""
    t = K.placeholder((None,) + y_true.shape[1:], dtype="float64")
    p = K.placeholder((None,) + y_pred.shape[1:], dtype="float64")
    return K.function([t, p], [fn(t, p, **kwargs)])([y_true, y_pred])[0]


def l2n(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), EPS)


REFERENCE = {
    "mean_squared_error": lambda t, p: np.mean((t - p) ** 2, -1),
    "mean_absolute_error": lambda t, p: np.mean(np.abs(t - p), -1),
    "mean_absolute_percentage_error": lambda t, p: 100 * np.mean(np.abs((t - p) / t), -1),
    "mean_squared_logarithmic_error":
        lambda t, p: np.mean((np.log1p(t) - np.log1p(p)) ** 2, -1),
    "cosine_similarity": lambda t, p: -np.sum(l2n(t) * l2n(p), -1),
    "log_cosh": lambda t, p: np.mean(np.log(np.cosh(p - t)), -1),
    "huber": lambda t, p: np.mean(np.where(np.abs(p - t) <= 1, 0.5 * (p - t) ** 2,
                                           np.abs(p - t) - 0.5), -1),
    "kl_divergence": lambda t, p: np.sum(t * np.log(t / p), -1),
    "poisson": lambda t, p: np.mean(p - t * np.log(p + EPS), -1),
    "binary_crossentropy":
        lambda t, p: -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p), -1),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_functions_match_numpy_formulas(name):
    got = run(L.get(name), T, P)
    assert got.shape == (6,)
    np.testing.assert_allclose(got, REFERENCE[name](T, P), rtol=1e-6)


def test_huber_linear_part_and_delta():
    t, p = np.zeros((2, 3)), np.array([[0.2, -3.0, 5.0], [1.0, 2.0, -0.5]])
    err = np.abs(p - t)
    want = np.mean(np.where(err <= 2.0, 0.5 * err ** 2, 2.0 * err - 2.0), -1)
    np.testing.assert_allclose(run(L.huber, t, p, delta=2.0), want)


def test_log_cosh_is_finite_for_huge_errors():
    got = run(L.log_cosh, np.zeros((1, 2)), np.array([[1000.0, -1000.0]]))
    np.testing.assert_allclose(got, [1000.0 - np.log(2.0)])


def test_hinge_losses_convert_01_labels_but_not_others():
    p = np.array([[0.3, -0.8, 1.5], [-0.2, 0.4, 2.0]])
    pm = np.array([[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]])
    want = np.mean(np.maximum(1 - pm * p, 0), -1)
    np.testing.assert_allclose(run(L.hinge, pm, p), want)
    np.testing.assert_allclose(run(L.hinge, (pm + 1) / 2, p), want)  # 0/1 labels
    np.testing.assert_allclose(run(L.squared_hinge, (pm + 1) / 2, p),
                               np.mean(np.maximum(1 - pm * p, 0) ** 2, -1))
    odd = np.array([[0.5, 0.0, 1.0], [1.0, 1.0, 0.0]])  # not all 0/1: used as given
    np.testing.assert_allclose(run(L.hinge, odd, p), np.mean(np.maximum(1 - odd * p, 0), -1))


def test_categorical_hinge():
    t = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = np.array([[0.3, 0.5, 0.9], [2.0, 0.1, 0.4]])
    pos, neg = np.sum(t * p, -1), np.max((1 - t) * p, -1)
    np.testing.assert_allclose(run(L.categorical_hinge, t, p), np.maximum(neg - pos + 1, 0))


def test_cosine_similarity_sign_and_zero_vectors():
    got = run(L.cosine_similarity, np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]),
              np.array([[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0], [3.0, 1.0]]))
    np.testing.assert_allclose(got, [0.0, -1.0, 1.0, 0.0], atol=1e-12)
    x = K.variable([[0.0, 0.0], [1.0, 2.0]], dtype="float64")
    g = K.eval(K.gradients(K.sum(L.cosine_similarity(x, K.constant([[1.0, 0.0], [0.0, 1.0]]))),
                           [x])[0])
    assert np.all(np.isfinite(g))


# ---- crossentropies: Keras's documented numbers and the stable paths ----

def test_keras_documented_values():
    y_true = [[0, 1, 0], [0, 0, 1]]
    y_pred = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    np.testing.assert_allclose(K.eval(L.categorical_crossentropy(y_true, y_pred)),
                               [0.0513, 2.303], atol=1e-3)
    np.testing.assert_allclose(K.eval(L.sparse_categorical_crossentropy([1, 2], y_pred)),
                               [0.0513, 2.303], atol=1e-3)
    np.testing.assert_allclose(K.eval(L.binary_crossentropy([[0, 1], [0, 0]],
                                                            [[0.6, 0.4], [0.4, 0.6]])),
                               [0.916, 0.714], atol=1e-3)
    cce = L.CategoricalCrossentropy()
    assert abs(K.eval(cce(y_true, y_pred)) - 1.177) < 1e-3
    assert abs(K.eval(cce(y_true, y_pred, sample_weight=np.array([0.3, 0.7]))) - 0.814) < 1e-3
    assert abs(K.eval(L.CategoricalCrossentropy(reduction="sum")(y_true, y_pred)) - 2.354) < 1e-3
    np.testing.assert_allclose(K.eval(L.CategoricalCrossentropy(reduction=None)(y_true, y_pred)),
                               [0.0513, 2.303], atol=1e-3)
    bce = L.BinaryCrossentropy(from_logits=True)
    y_true, logits = np.array([[0, 1], [0, 0]]), np.array([[-18.6, 0.51], [2.94, -12.8]])
    assert abs(K.eval(bce(y_true, logits)) - 0.8654) < 1e-3
    assert abs(K.eval(bce(y_true, logits, sample_weight=[0.8, 0.2])) - 0.243) < 1e-3
    assert abs(K.eval(L.BinaryCrossentropy(from_logits=True, reduction="sum")(y_true, logits))
               - 1.730) < 1e-3
    assert abs(K.eval(L.huber([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])).mean() - 0.155) < 1e-3
    assert abs(K.eval(L.log_cosh([[0., 1.], [0., 0.]], [[1., 1.], [0., 0.]])).mean()
               - 0.108) < 1e-3


def np_log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def test_categorical_crossentropy_logits_probs_and_smoothing():
    logits = rng.normal(0, 3, (5, 4))
    onehot = np.eye(4)[[0, 3, 1, 1, 2]]
    want = -np.sum(onehot * np_log_softmax(logits), -1)
    np.testing.assert_allclose(run(L.categorical_crossentropy, onehot, logits, from_logits=True),
                               want, rtol=1e-10)

    def softmaxed(t, p):
        return L.categorical_crossentropy(t, K.softmax(p))

    np.testing.assert_allclose(run(softmaxed, onehot, logits), want, rtol=1e-10)
    smooth = onehot * 0.8 + 0.2 / 4
    np.testing.assert_allclose(
        run(L.categorical_crossentropy, onehot, logits, from_logits=True, label_smoothing=0.2),
        -np.sum(smooth * np_log_softmax(logits), -1), rtol=1e-10)
    probs = np.exp(np_log_softmax(logits))
    np.testing.assert_allclose(run(L.categorical_crossentropy, onehot, probs), want, rtol=1e-6)


def test_crossentropies_are_finite_for_saturated_outputs():
    logits = K.constant([[1e4, -1e4], [-1e4, 1e4]])
    cce = K.eval(L.categorical_crossentropy(K.constant([[0., 1.], [0., 1.]]), K.softmax(logits)))
    np.testing.assert_allclose(cce, [2e4, 0.0])
    bce = K.eval(L.binary_crossentropy(K.constant([[0.], [1.]]), K.sigmoid(K.constant([[1e4],
                                                                                      [1e4]]))))
    np.testing.assert_allclose(bce, [1e4, 0.0])
    # plain probabilities of exactly 0 and 1 are clipped to [eps, 1 - eps]: finite too
    assert np.all(np.isfinite(K.eval(L.binary_crossentropy([[1.0, 0.0]], [[0.0, 1.0]]))))


def test_sparse_categorical_crossentropy_target_shapes_and_dtypes():
    logits = rng.normal(0, 2, (4, 5))
    ids = np.array([4, 0, 2, 2])
    want = -np_log_softmax(logits)[np.arange(4), ids]
    for targets in (ids, ids[:, None], ids.astype("float64"), ids[:, None].astype("int32")):
        t = K.placeholder((None,) + targets.shape[1:], dtype=targets.dtype.name)
        p = K.placeholder((None, 5), dtype="float64")
        f = K.function([t, p], [L.sparse_categorical_crossentropy(t, p, from_logits=True),
                                L.SparseCategoricalCrossentropy()(t, K.softmax(p))])
        per_sample, mean = f([targets, logits])
        np.testing.assert_allclose(per_sample, want, rtol=1e-10)
        np.testing.assert_allclose(mean, want.mean(), rtol=1e-10)
    with pytest.raises(NotImplementedError, match="ignore_class"):
        L.sparse_categorical_crossentropy(ids, logits, ignore_class=0)


def test_binary_crossentropy_logits_smoothing_and_rank_alignment():
    logits = rng.normal(0, 3, (6, 1))
    t = rng.integers(0, 2, (6, 1)).astype("float64")
    p = 1 / (1 + np.exp(-logits))
    want = -(t * np.log(p) + (1 - t) * np.log(1 - p))[:, 0]
    np.testing.assert_allclose(run(L.binary_crossentropy, t, logits, from_logits=True), want)

    def sigmoided(a, b):
        return L.binary_crossentropy(a, K.sigmoid(b))

    np.testing.assert_allclose(run(sigmoided, t, logits), want)
    ts = t * 0.9 + 0.05
    np.testing.assert_allclose(
        run(L.binary_crossentropy, t, logits, from_logits=True, label_smoothing=0.1),
        -(ts * np.log(p) + (1 - ts) * np.log(1 - p))[:, 0])
    # targets (batch,) against predictions (batch, 1): one loss per sample, not (6, 6)
    got = run(sigmoided, t[:, 0], logits)
    assert got.shape == (6,)
    np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(K.eval(L.BinaryCrossentropy(from_logits=True)(t[:, 0], logits)),
                               want.mean())


# ---- classes, reductions, sample weights ----

CLASSES = {
    L.MeanSquaredError: L.mean_squared_error, L.MeanAbsoluteError: L.mean_absolute_error,
    L.MeanAbsolutePercentageError: L.mean_absolute_percentage_error,
    L.MeanSquaredLogarithmicError: L.mean_squared_logarithmic_error,
    L.CosineSimilarity: L.cosine_similarity, L.Huber: L.huber, L.LogCosh: L.log_cosh,
    L.Hinge: L.hinge, L.SquaredHinge: L.squared_hinge, L.CategoricalHinge: L.categorical_hinge,
    L.KLDivergence: L.kl_divergence, L.Poisson: L.poisson,
    L.BinaryCrossentropy: L.binary_crossentropy,
    L.CategoricalCrossentropy: L.categorical_crossentropy,
}


@pytest.mark.parametrize("cls", list(CLASSES), ids=lambda c: c.__name__)
def test_class_is_the_mean_of_its_function(cls):
    per_sample = run(CLASSES[cls], T, P)
    np.testing.assert_allclose(run(lambda t, p: cls()(t, p), T, P), per_sample.mean(),
                               rtol=1e-10)
    w = np.arange(6.0)
    np.testing.assert_allclose(run(lambda t, p: cls()(t, p, sample_weight=w), T, P),
                               (per_sample * w).mean(), rtol=1e-10)


def test_reductions():
    per_sample = REFERENCE["mean_squared_error"](T, P)
    w = np.array([0.0, 1.0, 2.0, 0.0, 1.0, 0.5])

    def loss(reduction, weights=None):
        return run(lambda t, p: L.MeanSquaredError(reduction=reduction)(t, p, weights), T, P)

    np.testing.assert_allclose(loss("sum"), per_sample.sum())
    np.testing.assert_allclose(loss("none"), per_sample)
    np.testing.assert_allclose(loss(None, w), per_sample * w)
    np.testing.assert_allclose(loss("mean", w), (per_sample * w).mean())
    np.testing.assert_allclose(loss("mean_with_sample_weight", w), (per_sample * w).sum() / 4.5)
    np.testing.assert_allclose(loss("mean_with_sample_weight", np.zeros(6)), 0.0)
    np.testing.assert_allclose(loss("sum_over_batch_size", w[:, None]), (per_sample * w).mean())
    assert L.MeanSquaredError(reduction="auto").reduction == "sum_over_batch_size"
    with pytest.raises(ValueError, match="reduction"):
        L.MeanSquaredError(reduction="average")


def test_custom_loss_subclass_and_wrapper():
    class Cubed(L.Loss):
        def call(self, y_true, y_pred):
            return K.mean((y_pred - y_true) ** 3, axis=-1)

    loss = Cubed()
    assert loss.name == "cubed"
    np.testing.assert_allclose(run(lambda t, p: loss(t, p), T, P), np.mean((P - T) ** 3))
    wrapped = L.LossFunctionWrapper(L.huber, delta=0.1)
    np.testing.assert_allclose(run(lambda t, p: wrapped(t, p), T, P),
                               run(L.huber, T, P, delta=0.1).mean())
    back = L.deserialize(L.serialize(wrapped))
    assert back.fn is L.huber and back.get_config() == wrapped.get_config()


# ---- gradients ----

@pytest.mark.parametrize("build", [
    lambda t, p: L.mean_squared_error(t, p),
    lambda t, p: L.mean_absolute_percentage_error(t, p),
    lambda t, p: L.mean_squared_logarithmic_error(t, p),
    lambda t, p: L.cosine_similarity(t, p),
    lambda t, p: L.log_cosh(t, p),
    lambda t, p: L.huber(t, p, delta=0.3),
    lambda t, p: L.kl_divergence(t, p),
    lambda t, p: L.poisson(t, p),
    lambda t, p: L.categorical_crossentropy(t, K.softmax(p)),
    lambda t, p: L.categorical_crossentropy(t, p, from_logits=True, label_smoothing=0.1),
    lambda t, p: L.binary_crossentropy(t, K.sigmoid(p)),
    lambda t, p: L.binary_crossentropy(t, p),
    lambda t, p: L.CategoricalCrossentropy(from_logits=True)(t, p, sample_weight=[1, 2, 3]),
])
def test_gradients_match_finite_differences(build):
    t = np.array([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1]])
    p = np.array([[0.3, 0.25, 0.45], [0.2, 0.6, 0.2], [0.5, 0.15, 0.35]])
    check_gradients(lambda pp: build(K.constant(t, dtype="float64"), pp), [p], rtol=1e-4)


# ---- lookup and configs ----

@pytest.mark.parametrize("name, fn", [
    ("mse", L.mean_squared_error), ("MSE", L.mean_squared_error),
    ("mae", L.mean_absolute_error), ("mape", L.mean_absolute_percentage_error),
    ("msle", L.mean_squared_logarithmic_error), ("kld", L.kl_divergence),
    ("KLD", L.kl_divergence), ("kullback_leibler_divergence", L.kl_divergence),
    ("logcosh", L.log_cosh), ("bce", L.binary_crossentropy),
    ("categorical_crossentropy", L.categorical_crossentropy),
    ("sparse_categorical_crossentropy", L.sparse_categorical_crossentropy),
    ("hinge", L.hinge), ("cosine_similarity", L.cosine_similarity),
])
def test_get_names_and_aliases(name, fn):
    assert L.get(name) is fn
    assert L.deserialize(L.serialize(fn)) is fn


def test_module_aliases():
    assert L.mse is L.MSE is L.mean_squared_error and L.mae is L.mean_absolute_error
    assert L.kld is L.kullback_leibler_divergence is L.kl_divergence


@pytest.mark.parametrize("loss", [
    L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, axis=-1),
    L.SparseCategoricalCrossentropy(from_logits=True, name="scce", reduction="sum"),
    L.BinaryCrossentropy(label_smoothing=0.2), L.Huber(delta=0.5), L.CosineSimilarity(axis=0),
    L.MeanSquaredError(reduction=None), L.Poisson(), L.KLDivergence(), L.Hinge(),
], ids=lambda x: type(x).__name__)
def test_loss_objects_round_trip(loss):
    saved = L.serialize(loss)
    assert saved["class_name"] == type(loss).__name__
    back = L.deserialize(saved)
    assert type(back) is type(loss) and back.get_config() == loss.get_config()
    assert L.get(saved).get_config() == loss.get_config()
    assert L.get(loss) is loss


def test_keras_config_of_categorical_crossentropy():
    assert L.CategoricalCrossentropy(from_logits=True).get_config() == {
        "name": "categorical_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": True, "label_smoothing": 0.0, "axis": -1}
    assert L.serialize(L.mse) == {"module": "keras.losses", "class_name": "function",
                                  "config": "mean_squared_error",
                                  "registered_name": "mean_squared_error"}


def test_get_classes_callables_and_errors():
    assert isinstance(L.get("CategoricalCrossentropy"), L.CategoricalCrossentropy)
    assert isinstance(L.get(L.Huber), L.Huber)
    assert L.get(None) is None

    def my(t, p):
        return K.mean(p - t, axis=-1)

    assert L.get(my) is my
    with pytest.raises(ValueError, match="valid names.*'categorical_crossentropy'"):
        L.get("categorical_crossentropyy")
    with pytest.raises(ValueError, match="cannot serialize"):
        L.serialize(my)
    with pytest.raises(ValueError):
        L.get(12)
