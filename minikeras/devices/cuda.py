"""CUDA kernels: the ops of ``reference.py``, run by thousands of GPU threads at once.

How a GPU runs a kernel
-----------------------
A CUDA kernel is a function that *one thread* runs. Launching it as
``kernel[blocks, threads_per_block](args)`` starts ``blocks * threads_per_block`` copies
of it at the same time. Each copy finds out which piece of work is its own from where it
sits in the launch:

* ``cuda.threadIdx.x``: its number inside its block (0 .. threads_per_block - 1);
* ``cuda.blockIdx.x``: its block's number in the grid of blocks;
* ``cuda.blockDim.x``: the number of threads in a block;
* ``cuda.grid(1)`` = ``blockIdx.x * blockDim.x + threadIdx.x``: its number in the whole
  launch. With one thread per output element, that is the element the thread computes.

Blocks come in whole pieces, so the last one usually sticks out past the end of the data:
every kernel starts with ``if i < n`` and the extra threads do nothing. Threads of *one*
block can share fast on-chip memory (``cuda.shared.array``) and wait for each other
(``cuda.syncthreads()``); threads of different blocks cannot. The reduction and the matmul
below use exactly that.

The generic kernels (as in minitorch; their CPU twins are in ``cpu.py``)
-----------------------------------------------------------------------
* ``_map``:     ``out[i] = f(x[i])``                    tanh, exp, relu, clip, ...
* ``_zip``:     ``out[i] = f(a[.], b[.])``              add, multiply, greater, tanh_grad,
  ... with NumPy broadcasting
* ``_where``:   ``out[i] = a[.] if cond[.] else b[.]``  (a zip of three)
* ``_copy``:    ``out[.] = x[.]``                       every op that only *moves* elements:
  cast, transpose, broadcast_like, getitem, tile, pad, concatenate
* ``_reduce``:  one block per output element; its threads share the elements and then
  combine their partial results in shared memory, halving the count each step (a tree)
* ``matmul_tiles`` (made by ``_make_matmul``): 16 x 16 tiles of both matrices staged in
  shared memory
* and a few small ones: softmax and argmax (a thread per row), one_hot, gather and
  scatter-add (a thread per element).

Random numbers are drawn on the host by the reference kernels themselves and uploaded, so
a seed gives the same weights and dropout masks on the CPU and on the GPU. The fused
in-place optimizer steps are here too (``IN_PLACE_KERNELS``), but not in ``KERNELS``.

What a kernel does to one element is a rule of ``scalar.py``, the same rules ``cpu.py``
compiles for the CPU; here ``cuda.jit(device=True)`` compiles them into functions a GPU
thread calls. A generic kernel picks its rule by a small integer code (``scalar.TANH``,
``scalar.ADD``, ``scalar.SUM``, ...), so each kernel is compiled once per dtype
combination and covers all its ops. The sections below mirror ``cpu.py``: generic
kernels, one-pass kernels, in-place steps, the table.

Where is element ``i``? Strides.
--------------------------------
The arrays here are always C-contiguous on the device, and kernels see them flattened to
1-D. An output element's number ``i`` is turned into the position of the input element it
needs by ``_offset(i, shape, strides)``: peel off the index along each axis (``i % size``,
then ``i //= size``) and add ``index * stride``. The trick is in the strides, worked out on
the host: a stride of 0 repeats an element (broadcasting), permuted strides read a
transpose, and a start plus strides read a slice. So a handful of lines serve every op.

Data stays on the GPU: kernels take device arrays (``numba.cuda`` ``DeviceNDArray``) and
return new ones, and ``to_device`` / ``to_host`` move arrays across. Each kernel has the
signature and meaning of the reference kernel of the same name. A few return a view of
their input rather than a copy, as NumPy does: ``reshape``, ``reshape_like``,
``expand_dims`` and ``squeeze`` (and ``identity``, ``stop_gradient``, and ``sum_like`` or
``broadcast_like`` when the shapes already agree, return the input itself).

No GPU? ``NUMBA_ENABLE_CUDASIM=1`` (set before Numba is imported) runs these kernels on
Numba's CUDA simulator: every thread becomes a Python thread, which is very slow, but the
tests can check that the kernels are right. (It runs the rules of ``scalar.py`` as plain
Python, which is why they test for ``log(0)`` and friends first.)
"""
from __future__ import annotations

import math
from functools import cache

import numpy as np

from minikeras.devices import reference, scalar
from minikeras.devices.scalar import (
    ACTIVATION_GRAD,
    BIAS_ACTIVATION,
    BIAS_TANH,
    BINARY,
    CLIP,
    ELU,
    MAX,
    MIN,
    PROD,
    SCALE,
    SUM,
    TANH_GRAD,
    UNARY,
)

try:
    from numba import cuda
except Exception as e:  # numba-cuda missing, or a broken CUDA install
    raise ImportError(f"numba.cuda cannot be imported ({e}); install minikeras[cuda]") from e

REF = reference.KERNELS


def require_cuda() -> None:
    """Raise ImportError unless there is a GPU (or Numba's CUDA simulator is on)."""
    if not cuda.is_available():  # the simulator says True
        raise ImportError(
            "no usable CUDA GPU here (numba.cuda.is_available() is False). Use the 'cpu' "
            "device, or set NUMBA_ENABLE_CUDASIM=1 before importing Numba to run the CUDA "
            "kernels on Numba's (slow) CUDA simulator")


require_cuda()

THREADS = 128          # threads per block for the one-thread-per-element kernels
REDUCE_THREADS = 128   # the most threads one reduction block uses (a power of two)
TILE = 16              # matmul tiles are TILE x TILE; a block has TILE x TILE threads
MAX_GRID_Z = 65535     # CUDA's limit on the third grid dimension (matmul's batch)

