"""Checks of lesson 02 (batch, stochastic and mini-batch gradient descent): 2.1 to 2.7.

References are plain NumPy. Exercises that call an earlier one (``sgd_step`` and
``gradient_spread`` call ``mse_gradient``) get the reference version of it while they are
checked (``needs=``), so one wrong answer never makes a later right one fail.

>>> EXERCISES[3].run(lambda n, batch_size: -(-n // batch_size)).passed
True
"""
from __future__ import annotations

import math

import numpy as np

from .exercise import Case, Exercise, Mistake, Rule, Uses

_rng = np.random.default_rng(2)
_X = _rng.uniform(-1.0, 2.0, size=20)
_Y = 1.5 * _X - 1.0 + _rng.normal(0.0, 0.5, size=20)


# ---------------------------------------------------------------- 2.1 mse_gradient
def mse_gradient(w, b, x, y):
    r = w * x + b - y
    return 2.0 * np.mean(r * x), 2.0 * np.mean(r)


def _pair(make):
    """A wrong answer written with the residual r (and n): make(r, x, n) -> (dw, db)."""
    def wrong(w, b, x, y):
        return make(w * x + b - y, x, len(x))
    return wrong


GRADIENT_CASES = [  # the 4-sample case first: there, n - 1 and n / 2 differ from 1 and n
    Case(0.5, -0.25, np.array([-1.0, 0.0, 2.0, 4.0]), np.array([0.0, 1.0, 1.0, -1.0]),
         expected=(5.625, 0.25)),
    Case(0.0, 0.0, np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]),
         expected=(-28 / 3, -4.0)),
    Case(2.0, 1.0, np.array([1.0, 2.0]), np.array([3.0, 3.0]), expected=(4.0, 2.0)),
    Case(-1.5, 2.0, _X, _Y, note="20 samples"),
]

MSE_GRADIENT = Exercise(
    "2.1", "mse_gradient", reference=mse_gradient, cases=GRADIENT_CASES,
    mistakes=[
        Mistake("the factor 2 from differentiating the square is missing",
                _pair(lambda r, x, n: (np.mean(r * x), np.mean(r)))),
        Mistake("dw lacks the factor 2 from differentiating the square (db has it)",
                _pair(lambda r, x, n: (np.mean(r * x), 2 * np.mean(r)))),
        Mistake("db lacks the factor 2 from differentiating the square (dw has it)",
                _pair(lambda r, x, n: (2 * np.mean(r * x), np.mean(r)))),
        Mistake("you summed over the samples instead of averaging: the loss is a MEAN, so "
                "divide by n (np.mean)",
                _pair(lambda r, x, n: (2 * np.sum(r * x), 2 * np.sum(r)))),
        Mistake("dw sums over the samples but db averages: average both (np.mean)",
                _pair(lambda r, x, n: (2 * np.sum(r * x), 2 * np.mean(r)))),
        Mistake("you summed instead of averaging AND left out the factor 2",
                _pair(lambda r, x, n: (np.sum(r * x), np.sum(r)))),
        Mistake("you divided by n - 1; the mean divides by n, the number of samples",
                _pair(lambda r, x, n: (2 * np.sum(r * x) / (n - 1), 2 * np.sum(r) / (n - 1)))),
        Mistake("the sign is flipped: this is the direction that goes uphill. Use the error "
                "r = (w * x + b) - y, prediction minus target",
                _pair(lambda r, x, n: (-2 * np.mean(r * x), -2 * np.mean(r)))),
        Mistake("dw needs the extra factor x_i (chain rule through w * x_i)",
                _pair(lambda r, x, n: (2 * np.mean(r), 2 * np.mean(r)))),
        Mistake("dw is the mean of the products r_i * x_i, not the product of the means",
                _pair(lambda r, x, n: (2 * np.mean(r) * np.mean(x), 2 * np.mean(r)))),
        Mistake("dw and db are swapped: return (dw, db)",
                _pair(lambda r, x, n: (2 * np.mean(r), 2 * np.mean(r * x)))),
        Mistake("you returned one value per sample: average over the samples (np.mean)",
                when=lambda got, w, b, x, y: np.shape(got) in ((2, len(x)), (len(x), 2))),
        Mistake("return both numbers, as the pair (dw, db)",
                when=lambda got, w, b, x, y: np.ndim(got) == 0),
    ],
    steps="r = w * x + b - y (one error per sample); dw = 2 * np.mean(r * x); "
          "db = 2 * np.mean(r); return dw, db.")


