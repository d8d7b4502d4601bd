"""Lambda: any function of tensors as a layer, and how its function is saved.

A model file holds data, never code. A Lambda's function *is* code, so it is saved as its
source text, and ``load_model`` re-creates it (by running that text) only when asked to
with ``safe_mode=False``.

>>> import numpy as np
>>> spec = serialize_function(lambda x: x * 2)
>>> spec["config"]["source"]
'lambda x: x * 2'
>>> deserialize_function(spec, safe_mode=False)(np.array([1.0, 2.0]))
array([2., 4.])
"""
from __future__ import annotations

import ast
import inspect
import sys
import textwrap

import numpy as np

from minikeras import backend, ops
from minikeras.layers.base import Layer


class Lambda(Layer):
    """Wrap any function of tensors as a layer: ``Lambda(lambda x: x ** 2)``.

    A saved Lambda stores the function's source code; loading it runs that code, so
    ``load_model`` only does so with ``safe_mode=False``.

    Args:
        function: a function of the input tensor(s), built from ``K`` or ``ops``.
        output_shape: kept in the config for Keras; minikeras works shapes out itself.
        mask: a mask for the output, or a function ``mask(inputs, input_mask)``.
        arguments: keyword arguments passed to ``function``.
        **kwargs: the base layer's arguments (``name``, ``input_shape``, ...).

    Input shape:
        Whatever ``function`` takes.

    Output shape:
        Whatever ``function`` returns.

    Example:

    >>> import numpy as np
    >>> Lambda(lambda x: x * 2)(np.array([1.0, 2.0]))
    Array([2., 4.], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.function = function
        self._output_shape = output_shape
        self.mask = mask
        self.supports_masking = mask is not None  # Keras 2: only with a mask rule
        self.arguments = dict(arguments or {})

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_mask(self, inputs, mask=None):
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def get_config(self) -> dict:
        return {**super().get_config(), "function": serialize_function(self.function),
                "output_shape": self._output_shape, "arguments": self.arguments}


# ---------------------------------------------------------------- functions as text
def serialize_function(fn) -> dict:
    """A Lambda's function as source text (loaded back only with safe_mode=False)."""
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        raise ValueError(f"cannot save the function {fn!r}: its source code is not "
                         f"available (define it in a file or a notebook cell)") from None
    if fn.__name__ == "<lambda>":
        source = _lambda_text(source)
    return {"class_name": "__lambda__", "config": {"name": fn.__name__, "source": source}}


def _lambda_text(source: str) -> str:
    """Cut the lambda expression out of the line(s) that define it."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = ast.parse(source.strip().rstrip(",").rstrip(")") + "\n")
    lambdas = [node for node in ast.walk(tree) if isinstance(node, ast.Lambda)]
    if len(lambdas) != 1:
        raise ValueError("cannot save a Lambda whose line holds several (or no) lambda "
                         "expressions; define the function with def instead")
    return ast.get_source_segment(source, lambdas[0])


def deserialize_function(spec: dict, safe_mode: bool):
    if not safe_mode:
        cfg = spec["config"]
        namespace = lambda_namespace()
        if cfg["name"] == "<lambda>":
            return eval(cfg["source"], namespace)
        exec(cfg["source"], namespace)  # noqa: S102 (explicitly allowed)
        return namespace[cfg["name"]]
    raise ValueError(
        "this model has a Lambda layer, whose function is stored as Python source; loading "
        "it would run that code. If you trust the file, pass safe_mode=False to load_model.")


def lambda_namespace() -> dict:
    """The names a saved function may use: K (backend), ops, np, and the package itself
    as minikeras or keras (loaded already: a model is being loaded with it, so it is
    taken from sys.modules; importing the package here would go up the house)."""
    package = sys.modules["minikeras"]
    return {"K": backend, "backend": backend, "ops": ops, "minikeras": package,
            "keras": package, "np": np}
