"""Shared test setup: an isolated settings folder and a fixed seed for every test."""
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    from minikeras import config
    from minikeras.ops.random import set_seed
    monkeypatch.setenv("MINIKERAS_HOME", str(tmp_path / "mkhome"))
    monkeypatch.delenv("MINIKERAS_DEVICE", raising=False)
    config.reload()
    set_seed(1234)
    np.random.seed(1234)
    yield
    config.reload()
