"""workflow.commands: the bodies of sahel-geo join, zonal and change, on tiny exact inputs."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

import sahel_geo as sg
from sahel_geo.workflow.commands import change_table, join_events, load_units, zonal_table

# A 4 x 4 raster of 1-degree cells from (0, 0) to (4, 4), values 0..15 row by row
# from the top:            x: 0-1 1-2 2-3 3-4
#   y 3-4 (row 0)              0   1   2   3
#   y 2-3 (row 1)              4   5   6   7
#   y 1-2 (row 2)              8   9  10  11
#   y 0-1 (row 3)             12  13  14  15
VALUES = np.arange(16, dtype="float64").reshape(4, 4)


def write_tif(path: Path, values: np.ndarray) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="float64",
        crs="EPSG:4326",
        transform=Affine(1, 0, 0, 0, -1, 4),
        nodata=-9999.0,
    ) as dst:
        dst.write(values, 1)
    return path


def write_zones(path: Path) -> Path:
    zones = gpd.GeoDataFrame(
        {"admin_level": [1, 1, 1], "pcode": ["A", "B", "C"], "name": ["a", "b", "c"]},
        geometry=[box(0, 2, 2, 4), box(1, 0, 3, 2), box(2.5, 2, 4, 4)],
        crs=4326,
    )
    return sg.write_geojson(zones, path)


def write_generic_events(path: Path) -> Path:
    # Mali: 4 events in 2022-Q1, 6 in 2022-Q2 (one fatality each);
    # Niger: 1 event in 2022-Q1 (5 fatalities), none in 2022-Q2.
    rows = ["event_date,latitude,longitude,fatalities,country_iso3"]
    rows += [f"2022-0{m}-1{i},14.5,-3.0,1,MLI" for m, i in [(1, 0), (1, 1), (2, 2), (3, 3)]]
    rows += [f"2022-0{m}-0{i},14.5,-3.0,1,MLI" for m, i in [(4, 1), (4, 2), (5, 3)]]
    rows += [f"2022-06-0{i},14.5,-3.0,1,MLI" for i in (4, 5, 6)]
    rows += ["2022-02-20,14.0,2.0,5,NER"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def tif(tmp_path: Path) -> Path:
    return write_tif(tmp_path / "v.tif", VALUES)


def test_zonal_table_exact(tmp_path: Path, tif: Path) -> None:
    zones = write_zones(tmp_path / "zones.geojson")
    out = zonal_table(zones, tif, stats=["mean", "max", "count"])
    assert list(out["pcode"]) == ["A", "B", "C"]
    assert list(out.columns[-4:]) == ["geometry", "mean", "max", "count"]
    # A covers cells 0, 1, 4, 5: mean 10/4 = 2.5, max 5; B cells 9, 10, 13, 14: 46/4 = 11.5
    assert out["mean"].tolist()[:2] == [2.5, 11.5]
    assert out["max"].tolist() == [5.0, 14.0, 7.0]
    # C (x 2.5-4, y 2-4) covers half of cells 2 and 6 and all of 3 and 7:
    # (0.5*2 + 3 + 0.5*6 + 7) / (0.5 + 1 + 0.5 + 1) = 14 / 3
    assert out["count"].tolist() == [4.0, 4.0, 3.0]
    assert out["mean"].iloc[2] == pytest.approx(14 / 3, rel=1e-12)
    assert [r.step for r in sg.reports(out)] == ["read_boundaries"]


def test_zonal_table_weights_and_center(tmp_path: Path, tif: Path) -> None:
    zones = write_zones(tmp_path / "zones.geojson")
    weights = np.ones((4, 4))
    weights[0, 0] = 3.0
    wtif = write_tif(tmp_path / "w.tif", weights)
    out = zonal_table(zones, tif, stats=["weighted_mean"], weights=wtif, coverage="center")
    # A: (0*3 + 1 + 4 + 5) / (3 + 1 + 1 + 1) = 10 / 6; B: weights 1: 11.5
    assert out["weighted_mean"].iloc[0] == pytest.approx(10 / 6, rel=1e-12)
    assert out["weighted_mean"].iloc[1] == 11.5


def test_zonal_table_refuses_a_clashing_statistic(tmp_path: Path, tif: Path) -> None:
    with pytest.raises(sg.SchemaError, match=r"\['name'\]"):
        zonal_table(write_zones(tmp_path / "z.geojson"), tif, stats=["name"])


def test_zonal_table_missing_raster(tmp_path: Path) -> None:
    with pytest.raises(sg.InputFileError, match=r"raster not found: .*nope\.tif\. Check the path"):
        zonal_table(write_zones(tmp_path / "z.geojson"), tmp_path / "nope.tif")


def test_load_units_words_and_files(tmp_path: Path) -> None:
    assert load_units("bundled")["pcode"].tolist() == sg.load_boundaries(1)["pcode"].tolist()
    assert load_units("bundled:2").equals(sg.load_boundaries(2))
    assert load_units("bundled", level=0).equals(sg.load_boundaries(0))
    assert load_units(write_zones(tmp_path / "z.geojson"))["pcode"].tolist() == ["A", "B", "C"]
    with pytest.raises(sg.ConfigError, match="bundled:<level>"):
        load_units("bundled:x")
    with pytest.raises(sg.ConfigError, match="level 2 but the level option says 1"):
        load_units("bundled:2", level=1)
    with pytest.raises(sg.InputFileError, match=r"boundary file not found: .*b\.gpkg"):
        load_units(tmp_path / "b.gpkg")


def test_change_table_exact(tmp_path: Path) -> None:
    events = write_generic_events(tmp_path / "ev.csv")
    out = change_table(events, by="country", freq="quarter", events_format="generic")
    assert out[["unit", "period", "events"]].values.tolist() == [
        ["MLI", "2022-Q1", 4],
        ["MLI", "2022-Q2", 6],
        ["NER", "2022-Q1", 1],
        ["NER", "2022-Q2", 0],
    ]
    assert out["events"].dtype == "int64"
    # MLI: (6 - 4) / 4 = +50 % (> 25 %: large increase); NER: 1 -> 0 is under the
    # low-baseline limits (baseline <= 2, current <= 5): no percentage
    assert out["baseline"].tolist()[1::2] == [4.0, 1.0]
    assert out["change_pct"].tolist()[1] == 50.0 and np.isnan(out["change_pct"].iloc[3])
    assert out["trend"].tolist() == ["", "large increase", "", "limited change"]
    assert out["label"].tolist() == ["", "50%", "", "low baseline (1 → 0)"]
    steps = [r.step for r in sg.reports(out)]
    assert steps == ["read_events", "aggregate[country_iso3, quarter]"]


def test_change_table_fatalities_and_any_column(tmp_path: Path) -> None:
    events = write_generic_events(tmp_path / "ev.csv")
    out = change_table(events, by="country_iso3", value="fatalities", events_format="generic")
    # one year: Mali 10 events x 1 fatality, Niger 5
    assert out[["unit", "period", "fatalities"]].values.tolist() == [
        ["MLI", "2022", 10.0],
        ["NER", "2022", 5.0],
    ]


def test_change_table_with_boundaries_counts_every_unit(tmp_path: Path) -> None:
    events = write_generic_events(tmp_path / "ev.csv")
    out = change_table(events, boundaries="bundled", events_format="generic")
    adm1 = sg.load_boundaries(1)
    assert out["unit"].tolist() == adm1["pcode"].tolist()  # one year: one row per unit
    joined = sg.assign_admin(sg.read_events(events, columns=_GENERIC), adm1)
    per_unit = joined.groupby("adm1_pcode").size()
    assert out.set_index("unit")["events"][per_unit.index].tolist() == per_unit.tolist()
    assert out["events"].sum() == len(joined)  # all 11 events are inside a unit
    assert [r.step for r in sg.reports(out)] == [
        "read_events",
        "assign_admin[adm1]",
        "aggregate[adm1_pcode, year]",
    ]


_GENERIC = {
    "event_date": "event_date",
    "latitude": "latitude",
    "longitude": "longitude",
    "fatalities": "fatalities",
    "country_iso3": "country_iso3",
}


def test_change_table_errors(tmp_path: Path) -> None:
    events = write_generic_events(tmp_path / "ev.csv")
    with pytest.raises(sg.SchemaError) as err:
        change_table(events, by="admin9", events_format="generic")
    msg = str(err.value)
    assert "'admin9'" in msg and "ev.csv" in msg and "'country'" in msg
    empty = tmp_path / "empty.csv"
    empty.write_text("event_date,latitude,longitude,group\n2022-01-01,14.5,-3.0,\n")
    with pytest.raises(sg.SchemaError, match=r"empty\.csv have no values in column 'group'"):
        change_table(empty, by="group", events_format="generic")
    with pytest.raises(sg.SchemaError, match=r"ev\.csv have no civilian_fatalities values"):
        change_table(events, value="civilian_fatalities", events_format="generic")
    with pytest.raises(sg.ConfigError, match="value must be one of"):
        change_table(events, value="deaths", events_format="generic")


def test_join_events_is_assign_admin(tmp_path: Path) -> None:
    events = write_generic_events(tmp_path / "ev.csv")
    joined = join_events(events, "bundled:1", events_format="generic", coarse="drop")
    expected = sg.assign_admin(
        sg.read_events(events, columns=_GENERIC), sg.load_boundaries(1), coarse="drop"
    )
    pd.testing.assert_frame_equal(joined, expected)
    with pytest.raises(sg.InputFileError, match=r"events file not found: .*x\.csv"):
        join_events(tmp_path / "x.csv", "bundled")
