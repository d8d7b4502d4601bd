"""Running a graph: compile outputs into a plan once, then execute it on each call.

Compiling does five things:

1. picks, for each optimizer step, the in-place kernel or its plain update pairs
   (``updates.choose``: the kernel where the device has one);
2. finds the nodes the outputs and updates need, in *topological order* (inputs before
   users);
3. lets ``fusion.plan`` replace common patterns of nodes by one fused kernel;
4. picks each step's kernel for the current device, once;
5. works out each value's *last use* (``memory.liveness``), so its buffer goes back to a
   pool as soon as no later step needs it, to be reused by later steps and calls.

Calling the compiled ``Function`` then runs the loop at the heart of every executor:
for each ``Step``, read its inputs, call its kernel, write its output. The arrays live
where the ``placement`` says (host memory or a GPU). Updates are all computed from the
*old* values first, then applied, as in Keras 2, the same way on every device.

>>> import minikeras.backend as K
>>> x = K.placeholder(shape=(None, 2), name='x')
>>> f = K.function([x], [K.sum(x * 2.0, axis=1)])
>>> f([[[1., 2.], [3., 4.]]])
[array([ 6., 14.], dtype=float32)]
"""
from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from minikeras import kernels
from minikeras.axes import compatible
from minikeras.fusion import plan
from minikeras.memory import POOL_MIN_SIZE, BufferPool, liveness
from minikeras.placement import placement_for
from minikeras.tensor import (
    Constant,
    Placeholder,
    Tensor,
    Variable,
    format_shape,
    topological_order,
    use_evaluator,
)
from minikeras.updates import choose


class Step(NamedTuple):
    """One kernel call of a compiled function: read ``inputs``, write ``outputs``.

    All the bookkeeping is worked out when the function is compiled, so that running a
    step costs little more than calling its kernel:

    * ``outputs``: the slot the kernel's result goes to (a fused kernel with several
      results returns a tuple: one slot for each);
    * ``pooled``: offer the kernel reused buffers (``out=``): it accepts them, and its
      result may be big enough to be worth it;
    * ``give``: buffers the pool handed out whose last reader this step is;
    * ``release``: slots no later step reads (those values, and views of them), so their
      memory can go (values too small to matter are left until the call ends);
    * ``read``: ``read(slots)`` gives the input arrays, in order (see ``_reader``).
    """

    kernel: Callable
    inputs: tuple[int, ...]
    attrs: dict
    outputs: tuple[int, ...]
    pooled: bool
    give: tuple[int, ...]
    release: tuple[int, ...]
    read: Callable

    @property
    def output(self) -> int:
        """The slot of the step's (first) result."""
        return self.outputs[0]


class FeedError(ValueError):
    """An array fed to a placeholder has the wrong shape or dtype, or one is missing.

    >>> import minikeras.backend as K
    >>> x = K.placeholder(shape=(2,), name="x")
    >>> f = Function([x], [x * 2.0])
    >>> f([[1.0, 2.0, 3.0]])
    Traceback (most recent call last):
    ...
    minikeras.graph.FeedError: placeholder 'x' expects shape (2,), but was fed ...
    """


def _check_feed(placeholder: Placeholder, value) -> np.ndarray:
    array = np.asarray(value)
    want = np.dtype(placeholder.dtype)
    if array.dtype != want:
        if not np.can_cast(array.dtype, want, casting="same_kind"):
            raise FeedError(f"placeholder {placeholder.name!r} holds {want.name}, but was fed "
                            f"an array of dtype {array.dtype}\n  placeholder made at "
                            f"{placeholder.where()}")
        array = array.astype(want)
    if not compatible(placeholder.shape, array.shape):
        raise FeedError(f"placeholder {placeholder.name!r} expects shape "
                        f"{format_shape(placeholder.shape)}, but was fed an array of shape "
                        f"{format_shape(array.shape)}\n  placeholder made at "
                        f"{placeholder.where()}")
    return array


