"""Elementwise ops: arithmetic, math functions, comparisons, where, cast, clip.

Each op's backward rule sits right under it. Binary ops broadcast like NumPy, and their
gradients are summed back to each input's shape with ``unbroadcast``.

Dtypes follow Keras 3 (``minikeras.dtypes``): the inputs of a binary op are first cast to
the dtype the result will have, so every kernel sees inputs of one dtype and gives the
dtype the graph declared; ``divide`` and the float functions (``exp``, ``sqrt``...) give
floatx for integer or boolean inputs, as Keras does.

>>> import minikeras.backend as K
>>> x = K.variable([1.0, 2.0, 3.0])
>>> K.eval(K.gradients(K.sum(x * x), [x])[0])      # d/dx sum(x^2) = 2x
array([2., 4., 6.], dtype=float32)
"""
from __future__ import annotations

import numpy as np

from minikeras.dtypes import float_of, is_float, python_dtype, result_type
from minikeras.ops.broadcast import unbroadcast
from minikeras.ops.core import (
    Op,
    ShapeError,
    Tensor,
    _kind,
    as_tensor,
    as_tensors,
    boolean_result,
    broadcasting,
    floating,
    same_as_input,
)


def promote(*values, floating: bool = False) -> list[Tensor]:
    """The values as tensors of one dtype, the one Keras 3 gives an op on them (bare
    numbers are weak); ``floating=True`` for ops whose result is a float even for
    integers (``divide``). Tensors of another dtype are cast (a ``cast`` node).

    >>> import minikeras.backend as K
    >>> [t.dtype for t in promote(K.variable([1, 2], dtype="int32"), 0.5)]
    ['float32', 'float32']
    """
    kinds = [_kind(v) for v in values]
    dtype = result_type(*kinds, float) if floating else result_type(*kinds)
    return [cast(as_tensor(v, dtype if k in (int, float) else None), dtype)
            for v, k in zip(values, kinds)]


def _binary(op: Op, floating: bool = False):
    def build(a, b) -> Tensor:
        return op(*promote(a, b, floating=floating))
    build.__name__ = op.name
    build.__doc__ = f"Elementwise {op.name} with NumPy broadcasting (Keras 3 dtypes)."
    return build


def _float_function(op: Op, doc: str):
    """A function of one input with a float result: ints and bools become floatx first."""
    def build(x) -> Tensor:
        (x,) = as_tensors(x)
        return op(cast(x, float_of(x.dtype)))
    build.__name__ = build.__qualname__ = op.name
    build.__doc__ = doc
    build.op = op
    return build


# ---- arithmetic ----
def _add_grad(y, g):
    a, b = y.inputs
    return [unbroadcast(g, a), unbroadcast(g, b)]


def _subtract_grad(y, g):
    a, b = y.inputs
    return [unbroadcast(g, a), unbroadcast(negative(g), b)]


def _multiply_grad(y, g):
    a, b = y.inputs
    return [unbroadcast(g * b, a), unbroadcast(g * a, b)]


def _divide_grad(y, g):
    """d(a/b) = da / b - a/b^2 db; the second term uses the output y = a/b."""
    a, b = y.inputs
    return [unbroadcast(g / b, a), unbroadcast(negative(g * y / b), b)]


def _power_grad(y, g):
    """d(a^b) = b a^(b-1) da + a^b log(a) db."""
    a, b = y.inputs
    return [unbroadcast(g * b * power(a, b - 1), a), unbroadcast(g * y * log(a), b)]


_ADD = Op("add", broadcasting, _add_grad)
_SUBTRACT = Op("subtract", broadcasting, _subtract_grad)
_MULTIPLY = Op("multiply", broadcasting, _multiply_grad)
_DIVIDE = Op("divide", broadcasting, _divide_grad)
_POWER = Op("power", broadcasting, _power_grad)
add, multiply, power = _binary(_ADD), _binary(_MULTIPLY), _binary(_POWER)
divide = _binary(_DIVIDE, floating=True)  # 1 / 2 is 0.5, for integer tensors too


