"""kernels.register: a kernel added from outside joins the tables like a family's own."""
import numpy as np
import pytest

import minikeras.backend as K
from minikeras import kernels
from minikeras.ops import REGISTRY, Op
from minikeras.ops.core import floating


@pytest.fixture
def triple_op():
    """A new op, 'triple', for the length of one test (its kernels are the tests' own)."""
    op = Op("triple", floating, lambda y, g: [3.0 * g])
    yield op
    REGISTRY.pop("triple")


def _triple_reference(x):
    return 3 * x


def _triple_fast(x):
    out = np.empty_like(x)
    np.multiply(x, 3, out=out)
    _triple_fast.calls += 1
    return out


_triple_fast.calls = 0


def test_a_registered_kernel_runs_in_compiled_functions_and_leaves_no_trace(triple_op):
    x = K.placeholder(shape=(None, 2))
    with kernels.registered("triple", reference=_triple_reference, cpu=_triple_fast):
        assert kernels.lookup("triple") is _triple_fast          # the CPU version overrides
        assert kernels.table("cpu")["add"] is not None           # the families are still there
        before = _triple_fast.calls
        (y,) = K.function([x], [triple_op(x)])([np.array([[1.0, -2.0]], "float32")])
        assert _triple_fast.calls == before + 1
        np.testing.assert_array_equal(y, [[3.0, -6.0]])
    assert not kernels.has("triple")
    with pytest.raises(NotImplementedError, match="no kernel for op 'triple'"):
        kernels.lookup("triple")


def test_the_reference_alone_serves_the_cpu_device(triple_op):
    with kernels.registered("triple", reference=_triple_reference):
        assert kernels.lookup("triple") is _triple_reference
        assert kernels._reference_table()["triple"] is _triple_reference


def test_registered_restores_what_was_there_before(triple_op):
    kernels.register("triple", reference=_triple_reference)
    try:
        with kernels.registered("triple", cpu=_triple_fast):
            assert kernels.lookup("triple") is _triple_fast
        assert kernels.lookup("triple") is _triple_reference     # the earlier registration
    finally:
        kernels._added["reference"].pop("triple")
        kernels.reset()
    assert not kernels.has("triple")


def test_a_registered_fused_kernel_is_offered_to_the_plan():
    def bias_triple(z, b, out=None):
        return 3 * (z + b)
    bias_triple.fuses = ("tanh", "bias_add")
    with kernels.registered("bias_triple_test", reference=bias_triple):
        assert kernels.fusions("cpu")[("tanh", "bias_add")] in ("bias_tanh", "bias_triple_test")
        assert "bias_triple_test" in kernels.fusions("cpu").values()
    assert "bias_triple_test" not in kernels.fusions("cpu").values()
    assert kernels.fusions("cpu")[("tanh", "bias_add")] == "bias_tanh"


def test_register_refuses_what_is_not_a_function():
    with pytest.raises(TypeError, match="register\\('x'\\): the cpu kernel must be a function"):
        kernels.register("x", cpu=3)
    assert not kernels.has("x")
