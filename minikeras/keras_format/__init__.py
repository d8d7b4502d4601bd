"""Keras 3's file formats, written and read by minikeras (and the older ones it reads).

A ``.keras`` file is a zip (``archive.py``) of ``metadata.json``, ``config.json`` (the
model as Keras 3 describes it: ``config_out.py`` writes it, ``config_in.py`` rebuilds a
model from it) and ``model.weights.h5`` (``weights_h5.py``: each layer's variables at
``layers/<snake_case class name>[_n]/vars/<i>``, the optimizer's at ``optimizer/vars``,
in the order of ``structure.py`` and ``optimizer_state.py``). ``names.py`` is the table of
Keras's class names and key sets: one entry per layer class. The older formats minikeras
reads: Keras 2 HDF5 weights (``keras2_h5.py``) and minikeras's first npz format
(``legacy_npz.py``). ``files.py`` puts the parts together; ``minikeras.saving`` and the
models' ``save``/``load_weights`` call it.

Reading is bounded (``archive.py``, ``jsonio.py``, ``weights_h5.py``, and
``minikeras.layers.budget`` while the model is built) and never runs code from a file
unless ``safe_mode=False`` is given for a ``Lambda``. Every failure to read a file is a
``FileFormatError``, a ``ValueError`` that names the file.
"""
from minikeras.keras_format.errors import FileFormatError  # noqa: F401
from minikeras.keras_format.files import (  # noqa: F401
    load_model,
    load_weights,
    save_model,
    save_weights,
)
