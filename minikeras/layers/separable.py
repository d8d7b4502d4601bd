"""Depthwise and separable convolutions: DepthwiseConv1D/2D, SeparableConv1D/2D.

A *depthwise* convolution gives every input channel its own ``depth_multiplier`` small
kernels and never mixes channels: output channel ``c * depth_multiplier + m`` is input
channel ``c`` convolved with ``kernel[..., c, m]``. A *separable* convolution is a
depthwise one followed by a 1x1 ("pointwise") convolution that mixes the channels. It
splits one (k, k, in, out) kernel into a (k, k, in, 1) and a (1, 1, in, out) one: far
fewer weights and multiplications, the idea behind MobileNet and Xception.

>>> import numpy as np
>>> from minikeras.layers import Conv2D
>>> images = np.zeros((1, 32, 32, 32))
>>> full, separable = Conv2D(64, 3), SeparableConv2D(64, 3)
>>> _ = full(images), separable(images)
>>> full.count_params(), separable.count_params()  # 3*3*32*64 + 64 vs 3*3*32 + 32*64 + 64
(18496, 2400)
"""
from __future__ import annotations

from minikeras import initializers, ops, regularizers
from minikeras.layers.convolutional import BaseConv, layer_error, serialize_regularizer


class DepthwiseConv(BaseConv):
    """The N-D depthwise convolution layer; use DepthwiseConv1D or DepthwiseConv2D."""

    check_strides_with_dilation = False  # Keras allows both here

    def __init__(self, kernel_size=None, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, **kwargs)
        self.depth_multiplier = int(depth_multiplier)
        if self.depth_multiplier <= 0:
            raise layer_error(self, f"depth_multiplier must be positive, got "
                                    f"{depth_multiplier!r}")
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = depthwise_constraint

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            "kernel", (*self.kernel_size, channels, self.depth_multiplier),
            self.depthwise_initializer, self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self._make_bias(channels * self.depth_multiplier)
        self._expect_channels(channels)

    def call(self, inputs):
        outputs = self._run(ops.depthwise_conv, self._floats(inputs), self.kernel, self.strides,
                            self.padding, self.dilation_rate, self.data_format)
        return self._finish(outputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier,
                **self._window_config(), **self._output_config(),
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "depthwise_regularizer": serialize_regularizer(self.depthwise_regularizer),
                "bias_regularizer": serialize_regularizer(self.bias_regularizer),
                "activity_regularizer": serialize_regularizer(self.activity_regularizer),
                "depthwise_constraint": None, "bias_constraint": None}


class DepthwiseConv1D(DepthwiseConv):
    """1-D depthwise convolution: each channel filtered on its own.

    Args:
        kernel_size, strides, padding ('valid' or 'same'), data_format, dilation_rate:
            as Conv1D (strides and dilation may both be > 1 here).
        depth_multiplier: kernels per input channel (default 1).
        activation, use_bias, depthwise_initializer, bias_initializer,
        depthwise_regularizer, bias_regularizer, activity_regularizer,
        depthwise_constraint, bias_constraint: as Conv1D (depthwise_* for the kernel).

    Input shape: (batch, steps, channels). Output shape: (batch, new_steps,
    channels * depth_multiplier). Weights: kernel (k, channels, depth_multiplier) (named
    'kernel' as in Keras 3; Keras 2 said 'depthwise_kernel'), bias (channels * dm,).

    >>> import numpy as np
    >>> layer = DepthwiseConv1D(2, depthwise_initializer="ones")
    >>> layer(np.array([[[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]]]))[0]
    Array([[ 3., 30.],
           [ 5., 50.]], dtype=float32)
    """

    rank = 1


class DepthwiseConv2D(DepthwiseConv):
    """2-D depthwise convolution: each channel of an image filtered on its own.

    Args: as DepthwiseConv1D, with two-int sizes.

    Input shape: (batch, rows, cols, channels) or channels first. Output shape: (batch,
    new_rows, new_cols, channels * depth_multiplier). Weights: kernel (kh, kw, channels,
    depth_multiplier), bias (channels * depth_multiplier,).

    >>> import numpy as np
    >>> DepthwiseConv2D(3, depth_multiplier=2)(np.zeros((1, 8, 8, 3))).shape
    (1, 6, 6, 6)
    """

    rank = 2


class SeparableConv(BaseConv):
    """The N-D separable convolution layer; use SeparableConv1D or SeparableConv2D."""

    check_strides_with_dilation = False

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, depth_multiplier=1, activation=None,
                 use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, pointwise_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, **kwargs)
        if filters is None or int(filters) <= 0:
            raise layer_error(self, f"needs a positive number of filters, got {filters!r}")
        self.filters, self.depth_multiplier = int(filters), int(depth_multiplier)
        if self.depth_multiplier <= 0:
            raise layer_error(self, f"depth_multiplier must be positive, got "
                                    f"{depth_multiplier!r}")
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = depthwise_constraint
        self.pointwise_constraint = pointwise_constraint

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", (*self.kernel_size, channels, self.depth_multiplier),
            self.depthwise_initializer, self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1,) * self.rank + (channels * self.depth_multiplier,
                                                    self.filters),
            self.pointwise_initializer, self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self._make_bias(self.filters)
        self._expect_channels(channels)

    def call(self, inputs):
        inside = self._run(ops.depthwise_conv, self._floats(inputs), self.depthwise_kernel,
                           self.strides, self.padding, self.dilation_rate, self.data_format)
        outputs = ops.conv(inside, self.pointwise_kernel, data_format=self.data_format)
        return self._finish(outputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier,
                "filters": self.filters, **self._window_config(), **self._output_config(),
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "depthwise_regularizer": serialize_regularizer(self.depthwise_regularizer),
                "pointwise_regularizer": serialize_regularizer(self.pointwise_regularizer),
                "bias_regularizer": serialize_regularizer(self.bias_regularizer),
                "activity_regularizer": serialize_regularizer(self.activity_regularizer),
                "depthwise_constraint": None, "pointwise_constraint": None,
                "bias_constraint": None}


class SeparableConv1D(SeparableConv):
    """1-D separable convolution: a depthwise convolution, then a pointwise one.

    Args:
        filters: output channels (of the pointwise step).
        kernel_size, strides, padding ('valid' or 'same'), data_format, dilation_rate,
            depth_multiplier: of the depthwise step, as DepthwiseConv1D.
        activation, use_bias, bias_initializer, bias_regularizer, activity_regularizer,
            bias_constraint: as Conv1D.
        depthwise_/pointwise_ initializer, regularizer, constraint: of each kernel.

    Input shape: (batch, steps, channels). Output shape: (batch, new_steps, filters).
    Weights: depthwise_kernel (k, channels, dm), pointwise_kernel (1, channels * dm,
    filters), bias (filters,).

    >>> import numpy as np
    >>> SeparableConv1D(4, 3, padding="same")(np.zeros((2, 10, 3))).shape
    (2, 10, 4)
    """

    rank = 1


class SeparableConv2D(SeparableConv):
    """2-D separable convolution: a depthwise convolution, then a pointwise (1x1) one.

    Args: as SeparableConv1D, with two-int sizes.

    Input shape: (batch, rows, cols, channels) or channels first. Output shape: (batch,
    new_rows, new_cols, filters). Weights: depthwise_kernel (kh, kw, channels, dm),
    pointwise_kernel (1, 1, channels * dm, filters), bias (filters,).

    >>> import numpy as np
    >>> SeparableConv2D(8, 3, strides=2)(np.zeros((1, 9, 9, 3))).shape
    (1, 4, 4, 8)
    """

    rank = 2


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
