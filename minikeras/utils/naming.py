"""Names: Keras's class names as snake_case identifiers, by Keras's own rule (a layer's
default name, a loss's or initializer's name, a layer's place in a weights file).

>>> to_snake_case("GlorotUniform"), to_snake_case("MeanSquaredError")
('glorot_uniform', 'mean_squared_error')
>>> to_snake_case("Conv2DTranspose"), to_snake_case("LSTMCell"), to_snake_case("PReLU")
('conv2d_transpose', 'lstm_cell', 'p_re_lu')
"""
from __future__ import annotations

import re


def to_snake_case(name: str) -> str:
    """``CamelCase`` -> ``camel_case`` as Keras's ``to_snake_case``: a capital starting a
    lowercase word, or following a lowercase letter, starts a new part (digits stay with
    what precedes them: ``Conv2D`` is ``conv2d``)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
