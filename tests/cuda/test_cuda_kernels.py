"""The CUDA kernels give what the NumPy reference kernels give.

Without a GPU these tests run on Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``, which
``python dev.py test`` sets for this folder, and this file sets too when run on its own).
The simulator runs every GPU thread as a Python thread, so the arrays here are tiny; the
shapes are chosen to be awkward instead: size-1 and empty axes, 0-d values, broadcasting,
non-contiguous host arrays, matrices that are not multiples of the matmul tile.
"""
from __future__ import annotations

import copy
import importlib
import os

import numpy as np
import pytest

from minikeras.devices import reference

# before numba is first imported (importing minikeras does not import it)
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
try:
    gpu = importlib.import_module("minikeras.devices.cuda")
except ImportError as e:  # numba was imported earlier in this process, without the
    pytest.skip(f"CUDA kernels unavailable here: {e}", allow_module_level=True)  # simulator

REF = reference.KERNELS
KERNELS = gpu.KERNELS
FLOATS = [np.float32, np.float64]

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf, NaN on purpose


# Python's default thread switch interval is kept: shortening it made the simulator's
# syncthreads about 2x faster, but it also widened a race in the simulator's shared
# arrays (see conftest.py, which closes it) and any other such race it may have.


# ---- helpers ----
def tolerance(dtype):
    if np.dtype(dtype) == np.float32:
        return {"rtol": 1e-5, "atol": 1e-6}
    if np.dtype(dtype) == np.float64:
        return {"rtol": 1e-12, "atol": 1e-12}
    return {"rtol": 0, "atol": 0}


def assert_same(got, want, tol=None):
    """Same shape and dtype, equal values (NaN matching NaN, inf matching inf)."""
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, equal_nan=True, **(tol or tolerance(want.dtype)))


def run(name, *arrays, **attrs):
    """The CUDA kernel's answer (brought back to the host) and the reference's."""
    with np.errstate(all="ignore"):
        want = REF[name](*(np.copy(a) for a in arrays), **attrs)
    got = KERNELS[name](*(gpu.to_device(a) for a in arrays), **attrs)
    assert gpu._is_device(got), f"{name} returned {type(got).__name__}, not a device array"
    return gpu.to_host(got), want


def check(name, *arrays, tol=None, **attrs):
    got, want = run(name, *arrays, **attrs)
    assert_same(got, want, tol)


def normal(shape, dtype=np.float32, seed=0, scale=3.0):
    return np.random.default_rng(seed).normal(scale=scale, size=shape).astype(dtype)


# specials: signed zeros, large magnitudes, infinities, NaN, and ordinary values
SPECIAL = np.array([0.0, -0.0, 1e4, -1e4, 100.0, np.inf, -np.inf, np.nan, 1.5, -2.5])


# ---- the table ----
IN_PLACE = {"sgd_momentum_step", "adam_step", "rmsprop_step"}


def test_every_reference_op_has_a_cuda_kernel():
    # the fused optimizer steps (no NumPy twin: the optimizers' plain pairs define them)
    # are offered apart, so the compiler runs the plain pairs on 'cuda'
    assert not IN_PLACE & set(KERNELS)
    missing = set(REF) - set(KERNELS)
    assert not missing, f"reference kernels without a CUDA version: {sorted(missing)}"
    assert set(KERNELS) <= set(REF)
    assert set(gpu.IN_PLACE_KERNELS) == IN_PLACE


# Dense models as the lessons train them: (activation, optimizer, loss)
SETUPS = [("tanh", "sgd_nesterov", "categorical_crossentropy"),
          ("relu", "adam", "sparse_categorical_crossentropy"),
          ("sigmoid", "rmsprop", "categorical_crossentropy")]


def _compiled_model(activation, optimizer, loss):
    """A small Dense/Activation/Dropout/softmax model, compiled, with a batch for it."""
    import minikeras as mk
    optimizers = {"sgd_nesterov": lambda: mk.optimizers.SGD(0.1, momentum=0.9,
                                                            nesterov=True),
                  "adam": mk.optimizers.Adam, "rmsprop": mk.optimizers.RMSprop}
    model = mk.Sequential([mk.layers.Dense(5, input_shape=(4,)),
                           mk.layers.Activation(activation), mk.layers.Dropout(0.5),
                           mk.layers.Dense(3), mk.layers.Activation("softmax")])
    model.compile(optimizer=optimizers[optimizer](), loss=loss, metrics=["accuracy"])
    x = normal((4, 4), seed=5, scale=1.0)
    y = np.array([0, 1, 2, 1])
    y = y if loss.startswith("sparse") else np.eye(3, dtype="float32")[y]
    return model, x, y


