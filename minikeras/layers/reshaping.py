"""Layers that resize images without weights: ZeroPadding, Cropping and UpSampling
(1D, 2D and 3D).

* ZeroPadding adds rows (and columns, ...) of zeros around each feature map, e.g. so a
  'valid' convolution keeps the size;
* Cropping cuts rows (columns, ...) off the edges;
* UpSampling repeats every row (column, ...) ``size`` times (nearest neighbour), or,
  for 2-D images, interpolates linearly between them ('bilinear').

>>> import numpy as np
>>> x = np.arange(4.0).reshape(1, 2, 2, 1)
>>> ZeroPadding2D(1)(x).shape, Cropping2D(((1, 0), (0, 1)))(x).shape
((1, 4, 4, 1), (1, 1, 1, 1))
>>> UpSampling2D(2)(x)[0, :, :, 0]
Array([[0., 0., 1., 1.],
       [0., 0., 1., 1.],
       [2., 2., 3., 3.],
       [2., 2., 3., 3.]], dtype=float32)
"""
from __future__ import annotations

import numpy as np

from minikeras import ops
from minikeras.layers.convolutional import ImageLayer, layer_error
from minikeras.tensor import format_shape


class _EdgesLayer(ImageLayer):
    """Shared by ZeroPadding and Cropping: one (before, after) pair per spatial axis."""

    def _pairs(self, value, what: str) -> tuple[tuple[int, int], ...]:
        """An int (everywhere), ``rank`` ints (symmetric per axis) or ``rank`` pairs;
        1-D layers take one int or one pair."""
        if isinstance(value, (int, np.integer)):
            pairs = ((int(value), int(value)),) * self.rank
        elif self.rank == 1 and len(value) == 2 and all(isinstance(v, (int, np.integer))
                                                        for v in value):
            pairs = ((int(value[0]), int(value[1])),)
        elif len(value) == self.rank and all(isinstance(v, (int, np.integer)) for v in value):
            pairs = tuple((int(v), int(v)) for v in value)
        elif len(value) == self.rank and all(len(v) == 2 for v in value):
            pairs = tuple((int(a), int(b)) for a, b in value)
        else:
            raise layer_error(self, f"{what} must be an int, {self.rank} ints or {self.rank} "
                                    f"(before, after) pairs, got {value!r}")
        if any(v < 0 for pair in pairs for v in pair):
            raise layer_error(self, f"{what} must not be negative, got {value!r}")
        return pairs

    def _config_pairs(self, pairs):
        return list(pairs[0]) if self.rank == 1 else [list(p) for p in pairs]


class ZeroPadding(_EdgesLayer):
    """Zeros around the spatial axes; use ZeroPadding1D, ZeroPadding2D or ZeroPadding3D."""

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._setup_format(data_format)
        self.padding = self._pairs(padding, "padding")

    def call(self, inputs):
        widths = [(0, 0)] * inputs.ndim
        for axis, pair in zip(self.spatial_axes, self.padding):
            widths[axis] = pair
        return ops.pad(inputs, widths)

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self._config_pairs(self.padding),
                "data_format": self.data_format}


class ZeroPadding1D(ZeroPadding):
    """Zeros at the start and end of each sequence.

    Args:
        padding: an int (both ends) or (start, end) (default 1).
        data_format: 'channels_last' or 'channels_first' (None: the config's). Keras 3.15
            added it; before, 1-D padding was always channels last, so the config leaves
            it out then (and files still open in Keras 3.0).

    Input shape: (batch, steps, channels). Output shape: (batch, padded_steps, channels).

    >>> import numpy as np
    >>> ZeroPadding1D((1, 2))(np.ones((1, 2, 1)))[0, :, 0]
    Array([0., 1., 1., 0., 0.], dtype=float32)
    """

    rank = 1

    def get_config(self) -> dict:
        config = super().get_config()
        if self.data_format == "channels_last":
            del config["data_format"]
        return config


class ZeroPadding2D(ZeroPadding):
    """Rows and columns of zeros around each image.

    Args:
        padding: an int, (rows, cols) (symmetric), or ((top, bottom), (left, right))
            (default 1).
        data_format: 'channels_last' or 'channels_first' (None: the config's).

    Input shape: (batch, rows, cols, channels) or channels first. Output shape: (batch,
    padded_rows, padded_cols, channels).

    >>> import numpy as np
    >>> ZeroPadding2D(((1, 2), (3, 4)))(np.ones((1, 2, 2, 3))).shape
    (1, 5, 9, 3)
    """

    rank = 2


