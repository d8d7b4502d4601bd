"""Recurrent layers against real Keras 3: the same weights give the same numbers (1e-5).

Every option Keras 3 has is crossed with the others: SimpleRNN, LSTM, GRU (reset after and
before) x return_sequences x return_state x go_backwards x unroll, with and without a
mask (and zero_output_for_mask), activations, no bias, RNN(cell) and stacked cells,
Bidirectional in every merge mode, TimeDistributed, initial states, stateful layers,
Embedding(mask_zero=True); then training steps (the gradients) and masked losses.

Keras 3.15.1 on torch raises for ``unroll=True`` with a mask and ``go_backwards`` (its
unrolled loop flips a tuple); there minikeras is compared with Keras's ``unroll=False``,
which computes the same function.
"""
import itertools

import keras
import numpy as np
import pytest
from parity import assert_close

import minikeras as mk

rng = np.random.default_rng(2024)
X = rng.normal(size=(4, 6, 3)).astype("float32")
MASK = np.array([[1, 1, 0, 1, 0, 1], [0, 0, 0, 0, 0, 0], [0, 0, 1, 1, 1, 0],
                 [1, 1, 1, 1, 1, 1]], dtype=bool)
X_MASKED = np.where(MASK[..., None], X, 0.0).astype("float32")

KINDS = {"SimpleRNN": {}, "LSTM": {}, "GRU": {}, "GRU_reset_before": {"reset_after": False}}


def layer_class(lib, kind):
    return getattr(lib.layers, kind.split("_")[0])


def same_weights(ours, theirs, scale=0.5):
    """Random weights (larger than the initial ones) into both models."""
    weights = [rng.normal(0, scale, size=w.shape).astype("float32")
               for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)


def predict(model, x):
    out = model.predict(x, verbose=0)
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [out]


def compare(build, x, **kw):
    ours, theirs = build(mk), build(keras)
    same_weights(ours, theirs, **kw)
    assert_close(predict(ours, x), predict(theirs, x))
    return ours, theirs


FLAGS = list(itertools.product([False, True], repeat=4))


@pytest.mark.parametrize("masking", ["dense", "masked", "masked_zero_output"])
@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: "".join("SRBU"[i] if v else "-"
                                                                for i, v in enumerate(f)))
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_option(kind, flags, masking):
    """Flags: return_Sequences, return_state (R), go_Backwards, Unroll."""
    seqs, state, backwards, unroll = flags
    options = dict(KINDS[kind], return_sequences=seqs, return_state=state,
                   go_backwards=backwards, zero_output_for_mask=masking.endswith("zero_output"))
    masked = masking != "dense"

    def build(lib, unroll=unroll):
        L = lib.layers
        inp = L.Input(shape=(6, 3))
        h = L.Masking(0.0)(inp) if masked else inp
        out = layer_class(lib, kind)(5, unroll=unroll, **options)(h)
        return lib.Model(inp, out)

    ours = build(mk)
    theirs = build(keras, unroll=unroll and not (masked and backwards))
    same_weights(ours, theirs)
    x = X_MASKED if masked else X
    assert_close(predict(ours, x), predict(theirs, x))


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("activation, recurrent_activation, use_bias", [
    ("relu", "hard_sigmoid", True), ("linear", "sigmoid", False), ("sigmoid", "tanh", True),
    ("tanh", "linear", False), ("hard_sigmoid", "relu", True)])
def test_activations_and_bias(kind, activation, recurrent_activation, use_bias):
    options = dict(KINDS[kind], activation=activation, use_bias=use_bias,
                   return_sequences=True)
    if kind != "SimpleRNN":
        options["recurrent_activation"] = recurrent_activation

    def build(lib):
        L = lib.layers
        inp = L.Input(shape=(6, 3))
        return lib.Model(inp, layer_class(lib, kind)(4, **options)(L.Masking(0.0)(inp)))
    compare(build, X_MASKED, scale=0.4)


@pytest.mark.parametrize("cells", [["SimpleRNNCell"], ["LSTMCell"], ["GRUCell"],
                                   ["LSTMCell", "GRUCell"], ["GRUCell", "SimpleRNNCell",
                                                             "LSTMCell"]])
