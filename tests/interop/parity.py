"""Comparing numbers from the two libraries."""
import numpy as np


def assert_close(got, want, tol=1e-5):
    """Arrays (or lists of them) of the same shapes, within ``tol`` absolute difference."""
    got = [np.asarray(g, np.float64) for g in (got if isinstance(got, list) else [got])]
    want = [np.asarray(w, np.float64) for w in (want if isinstance(want, list) else [want])]
    assert [g.shape for g in got] == [w.shape for w in want]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=0, atol=tol)