class ZeroPadding3D(ZeroPadding):
    """Zeros around each volume.

    Args:
        padding: an int, 3 ints (symmetric per axis) or 3 (before, after) pairs
            (default 1).
        data_format: 'channels_last' or 'channels_first' (None: the config's).

    Input shape: (batch, depth, rows, cols, channels) or channels first. Output shape:
    (batch, padded_depth, padded_rows, padded_cols, channels).

    >>> import numpy as np
    >>> ZeroPadding3D((1, 0, 2))(np.ones((1, 2, 2, 2, 1))).shape
    (1, 4, 2, 6, 1)
    """

    rank = 3


class Cropping(_EdgesLayer):
    """Cells cut off the edges; use Cropping1D, Cropping2D or Cropping3D."""

    def __init__(self, cropping=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._setup_format(data_format)
        self.cropping = self._pairs(cropping, "cropping")

    def build(self, input_shape):
        sizes = [input_shape[a] for a in self.spatial_axes] if \
            len(input_shape) == self.rank + 2 else []
        for axis, (n, (before, after)) in enumerate(zip(sizes, self.cropping)):
            if n is not None and before + after >= n:
                raise layer_error(self, f"cropping {self.cropping} leaves nothing of spatial "
                                        f"axis {axis} (size {n}) of its input "
                                        f"{format_shape(input_shape)}")

    def call(self, inputs):
        key = [slice(None)] * inputs.ndim
        for axis, (before, after) in zip(self.spatial_axes, self.cropping):
            key[axis] = slice(before, -after if after else None)
        return ops.getitem(inputs, tuple(key))

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": self._config_pairs(self.cropping),
                "data_format": self.data_format}


