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