def _no_bools(x: Tensor, what: str) -> None:
    if x.dtype == "bool":
        raise ShapeError(f"{what} of boolean tensors is not defined (as in Keras); use "
                         f"logical_not / logical_xor, or cast to a number first")


def subtract(a, b) -> Tensor:
    """Elementwise a - b with NumPy broadcasting (Keras 3 dtypes; not for booleans)."""
    a, b = promote(a, b)
    _no_bools(a, "subtract")
    return _SUBTRACT(a, b)


_NEGATIVE = Op("negative", same_as_input, grad=lambda y, g: [negative(g)])


def negative(x) -> Tensor:
    """Elementwise -x (not for booleans)."""
    (x,) = as_tensors(x)
    _no_bools(x, "negative")
    return _NEGATIVE(x)


def _maximum_grad(y, g):
    """The gradient goes to whichever input was larger (to ``a`` on ties)."""
    a, b = y.inputs
    a_won = greater_equal(a, b)
    return [unbroadcast(where(a_won, g, 0.0), a), unbroadcast(where(a_won, 0.0, g), b)]


def _minimum_grad(y, g):
    a, b = y.inputs
    a_won = less_equal(a, b)
    return [unbroadcast(where(a_won, g, 0.0), a), unbroadcast(where(a_won, 0.0, g), b)]


maximum = _binary(Op("maximum", broadcasting, _maximum_grad))
minimum = _binary(Op("minimum", broadcasting, _minimum_grad))


# ---- math of one input ----
def _abs_grad(y, g):
    return [g * sign(y.inputs[0])]


def _exp_grad(y, g):
    """d exp(x) = exp(x): reuse the output."""
    return [g * y]


def _log_grad(y, g):
    return [g / y.inputs[0]]


def _sqrt_grad(y, g):
    """d sqrt(x) = 1 / (2 sqrt(x)): reuse the output."""
    return [g * 0.5 / y]


def _square_grad(y, g):
    return [g * 2.0 * y.inputs[0]]


abs = Op("abs", same_as_input, _abs_grad)
sign = Op("sign", same_as_input)  # flat almost everywhere: no gradient flows
exp = _float_function(Op("exp", floating, _exp_grad), "e^x, elementwise.")
log = _float_function(Op("log", floating, _log_grad), "Natural logarithm, elementwise.")
sqrt = _float_function(Op("sqrt", floating, _sqrt_grad), "Square root, elementwise.")
_SQUARE = Op("square", same_as_input, _square_grad)


def square(x) -> Tensor:
    """x * x, elementwise (booleans count as int32, as Keras 3 does)."""
    (x,) = as_tensors(x)
    return _SQUARE(cast(x, "int32") if x.dtype == "bool" else x)


def _sin_grad(y, g):
    return [g * cos(y.inputs[0])]


def _cos_grad(y, g):
    return [negative(g * sin(y.inputs[0]))]


def _log1p_grad(y, g):
    """d log(1 + x) = 1 / (1 + x)."""
    return [g / (1.0 + y.inputs[0])]


def _expm1_grad(y, g):
    """d (e^x - 1) = e^x = y + 1."""
    return [g * (y + 1.0)]


sin = _float_function(Op("sin", floating, _sin_grad), "Sine, elementwise (radians).")
cos = _float_function(Op("cos", floating, _cos_grad), "Cosine, elementwise (radians).")
log1p = _float_function(Op("log1p", floating, _log1p_grad),
                        "log(1 + x), accurate for tiny x, elementwise.")
expm1 = _float_function(Op("expm1", floating, _expm1_grad),
                        "e^x - 1, accurate for tiny x, elementwise.")

# steps and tests of values: flat or undefined slopes, so no gradient flows
floor = _float_function(Op("floor", same_as_input),
                        "The largest integer <= x, elementwise (a float; no gradient).")
ceil = _float_function(Op("ceil", same_as_input),
                       "The smallest integer >= x, elementwise (a float; no gradient).")
_ROUND = Op("round", same_as_input)
isnan = Op("isnan", lambda x: (x.shape, "bool"))
isinf = Op("isinf", lambda x: (x.shape, "bool"))
isfinite = Op("isfinite", lambda x: (x.shape, "bool"))


