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
from minikeras.ops.activations import log_softmax, relu, softmax, softplus
from minikeras.ops.broadcast import unbroadcast
from minikeras.ops.core import Op, Tensor, as_tensors, broadcasting
from minikeras.ops.elementwise import cast, clip, greater, log, negative, where
from minikeras.ops.reductions import sum
from minikeras.ops.shapes import check_ids, expand_dims, one_hot, squeeze


def _logits_of(output: Tensor, op_name: str) -> Tensor | None:
    """If ``output`` was made by softmax/sigmoid, the tensor it was applied to."""
    return output.inputs[0] if output.op is not None and output.op.name == op_name else None


# ---- softmax + crossentropy as one op, with a one-kernel gradient ----
def _softmax_xent_infer(target, logits, axis):
    shape, dtype = broadcasting(target, logits)
    return tuple(d for i, d in enumerate(shape) if i != axis), dtype


def _softmax_xent_grad(y, g):
    """dL/dz = g (softmax(z) sum(t) - t), in one kernel; dL/dt = -g log_softmax(z)."""
    target, logits = y.inputs
    axis = y.attrs["axis"]
    g_k = expand_dims(g, axis)
    return [unbroadcast(negative(g_k * log_softmax(logits, axis=axis)), target),
            unbroadcast(softmax_crossentropy_grad(g, target, logits, axis), logits)]


def _softmax_xent_grad_grad(d, h):
    """d = g_k (p s - t) with p = softmax(z), s = sum(t): its three partial derivatives."""
    g, target, logits = d.inputs
    axis = d.attrs["axis"]
    p = softmax(logits, axis=axis)
    s = sum(target, axis=axis, keepdims=True)
    g_k = expand_dims(g, axis)
    hp = sum(h * p, axis=axis, keepdims=True)
    return [sum(h * (p * s - target), axis=axis),
            unbroadcast(g_k * (hp - h), target),
            unbroadcast(g_k * s * p * (h - hp), logits)]


_SOFTMAX_XENT = Op("softmax_crossentropy", _softmax_xent_infer, _softmax_xent_grad)
_SOFTMAX_XENT_GRAD = Op("softmax_crossentropy_grad",
                        lambda g, target, logits, axis: (logits.shape, logits.dtype),
                        _softmax_xent_grad_grad)


def softmax_crossentropy(target, logits, axis: int = -1) -> Tensor:
    """-sum(target * log_softmax(logits)) along ``axis``, as one op (a stable kernel)."""
    target, logits = as_tensors(target, logits)
    return _SOFTMAX_XENT(target, logits, axis=axis % logits.ndim)


def softmax_crossentropy_grad(g, target, logits, axis: int) -> Tensor:
    """g * (softmax(logits) * sum(target) - target): the crossentropy's gradient."""
    return _SOFTMAX_XENT_GRAD(g, target, logits, axis=axis)


def categorical_crossentropy(target, output, from_logits: bool = False,
                             axis: int = -1) -> Tensor:
    """-sum(target * log(p)) over ``axis``, with p = softmax(logits) or the given probs."""
    target, output = as_tensors(target, output)
    logits = output if from_logits else _logits_of(output, "softmax")
    if logits is not None and (from_logits or output.attrs.get("axis") ==
                               (axis % output.ndim)):
        return softmax_crossentropy(target, logits, axis=axis)
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
    if n_classes is not None:  # a negative id would pick a class from the end
        target = check_ids(target, n_classes, "the targets (class ids) of "
                                              "sparse_categorical_crossentropy")
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
