"""Gradient checks: every op's backward rule against central differences, in float64.

The suite is organised as tables:

* ``GRADIENT_CASES``: for every op in ``minikeras.ops.REGISTRY`` that has a backward rule,
  one or more cases (a builder of placeholders plus input arrays) checked with
  ``check_gradients``; each case must really contain its op in the graph it builds;
* ``COMPOSITE_CASES``: functions built from several ops (mean, var, selu, crossentropies,
  dot, batch_dot, K.relu with options, ...), checked the same way;
* ``NO_GRADIENT_CASES``: every op without a backward rule (comparisons, argmax, random
  draws, ...), with a test that no gradient flows through it.

``test_every_op_is_accounted_for`` fails, naming the op, when an op is added to the
registry without a case here. Then come second derivatives (gradients of gradients),
gradient shapes under broadcasting with unknown batch sizes, and dropout.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

import minikeras.backend as K
from minikeras import ops
from minikeras.autograd import check_gradients, gradients
from minikeras.ops import REGISTRY
from minikeras.tensor import topological_order

_rng = np.random.default_rng(20240611)


# ---------------------------------------------------------------- input values
def normal(*shape, scale=1.0):
    return _rng.normal(0.0, scale, size=shape)


def positive(*shape, low=0.5, high=2.0):
    """For log, sqrt, the base of pow, and probabilities before normalising."""
    return _rng.uniform(low, high, size=shape)


def nonzero(*shape, low=0.3, high=2.0):
    """Away from 0: denominators, prod, and functions with a kink at 0 (abs, relu...)."""
    return _rng.choice([-1.0, 1.0], size=shape) * _rng.uniform(low, high, size=shape)


def distinct(*shape, offset=0.03):
    """All different, 0.1 apart (max/min must not meet ties, where the rule is a choice).

    Two arrays with offsets 0.03 and 0.08 never come closer than 0.05 to each other, so
    maximum/minimum of them stay far from the kink even when broadcast together.
    """
    n = int(np.prod(shape))
    return ((_rng.permutation(n) - n // 2) * 0.1 + offset).reshape(shape)


def away_from(points, *shape, low=-3.0, high=3.0, gap=0.05):
    """Uniform values, none closer than ``gap`` to any of ``points`` (kinks, thresholds)."""
    x = _rng.uniform(low, high, size=shape)
    for p in points:
        near = np.abs(x - p) < gap
        x[near] = p + np.where(x[near] >= p, 2 * gap, -2 * gap)
    return x


def f64(value) -> K.Constant:
    """A float64 constant (K.constant would default to floatx, float32)."""
    return K.constant(np.asarray(value, dtype=np.float64), dtype="float64")


def int64(value) -> K.Constant:
    return K.constant(np.asarray(value), dtype="int64")


# ---------------------------------------------------------------- cases
@dataclass
class Case:
    """``build(*placeholders)`` makes the output; ``values`` feed the placeholders."""

    id: str
    build: Callable
    values: list
    check: dict = field(default_factory=dict)  # extra check_gradients arguments (rare)


def case(id, build, *values, **check) -> Case:
    return Case(id, build, list(values), check)


# The binary elementwise ops, each over the same broadcasting patterns.
BROADCAST_PATTERNS = [
    ("same_shape", (3, 4), (3, 4)),
    ("matrix_and_row", (3, 4), (4,)),
    ("row_and_matrix", (4,), (3, 4)),
    ("column_and_row", (3, 1), (1, 4)),
    ("matrix_and_scalar", (3, 4), ()),
    ("scalar_and_matrix", (), (3, 4)),
    ("rank3_and_column", (2, 3, 4), (3, 1)),
]
BINARY_OPS = {
    # op name: (public function, values for a, values for b)
    "add": (lambda a, b: a + b, normal, normal),
    "subtract": (lambda a, b: a - b, normal, normal),
    "multiply": (lambda a, b: a * b, normal, normal),
    "divide": (lambda a, b: a / b, normal, nonzero),
    "power": (K.pow, positive, lambda *s: _rng.uniform(-1.5, 2.5, size=s)),
    "maximum": (K.maximum, distinct, lambda *s: distinct(*s, offset=0.08)),
    "minimum": (K.minimum, distinct, lambda *s: distinct(*s, offset=0.08)),
}


def _binary_cases(name):
    fn, a_values, b_values = BINARY_OPS[name]
    return [case(pattern, fn, a_values(*sa), b_values(*sb))
            for pattern, sa, sb in BROADCAST_PATTERNS]


REDUCTION_AXES = [None, 0, -1, (0, 2), (-1, -3), (1,)]


def _reduction_cases(name, values):
    fn = {"sum": K.sum, "max": K.max, "min": K.min, "prod": K.prod}[name]
    cases = []
    for axis in REDUCTION_AXES:
        for keepdims in (False, True):
            label = f"axis={axis}".replace(" ", "") + ("_keepdims" if keepdims else "")
            cases.append(case(label, lambda x, a=axis, k=keepdims: fn(x, axis=a, keepdims=k),
                              values(2, 3, 4)))
    return cases


# Exactly representable in float32, for the cast checks (see "cast" below).
EIGHTHS = np.array([[0.5, -1.25, 2.0], [0.125, 3.5, -0.75]])

GRADIENT_CASES: dict[str, list[Case]] = {
    **{name: _binary_cases(name) for name in BINARY_OPS},
    # ---- arithmetic with Python numbers and the remaining binary-op variants
    "identity": [case("matrix", ops.identity, normal(3, 4))],
    "negative": [case("matrix", lambda x: -x, normal(3, 4)),
                 case("scalar", ops.negative, normal())],
    # ---- math of one input (values away from kinks and outside domains' edges)
    "abs": [case("away_from_zero", K.abs, nonzero(3, 4))],
    "exp": [case("matrix", K.exp, normal(3, 4)), case("scalar", K.exp, normal())],
    "log": [case("positive", K.log, positive(3, 4, low=0.2, high=5.0))],
    "sqrt": [case("positive", K.sqrt, positive(3, 4, low=0.2, high=5.0))],
    "square": [case("matrix", K.square, normal(3, 4))],
    "tanh": [case("matrix", K.tanh, normal(3, 4, scale=2.0))],
    # softmax + crossentropy as one op, and its one-kernel gradient (whose own backward
    # gives second derivatives); targets need not sum to 1 here, the formulas allow any t
    "softmax_crossentropy": [
        case("rows", lambda t, z: ops.crossentropy.softmax_crossentropy(t, z), positive(3, 4),
             normal(3, 4, scale=2.0)),
        case("axis0", lambda t, z: ops.crossentropy.softmax_crossentropy(t, z, axis=0),
             positive(3, 4), normal(3, 4))],
    "softmax_crossentropy_grad": [
        case("rows", lambda g, t, z: ops.crossentropy.softmax_crossentropy_grad(g, t, z, 1),
             normal(3), positive(3, 4), normal(3, 4)),
        case("axis0", lambda g, t, z: ops.crossentropy.softmax_crossentropy_grad(g, t, z, 0),
             normal(4), positive(3, 4), normal(3, 4))],
    # the fused activation gradients g (1 - y^2) and g y (1 - y), y in an output's range
    "tanh_grad": [case("matrix", ops.tanh_grad, normal(3, 4), positive(3, 4, low=-0.9, high=0.9)),
                  case("broadcast_g", ops.tanh_grad, normal(4), positive(3, 4, low=-0.9, high=0.9))],
    "sigmoid_grad": [case("matrix", ops.sigmoid_grad, normal(3, 4),
                          positive(3, 4, low=0.1, high=0.9))],
    "sigmoid": [case("matrix", K.sigmoid, normal(3, 4, scale=2.0))],
    "relu": [case("away_from_zero", K.relu, nonzero(3, 4)),
             case("ops_relu", ops.relu, nonzero(2, 3, 2))],
    "softplus": [case("matrix", K.softplus, normal(3, 4, scale=3.0))],
    "elu": [case("default_alpha", K.elu, nonzero(3, 4)),
            case("alpha_0.5", lambda x: K.elu(x, 0.5), nonzero(3, 4))],
    "clip": [case("inside_and_outside", lambda x: K.clip(x, -0.5, 0.7),
                  away_from([-0.5, 0.7], 3, 4, low=-1.5, high=1.5)),
             case("max_below_min", lambda x: K.clip(x, 0.5, 0.2),
                  away_from([0.5], 3, 4, low=-1.0, high=1.0))],
    "softmax": [case("axis=-1", K.softmax, normal(3, 4, scale=2.0)),
                case("axis=0", lambda x: K.softmax(x, axis=0), normal(3, 4, scale=2.0)),
                case("rank3_axis=1", lambda x: K.softmax(x, axis=1), normal(2, 3, 4))],
    "log_softmax": [case("axis=-1", K.log_softmax, normal(3, 4, scale=2.0)),
                    case("axis=0", lambda x: K.log_softmax(x, axis=0), normal(3, 4)),
                    case("rank3_axis=1", lambda x: K.log_softmax(x, axis=1),
                         normal(2, 3, 4))],
    # ---- choosing and converting
    "where": [
        case("constant_condition",
             lambda a, b: K.switch(K.constant([[True, False, True, False]] * 3, "bool"),
                                   a, b),
             normal(3, 4), normal(3, 4)),
        case("broadcast_row_and_scalar",
             lambda a, b: ops.where(K.constant([[1, 0, 0, 1]] * 3, "bool"), a, b),
             normal(4), normal()),
        case("condition_column_a_row",
             lambda a, b: ops.where(K.constant([[True], [False], [True]], "bool"), a, b),
             normal(1, 4), normal(3, 4)),
        # c only decides: away from the threshold its gradient is zero
        case("condition_from_input", lambda c, a: ops.where(c > 0.0, a, a * a),
             nonzero(3, 4), normal(3, 4)),
    ],
    # The checker works in float64, so a cast to float32 and back loses the tiny steps h
    # of central differences. The cast is linear, so exact inputs (multiples of 1/8) and a
    # step of 1/64 (exact in float32 too) make the differences exact: no tolerance change.
    "cast": [
        case("float64_to_float32", lambda x: K.cast(x, "float32"), EIGHTHS, h=2.0 ** -6),
        case("float64_to_float32_to_float64",
             lambda x: K.cast(K.cast(x, "float32"), "float64") * x, EIGHTHS, h=2.0 ** -6),
    ],
    # ---- reductions (max/min: distinct values, prod: no zeros)
    "sum": _reduction_cases("sum", normal),
    "max": _reduction_cases("max", distinct),
    "min": _reduction_cases("min", distinct),
    "prod": _reduction_cases("prod", lambda *s: nonzero(*s, low=0.5, high=1.5)),
    # ---- moving elements
    "reshape": [case("to_3x8", lambda x: K.reshape(x, (3, 8)), normal(2, 3, 4)),
                case("minus_one", lambda x: K.reshape(x, (-1, 2)), normal(2, 3, 4)),
                case("batch_flatten", K.batch_flatten, normal(2, 3, 4)),
                case("flatten", K.flatten, normal(2, 3, 4))],
    "reshape_like": [case("2x6_like_3x4", ops.reshape_like, normal(2, 6), normal(3, 4))],
    "transpose": [case("matrix", K.transpose, normal(3, 4)),
                  case("dot_T", lambda x: x.T, normal(2, 3, 4)),
                  case("permute_201", lambda x: K.permute_dimensions(x, (2, 0, 1)),
                       normal(2, 3, 4))],
    "expand_dims": [case("axis=0", lambda x: K.expand_dims(x, 0), normal(3, 4)),
                    case("axis=-1", K.expand_dims, normal(3, 4)),
                    case("axes=(0,2)", lambda x: ops.expand_dims(x, (0, 2)), normal(3, 4))],
    "squeeze": [case("axis=1", lambda x: K.squeeze(x, 1), normal(3, 1, 4)),
                case("axes=(0,-1)", lambda x: ops.squeeze(x, (0, -1)), normal(1, 3, 1))],
    "concatenate": [
        case("axis=0", lambda a, b, c: K.concatenate([a, b, c], axis=0),
             normal(1, 3), normal(2, 3), normal(3, 3)),
        case("axis=1", lambda a, b: K.concatenate([a, b], axis=1), normal(2, 3), normal(2, 1)),
        case("axis=-1_rank3", lambda a, b: K.concatenate([a, b]),
             normal(2, 3, 2), normal(2, 3, 3)),
        case("stack_axis=1", lambda a, b: K.stack([a, b], axis=1), normal(2, 3), normal(2, 3)),
        case("with_constant", lambda a: K.concatenate([a, f64([[1.0], [2.0]])], axis=1),
             normal(2, 3)),
    ],
    "tile": [case("n=2", lambda x: K.tile(x, 2), normal(2, 3)),
             case("reps=(2,1,3)", lambda x: K.tile(x, (2, 1, 3)), normal(2, 3, 2)),
             case("repeat", lambda x: K.repeat(x, 3), normal(2, 4))],
    "untile": [case("reps=(2,3)", lambda g: ops.untile(g, (2, 3)), normal(4, 6)),
               case("reps=(1,2)", lambda g: ops.untile(g, (1, 2)), normal(3, 4))],
    "pad": [case("2d", lambda x: K.pad(x, ((1, 2), (0, 3))), normal(3, 4)),
            case("3d_value", lambda x: K.pad(x, ((0, 0), (2, 0), (1, 1)), value=1.5),
                 normal(2, 3, 2))],
    "getitem": [
        case(name, lambda x, key=key: x[key], normal(4, 5, 3)) for name, key in [
            ("int", 1),
            ("slice", (slice(None), slice(1, 4))),
            ("negative_step", slice(None, None, -1)),
            ("None_slice_negative_step", (None, slice(1, None), slice(None, None, -2))),
            ("ellipsis_int", (Ellipsis, 0)),
            ("negative_int_step_None", (-1, slice(None, None, 2), None)),
            ("mixed", (slice(1, 3), -1, slice(0, 2))),
        ]
    ],
    "getitem_grad": [
        case("slice", lambda g, x: ops.getitem_grad(g, x, (slice(None), slice(1, 4))),
             normal(4, 3), normal(4, 5)),
        case("int_negative_step",
             lambda g, x: ops.getitem_grad(g, x, (1, slice(None, None, -2))),
             normal(3), normal(4, 5)),
    ],
    "gather": [case("repeated_rows", lambda x: K.gather(x, [2, 0, 2, 1, 2]), normal(4, 3)),
               case("2d_indices", lambda x: K.gather(x, int64([[0, 1], [1, 1]])),
                    normal(3, 2, 2))],
    "gather_grad": [
        case("repeated_rows", lambda g: ops.gather_grad(g, f64(np.zeros((4, 3))),
                                                        int64([2, 0, 2, 1, 2])),
             normal(5, 3)),
        case("reference_as_input",
             lambda g, ref: ops.gather_grad(g, ref, int64([[0, 1], [1, 1]])),
             normal(2, 2, 2), normal(3, 2)),
    ],
    # ---- the internal ops of broadcasting, called directly
    "sum_like": [case("matrix_to_row", ops.sum_like, normal(3, 4), normal(4)),
                 case("rank3_to_column", ops.sum_like, normal(2, 3, 4), normal(3, 1)),
                 case("same_shape", ops.sum_like, normal(3, 4), normal(3, 4)),
                 case("to_scalar", ops.sum_like, normal(2, 3), normal())],
    "broadcast_like": [case("row_to_matrix", ops.broadcast_like, normal(4), normal(3, 4)),
                       case("column_to_matrix", ops.broadcast_like, normal(3, 1),
                            normal(3, 4)),
                       case("scalar_to_matrix", ops.broadcast_like, normal(), normal(2, 3))],
    # ---- products
    "matmul": [case("2d", K.matmul, normal(3, 4), normal(4, 5)),
               case("batch_and_matrix", lambda a, b: a @ b, normal(2, 3, 4), normal(4, 5)),
               case("matrix_and_batch", K.matmul, normal(3, 4), normal(2, 4, 5)),
               case("broadcast_batches", K.matmul, normal(2, 1, 3, 4), normal(3, 4, 2))],
}
# arithmetic with Python numbers on either side (the number becomes a float64 constant)
GRADIENT_CASES["add"].append(case("python_number", lambda x: x + 2.5, normal(3, 4)))
GRADIENT_CASES["subtract"].append(case("number_minus", lambda x: 2.5 - x, normal(3, 4)))
GRADIENT_CASES["multiply"].append(case("python_number", lambda x: 2.5 * x, normal(3, 4)))
GRADIENT_CASES["divide"].append(case("number_over", lambda x: 1.5 / x, nonzero(3, 4)))
GRADIENT_CASES["power"] += [
    case("cube", lambda x: x ** 3, positive(3, 4)),
    case("number_to_the", lambda x: 2.0 ** x, normal(3, 4)),
    # only the base varies: log(base) of the exponent's rule must not be needed
    case("negative_base_constant_exponent", lambda x: K.pow(x, 2.0), nonzero(3, 4)),
]
GRADIENT_CASES["maximum"].append(case("relu_like", lambda x: K.maximum(x, 0.0),
                                      nonzero(3, 4)))
GRADIENT_CASES["minimum"].append(case("cap", lambda x: K.minimum(x, 0.5),
                                      away_from([0.5], 3, 4)))


# ---- convolution and pooling: 1, 2 and 3 spatial axes, both data formats, strides,
# dilation, groups, every padding; kernels as large as the input, strides past the kernel
CF = {"data_format": "channels_first"}
CONV_SETUPS = [
    # id, x shape, kernel shape, attributes
    ("1d_valid", (2, 7, 3), (3, 3, 4), {}),
    ("1d_causal_dilated", (2, 7, 2), (3, 2, 3), {"padding": "causal", "dilation_rate": 2}),
    ("2d_same_stride2_odd", (2, 7, 6, 3), (4, 3, 3, 2), {"strides": 2, "padding": "same"}),
    ("2d_channels_first_groups", (2, 4, 5, 5), (3, 3, 2, 6),
     {"groups": 2, "padding": "same", **CF}),
    ("2d_stride_dilation_explicit", (1, 8, 7, 2), (2, 3, 2, 3),
     {"strides": (2, 1), "dilation_rate": (1, 2), "padding": ((1, 0), (2, 1))}),
    ("2d_kernel_is_the_input", (2, 3, 3, 2), (3, 3, 2, 2), {}),
    ("2d_size1_spatial", (2, 1, 1, 3), (1, 1, 3, 2), {}),
    ("1d_stride_past_kernel", (1, 9, 2), (2, 2, 2), {"strides": 4}),
    ("3d_same", (1, 4, 5, 3, 2), (2, 3, 2, 2, 3), {"padding": "same"}),
    ("3d_channels_first_strides", (1, 2, 5, 4, 4), (3, 2, 2, 2, 2),
     {"strides": (2, 1, 3), **CF}),
]


def _conv_output(x_shape, w_shape, attrs):
    x = K.placeholder(shape=x_shape, dtype="float64")
    return ops.conv(x, K.constant(np.zeros(w_shape), dtype="float64"), **attrs).shape


def _spatial(shape, attrs):
    return shape[2:] if attrs.get("data_format") == "channels_first" else shape[1:-1]


GRADIENT_CASES["conv"] = [
    case(id, lambda x, w, a=attrs: ops.conv(x, w, **a), normal(*xs), normal(*ws))
    for id, xs, ws, attrs in CONV_SETUPS]
# the transposed convolution maps the conv's output size back to its input size
def _transpose_case(id, xs, ws, attrs):
    size = _spatial(xs, attrs)
    return case(id, lambda g, w: ops.conv_transpose(g, w, size, **attrs),
                normal(*_conv_output(xs, ws, attrs)), normal(*ws))


GRADIENT_CASES["conv_transpose"] = [_transpose_case(*setup) for setup in CONV_SETUPS[::2]] + [
    # Conv2DTranspose's output_padding: one extra row the forward conv never reads
    case("2d_output_padding", lambda g, w: ops.conv_transpose(
        g, w, (8, 6), strides=2, padding=((0, -1), (1, 1))), normal(1, 3, 3, 2),
        normal(3, 3, 2, 2))]
GRADIENT_CASES["conv_kernel_grad"] = [
    case(id, lambda x, g, a=attrs, k=ws[:-2]: ops.conv_kernel_grad(x, g, k, **a),
         normal(*xs), normal(*_conv_output(xs, ws, attrs)))
    for id, xs, ws, attrs in CONV_SETUPS[1::2]]
POOL_SETUPS = [
    # id, x shape, attributes (pool_size first)
    ("1d", (2, 7, 3), {"pool_size": 2}),
    ("2d_same_overlapping", (2, 5, 6, 2), {"pool_size": 3, "strides": 2, "padding": "same"}),
    ("2d_channels_first_odd_same", (1, 2, 5, 5), {"pool_size": (2, 3), "padding": "same", **CF}),
    ("2d_stride_past_window", (1, 7, 7, 1), {"pool_size": 2, "strides": 3}),
    ("2d_window_is_the_input", (2, 3, 4, 2), {"pool_size": (3, 4)}),
    ("3d", (1, 4, 4, 3, 2), {"pool_size": 2, "padding": "same"}),
]


def _pool_output(x_shape, attrs):
    return ops.max_pool(K.placeholder(shape=x_shape, dtype="float64"), **attrs).shape


GRADIENT_CASES["max_pool"] = [case(id, lambda x, a=attrs: ops.max_pool(x, **a), distinct(*xs))
                              for id, xs, attrs in POOL_SETUPS]
GRADIENT_CASES["avg_pool"] = [case(id, lambda x, a=attrs: ops.avg_pool(x, **a), normal(*xs))
                              for id, xs, attrs in POOL_SETUPS]
# no gradient reaches x through these two (which cell wins does not change nearby)
GRADIENT_CASES["max_pool_grad"] = [
    case(id, lambda x, g, a=attrs: ops.max_pool_grad(x, g, **a), distinct(*xs),
         normal(*_pool_output(xs, attrs))) for id, xs, attrs in POOL_SETUPS]
GRADIENT_CASES["max_pool_gather"] = [
    case(id, lambda x, h, a=attrs: ops.max_pool_gather(x, h, **a), distinct(*xs), normal(*xs))
    for id, xs, attrs in POOL_SETUPS]
GRADIENT_CASES["avg_pool_grad"] = [
    case(id, lambda g, like, a=attrs: ops.avg_pool_grad(g, like, **a),
         normal(*_pool_output(xs, attrs)), normal(*xs)) for id, xs, attrs in POOL_SETUPS]


def _xent_inputs(n=4, k=3):
    target = _rng.dirichlet(np.ones(k), size=n)
    return target, normal(n, k, scale=2.0)


COMPOSITE_CASES: dict[str, list[Case]] = {
    "mean": [case("all", K.mean, normal(2, 3, 4)),
             case("axis=1", lambda x: K.mean(x, axis=1), normal(2, 3, 4)),
             case("axes=(0,-1)_keepdims", lambda x: K.mean(x, (0, -1), keepdims=True),
                  normal(2, 3, 4))],
    "var": [case("all", K.var, normal(3, 4)),
            case("axis=0", lambda x: K.var(x, axis=0), normal(3, 4)),
            case("axis=-1_keepdims", lambda x: K.var(x, -1, keepdims=True), normal(3, 4))],
    "std": [case("all", K.std, normal(3, 4)),
            case("axis=1", lambda x: K.std(x, axis=1), normal(3, 4))],
    "selu": [case("away_from_zero", K.selu, nonzero(3, 4))],
    "softsign": [case("away_from_zero", K.softsign, nonzero(3, 4))],
    "hard_sigmoid": [case("inside_and_outside", K.hard_sigmoid,
                          away_from([-3.0, 3.0], 3, 4, low=-5.0, high=5.0))],
    "l2_normalize": [case("axis=-1", lambda x: K.l2_normalize(x, axis=-1), normal(3, 4))],
    "K.relu": [
        case("alpha", lambda x: K.relu(x, alpha=0.1), nonzero(3, 4)),
        case("max_value", lambda x: K.relu(x, max_value=1.5), away_from([0.0, 1.5], 3, 4)),
        case("alpha_and_max_value", lambda x: K.relu(x, alpha=0.2, max_value=1.0),
             away_from([0.0, 1.0], 3, 4)),
        case("threshold", lambda x: K.relu(x, threshold=0.5), away_from([0.5], 3, 4)),
    ],
    "categorical_crossentropy": [
        case("probabilities", K.categorical_crossentropy,
             _xent_inputs()[0], positive(4, 3, low=0.1, high=1.0)),
        case("from_logits",
             lambda t, z: K.categorical_crossentropy(t, z, from_logits=True),
             *_xent_inputs()),
        case("softmax_shortcut", lambda t, z: K.categorical_crossentropy(t, K.softmax(z)),
             *_xent_inputs()),
        case("softmax_other_axis_no_shortcut",
             lambda t, z: K.categorical_crossentropy(t, K.softmax(z, axis=0)),
             *_xent_inputs()),
        case("axis=0_from_logits",
             lambda t, z: K.categorical_crossentropy(t, z, from_logits=True, axis=0),
             _rng.dirichlet(np.ones(4), size=3).T, normal(4, 3)),
    ],
    "sparse_categorical_crossentropy": [
        case("probabilities",
             lambda p: K.sparse_categorical_crossentropy(int64([0, 2, 1, 2]), p),
             positive(4, 3, low=0.1, high=1.0)),
        case("from_logits",
             lambda z: K.sparse_categorical_crossentropy(int64([0, 2, 1, 2]), z,
                                                         from_logits=True),
             normal(4, 3, scale=2.0)),
        case("softmax_shortcut_ids_as_column",
             lambda z: K.sparse_categorical_crossentropy(int64([[1], [0], [2], [2]]),
                                                         K.softmax(z)),
             normal(4, 3, scale=2.0)),
    ],
    "binary_crossentropy": [
        case("probabilities", K.binary_crossentropy, _rng.uniform(0, 1, size=(3, 4)),
             positive(3, 4, low=0.1, high=0.9)),
        case("from_logits", lambda t, z: K.binary_crossentropy(t, z, from_logits=True),
             _rng.uniform(0, 1, size=(3, 4)), nonzero(3, 4, high=4.0)),
        case("sigmoid_shortcut", lambda t, z: K.binary_crossentropy(t, K.sigmoid(z)),
             _rng.uniform(0, 1, size=(3, 4)), nonzero(3, 4, high=4.0)),
    ],
    "dot": [case("vector_vector", K.dot, normal(4), normal(4)),
            case("matrix_vector", K.dot, normal(3, 4), normal(4)),
            case("vector_matrix", K.dot, normal(4), normal(4, 5)),
            case("matrix_matrix", K.dot, normal(3, 4), normal(4, 5)),
            case("rank3_matrix", K.dot, normal(2, 3, 4), normal(4, 5)),
            case("matrix_rank3", K.dot, normal(3, 4), normal(2, 4, 5)),
            case("rank3_rank3", K.dot, normal(2, 3, 4), normal(2, 4, 2))],
    "batch_dot": [
        case("vectors", K.batch_dot, normal(3, 4), normal(3, 4)),
        case("matrices", K.batch_dot, normal(2, 3, 4), normal(2, 4, 5)),
        case("matrices_axes=(1,1)", lambda x, y: K.batch_dot(x, y, axes=(1, 1)),
             normal(2, 4, 3), normal(2, 4, 5)),
        case("matrices_axes=2", lambda x, y: K.batch_dot(x, y, axes=2),
             normal(2, 3, 4), normal(2, 5, 4)),
        case("vector_matrix", K.batch_dot, normal(2, 4), normal(2, 4, 5)),
        case("matrix_vector", K.batch_dot, normal(2, 3, 4), normal(2, 4)),
    ],
    "depthwise_conv": [
        case("2d_multiplier_2", lambda x, w: ops.depthwise_conv(x, w, padding="same"),
             normal(2, 5, 4, 3), normal(3, 2, 3, 2)),
        case("1d_channels_first_strides_dilation",
             lambda x, w: ops.depthwise_conv(x, w, strides=2, dilation_rate=2, **CF),
             normal(2, 2, 9), normal(3, 2, 1))],
    "mlp": [case("tanh_softmax_xent",
                 lambda x, w1, b1, w2: K.mean(K.categorical_crossentropy(
                     f64(np.eye(3)[[0, 2, 1, 1, 0]]), K.softmax(K.dot(K.tanh(
                         K.dot(x, w1) + b1), w2)))),
                 normal(5, 3), normal(3, 4), normal(4), normal(4, 3))],
}


# ==================================================================== recurrent (issue 12)
# The scans of ops/recurrent.py: every record block is weighted by check_gradients, so
# the backward kernels' handling of gradients on the gates is checked too. Masks cover
# a fully masked sequence (row 1) and masked first and last steps; rec_mask is a
# recurrent dropout mask (fixed, so central differences see one function). The
# *_scan_grad ops are the backward passes: their cases are second derivatives.
from minikeras.ops import recurrent as R

RNN_MASK = np.array([[True, False, True, True], [False, False, False, False],
                     [False, True, True, False]])


def _bool(value):
    return K.constant(np.asarray(value, dtype=bool), dtype="bool")


def _rec_mask(n_gates, units=2, batch=3):
    return f64(_rng.choice([0.0, 2.0], size=(batch, n_gates, units)))


def _scan(kind, masked=False, dropped=False, **attrs):
    """build(xz, U, [b_h], *states) for a scan of ``kind``, with a mask and/or a recurrent
    dropout mask."""
    n_gates = len(R.GATES[kind])

    def build(*xs):
        mask = _bool(RNN_MASK) if masked else None
        rec = _rec_mask(n_gates) if dropped else None
        fn = {"simple_rnn": R.simple_rnn_scan, "lstm": R.lstm_scan, "gru": R.gru_scan}[kind]
        return fn(*xs, mask=mask, rec_mask=rec, **attrs)
    return build


def _scan_values(kind, batch=3, steps=4, units=2, scale=1.0):
    n_gates = len(R.GATES[kind])
    values = [normal(batch, steps, n_gates * units, scale=scale),
              normal(units, n_gates * units, scale=0.7)]
    if kind == "gru":
        values.append(normal(n_gates * units))
    values += [normal(batch, units) for _ in range(R.N_STATES[kind])]
    return values


def _backward(kind, **options):
    """build(g, xz, U, ...) = {kind}_scan_grad(g, {kind}_scan(xz, U, ...), xz, U, ...)."""
    forward = _scan(kind, **options)

    def build(g, *xs):
        record = forward(*xs)
        op = {"simple_rnn": R.simple_rnn_scan_grad, "lstm": R.lstm_scan_grad,
              "gru": R.gru_scan_grad}[kind]
        return op(g, record, *record.inputs, **record.attrs)
    return build


def _record_width(kind, reset_after=True):
    name = "gru_reset_before" if kind == "gru" and not reset_after else kind
    return len(R.RECORDS[name]) * 2


GRADIENT_CASES.update({
    "simple_rnn_scan": [
        case("tanh", _scan("simple_rnn"), *_scan_values("simple_rnn")),
        case("masked", _scan("simple_rnn", masked=True), *_scan_values("simple_rnn")),
        case("recurrent_dropout", _scan("simple_rnn", dropped=True),
             *_scan_values("simple_rnn")),
        case("relu", _scan("simple_rnn", activation="relu"), *_scan_values("simple_rnn")),
        case("linear_masked", _scan("simple_rnn", masked=True, activation="linear"),
             *_scan_values("simple_rnn")),
        case("one_step_one_unit_batch_one", _scan("simple_rnn"),
             *_scan_values("simple_rnn", batch=1, steps=1, units=1)),
    ],
    "lstm_scan": [
        case("tanh_sigmoid", _scan("lstm"), *_scan_values("lstm")),
        case("masked", _scan("lstm", masked=True), *_scan_values("lstm")),
        case("recurrent_dropout_masked", _scan("lstm", masked=True, dropped=True),
             *_scan_values("lstm")),
        case("hard_sigmoid", _scan("lstm", recurrent_activation="hard_sigmoid"),
             *_scan_values("lstm")),
        case("hard_sigmoid_keras2_relu",
             _scan("lstm", activation="relu", recurrent_activation="hard_sigmoid_keras2"),
             *_scan_values("lstm")),
        case("one_step", _scan("lstm"), *_scan_values("lstm", steps=1, units=1)),
    ],
    "gru_scan": [
        case("reset_after", _scan("gru"), *_scan_values("gru")),
        case("reset_before", _scan("gru", reset_after=False), *_scan_values("gru")),
        case("reset_after_masked_dropout", _scan("gru", masked=True, dropped=True),
             *_scan_values("gru")),
        case("reset_before_masked_dropout",
             _scan("gru", masked=True, dropped=True, reset_after=False),
             *_scan_values("gru")),
        case("sigmoid_linear", _scan("gru", activation="linear"), *_scan_values("gru")),
    ],
    # second derivatives of the scans, through their backward ops
    "simple_rnn_scan_grad": [
        case("tanh", _backward("simple_rnn"),
             normal(3, 4, _record_width("simple_rnn")), *_scan_values("simple_rnn")),
        case("masked_dropout", _backward("simple_rnn", masked=True, dropped=True),
             normal(3, 4, _record_width("simple_rnn")), *_scan_values("simple_rnn")),
    ],
    "lstm_scan_grad": [
        case("tanh_sigmoid", _backward("lstm"), normal(3, 4, _record_width("lstm")),
             *_scan_values("lstm")),
        case("masked_dropout", _backward("lstm", masked=True, dropped=True),
             normal(3, 4, _record_width("lstm")), *_scan_values("lstm")),
    ],
    "gru_scan_grad": [
        case("reset_after", _backward("gru"), normal(3, 4, _record_width("gru")),
             *_scan_values("gru")),
        case("reset_before_masked_dropout",
             _backward("gru", masked=True, dropped=True, reset_after=False),
             normal(3, 4, _record_width("gru", reset_after=False)), *_scan_values("gru")),
    ],
    "rnn_output": [
        case("previous_output", lambda h: R.rnn_output(h, _bool(RNN_MASK)), normal(3, 4, 2)),
        case("zero_output_for_mask",
             lambda h: R.rnn_output(h, _bool(RNN_MASK), zero_output_for_mask=True),
             normal(3, 4, 2)),
    ],
})
COMPOSITE_CASES.update({
    "go_backwards_lstm": [case("reverse_time", lambda xz, U, h0, c0: R.lstm_scan(
        R.reverse_time(xz), U, h0, c0, mask=R.reverse_time(_bool(RNN_MASK))),
        *_scan_values("lstm"))],
    "projected_sequence_gru": [case("x_W_b", lambda x, W, b, U, b_h, h0: R.gru_scan(
        R.project_sequence(x, W, b), U, b_h, h0), normal(3, 4, 5), normal(5, 6),
        normal(6), normal(2, 6), normal(6), normal(3, 2))],
})
# ============================================================ end of recurrent (issue 12)


def _flat(table):
    return [pytest.param(name, c, id=f"{name}-{c.id}")
            for name, cases in table.items() for c in cases]


def _op_names(*tensors) -> set[str]:
    return {n.op.name for n in topological_order(tensors) if n.op is not None}


def _check(c: Case) -> K.Tensor:
    """Run check_gradients on a case; return the output it built."""
    built = []

    def build(*xs):
        built.append(c.build(*xs))
        return built[-1]

    check_gradients(build, c.values, **c.check)
    return built[0]


@pytest.mark.parametrize("name, c", _flat(GRADIENT_CASES))
def test_op_gradient(name, c):
    out = _check(c)
    assert name in _op_names(out), f"case {c.id!r} does not use op {name!r}: fix the case"


@pytest.mark.parametrize("name, c", _flat(COMPOSITE_CASES))
def test_composite_gradient(name, c):
    _check(c)


def test_crossentropy_shortcuts_use_the_logits():
    """softmax -> crossentropy (sigmoid -> binary) goes back to the logits: no clip, no log."""
    t, z = K.placeholder((4, 3), dtype="float64"), K.placeholder((4, 3), dtype="float64")
    for loss in (K.categorical_crossentropy(t, K.softmax(z)),
                 K.sparse_categorical_crossentropy(int64([0, 1, 2, 0]), K.softmax(z)),
                 K.binary_crossentropy(t, K.sigmoid(z))):
        names = _op_names(loss)
        assert "clip" not in names and "log" not in names, sorted(names)
        assert "softmax" not in _op_names(*gradients(loss, [z]))
    assert "clip" in _op_names(K.categorical_crossentropy(t, K.softmax(z, axis=0)))


def test_cast_to_integers_passes_no_gradient():
    x = K.placeholder((2, 3), dtype="float64")
    loss = K.sum(K.cast(K.cast(x, "int32"), "float64") * x)
    (g,) = gradients(loss, [x])
    value = EIGHTHS
    np.testing.assert_array_equal(K.function([x], [g])([value])[0],
                                  np.trunc(value))  # only the direct factor x counts


# ---------------------------------------------------------------- kinks
ZEROS = np.zeros((2, 3))
SMOOTH_THROUGH_KINKS = {
    # composites that are smooth at 0 although some of their parts have a kink there
    "binary_crossentropy_from_logits": (
        lambda t, z: K.binary_crossentropy(t, z, from_logits=True), [EIGHTHS / 4, ZEROS]),
    "binary_crossentropy_sigmoid": (
        lambda t, z: K.binary_crossentropy(t, K.sigmoid(z)), [EIGHTHS / 4, ZEROS]),
    "softsign": (K.softsign, [ZEROS]),
    "elu_alpha=1": (K.elu, [ZEROS]),
}


@pytest.mark.parametrize("name", list(SMOOTH_THROUGH_KINKS))
def test_gradient_at_zero_of_smooth_composites(name):
    """The parts' choices at a kink must add up to the true slope (e.g. sigmoid(0) - t)."""
    build, values = SMOOTH_THROUGH_KINKS[name]
    check_gradients(build, values)


