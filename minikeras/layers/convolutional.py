"""Convolution layers: Conv1D, Conv2D and Conv3D (and what all convolution layers share).

A convolution layer slides a small kernel over the spatial axes of its input (time for
sequences, rows and columns for images, depth too for volumes). At each position it
multiplies the window under the kernel with the kernel's weights and sums, for each of
its ``filters``: so every output cell sees only a neighbourhood of the input, and the
same weights are used everywhere. ``minikeras.ops.conv`` does the work.

Images are ``(batch, rows, cols, channels)`` with ``data_format='channels_last'`` (the
'tf' ordering, the default) or ``(batch, channels, rows, cols)`` with
``'channels_first'`` ('th'). The kernel is ``(kernel rows, kernel cols, in channels,
filters)`` either way, as in Keras, so weights move between the two libraries unchanged.

>>> import numpy as np
>>> from minikeras.models import Sequential
>>> model = Sequential([Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1))])
>>> model.output_shape, model.count_params()            # 3 * 3 * 1 * 32 + 32
((None, 26, 26, 32), 320)
"""
from __future__ import annotations

import numpy as np

from minikeras import activations, config, initializers, ops, regularizers
from minikeras.layers import keras1
from minikeras.layers.base import InputSpec, Layer
from minikeras.ops.convolution import as_tuple
from minikeras.ops.core import ShapeError
from minikeras.tensor import Origin, format_shape


def layer_error(layer: Layer, message: str) -> ValueError:
    """A ValueError naming the layer, its class and the learner's line."""
    return ValueError(f'{type(layer).__name__} layer "{layer.name}": {message}\n  at '
                      f"{Origin.capture() or '(inside minikeras)'}")


def resolve_data_format(layer: Layer, data_format) -> str:
    """None -> the configured default; 'tf' / 'th' -> 'channels_last' / 'channels_first'."""
    try:
        return config.normalize_data_format(data_format.lower() if isinstance(data_format, str)
                                            else data_format)
    except ValueError:
        raise layer_error(layer, "data_format must be 'channels_last' or 'channels_first' "
                                 f"(or Keras 1's 'tf' / 'th'), got {data_format!r}") from None


def serialize_regularizer(reg):
    return regularizers.serialize(reg)


class ImageLayer(Layer):
    """A layer whose inputs are (batch, spatial..., channels) with ``rank`` spatial axes,
    or channels first. Subclasses set ``rank``."""

    rank = 2

    def _setup_format(self, data_format) -> None:
        self.data_format = resolve_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def channel_axis(self) -> int:
        return 1 if self.data_format == "channels_first" else -1

    @property
    def spatial_axes(self) -> tuple[int, ...]:
        first = 2 if self.data_format == "channels_first" else 1
        return tuple(range(first, first + self.rank))

    def _tuple(self, value, what: str) -> tuple[int, ...]:
        try:
            return as_tuple(value, self.rank, what)
        except ValueError as e:
            raise layer_error(self, str(e)) from None

    def _input_channels(self, input_shape) -> int:
        axes = {1: "steps", 2: "rows, cols", 3: "depth, rows, cols"}.get(self.rank, "...")
        layout = f"(batch, channels, {axes})" if self.data_format == "channels_first" else \
            f"(batch, {axes}, channels)"
        if len(input_shape) != self.rank + 2:
            raise layer_error(self, f"expects inputs of order {self.rank + 2}, {layout} "
                                    f"({self.data_format}), got shape "
                                    f"{format_shape(input_shape)}")
        channels = input_shape[self.channel_axis]
        if channels is None:
            raise layer_error(self, f"the channels axis of its input {format_shape(input_shape)} "
                                    f"must have a known size ({self.data_format}: {layout})")
        return int(channels)

    def _run(self, op, *args, **kwargs):
        """``op(*args, **kwargs)``, with shape errors reworded to name this layer."""
        try:
            return op(*args, **kwargs)
        except ShapeError as e:
            raise ShapeError(f'{type(self).__name__} layer "{self.name}": {e}') from None


