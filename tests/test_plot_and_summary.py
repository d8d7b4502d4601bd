"""utils.plot_model and the printed summary (issue 18, items 3 and 6); the summary text is
compared with real Keras 3's in tests/interop/test_training_parity.py."""
import numpy as np
import pytest

import minikeras as mk
from minikeras import layers
from minikeras.models.summary import column_widths, format_summary, is_sequential_like


def branching():
    a, b = mk.Input((4,), name="a"), mk.Input((3,), name="b")
    h = layers.Dense(8, name="h", activation="relu")(a)
    out = layers.Dense(1, name="out")(layers.Concatenate(name="cat")([h, b]))
    return mk.Model([a, b], out, name="branch")


def chain():
    x = mk.Input((5,), name="x")
    return mk.Model(x, layers.Dense(2, name="d2")(layers.Dense(3, name="d1")(x)))


# ---------------------------------------------------------------- plot_model

def test_plot_model_boxes_and_arrows():
    picture = mk.utils.plot_model(branching(), to_file=None, show_shapes=True,
                                  show_layer_names=True, show_layer_activations=True,
                                  show_trainable=True, show_dtype=True)
    assert (picture.n_nodes, picture.n_edges) == (5, 4)   # a, b, h, cat, out; 4 arrows
    svg = picture.svg
    for text in ("a (InputLayer)", "h (Dense)", "cat (Concatenate)", "Activation: relu",
                 "Input shape: [(None, 8), (None, 3)]", "Output shape: (None, 11)",
                 "Trainable: True", "Output dtype: float32"):
        assert text.replace("(", "(") in svg, text
    plain = mk.utils.plot_model(branching(), to_file=None)   # Keras 3 default: class names
    assert "Dense" in plain.svg and "h (Dense)" not in plain.svg


def test_plot_model_writes_svg_and_png(tmp_path):
    model = chain()
    mk.utils.plot_model(model, to_file=tmp_path / "m.svg", show_shapes=True)
    assert (tmp_path / "m.svg").read_text().startswith("<svg")
    mk.utils.plot_model(model, to_file=str(tmp_path / "m.png"), dpi=50)
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob("*.tmp*"))             # written whole, then renamed
    with pytest.raises(ValueError, match=r"\.svg, \.png"):
        mk.utils.plot_model(model, to_file=tmp_path / "m.gif")


def test_plot_model_of_a_sequential_and_the_unsupported_options():
    model = mk.Sequential([layers.Input((3,)), layers.Dense(2), layers.Dense(1)])
    assert mk.utils.plot_model(model, to_file=None).n_edges == 2
    with pytest.raises(NotImplementedError, match="rankdir"):
        mk.utils.plot_model(model, to_file=None, rankdir="LR")
    unbuilt = mk.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="not built"):
        mk.utils.plot_model(unbuilt, to_file=None)


def test_plot_model_shows_in_a_notebook():
    picture = mk.utils.plot_model(chain(), to_file=None)
    assert picture._repr_svg_() == picture.svg


# ---------------------------------------------------------------- summary

def test_a_plain_chain_has_no_connected_to_column():
    assert is_sequential_like(chain()) and not is_sequential_like(branching())
    text = format_summary(chain(), line_length=76)
    assert "Connected to" not in text and "x (InputLayer)" in text
    assert "Connected to" in format_summary(branching(), line_length=76)


def test_a_layer_used_twice_is_not_a_chain():
    x = mk.Input((3,))
    shared = layers.Dense(3)
    assert not is_sequential_like(mk.Model(x, shared(shared(x))))


def test_column_widths_are_richs():
    """rich shrinks Keras's widths evenly to fit: 80 columns give these (checked against
    Keras 3's output)."""
    assert column_widths(76, [0.45, 0.80, 1.0]) == [33, 24, 15]
    assert column_widths(76, [0.3, 0.56, 0.74, 1.0]) == [21, 19, 12, 19]
    assert column_widths(84, [0.45, 0.80, 1.0]) == [36, 28, 16]    # 88 columns


def test_long_cells_wrap_and_unbuilt_layers_say_so():
    a, b = mk.Input((2,), name="in_a"), mk.Input((3,), name="in_b")
    model = mk.Model([a, b], layers.Concatenate(name="join")([a, b]))
    text = format_summary(model, line_length=76)
    assert "│ in_a[0][0],  " in text and "│ in_b[0][0]  " in text    # one cell, two lines
    unbuilt = mk.Sequential([layers.Dense(2, name="d")])
    assert "0 (unbuilt)" in format_summary(unbuilt, line_length=76)


def test_optimizer_params_once_the_optimizer_is_built():
    model = mk.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile("adam", "mse")
    assert "Optimizer params" not in format_summary(model, line_length=76)
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    text = format_summary(model, line_length=76)
    # Adam: iterations, learning_rate and two slots per weight: 1 + 1 + 2 * 8 = 18
    assert "Optimizer params: 18" in text and "Total params: 26" in text


def test_evaluate_verbose_2_prints_keras_3s_order(capsys):
    model = mk.Sequential([layers.Input((1,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile("sgd", "mse", metrics=["mae", "accuracy"])
    model.evaluate(np.ones((4, 1)), np.ones((4, 1)), batch_size=2, verbose=2)
    line = capsys.readouterr().out.strip()
    assert line.startswith("2/2 - ") and line.endswith(
        "accuracy: 1.0000 - loss: 0.0000e+00 - mae: 0.0000e+00")
