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


def _report_with_rejects(values: list[object]) -> StepReport:
    rej = pd.DataFrame(
        {
            "row": list(range(1, len(values) + 1)),
            "reason": ["bad"] * len(values),
            "column": ["v"] * len(values),
            "v": pd.Series(values, dtype=object),
        }
    )
    return StepReport(step="s", source="f.csv", n_in=len(values) + 1, n_kept=1, rejects=rej)


def test_report_json_form_is_built_when_read_and_is_the_whole_form(monkeypatch) -> None:
    import json

    from sahel_geo.core import reports as reports_module

    values = [np.int64(3), 2.5, float("nan"), None, "x", pd.Timestamp("2012-01-17")]
    expected = {
        "sahel_geo_step_report": 1,
        "step": "s",
        "source": "f.csv",
        "n_in": 7,
        "n_kept": 1,
        "notes": {},
        "rejects": {
            "columns": ["row", "reason", "column", "v"],
            "rows": [
                [1, "bad", "v", 3],
                [2, "bad", "v", 2.5],
                [3, "bad", "v", None],  # NaN is a missing cell
                [4, "bad", "v", None],
                [5, "bad", "v", "x"],
                [6, "bad", "v", "2012-01-17 00:00:00"],
            ],
        },
    }

    def refuse(value: object) -> object:
        raise AssertionError("the rejects' JSON form was built before it was read")

    monkeypatch.setattr(reports_module, "_json_value", refuse)
    rep = _report_with_rejects(values)  # no JSON cells built here
    assert rep.n_rejected == 6 and "bad: 6" in rep.summary()
    with pytest.raises(AssertionError, match="before it was read"):
        rep.to_dict()
    monkeypatch.undo()
    # every way of reading the mapping sees the whole form, in the same key order
    assert json.loads(json.dumps({"r": (_report_with_rejects(values),)}))["r"][0] == expected
    assert json.dumps(_report_with_rejects(values)) == json.dumps(expected)
    assert _report_with_rejects(values).to_dict() == expected
    assert dict(_report_with_rejects(values)) == expected
    assert list(_report_with_rejects(values)) == list(expected)
    assert _report_with_rejects(values)["rejects"] == expected["rejects"]
    assert "rejects" in _report_with_rejects(values)
    assert len(_report_with_rejects(values)) == len(expected)
    assert _report_with_rejects(values).get("rejects") == expected["rejects"]
    assert list(reversed(_report_with_rejects(values))) == list(reversed(expected))
    assert (_report_with_rejects(values) | {}) == expected


def test_reports_compare_by_their_rejects_and_pickle_as_their_fields() -> None:
    import pickle

    a, b = _report_with_rejects(["x", "y"]), _report_with_rejects(["x", "z"])
    assert a != b  # same counts, other rejected values
    assert a == _report_with_rejects(["x", "y"])
    # pandas keeps attrs through concat only when they are equal
    f1, f2 = pd.DataFrame({"k": [1]}), pd.DataFrame({"k": [2]})
    f1.attrs["r"], f2.attrs["r"] = (a,), (b,)
    assert "r" not in pd.concat([f1, f2]).attrs
    f2.attrs["r"] = (_report_with_rejects(["x", "y"]),)
    assert pd.concat([f1, f2]).attrs["r"] == (a,)
    back = pickle.loads(pickle.dumps(a))
    assert isinstance(back, StepReport) and back is not a
    pd.testing.assert_frame_equal(back.rejects, a.rejects)
    assert back.to_dict() == a.to_dict() and back.notes == a.notes
    with pytest.raises(TypeError):
        hash(a)


def test_report_json_cells_equal_the_cell_by_cell_conversion() -> None:
    from sahel_geo.core.reports import _json_value

    n = 7
    rej = pd.DataFrame(
        {
            "row": np.arange(1, n + 1),
            "reason": pd.Series(["a", None, "b", "c", "d", "e", "f"], dtype="str"),
            "column": pd.Series(["x", "y", np.nan, "z", pd.NA, "w", "v"], dtype=object),
            "f": [1.5, np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300],
            "f32": np.array([1.1, np.nan, 2.5, 0, 0, 0, 0], dtype=np.float32),
            "i8": np.array([1, -2, 3, 4, 5, 6, 7], dtype=np.int8),
            "b": [True, False, True, True, False, False, True],
            "Int64": pd.array([1, None, 3, 4, 5, 6, 7], dtype="Int64"),
            "boolean": pd.array([True, None, False, True, True, True, True], dtype="boolean"),
            "Float64": pd.array([0.5, None, 2.0, 1.0, 1.0, 1.0, 1.0], dtype="Float64"),
            "when": pd.to_datetime(
                ["2012-01-17", None, "2013-03-01T12:00", *["2020-01-01"] * 4], format="ISO8601"
            ),
            "cat": pd.Categorical(["p", "q", None, "p", "q", "p", "p"]),
            "mixed": pd.Series([np.int64(3), 2.5, "14.1N", None, float("nan"), True, b"x"]),
        }
    )
    rep = StepReport(step="s", source="f", n_in=n, n_kept=0, rejects=rej)
    cells = rej.astype(object).where(rej.notna(), None).to_numpy().tolist()
    reference = [[_json_value(v) for v in row] for row in cells]  # the former conversion
    assert rep.to_dict()["rejects"]["rows"] == reference
    assert [type(v) for v in rep.to_dict()["rejects"]["rows"][0]] == [type(v) for v in reference[0]]


def test_equal_reports_compare_without_their_json_forms(monkeypatch) -> None:
    import pickle

    from sahel_geo.core import reports as reports_module

    a = _report_with_rejects(["x", 2.5, None])
    copy = pickle.loads(pickle.dumps(a))  # what a partition holds after a process hop

    def refuse(value: object) -> object:
        raise AssertionError("a JSON form was built to compare")

    monkeypatch.setattr(reports_module, "_json_value", refuse)
    assert a == copy
    assert (a != copy) is False
    assert a != _report_with_rejects(["x", 2.5])  # other counts: unequal at once