# ---------------------------------------------------------------- 2.2 sgd_step
def sgd_step(w, b, x, y, lr):
    dw, db = mse_gradient(w, b, x, y)
    return w - lr * dw, b - lr * db


def _step(make):
    def wrong(w, b, x, y, lr):
        dw, db = mse_gradient(w, b, x, y)
        return make(w, b, dw, db, lr)
    return wrong


def _gradient_at_new_w(w, b, x, y, lr):
    w_new = w - lr * mse_gradient(w, b, x, y)[0]
    return w_new, b - lr * mse_gradient(w_new, b, x, y)[1]


SGD_STEP = Exercise(
    "2.2", "sgd_step", reference=sgd_step, needs={"mse_gradient": mse_gradient},
    cases=[Case(0.0, 0.0, np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 0.1,
                expected=(14 / 15, 0.4)),
           Case(2.0, 1.0, np.array([1.0, 2.0]), np.array([3.0, 3.0]), 0.25, expected=(1.0, 0.5)),
           Case(0.5, -0.25, np.array([-1.0, 0.0, 2.0, 4.0]), np.array([0.0, 1.0, 1.0, -1.0]),
                0.01, expected=(0.44375, -0.2525))],
    mistakes=[
        Mistake("you went uphill: subtract lr * gradient, do not add it",
                _step(lambda w, b, dw, db, lr: (w + lr * dw, b + lr * db))),
        Mistake("the learning rate is missing: the step is lr * gradient",
                _step(lambda w, b, dw, db, lr: (w - dw, b - db))),
        Mistake("you divided the gradient by the learning rate; multiply: w - lr * dw",
                _step(lambda w, b, dw, db, lr: (w - dw / lr, b - db / lr))),
        Mistake("return the NEW parameters (w - lr * dw, b - lr * db), not just the change",
                _step(lambda w, b, dw, db, lr: (-lr * dw, -lr * db))),
        Mistake("that is the gradient itself; return the new parameters after the step",
                _step(lambda w, b, dw, db, lr: (dw, db))),
        Mistake("b must be updated too", _step(lambda w, b, dw, db, lr: (w - lr * dw, b))),
        Mistake("w must be updated too", _step(lambda w, b, dw, db, lr: (w, b - lr * db))),
        Mistake("compute the gradient once, at the old (w, b), and update both from it; you "
                "computed db after w had already moved", _gradient_at_new_w),
    ],
    steps="dw, db = mse_gradient(w, b, x, y); return w - lr * dw, b - lr * db.")


