"""Checks of lesson 07 (recurrent layers): exercises 7.1 to 7.5 (7.4: a stateful stream, 7.5: a masked batch).

The references are plain NumPy loops over time, written here without minikeras's
recurrent layers, cells or kernels; the checks of 7.3 and 7.5 then run the learner's
code inside the library (``RNN(cell)``, a stateful model) and compare with them.

>>> import numpy as np
>>> EXERCISES[0].run(lambda x_t, h_prev, W, U, b: np.tanh(x_t @ W + h_prev @ U + b)).passed
True
"""
from __future__ import annotations

import numpy as np

from .exercise import Case, Exercise, Mistake, Rule

_rng = np.random.default_rng(7)


def _normal(*shape, scale=0.7):
    return _rng.normal(0.0, scale, size=shape)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ---------------------------------------------------------------- 7.1 rnn_step
def rnn_step(x_t, h_prev, W, U, b):
    return np.tanh(np.einsum("bf,fu->bu", x_t, W) + np.einsum("bv,vu->bu", h_prev, U) + b)


_STEP_CASES = [
    # 3 features, 4 units: W and U have different shapes, so mixing them up raises
    Case(_normal(2, 3), _normal(2, 4), _normal(3, 4), _normal(4, 4), _normal(4)),
    # by hand: tanh(1 * 2 + 0.5 * -1 + 0.25) = tanh(1.75)
    Case(np.array([[1.0]]), np.array([[0.5]]), np.array([[2.0]]), np.array([[-1.0]]),
         np.array([0.25]), expected=np.array([[0.9413755384972874]])),
    Case(_normal(5, 2), np.zeros((5, 2)), _normal(2, 2), _normal(2, 2), _normal(2),
         note="the first step (h_prev = 0), 2 features and 2 units"),
    Case(_normal(3, 2), _normal(3, 2), _normal(2, 2), _normal(2, 2), _normal(2),
         note="2 features and 2 units"),
    Case(_normal(1, 6), _normal(1, 3), _normal(6, 3), _normal(3, 3), np.zeros(3),
         note="a batch of one sample"),
]

RNN_STEP = Exercise(
    "7.1", "rnn_step", reference=rnn_step, cases=_STEP_CASES,
    mistakes=[
        Mistake("the squashing is missing: the new state is tanh of the sum",
                lambda x, h, W, U, b: x @ W + h @ U + b),
        Mistake("that is a sigmoid; a SimpleRNN squashes with tanh (values in -1..1)",
                lambda x, h, W, U, b: _sigmoid(x @ W + h @ U + b)),
        Mistake("the previous state h_prev is not used: without it there is no memory, "
                "each step only sees its own input", lambda x, h, W, U, b: np.tanh(x @ W + b)),
        Mistake("the bias b is missing", lambda x, h, W, U, b: np.tanh(x @ W + h @ U)),
        Mistake("the input goes through U and the state through W: W (features, units) "
                "multiplies x_t, U (units, units) multiplies h_prev",
                lambda x, h, W, U, b: np.tanh(x @ U + h @ W + b)),
        Mistake("the shapes do not fit: x_t is (batch, features) and W is (features, units), "
                "so the product is x_t @ W (likewise h_prev @ U); a batch is many rows",
                raises=ValueError, match="matmul|shapes|align|broadcast"),
        Mistake("return one array, the new state (batch, units)",
                when=lambda got, *args: isinstance(got, (tuple, list))),
    ],
    steps="h_t = np.tanh(x_t @ W + h_prev @ U + b): the input through W, the previous state "
          "through U, the bias, then tanh.")


# ---------------------------------------------------------------- 7.2 lstm_step
def _lstm_parts(x_t, h_prev, kernel, recurrent_kernel, bias):
    z = np.einsum("bf,fg->bg", x_t, kernel) + np.einsum("bv,vg->bg", h_prev, recurrent_kernel) \
        + bias
    u = z.shape[1] // 4
    return [z[:, k * u:(k + 1) * u] for k in range(4)]   # Keras's order: i, f, c, o


