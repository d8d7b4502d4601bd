"""Bad input is a clear error: it names the argument (or layer), what is expected, what
was given, and the learner's line. Issue 10, items 16-18 (and NumPy 2's __array__).

"The learner's line" is checked by the source text of the call appearing in the message:
the errors point at the line in this file that made the mistake.
"""
import numpy as np
import pytest

import minikeras as mk
from minikeras.layers import (
    Add,
    Concatenate,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Input,
    Multiply,
    Reshape,
    Subtract,
)

K = mk.backend
X = np.ones((8, 3), "float32")
Y = np.ones((8, 2), "float32")


def _model(loss="mse"):
    model = mk.Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    model.compile("sgd", loss)
    return model


def _two_outputs():
    a = Input((3,), name="a")
    h = Dense(4)(a)
    model = mk.Model(a, [Dense(2, name="o1")(h), Dense(1, name="o2")(h)])
    model.compile("sgd", "mse")
    return model


def _message(info) -> str:
    return str(info.value)


# ---- item 16: the training API ----
def test_fit_on_zero_samples_is_an_error_not_a_loss_of_zero():
    with pytest.raises(ValueError) as info:
        _model().fit(X[:0], Y[:0], verbose=0)
    assert "0 samples" in _message(info) and "_model().fit(X[:0]" in _message(info)


def test_evaluate_on_zero_samples_is_an_error_not_a_loss_of_zero():
    with pytest.raises(ValueError) as info:
        _model().evaluate(X[:0], Y[:0], verbose=0)
    assert "0 samples" in _message(info) and "evaluate" in _message(info)


def test_validation_data_of_zero_samples_is_an_error():
    with pytest.raises(ValueError, match="validation_data\\[0\\] with 0 samples"):
        _model().fit(X, Y, validation_data=(X[:0], Y[:0]), verbose=0)


def test_predict_on_zero_samples_gives_zero_rows():
    assert _model().predict(X[:0], verbose=0).shape == (0, 2)


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
@pytest.mark.parametrize("value", [0, -3, 2.5, 32.0, "32", True])
def test_batch_size_must_be_a_whole_number_of_at_least_one(method, value):
    model = _model()
    call = {"fit": lambda: model.fit(X, Y, batch_size=value, verbose=0),
            "evaluate": lambda: model.evaluate(X, Y, batch_size=value, verbose=0),
            "predict": lambda: model.predict(X, batch_size=value, verbose=0)}[method]
    with pytest.raises(ValueError) as info:
        call()
    message = _message(info)
    assert "batch_size must be a whole number >= 1" in message and repr(value) in message
    assert "batch_size=value" in message  # the learner's line


@pytest.mark.parametrize("argument, value", [
    ("epochs", 2.0), ("epochs", -1), ("initial_epoch", 0.5), ("validation_freq", 0),
    ("validation_batch_size", 0)])
def test_counts_given_to_fit_must_be_whole_numbers(argument, value):
    with pytest.raises(ValueError) as info:
        _model().fit(X, Y, validation_split=0.25, verbose=0, **{argument: value})
    assert f"{argument} must be a whole number" in _message(info)
    assert repr(value) in _message(info)


@pytest.mark.parametrize("value", ["loud", 3, -1, 1.0, None])
def test_verbose_must_be_auto_0_1_or_2(value):
    for call in (lambda m: m.fit(X, Y, verbose=value), lambda m: m.evaluate(X, Y, verbose=value),
                 lambda m: m.predict(X, verbose=value)):
        with pytest.raises(ValueError) as info:
            call(_model())
        assert "verbose must be 'auto', 0" in _message(info) and repr(value) in _message(info)


@pytest.mark.parametrize("rate", ["half", None, [0.5], True, 1.0, -0.1])
def test_dropout_rate_must_be_a_number_in_0_1(rate):
    with pytest.raises(ValueError) as info:
        Dropout(rate)
    message = _message(info)
    assert 'layer "dropout' in message and "rate must be in [0, 1)" in message
    assert repr(rate) in message and "Dropout(rate)" in message


