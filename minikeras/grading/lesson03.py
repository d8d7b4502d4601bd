"""Checks of lesson 03 (symbolic graphs and reverse-mode autodiff): 3.1 to 3.5.

The running example is one neuron with a squared error, ``L = (tanh(w x + b) - y)^2``;
the references below are its derivatives written out in NumPy. The two backward-rule
exercises (3.3 a new op, 3.4 a broken rule to repair) put the learner's rule into an op
of its own (``ops.custom.define_op``), differentiate through it with ``K.gradients`` and
compare with the derivative computed here by hand (the tables in
``tests/lessons/answers_lesson03.py`` prove each hint is reached).

>>> import numpy as np
>>> EXERCISES[0].run(lambda w, b, x, y: (2 * (np.tanh(w * x + b) - y) *
...                  (1 - np.tanh(w * x + b) ** 2) * x,
...                  2 * (np.tanh(w * x + b) - y) * (1 - np.tanh(w * x + b) ** 2))).passed
True
"""
from __future__ import annotations

import numpy as np

from .exercise import Case, Exercise, Mistake, Rule, Uses

_rng = np.random.default_rng(3)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------- 3.1 the chain rule by hand
def chain_rule_by_hand(w, b, x, y):
    h = np.tanh(w * x + b)
    dz = 2.0 * (h - y) * (1.0 - h ** 2)
    return dz * x, dz


def _neuron(make):
    """A wrong answer written with z, h = tanh(z), the error r = h - y: make(z, h, r, x)."""
    def wrong(w, b, x, y):
        z = w * x + b
        h = np.tanh(z)
        return make(z, h, h - y, x)
    return wrong


NEURON_CASES = [  # by hand: z = 0.5, h = tanh(0.5) = 0.46212, dL/dz = 2 (h - 0.2)(1 - h^2)
    Case(0.5, -0.5, 2.0, 0.2, expected=(0.82456578, 0.41228289)),
    Case(-1.0, 0.3, 0.7, -0.9, note="a negative weight"),
    Case(2.0, 0.1, -1.5, 0.5, note="a saturated tanh (z = -2.9)"),
    Case(0.8, 0.0, 1.0, 0.9, note="b = 0"),
]

CHAIN_RULE = Exercise(
    "3.1", "chain_rule_by_hand", reference=chain_rule_by_hand, cases=NEURON_CASES,
    mistakes=[
        Mistake("the local derivative of tanh is missing: dL/dz = dL/dh * (1 - h^2)",
                _neuron(lambda z, h, r, x: (2 * r * x, 2 * r))),
        Mistake("tanh's derivative is 1 - tanh(z)^2 = 1 - h^2, the square of the OUTPUT h; "
                "you squared its input z", _neuron(lambda z, h, r, x: (
                    2 * r * (1 - z ** 2) * x, 2 * r * (1 - z ** 2)))),
        Mistake("tanh's derivative is 1 - h^2, not h (1 - h): that is sigmoid's",
                _neuron(lambda z, h, r, x: (2 * r * h * (1 - h) * x, 2 * r * h * (1 - h)))),
        Mistake("the factor 2 from the square is missing: d(r^2)/dr = 2 r",
                _neuron(lambda z, h, r, x: (r * (1 - h ** 2) * x, r * (1 - h ** 2)))),
        Mistake("the sign is flipped: r = h - y is prediction minus target, and d(r^2)/dh = "
                "+2 r", _neuron(lambda z, h, r, x: (-2 * r * (1 - h ** 2) * x,
                                                    -2 * r * (1 - h ** 2)))),
        Mistake("dL/dw needs the last link of the chain: dz/dw = x",
                _neuron(lambda z, h, r, x: (2 * r * (1 - h ** 2), 2 * r * (1 - h ** 2)))),
        Mistake("dL/db has no factor x: dz/db = 1",
                _neuron(lambda z, h, r, x: (2 * r * (1 - h ** 2) * x, 2 * r * (1 - h ** 2) * x))),
        Mistake("dw and db are swapped: return (dL/dw, dL/db)",
                _neuron(lambda z, h, r, x: (2 * r * (1 - h ** 2), 2 * r * (1 - h ** 2) * x))),
        Mistake("the derivatives were multiplied by the loss: the chain starts at dL/dr = 2 r, "
                "not at L", _neuron(lambda z, h, r, x: (2 * r ** 3 * (1 - h ** 2) * x,
                                                        2 * r ** 3 * (1 - h ** 2)))),
        Mistake("return both numbers, the pair (dL/dw, dL/db)",
                when=lambda got, w, b, x, y: np.ndim(got) == 0),
    ],
    steps="forward: z = w x + b, h = tanh(z), r = h - y. Backward, each link times the one "
          "before: dL/dr = 2 r; dL/dz = 2 r (1 - h^2); dL/dw = dL/dz * x; dL/db = dL/dz.")