class BaseConv(ImageLayer):
    """What every convolution layer shares: the window (kernel size, strides, padding,
    dilation), the data format, the bias and the activation."""

    paddings = ("valid", "same")  # Conv1D adds 'causal'
    check_strides_with_dilation = True  # Keras forbids both > 1, except depthwise/separable

    def __init__(self, kernel_size, strides, padding, data_format, dilation_rate, activation,
                 use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                 bias_constraint, **kwargs):
        super().__init__(**kwargs)
        if kernel_size is None:
            raise layer_error(self, "needs a kernel_size")
        self.kernel_size = self._tuple(kernel_size, "kernel_size")
        self.strides = self._tuple(strides, "strides")
        self.dilation_rate = self._tuple(dilation_rate, "dilation_rate")
        self.padding = padding.lower() if isinstance(padding, str) else padding
        if self.padding not in self.paddings:
            raise layer_error(self, f"padding must be one of {list(self.paddings)}, got "
                                    f"{padding!r}")
        if self.check_strides_with_dilation and max(self.strides) > 1 and \
                max(self.dilation_rate) > 1:
            raise layer_error(self, f"strides > 1 cannot be combined with dilation_rate > 1 "
                                    f"(strides={self.strides}, dilation_rate="
                                    f"{self.dilation_rate}), as in Keras")
        self._setup_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.bias_constraint = bias_constraint
        self.bias = None

    def _make_bias(self, size: int) -> None:
        if self.use_bias:
            self.bias = self.add_weight("bias", (size,), self.bias_initializer,
                                        self.bias_regularizer, constraint=self.bias_constraint)

    def _expect_channels(self, channels: int) -> None:
        """Later calls must bring as many channels as the weights were built for."""
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self.channel_axis: channels})

    def _input_mismatch_note(self) -> str:
        shapes = ", ".join(f"{w.name.split('/')[-1]} {format_shape(w.shape)}"
                           for w in self.weights)
        return f"; its weights were built for the input it was first called on: {shapes}" if shapes \
            else ""

    def _finish(self, outputs):
        """Add the bias along the channels axis, then the activation."""
        if self.bias is not None:
            bias = self.bias if self.data_format == "channels_last" else \
                ops.reshape(self.bias, (-1,) + (1,) * self.rank)
            outputs = outputs + bias
        outputs = self.activation(outputs)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(outputs))
        return outputs

    def _floats(self, inputs):
        if np.dtype(inputs.dtype).kind in "biu":  # integer data: compute in the layer's dtype
            return ops.cast(inputs, self.dtype)
        return inputs

    def _window_config(self) -> dict:
        return {"kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": list(self.dilation_rate)}

    def _output_config(self) -> dict:
        return {"activation": activations.serialize(self.activation), "use_bias": self.use_bias}

    def _bias_config(self) -> dict:
        return {"bias_initializer": initializers.serialize(self.bias_initializer),
                "bias_regularizer": serialize_regularizer(self.bias_regularizer),
                "activity_regularizer": serialize_regularizer(self.activity_regularizer)}


