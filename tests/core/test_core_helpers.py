"""The one home of shared patterns: run starts, point coordinates, empty rejects, geodesy."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import sahel_geo as sg
from sahel_geo.core.arrays import run_starts
from sahel_geo.core.geodesy import GEOD, WGS84_A, WGS84_F, latlon_cell_area_km2
from sahel_geo.core.reports import REJECT_COLUMNS, StepReport, empty_rejects
from sahel_geo.core.validation import (
    check_columns,
    check_geographic,
    point_xy,
    point_xy_or_nan,
)


def test_run_starts_one_and_several_keys() -> None:
    assert run_starts(np.array([3, 3, 1, 1, 1, 7])).tolist() == [1, 0, 1, 0, 0, 1]
    a = np.array([1, 1, 1, 2, 2])
    b = np.array([0, 0, 1, 1, 1])
    assert run_starts(a, b).tolist() == [True, False, True, True, False]
    assert run_starts(np.array([], dtype=np.int64)).tolist() == []
    assert run_starts(np.array([5])).tolist() == [True]
    with pytest.raises(ValueError, match="length"):
        run_starts(np.array([1, 2]), np.array([1]))
    with pytest.raises(ValueError, match="at least one"):
        run_starts()


def test_run_starts_equals_the_hand_written_mask() -> None:
    rng = np.random.default_rng(0)
    key = np.sort(rng.integers(0, 50, 1000))
    hand = np.concatenate(([True], key[1:] != key[:-1]))
    assert np.array_equal(run_starts(key), hand)
    # group starts feed reduceat exactly as np.unique's counts
    starts = np.flatnonzero(run_starts(key))
    _, counts = np.unique(key, return_counts=True)
    assert np.array_equal(np.add.reduceat(np.ones_like(key), starts), counts)


def test_point_xy_or_nan() -> None:
    geoms = np.array([shapely.Point(1, 2), None, shapely.Point(), shapely.Point(-3.5, 4)])
    x, y = point_xy_or_nan(geoms, what="events")
    assert np.array_equal(x, [1.0, np.nan, np.nan, -3.5], equal_nan=True)
    assert np.array_equal(y, [2.0, np.nan, np.nan, 4.0], equal_nan=True)
    bad = np.array([shapely.Point(0, 0), shapely.box(0, 0, 1, 1), shapely.LineString()])
    with pytest.raises(
        sg.SchemaError,
        match=r"events: row\(s\) \[1, 2\] have a geometry that is not a Point \(2 in all\); "
        r"this step takes points",
    ):
        point_xy_or_nan(bad, what="events")
    with pytest.raises(sg.SchemaError, match=r"\[1, 2\].*; buffer them"):
        point_xy_or_nan(bad, what="events", hint="buffer them")


def test_point_xy_is_strict() -> None:
    gdf = gpd.GeoDataFrame(
        geometry=[
            shapely.Point(1, 2),
            None,
            shapely.Point(),
            shapely.box(0, 0, 1, 1),
            shapely.Point(np.nan, 3),
        ],
        crs="EPSG:4326",
    )
    # every bad row in one message: missing, empty, not a point, no finite coordinates
    with pytest.raises(
        sg.SchemaError,
        match=r"^events: 4 rows are not non-empty points \(row positions 1, 2, 3, 4\)\. "
        r"Drop or fix them first",
    ):
        point_xy(gdf, what="events")
    x, y = point_xy(gdf.iloc[:1], what="events")
    assert (x.tolist(), y.tolist()) == ([1.0], [2.0])
    x, y = point_xy(gdf.geometry.iloc[:1], what="events")  # a GeoSeries works too
    assert (x.tolist(), y.tolist()) == ([1.0], [2.0])


def test_check_columns_names_every_missing_column() -> None:
    frame = gpd.GeoDataFrame({"a": [1]})
    with pytest.raises(sg.SchemaError, match=r"units lacks column\(s\) \['b', 'c'\]"):
        check_columns(frame, ["a", "b", "c"], what="units")
    check_columns(frame, ["a"], what="units")


def test_check_geographic() -> None:
    gdf = gpd.GeoDataFrame(geometry=[shapely.Point(1, 2)])
    with pytest.raises(sg.MissingCRSError, match="set_crs"):
        check_geographic(gdf, what="events")
    with pytest.raises(sg.CRSMismatchError, match=r"EPSG:3857.*to_crs"):
        check_geographic(gdf.set_crs("EPSG:3857"), what="events")
    check_geographic(gdf.set_crs("OGC:CRS84"), what="events")  # axis order is no mismatch


def test_empty_rejects_is_a_valid_report_table() -> None:
    table = empty_rejects()
    assert tuple(table.columns) == REJECT_COLUMNS and table.empty
    rep = StepReport(step="s", source="x", n_in=3, n_kept=3, rejects=table)
    assert rep.n_rejected == 0 and rep.rejected_by_reason == {}


def test_one_ellipsoid() -> None:
    assert (WGS84_A, WGS84_F) == (6378137.0, 1 / 298.257223563)
    assert (GEOD.a, GEOD.f) == (WGS84_A, WGS84_F)
    # differential: pyproj's geodesic area of the cell with densified parallels
    lon = np.r_[np.linspace(0, 1, 4001), np.linspace(1, 0, 4001)]
    lat = np.r_[np.zeros(4001), np.ones(4001)]
    reference = abs(GEOD.polygon_area_perimeter(lon, lat)[0]) / 1e6  # 12,308.46 km²
    ours = latlon_cell_area_km2(np.array([0.0]), np.array([1.0]), 1.0)[0]
    assert ours == pytest.approx(reference, rel=1e-9)
    # symmetric in its two edges; the whole globe is 4 pi R_authalic² = 510,065,622 km²
    assert latlon_cell_area_km2(np.array([1.0]), np.array([0.0]), 1.0)[0] == ours
    globe = float(latlon_cell_area_km2(np.array([-90.0]), np.array([90.0]), 360.0)[0])
    assert round(globe) == 510065622


def test_period_labels() -> None:
    from sahel_geo.core.periods import period_label, period_start

    dates = pd.to_datetime(["2012-01-01", "2012-04-15", "2013-12-30", None])
    assert list(period_label(dates, "year")) == ["2012", "2012", "2013", None]
    assert list(period_label(dates, "quarter")) == ["2012-Q1", "2012-Q2", "2013-Q4", None]
    assert list(period_label(dates, "month")) == ["2012-01", "2012-04", "2013-12", None]
    # ISO weeks: 2012-01-01 is a Sunday in week 52 of 2011; 2013-12-30 is in 2014-W01
    assert list(period_label(dates, "week")) == ["2011-W52", "2012-W15", "2014-W01", None]
    starts = period_start(pd.Series(dates[:3]), "quarter")
    assert list(period_label(starts, "quarter")) == ["2012-Q1", "2012-Q2", "2013-Q4"]
    with pytest.raises(sg.SchemaError, match=r"freq='decade' is not one of"):
        period_label(dates, "decade")  # type: ignore[arg-type]


def test_step_reports_survive_json_as_in_parquet_metadata() -> None:
    import json

    from sahel_geo.core.reports import ATTRS_KEY, reports

    rej = pd.DataFrame(
        {"row": [3], "reason": ["bad date"], "column": ["event_date"], "x": [np.int64(7)]}
    )
    rep = StepReport(step="read", source="f.csv", n_in=4, n_kept=3, rejects=rej, notes={"a": 1})
    frame = pd.DataFrame({"v": [1, 2, 3]})
    frame.attrs[ATTRS_KEY] = (rep,)
    # what pandas and geopandas do in to_parquet / read_parquet
    back = pd.DataFrame({"v": [1, 2, 3]})
    back.attrs = json.loads(json.dumps(frame.attrs))
    got = reports(back)
    assert [r.to_dict() for r in got] == [rep.to_dict()]
    assert (
        got[0].summary()
        == rep.summary()
        == ("read f.csv: 4 in, 3 kept, 1 rejected (bad date: 1); noted: a: 1")
    )
    assert reports(back)[0] is got[0]  # rebuilt once, then kept
    back.attrs[ATTRS_KEY] = [{"step": "x"}]
    with pytest.raises(sg.SchemaError, match="not a step report"):
        reports(back)


def test_notebook_html_of_raster_report_and_network() -> None:
    from affine import Affine

    from sahel_geo.core.raster import Raster

    r = Raster.from_array(
        np.zeros((2, 3)), transform=Affine(0.5, 0, 1, 0, -0.5, 2), crs=4326, name="<spei>"
    )
    text = r._repr_html_()
    assert "Raster &lt;spei&gt;" in text and "<spei>" not in text
    assert ">2 x 3</td>" in text and ">EPSG:4326</td>" in text and ">0.5 x 0.5</td>" in text
    rej = pd.DataFrame({"row": [2], "reason": ["bad <date>"], "column": ["event_date"]})
    rep = StepReport(step="read", source="f.csv", n_in=3, n_kept=2, rejects=rej)
    html_text = rep._repr_html_()
    assert "Step read" in html_text and "rejected: bad &lt;date&gt;" in html_text
    net = sg.RoadNetwork.from_graph(sg.road_network(osm_file=sg.tri_border_roads_path()))
    net_html = net._repr_html_()
    assert f">{net.n_segments:,}</td>" in net_html and " km</td>" in net_html
