"""The .keras format without Keras: what is written, what is read tolerantly (files from
Keras 3.0 ... 3.15, Keras 2 weights, minikeras's first format), and the errors, each
naming the file, the layer and both shapes."""
import json
import warnings
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from minikeras import optimizers
from minikeras.layers import LSTM, Add, Concatenate, Dense, Dropout, Embedding, Input
from minikeras.models import Model, Sequential, load_model
from minikeras.models.keras_files.paths import saveables

X = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")


def members(path):
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def rewrite(path, new_path, **changes):
    files = members(path)
    files.update({k: v if isinstance(v, bytes) else json.dumps(v).encode()
                  for k, v in changes.items()})
    with zipfile.ZipFile(new_path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return new_path


def small():
    return Sequential([Dense(2, input_shape=(3,), activation="relu", name="hidden"),
                       Dense(1, name="out")], name="small")


# ---------------------------------------------------------------- paths and order
def test_weight_paths_number_class_names_per_list_and_nest_models():
    inner = Sequential([Dense(2, input_shape=(3,)), Dropout(0.1), Dense(2)], name="inner")
    a = Input(shape=(3,), name="a")
    head = Dense(1, name="head")(Concatenate()([inner(a), Dense(2, name="side")(a)]))
    model = Model(a, head)
    model.compile("adam", "mse")
    assert [p for p, _ in saveables(model)] == [
        "", "layers/input_layer", "layers/sequential", "layers/sequential/layers/dense",
        "layers/sequential/layers/dropout", "layers/sequential/layers/dense_1",
        "layers/dense", "layers/concatenate", "layers/dense_1", "optimizer"]


def test_a_table_entry_moves_a_layer_family_s_weights(monkeypatch):
    """A layer whose own weights Keras keeps in a sub-object (recurrent layers: the cell)
    needs one entry in names.LAYERS; the paths follow for writing and reading."""
    from minikeras.models.keras_files.paths import vars_path
    from minikeras.saving import names

    class Recurrentish(Dense):
        pass

    monkeypatch.setitem(names.LAYERS, "Recurrentish",
                        names.KerasLayer(("units",), weights_at="cell"))
    model = Sequential([Recurrentish(2, input_shape=(3,), name="r")])
    assert [vars_path(p, o) for p, o in saveables(model)] == \
        ["vars", "layers/recurrentish/cell/vars"]
    from minikeras.models.keras_files.weights import write_weights
    from minikeras.saving.weights_h5 import WeightsFile
    with WeightsFile(write_weights(model), "m") as f:
        assert [tuple(d.shape) for d in f.datasets("layers/recurrentish/cell/vars")] == \
            [(3, 2), (2,)]


def test_built_in_layers_hold_the_sub_layers_their_table_entry_names():
    """Keras's paths of a recurrent family's weights (cell, forward_layer/backward_layer,
    cells, a wrapper's layer); a layer minikeras keeps in another attribute is not one
    of them."""
    from minikeras.layers import RNN, Bidirectional, GRUCell, LSTMCell, TimeDistributed
    bidi = Bidirectional(LSTM(2))
    model = Sequential([Input(shape=(4, 3)), bidi, Dense(2)])
    bidi.helper = Dense(1)  # not Keras's: never a path
    assert [p for p, _ in saveables(model)] == [
        "", "layers/bidirectional", "layers/bidirectional/backward_layer",
        "layers/bidirectional/backward_layer/cell", "layers/bidirectional/forward_layer",
        "layers/bidirectional/forward_layer/cell", "layers/dense"]
    stacked = Sequential([Input(shape=(4, 3)), RNN([LSTMCell(2), GRUCell(2)],
                                                    return_sequences=True),
                          TimeDistributed(Dense(2))])
    assert [p for p, _ in saveables(stacked)][1:] == [
        "layers/rnn", "layers/rnn/cell", "layers/rnn/cell/cells/lstm_cell",
        "layers/rnn/cell/cells/gru_cell", "layers/time_distributed",
        "layers/time_distributed/layer"]


# ---------------------------------------------------------------- errors
def test_file_from_a_newer_format_version_is_a_clear_error(tmp_path):
    small().save(tmp_path / "m.keras")
    newer = rewrite(tmp_path / "m.keras", tmp_path / "new.keras",
                    **{"metadata.json": {"keras_version": "4.0.1"}})
    with pytest.raises(ValueError, match=r"new\.keras: the file was written by Keras 4\.0\.1"):
        load_model(newer)
    future = rewrite(tmp_path / "m.keras", tmp_path / "future.keras",
                     **{"metadata.json": {"format": "minikeras-2"}})
    with pytest.raises(ValueError, match=r"future\.keras: .*'minikeras-2'"):
        load_model(future)


def test_unknown_layer_class_names_the_file_and_the_class(tmp_path):
    small().save(tmp_path / "m.keras")
    config = json.loads(members(tmp_path / "m.keras")["config.json"])
    config["config"]["layers"][1]["class_name"] = "Conv9D"
    path = rewrite(tmp_path / "m.keras", tmp_path / "u.keras", **{"config.json": config})
    with pytest.raises(ValueError, match=r"u\.keras: unknown layer class 'Conv9D'.*"
                                         r"custom_objects"):
        load_model(path)


def test_weights_that_do_not_fit_name_the_file_the_layer_and_both_shapes(tmp_path):
    small().save(tmp_path / "m.keras")
    config = json.loads(members(tmp_path / "m.keras")["config.json"])
    config["config"]["layers"][0]["config"]["batch_shape"] = [None, 2]
    path = rewrite(tmp_path / "m.keras", tmp_path / "bad.keras", **{"config.json": config})
    with pytest.raises(ValueError, match=r"bad\.keras: layer \"hidden\" \(Dense\), weight "
                                         r"hidden/kernel: the model's weight has shape "
                                         r"\(2, 2\), the file's layers/dense/vars/0 has "
                                         r"shape \(3, 2\)"):
        load_model(path)
    other = Sequential([Dense(2, input_shape=(4,)), Dense(1)])
    with pytest.raises(ValueError, match=r"m\.keras: .*shape \(4, 2\).*shape \(3, 2\)"):
        other.load_weights(tmp_path / "m.keras")
    fewer = Sequential([Dense(2, input_shape=(3,), use_bias=False), Dense(1)])
    with pytest.raises(ValueError, match=r'layer "dense.*" \(Dense\) has 1 weights '
                                         r"\[\(3, 2\)\], the file's layers/dense/vars "
                                         r"holds 2"):
        fewer.load_weights(tmp_path / "m.keras")


def test_missing_and_non_zip_files_are_value_errors_naming_them(tmp_path):
    with pytest.raises(ValueError, match=r"nothing\.keras: no such file"):
        load_model(tmp_path / "nothing.keras")
    (tmp_path / "text.keras").write_text("hello")
    with pytest.raises(ValueError, match=r"text\.keras: not a readable zip archive"):
        load_model(tmp_path / "text.keras")
    (tmp_path / "text.weights.h5").write_text("hello")
    with pytest.raises(ValueError, match=r"text\.weights\.h5: the weights are not a "
                                         r"readable HDF5 file"):
        small().load_weights(tmp_path / "text.weights.h5")


def test_weight_loading_is_all_or_nothing(tmp_path):
    small().save(tmp_path / "m.keras")
    model = Sequential([Dense(2, input_shape=(3,)), Dense(2)])
    before = model.get_weights()
    with pytest.raises(ValueError):
        model.load_weights(tmp_path / "m.keras")  # the second layer does not fit
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- HDF5 checks
@pytest.mark.parametrize("kind", ["soft", "external", "strings"])
def test_links_and_non_numeric_datasets_are_refused(tmp_path, kind):
    model = small()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        group = f["layers/dense/vars"]
        del group["1"]
        if kind == "soft":
            group["1"] = h5py.SoftLink("/layers/dense_1/vars/1")
        elif kind == "external":
            group["1"] = h5py.ExternalLink("/etc/passwd", "/x")
        else:
            group.create_dataset("1", data=np.array([b"a", b"b"]))
    with pytest.raises(ValueError, match=r"w\.weights\.h5: .*(link|values; weights are "
                                         r"numbers)"):
        model.load_weights(path)


def test_bfloat16_weights_as_keras_stores_them_are_read(tmp_path):
    """Keras writes bfloat16 variables as 2 opaque bytes with the attribute dtype."""
    model = small()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    bias = np.array([1.5, -2.25], "float32")
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/1"]
        bits = (bias.view("<u4") >> 16).astype("<u2")  # exact in bfloat16
        dataset = f["layers/dense/vars"].create_dataset("1", data=bits.view("V2"))
        dataset.attrs["dtype"] = "bfloat16"
    model.load_weights(path)
    np.testing.assert_array_equal(model.get_weights()[1], bias)


# ---------------------------------------------------------------- reading tolerantly
def keras_dtype(name="float32"):
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name},
            "registered_name": None, "shared_object_id": 140233}


