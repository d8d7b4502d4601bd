"""Saving and loading: exact round trips, a pickle-free .keras zip, atomic writes, Lambda
only with safe_mode=False, weights files, compile settings."""
import io
import json
import os
import zipfile

import numpy as np
import pytest

import minikeras.backend as K
from minikeras import optimizers
from minikeras.layers import (
    LSTM,
    Activation,
    Add,
    Concatenate,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Input,
    Lambda,
    Layer,
    Masking,
    Multiply,
    Permute,
    RepeatVector,
    Reshape,
)
from minikeras.models import Model, Sequential, load_model, save_model
from minikeras.optimizers import SGD

X = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")


def assert_same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)


def mlp():
    return Sequential([Dense(8, input_shape=(4,), activation="tanh"), Dropout(0.5),
                       Dense(3, activation="softmax")], name="mlp")


def test_sequential_round_trip(tmp_path):
    model = mlp()
    path = tmp_path / "mlp.keras"
    model.save(path)
    loaded = load_model(path)
    assert type(loaded) is Sequential and loaded.name == "mlp"
    assert [type(layer).__name__ for layer in loaded.layers] == ["Dense", "Dropout", "Dense"]
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.input_shape == (None, 4) and loaded.output_shape == (None, 3)
    assert_same_weights(model, loaded)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert loaded.layers[1].rate == 0.5 and loaded.layers[0].get_config()["activation"] == "tanh"


def test_functional_round_trip_with_shared_layers_merges_and_two_outputs(tmp_path):
    a, b = Input(shape=(4,), name="a"), Input(shape=(4,), name="b")
    shared = Dense(5, activation="relu", name="shared")
    sa, sb = shared(a), shared(b)
    joined = Concatenate(name="joined")([Add(name="sum")([sa, sb]), Multiply(name="prod")([sa, sb])])
    out1 = Dense(1, name="score")(joined)
    out2 = Dense(2, activation="softmax", name="label")(Dense(3, name="hidden")(joined))
    model = Model([a, b], [out1, out2], name="siamese")
    path = os.fspath(tmp_path / "siamese.keras")
    save_model(model, path)
    loaded = load_model(path)
    assert loaded.name == "siamese"
    assert loaded.input_names == ["a", "b"] and loaded.output_names == ["score", "label"]
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    loaded_shared = loaded.get_layer("shared")
    assert loaded_shared is not shared and len(loaded_shared._inbound_nodes) == 2
    assert loaded.count_params() == model.count_params()
    assert_same_weights(model, loaded)
    xb = X[::-1].copy()
    for p, q in zip(model.predict([X, xb], verbose=0), loaded.predict([X, xb], verbose=0)):
        np.testing.assert_array_equal(p, q)


def test_nested_model_round_trip(tmp_path):
    inner = Sequential([Dense(3, input_shape=(4,), activation="relu"), Dense(2)], name="inner")
    x = Input(shape=(4,))
    model = Model(x, Dense(1, name="head")(inner(x)))
    model.save(tmp_path / "nested.keras")
    loaded = load_model(tmp_path / "nested.keras")
    assert type(loaded.get_layer("inner")) is Sequential
    assert_same_weights(model, loaded)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_every_core_layer_round_trips(tmp_path):
    ids = Input(shape=(3,))
    h = Embedding(10, 4, mask_zero=True, name="emb")(ids)
    h = Masking(0.0)(h)
    h = Reshape((5, 1))(LSTM(5)(h))  # the LSTM uses the mask up: Permute could not take it
    h = Permute((2, 1))(h)
    h = Reshape((-1,))(h)
    h = Activation("relu")(Dense(6)(h))
    h = RepeatVector(2)(Dropout(0.2)(h))
    out = Dense(1)(Flatten()(h))
    model = Model(ids, out)
    model.save(tmp_path / "all.keras")
    loaded = load_model(tmp_path / "all.keras")
    data = np.array([[1, 2, 0], [9, 0, 3]], dtype="float32")
    np.testing.assert_array_equal(loaded.predict(data, verbose=0),
                                  model.predict(data, verbose=0))
    assert loaded.get_layer("emb").mask_zero is True


