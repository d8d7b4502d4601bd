"""Callbacks, driven by a hand-written training loop and a fake model (no real training)."""
import doctest
import math
import os

import numpy as np
import pytest

import minikeras.backend as K
from minikeras import callbacks as cb_module
from minikeras.callbacks import (
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    TerminateOnNaN,
)


class FakeOptimizer:
    def __init__(self, lr=0.1, as_variable=True):
        self.learning_rate = K.variable(lr) if as_variable else lr


class FakeModel:
    """Just what callbacks touch. Its one "weight" is the number of epochs trained, so the
    weights tell which epoch they come from."""

    def __init__(self, lr=0.1, as_variable=True):
        self.stop_training = False
        self.optimizer = FakeOptimizer(lr, as_variable)
        self.weights = [np.zeros(2), np.array(0.0)]
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, filepath):
        self.saved.append(("model", filepath))
        with open(filepath, "w") as f:
            f.write("model")

    def save_weights(self, filepath):
        self.saved.append(("weights", filepath))
        with open(filepath, "w") as f:
            f.write("weights")


def fit(model, callbacks, epoch_logs, batch_losses=None):
    """A minimal Keras-3-shaped training loop. ``epoch_logs`` is one logs dict per epoch
    (or a list of numbers, taken as val_loss); ``batch_losses`` one list per epoch.
    Returns the number of epochs run."""
    epoch_logs = [logs if isinstance(logs, dict) else {"val_loss": logs}
                  for logs in epoch_logs]
    batch_losses = batch_losses or [[0.5]] * len(epoch_logs)
    cbs = CallbackList(callbacks, model=model, add_history=True,
                       epochs=len(epoch_logs), steps=len(batch_losses[0]), verbose=0)
    model.stop_training = False
    cbs.on_train_begin()
    logs = {}
    epochs_run = 0
    for epoch, logs in enumerate(epoch_logs):
        logs = dict(logs)
        cbs.on_epoch_begin(epoch)
        for batch, loss in enumerate(batch_losses[epoch]):
            cbs.on_train_batch_begin(batch)
            cbs.on_train_batch_end(batch, {"loss": loss})
            if model.stop_training:
                break
        model.weights = [w + 1 for w in model.weights]   # "training" happened
        epochs_run += 1
        cbs.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    cbs.on_train_end(logs)
    return epochs_run


def test_docstring_examples_run():
    result = doctest.testmod(cb_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# ---------------------------------------------------------------- Callback, CallbackList


def test_base_callback_hooks_all_exist_and_batch_aliases_forward():
    calls = []

    class Old(cb_module.Callback):     # a Keras 2 callback overrides on_batch_end
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", batch, logs["loss"]))

    cb = Old()
    for hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                 "on_predict_begin", "on_predict_end"):
        getattr(cb, hook)({})
    for hook in ("on_epoch_begin", "on_epoch_end", "on_test_batch_begin",
                 "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end"):
        getattr(cb, hook)(0, {})
    cb.on_train_batch_begin(3, {})
    cb.on_train_batch_end(3, {"loss": 0.5})
    assert calls == [("begin", 3), ("end", 3, 0.5)]


