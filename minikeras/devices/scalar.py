"""The per-element rules, each written once, in plain Python.

A kernel is a loop (or, on a GPU, thousands of threads) that applies a rule to every
element: ``tanh(v)``, ``a + b``, one Adam step of one weight... The loops differ from
device to device; the rules do not. So they are written here once, as ordinary Python
functions of plain numbers, and each device compiles them for itself:

* ``cpu.py`` with ``numba.njit`` (machine code called from its loops);
* ``cuda.py`` with ``numba.cuda.jit(device=True)`` (code a GPU thread calls).

You can call them from Python, too, which is the easiest way to read what they do:

>>> unary(SIGMOID, 0.0, 0.0, 0.0)
0.5
>>> binary(MAXIMUM, 2.0, float('nan'))
nan
>>> activation_grad(TANH_GRAD, 2.0, 0.5, 1.0)  # g * (1 - y^2), for g = 2, y = tanh(x) = 0.5
1.5
>>> sgd_momentum(1.0, 0.0, 2.0, 0.1, 0.9, False)   # new (p, m)
(0.8, -0.2)

Which rule? The op codes
------------------------
``unary``, ``binary``, ``combine`` and the rest each hold a family of rules, picked
by a small integer code (``TANH``, ``ADD``, ``SUM``, ...; one numbering for all devices).
Why not one function per op, passed to a loop? Numba compiles that too, but it cannot
cache such kernels on disk, so every new Python process would spend seconds compiling
them again. With a code, a loop is compiled once per dtype and serves every op of its
family, and it is cached (``cache=True``).

The price: a loop that receives the code as an *argument* tests it for every element
(about 30x slower than a loop written by hand for ``g * (1 - y^2)``, on 100,000 float32
numbers). A loop that names a constant code (``activation_grad(TANH_GRAD, g, y, one)``)
costs nothing: the compiler keeps just that branch (9.6 us against 9.7 us by hand). The
hot kernels do that, with small families (``activation_grad``, ``bias_activation``, the
optimizer steps), which are also quick to compile.

Three rules for writing a rule here
-----------------------------------
* Only numbers in, numbers out (tuples of numbers for the optimizer steps), and only
  Python's operators and ``math``: both compilers understand those.
* No rule calls another rule of this file: the compilers would see a plain Python
  function, which they cannot call (``v != v`` is written out where a NaN test is needed).
* Constants in the data's type: ``1.0`` in ``g * (1.0 - y * y)`` would turn float32
  arithmetic into float64, so ``activation_grad`` takes its 1 as an argument, ``one``, of the
  arrays' type (NumPy computes float32 data in float32, and the kernels must match it).

Numba's GPU simulator runs these functions as plain Python, where ``math.log(0)`` raises
instead of giving -inf; so ``exp``, ``log`` and ``sqrt`` test those cases first (the
compiled versions give the same answers either way).

Numba's on-disk cache does not notice when *this* file changes: after editing a rule,
delete the ``*.nbi`` / ``*.nbc`` files in ``minikeras/devices/__pycache__``.
"""
from __future__ import annotations

import math

# ---- op codes: one numbering for every device ----
(TANH, EXP, LOG, SQRT, SQUARE, ABS, NEGATIVE, SIGN, SIGMOID, RELU, ELU, SOFTPLUS,
 LOGICAL_NOT, CLIP, SCALE) = range(15)
(ADD, SUBTRACT, MULTIPLY, DIVIDE, POWER, MAXIMUM, MINIMUM, GREATER, GREATER_EQUAL, LESS,
 LESS_EQUAL, EQUAL, NOT_EQUAL, LOGICAL_AND, LOGICAL_OR) = range(15)
TANH_GRAD, SIGMOID_GRAD, BIAS_TANH, BIAS_RELU = range(15, 19)
SUM, MAX, MIN, PROD = range(4)

UNARY = {"tanh": TANH, "exp": EXP, "log": LOG, "sqrt": SQRT, "square": SQUARE, "abs": ABS,
         "negative": NEGATIVE, "sign": SIGN, "sigmoid": SIGMOID, "relu": RELU,
         "softplus": SOFTPLUS, "logical_not": LOGICAL_NOT}  # elu and clip take attributes
BINARY = {"add": ADD, "subtract": SUBTRACT, "multiply": MULTIPLY, "divide": DIVIDE,
          "power": POWER, "maximum": MAXIMUM, "minimum": MINIMUM, "greater": GREATER,
          "greater_equal": GREATER_EQUAL, "less": LESS, "less_equal": LESS_EQUAL,
          "equal": EQUAL, "not_equal": NOT_EQUAL, "logical_and": LOGICAL_AND,
          "logical_or": LOGICAL_OR}
# the rules of the one-pass kernels (codes after BINARY's, so one CUDA zip takes all three)
ACTIVATION_GRAD = {"tanh_grad": TANH_GRAD, "sigmoid_grad": SIGMOID_GRAD}
BIAS_ACTIVATION = {"bias_tanh": BIAS_TANH, "bias_relu": BIAS_RELU}
REDUCE = {"sum": SUM, "max": MAX, "min": MIN, "prod": PROD}

EXP_MAX = 709.782712893384  # log of the largest float64: e ** v overflows above it