def _grads_at(build, *values):
    xs = [K.placeholder(np.shape(v), dtype="float64") for v in values]
    return K.function(xs, gradients(K.sum(build(*xs)), xs))([np.asarray(v) for v in values])


def test_conventions_at_kinks_and_ties():
    """Where there is no derivative, the rules pick one; these are the documented picks."""
    (g,) = _grads_at(K.max, np.array([1.0, 3.0, 3.0]))          # ties share the gradient
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.5])
    ga, gb = _grads_at(K.maximum, np.array([2.0, 1.0]), np.array([2.0, 0.0]))
    np.testing.assert_array_equal(ga, [1.0, 1.0])                 # ties go to the first
    np.testing.assert_array_equal(gb, [0.0, 0.0])
    (g,) = _grads_at(lambda x: K.relu(x) + K.abs(x), np.zeros(2))
    np.testing.assert_array_equal(g, [0.0, 0.0])
    (g,) = _grads_at(lambda x: K.clip(x, -1.0, 1.0), np.array([-1.0, 1.0, 1.5]))
    np.testing.assert_array_equal(g, [1.0, 1.0, 0.0])             # bounds are inside


# ---------------------------------------------------------------- ops without a gradient
NO_GRADIENT_CASES: dict[str, Callable] = {
    # op name: build(x) -> a tensor made through the op (x is a float64 (3, 4) placeholder)
    "argmax": lambda x: K.argmax(x, axis=-1),
    "argmin": lambda x: K.argmin(x, axis=0),
    "bernoulli_like": lambda x: ops.bernoulli_like(x, 0.5, seed=1, value=2.0),
    "check_ids": lambda x: ops.check_ids(K.argmax(x), 4, "a test"),
    "count": lambda x: ops.count(x, axis=0),
    "equal": lambda x: K.equal(x, 0.5),
    "not_equal": lambda x: K.not_equal(x, 0.5),
    "greater": lambda x: K.greater(x, 0.0),
    "greater_equal": lambda x: x >= 0.0,
    "less": lambda x: x < 0.0,
    "less_equal": lambda x: K.less_equal(x, 0.0),
    "logical_and": lambda x: K.logical_and(x > -1.0, x < 1.0),
    "logical_or": lambda x: K.logical_or(x < -1.0, x > 1.0),
    "logical_not": lambda x: K.logical_not(x > 0.0),
    "one_hot": lambda x: K.one_hot(K.argmax(x), 4, dtype="float64"),
    "ones_like": lambda x: K.ones_like(x),
    "zeros_like": lambda x: K.zeros_like(x),
    "random_normal": lambda x: K.random_normal((3, 4), dtype="float64", seed=2),
    "random_uniform": lambda x: K.random_uniform((3, 4), dtype="float64", seed=3),
    "sign": lambda x: K.sign(x),
    "stop_gradient": lambda x: K.stop_gradient(x),
}


