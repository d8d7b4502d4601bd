"""Who imports whom inside minikeras: import circles, and imports that go up the house.

    python tools/import_graph.py            # check: exit 1 and explain if the house is broken
    python tools/import_graph.py --report   # every module with what it imports
    python tools/import_graph.py --root DIR # check another checkout

The house (README, "Layout") has floors: data flows layers -> ops -> kernels -> devices,
and a module may import only modules on its own floor or below. ``FLOORS`` lists them,
lowest first. Two things are reported as errors:

* an import *circle* (a imports b imports ... imports a), counting imports written inside
  functions too (an import moved into a function hides a circle, it does not remove it);
  the one documented exception is the operator hook: ``tensor.py`` imports ``ops`` at its
  very end so that ``x + y`` on tensors can build an ``add`` node (``ALLOWED``);
* an import of a module on a higher floor than the importer's.

Only the standard library is used: the files are parsed (``ast``), never imported.
"""
from __future__ import annotations

import argparse
import ast
import fnmatch
import sys
from pathlib import Path

PACKAGE = "minikeras"

# Lowest floor first. A module may import its own floor and the floors below. Patterns
# are module names inside minikeras (fnmatch: "ops.*" is every module of ops/).
FLOORS = [
    ("base", ["config", "utils.io"]),
    ("devices", ["devices", "devices.*"]),
    ("kernels", ["kernels"]),
    ("helpers", ["axes", "rng", "utils", "utils.*"]),
    ("tensors and ops", ["tensor", "ops", "ops.*"]),
    ("graphs", ["autograd", "memory", "fusion", "placement", "updates", "graph"]),
    ("backend", ["backend"]),
    ("building blocks", ["activations", "initializers", "regularizers", "constraints",
                         "losses", "losses.*", "metrics", "optimizers", "optimizers.*"]),
    ("file formats", ["saving", "saving.*"]),
    ("layers", ["layers", "layers.*"]),
    ("models", ["callbacks", "callbacks.*", "models", "models.*"]),
    ("around", ["datasets", "datasets.*", "grading", "grading.*", "viz"]),
    ("the package", [""]),
]

# Import edges that are allowed to close a circle: (importer, imported).
ALLOWED = {("tensor", "ops")}


def modules(root: Path) -> dict[str, Path]:
    """{module name inside the package ('' for the package itself): its file}."""
    found = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root / PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> list[tuple[str, int, bool]]:
    """(imported module, line, inside a function?) for each minikeras import of a file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []

    def add(full: str, node, nested):
        if full == PACKAGE or full.startswith(PACKAGE + "."):
            target = full[len(PACKAGE) + 1:]
            while target not in known and "." in target:
                target = target.rpartition(".")[0]
            if target in known and target != name:
                found.append((target, node.lineno, nested))

    def visit(node, nested):
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                 ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    add(alias.name, child, nested)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package.split(".") if package else []
                    up = up[:len(up) - child.level + 1]
                    base = ".".join([PACKAGE, *up, *([base] if base else [])]).rstrip(".")
                for alias in child.names:  # `from minikeras import ops` imports minikeras.ops
                    sub = f"{base}.{alias.name}"
                    add(sub if sub[len(PACKAGE) + 1:] in known else base, child, nested)
            visit(child, inner)

    visit(tree, False)
    return found


def floor(name: str) -> int:
    for i, (_, patterns) in enumerate(FLOORS):
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return i
    raise KeyError(name)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            connect(v)
    return result


def check(root: Path) -> list[str]:
    """Every problem with the house, as a sentence (an empty list: all is well)."""
    found = modules(root)
    problems = []
    graph = {name: set() for name in found}
    for name, path in found.items():
        try:
            mine = floor(name)
        except KeyError:
            problems.append(f"{_show(name)} is on no floor: add it to FLOORS in "
                            f"tools/import_graph.py")
            continue
        for target, line, _ in imports(name, path, set(found)):
            if (name, target) not in ALLOWED:
                graph[name].add(target)
            try:
                theirs = floor(target)
            except KeyError:
                continue
            if theirs > mine and name != "":
                problems.append(f"{_show(name)} (floor '{FLOORS[mine][0]}') imports "
                                f"{_show(target)} (floor '{FLOORS[theirs][0]}', higher), "
                                f"line {line}")
    for component in circles(graph):
        problems.append("import circle: " + " <-> ".join(_show(m) for m in component))
    return problems


def _show(name: str) -> str:
    return f"{PACKAGE}.{name}" if name else PACKAGE


def report(root: Path) -> str:
    found = modules(root)
    lines = []
    for name, path in found.items():
        edges = imports(name, path, set(found))
        top = sorted({_show(t) for t, _, nested in edges if not nested})
        inner = sorted({_show(t) for t, _, nested in edges if nested} - set(top))
        lines.append(f"{_show(name)}: {', '.join(top) or '-'}"
                     + (f"  (inside functions: {', '.join(inner)})" if inner else ""))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args(argv)
    if args.report:
        print(report(args.root))
    problems = check(args.root)
    for p in problems:
        print(p)
    if not problems:
        print(f"the house is clean: no import circle (but the allowed {sorted(ALLOWED)}), "
              f"no import from a higher floor")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
