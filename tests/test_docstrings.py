"""Every example in minikeras's docstrings runs and prints what it says (doctest).

The CUDA modules are left out here (their examples need a GPU or the simulator)."""
import doctest
import importlib
import pkgutil

import pytest

import minikeras

MODULES = sorted(m.name for m in pkgutil.walk_packages(minikeras.__path__, "minikeras.")
                 if not m.name.rsplit(".", 1)[-1].startswith("cuda"))  # cuda, cuda_rnn...


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"


def _public_layers():
    from minikeras import layers
    return sorted((name for name, obj in vars(layers).items()
                   if isinstance(obj, type) and issubclass(obj, layers.Layer)
                   and not name.startswith("_")))


@pytest.mark.parametrize("name", _public_layers())
def test_every_public_layer_documents_args_shapes_and_an_example(name):
    """Keras's layout: what each argument means, the input and output shapes, and an
    example the suite runs."""
    from minikeras import layers
    doc = getattr(layers, name).__doc__ or ""
    for block in ("Args:", "Input shape:", "Output shape:", ">>> "):
        assert block in doc, f"{name}'s docstring has no {block!r}"
