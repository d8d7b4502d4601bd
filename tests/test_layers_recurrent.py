"""Recurrent layers against an independent NumPy computation of Keras's equations.

``np_*`` below are written from the equations (one sample at a time, one step at a time,
plain loops), not from minikeras's kernels. Each layer's outputs and final states are
compared with them for every option: return_sequences/return_state, go_backwards,
masks (a fully masked sample, masked first steps), zero_output_for_mask, initial_state,
stateful, unroll, activations. The fused scan and the unrolled graph are compared with
each other too, values and gradients.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minikeras as mk
import minikeras.backend as K
from minikeras.autograd import gradients
from minikeras.layers import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    Dense,
    Embedding,
    Flatten,
    GRUCell,
    Input,
    Layer,
    LSTMCell,
    Masking,
    SimpleRNN,
    SimpleRNNCell,
    TimeDistributed,
)
from minikeras.models import Model, Sequential

rng = np.random.default_rng(12)
TOL = {"rtol": 2e-5, "atol": 2e-6}


# ---------------------------------------------------------------- the NumPy equations
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


NP_ACT = {"tanh": np.tanh, "sigmoid": sigmoid, "linear": lambda x: x,
          "relu": lambda x: np.maximum(x, 0.0),
          "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
          "hard_sigmoid_keras2": lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0)}


def np_simple_step(x, states, w, act="tanh"):
    kernel, rec, bias = w
    h = NP_ACT[act](x @ kernel + states[0] @ rec + bias)
    return h, [h]


def np_lstm_step(x, states, w, act="tanh", ract="sigmoid"):
    kernel, rec, bias = w
    h, c = states
    u = h.shape[-1]
    z = x @ kernel + h @ rec + bias
    i, f = NP_ACT[ract](z[:u]), NP_ACT[ract](z[u:2 * u])
    g, o = NP_ACT[act](z[2 * u:3 * u]), NP_ACT[ract](z[3 * u:])
    c = f * c + i * g
    h = o * NP_ACT[act](c)
    return h, [h, c]


def np_gru_step(x, states, w, act="tanh", ract="sigmoid", reset_after=True):
    kernel, rec, bias = w
    (h,) = states
    u = h.shape[-1]
    if reset_after:
        xz = x @ kernel + bias[0]
        rz = h @ rec + bias[1]
        z = NP_ACT[ract](xz[:u] + rz[:u])
        r = NP_ACT[ract](xz[u:2 * u] + rz[u:2 * u])
        hh = NP_ACT[act](xz[2 * u:] + r * rz[2 * u:])
    else:
        xz = x @ kernel + bias
        z = NP_ACT[ract](xz[:u] + h @ rec[:, :u])
        r = NP_ACT[ract](xz[u:2 * u] + h @ rec[:, u:2 * u])
        hh = NP_ACT[act](xz[2 * u:] + (r * h) @ rec[:, 2 * u:])
    h = z * h + (1 - z) * hh
    return h, [h]


def np_rnn(step, x, states, mask=None, go_backwards=False, zero_output_for_mask=False):
    """Keras's loop for ONE sample: masked steps keep the states and emit the previous
    output (zeros before the first real step, or always with zero_output_for_mask)."""
    steps = list(range(x.shape[0]))[::-1] if go_backwards else range(x.shape[0])
    outputs, previous = [], np.zeros_like(states[0])
    for t in steps:
        out, new = step(x[t], states)
        if mask is not None and not mask[t]:
            out = np.zeros_like(out) if zero_output_for_mask else previous
            new = states
        outputs.append(out)
        previous, states = out, new
    return np.stack(outputs), states


def np_layer(step, x, states0, mask=None, **options):
    """np_rnn over a batch: (outputs (B, T, u), final states per state (B, u))."""
    results = [np_rnn(step, x[b], [s[b] for s in states0],
                      None if mask is None else mask[b], **options) for b in range(len(x))]
    outs = np.stack([r[0] for r in results])
    finals = [np.stack([r[1][k] for r in results]) for k in range(len(states0))]
    return outs, finals


def random_weights(layer, scale=0.6):
    values = [rng.normal(0, scale, size=w.shape).astype("float32") for w in layer.weights]
    layer.set_weights(values)
    return values


MASK = np.array([[1, 1, 0, 1, 0, 1], [0, 0, 0, 0, 0, 0], [0, 0, 1, 1, 1, 0],
                 [1, 1, 1, 1, 1, 1]], dtype=bool)
X = rng.normal(size=(4, 6, 3)).astype("float32")

KINDS = {
    # name: (layer class, keyword args, NumPy step, number of states)
    "simple_rnn": (SimpleRNN, {}, np_simple_step, 1),
    "simple_rnn_relu": (SimpleRNN, {"activation": "relu"},
                        lambda x, s, w: np_simple_step(x, s, w, "relu"), 1),
    "lstm": (LSTM, {}, np_lstm_step, 2),
    "lstm_hard_sigmoid": (LSTM, {"recurrent_activation": "hard_sigmoid"},
                          lambda x, s, w: np_lstm_step(x, s, w, ract="hard_sigmoid"), 2),
    "lstm_keras2_gates": (LSTM, {"recurrent_activation": "hard_sigmoid_keras2",
                                 "activation": "relu"},
                          lambda x, s, w: np_lstm_step(x, s, w, "relu",
                                                       "hard_sigmoid_keras2"), 2),
    "gru": (GRU, {}, np_gru_step, 1),
    "gru_reset_before": (GRU, {"reset_after": False},
                         lambda x, s, w: np_gru_step(x, s, w, reset_after=False), 1),
    "gru_linear": (GRU, {"activation": "linear"},
                   lambda x, s, w: np_gru_step(x, s, w, act="linear"), 1),
}
OPTIONS = {
    "last": {},
    "sequences": {"return_sequences": True},
    "state": {"return_state": True},
    "backwards": {"go_backwards": True, "return_sequences": True, "return_state": True},
    "unrolled": {"unroll": True, "return_sequences": True, "return_state": True},
}


def run(layer, x, mask=None, initial_state=None):
    """The layer's outputs as arrays (a list), through a compiled function."""
    inp = Input(shape=x.shape[1:])
    m_in = Input(shape=x.shape[1:2], dtype="bool") if mask is not None else None
    kwargs = {}
    if mask is not None:
        kwargs["mask"] = m_in
    feeds, values = [inp], [x]
    if mask is not None:
        feeds.append(m_in)
        values.append(mask)
    if initial_state is not None:
        states = [K.constant(s) for s in initial_state]
        kwargs["initial_state"] = states
    out = layer(inp, **kwargs)
    outs = out if isinstance(out, list) else [out]
    return K.function(feeds, outs)(values)