class Conv(BaseConv):
    """An N-D convolution layer: ``activation(conv(inputs, kernel) + bias)``. Use Conv1D,
    Conv2D or Conv3D (this base class takes the number of spatial axes from ``rank``).

    Keras 1 argument names (``nb_filter``, ``border_mode``, ``subsample``, ``dim_ordering``,
    ``init``, ``W_regularizer``, ``bias``, ...) are accepted too (see ``layers/keras1.py``).
    """

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
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
        self.filters, self.groups = int(a["filters"]), int(groups)
        if self.groups <= 0 or self.filters % self.groups:
            raise layer_error(self, f"filters ({self.filters}) must be a multiple of groups "
                                    f"({groups})")
        self.kernel_initializer = initializers.get(a["kernel_initializer"])
        self.kernel_regularizer = regularizers.get(a["kernel_regularizer"])
        self.kernel_constraint = a["kernel_constraint"]

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise layer_error(self, f"its input has {channels} channels, which cannot be split "
                                    f"into groups={self.groups} (input shape "
                                    f"{format_shape(input_shape)})")
        shape = (*self.kernel_size, channels // self.groups, self.filters)
        self.kernel = self.add_weight("kernel", shape, self.kernel_initializer,
                                      self.kernel_regularizer, constraint=self.kernel_constraint)
        self._make_bias(self.filters)
        self._expect_channels(channels)

    def call(self, inputs):
        outputs = self._run(ops.conv, self._floats(inputs), self.kernel, self.strides,
                            self.padding, self.dilation_rate, self.groups, self.data_format)
        return self._finish(outputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters, **self._window_config(),
                "groups": self.groups, **self._output_config(),
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": serialize_regularizer(self.kernel_regularizer),
                "bias_regularizer": serialize_regularizer(self.bias_regularizer),
                "activity_regularizer": serialize_regularizer(self.activity_regularizer),
                "kernel_constraint": None, "bias_constraint": None}


class Conv1D(Conv):
    """1-D convolution over time (or any one axis): a kernel of ``kernel_size`` steps.

    Args:
        filters: how many kernels, i.e. output channels.
        kernel_size: the window length (an int or a tuple of one int).
        strides: step between windows (default 1).
        padding: 'valid' (none), 'same' (``ceil(steps / strides)`` outputs) or 'causal'
            (all padding before the sequence, so no output sees the future).
        data_format: 'channels_last' (batch, steps, channels) or 'channels_first'.
        dilation_rate: spacing between the kernel's taps (default 1).
        groups: split the channels into this many independent groups.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: as
            for Dense.

    Input shape: (batch, steps, channels). Output shape: (batch, new_steps, filters).
    Weights: kernel (kernel_size, channels // groups, filters), bias (filters,).

    >>> import numpy as np
    >>> layer = Conv1D(1, 2, kernel_initializer="ones")      # sums neighbouring steps
    >>> layer(np.array([[[1.0], [2.0], [3.0]]]))[0, :, 0]
    Array([3., 5.], dtype=float32)
    """

    rank = 1
    paddings = ("valid", "same", "causal")


class Conv2D(Conv):
    """2-D convolution over images (spatial convolution).

    Args: as Conv1D, with two-int ``kernel_size``, ``strides`` and ``dilation_rate``
    (an int means the same along both axes); no 'causal' padding.

    Input shape: (batch, rows, cols, channels), or (batch, channels, rows, cols) with
    ``data_format='channels_first'``. Output shape: (batch, new_rows, new_cols, filters)
    (or channels first). Weights: kernel (kh, kw, channels // groups, filters), bias.

    >>> import numpy as np
    >>> layer = Conv2D(1, (2, 2), kernel_initializer="ones")  # 2x2 window sums
    >>> layer(np.arange(9.0).reshape(1, 3, 3, 1))[0, :, :, 0]
    Array([[ 8., 12.],
           [20., 24.]], dtype=float32)
    """

    rank = 2


class Conv3D(Conv):
    """3-D convolution over volumes (depth, rows, cols), e.g. video or scans.

    Args: as Conv2D, with three-int sizes.

    Input shape: (batch, depth, rows, cols, channels) or channels first. Output shape:
    (batch, new_depth, new_rows, new_cols, filters). Weights: kernel (kd, kh, kw,
    channels // groups, filters), bias (filters,).

    >>> import numpy as np
    >>> Conv3D(4, 3, padding="same")(np.zeros((2, 5, 6, 7, 3))).shape
    (2, 5, 6, 7, 4)
    """

    rank = 3


def _keras1_factory(cls, name: str):
    def make(*args, **kwargs):
        return cls(*keras1.positional_kernel(args, cls.rank), **kwargs)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = (f"Keras 1's name of {cls.__name__}. Kernel sizes may also be given the "
                    f"Keras 1 way, as separate ints after the number of filters.\n\n"
                    f"    >>> {name}(8, {', '.join(['3'] * cls.rank)}).kernel_size\n"
                    f"    {(3,) * cls.rank}\n")
    return make


Convolution1D = _keras1_factory(Conv1D, "Convolution1D")
Convolution2D = _keras1_factory(Conv2D, "Convolution2D")
Convolution3D = _keras1_factory(Conv3D, "Convolution3D")
AtrousConvolution1D = _keras1_factory(Conv1D, "AtrousConvolution1D")  # atrous_rate=...
AtrousConvolution2D = _keras1_factory(Conv2D, "AtrousConvolution2D")
