"""Zonal statistics: coverage-weighted (exactextract) or cell-centre/all-touched (rasterstats).

One call computes every statistic for every zone, for a single raster or every step of a
time stack. The cell coverage of all zones is computed once, in one vectorised pass
(:mod:`sahel_geo.analysis._coverage`), as runs of whole cells along rows and boundary cells with
their fraction; sums then cost one pass over the raster window (a block of rows at a
time: one ``numpy.add.reduceat`` over all runs) plus one gather of the boundary cells,
and order statistics (min, max, median, percentiles, majority) one sort of the covered
cells.

Weights of a cell
-----------------
``coverage="fraction"`` (default)
    The fraction of the cell inside the polygon, as exactextract computes it. The
    fractions are exact (to ~1e-15) and then rounded to 32-bit floats, as exactextract
    stores them, so that the answers agree with exactextract's: to <= 1e-9 relative for
    more than 99 % of zones, and to ~3e-8 where exactextract's own float32 fraction of a
    cell is one unit in the last place off the correctly rounded one. A polygon smaller
    than a cell still gets the value of the cell(s) it lies in.
``coverage="center"``
    1 for cells whose centre is inside the polygon, else 0: rasterstats' default. A
    polygon that contains no cell centre gets no value (count 0, statistics NaN).
``coverage="all_touched"``
    1 for every cell the polygon touches: rasterstats' ``all_touched=True``.

``area_weighted=True`` multiplies every cell's weight by its true area in km². On a grid
in degrees cells shrink towards the poles (a 0.05° cell is 30.8 km² at the equator and
28.0 km² at 25° N), so area weighting is what a "share of the land" mean needs there;
``count`` and ``sum`` are then in km² and value x km². The cell area is the exact area on
the WGS84 ellipsoid of the cell's latitude band (projected grids: ``|dx * dy|``).
``area_km2`` is always the area of the zone covered by the raster's cells, in km², with
true cell areas, whatever the other weights.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from numpy.typing import NDArray

from sahel_geo.analysis._coverage import Coverage, compute_coverage
from sahel_geo.analysis._zonal_cells import (
    UserStat,
    ZoneCells,
    category_label,
    fractions,
    locations,
    order_stats,
    user_arity,
    user_stats,
    weighted_variance,
)
from sahel_geo.analysis._zonal_kernels import (
    Cells,
    CoverageMode,
    Plan,
    Weights,
    area_sum,
    cells,
    mode_weights,
    moments,
    plan,
    scaled,
)
from sahel_geo.core.arrays import run_starts
from sahel_geo.core.deprecation import deprecated_keywords
from sahel_geo.core.errors import EmptyResultError, NodataWarning, SchemaError
from sahel_geo.core.geodesy import latlon_cell_area_km2
from sahel_geo.core.raster import Raster, check_crs

__all__ = [
    "STATISTICS",
    "CellRules",
    "cell_areas_km2",
    "nest_factors",
    "zonal_cells",
    "zonal_stats",
    "zone_polygons",
]

logger = logging.getLogger(__name__)

#: Statistics :func:`zonal_stats` knows, besides ``percentile_<q>`` (0 <= q <= 100) and
#: user functions. "Weight" is the cell's weight: its coverage fraction (or 1 with
#: ``coverage="center"``/``"all_touched"``), times its true area with ``area_weighted``.
STATISTICS: dict[str, str] = {
    "count": "sum of the weights of the cells with data (fraction mode: covered cells)",
    "sum": "sum of value x weight",
    "mean": "sum / count",
    "min": "smallest value of a cell with weight > 0",
    "max": "largest value of a cell with weight > 0",
    "range": "max - min (rasterstats' range)",
    "std": "population standard deviation, weighted by the cells' weights",
    "stdev": "the same as std (exactextract's name)",
    "variance": "population variance, weighted by the cells' weights",
    "coefficient_of_variation": "std / mean",
    "median": "weighted median (percentile_50)",
    "majority": "value with the largest total weight (ties: exactextract the largest "
    "value, center/all_touched the smallest, as rasterstats)",
    "mode": "the same as majority (exactextract's name)",
    "minority": "value with the smallest total weight (ties: the smallest value)",
    "variety": "number of distinct values (rasterstats calls this 'unique')",
    "unique": "the distinct values, ascending, as a tuple (exactextract's unique)",
    "frac": "share of the zone's weight on each value: one column frac_<value> per value",
    "weighted_frac": "share of the zone's weight x w on each value: one column "
    "weighted_frac_<value> per value, w from 'weights'",
    "nodata": "sum of the weights of the nodata cells (nodata value, NaN or infinite)",
    "nan": "sum of the weights of the NaN cells",
    "nodata_frac": "share of the zone's weight on nodata cells",
    "area_km2": "area of the zone covered by raster cells, km² (true cell areas)",
    "coverage_area": "area of the zone covered by cells with data, km² (true cell areas)",
    "min_center_x": "x of the centre of the first cell (row-major) holding the min",
    "min_center_y": "y of the centre of the first cell (row-major) holding the min",
    "max_center_x": "x of the centre of the first cell (row-major) holding the max",
    "max_center_y": "y of the centre of the first cell (row-major) holding the max",
    "weighted_mean": "sum of value x weight x w / sum of weight x w, w from 'weights'",
    "weighted_sum": "sum of value x weight x w",
    "weighted_std": "population standard deviation weighted by weight x w",
    "weighted_stdev": "the same as weighted_std (exactextract's name)",
    "weighted_variance": "population variance weighted by weight x w",
    "weights_nodata_frac": "share of the zone's weight (cells with data) where 'weights' "
    "is nodata; those cells are left out of every weighted statistic",
}

_PCT = re.compile(r"^percentile_(\d+(?:\.\d+)?)$")
_WEIGHTED = {
    "weighted_mean",
    "weighted_sum",
    "weights_nodata_frac",
    "weighted_frac",
    "weighted_std",
    "weighted_stdev",
    "weighted_variance",
}
#: Statistics read from the gathered cells (the rest are sums over runs and cells).
_CELL_STATS = {
    "min",
    "max",
    "range",
    "median",
    "majority",
    "mode",
    "minority",
    "variety",
    "unique",
    "frac",
    "weighted_frac",
    "nan",
    "coverage_area",
    "min_center_x",
    "min_center_y",
    "max_center_x",
    "max_center_y",
    "weighted_std",
    "weighted_stdev",
    "weighted_variance",
}
#: Aliases: exactextract's names for ours.
_ALIAS = {"stdev": "std", "mode": "majority", "weighted_stdev": "weighted_std"}

#: A statistic: a name from STATISTICS, ``percentile_<q>``, or a user function.
Stat = str | UserStat


@dataclass(frozen=True)
class CellRules:
    """Which covered cells count, and what nodata cells count as (exactextract's options).

    Attributes
    ----------
    min_coverage_frac
        Cells covered by less than this share of their area are ignored (a cell covered
        exactly this much counts), in every coverage mode: exactextract's
        ``min_coverage_frac``. 0 (default) keeps every covered cell.
    default_value
        Value of the raster's nodata cells; they then count as data (``count``,
        ``mean``, ``frac``... include them, ``nodata_frac`` is 0). None (default): nodata
        cells are left out. exactextract's ``default_value``.
    default_weight
        Value of the ``weights`` raster's nodata cells. None (default): those cells are
        left out of the weighted statistics only, and their share is reported as
        ``weights_nodata_frac`` (exactextract makes the weighted statistics NaN
        instead; a few missing weights should not blank a unit). exactextract's
        ``default_weight``.

    Examples
    --------
    >>> CellRules(min_coverage_frac=0.5)
    CellRules(min_coverage_frac=0.5, default_value=None, default_weight=None)
    """

    min_coverage_frac: float = 0.0
    default_value: float | None = None
    default_weight: float | None = None

    def __post_init__(self) -> None:
        f = self.min_coverage_frac
        if not isinstance(f, int | float) or not 0.0 <= float(f) <= 1.0:
            raise SchemaError(
                f"CellRules(min_coverage_frac={f!r}): the share must be a number from 0 "
                "to 1, e.g. 0.5 to ignore cells less than half covered."
            )
        for name in ("default_value", "default_weight"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int | float) or not np.isfinite(v)):
                raise SchemaError(f"CellRules({name}={v!r}): give a finite number or None.")


def cell_areas_km2(raster: Raster) -> NDArray[np.float64]:
    """Return the true area of one cell of each row, km² (a row's cells are equal).

    For a grid in degrees this is the area on the WGS84 ellipsoid of the band between
    the row's edges, over the cell's width in longitude; for a projected grid it is
    ``|dx * dy|`` in the CRS's units converted to km.

    Parameters
    ----------
    raster
        The raster (only its grid and CRS are used).

    Returns
    -------
    numpy.ndarray
        One area per row, km².

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> r = Raster.from_array(np.zeros((2, 1)), transform=Affine(1, 0, 0, 0, -1, 1),
    ...                       crs="EPSG:4326")
    >>> [round(float(a), 1) for a in cell_areas_km2(r)]
    [12308.5, 12308.5]
    """
    h, _ = raster.shape
    t = raster.transform
    if raster.crs is not None and raster.crs.is_geographic:
        edges = t.f + t.e * np.arange(h + 1, dtype=np.float64)
        return latlon_cell_area_km2(edges[1:], edges[:-1], t.a)
    unit = 1.0
    if raster.crs is not None and raster.crs.axis_info:
        unit = raster.crs.axis_info[0].unit_conversion_factor or 1.0
    return np.full(h, abs(t.a * t.e) * unit * unit / 1e6)


def _stat_name(stat: Stat) -> str:
    """Return a statistic's output column name (a function's ``__name__``)."""
    if isinstance(stat, str):
        return stat
    name = getattr(stat, "__name__", None)
    if not name or name == "<lambda>":
        raise SchemaError(
            f"User statistic {stat!r} has no name to label its column: define it with "
            "'def' (the column is named by the function's __name__)."
        )
    return str(name)


def _parse_stats(
    stats: Stat | Sequence[Stat], weights: Raster | None
) -> tuple[list[str], dict[str, UserStat]]:
    """Return the output column names, in order, and the user functions by name."""
    if isinstance(stats, str) or callable(stats):
        stats = [stats]
    stats = list(stats)
    funcs = {_stat_name(f): f for f in stats if not isinstance(f, str)}
    bad: list[object] = [
        s for s in stats if isinstance(s, str) and s not in STATISTICS and not _PCT.match(s)
    ]
    bad += [s for s in stats if not isinstance(s, str) and not callable(s)]
    if bad:
        raise SchemaError(
            f"Unknown statistic(s) {bad}. Known: {sorted(STATISTICS)}, 'percentile_<q>' "
            "with 0 <= q <= 100, e.g. 'percentile_90', and functions f(values, coverage) "
            "or f(values, coverage, weights) returning a number."
        )
    for s in stats:
        m = _PCT.match(s) if isinstance(s, str) else None
        if m and not 0 <= float(m.group(1)) <= 100:
            raise SchemaError(f"{s!r}: the percentile must be between 0 and 100.")
    names = [_stat_name(s) for s in stats]
    clash = sorted({n for n in names if names.count(n) > 1 and n in funcs})
    if clash:
        raise SchemaError(f"Statistics {clash} are named twice: rename the function(s).")
    for name, f in funcs.items():
        try:
            arity = user_arity(f)
        except TypeError as err:
            raise SchemaError(str(err)) from None
        if arity == 3 and weights is None:
            raise SchemaError(f"User statistic {name!r} takes weights: pass a 'weights' raster.")
    needs_w = [s for s in names if s in _WEIGHTED]
    if needs_w and weights is None:
        raise SchemaError(f"Statistic(s) {needs_w} need a 'weights' raster.")
    if not names:
        raise SchemaError("'stats' is empty: ask for at least one statistic, e.g. ['mean'].")
    return list(dict.fromkeys(names)), funcs


def _zone_ids(zones: gpd.GeoDataFrame, id_column: str) -> pd.Index:
    if id_column not in zones.columns:
        raise SchemaError(
            f"The zones have no {id_column!r} column (columns: {list(zones.columns)}). "
            "Pass id_column= naming the column that identifies each zone."
        )
    ids = zones[id_column]
    bad = ids.isna() | ids.duplicated(keep=False)
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())[:10].tolist()
        raise SchemaError(
            f"Zone ids in column {id_column!r} must be unique and not missing; rows "
            f"{rows} (0-based) are missing or duplicated. Dissolve duplicates first "
            "(zones.dissolve(by=id_column)) or choose another id_column."
        )
    index: pd.Index = pd.Index(ids.to_numpy(), name=id_column)
    return index


@dataclass(frozen=True)
class _Setup:
    """What every step of a stack shares: the coverage, its sum plan, cells and weights."""

    cov: Coverage
    plan: Plan
    cells: Cells | None  # None: no statistic read from the cells
    win: Raster  # its nodata is None when CellRules.default_value fills nodata cells
    names: list[str]  # canonical statistics (aliases resolved), user functions apart
    funcs: dict[str, UserStat]
    mode: CoverageMode
    true_area: NDArray[np.float64]
    area_w: Weights
    area_weighted: bool
    wts: NDArray[np.float64] | None
    wts_valid: NDArray[np.bool_] | None
    fill: Raster | None  # the window with its nodata, when default_value fills it
    default_value: float | None


def _quantities(
    need: set[str], values: NDArray[np.generic], win: Raster, *, weighted: bool
) -> tuple[list[str], float]:
    """Return the quantities :func:`moments` must sum for these statistics, and the shift."""
    names = ["valid"]
    if need & {"sum", "mean", "std", "variance", "coefficient_of_variation"}:
        names.append("v")
    ref = 0.0
    if need & {"std", "variance", "coefficient_of_variation"}:
        names += ["sh", "sh2"]
        # Shift by a reference value first: keeps E[x²] - E[x]² well conditioned.
        sample = np.asarray(values[:: max(1, values.shape[0] // 64)], dtype=np.float64)
        ok_s = win.valid_mask(values[:: max(1, values.shape[0] // 64)])
        ref = float(sample[ok_s].mean()) if ok_s.any() else 0.0
    if need & {"nodata_frac", "nodata"}:
        names.append("invalid")
    if need & {"weighted_mean", "weighted_sum", "weights_nodata_frac"} and weighted:
        names += ["wv", "wvv", "wnod"]
    return names, ref


def _moment_stats(setup: _Setup, values: NDArray[np.generic]) -> dict[str, NDArray[np.float64]]:
    """Compute the statistics that are sums over runs and boundary cells."""
    need = set(setup.names)
    names, ref = _quantities(need, values, setup.win, weighted=setup.wts is not None)
    sums = moments(
        setup.plan,
        setup.cov.n_zones,
        setup.win,
        values,
        names,
        ref=ref,
        wts=setup.wts,
        wts_valid=setup.wts_valid,
    )
    out: dict[str, NDArray[np.float64]] = {}
    count = sums["valid"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["count"] = count
        if "v" in sums:
            out["sum"] = sums["v"]
            out["mean"] = np.where(count > 0, sums["v"] / count, np.nan)
        if "sh" in sums:
            m1 = sums["sh"] / count
            var = np.where(count > 0, sums["sh2"] / count - m1 * m1, np.nan)
            out["variance"] = np.clip(var, 0, None)
            out["std"] = np.sqrt(out["variance"])
            out["coefficient_of_variation"] = out["std"] / out["mean"]
        if "invalid" in sums:
            nod = sums["invalid"]
            out["nodata"] = nod
            out["nodata_frac"] = np.where(count + nod > 0, nod / (count + nod), np.nan)
        if "area_km2" in need:
            out["area_km2"] = area_sum(setup.cov, setup.area_w, setup.true_area)
        if "wv" in sums:
            out["weighted_sum"] = sums["wvv"]
            out["weighted_mean"] = np.where(sums["wv"] != 0, sums["wvv"] / sums["wv"], np.nan)
            out["weights_nodata_frac"] = np.where(count > 0, sums["wnod"] / count, np.nan)
    return out


def _zone_cells(
    setup: _Setup, values: NDArray[np.generic]
) -> tuple[ZoneCells, dict[str, NDArray[np.float64]]]:
    """Gather the covered cells with data; also return ``nan`` and ``coverage_area``."""
    assert setup.cells is not None
    c = setup.cells
    n = setup.cov.n_zones
    raw = np.asarray(values).reshape(-1)[c.flat]
    ok = setup.win.valid_mask(raw)
    extra: dict[str, NDArray[np.float64]] = {}
    if "nan" in setup.names:
        isnan = np.isnan(raw) if np.issubdtype(raw.dtype, np.floating) else np.zeros(len(raw))
        extra["nan"] = np.bincount(c.zone, c.weight * isnan, n).astype(np.float64)
    if "coverage_area" in setup.names:
        area = (
            c.weight
            if setup.area_weighted
            else c.weight * setup.true_area[c.flat // setup.win.shape[1]]
        )
        extra["coverage_area"] = np.bincount(c.zone[ok], area[ok], n).astype(np.float64)
    wt = None
    if setup.wts is not None and setup.wts_valid is not None:
        flat = c.flat[ok]
        wv = setup.wts.reshape(-1)[flat]
        wt = np.where(setup.wts_valid.reshape(-1)[flat], wv, np.nan)
    zc = ZoneCells(
        n=n,
        zone=c.zone[ok],
        flat=c.flat[ok],
        cover=c.weight[ok],
        value=raw[ok].astype(np.float64),
        weight=wt,
    )
    return zc, extra


def _centres(setup: _Setup, flat: NDArray[np.int64]) -> tuple[NDArray[np.float64], ...]:
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


def _cell_stats(setup: _Setup, values: NDArray[np.generic]) -> dict[str, object]:
    """Compute the statistics read from the cells: order, categorical, locations, user."""
    need = set(setup.names)
    zc, out = _zone_cells(setup, values)
    qs = {s: _quantile_of(s) for s in setup.names if s == "median" or _PCT.match(s)}
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


def _quantile_of(name: str) -> float:
    """Return the quantile (0..1) of ``median`` or ``percentile_<q>``."""
    m = _PCT.match(name)
    return float(m.group(1)) / 100 if m else 0.5


def _needs_cells(names: Sequence[str], funcs: dict[str, UserStat]) -> bool:
    """Whether any statistic is read from the gathered cells."""
    return bool(funcs) or any(s in _CELL_STATS or _PCT.match(s) for s in names)


def _one_step(setup: _Setup, values: NDArray[np.generic]) -> dict[str, object]:
    """Compute every statistic of one raster (or one step of a stack), per zone."""
    if setup.fill is not None:  # nodata cells take the default value
        fill_value = float(setup.default_value) if setup.default_value is not None else 0.0
        values = np.where(setup.fill.valid_mask(values), values, fill_value)
    out: dict[str, object] = dict(_moment_stats(setup, values))
    if setup.cells is not None:
        out.update(_cell_stats(setup, values))
    return out


def _check_inputs(
    zones: gpd.GeoDataFrame,
    raster: Raster,
    stats: Stat | Sequence[Stat],
    weights: Raster | None,
    *,
    coverage: CoverageMode,
    id_column: str,
) -> tuple[list[str], dict[str, UserStat], pd.Index]:
    """Check every argument; return the statistics' names and the zone ids."""
    if coverage not in ("fraction", "center", "all_touched"):
        raise SchemaError(
            f"coverage must be 'fraction', 'center' or 'all_touched'; got {coverage!r}."
        )
    names, funcs = _parse_stats(stats, weights)
    if not isinstance(zones, gpd.GeoDataFrame):
        raise SchemaError(f"zones must be a GeoDataFrame of polygons, got {type(zones).__name__}.")
    if len(zones) == 0:
        raise EmptyResultError(
            "The zones frame is empty (0 rows): there is nothing to compute. Check the filter "
            "or file that produced it."
        )
    ids = _zone_ids(zones, id_column)
    _check_grid(raster)
    check_crs(zones.crs, raster)
    if weights is not None:
        check_crs(zones.crs, weights, what="zones")
        _check_grid(weights)
        nest_factors(raster, weights)
        if weights.is_stack:
            raise SchemaError("The weights raster must be a single 2-D raster, not a stack.")
    return names, funcs, ids


