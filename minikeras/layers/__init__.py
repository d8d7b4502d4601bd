"""Layers: the building blocks of models (``from minikeras.layers import Dense``).

``base.py`` is what every layer is (``Layer``, ``InputSpec``, how calls become graph
nodes); ``core.py`` the core layers (Input, Dense, Activation, Dropout, Flatten, ...);
``embedding.py`` Embedding; ``lambda_layer.py`` Lambda and how its function is saved;
``merge.py`` Add, Concatenate and the other merges; ``rnn/`` the recurrent
cells and layers; ``convolutional.py``, ``convolutional_transpose.py``, ``separable.py``,
``pooling.py``, ``reshaping.py`` the convolution, pooling, padding, cropping and
upsampling layers. ``get(name)`` finds a class by name and ``serialize(layer)``
describes a layer as plain data (for saving models).
"""
from minikeras.layers import (
    convolutional,
    convolutional_transpose,
    core,
    embedding,
    lambda_layer,
    merge,
    pooling,
    reshaping,
    rnn,
    separable,
)
from minikeras.layers.base import InputSpec, Layer  # noqa: F401
from minikeras.layers.convolutional import (  # noqa: F401
    AtrousConvolution1D,
    AtrousConvolution2D,
    Conv1D,
    Conv2D,
    Conv3D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
)
from minikeras.layers.convolutional_transpose import (  # noqa: F401
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
    Convolution1DTranspose,
    Convolution2DTranspose,
    Convolution3DTranspose,
)
from minikeras.layers.core import (  # noqa: F401
    Activation,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
)
from minikeras.layers.embedding import Embedding  # noqa: F401
from minikeras.layers.lambda_layer import Lambda  # noqa: F401
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
from minikeras.layers.pooling import (  # noqa: F401
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from minikeras.layers.reshaping import (  # noqa: F401
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
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
from minikeras.layers.separable import (  # noqa: F401
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)

_MODULES = (core, embedding, lambda_layer, merge, rnn, convolutional,
            convolutional_transpose, separable, pooling, reshaping)


def get(name: str):
    """The layer class called ``name`` (used when loading saved models).

    >>> get("Dense")
    <class 'minikeras.layers.core.Dense'>
    """
    for module in _MODULES:
        cls = getattr(module, name, None)
        if isinstance(cls, type) and issubclass(cls, Layer):
            return cls
    raise ValueError(f"unknown layer class {name!r}")


def serialize(layer: Layer) -> dict:
    """A layer (or a model inside a model) as a JSON-ready dict, in Keras 3's shape:
    its class and its ``get_config()``.

    >>> serialize(Dense(3))["class_name"], serialize(Dense(3))["config"]["units"]
    ('Dense', 3)
    """
    return {"module": "minikeras.layers", "class_name": type(layer).__name__,
            "config": layer.get_config(), "name": layer.name}
