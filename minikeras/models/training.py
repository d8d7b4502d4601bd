"""compile / fit / evaluate / predict, the way Keras 2 built them.

``compile`` only records the choices. The first time training runs, it builds ONE
symbolic training function:

1. the model's outputs with dropout on (``training=True``);
2. a target placeholder per output, and the loss: the batch mean of each output's
   loss function, weighted and summed, plus regularization penalties;
3. the metrics, as more symbolic outputs;
4. ``K.gradients`` of the loss with respect to the trainable weights, turned into
   update pairs by the optimizer;
5. ``K.function(inputs + targets, [loss, *metrics], updates)``.

``fit`` then just feeds it mini-batches: ``batch_size`` samples per update, and an epoch
is one pass over the data. (Keras's "SGD" is mini-batch SGD in this sense.)
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from minikeras import backend as K
from minikeras import config, losses, optimizers
from minikeras import metrics as metrics_module
from minikeras.callbacks import CallbackList, History
from minikeras.models.data import (
    batches,
    check_inputs,
    split_validation,
    to_arrays,
    to_target_arrays,
    verbosity,
    whole_number,
)
from minikeras.models.keras_files import to_config
from minikeras.rng import new_generator
from minikeras.saving.names import accepted_keys
from minikeras.tensor import Origin, format_shape
from minikeras.utils.naming import to_snake_case
from minikeras.utils.progbar import Progbar


class Trainer:
    """The training half of Model (a mixin: Model inherits it)."""

    def _init_training(self) -> None:
        self.optimizer = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._functions: dict = {}

    # ---------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, class_mode=None, **kwargs) -> None:
        """Choose the optimizer, the loss (one per output, or one for all) and metrics."""
        if class_mode is not None:
            warnings.warn("compile(class_mode=...) is a Keras 1 argument and has no effect "
                          "(the loss decides how classes are treated)", DeprecationWarning,
                          stacklevel=2)
        steps_per_execution = kwargs.pop("steps_per_execution", 1)
        _not_supported("compile", weighted_metrics=weighted_metrics or None,
                       sample_weight_mode=kwargs.pop("sample_weight_mode", None),
                       run_eagerly=kwargs.pop("run_eagerly", None) or None,
                       steps_per_execution=None if steps_per_execution in (None, 1)
                       else steps_per_execution)
        kwargs.pop("jit_compile", None)  # minikeras compiles every graph (and Numba kernels)
        if kwargs:
            raise TypeError(f"compile got unexpected keyword argument(s): {sorted(kwargs)}")
        if loss is None:
            raise ValueError("compile needs a loss, e.g. loss='categorical_crossentropy'")
        self.optimizer = optimizers.get(optimizer)
        for spec in (loss.values() if isinstance(loss, dict) else
                     loss if isinstance(loss, (list, tuple)) else [loss]):
            losses.get(spec)  # an unknown name is an error now, not at the first fit
        for m in _flat_names(metrics):
            if m not in ("accuracy", "acc"):  # resolved per output at the first fit
                metrics_module.get(m)
        self.loss = loss
        self._metrics_spec = metrics or []
        self._loss_weights = loss_weights
        self.compiled = True
        self._functions = {}

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"You must compile your model before {what}: call "
                               f"model.compile(optimizer=..., loss=...) first.")

    # ---------------------------------------------------------------- the symbolic pieces
    def _per_output(self, spec, names, what):
        """Spread a loss/metric spec over outputs: one for all, a list, or a dict by name."""
        if isinstance(spec, dict):
            unknown = set(spec) - set(names)
            if unknown:
                raise ValueError(f"{what} given for unknown output(s) {sorted(unknown)}; the "
                                 f"outputs are {names}")
            return [spec.get(n) for n in names]
        if isinstance(spec, (list, tuple)) and what in ("loss", "loss_weights"):
            if len(spec) != len(names):
                raise ValueError(f"{what} has {len(spec)} entries for {len(names)} "
                                 f"output(s) {names}")
            return list(spec)
        return [spec] * len(names)

    def _output_metrics(self, names):
        spec = self._metrics_spec
        if isinstance(spec, dict):
            return [list(np.atleast_1d(spec.get(n, []))) for n in names]
        if len(names) > 1 and spec and all(isinstance(m, (list, tuple)) for m in spec):
            return [list(m) for m in spec]
        return [list(spec) for _ in names]

    def _build_objective(self, training: bool, target_ndims):
        """(inputs + targets, loss, metric names, metric tensors, and for each metric of a
        masked output the number of entries it averaged: its weight across batches)."""
        for layer in [self, *self._all_layers()]:
            layer._losses.clear()  # as Keras 3: a layer's losses are those of its last call
        outputs = self.symbolic_outputs(training=training)
        names = self.output_names
        loss_fns = [losses.get(spec) for spec in
                    self._per_output(self.loss, names, "loss")]
        weights = self._per_output(self._loss_weights, names, "loss_weights") \
            if self._loss_weights is not None else [1.0] * len(outputs)
        targets = [K.placeholder(ndim=n, dtype=config.floatx(), name=f"{name}_target")
                   for n, name in zip(target_ndims, names)]
        total, metric_names, metric_values, metric_weights = 0.0, [], [], []
        multi = len(outputs) > 1
        for out, y, fn, w, name, wanted in zip(outputs, targets, loss_fns, weights, names,
                                               self._output_metrics(names)):
            mask = getattr(out, "_keras_mask", None)
            out_loss = _masked_mean(_per_sample(fn, y, out, mask), mask)
            total = total + (out_loss if w == 1.0 else w * out_loss)
            if multi:
                metric_names.append(f"{name}_loss")
                metric_values.append(out_loss)
                metric_weights.append(None)
            for m in wanted:
                label, metric_fn = metrics_module.resolve(m, self._loss_name(fn), out.shape)
                metric_names.append(f"{name}_{label}" if multi else label)
                values = metric_fn(y, out)
                metric_values.append(_masked_mean(values, mask))
                metric_weights.append(_mask_count(values, mask))
        penalties = self.losses
        for p in penalties:
            total = total + p
        return targets, total, metric_names, metric_values, metric_weights

    @staticmethod
    def _loss_name(fn) -> str:
        return getattr(fn, "name", None) or getattr(fn, "__name__", "")

    def _train_function(self, target_ndims):
        key = ("train", tuple(target_ndims))
        if key not in self._functions:
            targets, loss, names, values, weights = self._build_objective(True, target_ndims)
            updates = self.optimizer.get_updates(loss, self.trainable_weights)
            updates += [u for layer in self._all_layers() for u in layer._updates]
            updates += self._stateful_updates()
            fn = BatchFunction(self.inputs + targets, loss, values, weights, updates, "train")
            self._functions[key] = (fn, ["loss", *names])
        return self._functions[key]

    def _test_function(self, target_ndims):
        key = ("test", tuple(target_ndims))
        if key not in self._functions:
            targets, loss, names, values, weights = self._build_objective(False, target_ndims)
            fn = BatchFunction(self.inputs + targets, loss, values, weights,
                               self._stateful_updates(), "test")
            self._functions[key] = (fn, ["loss", *names])
        return self._functions[key]

    def _predict_function(self):
        if "predict" not in self._functions:
            outputs = self.symbolic_outputs(training=False)
            self._functions["predict"] = K.function(self.inputs, outputs,
                                                    self._stateful_updates(), name="predict")
        return self._functions["predict"]

    def _stateful_updates(self) -> list:
        """(state, final state) of every stateful layer, from the graph built last: they
        run with every call of a function (training, testing or predicting), as in Keras."""
        return [u for layer in self._all_layers() for u in getattr(layer, "_state_updates", [])]

    def reset_states(self) -> None:
        """Zero the states of every stateful layer of the model (Keras 2)."""
        for layer in self._all_layers():
            if getattr(layer, "stateful", False) and hasattr(layer, "reset_states") and \
                    layer is not self:
                layer.reset_states()

    def _all_layers(self):
        seen, stack, out = set(), list(self.layers), []
        while stack:
            layer = stack.pop(0)
            if id(layer) not in seen:
                seen.add(id(layer))
                out.append(layer)
                stack.extend(layer._layers)
        return out

    # ---------------------------------------------------------------- data in
    def _prepare(self, x, y=None, what: str = "fit", names=("x", "y")):
        """Arrays for ``what`` (fit, evaluate, predict...), checked against the model.
        Only predict accepts 0 samples (and gives 0 rows back)."""
        where = Origin.capture()
        xs = to_arrays(x, self, names[0], where)
        self._ensure_built_from_data(xs)
        check_inputs(self, xs, where)
        ys = to_target_arrays(y, self, where) if y is not None else None
        if ys is not None and len(ys[0]) != len(xs[0]):
            raise ValueError(f"{names[0]} and {names[1]} have different numbers of samples: "
                             f"{len(xs[0])} and {len(ys[0])}\n  at {where}")
        if not len(xs[0]) and not what.startswith("predict"):
            raise ValueError(f"{what} got {names[0]} with 0 samples: there is nothing to "
                             f"{'train on' if 'train' in what or what == 'fit' else 'evaluate'}"
                             f"\n  at {where}")
        if ys is not None and self.compiled:
            self._check_targets(ys, where)
        return xs, ys

    def _check_targets(self, ys, where) -> None:
        """Each target must look like its output, for the losses Keras names (a learner's
        own loss function may want other targets; sparse losses take class ids)."""
        specs = self._per_output(self.loss, self.output_names, "loss")
        for y, out, spec, name in zip(ys, self.outputs, specs, self.output_names):
            if isinstance(spec, str) and "sparse" in spec:
                _check_class_ids(y, out.shape[-1], f'the targets for output "{name}" '
                                 f"(loss {spec})", where)
            if not isinstance(spec, str) or "sparse" in spec:
                continue
            if y.ndim != out.ndim or any(s is not None and s != d
                                         for s, d in zip(out.shape[1:], y.shape[1:])):
                raise ValueError(
                    f'the targets for output "{name}" have shape {y.shape}, but the model '
                    f"produces {format_shape(out.shape)}: they must match (one-hot encode "
                    f"class ids with to_categorical, or use a sparse_ loss)\n  at {where}")

    # ---------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, nb_epoch=None):
        """Train for ``epochs`` passes over (x, y) in mini-batches of ``batch_size``.

        ``validation_split`` holds out the *last* fraction of the samples (taken before
        shuffling) and reports ``val_`` metrics on it after each epoch. Returns a History.
        """
        self._require_compiled("training it")
        where = Origin.capture()
        if nb_epoch is not None:  # Keras 1
            epochs = nb_epoch
        _not_supported("fit", class_weight=class_weight, sample_weight=sample_weight,
                       steps_per_epoch=steps_per_epoch, validation_steps=validation_steps)
        if y is None:
            raise ValueError(f"fit needs targets y\n  at {where}")
        batch_size = 32 if batch_size is None else whole_number(batch_size, "batch_size", where)
        epochs = whole_number(epochs, "epochs", where, minimum=0)
        initial_epoch = whole_number(initial_epoch, "initial_epoch", where, minimum=0)
        validation_freq = whole_number(validation_freq, "validation_freq", where)
        if validation_batch_size is not None:
            validation_batch_size = whole_number(validation_batch_size,
                                                 "validation_batch_size", where)
        verbose = verbosity(verbose, where)
        xs, ys = self._prepare(x, y)
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                n = len(validation_data) if isinstance(validation_data, (tuple, list)) else 0
                got = (f"a {type(validation_data).__name__} of {n} item{'s' * (n != 1)}"
                       if isinstance(validation_data, (tuple, list)) else
                       f"a {type(validation_data).__name__}")
                raise ValueError(f"validation_data must be a tuple (x_val, y_val), got {got}"
                                 f"\n  at {where}")
            val = self._prepare(*validation_data, what="validation",
                                names=("validation_data[0]", "validation_data[1]"))
        elif validation_split:
            xs, ys, val = split_validation(xs, ys, validation_split)
        else:
            val = None
        n = len(xs[0])
        steps = math.ceil(n / batch_size)
        train, names = self._train_function([a.ndim for a in ys])
        history = History()
        cbs = CallbackList(list(callbacks or []) + [history], model=self,
                           epochs=epochs, steps=steps, verbose=verbose)
        self.stop_training = False
        rng = _shuffle_generator()
        cbs.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch)
            bar = _epoch_bar(verbose, epoch, epochs, steps)
            order = rng.permutation(n) if shuffle else None
            totals, seen = np.zeros(len(names)), np.zeros(len(names))
            for step, (index, size) in enumerate(batches(n, batch_size, order)):
                cbs.on_train_batch_begin(step)
                values, counts = train.weighted([a[index] for a in xs] + [a[index] for a in ys],
                                                size)
                totals += values * counts
                seen += counts
                batch_logs = _sorted_logs(names, _averages(totals, seen))
                cbs.on_train_batch_end(step, batch_logs)
                if bar is not None:
                    bar.update(step + 1, list(batch_logs.items()), finalize=False)
                if self.stop_training:
                    break
            logs = _sorted_logs(names, _averages(totals, seen))
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_values = self._evaluate_arrays(*val, validation_batch_size or batch_size)
                logs.update(_sorted_logs([f"val_{k}" for k in names], val_values))
            if bar is not None:
                bar.update(steps, list(logs.items()), finalize=True)
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cbs.on_train_end(logs)
        self.history = history
        return history

    # ---------------------------------------------------------------- evaluate / predict
    def _evaluate_arrays(self, xs, ys, batch_size):
        test, names = self._test_function([a.ndim for a in ys])
        n = len(xs[0])
        totals, seen = np.zeros(len(names)), np.zeros(len(names))
        for index, size in batches(n, batch_size, None):
            values, counts = test.weighted([a[index] for a in xs] + [a[index] for a in ys],
                                           size)
            totals += values * counts
            seen += counts
        return _averages(totals, seen).tolist()

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """The loss (and metrics) on (x, y): a scalar without metrics, else a list."""
        _not_supported("evaluate", sample_weight=sample_weight, steps=steps,
                       callbacks=callbacks)
        self._require_compiled("evaluating it")
        where = Origin.capture()
        batch_size = 32 if batch_size is None else whole_number(batch_size, "batch_size", where)
        verbose = verbosity(verbose, where)
        if y is None:
            raise ValueError(f"evaluate needs targets y\n  at {where}")
        xs, ys = self._prepare(x, y, what="evaluate")
        values = self._evaluate_arrays(xs, ys, batch_size)
        names = self._test_function([a.ndim for a in ys])[1]
        if verbose:
            n_steps = math.ceil(len(xs[0]) / batch_size)
            Progbar(n_steps, verbose=verbose).update(n_steps, list(zip(names, values)),
                                                     finalize=True)
        if return_dict:
            return dict(zip(names, values))
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for x, computed batch by batch with dropout off."""
        _not_supported("predict", steps=steps, callbacks=callbacks)
        where = Origin.capture()
        batch_size = 32 if batch_size is None else whole_number(batch_size, "batch_size", where)
        verbosity(verbose, where)
        xs, _ = self._prepare(x, what="predict")
        fn = self._predict_function()
        n = len(xs[0])
        chunks = [fn([a[index] for a in xs]) for index, _ in batches(n, batch_size, None)]
        if not chunks:
            outs = [np.zeros((0, *t.shape[1:]), t.dtype) for t in self.outputs]
        else:
            outs = [np.concatenate([c[i] for c in chunks]) for i in range(len(chunks[0]))]
        return outs[0] if len(outs) == 1 else outs

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       reset_metrics=True, return_dict=False):
        """One gradient update on exactly this batch; returns its loss (and metrics)."""
        self._require_compiled("training it")
        if y is None:
            raise ValueError(f"train_on_batch needs targets y\n  at {Origin.capture()}")
        xs, ys = self._prepare(x, y, what="train_on_batch")
        fn, names = self._train_function([a.ndim for a in ys])
        values = [float(v) for v in fn(xs + ys)]
        return _result(names, values, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._require_compiled("evaluating it")
        if y is None:
            raise ValueError(f"test_on_batch needs targets y\n  at {Origin.capture()}")
        xs, ys = self._prepare(x, y, what="test_on_batch")
        fn, names = self._test_function([a.ndim for a in ys])
        values = [float(v) for v in fn(xs + ys)]
        return _result(names, values, return_dict)

    def predict_on_batch(self, x):
        xs, _ = self._prepare(x, what="predict_on_batch")
        outs = self._predict_function()(xs)
        return outs[0] if len(outs) == 1 else outs

    # ---------------------------------------------------------------- compile settings
    def get_compile_config(self) -> dict:
        """What ``compile`` was given, JSON-ready and in the keys Keras 3.0 reads (the
        optimizer with its settings, losses and metrics), so that ``compile_from_config``
        (minikeras's or Keras's) can compile a copy."""
        return to_config.compile_config(self)

    def compile_from_config(self, config: dict) -> None:
        """Compile as a ``compile_config`` says: one written by minikeras or by Keras 3
        (whose losses may be serialized Loss objects, metrics metric objects, and
        optimizers carry settings minikeras reads or refuses clearly)."""
        self.compile(optimizer=optimizers.deserialize(config.get("optimizer")),
                     loss=_loss_from_config(config.get("loss")),
                     metrics=_metrics_from_config(config.get("metrics")) or None,
                     loss_weights=config.get("loss_weights"))


def _loss_from_config(spec):
    """A loss in a compile_config: a name, a serialized Loss (built here, with only the
    keys minikeras's class takes), a list or a dict of them per output."""
    if isinstance(spec, list):
        return [_loss_from_config(s) for s in spec]
    if isinstance(spec, dict) and "class_name" in spec and "config" in spec:
        cls = getattr(losses, spec["class_name"], None)
        config = spec["config"]
        if isinstance(cls, type) and isinstance(config, dict):
            keys = accepted_keys(cls)
            config = {k: v for k, v in config.items() if keys is None or k in keys}
        return losses.get({"class_name": spec["class_name"], "config": config})
    if isinstance(spec, dict):  # one loss per output name
        return {k: _loss_from_config(v) for k, v in spec.items()}
    return spec


def _metrics_from_config(spec):
    """Metrics in a compile_config: names, or Keras metric objects (by their name)."""
    if isinstance(spec, list):
        return [_metrics_from_config(s) for s in spec]
    if isinstance(spec, dict) and "class_name" in spec:
        config = spec.get("config")
        name = config.get("name") if isinstance(config, dict) else None
        return name or to_snake_case(spec["class_name"])
    if isinstance(spec, dict):
        return {k: _metrics_from_config(v) for k, v in spec.items()}
    return spec


class BatchFunction:
    """A compiled train or test function, and how its values average over batches.

    Called with a batch, it returns the loss and metrics of that batch. ``weighted``
    also gives each value's weight in an average over batches: the number of samples, or
    for a metric of a masked output the number of entries the mask kept (so that, as in
    Keras 3, masked timesteps never count, however the batches fall).
    """

    def __init__(self, inputs, loss, values, weights, updates, name):
        self.n_values = 1 + len(values)
        self.weight_slots = [None]  # the loss: weighted by the samples
        k = 0
        for w in weights:
            self.weight_slots.append(None if w is None else self.n_values + k)
            k += w is not None
        extra = [w for w in weights if w is not None]
        self.function = K.function(inputs, [loss, *values, *extra], updates, name=name)

    def __call__(self, arrays):
        return self.function(arrays)[:self.n_values]

    def __getattr__(self, name):  # the compiled function's plan, steps... (for the curious)
        if name == "function":
            raise AttributeError(name)
        return getattr(self.function, name)

    def weighted(self, arrays, size) -> tuple[np.ndarray, np.ndarray]:
        outs = self.function(arrays)
        values = np.array([float(v) for v in outs[:self.n_values]])
        counts = np.array([float(size) if k is None else float(outs[k])
                           for k in self.weight_slots])
        return values, counts


def _averages(totals, counts):
    """totals / counts, 0 where nothing was counted (a batch with every step masked)."""
    return np.divide(totals, counts, out=np.zeros_like(totals), where=counts > 0)


def _mask_count(values, mask):
    """How many entries a masked mean of ``values`` kept (None without a mask)."""
    if mask is None or mask.ndim != values.ndim:
        return None
    return K.sum(K.cast(mask, values.dtype))


def _per_sample(fn, y, out, mask):
    """The loss of each sample (and timestep): a Loss object's unreduced values when a
    mask has to weight them, else what ``fn`` returns."""
    if mask is not None and isinstance(fn, losses.Loss) and \
            fn.reduction == "sum_over_batch_size":
        return fn.call(y, out)
    return fn(y, out)


def _masked_mean(values, mask):
    """The mean of ``values`` over the entries the mask keeps (Keras 3): masked timesteps
    do not count, and a batch with none left gives 0."""
    if mask is None or mask.ndim != values.ndim:
        return K.mean(values)
    keep = K.cast(mask, values.dtype)
    return K.sum(values * keep) / K.maximum(K.sum(keep), 1.0)


def _not_supported(method: str, **given) -> None:
    """Keras arguments minikeras accepts by name but does not implement: an error that
    names them, rather than silently doing something else."""
    used = [name for name, value in given.items() if value is not None]
    if used:
        raise NotImplementedError(f"{method}({', '.join(f'{n}=...' for n in used)}): "
                                  f"{' and '.join(used)} {'is' if len(used) == 1 else 'are'} "
                                  f"not supported by minikeras yet; leave "
                                  f"{'it' if len(used) == 1 else 'them'} out")


def _flat_names(metrics) -> list:
    """Every metric named in a compile(metrics=...) spec: a list, a dict, nested lists."""
    if metrics is None or isinstance(metrics, str) or callable(metrics):
        return [] if metrics is None else [metrics]
    items = metrics.values() if isinstance(metrics, dict) else metrics
    return [m for item in items for m in _flat_names(item)]


def _check_class_ids(y, n_classes, what: str, where) -> None:
    """Sparse targets are class ids: whole numbers 0..n_classes-1 (a negative one would
    pick a class from the end)."""
    if n_classes is None or not y.size:
        return
    bad = (y < 0) | (y >= n_classes) | (y != np.floor(y))
    if bad.any():
        position = [int(i) for i in np.argwhere(bad)[0]]
        raise ValueError(f"{what} are class ids, but hold {y[tuple(position)]:g} at position "
                         f"{position}; valid ids are the whole numbers 0..{n_classes - 1}"
                         f"\n  at {where}")


def _sorted_logs(names, values) -> dict:
    """Logs by name, sorted as Keras 3 reports them ('accuracy' before 'loss')."""
    return dict(sorted(zip(names, (float(v) for v in values))))


def _result(names, values, return_dict):
    if return_dict:
        return dict(zip(names, values))
    return values[0] if len(values) == 1 else values


def _shuffle_generator() -> np.random.Generator:
    return new_generator()


def _epoch_bar(verbose, epoch, epochs, steps):
    if not verbose:
        return None
    if epochs > 1:  # as Keras's ProgbarLogger
        print(f"Epoch {epoch + 1}/{epochs}")
    return Progbar(steps, verbose=verbose)

