from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import GeometryCollection, LineString, MultiPolygon, Point, Polygon

import sahel_geo as sg
from sahel_geo.io.geojson import geojson_text, write_geojson

# Clockwise exterior with a counter-clockwise hole: both wrong for RFC 7946.
CW_SQUARE = Polygon(
    [(0, 0), (0, 1), (1, 1), (1, 0)],
    [[(0.2, 0.2), (0.4, 0.2), (0.4, 0.4)]],
)


def two_features() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": ["Tombouctou", "Ségou"],
            "n": np.array([1, 2], dtype=np.int32),
            "rate": [1.5, np.nan],
        },
        geometry=[CW_SQUARE, Point(-6.2654321, 13.4312345)],
        crs=4326,
    )


EXPECTED = (
    '{"type":"FeatureCollection","features":[\n'
    '{"type":"Feature","properties":{"name":"Tombouctou","n":1,"rate":1.5},'
    '"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]],'
    "[[0.2,0.2],[0.4,0.4],[0.4,0.2],[0.2,0.2]]]}},\n"
    '{"type":"Feature","properties":{"name":"Ségou","n":2,"rate":null},'
    '"geometry":{"type":"Point","coordinates":[-6.265432,13.431234]}}\n'
    "]}\n"
)


def test_exact_text_two_features() -> None:
    assert geojson_text(two_features()) == EXPECTED


def test_write_returns_path_utf8_and_no_crs_member(tmp_path: Path) -> None:
    out = write_geojson(two_features(), tmp_path / "sub" / "x.geojson")
    assert out == tmp_path / "sub" / "x.geojson"
    raw = out.read_bytes()
    assert raw == EXPECTED.encode("utf-8")
    assert "Ségou".encode() in raw  # non-ASCII kept, not \u escaped
    doc = json.loads(raw)
    assert "crs" not in doc
    assert all("id" not in f for f in doc["features"])


def test_precision_argument_and_option() -> None:
    gdf = gpd.GeoDataFrame(geometry=[Point(1.23456789, -0.00000001)], crs=4326)
    assert '"coordinates":[1.23,0]' in geojson_text(gdf, precision=2)
    assert '"coordinates":[1,0]' in geojson_text(gdf, precision=0)
    with sg.set_options(geojson_precision=3):
        assert '"coordinates":[1.235,0]' in geojson_text(gdf)
    assert '"coordinates":[1.234568,0]' in geojson_text(gdf)
    with pytest.raises(sg.SchemaError, match="precision"):
        geojson_text(gdf, precision=16)


def test_small_numbers_never_in_exponent_notation() -> None:
    gdf = gpd.GeoDataFrame(geometry=[Point(0.000001, -0.000002)], crs=4326)
    assert '"coordinates":[0.000001,-0.000002]' in geojson_text(gdf)


def test_orientation_right_hand_rule() -> None:
    multi = MultiPolygon([CW_SQUARE, Polygon([(5, 5), (5, 6), (6, 6)])])
    gdf = gpd.GeoDataFrame(geometry=[CW_SQUARE, multi], crs=4326)
    doc = json.loads(geojson_text(gdf))
    for feat in doc["features"]:
        geom = shapely.geometry.shape(feat["geometry"])
        polys = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
        for poly in polys:
            assert poly.exterior.is_ccw
            assert all(not ring.is_ccw for ring in poly.interiors)
    # the input is not mutated
    assert not gdf.geometry.iloc[0].exterior.is_ccw


def test_missing_values_become_null_never_nan() -> None:
    gdf = gpd.GeoDataFrame(
        {
            "f": [np.nan, np.inf, 1.0],
            "i": pd.array([1, None, 3], dtype="Int64"),
            "s": ["a", None, pd.NA],
            "o": pd.Series([np.float32(np.nan), pd.NaT, np.int64(7)], dtype=object),
            "b": pd.array([True, None, False], dtype="boolean"),
        },
        geometry=[Point(0, 0)] * 3,
        crs=4326,
    )
    text = geojson_text(gdf)
    assert "NaN" not in text and "Infinity" not in text
    props = [f["properties"] for f in json.loads(text)["features"]]
    assert props == [
        {"f": None, "i": 1, "s": "a", "o": None, "b": True},
        {"f": None, "i": None, "s": None, "o": None, "b": None},
        {"f": 1.0, "i": 3, "s": None, "o": 7, "b": False},
    ]


