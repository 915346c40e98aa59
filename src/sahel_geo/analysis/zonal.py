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
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from sahel_geo.analysis._coverage import Coverage, compute_coverage
from sahel_geo.analysis._zonal_kernels import (
    Cells,
    CoverageMode,
    Plan,
    Weights,
    area_sum,
    cells,
    majority,
    minmax,
    mode_weights,
    moments,
    plan,
    quantiles,
    scaled,
    sorted_by_zone_value,
)
from sahel_geo.core.errors import EmptyResultError, NodataWarning, SchemaError
from sahel_geo.core.geodesy import latlon_cell_area_km2
from sahel_geo.core.raster import Raster, check_crs

__all__ = [
    "STATISTICS",
    "cell_areas_km2",
    "zonal_stats",
    "zone_polygons",
]

logger = logging.getLogger(__name__)

#: Statistics :func:`zonal_stats` knows, besides ``percentile_<q>`` (0 <= q <= 100).
STATISTICS: dict[str, str] = {
    "count": "sum of the weights of the cells with data (fraction mode: covered cells)",
    "sum": "sum of value x weight",
    "mean": "sum / count",
    "min": "smallest value of a cell with weight > 0",
    "max": "largest value of a cell with weight > 0",
    "std": "population standard deviation, weighted",
    "median": "weighted median (percentile_50)",
    "majority": "value with the largest total weight (ties: exactextract the largest "
    "value, center/all_touched the smallest, as rasterstats)",
    "nodata_frac": "share of the zone's weight on nodata cells",
    "area_km2": "area of the zone covered by raster cells, km² (true cell areas)",
    "weighted_mean": "sum of value x weight x w / sum of weight x w, w from 'weights'",
    "weighted_sum": "sum of value x weight x w",
    "weights_nodata_frac": "share of the zone's weight (cells with data) where 'weights' "
    "is nodata; those cells are left out of weighted_mean and weighted_sum",
}

_PCT = re.compile(r"^percentile_(\d+(?:\.\d+)?)$")
_MOMENTS = {"count", "sum", "mean", "std", "nodata_frac", "area_km2"}
_WEIGHTED = {"weighted_mean", "weighted_sum", "weights_nodata_frac"}


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


def _parse_stats(stats: Sequence[str], weights: Raster | None) -> list[str]:
    if isinstance(stats, str):
        stats = [stats]
    bad = [s for s in stats if s not in STATISTICS and not _PCT.match(s)]
    if bad:
        raise SchemaError(
            f"Unknown statistic(s) {bad}. Known: {sorted(STATISTICS)} and 'percentile_<q>' "
            "with 0 <= q <= 100, e.g. 'percentile_90'."
        )
    for s in stats:
        m = _PCT.match(s)
        if m and not 0 <= float(m.group(1)) <= 100:
            raise SchemaError(f"{s!r}: the percentile must be between 0 and 100.")
    needs_w = [s for s in stats if s in _WEIGHTED]
    if needs_w and weights is None:
        raise SchemaError(f"Statistic(s) {needs_w} need a 'weights' raster.")
    if not stats:
        raise SchemaError("'stats' is empty: ask for at least one statistic, e.g. ['mean'].")
    return list(dict.fromkeys(stats))


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
    cells: Cells | None  # None: no order statistic asked for
    win: Raster
    names: list[str]
    mode: CoverageMode
    true_area: NDArray[np.float64]
    area_w: Weights
    wts: NDArray[np.float64] | None
    wts_valid: NDArray[np.bool_] | None


