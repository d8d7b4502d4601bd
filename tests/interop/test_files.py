"""Files cross both ways between minikeras and real Keras 3 (issue 13).

For each model family: a file written by one library opens in the other with the same
predictions (1e-5) and weights, the optimizer's state arrives in Keras's order, and
training resumed in the other library continues from it (the weights after three more
steps agree with the library that wrote it continuing from the same file). Files written
by minikeras also open in Keras 3.0 (``.venv-keras30/``, built by ``dev.py``).
"""
import json
import warnings
import zipfile

import keras
import numpy as np
import pytest
from crossing import keras_optimizer_state, minikeras_optimizer_state, run_keras30, train
from parity import assert_close

import minikeras as mk

rng = np.random.default_rng(7)


def seed_mlp(lib):
    L = lib.layers
    return lib.Sequential([L.Input(shape=(20,)), L.Dense(16), L.Activation("tanh"),
                           L.Dropout(0.5), L.Dense(16, activation="tanh"), L.Dropout(0.5),
                           L.Dense(10, activation="softmax")])


def two_inputs_shared_merges(lib):
    L = lib.layers
    a, b = L.Input(shape=(6,), name="left"), L.Input(shape=(6,), name="right")
    shared = L.Dense(8, activation="relu", name="shared")
    sa, sb = shared(a), shared(b)
    merged = L.Concatenate()([L.Add()([sa, sb]), L.Multiply()([sa, sb]),
                              L.Subtract()([a, b])])
    hidden = L.Dense(5, activation="sigmoid")(merged)
    return lib.Model([a, b], L.Dense(3, activation="softmax")(L.Average()([hidden, hidden])))


def embedding_flatten(lib):
    L = lib.layers
    return lib.Sequential([L.Input(shape=(7,)), L.Embedding(20, 4), L.Flatten(),
                           L.Dense(2, activation="elu")])


def data(build):
    n = 24
    if build is two_inputs_shared_merges:
        x = [rng.normal(size=(n, 6)).astype("float32") for _ in range(2)]
    elif build is embedding_flatten:
        x = rng.integers(0, 20, size=(n, 7)).astype("int32")
    else:
        x = rng.random((n, 20), dtype=np.float32)
    classes = 2 if build is embedding_flatten else (3 if build is two_inputs_shared_merges
                                                    else 10)
    y = np.eye(classes, dtype="float32")[rng.integers(0, classes, n)]
    loss = "mse" if build is embedding_flatten else "categorical_crossentropy"
    return x, y, loss


FAMILIES = [seed_mlp, two_inputs_shared_merges, embedding_flatten]


def no_dropout(model, lib):
    """Each library draws its own dropout masks: switch them off to compare training."""
    for layer in model.layers:
        if isinstance(layer, lib.layers.Dropout):
            layer.rate = 0.0


@pytest.mark.parametrize("build", FAMILIES)
def test_minikeras_file_opens_in_keras(tmp_path, build):
    x, y, loss = data(build)
    ours = build(mk)
    ours.compile(mk.optimizers.Adam(0.01), loss)
    train(ours, x, y, 4)
    path = tmp_path / "from_minikeras.keras"
    ours.save(path)

    theirs = keras.saving.load_model(path)
    assert_close(theirs.predict(x, verbose=0), ours.predict(x, verbose=0))
    assert_close(theirs.get_weights(), ours.get_weights(), tol=0)
    assert int(keras.ops.convert_to_numpy(theirs.optimizer.iterations)) == 4
    assert_close(keras_optimizer_state(theirs)[1:], minikeras_optimizer_state(ours)[1:],
                 tol=0)

    resumed = mk.models.load_model(path)  # minikeras continuing from the same file
    no_dropout(theirs, keras)
    no_dropout(resumed, mk)
    train(theirs, x, y, 3)
    train(resumed, x, y, 3)
    assert_close(theirs.get_weights(), resumed.get_weights(), tol=2e-5)
    assert_close(keras_optimizer_state(theirs)[2:], minikeras_optimizer_state(resumed)[2:],
                 tol=2e-5)