@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("masked", [False, True], ids=["dense", "masked"])
def test_outputs_match_numpy(kind, option, masked):
    cls, kwargs, step, n_states = KINDS[kind]
    layer = cls(5, **kwargs, **OPTIONS[option])
    layer.build((None, 6, 3))
    w = random_weights(layer)
    mask = MASK if masked else None
    got = run(layer, X, mask)
    zeros = [np.zeros((4, 5), np.float32)] * n_states
    outs, finals = np_layer(lambda x, s: step(x, s, w), X, zeros, mask,
                            go_backwards=layer.go_backwards)
    want = [outs if layer.return_sequences else outs[:, -1]]
    if layer.return_state:
        want += finals
    assert len(got) == len(want)
    for g, w_ in zip(got, want):
        np.testing.assert_allclose(g, w_, **TOL)


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru", "gru_reset_before"])
@pytest.mark.parametrize("unroll", [False, True])
def test_initial_state_and_zero_output_for_mask(kind, unroll):
    cls, kwargs, step, n_states = KINDS[kind]
    layer = cls(5, return_sequences=True, return_state=True, zero_output_for_mask=True,
                unroll=unroll, **kwargs)
    layer.build((None, 6, 3))
    w = random_weights(layer)
    states = [rng.normal(size=(4, 5)).astype("float32") for _ in range(n_states)]
    got = run(layer, X, MASK, initial_state=states)
    outs, finals = np_layer(lambda x, s: step(x, s, w), X, states, MASK,
                            zero_output_for_mask=True)
    for g, w_ in zip(got, [outs, *finals]):
        np.testing.assert_allclose(g, w_, **TOL)
    # the fully masked sample keeps its initial states; its outputs are zeros
    for g, s in zip(got[1:], states):
        np.testing.assert_allclose(g[1], s[1], **TOL)
    np.testing.assert_array_equal(got[0][1], 0.0)


