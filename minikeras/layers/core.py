"""Core layers: Input, Dense, Activation, Dropout, Flatten, Reshape, Permute,
RepeatVector and Masking (Embedding and Lambda have files of their own).

The seed's MNIST model is built from three of them:

>>> from minikeras.models import Sequential
>>> model = Sequential()
>>> model.add(Dense(500, input_shape=(784,)))   # (None, 784) -> (None, 500)
>>> model.add(Activation('tanh'))
>>> model.add(Dropout(0.5))
>>> model.output_shape
(None, 500)
"""
from __future__ import annotations

import math

import numpy as np

from minikeras import activations, config, constraints, initializers, ops, regularizers
from minikeras import backend as K
from minikeras.layers.base import InputSpec, Layer, Node
from minikeras.tensor import Origin, format_shape


class InputLayer(Layer):
    """The entry point of a model: holds the placeholder that data is fed to.

    Usually made by ``Input(...)``; a Sequential model makes one from its first layer's
    ``input_shape``.

    Args:
        shape: the shape of one sample, without the batch axis, e.g. ``(784,)``.
        batch_size: a fixed batch size, or None (any).
        dtype: the dtype of the data fed, defaults to floatx ('float32').
        name: the layer's (and the placeholder's) name.
        batch_shape: the full shape, batch axis included, instead of ``shape``.
        input_shape, batch_input_shape: Keras 2 spellings of ``shape`` and
            ``batch_shape``.

    Input shape:
        None: data is fed to it when the model runs.

    Output shape:
        ``batch_shape``, e.g. ``(None, 784)``.

    Example:

    >>> layer = InputLayer(shape=(784,))
    >>> layer.output.shape
    (None, 784)
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None,
                 batch_shape=None, input_shape=None, batch_input_shape=None, **kwargs):
        shape = shape if shape is not None else input_shape
        batch_shape = batch_shape or batch_input_shape
        if batch_shape is None:
            if shape is None:
                raise ValueError("an Input needs a shape, e.g. Input(shape=(784,))")
            batch_shape = (batch_size, *tuple(shape))
        super().__init__(name=name, dtype=dtype, **kwargs)
        self._batch_input_shape = tuple(batch_shape)
        self.built = True
        placeholder = K.placeholder(shape=batch_shape, dtype=self.dtype, name=self.name)
        placeholder._keras_history = (self, 0, 0)
        placeholder._keras_mask = None
        self._inbound_nodes.append(Node(self, [], placeholder, {}))

    def get_config(self) -> dict:
        return {"batch_shape": list(self._batch_input_shape), "dtype": self.dtype,
                "name": self.name}


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None):
    """A symbolic input tensor for a functional model (Keras's ``keras.Input``).

    Args:
        shape: the shape of one sample, without the batch axis, e.g. ``(28, 28)``.
        batch_size: a fixed batch size, or None (any).
        name: the name of its InputLayer.
        dtype: the dtype of the data it will be fed, defaults to floatx.
        batch_shape: the full shape, batch axis included, instead of ``shape``.

    Returns:
        The placeholder tensor of a new ``InputLayer``, of shape ``(batch_size, *shape)``.

    Example:

    >>> x = Input(shape=(28, 28))
    >>> x.shape
    (None, 28, 28)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, name=name, dtype=dtype,
                       batch_shape=batch_shape)
    return layer.output


