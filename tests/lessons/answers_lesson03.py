"""Lesson 03: typical wrong answers -> the hint their check must give, and right answers.

The code runs in a namespace holding what the lesson's set-up cell imports (np, K, mk,
define_op, unbroadcast, check_gradients, ...), as ``test_hints.py`` builds it.
"""

STUB = 'raise NotImplementedError("write your solution here")'

HAND = """
def chain_rule_by_hand(w, b, x, y):
    z = w * x + b
    h = np.tanh(z)
    r = h - y
"""
KG = """
def k_gradients(w, b, x, y):
    x_in, y_in = K.placeholder(shape=(None,)), K.placeholder(shape=(None,))
    w_var, b_var = K.variable(w), K.variable(b)
"""
IG = """
def input_gradient(w, b, x, y):
    x_in, y_in = K.placeholder(shape=(None,)), K.placeholder(shape=(None,))
    loss = K.mean(K.square(K.tanh(w * x_in + b) - y_in))
"""
SWISH = """
def swish_grad(y, g):
    x = y.inputs[0]
    s = K.sigmoid(x)
"""
HYPOT = """
def hypot_grad(y, g):
    a, b = y.inputs
"""
STEP = """
def make_train_step(w, b, lr):
    x_in, y_in = K.placeholder(shape=(None,)), K.placeholder(shape=(None,))
    loss = K.mean(K.square(K.tanh(w * x_in + b) - y_in))
    dw, db = K.gradients(loss, [w, b])
"""

