"""``keras.utils.plot_model``: a picture of a model's layers and how they connect.

One box per layer (its class, and with the options its name, shapes, dtypes, activation
and whether it trains), one arrow per tensor passed from a layer to the next, laid out
by ``minikeras.viz.draw`` (SVG made here: no Graphviz, no pydot). The ``Drawing`` it
returns shows itself in a notebook; ``to_file`` saves it as ``.svg``, or as ``.png``
(``.jpg``, ``.pdf``) drawn with matplotlib at ``dpi``.

>>> from minikeras.layers import Input, Dense, concatenate
>>> a, b = Input((4,), name="a"), Input((3,), name="b")
>>> out = Dense(1, name="out")(concatenate([Dense(8)(a), b]))
>>> from minikeras.models import Model
>>> picture = plot_model(Model([a, b], out), to_file=None, show_shapes=True)
>>> picture
<Drawing: 5 nodes, 4 edges>
>>> "Output shape: (None, 1)" in picture.svg
True
"""
from __future__ import annotations

import os

from minikeras.tensor import format_shape
from minikeras.viz import Drawing, Edge, Node, draw


def _shape_text(shapes) -> str:
    if isinstance(shapes, list):
        return "[" + ", ".join(format_shape(s) for s in shapes) + "]"
    return format_shape(shapes)


def _layer_node(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations,
                show_trainable, is_output) -> Node:
    kind = type(layer).__name__
    title = f"{layer.name} ({kind})" if show_layer_names else kind
    lines = []
    node = layer._inbound_nodes[0] if layer._inbound_nodes else None
    if show_shapes and node is not None:
        if kind != "InputLayer":
            lines.append("Input shape: " + _shape_text(
                [t.shape for t in node.input_tensors] if len(node.input_tensors) > 1
                else node.input_tensors[0].shape))
        outs = node.output_tensors
        lines.append("Output shape: " + _shape_text(
            [t.shape for t in outs] if len(outs) > 1 else outs[0].shape))
    if show_dtype and node is not None:
        if kind != "InputLayer":
            lines.append(f"Input dtype: {node.input_tensors[0].dtype}")
        lines.append(f"Output dtype: {node.output_tensors[0].dtype}")
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        lines.append(f"Activation: {getattr(activation, '__name__', activation)}")
    if show_trainable:
        lines.append(f"Trainable: {layer.trainable}")
    return Node(str(id(layer)), title, tuple(lines),
                kind="input" if kind == "InputLayer" else "layer", bold=is_output)


def model_graph(model, show_shapes=False, show_dtype=False, show_layer_names=False,
                show_layer_activations=False, show_trainable=False):
    """(nodes, edges) for ``viz.draw``: every layer of the model's graph (its inputs too),
    and an arrow from each layer to each layer that reads its output."""
    if not getattr(model, "_is_graph_network", False):
        if not model.built:
            raise ValueError(f'model "{model.name}" is not built yet: build it (give an input '
                             f"shape, or call it on data) before plotting")
        layers, edges = [model], []
    else:
        layers = []
        for node in model._nodes:
            for t in node.input_tensors:
                source = t._keras_history[0]
                if source not in layers:
                    layers.append(source)
            if node.layer not in layers:
                layers.append(node.layer)
        for t in model.inputs:
            if t._keras_history[0] not in layers:
                layers.insert(0, t._keras_history[0])
        edges = [Edge(str(id(t._keras_history[0])), str(id(node.layer)))
                 for node in model._nodes for t in node.input_tensors]
    outputs = {id(t._keras_history[0]) for t in getattr(model, "outputs", [])
               if t._keras_history is not None}
    nodes = [_layer_node(layer, show_shapes, show_dtype, show_layer_names,
                         show_layer_activations, show_trainable, id(layer) in outputs)
             for layer in layers]
    return nodes, list(dict.fromkeys(edges))


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs) -> Drawing:
    """Draw the model's layer graph; save it to ``to_file`` (None: don't) and return the
    ``Drawing`` (a notebook shows it). Keras 3's arguments and defaults; ``rankdir``
    other than 'TB' and ``expand_nested=True`` are not supported (``splines`` and the other
    Graphviz settings are ignored: there is no Graphviz)."""
    if rankdir != "TB":
        raise NotImplementedError(f"plot_model(rankdir={rankdir!r}): only 'TB' (top to "
                                  f"bottom) is drawn")
    if expand_nested:
        raise NotImplementedError("plot_model(expand_nested=True): nested models are drawn "
                                  "as one box")
    nodes, edges = model_graph(model, show_shapes, show_dtype, show_layer_names,
                               show_layer_activations, show_trainable)
    picture = draw(nodes, edges, title=model.name)
    if to_file is not None:
        _save(picture, nodes, edges, os.fspath(to_file), dpi)
    return picture


def _save(picture: Drawing, nodes, edges, path: str, dpi: int) -> None:
    extension = os.path.splitext(path)[1].lower()
    if extension == ".svg":
        picture.save(path)
        return
    if extension not in (".png", ".jpg", ".jpeg", ".pdf"):
        raise ValueError(f"plot_model saves .svg, .png, .jpg or .pdf files, got {path!r}")
    _raster(picture, nodes, edges, path, dpi)


def _raster(picture: Drawing, nodes, edges, path: str, dpi: int) -> None:
    """The same boxes and arrows, drawn with matplotlib (for PNG, JPEG and PDF files)."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    from matplotlib import pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    boxes = picture.boxes
    width = max(x + w for x, _, w, _ in boxes.values()) + 10
    height = max(y + h for _, y, _, h in boxes.values()) + 10
    fig = plt.figure(figsize=(width / 72, height / 72), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    for e in edges:
        xa, ya, wa, ha = boxes[e.source]
        xb, yb, wb, _ = boxes[e.target]
        ax.annotate("", xy=(xb + wb / 2, yb), xytext=(xa + wa / 2, ya + ha),
                    arrowprops={"arrowstyle": "->", "color": "#555"})
    for n in nodes:
        x, y, w, h = boxes[n.id]
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=5",
                                    facecolor="#ede9fe" if n.kind == "layer" else "#dbeafe",
                                    edgecolor="#333", linewidth=2.0 if n.bold else 1.0))
        for k, text in enumerate((n.title, *n.lines)):
            ax.text(x + 8, y + 19 + 15 * k, text, fontsize=9, family="monospace",
                    weight="bold" if k == 0 else "normal")
    tmp = path + ".tmp" + os.path.splitext(path)[1]
    fig.savefig(tmp, dpi=dpi)
    plt.close(fig)
    os.replace(tmp, path)
