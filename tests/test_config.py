"""Settings: defaults, the JSON file, the environment, and clear errors for bad values."""
import json
import os
import warnings

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


# ---- issue 10, item 14: every bad file value is a clear ValueError ----
def _home_with(tmp_path, monkeypatch, text):
    home = tmp_path / "h"
    home.mkdir(exist_ok=True)
    path = home / "minikeras.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    monkeypatch.setenv("MINIKERAS_HOME", str(home))
    config.reload()
    return path


def _error_from_file(tmp_path, monkeypatch, text) -> str:
    path = _home_with(tmp_path, monkeypatch, text)
    with pytest.raises(ValueError) as info:
        config.floatx()
    message = str(info.value)
    assert "minikeras.json" in message and str(path) in message, message
    return message


def test_null_image_data_format_in_the_file_is_an_error_not_a_recursion(tmp_path, monkeypatch):
    message = _error_from_file(tmp_path, monkeypatch, '{"image_data_format": null}')
    assert '"image_data_format"' in message and "None" in message
    assert "channels_last" in message and "channels_first" in message


@pytest.mark.parametrize("text, holds", [
    ("[1, 2]", "list"), ("null", "NoneType"), ("42", "int"), ('"float32"', "str")])
def test_a_file_that_is_not_a_json_object_is_an_error(tmp_path, monkeypatch, text, holds):
    message = _error_from_file(tmp_path, monkeypatch, text)
    assert "JSON object" in message and holds in message


def test_a_file_that_is_not_utf8_is_an_error(tmp_path, monkeypatch):
    message = _error_from_file(tmp_path, monkeypatch, b'{"floatx": "\xff\xfe"}')
    assert "UTF-8" in message


def test_deeply_nested_json_in_the_file_is_an_error(tmp_path, monkeypatch):
    message = _error_from_file(tmp_path, monkeypatch, "[" * 100000 + "]" * 100000)
    assert "JSON" in message


@pytest.mark.parametrize("key, value, valid", [
    ("floatx", ["float32"], "float64"),
    ("image_data_format", {"a": 1}, "channels_first"),
    ("device", ["cpu"], "cuda"),
    ("floatx", "float8", "float32"),
])
def test_a_list_or_dict_value_in_the_file_is_an_error(tmp_path, monkeypatch, key, value, valid):
    message = _error_from_file(tmp_path, monkeypatch, json.dumps({key: value}))
    assert f'"{key}"' in message and repr(value) in message and valid in message


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e400", "true", "0",
                                  "-1e-7", '"1e-7"', "null"])
def test_epsilon_must_be_a_finite_positive_number(tmp_path, monkeypatch, text):
    message = _error_from_file(tmp_path, monkeypatch, '{"epsilon": ' + text + "}")
    assert '"epsilon"' in message and "positive finite number" in message


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True, 0.0, "1e-7"])
def test_set_epsilon_refuses_what_would_make_every_crossentropy_nan(value):
    with pytest.raises(ValueError, match="positive finite number"):
        config.set_epsilon(value)
    assert config.epsilon() == 1e-7


def test_the_environment_wins_over_a_bad_device_in_the_file(tmp_path, monkeypatch):
    _home_with(tmp_path, monkeypatch, json.dumps({"device": "tpu", "floatx": "float64"}))
    monkeypatch.setenv("MINIKERAS_DEVICE", "cpu")
    config.reload()
    assert config.device() == "cpu" and config.floatx() == "float64"


def test_a_bad_minikeras_device_names_the_variable(monkeypatch):
    monkeypatch.setenv("MINIKERAS_DEVICE", "tpu")
    config.reload()
    with pytest.raises(ValueError) as info:
        config.device()
    message = str(info.value)
    assert "MINIKERAS_DEVICE" in message and "'tpu'" in message and "cuda" in message


def test_keras1_ordering_errors_name_the_keras1_key(tmp_path, monkeypatch):
    message = _error_from_file(tmp_path, monkeypatch, '{"image_dim_ordering": "xy"}')
    assert '"image_dim_ordering"' in message and "'xy'" in message


# ---- issue 10, item 13: an unusable MINIKERAS_HOME gives the defaults, with one warning ----
def test_a_home_that_is_a_file_gives_the_defaults_and_warns_once(tmp_path, monkeypatch):
    home = tmp_path / "not_a_folder"
    home.write_text("oops")
    monkeypatch.setenv("MINIKERAS_HOME", str(home))
    config.reload()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert config.floatx() == "float32"
        config.reload()
        assert config.device() == "cpu"
    about_it = [w for w in caught if "minikeras.json" in str(w.message)]
    assert len(about_it) == 1 and about_it[0].category is RuntimeWarning
    assert str(home) in str(about_it[0].message)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads files whatever their permissions")
def test_an_unreadable_settings_file_gives_the_defaults(tmp_path, monkeypatch):
    path = _home_with(tmp_path, monkeypatch, json.dumps({"floatx": "float64"}))
    path.chmod(0)
    try:
        with pytest.warns(RuntimeWarning, match="cannot read"):
            assert config.floatx() == "float32"
    finally:
        path.chmod(0o644)


# ---- issue 10, item 15: float16 is refused, with the reason ----
def test_float16_is_refused_at_set_floatx_with_the_reason():
    with pytest.raises(ValueError) as info:
        config.set_floatx("float16")
    message = str(info.value)
    assert "'float16'" in message and "float32" in message and "float64" in message
    assert "loss scaling" in message
    assert config.floatx() == "float32"


def test_float16_in_the_file_is_refused(tmp_path, monkeypatch):
    message = _error_from_file(tmp_path, monkeypatch, '{"floatx": "float16"}')
    assert '"floatx"' in message and "loss scaling" in message
