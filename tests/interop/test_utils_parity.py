"""keras.utils helpers against real Keras 3: pad_sequences."""
import keras
import numpy as np
import pytest

import minikeras as mk

RAGGED = [[711, 632, 71], [73, 8, 3215, 55, 927], [83, 91, 1, 645, 1253, 927], []]


@pytest.mark.parametrize("kwargs", [{}, {"padding": "post"}, {"maxlen": 4},
                                    {"maxlen": 4, "truncating": "post"},
                                    {"maxlen": 8, "padding": "post", "value": -1},
                                    {"dtype": "float32", "value": 0.5}])
def test_pad_sequences_equals_kerass(kwargs):
    ours = mk.utils.pad_sequences(RAGGED, **kwargs)
    theirs = keras.utils.pad_sequences(RAGGED, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
