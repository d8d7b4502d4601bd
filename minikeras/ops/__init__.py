"""``keras.ops``: Keras 3's array functions (``import minikeras as keras; keras.ops.mean``).

Called on arrays, a function computes now and returns a NumPy array (``fit``, ``predict``
and NumPy take it as it is); called on graph tensors (inside a layer's ``call``, a loss, a
metric), it adds nodes to the graph. ``ops.numpy``, ``ops.nn`` and ``ops.math`` hold them
by family, as in Keras; everything is also here at the top.

>>> import numpy as np
>>> from minikeras import ops
>>> ops.mean(np.array([True, False, True, True]))
array(0.75, dtype=float32)
>>> ops.concatenate([np.ones(2), np.zeros(1)])       # Keras 3's axis=0 default
array([1., 1., 0.])

Underneath is the set of **primitive ops** this package is really about, one module per
family: ``core`` (what an op is), ``elementwise``, ``reductions``, ``shapes``, ``linalg``,
``activations``, ``crossentropy``, ``random``, ``broadcast``. Data flows one way: layers ->
ops -> kernels -> devices. A primitive never touches arrays: it is a shape rule and a
backward rule, and its forward is the kernel of the same name, which ``minikeras.kernels``
picks for the device when a graph is compiled. ``K`` (``minikeras.backend``) and every
layer use the primitives directly, and so do the functions here: one implementation. Where Keras
3's name, signature or default differs from Keras 2's ``K`` (``concatenate``'s axis,
``argmax`` with ``axis=None``, ``one_hot``'s third argument, ``repeat``, ``identity``,
``gelu``'s ``approximate``), these follow Keras 3 and say so.

Not here (yet): FFTs, ``linalg`` decompositions, ``image``, ``einsum``, control flow
(``while_loop``, ``scan``, ``map``), segment and scatter ops, ``ops.nn``'s
``conv_transpose``.
"""
from minikeras.ops import math, nn, numpy  # noqa: F401

# minikeras's own, beside Keras's: the op registry and how a lesson adds an op
from minikeras.ops.broadcast import unbroadcast  # noqa: F401
from minikeras.ops.conversions import *
from minikeras.ops.core import REGISTRY, Op  # noqa: F401
from minikeras.ops.custom import define_op  # noqa: F401
from minikeras.ops.math import *
from minikeras.ops.nn import *
from minikeras.ops.numpy import *