def _functions(model):
    return [f[0] if isinstance(f, tuple) else f for f in model._functions.values()]


@pytest.mark.parametrize("fuse", ["0", "1"])
def test_every_op_of_the_training_graphs_has_a_cuda_kernel(fuse, monkeypatch):
    # on 'cuda' the compiler finds no fused optimizer step, so it compiles the plain
    # update graphs op by op (MINIKERAS_FUSE=0 shows those on the CPU too)
    monkeypatch.setenv("MINIKERAS_FUSE", fuse)
    names = set()
    for setup in SETUPS:
        model, x, y = _compiled_model(*setup)
        model.train_on_batch(x, y)
        model.test_on_batch(x, y)
        model.predict(x, verbose=0)
        for fn in _functions(model):
            names |= {n.op.name for n in fn.nodes if n.op is not None}
            names |= {u.kernel for u in fn.in_place}
    assert {"matmul", "softmax", "softmax_crossentropy", "softmax_crossentropy_grad",
            "bernoulli_like", "sum_like", "tanh_grad", "sigmoid_grad"} <= names
    assert names - set(KERNELS) - set(gpu.IN_PLACE_KERNELS) == set()


def test_unavailable_cuda_is_a_clear_error(monkeypatch):
    from minikeras import kernels
    monkeypatch.setattr(gpu.cuda, "is_available", lambda: False)
    with pytest.raises(ImportError, match="no usable CUDA GPU"):
        gpu.require_cuda()
    kernels.reset()
    try:
        with pytest.raises(RuntimeError, match="no usable CUDA GPU"):
            kernels.table("cuda")
    finally:
        kernels.reset()


# ---- moving data ----
def test_to_device_and_back_copies_any_layout():
    x = normal((3, 4))
    for view in (x, x.T, x[::-1, ::2], np.float32(2.5), np.array(7), np.zeros((0, 3))):
        d = gpu.to_device(view)
        assert gpu._is_device(d)
        back = gpu.to_host(d)
        assert_same(back, np.asarray(view))
        assert back.flags.c_contiguous
    x_dev = gpu.to_device(x)
    assert gpu.to_device(x_dev) is x_dev


def test_kernels_accept_0d_device_values():
    x = normal((2, 3))
    half = gpu.to_device(np.array(0.5, dtype=np.float32))
    assert half.shape == ()
    assert_same(gpu.to_host(KERNELS["multiply"](gpu.to_device(x), half)), x * np.float32(0.5))
    assert_same(gpu.to_host(KERNELS["exp"](half)), np.exp(np.float32(0.5)))


# ---- elementwise: map ----
UNARY = ["tanh", "exp", "log", "sqrt", "square", "abs", "negative", "sign", "sigmoid",
         "relu", "softplus"]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", UNARY)
def test_unary(name, dtype):
    x = normal((2, 3), dtype)
    if name in ("log", "sqrt"):
        x = np.abs(x) + dtype(0.01)
    check(name, x.T)                        # non-contiguous input
    check(name, SPECIAL.astype(dtype))      # 0, inf, NaN, 1e4 (log, sqrt of < 0: NaN)
    check(name, np.asarray(dtype(0.7)))     # 0-d
    check(name, np.zeros((0, 3), dtype))    # empty


@pytest.mark.parametrize("dtype", FLOATS)
def test_elu_and_clip(dtype):
    x = np.concatenate([normal((7,), dtype), SPECIAL.astype(dtype)])
    check("elu", x, alpha=1.0)
    check("elu", x.reshape(1, -1, 1), alpha=0.3)
    check("clip", x, min_value=1e-7, max_value=1 - 1e-7)
    check("clip", x, min_value=-1.0, max_value=-2.0)  # empty range: max wins, as NumPy
    check("clip", np.arange(-3, 4), min_value=-1.5, max_value=2.5)  # ints stay ints


