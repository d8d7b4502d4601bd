"""Numba CPU kernels of the recurrence ops: the whole time loop in one compiled call.

Each kernel runs every step of a sequence without returning to Python. A step is one
matrix product ``z += h U`` (the inputs' share ``xz`` was computed for all steps at
once, before the scan) followed, row by row, by the gate arithmetic, while ``z`` is still
in the cache; the backward kernels walk the steps in reverse the same way, with one
product ``dz U^T`` per step. Same inputs, outputs and meaning as ``reference_rnn.py``.

Two things make this fast:

* **BLAS from compiled code.** Numba has no matrix product of its own without SciPy, so
  the products call the ``sgemm``/``dgemm`` of the OpenBLAS library NumPy ships: its
  symbol is declared to LLVM (``_gemm`` below) and the library loaded at import, so the
  compiled loop calls it directly (and Numba can still cache the code on disk).
* **Activations that vectorise.** Numba calls the C library's ``tanh`` once per element,
  which is 60x slower than NumPy's SIMD loops. For float32, ``tanh`` here is a rational
  function (degree 13 over 6, within 4e-7 of tanh; sigmoid is 0.5 tanh(x/2) + 0.5), made
  of + * / only, which LLVM turns into AVX-512 code; float64 keeps the exact ``np.tanh``.
  Each activation loop has its branch outside the loop, so every loop is one plain pass.

No usable BLAS library found (a NumPy without a bundled OpenBLAS)? Then ``KERNELS`` is
empty and the reference kernels run instead.
"""
from __future__ import annotations

import glob
import os

import numpy as np

from minikeras.devices import reference_rnn as ref
from minikeras.devices import scalar_rnn
from minikeras.devices.scalar_rnn import (
    CODES,
    HARD_SIGMOID,
    HARD_SIGMOID_KERAS2,
    RELU,
    SIGMOID,
    TANH,
)

try:
    import llvmlite.binding as llvm
    from llvmlite import ir
    from numba import njit, types
    from numba.core import cgutils
    from numba.extending import intrinsic, overload
except ImportError:  # pragma: no cover - numba is a dependency
    njit = None


# ---------------------------------------------------------------- finding BLAS
def _find_blas():
    """(library path, sgemm symbol, dgemm symbol, int bits) of NumPy's bundled OpenBLAS."""
    base = os.path.dirname(np.__file__)
    candidates = []
    for folder in (os.path.join(base, os.pardir, "numpy.libs"), os.path.join(base, ".libs")):
        candidates += sorted(glob.glob(os.path.join(folder, "*openblas*")))
    import ctypes
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix, bits in (("scipy_cblas_", "64_", 64), ("cblas_", "64_", 64),
                                     ("cblas_", "", 32)):
            if hasattr(lib, f"{prefix}sgemm{suffix}") and hasattr(lib, f"{prefix}dgemm{suffix}"):
                return path, f"{prefix}sgemm{suffix}", f"{prefix}dgemm{suffix}", bits
    return None


BLAS = _find_blas() if njit is not None else None

