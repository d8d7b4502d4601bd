"""What ``compile`` was given, made ready for training: the loss of each output and the
metrics of each output, chosen and named as Keras 3 does it (``trainers/compile_utils``).

* ``get_loss`` / ``get_metric``: a name, function or object becomes a ``Loss`` or a
  ``Metric``; 'accuracy' (or 'acc') becomes ``BinaryAccuracy`` when the output has one
  unit, ``SparseCategoricalAccuracy`` when the targets are class ids (a lower rank than
  the output, or a last axis of 1 against several units), else
  ``CategoricalAccuracy``; 'crossentropy' (or 'ce') likewise.
* ``CompileLoss``: one loss per output (one for all, a list, or a dict by output name),
  weighted by ``loss_weights`` and summed; with several losses, one ``Mean`` per output
  tracks its unweighted value ('o1_loss').
* ``CompileMetrics``: ``metrics`` (not weighted) and ``weighted_metrics`` (weighted by
  the sample weights) per output; their results are logged as 'accuracy', or
  'o1_accuracy' with several outputs, and 'weighted_accuracy' where a name repeats.

>>> from minikeras.layers import Input, Dense
>>> y = Dense(3)(Input((4,)))
>>> get_metric("accuracy", (None,), y).__class__.__name__
'SparseCategoricalAccuracy'
>>> get_metric("acc", (None, 3), y).__class__.__name__, get_metric("acc", (None, 3), y).name
('CategoricalAccuracy', 'acc')
"""
from __future__ import annotations

from minikeras import losses as losses_module
from minikeras import metrics as metrics_module
from minikeras.metrics import Mean, MeanMetricWrapper, Metric
from minikeras.ops import elementwise as ew
from minikeras.tensor import Tensor


def is_binary_or_sparse_categorical(target_shape, y_pred: Tensor) -> tuple[bool, bool]:
    """(one output unit?, integer class-id targets?) from the shapes, as Keras 3."""
    binary = y_pred.shape[-1] == 1
    sparse = len(target_shape) < y_pred.ndim or (target_shape[-1] == 1 and
                                                 (y_pred.shape[-1] or 0) > 1)
    return binary, sparse


def get_metric(identifier, target_shape, y_pred: Tensor) -> Metric:
    """A Metric for one output, named by the string the user wrote (or the object's
    name)."""
    if identifier is None:
        raise ValueError("Expected metric, received `None`")
    if str(identifier).lower() in ("accuracy", "acc"):
        binary, sparse = is_binary_or_sparse_categorical(target_shape, y_pred)
        cls = metrics_module.BinaryAccuracy if binary else \
            metrics_module.SparseCategoricalAccuracy if sparse else \
            metrics_module.CategoricalAccuracy
        metric = cls(name=str(identifier))
    else:
        metric = metrics_module.get(identifier)
    if isinstance(identifier, str):
        name = identifier
    else:
        name = getattr(metric, "name", None) or getattr(metric, "__name__", None) or \
            type(metric).__name__
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric)
    metric.name = name
    return metric


def get_loss(identifier, target_shape, y_pred: Tensor):
    """A Loss for one output (None: this output has no loss)."""
    if identifier is None:
        return None
    if str(identifier).lower() in ("crossentropy", "ce"):
        binary, sparse = is_binary_or_sparse_categorical(target_shape, y_pred)
        loss = losses_module.binary_crossentropy if binary else \
            losses_module.sparse_categorical_crossentropy if sparse else \
            losses_module.categorical_crossentropy
    else:
        loss = losses_module.get(identifier)
    if isinstance(loss, losses_module.Loss):
        return loss
    name = identifier if isinstance(identifier, str) else \
        getattr(loss, "__name__", None) or type(loss).__name__
    return losses_module.LossFunctionWrapper(loss, name=name)


