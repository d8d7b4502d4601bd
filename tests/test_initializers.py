"""Initializers: fans, statistics of big draws, orthogonality, seeds, lookup and configs."""
import math

import numpy as np
import pytest

from minikeras import initializers as I
from minikeras.ops.random import set_seed

TRUNC = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2]


def test_compute_fans_dense_conv_and_small_shapes():
    assert I.compute_fans((784, 500)) == (784, 500)
    # conv kernels (..., in, out): both fans multiplied by the receptive field
    assert I.compute_fans((3, 3, 16, 32)) == (3 * 3 * 16, 3 * 3 * 32)
    assert I.compute_fans((5, 4, 8)) == (20, 40)
    assert I.compute_fans((2, 3, 3, 1, 4)) == (18, 72)
    assert I.compute_fans((7,)) == (7, 7)
    assert I.compute_fans(()) == (1, 1)


def test_constant_initializers_and_dtypes():
    z = I.Zeros()((2, 3))
    assert z.dtype == np.float32 and z.shape == (2, 3) and not z.any()
    o = I.Ones()((4,), dtype="float64")
    assert o.dtype == np.float64 and (o == 1).all()
    np.testing.assert_array_equal(I.Constant(2.5)((2, 2)), np.full((2, 2), 2.5))
    np.testing.assert_array_equal(I.Identity()((3, 3)), np.eye(3))
    np.testing.assert_array_equal(I.Identity(gain=3.0)((2, 4)), 3 * np.eye(2, 4))
    with pytest.raises(ValueError, match="2D"):
        I.Identity()((2, 2, 2))


def stats(w):
    return float(w.mean()), float(w.std())


def test_random_normal_uniform_truncated_statistics():
    mean, std = stats(I.RandomNormal(mean=1.0, stddev=2.0, seed=1)((400, 500)))
    assert abs(mean - 1.0) < 0.02 and abs(std - 2.0) < 0.02

    w = I.RandomUniform(minval=-3.0, maxval=1.0, seed=1)((400, 500))
    assert w.min() >= -3.0 and w.max() < 1.0
    assert abs(w.mean() + 1.0) < 0.02 and abs(w.std() - 4 / math.sqrt(12)) < 0.01

    w = I.TruncatedNormal(mean=0.5, stddev=0.1, seed=1)((400, 500))
    assert np.abs(w - 0.5).max() <= 0.2 + 1e-6
    assert abs(w.mean() - 0.5) < 1e-3 and abs(w.std() - 0.1 * TRUNC) < 1e-3


def test_defaults_match_keras():
    assert I.RandomNormal().get_config() == {"seed": None, "mean": 0.0, "stddev": 0.05}
    assert I.RandomUniform().get_config() == {"seed": None, "minval": -0.05, "maxval": 0.05}
    assert I.TruncatedNormal().get_config() == {"seed": None, "mean": 0.0, "stddev": 0.05}
    assert I.VarianceScaling().get_config() == {
        "seed": None, "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_has_variance_scale_over_n(mode, distribution):
    shape = (5, 5, 8, 32)  # a conv kernel: fan_in 200, fan_out 800
    n = {"fan_in": 200, "fan_out": 800, "fan_avg": 500}[mode]
    init = I.VarianceScaling(scale=3.0, mode=mode, distribution=distribution, seed=2)
    w = init(shape)
    want_std = math.sqrt(3.0 / n)
    assert abs(w.mean()) < 0.02 * want_std
    assert abs(w.std() / want_std - 1.0) < 0.02
    if distribution == "uniform":
        assert np.abs(w).max() <= math.sqrt(3.0 * 3.0 / n)
    if distribution == "truncated_normal":
        assert np.abs(w).max() <= 2.0 * want_std / TRUNC + 1e-6


@pytest.mark.parametrize("cls, limit", [
    (I.GlorotUniform, math.sqrt(6 / (300 + 200))),
    (I.HeUniform, math.sqrt(6 / 300)),
    (I.LecunUniform, math.sqrt(3 / 300)),
])
def test_uniform_presets_fill_their_limit(cls, limit):
    w = cls(seed=3)((300, 200))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
    assert abs(w.std() - limit / math.sqrt(3)) < 0.01 * limit


@pytest.mark.parametrize("cls, std", [
    (I.GlorotNormal, math.sqrt(2 / (300 + 200))),
    (I.HeNormal, math.sqrt(2 / 300)),
    (I.LecunNormal, math.sqrt(1 / 300)),
])
def test_normal_presets_have_their_std_after_truncation(cls, std):
    w = cls(seed=3)((300, 200))
    assert abs(w.std() / std - 1.0) < 0.02
    assert np.abs(w).max() <= 2 * std / TRUNC + 1e-6


def test_he_normal_uses_the_receptive_field_of_a_conv_kernel():
    w = I.HeNormal(seed=4)((3, 3, 64, 128))
    assert abs(w.std() / math.sqrt(2 / (3 * 3 * 64)) - 1.0) < 0.02


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 4, 8)])
def test_orthogonal(shape):
    w = I.Orthogonal(gain=2.0, seed=5)(shape).astype(np.float64)
    assert w.shape == shape
    m = w.reshape(-1, shape[-1]) / 2.0
    rows, cols = m.shape
    gram = m.T @ m if rows >= cols else m @ m.T
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-5)
    with pytest.raises(ValueError, match="at least 2"):
        I.Orthogonal()((5,))


