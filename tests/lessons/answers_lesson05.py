"""Lesson 05: typical wrong answers -> the hint their check must give, and right answers."""

STUB = 'raise NotImplementedError("write your solution here")'

RECORDER = """
class LearningRateRecorder(mk.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.rates = []
"""
RATE = """
        opt = self.model.optimizer
        lr, decay = float(K.get_value(opt.lr)), float(K.get_value(opt.decay))
        t = int(K.get_value(opt.iterations))
"""
CHOICES = ('dict(units=128, activation="relu", dropout=0.1, scale_inputs=True, '
           'learning_rate=0.1, momentum=0.9, nesterov=True, batch_size=200, epochs=5)')


def choose(**changes):
    return f"def choose_hyperparameters():\n    return {{**{CHOICES}, **{changes!r}}}"


WRONG = [
    # ---- 5.1 one_hot
    ("5.1", "untouched stub", f"def one_hot(labels, n_classes):\n    {STUB}", "not written yet"),
    ("5.1", "transposed", ("def one_hot(labels, n_classes):\n"
     "    return (labels == np.arange(n_classes)[:, None]).astype(int)"), "the answer is transposed"),
    ("5.1", "always 10 classes", ("def one_hot(labels, n_classes):\n"
     "    return (np.arange(10) == labels[:, None]).astype(int)"), "not always 10"),
    ("5.1", "labels not a column", ("def one_hot(labels, n_classes):\n"
     "    return (np.arange(n_classes) == labels).astype(int)"), "labels must become a column"),
    ("5.1", "classes from 1", ("def one_hot(labels, n_classes):\n"
     "    return (np.arange(1, n_classes + 1) == labels[:, None]).astype(int)"),
     "the classes are numbered from 0"),
    ("5.1", "<= instead of ==", ("def one_hot(labels, n_classes):\n"
     "    return (np.arange(n_classes) <= labels[:, None]).astype(int)"), "you have several"),
    # ---- 5.2 decayed_learning_rate
    ("5.2", "untouched stub", f"def decayed_learning_rate(lr, decay, iterations):\n    {STUB}",
     "not written yet"),
    ("5.2", "(1 - decay) ** t", ("def decayed_learning_rate(lr, decay, iterations):\n"
     "    return lr * (1 - decay) ** np.asarray(iterations)"), "lr * (1 - decay) ** t"),
    ("5.2", "exp(-decay t)", ("def decayed_learning_rate(lr, decay, iterations):\n"
     "    return lr * np.exp(-decay * np.asarray(iterations))"), "lr * exp(-decay * t)"),
    ("5.2", "precedence", ("def decayed_learning_rate(lr, decay, iterations):\n"
     "    return lr / (1 + decay) * np.asarray(iterations)"), "operator precedence"),
    ("5.2", "t + 1", ("def decayed_learning_rate(lr, decay, iterations):\n"
     "    return lr / (1 + decay * (np.asarray(iterations) + 1))"), "do not add 1"),
    ("5.2", "multiplied", ("def decayed_learning_rate(lr, decay, iterations):\n"
     "    return lr * (1 + decay * np.asarray(iterations))"), "the rate must shrink"),
    ("5.2", "subtracted", ("def decayed_learning_rate(lr, decay, iterations):\n"
     "    return lr - decay * np.asarray(iterations)"), "a linear schedule"),
    ("5.2", "lr (1 - decay t)", ("def decayed_learning_rate(lr, decay, iterations):\n"
     "    return lr * (1 - decay * np.asarray(iterations))"), "that is lr * (1 - decay * t)"),
    # ---- 5.3 LearningRateRecorder
    ("5.3", "untouched stub", f"""
class LearningRateRecorder(mk.callbacks.Callback):
    def on_train_begin(self, logs=None):
        {STUB}
""", "not written yet"),
    ("5.3", "the starting rate only", RECORDER + """
    def on_train_batch_begin(self, batch, logs=None):
        self.rates.append(float(K.get_value(self.model.optimizer.lr)))
""", "the rates do not decay"),
    ("5.3", "recorded after the update", RECORDER + """
    def on_train_batch_end(self, batch, logs=None):""" + RATE + """
        self.rates.append(lr / (1 + decay * t))
""", "off by one update"),
    ("5.3", "once per epoch", RECORDER + """
    def on_epoch_begin(self, epoch, logs=None):""" + RATE + """
        self.rates.append(lr / (1 + decay * t))
""", "one entry per epoch"),
    ("5.3", "the list made once, in __init__", """
class LearningRateRecorder(mk.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.rates = []
    def on_train_batch_begin(self, batch, logs=None):""" + RATE + """
        self.rates.append(lr / (1 + decay * t))
""", "the rates of an earlier fit are still there"),
    ("5.3", "another attribute name", """
class LearningRateRecorder(mk.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.history = []
    def on_train_batch_begin(self, batch, logs=None):""" + RATE + """
        self.history.append(lr / (1 + decay * t))
""", "keep the rates in a list self.rates"),
    ("5.3", "arithmetic on the variables", RECORDER + """
    def on_train_batch_begin(self, batch, logs=None):
        opt = self.model.optimizer
        self.rates.append(opt.lr / (1 + opt.decay * K.cast(opt.iterations, "float32")))
""", "read the numbers out of the variables"),
    # ---- 5.4 accuracy
    ("5.4", "untouched stub", f"def accuracy(probabilities, labels):\n    {STUB}", "not written yet"),
    ("5.4", "argmax over axis 0", ("def accuracy(probabilities, labels):\n"
     "    return np.mean(probabilities.argmax(axis=0) == labels)"), "argmax over axis 0"),
    ("5.4", "a percentage", ("def accuracy(probabilities, labels):\n"
     "    return 100 * np.mean(probabilities.argmax(axis=1) == labels)"), "that is a percentage"),
    ("5.4", "a count", ("def accuracy(probabilities, labels):\n"
     "    return np.sum(probabilities.argmax(axis=1) == labels)"), "the number of right answers"),
    ("5.4", "the mean confidence", ("def accuracy(probabilities, labels):\n"
     "    return probabilities.max(axis=1).mean()"), "the mean confidence"),
    ("5.4", "the probability of the label", ("def accuracy(probabilities, labels):\n"
     "    return probabilities[np.arange(len(labels)), labels].mean()"),
     "the probability of the label is not an accuracy"),
    ("5.4", "one verdict per sample", ("def accuracy(probabilities, labels):\n"
     "    return probabilities.argmax(axis=1) == labels"), "return one number"),
    # ---- 5.5 confusion_matrix
    ("5.5", "untouched stub", f"def confusion_matrix(true, predicted, n_classes):\n    {STUB}",
     "not written yet"),
    ("5.5", "transposed", """
def confusion_matrix(true, predicted, n_classes):
    m = np.zeros((n_classes, n_classes), dtype=int)
    for t, p in zip(true, predicted):
        m[p, t] += 1
    return m
""", "rows and columns are swapped"),
    ("5.5", "sized by the classes seen", """
def confusion_matrix(true, predicted, n_classes):
    k = max(true.max(), predicted.max()) + 1
    m = np.zeros((k, k), dtype=int)
    for t, p in zip(true, predicted):
        m[t, p] += 1
    return m
""", "even when some classes never"),
    ("5.5", "fractions of all samples", """
def confusion_matrix(true, predicted, n_classes):
    m = np.zeros((n_classes, n_classes))
    for t, p in zip(true, predicted):
        m[t, p] += 1
    return m / len(true)
""", "count, do not normalise"),
    ("5.5", "rows normalised", """
def confusion_matrix(true, predicted, n_classes):
    m = np.zeros((n_classes, n_classes))
    for t, p in zip(true, predicted):
        m[t, p] += 1
    return m / np.maximum(m.sum(axis=1, keepdims=True), 1)
""", "each row normalised"),
    ("5.5", "the diagonal only", """
def confusion_matrix(true, predicted, n_classes):
    m = np.zeros((n_classes, n_classes), dtype=int)
    for t, p in zip(true, predicted):
        if t == p:
            m[t, p] += 1
    return m
""", "only the diagonal"),
    ("5.5", "fancy-indexed +=", """
def confusion_matrix(true, predicted, n_classes):
    m = np.zeros((n_classes, n_classes), dtype=int)
    m[true, predicted] += 1
    return m
""", "counts a repeated pair only once"),
    # ---- 5.6 choose_hyperparameters
    ("5.6", "untouched stub", f"def choose_hyperparameters():\n    {STUB}", "not written yet"),
    ("5.6", "a list", "def choose_hyperparameters():\n    return [128, 'relu', 0.1]",
     "return a dict with every setting"),
    ("5.6", "a setting missing", ("def choose_hyperparameters():\n"
     "    return {'units': 128, 'activation': 'relu', 'epochs': 5}"), "return a dict with every setting"),
    ("5.6", "too many epochs", choose(epochs=20), "at most 5 epochs"),
    ("5.6", "the seed's 500 units", choose(units=500), "at most 128 units"),
    ("5.6", "raw pixels, relu, lr 0.1", choose(scale_inputs=False), "training blew up"),
    ("5.6", "the seed's settings, cut to 128 units",
     choose(activation="tanh", scale_inputs=False, learning_rate=0.01, dropout=0.5),
     "the test accuracy is below 85%"),
]