def test_numpy_scalars_become_json_numbers() -> None:
    gdf = gpd.GeoDataFrame(
        {
            "u8": np.array([255], dtype=np.uint8),
            "f32": np.array([0.5], dtype=np.float32),
            "flag": np.array([True]),
            "obj": pd.Series([np.int16(3)], dtype=object),
        },
        geometry=[Point(0, 0)],
        crs=4326,
    )
    assert '"properties":{"u8":255,"f32":0.5,"flag":true,"obj":3}' in geojson_text(gdf)


def test_dates_iso8601() -> None:
    gdf = gpd.GeoDataFrame(
        {
            "day": pd.to_datetime(["2020-01-01", None]),
            "time": pd.to_datetime(["2020-01-01 10:30:05", "2020-01-02 00:00:00"]),
            "aware": pd.to_datetime(["2020-01-01 10:00", "2020-06-01 00:00"]).tz_localize(
                "Africa/Lagos"
            ),
            "pydate": pd.Series([pd.Timestamp("2019-12-31").date(), None], dtype=object),
        },
        geometry=[Point(0, 0)] * 2,
        crs=4326,
    )
    props = [f["properties"] for f in json.loads(geojson_text(gdf))["features"]]
    assert props == [
        {
            "day": "2020-01-01",
            "time": "2020-01-01T10:30:05",
            "aware": "2020-01-01T10:00:00+01:00",
            "pydate": "2019-12-31",
        },
        {
            "day": None,
            "time": "2020-01-02T00:00:00",
            "aware": "2020-06-01T00:00:00+01:00",
            "pydate": None,
        },
    ]


def test_empty_and_missing_geometry_are_null() -> None:
    gdf = gpd.GeoDataFrame({"a": [1, 2]}, geometry=[Polygon(), None], crs=4326)
    doc = json.loads(geojson_text(gdf))
    assert [f["geometry"] for f in doc["features"]] == [None, None]


def test_empty_frame() -> None:
    gdf = gpd.GeoDataFrame({"a": []}, geometry=[], crs=4326)
    assert geojson_text(gdf) == '{"type":"FeatureCollection","features":[\n]}\n'


def test_other_geometry_types() -> None:
    gdf = gpd.GeoDataFrame(
        geometry=[
            LineString([(0, 0), (1, 1)]),
            GeometryCollection([Point(1, 2), LineString([(0, 0), (1, 1)])]),
            shapely.MultiPoint([(0, 0), (1, 1)]),
        ],
        crs=4326,
    )
    geoms = [f["geometry"] for f in json.loads(geojson_text(gdf))["features"]]
    assert geoms == [
        {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Point", "coordinates": [1, 2]},
                {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
            ],
        },
        {"type": "MultiPoint", "coordinates": [[0, 0], [1, 1]]},
    ]


def test_rerun_byte_identical(tmp_path: Path) -> None:
    a = write_geojson(two_features(), tmp_path / "a.geojson").read_bytes()
    b = write_geojson(two_features(), tmp_path / "a.geojson").read_bytes()
    assert a == b


def test_order_follows_frame() -> None:
    gdf = two_features()[["rate", "name", "n", "geometry"]].iloc[::-1]
    lines = geojson_text(gdf).splitlines()
    assert lines[1].startswith('{"type":"Feature","properties":{"rate":null,"name":"Ségou"')
    assert '"name":"Tombouctou"' in lines[2]