def test_keras_3_15_extras_and_both_dtype_forms_are_read(tmp_path):
    small().save(tmp_path / "m.keras")
    config = json.loads(members(tmp_path / "m.keras")["config.json"])
    config["config"]["dtype"] = keras_dtype()
    entry_in, entry_dense = config["config"]["layers"][:2]
    entry_in["config"].update(optional=False, ragged=False)
    entry_dense["config"].update(dtype=keras_dtype(), quantization_config=None,
                                 lora_rank=None)
    entry_dense["config"]["kernel_initializer"]["config"].update(input_axes=None,
                                                                  output_axes=None)
    entry_dense["shared_object_id"] = 99
    path = rewrite(tmp_path / "m.keras", tmp_path / "k315.keras", **{"config.json": config})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load_model(path)
    assert loaded.layers[0].dtype == "float32"
    entry_dense["config"]["lora_rank"] = 4  # a feature minikeras lacks: said, not hidden
    path = rewrite(tmp_path / "m.keras", tmp_path / "lora.keras", **{"config.json": config})
    with pytest.warns(UserWarning, match=r"lora\.keras: layer \"hidden\" \(Dense\): .*"
                                         r"lora_rank"):
        load_model(path)


def test_keras_2_list_form_inbound_nodes_and_nested_input_layers(tmp_path):
    a = Input(shape=(3,), name="a")
    b = Input(shape=(3,), name="b")
    model = Model([a, b], Dense(1, name="out")(Add(name="sum")([a, b])))
    model.save(tmp_path / "m.keras")
    config = json.loads(members(tmp_path / "m.keras")["config.json"])
    layers = config["config"]["layers"]
    names = [e["name"] for e in layers]
    layers[names.index("sum")]["inbound_nodes"] = [[["a", 0, 0, {}], ["b", 0, 0, {}]]]
    layers[names.index("out")]["inbound_nodes"] = [[["sum", 0, 0, {}]]]
    config["config"]["output_layers"] = [["out", 0, 0]]
    path = rewrite(tmp_path / "m.keras", tmp_path / "k2.keras", **{"config.json": config})
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict([X, X], verbose=0),
                                  model.predict([X, X], verbose=0))