# ---------------------------------------------------------------- 2.3 iterate_minibatches
def iterate_minibatches(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


def batch_sizes(n, batch_size, seed):
    return [min(batch_size, n - start) for start in range(0, n, batch_size)]


def _sizes_of(fn, n, batch_size, seed):
    """The batch sizes, largest first (an epoch may visit its batches in any order)."""
    return sorted((len(idx) for idx in fn(n, batch_size, np.random.default_rng(seed))),
                  reverse=True)


def _epoch(fn, n=50, batch_size=8, rng=None):
    rng = np.random.default_rng(7) if rng is None else rng
    return [np.asarray(idx) for idx in fn(n, batch_size, rng)]


def _each_once(fn):
    return np.array_equal(np.sort(np.concatenate(_epoch(fn))), np.arange(50))


def _shuffled(fn):
    return not np.array_equal(np.concatenate(_epoch(fn)), np.arange(50))


def _not_fixed_blocks(fn):
    batches = _epoch(fn)
    blocks = [set(range(s, min(s + 8, 50))) for s in range(0, 50, 8)]
    return not all(set(b.tolist()) in blocks for b in batches)


def _reproducible(fn):
    return np.array_equal(np.concatenate(_epoch(fn)), np.concatenate(_epoch(fn)))


def _new_order_each_epoch(fn):
    rng = np.random.default_rng(3)
    first, second = np.concatenate(_epoch(fn, rng=rng)), np.concatenate(_epoch(fn, rng=rng))
    return not np.array_equal(first, second)


MINIBATCHES = Exercise(
    "2.3", "iterate_minibatches", reference=batch_sizes, call=_sizes_of,
    cases=[Case(200, 32, 0, expected=[32] * 6 + [8]), Case(10, 3, 1, expected=[3, 3, 3, 1]),
           Case(8, 4, 2, expected=[4, 4]), Case(5, 10, 3, note="one short batch"),
           Case(7, 1, 4, note="batches of one")],
    mistakes=[
        Mistake("the last, shorter batch is missing: keep the leftover n % batch_size samples as "
                "a final batch (range(0, n, batch_size) does this)",
                lambda n, bs, seed: [bs] * (n // bs)),
        Mistake("each batch is one sample short: order[start:start + batch_size] already stops "
                "just before start + batch_size",
                lambda n, bs, seed: [len(range(s, min(s + bs - 1, n))) for s in range(0, n, bs)]),
        Mistake("each batch is one sample too long, so batches overlap: use "
                "order[start:start + batch_size]",
                lambda n, bs, seed: [len(range(s, min(s + bs + 1, n))) for s in range(0, n, bs)]),
        Mistake("rng.shuffle(array) shuffles the array in place and returns None; shuffle, then "
                "use the array (or take order = rng.permutation(n))",
                raises=TypeError, match="'NoneType' object is not subscriptable"),
        Mistake("the function returned None: return the list of index arrays",
                raises=TypeError, match="'NoneType' object is not iterable"),
    ],
    rules=[
        Rule("every index 0..n-1 must appear exactly once per epoch (rng.permutation(n) gives "
             "each index once; rng.choice or rng.integers can repeat some)", _each_once),
        Rule("the batches are not shuffled: draw a random order with rng.permutation(n) "
             "first, otherwise every epoch sees the same batches in the same order", _shuffled),
        Rule("each batch always holds the same samples (0-7, 8-15, ...), only mixed inside or "
             "visited in another order. Shuffle ALL the indices first, then cut the order into "
             "batches", _not_fixed_blocks),
        Rule("the same seed gave different batches: use the rng argument (rng.permutation), "
             "not np.random.permutation, so that runs are reproducible", _reproducible),
        Rule("two epochs with the same generator gave the same batches: every epoch must draw "
             "a new order from the rng you are given (a new np.random.default_rng(0), or a "
             "seed, inside the function restarts the same order every time)",
             _new_order_each_epoch),
    ],
    steps="order = rng.permutation(n); return [order[start:start + batch_size] for start in "
          "range(0, n, batch_size)].")


# ---------------------------------------------------------------- 2.4 updates_per_epoch
def updates_per_epoch(n, batch_size):
    return -(-n // batch_size)


UPDATES = Exercise(
    "2.4", "updates_per_epoch", reference=updates_per_epoch,
    cases=[Case(200, 32, expected=7), Case(200, 50, expected=4), Case(200, 200, expected=1),
           Case(200, 1), Case(10, 32, note="a batch larger than the data"), Case(60000, 128),
           Case(60000, 90)],
    mistakes=[
        Mistake("rounding down (n // batch_size, int(n / batch_size), or round() when the "
                "fraction is below one half) forgets the shorter last batch: round up with "
                "math.ceil(n / batch_size)", lambda n, bs: n // bs),
        Mistake("an update count is a whole number: round n / batch_size up with math.ceil",
                lambda n, bs: n / bs),
        Mistake("n // batch_size + 1 counts one batch too many when batch_size divides n "
                "exactly: use math.ceil(n / batch_size)", lambda n, bs: n // bs + 1),
        Mistake("the division is upside down: it is n / batch_size",
                lambda n, bs: math.ceil(bs / n)),
    ],
    rules=[Rule("return an int (math.ceil gives one; np.ceil gives a float such as 7.0)",
                lambda fn: isinstance(fn(200, 32), (int, np.integer)))],
    steps="one update per batch, the shorter last batch included: math.ceil(n / batch_size).")


# ---------------------------------------------------------------- 2.5 keras_gradient
KERAS_GRADIENT = Exercise(
    "2.5", "keras_gradient", reference=mse_gradient, cases=GRADIENT_CASES, rtol=1e-4,
    atol=1e-5,
    mistakes=[
        Mistake("the loss used K.sum: the MSE is a mean, use K.mean",
                _pair(lambda r, x, n: (2 * np.sum(r * x), 2 * np.sum(r)))),
        Mistake("the square is missing from the loss: K.mean(K.square(prediction - target))",
                lambda w, b, x, y: (np.mean(x), 1.0)),
        Mistake("dw and db are swapped: ask for K.gradients(loss, [w_var, b_var]) in that order",
                _pair(lambda r, x, n: (2 * np.mean(r), 2 * np.mean(r * x)))),
        Mistake("a K.function takes ONE argument, a list with one array per placeholder: "
                "f([x, y]), not f(x, y)", raises=TypeError, match="positional argument"),
        Mistake("feed the function a list with one array per placeholder, in the order of "
                "K.function's inputs: f([x, y])", raises=ValueError, match="input arrays"),
        Mistake("the placeholders' shapes must fit the data: x and y are 1-D, of any length, "
                "so shape=(None,)", raises=ValueError, match="expects shape"),
        Mistake("K.function's inputs must be placeholders (the data you feed); w and b are "
                "variables, which the graph reads by itself",
                raises=TypeError, match="must be placeholders"),
        Mistake("K.gradients returns a LIST, one gradient per variable, even for a single "
                "variable: (dw,) = K.gradients(loss, w_var), or ask for both at once",
                raises=AttributeError, match="'list' object has no attribute"),
    ],
    uses=Uses(gradients=True, runs=True,
              hint="the numbers are right, but they did not come from minikeras: build the loss "
                   "from placeholders and variables, ask K.gradients for dw and db, and run "
                   "them with a K.function (mse_gradient or NumPy formulas do not count here)"),
    steps="x_in = K.placeholder(shape=(None,)) (and y_in); w_var = K.variable(w) (and b_var); "
          "loss = K.mean(K.square(w_var * x_in + b_var - y_in)); dw, db = K.gradients(loss, "
          "[w_var, b_var]); values = K.function([x_in, y_in], [dw, db])([x, y]); return the "
          "two values as floats.")


# ---------------------------------------------------------------- 2.6 gradient_spread
def gradient_spread(w, b, x, y, batches):
    full = np.array(mse_gradient(w, b, x, y))
    grads = np.array([mse_gradient(w, b, x[idx], y[idx]) for idx in batches])
    return float(np.sqrt(np.mean(np.sum((grads - full) ** 2, axis=1))))


def _spread(make):
    def wrong(w, b, x, y, batches):
        full = np.array(mse_gradient(w, b, x, y))
        grads = np.array([mse_gradient(w, b, x[idx], y[idx]) for idx in batches])
        return make(grads, full)
    return wrong


_X6 = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0])
_Y6 = np.array([0.0, 1.0, -0.5, 2.0, 1.0, 4.0])

SPREAD = Exercise(
    "2.6", "gradient_spread", reference=gradient_spread, needs={"mse_gradient": mse_gradient},
    cases=[Case(0.0, 0.0, np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 1.0, 2.0, 2.0]),
                np.array([[0, 1], [2, 3]]), expected=5.5901699437),
           Case(1.0, -1.0, _X6, _Y6, np.array([[0, 1], [2, 5], [3, 4], [1, 2]]),
                expected=3.1269438399),
           Case(0.5, 0.5, _X6, _Y6, np.array([[5], [0], [2]]), expected=6.7870638800),
           Case(1.0, -1.0, _X6, _Y6, np.array([[0, 1, 2, 3, 4, 5]]), expected=0.0,
                note="one batch holding every sample")],
    mistakes=[
        Mistake("the square root is missing: that is the mean squared distance",
                _spread(lambda g, f: np.mean(np.sum((g - f) ** 2, axis=1)))),
        Mistake("take the root of the MEAN of the squared distances, not the mean of the "
                "distances", _spread(lambda g, f: np.mean(np.sqrt(np.sum((g - f) ** 2, 1))))),
        Mistake("measure the distance to the FULL gradient (all samples), not to the average "
                "of the batch gradients",
                _spread(lambda g, f: np.sqrt(np.mean(np.sum((g - g.mean(0)) ** 2, axis=1))))),
        Mistake("include both components: d_w ** 2 + d_b ** 2",
                _spread(lambda g, f: np.sqrt(np.mean((g[:, 0] - f[0]) ** 2)))),
        Mistake("average the squared distances over the k batches (np.mean), do not add them "
                "up", _spread(lambda g, f: np.sqrt(np.sum((g - f) ** 2)))),
        Mistake("each ROW of batches is one mini-batch (for idx in batches); you went through "
                "the columns",
                lambda w, b, x, y, batches: gradient_spread(w, b, x, y, batches.T)),
        Mistake("index x and y with the same idx: the batch is (x[idx], y[idx])",
                raises=ValueError, match="broadcast"),
    ],
    steps="full = np.array(mse_gradient(w, b, x, y)); for each row idx of batches, "
          "d = np.array(mse_gradient(w, b, x[idx], y[idx])) - full and its squared length "
          "(d ** 2).sum(); return the square root of the mean of those.")


# ---------------------------------------------------------------- 2.7 an optimizer
def decayed_descent(learning_rate, decay_rate, steps, start, target):
    """The path of w under w <- w - lr_t * 2 (w - target), lr_t = lr / (1 + decay t)."""
    w, path = np.array(start, dtype=float), []
    for t in range(steps):
        w = w - learning_rate / (1.0 + decay_rate * t) * 2.0 * (w - target)
        path.append(w.copy())
    return np.array(path)


def _train_with(cls, learning_rate, decay_rate, steps, start, target):
    from minikeras import backend as K
    w = K.variable(start)
    loss = K.sum(K.square(w - K.constant(target)))
    optimizer = cls(learning_rate=learning_rate, decay_rate=decay_rate)
    step = K.function([], [], updates=optimizer.get_updates(loss, [w]))
    path = []
    for _ in range(steps):
        step([])
        path.append(K.get_value(w))
    return np.array(path)


def _path(rate):
    """A wrong answer given by its learning rate at step t: rate(lr, decay, t)."""
    def wrong(learning_rate, decay_rate, steps, start, target):
        w, path = np.array(start, dtype=float), []
        for t in range(steps):
            w = w - rate(learning_rate, decay_rate, t) * 2.0 * (w - target)
            path.append(w.copy())
        return np.array(path)
    return wrong


DECAY_SGD = Exercise(
    "2.7", "class DecaySGD", reference=decayed_descent, call=_train_with, rtol=1e-4, atol=1e-5,
    cases=[Case(0.1, 0.5, 4, [1.0, -2.0], [0.0, 0.0], note="decay_rate=0.5"),
           Case(0.2, 0.0, 3, [3.0], [1.0], note="decay_rate=0 (plain SGD)"),
           Case(0.05, 2.0, 5, [[1.0, 2.0], [-1.0, 0.5]], [[0.0, 1.0], [1.0, 1.0]],
                note="a matrix, strong decay")],
    mistakes=[
        Mistake("the steps do not shrink: multiply the learning rate by 1 / (1 + decay_rate * "
                "t) inside update_step, with t = K.cast(self.iterations, 'float32'): the "
                "variable, not K.get_value of it (that freezes it at 0 when the graph is "
                "built), and cast (a Python float times an integer tensor stays an integer)",
                _path(lambda lr, d, t: lr)),
        Mistake("the first step must use the full learning rate: self.iterations counts the "
                "steps done BEFORE this one (0 at the first step), so do not add 1",
                _path(lambda lr, d, t: lr / (1.0 + d * (t + 1)))),
        Mistake("that is exponential decay (lr * (1 - decay_rate) ** t); this optimizer uses "
                "time decay, lr / (1 + decay_rate * t)", _path(lambda lr, d, t: lr * (1 - d) ** t)),
        Mistake("operator precedence: lr / (1 + decay_rate) * t is not lr / (1 + decay_rate * t)",
                _path(lambda lr, d, t: lr / (1.0 + d) * t)),
        Mistake("the learning rate grows: divide by (1 + decay_rate * t), do not multiply",
                _path(lambda lr, d, t: lr * (1.0 + d * t))),
        Mistake("you went uphill: the new value is variable - lr_t * gradient",
                _path(lambda lr, d, t: -lr / (1.0 + d * t))),
        Mistake("update_step returns a LIST of (variable, new_value) pairs: "
                "return [(variable, new_value)]", raises=TypeError, match="cannot be iterated"),
        Mistake("the constructor must accept learning_rate and decay_rate: "
                "def __init__(self, learning_rate=0.01, decay_rate=0.0, **kwargs)",
                raises=TypeError, match=r"unexpected keyword argument.*\b(learning_rate|decay_rate)\b"),
    ],
    rules=[
        Rule("get_config() must include decay_rate, so that a saved model can re-create the "
             "optimizer: return {**super().get_config(), 'decay_rate': self.decay_rate}",
             lambda cls: cls(learning_rate=0.1, decay_rate=0.25).get_config().get(
                 "decay_rate") == 0.25),
    ],
    steps="in __init__(self, learning_rate=0.01, decay_rate=0.0, **kwargs): "
          "super().__init__(learning_rate, **kwargs); self.decay_rate = decay_rate. In "
          "update_step(self, gradient, variable, learning_rate): t = K.cast(self.iterations, "
          "'float32'); lr_t = learning_rate / (1.0 + self.decay_rate * t); return "
          "[(variable, variable - lr_t * gradient)].")


EXERCISES = [MSE_GRADIENT, SGD_STEP, MINIBATCHES, UPDATES, KERAS_GRADIENT, SPREAD, DECAY_SGD]
