"""Zonal statistics read from the covered cells of every zone, and the per-cell table.

Used by :func:`sahel_geo.analysis.zonal.zonal_stats` and
:func:`~sahel_geo.analysis.zonal.zonal_cells`. The cells of all zones are gathered once
(:func:`sahel_geo.analysis._zonal_kernels.cells`, then :func:`zone_cells` keeps those with
data) and sorted by zone; every statistic here (order, categorical, locations) is then one
sort, ``bincount`` or ``reduceat`` over all of them, except user statistics, which call the
user's function once per zone (never once per cell). :func:`cell_table` is the same cells
as one long table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sahel_geo.analysis._zonal_kernels import gather
from sahel_geo.analysis._zonal_order import majority, minmax, quantiles, sorted_by_zone_value
from sahel_geo.analysis._zonal_setup import Part, Setup, whole
from sahel_geo.analysis._zonal_statistics import UserStat, quantile_stats, user_arity
from sahel_geo.core.arrays import run_starts

__all__ = [
    "ZoneCells",
    "category_label",
    "cell_stats",
    "cell_table",
    "fractions",
    "locations",
    "order_stats",
    "user_stats",
    "weighted_variance",
    "zone_cells",
]


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


def zone_cells(
    setup: Part, values: NDArray[np.generic]
) -> tuple[ZoneCells, dict[str, NDArray[np.float64]]]:
    """Gather the covered cells with data; also return ``nan`` and ``coverage_area``.

    Parameters
    ----------
    setup
        The zones of a batch on their window (with their gathered cells).
    values
        The values of one raster (or one step of a stack) on the batch's window, on the
        values' grid (each stands for its ``setup.ks`` cells of a common grid).

    Returns
    -------
    tuple
        The zones' cells with data, and the ``nan`` and ``coverage_area`` statistics
        when asked for (they also need the cells without data).
    """
    assert setup.cells is not None
    c = setup.cells
    n = setup.cov.n_zones
    width = setup.win.shape[1]
    row, col = np.divmod(c.flat, width)
    ky, kx = setup.ks  # values on their own grid, the cells on the common grid
    raw = gather(np.asarray(values), row // ky, col // kx)
    ok = setup.win.valid_mask(raw)
    extra: dict[str, NDArray[np.float64]] = {}
    if "nan" in setup.names:
        isnan = np.isnan(raw) if np.issubdtype(raw.dtype, np.floating) else np.zeros(len(raw))
        extra["nan"] = np.bincount(c.zone, c.weight * isnan, n).astype(np.float64)
    if "coverage_area" in setup.names:
        area = c.weight if setup.area_weighted else c.weight * setup.true_area[row]
        extra["coverage_area"] = np.bincount(c.zone[ok], area[ok], n).astype(np.float64)
    wt = None
    if setup.wts is not None and setup.wts_valid is not None:
        wv = gather(setup.wts, row[ok], col[ok]).astype(np.float64)  # (a view: not copied)
        wt = np.where(gather(setup.wts_valid, row[ok], col[ok]), wv, np.nan)
    zc = ZoneCells(
        n=n,
        zone=c.zone[ok],
        flat=c.flat[ok],
        cover=c.weight[ok],
        value=raw[ok].astype(np.float64),
        weight=wt,
    )
    return zc, extra


def _centres(setup: Part, flat: NDArray[np.int64]) -> tuple[NDArray[np.float64], ...]:
    """Return the x and y of the centres of window cells (NaN where ``flat`` is -1)."""
    t = setup.win.transform
    width = setup.win.shape[1]
    row, col = np.divmod(flat, width)
    x = np.where(flat >= 0, t.c + (col + 0.5) * t.a, np.nan)
    y = np.where(flat >= 0, t.f + (row + 0.5) * t.e, np.nan)
    return x, y


def _unique_tuples(zc: ZoneCells, *, integer: bool) -> NDArray[np.object_]:
    """Return each zone's distinct values, ascending, as a tuple (empty for no cells)."""
    out = np.empty(zc.n, dtype=object)
    out[:] = [()] * zc.n
    if len(zc.zone):
        order = np.lexsort((zc.value, zc.zone))
        z, v = zc.zone[order], zc.value[order]
        first = np.flatnonzero(run_starts(z, v))
        z, v = z[first], v[first]
        cast = int if integer else float
        cuts = np.flatnonzero(run_starts(z))
        for zone, part in zip(z[cuts].tolist(), np.split(v, cuts[1:]), strict=True):
            out[zone] = tuple(cast(x) for x in part.tolist())
    return out


