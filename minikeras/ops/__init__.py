"""The primitive op set (see ``core.py`` for what an op is) and the functions built on it.

Data flows one way: layers -> ops -> kernels -> devices. Ops never touch arrays: an op
is a shape rule and a backward rule, and its forward is the kernel of the same name,
which ``minikeras.kernels`` picks for the device when a graph is compiled.

One file per family: ``elementwise.py``, ``reductions.py``, ``shapes.py``, ``linalg.py``,
``broadcast.py``, ``activations.py``, ``crossentropy.py``, ``random.py``.
"""
from minikeras.ops.activations import (  # noqa: F401
    elu,
    hard_sigmoid,
    log_softmax,
    relu,
    relu_options,
    selu,
    sigmoid,
    sigmoid_grad,
    softmax,
    softplus,
    softsign,
    tanh,
    tanh_grad,
)
from minikeras.ops.broadcast import broadcast_like, sum_like, unbroadcast  # noqa: F401
from minikeras.ops.convolution import conv, conv_kernel_grad, conv_transpose, depthwise_conv  # noqa: F401
from minikeras.ops.core import REGISTRY, Op, ShapeError, as_tensor, as_tensors  # noqa: F401
from minikeras.ops.crossentropy import (  # noqa: F401
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from minikeras.ops.custom import define_op  # noqa: F401
from minikeras.ops.elementwise import (  # noqa: F401
    abs,
    add,
    cast,
    clip,
    divide,
    equal,
    exp,
    greater,
    greater_equal,
    identity,
    less,
    less_equal,
    log,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    ones_like,
    power,
    sign,
    sqrt,
    square,
    stop_gradient,
    subtract,
    where,
    zeros_like,
)
from minikeras.ops.linalg import batch_dot, dot, l2_normalize, matmul  # noqa: F401
from minikeras.ops.pooling import (  # noqa: F401
    avg_pool,
    avg_pool_grad,
    max_pool,
    max_pool_gather,
    max_pool_grad,
)
from minikeras.ops.random import bernoulli_like, dropout, random_normal, random_uniform, set_seed  # noqa: F401
from minikeras.ops.reductions import argmax, argmin, count, max, mean, min, prod, std, sum, var  # noqa: F401
from minikeras.ops.shapes import (  # noqa: F401
    batch_flatten,
    check_ids,
    concatenate,
    expand_dims,
    flatten,
    gather,
    gather_grad,
    getitem,
    getitem_grad,
    one_hot,
    pad,
    permute_dimensions,
    repeat,
    reshape,
    reshape_like,
    squeeze,
    stack,
    swap_last_two,
    tile,
    transpose,
    untile,
)
