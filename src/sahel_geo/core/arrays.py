"""Array helpers shared by the vectorised kernels and the writers (no loop per element)."""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["ranges", "run_starts", "take_blocks", "whole_counts"]

_G = TypeVar("_G", bound=np.generic)

#: Items per block of :func:`take_blocks` (small temporaries).
_BLOCK = 1 << 18


def run_starts(*keys: NDArray[np.generic]) -> NDArray[np.bool_]:
    """Mark the first element of each run of equal keys in sorted (or grouped) arrays.

    Element ``i`` starts a run when any of the key arrays differs from element ``i - 1``;
    element 0 always does. This is the "first of each run" mask behind grouped sums
    (``np.add.reduceat(values, np.flatnonzero(run_starts(key)))``) and de-duplication.

    Parameters
    ----------
    *keys
        One or more 1-D arrays of the same length, already grouped (e.g. sorted).

    Returns
    -------
    numpy.ndarray
        Boolean mask, True at the first element of each run (all False for empty input).

    Examples
    --------
    >>> run_starts(np.array([1, 1, 2, 2, 2, 5])).tolist()
    [True, False, True, False, False, True]
    >>> run_starts(np.array([1, 1, 1]), np.array([0, 1, 1])).tolist()
    [True, True, False]
    """
    if not keys:
        raise ValueError("run_starts needs at least one key array")
    n = len(keys[0])
    first = np.zeros(n, dtype=bool)
    if n:
        first[0] = True
        for key in keys:
            if len(key) != n:
                raise ValueError("run_starts: key arrays differ in length")
            first[1:] |= key[1:] != key[:-1]
    return first


def whole_counts(values: pd.Series) -> pd.Series:
    """Return counts as nullable integers (``Int64``), so that every format writes ``21``.

    Missing counts stay missing (``<NA>``); a value that is not a whole number, or too
    large to be an exact one (rows the reader rejects for it), becomes missing too, never
    a rounded count.

    Examples
    --------
    >>> whole_counts(pd.Series([21.0, np.nan, 1.5])).tolist()
    [21, <NA>, <NA>]
    """
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    # beyond 2**53 a float is no exact count (such rows are rejected as implausible)
    whole = np.isfinite(x) & (x == np.round(x)) & (np.abs(x) < 2.0**53)
    out = pd.array(np.where(whole, x, 0).astype("int64"), dtype="Int64")
    out[~whole] = pd.NA
    return pd.Series(out, index=values.index, name=values.name)


def ranges(lo: NDArray[np.int64], hi: NDArray[np.int64]) -> tuple[NDArray[np.int64], ...]:
    """Expand inclusive integer ranges ``lo..hi`` into (owner index, value) arrays.

    Parameters
    ----------
    lo, hi
        First and last value of each range (inclusive); a range with ``hi < lo`` is empty.

    Returns
    -------
    tuple of numpy.ndarray
        ``owner`` (the index of the range each value comes from) and ``value``, one
        entry per value of every range, ranges in order.

    Examples
    --------
    >>> owner, value = ranges(np.array([2, 7]), np.array([4, 7]))
    >>> owner.tolist(), value.tolist()
    ([0, 0, 0, 1], [2, 3, 4, 7])
    """
    n = np.maximum(hi - lo + 1, 0)
    total = int(n.sum())
    owner = np.repeat(np.arange(len(lo), dtype=np.int64), n)
    start = np.cumsum(n) - n
    value = np.arange(total, dtype=np.int64) - np.repeat(start, n) + np.repeat(lo, n)
    return owner, value


def take_blocks(table: NDArray[_G], index: NDArray[np.integer]) -> NDArray[_G]:
    """Return ``table[index]`` (any shape of ``index``), a block of indices at a time.

    ``np.take`` converts the whole index array to ``intp`` first; by blocks that
    temporary stays small, which matters for narrow index types over millions of rows.

    Examples
    --------
    >>> take_blocks(np.array([10, 20, 30]), np.array([[2, 0], [1, 1]], dtype=np.int8)).tolist()
    [[30, 10], [20, 20]]
    """
    out = np.empty(index.shape, dtype=table.dtype)
    flat_index, flat_out = index.reshape(-1), out.reshape(-1)
    for lo in range(0, flat_index.size, _BLOCK):
        np.take(table, flat_index[lo : lo + _BLOCK], out=flat_out[lo : lo + _BLOCK])
    return out