# ---------------------------------------------------------------- 3.2 K.gradients
def _batch(w, b, x, y):
    h = np.tanh(w * x + b)
    return h, 2.0 * (h - y) * (1.0 - h ** 2) / len(x)   # dL/dz per sample, L the mean


def k_gradients(w, b, x, y):
    _, dz = _batch(w, b, x, y)
    return float(np.sum(dz * x)), float(np.sum(dz))


def input_gradient(w, b, x, y):
    _, dz = _batch(w, b, x, y)
    return dz * w


_X = _rng.uniform(-1.5, 1.5, size=12)
_Y = np.tanh(0.9 * _X - 0.2) + _rng.normal(0.0, 0.1, size=12)
BATCH_CASES = [  # several samples first: there, one number is not an answer
    Case(0.5, -0.5, np.array([2.0, -1.0, 0.5]), np.array([0.2, -0.4, 0.9]), note="3 samples"),
    Case(0.5, -0.5, np.array([2.0]), np.array([0.2]), note="one sample (exercise 3.1's)"),
    Case(-0.3, 0.2, _X, _Y, note="12 samples"),
]


def _batch_wrong(make):
    def wrong(w, b, x, y):
        h = np.tanh(w * x + b)
        return make(h, h - y, x, w, len(x))
    return wrong


_K_USES = Uses(gradients=True, runs=True,
               hint="the numbers are right, but they did not come from minikeras: build the "
                    "loss from placeholders (or constants) and variables, ask K.gradients, and "
                    "run the gradient graph (K.function or K.eval)")

K_GRADIENTS = Exercise(
    "3.2a", "k_gradients", reference=k_gradients, cases=BATCH_CASES, rtol=1e-4, atol=1e-6,
    mistakes=[
        Mistake("the loss is a sum over the samples: use the MEAN, K.mean(K.square(...))",
                _batch_wrong(lambda h, r, x, w, n: (np.sum(2 * r * (1 - h ** 2) * x),
                                                    np.sum(2 * r * (1 - h ** 2))))),
        Mistake("the loss has no tanh: the prediction is K.tanh(w * x + b)",
                lambda w, b, x, y: (np.mean(2 * (w * x + b - y) * x),
                                    np.mean(2 * (w * x + b - y)))),
        Mistake("the square is missing from the loss: K.mean(K.square(prediction - y))",
                _batch_wrong(lambda h, r, x, w, n: (np.mean((1 - h ** 2) * x),
                                                    np.mean(1 - h ** 2)))),
        Mistake("dw and db are swapped: K.gradients returns the gradients in the order of the "
                "list you give it, [w_var, b_var]",
                lambda w, b, x, y: k_gradients(w, b, x, y)[::-1]),
        Mistake("a K.function takes ONE argument, a list with one array per placeholder: "
                "f([x, y]), not f(x, y)", raises=TypeError, match="positional argument"),
        Mistake("K.function's inputs must be placeholders (the data you feed); w and b are "
                "variables, which the graph reads by itself",
                raises=TypeError, match="must be placeholders"),
    ],
    uses=_K_USES,
    steps="x_in = K.placeholder(shape=(None,)) and y_in; w_var = K.variable(w), b_var; "
          "loss = K.mean(K.square(K.tanh(w_var * x_in + b_var) - y_in)); "
          "dw, db = K.gradients(loss, [w_var, b_var]); run K.function([x_in, y_in], [dw, db]) "
          "on [x, y] and return the two values as floats.")