def test_unary_on_integers_and_booleans():
    ints = np.array([[-3, 0, 2], [5, -1, 7]])
    for name in ("abs", "negative", "square", "sign", "tanh", "sqrt", "relu"):
        check(name, ints)
    check("logical_not", np.array([True, False, True]))
    check("logical_not", np.array([0.0, 2.0, np.nan]))


# ---- elementwise: zip, with broadcasting ----
BINARY = ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum",
          "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
          "logical_and", "logical_or", "tanh_grad", "sigmoid_grad", "bias_tanh", "bias_relu"]
SHAPE_PAIRS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((3, 1), (1, 4)), ((), (2, 3)),
               ((2, 1, 3), (4, 1)), ((0, 3), (3,))]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", BINARY)
def test_binary_broadcasts(name, dtype):
    for i, (sa, sb) in enumerate(SHAPE_PAIRS):
        a, b = normal(sa, dtype, seed=i), normal(sb, dtype, seed=i + 10)
        if name == "power":
            a = np.abs(a)
        check(name, a, b)
    a = normal((3, 2), dtype)
    check(name, a.T, a[::-1, 0])              # non-contiguous on both sides
    check(name, a, a)                          # equal values: ties for max, equal, ...
    special = SPECIAL.astype(dtype)
    check(name, special, special[::-1])       # inf - inf, NaN, 0 / 0, ...


def test_binary_dtype_promotion():
    f32, f64 = normal((2, 3)), np.asarray(2.0)  # a 0-d float64 array is not "weak"
    check("multiply", f32, f64)
    check("divide", np.array([7, -7, 3]), np.array([2, 2, 0]))  # ints -> float64
    check("add", np.array([1, 2]), np.array([0.5], np.float32))
    check("add", np.array([True, False]), np.array([True, True]))  # bool + bool: or
    check("logical_and", np.array([True, False, True]), np.array([[1.0], [0.0]]))
    check("greater", np.arange(4), np.float64(1.5))
    check("maximum", np.array([1, 5, 3]), np.array([4, 2, 3]))


@pytest.mark.parametrize("dtype", FLOATS)
def test_where(dtype):
    a, b = normal((2, 3), dtype), normal((3,), dtype, seed=1)
    check("where", a > 0, a, b)
    check("where", np.array([[True], [False]]), a, dtype(7))   # broadcast cond and b
    check("where", a, b, np.zeros((1, 1), dtype))             # a float condition
    check("where", np.zeros((0, 3), bool), np.zeros((0, 3), dtype), b)
    check("where", np.array([1.0, 0.0]), np.array([1, 2]), np.array([0.5, 0.25]))


def test_cast():
    x = np.array([[-1.7, 0.0, 2.5], [np.nan, 3.0, -0.0]])
    check("cast", x[:, :1].T, dtype="float32")
    check("cast", x[:, 1:], dtype="int64")
    check("cast", x, dtype="bool")            # NaN is True, as in NumPy
    check("cast", np.array([True, False]), dtype="float32")
    check("cast", np.arange(5, dtype=np.int32), dtype="float64")
    check("cast", np.asarray(np.float64(1.25)), dtype="float32")
    check("cast", np.zeros((0, 2)), dtype="float32")


def test_fills_and_identities():
    x = normal((2, 3))
    check("zeros_like", x)
    check("ones_like", x, dtype="int64")
    check("ones_like", np.asarray(np.float64(3)))
    for name in ("identity", "stop_gradient"):
        check(name, x.T)
        d = gpu.to_device(x)
        assert KERNELS[name](d) is d          # no copy, like the reference


# ---- softmax ----
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax(name, dtype):
    x = normal((2, 3, 4), dtype)
    for axis in (0, 1, 2, -1):
        check(name, x, axis=axis)
    check(name, x[:, 0, :].T, axis=1)                      # non-contiguous
    check(name, np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]], dtype), axis=1)
    check(name, np.array([[1e4], [-1e4]], dtype), axis=0)
    check(name, np.ones((1, 1), dtype), axis=1)
    check(name, np.zeros((0, 3), dtype), axis=1)           # an empty batch
    check(name, np.array([[np.nan, 1.0], [np.inf, 0.0]], dtype), axis=1)


