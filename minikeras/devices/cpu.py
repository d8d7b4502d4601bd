"""Numba CPU kernels: the rules of ``scalar.py``, compiled with ``numba.njit``, in loops.

Sections as in ``cuda.py``: generic loops, one-pass loops, in-place steps, the table. A
kernel has the signature and meaning of the reference kernel of its name, and hands the
work back to it off its fast path (small, non-float, empty or mixed-dtype arrays, or a
broadcast the loops do not cover).

Which kernels run, which are here to be read
--------------------------------------------
The 'cpu' device runs a Numba kernel only where it beats NumPy on the 2-core machines
this project runs on (``benchmarks/kernels_vs_numpy.py``, ``RESULTS.md``). ``KERNELS``,
at the bottom, is what is dispatched: the **one-pass loops** (``tanh_grad``,
``sigmoid_grad`` and their ``_scaled`` forms through dropout, the same with the bias
gradient summed in the same pass (``*_bias``), ``bias_relu``: 4.6x NumPy's add + maximum,
the dropout mask, and its product in the same pass after tanh (``bias_tanh_dropout``),
softmax crossentropy and its gradient row by row for few classes, Embedding's
scatter-add gradient), each one pass where NumPy makes several and
temporary arrays; the **in-place optimizer steps**; and of
the generic loops only ``softplus`` and ``elu`` (1.2x to 2.4x NumPy).

The other generic loops (``GENERIC``: tanh, exp, add, sum, softmax, ...) are teaching
material for the kernels lesson, tested like the rest: a few loops serve every op. Here
they lose to NumPy, for two measured reasons: NumPy's tanh, exp, log... do 16 floats per
instruction (AVX-512) where Numba calls the scalar maths library per element (4x to 30x
slower), and with threads that sleep between kernels (the 'workqueue' layer, so they do
not fight BLAS for the cores) a parallel loop costs ~0.1 ms to start, which simple
binary ops and reductions never earn back at a lesson's sizes (0.06x to 0.9x NumPy).
"""
from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange

from minikeras.devices import reference, scalar
from minikeras.devices.reference import bernoulli_threshold, fits, random_bits16

REF = reference.KERNELS

# Arrays with fewer elements than this go to the NumPy reference kernels.
PARALLEL_MIN_SIZE = 1 << 20  # below ~1M elements, starting threads costs more than it saves

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

# ---- the rules of scalar.py, compiled for the CPU (the small ones inlined where used: as
# quick to compile as a loop written by hand, for the first step with an empty cache) ----
_unary = njit(cache=True, error_model="numpy")(scalar.unary)
_binary = njit(cache=True, error_model="numpy")(scalar.binary)
_combine = njit(cache=True)(scalar.combine)
_activation_grad = njit(inline="always")(scalar.activation_grad)
_bias_activation = njit(inline="always")(scalar.bias_activation)
_sgd_momentum = njit(inline="always")(scalar.sgd_momentum)
_adam = njit(inline="always")(scalar.adam)
_rmsprop = njit(inline="always")(scalar.rmsprop)

_UNARY = {name: scalar.UNARY[name] for name in (
    "tanh", "exp", "log", "sqrt", "square", "abs", "negative", "sigmoid", "relu", "softplus")}
_BINARY = {name: scalar.BINARY[name] for name in (
    "add", "subtract", "multiply", "divide", "maximum", "minimum")}
_REDUCE = {name: scalar.REDUCE[name] for name in ("sum", "max", "min")}


# ================================================================ generic loops
# As in minitorch, a few loops written once; each op picks the rule a loop applies by its
# code (scalar.TANH, scalar.ADD, ...). ``parallel=True``: ``prange`` splits the iterations
# among the threads. ``error_model="numpy"``: 1 / 0 gives inf, as in NumPy.
#   _map        out[i] = f(x[i])                 tanh, exp, relu, elu, ...
#   _zip        out[i] = f(a[i], b[i])           add, multiply, ... (same shapes)
#   _zip_rows   out[n, j] = f(a[n, j], row[j])   the bias add: (N, M) + (M,)
#   _reduce_rows, _reduce_columns: combine a view (A, R, B) over its middle axis R
#   _softmax_rows: softmax and log-softmax along the last axis
@njit(parallel=True, cache=True, error_model="numpy")
def _map(code, x, p, out):
    """out[i] = f(x[i]) for 1-D arrays (``p``: elu's alpha)."""
    for i in prange(x.size):
        out[i] = _unary(code, x[i], p, 0.0)


