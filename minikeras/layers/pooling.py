"""Pooling layers: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and the global ones.

Pooling summarises each window of a feature map by one number, its largest value or
its mean, channel by channel. It has no weights. With the default ``strides=None`` the
windows tile the input (stride = pool size), so a 2x2 pool halves rows and columns:
the next layers see a coarser map, and a feature that moves by a pixel often gives the
same pooled value. Global pooling summarises the whole map of each channel.

With ``padding='same'`` the windows overhang the edges; padded cells never win a max and
are not counted in a mean, as in Keras.

>>> import numpy as np
>>> x = np.array([[1.0, 2.0, 5.0, 0.0],
...               [3.0, 4.0, 1.0, 1.0]]).reshape(1, 2, 4, 1)
>>> MaxPooling2D()(x)[0, :, :, 0], AveragePooling2D(2)(x)[0, :, :, 0]
(Array([[4., 5.]], dtype=float32), Array([[2.5 , 1.75]], dtype=float32))
"""
from __future__ import annotations

from minikeras import ops
from minikeras.layers import keras1
from minikeras.layers.convolutional import ImageLayer, layer_error


class Pooling(ImageLayer):
    """Max or average pooling over ``rank`` spatial axes (``mode`` 'max' or 'avg')."""

    mode = "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 **kwargs):
        old, kwargs = keras1.pooling_arguments(kwargs)
        a = {"pool_size": pool_size, "strides": strides, "padding": padding,
             "data_format": data_format, **old}
        super().__init__(**kwargs)
        if a["pool_size"] is None:
            raise layer_error(self, "needs a pool_size")
        self.pool_size = self._tuple(a["pool_size"], "pool_size")
        self.strides = self.pool_size if a["strides"] is None else \
            self._tuple(a["strides"], "strides")
        padding = a["padding"]
        self.padding = padding.lower() if isinstance(padding, str) else padding
        if self.padding not in ("valid", "same"):
            raise layer_error(self, f"padding must be 'valid' or 'same', got {padding!r}")
        self._setup_format(a["data_format"])

    def call(self, inputs):
        pool = ops.max_pool if self.mode == "max" else ops.avg_pool
        return self._run(pool, inputs, self.pool_size, self.strides, self.padding,
                         self.data_format)

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": list(self.pool_size),
                "padding": self.padding, "strides": list(self.strides),
                "data_format": self.data_format}


class MaxPooling1D(Pooling):
    """The largest value in each window of a sequence.

    Args:
        pool_size: the window (an int; default 2).
        strides: step between windows; None (the default) means ``pool_size``.
        padding: 'valid' (windows inside the input) or 'same' (``ceil(n / strides)``
            outputs; padded cells are ignored).
        data_format: 'channels_last' or 'channels_first' (None: the config's).

    Input shape: (batch, steps, channels). Output shape: (batch, pooled_steps, channels).

    >>> import numpy as np
    >>> MaxPooling1D(2)(np.array([[[1.0], [3.0], [2.0], [0.0], [9.0]]]))[0, :, 0]
    Array([3., 2.], dtype=float32)
    """

    rank, mode = 1, "max"


