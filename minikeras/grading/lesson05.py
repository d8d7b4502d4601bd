"""Checks of lesson 05 (the seed's MNIST MLP): 5.1 to 5.6.

One-hot labels, Keras 2's learning-rate decay, a callback that records the rate each
update used (the extension), accuracy from ``predict``, a confusion matrix, and a choice
of hyper-parameters that must beat a given accuracy on a small MNIST subset within a
fixed compute budget. References are NumPy; the exercise that trains (5.6) trains a
seeded model, so its verdict does not depend on the machine or on its load.

>>> import numpy as np
>>> EXERCISES[0].run(lambda labels, n: np.eye(n)[labels]).passed
True
"""
from __future__ import annotations

import numpy as np

from .exercise import Case, Exercise, Mistake

_rng = np.random.default_rng(5)


# ---------------------------------------------------------------- 5.1 one-hot
def one_hot(labels, n_classes):
    return (np.arange(n_classes) == labels[:, None]).astype(int)


ONE_HOT = Exercise(
    "5.1", "one_hot", reference=one_hot,
    cases=[Case(np.array([5, 0, 4, 1]), 10, note="the first four MNIST labels"),
           Case(np.array([2, 0, 1]), 3, expected=np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]]),
                note="3 labels, 3 classes (a square answer)"),
           Case(np.array([1, 1]), 4, note="4 classes, one never used"),
           Case(_rng.integers(0, 10, size=7), 10, note="7 labels")],
    mistakes=[
        Mistake("the answer is transposed: one ROW per label, one column per class, so "
                "compare labels[:, None] (a column) with np.arange(n_classes) (a row)",
                lambda labels, n: one_hot(labels, n).T),
        Mistake("the number of classes is the argument n_classes, not always 10",
                when=lambda got, labels, n: n != 10 and np.shape(got) == (len(labels), 10)),
        Mistake("labels must become a column, labels[:, None], so that broadcasting compares "
                "every label with every class", raises=ValueError,
                match="could not be broadcast|operands"),
        Mistake("the classes are numbered from 0: np.arange(n_classes), not 1..n_classes",
                lambda labels, n: (np.arange(1, n + 1) == labels[:, None]).astype(int)),
        Mistake("labels[:, None] == np.arange(...) gives True/False; that is right, but a "
                "one-hot row holds exactly one 1: you have several",
                when=lambda got, labels, n: np.shape(got) == (len(labels), n) and
                np.any(np.sum(got, axis=1) != 1)),
    ],
    steps="labels[:, None] has shape (n, 1), np.arange(n_classes) shape (n_classes,); "
          "comparing them broadcasts to (n, n_classes): (np.arange(n_classes) == "
          "labels[:, None]).astype(int).")


# ---------------------------------------------------------------- 5.2 learning-rate decay
def decayed_learning_rate(lr, decay, iterations):
    return lr / (1.0 + decay * np.asarray(iterations, dtype=float))


DECAY = Exercise(
    "5.2", "decayed_learning_rate", reference=decayed_learning_rate, rtol=1e-9, atol=1e-12,
    cases=[Case(0.01, 1e-6, 0, expected=0.01, note="the first update"),
           Case(0.1, 0.5, 4, expected=0.1 / 3.0, note="decay 0.5 after 4 updates"),
           Case(0.01, 1e-6, 10500, note="the seed, after 50 epochs of 210 updates"),
           Case(0.2, 0.01, np.arange(5), note="an array of update counts"),
           Case(0.05, 0.0, 1000, note="no decay")],
    mistakes=[
        Mistake("that is exponential decay, lr * (1 - decay) ** t; Keras 2's decay is "
                "time-based: lr / (1 + decay * t)",
                lambda lr, d, t: lr * (1.0 - d) ** np.asarray(t, dtype=float)),
        Mistake("that is exponential decay, lr * exp(-decay * t); Keras 2's decay is "
                "time-based: lr / (1 + decay * t)",
                lambda lr, d, t: lr * np.exp(-d * np.asarray(t, dtype=float))),
        Mistake("operator precedence: lr / (1 + decay) * t is not lr / (1 + decay * t)",
                lambda lr, d, t: lr / (1.0 + d) * np.asarray(t, dtype=float)),
        Mistake("iterations counts the updates done BEFORE this one: the first update (0 done) "
                "uses lr itself, so do not add 1",
                lambda lr, d, t: lr / (1.0 + d * (np.asarray(t, dtype=float) + 1))),
        Mistake("the rate must shrink: divide by (1 + decay * t), do not multiply",
                lambda lr, d, t: lr * (1.0 + d * np.asarray(t, dtype=float))),
        Mistake("that subtracts decay * t from lr (a linear schedule, which even goes "
                "negative); Keras 2 divides: lr / (1 + decay * t)",
                lambda lr, d, t: lr - d * np.asarray(t, dtype=float)),
        Mistake("that is lr * (1 - decay * t); Keras 2 divides: lr / (1 + decay * t)",
                lambda lr, d, t: lr * (1.0 - d * np.asarray(t, dtype=float))),
    ],
    steps="lr_t = lr / (1 + decay * iterations), where iterations is the number of updates "
          "done so far (0 for the first); it works for an array of iterations too.")


