"""Names: Keras's class names as snake_case identifiers.

>>> to_snake_case("GlorotUniform"), to_snake_case("MeanSquaredError")
('glorot_uniform', 'mean_squared_error')
>>> to_snake_case("AUC"), to_snake_case("KLDivergence")
('auc', 'kl_divergence')
"""
from __future__ import annotations

import re


def to_snake_case(name: str) -> str:
    """``CamelCase`` -> ``camel_case``, Keras's rule: a run of capitals stays one word
    (the names Keras gives losses, metrics and initializers)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