def test_keras_mask_operations_are_left_to_minikeras_masks(tmp_path):
    """Keras 3 writes Embedding(mask_zero=True)'s mask as a NotEqual operation passed as
    mask= to the next call; minikeras carries masks with tensors."""
    ids = Input(shape=(4,), name="ids", dtype="int32")
    model = Model(ids, Dense(1, name="out")(LSTM(2, name="rnn")(
        Embedding(10, 2, mask_zero=True, name="emb")(ids))))
    model.save(tmp_path / "m.keras")
    config = json.loads(members(tmp_path / "m.keras")["config.json"])
    layers = config["config"]["layers"]

    def tensor(name, shape, dtype):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": shape, "dtype": dtype, "keras_history": [name, 0, 0]}}

    layers.insert(2, {"module": "keras.src.ops.numpy", "class_name": "NotEqual",
                      "config": {"name": "not_equal"}, "registered_name": "NotEqual",
                      "name": "not_equal", "inbound_nodes": [
                          {"args": [tensor("ids", [None, 4], "int32"), 0], "kwargs": {}}]})
    rnn = next(e for e in layers if e["name"] == "rnn")
    rnn["inbound_nodes"][0]["kwargs"]["mask"] = tensor("not_equal", [None, 4], "bool")
    path = rewrite(tmp_path / "m.keras", tmp_path / "mask.keras", **{"config.json": config})
    loaded = load_model(path)
    data = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    np.testing.assert_array_equal(loaded.predict(data, verbose=0),
                                  model.predict(data, verbose=0))
    rnn["inbound_nodes"][0]["args"].append(tensor("not_equal", [None, 4], "bool"))
    path = rewrite(tmp_path / "m.keras", tmp_path / "op.keras", **{"config.json": config})
    with pytest.raises(ValueError, match=r"op\.keras: unknown layer class 'NotEqual'"):
        load_model(path)  # an operation used as data is not a mask: minikeras lacks it


