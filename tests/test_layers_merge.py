"""Merge layers: elementwise joins and Concatenate, as layers and as functions."""
import numpy as np
import pytest

import minikeras.backend as K
from minikeras.layers import (
    Add,
    Average,
    Concatenate,
    Dense,
    Input,
    Masking,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from minikeras.models import Model

A = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
B = np.array([[2.0, 2.0, -3.0], [0.5, -4.0, 5.0]])
C = np.array([[-1.0, 0.0, 6.0], [3.0, 1.0, 1.0]])


def test_add():
    np.testing.assert_array_equal(Add()([A, B]), [[3, 0, 0], [1, 0, 4]])
    np.testing.assert_array_equal(Add()([A, B, C]), [[2, 0, 6], [4, 1, 5]])


def test_subtract():
    np.testing.assert_array_equal(Subtract()([A, B]), [[-1, -4, 6], [0, 8, -6]])
    np.testing.assert_array_equal(Subtract()([B, A]), [[1, 4, -6], [0, -8, 6]])


def test_multiply():
    np.testing.assert_array_equal(Multiply()([A, B]), [[2, -4, -9], [0.25, -16, -5]])
    np.testing.assert_array_equal(Multiply()([A, B, C]), [[-2, 0, -54], [0.75, -16, -5]])


def test_average():
    np.testing.assert_allclose(Average()([A, B]), [[1.5, 0, 0], [0.5, 0, 2]])
    np.testing.assert_allclose(Average()([A, B, C]), [[2 / 3, 0, 2], [4 / 3, 1 / 3, 5 / 3]],
                               rtol=1e-6)


def test_maximum_and_minimum():
    np.testing.assert_array_equal(Maximum()([A, B]), [[2, 2, 3], [0.5, 4, 5]])
    np.testing.assert_array_equal(Minimum()([A, B]), [[1, -2, -3], [0.5, -4, -1]])
    np.testing.assert_array_equal(Maximum()([A, B, C]), [[2, 2, 6], [3, 4, 5]])
    np.testing.assert_array_equal(Minimum()([A, B, C]), [[-1, -2, -3], [0.5, -4, -1]])


def test_concatenate_last_axis_and_other_axes():
    np.testing.assert_array_equal(Concatenate()([A, B]), np.hstack([A, B]))
    x = np.arange(12, dtype="float32").reshape(1, 3, 4)
    y = np.arange(100, 108, dtype="float32").reshape(1, 2, 4)
    out = Concatenate(axis=1)([x, y])
    assert out.shape == (1, 5, 4)
    np.testing.assert_array_equal(out[0, 3], [100, 101, 102, 103])
    np.testing.assert_array_equal(out, np.concatenate([x, y], axis=1))
    z = np.ones((1, 3, 1))
    np.testing.assert_array_equal(Concatenate(axis=-1)([x, z])[0, 2], [8, 9, 10, 11, 1])
    assert Concatenate(axis=1)([Input(shape=(3, 4)), Input(shape=(2, 4))]).shape == \
        (None, 5, 4)
    assert Concatenate(axis=2).get_config()["axis"] == 2


def test_functional_helpers_in_a_model():
    a, b, c = Input(shape=(3,)), Input(shape=(3,)), Input(shape=(3,))
    outs = [add([a, b]), subtract([a, b]), multiply([a, b, c]), average([a, b]),
            maximum([a, c]), minimum([b, c]), concatenate([a, c], axis=-1)]
    model = Model([a, b, c], outs)
    got = model.predict([A, B, C], verbose=0)
    expected = [A + B, A - B, A * B * C, (A + B) / 2, np.maximum(A, C), np.minimum(B, C),
                np.concatenate([A, C], axis=-1)]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-6)
    assert [type(layer).__name__ for layer in model.layers[3:]] == \
        ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"]


def test_merge_of_dense_branches_matches_numpy():
    x = Input(shape=(2,))
    left, right = Dense(3, name="left"), Dense(3, name="right")
    model = Model(x, Add()([left(x), right(x)]))
    data = np.array([[1.0, 2.0], [-1.0, 0.5]])
    wl, bl = left.get_weights()
    wr, br = right.get_weights()
    np.testing.assert_allclose(model.predict(data, verbose=0),
                               data @ wl + bl + data @ wr + br, rtol=1e-5)


def test_wrong_number_of_inputs():
    with pytest.raises(ValueError, match=r'"sub2" needs exactly 2 inputs, got 3'):
        Subtract(name="sub2")([A, B, C])
    with pytest.raises(ValueError, match=r'"sub1" needs exactly 2 inputs, got 1'):
        Subtract(name="sub1")([A])
    with pytest.raises(ValueError, match=r'"add1" needs at least 2 inputs, got 1'):
        Add(name="add1")([A])
    with pytest.raises(ValueError, match=r'"add_not_list" must be called on a list'):
        Add(name="add_not_list")(A)
    with pytest.raises(ValueError, match="must be called on a list"):
        Add()(Input(shape=(3,)))


def test_incompatible_shapes_are_reported():
    with pytest.raises(ValueError) as info:
        Add(name="add_bad")([Input(shape=(2,)), Input(shape=(3,))])
    message = str(info.value)
    assert '"add_bad"' in message and "(None, 2)" in message and "(None, 3)" in message
    with pytest.raises(ValueError) as info:
        Concatenate(axis=1, name="cat_bad")([np.ones((1, 2, 3)), np.ones((1, 3, 4))])
    message = str(info.value)
    assert '"cat_bad"' in message and "axis 1" in message
    assert "(1, 2, 3)" in message and "(1, 3, 4)" in message
    with pytest.raises(ValueError, match="cat_ndim"):
        Concatenate(name="cat_ndim")([np.ones((1, 2)), np.ones((1, 2, 2))])


def test_masks_are_combined_with_and():
    a, b = Input(shape=(3, 1)), Input(shape=(3, 1))
    out = Add()([Masking(0.0)(a), Masking(0.0)(b)])
    f = K.function([a, b], [out, out._keras_mask])
    xa = np.array([[[1.0], [0.0], [2.0]]])
    xb = np.array([[[3.0], [4.0], [0.0]]])
    values, mask = f([xa, xb])
    np.testing.assert_array_equal(values, [[[4.0], [4.0], [2.0]]])
    np.testing.assert_array_equal(mask, [[True, False, False]])


@pytest.mark.parametrize("cls", [Add, Subtract, Multiply, Average, Maximum, Minimum,
                                 Concatenate])
def test_config_roundtrip(cls):
    layer = cls(name=f"merge_{cls.__name__.lower()}")
    config = layer.get_config()
    clone = cls.from_config(config)
    assert clone.get_config() == config and type(clone) is cls
