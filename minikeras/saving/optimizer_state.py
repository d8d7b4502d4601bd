"""An optimizer's state as ``optimizer/vars/0, 1, ...`` of a Keras 3 file.

Keras 3 saves its list of optimizer variables: ``iterations`` (0), ``learning_rate`` (1),
then the slots in the order it creates them (Adam: ``m0, v0, m1, v1, ...``); minikeras's
optimizers give that order as ``optimizer.variables`` (each says how in
``keras_slot_groups``). One version difference is read both ways: Keras 3.0 put Nadam's
shared product of momentum factors right after the learning rate, Keras 3.15 puts it last.
An optimizer that was never built (compiled, not trained) has only the first two, as in
Keras.

>>> import numpy as np
>>> import minikeras.backend as K
>>> from minikeras.optimizers import Adam
>>> w, b = K.variable(np.zeros((2, 3)), name='w'), K.variable(np.zeros(3), name='b')
>>> opt = Adam(); opt.build([w, b])
>>> [v.name for v in opt.variables][2:]
['w_momentum', 'w_velocity', 'b_momentum', 'b_velocity']
>>> [a.shape for a in state_arrays(opt)]
[(), (), (2, 3), (2, 3), (3,), (3,)]
"""
from __future__ import annotations

import warnings

import numpy as np


def state_arrays(optimizer) -> list[np.ndarray]:
    """The values to write to ``optimizer/vars``."""
    return [v.numpy() for v in optimizer.variables]


def _layouts(optimizer) -> list[list]:
    """The orders a file may hold the variables in: Keras 3.15's, and Keras 3.0's when
    the optimizer has shared state."""
    variables = optimizer.variables
    shared = [getattr(optimizer, name) for name in getattr(optimizer, "keras_shared_state", ())
              if getattr(optimizer, name, None) is not None]
    if not shared or len(variables) <= 2:
        return [variables]
    rest = [v for v in variables[2:] if not any(v is s for s in shared)]
    return [variables, variables[:2] + shared + rest]


def restore(optimizer, trained_variables, arrays: list, path) -> bool:
    """Load saved state into ``optimizer`` (building it for ``trained_variables`` first).

    ``arrays`` need a ``shape`` and convert to arrays only when assigned, so nothing is
    read before the layout matched. A file whose state does not fit is a warning and the
    state is skipped, as Keras does; returns whether the state was restored.
    """
    if len(arrays) > 2 and not optimizer.built:
        optimizer.build(list(trained_variables))
    layouts = _layouts(optimizer)
    for targets in layouts:
        if len(targets) == len(arrays) and \
                all(tuple(a.shape) == v.shape for a, v in zip(arrays, targets)):
            break
    else:
        warnings.warn(f"{path}: skipping the state of optimizer {optimizer.name!r}: it has "
                      f"{len(layouts[0])} variables of shapes "
                      f"{[v.shape for v in layouts[0]]}, the file holds {len(arrays)} of "
                      f"shapes {[tuple(a.shape) for a in arrays]}", stacklevel=3)
        return False
    for variable, array in zip(targets, arrays):
        variable.assign(np.asarray(array).astype(variable.dtype))
    return True
