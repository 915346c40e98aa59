"""The lookup grid behind :func:`sahel_geo.assign_admin` (see :mod:`sahel_geo.analysis.join`).

Cells that no unit boundary crosses lie wholly inside one unit, several units or none,
so every point in them is resolved by one array lookup; points in crossed cells are
tested against a short list of candidate units only.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy import ndimage

from sahel_geo.core.arrays import ranges, run_starts, take_blocks

__all__ = ["EXACT", "OUTSIDE", "GridIndex"]

OUTSIDE = -1  # lookup code: the cell is wholly outside every unit
EXACT = 0  # lookup code: the cell needs the exact predicates (via an STRtree)
_BLOCK = 1 << 16  # points per block in lookup


class GridIndex:
    """A lookup grid over polygons (see the module docstring).

    ``code`` holds, per cell: ``u + 1`` when the cell lies wholly inside unit ``u`` and
    no other; ``OUTSIDE`` when it lies wholly outside every unit; ``EXACT`` when it lies
    wholly inside two or more units (an overlap, resolved with the STRtree); and
    ``-(2 + k)`` for a cell crossed by a boundary, whose candidate units are
    ``cand[offsets[k]:offsets[k + 1]]``.

    Crossed cells are found exactly (a supercover of every boundary segment): each
    boundary is cut into pieces shorter than half a cell, so a piece spans at most two
    columns and two rows, and the four cells of its end points' rows and columns hold
    every cell the piece passes through.
    """

    def __init__(self, geoms: NDArray[np.object_], max_cells: int) -> None:
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        width, height = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
        cell = float(np.sqrt(width * height / max_cells))
        nx = max(1, int(np.ceil(width / cell)))
        ny = max(1, int(np.ceil(height / cell)))
        self.x0, self.y0, self.cell, self.nx, self.ny = minx, maxy, cell, nx, ny
        nu = len(geoms)
        tree = shapely.STRtree(geoms)
        shapely.prepare(geoms)

        # Supercover of the boundaries: (cell, unit) for every cell a boundary crosses.
        parts, part_unit = shapely.get_parts(shapely.boundary(geoms), return_index=True)
        parts = shapely.segmentize(parts, 0.5 * cell)
        xy, part_of = shapely.get_coordinates(parts, return_index=True)
        col = np.clip(np.floor((xy[:, 0] - minx) / cell), 0, nx - 1).astype(np.int64)
        row = np.clip(np.floor((maxy - xy[:, 1]) / cell), 0, ny - 1).astype(np.int64)
        unit_of = part_unit[part_of].astype(np.int64)
        # The cells of all vertices (each piece's end points) ...
        keys = (row * nx + col) * nu + unit_of
        # ... and, for a piece that changes row and column, the one of the two other
        # cells of its 2x2 block that it passes through: the one on its side of the
        # block's corner. Where it passes (numerically) through the corner, both are
        # marked and sent to the STRtree, so no cell is ever marked that the boundary
        # does not touch.
        same_part = part_of[1:] == part_of[:-1]
        d = np.flatnonzero((row[1:] != row[:-1]) & (col[1:] != col[:-1]) & same_part)
        xa, ya, xb, yb = xy[d, 0], xy[d, 1], xy[d + 1, 0], xy[d + 1, 1]
        r0, r1, c0, c1 = row[d], row[d + 1], col[d], col[d + 1]
        seg_unit = unit_of[d]
        xv = minx + np.maximum(c0, c1) * cell  # the vertical grid line crossed
        y_at = ya + (xv - xa) * (yb - ya) / (xb - xa)  # xb != xa: the piece changes column
        yh = maxy - np.maximum(r0, r1) * cell  # the horizontal grid line crossed
        corner = np.abs(y_at - yh) <= 1e-9 * cell
        row_at = np.where(
            maxy - y_at >= np.maximum(r0, r1) * cell, np.maximum(r0, r1), np.minimum(r0, r1)
        )
        off = row_at * nx + np.where(row_at == r0, c1, c0)
        ambiguous = np.concatenate((r0[corner] * nx + c1[corner], r1[corner] * nx + c0[corner]))
        keys = np.concatenate(
            (
                keys,
                off * nu + seg_unit,
                ambiguous * nu + np.concatenate((seg_unit[corner], seg_unit[corner])),
            )
        )
        keys = _sorted_unique(_drop_repeats(keys))
        keys = _sorted_unique(np.concatenate((keys, self._overlap_keys(geoms, tree, keys, nu))))
        pair_cell = keys // nu
        first = run_starts(pair_cell)
        slot_cells = pair_cell[first]

        # Cells no boundary crosses form 4-connected components, each wholly inside the
        # same units; one point per component tells which.
        crossed = np.zeros(nx * ny, dtype=bool)
        crossed[slot_cells] = True
        comp, n_comp = ndimage.label(~crossed.reshape(ny, nx))
        del crossed
        flat = comp.ravel()
        rep = _first_cells(flat, n_comp)
        centres = shapely.points(minx + (rep % nx + 0.5) * cell, maxy - (rep // nx + 0.5) * cell)
        pi, gi = tree.query(centres, predicate="within")
        n_in = np.bincount(pi, minlength=n_comp)
        label = np.zeros(n_comp, dtype=np.int32)
        label[pi] = gi + 1
        comp_code = np.where(n_in == 1, label, np.where(n_in == 0, OUTSIDE, EXACT))
        code = take_blocks(np.concatenate(([EXACT], comp_code)).astype(np.int32), flat)
        del comp, flat  # the labels go before the codes are filled in: less memory
        code[slot_cells] = -(2 + np.arange(len(slot_cells), dtype=np.int32))
        code[ambiguous] = EXACT
        self.code = code.reshape(ny, nx)
        self.offsets = np.append(np.flatnonzero(first), len(keys)).astype(np.intp)
        self.cand = (keys % nu).astype(np.intp)
        self.share_direct = float((code > 0).mean())

    def _overlap_keys(
        self,
        geoms: NDArray[np.object_],
        tree: shapely.STRtree,
        keys: NDArray[np.int64],
        nu: int,
    ) -> NDArray[np.int64]:
        """(cell, Q) keys for crossed cells that lie wholly inside a unit Q not crossing them.

        A unit holding part of a crossed cell either crosses it too (its key is there) or
        covers it wholly, which happens where units overlap: then Q contains the cell's
        centre. So each crossed cell gets, as further candidates, the units not crossing
        it that contain its centre (a superset of the units covering it), tested only
        where a unit's box is near the cell.
        """
        pair_cell = keys // nu
        first = run_starts(pair_cell)
        cells = pair_cell[first]  # sorted: row by row
        # A unit covering a cell wholly has the cell inside its box: for each unit and
        # each grid row its box touches, the crossed cells of that row in the columns
        # its box touches (a superset) are one run of ``cells``.
        bounds = shapely.bounds(geoms)
        c_lo = np.floor((bounds[:, 0] - self.x0) / self.cell)
        c_hi = np.floor((bounds[:, 2] - self.x0) / self.cell)
        r_lo = np.floor((self.y0 - bounds[:, 3]) / self.cell)
        r_hi = np.floor((self.y0 - bounds[:, 1]) / self.cell)
        c_lo, c_hi = (np.clip(v, 0, self.nx - 1).astype(np.int64) for v in (c_lo, c_hi))
        r_lo, r_hi = (np.clip(v, 0, self.ny - 1).astype(np.int64) for v in (r_lo, r_hi))
        u, r = ranges(r_lo, r_hi)
        lo = np.searchsorted(cells, r * self.nx + c_lo[u], side="left")
        hi = np.searchsorted(cells, r * self.nx + c_hi[u], side="right")
        k, ci = ranges(lo, hi - 1)
        q = u[k]
        new = cells[ci] * nu + q
        at = np.minimum(np.searchsorted(keys, new), keys.size - 1)
        fresh = keys[at] != new  # Q does not cross the cell
        ci, q, new = ci[fresh], q[fresh], new[fresh]
        cx = self.x0 + (cells[ci] % self.nx + 0.5) * self.cell
        cy = self.y0 - (cells[ci] // self.nx + 0.5) * self.cell
        inside = shapely.contains_xy(geoms[q], cx, cy)
        return np.asarray(new[inside], dtype=np.int64)

    def lookup(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.int32]:
        """Return the cell code of each point; ``EXACT`` for points off the grid."""
        out = np.empty(len(x), dtype=np.int32)
        flat = self.code.ravel()
        for lo in range(0, len(x), _BLOCK):  # blocks: small temporaries, little memory
            col = np.subtract(x[lo : lo + _BLOCK], self.x0)
            col /= self.cell
            np.floor(col, out=col)
            row = np.subtract(self.y0, y[lo : lo + _BLOCK])
            row /= self.cell
            np.floor(row, out=row)
            ok = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)  # False for NaN
            row *= self.nx
            col += row  # flat cell index, exact in float64
            col[~ok] = 0
            block = flat[col.astype(np.intp)]
            block[~ok] = EXACT
            out[lo : lo + _BLOCK] = block
        return out

    def candidates(self, slots: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Expand crossed-cell slots into (position in ``slots``, candidate unit) pairs."""
        pos, at = ranges(self.offsets[slots], self.offsets[slots + 1] - 1)
        return pos, self.cand[at]


def _first_cells(labels: NDArray[np.int32], n: int) -> NDArray[np.intp]:
    """Return one cell of each component 1..n of ``labels`` (flat, 0 = background)."""
    # ndimage.label numbers components in scan order, so each one's first cell is where
    # the running maximum of the labels goes up; checked, with a general fallback.
    top = np.maximum.accumulate(labels)
    first = np.flatnonzero(run_starts(top) & (top > 0))
    del top
    if first.size == n and np.array_equal(labels[first], np.arange(1, n + 1)):
        return first
    rep = np.zeros(n + 1, dtype=np.intp)
    rep[labels] = np.arange(labels.size)
    return rep[1:]


def _drop_repeats(values: NDArray[np.int64]) -> NDArray[np.int64]:
    """Drop each value equal to the one before it (cheap; shortens the sort after)."""
    return values[run_starts(values)]


def _sorted_unique(values: NDArray[np.int64]) -> NDArray[np.int64]:
    """Return the sorted unique values (a sort and a mask; cheaper than np.unique here)."""
    values = np.sort(values)
    return values[run_starts(values)]