# ---- the rules of scalar.py, compiled for the GPU: device functions a thread calls ----
_unary_fn = cuda.jit(device=True)(scalar.unary)
_binary_fn = cuda.jit(device=True)(scalar.binary)
_activation_grad_fn = cuda.jit(device=True)(scalar.activation_grad)
_bias_activation_fn = cuda.jit(device=True)(scalar.bias_activation)
_combine = cuda.jit(device=True)(scalar.combine)
_start_value = cuda.jit(device=True)(scalar.start_value)
_sgd_momentum = cuda.jit(device=True)(scalar.sgd_momentum)
_adam = cuda.jit(device=True)(scalar.adam)
_rmsprop = cuda.jit(device=True)(scalar.rmsprop)


_PAIRWISE = {**BINARY, **ACTIVATION_GRAD, **BIAS_ACTIVATION}  # the ops _zip runs


@cuda.jit(device=True)
def _isnan(v):
    """NaN is the only value not equal to itself (a test that works for every dtype)."""
    return v != v  # noqa: PLR0124


@cuda.jit(device=True)
def _offset(i, shape, strides):
    """Where element number ``i`` of an array of ``shape`` (counted in C order) is found
    in a flat buffer read with ``strides`` (in elements).

    Example: shape (2, 3), strides (1, 2) read a transposed (3, 2) matrix: element 4 is
    at index (1, 1), so at 1 * 1 + 1 * 2 = 3."""
    offset = 0
    for k in range(len(shape) - 1, -1, -1):  # the last axis varies fastest
        offset += (i % shape[k]) * strides[k]
        i //= shape[k]
    return offset


# ================================================================ generic kernels
@cuda.jit(cache=True)
def _map(code, x, out, p, q):
    """out[i] = f(x[i]): one thread per element."""
    i = cuda.grid(1)
    if i < out.size:
        out[i] = _unary_fn(code, x[i], p, q)


@cuda.jit(cache=True)
def _zip(code, a, a_strides, b, b_strides, out, shape, one):
    """out[i] = f(a[.], b[.]), with a and b read at the strides of their broadcast.
    ``code`` is a binary op's or a one-pass rule's (``one``: 1 in out's type)."""
    i = cuda.grid(1)
    if i < out.size:
        a_i, b_i = a[_offset(i, shape, a_strides)], b[_offset(i, shape, b_strides)]
        if code < TANH_GRAD:
            out[i] = _binary_fn(code, a_i, b_i)
        elif code < BIAS_TANH:
            out[i] = _activation_grad_fn(code, a_i, b_i, one)
        else:
            out[i] = _bias_activation_fn(code, a_i, b_i)


@cuda.jit(cache=True)
def _where(cond, c_strides, a, a_strides, b, b_strides, out, shape):
    """out[i] = a[.] where cond[.] is true, else b[.] (all three broadcast)."""
    i = cuda.grid(1)
    if i < out.size:
        if cond[_offset(i, shape, c_strides)]:
            out[i] = a[_offset(i, shape, a_strides)]
        else:
            out[i] = b[_offset(i, shape, b_strides)]


@cuda.jit(cache=True)
def _fill(out, value):
    """out[i] = value."""
    i = cuda.grid(1)
    if i < out.size:
        out[i] = value


@cuda.jit(cache=True)
def _copy(x, x_start, x_strides, out, out_start, out_strides, shape, n):
    """Copy the n elements of a ``shape`` block: element i is read at x_start plus its
    x_strides offset and written at out_start plus its out_strides offset (converting
    to out's dtype on the way)."""
    i = cuda.grid(1)
    if i < n:
        out[out_start + _offset(i, shape, out_strides)] = x[x_start + _offset(i, shape,
                                                                              x_strides)]


@cuda.jit(cache=True)
def _reduce(code, x, kept_shape, kept_strides, red_shape, red_strides, n_red, out):
    """out[o] = combination of the n_red elements that output o gathers: block o's
    threads split them, then combine their partial results pairwise in shared memory."""
    partial = cuda.shared.array(REDUCE_THREADS, np.float64)
    t = cuda.threadIdx.x
    start = _offset(cuda.blockIdx.x, kept_shape, kept_strides)  # output o's first input
    acc = _start_value(code)
    for r in range(t, n_red, cuda.blockDim.x):  # thread t takes t, t + T, t + 2T, ...
        acc = _combine(code, acc, x[start + _offset(r, red_shape, red_strides)])
    partial[t] = acc
    cuda.syncthreads()
    step = cuda.blockDim.x // 2
    while step > 0:  # the tree: each step, the first half folds in the second half
        if t < step:
            partial[t] = _combine(code, partial[t], partial[t + step])
        cuda.syncthreads()  # outside the if: every thread of the block must reach it
        step //= 2
    if t == 0:
        out[cuda.blockIdx.x] = partial[0]


@cuda.jit(cache=True)
def _arg_extreme(x, kept_shape, kept_strides, n, stride, out, find_min):
    """out[o] = position of the largest (smallest) of the n elements along the axis;
    the first one wins ties, and the first NaN beats everything (as NumPy does)."""
    o = cuda.grid(1)
    if o < out.size:
        start = _offset(o, kept_shape, kept_strides)
        best = x[start]
        best_at = 0
        for r in range(1, n):
            v = x[start + r * stride]
            if not _isnan(best) and (_isnan(v) or (v < best if find_min else v > best)):
                best = v
                best_at = r
        out[o] = best_at


