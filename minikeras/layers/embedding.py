"""Embedding: integer ids become dense vectors, rows of a table that training learns.

>>> import numpy as np
>>> table = Embedding(4, 2, embeddings_initializer="ones")
>>> table(np.array([[0, 3]])).shape
(1, 2, 2)
"""
from __future__ import annotations

import numpy as np

from minikeras import constraints, initializers, ops, regularizers
from minikeras.layers.base import Layer


class Embedding(Layer):
    """Turns integer ids into dense vectors: row ``i`` of an (input_dim, output_dim) table.

    Args:
        input_dim: the number of distinct ids (the largest id + 1).
        output_dim: the size of each vector.
        embeddings_initializer: how the table starts, defaults to 'uniform'.
        embeddings_regularizer: a penalty on the table added to the loss, default None.
        embeddings_constraint: what the table must satisfy after every update, default
            None.
        mask_zero: whether id 0 is padding: then the output carries a mask that is False
            there (and ``input_dim`` should count it).
        input_length: Keras 2: the length of the sequences (sets ``input_shape``).
        **kwargs: the base layer's arguments.

    Input shape:
        Integer ids with shape ``(batch_size, ...)``, usually
        ``(batch_size, sequence_length)``.

    Output shape:
        ``(batch_size, ..., output_dim)``.

    Example:

    >>> import numpy as np
    >>> emb = Embedding(10, 3, embeddings_initializer='ones')
    >>> emb(np.array([[1, 2]])).shape
    (1, 2, 3)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 input_length=None, **kwargs):
        if input_length is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)  # Keras 2
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer,
                                          self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)

    def call(self, inputs):
        if np.dtype(inputs.dtype).kind not in "iu":
            inputs = ops.cast(inputs, "int64")
        inputs = ops.check_ids(inputs, self.input_dim, f'layer "{self.name}" (Embedding, '
                               f"input_dim={self.input_dim})")
        return ops.gather(self.embeddings, inputs)

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0) if self.mask_zero else None

    def get_config(self) -> dict:
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero}
