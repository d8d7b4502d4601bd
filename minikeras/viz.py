"""Pictures of graphs, drawn as SVG right here (no Graphviz needed), and the lessons' style.

Two levels:

* ``draw(nodes, edges)`` lays out any directed acyclic graph of ``Node``\\ s and ``Edge``\\ s
  and returns a ``Drawing`` (Jupyter shows it; ``.save("g.svg")`` writes it). Anything
  with boxes and arrows can use it (``utils.plot_model`` for layers, for instance).
* ``draw_graph(outputs, wrt=..., feed=...)`` draws minikeras's own graph behind some
  tensors: one box per node with its op, name and shape. With ``wrt`` it also draws the
  gradient graph ``K.gradients`` builds (in orange), and with ``feed`` (or for a graph that
  needs no placeholders, ``values=True``) the value of every node after a run.

>>> import minikeras.backend as K
>>> x = K.placeholder(shape=(None, 2), name="x")
>>> picture = draw_graph(K.sum(K.square(x)), feed={x: [[1.0, 2.0]]})
>>> picture
<Drawing: 3 nodes, 2 edges>
>>> "value 5" in picture.svg
True

The layout is layered: every node sits one row below the lowest of its inputs (a leaf sits
just above its first user), and the order within a row is improved by a few sweeps that
pull each node towards the average position of its neighbours (fewer crossings).
"""
from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

# ---------------------------------------------------------------- the general part

FILL = {"input": "#dbeafe", "variable": "#dcfce7", "constant": "#f3f4f6", "op": "#ffffff",
        "gradient": "#ffedd5", "layer": "#ede9fe"}
CHAR_W, LINE_H, PAD, GAP_X, GAP_Y = 7.2, 15, 8, 22, 34


@dataclass(frozen=True)
class Node:
    """A box: a bold ``title`` and some ``lines`` under it; ``kind`` picks its colour
    (input, variable, constant, op, gradient, layer); ``bold`` outlines it (an output).

    >>> Node("n1", "tanh", ("(None, 3) float32",)).kind
    'op'
    """

    id: str
    title: str
    lines: tuple[str, ...] = ()
    kind: str = "op"
    bold: bool = False


@dataclass(frozen=True)
class Edge:
    """An arrow from the node ``source`` to the node ``target`` (ids), with an optional
    small ``label``.

    >>> Edge("a", "b").label
    ''
    """

    source: str
    target: str
    label: str = ""


@dataclass
class Drawing:
    """An SVG picture; Jupyter displays it (``_repr_svg_``).

    >>> Drawing("<svg/>", 0, 0).svg
    '<svg/>'
    """

    svg: str
    n_nodes: int
    n_edges: int
    boxes: dict = field(default_factory=dict, repr=False)  # node id -> (x, y, w, h)

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path) -> None:
        """Write the SVG file (atomically: a temporary file, then a rename)."""
        import os
        tmp = f"{os.fspath(path)}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(self.svg)
        os.replace(tmp, path)

    def __repr__(self) -> str:
        return f"<Drawing: {self.n_nodes} nodes, {self.n_edges} edges>"


def _layers(ids: list[str], edges: Sequence[Edge]) -> dict[str, int]:
    """Row of each node: one below the lowest of its inputs; a leaf just above its first user."""
    parents = {i: [] for i in ids}
    children = {i: [] for i in ids}
    for e in edges:
        parents[e.target].append(e.source)
        children[e.source].append(e.target)
    layer, remaining = {}, list(ids)
    while remaining:
        ready = [i for i in remaining if all(p in layer for p in parents[i])]
        if not ready:
            raise ValueError("the graph has a cycle; draw() needs a directed acyclic graph")
        for i in ready:
            layer[i] = max((layer[p] + 1 for p in parents[i]), default=0)
        remaining = [i for i in remaining if i not in layer]
    for i in ids:
        if not parents[i] and children[i]:
            layer[i] = min(layer[c] for c in children[i]) - 1
    return layer


