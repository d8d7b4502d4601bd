"""The symbolic Tensor: a node of the computation graph that holds no data.

A Tensor knows its *shape* (``None`` marks a size only known when data arrives, usually
the batch), its *dtype*, a *name*, the *op* and *inputs* that made it, and *where* in the
learner's code it was created. Leaves are placeholders (fed when a function runs),
variables (hold a value that training changes) and constants.

>>> import minikeras.backend as K
>>> x = K.placeholder(shape=(None, 3), name='x')
>>> y = K.tanh(x) * 2
>>> y.shape, y.op.name, [t.op.name if t.op else t.kind for t in y.inputs]
((None, 3), 'multiply', ['tanh', 'constant'])
"""
from __future__ import annotations

import itertools
import linecache
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_name_counters: dict[str, itertools.count] = defaultdict(lambda: itertools.count(1))


def unique_name(prefix: str) -> str:
    """'dense', 'dense_1', 'dense_2', ... like Keras names its layers."""
    n = next(_name_counters[prefix])
    return prefix if n == 1 else f"{prefix}_{n - 1}"


class Origin:
    """Where a tensor was created: the first frame outside the minikeras package."""

    __slots__ = ("filename", "lineno")

    def __init__(self, filename: str, lineno: int):
        self.filename, self.lineno = filename, lineno

    @classmethod
    def capture(cls) -> Origin | None:
        frame = sys._getframe(1)
        while frame is not None:
            path = frame.f_code.co_filename
            if not os.path.abspath(path).startswith(_PACKAGE_DIR):
                return cls(path, frame.f_lineno)
            frame = frame.f_back
        return None

    @property
    def code(self) -> str:
        return linecache.getline(self.filename, self.lineno).strip()

    def __str__(self) -> str:
        where = f'File "{self.filename}", line {self.lineno}'
        return f"{where}: {self.code}" if self.code else where