INPUT_GRADIENT = Exercise(
    "3.2b", "input_gradient", reference=input_gradient, cases=BATCH_CASES, rtol=1e-4,
    atol=1e-6,
    mistakes=[
        Mistake("K.gradients returns a LIST, even for a single tensor: take its element, "
                "(dx,) = K.gradients(loss, x_in)",
                when=lambda got, w, b, x, y: np.shape(got) == (1, len(x))),
        Mistake("that is the gradient with respect to w (or b), one number; this exercise "
                "asks for dL/dx, one number per sample: K.gradients(loss, x_in)",
                when=lambda got, w, b, x, y: np.size(got) == 1 and len(x) > 1),
        Mistake("the loss is a sum over the samples: use the MEAN, so that each sample's "
                "gradient carries 1/n",
                lambda w, b, x, y: input_gradient(w, b, x, y) * len(x)),
        Mistake("dL/dx_i needs the last link of the chain: dz/dx = w",
                lambda w, b, x, y: input_gradient(w, b, x, y) / w),
        Mistake("all zeros: that tensor is not in the loss's graph. Differentiate with "
                "respect to the very placeholder (or variable) the loss was built on",
                when=lambda got, w, b, x, y: np.allclose(got, 0.0) and
                not np.allclose(input_gradient(w, b, x, y), 0.0)),
        Mistake("K.gradients returns a list; K.eval wants one tensor: "
                "(dx,) = K.gradients(loss, x_in)",
                raises=AttributeError, match="'list' object has no attribute"),
        Mistake("a K.function takes ONE argument, a list with one array per placeholder: "
                "f([x, y]), not f(x, y)", raises=TypeError, match="positional argument"),
    ],
    uses=_K_USES,
    steps="x_in and y_in placeholders, w and b variables (or constants), the same mean "
          "loss; (dx,) = K.gradients(loss, x_in) with ONE tensor, not a list; return "
          "K.function([x_in, y_in], [dx])([x, y])[0].")


# ---------------------------------------------------------------- 3.3 a new op: swish
def swish_vjp(x, g):
    s = _sigmoid(x)
    return g * (s + x * s * (1.0 - s))


def _through_op(rule, forward, name, arrays, g):
    """d sum(g * op(*arrays)) / d arrays, with the learner's backward rule in the op."""
    from minikeras import backend as K
    from minikeras.ops import define_op
    from minikeras.ops.core import broadcasting
    op = define_op(name, forward, rule, infer=broadcasting)
    slots = [K.placeholder(shape=np.shape(a), dtype="float64") for a in arrays]
    loss = K.sum(op(*slots) * K.constant(g, dtype="float64"))
    grads = K.gradients(loss, slots)
    values = K.function(slots, grads)([np.asarray(a, dtype="float64") for a in arrays])
    return values[0] if len(values) == 1 else tuple(values)


def _swish_forward(x):
    return x * _sigmoid(x)


def _use_swish_rule(rule, x, g):
    return _through_op(rule, _swish_forward, "checked_swish", [x], g)


def _swish(make):
    def wrong(x, g):
        s = _sigmoid(x)
        return make(x, s, x * s, g)
    return wrong


def _passes_check_gradients(rule):
    from minikeras.autograd import check_gradients
    from minikeras.ops import define_op
    op = define_op("checked_swish", _swish_forward, rule)
    reports = check_gradients(op, [np.linspace(-5.0, 5.0, 11)], raise_on_error=False)
    return reports[0].ok or f"check_gradients disagrees with your rule: {reports[0]}"


