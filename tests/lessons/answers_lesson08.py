"""Lesson 08: typical wrong answers -> the hint their check must give, and right answers.

Each answer is the code a learner would type into the exercise cell (the kernels bring
their own imports: ``njit`` from numba, ``cuda`` from numba). The CUDA kernels are checked
on Numba's CUDA simulator whatever the machine has, so these rows run everywhere.
"""

STUB = 'raise NotImplementedError("write your solution here")'

# ---- 8.1: pieces of a hard SiLU kernel
LOOP = """
import math
from numba import njit

@njit
def hard_silu_loop(x, out):
    for i in range(x.size):
        v = x[i]
        out[i] = {formula}
"""
WRAPPER = """
def hard_silu_kernel(x, out=None):
    flat = np.ascontiguousarray(x).reshape(-1)
    if out is None or out.shape != x.shape or out.dtype != x.dtype:
        out = np.empty(x.shape, x.dtype)
    hard_silu_loop(flat, out.reshape(-1))
    return out
hard_silu_kernel.accepts_out = True
"""
HARD_SILU = "v * min(max(v + 3.0, 0.0), 6.0) / 6.0"

# ---- 8.4: pieces of a fused bias + hard SiLU kernel
BIAS_LOOP = """
import math
from numba import njit

@njit
def bias_hard_silu_loop(rows, b, out):
    for i in range(rows.shape[0]):
        for j in range(rows.shape[1]):
            h = {h}
            out[i, j] = {formula}
"""
BIAS_WRAPPER = """
def bias_hard_silu(z, b, out=None):
    z = np.ascontiguousarray(z)
    if out is None or out.shape != z.shape or out.dtype != z.dtype:
        out = np.empty(z.shape, z.dtype)
    bias_hard_silu_loop(z.reshape(-1, z.shape[-1]), b, out.reshape(-1, z.shape[-1]))
    return out
bias_hard_silu.accepts_out = True
"""

# ---- 8.5: a CUDA kernel with a body
KERNEL = """
import math
from numba import cuda

@cuda.jit
def hard_silu_gpu(x, out):
{body}
"""


def kernel(body: str) -> str:
    return KERNEL.format(body="\n".join("    " + line for line in body.strip().splitlines()))