def _integral(x: float, tol: float = 1e-3) -> int | None:
    """``round(x)`` when ``x`` is that close to an integer, else None."""
    k = round(x)
    return int(k) if abs(x - k) <= tol else None


def _common_step(a: float, b: float, offset: float) -> float | None:
    """Return the largest step dividing ``a``, ``b`` and ``offset`` whole, or None.

    Tried: the finer size over 1..64 (exact to 1e-3 of the step, as exactextract's
    ``grid_compat_tol``).
    """
    fine = min(a, b)
    for m in range(1, 65):
        step = fine / m
        if all(_integral(x / step) is not None for x in (a, b, offset)):
            return step
    return None


def nest_factors(raster: Raster, weights: Raster) -> tuple[int, int, int, int]:
    """Cells of the common grid of the value and weights rasters per value and weights cell.

    The common grid is the coarsest grid whose lines include both grids' lines: the
    finer grid when the grids nest (1° values and 0.25° weights: 0.25°), a finer one
    when they do not align (1° at 0° and 0.3° at 0.1°: 0.1°). Its cells each lie in
    exactly one value cell and one weights cell, so coverage computed on it splits every
    covered value cell exactly between the weights cells it overlaps.

    Parameters
    ----------
    raster, weights
        The value and weights rasters.

    Returns
    -------
    tuple of int
        ``(ky_v, kx_v, ky_w, kx_w)``: common cells per value cell and per weights cell,
        along y and x; all 1 for the same grid.

    Raises
    ------
    SchemaError
        No common grid with at most 64 cells per cell of the finer grid along each
        axis, naming both grids and the fix.

    Examples
    --------
    >>> from affine import Affine
    >>> v = Raster.from_array(np.zeros((2, 2)), transform=Affine(1, 0, 0, 0, -1, 2), crs=4326)
    >>> w = Raster.from_array(np.zeros((8, 8)), transform=Affine(0.25, 0, 0, 0, -0.25, 2),
    ...                       crs=4326)
    >>> nest_factors(v, w)
    (4, 4, 1, 1)
    """
    tv, tw = raster.transform, weights.transform
    sx = _common_step(tv.a, tw.a, tw.c - tv.c)
    sy = _common_step(-tv.e, -tw.e, tw.f - tv.f)
    if sx is None or sy is None:
        raise SchemaError(
            f"The weights raster {weights.source!r} ({weights.shape}, {tuple(tw)[:6]}) "
            f"and {raster.source!r} ({raster.shape}, {tuple(tv)[:6]}) have no common grid "
            "(cell sizes and origin offset multiples of one step, at most 64 steps to "
            "the finer cell). Resample the weights onto a grid that nests with the "
            "values first (e.g. 'gdalwarp -tr <res> <res> -tap', rasterio.warp.reproject)."
        )
    ks = [_integral(x) for x in (-tv.e / sy, tv.a / sx, -tw.e / sy, tw.a / sx)]
    return cast(tuple[int, int, int, int], tuple(ks))