if BLAS is not None:
    llvm.load_library_permanently(BLAS[0])
    _, _SGEMM, _DGEMM, _INT_BITS = BLAS

    @intrinsic
    def _cblas_gemm(typingctx, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        """cblas_?gemm(RowMajor, NoTrans, trans_b, m, n, k, alpha, a, lda, b, ldb, beta,
        c, ldc): C = alpha A op(B) + beta C; the type of alpha picks s or d."""
        sig = types.void(trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        symbol = _SGEMM if alpha == types.float32 else _DGEMM

        def codegen(context, builder, signature, args):
            i = ir.IntType(_INT_BITS)
            real = ir.FloatType() if alpha == types.float32 else ir.DoubleType()
            ptr = ir.IntType(8).as_pointer()
            fnty = ir.FunctionType(ir.VoidType(), [i, i, i, i, i, i, real, ptr, i, ptr, i,
                                                   real, ptr, i])
            fn = cgutils.get_or_insert_function(builder.module, fnty, symbol)
            ints = [builder.trunc(v, i) if _INT_BITS == 32 else v
                    for v in (args[0], args[1], args[2], args[3])]
            lda_, ldb_, ldc_ = (builder.trunc(v, i) if _INT_BITS == 32 else v
                                for v in (args[6], args[8], args[11]))
            a_ptr, b_ptr, c_ptr = (builder.inttoptr(v, ptr) for v in (args[5], args[7],
                                                                        args[10]))
            builder.call(fn, [ir.Constant(i, 101), ir.Constant(i, 111), *ints, args[4],
                              a_ptr, lda_, b_ptr, ldb_, args[9], c_ptr, ldc_])
            return context.get_dummy_value()
        return sig, codegen


if BLAS is not None:
    @njit(cache=True, inline="always")
    def gemm(a, b, c, beta, transpose_b):
        """c = a @ b (or a @ b.T) + beta * c, for 2-D arrays whose rows are contiguous."""
        m, k = a.shape
        n = c.shape[1]
        if m == 0 or n == 0:
            return
        size = a.itemsize
        one = a.dtype.type(1.0)
        _cblas_gemm(np.int64(112 if transpose_b else 111), np.int64(m), np.int64(n),
                    np.int64(k), one, a.ctypes.data, np.int64(a.strides[0] // size),
                    b.ctypes.data, np.int64(b.strides[0] // size), a.dtype.type(beta),
                    c.ctypes.data, np.int64(c.strides[0] // size))

    # ------------------------------------------------------------ activations
    # a rational tanh for float32: x P(x^2) / Q(x^2) on [-9, 9], fitted to tanh in float64
    _P = (9.9999999612193380e-01, 1.3085164927583715e-01, 3.1052261338575010e-03,
          1.1167109933096114e-05, -2.0274799848912259e-08, 5.3008466111346161e-11,
          -8.5457807166388997e-14)
    _Q = (1.0, 4.6418493251531229e-01, 2.4500289471117865e-02, 2.5479647214328129e-04)
    P0, P1, P2, P3, P4, P5, P6 = (np.float32(v) for v in _P)
    Q0, Q1, Q2, Q3 = (np.float32(v) for v in _Q)

    @njit(cache=True, error_model="numpy")
    def _tanh32(x):
        lim = np.float32(9.0)
        s = x * x  # NaN for a NaN x (min and max below would lose it)
        x = min(max(x, -lim), lim)
        s = min(x * x, s)
        num = ((((((P6 * s + P5) * s + P4) * s + P3) * s + P2) * s + P1) * s + P0)
        den = (((Q3 * s + Q2) * s + Q1) * s + Q0)
        one = np.float32(1.0)
        y = min(max(x * num / den, -one), one)
        return y if s == s else s  # NaN stays NaN  # noqa: PLR0124

    def fast_tanh(x):  # a stub: Numba compiles the version the overload picks per dtype
        raise NotImplementedError

    @overload(fast_tanh)
    def _fast_tanh(x):
        if x == types.float32:
            return lambda x: _tanh32(x)
        return lambda x: np.tanh(x)

    @njit(cache=True, inline="always")
    def _clip01(v, zero, one):
        """v limited to [0, 1], comparisons written so that NaN stays NaN (as np.clip)."""
        return zero if v < zero else (one if v > one else v)  # noqa: FURB136

    @njit(cache=True, inline="always")
    def _relu(v, zero):
        return zero if v < zero else v  # noqa: FURB136 (NaN stays NaN, as np.maximum)

    # the codes, and the rules of the activations' slopes, are scalar_rnn's (shared with
    # cuda_rnn); each loop below names its code, so the compiler keeps just that branch
    _slope_rule = njit(cache=True, inline="always")(scalar_rnn.slope)

    @njit(cache=True, error_model="numpy")
    def activate(code, src, dst):
        """dst[j] = act(src[j]); the branch is outside the loops, so each loop vectorises."""
        n = src.shape[0]
        half, zero, one = src.dtype.type(0.5), src.dtype.type(0.0), src.dtype.type(1.0)
        if code == TANH:
            for j in range(n):
                dst[j] = fast_tanh(src[j])
        elif code == SIGMOID:
            for j in range(n):
                dst[j] = half * fast_tanh(half * src[j]) + half
        elif code == RELU:
            for j in range(n):
                dst[j] = _relu(src[j], zero)
        elif code == HARD_SIGMOID or code == HARD_SIGMOID_KERAS2:
            slope = src.dtype.type(1.0 / 6.0) if code == HARD_SIGMOID else src.dtype.type(0.2)
            for j in range(n):
                dst[j] = _clip01(src[j] * slope + half, zero, one)
        else:
            for j in range(n):
                dst[j] = src[j]

    @njit(cache=True, error_model="numpy")
    def activate_sum(code, a, b, dst):
        """dst[j] = act(a[j] + b[j]): the step's input share and its recurrent share
        meet in the activation's pass (no separate pass to add them)."""
        n = a.shape[0]
        half, zero, one = a.dtype.type(0.5), a.dtype.type(0.0), a.dtype.type(1.0)
        if code == TANH:
            for j in range(n):
                dst[j] = fast_tanh(a[j] + b[j])
        elif code == SIGMOID:
            for j in range(n):
                dst[j] = half * fast_tanh(half * (a[j] + b[j])) + half
        elif code == RELU:
            for j in range(n):
                dst[j] = _relu(a[j] + b[j], zero)
        elif code == HARD_SIGMOID or code == HARD_SIGMOID_KERAS2:
            slope = a.dtype.type(1.0 / 6.0) if code == HARD_SIGMOID else a.dtype.type(0.2)
            for j in range(n):
                dst[j] = _clip01((a[j] + b[j]) * slope + half, zero, one)
        else:
            for j in range(n):
                dst[j] = a[j] + b[j]

    @njit(cache=True, error_model="numpy")
    def slope(code, y, dst):
        """dst[j] = act'(x) written with the output y = act(x) (scalar_rnn.slope)."""
        n = y.shape[0]
        zero, one = y.dtype.type(0.0), y.dtype.type(1.0)
        if code == TANH:
            for j in range(n):
                dst[j] = _slope_rule(TANH, y[j], zero, one)
        elif code == SIGMOID:
            for j in range(n):
                dst[j] = _slope_rule(SIGMOID, y[j], zero, one)
        elif code == RELU:
            for j in range(n):
                dst[j] = _slope_rule(RELU, y[j], zero, one)
        elif code == HARD_SIGMOID:
            for j in range(n):
                dst[j] = _slope_rule(HARD_SIGMOID, y[j], zero, one)
        elif code == HARD_SIGMOID_KERAS2:
            for j in range(n):
                dst[j] = _slope_rule(HARD_SIGMOID_KERAS2, y[j], zero, one)
        else:
            for j in range(n):
                dst[j] = one

    @njit(cache=True, inline="always")
    def block(row, k, u):
        """Block k (``u`` wide) of a record row: a 1-D view."""
        return row[k * u:(k + 1) * u]

    @njit(cache=True)
    def recurrent_product(h, U, z, rec, dropped, hm, beta):
        """z = (h * m) U + beta z: one product, or one per gate with dropout masks."""
        if not dropped:
            gemm(h, U, z, beta, False)
            return
        u = U.shape[0]
        for k in range(rec.shape[1]):
            for b in range(h.shape[0]):
                for j in range(u):
                    hm[b, j] = h[b, j] * rec[b, k, j]
            gemm(hm, U[:, k * u:(k + 1) * u], z[:, k * u:(k + 1) * u], beta, False)

    @njit(cache=True)
    def recurrent_product_grad(dz, U, dh, rec, dropped, tmp):
        """dh = (dz U^T) (* m, gate by gate, with recurrent dropout masks)."""
        if not dropped:
            gemm(dz, U, dh, 0.0, True)
            return
        u = U.shape[0]
        dh[:] = 0
        for k in range(rec.shape[1]):
            gemm(dz[:, k * u:(k + 1) * u], U[:, k * u:(k + 1) * u], tmp, 0.0, True)
            for b in range(dh.shape[0]):
                for j in range(u):
                    dh[b, j] += tmp[b, j] * rec[b, k, j]

    # ------------------------------------------------------------ SimpleRNN
    @njit(cache=True, error_model="numpy")
    def _simple_forward(xz, U, h0, mask, masked, rec, dropped, act, record):
        B, T, _ = xz.shape
        u = U.shape[0]
        h = h0.copy()
        z = np.empty((B, u), xz.dtype)
        hm = np.empty((B, u), xz.dtype)
        for t in range(T):
            recurrent_product(h, U, z, rec, dropped, hm, 0.0)
            for b in range(B):
                if not (masked and not mask[b, t]):
                    activate_sum(act, xz[b, t], z[b], h[b])
                record[b, t] = h[b]

    @njit(cache=True, error_model="numpy")
    def _simple_backward(g, record, U, h0, mask, masked, rec, dropped, act, out):
        B, T, u = record.shape
        dh = np.zeros((B, u), g.dtype)
        dz = np.empty((B, u), g.dtype)
        dh_prev = np.empty((B, u), g.dtype)
        tmp = np.empty((B, u), g.dtype)
        for t in range(T - 1, -1, -1):
            for b in range(B):
                for j in range(u):
                    dh[b, j] += g[b, t, j]
                if masked and not mask[b, t]:
                    dz[b] = 0
                else:
                    slope(act, record[b, t], dz[b])
                    for j in range(u):
                        dz[b, j] *= dh[b, j]
            recurrent_product_grad(dz, U, dh_prev, rec, dropped, tmp)
            for b in range(B):
                if masked and not mask[b, t]:
                    dh_prev[b] = dh[b]
                out[b, t, :u] = dh_prev[b]
                out[b, t, u:] = dz[b]
            dh[:] = dh_prev

    # ------------------------------------------------------------ LSTM
    @njit(cache=True, error_model="numpy")
    def _lstm_forward(xz, U, h0, c0, mask, masked, rec, dropped, act, ract, record):
        B, T, G = xz.shape
        u = U.shape[0]
        h, c = h0.copy(), c0.copy()
        z = np.empty((B, G), xz.dtype)
        hm = np.empty((B, u), xz.dtype)
        for t in range(T):
            recurrent_product(h, U, z, rec, dropped, hm, 0.0)
            for b in range(B):
                row, hb, cb, x = record[b, t], h[b], c[b], xz[b, t]
                if masked and not mask[b, t]:
                    row[:u] = hb
                    row[u:2 * u] = cb
                    row[2 * u:] = 0
                    continue
                # plain 1-D views, indexed by the loop variable only: loops that vectorise
                h_t = block(row, 0, u)
                c_t = block(row, 1, u)
                i = block(row, 2, u)
                f = block(row, 3, u)
                g = block(row, 4, u)
                o = block(row, 5, u)
                act_c = block(row, 6, u)
                zb = z[b]
                activate_sum(ract, x[:u], zb[:u], i)
                activate_sum(ract, x[u:2 * u], zb[u:2 * u], f)
                activate_sum(act, x[2 * u:3 * u], zb[2 * u:3 * u], g)
                activate_sum(ract, x[3 * u:], zb[3 * u:], o)
                for j in range(u):
                    c_t[j] = f[j] * cb[j] + i[j] * g[j]
                activate(act, c_t, act_c)
                for j in range(u):
                    h_t[j] = o[j] * act_c[j]
                hb[:] = h_t
                cb[:] = c_t

    @njit(cache=True, error_model="numpy")
    def _lstm_backward(g, record, U, h0, c0, mask, masked, rec, dropped, act, ract, out):
        B, T, _ = record.shape
        u = U.shape[0]
        dh = np.zeros((B, u), g.dtype)
        dc = np.zeros((B, u), g.dtype)
        dz = np.empty((B, 4 * u), g.dtype)
        dh_prev = np.empty((B, u), g.dtype)
        tmp = np.empty((B, u), g.dtype)
        slopes = np.empty((5, u), g.dtype)
        s_i, s_f, s_g, s_o, s_c = slopes[0], slopes[1], slopes[2], slopes[3], slopes[4]
        dct = np.empty(u, g.dtype)   # the gradient at c_t, all paths
        c_prev = np.empty(u, g.dtype)
        for t in range(T - 1, -1, -1):
            for b in range(B):
                gr, row, dhb, dcb = g[b, t], record[b, t], dh[b], dc[b]
                gh = block(gr, 0, u)
                gc = block(gr, 1, u)
                gi = block(gr, 2, u)
                gf = block(gr, 3, u)
                gg = block(gr, 4, u)
                go = block(gr, 5, u)
                gac = block(gr, 6, u)
                for j in range(u):
                    dhb[j] += gh[j]
                for j in range(u):
                    dcb[j] += gc[j]
                if masked and not mask[b, t]:
                    dz[b] = 0
                    out[b, t, u:2 * u] = dcb
                    continue
                i = block(row, 2, u)
                f = block(row, 3, u)
                gate = block(row, 4, u)
                o = block(row, 5, u)
                act_c = block(row, 6, u)
                c_prev[:] = record[b, t - 1, u:2 * u] if t > 0 else c0[b]
                slope(ract, i, s_i)
                slope(ract, f, s_f)
                slope(act, gate, s_g)
                slope(ract, o, s_o)
                slope(act, act_c, s_c)
                dzb = dz[b]
                dz_i = block(dzb, 0, u)
                dz_f = block(dzb, 1, u)
                dz_g = block(dzb, 2, u)
                dz_o = block(dzb, 3, u)
                # one output per loop: LLVM vectorises a loop only when it can rule out
                # that its output overlaps its inputs, which it checks at run time
                for j in range(u):
                    dct[j] = dcb[j] + (dhb[j] * o[j] + gac[j]) * s_c[j]
                for j in range(u):
                    dz_i[j] = (dct[j] * gate[j] + gi[j]) * s_i[j]
                for j in range(u):
                    dz_f[j] = (dct[j] * c_prev[j] + gf[j]) * s_f[j]
                for j in range(u):
                    dz_g[j] = (dct[j] * i[j] + gg[j]) * s_g[j]
                for j in range(u):
                    dz_o[j] = (dhb[j] * act_c[j] + go[j]) * s_o[j]
                for j in range(u):
                    dcb[j] = dct[j] * f[j]
                out[b, t, u:2 * u] = dcb
            recurrent_product_grad(dz, U, dh_prev, rec, dropped, tmp)
            for b in range(B):
                if masked and not mask[b, t]:
                    dh_prev[b] = dh[b]
                out[b, t, :u] = dh_prev[b]
                out[b, t, 2 * u:] = dz[b]
            dh[:] = dh_prev

    # ------------------------------------------------------------ GRU
    @njit(cache=True, error_model="numpy")
    def _gru_forward(xz, U, b_h, h0, mask, masked, rec, dropped, act, ract, reset_after,
                     record):
        B, T, G = xz.shape
        u = U.shape[0]
        one = xz.dtype.type(1.0)
        h = h0.copy()
        rz = np.empty((B, G), xz.dtype)   # the recurrent products (h * m) U (+ b_h)
        hm = np.empty((B, u), xz.dtype)
        pre = np.empty(u, xz.dtype)
        for t in range(T):
            if reset_after:
                for b in range(B):
                    rz[b] = b_h
                recurrent_product(h, U, rz, rec, dropped, hm, 1.0)
            else:
                recurrent_product(h, U[:, :2 * u], rz[:, :2 * u], rec[:, :2], dropped, hm, 0.0)
            for b in range(B):
                row, x = record[b, t], xz[b, t]
                if masked and not mask[b, t]:
                    row[:u] = h[b]
                    row[u:] = 0
                    continue
                rzb = rz[b]
                activate_sum(ract, x[:u], rzb[:u], row[u:2 * u])               # z
                activate_sum(ract, x[u:2 * u], rzb[u:2 * u], row[2 * u:3 * u])  # r
                if reset_after:
                    for j in range(u):
                        row[4 * u + j] = rz[b, 2 * u + j]           # rh
                        pre[j] = x[2 * u + j] + row[2 * u + j] * rz[b, 2 * u + j]
                    activate(act, pre, row[3 * u:4 * u])            # hh
            if not reset_after:  # hh = act(xz_h + (r * h * m_h) U_h): one product for all rows
                for b in range(B):
                    for j in range(u):
                        m_h = rec[b, 2, j] if dropped else one
                        hm[b, j] = record[b, t, 2 * u + j] * h[b, j] * m_h
                gemm(hm, U[:, 2 * u:], rz[:, 2 * u:], 0.0, False)
                for b in range(B):
                    if not (masked and not mask[b, t]):
                        activate_sum(act, xz[b, t, 2 * u:], rz[b, 2 * u:],
                                     record[b, t, 3 * u:4 * u])
            for b in range(B):
                if masked and not mask[b, t]:
                    continue
                row = record[b, t]
                for j in range(u):
                    zj = row[u + j]
                    row[j] = zj * h[b, j] + (one - zj) * row[3 * u + j]
                h[b] = row[:u]

    @njit(cache=True, error_model="numpy")
    def _gru_backward(g, record, U, h0, mask, masked, rec, dropped, act, ract, reset_after,
                      out):
        B, T, _ = record.shape
        u = U.shape[0]
        one = g.dtype.type(1.0)
        dh = np.zeros((B, u), g.dtype)
        dxz = np.empty((B, 3 * u), g.dtype)   # [dz_z, dz_r, dz_h]
        drz = np.empty((B, 3 * u), g.dtype)   # the gradient at (h * m) U (+ b_h)
        dh_prev = np.empty((B, u), g.dtype)
        tmp = np.empty((B, u), g.dtype)
        d_rhm = np.empty((B, u), g.dtype)
        s = np.empty((3, u), g.dtype)
        for t in range(T - 1, -1, -1):
            for b in range(B):
                gr, row = g[b, t], record[b, t]
                for j in range(u):
                    dh[b, j] += gr[j]
                if masked and not mask[b, t]:
                    dxz[b] = 0
                    drz[b] = 0
                    continue
                h_prev = record[b, t - 1, :u] if t > 0 else h0[b]
                slope(ract, row[u:2 * u], s[0])
                slope(ract, row[2 * u:3 * u], s[1])
                slope(act, row[3 * u:4 * u], s[2])
                for j in range(u):
                    z, r, hh = row[u + j], row[2 * u + j], row[3 * u + j]
                    dxz[b, j] = (dh[b, j] * (h_prev[j] - hh) + gr[u + j]) * s[0, j]
                    dxz[b, 2 * u + j] = (dh[b, j] * (one - z) + gr[3 * u + j]) * s[2, j]
                    if reset_after:
                        dxz[b, u + j] = (dxz[b, 2 * u + j] * row[4 * u + j] +
                                         gr[2 * u + j]) * s[1, j]
                        drz[b, 2 * u + j] = dxz[b, 2 * u + j] * r + gr[4 * u + j]
                drz[b, :2 * u] = dxz[b, :2 * u]
            if not reset_after:  # dr needs dhh_pre U_h^T for all rows
                gemm(dxz[:, 2 * u:], U[:, 2 * u:], d_rhm, 0.0, True)
                for b in range(B):
                    if masked and not mask[b, t]:
                        continue
                    h_prev = record[b, t - 1, :u] if t > 0 else h0[b]
                    slope(ract, record[b, t, 2 * u:3 * u], s[1])
                    for j in range(u):
                        m_h = rec[b, 2, j] if dropped else one
                        dxz[b, u + j] = (d_rhm[b, j] * h_prev[j] * m_h +
                                         g[b, t, 2 * u + j]) * s[1, j]
                        drz[b, u + j] = dxz[b, u + j]
                recurrent_product_grad(drz[:, :2 * u], U[:, :2 * u], dh_prev, rec[:, :2],
                                       dropped, tmp)
            else:
                recurrent_product_grad(drz, U, dh_prev, rec, dropped, tmp)
            for b in range(B):
                if masked and not mask[b, t]:
                    dh_prev[b] = dh[b]
                else:
                    row = record[b, t]
                    for j in range(u):
                        dh_prev[b, j] += dh[b, j] * row[u + j]
                        if not reset_after:
                            m_h = rec[b, 2, j] if dropped else one
                            dh_prev[b, j] += d_rhm[b, j] * row[2 * u + j] * m_h
                out[b, t, :u] = dh_prev[b]
                out[b, t, u:4 * u] = dxz[b]
                if reset_after:
                    out[b, t, 4 * u:] = drz[b, 2 * u:]
            dh[:] = dh_prev


# ---------------------------------------------------------------- the wrappers
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _usable(*arrays) -> bool:
    """Fast path: float32/float64 arrays of one dtype, a non-empty batch and time axis."""
    dtype = arrays[0].dtype
    return (dtype in _FLOATS and all(a.dtype == dtype for a in arrays)
            and arrays[0].shape[0] > 0 and arrays[0].shape[1] > 0)


def _optional(extra, masked, dropped, batch, n_gates, u, dtype):
    """The mask and dropout mask as arrays (stand-ins when absent), C-ordered."""
    mask, rec = ref._extras(extra, masked, dropped)
    mask = np.ascontiguousarray(mask, dtype=bool) if masked else np.ones((1, 1), bool)
    rec = np.ascontiguousarray(rec, dtype=dtype) if dropped else np.ones((1, n_gates, u), dtype)
    return mask, rec


def _buffer(out, shape, dtype):
    """The executor's offered buffer when it fits (no fresh pages to touch), else new."""
    if out is not None and out.shape == shape and out.dtype == dtype and \
            out.flags.c_contiguous:
        return out
    return np.empty(shape, dtype)


def _c(*arrays):
    return [np.ascontiguousarray(a) for a in arrays]


def simple_rnn_scan(xz, U, h0, *extra, masked, dropped, activation, out=None):
    """As reference_rnn.simple_rnn_scan, in one compiled loop."""
    if not _usable(xz, U, h0, *extra[int(masked):]):
        return ref.simple_rnn_scan(xz, U, h0, *extra, masked=masked, dropped=dropped,
                                   activation=activation)
    xz, U, h0 = _c(xz, U, h0)
    mask, rec = _optional(extra, masked, dropped, len(xz), 1, U.shape[0], xz.dtype)
    record = _buffer(out, (xz.shape[0], xz.shape[1], U.shape[0]), xz.dtype)
    _simple_forward(xz, U, h0, mask, masked, rec, dropped, CODES[activation], record)
    return record


def simple_rnn_scan_grad(g, record, xz, U, h0, *extra, masked, dropped, activation,
                         out=None):
    """As reference_rnn.simple_rnn_scan_grad, in one compiled loop."""
    if not _usable(g, record, U, h0, *extra[int(masked):]):
        return ref.simple_rnn_scan_grad(g, record, xz, U, h0, *extra, masked=masked,
                                        dropped=dropped, activation=activation)
    g, record, U, h0 = _c(g, record, U, h0)
    mask, rec = _optional(extra, masked, dropped, len(g), 1, U.shape[0], g.dtype)
    out = _buffer(out, record.shape[:2] + (2 * U.shape[0],), g.dtype)
    _simple_backward(g, record, U, h0, mask, masked, rec, dropped, CODES[activation], out)
    return out


def lstm_scan(xz, U, h0, c0, *extra, masked, dropped, activation, recurrent_activation,
              out=None):
    """As reference_rnn.lstm_scan, in one compiled loop."""
    if not _usable(xz, U, h0, c0, *extra[int(masked):]):
        return ref.lstm_scan(xz, U, h0, c0, *extra, masked=masked, dropped=dropped,
                             activation=activation, recurrent_activation=recurrent_activation)
    xz, U, h0, c0 = _c(xz, U, h0, c0)
    mask, rec = _optional(extra, masked, dropped, len(xz), 4, U.shape[0], xz.dtype)
    record = _buffer(out, (xz.shape[0], xz.shape[1], 7 * U.shape[0]), xz.dtype)
    _lstm_forward(xz, U, h0, c0, mask, masked, rec, dropped, CODES[activation],
                  CODES[recurrent_activation], record)
    return record


def lstm_scan_grad(g, record, xz, U, h0, c0, *extra, masked, dropped, activation,
                   recurrent_activation, out=None):
    """As reference_rnn.lstm_scan_grad, in one compiled loop."""
    if not _usable(g, record, U, h0, c0, *extra[int(masked):]):
        return ref.lstm_scan_grad(g, record, xz, U, h0, c0, *extra, masked=masked,
                                  dropped=dropped, activation=activation,
                                  recurrent_activation=recurrent_activation)
    g, record, U, h0, c0 = _c(g, record, U, h0, c0)
    mask, rec = _optional(extra, masked, dropped, len(g), 4, U.shape[0], g.dtype)
    out = _buffer(out, record.shape[:2] + (6 * U.shape[0],), g.dtype)
    _lstm_backward(g, record, U, h0, c0, mask, masked, rec, dropped, CODES[activation],
                   CODES[recurrent_activation], out)
    return out


def gru_scan(xz, U, b_h, h0, *extra, masked, dropped, activation, recurrent_activation,
             reset_after, out=None):
    """As reference_rnn.gru_scan, in one compiled loop."""
    if not _usable(xz, U, b_h[None], h0, *extra[int(masked):]):
        return ref.gru_scan(xz, U, b_h, h0, *extra, masked=masked, dropped=dropped,
                            activation=activation, recurrent_activation=recurrent_activation,
                            reset_after=reset_after)
    xz, U, b_h, h0 = _c(xz, U, b_h, h0)
    mask, rec = _optional(extra, masked, dropped, len(xz), 3, U.shape[0], xz.dtype)
    width = (5 if reset_after else 4) * U.shape[0]
    record = _buffer(out, (xz.shape[0], xz.shape[1], width), xz.dtype)
    _gru_forward(xz, U, b_h, h0, mask, masked, rec, dropped, CODES[activation],
                 CODES[recurrent_activation], bool(reset_after), record)
    return record


def gru_scan_grad(g, record, xz, U, b_h, h0, *extra, masked, dropped, activation,
                  recurrent_activation, reset_after, out=None):
    """As reference_rnn.gru_scan_grad, in one compiled loop."""
    if not _usable(g, record, U, h0, *extra[int(masked):]):
        return ref.gru_scan_grad(g, record, xz, U, b_h, h0, *extra, masked=masked,
                                 dropped=dropped, activation=activation,
                                 recurrent_activation=recurrent_activation,
                                 reset_after=reset_after)
    g, record, U, h0 = _c(g, record, U, h0)
    mask, rec = _optional(extra, masked, dropped, len(g), 3, U.shape[0], g.dtype)
    out = _buffer(out, record.shape[:2] + ((5 if reset_after else 4) * U.shape[0],), g.dtype)
    _gru_backward(g, record, U, h0, mask, masked, rec, dropped, CODES[activation],
                  CODES[recurrent_activation], bool(reset_after), out)
    return out


KERNELS = {} if BLAS is None else {fn.__name__: fn for fn in (
    simple_rnn_scan, simple_rnn_scan_grad, lstm_scan, lstm_scan_grad, gru_scan,
    gru_scan_grad)}
for _kernel in KERNELS.values():
    _kernel.accepts_out = True  # they write into a buffer the executor offers
