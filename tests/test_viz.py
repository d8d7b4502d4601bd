"""minikeras.viz: graph pictures as SVG, checked headless by parsing the SVG."""
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import minikeras.backend as K
from minikeras import viz

SVG = "{http://www.w3.org/2000/svg}"


def _nodes(drawing):
    """(classes, [text lines]) of every node box in the picture."""
    root = ET.fromstring(drawing.svg)
    return [(g.get("class"), [t.text for t in g.iter(f"{SVG}text")])
            for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("node")]


def _overlap(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def test_forward_graph_has_one_box_per_node_with_op_and_shape():
    x = K.placeholder(shape=(None, 3), name="x")
    y = K.sum(K.tanh(x) * 2.0, axis=1)
    drawing = viz.draw_graph(y)
    nodes = _nodes(drawing)
    assert len(nodes) == drawing.n_nodes == 5          # x, tanh, 2.0, multiply, sum
    titles = [lines[0] for _, lines in nodes]
    assert sorted(titles) == sorted(["x", "tanh", "2", "multiply", "sum"])
    texts = [t for _, lines in nodes for t in lines]
    assert "(None, 3) float32" in texts and "(None,) float32" in texts
    assert [c for c, lines in nodes if lines[0] == "x"] == ["node input"]
    assert drawing.n_edges == 4
    root = ET.fromstring(drawing.svg)
    assert len([p for p in root.iter(f"{SVG}path") if p.get("class") == "edge"]) == 4


def test_gradient_graph_is_drawn_in_its_own_colour_and_labelled():
    w = K.variable([1.0, 2.0], name="w")
    loss = K.sum(K.square(w))
    drawing = viz.draw_graph(loss, wrt=[w])
    nodes = _nodes(drawing)
    gradient_boxes = [lines for c, lines in nodes if c == "node gradient"]
    assert gradient_boxes, "the backward nodes must be marked"
    labelled = [lines for _, lines in nodes if any(t.startswith("= d(") for t in lines)]
    assert len(labelled) == 1 and "= d(sum)/d(w)" in labelled[0]   # the loss has no name
    forward = viz.draw_graph(loss)
    assert forward.n_nodes < drawing.n_nodes


def test_chosen_names_are_shown_made_up_ones_are_not():
    """'add_7' depends on how many tensors were made before: a picture of the same graph
    must not change with it (lessons compare their stored pictures)."""
    x = K.placeholder(shape=(None, 2), name="pixels")
    v = K.variable([1.0, 2.0])
    total = K.sum(x * v, axis=1)
    named = K.tanh(total)
    named.name, named.named = "activation", True
    texts = [t for _, lines in _nodes(viz.draw_graph(named)) for t in lines]
    assert "pixels" in texts and "activation" in texts
    assert "variable" in texts and not any(re.fullmatch(r"[a-z_]+_\d+", t) for t in texts)
    before = viz.draw_graph(K.tanh(K.sum(K.placeholder(shape=(3,)) * 2.0))).svg
    for _ in range(12):
        K.sum(K.placeholder(shape=(3,)) * 2.0)        # more made-up names in between
    assert viz.draw_graph(K.tanh(K.sum(K.placeholder(shape=(3,)) * 2.0))).svg == before


def test_values_after_a_run():
    x = K.placeholder(shape=(None, 2), name="x")
    w = K.variable([1.0, 2.0], name="w")
    loss = K.sum(K.square(x * w))
    drawing = viz.draw_graph(loss, wrt=w, feed={x: np.array([[3.0, 1.0]])})
    texts = [t for _, lines in _nodes(drawing) for t in lines]
    assert "value 13" in texts                       # 3^2 + 2^2
    assert "value [18. 4.]" in texts                 # d/dw = 2 x^2 w
    assert "value [[3. 1.]]" in texts                # the fed placeholder


def test_values_without_placeholders_and_constants_titled_by_value():
    a = K.variable([[1.0, 2.0], [3.0, 4.0]], name="a")
    drawing = viz.draw_graph(K.sum(a, axis=0) + 1.0, values=True)
    texts = [t for _, lines in _nodes(drawing) for t in lines]
    assert "value [5. 7.]" in texts and "1" in texts


def test_layout_boxes_never_overlap_and_inputs_come_first():
    x = K.placeholder(shape=(None, 2), name="x")
    w = K.variable([1.0, 2.0], name="w")
    drawing = viz.draw_graph(K.mean(K.square(x * w - 1.0)), wrt=[w])
    boxes = list(drawing.boxes.values())
    assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    nodes = [viz.Node("a", "a"), viz.Node("b", "b"), viz.Node("c", "c")]
    d = viz.draw(nodes, [viz.Edge("a", "b"), viz.Edge("b", "c"), viz.Edge("a", "c")])
    assert d.boxes["a"][1] < d.boxes["b"][1] < d.boxes["c"][1]


def test_general_api_for_other_diagrams_and_save(tmp_path):
    nodes = [viz.Node("in", "input_layer", ("(None, 784)",), kind="layer"),
             viz.Node("d", "dense", ("(None, 10)",), kind="layer", bold=True)]
    drawing = viz.draw(nodes, [viz.Edge("in", "d", "x & y")], title="a <model>")
    assert "x &amp; y" in drawing.svg and "a &lt;model&gt;" in drawing.svg
    ET.fromstring(drawing.svg)                          # well-formed after escaping
    assert drawing._repr_svg_() == drawing.svg
    drawing.save(tmp_path / "m.svg")
    assert (tmp_path / "m.svg").read_text() == drawing.svg
    again = viz.draw(nodes, [viz.Edge("in", "d", "x & y")], title="a <model>")
    assert again.svg == drawing.svg                     # deterministic (nbval compares it)


def test_bad_graphs_are_refused():
    with pytest.raises(ValueError, match="unknown node"):
        viz.draw([viz.Node("a", "a")], [viz.Edge("a", "b")])
    with pytest.raises(ValueError, match="cycle"):
        viz.draw([viz.Node("a", "a"), viz.Node("b", "b")],
                 [viz.Edge("a", "b"), viz.Edge("b", "a")])
    with pytest.raises(ValueError, match="one output"):
        v = K.variable(1.0)
        viz.draw_graph([v * 2.0, v * 3.0], wrt=v)


def test_lesson_style_sets_one_dpi():
    import matplotlib
    viz.lesson_style()
    assert matplotlib.rcParams["figure.dpi"] == viz.LESSON_DPI
