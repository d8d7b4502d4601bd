"""Checks of lesson 04 (layers and models): 4.1 to 4.6.

The learner writes two layers (``SimpleDense`` and ``ComputeSum``, the seed's examples of
subclassing ``Layer``), counts parameters, rewires a Sequential model as a functional one,
builds a model with two inputs and a merge, and copies a layer through its config. Each
check uses the answer the ways the lesson does (on arrays, inside models, trained, saved
as a config) and compares with plain NumPy; the wrong answers of
``tests/lessons/answers_lesson04.py`` reach every hint.

>>> EXERCISES[2].run(lambda sizes: sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))).passed
True
"""
from __future__ import annotations

from itertools import pairwise

import numpy as np

from .exercise import Case, Exercise, Mistake, Rule

_rng = np.random.default_rng(4)


# what a layer lacks when its __init__ did not call super().__init__()
_NOT_SET_UP = ("has no attribute '(_own_weights|_layers|_inbound_nodes|_trainable|dtype|built|"
               "name|input_spec|_call_takes_training|_call_takes_mask|_batch_input_shape)'")


class _Problem(Exception):
    """Something about the answer the check found while using it (the message says what)."""


# ---------------------------------------------------------------- 4.1 SimpleDense
def _known(shape, seed):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=shape).astype("float32")


def _set_known_weights(layer, n_in, units):
    """Give the layer's weights known values, each recognised by its shape."""
    kernel, bias = _known((n_in, units), 1), _known((units,), 2)
    by_shape = {(n_in, units): kernel, (units,): bias}
    values = []
    for w in layer.weights:
        if tuple(w.shape) not in by_shape:
            raise _Problem(f"a weight of shape {tuple(w.shape)}: the kernel must be "
                           f"(input_dim, units) = {(n_in, units)} and the bias (units,) = "
                           f"{(units,)}")
        values.append(by_shape[tuple(w.shape)])
    layer.set_weights(values)


def dense_output(x, units, how):
    return x @ _known((x.shape[-1], units), 1) + _known((units,), 2)


def _use_dense(cls, x, units, how):
    from minikeras.layers import Input
    from minikeras.models import Sequential
    layer = cls(units=units)
    if how == "array":
        layer(x[:1])                                   # builds the weights
        _set_known_weights(layer, x.shape[-1], units)
        return np.asarray(layer(x))
    model = Sequential([Input(shape=(x.shape[-1],)), layer])
    _set_known_weights(layer, x.shape[-1], units)
    return model.predict(x, verbose=0)


def _two_trainable_weights(cls):
    layer = cls(units=3)
    layer(np.ones((1, 4), dtype="float32"))
    n = len(layer.trainable_weights)
    if n != 2:
        return (f"the layer has {n} trainable weight(s): the kernel and the bias must both be "
                f"trainable (add_weight(..., trainable=True), the default)")
    return True


def _learns(cls):
    """A few steps of fit must lower the loss (the weights are trainable and in the graph)."""
    from minikeras.layers import Input
    from minikeras.models import Sequential
    from minikeras.optimizers import SGD
    from minikeras.rng import set_seed
    set_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32") + 0.3
    model = Sequential([Input(shape=(3,)), cls(units=1)])
    model.compile(optimizer=SGD(learning_rate=0.1), loss="mse")
    losses = model.fit(x, y, batch_size=16, epochs=5, verbose=0).history["loss"]
    return losses[-1] < 0.5 * losses[0] or "training did not lower the loss: check the weights"


def _config_round_trip(cls):
    layer = cls(units=7, name="my_dense")
    config = layer.get_config()
    if config.get("units") != 7:
        return ("get_config() must include units, so that a saved model can re-create the "
                "layer: return {**super().get_config(), 'units': self.units}")
    copy = cls.from_config(config)
    return (copy.units == 7 and copy.name == "my_dense") or \
        "SimpleDense.from_config(layer.get_config()) did not give the same layer back"


