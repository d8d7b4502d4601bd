"""Recurrent models cross both ways between minikeras and real Keras 3 as ``.keras`` files.

For each family (LSTM, GRU reset after and before, SimpleRNN, stacked layers, RNN of
cells and of stacked cells, Bidirectional in every merge mode, TimeDistributed(Dense),
Embedding(mask_zero=True) -> LSTM, Masking -> GRU with a masked loss, initial states
given as inputs): a file written by one library opens in the other with the same
predictions (1e-5), the same weights and optimizer state, and training resumed in the
other library continues from it (the weights after three more steps agree with the
writer's own continuation). Files minikeras writes also open and train in Keras 3.0.0;
both libraries put every weight at the same path of ``model.weights.h5``.
"""
import inspect
import json
import pickle
import warnings
import zipfile
import zlib

import h5py
import keras
import numpy as np
import pytest
from crossing import keras_optimizer_state, minikeras_optimizer_state, run_keras30, train
from parity import assert_close

import minikeras as mk

rng = np.random.default_rng(12)
N, T, F = 16, 6, 3


# ---------------------------------------------------------------- the families
def lstm(lib):
    L = lib.layers
    return lib.Sequential([L.Input(shape=(6, 3)), L.LSTM(5, go_backwards=True),
                           L.Dense(3, activation="softmax")])


def gru(lib, reset_after=True):
    L = lib.layers
    return lib.Sequential([L.Input(shape=(6, 3)), L.GRU(5, reset_after=reset_after),
                           L.Dense(3, activation="softmax")])


def simple_rnn(lib):
    L = lib.layers
    return lib.Sequential([L.Input(shape=(6, 3)), L.SimpleRNN(5, activation="relu",
                                                               unroll=True),
                           L.Dense(3, activation="softmax")])


def stacked(lib):
    L = lib.layers
    return lib.Sequential([L.Input(shape=(6, 3)), L.LSTM(5, return_sequences=True),
                           L.GRU(4, return_sequences=True), L.SimpleRNN(3),
                           L.Dense(3, activation="softmax")])


def rnn_of_cells(lib):
    L = lib.layers
    return lib.Sequential([L.Input(shape=(6, 3)),
                           L.RNN([L.LSTMCell(4), L.GRUCell(3)], return_sequences=True),
                           L.RNN(L.SimpleRNNCell(3)), L.Dense(3, activation="softmax")])


def bidirectional(lib, merge_mode="concat"):
    L = lib.layers
    inp = L.Input(shape=(6, 3))
    h = L.Bidirectional(L.LSTM(4, return_sequences=True), merge_mode=merge_mode)(inp)
    if merge_mode is None:
        h = L.Concatenate()(list(h))
    h = L.Bidirectional(L.GRU(3), merge_mode=merge_mode)(h)
    if merge_mode is None:
        h = L.Concatenate()(list(h))
    return lib.Model(inp, L.Dense(3, activation="softmax")(h))


def time_distributed(lib):
    L = lib.layers
    return lib.Sequential([L.Input(shape=(6, 3)), L.LSTM(5, return_sequences=True),
                           L.TimeDistributed(L.Dense(3, activation="softmax"))])


def embedding_lstm(lib):
    L = lib.layers
    ids = L.Input(shape=(6,), dtype="int32")
    h = L.LSTM(5)(L.Embedding(10, 4, mask_zero=True)(ids))
    return lib.Model(ids, L.Dense(3, activation="softmax")(h))


def masking_gru(lib):
    """A masked sequence loss: masked steps count neither in the loss nor its gradient."""
    L = lib.layers
    return lib.Sequential([L.Input(shape=(6, 3)), L.Masking(0.0),
                           L.GRU(5, return_sequences=True),
                           L.TimeDistributed(L.Dense(3, activation="softmax"))])