@pytest.mark.parametrize("validation_data", [(X,), (X, Y, Y), X, "data"])
def test_validation_data_must_be_a_pair(validation_data):
    with pytest.raises(ValueError) as info:
        _model().fit(X, Y, validation_data=validation_data, verbose=0)
    assert "validation_data must be a tuple (x_val, y_val)" in _message(info)


@pytest.mark.parametrize("x", [5.0, np.float32(2.0), np.array(1.0)])
def test_predict_of_a_single_number_is_an_error(x):
    with pytest.raises(ValueError) as info:
        _model().predict(x, verbose=0)
    assert "one row per sample" in _message(info) and "predict(x" in _message(info)


def test_a_ragged_list_of_inputs_is_an_error_naming_x():
    with pytest.raises(ValueError) as info:
        _model().fit([[1, 2, 3], [1, 2]], Y[:2], verbose=0)
    assert "x is a ragged list" in _message(info)


def test_a_ragged_list_of_targets_is_an_error_naming_y():
    with pytest.raises(ValueError) as info:
        _model().fit(X[:2], [[1, 2], [1]], verbose=0)
    assert "y is a ragged list" in _message(info)


def test_a_target_dict_missing_an_output_is_an_error():
    with pytest.raises(ValueError) as info:
        _two_outputs().fit(X, {"o1": Y}, verbose=0)
    message = _message(info)
    assert "no entry for ['o2']" in message and "['o1', 'o2']" in message


def test_a_target_dict_with_an_unknown_output_is_an_error():
    with pytest.raises(ValueError, match="unknown outputs \\['o3'\\]"):
        _two_outputs().fit(X, {"o1": Y, "o2": Y[:, :1], "o3": Y}, verbose=0)


def test_more_target_arrays_than_outputs_is_an_error():
    with pytest.raises(ValueError) as info:
        _two_outputs().fit(X, [Y, Y[:, :1], Y], verbose=0)
    assert "2 output(s)" in _message(info) and "3 target arrays" in _message(info)


def test_fewer_target_arrays_than_outputs_is_an_error():
    with pytest.raises(ValueError, match="3 output|1 target array"):
        _two_outputs().evaluate(X, [Y], verbose=0)


def test_unsupported_step_arguments_are_refused_not_ignored():
    with pytest.raises(NotImplementedError, match="steps_per_epoch"):
        _model().fit(X, Y, steps_per_epoch=2, verbose=0)


# ---- item 17: negative ids are errors, not the last class or row ----
def test_a_negative_class_id_in_sparse_targets_is_an_error_naming_the_output():
    model = mk.Sequential([Dense(5, activation="softmax", input_shape=(3,))])
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError) as info:
        model.fit(X[:3], np.array([1, -1, 2]), verbose=0)
    message = _message(info)
    assert '"dense' in message and "sparse_categorical_crossentropy" in message
    assert "-1" in message and "0..4" in message and "model.fit(X[:3]" in message
    with pytest.raises(ValueError, match="hold 5 at position \\[1\\]; valid ids"):
        model.evaluate(X[:2], np.array([0, 5]), verbose=0)


def test_a_negative_class_id_in_the_sparse_crossentropy_itself_is_an_error():
    """The graph checks too (a learner's own training loop never passes through fit)."""
    target = K.placeholder(shape=(None,), dtype="int64")
    logits = K.placeholder(shape=(None, 4))
    loss = K.sparse_categorical_crossentropy(target, logits, from_logits=True)
    f = K.function([target, logits], [loss])
    np.testing.assert_allclose(f([np.array([3]), np.zeros((1, 4), "float32")])[0],
                               [np.log(4)], rtol=1e-6)
    with pytest.raises(RuntimeError) as info:
        f([np.array([0, -1]), np.zeros((2, 4), "float32")])
    message = _message(info)
    assert "sparse_categorical_crossentropy" in message and "got id -1" in message
    assert "valid ids are 0..3" in message


