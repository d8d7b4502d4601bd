"""Checks of lesson 01 (tensors, axes, 'th' and 'tf'): exercises 1.1 to 1.8.

Each reference is plain NumPy; the mistake catalogues come from trying wrong answers
(the table in ``tests/lessons/answers_lesson01.py`` proves each hint is reached).

>>> import numpy as np
>>> EXERCISES[0].run(lambda images: np.stack(images)).passed
True
"""
from __future__ import annotations

import numpy as np

from .exercise import Case, Exercise, Mistake, Rule, Uses

_rng = np.random.default_rng(2024)


def _ints(*shape, low=0, high=10):
    return _rng.integers(low, high, size=shape)


# ---------------------------------------------------------------- 1.1 stack_batch
def stack_batch(images):
    return np.stack(images, axis=0)


def _stacked_on_later_axis(got, images):
    got = np.asarray(got)
    return any(got.shape == np.stack(images, axis=k).shape and
               np.array_equal(got, np.stack(images, axis=k))
               for k in range(1, np.ndim(images[0]) + 1))


STACK = Exercise(
    "1.1", "stack_batch", reference=stack_batch,
    cases=[Case([_ints(2, 3) for _ in range(3)], note="three grey 2x3 pictures"),
           Case([_ints(2, 4, 3) for _ in range(2)], note="two colour pictures"),
           Case([_ints(3, 3)], note="a batch of one")],
    mistakes=[
        Mistake("you glued the pictures end to end (np.concatenate or np.vstack), which "
                "makes one long picture. A batch needs a NEW first axis: np.stack",
                lambda images: np.concatenate(images, axis=0)),
        Mistake("you glued the pictures side by side (np.hstack or np.concatenate(..., "
                "axis=1)). A batch needs a NEW first axis: np.stack",
                lambda images: np.concatenate(images, axis=1)),
        Mistake("the new axis is not the first one: stack with axis=0, so that the shape "
                "is (n, rows, cols, ...)", when=_stacked_on_later_axis),
        Mistake("you reversed every axis (.T), so the batch axis moved to the end; it must "
                "stay first", lambda images: np.array(images).T),
        Mistake("that is one picture, not a batch of all of them",
                when=lambda got, images: np.shape(got) in (np.shape(images[0]),
                                                           (1, *np.shape(images[0])))
                and len(images) > 1),
    ],
    steps="np.stack(list_of_arrays, axis=0) puts the arrays one after the other along a new "
          "first axis.")


# ---------------------------------------------------------------- 1.2 row_means
def row_means(a):
    return a.mean(axis=1)


