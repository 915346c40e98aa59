"""One event, one unit: assign each event to exactly one admin unit.

:func:`assign_admin` puts every event in exactly one unit of one admin level, or reports
it as unassigned, by rules that are documented here and deterministic (they do not
depend on row order):

``inside``
    The point is in the interior of exactly one unit.
``border``
    The point lies on the boundary of one or more units and in the interior of none
    (a shared border, a vertex). It goes to the touching unit of the event's own country
    (``country_iso3``) if exactly that rule picks one, else to the touching unit with
    the smallest ``pcode`` (string order).
``overlap``
    The point is in the interior of two or more units (boundaries from different
    producers overlap along these borders). Same rule: the unit of the event's own
    country first, then the smallest ``pcode``.
``snapped``
    The point is in no unit (coastline, border sliver, a gap between units, just outside
    the outer edge) but within ``tolerance_km`` of one: it goes to the nearest unit. The
    nearest point of each candidate unit is found in longitude/latitude and its distance
    is measured geodesically on the WGS84 ellipsoid (``adm{L}_snap_km``); ties go to the
    smallest ``pcode``.
``unassigned``
    Farther than ``tolerance_km`` from every unit, or no coordinates: ``pcode`` is null.
``coarsened``
    With ``coarse="coarsen"``: the event's location is coarser than the level (an admin-1
    centroid joined to admin-2 units); its ``pcode`` is null and ``parent_pcode`` holds
    the parent of the unit the point fell in.

How it is fast: a lookup grid (about one cell per event) is laid over the boundaries.
The cells a boundary crosses are found exactly (every cell each boundary segment passes
through); the others lie wholly inside exactly one unit, wholly inside several (an
overlap) or wholly outside all, so every point in them is resolved by one array lookup.
Only points in crossed cells (tested against the few units crossing or covering their
cell), in overlaps and off the grid go through exact shapely predicates on the
prepared polygons, cell by cell, split over threads for large inputs (the ``threads``
option; shapely releases the GIL, and the answers do not depend on the number of
threads). Snapping goes through a grid too (:mod:`._join_snap`): the boundaries' segments
are listed by cells as wide as the search radius, so only events with a boundary within
reach are measured, and only against the segments near them, never against whole
polygons; the nearest points follow GEOS's own formulas, so the distances are those of
``shapely.shortest_line`` to the polygons. There is no Python loop per event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from sahel_geo.analysis._join_columns import (
    MATCH_TYPES,
    check_boundaries,
    coarse_mask,
    drop_coarse,
    new_columns,
)
from sahel_geo.analysis._join_index import EXACT, OUTSIDE, GridIndex
from sahel_geo.analysis._join_snap import snap_to_segments
from sahel_geo.core import threads
from sahel_geo.core.arrays import run_starts
from sahel_geo.core.errors import SchemaError
from sahel_geo.core.options import get_option
from sahel_geo.core.reports import StepReport, attach_report, empty_rejects
from sahel_geo.core.threads import map_chunks
from sahel_geo.core.validation import check_geographic, point_xy_or_nan

__all__ = ["MATCH_TYPES", "assign_admin"]

logger = logging.getLogger(__name__)


def _contains_xy(
    geoms: NDArray[np.object_],
    unit: NDArray[np.intp],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
) -> NDArray[np.bool_]:
    """``shapely.contains_xy(geoms[unit], x, y)`` for prepared ``geoms``, in threads."""
    if threads.n_threads() > 1 and unit.size >= 2 * threads.MIN_CHUNK:
        # A prepared polygon builds its point index on first use: build each one here,
        # before threads share it.
        used = np.flatnonzero(np.bincount(unit, minlength=len(geoms)))
        box = shapely.bounds(geoms[used])
        shapely.contains_xy(geoms[used], box[:, 0], box[:, 1])
    return map_chunks(shapely.contains_xy, geoms[unit], x, y)


@dataclass(frozen=True)
class _Units:
    """The boundaries as arrays: polygons, pcodes with their rank (the tie-break), countries."""

    geoms: NDArray[np.object_]
    pcodes: NDArray[np.str_]
    pcode_rank: NDArray[np.intp]
    countries: pd.Index  # empty: the events or the units have no country_iso3
    unit_ccode: NDArray[np.intp]  # each unit's index in ``countries`` (-1: none)


@dataclass(frozen=True)
class _Points:
    """The events the lookup grid did not resolve (positions below are into these arrays).

    Events with coordinates in crossed cells, in overlaps, off the grid or outside every
    unit; ``rows`` are their rows in the events. Only these keep their coordinates,
    so the exact tests and snapping do not hold full-size arrays.
    """

    rows: NDArray[np.intp]  # each point's row in the events
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    code: NDArray[np.int32]  # the lookup grid's code of each point (all <= 0)
    country: pd.Series | None  # the events' country_iso3, when the country rule applies


@dataclass(frozen=True)
class _Assigned:
    """Events that one rule gives a unit: their rows, units, match code and distance."""

    rows: NDArray[np.intp]
    unit: NDArray[np.intp]
    match: int
    km: NDArray[np.float64] | float


def _units(boundaries: gpd.GeoDataFrame, events: gpd.GeoDataFrame) -> _Units:
    """Return the units' arrays: polygons, pcodes, pcode ranks and country codes."""
    # copies: the join prepares them, and the caller's may be shared between threads
    geoms = threads.private_geometries(boundaries.geometry.to_numpy())
    pcodes = boundaries["pcode"].astype(str).to_numpy()
    # Rank of each unit's pcode in string order: the deterministic tie-break.
    pcode_rank = np.empty(len(pcodes), dtype=np.intp)
    pcode_rank[np.argsort(pcodes, kind="stable")] = np.arange(len(pcodes))
    # Countries as integer codes: the unit's, and later each candidate event's.
    if "country_iso3" in boundaries.columns and "country_iso3" in events.columns:
        unit_ccode, countries = pd.factorize(boundaries["country_iso3"].astype(object))
    else:
        unit_ccode, countries = np.full(len(geoms), -1), pd.Index([], dtype=object)
    return _Units(
        geoms=geoms,
        pcodes=pcodes,
        pcode_rank=pcode_rank,
        countries=pd.Index(countries, dtype=object),
        unit_ccode=unit_ccode,
    )