def per_output(spec, names: list[str], what: str, by_name_only: bool):
    """A loss (or loss weight) spec spread over the outputs: one for all, a list, or a
    dict by output name (``by_name_only``: a dict must name every output, as Keras asks
    of list-shaped outputs)."""
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(names))
        if unknown or (by_name_only and set(spec) != set(names)):
            raise ValueError(f"{what} given for unknown output(s) {unknown}; expected keys "
                             f"{names} in {what} dict, but found {what}.keys()="
                             f"{list(spec)}" if unknown else
                             f"Expected keys {names} in {what} dict, but found "
                             f"{what}.keys()={list(spec)}")
        return [spec.get(n) for n in names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != len(names):
            raise ValueError(f"{what} has {len(spec)} entries for {len(names)} "
                             f"output(s) {names}")
        return list(spec)
    return [spec] * len(names)


class CompileLoss:
    """The losses of the outputs, built once the outputs' tensors and the targets'
    shapes are known."""

    def __init__(self, loss, loss_weights=None, output_names=None, dict_outputs=False):
        self.loss, self.loss_weights = loss, loss_weights
        self.output_names, self.dict_outputs = output_names, dict_outputs
        self.built = False
        self.flat_losses: list = []   # (output index, Loss, weight or None, name)
        self.metrics: list[Mean] = []  # one per output when there are several losses

    def build(self, target_shapes, y_preds) -> None:
        names = self.output_names
        specs = per_output(self.loss, names, "loss", by_name_only=not self.dict_outputs)
        weights = [None] * len(names) if self.loss_weights is None else \
            per_output(self.loss_weights, names, "loss_weights", by_name_only=False)
        order = range(len(names))
        if isinstance(self.loss, dict):  # Keras goes through the dict in its own order
            order = [names.index(k) for k in self.loss]
        self.flat_losses = []
        for i in order:
            loss = get_loss(specs[i], target_shapes[i], y_preds[i])
            if loss is not None:
                self.flat_losses.append((i, loss, weights[i], names[i]))
        if len(self.flat_losses) > 1:
            self.metrics = [Mean(name=f"{name}_loss") for *_, name in self.flat_losses]
        self.built = True

    def __call__(self, ys, y_preds, sample_weights, batch_size: Tensor) -> Tensor | None:
        """The weighted sum of the outputs' losses (None when no output has one); the
        per-output trackers are updated with each unweighted value."""
        total = None
        trackers = self.metrics or [None] * len(self.flat_losses)
        for (i, loss, weight, _), tracker in zip(self.flat_losses, trackers):
            value = ew.cast(loss(ys[i], y_preds[i], sample_weights[i]), "float32")
            if tracker is not None:
                tracker.update_state(value, sample_weight=batch_size)
            if weight is not None:
                value = value * float(weight)
            total = value if total is None else total + value
        return total


def _names_of(spec) -> list:
    if spec is None or isinstance(spec, str) or not isinstance(spec, (list, tuple, dict)):
        return [] if spec is None else [spec]
    items = spec.values() if isinstance(spec, dict) else spec
    return [m for item in items for m in _names_of(item)]


class CompileMetrics:
    """The metrics of the outputs: ``metrics`` unweighted, ``weighted_metrics`` with the
    sample weights."""

    def __init__(self, metrics, weighted_metrics, output_names=None):
        for spec, what in ((metrics, "metrics"), (weighted_metrics, "weighted_metrics")):
            if spec and not isinstance(spec, (list, tuple, dict)):
                raise ValueError(f"Expected `{what}` argument to be a list, tuple, or dict. "
                                 f"Received instead: {what}={spec} of type {type(spec)}")
        self.user_metrics, self.user_weighted = metrics, weighted_metrics
        self.output_names = output_names
        self.name = "compile_metrics"
        self.built = False
        self.flat_metrics: list[list[Metric] | None] = []
        self.flat_weighted: list[list[Metric] | None] = []

    @property
    def metrics(self) -> list[Metric]:
        return [m for group in self.flat_metrics + self.flat_weighted if group
                for m in group]

    def build(self, target_shapes, y_preds) -> None:
        self.flat_metrics = self._per_output(self.user_metrics, target_shapes, y_preds,
                                             "metrics")
        self.flat_weighted = self._per_output(self.user_weighted, target_shapes, y_preds,
                                              "weighted_metrics")
        self.built = True

    def _per_output(self, spec, target_shapes, y_preds, what):
        n = len(y_preds)
        if not spec:
            return [None] * n
        if n == 1:
            return [[get_metric(m, target_shapes[0], y_preds[0]) for m in _names_of(spec)]]
        if isinstance(spec, (list, tuple)) and len(spec) == n:
            groups = list(spec)
        elif isinstance(spec, dict) and set(spec) <= set(self.output_names):
            groups = [spec.get(name) for name in self.output_names]
        else:
            raise ValueError(
                f"Invalid `{what}`. `{what}` should contain metrics objects and either be "
                f"a dict or a list matching the output names of the functional model "
                f"{self.output_names} or match the output structure of the model: "
                f"{['X'] * n}.\nReceived: {what}={spec}")
        return [None if g is None else [get_metric(m, shape, y) for m in _names_of(g)]
                for g, shape, y in zip(groups, target_shapes, y_preds)]

    def update_state(self, ys, y_preds, sample_weights) -> None:
        for group, y, p in zip(self.flat_metrics, ys, y_preds):
            for m in group or []:
                m.update_state(y, p)
        for group, y, p, sw in zip(self.flat_weighted, ys, y_preds, sample_weights):
            for m in group or []:
                m.update_state(y, p, sw)

    def reset_state(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def result_names(self) -> list[tuple[str, Metric]]:
        """(log name, metric) in Keras's order, with its naming rules: the output's name
        first when there are several outputs; a repeated name numbered (``mae_1``); a
        weighted metric whose name is taken called ``weighted_...``."""
        multi = len(self.flat_metrics) > 1
        named, counts = [], {}

        def number(name):
            index = counts[name]
            counts[name] += 1
            return f"{name}_{index}"

        for weighted, groups in ((False, self.flat_metrics), (True, self.flat_weighted)):
            for i, group in enumerate(groups):
                prefix = f"{self.output_names[i]}_" if multi else ""
                for m in group or []:
                    name = prefix + m.name
                    if name not in counts:
                        counts[name] = 1
                    elif not weighted:
                        name = number(name)
                    else:
                        name = prefix + "weighted_" + m.name
                        if name not in counts:
                            counts[name] = 1
                        else:
                            name = number(name)
                    named.append((name, m))
        return named