def test_first_masked_steps_emit_zeros_even_with_an_initial_state():
    """Keras 3 on torch/TF: no previous output before the first real step, so zeros."""
    layer = SimpleRNN(3, return_sequences=True)
    layer.build((None, 6, 3))
    random_weights(layer)
    h0 = [np.ones((4, 3), np.float32)]
    out = run(layer, X, MASK, initial_state=h0)[0]
    np.testing.assert_array_equal(out[2, :2], 0.0)   # sample 2 starts with 2 masked steps
    assert np.all(out[2, 2] != 0.0)
    np.testing.assert_array_equal(out[2, 5], out[2, 4])  # then repeats the last output


# ---------------------------------------------------------------- one scan = the unrolled graph
@pytest.mark.parametrize("kind", list(KINDS))
def test_scan_and_unrolled_graph_agree_on_values_and_gradients(kind):
    cls, kwargs, _, _ = KINDS[kind]
    inp = Input(shape=(6, 3))
    m = Input(shape=(6,), dtype="bool")
    fused = cls(4, return_sequences=True, go_backwards=True, **kwargs)
    unrolled = cls(4, return_sequences=True, go_backwards=True, unroll=True, **kwargs)
    y1, y2 = fused(inp, mask=m), unrolled(inp, mask=m)
    w = random_weights(fused)
    unrolled.set_weights(w)
    target = K.constant(rng.normal(size=(4, 6, 4)))
    loss1, loss2 = K.sum(K.square(y1 - target)), K.sum(K.square(y2 - target))
    g1 = gradients(loss1, fused.trainable_weights + [inp])
    g2 = gradients(loss2, unrolled.trainable_weights + [inp])
    ops_used = {n.op.name for n in mk.graph.topological_order([y1]) if n.op is not None}
    assert any(name.endswith("_scan") for name in ops_used)
    out = K.function([inp, m], [y1, y2, *g1, *g2])([X, MASK])
    np.testing.assert_allclose(out[0], out[1], **TOL)
    n = len(g1)
    for a, b in zip(out[2:2 + n], out[2 + n:]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_weights_names_shapes_and_gate_order():
    lstm = LSTM(3)
    lstm.build((None, 7, 2))
    assert [w.name for w in lstm.weights] == ["lstm_cell/kernel", "lstm_cell/recurrent_kernel",
                                               "lstm_cell/bias"]
    assert [w.shape for w in lstm.weights] == [(2, 12), (3, 12), (12,)]
    np.testing.assert_array_equal(lstm.get_weights()[2], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    no_forget = LSTM(3, unit_forget_bias=False, bias_initializer="ones")
    no_forget.build((None, 7, 2))
    np.testing.assert_array_equal(no_forget.get_weights()[2], np.ones(12))
    gru = GRU(3)
    gru.build((None, 7, 2))
    assert [w.shape for w in gru.weights] == [(2, 9), (3, 9), (2, 9)]
    simple = SimpleRNN(3, use_bias=False)
    simple.build((None, 7, 2))
    assert [w.shape for w in simple.weights] == [(2, 3), (3, 3)]
    assert lstm.count_params() == 2 * 12 + 3 * 12 + 12


def test_recurrent_initializer_is_orthogonal_and_layers_are_not_stateful_by_default():
    layer = LSTM(4)
    layer.build((None, 3, 2))
    u = layer.get_weights()[1]
    np.testing.assert_allclose(u @ u.T, np.eye(4), atol=1e-5)  # (4, 16): orthonormal rows
    assert layer.states is None and not layer.stateful


# ---------------------------------------------------------------- dropout
def test_dropout_masks_are_the_same_at_every_step():
    layer = SimpleRNN(8, dropout=0.5, activation="linear", return_sequences=True,
                      kernel_initializer="identity", recurrent_initializer="zeros")
    x = np.ones((3, 5, 8), np.float32)
    out = layer(x, training=True)   # h_t = (x_t * mask) I = the mask itself
    kept = out != 0
    assert 0 < kept.sum() < kept.size
    for t in range(5):
        np.testing.assert_array_equal(kept[:, t], kept[:, 0])
    np.testing.assert_allclose(out[kept], 2.0)                  # 1 / (1 - 0.5)
    np.testing.assert_array_equal(layer(x, training=False), np.ones((3, 5, 8)))


def test_recurrent_dropout_draws_a_mask_per_gate():
    cell = LSTMCell(4, dropout=0.3, recurrent_dropout=0.3)
    assert cell.implementation == 1
    cell.make_dropout_masks(K.ones((2, 3)), K.ones((2, 4)), training=True)
    assert len(cell.input_masks) == 4 and cell.recurrent_mask.shape == (2, 4, 4)
    m = K.eval(cell.recurrent_mask)
    assert not all(np.array_equal(m[:, 0], m[:, k]) for k in range(1, 4))
    cell.make_dropout_masks(K.ones((2, 3)), K.ones((2, 4)), training=False)
    assert cell.dropout_masks() == (None, None)
    assert LSTMCell(4, dropout=0.3).implementation == 2


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_training_with_dropout_runs_and_changes_the_output(cls):
    model = Sequential([Input(shape=(6, 3)), cls(4, dropout=0.4, recurrent_dropout=0.4)])
    model.compile("sgd", "mse")
    model.fit(X, np.zeros((4, 4)), epochs=1, verbose=0)
    layer = model.layers[0]
    a = layer(X, training=True)
    assert not np.allclose(a, layer(X, training=False))


# ---------------------------------------------------------------- stateful
def test_stateful_layer_continues_and_resets():
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    model = Sequential([Input(batch_shape=(2, 4, 3)), LSTM(5, stateful=True)])
    layer = model.layers[0]
    w = random_weights(layer)
    first, second = model.predict(x, verbose=0), model.predict(x, verbose=0)
    zeros = [np.zeros((2, 5), np.float32)] * 2
    outs, states = np_layer(lambda xt, s: np_lstm_step(xt, s, w), x, zeros)
    np.testing.assert_allclose(first, outs[:, -1], **TOL)
    outs2, _ = np_layer(lambda xt, s: np_lstm_step(xt, s, w), x, states)
    np.testing.assert_allclose(second, outs2[:, -1], **TOL)   # continued from the states
    np.testing.assert_allclose(layer.states[0].numpy(), outs2[:, -1], **TOL)
    assert len(layer.weights) == 3                               # states are not weights
    layer.reset_states()
    np.testing.assert_allclose(model.predict(x, verbose=0), first, **TOL)
    model.reset_states()
    h0, c0 = rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    layer.reset_states(states=[h0, c0])                          # Keras 2's states=
    outs3, _ = np_layer(lambda xt, s: np_lstm_step(xt, s, w), x,
                        [h0.astype("float32"), c0.astype("float32")])
    np.testing.assert_allclose(model.predict(x, verbose=0), outs3[:, -1], **TOL)


def test_eager_calls_of_a_stateful_layer_continue_from_its_states():
    # Keras 3: calling a stateful layer (or a model holding one) on arrays keeps the
    # states the call ends with, as predict does
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    model = Sequential([Input(batch_shape=(2, None, 3)), GRU(5, stateful=True,
                                                              return_sequences=True)])
    layer = model.layers[0]
    w = random_weights(layer)
    zeros = [np.zeros((2, 5), np.float32)]
    step = lambda xt, s: np_gru_step(xt, s, w)
    outs, states = np_layer(step, x, zeros)
    outs2, _ = np_layer(step, x[:, :2], states)
    np.testing.assert_allclose(model(x), outs, **TOL)
    np.testing.assert_allclose(layer.states[0].numpy(), outs[:, -1], **TOL)
    np.testing.assert_allclose(layer(x[:, :2]), outs2, **TOL)     # the layer alone too
    layer.reset_states()
    np.testing.assert_allclose(model(x), outs, **TOL)
    plain = GRU(5, return_sequences=True)
    plain(x)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(plain(x), plain(x), **TOL)        # not stateful: no memory


def test_stateful_errors():
    with pytest.raises(ValueError, match="batch size must be static"):
        Sequential([Input(shape=(4, 3)), SimpleRNN(2, stateful=True)])
    with pytest.raises(AttributeError, match="must be stateful"):
        SimpleRNN(2).reset_states()
    model = Sequential([Input(batch_shape=(2, 4, 3)), GRU(3, stateful=True)])
    with pytest.raises(ValueError, match=r"state 0 has shape \(2, 3\)"):
        model.layers[0].reset_states(states=[np.zeros((3, 3))])
    with pytest.raises(ValueError, match="expects 1 state"):
        model.layers[0].reset_states(states=[np.zeros((2, 3))] * 2)


def test_stateful_training_carries_states_between_batches():
    model = Sequential([Input(batch_shape=(2, 3, 1)), SimpleRNN(2, stateful=True)])
    model.compile("sgd", "mse")
    layer = model.layers[0]
    model.train_on_batch(np.ones((2, 3, 1)), np.zeros((2, 2)))
    assert np.any(layer.states[0].numpy() != 0)
    model.reset_states()
    np.testing.assert_array_equal(layer.states[0].numpy(), 0.0)


# ---------------------------------------------------------------- cells of your own
class MinimalRNNCell(Layer):
    """The cell of Keras's RNN docstring: output = x W + h U, no nonlinearity."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units, self.state_size = units, units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        output = K.dot(inputs, self.kernel) + K.dot(states[0], self.recurrent_kernel)
        return output, [output]


class ConstantCell(Layer):
    """A cell that also sees a constant c (not iterated over time): h = tanh(x W + h U + c)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units, self.state_size = units, [units]

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="rec")

    def call(self, inputs, states, constants):
        h = K.tanh(K.dot(inputs, self.kernel) + K.dot(states[0], self.recurrent_kernel) +
                   constants[0])
        return h, [h]


def test_a_cell_of_your_own_and_a_stack_of_cells():
    layer = RNN(MinimalRNNCell(4), return_sequences=True)
    layer.build((None, 6, 3))
    w = random_weights(layer)

    def step(x, s):
        out = x @ w[0] + s[0] @ w[1]
        return out, [out]
    want, _ = np_layer(step, X, [np.zeros((4, 4), np.float32)], MASK)
    np.testing.assert_allclose(run(layer, X, MASK)[0], want, **TOL)
    stacked = RNN([MinimalRNNCell(4), LSTMCell(2)], return_state=True)
    assert stacked.state_size == [4, 2, 2]
    out = stacked(X)
    assert [o.shape for o in out] == [(4, 2), (4, 4), (4, 2), (4, 2)]


def test_stacked_built_in_cells_equal_one_layer_after_the_other():
    stacked = RNN([LSTMCell(5), GRUCell(3)], return_sequences=True)
    stacked.build((None, 6, 3))
    w = random_weights(stacked)
    first, second = LSTM(5, return_sequences=True), GRU(3, return_sequences=True)
    first.build((None, 6, 3))
    second.build((None, 6, 5))
    first.set_weights(w[:3])
    second.set_weights(w[3:])
    inp = Input(shape=(6, 3))
    m = Input(shape=(6,), dtype="bool")
    a = stacked(inp, mask=m)
    b = second(first(inp, mask=m), mask=m)
    out = K.function([inp, m], [a, b])([X, MASK])
    np.testing.assert_allclose(out[0], out[1], **TOL)
    unrolled = RNN([LSTMCell(5), GRUCell(3)], return_sequences=True, unroll=True)
    unrolled.build((None, 6, 3))
    unrolled.set_weights(w)
    np.testing.assert_allclose(run(unrolled, X, MASK)[0], out[0], **TOL)


def test_constants_reach_a_cell_that_accepts_them():
    layer = RNN(ConstantCell(3))
    inp, const = Input(shape=(6, 3)), Input(shape=(3,))
    out = layer(inp, constants=[const])
    w = [rng.normal(size=(3, 3)).astype("float32") * 0.5 for _ in range(2)]
    layer.set_weights(w)
    c = rng.normal(size=(4, 3)).astype("float32")
    got = Model([inp, const], out).predict([X, c], verbose=0)
    for b in range(4):
        def step(x, s, b=b):
            h = np.tanh(x @ w[0] + s[0] @ w[1] + c[b])
            return h, [h]
        want, _ = np_rnn(step, X[b], [np.zeros(3, np.float32)])
        np.testing.assert_allclose(got[b], want[-1], **TOL)
    assert layer.get_config()["num_constants"] == 1
    with pytest.raises(ValueError, match="does not support constants"):
        RNN(SimpleRNNCell(3))(inp, constants=[const])


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match="cannot unroll"):
        LSTM(2, unroll=True)(Input(shape=(None, 3)))
    with pytest.raises(ValueError, match="known number of timesteps"):
        RNN(MinimalRNNCell(2))(Input(shape=(None, 3)))
    with pytest.raises(ValueError, match="expected ndim=3"):
        LSTM(2)(Input(shape=(3,)))
    with pytest.raises(ValueError, match="has 2 state"):
        LSTM(2)(Input(shape=(4, 3)), initial_state=[K.zeros((1, 2))])
    with pytest.raises(ValueError, match="needs a `state_size`"):
        RNN(Dense(2))
    with pytest.raises(ValueError, match="time_major"):
        LSTM(2, time_major=True)


