"""Lesson 06: typical wrong answers -> the hint their check must give, and right answers."""

STUB = 'raise NotImplementedError("write your solution here")'

# ---------------------------------------------------------------- 6.1 conv2d_numpy
CONV_HEAD = """
def conv2d_numpy(images, kernel, bias):
    n, rows, cols, _ = images.shape
    kh, kw, _, filters = kernel.shape
"""
CONV_LOOP = CONV_HEAD + """
    out = np.zeros((n, rows - kh + 1, cols - kw + 1, filters))
    for r in range(rows - kh + 1):
        for c in range(cols - kw + 1):
"""

# ---------------------------------------------------------------- 6.2 conv_output_length
LENGTH = "def conv_output_length(n, kernel_size, stride, dilation, padding):\n"

# ---------------------------------------------------------------- 6.3 max_pool_backward
POOL_HEAD = """
def max_pool_backward(x, grad, pool_size, strides):
    (ph, pw), (sh, sw) = pool_size, strides
    dx = np.zeros(x.shape)
    n, out_rows, out_cols, channels = grad.shape
    for b in range(n):
        for ch in range(channels):
            for i in range(out_rows):
                for j in range(out_cols):
                    window = x[b, i * sh:i * sh + ph, j * sw:j * sw + pw, ch]
"""

# ---------------------------------------------------------------- 6.4 MinPooling2D
MIN_INIT = """
class MinPooling2D(mk.layers.Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.pool_size = tuple(pool_size)
        self.strides = self.pool_size if strides is None else tuple(strides)
        self.padding = padding
        self.data_format = data_format

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format}
"""


def min_pooling(call, init=MIN_INIT):
    return init + "\n    def call(self, inputs):\n" + call


# ---------------------------------------------------------------- 6.5 param_counts
COUNTS = """
def param_counts(kernel_size, channels, filters, depth_multiplier):
    kh, kw = kernel_size
    taps = kh * kw
"""

# ---------------------------------------------------------------- 6.6 channels_last_dense_kernel
DENSE = "def channels_last_dense_kernel(kernel, channels, rows, cols):\n"

