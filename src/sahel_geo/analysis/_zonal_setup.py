"""What every step of a zonal statistics call shares: zone batches, their coverage and plans.

:func:`prepare` splits the zones into batches of nearby zones (:class:`Setup`); each batch
is worked on its own window of the raster (:class:`Part`, built by :func:`part`): the
coverage of its zones, each cell's weight, the plan of the row-block sums, the gathered
covered cells and the weights raster's values, all on the batch's window of the grid
the coverage is computed on (the common grid of the values and weights when the weights
are on another grid). Working a batch at a time bounds the memory a call needs by the
size of a batch, not of the raster or of all zones' coverage. A time stack is one batch
(its coverage is kept and reused for every step, as the stack's steps outnumber the
batches). The module is private to the package.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import cast

import numpy as np
import shapely
from affine import Affine
from numpy.typing import NDArray

from sahel_geo.analysis._coverage import Coverage, compute_coverage
from sahel_geo.analysis._zonal_grids import cell_areas_km2, nest_factors
from sahel_geo.analysis._zonal_kernels import (
    Cells,
    CoverageMode,
    Plan,
    Weights,
    cells,
    mode_weights,
    plan,
    scaled,
)
from sahel_geo.analysis._zonal_statistics import CellRules, UserStat, canonical_names, needs_cells
from sahel_geo.core.raster import Raster

__all__ = ["Part", "Setup", "part", "part_values", "parts", "prepare", "whole"]

#: Memory one batch of zones may take, bytes (estimated from its window and edges): a few
#: MB keeps the peak of a call within a few MB of its inputs and the work in the CPU cache.
#: With weights, eight times more: fewer, larger batches (the weights raster is itself
#: many times a batch, and each batch costs a gather of its weights).
_BATCH_BYTES = 9 << 19  # 4.5 MB

#: Estimated bytes per edge piece (the coverage kernel's arrays and the coverage kept).
_PIECE_BYTES = 220

#: Estimated bytes per cell of a batch's window: base (none), weights gathered onto it,
#: masks on a common grid, covered cells gathered for order statistics.
_CELL_BYTES = {"weights": 10, "repeat": 2, "cells": 40}


@dataclass(frozen=True)
class Setup:
    """What every step shares: the zones, their batches, the windows and the options.

    Computed once per call by :func:`prepare`; the work of each batch is a :class:`Part`
    (:func:`part`), kept for all steps of a stack, built again for each step otherwise.

    Attributes
    ----------
    geoms
        The zones' polygons.
    win
        The value raster's window (no nodata when ``default_value`` fills nodata cells).
    weights
        The weights raster (window on the same grid, or the whole raster on another
        grid), or None.
    ks
        :func:`~sahel_geo.analysis._zonal_grids.nest_factors` of the values and weights.
    batches
        The zones of each batch and its window ``(r0, r1, c0, c1)`` in value cells.
    names
        Canonical statistics, aliases resolved, user functions apart.
    funcs
        The user functions by name.
    mode
        The coverage mode.
    area_weighted
        Cell weights are multiplied by their true areas.
    rules
        :class:`CellRules`.
    fill
        The window with its nodata, when ``default_value`` fills nodata cells.
    default_value
        :attr:`CellRules.default_value`.
    kept
        The parts already built (a stack keeps them for every step).
    """

    geoms: NDArray[np.object_]
    win: Raster  # its nodata is None when CellRules.default_value fills nodata cells
    weights: Raster | None
    ks: tuple[int, int, int, int]
    batches: list[tuple[NDArray[np.int64], tuple[int, int, int, int]]]
    names: list[str]  # canonical statistics (aliases resolved), user functions apart
    funcs: dict[str, UserStat]
    mode: CoverageMode
    area_weighted: bool
    rules: CellRules
    fill: Raster | None  # the window with its nodata, when default_value fills it
    default_value: float | None
    kept: dict[int, Part] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    """What the zones of one batch share on their window: coverage, sum plan, cells, weights.

    Attributes
    ----------
    zones
        The batch's zones (indices into all zones); zone ``i`` of the part is
        ``zones[i]``.
    window
        The batch's window ``(r0, r1, c0, c1)`` in value cells of the value window.
    ks
        Common cells per value cell along y and x (1, 1 on the values' own grid).
    cov
        The coverage of the batch's zones on the window's grid.
    plan
        The plan of the row-block sums.
    cells
        The gathered covered cells, or None when no statistic reads them.
    win
        The window's grid as a raster (transform, shape, value type and nodata; its
        values are a placeholder: each step's are given by :func:`part_values`).
    names, funcs, mode, area_weighted
        As :class:`Setup`.
    true_area
        True area of one cell of each window row, km² (empty when no statistic or
        weight needs it).
    area_w
        The weights of the ``area_km2`` sums.
    wts, wts_valid
        The weights raster's values on the window (0 or ``default_weight`` on nodata;
        float32 where that holds them exactly) and validity.
    """

    zones: NDArray[np.int64]
    window: tuple[int, int, int, int]
    ks: tuple[int, int]
    cov: Coverage
    plan: Plan
    cells: Cells | None  # None: no statistic read from the cells
    win: Raster
    names: list[str]
    funcs: dict[str, UserStat]
    mode: CoverageMode
    area_weighted: bool
    true_area: NDArray[np.float64]
    area_w: Weights
    wts: NDArray[np.floating] | None
    wts_valid: NDArray[np.bool_] | None


def _morton(r: NDArray[np.int64], c: NDArray[np.int64]) -> NDArray[np.int64]:
    """Z-order key of cells: nearby cells get nearby keys (rows and columns < 2**24)."""
    key = np.zeros(len(r), dtype=np.int64)
    for bit in range(24):
        key |= ((r >> bit) & 1) << (2 * bit + 1)
        key |= ((c >> bit) & 1) << (2 * bit)
    return key


def _zone_boxes(
    geoms: NDArray[np.object_], win: Raster
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.float64]]:
    """Each zone's window ``(r0, r1, c0, c1)`` in value cells (one cell of margin), clipped.

    Also returns whether the window holds cells and the zone's length in cells.
    """
    n = len(geoms)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    b = np.zeros((n, 4))
    b[ok] = shapely.bounds(geoms[ok])
    g = win.grid
    h, w = g.height, g.width
    box = np.empty((n, 4), dtype=np.int64)
    box[:, 0] = np.clip(np.floor((g.y0 - b[:, 3]) / g.dy) - 1, 0, h)
    box[:, 1] = np.clip(np.ceil((g.y0 - b[:, 1]) / g.dy) + 1, 0, h)
    box[:, 2] = np.clip(np.floor((b[:, 0] - g.x0) / g.dx) - 1, 0, w)
    box[:, 3] = np.clip(np.ceil((b[:, 2] - g.x0) / g.dx) + 1, 0, w)
    inside = ok & (box[:, 1] > box[:, 0]) & (box[:, 3] > box[:, 2])
    length = np.zeros(n)
    length[ok] = shapely.length(geoms[ok]) / min(g.dx, g.dy)
    return box, inside, length


def _batches(
    geoms: NDArray[np.object_], win: Raster, ks: tuple[int, int], cost: tuple[int, int]
) -> list[tuple[NDArray[np.int64], tuple[int, int, int, int]]]:
    """Split the zones into batches of nearby zones of about ``cost[1]`` bytes each.

    ``cost[0]`` is the estimated bytes per cell of a batch's window.

    Zones are taken in Z-order of their windows' centres and a batch is closed when its
    window (the union of its zones') and edge pieces would pass the budget; a zone too
    large for it is a batch of its own. Zones that cover no cell of the window go with
    the first batch (they get no data there, as anywhere).
    """
    box, inside, length = _zone_boxes(geoms, win)
    k = ks[0] * ks[1]
    # edge pieces on the coverage grid: the boundary's length in cells, both ways, + vertices
    pieces = length * 1.5 * max(ks) + 2 * shapely.get_num_coordinates(geoms)
    idx = np.flatnonzero(inside)
    centre_r, centre_c = (box[idx, 0] + box[idx, 1]) // 2, (box[idx, 2] + box[idx, 3]) // 2
    order = idx[np.argsort(_morton(centre_r, centre_c), kind="stable")]
    out = _greedy(order, box[order], pieces[order], k, cost)
    if not out:  # no zone covers a cell: one empty batch for all
        out.append((np.zeros(0, dtype=np.int64), (0, 0, 0, 0)))
    rest = np.flatnonzero(~inside)
    first = np.concatenate([np.asarray(out[0][0], dtype=np.int64), rest])
    return [(np.sort(first), out[0][1]), *out[1:]]


def _greedy(
    order: NDArray[np.int64],
    boxes: NDArray[np.int64],
    pieces: NDArray[np.float64],
    k: int,
    cost: tuple[int, int],
) -> list[tuple[NDArray[np.int64], tuple[int, int, int, int]]]:
    """Cut the zones (in ``order``, with their windows and edge pieces) into batches.

    A batch takes zones while its need -- the cells of the union of their windows times
    ``cost[0]`` plus their pieces -- stays within ``cost[1]``; its first zone always
    (a zone too large is a batch of its own). The need only grows along the zones, so
    each batch ends at the first zone past the budget, found on running minima, maxima
    and sums over a look-ahead (twice the last batch) that grows fourfold until it holds
    that zone. The batches are those of a loop over the zones, in a few array calls per
    batch: 0.14 ms against the loop's ~0.9 ms for ~1,300 communes in 8 batches, ~10 us
    more a batch where batches hold one zone (each then costs far more to work).
    """
    out: list[tuple[NDArray[np.int64], tuple[int, int, int, int]]] = []
    start, n, span = 0, len(order), 64
    while start < n:
        while True:
            stop = min(n, start + span)
            b = boxes[start:stop]
            r0, r1 = np.minimum.accumulate(b[:, 0]), np.maximum.accumulate(b[:, 1])
            c0, c1 = np.minimum.accumulate(b[:, 2]), np.maximum.accumulate(b[:, 3])
            need = (r1 - r0) * (c1 - c0) * k * cost[0] + np.cumsum(pieces[start:stop]) * (
                _PIECE_BYTES
            )
            over = np.flatnonzero(need > cost[1])
            if over.size or stop == n:
                break
            span *= 4
        j = max(int(over[0]), 1) if over.size else stop - start
        window = (int(r0[j - 1]), int(r1[j - 1]), int(c0[j - 1]), int(c1[j - 1]))
        out.append((order[start : start + j], window))
        start, span = start + j, max(16, 2 * j)
    return out


def prepare(
    geoms: NDArray[np.object_],
    win: Raster,
    wwin: Raster | None,
    stats: tuple[list[str], dict[str, UserStat]],
    *,
    mode: CoverageMode,
    area_weighted: bool,
    rules: CellRules,
) -> Setup:
    """Split the zones into batches and keep what every step needs to work them.

    Parameters
    ----------
    geoms
        The zones' polygons.
    win
        The value raster's window.
    wwin
        The weights: the window on the same grid, or the whole raster on another grid
        (:func:`~sahel_geo.analysis._zonal_grids.nest_factors` finds their common grid);
        or None.
    stats
        The output column names and the user functions (:func:`parse_stats`).
    mode
        The coverage mode.
    area_weighted
        Multiply each cell's weight by its true area.
    rules
        Which cells count and what nodata cells count as.

    Returns
    -------
    Setup
        What every step shares.
    """
    funcs = stats[1]
    names = canonical_names([s for s in stats[0] if s not in funcs])
    ks = nest_factors(win, wwin) if wwin is not None else (1, 1, 1, 1)
    cell_bytes = 1
    if wwin is not None:
        cell_bytes += _CELL_BYTES["weights"]
    if ks[0] * ks[1] > 1:
        cell_bytes += _CELL_BYTES["repeat"]
    if needs_cells(names, funcs):
        cell_bytes += _CELL_BYTES["cells"]
    budget = _BATCH_BYTES * (8 if wwin is not None else 1)
    if win.is_stack:  # every part is kept for every step anyway: one batch, fewest calls
        budget = 1 << 62
    fill = win if rules.default_value is not None else None
    return Setup(
        geoms=geoms,
        win=replace(win, nodata=None) if fill is not None else win,
        weights=wwin,
        ks=ks,
        batches=_batches(geoms, win, (ks[0], ks[1]), (cell_bytes, budget)),
        names=names,
        funcs=funcs,
        mode=mode,
        area_weighted=area_weighted,
        rules=rules,
        fill=fill,
        default_value=rules.default_value,
    )


def _grid_raster(win: Raster, window: tuple[int, int, int, int], ks: tuple[int, int]) -> Raster:
    """Return the window's grid (common cells: ``ks`` per value cell) as a placeholder raster."""
    r0, r1, c0, c1 = window
    t = win.transform
    ky, kx = ks
    tc = Affine(t.a / kx, 0.0, t.c + t.a * c0, 0.0, t.e / ky, t.f + t.e * r0)
    shape = ((r1 - r0) * ky, (c1 - c0) * kx)
    dtype = win.values.dtype
    return replace(win, values=np.broadcast_to(np.zeros((), dtype=dtype), shape), transform=tc)


def _weights_window(grid: Raster, weights: Raster) -> NDArray[np.generic]:
    """Return the weights raster's values on the grid's cells (NaN outside the weights).

    A view of the weights when the grid is the weights' own (the weights are the finer
    grid, or the same) and lies inside them; else each cell takes the weights cell its
    centre lies in, through row and column index maps.
    """
    tc, tw = grid.transform, weights.transform
    h, w = grid.shape
    wh, ww = weights.shape
    col0 = (tc.c + 0.5 * tc.a - tw.c) / tw.a
    row0 = (tc.f + 0.5 * tc.e - tw.f) / tw.e
    same = abs(tc.a - tw.a) <= 1e-9 * abs(tw.a) and abs(tc.e - tw.e) <= 1e-9 * abs(tw.e)
    c0, r0 = int(np.floor(col0)), int(np.floor(row0))
    if same and min(c0, r0) >= 0 and c0 + w <= ww and r0 + h <= wh:
        return weights.values[r0 : r0 + h, c0 : c0 + w]
    if same:  # partly outside the weights: the part inside, NaN (nodata) around it
        ra, rb, ca, cb = max(r0, 0), min(r0 + h, wh), max(c0, 0), min(c0 + w, ww)
        out = np.full((h, w), np.nan, dtype=np.result_type(weights.values.dtype, np.float32))
        if rb > ra and cb > ca:
            out[ra - r0 : rb - r0, ca - c0 : cb - c0] = weights.values[ra:rb, ca:cb]
        return out
    cols = np.floor((tc.c + (np.arange(w) + 0.5) * tc.a - tw.c) / tw.a).astype(np.int64)
    rows = np.floor((tc.f + (np.arange(h) + 0.5) * tc.e - tw.f) / tw.e).astype(np.int64)
    okc, okr = (cols >= 0) & (cols < ww), (rows >= 0) & (rows < wh)
    raw = weights.values[np.ix_(np.clip(rows, 0, wh - 1), np.clip(cols, 0, ww - 1))]
    if okc.all() and okr.all():
        return raw
    return np.where(okr[:, None] & okc[None, :], raw, np.nan)


def _weight_arrays(
    grid: Raster, weights: Raster | None, default_weight: float | None
) -> tuple[NDArray[np.floating] | None, NDArray[np.bool_] | None]:
    """Return the weights on the window's grid (0, or ``default_weight``, on nodata), validity.

    Each cell takes the weight of the weights cell its centre lies in (exact: the grids
    nest), nodata outside the weights raster. The weights are kept as float32 when that
    holds them exactly (float32 or small integer rasters), else as float64.
    """
    if weights is None:
        return None, None
    raw = _weights_window(grid, weights)
    wts_valid = weights.valid_mask(raw)  # (cells outside the weights are NaN: invalid)
    dtype = np.result_type(weights.values.dtype, np.float32)
    if default_weight is not None and float(np.float32(default_weight)) != default_weight:
        dtype = np.dtype(np.float64)
    if raw.dtype == dtype and wts_valid.all():  # all valid: the weights as they are
        return cast("NDArray[np.floating]", raw), wts_valid
    wts = np.where(wts_valid, raw, 0).astype(dtype, copy=False)
    if default_weight is not None:
        wts[~wts_valid] = float(default_weight)
        wts_valid = np.ones_like(wts_valid)
    return wts, wts_valid


def part(setup: Setup, zones: NDArray[np.int64], window: tuple[int, int, int, int]) -> Part:
    """Compute the coverage, weights, sum plan and cells of some zones on a window.

    Parameters
    ----------
    setup
        What every step shares.
    zones
        The zones (indices into all zones).
    window
        The window ``(r0, r1, c0, c1)`` in value cells, holding every cell the zones
        cover.

    Returns
    -------
    Part
        What every step needs for these zones.
    """
    ks = (setup.ks[0], setup.ks[1])
    grid = _grid_raster(setup.win, window, ks)
    geoms = setup.geoms[zones]
    cov = compute_coverage(geoms, grid.grid)
    areas = setup.area_weighted or bool({"area_km2", "coverage_area"} & set(setup.names))
    true_area = cell_areas_km2(grid) if areas else np.zeros(0)
    row_area = true_area if setup.area_weighted else None
    w0 = mode_weights(cov, setup.mode, geoms, min_frac=setup.rules.min_coverage_frac)
    w = scaled(cov, w0, row_area)
    wts, wts_valid = _weight_arrays(grid, setup.weights, setup.rules.default_weight)
    return Part(
        zones=zones,
        window=window,
        ks=ks,
        cov=cov,
        plan=plan(cov, w, row_area, ks=ks),
        cells=cells(cov, w, row_area) if needs_cells(setup.names, setup.funcs) else None,
        win=grid,
        names=setup.names,
        funcs=setup.funcs,
        mode=setup.mode,
        area_weighted=setup.area_weighted,
        true_area=true_area,
        area_w=scaled(cov, w0, true_area) if "area_km2" in setup.names else w0,
        wts=wts,
        wts_valid=wts_valid,
    )


def parts(setup: Setup) -> Iterator[Part]:
    """Yield the part of every batch (kept in ``setup.kept`` for a stack)."""
    keep = setup.win.is_stack
    for b, (zones, window) in enumerate(setup.batches):
        if b in setup.kept:
            yield setup.kept[b]
            continue
        p = part(setup, zones, window)
        if keep:
            setup.kept[b] = p
        yield p


def whole(setup: Setup) -> Part:
    """Return one part of all zones on the whole window (the per-cell table needs it)."""
    h, w = setup.win.shape
    return part(setup, np.arange(len(setup.geoms), dtype=np.int64), (0, h, 0, w))


def part_values(p: Part, values: NDArray[np.generic]) -> NDArray[np.generic]:
    """Return one step's values on a part's window, on the values' own grid (a view).

    On a common grid the sums and the gathered cells read each value for its
    ``ky x kx`` common cells through index maps (:attr:`Part.ks`); nothing is repeated.

    Parameters
    ----------
    p
        The part.
    values
        The values of one step on the value window.

    Returns
    -------
    numpy.ndarray
        A view of the part's window of ``values``.
    """
    r0, r1, c0, c1 = p.window
    return values[..., r0:r1, c0:c1]