def _country_match(
    points: _Points, units: _Units, ev_rows: NDArray[np.intp], pair_units: NDArray[np.intp]
) -> NDArray[np.bool_]:
    """Return whether each (event, unit) pair's unit is in the event's own country."""
    if points.country is None:
        return np.zeros(ev_rows.size, dtype=bool)
    countries = points.country.iloc[points.rows[ev_rows]]
    ev_ccode = units.countries.get_indexer(pd.Index(countries, dtype=object))
    return np.asarray((units.unit_ccode[pair_units] == ev_ccode) & (ev_ccode >= 0))


def _candidate_pairs(
    index: GridIndex, points: _Points, geoms: NDArray[np.object_]
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    """Return the events the grid could not resolve and their (event, candidate unit) pairs.

    Events in crossed cells take their cell's candidate units, events in overlaps or off
    the grid the units whose boxes hold them (an STRtree). Returns ``cand_rows`` (those
    events), ``local`` (each pair's position in ``cand_rows``) and ``unit_all``.
    """
    code = points.code
    crossed = np.flatnonzero(code <= -2)
    # cell by cell: neighbouring events then test the same polygons one after another,
    # which keeps their indexes in the CPU cache (about a fifth faster)
    crossed = crossed[np.argsort(code[crossed], kind="stable")]
    pos, cand = index.candidates((-code[crossed] - 2).astype(np.intp))
    fallback = np.flatnonzero(code == EXACT)
    if fallback.size:
        tree = shapely.STRtree(geoms)
        pi, gi = tree.query(shapely.points(points.x[fallback], points.y[fallback]))
        pos = np.concatenate((pos, crossed.size + pi))
        cand = np.concatenate((cand, gi))
    # cand_rows[local] is the event of each (event, candidate unit) pair
    cand_rows = np.concatenate((crossed, fallback))
    return cand_rows, pos.astype(np.intp), cand.astype(np.intp)


def _exact(
    index: GridIndex, points: _Points, units: _Units
) -> tuple[list[_Assigned], NDArray[np.intp]]:
    """Resolve the events the grid could not; return them and the points outside every unit.

    The events found are given by their rows, the points outside by their positions in
    ``points``.

    Exact predicates on the prepared polygons for the candidate pairs of
    :func:`_candidate_pairs`: in the interior of one unit (inside), of several (overlap),
    on the boundary of some and in no interior (border).
    """
    geoms, x, y = units.geoms, points.x, points.y
    cand_rows, local, unit_all = _candidate_pairs(index, points, geoms)
    rows_all = cand_rows[local]
    outside = np.flatnonzero(points.code == OUTSIDE)
    if not cand_rows.size:
        return [], outside
    shapely.prepare(geoms)
    interior = _contains_xy(geoms, unit_all, x[rows_all], y[rows_all])
    n_interior = np.bincount(local[interior], minlength=cand_rows.size)
    # in the interior of one unit (inside) or of several (overlap)
    one = np.flatnonzero(interior)
    several = one[n_interior[local[one]] > 1]
    one = one[n_interior[local[one]] == 1]
    rows = points.rows  # events' rows of the positions
    inside = MATCH_TYPES.index("inside")
    found = [_Assigned(rows[cand_rows[local[one]]], unit_all[one], inside, 0.0)]
    country = _country_match(points, units, rows_all[several], unit_all[several])
    p_first, g_first = _pick(local[several], unit_all[several], country, units.pcode_rank)
    found.append(_Assigned(rows[cand_rows[p_first]], g_first, MATCH_TYPES.index("overlap"), 0.0))
    # on a boundary, in no interior (border)
    sel = np.flatnonzero(n_interior[local] == 0)
    touch = shapely.intersects_xy(geoms[unit_all[sel]], x[rows_all[sel]], y[rows_all[sel]])
    sel = sel[touch]
    country = _country_match(points, units, rows_all[sel], unit_all[sel])
    p_first, g_first = _pick(local[sel], unit_all[sel], country, units.pcode_rank)
    found.append(_Assigned(rows[cand_rows[p_first]], g_first, MATCH_TYPES.index("border"), 0.0))
    n_touch = np.bincount(local[sel], minlength=cand_rows.size)
    # disjoint sets of rows (outside cells; crossed cells and overlaps): no union needed
    outside = np.sort(np.concatenate((outside, cand_rows[(n_interior == 0) & (n_touch == 0)])))
    return found, outside


def _pick(
    point_idx: NDArray[np.intp],
    poly_idx: NDArray[np.intp],
    country_match: NDArray[np.bool_],
    pcode_rank: NDArray[np.intp],
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """For each point, its candidate unit of the event's country first, then smallest pcode."""
    order = np.lexsort((pcode_rank[poly_idx], ~country_match, point_idx))
    p_sorted = point_idx[order]
    first = run_starts(p_sorted)
    return p_sorted[first], poly_idx[order][first]


def _check_args(
    events: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    coarse: str,
    tolerance_km: float | None,
) -> float:
    """Check the arguments' types, options and CRSs; return the snapping tolerance (km)."""
    if not isinstance(events, gpd.GeoDataFrame):
        raise SchemaError(
            f"events must be a GeoDataFrame, got {type(events).__name__}; read them with "
            "sahel_geo.read_acled/read_ucdp/read_events."
        )
    if not isinstance(boundaries, gpd.GeoDataFrame):
        raise SchemaError(
            f"boundaries must be a GeoDataFrame, got {type(boundaries).__name__}; load them "
            "with sahel_geo.load_boundaries() or sahel_geo.read_boundaries()."
        )
    if coarse not in ("keep", "drop", "coarsen"):
        raise SchemaError(f"coarse must be 'keep', 'drop' or 'coarsen'; got {coarse!r}.")
    tol = float(get_option("snap_tolerance_km") if tolerance_km is None else tolerance_km)
    if not tol >= 0:
        raise SchemaError(f"tolerance_km must be a number >= 0; got {tolerance_km!r}.")
    check_geographic(events, what="events")
    check_geographic(boundaries, what="boundaries")
    return tol


def _check_no_clash(events: gpd.GeoDataFrame, prefix: str, level: int) -> None:
    """Refuse events that already have this level's output columns."""
    new_cols = [prefix + s for s in ("pcode", "name", "parent_pcode", "match", "snap_km")]
    new_cols.append(prefix + "coarse")
    clash = [c for c in new_cols if c in events.columns]
    if clash:
        raise SchemaError(
            f"events already have column(s) {clash} from an earlier assign_admin at admin "
            f"level {level}; drop them first: events.drop(columns={clash})."
        )


def _locate(
    events: gpd.GeoDataFrame, units: _Units, tol: float
) -> tuple[NDArray[np.int32], NDArray[np.int8], NDArray[np.float64], NDArray[np.bool_], str]:
    """Return each event's unit, match code, snap distance, point or not, and a grid note.

    Unit -1 means none. The lookup grid first; exact predicates for points in crossed
    cells, in overlaps and off the grid; then snapping of the points outside every unit.
    """
    n = len(events)
    # About one grid cell per event (a finer grid pays off only for many events), up to
    # the join_index_cells option. Built before the coordinates are read: less memory.
    cells = min(int(get_option("join_index_cells")), max(250_000, n))
    index = GridIndex(units.geoms, cells)
    x, y = point_xy_or_nan(
        events.geometry.to_numpy(),
        what="events",
        hint="assign_admin takes point events (use the centroid of other shapes, e.g. "
        "events.centroid).",
    )
    usable = np.isfinite(x) & np.isfinite(y)
    code = index.lookup(x, y)
    code[~usable] = OUTSIDE  # no coordinates: unassigned, never sent to the predicates
    n_direct = int(np.count_nonzero(code > 0))
    # the events the grid did not resolve keep their coordinates, the others drop them
    todo = np.flatnonzero(usable & (code <= 0))
    country = events["country_iso3"] if len(units.countries) else None
    points = _Points(rows=todo, x=x[todo], y=y[todo], code=code[todo], country=country)
    del x, y
    found, outside = _exact(index, points, units)
    if outside.size and tol > 0:
        found.extend(_snap(points, units, outside, tol))
    del points
    unit, match, snap_km = _answers(code, found)
    grid_note = (
        f"lookup grid {index.nx}x{index.ny} resolved "
        f"{100.0 * n_direct / max(n, 1):.1f}% of events directly"
    )
    return unit, match, snap_km, usable, grid_note


def _answers(
    code: NDArray[np.int32], found: list[_Assigned]
) -> tuple[NDArray[np.int32], NDArray[np.int8], NDArray[np.float64]]:
    """Return each event's unit (-1: none), match code and snap distance.

    From the lookup codes (consumed: the units are written over them) and the events the
    exact rules and snapping resolved.
    """
    direct = code > 0
    unit = code
    unit -= 1
    np.maximum(unit, -1, out=unit)
    match = np.full(len(code), MATCH_TYPES.index("unassigned"), dtype=np.int8)
    match[direct] = MATCH_TYPES.index("inside")
    snap_km = np.full(len(code), np.nan)
    snap_km[direct] = 0.0
    for f in found:  # the rules' events are disjoint
        unit[f.rows] = f.unit
        match[f.rows] = f.match
        snap_km[f.rows] = f.km
    return unit, match, snap_km


def assign_admin(
    events: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    tolerance_km: float | None = None,
    coarse: Literal["keep", "drop", "coarsen"] = "keep",
) -> gpd.GeoDataFrame:
    """Assign each event to exactly one admin unit of the boundaries' level.

    The rules (inside, border, overlap, snapped, unassigned, coarsened) are in the
    module docstring of :mod:`sahel_geo.analysis.join`. No event is duplicated; none is dropped
    unless ``coarse="drop"`` asks for it, and then it is listed with its reason in the
    step's rejects (:func:`sahel_geo.rejects`).

    Parameters
    ----------
    events
        Events in EPSG:4326 with Point geometry (e.g. from :func:`sahel_geo.read_acled`).
        ``country_iso3`` (optional) is used to resolve borders and overlaps;
        ``location_level`` (optional; absent means ``"point"``) flags events coarser than
        the level.
    boundaries
        Canonical boundaries of ONE admin level in EPSG:4326 (``pcode``, ``name``,
        ``admin_level``; ``parent_pcode`` and ``country_iso3`` used when present).
    tolerance_km
        Snapping tolerance for events outside every unit, geodesic km. Default: the
        ``snap_tolerance_km`` option (5 km).
    coarse
        What to do with events whose location is coarser than the level: ``"keep"``
        (assign by their coordinates, flag them), ``"drop"`` (remove them, listed in the
        rejects) or ``"coarsen"`` (no unit at this level; the parent unit is kept).

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame: the events (minus dropped ones) with ``adm{L}_pcode``,
        ``adm{L}_name``, ``adm{L}_parent_pcode``, ``adm{L}_match`` (one of
        :data:`MATCH_TYPES`), ``adm{L}_snap_km`` (0 for events in a unit, the geodesic
        distance for snapped ones, NaN when unassigned) and ``adm{L}_coarse`` (bool).
        Its :func:`sahel_geo.reports` gain a step report with the counts of each match,
        and of the unassigned events by reason: ``unassigned_no_location`` (missing,
        empty or NaN geometry: no point to place, as ``geopandas.sjoin`` leaves them
        unmatched) and ``unassigned_beyond_tolerance``.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> events = sg.demo_events(n=200, seed=3)
    >>> adm1 = sg.load_boundaries(level=1)
    >>> joined = sg.assign_admin(events, adm1)
    >>> int(joined["adm1_match"].isin(["inside", "border", "overlap", "snapped"]).sum()) > 0
    True
    """
    from sahel_geo.core.compat import is_dask_collection  # dask dispatch (issue 13)

    if is_dask_collection(events):  # the same rules, partition by partition
        from sahel_geo.analysis.partitioned import assign_admin_partitioned

        return assign_admin_partitioned(
            events, boundaries, tolerance_km=tolerance_km, coarse=coarse
        )
    tol = _check_args(events, boundaries, coarse, tolerance_km)
    level = check_boundaries(boundaries)
    prefix = f"adm{level}_"
    _check_no_clash(events, prefix, level)
    units = _units(boundaries, events)
    unit, match, snap_km, usable, grid_note = _locate(events, units, tol)
    is_coarse = coarse_mask(events, level)
    counts = [np.count_nonzero(match == k) for k in range(len(MATCH_TYPES))]
    notes: dict[str, int] = {f"match_{m}": int(c) for m, c in zip(MATCH_TYPES, counts, strict=True)}
    unassigned = match == MATCH_TYPES.index("unassigned")
    # why: no point to place (missing, empty or NaN geometry) or no unit within tolerance
    notes["unassigned_no_location"] = int(np.count_nonzero(unassigned & ~usable))
    notes["unassigned_beyond_tolerance"] = int(np.count_nonzero(unassigned & usable))
    notes["coarse_events"] = int(is_coarse.sum())
    columns, n_coarsened = new_columns(
        boundaries, units.pcodes, unit, match, is_coarse, coarsen=coarse == "coarsen"
    )
    if coarse == "coarsen":
        notes["coarsened"] = n_coarsened
    out = events.copy(deep=False)
    for name, column in columns.items():
        out[prefix + name] = column
    out[prefix + "snap_km"] = snap_km
    out[prefix + "coarse"] = is_coarse
    rejected = empty_rejects()
    if coarse == "drop" and is_coarse.any():
        out, rejected = drop_coarse(out, is_coarse, level)
        notes["dropped_coarse"] = int(is_coarse.sum())
    report = StepReport(
        step=f"assign_admin[adm{level}]",
        source=f"{len(boundaries)} units at admin level {level}",
        n_in=len(events),
        n_kept=len(out),
        rejects=rejected,
        notes=notes,
    )
    attach_report(out, report)
    logger.info("%s (%s)", report.summary(), grid_note)
    return out


def _snap(points: _Points, units: _Units, rows: NDArray[np.intp], tol_km: float) -> list[_Assigned]:
    """Snap the points at positions ``rows``, outside every unit, to the nearest unit.

    Measured against boundary segments near each point (:mod:`._join_snap`). Returns the
    snapped events (an empty list when none is within reach).
    """
    found = snap_to_segments(points.x[rows], points.y[rows], units.geoms, tol_km, units.pcode_rank)
    if not found.pos.size:
        return []
    snapped = MATCH_TYPES.index("snapped")
    return [_Assigned(points.rows[rows[found.pos]], found.unit, snapped, found.km)]
