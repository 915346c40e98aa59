"""Exact coverage of raster cells by polygons, for every zone in one vectorised pass.

The kernel behind :func:`sahel_geo.zonal_stats`. It works in grid units (column ``u``
increasing east, row ``v`` increasing south, one cell = 1 x 1), so a coverage fraction
is simply an area.

How it works
------------
By Green's theorem the area of a polygon inside cell ``(r, c)`` is the sum, over the
polygon's edges cut at every grid line, of ``dv * ((c + 1) - u_mid)`` for the pieces
that lie in the cell, plus ``dv`` for every piece that lies in the same row *to the left*
of the cell (``dv`` signed by the ring's orientation, holes negative). The "left" part is
the same for every cell right of a piece, so it is stored once per piece, at the column
after it, and summed along each row: between two such entries the running sum is
constant, which gives *runs* of cells with the same coverage (1 inside a zone, 0
outside). Only the cells a boundary passes through (*boundary cells*) need a value of
their own. (The code is written for columns and is handed the transposed grid.) The
pieces are sorted once by (zone, column, row) and summed per cell; a running sum per
column then gives each boundary cell's coverage and the run up to the next one.

The result is a :class:`Coverage`: runs ``(zone, row, col0, col1, value)`` and boundary
cells ``(zone, row, col, coverage)``, disjoint. Runs lie along rows, i.e. contiguous in a
row-major array, so statistics of any array over every zone cost one reduction per run
(``numpy.add.reduceat``) plus one lookup per boundary cell (see :mod:`sahel_geo.analysis.zonal`).
There is no loop over zones, edges or cells in Python.

This reproduces exactextract's coverage fractions (the exact area of the polygon in each
cell divided by the cell area) to floating-point rounding.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from sahel_geo.core.arrays import run_starts
from sahel_geo.core.raster import RasterGrid

__all__ = ["Coverage", "argsort_packed", "compute_coverage"]

logger = logging.getLogger("sahel_geo.analysis.zonal")  # a private kernel of zonal

#: Edge pieces handled at once: small enough for the kernel's arrays to stay in the CPU
#: cache (a third faster than 250,000 at 1 km), large enough to amortise numpy's calls.
_PIECE_BUDGET = 32_000

#: Coverage values closer than this to an integer are taken to be that integer.
_SNAP = 1e-9


@dataclass(frozen=True)
class Coverage:
    """Coverage of a grid's cells by a set of zones (see the module docstring).

    Attributes
    ----------
    n_zones
        Number of zones (zone ids are ``0 .. n_zones - 1``).
    grid
        The grid the coverage refers to.
    run_zone, run_row, run_col0, run_col1, run_value
        Runs of cells ``col0 <= col < col1`` in one row, none of them a boundary cell of
        the zone, where a zone's coverage is ``run_value`` (an integer up to rounding: 1
        inside a zone, more where its parts overlap), sorted by zone, row, col0.
    cell_zone, cell_row, cell_col, cell_cover
        Boundary cells, sorted by zone, row, col, with their exact coverage fraction
        ``cell_cover``. A zone's runs and boundary cells never share a cell.
    """

    n_zones: int
    grid: RasterGrid
    run_zone: NDArray[np.int64]
    run_row: NDArray[np.int64]
    run_col0: NDArray[np.int64]
    run_col1: NDArray[np.int64]
    run_value: NDArray[np.float64]
    cell_zone: NDArray[np.int64]
    cell_row: NDArray[np.int64]
    cell_col: NDArray[np.int64]
    cell_cover: NDArray[np.float64]


def _edges(
    geoms: NDArray[np.object_], grid: RasterGrid
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int64],
]:
    """Directed ring edges in grid units, with a sign (+1 shell side, -1 hole) and a zone."""
    parts, part_zone = shapely.get_parts(geoms, return_index=True)
    is_poly = shapely.get_type_id(parts) == 3
    parts, part_zone = parts[is_poly], part_zone[is_poly]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    exterior = run_starts(ring_part)  # a part's first ring is its shell
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    u = (coords[:, 0] - grid.x0) / grid.dx
    v = (grid.y0 - coords[:, 1]) / grid.dy
    same = coord_ring[1:] == coord_ring[:-1]
    i = np.flatnonzero(same)
    ua, va, ub, vb = u[i], v[i], u[i + 1], v[i + 1]
    ring = coord_ring[i]
    # Signed area of each ring (shoelace, grid units) gives its orientation.
    area = np.bincount(ring, weights=ua * vb - ub * va, minlength=len(rings))
    ring_sign = np.sign(area) * np.where(exterior, 1.0, -1.0)
    sign = ring_sign[ring]
    zone = part_zone[ring_part[ring]].astype(np.int64)
    keep = sign != 0
    return ua[keep], va[keep], ub[keep], vb[keep], sign[keep], zone[keep]


def _crossings(
    a: NDArray[np.float64], b: NDArray[np.float64], limit: int
) -> tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
]:
    """Integer lines ``0..limit`` strictly between ``a`` and ``b`` of each edge.

    Returns, per edge, the first line, the last line, the number of crossings and the
    index of its first crossing; and the line of every crossing, in edge order and, within
    an edge, in the order the edge meets them.
    """
    lo = np.maximum(np.floor(np.minimum(a, b)).astype(np.int64) + 1, 0)
    hi = np.minimum(np.ceil(np.maximum(a, b)).astype(np.int64) - 1, limit)
    n = np.maximum(hi - lo + 1, 0)
    start = np.cumsum(n) - n
    up = b > a
    # line of crossing i (global index) of edge e: lo + (i - start), or hi - (i - start)
    step = np.where(up, 1, -1)
    k = np.repeat(np.where(up, lo - start, hi + start), n) + np.repeat(step, n) * np.arange(
        int(n.sum()), dtype=np.int64
    )
    return lo, hi, n, start, k


def _snap(x: NDArray[np.float64]) -> NDArray[np.float64]:
    r = np.round(x)
    return np.where(np.abs(x - r) < 1e-12, r, x)


def _cut_points(
    ua: NDArray[np.float64],
    va: NDArray[np.float64],
    ub: NDArray[np.float64],
    vb: NDArray[np.float64],
    width: int,
    height: int,
    *,
    force_sort: bool = False,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Cut every edge at the column and row lines it crosses inside the grid.

    Returns the points ``(pu, pv)`` of all edges one after the other (each edge's start,
    its cut points in order along it, its end) and the number of points of each edge;
    consecutive points of an edge bound a piece. The cut points of an edge are put in
    order without sorting: a column crossing is preceded by the row crossings whose lines
    lie before it along the edge, which follows from where the edge is at that point
    (ties: column first).
    """
    du, dv = ub - ua, vb - va
    lo_u, hi_u, n_u, st_u, k_u = _crossings(ua, ub, width)
    lo_v, hi_v, n_v, st_v, k_v = _crossings(va, vb, height)
    n_e = len(ua)
    size = 2 + n_u + n_v
    off = np.cumsum(size) - size
    total = int(size.sum())
    # Column crossings: the row coordinate there, and how many row crossings come first
    # (dv > 0: ceil(v) - lo_v; dv < 0: hi_v - floor(v) = hi_v + ceil(-v); clipped).
    t_u = (k_u - np.repeat(ua, n_u)) / np.repeat(du, n_u)
    pv_u = np.repeat(va, n_u) + t_u * np.repeat(dv, n_u)
    sv = np.where(dv < 0, -1.0, 1.0)
    rank_v = np.ceil(np.repeat(sv, n_u) * _snap(pv_u)).astype(np.int64)
    rank_v += np.repeat(np.where(dv < 0, hi_v, -lo_v), n_u)
    rank_v = np.minimum(np.maximum(rank_v, 0), np.repeat(n_v, n_u))
    # Row crossings: the column coordinate there, and how many column crossings come
    # first (du > 0: floor(u) - lo_u + 1; du < 0: hi_u - ceil(u) + 1 = hi_u + floor(-u) + 1).
    t_v = (k_v - np.repeat(va, n_v)) / np.repeat(dv, n_v)
    pu_v = np.repeat(ua, n_v) + t_v * np.repeat(du, n_v)
    su = np.where(du < 0, -1.0, 1.0)
    rank_u = np.floor(np.repeat(su, n_v) * _snap(pu_v)).astype(np.int64)
    rank_u += np.repeat(np.where(du < 0, hi_u, -lo_u) + 1, n_v)
    rank_u = np.minimum(np.maximum(rank_u, 0), np.repeat(n_u, n_v))
    # slot of crossing i of edge e: off + 1 + (i - start) + rank
    pos_u = np.repeat(off + 1 - st_u, n_u) + np.arange(len(k_u)) + rank_v
    pos_v = np.repeat(off + 1 - st_v, n_v) + np.arange(len(k_v)) + rank_u
    pu = np.full(total, np.nan)
    pv = np.empty(total)
    end = off + size - 1
    pu[off], pv[off] = ua, va
    pu[end], pv[end] = ub, vb
    pu[pos_u], pv[pos_u] = k_u.astype(np.float64), pv_u  # (casting while scattering is slow)
    pu[pos_v], pv[pos_v] = pu_v, k_v.astype(np.float64)
    if force_sort or np.isnan(pu).any():  # a collision left a slot empty
        # Rounding put two cut points in the same place: order them by sorting instead.
        logger.debug("coverage: cut points ordered by sorting (%d edges)", n_e)
        eid = np.concatenate(
            [np.arange(n_e), np.repeat(np.arange(n_e), n_u), np.repeat(np.arange(n_e), n_v)]
        )
        eid = np.concatenate([eid, np.arange(n_e)])
        t = np.concatenate([np.zeros(n_e), t_u, t_v, np.ones(n_e)])
        order = np.lexsort((t, eid))
        pu = np.concatenate([ua, k_u.astype(np.float64), pu_v, ub])[order]
        pv = np.concatenate([va, pv_u, k_v.astype(np.float64), vb])[order]
    return pu, pv, size