_XS = np.array([-3.0, -1.0, -0.25, 0.0, 0.5, 2.0, 4.0])
SWISH = Exercise(
    "3.3", "swish_grad", reference=swish_vjp, call=_use_swish_rule, rtol=1e-6, atol=1e-9,
    cases=[Case(np.array([0.0, 2.0]), np.array([1.0, 1.0]),
                expected=np.array([0.5, 1.09078425]), note="x = 0 and 2, g = 1 (by hand)"),
           Case(_XS, _rng.uniform(0.5, 2.0, size=7), note="an incoming gradient g != 1"),
           Case(_rng.normal(size=(2, 3)), _rng.normal(size=(2, 3)), note="a matrix")],
    mistakes=[
        Mistake("the rule must return a LIST with one gradient per input of the op (swish "
                "has one): return [ ... ]", raises=TypeError, match="cannot be iterated"),
        Mistake("y and g are symbolic tensors (nodes of the graph): NumPy cannot compute with "
                "them. Write the rule with K functions (K.sigmoid, *, +)",
                raises=(TypeError, AttributeError), match=r"is symbolic|no attribute"),
        Mistake("the incoming gradient g must multiply the local derivative",
                _swish(lambda x, s, y, g: s + y * (1.0 - s))),
        Mistake("the product rule is missing a term: swish(x) = x * s(x), so its derivative "
                "is s(x) + x * s'(x), and s'(x) = s (1 - s)",
                _swish(lambda x, s, y, g: g * s)),
        Mistake("the product rule is missing a term: swish(x) = x * s(x), so its derivative "
                "is s(x) + x * s'(x), and s'(x) = s (1 - s)",
                _swish(lambda x, s, y, g: g * x * s * (1.0 - s))),
        Mistake("that is sigmoid's rule, y (1 - y), applied to swish's output; swish's "
                "derivative is s + x s (1 - s) with s = sigmoid(x)",
                _swish(lambda x, s, y, g: g * y * (1.0 - y))),
        Mistake("s is the sigmoid of the op's INPUT x = y.inputs[0], not of its output y",
                _swish(lambda x, s, y, g: g * (_sigmoid(y) + y * (1.0 - _sigmoid(y))))),
        Mistake("the derivative of the sigmoid is s (1 - s), not (1 - s)",
                _swish(lambda x, s, y, g: g * (s + x * (1.0 - s)))),
    ],
    rules=[Rule("check_gradients disagrees with your rule", _passes_check_gradients)],
    steps="x = y.inputs[0]; s = K.sigmoid(x); the derivative of x * s is s + x * s * (1 - s) "
          "= s + y * (1 - s); return [g * (s + y * (1.0 - s))].")