def test_softmax_of_huge_values_is_finite():
    x = np.array([[1e4, -1e4, 0.0], [5e3, 5e3, -1e4]], np.float32)
    got = gpu.to_host(KERNELS["softmax"](gpu.to_device(x), axis=1))
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, [[1, 0, 0], [0.5, 0.5, 0]], atol=1e-7)
    got = gpu.to_host(KERNELS["log_softmax"](gpu.to_device(x), axis=1))
    assert np.isfinite(got).all()


# ---- reductions ----
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["sum", "max", "min", "prod"])
def test_reductions(name, dtype):
    x = normal((2, 3, 4), dtype, scale=1.0)
    for axis in [(0,), (1,), (2,), (0, 2), (1, 2), (0, 1, 2), ()]:
        for keepdims in (False, True):
            check(name, x, axis=axis, keepdims=keepdims)
    check(name, x[:, ::2, 0].T, axis=(1,), keepdims=False)   # non-contiguous
    check(name, normal((1, 5, 1), dtype), axis=(0, 2), keepdims=False)
    check(name, np.asarray(dtype(2.5)), axis=(), keepdims=False)  # 0-d
    y = normal((3, 2), dtype)
    y[1, 0] = np.nan
    check(name, y, axis=(0,), keepdims=True)                     # NaN propagates
    check(name, np.zeros((0, 3), dtype), axis=(1,), keepdims=False)  # empty batch


@pytest.mark.parametrize("name", ["sum", "max", "min", "prod"])
def test_reductions_of_empty_axes(name):
    empty = np.zeros((0, 3), np.float32)
    if name in ("sum", "prod"):
        check(name, empty, axis=(0,), keepdims=False)   # 0 and 1: NumPy's identities
    else:
        with pytest.raises(ValueError):
            KERNELS[name](gpu.to_device(empty), axis=(0,), keepdims=False)


def test_reduction_longer_than_a_block():
    x = normal((2, 300), np.float32, scale=1.0)  # more elements than REDUCE_THREADS
    check("sum", x, axis=(1,), keepdims=False, tol={"rtol": 1e-5, "atol": 1e-4})
    check("max", x, axis=(1,), keepdims=False)
    check("sum", np.ones(300, np.float32), axis=(0,), keepdims=False)


def test_reductions_of_integers_and_booleans():
    check("sum", np.arange(12, dtype=np.int32).reshape(3, 4), axis=(0,), keepdims=False)
    check("sum", np.array([[True, False], [True, True]]), axis=(1,), keepdims=False)
    check("max", np.array([[3, -1], [2, 9]]), axis=(0, 1), keepdims=True)
    check("prod", np.array([2, 3, 4], np.int64), axis=(0,), keepdims=False)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name):
    x = normal((2, 3, 4))
    for axis in (0, 1, 2):
        check(name, x, axis=axis)
    check(name, np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]), axis=1)   # first tie wins
    check(name, np.array([[1.0, np.nan, 5.0, np.nan]]), axis=1)         # first NaN wins
    check(name, np.array([[4, -2], [4, 8]]), axis=0)
    check(name, np.ones((1, 1), np.float32), axis=1)
    check(name, np.zeros((0, 3), np.float32), axis=1)                   # empty batch


def test_count():
    x = normal((4, 3, 2))
    for axis in [(0,), (1, 2), (0, 1, 2)]:
        check("count", x, axis=axis)
    check("count", np.zeros((0, 3), np.float64), axis=(1,))


# ---- broadcasting ----
def test_sum_like():
    for g_shape, x_shape in [((2, 3), (3,)), ((2, 3), (1, 3)), ((4, 2, 3), (2, 1)),
                             ((2, 3), ()), ((0, 3), (3,)), ((2, 3), (2, 3))]:
        check("sum_like", normal(g_shape), np.zeros(x_shape, np.float32))
    g = gpu.to_device(normal((2, 3)))
    assert KERNELS["sum_like"](g, g) is g


def test_broadcast_like():
    for g_shape, x_shape in [((3,), (2, 3)), ((2, 1), (2, 3)), ((), (2, 2)),
                             ((1, 3, 1), (2, 3, 2)), ((3,), (0, 3))]:
        check("broadcast_like", normal(g_shape, np.float64), np.zeros(x_shape))