def format_shape(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


class Tensor:
    """A node of the graph. Build them with ``minikeras.backend`` functions or operators.

    >>> import minikeras.backend as K
    >>> t = K.placeholder(shape=(None, 2)) @ K.ones((2, 5))
    >>> t.shape, t.ndim, t.dtype, t.op.name
    ((None, 5), 2, 'float32', 'matmul')
    """

    __array_priority__ = 1000  # so that `ndarray + Tensor` calls Tensor.__radd__

    def __init__(self, shape, dtype, name: str | None = None, op=None,
                 inputs: tuple = (), attrs: dict | None = None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = np.dtype(dtype).name
        self.op = op
        self.inputs = tuple(inputs)
        self.attrs = attrs or {}
        self.name = name or unique_name(op.name if op is not None else self.kind)
        self.named = name is not None  # a name someone chose (not 'add_7', made up here)
        self.origin = Origin.capture()
        # Keras layers attach (layer, node_index, tensor_index) here for functional models.
        self._keras_history = None
        # (variable, new value) pairs that run whenever a function computes this tensor:
        # the assignments a layer's call made (see UpdateRecorder)
        self.attached_updates: tuple = ()

    kind = "tensor"

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        made = f" = {self.op.name}({', '.join(t.name for t in self.inputs)})" if self.op else ""
        return f"<{self.kind} {self.name}{made} shape={format_shape(self.shape)} " \
               f"dtype={self.dtype}>"

    def where(self) -> str:
        """The learner's line that created this tensor (for error messages)."""
        return str(self.origin) if self.origin else "(created inside minikeras)"

    __hash__ = object.__hash__

    # ---- operators: each one builds a graph node through minikeras.ops ----
    def __add__(self, other): return ops.add(self, other)
    def __radd__(self, other): return ops.add(other, self)
    def __sub__(self, other): return ops.subtract(self, other)
    def __rsub__(self, other): return ops.subtract(other, self)
    def __mul__(self, other): return ops.multiply(self, other)
    def __rmul__(self, other): return ops.multiply(other, self)
    def __truediv__(self, other): return ops.divide(self, other)
    def __rtruediv__(self, other): return ops.divide(other, self)
    def __pow__(self, other): return ops.power(self, other)
    def __rpow__(self, other): return ops.power(other, self)
    def __matmul__(self, other): return ops.matmul(self, other)
    def __rmatmul__(self, other): return ops.matmul(other, self)
    def __neg__(self): return ops.negative(self)
    def __pos__(self): return self
    def __abs__(self): return ops.abs(self)
    def __lt__(self, other): return ops.less(self, other)
    def __le__(self, other): return ops.less_equal(self, other)
    def __gt__(self, other): return ops.greater(self, other)
    def __ge__(self, other): return ops.greater_equal(self, other)
    def __getitem__(self, key): return ops.getitem(self, key)

    def __bool__(self):
        raise TypeError(
            f"{self.name} is symbolic: it has no value to test with `if` or `and` until a "
            f"function runs. Use K.eval(...) to look at a value, or K.switch/where in a graph.")

    def __iter__(self):
        raise TypeError(f"{self.name} is symbolic and cannot be iterated; index it instead.")

    def __array__(self, dtype=None, copy=None):
        # NumPy 2's signature (dtype, copy); without it np.array(t) gave an object array
        raise TypeError(f"{self.name} is symbolic: it has no value to make a NumPy array of "
                        f"until a function runs. Use K.eval(...) or K.function([...], [...]).")

    def __len__(self):
        if not self.shape or self.shape[0] is None:
            raise TypeError(f"len() of {self.name} with shape {format_shape(self.shape)} "
                            f"is unknown until data flows")
        return self.shape[0]

    @property
    def T(self):
        return ops.transpose(self)


class Placeholder(Tensor):
    """An input slot of the graph; a value is fed when a compiled function runs.

    >>> p = Placeholder((None, 784), "float32", name="pixels")
    >>> p
    <placeholder pixels shape=(None, 784) dtype=float32>
    """

    kind = "placeholder"

    def __init__(self, shape, dtype, name=None, default=None):
        super().__init__(shape, dtype, name)
        self.default = default  # used when the placeholder is not fed (e.g. learning phase)


class Constant(Tensor):
    """A fixed value baked into the graph.

    >>> Constant([1.5, 2.5]).value
    array([1.5, 2.5])
    """

    kind = "constant"

    def __init__(self, value, dtype=None, name=None):
        value = np.asarray(value, dtype=dtype)
        value.setflags(write=False)
        self.value = value
        super().__init__(value.shape, value.dtype, name)

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(c)`` is the (read-only) value; ``np.array(c)`` a copy of it."""
        if copy:
            return np.array(self.value, dtype=dtype, copy=True)
        return np.asarray(self.value, dtype=dtype)


class Variable(Tensor):
    """A named, mutable value in the graph: weights, biases, optimizer state.

    On the 'cuda' device a variable also keeps a copy in GPU memory, where training
    updates it; the host copy (``value``) is refreshed only when someone reads it.

    >>> import minikeras.backend as K
    >>> v = K.variable([1.0, 2.0])
    >>> _ = v.assign_add([10.0, 10.0])
    >>> v.numpy()
    array([11., 12.], dtype=float32)
    """

    kind = "variable"

    def __init__(self, value, dtype, name=None, trainable=True):
        # always a private, C-ordered copy: in-place kernels (optimizer steps) write through
        # flat views of it (an F-ordered array, e.g. an orthogonal init, would give copies)
        value = np.array(value, dtype=dtype, order="C")
        self._value = value
        self._device = None          # the GPU copy, when the device is 'cuda'
        self._device_is_newer = False
        self.trainable = trainable
        self.constraint = None
        super().__init__(value.shape, value.dtype, name)

    @property
    def value(self) -> np.ndarray:
        """The value in host memory (brought back from the GPU first if it changed there)."""
        if self._device_is_newer:
            self._value[...] = self._device.copy_to_host()
            self._device_is_newer = False
        return self._value

    def host_changed(self) -> None:
        """Call after writing into ``value``: a GPU copy, if any, is now out of date."""
        self._device = None

    def device_value(self, device):
        """The GPU copy (made from the host value on first use). ``device`` is the
        module of that device in ``minikeras.devices`` (it provides ``to_device``)."""
        if self._device is None:
            self._device = device.to_device(self.value)
        return self._device

    def set_device_value(self, array) -> None:
        """A training step computed a new value on the GPU."""
        self._device = array
        self._device_is_newer = True

    def numpy(self) -> np.ndarray:
        return self.value.copy()

    def __array__(self, dtype=None, copy=None):
        """``np.array(v)`` and ``np.asarray(v)``: a copy of the value, as ``v.numpy()`` (so
        that training never changes an array the caller holds). NumPy 2 passes ``copy``:
        ``copy=False`` cannot be honoured, so it is an error, as NumPy asks."""
        if copy is False:
            raise ValueError(f"variable {self.name!r} cannot hand out its memory "
                             f"(copy=False): use np.asarray(v) for a copy of its value")
        return np.array(self.value, dtype=dtype, copy=True)

    def assign(self, new_value: Any) -> Variable:
        """Replace the value now (new values must have the variable's shape).

        A symbolic value that needs data (it depends on a placeholder) cannot be computed
        now: inside a layer's ``call`` (see ``UpdateRecorder``) the assignment becomes an
        update that runs with the graph, every time a function computes the layer's output.
        """
        if isinstance(new_value, Tensor) and _needs_data(new_value):
            return self._record(new_value)
        new_value = np.asarray(self._now(new_value), dtype=self.dtype)
        if new_value.shape != self._value.shape:
            raise ValueError(f"cannot assign a value of shape {new_value.shape} to variable "
                             f"{self.name} of shape {self._value.shape}")
        self.value[...] = new_value
        self.host_changed()
        return self

    def assign_add(self, delta: Any) -> Variable:
        if isinstance(delta, Tensor) and _needs_data(delta):
            return self._record(ops.add(self._pending(), delta))
        return self.assign(self._combined(delta, np.add, "add", "to"))

    def assign_sub(self, delta: Any) -> Variable:
        if isinstance(delta, Tensor) and _needs_data(delta):
            return self._record(ops.subtract(self._pending(), delta))
        return self.assign(self._combined(delta, np.subtract, "subtract", "from"))

    def _combined(self, delta, combine, verb: str, preposition: str) -> np.ndarray:
        delta = np.asarray(self._now(delta))
        try:
            return combine(self.value, delta)
        except ValueError:
            raise ValueError(f"cannot {verb} a value of shape {delta.shape} {preposition} "
                             f"variable {self.name} of shape {self.shape}") from None

    def _pending(self) -> Tensor:
        """The value this variable is getting in the graph being built (itself if none)."""
        for recorder in reversed(_recorders):
            if id(self) in recorder:
                return recorder[id(self)][1]
        return self

    def _record(self, new_value: Tensor) -> Variable:
        if not _recorders:
            raise TypeError(
                f"{new_value.name} depends on placeholders, which hold no data until a "
                f"function runs, so variable {self.name!r} cannot take its value now. Pass "
                f"the pair ({self.name}, new value) in the updates of K.function (or assign "
                f"inside a layer's call, where it becomes an update of the graph)")
        if tuple(new_value.shape) != self.shape and None not in new_value.shape:
            raise ValueError(f"cannot assign a value of shape {format_shape(new_value.shape)} "
                             f"to variable {self.name} of shape {format_shape(self.shape)}")
        _recorders[-1][id(self)] = (self, new_value)
        return self

    @staticmethod
    def _now(value):
        """Symbolic deltas (e.g. K.sum(x, axis=0)) are evaluated right away."""
        if not isinstance(value, Tensor):
            return value
        if _evaluate is None:
            raise RuntimeError(f"{value.name} is symbolic: import minikeras.backend (which "
                               f"can run graphs) to assign it to a variable")
        return _evaluate(value)


# ---- assignments made while a graph is being built ----
_recorders: list[dict] = []


class UpdateRecorder:
    """Collect the assignments of symbolic values made inside (a layer's ``call``): after
    the block, ``updates`` holds one (variable, new value) pair per assigned variable.

    >>> v = Variable(np.zeros(2), "float32")
    >>> x = Placeholder((None, 2), "float32")
    >>> with UpdateRecorder() as recorded:
    ...     _ = v.assign_add(ops.sum(x, axis=0))
    >>> [(var is v, new.op.name) for var, new in recorded.updates]
    [(True, 'add')]
    """

    def __enter__(self) -> UpdateRecorder:  # noqa: PYI034
        self._pairs: dict = {}
        _recorders.append(self._pairs)
        return self

    def __exit__(self, *exc) -> None:
        _recorders.remove(self._pairs)

    @property
    def updates(self) -> list[tuple[Variable, Tensor]]:
        return list(self._pairs.values())


def _needs_data(t: Tensor) -> bool:
    """Does computing ``t`` need a placeholder fed (one without a default)?"""
    return any(isinstance(n, Placeholder) and n.default is None
               for n in topological_order([t]))


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


# How a symbolic value is turned into an array (for ``assign_add(K.sum(x))``): running a
# graph is the executor's job (graph.py, built on this module), which sets it here.
_evaluate: Callable | None = None


def use_evaluator(evaluate: Callable) -> None:
    """Let variables evaluate symbolic values they are assigned (graph.py calls this)."""
    global _evaluate
    _evaluate = evaluate


# The operators above build their nodes with minikeras.ops, which builds on this module:
# the one import circle of the house, closed here at the very end (ops is complete by the
# time an operator runs).
from minikeras import ops