@pytest.mark.parametrize("name", sorted(NO_GRADIENT_CASES))
def test_no_gradient_flows_through(name):
    """loss = sum(2 op(x)) + sum(x): the op's path adds nothing, so d loss/dx is all ones."""
    assert REGISTRY[name].grad is None
    x = K.placeholder((3, 4), dtype="float64")
    out = NO_GRADIENT_CASES[name](x)
    assert name in _op_names(out), f"the case for {name!r} does not use it"
    loss = K.sum(K.cast(out, "float64") * 2.0) + K.sum(x)
    (g,) = gradients(loss, [x])
    value = nonzero(3, 4)
    np.testing.assert_array_equal(K.function([x], [g])([value])[0], np.ones((3, 4)))


def test_gradient_of_an_unrelated_or_stopped_tensor_is_zeros():
    x = K.placeholder((2, 3), dtype="float64")
    y = K.placeholder((2, 3), dtype="float64")
    gx, gy = gradients(K.sum(K.stop_gradient(x) * y), [x, y])
    gx_val, gy_val = K.function([x, y], [gx, gy])([np.ones((2, 3)), np.ones((2, 3))])
    np.testing.assert_array_equal(gx_val, np.zeros((2, 3)))
    np.testing.assert_array_equal(gy_val, np.ones((2, 3)))


