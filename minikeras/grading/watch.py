"""Watching which parts of minikeras a learner's code used.

Some exercises ask for ``K`` (build a graph, then run it). The right numbers alone cannot
tell ``K.sum`` from ``np.sum``, so while a check calls the learner's code, a ``Watch``
notes every graph node made by an op (by op name), whether ``K.gradients`` ran, and how
many times a compiled graph ran. It only observes (through ``sys.setprofile``); it
changes nothing, and it sees the calls however the learner imported the functions.

>>> import numpy as np
>>> import minikeras.backend as K
>>> with Watch() as watch:
...     _ = K.eval(K.sum(K.variable(np.ones(3))))
>>> watch.ops["sum"], watch.gradients, watch.runs > 0
(1, 0, True)
"""
from __future__ import annotations

import sys
from collections import Counter


class Watch:
    """A context manager: ``ops`` (Counter of op names), ``gradients``, ``runs``."""

    def __init__(self):
        self.ops: Counter = Counter()
        self.gradients = 0
        self.runs = 0
        self._previous = None

    def _codes(self) -> dict:
        from minikeras import autograd, graph
        from minikeras.ops.core import Op
        return {Op.__call__.__code__: "op", autograd.gradients.__code__: "gradients",
                graph.Function.__call__.__code__: "run"}

    def __enter__(self) -> Watch:  # noqa: PYI034  (3.10 has no typing.Self)
        codes = self._codes()
        ops = self.ops
        inside_gradients = []

        def profile(frame, event, arg):
            if event == "call":
                kind = codes.get(frame.f_code)
                if kind == "op" and not inside_gradients:
                    ops[getattr(frame.f_locals.get("self"), "name", "?")] += 1
                elif kind == "gradients":
                    self.gradients += 1
                    inside_gradients.append(frame)
                elif kind == "run":
                    self.runs += 1
            elif event == "return" and inside_gradients and frame is inside_gradients[-1]:
                inside_gradients.pop()

        self._previous = sys.getprofile()
        sys.setprofile(profile)
        return self

    def __exit__(self, *exc) -> None:
        sys.setprofile(self._previous)

    def merge(self, other: Watch) -> None:
        self.ops.update(other.ops)
        self.gradients += other.gradients
        self.runs += other.runs
