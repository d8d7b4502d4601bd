"""Running a graph: compile outputs into a plan once, then execute it on each call.

Compiling does four things:

1. finds the nodes the outputs need, in *topological order* (inputs before users);
2. lets ``fusion.plan`` replace common patterns of nodes by one fused kernel;
3. picks each step's kernel for the current device, once;
4. works out each value's *last use* (``memory.liveness``), so its buffer goes back to a
   pool as soon as no later step needs it, to be reused by later steps and calls.

Calling the compiled ``Function`` then runs one kernel per step. Updates (pairs of
``(variable, new_value)``, or in-place kernels such as a fused optimizer step) are all
computed from the *old* values first, then applied, as in Keras 2.

>>> import minikeras.backend as K
>>> x = K.placeholder(shape=(None, 2), name='x')
>>> f = K.function([x], [K.sum(x * 2.0, axis=1)])
>>> f([[[1., 2.], [3., 4.]]])
[array([ 6., 14.], dtype=float32)]
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from minikeras import kernels
from minikeras.axes import compatible
from minikeras.fusion import plan
from minikeras.memory import BufferPool, liveness
from minikeras.tensor import Constant, Placeholder, Tensor, Variable, format_shape


def topological_order(outputs: Iterable[Tensor]) -> list[Tensor]:
    """All nodes the outputs depend on, each after every node it reads."""
    order, seen = [], set()
    for out in outputs:
        stack = [(out, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((i, False) for i in reversed(node.inputs) if id(i) not in seen)
    return order


# Arrays smaller than this are cheap to allocate: not worth the pool's bookkeeping.
POOL_MIN_SIZE = 1024


class InPlaceUpdate:
    """An update written by a kernel straight into its variables' memory.

    >>> import numpy as np, minikeras.backend as K
    >>> w, m = K.variable([1.0]), K.variable([0.0])
    >>> step = InPlaceUpdate("sgd_momentum_step", [w, m], [K.constant([2.0]),
    ...                      K.constant(0.1)], momentum=0.9, nesterov=False)
    >>> _ = Function([], [], updates=[step])([])
    >>> np.round(K.get_value(w), 4), np.round(K.get_value(m), 4)
    (array([0.8], dtype=float32), array([-0.2], dtype=float32))

    A fused optimizer step is one: ``kernel(*variable_arrays, *input_arrays, **attrs)``
    reads the old values of its variables and the (already computed) inputs, such as the
    gradient and the learning rate, and overwrites the variables in one pass. It runs in
    the assignment phase, after every graph node, so it sees the same old values as the
    ``(variable, new_value)`` pairs do.
    """

    def __init__(self, kernel: str, variables: Sequence[Variable], inputs: Sequence[Tensor],
                 **attrs):
        self.kernel, self.variables, self.attrs = kernel, list(variables), attrs
        self.inputs = list(inputs)

    def __repr__(self) -> str:
        return f"<in-place {self.kernel} of {', '.join(v.name for v in self.variables)}>"


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
        self.updates = [_as_update(u) for u in updates]
        self.in_place = [u for u in self.updates if isinstance(u, InPlaceUpdate)]
        self.updates = [u for u in self.updates if not isinstance(u, InPlaceUpdate)]
        _check_update_targets(self.updates, self.in_place)
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
        self.n_slots = len(self.nodes)
        self.input_slots = [slot.get(id(t)) for t in self.inputs]
        fed = {id(t) for t in self.inputs}
        self.leaves = []      # (slot, Variable|Constant) read fresh on each call
        self.defaults = []    # (slot, value) for placeholders that have a default
        self.steps = []       # (kernel, input slots, attrs, output slot, slots to free, out?)
        for i, node in enumerate(self.nodes):
            if isinstance(node, (Variable, Constant)):
                self.leaves.append((i, node))
            elif isinstance(node, Placeholder) and id(node) not in fed:
                if node.default is None:
                    raise FeedError(_missing_feed_message(node, targets))
                self.defaults.append((i, node.default))
        target_slots = {slot[id(t)] for t in targets}
        self.plan = plan(self.nodes, keep=target_slots)  # fused where a pattern allows
        chosen = [kernels.lookup(name) for _, name, _, _ in self.plan]
        root, frees_after, self.survivors = liveness(
            [(i, kernels.returns_view(kernel), ins)
             for (i, _, ins, _), kernel in zip(self.plan, chosen)], self.n_slots, target_slots)
        members = {}
        for s, r in root.items():
            members.setdefault(r, []).append(s)
        for position, ((i, _, ins, attrs), kernel) in enumerate(zip(self.plan, chosen)):
            frees = tuple((r, tuple(members[r])) for r in frees_after.get(position, ()))
            self.steps.append((kernel, ins, attrs, i, frees, kernels.accepts_out(kernel)))
        self.output_slots = [slot[id(t)] for t in self.outputs]
        # the buffers behind outputs (outputs may be views) go to the caller for good
        self.output_roots = {root[s] for s in self.output_slots}
        self.update_slots = [(var, slot[id(new)]) for var, new in self.updates]
        self.in_place_steps = [(kernels.lookup(u.kernel), u.variables,
                                [slot[id(t)] for t in u.inputs], u.attrs) for u in self.in_place]
        self.pool = BufferPool()
        self.last_out = {}    # step output slot -> (shape, dtype) it had last call
        # on the GPU: arrays go up as they are fed, results come down; parameters stay there
        self.device = kernels.device_module()
        self.device_constants = {}

    def __call__(self, values: Sequence = ()):
        if len(values) != len(self.inputs):
            raise FeedError(f"this function takes {len(self.inputs)} input arrays "
                            f"({', '.join(t.name for t in self.inputs)}), got {len(values)}")
        slots = [None] * self.n_slots
        for s, ph, v in zip(self.input_slots, self.inputs, values):
            if s is not None:
                slots[s] = _check_feed(ph, v)
        for s, default in self.defaults:
            slots[s] = default
        for s, leaf in self.leaves:
            slots[s] = leaf.value
        if self.device is not None:
            self._upload(slots)
        step = None
        pool, last_out = self.pool, self.last_out
        try:
            for step in self.steps:
                kernel, ins, attrs, out, frees, takes_out = step
                args = [slots[j] for j in ins]
                buffer = pool.take(*last_out[out]) if takes_out and out in last_out else None
                result = kernel(*args, out=buffer, **attrs) if buffer is not None else \
                    kernel(*args, **attrs)
                if takes_out and result is not buffer:  # a first call, or a new shape
                    if buffer is not None:
                        pool.give(buffer)
                    if isinstance(result, np.ndarray) and result.size >= POOL_MIN_SIZE:
                        last_out[out] = (result.shape, result.dtype)
                        pool.adopt(result)
                    else:
                        last_out.pop(out, None)
                slots[out] = result
                for r, views in frees:
                    pool.give(slots[r])
                    for j in views:
                        slots[j] = None
        except Exception as e:
            raise _runtime_error(self.nodes[step[3]], [slots[j] for j in step[1]], e) from e
        if self.device is not None:
            results = [self.device.to_host(slots[s]) for s in self.output_slots]
            self._apply_device_updates(slots)
            return results[0] if self.single_output else results
        results = [np.asarray(slots[s]) for s in self.output_slots]
        self._apply_updates(slots)
        for r in self.survivors:  # update values and gradients can be reused next call
            if r in self.output_roots:
                pool.disown(slots[r])
            elif slots[r] is not None:
                pool.give(slots[r])
        return results[0] if self.single_output else results

    def _upload(self, slots) -> None:
        """Put fed arrays on the GPU; variables use their GPU copies, constants go once."""
        device = self.device
        for s in self.input_slots:
            if s is not None:
                slots[s] = device.to_device(np.asarray(slots[s]))
        for s, _ in self.defaults:
            slots[s] = device.to_device(np.asarray(slots[s]))
        for s, leaf in self.leaves:
            if isinstance(leaf, Variable):
                slots[s] = leaf.device_value(device)
            else:
                if s not in self.device_constants:
                    self.device_constants[s] = device.to_device(np.asarray(leaf.value))
                slots[s] = self.device_constants[s]

    def _apply_device_updates(self, slots) -> None:
        """New values computed on the GPU become the variables' GPU copies."""
        olds = {id(var.device_value(self.device)) for var, _ in self.update_slots}
        news = []
        for var, s in self.update_slots:
            new = slots[s]
            if id(new) in olds:  # the very array of a variable: copy before replacing
                new = self.device.to_device(self.device.to_host(new))
            news.append((var, new))
        for var, new in news:
            var.set_device_value(new)

    def _apply_updates(self, slots) -> None:
        # compute everything first (done above), then write: new values that are views of
        # some variable's memory are copied before any write can change them
        news = []
        for var, s in self.update_slots:
            new = np.asarray(slots[s])
            if new.base is not None or any(new is v.value for v, _ in self.update_slots):
                new = new.copy()
            news.append((var, new))
        for var, new in news:
            if new.shape != var.value.shape:
                raise ValueError(f"update of variable {var.name!r}: new value has shape "
                                 f"{new.shape}, the variable {var.value.shape}")
            np.copyto(var.value, new, casting="same_kind")
            if var.constraint is not None:
                var.value[...] = var.constraint(var.value)
            var.host_changed()
        for kernel, variables, ins, attrs in self.in_place_steps:
            kernel(*[v.value for v in variables], *[slots[s] for s in ins], **attrs)
            for var in variables:
                if var.constraint is not None:
                    var.value[...] = var.constraint(var.value)
                var.host_changed()

    def describe(self) -> str:
        """The compiled plan as text, one line per node (see ``format_graph``)."""
        return format_graph(self.outputs + [new for _, new in self.updates])


def _as_update(update):
    from minikeras.ops import as_tensor
    if isinstance(update, InPlaceUpdate):
        return update
    var, new = update
    if not isinstance(var, Variable):
        raise TypeError(f"an update must be (variable, new_value); got {var!r} first")
    return var, as_tensor(new, dtype=var.dtype)


def _check_update_targets(pairs, in_place) -> None:
    seen = set()
    for var in [v for v, _ in pairs] + [v for u in in_place for v in u.variables]:
        if id(var) in seen:
            raise ValueError(f"variable {var.name!r} is updated twice in one function")
        seen.add(id(var))


def _missing_feed_message(ph: Placeholder, targets) -> str:
    return (f"placeholder {ph.name!r} (shape {format_shape(ph.shape)}) is needed to compute "
            f"{', '.join(repr(t.name) for t in targets)} but was not given a value: pass it in "
            f"the inputs of K.function and feed an array.\n  placeholder made at {ph.where()}")


def _runtime_error(node: Tensor, arrays, error: Exception) -> Exception:
    shapes = ", ".join(str(getattr(a, "shape", "?")) for a in arrays)
    return RuntimeError(f"op {node.op.name!r} failed while computing {node.name!r} "
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