# ---------------------------------------------------------------- 3.4 repair a broken rule
def _sum_to(g, shape):
    """Sum g over the axes broadcasting added or stretched, back to ``shape``."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g


def _flat(da, db):
    """Both gradients in one vector (they may have different shapes)."""
    return np.concatenate([np.ravel(da), np.ravel(db)])


def hypot_vjp(a, b, g):
    h = np.hypot(a, b)
    return _flat(_sum_to(g * a / h, np.shape(a)), _sum_to(g * b / h, np.shape(b)))


class _WrongShapes(ValueError):
    """A gradient that does not have the shape of its input."""


def _use_hypot_rule(rule, a, b, g):
    da, db = _through_op(rule, np.hypot, "checked_hypot", [a, b], g)
    if np.shape(da) != np.shape(a) or np.shape(db) != np.shape(b):
        raise _WrongShapes(f"gradient shapes {np.shape(da)} and {np.shape(db)} for inputs of "
                           f"shapes {np.shape(a)} and {np.shape(b)}")
    return _flat(da, db)


def _hypot(make):
    """A wrong rule, by what it gives before summing: make(a, b, h, g) -> (da, db)."""
    def wrong(a, b, g):
        h = np.hypot(a, b)
        da, db = make(a, b, h, g)
        return _flat(_sum_to(np.broadcast_to(da, h.shape), np.shape(a)),
                     _sum_to(np.broadcast_to(db, h.shape), np.shape(b)))
    return wrong


HYPOT = Exercise(
    "3.4", "hypot_grad", reference=hypot_vjp, call=_use_hypot_rule, rtol=1e-6, atol=1e-9,
    cases=[Case(np.array([3.0, 1.0]), np.array([4.0, 1.0]), np.array([1.0, 1.0]),
                expected=np.array([0.6, 0.70710678, 0.8, 0.70710678]),
                note="a = [3, 1], b = [4, 1], g = 1 (by hand)"),
           Case(_rng.uniform(0.5, 2.0, size=(2, 3)), _rng.uniform(-2.0, -0.5, size=(2, 3)),
                _rng.uniform(0.5, 1.5, size=(2, 3)), note="two matrices"),
           Case(_rng.uniform(0.5, 2.0, size=(3, 2)), _rng.uniform(0.5, 2.0, size=(2,)),
                _rng.uniform(0.5, 1.5, size=(3, 2)), note="b of shape (2,), broadcast"),
           Case(_rng.uniform(-2.0, -0.5, size=(2, 1)), _rng.uniform(0.5, 2.0, size=(2, 3)),
                _rng.uniform(0.5, 1.5, size=(2, 3)), note="a of shape (2, 1), broadcast")],
    mistakes=[
        Mistake("the bug is still there: the gradient for b uses a. d hypot(a, b) / db = "
                "b / hypot(a, b), so b's gradient is g * b / y",
                _hypot(lambda a, b, h, g: (g * a / h, g * a / h))),
        Mistake("a gradient must have the shape of its input: where an input was broadcast, "
                "sum the gradient back to its shape with unbroadcast(gradient, input)",
                raises=_WrongShapes),
        Mistake("the list is in the order of the op's inputs: first a's gradient, then b's",
                _hypot(lambda a, b, h, g: (g * b / h, g * a / h))),
        Mistake("the incoming gradient g must multiply both local derivatives",
                _hypot(lambda a, b, h, g: (a / h, b / h))),
        Mistake("upside down: d hypot / da = a / hypot(a, b), not hypot / a",
                _hypot(lambda a, b, h, g: (g * h / a, g * h / b))),
        Mistake("the sign of b's gradient is flipped (b / hypot, no minus)",
                _hypot(lambda a, b, h, g: (g * a / h, -g * b / h))),
        Mistake("return one gradient per input, [gradient for a, gradient for b]: with only "
                "one, b gets no gradient at all",
                _hypot(lambda a, b, h, g: (g * a / h, 0.0 * h))),
        Mistake("the rule must return a LIST with one gradient per input: return [da, db]",
                raises=TypeError, match="cannot be iterated"),
    ],
    steps="a, b = y.inputs; return [unbroadcast(g * a / y, a), unbroadcast(g * b / y, b)] "
          "(y is hypot(a, b) itself).")


# ---------------------------------------------------------------- 3.5 one training step
def training_path(w, b, lr, x, y, steps):
    """(loss before the step, w after, b after) for each step of gradient descent."""
    rows = []
    for _ in range(steps):
        h = np.tanh(w * x + b)
        loss = np.mean((h - y) ** 2)
        dz = 2.0 * (h - y) * (1.0 - h ** 2) / len(x)
        w, b = w - lr * np.sum(dz * x), b - lr * np.sum(dz)
        rows.append((loss, w, b))
    return np.array(rows)


def _run_steps(make_train_step, w, b, lr, x, y, steps):
    from minikeras import backend as K
    w_var, b_var = K.variable(w, name="w"), K.variable(b, name="b")
    step = make_train_step(w_var, b_var, lr)
    if not callable(step):
        raise _NotAFunction(step)
    rows = []
    for _ in range(steps):
        out = step([x, y])
        loss = out[0] if isinstance(out, (list, tuple)) else out
        rows.append((float(np.asarray(loss)), float(K.get_value(w_var)),
                     float(K.get_value(b_var))))
    return np.array(rows)


class _NotAFunction(TypeError):
    def __init__(self, got):
        super().__init__(f"make_train_step returned {type(got).__name__}, not a function")


def _path(update):
    """A wrong training step, by its update: update(w, b, lr, dw, db) -> (new w, new b)."""
    def wrong(w, b, lr, x, y, steps):
        rows = []
        for _ in range(steps):
            h = np.tanh(w * x + b)
            loss = np.mean((h - y) ** 2)
            dz = 2.0 * (h - y) * (1.0 - h ** 2) / len(x)
            w, b = update(w, b, lr, np.sum(dz * x), np.sum(dz))
            rows.append((loss, w, b))
        return np.array(rows)
    return wrong


_XT = _rng.uniform(-1.0, 1.0, size=16)
_YT = np.tanh(1.2 * _XT + 0.3)
TRAIN_STEP = Exercise(
    "3.5", "make_train_step", reference=training_path, call=_run_steps, rtol=1e-4, atol=1e-6,
    cases=[Case(0.5, -0.5, 0.1, np.array([2.0]), np.array([0.2]), 1,
                expected=np.array([[0.06870540, 0.41754342, -0.54122829]]),
                note="one step on exercise 3.1's sample"),
           Case(0.0, 0.0, 0.5, _XT, _YT, 3, note="3 steps on 16 samples"),
           Case(-0.4, 0.8, 0.05, _XT[:5], _YT[:5], 4, note="4 small steps")],
    mistakes=[
        Mistake("make_train_step must RETURN the compiled function (return K.function(...)), "
                "not call it", raises=_NotAFunction),
        Mistake("the variables did not change: give K.function its updates, "
                "updates=[(w, new_w), (b, new_b)] (or K.update(w, new_w))",
                _path(lambda w, b, lr, dw, db: (w, b))),
        Mistake("you went uphill: the new value is w - lr * dw",
                _path(lambda w, b, lr, dw, db: (w + lr * dw, b + lr * db))),
        Mistake("the learning rate is missing: the step is lr * gradient",
                _path(lambda w, b, lr, dw, db: (w - dw, b - db))),
        Mistake("only w is updated: b needs its update pair too",
                _path(lambda w, b, lr, dw, db: (w - lr * dw, b))),
        Mistake("only b is updated: w needs its update pair too",
                _path(lambda w, b, lr, dw, db: (w, b - lr * db))),
        Mistake("the gradients are swapped: w moves with dL/dw, b with dL/db",
                _path(lambda w, b, lr, dw, db: (w - lr * db, b - lr * dw))),
        Mistake("the inputs of the function are the placeholders of the data, in the order "
                "it is fed: K.function([x_in, y_in], [loss], updates=...)",
                raises=(TypeError, ValueError),
                match="must be placeholders|input arrays|was not given a value"),
        Mistake("the function's first output must be the loss: K.function([x_in, y_in], "
                "[loss], updates=...)",
                when=lambda got, w, b, lr, x, y, steps: np.shape(got) == (steps, 3) and
                np.allclose(got[:, 1:], training_path(w, b, lr, x, y, steps)[:, 1:],
                            rtol=1e-4, atol=1e-6)),
    ],
    uses=Uses(gradients=True, runs=True,
              hint="build the step from K.gradients of the loss (or an optimizer's "
                   "get_updates) and run it as a K.function"),
    steps="x_in, y_in = K.placeholder(shape=(None,)), K.placeholder(shape=(None,)); "
          "loss = K.mean(K.square(K.tanh(w * x_in + b) - y_in)); dw, db = K.gradients(loss, "
          "[w, b]); return K.function([x_in, y_in], [loss], updates=[(w, w - lr * dw), "
          "(b, b - lr * db)]).")


EXERCISES = [CHAIN_RULE, K_GRADIENTS, INPUT_GRADIENT, SWISH, HYPOT, TRAIN_STEP]