class MaxPooling2D(Pooling):
    """The largest value in each window of an image.

    Args:
        pool_size: the window (an int or 2 ints; default (2, 2)).
        strides: step between windows; None (the default) means ``pool_size``.
        padding: 'valid' (windows inside the input) or 'same' (``ceil(n / strides)``
            outputs; padded cells are ignored).
        data_format: 'channels_last' or 'channels_first' (None: the config's).

    Input shape: (batch, rows, cols, channels) or channels first. Output shape: (batch,
    pooled_rows, pooled_cols, channels).

    >>> import numpy as np
    >>> MaxPooling2D((2, 2))(np.zeros((1, 26, 26, 32))).shape
    (1, 13, 13, 32)
    """

    rank, mode = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(Pooling):
    """The largest value in each window of a volume.

    Args:
        pool_size: the window (an int or 3 ints; default (2, 2, 2)).
        strides: step between windows; None (the default) means ``pool_size``.
        padding: 'valid' (windows inside the input) or 'same' (``ceil(n / strides)``
            outputs; padded cells are ignored).
        data_format: 'channels_last' or 'channels_first' (None: the config's).

    Input shape: (batch, depth, rows, cols, channels) or channels first. Output shape:
    (batch, pooled_depth, pooled_rows, pooled_cols, channels).

    >>> import numpy as np
    >>> MaxPooling3D()(np.zeros((1, 4, 6, 8, 2))).shape
    (1, 2, 3, 4, 2)
    """

    rank, mode = 3, "max"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(Pooling):
    """The mean of each window of a sequence (Keras 3 requires ``pool_size``; the Keras 2
    default of 2 is kept here).

    Args:
        pool_size: the window (an int; default 2).
        strides: step between windows; None (the default) means ``pool_size``.
        padding: 'valid' (windows inside the input) or 'same' (``ceil(n / strides)``
            outputs; padded cells are ignored).
        data_format: 'channels_last' or 'channels_first' (None: the config's).

    Input shape: (batch, steps, channels). Output shape: (batch, pooled_steps, channels).

    >>> import numpy as np
    >>> AveragePooling1D(2, padding="same")(np.array([[[1.0], [3.0], [8.0]]]))[0, :, 0]
    Array([2., 8.], dtype=float32)
    """

    rank, mode = 1, "avg"


class AveragePooling2D(Pooling):
    """The mean of each window of an image.

    Args:
        pool_size: the window (an int or 2 ints; default (2, 2)).
        strides: step between windows; None (the default) means ``pool_size``.
        padding: 'valid' (windows inside the input) or 'same' (``ceil(n / strides)``
            outputs; padded cells are ignored).
        data_format: 'channels_last' or 'channels_first' (None: the config's).

    Input shape: (batch, rows, cols, channels) or channels first. Output shape: (batch,
    pooled_rows, pooled_cols, channels).

    >>> import numpy as np
    >>> AveragePooling2D(2)(np.ones((1, 4, 4, 1)))[0, :, :, 0]
    Array([[1., 1.],
           [1., 1.]], dtype=float32)
    """

    rank, mode = 2, "avg"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(Pooling):
    """The mean of each window of a volume.

    Args:
        pool_size: the window (an int or 3 ints; default (2, 2, 2)).
        strides: step between windows; None (the default) means ``pool_size``.
        padding: 'valid' (windows inside the input) or 'same' (``ceil(n / strides)``
            outputs; padded cells are ignored).
        data_format: 'channels_last' or 'channels_first' (None: the config's).

    Input shape: (batch, depth, rows, cols, channels) or channels first. Output shape:
    (batch, pooled_depth, pooled_rows, pooled_cols, channels).

    >>> import numpy as np
    >>> AveragePooling3D(2, data_format="channels_first")(np.zeros((1, 3, 4, 4, 4))).shape
    (1, 3, 2, 2, 2)
    """

    rank, mode = 3, "avg"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class GlobalPooling(ImageLayer):
    """Max or mean over all spatial axes; ``keepdims=True`` keeps them, as size 1."""

    mode = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self._setup_format(data_format)
        self.keepdims = bool(keepdims)

    def call(self, inputs):
        reduce = ops.max if self.mode == "max" else ops.mean
        return reduce(inputs, axis=self.spatial_axes, keepdims=self.keepdims)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class GlobalMaxPooling1D(GlobalPooling):
    """The largest value of each channel over the whole sequence.

    Args:
        data_format: 'channels_last' or 'channels_first' (None: the config's).
        keepdims: keep the spatial axis, as size 1 (default False).

    Input shape: (batch, steps, channels) or channels first.
    Output shape: (batch, channels), or with ``keepdims=True`` (batch, 1, channels).

    >>> import numpy as np
    >>> GlobalMaxPooling1D()(np.array([[[1.0, 5.0], [4.0, 2.0]]]))
    Array([[4., 5.]], dtype=float32)
    """

    rank, mode = 1, "max"