def initial_state(lib):
    L = lib.layers
    x, h0, c0 = L.Input(shape=(6, 3)), L.Input(shape=(4,)), L.Input(shape=(4,))
    h = L.LSTM(4, return_sequences=True)(x, initial_state=[h0, c0])
    h = L.Bidirectional(L.GRU(4))(h, initial_state=[h0, c0])  # forward's, backward's
    return lib.Model([x, h0, c0], L.Dense(3, activation="softmax")(h))


BUILDERS = [lstm, gru, simple_rnn, stacked, rnn_of_cells, bidirectional, time_distributed,
            embedding_lstm, masking_gru, initial_state]
# name -> (builder, its keyword arguments)
FAMILIES = {"lstm": (lstm, {}), "gru": (gru, {}),
            "gru_reset_before": (gru, {"reset_after": False}),
            "simple_rnn": (simple_rnn, {}), "stacked": (stacked, {}),
            "rnn_of_cells": (rnn_of_cells, {}), "time_distributed": (time_distributed, {}),
            "embedding_lstm": (embedding_lstm, {}), "masking_gru": (masking_gru, {}),
            "initial_state": (initial_state, {}),
            **{f"bidirectional_{mode}": (bidirectional, {"merge_mode": mode})
               for mode in ("concat", "sum", "mul", "ave", None)}}


def build(name, lib):
    builder, kwargs = FAMILIES[name]
    return builder(lib, **kwargs)


def data(name):
    """(inputs, one-hot targets) for a family, the same on every call."""
    r = np.random.default_rng(zlib.crc32(name.encode()))
    x = r.normal(size=(N, T, F)).astype("float32")
    if name == "masking_gru":  # sequences of 1 .. 6 real steps, then padding
        lengths = r.integers(1, T + 1, size=N)
        x[np.arange(T)[None, :] >= lengths[:, None]] = 0.0
    if name == "embedding_lstm":
        x = r.integers(1, 10, size=(N, T)).astype("int32")
        x[np.arange(T)[None, :] >= r.integers(1, T + 1, size=N)[:, None]] = 0
    if name == "initial_state":
        x = [x, *(r.normal(size=(N, 4)).astype("float32") for _ in range(2))]
    per_step = name in ("time_distributed", "masking_gru")
    y = np.eye(3, dtype="float32")[r.integers(0, 3, size=(N, T) if per_step else N)]
    return x, y


def compiled(model, lib):
    model.compile(lib.optimizers.Adam(0.01), "categorical_crossentropy")
    return model


def weights_of(model):
    return [np.asarray(keras.ops.convert_to_numpy(w)) if not isinstance(w, np.ndarray)
            else w for w in model.get_weights()]


# ---------------------------------------------------------------- Keras 3.15
@pytest.mark.parametrize("name", list(FAMILIES))
def test_minikeras_file_opens_and_trains_in_keras(tmp_path, name):
    x, y = data(name)
    ours = compiled(build(name, mk), mk)
    train(ours, x, y, 4)
    ours.save(tmp_path / "ours.keras")

    theirs = keras.saving.load_model(tmp_path / "ours.keras")
    assert_close(theirs.predict(x, verbose=0), ours.predict(x, verbose=0))
    assert_close(weights_of(theirs), ours.get_weights(), tol=0)
    assert int(keras.ops.convert_to_numpy(theirs.optimizer.iterations)) == 4
    assert_close(keras_optimizer_state(theirs)[1:], minikeras_optimizer_state(ours)[1:],
                 tol=0)

    resumed = mk.models.load_model(tmp_path / "ours.keras")  # minikeras, from the same file
    train(theirs, x, y, 3)
    train(resumed, x, y, 3)
    assert_close(weights_of(theirs), resumed.get_weights(), tol=2e-5)
    assert_close(keras_optimizer_state(theirs)[2:], minikeras_optimizer_state(resumed)[2:],
                 tol=2e-5)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_keras_file_opens_and_trains_in_minikeras(tmp_path, name):
    x, y = data(name)
    theirs = compiled(build(name, keras), keras)
    train(theirs, x, y, 4)
    theirs.save(tmp_path / "theirs.keras")

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every key of a Keras 3.15 file is understood
        ours = mk.models.load_model(tmp_path / "theirs.keras")
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert_close(ours.get_weights(), weights_of(theirs), tol=0)
    assert int(ours.optimizer.iterations.numpy()) == 4
    assert_close(minikeras_optimizer_state(ours)[1:], keras_optimizer_state(theirs)[1:],
                 tol=0)

    train(theirs, x, y, 3)  # Keras continues in memory, minikeras from the file
    train(ours, x, y, 3)
    assert_close(ours.get_weights(), weights_of(theirs), tol=2e-5)