def _closest_in_order(wanted, widths, weights) -> list[float]:
    """Centres as close as possible (least squares) to ``wanted``, keeping the order and a
    gap of GAP_X between neighbours: isotonic regression (pool adjacent violators) on the
    centres minus their minimal offsets."""
    offsets = np.concatenate([[0.0], np.cumsum([(a + b) / 2 + GAP_X
                                                for a, b in pairwise(widths)])])
    blocks = []                                  # [weighted mean, weight, count]
    for z, w in zip(np.subtract(wanted, offsets), weights):
        blocks.append([z, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (z2, w2, n2), (z1, w1, n1) = blocks.pop(), blocks.pop()
            blocks.append([(z1 * w1 + z2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    fitted = [z for z, _, n in blocks for _ in range(n)]
    return list(np.add(fitted, offsets))


class _Layout:
    """Rows of boxes; an edge longer than one row passes through a thin dummy box per row
    in between, so that it is routed around the boxes instead of through them."""

    def __init__(self, nodes: list[Node], edges: list[Edge]):
        self.size = {n.id: (max(len(t) for t in (n.title, *n.lines)) * CHAR_W + 2 * PAD,
                            (1 + len(n.lines)) * LINE_H + 2 * PAD - 4) for n in nodes}
        layer = _layers([n.id for n in nodes], edges)
        self.rows = [[] for _ in range(max(layer.values()) + 1)]
        for n in nodes:
            self.rows[layer[n.id]].append(n.id)
        self.up = {n.id: [] for n in nodes}
        self.down = {n.id: [] for n in nodes}
        self.routes = []                      # per edge: the ids it passes through
        for k, e in enumerate(edges):
            route = [e.source]
            for row in range(layer[e.source] + 1, layer[e.target]):
                dummy = f"~{k}~{row}"
                self.size[dummy] = (4.0, 0.0)
                self.rows[row].append(dummy)
                self.up[dummy], self.down[dummy] = [], []
                route.append(dummy)
            route.append(e.target)
            for a, b in pairwise(route):
                self.down[a].append(b)
                self.up[b].append(a)
            self.routes.append(route)
        self._order()
        self._place()

    def _order(self) -> None:
        """Barycentre sweeps: each node moves towards the mean position of its neighbours."""
        for sweep in range(6):
            neighbours = self.up if sweep % 2 == 0 else self.down
            rows = self.rows[1:] if sweep % 2 == 0 else self.rows[-2::-1]
            for row in rows:
                position = {i: k for r in self.rows for k, i in enumerate(r)}
                row.sort(key=lambda i: (sum(position[j] for j in neighbours[i]) /
                                        len(neighbours[i])) if neighbours[i] else position[i])

    def _place(self) -> None:
        """x: pulled towards the neighbours' centres, never overlapping; y: row by row."""
        self.x, self.y = {}, {}
        width = max(sum(self.size[i][0] + GAP_X for i in r) for r in self.rows)
        for row in self.rows:                  # start: each row packed and centred
            x = (width - sum(self.size[i][0] + GAP_X for i in row)) / 2
            for i in row:
                self.x[i] = x + self.size[i][0] / 2
                x += self.size[i][0] + GAP_X
        for sweep in range(8):
            neighbours = self.up if sweep % 2 == 0 else self.down
            rows = self.rows[1:] if sweep % 2 == 0 else self.rows[-2::-1]
            for row in rows:
                # a dummy looks both ways, so that a long edge runs straight
                near = [self.up[i] + self.down[i] if i.startswith("~") else neighbours[i]
                        for i in row]
                wanted = [np.mean([self.x[j] for j in n]) if n else self.x[i]
                          for i, n in zip(row, near)]
                weights = [4.0 if i.startswith("~") else 1.0 for i in row]
                widths = [self.size[i][0] for i in row]
                for i, centre in zip(row, _closest_in_order(wanted, widths, weights)):
                    self.x[i] = centre
        left = min(self.x[i] - self.size[i][0] / 2 for i in self.x)
        for i in self.x:
            self.x[i] += 2 * PAD - left
        self.width = max(self.x[i] + self.size[i][0] / 2 for i in self.x) + 2 * PAD
        top = 2 * PAD
        self.row_box = []
        for row in self.rows:
            height = max((self.size[i][1] for i in row), default=0.0) or LINE_H
            self.row_box.append((top, height))
            for i in row:
                self.y[i] = top
            top += height + GAP_Y
        self.height = top - GAP_Y + 2 * PAD

    def box(self, i: str) -> tuple[float, float, float, float]:
        w, h = self.size[i]
        return self.x[i] - w / 2, self.y[i], w, h

    def path(self, route: list[str]) -> str:
        """An SVG path: down from the source, through each dummy, into the target's top."""
        _, y0, _, h0 = self.box(route[0])
        points = [(self.x[route[0]], y0 + h0)]
        for dummy in route[1:-1]:
            top, height = self.row_box[int(dummy.rsplit("~", 1)[1])]
            points += [(self.x[dummy], top), (self.x[dummy], top + height)]
        points.append((self.x[route[-1]], self.y[route[-1]]))
        d = f"M {points[0][0]:.1f} {points[0][1]:.1f}"
        for (xa, ya), (xb, yb) in pairwise(points):
            bend = (yb - ya) / 2
            d += f" C {xa:.1f} {ya + bend:.1f} {xb:.1f} {yb - bend:.1f} {xb:.1f} {yb:.1f}"
        return d


def draw(nodes: Iterable[Node], edges: Iterable[Edge], title: str | None = None) -> Drawing:
    """Lay out ``nodes`` and ``edges`` (a DAG), inputs at the top, as an SVG ``Drawing``."""
    nodes, edges = list(nodes), list(edges)
    by_id = {n.id: n for n in nodes}
    for e in edges:
        if e.source not in by_id or e.target not in by_id:
            raise ValueError(f"edge {e.source!r} -> {e.target!r} names an unknown node")
    if not nodes:
        return Drawing('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', 0, 0)
    layout = _Layout(nodes, edges)
    offset = LINE_H if title else 0
    width, height = layout.width, layout.height + offset
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
              f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
              'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">'),
             ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
              'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
              '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>'),
             f'<g transform="translate(0 {offset})">']
    if title:
        parts.append(f'<text x="{PAD}" y="{PAD - 2}" font-weight="bold">{_xml(title)}</text>')
    for e, route in zip(edges, layout.routes):
        parts.append(f'<path class="edge" d="{layout.path(route)}" fill="none" stroke="#555" '
                     'marker-end="url(#arrow)"/>')
        if e.label:
            x, y, _, _ = layout.box(e.target)
            parts.append(f'<text x="{layout.x[route[-2]] * 0.5 + layout.x[e.target] * 0.5 + 3:.1f}"'
                         f' y="{y - 6:.1f}" font-size="10" fill="#555">{_xml(e.label)}</text>')
    boxes = {}
    for n in nodes:
        x, y, w, h = boxes[n.id] = layout.box(n.id)
        stroke = ' stroke-width="2.5"' if n.bold else ""
        parts.append(f'<g class="node {_xml(n.kind)}"><rect x="{x:.1f}" y="{y:.1f}" '
                     f'width="{w:.1f}" height="{h:.1f}" rx="5" fill="{FILL.get(n.kind, "#fff")}" '
                     f'stroke="#333"{stroke}/>')
        for k, text in enumerate((n.title, *n.lines)):
            weight = ' font-weight="bold"' if k == 0 else ""
            parts.append(f'<text x="{x + PAD:.1f}" y="{y + PAD + 11 + k * LINE_H:.1f}"'
                         f'{weight}>{_xml(text)}</text>')
        parts.append("</g>")
    parts.append("</g></svg>")
    return Drawing("\n".join(parts), len(nodes), len(edges), boxes)


# ---------------------------------------------------------------- minikeras graphs


def _value_text(value) -> str:
    a = np.asarray(value)
    if a.ndim == 0:
        return f"value {a.item():.4g}" if a.dtype.kind == "f" else f"value {a.item()}"
    text = np.array2string(a, threshold=6, edgeitems=2, precision=3, separator=" ")
    return "value " + " ".join(text.split())


def _shown_name(t) -> str:
    """A tensor's name if someone chose it, else what made it (its op, or its kind)."""
    return t.name if t.named else getattr(t.op, "name", None) or t.kind


def _label(t, values: Mapping | None, gradient_of: dict) -> Node:
    from minikeras.tensor import format_shape
    shape = f"{format_shape(t.shape)} {t.dtype}"
    # names someone chose are shown; made-up ones ('add_7') say nothing the op does not,
    # and change with every tensor made before
    named = t.named and t.name not in (t.kind, getattr(t.op, "name", None))
    if t.op is not None:
        title, lines = t.op.name, ([t.name] if named else []) + [shape]
    elif t.kind == "constant" and t.value.ndim == 0:
        title, lines = f"{t.value.item():g}", ["constant"]
    else:
        title, lines = (t.name, [t.kind, shape]) if named else (t.kind, [shape])
    if id(t) in gradient_of:
        lines.insert(0, f"= d({gradient_of[id(t)][0]})/d({gradient_of[id(t)][1]})")
    if values is not None and id(t) in values:
        lines.append(_value_text(values[id(t)]))
    kind = {"placeholder": "input", "variable": "variable", "constant": "constant"}.get(
        t.kind, "op")
    return Node(str(id(t)), title, tuple(lines), kind)


def graph_nodes(outputs, wrt: Sequence | None = None, feed: Mapping | None = None,
                values: bool = False) -> tuple[list[Node], list[Edge]]:
    """The nodes and edges ``draw_graph`` draws (see there)."""
    from minikeras import backend as K
    from minikeras.autograd import gradients
    from minikeras.graph import topological_order
    from minikeras.tensor import Placeholder, Tensor

    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    forward = topological_order(outputs)
    gradient_of, shown = {}, list(outputs)
    if wrt is not None:
        wrt = [wrt] if isinstance(wrt, Tensor) else list(wrt)
        if len(outputs) != 1:
            raise ValueError("draw the gradients of one output (the loss) at a time")
        grads = gradients(outputs[0], wrt)
        gradient_of = {id(g): (_shown_name(outputs[0]), _shown_name(v))
                       for g, v in zip(grads, wrt)}
        shown += grads
    order = topological_order(shown)
    computed = None
    if feed is not None or values:
        fed = {id(k): v for k, v in (feed or {}).items()}
        inputs = [n for n in order if isinstance(n, Placeholder) and id(n) in fed]
        targets = [n for n in order if not isinstance(n, Placeholder)]
        run = K.function(inputs, targets)([fed[id(p)] for p in inputs])
        computed = {id(n): v for n, v in zip(targets, run)}
        computed.update({id(p): np.asarray(fed[id(p)]) for p in inputs})
    forward_ids = {id(n) for n in forward}
    nodes = []
    for t in order:
        node = _label(t, computed, gradient_of)
        kind = node.kind if id(t) in forward_ids or node.kind != "op" else "gradient"
        nodes.append(Node(node.id, node.title, node.lines, kind, bold=any(t is o for o in shown)))
    edges = []
    for t in order:
        several = len(t.inputs) > 1
        edges += [Edge(str(id(i)), str(id(t)), str(k) if several else "")
                  for k, i in enumerate(t.inputs)]
    return nodes, edges


def draw_graph(outputs, wrt: Sequence | None = None, feed: Mapping | None = None,
               values: bool = False, title: str | None = None) -> Drawing:
    """Draw the graph behind ``outputs`` (a tensor or a list of them).

    Args:
        outputs: the tensor(s) whose graph to draw; they are outlined in bold.
        wrt: tensor(s) to differentiate the (single) output with respect to; the gradient
            graph is drawn too, its new nodes in orange, each gradient labelled d(out)/d(w).
        feed: {placeholder: array}: run the graph on these and write each node's value.
        values: write the values of a graph that needs no placeholders (like ``K.eval``).
        title: a line of text above the picture.

    Edges into an op with several inputs are numbered 0, 1, ... in argument order
    (``a - b`` is ``subtract`` with ``a`` as 0 and ``b`` as 1).
    """
    nodes, edges = graph_nodes(outputs, wrt, feed, values)
    return draw(nodes, edges, title)


# ---------------------------------------------------------------- the lessons' look

LESSON_DPI = 80


def lesson_style() -> None:
    """One look for every lesson's plots: the same resolution and font sizes.

    >>> lesson_style()
    >>> import matplotlib
    >>> matplotlib.rcParams["figure.dpi"] == LESSON_DPI
    True
    """
    import matplotlib
    matplotlib.rcParams.update({"figure.dpi": LESSON_DPI, "savefig.dpi": LESSON_DPI,
                                "font.size": 10, "axes.titlesize": 10, "legend.fontsize": 9})


def _xml(text: str) -> str:
    """Text made safe inside an SVG element (``&``, ``<`` and ``>`` escaped)."""
    return html.escape(text, quote=False)