def test_explicit_seed_repeats_and_unseeded_calls_differ():
    a = I.GlorotUniform(seed=7)
    np.testing.assert_array_equal(a((5, 5)), a((5, 5)))
    np.testing.assert_array_equal(a((5, 5)), I.GlorotUniform(seed=7)((5, 5)))
    assert not np.array_equal(a((5, 5)), I.GlorotUniform(seed=8)((5, 5)))
    b = I.GlorotUniform()
    assert not np.array_equal(b((5, 5)), b((5, 5)))


def test_set_seed_makes_unseeded_draws_reproducible():
    def draws():
        set_seed(42)
        return [init((4, 3)) for init in (I.GlorotUniform(), I.HeNormal(), I.RandomNormal(),
                                          I.Orthogonal(), I.TruncatedNormal())]
    for x, y in zip(draws(), draws()):
        np.testing.assert_array_equal(x, y)
    first = draws()[0]
    set_seed(43)
    assert not np.array_equal(first, I.GlorotUniform()((4, 3)))


def test_bad_arguments():
    with pytest.raises(ValueError, match="scale"):
        I.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="mode"):
        I.VarianceScaling(mode="fan_middle")
    with pytest.raises(ValueError, match="distribution"):
        I.VarianceScaling(distribution="cauchy")
    assert I.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    with pytest.raises(ValueError, match="seed"):
        I.RandomNormal(seed="abc")


ALL = [I.Zeros(), I.Ones(), I.Constant(0.3), I.Identity(gain=0.5), I.RandomNormal(0.1, 0.2, 1),
       I.RandomUniform(-1.0, 2.0, 2), I.TruncatedNormal(0.0, 0.3, 3),
       I.VarianceScaling(2.0, "fan_out", "uniform", 4), I.GlorotUniform(5), I.GlorotNormal(),
       I.HeNormal(6), I.HeUniform(), I.LecunNormal(), I.LecunUniform(7),
       I.Orthogonal(gain=1.5, seed=8)]


@pytest.mark.parametrize("init", ALL, ids=lambda i: type(i).__name__)
def test_serialize_round_trip(init):
    saved = I.serialize(init)
    assert saved["class_name"] == type(init).__name__ and saved["module"] == "keras.initializers"
    back = I.deserialize(saved)
    assert type(back) is type(init) and back.get_config() == init.get_config()
    assert type(init)(**init.get_config()).get_config() == init.get_config()
    shape = (4, 3)
    if getattr(init, "seed", 0) is not None:  # deterministic: same values after the trip
        np.testing.assert_array_equal(back(shape), init(shape))


def test_keras_config_format():
    assert I.serialize(I.GlorotUniform()) == {
        "module": "keras.initializers", "class_name": "GlorotUniform",
        "config": {"seed": None}, "registered_name": None}
    assert I.GlorotUniform(seed=1).get_config() == {"seed": 1}  # presets store only the seed


@pytest.mark.parametrize("name, cls", [
    ("glorot_uniform", I.GlorotUniform), ("GlorotUniform", I.GlorotUniform),
    ("glorot_normal", I.GlorotNormal), ("he_normal", I.HeNormal), ("he_uniform", I.HeUniform),
    ("lecun_normal", I.LecunNormal), ("lecun_uniform", I.LecunUniform), ("zeros", I.Zeros),
    ("zero", I.Zeros), ("ones", I.Ones), ("one", I.Ones), ("constant", I.Constant),
    ("random_normal", I.RandomNormal), ("normal", I.RandomNormal),
    ("random_uniform", I.RandomUniform), ("uniform", I.RandomUniform),
    ("truncated_normal", I.TruncatedNormal), ("variance_scaling", I.VarianceScaling),
    ("orthogonal", I.Orthogonal), ("OrthogonalInitializer", I.Orthogonal),
    ("identity", I.Identity),
])
def test_get_by_name(name, cls):
    assert type(I.get(name)) is cls


def test_get_other_identifiers_and_module_aliases():
    assert I.get(None) is None
    assert isinstance(I.get(I.HeNormal), I.HeNormal)
    inst = I.Ones()
    assert I.get(inst) is inst

    def fn(shape, dtype=None):
        return np.zeros(shape)

    assert I.get(fn) is fn
    assert I.get({"class_name": "RandomNormal", "config": {"stddev": 1.0}}).stddev == 1.0
    assert I.glorot_uniform is I.GlorotUniform and I.he_normal is I.HeNormal
    assert I.zeros is I.Zeros and I.random_normal is I.RandomNormal


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid names.*'glorot_uniform'"):
        I.get("glorot_uniformm")
    with pytest.raises(ValueError):
        I.get(42)
