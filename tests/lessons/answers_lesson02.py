"""Lesson 02: typical wrong answers -> the hint their check must give, and right answers.

Rows whose code defines a wrong earlier exercise next to a right later one prove that
hints do not cascade (the check uses its own reference of the earlier exercise).
"""

STUB = 'raise NotImplementedError("write your solution here")'

GRAD = "def mse_gradient(w, b, x, y):\n    r = w * x + b - y\n"
STEP = "def sgd_step(w, b, x, y, lr):\n    dw, db = mse_gradient(w, b, x, y)\n"
KERAS = """
def keras_gradient(w, b, x, y):
    x_in, y_in = K.placeholder(shape=(None,)), K.placeholder(shape=(None,))
    w_var, b_var = K.variable(w), K.variable(b)
"""
SPREAD = """
def gradient_spread(w, b, x, y, batches):
    full = np.array(mse_gradient(w, b, x, y))
    grads = np.array([mse_gradient(w, b, x[idx], y[idx]) for idx in batches])
"""
OPTIMIZER = """
class DecaySGD(mk.optimizers.Optimizer):
    def __init__(self, learning_rate=0.01, decay_rate=0.0, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.decay_rate = decay_rate
    def get_config(self):
        return {**super().get_config(), "decay_rate": self.decay_rate}
    def update_step(self, gradient, variable, learning_rate):
        t = K.cast(self.iterations, "float32")
"""

