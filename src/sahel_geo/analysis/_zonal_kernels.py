"""Zonal statistics kernels: cell weights, row-block sums, the gathered covered cells.

Used by :func:`sahel_geo.analysis.zonal.zonal_stats`; everything here works on the
:class:`~sahel_geo.analysis._coverage.Coverage` of all zones at once. The module is
private to the package; its public names are the steps ``zonal_stats`` is made of. The
order statistics of the gathered cells are in :mod:`sahel_geo.analysis._zonal_order`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import shapely
from numpy.typing import NDArray

from sahel_geo.analysis._coverage import Coverage, argsort_packed
from sahel_geo.core.arrays import ranges
from sahel_geo.core.raster import Raster
from sahel_geo.core.threads import private_geometries

__all__ = [
    "Cells",
    "CoverageMode",
    "Plan",
    "Weights",
    "area_sum",
    "cells",
    "gather",
    "mode_weights",
    "moments",
    "plan",
    "scaled",
]

CoverageMode = Literal["fraction", "center", "all_touched"]

#: Weights at or below this are no weight (coverage fractions are exact to ~1e-15).
_TINY = 1e-12


@dataclass(frozen=True)
class Weights:
    """Per-run and per-boundary-cell weights for one coverage mode.

    Attributes
    ----------
    run_w
        Weight of every cell of each run of the :class:`Coverage` (runs' order).
    cell_w
        Weight of each boundary cell (boundary cells' order).
    """

    run_w: NDArray[np.float64]
    cell_w: NDArray[np.float64]


def mode_weights(
    cov: Coverage, mode: CoverageMode, geoms: NDArray[np.object_], *, min_frac: float = 0.0
) -> Weights:
    """Return the cell weights of a coverage mode (see :mod:`sahel_geo.analysis.zonal`).

    Parameters
    ----------
    cov
        The coverage of the zones.
    mode
        ``"fraction"``: the coverage fraction, rounded to float32 as exactextract does;
        ``"center"``: 1 where the cell's centre is in the zone; ``"all_touched"``: 1.
    geoms
        The zones' polygons (``"center"`` tests the boundary cells' centres on prepared
        copies: the zones may be shared between threads).
    min_frac
        Cells whose coverage fraction (as a 32-bit float, as exactextract compares it)
        is below this get no weight, whatever the mode (exactextract's
        ``min_coverage_frac``: a cell covered exactly this much is kept).

    Returns
    -------
    Weights
        Per-run and per-boundary-cell weights.
    """
    g = cov.grid
    if mode == "fraction":
        cell_w = cov.cell_cover.astype(np.float32).astype(np.float64)
        run_w = cov.run_value
    elif mode == "center":
        xc = g.x0 + (cov.cell_col + 0.5) * g.dx
        yc = g.y0 - (cov.cell_row + 0.5) * g.dy
        geoms = private_geometries(geoms)
        shapely.prepare(geoms)
        cell_w = shapely.contains_xy(geoms[cov.cell_zone], xc, yc).astype(np.float64)
        run_w = np.round(cov.run_value)
    else:
        cell_w = np.ones(len(cov.cell_zone))
        run_w = np.round(cov.run_value)
    if min_frac > 0:
        thr = np.float32(min_frac)
        cell_w = np.where(cov.cell_cover.astype(np.float32) >= thr, cell_w, 0.0)
        run_w = np.where(cov.run_value.astype(np.float32) >= thr, run_w, 0.0)
    return Weights(run_w=run_w, cell_w=cell_w)


def scaled(cov: Coverage, w: Weights, row_area: NDArray[np.float64] | None) -> Weights:
    """Return the weights with boundary cells' weights times their row's area.

    Runs keep their weights: they are scaled by :func:`plan` and :func:`cells`.

    Parameters
    ----------
    cov
        The coverage the weights belong to.
    w
        The weights.
    row_area
        Area of a cell of each row of the window; None returns ``w`` itself.

    Returns
    -------
    Weights
        The scaled weights.
    """
    if row_area is None:
        return w
    return Weights(run_w=w.run_w, cell_w=w.cell_w * row_area[cov.cell_row])


@dataclass(frozen=True)
class Plan:
    """What the sums need, precomputed once and reused for every step of a stack.

    Runs are sorted by (row, col0) and cut into blocks of rows; boundary cells stay in
    zone order (their values are gathered from the whole window at once). Built by
    :func:`plan`, read by :func:`moments`.
    """

    block_rows: int
    cuts: list[int]  # runs of block b: cuts[b] .. cuts[b + 1]
    cols: tuple[list[int], list[int]]  # columns of block b: cols[0][b] .. cols[1][b]
    idx: NDArray[np.int64]  # reduceat indices within the block: run starts and ends, interleaved
    run_w: NDArray[np.float64]
    run_zone: NDArray[np.int64]
    run_len: NDArray[np.float64]
    run_flat0: NDArray[np.int64]  # first and last + 1 cell of each run, row-major in the window
    run_flat1: NDArray[np.int64]
    cell_row: NDArray[np.int64]
    cell_col: NDArray[np.int64]
    cell_w: NDArray[np.float64]
    cell_zone: NDArray[np.int64]
    ks: tuple[int, int] = (1, 1)  # grid cells per value cell along y and x


#: Cells of one row block: small enough to stay in cache, large enough to amortise calls.
_BLOCK_CELLS = 1 << 16


def plan(
    cov: Coverage,
    w: Weights,
    row_area: NDArray[np.float64] | None,
    *,
    ks: tuple[int, int] = (1, 1),
) -> Plan:
    """Sort the runs by (row, col0) and cut them into blocks of rows.

    Parameters
    ----------
    cov
        The coverage of the zones.
    w
        The cell weights (boundary cells already scaled by :func:`scaled`).
    row_area
        Area of a cell of each row, to scale the runs' weights; None: no scaling.
    ks
        Cells of the coverage grid per value cell along y and x, when the coverage is on
        a common grid finer than the values' (blocks are whole value rows).

    Returns
    -------
    Plan
        The runs in row order with their reduceat indices, and the boundary cells.
    """
    height, width = cov.grid.height, cov.grid.width
    block = max(1, min(height, _BLOCK_CELLS // max(width, 1)))
    block = max(ks[0], block - block % ks[0])
    ro = argsort_packed(cov.run_row * np.int64(width + 1) + cov.run_col0, height * (width + 1))
    rows, c0s, c1s = cov.run_row[ro], cov.run_col0[ro], cov.run_col1[ro]
    flat0 = rows * width + c0s
    flat1 = rows * width + c1s
    cuts_a = np.searchsorted(rows, np.arange(0, height + block, block))
    # each block's columns: those its runs span (whole value cells on a common grid)
    lo = np.zeros(len(cuts_a) - 1, dtype=np.int64)
    hi = np.zeros(len(cuts_a) - 1, dtype=np.int64)
    filled = np.flatnonzero(np.diff(cuts_a) > 0)
    if len(filled):
        kx = ks[1]
        lo[filled] = np.minimum.reduceat(c0s, cuts_a[filled]) // kx * kx
        hi[filled] = -(-np.maximum.reduceat(c1s, cuts_a[filled]) // kx) * kx
    blk = rows // block
    local0 = (rows - blk * block) * (hi - lo)[blk] - lo[blk]
    idx = np.empty(2 * len(ro), dtype=np.int64)
    idx[0::2] = local0 + c0s
    idx[1::2] = local0 + c1s
    run_w = w.run_w if row_area is None else w.run_w * row_area[cov.run_row]
    return Plan(
        block_rows=block,
        cuts=cuts_a.tolist(),
        cols=(lo.tolist(), hi.tolist()),
        idx=idx,
        run_w=run_w[ro],
        run_zone=cov.run_zone[ro],
        run_len=(flat1 - flat0).astype(np.float64),
        run_flat0=flat0,
        run_flat1=flat1,
        cell_row=cov.cell_row,
        cell_col=cov.cell_col,
        cell_w=w.cell_w,
        cell_zone=cov.cell_zone,
        ks=ks,
    )


def _quantity(
    name: str,
    v: NDArray[np.float64],
    ok: NDArray[np.bool_],
    ref: float,
    wv: NDArray[np.floating] | None,
    wok: NDArray[np.bool_] | None,
) -> NDArray[np.float64]:
    """One quantity of :func:`moments` from values (0 on nodata), validity and weights."""
    out = np.empty(v.shape)
    if name in ("valid", "v"):
        np.copyto(out, ok if name == "valid" else v)
    elif name in ("sh", "sh2"):
        np.subtract(v, ref, out=out)
        np.copyto(out, 0.0, where=~ok)
        if name == "sh2":
            np.multiply(out, out, out=out)
    elif name == "invalid":
        np.copyto(out, ~ok)
    elif name in ("wv", "wvv"):
        assert wv is not None
        if name == "wv":
            np.copyto(out, wv)
        else:
            np.multiply(wv, v, out=out)
    elif name == "wnod":
        assert wok is not None
        np.copyto(out, ok & ~wok)
    else:  # pragma: no cover - internal names only
        raise ValueError(name)
    return out


def _nodata_flat(raster: Raster, raw: NDArray[np.generic], *, full: bool) -> NDArray[np.intp]:
    """Row-major positions of the nodata cells of a 2-D block.

    ``full=False`` finds only the cells equal to the nodata value (NaN cells when it is
    NaN), which is cheaper; the caller must then detect any other NaN or infinite cell
    (its run's sum is not finite) and ask again with ``full=True``.
    """
    floating = np.issubdtype(raw.dtype, np.floating)
    if full:
        if floating or raster.nodata is not None:
            return np.flatnonzero(~raster.valid_mask(raw))
    elif raster.nodata is not None:
        return np.flatnonzero(raster.nodata_mask(raw))
    return np.zeros(0, dtype=np.intp)


_G = TypeVar("_G", bound=np.generic)


def gather(values: NDArray[_G], rows: NDArray[np.int64], cols: NDArray[np.int64]) -> NDArray[_G]:
    """Return ``values[rows, cols]`` of a 2-D array, by flat index when its rows are contiguous.

    A window cropped from a larger raster is such a view; reading it through a 1-D view
    of the same memory (rows ``row stride`` apart) is several times faster than 2-D
    fancy indexing.

    Parameters
    ----------
    values
        A 2-D array.
    rows, cols
        Row and column of each cell to read.

    Returns
    -------
    numpy.ndarray
        The cells' values.
    """
    h, w = values.shape
    isz = values.itemsize
    s0, s1 = values.strides
    if h == 0 or w == 0 or s1 != isz or s0 <= 0 or s0 % isz:
        return values[rows, cols]
    step = s0 // isz
    flat = np.lib.stride_tricks.as_strided(
        values, shape=((h - 1) * step + w,), strides=(isz,), writeable=False
    )
    return flat.take(rows * step + cols)


def _expand(flat_v: NDArray[np.intp], width_v: int, ks: tuple[int, int]) -> NDArray[np.intp]:
    """Row-major positions, on a grid ``ks`` times finer, of the cells of some cells."""
    ky, kx = ks
    if ky * kx == 1 or not len(flat_v):
        return flat_v
    r, c = np.divmod(flat_v, width_v)
    dy = np.arange(ky)[None, :, None]
    dx = np.arange(kx)[None, None, :]
    fine = (r[:, None, None] * ky + dy) * (width_v * kx) + c[:, None, None] * kx + dx
    return np.sort(fine.reshape(-1))


def _fill_block(dst: NDArray[np.float64], raw: NDArray[np.generic], ks: tuple[int, int]) -> None:
    """Copy a block of values into the float64 buffer, each into its ``ky x kx`` cells."""
    ky, kx = ks
    if ky * kx == 1:
        dst[...] = raw
        return
    h, w = raw.shape
    row = np.repeat(raw, kx, axis=1) if kx > 1 else raw  # (long inner loops: ~2x faster)
    dst.reshape(h, ky, w * kx)[...] = row[:, None, :]


def _block_quantity(
    name: str,
    out: NDArray[np.float64],
    v: NDArray[np.float64],
    bad: NDArray[np.intp],
    ref: float,
    weights: tuple[NDArray[np.floating], NDArray[np.bool_]] | None,
) -> None:
    """Write one quantity of :func:`moments` for a block of rows into ``out``.

    ``v`` holds the block's values with its nodata cells (row-major positions ``bad``)
    set to 0; the weights are 0 where they are nodata. ``sh2`` squares ``out`` in place:
    it must follow ``sh``.
    """
    flat = out.reshape(-1)
    if name == "sh":
        np.subtract(v, ref, out=out)
    elif name == "sh2":
        np.multiply(out, out, out=out)
    elif name == "invalid":
        out[...] = 0.0
        flat[bad] = 1.0
        return
    else:
        assert weights is not None
        wts, wok = weights
        if name == "wv":
            np.copyto(out, wts)
        elif name == "wvv":
            np.multiply(v, wts, out=out)
            return
        else:  # wnod
            np.copyto(out, ~wok)
    flat[bad] = 0.0


def _run_sums(
    plan: Plan,
    raster: Raster,
    values: NDArray[np.generic],
    names: list[str],
    ref: float,
    weights: tuple[NDArray[np.floating] | None, NDArray[np.bool_] | None],
) -> dict[str, NDArray[np.float64]]:
    """Each run's sum of each quantity of :func:`moments`, a block of rows at a time."""
    ky, kx = plan.ks
    height, width = values.shape[0] * ky, values.shape[1] * kx
    wts, wts_valid = weights
    run_sums = {k: np.zeros(len(plan.run_zone)) for k in names}
    dense = [k for k in names if k not in ("valid", "v")]
    # Only the cells equal to nodata are looked for when the value sums can tell whether
    # a NaN or infinite value was summed into a run (rare: the block is then redone).
    cheap = "v" in names and not dense
    block = plan.block_rows
    buf = np.zeros(min(block, height) * width + 1)
    qbuf = np.zeros(len(buf) if dense else 0)
    bads: list[NDArray[np.intp]] = []
    for b, r0 in enumerate(range(0, height, block)):  # blocks of rows, not cells
        i0, i1 = plan.cuts[b], plan.cuts[b + 1]
        if i0 == i1:
            continue
        r1 = min(r0 + block, height)
        lo, hi = plan.cols[0][b], plan.cols[1][b]
        size = (r1 - r0) * (hi - lo)
        idx = plan.idx[2 * i0 : 2 * i1]
        raw = values[r0 // ky : r1 // ky, lo // kx : hi // kx]
        flat = buf[: size + 1]
        block2d = flat[:size].reshape(r1 - r0, hi - lo)
        _fill_block(block2d, raw, (ky, kx))
        bad = _expand(_nodata_flat(raster, raw, full=not cheap), raw.shape[1], (ky, kx))
        if len(bad):
            flat[bad] = 0.0
        if "v" in names:
            seg = np.add.reduceat(flat, idx)[0::2]
            if cheap and not np.isfinite(seg).all():
                bad = _expand(_nodata_flat(raster, raw, full=True), raw.shape[1], (ky, kx))
                flat[bad] = 0.0
                seg = np.add.reduceat(flat, idx)[0::2]
            run_sums["v"][i0:i1] = seg
        if "valid" in names and len(bad):
            r_b, c_b = np.divmod(bad, hi - lo)
            bads.append((r0 + r_b) * width + lo + c_b)
        wb = None
        if wts is not None and wts_valid is not None:
            wb = (wts[r0:r1, lo:hi], wts_valid[r0:r1, lo:hi])
        q = qbuf[: size + 1]
        for name in dense:  # (sh2 squares sh in place: sh comes first)
            _block_quantity(name, q[:size].reshape(r1 - r0, hi - lo), block2d, bad, ref, wb)
            run_sums[name][i0:i1] = np.add.reduceat(q, idx)[0::2]
    if "valid" in names:
        run_sums["valid"] = plan.run_len
        if bads:  # nodata cells in each run, from their sorted positions
            all_bad = np.concatenate(bads)
            n_bad = np.searchsorted(all_bad, plan.run_flat1) - np.searchsorted(
                all_bad, plan.run_flat0
            )
            run_sums["valid"] = plan.run_len - n_bad
    return run_sums


def moments(
    plan: Plan,
    n: int,
    raster: Raster,
    values: NDArray[np.generic],
    names: list[str],
    *,
    ref: float = 0.0,
    wts: NDArray[np.floating] | None = None,
    wts_valid: NDArray[np.bool_] | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Return the zone sums of weight x quantity for each quantity in ``names``.

    Quantities: ``valid`` (1 on data), ``v`` (value on data), ``sh``/``sh2`` (value - ref
    and its square, on data), ``invalid`` (1 on nodata), ``wv``/``wvv`` (weight and weight x
    value where both have data), ``wnod`` (1 where the value has data and the weight not).

    Runs, a block of rows at a time: runs lie along rows, so each run's sum is one segment
    of the block's flat buffer and ``numpy.add.reduceat`` sums all of them in one call.
    ``valid`` and ``v`` need no array of their own: the values are copied once (as
    float64), the few nodata cells set to 0, and the nodata cells of each run counted
    from their sorted positions; other quantities are written into the same buffer, one
    after the other. Boundary cells: one gather from the whole window.

    Parameters
    ----------
    plan
        The runs and boundary cells (:func:`plan`).
    n
        Number of zones.
    raster
        The raster the values come from (its nodata rules).
    values
        The 2-D values of the window, on the values' grid: with coverage on a common grid
        (``plan.ks``), each value stands for its ``ky x kx`` cells of it, read through
        index maps (never repeated into a window-sized array).
    names
        The quantities to sum.
    ref
        Reference value subtracted for ``sh``/``sh2``.
    wts, wts_valid
        The ``weights`` raster's values (0 on nodata; float32 or float64) and validity,
        on the coverage grid.

    Returns
    -------
    dict of str to numpy.ndarray
        One array of ``n`` zone sums per name.
    """
    run_sums = _run_sums(plan, raster, values, names, ref, (wts, wts_valid))
    # Boundary cells: their values, gathered once.
    cr, cc, cd, cz = plan.cell_row, plan.cell_col, plan.cell_w, plan.cell_zone
    ky, kx = plan.ks
    raw_c = gather(values, cr // ky, cc // kx) if ky * kx > 1 else gather(values, cr, cc)
    ok_c = raster.valid_mask(raw_c)
    v_c = np.where(ok_c, raw_c, 0.0).astype(np.float64)
    wv_c = wok_c = None
    if wts is not None and wts_valid is not None:
        wok_c = gather(wts_valid, cr, cc)
        wv_c = np.where(ok_c & wok_c, gather(wts, cr, cc), 0.0)
    out: dict[str, NDArray[np.float64]] = {}
    for name in names:
        q_c = _quantity(name, v_c, ok_c, ref, wv_c, wok_c)
        runs = np.bincount(plan.run_zone, plan.run_w * run_sums[name], n)
        out[name] = np.asarray(runs + np.bincount(cz, cd * q_c, n), dtype=np.float64)
    return out


def area_sum(cov: Coverage, area_w: Weights, true_area: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the zone sums of coverage x true cell area (all cells, with data or not).

    Parameters
    ----------
    cov
        The coverage of the zones.
    area_w
        The cell weights, boundary cells scaled by the true area (:func:`scaled`).
    true_area
        True area of a cell of each row, km².

    Returns
    -------
    numpy.ndarray
        Area per zone, km².
    """
    n = cov.n_zones
    run_sum = area_w.run_w * (cov.run_col1 - cov.run_col0) * true_area[cov.run_row]
    out: NDArray[np.float64] = np.bincount(cov.run_zone, run_sum, n).astype(np.float64)
    out += np.bincount(cov.cell_zone, area_w.cell_w, n)
    return out


@dataclass(frozen=True)
class Cells:
    """Every cell with weight > 0, grouped by zone (order statistics read these).

    Attributes
    ----------
    zone
        Zone of each cell, ascending.
    flat
        Row-major index of the cell in the window.
    weight
        The cell's weight (> 0).
    """

    zone: NDArray[np.int64]
    flat: NDArray[np.int64]
    weight: NDArray[np.float64]


def cells(cov: Coverage, w: Weights, row_area: NDArray[np.float64] | None) -> Cells:
    """Return every cell with weight > 0 of every zone, grouped by zone.

    Parameters
    ----------
    cov
        The coverage of the zones.
    w
        The cell weights (boundary cells already scaled by :func:`scaled`).
    row_area
        Area of a cell of each row, to scale the runs' cells; None: no scaling.

    Returns
    -------
    Cells
        Zone, flat index and weight of each cell, stable-sorted by zone.
    """
    width = cov.grid.width
    owner, col = ranges(cov.run_col0, cov.run_col1 - 1)
    zone = cov.run_zone[owner]
    row = cov.run_row[owner]
    flat = row * width + col
    # Runs and boundary cells are disjoint: every run cell is an interior cell.
    rw = w.run_w[owner]
    if row_area is not None:
        rw = rw * row_area[row]
    keep = w.cell_w > _TINY
    z = np.concatenate([zone, cov.cell_zone[keep]])
    f = np.concatenate([flat, cov.cell_row[keep] * width + cov.cell_col[keep]])
    wt = np.concatenate([rw, w.cell_w[keep]])
    pos_w = wt > _TINY
    order = np.argsort(z[pos_w], kind="stable")
    return Cells(zone=z[pos_w][order], flat=f[pos_w][order], weight=wt[pos_w][order])
