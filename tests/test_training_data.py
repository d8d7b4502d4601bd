"""PyDataset and Python generators as fit/evaluate/predict input, and steps_per_epoch
(issue 18, item 5), with Keras 3's epoch rules."""
import numpy as np
import pytest

import minikeras as mk
from minikeras import layers
from minikeras.optimizers import SGD

X = np.arange(12.0).reshape(6, 2)
Y = X.sum(axis=1, keepdims=True)


def linear(lr=0.0):
    model = mk.Sequential([layers.Input((2,)), layers.Dense(1, kernel_initializer="ones",
                                                            bias_initializer="zeros")])
    model.compile(SGD(lr), "mse", metrics=["mae"])
    return model


class Batches(mk.utils.PyDataset):
    """Batches of 2 rows; records which batches were asked for and the epochs' ends."""

    def __init__(self, x, y, weights=None, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.weights = x, y, weights
        self.asked, self.epochs_ended = [], 0

    def __len__(self):
        return int(np.ceil(len(self.x) / 2))

    def __getitem__(self, i):
        self.asked.append(i)
        rows = slice(2 * i, 2 * i + 2)
        if self.weights is None:
            return self.x[rows], self.y[rows]
        return self.x[rows], self.y[rows], self.weights[rows]

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_fit_on_a_pydataset_uses_every_batch_each_epoch():
    data = Batches(X, Y + 1.0, workers=2, use_multiprocessing=False)
    history = linear().fit(data, epochs=2, shuffle=False, verbose=0)
    assert data.asked == [0, 1, 2, 0, 1, 2] and data.epochs_ended == 2
    assert history.history["loss"] == [pytest.approx(1.0)] * 2     # each error is 1


def test_a_pydataset_is_shuffled_by_batch():
    data = Batches(X, Y)
    mk.set_seed(0)
    linear().fit(data, epochs=3, shuffle=True, verbose=0)
    epochs = [data.asked[i:i + 3] for i in range(0, 9, 3)]
    assert all(sorted(e) == [0, 1, 2] for e in epochs) and epochs != [[0, 1, 2]] * 3


def test_pydataset_batches_may_carry_sample_weights():
    weights = np.array([1.0, 0.0, 0.0, 0.0, 0.0, 3.0])
    loss = linear().evaluate(Batches(X, Y + 1.0, weights), verbose=0, return_dict=True)
    # batch losses 0.5, 0, 1.5: the epoch's mean over batches of 2
    assert loss["loss"] == pytest.approx((0.5 + 0.0 + 1.5) / 3)


def test_evaluate_and_predict_on_a_pydataset():
    model = linear()
    assert model.evaluate(Batches(X, Y), verbose=0) == pytest.approx([0.0, 0.0])
    np.testing.assert_allclose(model.predict(Batches(X, Y), verbose=0), Y)


def generator(x, y, batch=2, loops=1):
    for _ in range(loops):
        for i in range(0, len(x), batch):
            yield x[i:i + batch], y[i:i + batch]


def test_fit_on_a_generator_with_steps_per_epoch_goes_on_where_it_stopped():
    seen = []

    def tracked():
        for i, batch in enumerate(generator(X, Y, loops=2)):
            seen.append(i)
            yield batch

    history = linear().fit(tracked(), steps_per_epoch=2, epochs=3, verbose=0)
    assert seen == [0, 1, 2, 3, 4, 5] and len(history.history["loss"]) == 3


def test_a_generator_without_steps_runs_once_then_training_stops_with_a_warning():
    """(Keras 3 goes on with empty epochs and logs repeating the last values; here, as in
    Keras 2, training stops.)"""
    model = linear(lr=0.0)
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(generator(X, Y + 2.0), epochs=3, verbose=0)
    assert history.history["loss"] == [pytest.approx(4.0)]    # the first epoch only


def test_steps_per_epoch_on_arrays():
    """3 batches, 2 per epoch: the second epoch takes the last one and stops there (with
    Keras's warning), the third starts again (Keras 3's EpochIterator does the same)."""
    data_rows = []

    class Record(mk.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            data_rows.append(batch)

    with pytest.warns(UserWarning, match="ran out of data"):
        linear().fit(X, Y, batch_size=2, steps_per_epoch=2, epochs=3, verbose=0,
                     shuffle=False, callbacks=[Record()])
    assert data_rows == [0, 1, 0, 0, 1]


def test_validation_on_a_generator_and_predict_on_a_generator():
    model = linear()
    history = model.fit(X, Y, validation_data=Batches(X, Y + 1.0), verbose=0)
    assert history.history["val_loss"] == [pytest.approx(1.0)]
    predictions = model.predict((x for x, _ in generator(X, Y)), verbose=0)
    np.testing.assert_allclose(predictions, Y)


def test_targets_cannot_be_given_twice():
    with pytest.raises(ValueError, match="do not pass `y`"):
        linear().fit(Batches(X, Y), Y, verbose=0)
    with pytest.raises(ValueError, match=r"\(x, y\)"):
        linear().fit((x for x, _ in generator(X, Y)), steps_per_epoch=1, verbose=0)


def test_class_weights_apply_to_pydataset_batches():
    model = mk.Sequential([layers.Input((2,)), layers.Dense(2, activation="softmax",
                                                            kernel_initializer="zeros")])
    model.compile(SGD(0.0), "sparse_categorical_crossentropy")
    y = np.array([0, 1, 1, 0, 1, 1])
    history = model.fit(Batches(X, y), class_weight={1: 2.0}, verbose=0, shuffle=False)
    weights = np.where(y == 1, 2.0, 1.0)                  # every loss is log 2
    assert history.history["loss"] == [pytest.approx(np.log(2) * weights.sum() / 6)]
