"""Lesson 07: typical wrong answers -> the hint their check must give, and right answers."""

STUB = 'raise NotImplementedError("write your solution here")'

# ---------------------------------------------------------------- 7.1 rnn_step
STEP = "def rnn_step(x_t, h_prev, W, U, b):\n"

# ---------------------------------------------------------------- 7.2 lstm_step
LSTM = """
def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z = x_t @ kernel + h_prev @ recurrent_kernel + bias
    u = z.shape[1] // 4
    sig = lambda v: 1 / (1 + np.exp(-v))
"""

# ---------------------------------------------------------------- 7.3 LeakyCell
CELL_INIT = """
class LeakyCell(mk.layers.Layer):
    def __init__(self, units, leak=0.5, **kwargs):
        super().__init__(**kwargs)
        self.units, self.leak, self.state_size = units, leak, units
    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform")
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel",
                                                shape=(self.units, self.units),
                                                initializer="orthogonal")
    def get_config(self):
        return {**super().get_config(), "units": self.units, "leak": self.leak}
"""
CELL = CELL_INIT + """
    def call(self, inputs, states):
        h = states[0]
"""

# ---------------------------------------------------------------- 7.4 masked_batch
BATCH = """
def masked_batch(sequences, length):
    ids = np.zeros((len(sequences), length), dtype=int)
"""

# ---------------------------------------------------------------- 7.5 stream_in_chunks
STREAM = """
def stream_in_chunks(model, x, chunk_length, h0):
    rnn = model.layers[0]
"""