def _on_common_grid(
    win: Raster, weights: Raster, ks: tuple[int, int, int, int]
) -> tuple[Raster, Raster]:
    """Return the window's values and the weights on their common (finer) grid.

    Each value cell is split into ``ky_v x kx_v`` cells of the common grid holding its
    value; each common cell takes the weight of the weights cell it lies in (exact: the
    grids nest), nodata (NaN) outside the weights raster.
    """
    ky, kx = ks[0], ks[1]
    t = win.transform
    vals = np.repeat(np.repeat(win.values, ky, axis=-2), kx, axis=-1) if ky * kx > 1 else win.values
    tc = Affine(t.a / kx, 0.0, t.c, 0.0, t.e / ky, t.f)
    common = replace(win, values=vals, transform=tc)
    h, w = common.shape
    tw = weights.transform
    cols = np.floor((tc.c + (np.arange(w) + 0.5) * tc.a - tw.c) / tw.a).astype(np.int64)
    rows = np.floor((tc.f + (np.arange(h) + 0.5) * tc.e - tw.f) / tw.e).astype(np.int64)
    wh, ww = weights.shape
    okc, okr = (cols >= 0) & (cols < ww), (rows >= 0) & (rows < wh)
    wv = weights.values[np.clip(rows, 0, wh - 1)][:, np.clip(cols, 0, ww - 1)]
    wv = np.where(okr[:, None] & okc[None, :], wv.astype(np.float64), np.nan)
    nod = weights.nodata if weights.nodata is not None else None
    wr = Raster.from_array(wv, transform=tc, crs=weights.crs, nodata=nod, source=weights.source)
    return common, wr