def cell_stats(setup: Part, values: NDArray[np.generic]) -> dict[str, object]:
    """Compute the statistics read from the cells: order, categorical, locations, user.

    Parameters
    ----------
    setup
        The zones of a batch on their window (with their gathered cells).
    values
        The values of one raster (or one step of a stack) on the batch's window.

    Returns
    -------
    dict of str to object
        One array per statistic (``frac``/``weighted_frac``: categories and shares).
    """
    need = set(setup.names)
    zc, out = zone_cells(setup, values)
    qs = quantile_stats(setup.names)
    res: dict[str, object] = dict(out)
    res.update(order_stats(zc, setup.names, qs, fraction=setup.mode == "fraction"))
    if need & {"min_center_x", "min_center_y", "max_center_x", "max_center_y"}:
        loc = locations(zc, (res["min"], res["max"]))  # type: ignore[arg-type]
        res["min_center_x"], res["min_center_y"] = _centres(setup, loc["min"])
        res["max_center_x"], res["max_center_y"] = _centres(setup, loc["max"])
    integer = np.issubdtype(np.asarray(values).dtype, np.integer)
    if "unique" in need:
        res["unique"] = _unique_tuples(zc, integer=bool(integer))
    for name in ("frac", "weighted_frac"):
        if name in need:
            res[name] = fractions(zc, weighted=name == "weighted_frac")
    if "weighted_variance" in need or "weighted_std" in need:
        res["weighted_variance"] = weighted_variance(zc)
        res["weighted_std"] = np.sqrt(res["weighted_variance"])  # type: ignore[call-overload]
    if setup.funcs:
        for name, arr in zip(setup.funcs, user_stats(zc, list(setup.funcs.values())), strict=True):
            res[name] = arr
    return res


def cell_table(
    setup: Setup, ids: pd.Index, *, id_column: str, origin: tuple[int, int], width: int
) -> pd.DataFrame:
    """Return every covered cell with data of every zone: the table of ``zonal_cells``.

    Parameters
    ----------
    setup
        What the zones share on the window (:func:`~sahel_geo.analysis._zonal_setup.prepare`).
    ids
        The zone ids, in the zones' order.
    id_column
        Name of the zone id column.
    origin
        Row and column of the window's first cell in the whole raster.
    width
        Number of columns of the whole raster (``cell_id`` is ``row * width + col``).

    Returns
    -------
    pandas.DataFrame
        Columns ``id_column``, ``cell_id``, ``center_x``, ``center_y``, ``value``,
        ``weight`` and ``coverage``; rows by zone, then ``cell_id``.
    """
    r0, c0 = origin
    values = setup.win.values
    if setup.fill is not None:
        values = np.where(setup.fill.valid_mask(values), values, float(setup.default_value or 0.0))
    p = whole(setup)
    zc, _ = zone_cells(p, values)
    win_w = p.win.shape[1]
    order = np.lexsort((zc.flat // win_w * width + zc.flat % win_w, zc.zone))
    flat = zc.flat[order]
    row, col = np.divmod(flat, win_w)
    x, y = _centres(p, flat)
    return pd.DataFrame(
        {
            id_column: ids.to_numpy()[zc.zone[order]],
            "cell_id": (row + r0) * width + (col + c0),
            "center_x": x,
            "center_y": y,
            "value": zc.value[order],
            "weight": zc.weight[order] if zc.weight is not None else np.full(len(flat), np.nan),
            "coverage": zc.cover[order],
        }
    )


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