@pytest.mark.parametrize("unroll", [False, True])
def test_rnn_of_cells_and_stacked_cells(cells, unroll):
    def build(lib):
        L = lib.layers
        inp = L.Input(shape=(6, 3))
        made = [getattr(L, c)(4) for c in cells]
        layer = L.RNN(made if len(made) > 1 else made[0], return_sequences=True,
                      unroll=unroll)
        return lib.Model(inp, layer(L.Masking(0.0)(inp)))
    compare(build, X_MASKED)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("seqs, state", [(False, False), (True, False), (True, True),
                                         (False, True)])
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize("masked", [False, True])
def test_bidirectional(kind, merge_mode, seqs, state, masked):
    def build(lib):
        L = lib.layers
        inp = L.Input(shape=(6, 3))
        h = L.Masking(0.0)(inp) if masked else inp
        layer = L.Bidirectional(layer_class(lib, kind)(3, return_sequences=seqs,
                                                       return_state=state),
                                merge_mode=merge_mode)
        out = layer(h)
        return lib.Model(inp, list(out) if isinstance(out, (list, tuple)) else out)
    compare(build, X_MASKED if masked else X)


def test_time_distributed_after_a_masked_lstm():
    def build(lib):
        L = lib.layers
        inp = L.Input(shape=(6, 3))
        h = L.LSTM(5, return_sequences=True)(L.Masking(0.0)(inp))
        return lib.Model(inp, L.TimeDistributed(L.Dense(2, activation="softmax"))(h))
    compare(build, X_MASKED)


@pytest.mark.parametrize("kind", list(KINDS))
def test_initial_states_as_inputs(kind):
    n_states = 2 if kind == "LSTM" else 1

    def build(lib):
        L = lib.layers
        inp = L.Input(shape=(6, 3))
        states = [L.Input(shape=(4,)) for _ in range(n_states)]
        out = layer_class(lib, kind)(4, return_sequences=True, **KINDS[kind])(
            inp, initial_state=states)
        return lib.Model([inp, *states], out)
    h0 = [rng.normal(size=(4, 4)).astype("float32") for _ in range(n_states)]
    compare(build, [X, *h0])


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("backwards", [False, True])
def test_initial_states_with_a_mask_called_on_arrays(kind, backwards):
    """Keras 3.15.1 drops a Masking layer's mask in a functional model when initial_state
    is given too (minikeras keeps it), so this combination is compared on direct calls."""
    n_states = 2 if kind == "LSTM" else 1
    layers = [layer_class(lib, kind)(4, return_sequences=True, return_state=True,
                                     go_backwards=backwards, **KINDS[kind])
              for lib in (mk, keras)]
    for layer in layers:
        layer.build((None, 6, 3))
    weights = [rng.normal(0, 0.5, size=w.shape).astype("float32")
               for w in layers[0].get_weights()]
    h0 = [rng.normal(size=(4, 4)).astype("float32") for _ in range(n_states)]
    results = []
    for layer in layers:
        layer.set_weights(weights)
        out = layer(X, mask=MASK, initial_state=[h for h in h0])
        results.append([np.asarray(keras.ops.convert_to_numpy(o)) if not
                        isinstance(o, np.ndarray) else o for o in out])
    assert_close(*results)


@pytest.mark.parametrize("kind", list(KINDS))
def test_stateful_layers_continue_and_reset(kind):
    def build(lib):
        L = lib.layers
        inp = L.Input(batch_shape=(4, 6, 3))
        return lib.Model(inp, layer_class(lib, kind)(4, stateful=True, **KINDS[kind])(inp))
    ours, theirs = compare(build, X)          # first call
    assert_close(predict(ours, X), predict(theirs, X))   # continued from the states
    for model in (ours, theirs):
        model.layers[1].reset_states()
    assert_close(predict(ours, X), predict(theirs, X))


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_eager_calls_of_stateful_layers_keep_their_states(kind):
    def build(lib):
        L = lib.layers
        inp = L.Input(batch_shape=(4, 6, 3))
        return lib.Model(inp, layer_class(lib, kind)(4, stateful=True, **KINDS[kind])(inp))
    ours, theirs = compare(build, X)          # predict, then calls on arrays continue
    for _ in range(2):
        assert_close([np.asarray(ours(X))], [keras.ops.convert_to_numpy(theirs(X))])
    for model in (ours, theirs):
        model.layers[1].reset_states()
    assert_close([np.asarray(ours(X))], [keras.ops.convert_to_numpy(theirs(X))])