def test_callback_list_dispatches_every_hook_in_order():
    calls = []

    class Recorder(cb_module.Callback):
        def __init__(self, tag):
            super().__init__()
            self.tag = tag

        def __getattribute__(self, name):
            if name.startswith("on_"):
                return lambda *args: calls.append((self.tag, name, args))
            return super().__getattribute__(name)

    model = FakeModel()
    a, b = Recorder("a"), Recorder("b")
    cbs = CallbackList([a, b], model=model, epochs=3, steps=2, verbose=1)
    assert a.model is model and b.params == {"epochs": 3, "steps": 2, "verbose": 1}
    assert not hasattr(model, "history")          # add_history is off by default
    hooks = ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
             "on_predict_begin", "on_predict_end"]
    batch_hooks = ["on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
                   "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
                   "on_predict_batch_begin", "on_predict_batch_end"]
    for hook in hooks:
        getattr(cbs, hook)({"x": 1.0})
    for hook in batch_hooks:
        getattr(cbs, hook)(7, {"x": 1.0})
    expected = []
    for hook in hooks:
        expected += [("a", hook, ({"x": 1.0},)), ("b", hook, ({"x": 1.0},))]
    for hook in batch_hooks:
        expected += [("a", hook, (7, {"x": 1.0})), ("b", hook, (7, {"x": 1.0}))]
    assert calls == expected
    # Keras 2 loops call on_batch_*: they are the training-batch hooks.
    calls.clear()
    cbs.on_batch_begin(1)
    cbs.on_batch_end(1, {"loss": np.float32(0.5)})
    assert calls == [("a", "on_train_batch_begin", (1, {})),
                     ("b", "on_train_batch_begin", (1, {})),
                     ("a", "on_train_batch_end", (1, {"loss": 0.5})),
                     ("b", "on_train_batch_end", (1, {"loss": 0.5}))]
    assert type(calls[-1][2][1]["loss"]) is float   # batch logs arrive as Python floats


def test_callback_list_adds_one_history_and_sets_model_history():
    model = FakeModel()
    cbs = CallbackList([], model=model, add_history=True)
    assert isinstance(model.history, History) and cbs.callbacks == [model.history]
    mine = History()
    cbs = CallbackList([mine], model=model, add_history=True)
    assert cbs.callbacks == [mine] and model.history is mine


# ---------------------------------------------------------------- History


def test_history_records_every_epoch():
    model = FakeModel()
    logs = [{"loss": 0.9, "accuracy": 0.5, "val_loss": 1.0, "val_accuracy": 0.4},
            {"loss": 0.6, "accuracy": 0.7, "val_loss": 0.8, "val_accuracy": 0.6},
            {"loss": 0.4, "accuracy": 0.8, "val_loss": 0.7, "val_accuracy": 0.65}]
    fit(model, [], logs)
    h = model.history
    assert h.epoch == [0, 1, 2]
    assert h.history == {"loss": [0.9, 0.6, 0.4], "accuracy": [0.5, 0.7, 0.8],
                         "val_loss": [1.0, 0.8, 0.7], "val_accuracy": [0.4, 0.6, 0.65]}


# ---------------------------------------------------------------- EarlyStopping


@pytest.mark.parametrize("patience, epochs_run", [(0, 3), (1, 3), (2, 4), (3, 5), (5, 6)])
def test_early_stopping_min_mode_patience(patience, epochs_run):
    # best at epoch 1 (0.5); then no improvement: stop after `patience` such epochs
    # (at least one)
    val_loss = [0.8, 0.5, 0.6, 0.55, 0.7, 0.9]
    es = EarlyStopping(patience=patience)
    assert fit(FakeModel(), [es], val_loss) == epochs_run
    assert es.best == 0.5 and es.best_epoch == 1
    assert es.stopped_epoch == (epochs_run - 1 if epochs_run < 6 else 0)


def test_early_stopping_max_mode_from_name_and_explicit():
    accs = [{"val_accuracy": a} for a in [0.5, 0.6, 0.7, 0.65, 0.9]]
    for es in (EarlyStopping(monitor="val_accuracy"),
               EarlyStopping(monitor="val_accuracy", mode="max")):
        assert fit(FakeModel(), [es], accs) == 4
        assert es.best == 0.7
    # min mode on an accuracy: 0.6 is "worse" than 0.5, so it stops at once
    es = EarlyStopping(monitor="val_accuracy", mode="min")
    assert fit(FakeModel(), [es], accs) == 2


