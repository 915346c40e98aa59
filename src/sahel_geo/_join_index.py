"""The lookup grid behind :func:`sahel_geo.assign_admin` (see :mod:`sahel_geo.join`).

Cells that no unit boundary crosses lie wholly inside one unit, several units or none,
so every point in them is resolved by one array lookup; points in crossed cells are
tested against a short list of candidate units only.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy import ndimage

__all__ = ["EXACT", "OUTSIDE", "GridIndex"]

OUTSIDE = -1  # lookup code: the cell is wholly outside every unit
EXACT = 0  # lookup code: the cell needs the exact predicates (via an STRtree)


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
        same = part_of[1:] == part_of[:-1]
        xa, ya, xb, yb = xy[:-1, 0][same], xy[:-1, 1][same], xy[1:, 0][same], xy[1:, 1][same]
        r0, r1, c0, c1 = row[:-1][same], row[1:][same], col[:-1][same], col[1:][same]
        seg_unit = part_unit[part_of[:-1][same]].astype(np.int64)
        # A piece that changes row and column passes through exactly one of the two
        # other cells of its 2x2 block: the one on its side of the block's corner. Where
        # it passes (numerically) through the corner, both are marked and sent to the
        # STRtree, so no cell is ever marked that the boundary does not touch.
        diag = (r0 != r1) & (c0 != c1)
        xv = minx + np.maximum(c0, c1) * cell  # the vertical grid line crossed
        with np.errstate(divide="ignore", invalid="ignore"):
            y_at = ya + (xv - xa) * (yb - ya) / (xb - xa)
        yh = maxy - np.maximum(r0, r1) * cell  # the horizontal grid line crossed
        corner = diag & (np.abs(y_at - yh) <= 1e-9 * cell)
        row_at = np.where(
            maxy - y_at >= np.maximum(r0, r1) * cell, np.maximum(r0, r1), np.minimum(r0, r1)
        )
        off = np.where(diag, row_at * nx + np.where(row_at == r0, c1, c0), r0 * nx + c0)
        corners = [r0 * nx + c0, r1 * nx + c1, off]
        corners += [np.where(corner, r0 * nx + c1, off), np.where(corner, r1 * nx + c0, off)]
        keys = _sorted_unique(np.concatenate([c * nu + seg_unit for c in corners]))
        ambiguous = np.concatenate((r0[corner] * nx + c1[corner], r1[corner] * nx + c0[corner]))
        keys = np.concatenate((keys, self._overlap_keys(geoms, tree, keys, nu)))
        keys = _sorted_unique(keys)
        pair_cell = keys // nu
        first = np.concatenate(([True], pair_cell[1:] != pair_cell[:-1]))
        slot_cells = pair_cell[first]

        # Cells no boundary crosses form 4-connected components, each wholly inside the
        # same units; one point per component tells which.
        crossed = np.zeros(nx * ny, dtype=bool)
        crossed[slot_cells] = True
        comp, n_comp = ndimage.label(~crossed.reshape(ny, nx))
        flat = comp.ravel()
        rep = np.zeros(n_comp + 1, dtype=np.intp)
        rep[flat] = np.arange(flat.size)  # any one cell of each component
        rep = rep[1:]
        centres = shapely.points(minx + (rep % nx + 0.5) * cell, maxy - (rep // nx + 0.5) * cell)
        pi, gi = tree.query(centres, predicate="within")
        n_in = np.bincount(pi, minlength=n_comp)
        label = np.zeros(n_comp, dtype=np.int32)
        label[pi] = gi + 1
        comp_code = np.where(n_in == 1, label, np.where(n_in == 0, OUTSIDE, EXACT))
        code = np.concatenate(([EXACT], comp_code)).astype(np.int32)[flat]
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
        """(cell, Q) keys for the crossed cells of a unit P that lie wholly inside a unit Q.

        A unit holding part of a crossed cell either crosses it too (its key is there) or
        covers it wholly, which happens where units overlap: then Q contains the cell's
        centre. So every crossed cell of P whose centre lies in a unit Q whose box meets
        P's box gets Q as a candidate (a superset of the units covering it).
        """
        a, b = tree.query(geoms)  # pairs of units whose boxes meet
        keep = a != b
        a, b = a[keep], b[keep]
        if a.size == 0:
            return np.empty(0, dtype=np.int64)
        box = shapely.bounds(geoms)[b]
        cells_of = keys // nu
        unit_of = keys % nu
        order = np.argsort(unit_of, kind="stable")
        start = np.searchsorted(unit_of[order], a, side="left")
        count = np.searchsorted(unit_of[order], a, side="right") - start
        pair = np.repeat(np.arange(a.size), count)
        within = np.arange(pair.size) - np.repeat(np.cumsum(count) - count, count)
        cell = cells_of[order][np.repeat(start, count) + within]
        cx = self.x0 + (cell % self.nx + 0.5) * self.cell
        cy = self.y0 - (cell // self.nx + 0.5) * self.cell
        near = (
            (cx >= box[pair, 0])
            & (cx <= box[pair, 2])
            & (cy >= box[pair, 1])
            & (cy <= box[pair, 3])
        )
        cell, pair, cx, cy = cell[near], pair[near], cx[near], cy[near]
        inside = shapely.contains_xy(geoms[b[pair]], cx, cy)
        return np.asarray(cell[inside] * nu + b[pair[inside]], dtype=np.int64)

    def lookup(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.int32]:
        """Return the cell code of each point; ``EXACT`` for points off the grid."""
        # in place, to keep the memory of millions of events low
        col = np.subtract(x, self.x0)
        col /= self.cell
        np.floor(col, out=col)
        row = np.subtract(self.y0, y)
        row /= self.cell
        np.floor(row, out=row)
        ok = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)  # False for NaN
        row *= self.nx
        col += row  # flat cell index, exact in float64
        del row
        col[~ok] = 0
        out: NDArray[np.int32] = self.code.ravel()[col.astype(np.intp)]
        out[~ok] = EXACT
        return out

    def candidates(self, slots: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Expand crossed-cell slots into (position in ``slots``, candidate unit) pairs."""
        start = self.offsets[slots]
        count = self.offsets[slots + 1] - start
        pos = np.repeat(np.arange(len(slots)), count)
        within = np.arange(len(pos)) - np.repeat(np.cumsum(count) - count, count)
        return pos, self.cand[np.repeat(start, count) + within]


def _sorted_unique(values: NDArray[np.int64]) -> NDArray[np.int64]:
    """Return the sorted unique values (a sort and a mask; cheaper than np.unique here)."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))]
