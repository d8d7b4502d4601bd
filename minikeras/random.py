"""``keras.random``: random draws (Keras 3's names), now on their own or in a graph.

Outside a model, ``normal``/``uniform``/... return NumPy arrays at once. Inside a layer's
``call`` they become graph nodes that draw new numbers on every batch, and a size may be
one only known when data flows (``keras.ops.shape(x)[0]``, the batch).

``seed`` is an int, a ``SeedGenerator`` (a stream of seeds, one per draw, reproducible
from its own seed), or None (the global stream ``minikeras.set_seed`` resets).

>>> from minikeras import random
>>> a = random.normal((2, 3), seed=1)
>>> a.shape, a.dtype, bool((a == random.normal((2, 3), seed=1)).all())
((2, 3), dtype('float32'), True)
"""
from __future__ import annotations

import numpy as np

from minikeras import config
from minikeras.ops import elementwise as ew
from minikeras.ops import random as primitive
from minikeras.ops import shapes as sh
from minikeras.ops.core import Tensor
from minikeras.ops.eager import keras_op, to_tensor, to_value
from minikeras.rng import new_generator


class SeedGenerator:
    """A stream of seeds: each random call that takes it gets the next one.

    Args:
        seed: the int the stream starts from (None: from the global stream).

    >>> from minikeras import random
    >>> gen = random.SeedGenerator(1337)
    >>> a, b = random.uniform((3,), seed=gen), random.uniform((3,), seed=gen)
    >>> bool((a == b).all())          # two draws, two different seeds
    False
    """

    def __init__(self, seed=None, name=None, **kwargs):
        self.seed = seed
        self.name = name
        self._rng = new_generator(seed)

    def next(self) -> int:
        return int(self._rng.integers(0, 2**31 - 1))

    def get_config(self) -> dict:
        return {"seed": self.seed}


def _seed(seed):
    return seed.next() if isinstance(seed, SeedGenerator) else seed


def _shape(shape) -> tuple:
    return (shape,) if isinstance(shape, (int, Tensor)) else tuple(shape)


def _draw(node: Tensor):
    """An array now, or the node while a graph is being built."""
    from minikeras.ops.eager import building
    return node if building() else to_value(node)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from N(mean, stddev^2)."""
    return _draw(primitive.random_normal(_shape(shape), mean, stddev, dtype, _seed(seed)))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Draws from U[minval, maxval)."""
    return _draw(primitive.random_uniform(_shape(shape), minval, maxval, dtype,
                                          _seed(seed)))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from N(mean, stddev^2) kept within two standard deviations (redrawn outside,
    here done now, with NumPy)."""
    rng = new_generator(_seed(seed))
    shape = _shape(shape)
    values = rng.normal(size=shape)
    while np.any(np.abs(values) > 2.0):
        bad = np.abs(values) > 2.0
        values[bad] = rng.normal(size=int(bad.sum()))
    return _draw(to_tensor((mean + stddev * values).astype(dtype or config.floatx())))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from [minval, maxval)."""
    draw = primitive.random_uniform(_shape(shape), minval, maxval, "float64", _seed(seed))
    return _draw(ew.cast(ew.floor(draw), dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Numbers of successes in ``counts`` trials of probability ``probabilities`` (drawn
    now, with NumPy)."""
    rng = new_generator(_seed(seed))
    values = rng.binomial(counts, probabilities, size=_shape(shape))
    return _draw(to_tensor(values.astype(dtype or config.floatx())))


@keras_op("inputs")
def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each entry with probability ``rate``; scale the rest by 1 / (1 - rate)."""
    if noise_shape is not None:
        raise NotImplementedError("dropout with noise_shape")
    return primitive.dropout(inputs, rate, _seed(seed))


@keras_op("x")
def shuffle(x, axis=0, seed=None):
    """``x`` with its slices along ``axis`` in a random order (one order per call)."""
    order = new_generator(_seed(seed)).permutation(x.shape[axis])
    if axis % x.ndim == 0:
        return sh.gather(x, order)
    perm = list(range(x.ndim))
    perm[0], perm[axis] = perm[axis], perm[0]
    return sh.transpose(sh.gather(sh.transpose(x, perm), order), perm)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Class ids drawn from the distributions softmax(logits), ``num_samples`` per row
    (drawn now, with NumPy)."""
    logits = np.asarray(to_value(logits), np.float64)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    rng = new_generator(_seed(seed))
    rows = probs.reshape(-1, probs.shape[-1])
    ids = np.stack([rng.choice(rows.shape[-1], num_samples, p=row) for row in rows])
    return ids.reshape(*probs.shape[:-1], num_samples).astype(dtype)