def test_early_stopping_auto_mode_directions():
    from minikeras.callbacks.monitoring import direction as f
    assert [f(m, "auto") for m in ("loss", "val_loss", "val_acc", "auc", "val_precision",
                                   "mean_squared_error", "val_mae")] == \
        ["min", "min", "max", "max", "max", "min", "min"]

    class Metric:
        name, _direction = "score", "up"

    class Model(FakeModel):
        metrics = (Metric(),)

    assert f("val_score", "auto", Model()) == "max"
    with pytest.raises(ValueError, match="mode='max'"):
        fit(FakeModel(), [EarlyStopping(monitor="score")], [{"score": 1.0}])
    with pytest.warns(UserWarning, match="unknown, fallback to auto"):
        assert EarlyStopping(mode="sideways").mode == "auto"


def test_early_stopping_min_delta():
    val_loss = [1.0, 0.95, 0.85, 0.84, 0.80]
    # improvements must beat the best by more than 0.1: 0.95 and 0.85 do not
    es = EarlyStopping(min_delta=0.1, patience=1)
    assert fit(FakeModel(), [es], val_loss) == 2
    es = EarlyStopping(min_delta=-0.1, patience=1)    # the sign is ignored
    assert fit(FakeModel(), [es], val_loss) == 2
    es = EarlyStopping(min_delta=0.01, patience=0)    # 0.85 -> 0.84 is not enough
    assert fit(FakeModel(), [es], val_loss) == 4 and es.best == 0.85
    accs = [{"acc": a} for a in [0.5, 0.55, 0.7, 0.72]]
    es = EarlyStopping(monitor="acc", min_delta=0.1)
    assert fit(FakeModel(), [es], accs) == 2


def test_early_stopping_baseline():
    val_loss = [0.9, 0.95, 0.97, 0.99, 1.0]
    assert fit(FakeModel(), [EarlyStopping(patience=2)], val_loss) == 3
    # With a baseline that is never beaten, the first epoch already counts toward patience.
    es = EarlyStopping(patience=2, baseline=0.5)
    assert fit(FakeModel(), [es], val_loss) == 2
    # Improving but staying above the baseline: patience keeps counting; the first
    # epoch that does not improve stops training.
    es = EarlyStopping(patience=2, baseline=0.5)
    assert fit(FakeModel(), [es], [0.9, 0.8, 0.7, 0.75, 0.6]) == 4
    # Once the baseline is beaten it behaves as without one.
    es = EarlyStopping(patience=2, baseline=0.5)
    assert fit(FakeModel(), [es], [0.4, 0.45, 0.3, 0.5, 0.6, 0.7]) == 5


def test_early_stopping_restores_best_weights():
    model = FakeModel()
    es = EarlyStopping(patience=2, restore_best_weights=True)
    assert fit(model, [es], [0.8, 0.5, 0.6, 0.7, 0.1]) == 4
    # after epoch e the fake weights equal e + 1: the best epoch (1) left 2
    assert np.array_equal(model.weights[0], [2.0, 2.0]) and model.weights[1] == 2.0
    # without the option the last weights stay
    model = FakeModel()
    fit(model, [EarlyStopping(patience=2)], [0.8, 0.5, 0.6, 0.7, 0.1])
    assert model.weights[1] == 4.0
    # restored also when training runs to the end without stopping
    model = FakeModel()
    fit(model, [EarlyStopping(patience=5, restore_best_weights=True)], [0.8, 0.5, 0.6])
    assert model.weights[1] == 2.0


def test_early_stopping_start_from_epoch():
    val_loss = [0.5, 0.9, 0.8, 0.85, 0.86, 0.87]
    assert fit(FakeModel(), [EarlyStopping()], val_loss) == 2
    # epochs 0 and 1 are not watched: the best is 0.8 at epoch 2
    es = EarlyStopping(start_from_epoch=2, patience=1)
    assert fit(FakeModel(), [es], val_loss) == 4
    assert es.best == 0.8 and es.best_epoch == 2


