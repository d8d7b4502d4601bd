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
import os
from pathlib import Path

from minikeras.utils.io import atomic_write

FLOATX_CHOICES = ("float16", "float32", "float64")
DATA_FORMATS = ("channels_last", "channels_first")
# Keras 1 called the orderings after the backends that used them.
DATA_FORMAT_ALIASES = {"tf": "channels_last", "th": "channels_first"}
DEVICES = ("cpu", "cuda")

_DEFAULTS = {
    "floatx": "float32",
    "epsilon": 1e-7,
    "image_data_format": "channels_last",
    "device": "cpu",
}
_settings: dict | None = None


def home() -> Path:
    """The folder that holds ``minikeras.json`` and cached data sets."""
    return Path(os.environ.get("MINIKERAS_HOME", Path.home() / ".minikeras"))


def _check_choice(what: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{what} must be one of {list(choices)}, got {value!r}")


def normalize_data_format(value: str | None) -> str:
    """Turn ``None`` (the global default), 'tf' or 'th' into 'channels_last'/'channels_first'."""
    if value is None:
        return image_data_format()
    value = DATA_FORMAT_ALIASES.get(value, value)
    _check_choice("data_format", value, DATA_FORMATS + tuple(DATA_FORMAT_ALIASES))
    return value


def _validate(key: str, value):
    if key == "floatx":
        _check_choice("floatx", value, FLOATX_CHOICES)
    elif key == "epsilon":
        if not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"epsilon must be a positive number, got {value!r}")
        value = float(value)
    elif key == "image_data_format":
        value = normalize_data_format(value)
    elif key == "device":
        _check_choice("device", value, DEVICES)
    return value


def _load() -> dict:
    global _settings
    if _settings is None:
        settings = dict(_DEFAULTS)
        path = home() / "minikeras.json"
        if path.exists():
            try:
                from_file = json.loads(path.read_text())
            except json.JSONDecodeError as e:
                raise ValueError(f"{path} is not valid JSON: {e}") from None
            # Keras 1 files say image_dim_ordering: 'tf' | 'th'
            if "image_dim_ordering" in from_file and "image_data_format" not in from_file:
                from_file["image_data_format"] = from_file.pop("image_dim_ordering")
            for key, value in from_file.items():
                if key in _DEFAULTS:
                    settings[key] = _validate(key, value)
        if os.environ.get("MINIKERAS_DEVICE"):
            settings["device"] = _validate("device", os.environ["MINIKERAS_DEVICE"])
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