# ---------------------------------------------------------------- enforcement
def _import_all_op_modules():
    """Load every module of minikeras.ops (where all ops live), so the registry is full."""
    for info in pkgutil.walk_packages(ops.__path__, "minikeras.ops."):
        importlib.import_module(info.name)


def test_every_op_is_accounted_for():
    """A new op needs a gradient case (or a no-gradient case) here: this names what's missing."""
    _import_all_op_modules()
    differentiable = {name for name, op in REGISTRY.items() if op.differentiable}
    flat = set(REGISTRY) - differentiable
    missing = sorted(differentiable - set(GRADIENT_CASES))
    assert not missing, (f"ops with a backward rule but no case in GRADIENT_CASES "
                         f"(tests/test_gradients.py): {missing}")
    missing = sorted(flat - set(NO_GRADIENT_CASES))
    assert not missing, (f"ops without a backward rule and no case in NO_GRADIENT_CASES "
                         f"(tests/test_gradients.py): {missing}")
    wrong_table = sorted(set(GRADIENT_CASES) & flat) + sorted(set(NO_GRADIENT_CASES) &
                                                             differentiable)
    assert not wrong_table, f"ops listed in the wrong table: {wrong_table}"
    unknown = sorted((set(GRADIENT_CASES) | set(NO_GRADIENT_CASES)) - set(REGISTRY))
    assert not unknown, f"cases for ops that no longer exist: {unknown}"
    assert set(GRADIENT_CASES) | set(NO_GRADIENT_CASES) == set(REGISTRY)


