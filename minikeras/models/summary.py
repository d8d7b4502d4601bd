"""model.summary(): the table of layers, output shapes and parameter counts (Keras 3 look).

A Dense layer from n inputs to m units has n*m kernel weights and m biases: the seed's
MNIST model has 784*500+500 + 500*500+500 + 500*10+10 = 648,010 parameters.
"""
from __future__ import annotations

from minikeras.tensor import format_shape


def _bytes(n_params: int, itemsize: int = 4) -> str:
    size = float(n_params * itemsize)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def _shape_of(layer) -> str:
    try:
        shapes = layer.output_shape
    except AttributeError:
        return "?"
    if isinstance(shapes, list):
        return ", ".join(format_shape(s) for s in shapes)
    return format_shape(shapes)


def _params(layer) -> int:
    return layer.count_params() if layer.built else 0


def _connections(model, layer) -> str:
    parts = []
    for node in layer._inbound_nodes:
        if node not in getattr(model, "_nodes", []):
            continue
        for t in node.input_tensors:
            src, node_index, tensor_index = t._keras_history
            parts.append(f"{src.name}[{node_index}][{tensor_index}]")
    return ", ".join(parts) if parts else "-"


def _row(cells, widths, aligns) -> str:
    text = []
    for cell, width, align in zip(cells, widths, aligns):
        cell = cell if len(cell) <= width - 2 else cell[: width - 3] + "…"
        text.append(" " + (cell.rjust(width - 2) if align == ">" else cell.ljust(width - 2)) + " ")
    return "│" + "│".join(text) + "│"


def format_summary(model, line_length=None) -> str:
    sequential = model._is_sequential or not model._is_graph_network
    headers = ["Layer (type)", "Output Shape", "Param #"] + ([] if sequential else
                                                             ["Connected to"])
    aligns = ["<", "<", ">", "<"]
    widths = [33, 24, 15] if sequential else [31, 23, 11, 27]
    rows = [[f"{layer.name} ({type(layer).__name__})", _shape_of(layer),
             f"{_params(layer):,}"] + ([] if sequential else [_connections(model, layer)])
            for layer in model.layers]

    def line(left, mid, right, fill):
        return left + mid.join(fill * w for w in widths) + right

    out = [f'Model: "{model.name}"', line("┏", "┳", "┓", "━"),
           "┃" + "┃".join(" " + (h.rjust(w - 2) if a == ">" else h.ljust(w - 2)) + " "
                          for h, w, a in zip(headers, widths, aligns)) + "┃",
           line("┡", "╇", "┩", "━")]
    for i, r in enumerate(rows):
        if i:
            out.append(line("├", "┼", "┤", "─"))
        out.append(_row(r, widths, aligns))
    out.append(line("└", "┴", "┘", "─"))
    trainable = sum(int(w.value.size) for w in model.trainable_weights)
    total = sum(int(w.value.size) for w in model.weights)
    out += [f" Total params: {total:,} ({_bytes(total)})",
            f" Trainable params: {trainable:,} ({_bytes(trainable)})",
            f" Non-trainable params: {total - trainable:,} ({_bytes(total - trainable)})"]
    return "\n".join(out)
