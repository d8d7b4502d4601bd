"""Rewriting an execution plan: a few common patterns of nodes become one fused kernel.

The graph a learner builds (and prints, and differentiates) never changes. Only the plan
a compiled function runs is rewritten. Patterns of the classic MLP and convnet:

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

Each saves a whole pass over memory, and the intermediate is never stored. Three more
patterns give a kernel with *several results*, where the step needs every one of them:

* ``'dropout'``: ``y = bias_tanh(z, b)``, its dropout mask and ``y * mask`` (the backward
  pass reads y and the mask, the next layer the product): ``bias_tanh_dropout``;
* ``'bias_gradient'``: an activation's gradient and the Dense bias's gradient, its sum
  over the batch, in the same pass: ``tanh_grad_scaled_bias``...;
* ``'loss_gradient'``: the softmax crossentropy also hands on the softmax it computed
  (a value with no node of its own), and its gradient starts from it:
  ``softmax_crossentropy_softmax`` + ``softmax_crossentropy_grad_from_softmax``.

Which kernel fuses which pattern, the kernels declare themselves (``fuses = ('tanh',
'bias_add')``, see ``minikeras.kernels``); this module only knows the patterns, and uses a
fused kernel where the device has one.

``MINIKERAS_FUSE=0`` turns rewriting off: the plain plan gives the same numbers.

>>> import minikeras.backend as K
>>> x = K.placeholder(shape=(None, 3))
>>> y = K.tanh(K.dot(x, K.ones((3, 2))) + K.zeros((2,)))
>>> [step.kernel for step in plan(K.function([x], [y]).nodes)]
['matmul', 'bias_tanh']
"""
from __future__ import annotations

from collections import Counter
from typing import NamedTuple

import numpy as np

from minikeras import kernels
from minikeras.tensor import Constant


class Planned(NamedTuple):
    """One kernel call of a plan: ``kernel(*inputs, **attrs)`` computes ``outputs``.

    Indices count the graph's nodes (in topological order). Most kernels compute one
    node; a fused kernel with several results computes several (its result is then a
    tuple, in this order), and may pass a value the graph has no node for to a later
    step: such a value gets an index past the last node's.
    """

    outputs: tuple[int, ...]
    kernel: str
    inputs: tuple[int, ...]
    attrs: dict


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


def plan(nodes, keep=()) -> list[Planned]:
    """The kernel calls that compute ``nodes`` (those with an op), in order.

    ``keep``: indices whose values must exist after the run (outputs, update values).
    """
    index = {id(node): i for i, node in enumerate(nodes)}
    steps = {i: Planned((i,), node.op.name, tuple(index[id(t)] for t in node.inputs),
                        node.attrs)
             for i, node in enumerate(nodes) if node.op is not None}
    if not kernels.fusion_enabled():
        return [steps[i] for i in sorted(steps)]
    fused = kernels.fusions()  # (op or kernel, pattern) -> fused kernel, on this device
    same_shape_as = _fuse_one_output(nodes, index, steps, keep, fused)
    _fuse_dropout(nodes, index, steps, fused)
    _fuse_bias_gradient(nodes, index, steps, fused)
    _fuse_loss_gradient(nodes, index, steps, fused)
    return [step._replace(inputs=tuple(same_shape_as.get(j, j) for j in step.inputs))
            for _, step in sorted(steps.items())]


