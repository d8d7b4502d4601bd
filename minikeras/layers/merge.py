"""Merge layers: combine a list of tensors into one (functional models' joints).

>>> import numpy as np
>>> Add()([np.array([[1.0, 2.0]]), np.array([[10.0, 20.0]])])
Array([[11., 22.]], dtype=float32)
>>> Concatenate()([np.zeros((2, 3)), np.ones((2, 1))]).shape
(2, 4)
"""
from __future__ import annotations

from functools import reduce

from minikeras import ops
from minikeras.axes import broadcast_shapes
from minikeras.layers.base import Layer
from minikeras.tensor import Origin, format_shape


class Merge(Layer):
    """Base of the elementwise merges: checks there is a list of compatible tensors.

    >>> import numpy as np
    >>> Add()([np.zeros(2), np.zeros(3)])
    Traceback (most recent call last):
    ...
    ValueError: layer "add..." cannot combine inputs of shapes (2,), (3,)...
    """

    n_inputs: int | None = None  # exactly this many, when set

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or \
                not isinstance(input_shape[0], (list, tuple)):
            raise ValueError(f'layer "{self.name}" must be called on a list of tensors, got '
                             f"{_describe(input_shape)}\n  at {Origin.capture()}")
        if self.n_inputs is not None and len(input_shape) != self.n_inputs:
            raise ValueError(f'layer "{self.name}" needs exactly {self.n_inputs} inputs, got '
                             f"{len(input_shape)}\n  at {Origin.capture()}")
        if len(input_shape) < 2 and self.n_inputs is None:
            raise ValueError(f'layer "{self.name}" needs at least 2 inputs, got '
                             f"{len(input_shape)}\n  at {Origin.capture()}")
        self._check_shapes(input_shape)

    def _check_shapes(self, shapes):
        try:
            broadcast_shapes(*shapes)
        except ValueError:
            raise ValueError(f'layer "{self.name}" cannot combine inputs of shapes '
                             + ", ".join(format_shape(s) for s in shapes)
                             + f"\n  at {Origin.capture()}") from None

    def call(self, inputs):
        return reduce(self.combine, inputs)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        present = [m for m in mask if m is not None]
        return reduce(ops.logical_and, present)


class Add(Merge):
    """Elementwise sum of the inputs.

    Args:
        **kwargs: the base layer's arguments (``name``, ``dtype``, ...).

    Input shape:
        A list of at least 2 tensors whose shapes broadcast together (usually all the same).

    Output shape:
        Their broadcast shape.

    Example:

    >>> import numpy as np
    >>> Add()([np.array([1.0, 2.0]), np.array([10.0, 20.0])])
    Array([11., 22.], dtype=float32)
    """

    @staticmethod
    def combine(a, b):
        return a + b


class Subtract(Merge):
    """inputs[0] - inputs[1] (exactly two inputs).

    Args:
        **kwargs: the base layer's arguments (``name``, ``dtype``, ...).

    Input shape:
        A list of 2 tensors whose shapes broadcast together (usually all the same).

    Output shape:
        Their broadcast shape.

    Example:

    >>> import numpy as np
    >>> Subtract()([np.array([5.0]), np.array([2.0])])
    Array([3.], dtype=float32)
    """

    n_inputs = 2

    @staticmethod
    def combine(a, b):
        return a - b


class Multiply(Merge):
    """Elementwise product of the inputs.

    Args:
        **kwargs: the base layer's arguments (``name``, ``dtype``, ...).

    Input shape:
        A list of at least 2 tensors whose shapes broadcast together (usually all the same).

    Output shape:
        Their broadcast shape.

    Example:

    >>> import numpy as np
    >>> Multiply()([np.array([2.0, 3.0]), np.array([4.0, 5.0])])
    Array([ 8., 15.], dtype=float32)
    """

    @staticmethod
    def combine(a, b):
        return a * b


class Maximum(Merge):
    """Elementwise maximum of the inputs.

    Args:
        **kwargs: the base layer's arguments (``name``, ``dtype``, ...).

    Input shape:
        A list of at least 2 tensors whose shapes broadcast together (usually all the same).

    Output shape:
        Their broadcast shape.

    Example:

    >>> import numpy as np
    >>> Maximum()([np.array([1.0, 9.0]), np.array([5.0, 2.0])])
    Array([5., 9.], dtype=float32)
    """

    combine = staticmethod(ops.maximum)


class Minimum(Merge):
    """Elementwise minimum of the inputs.

    Args:
        **kwargs: the base layer's arguments (``name``, ``dtype``, ...).

    Input shape:
        A list of at least 2 tensors whose shapes broadcast together (usually all the same).

    Output shape:
        Their broadcast shape.

    Example:

    >>> import numpy as np
    >>> Minimum()([np.array([1.0, 9.0]), np.array([5.0, 2.0])])
    Array([1., 2.], dtype=float32)
    """

    combine = staticmethod(ops.minimum)


class Average(Merge):
    """Elementwise mean of the inputs.

    Args:
        **kwargs: the base layer's arguments (``name``, ``dtype``, ...).

    Input shape:
        A list of at least 2 tensors whose shapes broadcast together (usually all the same).

    Output shape:
        Their broadcast shape.

    Example:

    >>> import numpy as np
    >>> Average()([np.array([1.0, 3.0]), np.array([3.0, 5.0])])
    Array([2., 4.], dtype=float32)
    """

    def call(self, inputs):
        return reduce(lambda a, b: a + b, inputs) / float(len(inputs))


class Concatenate(Merge):
    """Join the inputs along ``axis`` (default: the last, the features).

    Args:
        axis: the axis to join along, defaults to -1.
        **kwargs: the base layer's arguments (``name``, ``dtype``, ...).

    Input shape:
        A list of at least 2 tensors with the same shape except along ``axis``.

    Output shape:
        That shape, with the sizes along ``axis`` added up.

    Example:

    >>> import numpy as np
    >>> Concatenate(axis=0)([np.array([1.0]), np.array([2.0, 3.0])])
    Array([1., 2., 3.], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _check_shapes(self, shapes):
        ndim = len(shapes[0])
        axis = self.axis % ndim
        for s in shapes:
            if len(s) != ndim or any(a != b and None not in (a, b) for i, (a, b)
                                     in enumerate(zip(shapes[0], s)) if i != axis):
                raise ValueError(f'layer "{self.name}" needs inputs that match except along '
                                 f"axis {self.axis}; got "
                                 + ", ".join(format_shape(s) for s in shapes)
                                 + f"\n  at {Origin.capture()}")

    def call(self, inputs):
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        if self.axis % inputs[0].ndim == inputs[0].ndim - 1:
            return super().compute_mask(inputs, mask)  # features joined: same timesteps
        raise NotImplementedError("Concatenate of masked inputs along a non-feature axis")

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


def _describe(input_shape) -> str:
    """What a merge layer was called on, when it is not a list of tensors."""
    if isinstance(input_shape, (list, tuple)) and input_shape and all(
            d is None or isinstance(d, int) for d in input_shape):
        return f"one tensor of shape {format_shape(input_shape)}"
    return repr(input_shape)


def add(inputs, **kwargs):
    """Functional form of ``Add``: ``add([x1, x2])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)
