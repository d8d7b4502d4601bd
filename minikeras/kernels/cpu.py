"""Numba CPU kernels: the hot elementwise, reduction and softmax work, run on every core.

The idea, as in minitorch: write a few *generic loops* once, and let each op choose the
scalar function the loop applies.

* ``_map``:        ``out[i] = f(x[i])``                 tanh, exp, relu, elu, ...
* ``_zip``:        ``out[i] = f(a[i], b[i])``           add, multiply, ... (same shapes)
* ``_zip_rows``:   ``out[n, j] = f(a[n, j], row[j])``   the bias add: (N, M) + (M,)
* ``_reduce_rows`` and ``_reduce_columns``: combine a view ``(A, R, B)`` of the input over
  its middle axis R with ``f`` (sum, max or min along any axes)
* ``_softmax_rows``: softmax and log-softmax along the last axis.

Each loop is compiled by Numba with ``parallel=True``: ``prange`` splits its iterations
among the CPU's threads.

Which scalar function a loop applies is picked by a small integer code (``TANH``,
``ADD``, ``SUM``, ...). Why not pass the function itself, or build each kernel in a
closure (``make_map(tanh)``)? Numba compiles both, but it cannot cache such kernels on
disk, so every new Python process would spend seconds compiling them again. With a code,
each loop is compiled once per dtype, covers all its ops, and is cached (``cache=True``).
The ``if code == ...`` test is the same for every element, so it costs nothing we can
measure (the CPU predicts it perfectly and the compiler can hoist it out of the loop).

Every public wrapper has the signature and the meaning of the NumPy reference kernel of
the same name, and hands the work back to that kernel whenever the fast path does not
apply: arrays that are small (starting threads costs more than the work), not float32 or
float64, empty, of mixed dtypes, or broadcast in a way the loops do not cover.

``error_model="numpy"`` makes 1 / 0 give inf (with NumPy's rules) instead of raising
ZeroDivisionError as Python does.

Faster is not guaranteed. NumPy runs each ufunc (``np.tanh``, ``np.exp``, ...) as a SIMD
loop that handles 8 or 16 numbers per instruction; the loops here call the scalar math
function once per element (Numba vectorises ``exp`` or ``tanh`` only with Intel's SVML,
which the PyPI builds lack). So on a machine with few cores a single ``tanh`` can be
slower here than in NumPy. These loops win where NumPy needs several passes and
temporary arrays for one op: softplus, elu, softmax, the bias add, axis-0 sums.
"""
from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange

from minikeras.kernels import reference

REF = reference.KERNELS

# Arrays with fewer elements than this go to the NumPy reference kernels.
PARALLEL_MIN_SIZE = 1 << 20  # below ~1M elements, starting threads costs more than it saves

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

# ---- scalar functions, picked by code ----
TANH, EXP, LOG, SQRT, SQUARE, ABS, NEGATIVE, SIGMOID, RELU, ELU, SOFTPLUS = range(11)
ADD, SUBTRACT, MULTIPLY, DIVIDE, MAXIMUM, MINIMUM = range(6)
SUM, MAX, MIN = range(3)

_UNARY = {"tanh": TANH, "exp": EXP, "log": LOG, "sqrt": SQRT, "square": SQUARE,
          "abs": ABS, "negative": NEGATIVE, "sigmoid": SIGMOID, "relu": RELU,
          "elu": ELU, "softplus": SOFTPLUS}
_BINARY = {"add": ADD, "subtract": SUBTRACT, "multiply": MULTIPLY, "divide": DIVIDE,
           "maximum": MAXIMUM, "minimum": MINIMUM}
_REDUCE = {"sum": SUM, "max": MAX, "min": MIN}


@njit(cache=True, error_model="numpy")
def _unary_fn(code, v, alpha):
    """f(v) for the unary op ``code``; ``alpha`` is used by elu only."""
    if code == TANH:
        return np.tanh(v)
    elif code == EXP:
        return np.exp(v)
    elif code == LOG:
        return np.log(v)
    elif code == SQRT:
        return np.sqrt(v)
    elif code == SQUARE:
        return v * v
    elif code == ABS:
        return np.abs(v)
    elif code == NEGATIVE:
        return -v
    elif code == SIGMOID:
        return 0.5 * np.tanh(0.5 * v) + 0.5  # never overflows, unlike 1 / (1 + e^-v)
    elif code == RELU:
        return v if (v > 0 or np.isnan(v)) else 0.0  # NaN stays NaN
    elif code == ELU:
        return v if v > 0 else alpha * np.expm1(v)
    else:  # SOFTPLUS: log(1 + e^v) = log(1 + e^-|v|) + max(v, 0), which never overflows
        return np.log1p(np.exp(-np.abs(v))) + (v if v > 0 else 0.0)