def _fuse_one_output(nodes, index, steps, keep, fused) -> dict[int, int]:
    """'conv_bias_add', 'positive_mask', 'bias_add' and 'scaled_gradient': a node and the
    intermediates only it reads. Returns {fused-away node: a planned node of the same
    shape}, for the steps that read only a fused-away node's shape."""
    readers = Counter(id(t) for node in nodes for t in node.inputs)

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

    same_shape_as = {}
    for i, node in enumerate(nodes):
        name = node.op.name if node.op is not None else None
        first = node.inputs[0] if node.inputs else None
        if (name, "conv_bias_add") in fused and _is_bias_add(first) and absorbable(first) \
                and _is_conv(first.inputs[0]) and only_shape_read(first.inputs[0], first):
            conv, b = first.inputs
            x, w = conv.inputs
            steps[i] = Planned((i,), fused[name, "conv_bias_add"],
                               (index[id(x)], index[id(w)], index[id(b)]), conv.attrs)
            del steps[index[id(first)]], steps[index[id(conv)]]
            same_shape_as[index[id(conv)]] = i  # sum_like(g, conv) reads only its shape
        elif (name, "positive_mask") in fused and _is_positive_mask(node) and \
                absorbable(first):
            g, y = node.inputs[1], first.inputs[0]
            steps[i] = Planned((i,), fused[name, "positive_mask"],
                               (index[id(g)], index[id(y)]), {})
            del steps[index[id(first)]]
        elif (name, "bias_add") in fused and _is_bias_add(first) and absorbable(first):
            z, b = first.inputs
            steps[i] = Planned((i,), fused[name, "bias_add"], (index[id(z)], index[id(b)]), {})
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
                steps[i] = Planned((i,), fused[name, "scaled_gradient"], ins, {})
                del steps[index[id(product)]]
                if through:
                    del steps[index[id(first)]]
    return same_shape_as


def _fuse_dropout(nodes, index, steps, fused) -> None:
    """'dropout': ``y = bias_tanh(z, b)``, its mask ``m = bernoulli_like(y)`` and the
    product ``y * m`` become one kernel with three results (the backward pass needs y
    and m, the next layer y * m)."""
    for d, node in enumerate(nodes):
        if node.op is None or node.op.name != "multiply" or d not in steps:
            continue
        for y, m in (node.inputs, node.inputs[::-1]):
            yi, mi = index[id(y)], index[id(m)]
            step = steps.get(yi)
            if (step is not None and step.outputs == (yi,)
                    and (step.kernel, "dropout") in fused and mi in steps
                    and m.op is not None and m.op.name == "bernoulli_like"
                    and m.inputs[0] is y and y.shape == m.shape == node.shape
                    and y.dtype == m.dtype == node.dtype):
                steps[yi] = Planned((yi, mi, d), fused[step.kernel, "dropout"], step.inputs,
                                    {**step.attrs, **m.attrs})
                del steps[mi], steps[d]
                break


def _fuse_bias_gradient(nodes, index, steps, fused) -> None:
    """'bias_gradient': a Dense bias's gradient, ``sum_like(d, b)`` with a 1-D b along
    d's last axis, is summed in the same pass that computes d (an activation's gradient)."""
    for i, node in enumerate(nodes):
        if node.op is None or node.op.name != "sum_like" or i not in steps:
            continue
        d, b = node.inputs
        di = index[id(d)]
        step = steps.get(di)
        if (step is not None and step.outputs == (di,)
                and (step.kernel, "bias_gradient") in fused and b.ndim == 1
                and d.ndim >= 2 and b.shape[0] is not None and d.shape[-1] == b.shape[0]
                and d.dtype == b.dtype == node.dtype):
            steps[di] = Planned((di, i), fused[step.kernel, "bias_gradient"],
                                step.inputs + (index[id(b)],), step.attrs)
            del steps[i]


def _fuse_loss_gradient(nodes, index, steps, fused) -> None:
    """'loss_gradient': the crossentropy of a softmax also hands its gradient the softmax
    it computed (a value with no node: its slot comes after the nodes'), so the gradient
    step takes no second exp pass."""
    if ("softmax_crossentropy", "loss_gradient") not in fused or \
            not kernels.has("softmax_crossentropy_grad_from_softmax"):
        return
    losses = {(step.inputs, step.attrs.get("axis")): i for i, step in steps.items()
              if step.kernel == "softmax_crossentropy" and step.outputs == (i,)}
    extra = len(nodes)
    for i, step in list(steps.items()):
        if step.kernel != "softmax_crossentropy_grad":
            continue
        g, target, logits = step.inputs
        li = losses.pop(((target, logits), step.attrs.get("axis")), None)
        if li is not None:
            steps[li] = Planned((li, extra), fused["softmax_crossentropy", "loss_gradient"],
                                steps[li].inputs, steps[li].attrs)
            steps[i] = Planned((i,), "softmax_crossentropy_grad_from_softmax",
                               (g, target, extra), step.attrs)
            extra += 1