def compute_coverage(geoms: NDArray[np.object_], grid: RasterGrid) -> Coverage:
    """Exact coverage of ``grid``'s cells by each polygon of ``geoms``.

    Parameters
    ----------
    geoms
        Array of shapely (Multi)Polygons in the grid's CRS; zone ``i`` is ``geoms[i]``.
        Other geometry types and empty geometries cover nothing.
    grid
        The grid.

    Returns
    -------
    Coverage
        Runs and boundary cells for all zones.
    """
    ua, va, ub, vb, sign, zone = _edges(geoms, grid)
    # The kernel below integrates along its "columns"; it is given the raster transposed
    # (its columns are raster rows, its rows raster columns), so that runs lie along
    # raster rows, contiguous in memory. Swapping the axes flips every ring's
    # orientation: the ring signs (from shoelace areas before the swap) change sign too.
    ua, va, ub, vb = va, ua, vb, ub
    sign = -sign
    width, height = grid.height, grid.width
    # Edges wholly beside the grid's columns, or below its last row, change nothing.
    keep = (np.maximum(ua, ub) > 0) & (np.minimum(ua, ub) < width)
    keep &= np.minimum(va, vb) < height
    ua, va, ub, vb, sign, zone = ua[keep], va[keep], ub[keep], vb[keep], sign[keep], zone[keep]
    # Zones in batches of about _PIECE_BUDGET edge pieces: bounded memory, same result.
    est = np.abs(ub - ua) + np.abs(vb - va) + 2.0
    per_zone = np.bincount(zone, weights=est, minlength=len(geoms))
    batch = np.floor(np.cumsum(per_zone) / _PIECE_BUDGET).astype(np.int64)[zone]
    cuts = [0, *(np.flatnonzero(np.diff(batch)) + 1).tolist(), len(zone)]
    parts = []
    for i0, i1 in itertools.pairwise(cuts):  # a few batches, not one per zone
        sl = slice(i0, i1)
        parts.append(_kernel(ua[sl], va[sl], ub[sl], vb[sl], sign[sl], zone[sl], width, height))
    fields = [np.concatenate([p[k] for p in parts]) for k in range(len(parts[0]))]
    (
        run_zone,
        run_col,
        run_row0,
        run_row1,
        run_val,
        cell_zone,
        cell_row,
        cell_col,
        cover,
    ) = fields
    return Coverage(
        n_zones=len(geoms),
        grid=grid,
        run_zone=run_zone,
        run_row=run_col,
        run_col0=run_row0,
        run_col1=run_row1,
        run_value=run_val,
        cell_zone=cell_zone,
        cell_row=cell_row,
        cell_col=cell_col,
        cell_cover=cover,
    )