WRONG = [
    # ---- 7.1
    ("7.1", "untouched stub", STEP + "    " + STUB, "not written yet"),
    ("7.1", "no tanh", STEP + "    return x_t @ W + h_prev @ U + b", "the squashing is missing"),
    ("7.1", "sigmoid", STEP + "    return 1 / (1 + np.exp(-(x_t @ W + h_prev @ U + b)))",
     "that is a sigmoid"),
    ("7.1", "no memory", STEP + "    return np.tanh(x_t @ W + b)", "h_prev is not used"),
    ("7.1", "no bias", STEP + "    return np.tanh(x_t @ W + h_prev @ U)", "the bias b is missing"),
    ("7.1", "W and U swapped", STEP + "    return np.tanh(np.dot(x_t, U) + np.dot(h_prev, W) + b)",
     "the shapes do not fit"),
    ("7.1", "W and U swapped, square", STEP +
     "    if W.shape != U.shape:\n        return np.tanh(x_t @ W + h_prev @ U + b)\n"
     "    return np.tanh(x_t @ U + h_prev @ W + b)", "the input goes through U"),
    ("7.1", "matrix first", STEP + "    return np.tanh(W @ x_t + U @ h_prev + b)",
     "the shapes do not fit"),
    ("7.1", "returns the pair", STEP + "    h = np.tanh(x_t @ W + h_prev @ U + b)\n    return h, h",
     "return one array"),
    # ---- 7.2
    ("7.2", "untouched stub", LSTM + "    " + STUB, "not written yet"),
    ("7.2", "c, h", LSTM + """
    i, f, g, o = sig(z[:, :u]), sig(z[:, u:2*u]), np.tanh(z[:, 2*u:3*u]), sig(z[:, 3*u:])
    c = f * c_prev + i * g
    return c, o * np.tanh(c)
""", "(h, c) are swapped"),
    ("7.2", "order i f o c", LSTM + """
    i, f, o, g = sig(z[:, :u]), sig(z[:, u:2*u]), sig(z[:, 2*u:3*u]), np.tanh(z[:, 3*u:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c
""", "you read the third block as the output gate"),
    ("7.2", "order i c f o", LSTM + """
    i, g, f, o = sig(z[:, :u]), np.tanh(z[:, u:2*u]), sig(z[:, 2*u:3*u]), sig(z[:, 3*u:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c
""", "you read the second block as the candidate"),
    ("7.2", "split the rows", LSTM + """
    i, f, g, o = z[:u], z[u:2*u], z[2*u:3*u], z[3*u:]
    c = sig(f) * c_prev + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c), c
""", "the blocks are columns of width `units`"),
    ("7.2", "sigmoid candidate", LSTM + """
    i, f, g, o = (sig(z[:, k * u:(k + 1) * u]) for k in range(4))
    c = f * c_prev + i * g
    return o * np.tanh(c), c
""", "the candidate g uses tanh"),
    ("7.2", "tanh gates", LSTM + """
    i, f, g, o = (np.tanh(z[:, k * u:(k + 1) * u]) for k in range(4))
    c = f * c_prev + i * g
    return o * np.tanh(c), c
""", "the gates use the sigmoid"),
    ("7.2", "no tanh on c", LSTM + """
    i, f, g, o = sig(z[:, :u]), sig(z[:, u:2*u]), np.tanh(z[:, 2*u:3*u]), sig(z[:, 3*u:])
    c = f * c_prev + i * g
    return o * c, c
""", "the output is o * tanh(c)"),
    ("7.2", "old c in h", LSTM + """
    i, f, g, o = sig(z[:, :u]), sig(z[:, u:2*u]), np.tanh(z[:, 2*u:3*u]), sig(z[:, 3*u:])
    h = o * np.tanh(c_prev)
    return h, f * c_prev + i * g
""", "h must use the NEW cell state"),
    ("7.2", "no input gate", LSTM + """
    f, g, o = sig(z[:, u:2*u]), np.tanh(z[:, 2*u:3*u]), sig(z[:, 3*u:])
    c = f * c_prev + g
    return o * np.tanh(c), c
""", "the input gate is missing"),
    ("7.2", "no c_prev", LSTM + """
    i, f, g, o = sig(z[:, :u]), sig(z[:, u:2*u]), np.tanh(z[:, 2*u:3*u]), sig(z[:, 3*u:])
    c = i * g
    return o * np.tanh(c), c
""", "the forget gate must multiply the OLD cell state"),
    ("7.2", "f added", LSTM + """
    i, f, g, o = sig(z[:, :u]), sig(z[:, u:2*u]), np.tanh(z[:, 2*u:3*u]), sig(z[:, 3*u:])
    c = f + c_prev + i * g
    return o * np.tanh(c), c
""", "the forget gate MULTIPLIES the old cell state"),
    ("7.2", "coupled gates", LSTM + """
    f, g, o = sig(z[:, u:2*u]), np.tanh(z[:, 2*u:3*u]), sig(z[:, 3*u:])
    c = f * c_prev + (1 - f) * g
    return o * np.tanh(c), c
""", "the input and forget gates are separate"),
    ("7.2", "h only", LSTM + """
    i, f, g, o = sig(z[:, :u]), sig(z[:, u:2*u]), np.tanh(z[:, 2*u:3*u]), sig(z[:, 3*u:])
    return o * np.tanh(f * c_prev + i * g)
""", "return the pair (h, c)"),
    # ---- 7.3
    ("7.3", "untouched stub", CELL_INIT + "    def call(self, inputs, states):\n        " + STUB,
     "not written yet"),
    ("7.3", "leak the other way", CELL + """
        new = self.leak * h + (1 - self.leak) * K.tanh(K.dot(inputs, self.kernel) + K.dot(h, self.recurrent_kernel))
        return new, [new]
""", "mixed the other way round"),
    ("7.3", "plain RNN", CELL + """
        new = K.tanh(K.dot(inputs, self.kernel) + K.dot(h, self.recurrent_kernel))
        return new, [new]
""", "that is a plain tanh RNN"),
    ("7.3", "no recurrence inside", CELL + """
        new = (1 - self.leak) * h + self.leak * K.tanh(K.dot(inputs, self.kernel))
        return new, [new]
""", "must see the previous state too"),
    ("7.3", "no tanh", CELL + """
        new = (1 - self.leak) * h + self.leak * (K.dot(inputs, self.kernel) + K.dot(h, self.recurrent_kernel))
        return new, [new]
""", "the squashing is missing"),
    ("7.3", "no state_size", (CELL + """
        new = (1 - self.leak) * h + self.leak * K.tanh(K.dot(inputs, self.kernel) + K.dot(h, self.recurrent_kernel))
        return new, [new]
""").replace("self.units, self.leak, self.state_size = units, leak, units",
             "self.units, self.leak = units, leak"), "needs cell.state_size"),
    ("7.3", "NumPy in call", CELL + """
        new = (1 - self.leak) * h + self.leak * np.tanh(np.dot(inputs, self.kernel) + np.dot(h, self.recurrent_kernel))
        return new, [new]
""", "call receives symbolic tensors"),
    ("7.3", "no states argument", CELL_INIT + """
    def call(self, inputs):
        return inputs, [inputs]
""", "gets the step's input and the LIST of states"),
    ("7.3", "states used as the state", CELL_INIT + """
    def call(self, inputs, states):
        h = states
        new = (1 - self.leak) * h + self.leak * K.tanh(K.dot(inputs, self.kernel) + K.dot(h, self.recurrent_kernel))
        return new, [new]
""", "the LIST of states"),
    ("7.3", "the sequence's shape in build", (CELL + """
        new = (1 - self.leak) * h + self.leak * K.tanh(K.dot(inputs, self.kernel) + K.dot(h, self.recurrent_kernel))
        return new, [new]
""").replace("input_shape[-1]", "input_shape[2]"), "build gets the shape of ONE step"),
    ("7.3", "kernel transposed", CELL.replace("shape=(input_shape[-1], self.units)",
                                             "shape=(self.units, input_shape[-1])") + """
        new = (1 - self.leak) * h + self.leak * K.tanh(K.dot(inputs, self.kernel) + K.dot(h, self.recurrent_kernel))
        return new, [new]
""", "the kernel is (input features, units)"),
    ("7.3", "no super().__init__", (CELL + """
        new = (1 - self.leak) * h + self.leak * K.tanh(K.dot(inputs, self.kernel) + K.dot(h, self.recurrent_kernel))
        return new, [new]
""").replace("        super().__init__(**kwargs)\n", ""), "must call super().__init__"),
    ("7.3", "a bias too", (CELL + """
        new = (1 - self.leak) * h + self.leak * K.tanh(K.dot(inputs, self.kernel) + K.dot(h, self.recurrent_kernel) + self.bias)
        return new, [new]
""").replace("    def get_config", """        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
    def get_config"""), "must be exactly the two matrices"),
    ("7.3", "no get_config", (CELL + """
        new = (1 - self.leak) * h + self.leak * K.tanh(K.dot(inputs, self.kernel) + K.dot(h, self.recurrent_kernel))
        return new, [new]
""").replace('return {**super().get_config(), "units": self.units, "leak": self.leak}',
             "return super().get_config()"), "get_config() must include units and leak"),
    # ---- 7.5
    ("7.5", "untouched stub", BATCH + "    " + STUB, "not written yet"),
    ("7.5", "padded in front", BATCH + """
    for row, seq in enumerate(sequences):
        seq = seq[:length]
        if seq:
            ids[row, length - len(seq):] = seq
    return ids, ids != 0
""", "the padding goes at the END"),
    ("7.5", "keeps the end", BATCH + """
    for row, seq in enumerate(sequences):
        seq = seq[-length:] if seq else seq
        ids[row, :len(seq)] = seq
    return ids, ids != 0
""", "keeping its FIRST `length` tokens"),
    ("7.5", "mask inverted", BATCH + """
    for row, seq in enumerate(sequences):
        ids[row, :len(seq[:length])] = seq[:length]
    return ids, ids == 0
""", "the mask is upside down"),
    ("7.5", "mask all True", BATCH + """
    for row, seq in enumerate(sequences):
        ids[row, :len(seq[:length])] = seq[:length]
    return ids, np.ones(ids.shape, dtype=bool)
""", "the mask must be False at the padding"),
    ("7.5", "not cut", BATCH + """
    for row, seq in enumerate(sequences):
        ids[row, :len(seq)] = seq
    return ids, ids != 0
""", "cut them to their first `length`"),
    ("7.5", "ids only", BATCH + """
    for row, seq in enumerate(sequences):
        ids[row, :len(seq[:length])] = seq[:length]
    return ids
""", "return the pair (ids, mask)"),
    ("7.5", "float ids", """
def masked_batch(sequences, length):
    ids = np.zeros((len(sequences), length))
    for row, seq in enumerate(sequences):
        ids[row, :len(seq[:length])] = seq[:length]
    return ids, ids != 0
""", "the ids must be whole numbers"),
    ("7.5", "0/1 mask", BATCH + """
    for row, seq in enumerate(sequences):
        ids[row, :len(seq[:length])] = seq[:length]
    return ids, (ids > 0).astype(int)
""", "the mask must be an array of booleans"),
    # ---- 7.4
    ("7.4", "untouched stub", STREAM + "    " + STUB, "not written yet"),
    ("7.4", "never sets the states", STREAM + """
    parts = [model.predict(x[:, s:s + chunk_length], verbose=0) for s in range(0, x.shape[1], chunk_length)]
    return np.concatenate(parts, axis=1)
""", "continued from wherever the layer's states were left"),
    ("7.4", "zeros", STREAM + """
    model.reset_states()
    parts = [model.predict(x[:, s:s + chunk_length], verbose=0) for s in range(0, x.shape[1], chunk_length)]
    return np.concatenate(parts, axis=1)
""", "the stream started from zeros"),
    ("7.4", "h0 before every chunk", STREAM + """
    parts = []
    for s in range(0, x.shape[1], chunk_length):
        rnn.reset_states(states=h0)
        parts.append(model.predict(x[:, s:s + chunk_length], verbose=0))
    return np.concatenate(parts, axis=1)
""", "every chunk restarted from h0"),
    ("7.4", "zeros before every chunk", STREAM + """
    rnn.reset_states(states=h0)
    parts = []
    for s in range(0, x.shape[1], chunk_length):
        parts.append(model.predict(x[:, s:s + chunk_length], verbose=0))
        model.reset_states()
    return np.concatenate(parts, axis=1)
""", "every chunk after the first restarted from zeros"),
    ("7.4", "last chunk dropped", STREAM + """
    rnn.reset_states(states=h0)
    parts = [model.predict(x[:, k * chunk_length:(k + 1) * chunk_length], verbose=0)
             for k in range(x.shape[1] // chunk_length)]
    return np.concatenate(parts, axis=1)
""", "the last, shorter chunk is missing"),
    ("7.4", "joined along the batch", STREAM + """
    rnn.reset_states(states=h0)
    parts = [model.predict(x[:, s:s + chunk_length], verbose=0) for s in range(0, x.shape[1], chunk_length)]
    return np.concatenate(parts)
""", "join the chunks along the time axis"),
]

