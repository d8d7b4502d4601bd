"""Training the Keras 3 way, against real Keras 3 (issue 18, items 4-6): metric classes,
sample and class weights (with masks), weighted metrics, learning-rate schedules, logs,
evaluate's order, metrics_names, add_loss, dict outputs, and the printed formats."""
import io
import re
from contextlib import redirect_stdout

import keras
import numpy as np
import pytest
from parity import assert_close

import minikeras as mk

X = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0], [-1.0, 1.0], [0.0, 3.0]])
Y = np.array([0, 1, 2, 1, 0])
SW = np.array([1.0, 2.0, 0.5, 0.0, 3.0])
W0 = [np.array([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6]]), np.array([0.1, 0.0, -0.1])]


def classifier(lib, **compile_args):
    model = lib.Sequential([lib.layers.Input((2,)), lib.layers.Dense(3, activation="softmax")])
    model.set_weights(W0)
    model.compile(lib.optimizers.SGD(0.1), "sparse_categorical_crossentropy", **compile_args)
    return model


def both(fn):
    return fn(mk), fn(keras)


def rounded(history):
    return {k: [round(v, 5) for v in vs] for k, vs in history.history.items()}


def assert_same_history(got: dict, want: dict, rel=1e-5):
    assert sorted(got) == sorted(want)
    for key, values in want.items():
        np.testing.assert_allclose(got[key], values, rtol=rel, atol=1e-7, err_msg=key)


# ---------------------------------------------------------------- sample and class weights

def test_evaluate_with_sample_weights_and_weighted_metrics():
    def run(lib):
        model = classifier(lib, metrics=["accuracy"],
                           weighted_metrics=["accuracy", "sparse_categorical_crossentropy"])
        return (model.evaluate(X, Y, verbose=0, return_dict=True),
                model.evaluate(X, Y, sample_weight=SW, batch_size=2, verbose=0,
                               return_dict=True),
                model.evaluate(X, Y, sample_weight=SW, batch_size=2, verbose=0))
    ours, theirs = both(run)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-6)
    assert ours[1] == pytest.approx(theirs[1], rel=1e-6)
    assert ours[2] == pytest.approx(theirs[2], rel=1e-6)   # the list, in Keras's order


def test_fit_with_sample_weights_class_weights_and_validation_split():
    def run(lib):
        out = []
        model = classifier(lib, metrics=["accuracy"], weighted_metrics=["accuracy"])
        out.append(rounded(model.fit(X, Y, sample_weight=SW, batch_size=2, epochs=2,
                                     shuffle=False, verbose=0)))
        out.append(model.get_weights())
        model = classifier(lib, metrics=["accuracy"])
        out.append(rounded(model.fit(X, Y, class_weight={0: 2.0, 2: 0.5}, batch_size=2,
                                     shuffle=False, verbose=0)))
        out.append(model.get_weights())
        model = classifier(lib, metrics=["accuracy"])
        out.append(rounded(model.fit(X, Y, sample_weight=SW, batch_size=2, shuffle=False,
                                     verbose=0, validation_split=0.4)))
        out.append(model.get_weights())
        return out
    ours, theirs = both(run)
    for o, t in zip(ours, theirs):
        if isinstance(o, dict):
            assert_same_history(o, t)
        else:
            assert_close(o, t, tol=1e-6)


def test_masked_timesteps_times_sample_weights():
    """Masking -> softmax per timestep: masked steps do not count, and (batch, time)
    sample weights multiply in, with Keras 3's normalisation (by the kept entries)."""
    x = np.zeros((3, 4, 2))
    x[0, :2] = [[1, 2], [0.5, -1]]
    x[1, :3] = [[2, 0], [1, 1], [-1, 0.5]]
    x[2] = [[0.2, 0.1], [1, 0], [0, 1], [3, 1]]
    y = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 0, 1]])
    sw = np.array([[1.0, 1, 1, 1], [2, 2, 2, 2], [0.5, 0.5, 1, 1]])

    def run(lib):
        L = lib.layers
        model = lib.Sequential([L.Input((4, 2)), L.Masking(0.0), L.Activation("softmax")])
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"],
                      weighted_metrics=["accuracy"])
        return (model.evaluate(x, y, verbose=0, return_dict=True),
                model.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True))
    ours, theirs = both(run)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-6)
    assert ours[1] == pytest.approx(theirs[1], rel=1e-6)


# ---------------------------------------------------------------- metric classes