class Function:
    """A compiled graph: ``f(list_of_arrays) -> list_of_arrays`` (Keras's K.function).

    >>> import minikeras.backend as K
    >>> x = K.placeholder(shape=(None,))
    >>> total = K.variable(0.0)
    >>> f = Function([x], [K.sum(x)], updates=[(total, total + K.sum(x))])
    >>> f([[1.0, 2.0]]), f([[3.0]]), K.get_value(total)
    ([array(3., dtype=float32)], [array(3., dtype=float32)], array(6., dtype=float32))
    """

    def __init__(self, inputs: Sequence[Tensor], outputs, updates=(), name: str | None = None):
        self.single_output = isinstance(outputs, Tensor)
        self.inputs = list(inputs)
        self.outputs = [outputs] if self.single_output else list(outputs)
        # the compiler picks, once: in-place kernels where the device has them
        updates = list(updates) + _attached_updates(self.outputs, updates)
        self.updates, self.in_place = choose(updates)
        self.name = name
        for t in self.inputs:
            if not isinstance(t, Placeholder):
                raise TypeError(f"function inputs must be placeholders; {t.name!r} is a "
                                f"{t.kind}")
        targets = self.outputs + [new for _, new in self.updates] + \
            [t for u in self.in_place for t in u.inputs]
        self.nodes = topological_order(targets)
        self._compile(targets)

    def _compile(self, targets: list[Tensor]) -> None:
        slot = {id(node): i for i, node in enumerate(self.nodes)}
        self.input_slots = [slot.get(id(t)) for t in self.inputs]
        fed = {id(t) for t in self.inputs}
        constants = []        # (slot, Constant): their values never change
        self.variables = []   # (slot, Variable): read fresh on each call
        self.defaults = []    # (slot, value) for placeholders that have a default
        for i, node in enumerate(self.nodes):
            if isinstance(node, Constant):
                constants.append((i, node))
            elif isinstance(node, Variable):
                self.variables.append((i, node))
            elif isinstance(node, Placeholder) and id(node) not in fed:
                if node.default is None:
                    raise FeedError(_missing_feed_message(node, targets))
                self.defaults.append((i, node.default))
        target_slots = {slot[id(t)] for t in targets}
        self.plan = plan(self.nodes, keep=target_slots)  # fused where a pattern allows
        # a fused kernel may pass on values the graph has no node for: slots after the nodes'
        self.n_slots = max([len(self.nodes)] + [j + 1 for p in self.plan for j in p.outputs])
        chosen = [_kernel(self.nodes[p.outputs[0]], p.kernel) for p in self.plan]
        root, frees_after, self.survivors = liveness(
            [(p.outputs if len(p.outputs) > 1 else p.outputs[0], kernels.returns_view(kernel),
              p.inputs) for p, kernel in zip(self.plan, chosen)], self.n_slots, target_slots)
        members = {}  # root -> the slots that share its buffer (itself and its views)
        for s, r in root.items():
            members.setdefault(r, []).append(s)
        self.steps, pooled_slots = [], set()
        for position, (p, kernel) in enumerate(zip(self.plan, chosen)):
            pooled = kernels.accepts_out(kernel) and not self._known_small(p.outputs[0])
            if pooled:
                pooled_slots.update(p.outputs)
            freed = frees_after.get(position, ())
            self.steps.append(Step(
                kernel, p.inputs, p.attrs, p.outputs, pooled,
                give=tuple(r for r in freed if r in pooled_slots),
                release=tuple(j for r in freed for j in members[r] if not self._known_small(j)),
                read=_reader(p.inputs)))
        self.output_slots = [slot[id(t)] for t in self.outputs]
        # the buffers behind outputs (outputs may be views) go to the caller for good
        self.output_roots = {root[s] for s in self.output_slots}
        self.update_slots = [(var, slot[id(new)]) for var, new in self.updates]
        self.updated = [var for var, _ in self.updates]
        self.in_place_steps = [(kernels.lookup(u.kernel), u.variables,
                                [slot[id(t)] for t in u.inputs], u.attrs) for u in self.in_place]
        self.pool = BufferPool()
        # host memory, or a GPU (arrays go up as they are fed, results come down)
        self.placement = placement_for(kernels.device_module())
        # each call starts from a copy of these slots: the constants already in place
        self.template = [None] * self.n_slots
        self.placement.fill_constants(self.template, constants)

    def _known_small(self, s: int) -> bool:
        """Is slot ``s`` a node whose value is sure to be too small for the pool (all its
        sizes known)? (A value with no node of its own may be of any size.)"""
        if s >= len(self.nodes):
            return False
        shape = self.nodes[s].shape
        return None not in shape and math.prod(shape) < POOL_MIN_SIZE

    def __call__(self, values: Sequence = ()):
        if len(values) != len(self.inputs):
            raise FeedError(f"this function takes {len(self.inputs)} input arrays "
                            f"({', '.join(t.name for t in self.inputs)}), got {len(values)}")
        slots = self.template.copy()
        fed = [(s, _check_feed(ph, v)) for s, ph, v in zip(self.input_slots, self.inputs, values)
               if s is not None]
        self.placement.fill(slots, fed, self.defaults, self.variables)
        step, pool = None, self.pool
        try:
            for step in self.steps:  # read the inputs, call the kernel, write the output
                kernel, _, attrs, outputs, pooled, give, release, read = step
                if pooled:  # the kernel may write into memory of finished values
                    out = pool.offer(outputs)
                    result = kernel(*read(slots), out=out, **attrs)
                    pool.received(outputs, result, out)
                else:
                    result = kernel(*read(slots), **attrs)
                if len(outputs) == 1:
                    slots[outputs[0]] = result
                else:  # a fused kernel with several results returns them in a tuple
                    for j, value in zip(outputs, result):
                        slots[j] = value
                if give:  # no later step reads these: reuse their memory
                    for j in give:
                        pool.give(slots[j])
                if release:
                    for j in release:
                        slots[j] = None
        except Exception as e:
            pool.end_call()  # a failed call gives nothing back: what it held is garbage
            raise _runtime_error(self.nodes, step, [slots[j] for j in step.inputs], e) from e
        results = [self.placement.to_host(slots[s]) for s in self.output_slots]
        self._apply_updates(slots)
        pool.end_call(slots, self.survivors, self.output_roots)
        return results[0] if self.single_output else results

    def _apply_updates(self, slots) -> None:
        """Write the new values (all computed from the old ones), then run the in-place
        steps; constraints and shape checks apply on every device."""
        place = self.placement
        news = place.private([slots[s] for _, s in self.update_slots], self.updated)
        for var, new in zip(self.updated, news):
            if tuple(new.shape) != var.shape:
                raise ValueError(f"update of variable {var.name!r}: new value has shape "
                                 f"{tuple(new.shape)}, the variable {var.shape}")
            place.write(var, new)
            _constrain(var)
        for kernel, variables, ins, attrs in self.in_place_steps:
            kernel(*[place.memory(v) for v in variables], *[slots[s] for s in ins], **attrs)
            for var in variables:
                place.changed(var)
                _constrain(var)

    def describe(self) -> str:
        """The compiled plan as text, one line per node (see ``format_graph``)."""
        return format_graph(self.outputs + [new for _, new in self.updates])


