"""The zonal statistics that are sums: count, sum, mean, variance, nodata and weighted sums.

Each is a sum over the runs of whole cells and the boundary cells of every zone
(:func:`sahel_geo.analysis._zonal_kernels.moments`), without gathering the cells; the
statistics read from the gathered cells are in :mod:`sahel_geo.analysis._zonal_cells`. The
module is private to the package.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sahel_geo.analysis._zonal_kernels import area_sum, moments
from sahel_geo.analysis._zonal_setup import Setup
from sahel_geo.core.raster import Raster

__all__ = ["moment_stats"]


def _quantities(
    need: set[str], values: NDArray[np.generic], win: Raster, *, weighted: bool
) -> tuple[list[str], float]:
    """Return the quantities :func:`moments` must sum for these statistics, and the shift."""
    names = ["valid"]
    if need & {"sum", "mean", "std", "variance", "coefficient_of_variation"}:
        names.append("v")
    ref = 0.0
    if need & {"std", "variance", "coefficient_of_variation"}:
        names += ["sh", "sh2"]
        # Shift by a reference value first: keeps E[x²] - E[x]² well conditioned.
        sample = np.asarray(values[:: max(1, values.shape[0] // 64)], dtype=np.float64)
        ok_s = win.valid_mask(values[:: max(1, values.shape[0] // 64)])
        ref = float(sample[ok_s].mean()) if ok_s.any() else 0.0
    if need & {"nodata_frac", "nodata"}:
        names.append("invalid")
    if need & {"weighted_mean", "weighted_sum", "weights_nodata_frac"} and weighted:
        names += ["wv", "wvv", "wnod"]
    return names, ref


def moment_stats(setup: Setup, values: NDArray[np.generic]) -> dict[str, NDArray[np.float64]]:
    """Compute the statistics that are sums over runs and boundary cells.

    ``count``, ``sum``, ``mean``, ``std``, ``variance``, ``coefficient_of_variation``,
    ``nodata``, ``nodata_frac``, ``area_km2`` and the weighted sums and means: one pass
    over the window's row blocks (:func:`~sahel_geo.analysis._zonal_kernels.moments`).

    Parameters
    ----------
    setup
        What every step shares.
    values
        The values of one raster (or one step of a stack).

    Returns
    -------
    dict of str to numpy.ndarray
        One array of values per zone for each statistic (``count`` always).
    """
    need = set(setup.names)
    names, ref = _quantities(need, values, setup.win, weighted=setup.wts is not None)
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
            out["weights_nodata_frac"] = np.where(count > 0, sums["wnod"] / count, np.nan)
    return out
