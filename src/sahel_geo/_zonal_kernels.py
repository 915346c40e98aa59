"""Zonal statistics kernels: cell weights, row-block sums, order statistics (private).

Used by :func:`sahel_geo.zonal.zonal_stats`; everything here works on the
:class:`~sahel_geo._coverage.Coverage` of all zones at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from numpy.typing import NDArray

from sahel_geo._coverage import Coverage, _ranges
from sahel_geo._raster import Raster

__all__: list[str] = []

CoverageMode = Literal["fraction", "center", "all_touched"]

#: Weights at or below this are no weight (coverage fractions are exact to ~1e-15).
_TINY = 1e-12


@dataclass(frozen=True)
class _Weights:
    """Per-run and per-boundary-cell weights for one coverage mode."""

    run_w: NDArray[np.float64]
    cell_w: NDArray[np.float64]  # the cell's own weight
    cell_delta: NDArray[np.float64]  # its weight minus the run value under it


def _mode_weights(cov: Coverage, mode: CoverageMode, geoms: NDArray[np.object_]) -> _Weights:
    g = cov.grid
    if mode == "fraction":
        cell_w = cov.cell_cover.astype(np.float32).astype(np.float64)
        run_w = cov.run_value
    elif mode == "center":
        xc = g.x0 + (cov.cell_col + 0.5) * g.dx
        yc = g.y0 - (cov.cell_row + 0.5) * g.dy
        shapely.prepare(geoms)
        cell_w = shapely.contains_xy(geoms[cov.cell_zone], xc, yc).astype(np.float64)
        run_w = np.round(cov.run_value)
    else:
        cell_w = np.ones(len(cov.cell_zone))
        run_w = np.round(cov.run_value)
    base = cov.cell_base if mode == "fraction" else np.round(cov.cell_base)
    return _Weights(run_w=run_w, cell_w=cell_w, cell_delta=cell_w - base)


def _scaled(cov: Coverage, w: _Weights, row_area: NDArray[np.float64] | None) -> _Weights:
    """Boundary-cell weights times their row's area (runs are scaled when summing)."""
    if row_area is None:
        return w
    ra = row_area[cov.cell_row]
    return _Weights(run_w=w.run_w, cell_w=w.cell_w * ra, cell_delta=w.cell_delta * ra)


@dataclass(frozen=True)
class _Block:
    """What a block of rows needs, precomputed once and reused for every step of a stack."""

    r0: int
    r1: int
    idx: NDArray[np.int64]  # reduceat indices: run starts and ends, interleaved
    run_w: NDArray[np.float64]
    run_zone: NDArray[np.int64]
    run_len: NDArray[np.float64]
    cell_row: NDArray[np.int64]  # relative to r0
    cell_col: NDArray[np.int64]
    cell_delta: NDArray[np.float64]
    cell_zone: NDArray[np.int64]


#: Cells of one row block: small enough to stay in cache, large enough to amortise calls.
_BLOCK_CELLS = 1 << 18


