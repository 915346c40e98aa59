"""The zonal statistics that are sums, and the driver of one step over the zone batches.

:func:`moment_stats` computes count, sum, mean, variance, nodata and the weighted sums of
the zones of one batch: each is a sum over the runs of whole cells and the boundary cells
of every zone (:func:`sahel_geo.analysis._zonal_kernels.moments`), without gathering the
cells; the statistics read from the gathered cells are in
:mod:`sahel_geo.analysis._zonal_cells`. :func:`step_stats` runs both over every batch of
zones (:mod:`sahel_geo.analysis._zonal_setup`) and puts the batches' answers together. The
module is private to the package.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import NDArray

from sahel_geo.analysis._zonal_cells import cell_stats
from sahel_geo.analysis._zonal_kernels import area_sum, moments
from sahel_geo.analysis._zonal_setup import Part, Setup, part_values, parts
from sahel_geo.core.raster import Raster

__all__ = ["moment_stats", "step_stats"]

_SPREAD = {"std", "variance", "coefficient_of_variation"}

#: ``frac``/``weighted_frac`` of a batch: its categories and each zone's shares of them
_Shares = tuple[NDArray[np.float64], NDArray[np.float64]]


def _shift(values: NDArray[np.generic], win: Raster) -> float:
    """Return a reference value near the values' mean (of a sample of rows), 0 without data.

    Subtracted before the squares are summed: keeps E[x²] - E[x]² well conditioned.
    """
    rows = values[:: max(1, values.shape[0] // 64)]
    sample = np.asarray(rows, dtype=np.float64)
    ok_s = win.valid_mask(rows)
    return float(sample[ok_s].mean()) if ok_s.any() else 0.0


def _quantities(need: set[str], *, weighted: bool) -> list[str]:
    """Return the quantities :func:`moments` must sum for these statistics."""
    names = ["valid"]
    if need & ({"sum", "mean"} | _SPREAD):
        names.append("v")
    if need & _SPREAD:
        names += ["sh", "sh2"]
    if need & {"nodata_frac", "nodata"}:
        names.append("invalid")
    if need & {"weighted_mean", "weighted_sum"} and weighted:
        names += ["wv", "wvv"]
    if "weights_nodata_frac" in need and weighted:
        names.append("wnod")
    return names


def moment_stats(
    setup: Part, values: NDArray[np.generic], *, ref: float = 0.0
) -> dict[str, NDArray[np.float64]]:
    """Compute the statistics of a batch of zones that are sums over runs and boundary cells.

    ``count``, ``sum``, ``mean``, ``std``, ``variance``, ``coefficient_of_variation``,
    ``nodata``, ``nodata_frac``, ``area_km2`` and the weighted sums and means: one pass
    over the window's row blocks (:func:`~sahel_geo.analysis._zonal_kernels.moments`).

    Parameters
    ----------
    setup
        The batch (:class:`~sahel_geo.analysis._zonal_setup.Part`).
    values
        The values of one raster (or one step of a stack) on the batch's window
        (:func:`~sahel_geo.analysis._zonal_setup.part_values`).
    ref
        Reference value subtracted before squaring (the variances).

    Returns
    -------
    dict of str to numpy.ndarray
        One array of values per zone of the batch for each statistic (``count`` always).
    """
    need = set(setup.names)
    names = _quantities(need, weighted=setup.wts is not None)
    sums = moments(
        setup.plan,
        setup.cov.n_zones,
        setup.win,
        values,
        names,
        ref=ref,
        wts=setup.wts,
        wts_valid=setup.wts_valid,
    )
    out: dict[str, NDArray[np.float64]] = {}
    count = sums["valid"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["count"] = count
        if "v" in sums:
            out["sum"] = sums["v"]
            out["mean"] = np.where(count > 0, sums["v"] / count, np.nan)
        if "sh" in sums:
            m1 = sums["sh"] / count
            var = np.where(count > 0, sums["sh2"] / count - m1 * m1, np.nan)
            out["variance"] = np.clip(var, 0, None)
            out["std"] = np.sqrt(out["variance"])
            out["coefficient_of_variation"] = out["std"] / out["mean"]
        if "invalid" in sums:
            nod = sums["invalid"]
            out["nodata"] = nod
            out["nodata_frac"] = np.where(count + nod > 0, nod / (count + nod), np.nan)
        if "area_km2" in need:
            out["area_km2"] = area_sum(setup.cov, setup.area_w, setup.true_area)
        if "wv" in sums:
            out["weighted_sum"] = sums["wvv"]
            out["weighted_mean"] = np.where(sums["wv"] != 0, sums["wvv"] / sums["wv"], np.nan)
        if "wnod" in sums:
            out["weights_nodata_frac"] = np.where(count > 0, sums["wnod"] / count, np.nan)
    return out


def _merge(n: int, results: list[tuple[NDArray[np.int64], dict[str, object]]]) -> dict[str, object]:
    """Put the batches' answers into one array of all zones per statistic.

    ``frac``/``weighted_frac`` (categories and a share per zone and category): the union
    of the batches' categories, 0 for a category a zone with data lacks, NaN for a zone
    without data.
    """
    out: dict[str, object] = {}
    for key in results[0][1]:
        first = results[0][1][key]
        if isinstance(first, tuple):
            pairs = [(z, cast(_Shares, res[key])) for z, res in results]
            cats = np.unique(np.concatenate([c for _, (c, _s) in pairs]))
            share = np.full((n, len(cats)), np.nan)
            for zones, (c, sh) in pairs:
                full = np.zeros((len(zones), len(cats)))
                full[:, np.searchsorted(cats, c)] = sh
                full[~(np.isfinite(sh).all(axis=1) & (sh.shape[1] > 0))] = np.nan
                share[zones] = full
            out[key] = (cats, share)
            continue
        arr0 = np.asarray(first)
        whole = np.full(n, np.nan) if arr0.dtype.kind == "f" else np.empty(n, dtype=arr0.dtype)
        for zones, res in results:
            whole[zones] = np.asarray(res[key])
        out[key] = whole
    return out


def step_stats(setup: Setup, values: NDArray[np.generic]) -> dict[str, object]:
    """Compute every statistic of one raster (or one step of a stack) for every zone.

    Works the zones a batch at a time (:func:`~sahel_geo.analysis._zonal_setup.parts`):
    the sums (:func:`moment_stats`) and the statistics read from the cells
    (:func:`~sahel_geo.analysis._zonal_cells.cell_stats`) of each batch on its window, then
    the batches' answers put together; the memory needed is that of one batch.

    Parameters
    ----------
    setup
        What every step shares.
    values
        The values of one raster (or one step of a stack) on the value window.

    Returns
    -------
    dict of str to object
        One array of ``n zones`` values per statistic (``frac``/``weighted_frac``: the
        categories and an ``(n zones, n categories)`` array of shares).
    """
    ref = _shift(values, setup.win) if set(setup.names) & _SPREAD else 0.0
    results: list[tuple[NDArray[np.int64], dict[str, object]]] = []
    for p in parts(setup):
        pv = part_values(p, values)
        res: dict[str, object] = dict(moment_stats(p, pv, ref=ref))
        if p.cells is not None:
            res.update(cell_stats(p, pv))
        results.append((p.zones, res))
    return _merge(len(setup.geoms), results)
