"""`np.percentile` and `np.median` of all of an array's values, the same numbers without numpy's
per-call overhead.

The reader takes a percentile or a median of a few hundred pixels dozens of times per item;
numpy's general versions (any axis, any method, NaN checks) spend about 130 us and 15 us a call
on that, several per cent of a page's read in all. These give the same value and type, bit for
bit, as numpy 2's default (linear) method for float and integer arrays without NaN
(`tests/test_stats.py` checks them against numpy); along one axis (a line's profile in chunks)
they sort rather than partition (`_select`).
"""

from __future__ import annotations

import math

import numpy as np


def percentile(values: np.ndarray | list[float], q: float, axis: int | None = None
               ) -> np.floating | np.ndarray:
    """`np.percentile(values, q, axis=axis)` (q in 0-100, linear between the two nearest
    values): of all values, or along one axis."""
    a = np.ravel(values) if axis is None else np.asarray(values)
    ax = -1 if axis is None else axis
    n = a.shape[ax]
    if n == 0:  # numpy's own answer (an error, or NaN along an axis)
        return np.percentile(values, q, axis=axis)
    at = (n - 1) * (q / 100)  # as numpy: the index in the sorted values, and the weight past it
    lo = math.floor(at)
    t = at - lo
    hi = lo + 1
    if at >= n - 1:
        lo = hi = n - 1
    part = _select(a, (lo, hi) if hi != lo else lo, axis)
    below, above = np.take(part, lo, axis=ax), np.take(part, hi, axis=ax)
    step = above - below
    # numpy's interpolation, from whichever end is nearer (the last bit depends on it)
    return above - step * (1 - t) if t >= 0.5 else below + step * t


def median(values: np.ndarray | list[float], axis: int | None = None
           ) -> np.floating | np.ndarray:
    """`np.median(values, axis=axis)`: of all values, or along one axis."""
    a = np.ravel(values) if axis is None else np.asarray(values)
    ax = -1 if axis is None else axis
    n = a.shape[ax]
    half = n // 2
    exact = a.dtype.kind in "fc"
    if n == 0:  # numpy's own answer: NaN, and its warning
        return np.median(values, axis=axis)
    if n % 2:
        mid = np.take(_select(a, half, axis), half, axis=ax)
        return mid if exact else mid.astype(np.float64)[()]
    part = _select(a, (half - 1, half), axis)
    below, above = np.take(part, half - 1, axis=ax), np.take(part, half, axis=ax)
    if not exact:
        below, above = below.astype(np.float64)[()], above.astype(np.float64)[()]
    return (below + above) / 2


def _select(a: np.ndarray, kth: int | tuple[int, int], axis: int | None) -> np.ndarray:
    """`a` with the `kth` smallest values (along `axis`, or of all when None) in their sorted
    places. Along an axis a whole sort is the faster (numpy's vectorised sort; its partition of
    many short rows, for two places at once, took ten times as long: a line's profile in
    chunks, 0.6 ms an item); the values in those places are the same either way."""
    if axis is None:
        return np.partition(a, kth)
    return np.sort(a, axis=axis)