def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    zi, zf, zc, zo = _lstm_parts(x_t, h_prev, kernel, recurrent_kernel, bias)
    c = _sigmoid(zf) * c_prev + _sigmoid(zi) * np.tanh(zc)
    return _sigmoid(zo) * np.tanh(c), c


def _lstm(rule):
    """A wrong answer given by rule(zi, zf, zc, zo, c_prev) -> (h, c)."""
    def wrong(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
        return rule(*_lstm_parts(x_t, h_prev, kernel, recurrent_kernel, bias), c_prev)
    return wrong


def _standard(i, f, g, o, c_prev):
    """The LSTM update from the four gate values (used by the wrong orders below)."""
    c = f * c_prev + i * g
    return o * np.tanh(c), c


_S, _T = _sigmoid, np.tanh

_LSTM_CASES = [
    Case(_normal(2, 3), _normal(2, 2), _normal(2, 2), _normal(3, 8), _normal(2, 8),
         _normal(8), note="3 features, 2 units"),
    # by hand: every z is 0 except the candidate's (the bias of its column is 1), so
    # i = f = o = 0.5, g = tanh(1); c = 0.5 * 0.5 + 0.5 * tanh(1); h = 0.5 * tanh(c)
    Case(np.array([[1.0]]), np.array([[0.0]]), np.array([[0.5]]), np.zeros((1, 4)),
         np.zeros((1, 4)), np.array([0.0, 0.0, 1.0, 0.0]),
         expected=(np.array([[0.27930041]]), np.array([[0.63079708]]))),
    Case(_normal(4, 5), _normal(4, 3), _normal(4, 3), _normal(5, 12), _normal(3, 12),
         _normal(12), note="a batch of 4, 5 features, 3 units"),
    Case(_normal(1, 2), np.zeros((1, 4)), np.zeros((1, 4)), _normal(2, 16), _normal(4, 16),
         np.concatenate([np.zeros(4), np.ones(4), np.zeros(8)]),
         note="the first step (h and c zero), forget bias 1"),
]

LSTM_STEP = Exercise(
    "7.2", "lstm_step", reference=lstm_step, cases=_LSTM_CASES,
    mistakes=[
        Mistake("(h, c) are swapped: return the output h first, then the cell state c",
                lambda *a: lstm_step(*a)[::-1]),
        Mistake("the gates are in the wrong columns: Keras's order is i, f, c, o (input "
                "gate, forget gate, candidate, output gate); you read the third block as the "
                "output gate and the fourth as the candidate",
                _lstm(lambda zi, zf, zc, zo, c: _standard(_S(zi), _S(zf), _T(zo), _S(zc), c))),
        Mistake("the gates are in the wrong columns: Keras's order is i, f, c, o (input "
                "gate, forget gate, candidate, output gate); you read the second block as "
                "the candidate",
                _lstm(lambda zi, zf, zc, zo, c: _standard(_S(zi), _S(zc), _T(zf), _S(zo), c))),
        Mistake("the blocks are columns of width `units`: split z along axis 1 (z[:, :u], "
                "z[:, u:2u], ...), one block per gate",
                raises=ValueError, match="broadcast|shape"),
        Mistake("the candidate g uses tanh (values in -1..1, it can also subtract from the "
                "memory), not the sigmoid",
                _lstm(lambda zi, zf, zc, zo, c: _standard(_S(zi), _S(zf), _S(zc), _S(zo), c))),
        Mistake("the gates use the sigmoid (values between 0 and 1: how much to let "
                "through), not tanh",
                _lstm(lambda zi, zf, zc, zo, c: _standard(_T(zi), _T(zf), _T(zc), _T(zo), c))),
        Mistake("the output is o * tanh(c): the new cell state is squashed before the output "
                "gate", _lstm(lambda zi, zf, zc, zo, c: (
                    _S(zo) * (_S(zf) * c + _S(zi) * _T(zc)), _S(zf) * c + _S(zi) * _T(zc)))),
        Mistake("h must use the NEW cell state c_t, not c_prev",
                _lstm(lambda zi, zf, zc, zo, c: (_S(zo) * _T(c), _S(zf) * c + _S(zi) * _T(zc)))),
        Mistake("the input gate is missing: the candidate is added as i * g",
                _lstm(lambda zi, zf, zc, zo, c: _standard(1.0, _S(zf), _T(zc), _S(zo), c))),
        Mistake("the forget gate must multiply the OLD cell state (f * c_prev); you dropped "
                "c_prev, so nothing is remembered",
                _lstm(lambda zi, zf, zc, zo, c: _standard(_S(zi), _S(zf), _T(zc), _S(zo), 0.0))),
        Mistake("the forget gate MULTIPLIES the old cell state: f * c_prev (f near 0 forgets, "
                "near 1 keeps), it is not added to it",
                _lstm(lambda zi, zf, zc, zo, c: _standard(_S(zi), 1.0, _T(zc), _S(zo),
                                                          c + _S(zf)))),
        Mistake("in an LSTM the input and forget gates are separate: c = f * c_prev + i * g, "
                "not (1 - f) * g (that coupling is the GRU's idea)",
                _lstm(lambda zi, zf, zc, zo, c: _standard(1.0 - _S(zf), _S(zf), _T(zc),
                                                          _S(zo), c))),
        Mistake("return the pair (h, c)",
                when=lambda got, *args: not isinstance(got, (tuple, list)) or len(got) != 2),
    ],
    steps="z = x_t @ kernel + h_prev @ recurrent_kernel + bias; u = z.shape[1] // 4; "
          "i, f, o = sigmoid of the blocks 0, 1, 3 (z[:, :u], z[:, u:2*u], z[:, 3*u:]); "
          "g = tanh(z[:, 2*u:3*u]); c = f * c_prev + i * g; h = o * tanh(c); return h, c.")


# ---------------------------------------------------------------- 7.3 a recurrent cell
def leaky_rnn(x, W, U, leak, how):
    """A leaky cell over a whole sequence, from zero: every step's state (batch, time,
    units); masked steps (x all zero, the 'masked' case) keep the state and output it."""
    h, outputs = np.zeros((x.shape[0], W.shape[1])), []
    for t in range(x.shape[1]):
        new = (1.0 - leak) * h + leak * np.tanh(x[:, t] @ W + h @ U)
        if how == "masked":
            keep = np.all(x[:, t] == 0.0, axis=-1, keepdims=True)
            new = np.where(keep, h, new)
        outputs.append(new)
        h = new
    return np.stack(outputs, axis=1)


def _run_cell(cls, x, W, U, leak, how):
    """The learner's cell inside minikeras's RNN layer, with the weights W and U."""
    from minikeras.layers import RNN, Input, Masking
    from minikeras.models import Sequential
    units = W.shape[1]
    layer = RNN(cls(units, leak=leak), return_sequences=True)
    if how == "array":
        layer(x[:1])                                   # builds the cell
    else:
        stack = [Input(shape=x.shape[1:])] + ([Masking(0.0)] if how == "masked" else [])
        model = Sequential(stack + [layer])
    layer.cell.kernel.assign(W)
    layer.cell.recurrent_kernel.assign(U)
    return np.asarray(layer(x)) if how == "array" else model.predict(x, verbose=0)


def _masked_input(batch, time, features):
    x = _normal(batch, time, features)
    x[0, 2:4] = 0.0                                    # two masked steps in the middle
    x[1, -1] = 0.0                                     # and a masked last step
    return x


def _config_keeps_settings(cls):
    config = cls(3, leak=0.25).get_config()
    return config.get("units") == 3 and config.get("leak") == 0.25


def _weights_are_the_two_matrices(cls):
    from minikeras.layers import RNN
    layer = RNN(cls(4, leak=0.5))
    layer(np.zeros((1, 2, 3)))
    return sorted(tuple(w.shape) for w in layer.cell.weights) == [(3, 4), (4, 4)]


def _leaky(rule):
    """A wrong cell given by rule(h, new_value, leak) -> next state (no masks)."""
    def wrong(x, W, U, leak, how):
        h, outputs = np.zeros((x.shape[0], W.shape[1])), []
        for t in range(x.shape[1]):
            h = rule(h, x[:, t] @ W + h @ U, x[:, t] @ W, leak)
            outputs.append(h)
        return np.stack(outputs, axis=1)
    return wrong


LEAKY_CELL = Exercise(
    "7.3", "class LeakyCell", reference=leaky_rnn, call=_run_cell, rtol=1e-4, atol=1e-5,
    cases=[Case(_normal(2, 5, 3), _normal(3, 4), _normal(4, 4), 0.3, "array",
                note="RNN(LeakyCell(4, leak=0.3)) called on an array"),
           Case(np.ones((1, 2, 1)), np.array([[1.0]]), np.array([[0.0]]), 0.5, "array",
                expected=np.array([[[0.38079708], [0.57119562]]]),
                note="by hand: h1 = 0.5 tanh(1), h2 = 0.5 h1 + 0.5 tanh(1)"),
           Case(_normal(3, 6, 2), _normal(2, 3), _normal(3, 3), 1.0, "model",
                note="leak=1 (a plain tanh RNN) inside a Sequential model"),
           Case(_masked_input(2, 6, 3), _normal(3, 2), _normal(2, 2), 0.6, "masked",
                note="after a Masking layer")],
    mistakes=[
        Mistake("the two parts are mixed the other way round: keep (1 - leak) of the old state "
                "and add leak times the new value",
                _leaky(lambda h, z, xw, a: a * h + (1 - a) * np.tanh(z))),
        Mistake("that is a plain tanh RNN: mix the old state back in, (1 - leak) * h + "
                "leak * tanh(...)", _leaky(lambda h, z, xw, a: np.tanh(z))),
        Mistake("the new value must see the previous state too: tanh(x_t W + h U)",
                _leaky(lambda h, z, xw, a: (1 - a) * h + a * np.tanh(xw))),
        Mistake("the squashing is missing: leak * tanh(x_t W + h U)",
                _leaky(lambda h, z, xw, a: (1 - a) * h + a * z)),
        Mistake("RNN(cell) needs cell.state_size (here: units) to make the first state",
                raises=ValueError, match="state_size"),
        Mistake("call receives symbolic tensors, which NumPy cannot compute with: use K.dot, "
                "K.tanh and the operators + - *",
                raises=(TypeError, AttributeError, ValueError),
                match=r"is symbolic|ufunc|convert object|__array__|not supported between"),
        Mistake("call(self, inputs, states) gets the step's input and the LIST of states (one "
                "here: h = states[0]), and returns (output, [new state])",
                raises=TypeError, match="positional argument|unpack|not iterable|subscriptable|"
                                        "multiply sequence|'list'"),
        Mistake("build gets the shape of ONE step, (batch, features), not of the whole "
                "sequence: the features are input_shape[-1]",
                raises=IndexError, match="tuple index out of range"),
        Mistake("the kernel is (input features, units): in build, input_shape[-1] is the "
                "number of features of one step", raises=ValueError,
                match="contract|do not fit|cannot|shape"),
        Mistake("__init__ must call super().__init__(**kwargs) first: it sets up the layer's "
                "name, dtype and weights", raises=AttributeError, match="has no attribute"),
    ],
    rules=[Rule("the cell's weights must be exactly the two matrices kernel (features, units) "
                "and recurrent_kernel (units, units), no bias", _weights_are_the_two_matrices),
           Rule("get_config() must include units and leak, so that a saved model can make "
                "the cell again: return {**super().get_config(), 'units': self.units, "
                "'leak': self.leak}", _config_keeps_settings)],
    steps="__init__: super().__init__(**kwargs), keep units and leak, self.state_size = "
          "units. build(input_shape): self.kernel = self.add_weight(name='kernel', "
          "shape=(input_shape[-1], self.units), initializer='glorot_uniform'), and "
          "recurrent_kernel (units, units). call(self, inputs, states): h = states[0]; "
          "new = (1 - self.leak) * h + self.leak * K.tanh(K.dot(inputs, self.kernel) + "
          "K.dot(h, self.recurrent_kernel)); return new, [new].")


# ---------------------------------------------------------------- 7.5 masked_batch
def masked_batch(sequences, length):
    ids = np.zeros((len(sequences), length), dtype=np.int64)
    for row, seq in enumerate(sequences):
        kept = list(seq)[:length]
        ids[row, :len(kept)] = kept
    return ids, ids != 0


def _padded(place):
    """A wrong batch: place(seq, length) -> the row of ids; the mask from ids != 0."""
    def wrong(sequences, length):
        ids = np.array([place(list(s), length) for s in sequences], dtype=np.int64)
        return ids, ids != 0
    return wrong


def _as_pair(fn, sequences, length):
    return fn([list(s) for s in sequences], length)


def _integer_ids(fn):
    ids, _ = fn([[3, 1], [2]], 3)
    return np.asarray(ids).dtype.kind in "iu"


def _bool_mask(fn):
    _, mask = fn([[3, 1], [2]], 3)
    return np.asarray(mask).dtype == bool


_SEQS = [[4, 2, 7], [5], [1, 1, 9, 3, 8], [6, 2]]

MASKED_BATCH = Exercise(
    "7.5", "masked_batch", reference=masked_batch, call=_as_pair,
    cases=[Case([[4, 2, 7], [5], [6, 2]], 4,
                expected=(np.array([[4, 2, 7, 0], [5, 0, 0, 0], [6, 2, 0, 0]]),
                          np.array([[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 0, 0]], dtype=bool))),
           Case(_SEQS, 3, note="the third sequence is longer than length: it is cut"),
           Case([[3, 3]], 2, note="one sequence that fills the row"),
           Case([[2], [], [7, 1]], 3, note="an empty sequence (a row of padding)"),
           Case(_SEQS, 1, note="length 1")],
    mistakes=[
        Mistake("the padding goes at the END here (the tokens first, then zeros): the "
                "layers then read the real tokens before the padding",
                _padded(lambda s, n: ([0] * (n - len(s[:n])) + s[:n]))),
        Mistake("a sequence longer than `length` is cut by keeping its FIRST `length` tokens "
                "(seq[:length])", _padded(lambda s, n: (s[-n:] if len(s) > n else s) +
                                          [0] * (n - len(s[-n:] if len(s) > n else s)))),
        Mistake("the mask is upside down: True marks the real tokens, False the padding",
                lambda seqs, n: (masked_batch(seqs, n)[0], masked_batch(seqs, n)[0] == 0)),
        Mistake("the mask must be False at the padding (where the id is 0)",
                lambda seqs, n: (masked_batch(seqs, n)[0],
                                 np.ones((len(seqs), n), dtype=bool))),
        Mistake("some sequences are longer than `length`: cut them to their first `length` "
                "tokens before filling the row", raises=(ValueError, IndexError),
                match="broadcast|could not|out of bounds|inhomogeneous|sequence"),
        Mistake("return the pair (ids, mask)",
                when=lambda got, *args: not isinstance(got, (tuple, list)) or len(got) != 2),
    ],
    rules=[Rule("the ids must be whole numbers (an integer array: np.zeros(..., dtype=int)): "
                "Embedding looks rows up by them", _integer_ids),
           Rule("the mask must be an array of booleans (True / False), e.g. ids != 0",
                _bool_mask)],
    steps="ids = np.zeros((len(sequences), length), dtype=int); for each row, kept = "
          "seq[:length] and ids[row, :len(kept)] = kept; mask = ids != 0; return ids, mask.")


# ---------------------------------------------------------------- 7.4 a stateful stream
def simple_rnn_numpy(x, h0, W, U, b):
    h, outputs = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W + h @ U + b)
        outputs.append(h)
    return np.stack(outputs, axis=1)