@njit(parallel=True, cache=True, error_model="numpy")
def _zip(code, a, b, out):
    """out[i] = f(a[i], b[i]) for 1-D arrays of one size."""
    for i in prange(a.size):
        out[i] = _binary(code, a[i], b[i])


@njit(parallel=True, cache=True, error_model="numpy")
def _zip_rows(code, x, row, out, row_first):
    """out[n, j] = f(x[n, j], row[j]), or f(row[j], x[n, j]) when ``row_first``."""
    n_rows, n_cols = x.shape
    for n in prange(n_rows):
        if row_first:
            for j in range(n_cols):
                out[n, j] = _binary(code, row[j], x[n, j])
        else:
            for j in range(n_cols):
                out[n, j] = _binary(code, x[n, j], row[j])


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
            biggest = _combine(scalar.MAX, biggest, x[n, j])
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
    return out if fits(out, shape, dtype) else np.empty(shape, dtype)


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


# ---- the public generic kernels, and their factories ----
def _unary_kernel(name: str, doc: str):
    code, fallback = _UNARY[name], REF[name]
    takes_out = getattr(fallback, "accepts_out", False)

    def kernel(x, out=None):
        if not _fast(x):
            return fallback(x, out=out) if takes_out else fallback(x)
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
    _map(scalar.ELU, _flat(x), float(alpha), out.reshape(-1))
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


def _reduction_kernel(name: str, doc: str):
    def kernel(x, axis, keepdims):
        return _reduce(name, x, axis, keepdims)
    kernel.__name__ = kernel.__qualname__ = name + "_"
    kernel.__doc__ = doc
    return kernel


sum_ = _reduction_kernel("sum", "Sum over ``axis`` (a tuple of axes); float32 is added up in "
                                "float64.")
max_ = _reduction_kernel("max", "Largest element over ``axis``; NaN if any element is NaN.")
min_ = _reduction_kernel("min", "Smallest element over ``axis``; NaN if any element is NaN.")


def _softmax_kernel(name: str, doc: str):
    def kernel(x, axis):
        if not _fast(x) or axis not in (x.ndim - 1, -1):
            return REF[name](x, axis)
        x2 = np.ascontiguousarray(x).reshape(-1, x.shape[-1])
        out = np.empty(x2.shape, x.dtype)
        _softmax_rows(x2, out, name == "log_softmax")
        return out.reshape(x.shape)
    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = doc
    return kernel


softmax = _softmax_kernel("softmax", "exp(x) / sum(exp(x)) along ``axis``; fast when it is "
                                     "the last axis.")
log_softmax = _softmax_kernel("log_softmax", "x - log(sum(exp(x))) along ``axis``; fast when "
                                             "it is the last axis.")


# op name -> kernel, for every generic loop (the trailing _ of sum_ etc. only avoids
# hiding Python's sum). The tests check all of them against the reference.
GENERIC = {fn.__name__.rstrip("_"): fn for fn in (
    tanh, exp, log, sqrt, square, abs_, negative, sigmoid, relu, elu, softplus,
    add, subtract, multiply, divide, maximum, minimum,
    sum_, max_, min_, softmax, log_softmax)}


# ================================================================ one-pass loops
# Several steps for each element while it sits in a register, so no intermediate array
# is made. Serial loops, with parallel twins for big arrays only: at a lesson's sizes,
# starting threads costs more than the work. Each names its rule's code as a constant,
# so the compiler keeps just that branch.
#
# Serial or parallel, per size (benchmarks/parallel_vs_serial.py, RESULTS.md): on 2 quiet
# cores a parallel launch costs 30-100 us, so the serial loops win up to ~2M elements;
# from 4M the parallel elementwise loops (dropout's product, the SGD step; relu's
# gradient is the same kind of loop) are 1.3-1.6x faster. The column-block bias-gradient
# loop lost at every size measured (up to 9M: 0.66x), so it goes parallel only far beyond.
PARALLEL_ONE_PASS_MIN_SIZE = 3_000_000
GRAD_BIAS_PARALLEL_MIN_SIZE = 1 << 24


