"""Issue 10, items 4-9: loading does bounded work for any file, every damaged file is one
ValueError naming it, >10,000 weights land in their slots, killed saves leave nothing
behind for long, load_weights reads .keras files, and resumed training equals
uninterrupted training (optimizer state is saved)."""
import io
import json
import os
import signal
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from minikeras import optimizers
from minikeras.layers import Dense, Dropout, Layer
from minikeras.models import Sequential, load_model

X = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
Y = np.eye(3, dtype="float32")[np.random.default_rng(1).integers(0, 3, 32)]


def mlp(dropout=0.5):
    return Sequential([Dense(8, input_shape=(4,), activation="tanh"), Dropout(dropout),
                       Dense(3, activation="softmax")], name="mlp")


def zip_bytes(members, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as z:
        for name, data in members:
            z.writestr(name, data)
    return buffer.getvalue()


def streamed_zeros_member(z, name, n_bytes, prefix=b""):
    """A deflated member of ``n_bytes`` (mostly zeros) written without holding them."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with z.open(info, "w", force_zip64=True) as f:
        f.write(prefix)
        chunk = bytes(1 << 20)
        left = n_bytes - len(prefix)
        while left > 0:
            f.write(chunk[:min(left, len(chunk))])
            left -= len(chunk)


DATA = Path(__file__).parent / "data"  # files written by minikeras before issue 13


def old_mlp_file() -> bytes:
    """A learner's file in minikeras's first format: ``mlp()`` trained one epoch, saved by
    the code of ec9585f (config.json, model.weights.npz, deflated)."""
    return (DATA / "minikeras1_mlp.keras").read_bytes()


def old_config() -> str:
    with zipfile.ZipFile(DATA / "minikeras1_mlp.keras") as z:
        return z.read("config.json").decode()


def minikeras_v1_file(config: dict, weights) -> bytes:
    """A .keras file in minikeras's first format, for a config in that format."""
    buffer = io.BytesIO()
    np.savez(buffer, **{f"{i:04d}": w for i, w in enumerate(weights)})
    return zip_bytes([("metadata.json", json.dumps({"format": "minikeras-1"})),
                      ("config.json", json.dumps(config)),
                      ("model.weights.npz", buffer.getvalue())],
                     compression=zipfile.ZIP_DEFLATED)


def peak_bytes(fn):
    """(exception or None, peak bytes traced while fn ran)."""
    tracemalloc.start()
    try:
        fn()
        error = None
    except Exception as e:  # noqa: BLE001 - the test looks at it
        error = e
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return error, peak


MB = 1 << 20
OLD_WEIGHTS = zip_bytes([("0000.npy", b"")])  # the old format's member (never read here)


# ---------------------------------------------------------------- 4. bombs
def test_deflated_npy_bomb_in_an_old_file_is_refused_before_allocating(tmp_path):
    """A small .keras whose npz member declares a 300 MB array (issue 10, item 4)."""
    inner = io.BytesIO()
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (75 * MB,)})
    with zipfile.ZipFile(inner, "w", compression=zipfile.ZIP_DEFLATED) as z:
        streamed_zeros_member(z, "0000.npy", 300 * MB + len(header.getvalue()),
                              header.getvalue())
    path = tmp_path / "bomb.keras"
    path.write_bytes(zip_bytes([("metadata.json", '{"format": "minikeras-1"}'),
                                ("config.json", old_config()),
                                ("model.weights.npz", inner.getvalue())]))
    assert path.stat().st_size < 400_000
    error, peak = peak_bytes(lambda: load_model(path))
    assert isinstance(error, ValueError) and "bomb.keras" in str(error)
    assert "0000.npy" in str(error) and "bomb" in str(error)
    assert peak < 20 * MB


def test_weights_member_declaring_far_more_than_it_stores_is_refused(tmp_path):
    model = mlp()
    model.save(tmp_path / "good.keras")
    with zipfile.ZipFile(tmp_path / "good.keras") as z:
        config = z.read("config.json")
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", config)
        streamed_zeros_member(z, "model.weights.h5", 200 * MB)
    error, peak = peak_bytes(lambda: load_model(path))
    assert isinstance(error, ValueError) and "bomb.keras" in str(error)
    assert "model.weights.h5" in str(error) and "bomb" in str(error)
    assert peak < 20 * MB


def test_hdf5_dataset_declaring_far_more_than_it_stores_is_refused(tmp_path):
    import h5py
    model = Sequential([Dense(3, input_shape=(4,))])
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "a") as f:
        del f["layers/dense/vars/0"]
        f["layers/dense/vars"].create_dataset("0", shape=(50 * MB,), dtype="float32",
                                              chunks=(MB,), compression="gzip",
                                              fillvalue=0.0)
        f["layers/dense/vars/0"][:MB] = 1.0  # stored compressed: a few kilobytes
    error, peak = peak_bytes(lambda: model.load_weights(tmp_path / "w.weights.h5"))
    assert isinstance(error, ValueError) and "w.weights.h5" in str(error)
    assert "bomb" in str(error) or "shape" in str(error)
    assert peak < 20 * MB


