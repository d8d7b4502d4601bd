"""The compiled steps of training and testing: one symbolic graph per step, built once.

For a training step, with the model's outputs built on its input placeholders:

1. a placeholder per output for the targets (and for the sample weights, when given);
2. the loss: each output's loss (sample weights and masks applied as Keras 3 does),
   weighted by ``loss_weights`` and summed, plus the model's ``losses`` (weight
   penalties and ``add_loss``);
3. the metrics' ``update_state`` on those tensors, *recorded* as variable updates
   (``recording_updates``): the running loss (``Mean`` weighted by the batch size) and
   every compiled metric;
4. ``K.gradients`` of the loss, turned into the optimizer's updates;
5. ``K.function(inputs + targets + weights, [loss], all those updates)``.

After each step the metrics' results are read with one more small compiled function
(``results_function``): logs are running values over the epoch, as in Keras 3.
"""
from __future__ import annotations

from minikeras import backend as K
from minikeras import config
from minikeras.ops import elementwise as ew
from minikeras.ops import reductions as red
from minikeras.ops.eager import symbolic_scope
from minikeras.tensor import Tensor, recording_updates


def build_step(model, training: bool, target_shapes, weight_ndims):
    """(function, names of what it takes) for a train or test step."""
    with recording_updates() as recorder:
        outputs = model.symbolic_outputs(training=training)
        keys = model._output_keys()
        targets = [K.placeholder(shape=(None, *shape[1:]), dtype=config.floatx(),
                                 name=f"{key}_target")
                   for shape, key in zip(target_shapes, keys)]
        weights = [None if n is None else
                   K.placeholder(ndim=n, dtype=config.floatx(), name=f"{key}_sample_weight")
                   for n, key in zip(weight_ndims, keys)]
        model._build_compiled(target_shapes, outputs)
        batch_size = red.count(model.inputs[0], axis=0)
        with symbolic_scope():
            total = _total_loss(model, targets, outputs, weights, batch_size)
            model._loss_tracker.update_state(total, sample_weight=batch_size)
            if model._compile_metrics is not None:
                model._compile_metrics.update_state(targets, outputs, weights)
    updates = recorder.updates
    if training:
        updates = model.optimizer.get_updates(total, model.trainable_weights) + updates
        updates += [u for layer in model._all_layers() for u in layer._updates]
    updates += model._stateful_updates()
    feeds = model.inputs + targets + [w for w in weights if w is not None]
    return K.function(feeds, [total], updates, name="train" if training else "test")


def _total_loss(model, targets, outputs, weights, batch_size) -> Tensor:
    """The compiled losses plus the model's own (``add_loss``, weight penalties)."""
    terms = []
    if model._compile_loss is not None:
        loss = model._compile_loss(targets, outputs, weights, batch_size)
        if loss is not None:
            terms.append(loss)
    for extra in model.losses:
        extra = extra if isinstance(extra, Tensor) else K.constant(extra)
        if extra.dtype != config.floatx():
            extra = ew.cast(extra, config.floatx())
        terms.append(red.sum(extra))
    if not terms:
        raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def results_function(model):
    """A compiled function giving every metric's result, and the log names, in the order
    of ``model.metrics`` (each ``CompileMetrics`` entry expanded)."""
    names, tensors = [], []
    with symbolic_scope():
        for metric in model.metrics:
            if hasattr(metric, "result_names"):
                for name, m in metric.result_names():
                    names.append(name)
                    tensors.append(m.result())
            else:
                result = metric.result()
                if isinstance(result, dict):
                    names += list(result)
                    tensors += list(result.values())
                else:
                    names.append(metric.name)
                    tensors.append(result)
    tensors = [t if isinstance(t, Tensor) else K.constant(t) for t in tensors]
    return K.function([], tensors, name="metrics"), names