def _quantities(
    need: set[str], values: NDArray[np.generic], win: Raster, *, weighted: bool
) -> tuple[list[str], float]:
    """Return the quantities :func:`moments` must sum for these statistics, and the shift."""
    names = ["valid"]
    if need & {"sum", "mean", "std"}:
        names.append("v")
    ref = 0.0
    if "std" in need:
        names += ["sh", "sh2"]
        # Shift by a reference value first: keeps E[x²] - E[x]² well conditioned.
        sample = np.asarray(values[:: max(1, values.shape[0] // 64)], dtype=np.float64)
        ok_s = win.valid_mask(values[:: max(1, values.shape[0] // 64)])
        ref = float(sample[ok_s].mean()) if ok_s.any() else 0.0
    if "nodata_frac" in need:
        names.append("invalid")
    if need & _WEIGHTED and weighted:
        names += ["wv", "wvv", "wnod"]
    return names, ref


def _moment_stats(setup: _Setup, values: NDArray[np.generic]) -> dict[str, NDArray[np.float64]]:
    """Compute count, sum, mean, std, nodata_frac, area_km2 and weighted statistics."""
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
            out["std"] = np.sqrt(np.clip(var, 0, None))
        if "invalid" in sums:
            nod = sums["invalid"]
            out["nodata_frac"] = np.where(count + nod > 0, nod / (count + nod), np.nan)
        if "area_km2" in need:
            out["area_km2"] = area_sum(setup.cov, setup.area_w, setup.true_area)
        if "wv" in sums:
            out["weighted_sum"] = sums["wvv"]
            out["weighted_mean"] = np.where(sums["wv"] != 0, sums["wvv"] / sums["wv"], np.nan)
            out["weights_nodata_frac"] = np.where(count > 0, sums["wnod"] / count, np.nan)
    return out


def _order_stats(
    setup: _Setup, values: NDArray[np.generic], order_names: list[str]
) -> dict[str, NDArray[np.float64]]:
    """Compute min, max, median, percentiles and majority, from one sort of the cells."""
    assert setup.cells is not None
    n = setup.cov.n_zones
    need = set(order_names)
    out: dict[str, NDArray[np.float64]] = {}
    flat_vals = np.asarray(values).reshape(-1)[setup.cells.flat]
    ok = setup.win.valid_mask(flat_vals)
    flat_vals = flat_vals.astype(np.float64)
    z, v, cw = setup.cells.zone[ok], flat_vals[ok], setup.cells.weight[ok]
    if "min" in need or "max" in need:
        out["min"], out["max"] = minmax(z, v, n)
    qs_names = [s for s in order_names if s == "median" or _PCT.match(s)]
    if qs_names:
        merge = setup.mode == "fraction"
        zz, vv, ww = sorted_by_zone_value(z, v, cw if merge else np.ones(len(z)), merge)
        qs = [0.5 if s == "median" else float(_PCT.match(s).group(1)) / 100 for s in qs_names]  # type: ignore[union-attr]
        for s, arr in zip(qs_names, quantiles(zz, vv, ww, n, qs), strict=True):
            out[s] = arr
    if "majority" in need:
        zz, vv, ww = sorted_by_zone_value(z, v, cw, True)
        out["majority"] = majority(zz, vv, ww, n, ties_high=setup.mode == "fraction")
    return out


def _is_order_stat(name: str) -> bool:
    """Whether a statistic needs the sorted cells (min, max, median, percentiles, majority)."""
    return name in {"min", "max", "median", "majority"} or bool(_PCT.match(name))


def _one_step(setup: _Setup, values: NDArray[np.generic]) -> dict[str, NDArray[np.float64]]:
    """Compute every statistic of one raster (or one step of a stack), per zone."""
    out = _moment_stats(setup, values)
    order_names = [s for s in setup.names if _is_order_stat(s)]
    if order_names and setup.cells is not None:
        out.update(_order_stats(setup, values, order_names))
    return out


def _check_inputs(
    zones: gpd.GeoDataFrame,
    raster: Raster,
    stats: Sequence[str],
    weights: Raster | None,
    *,
    coverage: CoverageMode,
    id_column: str,
) -> tuple[list[str], pd.Index]:
    """Check every argument; return the statistics' names and the zone ids."""
    if coverage not in ("fraction", "center", "all_touched"):
        raise SchemaError(
            f"coverage must be 'fraction', 'center' or 'all_touched'; got {coverage!r}."
        )
    names = _parse_stats(stats, weights)
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
        if weights.shape != raster.shape or weights.transform != raster.transform:
            raise SchemaError(
                f"The weights raster {weights.source!r} ({weights.shape}, "
                f"{tuple(weights.transform)[:6]}) is not on the grid of {raster.source!r} "
                f"({raster.shape}, {tuple(raster.transform)[:6]}). Resample one onto the "
                "other first (e.g. rasterio.warp.reproject or 'gdalwarp -tr -te')."
            )
        if weights.is_stack:
            raise SchemaError("The weights raster must be a single 2-D raster, not a stack.")
    return names, ids


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
    wwin: Raster | None, weights_nodata: float | None
) -> tuple[NDArray[np.float64] | None, NDArray[np.bool_] | None]:
    """Return the weights' values (0, or ``weights_nodata``, on nodata) and validity."""
    if wwin is None:
        return None, None
    wts_valid = wwin.valid_mask()
    wts = np.where(wts_valid, wwin.values, 0.0).astype(np.float64)
    if weights_nodata is not None:
        wts = np.where(wts_valid, wts, float(weights_nodata))
        wts_valid = np.ones_like(wts_valid)
    return wts, wts_valid


def _prepare(
    geoms: NDArray[np.object_],
    win: Raster,
    wwin: Raster | None,
    names: list[str],
    *,
    mode: CoverageMode,
    area_weighted: bool,
    weights_nodata: float | None,
) -> _Setup:
    """Compute the coverage, weights, sum plan and cells of the window, once for all steps."""
    cov = compute_coverage(geoms, win.grid)
    true_area = cell_areas_km2(win)
    row_area = true_area if area_weighted else None
    w0 = mode_weights(cov, mode, geoms)
    w = scaled(cov, w0, row_area)
    need_cells = any(_is_order_stat(s) for s in names)
    wts, wts_valid = _weight_arrays(wwin, weights_nodata)
    return _Setup(
        cov=cov,
        plan=plan(cov, w, row_area),
        cells=cells(cov, w, row_area) if need_cells else None,
        win=win,
        names=names,
        mode=mode,
        true_area=true_area,
        area_w=scaled(cov, w0, true_area) if "area_km2" in names else w0,
        wts=wts,
        wts_valid=wts_valid,
    )


def _all_steps(setup: _Setup) -> dict[str, list[NDArray[np.float64]]]:
    """Compute the statistics of every step of the window (one for a single raster)."""
    win = setup.win
    steps = [None] if not win.is_stack else list(range(win.values.shape[0]))
    results: dict[str, list[NDArray[np.float64]]] = {s: [] for s in setup.names}
    if "count" not in results:
        results["count"] = []  # the first step's counts tell which zones have no data
    for step in steps:  # time steps of a stack; the coverage and its plan are reused
        res = _one_step(setup, win.values if step is None else win.values[step])
        for s in results:
            results[s].append(res[s])
    return results


def _frame(
    results: dict[str, list[NDArray[np.float64]]], names: list[str], ids: pd.Index, win: Raster
) -> pd.DataFrame:
    """Build the output: a row per zone (or zone and step), a column per statistic."""
    if not win.is_stack:
        return pd.DataFrame({s: results[s][0] for s in names}, index=ids)
    assert win.times is not None
    index = pd.MultiIndex.from_product([ids, win.times], names=[ids.name, "time"])
    # (step, zone) arrays -> rows ordered by zone, then time
    return pd.DataFrame({s: np.stack(results[s]).T.reshape(-1) for s in names}, index=index)


def zonal_stats(
    zones: gpd.GeoDataFrame,
    raster: Raster,
    *,
    stats: Sequence[str] = ("count", "mean"),
    weights: Raster | None = None,
    weights_nodata: float | None = None,
    coverage: CoverageMode = "fraction",
    area_weighted: bool = False,
    id_column: str = "pcode",
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
        Names from :data:`STATISTICS` and ``percentile_<q>``, in output column order.
    weights
        A raster on exactly the same grid (e.g. WorldPop population) for
        ``weighted_mean``, ``weighted_sum`` and ``weights_nodata_frac``.
    weights_nodata
        Value given to cells where ``weights`` is nodata. None (default): those cells
        are left out of the weighted statistics only, and their share is reported as
        ``weights_nodata_frac`` (a zone is never made NaN by a few missing weights).
    coverage
        ``"fraction"`` (exactextract), ``"center"`` or ``"all_touched"`` (rasterstats);
        see the module docstring.
    area_weighted
        Multiply each cell's weight by its true area (km²); see the module docstring.
    id_column
        Column of ``zones`` that identifies each zone (the output index).

    Returns
    -------
    pandas.DataFrame
        One row per zone (index ``id_column``), or per zone and step (index
        ``(id_column, "time")``) for a stack; one float column per statistic. Zones with
        no data get count 0 and NaN statistics (and a :class:`NodataWarning`).

    Raises
    ------
    MissingCRSError, CRSMismatchError
        The raster has no CRS, or the zones are in another CRS.
    EmptyResultError
        No zone overlaps the raster.

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
    """
    names, ids = _check_inputs(
        zones, raster, stats, weights, coverage=coverage, id_column=id_column
    )
    geoms = zone_polygons(zones.geometry.array, ids)
    r0, r1, c0, c1 = _window(geoms, raster)
    win = raster.crop(r0, r1, c0, c1)
    wwin = weights.crop(r0, r1, c0, c1) if weights is not None else None
    setup = _prepare(
        geoms,
        win,
        wwin,
        names,
        mode=coverage,
        area_weighted=area_weighted,
        weights_nodata=weights_nodata,
    )
    results = _all_steps(setup)
    first_counts = results["count"][0] if results["count"] else np.zeros(len(ids))
    _warn_empty(ids, first_counts, raster)
    return _frame(results, names, ids, win)


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
