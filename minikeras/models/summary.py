"""model.summary(): the table of layers, output shapes and parameter counts (Keras 3 look).

A Dense layer from n inputs to m units has n*m kernel weights and m biases: the seed's
MNIST model has 784*500+500 + 500*500+500 + 500*10+10 = 648,010 parameters.
"""
from __future__ import annotations

import shutil
import textwrap

from minikeras.tensor import format_shape


def _readable(size: float) -> str:
    """Bytes in 1024-based units with two decimals, as Keras 3 writes them."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1 or unit == "TB":
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


def is_sequential_like(model) -> bool:
    """A Sequential, a subclassed model, or a functional model that is a plain chain (each
    step one layer call on one tensor, no layer called twice): Keras 3 then leaves out the
    "Connected to" column."""
    if model._is_sequential or not model._is_graph_network:
        return True
    if len(model.inputs) != 1:
        return False
    seen = set()
    for node in model._nodes:
        if len(node.input_tensors) != 1 or id(node.layer) in seen:
            return False
        seen.add(id(node.layer))
    order = [node.input_tensors[0] for node in model._nodes]
    made = [node.output_tensors for node in model._nodes]
    # a chain: each node reads what the one before it made (the first reads the input)
    return all(t is (model.inputs[0] if i == 0 else None) or
               (i > 0 and any(t is out for out in made[i - 1]))
               for i, t in enumerate(order))


def column_widths(line_length: int, positions) -> list[int]:
    """The columns' widths (padding included) as Keras 3's summary gets them from rich:
    each position's share of the line, plus a space either side, then reduced evenly
    until the table with its borders fits in ``line_length``."""
    widths, current = [], 0
    for pos in positions:
        width = int(pos * line_length) - current
        widths.append(width + 2)
        current += width
    excess = sum(widths) - (line_length - len(widths) - 1)
    if excess > 0:  # rich's ratio_reduce with equal ratios
        remaining, ratios, reduced = excess, len(widths), []
        for w in widths:
            cut = min(w, round(remaining / ratios))
            reduced.append(w - cut)
            remaining, ratios = remaining - cut, ratios - 1
        widths = reduced
    return widths


def _wrapped(cell: str, width: int) -> list[str]:
    return textwrap.wrap(cell, width, break_on_hyphens=False) or [""]


def _row(cells, widths, aligns) -> list[str]:
    """One table row; a cell too long for its column wraps onto more lines (as rich)."""
    columns = [_wrapped(cell, w - 2) for cell, w in zip(cells, widths)]
    lines = []
    for k in range(max(len(c) for c in columns)):
        text = []
        for column, width, align in zip(columns, widths, aligns):
            cell = column[k] if k < len(column) else ""
            text.append(" " + (cell.rjust(width - 2) if align == ">" else
                               cell.ljust(width - 2)) + " ")
        lines.append("│" + "│".join(text) + "│")
    return lines


def _memory(variables) -> int:
    return sum(int(v.value.size) * v.value.dtype.itemsize for v in variables)


def format_summary(model, line_length=None, positions=None) -> str:
    """The summary table, laid out as Keras 3 prints it for a terminal as wide as this
    one (80 columns when it cannot tell)."""
    sequential = is_sequential_like(model)
    headers = ["Layer (type)", "Output Shape", "Param #"] + ([] if sequential else
                                                             ["Connected to"])
    aligns = ["<", "<", ">", "<"]
    default = 88 if sequential else 108
    line_length = line_length or min(default, shutil.get_terminal_size().columns - 4)
    positions = positions or ([0.45, 0.80, 1.0] if sequential else [0.3, 0.56, 0.74, 1.0])
    widths = column_widths(line_length, positions)
    rows = [[f"{layer.name} ({type(layer).__name__})", _shape_of(layer),
             f"{_params(layer):,}" if layer.built else "0 (unbuilt)"] +
            ([] if sequential else [_connections(model, layer)])
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
        out += _row(r, widths, aligns)
    out.append(line("└", "┴", "┘", "─"))
    trainable_vars = model.trainable_weights
    frozen_vars = model.non_trainable_weights
    trainable = sum(int(w.value.size) for w in trainable_vars)
    frozen = sum(int(w.value.size) for w in frozen_vars)
    optimizer = getattr(model, "optimizer", None)
    slots = optimizer.variables if getattr(model, "compiled", False) and optimizer is not None \
        and optimizer.built else None
    n_slots = sum(int(v.value.size) for v in slots) if slots is not None else 0
    total = trainable + frozen + n_slots
    total_bytes = _memory(trainable_vars) + _memory(frozen_vars) + \
        (_memory(slots) if slots else 0)
    out += [f" Total params: {total:,} ({_readable(total_bytes)})",
            f" Trainable params: {trainable:,} ({_readable(_memory(trainable_vars))})",
            f" Non-trainable params: {frozen:,} ({_readable(_memory(frozen_vars))})"]
    if slots is not None:
        out.append(f" Optimizer params: {n_slots:,} ({_readable(_memory(slots))})")
    return "\n".join(out)
