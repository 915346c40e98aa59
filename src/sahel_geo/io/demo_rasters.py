"""SYNTHETIC demo rasters: an SPEI-like monthly drought stack and a wasting surface.

These are made-up, seeded fields for demos and tests (``sahel-geo demo``). They look like
the real products (smooth in space, persistent in time, values in the usual ranges) but
carry no information about the Sahel. Every file says so in its metadata.

- SPEI-like drought index: monthly, January 2012 to December 2023 (144 steps), 0.1° grid
  over lon -12..16, lat 9..25, standardised (mean ~0, sd ~1; negative = drier).
- Wasting prevalence (% of children under 5): the same grid, one layer, ~4-25 %, higher
  towards the desert edge.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from affine import Affine
from numpy.typing import NDArray

from sahel_geo.core.raster import Raster
from sahel_geo.io._atomic import atomic_path

__all__ = ["DEMO_BOUNDS", "demo_population", "demo_spei", "demo_wasting", "write_demo_rasters"]

#: ``(minx, miny, maxx, maxy)`` of the demo grid.
DEMO_BOUNDS: tuple[float, float, float, float] = (-12.0, 9.0, 16.0, 25.0)
_RES = 0.1
_LABEL = "SYNTHETIC demo data made by sahel_geo (seeded); not an observation of anything"


def _grid(res: float) -> tuple[Affine, NDArray[np.float64], NDArray[np.float64]]:
    minx, miny, maxx, maxy = DEMO_BOUNDS
    w, h = round((maxx - minx) / res), round((maxy - miny) / res)
    xs = np.asarray(minx + res * (np.arange(w) + 0.5), dtype=np.float64)
    ys = np.asarray(maxy - res * (np.arange(h) + 0.5), dtype=np.float64)
    return Affine(res, 0, minx, 0, -res, maxy), xs, ys


def _smooth_modes(
    rng: np.random.Generator, xs: NDArray[np.float64], ys: NDArray[np.float64], k: int
) -> NDArray[np.float64]:
    """``k`` smooth random spatial patterns (sums of low-frequency waves), (k, h, w)."""
    xx, yy = np.meshgrid(xs, ys)
    modes = np.zeros((k, *xx.shape))
    for i in range(k):  # a handful of patterns, not a loop over cells
        fx, fy = rng.uniform(0.05, 0.3, 2)
        px, py = rng.uniform(0, 2 * np.pi, 2)
        modes[i] = np.sin(fx * xx + px) * np.cos(fy * yy + py)
    return modes


def demo_spei(*, seed: int = 0, res: float = _RES) -> Raster:
    """Return the SYNTHETIC SPEI-like monthly stack (2012-01 to 2023-12).

    Parameters
    ----------
    seed
        Seed of the random generator (same seed, same values).
    res
        Cell size in degrees.

    Returns
    -------
    Raster
        A 144-step float32 stack in EPSG:4326, NaN-free.

    Examples
    --------
    >>> r = demo_spei(seed=1, res=1.0)
    >>> r.values.shape, str(r.times[0].date()), str(r.times[-1].date())
    ((144, 16, 28), '2012-01-01', '2023-12-01')
    """
    rng = np.random.default_rng(seed)
    transform, xs, ys = _grid(res)
    k = 6
    modes = _smooth_modes(rng, xs, ys, k)
    n = 144
    coef = np.zeros((n, k))
    shocks = rng.normal(0, 1, (n, k))
    for t in range(1, n):  # AR(1) persistence over months
        coef[t] = 0.8 * coef[t - 1] + 0.6 * shocks[t]
    field = np.tensordot(coef, modes, axes=1)
    field += 0.3 * rng.normal(0, 1, field.shape)
    field = (field - field.mean()) / field.std()
    times = pd.date_range("2012-01-01", periods=n, freq="MS")
    return Raster.from_array(
        field.astype(np.float32),
        transform=transform,
        crs="EPSG:4326",
        nodata=None,
        times=times,
        name="spei_demo",
        source="SYNTHETIC demo_spei",
    )


def demo_wasting(*, seed: int = 0, res: float = _RES) -> Raster:
    """Return the SYNTHETIC wasting-prevalence surface (% of children under 5).

    Parameters
    ----------
    seed
        Seed of the random generator.
    res
        Cell size in degrees.

    Returns
    -------
    Raster
        A float32 raster in EPSG:4326, values about 4-25.

    Examples
    --------
    >>> r = demo_wasting(seed=1, res=1.0)
    >>> bool(4 <= r.values.min() and r.values.max() <= 30)
    True
    """
    rng = np.random.default_rng(seed)
    transform, xs, ys = _grid(res)
    _, yy = np.meshgrid(xs, ys)
    base = 6 + 12 * np.clip((yy - 9) / 10, 0, 1)  # drier north: more wasting
    modes = _smooth_modes(rng, xs, ys, 4)
    field = base + 2.5 * np.tensordot(rng.normal(0, 1, 4), modes, axes=1)
    field += rng.normal(0, 0.5, field.shape)
    return Raster.from_array(
        np.clip(field, 4, 25).astype(np.float32),
        transform=transform,
        crs="EPSG:4326",
        nodata=-9999.0,
        name="wasting_demo",
        source="SYNTHETIC demo_wasting",
    )


def demo_population(*, seed: int = 0, res: float = _RES / 5, towns: int = 60) -> Raster:
    """Return a SYNTHETIC population count raster on a finer grid than the other demo rasters.

    People per cell: a rural density that falls off to the north (the Sahara) plus
    ``towns`` Gaussian towns of 5,000 to 500,000 people. Its grid (0.02° by default)
    nests in the 0.1° grid of :func:`demo_spei` and :func:`demo_wasting`, like WorldPop
    at ~1 km against CHIRPS at 0.05°: the run weights drought and wasting by it through
    exact cell intersection (zonal statistics ``weights=``), not by resampling.

    Parameters
    ----------
    seed
        Seed of the random generator.
    res
        Cell size in degrees (a divisor of 0.1 keeps the grids nested).
    towns
        Number of towns.

    Returns
    -------
    Raster
        A float32 raster of people per cell in EPSG:4326, nodata -1 (none present).

    Examples
    --------
    >>> r = demo_population(seed=1, res=0.5, towns=5)
    >>> r.shape, bool(r.values.min() >= 0)
    ((32, 56), True)
    """
    rng = np.random.default_rng(seed)
    transform, xs, ys = _grid(res)
    xx, yy = np.meshgrid(xs, ys)
    km2 = (111.32 * res) ** 2 * np.cos(np.radians(yy))
    rural = km2 * 40.0 * np.clip((20.0 - yy) / 11.0, 0.02, 1.0)  # people per km2, north sparse
    field = rural * rng.lognormal(0.0, 0.3, rural.shape)
    tx = rng.uniform(DEMO_BOUNDS[0], DEMO_BOUNDS[2], towns)
    ty = rng.uniform(DEMO_BOUNDS[1], 18.0, towns)
    people = rng.lognormal(np.log(30_000), 1.0, towns).clip(5_000, 500_000)
    for x0, y0, n in zip(tx, ty, people, strict=True):  # a few towns, not a loop over cells
        d2 = (xx - x0) ** 2 + (yy - y0) ** 2
        kernel = np.exp(-d2 / (2 * 0.05**2))
        field += n * kernel / kernel.sum()
    return Raster.from_array(
        field.astype(np.float32),
        transform=transform,
        crs="EPSG:4326",
        nodata=-1.0,
        name="population_demo",
        source="SYNTHETIC demo_population",
    )


def write_demo_rasters(folder: str | os.PathLike[str], *, seed: int = 0) -> dict[str, Path]:
    """Write the SYNTHETIC demo rasters, atomically, into ``folder``.

    Parameters
    ----------
    folder
        Output folder (created if needed).
    seed
        Seed of both fields.

    Returns
    -------
    dict
        ``{"spei": <folder>/demo_spei_monthly_2012_2023_SYNTHETIC.nc,
        "wasting": <folder>/demo_wasting_prevalence_SYNTHETIC.tif}``.

    Examples
    --------
    >>> paths = write_demo_rasters("out/demo")  # doctest: +SKIP
    """
    import rasterio
    import xarray as xr

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    spei = demo_spei(seed=seed)
    _, xs, ys = _grid(_RES)
    assert spei.times is not None
    ds = xr.Dataset(
        {"spei": (("time", "lat", "lon"), spei.values)},
        coords={"time": spei.times, "lat": ys, "lon": xs},
        attrs={
            "title": "SPEI-like drought index (SYNTHETIC)",
            "comment": _LABEL,
            "source": f"sahel_geo.io.demo_rasters.demo_spei(seed={seed})",
            "Conventions": "CF-1.8",
        },
    )
    ds["spei"].attrs = {"long_name": "SPEI-like index (SYNTHETIC)", "units": "1"}
    ds["lat"].attrs = {"units": "degrees_north", "standard_name": "latitude"}
    ds["lon"].attrs = {"units": "degrees_east", "standard_name": "longitude"}
    spei_path = out / "demo_spei_monthly_2012_2023_SYNTHETIC.nc"
    with atomic_path(spei_path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4", encoding={"spei": {"zlib": True, "complevel": 4}})
    wast = demo_wasting(seed=seed)
    wast_path = out / "demo_wasting_prevalence_SYNTHETIC.tif"
    h, w = wast.shape
    with (
        atomic_path(wast_path) as tmp,
        rasterio.open(
            tmp,
            "w",
            driver="GTiff",
            height=h,
            width=w,
            count=1,
            dtype="float32",
            crs="EPSG:4326",
            transform=wast.transform,
            nodata=wast.nodata,
            compress="deflate",
        ) as dst,
    ):
        dst.write(wast.values, 1)
        dst.update_tags(DESCRIPTION=_LABEL, SOURCE=f"demo_wasting(seed={seed})")
        dst.set_band_description(1, "wasting prevalence, % under 5 (SYNTHETIC)")
    return {"spei": spei_path, "wasting": wast_path}