@njit(cache=True, error_model="numpy")
def _binary_fn(code, a, b):
    """f(a, b) for the binary op ``code``; maximum and minimum propagate NaN like NumPy."""
    if code == ADD:
        return a + b
    elif code == SUBTRACT:
        return a - b
    elif code == MULTIPLY:
        return a * b
    elif code == DIVIDE:
        return a / b
    elif code == MAXIMUM:
        return a if (a >= b or np.isnan(a)) else b
    else:  # MINIMUM
        return a if (a <= b or np.isnan(a)) else b


@njit(cache=True)
def _combine(code, acc, v):
    """Fold one more value ``v`` into the running result ``acc`` of a reduction."""
    if code == SUM:
        return acc + v
    elif code == MAX:
        return acc if (acc >= v or np.isnan(acc)) else v
    else:  # MIN
        return acc if (acc <= v or np.isnan(acc)) else v


# ---- the generic parallel loops ----
@njit(parallel=True, cache=True, error_model="numpy")
def _map(code, x, alpha, out):
    """out[i] = f(x[i]) for 1-D arrays."""
    for i in prange(x.size):
        out[i] = _unary_fn(code, x[i], alpha)


@njit(parallel=True, cache=True, error_model="numpy")
def _zip(code, a, b, out):
    """out[i] = f(a[i], b[i]) for 1-D arrays of one size."""
    for i in prange(a.size):
        out[i] = _binary_fn(code, a[i], b[i])


@njit(parallel=True, cache=True, error_model="numpy")
def _zip_rows(code, x, row, out, row_first):
    """out[n, j] = f(x[n, j], row[j]), or f(row[j], x[n, j]) when ``row_first``."""
    n_rows, n_cols = x.shape
    for n in prange(n_rows):
        if row_first:
            for j in range(n_cols):
                out[n, j] = _binary_fn(code, row[j], x[n, j])
        else:
            for j in range(n_cols):
                out[n, j] = _binary_fn(code, x[n, j], row[j])


@njit(parallel=True, cache=True)
def _reduce_rows(code, x, out):
    """out[a] = x[a, 0] (+) x[a, 1] (+) ...: each output reduces one contiguous row.

    ``out`` is float64 for sums, so float32 rows are added up in float64."""
    n_rows, n_cols = x.shape
    for a in prange(n_rows):
        out[a] = x[a, 0]
        acc = out[a]  # a scalar of out's dtype
        for r in range(1, n_cols):
            acc = _combine(code, acc, x[a, r])
        out[a] = acc


@njit(parallel=True, cache=True)
def _reduce_columns(code, x, out, n_blocks):
    """out[a, b] = x[a, 0, b] (+) x[a, 1, b] (+) ... for x of shape (A, R, B).

    The R rows of each x[a] are cut into ``n_blocks`` blocks, reduced in parallel into
    partial results (each block is read row by row, contiguously), then combined. So a
    reduction along axis 0 of an (N, M) array, the bias gradient, uses every thread."""
    A, R, B = x.shape
    step = (R + n_blocks - 1) // n_blocks
    n_blocks = (R + step - 1) // step  # no empty block at the end
    partial = np.empty((A, n_blocks, B), out.dtype)
    for t in prange(A * n_blocks):
        a, k = t // n_blocks, t % n_blocks
        block = partial[a, k]
        for b in range(B):
            block[b] = x[a, k * step, b]
        for r in range(k * step + 1, min((k + 1) * step, R)):
            for b in range(B):
                block[b] = _combine(code, block[b], x[a, r, b])
    for a in prange(A):
        for b in range(B):
            acc = partial[a, 0, b]
            for k in range(1, n_blocks):
                acc = _combine(code, acc, partial[a, k, b])
            out[a, b] = acc


@njit(parallel=True, cache=True, error_model="numpy")
def _softmax_rows(x, out, log):
    """Softmax (or log-softmax, when ``log``) of each row of a 2-D array.

    Subtracting the row's largest value first keeps exp from overflowing."""
    n_rows, n_cols = x.shape
    for n in prange(n_rows):
        biggest = x[n, 0]
        for j in range(1, n_cols):
            biggest = _combine(MAX, biggest, x[n, j])
        total = 0.0  # float64
        for j in range(n_cols):
            e = np.exp(x[n, j] - biggest)
            total += e
            out[n, j] = e
        if log:
            log_total = np.log(total)
            for j in range(n_cols):
                out[n, j] = (x[n, j] - biggest) - log_total
        else:
            for j in range(n_cols):
                out[n, j] = out[n, j] / total