# ---------------------------------------------------------------- second derivatives
def _grad_of_sum(f):
    """x -> d sum(f(x)) / dx, a graph that can be differentiated again."""
    return lambda x: gradients(K.sum(f(x)), [x])[0]


XENT_TARGET = np.eye(3)[[0, 2, 1, 1]]
SECOND_ORDER = {
    # name: (f, input values, closed-form diagonal of the Hessian or None)
    "cube": (lambda x: x ** 3, normal(3, 4), lambda x: 6 * x),
    "tanh": (K.tanh, normal(3, 4), lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    "sigmoid": (K.sigmoid, normal(3, 4, scale=2.0),
                lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s)),
    "softplus": (K.softplus, normal(3, 4), lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s)),
    "elu": (K.elu, nonzero(3, 4), lambda x: np.where(x > 0, 0.0, np.exp(x))),
    "exp_times_log": (lambda x: K.exp(x) * K.log(x), positive(3, 4), None),
    "softmax_crossentropy": (
        lambda z: K.categorical_crossentropy(f64(XENT_TARGET), K.softmax(z)),
        normal(4, 3, scale=2.0), None),
    "log_softmax_axis0": (lambda z: K.log_softmax(z, axis=0) * f64(XENT_TARGET),
                          normal(4, 3), None),
    "max_squared": (lambda x: K.square(K.max(x, axis=1)), distinct(3, 4), None),
    "gather_tile_pad": (lambda x: K.square(K.pad(K.tile(K.gather(x, [1, 1, 0]), (1, 2)),
                                                 ((1, 0), (0, 2)))), normal(2, 3), None),
    "slices_and_concat": (lambda x: K.concatenate([x[:, ::-1], x[1:]], axis=0) ** 3,
                          normal(3, 4), None),
    "broadcast_product": (lambda x: K.sum(x, axis=0) * x * K.mean(x, axis=1, keepdims=True),
                          normal(3, 4), None),
    "matmul_with_itself": (lambda x: x @ K.transpose(x) @ x, normal(3, 3), None),
    "batched_matmul_broadcast": (lambda x: K.matmul(K.reshape(x, (2, 3, 2)), x[:2, :3]),
                                 normal(3, 4), None),
    "softmax_weighted": (lambda z: K.softmax(z) * f64(XENT_TARGET + 0.5), normal(4, 3), None),
    "sigmoid_binary_crossentropy": (
        lambda z: K.binary_crossentropy(f64(XENT_TARGET), K.sigmoid(z)), normal(4, 3), None),
    "x_to_the_x": (lambda x: x ** x, positive(3, 4), None),
    "rational_sqrt": (lambda x: K.sqrt(x) / (1.0 + x * x), positive(3, 4), None),
    "prod_and_min": (lambda x: K.prod(x, axis=0) * K.min(x, axis=0),
                     nonzero(3, 4, low=0.5, high=1.5) + np.arange(12).reshape(3, 4) * 1e-2,
                     None),
    "var_std": (lambda x: K.var(x, axis=0) + K.std(x, axis=1, keepdims=True), normal(3, 4),
                None),
    "clip_abs_relu": (lambda x: K.clip(x, -1.0, 1.0) * K.abs(x) * K.relu(x) ** 2,
                      away_from([-1.0, 0.0, 1.0], 3, 4), None),
    # conv, then each of its gradient ops differentiated again: x and the kernel are cut
    # from one vector, so the Hessian covers both and their cross terms
    "conv2d_input_and_kernel": (
        lambda v: K.square(ops.conv(K.reshape(v[:40], (1, 5, 4, 2)),
                                    K.reshape(v[40:], (3, 2, 2, 3)), strides=(2, 1),
                                    padding="same")), normal(76), None),
    "conv1d_groups_causal": (
        lambda v: K.tanh(ops.conv(K.reshape(v[:24], (2, 6, 2)), K.reshape(v[24:], (2, 1, 4)),
                                  padding="causal", dilation_rate=2, groups=2)),
        normal(32), None),
    "conv_transpose_channels_first": (
        lambda v: K.square(ops.conv_transpose(
            K.reshape(v[:18], (1, 2, 3, 3)), K.reshape(v[18:], (2, 2, 3, 2)), (6, 5),
            strides=2, padding="same", data_format="channels_first")), normal(42), None),
    "max_pool_squared": (lambda x: K.square(ops.max_pool(x, 2, strides=1, padding="same")),
                         distinct(1, 4, 5, 2), None),
    "avg_pool_3d_times_input": (lambda x: ops.avg_pool(x, 2, padding="same") *
                                ops.avg_pool(K.square(x), 2, padding="same"),
                                normal(1, 3, 3, 3, 2), None),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_second_derivative(name):
    """Hessian-vector products (gradients of gradients) against differences of gradients.

    check_gradients on x -> grad f(x) compares d/dx sum(w * grad f) = H w with central
    differences of the first gradient.
    """
    f, value, diagonal = SECOND_ORDER[name]
    check_gradients(_grad_of_sum(f), [value])
    if diagonal is not None:  # elementwise f: the Hessian is diagonal, known in closed form
        x = K.placeholder(value.shape, dtype="float64")
        d2 = gradients(K.sum(_grad_of_sum(f)(x)), [x])[0]
        np.testing.assert_allclose(K.function([x], [d2])([value])[0], diagonal(value),
                                   rtol=1e-10, atol=1e-12)