def _reader(inputs: tuple[int, ...]) -> Callable:
    """``read(slots)``: a step's input arrays, in order, from the list of slots.

    ``operator.itemgetter`` does the reading in C, which matters when a step's own work
    is tiny: ``itemgetter(1, 4)(slots)`` is ``(slots[1], slots[4])``. (One index would
    give the bare item, not a sequence, so one input is read as the slice
    ``slots[j:j + 1]``, a list of one, and no input as an empty slice.)

    >>> _reader((1, 4))(['a', 'b', 'c', 'd', 'e']), _reader((2,))(['a', 'b', 'c'])
    (('b', 'e'), ['c'])
    """
    if len(inputs) > 1:
        return operator.itemgetter(*inputs)
    j = inputs[0] if inputs else 0
    return operator.itemgetter(slice(j, j + len(inputs)))


def _kernel(node: Tensor, name: str) -> Callable:
    """The kernel of a step: the device's kernel of that name, or the NumPy forward that
    an op defined at run time carries (``ops.custom.define_op``), which runs on the CPU."""
    forward = node.op.forward
    if forward is None or name != node.op.name:
        return kernels.lookup(name)
    if kernels.device_module() is not None:
        raise NotImplementedError(f"op {name!r} was defined with define_op: its NumPy "
                                  f"forward runs on the CPU only (minikeras.set_device('cpu'))")
    return forward


