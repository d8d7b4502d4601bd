"""Devices: the only code that touches arrays (NumPy reference, Numba CPU, numba.cuda).

Each family module exports a ``KERNELS`` dict (op name -> function); ``minikeras.kernels``
merges them into one table per device. Modules here import nothing from minikeras but
``config``.
"""