def test_early_stopping_verbose_messages_and_missing_key(capsys):
    model = FakeModel()
    es = EarlyStopping(verbose=1, restore_best_weights=True)
    fit(model, [es], [0.5, 0.6])
    out = capsys.readouterr().out
    assert out == ("Epoch 2: early stopping\n"
                   "Restoring model weights from the end of the best epoch: 1.\n")
    with pytest.warns(UserWarning, match="`val_loss` which is not available. Available "
                                         "metrics are: loss,accuracy"):
        n = fit(FakeModel(), [EarlyStopping()], [{"loss": 1.0, "accuracy": 0.5}] * 3)
    assert n == 3


def test_early_stopping_instance_can_be_reused():
    es = EarlyStopping(patience=1)
    assert fit(FakeModel(), [es], [0.5, 0.6, 0.7]) == 2
    assert fit(FakeModel(), [es], [0.9, 0.8, 0.7]) == 3   # best from before is forgotten


# ---------------------------------------------------------------- ModelCheckpoint


def test_checkpoint_every_epoch_file_names(tmp_path):
    model = FakeModel()
    path = str(tmp_path / "ckpt" / "model-{epoch:02d}-{val_loss:.2f}-{acc:.3f}.keras")
    logs = [{"val_loss": 0.912, "acc": 0.5}, {"val_loss": 1.5, "acc": 0.25}]
    fit(model, [ModelCheckpoint(path)], logs)
    names = ["model-01-0.91-0.500.keras", "model-02-1.50-0.250.keras"]
    assert sorted(os.listdir(tmp_path / "ckpt")) == names      # the folder was made
    assert model.saved == [("model", str(tmp_path / "ckpt" / n)) for n in names]


def test_checkpoint_save_best_only(tmp_path, capsys):
    model = FakeModel()
    path = str(tmp_path / "w-{epoch}.weights.h5")
    ck = ModelCheckpoint(path, save_best_only=True, save_weights_only=True, verbose=1)
    fit(model, [ck], [0.5, 0.6, 0.4, 0.4, 0.3])
    assert sorted(os.listdir(tmp_path)) == ["w-1.weights.h5", "w-3.weights.h5",
                                            "w-5.weights.h5"]
    assert {kind for kind, _ in model.saved} == {"weights"}
    assert ck.best == 0.3
    out = capsys.readouterr().out
    assert f"Epoch 1: val_loss improved from inf to 0.50000, saving model to " \
           f"{tmp_path}/w-1.weights.h5" in out
    assert "Epoch 2: val_loss did not improve from 0.50000" in out
    assert "Epoch 4: val_loss did not improve from 0.40000" in out   # equal is not better


def test_checkpoint_best_one_file_max_mode_and_threshold(tmp_path):
    model = FakeModel()
    path = str(tmp_path / "best.keras")
    ck = ModelCheckpoint(path, monitor="val_accuracy", save_best_only=True)
    fit(model, [ck], [{"val_accuracy": a} for a in [0.5, 0.7, 0.6]])
    assert model.saved == [("model", path)] * 2 and ck.best == 0.7
    model = FakeModel()
    ck = ModelCheckpoint(path, monitor="val_accuracy", save_best_only=True,
                         initial_value_threshold=0.65)
    fit(model, [ck], [{"val_accuracy": a} for a in [0.5, 0.7, 0.6]])
    assert len(model.saved) == 1


def test_checkpoint_missing_monitor_warns_and_saves(tmp_path):
    model = FakeModel()
    ck = ModelCheckpoint(str(tmp_path / "m.keras"), save_best_only=True)
    with pytest.warns(UserWarning, match="Can save best model only with val_loss"):
        fit(model, [ck], [{"loss": 0.3}])
    assert len(model.saved) == 1