def test_atomic_failed_write_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "layer.geojson"
    target.write_text("old", encoding="utf-8")
    bad = two_features().set_geometry([Point(np.nan, 0), Point(0, 0)])
    with pytest.raises(sg.SchemaError, match="NaN or infinite"):
        write_geojson(bad, target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["layer.geojson"]


def test_atomic_failure_during_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "layer.geojson"
    target.write_text("old", encoding="utf-8")

    def boom(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        write_geojson(two_features(), target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["layer.geojson"]


def test_wrong_crs_raises_naming_crs_and_fix() -> None:
    gdf = two_features().to_crs(3857)
    with pytest.raises(sg.CRSMismatchError, match=r"EPSG:3857.*to_crs\(4326\)"):
        geojson_text(gdf)


def test_crs84_accepted() -> None:
    gdf = two_features().set_crs("OGC:CRS84", allow_override=True)
    assert geojson_text(gdf) == EXPECTED


def test_no_crs_raises() -> None:
    gdf = two_features().set_crs(None, allow_override=True)
    with pytest.raises(sg.MissingCRSError, match=r"set_crs\(4326\)"):
        geojson_text(gdf)


def test_not_a_geodataframe() -> None:
    with pytest.raises(sg.SchemaError, match="GeoDataFrame"):
        geojson_text(pd.DataFrame({"a": [1]}))  # type: ignore[arg-type]


def test_extra_geometry_column_raises() -> None:
    gdf = two_features()
    gdf["centroid"] = gpd.GeoSeries([Point(0, 0), Point(1, 1)], crs=4326)
    with pytest.raises(sg.SchemaError, match="centroid"):
        geojson_text(gdf)


def test_reads_back_with_geopandas(tmp_path: Path) -> None:
    rng = np.random.default_rng(42)
    xy = rng.uniform([-12, 9], [16, 25], size=(50, 2))
    src = gpd.GeoDataFrame(
        {"k": np.arange(50), "v": rng.normal(size=50)},
        geometry=shapely.buffer(shapely.points(xy), 0.3, quad_segs=4),
        crs=4326,
    )
    path = write_geojson(src, tmp_path / "r.geojson", precision=5)
    back = gpd.read_file(path)
    assert back.crs.to_epsg() == 4326
    assert back["k"].tolist() == src["k"].tolist()
    np.testing.assert_allclose(back["v"], src["v"])
    # orient_polygons may start rings elsewhere: compare shapes, within the precision
    dist = shapely.hausdorff_distance(back.geometry.values, src.geometry.values)
    assert float(dist.max()) <= 0.5e-5 * 2**0.5 + 1e-12


def test_mixed_object_column_keeps_each_type() -> None:
    gdf = gpd.GeoDataFrame(
        {"o": pd.Series([True, 1, 1.0, "1", None, [1, "a"]], dtype=object)},
        geometry=[Point(0, 0)] * 6,
        crs=4326,
    )
    props = [f["properties"]["o"] for f in json.loads(geojson_text(gdf))["features"]]
    assert props == [True, 1, 1.0, "1", None, [1, "a"]]
    assert [type(v) for v in props[:4]] == [bool, int, float, str]


def test_text_with_quotes_and_control_characters() -> None:
    gdf = gpd.GeoDataFrame(
        {"notes": ['Il a dit "non"\n<script>', "tab\there", "Ménaka"]},
        geometry=[Point(0, 0)] * 3,
        crs=4326,
    )
    text = geojson_text(gdf)
    assert len(text.splitlines()) == 5  # still one feature per line
    props = [f["properties"]["notes"] for f in json.loads(text)["features"]]
    assert props == ['Il a dit "non"\n<script>', "tab\there", "Ménaka"]


@pytest.mark.parametrize("precision", [12, 13, 15])
def test_high_precision_has_no_binary_noise(precision: int) -> None:
    gdf = gpd.GeoDataFrame(geometry=[Point(179.123, -0.1), Point(2.5e-7, 10)], crs=4326)
    lines = geojson_text(gdf, precision=precision).splitlines()[1:3]
    coords = [line.split('"coordinates":')[1].split("}")[0] for line in lines]
    assert coords == ["[179.123,-0.1]", "[0.00000025,10]"]


def test_chunked_arrow_strings_are_written(tmp_path: Path) -> None:
    """Arrow-backed text in several chunks (a multi-threaded CSV read) writes as one."""
    import pyarrow as pa

    chunked = pa.chunked_array([["Gao", "Mopti"], ['Ménaka "Est"']], type=pa.large_string())
    gdf = gpd.GeoDataFrame(
        {"name": pd.array(chunked, dtype="str")},
        geometry=gpd.points_from_xy([0.0, 1.0, 2.0], [15.0, 14.0, 16.0]),
        crs="EPSG:4326",
    )
    assert gdf["name"].array._pa_array.num_chunks == 2
    plain = gdf.assign(name=gdf["name"].astype(object))
    assert geojson_text(gdf) == geojson_text(plain)
    assert '"Ménaka \\"Est\\""' in geojson_text(gdf)


def test_features_report_each_chunk_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The progress bar of write_geojson is told each chunk's features, summing to all."""
    from sahel_geo.io import geojson as gj

    monkeypatch.setattr(gj, "_CHUNK", 3)
    gdf = gpd.GeoDataFrame(
        {"n": range(8)}, geometry=gpd.points_from_xy(range(8), range(8)), crs="EPSG:4326"
    )
    seen: list[int] = []
    text = b"".join(gj._features(gdf, 6, done=seen.append)).decode()
    assert seen == [3, 3, 2]
    assert text == geojson_text(gdf)
