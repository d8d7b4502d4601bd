"""The stream of seeds every random thing in minikeras draws from.

Random graph nodes (dropout masks, ``K.random_normal``), weight initializers and the
shuffling in ``fit`` each get a NumPy generator of their own from one ``SeedSequence``.
``set_seed(n)`` restarts that sequence, so everything made afterwards repeats exactly,
run after run; an explicit ``seed=`` gives a generator of its own, outside the stream.

>>> set_seed(0)
>>> a = new_generator().random()
>>> set_seed(0)
>>> a == new_generator().random()
True
"""
from __future__ import annotations

import numpy as np

_seeds = np.random.SeedSequence()


def set_seed(seed: int) -> None:
    """Restart the stream of seeds that new random nodes and initializers draw from."""
    global _seeds
    _seeds = np.random.SeedSequence(int(seed))


def new_generator(seed: int | None = None) -> np.random.Generator:
    """A generator of its own: from ``seed`` if given, else the next from ``set_seed``'s."""
    if seed is not None:
        return np.random.default_rng(int(seed))
    (child,) = _seeds.spawn(1)
    return np.random.default_rng(child)
