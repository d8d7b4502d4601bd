"""Optimizers: the first steps of every rule against an independent NumPy version.

Each reference below is written from the formulas in Keras 3's optimizer sources
(keras/src/optimizers/*.py) in float64, step by step, without looking at minikeras. The
loss is sum_i |p_i - target_i|^2, so the gradient is 2 (p - target).
"""
import doctest

import numpy as np
import pytest

import minikeras.backend as K
from minikeras import optimizers
from minikeras.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, Nadam, Optimizer, RMSprop

P0 = [np.array([1.0, -2.0, 0.5]), np.array([[3.0, -0.25], [0.0, 1.5]])]
TARGETS = [np.array([0.0, 1.0, 0.5]), np.array([[-1.0, 0.5], [0.2, 1.0]])]


# ---------------------------------------------------------------- NumPy references

def ref_sgd(p, g, s, t, lr, momentum=0.0, nesterov=False):
    if momentum == 0:
        return p - lr * g
    m = momentum * s.get("m", 0.0) - lr * g
    s["m"] = m
    return p + momentum * m - lr * g if nesterov else p + m


def ref_rmsprop(p, g, s, t, lr, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    v = rho * s.get("v", 0.0) + (1 - rho) * g ** 2
    s["v"] = v
    if centered:
        a = rho * s.get("a", 0.0) + (1 - rho) * g
        s["a"] = a
        step = lr * g / np.sqrt(v - a ** 2 + epsilon)
    else:
        step = lr * g / np.sqrt(v + epsilon)
    if momentum > 0:
        s["m"] = momentum * s.get("m", 0.0) + step
        step = s["m"]
    return p - step


def ref_adagrad(p, g, s, t, lr, initial_accumulator_value=0.1, epsilon=1e-7):
    s["acc"] = s.get("acc", initial_accumulator_value) + g ** 2
    return p - lr * g / np.sqrt(s["acc"] + epsilon)


def ref_adadelta(p, g, s, t, lr, rho=0.95, epsilon=1e-7):
    s["ag"] = rho * s.get("ag", 0.0) + (1 - rho) * g ** 2
    ad = s.get("ad", 0.0)
    delta = -np.sqrt(ad + epsilon) * g / np.sqrt(s["ag"] + epsilon)
    s["ad"] = rho * ad + (1 - rho) * delta ** 2
    return p + lr * delta


def ref_adam(p, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g ** 2
    v = s["v"]
    if amsgrad:
        s["vhat"] = np.maximum(s.get("vhat", 0.0), v)
        v = s["vhat"]
    # Keras's epsilon is "epsilon hat": added to sqrt(v) before the bias correction
    lr_t = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return p - lr_t * s["m"] / (np.sqrt(v) + epsilon)


def ref_adamax(p, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["u"] = np.maximum(beta_2 * s.get("u", 0.0), np.abs(g))
    return p - lr / (1 - beta_1 ** t) * s["m"] / (s["u"] + epsilon)


def ref_nadam(p, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def mu(i):
        return beta_1 * (1 - 0.5 * 0.96 ** i)

    product_t = np.prod([mu(i) for i in range(1, t + 1)])   # from scratch, no state
    product_next = product_t * mu(t + 1)
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g ** 2
    m_hat = mu(t + 1) * s["m"] / (1 - product_next) + (1 - mu(t)) * g / (1 - product_t)
    v_hat = s["v"] / (1 - beta_2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + epsilon)


def clip_norm(c):
    return lambda gs: [g * c / max(np.sqrt(np.sum(g ** 2)), c) for g in gs]


def clip_value(c):
    return lambda gs: [np.clip(g, -c, c) for g in gs]


def clip_global_norm(c):
    def clip(gs):
        norm = np.sqrt(sum(np.sum(g ** 2) for g in gs))
        return [g * c / max(norm, c) for g in gs]
    return clip


def run_numpy(rule, hp, lrs, decay=0.0, clip=None, steps=3, p0=P0, targets=TARGETS):
    """Parameter values after each step, in float64; lrs[k] is the rate set for step k."""
    ps = [np.array(p, dtype=np.float64) for p in p0]
    states = [{} for _ in ps]
    history = []
    for k in range(steps):
        lr = lrs[k] / (1 + decay * k)          # k = iterations done before this step
        gs = [2 * (p - tgt) for p, tgt in zip(ps, targets)]
        if clip is not None:
            gs = clip(gs)
        ps = [rule(p, g, s, k + 1, lr, **hp) for p, g, s in zip(ps, gs, states)]
        history.append([p.copy() for p in ps])
    return history


def run_minikeras(opt, steps=3, before_step=None, p0=P0, targets=TARGETS, dtype=None):
    params = [K.variable(p, dtype=dtype, name=f"p{i}") for i, p in enumerate(p0)]
    loss = K.sum(K.square(params[0] - targets[0])) + K.sum(K.square(params[1] - targets[1]))
    f = K.function([], [loss], updates=opt.get_updates(loss, params))
    history = []
    for k in range(steps):
        if before_step is not None:
            before_step(k, opt)
        f([])
        history.append([K.get_value(p) for p in params])
    return history


def assert_histories_close(got, want, dtype, p0=P0):
    """float64 is the exact check of the formulas (1e-12). In float32, 1 - beta_2^t cancels
    (beta_2 = 0.999: about 1e-5 relative error on the step, in Keras too), so besides 1e-6
    relative to the parameter it allows 3e-5 of the distance moved so far."""
    for step, (g_params, w_params) in enumerate(zip(got, want), start=1):
        for i, (g, w) in enumerate(zip(g_params, w_params)):
            assert g.dtype == np.dtype(dtype)
            if dtype == "float64":
                tol = {"rtol": 1e-12, "atol": 1e-12}
            else:
                tol = {"rtol": 1e-6, "atol": 1e-7 + 3e-5 * np.max(np.abs(w - p0[i]))}
            np.testing.assert_allclose(g, w, **tol, err_msg=f"step {step}, parameter {i}")


@pytest.fixture(params=["float32", "float64"])
def floatx(request):
    K.set_floatx(request.param)     # conftest restores the settings after each test
    return request.param


# (optimizer class, constructor arguments, reference rule, reference hyperparameters)
CASES = {
    "sgd": (SGD, {"learning_rate": 0.1}, ref_sgd, {}),
    "sgd-momentum": (SGD, {"learning_rate": 0.1, "momentum": 0.9}, ref_sgd,
                     {"momentum": 0.9}),
    "sgd-nesterov": (SGD, {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}, ref_sgd,
                     {"momentum": 0.9, "nesterov": True}),
    "rmsprop": (RMSprop, {"learning_rate": 0.1}, ref_rmsprop, {}),
    "rmsprop-eps": (RMSprop, {"learning_rate": 0.1, "rho": 0.8, "epsilon": 1e-2}, ref_rmsprop,
                    {"rho": 0.8, "epsilon": 1e-2}),
    "rmsprop-centered": (RMSprop, {"learning_rate": 0.05, "centered": True, "epsilon": 1e-3},
                         ref_rmsprop, {"centered": True, "epsilon": 1e-3}),
    "rmsprop-momentum": (RMSprop, {"learning_rate": 0.05, "momentum": 0.5}, ref_rmsprop,
                         {"momentum": 0.5}),
    "rmsprop-centered-momentum": (
        RMSprop, {"learning_rate": 0.05, "rho": 0.7, "momentum": 0.3, "centered": True},
        ref_rmsprop, {"rho": 0.7, "momentum": 0.3, "centered": True}),
    "adagrad": (Adagrad, {"learning_rate": 0.1}, ref_adagrad, {}),
    "adagrad-args": (Adagrad, {"learning_rate": 0.3, "initial_accumulator_value": 0.5,
                                   "epsilon": 1e-2}, ref_adagrad,
                     {"initial_accumulator_value": 0.5, "epsilon": 1e-2}),
    "adadelta": (Adadelta, {"learning_rate": 1.0}, ref_adadelta, {}),
    "adadelta-args": (Adadelta, {"learning_rate": 0.5, "rho": 0.8, "epsilon": 1e-2}, ref_adadelta,
                      {"rho": 0.8, "epsilon": 1e-2}),
    "adam": (Adam, {"learning_rate": 0.1}, ref_adam, {}),
    "adam-args": (Adam, {"learning_rate": 0.2, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-2},
                  ref_adam, {"beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-2}),
    "adam-amsgrad": (Adam, {"learning_rate": 0.8, "beta_2": 0.5, "amsgrad": True}, ref_adam,
                     {"beta_2": 0.5, "amsgrad": True}),
    "adamax": (Adamax, {"learning_rate": 0.1}, ref_adamax, {}),
    "adamax-args": (Adamax, {"learning_rate": 0.2, "beta_1": 0.8, "beta_2": 0.5, "epsilon": 1e-2},
                    ref_adamax, {"beta_1": 0.8, "beta_2": 0.5, "epsilon": 1e-2}),
    "nadam": (Nadam, {"learning_rate": 0.1}, ref_nadam, {}),
    "nadam-args": (Nadam, {"learning_rate": 0.2, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-2},
                   ref_nadam, {"beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-2}),
}
# every optimizer with all of Keras 3's defaults (learning_rate 0.01 or 0.001)
DEFAULTS = {cls.__name__: (cls, {}, rule, {}) for cls, rule in [
    (SGD, ref_sgd), (RMSprop, ref_rmsprop), (Adagrad, ref_adagrad), (Adadelta, ref_adadelta),
    (Adam, ref_adam), (Adamax, ref_adamax), (Nadam, ref_nadam)]}


@pytest.mark.parametrize("case", list(CASES) + [f"default-{n}" for n in DEFAULTS])
def test_first_three_steps_match_numpy(case, floatx):
    cls, kwargs, rule, hp = (DEFAULTS[case[8:]] if case.startswith("default-")
                             else CASES[case])
    opt = cls(**kwargs)
    lr = opt.get_config()["learning_rate"]
    got = run_minikeras(opt)
    assert_histories_close(got, run_numpy(rule, hp, [lr] * 3), floatx)
    assert int(K.get_value(opt.iterations)) == 3


def test_amsgrad_case_really_uses_the_max():
    """The amsgrad case above is only a test if v shrinks somewhere within three steps."""
    with_max = run_numpy(ref_adam, {"beta_2": 0.5, "amsgrad": True}, [0.8] * 3)
    without = run_numpy(ref_adam, {"beta_2": 0.5}, [0.8] * 3)
    assert not np.allclose(with_max[2][0], without[2][0], rtol=1e-3)


def test_every_optimizer_is_covered():
    covered = {cls for cls, *_ in CASES.values()}
    assert covered == set(optimizers.ALL_OPTIMIZERS.values())


# ---------------------------------------------------------------- learning rate and decay

def test_decay_uses_iterations_before_the_step(floatx):
    opt = SGD(lr=0.1, decay=0.5)
    got = run_minikeras(opt)
    # the first step uses lr itself: p1 = p0 - 0.1 * 2 (p0 - target)
    first = P0[0] - 0.1 * 2 * (P0[0] - TARGETS[0])
    np.testing.assert_allclose(got[0][0], first, rtol=1e-6)
    assert_histories_close(got, run_numpy(ref_sgd, {}, [0.1] * 3, decay=0.5), floatx)


@pytest.mark.parametrize("cls, rule", [(SGD, ref_sgd), (Adam, ref_adam),
                                        (RMSprop, ref_rmsprop)])
def test_decay_with_other_rules(cls, rule, floatx):
    opt = cls(learning_rate=0.2, decay=0.3)
    assert_histories_close(run_minikeras(opt), run_numpy(rule, {}, [0.2] * 3, decay=0.3),
                           floatx)


def test_lr_is_an_alias_of_learning_rate(floatx):
    opt = SGD(lr=0.05, momentum=0.9)
    assert opt.lr is opt.learning_rate
    assert opt.get_config()["learning_rate"] == 0.05 and "lr" not in opt.get_config()
    got = run_minikeras(opt)
    assert_histories_close(got, run_numpy(ref_sgd, {"momentum": 0.9}, [0.05] * 3), floatx)


@pytest.mark.parametrize("cls, rule, hp", [(SGD, ref_sgd, {"momentum": 0.5}),
                                            (Adam, ref_adam, {})])
def test_changing_the_learning_rate_between_steps(cls, rule, hp, floatx):
    def before_step(k, opt):
        if k == 1:
            opt.learning_rate = 0.5               # property setter assigns the variable
        elif k == 2:
            K.set_value(opt.lr, 0.2)              # the Keras 2 callback way

    opt = cls(learning_rate=0.1, **hp)
    got = run_minikeras(opt, before_step=before_step)
    assert_histories_close(got, run_numpy(rule, hp, [0.1, 0.5, 0.2]), floatx)
    assert opt.get_config()["learning_rate"] == 0.2


# ---------------------------------------------------------------- clipping

@pytest.mark.parametrize("cls, rule, hp", [(SGD, ref_sgd, {}),
                                            (SGD, ref_sgd, {"momentum": 0.9}),
                                            (RMSprop, ref_rmsprop, {})])
@pytest.mark.parametrize("clip_kw, clip", [
    ({"clipnorm": 1.0}, clip_norm(1.0)),
    ({"clipnorm": 7.0}, clip_norm(7.0)),     # one gradient above the norm, one below
    ({"clipvalue": 0.5}, clip_value(0.5)),
    ({"global_clipnorm": 2.0}, clip_global_norm(2.0)),
])
def test_gradient_clipping(cls, rule, hp, clip_kw, clip, floatx):
    opt = cls(learning_rate=0.1, **hp, **clip_kw)
    got = run_minikeras(opt)
    assert_histories_close(got, run_numpy(rule, hp, [0.1] * 3, clip=clip), floatx)


def test_clipnorm_leaves_small_gradients_alone():
    grads = [2 * (p - t) for p, t in zip(P0, TARGETS)]
    norms = [np.sqrt(np.sum(g ** 2)) for g in grads]
    assert min(norms) < 7.0 < max(norms)    # so the clipnorm=7 case tests both branches


def test_only_one_kind_of_clipping():
    with pytest.raises(ValueError, match="only one of clipnorm, clipvalue"):
        SGD(clipnorm=1.0, clipvalue=0.5)
    with pytest.raises(ValueError, match="clipnorm must be a positive"):
        SGD(clipnorm=-1.0)


# ---------------------------------------------------------------- feeding data

def test_training_on_fed_minibatches_matches_numpy():
    """Linear regression on batches fed through placeholders: Adam, nesterov SGD."""
    rng = np.random.default_rng(0)
    batches = [(rng.normal(size=(5, 3)), rng.normal(size=(5, 1))) for _ in range(3)]
    for opt, rule, hp in [(Adam(learning_rate=0.05), ref_adam, {}),
                          (SGD(0.05, momentum=0.8, nesterov=True), ref_sgd,
                           {"momentum": 0.8, "nesterov": True})]:
        x = K.placeholder(shape=(None, 3))
        y = K.placeholder(shape=(None, 1))
        w0, b0 = np.array([[0.5], [-0.3], [0.1]]), np.array([0.2])
        w, b = K.variable(w0), K.variable(b0)
        loss = K.mean(K.square(K.dot(x, w) + b - y))
        train = K.function([x, y], [loss], updates=opt.get_updates(loss, [w, b]))
        ps, states = [w0, b0], [{}, {}]
        for t, (xb, yb) in enumerate(batches, start=1):
            train([xb, yb])
            err = xb @ ps[0] + ps[1] - yb
            gs = [2 / len(xb) * xb.T @ err, 2 / len(xb) * err.sum(axis=0)]
            ps = [rule(p, g, s, t, 0.05, **hp) for p, g, s in zip(ps, gs, states)]
            np.testing.assert_allclose(K.get_value(w), ps[0], rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(K.get_value(b), ps[1], rtol=1e-5, atol=1e-6)


def test_float64_parameters_keep_their_dtype_with_float32_floatx():
    opt = Adam(learning_rate=0.1)
    got = run_minikeras(opt, dtype="float64")
    want = run_numpy(ref_adam, {}, [float(np.float32(0.1))] * 3)
    assert_histories_close(got, want, "float64")
    assert all(v.dtype == "float64" for v in opt.weights[1:])


# ---------------------------------------------------------------- state

def test_weights_are_iterations_then_slots_in_keras_order():
    opt = Adam(amsgrad=True)
    run_minikeras(opt, steps=1)
    names = [v.name for v in opt.weights]
    assert names == ["iterations", "p0_momentum", "p1_momentum", "p0_velocity",
                     "p1_velocity", "p0_velocity_hat", "p1_velocity_hat"]
    assert [v.name for v in opt.variables][:2] == ["iterations", "learning_rate"]
    assert opt.iterations.dtype == "int64"
    sgd = SGD()
    run_minikeras(sgd, steps=1)
    assert [v.name for v in sgd.weights] == ["iterations"]   # no momentum, no slots
    nadam = Nadam()
    run_minikeras(nadam, steps=1)
    assert nadam.weights[-1].name == "u_product"


@pytest.mark.parametrize("name", list(optimizers.ALL_OPTIMIZERS))
def test_set_weights_carries_the_training_state(name):
    """Two steps, move the state to a fresh optimizer, one more step: same as three."""
    kwargs = {"sgd": {"momentum": 0.9}}.get(name, {})
    cls = optimizers.ALL_OPTIMIZERS[name]
    reference = run_minikeras(cls(learning_rate=0.1, **kwargs))

    first = cls(learning_rate=0.1, **kwargs)
    params = [K.variable(p) for p in P0]
    loss = sum(K.sum(K.square(p - t)) for p, t in zip(params, TARGETS))
    f = K.function([], [loss], updates=first.get_updates(loss, params))
    f([])
    f([])
    second = cls(learning_rate=0.1, **kwargs)
    g = K.function([], [loss], updates=second.get_updates(loss, params))
    assert len(second.get_weights()) == len(first.get_weights()) > 1
    second.set_weights(first.get_weights())
    assert int(second.get_weights()[0]) == 2
    g([])
    for got, want in zip(params, reference[2]):
        np.testing.assert_allclose(K.get_value(got), want, rtol=1e-6)


def test_set_weights_checks_length_and_shapes():
    opt = SGD(momentum=0.9)
    with pytest.raises(ValueError, match="call get_updates first"):
        opt.set_weights([np.array(0), np.zeros(3)])
    run_minikeras(opt, steps=1)
    weights = opt.get_weights()
    with pytest.raises(ValueError, match="has 3 weights"):
        opt.set_weights(weights[:2])
    with pytest.raises(ValueError, match="shape"):
        opt.set_weights([weights[0], np.zeros(4), weights[2]])


def test_get_updates_again_reuses_the_slots_and_rejects_strangers():
    opt = Adam()
    params = [K.variable(p) for p in P0]
    loss = K.sum(K.square(params[0])) + K.sum(K.square(params[1]))
    updates = opt.get_updates(loss, params)
    # one fused step per parameter (the compiler may run it in place), each carrying the
    # three plain pairs of Adam's rule
    assert [u.kernel for u in updates[1:]] == ["adam_step"] * len(params)
    pairs = [updates[0]] + [pair for u in updates[1:] for pair in u.pairs]
    assert len(pairs) == 1 + 3 * len(params)
    assert updates[0][0] is opt.iterations
    n = len(opt.weights)
    opt.get_updates(loss, params)
    assert len(opt.weights) == n
    with pytest.raises(ValueError, match="built for other variables"):
        opt.get_updates(loss, [K.variable(1.0, name="stranger")])
    with pytest.raises(TypeError, match="updates variables"):
        Adam().get_updates(loss, [params[0] * 2])


# ---------------------------------------------------------------- arguments and config

ADAM_LIKE = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}
KERAS3_DEFAULTS = {
    SGD: {"name": "SGD", "learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    RMSprop: {"name": "rmsprop", "learning_rate": 0.001, "rho": 0.9, "momentum": 0.0,
              "epsilon": 1e-7, "centered": False},
    Adagrad: {"name": "adagrad", "learning_rate": 0.001, "initial_accumulator_value": 0.1,
              "epsilon": 1e-7},
    Adadelta: {"name": "adadelta", "learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7},
    Adam: {"name": "adam", **ADAM_LIKE, "amsgrad": False},
    Adamax: {"name": "adamax", **ADAM_LIKE},
    Nadam: {"name": "nadam", **ADAM_LIKE},
}


@pytest.mark.parametrize("cls", list(KERAS3_DEFAULTS), ids=lambda c: c.__name__)
def test_defaults_and_config_match_keras3(cls):
    config = cls().get_config()
    base = {"decay": 0.0, "clipnorm": None, "global_clipnorm": None, "clipvalue": None}
    assert config == {**base, **KERAS3_DEFAULTS[cls]}


def test_unknown_arguments_are_named():
    with pytest.raises(TypeError, match="bogus, momentun"):
        SGD(momentun=0.9, bogus=1)
    with pytest.raises(ValueError, match="momentum must be"):
        SGD(momentum=1.5)
    with pytest.raises(TypeError, match="nesterov must be True or False"):
        SGD(0.1, 0.9, 1e-6)               # Keras 2's positional decay lands on nesterov
    with pytest.raises(ValueError, match="learning_rate must be"):
        Adam(learning_rate=-1.0)


@pytest.mark.parametrize("name", list(optimizers.ALL_OPTIMIZERS))
def test_get_serialize_deserialize_round_trip(name):
    opt = optimizers.get(name)
    assert type(opt) is optimizers.ALL_OPTIMIZERS[name]
    assert type(optimizers.get(name.upper())) is type(opt)
    config = optimizers.serialize(opt)
    assert config["class_name"] == type(opt).__name__
    again = optimizers.deserialize(config)
    assert type(again) is type(opt) and again.get_config() == opt.get_config()
    assert optimizers.get(config).get_config() == opt.get_config()
    assert optimizers.get(opt) is opt


def test_round_trip_keeps_every_argument():
    opt = Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-3, amsgrad=True,
               clipnorm=1.0, decay=1e-4, name="my_adam")
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert again.get_config() == opt.get_config()
    assert again.name == "my_adam" and again.amsgrad and again.clipnorm == 1.0
    assert again.initial_decay == 1e-4
    rms = RMSprop.from_config(RMSprop(momentum=0.5, centered=True).get_config())
    assert rms.momentum == 0.5 and rms.centered


def test_keras2_and_keras3_configs_load():
    keras2 = {"class_name": "SGD",
              "config": {"lr": 0.1, "momentum": 0.9, "decay": 1e-6, "nesterov": True}}
    sgd = optimizers.get(keras2)
    assert sgd.get_config()["learning_rate"] == 0.1 and sgd.nesterov
    keras3 = {"module": "keras.optimizers", "class_name": "Adam", "registered_name": None,
              "config": {"name": "adam", "learning_rate": 0.002, "weight_decay": None,
                         "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                         "use_ema": False, "ema_momentum": 0.99,
                         "ema_overwrite_frequency": None, "loss_scale_factor": None,
                         "gradient_accumulation_steps": None, "beta_1": 0.9,
                         "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}}
    assert optimizers.deserialize(keras3).get_config()["learning_rate"] == 0.002
    keras3["config"]["use_ema"] = True
    with pytest.raises(ValueError, match="use_ema"):
        optimizers.deserialize(keras3)


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="'sgd'.*'adam'"):
        optimizers.get("adamw")
    with pytest.raises(ValueError, match="could not interpret"):
        optimizers.get(42)
    with pytest.raises(ValueError, match="unknown optimizer 'Lion'.*adam"):
        optimizers.deserialize({"class_name": "Lion", "config": {}})


def test_docstring_examples_run():
    result = doctest.testmod(optimizers, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 10 and result.failed == 0


def test_a_new_rule_needs_only_update_step():
    class SignSGD(Optimizer):
        def update_step(self, gradient, variable, learning_rate):
            return [(variable, variable - learning_rate * K.sign(gradient))]

    opt = SignSGD(learning_rate=0.5)
    got = run_minikeras(opt, steps=1)
    np.testing.assert_allclose(got[0][0], P0[0] - 0.5 * np.sign(P0[0] - TARGETS[0]))
    assert opt.get_config()["name"] == "signsgd" and opt.weights == [opt.iterations]
    with pytest.raises(NotImplementedError, match="must define update_step"):
        run_minikeras(Optimizer(), steps=1)


@pytest.mark.parametrize("make, slots", [
    (lambda: optimizers.SGD(momentum=0.9), ["w_momentum", "b_momentum"]),
    (lambda: optimizers.RMSprop(momentum=0.5, centered=True),
     ["w_velocity", "b_velocity", "w_momentum", "b_momentum", "w_average_gradient",
      "b_average_gradient"]),
    (lambda: optimizers.Adagrad(), ["w_accumulator", "b_accumulator"]),
    (lambda: optimizers.Adadelta(), ["w_accumulated_grad", "w_accumulated_delta_var",
                                     "b_accumulated_grad", "b_accumulated_delta_var"]),
    (lambda: optimizers.Adam(amsgrad=True), ["w_momentum", "w_velocity", "b_momentum",
                                             "b_velocity", "w_velocity_hat", "b_velocity_hat"]),
    (lambda: optimizers.Adamax(), ["w_momentum", "w_norm", "b_momentum", "b_norm"]),
    (lambda: optimizers.Nadam(), ["w_momentum", "w_velocity", "b_momentum", "b_velocity",
                                  "u_product"]),
], ids=["sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam"])
def test_variables_are_in_keras_3_order(make, slots):
    """Keras 3 creates slots one trained variable at a time: its variables (and files)
    interleave them (the same order against real Keras: tests/interop/test_files.py)."""
    w, b = K.variable(np.zeros((2, 3)), name="w"), K.variable(np.zeros(3), name="b")
    opt = make()
    opt.build([w, b])
    assert [v.name for v in opt.variables] == ["iterations", "learning_rate"] + slots
