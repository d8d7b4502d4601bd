"""Lesson 04: typical wrong answers -> the hint their check must give, and right answers."""

STUB = 'raise NotImplementedError("write your solution here")'

DENSE = """
class SimpleDense(mk.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def get_config(self):
        return {**super().get_config(), "units": self.units}
"""
DENSE_BUILD = DENSE + """
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")
"""
SUM = """
class ComputeSum(mk.layers.Layer):
    def __init__(self, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.total = self.add_weight(shape=(input_dim,), initializer="zeros", trainable=False)
"""
FUNCTIONAL = """
def to_functional(seq):
    x = mk.Input(shape=seq.input_shape[1:])
    h = x
"""
TWO = """
def two_input_model(n_a, n_b, units):
    a, b = mk.Input(shape=(n_a,)), mk.Input(shape=(n_b,))
"""
COPY = """
def copy_layer(layer, input_shape):
    config = layer.get_config()
"""

WRONG = [
    # ---- 4.1 SimpleDense
    ("4.1", "untouched stub", f"""
class SimpleDense(mk.layers.Layer):
    def __init__(self, units=32, **kwargs):
        {STUB}
""", "not written yet"),
    ("4.1", "no super().__init__", """
class SimpleDense(mk.layers.Layer):
    def __init__(self, units=32, **kwargs):
        self.units = units
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units))
        self.b = self.add_weight(shape=(self.units,))
    def call(self, inputs):
        return K.dot(inputs, self.w) + self.b
""", "must call super().__init__(**kwargs) first"),
    ("4.1", "build without input_shape", DENSE + """
    def build(self):
        self.w = self.add_weight(shape=(4, self.units))
        self.b = self.add_weight(shape=(self.units,))
    def call(self, inputs):
        return K.dot(inputs, self.w) + self.b
""", "the weights are made in build(input_shape)"),
    ("4.1", "a (1, units) bias", DENSE + """
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units))
        self.b = self.add_weight(shape=(1, self.units))
    def call(self, inputs):
        return K.dot(inputs, self.w) + self.b
""", "the kernel must have shape (input_dim, units)"),
    ("4.1", "kernel (units, input_dim)", DENSE + """
    def build(self, input_shape):
        self.w = self.add_weight(shape=(self.units, input_shape[-1]))
        self.b = self.add_weight(shape=(self.units,))
    def call(self, inputs):
        return K.dot(inputs, self.w) + self.b
""", "the shapes do not fit"),
    ("4.1", "np.dot", DENSE_BUILD + """
    def call(self, inputs):
        return np.dot(inputs, self.w) + self.b
""", "NumPy cannot compute with them"),
    ("4.1", "no bias", DENSE_BUILD + """
    def call(self, inputs):
        return K.dot(inputs, self.w)
""", "the bias is missing"),
    ("4.1", "a frozen kernel", DENSE + """
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), trainable=False)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")
    def call(self, inputs):
        return K.dot(inputs, self.w) + self.b
""", "must both be trainable"),
    ("4.1", "the kernel cut off from the gradient", DENSE_BUILD + """
    def call(self, inputs):
        return K.dot(inputs, K.stop_gradient(self.w)) + self.b
""", "training did not lower the loss"),
    ("4.1", "no get_config", """
class SimpleDense(mk.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")
    def call(self, inputs):
        return K.dot(inputs, self.w) + self.b
""", "get_config() must include units"),
    # ---- 4.2 ComputeSum
    ("4.2", "untouched stub", f"""
class ComputeSum(mk.layers.Layer):
    def __init__(self, input_dim, **kwargs):
        {STUB}
""", "not written yet"),
    ("4.2", "a trainable total", """
class ComputeSum(mk.layers.Layer):
    def __init__(self, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.total = self.add_weight(shape=(input_dim,), initializer="zeros")
    def call(self, inputs):
        self.total.assign_add(K.sum(inputs, axis=0))
        return self.total
""", "the total must be a non-trainable weight"),
    ("4.2", "a (1, input_dim) total", """
class ComputeSum(mk.layers.Layer):
    def __init__(self, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.total = self.add_weight(shape=(1, input_dim), initializer="zeros", trainable=False)
    def call(self, inputs):
        self.total.assign_add(K.sum(inputs, axis=0, keepdims=True))
        return self.total
""", "exactly one weight, the total, of shape (input_dim,)"),
    ("4.2", "no super().__init__", """
class ComputeSum(mk.layers.Layer):
    def __init__(self, input_dim, **kwargs):
        self.total = self.add_weight(shape=(input_dim,), initializer="zeros", trainable=False)
    def call(self, inputs):
        self.total.assign_add(K.sum(inputs, axis=0))
        return self.total
""", "must call super().__init__(**kwargs) first"),
    ("4.2", "np.sum", SUM + """
    def call(self, inputs):
        self.total.assign_add(np.sum(inputs, axis=0))
        return self.total
""", "NumPy cannot compute with them"),
    ("4.2", "no assignment", SUM + """
    def call(self, inputs):
        return self.total + K.sum(inputs, axis=0)
""", "the weight itself never changed"),
    ("4.2", "assign, not assign_add", SUM + """
    def call(self, inputs):
        self.total.assign(K.sum(inputs, axis=0))
        return self.total
""", "the total does not grow from call to call"),
    ("4.2", "a new tensor in the attribute", SUM + """
    def call(self, inputs):
        self.total = self.total + K.sum(inputs, axis=0)
        return self.total
""", "the weight itself never changed"),
    ("4.2", "axis 1", SUM + """
    def call(self, inputs):
        self.total.assign_add(K.sum(inputs, axis=1))
        return self.total
""", "sum along axis 0"),
    ("4.2", "the inputs returned", SUM + """
    def call(self, inputs):
        self.total.assign_add(K.sum(inputs, axis=0))
        return inputs
""", "return the running total"),
    # ---- 4.3 mlp_params
    ("4.3", "untouched stub", f"def mlp_params(sizes):\n    {STUB}", "not written yet"),
    ("4.3", "no biases", "def mlp_params(sizes):\n    return sum(a * b for a, b in zip(sizes, sizes[1:]))",
     "the biases are missing"),
    ("4.3", "biases per input", "def mlp_params(sizes):\n    return sum(a * b + a for a, b in zip(sizes, sizes[1:]))",
     "one bias per OUTPUT unit"),
    ("4.3", "the product of the sizes", "def mlp_params(sizes):\n    return int(np.prod(sizes))",
     "a product of all the sizes counts nothing"),
    ("4.3", "the first layer only", "def mlp_params(sizes):\n    return (sizes[0] + 1) * sizes[1]",
     "only the first layer was counted"),
    ("4.3", "one bias per layer", "def mlp_params(sizes):\n    return sum(a * b + 1 for a, b in zip(sizes, sizes[1:]))",
     "you added 1 per layer"),
    ("4.3", "biases for every size", """
def mlp_params(sizes):
    return sum(a * b for a, b in zip(sizes, sizes[1:])) + sum(sizes)
""", "the input has no biases"),
    ("4.3", "the last layer forgotten", """
def mlp_params(sizes):
    total = 0
    for i in range(len(sizes) - 2):
        total += (sizes[i] + 1) * sizes[i + 1]
    return total
""", "the last layer is missing"),
    ("4.3", "a float", "def mlp_params(sizes):\n    return sum((a + 1.0) * b for a, b in zip(sizes, sizes[1:]))",
     "return a whole number"),
    # ---- 4.4 to_functional
    ("4.4", "untouched stub", f"def to_functional(seq):\n    {STUB}", "not written yet"),
    ("4.4", "the Sequential itself", "def to_functional(seq):\n    return seq",
     "that is the Sequential model itself"),
    ("4.4", "another Sequential", "def to_functional(seq):\n    return mk.Sequential(seq.layers)",
     "return a functional Model"),
    ("4.4", "new layers from the configs", FUNCTIONAL + """
    for layer in seq.layers:
        h = type(layer).from_config(layer.get_config())(h)
    return mk.Model(inputs=x, outputs=h)
""", "the model has weights of its own"),
    ("4.4", "layers instead of tensors", "def to_functional(seq):\n    return mk.Model(seq.layers[0], seq.layers[-1])",
     "a functional model starts from an Input"),
    ("4.4", "the batch axis in the Input", """
def to_functional(seq):
    x = mk.Input(shape=seq.input_shape)
    h = x
    for layer in seq.layers:
        h = layer(h)
    return mk.Model(inputs=x, outputs=h)
""", "a functional model starts from an Input"),
    ("4.4", "every layer on the input", FUNCTIONAL + """
    for layer in seq.layers:
        h = layer(x)
    return mk.Model(inputs=x, outputs=h)
""", "the layers must be called one after the other"),
    # ---- 4.5 two_input_model
    ("4.5", "untouched stub", f"def two_input_model(n_a, n_b, units):\n    {STUB}", "not written yet"),
    ("4.5", "one input in the model", TWO + """
    out = mk.layers.Dense(units, activation="sigmoid")(mk.layers.concatenate([a, b]))
    return mk.Model(inputs=a, outputs=out)
""", "the model must take two inputs"),
    ("4.5", "inputs in the other order", TWO + """
    out = mk.layers.Dense(units, activation="sigmoid")(mk.layers.concatenate([a, b]))
    return mk.Model(inputs=[b, a], outputs=out)
""", "the inputs must have the shapes"),
    ("4.5", "a Dense per input", TWO + """
    d = mk.layers.concatenate([mk.layers.Dense(units)(a), mk.layers.Dense(units)(b)])
    return mk.Model(inputs=[a, b], outputs=mk.layers.Dense(units, activation="sigmoid")(d))
""", "merge first, then ONE Dense layer"),
    ("4.5", "add instead of concatenate", TWO + """
    out = mk.layers.Dense(units, activation="sigmoid")(mk.layers.add([a, b]))
    return mk.Model(inputs=[a, b], outputs=out)
""", "Add needs inputs of the same shape"),
    ("4.5", "concatenated b first", TWO + """
    out = mk.layers.Dense(units, activation="sigmoid")(mk.layers.concatenate([b, a]))
    return mk.Model(inputs=[a, b], outputs=out)
""", "concatenate in the order [a, b]"),
    ("4.5", "no sigmoid", TWO + """
    out = mk.layers.Dense(units)(mk.layers.concatenate([a, b]))
    return mk.Model(inputs=[a, b], outputs=out)
""", "the output needs the sigmoid"),
    # ---- 4.6 copy_layer
    ("4.6", "untouched stub", f"def copy_layer(layer, input_shape):\n    {STUB}", "not written yet"),
    ("4.6", "the same layer", "def copy_layer(layer, input_shape):\n    return layer",
     "that is the same layer object"),
    ("4.6", "copy.deepcopy", "import copy\ndef copy_layer(layer, input_shape):\n    return copy.deepcopy(layer)",
     "the copy must be made from the layer's config"),
    ("4.6", "the name removed", COPY + """
    del config["name"]
    new = type(layer).from_config(config)
    new.build(input_shape)
    new.set_weights(layer.get_weights())
    return new
""", "the copy's config differs"),
    ("4.6", "weights before build", COPY + """
    new = type(layer).from_config(config)
    new.set_weights(layer.get_weights())
    return new
""", "build it with new.build(input_shape)"),
    ("4.6", "no weights copied", COPY + """
    new = type(layer).from_config(config)
    new.build(input_shape)
    return new
""", "copy the weights too"),
    ("4.6", "always a Dense", COPY + """
    new = mk.layers.Dense(**config)
    new.build(input_shape)
    new.set_weights(layer.get_weights())
    return new
""", "make the copy with the layer's own class"),
    ("4.6", "the config as an argument", COPY + """
    new = type(layer)(config)
    new.build(input_shape)
    new.set_weights(layer.get_weights())
    return new
""", "from_config takes the config dict itself"),
]