class GlobalMaxPooling2D(GlobalPooling):
    """The largest value of each channel over the whole image.

    Args:
        data_format: 'channels_last' or 'channels_first' (None: the config's).
        keepdims: keep the 2 spatial axes, as size 1 (default False).

    Input shape: (batch, rows, cols, channels) or channels first.
    Output shape: (batch, channels), or with ``keepdims=True`` (batch, 1, 1, channels) (channels first: (batch, channels, 1, 1)).

    >>> import numpy as np
    >>> layer = GlobalMaxPooling2D(data_format="channels_first", keepdims=True)
    >>> layer(np.zeros((2, 4, 5, 3))).shape
    (2, 4, 1, 1)
    """

    rank, mode = 2, "max"


class GlobalMaxPooling3D(GlobalPooling):
    """The largest value of each channel over the whole volume.

    Args:
        data_format: 'channels_last' or 'channels_first' (None: the config's).
        keepdims: keep the 3 spatial axes, as size 1 (default False).

    Input shape: (batch, depth, rows, cols, channels) or channels first.
    Output shape: (batch, channels), or with ``keepdims=True`` (batch, 1, 1, 1, channels).

    >>> import numpy as np
    >>> GlobalMaxPooling3D()(np.zeros((2, 3, 4, 5, 6))).shape
    (2, 6)
    """

    rank, mode = 3, "max"


class GlobalAveragePooling1D(GlobalPooling):
    """The mean of each channel over the whole sequence.

    Args:
        data_format: 'channels_last' or 'channels_first' (None: the config's).
        keepdims: keep the spatial axis, as size 1 (default False).

    Input shape: (batch, steps, channels) or channels first.
    Output shape: (batch, channels), or with ``keepdims=True`` (batch, 1, channels).

    A mask (batch, steps) leaves masked steps out of the sum and of the count.

    >>> import numpy as np
    >>> GlobalAveragePooling1D()(np.array([[[1.0, 5.0], [4.0, 2.0]]]))
    Array([[2.5, 3.5]], dtype=float32)
    """

    rank, mode = 1, "avg"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps = 2 if self.data_format == "channels_first" else 1
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), 1 if steps == 2 else 2)
        total = ops.sum(inputs * weights, axis=steps, keepdims=self.keepdims)
        return total / ops.sum(weights, axis=steps, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(GlobalPooling):
    """The mean of each channel over the whole image.

    Args:
        data_format: 'channels_last' or 'channels_first' (None: the config's).
        keepdims: keep the 2 spatial axes, as size 1 (default False).

    Input shape: (batch, rows, cols, channels) or channels first.
    Output shape: (batch, channels), or with ``keepdims=True`` (batch, 1, 1, channels) (channels first: (batch, channels, 1, 1)).

    >>> import numpy as np
    >>> GlobalAveragePooling2D(keepdims=True)(np.zeros((2, 4, 5, 3))).shape
    (2, 1, 1, 3)
    """

    rank, mode = 2, "avg"


class GlobalAveragePooling3D(GlobalPooling):
    """The mean of each channel over the whole volume.

    Args:
        data_format: 'channels_last' or 'channels_first' (None: the config's).
        keepdims: keep the 3 spatial axes, as size 1 (default False).

    Input shape: (batch, depth, rows, cols, channels) or channels first.
    Output shape: (batch, channels), or with ``keepdims=True`` (batch, 1, 1, 1, channels).

    >>> import numpy as np
    >>> GlobalAveragePooling3D(data_format="channels_first")(np.zeros((2, 3, 4, 5, 6))).shape
    (2, 3)
    """

    rank, mode = 3, "avg"


MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (GlobalMaxPooling1D, GlobalMaxPooling2D,
                                                     GlobalMaxPooling3D)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)
