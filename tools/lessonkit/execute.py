"""Running a notebook top to bottom in a fresh kernel (headless).

The kernel talks to us over local IPC sockets in a private temporary folder, not TCP:
nothing is exposed on the network, and the kernel has no reason to warn about it.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat


def execute(nb: nbformat.NotebookNode, cwd: Path, allow_errors: bool,
            timeout: int = 600) -> nbformat.NotebookNode:
    """Execute ``nb`` in place (outputs filled in) with ``cwd`` as the working folder.

    When errors are allowed (grading), a cell that runs longer than ``timeout`` seconds is
    interrupted and the notebook goes on, so an endless loop costs one exercise, not all.
    """
    from nbclient import NotebookClient
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="minikeras-kernel-") as sockets:
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(sockets, "kernel")
        client = NotebookClient(nb, kernel_name="python3", config=config, timeout=timeout,
                                allow_errors=allow_errors, interrupt_on_timeout=allow_errors,
                                shutdown_kernel="immediate", record_timing=False,
                                resources={"metadata": {"path": str(cwd)}})
        client.execute()
    return nb