#: Statistics counted in cells: on a common grid k times finer they are k times larger.
_CELL_COUNTED = ("count", "sum", "nodata", "nan")


def _rescale(steps: list[dict[str, object]], ks: tuple[int, int, int, int], *, area: bool) -> None:
    """Put sums over common-grid cells back into value cells (and weights cells)."""
    kv, kw = ks[0] * ks[1], ks[2] * ks[3]
    for res in steps:
        for s in _CELL_COUNTED if not area else ():
            if s in res and kv > 1:
                res[s] = np.asarray(res[s]) / kv
        if "weighted_sum" in res and kw > 1:
            res["weighted_sum"] = np.asarray(res["weighted_sum"]) / kw


def _check_grid(raster: Raster) -> None:
    """Raise for a raster with no cells or one that is not north-up, naming the fix."""
    src = raster.source if raster.source != "<array>" else (raster.name or "the raster")
    if 0 in raster.values.shape:
        raise SchemaError(
            f"Raster {src!r} has no cells (values of shape {raster.values.shape}). Check the "
            "window or file it was read from."
        )
    t = raster.transform
    if t.e >= 0 or t.a <= 0 or t.b != 0 or t.d != 0:
        raise SchemaError(
            f"Raster {src!r} is not north-up (transform {tuple(t)[:6]}): rows must run "
            "north to south (transform.e < 0). Build it with Raster.from_array(...), which "
            "flips a south-up array, or warp a rotated one (gdalwarp)."
        )