def _plan(cov: Coverage, w: _Weights, row_area: NDArray[np.float64] | None) -> list[_Block]:
    """Split runs and boundary cells into blocks of rows, runs in (row, col0) order."""
    height, width = cov.grid.height, cov.grid.width
    block = max(1, min(height, _BLOCK_CELLS // max(width, 1)))
    ro = np.argsort(cov.run_row * np.int64(width + 1) + cov.run_col0)
    co = np.argsort(cov.cell_row, kind="stable")
    run_rows, cell_rows = cov.run_row[ro], cov.cell_row[co]
    run_w = w.run_w if row_area is None else w.run_w * row_area[cov.run_row]
    starts = np.arange(0, height, block)
    edges = np.append(starts, height)
    ri_cut: list[int] = np.searchsorted(run_rows, edges).tolist()
    ci_cut: list[int] = np.searchsorted(cell_rows, edges).tolist()
    plan = []
    for b, r0 in enumerate(starts.tolist()):  # blocks of rows, not cells
        ri = ro[ri_cut[b] : ri_cut[b + 1]]
        ci = co[ci_cut[b] : ci_cut[b + 1]]
        if not len(ri) and not len(ci):
            continue
        base = (cov.run_row[ri] - r0) * width
        idx = np.empty(2 * len(ri), dtype=np.int64)
        idx[0::2] = base + cov.run_col0[ri]
        idx[1::2] = base + cov.run_col1[ri]
        plan.append(
            _Block(
                r0=r0,
                r1=min(r0 + block, height),
                idx=idx,
                run_w=run_w[ri],
                run_zone=cov.run_zone[ri],
                run_len=(cov.run_col1[ri] - cov.run_col0[ri]).astype(np.float64),
                cell_row=cov.cell_row[ci] - r0,
                cell_col=cov.cell_col[ci],
                cell_delta=w.cell_delta[ci],
                cell_zone=cov.cell_zone[ci],
            )
        )
    return plan


def _moments(
    plan: list[_Block],
    n: int,
    raster: Raster,
    values: NDArray[np.generic],
    names: list[str],
    *,
    ref: float = 0.0,
    wts: NDArray[np.float64] | None = None,
    wts_valid: NDArray[np.bool_] | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Zone sums of weight x quantity for each quantity in ``names``, a block of rows at a time.

    Quantities: ``valid`` (1 on data), ``v`` (value on data), ``sh``/``sh2`` (value - ref
    and its square, on data), ``invalid`` (1 on nodata), ``wv``/``wvv`` (weight and weight x
    value where both have data), ``wnod`` (1 where the value has data and the weight not).
    Runs lie along rows, so each run's sum is one segment of the block's flat buffer:
    ``numpy.add.reduceat`` sums all of them in one call.
    """
    width = values.shape[1]
    out = {k: np.zeros(n) for k in names}
    cells = max((b.r1 - b.r0) * width for b in plan) if plan else 0
    buf = np.zeros(cells + 1)
    buf32 = np.zeros(cells + 1, dtype=np.float32)
    for blk in plan:
        r0, r1 = blk.r0, blk.r1
        idx, rw, rz = blk.idx, blk.run_w, blk.run_zone
        cr, cc, cd, cz = blk.cell_row, blk.cell_col, blk.cell_delta, blk.cell_zone
        raw = values[r0:r1]
        ok = raster.valid_mask(raw)
        all_ok = bool(ok.all())
        vb = raw.astype(np.float64) if all_ok else np.where(ok, raw, 0.0)
        wb = wok = None
        if wts is not None and wts_valid is not None:
            wok = wts_valid[r0:r1]
            wb = np.where(ok & wok, wts[r0:r1], 0.0)
        size = (r1 - r0) * width
        flat = buf[: size + 1]
        for name in names:
            if name == "valid" and all_ok:
                out[name] += np.bincount(rz, rw * blk.run_len, n)
                out[name] += np.bincount(cz, cd, n)
                continue
            if name == "valid":
                # 0/1 summed in float32 is exact (runs are far shorter than 2**24 cells)
                flat32 = buf32[: size + 1]
                flat32[:size] = ok.reshape(-1)
                seg = (
                    np.add.reduceat(flat32, idx)[0::2].astype(np.float64)
                    if len(idx)
                    else np.zeros(0)
                )
                out[name] += np.bincount(rz, rw * seg, n)
                out[name] += np.bincount(cz, cd * ok[cr, cc], n)
                continue
            if name == "v":
                q = vb
            elif name in ("sh", "sh2"):
                q = np.where(ok, vb - ref, 0.0)
                if name == "sh2":
                    q = q * q
            elif name == "invalid":
                q = (~ok).astype(np.float64)
            elif name == "wv":
                assert wb is not None
                q = wb
            elif name == "wvv":
                assert wb is not None
                q = wb * vb
            elif name == "wnod":
                assert wok is not None
                q = (ok & ~wok).astype(np.float64)
            else:  # pragma: no cover - internal names only
                raise ValueError(name)
            flat[:size] = q.reshape(-1)
            seg = np.add.reduceat(flat, idx)[0::2] if len(idx) else np.zeros(0)
            out[name] += np.bincount(rz, rw * seg, n)
            out[name] += np.bincount(cz, cd * q[cr, cc], n)
    return out


def _area_sum(
    cov: Coverage, area_w: _Weights, true_area: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Zone sums of coverage x true cell area (all cells, with data or not)."""
    n = cov.n_zones
    run_sum = area_w.run_w * (cov.run_col1 - cov.run_col0) * true_area[cov.run_row]
    out: NDArray[np.float64] = np.bincount(cov.run_zone, run_sum, n).astype(np.float64)
    out += np.bincount(cov.cell_zone, area_w.cell_delta, n)
    return out


@dataclass(frozen=True)
class _Cells:
    """Every cell with weight > 0, grouped by zone: zone, flat index, weight."""

    zone: NDArray[np.int64]
    flat: NDArray[np.int64]
    weight: NDArray[np.float64]


def _cells(cov: Coverage, w: _Weights, row_area: NDArray[np.float64] | None) -> _Cells:
    width = cov.grid.width
    owner, col = _ranges(cov.run_col0, cov.run_col1 - 1)
    zone = cov.run_zone[owner]
    row = cov.run_row[owner]
    flat = row * width + col
    key = zone * (cov.grid.height * width) + flat
    bkey = cov.cell_zone * (cov.grid.height * width) + cov.cell_row * width + cov.cell_col
    # Boundary keys are sorted (zone, row, col); drop run cells that are boundary cells.
    if len(bkey):
        pos = np.clip(np.searchsorted(bkey, key), 0, len(bkey) - 1)
        interior = bkey[pos] != key
    else:
        interior = np.ones(len(key), dtype=bool)
    rz = zone[interior]
    rf = flat[interior]
    rw = w.run_w[owner[interior]]
    if row_area is not None:
        rw = rw * row_area[row[interior]]
    keep = w.cell_w > _TINY
    z = np.concatenate([rz, cov.cell_zone[keep]])
    f = np.concatenate([rf, cov.cell_row[keep] * width + cov.cell_col[keep]])
    wt = np.concatenate([rw, w.cell_w[keep]])
    pos_w = wt > _TINY
    order = np.argsort(z[pos_w], kind="stable")
    return _Cells(zone=z[pos_w][order], flat=f[pos_w][order], weight=wt[pos_w][order])


def _group_starts(zone: NDArray[np.int64], n: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For values sorted by zone: start index and count of each zone."""
    counts = np.bincount(zone, minlength=n).astype(np.int64)
    starts = np.cumsum(counts) - counts
    return starts, counts


def _minmax(
    zone: NDArray[np.int64], vals: NDArray[np.float64], n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    np.minimum.at(lo, zone, vals)
    np.maximum.at(hi, zone, vals)
    lo[np.isinf(lo)] = np.nan
    hi[np.isinf(hi)] = np.nan
    return lo, hi


def _sorted_by_zone_value(
    zone: NDArray[np.int64], vals: NDArray[np.float64], wts: NDArray[np.float64], merge: bool
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    order = np.lexsort((vals, zone))
    z, v, w = zone[order], vals[order], wts[order]
    if merge and len(z):
        new = np.ones(len(z), dtype=bool)
        new[1:] = (z[1:] != z[:-1]) | (v[1:] != v[:-1])
        idx = np.flatnonzero(new)
        w = np.add.reduceat(w, idx)
        z, v = z[idx], v[idx]
    return z, v, w


def _quantiles(
    z: NDArray[np.int64],
    v: NDArray[np.float64],
    w: NDArray[np.float64],
    n: int,
    qs: Sequence[float],
) -> list[NDArray[np.float64]]:
    """Weighted quantiles as exactextract computes them (unit weights: numpy's 'linear')."""
    starts, counts = _group_starts(z, n)
    m = len(z)
    out = [np.full(n, np.nan) for _ in qs]
    if m == 0:
        return out
    i = np.arange(m) - np.repeat(starts, counts)
    csum = np.cumsum(w)
    zone_base = np.repeat(csum[starts] - w[starts], counts)
    cum = csum - zone_base
    cum_prev = cum - w
    nz = np.repeat(counts, counts).astype(np.float64)
    s = i * w + (nz - 1) * cum_prev
    total = np.repeat(cum[starts + counts - 1] if m else cum, counts)
    sn_all = total * (nz - 1)
    has = counts > 0
    zs = np.flatnonzero(has)
    sn = (cum[starts[zs] + counts[zs] - 1]) * (counts[zs] - 1)
    # Normalised keys, searchable across zones at once.
    with np.errstate(invalid="ignore", divide="ignore"):
        snorm = np.where(sn_all > 0, s / sn_all, 0.0)
    key = z.astype(np.float64) * 4.0 + snorm
    for out_q, q in zip(out, qs, strict=True):
        target = zs.astype(np.float64) * 4.0 + q
        right = np.searchsorted(key, target, side="right")
        st, en = starts[zs], starts[zs] + counts[zs]
        single = counts[zs] == 1
        at_start = right <= st
        at_end = right >= en
        r = np.clip(right, st, en - 1)
        left = np.clip(right - 1, st, en - 1)
        tq = q * sn
        with np.errstate(invalid="ignore", divide="ignore"):
            denom = s[r] - s[left]
            interp = v[left] + (tq - s[left]) * (v[r] - v[left]) / denom
        val = np.where(at_start, v[st], np.where(at_end, v[en - 1], interp))
        val = np.where(single, v[st], val)
        out_q[zs] = val
    return out


def _majority(
    z: NDArray[np.int64], v: NDArray[np.float64], w: NDArray[np.float64], n: int, ties_high: bool
) -> NDArray[np.float64]:
    out = np.full(n, np.nan)
    if len(z) == 0:
        return out
    tie = v if ties_high else -v
    order = np.lexsort((tie, w, z))
    zz = z[order]
    last = np.ones(len(zz), dtype=bool)
    last[:-1] = zz[1:] != zz[:-1]
    out[zz[last]] = v[order][last]
    return out
