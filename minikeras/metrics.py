"""Metrics: numbers that tell a person how training goes. They are not minimised.

Like Keras 2's metrics, each is a function ``metric(y_true, y_pred)`` giving one value per
sample; training averages them over each batch and epoch. Accuracies compare predicted
classes with the targets; every loss function works as a metric too
(``metrics=['mae']``).

``'accuracy'`` (or ``'acc'``) in ``compile`` means "the accuracy that fits this model";
:func:`resolve` picks it, as Keras does.

>>> import minikeras.backend as K
>>> y_true = K.constant([[0., 0., 1.], [0., 1., 0.]])
>>> y_pred = K.constant([[0.1, 0.9, 0.8], [0.05, 0.95, 0.]])
>>> K.eval(categorical_accuracy(y_true, y_pred))
array([0., 1.], dtype=float32)
"""
from __future__ import annotations

from collections.abc import Callable

from minikeras import config, ops
from minikeras import losses as _losses
from minikeras.losses.functions import _l2_normalize
from minikeras.losses.loss import _tensor, squeeze_or_expand_to_same_rank
from minikeras.tensor import Tensor


def _floats(boolean: Tensor) -> Tensor:
    return ops.cast(boolean, config.floatx())


# ---------------------------------------------------------------- accuracies


def accuracy(y_true, y_pred) -> Tensor:
    """How often the prediction equals the target exactly, averaged over the last axis.

    >>> import minikeras.backend as K
    >>> K.eval(accuracy(K.constant([[1.], [2.], [3.], [4.]]), K.constant([[0.], [2.], [3.], [4.]])))
    array([0., 1., 1., 1.], dtype=float32)
    """
    y_pred = _tensor(y_pred)
    y_true = ops.cast(_tensor(y_true), y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(_floats(ops.equal(y_true, y_pred)), axis=-1)


def binary_accuracy(y_true, y_pred, threshold: float = 0.5) -> Tensor:
    """How often ``y_pred > threshold`` matches the 0/1 target, averaged over the last axis.

    >>> import minikeras.backend as K
    >>> K.eval(binary_accuracy(K.constant([[1.], [1.], [0.], [0.]]),
    ...                        K.constant([[0.98], [1.], [0.], [0.6]])))
    array([1., 1., 1., 0.], dtype=float32)
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(_tensor(y_true), _tensor(y_pred))
    predicted = ops.cast(ops.greater(y_pred, threshold), y_true.dtype)
    return ops.mean(_floats(ops.equal(y_true, predicted)), axis=-1)


def categorical_accuracy(y_true, y_pred) -> Tensor:
    """1 where the most likely class (argmax) is the one-hot target's class, else 0.

    >>> import minikeras.backend as K
    >>> y_true, y_pred = K.constant([[0., 1.], [1., 0.]]), K.constant([[0.3, 0.7], [0.2, 0.8]])
    >>> K.eval(categorical_accuracy(y_true, y_pred))
    array([1., 0.], dtype=float32)
    """
    return _floats(ops.equal(ops.argmax(_tensor(y_true), -1), ops.argmax(_tensor(y_pred), -1)))


def _class_ids(y_true, y_pred: Tensor) -> Tensor:
    """Integer targets of shape (batch,): a trailing axis of size 1 is dropped."""
    y_true = _tensor(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    return y_true


def sparse_categorical_accuracy(y_true, y_pred) -> Tensor:
    """Like categorical_accuracy, with integer class ids as targets.

    >>> import minikeras.backend as K
    >>> K.eval(sparse_categorical_accuracy(K.constant([[2.], [1.]]),
    ...                                    K.constant([[0.1, 0.6, 0.3], [0.05, 0.95, 0.]])))
    array([0., 1.], dtype=float32)
    """
    y_pred = _tensor(y_pred)
    y_true = _class_ids(y_true, y_pred)
    predicted = ops.cast(ops.argmax(y_pred, -1), y_true.dtype)
    return _floats(ops.equal(y_true, predicted))


def _in_top_k(targets: Tensor, predictions: Tensor, k: int) -> Tensor:
    """1.0 where the target class's score is among the k largest of its row.

    It is in the top k exactly when fewer than k scores are strictly larger, so ties
    at the boundary count as in (the rule of TensorFlow's and Keras's in_top_k).
    """
    n_classes = predictions.shape[-1]
    is_target = ops.one_hot(ops.cast(targets, "int64"), n_classes, "bool")
    target_score = ops.sum(ops.where(is_target, predictions, 0.0), axis=-1, keepdims=True)
    n_larger = ops.sum(_floats(ops.greater(predictions, target_score)), axis=-1)
    return _floats(ops.less(n_larger, float(k)))


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> Tensor:
    """1 where the one-hot target's class is among the ``k`` highest scores, else 0.

    >>> import minikeras.backend as K
    >>> y_true = K.constant([[0., 0., 1.], [0., 1., 0.]])
    >>> y_pred = K.constant([[0.1, 0.9, 0.8], [0.05, 0.95, 0.]])
    >>> K.eval(top_k_categorical_accuracy(y_true, y_pred, k=1))
    array([0., 1.], dtype=float32)
    """
    y_pred = _tensor(y_pred)
    return _in_top_k(ops.argmax(_tensor(y_true), -1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> Tensor:
    """Like top_k_categorical_accuracy, with integer class ids as targets.

    >>> import minikeras.backend as K
    >>> y_pred = K.constant([[0.1, 0.9, 0.8], [0.05, 0.95, 0.]])
    >>> K.eval(sparse_top_k_categorical_accuracy(K.constant([2., 1.]), y_pred, k=2))
    array([1., 1.], dtype=float32)
    """
    y_pred = _tensor(y_pred)
    return _in_top_k(_class_ids(y_true, y_pred), y_pred, k)


def cosine_similarity(y_true, y_pred, axis: int = -1) -> Tensor:
    """``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: +1 when aligned.

    As a metric (higher is better) the sign is positive, as in Keras 3's
    ``metrics.CosineSimilarity``; ``losses.cosine_similarity`` is its negative.

    >>> import minikeras.backend as K
    >>> y_true, y_pred = K.constant([[0., 2.], [1., 0.]]), K.constant([[0., 1.], [0., 1.]])
    >>> K.eval(cosine_similarity(y_true, y_pred))
    array([1., 0.], dtype=float32)
    """
    y_pred = _tensor(y_pred)
    y_true = ops.cast(_tensor(y_true), y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


# ---------------------------------------------------------------- losses as metrics

mean_squared_error = mse = MSE = _losses.mean_squared_error
mean_absolute_error = mae = MAE = _losses.mean_absolute_error
mean_absolute_percentage_error = mape = MAPE = _losses.mean_absolute_percentage_error
mean_squared_logarithmic_error = msle = MSLE = _losses.mean_squared_logarithmic_error
kl_divergence = kld = KLD = kullback_leibler_divergence = _losses.kl_divergence
log_cosh = logcosh = _losses.log_cosh
huber, poisson = _losses.huber, _losses.poisson
hinge, squared_hinge, categorical_hinge = (_losses.hinge, _losses.squared_hinge,
                                           _losses.categorical_hinge)
binary_crossentropy = _losses.binary_crossentropy
categorical_crossentropy = _losses.categorical_crossentropy
sparse_categorical_crossentropy = _losses.sparse_categorical_crossentropy


# ---------------------------------------------------------------- lookup by name

_BY_NAME: dict[str, Callable] = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, cosine_similarity,
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, log_cosh, huber, hinge, squared_hinge,
    categorical_hinge, kl_divergence, poisson, binary_crossentropy,
    categorical_crossentropy, sparse_categorical_crossentropy)}
_BY_NAME.update(_losses.ALIASES)  # 'mse', 'mae', ...: the losses' short names


def get(identifier) -> Callable | None:
    """A metric function from its name (or an alias such as 'mae'), or the function itself.

    >>> get('mae') is mean_absolute_error, get(accuracy) is accuracy
    (True, True)
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"unknown metric {identifier!r}; valid names are "
                             f"{sorted(_BY_NAME)} (and 'acc' in compile)")
        return _BY_NAME[identifier]
    if callable(identifier):
        return identifier
    raise ValueError(f"could not interpret metric {identifier!r}: pass a name or a "
                     f"function(y_true, y_pred)")