@cuda.jit(cache=True)
def _softmax(x, kept_shape, kept_strides, n, stride, n_rows, out, log):
    """Softmax (or log-softmax, when ``log``) of each row of n elements along the axis,
    one thread per row. Subtracting the row's largest value keeps exp from overflowing."""
    o = cuda.grid(1)
    if o < n_rows:
        start = _offset(o, kept_shape, kept_strides)
        biggest = x[start]
        for j in range(1, n):
            biggest = _combine(MAX, biggest, x[start + j * stride])
        total = 0.0  # float64
        for j in range(n):
            at = start + j * stride
            e = math.exp(x[at] - biggest)
            total += e
            out[at] = e
        if log:
            log_total = math.log(total)
            for j in range(n):
                at = start + j * stride
                out[at] = (x[at] - biggest) - log_total
        else:
            for j in range(n):
                at = start + j * stride
                out[at] = out[at] / total


@cuda.jit(cache=True)
def _one_hot(indices, num_classes, out):
    """out[n, c] = 1 if indices[n] == c else 0 (negative ids count from the end)."""
    i = cuda.grid(1)
    if i < out.size:
        c = int(indices[i // num_classes])
        if c < 0:
            c += num_classes
        out[i] = 1 if i % num_classes == c else 0


@cuda.jit(cache=True)
def _gather(table, n_rows, row_size, indices, out):
    """out[n, j] = table[indices[n], j]; an id out of range gives a row of zeros."""
    i = cuda.grid(1)
    if i < out.size:
        row = indices[i // row_size]
        if row < 0:
            row += n_rows
        if 0 <= row < n_rows:
            out[i] = table[row * row_size + i % row_size]
        else:
            out[i] = 0


@cuda.jit(cache=True)
def _scatter_add(g, indices, n_rows, row_size, out):
    """out[indices[n], j] += g[n, j]. Two ids may be equal, so two threads may add to
    one element at once: atomic.add makes each addition whole."""
    i = cuda.grid(1)
    if i < g.size:
        row = indices[i // row_size]
        if row < 0:
            row += n_rows
        if 0 <= row < n_rows:
            cuda.atomic.add(out, row * row_size + i % row_size, g[i])


def _make_matmul(dtype):
    """The tiled matmul kernel, computing in ``dtype`` (shared arrays need a fixed one)."""

    @cuda.jit(cache=True)
    def matmul_tiles(a, b, out, M, K, N, batch_shape, a_batch_strides, b_batch_strides,
                     z_start):
        """out[z] = a[z] @ b[z] for (M, K) @ (K, N) matrices; one thread per output
        element, one block per TILE x TILE piece of out, blockIdx.z picks the matrix.

        C[row, col] needs row ``row`` of A and column ``col`` of B. Instead of every
        thread reading those from slow global memory itself, the block walks along K a
        tile at a time: its TILE x TILE threads each load *one* element of the A tile and
        one of the B tile into shared memory, wait (syncthreads), then each thread reads
        TILE values of each tile from fast shared memory. Every loaded number is used by
        TILE threads. Elements past the edge of A or B load as 0, so sizes need not be
        multiples of TILE."""
        tile_a = cuda.shared.array((TILE, TILE), dtype)
        tile_b = cuda.shared.array((TILE, TILE), dtype)
        tx = cuda.threadIdx.x  # the column inside the tile
        ty = cuda.threadIdx.y  # the row inside the tile
        row = cuda.blockIdx.y * TILE + ty
        col = cuda.blockIdx.x * TILE + tx
        z = z_start + cuda.blockIdx.z
        a_start = _offset(z, batch_shape, a_batch_strides)
        b_start = _offset(z, batch_shape, b_batch_strides)
        acc = dtype(0)
        for t in range((K + TILE - 1) // TILE):
            k = t * TILE + tx  # this thread loads A[row, k] ...
            if row < M and k < K:
                tile_a[ty, tx] = a[a_start + row * K + k]
            else:
                tile_a[ty, tx] = 0
            k = t * TILE + ty  # ... and B[k, col]
            if k < K and col < N:
                tile_b[ty, tx] = b[b_start + k * N + col]
            else:
                tile_b[ty, tx] = 0
            cuda.syncthreads()  # the tiles are complete
            for j in range(TILE):
                acc += tile_a[ty, j] * tile_b[j, tx]
            cuda.syncthreads()  # everyone is done with them before the next load
        if row < M and col < N:
            out[z * M * N + row * N + col] = acc

    return matmul_tiles


_matmul_f32 = _make_matmul(np.float32)
_matmul_f64 = _make_matmul(np.float64)


# ---- moving arrays, and small host-side helpers ----
def _is_device(x) -> bool:
    return getattr(x, "__cuda_ndarray__", False)


def to_device(array):
    """A C-contiguous copy of ``array`` in GPU memory (a DeviceNDArray).

    A device array is returned as it is when it is already C-contiguous."""
    if _is_device(array):
        if array.is_c_contiguous():
            return array
        raise ValueError(f"a non-contiguous device array (shape {array.shape}, strides "
                         f"{array.strides}) cannot be used; copy it to the host first")
    array = np.asarray(array)
    if not array.flags.c_contiguous:
        array = array.copy(order="C")
    return cuda.to_device(array)


def to_host(device_array) -> np.ndarray:
    """A NumPy copy of a device array (a host array is copied too)."""
    if _is_device(device_array):
        return device_array.copy_to_host()
    return np.array(device_array)


_dev = to_device  # what every kernel does with its inputs: host arrays are uploaded


def _empty(shape, dtype):
    return cuda.device_array(tuple(shape), dtype=np.dtype(dtype))


def _flat(x):
    """The same device memory seen as 1-D (a view; a 0-d array becomes shape (1,))."""
    return x if x.ndim == 1 or x.size == 0 else x.reshape(x.size)


def _launch(kernel, n, *args):
    """Run ``kernel`` with at least n threads: blocks of THREADS, or one block of n."""
    if n > 0:
        threads = min(THREADS, n)
        kernel[(n + threads - 1) // threads, threads](*args)


def _c_strides(shape) -> tuple:
    """Strides, in elements, of a C-contiguous array: (3, 4) -> (4, 1)."""
    strides, step = [], 1
    for d in reversed(shape):
        strides.append(step)
        step *= d
    return tuple(reversed(strides))


def _broadcast_strides(shape, out_shape) -> tuple:
    """Strides to read a C-contiguous array of ``shape`` as if it had ``out_shape``:
    the missing leading axes and the size-1 axes that broadcast get stride 0."""
    padded = (1,) * (len(out_shape) - len(shape)) + tuple(shape)
    return tuple(0 if d == 1 else s for d, s in zip(padded, _c_strides(padded)))


def _nonempty(shape, *strides):
    """Kernels take shapes and strides as tuples with at least one axis: a 0-d array is
    read as shape (1,), stride 0."""
    if len(shape) == 0:
        return ((1,),) + tuple((0,) for _ in strides)
    return (tuple(shape),) + tuple(strides)


def _broadcast_args(out_shape, *shapes):
    """(shape, strides of each input) for a kernel that reads broadcast inputs; when all
    inputs already have the output's shape, a plain 1-D walk does (cheaper to index)."""
    if all(tuple(s) == tuple(out_shape) for s in shapes):
        n = math.prod(out_shape)
        return ((n,),) + tuple((1,) for _ in shapes)
    return _nonempty(out_shape, *(_broadcast_strides(s, out_shape) for s in shapes))


@cache
def _result_dtype(name, *dtypes):
    """The dtype the reference kernel ``name`` returns for inputs of these dtypes (asked
    of NumPy on one-element arrays, so every promotion rule matches exactly)."""
    with np.errstate(all="ignore"):
        return REF[name](*(np.ones(1, d) for d in dtypes)).dtype


def _standin(shape, dtype=np.uint8):
    """An array of ``shape`` that takes no memory, for asking NumPy about shapes."""
    return np.broadcast_to(np.zeros((), dtype), tuple(shape))


def _view_layout(shape, key):
    """Start, strides and shape (in elements) of ``x[key]`` for a C-contiguous x of
    ``shape`` and a basic index ``key`` (ints, slices, None, ...): NumPy works it out on a
    buffer of one byte per element that is never touched (so costs no real memory)."""
    buffer = np.empty(max(math.prod(shape), 1), np.uint8)
    whole = np.lib.stride_tricks.as_strided(buffer, shape=tuple(shape),
                                            strides=_c_strides(shape))
    key = key if isinstance(key, tuple) else (key,)
    if not any(k is Ellipsis for k in key):
        key = key + (Ellipsis,)  # so that all-int keys give a 0-d view, not a scalar
    view = whole[key]
    start = view.__array_interface__["data"][0] - buffer.__array_interface__["data"][0]
    return start, view.strides, view.shape


def _is_basic_key(key) -> bool:
    key = key if isinstance(key, tuple) else (key,)
    return all(isinstance(k, (int, np.integer, slice)) and not isinstance(k, bool)
               or k is None or k is Ellipsis for k in key)


def _copy_into(x, x_start, x_strides, out, out_start, out_strides, shape):
    """Launch ``_copy`` over a block of ``shape`` (any strides, 0-d allowed)."""
    n = math.prod(shape)
    shape, x_strides, out_strides = _nonempty(shape, x_strides, out_strides)
    _launch(_copy, n, _flat(x), x_start, tuple(x_strides), _flat(out), out_start,
            tuple(out_strides), tuple(shape), n)


def _on_host(name, *arrays, **attrs):
    """Run the reference kernel on host copies and upload the result. Only for what
    needs no real work: empty arrays, where the reference defines the answer (or error)."""
    return to_device(np.asarray(REF[name](*(to_host(a) for a in arrays), **attrs)))


# ---- elementwise ----
def _map_op(code, x, dtype, p=0.0, q=0.0):
    out = _empty(x.shape, dtype)
    _launch(_map, x.size, code, _flat(x), _flat(out), float(p), float(q))
    return out


def _unary_kernel(name: str):
    code = UNARY[name]

    def kernel(x):
        x = _dev(x)
        return _map_op(code, x, _result_dtype(name, x.dtype))

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = f"np.{name}, elementwise, on the GPU."
    return kernel


def _binary_kernel(name: str, doc: str | None = None):
    code = _PAIRWISE[name]

    def kernel(a, b):
        a, b = _dev(a), _dev(b)
        shape = np.broadcast_shapes(a.shape, b.shape)
        out = _empty(shape, _result_dtype(name, a.dtype, b.dtype))
        loop_shape, a_strides, b_strides = _broadcast_args(shape, a.shape, b.shape)
        one = out.dtype.type(1) if out.dtype.kind == "f" else 1.0  # see scalar.py
        _launch(_zip, out.size, code, _flat(a), a_strides, _flat(b), b_strides, _flat(out),
                loop_shape, one)
        return out

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = doc or f"np.{name}, elementwise with NumPy broadcasting, on the GPU."
    return kernel


def elu(x, alpha):
    """x where x > 0, else alpha * (e ** x - 1)."""
    x = _dev(x)
    return _map_op(ELU, x, x.dtype, alpha)


def clip(x, min_value, max_value):
    """x limited to [min_value, max_value], in x's dtype."""
    x = _dev(x)
    return _map_op(CLIP, x, x.dtype, min_value, max_value)


def where(cond, a, b):
    """a where cond is true, else b (all three broadcast)."""
    cond, a, b = _dev(cond), _dev(a), _dev(b)
    shape = np.broadcast_shapes(cond.shape, a.shape, b.shape)
    out = _empty(shape, _result_dtype("where", np.bool_, a.dtype, b.dtype))
    loop_shape, c_strides, a_strides, b_strides = _broadcast_args(
        shape, cond.shape, a.shape, b.shape)
    _launch(_where, out.size, _flat(cond), c_strides, _flat(a), a_strides, _flat(b),
            b_strides, _flat(out), loop_shape)
    return out


def cast(x, dtype):
    """x converted to ``dtype`` (as ndarray.astype)."""
    x = _dev(x)
    out = _empty(x.shape, dtype)
    _copy_into(x, 0, (1,), out, 0, (1,), (x.size,))
    return out


def _full(shape, dtype, value):
    out = _empty(shape, dtype)
    _launch(_fill, out.size, _flat(out), value)
    return out


def zeros_like(x, dtype=None):
    """Zeros with x's shape (and dtype, unless given)."""
    return _full(x.shape, dtype or x.dtype, 0)


def ones_like(x, dtype=None):
    """Ones with x's shape (and dtype, unless given)."""
    return _full(x.shape, dtype or x.dtype, 1)


def identity(x):
    """x itself (no copy)."""
    return _dev(x)


def stop_gradient(x):
    """x itself (no copy): only the backward pass treats it differently."""
    return _dev(x)


# ---- softmax ----
def _along_axis(shape, axis):
    """(shape, strides) of the positions that stay when ``axis`` is walked along, plus
    the size and stride of that axis, for a C-contiguous array of ``shape``."""
    strides = _c_strides(shape)
    kept = [i for i in range(len(shape)) if i != axis]
    kept_shape, kept_strides = _nonempty([shape[i] for i in kept], [strides[i] for i in kept])
    return kept_shape, kept_strides, shape[axis], strides[axis]


def _softmax_op(name, x, axis):
    x = _dev(x)
    if x.size == 0 or x.ndim == 0:  # no rows: the reference says what that gives
        return _on_host(name, x, axis=axis)
    axis = int(axis) % x.ndim
    out = _empty(x.shape, _result_dtype("exp", x.dtype))  # float stays, int -> float64
    kept_shape, kept_strides, n, stride = _along_axis(x.shape, axis)
    _launch(_softmax, x.size // n, _flat(x), kept_shape, kept_strides, n, stride,
            x.size // n, _flat(out), name == "log_softmax")
    return out


def softmax(x, axis):
    """exp(x) / sum(exp(x)) along ``axis`` (finite for any finite x)."""
    return _softmax_op("softmax", x, axis)


def log_softmax(x, axis):
    """x - log(sum(exp(x))) along ``axis`` (finite for any finite x)."""
    return _softmax_op("log_softmax", x, axis)


# ---- reductions ----
def _axes(axis, ndim) -> tuple:
    """``axis`` (None, an int or a tuple) as sorted non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted(int(a) % ndim for a in axes)) if ndim else ()


_REDUCE_DTYPE = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min}


def _reduce_op(name, x, axis, keepdims):
    x = _dev(x)
    if x.size == 0:  # nothing to add up: the reference says what that gives, or raises
        return _on_host(name, x, axis=axis, keepdims=keepdims)
    axes = _axes(axis, x.ndim)
    strides = _c_strides(x.shape)
    kept = [i for i in range(x.ndim) if i not in axes]
    kept_shape, kept_strides = _nonempty([x.shape[i] for i in kept],
                                         [strides[i] for i in kept])
    red_shape, red_strides = _nonempty([x.shape[i] for i in axes], [strides[i] for i in axes])
    n_out, n_red = math.prod(kept_shape), math.prod(red_shape)
    dtype = _REDUCE_DTYPE[name](np.ones(1, x.dtype)).dtype
    if keepdims:
        shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    else:
        shape = tuple(x.shape[i] for i in kept)
    out = _empty(shape, dtype)
    threads = min(REDUCE_THREADS, 1 << (n_red - 1).bit_length())  # a power of two >= 1
    code = {"sum": SUM, "prod": PROD, "max": MAX, "min": MIN}[name]
    _reduce[n_out, threads](code, _flat(x), kept_shape, kept_strides, red_shape,
                            red_strides, n_red, _flat(out))
    return out


def sum_(x, axis, keepdims):
    """Sum over ``axis`` (added up in float64)."""
    return _reduce_op("sum", x, axis, keepdims)


def max_(x, axis, keepdims):
    """Largest element over ``axis`` (NaN if any is NaN)."""
    return _reduce_op("max", x, axis, keepdims)


def min_(x, axis, keepdims):
    """Smallest element over ``axis`` (NaN if any is NaN)."""
    return _reduce_op("min", x, axis, keepdims)


def prod(x, axis, keepdims):
    """Product over ``axis`` (multiplied in float64)."""
    return _reduce_op("prod", x, axis, keepdims)


def _arg_op(name, x, axis):
    x = _dev(x)
    if x.size == 0 or axis is None or x.ndim == 0:  # errors, or a flat index: reference
        return _on_host(name, x, axis=axis)
    axis = int(axis) % x.ndim
    kept_shape, kept_strides, n, stride = _along_axis(x.shape, axis)
    out = _empty(tuple(d for i, d in enumerate(x.shape) if i != axis), np.intp)
    _launch(_arg_extreme, out.size, _flat(x), kept_shape, kept_strides, n, stride,
            _flat(out), name == "argmin")
    return out


def argmax(x, axis):
    """Index of the largest element along ``axis`` (the first, if several)."""
    return _arg_op("argmax", x, axis)


def argmin(x, axis):
    """Index of the smallest element along ``axis`` (the first, if several)."""
    return _arg_op("argmin", x, axis)


def count(x, axis):
    """How many elements a reduction over ``axis`` combines: a 0-d array of x's dtype."""
    return to_device(REF["count"](_standin(x.shape, x.dtype), axis))


# ---- broadcasting ----
def sum_like(g, x):
    """Sum g over the axes that broadcasting added or stretched, to get x's shape."""
    g = _dev(g)
    if tuple(g.shape) == tuple(x.shape):
        return g
    return reshape(sum_(g, reference.broadcast_axes(g.shape, x.shape), False), x.shape)


def broadcast_like(g, x):
    """g copied along axes (size 1 or missing) to get x's shape."""
    g = _dev(g)
    if tuple(g.shape) == tuple(x.shape):
        return g
    shape = np.broadcast_shapes(g.shape, x.shape)
    if shape != tuple(x.shape):
        raise ValueError(f"cannot broadcast an array of shape {g.shape} to {x.shape}")
    out = _empty(shape, g.dtype)
    _copy_into(g, 0, _broadcast_strides(g.shape, shape), out, 0, _c_strides(shape), shape)
    return out


# ---- moving elements ----
def reshape(x, shape):
    """Same elements, new shape (a view; one size may be -1)."""
    x = _dev(x)
    new_shape = np.reshape(_standin(x.shape), shape).shape  # NumPy checks it and fills -1
    if x.size == 0:
        return _empty(new_shape, x.dtype)
    return x.reshape(new_shape)


def reshape_like(a, b):
    """a with b's shape (a view)."""
    return reshape(a, b.shape)


def expand_dims(x, axis):
    """x with size-1 axes inserted at ``axis`` (a view)."""
    x = _dev(x)
    return reshape(x, np.expand_dims(_standin(x.shape), axis).shape)


def squeeze(x, axis):
    """x without the size-1 axes ``axis`` (a view)."""
    x = _dev(x)
    return reshape(x, np.squeeze(_standin(x.shape), axis).shape)


def transpose(x, perm):
    """x with its axes permuted (a copy)."""
    x = _dev(x)
    shape = np.transpose(_standin(x.shape), perm).shape  # NumPy checks perm
    perm = range(x.ndim)[::-1] if perm is None else [int(p) % x.ndim for p in perm]
    strides = _c_strides(x.shape)
    out = _empty(shape, x.dtype)
    _copy_into(x, 0, tuple(strides[p] for p in perm), out, 0, _c_strides(shape), shape)
    return out


def concatenate(*xs, axis):
    """The arrays joined along ``axis``: each is copied into its slab of the result."""
    xs = [_dev(x) for x in xs]
    first = xs[0].shape
    axis = int(axis) % len(first)
    for x in xs[1:]:
        if x.ndim != len(first) or any(a != b for i, (a, b) in
                                       enumerate(zip(first, x.shape)) if i != axis):
            raise ValueError(f"concatenate: all sizes except along axis {axis} must match, "
                             f"got {first} and {x.shape}")
    shape = list(first)
    shape[axis] = sum(x.shape[axis] for x in xs)
    out = _empty(shape, np.result_type(*(x.dtype for x in xs)))
    out_strides = _c_strides(shape)
    start = 0
    for x in xs:
        _copy_into(x, 0, _c_strides(x.shape), out, start * out_strides[axis], out_strides,
                   x.shape)
        start += x.shape[axis]
    return out


def tile(x, reps):
    """x repeated reps[i] times along axis i.

    Seen as shape (r0, s0, r1, s1, ...), the result is x broadcast along the r axes (stride
    0), so one strided copy makes it."""
    x = _dev(x)
    reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    ndim = max(x.ndim, len(reps))
    sizes = (1,) * (ndim - x.ndim) + tuple(x.shape)
    reps = (1,) * (ndim - len(reps)) + reps
    split = tuple(n for pair in zip(reps, sizes) for n in pair)
    x_strides = tuple(s for st in _c_strides(sizes) for s in (0, st))
    out = _empty(tuple(r * s for r, s in zip(reps, sizes)), x.dtype)
    _copy_into(x, 0, x_strides, out, 0, _c_strides(split), split)
    return out


def untile(g, reps):
    """Sum the tiles of a tiled array back into one (the gradient of tile)."""
    g = _dev(g)
    sizes = [d // r for d, r in zip(g.shape, reps)]
    split = [n for pair in zip(reps, sizes) for n in pair]  # (r0, s0, r1, s1, ...)
    return sum_(reshape(g, split), tuple(range(0, 2 * g.ndim, 2)), False)


def pad(x, pad_width, value):
    """x surrounded by ``value``: fill the result, then copy x into its middle."""
    x = _dev(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    if (widths < 0).any():
        raise ValueError(f"pad widths must not be negative, got {pad_width}")
    shape = tuple(int(d + a + b) for d, (a, b) in zip(x.shape, widths))
    out = _full(shape, x.dtype, np.asarray(value).astype(x.dtype).item())
    strides = _c_strides(shape)
    start = sum(int(a) * s for (a, _), s in zip(widths, strides))
    _copy_into(x, 0, _c_strides(x.shape), out, start, strides, x.shape)
    return out


def getitem(x, key):
    """x[key] for a basic index (ints, slices, None, ...): a strided copy."""
    x = _dev(x)
    if not _is_basic_key(key):
        return _on_host("getitem", x, key=key)  # arrays as keys: not an op's key
    start, strides, shape = _view_layout(x.shape, key)
    out = _empty(shape, x.dtype)
    _copy_into(x, start, strides, out, 0, _c_strides(shape), shape)
    return out


def getitem_grad(g, x, key):
    """Zeros shaped like x with g written at x[key]."""
    g = _dev(g)
    if not _is_basic_key(key):
        return _on_host("getitem_grad", g, x, key=key)
    out = _full(x.shape, g.dtype, 0)
    start, strides, shape = _view_layout(x.shape, key)
    _copy_into(g, 0, _broadcast_strides(g.shape, shape), out, start, strides, shape)
    return out


def _rows_of(shape):
    """(number of rows, elements per row) of a table of ``shape``."""
    return (shape[0] if len(shape) else 0), math.prod(shape[1:])


def gather(reference, indices):
    """Rows reference[indices] (negative ids count from the end)."""
    reference, indices = _dev(reference), _dev(indices)
    n_rows, row_size = _rows_of(reference.shape)
    out = _empty(tuple(indices.shape) + tuple(reference.shape[1:]), reference.dtype)
    if row_size:
        _launch(_gather, out.size, _flat(reference), n_rows, row_size, _flat(indices),
                _flat(out))
    return out


def gather_grad(g, reference, indices):
    """Zeros shaped like reference, with the rows of g added at ``indices``."""
    g, indices = _dev(g), _dev(indices)
    n_rows, row_size = _rows_of(reference.shape)
    out = _full(reference.shape, g.dtype, 0)
    if row_size:
        _launch(_scatter_add, g.size, _flat(g), _flat(indices), n_rows, row_size,
                _flat(out))
    return out


def check_ids(ids, num_ids, what):
    """ids itself, once checked on the host (ids are few: one per sample or token)."""
    REF["check_ids"](to_host(ids), num_ids, what)
    return _dev(ids)


def one_hot(indices, num_classes, dtype):
    """indices -> rows with a 1 at each id (ids out of range give a row of zeros)."""
    indices = _dev(indices)
    out = _empty(tuple(indices.shape) + (int(num_classes),), dtype)
    _launch(_one_hot, out.size, _flat(indices), int(num_classes), _flat(out))
    return out


# ---- products ----
def matmul(a, b):
    """np.matmul on the GPU: 1-D operands, stacks of matrices and broadcasting included.

    All matrices of the stack run in one launch (blockIdx.z picks the matrix); a stack
    taller than CUDA's limit on grid z is run in several launches."""
    a, b = _dev(a), _dev(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: an operand is 0-d (use multiply for scalars)")
    a_shape = (1,) + tuple(a.shape) if a.ndim == 1 else tuple(a.shape)
    b_shape = tuple(b.shape) + (1,) if b.ndim == 1 else tuple(b.shape)
    (M, K), (K2, N) = a_shape[-2:], b_shape[-2:]
    if K != K2:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit "
                         f"({K} columns against {K2} rows)")
    batch = np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    dtype = np.result_type(a.dtype, b.dtype)
    out = _empty(batch + (M, N), dtype)
    n_batch = math.prod(batch)
    if out.size:
        batch_shape, a_strides, b_strides = _nonempty(
            batch, _broadcast_strides(a_shape[:-2], batch),
            _broadcast_strides(b_shape[:-2], batch))
        a_strides = tuple(s * M * K for s in a_strides)  # in elements: a matrix per step
        b_strides = tuple(s * K * N for s in b_strides)
        kernel = _matmul_f32 if dtype == np.float32 else _matmul_f64
        grid_x, grid_y = (N + TILE - 1) // TILE, (M + TILE - 1) // TILE
        for z in range(0, n_batch, MAX_GRID_Z):
            grid_z = min(MAX_GRID_Z, n_batch - z)
            kernel[(grid_x, grid_y, grid_z), (TILE, TILE)](
                _flat(a), _flat(b), _flat(out), M, K, N, batch_shape, a_strides, b_strides,
                z)
    if a.ndim == 1:  # drop the axes that 1-D operands were given
        out = reshape(out, out.shape[:-2] + out.shape[-1:])
    if b.ndim == 1:
        out = reshape(out, out.shape[:-1])
    return out


# ---- randomness: drawn on the host exactly as the reference does, then uploaded ----
def random_uniform(shape, low, high, dtype, rng):
    """U[low, high) numbers: the same draw as the reference kernel, uploaded."""
    return to_device(REF["random_uniform"](shape, low, high, dtype, rng))


def random_normal(shape, mean, stddev, dtype, rng):
    """N(mean, stddev^2) numbers: the same draw as the reference kernel, uploaded."""
    return to_device(REF["random_normal"](shape, mean, stddev, dtype, rng))


def bernoulli_like(x, p, value, rng):
    """``value`` with probability p, else 0, in an array shaped like x.

    The reference kernel itself draws the mask on the host, asked for booleans (x's values
    are never read, only its shape), so CPU and GPU training see the same dropout masks.
    The mask travels as one byte per entry and becomes ``value`` or 0 on the GPU."""
    keep = REF["bernoulli_like"](_standin(x.shape, np.bool_), p, True, rng)
    return _map_op(SCALE, to_device(keep), x.dtype, float(np.asarray(value, x.dtype)))


# ================================================================ in-place steps
# Each overwrites the weight p and its slots with the rule of scalar.py, in p's dtype. The
# learning rate is a 0-d array computed by the graph; the kernel reads it on the GPU
# (lr[0]), which saves copying it back to the host on every step.
@cuda.jit(cache=True)
def _sgd_momentum_step(p, m, g, lr, momentum, nesterov):
    i = cuda.grid(1)
    if i < p.size:
        p[i], m[i] = _sgd_momentum(p[i], m[i], g[i], lr[0], momentum, nesterov)


@cuda.jit(cache=True)
def _adam_step(p, m, v, g, alpha, one_minus_b1, one_minus_b2, epsilon):
    i = cuda.grid(1)
    if i < p.size:
        p[i], m[i], v[i] = _adam(p[i], m[i], v[i], g[i], alpha[0], one_minus_b1,
                                 one_minus_b2, epsilon)


@cuda.jit(cache=True)
def _rmsprop_step(p, v, g, lr, rho, one_minus_rho, epsilon):
    i = cuda.grid(1)
    if i < p.size:
        p[i], v[i] = _rmsprop(p[i], v[i], g[i], lr[0], rho, one_minus_rho, epsilon)


def _in_place(*arrays):
    """The flat views of the device arrays a step overwrites (host arrays would be
    updated in a copy that nobody sees: refuse them)."""
    for a in arrays:
        if not _is_device(a) or not a.is_c_contiguous():
            raise TypeError("an in-place step needs contiguous device arrays to write into, "
                            f"got {type(a).__name__}")
    return [_flat(a) for a in arrays]


def _same_type(value, dtype):
    """A scalar as a 1-element device array of ``dtype`` (a device value stays there)."""
    if _is_device(value) and value.dtype == dtype:
        return _flat(value)
    return to_device(np.asarray(to_host(value), dtype).reshape(1))


def sgd_momentum_step(p, m, g, lr, momentum, nesterov):
    """m = momentum * m - lr * g; p += m (or p += momentum * m - lr * g, Nesterov)."""
    t = p.dtype.type
    p_, m_ = _in_place(p, m)
    _launch(_sgd_momentum_step, p.size, p_, m_, _flat(_dev(g)), _same_type(lr, p.dtype),
            t(momentum), bool(nesterov))


def adam_step(p, m, v, g, alpha, beta_1, beta_2, epsilon):
    """m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); p -= m * alpha / (sqrt(v) + eps)."""
    t = p.dtype.type
    p_, m_, v_ = _in_place(p, m, v)
    _launch(_adam_step, p.size, p_, m_, v_, _flat(_dev(g)), _same_type(alpha, p.dtype),
            t(1 - beta_1), t(1 - beta_2), t(epsilon))


def rmsprop_step(p, v, g, lr, rho, epsilon):
    """v = rho v + (1 - rho) g^2; p -= lr * g / sqrt(v + eps)."""
    t = p.dtype.type
    p_, v_ = _in_place(p, v)
    _launch(_rmsprop_step, p.size, p_, v_, _flat(_dev(g)), _same_type(lr, p.dtype), t(rho),
            t(1 - rho), t(epsilon))


# The fused steps are kept out of KERNELS, so on 'cuda' the compiler runs the optimizers'
# plain update pairs. The executor could run them (its one update path writes into a
# variable's GPU copy as well as into host memory): adding IN_PLACE_KERNELS to KERNELS
# switches them on, once someone has measured them on a real GPU.
IN_PLACE_KERNELS = {"sgd_momentum_step": sgd_momentum_step, "adam_step": adam_step,
                    "rmsprop_step": rmsprop_step}


# ================================================================ one-pass kernels
# tanh_grad, sigmoid_grad, bias_tanh and bias_relu are _zip with their rule's code (see
# the table); the rest are compositions of the kernels above.
def tanh_grad_scaled(g, s, y, like):
    """tanh_grad(sum_like(g * s, like), y): the gradient through dropout and tanh."""
    return KERNELS["tanh_grad"](sum_like(KERNELS["multiply"](g, s), like), y)


def sigmoid_grad_scaled(g, s, y, like):
    """sigmoid_grad(sum_like(g * s, like), y)."""
    return KERNELS["sigmoid_grad"](sum_like(KERNELS["multiply"](g, s), like), y)


def relu_grad(g, y):
    """g where y > 0, else 0 (relu's gradient, from its output y)."""
    g, y = _dev(g), _dev(y)
    zero = to_device(np.zeros((), g.dtype))
    return where(KERNELS["greater"](y, zero), g, zero)


def softmax_crossentropy(target, logits, axis):
    """-sum(t * log_softmax(z)) along axis."""
    product = KERNELS["multiply"](target, log_softmax(logits, axis))
    return KERNELS["negative"](sum_(product, (axis,), False))


def softmax_crossentropy_grad(g, target, logits, axis):
    """g * (softmax(z) * sum(t) - t)."""
    scaled = KERNELS["multiply"](softmax(logits, axis), sum_(target, (axis,), True))
    return KERNELS["multiply"](expand_dims(g, (axis,)),
                               KERNELS["subtract"](scaled, target))


# ================================================================ the table
_BINARY_DOCS = {
    "tanh_grad": "g * (1 - y ** 2), the gradient of tanh from its output y, in one pass.",
    "sigmoid_grad": "g * y * (1 - y), the gradient of sigmoid from its output y, in one pass.",
    "bias_tanh": "tanh(z + b): a Dense layer's bias add and tanh in one pass.",
    "bias_relu": "max(z + b, 0): a Dense layer's bias add and relu in one pass.",
}
KERNELS = {
    **{name: _unary_kernel(name) for name in UNARY},
    **{name: _binary_kernel(name, _BINARY_DOCS.get(name)) for name in _PAIRWISE},
    **{fn.__name__.rstrip("_"): fn for fn in (
        elu, clip, where, cast, zeros_like, ones_like, identity, stop_gradient,
        softmax, log_softmax, sum_like, broadcast_like, sum_, max_, min_, prod, argmax,
        argmin, count, reshape, reshape_like, transpose, expand_dims, squeeze, concatenate,
        tile, untile, pad, getitem, getitem_grad, gather, gather_grad, check_ids, one_hot,
        matmul,
        random_uniform, random_normal, bernoulli_like, tanh_grad_scaled, relu_grad,
        sigmoid_grad_scaled, softmax_crossentropy, softmax_crossentropy_grad)},
}

# The kernels that may return (a view of) their first input: liveness must keep that
# input's memory while the result is used. (transpose and getitem copy here.)
for _name in ("reshape", "reshape_like", "expand_dims", "squeeze", "identity",
              "stop_gradient", "sum_like", "broadcast_like", "check_ids"):
    KERNELS[_name].returns_view = True
