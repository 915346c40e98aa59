"""Zonal statistics read from the covered cells of every zone: order, categorical, user.

Used by :func:`sahel_geo.analysis.zonal.zonal_stats`. The cells of all zones are gathered
once (:func:`sahel_geo.analysis._zonal_kernels.cells`) and sorted by zone; every statistic
here is then one sort, ``bincount`` or ``reduceat`` over all of them, except user
statistics, which call the user's function once per zone (never once per cell).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sahel_geo.analysis._zonal_kernels import majority, minmax, quantiles, sorted_by_zone_value
from sahel_geo.core.arrays import run_starts

__all__ = [
    "UserStat",
    "ZoneCells",
    "category_label",
    "fractions",
    "locations",
    "order_stats",
    "user_arity",
    "user_stats",
    "weighted_variance",
]

#: A user statistic: ``f(values, coverage)`` or ``f(values, coverage, weights)`` -> number.
UserStat = Callable[..., object]


@dataclass(frozen=True)
class ZoneCells:
    """The covered cells with data of every zone, sorted by zone (stable).

    Attributes
    ----------
    n
        Number of zones.
    zone
        Zone of each cell, ascending.
    flat
        Row-major index of the cell in the window.
    cover
        The cell's weight: its coverage fraction (``"fraction"``) or 1 (``"center"``,
        ``"all_touched"``), times its true area with ``area_weighted``.
    value
        The cell's value (float64).
    weight
        The ``weights`` raster's value in the cell (NaN where it is nodata), or None.
    """

    n: int
    zone: NDArray[np.int64]
    flat: NDArray[np.int64]
    cover: NDArray[np.float64]
    value: NDArray[np.float64]
    weight: NDArray[np.float64] | None


def order_stats(
    zc: ZoneCells, names: Sequence[str], qs: dict[str, float], *, fraction: bool
) -> dict[str, NDArray[np.float64]]:
    """Return min, max, range, quantiles, majority, minority and variety per zone.

    Parameters
    ----------
    zc
        The zones' cells.
    names
        The statistics wanted (others are ignored).
    qs
        Quantile (0..1) of each quantile statistic's name (``median``, ``percentile_<q>``).
    fraction
        Coverage fractions (exactextract: quantiles interpolate on merged weights, ties of
        majority go to the largest value, of minority to the smallest) rather than whole
        cells (rasterstats: numpy's 'linear' quantiles, majority ties to the smallest).

    Returns
    -------
    dict of str to numpy.ndarray
        One array of ``zc.n`` values per statistic; NaN for zones without cells.
    """
    z, v, cw, n = zc.zone, zc.value, zc.cover, zc.n
    need = set(names)
    out: dict[str, NDArray[np.float64]] = {}
    if need & {"min", "max", "range", "min_center_x", "min_center_y", "max_center_x"} or (
        "max_center_y" in need
    ):
        out["min"], out["max"] = minmax(z, v, n)
        out["range"] = out["max"] - out["min"]
    if qs:
        zz, vv, ww = sorted_by_zone_value(z, v, cw if fraction else np.ones(len(z)), fraction)
        for s, arr in zip(qs, quantiles(zz, vv, ww, n, list(qs.values())), strict=True):
            out[s] = arr
    if need & {"majority", "minority", "variety"}:
        zz, vv, ww = sorted_by_zone_value(z, v, cw, True)
        out["majority"] = majority(zz, vv, ww, n, ties_high=fraction)
        # least weight; ties to the smallest value (exactextract and rasterstats alike)
        out["minority"] = majority(zz, vv, -ww, n, ties_high=False)
        out["variety"] = np.bincount(zz, minlength=n).astype(np.float64)
    return out


def category_label(value: float, *, integer: bool) -> str:
    """Return how a category is written in a column name: integers without a decimal point.

    Parameters
    ----------
    value
        The category (a raster value).
    integer
        Write integral values as integers (``3.0`` -> ``"3"``).

    Returns
    -------
    str
        The label.

    Examples
    --------
    >>> category_label(3.0, integer=True), category_label(0.5, integer=True)
    ('3', '0.5')
    """
    if integer and float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def fractions(zc: ZoneCells, *, weighted: bool) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the categories and each zone's share of them (``frac``/``weighted_frac``).

    The share of a value is the coverage (times the ``weights`` value with ``weighted``) of
    the zone's cells with that value over that of all its cells with data (and, weighted,
    a weight). A zone without such cells gets NaN shares; a value a zone lacks gets 0.

    Parameters
    ----------
    zc
        The zones' cells.
    weighted
        Multiply each cell's coverage by its ``weights`` value (cells whose weight is
        nodata are left out).

    Returns
    -------
    tuple of numpy.ndarray
        The categories, ascending, and an ``(n zones, n categories)`` array of shares.
    """
    z, v, w = zc.zone, zc.value, zc.cover
    if weighted:
        assert zc.weight is not None
        ok = ~np.isnan(zc.weight)
        z, v, w = z[ok], v[ok], w[ok] * zc.weight[ok]
    cats, which = np.unique(v, return_inverse=True)
    k = len(cats)
    total = np.bincount(z * k + which, w, zc.n * k).reshape(zc.n, k)
    denom = total.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(denom != 0, total / denom, np.nan)
    return cats, share


def weighted_variance(zc: ZoneCells) -> NDArray[np.float64]:
    """Return the population variance of each zone's values, weighted by coverage x weight.

    ``sum(c w (x - m)^2) / sum(c w)`` with ``m`` the weighted mean (two passes, as exact as
    exactextract's West algorithm); cells whose weight is nodata are left out.

    Parameters
    ----------
    zc
        The zones' cells, with weights.

    Returns
    -------
    numpy.ndarray
        One variance per zone, NaN where the weights sum to 0.
    """
    assert zc.weight is not None
    ok = ~np.isnan(zc.weight)
    z, v, cw = zc.zone[ok], zc.value[ok], zc.cover[ok] * zc.weight[ok]
    sw = np.bincount(z, cw, zc.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.bincount(z, cw * v, zc.n) / sw
        d = v - m[z]
        var = np.bincount(z, cw * d * d, zc.n) / sw
    return np.where(sw != 0, var, np.nan)


def locations(
    zc: ZoneCells, minmax_: tuple[NDArray[np.float64], NDArray[np.float64]]
) -> dict[str, NDArray[np.int64]]:
    """Return the window cell (flat index) of each zone's min and of its max, or -1.

    As exactextract: the first such cell in row-major order.

    Parameters
    ----------
    zc
        The zones' cells.
    minmax_
        Each zone's min and max value (:func:`order_stats`).

    Returns
    -------
    dict of str to numpy.ndarray
        ``"min"`` and ``"max"``: flat index per zone, -1 for zones without cells.
    """
    out: dict[str, NDArray[np.int64]] = {}
    big = np.iinfo(np.int64).max
    for key, ref in zip(("min", "max"), minmax_, strict=True):
        hit = zc.value == ref[zc.zone]
        first = np.full(zc.n, big, dtype=np.int64)
        np.minimum.at(first, zc.zone[hit], zc.flat[hit])
        first[first == big] = -1
        out[key] = first
    return out


def user_arity(func: UserStat) -> int:
    """Return how many positional arguments a user statistic takes (2 or 3), or raise.

    Parameters
    ----------
    func
        The user's function.

    Returns
    -------
    int
        2 (``values, coverage``) or 3 (``values, coverage, weights``).

    Raises
    ------
    TypeError
        The function takes neither 2 nor 3 positional arguments.
    """
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: values, coverage
        return 2
    pos = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    req = [p for p in pos if p.default is p.empty]
    if len(req) in (2, 3):
        return len(req)
    if len(req) < 2 <= len(pos):
        return 2
    raise TypeError(
        f"User statistic {getattr(func, '__name__', func)!r} must take 2 arguments "
        "(values, coverage) or 3 (values, coverage, weights)."
    )


def user_stats(zc: ZoneCells, funcs: Sequence[UserStat]) -> list[NDArray[np.float64]]:
    """Call each user statistic once per zone on the zone's cells.

    The cells are split by zone at their run starts (one ``numpy.split``); each function
    gets 1-D float64 arrays of the zone's values, coverage (the cell weights) and, when it
    takes three arguments, ``weights`` values (NaN where nodata). Zones without cells get
    NaN without a call.

    Parameters
    ----------
    zc
        The zones' cells.
    funcs
        The user's functions.

    Returns
    -------
    list of numpy.ndarray
        One array of ``zc.n`` results per function.
    """
    cuts = np.flatnonzero(run_starts(zc.zone))
    owners = zc.zone[cuts]
    vals = np.split(zc.value, cuts[1:])
    covs = np.split(zc.cover, cuts[1:])
    wts = np.split(zc.weight, cuts[1:]) if zc.weight is not None else None
    out = []
    for f in funcs:
        res = np.full(zc.n, np.nan)
        three = user_arity(f) == 3
        for k, owner in enumerate(owners.tolist()):  # one call per zone, not per cell
            args = (vals[k], covs[k], wts[k]) if three and wts is not None else (vals[k], covs[k])
            res[owner] = float(f(*args))  # type: ignore[arg-type]
        out.append(res)
    return out