def _parallel(size: int, min_size: int | None = None) -> bool:
    """Should a one-pass loop over ``size`` elements run on Numba's threads?"""
    min_size = PARALLEL_ONE_PASS_MIN_SIZE if min_size is None else min_size
    return size >= min_size and numba.get_num_threads() > 1


@njit(cache=True)
def _tanh_grad(g, y, out, one):
    for i in range(out.size):
        out[i] = _activation_grad(scalar.TANH_GRAD, g[i], y[i], one)


@njit(cache=True)
def _sigmoid_grad(g, y, out, one):
    for i in range(out.size):
        out[i] = _activation_grad(scalar.SIGMOID_GRAD, g[i], y[i], one)


@njit(cache=True)
def _tanh_grad_scaled(g, s, y, out, one):
    for i in range(out.size):
        out[i] = _activation_grad(scalar.TANH_GRAD, g[i] * s[i], y[i], one)


@njit(cache=True)
def _sigmoid_grad_scaled(g, s, y, out, one):
    for i in range(out.size):
        out[i] = _activation_grad(scalar.SIGMOID_GRAD, g[i] * s[i], y[i], one)


def _activation_grad_kernel(loop, reference_kernel):
    def kernel(*arrays, out=None):
        g = arrays[0]
        if any(a.shape != g.shape or a.dtype != g.dtype for a in arrays) or \
                g.dtype.kind != "f":
            return reference_kernel(*arrays)  # broadcasting or mixed types: the plain way
        if not fits(out, g.shape, g.dtype):
            out = np.empty(g.shape, g.dtype)
        n_inputs = 3 if len(arrays) == 4 else len(arrays)  # `like` only gives the shape
        loop(*(_flat(a) for a in arrays[:n_inputs]), out.reshape(-1), g.dtype.type(1))
        return out
    kernel.accepts_out = True
    kernel.__name__ = reference_kernel.__name__
    kernel.__doc__ = f"{reference_kernel.__name__} in one pass over memory."
    return kernel


tanh_grad = _activation_grad_kernel(_tanh_grad, REF["tanh_grad"])
sigmoid_grad = _activation_grad_kernel(_sigmoid_grad, REF["sigmoid_grad"])
tanh_grad_scaled = _activation_grad_kernel(_tanh_grad_scaled, REF["tanh_grad_scaled"])
sigmoid_grad_scaled = _activation_grad_kernel(_sigmoid_grad_scaled, REF["sigmoid_grad_scaled"])


# relu's gradient: where(greater(y, 0), g, 0) in one pass; on every core for arrays of
# millions of numbers (a conv layer's activations), where starting the threads pays off
# (see _parallel above).
@njit(inline="always")
def _relu_grad_one(g, y):
    return g if y > 0 else 0  # (not g - g: an infinite g where y <= 0 gives 0, not NaN)


@njit(cache=True)
def _relu_grad(g, y, out):
    for i in range(out.size):
        out[i] = _relu_grad_one(g[i], y[i])


@njit(parallel=True, cache=True)
def _relu_grad_parallel(g, y, out):
    for i in prange(out.size):
        out[i] = _relu_grad_one(g[i], y[i])


def relu_grad(g, y, out=None):
    """g where y > 0, else 0, in one pass over memory."""
    if g.shape != y.shape or g.dtype != y.dtype or g.dtype.kind != "f" or not g.size:
        return REF["relu_grad"](g, y)
    if not fits(out, g.shape, g.dtype):
        out = np.empty(g.shape, g.dtype)
    loop = _relu_grad_parallel if _parallel(g.size) else _relu_grad
    loop(_flat(g), _flat(y), out.reshape(-1))
    return out


relu_grad.accepts_out = True


