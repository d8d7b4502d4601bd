"""Lesson 01: typical wrong answers -> the hint their check must give, and right answers.

Each answer is the code a learner would type into the exercise cell; it runs in a fresh
namespace holding what the lesson's set-up cell imports (np, K, mk, axes, config, math).
``test_hints.py`` runs every row. Add a row for every mistake you see learners make.
"""

STUB = 'raise NotImplementedError("write your solution here")'

WRONG = [
    # ---- 1.1 stack_batch
    ("1.1", "untouched stub", f"def stack_batch(images):\n    {STUB}", "not written yet"),
    ("1.1", "np.concatenate", "def stack_batch(images):\n    return np.concatenate(images)",
     "glued the pictures end to end"),
    ("1.1", "np.vstack", "def stack_batch(images):\n    return np.vstack(images)",
     "glued the pictures end to end"),
    ("1.1", "np.hstack", "def stack_batch(images):\n    return np.hstack(images)",
     "glued the pictures side by side"),
    ("1.1", "stack on the last axis", "def stack_batch(images):\n    return np.stack(images, axis=-1)",
     "the new axis is not the first one"),
    ("1.1", "stack on axis 1", "def stack_batch(images):\n    return np.stack(images, axis=1)",
     "the new axis is not the first one"),
    ("1.1", "a list back", "def stack_batch(images):\n    return list(images)", "Python list"),
    ("1.1", "first picture only", "def stack_batch(images):\n    return images[0]",
     "one picture, not a batch"),
    ("1.1", "expand the first picture",
     "def stack_batch(images):\n    return np.expand_dims(images[0], 0)", "one picture, not a batch"),
    ("1.1", "transposed array", "def stack_batch(images):\n    return np.array(images).T",
     "reversed every axis"),
    # ---- 1.2 row_means
    ("1.2", "axis 0", "def row_means(a):\n    return a.mean(axis=0)", "column means"),
    ("1.2", "sum only", "def row_means(a):\n    return a.sum(axis=1)", "did not divide"),
    ("1.2", "divided by the rows", "def row_means(a):\n    return a.sum(axis=1) / len(a)",
     "number of ROWS"),
    ("1.2", "keepdims", "def row_means(a):\n    return a.mean(axis=1, keepdims=True)",
     "the shape is (n, 1)"),
    ("1.2", "no axis", "def row_means(a):\n    return a.mean()", "mean of the whole matrix"),
    ("1.2", "median", "def row_means(a):\n    return np.median(a, axis=1)", "median"),
    ("1.2", "integer division", "def row_means(a):\n    return a.sum(axis=1) // a.shape[1]",
     "integer division"),
    ("1.2", "a list of means", "def row_means(a):\n    return [row.mean() for row in a]",
     "Python list"),
    # ---- 1.3 k_sum
    ("1.3", "np.sum", "def k_sum(a, axis):\n    return np.sum(a, axis=axis)",
     "this exercise is about minikeras"),
    ("1.3", "a K node built but NumPy returned",
     "def k_sum(a, axis):\n    K.sum(K.variable(a), axis=axis)\n    return a.sum(axis=axis)",
     "this exercise is about minikeras"),
    ("1.3", "no K.eval", "def k_sum(a, axis):\n    return K.sum(K.variable(a), axis=axis)",
     "symbolic tensor"),
    ("1.3", "a .sum method", "def k_sum(a, axis):\n    return K.eval(K.variable(a).sum(axis))",
     "no .sum() method"),
    ("1.3", "axis ignored", "def k_sum(a, axis):\n    return K.eval(K.sum(K.variable(a)))",
     "the axis argument was ignored"),
    ("1.3", "always axis 0", "def k_sum(a, axis):\n    return K.eval(K.sum(K.variable(a), axis=0))",
     "you summed along axis 0, not along axis 1"),
    ("1.3", "keepdims",
     "def k_sum(a, axis):\n    return K.eval(K.sum(K.variable(a), axis=axis, keepdims=True))",
     "no keepdims here"),
    ("1.3", "K.mean", "def k_sum(a, axis):\n    return K.eval(K.mean(K.variable(a), axis=axis))",
     "that is the mean"),
    ("1.3", "a list back",
     "def k_sum(a, axis):\n    return K.eval(K.sum(K.variable(a), axis=axis)).tolist()",
     "Python list"),
    # ---- 1.4 standardize_rows
    ("1.4", "ddof=1", ("def standardize_rows(a):\n"
     "    return (a - a.mean(axis=1, keepdims=True)) / a.std(axis=1, ddof=1, keepdims=True)"),
     "sample standard deviation (ddof=1"),
    ("1.4", "no keepdims", ("def standardize_rows(a):\n"
     "    return (a - a.mean(axis=1)) / a.std(axis=1)"), "lined up with the COLUMNS"),
    ("1.4", "keepdims on the mean only", ("def standardize_rows(a):\n"
     "    return (a - a.mean(axis=1, keepdims=True)) / a.std(axis=1)"),
     "on the mean but not on the std"),
    ("1.4", "keepdims on the std only", ("def standardize_rows(a):\n"
     "    return (a - a.mean(axis=1)) / a.std(axis=1, keepdims=True)"),
     "on the std but not on the mean"),
    ("1.4", "columns", ("def standardize_rows(a):\n"
     "    return (a - a.mean(axis=0)) / a.std(axis=0)"), "standardised the columns"),
    ("1.4", "centred only", ("def standardize_rows(a):\n"
     "    return a - a.mean(axis=1, keepdims=True)"), "still need to divide"),
    ("1.4", "whole matrix", "def standardize_rows(a):\n    return (a - a.mean()) / a.std()",
     "of the whole matrix"),
    ("1.4", "variance", ("def standardize_rows(a):\n"
     "    return (a - a.mean(axis=1, keepdims=True)) / a.var(axis=1, keepdims=True)"),
     "divided by the variance"),
    ("1.4", "precedence", ("def standardize_rows(a):\n"
     "    return a - a.mean(axis=1, keepdims=True) / a.std(axis=1, keepdims=True)"),
     "operator precedence"),
    ("1.4", "mean over the wrong count", ("def standardize_rows(a):\n"
     "    mean = a.sum(axis=1, keepdims=True) / len(a)\n"
     "    return (a - mean) / a.std(axis=1, keepdims=True)"), "the mean divides by the wrong count"),
    ("1.4", "std over the wrong count", ("def standardize_rows(a):\n"
     "    centred = a - a.mean(axis=1, keepdims=True)\n"
     "    return centred / np.sqrt((centred ** 2).sum(axis=1, keepdims=True) / len(a))"),
     "standard deviation divides by the wrong count"),
    # ---- 1.5 flatten_images
    ("1.5", "everything flat", "def flatten_images(x):\n    return x.reshape(-1)",
     "one long vector"),
    ("1.5", "x.flatten()", "def flatten_images(x):\n    return x.flatten()", "one long vector"),
    ("1.5", "features first", "def flatten_images(x):\n    return x.reshape(-1, len(x))",
     "(features, n)"),
    ("1.5", "column by column",
     "def flatten_images(x):\n    return np.swapaxes(x, 1, 2).reshape(len(x), -1)",
     "column by column"),
    ("1.5", "reshape(-1, 784)", "def flatten_images(x):\n    return x.reshape(-1, 784)",
     "you wrote 784"),
    ("1.5", "reshape(len(x), 784)", "def flatten_images(x):\n    return x.reshape(len(x), 784)",
     "you wrote 784"),
    ("1.5", "two axes merged only",
     "def flatten_images(x):\n    return x.reshape(x.shape[0], x.shape[1] * x.shape[2])",
     "merge ALL the others"),
    ("1.5", "np.concatenate", "def flatten_images(x):\n    return np.concatenate(x)",
     "on top of each other"),
    ("1.5", "K.batch_flatten not run",
     "def flatten_images(x):\n    return K.batch_flatten(K.variable(x))", "symbolic tensor"),
    # ---- 1.6a th_to_tf, 1.6b tf_to_th
    ("1.6a", "reshape", "def th_to_tf(x):\n    n, c, h, w = x.shape\n    return x.reshape(n, h, w, c)",
     "that is a reshape"),
    ("1.6a", "swapaxes", "def th_to_tf(x):\n    return np.swapaxes(x, 1, 3)",
     "rows and columns are swapped"),
    ("1.6a", "the other permutation", "def th_to_tf(x):\n    return np.transpose(x, (0, 3, 1, 2))",
     "the OTHER direction"),
    ("1.6a", "x.T", "def th_to_tf(x):\n    return x.T", "reversed every axis"),
    ("1.6a", "permute not run",
     "def th_to_tf(x):\n    return K.permute_dimensions(K.variable(x), (0, 2, 3, 1))",
     "symbolic tensor"),
    ("1.6b", "reshape", "def tf_to_th(x):\n    n, h, w, c = x.shape\n    return x.reshape(n, c, h, w)",
     "that is a reshape"),
    ("1.6b", "swapaxes", "def tf_to_th(x):\n    return np.swapaxes(x, 1, 3)",
     "rows and columns are swapped"),
    ("1.6b", "the other permutation",
     "def tf_to_th(x):\n    return np.transpose(x, axes.channels_last_perm(4))",
     "the OTHER direction"),
    ("1.6b", "x.T", "def tf_to_th(x):\n    return np.transpose(x)", "reversed every axis"),
    # ---- 1.7 channel_means
    ("1.7", "only the long name known", ("def channel_means(x, data_format):\n"
     "    if data_format == 'channels_last':\n        return x.mean(axis=(0, 1, 2))\n"
     "    return x.mean(axis=(0, 2, 3))"), "'tf' is the old name of 'channels_last'"),
    ("1.7", "the global setting", ("def channel_means(x, data_format):\n"
     "    if K.image_data_format() == 'channels_last':\n        return x.mean(axis=(0, 1, 2))\n"
     "    return x.mean(axis=(0, 2, 3))"), "Use the data_format argument"),
    ("1.7", "per picture", ("def channel_means(x, data_format):\n"
     "    if config.normalize_data_format(data_format) == 'channels_last':\n"
     "        return x.mean(axis=(1, 2))\n    return x.mean(axis=(2, 3))"),
     "also average over the batch axis"),
    ("1.7", "across the channels", ("def channel_means(x, data_format):\n"
     "    if config.normalize_data_format(data_format) == 'channels_last':\n"
     "        return x.mean(axis=3)\n    return x.mean(axis=1)"), "ACROSS the channels"),
    ("1.7", "reshape for channels_first", ("def channel_means(x, data_format):\n"
     "    return x.reshape(-1, x.shape[-1 if data_format in ('channels_last', 'tf') else 1])"
     ".mean(axis=0)"), "only lines up the channels when they are the LAST axis"),
    ("1.7", "three channels assumed", ("def channel_means(x, data_format):\n"
     "    if config.normalize_data_format(data_format) == 'channels_first':\n"
     "        x = np.moveaxis(x, 1, -1)\n    return x.reshape(-1, 3).mean(axis=0)"),
     "not every batch has 3 channels"),
    # ---- 1.8 Standardize
    ("1.8", "untouched stub", f"""
class Standardize(mk.layers.Layer):
    def __init__(self, axis=-1, **kwargs):
        {STUB}
""", "not written yet"),
    ("1.8", "NumPy in call", """
class Standardize(mk.layers.Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
    def call(self, inputs):
        return (inputs - np.mean(inputs, axis=self.axis, keepdims=True)) / np.std(
            inputs, axis=self.axis, keepdims=True)
    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
""", "NumPy functions cannot compute"),
    ("1.8", "no keepdims", """
class Standardize(mk.layers.Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
    def call(self, inputs):
        return (inputs - K.mean(inputs, axis=self.axis)) / K.std(inputs, axis=self.axis)
    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
""", "keep the reduced axis (keepdims=True)"),
    ("1.8", "axis ignored", """
class Standardize(mk.layers.Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
    def call(self, inputs):
        mean = K.mean(inputs, axis=-1, keepdims=True)
        return (inputs - mean) / K.std(inputs, axis=-1, keepdims=True)
    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
""", "the axis argument is ignored"),
    ("1.8", "variance", """
class Standardize(mk.layers.Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
    def call(self, inputs):
        mean = K.mean(inputs, axis=self.axis, keepdims=True)
        return (inputs - mean) / K.var(inputs, axis=self.axis, keepdims=True)
    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
""", "divided by the variance"),
    ("1.8", "whole batch", """
class Standardize(mk.layers.Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
    def call(self, inputs):
        return (inputs - K.mean(inputs)) / K.std(inputs)
    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
""", "standardised on its own"),
    ("1.8", "no super().__init__", """
class Standardize(mk.layers.Layer):
    def __init__(self, axis=-1, **kwargs):
        self.axis = axis
    def call(self, inputs):
        mean = K.mean(inputs, axis=self.axis, keepdims=True)
        return (inputs - mean) / K.std(inputs, axis=self.axis, keepdims=True)
""", "must call super().__init__(**kwargs)"),
    ("1.8", "no **kwargs", """
class Standardize(mk.layers.Layer):
    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis
    def call(self, inputs):
        mean = K.mean(inputs, axis=self.axis, keepdims=True)
        return (inputs - mean) / K.std(inputs, axis=self.axis, keepdims=True)
    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
""", "accept **kwargs"),
    ("1.8", "no get_config", """
class Standardize(mk.layers.Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
    def call(self, inputs):
        mean = K.mean(inputs, axis=self.axis, keepdims=True)
        return (inputs - mean) / K.std(inputs, axis=self.axis, keepdims=True)
""", "get_config() must include the axis"),
]

