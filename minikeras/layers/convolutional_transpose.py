"""Transposed convolution layers: Conv1DTranspose, Conv2DTranspose, Conv3DTranspose.

A transposed convolution ("deconvolution") goes the other way round from a convolution:
it maps something of a convolution's *output* size back to its *input* size, keeping
the same pattern of connections. Exactly: ``Conv2DTranspose(x; K)`` is the gradient, with
respect to its input, of the ``Conv2D`` that uses ``K`` as its kernel (with the same
strides, padding and dilation), which is why the kernel is stored as (kh, kw, filters,
in_channels): out before in. Each input cell spreads, weighted by the kernel, over a
window of the output; with strides 2 the output is about twice as large.

Output length along an axis of length ``n`` (``span = dilation (k - 1) + 1``):

* 'valid': ``(n - 1) stride + max(span, stride)``; with ``output_padding=p``:
  ``(n - 1) stride + span + p``;
* 'same': ``n stride``; with ``output_padding=p``: ``(n - 1) stride + span % 2 + p``.

>>> import numpy as np
>>> layer = Conv2DTranspose(8, 3, strides=2, padding="same")
>>> layer(np.zeros((1, 5, 5, 4))).shape, layer.kernel.shape
((1, 10, 10, 8), (3, 3, 8, 4))
"""
from __future__ import annotations

from minikeras import initializers, ops, regularizers
from minikeras.layers import keras1
from minikeras.layers.convolutional import BaseConv, layer_error, serialize_regularizer
from minikeras.ops.convolution import spatial_shape
from minikeras.tensor import format_shape


def transposed_length(n: int, k: int, stride: int, dilation: int, padding: str,
                      output_padding: int | None) -> tuple[int, tuple[int, int]]:
    """(output length, (before, after) padding of the forward conv it is the adjoint of).

    The uncropped transposed conv has ``full = (n - 1) stride + span`` cells; ``t = full -
    out`` of them are cropped, ``floor(t / 2)`` at the start (never fewer than 0) and the
    rest at the end (a negative rest: cells the forward conv never reads, left as bias).

    >>> transposed_length(5, 3, 2, 1, "same", None)
    (10, (0, 1))
    """
    span = dilation * (k - 1) + 1
    if output_padding is None:
        out = (n - 1) * stride + max(span, stride) if padding == "valid" else n * stride
    elif padding == "valid":
        out = (n - 1) * stride + span + output_padding
    else:
        out = (n - 1) * stride + span % 2 + output_padding
    t = (n - 1) * stride + span - out
    before = max(t // 2, 0)
    return out, (before, t - before)


class ConvTranspose(BaseConv):
    """The N-D transposed convolution layer; use Conv1DTranspose, Conv2DTranspose or
    Conv3DTranspose."""

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        old, kwargs = keras1.conv_arguments(kwargs, self.rank)
        a = {"filters": filters, "kernel_size": kernel_size, "strides": strides,
             "padding": padding, "data_format": data_format, "dilation_rate": dilation_rate,
             "use_bias": use_bias, "kernel_initializer": kernel_initializer,
             "kernel_regularizer": kernel_regularizer, "bias_regularizer": bias_regularizer,
             "kernel_constraint": kernel_constraint, "bias_constraint": bias_constraint, **old}
        super().__init__(a["kernel_size"], a["strides"], a["padding"], a["data_format"],
                         a["dilation_rate"], activation, a["use_bias"], bias_initializer,
                         a["bias_regularizer"], activity_regularizer, a["bias_constraint"],
                         **kwargs)
        if a["filters"] is None or int(a["filters"]) <= 0:
            raise layer_error(self, f"needs a positive number of filters, got {a['filters']!r}")
        self.filters = int(a["filters"])
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = self._tuple_or_zero(output_padding)
            for p, s in zip(self.output_padding, self.strides):
                if p >= s:
                    raise layer_error(self, f"output_padding {self.output_padding} must be "
                                            f"smaller than strides {self.strides} on each axis")
        self.kernel_initializer = initializers.get(a["kernel_initializer"])
        self.kernel_regularizer = regularizers.get(a["kernel_regularizer"])
        self.kernel_constraint = a["kernel_constraint"]

    def _tuple_or_zero(self, value) -> tuple[int, ...]:
        values = (value,) * self.rank if isinstance(value, int) else tuple(value)
        if len(values) != self.rank or any(int(v) < 0 for v in values):
            raise layer_error(self, f"output_padding must be {self.rank} ints >= 0, got "
                                    f"{value!r}")
        return tuple(int(v) for v in values)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        shape = (*self.kernel_size, self.filters, channels)  # out before in, as Keras
        self.kernel = self.add_weight("kernel", shape, self.kernel_initializer,
                                      self.kernel_regularizer, constraint=self.kernel_constraint)
        self._make_bias(self.filters)
        self._expect_channels(channels)

    def _geometry(self, input_shape):
        sizes = spatial_shape(input_shape, self.data_format)
        if None in sizes:
            raise layer_error(self, f"needs known spatial sizes, got input shape "
                                    f"{format_shape(input_shape)}")
        op = self.output_padding or (None,) * self.rank
        results = [transposed_length(n, k, s, d, self.padding, p) for n, k, s, d, p in
                   zip(sizes, self.kernel_size, self.strides, self.dilation_rate, op)]
        return tuple(r[0] for r in results), tuple(r[1] for r in results)

    def call(self, inputs):
        out_sizes, pads = self._geometry(inputs.shape)
        outputs = self._run(ops.conv_transpose, self._floats(inputs), self.kernel, out_sizes,
                            self.strides, pads, self.dilation_rate, 1, self.data_format)
        return self._finish(outputs)

    def get_config(self) -> dict:
        window = self._window_config()
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": window["kernel_size"], "strides": window["strides"],
                "padding": self.padding,
                "output_padding": None if self.output_padding is None else
                list(self.output_padding),
                "data_format": self.data_format, "dilation_rate": window["dilation_rate"],
                **self._output_config(),
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": serialize_regularizer(self.kernel_regularizer),
                "bias_regularizer": serialize_regularizer(self.bias_regularizer),
                "activity_regularizer": serialize_regularizer(self.activity_regularizer),
                "kernel_constraint": None, "bias_constraint": None}


