"""Snapping for :func:`sahel_geo.assign_admin`: nearest unit within a tolerance, by segments.

An event outside every unit goes to the nearest unit within the tolerance (see
:mod:`sahel_geo.analysis.join`). The nearest point of each candidate unit is found in
longitude/latitude and its distance measured geodesically. Here the candidates come from
a grid of boundary segments whose cells are at least as wide as the widest search
radius: the segments within an event's radius lie in the 3 x 3 cells around it, so
only events with a boundary in reach are measured, and only against those segments,
never against whole polygons.

The planar distances and nearest points follow GEOS's own formulas
(``Distance::pointToSegment``, ``LineSegment::closestPoint``, the first segment of least
distance in ring order, as ``DistanceOp`` walks them), so the nearest points, and hence
the geodesic distances, are those of ``shapely.shortest_line`` to the whole polygon: the
method this module replaces (tests compare the two).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from sahel_geo.core.arrays import ranges, run_starts
from sahel_geo.core.geodesy import geodesic_km
from sahel_geo.core.progress import progress
from sahel_geo.core.threads import map_chunks

__all__ = ["KM_PER_DEG", "SegmentGrid", "Snapped", "search_radius_deg", "snap_to_segments"]

#: Equatorial km per degree: only used to size search windows.
KM_PER_DEG = 111.32
_MAX_CELLS = 4_000_000  # the segment grid's cells at most (a tiny tolerance)
_MIN_GEODESICS = 10_000  # geodesic distances per thread at least
_PAIRS_PER_BLOCK = 1 << 16
_SEGMENTS_PER_BLOCK = 1 << 13  # (event, segment) pairs measured at once: bounded memory


def search_radius_deg(y: NDArray[np.float64], tol_km: float) -> NDArray[np.float64]:
    """Return the search radius in degrees of each event at latitude ``y`` (generous)."""
    # generous in longitude: degrees shrink with latitude
    coslat = np.clip(np.cos(np.radians(np.minimum(np.abs(y) + tol_km / KM_PER_DEG, 89.0))), 0.01, 1)
    return np.asarray(1.05 * tol_km / (KM_PER_DEG * coslat), dtype=np.float64)


@dataclass(frozen=True)
class Snapped:
    """Events snapped to a unit: their positions in the query, units and distances (km)."""

    pos: NDArray[np.intp]
    unit: NDArray[np.intp]
    km: NDArray[np.float64]


class SegmentGrid:
    """The units' boundary segments, binned on a grid of square cells of side ``cell``.

    Segment ``s`` runs from ``(ax[s], ay[s])`` to ``(bx[s], by[s])`` on the boundary of
    unit ``unit[s]``; segments are numbered unit by unit in GEOS's ring order (each
    polygon's shell, then its holes). ``cell_seg[offsets[c]:offsets[c + 1]]`` are the
    segments passing through (or near) cell ``c``: each segment is cut into pieces no
    longer than a cell, and each piece is listed in every cell its box touches.
    """

    def __init__(self, geoms: NDArray[np.object_], cell: float) -> None:
        parts, part_unit = shapely.get_parts(shapely.boundary(geoms), return_index=True)
        xy, part_of = shapely.get_coordinates(parts, return_index=True)
        seg = np.flatnonzero(part_of[1:] == part_of[:-1])
        self.ax, self.ay = xy[seg, 0], xy[seg, 1]
        self.bx, self.by = xy[seg + 1, 0], xy[seg + 1, 1]
        self.unit = part_unit[part_of[seg]].astype(np.intp)
        self.n_units = len(geoms)
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        # Cells at least ``cell`` wide, and not so small that segments break into more
        # than about five pieces each on average (a tiny tolerance).
        longest = np.maximum(np.abs(self.bx - self.ax), np.abs(self.by - self.ay))
        cell = max(cell, float(longest.sum()) / (4 * max(len(longest), 1)), 1e-9)
        cell = max(cell, float(np.sqrt((maxx - minx) * (maxy - miny) / _MAX_CELLS)))
        # two cells of margin on every side: a point within a cell of a boundary is never
        # in the outermost ring of cells, so its 3 x 3 cells are all on the grid
        self.x0, self.y0, self.cell = float(minx) - 2 * cell, float(maxy) + 2 * cell, float(cell)
        self.nx = int(np.floor((maxx - minx) / cell)) + 6
        self.ny = int(np.floor((maxy - miny) / cell)) + 6
        n = len(self.ax)
        # by blocks of segments (little memory), then sorted: cell by cell
        keys = np.sort(
            np.concatenate(
                [np.empty(0, np.int64)]
                + [
                    self._keys(lo, min(lo + _SEGMENTS_PER_BLOCK, n))
                    for lo in range(0, n, _SEGMENTS_PER_BLOCK)
                ]
            )
        )
        n_seg = max(len(self.ax), 1)
        self.cell_seg = (keys % n_seg).astype(np.intp)
        cell_of = keys // n_seg
        first = np.flatnonzero(run_starts(cell_of))
        #: each cell's slot (-1: no segment) and where each slot's entries start
        self.slot = np.full(self.nx * self.ny, -1, dtype=np.int32)
        self.slot[cell_of[first]] = np.arange(first.size, dtype=np.int32)
        self.offsets = np.append(first, len(keys)).astype(np.intp)

    def _keys(self, lo: int, hi: int) -> NDArray[np.int64]:
        """Return ``cell * n_segments + segment`` per (cell, segment) of segments lo:hi."""
        n_seg = len(self.ax)
        ax, ay, bx, by = self.ax[lo:hi], self.ay[lo:hi], self.bx[lo:hi], self.by[lo:hi]
        length = np.maximum(np.abs(bx - ax), np.abs(by - ay))
        pieces = np.maximum(1, np.ceil(length / self.cell)).astype(np.int64)
        s, j = ranges(np.zeros(hi - lo, dtype=np.int64), pieces - 1)
        t0, t1 = j / pieces[s], (j + 1) / pieces[s]
        dx, dy = bx - ax, by - ay
        xa, xb = ax[s] + t0 * dx[s], ax[s] + t1 * dx[s]
        ya, yb = ay[s] + t0 * dy[s], ay[s] + t1 * dy[s]
        c_lo, c_hi = self._col(np.minimum(xa, xb)), self._col(np.maximum(xa, xb))
        r_lo, r_hi = self._row(np.maximum(ya, yb)), self._row(np.minimum(ya, yb))
        # a piece spans at most two columns and two rows: its box's four corner cells
        cells = np.concatenate(
            [r * self.nx + c for r in (r_lo, r_hi) for c in (c_lo, c_hi)]
        ).astype(np.int64)
        s += lo
        keys = cells * n_seg + np.tile(s, 4)
        keys = np.sort(keys)
        return keys[run_starts(keys)]

    def _col(self, x: NDArray[np.float64]) -> NDArray[np.int64]:
        return np.clip(np.floor((x - self.x0) / self.cell), 0, self.nx - 1).astype(np.int64)

    def _row(self, y: NDArray[np.float64]) -> NDArray[np.int64]:
        return np.clip(np.floor((self.y0 - y) / self.cell), 0, self.ny - 1).astype(np.int64)

    def near_segments(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NearSegments:
        """Return the segments listed in the 3 x 3 cells around each point's cell.

        Points sharing a cell share one list, without repeats. Points off the grid
        (farther than a cell from every boundary) get an empty list.
        """
        col = np.floor((x - self.x0) / self.cell)
        row = np.floor((self.y0 - y) / self.cell)
        inner = (col >= 1) & (col <= self.nx - 2) & (row >= 1) & (row <= self.ny - 2)
        flat = np.where(inner, row * self.nx + col, -1).astype(np.int64)
        cells, group = np.unique(flat, return_inverse=True)
        on_grid = np.flatnonzero(cells >= 0)
        keys = []
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                slot = self.slot[cells[on_grid] + dr * self.nx + dc]
                start = self.offsets[slot]  # slot -1: any value, its range is empty
                stop = np.where(slot >= 0, self.offsets[slot + 1], start)
                k, at = ranges(start, stop - 1)
                keys.append(on_grid[k] * len(self.ax) + self.cell_seg[at])
        key = np.sort(np.concatenate(keys))
        key = key[run_starts(key)]
        g = key // max(len(self.ax), 1)
        offsets = np.searchsorted(g, np.arange(len(cells) + 1)).astype(np.intp)
        return NearSegments(
            group=group.astype(np.intp).ravel(),
            offsets=offsets,
            seg=(key - g * len(self.ax)).astype(np.intp),
        )


@dataclass(frozen=True)
class NearSegments:
    """Segments near points: ``seg[offsets[g]:offsets[g + 1]]`` for a point of ``group`` g."""

    group: NDArray[np.intp]
    offsets: NDArray[np.intp]
    seg: NDArray[np.intp]

    def counts(self) -> NDArray[np.intp]:
        """Return how many segments each point has near it."""
        return np.asarray(self.offsets[self.group + 1] - self.offsets[self.group], dtype=np.intp)

    def pairs(self, rows: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Return (position in ``rows``, segment) pairs for the points ``rows``."""
        g = self.group[rows]
        pos, at = ranges(self.offsets[g], self.offsets[g + 1] - 1)
        return pos, self.seg[at]