@pytest.mark.parametrize("build", FAMILIES)
def test_keras_file_opens_in_minikeras(tmp_path, build):
    x, y, loss = data(build)
    theirs = build(keras)
    theirs.compile(keras.optimizers.Adam(0.01), loss)
    train(theirs, x, y, 4)
    path = tmp_path / "from_keras.keras"
    theirs.save(path)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every key of a Keras 3.15 file is understood
        ours = mk.models.load_model(path)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert_close(ours.get_weights(), theirs.get_weights(), tol=0)
    assert int(ours.optimizer.iterations.numpy()) == 4
    assert_close(minikeras_optimizer_state(ours)[1:], keras_optimizer_state(theirs)[1:],
                 tol=0)

    no_dropout(theirs, keras)  # Keras continues in memory; minikeras from the file
    no_dropout(ours, mk)
    train(theirs, x, y, 3)
    train(ours, x, y, 3)
    assert_close(ours.get_weights(), theirs.get_weights(), tol=2e-5)


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"momentum": 0.9}), ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adagrad", {}), ("Adadelta", {}), ("Adam", {"amsgrad": True}), ("Adamax", {}),
    ("Nadam", {})])
def test_optimizer_state_crosses_in_keras_order(tmp_path, name, kwargs):
    """The same two steps in both libraries give the same optimizer variables, in the
    same order; a file carries them across both ways."""
    x, y, loss = data(seed_mlp)
    ours, theirs = seed_mlp(mk), seed_mlp(keras)
    no_dropout(ours, mk)
    no_dropout(theirs, keras)
    theirs.set_weights(ours.get_weights())
    ours.compile(getattr(mk.optimizers, name)(**kwargs), loss)
    theirs.compile(getattr(keras.optimizers, name)(**kwargs), loss)
    train(ours, x, y, 2)
    train(theirs, x, y, 2)
    assert_close(minikeras_optimizer_state(ours), keras_optimizer_state(theirs), tol=1e-5)
    ours.save(tmp_path / "ours.keras")
    assert_close(keras_optimizer_state(keras.saving.load_model(tmp_path / "ours.keras")),
                 minikeras_optimizer_state(ours), tol=0)
    theirs.save(tmp_path / "theirs.keras")
    assert_close(minikeras_optimizer_state(mk.models.load_model(tmp_path / "theirs.keras")),
                 keras_optimizer_state(theirs), tol=0)


@pytest.mark.parametrize("build", FAMILIES)
def test_weights_files_cross_both_ways(tmp_path, build):
    x, _, _ = data(build)
    ours, theirs = build(mk), build(keras)
    ours.save_weights(tmp_path / "ours.weights.h5")
    theirs.load_weights(tmp_path / "ours.weights.h5")
    assert_close(theirs.predict(x, verbose=0), ours.predict(x, verbose=0))
    theirs2, ours2 = build(keras), build(mk)
    theirs2.save_weights(tmp_path / "theirs.weights.h5")
    ours2.load_weights(tmp_path / "theirs.weights.h5")
    assert_close(ours2.get_weights(), theirs2.get_weights(), tol=0)


