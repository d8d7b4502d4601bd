"""Tests against real Keras 3. They run in ``.venv-keras/`` (``python3 dev.py test`` builds
it and runs them there, with ``KERAS_BACKEND=torch``); they are never skipped: without
Keras they fail, saying how to run them.

The ``both`` fixture builds one architecture in both libraries and copies minikeras's
weights into Keras with ``set_weights`` unchanged (same shapes, same order).
"""
import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
try:
    import keras
except ImportError:  # pragma: no cover - the point is the message
    raise pytest.UsageError(
        "tests/interop need real Keras 3: run them with `python3 dev.py test`, which "
        "creates .venv-keras/ and runs them there") from None

import minikeras as mk


def pytest_configure(config):
    # Keras's own variables and torch tensors implement NumPy 1's __array__ (no copy=):
    # NumPy 2 warns about them on every get_weights. Not ours to fix.
    config.addinivalue_line(
        "filterwarnings", "ignore:__array__ implementation doesn't accept a copy keyword")


@pytest.fixture(autouse=True)
def _keras_seeded():
    keras.utils.set_random_seed(0)
    keras.config.set_image_data_format("channels_last")
    yield


@pytest.fixture
def both():
    """``both(build) -> (ours, theirs)``: ``build(lib)`` made with minikeras and Keras,
    Keras holding minikeras's weights."""
    def make(build):
        ours, theirs = build(mk), build(keras)
        theirs.set_weights(ours.get_weights())
        return ours, theirs
    return make