def test_variable_length_sequences_use_one_scan():
    layer = GRU(3, return_sequences=True)
    inp = Input(shape=(None, 3))
    out = layer(inp)
    assert out.shape == (None, None, 3)
    f = K.function([inp], [out])
    assert f([X])[0].shape == (4, 6, 3) and f([X[:, :2]])[0].shape == (4, 2, 3)


# ---------------------------------------------------------------- masks end to end
def test_masking_and_embedding_masks_reach_the_recurrent_layer():
    ids = np.array([[3, 1, 0, 0], [2, 0, 5, 0]])
    emb = Embedding(6, 3, mask_zero=True)
    lstm = LSTM(4, return_sequences=True)
    inp = Input(shape=(4,), dtype="int64")
    out = lstm(emb(inp))
    assert out._keras_mask is not None
    model = Model(inp, out)
    w = random_weights(lstm)
    table = emb.get_weights()[0]
    got = model.predict(ids, verbose=0)
    want, _ = np_layer(lambda x, s: np_lstm_step(x, s, w), table[ids],
                       [np.zeros((2, 4), np.float32)] * 2, ids != 0)
    np.testing.assert_allclose(got, want, **TOL)
    np.testing.assert_array_equal(got[0, 3], got[0, 1])          # carried over

    seq = np.array(X)
    seq[MASK == 0] = 0.0
    masked_out = LSTM(4)(Masking(0.0)(Input(shape=(6, 3))))
    assert masked_out._keras_mask is None                         # the last output only


