"""Zonal statistics: coverage-weighted (exactextract) or cell-centre/all-touched (rasterstats).

One call computes every statistic for every zone, for a single raster or every step of a
time stack. The cell coverage is computed a batch of nearby zones at a time, each batch
on its own window (``_zonal_setup``; a time stack is one batch, its coverage reused for
every step), in one vectorised pass per batch (:mod:`sahel_geo.analysis._coverage`), as
runs of whole cells along rows and boundary cells with their fraction, so peak memory
is a batch's, not all zones'; sums then cost one pass over the raster window (a block of rows at a
time: one ``numpy.add.reduceat`` over all runs) plus one gather of the boundary cells,
and order statistics (min, max, median, percentiles, majority) one sort of the covered
cells.

This module holds the public calls (:func:`zonal_stats`, :func:`zonal_cells`,
:func:`zone_polygons`) and their input checks; the rest is in private modules beside it:
the statistics and :class:`CellRules` (``_zonal_statistics``), the grids, windows and the
common grid of value and weights rasters (``_zonal_grids``), what every step of a stack
shares (``_zonal_setup``), the sums (``_zonal_sums``, over ``_zonal_kernels``), and the
statistics and table of the gathered cells (``_zonal_cells``, over ``_zonal_order``).

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
import warnings
from collections.abc import Sequence
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from sahel_geo.analysis._zonal_blocks import block_steps
from sahel_geo.analysis._zonal_cells import category_label, cell_table
from sahel_geo.analysis._zonal_grids import (
    cell_areas_km2,
    check_grid,
    nest_factors,
    rescale_to_cells,
    zones_window,
)
from sahel_geo.analysis._zonal_kernels import CoverageMode
from sahel_geo.analysis._zonal_setup import Setup, prepare
from sahel_geo.analysis._zonal_statistics import (
    STATISTICS,
    CellRules,
    Stat,
    UserStat,
    canonical_name,
    parse_stats,
)
from sahel_geo.analysis._zonal_sums import step_stats
from sahel_geo.core.deprecation import deprecated_keywords
from sahel_geo.core.errors import EmptyResultError, NodataWarning, SchemaError
from sahel_geo.core.progress import progress
from sahel_geo.core.raster import Raster, check_crs
from sahel_geo.io.rasters import RasterLike, as_raster

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


def _zone_ids(zones: gpd.GeoDataFrame, id_column: str) -> pd.Index:
    if id_column not in zones.columns:
        raise SchemaError(
            f"The zones have no {id_column!r} column (columns: {list(zones.columns)}). "
            "Pass id_column= naming the column that identifies each zone."
        )
    # (an Index's duplicated: Series.duplicated grows the process by ~4 MB the first time)
    index: pd.Index = pd.Index(zones[id_column].to_numpy(), name=id_column)
    bad = np.asarray(index.isna() | index.duplicated(keep=False))
    if bad.any():
        rows = np.flatnonzero(bad)[:10].tolist()
        raise SchemaError(
            f"Zone ids in column {id_column!r} must be unique and not missing; rows "
            f"{rows} (0-based) are missing or duplicated. Dissolve duplicates first "
            "(zones.dissolve(by=id_column)) or choose another id_column."
        )
    return index


def _one_step(setup: Setup, values: NDArray[np.generic]) -> dict[str, object]:
    """Compute every statistic of one raster (or one step of a stack), per zone."""
    if setup.fill is not None:  # nodata cells take the default value
        fill_value = float(setup.default_value) if setup.default_value is not None else 0.0
        values = np.where(setup.fill.valid_mask(values), values, fill_value)
    return step_stats(setup, values)  # a batch of zones at a time


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
    names, funcs = parse_stats(stats, weights)
    if not isinstance(zones, gpd.GeoDataFrame):
        raise SchemaError(f"zones must be a GeoDataFrame of polygons, got {type(zones).__name__}.")
    if len(zones) == 0:
        raise EmptyResultError(
            "The zones frame is empty (0 rows): there is nothing to compute. Check the filter "
            "or file that produced it."
        )
    ids = _zone_ids(zones, id_column)
    check_grid(raster)
    check_crs(zones.crs, raster)
    if weights is not None:
        check_crs(zones.crs, weights, what="zones")
        check_grid(weights)
        nest_factors(raster, weights)
        if weights.is_stack:
            raise SchemaError("The weights raster must be a single 2-D raster, not a stack.")
    return names, funcs, ids


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


def _all_steps(setup: Setup) -> list[dict[str, object]]:
    """Compute the statistics of every step of the window (one for a single raster).

    A lazy (dask) window is computed a block of time steps at a time
    (:func:`~sahel_geo.analysis._zonal_blocks.block_steps`), never whole.
    """
    win = setup.fill if setup.fill is not None else setup.win
    if win.is_lazy:
        return block_steps(win.values, lambda v: _one_step(setup, v), what=win.name or win.source)
    steps = [None] if not win.is_stack else list(range(win.values.shape[0]))
    # time steps of a stack; the coverage and its plan are reused
    shown = progress(steps, desc=f"zonal statistics of {win.name or 'the raster'}", unit="steps")
    return [_one_step(setup, win.values if k is None else win.values[k]) for k in shown]


def _column(res: dict[str, object], name: str) -> object:
    """One step's result for an output column (aliases read their statistic)."""
    return res[canonical_name(name)]


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
    raster: RasterLike,
    *,
    stats: Stat | Sequence[Stat] = ("count", "mean"),
    weights: RasterLike | None = None,
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
        :meth:`Raster.from_array`), a path to a GeoTIFF or NetCDF file (only the zones'
        window is read), an open rasterio dataset, or an ``xarray.DataArray``
        (rioxarray's, or with lat/lon coordinates); a time stack gives one row per zone
        and step. ``weights`` takes the same forms. Values may be dask-backed (a lazy
        ``Raster`` from ``open_raster(..., chunks=...)``, or a dask-backed DataArray):
        the zone plan is built once and the zones' window is computed a block of time
        steps at a time (whole dask chunks, up to 256 MB a block) with ``dask.compute``
        on the active scheduler (a running ``distributed.Client`` if there is one),
        never whole; the results are identical. Lazy weights are loaded (2-D).
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
    raster, weights = _rasters(zones, raster, weights)
    names, funcs, ids = _check_inputs(
        zones, raster, stats, weights, coverage=coverage, id_column=id_column
    )
    geoms = zone_polygons(zones.geometry.array, ids)
    r0, r1, c0, c1 = zones_window(geoms, raster)
    win = raster.crop(r0, r1, c0, c1)
    ks = nest_factors(raster, weights) if weights is not None else (1, 1, 1, 1)
    # weights on the values' grid: their window; on a nested grid: whole (prepare lays
    # the common grid batch by batch, on each batch's window only)
    wwin = weights.crop(r0, r1, c0, c1) if weights is not None and max(ks) == 1 else weights
    setup = prepare(
        geoms,
        win,
        wwin,
        (names, funcs),
        mode=coverage,
        area_weighted=area_weighted,
        rules=rules if rules is not None else CellRules(),
    )
    steps = _all_steps(setup)
    rescale_to_cells(steps, ks, area=area_weighted)
    _warn_empty(ids, np.asarray(steps[0]["count"]), raster)
    return _frame(steps, names, ids, win)


def _rasters(
    zones: gpd.GeoDataFrame, raster: RasterLike, weights: RasterLike | None
) -> tuple[Raster, Raster | None]:
    """Return the values and weights as Raster objects (files: the zones' window only)."""
    bounded = zones if isinstance(zones, gpd.GeoDataFrame) and len(zones) else None
    values = as_raster(raster, zones=bounded, what="raster")
    if weights is None:
        return values, None
    return values, as_raster(weights, zones=bounded, what="weights").load()  # 2-D: in memory


def zonal_cells(
    zones: gpd.GeoDataFrame,
    raster: RasterLike,
    *,
    weights: RasterLike | None = None,
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
        A single 2-D raster (for a time stack, pass one step), in any form
        :func:`zonal_stats` takes.
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
    raster, weights = _rasters(zones, raster, weights)
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
    r0, r1, c0, c1 = zones_window(geoms, raster)
    win = raster.crop(r0, r1, c0, c1).load()  # a lazy raster: the zones' window only
    wwin = weights.crop(r0, r1, c0, c1) if weights is not None else None
    setup = prepare(
        geoms,
        win,
        wwin,
        (["min"], {}),
        mode=coverage,
        area_weighted=False,
        rules=rules or CellRules(),
    )
    return cell_table(setup, ids, id_column=id_column, origin=(r0, c0), width=raster.shape[1])


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
