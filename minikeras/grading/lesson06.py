"""Checks of lesson 06 (convnets and data formats): exercises 6.1 to 6.6.

References are plain NumPy, written without the layers they are compared with (the
lesson compares the learner's answers with ``Conv2D``, ``MaxPooling2D`` and friends; the
checks compare them with these).

>>> EXERCISES[1].run(lambda n, k, s, d, padding: 26 if n == 28 else 0).passed
False
"""
from __future__ import annotations

import numpy as np

from .exercise import Case, Exercise, Mistake, Rule

_rng = np.random.default_rng(606)


def _normal(*shape):
    return _rng.normal(size=shape)


# ---------------------------------------------------------------- 6.1 conv2d_numpy
def conv2d_numpy(images, kernel, bias):
    """Valid, stride-1 cross-correlation, channels_last, through a window view."""
    kh, kw = kernel.shape[:2]
    windows = np.lib.stride_tricks.sliding_window_view(images, (kh, kw), axis=(1, 2))
    # windows: (n, out_rows, out_cols, channels, kh, kw)
    return np.einsum("nrcikl,klif->nrcf", windows, kernel) + bias


def _flipped(images, kernel, bias):
    return conv2d_numpy(images, kernel[::-1, ::-1], bias)


def _same_size(got, images, kernel, bias):
    return kernel.shape[:2] != (1, 1) and np.shape(got) == (*images.shape[:3], kernel.shape[-1])


def _one_short(got, images, kernel, bias):
    n, rows, cols, _ = images.shape
    kh, kw, _, filters = kernel.shape
    return np.shape(got) in ((n, rows - kh, cols - kw, filters),
                             (n, rows - kh, cols - kw + 1, filters),
                             (n, rows - kh + 1, cols - kw, filters))


def _kernel_axes_swapped(got, images, kernel, bias):
    n, rows, cols, _ = images.shape
    kh, kw, _, filters = kernel.shape
    return kh != kw and np.shape(got) == (n, rows - kw + 1, cols - kh + 1, filters)


def _channels_not_summed(got, images, kernel, bias):
    return np.ndim(got) == 5


def _first_channel_only(images, kernel, bias):
    return conv2d_numpy(images[..., :1], kernel[:, :, :1], bias)


_GRID = np.arange(9.0).reshape(1, 3, 3, 1)

CONV2D = Exercise(
    "6.1", "conv2d_numpy", reference=conv2d_numpy,
    cases=[Case(_normal(2, 5, 6, 3), _normal(3, 2, 3, 4), _normal(4),
                note="2 images of 5x6 with 3 channels, a 3x2 kernel, 4 filters"),
           Case(_GRID, np.array([[1.0, 0.0], [0.0, -1.0]]).reshape(2, 2, 1, 1), np.array([0.5]),
                expected=np.full((1, 2, 2, 1), -3.5), note="by hand: x[r, c] - x[r+1, c+1]"),
           Case(_normal(1, 4, 4, 2), _normal(4, 4, 2, 3), _normal(3),
                note="a kernel as large as the image (one output cell)"),
           Case(_normal(3, 4, 5, 2), _normal(1, 1, 2, 5), np.zeros(5), note="a 1x1 kernel"),
           Case(_normal(1, 7, 7, 1), _normal(3, 3, 1, 1), np.array([2.0]),
                note="one grey image, one filter")],
    mistakes=[
        Mistake("the output has one window position too few along an axis: a kernel of size "
                "k fits n - k + 1 times into n cells (range(rows - kh + 1))", when=_one_short),
        Mistake("the output is as large as the input: Conv2D's default padding is 'valid', "
                "no padding, so the output shrinks to (rows - kh + 1, cols - kw + 1)",
                when=_same_size),
        Mistake("the kernel's first axis runs over rows and its second over columns: "
                "kernel[i, j] multiplies images[:, r + i, c + j]", when=_kernel_axes_swapped),
        Mistake("sum over the input channels too: each filter's output is ONE number per "
                "position, the weighted sum over rows, columns AND channels of the window",
                when=_channels_not_summed),
        Mistake("you flipped the kernel, as mathematics' convolution does; Conv2D (like every "
                "deep-learning library) does not flip: kernel[i, j] meets images[r + i, c + j]",
                _flipped),
        Mistake("the bias is missing: add bias[f] to every output cell of filter f",
                lambda images, kernel, bias: conv2d_numpy(images, kernel, 0.0 * bias)),
        Mistake("only the first input channel was used: the window holds every channel, and "
                "kernel[:, :, c, f] weighs channel c", _first_channel_only),
        Mistake("the bias was added once per tap of the window (inside the sum), not once per "
                "output cell",
                lambda images, kernel, bias: conv2d_numpy(
                    images, kernel, bias * np.prod(kernel.shape[:3]))),
    ],
    steps="out = np.zeros((n, rows - kh + 1, cols - kw + 1, filters)); for r and c: window = "
          "images[:, r:r + kh, c:c + kw, :] (shape (n, kh, kw, channels)); out[:, r, c, :] = "
          "np.tensordot(window, kernel, axes=3) + bias.")