def test_layers_that_cannot_take_a_mask_say_so():
    with pytest.raises(TypeError, match=r'Layer "flatten.*" \(Flatten\) does not support '
                                        r"masking"):
        Flatten()(Masking()(Input(shape=(4, 2))))
    # a mask is used up by a recurrent layer, passed along by Dense and TimeDistributed
    x = Masking()(Input(shape=(4, 2)))
    assert Dense(3)(x)._keras_mask is x._keras_mask
    assert TimeDistributed(Dense(3))(x)._keras_mask is not None
    assert Flatten()(SimpleRNN(2)(x)).shape == (None, 2)


def test_masked_timesteps_do_not_count_in_losses_and_metrics():
    seq = np.array(X)
    seq[MASK == 0] = 0.0
    inp = Input(shape=(6, 3))
    h = LSTM(4, return_sequences=True)(Masking(0.0)(inp))
    model = Model(inp, TimeDistributed(Dense(2))(h))
    model.compile("sgd", "mse", metrics=["mae"])
    y = rng.normal(size=(4, 6, 2)).astype("float32")
    pred = model.predict(seq, verbose=0)
    keep = MASK.astype("float32")
    mse = ((pred - y) ** 2).mean(axis=-1)
    mae = np.abs(pred - y).mean(axis=-1)
    loss, metric = model.evaluate(seq, y, batch_size=4, verbose=0)
    np.testing.assert_allclose(loss, (mse * keep).sum() / keep.sum(), rtol=1e-5)
    np.testing.assert_allclose(metric, (mae * keep).sum() / keep.sum(), rtol=1e-5)
    all_masked = model.evaluate(np.zeros_like(seq), y, batch_size=4, verbose=0)
    assert all_masked == [0.0, 0.0]                                # nothing counts
    # across batches a metric averages the kept entries; the loss averages the batches'
    # (masked) means by their sizes (Keras 3 tracks both so)
    loss1, metric1 = model.evaluate(seq, y, batch_size=1, verbose=0)
    np.testing.assert_allclose(metric1, metric, rtol=1e-5)
    per_sample = [(mse[i] * keep[i]).sum() / max(keep[i].sum(), 1) for i in range(4)]
    np.testing.assert_allclose(loss1, np.mean(per_sample), rtol=1e-5)