def round(x, decimals: int = 0) -> Tensor:
    """Round to ``decimals`` places, halves to even (as NumPy and Keras); no gradient."""
    (x,) = as_tensors(x)
    return _ROUND(x, decimals=int(decimals))


floor_divide = _binary(Op("floor_divide", broadcasting))


def _mod_grad(y, g):
    """a mod b = a - floor(a / b) b: slope 1 in a, -floor(a / b) in b."""
    a, b = y.inputs
    return [unbroadcast(g, a), unbroadcast(negative(g * floor(a / b)), b)]


mod = _binary(Op("mod", broadcasting, _mod_grad))


def _clip_grad(y, g):
    """Gradient passes where the input was inside [min_value, max_value]."""
    x = y.inputs[0]
    lo, hi = y.attrs["min_value"], y.attrs["max_value"]
    return [where(less(x, lo), 0.0, where(greater(x, hi), 0.0, g))]


_CLIP = Op("clip", same_as_input, _clip_grad)


def clip(x, min_value: float, max_value: float) -> Tensor:
    """Limit values to [min_value, max_value] (K.clip). An integer tensor clipped to
    float bounds gives floats (Keras 3's dtype rule)."""
    (x,) = as_tensors(x)
    x = cast(x, result_type(x.dtype, python_dtype(min_value) or float,
                            python_dtype(max_value) or float))
    max_value = max(max_value, min_value)  # Keras does the same
    return _CLIP(x, min_value=float(min_value), max_value=float(max_value))


# ---- comparisons: boolean results, no gradient (an int tensor and 2.5 compare as floats) --
greater = _binary(Op("greater", boolean_result))
greater_equal = _binary(Op("greater_equal", boolean_result))
less = _binary(Op("less", boolean_result))
less_equal = _binary(Op("less_equal", boolean_result))
equal = _binary(Op("equal", boolean_result))
not_equal = _binary(Op("not_equal", boolean_result))
logical_and = _binary(Op("logical_and", boolean_result))
logical_or = _binary(Op("logical_or", boolean_result))
logical_not = Op("logical_not", lambda x: (x.shape, "bool"))


# ---- choosing and converting ----
def _where_infer(cond, a, b):
    shape, _ = broadcasting(cond, a, b)
    return shape, result_type(a.dtype, b.dtype)


def _where_grad(y, g):
    cond, a, b = y.inputs
    return [None, unbroadcast(where(cond, g, 0.0), a), unbroadcast(where(cond, 0.0, g), b)]


_WHERE = Op("where", _where_infer, _where_grad)


def where(condition, a, b) -> Tensor:
    """Elementwise ``a if condition else b`` (K.switch with a tensor condition)."""
    cond, = as_tensors(condition)
    a, b = promote(a, b)
    if cond.dtype != "bool":
        cond = cast(cond, "bool")
    return _WHERE(cond, a, b)


def _cast_grad(y, g):
    x = y.inputs[0]
    if not (is_float(x.dtype) and is_float(y.dtype)):
        return [None]
    return [cast(g, x.dtype)]


_CAST = Op("cast", lambda x, dtype: (x.shape, dtype), _cast_grad)


def cast(x, dtype) -> Tensor:
    """Convert to another dtype (gradients flow between float types only)."""
    (x,) = as_tensors(x)
    try:
        dtype = np.dtype(dtype).name
    except TypeError:
        raise ShapeError(f"cast: {dtype!r} is not a dtype") from None
    return x if x.dtype == dtype else _CAST(x, dtype=dtype)


zeros_like = Op("zeros_like", lambda x, dtype=None: (x.shape, dtype or x.dtype))
ones_like = Op("ones_like", lambda x, dtype=None: (x.shape, dtype or x.dtype))
identity = Op("identity", same_as_input, grad=lambda y, g: [g])
identity.__doc__ = "A new node with the same value (so a layer can own its output)."
# identity forward; having no backward rule, it stops the gradient here
stop_gradient = Op("stop_gradient", same_as_input)