WRONG = [
    # ---- 6.1
    ("6.1", "untouched stub", f"def conv2d_numpy(images, kernel, bias):\n    {STUB}",
     "not written yet"),
    ("6.1", "range without + 1", CONV_HEAD + """
    out = np.zeros((n, rows - kh, cols - kw, filters))
    for r in range(rows - kh):
        for c in range(cols - kw):
            out[:, r, c, :] = np.tensordot(images[:, r:r + kh, c:c + kw, :], kernel, axes=3) + bias
    return out
""", "one window position too few"),
    ("6.1", "same-size output", CONV_HEAD + """
    padded = np.pad(images, ((0, 0), (kh // 2, kh - 1 - kh // 2), (kw // 2, kw - 1 - kw // 2), (0, 0)))
    out = np.zeros((n, rows, cols, filters))
    for r in range(rows):
        for c in range(cols):
            out[:, r, c, :] = np.tensordot(padded[:, r:r + kh, c:c + kw, :], kernel, axes=3) + bias
    return out
""", "Conv2D's default padding is 'valid'"),
    ("6.1", "kernel axes swapped", CONV_HEAD + """
    k = kernel.transpose(1, 0, 2, 3)
    out = np.zeros((n, rows - kw + 1, cols - kh + 1, filters))
    for r in range(rows - kw + 1):
        for c in range(cols - kh + 1):
            out[:, r, c, :] = np.tensordot(images[:, r:r + kw, c:c + kh, :], k, axes=3) + bias
    return out
""", "the kernel's first axis runs over rows"),
    ("6.1", "channels not summed", CONV_HEAD + """
    out = np.zeros((n, rows - kh + 1, cols - kw + 1, images.shape[3], filters))
    for r in range(rows - kh + 1):
        for c in range(cols - kw + 1):
            window = images[:, r:r + kh, c:c + kw, :, None]
            out[:, r, c] = (window * kernel).sum(axis=(1, 2)) + bias
    return out
""", "sum over the input channels too"),
    ("6.1", "flipped kernel", CONV_LOOP + """
            window = images[:, r:r + kh, c:c + kw, :]
            out[:, r, c, :] = np.tensordot(window, kernel[::-1, ::-1], axes=3) + bias
    return out
""", "you flipped the kernel"),
    ("6.1", "no bias", CONV_LOOP + """
            out[:, r, c, :] = np.tensordot(images[:, r:r + kh, c:c + kw, :], kernel, axes=3)
    return out
""", "the bias is missing"),
    ("6.1", "first channel only", CONV_LOOP + """
            window = images[:, r:r + kh, c:c + kw, 0]
            out[:, r, c, :] = np.tensordot(window, kernel[:, :, 0, :], axes=2) + bias
    return out
""", "only the first input channel was used"),
    ("6.1", "bias inside the sum", CONV_LOOP + """
            window = images[:, r:r + kh, c:c + kw, :, None]
            out[:, r, c, :] = (window * kernel + bias).sum(axis=(1, 2, 3))
    return out
""", "the bias was added once per tap"),
    # ---- 6.2
    ("6.2", "untouched stub", LENGTH + f"    {STUB}", "not written yet"),
    ("6.2", "true division", LENGTH + """
    span = dilation * (kernel_size - 1) + 1
    if padding == "valid":
        return (n - span) / stride + 1
    return math.ceil(n / stride)
""", "return a whole number"),
    ("6.2", "causal like valid", LENGTH + """
    span = dilation * (kernel_size - 1) + 1
    if padding == "same":
        return math.ceil(n / stride)
    return (n - span) // stride + 1
""", "'causal' padding puts all the padding before"),
    ("6.2", "dilation ignored", LENGTH + """
    if padding == "valid":
        return (n - kernel_size) // stride + 1
    return math.ceil(n / stride)
""", "the dilation is ignored"),
    ("6.2", "span d * k", LENGTH + """
    if padding == "valid":
        return (n - dilation * kernel_size) // stride + 1
    return math.ceil(n / stride)
""", "not d * k"),
    ("6.2", "divides too early", LENGTH + """
    span = dilation * (kernel_size - 1) + 1
    if padding == "valid":
        return (n - span + 1) // stride
    return math.ceil(n / stride)
""", "divide by the stride AFTER"),
    ("6.2", "no + 1", LENGTH + """
    span = dilation * (kernel_size - 1) + 1
    if padding == "valid":
        return (n - span) // stride
    return math.ceil(n / stride)
""", "the + 1 is missing"),
    ("6.2", "same rounds down", LENGTH + """
    span = dilation * (kernel_size - 1) + 1
    if padding == "valid":
        return (n - span) // stride + 1
    if padding == "same":
        return n // stride
    return math.ceil(n / stride)
""", "round UP"),
    ("6.2", "same ignores the stride", LENGTH + """
    span = dilation * (kernel_size - 1) + 1
    if padding == "valid":
        return (n - span) // stride + 1
    if padding == "causal":
        return math.ceil(n / stride)
    return n
""", "the stride still divides the length"),
    ("6.2", "padding ignored", LENGTH + """
    span = dilation * (kernel_size - 1) + 1
    return (n - span) // stride + 1
""", "whatever the kernel"),
    ("6.2", "np.floor", LENGTH + """
    span = dilation * (kernel_size - 1) + 1
    if padding == "valid":
        return np.floor((n - span) / stride) + 1
    return np.ceil(n / stride)
""", "return an int"),
    # ---- 6.3
    ("6.3", "untouched stub", f"def max_pool_backward(x, grad, pool_size, strides):\n    {STUB}",
     "not written yet"),
    ("6.3", "shape of grad", """
def max_pool_backward(x, grad, pool_size, strides):
    return grad * 1.0
""", "dx has the shape of x"),
    ("6.3", "every cell", POOL_HEAD + """
                    dx[b, i * sh:i * sh + ph, j * sw:j * sw + pw, ch] += grad[b, i, j, ch]
    return dx
""", "the gradient went to every cell of the window"),
    ("6.3", "averaged", POOL_HEAD + """
                    dx[b, i * sh:i * sh + ph, j * sw:j * sw + pw, ch] += grad[b, i, j, ch] / (ph * pw)
    return dx
""", "that is average pooling's backward"),
    ("6.3", "ones at the winners", POOL_HEAD + """
                    r, c = np.unravel_index(np.argmax(window), window.shape)
                    dx[b, i * sh + r, j * sw + c, ch] += 1.0
    return dx
""", "the winning cell gets 1"),
    ("6.3", "assigned, not added", POOL_HEAD + """
                    r, c = np.unravel_index(np.argmax(window), window.shape)
                    dx[b, i * sh + r, j * sw + c, ch] = grad[b, i, j, ch]
    return dx
""", "add into dx (+=)"),
    ("6.3", "every tied cell", POOL_HEAD + """
                    mask = window == window.max()
                    dx[b, i * sh:i * sh + ph, j * sw:j * sw + pw, ch] += mask * grad[b, i, j, ch]
    return dx
""", "only ONE may get the gradient"),
    ("6.3", "last of the ties", POOL_HEAD + """
                    best = None
                    for r in range(ph):
                        for c in range(pw):
                            if best is None or window[r, c] >= window[best]:
                                best = (r, c)
                    dx[b, i * sh + best[0], j * sw + best[1], ch] += grad[b, i, j, ch]
    return dx
""", "give the gradient to the FIRST largest cell"),
    # ---- 6.4
    ("6.4", "untouched stub", min_pooling(f"        {STUB}\n"), "not written yet"),
    ("6.4", "NumPy in call", min_pooling("""
        x = np.asarray(inputs)
        ph, pw = self.pool_size
        n, rows, cols, channels = x.shape
        x = x[:, :rows // ph * ph, :cols // pw * pw]
        return x.reshape(n, rows // ph, ph, cols // pw, pw, channels).min(axis=(2, 4))
"""), "which NumPy cannot compute with"),
    ("6.4", "no super().__init__", """
class MinPooling2D(mk.layers.Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        self.pool_size = tuple(pool_size)
        self.strides = self.pool_size if strides is None else tuple(strides)
        self.padding = padding
        self.data_format = data_format

    def call(self, inputs):
        return -K.pool2d(-inputs, self.pool_size, self.strides, self.padding, self.data_format)
""", "__init__ must call super().__init__(**kwargs) first"),
    ("6.4", "max pooling", min_pooling("""
        return K.pool2d(inputs, self.pool_size, self.strides, self.padding, self.data_format)
"""), "that is max pooling"),
    ("6.4", "negated outside only", min_pooling("""
        return -K.pool2d(inputs, self.pool_size, self.strides, self.padding, self.data_format)
"""), "only the result is negated"),
    ("6.4", "negated inside only", min_pooling("""
        return K.pool2d(-inputs, self.pool_size, self.strides, self.padding, self.data_format)
"""), "only the input is negated"),
    ("6.4", "strides=None passed as is", min_pooling("""
        strides = (1, 1) if self._given_strides is None else self._given_strides
        return -K.pool2d(-inputs, self.pool_size, strides, self.padding, self.data_format)
""", init=MIN_INIT.replace("        self.padding = padding\n",
                           "        self.padding = padding\n        self._given_strides = strides\n")),
     "strides=None means windows side by side"),
    ("6.4", "data_format ignored", min_pooling("""
        return -K.pool2d(-inputs, self.pool_size, self.strides, self.padding)
"""), "the data_format is ignored"),
    ("6.4", "padding ignored", min_pooling("""
        return -K.pool2d(-inputs, self.pool_size, self.strides, data_format=self.data_format)
"""), "the padding is ignored"),
    ("6.4", "values computed outside the graph", min_pooling("""
        if K.is_placeholder(inputs) or not hasattr(inputs, "op"):
            return -K.pool2d(-inputs, self.pool_size, self.strides, self.padding, self.data_format)
        return K.constant(K.eval(-K.pool2d(-inputs, self.pool_size, self.strides, self.padding,
                                           self.data_format)))
"""), "the gradient must reach the smallest cell"),
    ("6.4", "no get_config", """
class MinPooling2D(mk.layers.Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.pool_size = tuple(pool_size)
        self.strides = self.pool_size if strides is None else tuple(strides)
        self.padding = padding
        self.data_format = data_format

    def call(self, inputs):
        return -K.pool2d(-inputs, self.pool_size, self.strides, self.padding, self.data_format)
""", "get_config() must hold pool_size, strides, padding and data_format"),
    # ---- 6.5
    ("6.5", "untouched stub",
     f"def param_counts(kernel_size, channels, filters, depth_multiplier):\n    {STUB}",
     "not written yet"),
    ("6.5", "one number", COUNTS + """
    return taps * channels * filters + filters
""", "return the pair"),
    ("6.5", "the wrong way round", COUNTS + """
    return (taps * channels * depth_multiplier + channels * depth_multiplier * filters + filters,
            taps * channels * filters + filters)
""", "the wrong way round"),
    ("6.5", "no biases", COUNTS + """
    return taps * channels * filters, taps * channels * depth_multiplier + channels * depth_multiplier * filters
""", "the biases are missing"),
    ("6.5", "no plain bias", COUNTS + """
    return (taps * channels * filters,
            taps * channels * depth_multiplier + channels * depth_multiplier * filters + filters)
""", "the plain Conv2D's bias is missing"),
    ("6.5", "no separable bias", COUNTS + """
    return (taps * channels * filters + filters,
            taps * channels * depth_multiplier + channels * depth_multiplier * filters)
""", "the separable layer's bias is missing"),
    ("6.5", "a depthwise bias too", COUNTS + """
    depthwise = taps * channels * depth_multiplier + channels * depth_multiplier
    pointwise = channels * depth_multiplier * filters + filters
    return taps * channels * filters + filters, depthwise + pointwise
""", "SeparableConv2D has ONE bias"),
    ("6.5", "pointwise without the multiplier", COUNTS + """
    return (taps * channels * filters + filters,
            taps * channels * depth_multiplier + channels * filters + filters)
""", "the pointwise"),
    ("6.5", "depthwise without the channels", COUNTS + """
    return (taps * channels * filters + filters,
            taps * depth_multiplier + channels * depth_multiplier * filters + filters)
""", "the depthwise kernel has kernel_rows * kernel_cols * channels"),
    ("6.5", "plain without the channels", COUNTS + """
    return (taps * filters + filters,
            taps * channels * depth_multiplier + channels * depth_multiplier * filters + filters)
""", "every filter reads every input channel"),
    ("6.5", "kernel_size as an int", """
def param_counts(kernel_size, channels, filters, depth_multiplier):
    taps = kernel_size ** 2
    return taps * channels * filters + filters, taps * channels * depth_multiplier + channels * depth_multiplier * filters + filters
""", "kernel_size is a pair"),
    # ---- 6.6
    ("6.6", "untouched stub", DENSE + f"    {STUB}", "not written yet"),
    ("6.6", "unchanged", DENSE + "    return kernel.copy()", "the rows must be reordered"),
    ("6.6", "reshape only", DENSE + """
    return kernel.reshape(rows, cols, channels, -1).reshape(kernel.shape)
""", "the rows must be reordered"),
    ("6.6", "the opposite direction", DENSE + """
    units = kernel.shape[1]
    return kernel.reshape(rows, cols, channels, units).transpose(2, 0, 1, 3).reshape(-1, units)
""", "that is the opposite conversion"),
    ("6.6", "rows and cols swapped", DENSE + """
    units = kernel.shape[1]
    return kernel.reshape(channels, rows, cols, units).transpose(2, 1, 0, 3).reshape(-1, units)
""", "the rows and columns of the maps are swapped"),
    ("6.6", "units moved too", DENSE + """
    units = kernel.shape[1]
    return kernel.reshape(channels, rows, cols, units).transpose(3, 1, 2, 0).reshape(units, -1)
""", "the units axis must stay where it is"),
]

