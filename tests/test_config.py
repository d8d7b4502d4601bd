"""Settings: defaults, the JSON file, the environment, and clear errors for bad values."""
import json

import pytest

from minikeras import config


def test_defaults():
    assert config.floatx() == "float32"
    assert config.epsilon() == 1e-7
    assert config.image_data_format() == "channels_last"
    assert config.device() == "cpu"


def test_file_is_read_including_keras1_ordering(tmp_path, monkeypatch):
    home = tmp_path / "h"
    home.mkdir()
    (home / "minikeras.json").write_text(json.dumps(
        {"floatx": "float64", "epsilon": 1e-5, "image_dim_ordering": "th"}))
    monkeypatch.setenv("MINIKERAS_HOME", str(home))
    config.reload()
    assert config.floatx() == "float64"
    assert config.epsilon() == 1e-5
    assert config.image_data_format() == "channels_first"


def test_environment_overrides_device(tmp_path, monkeypatch):
    home = tmp_path / "h"
    home.mkdir()
    (home / "minikeras.json").write_text(json.dumps({"device": "cpu"}))
    monkeypatch.setenv("MINIKERAS_HOME", str(home))
    monkeypatch.setenv("MINIKERAS_DEVICE", "cuda")
    config.reload()
    assert config.device() == "cuda"


@pytest.mark.parametrize("setter, value, listed", [
    (config.set_floatx, "float8", "float32"),
    (config.set_image_data_format, "channels_middle", "channels_first"),
    (config.set_device, "tpu", "cuda"),
    (config.set_epsilon, -1.0, "positive"),
])
def test_bad_values_list_the_valid_ones(setter, value, listed):
    with pytest.raises(ValueError, match=listed):
        setter(value)


def test_bad_value_in_file_is_an_error(tmp_path, monkeypatch):
    home = tmp_path / "h"
    home.mkdir()
    (home / "minikeras.json").write_text(json.dumps({"image_data_format": "rgb"}))
    monkeypatch.setenv("MINIKERAS_HOME", str(home))
    config.reload()
    with pytest.raises(ValueError, match="channels_last"):
        config.floatx()


def test_save_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIKERAS_HOME", str(tmp_path / "new"))
    config.reload()
    config.set_image_data_format("th")
    path = config.save()
    assert json.loads(path.read_text())["image_data_format"] == "channels_first"
    config.reload()
    assert config.image_data_format() == "channels_first"