# The activation's gradient and the bias gradient of the Dense layer before it, in one
# pass: each row's results are added into the bias gradient while they are in registers.
# The sums run down each column in row order, as NumPy's sum over axis 0 does, so the
# result is the unfused plan's to the bit. ``scaled``: the gradient came through dropout.
@njit(cache=True)
def _grad_bias_rows(code, scaled, g, s, y, out, bias_out, lo, hi, one):
    """Rows of out = activation_grad(g [* s], y), and their column sums, for the columns
    lo:hi (all 2-D arrays, rows >= 1)."""
    rows = out.shape[0]
    for i in range(rows):
        for j in range(lo, hi):
            gi = g[i, j] * s[i, j] if scaled else g[i, j]
            v = _activation_grad(code, gi, y[i, j], one)
            out[i, j] = v
            if i == 0:
                bias_out[j] = v
            else:
                bias_out[j] += v


@njit(cache=True)
def _grad_bias(code, scaled, g, s, y, out, bias_out, one):
    _grad_bias_rows(code, scaled, g, s, y, out, bias_out, 0, out.shape[1], one)


@njit(parallel=True, cache=True)
def _grad_bias_parallel(code, scaled, g, s, y, out, bias_out, one, n_blocks):
    """The same, the columns cut into ``n_blocks`` blocks that run on their own threads
    (each column still summed in row order: the same bits as the serial loop)."""
    cols = out.shape[1]
    step = (cols + n_blocks - 1) // n_blocks
    for k in prange(n_blocks):
        _grad_bias_rows(code, scaled, g, s, y, out, bias_out, k * step,
                        min((k + 1) * step, cols), one)


def _grad_bias_kernel(code, scaled, reference_kernel):
    n_inputs = 3 if scaled else 2

    def kernel(*inputs_and_bias, out=None):
        *arrays, bias = inputs_and_bias
        g = arrays[0]
        if (any(a.shape != g.shape or a.dtype != g.dtype for a in arrays) or
                g.dtype.kind != "f" or g.ndim < 2 or g.size == 0 or
                bias.shape != g.shape[-1:] or bias.dtype != g.dtype):
            return reference_kernel(*inputs_and_bias)  # the plain way
        d_out, bias_out = (None, None) if out is None else out
        d = _buffer(d_out, g.shape, g.dtype)
        db = _buffer(bias_out, bias.shape, bias.dtype)
        rows = [np.ascontiguousarray(a).reshape(-1, g.shape[-1]) for a in arrays[:n_inputs]]
        g2, y2 = rows[0], rows[-1]
        s2 = rows[1] if scaled else g2
        args = (code, scaled, g2, s2, y2, d.reshape(g2.shape), db, g.dtype.type(1))
        if _parallel(g.size, GRAD_BIAS_PARALLEL_MIN_SIZE):
            _grad_bias_parallel(*args, min(numba.get_num_threads(), g.shape[-1]))
        else:
            _grad_bias(*args)
        return d, db
    kernel.accepts_out = True
    kernel.__name__ = kernel.__qualname__ = reference_kernel.__name__
    kernel.__doc__ = f"{reference_kernel.__name__} in one pass over memory."
    return kernel


tanh_grad_bias = _grad_bias_kernel(scalar.TANH_GRAD, False, REF["tanh_grad_bias"])
sigmoid_grad_bias = _grad_bias_kernel(scalar.SIGMOID_GRAD, False, REF["sigmoid_grad_bias"])
tanh_grad_scaled_bias = _grad_bias_kernel(scalar.TANH_GRAD, True, REF["tanh_grad_scaled_bias"])
sigmoid_grad_scaled_bias = _grad_bias_kernel(scalar.SIGMOID_GRAD, True,
                                             REF["sigmoid_grad_scaled_bias"])


# Dense + activation: only relu is fused here. For tanh, the reference kernel (bias add
# into one buffer, then NumPy's tanh in place) is as fast as it gets on these CPUs:
# NumPy's tanh runs 16 floats at a time, a Numba loop calls the maths library once per
# element (a rational approximation made of + and * only did not vectorise either).
@njit(cache=True)
def _bias_relu(z, b, out):
    rows, cols = z.shape
    for i in range(rows):
        for j in range(cols):
            out[i, j] = _bias_activation(scalar.BIAS_RELU, z[i, j], b[j])


