"""Programs from Keras 3's own guides on keras.io, run with ``import minikeras as keras``.

Each test is a short retelling (our own code, the guides' ideas and API calls) of one
section of a guide, with small data so it runs in seconds, and checks on the numbers the
section is about. The guides (keras-team/keras-io, guides/, Keras 3 versions, by
F. Chollet, R. Chao and S. Zhu):

* "The Functional API"                          (functional_api.py)
* "Training & evaluation with the built-in methods" (training_with_built_in_methods.py)
* "Writing your own callbacks"                  (writing_your_own_callbacks.py)
* "Understanding masking & padding"             (understanding_masking_and_padding.py)
* "Making new layers and models via subclassing" (making_new_layers_and_models_via_subclassing.py)

What of these guides minikeras cannot run yet is listed in ``examples/keras_guides.md``.
"""
import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops

RNG = np.random.default_rng(0)


# ---------------------------------------------------------------- The Functional API
def test_functional_guide_multi_input_and_output_model_with_named_losses(tmp_path):
    # ticket routing: two texts through Embedding + LSTM, tags as a vector, two heads
    # with their own losses (from logits) and loss weights, fed with dicts by name
    title = keras.Input(shape=(None,), name="title")
    body = keras.Input(shape=(None,), name="body")
    tags = keras.Input(shape=(4,), name="tags")
    title_vec = layers.LSTM(8)(layers.Embedding(50, 6)(title))
    body_vec = layers.LSTM(4)(layers.Embedding(50, 6)(body))
    x = layers.concatenate([title_vec, body_vec, tags])
    model = keras.Model([title, body, tags],
                        {"priority": layers.Dense(1, name="priority")(x),
                         "department": layers.Dense(3, name="department")(x)})
    keras.utils.plot_model(model, str(tmp_path / "tickets.png"), show_shapes=True)
    assert (tmp_path / "tickets.png").stat().st_size > 0
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
                        "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
                  loss_weights={"priority": 1.0, "department": 0.2})
    n = 16
    data = {"title": RNG.integers(50, size=(n, 5)), "body": RNG.integers(50, size=(n, 7)),
            "tags": RNG.integers(2, size=(n, 4)).astype("float32")}
    targets = {"priority": RNG.random((n, 1)),
               "department": np.eye(3)[RNG.integers(3, size=n)]}
    history = model.fit(data, targets, epochs=2, batch_size=8, verbose=0)
    assert sorted(history.history) == ["department_loss", "loss", "priority_loss"]
    logs = model.evaluate(data, targets, verbose=0, return_dict=True)
    # the total is the weighted sum of the two heads' losses
    assert logs["loss"] == pytest.approx(logs["priority_loss"] + 0.2 * logs["department_loss"],
                                         rel=1e-5)


def test_functional_guide_ensemble_and_custom_layer_from_config():
    members = []
    for _ in range(3):
        inp = keras.Input(shape=(4,))
        members.append(keras.Model(inp, layers.Dense(1)(inp)))
    inputs = keras.Input(shape=(4,))
    ensemble = keras.Model(inputs, layers.average([m(inputs) for m in members]))
    x = RNG.random((5, 4)).astype("float32")
    want = np.mean([m.predict(x, verbose=0) for m in members], axis=0)
    np.testing.assert_allclose(ensemble.predict(x, verbose=0), want, rtol=1e-6)

    class CustomDense(layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="random_normal")
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal")

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return {"units": self.units}

    inputs = keras.Input((4,))
    model = keras.Model(inputs, CustomDense(10)(inputs))
    again = keras.Model.from_config(model.get_config(),
                                    custom_objects={"CustomDense": CustomDense})
    assert again.output_shape == (None, 10) and again.layers[1].units == 10


# ---------------------------------------------------------------- built-in training
def _mlp():
    inputs = keras.Input(shape=(6,), name="digits")
    x = layers.Dense(8, activation="relu")(inputs)
    return keras.Model(inputs, layers.Dense(3, activation="softmax", name="predictions")(x))