RIGHT = [
    # ---- 6.1
    ("6.1", "einsum over windows", CONV_LOOP + """
            window = images[:, r:r + kh, c:c + kw, :]
            out[:, r, c, :] = np.einsum("nijc,ijcf->nf", window, kernel) + bias
    return out
"""),
    ("6.1", "loops over the kernel taps", CONV_HEAD + """
    out = np.zeros((n, rows - kh + 1, cols - kw + 1, filters)) + bias
    for i in range(kh):
        for j in range(kw):
            patch = images[:, i:i + rows - kh + 1, j:j + cols - kw + 1, :]
            out += patch @ kernel[i, j]
    return out
"""),
    ("6.1", "a matrix of windows (im2col)", CONV_HEAD + """
    out_r, out_c = rows - kh + 1, cols - kw + 1
    columns = np.stack([images[:, r:r + kh, c:c + kw, :].reshape(n, -1)
                        for r in range(out_r) for c in range(out_c)], axis=1)
    return (columns @ kernel.reshape(-1, filters) + bias).reshape(n, out_r, out_c, filters)
"""),
    # ---- 6.2
    ("6.2", "ceil through negatives", LENGTH + """
    if padding in ("same", "causal"):
        return -(-n // stride)
    return (n - dilation * (kernel_size - 1) - 1) // stride + 1
"""),
    ("6.2", "counting the positions", LENGTH + """
    if padding != "valid":
        return len(range(0, n, stride))
    span = dilation * (kernel_size - 1) + 1
    return len(range(0, n - span + 1, stride))
"""),
    ("6.2", "int of math.floor", LENGTH + """
    if padding == "valid":
        return int(math.floor((n - (kernel_size - 1) * dilation - 1) / stride)) + 1
    return int(math.ceil(n / stride))
"""),
    # ---- 6.3
    ("6.3", "a mask of the first maximum", POOL_HEAD + """
                    first = np.zeros(window.size)
                    first[np.argmax(window)] = grad[b, i, j, ch]
                    dx[b, i * sh:i * sh + ph, j * sw:j * sw + pw, ch] += first.reshape(window.shape)
    return dx
"""),
    ("6.3", "vectorised over batch and channels", """
def max_pool_backward(x, grad, pool_size, strides):
    (ph, pw), (sh, sw) = pool_size, strides
    dx = np.zeros(x.shape)
    n, out_rows, out_cols, channels = grad.shape
    bs, chs = np.meshgrid(np.arange(n), np.arange(channels), indexing="ij")
    for i in range(out_rows):
        for j in range(out_cols):
            window = x[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :].reshape(n, ph * pw, channels)
            r, c = np.divmod(window.argmax(axis=1), pw)
            np.add.at(dx, (bs, i * sh + r, j * sw + c, chs), grad[:, i, j, :])
    return dx
"""),
    ("6.3", "a strict comparison scan", POOL_HEAD + """
                    best = (0, 0)
                    for r in range(ph):
                        for c in range(pw):
                            if window[r, c] > window[best]:
                                best = (r, c)
                    dx[b, i * sh + best[0], j * sw + best[1], ch] += grad[b, i, j, ch]
    return dx
"""),
    # ---- 6.4
    ("6.4", "with mk.ops.max_pool", min_pooling("""
        return -mk.ops.max_pool(-inputs, self.pool_size, self.strides, self.padding,
                                self.data_format)
""")),
    ("6.4", "K.pool2d by keywords, strides kept None", """
class MinPooling2D(mk.layers.Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.pool_size, self.padding, self.data_format = pool_size, padding, data_format
        self.strides = strides or pool_size

    def call(self, inputs):
        flipped = K.pool2d(-1.0 * inputs, pool_size=self.pool_size, strides=self.strides,
                           padding=self.padding, data_format=self.data_format, pool_mode="max")
        return -1.0 * flipped

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=list(self.pool_size), strides=list(self.strides),
                      padding=self.padding, data_format=self.data_format)
        return config
"""),
    # ---- 6.5
    ("6.5", "kernel shapes as products", """
def param_counts(kernel_size, channels, filters, depth_multiplier):
    plain = int(np.prod((*kernel_size, channels, filters))) + filters
    depthwise = int(np.prod((*kernel_size, channels, depth_multiplier)))
    pointwise = int(np.prod((1, 1, channels * depth_multiplier, filters)))
    return plain, depthwise + pointwise + filters
"""),
    ("6.5", "factored", COUNTS + """
    return filters * (taps * channels + 1), channels * depth_multiplier * (taps + filters) + filters
"""),
    # ---- 6.6
    ("6.6", "transpose", DENSE + """
    units = kernel.shape[-1]
    return kernel.reshape(channels, rows, cols, units).transpose(1, 2, 0, 3).reshape(-1, units)
"""),
    ("6.6", "an index permutation", DENSE + """
    order = np.arange(channels * rows * cols).reshape(channels, rows, cols)
    return kernel[order.transpose(1, 2, 0).ravel()]
"""),
]