def test_third_derivative_of_a_cube():
    x = K.placeholder((3,), dtype="float64")
    d1 = gradients(K.sum(x ** 3), [x])[0]
    d2 = gradients(K.sum(d1), [x])[0]
    d3 = gradients(K.sum(d2), [x])[0]
    out = K.function([x], [d1, d2, d3])([np.array([-1.0, 0.5, 2.0])])
    np.testing.assert_allclose(out[0], [3.0, 0.75, 12.0])
    np.testing.assert_allclose(out[1], [-6.0, 3.0, 12.0])
    np.testing.assert_allclose(out[2], [6.0, 6.0, 6.0])


def test_hessian_of_mlp_loss_wrt_one_weight():
    """The full 12x12 Hessian of a small MLP's loss wrt W1: symmetric, equal to the
    central differences of the first gradient, row by row."""
    rng = np.random.default_rng(7)
    data, labels = rng.normal(size=(6, 3)), [0, 2, 1, 1, 0, 2]
    b1, w2 = f64(rng.normal(size=4)), f64(rng.normal(size=(4, 3)))
    w1_value = rng.normal(size=(3, 4))
    w1 = K.placeholder((3, 4), dtype="float64", name="W1")
    hidden = K.tanh(K.dot(f64(data), w1) + b1)
    loss = K.mean(K.sparse_categorical_crossentropy(int64(labels), K.softmax(K.dot(hidden,
                                                                                   w2))))
    grad = gradients(loss, [w1])[0]
    flat = K.flatten(grad)
    rows = [K.flatten(gradients(flat[i], [w1])[0]) for i in range(12)]
    hessian = K.function([w1], [K.stack(rows)])([w1_value])[0]
    assert hessian.shape == (12, 12)
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-10, atol=1e-12)
    f_grad = K.function([w1], [flat])
    h = 1e-6
    numeric = np.empty((12, 12))
    for j in range(12):
        step = np.zeros(12)
        step[j] = h
        up = f_grad([w1_value + step.reshape(3, 4)])[0]
        down = f_grad([w1_value - step.reshape(3, 4)])[0]
        numeric[:, j] = (up - down) / (2 * h)
    np.testing.assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- broadcast gradient shapes