_XD = _rng.normal(size=(5, 4)).astype("float32")
SIMPLE_DENSE = Exercise(
    "4.1", "class SimpleDense", reference=dense_output, call=_use_dense, rtol=1e-5, atol=1e-5,
    cases=[Case(_XD, 3, "array", note="called on an array (4 features, 3 units)"),
           Case(_XD[:2, :2], 5, "array", note="2 features, 5 units"),
           Case(_XD, 3, "model", note="inside a Sequential model")],
    mistakes=[
        Mistake("__init__ must call super().__init__(**kwargs) first: it sets up the layer's "
                "name, dtype and weight lists", raises=AttributeError,
                match=_NOT_SET_UP),
        Mistake("the weights are made in build(input_shape), when the input's size is known: "
                "the kernel is (input_shape[-1], self.units)", raises=TypeError,
                match=r"missing 1 required positional argument: 'input_shape'|"
                      r"build\(\) takes 1 positional argument"),
        Mistake(lambda x, units, how: f"the kernel must have shape (input_dim, units) = "
                                      f"{(x.shape[-1], units)} so that K.dot(inputs, w) "
                                      "works: input_dim is input_shape[-1]",
                raises=_Problem, match="a weight of shape"),
        Mistake("the shapes do not fit: y = K.dot(inputs, self.w) + self.b, with w of shape "
                "(input_dim, units)", raises=ValueError, match="inner sizes differ"),
        Mistake("call() receives symbolic tensors: NumPy cannot compute with them. Use "
                "K.dot (or the @ operator) on the tensors", raises=TypeError,
                match="is symbolic"),
        Mistake("the bias is missing: y = inputs . w + b",
                lambda x, units, how: x @ _known((x.shape[-1], units), 1)),
    ],
    rules=[Rule("the kernel and the bias must both be trainable", _two_trainable_weights),
           Rule("training did not lower the loss", _learns),
           Rule("get_config() must include units", _config_round_trip)],
    steps="__init__(self, units=32, **kwargs): super().__init__(**kwargs); self.units = "
          "units. build(self, input_shape): self.w = self.add_weight(shape=(input_shape[-1], "
          "self.units), initializer='random_normal'); self.b = self.add_weight(shape="
          "(self.units,), initializer='zeros'). call(self, inputs): return K.dot(inputs, "
          "self.w) + self.b. get_config: {**super().get_config(), 'units': self.units}.")


# ---------------------------------------------------------------- 4.2 ComputeSum
def running_totals(batches, how):
    return np.cumsum([b.sum(axis=0) for b in batches], axis=0)


def _use_sum(cls, batches, how):
    from minikeras.layers import Input
    from minikeras.models import Sequential
    dim = batches[0].shape[1]
    layer = cls(dim)
    if how == "model":
        model = Sequential([Input(shape=(dim,)), layer])
        outs = [model.predict(b, batch_size=len(b), verbose=0) for b in batches]
    else:
        outs = [np.asarray(layer(b)) for b in batches]
    weights = layer.weights
    if len(weights) != 1 or tuple(weights[0].shape) != (dim,):
        raise _Problem(f"the layer has weights of shapes {[tuple(w.shape) for w in weights]}")
    if layer.trainable_weights:
        raise _Problem("trainable")
    if not np.any(weights[0].numpy()) and any(np.any(b) for b in batches):
        raise _Problem("the weight never changed")
    shapes = {np.shape(o) for o in outs}
    if shapes != {(dim,)}:
        raise _Problem(f"outputs of shapes {sorted(shapes)}")
    return np.array(outs, dtype=float)


def _sum_wrong(per_batch):
    def wrong(batches, how):
        return np.array([per_batch(b) for b in batches], dtype=float)
    return wrong


_B = [_rng.integers(-3, 4, size=(n, 3)).astype("float32") for n in (2, 4, 1)]
COMPUTE_SUM = Exercise(
    "4.2", "class ComputeSum", reference=running_totals, call=_use_sum,
    cases=[Case([np.ones((2, 2), dtype="float32")] * 2, "array",
                expected=np.array([[2.0, 2.0], [4.0, 4.0]]), note="ones((2, 2)), twice"),
           Case(_B, "array", note="three batches of 3 features"),
           Case(_B, "model", note="inside a Sequential model, one predict per batch")],
    mistakes=[
        Mistake("the total must be a non-trainable weight: add_weight(..., trainable=False) "
                "(training must not change it; only your call does)",
                raises=_Problem, match="trainable"),
        Mistake("the layer needs exactly one weight, the total, of shape (input_dim,): "
                "self.add_weight(shape=(input_dim,), initializer='zeros', trainable=False)",
                raises=_Problem, match="weights of shapes"),
        Mistake("__init__ must call super().__init__(**kwargs) first: it sets up the layer's "
                "name, dtype and weight lists", raises=AttributeError,
                match=_NOT_SET_UP),
        Mistake("call() receives symbolic tensors: NumPy cannot compute with them. Use K.sum",
                raises=TypeError, match="is symbolic"),
        Mistake("the weight itself never changed: add to it with self.total.assign_add(...) "
                "(a tensor assigned to self.total replaces the weight by a piece of graph, "
                "which keeps nothing from one call to the next)", raises=_Problem,
                match="never changed"),
        Mistake("the total does not grow from call to call: add to it with "
                "self.total.assign_add(...) (assign would replace it), then return self.total",
                _sum_wrong(lambda b: b.sum(axis=0))),
        Mistake("sum along axis 0 (down the batch), so that there is one total per feature",
                raises=ValueError,
                match="cannot (assign|add) a value of shape|new value has shape"),
        Mistake("return the running total, self.total: one number per feature, whatever the "
                "batch size", raises=_Problem, match="outputs of shapes"),
    ],
    steps="__init__(self, input_dim, **kwargs): super().__init__(**kwargs); self.total = "
          "self.add_weight(shape=(input_dim,), initializer='zeros', trainable=False). "
          "call(self, inputs): self.total.assign_add(K.sum(inputs, axis=0)); "
          "return self.total.")