WRONG = [
    # ---- 8.1 hard_silu_kernel
    ("8.1", "untouched stub", f"def hard_silu_kernel(x, out=None):\n    {STUB}", "not written yet"),
    ("8.1", "the gate alone", LOOP.format(formula="min(max(v + 3.0, 0.0), 6.0) / 6.0") + WRAPPER,
     "that is hard_sigmoid(x)"),
    ("8.1", "no / 6", LOOP.format(formula="v * min(max(v + 3.0, 0.0), 6.0)") + WRAPPER,
     "divide by 6"),
    ("8.1", "no shift", LOOP.format(formula="v * min(max(v, 0.0), 6.0) / 6.0") + WRAPPER,
     "add 3 to x before clipping"),
    ("8.1", "relu, not relu6", LOOP.format(formula="v * max(v + 3.0, 0.0) / 6.0") + WRAPPER,
     "clip at 6 as well"),
    ("8.1", "no return", LOOP.format(formula=HARD_SILU) +
     WRAPPER.replace("    return out\n", ""), "it returned None"),
    ("8.1", "not flattened", LOOP.format(formula=HARD_SILU) +
     WRAPPER.replace("hard_silu_loop(flat, out.reshape(-1))", "hard_silu_loop(np.ascontiguousarray(x), out)"),
     "loop over flat views"),
    ("8.1", "0-d made 1-D", LOOP.format(formula=HARD_SILU) + """
def hard_silu_kernel(x, out=None):
    x = np.ascontiguousarray(x)
    if out is None or out.shape != x.shape or out.dtype != x.dtype:
        out = np.empty(x.shape, x.dtype)
    hard_silu_loop(x.reshape(-1), out.reshape(-1))
    return out
hard_silu_kernel.accepts_out = True
""", "np.ascontiguousarray gives a 0-d array the shape (1,)"),
    ("8.1", "float64 out", LOOP.format(formula=HARD_SILU) + """
def hard_silu_kernel(x, out=None):
    result = np.empty(x.size)
    hard_silu_loop(np.ascontiguousarray(x).reshape(-1), result)
    if out is not None and out.shape == x.shape and out.dtype == x.dtype:
        out[...] = result.reshape(x.shape)
        return out
    return result.reshape(x.shape)
hard_silu_kernel.accepts_out = True
""", "the result must have x's dtype"),
    ("8.1", "float32 always", LOOP.format(formula=HARD_SILU) + """
def hard_silu_kernel(x, out=None):
    flat = np.ascontiguousarray(x, dtype=np.float32).reshape(-1)
    if out is None or out.shape != x.shape or out.dtype != np.float32:
        out = np.empty(x.shape, np.float32)
    hard_silu_loop(flat, out.reshape(-1))
    return out
hard_silu_kernel.accepts_out = True
""", "float64 input must give float64 output"),
    ("8.1", "in place", LOOP.format(formula=HARD_SILU) + """
def hard_silu_kernel(x, out=None):
    if x.flags.c_contiguous:
        hard_silu_loop(x.reshape(-1), x.reshape(-1))
        return x
    y = np.ascontiguousarray(x).reshape(x.shape)
    hard_silu_loop(y.reshape(-1), y.reshape(-1))
    return y
hard_silu_kernel.accepts_out = True
""", "must not change its input x"),
    ("8.1", "plain Python", """
import math

def hard_silu_kernel(x, out=None):
    if out is None or out.shape != x.shape or out.dtype != x.dtype:
        out = np.empty(x.shape, x.dtype)
    flat = out.reshape(-1)
    for i, v in enumerate(np.ascontiguousarray(x).reshape(-1)):
        flat[i] = v * min(max(v + 3.0, 0.0), 6.0) / 6.0
    return out
hard_silu_kernel.accepts_out = True
""", "the loop must run compiled"),
    ("8.1", "out ignored", LOOP.format(formula=HARD_SILU) + """
def hard_silu_kernel(x, out=None):
    result = np.empty(x.shape, x.dtype)
    hard_silu_loop(np.ascontiguousarray(x).reshape(-1), result.reshape(-1))
    return result
hard_silu_kernel.accepts_out = True
""", "write the result there and return that very array"),
    ("8.1", "any out used", LOOP.format(formula=HARD_SILU) + """
def hard_silu_kernel(x, out=None):
    if out is None:
        out = np.empty(x.shape, x.dtype)
    hard_silu_loop(np.ascontiguousarray(x).reshape(-1), out.reshape(-1))
    return out
hard_silu_kernel.accepts_out = True
""", "an out= of the wrong shape must be ignored"),
    ("8.1", "contract not declared", LOOP.format(formula=HARD_SILU) +
     WRAPPER.replace("hard_silu_kernel.accepts_out = True\n", ""), "declare the contract"),
    # ---- 8.2 peak_gflops
    ("8.2", "untouched stub", f"def peak_gflops(cores, ghz, lanes, fma_units):\n    {STUB}",
     "not written yet"),
    ("8.2", "FMA as one flop",
     "def peak_gflops(cores, ghz, lanes, fma_units):\n    return cores * ghz * lanes * fma_units",
     "TWO floating-point operations"),
    ("8.2", "one unit", "def peak_gflops(cores, ghz, lanes, fma_units):\n    return 2 * cores * ghz * lanes",
     "fma_units FMA units"),
    ("8.2", "one core",
     "def peak_gflops(cores, ghz, lanes, fma_units):\n    return ghz * lanes * 2 * fma_units",
     "multiply by the number of cores"),
    ("8.2", "scalar maths",
     "def peak_gflops(cores, ghz, lanes, fma_units):\n    return cores * ghz * 2 * fma_units",
     "multiply by lanes"),
    ("8.2", "in flop/s", """
def peak_gflops(cores, ghz, lanes, fma_units):
    hz = ghz * 1e9
    return cores * hz * lanes * 2 * fma_units
""", "no factor 10^9"),
    # ---- 8.3 predict_matmul_seconds
    ("8.3", "untouched stub", f"def predict_matmul_seconds(m, k, n, gflops):\n    {STUB}",
     "not written yet"),
    ("8.3", "multiply-adds", "def predict_matmul_seconds(m, k, n, gflops):\n    return m * k * n / (gflops * 1e9)",
     "TWO floating-point operations"),
    ("8.3", "giga forgotten", "def predict_matmul_seconds(m, k, n, gflops):\n    return 2 * m * k * n / gflops",
     "GIGA-flop per second"),
    ("8.3", "times the rate",
     "def predict_matmul_seconds(m, k, n, gflops):\n    return 2 * m * k * n * gflops * 1e9",
     "you multiplied by the rate"),
    ("8.3", "1e9 on top",
     "def predict_matmul_seconds(m, k, n, gflops):\n    return 2 * m * k * n / gflops * 1e9",
     "1e9 times too much"),
    ("8.3", "milliseconds",
     "def predict_matmul_seconds(m, k, n, gflops):\n    return 2e-6 * m * k * n / gflops",
     "not milliseconds"),
    ("8.3", "outputs only",
     "def predict_matmul_seconds(m, k, n, gflops):\n    return 2 * m * n / (gflops * 1e9)",
     "not 2 * m * n"),
    # ---- 8.4 bias_silu
    ("8.4", "untouched stub", f"def bias_hard_silu(z, b, out=None):\n    {STUB}", "not written yet"),
    ("8.4", "no bias", BIAS_LOOP.format(h="rows[i, j]", formula="h * min(max(h + 3.0, 0.0), 6.0) / 6.0") +
     BIAS_WRAPPER, "the bias is missing"),
    ("8.4", "bias after", BIAS_LOOP.format(h="rows[i, j]",
                                           formula="h * min(max(h + 3.0, 0.0), 6.0) / 6.0 + b[j]") +
     BIAS_WRAPPER, "added after the activation"),
    ("8.4", "b[i]", BIAS_LOOP.format(h="rows[i, j] + b[i]", formula="h * min(max(h + 3.0, 0.0), 6.0) / 6.0") +
     BIAS_WRAPPER, "the LAST axis"),
    ("8.4", "the gate alone", BIAS_LOOP.format(h="rows[i, j] + b[j]", formula="min(max(h + 3.0, 0.0), 6.0) / 6.0") +
     BIAS_WRAPPER, "that is hard_sigmoid(z + b)"),
    ("8.4", "no return", BIAS_LOOP.format(h="rows[i, j] + b[j]", formula="h * min(max(h + 3.0, 0.0), 6.0) / 6.0") +
     BIAS_WRAPPER.replace("    return out\n", ""), "it returned None"),
    ("8.4", "3-D not folded", BIAS_LOOP.format(h="rows[i, j] + b[j]",
                                                formula="h * min(max(h + 3.0, 0.0), 6.0) / 6.0") +
     BIAS_WRAPPER.replace("z.reshape(-1, z.shape[-1]), b, out.reshape(-1, z.shape[-1])",
                          "z, b, out"), "z.reshape(-1, z.shape[-1])"),
    ("8.4", "float64 out", BIAS_LOOP.format(h="rows[i, j] + b[j]",
                                             formula="h * min(max(h + 3.0, 0.0), 6.0) / 6.0") + """
def bias_hard_silu(z, b, out=None):
    z = np.ascontiguousarray(z)
    if out is None or out.shape != z.shape or out.dtype != z.dtype:
        out = np.empty(z.shape)
    bias_hard_silu_loop(z.reshape(-1, z.shape[-1]), b, out.reshape(-1, z.shape[-1]))
    return out
bias_hard_silu.accepts_out = True
""", "the result must have z's dtype"),
    ("8.4", "two NumPy passes", """
def bias_hard_silu(z, b, out=None):
    h = z + b
    return (h * np.clip(h + 3.0, 0.0, 6.0) / 6.0).astype(z.dtype)
""", "the loop must run compiled"),
    ("8.4", "out ignored", BIAS_LOOP.format(h="rows[i, j] + b[j]",
                                             formula="h * min(max(h + 3.0, 0.0), 6.0) / 6.0") + """
def bias_hard_silu(z, b, out=None):
    z = np.ascontiguousarray(z)
    result = np.empty(z.shape, z.dtype)
    bias_hard_silu_loop(z.reshape(-1, z.shape[-1]), b, result.reshape(-1, z.shape[-1]))
    return result
""", "write the result there and return that very array"),
    ("8.4", "add first, then a SiLU loop", """
import math
from numba import njit

@njit
def hard_silu_rows(h, out):
    for i in range(h.shape[0]):
        for j in range(h.shape[1]):
            v = h[i, j]
            out[i, j] = v * min(max(v + 3.0, 0.0), 6.0) / 6.0

def bias_hard_silu(z, b, out=None):
    h = np.ascontiguousarray(z + b)
    if out is None or out.shape != z.shape or out.dtype != z.dtype:
        out = np.empty(z.shape, z.dtype)
    hard_silu_rows(h.reshape(-1, z.shape[-1]), out.reshape(-1, z.shape[-1]))
    return out
""", "it made temporary arrays"),
    # ---- 8.5 hard_silu_gpu
    ("8.5", "untouched stub", kernel(STUB), "not written yet"),
    ("8.5", "no bounds test", kernel("""
i = cuda.grid(1)
v = x[i]
out[i] = v * min(max(v + 3.0, 0.0), 6.0) / 6.0
"""), "test `if i < x.size:`"),
    ("8.5", "i <= size", kernel("""
i = cuda.grid(1)
if i <= x.size:
    out[i] = x[i] * min(max(x[i] + 3.0, 0.0), 6.0) / 6.0
"""), "test `if i < x.size:`"),
    ("8.5", "threadIdx only", kernel("""
i = cuda.threadIdx.x
if i < x.size:
    out[i] = x[i] * min(max(x[i] + 3.0, 0.0), 6.0) / 6.0
"""), "only the first block's elements"),
    ("8.5", "blockIdx only", kernel("""
i = cuda.blockIdx.x
if i < x.size:
    out[i] = x[i] * min(max(x[i] + 3.0, 0.0), 6.0) / 6.0
"""), "one element per block"),
    ("8.5", "the gate alone", kernel("""
i = cuda.grid(1)
if i < x.size:
    out[i] = min(max(x[i] + 3.0, 0.0), 6.0) / 6.0
"""), "that is hard_sigmoid(x)"),
    ("8.5", "a CPU function", """
import math
from numba import njit

@njit
def hard_silu_gpu(x, out):
    for i in range(x.size):
        out[i] = x[i] * min(max(x[i] + 3.0, 0.0), 6.0) / 6.0
""", "decorate the kernel with @cuda.jit"),
    ("8.5", "not decorated", """
import math
from numba import cuda

def hard_silu_gpu(x, out):
    i = cuda.grid(1)
    if i < x.size:
        out[i] = x[i] * min(max(x[i] + 3.0, 0.0), 6.0) / 6.0
""", "decorate the kernel with @cuda.jit"),
    ("8.5", "returns the value", kernel("""
i = cuda.grid(1)
if i < x.size:
    return x[i] * min(max(x[i] + 3.0, 0.0), 6.0) / 6.0
"""), "a kernel cannot return its result"),
]