def _sort_packed(key: NDArray[np.int64], kmax: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Sort non-negative keys ``<= kmax``: the sorted keys and the order (ties by index).

    Sorts the keys packed with their index into one integer when both fit in 63 bits:
    sorting plain integers is about twice as fast as ``argsort``.
    """
    n = len(key)
    ib = max(n - 1, 1).bit_length()
    if kmax.bit_length() + ib > 63:
        order = np.argsort(key, kind="stable")
        return key[order], order
    packed = (key << ib) | np.arange(n, dtype=np.int64)
    packed.sort()
    return packed >> ib, packed & ((1 << ib) - 1)


def argsort_packed(key: NDArray[np.int64], kmax: int) -> NDArray[np.int64]:
    """Return the stable ``argsort`` of non-negative integer keys ``<= kmax``.

    The keys are packed with their index into one integer when both fit in 63 bits and
    sorted as plain integers (about twice as fast as ``numpy.argsort``); otherwise a
    stable ``argsort``. Either way ties keep index order.

    Parameters
    ----------
    key
        Non-negative int64 keys.
    kmax
        An upper bound of the keys (inclusive).

    Returns
    -------
    numpy.ndarray
        The same as ``numpy.argsort(key, kind="stable")`` (int64).

    Examples
    --------
    >>> argsort_packed(np.array([3, 1, 3, 0], dtype=np.int64), 3).tolist()
    [3, 1, 0, 2]
    """
    return _sort_packed(key, kmax)[1]


def _kernel(
    ua: NDArray[np.float64],
    va: NDArray[np.float64],
    ub: NDArray[np.float64],
    vb: NDArray[np.float64],
    sign: NDArray[np.float64],
    zone: NDArray[np.int64],
    width: int,
    height: int,
) -> tuple[NDArray[np.generic], ...]:
    """Return the runs and boundary cells of the zones of some edges (kernel coordinates)."""
    if not len(ua):
        i0, f0 = np.zeros(0, dtype=np.int64), np.zeros(0)
        return (i0, i0, i0, i0, f0, i0, i0, i0, f0)
    pu, pv, size = _cut_points(ua, va, ub, vb, width, height)
    # Piece k joins points k and k + 1; where k is an edge's last point it is no piece.
    n_p = len(pu) - 1
    col = np.floor((pu[1:] + pu[:-1]) * 0.5).astype(np.int64)
    vm = (pv[1:] + pv[:-1]) * 0.5
    row = np.floor(vm).astype(np.int64)
    w = np.repeat(sign, size)[:n_p] * (pu[1:] - pu[:-1])
    part = w * ((row + 1) - vm)
    # One sort of all pieces by (zone, column, row): pieces left of the grid's first row
    # ("above") sort first in their column. Keys store row + 1 (0 = above). Pieces
    # outside the grid's columns or below its last row, and the non-pieces, get a key
    # after all others and are cut off after the sort.
    z0 = int(zone.min()) if len(zone) else 0
    stride = np.int64(height + 2)
    zbase = (zone - z0) * (width * stride) + 1
    key = np.repeat(zbase, size)[:n_p] + col * stride + np.maximum(row, -1)
    drop = col.view(np.uint64) >= width  # (negative columns too)
    drop |= row >= height
    drop[np.cumsum(size)[:-1] - 1] = True
    after = (int(zone.max()) - z0 + 1) * width * int(stride) if len(zone) else 0
    key[drop] = after
    key, order = _sort_packed(key, after)
    n_keep = n_p - int(np.count_nonzero(drop))
    key, order = key[:n_keep], order[:n_keep]
    w, part = w[order], part[order]

    # Cells (zone, column, row) a piece lies in, with the pieces' total width ``dw`` and
    # own area ``dp``; within a column, the running sum of ``dw`` is the coverage of the
    # cells below the cell, up to the next boundary cell: a run.
    g_start = np.flatnonzero(run_starts(key))
    g_key = key[g_start]
    n_g = len(g_start)
    # (per-cell sums by bincount: reduceat costs ~25 ns a segment, and most are 1 piece)
    gid = np.repeat(np.arange(n_g), np.diff(np.append(g_start, len(key))))
    dw = np.bincount(gid, w, n_g)
    dp = np.bincount(gid, part, n_g)
    g_col = g_key // stride
    g_row = g_key - g_col * stride - 1
    g_first = np.flatnonzero(run_starts(g_col))
    # running sum within the column: a global running sum minus its value before the column
    csum = np.cumsum(dw)
    before = csum[g_first] - dw[g_first]
    cum = csum - np.repeat(before, np.diff(np.append(g_first, len(g_key))))
    nxt = np.empty(len(g_key), dtype=np.int64)
    nxt[:-1] = g_row[1:]
    nxt[g_first[1:] - 1] = height
    if len(nxt):
        nxt[-1] = height
    r_ok = np.flatnonzero((np.abs(cum) >= _SNAP) & (nxt > g_row + 1))
    r_col = g_col[r_ok]
    r_zone = r_col // width
    run_value = cum[r_ok]
    rounded = np.round(run_value)
    run_value = np.where(np.abs(run_value - rounded) < _SNAP, rounded, run_value)

    # Boundary cells: the cell's own pieces plus the running sum before it.
    c_col, c_row, cover = g_col, g_row, dp + (cum - dw)
    if np.count_nonzero(g_row < 0):
        in_grid = g_row >= 0
        c_col, c_row, cover = c_col[in_grid], c_row[in_grid], cover[in_grid]
    c_zone = c_col // width
    cover = np.where(cover < _SNAP * 1e-3, 0.0, cover)  # rounding noise, or below 0
    cover = np.where(np.abs(cover - 1.0) < _SNAP * 1e-3, 1.0, cover)
    return (
        r_zone + z0,
        r_col - r_zone * width,
        g_row[r_ok] + 1,
        nxt[r_ok],
        run_value,
        c_zone + z0,
        c_col - c_zone * width,
        c_row,
        cover,
    )
