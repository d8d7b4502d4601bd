"""The NumPy reference kernels: one plain function per op, the definition of "correct".

Each kernel takes the op's input arrays and its attributes and returns the op's value, as
``minikeras.kernels`` describes (the kernel contract). Most return a new array; those
registered with ``returns_view=True`` may return a view of their first input (reshape,
transpose, ...) or that very array, and those with ``accepts_out=True`` write into an
``out=`` buffer the executor offers when it fits. The fused kernels (``bias_tanh``,
``tanh_grad_scaled``, ...) declare which pattern of ops they replace (``fuses``).

The faster Numba (``cpu.py``) and CUDA (``cuda.py``) kernels are tested against these.

>>> import numpy as np
>>> KERNELS['softmax'](np.array([[1e4, 0.0]], dtype='float32'), axis=1)
array([[1., 0.]], dtype=float32)
"""
from __future__ import annotations

import numpy as np

KERNELS: dict = {}


def kernel(fn=None, *, accepts_out: bool = False, returns_view: bool = False,
           fuses: tuple | None = None):
    """Register ``fn`` as the reference kernel of the op with the same name, with what it
    declares about itself (see the kernel contract in ``minikeras.kernels``)."""
    def register(fn):
        fn.accepts_out, fn.returns_view = accepts_out, returns_view
        if fuses is not None:
            fn.fuses = fuses
        KERNELS[fn.__name__.rstrip("_")] = fn
        return fn
    return register if fn is None else register(fn)


# ---- elementwise arithmetic ----
def fits(out, shape, dtype) -> bool:
    """Can ``out`` (a buffer offered by the executor) hold a result of this shape/dtype?"""
    return out is not None and out.shape == shape and out.dtype == dtype


def _ufunc_kernel(name: str, ufunc: np.ufunc):
    """A NumPy ufunc as a kernel that may write into a given ``out`` buffer.

    The buffer fits if it has the result's shape and the dtype the ufunc itself would
    give: NumPy's own type resolution says so (bool for a comparison of floats, float64
    for the square root of integers), remembered per input dtypes.
    """
    result_dtypes: dict[tuple, np.dtype] = {}

    def kernel(*arrays, out=None):
        if out is not None:
            shapes = [np.shape(a) for a in arrays]
            shape = shapes[0] if shapes.count(shapes[0]) == len(shapes) else \
                np.broadcast_shapes(*shapes)
            dtypes = tuple([a.dtype for a in arrays])  # the executor passes arrays
            dtype = result_dtypes.get(dtypes)
            if dtype is None:
                dtype = result_dtypes[dtypes] = ufunc.resolve_dtypes((*dtypes, None))[-1]
            if fits(out, shape, dtype):
                return ufunc(*arrays, out=out)
        return ufunc(*arrays)
    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = f"NumPy's {ufunc.__name__}, elementwise."
    kernel.accepts_out = True
    return kernel


for _name, _ufunc in {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
    "power": np.power, "maximum": np.maximum, "minimum": np.minimum,
    "greater": np.greater, "greater_equal": np.greater_equal, "less": np.less,
    "less_equal": np.less_equal, "equal": np.equal, "not_equal": np.not_equal,
    "logical_and": np.logical_and, "logical_or": np.logical_or,
    "negative": np.negative, "abs": np.abs, "sign": np.sign, "exp": np.exp, "log": np.log,
    "sqrt": np.sqrt, "square": np.square, "tanh": np.tanh, "logical_not": np.logical_not,
}.items():
    KERNELS[_name] = _ufunc_kernel(_name, _ufunc)


@kernel
def clip(x, min_value, max_value):
    return np.clip(x, min_value, max_value).astype(x.dtype, copy=False)


@kernel
def where(cond, a, b):
    return np.where(cond, a, b)


@kernel
def cast(x, dtype):
    return x.astype(dtype)


@kernel
def zeros_like(x, dtype=None):
    return np.zeros(x.shape, dtype or x.dtype)


@kernel
def ones_like(x, dtype=None):
    return np.ones(x.shape, dtype or x.dtype)


@kernel(returns_view=True)
def stop_gradient(x):
    return x


@kernel(returns_view=True)
def identity(x):
    return x


