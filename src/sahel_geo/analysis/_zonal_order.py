"""Order statistics of the gathered cells: min/max, weighted quantiles and majority.

Used by :mod:`sahel_geo.analysis._zonal_cells`; every function works on the cells of all
zones at once (one sort, ``bincount`` or ``searchsorted`` over all of them), never one
zone at a time. The module is private to the package.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from sahel_geo.core.arrays import run_starts

__all__ = ["majority", "minmax", "quantiles", "sorted_by_zone_value"]


def _group_starts(zone: NDArray[np.int64], n: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For values sorted by zone: start index and count of each zone."""
    counts = np.bincount(zone, minlength=n).astype(np.int64)
    starts = np.cumsum(counts) - counts
    return starts, counts


def minmax(
    zone: NDArray[np.int64], vals: NDArray[np.float64], n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the smallest and largest value of each zone (NaN for a zone without values).

    Parameters
    ----------
    zone
        Zone of each value (any order).
    vals
        The values.
    n
        Number of zones.

    Returns
    -------
    tuple of numpy.ndarray
        Minimum and maximum per zone.
    """
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    np.minimum.at(lo, zone, vals)
    np.maximum.at(hi, zone, vals)
    lo[np.isinf(lo)] = np.nan
    hi[np.isinf(hi)] = np.nan
    return lo, hi


def sorted_by_zone_value(
    zone: NDArray[np.int64], vals: NDArray[np.float64], wts: NDArray[np.float64], merge: bool
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Return zones, values and weights sorted by (zone, value).

    Parameters
    ----------
    zone, vals, wts
        Zone, value and weight of each cell.
    merge
        Merge equal values of a zone into one entry, their weights summed.

    Returns
    -------
    tuple of numpy.ndarray
        The sorted (and, with ``merge``, merged) zones, values and weights.
    """
    order = np.lexsort((vals, zone))
    z, v, w = zone[order], vals[order], wts[order]
    if merge and len(z):
        idx = np.flatnonzero(run_starts(z, v))
        w = np.add.reduceat(w, idx)
        z, v = z[idx], v[idx]
    return z, v, w


def quantiles(
    z: NDArray[np.int64],
    v: NDArray[np.float64],
    w: NDArray[np.float64],
    n: int,
    qs: Sequence[float],
) -> list[NDArray[np.float64]]:
    """Return weighted quantiles as exactextract computes them (unit weights: numpy's 'linear').

    Parameters
    ----------
    z, v, w
        Zones, values and weights sorted by (zone, value) (:func:`sorted_by_zone_value`).
    n
        Number of zones.
    qs
        The quantiles, each in [0, 1].

    Returns
    -------
    list of numpy.ndarray
        One array per quantile, NaN for zones without values.
    """
    starts, counts = _group_starts(z, n)
    m = len(z)
    out = [np.full(n, np.nan) for _ in qs]
    if m == 0:
        return out
    i = np.arange(m) - np.repeat(starts, counts)
    csum = np.cumsum(w)
    first = np.minimum(starts, m - 1)  # (zones without values, last: start m, repeated 0x)
    zone_base = np.repeat(csum[first] - w[first], counts)
    cum = csum - zone_base
    cum_prev = cum - w
    nz = np.repeat(counts, counts).astype(np.float64)
    s = i * w + (nz - 1) * cum_prev
    total = np.repeat(cum[starts + counts - 1] if m else cum, counts)
    sn_all = total * (nz - 1)
    has = counts > 0
    zs = np.flatnonzero(has)
    sn = (cum[starts[zs] + counts[zs] - 1]) * (counts[zs] - 1)
    # Normalised keys, searchable across zones at once.
    with np.errstate(invalid="ignore", divide="ignore"):
        snorm = np.where(sn_all > 0, s / sn_all, 0.0)
    key = z.astype(np.float64) * 4.0 + snorm
    for out_q, q in zip(out, qs, strict=True):
        target = zs.astype(np.float64) * 4.0 + q
        right = np.searchsorted(key, target, side="right")
        st, en = starts[zs], starts[zs] + counts[zs]
        single = counts[zs] == 1
        at_start = right <= st
        at_end = right >= en
        r = np.clip(right, st, en - 1)
        left = np.clip(right - 1, st, en - 1)
        tq = q * sn
        with np.errstate(invalid="ignore", divide="ignore"):
            denom = s[r] - s[left]
            interp = v[left] + (tq - s[left]) * (v[r] - v[left]) / denom
        val = np.where(at_start, v[st], np.where(at_end, v[en - 1], interp))
        val = np.where(single, v[st], val)
        out_q[zs] = val
    return out


def majority(
    z: NDArray[np.int64], v: NDArray[np.float64], w: NDArray[np.float64], n: int, ties_high: bool
) -> NDArray[np.float64]:
    """Return the value with the largest total weight in each zone.

    Parameters
    ----------
    z, v, w
        Zones, values and weights, equal values of a zone merged
        (:func:`sorted_by_zone_value` with ``merge=True``).
    n
        Number of zones.
    ties_high
        Ties go to the largest value (exactextract), else to the smallest (rasterstats).

    Returns
    -------
    numpy.ndarray
        The majority value per zone, NaN for zones without values.
    """
    out = np.full(n, np.nan)
    if len(z) == 0:
        return out
    tie = v if ties_high else -v
    order = np.lexsort((tie, w, z))
    zz = z[order]
    last = np.ones(len(zz), dtype=bool)
    last[:-1] = zz[1:] != zz[:-1]
    out[zz[last]] = v[order][last]
    return out
