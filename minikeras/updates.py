"""Updates: how one call of a compiled function changes variables.

``K.function(inputs, outputs, updates)`` takes a list of updates of two kinds:

* a pair ``(variable, new_value)``: after the outputs are computed, ``variable`` takes
  the value of the tensor ``new_value`` (as Keras 2's ``K.update``);
* a ``FusedUpdate``, which optimizers emit: one step of one weight, *declared* as an
  in-place kernel (a name, the variables it overwrites, the tensors it reads, its
  attributes), together with the plain pairs that do the same arithmetic.

The optimizer does not decide which of the two runs. The compiler does (``choose``),
once, when the function is compiled: the in-place kernel where the device has it (one
pass over memory, no temporary arrays), else the plain pairs, which every device can
run. ``MINIKERAS_FUSE=0`` always takes the plain pairs; both give the same numbers.

Every update reads the *old* values: all new values are computed first, then written.

>>> import numpy as np, minikeras.backend as K
>>> w, m = K.variable([1.0], name="w"), K.variable([0.0], name="m")
>>> g, lr = K.constant([2.0]), K.constant(0.1)
>>> m_t = 0.9 * m - lr * g
>>> step = FusedUpdate("sgd_momentum_step", [w, m], [g, lr], [(m, m_t), (w, w + m_t)],
...                    momentum=0.9, nesterov=False)
>>> step
<fused sgd_momentum_step of w, m (or 2 plain updates)>
>>> _ = K.function([], [], updates=[step])([])
>>> np.round(K.get_value(w), 4), np.round(K.get_value(m), 4)
(array([0.8], dtype=float32), array([-0.2], dtype=float32))
"""
from __future__ import annotations

from collections.abc import Sequence

from minikeras import kernels
from minikeras.ops import as_tensor
from minikeras.tensor import Tensor, Variable


class FusedUpdate:
    """One optimizer step of one weight: an in-place kernel, and the plain pairs that do
    the same (the fallback, and the definition).

    ``kernel(*variable_arrays, *input_arrays, **attrs)`` reads the old values of its
    variables and the (already computed) inputs, such as the gradient and the learning
    rate, and overwrites the variables in one pass. It runs after every graph node, so it
    sees the same old values as the pairs do.
    """

    def __init__(self, kernel: str, variables: Sequence[Variable], inputs: Sequence[Tensor],
                 pairs: Sequence[tuple], **attrs):
        self.kernel, self.attrs = kernel, attrs
        self.variables, self.inputs = list(variables), list(inputs)
        self.pairs = [as_pair(p) for p in pairs]
        if {id(v) for v, _ in self.pairs} != {id(v) for v in self.variables}:
            raise ValueError(f"fused update {kernel!r}: the plain updates must change "
                             f"exactly its variables")

    def __repr__(self) -> str:
        names = ", ".join(v.name for v in self.variables)
        return f"<fused {self.kernel} of {names} (or {len(self.pairs)} plain updates)>"


def as_pair(update) -> tuple[Variable, Tensor]:
    """``(variable, new_value)`` with the new value as a tensor of the variable's dtype."""
    var, new = update
    if not isinstance(var, Variable):
        raise TypeError(f"an update must be (variable, new_value); got {var!r} first")
    return var, as_tensor(new, dtype=var.dtype)


def choose(updates) -> tuple[list[tuple], list[FusedUpdate]]:
    """Split ``updates`` into the plain pairs and the in-place steps this device runs.

    A fused update runs its kernel where the device's table has it (and fusion is on),
    else its plain pairs. A variable may be updated only once per function.

    >>> import minikeras.backend as K
    >>> v = K.variable(1.0)
    >>> choose([(v, v + 1)])[0][0][0] is v
    True
    """
    pairs, fused = [], []
    for update in updates:
        if not isinstance(update, FusedUpdate):
            pairs.append(as_pair(update))
        elif kernels.fusion_enabled() and kernels.has(update.kernel):
            fused.append(update)
        else:
            pairs.extend(update.pairs)
    seen = set()
    for var in [v for v, _ in pairs] + [v for u in fused for v in u.variables]:
        if id(var) in seen:
            raise ValueError(f"variable {var.name!r} is updated twice in one function")
        seen.add(id(var))
    return pairs, fused