# ---- when to use the loops ----
def _fast(*arrays) -> bool:
    """True when Numba should do the work: non-empty float32/float64 arrays of one dtype
    (not 0-d), the largest with at least PARALLEL_MIN_SIZE elements."""
    dtype = getattr(arrays[0], "dtype", None)
    return (dtype in _FLOATS
            and all(isinstance(a, np.ndarray) and a.dtype == dtype and a.ndim > 0
                    and a.size > 0 for a in arrays)
            and max(a.size for a in arrays) >= PARALLEL_MIN_SIZE)


def _buffer(out, shape, dtype):
    """The executor's offered ``out`` buffer if it fits exactly, else a new array."""
    return out if reference.fits(out, shape, dtype) else np.empty(shape, dtype)


def _flat(x):
    """A 1-D, C-contiguous view (or copy, if ``x`` is not contiguous) of ``x``."""
    return np.ascontiguousarray(x).reshape(-1)


def _is_leading_broadcast(small, big) -> bool:
    """Does ``small`` broadcast to ``big`` by repeating it along leading axes only?

    True for (M,) or (1, M) against (N, M), and for () against anything."""
    core = _strip_ones(small)
    return len(small) <= len(big) and big[len(big) - len(core):] == core


def _strip_ones(shape):
    """``shape`` without its leading 1s: (1, 1, 5) -> (5,)."""
    i = 0
    while i < len(shape) and shape[i] == 1:
        i += 1
    return tuple(shape[i:])


def _rows(x, row_shape):
    """View ``x`` as a 2-D array whose rows have shape ``row_shape`` (at least its last
    axis, so that a broadcast scalar still gives rows worth a loop)."""
    n = max(len(row_shape), 1)
    cols = x.shape[-n:]
    return np.ascontiguousarray(x).reshape(-1, math.prod(cols)), cols


# ---- the public wrappers, and their factories ----
def _unary_kernel(name: str, doc: str):
    code, fallback = _UNARY[name], REF[name]
    accepts_out = getattr(fallback, "accepts_out", False)

    def kernel(x, out=None):
        if not _fast(x):
            return fallback(x, out=out) if accepts_out else fallback(x)
        out = _buffer(out, x.shape, x.dtype)
        _map(code, _flat(x), 0.0, out.reshape(-1))
        return out

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = doc
    kernel.accepts_out = True
    return kernel


tanh = _unary_kernel("tanh", "Hyperbolic tangent, elementwise.")
exp = _unary_kernel("exp", "e ** x, elementwise.")
log = _unary_kernel("log", "Natural logarithm, elementwise (NaN below 0, -inf at 0).")
sqrt = _unary_kernel("sqrt", "Square root, elementwise (NaN below 0).")
square = _unary_kernel("square", "x * x, elementwise.")
abs_ = _unary_kernel("abs", "|x|, elementwise.")
negative = _unary_kernel("negative", "-x, elementwise.")
sigmoid = _unary_kernel("sigmoid", "1 / (1 + e ** -x), computed as 0.5 tanh(x / 2) + 0.5.")
relu = _unary_kernel("relu", "max(x, 0), elementwise.")
softplus = _unary_kernel("softplus", "log(1 + e ** x), without overflow for large x.")


def elu(x, alpha):
    """x where x > 0, else alpha * (e ** x - 1), elementwise."""
    if not _fast(x):
        return REF["elu"](x, alpha)
    out = np.empty(x.shape, x.dtype)
    _map(ELU, _flat(x), float(alpha), out.reshape(-1))
    return out


def _binary_kernel(name: str, doc: str):
    code, fallback = _BINARY[name], REF[name]

    def kernel(a, b, out=None):
        if not _fast(a, b):
            return fallback(a, b, out=out)
        if a.shape == b.shape:
            out = _buffer(out, a.shape, a.dtype)
            _zip(code, _flat(a), _flat(b), out.reshape(-1))
            return out
        if _is_leading_broadcast(b.shape, a.shape):  # (N, M) op (M,)
            big, small, row_first = a, b, False
        elif _is_leading_broadcast(a.shape, b.shape):  # (M,) op (N, M)
            big, small, row_first = b, a, True
        else:
            return fallback(a, b, out=out)
        core = small.reshape(_strip_ones(small.shape))  # (1, M) -> (M,)
        x, cols = _rows(big, core.shape)
        row = np.broadcast_to(core, cols).copy().reshape(-1)  # a scalar -> a whole row
        out = _buffer(out, big.shape, big.dtype).reshape(x.shape)
        _zip_rows(code, x, row, out, row_first)
        return out.reshape(big.shape)

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = doc
    kernel.accepts_out = True
    return kernel


add = _binary_kernel("add", "a + b, elementwise, with NumPy broadcasting.")
subtract = _binary_kernel("subtract", "a - b, elementwise, with NumPy broadcasting.")
multiply = _binary_kernel("multiply", "a * b, elementwise, with NumPy broadcasting.")
divide = _binary_kernel("divide", "a / b, elementwise, with NumPy broadcasting.")
maximum = _binary_kernel("maximum", "The larger of a and b (NaN if either is), elementwise.")
minimum = _binary_kernel("minimum", "The smaller of a and b (NaN if either is), elementwise.")


