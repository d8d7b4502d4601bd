"""The Layer: a tensor-in, tensor-out computation that owns its weights.

A layer is built (its weights created) the first time it is called, when the shape of
its input is known. Called on a *symbolic* tensor it adds nodes to the graph and
remembers the call (a ``Node``), which is how functional models find their layers.
Called on a *NumPy array* it runs at once and returns the values.

Writing your own layer (the Keras recipe):

* ``__init__``: store the settings;
* ``build(input_shape)``: create weights with ``self.add_weight``;
* ``call(inputs)``: compute the output with ``minikeras.backend`` functions;
* ``get_config()``: the settings, so the layer can be saved and re-created.

>>> import numpy as np
>>> import minikeras.backend as K
>>> class SimpleDense(Layer):
...     def __init__(self, units=32):
...         super().__init__()
...         self.units = units
...     def build(self, input_shape):
...         self.w = self.add_weight(shape=(input_shape[-1], self.units),
...                                  initializer="ones", trainable=True)
...         self.b = self.add_weight(shape=(self.units,), initializer="zeros")
...     def call(self, inputs):
...         return K.dot(inputs, self.w) + self.b
>>> SimpleDense(units=4)(np.ones((2, 2)))
Array([[2., 2., 2., 2.],
       [2., 2., 2., 2.]], dtype=float32)
"""
from __future__ import annotations

import functools
import inspect
import itertools
import warnings
from collections import defaultdict

import numpy as np

from minikeras import backend as K
from minikeras import config, constraints, initializers, regularizers
from minikeras.layers import budget, mask_rule
from minikeras.ops import identity
from minikeras.tensor import Constant, Origin, Tensor, UpdateRecorder, Variable, format_shape
from minikeras.utils.naming import to_snake_case

_layer_counters: dict[str, itertools.count] = defaultdict(lambda: itertools.count(0))


def default_name(cls_name: str) -> str:
    """'Dense' -> 'dense', 'dense_1', ...; 'SimpleRNN' -> 'simple_rnn'."""
    snake = to_snake_case(cls_name)
    n = next(_layer_counters[snake])
    return snake if n == 0 else f"{snake}_{n}"


class Array(np.ndarray):
    """The values a layer returns when called on NumPy data (``.numpy()`` as in Keras).

    >>> np.arange(3.0).view(Array).numpy()
    array([0., 1., 2.])
    """

    def numpy(self) -> np.ndarray:
        return np.asarray(self)


def _as_array(value) -> Array:
    return np.asarray(value).view(Array)


def nest_map(fn, structure):
    """Apply ``fn`` to every leaf of nested lists/tuples."""
    if isinstance(structure, (list, tuple)):
        return type(structure)(nest_map(fn, s) for s in structure)
    return fn(structure)


def nest_flatten(structure) -> list:
    if isinstance(structure, (list, tuple)):
        return [leaf for s in structure for leaf in nest_flatten(s)]
    return [structure]


class InputSpec:
    """What a layer accepts: order (ndim / min_ndim) and fixed sizes of some axes.

    >>> spec = InputSpec(min_ndim=2, axes={-1: 784})
    >>> spec.mismatch((None, 28, 28))
    'expected axis -1 of input shape to have value 784'
    """

    def __init__(self, ndim=None, min_ndim=None, max_ndim=None, axes=None, shape=None):
        self.ndim, self.min_ndim, self.max_ndim = ndim, min_ndim, max_ndim
        self.axes = dict(axes or {})
        self.shape = shape

    def mismatch(self, shape) -> str | None:
        """None if ``shape`` is acceptable, else what was expected."""
        n = len(shape)
        if self.ndim is not None and n != self.ndim:
            return f"expected ndim={self.ndim}"
        if self.min_ndim is not None and n < self.min_ndim:
            return f"expected min_ndim={self.min_ndim}"
        if self.max_ndim is not None and n > self.max_ndim:
            return f"expected max_ndim={self.max_ndim}"
        for axis, size in self.axes.items():
            if -n <= axis < n and shape[axis] not in (None, size):
                return f"expected axis {axis} of input shape to have value {size}"
        if self.shape is not None and (len(self.shape) != n or any(
                a not in (None, b) and b is not None for a, b in zip(self.shape, shape))):
            return f"expected shape={format_shape(self.shape)}"
        return None


