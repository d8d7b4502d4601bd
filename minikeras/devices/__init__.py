"""Devices: the only code in minikeras that touches arrays.

Each module holds the kernels of one family for one device and exports them as a
``KERNELS`` dict (op name -> function); ``minikeras.kernels`` merges the families of a
device into one table (the NumPy reference first, faster versions over it):

* ``reference_conv.py``: convolution and pooling in plain NumPy, the definition of correct;
* ``cpu_conv.py``: the same ops with Numba loops around BLAS matrix products;
* ``cuda_conv.py``: the same ops on the GPU (numba.cuda).

Modules here import nothing from minikeras but ``config``.
"""
