"""Random ops and dropout. Every random node owns a NumPy generator, seeded reproducibly.

``set_seed(n)`` makes every random node created afterwards (weights' initial values are
drawn by initializers from the same source, ``minikeras.rng``) repeat exactly from run to
run.

>>> import minikeras.backend as K
>>> from minikeras.ops.random import set_seed
>>> set_seed(0)
>>> x = K.ones((2, 4))
>>> K.eval(dropout(x, rate=0.5))          # kept units are scaled by 1 / (1 - rate)
array([[2., 0., 2., 0.],
       [2., 2., 2., 2.]], dtype=float32)
"""
from __future__ import annotations

from minikeras import config
from minikeras.ops.core import Op, ShapeError, Tensor, as_tensors, format_shape
from minikeras.rng import new_generator, set_seed  # noqa: F401  (set_seed: for K users)


def _static_shape(shape, dtype, **attrs):
    if any(d is None for d in shape):
        raise ShapeError(f"needs a fully known shape, got {format_shape(shape)}")
    return tuple(shape), dtype


_RANDOM_UNIFORM = Op("random_uniform", lambda shape, low, high, dtype, rng:
                     _static_shape(shape, dtype))
_RANDOM_NORMAL = Op("random_normal", lambda shape, mean, stddev, dtype, rng:
                    _static_shape(shape, dtype))
_BERNOULLI_LIKE = Op("bernoulli_like", lambda x, p, value, rng: (x.shape, x.dtype))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None) -> Tensor:
    """A fresh draw from U[minval, maxval) every time the graph runs."""
    return _RANDOM_UNIFORM(shape=tuple(shape), low=float(minval), high=float(maxval),
                           dtype=dtype or config.floatx(), rng=new_generator(seed))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """A fresh draw from N(mean, stddev^2) every time the graph runs."""
    return _RANDOM_NORMAL(shape=tuple(shape), mean=float(mean), stddev=float(stddev),
                          dtype=dtype or config.floatx(), rng=new_generator(seed))


def bernoulli_like(x, p: float, seed=None, value: float = 1.0) -> Tensor:
    """A fresh mask shaped like ``x`` at run time: each entry is ``value`` with
    probability p, else 0."""
    (x,) = as_tensors(x)
    return _BERNOULLI_LIKE(x, p=float(p), value=float(value), rng=new_generator(seed))


def dropout(x, rate: float, seed=None) -> Tensor:
    """Zero each element with probability ``rate``; scale the rest by 1 / (1 - rate).

    The scaling ("inverted dropout") keeps the expected value unchanged, so nothing needs
    rescaling at test time. The mask holds 0 or 1 / (1 - rate) directly, and it is one node
    of the graph: the forward pass and the gradient use the same draw.
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
    (x,) = as_tensors(x)
    if rate == 0.0:
        return x
    keep = 1.0 - rate
    return x * bernoulli_like(x, keep, seed, value=1.0 / keep)