ROW_MEANS = Exercise(
    "1.2", "row_means", reference=row_means,
    cases=[Case(np.array([[1, 2, 3], [4, 5, 6]]), expected=np.array([2.0, 5.0])),
           Case(np.array([[1.0, 2.0, 4.0, 9.0]]), note="a single row"),
           Case(np.array([[3.0], [5.0], [7.0]]), note="a single column"),
           Case(_rng.normal(size=(4, 2))),
           Case(np.array([[1, 2], [4, 7]]), note="integers")],
    mistakes=[
        Mistake("those are the column means: axis=0 goes down the rows, giving one number per "
                "column. Average along axis=1 instead", lambda a: a.mean(axis=0)),
        Mistake("you added up each row but did not divide by how many numbers it holds",
                lambda a: a.sum(axis=1)),
        Mistake("you divided each row's sum by the number of ROWS (len(a) or a.shape[0]); a "
                "row holds a.shape[1] numbers", lambda a: a.sum(axis=1) / a.shape[0]),
        Mistake("right numbers, but the shape is (n, 1): leave keepdims out here, we want a "
                "vector of shape (n,)", lambda a: a.mean(axis=1, keepdims=True)),
        Mistake("that is the mean of the whole matrix: give an axis", lambda a: a.mean()),
        Mistake("that is the median of each row, not the mean", lambda a: np.median(a, axis=1)),
        Mistake("integer division (//) drops the fractions: divide with /",
                lambda a: a.sum(axis=1) // a.shape[1]),
    ],
    steps="a row is what you meet moving across the columns, which is axis 1: a.mean(axis=1).")


# ---------------------------------------------------------------- 1.3 k_sum
def k_sum(a, axis):
    return np.sum(a, axis=axis)


def _other_axis(a, axis):
    axis = axis % a.ndim
    return {0: 1, 1: 0}.get(axis, axis - 1)


K_SUM = Exercise(
    "1.3", "k_sum", reference=k_sum,
    cases=[Case(np.array([[1.0, 2.0], [3.0, 4.0]]), 0, expected=np.array([4.0, 6.0])),
           Case(np.array([[1.0, 2.0], [3.0, 4.0]]), 1, expected=np.array([3.0, 7.0])),
           Case(np.array([[1.0, 2.0, 3.0]]), 0, note="a size-1 axis"),
           Case(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), -1, note="a negative axis"),
           Case(_ints(2, 3, 4, low=-5, high=5).astype(float), 1, note="order 3")],
    mistakes=[
        Mistake("the axis argument was ignored: you summed every number",
                lambda a, axis: a.sum()),
        Mistake(lambda a, axis: f"you summed along axis {_other_axis(a, axis)}, not along "
                                f"axis {axis}",
                lambda a, axis: a.sum(axis=_other_axis(a, axis))),
        Mistake("keep the summed axis out of the result (no keepdims here)",
                lambda a, axis: a.sum(axis=axis, keepdims=True)),
        Mistake("that is the mean (K.mean); the exercise asks for the sum (K.sum)",
                lambda a, axis: a.mean(axis=axis)),
        Mistake("minikeras tensors have no .sum() method: write K.sum(tensor, axis=axis)",
                raises=AttributeError, match="object has no attribute 'sum'"),
    ],
    uses=Uses(ops=("sum",), runs=True,
              hint="the numbers are right, but this exercise is about minikeras: make a "
                   "K.variable, sum it with K.sum (which builds a graph node) and run the graph "
                   "with K.eval. np.sum gives the numbers without any graph"),
    steps="v = K.variable(a); t = K.sum(v, axis=axis) (a graph node, no numbers yet); "
          "return K.eval(t).")


# ---------------------------------------------------------------- 1.4 standardize_rows
def standardize_rows(a):
    centred = a - a.mean(axis=1)[:, None]
    return centred / np.sqrt((centred ** 2).mean(axis=1))[:, None]


def _kept(a):
    return a.mean(axis=1, keepdims=True), a.std(axis=1, keepdims=True)


STANDARDIZE = Exercise(
    "1.4", "standardize_rows", reference=standardize_rows,
    cases=[Case(np.array([[1.0, 2.0, 6.0], [2.0, 4.0, 9.0], [0.0, 10.0, 5.0]]),
                note="a square matrix"),
           Case(_rng.normal(3.0, 2.0, size=(2, 5)), note="a wide matrix"),
           Case(np.array([[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]]),
                expected=np.array([[-1.5, -0.5, -0.5, -0.5, 0.0, 0.0, 1.0, 2.0]]),
                note="one row (mean 5, std 2)"),
           Case(_rng.normal(-1.0, 5.0, size=(4, 3)), note="a tall matrix")],
    mistakes=[
        Mistake("the row statistics were lined up with the COLUMNS: a vector of shape (n,) "
                "broadcasts along the last axis. Use keepdims=True on both the mean and the "
                "std so they have shape (n, 1)",
                lambda a: (a - a.mean(axis=1)) / a.std(axis=1)),
        Mistake("keepdims=True is on the mean but not on the std: the std of shape (n,) lines "
                "up with the columns. Use keepdims=True on both",
                lambda a: (a - _kept(a)[0]) / a.std(axis=1)),
        Mistake("keepdims=True is on the std but not on the mean: the mean of shape (n,) "
                "lines up with the columns. Use keepdims=True on both",
                lambda a: (a - a.mean(axis=1)) / _kept(a)[1]),
        Mistake("you standardised the columns (axis=0); each ROW should get mean 0 and std 1",
                lambda a: (a - a.mean(axis=0)) / a.std(axis=0)),
        Mistake("each row has mean 0 now, but you still need to divide by the row's standard "
                "deviation", lambda a: a - _kept(a)[0]),
        Mistake("you used the mean and std of the whole matrix; compute them per row (axis=1)",
                lambda a: (a - a.mean()) / a.std()),
        Mistake("that is the sample standard deviation (ddof=1, dividing by m - 1). Here the "
                "std divides by m, the number of values in a row: NumPy's default, ddof=0",
                lambda a: (a - _kept(a)[0]) / a.std(axis=1, ddof=1, keepdims=True)),
        Mistake("you divided by the variance; the standard deviation is its square root",
                lambda a: (a - _kept(a)[0]) / a.var(axis=1, keepdims=True)),
        Mistake("operator precedence: a - mean / std divides only the mean. Write "
                "(a - mean) / std", lambda a: a - _kept(a)[0] / _kept(a)[1]),
        Mistake("the mean divides by the wrong count: a row holds a.shape[1] numbers, len(a) "
                "is the number of rows",
                lambda a: (a - a.sum(axis=1, keepdims=True) / len(a)) / _kept(a)[1]),
        Mistake("the standard deviation divides by the wrong count: average the squared "
                "deviations over the a.shape[1] numbers of a row, not over len(a) rows",
                lambda a: (a - _kept(a)[0]) / np.sqrt(
                    ((a - _kept(a)[0]) ** 2).sum(axis=1, keepdims=True) / len(a))),
    ],
    steps="mean = a.mean(axis=1, keepdims=True) and std = a.std(axis=1, keepdims=True) have "
          "shape (n, 1); return (a - mean) / std.")