# ---------------------------------------------------------------- 6.2 conv_output_length
def conv_output_length(n, kernel_size, stride, dilation, padding):
    span = dilation * (kernel_size - 1) + 1
    if padding == "valid":
        return (n - span) // stride + 1
    return -(-n // stride)  # 'same' and 'causal'


def _length(make):
    """A wrong formula, make(n, k_eff, s, padding) with the right effective size."""
    def wrong(n, k, s, d, padding):
        return make(n, d * (k - 1) + 1, s, padding)
    return wrong


def _valid_wrong(rule):
    """Right for 'same'/'causal', ``rule(n, k_eff, s)`` for 'valid'."""
    def wrong(n, k, s, d, padding):
        if padding != "valid":
            return conv_output_length(n, k, s, d, padding)
        return rule(n, d * (k - 1) + 1, s)
    return wrong


OUTPUT_LENGTH = Exercise(
    "6.2", "conv_output_length", reference=conv_output_length,
    cases=[Case(28, 3, 1, 1, "valid", expected=26), Case(28, 5, 2, 1, "valid", expected=12),
           Case(28, 3, 1, 2, "valid", expected=24), Case(28, 3, 2, 1, "same", expected=14),
           Case(27, 3, 2, 1, "same", expected=14), Case(10, 3, 3, 1, "valid", expected=3),
           Case(9, 2, 1, 3, "valid", note="kernel 2, dilation 3"),
           Case(10, 3, 1, 4, "same", note="'same' with dilation"),
           Case(11, 3, 2, 1, "causal", expected=6, note="Conv1D's 'causal' padding"),
           Case(5, 5, 1, 1, "valid", expected=1, note="a kernel as long as the input"),
           Case(1, 1, 1, 1, "same", expected=1, note="one cell"),
           Case(100, 7, 4, 1, "valid")],
    mistakes=[
        Mistake("return a whole number: floor division (//) or math.ceil, not n / stride",
                when=lambda got, *a: isinstance(got, float) and got != int(got)),
        Mistake("'causal' padding puts all the padding before the sequence, so the length is "
                "the same as with 'same': ceil(n / stride)",
                lambda n, k, s, d, padding: conv_output_length(
                    n, k, s, d, "valid" if padding == "causal" else padding)),
        Mistake("the dilation is ignored: a kernel of k taps with dilation d spans "
                "d * (k - 1) + 1 cells",
                lambda n, k, s, d, padding: conv_output_length(n, k, s, 1, padding)),
        Mistake("a dilated kernel spans d * (k - 1) + 1 cells, not d * k: the gaps are only "
                "BETWEEN the taps",
                lambda n, k, s, d, padding: conv_output_length(n, d * k, s, 1, padding)),
        Mistake("divide by the stride AFTER taking the kernel off: (n - k_eff) // stride + 1, "
                "not (n - k_eff + 1) // stride",
                _valid_wrong(lambda n, k, s: (n - k + 1) // s)),
        Mistake("the + 1 is missing: a window of span k fits n - k + 1 times with stride 1, "
                "so (n - k_eff) // stride + 1", _valid_wrong(lambda n, k, s: (n - k) // s)),
        Mistake("'same' keeps ceil(n / stride) cells: round UP (an odd length keeps its last "
                "cell), not down",
                lambda n, k, s, d, padding: n // s if padding == "same"
                else conv_output_length(n, k, s, d, padding)),
        Mistake("with 'same' padding the stride still divides the length: ceil(n / stride)",
                lambda n, k, s, d, padding: n if padding == "same"
                else conv_output_length(n, k, s, d, padding)),
        Mistake("'same' (and 'causal') pad the input so the kernel's size does not matter: "
                "the length is ceil(n / stride), whatever the kernel",
                _length(lambda n, k, s, padding: (n - k) // s + 1)),
    ],
    rules=[Rule("return an int (// and math.ceil give one; np.floor and np.ceil give floats "
                "such as 26.0)",
                lambda fn: all(isinstance(fn(28, 3, s, 1, p), (int, np.integer))
                               for s in (1, 2) for p in ("valid", "same")))],
    steps="k_eff = dilation * (kernel_size - 1) + 1; for 'valid' return (n - k_eff) // stride "
          "+ 1; for 'same' and 'causal' return math.ceil(n / stride) (or -(-n // stride)).")


# ---------------------------------------------------------------- 6.3 max_pool_backward
def max_pool_backward(x, grad, pool_size, strides):
    """Each window's gradient goes to its largest cell (the first one when cells tie)."""
    dx = np.zeros(x.shape)
    ph, pw = pool_size
    sh, sw = strides
    n, out_rows, out_cols, channels = grad.shape
    for b in range(n):
        for ch in range(channels):
            for i in range(out_rows):
                for j in range(out_cols):
                    window = x[b, i * sh:i * sh + ph, j * sw:j * sw + pw, ch]
                    r, c = divmod(int(np.argmax(window)), pw)
                    dx[b, i * sh + r, j * sw + c, ch] += grad[b, i, j, ch]
    return dx


def _backward(share):
    """A wrong rule: share(window, g) -> the window's part of dx, accumulated."""
    def wrong(x, grad, pool_size, strides):
        dx = np.zeros(x.shape)
        (ph, pw), (sh, sw) = pool_size, strides
        for b, i, j, ch in np.ndindex(grad.shape):
            window = x[b, i * sh:i * sh + ph, j * sw:j * sw + pw, ch]
            dx[b, i * sh:i * sh + ph, j * sw:j * sw + pw, ch] += share(window, grad[b, i, j, ch])
        return dx
    return wrong


def _last_of_ties(window, g):
    part = np.zeros(window.shape)
    flat = window.ravel()
    part.flat[len(flat) - 1 - int(np.argmax(flat[::-1]))] = g
    return part


def _assigned(x, grad, pool_size, strides):
    dx = np.zeros(x.shape)
    (ph, pw), (sh, sw) = pool_size, strides
    for b, i, j, ch in np.ndindex(grad.shape):
        window = x[b, i * sh:i * sh + ph, j * sw:j * sw + pw, ch]
        r, c = divmod(int(np.argmax(window)), pw)
        dx[b, i * sh + r, j * sw + c, ch] = grad[b, i, j, ch]
    return dx


_POOL_X = np.array([[3.0, 1.0, 0.0, 2.0], [4.0, 2.0, 5.0, 1.0],
                    [0.0, 6.0, 1.0, 1.0], [2.0, 1.0, 3.0, 7.0]]).reshape(1, 4, 4, 1)
_POOL_G = np.array([[10.0, 20.0], [30.0, 40.0]]).reshape(1, 2, 2, 1)
_POOL_DX = np.array([[0.0, 0.0, 0.0, 0.0], [10.0, 0.0, 20.0, 0.0],
                     [0.0, 30.0, 0.0, 0.0], [0.0, 0.0, 0.0, 40.0]]).reshape(1, 4, 4, 1)
_OVERLAP_X = _rng.permutation(50).reshape(2, 5, 5, 1).astype(float)
_TIES_X = _rng.integers(0, 3, size=(1, 4, 6, 2)).astype(float)

MAX_POOL_BACKWARD = Exercise(
    "6.3", "max_pool_backward", reference=max_pool_backward,
    cases=[Case(_POOL_X, _POOL_G, (2, 2), (2, 2), expected=_POOL_DX,
                note="by hand: 2x2 windows, stride 2"),
           Case(_OVERLAP_X, _normal(2, 2, 2, 1), (3, 3), (2, 2),
                note="3x3 windows with stride 2: neighbouring windows share cells"),
           Case(_normal(2, 5, 7, 3), _normal(2, 2, 2, 3), (2, 3), (2, 3),
                note="2x3 windows; the last row and column belong to no window"),
           Case(_TIES_X, _normal(1, 2, 3, 2), (2, 2), (2, 2),
                note="ties: several cells of a window hold its maximum"),
           Case(_OVERLAP_X[:1], _normal(1, 4, 4, 1), (2, 2), (1, 1), note="stride 1")],
    mistakes=[
        Mistake("dx has the shape of x, the pooling's INPUT (each cell of x gets its part of "
                "the gradient); you returned the shape of grad",
                when=lambda got, x, grad, p, s: np.shape(got) == grad.shape != x.shape),
        Mistake("the gradient went to every cell of the window: only the cell that won the "
                "max affected the output, so only it gets the window's gradient",
                _backward(lambda window, g: np.full(window.shape, g))),
        Mistake("that is average pooling's backward (the gradient shared out over the "
                "window); max pooling sends all of it to the winning cell",
                _backward(lambda window, g: np.full(window.shape, g / window.size))),
        Mistake("the winning cell gets 1; it must get the window's gradient grad[b, i, j, ch] "
                "(the chain rule: d out / d winner = 1, times the incoming gradient)",
                _backward(lambda window, g: (np.arange(window.size) == np.argmax(window))
                          .reshape(window.shape).astype(float))),
        Mistake("add into dx (+=): when windows overlap, one cell can win several windows and "
                "gets the sum of their gradients; you overwrote it (=)", _assigned),
        Mistake("when several cells tie for the maximum, only ONE may get the gradient (the "
                "output used one value); you gave it to all of them",
                _backward(lambda window, g: (window == window.max()) * g)),
        Mistake("ties: give the gradient to the FIRST largest cell in reading order, as "
                "np.argmax does (you chose the last)", _backward(_last_of_ties)),
    ],
    steps="dx = np.zeros_like(x); for every batch b, channel ch and output cell (i, j): the "
          "window is x[b, i*sh:i*sh+ph, j*sw:j*sw+pw, ch]; r, c = np.unravel_index("
          "np.argmax(window), window.shape); dx[b, i*sh + r, j*sw + c, ch] += grad[b, i, j, "
          "ch]; return dx.")


# ---------------------------------------------------------------- 6.4 MinPooling2D
def min_pool(x, pool_size, strides, padding, data_format, how="array"):
    """The smallest value of each window (padded cells never win); ``how`` the layer is
    called (on an array, in a model, on a symbolic tensor) does not change it."""
    if data_format == "channels_first":
        x = np.moveaxis(x, 1, -1)
    (ph, pw), (sh, sw) = pool_size, strides or pool_size
    n, rows, cols, channels = x.shape
    if padding == "same":
        out_r, out_c = -(-rows // sh), -(-cols // sw)
        pad_r = max((out_r - 1) * sh + ph - rows, 0)
        pad_c = max((out_c - 1) * sw + pw - cols, 0)
        x = np.pad(x, ((0, 0), (pad_r // 2, pad_r - pad_r // 2),
                       (pad_c // 2, pad_c - pad_c // 2), (0, 0)), constant_values=np.inf)
    else:
        out_r, out_c = (rows - ph) // sh + 1, (cols - pw) // sw + 1
    out = np.empty((n, out_r, out_c, channels))
    for i in range(out_r):
        for j in range(out_c):
            out[:, i, j] = x[:, i * sh:i * sh + ph, j * sw:j * sw + pw].min(axis=(1, 2))
    return np.moveaxis(out, -1, 1) if data_format == "channels_first" else out


def _max_pool(x, pool_size, strides, padding, data_format, how="array"):
    return -min_pool(-x, pool_size, strides, padding, data_format)


def _use_pooling(cls, x, pool_size, strides, padding, data_format, how):
    from minikeras import backend as K
    from minikeras.layers import Input
    from minikeras.models import Sequential
    layer = cls(pool_size=pool_size, strides=strides, padding=padding, data_format=data_format)
    if how == "array":
        return np.asarray(layer(x))
    if how == "model":
        return Sequential([Input(shape=x.shape[1:]), layer]).predict(x, verbose=0)
    slot = K.placeholder(shape=(None, *x.shape[1:]))
    out = layer(slot)
    return K.function([slot], [out])([x])[0] if K.is_tensor(out) else out


def _gradient_reaches_the_minimum(cls):
    from minikeras import backend as K
    x = np.array([[4.0, 1.0], [3.0, 2.0]]).reshape(1, 2, 2, 1)
    image = K.variable(x)
    (grad,) = K.gradients(K.sum(cls(pool_size=(2, 2))(image)), [image])
    return np.allclose(K.eval(grad).ravel(), [0.0, 1.0, 0.0, 0.0])


def _config_complete(cls):
    config = cls(pool_size=(3, 2), strides=(1, 2), padding="same",
                 data_format="channels_first").get_config()
    got = {k: config.get(k) for k in ("pool_size", "strides", "padding", "data_format")}
    return [tuple(got["pool_size"] or ()), tuple(got["strides"] or ()), got["padding"],
            got["data_format"]] == [(3, 2), (1, 2), "same", "channels_first"]


def _as_channels_last(x, pool_size, strides, padding, data_format, how):
    return min_pool(x, pool_size, strides, padding, "channels_last")


_PIXELS = _rng.uniform(0.0, 1.0, size=(2, 6, 5, 3))

MIN_POOLING = Exercise(
    "6.4", "class MinPooling2D", reference=min_pool, call=_use_pooling,
    cases=[Case(_PIXELS[:1], (3, 3), (2, 2), "valid", "channels_last", "tensor",
                note="3x3 windows, strides 2, on a symbolic tensor"),
           Case(_PIXELS, (2, 2), None, "valid", "channels_last", "array",
                note="2x2 windows, channels_last, called on an array"),
           Case(np.moveaxis(_PIXELS, -1, 1), (2, 3), (1, 2), "valid", "channels_first", "array",
                note="channels_first, 2x3 windows, strides (1, 2)"),
           Case(_PIXELS, (2, 2), None, "same", "channels_last", "model",
                note="padding='same', inside a Sequential model")],
    mistakes=[
        Mistake("call() receives symbolic tensors (in a model, and minikeras turns an array "
                "into one too), which NumPy cannot compute with: build the minimum from "
                "minikeras ops (K.pool2d, mk.ops.max_pool) and a minus sign",
                raises=(TypeError, AttributeError, ValueError),
                match=r"is symbolic|ufunc|no attribute '(min|max|reshape|shape)'|"
                      r"convert object|setting an array"),
        Mistake("__init__ must call super().__init__(**kwargs) first: it sets up the layer's "
                "name, dtype and weights", raises=AttributeError, match="has no attribute"),
        Mistake("that is max pooling: the minimum of a window is minus the maximum of minus "
                "the window, so negate before AND after", _max_pool),
        Mistake("only the result is negated: negate the input too, min(x) = -max(-x)",
                lambda x, *a: -_max_pool(x, *a)),
        Mistake("only the input is negated: negate the result too, min(x) = -max(-x)",
                lambda x, *a: _max_pool(-x, *a)),
        Mistake("strides=None means windows side by side: strides = pool_size (K.pool2d's "
                "own default is strides=(1, 1), so pass the strides on)",
                lambda x, p, s, padding, f, how: min_pool(x, p, s or (1, 1), padding, f)),
        Mistake("the data_format is ignored: channels_first images are (batch, channels, rows, "
                "cols); pass self.data_format on to the pooling op", _as_channels_last),
        Mistake("the padding is ignored: pass self.padding on to the pooling op",
                lambda x, p, s, padding, f, how: min_pool(x, p, s, "valid", f)),
    ],
    rules=[
        Rule("the gradient must reach the smallest cell of each window through your layer "
             "(build call() from minikeras ops only, so K.gradients can follow it)",
             _gradient_reaches_the_minimum),
        Rule("get_config() must hold pool_size, strides, padding and data_format, so a saved "
             "model can re-create the layer: {**super().get_config(), 'pool_size': ...}",
             _config_complete),
    ],
    steps="in __init__(self, pool_size=(2, 2), strides=None, padding='valid', data_format="
          "None, **kwargs): super().__init__(**kwargs), keep the four settings (strides: "
          "pool_size when None). call(self, inputs): return -K.pool2d(-inputs, self.pool_size, "
          "self.strides, self.padding, self.data_format). get_config adds the four settings.")


# ---------------------------------------------------------------- 6.5 param_counts
def param_counts(kernel_size, channels, filters, depth_multiplier):
    taps = kernel_size[0] * kernel_size[1]
    plain = taps * channels * filters + filters
    separable = taps * channels * depth_multiplier + channels * depth_multiplier * filters \
        + filters
    return plain, separable


def _counts(make):
    def wrong(kernel_size, channels, filters, dm):
        return make(kernel_size[0] * kernel_size[1], channels, filters, dm)
    return wrong


PARAM_COUNTS = Exercise(
    "6.5", "param_counts", reference=param_counts,
    cases=[Case((3, 3), 32, 64, 2, expected=(18496, 4736)),
           Case((3, 3), 1, 32, 1, expected=(320, 73)),
           Case((5, 3), 16, 8, 4, note="a 5x3 kernel"),
           Case((1, 1), 8, 8, 1, note="a 1x1 kernel"),
           Case((3, 3), 64, 128, 1)],
    mistakes=[
        Mistake("return the pair (plain, separable)",
                when=lambda got, *a: np.ndim(got) == 0),
        Mistake("the pair is the wrong way round: (plain, separable)",
                _counts(lambda t, c, f, m: (t * c * m + c * m * f + f, t * c * f + f))),
        Mistake("the biases are missing: each layer has one bias per filter",
                _counts(lambda t, c, f, m: (t * c * f, t * c * m + c * m * f))),
        Mistake("the plain Conv2D's bias is missing (one per filter)",
                _counts(lambda t, c, f, m: (t * c * f, t * c * m + c * m * f + f))),
        Mistake("the separable layer's bias is missing (one per filter, after the pointwise "
                "step)", _counts(lambda t, c, f, m: (t * c * f + f, t * c * m + c * m * f))),
        Mistake("SeparableConv2D has ONE bias, after the pointwise step (filters numbers); "
                "you also gave the depthwise step a bias, as a DepthwiseConv2D followed by a "
                "1x1 Conv2D would have",
                _counts(lambda t, c, f, m: (t * c * f + f, t * c * m + c * m + c * m * f + f))),
        Mistake("the depthwise step makes channels * depth_multiplier maps, and the pointwise "
                "1x1 kernel reads all of them: channels * depth_multiplier * filters weights",
                _counts(lambda t, c, f, m: (t * c * f + f, t * c * m + c * f + f))),
        Mistake("the depthwise kernel has kernel_rows * kernel_cols * channels * "
                "depth_multiplier weights: one small kernel per input channel and multiplier",
                _counts(lambda t, c, f, m: (t * c * f + f, t * m + c * m * f + f))),
        Mistake("the plain kernel has kernel_rows * kernel_cols * channels * filters weights: "
                "every filter reads every input channel",
                _counts(lambda t, c, f, m: (t * f + f, t * c * m + c * m * f + f))),
        Mistake("kernel_size is a pair (rows, cols): multiply its two sizes",
                raises=TypeError, match="tuple"),
    ],
    steps="taps = kernel_size[0] * kernel_size[1]; plain = taps * channels * filters + filters; "
          "separable = taps * channels * depth_multiplier (depthwise) + channels * "
          "depth_multiplier * filters (pointwise) + filters (bias); return plain, separable.")


# ---------------------------------------------------------------- 6.6 channels_last_dense_kernel
def channels_last_dense_kernel(kernel, channels, rows, cols):
    """Rows ordered (channel, row, col) -> rows ordered (row, col, channel)."""
    units = kernel.shape[1]
    out = np.empty_like(kernel)
    for r in range(rows):
        for c in range(cols):
            for ch in range(channels):
                out[(r * cols + c) * channels + ch] = kernel[(ch * rows + r) * cols + c]
    assert out.shape == (channels * rows * cols, units)
    return out


def _reorder(order, source):
    """Rows read as ``source`` axes (a string of 'c', 'r', 'w'), written in ``order``."""
    def wrong(kernel, channels, rows, cols):
        sizes = {"c": channels, "r": rows, "w": cols}
        blocks = kernel.reshape(*(sizes[a] for a in source), kernel.shape[1])
        perm = [source.index(a) for a in order] + [3]
        return blocks.transpose(perm).reshape(kernel.shape)
    return wrong


_DENSE = _normal(24, 5)

DENSE_KERNEL = Exercise(
    "6.6", "channels_last_dense_kernel", reference=channels_last_dense_kernel,
    cases=[Case(_DENSE, 3, 2, 4, note="3 channels of 2x4 maps, 5 units"),
           Case(np.arange(12.0).reshape(12, 1), 2, 2, 3,
                expected=np.array([0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11.0]).reshape(12, 1),
                note="by hand: 2 channels of 2x3 maps, one unit"),
           Case(_normal(18, 4), 2, 3, 3, note="square 3x3 maps"),
           Case(_normal(6, 3), 1, 2, 3, note="one channel: nothing moves")],
    mistakes=[
        Mistake("the rows must be reordered: the channels_first Flatten lists all of channel "
                "0 first, then channel 1, ...; the channels_last one lists the channels of "
                "each pixel together", when=lambda got, k, c, r, w: c > 1 and
                np.shape(got) == k.shape and np.allclose(got, k)),
        Mistake("that is the opposite conversion (from channels_last rows to channels_first "
                "rows): read the kernel's rows as (channels, rows, cols), then move the "
                "channels axis last", _reorder("crw", "rwc")),
        Mistake("the rows and columns of the maps are swapped: the new order is (row, col, "
                "channel), row-major, as an image (rows, cols, channels) is flattened",
                _reorder("wrc", "crw")),
        Mistake("the units axis must stay where it is: only the kernel's rows (the flattened "
                "features) move; its columns are the Dense units",
                when=lambda got, k, c, r, w: np.shape(got) != k.shape and
                np.size(got) == k.size),
    ],
    steps="kernel.reshape(channels, rows, cols, units) names the rows' three axes; "
          ".transpose(1, 2, 0, 3) puts them in (rows, cols, channels) order; "
          ".reshape(channels * rows * cols, units) flattens them again.")


EXERCISES = [CONV2D, OUTPUT_LENGTH, MAX_POOL_BACKWARD, MIN_POOLING, PARAM_COUNTS, DENSE_KERNEL]
