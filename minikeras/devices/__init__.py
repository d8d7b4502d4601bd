"""Devices: the only code that touches arrays (NumPy reference, Numba CPU, numba.cuda).

Each family module exports a ``KERNELS`` dict (op name -> function); ``minikeras.kernels``
merges them into one table per device: the core ops (``reference.py``, ``cpu.py``,
``cuda.py``), convolution and pooling (``reference_conv.py``, ``cpu_conv.py``,
``cuda_conv.py``), the recurrent cells (``*_rnn.py``). Modules here import nothing from
minikeras but ``config``.
"""