#: shapely type ids of points and lines (and their multi types)
_NOT_AREAS: dict[int, str] = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    4: "MultiPoint",
    5: "MultiLineString",
}


def zone_polygons(geoms: object, ids: pd.Index) -> NDArray[np.object_]:
    """Return the zones' geometries as areas: collections reduced to their polygon parts.

    A GeometryCollection counts through its Polygon and MultiPolygon parts (nested
    collections too); missing and empty geometries are kept (those zones get no data).
    Points, lines and collections with no polygon part are refused: zonal statistics need
    areas.

    Parameters
    ----------
    geoms
        The zones' geometry array (``zones.geometry.array``).
    ids
        The zone ids, to name the refused zones.

    Returns
    -------
    numpy.ndarray
        One Polygon, MultiPolygon, empty or missing geometry per zone.

    Raises
    ------
    SchemaError
        Naming the zones that are points or lines and how to buffer them.

    Examples
    --------
    >>> from shapely import GeometryCollection, Point, box
    >>> g = zone_polygons(np.array([GeometryCollection([box(0, 0, 1, 1), Point(5, 5)])]),
    ...                   pd.Index(["A"]))
    >>> g[0].geom_type, g[0].area
    ('MultiPolygon', 1.0)
    """
    out = np.array(geoms, dtype=object)
    kind = shapely.get_type_id(out)
    coll = np.flatnonzero(kind == 7)
    if coll.size:
        parts, owner = out[coll], coll
        while True:  # unpack multi types and nested collections, one level a pass
            multi = np.isin(shapely.get_type_id(parts), (4, 5, 6, 7))
            if not multi.any():
                break
            inner, which = shapely.get_parts(parts[multi], return_index=True)
            parts = np.concatenate([parts[~multi], inner])
            owner = np.concatenate([owner[~multi], owner[multi][which]])
        keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
        owners, dense = np.unique(owner[keep], return_inverse=True)
        order = np.argsort(dense, kind="stable")
        out[owners] = shapely.multipolygons(parts[keep][order], indices=dense[order])
        kind[np.setdiff1d(coll, owners)] = 5  # points or lines only: not an area
    bad = np.flatnonzero(np.isin(kind, list(_NOT_AREAS)))
    if bad.size:
        names = sorted({_NOT_AREAS[int(k)] for k in kind[bad]})
        raise SchemaError(
            f"Zones {[str(x) for x in ids[bad][:10]]} ({bad.size} in all) are "
            f"{'/'.join(names)} geometries, not areas: zonal statistics need polygons. Buffer "
            "them first, e.g. zones.to_crs('ESRI:102022').buffer(5_000).to_crs('EPSG:4326') "
            "for 5 km around each, or use sg.values_at_events for the value at points."
        )
    return out


