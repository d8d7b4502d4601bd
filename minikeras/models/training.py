"""compile / fit / evaluate / predict: Keras 3's training loop on compiled graphs.

``compile`` records the choices (the optimizer, a loss per output, the metrics). The
first time a step runs, ``objective.build_step`` builds ONE symbolic function per kind of
step (train or test): the outputs, the loss, the gradients and the optimizer's updates,
and every metric's ``update_state`` recorded as more updates. ``fit`` then feeds it
mini-batches (``epochs.py``: arrays, a ``PyDataset`` or a generator): ``batch_size``
samples per update, an epoch is one pass over the data. The logs are the metrics'
running results, reset at the start of each epoch, as Keras 3 reports them.

``sample_weight`` weights each sample's loss (and the ``weighted_metrics``);
``class_weight`` (in ``fit``) gives every sample its class's weight.
"""
from __future__ import annotations

import numpy as np

from minikeras import losses, optimizers
from minikeras import metrics as metrics_module
from minikeras.callbacks import CallbackList, History
from minikeras.models import objective
from minikeras.models.compile_utils import CompileLoss, CompileMetrics
from minikeras.models.data import (
    check_inputs,
    class_weight_to_sample_weights,
    sample_weight_arrays,
    split_validation,
    to_arrays,
    to_target_arrays,
    verbosity,
    whole_number,
)
from minikeras.models.epochs import Arrays, Batches, EpochIterator, is_batch_source
from minikeras.models.keras_files import to_config
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
        self.loss = None
        self._functions: dict = {}
        self._results = None
        self._loss_tracker = None
        self._compile_loss = None
        self._compile_metrics = None
        self._metrics_spec = self._weighted_metrics_spec = self._loss_weights = None

    # ---------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True, class_mode=None,
                sample_weight_mode=None, **kwargs) -> None:
        """Choose the optimizer, the loss (one per output, one for all, or none when the
        model adds its own with ``add_loss``) and the metrics (``metrics`` unweighted,
        ``weighted_metrics`` weighted by the sample weights)."""
        import warnings
        if class_mode is not None:
            warnings.warn("compile(class_mode=...) is a Keras 1 argument and has no effect "
                          "(the loss decides how classes are treated)", DeprecationWarning,
                          stacklevel=2)
        _not_supported("compile", sample_weight_mode=sample_weight_mode,
                       run_eagerly=run_eagerly or None,
                       steps_per_execution=None if steps_per_execution in (None, 1)
                       else steps_per_execution)
        # jit_compile, auto_scale_loss: minikeras compiles every graph (and Numba kernels)
        if kwargs:
            raise TypeError(f"compile got unexpected keyword argument(s): {sorted(kwargs)}")
        self.optimizer = optimizers.get(optimizer)
        for spec in (loss.values() if isinstance(loss, dict) else
                     loss if isinstance(loss, (list, tuple)) else [loss]):
            if spec is not None and str(spec).lower() not in ("crossentropy", "ce"):
                losses.get(spec)  # an unknown name is an error now, not at the first fit
        for spec in (metrics, weighted_metrics):
            for m in _flat_names(spec):
                if str(m).lower() not in ("accuracy", "acc"):
                    metrics_module.get(m)
        self.loss = loss
        self._metrics_spec, self._weighted_metrics_spec = metrics, weighted_metrics
        self._loss_weights = loss_weights
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._compile_loss = None if loss is None else CompileLoss(loss, loss_weights)
        self._compile_metrics = None if metrics is None and weighted_metrics is None else \
            CompileMetrics(metrics, weighted_metrics)
        self.compiled = True
        self._functions, self._results = {}, None

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"You must compile your model before {what}: call "
                               f"model.compile(optimizer=..., loss=...) first.")

    def _output_keys(self) -> list[str]:
        """How losses, metrics, targets and logs name the outputs: the keys of a dict of
        outputs (sorted, as Keras flattens dicts), else the output layers' names."""
        structure = getattr(self, "_output_structure", None)
        if isinstance(structure, dict):
            return sorted(structure)
        return self.output_names

    def _build_compiled(self, target_shapes, outputs) -> None:
        """Choose each output's loss and metrics, once the outputs are known."""
        keys = self._output_keys()
        if self._compile_loss is not None and not self._compile_loss.built:
            self._compile_loss.output_names = keys
            self._compile_loss.dict_outputs = isinstance(
                getattr(self, "_output_structure", None), dict)
            self._compile_loss.build(target_shapes, outputs)
        if self._compile_metrics is not None and not self._compile_metrics.built:
            self._compile_metrics.output_names = keys
            self._compile_metrics.build(target_shapes, outputs)

    # ---------------------------------------------------------------- metrics
    @property
    def metrics(self) -> list:
        """The model's metrics as Keras 3 lists them: the loss tracker, the compiled
        metrics (one entry, 'compile_metrics'), each output's loss tracker."""
        found = []
        if self.compiled:
            found.append(self._loss_tracker)
            if self._compile_metrics is not None:
                found.append(self._compile_metrics)
            if self._compile_loss is not None:
                found.extend(self._compile_loss.metrics)
        for layer in [self, *self._all_layers()]:
            found.extend(m for m in getattr(layer, "_tracked_metrics", []) if m not in found)
        return found

    @property
    def metrics_names(self) -> list[str]:
        """``[m.name for m in model.metrics]``: Keras 3 gives ['loss', 'compile_metrics']
        (the individual names are the keys of the logs)."""
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self) -> dict:
        """The metrics' results now, by log name."""
        if self._results is None:
            self._results = objective.results_function(self)
        fn, names = self._results
        values = fn([]) if names else []
        return {n: float(np.asarray(v)) if np.size(v) == 1 else np.asarray(v)
                for n, v in zip(names, values)}

    def _flatten_metrics_in_order(self, logs: dict):
        """Keras 3's order for evaluate's list: the metrics' names in ``metrics`` order,
        then the rest sorted; one value alone is returned bare."""
        order = []
        for m in self.metrics:
            if isinstance(m, CompileMetrics):
                order += [sub.name for sub in m.metrics]
            else:
                order.append(m.name)
        results = [logs[n] for n in order if n in logs]
        results += [logs[k] for k in sorted(logs) if k not in order]
        return results[0] if len(results) == 1 else results

    # ---------------------------------------------------------------- compiled steps
    def _step(self, training: bool, ys, sws):
        if ys is None:  # no targets: the model's add_loss losses only (Keras 3 allows it)
            if self._compile_loss is not None or self._compile_metrics is not None:
                raise ValueError("no targets y were given, but the model was compiled with "
                                 "a loss or metrics, which compare outputs with targets")
            ys = []
        target_shapes = [(None, *y.shape[1:]) for y in ys]
        weight_ndims = tuple(None if w is None else w.ndim for w in sws) if sws else \
            (None,) * len(ys)
        key = ("train" if training else "test", tuple(target_shapes), weight_ndims)
        if key not in self._functions:
            fn = objective.build_step(self, training, target_shapes, weight_ndims)
            self._functions[key] = (fn, [t.name for t in fn.inputs])
            self._results = None
        return self._functions[key][0]

    def _run_step(self, training: bool, xs, ys, sws):
        fn = self._step(training, ys, sws)
        return fn(xs + (ys or []) + [w for w in (sws or []) if w is not None])

    def _predict_function(self):
        if "predict" not in self._functions:
            import minikeras.backend as K
            outputs = self.symbolic_outputs(training=False)
            self._functions["predict"] = K.function(self.inputs, outputs,
                                                    self._stateful_updates(), name="predict")
        return self._functions["predict"]

    def _stateful_updates(self) -> list:
        """(state, final state) of every stateful layer, from the graph built last."""
        return [u for layer in self._all_layers() for u in getattr(layer, "_state_updates", [])]

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
    def _prepare(self, x, y=None, sample_weight=None, what: str = "fit",
                 names=("x", "y"), where=None):
        """Arrays for ``what`` (fit, evaluate, predict...), checked against the model.
        Only predict accepts 0 samples (and gives 0 rows back)."""
        where = where or Origin.capture()
        xs = to_arrays(x, self, names[0], where)
        self._ensure_built_from_data(xs)
        check_inputs(self, xs, where)
        ys = to_target_arrays(y, self, where, self._output_keys()) if y is not None else None
        if ys is not None and len(ys[0]) != len(xs[0]):
            raise ValueError(f"{names[0]} and {names[1]} have different numbers of samples: "
                             f"{len(xs[0])} and {len(ys[0])}\n  at {where}")
        if not len(xs[0]) and not what.startswith("predict"):
            raise ValueError(f"{what} got {names[0]} with 0 samples: there is nothing to "
                             f"{'train on' if 'train' in what or what == 'fit' else 'evaluate'}"
                             f"\n  at {where}")
        if ys is not None and self.compiled:
            self._check_targets(ys, where)
        sws = sample_weight_arrays(sample_weight, self._output_keys(), ys, where) \
            if sample_weight is not None else None
        return xs, ys, sws

    def _check_targets(self, ys, where) -> None:
        """Each target must look like its output, for the losses Keras names (a learner's
        own loss function may want other targets; sparse losses take class ids)."""
        spec = self.loss
        keys = self._output_keys()
        if isinstance(spec, dict):
            specs = [spec.get(k) for k in keys]
        elif isinstance(spec, (list, tuple)) and len(spec) == len(keys):
            specs = list(spec)
        else:
            specs = [spec] * len(keys)
        for y, out, spec, name in zip(ys, self.outputs, specs, keys):
            if isinstance(spec, str) and "sparse" in spec:
                _check_class_ids(y, out.shape[-1], f'the targets for output "{name}" '
                                 f"(loss {spec})", where)
            if not isinstance(spec, str) or "sparse" in spec or spec.lower() in ("ce",
                                                                                  "crossentropy"):
                continue
            if y.ndim != out.ndim or any(s is not None and s != d
                                         for s, d in zip(out.shape[1:], y.shape[1:])):
                raise ValueError(
                    f'the targets for output "{name}" have shape {y.shape}, but the model '
                    f"produces {format_shape(out.shape)}: they must match (one-hot encode "
                    f"class ids with to_categorical, or use a sparse_ loss)\n  at {where}")

    def _unpacker(self, what: str, where, with_targets: bool):
        """Turns one batch of a PyDataset or generator into (xs, ys, sws) arrays."""
        def unpack(batch):
            if isinstance(batch, list) and with_targets:
                batch = tuple(batch)
            if isinstance(batch, tuple):
                if not 1 <= len(batch) <= 3:
                    raise ValueError(f"a batch must be (x,), (x, y) or (x, y, sample_weight);"
                                     f" got a tuple of {len(batch)}\n  at {where}")
                x, y, sw = (*batch, None, None)[:3]
            else:
                x, y, sw = batch, None, None
            if with_targets and y is None and self._compile_loss is not None:
                raise ValueError(f"{what}: the batches have no targets: each must be "
                                 f"(x, y) or (x, y, sample_weight)\n  at {where}")
            return self._prepare(x, y if with_targets else None, sw, what=what, where=where)
        return unpack

    def _source(self, x, y, sample_weight, batch_size, shuffle, what, where,
                with_targets=True, class_weight=None):
        """The batches of ``x``: a PyDataset or generator as it is, arrays cut up."""
        if is_batch_source(x):
            for arg, value in (("y", y), ("sample_weight", sample_weight)):
                if value is not None:
                    raise ValueError(f"{what}: do not pass `{arg}` with a PyDataset or a "
                                     f"generator; its batches carry it\n  at {where}")
            unpack = self._unpacker(what, where, with_targets)
            if class_weight is not None:
                unpack = _with_class_weights(unpack, class_weight)
            return Batches(x, unpack, shuffle)
        xs, ys, sws = self._prepare(x, y, sample_weight, what=what, where=where)
        if class_weight is not None:
            sws = [class_weight_to_sample_weights(ys, class_weight, where)]
        return Arrays(xs, ys, sws, batch_size, shuffle)

    # ---------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, nb_epoch=None):
        """Train for ``epochs`` passes over the data in mini-batches of ``batch_size``.

        ``x`` is arrays (with targets ``y``), a ``PyDataset`` or a generator of
        ``(x, y[, sample_weight])`` batches. ``validation_split`` holds out the *last*
        fraction of the samples (before shuffling) and reports ``val_`` metrics on it
        after each epoch. ``sample_weight`` (one per sample, or per output) and
        ``class_weight`` ({class: weight}) weight the loss. Returns a History.
        """
        self._require_compiled("training it")
        where = Origin.capture()
        if nb_epoch is not None:  # Keras 1
            epochs = nb_epoch
        batch_size = 32 if batch_size is None else whole_number(batch_size, "batch_size", where)
        epochs = whole_number(epochs, "epochs", where, minimum=0)
        initial_epoch = whole_number(initial_epoch, "initial_epoch", where, minimum=0)
        validation_freq = whole_number(validation_freq, "validation_freq", where)
        if steps_per_epoch is not None:
            steps_per_epoch = whole_number(steps_per_epoch, "steps_per_epoch", where)
        if validation_batch_size is not None:
            validation_batch_size = whole_number(validation_batch_size,
                                                 "validation_batch_size", where)
        verbose = verbosity(verbose, where)
        if class_weight is not None and sample_weight is not None:
            raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
        if y is None and not is_batch_source(x) and self._compile_loss is not None:
            raise ValueError(f"fit needs targets y\n  at {where}")
        val = None
        if validation_split and not is_batch_source(x) and validation_data is None:
            xs, ys, sws = self._prepare(x, y, sample_weight, where=where)
            xs, ys, sws, (vx, vy, vw) = split_validation(xs, ys, validation_split, sws)
            val = Arrays(vx, vy, vw, validation_batch_size or batch_size, False)
            if class_weight is not None:
                sws = [class_weight_to_sample_weights(ys, class_weight, where)]
            source = Arrays(xs, ys, sws, batch_size, shuffle)
        else:
            source = self._source(x, y, sample_weight, batch_size, shuffle, "fit", where,
                                  class_weight=class_weight)
        if validation_data is not None:
            val = self._validation_source(validation_data, validation_batch_size or
                                          batch_size, where)
        iterator = EpochIterator(source, steps_per_epoch)
        val_iterator = None if val is None else EpochIterator(val, validation_steps)
        history = History()
        cbs = CallbackList(list(callbacks or []) + [history], model=self,
                           epochs=epochs, steps=iterator.steps, verbose=verbose)
        self.stop_training = False
        cbs.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            bar = _epoch_bar(verbose, epoch, epochs, iterator.steps)
            steps_done = 0
            for step, (xs, ys, sws) in iterator.epoch():
                cbs.on_train_batch_begin(step)
                self._run_step(True, xs, ys, sws)
                batch_logs = self.get_metrics_result()
                cbs.on_train_batch_end(step, batch_logs)
                steps_done = step + 1
                if bar is not None:
                    bar.update(steps_done, list(_sorted(batch_logs).items()), finalize=False)
                if self.stop_training:
                    break
            if not steps_done:  # a generator that ran out
                break
            logs = _sorted(self.get_metrics_result())
            if val_iterator is not None and (epoch + 1) % validation_freq == 0:
                cbs.on_test_begin()  # Keras 3 validates with fit's callbacks too
                val_logs = self._evaluate_epochs(val_iterator, cbs)
                cbs.on_test_end(val_logs)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            if bar is not None:
                if bar.target is None:
                    bar.target = steps_done
                bar.update(steps_done, list(logs.items()), finalize=True)
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cbs.on_train_end(logs)
        self.history = history
        return history

    def _validation_source(self, validation_data, batch_size, where):
        if is_batch_source(validation_data):
            return Batches(validation_data, self._unpacker("validation", where, True))
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            n = len(validation_data) if isinstance(validation_data, (tuple, list)) else 0
            got = (f"a {type(validation_data).__name__} of {n} item{'s' * (n != 1)}"
                   if isinstance(validation_data, (tuple, list)) else
                   f"a {type(validation_data).__name__}")
            raise ValueError(f"validation_data must be a tuple (x_val, y_val) or (x_val, "
                             f"y_val, val_sample_weight), got {got}\n  at {where}")
        vx, vy, vw = (*validation_data, None)[:3]
        xs, ys, sws = self._prepare(vx, vy, vw, what="validation",
                                    names=("validation_data[0]", "validation_data[1]"),
                                    where=where)
        return Arrays(xs, ys, sws, batch_size, False)

    # ---------------------------------------------------------------- evaluate / predict
    def _evaluate_epochs(self, iterator: EpochIterator, cbs=None, bar=None) -> dict:
        self.reset_metrics()
        for step, (xs, ys, sws) in iterator.epoch():
            if cbs is not None:
                cbs.on_test_batch_begin(step)
            self._run_step(False, xs, ys, sws)
            if cbs is not None:
                cbs.on_test_batch_end(step, self.get_metrics_result())
            if bar is not None:  # live, as fit's (and timed per step)
                bar.update(step + 1, list(_sorted(self.get_metrics_result()).items()),
                           finalize=False)
        return _sorted(self.get_metrics_result())

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """The loss (and metrics) on the data: a number without metrics, else a list in
        Keras 3's order (``return_dict=True``: a dict by log name)."""
        self._require_compiled("evaluating it")
        where = Origin.capture()
        batch_size = 32 if batch_size is None else whole_number(batch_size, "batch_size", where)
        verbose = verbosity(verbose, where)
        if y is None and not is_batch_source(x) and self._compile_loss is not None:
            raise ValueError(f"evaluate needs targets y\n  at {where}")
        source = self._source(x, y, sample_weight, batch_size, False, "evaluate", where)
        iterator = EpochIterator(source, steps)
        cbs = CallbackList(list(callbacks or []), model=self, epochs=1,
                           steps=iterator.steps, verbose=verbose)
        cbs.on_test_begin()
        bar = Progbar(iterator.steps, verbose=verbose) if verbose else None
        logs = self._evaluate_epochs(iterator, cbs, bar)
        cbs.on_test_end(logs)
        if bar is not None:
            if bar.target is None:  # a generator: the steps are known now
                bar.target = bar.seen_so_far or 1
            bar.update(bar.target, list(logs.items()), finalize=True)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for x, computed batch by batch with dropout off (a dict
        for a model with a dict of outputs)."""
        where = Origin.capture()
        batch_size = 32 if batch_size is None else whole_number(batch_size, "batch_size", where)
        verbosity(verbose, where)
        if is_batch_source(x):
            source = Batches(x, self._unpacker("predict", where, False))
        else:
            xs, _, _ = self._prepare(x, what="predict", where=where)
            source = Arrays(xs, None, None, batch_size, False)
        iterator = EpochIterator(source, steps)
        cbs = CallbackList(list(callbacks or []), model=self, epochs=1,
                           steps=iterator.steps, verbose=0)
        cbs.on_predict_begin()
        fn = None
        chunks = []
        for step, (xs, _, _) in iterator.epoch():
            cbs.on_predict_batch_begin(step)
            fn = fn or self._predict_function()
            chunks.append(fn(xs))
            cbs.on_predict_batch_end(step, {"outputs": self._structured(list(chunks[-1]))})
        cbs.on_predict_end()
        if not chunks:
            outs = [np.zeros((0, *t.shape[1:]), t.dtype) for t in self.outputs]
        else:
            outs = [np.concatenate([c[i] for c in chunks]) for i in range(len(chunks[0]))]
        return self._structured(outs)

    def _structured(self, outs):
        structure = getattr(self, "_output_structure", None)
        if isinstance(structure, dict):
            return dict(zip(sorted(structure), outs))
        return outs[0] if len(outs) == 1 else outs

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       reset_metrics=True, return_dict=False):
        """One gradient update on exactly this batch; returns its loss (and metrics)."""
        self._require_compiled("training it")
        where = Origin.capture()
        if y is None:
            raise ValueError(f"train_on_batch needs targets y\n  at {where}")
        if class_weight is not None and sample_weight is not None:
            raise ValueError("Arguments `sample_weight` and `class_weight` cannot be "
                             "specified at the same time.")
        xs, ys, sws = self._prepare(x, y, sample_weight, what="train_on_batch", where=where)
        if class_weight is not None:
            sws = [class_weight_to_sample_weights(ys, class_weight, where)]
        if reset_metrics:
            self.reset_metrics()
        self._run_step(True, xs, ys, sws)
        return _result(self, _sorted(self.get_metrics_result()), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._require_compiled("evaluating it")
        where = Origin.capture()
        if y is None:
            raise ValueError(f"test_on_batch needs targets y\n  at {where}")
        xs, ys, sws = self._prepare(x, y, sample_weight, what="test_on_batch", where=where)
        self.reset_metrics()
        self._run_step(False, xs, ys, sws)
        return _result(self, _sorted(self.get_metrics_result()), return_dict)

    def predict_on_batch(self, x):
        xs, _, _ = self._prepare(x, what="predict_on_batch")
        return self._structured(self._predict_function()(xs))

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
                     loss_weights=config.get("loss_weights"),
                     weighted_metrics=_metrics_from_config(
                         config.get("weighted_metrics")) or None)

    def reset_states(self) -> None:
        """Zero the states of every stateful layer of the model (Keras 2)."""
        for layer in self._all_layers():
            if getattr(layer, "stateful", False) and hasattr(layer, "reset_states") and \
                    layer is not self:
                layer.reset_states()


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
    """Metrics in a compile_config: names, or serialized metric objects (made again with
    their settings, the keys minikeras's class takes; an unknown class by its name)."""
    if isinstance(spec, list):
        return [_metrics_from_config(s) for s in spec]
    if isinstance(spec, dict) and "class_name" in spec:
        cls = metrics_module.CLASSES.get(spec["class_name"])
        config = spec.get("config")
        if cls is not None and isinstance(config, dict):
            keys = accepted_keys(cls)
            config = {k: v for k, v in config.items() if keys is None or k in keys}
            return cls.from_config(config)
        name = config.get("name") if isinstance(config, dict) else None
        return name or to_snake_case(spec["class_name"])
    if isinstance(spec, dict):
        return {k: _metrics_from_config(v) for k, v in spec.items()}
    return spec


def _with_class_weights(unpack, class_weight):
    def weighted(batch):
        xs, ys, sws = unpack(batch)
        if sws is not None:
            raise ValueError("You cannot `class_weight` and `sample_weight` at the same "
                             "time.")
        return xs, ys, [class_weight_to_sample_weights(ys, class_weight, None)]
    return weighted


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
    if metrics is None or isinstance(metrics, str) or not isinstance(metrics,
                                                                    (list, tuple, dict)):
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


def _sorted(logs: dict) -> dict:
    """Logs by name, sorted as Keras 3 reports them ('accuracy' before 'loss')."""
    return dict(sorted(logs.items()))


def _result(model, logs, return_dict):
    return logs if return_dict else model._flatten_metrics_in_order(logs)


def _epoch_bar(verbose, epoch, epochs, steps):
    if not verbose:
        return None
    if epochs > 1:  # as Keras's ProgbarLogger
        print(f"Epoch {epoch + 1}/{epochs}")
    return Progbar(steps, verbose=verbose)