def _metric_cases(lib):
    lib.backend.clear_session()  # metrics made without a name are numbered from here
    M = lib.metrics
    t = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    p = np.array([[0.1, 0.8, 0.6], [0.7, 0.4, 0.3], [0.2, 0.9, 0.55], [0.45, 0.65, 0.2]])
    w = np.array([1.0, 0.5, 2.0, 0.0])
    ids, probs = np.array([2, 0, 1, 1]), p / p.sum(-1, keepdims=True)
    return [
        (M.BinaryAccuracy(), (t, p)), (M.BinaryAccuracy(threshold=0.7), (t, p, w)),
        (M.CategoricalAccuracy(), (t, p)), (M.SparseCategoricalAccuracy(), (ids, p, w)),
        (M.TopKCategoricalAccuracy(k=2), (t, p)),
        (M.SparseTopKCategoricalAccuracy(k=2), (ids, p)),
        (M.Accuracy(), (np.array([1, 2, 3]), np.array([1, 0, 3]))),
        (M.MeanSquaredError(), (t, p, w)), (M.MeanAbsoluteError(), (t, p)),
        (M.MeanAbsolutePercentageError(), (t + 1, p)), (M.RootMeanSquaredError(), (t, p, w)),
        (M.MeanSquaredLogarithmicError(), (t, p)), (M.CosineSimilarity(), (t, p)),
        (M.LogCoshError(), (t, p)), (M.BinaryCrossentropy(), (t, p, w)),
        (M.CategoricalCrossentropy(), (t / t.sum(-1, keepdims=True), probs)),
        (M.SparseCategoricalCrossentropy(), (ids, probs, w)), (M.KLDivergence(), (t, p)),
        (M.Poisson(), (t, p)), (M.Hinge(), (t, p)), (M.SquaredHinge(), (t, p)),
        (M.CategoricalHinge(), (t, p)),
        (M.Mean(), (np.array([1.0, 3.0, 5.0, 7.0]), np.array([1.0, 1.0, 0.0, 2.0]))),
        (M.Sum(), (np.array([1.0, 3.0, 5.0, 7.0]),)),
        (M.TruePositives(), (t, p)), (M.FalsePositives(thresholds=[0.3, 0.7]), (t, p)),
        (M.TrueNegatives(), (t, p, w)), (M.FalseNegatives(), (t, p)),
        (M.Precision(), (t, p)), (M.Precision(thresholds=[0.3, 0.5, 0.7]), (t, p, w)),
        (M.Precision(top_k=2), (t, p)), (M.Precision(class_id=1), (t, p)),
        (M.Recall(), (t, p, w)), (M.Recall(top_k=1), (t, p)),
        (M.AUC(), (t, p)), (M.AUC(num_thresholds=7), (t, p, w)),
        (M.AUC(curve="PR"), (t, p)), (M.AUC(curve="PR", summation_method="minoring"), (t, p)),
        (M.AUC(summation_method="majoring"), (t, p)),
        (M.AUC(from_logits=True), (t, p - 0.5)),
    ]


@pytest.mark.parametrize("index", range(40))
def test_metric_class_standalone(index):
    ours, theirs = _metric_cases(mk)[index], _metric_cases(keras)[index]
    for (metric, args) in (ours, theirs):
        metric.update_state(*args)
        metric.update_state(*args[:2])            # a second batch, unweighted
    got = ours[0].result()
    want = keras.ops.convert_to_numpy(theirs[0].result())
    assert type(ours[0]).__name__ == type(theirs[0]).__name__
    assert ours[0].name == theirs[0].name
    assert_close(got, want, tol=2e-6)
    ours[0].reset_state()
    theirs[0].reset_state()
    assert_close(ours[0].result(), keras.ops.convert_to_numpy(theirs[0].result()))