def _window(geoms: NDArray[np.object_], raster: Raster) -> tuple[int, int, int, int]:
    """Return the raster window (r0, r1, c0, c1) the zones overlap; raise if none."""
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    b = shapely.bounds(geoms[ok]) if ok.any() else np.empty((0, 4))
    rb = raster.bounds
    if len(b):
        tb = (
            max(b[:, 0].min(), rb[0]),
            max(b[:, 1].min(), rb[1]),
            min(b[:, 2].max(), rb[2]),
            min(b[:, 3].max(), rb[3]),
        )
    else:
        tb = (0.0, 0.0, 0.0, 0.0)
    r0, r1, c0, c1 = raster.window_for(tb)
    if not len(b) or tb[0] >= tb[2] or tb[1] >= tb[3] or r1 <= r0 or c1 <= c0:
        raise EmptyResultError(
            f"No zone overlaps raster {raster.source!r} (raster bounds {rb}; zones' bounds "
            f"{tuple(np.round(shapely.total_bounds(geoms), 6))}). Check that both cover "
            "the same area and are in the same CRS."
        )
    return r0, r1, c0, c1


def _weight_arrays(
    wwin: Raster | None, default_weight: float | None
) -> tuple[NDArray[np.float64] | None, NDArray[np.bool_] | None]:
    """Return the weights' values (0, or ``default_weight``, on nodata) and validity."""
    if wwin is None:
        return None, None
    wts_valid = wwin.valid_mask()
    wts = np.where(wts_valid, wwin.values, 0.0).astype(np.float64)
    if default_weight is not None:
        wts = np.where(wts_valid, wts, float(default_weight))
        wts_valid = np.ones_like(wts_valid)
    return wts, wts_valid


def _canonical(names: list[str]) -> list[str]:
    """Resolve aliases (exactextract's names) to the statistics computed."""
    return list(dict.fromkeys(_ALIAS.get(s, s) for s in names))


def _prepare(
    geoms: NDArray[np.object_],
    win: Raster,
    wwin: Raster | None,
    stats: tuple[list[str], dict[str, UserStat]],
    *,
    mode: CoverageMode,
    area_weighted: bool,
    rules: CellRules,
) -> _Setup:
    """Compute the coverage, weights, sum plan and cells of the window, once for all steps."""
    funcs = stats[1]
    names = _canonical([s for s in stats[0] if s not in funcs])
    cov = compute_coverage(geoms, win.grid)
    true_area = cell_areas_km2(win)
    row_area = true_area if area_weighted else None
    w0 = mode_weights(cov, mode, geoms, min_frac=rules.min_coverage_frac)
    w = scaled(cov, w0, row_area)
    wts, wts_valid = _weight_arrays(wwin, rules.default_weight)
    fill = win if rules.default_value is not None else None
    return _Setup(
        cov=cov,
        plan=plan(cov, w, row_area),
        cells=cells(cov, w, row_area) if _needs_cells(names, funcs) else None,
        win=replace(win, nodata=None) if fill is not None else win,
        names=names,
        funcs=funcs,
        mode=mode,
        true_area=true_area,
        area_w=scaled(cov, w0, true_area) if "area_km2" in names else w0,
        area_weighted=area_weighted,
        wts=wts,
        wts_valid=wts_valid,
        fill=fill,
        default_value=rules.default_value,
    )


def _all_steps(setup: _Setup) -> list[dict[str, object]]:
    """Compute the statistics of every step of the window (one for a single raster)."""
    win = setup.fill if setup.fill is not None else setup.win
    steps = [None] if not win.is_stack else list(range(win.values.shape[0]))
    # time steps of a stack; the coverage and its plan are reused
    return [_one_step(setup, win.values if k is None else win.values[k]) for k in steps]


def _column(res: dict[str, object], name: str) -> object:
    """One step's result for an output column (aliases read their statistic)."""
    return res[_ALIAS.get(name, name)]


def _wide(steps: list[dict[str, object]], name: str) -> dict[str, list[NDArray[np.float64]]]:
    """Spread ``frac``/``weighted_frac`` over one column per category (all steps' union)."""
    parts = [cast(tuple[NDArray[np.float64], NDArray[np.float64]], res[name]) for res in steps]
    cats = np.unique(np.concatenate([c for c, _ in parts]))
    cols: dict[str, list[NDArray[np.float64]]] = {
        f"{name}_{category_label(float(c), integer=True)}": [] for c in cats
    }
    for (c, share), res in zip(parts, steps, strict=True):
        full = np.zeros((share.shape[0], len(cats)))
        full[:, np.searchsorted(cats, c)] = np.nan_to_num(share)
        full[np.asarray(res["count"]) <= 0] = np.nan
        for j, key in enumerate(cols):
            cols[key].append(full[:, j])
    return cols


def _frame(
    steps: list[dict[str, object]],
    names: list[str],
    ids: pd.Index,
    win: Raster,
) -> pd.DataFrame:
    """Build the output: a row per zone (or zone and step), a column per statistic."""
    cols: dict[str, list[object]] = {}
    for s in names:
        if s in ("frac", "weighted_frac"):
            cols.update(_wide(steps, s))  # type: ignore[arg-type]
        else:
            cols[s] = [_column(res, s) for res in steps]
    if not win.is_stack:
        return pd.DataFrame({s: v[0] for s, v in cols.items()}, index=ids)
    assert win.times is not None
    index = pd.MultiIndex.from_product([ids, win.times], names=[ids.name, "time"])
    # (step, zone) arrays -> rows ordered by zone, then time
    return pd.DataFrame(
        {s: np.stack(v).T.reshape(-1) for s, v in cols.items()},  # type: ignore[arg-type]
        index=index,
    )


def _weights_nodata_as_rule(old: dict[str, Any], _current: Any) -> CellRules:
    """``weights_nodata=`` (before 0.2) as ``rules=CellRules(default_weight=...)``."""
    return CellRules(default_weight=old["weights_nodata"])


