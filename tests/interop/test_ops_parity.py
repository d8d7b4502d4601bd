"""``minikeras.ops`` against real ``keras.ops`` (issue 18, items 1 and 2): the same calls
give the same values and the same dtypes (Keras 3 on PyTorch)."""
import keras
import numpy as np
import pytest

import minikeras as mk

X = np.arange(12.0, dtype="float32").reshape(3, 4) - 5.0
I32 = np.array([1, 2, 3, 4], dtype="int32")
B = np.array([True, False, True, True])
IMAGES = np.random.default_rng(0).normal(size=(2, 6, 5, 3)).astype("float32")
KERNEL = np.random.default_rng(1).normal(size=(3, 2, 3, 4)).astype("float32")
DEPTHWISE = np.random.default_rng(2).normal(size=(3, 3, 3, 2)).astype("float32")
POINTWISE = np.random.default_rng(3).normal(size=(1, 1, 6, 4)).astype("float32")

CALLS = {
    # item 1: the dtypes of reductions and arithmetic
    "mean_bool": lambda o: o.mean(B),
    "var_bool": lambda o: o.var(B),
    "std_bool": lambda o: o.std(B),
    "sum_bool": lambda o: o.sum(B),
    "prod_bool": lambda o: o.prod(B),
    "max_bool": lambda o: o.max(B),
    "mean_int": lambda o: o.mean(I32),
    "var_int": lambda o: o.var(I32),
    "sum_int": lambda o: o.sum(I32),
    "sum_uint8": lambda o: o.sum(np.array([200, 100], "uint8")),
    "int_times_half": lambda o: o.multiply(I32, 0.5),
    "int_plus_half": lambda o: o.add(I32, 0.5),
    "int_times_2": lambda o: o.multiply(I32, 2),
    "int_div_2": lambda o: o.divide(I32, 2),
    "int_div_int": lambda o: o.divide(I32, I32),
    "int64_div_int64": lambda o: o.divide(I32.astype("int64"), I32.astype("int64")),
    "int64_plus_float32": lambda o: o.add(I32.astype("int64"), X[0]),
    "int32_plus_int64": lambda o: o.add(I32, I32.astype("int64")),
    "clip_int_float": lambda o: o.clip(I32, 0.5, 2.5),
    "clip_int_int": lambda o: o.clip(I32, 1, 2),
    "bool_times_2": lambda o: o.multiply(B, 2),
    "bool_times_2.5": lambda o: o.multiply(B, 2.5),
    "bool_or": lambda o: o.add(B, B),
    "square_bool": lambda o: o.square(B),
    "sqrt_int": lambda o: o.sqrt(I32),
    "exp_int": lambda o: o.exp(I32),
    "log_int": lambda o: o.log(I32),
    "tanh_int": lambda o: o.tanh(I32),
    "sigmoid_int": lambda o: o.sigmoid(I32),
    "relu_int": lambda o: o.relu(I32 - 2),
    "maximum_int_half": lambda o: o.maximum(I32, 2.5),
    "maximum_int_int": lambda o: o.maximum(I32, 2),
    "power_int_half": lambda o: o.power(I32, 0.5),
    "power_int_2": lambda o: o.power(I32, 2),
    "equal_int_2.5": lambda o: o.equal(I32, 2.5),
    "where_ints": lambda o: o.where(B, 1, 0),
    "where_float": lambda o: o.where(B, 1.0, 0),
    "norm_int": lambda o: o.norm(I32),
    "cumsum_bool": lambda o: o.cumsum(B),
    "argmax_bool": lambda o: o.argmax(B),
    "floor_int": lambda o: o.floor(I32),
    # item 2: the functions Keras 3 programs call
    "ones": lambda o: o.ones((2, 3)),
    "zeros_int": lambda o: o.zeros((2,), dtype="int32"),
    "full": lambda o: o.full((2,), 3),
    "arange": lambda o: o.arange(3),
    "arange_float": lambda o: o.arange(0.0, 1.0, 0.25),
    "linspace": lambda o: o.linspace(0, 1, 5),
    "eye": lambda o: o.eye(3, k=1),
    "identity": lambda o: o.identity(2),
    "convert_ints": lambda o: o.convert_to_tensor([1, 2]),
    "convert_floats": lambda o: o.convert_to_tensor([1.0, 2]),
    "cast": lambda o: o.cast(X, "int32"),
    "one_hot": lambda o: o.one_hot(np.array([0, 2, 1]), 3),
    "one_hot_axis0": lambda o: o.one_hot(np.array([0, 2]), 3, axis=0),
    "multi_hot": lambda o: o.multi_hot(np.array([[0, 2], [1, 1]]), 3),
    "matmul": lambda o: o.matmul(X, X.T),
    "dot": lambda o: o.dot(X, X.T),
    "sum_axis": lambda o: o.sum(X, axis=0),
    "mean_keepdims": lambda o: o.mean(X, axis=1, keepdims=True),
    "max": lambda o: o.max(X),
    "min_axis": lambda o: o.min(X, axis=1),
    "exp": lambda o: o.exp(X / 10),
    "log": lambda o: o.log(X + 6),
    "sqrt": lambda o: o.sqrt(X + 6),
    "square": lambda o: o.square(X),
    "abs": lambda o: o.abs(X),
    "sin": lambda o: o.sin(X),
    "cos": lambda o: o.cos(X),
    "where": lambda o: o.where(X > 0, X, -1.0),
    "stack": lambda o: o.stack([X, X], axis=1),
    "concatenate": lambda o: o.concatenate([X, X]),
    "concatenate_last": lambda o: o.concatenate([X, X], axis=-1),
    "reshape": lambda o: o.reshape(X, (2, -1)),
    "transpose": lambda o: o.transpose(X),
    "transpose_axes": lambda o: o.transpose(X[None], (2, 0, 1)),
    "expand_dims": lambda o: o.expand_dims(X, 1),
    "squeeze_all": lambda o: o.squeeze(X[None, :, None]),
    "softmax": lambda o: o.softmax(X),
    "softmax_axis0": lambda o: o.softmax(X, axis=0),
    "log_softmax": lambda o: o.log_softmax(X),
    "relu": lambda o: o.relu(X),
    "sigmoid": lambda o: o.sigmoid(X),
    "gelu_default": lambda o: o.gelu(X / 3),
    "gelu_exact": lambda o: o.gelu(X / 3, approximate=False),
    "silu": lambda o: o.silu(X / 3),
    "leaky_relu": lambda o: o.leaky_relu(X),
    "elu": lambda o: o.elu(X / 3),
    "argmax_flat": lambda o: o.argmax(X),
    "argmax_axis": lambda o: o.argmax(X, axis=1),
    "argmin_keepdims": lambda o: o.argmin(X, axis=0, keepdims=True),
    "top_k_values": lambda o: o.top_k(np.array([[1.0, 9.0, 4.0, 7.0]], "float32"), 2)[0],
    "top_k_indices": lambda o: o.top_k(np.array([[1.0, 9.0, 4.0, 7.0]], "float32"), 2)[1],
    "in_top_k": lambda o: o.in_top_k(np.array([1, 0]), np.array([[0.1, 0.5, 0.4],
                                                                 [0.1, 0.5, 0.4]]), 2),
    "norm": lambda o: o.norm(X),
    "norm_axis": lambda o: o.norm(X, axis=1),
    "norm_ord1": lambda o: o.norm(X, ord=1, axis=0),
    "logsumexp": lambda o: o.logsumexp(X, axis=1),
    "cumsum": lambda o: o.cumsum(X, axis=1),
    "sort": lambda o: o.sort(-X, axis=0),
    "argsort": lambda o: o.argsort(np.array([3.0, 1.0, 2.0])),
    "flip": lambda o: o.flip(X, 1),
    "tile": lambda o: o.tile(X[0], (2, 2)),
    "repeat": lambda o: o.repeat(X, 2, axis=0),
    "take": lambda o: o.take(X, np.array([0, 2]), axis=1),
    "take_along_axis": lambda o: o.take_along_axis(X, np.array([[3], [0], [1]]), axis=1),
    "broadcast_to": lambda o: o.broadcast_to(X[0], (2, 4)),
    "pad": lambda o: o.pad(X, ((1, 0), (0, 2))),
    "tril": lambda o: o.tril(X),
    "clip": lambda o: o.clip(X, -2, 2),
    "binary_crossentropy": lambda o: o.binary_crossentropy(np.array([1.0, 0.0]),
                                                           np.array([0.9, 0.2])),
    "categorical_crossentropy": lambda o: o.categorical_crossentropy(
        np.array([[0.0, 1.0]]), np.array([[0.3, 0.7]])),
    "sparse_ce_logits": lambda o: o.sparse_categorical_crossentropy(
        np.array([1]), np.array([[0.5, 2.0]]), from_logits=True),
    "normalize": lambda o: o.normalize(X),
    "moments_var": lambda o: o.moments(X, axes=[0])[1],
    "split": lambda o: o.split(X, 2, axis=1)[1],
    "shape": lambda o: np.array(o.shape(X)),
    "count_nonzero": lambda o: o.count_nonzero(X),
    "any": lambda o: o.any(X > 5),
    "round": lambda o: o.round(X / 4),
    "mod": lambda o: o.mod(X, 3.0),
    "floor_divide": lambda o: o.floor_divide(X, 3.0),
    "erf": lambda o: o.erf(X / 4),
    # ops.nn's convolutions and pooling, Keras 3's argument order
    "conv_valid": lambda o: o.conv(IMAGES, KERNEL),
    "conv_same_strided": lambda o: o.conv(IMAGES, KERNEL, strides=2, padding="same"),
    "conv_dilated": lambda o: o.conv(IMAGES, KERNEL, padding="same", dilation_rate=2),
    "conv_channels_first": lambda o: o.conv(IMAGES.transpose(0, 3, 1, 2), KERNEL,
                                            data_format="channels_first"),
    "depthwise_conv": lambda o: o.depthwise_conv(IMAGES, DEPTHWISE, padding="same"),
    "separable_conv": lambda o: o.separable_conv(IMAGES, DEPTHWISE, POINTWISE, strides=2),
    "max_pool": lambda o: o.max_pool(IMAGES, 2),
    "max_pool_same": lambda o: o.max_pool(IMAGES, (3, 2), strides=1, padding="same"),
    "average_pool_same": lambda o: o.average_pool(IMAGES, 2, padding="same"),
}


def _numpy(value):
    return np.asarray(keras.ops.convert_to_numpy(value))


@pytest.mark.parametrize("name", sorted(CALLS))
def test_same_value_and_dtype_as_keras(name):
    want = _numpy(CALLS[name](keras.ops))
    got = np.asarray(CALLS[name](mk.ops))
    assert got.dtype == want.dtype, f"{name}: dtype {got.dtype}, Keras gives {want.dtype}"
    assert got.shape == want.shape
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64),
                               rtol=2e-6, atol=2e-6)


def test_k_mean_of_a_boolean_is_kerass_mean():
    """The reported bug, through K (Keras 2's backend names)."""
    K = mk.backend
    got = K.eval(K.mean(K.variable([1, 0, 1, 1]) > 0.5))
    want = _numpy(keras.ops.mean(keras.ops.convert_to_tensor([1, 0, 1, 1]) > 0.5))
    assert float(got) == float(want) == 0.75