def test_metric_classes_in_compile_and_fit():
    def run(lib):
        M = lib.metrics
        model = lib.Sequential([lib.layers.Input((2,)),
                                lib.layers.Dense(1, activation="sigmoid")])
        model.set_weights([np.array([[0.5], [-0.3]]), np.array([0.1])])
        model.compile(lib.optimizers.SGD(0.2), "binary_crossentropy",
                      metrics=[M.BinaryAccuracy(), M.AUC(name="auc"), M.Precision(),
                               M.Recall(), "mae"])
        y = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
        history = model.fit(X, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
        return rounded(history), model.evaluate(X, y, verbose=0), model.metrics_names
    ours, theirs = both(run)
    assert_same_history(ours[0], theirs[0])
    assert ours[1] == pytest.approx(theirs[1], rel=1e-5)
    assert ours[2] == theirs[2] == ["loss", "compile_metrics"]


# ---------------------------------------------------------------- schedules

def _schedules(lib):
    S = lib.optimizers.schedules
    return [S.ExponentialDecay(0.1, 3, 0.5), S.ExponentialDecay(0.1, 3, 0.5, staircase=True),
            S.InverseTimeDecay(0.1, 2, 0.5), S.InverseTimeDecay(0.1, 2, 0.5, staircase=True),
            S.PiecewiseConstantDecay([2, 4], [0.1, 0.05, 0.01]),
            S.CosineDecay(0.1, 5, alpha=0.1),
            S.CosineDecay(0.0, 4, warmup_target=0.1, warmup_steps=3),
            S.PolynomialDecay(0.1, 4, 0.01, power=2.0),
            S.PolynomialDecay(0.1, 3, 0.01, cycle=True)]


@pytest.mark.parametrize("index", range(9))
def test_schedule_values(index):
    ours, theirs = _schedules(mk)[index], _schedules(keras)[index]
    got = [float(ours(s)) for s in range(12)]
    want = [float(keras.ops.convert_to_numpy(theirs(s))) for s in range(12)]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    assert mk.optimizers.SGD(ours).get_config()["learning_rate"] == \
        keras.optimizers.SGD(theirs).get_config()["learning_rate"]


@pytest.mark.parametrize("index", [0, 2, 4, 5])
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_training_with_a_schedule(index, optimizer):
    x = np.linspace(-1, 1, 24).reshape(12, 2)
    y = x @ np.array([[1.0], [-2.0]])

    def run(lib):
        schedule = _schedules(lib)[index]
        model = lib.Sequential([lib.layers.Input((2,)),
                                lib.layers.Dense(1, kernel_initializer="zeros")])
        opt = getattr(lib.optimizers, optimizer)(learning_rate=schedule)
        model.compile(opt, "mse")
        history = model.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0)
        return (model.get_weights(), float(keras.ops.convert_to_numpy(opt.learning_rate)),
                history.history["loss"])
    ours, theirs = both(run)
    assert_close(ours[0], theirs[0], tol=1e-6)
    assert ours[1] == pytest.approx(theirs[1], rel=1e-6)
    assert ours[2] == pytest.approx(theirs[2], rel=1e-5)


# ---------------------------------------------------------------- add_loss, dict outputs

def test_add_loss_in_call_and_compile_without_loss():
    def run(lib):
        class Penalised(lib.layers.Layer):
            def call(self, inputs):
                self.add_loss(0.5 * lib.ops.mean(lib.ops.square(inputs)))
                return inputs

        inputs = lib.Input((2,))
        outputs = Penalised()(lib.layers.Dense(2, kernel_initializer="ones")(inputs))
        model = lib.Model(inputs, outputs)
        model.compile(lib.optimizers.SGD(0.05))                 # no loss: add_loss's only
        history = model.fit(X, X, batch_size=2, epochs=2, shuffle=False, verbose=0)
        model2 = lib.Model(inputs, outputs)
        model2.compile(lib.optimizers.SGD(0.0), "mse")
        eager = Penalised()(X[:2])
        layer = Penalised()
        layer(X[:2])
        return (rounded(history), model.evaluate(X, X, verbose=0),
                model2.evaluate(X, X, verbose=0), float(keras.ops.convert_to_numpy(
                    layer.losses[0])), len(layer.losses), np.asarray(eager).shape)
    ours, theirs = both(run)
    assert_same_history(ours[0], theirs[0])
    assert ours[1:4] == pytest.approx(theirs[1:4], rel=1e-6)
    assert ours[4:] == theirs[4:]


def test_dict_outputs_with_dict_losses():
    def run(lib):
        x = lib.Input((2,), name="x")
        o1 = lib.layers.Dense(1, name="o1", kernel_initializer="ones")(x)
        o2 = lib.layers.Dense(1, name="o2", kernel_initializer="zeros")(x)
        model = lib.Model(x, {"b": o1, "a": o2})
        model.compile(lib.optimizers.SGD(0.0), {"b": "mse", "a": "mae"},
                      metrics={"a": ["mse"]}, loss_weights={"a": 2.0, "b": 1.0})
        y = {"b": np.ones((5, 1)), "a": np.zeros((5, 1))}
        prediction = model.predict(X, verbose=0)
        return (model.output_names, model.evaluate(X, y, verbose=0, return_dict=True),
                model.evaluate(X, y, verbose=0), sorted(prediction),
                prediction["b"].ravel().tolist())
    ours, theirs = both(run)
    assert ours[0] == theirs[0]
    assert ours[1] == pytest.approx(theirs[1], rel=1e-6)
    assert ours[2] == pytest.approx(theirs[2], rel=1e-6)
    assert ours[3] == theirs[3]
    assert ours[4] == pytest.approx(theirs[4])