# ---------------------------------------------------------------- 4.3 counting parameters
def mlp_params(sizes):
    return int(sum((n_in + 1) * n_out for n_in, n_out in pairwise(sizes)))


def _pairs(make):
    def wrong(sizes):
        return int(sum(make(a, b) for a, b in pairwise(sizes)))
    return wrong


COUNT = Exercise(
    "4.3", "mlp_params", reference=mlp_params,
    rtol=0.0, atol=0.0,   # a count is exact
    cases=[Case([784, 500, 500, 10], expected=648010, note="the seed's MNIST model"),
           Case([3, 2], expected=8, note="one Dense layer, 3 -> 2"),
           Case([10, 1], note="a single output"),
           Case([4, 8, 8, 8, 2], note="four Dense layers"),
           Case([784, 10], note="softmax regression")],
    mistakes=[
        Mistake("the biases are missing: a Dense layer from n to m units has n * m kernel "
                "weights AND m biases", _pairs(lambda a, b: a * b)),
        Mistake("a Dense layer has one bias per OUTPUT unit (m), not per input",
                _pairs(lambda a, b: a * b + a)),
        Mistake("count each Dense layer, between consecutive sizes: (sizes[i] + 1) * "
                "sizes[i + 1], and add them up; a product of all the sizes counts nothing",
                lambda sizes: int(np.prod(sizes))),
        Mistake("only the first layer was counted: add up every consecutive pair of sizes",
                lambda sizes: (sizes[0] + 1) * sizes[1]),
        Mistake("one bias per output unit, so n * m + m = (n + 1) * m; you added 1 per layer",
                _pairs(lambda a, b: a * b + 1)),
        Mistake("only the layers' outputs have biases, the input has no biases: a Dense "
                "layer from n to m adds m", lambda sizes: mlp_params(sizes) + sizes[0]),
        Mistake("the last layer is missing: zip(sizes, sizes[1:]) pairs each size with the "
                "next, the last pair included", lambda sizes: mlp_params(sizes[:-1])),
    ],
    rules=[Rule("return a whole number (an int)",
                lambda fn: isinstance(fn([3, 2]), (int, np.integer)))],
    steps="for each pair of consecutive sizes (n_in, n_out): n_in * n_out weights plus n_out "
          "biases; return the sum over the pairs.")


# ---------------------------------------------------------------- 4.4 Sequential -> functional
def _seed_like(seed):
    from minikeras.layers import Activation, Dense, Dropout
    from minikeras.models import Sequential
    from minikeras.rng import set_seed
    set_seed(seed)
    return Sequential([Dense(6, input_shape=(5,)), Activation("tanh"), Dropout(0.5),
                          Dense(4, activation="relu"), Dense(3), Activation("softmax")])


def _xs(seed, n=4, features=5):
    return np.random.default_rng(seed).normal(size=(n, features)).astype("float32")


def sequential_predictions(seed):
    return _seed_like(seed).predict(_xs(seed), verbose=0)


def _use_functional(fn, seed):
    from minikeras.models import Model, Sequential
    seq = _seed_like(seed)
    model = fn(seq)
    if model is seq:
        raise _Problem("the Sequential itself")
    if not isinstance(model, Model) or isinstance(model, Sequential):
        raise _Problem(f"not a functional Model: {type(model).__name__}")
    shared = {id(w) for w in seq.weights}
    if any(id(w) not in shared for w in model.weights) or len(model.weights) != len(shared):
        raise _Problem("new weights")
    return model.predict(_xs(seed), verbose=0)