class Node:
    """One call of a layer on symbolic tensors: which tensors went in and came out."""

    def __init__(self, layer, inputs, outputs, kwargs):
        self.layer, self.inputs, self.outputs, self.kwargs = layer, inputs, outputs, kwargs
        self.input_tensors = nest_flatten(inputs)
        self.output_tensors = nest_flatten(outputs)

    @property
    def parent_nodes(self) -> list[Node]:
        return [t._keras_history[0]._inbound_nodes[t._keras_history[1]]
                for t in self.input_tensors if t._keras_history is not None]


class Layer:
    """Base class of all layers. See the module docstring for how to write one.

    Args:
        name: the layer's name (default: made from the class name, ``dense_1``, ...).
        trainable: whether training changes its weights, defaults to True.
        dtype: the dtype of its weights and computations, defaults to floatx.
        input_shape: the shape of one sample (no batch axis), for a model's first layer.
        batch_size: with ``input_shape``, a fixed batch size.
        batch_input_shape: the full input shape, batch axis included.
        input_dim: Keras 2 for ``input_shape=(input_dim,)``.

    Input shape:
        What the subclass's ``call`` takes (checked against ``input_spec``, if set).

    Output shape:
        What ``call`` returns (``compute_output_shape`` works it out).

    Example:

    >>> import numpy as np
    >>> class Double(Layer):
    ...     def call(self, inputs):
    ...         return inputs * 2.0
    >>> Double()(np.array([1.0, 2.0]))
    Array([2., 4.], dtype=float32)
    """

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None,
                 input_dim=None, batch_input_shape=None, batch_size=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected keyword argument(s): "
                            f"{', '.join(sorted(kwargs))}")
        self.name = name or default_name(type(self).__name__)
        self._trainable = trainable
        self.dtype = dtype or config.floatx()
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)  # Keras 2 spelling for 2-D inputs
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (batch_size, *tuple(input_shape))
        self._batch_input_shape = tuple(batch_input_shape) if batch_input_shape else None
        self.built = False
        self.input_spec: InputSpec | None = None
        self.supports_masking = False
        self._drops_masks = mask_rule.drops_masks()  # made from a Keras 3 file: its rule
        self._own_weights: list[Variable] = []
        self._layers: list[Layer] = []
        self._inbound_nodes: list[Node] = []
        self._losses: list = []   # regularization penalties (symbolic scalars)
        self._updates: list = []  # (variable, new value) pairs run with each training step
        sig = inspect.signature(self.call).parameters
        self._call_takes_training = "training" in sig
        self._call_takes_mask = "mask" in sig

    # ---- tracking weights and sub-layers ----
    def __setattr__(self, name, value):
        if isinstance(value, Layer) and "_layers" in self.__dict__:
            if value not in self._layers:
                self._layers.append(value)
        elif isinstance(value, (list, tuple)) and "_layers" in self.__dict__ and \
                value and all(isinstance(v, Layer) for v in value):
            self._layers.extend(v for v in value if v not in self._layers)
        object.__setattr__(self, name, value)

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._layers:
            layer.trainable = value

    # positional order when the first argument is a name (minikeras / Keras 2) or a shape
    # (Keras 3: ``add_weight((3, 4), "zeros")``)
    _NAME_FIRST = ("name", "shape", "initializer", "regularizer", "trainable", "dtype",
                   "constraint")
    _SHAPE_FIRST = ("shape", "initializer", "dtype", "trainable")

    def add_weight(self, *args, name=None, shape=None, initializer=None, regularizer=None,
                   trainable=True, dtype=None, constraint=None) -> Variable:
        """Create a weight variable. Keywords work in every Keras spelling; positional
        arguments are read as ``(name, shape, initializer, ...)`` when the first is a
        string (Keras 2) and as ``(shape, initializer, dtype, trainable)`` otherwise
        (Keras 3)."""
        if args:
            order = self._NAME_FIRST if isinstance(args[0], str) else self._SHAPE_FIRST
            if len(args) > len(order):
                raise TypeError(f"add_weight takes at most {len(order)} positional "
                                f"arguments here ({', '.join(order)}), got {len(args)}")
            given = {"name": name, "shape": shape, "initializer": initializer,
                     "regularizer": regularizer, "trainable": trainable, "dtype": dtype,
                     "constraint": constraint}
            for key, value in zip(order, args):
                if key != "trainable" and given[key] is not None:
                    raise TypeError(f"add_weight got multiple values for argument {key!r}")
                given[key] = value
            name, shape, initializer = given["name"], given["shape"], given["initializer"]
            regularizer, trainable = given["regularizer"], given["trainable"]
            dtype, constraint = given["dtype"], given["constraint"]
        dtype = dtype or self.dtype
        if initializer is None:
            initializer = "glorot_uniform" if np.issubdtype(np.dtype(dtype), np.floating) \
                else "zeros"
        init = initializers.get(initializer)
        shape = (shape,) if isinstance(shape, int) else tuple(shape or ())
        budget.spend(self.name, shape)  # loading a file: no more than the file holds
        var = K.variable(init(shape, dtype=dtype), dtype=dtype,
                         name=f"{self.name}/{name or 'weight_' + str(len(self._own_weights))}")
        var.trainable = trainable
        var.constraint = constraints.get(constraint)
        var.regularizer = regularizers.get(regularizer)
        self._own_weights.append(var)
        return var

    @property
    def weights(self) -> list[Variable]:
        """All weights, in Keras's order: this layer's trainable ones, its other ones, then
        each sub-layer's (the order get_weights/set_weights use)."""
        own = [w for w in self._own_weights if w.trainable] + \
              [w for w in self._own_weights if not w.trainable]
        return _unique(own + [w for layer in self._layers for w in layer.weights])

    @property
    def trainable_weights(self) -> list[Variable]:
        """The weights training changes: none when the layer is frozen (trainable=False)."""
        if not self.trainable:
            return []
        own = [w for w in self._own_weights if w.trainable]
        return _unique(own + [w for layer in self._layers for w in layer.trainable_weights])

    @property
    def non_trainable_weights(self) -> list[Variable]:
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def get_weights(self) -> list[np.ndarray]:
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights) -> None:
        mine = self.weights
        if len(weights) != len(mine):
            raise ValueError(f'layer "{self.name}" expects {len(mine)} weight arrays, got '
                             f"{len(weights)}")
        for var, value in zip(mine, weights):
            value = np.asarray(value)
            if value.shape != var.value.shape:
                raise ValueError(f'layer "{self.name}": weight {var.name} has shape '
                                 f"{var.value.shape}, the value given has shape {value.shape}")
            var.assign(value)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f'layer "{self.name}" has no weights yet: it is built on its '
                             f"first call (or give it an input_shape)")
        return int(sum(np.prod(w.shape, dtype=np.int64) for w in self.weights))

    @property
    def losses(self) -> list[Tensor]:
        """Regularization penalties of this layer's weights (and of its sub-layers)."""
        own = [w.regularizer(w) for w in self._own_weights
               if getattr(w, "regularizer", None) is not None]
        return own + self._losses + [loss for l in self._layers for loss in l.losses]

    def add_loss(self, loss) -> None:
        self._losses.append(loss)

    def __init_subclass__(cls, **kwargs):
        """A layer's own ``build`` marks it built when it returns (as in Keras 3), so that
        ``layer.build(shape)`` called by hand is not followed by a second build, with a
        second set of weights, at the first call. (Models decide for themselves.)"""
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not hasattr(cls, "_is_sequential"):
            cls.build = _marks_built(build)

    # ---- building and calling ----
    def build(self, input_shape) -> None:
        """Create the weights. The base version creates none."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        """The computation. The base version returns its input unchanged."""
        return inputs

    def compute_output_shape(self, input_shape):
        """The output shape, worked out by running ``call`` on a placeholder."""
        probe = _map_shapes(lambda s: K.placeholder(shape=s, dtype=self.dtype), input_shape)
        return nest_map(lambda t: t.shape, self._symbolic_call(probe, {}, None))

    def compute_mask(self, inputs, mask=None):
        """The mask of the output; layers that support masking pass it through."""
        return mask if self.supports_masking else None

    def _maybe_build(self, inputs) -> None:
        if not self.built:
            shapes = nest_map(lambda t: t.shape, inputs)
            self.build(shapes)
            self.built = True

    def _check_input(self, inputs) -> None:
        if self.input_spec is None:
            return
        specs = self.input_spec if isinstance(self.input_spec, list) else [self.input_spec]
        for i, (spec, x) in enumerate(zip(specs, nest_flatten(inputs))):
            problem = spec.mismatch(x.shape)
            if problem:
                raise ValueError(f'Input {i} of layer "{self.name}" is incompatible with the '
                                 f"layer: {problem}, but received input with shape "
                                 f"{format_shape(x.shape)}{self._input_mismatch_note()}"
                                 f"\n  at {Origin.capture()}")

    def _input_mismatch_note(self) -> str:
        """More to say when an input does not fit ``input_spec`` (convolutions: the shapes
        of the weights it was built for). Nothing by default."""
        return ""

    def _symbolic_call(self, inputs, kwargs, training):
        self._maybe_build(inputs)
        self._check_input(inputs)
        kwargs = dict(kwargs)
        if self._call_takes_training and "training" not in kwargs:
            kwargs["training"] = training
        masks = kwargs.get("mask") if kwargs.get("mask") is not None else \
            nest_map(lambda t: getattr(t, "_keras_mask", None), inputs)
        has_mask = any(m is not None for m in nest_flatten(masks))
        if has_mask and not (self.supports_masking or self._call_takes_mask) and \
                self._drops_masks:
            warnings.warn(f'Layer "{self.name}" ({type(self).__name__}) was passed an input '
                          f"with a mask attached to it, but does not support masking and "
                          f"will therefore destroy the mask information (Keras 3's rule, "
                          f"for a model read from a file)", stacklevel=3)
            masks, has_mask = None, False
        if has_mask and not (self.supports_masking or self._call_takes_mask):
            raise TypeError(
                f'Layer "{self.name}" ({type(self).__name__}) does not support masking, but '
                f"was passed an input mask (made by Masking or Embedding(mask_zero=True) "
                f"upstream). Consume the mask first, e.g. with a recurrent layer without "
                f"return_sequences\n  at {Origin.capture()}")
        if self._call_takes_mask and "mask" not in kwargs and has_mask:
            kwargs["mask"] = masks
        with UpdateRecorder() as recorded:
            outputs = self.call(inputs, **kwargs)
        if recorded.updates:
            outputs = _carrying(outputs, recorded.updates)
        out_mask = self.compute_mask(inputs, masks if has_mask else None)
        for t, m in zip(nest_flatten(outputs),
                        nest_flatten(out_mask) if isinstance(out_mask, (list, tuple))
                        else [out_mask] * len(nest_flatten(outputs))):
            # as Keras 3: a mask a tensor already carries (a nested model's output) stays
            if isinstance(t, Tensor) and (m is not None or
                                          getattr(t, "_keras_mask", None) is None):
                t._keras_mask = m
        return outputs

    def __call__(self, inputs, *args, **kwargs):
        if not any(isinstance(t, Tensor) for t in nest_flatten(inputs)):
            return self._call_eagerly(inputs, *args, **kwargs)
        if args:
            raise TypeError(f'layer "{self.name}": pass extra call arguments by keyword')
        training = kwargs.pop("training", None)
        outputs = self._symbolic_call(inputs, kwargs, training)
        index = len(self._inbound_nodes)
        position = itertools.count()

        def claim(t: Tensor) -> Tensor:
            # every output tensor remembers (layer, node, position); a tensor some other
            # layer (or nobody: a variable, an input) made is first copied by `identity`
            if t._keras_history is not None or t.op is None:
                mask = getattr(t, "_keras_mask", None)
                t = identity(t)
                t._keras_mask = mask
            t._keras_history = (self, index, next(position))
            return t

        outputs = nest_map(claim, outputs)
        self._inbound_nodes.append(Node(self, inputs, outputs, dict(kwargs, training=training)))
        return outputs

    def _call_eagerly(self, inputs, *args, training=False, **kwargs):
        """Run on NumPy data now: wrap it as constants, build the graph, evaluate."""
        def constant(a):
            a = np.asarray(a)
            return Constant(a.astype(self.dtype) if a.dtype.kind == "f" else a)

        constants = nest_map(constant, inputs)
        outputs = self._symbolic_call(constants, kwargs, training)
        # a stateful layer (or a model holding one) keeps the states this call ends with,
        # as Keras 3's eager calls do: the outputs and the state updates run together
        updates = self._stateful_updates() if hasattr(self, "_stateful_updates") else \
            getattr(self, "_state_updates", [])
        if not updates:
            return nest_map(lambda t: _as_array(K.eval(t)), outputs)
        values = iter(K.function([], nest_flatten(outputs), updates)([]))
        return nest_map(lambda t: _as_array(next(values)), outputs)

    # ---- shapes of a called layer ----
    def _node_attr(self, attr):
        if not self._inbound_nodes:
            raise AttributeError(f'layer "{self.name}" has not been called yet, so it has no '
                                 f"{attr}")
        node = self._inbound_nodes[0]
        values = node.output_tensors if attr == "output" else node.input_tensors
        return values[0] if len(values) == 1 else values

    @property
    def input(self):
        return self._node_attr("input")

    @property
    def output(self):
        return self._node_attr("output")

    @property
    def input_shape(self):
        return nest_map(lambda t: t.shape, self.input)

    @property
    def output_shape(self):
        return nest_map(lambda t: t.shape, self.output)

    # ---- configuration ----
    def get_config(self) -> dict:
        cfg = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            cfg["batch_input_shape"] = list(self._batch_input_shape)
        return cfg

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _carrying(outputs, updates):
    """The outputs of a call that assigned variables a value computed from its (symbolic)
    inputs: each output carries the updates, so that every function computing it runs
    them; an output that *is* such a variable stands for its new value (as in Keras 3,
    where ``self.total.assign_add(x); return self.total`` returns the new total)."""
    new = {id(var): value for var, value in updates}

    def carry(t):
        if not isinstance(t, Tensor):
            return t
        t = new.get(id(t), t)
        if t.op is None:  # a leaf belongs to every graph that reads it: carry on a copy
            t = identity(t)
        t.attached_updates = (*t.attached_updates, *updates)
        return t

    return nest_map(carry, outputs)


def _marks_built(build):
    @functools.wraps(build)
    def build_then_mark(self, *args, **kwargs):
        result = build(self, *args, **kwargs)
        self.built = True
        return result
    return build_then_mark


def _map_shapes(fn, shapes):
    """Apply ``fn`` to each shape in ``shapes``: one shape (a tuple of ints and None) or
    a (nested) list of them."""
    if isinstance(shapes, (list, tuple)) and all(d is None or isinstance(d, (int, np.integer))
                                                 for d in shapes):
        return fn(tuple(shapes))
    return type(shapes)(_map_shapes(fn, s) for s in shapes)


def _unique(variables):
    seen, out = set(), []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out