def bias_relu(z, b, out=None):
    """max(z + b, 0) for a bias b along the last axis, in one pass over memory."""
    if z.dtype != b.dtype or z.dtype.kind != "f" or b.ndim != 1 or not z.size:
        return REF["bias_relu"](z, b, out=out)
    if not fits(out, z.shape, z.dtype):
        out = np.empty(z.shape, z.dtype)
    rows = np.ascontiguousarray(z).reshape(-1, z.shape[-1])
    _bias_relu(rows, np.ascontiguousarray(b), out.reshape(rows.shape))
    return out


bias_relu.accepts_out = True


# The dropout mask: compare the random bits and write the mask in one pass.
@njit(cache=True)
def _mask_from_bits(bits, threshold, value, out):
    zero = value - value
    for i in range(out.size):
        out[i] = value if bits[i] < threshold else zero


def bernoulli_like(x, p, value, rng, out=None):
    """``value`` with probability p, else 0 (the same draws as the reference kernel)."""
    if not fits(out, x.shape, x.dtype):
        out = np.empty(x.shape, x.dtype)
    bits = random_bits16(rng, x.size)
    _mask_from_bits(bits, bernoulli_threshold(p), x.dtype.type(value), out.reshape(-1))
    return out


bernoulli_like.accepts_out = True


# tanh then Dropout: NumPy adds the bias and takes tanh (16 floats at a time, see above),
# then one pass draws the mask and multiplies, where the plain plan makes two.
@njit(inline="always")
def _keep(bit, threshold, value):
    """The mask's entry for one 16-bit draw: ``value`` if it falls below the threshold."""
    return value if bit < threshold else value - value


@njit(cache=True)
def _dropout_product(y, bits, threshold, value, mask, out):
    for i in range(y.size):
        mask[i] = _keep(bits[i], threshold, value)
        out[i] = y[i] * mask[i]


@njit(parallel=True, cache=True)
def _dropout_product_parallel(y, bits, threshold, value, mask, out):
    for i in prange(y.size):
        mask[i] = _keep(bits[i], threshold, value)
        out[i] = y[i] * mask[i]


def bias_tanh_dropout(z, b, p, value, rng, out=None):
    """(y, mask, y * mask) for y = tanh(z + b), with the mask kernel's own draws."""
    y_out, mask_out, product_out = (None,) * 3 if out is None else out
    y = REF["bias_tanh"](z, b, out=y_out)
    if y.dtype not in _FLOATS or not y.flags.c_contiguous:
        return REF["bias_tanh_dropout"](z, b, p, value, rng, out=out)
    mask = _buffer(mask_out, y.shape, y.dtype)
    product = _buffer(product_out, y.shape, y.dtype)
    bits = random_bits16(rng, y.size)
    loop = _dropout_product_parallel if _parallel(y.size) else _dropout_product
    loop(y.reshape(-1), bits, bernoulli_threshold(p), y.dtype.type(value), mask.reshape(-1),
         product.reshape(-1))
    return y, mask, product


bias_tanh_dropout.accepts_out = True


# Softmax crossentropy along the last axis, one row at a time: the row's max, exps, sum
# and loss while the row is in cache, where NumPy makes a pass over the whole array for
# each (reductions along a short axis, ~9 us each at (200, 10)). The plain kernels and
# the fused pair all get their softmax from _crossentropy_rows, so MINIKERAS_FUSE=0 gives
# the same bits. Numba's exp is the scalar maths library's (NumPy's does 16 at a time), so
# rows of many classes go to NumPy.
SOFTMAX_ROWS_MAX_CLASSES = 16  # measured: 2.3x NumPy at 10 classes, 0.9x at 32


@njit(cache=True)
def _crossentropy_rows(target, logits, loss, probs):
    for r in range(logits.shape[0]):
        z, t = logits[r], target[r]
        top = z[0]
        for c in range(1, z.size):
            top = _combine(scalar.MAX, top, z[c])
        total = top - top
        for c in range(z.size):
            probs[r, c] = math.exp(z[c] - top)
            total += probs[r, c]
        log_total = math.log(total)
        acc = total - total
        for c in range(z.size):
            acc += t[c] * ((z[c] - top) - log_total)
            probs[r, c] /= total
        loss[r] = -acc