# ---------------------------------------------------------------- wrappers
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_matches_numpy(merge_mode):
    layer = Bidirectional(LSTM(3, return_sequences=True), merge_mode=merge_mode)
    layer.build((None, 6, 3))
    w = random_weights(layer)
    assert [v.name for v in layer.weights][::3] == ["lstm_cell/kernel"] * 2
    got = run(layer, X, MASK)
    zeros = [np.zeros((4, 3), np.float32)] * 2
    fwd, _ = np_layer(lambda x, s: np_lstm_step(x, s, w[:3]), X, zeros, MASK,
                      zero_output_for_mask=True)
    bwd, _ = np_layer(lambda x, s: np_lstm_step(x, s, w[3:]), X, zeros, MASK,
                      go_backwards=True, zero_output_for_mask=True)
    bwd = bwd[:, ::-1]
    want = {"concat": [np.concatenate([fwd, bwd], -1)], "sum": [fwd + bwd],
            "mul": [fwd * bwd], "ave": [(fwd + bwd) / 2], None: [fwd, bwd]}[merge_mode]
    for g, w_ in zip(got, want):
        np.testing.assert_allclose(g, w_, **TOL)


def test_bidirectional_states_initial_states_and_config():
    layer = Bidirectional(GRU(3, return_state=True))
    assert layer.forward_layer.name.startswith("forward_gru")
    assert layer.backward_layer.go_backwards
    h0 = [np.full((4, 3), 0.5, np.float32), np.full((4, 3), -0.5, np.float32)]
    layer.build((None, 6, 3))
    w = random_weights(layer)
    out, hf, hb = run(layer, X, initial_state=h0)
    fwd, (ff,) = np_layer(lambda x, s: np_gru_step(x, s, w[:3]), X, [h0[0]])
    bwd, (fb,) = np_layer(lambda x, s: np_gru_step(x, s, w[3:]), X, [h0[1]],
                          go_backwards=True)
    np.testing.assert_allclose(out, np.concatenate([fwd[:, -1], bwd[:, -1]], -1), **TOL)
    np.testing.assert_allclose(hf, ff, **TOL)
    np.testing.assert_allclose(hb, fb, **TOL)
    again = Bidirectional.from_config(layer.get_config())
    assert again.merge_mode == "concat" and again.backward_layer.go_backwards