FUNCTIONAL = Exercise(
    "4.4", "to_functional", reference=sequential_predictions, call=_use_functional,
    cases=[Case(0, note="a 5 -> 6 -> 4 -> 3 MLP"), Case(1, note="the same, other weights")],
    mistakes=[
        Mistake("that is the Sequential model itself: build a functional Model(inputs, "
                "outputs) that calls the same layers", raises=_Problem,
                match="the Sequential itself"),
        Mistake("return a functional Model: mk.Model(inputs=x, outputs=y), with x an Input "
                "and y the last layer's output", raises=_Problem, match="not a functional"),
        Mistake("the model has weights of its own: call the Sequential's layers "
                "(seq.layers), do not make new ones, so that the two models share weights",
                raises=_Problem, match="new weights"),
        Mistake("the layers must be called one after the other, each on the previous one's "
                "output: h = layer(h) in a loop", raises=ValueError,
                match="incompatible with the layer: expected (axis|min_ndim|ndim)"),
        Mistake("a functional model starts from an Input: x = mk.Input(shape="
                "seq.input_shape[1:]) (the sample shape, without the batch size)",
                raises=(ValueError, TypeError),
                match=r"must come from Input|must be tensors|takes a layer|expects shape|"
                      r"expected shape=\(None, None"),
    ],
    steps="x = mk.Input(shape=seq.input_shape[1:]); h = x; for layer in seq.layers: "
          "h = layer(h); return mk.Model(inputs=x, outputs=h).")


# ---------------------------------------------------------------- 4.5 two inputs, one merge
def merged_prediction(n_a, n_b, units, seed):
    a, b = _xs(seed, 3, n_a), _xs(seed + 1, 3, n_b)
    kernel, bias = _known((n_a + n_b, units), 1), _known((units,), 2)
    return 1.0 / (1.0 + np.exp(-(np.concatenate([a, b], axis=1) @ kernel + bias)))


def _use_two_inputs(fn, n_a, n_b, units, seed):
    from minikeras.models import Model
    model = fn(n_a, n_b, units)
    if not isinstance(model, Model) or len(model.inputs) != 2:
        n = len(getattr(model, "inputs", [])) if isinstance(model, Model) else None
        raise _Problem(f"inputs: {n}")
    shapes = [tuple(t.shape) for t in model.inputs]
    if shapes != [(None, n_a), (None, n_b)]:
        raise _Problem(f"input shapes {shapes}")
    denses = [layer for layer in model.layers if layer.weights]
    if len(denses) != 1 or tuple(denses[0].weights[0].shape) != (n_a + n_b, units):
        raise _Problem("one Dense")
    denses[0].set_weights([_known((n_a + n_b, units), 1), _known((units,), 2)])
    a, b = _xs(seed, 3, n_a), _xs(seed + 1, 3, n_b)
    return model.predict([a, b], verbose=0)


def _merge_wrong(make):
    def wrong(n_a, n_b, units, seed):
        a, b = _xs(seed, 3, n_a), _xs(seed + 1, 3, n_b)
        kernel, bias = _known((n_a + n_b, units), 1), _known((units,), 2)
        return make(a, b, kernel, bias)
    return wrong


TWO_INPUTS = Exercise(
    "4.5", "two_input_model", reference=merged_prediction, call=_use_two_inputs,
    rtol=1e-5, atol=1e-6,
    cases=[Case(3, 2, 4, 0, note="a of 3 features, b of 2, 4 units"),
           Case(2, 5, 1, 1, note="a of 2 features, b of 5, 1 unit")],
    mistakes=[
        Mistake("the model must take two inputs: mk.Model(inputs=[a, b], outputs=...)",
                raises=_Problem, match="inputs:"),
        Mistake("the model must take two inputs: mk.Model(inputs=[a, b], outputs=...)",
                raises=ValueError, match="not in the model's inputs"),
        Mistake(lambda n_a, n_b, units, seed: f"the inputs must have the shapes "
                f"(None, {n_a}) and (None, {n_b}), in that order: mk.Input(shape=(n_a,)) and "
                "mk.Input(shape=(n_b,))", raises=_Problem, match="input shapes"),
        Mistake("merge first, then ONE Dense layer on the merged tensor: "
                "Dense(units, activation='sigmoid')(concatenate([a, b]))",
                raises=_Problem, match="one Dense"),
        Mistake("Add needs inputs of the same shape; to join n_a and n_b features side by "
                "side, use concatenate([a, b]) (a Concatenate layer)",
                raises=ValueError, match="same shape|do not broadcast|cannot add|shapes"),
        Mistake("concatenate in the order [a, b]: a's features first",
                _merge_wrong(lambda a, b, k, c: 1 / (1 + np.exp(-(np.concatenate([b, a], 1)
                                                                   @ k + c))))),
        Mistake("the output needs the sigmoid: Dense(units, activation='sigmoid')",
                _merge_wrong(lambda a, b, k, c: np.concatenate([a, b], 1) @ k + c)),
    ],
    steps="a = mk.Input(shape=(n_a,)); b = mk.Input(shape=(n_b,)); merged = "
          "mk.layers.concatenate([a, b]); out = mk.layers.Dense(units, activation='sigmoid')"
          "(merged); return mk.Model(inputs=[a, b], outputs=out).")


