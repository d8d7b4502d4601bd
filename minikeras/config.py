"""Global settings: float type, fuzz factor, image data format and compute device.

Settings are read once, lazily, from ``~/.minikeras/minikeras.json`` (the folder can be
moved with the ``MINIKERAS_HOME`` environment variable), like Keras reads
``~/.keras/keras.json``. ``MINIKERAS_DEVICE`` overrides the device from the file.

>>> from minikeras import config
>>> config.floatx()
'float32'
>>> config.set_image_data_format('th')    # Theano's name for channels_first
>>> config.image_data_format()
'channels_first'
>>> config.set_image_data_format('channels_last')
"""
from __future__ import annotations

import json
import math
import os
import warnings
from pathlib import Path

from minikeras.utils.io import atomic_write

FLOATX_CHOICES = ("float32", "float64")
# Why half precision is refused rather than accepted and then failing (or giving NaN):
FLOAT16_REFUSAL = (
    "minikeras computes in float32 or float64 only: its Numba CPU loops and its CUDA "
    "matmul are compiled for those two types, NumPy has no float16 arithmetic of its own "
    "(it converts every op to float32 and back, so float16 would be slower, not faster), "
    "the default epsilon 1e-7 is below float16's resolution (1 - 1e-7 == 1), and training "
    "in half precision needs loss scaling (Keras recommends mixed precision for that), "
    "which minikeras does not have")
DATA_FORMATS = ("channels_last", "channels_first")
# Keras 1 called the orderings after the backends that used them.
DATA_FORMAT_ALIASES = {"tf": "channels_last", "th": "channels_first"}
DEVICES = ("cpu", "cuda")
ENVIRONMENT = {"device": "MINIKERAS_DEVICE"}  # settings an environment variable overrides

_DEFAULTS = {
    "floatx": "float32",
    "epsilon": 1e-7,
    "image_data_format": "channels_last",
    "device": "cpu",
}
_settings: dict | None = None
_warned: set[str] = set()


def home() -> Path:
    """The folder that holds ``minikeras.json`` and cached data sets."""
    return Path(os.environ.get("MINIKERAS_HOME", Path.home() / ".minikeras"))


def warn_once(message: str) -> None:
    """Warn about a problem of the environment (an unreadable folder...) once per process."""
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def _check_choice(what: str, value, choices) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{what} must be one of {list(choices)}, got {value!r}")


def normalize_data_format(value: str | None) -> str:
    """Turn ``None`` (the global default), 'tf' or 'th' into 'channels_last'/'channels_first'."""
    if value is None:
        return image_data_format()
    _check_choice("data_format", value, DATA_FORMATS + tuple(DATA_FORMAT_ALIASES))
    return DATA_FORMAT_ALIASES.get(value, value)


def _validate(key: str, value):
    """The setting as minikeras stores it, or a ValueError naming the key, the value and
    the valid ones."""
    if key == "floatx":
        if value in ("float16", "half", "bfloat16"):
            raise ValueError(f"floatx must be one of {list(FLOATX_CHOICES)}, got {value!r}: "
                             f"{FLOAT16_REFUSAL}")
        _check_choice("floatx", value, FLOATX_CHOICES)
    elif key == "epsilon":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not math.isfinite(value) or not 0 < value < 1:
            raise ValueError(f"epsilon must be a positive finite number below 1 (such as "
                             f"1e-07), got {value!r}")
        value = float(value)
    elif key == "image_data_format":
        _check_choice("image_data_format", value, DATA_FORMATS + tuple(DATA_FORMAT_ALIASES))
        value = DATA_FORMAT_ALIASES.get(value, value)
    elif key == "device":
        _check_choice("device", value, DEVICES)
    return value


def _read_file(path: Path) -> dict:
    """The settings in ``minikeras.json`` ({} when there is none, or it cannot be read)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as e:  # no permission, a folder in the way, a file where a folder was
        warn_once(f"cannot read the settings file minikeras.json at {path} "
                  f"({e.strerror or e}); using the default settings")
        return {}
    where = f"minikeras.json at {path}"
    try:
        from_file = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ValueError(f"{where} is not UTF-8 text ({e}); fix or delete it") from None
    except (json.JSONDecodeError, RecursionError) as e:
        raise ValueError(f"{where} is not valid JSON ({e}); fix or delete it") from None
    if not isinstance(from_file, dict):
        raise ValueError(f"{where} must hold a JSON object such as "
                         f"{json.dumps(_DEFAULTS)}, but it holds "
                         f"{type(from_file).__name__} {json.dumps(from_file)[:80]}")
    return from_file


def _load() -> dict:
    global _settings
    if _settings is None:
        settings = dict(_DEFAULTS)
        path = home() / "minikeras.json"
        from_file = _read_file(path)
        # Keras 1 files say image_dim_ordering: 'tf' | 'th'
        names = {key: key for key in _DEFAULTS}
        if "image_dim_ordering" in from_file and "image_data_format" not in from_file:
            names["image_data_format"] = "image_dim_ordering"
        for key, name in names.items():
            if name not in from_file or os.environ.get(ENVIRONMENT.get(key, ""), ""):
                continue  # not in the file, or the environment wins over the file
            try:
                settings[key] = _validate(key, from_file[name])
            except ValueError as e:
                raise ValueError(f'minikeras.json at {path}: "{name}": {e}') from None
        for key, variable in ENVIRONMENT.items():
            if os.environ.get(variable):
                try:
                    settings[key] = _validate(key, os.environ[variable])
                except ValueError as e:
                    raise ValueError(f"the environment variable {variable}: {e}") from None
        _settings = settings
    return _settings


def reload() -> None:
    """Forget the settings in memory; the next read goes back to the file and environment."""
    global _settings
    _settings = None


def _set(key: str, value) -> None:
    _load()[key] = _validate(key, value)


def floatx() -> str:
    """The default float type of variables and placeholders, e.g. 'float32'."""
    return _load()["floatx"]


def set_floatx(value: str) -> None:
    _set("floatx", value)


def epsilon() -> float:
    """The fuzz factor that keeps logs and divisions away from zero (1e-7)."""
    return _load()["epsilon"]


def set_epsilon(value: float) -> None:
    _set("epsilon", value)


def image_data_format() -> str:
    """'channels_last' (TensorFlow's (batch, rows, cols, channels)) or 'channels_first'."""
    return _load()["image_data_format"]


def set_image_data_format(value: str) -> None:
    _set("image_data_format", value)


def device() -> str:
    """Where kernels run: 'cpu' or 'cuda'."""
    return _load()["device"]


def set_device(value: str) -> None:
    _set("device", value)


def save() -> Path:
    """Write the current settings to ``minikeras.json`` (atomically) and return its path."""
    path = home() / "minikeras.json"
    atomic_write(path, (json.dumps(_load(), indent=4) + "\n").encode())
    return path
