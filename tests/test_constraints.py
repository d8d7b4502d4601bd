"""Constraints: each one against hand-computed numbers, kept by training on both update
paths, and saved with the layer (Dense.get_config is complete)."""
import numpy as np
import pytest

import minikeras as mk
from minikeras import constraints
from minikeras.layers import Dense, Embedding
from minikeras.models import Sequential, load_model

EPS = 1e-7


def test_max_norm_rescales_only_the_long_columns():
    w = np.array([[3.0, 0.3], [4.0, 0.4]], dtype="float32")  # column norms 5 and 0.5
    got = constraints.MaxNorm(2.0)(w)
    np.testing.assert_allclose(got, [[3 * 2 / (5 + EPS), 0.3], [4 * 2 / (5 + EPS), 0.4]],
                               rtol=1e-6)
    assert got.dtype == np.float32
    np.testing.assert_allclose(constraints.MaxNorm(1.0, axis=1)(np.array([[3.0, 4.0]])),
                               [[0.6, 0.8]], rtol=1e-6)


def test_non_neg_unit_norm_and_min_max_norm():
    np.testing.assert_array_equal(constraints.NonNeg()(np.array([-2.0, 0.0, 3.0])),
                                  [0.0, 0.0, 3.0])
    np.testing.assert_allclose(constraints.UnitNorm()(np.array([[3.0], [4.0]])),
                               [[0.6], [0.8]], rtol=1e-6)
    w = np.array([[0.3], [0.4]])                       # norm 0.5, raised towards 2
    half_way = constraints.MinMaxNorm(min_value=2.0, max_value=3.0, rate=0.5)(w)
    np.testing.assert_allclose(np.linalg.norm(half_way), 0.5 * 2.0 + 0.5 * 0.5, rtol=1e-6)


def test_get_and_serialize_round_trip():
    for name, cls in [("max_norm", constraints.MaxNorm), ("non_neg", constraints.NonNeg),
                      ("unit_norm", constraints.UnitNorm),
                      ("min_max_norm", constraints.MinMaxNorm)]:
        assert type(constraints.get(name)) is cls
    saved = constraints.serialize(constraints.MaxNorm(3.0, axis=1))
    again = constraints.get(saved)
    assert type(again) is constraints.MaxNorm and again.get_config() == saved["config"]
    assert constraints.get(None) is None and constraints.serialize(None) is None
    with pytest.raises(ValueError, match="unknown constraint"):
        constraints.get("positive")
    with pytest.raises(ValueError, match="cannot save the constraint"):
        constraints.serialize(lambda w: w)


@pytest.mark.parametrize("fuse", ["1", "0"])
def test_training_keeps_the_constraint(fuse, monkeypatch):
    monkeypatch.setenv("MINIKERAS_FUSE", fuse)
    mk.set_seed(2)
    model = Sequential([Dense(4, input_shape=(3,), kernel_constraint="non_neg",
                              bias_constraint=constraints.MaxNorm(0.1))])
    model.compile(mk.optimizers.SGD(0.5, momentum=0.9), "mse")
    rng = np.random.default_rng(3)
    model.fit(rng.normal(size=(16, 3)), rng.normal(size=(16, 4)), epochs=3, verbose=0)
    kernel, bias = model.get_weights()
    assert kernel.min() >= 0.0 and np.linalg.norm(bias) <= 0.1 + 1e-6


def test_dense_and_embedding_configs_hold_their_constraints(tmp_path):
    dense = Dense(3, kernel_constraint=constraints.MaxNorm(2.5), bias_constraint="non_neg")
    cfg = dense.get_config()
    assert cfg["kernel_constraint"] == {"class_name": "MaxNorm",
                                        "config": {"max_value": 2.5, "axis": 0}}
    assert cfg["bias_constraint"] == {"class_name": "NonNeg", "config": {}}
    assert Embedding(5, 2, embeddings_constraint="unit_norm").get_config()[
        "embeddings_constraint"]["class_name"] == "UnitNorm"
    model = Sequential([Dense(3, input_shape=(2,), kernel_constraint="max_norm"),
                        Embedding(5, 2, embeddings_constraint="non_neg")])
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert isinstance(loaded.layers[0].kernel_constraint, constraints.MaxNorm)
    assert isinstance(loaded.layers[0].kernel.constraint, constraints.MaxNorm)
    assert isinstance(loaded.layers[1].embeddings_constraint, constraints.NonNeg)
