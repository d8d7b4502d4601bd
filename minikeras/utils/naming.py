"""Names: Keras's class names as snake_case identifiers.

>>> to_snake_case("GlorotUniform"), to_snake_case("MeanSquaredError")
('glorot_uniform', 'mean_squared_error')
"""
from __future__ import annotations


def to_snake_case(name: str) -> str:
    """``CamelCase`` -> ``camel_case``: the names Keras gives losses and initializers."""
    return "".join("_" + c.lower() if c.isupper() and i else c.lower()
                   for i, c in enumerate(name))