def test_a_shared_layer_listed_before_what_feeds_its_second_call(tmp_path):
    a = Input(shape=(3,), name="a")
    shared = Dense(3, name="shared")
    first = shared(a)
    second = shared(Dense(3, name="late")(first))
    model = Model(a, Concatenate(name="cat")([first, second]))
    model.save(tmp_path / "m.keras")
    config = json.loads(members(tmp_path / "m.keras")["config.json"])
    assert [e["name"] for e in config["config"]["layers"]] == ["a", "shared", "late", "cat"]
    loaded = load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_compile_config_with_keras_loss_and_metric_objects(tmp_path):
    model = small()
    model.compile("adam", "mse")
    model.save(tmp_path / "m.keras")
    config = json.loads(members(tmp_path / "m.keras")["config.json"])
    config["compile_config"]["optimizer"] = {
        "module": "keras.src.backend.torch.optimizers.torch_adam", "class_name": "Adam",
        "registered_name": "Adam", "config": {
            "name": "adam", "learning_rate": 0.005, "weight_decay": None, "clipnorm": None,
            "global_clipnorm": None, "clipvalue": None, "use_ema": False,
            "ema_momentum": 0.99, "ema_overwrite_frequency": None,
            "loss_scale_factor": None, "gradient_accumulation_steps": None,
            "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}}
    config["compile_config"]["loss"] = {
        "module": "keras.losses", "class_name": "MeanSquaredError", "registered_name": None,
        "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size"}}
    config["compile_config"]["metrics"] = [{
        "module": "keras.metrics", "class_name": "MeanAbsoluteError",
        "registered_name": None, "config": {"name": "mean_absolute_error",
                                            "dtype": "float32"}}]
    path = rewrite(tmp_path / "m.keras", tmp_path / "c.keras", **{"config.json": config})
    loaded = load_model(path)
    assert type(loaded.optimizer) is optimizers.Adam
    # the learning rate is also a variable in the weights file, and that value wins (Keras)
    assert loaded.optimizer.get_config()["learning_rate"] == pytest.approx(0.001)
    logs = loaded.fit(X, np.ones((5, 1)), verbose=0).history
    assert "mean_absolute_error" in logs


def test_optimizer_state_of_another_size_is_skipped_with_a_warning(tmp_path):
    model = small()
    model.compile(optimizers.Adam(), "mse")
    model.fit(X, np.ones((5, 1)), verbose=0)
    model.save_weights(tmp_path / "adam.weights.h5")
    other = small()
    other.compile(optimizers.SGD(momentum=0.9), "mse")
    with pytest.warns(UserWarning, match=r"adam\.weights\.h5: skipping the state of "
                                         r"optimizer '(?i:sgd)'"):
        other.load_weights(tmp_path / "adam.weights.h5")


def test_nadam_state_in_keras_3_0_order_is_recognised(tmp_path):
    model = small()
    model.compile(optimizers.Nadam(), "mse")
    model.fit(X, np.ones((5, 1)), epochs=2, verbose=0)
    path = tmp_path / "nadam.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as f:  # move the shared scalar after learning_rate
        group = f["optimizer/vars"]
        values = [group[str(i)][()] for i in range(len(group))]
        values = values[:2] + values[-1:] + values[2:-1]
        for i, v in enumerate(values):
            del group[str(i)]
            group.create_dataset(str(i), data=v)
    other = small()
    other.compile(optimizers.Nadam(), "mse")
    other.load_weights(path)
    for a, b in zip(other.optimizer.get_weights(), model.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- older formats
def test_first_minikeras_format_still_loads():
    """A file saved before issue 13 (the code of ec9585f): a functional model with an
    Embedding, a shared layer, a nested Sequential and a merge, compiled with SGD."""
    data = Path(__file__).parent / "data"
    loaded = load_model(data / "minikeras1_functional.keras")
    np.testing.assert_array_equal(loaded.predict(np.load(data / "minikeras1_functional.x.npy"),
                                                 verbose=0),
                                  np.load(data / "minikeras1_functional.pred.npy"))
    assert loaded.name == "old" and type(loaded.get_layer("inner")) is Sequential
    assert loaded.compiled and type(loaded.optimizer) is optimizers.SGD


def keras2_weights_file(path, layers, split=False, keras_version=b"2.2.4"):
    """A weights file as Keras 2 (``dense_1/kernel:0``) or Keras 1 (``dense_1_W``) wrote
    them: ``layers`` is [(name, [(weight_name, array)])]."""
    with h5py.File(path, "w") as f:
        names = [n.encode() for n, _ in layers]
        if split:  # long lists were split into layer_names0, layer_names1, ...
            f.attrs["layer_names0"] = names[:1]
            f.attrs["layer_names1"] = names[1:]
        else:
            f.attrs["layer_names"] = names
        if keras_version:
            f.attrs["keras_version"] = keras_version
            f.attrs["backend"] = b"tensorflow"
        for name, weights in layers:
            group = f.create_group(name)
            group.attrs["weight_names"] = [w.encode() for w, _ in weights]
            for weight_name, array in weights:
                group.create_dataset(weight_name, data=array)


@pytest.mark.parametrize("era", ["keras2", "keras1"])
def test_keras_2_and_1_hdf5_weights_load_by_position(tmp_path, era):
    model = Sequential([Dense(4, input_shape=(3,)), Dropout(0.5), Dense(2)])
    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=w.shape).astype("float32") for w in model.get_weights()]
    if era == "keras2":
        layers = [("dense_1", [("dense_1/kernel:0", arrays[0]), ("dense_1/bias:0", arrays[1])]),
                  ("dropout_1", []),
                  ("dense_2", [("dense_2/kernel:0", arrays[2]), ("dense_2/bias:0", arrays[3])])]
    else:
        layers = [("dense_1", [("dense_1_W", arrays[0]), ("dense_1_b", arrays[1])]),
                  ("dropout_1", []),
                  ("dense_2", [("dense_2_W", arrays[2]), ("dense_2_b", arrays[3])])]
    keras2_weights_file(tmp_path / "seed.h5", layers, split=era == "keras2",
                        keras_version=b"2.2.4" if era == "keras2" else None)
    model.load_weights(tmp_path / "seed.h5")
    for a, b in zip(model.get_weights(), arrays):
        np.testing.assert_array_equal(a, b)
    bigger = Sequential([Dense(5, input_shape=(3,)), Dense(2)])
    with pytest.raises(ValueError, match=r"seed\.h5: .*shape \(3, 5\).*shape \(3, 4\)"):
        bigger.load_weights(tmp_path / "seed.h5")
    with pytest.raises(ValueError, match=r"seed\.h5: the file has weights for 2 layers"):
        Sequential([Dense(2, input_shape=(3,))]).load_weights(tmp_path / "seed.h5")