# ---------------------------------------------------------------- 5.3 a callback (extension)
def recorded_rates(lr, decay, n_samples, batch_size, epochs):
    steps = -(-n_samples // batch_size) * epochs
    return decayed_learning_rate(lr, decay, np.arange(steps))


def _fit_with(cls, lr, decay, n_samples, batch_size, epochs):
    from minikeras.layers import Dense, Input
    from minikeras.models import Sequential
    from minikeras.optimizers import SGD
    from minikeras.rng import set_seed
    set_seed(0)
    x = np.random.default_rng(0).normal(size=(n_samples, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = Sequential([Input(shape=(3,)), Dense(1)])
    model.compile(optimizer=SGD(lr=lr, decay=decay, momentum=0.9), loss="mse")
    recorder = cls()
    model.fit(x[:5], y[:5], batch_size=5, epochs=1, verbose=0, callbacks=[recorder])
    model = Sequential([Input(shape=(3,)), Dense(1)])     # a second, fresh run
    model.compile(optimizer=SGD(lr=lr, decay=decay, momentum=0.9), loss="mse")
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[recorder])
    rates = getattr(recorder, "rates", None)
    if rates is None:
        raise AttributeError("the callback has no attribute 'rates'")
    return np.array([float(np.asarray(r)) for r in rates])


def _rates_wrong(make):
    def wrong(lr, decay, n_samples, batch_size, epochs):
        steps = -(-n_samples // batch_size) * epochs
        return make(lr, decay, np.arange(steps), steps // epochs)
    return wrong


RECORDER = Exercise(
    "5.3", "class LearningRateRecorder", reference=recorded_rates, call=_fit_with,
    needs={"decayed_learning_rate": decayed_learning_rate}, rtol=1e-5, atol=1e-9,
    cases=[Case(0.1, 0.05, 40, 8, 2, note="lr 0.1, decay 0.05, 5 updates per epoch, 2 epochs"),
           Case(0.01, 1e-3, 30, 4, 1, note="8 updates, the last one shorter"),
           Case(0.2, 0.0, 12, 6, 3, note="no decay")],
    mistakes=[
        Mistake("the rates do not decay: the optimizer's learning_rate (lr) variable holds "
                "the starting rate; the rate an update uses is lr / (1 + decay * iterations) "
                "(your decayed_learning_rate), with the optimizer's iterations",
                _rates_wrong(lambda lr, d, t, per: np.full(len(t), lr))),
        Mistake("off by one update: at on_train_batch_end the optimizer has already counted "
                "this update (iterations went up by one). Record in on_train_batch_begin, or "
                "use iterations - 1",
                _rates_wrong(lambda lr, d, t, per: lr / (1.0 + d * (t + 1)))),
        Mistake("one entry per epoch: record in a BATCH hook (on_train_batch_begin), every "
                "update has its own rate",
                when=lambda got, lr, d, n, bs, epochs: np.ndim(got) == 1 and len(got) == epochs
                and epochs != -(-n // bs) * epochs),
        Mistake("the rates of an earlier fit are still there: start a new list in "
                "on_train_begin", when=lambda got, lr, d, n, bs, epochs: np.ndim(got) == 1 and
                len(got) == -(-n // bs) * epochs + 1),
        Mistake("keep the rates in a list self.rates (start it in on_train_begin)",
                raises=AttributeError, match="no attribute 'rates'"),
        Mistake("read the numbers out of the variables with K.get_value(...) (or float(...) "
                "of it): the optimizer's lr, decay and iterations are variables, and "
                "arithmetic on them builds graph nodes, not numbers",
                raises=(TypeError, ValueError), match="symbolic|could not convert"),
    ],
    steps="on_train_begin(self, logs=None): self.rates = []. on_train_batch_begin(self, "
          "batch, logs=None): opt = self.model.optimizer; lr = float(K.get_value(opt.lr)); "
          "decay = float(K.get_value(opt.decay)); t = int(K.get_value(opt.iterations)); "
          "self.rates.append(decayed_learning_rate(lr, decay, t)).")


# ---------------------------------------------------------------- 5.4 accuracy
def accuracy(probabilities, labels):
    return float(np.mean(np.argmax(probabilities, axis=1) == labels))


def _probabilities(n, k, seed):
    p = np.random.default_rng(seed).uniform(size=(n, k))
    return p / p.sum(axis=1, keepdims=True)


_P = _probabilities(12, 10, 1)
_L = np.random.default_rng(2).integers(0, 10, size=12)
_L[:4] = np.argmax(_P[:4], axis=1)           # a few right ones
ACCURACY = Exercise(
    "5.4", "accuracy", reference=accuracy,
    cases=[Case(np.array([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5],
                          [0.3, 0.4, 0.3]]), np.array([1, 0, 1, 1]), expected=0.75,
                note="4 samples, 3 classes (by hand)"),
           Case(_P, _L, note="12 samples, 10 classes"),
           Case(_probabilities(10, 10, 3), np.argmax(_probabilities(10, 10, 3), axis=1),
                expected=1.0, note="all right (a square array)")],
    mistakes=[
        Mistake("argmax over axis 0 picks, for each CLASS, the sample that likes it most; "
                "each sample's prediction is the argmax over the classes, axis=1",
                raises=ValueError, match="broadcast"),
        Mistake("that is a percentage: return the fraction of right answers (0.75, not 75)",
                lambda p, labels: 100.0 * accuracy(p, labels)),
        Mistake("that is the number of right answers: divide by the number of samples (or "
                "take the mean)", lambda p, labels: float(np.sum(np.argmax(p, 1) == labels))),
        Mistake("that is the mean confidence (the largest probability), not the fraction of "
                "samples whose most likely class is their label",
                lambda p, labels: float(np.mean(np.max(p, axis=1)))),
        Mistake("compare the predicted CLASS (the argmax of each row) with the label; the "
                "probability of the label is not an accuracy",
                lambda p, labels: float(np.mean(p[np.arange(len(labels)), labels]))),
        Mistake("return one number, the fraction of samples predicted right",
                when=lambda got, p, labels: np.ndim(got) > 0 and np.size(got) > 1),
    ],
    steps="predicted = np.argmax(probabilities, axis=1) (one class per sample); return "
          "np.mean(predicted == labels).")


# ---------------------------------------------------------------- 5.5 confusion matrix
def confusion_matrix(true, predicted, n_classes):
    m = np.zeros((n_classes, n_classes), dtype=int)
    for t, p in zip(true, predicted):
        m[t, p] += 1
    return m


_T = np.random.default_rng(6).integers(0, 4, size=30)
_Q = np.where(np.random.default_rng(7).uniform(size=30) < 0.7, _T,
              np.random.default_rng(8).integers(0, 4, size=30))
CONFUSION = Exercise(
    "5.5", "confusion_matrix", reference=confusion_matrix,
    cases=[Case(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 3,
                expected=np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]]),
                note="6 samples, 3 classes (by hand)"),
           Case(_T, _Q, 4, note="30 samples, 4 classes"),
           Case(np.array([0, 1, 1]), np.array([0, 1, 1]), 5,
                note="5 classes, some never seen nor predicted"),
           Case(np.array([3, 3]), np.array([1, 1]), 4, note="all wrong")],
    mistakes=[
        Mistake("rows and columns are swapped: row i is the TRUE class i, column j the "
                "PREDICTED class j", lambda t, p, n: confusion_matrix(t, p, n).T),
        Mistake("the matrix must be n_classes x n_classes even when some classes never "
                "appear (np.bincount needs minlength, np.unique finds only the classes "
                "present)", when=lambda got, t, p, n: np.ndim(got) == 2 and
                np.shape(got)[0] < n),
        Mistake("count, do not normalise: each cell is a number of samples",
                lambda t, p, n: confusion_matrix(t, p, n) / max(len(t), 1)),
        Mistake("each row normalised: the check wants counts, not fractions",
                lambda t, p, n: confusion_matrix(t, p, n) /
                np.maximum(confusion_matrix(t, p, n).sum(axis=1, keepdims=True), 1)),
        Mistake("only the diagonal (the right answers) was counted; the mistakes go off the "
                "diagonal, at [true, predicted]",
                lambda t, p, n: np.diag(np.diag(confusion_matrix(t, p, n)))),
        Mistake("matrix[true, predicted] += 1 inside a loop counts repeats; with NumPy "
                "fancy indexing, m[t, p] += 1 counts a repeated pair only once "
                "(np.add.at(m, (t, p), 1) counts them all)",
                lambda t, p, n: _once_each(t, p, n)),
    ],
    steps="m = np.zeros((n_classes, n_classes), int); for each pair (t, p): m[t, p] += 1 "
          "(or np.add.at(m, (true, predicted), 1)); row = true class, column = predicted.")


def _once_each(t, p, n):
    m = np.zeros((n, n), dtype=int)
    m[t, p] += 1
    return m


# ---------------------------------------------------------------- 5.6 hyper-parameters
N_TRAIN, N_TEST, TARGET = 2000, 1000, 0.85
MAX_EPOCHS, MAX_UNITS = 5, 128
KEYS = ("units", "activation", "dropout", "scale_inputs", "learning_rate", "momentum",
        "nesterov", "batch_size", "epochs")


class _Budget(ValueError):
    """The choices are outside the compute budget, or incomplete."""


def _check_choices(choices):
    if not isinstance(choices, dict):
        raise _Budget(f"not a dict: {type(choices).__name__}")
    missing = [k for k in KEYS if k not in choices]
    if missing:
        raise _Budget(f"missing {missing}")
    if not 1 <= int(choices["epochs"]) <= MAX_EPOCHS:
        raise _Budget(f"epochs {choices['epochs']}")
    if not 1 <= int(choices["units"]) <= MAX_UNITS:
        raise _Budget(f"units {choices['units']}")


def subset_accuracy(choices_fn):
    """Train the two-hidden-layer MLP the choices describe; its accuracy on the test subset."""
    from minikeras.datasets import mnist
    from minikeras.layers import Dense, Dropout, Input
    from minikeras.models import Sequential
    from minikeras.optimizers import SGD
    from minikeras.rng import set_seed
    c = choices_fn()
    _check_choices(c)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    scale = 255.0 if c["scale_inputs"] else 1.0
    x = x_train[:N_TRAIN].reshape(N_TRAIN, 784).astype("float32") / scale
    x_val = x_test[:N_TEST].reshape(N_TEST, 784).astype("float32") / scale
    y = one_hot(y_train[:N_TRAIN].astype(int), 10)
    set_seed(0)
    units, act, rate = int(c["units"]), c["activation"], float(c["dropout"])
    model = Sequential([Input(shape=(784,)), Dense(units, activation=act), Dropout(rate),
                        Dense(units, activation=act), Dropout(rate),
                        Dense(10, activation="softmax")])
    model.compile(loss="categorical_crossentropy",
                  optimizer=SGD(learning_rate=c["learning_rate"], momentum=c["momentum"],
                                nesterov=bool(c["nesterov"])))
    with np.errstate(all="ignore"):
        losses = model.fit(x, y, batch_size=int(c["batch_size"]), epochs=int(c["epochs"]),
                           verbose=0).history["loss"]
        p = model.predict(x_val, verbose=0)
    # blew up: the loss left the range a 10-class crossentropy starts in (log 10 = 2.3)
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(losses))) or max(losses) > 50.0:
        return float("nan")
    return accuracy(p, y_test[:N_TEST])


def _clipped(choices_fn):
    """The target when it is beaten (so that every winning choice 'equals' it), else the
    accuracy reached (NaN when training blew up)."""
    got = subset_accuracy(choices_fn)
    return got if np.isnan(got) or got < TARGET else TARGET


HYPERPARAMETERS = Exercise(
    "5.6", "choose_hyperparameters", reference=lambda: TARGET, call=_clipped,
    cases=[Case(note=f"training on {N_TRAIN} digits, testing on {N_TEST}")],
    rtol=0.0, atol=0.0,
    mistakes=[
        Mistake("return a dict with every setting: " + ", ".join(KEYS),
                raises=_Budget, match="not a dict|missing"),
        Mistake(f"over the budget: at most {MAX_EPOCHS} epochs", raises=_Budget,
                match="epochs"),
        Mistake(f"over the budget: at most {MAX_UNITS} units per hidden layer",
                raises=_Budget, match="units"),
        Mistake("training blew up (the loss exploded, then the relu units died): raw pixels "
                "(0-255) make the activations and the gradients far too large for this "
                "learning rate. Scale the inputs to [0, 1] (scale_inputs=True), or lower the "
                "learning rate",
                when=lambda got: np.isnan(got)),
        Mistake(f"the test accuracy is below {TARGET:.0%}. Which of the lesson's fixes did "
                "you use? Scale the inputs to [0, 1]; relu trains faster than tanh; with only "
                "a few epochs, a larger learning rate or smaller batches make more progress "
                "(subset_accuracy(choose_hyperparameters) shows the accuracy reached)",
                when=lambda got: not np.isnan(got) and got < TARGET),
    ],
    steps=f"for example: units=128, activation='relu', dropout=0.2, scale_inputs=True, "
          f"learning_rate=0.05, momentum=0.9, nesterov=True, batch_size=64, epochs=5 "
          f"(the check trains on {N_TRAIN} digits and tests on {N_TEST}).")


EXERCISES = [ONE_HOT, DECAY, RECORDER, ACCURACY, CONFUSION, HYPERPARAMETERS]
