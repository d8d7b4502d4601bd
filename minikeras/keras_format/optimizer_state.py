"""An optimizer's state in Keras 3's order: ``optimizer/vars/0, 1, ...`` in the file.

Keras 3 saves ``iterations`` (0), ``learning_rate`` (1), then the slot variables. Its
optimizers create slots one trained variable at a time (Adam: ``m0, v0, m1, v1, ...``)
while minikeras keeps one list per kind of slot, so the table ``OPTIMIZER_SLOTS`` in
``names.py`` says how Keras interleaves each optimizer's lists. An optimizer that was
never built (compiled, not trained) has only the first two, as in Keras.

>>> import numpy as np
>>> import minikeras.backend as K
>>> from minikeras.optimizers import Adam
>>> w, b = K.variable(np.zeros((2, 3)), name='w'), K.variable(np.zeros(3), name='b')
>>> opt = Adam(); opt.build([w, b])
>>> [v.name for v in keras_variables(opt)][2:]
['w_momentum', 'w_velocity', 'b_momentum', 'b_velocity']
>>> [v.shape for v in keras_variables(opt)][2:]
[(2, 3), (2, 3), (3,), (3,)]
"""
from __future__ import annotations

import warnings

import numpy as np

from minikeras.keras_format.names import OPTIMIZER_SCALARS, OPTIMIZER_SLOTS


def _table_name(optimizer) -> str | None:
    """The table entry of the optimizer's class (or of the built-in class it extends)."""
    for cls in type(optimizer).__mro__:
        if cls.__name__ in OPTIMIZER_SLOTS:
            return cls.__name__
    return None


def keras_variables(optimizer, scalars_first: bool = False) -> list:
    """The optimizer's variables in Keras 3's order (``scalars_first``: Keras 3.0's
    place for Nadam's shared scalar, right after the learning rate)."""
    head = [optimizer.iterations, optimizer.learning_rate]
    if not optimizer.built:
        return head
    name = _table_name(optimizer)
    slots = [v for v in optimizer.variables if not any(v is h for h in head)]
    if name is None:  # an optimizer Keras does not have: minikeras's own order
        return head + slots
    ordered = []
    for group in OPTIMIZER_SLOTS[name]:
        lists = [getattr(optimizer, attr, None) or [] for attr in group]
        lists = [slot_list for slot_list in lists if slot_list]
        for i in range(len(lists[0]) if lists else 0):
            ordered += [slot_list[i] for slot_list in lists]
    scalars = [getattr(optimizer, attr) for attr in OPTIMIZER_SCALARS.get(name, ())]
    if {id(v) for v in ordered + scalars} != {id(v) for v in slots}:
        raise ValueError(f"optimizer {optimizer.name!r} ({type(optimizer).__name__}) has "
                         f"variables that the Keras layout table does not place")
    return head + (scalars + ordered if scalars_first else ordered + scalars)


def state_arrays(optimizer) -> list[np.ndarray]:
    """The values to write to ``optimizer/vars``."""
    return [v.numpy() for v in keras_variables(optimizer)]


def restore(optimizer, trained_variables, arrays: list[np.ndarray], path) -> bool:
    """Load saved state into ``optimizer`` (building it for ``trained_variables`` first).

    A count that does not match is a warning and the state is skipped, as Keras does;
    returns whether the state was restored.
    """
    if len(arrays) > 2 and not optimizer.built:
        optimizer.build(list(trained_variables))
    candidates = [keras_variables(optimizer)]
    if _table_name(optimizer) in OPTIMIZER_SCALARS:
        candidates.append(keras_variables(optimizer, scalars_first=True))
    for targets in candidates:
        if len(targets) == len(arrays) and \
                all(tuple(a.shape) == v.shape for a, v in zip(arrays, targets)):
            break
    else:
        warnings.warn(f"{path}: skipping the state of optimizer {optimizer.name!r}: it has "
                      f"{len(candidates[0])} variables of shapes "
                      f"{[v.shape for v in candidates[0]]}, the file holds {len(arrays)} of "
                      f"shapes {[tuple(a.shape) for a in arrays]}", stacklevel=3)
        return False
    for variable, array in zip(targets, arrays):
        variable.assign(np.asarray(array).astype(variable.dtype))
    return True