def test_checkpoint_save_freq_in_batches(tmp_path):
    model = FakeModel()
    path = str(tmp_path / "e{epoch}-b{batch}.keras")
    fit(model, [ModelCheckpoint(path, save_freq=3)], [0.5, 0.5],
        batch_losses=[[0.1] * 4, [0.1] * 4])
    # batches are counted across epochs: saves after the 3rd, 6th batches
    assert sorted(os.listdir(tmp_path)) == ["e1-b3.keras", "e2-b2.keras"]
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        ModelCheckpoint(path, save_freq="batch")


def test_checkpoint_errors(tmp_path):
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        fit(FakeModel(), [ModelCheckpoint(str(tmp_path / "{val_acc}.keras"))], [0.5])
    folder = tmp_path / "a_folder"
    folder.mkdir()
    with pytest.raises(OSError, match="non-directory"):
        fit(FakeModel(), [ModelCheckpoint(str(folder))], [0.5])


# ---------------------------------------------------------------- LearningRateScheduler


def test_scheduler_sets_rate_each_epoch_and_logs_it():
    model = FakeModel(lr=0.1)
    seen = []
    sched = LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)
    spy = LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(
        float(K.get_value(model.optimizer.learning_rate))))
    fit(model, [sched, spy], [{"loss": 1.0}] * 4)
    assert np.allclose(seen, [0.1, 0.05, 0.025, 0.0125])
    assert np.allclose(model.history.history["learning_rate"], seen)
    assert isinstance(model.optimizer.learning_rate, K.Variable)   # same variable, updated


def test_scheduler_gets_current_rate_and_one_argument_schedules():
    model = FakeModel(lr=1.0)
    got = []

    def schedule(epoch, lr):
        got.append((epoch, round(lr, 6)))
        return lr * 0.5 if epoch % 2 else lr
    fit(model, [LearningRateScheduler(schedule)], [{"loss": 1.0}] * 4)
    assert got == [(0, 1.0), (1, 1.0), (2, 0.5), (3, 0.5)]

    model = FakeModel(lr=1.0)
    fit(model, [LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))], [{"loss": 1.0}] * 3)
    assert np.allclose(model.history.history["learning_rate"], [0.01, 0.02, 0.03])


def test_scheduler_with_plain_float_rate_verbose_and_errors(capsys):
    model = FakeModel(lr=0.1, as_variable=False)
    fit(model, [LearningRateScheduler(lambda e, lr: lr / 10, verbose=1)], [{"loss": 1.0}] * 2)
    assert model.optimizer.learning_rate == pytest.approx(0.001)
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.001" in \
        capsys.readouterr().out
    with pytest.raises(ValueError, match="should be a float"):
        fit(FakeModel(), [LearningRateScheduler(lambda e, lr: "fast")], [0.5])
    model = FakeModel()
    del model.optimizer.learning_rate
    with pytest.raises(ValueError, match="learning_rate"):
        fit(model, [LearningRateScheduler(lambda e, lr: lr)], [0.5])


# ---------------------------------------------------------------- TerminateOnNaN


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float32("nan")])
def test_terminate_on_nan(bad, capsys):
    model = FakeModel()
    batch_losses = [[1.0, 0.9, 0.8], [0.7, bad, 0.6], [0.5, 0.4, 0.3]]
    seen = []
    spy = LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(logs["loss"]))
    ended = []
    spy.on_train_end = lambda logs: ended.append(True)
    n = fit(model, [TerminateOnNaN(), spy], [0.5] * 3, batch_losses=batch_losses)
    assert n == 2 and len(seen) == 5 and ended == [True]    # stopped right after the batch
    assert capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"


def test_terminate_on_nan_ignores_finite_and_missing_losses():
    model = FakeModel()
    assert fit(model, [TerminateOnNaN()], [0.5] * 2, batch_losses=[[1e30], [0.0]]) == 2
    TerminateOnNaN().on_train_batch_end(0, {"accuracy": 0.5})


# ---------------------------------------------------------------- CSVLogger


