"""Kernels: which function runs op X on device D, and what a kernel promises.

Every op's forward is the *kernel* with the op's name. The kernels live in
``minikeras/devices/``, the only code that touches arrays: ``reference.py`` (NumPy, the
definition of correct), ``cpu.py`` (Numba), ``cuda.py`` (numba.cuda), and the per-element
rules both compiled versions share, ``scalar.py``.

``lookup`` picks the version for the current device once, when a function is compiled,
so running a graph pays no dispatch cost per node.

>>> import numpy as np
>>> tanh = lookup('tanh')
>>> tanh(np.zeros(3, dtype='float32'))
array([0., 0., 0.], dtype=float32)

Devices and families
--------------------
Kernels come in *families* (the core ops; convolutions; recurrent cells...), and each
family has up to three modules in ``minikeras.devices``, each exporting a ``KERNELS`` dict
(op name -> kernel). ``FAMILIES`` lists them, one line per family. A device's table merges
them in order:

* 'cpu': the NumPy reference first, then the Numba versions, which override it where
  they exist. ``MINIKERAS_KERNELS=numpy`` keeps the reference alone (handy to compare);
* 'cuda': the CUDA versions only (they work on GPU arrays; the reference cannot), so an
  op without one is an error there. They are imported, and ``numba.cuda`` with them,
  only when a graph is compiled for the GPU.

The kernel contract
-------------------
A kernel is called as ``kernel(*input_arrays, **attrs)`` and returns the op's value. What
else it does, it declares as attributes of the function, and the executor asks:

* ``accepts_out = True``: it takes ``out=buffer`` and writes its result there when the
  buffer has the result's shape and dtype (the executor offers reused buffers). It may
  still return a new array.
* ``returns_view = True``: its result may be a view of its first input, or that very
  array (reshape, transpose, identity...): the input's memory must not be reused while
  the result is alive.
* ``fuses = (op, pattern)``, on reference kernels: the kernel computes ``op`` applied to
  a pattern of nodes that ``fusion.py`` knows (``'bias_add'``, ``'scaled_gradient'``), in
  one pass. What a fused kernel means is the same on every device, so only the
  reference declares it; a device offers the fusion if its table has the kernel.
* in-place steps (``sgd_momentum_step``...) return nothing: they overwrite their first
  arguments, a weight and its optimizer slots.

Adding a kernel from outside
----------------------------
``register(name, reference=..., cpu=..., cuda=...)`` puts kernels for op ``name`` (a new
op, or a faster version of an old one) beside the families' own: the reference joins the
reference table, the CPU and CUDA versions override it on their device, exactly as a
family's would. Graphs compiled afterwards use them. ``registered(...)`` does the same
for a ``with`` block only and then puts the tables back as they were (for checks and
tests, which must not leave a learner's kernel behind).
"""
from __future__ import annotations

import importlib
import os
from collections.abc import Callable

from minikeras import config

# One line per family of kernels: its modules in minikeras.devices for the NumPy
# reference, the Numba CPU and CUDA (None where a family has no such version yet).
FAMILIES = [
    ("reference", "cpu", "cuda"),
    ("reference_conv", "cpu_conv", "cuda_conv"),  # convolution and pooling
    ("reference_rnn", "cpu_rnn", "cuda_rnn"),  # recurrent cells (issue 12)
]

_tables: dict[str, dict[str, Callable]] = {}
_USER_ENV = set(os.environ)
# kernels added by register(), merged after the families': where -> op name -> kernel
_added: dict[str, dict[str, Callable]] = {"reference": {}, "cpu": {}, "cuda": {}}


def _merged(modules) -> dict[str, Callable]:
    table = {}
    for name in modules:
        if name is not None:
            table.update(importlib.import_module(f"minikeras.devices.{name}").KERNELS)
    return table


def _reference_table() -> dict[str, Callable]:
    return {**_merged(reference for reference, _, _ in FAMILIES), **_added["reference"]}


def _cpu_table() -> dict[str, Callable]:
    if os.environ.get("MINIKERAS_KERNELS", "").lower() == "numpy":
        return _reference_table()
    # Numba's OpenMP threads spin while they wait for work, and fight BLAS's threads for
    # the cores between our kernels; 'workqueue' threads sleep instead. (A user's own
    # NUMBA_THREADING_LAYER is respected.)
    os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
    import numba  # imported when a graph first runs, not with minikeras
    if "NUMBA_THREADING_LAYER" not in _USER_ENV:
        numba.config.THREADING_LAYER = "workqueue"
    return {**_merged(reference for reference, _, _ in FAMILIES), **_added["reference"],
            **_merged(cpu for _, cpu, _ in FAMILIES), **_added["cpu"]}