@pytest.mark.parametrize("build", FAMILIES)
def test_keras2_style_h5_written_by_keras_loads_with_load_weights(tmp_path, build):
    """Keras 3 still writes the Keras 2 HDF5 layout (``layer_names``/``weight_names``)
    for ``.h5`` files: the format of the seed's era."""
    x, _, _ = data(build)
    theirs = build(keras)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras calls the format legacy
        theirs.save(tmp_path / "legacy.h5")
    import h5py
    with h5py.File(tmp_path / "legacy.h5") as f:
        assert "layer_names" in f["model_weights"].attrs
    ours = build(mk)
    ours.load_weights(tmp_path / "legacy.h5")
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_layer_order_and_weight_paths_match_keras_on_a_tangled_graph(tmp_path):
    """Keras numbers weight paths in its own layer order (by depth from the outputs):
    a shared layer called on an early and a late tensor, branches of different length."""
    def tangled(lib):
        L = lib.layers
        a = L.Input(shape=(3,), name="a")
        b = L.Input(shape=(3,), name="b")
        shared = L.Dense(3, name="shared")
        deep = L.Dense(3, name="deep3")(L.Dense(3, name="deep2")(L.Dense(3, name="deep1")(a)))
        s1, s2 = shared(b), shared(deep)
        side = L.Dense(3, name="side")(a)
        out = L.Dense(2, name="head")(L.Concatenate(name="cat")([s1, s2, side]))
        return lib.Model([a, b], out)

    ours, theirs = tangled(mk), tangled(keras)
    from minikeras.models.keras_files.paths import keras_layer_order
    assert [l.name for l in keras_layer_order(ours)] == [l.name for l in theirs.layers]
    ours.save(tmp_path / "tangled.keras")
    loaded = keras.saving.load_model(tmp_path / "tangled.keras")
    xs = [rng.normal(size=(4, 3)).astype("float32") for _ in range(2)]
    assert_close(loaded.predict(xs, verbose=0), ours.predict(xs, verbose=0))
    theirs.save(tmp_path / "tangled_keras.keras")
    back = mk.models.load_model(tmp_path / "tangled_keras.keras")
    assert_close(back.predict(xs, verbose=0), theirs.predict(xs, verbose=0))


def test_initializers_regularizers_and_options_keras_understands(tmp_path):
    L = mk.layers
    model = mk.Sequential([
        L.Input(shape=(5,)),
        L.Dense(4, kernel_initializer=mk.initializers.HeNormal(seed=3),
                bias_initializer=mk.initializers.Constant(0.1),
                kernel_regularizer=mk.regularizers.L2(0.01), activation="relu"),
        L.Dense(4, kernel_initializer="lecun_uniform", use_bias=False,
                activity_regularizer=mk.regularizers.L1L2(0.01, 0.02)),
        L.Reshape((2, 2)), L.Permute((2, 1)), L.Flatten(), L.RepeatVector(2),
        L.Masking(0.5), L.Activation("softplus"), L.Dense(1)])
    model.compile(mk.optimizers.SGD(0.1, momentum=0.9, nesterov=True, clipnorm=1.0), "mse",
                  metrics=["mae"])
    x = rng.normal(size=(6, 5)).astype("float32")
    model.fit(x, rng.normal(size=(6, 2, 1)), epochs=2, verbose=0)  # a masked loss
    model.save(tmp_path / "options.keras")
    theirs = keras.saving.load_model(tmp_path / "options.keras")
    assert_close(theirs.predict(x, verbose=0), model.predict(x, verbose=0))
    dense = theirs.layers[0]
    assert isinstance(dense.kernel_initializer, keras.initializers.HeNormal)
    assert dense.kernel_initializer.seed == 3
    assert float(dense.kernel_regularizer.l2) == pytest.approx(0.01)
    assert theirs.optimizer.nesterov and theirs.optimizer.clipnorm == 1.0


