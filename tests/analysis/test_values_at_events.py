from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import Point

from sahel_geo import CRSMismatchError, SchemaError, reports
from sahel_geo.analysis.event_values import values_at_events
from sahel_geo.core.raster import Raster
from sahel_geo.io.demo_rasters import demo_spei

TR = Affine(1, 0, 0, 0, -1, 2)  # 2 rows x 4 cols, x 0..4, y 0..2
TIMES = pd.date_range("2022-01-01", periods=6, freq="MS")
STACK = np.arange(6 * 8, dtype=float).reshape(6, 2, 4)


def _events(points, dates, crs=4326):
    return gpd.GeoDataFrame(
        {"event_id": [f"e{i}" for i in range(len(points))], "event_date": pd.to_datetime(dates)},
        geometry=[Point(p) if p is not None else None for p in points],
        crs=crs,
    )


def test_single_raster_values_and_reasons():
    v = np.array([[1.0, 2, 3, 4], [5, 6, -9, 8]])
    r = Raster.from_array(v, transform=TR, crs="EPSG:4326", nodata=-9)
    ev = _events([(0.5, 1.5), (2.5, 0.5), (9, 9), (3.9, 0.1), None], ["2022-01-01"] * 5)
    out = values_at_events(ev, r)
    assert out["value"].tolist()[:1] == [1.0]
    assert out.loc["e3", "value"] == 8.0
    assert np.isnan(out.loc["e1", "value"]) and out.loc["e1", "na_reason"] == "nodata"
    assert out.loc["e2", "na_reason"] == "outside_raster"
    assert out.loc["e4", "na_reason"] == "no_point"
    assert pd.isna(out.loc["e0", "na_reason"])
    rep = reports(out)[-1]
    assert rep.notes == {"nodata": 1, "outside_raster": 1, "no_point": 1}
    assert list(out.index) == list(ev["event_id"])


def test_stack_period_and_lags():
    r = Raster.from_array(STACK, transform=TR, crs="EPSG:4326", times=TIMES)
    ev = _events(
        [(1.5, 0.5), (1.5, 0.5), (1.5, 0.5), (1.5, 0.5)],
        ["2022-04-30", "2022-01-15", "2021-12-31", "2022-07-01"],
    )
    out = values_at_events(ev, r, time_match="period", lags=(1, 3))
    cell = STACK[:, 1, 1]
    assert out.loc["e0", "value"] == cell[3]  # April
    assert out.loc["e0", "value_lag1"] == cell[2]
    assert out.loc["e0", "value_lag3"] == cell[0]
    assert out.loc["e0", "period"] == pd.Timestamp("2022-04-01")
    assert out.loc["e1", "value"] == cell[0] and np.isnan(out.loc["e1", "value_lag1"])
    assert out.loc["e2", "na_reason"] == "outside_time"
    assert out.loc["e3", "na_reason"] == "outside_time"  # after the last month (June)
    assert reports(out)[-1].notes == {"outside_time": 2}


def test_dekadal_stack_end():
    times = pd.DatetimeIndex(["2022-03-01", "2022-03-11", "2022-03-21"])
    r = Raster.from_array(STACK[:3], transform=TR, crs="EPSG:4326", times=times)
    ev = _events([(0.5, 0.5)] * 3, ["2022-03-15", "2022-03-31", "2022-04-01"])
    out = values_at_events(ev, r, time_match="period")
    assert out["value"].tolist()[:2] == [STACK[1, 1, 0], STACK[2, 1, 0]]
    assert out.loc["e2", "na_reason"] == "outside_time"


def test_demo_stack_matches_direct_lookup():
    r = demo_spei(seed=2, res=0.5)
    rng = np.random.default_rng(0)
    n = 200
    x, y = rng.uniform(-12, 16, n), rng.uniform(9, 25, n)
    dates = pd.Timestamp("2012-01-01") + pd.to_timedelta(rng.integers(0, 4383, n), "D")
    ev = gpd.GeoDataFrame(
        {"event_id": np.arange(n).astype(str), "event_date": dates},
        geometry=gpd.points_from_xy(x, y),
        crs=4326,
    )
    out = values_at_events(ev, r, time_match="period", lags=(6,))
    col = np.floor((x + 12) / 0.5).astype(int)
    row = np.floor((25 - y) / 0.5).astype(int)
    step = (dates.year - 2012) * 12 + dates.month - 1
    np.testing.assert_array_equal(out["value"].to_numpy(), r.values[step, row, col])
    lagged = np.where(step >= 6, r.values[np.maximum(step - 6, 0), row, col], np.nan)
    np.testing.assert_array_equal(out["value_lag6"].to_numpy(), lagged)


def test_bad_inputs():
    r = Raster.from_array(STACK, transform=TR, crs="EPSG:4326", times=TIMES)
    ev = _events([(0.5, 0.5)], ["2022-01-01"])
    with pytest.raises(SchemaError, match="time_match='period'"):
        values_at_events(ev, r)
    with pytest.raises(SchemaError, match="positive"):
        values_at_events(ev, r, time_match="period", lags=(0,))
    with pytest.raises(CRSMismatchError):
        values_at_events(ev.set_crs(3857, allow_override=True), r, time_match="period")
    single = Raster.from_array(STACK[0], transform=TR, crs="EPSG:4326")
    with pytest.raises(SchemaError, match="single layer"):
        values_at_events(ev, single, lags=(1,))