class SubModel(Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = Dense(units, activation="tanh")
        self.drop = Dropout(0.5)
        self.head = Dense(2)

    def call(self, inputs, training=None):
        return self.head(self.drop(self.hidden(inputs), training=training))

    def get_config(self):
        return {"units": self.units, "name": self.name}


def test_subclassed_model_round_trip_via_custom_objects(tmp_path):
    model = SubModel(units=5, name="sub")
    model.compile(SGD(learning_rate=0.1), "mse")
    model.fit(X, np.ones((6, 2)), epochs=2, verbose=0)
    path = tmp_path / "sub.keras"
    model.save(path)
    with pytest.raises(ValueError, match=r"custom_objects=\{'SubModel': SubModel\}"):
        load_model(path)
    loaded = load_model(path, custom_objects={"SubModel": SubModel})
    assert type(loaded) is SubModel and loaded.units == 5 and loaded.name == "sub"
    assert_same_weights(model, loaded)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


class Scale(Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return inputs * self.gain * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_custom_layer_needs_custom_objects(tmp_path):
    model = Sequential([Dense(3, input_shape=(4,)), Scale(3.0)])
    model.layers[1].set_weights([np.array([1.0, 2.0, 3.0], "float32")])
    model.save(tmp_path / "custom.keras")
    with pytest.raises(ValueError, match=r"unknown layer class 'Scale'.*custom_objects"):
        load_model(tmp_path / "custom.keras")
    loaded = load_model(tmp_path / "custom.keras", custom_objects={"Scale": Scale})
    assert loaded.layers[1].factor == 3.0
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


# ---------------------------------------------------------------- the file itself


def test_keras_zip_holds_json_and_hdf5_only_and_no_pickle(tmp_path):
    model = mlp()
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, np.eye(3)[[0, 1, 2, 0, 1, 2]], epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        meta = json.loads(z.read("metadata.json"))
        config = json.loads(z.read("config.json"))
        h5_bytes = z.read("model.weights.h5")
    # Keras's members, in Keras's order, uncompressed
    assert [i.filename for i in infos] == ["metadata.json", "config.json", "model.weights.h5"]
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
    assert meta["keras_version"] == "3.0.0" and meta["written_by"].startswith("minikeras")
    assert config["module"] == "keras" and config["class_name"] == "Sequential"
    assert [(layer["module"], layer["class_name"]) for layer in config["config"]["layers"]] == \
        [("keras.layers", "InputLayer"), ("keras.layers", "Dense"), ("keras.layers", "Dropout"),
         ("keras.layers", "Dense")]
    assert config["compile_config"]["loss"] == "categorical_crossentropy"
    assert config["compile_config"]["optimizer"]["module"] == "keras.optimizers"
    import h5py
    with h5py.File(io.BytesIO(h5_bytes), "r") as f:
        arrays = [f[f"layers/{name}/vars/{i}"][()] for name in ("dense", "dense_1")
                  for i in (0, 1)]
        assert list(f["layers/dropout/vars"]) == [] and list(f["vars"]) == []
        assert int(f["optimizer/vars/0"][()]) == 1          # iterations
        assert len(f["optimizer/vars"]) == 2 + 2 * 4         # + Adam's m and v per weight
    assert all(a.dtype != object for a in arrays)
    for a, w in zip(arrays, model.get_weights()):
        np.testing.assert_array_equal(a, w)
    assert b"\x80\x04\x95" not in h5_bytes  # no pickle protocol-4 stream inside


def test_save_refuses_bad_paths_and_unbuilt_models(tmp_path):
    model = mlp()
    with pytest.raises(ValueError, match=r"must end in \.keras"):
        model.save(tmp_path / "m.h5")
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        model.save(tmp_path / "m.keras", overwrite=False)
    with pytest.raises(ValueError, match="no weights yet"):
        Sequential([Dense(2)], name="empty_shell").save(tmp_path / "e.keras")
    (tmp_path / "other.keras").write_bytes(_zip({"hello.txt": b"hi"}))
    with pytest.raises(ValueError, match="other.keras: not a Keras model file"):
        load_model(tmp_path / "other.keras")


def _zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("fail_at", ["fsync", "replace"])
def test_save_is_atomic(tmp_path, monkeypatch, fail_at):
    path = tmp_path / "model.keras"
    old = mlp()
    old.save(path)
    old_bytes = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    from minikeras.utils import io as file_io  # the one atomic write
    monkeypatch.setattr(file_io.os, fail_at, boom)
    new = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(OSError, match="disk full"):
        new.save(path)
    with pytest.raises(OSError, match="disk full"):
        new.save(tmp_path / "fresh.keras")
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes  # the old file survives, untouched
    assert sorted(os.listdir(tmp_path)) == ["model.keras"]  # no temp files, no half file
    np.testing.assert_array_equal(load_model(path).predict(X, verbose=0),
                                  old.predict(X, verbose=0))


def test_save_weights_is_atomic_too(tmp_path, monkeypatch):
    from minikeras.utils import io as file_io
    model = mlp()
    monkeypatch.setattr(file_io.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("no")))
    with pytest.raises(OSError):
        model.save_weights(tmp_path / "w.weights.npz")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- Lambda and safe_mode


def triple_plus_one(x):
    return x * 3.0 + 1.0


def test_lambda_loads_only_with_safe_mode_false(tmp_path):
    model = Sequential([Lambda(lambda x: K.square(x) - 1.0, input_shape=(4,)),
                        Lambda(triple_plus_one), Dense(2)])
    path = tmp_path / "lambda.keras"
    model.save(path)
    with zipfile.ZipFile(path) as z:
        config = z.read("config.json").decode()
    assert "K.square(x) - 1.0" in config and "def triple_plus_one" in config
    with pytest.raises(ValueError) as info:
        load_model(path)
    message = str(info.value)
    assert "Lambda" in message and "safe_mode=False" in message
    loaded = load_model(path, safe_mode=False)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


# ---------------------------------------------------------------- weights files


@pytest.mark.parametrize("suffix", [".weights.h5", ".weights.npz"])
def test_save_weights_load_weights_round_trip(tmp_path, suffix):
    model = mlp()
    path = tmp_path / f"mlp{suffix}"
    model.save_weights(path)
    other = mlp()
    assert not np.array_equal(other.get_weights()[0], model.get_weights()[0])
    other.load_weights(path)
    assert_same_weights(model, other)
    np.testing.assert_array_equal(other.predict(X, verbose=0), model.predict(X, verbose=0))
    with pytest.raises(ValueError, match=r"\.weights\.h5 or \.weights\.npz"):
        model.save_weights(tmp_path / "mlp.h5")
    small = Sequential([Dense(3, input_shape=(4,))], name="small")
    with pytest.raises(ValueError, match=r"mlp\.weights\..*(has 2 weights|4)"):
        small.load_weights(path)


# ---------------------------------------------------------------- compile settings


def test_compile_config_is_restored(tmp_path):
    model = mlp()
    model.compile(SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
                  "categorical_crossentropy", metrics=["accuracy"])
    y = np.eye(3)[[0, 1, 2, 0, 1, 2]]
    model.fit(X, y, epochs=1, verbose=0)
    model.save(tmp_path / "c.keras")
    loaded = load_model(tmp_path / "c.keras")
    assert loaded.compiled and type(loaded.optimizer) is optimizers.SGD
    assert float(K.get_value(loaded.optimizer.learning_rate)) == pytest.approx(0.05)
    config = loaded.optimizer.get_config()
    assert config["momentum"] == pytest.approx(0.9) and config["nesterov"] is True
    assert loaded.loss == "categorical_crossentropy"
    np.testing.assert_allclose(loaded.evaluate(X, y, verbose=0),
                               model.evaluate(X, y, verbose=0), rtol=1e-6)
    assert not load_model(tmp_path / "c.keras", compile=False).compiled


def test_adam_learning_rate_restored_and_training_continues(tmp_path):
    model = Sequential([Dense(1, input_shape=(4,))])
    model.compile(optimizers.Adam(learning_rate=0.003), "mse")
    model.save(tmp_path / "adam.keras")
    loaded = load_model(tmp_path / "adam.keras")
    assert type(loaded.optimizer) is optimizers.Adam
    assert float(K.get_value(loaded.optimizer.learning_rate)) == pytest.approx(0.003)
    before = loaded.evaluate(X, X.sum(1), verbose=0)
    loaded.fit(X, X.sum(1), epochs=20, verbose=0)
    assert loaded.evaluate(X, X.sum(1), verbose=0) < before


def test_subclassed_model_nested_in_a_functional_model(tmp_path):
    x = Input(shape=(4,))
    model = Model(x, Dense(1, name="on_top")(SubModel(units=2, name="nested_sub")(x)))
    model.save(tmp_path / "nested_sub.keras")
    loaded = load_model(tmp_path / "nested_sub.keras", custom_objects={"SubModel": SubModel})
    assert type(loaded.get_layer("nested_sub")) is SubModel
    assert_same_weights(model, loaded)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
