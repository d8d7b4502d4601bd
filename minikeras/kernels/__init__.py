"""Kernels: the only code in minikeras that touches arrays.

Every op's forward is the kernel with the op's name. There are up to three versions:

* ``reference.py``: plain NumPy, the definition of correct, always complete;
* ``cpu.py``: Numba ``parallel=True`` kernels for the hot elementwise and reduction work
  (compiled on first use, cached on disk); it overrides the reference where it has one;
* ``cuda.py`` (later): GPU kernels, used when the device is 'cuda'.

``lookup`` picks the version for the current device once, when a function is compiled,
so running a graph pays no dispatch cost per node. Set ``MINIKERAS_KERNELS=numpy`` to
run on the reference kernels alone (handy for comparing).

>>> import numpy as np
>>> tanh = lookup('tanh')
>>> tanh(np.zeros(3, dtype='float32'))
array([0., 0., 0.], dtype=float32)
"""
from __future__ import annotations

import os
from collections.abc import Callable

from minikeras import config
from minikeras.devices import reference_conv
from minikeras.kernels.reference import KERNELS as _REFERENCE

REFERENCE = {**_REFERENCE, **reference_conv.KERNELS}

_tables: dict[str, dict[str, Callable]] = {}
_USER_ENV = set(os.environ)


def _cpu_table() -> dict[str, Callable]:
    if os.environ.get("MINIKERAS_KERNELS", "").lower() == "numpy":
        return dict(REFERENCE)
    # Numba's OpenMP threads spin while they wait for work, and fight BLAS's threads for
    # the cores between our kernels; 'workqueue' threads sleep instead. (A user's own
    # NUMBA_THREADING_LAYER is respected.)
    os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
    import numba
    if "NUMBA_THREADING_LAYER" not in _USER_ENV:
        numba.config.THREADING_LAYER = "workqueue"
    from minikeras.devices import cpu_conv  # imports Numba: when a graph first runs
    from minikeras.kernels import cpu, fused
    return {**REFERENCE, **cpu.KERNELS, **fused.KERNELS, **cpu_conv.KERNELS}


def _cuda_table() -> dict[str, Callable]:
    try:
        from minikeras.kernels import cuda
    except ImportError as e:
        raise RuntimeError(
            "the device is 'cuda' but CUDA kernels are not available here "
            f"({e}); use minikeras.set_device('cpu') or MINIKERAS_DEVICE=cpu") from None
    return cuda.kernel_table()


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


def device_module(device: str | None = None):
    """The module that moves arrays to and from ``device`` (None for the CPU)."""
    device = device or config.device()
    if device != "cuda":
        return None
    table(device)  # raises a clear error where CUDA is missing
    from minikeras.kernels import cuda
    return cuda


def use_device(device: str) -> None:
    """Run new graphs on ``device`` ('cpu' or 'cuda'); CUDA must really be there."""
    config.set_device(device)
    if device == "cuda":
        try:
            table("cuda")
        except RuntimeError:
            config.set_device("cpu")
            raise


def has(name: str, device: str | None = None) -> bool:
    """Is there a kernel for ``name`` on ``device``? (Fused steps may be CPU-only.)"""
    return name in table(device)


def fusion_enabled() -> bool:
    """Fused kernels are used unless MINIKERAS_FUSE=0 (handy to compare both paths)."""
    return os.environ.get("MINIKERAS_FUSE", "1") != "0"


def reset() -> None:
    """Forget the chosen tables (after changing MINIKERAS_KERNELS or installing CUDA)."""
    _tables.clear()