# ---- activations ----
@kernel
def sigmoid(x):
    # 1 / (1 + e^-x) overflows e^-x for very negative x; this form never does
    return (0.5 * np.tanh(0.5 * x) + 0.5).astype(x.dtype, copy=False)


@kernel
def relu(x):
    return np.maximum(x, 0).astype(x.dtype, copy=False)


@kernel
def elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)


@kernel
def softplus(x):
    return np.logaddexp(0, x).astype(x.dtype, copy=False)


@kernel(accepts_out=True, fuses=("tanh", "bias_add"))
def bias_tanh(z, b, out=None):
    """tanh(z + b) for a bias b along the last axis (a fused Dense + tanh)."""
    total = np.add(z, b, out=out if fits(out, z.shape, z.dtype) else None)
    return np.tanh(total, out=total)


@kernel(accepts_out=True, fuses=("relu", "bias_add"))
def bias_relu(z, b, out=None):
    """max(z + b, 0) for a bias b along the last axis (a fused Dense + relu)."""
    total = np.add(z, b, out=out if fits(out, z.shape, z.dtype) else None)
    return np.maximum(total, 0, out=total)



@kernel
def tanh_grad(g, y):
    """g * (1 - y^2): the gradient of tanh, from its output y."""
    return g * (1.0 - y * y)


@kernel
def sigmoid_grad(g, y):
    """g * y * (1 - y): the gradient of sigmoid, from its output y."""
    return g * y * (1.0 - y)


@kernel(fuses=("tanh_grad", "scaled_gradient"))
def tanh_grad_scaled(g, s, y, like):
    """tanh_grad(sum_like(g * s, like), y): tanh's slope times a gradient that came
    through dropout (g * mask), summed to ``like``'s shape if it was broadcast."""
    return tanh_grad(sum_like(g * s, like), y)


@kernel(fuses=("sigmoid_grad", "scaled_gradient"))
def sigmoid_grad_scaled(g, s, y, like):
    """sigmoid_grad(sum_like(g * s, like), y)."""
    return sigmoid_grad(sum_like(g * s, like), y)


@kernel(fuses=("where", "positive_mask"))
def relu_grad(g, y):
    """g where y > 0, else 0: relu's gradient ``where(greater(y, 0), g, 0)`` in one pass,
    from relu's output y (no boolean mask stored in between)."""
    return np.where(y > 0, g, np.zeros((), g.dtype))


@kernel
def softmax_crossentropy(target, logits, axis):
    """-sum(t * log_softmax(z)) along axis, as sum(t) * logsumexp(z) - sum(t * z)."""
    return -np.sum(target * log_softmax(logits, axis), axis=axis)


@kernel
def softmax_crossentropy_grad(g, target, logits, axis):
    """g * (softmax(z) * sum(t) - t): the gradient of the crossentropy above."""
    total = np.sum(target, axis=axis, keepdims=True)
    return np.expand_dims(g, axis) * (softmax(logits, axis) * total - target)


