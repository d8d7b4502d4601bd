"""minikeras.utils.to_categorical against hand-written one-hot arrays."""
import numpy as np
import pytest

from minikeras.utils import to_categorical
from minikeras.utils.np_utils import to_categorical as np_utils_to_categorical


def test_both_import_paths_give_the_same_function():
    assert np_utils_to_categorical is to_categorical


def test_num_classes_is_inferred_as_max_plus_one():
    got = to_categorical([0, 2, 1, 2])
    expected = np.array([[1, 0, 0],
                         [0, 0, 1],
                         [0, 1, 0],
                         [0, 0, 1]], dtype=np.float32)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.float32


def test_column_vector_labels_lose_their_last_axis():
    got = to_categorical(np.array([[1], [0], [3]]))
    expected = np.array([[0, 1, 0, 0],
                         [1, 0, 0, 0],
                         [0, 0, 0, 1]], dtype=np.float32)
    assert got.shape == (3, 4)
    np.testing.assert_array_equal(got, expected)


def test_num_classes_given_adds_empty_columns():
    got = to_categorical([1, 0], num_classes=4)
    np.testing.assert_array_equal(got, [[0, 1, 0, 0],
                                        [1, 0, 0, 0]])


def test_dtype():
    got = to_categorical([2, 0], num_classes=3, dtype="int32")
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, np.array([[0, 0, 1], [1, 0, 0]], dtype=np.int32))
    assert to_categorical([1], dtype="float64").dtype == np.float64


def test_higher_rank_labels_keep_their_shape():
    got = to_categorical([[0, 1], [1, 1]])
    assert got.shape == (2, 2, 2)
    np.testing.assert_array_equal(got, [[[1, 0], [0, 1]],
                                        [[0, 1], [0, 1]]])
    assert to_categorical([[[2]], [[0]]]).shape == (2, 1, 3)  # only the last 1 is squeezed


def test_uint8_labels_like_mnist():
    got = to_categorical(np.array([5, 0, 4], dtype=np.uint8), 10)
    assert got.shape == (3, 10)
    assert got.argmax(axis=1).tolist() == [5, 0, 4]
    assert got.sum() == 3


def test_labels_outside_the_classes_are_refused():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError):
        to_categorical([-1, 1])


def test_atomic_write_leaves_nothing_when_writing_fails(tmp_path, monkeypatch):
    """The one atomic write (models, weights, settings, the MNIST cache use it)."""
    import os

    from minikeras.utils import io
    dest = tmp_path / "sub" / "data.npz"

    def interrupted(fd):
        raise KeyboardInterrupt  # the bytes are written, not yet on the disk

    with monkeypatch.context() as m:
        m.setattr(io.os, "fsync", interrupted)
        with pytest.raises(KeyboardInterrupt):
            io.atomic_write(dest, b"half a file")
        assert list(dest.parent.iterdir()) == []
        dest.write_bytes(b"old")
        with pytest.raises(KeyboardInterrupt):
            io.atomic_write(dest, b"half a file")
        assert dest.read_bytes() == b"old"  # the old file is never half-overwritten
    io.atomic_write(dest, b"new")
    assert dest.read_bytes() == b"new"
    assert list(dest.parent.iterdir()) == [dest]
    mask = os.umask(0)
    os.umask(mask)
    assert dest.stat().st_mode & 0o777 == 0o666 & ~mask  # as a plain open() makes it
