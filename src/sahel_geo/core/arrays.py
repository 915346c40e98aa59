"""Array helpers shared by the vectorised kernels and the writers (no loop per element)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["run_starts", "whole_counts"]


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
