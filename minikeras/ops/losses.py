"""Crossentropies, the losses of classification, kept finite for any logits.

A network's last layer usually ends with softmax (or sigmoid). Taking the log of its
output loses precision when a probability rounds to 0, so when the output node *is* a
softmax (sigmoid), these functions go back to its input, the logits, and use the stable
``log_softmax`` (softplus) form, as Keras does. Other probability inputs are clipped to
[epsilon, 1 - epsilon] before the log.

>>> import minikeras.backend as K
>>> logits = K.constant([[1e4, -1e4]])
>>> K.eval(categorical_crossentropy(K.constant([[0., 1.]]), K.softmax(logits)))
array([20000.], dtype=float32)
"""
from __future__ import annotations

from minikeras import config
from minikeras.ops.activations import log_softmax, relu, softplus
from minikeras.ops.core import Tensor, as_tensors
from minikeras.ops.elementwise import cast, clip, greater, log, negative, where
from minikeras.ops.reductions import sum
from minikeras.ops.shapes import one_hot, squeeze


def _logits_of(output: Tensor, op_name: str) -> Tensor | None:
    """If ``output`` was made by softmax/sigmoid, the tensor it was applied to."""
    return output.inputs[0] if output.op is not None and output.op.name == op_name else None


def categorical_crossentropy(target, output, from_logits: bool = False,
                             axis: int = -1) -> Tensor:
    """-sum(target * log(p)) over ``axis``, with p = softmax(logits) or the given probs."""
    target, output = as_tensors(target, output)
    logits = output if from_logits else _logits_of(output, "softmax")
    if logits is not None and (from_logits or output.attrs.get("axis") ==
                               (axis % output.ndim)):
        return negative(sum(target * log_softmax(logits, axis=axis), axis=axis))
    eps = config.epsilon()
    probs = output / sum(output, axis=axis, keepdims=True)
    return negative(sum(target * log(clip(probs, eps, 1.0 - eps)), axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits: bool = False,
                                    axis: int = -1) -> Tensor:
    """Like categorical_crossentropy, with integer class ids as targets."""
    target, output = as_tensors(target, output)
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = squeeze(target, -1)  # (batch, 1) ids, as Keras allows
    if target.dtype not in ("int32", "int64", "uint8", "int16", "int8"):
        target = cast(target, "int64")
    n_classes = output.shape[axis]
    return categorical_crossentropy(one_hot(target, n_classes, output.dtype), output,
                                    from_logits=from_logits, axis=axis)


def binary_crossentropy(target, output, from_logits: bool = False) -> Tensor:
    """Elementwise -(t log p + (1 - t) log(1 - p)), with p = sigmoid(logits) or given."""
    target, output = as_tensors(target, output)
    logits = output if from_logits else _logits_of(output, "sigmoid")
    if logits is not None:
        # log(1 + e^-|x|) + max(x, 0) - x t: the same value, never overflowing. -|x| is
        # written with where so that at x = 0 its slope (+1) pairs with relu's (0) and the
        # gradient is sigmoid(0) - t there too (with abs, both slopes were 0: it gave -t)
        neg_abs = where(greater(logits, 0.0), negative(logits), logits)
        return relu(logits) - logits * target + softplus(neg_abs)
    eps = config.epsilon()
    p = clip(output, eps, 1.0 - eps)
    return negative(target * log(p) + (1.0 - target) * log(1.0 - p))