RIGHT = [
    # ---- 8.1
    ("8.1", "gate apart, new array via empty_like",
     LOOP.format(formula="v * (min(max(v + 3.0, 0.0), 6.0) / 6.0)") + """
def hard_silu_kernel(x, out=None):
    flat = np.ascontiguousarray(x).ravel()
    fits = out is not None and out.shape == np.shape(x) and out.dtype == x.dtype
    result = out if fits else np.empty_like(flat).reshape(np.shape(x))
    hard_silu_loop(flat, result.reshape(-1))
    return result
hard_silu_kernel.accepts_out = True
"""),
    ("8.1", "three pieces", """
import math
from numba import njit

@njit(cache=False)
def hard_silu_loop(x, out):
    for i in range(x.size):
        v = x[i]
        if v <= -3.0:
            out[i] = 0.0
        elif v >= 3.0:
            out[i] = v
        else:
            out[i] = v * (v + 3.0) / 6.0
""" + WRAPPER),
    ("8.1", "a Numba ufunc (vectorize)", """
import math
from numba import vectorize

@vectorize(["float32(float32)", "float64(float64)"])
def hard_silu_scalar(v):
    return v * min(max(v + 3.0, 0.0), 6.0) / 6.0

def hard_silu_kernel(x, out=None):
    if out is not None and out.shape == np.shape(x) and out.dtype == x.dtype:
        return hard_silu_scalar(x, out=out)
    return hard_silu_scalar(x)
hard_silu_kernel.accepts_out = True
"""),
    # ---- 8.2
    ("8.2", "flop per cycle first", """
def peak_gflops(cores, ghz, lanes, fma_units):
    flop_per_cycle = lanes * fma_units * 2
    return flop_per_cycle * ghz * cores
"""),
    ("8.2", "via flop/s", """
def peak_gflops(cores, ghz, lanes, fma_units):
    return cores * (ghz * 1e9) * lanes * 2 * fma_units / 1e9
"""),
    # ---- 8.3
    ("8.3", "flop over rate", """
def predict_matmul_seconds(m, k, n, gflops):
    flop = 2 * m * k * n
    rate = gflops * 1e9
    return flop / rate
"""),
    ("8.3", "nanoseconds first", """
def predict_matmul_seconds(m, k, n, gflops):
    nanoseconds = 2.0 * m * n * k / gflops
    return nanoseconds * 1e-9
"""),
    # ---- 8.4
    ("8.4", "gate written apart",
     BIAS_LOOP.format(h="rows[i, j] + b[j]", formula="h * (min(max(h + 3.0, 0.0), 6.0) / 6.0)") +
     BIAS_WRAPPER),
    ("8.4", "one flat loop with a modulo", """
import math
from numba import njit

@njit
def bias_hard_silu_flat(z, b, out):
    units = b.size
    for i in range(z.size):
        h = z[i] + b[i % units]
        out[i] = h * min(max(h + 3.0, 0.0), 6.0) / 6.0

def bias_hard_silu(z, b, out=None):
    z = np.ascontiguousarray(z)
    if not (out is not None and out.shape == z.shape and out.dtype == z.dtype):
        out = np.empty_like(z)
    bias_hard_silu_flat(z.reshape(-1), b, out.reshape(-1))
    return out
"""),
    # ---- 8.5
    ("8.5", "blockIdx * blockDim + threadIdx", kernel("""
i = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
if i < out.shape[0]:
    v = x[i]
    out[i] = v * (min(max(v + 3.0, 0.0), 6.0) / 6.0)
""")),
    ("8.5", "a grid-stride loop", kernel("""
start = cuda.grid(1)
stride = cuda.gridsize(1)
for i in range(start, x.size, stride):
    out[i] = x[i] * min(max(x[i] + 3.0, 0.0), 6.0) / 6.0
""")),
]