class Cropping1D(Cropping):
    """Cuts steps off the start and end of each sequence (channels last, as in Keras).

    Args:
        cropping: an int (both ends) or (start, end) (default (1, 1)).

    Input shape: (batch, steps, channels). Output shape: (batch, cropped_steps, channels).

    >>> import numpy as np
    >>> Cropping1D((1, 2))(np.arange(5.0).reshape(1, 5, 1))[0, :, 0]
    Array([1., 2.], dtype=float32)
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, "channels_last", **kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["data_format"]
        return config


class Cropping2D(Cropping):
    """Cuts rows and columns off the edges of each image.

    Args:
        cropping: an int, (rows, cols) (symmetric), or ((top, bottom), (left, right))
            (default none).
        data_format: 'channels_last' or 'channels_first' (None: the config's).

    Input shape: (batch, rows, cols, channels) or channels first. Output shape: (batch,
    cropped_rows, cropped_cols, channels).

    >>> import numpy as np
    >>> Cropping2D(((2, 2), (4, 4)))(np.zeros((2, 28, 28, 3))).shape
    (2, 24, 20, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(Cropping):
    """Cuts cells off the edges of each volume.

    Args:
        cropping: an int, 3 ints (symmetric per axis) or 3 (before, after) pairs
            (default 1 everywhere).
        data_format: 'channels_last' or 'channels_first' (None: the config's).

    Input shape: (batch, depth, rows, cols, channels) or channels first. Output shape:
    (batch, cropped_depth, cropped_rows, cropped_cols, channels).

    >>> import numpy as np
    >>> Cropping3D()(np.zeros((1, 4, 5, 6, 2))).shape
    (1, 2, 3, 4, 2)
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


def linear_resize_matrix(n: int, size: int) -> np.ndarray:
    """The (n * size, n) matrix of linear interpolation with half-pixel centres: output
    cell ``i`` sits at input coordinate ``(i + 0.5) / size - 0.5`` (clamped to the edge
    cells) and mixes the two input cells around it.

    >>> linear_resize_matrix(2, 2)
    array([[1.  , 0.  ],
           [0.75, 0.25],
           [0.25, 0.75],
           [0.  , 1.  ]])
    """
    where = np.clip((np.arange(n * size) + 0.5) / size - 0.5, 0, n - 1)
    low = np.floor(where).astype(int)
    high = np.minimum(low + 1, n - 1)
    matrix = np.zeros((n * size, n))
    np.add.at(matrix, (np.arange(n * size), low), 1 - (where - low))
    np.add.at(matrix, (np.arange(n * size), high), where - low)
    return matrix


class UpSampling(ImageLayer):
    """Repeats (or interpolates) cells; use UpSampling1D, UpSampling2D or UpSampling3D."""

    interpolations = ("nearest",)

    def __init__(self, size=2, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self._setup_format(data_format)
        self.size = self._tuple(size, "size")
        if interpolation not in self.interpolations:
            raise layer_error(self, f"interpolation must be one of {list(self.interpolations)}"
                                    f", got {interpolation!r}")
        self.interpolation = interpolation

    def call(self, inputs):
        if None in inputs.shape[1:]:
            raise layer_error(self, f"needs known sizes after the batch axis, got "
                                    f"{format_shape(inputs.shape)}")
        if self.interpolation == "bilinear":
            return self._linear(inputs)
        # nearest: (batch, a, b, c) -> (batch, a, 1, b, 1, c), tiled to (batch, a, s, b, s, c)
        spread, reps, out = [-1], [1], [-1]
        for axis in range(1, inputs.ndim):
            n = inputs.shape[axis]
            if axis in self.spatial_axes:
                size = self.size[self.spatial_axes.index(axis)]
                spread, reps, out = spread + [n, 1], reps + [1, size], out + [n * size]
            else:
                spread, reps, out = spread + [n], reps + [1], out + [n]
        return ops.reshape(ops.tile(ops.reshape(inputs, spread), reps), out)

    def _linear(self, inputs):
        """Along each spatial axis in turn: move it last, multiply by the interpolation
        matrix, move it back."""
        x = inputs
        for axis, size in zip(self.spatial_axes, self.size):
            order = [a for a in range(x.ndim) if a != axis] + [axis]
            matrix = linear_resize_matrix(x.shape[axis], size).T.astype(x.dtype)
            moved = ops.matmul(ops.transpose(x, order), ops.as_tensor(matrix))
            x = ops.transpose(moved, np.argsort(order))
        return x

    def get_config(self) -> dict:
        return {**super().get_config(), "size": list(self.size),
                "data_format": self.data_format}


class UpSampling1D(UpSampling):
    """Repeats each step of a sequence ``size`` times (channels last, as in Keras).

    Args:
        size: how many times (default 2).

    Input shape: (batch, steps, channels). Output shape: (batch, steps * size, channels).

    >>> import numpy as np
    >>> UpSampling1D(3)(np.array([[[1.0], [2.0]]]))[0, :, 0]
    Array([1., 1., 1., 2., 2., 2.], dtype=float32)
    """

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, "channels_last", **kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["data_format"]
        return {**config, "size": self.size[0]}


class UpSampling2D(UpSampling):
    """Repeats rows and columns (nearest), or interpolates between them (bilinear).

    Args:
        size: an int or (rows, cols) factors (default (2, 2)).
        data_format: 'channels_last' or 'channels_first' (None: the config's).
        interpolation: 'nearest' (default) or 'bilinear' (half-pixel centres, as Keras).

    Input shape: (batch, rows, cols, channels) or channels first. Output shape: (batch,
    rows * size[0], cols * size[1], channels).

    >>> import numpy as np
    >>> layer = UpSampling2D((1, 2), interpolation="bilinear")
    >>> layer(np.array([[[[0.0], [4.0]]]]))[0, 0, :, 0]
    Array([0., 1., 3., 4.], dtype=float32)
    """

    rank = 2
    interpolations = ("nearest", "bilinear")

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, interpolation, **kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(UpSampling):
    """Repeats each cell of a volume along depth, rows and columns.

    Args:
        size: an int or 3 factors (default (2, 2, 2)).
        data_format: 'channels_last' or 'channels_first' (None: the config's).

    Input shape: (batch, depth, rows, cols, channels) or channels first. Output shape:
    (batch, depth * size[0], rows * size[1], cols * size[2], channels).

    >>> import numpy as np
    >>> UpSampling3D((1, 2, 3))(np.zeros((1, 2, 2, 2, 4))).shape
    (1, 2, 4, 6, 4)
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)