def _datasets(path):
    """(path, shape) of every array in a .keras file's model.weights.h5."""
    import io
    with zipfile.ZipFile(path) as z, h5py.File(io.BytesIO(z.read("model.weights.h5"))) as f:
        found = []
        f.visititems(lambda n, o: found.append((n, o.shape))
                     if isinstance(o, h5py.Dataset) else None)
    return sorted(found)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_weight_is_where_keras_puts_it(tmp_path, name):
    """cell/vars, forward_layer/backward_layer, cells/<cell>, TimeDistributed's layer:
    the same dataset paths and shapes as Keras's own file of the same model."""
    x, y = data(name)
    for lib in (mk, keras):
        model = compiled(build(name, lib), lib)
        train(model, x, y, 1)
        model.save(tmp_path / f"{lib.__name__}.keras")
    ours, theirs = _datasets(tmp_path / "minikeras.keras"), _datasets(tmp_path / "keras.keras")
    assert [p for p, _ in ours] == [p for p, _ in theirs]
    assert [s for _, s in ours if s] == [s for _, s in theirs if s]  # scalars: int widths
    assert any("/cell/" in p for p, _ in ours)


# ---------------------------------------------------------------- Keras 3.0
KERAS30_LOAD_AND_TRAIN = """
import sys, pickle, numpy as np, keras
assert keras.__version__.startswith("3.0"), keras.__version__
for path, x, y in pickle.load(open(sys.argv[1], "rb")):
    model = keras.saving.load_model(path)
    np.save(path + ".pred.npy", model.predict(x, verbose=0))
    print(path, int(keras.ops.convert_to_numpy(model.optimizer.iterations)))
    for _ in range(3):
        model.train_on_batch(x, y)
    np.savez(path + ".trained.npz", *[keras.ops.convert_to_numpy(w)
                                      for w in model.get_weights()])
"""


def test_minikeras_files_open_and_train_in_keras_3_0(tmp_path):
    jobs, expected = [], {}
    for name in FAMILIES:
        x, y = data(name)
        ours = compiled(build(name, mk), mk)
        train(ours, x, y, 2)
        path = str(tmp_path / f"{name}.keras")
        ours.save(path)
        jobs.append((path, x, y))
        expected[path] = ours.predict(x, verbose=0)
    with open(tmp_path / "jobs.pkl", "wb") as f:
        pickle.dump(jobs, f)
    printed = run_keras30(KERAS30_LOAD_AND_TRAIN, tmp_path / "jobs.pkl", cwd=tmp_path)
    assert [line.split()[-1] for line in printed.split("\n") if line] == ["2"] * len(jobs)
    for path, x, y in jobs:
        assert_close(np.load(path + ".pred.npy"), expected[path])
        resumed = mk.models.load_model(path)
        train(resumed, x, y, 3)
        with np.load(path + ".trained.npz") as trained:
            assert_close(resumed.get_weights(), [trained[f"arr_{i}"]
                                                 for i in range(len(trained.files))],
                         tol=2e-5)