@njit(cache=True)
def _crossentropy_grad_rows(g, target, probs, out):
    for r in range(probs.shape[0]):
        t_sum = target[r, 0] - target[r, 0]
        for c in range(probs.shape[1]):
            t_sum += target[r, c]
        for c in range(probs.shape[1]):
            out[r, c] = g[r] * (probs[r, c] * t_sum - target[r, c])


def _as_rows(axis, *arrays):
    """The arrays as (rows, classes) views when the rows kernels apply (same shape and
    float dtype, C-contiguous, ``axis`` the last, few classes), else None."""
    first = arrays[0]
    if first.ndim == 0 or axis not in (-1, first.ndim - 1) or first.size == 0 or \
            first.shape[-1] > SOFTMAX_ROWS_MAX_CLASSES or first.dtype not in _FLOATS or \
            any(a.shape != first.shape or a.dtype != first.dtype or not a.flags.c_contiguous
                for a in arrays):
        return None
    return [a.reshape(-1, first.shape[-1]) for a in arrays]


def _softmax_crossentropy_rows(target, logits, axis):
    """(loss, softmax) from _crossentropy_rows, or None off its fast path."""
    rows = _as_rows(axis, target, logits)
    if rows is None:
        return None
    loss = np.empty(logits.shape[:-1], logits.dtype)
    probs = np.empty(logits.shape, logits.dtype)
    _crossentropy_rows(*rows, loss.reshape(-1), probs.reshape(rows[0].shape))
    return loss, probs


def softmax_crossentropy(target, logits, axis):
    """-sum(t * log_softmax(z)) along the last axis, one row at a time."""
    found = _softmax_crossentropy_rows(target, logits, axis)
    return REF["softmax_crossentropy"](target, logits, axis) if found is None else found[0]


def softmax_crossentropy_softmax(target, logits, axis):
    """(the loss, softmax(logits)) from one pass over each row."""
    found = _softmax_crossentropy_rows(target, logits, axis)
    return REF["softmax_crossentropy_softmax"](target, logits, axis) if found is None \
        else found


def softmax_crossentropy_grad_from_softmax(g, target, probs, axis):
    """g * (probs * sum(t) - t), one row at a time."""
    rows = _as_rows(axis, target, probs)
    if rows is None or g.shape != probs.shape[:-1] or g.dtype != probs.dtype:
        return REF["softmax_crossentropy_grad_from_softmax"](g, target, probs, axis)
    out = np.empty(probs.shape, probs.dtype)
    _crossentropy_grad_rows(_flat(g), *rows, out.reshape(rows[0].shape))
    return out


def softmax_crossentropy_grad(g, target, logits, axis):
    """g * (softmax(z) * sum(t) - t), with the softmax of the loss kernels above."""
    found = _softmax_crossentropy_rows(target, logits, axis)
    if found is None:
        return REF["softmax_crossentropy_grad"](g, target, logits, axis)
    return softmax_crossentropy_grad_from_softmax(g, target, found[1], axis)


# Embedding's gradient: add each row of g into the table row its id names.
@njit(cache=True)
def _scatter_add_rows(rows, ids, out):
    for n in range(ids.size):  # serial, so repeated ids add up correctly
        out[ids[n]] += rows[n]


def gather_grad(g, reference, indices):
    """Zeros shaped like the embedding table, with g's rows added at ``indices``."""
    out = np.zeros(reference.shape, g.dtype)
    ids = np.ascontiguousarray(indices, dtype=np.int64).reshape(-1)
    if g.dtype.kind != "f" or reference.ndim < 1 or ids.size == 0:
        return REF["gather_grad"](g, reference, indices)
    if ids.min() < -len(reference) or ids.max() >= len(reference):
        return REF["gather_grad"](g, reference, indices)  # NumPy's IndexError
    ids = np.where(ids < 0, ids + len(reference), ids)
    rows = np.ascontiguousarray(g).reshape(ids.size, -1)
    _scatter_add_rows(rows, ids, out.reshape(len(reference), -1))
    return out


