"""Checks of lesson 08 (kernels on CPU and CUDA): exercises 8.1 to 8.5.

The references are plain NumPy (hard SiLU, ``x * relu6(x + 3) / 6``, in float64, cast back to
the input's dtype). A CUDA
kernel is always checked on Numba's CUDA *simulator*, with or without a GPU: it runs the
kernel's Python code thread by thread, so a missing bounds test is an ``IndexError``
there instead of a silent write past the end of an array.

>>> EXERCISES[1].run(lambda cores, ghz, lanes, fma_units: cores * ghz * lanes * 2 * fma_units).passed
True
"""
from __future__ import annotations

import tracemalloc
import warnings

import numpy as np

from .exercise import Case, Exercise, Mistake, Rule

_rng = np.random.default_rng(8)


def _hard_silu64(x):
    """Hard SiLU in float64, piece by piece: 0 up to -3, x from 3 on, x (x + 3) / 6 between."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x <= -3.0, 0.0, np.where(x >= 3.0, x, x * (x + 3.0) / 6.0))


def _hard_sigmoid64(x):
    """relu6(x + 3) / 6, the gate of hard SiLU."""
    return np.minimum(np.maximum(np.asarray(x, dtype=np.float64) + 3.0, 0.0), 6.0) / 6.0


def _like(values, x):
    return np.asarray(values).astype(np.asarray(x).dtype)


def _floats(*shape, dtype=np.float32, scale=3.0):
    return (scale * _rng.standard_normal(shape)).astype(dtype)


def _is_numba_function(value) -> bool:
    return type(value).__module__.startswith("numba") and hasattr(value, "py_func")


def _is_compiled(value) -> bool:
    """A Numba-compiled function, or a ufunc (what numba.vectorize makes)."""
    return _is_numba_function(value) or isinstance(value, np.ufunc) or \
        type(value).__name__ == "DUFunc"


def _compiled(answer) -> bool | str:
    """Does the answer run a Numba-compiled loop (itself, or a function it calls)?"""
    if _is_compiled(answer):
        return True
    code, names = getattr(answer, "__code__", None), getattr(answer, "__globals__", {})
    if code is None:
        return False
    return any(_is_compiled(names.get(name)) for name in code.co_names)


def _fresh_out(shape, dtype):
    return np.full(shape, np.nan, dtype=dtype)


# ---------------------------------------------------------------- 8.1 hard_silu_kernel
def hard_silu_kernel(x):
    return _like(_hard_silu64(x), x)


def _call_kernel(answer, *args):
    return answer(*args)


def _writes_into_out(answer):
    x = _floats(3, 4)
    out = _fresh_out(x.shape, x.dtype)
    got = answer(x, out=out)
    return got is out and np.allclose(out, hard_silu_kernel(x), rtol=1e-5, atol=1e-6)


def _ignores_an_out_that_does_not_fit(answer):
    x = _floats(2, 3)
    got = answer(x, out=np.zeros(5, np.float32))
    return got is not None and np.shape(got) == x.shape and \
        np.allclose(got, hard_silu_kernel(x), rtol=1e-5, atol=1e-6)


def _keeps_dtype(dtype):
    def holds(answer):
        x = _floats(4, dtype=dtype)
        got = answer(x)
        return getattr(got, "dtype", None) == np.dtype(dtype)
    return holds


def _leaves_x_alone(answer):
    x = _floats(2, 5)
    before = x.copy()
    answer(x)
    return np.array_equal(x, before)


def _declares_out(answer):
    return getattr(answer, "accepts_out", False) is True


_TRANSPOSED = _floats(3, 5).T          # Fortran order: reshape(-1) of it is a copy
_STRIDED = _floats(4, 6)[:, ::2]       # every other column: not contiguous

HARD_SILU_KERNEL = Exercise(
    "8.1", "hard_silu_kernel", reference=hard_silu_kernel, call=_call_kernel,
    cases=[Case(np.array([-4.0, -3.0, -1.0, 0.0, 1.0, 3.0, 5.0], np.float32),
                expected=np.array([0.0, 0.0, -1 / 3, 0.0, 2 / 3, 3.0, 5.0], np.float32)),
           Case(_floats(7), note="a vector"),
           Case(_floats(3, 4), note="a matrix"),
           Case(_floats(2, 3, 2, dtype=np.float64), note="a 3-D float64 array"),
           Case(np.array([0.5], np.float32), note="a single element"),
           Case(np.array(-0.75, np.float32), note="a 0-d array (a scalar)"),
           Case(np.zeros((0, 3), np.float32), note="an empty array"),
           Case(_STRIDED, note="a view of every other column (not contiguous)"),
           Case(_TRANSPOSED, note="a transposed matrix (Fortran order)"),
           Case(np.array([-1e6, -2.5, 2.5, 1e6], np.float32), note="large values")],
    mistakes=[
        Mistake("that is hard_sigmoid(x), the gate alone; hard SiLU multiplies it by x",
                lambda x: _like(_hard_sigmoid64(x), x)),
        Mistake("divide by 6: relu6(x + 3) runs from 0 to 6, and the gate must run from 0 to 1",
                lambda x: _like(x * _hard_sigmoid64(x) * 6.0, x)),
        Mistake("the gate is relu6(x + 3) / 6: add 3 to x before clipping to [0, 6]",
                lambda x: _like(x * np.clip(x, 0.0, 6.0) / 6.0, x)),
        Mistake("clip at 6 as well (relu6, not relu): from x = 3 on the gate stays 1, so hard "
                "SiLU is x itself there", lambda x: _like(x * np.maximum(x + 3.0, 0.0) / 6.0, x)),
        Mistake("it returned None: fill the output array in the loop, then return it",
                when=lambda got, x: got is None),
        Mistake("np.ascontiguousarray gives a 0-d array the shape (1,): make the result with "
                "the shape of the x you were given (keep it before converting)",
                when=lambda got, x: np.ndim(x) == 0 and np.shape(got) == (1,)),
        Mistake("a loop with one index needs 1-D arrays: loop over flat views, "
                "x.reshape(-1) and out.reshape(-1), so that every shape works",
                raises=Exception, match=r"(?i)setitem|getitem|No implementation of function"),
    ],
    rules=[Rule("the result must have x's dtype (float32 stays float32): make the output "
                "with np.empty_like(x) or np.empty(x.shape, x.dtype)", _keeps_dtype(np.float32)),
           Rule("float64 input must give float64 output", _keeps_dtype(np.float64)),
           Rule("the kernel must not change its input x", _leaves_x_alone),
           Rule("the loop must run compiled: decorate it with @njit (a loop in plain Python "
                "is about a hundred times slower than NumPy)", _compiled),
           Rule("given out= of the right shape and dtype, write the result there and return "
                "that very array (the executor offers reused buffers this way)",
                _writes_into_out),
           Rule("an out= of the wrong shape must be ignored: make a new array then",
                _ignores_an_out_that_does_not_fit),
           Rule("declare the contract: set hard_silu_kernel.accepts_out = True after the "
                "function, so the executor knows it may pass out=", _declares_out)],
    steps="flat = np.ascontiguousarray(x).reshape(-1); if out does not fit, out = "
          "np.empty(x.shape, x.dtype); call an @njit loop over flat and out.reshape(-1) that "
          "writes v * min(max(v + 3, 0), 6) / 6 for each v; return out.")


# ---------------------------------------------------------------- 8.2 peak_gflops
def peak_gflops(cores, ghz, lanes, fma_units):
    return cores * fma_units * lanes * 2.0 * ghz


PEAK = Exercise(
    "8.2", "peak_gflops", reference=peak_gflops,
    cases=[Case(3, 2.0, 8, 1, expected=96.0), Case(2, 2.5, 16, 2, expected=320.0),
           Case(1, 1.0, 4, 1, expected=8.0), Case(64, 2.25, 16, 2, note="a big server"),
           Case(4, 3.6, 8, 2)],
    mistakes=[  # (the first case has one FMA unit: there, leaving fma_units out is right)
        Mistake("each core has fma_units FMA units working side by side: multiply by them",
                lambda c, g, lanes, u: c * g * lanes * 2),
        Mistake("a fused multiply-add counts as TWO floating-point operations (a multiply "
                "and an add): multiply by 2", lambda c, g, lanes, u: c * g * lanes * u),
        Mistake("every core computes at the same time: multiply by the number of cores",
                lambda c, g, lanes, u: g * lanes * 2 * u),
        Mistake("one vector instruction works on `lanes` numbers at once: multiply by lanes",
                lambda c, g, lanes, u: c * g * 2 * u),
        Mistake("the clock is in GHz (10^9 cycles per second) and the answer in GFLOP/s, so "
                "no factor 10^9 is needed", lambda c, g, lanes, u: c * g * lanes * 2 * u * 1e9),
    ],
    steps="flop per cycle per core = lanes * 2 (an FMA is two operations) * fma_units; "
          "times ghz (10^9 cycles per second) gives GFLOP/s per core; times cores.")


# ---------------------------------------------------------------- 8.3 predict_matmul_seconds
def predict_matmul_seconds(m, k, n, gflops):
    flop = 2.0 * m * n * k
    return flop / (gflops * 1e9)


PREDICT = Exercise(
    "8.3", "predict_matmul_seconds", reference=predict_matmul_seconds, rtol=1e-9, atol=0.0,
    cases=[Case(100, 20, 30, 4.0, expected=3e-5), Case(1000, 1000, 1000, 100.0, expected=0.02),
           Case(1, 1, 1, 1.0, expected=2e-9), Case(200, 784, 500, 110.0, note="an MNIST layer"),
           Case(64, 256, 32, 50.0)],
    mistakes=[
        Mistake("each of the m * k * n multiply-adds is TWO floating-point operations: the flop "
                "count is 2 * m * k * n", lambda m, k, n, g: m * k * n / (g * 1e9)),
        Mistake("gflops is in GIGA-flop per second: divide by gflops * 1e9",
                lambda m, k, n, g: 2.0 * m * k * n / g),
        Mistake("seconds = flop / (flop per second): you multiplied by the rate",
                lambda m, k, n, g: 2.0 * m * k * n * g * 1e9),
        Mistake("that is 1e9 times too much: gflops * 1e9 is the number of flop per second, "
                "and the time is the flop count divided by it",
                lambda m, k, n, g: 2.0 * m * k * n / g * 1e9),
        Mistake("the answer is in seconds, not milliseconds",
                lambda m, k, n, g: 2.0 * m * k * n / (g * 1e9) * 1e3),
        Mistake("every one of the m * n outputs needs k multiply-adds: the count is "
                "2 * m * k * n, not 2 * m * n", lambda m, k, n, g: 2.0 * m * n / (g * 1e9)),
    ],
    steps="flop = 2 * m * k * n (an (m, k) times (k, n) product: m * n outputs, each k "
          "multiply-adds); seconds = flop / (gflops * 1e9).")


# ---------------------------------------------------------------- 8.4 bias_hard_silu
def bias_hard_silu(z, b):
    return _like(_hard_silu64(np.asarray(z, np.float64) + np.asarray(b, np.float64)), z)


_TEMPORARIES = ("it made temporary arrays, so it makes several passes over memory: add the "
                "bias and apply the activation inside ONE loop, element by element, writing "
                "straight into out")


def _fused_no_temporaries(answer):
    """With out= given, a one-pass kernel allocates nothing as big as the output."""
    z, b = _floats(256, 128), _floats(128)
    out = np.empty_like(z)
    answer(z, b, out=out)                    # compiled (if it is) before we measure
    tracemalloc.start()
    try:
        answer(z, b, out=out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if peak >= z.nbytes // 2:
        return f"{_TEMPORARIES} ({peak // 1024} KiB for a {z.nbytes // 1024} KiB output)"
    return True


def _bias_writes_into_out(answer):
    z, b = _floats(3, 4), _floats(4)
    out = _fresh_out(z.shape, z.dtype)
    got = answer(z, b, out=out)
    return got is out and np.allclose(out, bias_hard_silu(z, b), rtol=1e-5, atol=1e-6)


def _bias_keeps_dtype(answer):
    z, b = _floats(2, 3), _floats(3)
    return getattr(answer(z, b), "dtype", None) == np.float32


_SQUARE_Z, _SQUARE_B = _floats(4, 4), _floats(4)

BIAS_HARD_SILU = Exercise(
    "8.4", "bias_hard_silu", reference=bias_hard_silu, call=_call_kernel,
    cases=[Case(_SQUARE_Z, _SQUARE_B, note="a square batch (4 samples, 4 units)"),
           Case(np.array([[0.0, 1.0, -2.0, 4.0]], np.float32),
                np.array([1.0, -5.0, 1.0, 1.0], np.float32),
                expected=np.array([[2 / 3, 0.0, -1 / 3, 5.0]], np.float32)),
           Case(_floats(5, 3), _floats(3), note="5 samples, 3 units"),
           Case(_floats(1, 1), _floats(1), note="one sample, one unit"),
           Case(_floats(6, 1), _floats(1), note="one unit"),
           Case(_floats(2, 3, 4, dtype=np.float64), _floats(4, dtype=np.float64),
                note="a 3-D float64 input (a Dense on sequences)"),
           Case(np.zeros((0, 4), np.float32), _floats(4), note="an empty batch"),
           Case(np.array([[-1e6, 1e6]], np.float32), np.array([-5.0, 5.0], np.float32),
                note="large values")],
    mistakes=[
        Mistake("the bias is missing: add b to z before the activation",
                lambda z, b: _like(_hard_silu64(z), z)),
        Mistake("the bias is added after the activation; Dense computes hard_silu(z + b)",
                lambda z, b: _like(_hard_silu64(z) + b, z)),
        Mistake("the bias has one value per unit, the LAST axis: out[i, j] uses b[j], "
                "not b[i]", lambda z, b: _like(_hard_silu64(z + b[:, None]), z)),
        Mistake("that is hard_sigmoid(z + b), the gate alone; multiply it by z + b",
                lambda z, b: _like(_hard_sigmoid64(z + b), z)),
        Mistake("it returned None: fill the output array in the loop, then return it",
                when=lambda got, z, b: got is None),
        Mistake("loop over the rows of z seen as a 2-D array: z.reshape(-1, z.shape[-1]) "
                "(and out the same way), so a 3-D input works too",
                raises=Exception, match=r"(?i)setitem|getitem|No implementation of function"),
    ],
    rules=[Rule("the result must have z's dtype (float32 stays float32)", _bias_keeps_dtype),
           Rule("the loop must run compiled: decorate it with @njit", _compiled),
           Rule("given out= of the right shape and dtype, write the result there and return "
                "that very array", _bias_writes_into_out),
           Rule(_TEMPORARIES, _fused_no_temporaries)],
    steps="rows = np.ascontiguousarray(z).reshape(-1, z.shape[-1]); make out (or use the one "
          "given) and view it the same way; an @njit loop over i (rows) and j (units) computes "
          "h = rows[i, j] + b[j] and writes h * min(max(h + 3, 0), 6) / 6; return out.")


# ---------------------------------------------------------------- 8.5 hard_silu_gpu (CUDA)
def hard_silu_on_gpu(x, blocks, threads):
    return hard_silu_kernel(x)


def _python_code(kernel):
    """The Python function behind a @cuda.jit kernel, on a GPU or on the simulator."""
    module = type(kernel).__module__
    if "cuda" not in module:
        if _is_numba_function(kernel):
            raise TypeError("hard_silu_gpu is not a CUDA kernel but a CPU function (@njit)")
        raise TypeError("hard_silu_gpu is not a CUDA kernel (no @cuda.jit)")
    return getattr(kernel, "py_func", None) or kernel.fn


def _launch_on_simulator(answer, x, blocks, threads):
    """Run the kernel on Numba's CUDA simulator: ``answer[blocks, threads](x, out)``."""
    from numba.cuda import simulator
    fn = _python_code(answer)
    out = _fresh_out(x.shape, x.dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        simulator.jit(fn)[blocks, threads](x, out)
    return out


def _first(count):
    """What a kernel gives when only elements 0 .. count-1 are written."""
    def wrong(x, blocks, threads):
        out = np.full(x.shape, np.nan, x.dtype)
        out[:count(blocks, threads)] = hard_silu_kernel(x)[:count(blocks, threads)]
        return out
    return wrong


HARD_SILU_GPU = Exercise(
    "8.5", "hard_silu_gpu", reference=hard_silu_on_gpu, call=_launch_on_simulator,
    cases=[Case(_floats(12), 3, 4, note="3 blocks of 4 threads, 12 elements"),
           Case(np.array([-4.0, -1.0, 1.0, 4.0], np.float32), 1, 4,
                expected=np.array([0.0, -1 / 3, 2 / 3, 4.0], np.float32)),
           Case(_floats(10), 3, 4, note="12 threads for 10 elements"),
           Case(_floats(7), 4, 2, note="4 blocks of 2 threads for 7 elements"),
           Case(_floats(1), 1, 8, note="one element, 8 threads"),
           Case(_floats(16, dtype=np.float64), 2, 8, note="float64"),
           Case(np.array([-1e6, 1e6], np.float32), 1, 2, note="large values")],
    mistakes=[
        Mistake("a thread past the end of the array wrote there: the last block sticks out "
                "when the array is not a multiple of the block, so test `if i < x.size:` "
                "before touching x[i]", raises=IndexError),
        Mistake("only the first block's elements were computed: cuda.threadIdx.x is the "
                "thread's number INSIDE its block; cuda.grid(1) (blockIdx.x * blockDim.x + "
                "threadIdx.x) numbers the threads of all blocks", _first(lambda b, t: t)),
        Mistake("only one element per block was computed: use cuda.grid(1), which numbers "
                "the threads of all blocks", _first(lambda b, t: b)),
        Mistake("that is hard_sigmoid(x), the gate alone; hard SiLU multiplies it by x",
                lambda x, blocks, threads: _like(_hard_sigmoid64(x), x)),
        Mistake("decorate the kernel with @cuda.jit (a CPU @njit function cannot be "
                "launched on a GPU)", raises=TypeError, match="not a CUDA kernel"),
        Mistake("a kernel cannot return its result: write it into out[i] (every thread "
                "writes its own element)", when=lambda got, x, blocks, threads:
                bool(np.all(np.isnan(got))) and x.size > 0),
    ],
    steps="i = cuda.grid(1); if i < x.size: v = x[i]; out[i] = v * min(max(v + 3, 0), 6) / 6. "
          "One thread per element; the extra threads of the last block do nothing.")


EXERCISES = [HARD_SILU_KERNEL, PEAK, PREDICT, BIAS_HARD_SILU, HARD_SILU_GPU]