class Conv1DTranspose(ConvTranspose):
    """1-D transposed convolution: up-samples sequences.

    Args:
        filters: output channels.
        kernel_size, strides, dilation_rate: as Conv1D.
        padding: 'valid' or 'same' (see the module docstring for the output lengths).
        output_padding: extra cells at the end of the output (each < strides), or None.
        data_format, activation, use_bias, initializers, regularizers, constraints: as
            Conv1D.

    Input shape: (batch, steps, channels). Output shape: (batch, new_steps, filters).
    Weights: kernel (kernel_size, filters, channels), bias (filters,).

    >>> import numpy as np
    >>> layer = Conv1DTranspose(1, 2, strides=2, kernel_initializer="ones")
    >>> layer(np.array([[[1.0], [2.0]]]))[0, :, 0]    # each step spread over two
    Array([1., 1., 2., 2.], dtype=float32)
    """

    rank = 1


class Conv2DTranspose(ConvTranspose):
    """2-D transposed convolution: up-samples images (decoders, segmentation heads).

    Args: as Conv1DTranspose, with two-int sizes.

    Input shape: (batch, rows, cols, channels) or channels first. Output shape: (batch,
    new_rows, new_cols, filters). Weights: kernel (kh, kw, filters, channels), bias.

    >>> import numpy as np
    >>> Conv2DTranspose(3, 3, strides=2)(np.zeros((1, 5, 5, 2))).shape   # (5-1)*2 + 3
    (1, 11, 11, 3)
    """

    rank = 2


class Conv3DTranspose(ConvTranspose):
    """3-D transposed convolution: up-samples volumes.

    Args: as Conv1DTranspose, with three-int sizes.

    Input shape: (batch, depth, rows, cols, channels) or channels first. Output shape:
    (batch, new_depth, new_rows, new_cols, filters). Weights: kernel (kd, kh, kw,
    filters, channels), bias (filters,).

    >>> import numpy as np
    >>> Conv3DTranspose(2, 2, strides=2, padding="same")(np.zeros((1, 2, 3, 4, 1))).shape
    (1, 4, 6, 8, 2)
    """

    rank = 3


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