# ---- moving elements ----
def test_reshape_expand_squeeze():
    x = normal((2, 3, 1))
    check("reshape", x, shape=(3, 2))
    check("reshape", x.T, shape=(-1,))
    check("reshape", x, shape=(1, -1, 1))
    check("reshape", np.asarray(np.float32(2)), shape=(1, 1))
    check("reshape", np.zeros((0, 3)), shape=(3, 0, 1))
    check("reshape_like", x, np.zeros((6,)))
    check("expand_dims", x, axis=(0,))
    check("expand_dims", x, axis=(1, 4))
    check("expand_dims", np.asarray(np.float32(2)), axis=(0,))
    check("squeeze", x, axis=(2,))
    check("squeeze", np.zeros((1, 1)), axis=(0, 1))
    with pytest.raises(ValueError):
        KERNELS["reshape"](gpu.to_device(x), shape=(4, 2))


def test_transpose():
    x = normal((2, 1, 3, 4))
    for perm in [(0, 1, 2, 3), (3, 2, 1, 0), (0, 2, 3, 1), (1, 0, 3, 2)]:
        check("transpose", x, perm=perm)
    check("transpose", normal((3, 2)).T, perm=(1, 0))
    check("transpose", np.zeros((0, 2)), perm=(1, 0))
    check("transpose", np.array([[1, 2, 3]], dtype=np.int64), perm=(1, 0))


def test_concatenate():
    a, b, c = normal((2, 3)), normal((2, 1), seed=1), normal((2, 2), seed=2)
    check("concatenate", a, b, c, axis=1)
    check("concatenate", a, b.T.reshape(1, 2)[:, :1].repeat(3, axis=1), axis=0)
    check("concatenate", a, np.zeros((0, 3), np.float32), a[::-1], axis=-2)
    check("concatenate", a, np.ones((2, 2)), axis=1)            # float32 + float64
    check("concatenate", normal((3,)), axis=0)


def test_tile_and_untile():
    x = normal((2, 3))
    check("tile", x, reps=(2, 3))
    check("tile", x.T, reps=(1, 2))
    check("tile", normal((3,)), reps=(2, 2))  # more reps than axes, as np.tile allows
    check("tile", np.zeros((0, 2)), reps=(3, 1))
    tiled = np.tile(x, (2, 3))
    check("untile", tiled, reps=(2, 3), tol={"rtol": 1e-5, "atol": 1e-5})
    check("untile", tiled, reps=(1, 1))


def test_pad():
    x = normal((2, 3))
    check("pad", x, pad_width=((1, 0), (2, 1)), value=5.0)
    check("pad", x.T, pad_width=((0, 0), (0, 3)), value=0.0)
    check("pad", np.arange(4).reshape(2, 2), pad_width=((1, 1), (1, 1)), value=-1.0)
    check("pad", np.zeros((0, 2)), pad_width=((1, 1), (0, 0)), value=2.0)


KEYS = [(slice(None, None, -1),), (1,), (Ellipsis, 0), (None, slice(1, 3)), (0, 1, 2),
        (slice(0, 2), None, slice(None, None, 2)), (slice(5, 9),), (-1, Ellipsis, -2)]


def test_getitem_and_its_gradient():
    x = normal((2, 3, 4))
    for key in KEYS:
        check("getitem", x, key=key)
        g = normal(x[key].shape, seed=3)
        check("getitem_grad", g, x, key=key)
    check("getitem", x.T, key=(slice(1, None), 0))
    check("getitem_grad", np.float32(2.0), x, key=(slice(0, 2), 1))  # g broadcasts


def test_gather_and_its_gradient():
    table = normal((5, 3))
    for ids in [np.array([4, 0, 4, -1]), np.array([[1, 2], [2, 1]], np.int32),
                np.zeros((0,), np.int64)]:
        check("gather", table, ids)
        g = normal(ids.shape + (3,), seed=4)
        check("gather_grad", g, table, ids)   # repeated ids add up (atomic adds)
    check("gather", normal((4,)), np.array([3, 1]))


def test_one_hot():
    check("one_hot", np.array([0, 2, 1, 2]), num_classes=3, dtype="float32")
    check("one_hot", np.array([[1], [0]], np.int32), num_classes=2, dtype="float64")
    check("one_hot", np.array([-1, 0]), num_classes=4, dtype="int64")
    check("one_hot", np.zeros((0,), np.int64), num_classes=3, dtype="float32")