def _point_segment_distance(
    px: NDArray[np.float64],
    py: NDArray[np.float64],
    grid: SegmentGrid,
    seg: NDArray[np.intp],
) -> NDArray[np.float64]:
    """Return GEOS's ``Distance::pointToSegment``, pairwise."""
    ax, ay, bx, by = grid.ax[seg], grid.ay[seg], grid.bx[seg], grid.by[seg]
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    with np.errstate(divide="ignore", invalid="ignore"):
        r = ((px - ax) * dx + (py - ay) * dy) / len2
        s = ((ay - py) * dx - (ax - px) * dy) / len2
        to_a = np.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
        to_b = np.sqrt((px - bx) * (px - bx) + (py - by) * (py - by))
        dist = np.abs(s) * np.sqrt(len2)
    degenerate = len2 <= 0.0  # a repeated vertex: GEOS measures to the vertex
    dist = np.where(r <= 0.0, to_a, np.where(r >= 1.0, to_b, dist))
    dist[degenerate] = to_a[degenerate]
    return np.asarray(dist, dtype=np.float64)


def _closest_points(
    px: NDArray[np.float64],
    py: NDArray[np.float64],
    grid: SegmentGrid,
    seg: NDArray[np.intp],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return GEOS's ``LineSegment::closestPoint`` of each point on its segment."""
    ax, ay, bx, by = grid.ax[seg], grid.ay[seg], grid.bx[seg], grid.by[seg]
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    with np.errstate(divide="ignore", invalid="ignore"):
        r = ((px - ax) * dx + (py - ay) * dy) / len2
    interior = (r > 0) & (r < 1)  # False for NaN (a degenerate segment)
    to_a = (px - ax) * (px - ax) + (py - ay) * (py - ay)
    to_b = (px - bx) * (px - bx) + (py - by) * (py - by)
    a_first = np.sqrt(to_a) < np.sqrt(to_b)
    qx = np.where(interior, ax + r * dx, np.where(a_first, ax, bx))
    qy = np.where(interior, ay + r * dy, np.where(a_first, ay, by))
    return qx, qy


def _nearest_per_unit(
    pos: NDArray[np.intp], seg: NDArray[np.intp], dist: NDArray[np.float64], grid: SegmentGrid
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """For each (point, unit), its segment of least distance, the first in ring order on ties."""
    key = pos.astype(np.int64) * grid.n_units + grid.unit[seg]
    order = np.argsort(key, kind="stable")
    key, seg, dist = key[order], seg[order], dist[order]
    starts = np.flatnonzero(run_starts(key))
    group = np.cumsum(run_starts(key)) - 1
    least = np.minimum.reduceat(dist, starts)
    # among the segments at the least distance, the first (GEOS keeps the first it meets)
    first_seg = np.minimum.reduceat(
        np.where(dist == least[group], seg, np.iinfo(np.intp).max), starts
    )
    return pos[order][starts], first_seg


def _nearest_segments(
    rows: NDArray[np.intp],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    radius: NDArray[np.float64],
    grid: SegmentGrid,
    near: NearSegments,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Return (point, segment): each unit's nearest segment for every unit within reach.

    ``rows`` are positions in ``near``'s points; ``x``, ``y`` and ``radius`` are those of
    ``rows`` only, and the points returned are positions in ``rows``.
    """
    pos, seg = near.pairs(rows)
    dist = _point_segment_distance(x[pos], y[pos], grid, seg)
    within = dist <= radius[pos]  # as ``dwithin``: a unit's distance is its least segment's
    pos, seg, dist = pos[within], seg[within], dist[within]
    if not pos.size:
        return pos, seg
    return _nearest_per_unit(pos, seg, dist, grid)


def _candidates(
    x: NDArray[np.float64], y: NDArray[np.float64], grid: SegmentGrid, radius: NDArray[np.float64]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Return (point, segment) for each point and unit within reach: the unit's nearest segment.

    Only points with segments listed near them are measured, in blocks of
    ``_PAIRS_PER_BLOCK`` (point, segment) pairs.
    """
    near = grid.near_segments(x, y)
    counts = near.counts()
    todo = np.flatnonzero(counts > 0)  # only points with a boundary within reach
    cum = np.cumsum(counts[todo])
    cuts = np.arange(_PAIRS_PER_BLOCK, cum[-1] if cum.size else 0, _PAIRS_PER_BLOCK)
    edges = np.unique(np.concatenate(([0], np.searchsorted(cum, cuts), [todo.size])))
    pos_parts, seg_parts = [np.empty(0, np.intp)], [np.empty(0, np.intp)]
    with progress(total=todo.size, desc="snapping events", unit="event") as bar:
        for lo, hi in itertools.pairwise(edges):
            rows = todo[lo:hi]
            p, sg = _nearest_segments(rows, x[rows], y[rows], radius[rows], grid, near)
            pos_parts.append(rows[p])
            seg_parts.append(sg)
            bar.update(hi - lo)
    pos, seg = np.concatenate(pos_parts), np.concatenate(seg_parts)
    if pos.size > 1 and not bool(np.all(pos[1:] >= pos[:-1])):  # by construction: sorted
        order = np.argsort(pos, kind="stable")
        pos, seg = pos[order], seg[order]
    return pos, seg


def snap_to_segments(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    geoms: NDArray[np.object_],
    tol_km: float,
    pcode_rank: NDArray[np.intp],
) -> Snapped:
    """Snap each point to its nearest unit of ``geoms`` within ``tol_km``.

    The points must lie outside every unit. Each unit within the point's search radius
    (:func:`search_radius_deg`, in degrees) is measured from its nearest point in
    longitude/latitude, geodesically; the nearest within ``tol_km`` wins, ties going to
    the smallest ``pcode_rank``. The (point, segment) pairs are measured in blocks of
    about 65,000, so memory stays small.
    """
    if not len(x):
        empty = np.empty(0, np.intp)
        return Snapped(pos=empty, unit=empty, km=np.empty(0))
    radius = search_radius_deg(y, tol_km)
    grid = SegmentGrid(geoms, float(radius.max()) * (1 + 1e-6))
    pos, seg = _candidates(x, y, grid, radius)
    qx, qy = _closest_points(x[pos], y[pos], grid, seg)
    # element-wise, so threads give the same values (pyproj releases the GIL)
    km = map_chunks(geodesic_km, x[pos], y[pos], qx, qy, min_chunk=_MIN_GEODESICS)
    ok = km <= tol_km
    pos, unit, km = pos[ok], grid.unit[seg[ok]], km[ok]
    # pos is sorted (blocks in order, each by point): per point, the least distance,
    # then among the units at that distance the smallest pcode rank
    starts = np.flatnonzero(run_starts(pos))
    group = np.repeat(np.arange(starts.size), np.diff(np.append(starts, pos.size)))
    least = np.minimum.reduceat(km, starts) if starts.size else km[:0]
    rank = np.where(km == least[group], pcode_rank[unit], np.iinfo(np.intp).max)
    best = np.minimum.reduceat(rank, starts) if starts.size else rank[:0]
    first = np.flatnonzero(rank == best[group])  # one per point: pcode ranks are unique
    return Snapped(pos=pos[first], unit=unit[first], km=km[first])