def _loss_function(loss):
    """The per-sample function behind a loss given as a name, function or Loss object."""
    loss = _losses.get(loss) if isinstance(loss, (str, dict)) else loss
    return loss.fn if isinstance(loss, _losses.LossFunctionWrapper) else loss


def resolve(metric, loss=None, output_shape=None,
            target_shape=None) -> tuple[str, Callable]:
    """(display name, function) for a metric given to ``compile``.

    'accuracy' and 'acc' become the accuracy that fits the model, as Keras chooses it:
    ``binary_accuracy`` when the loss is binary crossentropy or the output has one unit;
    ``sparse_categorical_accuracy`` when the loss is sparse categorical crossentropy (or
    the targets' shape shows integer labels: a lower rank than the output, or a last axis
    of 1 against several output units); ``categorical_accuracy`` otherwise. Names keep
    the spelling the user wrote; functions are named by ``__name__``.

    >>> resolve('acc', loss='binary_crossentropy')[1] is binary_accuracy
    True
    >>> name, fn = resolve('accuracy', loss='sparse_categorical_crossentropy')
    >>> name, fn.__name__
    ('accuracy', 'sparse_categorical_accuracy')
    >>> resolve('mae')[0], resolve(mean_squared_error)[0]
    ('mae', 'mean_squared_error')
    """
    if isinstance(metric, str) and metric.lower() in ("accuracy", "acc"):
        loss_fn = _loss_function(loss)
        units = output_shape[-1] if output_shape else None
        sparse_targets = (target_shape is not None and output_shape is not None and
                          (len(target_shape) < len(output_shape) or
                           (target_shape[-1] == 1 and units not in (None, 1))))
        if loss_fn in (binary_crossentropy, ops.binary_crossentropy) or units == 1:
            fn = binary_accuracy
        elif (loss_fn in (sparse_categorical_crossentropy,
                          ops.sparse_categorical_crossentropy) or sparse_targets):
            fn = sparse_categorical_accuracy
        else:
            fn = categorical_accuracy
        return metric, fn
    fn = get(metric)
    if isinstance(metric, str):
        return metric, fn
    return getattr(fn, "name", None) or getattr(fn, "__name__", type(fn).__name__), fn
