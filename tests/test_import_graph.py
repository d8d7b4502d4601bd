"""The house stays clean: no import circle, no import from a higher floor
(tools/import_graph.py, which parses the files and imports nothing)."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("import_graph", ROOT / "tools" / "import_graph.py")
import_graph = importlib.util.module_from_spec(spec)
spec.loader.exec_module(import_graph)

def test_no_import_circle_and_no_upward_import():
    assert import_graph.check(ROOT) == []


def test_the_checker_finds_a_circle_and_an_upward_import(tmp_path):
    package = tmp_path / "minikeras"
    (package / "ops").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "config.py").write_text("from minikeras import kernels\n")
    (package / "kernels.py").write_text("def f():\n    from minikeras.config import x\n")
    (package / "ops" / "__init__.py").write_text("")
    (package / "tensor.py").write_text("from minikeras import ops\n")  # the allowed hook
    (package / "ops" / "core.py").write_text("from minikeras.tensor import Tensor\n")
    problems = import_graph.check(tmp_path)
    assert any("minikeras.config (floor 'base') imports minikeras.kernels" in p
               for p in problems)
    assert "import circle: minikeras.config <-> minikeras.kernels" in problems
    assert not any("tensor" in p for p in problems)


def test_only_the_compiler_asks_for_kernels():
    """Optimizers declare fused steps and training builds graphs; which kernel runs is
    decided when a graph is compiled (graph.py, updates.py, fusion.py), nowhere else."""
    found = import_graph.modules(ROOT)
    askers = {name for name, path in found.items()
              if any(t == "kernels" for t, _, _ in import_graph.imports(name, path, set(found)))}
    assert askers == {"", "fusion", "graph", "updates"}, askers