RIGHT = [
    ("1.1", "np.array", "def stack_batch(images):\n    return np.array(images)"),
    ("1.1", "a loop into an empty array", """
def stack_batch(images):
    out = np.empty((len(images), *np.shape(images[0])), dtype=np.asarray(images[0]).dtype)
    for i, image in enumerate(images):
        out[i] = image
    return out
"""),
    ("1.1", "expand and concatenate",
     "def stack_batch(images):\n    return np.concatenate([im[None] for im in images])"),
    ("1.2", "np.mean axis -1", "def row_means(a):\n    return np.mean(a, axis=-1)"),
    ("1.2", "sum over the row length", "def row_means(a):\n    return a.sum(axis=1) / a.shape[1]"),
    ("1.2", "a loop", "def row_means(a):\n    return np.array([row.mean() for row in a])"),
    ("1.3", "a constant", "def k_sum(a, axis):\n    return K.eval(K.sum(K.constant(a), axis=axis))"),
    ("1.3", "get_value", "def k_sum(a, axis):\n    return K.get_value(K.sum(K.variable(a), axis=axis))"),
    ("1.3", "a placeholder and a function", """
def k_sum(a, axis):
    slot = K.placeholder(shape=a.shape)
    return K.function([slot], [K.sum(slot, axis=axis)])([a])[0]
"""),
    ("1.4", "by hand", """
def standardize_rows(a):
    centred = a - a.mean(axis=1)[:, None]
    return centred / np.sqrt((centred ** 2).mean(axis=1))[:, None]
"""),
    ("1.4", "through the transpose",
     "def standardize_rows(a):\n    return ((a.T - a.T.mean(axis=0)) / a.T.std(axis=0)).T"),
    ("1.4", "one row at a time",
     "def standardize_rows(a):\n    return np.array([(r - r.mean()) / r.std() for r in a])"),
    ("1.5", "shape[0]", "def flatten_images(x):\n    return x.reshape(x.shape[0], -1)"),
    ("1.5", "a loop", "def flatten_images(x):\n    return np.array([p.ravel() for p in x])"),
    ("1.5", "the size worked out",
     "def flatten_images(x):\n    return x.reshape(len(x), int(np.prod(x.shape[1:])))"),
    ("1.5", "a Flatten layer", "def flatten_images(x):\n    return np.asarray(mk.layers.Flatten()(x))"),
    ("1.6a", "np.transpose", "def th_to_tf(x):\n    return np.transpose(x, (0, 2, 3, 1))"),
    ("1.6a", "moveaxis", "def th_to_tf(x):\n    return np.moveaxis(x, 1, -1)"),
    ("1.6a", "einsum", "def th_to_tf(x):\n    return np.einsum('ncij->nijc', x)"),
    ("1.6a", "K.permute_dimensions", """
def th_to_tf(x):
    return K.eval(K.permute_dimensions(K.constant(x), (0, 2, 3, 1)))
"""),
    ("1.6b", "np.transpose", "def tf_to_th(x):\n    return np.transpose(x, (0, 3, 1, 2))"),
    ("1.6b", "moveaxis", "def tf_to_th(x):\n    return np.moveaxis(x, -1, 1)"),
    ("1.6b", "einsum", "def tf_to_th(x):\n    return np.einsum('nijc->ncij', x)"),
    ("1.7", "the other axes", """
def channel_means(x, data_format):
    channel = 3 if config.normalize_data_format(data_format) == 'channels_last' else 1
    return x.mean(axis=tuple(a for a in range(4) if a != channel))
"""),
    ("1.7", "move the channels last", """
def channel_means(x, data_format):
    if data_format in ('channels_first', 'th'):
        x = np.moveaxis(x, 1, -1)
    return x.reshape(-1, x.shape[-1]).mean(axis=0)
"""),
    ("1.7", "a loop over channels", """
def channel_means(x, data_format):
    last = data_format in ('channels_last', 'tf')
    count = x.shape[-1] if last else x.shape[1]
    return np.array([(x[..., c] if last else x[:, c]).mean() for c in range(count)])
"""),
    ("1.8", "with K.sqrt and K.var", """
class Standardize(mk.layers.Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
    def call(self, inputs):
        centred = inputs - K.mean(inputs, axis=self.axis, keepdims=True)
        return centred / K.sqrt(K.var(inputs, axis=self.axis, keepdims=True))
    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
"""),
    ("1.8", "mean of squares", """
class Standardize(mk.layers.Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
    def call(self, x):
        centred = x - K.mean(x, axis=self.axis, keepdims=True)
        return centred / K.sqrt(K.mean(K.square(centred), axis=self.axis, keepdims=True))
    def get_config(self):
        return dict(super().get_config(), axis=self.axis)
"""),
]
