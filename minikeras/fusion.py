"""Rewriting an execution plan: a few common patterns of nodes become one fused kernel.

The graph a learner builds (and prints, and differentiates) never changes. Only the plan
a compiled function runs is rewritten: where a Dense layer's bias add feeds nothing but an
activation, ``tanh(add(z, b))`` runs as one kernel ``bias_tanh(z, b)`` that reads ``z``
once and writes the result once, and the intermediate sum is never stored.

``MINIKERAS_FUSE=0`` turns rewriting off: the plain plan gives the same numbers (to a few
units in the last place for tanh, whose fused kernel uses a rational approximation).

>>> import minikeras.backend as K
>>> x = K.placeholder(shape=(None, 3))
>>> y = K.tanh(K.dot(x, K.ones((3, 2))) + K.zeros((2,)))
>>> [name for _, name, _, _ in plan(K.function([x], [y]).nodes)]
['matmul', 'bias_tanh']
"""
from __future__ import annotations

from collections import Counter

from minikeras import kernels

BIAS_ACTIVATIONS = {"tanh": "bias_tanh", "relu": "bias_relu"}


def _is_bias_add(node) -> bool:
    """``z + b`` with a 1-D bias along z's last axis, all of one float type."""
    if node.op is None or node.op.name != "add":
        return False
    z, b = node.inputs
    return (b.ndim == 1 and z.ndim >= 2 and z.shape[-1] is not None
            and z.shape[-1] == b.shape[0] and z.dtype == b.dtype == node.dtype
            and node.dtype in ("float32", "float64"))


def plan(nodes, keep=()) -> list[tuple[int, str, tuple[int, ...], dict]]:
    """(node index, kernel name, input indices, attrs) for each node that runs, in order.

    ``keep``: indices whose values must exist after the run (outputs, update values).
    """
    index = {id(node): i for i, node in enumerate(nodes)}
    readers = Counter(id(t) for node in nodes for t in node.inputs)
    steps = {i: (node.op.name, tuple(index[id(t)] for t in node.inputs), node.attrs)
             for i, node in enumerate(nodes) if node.op is not None}
    if kernels.fusion_enabled():
        for i, node in enumerate(nodes):
            if node.op is None or node.op.name not in BIAS_ACTIVATIONS:
                continue
            added = node.inputs[0]
            a = index[id(added)]
            fused = BIAS_ACTIVATIONS[node.op.name]
            if (_is_bias_add(added) and readers[id(added)] == 1 and a not in keep
                    and kernels.has(fused)):
                z, b = added.inputs
                steps[i] = (fused, (index[id(z)], index[id(b)]), {})
                del steps[a]
    return [(i, *steps[i]) for i in sorted(steps)]
