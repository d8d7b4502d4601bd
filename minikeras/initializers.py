"""Initializers: where a layer's weights start, before any training.

An initializer is called with a shape (and optionally a dtype) and returns a NumPy array;
the layer puts it in a variable. Values are drawn eagerly with NumPy from
``minikeras.rng.new_generator``, so ``set_seed(n)`` makes them repeat from run to
run, and an explicit ``seed=`` gives the same values on every call (as in Keras 3).

Definitions and defaults follow Keras 3 (``keras.initializers``), so a saved config reads
the same in both.

>>> init = get('glorot_uniform')
>>> w = init((784, 500))
>>> w.shape, w.dtype, bool(abs(w).max() <= (6 / (784 + 500)) ** 0.5)
((784, 500), dtype('float32'), True)
"""
from __future__ import annotations

import math

import numpy as np

from minikeras import config
from minikeras.rng import new_generator
from minikeras.utils.naming import to_snake_case

# std of a standard normal truncated to [-2, 2]; dividing by it restores the wanted std
TRUNCATED_STD = 0.87962566103423978


def compute_fans(shape) -> tuple[int, int]:
    """(fan_in, fan_out): how many inputs feed one unit, and how many units one feeds.

    A Dense kernel (in, out) gives (in, out). A conv kernel (..., in_channels,
    out_channels) multiplies both by the receptive field: the product of the leading
    (spatial) sizes.

    >>> compute_fans((784, 500)), compute_fans((3, 3, 16, 32)), compute_fans((7,))
    ((784, 500), (144, 288), (7, 7))
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


def _dtype(dtype) -> np.dtype:
    return np.dtype(dtype or config.floatx())


def _truncated_normal(rng: np.random.Generator, shape, mean: float, stddev: float):
    """Normal draws; any beyond two standard deviations are drawn again until none are."""
    z = rng.standard_normal(shape)
    outside = np.abs(z) > 2.0
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2.0
    return mean + stddev * z


class Initializer:
    """Base class: ``__call__(shape, dtype=None)`` returns the initial values.

    Subclasses store their arguments as attributes and list them in ``get_config``,
    so ``cls(**init.get_config())`` rebuilds an equal initializer.

    >>> class Twos(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return np.full(shape, 2.0, dtype=_dtype(dtype))
    >>> Twos()((2,))
    array([2., 2.], dtype=float32)
    """

    def __call__(self, shape, dtype=None) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Initializer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# ---------------------------------------------------------------- constants


class Zeros(Initializer):
    """All zeros (the usual start for biases).

    >>> Zeros()((2, 2))
    array([[0., 0.],
           [0., 0.]], dtype=float32)
    """

    def __call__(self, shape, dtype=None) -> np.ndarray:
        return np.zeros(shape, dtype=_dtype(dtype))


class Ones(Initializer):
    """All ones.

    >>> Ones()((3,), dtype='float64')
    array([1., 1., 1.])
    """

    def __call__(self, shape, dtype=None) -> np.ndarray:
        return np.ones(shape, dtype=_dtype(dtype))


class Constant(Initializer):
    """Every element equal to ``value``.

    >>> Constant(0.5)((2,))
    array([0.5, 0.5], dtype=float32)
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None) -> np.ndarray:
        return np.full(shape, self.value, dtype=_dtype(dtype))

    def get_config(self) -> dict:
        return {"value": self.value}


