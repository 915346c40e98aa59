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
threads). There is no Python loop per event.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from sahel_geo.analysis._join_index import EXACT as _EXACT
from sahel_geo.analysis._join_index import OUTSIDE as _OUTSIDE
from sahel_geo.analysis._join_index import GridIndex as _GridIndex
from sahel_geo.core import threads
from sahel_geo.core.errors import SchemaError
from sahel_geo.core.geodesy import geodesic_km
from sahel_geo.core.options import get_option
from sahel_geo.core.reports import StepReport, attach_report
from sahel_geo.core.schema import LOCATION_LEVEL_RANK
from sahel_geo.core.threads import map_chunks
from sahel_geo.core.validation import check_geographic

__all__ = ["MATCH_TYPES", "assign_admin"]

logger = logging.getLogger(__name__)

#: The values of the ``adm{L}_match`` column, in the order of the rules above.
MATCH_TYPES: tuple[str, ...] = (
    "inside",
    "border",
    "overlap",
    "snapped",
    "unassigned",
    "coarsened",
)

_KM_PER_DEG = 111.32  # equatorial km per degree: only used to size search windows


def _check_boundaries(boundaries: gpd.GeoDataFrame) -> int:
    problems = []
    missing = [c for c in ("pcode", "name", "admin_level") if c not in boundaries.columns]
    if missing:
        problems.append(
            f"missing column(s) {missing} (found: {list(boundaries.columns)}); read the file "
            "with sahel_geo.read_boundaries() to map it onto the canonical schema"
        )
        raise SchemaError("Boundaries: " + "; ".join(problems) + ".")
    if boundaries.empty:
        raise SchemaError("Boundaries: the table is empty; there is nothing to assign to.")
    levels = pd.unique(boundaries["admin_level"])
    if len(levels) != 1:
        problems.append(
            f"several admin levels {sorted(int(v) for v in levels)}; pass one level at a time, "
            "e.g. boundaries[boundaries.admin_level == 1]"
        )
    pcodes = boundaries["pcode"]
    if pcodes.isna().any():
        rows = np.flatnonzero(pcodes.isna().to_numpy())[:10].tolist()
        problems.append(f"null pcode in row(s) {rows}")
    dup = pcodes[pcodes.duplicated(keep=False) & pcodes.notna()]
    if not dup.empty:
        problems.append(f"duplicate pcode(s) {sorted(set(dup.astype(str)))[:10]}")
    geoms = boundaries.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    bad = np.flatnonzero(~np.isin(kinds, (3, 6)) | shapely.is_empty(geoms))
    if bad.size:
        problems.append(
            f"row(s) {bad[:10].tolist()} are not (non-empty) Polygon/MultiPolygon geometries"
        )
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if invalid.size:
        problems.append(
            f"row(s) {invalid[:10].tolist()} have invalid geometries; repair them with "
            "sahel_geo.read_boundaries() or 'boundaries.make_valid()'"
        )
    if problems:
        raise SchemaError("Boundaries: " + "; ".join(problems) + ".")
    return int(levels[0])


def _categories(values: NDArray[np.object_]) -> tuple[pd.Index, NDArray[np.intp]]:
    """Return the unique non-null values (sorted) and the code of each value (-1: null)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), sort=True)
    return pd.Index(uniques, dtype=object), codes.astype(np.intp)


def _point_xy(pts: NDArray[np.object_]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the x and y of each point; NaN for missing or empty points.

    Raises SchemaError naming the rows whose geometry is not a Point.
    """
    try:
        # NaN for missing and non-points
        x, y = map_chunks(shapely.get_x, pts), map_chunks(shapely.get_y, pts)
    except shapely.errors.GEOSException:  # an empty point has no x: leave those out
        has_xy = ~shapely.is_empty(pts)
        x, y = np.full(len(pts), np.nan), np.full(len(pts), np.nan)
        x[has_xy], y[has_xy] = shapely.get_x(pts[has_xy]), shapely.get_y(pts[has_xy])
    no_xy = np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))
    kinds = shapely.get_type_id(pts[no_xy])
    bad = no_xy[(kinds != 0) & (kinds != -1)]  # -1: missing geometry
    if bad.size:
        raise SchemaError(
            f"events: row(s) {bad[:10].tolist()} have a geometry that is not a Point; "
            "assign_admin takes point events (use the centroid of other shapes, e.g. "
            "events.centroid)."
        )
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


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