WRONG = [
    # ---- 2.1 mse_gradient
    ("2.1", "untouched stub", f"def mse_gradient(w, b, x, y):\n    {STUB}", "not written yet"),
    ("2.1", "no factor 2", GRAD + "    return np.mean(r * x), np.mean(r)",
     "the factor 2 from differentiating the square is missing"),
    ("2.1", "factor 2 on db only", GRAD + "    return np.mean(r * x), 2 * np.mean(r)",
     "dw lacks the factor 2"),
    ("2.1", "factor 2 on dw only", GRAD + "    return 2 * np.mean(r * x), np.mean(r)",
     "db lacks the factor 2"),
    ("2.1", "sums", GRAD + "    return 2 * np.sum(r * x), 2 * np.sum(r)",
     "summed over the samples instead of averaging"),
    ("2.1", "dw sums", GRAD + "    return 2 * np.dot(r, x), 2 * np.mean(r)",
     "dw sums over the samples but db averages"),
    ("2.1", "sums, no 2", GRAD + "    return np.sum(r * x), np.sum(r)",
     "summed instead of averaging AND left out the factor 2"),
    ("2.1", "n - 1", GRAD + "    n = len(x)\n    return 2 * np.sum(r * x) / (n - 1), 2 * np.sum(r) / (n - 1)",
     "divided by n - 1"),
    ("2.1", "target minus prediction",
     "def mse_gradient(w, b, x, y):\n    r = y - (w * x + b)\n    return 2 * np.mean(r * x), 2 * np.mean(r)",
     "the sign is flipped"),
    ("2.1", "no x in dw", GRAD + "    return 2 * np.mean(r), 2 * np.mean(r)",
     "dw needs the extra factor x_i"),
    ("2.1", "product of means", GRAD + "    return 2 * np.mean(r) * np.mean(x), 2 * np.mean(r)",
     "not the product of the means"),
    ("2.1", "swapped", GRAD + "    return 2 * np.mean(r), 2 * np.mean(r * x)", "dw and db are swapped"),
    ("2.1", "no mean at all", GRAD + "    return 2 * r * x, 2 * r", "one value per sample"),
    ("2.1", "dw only", GRAD + "    return 2 * np.mean(r * x)", "as the pair (dw, db)"),
    # ---- 2.2 sgd_step
    ("2.2", "uphill", STEP + "    return w + lr * dw, b + lr * db", "you went uphill"),
    ("2.2", "no learning rate", STEP + "    return w - dw, b - db", "the learning rate is missing"),
    ("2.2", "divided by lr", STEP + "    return w - dw / lr, b - db / lr", "divided the gradient"),
    ("2.2", "the change only", STEP + "    return -lr * dw, -lr * db", "not just the change"),
    ("2.2", "the gradient", STEP + "    return dw, db", "that is the gradient itself"),
    ("2.2", "b forgotten", STEP + "    return w - lr * dw, b", "b must be updated too"),
    ("2.2", "w forgotten", STEP + "    return w, b - lr * db", "w must be updated too"),
    ("2.2", "db after w moved", """
def sgd_step(w, b, x, y, lr):
    w = w - lr * mse_gradient(w, b, x, y)[0]
    b = b - lr * mse_gradient(w, b, x, y)[1]
    return w, b
""", "you computed db after w had already moved"),
    # ---- 2.3 iterate_minibatches
    ("2.3", "last batch dropped", """
def iterate_minibatches(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i * batch_size:(i + 1) * batch_size] for i in range(n // batch_size)]
""", "the last, shorter batch is missing"),
    ("2.3", "one short", """
def iterate_minibatches(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[s:s + batch_size - 1] for s in range(0, n, batch_size)]
""", "each batch is one sample short"),
    ("2.3", "one too many", """
def iterate_minibatches(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[s:s + batch_size + 1] for s in range(0, n, batch_size)]
""", "each batch is one sample too long"),
    ("2.3", "rng.shuffle returns None", """
def iterate_minibatches(n, batch_size, rng):
    order = rng.shuffle(np.arange(n))
    return [order[s:s + batch_size] for s in range(0, n, batch_size)]
""", "shuffles the array in place and returns None"),
    ("2.3", "no return", """
def iterate_minibatches(n, batch_size, rng):
    order = rng.permutation(n)
    batches = [order[s:s + batch_size] for s in range(0, n, batch_size)]
""", "the function returned None"),
    ("2.3", "drawn with replacement", """
def iterate_minibatches(n, batch_size, rng):
    order = rng.choice(n, size=n)
    return [order[s:s + batch_size] for s in range(0, n, batch_size)]
""", "every index 0..n-1 must appear exactly once"),
    ("2.3", "not shuffled", """
def iterate_minibatches(n, batch_size, rng):
    order = np.arange(n)
    return [order[s:s + batch_size] for s in range(0, n, batch_size)]
""", "the batches are not shuffled"),
    ("2.3", "shuffled inside fixed blocks", """
def iterate_minibatches(n, batch_size, rng):
    return [rng.permutation(np.arange(s, min(s + batch_size, n))) for s in range(0, n, batch_size)]
""", "each batch always holds the same samples"),
    ("2.3", "blocks in a shuffled order", """
def iterate_minibatches(n, batch_size, rng):
    blocks = [np.arange(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
    return [blocks[i] for i in rng.permutation(len(blocks))]
""", "each batch always holds the same samples"),
    ("2.3", "the global generator", """
def iterate_minibatches(n, batch_size, rng):
    order = np.random.permutation(n)
    return [order[s:s + batch_size] for s in range(0, n, batch_size)]
""", "use the rng argument"),
    ("2.3", "a new generator inside", """
def iterate_minibatches(n, batch_size, rng):
    order = np.random.default_rng(0).permutation(n)
    return [order[s:s + batch_size] for s in range(0, n, batch_size)]
""", "two epochs with the same generator gave the same batches"),
    ("2.3", "seeding inside", """
def iterate_minibatches(n, batch_size, rng):
    np.random.seed(0)
    order = np.random.permutation(n)
    return [order[s:s + batch_size] for s in range(0, n, batch_size)]
""", "two epochs with the same generator gave the same batches"),
    # ---- 2.4 updates_per_epoch
    ("2.4", "floor division", "def updates_per_epoch(n, batch_size):\n    return n // batch_size",
     "forgets the shorter last batch"),
    ("2.4", "round()", "def updates_per_epoch(n, batch_size):\n    return round(n / batch_size)",
     "forgets the shorter last batch"),
    ("2.4", "a fraction", "def updates_per_epoch(n, batch_size):\n    return n / batch_size",
     "an update count is a whole number"),
    ("2.4", "one too many", "def updates_per_epoch(n, batch_size):\n    return n // batch_size + 1",
     "counts one batch too many"),
    ("2.4", "upside down", "def updates_per_epoch(n, batch_size):\n    return math.ceil(batch_size / n)",
     "the division is upside down"),
    ("2.4", "np.ceil", "def updates_per_epoch(n, batch_size):\n    return np.ceil(n / batch_size)",
     "return an int"),
    # ---- 2.5 keras_gradient
    ("2.5", "the NumPy gradient", """
def keras_gradient(w, b, x, y):
    r = w * x + b - y
    return 2 * np.mean(r * x), 2 * np.mean(r)
""", "they did not come from minikeras"),
    ("2.5", "mse_gradient reused", GRAD + "    return 2 * np.mean(r * x), 2 * np.mean(r)\n"
     "def keras_gradient(w, b, x, y):\n    return mse_gradient(w, b, x, y)",
     "they did not come from minikeras"),
    ("2.5", "K.sum loss", KERAS + """
    loss = K.sum(K.square(w_var * x_in + b_var - y_in))
    dw, db = K.gradients(loss, [w_var, b_var])
    return tuple(float(v) for v in K.function([x_in, y_in], [dw, db])([x, y]))
""", "the loss used K.sum"),
    ("2.5", "no square", KERAS + """
    loss = K.mean(w_var * x_in + b_var - y_in)
    dw, db = K.gradients(loss, [w_var, b_var])
    return tuple(float(v) for v in K.function([x_in, y_in], [dw, db])([x, y]))
""", "the square is missing"),
    ("2.5", "swapped", KERAS + """
    loss = K.mean(K.square(w_var * x_in + b_var - y_in))
    db, dw = K.gradients(loss, [w_var, b_var])
    return tuple(float(v) for v in K.function([x_in, y_in], [dw, db])([x, y]))
""", "dw and db are swapped"),
    ("2.5", "f(x, y)", KERAS + """
    loss = K.mean(K.square(w_var * x_in + b_var - y_in))
    dw, db = K.gradients(loss, [w_var, b_var])
    return tuple(float(v) for v in K.function([x_in, y_in], [dw, db])(x, y))
""", "a K.function takes ONE argument"),
    ("2.5", "f([x])", KERAS + """
    loss = K.mean(K.square(w_var * x_in + b_var - y_in))
    dw, db = K.gradients(loss, [w_var, b_var])
    return tuple(float(v) for v in K.function([x_in, y_in], [dw, db])([x]))
""", "one array per placeholder"),
    ("2.5", "placeholder of the wrong shape", """
def keras_gradient(w, b, x, y):
    x_in, y_in = K.placeholder(shape=(None, 1)), K.placeholder(shape=(None, 1))
    w_var, b_var = K.variable(w), K.variable(b)
    loss = K.mean(K.square(w_var * x_in + b_var - y_in))
    dw, db = K.gradients(loss, [w_var, b_var])
    return tuple(float(v) for v in K.function([x_in, y_in], [dw, db])([x, y]))
""", "shapes must fit the data"),
    ("2.5", "variables as inputs", KERAS + """
    loss = K.mean(K.square(w_var * x_in + b_var - y_in))
    dw, db = K.gradients(loss, [w_var, b_var])
    f = K.function([w_var, b_var], [dw, db])
    return tuple(float(v) for v in f([w, b]))
""", "must be placeholders"),
    ("2.5", "one gradient taken as a tensor", KERAS + """
    loss = K.mean(K.square(w_var * x_in + b_var - y_in))
    dw = K.gradients(loss, w_var)
    db = K.gradients(loss, b_var)
    return tuple(float(v) for v in K.function([x_in, y_in], [dw, db])([x, y]))
""", "K.gradients returns a LIST"),
    ("2.5", "tensors returned", KERAS + """
    loss = K.mean(K.square(w_var * x_in + b_var - y_in))
    return K.gradients(loss, [w_var, b_var])
""", "symbolic tensor"),
    # ---- 2.6 gradient_spread
    ("2.6", "no square root", SPREAD + "    return np.mean(np.sum((grads - full) ** 2, axis=1))",
     "the square root is missing"),
    ("2.6", "mean of the distances",
     SPREAD + "    return np.mean(np.linalg.norm(grads - full, axis=1))",
     "not the mean of the distances"),
    ("2.6", "distance to the average batch gradient",
     SPREAD + "    return np.sqrt(np.mean(np.sum((grads - grads.mean(axis=0)) ** 2, axis=1)))",
     "to the FULL gradient"),
    ("2.6", "dw only", SPREAD + "    return np.sqrt(np.mean((grads[:, 0] - full[0]) ** 2))",
     "include both components"),
    ("2.6", "summed over batches", SPREAD + "    return np.sqrt(np.sum((grads - full) ** 2))",
     "do not add them"),
    ("2.6", "the columns of batches", """
def gradient_spread(w, b, x, y, batches):
    full = np.array(mse_gradient(w, b, x, y))
    grads = np.array([mse_gradient(w, b, x[idx], y[idx]) for idx in batches.T])
    return np.sqrt(np.mean(np.sum((grads - full) ** 2, axis=1)))
""", "each ROW of batches is one mini-batch"),
    ("2.6", "y not indexed", """
def gradient_spread(w, b, x, y, batches):
    full = np.array(mse_gradient(w, b, x, y))
    grads = np.array([mse_gradient(w, b, x[idx], y) for idx in batches])
    return np.sqrt(np.mean(np.sum((grads - full) ** 2, axis=1)))
""", "index x and y with the same idx"),
    # ---- 2.7 DecaySGD
    ("2.7", "untouched stub", f"""
class DecaySGD(mk.optimizers.Optimizer):
    def __init__(self, learning_rate=0.01, decay_rate=0.0, **kwargs):
        {STUB}
""", "not written yet"),
    ("2.7", "no decay", OPTIMIZER + "        return [(variable, variable - learning_rate * gradient)]",
     "the steps do not shrink"),
    ("2.7", "the counter read once", """
class DecaySGD(mk.optimizers.Optimizer):
    def __init__(self, learning_rate=0.01, decay_rate=0.0, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.decay_rate = decay_rate
    def get_config(self):
        return {**super().get_config(), "decay_rate": self.decay_rate}
    def update_step(self, gradient, variable, learning_rate):
        t = float(K.get_value(self.iterations))
        return [(variable, variable - learning_rate / (1 + self.decay_rate * t) * gradient)]
""", "that freezes it at 0"),
    ("2.7", "no cast", OPTIMIZER.replace('K.cast(self.iterations, "float32")', "self.iterations") +
     "        return [(variable, variable - learning_rate / (1.0 + self.decay_rate * t) * gradient)]",
     "a Python float times an integer tensor stays an integer"),
    ("2.7", "off by one", OPTIMIZER +
     "        return [(variable, variable - learning_rate / (1 + self.decay_rate * (t + 1)) * gradient)]",
     "the first step must use the full learning rate"),
    ("2.7", "exponential decay", OPTIMIZER +
     "        return [(variable, variable - learning_rate * (1 - self.decay_rate) ** t * gradient)]",
     "that is exponential decay"),
    ("2.7", "precedence", OPTIMIZER +
     "        return [(variable, variable - learning_rate / (1 + self.decay_rate) * t * gradient)]",
     "operator precedence"),
    ("2.7", "multiplied", OPTIMIZER +
     "        return [(variable, variable - learning_rate * (1 + self.decay_rate * t) * gradient)]",
     "the learning rate grows"),
    ("2.7", "uphill", OPTIMIZER +
     "        return [(variable, variable + learning_rate / (1 + self.decay_rate * t) * gradient)]",
     "you went uphill"),
    ("2.7", "a pair, not a list", OPTIMIZER +
     "        return (variable, variable - learning_rate / (1 + self.decay_rate * t) * gradient)",
     "returns a LIST of (variable, new_value) pairs"),
    ("2.7", "constructor without decay_rate", """
class DecaySGD(mk.optimizers.Optimizer):
    def __init__(self, learning_rate=0.01, decay=0.0, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rate = decay
    def update_step(self, gradient, variable, learning_rate):
        t = K.cast(self.iterations, "float32")
        return [(variable, variable - learning_rate / (1 + self.rate * t) * gradient)]
""", "the constructor must accept learning_rate and decay_rate"),
    ("2.7", "no get_config", """
class DecaySGD(mk.optimizers.Optimizer):
    def __init__(self, learning_rate=0.01, decay_rate=0.0, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.decay_rate = decay_rate
    def update_step(self, gradient, variable, learning_rate):
        t = K.cast(self.iterations, "float32")
        return [(variable, variable - learning_rate / (1 + self.decay_rate * t) * gradient)]
""", "get_config() must include decay_rate"),
]