class Identity(Initializer):
    """``gain`` times the identity matrix (ones on the main diagonal); 2D shapes only.

    >>> Identity(gain=2.0)((2, 3))
    array([[2., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None) -> np.ndarray:
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2D shape, got {tuple(shape)}")
        return (self.gain * np.eye(*shape)).astype(_dtype(dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain}


# ---------------------------------------------------------------- random


class RandomInitializer(Initializer):
    """Base of the random initializers: owns the ``seed``.

    With an integer seed every call returns the same values; with ``seed=None`` every
    call draws afresh from the stream that ``set_seed`` restarts.

    >>> RandomNormal(seed=3)((2,)) == RandomNormal(seed=3)((2,))
    array([ True,  True])
    """

    def __init__(self, seed: int | None = None):
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed must be an integer or None, got {seed!r}")
        self.seed = seed

    def _rng(self) -> np.random.Generator:
        return new_generator(self.seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    """Draws from N(mean, stddev^2).

    >>> w = RandomNormal(stddev=1.0, seed=0)((10000,))
    >>> bool(abs(w.mean()) < 0.05 and abs(w.std() - 1.0) < 0.05)
    True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None) -> np.ndarray:
        return self._rng().normal(self.mean, self.stddev, shape).astype(_dtype(dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Draws from U[minval, maxval).

    >>> w = RandomUniform(-1.0, 1.0, seed=0)((1000,))
    >>> bool(w.min() >= -1.0 and w.max() < 1.0)
    True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.minval, self.maxval = minval, maxval
        super().__init__(seed)

    def __call__(self, shape, dtype=None) -> np.ndarray:
        return self._rng().uniform(self.minval, self.maxval, shape).astype(_dtype(dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class TruncatedNormal(RandomInitializer):
    """Like RandomNormal, but values more than 2 stddev from the mean are drawn again.

    >>> w = TruncatedNormal(stddev=1.0, seed=0)((10000,))
    >>> bool(abs(w).max() <= 2.0)
    True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None) -> np.ndarray:
        values = _truncated_normal(self._rng(), shape, self.mean, self.stddev)
        return values.astype(_dtype(dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class VarianceScaling(RandomInitializer):
    """Random values whose variance is ``scale / n``, with n set by the weight's shape.

    ``mode`` picks n: 'fan_in', 'fan_out' or 'fan_avg' (their mean), see
    :func:`compute_fans`. ``distribution``:

    * 'truncated_normal' (or 'normal'): truncated at 2 std, std ``sqrt(scale / n)``
      after truncation (so it is drawn with ``sqrt(scale / n) / 0.8796...``);
    * 'untruncated_normal': plain normal with std ``sqrt(scale / n)``;
    * 'uniform': U[-limit, limit] with ``limit = sqrt(3 * scale / n)``.

    Keeping the variance of activations steady from layer to layer is what lets deep
    networks train at all; Glorot, He and LeCun initializers are special cases.

    >>> init = VarianceScaling(scale=2.0, mode='fan_in', distribution='uniform', seed=0)
    >>> w = init((50, 20))
    >>> bool(abs(w).max() <= (3 * 2.0 / 50) ** 0.5)
    True
    """

    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: int | None = None):
        if scale <= 0.0:
            raise ValueError(f"scale must be a positive float, got {scale!r}")
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {list(self.MODES)}, got {mode!r}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(f"distribution must be one of {list(self.DISTRIBUTIONS)}, "
                             f"got {distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution
        super().__init__(seed)

    def __call__(self, shape, dtype=None) -> np.ndarray:
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        variance = self.scale / max(1.0, n[self.mode])
        rng = self._rng()
        if self.distribution == "truncated_normal":
            values = _truncated_normal(rng, shape, 0.0, math.sqrt(variance) / TRUNCATED_STD)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(variance), shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        return values.astype(_dtype(dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution}


class GlorotUniform(VarianceScaling):
    """Glorot (Xavier) uniform: U[-limit, limit], ``limit = sqrt(6 / (fan_in + fan_out))``.

    Keras's default kernel initializer (Glorot & Bengio, 2010).

    >>> w = GlorotUniform(seed=0)((30, 10))
    >>> bool(abs(w).max() <= (6 / 40) ** 0.5)
    True
    """

    def __init__(self, seed: int | None = None):
        super().__init__(1.0, "fan_avg", "uniform", seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class GlorotNormal(VarianceScaling):
    """Glorot (Xavier) normal: truncated normal with std ``sqrt(2 / (fan_in + fan_out))``.

    >>> GlorotNormal(seed=0)((30, 10)).shape
    (30, 10)
    """

    def __init__(self, seed: int | None = None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class HeNormal(VarianceScaling):
    """He normal: truncated normal with std ``sqrt(2 / fan_in)``; suits ReLU layers.

    >>> HeNormal(seed=0)((3, 3, 8, 16)).shape
    (3, 3, 8, 16)
    """

    def __init__(self, seed: int | None = None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class HeUniform(VarianceScaling):
    """He uniform: U[-limit, limit] with ``limit = sqrt(6 / fan_in)``.

    >>> bool(abs(HeUniform(seed=0)((24, 5))).max() <= 0.5)
    True
    """

    def __init__(self, seed: int | None = None):
        super().__init__(2.0, "fan_in", "uniform", seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class LecunNormal(VarianceScaling):
    """LeCun normal: truncated normal with std ``sqrt(1 / fan_in)``; pairs with selu.

    >>> LecunNormal(seed=0)((4, 4)).dtype
    dtype('float32')
    """

    def __init__(self, seed: int | None = None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class LecunUniform(VarianceScaling):
    """LeCun uniform: U[-limit, limit] with ``limit = sqrt(3 / fan_in)``.

    >>> bool(abs(LecunUniform(seed=0)((12, 5))).max() <= 0.5)
    True
    """

    def __init__(self, seed: int | None = None):
        super().__init__(1.0, "fan_in", "uniform", seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class Orthogonal(RandomInitializer):
    """A random orthogonal matrix (times ``gain``), from the QR decomposition of a
    normal draw. Shapes with more than two axes are treated as
    ``(prod(shape[:-1]), shape[-1])`` and reshaped back. Often used for recurrent
    kernels (Saxe et al., 2014).

    >>> q = Orthogonal(seed=0)((4, 4))
    >>> np.allclose(q.T @ q, np.eye(4), atol=1e-5)
    True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        self.gain = gain
        super().__init__(seed)

    def __call__(self, shape, dtype=None) -> np.ndarray:
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs at least 2 axes, got "
                             f"{tuple(shape)}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().normal(0.0, 1.0, (max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))  # make the decomposition unique (uniformly random q)
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(_dtype(dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "gain": self.gain}


# ---------------------------------------------------------------- lookup by name

_CLASSES = (Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal,
            LecunUniform, Orthogonal)


_BY_NAME: dict[str, type] = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({"uniform": RandomUniform, "normal": RandomNormal, "one": Ones,
                 "zero": Zeros, "OrthogonalInitializer": Orthogonal,
                 "IdentityInitializer": Identity})

# snake_case names as module attributes, like keras.initializers.glorot_uniform
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal, he_normal, he_uniform = (GlorotUniform, GlorotNormal,
                                                        HeNormal, HeUniform)
lecun_normal, lecun_uniform = LecunNormal, LecunUniform


def serialize(initializer: Initializer) -> dict:
    """A JSON-ready dict describing ``initializer``, in Keras 3's format.

    >>> serialize(RandomNormal(stddev=0.1))['config']
    {'seed': None, 'mean': 0.0, 'stddev': 0.1}
    """
    return {"module": "keras.initializers", "class_name": type(initializer).__name__,
            "config": initializer.get_config(), "registered_name": None}


def deserialize(config) -> Initializer:
    """Rebuild an initializer from :func:`serialize`'s dict (or a bare name).

    >>> deserialize({'class_name': 'HeNormal', 'config': {'seed': 1}})
    HeNormal(seed=1)
    """
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    name = config.get("class_name")
    if name not in _BY_NAME:
        raise ValueError(f"unknown initializer {name!r}; valid names are {sorted(_BY_NAME)}")
    return _BY_NAME[name].from_config(dict(config.get("config") or {}))


def get(identifier) -> Initializer | None:
    """An initializer from a name, a class, a config dict, an instance or a function.

    >>> get('glorot_uniform'), get('Zeros'), get(Ones)
    (GlorotUniform(seed=None), Zeros(), Ones())
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"could not interpret initializer {identifier!r}: pass a name (one of "
                     f"{sorted(_BY_NAME)}), an Initializer or a function(shape, dtype)")
