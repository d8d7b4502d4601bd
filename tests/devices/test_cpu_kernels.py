"""The Numba CPU kernels give what the NumPy reference kernels give.

Most tests set ``cpu.PARALLEL_MIN_SIZE`` to 0, so that even tiny, awkward shapes
(size-1 axes, empty batches, strided views) run through the Numba loops instead of
being handed straight back to the reference.
"""
from __future__ import annotations

import ast
import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minikeras.devices import cpu, reference

REF = reference.KERNELS
FLOATS = [np.float32, np.float64]
UNARY = ["tanh", "exp", "log", "sqrt", "square", "abs", "negative", "sigmoid", "relu",
         "softplus"]
BINARY = ["add", "subtract", "multiply", "divide", "maximum", "minimum"]
REDUCTIONS = ["sum", "max", "min"]
SOFTMAXES = ["softmax", "log_softmax"]

SETTINGS = settings(deadline=None, max_examples=30, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def always_numba(monkeypatch):
    """Send every float array, however small, to the Numba loops."""
    monkeypatch.setattr(cpu, "PARALLEL_MIN_SIZE", 0)


def tolerance(dtype):
    if dtype == np.float32:
        return {"rtol": 2e-6, "atol": 1e-6}
    return {"rtol": 1e-13, "atol": 1e-13}


def assert_same(got, want, **tol):
    """Same shape and dtype, equal values (NaN matching NaN)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, equal_nan=True, **(tol or tolerance(want.dtype)))


def inputs_for(name, shape, dtype, rng):
    """Values that suit op ``name``: positive for log and sqrt, of any sign otherwise."""
    x = rng.normal(scale=3.0, size=shape)
    if name in ("log", "sqrt"):
        x = np.abs(x) + 0.01
    return x.astype(dtype)


def awkward_views(x):
    """``x`` itself, then non-contiguous views of it (transposed, reversed, strided)."""
    yield x
    if x.ndim >= 2:
        yield x.T  # Fortran-ordered
        yield np.swapaxes(x, 0, -1)[::-1]  # reversed, strided
    yield np.repeat(x, 2, axis=-1)[..., ::2]  # strided slice with x's shape


def run_unary(name, x, **attrs):
    with np.errstate(all="ignore"):
        return cpu.GENERIC[name](x, **attrs), REF[name](x, **attrs)


# ---- the table itself ----
def test_every_kernel_has_a_reference():
    assert set(cpu.GENERIC) <= set(REF)
    # the in-place optimizer steps have no NumPy twin: the optimizers' plain update pairs
    # define them (tests/devices/test_cpu_one_pass_kernels.py checks them against those)
    in_place = {"sgd_momentum_step", "adam_step", "rmsprop_step"}
    assert set(cpu.KERNELS) - in_place <= set(REF)
    assert not in_place & set(REF)
    # of the generic loops, only those measured faster than NumPy are dispatched
    assert set(cpu.KERNELS) & set(cpu.GENERIC) == {"softplus", "elu"}


def test_the_covered_ops():
    assert set(cpu.GENERIC) == set(UNARY + ["elu"] + BINARY + REDUCTIONS + SOFTMAXES)


@pytest.mark.parametrize("path", sorted(Path(cpu.__file__).parent.glob("*.py")),
                         ids=lambda p: p.name)
def test_devices_import_nothing_from_minikeras_but_config_and_devices(path):
    tree = ast.parse(path.read_text())
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    ours = {m for m in imported if m and m.startswith("minikeras")}
    assert all(m == "minikeras.config" or m.startswith("minikeras.devices") for m in ours), ours


def test_the_rules_come_from_scalar_py():
    assert "from minikeras.devices import reference, scalar" in Path(cpu.__file__).read_text()


def _call_both(name, dtype, rng):
    x = inputs_for(name, (40, 30), dtype, rng)
    if name in BINARY:
        return (cpu.GENERIC[name](x, x[0]), REF[name](x, x[0]))
    if name in REDUCTIONS:
        return (cpu.GENERIC[name](x, (0,), False), REF[name](x, (0,), False))
    if name in SOFTMAXES:
        return (cpu.GENERIC[name](x, 1), REF[name](x, 1))
    if name == "elu":
        return (cpu.GENERIC[name](x, 1.0), REF[name](x, 1.0))
    return (cpu.GENERIC[name](x), REF[name](x))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(cpu.GENERIC))
def test_output_dtype_and_shape_match_the_reference(always_numba, name, dtype):
    got, want = _call_both(name, dtype, np.random.default_rng(0))
    assert isinstance(got, np.ndarray)
    assert got.dtype == want.dtype == dtype
    assert got.shape == want.shape


@pytest.mark.parametrize("name", sorted(cpu.GENERIC))
def test_below_and_above_the_threshold_without_patching(name):
    rng = np.random.default_rng(1)
    big = cpu.PARALLEL_MIN_SIZE // 70 + 1
    for shape in [(3, 70), (big, 70)]:
        x = inputs_for(name, shape, np.float32, rng)
        if name in BINARY:
            assert_same(cpu.GENERIC[name](x, x[0]), REF[name](x, x[0]))
            assert_same(cpu.GENERIC[name](x, x[::-1]), REF[name](x, x[::-1]))
        elif name in REDUCTIONS:
            for axis in [(0,), (1,), (0, 1)]:
                # float32 sums of ~1M terms carry rounding error proportional to sum(|x|)
                scale = float(np.max(np.sum(np.abs(x.astype(np.float64)), axis=axis)))
                assert_same(cpu.GENERIC[name](x, axis, False), REF[name](x, axis, False),
                            rtol=1e-5, atol=1e-6 * scale)
        elif name in SOFTMAXES:
            assert_same(cpu.GENERIC[name](x, 1), REF[name](x, 1))
        elif name == "elu":
            assert_same(*run_unary(name, x, alpha=0.5))
        else:
            assert_same(*run_unary(name, x))


def test_small_arrays_go_to_the_reference():
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(cpu.GENERIC["tanh"](x), np.tanh(x))  # bit for bit
    np.testing.assert_array_equal(cpu.GENERIC["sum"](x, (0,), False), np.sum(x, axis=0))


# ---- unary elementwise ----
AWKWARD_SHAPES = [(1,), (5,), (1, 1), (1, 7), (7, 1), (0, 5), (5, 0), (3, 1, 4),
                  (2, 3, 4, 5), (64, 33)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", AWKWARD_SHAPES, ids=str)
@pytest.mark.parametrize("name", UNARY + ["elu"])
def test_unary_on_awkward_shapes(always_numba, name, shape, dtype):
    x = inputs_for(name, shape, dtype, np.random.default_rng(2))
    attrs = {"alpha": 0.7} if name == "elu" else {}
    for view in awkward_views(x):
        assert_same(*run_unary(name, view, **attrs))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", UNARY + ["elu"])
def test_unary_special_values(always_numba, name, dtype):
    x = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 1e-30,
                  88.0, 89.0, -100.0, 700.0, 1e4, -1e4], dtype)
    attrs = {"alpha": 1.5} if name == "elu" else {}
    assert_same(*run_unary(name, x, **attrs), rtol=2e-6, atol=0)


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=7),
       dtype=st.sampled_from(FLOATS), name=st.sampled_from(UNARY + ["elu"]),
       seed=st.integers(0, 2**32 - 1), transpose=st.booleans())
def test_unary_random_shapes(always_numba, shape, dtype, name, seed, transpose):
    x = inputs_for(name, shape, dtype, np.random.default_rng(seed))
    x = x.T if transpose else x
    attrs = {"alpha": 1.3} if name == "elu" else {}
    assert_same(*run_unary(name, x, **attrs))


def test_non_float_arrays_go_to_the_reference(always_numba):
    i = np.arange(-5, 5)
    np.testing.assert_array_equal(cpu.GENERIC["abs"](i), np.abs(i))
    assert cpu.GENERIC["abs"](i).dtype == i.dtype
    assert cpu.GENERIC["relu"](i).dtype == i.dtype
    assert cpu.GENERIC["add"](i, i).dtype == i.dtype
    assert cpu.GENERIC["sum"](i, (0,), False) == -5
    h = np.ones(4, np.float16)
    assert cpu.GENERIC["tanh"](h).dtype == np.float16
    assert cpu.GENERIC["tanh"](np.float32(0.5)) == np.tanh(np.float32(0.5))
    zero_d = np.array(0.5, np.float32)
    assert_same(cpu.GENERIC["tanh"](zero_d), np.tanh(zero_d))
    assert_same(cpu.GENERIC["sum"](zero_d, (), False), np.sum(zero_d, axis=()))


# ---- binary elementwise ----
BROADCASTS = [
    ((6, 5), (6, 5)),  # same shape
    ((6, 5), (5,)),  # the bias add
    ((5,), (6, 5)),  # broadcast first argument
    ((6, 5), (1, 5)),
    ((1, 5), (6, 5)),
    ((2, 3, 4), (3, 4)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (1, 1, 4)),
    ((6, 5), ()),  # a 0-d scalar
    ((), (6, 5)),
    ((6, 5), (1,)),
    ((0, 5), (5,)),  # empty batch
    ((0, 5), (0, 5)),
    ((1, 1), (1,)),
    ((6, 1), (6, 5)),  # not along leading axes: the reference does it
    ((6, 5), (6, 1)),
    ((1, 1, 5), (6, 5)),  # the result, (1, 6, 5), has more axes than (6, 5): the reference
    ((3, 1, 5), (1, 4, 5)),  # both broadcast: the reference
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", BROADCASTS, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_broadcasting(always_numba, name, shapes, dtype):
    rng = np.random.default_rng(3)
    a = rng.normal(size=shapes[0]).astype(dtype)
    b = rng.normal(size=shapes[1]).astype(dtype) + 0.5
    with np.errstate(all="ignore"):
        assert_same(cpu.GENERIC[name](a, b), REF[name](a, b))


@pytest.mark.parametrize("name", BINARY)
def test_binary_non_contiguous(always_numba, name):
    rng = np.random.default_rng(4)
    for dtype in FLOATS:
        a = rng.normal(size=(9, 8)).astype(dtype)
        b = rng.normal(size=(8, 9)).astype(dtype)
        row = rng.normal(size=16).astype(dtype)[::2]
        for x, y in [(a, b.T), (a.T, b), (a, row), (row, a), (a[::3], row), (a.T[::2], b[::2])]:
            with np.errstate(all="ignore"):
                assert_same(cpu.GENERIC[name](x, y), REF[name](x, y))


@pytest.mark.parametrize("name", BINARY)
def test_binary_special_values(always_numba, name):
    v = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan], np.float32)
    a, b = (np.array(p, np.float32) for p in zip(*itertools.product(v, v)))
    with np.errstate(all="ignore"):
        assert_same(cpu.GENERIC[name](a, b), REF[name](a, b), rtol=0, atol=0)


@pytest.mark.parametrize("name", BINARY)
def test_binary_mixed_or_other_inputs_go_to_the_reference(always_numba, name):
    a32 = np.linspace(1, 2, 10, dtype=np.float32)
    a64 = np.linspace(1, 2, 10)
    for x, y in [(a32, a64), (a64, a32), (a32, 2.0), (3.0, a32), (a32, np.arange(10)),
                 (np.arange(10), np.arange(1, 11))]:
        with np.errstate(all="ignore"):
            assert_same(cpu.GENERIC[name](x, y), REF[name](x, y))


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6),
       cut=st.integers(0, 4), ones=st.integers(0, 2), swap=st.booleans(),
       dtype=st.sampled_from(FLOATS), name=st.sampled_from(BINARY),
       seed=st.integers(0, 2**32 - 1))
def test_binary_random_leading_broadcasts(always_numba, shape, cut, ones, swap, dtype,
                                          name, seed):
    # the second shape is a suffix of the first, maybe with leading 1s put back
    small = (1,) * ones + shape[min(cut, len(shape)):]
    rng = np.random.default_rng(seed)
    a = rng.normal(size=shape).astype(dtype)
    b = rng.normal(size=small).astype(dtype)
    if swap:
        a, b = b, a
    with np.errstate(all="ignore"):
        assert_same(cpu.GENERIC[name](a, b), REF[name](a, b))


# ---- reductions ----
def all_axes(ndim):
    return [axes for n in range(ndim + 1) for axes in itertools.combinations(range(ndim), n)]


def check_reduction(name, x, axes, keepdims):
    """Compare with the reference; sums within a tolerance scaled by sum(|x|)."""
    try:
        want = REF[name](x, axes, keepdims)
    except ValueError as e:  # the reference's error is the behaviour to match
        with pytest.raises(type(e)):
            cpu.GENERIC[name](x, axes, keepdims)
        return
    got = cpu.GENERIC[name](x, axes, keepdims)
    if name != "sum":
        assert_same(got, want, rtol=0, atol=0)
        return
    # float32 sums are added up in float64 by Numba, pairwise in float32 by NumPy
    scale = np.sum(np.abs(x.astype(np.float64)), axis=axes, keepdims=keepdims)
    assert got.shape == want.shape and got.dtype == want.dtype
    with np.errstate(invalid="ignore"):  # inf - inf
        close = np.abs(got.astype(np.float64) - want) <= 8 * np.finfo(x.dtype).eps * scale
    assert np.all(close | (got == want) | (np.isnan(got) & np.isnan(want)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(5,), (1,), (4, 6), (1, 1), (7, 1), (1, 7), (3, 1, 4),
                                   (2, 3, 4, 5), (0, 4), (4, 0), (3, 0, 2), (50, 40)], ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_over_every_axis_combination(always_numba, name, shape, dtype):
    x = np.random.default_rng(5).normal(size=shape).astype(dtype)
    for view in awkward_views(x):
        for axes in all_axes(view.ndim):
            for keepdims in (False, True):
                check_reduction(name, view, axes, keepdims)


@SETTINGS
@given(x=hnp.arrays(st.sampled_from(FLOATS),
                    hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6),
                    elements=st.floats(-1e3, 1e3, width=32)),
       data=st.data(), name=st.sampled_from(REDUCTIONS), keepdims=st.booleans())
def test_reductions_random(always_numba, x, data, name, keepdims):
    axes = data.draw(st.sampled_from(all_axes(x.ndim)))
    check_reduction(name, x, axes, keepdims)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_propagate_nan_and_inf(always_numba, name):
    x = np.arange(24, dtype=np.float32).reshape(4, 6)
    x[1, 2], x[2, 4], x[3, 0] = np.nan, np.inf, -np.inf
    for axes in all_axes(2):
        check_reduction(name, x, axes, False)


@pytest.mark.parametrize("dtype", FLOATS)
def test_bias_gradient_sum_is_accurate(dtype):
    # the reduction along axis 0 of a big (N, M) array: split into parallel blocks
    x = np.random.default_rng(6).normal(size=(5000, 33)).astype(dtype)
    check_reduction("sum", x, (0,), False)
    check_reduction("max", x, (0,), True)
    check_reduction("min", x.T, (1,), False)


def test_reductions_with_odd_axis_arguments_go_to_the_reference(always_numba):
    x = np.random.default_rng(7).normal(size=(3, 4)).astype(np.float32)
    for axis in [None, 1, -1, (1, 0)]:
        np.testing.assert_allclose(cpu.GENERIC["sum"](x, axis, False),
                                   REF["sum"](x, axis, False), rtol=1e-6)
    with pytest.raises(np.exceptions.AxisError):
        REF["max"](x, (2,), False)
    with pytest.raises(np.exceptions.AxisError):
        cpu.GENERIC["max"](x, (2,), False)


# ---- softmax and log-softmax ----
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (9, 1), (0, 4), (4, 0), (6, 10),
                                   (2, 3, 5), (3,)], ids=str)
@pytest.mark.parametrize("name", SOFTMAXES)
def test_softmax_on_awkward_shapes(always_numba, name, shape, dtype):
    x = np.random.default_rng(8).normal(scale=4, size=shape).astype(dtype)
    for view in awkward_views(x):
        for axis in range(view.ndim):
            try:
                want = REF[name](view, axis)
            except ValueError:  # the largest of no values: an error in both
                with pytest.raises(ValueError):
                    cpu.GENERIC[name](view, axis)
            else:
                assert_same(cpu.GENERIC[name](view, axis), want)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", SOFTMAXES)
def test_softmax_of_huge_logits_is_finite(always_numba, name, dtype):
    x = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4, 0.0],
                  [-1e4, 1e4, 5.0]], dtype)
    got, want = cpu.GENERIC[name](x, 1), REF[name](x, 1)
    assert np.all(np.isfinite(got))
    assert_same(got, want)
    assert_same(cpu.GENERIC[name](x, -1), want)
    assert_same(cpu.GENERIC[name](x.T, 0), REF[name](x.T, 0))  # not the last axis


@pytest.mark.parametrize("name", SOFTMAXES)
def test_softmax_rows_with_nan_or_inf(always_numba, name):
    x = np.array([[np.nan, 1.0, 2.0], [np.inf, 1.0, 2.0], [-np.inf, 1.0, 2.0],
                  [-np.inf, -np.inf, -np.inf]], np.float32)
    with np.errstate(all="ignore"):
        assert_same(cpu.GENERIC[name](x, 1), REF[name](x, 1))


@SETTINGS
@given(x=hnp.arrays(st.sampled_from(FLOATS),
                    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=8),
                    elements=st.floats(-1e4, 1e4, width=32)),
       name=st.sampled_from(SOFTMAXES))
def test_softmax_random(always_numba, x, name):
    want = REF[name](x, x.ndim - 1)
    got = cpu.GENERIC[name](x, x.ndim - 1)
    # log_softmax: the result can be ~-2e4, where float32's spacing is ~2e-3
    assert_same(got, want, rtol=1e-6 if x.dtype == np.float32 else 1e-13,
                atol=1e-6 if x.dtype == np.float32 else 1e-13)