KERAS30_SAVE = """
import sys, pickle, numpy as np, keras
assert keras.__version__.startswith("3.0"), keras.__version__
for name, x, y in pickle.load(open(sys.argv[1], "rb")):
    builder, kwargs = FAMILIES[name]
    model = builder(keras, **kwargs)
    model.compile(keras.optimizers.Adam(0.01), "categorical_crossentropy")
    for _ in range(2):
        model.train_on_batch(x, y)
    model.save(sys.argv[2] + name + ".keras")
    np.save(sys.argv[2] + name + ".pred.npy", model.predict(x, verbose=0))
"""


def test_keras_3_0_files_open_in_minikeras(tmp_path):
    names = list(FAMILIES)
    with open(tmp_path / "jobs.pkl", "wb") as f:
        pickle.dump([(name, *data(name)) for name in names], f)
    families = "FAMILIES = {" + ", ".join(
        f"{name!r}: ({builder.__name__}, {kwargs!r})"
        for name, (builder, kwargs) in FAMILIES.items()) + "}\n"
    source = "\n".join(inspect.getsource(b) for b in BUILDERS) + families
    run_keras30(source + KERAS30_SAVE, tmp_path / "jobs.pkl", str(tmp_path) + "/",
                cwd=tmp_path)
    for name in names:
        x, _ = data(name)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ours = mk.models.load_model(tmp_path / f"{name}.keras")
        assert_close(ours.predict(x, verbose=0), np.load(tmp_path / f"{name}.pred.npy"))
        assert int(ours.optimizer.iterations.numpy()) == 2


KERAS30_KEYS = """
import json, keras
L = keras.layers
made = {"SimpleRNNCell": L.SimpleRNNCell(2), "LSTMCell": L.LSTMCell(2),
        "GRUCell": L.GRUCell(2), "SimpleRNN": L.SimpleRNN(2), "LSTM": L.LSTM(2),
        "GRU": L.GRU(2), "RNN": L.RNN(L.LSTMCell(2)),
        "StackedRNNCells": L.StackedRNNCells([L.LSTMCell(2)]),
        "Bidirectional": L.Bidirectional(L.LSTM(2)),
        "TimeDistributed": L.TimeDistributed(L.Dense(2)), "Masking": L.Masking(),
        "Embedding": L.Embedding(3, 2)}
print(json.dumps({name: sorted(layer.get_config()) for name, layer in made.items()}))
"""


def test_the_layer_table_holds_keras_3_0_s_keys(tmp_path):
    """``saving/names.py``'s key sets are what Keras 3.0.0 writes (SimpleRNN: and the
    ``seed`` it takes but does not write)."""
    from minikeras.saving.names import LAYERS
    keras30 = json.loads(run_keras30(KERAS30_KEYS, cwd=tmp_path).strip().split("\n")[-1])
    for name, keys in keras30.items():
        extra = {"seed"} if name == "SimpleRNN" else set()
        assert set(LAYERS[name].portable_keys()) == set(keys) | extra, name


