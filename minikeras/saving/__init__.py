"""Keras 3's file formats, as bytes and plain data (and the older formats minikeras reads).

A ``.keras`` file is a zip (``archive.py``) of ``metadata.json``, ``config.json`` (JSON,
read with bounds: ``jsonio.py``) and ``model.weights.h5`` (``weights_h5.py``: groups
``<path>/vars`` of datasets ``0, 1, ...``). ``names.py`` is the table of Keras's class
names, config key sets and weight sub-paths: one entry per layer class;
``optimizer_state.py`` puts an optimizer's variables in Keras's order. The older formats
minikeras reads: Keras 2 and 1 HDF5 weights (``keras2_h5.py``) and minikeras's first npz
format (``legacy_npz.py``).

This package knows nothing of layers and models. Turning a model into these files and
back (which layer's weights go where, the model as Keras's config) is the model's side:
``minikeras.models.keras_files``.

Reading is bounded and never runs code; every failure to read a file is a
``FileFormatError``, a ``ValueError`` that names the file.
"""
from minikeras.saving.errors import FileFormatError  # noqa: F401