def test_time_distributed_applies_one_layer_at_every_step():
    dense = Dense(2)
    layer = TimeDistributed(dense)
    out = layer(X)
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(out, X @ kernel + bias, **TOL)
    assert layer.weights == dense.weights
    free = TimeDistributed(Dense(2))(Input(shape=(None, 3)))
    assert free.shape == (None, None, 2)


# ---------------------------------------------------------------- configs and Keras 1/2 names
@pytest.mark.parametrize("layer", [
    SimpleRNN(3, activation="relu", dropout=0.1, go_backwards=True),
    LSTM(4, recurrent_activation="hard_sigmoid", unit_forget_bias=False, return_state=True),
    GRU(2, reset_after=False, return_sequences=True, stateful=False),
    RNN(LSTMCell(3), zero_output_for_mask=True),
    RNN([SimpleRNNCell(2), GRUCell(3)]),
    Bidirectional(LSTM(2), merge_mode="sum"),
    TimeDistributed(Dense(3)),
], ids=lambda layer: type(layer).__name__)
def test_config_round_trip(layer):
    config = layer.get_config()
    again = type(layer).from_config(config)
    assert again.get_config() == config


def test_keras1_and_keras2_spellings():
    with pytest.warns(UserWarning, match="hard_sigmoid_keras2"):
        layer = LSTM(output_dim=4, inner_activation="hard_sigmoid", dropout_W=0.2,
                     dropout_U=0.1, input_dim=3, input_length=5, consume_less="gpu")
    assert layer.units == 4 and layer.dropout == 0.2 and layer.recurrent_dropout == 0.1
    assert layer._batch_input_shape == (None, 5, 3)
    assert mk.activations.serialize(layer.recurrent_activation) == "hard_sigmoid"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LSTM(4, recurrent_activation="hard_sigmoid")   # Keras 3's spelling: no warning
    gru = GRU(3, input_shape=(5, 2))
    assert Sequential([gru]).output_shape == (None, 3)