def test_config_asking_for_huge_layers_is_refused_before_building_them(tmp_path):
    """A tiny config.json that asks for a Dense of 30 million weights, with a file that
    holds 60 numbers: the loader refuses before the layer allocates."""
    model = Sequential([Dense(12, input_shape=(4,)), Dense(1)])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        members = {name: z.read(name) for name in z.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["units"] = 30_000_000 // 4
    members["config.json"] = json.dumps(config).encode()
    path = tmp_path / "huge.keras"
    path.write_bytes(zip_bytes(list(members.items())))
    error, peak = peak_bytes(lambda: load_model(path))
    assert isinstance(error, ValueError) and "huge.keras" in str(error)
    assert 'layer "dense' in str(error) and "(4, 7500000)" in str(error)
    assert peak < 20 * MB


def test_config_member_over_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "big_config.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", '{"format": "minikeras-1"}')
        streamed_zeros_member(z, "config.json", 100 * MB, b'{"a": "')
        z.writestr("model.weights.npz", OLD_WEIGHTS)
    error, peak = peak_bytes(lambda: load_model(path))
    assert isinstance(error, ValueError) and "big_config.keras" in str(error)
    assert "config.json" in str(error)
    assert peak < 20 * MB


# ---------------------------------------------------------------- 5. damaged files
def test_deeply_nested_config_is_a_clear_error_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.keras"
    path.write_bytes(zip_bytes([("metadata.json", '{"format": "minikeras-1"}'),
                                ("config.json", "[" * 100_000 + "]" * 100_000),
                                ("model.weights.npz", OLD_WEIGHTS)]))
    with pytest.raises(ValueError, match=r"deep\.keras: config\.json is nested 100000 "
                                         r"levels deep"):
        load_model(path)


def test_two_members_of_the_same_name_are_refused(tmp_path):
    model = mlp()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        members = [(name, z.read(name)) for name in z.namelist()]
    path = tmp_path / "twice.keras"
    with pytest.warns(UserWarning, match="Duplicate name"):
        path.write_bytes(zip_bytes(members + [("config.json", b"{}")]))
    with pytest.raises(ValueError, match=r"twice\.keras: .*two members named 'config\.json'"):
        load_model(path)