def unary(code, v, p, q):
    """f(v) for the unary op ``code``; ``p`` is elu's alpha or the factor of SCALE,
    ``[p, q]`` clip's range."""
    if code == TANH:
        return math.tanh(v)
    elif code == EXP:
        return math.inf if v > EXP_MAX else math.exp(v)
    elif code == LOG:
        if v <= 0:
            return -math.inf if v == 0 else math.nan
        return math.log(v)
    elif code == SQRT:
        return math.nan if v < 0 else math.sqrt(v)
    elif code == SQUARE:
        return v * v
    elif code == ABS:
        return abs(v)
    elif code == NEGATIVE:
        return -v
    elif code == SIGN:
        return 1.0 if v > 0 else (-1.0 if v < 0 else v)  # 0 stays 0, NaN stays NaN
    elif code == SIGMOID:
        return 0.5 * math.tanh(0.5 * v) + 0.5  # never overflows, unlike 1 / (1 + e^-v)
    elif code == RELU:
        return v if (v > 0 or v != v) else 0.0  # NaN stays NaN  # noqa: PLR0124
    elif code == ELU:
        return v if v > 0 else p * math.expm1(v)
    elif code == SOFTPLUS:  # log(1 + e^v) = log(1 + e^-|v|) + max(v, 0): no overflow
        return math.log1p(math.exp(-abs(v))) + (v if v > 0 else 0.0)
    elif code == LOGICAL_NOT:
        return v == 0
    elif code == SCALE:
        return v * p
    else:  # CLIP: min(max(v, p), q), with comparisons so that NaN stays NaN
        v = p if v < p else v  # noqa: FURB136 (not max(): a NaN must survive)
        return q if v > q else v  # noqa: FURB136


def binary(code, a, b):
    """f(a, b) for the binary op ``code``; maximum and minimum propagate NaN like NumPy."""
    if code == ADD:
        return a + b
    elif code == SUBTRACT:
        return a - b
    elif code == MULTIPLY:
        return a * b
    elif code == DIVIDE:
        return a / b
    elif code == POWER:
        return a ** b
    elif code == MAXIMUM:
        return a if (a >= b or a != a) else b  # noqa: PLR0124
    elif code == MINIMUM:
        return a if (a <= b or a != a) else b  # noqa: PLR0124
    elif code == GREATER:
        return a > b
    elif code == GREATER_EQUAL:
        return a >= b
    elif code == LESS:
        return a < b
    elif code == LESS_EQUAL:
        return a <= b
    elif code == EQUAL:
        return a == b
    elif code == NOT_EQUAL:
        return a != b
    elif code == LOGICAL_AND:
        return a != 0 and b != 0
    else:  # LOGICAL_OR
        return a != 0 or b != 0


def activation_grad(code, g, y, one):
    """An activation's gradient from its output y, times the incoming gradient g, in one
    step. ``one`` is 1 in the arrays' type."""
    if code == TANH_GRAD:  # y = tanh(x): g * (1 - y^2)
        return g * (one - y * y)
    else:  # SIGMOID_GRAD, y = sigmoid(x): g * y * (1 - y)
        return g * y * (one - y)


def bias_activation(code, z, b):
    """A Dense layer's bias add and its activation, in one step."""
    total = z + b
    if code == BIAS_TANH:
        return math.tanh(total)
    else:  # BIAS_RELU
        return total if (total > 0 or total != total) else 0.0  # noqa: PLR0124


def combine(code, acc, v):
    """Fold one more value ``v`` into the running result ``acc`` of a reduction."""
    if code == SUM:
        return acc + v
    elif code == PROD:
        return acc * v
    elif code == MAX:
        return acc if (acc >= v or acc != acc) else v  # NaN wins, as in NumPy  # noqa: PLR0124
    else:  # MIN
        return acc if (acc <= v or acc != acc) else v  # noqa: PLR0124


def start_value(code):
    """What a reduction starts from: combining it with v gives v."""
    if code == SUM:
        return 0.0
    elif code == PROD:
        return 1.0
    elif code == MAX:
        return -math.inf
    else:
        return math.inf


# ---- optimizer steps: the new values of one weight and its slots, from the old ones ----
# The same arithmetic, in the same order, as the optimizers' own (symbolic) update rules,
# so the fused and the plain training steps give the same numbers.
def sgd_momentum(p, m, g, lr, momentum, nesterov):
    """SGD with momentum: m = momentum * m - lr * g; p += m (Nesterov: p += momentum * m
    - lr * g). Returns the new (p, m)."""
    step = lr * g
    m = m * momentum - step
    if nesterov:
        return p + (momentum * m - step), m
    return p + m, m


def adam(p, m, v, g, alpha, one_minus_beta_1, one_minus_beta_2, epsilon):
    """Adam: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); p -= m alpha / (sqrt(v) + eps),
    where alpha already holds the bias corrections. Returns the new (p, m, v)."""
    m = m + (g - m) * one_minus_beta_1
    v = v + (g * g - v) * one_minus_beta_2
    return p - m * alpha / (math.sqrt(v) + epsilon), m, v


def rmsprop(p, v, g, lr, rho, one_minus_rho, epsilon):
    """RMSprop (no momentum, not centered): v = rho v + (1 - rho) g^2;
    p -= lr g / sqrt(v + eps). Returns the new (p, v)."""
    v = v * rho + one_minus_rho * (g * g)
    return p - lr * g / math.sqrt(v + epsilon), v