def test_lambda_is_refused_by_keras_in_safe_mode_and_runs_when_unsafe(tmp_path):
    L = mk.layers
    model = mk.Sequential([L.Input(shape=(3,)), L.Lambda(lambda t: t * 2.0 + 1.0),
                           L.Dense(2)])
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="safe_mode"):
        keras.saving.load_model(tmp_path / "lambda.keras")
    theirs = keras.saving.load_model(tmp_path / "lambda.keras", safe_mode=False)
    x = rng.normal(size=(4, 3)).astype("float32")
    assert_close(theirs.predict(x, verbose=0), model.predict(x, verbose=0))
    # and a Lambda written by Keras (marshalled code only) loads in minikeras, unsafely
    theirs.save(tmp_path / "lambda_keras.keras")
    with pytest.raises(ValueError, match=r"lambda_keras\.keras: .*safe_mode=False"):
        mk.models.load_model(tmp_path / "lambda_keras.keras")
    back = mk.models.load_model(tmp_path / "lambda_keras.keras", safe_mode=False)
    assert_close(back.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_keras_mask_operations_open_in_minikeras(tmp_path):
    """Keras writes Embedding(mask_zero=True)'s mask as a NotEqual operation handed to the
    next layer that takes a mask; minikeras carries the mask with the tensor instead."""
    L = keras.layers
    ids = L.Input(shape=(5,), dtype="int32")
    masked = L.Lambda(lambda t: t * 2.0)(L.Embedding(10, 3, mask_zero=True)(ids))
    theirs = keras.Model(ids, L.Dense(2)(L.Flatten()(masked)))
    theirs.save(tmp_path / "mask.keras")
    with zipfile.ZipFile(tmp_path / "mask.keras") as z:
        assert '"NotEqual"' in z.read("config.json").decode()
    ours = mk.models.load_model(tmp_path / "mask.keras", safe_mode=False)
    x = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 0]])
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_minikeras_only_features_keras_refuses_with_its_own_error(tmp_path):
    class Scale(mk.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    custom = mk.Sequential([mk.layers.Input(shape=(2,)), Scale()])
    custom.save(tmp_path / "custom.keras")
    with pytest.raises(TypeError, match="Scale"):
        keras.saving.load_model(tmp_path / "custom.keras")

    decayed = mk.Sequential([mk.layers.Input(shape=(2,)), mk.layers.Dense(1)])
    decayed.compile(mk.optimizers.SGD(lr=0.1, decay=1e-3), "mse")
    decayed.save(tmp_path / "decay.keras")
    with pytest.warns(UserWarning, match="decay"):
        keras.saving.load_model(tmp_path / "decay.keras")


def test_keras_features_minikeras_lacks_are_clear_errors(tmp_path):
    """UnitNormalization stands for any Keras layer minikeras does not have (if it gains
    one, pick another here)."""
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.UnitNormalization(),
                               keras.layers.Dense(1)])
    theirs.save(tmp_path / "unit.keras")
    with pytest.raises(ValueError, match=r"unit\.keras: unknown layer class "
                                         r"'UnitNormalization'"):
        mk.models.load_model(tmp_path / "unit.keras")

    constrained = keras.Sequential([keras.Input((4,)), keras.layers.Dense(
        2, kernel_constraint=keras.constraints.MaxNorm(2.0))])
    constrained.save(tmp_path / "constrained.keras")
    ours = mk.models.load_model(tmp_path / "constrained.keras")  # constraints cross too
    assert isinstance(ours.layers[0].kernel_constraint, mk.constraints.MaxNorm)
    assert ours.layers[0].kernel_constraint.max_value == 2.0
    x = rng.normal(size=(3, 4)).astype("float32")
    assert_close(ours.predict(x, verbose=0), constrained.predict(x, verbose=0))

    mixed = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, dtype="mixed_float16")])
    mixed.save(tmp_path / "mixed.keras")
    with pytest.raises(ValueError, match=r"mixed\.keras: .*dtype policy 'mixed_float16'"):
        mk.models.load_model(tmp_path / "mixed.keras")


def test_metadata_and_config_are_what_keras_writes(tmp_path):
    ours = seed_mlp(mk)
    ours.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        assert z.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        config = json.loads(z.read("config.json"))
    theirs = keras.saving.load_model(tmp_path / "m.keras")
    theirs.save(tmp_path / "k.keras")
    with zipfile.ZipFile(tmp_path / "k.keras") as z:
        keras_config = json.loads(z.read("config.json"))
    ours_keys = [sorted(e["config"]) for e in config["config"]["layers"]]
    keras_keys = [sorted(e["config"]) for e in keras_config["config"]["layers"]]
    for mine, kept in zip(ours_keys, keras_keys):
        assert set(mine) <= set(kept)  # a subset: the keys Keras 3.0 already had


