"""io.layers: writing by suffix (GeoJSON, CSV, GeoPackage) and reading events of any source."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely import Point

import sahel_geo as sg
from sahel_geo.io.layers import (
    GPKG_TIMESTAMP,
    check_layer_path,
    csv_text,
    detect_event_source,
    read_events_auto,
    write_layer,
)

ACLED_CSV = (
    "event_id_cnty,event_date,year,time_precision,event_type,sub_event_type,actor1,actor2,"
    "iso,country,admin1,location,latitude,longitude,geo_precision,source,notes,fatalities\n"
    "MLI1001,2019-03-15,2019,1,Battles,Armed clash,JNIM,Military Forces of Mali,466,Mali,"
    "Mopti,Boni,15.071,-2.166,1,Le Monde,Clash at Boni.,4\n"
    "BFA2002,2020-01-20,2020,2,Violence against civilians,Attack,Unidentified Armed Group,"
    "Civilians,854,Burkina Faso,Sahel,Djibo,14.102,-1.627,2,AIB,Attack near Djibo.,12\n"
)


def _frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": ["Gao", "Mopti"],
            "share": [0.1, 1 / 3],
            "n": [1, 2],
            "day": pd.to_datetime(["2024-01-03", "2024-02-29"]),
            "ok": [True, False],
        },
        geometry=[Point(0.04, 16.27), Point(-4.2, 14.5)],
        crs=4326,
    )


# --- writing ---------------------------------------------------------------------------


def test_csv_exact_bytes(tmp_path: Path) -> None:
    out = write_layer(_frame(), tmp_path / "t.csv")
    # geometry left out; 1/3 as its shortest round-trip text (repr); dates all midnight
    # -> written as YYYY-MM-DD; LF line ends; no index
    assert out.read_bytes() == (
        b"name,share,n,day,ok\n"
        b"Gao,0.1,1,2024-01-03,True\n"
        b"Mopti,0.3333333333333333,2,2024-02-29,False\n"
    )
    assert pd.read_csv(out)["share"].tolist() == [0.1, 1 / 3]  # reads back exactly


def test_csv_missing_values_and_extra_geometry_column() -> None:
    frame = _frame().iloc[:1].copy()
    frame["share"] = float("nan")
    frame["other"] = gpd.GeoSeries([Point(1, 2)], index=frame.index, crs=4326)
    assert csv_text(frame) == "name,share,n,day,ok,other\nGao,,1,2024-01-03,True,POINT (1 2)\n"


def test_geojson_is_write_geojson(tmp_path: Path) -> None:
    a = write_layer(_frame(), tmp_path / "a.geojson")
    b = sg.write_geojson(_frame(), tmp_path / "b.geojson")
    c = write_layer(_frame(), tmp_path / "c.json")
    assert a.read_bytes() == b.read_bytes() == c.read_bytes()


def test_gpkg_round_trip_and_reproducible(tmp_path: Path) -> None:
    first = write_layer(_frame(), tmp_path / "units.gpkg")
    again = write_layer(_frame(), tmp_path / "again" / "units.gpkg")
    assert first.read_bytes() == again.read_bytes()
    assert pyogrio.list_layers(first)[:, 0].tolist() == ["units"]
    back = gpd.read_file(first)
    assert back["name"].tolist() == ["Gao", "Mopti"]
    assert back["share"].tolist() == [0.1, 1 / 3]
    assert back.geometry.equals(_frame().geometry)
    # the pinned timestamp is what GDAL stored, and GDAL's own setting is restored
    meta = pyogrio.read_dataframe(first, sql="SELECT last_change FROM gpkg_contents")
    assert pd.Timestamp(meta["last_change"].iloc[0]) == pd.Timestamp(GPKG_TIMESTAMP)
    assert pyogrio.get_gdal_config_option("OGR_CURRENT_DATE") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again", "units.gpkg"]


def test_gpkg_table_without_geometry(tmp_path: Path) -> None:
    table = pd.DataFrame({"unit": ["MLI", "NER"], "events": [3, 0]})
    out = write_layer(table, tmp_path / "t.gpkg")
    back = pyogrio.read_dataframe(out)
    assert back["unit"].tolist() == ["MLI", "NER"] and back["events"].tolist() == [3, 0]


def test_gpkg_replaces_old_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "x.gpkg"
    write_layer(_frame(), path)
    write_layer(_frame().iloc[:1], path)
    assert len(gpd.read_file(path)) == 1


def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "x.gpkg"
    write_layer(_frame(), path)
    before = path.read_bytes()
    bad = _frame()
    bad["z"] = [1 + 2j, 3j]  # GDAL has no complex field type
    with pytest.raises(sg.SchemaError, match=r"x\.gpkg as a GeoPackage.*complex128"):
        write_layer(bad, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.gpkg"]


def test_unknown_suffix_lists_the_formats(tmp_path: Path) -> None:
    with pytest.raises(sg.ConfigError) as err:
        write_layer(_frame(), tmp_path / "x.shp")
    msg = str(err.value)
    assert "x.shp" in msg and "'.shp'" in msg
    for suffix in (".geojson", ".json", ".csv", ".gpkg", "GeoParquet"):
        assert suffix in msg
    with pytest.raises(sg.ConfigError, match=r"\(none\)"):
        write_layer(_frame(), tmp_path / "noext")
    assert list(tmp_path.iterdir()) == []


def test_geojson_needs_geometry(tmp_path: Path) -> None:
    with pytest.raises(sg.ConfigError, match=r"t\.geojson.*has none.*\.csv"):
        write_layer(pd.DataFrame({"a": [1]}), tmp_path / "t.geojson")
    assert check_layer_path(tmp_path / "t.geojson", geometry=True).name == "t.geojson"


def test_duplicate_columns_refused(tmp_path: Path) -> None:
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(sg.SchemaError, match=r"duplicated column names \['a'\]"):
        write_layer(frame, tmp_path / "t.csv")


# --- detecting and reading events ------------------------------------------------------


def test_detect_event_source() -> None:
    assert detect_event_source(["event_id_cnty", "geo_precision", "fatalities"]) == "acled"
    assert detect_event_source(["EVENT_ID_CNTY", "Geo_Precision"]) == "acled"
    assert detect_event_source(["id", "where_prec", "best", "side_a"]) == "ucdp"


def test_detect_event_source_cannot_tell() -> None:
    with pytest.raises(sg.SchemaError) as err:
        detect_event_source(["date", "lat", "lon", "best"], origin="x.csv")
    msg = str(err.value)
    assert "x.csv" in msg and "neither" in msg
    for col in ("event_id_cnty", "geo_precision", "where_prec", "best", "side_a"):
        assert col in msg
    assert "found: ['best']" in msg and "generic" in msg
    with pytest.raises(sg.SchemaError, match="both"):
        detect_event_source(["event_id_cnty", "geo_precision", "where_prec", "best", "side_a"])


def test_read_acled_auto_is_read_acled(tmp_path: Path) -> None:
    path = tmp_path / "acled.csv"
    path.write_text(ACLED_CSV, encoding="utf-8")
    auto = read_events_auto(path)
    direct = sg.read_acled(path)
    pd.testing.assert_frame_equal(auto, direct)
    assert [r.summary() for r in sg.reports(auto)] == [r.summary() for r in sg.reports(direct)]
    assert sg.reports(auto)[0].step == "read_acled" and sg.reports(auto)[0].n_kept == 2
    assert auto["event_id"].tolist() == ["MLI1001", "BFA2002"]


def test_read_ucdp_auto_is_read_ucdp(shared_data: Path) -> None:
    path = shared_data / "events" / "ucdp_ged231_sample1000.csv"
    auto = read_events_auto(path)
    direct = sg.read_ucdp(path)
    pd.testing.assert_frame_equal(auto, direct)
    assert [r.summary() for r in sg.reports(auto)] == [r.summary() for r in sg.reports(direct)]


def test_read_ucdp_json_page_auto(tmp_path: Path) -> None:
    record = {
        "id": 1,
        "date_start": "2020-01-02",
        "date_end": "2020-01-02",
        "date_prec": 1,
        "where_prec": 1,
        "type_of_violence": 3,
        "latitude": 14.1,
        "longitude": -1.6,
        "best": 2,
        "low": 2,
        "high": 2,
        "side_a": "JNIM",
        "side_b": "Civilians",
        "country": "Burkina Faso",
        "deaths_civilians": 2,
    }
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"Result": [record]}), encoding="utf-8")
    pd.testing.assert_frame_equal(read_events_auto(path), sg.read_ucdp(path))
    with pytest.raises(sg.InputFileError, match="CSV or XLSX"):
        read_events_auto(path, source="generic")


def test_read_generic_by_canonical_names(tmp_path: Path) -> None:
    path = tmp_path / "incidents.csv"
    path.write_text(
        "event_date,latitude,longitude,fatalities,country_iso3,where\n"
        "2021-05-01,14.2,1.45,3,NER,Tillaberi\n",
        encoding="utf-8",
    )
    events = read_events_auto(path, source="generic")
    expected = sg.read_events(
        path,
        columns={
            "event_date": "event_date",
            "latitude": "latitude",
            "longitude": "longitude",
            "fatalities": "fatalities",
            "country_iso3": "country_iso3",
        },
    )
    pd.testing.assert_frame_equal(events, expected)
    assert events["event_id"].tolist() == ["incidents-1"] and events["where"].tolist() == [
        "Tillaberi"
    ]
    # auto cannot tell such a table: the message names the fix
    with pytest.raises(sg.SchemaError, match=r"incidents\.csv.*generic"):
        read_events_auto(path)


def test_generic_needs_the_canonical_columns(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("date,lat,lon\n2021-05-01,14.2,1.45\n", encoding="utf-8")
    with pytest.raises(sg.SchemaError) as err:
        read_events_auto(path, source="generic")
    msg = str(err.value)
    assert "bad.csv" in msg and "['event_date', 'latitude', 'longitude']" in msg
    assert "columns= mapping" in msg


def test_missing_events_file(tmp_path: Path) -> None:
    with pytest.raises(sg.InputFileError, match=r"file not found: .*nope\.csv\. Check the path"):
        read_events_auto(tmp_path / "nope.csv")
    with pytest.raises(sg.InputFileError, match=r"file not found: .*nope\.json"):
        read_events_auto(tmp_path / "nope.json")
    with pytest.raises(sg.ConfigError, match="'auto', 'acled', 'ucdp', 'generic'"):
        read_events_auto(tmp_path / "x.csv", source="gdelt")  # type: ignore[arg-type]


# --- GeoParquet and FlatGeobuf (issue 13) ----------------------------------------------


def _joined() -> gpd.GeoDataFrame:
    events = sg.demo_events(n=120, seed=4)
    return sg.assign_admin(events, sg.load_boundaries(1))


@pytest.mark.filterwarnings("ignore:.*latitude/longitude swaps:sahel_geo.SahelGeoWarning")
def test_parquet_round_trip_keeps_rows_and_reports(tmp_path: Path) -> None:
    joined = _joined()
    out = write_layer(joined, tmp_path / "events.parquet")
    back = gpd.read_parquet(out)
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.drop(columns="geometry")),
        pd.DataFrame(joined.drop(columns="geometry")).reset_index(drop=True),
        check_dtype=False,
        check_categorical=False,
    )
    assert back.geometry.equals(joined.geometry.reset_index(drop=True))
    assert back.crs.to_epsg() == 4326
    assert [r.to_dict() for r in sg.reports(back)] == [r.to_dict() for r in sg.reports(joined)]
    assert sg.reports(back)[-1].summary() == sg.reports(joined)[-1].summary()
    assert len(sg.rejects(back)) == len(sg.rejects(joined)) == 5
    # a rerun writes the same bytes
    again = write_layer(joined, tmp_path / "rerun" / "events.parquet")
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.filterwarnings("ignore:.*latitude/longitude swaps:sahel_geo.SahelGeoWarning")
def test_flatgeobuf_opens_in_gdal_with_its_field_types(tmp_path: Path) -> None:
    layer = _joined()[["event_id", "fatalities", "adm1_pcode", "geometry"]]
    out = write_layer(layer, tmp_path / "events.fgb")
    info = pyogrio.read_info(out)
    assert info["features"] == len(layer) and info["geometry_type"] == "Point"
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["event_id"] == "object" and types["adm1_pcode"] == "object"
    # a rerun (same layer name: the file's stem) writes the same bytes
    assert write_layer(layer, tmp_path / "rerun" / "events.fgb").read_bytes() == out.read_bytes()
    with pytest.raises(sg.ConfigError, match="FlatGeobuf needs geometries"):
        write_layer(pd.DataFrame({"a": [1]}), tmp_path / "t.fgb")


def test_plain_table_as_parquet(tmp_path: Path) -> None:
    table = pd.DataFrame({"unit": ["ML-5", "ML-7"], "events": [3, 4]})
    back = pd.read_parquet(write_layer(table, tmp_path / "t.parquet"))
    pd.testing.assert_frame_equal(back, table)


def test_read_events_auto_takes_a_frame_and_refuses_non_paths(shared_data: Path) -> None:
    ged = pd.read_csv(shared_data / "events" / "ucdp_ged231_sample1000.csv", low_memory=False)
    from_frame = read_events_auto(ged)
    from_file = sg.read_ucdp(shared_data / "events" / "ucdp_ged231_sample1000.csv")
    assert from_frame["event_id"].tolist() == from_file["event_id"].tolist()
    assert sg.reports(from_frame)[-1].source == "<DataFrame>"
    for bad in (None, 3):
        with pytest.raises(sg.InputFileError, match=r"read_events_auto: expected the path"):
            read_events_auto(bad)  # type: ignore[arg-type]