# ---------------------------------------------------------------- minikeras-only features
class ConstantCell(mk.layers.Layer):
    """A cell that takes ``constants`` (Keras 2's feature, which Keras 3 dropped)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units, self.state_size = units, [units]

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs, states, constants):
        h = mk.backend.tanh(mk.backend.dot(inputs, self.kernel) + states[0] + constants[0])
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_constants_are_refused_by_keras_with_its_own_errors(tmp_path):
    x, c = mk.layers.Input(shape=(6, 3)), mk.layers.Input(shape=(3,))
    model = mk.Model([x, c], mk.layers.RNN(ConstantCell(3))(x, constants=[c]))
    model.save(tmp_path / "constants.keras")
    with pytest.raises(TypeError, match="ConstantCell"):  # Keras has no such cell ...
        keras.saving.load_model(tmp_path / "constants.keras")

    class KerasCell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units, self.state_size = units, [units]

        def call(self, inputs, states):
            return inputs, states

    with pytest.raises(ValueError, match="num_constants"):  # ... nor RNN constants
        keras.saving.load_model(tmp_path / "constants.keras",
                                custom_objects={"ConstantCell": KerasCell})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # minikeras reads it back, constants and all
        back = mk.models.load_model(tmp_path / "constants.keras",
                                    custom_objects={"ConstantCell": ConstantCell})
    xs = [rng.normal(size=(4, 6, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")]
    assert_close(back.predict(xs, verbose=0), model.predict(xs, verbose=0), tol=0)


def test_keras_2_hard_sigmoid_is_refused_by_keras(tmp_path):
    model = mk.Sequential([mk.layers.Input(shape=(6, 3)),
                           mk.layers.LSTM(3, recurrent_activation="hard_sigmoid_keras2")])
    model.save(tmp_path / "keras2.keras")
    with pytest.raises(ValueError, match="hard_sigmoid_keras2"):
        keras.saving.load_model(tmp_path / "keras2.keras")
    # Keras 3's own hard_sigmoid crosses (it is a different function)
    model = mk.Sequential([mk.layers.Input(shape=(6, 3)),
                           mk.layers.LSTM(3, recurrent_activation="hard_sigmoid")])
    model.save(tmp_path / "keras3.keras")
    x = rng.normal(size=(4, 6, 3)).astype("float32")
    assert_close(keras.saving.load_model(tmp_path / "keras3.keras").predict(x, verbose=0),
                 model.predict(x, verbose=0))


def stateful(lib):
    L = lib.layers
    return lib.Sequential([L.Input(batch_shape=(4, 6, 3)), L.LSTM(3, stateful=True),
                           L.Dense(2)])


def test_stateful_states_are_not_in_the_file(tmp_path):
    """As in Keras: a stateful layer's states are not weights and are not saved, so
    ``reset_states(states=...)`` (minikeras's Keras 2 superset) does not travel."""
    x = rng.normal(size=(4, 6, 3)).astype("float32")
    ours = stateful(mk)
    ours.predict(x, verbose=0)
    ours.layers[0].reset_states(states=[np.ones((4, 3)), np.ones((4, 3))])
    ours.save(tmp_path / "ours.keras")
    theirs = stateful(keras)
    theirs.predict(x, verbose=0)
    theirs.save(tmp_path / "theirs.keras")
    assert _datasets(tmp_path / "ours.keras") == _datasets(tmp_path / "theirs.keras")

    loaded = keras.saving.load_model(tmp_path / "ours.keras")   # starts from zeros
    ours.layers[0].reset_states()
    assert_close(loaded.predict(x, verbose=0), ours.predict(x, verbose=0))
    assert_close(loaded.predict(x, verbose=0), ours.predict(x, verbose=0))  # carried on
    back = mk.models.load_model(tmp_path / "theirs.keras")
    theirs.layers[0].reset_states()
    assert_close(back.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_initial_states_are_written_as_keras_writes_them(tmp_path):
    """minikeras takes initial states as extra inputs of the layer; the file says
    ``initial_state=[...]``, as Keras's does."""
    initial_state(mk).save(tmp_path / "ours.keras")
    with zipfile.ZipFile(tmp_path / "ours.keras") as z:
        layers = json.loads(z.read("config.json"))["config"]["layers"]
    (call,) = next(e for e in layers if e["class_name"] == "LSTM")["inbound_nodes"]
    assert len(call["args"]) == 1 and call["args"][0]["class_name"] == "__keras_tensor__"
    assert [t["config"]["shape"] for t in call["kwargs"]["initial_state"]] == [[None, 4]] * 2

    L = mk.layers  # Keras 2's form: the states as extra inputs of the call
    x, h0 = L.Input(shape=(6, 3)), L.Input(shape=(4,))
    model = mk.Model([x, h0], L.GRU(4)([x, h0]))
    model.save(tmp_path / "list.keras")
    xs = [rng.normal(size=(5, 6, 3)).astype("float32"), rng.normal(size=(5, 4)).astype("float32")]
    assert_close(keras.saving.load_model(tmp_path / "list.keras").predict(xs, verbose=0),
                 model.predict(xs, verbose=0))
