"""What every loss shares: turning inputs into tensors of one rank, reducing per-sample
values to one number (with sample weights), and the base class ``Loss``.

>>> import minikeras.backend as K
>>> K.eval(reduce_weighted_values(K.constant([1.0, 3.0]), reduction="sum"))
array(4., dtype=float32)
"""
from __future__ import annotations

from minikeras import backend as K
from minikeras import config
from minikeras.ops import elementwise as ew
from minikeras.ops import reductions as red
from minikeras.ops import shapes as sh
from minikeras.tensor import Tensor
from minikeras.utils.naming import to_snake_case

# ---------------------------------------------------------------- preparing inputs


def _tensor(value) -> Tensor:
    """Tensors pass through; arrays, lists and numbers become floatx constants."""
    return value if isinstance(value, Tensor) else K.constant(value)


def _prepare(y_true, y_pred, same_rank: bool = True) -> tuple[Tensor, Tensor]:
    """Make both tensors, give y_true the dtype of y_pred, and line their ranks up."""
    y_pred = _tensor(y_pred)
    y_true = ew.cast(_tensor(y_true), y_pred.dtype)
    if same_rank:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return y_true, y_pred


def squeeze_or_expand_to_same_rank(x1: Tensor, x2: Tensor,
                                   expand_rank_1: bool = True) -> tuple[Tensor, Tensor]:
    """Line up ranks that differ by a trailing axis of size 1, as Keras 3 does.

    Targets of shape (batch,) against predictions of shape (batch, 1) would otherwise
    broadcast to (batch, batch) and give a silently wrong loss.

    >>> import numpy as np, minikeras.backend as K
    >>> a, b = squeeze_or_expand_to_same_rank(K.placeholder((None,)), K.placeholder((None, 1)))
    >>> a.shape, b.shape
    ((None, 1), (None, 1))
    """
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            x2 = sh.expand_dims(x2, -1)
        else:
            x1 = sh.squeeze(x1, -1)
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            x1 = sh.expand_dims(x1, -1)
        else:
            x2 = sh.squeeze(x2, -1)
    return x1, x2


# ---------------------------------------------------------------- reduction and classes

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def _divide_no_nan(a: Tensor, b: Tensor) -> Tensor:
    """a / b, and 0 where b is 0 (an empty batch, nothing left unmasked)."""
    zero = ew.equal(b, 0.0)
    return ew.where(zero, 0.0, a / ew.where(zero, 1.0, b))


def apply_mask(sample_weight, mask, dtype: str, reduction) -> Tensor | None:
    """Fold a mask (masked timesteps, from Masking or Embedding(mask_zero=True)) into the
    sample weights, as Keras 3 does.

    For the mean reductions each kept entry gets the weight ``total / kept`` (masked ones
    0), so the later division by the number of entries becomes a division by the number
    of *kept* entries: the mean over what the mask keeps. Sample weights multiply in; they
    are not normalised (an entry of weight 2 counts twice, over the same divisor).
    """
    if mask is None:
        return sample_weight
    mask = _tensor(mask)
    if reduction in ("mean", "sum_over_batch_size"):
        total = red.count(mask)
        kept = red.sum(ew.cast(mask, dtype))
        float_mask = ew.where(ew.cast(mask, "bool"), _divide_no_nan(
            ew.cast(total, dtype), kept), 0.0)
    else:
        float_mask = ew.cast(mask, dtype)
    if sample_weight is None:
        return float_mask
    sample_weight = ew.cast(_tensor(sample_weight), dtype)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    _check_weights_fit(float_mask, sample_weight)
    return sample_weight * float_mask


def _check_weights_fit(values: Tensor, weights: Tensor) -> None:
    """Keras multiplies (batch, time) values by (batch,) weights with broadcasting, which
    lines the batch up with the *time* axis: an error, or silently wrong numbers when the
    sizes happen to agree. Say so instead."""
    if weights.ndim < values.ndim and weights.ndim > 0:
        raise ValueError(
            f"sample weights of shape {weights.shape} cannot weight losses of shape "
            f"{values.shape} (one per sample and timestep): give one weight per entry, "
            f"shape {values.shape}, as Keras 3 needs (its per-sample weights would line "
            f"up with the wrong axis)")


def reduce_values(values: Tensor, sample_weight=None,
                  reduction: str | None = "sum_over_batch_size") -> Tensor:
    """Reduce (already weighted) values: 'sum', or a sum divided by the number of values
    ('sum_over_batch_size', 'mean') or by the sum of the weights
    ('mean_with_sample_weight'); 'none'/None keep them. A division by 0 gives 0."""
    if reduction in (None, "none") or values.ndim == 0 or values.shape == (0,):
        return values
    total = red.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = red.sum(ew.cast(sample_weight, total.dtype))
    else:
        divisor = red.count(values)
    return _divide_no_nan(total, divisor)


def reduce_weighted_values(values: Tensor, sample_weight=None, mask=None,
                           reduction: str | None = "sum_over_batch_size") -> Tensor:
    """Weight per-sample losses by ``sample_weight`` (and a mask), then reduce them to
    one number, exactly as Keras 3's ``reduce_weighted_values``.

    >>> import numpy as np, minikeras.backend as K
    >>> v = K.constant([1.0, 3.0])
    >>> K.eval(reduce_weighted_values(v)), K.eval(reduce_weighted_values(v, [1.0, 0.0]))
    (array(2., dtype=float32), array(0.5, dtype=float32))
    >>> K.eval(reduce_weighted_values(v, mask=K.constant([True, False], "bool")))
    array(1., dtype=float32)
    """
    values = _tensor(values)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        sample_weight = ew.cast(_tensor(sample_weight), values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        _check_weights_fit(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


class Loss:
    """Base class of the loss classes: ``call`` gives per-sample losses, ``__call__``
    weights and reduces them.

    >>> import numpy as np, minikeras.backend as K
    >>> class AbsoluteError(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return K.mean(K.abs(y_true - y_pred), axis=-1)
    >>> K.eval(AbsoluteError(reduction='sum')(K.constant([[1.], [2.]]), K.constant([[0.], [0.]])))
    array(3., dtype=float32)
    """

    def __init__(self, name: str | None = None, reduction="sum_over_batch_size",
                 dtype=None):
        if reduction == "auto":  # Keras 2 spelling
            reduction = "sum_over_batch_size"
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {list(REDUCTIONS)}, got {reduction!r}")
        self.name = name or to_snake_case(type(self).__name__)
        self.reduction = reduction
        self.dtype = dtype or config.floatx()

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        """The reduced loss; a mask the predictions carry (masked timesteps) is applied:
        masked entries do not count (Keras 3's ``apply_mask``)."""
        mask = getattr(y_pred, "_keras_mask", None)
        y_pred = y_pred if isinstance(y_pred, Tensor) else K.constant(y_pred, self.dtype)
        y_true = y_true if isinstance(y_true, Tensor) else K.constant(y_true, self.dtype)
        losses = self.call(y_true, y_pred)
        if mask is not None and mask.ndim != losses.ndim:
            mask = None  # the loss already reduced the masked axis away
        return reduce_weighted_values(losses, sample_weight, mask, self.reduction)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define call(y_true, y_pred)")

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"
