"""Fused CPU kernels: several elementwise steps in one pass over memory, with Numba.

A graph computes ``m_t = momentum * m - lr * g`` as three nodes, each reading and writing
a whole array. A fused kernel walks the arrays once and does all the arithmetic for one
element while it sits in a register. For the optimizer steps it also writes the result
straight into the variable (in place), so no temporary arrays are made at all.

Each kernel here does the same float arithmetic, in the same order, as the NumPy
reference of the same name in ``reference.py``, and the tests check they agree.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from minikeras.kernels.reference import KERNELS as REFERENCE
from minikeras.kernels.reference import bernoulli_threshold, fits, random_bits16


def _flat(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).reshape(-1)


def _scalar(value, dtype):
    """Python and 0-d values as the arrays' own float type (float32 stays float32)."""
    return dtype.type(float(np.asarray(value)))


@njit(cache=True)
def _sgd_momentum(p, m, g, lr, momentum, nesterov):
    for i in range(p.size):
        step = lr * g[i]
        m_i = m[i] * momentum - step
        m[i] = m_i
        if nesterov:
            p[i] += momentum * m_i - step
        else:
            p[i] += m_i


def sgd_momentum_step(p, m, g, lr, momentum, nesterov):
    """One SGD step with (Nesterov) momentum, in place: one pass over p, m and g."""
    t = p.dtype
    _sgd_momentum(p.reshape(-1), m.reshape(-1), _flat(g).astype(t, copy=False),
                  _scalar(lr, t), _scalar(momentum, t), bool(nesterov))


@njit(cache=True)
def _adam(p, m, v, g, alpha, one_minus_b1, one_minus_b2, epsilon):
    for i in range(p.size):
        g_i = g[i]
        m_i = m[i] + (g_i - m[i]) * one_minus_b1
        v_i = v[i] + (g_i * g_i - v[i]) * one_minus_b2
        m[i] = m_i
        v[i] = v_i
        p[i] -= m_i * alpha / (np.sqrt(v_i) + epsilon)


def adam_step(p, m, v, g, alpha, beta_1, beta_2, epsilon):
    """One Adam step in place (alpha already holds the bias corrections)."""
    t = p.dtype
    _adam(p.reshape(-1), m.reshape(-1), v.reshape(-1), _flat(g).astype(t, copy=False),
          _scalar(alpha, t), _scalar(1 - beta_1, t), _scalar(1 - beta_2, t),
          _scalar(epsilon, t))


@njit(cache=True)
def _rmsprop(p, v, g, lr, rho, one_minus_rho, epsilon):
    for i in range(p.size):
        g_i = g[i]
        v_i = v[i] * rho + one_minus_rho * (g_i * g_i)
        v[i] = v_i
        p[i] -= lr * g_i / np.sqrt(v_i + epsilon)


def rmsprop_step(p, v, g, lr, rho, epsilon):
    """One RMSprop step (no momentum, not centered) in place."""
    t = p.dtype
    _rmsprop(p.reshape(-1), v.reshape(-1), _flat(g).astype(t, copy=False), _scalar(lr, t),
             _scalar(rho, t), _scalar(1 - rho, t), _scalar(epsilon, t))


# ---- activation gradients: g * (1 - y^2) and g * y * (1 - y) in one pass ----
@njit(cache=True)
def _tanh_grad(g, y, out, one):
    for i in range(out.size):
        out[i] = g[i] * (one - y[i] * y[i])


@njit(cache=True)
def _sigmoid_grad(g, y, out, one):
    for i in range(out.size):
        out[i] = g[i] * y[i] * (one - y[i])


@njit(cache=True)
def _tanh_grad_scaled(g, s, y, out, one):
    for i in range(out.size):
        out[i] = (g[i] * s[i]) * (one - y[i] * y[i])


@njit(cache=True)
def _sigmoid_grad_scaled(g, s, y, out, one):
    for i in range(out.size):
        out[i] = (g[i] * s[i]) * y[i] * (one - y[i])


def _activation_grad(loop, reference_kernel):
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


tanh_grad = _activation_grad(_tanh_grad, REFERENCE["tanh_grad"])
sigmoid_grad = _activation_grad(_sigmoid_grad, REFERENCE["sigmoid_grad"])
tanh_grad_scaled = _activation_grad(_tanh_grad_scaled, REFERENCE["tanh_grad_scaled"])
sigmoid_grad_scaled = _activation_grad(_sigmoid_grad_scaled, REFERENCE["sigmoid_grad_scaled"])

# ---- Dense + activation: z + b and the activation in one pass ----
# Only relu is fused here. For tanh, the reference kernel (bias add into one buffer, then
# NumPy's tanh in place) is as fast as it gets on these CPUs: NumPy's tanh runs 16 floats
# at a time (AVX-512), while a Numba loop calls the maths library once per element. (A
# rational approximation made of + and * only did not vectorise either; see the note
# on the issue.)
@njit(cache=True)
def _bias_relu(z, b, out):
    rows, cols = z.shape
    zero = b[0] - b[0]
    for i in range(rows):
        for j in range(cols):
            out[i, j] = max(z[i, j] + b[j], zero)


def _bias_activation(loop, reference_kernel):
    def kernel(z, b, out=None):
        if z.dtype != b.dtype or z.dtype.kind != "f" or b.ndim != 1 or not z.size:
            return reference_kernel(z, b, out=out)
        if not fits(out, z.shape, z.dtype):
            out = np.empty(z.shape, z.dtype)
        rows = np.ascontiguousarray(z).reshape(-1, z.shape[-1])
        loop(rows, np.ascontiguousarray(b), out.reshape(rows.shape))
        return out
    kernel.accepts_out = True
    kernel.__name__ = reference_kernel.__name__
    kernel.__doc__ = f"{reference_kernel.__doc__} One pass over memory."
    return kernel


bias_relu = _bias_activation(_bias_relu, REFERENCE["bias_relu"])


# ---- Embedding's gradient: add each row of g into the table row its id names ----
@njit(cache=True)
def _scatter_add_rows(rows, ids, out):
    for n in range(ids.size):  # serial, so repeated ids add up correctly
        out[ids[n]] += rows[n]


def gather_grad(g, reference, indices):
    """Zeros shaped like the embedding table, with g's rows added at ``indices``."""
    out = np.zeros(reference.shape, g.dtype)
    ids = np.ascontiguousarray(indices, dtype=np.int64).reshape(-1)
    if g.dtype.kind != "f" or reference.ndim < 1 or ids.size == 0:
        return REFERENCE["gather_grad"](g, reference, indices)
    if ids.min() < -len(reference) or ids.max() >= len(reference):
        return REFERENCE["gather_grad"](g, reference, indices)  # NumPy's IndexError
    ids = np.where(ids < 0, ids + len(reference), ids)
    rows = np.ascontiguousarray(g).reshape(ids.size, -1)
    _scatter_add_rows(rows, ids, out.reshape(len(reference), -1))
    return out


# ---- the dropout mask: compare the random bits and write the mask in one pass ----
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

KERNELS = {"bernoulli_like": bernoulli_like, "bias_relu": bias_relu, "gather_grad": gather_grad,
           "sgd_momentum_step": sgd_momentum_step, "adam_step": adam_step,
           "rmsprop_step": rmsprop_step, "tanh_grad": tanh_grad, "sigmoid_grad": sigmoid_grad,
           "tanh_grad_scaled": tanh_grad_scaled, "sigmoid_grad_scaled": sigmoid_grad_scaled}