RIGHT = [
    ("7.1", "np.dot", STEP + "    return np.tanh(np.dot(x_t, W) + np.dot(h_prev, U) + b)"),
    ("7.1", "one matrix", STEP + """
    both = np.concatenate([x_t, h_prev], axis=1) @ np.concatenate([W, U], axis=0)
    return np.tanh(both + b)
"""),
    ("7.1", "row by row", STEP + """
    rows = [np.tanh(x @ W + h @ U + b) for x, h in zip(x_t, h_prev)]
    return np.array(rows)
"""),
    ("7.2", "np.split", LSTM + """
    zi, zf, zc, zo = np.split(z, 4, axis=1)
    c = sig(zf) * c_prev + sig(zi) * np.tanh(zc)
    return sig(zo) * np.tanh(c), c
"""),
    ("7.2", "per gate products", """
def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    u = h_prev.shape[1]
    def gate(k, act):
        cols = slice(k * u, (k + 1) * u)
        return act(x_t @ kernel[:, cols] + h_prev @ recurrent_kernel[:, cols] + bias[cols])
    sig = lambda v: 0.5 * (1 + np.tanh(v / 2))
    i, f, g, o = gate(0, sig), gate(1, sig), gate(2, np.tanh), gate(3, sig)
    c = f * c_prev + i * g
    return o * np.tanh(c), c
"""),
    ("7.2", "reshape", """
def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z = np.dot(x_t, kernel) + np.dot(h_prev, recurrent_kernel) + bias
    zi, zf, zc, zo = np.moveaxis(z.reshape(len(z), 4, -1), 1, 0)
    c = c_prev / (1 + np.exp(-zf)) + np.tanh(zc) / (1 + np.exp(-zi))
    return np.tanh(c) / (1 + np.exp(-zo)), c
"""),
    ("7.3", "K.dot, tuple states", CELL + """
        candidate = K.tanh(K.dot(inputs, self.kernel) + K.dot(h, self.recurrent_kernel))
        new = h + self.leak * (candidate - h)
        return new, (new,)
"""),
    ("7.3", "Keras 3 add_weight, training argument", """
class LeakyCell(mk.layers.Layer):
    def __init__(self, units, leak=0.5, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.leak = leak

    @property
    def state_size(self):
        return self.units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                initializer="orthogonal",
                                                name="recurrent_kernel")

    def call(self, inputs, states, training=None):
        (h,) = states
        z = K.dot(inputs, self.kernel) + K.dot(h, self.recurrent_kernel)
        out = (1.0 - self.leak) * h + self.leak * K.tanh(z)
        return out, [out]

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, leak=self.leak)
        return config
"""),
    ("7.3", "list of state sizes", CELL.replace(
        "self.units, self.leak, self.state_size = units, leak, units",
        "self.units, self.leak, self.state_size = units, leak, [units]") + """
        mixed = (1 - self.leak) * h + self.leak * K.tanh(K.dot(inputs, self.kernel) + K.dot(h, self.recurrent_kernel))
        return mixed, [mixed]
"""),
    ("7.5", "mask first", """
def masked_batch(sequences, length):
    mask = np.array([[t < len(s) for t in range(length)] for s in sequences], dtype=bool)
    ids = np.zeros(mask.shape, dtype=np.int32)
    for row, s in enumerate(sequences):
        ids[row][mask[row]] = s[:length]
    return ids, mask
"""),
    ("7.5", "rows as lists", """
def masked_batch(sequences, length):
    rows = [list(s[:length]) + [0] * (length - len(s[:length])) for s in sequences]
    ids = np.array(rows, dtype=np.int64).reshape(len(sequences), length)
    return ids, ids > 0
"""),
    ("7.5", "np.pad", """
def masked_batch(sequences, length):
    ids = np.stack([np.pad(np.asarray(s[:length], dtype=int), (0, length - len(s[:length])))
                    for s in sequences])
    return ids, np.not_equal(ids, 0)
"""),
    ("7.4", "model calls", STREAM + """
    rnn.reset_states(states=[h0])
    outputs = []
    start = 0
    while start < x.shape[1]:
        outputs.append(np.asarray(model(x[:, start:start + chunk_length])))
        start += chunk_length
    return np.concatenate(outputs, axis=1)
"""),
    ("7.4", "array_split", """
def stream_in_chunks(model, x, chunk_length, h0):
    model.layers[-1].reset_states(states=h0)
    pieces = range(chunk_length, x.shape[1], chunk_length)
    return np.concatenate([model.predict(c, verbose=0) for c in np.split(x, pieces, axis=1)], axis=1)
"""),
    ("7.4", "the layer itself", STREAM + """
    rnn.reset_states()
    rnn.reset_states(states=np.array(h0))
    return np.concatenate([np.asarray(rnn(x[:, s:s + chunk_length]))
                           for s in range(0, x.shape[1], chunk_length)], axis=1)
"""),
]