def _cuda_table() -> dict[str, Callable]:
    try:
        cuda = importlib.import_module("minikeras.devices.cuda")
        cuda.require_cuda()
    except ImportError as e:
        raise RuntimeError(
            "the device is 'cuda' but CUDA kernels are not available here "
            f"({e}); use minikeras.set_device('cpu') or MINIKERAS_DEVICE=cpu") from None
    return {**_merged(cuda for _, _, cuda in FAMILIES), **_added["cuda"]}


def table(device: str | None = None) -> dict[str, Callable]:
    """All kernels for a device, by op name."""
    device = device or config.device()
    if device not in _tables:
        _tables[device] = _cuda_table() if device == "cuda" else _cpu_table()
    return _tables[device]


def lookup(name: str, device: str | None = None) -> Callable:
    """The kernel that runs op ``name`` on ``device`` (default: the configured one)."""
    try:
        return table(device)[name]
    except KeyError:
        raise NotImplementedError(f"no kernel for op {name!r} on "
                                  f"{device or config.device()}") from None


def has(name: str, device: str | None = None) -> bool:
    """Is there a kernel for ``name`` on ``device``? (Fused steps may be CPU-only.)"""
    return name in table(device)


def device_module(device: str | None = None):
    """The module that moves arrays to and from ``device`` (None for the CPU, whose
    arrays are NumPy's): ``to_device(array)`` and ``to_host(device_array)``."""
    device = device or config.device()
    if device != "cuda":
        return None
    table(device)  # raises a clear error where CUDA is missing
    return importlib.import_module("minikeras.devices.cuda")


def use_device(device: str) -> None:
    """Run new graphs on ``device`` ('cpu' or 'cuda'); CUDA must really be there."""
    config.set_device(device)
    if device == "cuda":
        try:
            table("cuda")
        except RuntimeError:
            config.set_device("cpu")
            raise


def fusion_enabled() -> bool:
    """Fused kernels are used unless MINIKERAS_FUSE=0 (handy to compare both paths)."""
    return os.environ.get("MINIKERAS_FUSE", "1") != "0"


def reset() -> None:
    """Forget the chosen tables (after changing MINIKERAS_KERNELS or installing CUDA)."""
    _tables.clear()


def register(name: str, *, reference: Callable | None = None, cpu: Callable | None = None,
             cuda: Callable | None = None) -> None:
    """Add kernels for op ``name``: its NumPy reference, a CPU and a CUDA version (any).

    They sit beside the families' kernels and follow the same rules (the CPU version
    overrides the reference on 'cpu'; a fused reference declares ``fuses``). Functions
    compiled from now on use them.

    Args:
        name: the op's name (``Op(name, ...)``), or a fused kernel's.
        reference: the NumPy definition of correct (the 'cpu' device falls back on it).
        cpu: a faster version for the 'cpu' device (Numba, usually).
        cuda: the version for the 'cuda' device (device arrays in, a device array out).

    >>> import numpy as np
    >>> def double(x):
    ...     return 2 * x
    >>> with registered("double", reference=double):
    ...     lookup("double")(np.ones(2))
    array([2., 2.])
    >>> has("double")
    False
    """
    for where, kernel in (("reference", reference), ("cpu", cpu), ("cuda", cuda)):
        if kernel is not None:
            if not callable(kernel):
                raise TypeError(f"register({name!r}): the {where} kernel must be a function, "
                                f"got {type(kernel).__name__}")
            _added[where][name] = kernel
    reset()


class registered:
    """``register(...)`` for a ``with`` block: afterwards the tables are as they were.

    Args:
        name: the op's name.
        **kernels: ``reference=``, ``cpu=``, ``cuda=``, as for ``register``.

    >>> import numpy as np
    >>> with registered("sub", reference=np.subtract):
    ...     lookup("sub")(np.ones(2), np.ones(2))
    array([0., 0.])
    >>> has("sub")
    False
    """

    def __init__(self, name: str, **kernels: Callable | None):
        self.name, self.kernels = name, kernels

    def __enter__(self):
        self.saved = {where: dict(table) for where, table in _added.items()}
        register(self.name, **self.kernels)
        return self

    def __exit__(self, *exc) -> None:
        for where, table in self.saved.items():
            _added[where] = table
        reset()


# ---- the contract, as the executor asks it ----
def accepts_out(kernel: Callable) -> bool:
    """Can this kernel write its result into a given array (``kernel(..., out=buf)``)?"""
    return getattr(kernel, "accepts_out", False)


def returns_view(kernel: Callable) -> bool:
    """May this kernel's result share memory with its first input?"""
    return getattr(kernel, "returns_view", False)


def fusions(device: str | None = None) -> dict[tuple[str, str], str]:
    """``{(op, pattern): fused kernel name}`` for the fused kernels ``device`` has.

    >>> fusions('cpu')[('tanh', 'bias_add')]
    'bias_tanh'
    """
    available = table(device)
    return {kernel.fuses: name for name, kernel in _reference_table().items()
            if hasattr(kernel, "fuses") and name in available}