RIGHT = [
    ("4.1", "Keras 2 style: named weights, super().build", """
class SimpleDense(mk.layers.Layer):
    def __init__(self, units=32, **kwargs):
        self.units = units
        super().__init__(**kwargs)
    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(int(input_shape[-1]), self.units),
                                      initializer="random_normal", trainable=True)
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        super().build(input_shape)
    def call(self, x):
        return K.dot(x, self.kernel) + self.bias
    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config
"""),
    ("4.1", "Keras 3 positional add_weight and @", """
class SimpleDense(mk.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units
    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1], self.units), "random_normal")
        self.b = self.add_weight((self.units,), "zeros")
    def call(self, inputs):
        return inputs @ self.w + self.b
    def get_config(self):
        return dict(super().get_config(), units=self.units)
"""),
    ("4.2", "assign of the sum", SUM + """
    def call(self, inputs):
        self.total.assign(self.total + K.sum(inputs, axis=0))
        return self.total
"""),
    ("4.2", "Keras 2 positional add_weight", """
class ComputeSum(mk.layers.Layer):
    def __init__(self, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.total = self.add_weight("total", (input_dim,), "zeros", trainable=False)
    def call(self, inputs):
        self.total.assign_add(K.sum(inputs, axis=0))
        return self.total
"""),
    ("4.3", "a loop", """
def mlp_params(sizes):
    total = 0
    for i in range(len(sizes) - 1):
        total += sizes[i] * sizes[i + 1] + sizes[i + 1]
    return total
"""),
    ("4.3", "np.dot", "def mlp_params(sizes):\n    return int(np.dot(np.array(sizes[:-1]) + 1, sizes[1:]))"),
    ("4.3", "ask a model", """
def mlp_params(sizes):
    layers = [mk.Input(shape=(sizes[0],))] + [mk.layers.Dense(n) for n in sizes[1:]]
    return mk.Sequential(layers).count_params()
"""),
    ("4.4", "the Sequential's own tensors", "def to_functional(seq):\n    return mk.Model(seq.inputs, seq.outputs)"),
    ("4.4", "batch_shape", """
def to_functional(seq):
    x = mk.Input(batch_shape=seq.input_shape)
    y = x
    for layer in seq.layers:
        y = layer(y)
    return mk.Model(x, y)
"""),
    ("4.5", "the Concatenate layer", TWO + """
    joined = mk.layers.Concatenate(axis=-1)([a, b])
    return mk.Model([a, b], mk.layers.Dense(units, activation="sigmoid")(joined))
"""),
    ("4.5", "an Activation layer", TWO + """
    z = mk.layers.Dense(units)(mk.layers.concatenate([a, b]))
    return mk.Model(inputs=[a, b], outputs=mk.layers.Activation("sigmoid")(z))
"""),
    ("4.6", "built by a call", COPY + """
    new = layer.__class__.from_config(config)
    new(np.zeros((1, *input_shape[1:]), dtype="float32"))
    new.set_weights(layer.get_weights())
    return new
"""),
    ("4.6", "the class called with the config", COPY + """
    new = type(layer)(**config)
    new.build(input_shape)
    new.set_weights([w.copy() for w in layer.get_weights()])
    return new
"""),
]