def test_hard_sigmoid_keras3_and_keras2_are_different_functions():
    x = K.constant([-4.0, -2.6, 1.0, 2.6])
    np.testing.assert_allclose(K.eval(mk.activations.hard_sigmoid(x)),
                               [0.0, 0.5 - 2.6 / 6, 0.5 + 1 / 6, 0.5 + 2.6 / 6], rtol=1e-6)
    np.testing.assert_allclose(K.eval(mk.activations.get("hard_sigmoid_keras2")(x)),
                               [0.0, 0.0, 0.7, 1.0], rtol=1e-6)


def test_save_and_load_a_recurrent_model(tmp_path):
    inp = Input(shape=(6, 3))
    h = Bidirectional(LSTM(3, return_sequences=True))(Masking(0.0)(inp))
    out = Dense(2)(GRU(4, reset_after=False)(h))
    model = Model(inp, out)
    model.save(tmp_path / "rnn.keras")
    loaded = mk.load_model(tmp_path / "rnn.keras")
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


# ---------------------------------------------------------------- learning
def test_an_lstm_learns_to_remember_the_first_step():
    """The target is the sign of the first input: only a memory can tell."""
    data_rng = np.random.default_rng(3)
    x = data_rng.normal(size=(256, 8, 1)).astype("float32")
    y = (x[:, 0, 0] > 0).astype("float32")
    model = Sequential([Input(shape=(8, 1)), LSTM(8), Dense(1, activation="sigmoid")])
    model.compile(mk.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=25, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.9


def test_fused_optimizer_steps_train_the_orthogonal_recurrent_kernel():
    """Orthogonal (units, 4 units) kernels are transposes in memory; variables store a
    C-ordered copy so that the in-place optimizer steps write into them (regression)."""
    model = Sequential([Input(shape=(6, 3)), LSTM(4), Dense(1)])
    model.compile(mk.optimizers.Adam(0.1), "mse")
    recurrent = model.layers[0].cell.recurrent_kernel
    assert recurrent.value.flags.c_contiguous
    before = recurrent.numpy()
    model.train_on_batch(X, np.ones((4, 1)))
    assert np.all(recurrent.numpy() != before)


def test_a_layer_made_from_a_keras_3_file_drops_a_mask_it_cannot_take():
    """minikeras refuses a mask a layer cannot take; a Keras 3 file's layers follow Keras 3
    (warn and drop), in every later call too."""
    from minikeras.layers.mask_rule import keras3_mask_rule
    ids = Input(shape=(3,), dtype="int32")
    masked = mk.layers.Embedding(5, 2, mask_zero=True)(ids)
    with pytest.raises(TypeError, match="does not support masking"):
        mk.layers.Flatten()(masked)
    with keras3_mask_rule():
        flatten = mk.layers.Flatten()
    with pytest.warns(UserWarning, match="destroy the mask"):
        flat = flatten(masked)
    assert getattr(flat, "_keras_mask", None) is None