def test_check_ids_passes_valid_ids_and_names_a_bad_one():
    check("check_ids", np.array([[0, 3], [2, 1]]), num_ids=4, what="a test")
    check("check_ids", np.zeros((0,), np.int64), num_ids=1, what="a test")
    for bad in (-1, 4):
        with pytest.raises(IndexError, match=f"a test got id {bad} at position \\[1\\]"):
            KERNELS["check_ids"](gpu.to_device(np.array([0, bad])), num_ids=4, what="a test")


# ---- matmul ----
@pytest.mark.parametrize("a_shape, b_shape", [
    ((3, 17), (17, 5)),          # K not a multiple of the 16 x 16 tile
    ((33, 16), (16, 31)),        # several tiles each way, ragged edges
    ((1, 1), (1, 1)),
    ((2, 3, 4), (4, 2)),         # a stack times one matrix
    ((2, 1, 3, 4), (3, 4, 2)),   # batch axes broadcast against each other
    ((4,), (4, 3)),              # 1-D operands, as np.matmul treats them
    ((3, 4), (4,)),
    ((5,), (5,)),
    ((2, 0), (0, 3)),            # K = 0: zeros
    ((0, 3), (3, 2)),            # an empty batch
])
def test_matmul_float32(a_shape, b_shape):
    a, b = normal(a_shape, seed=1, scale=1.0), normal(b_shape, seed=2, scale=1.0)
    check("matmul", a, b, tol={"rtol": 1e-5, "atol": 1e-5})


def test_matmul_float64_mixed_and_non_contiguous():
    a, b = normal((18, 17), np.float64, seed=1), normal((17, 3), np.float64, seed=2)
    check("matmul", a, b, tol={"rtol": 1e-12, "atol": 1e-12})
    check("matmul", a[::2, ::-1], b, tol={"rtol": 1e-12, "atol": 1e-12})  # strided
    check("matmul", b.T, a.T, tol={"rtol": 1e-12, "atol": 1e-12})         # transposed
    check("matmul", a[:2].astype(np.float32), b, tol={"rtol": 1e-6, "atol": 1e-6})
    check("matmul", np.arange(6).reshape(2, 3), np.arange(6).reshape(3, 2))  # ints
    with pytest.raises(ValueError):
        KERNELS["matmul"](gpu.to_device(a), gpu.to_device(a))


# ---- randomness: the same numbers as the reference ----
def test_random_kernels_draw_what_the_reference_draws():
    x = np.zeros((3, 5), np.float32)
    for name, attrs in [("bernoulli_like", {"p": 0.5, "value": 2.0}),
                        ("bernoulli_like", {"p": 0.9, "value": 1 / 0.9}),
                        ("bernoulli_like", {"p": 1.0, "value": 1.0}),
                        ("random_uniform", {"shape": (2, 3), "low": -1.0, "high": 2.0,
                                            "dtype": "float32"}),
                        ("random_normal", {"shape": (4,), "mean": 1.0, "stddev": 0.5,
                                           "dtype": "float64"})]:
        rng = np.random.default_rng(42)
        twin = copy.deepcopy(rng)
        args = (x,) if name == "bernoulli_like" else ()
        want = REF[name](*args, **attrs, rng=twin)
        got = KERNELS[name](*(gpu.to_device(a) for a in args), **attrs, rng=rng)
        assert_same(gpu.to_host(got), want)
        # both generators moved on by the same amount
        assert rng.random() == twin.random()