RIGHT = [
    ("5.1", "np.eye", "def one_hot(labels, n_classes):\n    return np.eye(n_classes, dtype=int)[labels]"),
    ("5.1", "a loop", """
def one_hot(labels, n_classes):
    out = np.zeros((len(labels), n_classes), dtype=int)
    for i, label in enumerate(labels):
        out[i, label] = 1
    return out
"""),
    ("5.1", "to_categorical", ("def one_hot(labels, n_classes):\n"
     "    return mk.utils.to_categorical(labels, n_classes)")),
    ("5.2", "plain", ("def decayed_learning_rate(lr, decay, iterations):\n"
     "    return lr / (1 + decay * np.asarray(iterations))")),
    ("5.2", "as Keras 2 wrote it", ("def decayed_learning_rate(lr, decay, iterations):\n"
     "    return lr * (1. / (1. + decay * np.asarray(iterations, dtype='float64')))")),
    ("5.3", "Keras 3 names and iterations - 1 at the end", """
class LearningRateRecorder(mk.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.rates = []
    def on_train_batch_end(self, batch, logs=None):
        opt = self.model.optimizer
        done_before = int(K.get_value(opt.iterations)) - 1
        self.rates.append(decayed_learning_rate(float(K.get_value(opt.learning_rate)),
                                                opt.initial_decay, done_before))
"""),
    ("5.3", "the formula written out", RECORDER + """
    def on_train_batch_begin(self, batch, logs=None):""" + RATE + """
        self.rates.append(lr / (1.0 + decay * t))
"""),
    ("5.4", "count_nonzero", ("def accuracy(probabilities, labels):\n"
     "    return np.count_nonzero(np.argmax(probabilities, 1) == labels) / len(labels)")),
    ("5.4", "a loop", """
def accuracy(probabilities, labels):
    right = 0
    for row, label in zip(probabilities, labels):
        right += int(np.argmax(row) == label)
    return right / len(labels)
"""),
    ("5.5", "np.add.at", """
def confusion_matrix(true, predicted, n_classes):
    m = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(m, (true, predicted), 1)
    return m
"""),
    ("5.5", "bincount with minlength",
     ("def confusion_matrix(true, predicted, n_classes):\n"
     "    return np.bincount(true * n_classes + predicted, minlength=n_classes ** 2)"
     ".reshape(n_classes, n_classes)")),
    ("5.6", "tanh on scaled inputs", choose(activation="tanh", units=100, batch_size=100)),
    ("5.6", "64 units, more steps", choose(units=64, learning_rate=0.2, nesterov=False,
                                          batch_size=100, dropout=0.0)),
]