# ---------------------------------------------------------------- Keras 3.0
KERAS30_LOAD = """
import sys, numpy as np, keras, pickle
assert keras.__version__.startswith("3.0"), keras.__version__
for path, inputs in pickle.load(open(sys.argv[1], "rb")):
    model = keras.saving.load_model(path)
    np.save(path + ".pred.npy", model.predict(inputs, verbose=0))
    print(path, int(keras.ops.convert_to_numpy(model.optimizer.iterations)))
"""


def test_minikeras_files_open_in_keras_3_0(tmp_path):
    import pickle
    jobs, expected = [], []
    for build in FAMILIES:
        x, y, loss = data(build)
        ours = build(mk)
        ours.compile(mk.optimizers.Adam(0.01), loss)
        train(ours, x, y, 2)
        path = str(tmp_path / f"{build.__name__}.keras")
        ours.save(path)
        jobs.append((path, x))
        expected.append(ours.predict(x, verbose=0))
    with open(tmp_path / "jobs.pkl", "wb") as f:
        pickle.dump(jobs, f)
    printed = run_keras30(KERAS30_LOAD, tmp_path / "jobs.pkl", cwd=tmp_path)
    assert [line.split()[-1] for line in printed.split("\n") if line] == ["2"] * 3
    for (path, _), want in zip(jobs, expected):
        assert_close(np.load(path + ".pred.npy"), want)


KERAS30_SAVE = """
import sys, numpy as np, keras, pickle
assert keras.__version__.startswith("3.0"), keras.__version__
for name in ["seed_mlp", "two_inputs_shared_merges", "embedding_flatten"]:
    x, y, loss = pickle.load(open(sys.argv[1] + name + ".data", "rb"))
    model = globals()[name](keras)
    model.compile(keras.optimizers.Adam(0.01), loss)
    for _ in range(2):
        model.train_on_batch(x, y)
    model.save(sys.argv[1] + name + ".keras")
    np.save(sys.argv[1] + name + ".pred.npy", model.predict(x, verbose=0))
"""


def test_keras_3_0_files_open_in_minikeras(tmp_path):
    import pickle
    prefix = str(tmp_path) + "/"
    for build in FAMILIES:
        with open(prefix + build.__name__ + ".data", "wb") as f:
            pickle.dump(data(build), f)
    import inspect
    builders = "\n".join(inspect.getsource(build) for build in FAMILIES)  # the same models
    run_keras30(builders + KERAS30_SAVE, prefix, cwd=tmp_path)
    for build in FAMILIES:
        with open(prefix + build.__name__ + ".data", "rb") as f:
            x, _, _ = pickle.load(f)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ours = mk.models.load_model(prefix + build.__name__ + ".keras")
        assert_close(ours.predict(x, verbose=0), np.load(prefix + build.__name__ + ".pred.npy"))
        assert int(ours.optimizer.iterations.numpy()) == 2


def test_snake_case_names_are_keras_s():
    """Default layer names and weight paths come from one rule, Keras's."""
    from keras.src.utils.naming import to_snake_case as keras_rule

    from minikeras.utils.naming import to_snake_case
    names = ["Dense", "Conv2D", "Conv2DTranspose", "MaxPooling2D", "GlobalAveragePooling1D",
             "DepthwiseConv2D", "SeparableConv1D", "SimpleRNN", "LSTM", "GRU", "LSTMCell",
             "StackedRNNCells", "InputLayer", "PReLU", "KLDivergence", "GlorotUniform",
             "RepeatVector", "UpSampling2D", "ZeroPadding3D", "Bidirectional"]
    assert [to_snake_case(n) for n in names] == [keras_rule(n) for n in names]
    assert mk.layers.Dense(1).name.split("_")[0] == keras.layers.Dense(1).name.split("_")[0]