WRONG = [
    # ---- 3.1 chain_rule_by_hand
    ("3.1", "untouched stub", f"def chain_rule_by_hand(w, b, x, y):\n    {STUB}", "not written yet"),
    ("3.1", "no tanh derivative", HAND + "    return 2 * r * x, 2 * r",
     "the local derivative of tanh is missing"),
    ("3.1", "1 - z^2", HAND + "    d = 2 * r * (1 - z ** 2)\n    return d * x, d",
     "you squared its input z"),
    ("3.1", "sigmoid's derivative", HAND + "    d = 2 * r * h * (1 - h)\n    return d * x, d",
     "that is sigmoid's"),
    ("3.1", "no factor 2", HAND + "    d = r * (1 - h ** 2)\n    return d * x, d",
     "the factor 2 from the square is missing"),
    ("3.1", "target minus prediction", """
def chain_rule_by_hand(w, b, x, y):
    h = np.tanh(w * x + b)
    d = 2 * (y - h) * (1 - h ** 2)
    return d * x, d
""", "the sign is flipped"),
    ("3.1", "no x in dw", HAND + "    d = 2 * r * (1 - h ** 2)\n    return d, d",
     "dz/dw = x"),
    ("3.1", "x in db", HAND + "    d = 2 * r * (1 - h ** 2)\n    return d * x, d * x",
     "dL/db has no factor x"),
    ("3.1", "swapped", HAND + "    d = 2 * r * (1 - h ** 2)\n    return d, d * x",
     "dw and db are swapped"),
    ("3.1", "times the loss", HAND + "    L = r ** 2\n    d = 2 * r * L * (1 - h ** 2)\n"
     "    return d * x, d", "the chain starts at dL/dr = 2 r"),
    ("3.1", "dw only", HAND + "    return 2 * r * (1 - h ** 2) * x", "the pair (dL/dw, dL/db)"),
    # ---- 3.2a k_gradients
    ("3.2a", "untouched stub", f"def k_gradients(w, b, x, y):\n    {STUB}", "not written yet"),
    ("3.2a", "the NumPy formula", """
def k_gradients(w, b, x, y):
    h = np.tanh(w * x + b)
    d = 2 * (h - y) * (1 - h ** 2) / len(x)
    return float(np.sum(d * x)), float(np.sum(d))
""", "they did not come from minikeras"),
    ("3.2a", "a sum, not a mean", KG + """
    loss = K.sum(K.square(K.tanh(w_var * x_in + b_var) - y_in))
    dw, db = K.gradients(loss, [w_var, b_var])
    return tuple(float(v) for v in K.function([x_in, y_in], [dw, db])([x, y]))
""", "use the MEAN"),
    ("3.2a", "no tanh", KG + """
    loss = K.mean(K.square(w_var * x_in + b_var - y_in))
    dw, db = K.gradients(loss, [w_var, b_var])
    return tuple(float(v) for v in K.function([x_in, y_in], [dw, db])([x, y]))
""", "the loss has no tanh"),
    ("3.2a", "no square", KG + """
    loss = K.mean(K.tanh(w_var * x_in + b_var) - y_in)
    dw, db = K.gradients(loss, [w_var, b_var])
    return tuple(float(v) for v in K.function([x_in, y_in], [dw, db])([x, y]))
""", "the square is missing"),
    ("3.2a", "swapped", KG + """
    loss = K.mean(K.square(K.tanh(w_var * x_in + b_var) - y_in))
    db, dw = K.gradients(loss, [w_var, b_var])
    return tuple(float(v) for v in K.function([x_in, y_in], [dw, db])([x, y]))
""", "dw and db are swapped"),
    ("3.2a", "f(x, y)", KG + """
    loss = K.mean(K.square(K.tanh(w_var * x_in + b_var) - y_in))
    dw, db = K.gradients(loss, [w_var, b_var])
    return tuple(float(v) for v in K.function([x_in, y_in], [dw, db])(x, y))
""", "a K.function takes ONE argument"),
    ("3.2a", "variables as inputs", KG + """
    loss = K.mean(K.square(K.tanh(w_var * x_in + b_var) - y_in))
    dw, db = K.gradients(loss, [w_var, b_var])
    return tuple(float(v) for v in K.function([w_var, b_var], [dw, db])([w, b]))
""", "must be placeholders"),
    ("3.2a", "the tensors returned", KG + """
    loss = K.mean(K.square(K.tanh(w_var * x_in + b_var) - y_in))
    return K.gradients(loss, [w_var, b_var])
""", "symbolic tensor"),
    # ---- 3.2b input_gradient
    ("3.2b", "untouched stub", f"def input_gradient(w, b, x, y):\n    {STUB}", "not written yet"),
    ("3.2b", "the list returned", IG + """
    return K.function([x_in, y_in], K.gradients(loss, x_in))([x, y])
""", "K.gradients returns a LIST, even for a single tensor"),
    ("3.2b", "with respect to w", """
def input_gradient(w, b, x, y):
    x_in, y_in = K.placeholder(shape=(None,)), K.placeholder(shape=(None,))
    w_var = K.variable(w)
    loss = K.mean(K.square(K.tanh(w_var * x_in + b) - y_in))
    (dw,) = K.gradients(loss, w_var)
    return K.function([x_in, y_in], [dw])([x, y])[0]
""", "that is the gradient with respect to w"),
    ("3.2b", "a sum, not a mean", """
def input_gradient(w, b, x, y):
    x_in, y_in = K.placeholder(shape=(None,)), K.placeholder(shape=(None,))
    loss = K.sum(K.square(K.tanh(w * x_in + b) - y_in))
    (dx,) = K.gradients(loss, x_in)
    return K.function([x_in, y_in], [dx])([x, y])[0]
""", "each sample's gradient carries 1/n"),
    ("3.2b", "w left out", """
def input_gradient(w, b, x, y):
    z_in, y_in = K.placeholder(shape=(None,)), K.placeholder(shape=(None,))
    loss = K.mean(K.square(K.tanh(z_in) - y_in))
    (dz,) = K.gradients(loss, z_in)
    return K.function([z_in, y_in], [dz])([w * x + b, y])[0]
""", "dz/dx = w"),
    ("3.2b", "a tensor outside the graph", """
def input_gradient(w, b, x, y):
    loss = K.mean(K.square(K.tanh(w * K.constant(x) + b) - K.constant(y)))
    (dx,) = K.gradients(loss, K.constant(x))
    return K.eval(dx)
""", "that tensor is not in the loss's graph"),
    ("3.2b", "K.eval of the list", """
def input_gradient(w, b, x, y):
    x_var = K.variable(x)
    loss = K.mean(K.square(K.tanh(w * x_var + b) - K.constant(y)))
    return K.eval(K.gradients(loss, x_var))
""", "K.eval wants one tensor"),
    ("3.2b", "f(x, y)", IG + """
    (dx,) = K.gradients(loss, x_in)
    return K.function([x_in, y_in], [dx])(x, y)[0]
""", "a K.function takes ONE argument"),
    ("3.2b", "the NumPy formula", """
def input_gradient(w, b, x, y):
    h = np.tanh(w * x + b)
    return 2 * (h - y) * (1 - h ** 2) * w / len(x)
""", "they did not come from minikeras"),
    # ---- 3.3 swish_grad
    ("3.3", "untouched stub", f"def swish_grad(y, g):\n    {STUB}", "not written yet"),
    ("3.3", "a tensor, not a list", SWISH + "    return g * (s + y * (1.0 - s))",
     "must return a LIST"),
    ("3.3", "NumPy on tensors", """
def swish_grad(y, g):
    s = 1.0 / (1.0 + np.exp(-y.inputs[0]))
    return [g * (s + y * (1.0 - s))]
""", "NumPy cannot compute with them"),
    ("3.3", "g forgotten", SWISH + "    return [s + y * (1.0 - s)]", "the incoming gradient g"),
    ("3.3", "only sigmoid", SWISH + "    return [g * s]", "the product rule is missing a term"),
    ("3.3", "only x s'(x)", SWISH + "    return [g * x * s * (1.0 - s)]",
     "the product rule is missing a term"),
    ("3.3", "sigmoid's rule on y", "def swish_grad(y, g):\n    return [g * y * (1.0 - y)]",
     "that is sigmoid's rule"),
    ("3.3", "sigmoid of the output", """
def swish_grad(y, g):
    s = K.sigmoid(y)
    return [g * (s + y * (1.0 - s))]
""", "not of its output y"),
    ("3.3", "sigmoid' = 1 - s", SWISH + "    return [g * (s + x * (1.0 - s))]",
     "the derivative of the sigmoid is s (1 - s)"),
    ("3.3", "sigmoid of a clipped input", """
def swish_grad(y, g):
    s = K.sigmoid(K.clip(y.inputs[0], -4.5, 4.5))
    return [g * (s + y * (1.0 - s))]
""", "check_gradients disagrees with your rule"),
    # ---- 3.4 hypot_grad
    ("3.4", "untouched stub", f"def hypot_grad(y, g):\n    {STUB}", "not written yet"),
    ("3.4", "the broken rule, unchanged",
     HYPOT + "    return [unbroadcast(g * a / y, a), unbroadcast(g * a / y, b)]",
     "the bug is still there"),
    ("3.4", "no unbroadcast", HYPOT + "    return [g * a / y, g * b / y]",
     "sum the gradient back to its shape"),
    ("3.4", "in the wrong order",
     HYPOT + "    return [unbroadcast(g * b / y, b), unbroadcast(g * a / y, a)]",
     "the list is in the order of the op's inputs"),
    ("3.4", "swapped derivatives",
     HYPOT + "    return [unbroadcast(g * b / y, a), unbroadcast(g * a / y, b)]",
     "the list is in the order of the op's inputs"),
    ("3.4", "g forgotten", HYPOT + "    return [unbroadcast(a / y, a), unbroadcast(b / y, b)]",
     "the incoming gradient g must multiply"),
    ("3.4", "upside down", HYPOT + "    return [unbroadcast(g * y / a, a), unbroadcast(g * y / b, b)]",
     "upside down"),
    ("3.4", "a minus sign", HYPOT + "    return [unbroadcast(g * a / y, a), unbroadcast(-g * b / y, b)]",
     "the sign of b's gradient is flipped"),
    ("3.4", "one gradient only", HYPOT + "    return [unbroadcast(g * a / y, a)]",
     "with only one, b gets no gradient"),
    ("3.4", "a tensor, not a list", HYPOT + "    return unbroadcast(g * a / y, a)",
     "must return a LIST"),
    # ---- 3.5 make_train_step
    ("3.5", "untouched stub", f"def make_train_step(w, b, lr):\n    {STUB}", "not written yet"),
    ("3.5", "the loss returned", STEP + "    return loss", "RETURN the compiled function"),
    ("3.5", "no updates", STEP + "    return K.function([x_in, y_in], [loss])",
     "the variables did not change"),
    ("3.5", "uphill", STEP + "    return K.function([x_in, y_in], [loss], "
     "updates=[(w, w + lr * dw), (b, b + lr * db)])", "you went uphill"),
    ("3.5", "no learning rate", STEP + "    return K.function([x_in, y_in], [loss], "
     "updates=[(w, w - dw), (b, b - db)])", "the learning rate is missing"),
    ("3.5", "w only", STEP + "    return K.function([x_in, y_in], [loss], "
     "updates=[(w, w - lr * dw)])", "only w is updated"),
    ("3.5", "b only", STEP + "    return K.function([x_in, y_in], [loss], "
     "updates=[(b, b - lr * db)])", "only b is updated"),
    ("3.5", "gradients swapped", STEP + "    return K.function([x_in, y_in], [loss], "
     "updates=[(w, w - lr * db), (b, b - lr * dw)])", "the gradients are swapped"),
    ("3.5", "one input", STEP + "    return K.function([x_in], [loss], "
     "updates=[(w, w - lr * dw), (b, b - lr * db)])", "the placeholders of the data"),
    ("3.5", "the gradient as output", STEP + "    return K.function([x_in, y_in], [dw], "
     "updates=[(w, w - lr * dw), (b, b - lr * db)])", "the function's first output must be the loss"),
    ("3.5", "NumPy inside a Python function", """
def make_train_step(w, b, lr):
    def step(data):
        x, y = data
        wv, bv = float(K.get_value(w)), float(K.get_value(b))
        h = np.tanh(wv * x + bv)
        d = 2 * (h - y) * (1 - h ** 2) / len(x)
        K.set_value(w, wv - lr * np.sum(d * x))
        K.set_value(b, bv - lr * np.sum(d))
        return [np.mean((h - y) ** 2)]
    return step
""", "build the step from K.gradients"),
]