LOGS = [{"val_loss": 0.8, "loss": 0.5, "accuracy": 0.75},
        {"val_loss": 0.7, "loss": 0.25, "accuracy": 0.875}]


def test_csv_logger_exact_contents(tmp_path):
    path = tmp_path / "log.csv"
    fit(FakeModel(), [CSVLogger(path)], LOGS)
    assert path.read_bytes() == (b"epoch,accuracy,loss,val_loss\r\n"
                                 b"0,0.75,0.5,0.8\r\n"
                                 b"1,0.875,0.25,0.7\r\n")


def test_csv_logger_separator_append_and_overwrite(tmp_path):
    path = tmp_path / "log.tsv"
    fit(FakeModel(), [CSVLogger(path, separator="\t")], LOGS[:1])
    fit(FakeModel(), [CSVLogger(path, separator="\t", append=True)], LOGS)
    assert path.read_text().splitlines() == ["epoch\taccuracy\tloss\tval_loss",
                                             "0\t0.75\t0.5\t0.8",
                                             "0\t0.75\t0.5\t0.8",
                                             "1\t0.875\t0.25\t0.7"]
    fit(FakeModel(), [CSVLogger(path, separator="\t")], LOGS[1:])   # append=False
    assert path.read_text().splitlines() == ["epoch\taccuracy\tloss\tval_loss",
                                             "0\t0.875\t0.25\t0.7"]
    new = tmp_path / "new.csv"                        # append to a file not there yet
    fit(FakeModel(), [CSVLogger(new, append=True)], LOGS[:1])
    assert new.read_text().splitlines()[0] == "epoch,accuracy,loss,val_loss"


def test_csv_logger_flushes_each_epoch_and_fills_missing(tmp_path):
    path = tmp_path / "log.csv"
    lines = []
    peek = LambdaCallback(on_epoch_end=lambda e, logs: lines.append(
        len(path.read_text().splitlines())))
    logs = [{"loss": 0.5}, {"loss": 0.4, "extra": 1.0}, {}]
    fit(FakeModel(), [CSVLogger(path), peek], logs)
    assert lines == [2, 3, 4]
    assert path.read_text().splitlines() == ["epoch,loss", "0,0.5", "1,0.4", "2,NA"]


def test_csv_logger_keeps_columns_for_validation_metrics(tmp_path):
    class Model(FakeModel):
        metrics_names = ("loss", "val_loss")

    path = tmp_path / "log.csv"
    fit(Model(), [CSVLogger(path)], [{"loss": 0.5}, {"loss": 0.4, "val_loss": 0.6}])
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,0.5,NA",
                                             "1,0.4,0.6"]


# ---------------------------------------------------------------- LambdaCallback


def test_lambda_callback_calls():
    calls = []
    cb = LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin {epoch}"),
        on_train_batch_begin=lambda batch, logs: calls.append(f"batch_begin {batch}"),
        on_train_batch_end=lambda batch, logs: calls.append(f"batch_end {batch} "
                                                            f"{logs['loss']}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end {epoch} "
                                                      f"{logs['val_loss']}"),
        on_train_end=lambda logs: calls.append(f"train_end {logs['val_loss']}"),
        on_test_end=lambda logs: calls.append("test_end"))   # any hook, by name
    fit(FakeModel(), [cb], [0.5, 0.4], batch_losses=[[1.0, 2.0], [3.0, 4.0]])
    assert calls == ["train_begin",
                     "epoch_begin 0", "batch_begin 0", "batch_end 0 1.0", "batch_begin 1",
                     "batch_end 1 2.0", "epoch_end 0 0.5",
                     "epoch_begin 1", "batch_begin 0", "batch_end 0 3.0", "batch_begin 1",
                     "batch_end 1 4.0", "epoch_end 1 0.4",
                     "train_end 0.4"]
    cb.on_test_end({})
    assert calls[-1] == "test_end"
    LambdaCallback().on_epoch_end(0, {})        # hooks not given do nothing