# ================================================================ in-place steps
# A fused optimizer step overwrites the weight p and its slots in one pass over p, the
# slots and the gradient g: no temporary arrays at all. Scalars arrive as Python or 0-d
# values and are used in p's own float type (float32 stays float32).
@njit(cache=True)
def _sgd_momentum_loop(p, m, g, lr, momentum, nesterov):
    for i in range(p.size):
        p[i], m[i] = _sgd_momentum(p[i], m[i], g[i], lr, momentum, nesterov)


@njit(parallel=True, cache=True)
def _sgd_momentum_loop_parallel(p, m, g, lr, momentum, nesterov):
    for i in prange(p.size):
        p[i], m[i] = _sgd_momentum(p[i], m[i], g[i], lr, momentum, nesterov)


@njit(cache=True)
def _adam_loop(p, m, v, g, alpha, one_minus_b1, one_minus_b2, epsilon):
    for i in range(p.size):
        p[i], m[i], v[i] = _adam(p[i], m[i], v[i], g[i], alpha, one_minus_b1,
                                 one_minus_b2, epsilon)


@njit(cache=True)
def _rmsprop_loop(p, v, g, lr, rho, one_minus_rho, epsilon):
    for i in range(p.size):
        p[i], v[i] = _rmsprop(p[i], v[i], g[i], lr, rho, one_minus_rho, epsilon)


def _scalar(value, dtype):
    """Python and 0-d values as the arrays' own float type (float32 stays float32)."""
    return dtype.type(float(np.asarray(value)))


def sgd_momentum_step(p, m, g, lr, momentum, nesterov):
    """One SGD step with (Nesterov) momentum, in place: one pass over p, m and g."""
    t = p.dtype
    loop = _sgd_momentum_loop_parallel if _parallel(p.size) else _sgd_momentum_loop
    loop(p.reshape(-1), m.reshape(-1), _flat(g).astype(t, copy=False), _scalar(lr, t),
         _scalar(momentum, t), bool(nesterov))


def adam_step(p, m, v, g, alpha, beta_1, beta_2, epsilon):
    """One Adam step in place (alpha already holds the bias corrections)."""
    t = p.dtype
    _adam_loop(p.reshape(-1), m.reshape(-1), v.reshape(-1), _flat(g).astype(t, copy=False),
               _scalar(alpha, t), _scalar(1 - beta_1, t), _scalar(1 - beta_2, t),
               _scalar(epsilon, t))


def rmsprop_step(p, v, g, lr, rho, epsilon):
    """One RMSprop step (no momentum, not centered) in place."""
    t = p.dtype
    _rmsprop_loop(p.reshape(-1), v.reshape(-1), _flat(g).astype(t, copy=False),
                  _scalar(lr, t), _scalar(rho, t), _scalar(1 - rho, t), _scalar(epsilon, t))


# ================================================================ the table
# What the 'cpu' device runs instead of the reference (see the top of this file for why
# these and no others).
KERNELS = {
    "softplus": softplus, "elu": elu,
    "tanh_grad": tanh_grad, "sigmoid_grad": sigmoid_grad,
    "tanh_grad_scaled": tanh_grad_scaled, "sigmoid_grad_scaled": sigmoid_grad_scaled,
    "relu_grad": relu_grad,
    "bias_relu": bias_relu, "bernoulli_like": bernoulli_like, "gather_grad": gather_grad,
    "tanh_grad_bias": tanh_grad_bias, "sigmoid_grad_bias": sigmoid_grad_bias,
    "tanh_grad_scaled_bias": tanh_grad_scaled_bias,
    "sigmoid_grad_scaled_bias": sigmoid_grad_scaled_bias,
    "bias_tanh_dropout": bias_tanh_dropout,
    "softmax_crossentropy": softmax_crossentropy,
    "softmax_crossentropy_grad": softmax_crossentropy_grad,
    "softmax_crossentropy_softmax": softmax_crossentropy_softmax,
    "softmax_crossentropy_grad_from_softmax": softmax_crossentropy_grad_from_softmax,
    "sgd_momentum_step": sgd_momentum_step, "adam_step": adam_step,
    "rmsprop_step": rmsprop_step,
}
