"""Lazy rasters (issue 13): open_raster(chunks=) on NetCDF, Zarr and a folder of dated
GeoTIFFs gives the eager values without reading them; Raster keeps dask values lazy."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
from affine import Affine
from shapely.geometry import box

import sahel_geo as sg
from sahel_geo.core.errors import InputFileError, MissingDependencyError
from sahel_geo.core.raster import Raster

TIMES = pd.date_range("2021-01-01", periods=6, freq="MS")
T = Affine(0.5, 0, 0, 0, -0.5, 2)  # 4 rows x 5 columns of 0.5°, top-left (0, 2)
ZONES = gpd.GeoDataFrame({"pcode": ["A"]}, geometry=[box(0.6, 0.4, 1.9, 1.6)], crs=4326)


def _values() -> np.ndarray:
    v = np.arange(6 * 4 * 5, dtype=np.float32).reshape(6, 4, 5) / 7
    v[2, 1, 1] = np.nan
    v[:, 3, 4] = -9999.0
    return v


def _dataset(v: np.ndarray) -> xr.Dataset:
    lat = 2 - 0.25 - 0.5 * np.arange(4)
    lon = 0.25 + 0.5 * np.arange(5)
    pr = xr.DataArray(
        v, dims=("time", "lat", "lon"), coords={"time": TIMES, "lat": lat, "lon": lon}
    )
    return pr.to_dataset(name="pr")


@pytest.fixture
def nc(tmp_path: Path) -> Path:
    path = tmp_path / "pr.nc"
    _dataset(_values()).to_netcdf(path, encoding={"pr": {"_FillValue": -9999.0}})
    return path


@pytest.fixture
def zarr_store(tmp_path: Path) -> Path:
    path = tmp_path / "pr.zarr"
    ds = _dataset(_values()).chunk({"time": 2})
    enc = {"pr": {"_FillValue": -9999.0}}
    ds.to_zarr(path, mode="w", zarr_format=2, consolidated=True, encoding=enc)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "daily"
    out.mkdir()
    for k, t in enumerate(TIMES):
        with rasterio.open(
            out / f"pr_{t:%Y.%m.%d}.tif",
            "w",
            driver="GTiff",
            height=4,
            width=5,
            count=1,
            dtype="float32",
            crs="EPSG:4326",
            transform=T,
            nodata=-9999.0,
        ) as dst:
            dst.write(_values()[k], 1)
    return out


def _same(eager: Raster, lazy: Raster) -> None:
    assert lazy.is_lazy and not eager.is_lazy
    np.testing.assert_array_equal(lazy.values.compute(), eager.values)
    assert (lazy.transform, lazy.crs, lazy.nodata) == (eager.transform, eager.crs, eager.nodata)
    pd.testing.assert_index_equal(lazy.times, eager.times)


@pytest.mark.parametrize("zones", [None, ZONES])
def test_netcdf_lazy_equals_eager(nc: Path, zones: gpd.GeoDataFrame | None) -> None:
    lazy = sg.open_raster(nc, zones=zones, chunks={"time": 4})
    _same(sg.open_raster(nc, zones=zones), lazy)
    assert lazy.values.chunks[0] == (4, 2)


@pytest.mark.parametrize("zones", [None, ZONES])
def test_zarr_lazy_equals_eager(zarr_store: Path, zones: gpd.GeoDataFrame | None) -> None:
    eager = sg.open_raster(zarr_store, zones=zones)
    lazy = sg.open_raster(zarr_store, zones=zones, chunks={})
    _same(eager, lazy)
    assert lazy.values.chunks[0] == (2, 2, 2)  # the store's own chunks
    assert eager.values.shape == ((6, 4, 5) if zones is None else (6, 4, 3))


@pytest.mark.parametrize("zones", [None, ZONES])
def test_folder_lazy_equals_eager(folder: Path, zones: gpd.GeoDataFrame | None) -> None:
    lazy = sg.open_raster(folder, zones=zones, chunks="auto")
    _same(sg.open_raster(folder, zones=zones), lazy)
    assert lazy.values.chunks[0] == (1,) * 6  # one block per file
    assert str(lazy.times[0].date()) == "2021-01-01"


def test_folder_lazy_reads_each_file_once(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sahel_geo.io import rasters

    opened: list[str] = []
    real = rasters._open_tif

    def counting(path: Path, **kwargs: Any) -> Raster:
        opened.append(Path(path).name)
        return real(path, **kwargs)

    monkeypatch.setattr(rasters, "_open_tif", counting)
    lazy = sg.open_raster(folder, chunks={})
    assert opened == ["pr_2021.01.01.tif"]  # the grid, type and first block (no warning read)
    lazy.values.compute()
    assert sorted(opened) == sorted(p.name for p in folder.iterdir())  # once each


def test_folder_file_off_the_grid_raises_when_read(folder: Path) -> None:
    with rasterio.open(
        folder / "pr_2021.07.01.tif", "w", driver="GTiff", height=3, width=5, count=1,
        dtype="float32", crs="EPSG:4326", transform=T,
    ) as dst:  # fmt: skip
        dst.write(np.zeros((3, 5), dtype=np.float32), 1)
    lazy = sg.open_raster(folder, chunks={})
    lazy.values[:6].compute()  # the files on the grid read fine
    with pytest.raises(InputFileError, match="not on the grid of"):
        lazy.values[6].compute()
    with pytest.raises(InputFileError, match="not on the grid of"):
        sg.open_raster(folder)  # eager: at once


def _exploding(shape: tuple[int, ...]) -> da.Array:
    """A dask array that raises if any of it is computed."""

    def boom() -> np.ndarray:
        raise AssertionError("computed")

    return da.from_delayed(dask.delayed(boom)(), shape=shape, dtype=np.float32)


def test_raster_keeps_dask_values_lazy() -> None:
    r = Raster.from_array(_exploding((6, 4, 5)), transform=T, crs=4326, nodata=-1, times=TIMES)
    assert r.is_lazy and r.is_stack and r.shape == (4, 5)
    assert r.window_for((0.6, 0.4, 1.9, 1.6)) == (0, 4, 1, 4)
    crop = r.crop(0, 2, 1, 3)
    assert crop.is_lazy and crop.values.shape == (6, 2, 2)
    assert "lazy stack of 6" in repr(r)
    assert "not loaded" in r._repr_html_()
    assert r.valid_mask().shape == (6, 4, 5)  # a lazy mask
    da_ = r.to_xarray()
    assert isinstance(da_.data, da.Array)
    back = Raster.from_xarray(da_)
    assert back.is_lazy and back.bounds == r.bounds
    with pytest.raises(AssertionError, match="computed"):
        r.load()


def test_south_up_dask_array_is_flipped_lazily() -> None:
    v = _values()
    south_up = Affine(0.5, 0, 0, 0, 0.5, 0)
    r = Raster.from_array(da.from_array(v[:, ::-1], chunks=(2, 4, 5)), transform=south_up,
                          crs=4326, times=TIMES)  # fmt: skip
    assert r.is_lazy and r.transform == T
    np.testing.assert_array_equal(r.load().values, v)


def test_from_xarray_dask_stays_lazy(nc: Path) -> None:
    with xr.open_dataset(nc, chunks={"time": 3}) as ds:
        r = Raster.from_xarray(ds["pr"])
        assert r.is_lazy and r.values.chunks[0] == (3, 3)
        np.testing.assert_array_equal(r.load().values, sg.open_raster(nc).values)


def test_chunks_without_dask_names_the_extra(
    nc: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("dask", "dask.array"):
        monkeypatch.setitem(sys.modules, name, None)
    for path in (nc, folder):
        with pytest.raises(MissingDependencyError, match=r"sahel_geo\[dask\]"):
            sg.open_raster(path, chunks={})


def test_unknown_layer_option_is_a_type_error(nc: Path) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        sg.open_raster(nc, bands=2)  # type: ignore[call-arg]