def flip_bits(data: bytes, count: int, seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        damaged = bytearray(data)
        bit = int(rng.integers(len(data) * 8))
        damaged[bit // 8] ^= 1 << (bit % 8)
        yield bytes(damaged)


@pytest.mark.parametrize("fmt", ["keras3", "minikeras-1"])
def test_300_single_bit_flips_give_only_value_errors_naming_the_file(tmp_path, fmt):
    model = mlp()
    model.compile(optimizers.Adam(), "categorical_crossentropy")
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    data = (tmp_path / "m.keras").read_bytes() if fmt == "keras3" else old_mlp_file()
    path = tmp_path / "flipped.keras"
    outcomes = {"loaded": 0, "refused": 0}
    for damaged in flip_bits(data, 300, seed=10):
        path.write_bytes(damaged)
        try:
            load_model(path)
            outcomes["loaded"] += 1
        except ValueError as e:
            assert str(path) in str(e), repr(e)
            outcomes["refused"] += 1
    assert outcomes["refused"] > 150, outcomes  # most flips are caught (CRC, structure)


# ---------------------------------------------------------------- 6. >10,000 weights
class ManyWeights(Layer):
    """One layer with ``n`` scalar weights, weight i holding i."""

    def __init__(self, n=10_001, **kwargs):
        super().__init__(**kwargs)
        self.n = n

    def build(self, input_shape):
        self.many = [self.add_weight(name=f"w{i}", shape=(1,), initializer="zeros")
                     for i in range(self.n)]

    def call(self, inputs):
        return inputs * self.many[-1]

    def get_config(self):
        return {**super().get_config(), "n": self.n}


def many_weights_model():
    model = Sequential([ManyWeights(input_shape=(1,))])
    model.set_weights([np.array([i], "float32") for i in range(10_001)])
    return model


@pytest.mark.parametrize("suffix", [".weights.npz", ".weights.h5"])
def test_more_than_10000_weight_arrays_load_into_their_slots(tmp_path, suffix):
    model = many_weights_model()
    model.save_weights(tmp_path / f"many{suffix}")
    other = Sequential([ManyWeights(input_shape=(1,))])
    other.load_weights(tmp_path / f"many{suffix}")
    assert [float(w[0]) for w in other.get_weights()] == list(range(10_001))


def test_more_than_10000_weight_arrays_in_an_old_keras_file(tmp_path):
    layer = {"module": "minikeras.layers", "class_name": "ManyWeights", "name": "many",
             "config": {"name": "many", "trainable": True, "dtype": "float32",
                        "batch_input_shape": [None, 1], "n": 10_001}}
    config = {"module": "minikeras.models", "class_name": "Sequential",
              "config": {"name": "sequential", "trainable": True, "layers": [
                  {"module": "minikeras.layers", "class_name": "InputLayer", "name": "in",
                   "config": {"batch_shape": [None, 1], "dtype": "float32", "name": "in"}},
                  layer]}}
    path = tmp_path / "many.keras"
    path.write_bytes(minikeras_v1_file(config, many_weights_model().get_weights()))
    loaded = load_model(path, custom_objects={"ManyWeights": ManyWeights})
    assert [float(w[0]) for w in loaded.get_weights()] == list(range(10_001))


# ---------------------------------------------------------------- 7. killed saves
KILLED_SAVE = """
import os, signal, sys
import numpy as np
from minikeras.layers import Dense
from minikeras.models import Sequential
from minikeras.utils import io as file_io
file_io.os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)  # die before the rename
Sequential([Dense(2, input_shape=(3,))]).save(sys.argv[1])
"""


def test_the_next_save_removes_temp_files_that_killed_saves_left(tmp_path):
    target = tmp_path / "model.keras"
    other = tmp_path / ".tmp-abcd1234-other.keras"  # another file's: not ours to remove
    other.write_bytes(b"x")
    seen = set()
    for _ in range(3):  # each killed save leaves its temp file; the next one removes it
        run = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(target)],
                             capture_output=True)
        assert run.returncode == -signal.SIGKILL
        left = sorted(set(os.listdir(tmp_path)) - {other.name})
        assert len(left) == 1 and left[0].startswith(".tmp-") and \
            left[0].endswith("model.keras") and left[0] not in seen
        seen.add(left[0])
    mlp().save(target)
    assert sorted(os.listdir(tmp_path)) == [".tmp-abcd1234-other.keras", "model.keras"]
    load_model(target)


# ---------------------------------------------------------------- 8. load_weights(.keras)
def test_load_weights_reads_the_weights_of_a_keras_file(tmp_path):
    model = mlp()
    model.save(tmp_path / "m.keras")
    other = mlp()
    other.load_weights(tmp_path / "m.keras")
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_weights_of_an_old_keras_file():
    other = mlp()
    other.load_weights(DATA / "minikeras1_mlp.keras")
    x = np.load(DATA / "minikeras1_mlp.x.npy")
    np.testing.assert_array_equal(other.predict(x, verbose=0),
                                  np.load(DATA / "minikeras1_mlp.pred.npy"))


# ---------------------------------------------------------------- 9. optimizer state
@pytest.mark.parametrize("make", [
    lambda: optimizers.Adam(learning_rate=0.01),
    lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True),
    lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    lambda: optimizers.RMSprop(momentum=0.5, centered=True),
    lambda: optimizers.Adagrad(learning_rate=0.1),
    lambda: optimizers.Adadelta(learning_rate=1.0),
    lambda: optimizers.Adamax(),
    lambda: optimizers.Nadam(),
], ids=["adam", "amsgrad", "nesterov", "rmsprop", "adagrad", "adadelta", "adamax", "nadam"])
def test_resumed_training_equals_uninterrupted_training(tmp_path, make):
    """Dropout is off: each run would draw its own masks."""
    uninterrupted = mlp(dropout=0.0)
    start = uninterrupted.get_weights()
    uninterrupted.compile(make(), "categorical_crossentropy")
    uninterrupted.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0)

    first = mlp(dropout=0.0)
    first.set_weights(start)
    first.compile(make(), "categorical_crossentropy")
    first.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    first.save(tmp_path / "half.keras")
    resumed = load_model(tmp_path / "half.keras")
    assert int(resumed.optimizer.iterations.numpy()) == 4
    resumed.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(resumed.optimizer.get_weights(), uninterrupted.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_optimizer_state_also_travels_in_weights_files(tmp_path):
    model = mlp(dropout=0.0)
    model.compile(optimizers.Adam(0.01), "categorical_crossentropy")
    model.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    model.save_weights(tmp_path / "w.weights.h5")
    other = mlp(dropout=0.0)
    other.compile(optimizers.Adam(0.01), "categorical_crossentropy")
    other.load_weights(tmp_path / "w.weights.h5")
    assert int(other.optimizer.iterations.numpy()) == 4
    for a, b in zip(other.optimizer.get_weights(), model.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)