# ---- fused optimizer steps, in place ----
@pytest.mark.parametrize("dtype", FLOATS)
def test_in_place_optimizer_steps(dtype, plain_step):
    p, m, v = normal((3, 5), dtype, 1), normal((3, 5), dtype, 2), np.abs(normal((3, 5), dtype, 3))
    g = normal((3, 5), dtype, 4)
    cases = [("sgd_momentum_step", (p, m), {"momentum": 0.9, "nesterov": True}),
             ("sgd_momentum_step", (p, m), {"momentum": 0.5, "nesterov": False}),
             ("adam_step", (p, m, v), {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
             ("rmsprop_step", (p, v), {"rho": 0.9, "epsilon": 1e-7})]
    for name, state, attrs in cases:
        (g_, lr), want = plain_step(name, list(state), g, 0.01, attrs)
        got = [gpu.to_device(s) for s in state]
        lr = gpu.to_device(lr)  # a 0-d array made by the graph
        assert gpu.IN_PLACE_KERNELS[name](*got, gpu.to_device(g_), lr, **attrs) is None
        for a, b in zip(got, want):
            assert_same(gpu.to_host(a), b, {"rtol": 1e-6 if dtype == np.float32 else 1e-13,
                                             "atol": 1e-7 if dtype == np.float32 else 1e-14})
    with pytest.raises(TypeError, match="device arrays"):
        gpu.IN_PLACE_KERNELS["rmsprop_step"](p, v, g, 0.1, rho=0.9, epsilon=1e-7)


# ---- a whole training step, run op by op on the CUDA kernels ----
def _walk(fn, feeds, kernels, upload, download):
    """Run a compiled Function's graph with ``kernels``; values of every node, on host."""
    from minikeras.tensor import Constant, Placeholder, Variable
    fed = {id(t): v for t, v in zip(fn.inputs, feeds)}
    values = {}
    for node in fn.nodes:
        if isinstance(node, (Variable, Constant)):
            values[id(node)] = upload(node.value)
        elif isinstance(node, Placeholder):
            values[id(node)] = upload(fed.get(id(node), node.default))
        else:
            attrs = dict(node.attrs)
            if "rng" in attrs:  # the twin walk draws the same numbers
                attrs["rng"] = copy.deepcopy(attrs["rng"])
            values[id(node)] = kernels[node.op.name](*(values[id(i)] for i in node.inputs),
                                                    **attrs)
    return {id(n): np.asarray(download(v)) for n, v in
            ((n, values[id(n)]) for n in fn.nodes)}


def _evaluate(tensors, known):
    """Values of ``tensors`` on the reference kernels, given the values already ``known``
    (by node id) of the nodes they are computed from."""
    from minikeras.tensor import topological_order
    values = dict(known)
    for node in topological_order(tensors):
        if id(node) not in values:
            values[id(node)] = node.value if node.op is None else \
                REF[node.op.name](*(values[id(i)] for i in node.inputs), **node.attrs)
    return values


@pytest.mark.parametrize("setup", SETUPS)
@pytest.mark.parametrize("fuse", ["0", "1"])
def test_a_training_step_on_cuda_matches_the_reference_node_by_node(setup, fuse,
                                                                     monkeypatch):
    """Every node of a real train graph, computed by the CUDA kernels from the CUDA
    kernels' own inputs, matches the reference; so do the fused in-place steps."""
    monkeypatch.setenv("MINIKERAS_FUSE", fuse)
    model, x, y = _compiled_model(*setup)
    model.train_on_batch(x, y)  # builds (and runs once) the train function
    (fn,) = [f[0] for k, f in model._functions.items() if k[0] == "train"]
    want = _walk(fn, [x, y], REF, np.asarray, np.asarray)
    got = _walk(fn, [x, y], KERNELS, gpu.to_device, gpu.to_host)
    for node in fn.nodes:
        assert_same(got[id(node)], want[id(node)], {"rtol": 1e-4, "atol": 1e-6})
    assert (fuse == "1") == bool(fn.in_place)
    for step in fn.in_place:  # the plain pairs of the step are what it must do
        inputs = [want[id(t)] for t in step.inputs]
        new_value = {id(v): t for v, t in step.pairs}
        values = _evaluate(list(new_value.values()), want)
        host = [values[id(new_value[id(v)])] for v in step.variables]
        device = [gpu.to_device(v.value) for v in step.variables]
        gpu.IN_PLACE_KERNELS[step.kernel](*device, *(gpu.to_device(a) for a in inputs),
                                          **step.attrs)
        for d, h in zip(device, host):
            assert_same(gpu.to_host(d), h, {"rtol": 1e-5, "atol": 1e-6})


@pytest.mark.parametrize("dtype", FLOATS)
def test_relu_grad(dtype):
    y = np.maximum(normal((3, 4), dtype), 0)
    y[0, 0] = np.nan
    check("relu_grad", normal((3, 4), dtype, seed=1), y)
    check("relu_grad", np.zeros((0, 2), dtype), np.zeros((0, 2), dtype))