@deprecated_keywords(
    "weights_nodata", new="rules", removed_in="0.3.0", translate=_weights_nodata_as_rule
)
def zonal_stats(
    zones: gpd.GeoDataFrame,
    raster: Raster,
    *,
    stats: Stat | Sequence[Stat] = ("count", "mean"),
    weights: Raster | None = None,
    coverage: CoverageMode = "fraction",
    area_weighted: bool = False,
    id_column: str = "pcode",
    rules: CellRules | None = None,
) -> pd.DataFrame:
    """Statistics of a raster (or each step of a time stack) over every zone.

    Parameters
    ----------
    zones
        Polygons, in the raster's CRS, with a unique ``id_column``.
    raster
        A :class:`~sahel_geo.Raster` (from :func:`~sahel_geo.open_raster` or
        :meth:`Raster.from_array`); a time stack gives one row per zone and step.
    stats
        In output column order: names from :data:`STATISTICS`, ``percentile_<q>``, and
        user functions ``f(values, coverage)`` or ``f(values, coverage, weights)``
        returning a number, called once per zone with 1-D float64 arrays of the zone's
        cells with data (``coverage``: each cell's weight; ``weights``: the weights
        raster's values, NaN where nodata); the column is named by ``f.__name__``.
    weights
        A raster (e.g. WorldPop population) for the ``weighted_*`` statistics and
        ``weights_nodata_frac``, on the raster's grid or on another one with a common
        grid (:func:`nest_factors`: 1 km population under 0.05° rainfall, 0.25° under
        1°, or grids whose lines do not align). On another grid the coverage is computed
        on the common grid, so each value cell is split exactly between the weights
        cells it overlaps (not resampled to the nearest cell); weights are amounts per
        weights cell (``weighted_sum`` of a zone covering a population cell by half
        counts half its people); ``count``, ``sum`` and the rest stay in value cells.
    coverage
        ``"fraction"`` (exactextract), ``"center"`` or ``"all_touched"`` (rasterstats);
        see the module docstring.
    area_weighted
        Multiply each cell's weight by its true area (km²); see the module docstring.
    id_column
        Column of ``zones`` that identifies each zone (the output index).
    rules
        :class:`CellRules`: ``min_coverage_frac``, ``default_value`` and
        ``default_weight`` (exactextract's options of the same names). The keyword
        ``weights_nodata=`` of 0.1 still works as ``CellRules(default_weight=...)``, with
        a :class:`FutureWarning`; it is removed in sahel_geo 0.3.0.

    Returns
    -------
    pandas.DataFrame
        One row per zone (index ``id_column``), or per zone and step (index
        ``(id_column, "time")``) for a stack; one float column per statistic, except:

        - ``frac`` and ``weighted_frac`` give one column per value found in any zone
          (and step), ``frac_<value>`` in ascending order of the value, integral values
          written as integers (``frac_3``, ``frac_0.5``); a zone's columns sum to 1, a
          value it lacks is 0, and a zone without data is NaN throughout;
        - ``unique`` is a column of tuples of the zone's distinct values (ints for an
          integer raster).

        Zones with no data get count 0 and NaN statistics (and a :class:`NodataWarning`).

    Raises
    ------
    MissingCRSError, CRSMismatchError
        The raster has no CRS, or the zones are in another CRS.
    EmptyResultError
        No zone overlaps the raster.
    SchemaError
        An unknown statistic, a weighted statistic without ``weights``, bad zone ids.

    Notes
    -----
    Where the answers differ from exactextract's on purpose:

    - ``count``, ``frac``... are floats, and order statistics (``min``, ``median``,
      ``majority``...) of integer rasters are floats too (exactextract returns the
      raster's type); ``unique`` holds ints for integer rasters, as exactextract.
    - A cell whose weight is nodata is left out of the weighted statistics (reported by
      ``weights_nodata_frac``) where exactextract returns NaN; pass
      ``CellRules(default_weight=...)`` for exactextract's other choice.
    - ``frac`` is wide (``frac_<value>`` columns) where exactextract returns a list per
      zone in no set order; ``frac_<value>`` of a value a zone lacks is 0, not missing.
    - User functions get the zone's cells with data only, as plain arrays
      (exactextract: masked arrays); rasterstats' ``unique`` (a count) is ``variety``.
    - Weights on another grid: exactextract counts ``count`` and ``sum`` in cells of
      the finer grid (16 for one 1° cell under 0.25° weights), ours in value cells (1:
      adding weights does not change them); when the weights are the coarser grid,
      exactextract counts a weight once per value cell inside its cell, ours once
      (``weighted_sum`` k² times smaller; means and shares are the same); exactextract
      refuses grids that do not nest, ours uses their common grid.
    - ``coverage_area`` uses the true cell area on the WGS84 ellipsoid; exactextract's
      ``count(coverage_weight="area_spherical_km2")`` a sphere of the equatorial radius
      (up to 0.7 % more).

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> from affine import Affine
    >>> from shapely.geometry import box
    >>> r = Raster.from_array(np.arange(4.0).reshape(2, 2), crs="EPSG:4326",
    ...                       transform=Affine(1, 0, 0, 0, -1, 2))
    >>> z = gpd.GeoDataFrame({"pcode": ["A"]}, geometry=[box(0, 0, 1.5, 2)], crs=4326)
    >>> out = zonal_stats(z, r, stats=["count", "mean"])
    >>> out.index.name, out.loc["A"].round(6).tolist()
    ('pcode', [3.0, 1.333333])
    >>> zonal_stats(z, r, stats=["frac"]).loc["A"].round(4).tolist()
    [0.3333, 0.1667, 0.3333, 0.1667]
    """
    names, funcs, ids = _check_inputs(
        zones, raster, stats, weights, coverage=coverage, id_column=id_column
    )
    geoms = zone_polygons(zones.geometry.array, ids)
    r0, r1, c0, c1 = _window(geoms, raster)
    win = raster.crop(r0, r1, c0, c1)
    wwin = weights.crop(r0, r1, c0, c1) if weights is not None else None
    ks = nest_factors(raster, weights) if weights is not None else (1, 1, 1, 1)
    if weights is not None and ks != (1, 1, 1, 1):  # another grid: on the common grid
        win, wwin = _on_common_grid(win, weights, ks)
    setup = _prepare(
        geoms,
        win,
        wwin,
        (names, funcs),
        mode=coverage,
        area_weighted=area_weighted,
        rules=rules if rules is not None else CellRules(),
    )
    steps = _all_steps(setup)
    _rescale(steps, ks, area=area_weighted)
    _warn_empty(ids, np.asarray(steps[0]["count"]), raster)
    return _frame(steps, names, ids, win)


