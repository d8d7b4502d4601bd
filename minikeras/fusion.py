"""Rewriting an execution plan: a few common patterns of nodes become one fused kernel.

The graph a learner builds (and prints, and differentiates) never changes. Only the plan
a compiled function runs is rewritten. Two patterns of the classic MLP:

* ``'bias_add'``, forward: a Dense layer's bias add that feeds nothing but an activation,
  ``tanh(add(z, b))``, runs as one kernel, ``bias_tanh(z, b)``;
* ``'scaled_gradient'``, backward: the gradient coming back through dropout, ``g * mask``,
  times the activation's slope: ``tanh_grad(multiply(g, mask), y)`` runs as
  ``tanh_grad_scaled(g, mask, y, like)``.

* ``'positive_mask'``, backward: relu's gradient ``where(greater(y, 0), g, 0)`` runs as
  ``relu_grad(g, y)``, with no boolean mask stored in between;
* ``'conv_bias_add'``, forward: the same with a convolution before the bias add,
  ``relu(add(conv(x, w), b))``, runs as ``conv_bias_relu(x, w, b)``, which applies bias
  and relu to the convolution's result in place (channels last).

Each saves a whole pass over memory, and the intermediate is never stored. Which kernel
fuses which activation, the kernels declare themselves (``fuses = ('tanh', 'bias_add')``,
see ``minikeras.kernels``); this module only knows the two patterns, and uses a fused
kernel where the device has one.

``MINIKERAS_FUSE=0`` turns rewriting off: the plain plan gives the same numbers.

>>> import minikeras.backend as K
>>> x = K.placeholder(shape=(None, 3))
>>> y = K.tanh(K.dot(x, K.ones((3, 2))) + K.zeros((2,)))
>>> [name for _, name, _, _ in plan(K.function([x], [y]).nodes)]
['matmul', 'bias_tanh']
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from minikeras import kernels
from minikeras.tensor import Constant


def _is_bias_add(node) -> bool:
    """``z + b`` with a 1-D bias along z's last axis, all of one float type."""
    if node.op is None or node.op.name != "add":
        return False
    z, b = node.inputs
    return (b.ndim == 1 and z.ndim >= 2 and z.shape[-1] is not None
            and z.shape[-1] == b.shape[0] and z.dtype == b.dtype == node.dtype
            and node.dtype in ("float32", "float64"))


def _is_zero(t) -> bool:
    return isinstance(t, Constant) and np.ndim(t.value) == 0 and t.value == 0


def _is_positive_mask(node) -> bool:
    """``where(greater(y, 0), g, 0)`` with g shaped like y, all of one float type."""
    if node.op is None or node.op.name != "where":
        return False
    cond, g, zero = node.inputs
    if cond.op is None or cond.op.name != "greater" or not _is_zero(zero):
        return False
    y, threshold = cond.inputs
    return (_is_zero(threshold) and g.shape == y.shape == node.shape
            and g.dtype == y.dtype == node.dtype and node.dtype in ("float32", "float64"))


def _is_conv(node) -> bool:
    """A channels_last convolution (whose channels axis is the last, as the bias's)."""
    return node.op is not None and node.op.name == "conv" and \
        node.attrs["data_format"] == "channels_last"


def _is_plain_product(node, user) -> bool:
    """``g * s`` of one shape and float type (no broadcasting), as the user's input."""
    if node is None or node.op is None or node.op.name != "multiply":
        return False
    g, s = node.inputs
    return (g.shape == s.shape == node.shape == user.shape and None not in node.shape[1:]
            and g.dtype == s.dtype == user.dtype)


def plan(nodes, keep=()) -> list[tuple[int, str, tuple[int, ...], dict]]:
    """(node index, kernel name, input indices, attrs) for each node that runs, in order.

    ``keep``: indices whose values must exist after the run (outputs, update values).
    """
    index = {id(node): i for i, node in enumerate(nodes)}
    readers = Counter(id(t) for node in nodes for t in node.inputs)
    steps = {i: (node.op.name, tuple(index[id(t)] for t in node.inputs), node.attrs)
             for i, node in enumerate(nodes) if node.op is not None}
    if not kernels.fusion_enabled():
        return [(i, *steps[i]) for i in sorted(steps)]

    def absorbable(t) -> bool:
        """Is ``t`` an intermediate that only the node being fused reads?"""
        return readers[id(t)] == 1 and index[id(t)] not in keep and index[id(t)] in steps

    def only_shape_read(t, user) -> bool:
        """Does nothing but ``user`` read ``t``'s values? ``sum_like(g, t)`` only reads
        its shape (the bias gradient's unbroadcast), which the fused result shares."""
        others = [n for n in nodes if n is not user and any(u is t for u in n.inputs)]
        return index[id(t)] not in keep and index[id(t)] in steps and all(
            n.op.name == "sum_like" and n.inputs[1] is t and n.inputs[0] is not t
            for n in others)

    same_shape_as = {}  # fused-away node -> a planned node of the same shape
    fused = kernels.fusions()  # (op, pattern) -> kernel name, on this device
    for i, node in enumerate(nodes):
        name = node.op.name if node.op is not None else None
        first = node.inputs[0] if node.inputs else None
        if (name, "conv_bias_add") in fused and _is_bias_add(first) and absorbable(first) \
                and _is_conv(first.inputs[0]) and only_shape_read(first.inputs[0], first):
            conv, b = first.inputs
            x, w = conv.inputs
            steps[i] = (fused[name, "conv_bias_add"],
                        (index[id(x)], index[id(w)], index[id(b)]), conv.attrs)
            del steps[index[id(first)]], steps[index[id(conv)]]
            same_shape_as[index[id(conv)]] = i  # sum_like(g, conv) reads only its shape
        elif (name, "positive_mask") in fused and _is_positive_mask(node) and \
                absorbable(first):
            g, y = node.inputs[1], first.inputs[0]
            steps[i] = (fused[name, "positive_mask"], (index[id(g)], index[id(y)]), {})
            del steps[index[id(first)]]
        elif (name, "bias_add") in fused and _is_bias_add(first) and absorbable(first):
            z, b = first.inputs
            steps[i] = (fused[name, "bias_add"], (index[id(z)], index[id(b)]), {})
            del steps[index[id(first)]]
        elif (name, "scaled_gradient") in fused:
            # the product may arrive through sum_like(g * s, like): a no-op when the shapes
            # agree at run time (the fused kernel checks, and falls back if they do not)
            like, product = node.inputs[1], first
            through = first is not None and first.op is not None and \
                first.op.name == "sum_like" and absorbable(first)
            if through:
                product, like = first.inputs
            if _is_plain_product(product, node) and absorbable(product):
                g, s = product.inputs
                ins = (index[id(g)], index[id(s)], index[id(node.inputs[1])], index[id(like)])
                steps[i] = (fused[name, "scaled_gradient"], ins, {})
                del steps[index[id(product)]]
                if through:
                    del steps[index[id(first)]]
    return [(i, name, tuple(same_shape_as.get(j, j) for j in ins), attrs)
            for i, (name, ins, attrs) in sorted(steps.items())]