# ---------------------------------------------------------------- 4.6 a config round trip
def _layer(kind):
    from minikeras import layers
    return {"dense": lambda: layers.Dense(3, activation="tanh", name="original"),
            "no_bias": lambda: layers.Dense(2, use_bias=False, kernel_initializer="ones"),
            "dropout": lambda: layers.Dropout(0.25, name="drop"),
            "reshape": lambda: layers.Reshape((2, 2))}[kind]()


def _copied(fn, kind, shape, seed):
    layer = _layer(kind)
    x = _xs(seed, 3, shape[0]).reshape(3, *shape)
    before = np.asarray(layer(x))
    config_calls = []
    original = layer.get_config
    layer.get_config = lambda: config_calls.append(1) or original()
    new = fn(layer, (None, *shape))
    if new is layer:
        raise _Problem("the same layer")
    if type(new) is not type(layer):
        raise _Problem(f"a {type(new).__name__}")
    if not config_calls:
        raise _Problem("no get_config")
    if new.get_config() != original():
        raise _Problem("config differs")
    if len(new.get_weights()) != len(layer.get_weights()):
        raise _Problem("not built")
    return np.asarray(new(x)) - before


COPY = Exercise(
    "4.6", "copy_layer", reference=lambda kind, shape, seed: np.zeros((3, *_out(kind, shape))),
    call=_copied, atol=1e-6,
    cases=[Case("dense", (4,), 0, note="Dense(3, activation='tanh')"),
           Case("no_bias", (3,), 1, note="Dense(2, use_bias=False)"),
           Case("dropout", (5,), 2, note="Dropout (no weights)"),
           Case("reshape", (4,), 3, note="Reshape((2, 2))")],
    mistakes=[
        Mistake("that is the same layer object: make a NEW one from the config, "
                "type(layer).from_config(layer.get_config())",
                raises=_Problem, match="the same layer"),
        Mistake("the copy must be made from the layer's config: "
                "type(layer).from_config(layer.get_config())", raises=_Problem,
                match="no get_config|^a "),
        Mistake("the copy's config differs from the original's: pass the config unchanged "
                "to from_config", raises=_Problem, match="config differs"),
        Mistake("a layer made from a config has no weights yet: build it with "
                "new.build(input_shape) before new.set_weights(layer.get_weights())",
                raises=(_Problem, ValueError), match="not built|expects 0 weight"),
        Mistake("the copy computes something else: copy the weights too, "
                "new.set_weights(layer.get_weights())",
                when=lambda got, kind, shape, seed: kind in ("dense", "no_bias")),
        Mistake("make the copy with the layer's own class, type(layer).from_config(config): "
                "not every layer is a Dense", raises=TypeError,
                match="required positional argument: 'units'|unexpected keyword argument"),
        Mistake("from_config takes the config dict itself: type(layer).from_config(config) "
                "(type(layer)(config) passes the dict as the first argument)",
                raises=(TypeError, ValueError), match="int\\(\\)|argument|units|rate|target"),
    ],
    steps="config = layer.get_config(); new = type(layer).from_config(config); "
          "new.build(input_shape); new.set_weights(layer.get_weights()); return new.")


def _out(kind, shape):
    return {"dense": (3,), "no_bias": (2,), "dropout": shape, "reshape": (2, 2)}[kind]


EXERCISES = [SIMPLE_DENSE, COMPUTE_SUM, COUNT, FUNCTIONAL, TWO_INPUTS, COPY]