def streamed(x, chunk_length, h0, W, U, b):
    """What streaming the chunks through a stateful layer from h0 gives: the long run."""
    return simple_rnn_numpy(x, h0, W, U, b)


def _stream_with(fn, x, chunk_length, h0, W, U, b):
    """The learner's function on a fresh stateful model, twice (after an earlier stream
    that ends elsewhere): the second result is compared."""
    from minikeras.layers import Input, SimpleRNN
    from minikeras.models import Sequential
    model = Sequential([Input(batch_shape=(x.shape[0], None, x.shape[2])),
                        SimpleRNN(W.shape[1], stateful=True, return_sequences=True)])
    model.set_weights([W.astype("float32"), U.astype("float32"), b.astype("float32")])
    fn(model, x[:, ::-1].copy(), chunk_length, -h0)   # another stream first
    return fn(model, x, chunk_length, h0)


def _chunked(start_of_chunk):
    """A wrong stream: start_of_chunk(k, h_end_of_previous, h0) is the state chunk k
    starts from."""
    def wrong(x, chunk_length, h0, W, U, b):
        # where the earlier stream ended when it, too, kept the states of a fresh model
        before = simple_rnn_numpy(x[:, ::-1], np.zeros_like(h0), W, U, b)[:, -1]
        parts, h = [], None
        for k, start in enumerate(range(0, x.shape[1], chunk_length)):
            state = start_of_chunk(k, h, h0, before)
            out = simple_rnn_numpy(x[:, start:start + chunk_length], state, W, U, b)
            parts.append(out)
            h = out[:, -1]
        return np.concatenate(parts, axis=1)
    return wrong


