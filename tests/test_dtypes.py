"""Dtypes of reductions and arithmetic (issue 18, item 1): Keras 3's promotion rules, and
no op whose result has another dtype than the graph declared.

The bug that started it: ``K.mean`` of a boolean tensor gave the *sum* (3.0 for
[True, False, True, True]), because the count it divided by had the input's dtype and was
itself a boolean (True, i.e. 1). Every expected value below is worked out by hand; the
dtypes are the ones Keras 3 gives (tests/interop/test_ops_parity.py checks them against
real Keras).
"""
import numpy as np
import pytest

import minikeras.backend as K
from minikeras.dtypes import result_type
from minikeras.ops.core import ShapeError

BOOLS = [True, False, True, True]


def bools():
    return K.variable([1, 0, 1, 1]) > 0.5


def ints(dtype="int32"):
    return K.variable([1, 2, 3, 4], dtype=dtype)


def value(t):
    """The value, checking that it has the dtype the graph declared."""
    v = np.asarray(K.eval(t))
    assert v.dtype == np.dtype(t.dtype), f"declared {t.dtype}, computed {v.dtype}"
    return v


def test_the_reported_case():
    assert float(K.eval(K.mean(K.variable([1, 0, 1, 1]) > 0.5))) == 0.75


@pytest.mark.parametrize("build, dtype, expected", [
    # mean/var/std of booleans: of [1, 0, 1, 1]: mean 3/4, var 3/4 - 9/16 = 3/16
    (lambda: K.mean(bools()), "float32", 0.75),
    (lambda: K.var(bools()), "float32", 0.1875),
    (lambda: K.std(bools()), "float32", np.sqrt(0.1875)),
    (lambda: K.mean(bools(), axis=0, keepdims=True), "float32", [0.75]),
    # sums and products count in int32
    (lambda: K.sum(bools()), "int32", 3),
    (lambda: K.prod(bools()), "int32", 0),
    (lambda: K.max(bools()), "bool", True),
    (lambda: K.min(bools()), "bool", False),
    # integers: mean (1+2+3+4)/4, var ((1.5^2 + .5^2) * 2) / 4 = 1.25
    (lambda: K.mean(ints()), "float32", 2.5),
    (lambda: K.var(ints()), "float32", 1.25),
    (lambda: K.std(ints("int64")), "float32", np.sqrt(1.25)),
    (lambda: K.mean(K.variable([[1, 2], [3, 4]], dtype="int64"), axis=0), "float32",
     [2.0, 3.0]),
    (lambda: K.sum(ints()), "int32", 10),
    (lambda: K.sum(K.variable([200, 100], dtype="uint8")), "int32", 300),  # no wrap at 256
    (lambda: K.sum(K.variable([100, 100], dtype="int8")), "int32", 200),
    (lambda: K.prod(ints()), "int32", 24),
    # float64 stays float64
    (lambda: K.mean(K.variable([1.0, 2.0], dtype="float64")), "float64", 1.5),
])
def test_reductions(build, dtype, expected):
    t = build()
    assert t.dtype == dtype
    np.testing.assert_allclose(value(t), expected, rtol=1e-6)