@pytest.mark.parametrize("b_shape, expected", [((3,), [5.0, 5.0, 5.0]),
                                               ((1, 3), [[5.0, 5.0, 5.0]]),
                                               ((), 15.0)])
def test_bias_gradient_sums_over_an_unknown_batch(b_shape, expected):
    x = K.placeholder(shape=(None, 3), dtype="float64")
    b = K.variable(np.zeros(b_shape), dtype="float64")
    (g,) = gradients(K.sum(x + b), [b])
    assert g.shape == b_shape
    out = K.function([x], [g])([np.ones((5, 3))])[0]
    assert out.shape == b_shape
    np.testing.assert_array_equal(out, expected)


def test_gradient_shapes_with_unknown_batch():
    x = K.placeholder(shape=(None, 3), dtype="float64")
    w = K.variable(np.ones((3, 2)), dtype="float64")
    scale = K.variable(np.full((1, 1), 2.0), dtype="float64")
    gx, gw, gs = gradients(K.sum(K.dot(x, w) * scale), [x, w, scale])
    assert gx.shape == (None, 3) and gw.shape == (3, 2) and gs.shape == (1, 1)
    x_value = np.arange(15.0).reshape(5, 3)
    out = K.function([x], [gx, gw, gs])([x_value])
    np.testing.assert_array_equal(out[0], np.full((5, 3), 4.0))
    np.testing.assert_array_equal(out[1], np.tile(2.0 * x_value.sum(axis=0)[:, None], 2))
    np.testing.assert_array_equal(out[2], [[x_value.sum() * 2.0]])