RIGHT = [
    ("3.1", "sech squared", """
def chain_rule_by_hand(w, b, x, y):
    z = w * x + b
    d = 2 * (np.tanh(z) - y) / np.cosh(z) ** 2
    return d * x, d
"""),
    ("3.1", "every link named", """
def chain_rule_by_hand(w, b, x, y):
    z = w * x + b
    h = np.tanh(z)
    L_r = 2 * (h - y)
    r_h = 1.0
    h_z = 1 - h * h
    z_w, z_b = x, 1.0
    return L_r * r_h * h_z * z_w, L_r * r_h * h_z * z_b
"""),
    ("3.1", "a NumPy array back", HAND + "    return np.array([x, 1.0]) * 2 * r * (1 - h ** 2)"),
    ("3.2a", "constants and K.eval", """
def k_gradients(w, b, x, y):
    w_var, b_var = K.variable(w), K.variable(b)
    loss = K.mean(K.square(K.tanh(w_var * K.constant(x) + b_var) - K.constant(y)))
    return tuple(float(K.eval(g)) for g in K.gradients(loss, [w_var, b_var]))
"""),
    ("3.2a", "one variable at a time", KG + """
    loss = K.mean(K.square(K.tanh(w_var * x_in + b_var) - y_in))
    (dw,) = K.gradients(loss, w_var)
    (db,) = K.gradients(loss, b_var)
    dw_value, db_value = K.function([x_in, y_in], [dw, db])([x, y])
    return float(dw_value), float(db_value)
"""),
    ("3.2a", "the loss written out", KG + """
    error = K.tanh(K.dot(K.expand_dims(x_in, 1), K.reshape(w_var, (1, 1)))[:, 0] + b_var) - y_in
    loss = K.sum(error * error) / K.cast(K.count(error), "float32")
    return K.function([x_in, y_in], K.gradients(loss, [w_var, b_var]))([x, y])
"""),
    ("3.2b", "x as a variable", """
def input_gradient(w, b, x, y):
    x_var = K.variable(x)
    loss = K.mean(K.square(K.tanh(w * x_var + b) - K.constant(y)))
    (dx,) = K.gradients(loss, x_var)
    return K.eval(dx)
"""),
    ("3.2b", "a list of one", IG + """
    dx = K.gradients(loss, [x_in])[0]
    return K.function([x_in, y_in], [dx])([x, y])[0]
"""),
    ("3.3", "the product rule written out", SWISH + "    return [g * (s + x * s * (1.0 - s))]"),
    ("3.3", "with exp", """
def swish_grad(y, g):
    x = y.inputs[0]
    e = K.exp(-x)
    s = 1.0 / (1.0 + e)
    return [g * (s + x * e * s * s)]
"""),
    ("3.3", "y / x avoided: s (1 + x (1 - s))", SWISH + "    return [g * s * (1.0 + x * (1.0 - s))]"),
    ("3.4", "a tuple, with 1 / y once", """
def hypot_grad(y, g):
    a, b = y.inputs
    scaled = g / y
    return unbroadcast(scaled * a, a), unbroadcast(scaled * b, b)
"""),
    ("3.4", "the length recomputed", """
def hypot_grad(y, g):
    a, b = y.inputs
    h = K.sqrt(a * a + b * b)
    return [unbroadcast(g * a / h, a), unbroadcast(g * b / h, b)]
"""),
    ("3.5", "an optimizer's updates", """
def make_train_step(w, b, lr):
    x_in, y_in = K.placeholder(shape=(None,)), K.placeholder(shape=(None,))
    loss = K.mean(K.square(K.tanh(w * x_in + b) - y_in))
    updates = mk.optimizers.SGD(learning_rate=lr).get_updates(loss, [w, b])
    return K.function([x_in, y_in], [loss], updates=updates)
"""),
    ("3.5", "K.update_sub", STEP + "    return K.function([x_in, y_in], [loss], "
     "updates=[K.update_sub(w, lr * dw), K.update_sub(b, lr * db)])"),
    ("3.5", "plain pairs, loss a single output", STEP + """
    f = K.function([x_in, y_in], loss, updates=[(w, w - lr * dw), (b, b - lr * db)])
    return f
"""),
]