@pytest.mark.parametrize("build, dtype, expected", [
    (lambda: ints() * 0.5, "float32", [0.5, 1.0, 1.5, 2.0]),      # 0.5 is not lost
    (lambda: ints() + 0.5, "float32", [1.5, 2.5, 3.5, 4.5]),
    (lambda: 0.5 * ints(), "float32", [0.5, 1.0, 1.5, 2.0]),
    (lambda: ints() * 2, "int32", [2, 4, 6, 8]),                  # an int stays int
    (lambda: ints() / 2, "float32", [0.5, 1.0, 1.5, 2.0]),         # true division
    (lambda: ints() / ints(), "float32", [1, 1, 1, 1]),
    (lambda: ints("int64") / ints("int64"), "float32", [1, 1, 1, 1]),
    (lambda: ints("int64") + K.variable([0.5] * 4), "float32", [1.5, 2.5, 3.5, 4.5]),
    (lambda: ints() + ints("int64"), "int64", [2, 4, 6, 8]),
    (lambda: K.variable([1.0], dtype="float64") * K.variable([2.0]), "float64", [2.0]),
    (lambda: K.clip(ints(), 0.5, 2.5), "float32", [1.0, 2.0, 2.5, 2.5]),
    (lambda: K.clip(ints(), 1, 2), "int32", [1, 2, 2, 2]),
    (lambda: K.maximum(ints(), 2.5), "float32", [2.5, 2.5, 3.0, 4.0]),
    (lambda: K.maximum(ints(), 2), "int32", [2, 2, 3, 4]),
    (lambda: K.pow(ints(), 0.5), "float32", np.sqrt([1, 2, 3, 4])),
    (lambda: K.pow(ints(), 2), "int32", [1, 4, 9, 16]),
    (lambda: bools() * 2, "int32", [2, 0, 2, 2]),
    (lambda: bools() * 2.5, "float32", [2.5, 0.0, 2.5, 2.5]),
    (lambda: K.square(bools()), "int32", [1, 0, 1, 1]),
    (lambda: K.sqrt(ints()), "float32", np.sqrt([1, 2, 3, 4])),
    (lambda: K.exp(ints()), "float32", np.exp([1, 2, 3, 4])),
    (lambda: K.log(ints()), "float32", np.log([1, 2, 3, 4])),
    (lambda: K.tanh(ints()), "float32", np.tanh([1, 2, 3, 4])),
    (lambda: K.sigmoid(ints()), "float32", 1 / (1 + np.exp(-np.array([1., 2, 3, 4])))),
    (lambda: K.softmax(ints()), "float32", np.exp([1, 2, 3, 4]) / np.exp([1, 2, 3, 4]).sum()),
    (lambda: K.relu(ints() - 2), "int32", [0, 0, 1, 2]),
    (lambda: K.l2_normalize(ints(), 0), "float32", np.array([1, 2, 3, 4]) / np.sqrt(30)),
    (lambda: K.dot(K.variable([[1, 2]], dtype="int32"), K.variable([[0.5], [0.25]])),
     "float32", [[1.0]]),
    (lambda: K.concatenate([ints(), K.variable([0.5])]), "float32", [1, 2, 3, 4, 0.5]),
    (lambda: K.switch(bools(), ints(), 0.5), "float32", [1.0, 0.5, 3.0, 4.0]),
])
def test_arithmetic(build, dtype, expected):
    t = build()
    assert t.dtype == dtype
    np.testing.assert_allclose(value(t), expected, rtol=1e-6)


@pytest.mark.parametrize("build, expected", [
    (lambda: K.equal(ints(), 2.5), [False] * 4),   # compared as floats, not 2.5 -> 2
    (lambda: K.equal(ints(), 2), [False, True, False, False]),
    (lambda: K.less(ints(), 2.5), [True, True, False, False]),
    (lambda: K.greater_equal(ints(), 2.5), [False, False, True, True]),
    (lambda: bools() + bools(), BOOLS),             # logical or, as in Keras
])
def test_comparisons_promote_too(build, expected):
    t = build()
    assert t.dtype == "bool"
    assert value(t).tolist() == expected


def test_bool_subtraction_and_negation_are_errors_naming_the_op():
    with pytest.raises(ShapeError, match="subtract of boolean"):
        bools() - bools()
    with pytest.raises(ShapeError, match="negative of boolean"):
        -bools()


def test_float_graphs_keep_their_dtype_and_get_no_casts():
    """The promotion must not touch ordinary training graphs: float32 with Python numbers
    stays float32 and no cast node appears."""
    x = K.placeholder(shape=(None, 3))
    y = K.mean(K.square(x * 0.5 - 1) / 2.0)
    assert y.dtype == "float32"
    from minikeras.tensor import topological_order
    assert not [n for n in topological_order([y]) if n.op is not None and n.op.name == "cast"]


@pytest.mark.parametrize("args, expected", [
    (("int32", "float32"), "float32"),
    (("int64", "float32"), "float32"),     # not float64 as in NumPy
    (("int32", "int64"), "int64"),
    (("uint8", "int8"), "int16"),
    (("bool", "int8"), "int8"),
    (("bool", int), "int32"),
    (("bool", float), "float32"),
    (("int8", int), "int8"),               # a bare int is weak: it takes the tensor's dtype
    (("int8", float), "float32"),
    (("float16", float), "float16"),
    (("float16", "int32"), "float16"),
    (("float64", float), "float64"),
    ((int, float), "float32"),
    ((int,), "int32"),
    ((), "float32"),
])
def test_result_type(args, expected):
    assert result_type(*args) == expected


def test_result_type_follows_floatx():
    from minikeras import config
    old = config.floatx()
    config.set_floatx("float64")
    try:
        assert result_type("int32", float) == "float64"
        assert K.mean(bools()).dtype == "float64"
    finally:
        config.set_floatx(old)