def _exact(
    index: _GridIndex,
    code: NDArray[np.int32],
    usable: NDArray[np.bool_],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    geoms: NDArray[np.object_],
    country: tuple[pd.Series | None, pd.Index, NDArray[np.intp]],
    pcode_rank: NDArray[np.intp],
    unit: NDArray[np.int32],
    match: NDArray[np.int8],
    snap_km: NDArray[np.float64],
) -> NDArray[np.intp]:
    """Resolve events the grid could not (in place); return those outside every unit.

    Events in crossed cells are tested against their cell's candidate units, events in
    overlaps or off the grid against the units whose boxes hold them (an STRtree).
    """
    ev_country, countries, unit_ccode = country
    crossed = np.flatnonzero(code <= -2)
    # cell by cell: neighbouring events then test the same polygons one after another,
    # which keeps their indexes in the CPU cache (about a fifth faster)
    crossed = crossed[np.argsort(code[crossed], kind="stable")]
    pos, cand = index.candidates((-code[crossed] - 2).astype(np.intp))
    fallback = np.flatnonzero(usable & (code == _EXACT))
    if fallback.size:
        tree = shapely.STRtree(geoms)
        pi, gi = tree.query(shapely.points(x[fallback], y[fallback]))
        pos = np.concatenate((pos, crossed.size + pi))
        cand = np.concatenate((cand, gi))
    # cand_rows[local] is the event of each (event, candidate unit) pair
    cand_rows = np.concatenate((crossed, fallback))
    local, unit_all = pos.astype(np.intp), cand.astype(np.intp)
    rows_all = cand_rows[local]
    outside = np.flatnonzero(usable & (code == _OUTSIDE))
    if cand_rows.size:
        shapely.prepare(geoms)
        interior = _contains_xy(geoms, unit_all, x[rows_all], y[rows_all])
        n_interior = np.bincount(local[interior], minlength=cand_rows.size)

        def cmatch(pairs: NDArray[np.intp]) -> NDArray[np.bool_]:
            """Whether each of these pairs' unit is in the event's own country."""
            if ev_country is None:
                return np.zeros(pairs.size, dtype=bool)
            ev_rows = rows_all[pairs]
            ev_ccode = countries.get_indexer(pd.Index(ev_country.iloc[ev_rows], dtype=object))
            return np.asarray((unit_ccode[unit_all[pairs]] == ev_ccode) & (ev_ccode >= 0))

        # in the interior of one unit (inside) or of several (overlap)
        one = np.flatnonzero(interior)
        several = one[n_interior[local[one]] > 1]
        one = one[n_interior[local[one]] == 1]
        rows = cand_rows[local[one]]
        unit[rows] = unit_all[one]
        match[rows] = MATCH_TYPES.index("inside")
        snap_km[rows] = 0.0
        p_first, g_first = _pick(local[several], unit_all[several], cmatch(several), pcode_rank)
        rows = cand_rows[p_first]
        unit[rows] = g_first
        match[rows] = MATCH_TYPES.index("overlap")
        snap_km[rows] = 0.0
        # on a boundary, in no interior (border)
        sel = np.flatnonzero(n_interior[local] == 0)
        touch = shapely.intersects_xy(geoms[unit_all[sel]], x[rows_all[sel]], y[rows_all[sel]])
        sel = sel[touch]
        p_first, g_first = _pick(local[sel], unit_all[sel], cmatch(sel), pcode_rank)
        rows = cand_rows[p_first]
        unit[rows] = g_first
        match[rows] = MATCH_TYPES.index("border")
        snap_km[rows] = 0.0
        n_touch = np.bincount(local[sel], minlength=cand_rows.size)
        outside = np.union1d(outside, cand_rows[(n_interior == 0) & (n_touch == 0)])

    return outside


def _codes_of_units(code_of_unit: NDArray[np.intp], unit: NDArray[np.int32]) -> NDArray[Any]:
    """Categorical codes per event from each unit's code (-1 for no unit), compact dtype."""
    top = int(code_of_unit.max(initial=0))
    dtype = np.int8 if top < 127 else np.int16 if top < 32_767 else np.int32
    return np.append(code_of_unit, -1).astype(dtype)[unit]  # unit -1 picks the -1