@pytest.mark.parametrize("bad", [-1, 10])
def test_an_embedding_id_out_of_range_is_an_error_naming_the_layer(bad):
    model = mk.Sequential([Embedding(10, 3, input_length=4, name="words"), Flatten(),
                           Dense(2)])
    model.compile("sgd", "mse")
    ids = np.array([[1, 2, 3, 4], [0, bad, 2, 3]])
    with pytest.raises(RuntimeError) as info:
        model.predict(ids, verbose=0)
    message = _message(info)
    assert 'layer "words"' in message and f"got id {bad} at position [1, 1]" in message
    assert "valid ids are 0..9" in message
    with pytest.raises(RuntimeError, match=f"got id {bad}"):
        model.fit(ids, np.zeros((2, 2)), verbose=0)


def test_embedding_ids_in_range_still_gather_their_rows():
    emb = Embedding(4, 2, embeddings_initializer="zeros")
    emb(np.zeros((1, 3), "int64"))
    emb.set_weights([np.arange(8.0).reshape(4, 2)])
    np.testing.assert_array_equal(emb(np.array([[3, 0, 3]])), [[[6, 7], [0, 1], [6, 7]]])


# ---- item 18: merge layers and Reshape point at the learner's line ----
@pytest.mark.parametrize("make, expected", [
    (lambda: Add()([Input((3,)), Input((4,))]), "cannot combine inputs of shapes (None, 3)"),
    (lambda: Multiply()([Input((2,)), Input((5,))]), "cannot combine"),
    (lambda: Subtract()([Input((2,)), Input((2,)), Input((2,))]), "needs exactly 2 inputs"),
    (lambda: Add()([Input((2,))]), "needs at least 2 inputs"),
    (lambda: Add()(Input((2,))), "must be called on a list of tensors, got one tensor"),
    (lambda: Concatenate()([Input((2, 3)), Input((4, 3))]), "match except along axis -1"),
    (lambda: Reshape((5,))(Input((3,))), "cannot reshape a sample of shape (3,)"),
    (lambda: Reshape((-1, 2))(Input((None, 3))), "cannot infer -1"),
], ids=["add", "multiply", "subtract", "one_input", "not_a_list", "concatenate", "reshape",
        "reshape_unknown"])
def test_merge_and_reshape_errors_name_the_layer_shapes_and_line(make, expected):
    with pytest.raises(ValueError) as info:
        make()
    message = _message(info)
    assert 'layer "' in message and expected in message
    assert f"{__file__}" in message and "lambda: " in message  # the learner's line


# ---- NumPy 2's __array__(dtype, copy) ----
def test_np_array_of_a_variable_is_a_copy_of_its_value():
    v = K.variable([1.0, 2.0])
    a = np.array(v)
    b = np.asarray(v, dtype="float64")
    a[0] = 9.0
    np.testing.assert_array_equal(K.get_value(v), [1.0, 2.0])
    assert b.dtype == np.float64 and b.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="copy=False"):
        np.asarray(v, copy=False)


def test_np_array_of_a_constant_is_its_value():
    c = K.constant([[1.0, 2.0]])
    np.testing.assert_array_equal(np.asarray(c), [[1.0, 2.0]])
    assert np.array(c, copy=True).flags.writeable


def test_np_array_of_a_symbolic_tensor_is_a_clear_error_not_an_object_array():
    x = K.placeholder(shape=(None, 2), name="pixels")
    for tensor in (x, K.tanh(x)):
        with pytest.raises(TypeError, match="symbolic"):
            np.array(tensor)
    assert isinstance(np.ones(2, "float32") * K.tanh(x), mk.tensor.Tensor)  # still defers
