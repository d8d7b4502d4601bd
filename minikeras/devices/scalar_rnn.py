"""The per-element rules of the recurrent kernels, each written once, in plain Python.

The activations a scan knows, by code, and their slopes written with their *output*
(all the backward pass keeps of a gate is its value). ``cpu_rnn.py`` compiles them with
``numba.njit`` and ``cuda_rnn.py`` with ``numba.cuda.jit(device=True)``; the NumPy
reference (``reference_rnn.py``) writes the same formulas with arrays.

>>> activation(SIGMOID, 0.0, 0.0, 0.5, 1.0), slope(TANH, 0.5, 0.0, 1.0)
(0.5, 0.75)

As in ``scalar.py``: numbers in, numbers out; constants of the data's type are passed in
(``zero``, ``half``, ``one``), and comparisons are written so that NaN stays NaN.
"""
from __future__ import annotations

import math

LINEAR, TANH, SIGMOID, RELU, HARD_SIGMOID, HARD_SIGMOID_KERAS2 = range(6)
CODES = {"linear": LINEAR, "tanh": TANH, "sigmoid": SIGMOID, "relu": RELU,
         "hard_sigmoid": HARD_SIGMOID, "hard_sigmoid_keras2": HARD_SIGMOID_KERAS2}


def activation(code, v, zero, half, one):
    """act(v): tanh; sigmoid as 0.5 tanh(v / 2) + 0.5 (no overflow); relu; Keras 3's hard
    sigmoid clip(v / 6 + 0.5); Keras 2's clip(0.2 v + 0.5); linear."""
    if code == TANH:
        return math.tanh(v)
    if code == SIGMOID:
        return half * math.tanh(half * v) + half
    if code == RELU:
        return zero if v < zero else v  # noqa: FURB136 (NaN stays NaN)
    if code == HARD_SIGMOID or code == HARD_SIGMOID_KERAS2:
        w = v * (one / 6.0 if code == HARD_SIGMOID else one * 0.2) + half
        return zero if w < zero else (one if w > one else w)  # noqa: FURB136
    return v


def slope(code, y, zero, one):
    """act'(x) from y = act(x): 1 - y^2; y (1 - y); 1 where y > 0; the hard sigmoids'
    slope inside (0, 1) and 0 where they are flat; 1."""
    if code == TANH:
        return one - y * y
    if code == SIGMOID:
        return y * (one - y)
    if code == RELU:
        return one if y > zero else zero
    if code == HARD_SIGMOID or code == HARD_SIGMOID_KERAS2:
        if y > zero and y < one:
            return one / 6.0 if code == HARD_SIGMOID else one * 0.2
        return zero
    return one
