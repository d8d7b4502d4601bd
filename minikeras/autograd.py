"""Reverse-mode automatic differentiation, and a finite-difference checker to trust it.

``gradients(loss, wrt)`` walks the graph from ``loss`` back to the inputs in reverse
topological order. At each node it asks the op's backward rule for the gradients of the
node's inputs and adds them up where a tensor feeds several nodes. The rules are written
with ops, so the result is another graph: it can be printed, evaluated, and
differentiated again.

>>> import minikeras.backend as K
>>> x = K.variable(3.0)
>>> dy = gradients(x ** 3, [x])[0]          # 3 x^2
>>> d2y = gradients(dy, [x])[0]             # 6 x
>>> K.eval(dy), K.eval(d2y)
(array(27., dtype=float32), array(18., dtype=float32))
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from minikeras import ops
from minikeras.graph import Function
from minikeras.ops import as_tensor, ones_like, zeros_like
from minikeras.ops.core import is_float
from minikeras.tensor import Constant, Placeholder, Tensor, topological_order


def gradients(loss, wrt: Sequence[Tensor] | Tensor) -> list[Tensor]:
    """Symbolic d(sum of loss)/d(each tensor in wrt), as a list.

    A non-scalar ``loss`` is summed first (as TensorFlow and Keras do). A tensor the loss
    does not depend on gets a gradient of zeros. ``wrt`` may be one tensor instead of a
    list; the answer is still a list (as in Keras 2): ``(dw,) = gradients(loss, w)``.

    >>> import minikeras.backend as K
    >>> w = K.variable(2.0)
    >>> [K.eval(g) for g in gradients(w * w, w)]
    [array(4., dtype=float32)]
    """
    loss = as_tensor(loss)
    wrt = [wrt] if isinstance(wrt, Tensor) else list(wrt)
    order = topological_order([loss])
    # which nodes lie on a path from some wrt tensor? only those need a backward step
    targets = {id(t) for t in wrt}
    depends = {}
    for node in order:
        depends[id(node)] = id(node) in targets or any(depends[id(i)] for i in node.inputs)

    grads: dict[int, Tensor] = {id(loss): ones_like(loss)}
    for node in reversed(order):
        g = grads.get(id(node))
        if g is None or node.op is None or not depends[id(node)] or not node.op.grad:
            continue
        for inp, g_inp in zip(node.inputs, _backward(node, g)):
            if g_inp is None or not depends[id(inp)] or not is_float(inp):
                continue
            previous = grads.get(id(inp))
            grads[id(inp)] = g_inp if previous is None else previous + g_inp
    return [grads[id(t)] if id(t) in grads else zeros_like(t) for t in wrt]


def _backward(node: Tensor, g: Tensor) -> list:
    """The gradients of a node's inputs from its op's backward rule.

    A rule that differentiates a graph of its own (the recurrent scans' second
    derivatives rebuild the loop from elementary ops and take its backward pass) says so
    with ``rule.takes_gradients = True`` and receives this module's ``gradients``: ops sit
    below autograd and never import it.
    """
    rule = node.op.grad
    if getattr(rule, "takes_gradients", False):
        return rule(node, g, gradients)
    return rule(node, g)


# ---- checking gradients against finite differences ----
@dataclass
class GradientReport:
    """What ``check_gradients`` found for one input.

    >>> import minikeras.backend as K
    >>> report, = check_gradients(lambda x: x * x, [np.array([3.0])])
    >>> report.ok, report.max_abs_error < 1e-6, report.worst_index
    (True, True, (0,))
    """

    name: str
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple
    analytic: float
    numeric: float
    ok: bool

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "MISMATCH"
        return (f"{self.name}: {verdict} (max abs error {self.max_abs_error:.2e}, rel "
                f"{self.max_rel_error:.2e}; worst at {self.worst_index}: autodiff "
                f"{self.analytic:.6g} vs finite differences {self.numeric:.6g})")


def numeric_gradient(f: Callable[[list[np.ndarray]], float], values: list[np.ndarray],
                     i: int, h: float = 1e-6) -> np.ndarray:
    """Central differences: (f(x + h) - f(x - h)) / 2h, one element of input i at a time."""
    x = values[i]
    grad = np.zeros_like(x, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        up = f(values)
        x[idx] = old - h
        down = f(values)
        x[idx] = old
        grad[idx] = (up - down) / (2 * h)
    return grad


def check_gradients(build: Callable[..., Tensor], values: Sequence, h: float = 1e-6,
                    rtol: float = 1e-5, atol: float = 1e-7, raise_on_error: bool = True,
                    ) -> list[GradientReport]:
    """Compare autodiff with central differences, in float64.

    ``build(*placeholders)`` makes the output from one placeholder per array in ``values``.
    The scalar checked is ``sum(output * w)`` for a fixed random ``w``, so every output
    element counts with its own weight. Raises AssertionError naming the worst element
    when they disagree (unless ``raise_on_error=False``), and returns one report per input.

    >>> import minikeras.backend as K
    >>> reports = check_gradients(lambda x: K.tanh(x) * x, [np.array([0.5, -1.0])])
    >>> reports[0].ok
    True
    """
    values = [np.array(v, dtype=np.float64) for v in values]
    placeholders = [Placeholder(v.shape, "float64", name=f"input{i}")
                    for i, v in enumerate(values)]
    out = build(*placeholders)
    weights = np.random.default_rng(0).uniform(0.5, 1.5, size=out.shape)
    scalar = ops.sum(out * Constant(weights, dtype="float64"))
    f_value = Function(placeholders, [scalar])
    f_grads = Function(placeholders, gradients(scalar, placeholders))
    analytic = f_grads(values)

    def f(vals):
        return float(f_value(vals)[0])

    reports = []
    for i, (ph, a) in enumerate(zip(placeholders, analytic)):
        n = numeric_gradient(f, values, i, h)
        err = np.abs(a - n)
        rel = err / np.maximum(np.abs(n), 1e-12)
        bad = err > atol + rtol * np.abs(n)
        worst = np.unravel_index(np.argmax(err - rtol * np.abs(n)), n.shape) if n.size else ()
        report = GradientReport(
            name=ph.name, max_abs_error=float(err.max(initial=0.0)),
            max_rel_error=float(rel.max(initial=0.0)), worst_index=tuple(int(j) for j in worst),
            analytic=float(a[worst]) if n.size else 0.0,
            numeric=float(n[worst]) if n.size else 0.0, ok=not bad.any())
        reports.append(report)
    if raise_on_error and not all(r.ok for r in reports):
        raise AssertionError("gradient check failed:\n" + "\n".join(map(str, reports)))
    return reports