def test_training_guide_metric_subclass_counts_true_positives():
    # a Metric with a state variable, updated with keras.ops, reset each epoch
    class CategoricalTruePositives(keras.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp",
                                                    initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(ops.cast(y_true, "int32") == ops.cast(y_pred, "int32"),
                              "float32")
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives

        def reset_state(self):
            self.true_positives.assign(0.0)

    model = _mlp()
    model.compile("rmsprop", keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[CategoricalTruePositives()])
    x, y = RNG.random((20, 6)).astype("float32"), RNG.integers(3, size=(20, 1))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    hits = np.sum(np.argmax(model.predict(x, verbose=0), axis=1) == y[:, 0])
    assert logs["categorical_true_positives"] == hits  # a count over the 20 samples


def test_training_guide_endpoint_layer_adds_the_loss_and_compile_has_none():
    # a layer called on (targets, logits) adds the loss; compile() without loss; fit on
    # a dict of inputs and no y
    class LogisticEndpoint(layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

        def call(self, targets, logits, sample_weights=None):
            self.add_loss(self.loss_fn(targets, logits, sample_weights))
            return ops.softmax(logits)

    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = layers.Dense(10, kernel_initializer="zeros")(inputs)
    model = keras.Model([inputs, targets], LogisticEndpoint(name="predictions")(targets,
                                                                              logits))
    model.compile(optimizer="adam")
    t = RNG.random((3, 10))
    history = model.fit({"inputs": RNG.random((3, 3)), "targets": t}, verbose=0)
    # zero logits at the first step: the crossentropy of sigmoid(0) = 1/2 is log 2 whatever
    # the targets are
    assert history.history["loss"][0] == pytest.approx(np.log(2.0), rel=1e-5)


def test_training_guide_pydataset_class_and_sample_weights():
    class Batches(keras.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size = x, y, batch_size

        def __len__(self):
            return int(np.ceil(len(self.x) / self.batch_size))

        def __getitem__(self, idx):
            part = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
            return self.x[part], self.y[part]

    x, y = RNG.random((30, 6)).astype("float32"), RNG.integers(3, size=30)
    model = _mlp()
    model.compile("rmsprop", "sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    model.fit(Batches(x, y, 8), validation_data=Batches(x, y, 8), epochs=1, verbose=0)
    assert len(model.evaluate(Batches(x, y, 8), verbose=0)) == 2
    # class weight 2 for class 1 is the same step as sample weight 2 on those samples
    weights = model.get_weights()
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, class_weight={0: 1.0, 1: 2.0, 2: 1.0}, batch_size=30, verbose=0,
              shuffle=False)
    by_class = model.get_weights()
    model.set_weights(weights)
    model.fit(x, y, sample_weight=np.where(y == 1, 2.0, 1.0), batch_size=30, verbose=0,
              shuffle=False)
    assert not np.allclose(by_class[0], weights[0])  # it did take a step
    for a, b in zip(by_class, model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- callbacks
def test_callbacks_guide_early_stopping_at_min_loss_restores_the_best_weights():
    class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
        def __init__(self, patience=0):
            super().__init__()
            self.patience = patience

        def on_train_begin(self, logs=None):
            self.wait, self.stopped_epoch, self.best = 0, 0, np.inf
            self.best_weights = None

        def on_epoch_end(self, epoch, logs=None):
            if logs["loss"] < self.best:
                self.best, self.wait = logs["loss"], 0
                self.best_weights = self.model.get_weights()
            else:
                self.wait += 1
                if self.wait >= self.patience:
                    self.stopped_epoch = epoch
                    self.model.stop_training = True
                    self.model.set_weights(self.best_weights)

    # a learning rate far too large: the loss grows after the first epoch
    model = keras.Sequential([keras.Input((1,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(keras.optimizers.SGD(5.0), "mse")
    x = np.linspace(-1, 1, 8).reshape(-1, 1).astype("float32")
    stopper = EarlyStoppingAtMinLoss()
    history = model.fit(x, 3 * x, epochs=30, batch_size=8, verbose=0, callbacks=[stopper])
    assert stopper.stopped_epoch == 1 and len(history.history["loss"]) == 2
    for a, b in zip(model.get_weights(), stopper.best_weights):
        np.testing.assert_array_equal(a, b)


def test_callbacks_guide_scheduler_sets_the_learning_rate_each_epoch():
    seen = []

    class Scheduler(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            lr = self.model.optimizer.learning_rate
            self.model.optimizer.learning_rate = 0.05 if epoch == 2 else lr
            seen.append(float(np.array(self.model.optimizer.learning_rate)))

    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile(keras.optimizers.RMSprop(learning_rate=0.1), "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=4, verbose=0, callbacks=[Scheduler()])
    np.testing.assert_allclose(seen, [0.1, 0.1, 0.05, 0.05], rtol=1e-6)


# ---------------------------------------------------------------- masking & padding
def test_masking_guide_masks_made_split_and_consumed():
    padded = keras.utils.pad_sequences([[7, 3], [5, 8, 9, 1]], padding="post")
    embedded = layers.Embedding(10, 4, mask_zero=True)(padded)
    np.testing.assert_array_equal(embedded._keras_mask, [[1, 1, 0, 0], [1, 1, 1, 1]])

    class TemporalSplit(layers.Layer):  # writes compute_mask, so it takes masks
        def call(self, inputs):
            return ops.split(inputs, 2, axis=1)

        def compute_mask(self, inputs, mask=None):
            return None if mask is None else ops.split(mask, 2, axis=1)

    first, second = TemporalSplit()(embedded)
    np.testing.assert_array_equal(first._keras_mask, [[1, 1], [1, 1]])
    np.testing.assert_array_equal(second._keras_mask, [[0, 0], [1, 1]])

    class TemporalSoftmax(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            weights = ops.expand_dims(ops.cast(mask, "float32"), -1)
            e = ops.exp(inputs) * weights
            return e / ops.sum(e, axis=1, keepdims=True)

    inputs = keras.Input(shape=(None,), dtype="int32")
    scores = layers.Dense(1)(layers.Embedding(10, 3, mask_zero=True)(inputs))
    model = keras.Model(inputs, TemporalSoftmax()(scores))
    out = model.predict(padded, verbose=0)[..., 0]
    np.testing.assert_allclose(out.sum(axis=1), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(out[0, 2:], [0.0, 0.0])  # padding gets no weight


# ---------------------------------------------------------------- subclassing
def test_subclassing_guide_vae_trains_with_its_kl_loss():
    class Sampling(layers.Layer):
        def call(self, inputs):
            z_mean, z_log_var = inputs
            noise = keras.random.normal(shape=(ops.shape(z_mean)[0], ops.shape(z_mean)[1]),
                                        seed=1)
            return z_mean + ops.exp(0.5 * z_log_var) * noise

    class VAE(keras.Model):
        def __init__(self, original_dim, latent_dim=2, **kwargs):
            super().__init__(**kwargs)
            self.hidden = layers.Dense(8, activation="relu")
            self.mean, self.log_var = layers.Dense(latent_dim), layers.Dense(latent_dim)
            self.sampling = Sampling()
            self.decoder = layers.Dense(original_dim, activation="sigmoid")

        def call(self, inputs):
            h = self.hidden(inputs)
            z_mean, z_log_var = self.mean(h), self.log_var(h)
            self.add_loss(-0.5 * ops.mean(z_log_var - ops.square(z_mean)
                                          - ops.exp(z_log_var) + 1))
            return self.decoder(self.sampling((z_mean, z_log_var)))

    x = RNG.random((64, 12)).astype("float32")
    vae = VAE(12)
    vae.compile(keras.optimizers.Adam(1e-2), loss=keras.losses.MeanSquaredError())
    history = vae.fit(x, x, epochs=5, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0] and len(vae.trainable_weights) == 8
    assert len(vae.losses) == 1  # the KL term of the last call


def test_functional_guide_conv_models_have_the_guides_parameter_counts():
    # the guide prints these totals: 18,672 (encoder), 28,241 (autoencoder), 223,242
    # (toy ResNet with two residual additions); the shapes are its too
    img = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(16, 3, activation="relu")(img)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    code = layers.GlobalMaxPooling2D()(x)
    encoder = keras.Model(img, code)
    x = layers.Reshape((4, 4, 1))(code)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    autoencoder = keras.Model(img, layers.Conv2DTranspose(1, 3, activation="relu")(x))
    assert encoder.count_params() == 18_672 and autoencoder.count_params() == 28_241
    assert autoencoder.output_shape == (None, 28, 28, 1)

    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    block = layers.MaxPooling2D(3)(x)
    for _ in range(2):
        x = layers.Conv2D(64, 3, activation="relu", padding="same")(block)
        x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
        block = layers.add([x, block])
    x = layers.GlobalAveragePooling2D()(layers.Conv2D(64, 3, activation="relu")(block))
    x = layers.Dropout(0.5)(layers.Dense(256, activation="relu")(x))
    resnet = keras.Model(inputs, layers.Dense(10)(x))
    assert resnet.count_params() == 223_242