class Dense(Layer):
    """A fully connected layer: ``activation(dot(inputs, kernel) + bias)``.

    kernel has shape (input_dim, units), as in Keras, so weights move between the two
    unchanged. Inputs of order > 2 are multiplied along their last axis.

    Args:
        units: a positive integer, the size of the output's last axis.
        activation: an activation's name or function (default: none, linear).
        use_bias: whether to add a bias vector, defaults to True.
        kernel_initializer: how the kernel starts, defaults to 'glorot_uniform'.
        bias_initializer: how the bias starts, defaults to 'zeros'.
        kernel_regularizer, bias_regularizer: penalties on the weights added to the loss
            (e.g. ``regularizers.L2(0.01)``), default None.
        activity_regularizer: a penalty on the layer's output, default None.
        kernel_constraint, bias_constraint: what the weights must satisfy after every
            update (e.g. ``'max_norm'``, ``constraints.NonNeg()``), default None.
        **kwargs: the base layer's arguments (``name``, ``dtype``, ``trainable``,
            ``input_shape``, ``input_dim``).

    Input shape:
        N-D tensor with shape ``(batch_size, ..., input_dim)``, usually
        ``(batch_size, input_dim)``.

    Output shape:
        N-D tensor with shape ``(batch_size, ..., units)``.

    Example:

    >>> import numpy as np
    >>> layer = Dense(2, kernel_initializer='ones', bias_initializer='zeros')
    >>> layer(np.array([[1.0, 2.0, 3.0]]))
    Array([[6., 6.]], dtype=float32)
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"Dense needs a positive number of units, got {units}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True  # per timestep: a mask passes through (Keras 3)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f'layer "{self.name}": the last axis of its input must have a '
                             f"known size, got {format_shape(input_shape)}")
        self.kernel = self.add_weight("kernel", (input_dim, self.units),
                                      self.kernel_initializer, self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                    self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs):
        if np.dtype(inputs.dtype).kind in "biu":  # integer data: compute in the layer's dtype
            inputs = ops.cast(inputs, self.dtype)
        outputs = K.dot(inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        outputs = self.activation(outputs)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(outputs))
        return outputs

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}


class Activation(Layer):
    """Applies an activation function: ``Activation('tanh')``.

    Args:
        activation: an activation's name ('tanh', 'relu', 'softmax', ...) or a function.
        **kwargs: the base layer's arguments (``name``, ``dtype``, ...).

    Input shape:
        Any shape.

    Output shape:
        The same shape as the input.

    Example:

    >>> import numpy as np
    >>> Activation('relu')(np.array([[-1.0, 2.0]]))
    Array([[0., 2.]], dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """While training, zeroes a random fraction ``rate`` of its inputs and scales the rest
    by 1 / (1 - rate); at test time it passes inputs through unchanged.

    Args:
        rate: a float in [0, 1), the fraction of the inputs to drop.
        noise_shape: not supported yet (an error); Keras uses it to share a mask across
            axes.
        seed: a seed for this layer's own random stream (default: the global one,
            ``minikeras.set_seed``).
        **kwargs: the base layer's arguments.

    Input shape:
        Any shape.

    Output shape:
        The same shape as the input.

    Example:

    >>> import numpy as np
    >>> Dropout(0.5)(np.ones((1, 4)))              # not training: unchanged
    Array([[1., 1., 1., 1.]], dtype=float32)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, (bool, np.bool_)) or not isinstance(rate, (int, float, np.number)) \
                or not 0.0 <= rate < 1.0:
            raise ValueError(f'layer "{self.name}": Dropout rate must be in [0, 1), got '
                             f"{rate!r} (it is the fraction of the inputs to drop, a number)"
                             f"\n  at {Origin.capture()}")
        if noise_shape is not None:
            raise NotImplementedError("Dropout(noise_shape=...) is not supported yet")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed
        self.supports_masking = True

    def call(self, inputs, training=None):
        if self.rate == 0.0 or training is False:
            return inputs
        dropped = ops.dropout(inputs, self.rate, self.seed)
        if training is True:
            return dropped
        return K.in_train_phase(dropped, inputs)  # Keras 2: decided by the learning phase

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...). With channels_first data the
    channels axis is moved last first, so the flattened order does not depend on it.

    Args:
        data_format: 'channels_last' or 'channels_first' (Keras 1's 'tf' and 'th' work
            too); defaults to the configured image data format.
        **kwargs: the base layer's arguments.

    Input shape:
        N-D tensor with shape ``(batch_size, ...)``; a 1-D input becomes
        ``(batch_size, 1)``.

    Output shape:
        2-D tensor with shape ``(batch_size, product of the other sizes)``.

    Example:

    >>> import numpy as np
    >>> Flatten()(np.zeros((2, 28, 28))).shape
    (2, 784)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = config.normalize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if inputs.ndim == 1:
            return ops.expand_dims(inputs, 1)
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.transpose(inputs, (0, *range(2, inputs.ndim), 1))
        return ops.batch_flatten(inputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshape each sample: ``Reshape((28, 28))`` turns (batch, 784) into (batch, 28, 28).

    Args:
        target_shape: the new shape of one sample (no batch axis). One size may be -1:
            it is worked out from the others.
        **kwargs: the base layer's arguments.

    Input shape:
        Any shape whose sample size (all axes but the batch) matches ``target_shape``'s.

    Output shape:
        ``(batch_size, *target_shape)``.

    Example:

    >>> import numpy as np
    >>> Reshape((2, -1))(np.zeros((3, 6))).shape
    (3, 2, 3)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)

    def _resolved(self, sample_shape):
        target = list(self.target_shape)
        if -1 in target:
            if None in sample_shape:
                raise ValueError(f'layer "{self.name}": cannot infer -1 in {self.target_shape}'
                                 f" from input sample shape {format_shape(sample_shape)}"
                                 f"\n  at {Origin.capture()}")
            known = math.prod(d for d in target if d != -1)
            target[target.index(-1)] = math.prod(sample_shape) // known
        if None not in sample_shape and math.prod(target) != math.prod(sample_shape):
            raise ValueError(f'layer "{self.name}": cannot reshape a sample of shape '
                             f"{format_shape(sample_shape)} into {self.target_shape}\n  at {Origin.capture()}")
        return tuple(target)

    def call(self, inputs):
        return ops.reshape(inputs, (-1, *self._resolved(inputs.shape[1:])))

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Permute(Layer):
    """Permute the axes of each sample; ``dims`` counts from 1 (the batch axis stays).

    Args:
        dims: a permutation of 1..n, e.g. ``(2, 1)`` swaps the two axes of a sample.
        **kwargs: the base layer's arguments.

    Input shape:
        ``(batch_size, d1, ..., dn)``.

    Output shape:
        The sample's axes in the order ``dims`` gives: ``(2, 1)`` turns
        ``(batch_size, d1, d2)`` into ``(batch_size, d2, d1)``.

    Example:

    >>> import numpy as np
    >>> Permute((2, 1))(np.zeros((4, 10, 64))).shape
    (4, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute dims must be a permutation of 1..{len(self.dims)}, "
                             f"got {self.dims}")

    def call(self, inputs):
        return ops.transpose(inputs, (0, *self.dims))

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """Repeat each sample vector n times: (batch, features) -> (batch, n, features).

    Args:
        n: how many times to repeat.
        **kwargs: the base layer's arguments.

    Input shape:
        2-D tensor with shape ``(batch_size, features)``.

    Output shape:
        3-D tensor with shape ``(batch_size, n, features)``.

    Example:

    >>> import numpy as np
    >>> RepeatVector(3)(np.array([[1.0, 2.0]]))
    Array([[[1., 2.],
            [1., 2.],
            [1., 2.]]], dtype=float32)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return ops.repeat(inputs, self.n)

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}


class Masking(Layer):
    """Marks timesteps whose features all equal ``mask_value`` as padding, and zeroes them.

    The mask (batch, timesteps) travels with the output to layers that support masking
    (recurrent layers skip masked steps).

    Args:
        mask_value: the value that marks padding, defaults to 0.0.
        **kwargs: the base layer's arguments.

    Input shape:
        ``(batch_size, timesteps, features)``.

    Output shape:
        The same shape as the input (padding zeroed), with a mask of shape
        ``(batch_size, timesteps)``.

    Example:

    >>> import numpy as np
    >>> Masking(0.0)(np.array([[[1.0], [0.0]]]))[..., 0]
    Array([[1., 0.]], dtype=float32)
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)
        self.supports_masking = True

    def _keep(self, inputs):
        return ops.greater(ops.max(ops.cast(ops.not_equal(inputs, self.mask_value),
                                            inputs.dtype), axis=-1, keepdims=True), 0.0)

    def call(self, inputs):
        return inputs * ops.cast(self._keep(inputs), inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return ops.squeeze(self._keep(inputs), -1)

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}