def test_embedding_mask_zero_into_lstm_and_gru():
    ids = np.array([[3, 1, 0, 0, 2], [2, 0, 5, 0, 0], [0, 0, 0, 0, 0], [1, 2, 3, 4, 5]])

    def build(lib):
        L = lib.layers
        inp = L.Input(shape=(5,), dtype="int32")
        h = L.LSTM(4, return_sequences=True)(L.Embedding(6, 3, mask_zero=True)(inp))
        return lib.Model(inp, L.Dense(2)(L.GRU(3)(h)))
    compare(build, ids)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_training_steps_give_the_same_weights(kind, optimizer):
    """Three steps of training: the gradients through the recurrence agree."""
    y = np.eye(3, dtype="float32")[[0, 2, 1, 1]]

    def build(lib):
        L = lib.layers
        inp = L.Input(shape=(6, 3))
        h = layer_class(lib, kind)(5, go_backwards=True, **KINDS[kind])(L.Masking(0.0)(inp))
        model = lib.Model(inp, L.Dense(3, activation="softmax")(h))
        opt = lib.optimizers.SGD(0.5) if optimizer == "sgd" else lib.optimizers.Adam(0.05)
        model.compile(opt, "categorical_crossentropy")
        return model
    ours, theirs = build(mk), build(keras)
    same_weights(ours, theirs)
    for _ in range(3):
        loss_ours = ours.train_on_batch(X_MASKED, y)
        loss_theirs = theirs.train_on_batch(X_MASKED, y)
        assert_close(loss_ours, float(loss_theirs))
    assert_close(ours.get_weights(), [np.asarray(w) for w in theirs.get_weights()], tol=2e-5)


def test_masked_sequence_loss_and_training():
    y = rng.normal(size=(4, 6, 2)).astype("float32")

    def build(lib):
        L = lib.layers
        inp = L.Input(shape=(6, 3))
        h = L.GRU(4, return_sequences=True)(L.Masking(0.0)(inp))
        model = lib.Model(inp, L.TimeDistributed(L.Dense(2))(h))
        model.compile(lib.optimizers.SGD(0.1), "mse")
        return model
    ours, theirs = build(mk), build(keras)
    same_weights(ours, theirs)
    assert_close(ours.evaluate(X_MASKED, y, verbose=0),
                 float(theirs.evaluate(X_MASKED, y, verbose=0)))
    for _ in range(2):
        ours.train_on_batch(X_MASKED, y)
        theirs.train_on_batch(X_MASKED, y)
    assert_close(ours.get_weights(), [np.asarray(w) for w in theirs.get_weights()], tol=2e-5)


@pytest.mark.parametrize("kind", list(KINDS))
def test_dropout_layers_predict_without_dropout(kind):
    """Dropout masks are random (different draws in the two libraries); at inference both
    leave them out, so the numbers agree."""
    def build(lib):
        L = lib.layers
        inp = L.Input(shape=(6, 3))
        layer = layer_class(lib, kind)(4, dropout=0.3, recurrent_dropout=0.4,
                                       return_sequences=True, **KINDS[kind])
        return lib.Model(inp, layer(L.Masking(0.0)(inp)))
    compare(build, X_MASKED)


def test_initial_weights_have_the_same_deterministic_parts():
    """unit_forget_bias puts ones in the forget gate's block; shapes and orthogonality."""
    for lib in (mk, keras):
        layer = lib.layers.LSTM(3)
        layer.build((None, 5, 2))
        kernel, recurrent, bias = (np.asarray(w) for w in layer.get_weights())
        np.testing.assert_array_equal(bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
        assert kernel.shape == (2, 12) and recurrent.shape == (3, 12)
        np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(3), atol=1e-5)
    built = keras.layers.LSTM(3, name="lstm")  # the weight paths: lstm/lstm_cell/kernel
    built.build((None, 5, 2))
    ours = mk.layers.LSTM(3, name="lstm")
    ours.build((None, 5, 2))
    assert [w.path for w in built.weights] == [f"lstm/{w.name}" for w in ours.weights]