def _attached_updates(outputs: list[Tensor], updates) -> list[tuple]:
    """The updates the graph's tensors carry (assignments made in layers' calls, see
    ``tensor.UpdateRecorder``), which run whenever a function computes those tensors."""
    found, seen = [], set()
    frontier = list(outputs) + [u[1] for u in updates if isinstance(u, tuple)]
    while frontier:
        new = [pair for node in topological_order(frontier) for pair in node.attached_updates
               if id(pair) not in seen]
        for pair in new:
            seen.add(id(pair))
        found += new
        frontier = [value for _, value in new]
    return found


def _constrain(var: Variable) -> None:
    """Apply the variable's constraint (e.g. a max-norm) to its new value, on the host."""
    if var.constraint is not None:
        var.value[...] = var.constraint(var.value)
        var.host_changed()


def _missing_feed_message(ph: Placeholder, targets) -> str:
    return (f"placeholder {ph.name!r} (shape {format_shape(ph.shape)}) is needed to compute "
            f"{', '.join(repr(t.name) for t in targets)} but was not given a value: pass it in "
            f"the inputs of K.function and feed an array.\n  placeholder made at {ph.where()}")


def _runtime_error(nodes, step: Step, arrays, error: Exception) -> Exception:
    """The error of a kernel that failed, naming the node (the learner's op and line)."""
    node = nodes[step.output]
    shapes = ", ".join(str(getattr(a, "shape", "?")) for a in arrays)
    kernel = getattr(step.kernel, "__name__", "?").rstrip("_")
    fused = ""
    if kernel != node.op.name:  # a fused kernel: say which, and what else it computed
        others = [nodes[j].name for j in step.outputs[1:] if j < len(nodes)]
        fused = f" (in the fused kernel {kernel!r}" + \
            (f", which also computes {', '.join(map(repr, others))}" if others else "") + ")"
    return RuntimeError(f"op {node.op.name!r} failed while computing {node.name!r}{fused} "
                        f"(static shape {format_shape(node.shape)}) from arrays of shapes "
                        f"{shapes}: {error}\n  node made at {node.where()}")


def evaluate(tensor: Tensor) -> np.ndarray:
    """The value of a tensor whose graph needs no fed placeholders (K.eval)."""
    missing = [n for n in topological_order([tensor])
               if isinstance(n, Placeholder) and n.default is None]
    if missing:
        names = ", ".join(repr(p.name) for p in missing)
        raise FeedError(f"cannot evaluate {tensor.name!r} on its own: it depends on "
                        f"placeholder(s) {names}, which are empty until fed. Build "
                        f"f = K.function([...], [{tensor.name}]) and call it with arrays.")
    if isinstance(tensor, (Variable, Constant)):
        return np.array(tensor.value)
    return Function([], [tensor])([])[0]


# A variable's assign_add(t) may be given a symbolic t (as in Keras's eager layers):
# tensor.py cannot run graphs itself (the executor is built on it), so it is told how.
use_evaluator(evaluate)


def format_graph(outputs) -> str:
    """One line per node: name, how it was made, shape and dtype.

    >>> import minikeras.backend as K
    >>> x = K.placeholder(shape=(None, 3), name='x')
    >>> print(format_graph(K.tanh(x)))   # doctest: +NORMALIZE_WHITESPACE +ELLIPSIS
    x...placeholder...shape=(None, 3) float32
    tanh...tanh(x)...shape=(None, 3) float32
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    nodes = topological_order(outputs)
    rows = []
    for n in nodes:
        made = f"{n.op.name}({', '.join(i.name for i in n.inputs)})" if n.op else n.kind
        rows.append((n.name, made, f"shape={format_shape(n.shape)} {n.dtype}"))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return "\n".join(f"{a:<{w0}} = {b:<{w1}} {c}" for a, b, c in rows)
