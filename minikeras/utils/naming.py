"""Names: Keras's class names as snake_case identifiers (layer names, loss names, ...).

The rule is Keras 3's (``keras/src/utils/naming.py``), so that default names match:

>>> to_snake_case("GlorotUniform"), to_snake_case("SimpleRNN"), to_snake_case("Conv2D")
('glorot_uniform', 'simple_rnn', 'conv2d')
"""
from __future__ import annotations

import re


def to_snake_case(name: str) -> str:
    """``CamelCase`` -> ``camel_case``; a run of capitals stays one word (``LSTM`` ->
    ``lstm``, ``KLDivergence`` -> ``kl_divergence``)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