def _axes(axis, ndim):
    """``axis`` as a non-empty tuple of sorted, distinct, in-range axes, or None when it
    is anything else (left to the reference kernel, which defines what happens)."""
    if not isinstance(axis, tuple) or not axis:
        return None
    if list(axis) != sorted(set(axis)) or axis[0] < 0 or axis[-1] >= ndim:
        return None
    return axis


def _reduce(name, x, axis, keepdims):
    """Reduce ``x`` over ``axis`` with the op ``name`` ('sum', 'max' or 'min')."""
    axes = _axes(axis, getattr(x, "ndim", 0))
    if not _fast(x) or axes is None:
        return REF[name](x, axis, keepdims)
    kept = [i for i in range(x.ndim) if i not in axes]
    reduced = math.prod(x.shape[i] for i in axes)
    if axes == tuple(range(axes[0], axes[-1] + 1)):  # one run of axes: a view does
        x3 = np.ascontiguousarray(x).reshape(
            math.prod(x.shape[:axes[0]]), reduced, math.prod(x.shape[axes[-1] + 1:]))
    else:  # bring the kept axes to the front, in order, and the reduced ones last
        x3 = np.ascontiguousarray(np.transpose(x, kept + list(axes))).reshape(-1, reduced, 1)
    A, R, B = x3.shape
    out = np.empty((A, B), np.float64 if name == "sum" else x.dtype)
    if B == 1:  # each result reduces one contiguous row
        _reduce_rows(_REDUCE[name], x3.reshape(A, R), out.reshape(A))
    else:  # cut R into enough blocks to give every thread about 4 pieces of work
        n_blocks = max(1, min(R, 4 * numba.get_num_threads() // A))
        _reduce_columns(_REDUCE[name], x3, out, n_blocks)
    if keepdims:
        shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    else:
        shape = tuple(x.shape[i] for i in kept)
    return out.astype(x.dtype, copy=False).reshape(shape)


def sum_(x, axis, keepdims):
    """Sum over ``axis`` (a tuple of axes); float32 is added up in float64."""
    return _reduce("sum", x, axis, keepdims)


def max_(x, axis, keepdims):
    """Largest element over ``axis`` (a tuple of axes); NaN if any element is NaN."""
    return _reduce("max", x, axis, keepdims)


def min_(x, axis, keepdims):
    """Smallest element over ``axis`` (a tuple of axes); NaN if any element is NaN."""
    return _reduce("min", x, axis, keepdims)


def _softmax(name, x, axis):
    if not _fast(x) or axis not in (x.ndim - 1, -1):
        return REF[name](x, axis)
    x2 = np.ascontiguousarray(x).reshape(-1, x.shape[-1])
    out = np.empty(x2.shape, x.dtype)
    _softmax_rows(x2, out, name == "log_softmax")
    return out.reshape(x.shape)


def softmax(x, axis):
    """exp(x) / sum(exp(x)) along ``axis``; fast when it is the last axis."""
    return _softmax("softmax", x, axis)


def log_softmax(x, axis):
    """x - log(sum(exp(x))) along ``axis``; fast when it is the last axis."""
    return _softmax("log_softmax", x, axis)


# op name -> kernel, for every loop written here (the trailing _ of sum_ etc. only avoids
# hiding Python's sum). The tests check all of them against the reference.
ALL = {fn.__name__.rstrip("_"): fn for fn in (
    tanh, exp, log, sqrt, square, abs_, negative, sigmoid, relu, elu, softplus,
    add, subtract, multiply, divide, maximum, minimum,
    sum_, max_, min_, softmax, log_softmax)}

# Which of them the 'cpu' device actually uses, as measured on the 2-core machines this
# project runs on (benchmarks/kernels_vs_numpy.py, RESULTS.md):
# * NumPy's own tanh, exp, log, sigmoid... run 16 floats at a time (AVX-512), while Numba
#   calls the scalar maths library per element: NumPy wins, by 4x to 30x;
# * with the threads that sleep between kernels ('workqueue', chosen so they do not fight
#   BLAS for the cores), starting a parallel loop costs ~0.1 ms, which the simple binary
#   ops and reductions never earn back at these sizes (they win only with spinning
#   OpenMP threads, which then slow the matmuls down);
# * softplus and elu take several NumPy passes each, and Numba wins by 1.2x to 2.4x.
# The single-pass fused kernels that do pay off (optimizer steps, activation gradients,
# bias + relu, dropout masks) are serial loops in fused.py.
DISPATCHED = ("softplus", "elu")
KERNELS = {name: ALL[name] for name in DISPATCHED}
