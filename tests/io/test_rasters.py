from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import xarray as xr
from affine import Affine
from shapely.geometry import box

from sahel_geo import CRSMismatchError, InputFileError, MissingCRSError, NodataWarning
from sahel_geo.analysis.zonal import zonal_stats
from sahel_geo.io.demo_rasters import demo_spei, demo_wasting, write_demo_rasters
from sahel_geo.io.rasters import open_raster, parse_file_date

T = Affine(0.5, 0, 0, 0, -0.5, 4)


def _tif(path, values, *, crs="EPSG:4326", transform=T, nodata=None):
    h, w = values.shape
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=h,
        width=w,
        count=1,
        dtype=values.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(values, 1)
    return path


def _zones(*geoms, crs=4326):
    return gpd.GeoDataFrame(
        {"pcode": [f"Z{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=crs
    )


def test_open_tif_and_window(tmp_path):
    v = np.arange(64, dtype="float32").reshape(8, 8)
    p = _tif(tmp_path / "a.tif", v, nodata=-1)
    r = open_raster(p)
    assert r.shape == (8, 8) and r.nodata == -1 and r.crs.to_epsg() == 4326
    assert r.bounds == (0.0, 0.0, 4.0, 4.0)
    z = _zones(box(1.1, 1.1, 1.9, 1.4))
    w = open_raster(p, zones=z)
    assert w.shape == (1, 2)  # only the window covering the zones was read
    np.testing.assert_array_equal(w.values, v[5:6, 2:4])
    a = zonal_stats(z, w, stats=["mean"])
    b = zonal_stats(z, r, stats=["mean"])
    assert a.equals(b)


def test_folder_of_dated_geotiffs(tmp_path):
    for month in (3, 1, 2):
        _tif(tmp_path / f"chirps-v2.0.2022.{month:02d}.tif", np.full((4, 4), month, "float32"))
    r = open_raster(tmp_path)
    assert r.is_stack and list(r.times.month) == [1, 2, 3]
    assert r.values[:, 0, 0].tolist() == [1, 2, 3]


def test_parse_file_dates():
    assert parse_file_date("chirps-v2.0.2022.03.tif").month == 3
    assert parse_file_date("chirps-v2.0.2022.03.3.tif").day == 21
    assert parse_file_date("rfh_20220317.tif").day == 17
    with pytest.raises(InputFileError, match="date_pattern"):
        parse_file_date("rainfall_latest.tif")


def test_bad_file_dates_in_folder(tmp_path):
    _tif(tmp_path / "chirps-v2.0.2022.01.tif", np.zeros((2, 2), "float32"))
    _tif(tmp_path / "chirps-final.tif", np.zeros((2, 2), "float32"))
    with pytest.raises(InputFileError, match=r"chirps-final\.tif"):
        open_raster(tmp_path)


def test_no_crs_mismatch_corrupt(tmp_path):
    v = np.zeros((4, 4), "float32")
    p = _tif(tmp_path / "nocrs.tif", v, crs=None)
    with pytest.raises(MissingCRSError, match="crs="):
        open_raster(p)
    assert open_raster(p, crs="EPSG:4326").crs.to_epsg() == 4326
    q = _tif(tmp_path / "ok.tif", v)
    with pytest.raises(CRSMismatchError, match="EPSG:3857"):
        open_raster(q, zones=_zones(box(0, 0, 1, 1), crs=3857))
    bad = tmp_path / "corrupt.tif"
    bad.write_bytes(b"II*\x00not really a tiff")
    with pytest.raises(InputFileError, match=r"corrupt\.tif"):
        open_raster(bad)
    with pytest.raises(InputFileError, match="does not exist"):
        open_raster(tmp_path / "missing.tif")


def test_zones_outside_raster(tmp_path):
    p = _tif(tmp_path / "a.tif", np.zeros((4, 4), "float32"))
    with pytest.raises(InputFileError, match="do not overlap"):
        open_raster(p, zones=_zones(box(30, 30, 31, 31)))


def test_nodata_everywhere_warns(tmp_path):
    p = _tif(tmp_path / "a.tif", np.full((4, 4), -9, "float32"), nodata=-9)
    with pytest.warns(NodataWarning, match="only nodata"):
        open_raster(p)


def test_netcdf_without_time(tmp_path):
    ds = xr.Dataset(
        {"v": (("lat", "lon"), np.ones((3, 4)))},
        coords={"lat": [10.5, 11.5, 12.5], "lon": [0.5, 1.5, 2.5, 3.5]},
    )
    p = tmp_path / "single.nc"
    ds.to_netcdf(p)
    r = open_raster(p)  # ascending latitude is flipped to north-up
    assert not r.is_stack and r.bounds == (0.0, 10.0, 4.0, 13.0)
    with pytest.raises(InputFileError, match="no time dimension"):
        open_raster(p, stack=True)


def test_demo_rasters_roundtrip(tmp_path):
    paths = write_demo_rasters(tmp_path, seed=3)
    spei = open_raster(paths["spei"])
    assert spei.is_stack and spei.values.shape == (144, 160, 280)
    assert str(spei.times[0].date()) == "2012-01-01"
    np.testing.assert_allclose(spei.values, demo_spei(seed=3).values)
    wast = open_raster(paths["wasting"])
    np.testing.assert_array_equal(wast.values, demo_wasting(seed=3).values)
    with rasterio.open(paths["wasting"]) as src:
        assert "SYNTHETIC" in src.tags()["DESCRIPTION"]
    # deterministic: same seed, same bytes
    again = write_demo_rasters(tmp_path / "again", seed=3)
    assert again["wasting"].read_bytes() == paths["wasting"].read_bytes()
    z = _zones(box(-1, 13, 2, 15))
    sub = open_raster(paths["spei"], zones=z)
    assert sub.shape == (20, 30)
    np.testing.assert_allclose(sub.values, spei.values[:, 100:120, 110:140])