def _whole_chunks_only(x, chunk_length, h0, W, U, b):
    whole = x.shape[1] // chunk_length * chunk_length
    return simple_rnn_numpy(x[:, :whole], h0, W, U, b)


_B, _F, _U = 3, 2, 4
_W5, _U5, _b5 = _normal(_F, _U), _normal(_U, _U, scale=0.5), _normal(_U, scale=0.3)

STREAM = Exercise(
    "7.4", "stream_in_chunks", reference=streamed, call=_stream_with, rtol=1e-4, atol=1e-5,
    cases=[Case(_normal(_B, 9, _F), 3, _normal(_B, _U), _W5, _U5, _b5,
                note="9 steps in chunks of 3"),
           Case(_normal(_B, 7, _F), 3, _normal(_B, _U), _W5, _U5, _b5,
                note="7 steps in chunks of 3: the last chunk is shorter"),
           Case(_normal(_B, 4, _F), 1, _normal(_B, _U), _W5, _U5, _b5,
                note="one step at a time"),
           Case(_normal(_B, 5, _F), 8, np.zeros((_B, _U)), _W5, _U5, _b5,
                note="one chunk longer than the sequence, from zero states")],
    mistakes=[
        Mistake("the stream continued from wherever the layer's states were left (an earlier "
                "stream): set them to h0 at the start, rnn.reset_states(states=h0)",
                _chunked(lambda k, h, h0, before: before if k == 0 else h)),
        Mistake("the stream started from zeros: start it from h0 with "
                "rnn.reset_states(states=h0) (reset_states() alone sets zeros)",
                _chunked(lambda k, h, h0, before: np.zeros_like(h0) if k == 0 else h)),
        Mistake("every chunk restarted from h0: set the states ONCE, before the first chunk; "
                "the stateful layer carries them from chunk to chunk",
                _chunked(lambda k, h, h0, before: h0)),
        Mistake("every chunk after the first restarted from zeros: do not reset between "
                "chunks, only once before the first (to h0)",
                _chunked(lambda k, h, h0, before: h0 if k == 0 else np.zeros_like(h0))),
        Mistake("the last, shorter chunk is missing: step through range(0, time, "
                "chunk_length), which keeps it", _whole_chunks_only),
        Mistake("join the chunks along the time axis (axis=1): each is (batch, chunk, units)",
                when=lambda got, x, n, *rest: np.ndim(got) == 3 and
                np.shape(got)[0] != x.shape[0]),
    ],
    steps="rnn = model.layers[0]; rnn.reset_states(states=h0); outputs = "
          "[model.predict(x[:, start:start + chunk_length], verbose=0) for start in "
          "range(0, x.shape[1], chunk_length)]; return np.concatenate(outputs, axis=1).")


EXERCISES = [RNN_STEP, LSTM_STEP, LEAKY_CELL, STREAM, MASKED_BATCH]
