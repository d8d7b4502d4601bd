"""Layers: the building blocks of models (``from minikeras.layers import Dense``)."""
from minikeras.layers.base import InputSpec, Layer  # noqa: F401
from minikeras.layers.core import (  # noqa: F401
    Activation,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Input,
    InputLayer,
    Lambda,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
)
from minikeras.layers.merge import (  # noqa: F401
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from minikeras.layers.rnn import (  # noqa: F401
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    TimeDistributed,
)


def get(name: str):
    """The layer class called ``name`` (used when loading saved models)."""
    from minikeras.layers import core, merge, rnn
    for module in (core, merge, rnn):
        cls = getattr(module, name, None)
        if isinstance(cls, type) and issubclass(cls, Layer):
            return cls
    raise ValueError(f"unknown layer class {name!r}")