def _pick(
    point_idx: NDArray[np.intp],
    poly_idx: NDArray[np.intp],
    country_match: NDArray[np.bool_],
    pcode_rank: NDArray[np.intp],
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """For each point, its candidate unit of the event's country first, then smallest pcode."""
    order = np.lexsort((pcode_rank[poly_idx], ~country_match, point_idx))
    p_sorted = point_idx[order]
    first = np.ones(p_sorted.shape, dtype=bool)
    first[1:] = p_sorted[1:] != p_sorted[:-1]
    return p_sorted[first], poly_idx[order][first]


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
        Its :func:`sahel_geo.reports` gain a step report with the counts of each match.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> events = sg.demo_events(n=200, seed=3)
    >>> adm1 = sg.load_boundaries(level=1)
    >>> joined = sg.assign_admin(events, adm1)
    >>> int(joined["adm1_match"].isin(["inside", "border", "overlap", "snapped"]).sum()) > 0
    True
    """
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
    level = _check_boundaries(boundaries)
    prefix = f"adm{level}_"
    new_cols = [prefix + s for s in ("pcode", "name", "parent_pcode", "match", "snap_km")]
    new_cols.append(prefix + "coarse")
    clash = [c for c in new_cols if c in events.columns]
    if clash:
        raise SchemaError(
            f"events already have column(s) {clash} from an earlier assign_admin at admin "
            f"level {level}; drop them first: events.drop(columns={clash})."
        )

    geoms = np.asarray(boundaries.geometry.to_numpy(), dtype=object)
    pcodes = boundaries["pcode"].astype(str).to_numpy()
    # Rank of each unit's pcode in string order: the deterministic tie-break.
    pcode_rank = np.empty(len(pcodes), dtype=np.intp)
    pcode_rank[np.argsort(pcodes, kind="stable")] = np.arange(len(pcodes))
    # Countries as integer codes: the unit's, and later each candidate event's.
    if "country_iso3" in boundaries.columns and "country_iso3" in events.columns:
        unit_ccode, countries = pd.factorize(boundaries["country_iso3"].astype(object))
    else:
        unit_ccode, countries = np.full(len(geoms), -1), pd.Index([], dtype=object)
    countries = pd.Index(countries, dtype=object)

    n = len(events)
    x, y = _point_xy(events.geometry.to_numpy())
    usable = np.isfinite(x) & np.isfinite(y)

    # About one grid cell per event (a finer grid pays off only for many events), up to
    # the join_index_cells option.
    cells = min(int(get_option("join_index_cells")), max(250_000, int(usable.sum())))
    index = _GridIndex(geoms, cells)
    code = index.lookup(x, y)
    code[~usable] = _OUTSIDE  # no coordinates: unassigned, never sent to the predicates
    direct = code > 0
    # unit index per event, -1 = none; match code per event (index into MATCH_TYPES)
    unit = code - 1
    np.maximum(unit, -1, out=unit)
    match = np.where(
        direct, np.int8(MATCH_TYPES.index("inside")), np.int8(MATCH_TYPES.index("unassigned"))
    )
    snap_km = np.where(direct, 0.0, np.nan)

    # Exact predicates for points in crossed cells (candidates from the grid), in
    # overlaps and off the grid (candidates from an STRtree of the units' boxes).
    ev_country = events["country_iso3"] if len(countries) else None
    outside = _exact(
        index, code, usable, x, y, geoms, (ev_country, countries, unit_ccode), pcode_rank,
        unit, match, snap_km,
    )  # fmt: skip
    if outside.size and tol > 0:
        _snap(outside, x, y, geoms, pcode_rank, tol, unit, match, snap_km)
    grid_note = (
        f"lookup grid {index.nx}x{index.ny} resolved "
        f"{100.0 * np.count_nonzero(direct) / max(n, 1):.1f}% of events directly"
    )
    del x, y, code, usable, direct, index  # before the output columns: a lower peak

    # Coarse events: location known only to a level coarser than the boundaries'
    if "location_level" in events.columns:
        codes, uniques = pd.factorize(events["location_level"])
        unknown = [v for v in uniques if v not in LOCATION_LEVEL_RANK]
        if unknown:
            raise SchemaError(
                f"events column 'location_level' has unknown value(s) {unknown[:5]}; "
                f"expected one of {list(LOCATION_LEVEL_RANK)} or null."
            )
        rank_of = np.array([LOCATION_LEVEL_RANK.get(v, 99) for v in uniques] + [99])
        rank = rank_of[codes]  # code -1 (null) takes the last entry: a point
        is_coarse = rank < level
    else:
        is_coarse = np.zeros(n, dtype=bool)

    parent = (
        boundaries["parent_pcode"].astype(object).to_numpy()
        if "parent_pcode" in boundaries.columns
        else np.full(len(geoms), None, dtype=object)
    )
    names = boundaries["name"].astype(object).to_numpy()
    has_unit = unit >= 0
    # Categorical columns built from codes: no per-event string work, little memory.
    pcode_codes = unit.copy() if coarse == "coarsen" else unit
    name_cats, name_of_unit = _categories(names)
    parent_cats, parent_of_unit = _categories(parent)
    name_codes = _codes_of_units(name_of_unit, unit)
    parent_codes = _codes_of_units(parent_of_unit, unit)
    counts = [np.count_nonzero(match == k) for k in range(len(MATCH_TYPES))]
    notes: dict[str, int] = {f"match_{m}": int(c) for m, c in zip(MATCH_TYPES, counts, strict=True)}
    notes["coarse_events"] = int(is_coarse.sum())

    if coarse == "coarsen":
        to_parent = is_coarse & has_unit
        pcode_codes[to_parent] = -1
        name_codes[to_parent] = -1
        match[to_parent] = MATCH_TYPES.index("coarsened")
        notes["coarsened"] = int(to_parent.sum())

    out = events.copy(deep=False)
    out[prefix + "pcode"] = pd.Categorical.from_codes(pcode_codes, categories=pd.Index(pcodes))
    out[prefix + "name"] = pd.Categorical.from_codes(name_codes, categories=name_cats)
    out[prefix + "parent_pcode"] = pd.Categorical.from_codes(parent_codes, categories=parent_cats)
    out[prefix + "match"] = pd.Categorical.from_codes(match, categories=pd.Index(MATCH_TYPES))
    out[prefix + "snap_km"] = snap_km
    out[prefix + "coarse"] = is_coarse

    rejected = pd.DataFrame({"row": [], "reason": [], "column": []}, dtype=object)
    if coarse == "drop" and is_coarse.any():
        dropped = out.loc[is_coarse]
        reasons = (
            "location known only to "
            + dropped["location_level"].astype(str)
            + f" level, coarser than admin {level}; dropped as asked (coarse='drop')"
        )
        rejected = pd.concat(
            [
                pd.DataFrame(
                    {"row": dropped.index, "reason": reasons.to_numpy(), "column": "location_level"}
                ),
                pd.DataFrame(dropped.drop(columns=dropped.geometry.name)).reset_index(drop=True),
            ],
            axis=1,
        )
        out = out.loc[~is_coarse]
        notes["dropped_coarse"] = int(is_coarse.sum())

    report = StepReport(
        step=f"assign_admin[adm{level}]",
        source=f"{len(boundaries)} units at admin level {level}",
        n_in=n,
        n_kept=len(out),
        rejects=rejected,
        notes=notes,
    )
    attach_report(out, report)
    logger.info("%s (%s)", report.summary(), grid_note)
    return out


def _snap(
    rows: NDArray[np.intp],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    geoms: NDArray[np.object_],
    pcode_rank: NDArray[np.intp],
    tol_km: float,
    unit: NDArray[np.int32],
    match: NDArray[np.int8],
    snap_km: NDArray[np.float64],
) -> None:
    """Snap points outside every unit to the nearest unit within ``tol_km`` (in place)."""
    px, py = x[rows], y[rows]
    pts = np.asarray(shapely.points(px, py), dtype=object)
    # Search radius in degrees: generous in longitude (degrees shrink with latitude).
    coslat = np.clip(
        np.cos(np.radians(np.minimum(np.abs(py) + tol_km / _KM_PER_DEG, 89.0))), 0.01, 1
    )
    radius = 1.05 * tol_km / (_KM_PER_DEG * coslat)
    tree = shapely.STRtree(geoms)
    pi, gi = tree.query(pts, predicate="dwithin", distance=radius)
    if pi.size == 0:
        return
    lines = shapely.shortest_line(geoms[gi], pts[pi])
    near = shapely.get_coordinates(shapely.get_point(lines, 0))
    dist_km = geodesic_km(px[pi], py[pi], near[:, 0], near[:, 1])
    ok = dist_km <= tol_km
    pi, gi, dist_km = pi[ok], gi[ok], dist_km[ok]
    if pi.size == 0:
        return
    order = np.lexsort((pcode_rank[gi], dist_km, pi))
    p_sorted = pi[order]
    first = np.ones(p_sorted.shape, dtype=bool)
    first[1:] = p_sorted[1:] != p_sorted[:-1]
    chosen = rows[p_sorted[first]]
    unit[chosen] = gi[order][first]
    match[chosen] = MATCH_TYPES.index("snapped")
    snap_km[chosen] = dist_km[order][first]
