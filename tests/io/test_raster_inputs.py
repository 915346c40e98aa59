"""Rasters as analysts really have them: scale/offset, mask bands, masked arrays, integer
nodata, undeclared fill values, undated time axes. Each gives the right numbers or says
exactly what is wrong (issue 12)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
from affine import Affine
from shapely.geometry import box

import sahel_geo as sg
from sahel_geo.core.raster import Raster

T = Affine(1.0, 0, 0, 0, -1.0, 2)  # 2 x 2 cells of 1°, top-left corner at (0, 2)
ALL = gpd.GeoDataFrame({"pcode": ["A"]}, geometry=[box(0, 0, 2, 2)], crs=4326)


def _tif(path: Path, values: np.ndarray, **profile: object) -> Path:
    h, w = values.shape
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=h,
        width=w,
        count=1,
        dtype=values.dtype,
        crs="EPSG:4326",
        transform=T,
        **profile,
    ) as dst:
        dst.write(values, 1)
    return path


def _mean_count(raster: Raster) -> tuple[float, float]:
    out = sg.zonal_stats(ALL, raster, stats=["mean", "count"], coverage="center")
    return float(out.loc["A", "mean"]), float(out.loc["A", "count"])


def test_geotiff_scale_and_offset_are_applied(tmp_path: Path) -> None:
    path = _tif(tmp_path / "s.tif", np.array([[10, 20], [30, 255]], dtype=np.uint8), nodata=255)
    with rasterio.open(path, "r+") as dst:
        dst.scales = (0.5,)
        dst.offsets = (-1.0,)
    r = sg.open_raster(path)
    # 10 * 0.5 - 1 = 4, 20 -> 9, 30 -> 14; 255 is nodata (compared before scaling)
    assert r.values.dtype == np.float64
    assert np.array_equal(r.values, [[4.0, 9.0], [14.0, np.nan]], equal_nan=True)
    assert _mean_count(r) == (9.0, 3.0)


def test_geotiff_mask_band_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "m.tif"
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True):
        _tif(path, np.array([[1, 2], [3, 4]], dtype=np.int16))
        with rasterio.open(path, "r+") as dst:
            dst.write_mask(np.array([[255, 0], [255, 255]], dtype=np.uint8))
    r = sg.open_raster(path)
    assert np.array_equal(r.values, [[1.0, np.nan], [3.0, 4.0]], equal_nan=True)
    assert _mean_count(r) == (8.0 / 3.0, 3.0)


def test_numpy_masked_array_mask_is_honoured() -> None:
    values = np.ma.masked_array([[1, 2], [3, 4]], mask=[[False, True], [False, False]])
    r = Raster.from_array(values, transform=T, crs=4326)
    assert _mean_count(r) == (8.0 / 3.0, 3.0)
    # an integer masked array becomes float64 with NaN; the input is not modified
    assert r.values.dtype == np.float64 and values.data[0, 1] == 2


def test_uint64_nodata_is_compared_as_an_integer() -> None:
    big = np.uint64(2**63)  # float64 cannot tell 2**63 + 1 from 2**63, an integer can
    values = np.array([[1, 2**64 - 1], [3, big + np.uint64(1)]], dtype=np.uint64)
    r = Raster.from_array(values, transform=T, crs=4326, nodata=float(2**64 - 1))
    assert r.nodata == 2**64 - 1 and isinstance(r.nodata, int)
    assert r.valid_mask().tolist() == [[True, False], [True, True]]
    r2 = Raster.from_array(values, transform=T, crs=4326, nodata=2**63 + 1)
    assert r2.valid_mask().tolist() == [[True, True], [True, False]]
    # a nodata the type cannot hold matches no cell
    r3 = Raster.from_array(values.astype(np.uint8), transform=T, crs=4326, nodata=-9999)
    assert r3.valid_mask().all()
    # GDAL hands a file's nodata over as a double: 2**64 - 1 arrives as 2.0**64, which is
    # taken as the type's maximum. (rasterio 1.4 cannot write 64-bit nodata values
    # exactly, -2**63 is written as -9, so this path is tested through the float form.)
    r4 = Raster.from_array(values, transform=T, crs=4326, nodata=1.8446744073709552e19)
    assert r4.nodata == 2**64 - 1
    assert _mean_count(r4) == (float(1 + 3 + 2**63 + 1) / 3, 3.0)


def test_undeclared_fill_value_warns_and_nodata_fixes_it(tmp_path: Path) -> None:
    values = np.array([[1.0, -9999.0], [3.0, 5.0]], dtype=np.float32)
    path = _tif(tmp_path / "f.tif", values)
    with pytest.warns(
        sg.NodataWarning,
        match=r"f\.tif has no nodata value, but 1 of 4 cells hold -9999\.0, a common fill "
        r"value.*pass nodata=-9999\.0 to open_raster",
    ):
        sg.open_raster(path)
    assert _mean_count(sg.open_raster(path, nodata=-9999)) == (3.0, 3.0)


@pytest.mark.parametrize(
    ("dtype", "fill"),
    [(np.int16, -32768), (np.float32, float(np.finfo(np.float32).min)), (np.uint16, 65535)],
)
def test_type_extremes_are_recognised_as_fill(tmp_path: Path, dtype: type, fill: float) -> None:
    values = np.array([[1, 2], [3, fill]], dtype=dtype)
    with pytest.warns(sg.NodataWarning, match=r"1 of 4 cells hold"):
        sg.open_raster(_tif(tmp_path / "x.tif", values))


def test_netcdf_time_that_is_not_dates_is_an_error(tmp_path: Path) -> None:
    da = xr.DataArray(
        np.ones((2, 2, 2)),
        dims=("time", "lat", "lon"),
        coords={"time": [0, 1], "lat": [1.5, 0.5], "lon": [0.5, 1.5]},
        name="spei",
    )
    path = tmp_path / "undated.nc"
    da.to_netcdf(path)
    with pytest.raises(
        sg.InputFileError,
        match=r"undated\.nc: the time coordinate 'time' holds int64 values \(units: None\) "
        r"that are not dates.*days since 1981-01-01",
    ):
        sg.open_raster(path)


def test_xarray_round_trip_and_crs() -> None:
    times = pd.to_datetime(["2022-01-01", "2022-02-01"])
    stack = Raster.from_array(
        np.arange(8.0).reshape(2, 2, 2), transform=T, crs="EPSG:32630", nodata=-1, times=times
    )
    da = stack.to_xarray()
    assert da.dims == ("time", "y", "x") and da.attrs["_FillValue"] == -1.0
    back = Raster.from_xarray(da)
    assert back.crs == stack.crs and back.transform == stack.transform
    assert np.array_equal(back.values, stack.values) and back.times.equals(stack.times)
    assert back.nodata == -1.0
    # south-up lat/lon array without a CRS: EPSG:4326 (CF) and flipped north-up
    cf = xr.DataArray(
        [[3.0, 4.0], [1.0, 2.0]], dims=("lat", "lon"), coords={"lat": [0.5, 1.5], "lon": [0.5, 1.5]}
    )
    r = Raster.from_xarray(cf)
    assert r.crs.to_epsg() == 4326 and r.values.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(sg.SchemaError, match=r"dimensions \['band', 'y', 'x', 'z'\]"):
        Raster.from_xarray(xr.DataArray(np.zeros((1, 2, 2, 2)), dims=("band", "y", "x", "z")))


def test_values_at_events_takes_paths_datasets_and_dataarrays(tmp_path: Path) -> None:
    values = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    path = _tif(tmp_path / "v.tif", values)
    events = gpd.GeoDataFrame(
        {"event_id": ["a", "b"]}, geometry=gpd.points_from_xy([0.5, 1.5], [1.5, 0.5]), crs=4326
    )
    expected = sg.values_at_events(events, sg.open_raster(path))["value"].tolist()
    assert expected == [1.0, 4.0]
    assert sg.values_at_events(events, path)["value"].tolist() == expected
    assert sg.values_at_events(events, str(path))["value"].tolist() == expected
    with rasterio.open(path) as src:
        assert sg.values_at_events(events, src)["value"].tolist() == expected
    da = sg.open_raster(path).to_xarray()
    assert sg.values_at_events(events, da)["value"].tolist() == expected
    with pytest.raises(sg.SchemaError, match=r"raster must be a sahel_geo Raster, a path"):
        sg.values_at_events(events, [[1, 2]])


def test_zonal_stats_takes_paths_datasets_and_dataarrays(tmp_path: Path) -> None:
    values = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    path = _tif(tmp_path / "v.tif", values)
    zones = gpd.GeoDataFrame(
        {"pcode": ["A", "B"]}, geometry=[box(0, 0, 2, 1), box(0, 0, 1, 2)], crs=4326
    )
    expected = sg.zonal_stats(zones, sg.open_raster(path), stats=["mean", "count"])
    assert expected["mean"].tolist() == [3.5, 2.0]  # (3 + 4) / 2 and (1 + 3) / 2
    pd.testing.assert_frame_equal(sg.zonal_stats(zones, path, stats=["mean", "count"]), expected)
    with rasterio.open(path) as src:
        pd.testing.assert_frame_equal(sg.zonal_stats(zones, src, stats=["mean", "count"]), expected)
    da = sg.open_raster(path).to_xarray()
    pd.testing.assert_frame_equal(sg.zonal_stats(zones, da, stats=["mean", "count"]), expected)
    weighted = sg.zonal_stats(zones, path, stats=["weighted_mean"], weights=da)
    assert weighted["weighted_mean"].tolist() == [25 / 7, 10 / 4]  # (9 + 16) / 7, (1 + 9) / 4
    cells = sg.zonal_cells(zones, path, zone="A")
    assert sorted(cells["value"].tolist()) == [3.0, 4.0]


@pytest.mark.parametrize("bad", [None, 3, pd.DataFrame({"a": [1]})])
def test_open_raster_and_load_config_say_what_they_take(bad: object) -> None:
    with pytest.raises(sg.InputFileError, match=r"open_raster: expected the path of a GeoTIFF"):
        sg.open_raster(bad)  # type: ignore[arg-type]
    with pytest.raises(sg.ConfigError, match=r"load_config: expected the path of a \.toml"):
        sg.load_config(bad)  # type: ignore[arg-type]