def test_metrics_names_and_per_output_losses():
    def run(lib):
        x = lib.Input((2,), name="x")
        model = lib.Model(x, [lib.layers.Dense(1, name="o1")(x),
                              lib.layers.Dense(1, name="o2")(x)])
        names = [model.metrics_names]
        model.compile("sgd", "mse", metrics=["mae", "mse"])
        names.append(model.metrics_names)
        logs = model.evaluate(X, [np.ones((5, 1)), np.zeros((5, 1))], verbose=0,
                              return_dict=True)
        names.append(model.metrics_names)
        return names, sorted(logs)
    assert run(mk) == run(keras)


# ---------------------------------------------------------------- printed formats

def _models(lib):
    L = lib.layers
    yield lib.Sequential([L.Input((784,)), L.Dense(64, activation="relu", name="d1"),
                          L.Dense(10, name="d2")], name="seq")
    inputs = lib.Input((784,), name="digits")
    x = L.Dense(64, activation="relu", name="dense_1")(inputs)
    x = L.Dense(64, activation="relu", name="dense_2")(x)
    yield lib.Model(inputs, L.Dense(10, activation="softmax", name="predictions")(x),
                    name="chain")
    a, b = lib.Input((4,), name="a"), lib.Input((3,), name="b")
    merged = L.Concatenate(name="cat")([L.Dense(8, name="h")(a), b])
    yield lib.Model([a, b], L.Dense(1, name="out")(merged), name="branch")


def _printed(fn) -> str:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        fn()
    return re.sub(r"\x1b\[[0-9;]*m", "", buffer.getvalue())


@pytest.mark.parametrize("index", [0, 1])
def test_summary_text_is_kerass(index, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    ours = list(_models(mk))[index]
    theirs = list(_models(keras))[index]
    assert _printed(ours.summary) == _printed(theirs.summary)


def test_summary_of_a_branching_model_has_the_connections_column(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    ours, theirs = list(_models(mk))[2], list(_models(keras))[2]
    mine, kerass = _printed(ours.summary).splitlines(), _printed(theirs.summary).splitlines()
    assert mine[:4] == kerass[:4] and mine[-3:] == kerass[-3:]   # header and footer
    assert sorted(mine[4:-4]) == sorted(kerass[4:-4])            # the same rows


def test_evaluate_and_fit_verbose_2_lines():
    def run(lib):
        model = classifier(lib, metrics=["accuracy", "sparse_categorical_crossentropy"])
        text = _printed(lambda: model.evaluate(X, Y, batch_size=2, verbose=2))
        text += _printed(lambda: model.fit(X, Y, batch_size=2, epochs=2, verbose=2,
                                           shuffle=False, validation_split=0.4))
        return re.sub(r" - \d+m?u?s/step| - \d+s", "", text)
    assert run(mk) == run(keras)


# ---------------------------------------------------------------- callbacks
def hook_calls(lib) -> list:
    """Every hook a callback sees in fit (with validation), evaluate and predict, with
    the keys of its logs (the sequence the 'writing your own callbacks' guide prints)."""
    calls = []

    class Recorder(lib.callbacks.Callback):
        pass

    for hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                 "on_predict_begin", "on_predict_end"):
        setattr(Recorder, hook, lambda self, logs=None, h=hook:
                calls.append((h, sorted(logs or {}))))
    for hook in ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
                 "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
                 "on_predict_batch_begin", "on_predict_batch_end"):
        setattr(Recorder, hook, lambda self, i, logs=None, h=hook:
                calls.append((h, i, sorted(logs or {}))))
    model = classifier(lib, metrics=["accuracy"])
    model.fit(X, Y, batch_size=2, epochs=2, validation_split=0.4, verbose=0,
              callbacks=[Recorder()])
    calls.append("evaluate")
    model.evaluate(X, Y, batch_size=2, verbose=0, callbacks=[Recorder()])
    calls.append("predict")
    model.predict(X, batch_size=2, verbose=0, callbacks=[Recorder()])
    return calls


def test_callbacks_see_the_hooks_keras_3_calls_in_order():
    # fit's validation runs the test hooks too, with unprefixed logs
    ours, theirs = both(hook_calls)
    assert ours == theirs
    assert ("on_test_end", ["accuracy", "loss"]) in ours[:ours.index("evaluate")]