# ---------------------------------------------------------------- dropout
def test_dropout_gradient_uses_the_forward_mask():
    """The mask is drawn once per run: forward and gradient of that run agree on it."""
    x = K.placeholder((4, 50), dtype="float64")
    y = K.dropout(x, 0.4, seed=5)
    w = np.random.default_rng(1).uniform(0.5, 1.5, size=(4, 50))
    (g,) = gradients(K.sum(y * f64(w)), [x])
    f = K.function([x], [y, g])
    x_value = positive(4, 50)
    for _ in range(2):  # a fresh draw each run, each consistent with itself
        y_value, g_value = f([x_value])
        kept = y_value != 0
        assert 0 < kept.sum() < kept.size
        np.testing.assert_allclose(y_value, np.where(kept, x_value / 0.6, 0.0))
        np.testing.assert_allclose(g_value, np.where(kept, w / 0.6, 0.0))


class _SameDraw:
    """Stands in for a random node's generator so that every run draws the same numbers."""

    def __init__(self, seed):
        self.seed = seed

    def __getattr__(self, method):
        return getattr(np.random.default_rng(self.seed), method)


def test_dropout_gradient_check_with_a_frozen_mask():
    """Each run draws a new mask, so for central differences the mask is frozen."""
    def build(x):
        y = K.dropout(x, 0.5, seed=0)
        (mask,) = [n for n in topological_order([y]) if n.op is REGISTRY["bernoulli_like"]]
        mask.attrs["rng"] = _SameDraw(0)
        return K.tanh(y)
    check_gradients(build, [normal(3, 4)])
