"""utils.pad_sequences: padding and cutting as Keras's (real Keras 3 in
tests/interop/test_utils_parity.py)."""
import numpy as np
import pytest

from minikeras.utils import pad_sequences

RAGGED = [[1, 2, 3], [4, 5, 6, 7, 8], [9]]


def test_pads_before_by_default_to_the_longest():
    np.testing.assert_array_equal(pad_sequences(RAGGED),
                                  [[0, 0, 1, 2, 3], [4, 5, 6, 7, 8], [0, 0, 0, 0, 9]])
    assert pad_sequences(RAGGED).dtype == np.int32


def test_padding_and_truncating_ends():
    np.testing.assert_array_equal(pad_sequences(RAGGED, maxlen=2),
                                  [[2, 3], [7, 8], [0, 9]])  # cut at the start
    np.testing.assert_array_equal(pad_sequences(RAGGED, maxlen=2, truncating="post",
                                                padding="post"),
                                  [[1, 2], [4, 5], [9, 0]])
    np.testing.assert_array_equal(pad_sequences(RAGGED, maxlen=4, padding="post", value=-1),
                                  [[1, 2, 3, -1], [5, 6, 7, 8], [9, -1, -1, -1]])


def test_float_values_empty_sequences_and_vector_entries():
    out = pad_sequences([[0.5, 1.5], []], dtype="float32", value=np.nan)
    np.testing.assert_array_equal(out, [[0.5, 1.5], [np.nan, np.nan]])
    assert out.dtype == np.float32
    vectors = pad_sequences([np.ones((2, 3)), np.full((1, 3), 2.0)], dtype="float64")
    assert vectors.shape == (2, 2, 3)
    np.testing.assert_array_equal(vectors[1], [[0, 0, 0], [2, 2, 2]])
    assert pad_sequences([]).shape == (0, 0)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post', got 'middle'"):
        pad_sequences(RAGGED, padding="middle")
    with pytest.raises(ValueError, match="sequence 1 is not a sequence: 5"):
        pad_sequences([[1], 5])
    with pytest.raises(ValueError, match="sequence 1 have shape"):
        pad_sequences([np.ones((2, 3)), np.ones((2, 4))])