def zonal_cells(
    zones: gpd.GeoDataFrame,
    raster: Raster,
    *,
    weights: Raster | None = None,
    zone: object | None = None,
    coverage: CoverageMode = "fraction",
    id_column: str = "pcode",
    rules: CellRules | None = None,
) -> pd.DataFrame:
    """Every covered cell with data of every zone (or of one), as a tidy table.

    exactextract's per-cell operations (``cell_id``, ``center_x``, ``center_y``,
    ``values``, ``weights``, ``coverage``) in one long table, the cells that
    :func:`zonal_stats` sums: a user statistic is any reduction of a zone's rows.

    Parameters
    ----------
    zones
        Polygons, in the raster's CRS, with a unique ``id_column``.
    raster
        A single 2-D raster (for a time stack, pass one step).
    weights
        An optional raster on the same grid; its values fill the ``weight`` column.
    zone
        One zone id: only its cells. None (default): every zone's.
    coverage
        ``"fraction"``, ``"center"`` or ``"all_touched"`` (see :func:`zonal_stats`).
    id_column
        Column of ``zones`` that identifies each zone.
    rules
        :class:`CellRules` (``min_coverage_frac``, ``default_value``, ``default_weight``).

    Returns
    -------
    pandas.DataFrame
        Columns ``id_column``, ``cell_id`` (``row * width + col`` in the whole raster),
        ``center_x``, ``center_y``, ``value``, ``weight`` (NaN without ``weights`` or
        where it is nodata) and ``coverage`` (the cell's weight: its coverage fraction
        as a 32-bit float, as exactextract, or 1); rows by zone (in the zones' order),
        then ``cell_id``. Cells whose value is nodata are left out, as by exactextract.

    Raises
    ------
    SchemaError
        A stack, an unknown ``zone``, or the errors of :func:`zonal_stats`.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> from affine import Affine
    >>> from shapely.geometry import box
    >>> r = Raster.from_array(np.arange(4.0).reshape(2, 2), crs="EPSG:4326",
    ...                       transform=Affine(1, 0, 0, 0, -1, 2))
    >>> z = gpd.GeoDataFrame({"pcode": ["A"]}, geometry=[box(0, 0, 1.5, 1)], crs=4326)
    >>> zonal_cells(z, r)[["cell_id", "value", "coverage"]].values.tolist()
    [[2.0, 2.0, 1.0], [3.0, 3.0, 0.5]]
    """
    if raster.is_stack:
        raise SchemaError(
            f"zonal_cells takes one 2-D raster; {raster.source!r} is a stack of "
            f"{raster.values.shape[0]} steps. Pass one step, e.g. Raster.from_array("
            "r.values[k], transform=r.transform, crs=r.crs, nodata=r.nodata)."
        )
    _, _, ids = _check_inputs(
        zones, raster, ["count"], weights, coverage=coverage, id_column=id_column
    )
    if weights is not None and nest_factors(raster, weights) != (1, 1, 1, 1):
        raise SchemaError(
            "zonal_cells needs the weights on the raster's grid; zonal_stats takes weights "
            "on a nested grid. Resample the weights first (e.g. rasterio.warp.reproject)."
        )
    if zone is not None:
        keep = np.flatnonzero(ids == zone)
        if not len(keep):
            raise SchemaError(f"No zone {zone!r} in column {id_column!r}; e.g. {list(ids[:5])}.")
        zones, ids = zones.iloc[keep], ids[keep]
    geoms = zone_polygons(zones.geometry.array, ids)
    r0, r1, c0, c1 = _window(geoms, raster)
    win = raster.crop(r0, r1, c0, c1)
    wwin = weights.crop(r0, r1, c0, c1) if weights is not None else None
    setup = _prepare(
        geoms,
        win,
        wwin,
        (["min"], {}),
        mode=coverage,
        area_weighted=False,
        rules=rules or CellRules(),
    )
    values = win.values
    if setup.fill is not None:
        values = np.where(setup.fill.valid_mask(values), values, float(setup.default_value or 0.0))
    zc, _ = _zone_cells(setup, values)
    order = np.lexsort(
        (zc.flat // win.shape[1] * raster.shape[1] + zc.flat % win.shape[1], zc.zone)
    )
    flat = zc.flat[order]
    row, col = np.divmod(flat, win.shape[1])
    x, y = _centres(setup, flat)
    return pd.DataFrame(
        {
            id_column: ids.to_numpy()[zc.zone[order]],
            "cell_id": (row + r0) * raster.shape[1] + (col + c0),
            "center_x": x,
            "center_y": y,
            "value": zc.value[order],
            "weight": zc.weight[order] if zc.weight is not None else np.full(len(flat), np.nan),
            "coverage": zc.cover[order],
        }
    )


def _warn_empty(ids: pd.Index, counts: NDArray[np.float64], raster: Raster) -> None:
    empty = counts <= 0
    if empty.any():
        which = [str(x) for x in ids[empty][:10]]
        more = " ..." if empty.sum() > 10 else ""
        warnings.warn(
            f"{int(empty.sum())} of {len(ids)} zones have no data in raster "
            f"{raster.source!r} (outside it, on nodata only, or smaller than a cell with "
            f"coverage='center'): {which}{more}. Their statistics are NaN.",
            NodataWarning,
            stacklevel=3,
        )
