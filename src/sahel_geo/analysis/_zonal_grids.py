"""The grids of zonal statistics: cell areas, grid checks, windows and the common grid.

:func:`cell_areas_km2` gives the true area of a raster's cells; :func:`check_grid` refuses
rasters that are empty or not north-up; :func:`zones_window` is the part of a raster the
zones overlap; :func:`nest_factors` finds the common grid of a value raster and a weights
raster on another grid (worked a batch of zones at a time, see
:mod:`sahel_geo.analysis._zonal_setup`), and :func:`rescale_to_cells` puts what was summed
there back into value (and weights) cells. The module is private to the
package; :mod:`sahel_geo.analysis.zonal` re-exports ``cell_areas_km2`` and ``nest_factors``.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import shapely
from numpy.typing import NDArray

from sahel_geo.core.errors import EmptyResultError, SchemaError
from sahel_geo.core.geodesy import latlon_cell_area_km2
from sahel_geo.core.raster import Raster

__all__ = [
    "cell_areas_km2",
    "check_grid",
    "nest_factors",
    "rescale_to_cells",
    "zones_window",
]


def cell_areas_km2(raster: Raster) -> NDArray[np.float64]:
    """Return the true area of one cell of each row, km² (a row's cells are equal).

    For a grid in degrees this is the area on the WGS84 ellipsoid of the band between
    the row's edges, over the cell's width in longitude; for a projected grid it is
    ``|dx * dy|`` in the CRS's units converted to km.

    Parameters
    ----------
    raster
        The raster (only its grid and CRS are used).

    Returns
    -------
    numpy.ndarray
        One area per row, km².

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> r = Raster.from_array(np.zeros((2, 1)), transform=Affine(1, 0, 0, 0, -1, 1),
    ...                       crs="EPSG:4326")
    >>> [round(float(a), 1) for a in cell_areas_km2(r)]
    [12308.5, 12308.5]
    """
    h, _ = raster.shape
    t = raster.transform
    if raster.crs is not None and raster.crs.is_geographic:
        edges = t.f + t.e * np.arange(h + 1, dtype=np.float64)
        return latlon_cell_area_km2(edges[1:], edges[:-1], t.a)
    unit = 1.0
    if raster.crs is not None and raster.crs.axis_info:
        unit = raster.crs.axis_info[0].unit_conversion_factor or 1.0
    return np.full(h, abs(t.a * t.e) * unit * unit / 1e6)


def check_grid(raster: Raster) -> None:
    """Raise for a raster with no cells or one that is not north-up, naming the fix.

    Parameters
    ----------
    raster
        The value or weights raster.

    Raises
    ------
    SchemaError
        The raster has no cells, or its rows do not run north to south.
    """
    src = raster.source if raster.source != "<array>" else (raster.name or "the raster")
    if 0 in raster.values.shape:
        raise SchemaError(
            f"Raster {src!r} has no cells (values of shape {raster.values.shape}). Check the "
            "window or file it was read from."
        )
    t = raster.transform
    if t.e >= 0 or t.a <= 0 or t.b != 0 or t.d != 0:
        raise SchemaError(
            f"Raster {src!r} is not north-up (transform {tuple(t)[:6]}): rows must run "
            "north to south (transform.e < 0). Build it with Raster.from_array(...), which "
            "flips a south-up array, or warp a rotated one (gdalwarp)."
        )


def zones_window(geoms: NDArray[np.object_], raster: Raster) -> tuple[int, int, int, int]:
    """Return the raster window (r0, r1, c0, c1) the zones overlap; raise if none.

    Parameters
    ----------
    geoms
        The zones' polygons (missing and empty ones are ignored).
    raster
        The raster.

    Returns
    -------
    tuple of int
        First and past-the-end row, first and past-the-end column.

    Raises
    ------
    EmptyResultError
        No zone overlaps the raster, naming both bounds.
    """
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    b = shapely.bounds(geoms[ok]) if ok.any() else np.empty((0, 4))
    rb = raster.bounds
    if len(b):
        tb = (
            max(b[:, 0].min(), rb[0]),
            max(b[:, 1].min(), rb[1]),
            min(b[:, 2].max(), rb[2]),
            min(b[:, 3].max(), rb[3]),
        )
    else:
        tb = (0.0, 0.0, 0.0, 0.0)
    r0, r1, c0, c1 = raster.window_for(tb)
    if not len(b) or tb[0] >= tb[2] or tb[1] >= tb[3] or r1 <= r0 or c1 <= c0:
        raise EmptyResultError(
            f"No zone overlaps raster {raster.source!r} (raster bounds {rb}; zones' bounds "
            f"{tuple(np.round(shapely.total_bounds(geoms), 6))}). Check that both cover "
            "the same area and are in the same CRS."
        )
    return r0, r1, c0, c1


def _integral(x: float, tol: float = 1e-3) -> int | None:
    """``round(x)`` when ``x`` is that close to an integer, else None."""
    k = round(x)
    return int(k) if abs(x - k) <= tol else None


def _common_step(a: float, b: float, offset: float) -> float | None:
    """Return the largest step dividing ``a``, ``b`` and ``offset`` whole, or None.

    Tried: the finer size over 1..64 (exact to 1e-3 of the step, as exactextract's
    ``grid_compat_tol``).
    """
    fine = min(a, b)
    for m in range(1, 65):
        step = fine / m
        if all(_integral(x / step) is not None for x in (a, b, offset)):
            return step
    return None


def nest_factors(raster: Raster, weights: Raster) -> tuple[int, int, int, int]:
    """Cells of the common grid of the value and weights rasters per value and weights cell.

    The common grid is the coarsest grid whose lines include both grids' lines: the
    finer grid when the grids nest (1° values and 0.25° weights: 0.25°), a finer one
    when they do not align (1° at 0° and 0.3° at 0.1°: 0.1°). Its cells each lie in
    exactly one value cell and one weights cell, so coverage computed on it splits every
    covered value cell exactly between the weights cells it overlaps.

    Parameters
    ----------
    raster, weights
        The value and weights rasters.

    Returns
    -------
    tuple of int
        ``(ky_v, kx_v, ky_w, kx_w)``: common cells per value cell and per weights cell,
        along y and x; all 1 for the same grid.

    Raises
    ------
    SchemaError
        No common grid with at most 64 cells per cell of the finer grid along each
        axis, naming both grids and the fix.

    Examples
    --------
    >>> from affine import Affine
    >>> v = Raster.from_array(np.zeros((2, 2)), transform=Affine(1, 0, 0, 0, -1, 2), crs=4326)
    >>> w = Raster.from_array(np.zeros((8, 8)), transform=Affine(0.25, 0, 0, 0, -0.25, 2),
    ...                       crs=4326)
    >>> nest_factors(v, w)
    (4, 4, 1, 1)
    """
    tv, tw = raster.transform, weights.transform
    sx = _common_step(tv.a, tw.a, tw.c - tv.c)
    sy = _common_step(-tv.e, -tw.e, tw.f - tv.f)
    if sx is None or sy is None:
        raise SchemaError(
            f"The weights raster {weights.source!r} ({weights.shape}, {tuple(tw)[:6]}) "
            f"and {raster.source!r} ({raster.shape}, {tuple(tv)[:6]}) have no common grid "
            "(cell sizes and origin offset multiples of one step, at most 64 steps to "
            "the finer cell). Resample the weights onto a grid that nests with the "
            "values first (e.g. 'gdalwarp -tr <res> <res> -tap', rasterio.warp.reproject)."
        )
    ks = [_integral(x) for x in (-tv.e / sy, tv.a / sx, -tw.e / sy, tw.a / sx)]
    return cast(tuple[int, int, int, int], tuple(ks))


#: Statistics counted in cells: on a common grid k times finer they are k times larger.
_CELL_COUNTED = ("count", "sum", "nodata", "nan")


def rescale_to_cells(
    steps: list[dict[str, object]], ks: tuple[int, int, int, int], *, area: bool
) -> None:
    """Put sums over common-grid cells back into value cells (and weights cells).

    Changes ``steps`` in place: ``count``, ``sum``, ``nodata`` and ``nan`` (unless
    ``area``: km² do not depend on the grid) are divided by the common cells per value
    cell, ``weighted_sum`` by the common cells per weights cell.

    Parameters
    ----------
    steps
        Each step's statistics, computed on the common grid.
    ks
        :func:`nest_factors` of the value and weights rasters.
    area
        The weights are true areas (``area_weighted``).
    """
    kv, kw = ks[0] * ks[1], ks[2] * ks[3]
    for res in steps:
        for s in _CELL_COUNTED if not area else ():
            if s in res and kv > 1:
                res[s] = np.asarray(res[s]) / kv
        if "weighted_sum" in res and kw > 1:
            res["weighted_sum"] = np.asarray(res["weighted_sum"]) / kw