# ---------------------------------------------------------------- 1.5 flatten_images
def flatten_images(x):
    return np.array([picture.ravel() for picture in x])


def _hard_coded_784(x):
    return (f"you wrote 784 (28 x 28) into the shape, but these pictures have shape "
            f"{x.shape[1:]}, {x[0].size} numbers each. Let reshape work it out: "
            "x.reshape(len(x), -1)")


FLATTEN = Exercise(
    "1.5", "flatten_images", reference=flatten_images,
    cases=[Case(_ints(3, 4, 5), note="three 4x5 pictures"),
           Case(_ints(2, 3, 4, 3), note="two colour pictures"),
           Case(_ints(2, 28, 28, high=256).astype(np.uint8), note="two 28x28 digits"),
           Case(_ints(2, 28, 28, 3, high=256).astype(np.uint8),
                note="two 28x28 colour pictures"),
           Case(_ints(1, 28, 28, high=256).astype(np.uint8), note="a batch of one")],
    mistakes=[
        Mistake("you flattened the whole batch into one long vector; keep the batch axis "
                "first: (n, features)", lambda x: x.reshape(-1)),
        Mistake("the shape is (features, n): the batch axis must come first, then the "
                "features", lambda x: x.reshape(-1, len(x))),
        Mistake("you read each picture column by column (a transpose before flattening); "
                "read it row by row: a plain reshape",
                lambda x: np.swapaxes(x, 1, 2).reshape(len(x), -1)),
        Mistake(_hard_coded_784, when=lambda got, x: x[0].size != 784 and
                np.shape(got) == (x.size // 784, 784)),
        Mistake(_hard_coded_784, raises=ValueError, match=r"into shape \(.*784\)"),
        Mistake(lambda x: f"the new shape does not hold the numbers: each picture here has "
                          f"shape {x.shape[1:]} ({x[0].size} numbers). Keep axis 0 and merge "
                          "ALL the others: x.reshape(len(x), -1)",
                raises=ValueError, match="cannot reshape"),
        Mistake("np.concatenate stacked the pictures on top of each other (one tall picture); "
                "keep one row per picture: x.reshape(len(x), -1)", lambda x: np.concatenate(x)),
    ],
    steps="keep axis 0 (len(x) pictures) and merge every other axis into one: "
          "x.reshape(len(x), -1).")


# ---------------------------------------------------------------- 1.6 th <-> tf
def th_to_tf(x):
    return np.moveaxis(x, 1, -1)


def tf_to_th(x):
    return np.moveaxis(x, -1, 1)


def _order_mistakes(target: str) -> list[Mistake]:
    good, other = ((0, 2, 3, 1), (0, 3, 1, 2)) if target == "tf" else \
        ((0, 3, 1, 2), (0, 2, 3, 1))
    return [
        Mistake("the shape is right but the numbers are scrambled: that is a reshape. Reshape "
                "never moves numbers; use a transpose (np.transpose or K.permute_dimensions)",
                lambda x: x.reshape(tuple(x.shape[i] for i in good))),
        Mistake("rows and columns are swapped (np.swapaxes(x, 1, 3) does this): keep rows "
                "before columns", lambda x: x.transpose(0, 3, 2, 1)),
        Mistake("that is the permutation for the OTHER direction", lambda x: x.transpose(other)),
        Mistake("you reversed every axis (x.T), which also moves the batch axis; axis 0 must "
                "stay first", lambda x: x.transpose()),
    ]


_TH = [_ints(*s, high=99) for s in [(2, 3, 4, 5), (1, 3, 2, 6), (2, 3, 3, 3)]]
_TF = [_ints(*s, high=99) for s in [(2, 4, 5, 3), (1, 2, 6, 3), (3, 5, 2, 1)]]
TH_TO_TF = Exercise("1.6a", "th_to_tf", reference=th_to_tf,
                    cases=[Case(x) for x in _TH], mistakes=_order_mistakes("tf"),
                    steps="the new order lists old axis numbers: (n, rows, cols, channels) are "
                          "old axes (0, 2, 3, 1); np.transpose(x, (0, 2, 3, 1)).")
TF_TO_TH = Exercise("1.6b", "tf_to_th", reference=tf_to_th,
                    cases=[Case(x) for x in _TF], mistakes=_order_mistakes("th"),
                    steps="the channels (old axis 3) move to position 1: "
                          "np.transpose(x, (0, 3, 1, 2)).")


# ---------------------------------------------------------------- 1.7 channel_means
def channel_means(x, data_format):
    axis = -1 if data_format in ("channels_last", "tf") else 1
    moved = np.moveaxis(x, axis, -1)
    return moved.reshape(-1, moved.shape[-1]).mean(axis=0)


def _last(data_format):
    return data_format in ("channels_last", "tf")


def _wrong_place(x, data_format):
    alias = (f" ('{data_format}' is the old name of "
             f"'{'channels_last' if _last(data_format) else 'channels_first'}')"
             if data_format in ("tf", "th") else "")
    return ("you looked for the channels in the wrong place" + alias + ": with channels_last "
            "they are the last axis, with channels_first axis 1. Use the data_format argument "
            "(not the global K.image_data_format())")


CHANNEL_MEANS = Exercise(
    "1.7", "channel_means", reference=channel_means,
    cases=[Case(_rng.normal(size=(2, 4, 5, 3)), "channels_last"),
           Case(_rng.normal(size=(2, 3, 4, 5)), "channels_first"),
           Case(_rng.normal(size=(2, 3, 4, 3)), "channels_last", note="3 rows and 3 channels"),
           Case(_rng.normal(size=(1, 6, 2, 3)), "tf", note="a batch of one"),
           Case(_rng.normal(size=(3, 2, 4, 4)), "th", note="two channels")],
    mistakes=[
        Mistake(_wrong_place, lambda x, f: x.mean(axis=(0, 2, 3) if _last(f) else (0, 1, 2))),
        Mistake("one mean per picture and channel: also average over the batch axis (axis 0)",
                lambda x, f: x.mean(axis=(1, 2) if _last(f) else (2, 3))),
        Mistake("you averaged ACROSS the channels (one number per pixel); average over every "
                "axis EXCEPT the channel axis", lambda x, f: x.mean(axis=3 if _last(f) else 1)),
        Mistake("x.reshape(-1, channels) only lines up the channels when they are the LAST "
                "axis; for channels_first average over the axes (0, 2, 3)",
                lambda x, f: x.reshape(-1, x.shape[1]).mean(axis=0) if not _last(f) else None),
        Mistake("not every batch has 3 channels: read the number from x.shape (or average "
                "over the other axes)",
                when=lambda got, x, f: np.shape(got) == (3,) and
                x.shape[-1 if _last(f) else 1] != 3),
    ],
    steps="channels_last (alias 'tf'): the channel axis is 3, average over (0, 1, 2); "
          "channels_first ('th'): axis 1, average over (0, 2, 3).")


# ---------------------------------------------------------------- 1.8 a Standardize layer
def standardize(x, axis, how=None):
    centred = x - x.mean(axis=axis, keepdims=True)
    return centred / np.sqrt((centred ** 2).mean(axis=axis, keepdims=True))


def _use_layer(cls, x, axis, how):
    """Call the learner's layer on an array, inside a model, or on a symbolic tensor."""
    from minikeras import backend as K
    from minikeras.layers import Input
    from minikeras.models import Sequential
    if how == "array":
        return np.asarray(cls(axis=axis)(x))
    if how == "model":
        model = Sequential([Input(shape=x.shape[1:]), cls(axis=axis)])
        return model.predict(x, verbose=0)
    slot = K.placeholder(shape=(None, *x.shape[1:]))
    out = cls(axis=axis)(slot)
    if not K.is_tensor(out):
        return out
    return K.function([slot], [out])([x])[0]


def _keeps_name(cls):
    layer = cls(axis=1, name="my_standardize")
    return layer.name == "my_standardize"


def _config_has_axis(cls):
    return cls(axis=1).get_config().get("axis") == 1


STANDARDIZE_LAYER = Exercise(
    "1.8", "class Standardize", reference=standardize, call=_use_layer, atol=1e-5, rtol=1e-4,
    cases=[Case(_rng.normal(2.0, 3.0, size=(3, 4)), -1, "array", note="called on an array"),
           Case(_rng.normal(size=(2, 3, 4)), 1, "array", note="axis=1 on an order-3 array"),
           Case(_rng.normal(size=(4, 4)), -1, "model", note="inside a Sequential model"),
           Case(_rng.normal(size=(2, 3, 5)), -1, "tensor", note="on a symbolic tensor")],
    mistakes=[
        Mistake("call() receives symbolic tensors (inside a model, and minikeras turns an array "
                "into one too), which NumPy functions cannot compute with: use K.mean and "
                "K.std", raises=(TypeError, AttributeError, ValueError),
                match=r"is symbolic|dimension 0|ufunc|no attribute '(mean|std|var|sum)'|"
                      r"convert object"),
        Mistake("the shapes do not broadcast: keep the reduced axis (keepdims=True) on both "
                "K.mean and K.std", raises=ValueError, match="do not broadcast"),
        Mistake("the axis argument is ignored: reduce along self.axis, not always the last "
                "axis", when=lambda got, x, axis, how: axis != -1 and np.allclose(
                    got, standardize(x, -1), atol=1e-5)),
        Mistake("you divided by the variance (K.var); divide by the standard deviation (K.std)",
                lambda x, axis, how: (x - x.mean(axis=axis, keepdims=True)) /
                x.var(axis=axis, keepdims=True)),
        Mistake("each sample must be standardised on its own: reduce along self.axis only, "
                "not over the whole batch", lambda x, axis, how: (x - x.mean()) / x.std()),
        Mistake("__init__ must call super().__init__(**kwargs) first: it sets up the layer's "
                "name, dtype and weights", raises=AttributeError, match="has no attribute"),
    ],
    rules=[
        Rule("Standardize(axis=1, name='my_standardize') failed or lost its name: accept "
             "**kwargs in __init__ and pass them to super().__init__(**kwargs)", _keeps_name),
        Rule("get_config() must include the axis, so that a saved model can re-create the "
             "layer: return {**super().get_config(), 'axis': self.axis}", _config_has_axis),
    ],
    steps="in __init__(self, axis=-1, **kwargs): super().__init__(**kwargs); self.axis = axis. "
          "In call(self, inputs): mean = K.mean(inputs, axis=self.axis, keepdims=True), the "
          "same with K.std, return (inputs - mean) / std. get_config adds 'axis'.")


EXERCISES = [STACK, ROW_MEANS, K_SUM, STANDARDIZE, FLATTEN, TH_TO_TF, TF_TO_TH, CHANNEL_MEANS,
             STANDARDIZE_LAYER]