@kernel
def softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@kernel
def log_softmax(x, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


# ---- broadcasting ----
def broadcast_axes(g_shape, x_shape) -> tuple:
    """The axes along which an array of ``x_shape`` was broadcast to ``g_shape``: the
    leading ones it lacked, and those where it had size 1. (Summing a gradient of
    ``g_shape`` over them gives one of ``x_shape``.)

    >>> broadcast_axes((4, 2, 3), (2, 1))
    (0, 2)
    """
    extra = len(g_shape) - len(x_shape)
    return tuple(range(extra)) + tuple(i + extra for i, d in enumerate(x_shape)
                                       if d == 1 and g_shape[i + extra] != 1)


@kernel(returns_view=True)
def sum_like(g, x):
    if g.shape == x.shape:
        return g
    return np.sum(g, axis=broadcast_axes(g.shape, x.shape)).reshape(x.shape)


@kernel(returns_view=True)
def broadcast_like(g, x):
    return np.broadcast_to(g, x.shape)


# ---- reductions ----
@kernel
def sum_(x, axis, keepdims):
    return np.sum(x, axis=axis, keepdims=keepdims)


@kernel
def max_(x, axis, keepdims):
    return np.max(x, axis=axis, keepdims=keepdims)


@kernel
def min_(x, axis, keepdims):
    return np.min(x, axis=axis, keepdims=keepdims)


@kernel
def prod(x, axis, keepdims):
    return np.prod(x, axis=axis, keepdims=keepdims)


@kernel
def argmax(x, axis):
    return np.argmax(x, axis=axis)


@kernel
def argmin(x, axis):
    return np.argmin(x, axis=axis)


@kernel
def count(x, axis):
    n = 1
    for a in axis:
        n *= x.shape[a]
    return np.asarray(n, dtype=x.dtype)


# ---- moving elements ----
@kernel(returns_view=True)
def reshape(x, shape):
    return np.reshape(x, shape)


@kernel(returns_view=True)
def reshape_like(a, b):
    return np.reshape(a, b.shape)


@kernel(returns_view=True)
def transpose(x, perm):
    return np.transpose(x, perm)


@kernel(returns_view=True)
def expand_dims(x, axis):
    return np.expand_dims(x, axis)


@kernel(returns_view=True)
def squeeze(x, axis):
    return np.squeeze(x, axis)


@kernel
def concatenate(*xs, axis):
    return np.concatenate(xs, axis=axis)


@kernel
def tile(x, reps):
    return np.tile(x, reps)


@kernel
def untile(g, reps):
    sizes = [d // r for d, r in zip(g.shape, reps)]
    split = [n for pair in zip(reps, sizes) for n in pair]  # (r0, s0, r1, s1, ...)
    return g.reshape(split).sum(axis=tuple(range(0, 2 * g.ndim, 2)))


@kernel
def pad(x, pad_width, value):
    return np.pad(x, pad_width, constant_values=value)


@kernel(returns_view=True)
def getitem(x, key):
    return x[key]


@kernel
def getitem_grad(g, x, key):
    out = np.zeros(x.shape, g.dtype)
    out[key] = g
    return out


@kernel
def gather(reference, indices):
    return reference[indices]


@kernel
def gather_grad(g, reference, indices):
    out = np.zeros(reference.shape, g.dtype)
    np.add.at(out, indices, g)
    return out


@kernel(returns_view=True)
def check_ids(ids, num_ids, what):
    """``ids`` itself, after checking that 0 <= id < num_ids for each one."""
    if ids.size and (ids.min() < 0 or ids.max() >= num_ids):
        position = tuple(int(i) for i in np.argwhere((ids < 0) | (ids >= num_ids))[0])
        raise IndexError(f"{what} got id {ids[position]} at position {list(position)} (of "
                         f"an array of shape {ids.shape}); valid ids are 0..{num_ids - 1}")
    return ids


@kernel
def one_hot(indices, num_classes, dtype):
    out = np.zeros(indices.shape + (num_classes,), dtype)
    np.put_along_axis(out, indices[..., None].astype(np.intp), 1, axis=-1)
    return out


# ---- products ----
@kernel(accepts_out=True)
def matmul(a, b, out=None):
    if out is not None and a.ndim >= 2 and b.ndim >= 2:
        shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
        if fits(out, shape, np.result_type(a, b)):
            return np.matmul(a, b, out=out)
    return np.matmul(a, b)



# ---- randomness ----
@kernel
def random_uniform(shape, low, high, dtype, rng):
    return rng.uniform(low, high, size=shape).astype(dtype)


@kernel
def random_normal(shape, mean, stddev, dtype, rng):
    return rng.normal(mean, stddev, size=shape).astype(dtype)


@kernel
def bernoulli_like(x, p, value, rng):
    """``value`` with probability p, else 0. Each entry costs 16 random bits (a quarter of
    one 64-bit draw) compared with p * 65536, instead of a whole random float."""
    keep = random_bits16(rng, x.size) < bernoulli_threshold(p)
    return np.multiply(keep, np.asarray(value, x.dtype), dtype=x.dtype).reshape(x.shape)


def bernoulli_threshold(p: float) -> int:
    """16-bit draws below this number happen with probability p (to within 1/65536)."""
    return 65536 if p >= 1.0 else min(round(p * 65536), 65535)


def random_bits16(rng, n: int) -> np.ndarray:
    """n random 16-bit integers from the generator's raw 64-bit stream."""
    return rng.bit_generator.random_raw((n + 3) // 4).view(np.uint16)[:n]
