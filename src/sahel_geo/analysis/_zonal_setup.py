"""What every step of a zonal statistics call shares: the coverage, weights and plans.

:func:`prepare` computes, once per call, the coverage of every zone on the raster window,
each cell's weight, the plan of the row-block sums, the gathered covered cells and the
weights raster's values; a time stack reuses the :class:`Setup` for every step. The module
is private to the package.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from sahel_geo.analysis._coverage import Coverage, compute_coverage
from sahel_geo.analysis._zonal_grids import cell_areas_km2
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

__all__ = ["Setup", "prepare"]


@dataclass(frozen=True)
class Setup:
    """What every step of a stack shares: the coverage, its sum plan, cells and weights.

    Computed once per call by :func:`prepare`, for the raster window the zones overlap.

    Attributes
    ----------
    cov
        The coverage of every zone.
    plan
        The plan of the row-block sums.
    cells
        The gathered covered cells, or None when no statistic reads them.
    win
        The value raster's window (no nodata when ``default_value`` fills nodata cells).
    names
        Canonical statistics, aliases resolved, user functions apart.
    funcs
        The user functions by name.
    mode
        The coverage mode.
    true_area
        True area of one cell of each window row, km².
    area_w
        The weights of the ``area_km2`` sums.
    area_weighted
        Cell weights are multiplied by their true areas.
    wts, wts_valid
        The weights raster's values (0 or ``default_weight`` on nodata) and validity.
    fill
        The window with its nodata, when ``default_value`` fills nodata cells.
    default_value
        :attr:`CellRules.default_value`.
    """

    cov: Coverage
    plan: Plan
    cells: Cells | None  # None: no statistic read from the cells
    win: Raster  # its nodata is None when CellRules.default_value fills nodata cells
    names: list[str]  # canonical statistics (aliases resolved), user functions apart
    funcs: dict[str, UserStat]
    mode: CoverageMode
    true_area: NDArray[np.float64]
    area_w: Weights
    area_weighted: bool
    wts: NDArray[np.float64] | None
    wts_valid: NDArray[np.bool_] | None
    fill: Raster | None  # the window with its nodata, when default_value fills it
    default_value: float | None


def _weight_arrays(
    wwin: Raster | None, default_weight: float | None
) -> tuple[NDArray[np.float64] | None, NDArray[np.bool_] | None]:
    """Return the weights' values (0, or ``default_weight``, on nodata) and validity."""
    if wwin is None:
        return None, None
    wts_valid = wwin.valid_mask()
    wts = np.where(wts_valid, wwin.values, 0.0).astype(np.float64)
    if default_weight is not None:
        wts = np.where(wts_valid, wts, float(default_weight))
        wts_valid = np.ones_like(wts_valid)
    return wts, wts_valid


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
    """Compute the coverage, weights, sum plan and cells of the window, once for all steps.

    Parameters
    ----------
    geoms
        The zones' polygons.
    win
        The value raster's window (on the common grid with weights on another grid).
    wwin
        The weights on the same grid, or None.
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
    cov = compute_coverage(geoms, win.grid)
    true_area = cell_areas_km2(win)
    row_area = true_area if area_weighted else None
    w0 = mode_weights(cov, mode, geoms, min_frac=rules.min_coverage_frac)
    w = scaled(cov, w0, row_area)
    wts, wts_valid = _weight_arrays(wwin, rules.default_weight)
    fill = win if rules.default_value is not None else None
    return Setup(
        cov=cov,
        plan=plan(cov, w, row_area),
        cells=cells(cov, w, row_area) if needs_cells(names, funcs) else None,
        win=replace(win, nodata=None) if fill is not None else win,
        names=names,
        funcs=funcs,
        mode=mode,
        true_area=true_area,
        area_w=scaled(cov, w0, true_area) if "area_km2" in names else w0,
        area_weighted=area_weighted,
        wts=wts,
        wts_valid=wts_valid,
        fill=fill,
        default_value=rules.default_value,
    )