RIGHT = [
    ("2.1", "np.dot", GRAD + "    return 2 * np.dot(r, x) / len(x), 2 * np.sum(r) / len(x)"),
    ("2.1", "a loop", """
def mse_gradient(w, b, x, y):
    dw = db = 0.0
    for xi, yi in zip(x, y):
        r = w * xi + b - yi
        dw += 2 * r * xi / len(x)
        db += 2 * r / len(x)
    return dw, db
"""),
    ("2.1", "an array back", GRAD + "    return np.array([2 * (r * x).mean(), 2 * r.mean()])"),
    ("2.2", "the gradient inline", """
def sgd_step(w, b, x, y, lr):
    r = w * x + b - y
    return w - lr * 2 * np.mean(r * x), b - lr * 2 * np.mean(r)
"""),
    ("2.2", "as an array", """
def sgd_step(w, b, x, y, lr):
    return tuple(np.array([w, b]) - lr * np.array(mse_gradient(w, b, x, y)))
"""),
    ("2.2", "right, after a wrong mse_gradient (no cascade)",
     GRAD + "    return np.sum(r * x), np.sum(r)\n" + STEP + "    return w - lr * dw, b - lr * db"),
    ("2.3", "shuffle a copy", """
def iterate_minibatches(n, batch_size, rng):
    order = np.arange(n)
    rng.shuffle(order)
    return [order[s:s + batch_size] for s in range(0, n, batch_size)]
"""),
    ("2.3", "a generator", """
def iterate_minibatches(n, batch_size, rng):
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]
"""),
    ("2.3", "np.split", """
def iterate_minibatches(n, batch_size, rng):
    return np.split(rng.permutation(n), range(batch_size, n, batch_size))
"""),
    ("2.4", "negative floor division", "def updates_per_epoch(n, batch_size):\n    return -(-n // batch_size)"),
    ("2.4", "add batch_size - 1",
     "def updates_per_epoch(n, batch_size):\n    return (n + batch_size - 1) // batch_size"),
    ("2.4", "count the starts", "def updates_per_epoch(n, batch_size):\n    return len(range(0, n, batch_size))"),
    ("2.5", "one variable at a time", KERAS + """
    loss = K.mean(K.square(w_var * x_in + b_var - y_in))
    (dw,) = K.gradients(loss, w_var)
    (db,) = K.gradients(loss, b_var)
    dw_value, db_value = K.function([x_in, y_in], [dw, db])([x, y])
    return float(dw_value), float(db_value)
"""),
    ("2.5", "constants instead of placeholders", """
def keras_gradient(w, b, x, y):
    w_var, b_var = K.variable(w), K.variable(b)
    loss = K.mean(K.square(K.constant(y) - (w_var * K.constant(x) + b_var)))
    return tuple(float(K.eval(g)) for g in K.gradients(loss, [w_var, b_var]))
"""),
    ("2.5", "the function's list returned", KERAS + """
    loss = K.mean(K.square(w_var * x_in + b_var - y_in))
    return K.function([x_in, y_in], K.gradients(loss, [w_var, b_var]))([x, y])
"""),
    ("2.6", "vectorised", SPREAD + "    return float(np.sqrt(np.mean(np.sum((grads - full) ** 2, axis=1))))"),
    ("2.6", "norms in a loop", """
def gradient_spread(w, b, x, y, batches):
    full = np.array(mse_gradient(w, b, x, y))
    total = 0.0
    for idx in batches:
        total += np.linalg.norm(np.array(mse_gradient(w, b, x[idx], y[idx])) - full) ** 2
    return np.sqrt(total / len(batches))
"""),
    ("2.6", "right, after a wrong mse_gradient (no cascade)",
     GRAD + "    return -np.mean(r * x), np.mean(r)\n" + SPREAD +
     "    return np.sqrt(np.mean(np.sum((grads - full) ** 2, axis=1)))"),
    ("2.7", "cast to the variable's dtype",
     OPTIMIZER.replace('K.cast(self.iterations, "float32")', "K.cast(self.iterations, variable.dtype)") +
     "        return [(variable, variable - learning_rate / (1.0 + self.decay_rate * t) * gradient)]"),
    ("2.7", "the factor first", OPTIMIZER + """
        factor = 1.0 / (1.0 + self.decay_rate * t)
        return [(variable, variable - gradient * (learning_rate * factor))]
"""),
    ("2.7", "Keras 2 style get_updates", """
class DecaySGD(mk.optimizers.Optimizer):
    def __init__(self, learning_rate=0.01, decay_rate=0.0, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.decay_rate = decay_rate
    def get_config(self):
        return {**super().get_config(), "decay_rate": self.decay_rate}
    def get_updates(self, loss, params):
        t = K.cast(self.iterations, "float32")
        lr_t = self.learning_rate / (1.0 + self.decay_rate * t)
        updates = [K.update_add(self.iterations, 1)]
        for p, g in zip(params, K.gradients(loss, params)):
            updates.append((p, p - lr_t * g))
        return updates
"""),
    ("2.7", "decay kept in a variable", """
class DecaySGD(mk.optimizers.Optimizer):
    def __init__(self, learning_rate=0.01, decay_rate=0.0, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.decay_rate = decay_rate
        self.rate = K.variable(decay_rate)
    def update_step(self, gradient, variable, learning_rate):
        t = K.cast(self.iterations, "float32")
        return [(variable, variable - learning_rate * gradient / (1.0 + self.rate * t))]
    def get_config(self):
        config = super().get_config()
        config.update(decay_rate=self.decay_rate)
        return config
"""),
]
