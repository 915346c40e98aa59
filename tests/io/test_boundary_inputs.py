"""Boundary inputs users get wrong (issue 12): each gives a clear error or a counted repair.

TopoJSON decoding errors, [lat, lon] coordinates, legacy GeoJSON ``crs`` members that
contradict the coordinates, geometry collections, empty and missing geometries, path
types, numeric pcodes... Every expected message and count is written out in full.
"""

from __future__ import annotations

import copy
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely import GeometryCollection, LineString, Point, Polygon, box

import sahel_geo as sg
from sahel_geo.io._topojson import topology_to_gdf
from sahel_geo.io.boundaries import read_boundaries

DATA = Path(__file__).resolve().parents[1] / "data"
FIX = "Re-export the topology (e.g. with mapshaper or topojson-server) or fix it by hand."

# --- TopoJSON: broken topologies name the object, the feature and the problem ---------

# Two unit squares sharing the edge x = 1 (quantized: x = q + 10, y = q + 20).
TOPO: dict[str, Any] = {
    "type": "Topology",
    "transform": {"scale": [1, 1], "translate": [10, 20]},
    "objects": {
        "units": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Polygon", "arcs": [[0, 1]], "id": "A", "properties": {"name": "a"}},
                {"type": "Polygon", "arcs": [[-1, 2]], "properties": {"name": "b"}},
            ],
        }
    },
    "arcs": [
        [[1, 0], [0, 1]],  # (11,20) -> (11,21)
        [[1, 1], [-1, 0], [0, -1], [1, 0]],  # (11,21) -> (10,21) -> (10,20) -> (11,20)
        [[1, 0], [1, 0], [0, 1], [-1, 0]],  # (11,20) -> (12,20) -> (12,21) -> (11,21)
    ],
}


def broken(edit: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    topo = copy.deepcopy(TOPO)
    edit(topo)
    return topo


def first_arcs(value: Any) -> Callable[[dict[str, Any]], object]:
    return lambda t: t["objects"]["units"]["geometries"][0].__setitem__("arcs", value)


FEATURE_1 = "<topology>: TopoJSON object 'units', feature 1 (id 'A'): "
TRANSFORM = (
    "<topology>: the TopoJSON transform must have both 'scale' and 'translate', each two "
    "numbers [x, y]; got {}. Without both, the quantized positions cannot be placed. " + FIX
)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            first_arcs([[0, 3]]),
            FEATURE_1 + "arc index 3 is beyond the 3 arcs of the topology (valid: 0 to 2, "
            "reversed -1 to -3). " + FIX,
        ),
        (
            first_arcs([[0, -4]]),
            FEATURE_1 + "arc index -4 (~3, arc 3 reversed) is beyond the 3 arcs of the "
            "topology (valid: 0 to 2, reversed -1 to -3). " + FIX,
        ),
        (first_arcs([[0, 1.0]]), FEATURE_1 + "arc index 1.0 is not an integer. " + FIX),
        (
            first_arcs([0, 1]),
            FEATURE_1 + "Polygon 'arcs' must be a list of lists of arc indices; got [0, 1]. " + FIX,
        ),
        (
            lambda t: t["objects"]["units"]["geometries"][1].pop("arcs"),
            "<topology>: TopoJSON object 'units', feature 2 (name 'b'): Polygon 'arcs' must "
            "be a list of lists of arc indices; got null. " + FIX,
        ),
        (
            lambda t: t["transform"].pop("translate"),
            TRANSFORM.format('{"scale": [1, 1]}'),
        ),
        (
            lambda t: t["transform"].__setitem__("scale", [1]),
            TRANSFORM.format('{"scale": [1], "translate": [10, 20]}'),
        ),
        (
            lambda t: t["transform"].__setitem__("scale", [1, 1, 1]),
            TRANSFORM.format('{"scale": [1, 1, 1], "translate": [10, 20]}'),
        ),
        (
            lambda t: t.pop("objects"),
            "<topology>: the TopoJSON topology has no 'objects' (a mapping of names to "
            "GeometryCollections), so it holds no features. " + FIX,
        ),
        (
            lambda t: t["objects"].__setitem__("units", [1, 2]),
            "<topology>: TopoJSON object 'units' is not a geometry object (a "
            "GeometryCollection of features, or one geometry); got [1, 2]. " + FIX,
        ),
        (
            lambda t: t["objects"]["units"].pop("geometries"),
            "<topology>: TopoJSON object 'units' is a GeometryCollection without a "
            "'geometries' list. " + FIX,
        ),
        (
            lambda t: t["objects"]["units"]["geometries"].append("oops"),
            "<topology>: TopoJSON object 'units', feature 3: not a geometry object: "
            '"oops". ' + FIX,
        ),
        (
            lambda t: t["objects"]["units"]["geometries"][0].__setitem__("type", "Circle"),
            FEATURE_1 + "unknown TopoJSON geometry type 'Circle'. " + FIX,
        ),
        (
            lambda t: t["arcs"].__setitem__(2, []),
            "<topology>: TopoJSON arc 2 has 0 position(s); an arc needs at least 2. " + FIX,
        ),
        (
            lambda t: t["arcs"][1].__setitem__(2, ["x", 1]),
            '<topology>: TopoJSON arc 1 has the position ["x", 1], not two finite numbers. ' + FIX,
        ),
        (
            lambda t: t.pop("arcs"),
            FEATURE_1 + "arc index 0 but the topology has no arcs. " + FIX,
        ),
        (
            lambda t: t["objects"]["units"]["geometries"][0].__setitem__("properties", [1]),
            FEATURE_1 + "'properties' must be an object; got [1]. " + FIX,
        ),
    ],
    ids=[
        "index-beyond",
        "reversed-beyond",
        "index-not-integer",
        "arcs-not-nested",
        "arcs-missing",
        "scale-without-translate",
        "scale-one-number",
        "scale-three-numbers",
        "no-objects",
        "object-not-geometry",
        "collection-without-geometries",
        "feature-not-object",
        "unknown-type",
        "empty-arc",
        "text-position",
        "no-arcs-array",
        "properties-not-object",
    ],
)
def test_broken_topojson_names_object_feature_and_problem(
    edit: Callable[[dict[str, Any]], object], message: str
) -> None:
    # before: IndexError / KeyError / TypeError / AttributeError, or a silently wrong polygon
    with pytest.raises(sg.InputFileError) as info:
        topology_to_gdf(broken(edit), object_name="units")
    assert str(info.value) == message


def test_topojson_zero_scale_and_broken_file_through_read_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "units.topojson"
    path.write_text(json.dumps(broken(lambda t: t["transform"].__setitem__("scale", [0, 1]))))
    with pytest.raises(sg.InputFileError) as info:
        read_boundaries(path)
    assert str(info.value) == (
        f"{path}: the TopoJSON transform scale [0, 1] has a zero: every position would "
        "collapse onto the translate point. " + FIX
    )
    path.write_text(json.dumps(broken(first_arcs([[0, 7]]))))
    with pytest.raises(sg.InputFileError, match=rf"^{path}: TopoJSON object 'units', feature 1"):
        read_boundaries(path)


def test_topojson_single_geometry_object_is_one_feature() -> None:
    # valid TopoJSON: an object may be one geometry rather than a GeometryCollection
    topo = broken(
        lambda t: t["objects"].__setitem__("units", t["objects"]["units"]["geometries"][0])
    )
    gdf = topology_to_gdf(topo)
    # arc 0 (11,20)->(11,21), then arc 1 without its first position: (10,21), (10,20), (11,20)
    assert shapely.get_coordinates(gdf.geometry.iloc[0]).tolist() == [
        [11, 20],
        [11, 21],
        [10, 21],
        [10, 20],
        [11, 20],
    ]
    assert gdf["name"].tolist() == ["a"]


def test_pyogrio_reads_world_atlas_identically_but_not_broken_topologies(tmp_path: Path) -> None:
    """Issue 13's measurement: why the in-house decoder stays (see _topojson's docstring)."""
    path = DATA / "world-atlas-2.0.2-countries-110m.json"
    ours = topology_to_gdf(json.loads(path.read_text(encoding="utf-8")), object_name="countries")
    gdal = pyogrio.read_dataframe(path, layer="countries")
    assert len(ours) == len(gdal) == 177
    assert bool(shapely.equals_exact(ours.geometry.values, gdal.geometry.values, 0).all())
    assert gdal.crs is None  # GDAL gives no CRS; the decoder gives EPSG:4326
    # An arc index beyond the arcs: GDAL answers with an empty polygon and no message.
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken(first_arcs([[0, 9]]))), encoding="utf-8")
    assert pyogrio.read_dataframe(bad, layer="units").geometry.iloc[0].is_empty
    # A transform without translate: GDAL places the squares at (0, 0) instead of (10, 20).
    bad.write_text(json.dumps(broken(lambda t: t["transform"].pop("translate"))))
    assert np.asarray(pyogrio.read_dataframe(bad, layer="units").total_bounds).tolist() == [
        0.0,
        0.0,
        2.0,
        1.0,
    ]


# --- [lat, lon] coordinates and CRS labels that contradict the coordinates --------------


# a shapefile's 10-character field names: GDAL warns "Normalized/laundered field name"
LAUNDERED = pytest.mark.filterwarnings("ignore:Normalized/laundered field name:RuntimeWarning")

SWAP_FIX = (
    "Swap them with shapely.ops.transform(lambda x, y: (y, x), g) or re-export with lon/lat order."
)
# Two units in Mali (lon -5..-3, lat 13..14), the MLI box is (-12.32, 10.09, 4.29, 25.05).
MALI = gpd.GeoDataFrame(
    {"pcode": ["ML01", "ML02"], "name": ["a", "b"], "admin_level": [1, 1]},
    geometry=[box(-5, 13, -4, 14), box(-4, 13, -3, 14)],
    crs=4326,
)


def swap_xy(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf.copy()
    out.geometry = shapely.transform(gdf.geometry.values, lambda c: c[:, ::-1])
    return out


def test_latlon_geojson_with_country_raises_with_the_fix(tmp_path: Path) -> None:
    # before: read as is, units placed at lon 13..14, lat -5..-3 (Gulf of Guinea), no note
    path = tmp_path / "swapped.geojson"
    pyogrio.write_dataframe(swap_xy(MALI.assign(country_iso3="MLI")), path)
    with pytest.raises(sg.CRSError) as info:
        read_boundaries(path)
    # centres (13.5, -4.5) and (13.5, -3.5): outside the MLI box; swapped (-4.5, 13.5) inside
    assert str(info.value) == (
        f"{path}: coordinates look like [lat, lon]: of 2 units checked, 2 lie outside their "
        "country's bounding box but inside it with x and y swapped (rows 1, 2). " + SWAP_FIX
    )


@pytest.mark.parametrize("suffix", [".gpkg", ".topojson"])
def test_latlon_without_country_column_uses_the_pcode_prefix(tmp_path: Path, suffix: str) -> None:
    # no country_iso3: the P-codes' ISO prefix "ML" names Mali
    path = tmp_path / f"swapped{suffix}"
    if suffix == ".gpkg":
        pyogrio.write_dataframe(swap_xy(MALI), path)
    else:
        path.write_text(json.dumps(to_topology(swap_xy(MALI))), encoding="utf-8")
    with pytest.raises(sg.CRSError, match=r"look like \[lat, lon\]: of 2 units checked, 2 lie"):
        read_boundaries(path)


def to_topology(gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    """One arc per polygon exterior, no quantization; canonical columns as properties."""
    arcs = [shapely.get_coordinates(g.exterior).tolist() for g in gdf.geometry]
    props = gdf.drop(columns="geometry").to_dict("records")
    geometries = [{"type": "Polygon", "arcs": [[i]], "properties": p} for i, p in enumerate(props)]
    return {
        "type": "Topology",
        "objects": {"units": {"type": "GeometryCollection", "geometries": geometries}},
        "arcs": arcs,
    }


def test_latlon_beyond_90_raises_and_one_odd_unit_is_rejected() -> None:
    far = gpd.GeoDataFrame(
        {"pcode": ["X1"], "name": ["x"], "admin_level": [1]},
        geometry=[box(30, 100, 31, 101)],  # latitude 100: only fits as [lat, lon]
        crs=4326,
    )
    with pytest.raises(sg.CRSError) as info:
        read_boundaries(far)
    assert str(info.value) == (
        "<GeoDataFrame>: coordinates look like [lat, lon]: of 1 units checked, 1 lie beyond "
        "latitude ±90 but in range with x and y swapped (row 1). " + SWAP_FIX
    )
    # 1 swapped unit of 3 checked: a rejected row, not an error
    three = pd.concat([MALI, swap_xy(MALI.iloc[:1]).assign(pcode="ML03")], ignore_index=True)
    out = read_boundaries(gpd.GeoDataFrame(three, crs=4326))
    assert out["pcode"].tolist() == ["ML01", "ML02"]
    assert sg.rejects(out)[["row", "reason", "column"]].values.tolist() == [
        [3, "coordinates look like [lat, lon]", "geometry"]
    ]


def test_legacy_crs_member_latitude_first_is_named(tmp_path: Path) -> None:
    fc = json.loads(sg.geojson_text(swap_xy(MALI)))
    fc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}}
    path = tmp_path / "urn.geojson"
    path.write_text(json.dumps(fc), encoding="utf-8")
    with pytest.raises(sg.CRSError) as info:
        read_boundaries(path)
    assert str(info.value) == (
        f"{path}: coordinates look like [lat, lon]: of 2 units checked, 2 lie outside their "
        "country's bounding box but inside it with x and y swapped (rows 1, 2). The file's "
        "legacy crs member 'urn:ogc:def:crs:EPSG::4326' declares latitude-first axis order, "
        "which these coordinates follow, but GeoJSON coordinates are [lon, lat] (RFC 7946). "
        + SWAP_FIX
    )
    # the same member over [lon, lat] coordinates: read as they are, nothing to say
    fc = json.loads(sg.geojson_text(MALI))
    fc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}}
    path.write_text(json.dumps(fc), encoding="utf-8")
    out = read_boundaries(path)
    assert out.total_bounds.tolist() == [-5.0, 13.0, -3.0, 14.0]
    assert sg.reports(out)[-1].notes == {}


@pytest.mark.parametrize(
    ("member", "named"),
    [
        ("urn:ogc:def:crs:EPSG::3857", "EPSG:3857 (WGS 84 / Pseudo-Mercator)"),
        ("EPSG:32630", "EPSG:32630 (WGS 84 / UTM zone 30N)"),
    ],
)
def test_projected_crs_member_over_degrees_raises_naming_both(
    tmp_path: Path, member: str, named: str
) -> None:
    # before: "reprojected" to within metres of (0, 0): every unit in the Gulf of Guinea
    fc = json.loads(sg.geojson_text(MALI))
    fc["crs"] = {"type": "name", "properties": {"name": member}}
    path = tmp_path / "labelled.geojson"
    path.write_text(json.dumps(fc), encoding="utf-8")
    with pytest.raises(sg.CRSMismatchError) as info:
        read_boundaries(path)
    assert str(info.value) == (
        f"{path}: its CRS is {named}, in metres (its GeoJSON crs member says {member!r}), "
        "but its coordinates (-5, 13, -3, 14) look like longitude/latitude degrees: "
        "reprojecting would put every unit within metres of (0, 0), in the Gulf of Guinea. "
        "The CRS label is wrong: remove the legacy 'crs' member (GeoJSON coordinates are "
        "longitude/latitude, RFC 7946) or fix the .prj, or read the file with geopandas, "
        "call .set_crs(4326, allow_override=True) and pass the GeoDataFrame."
    )


def test_unknown_crs_member_noted_and_metres_labelled_degrees_raise(tmp_path: Path) -> None:
    fc = json.loads(sg.geojson_text(MALI))
    fc["crs"] = {"type": "name", "properties": {"name": "EPSG:999999"}}
    path = tmp_path / "unknown.geojson"
    path.write_text(json.dumps(fc), encoding="utf-8")
    out = read_boundaries(path)  # GDAL ignores a member it cannot read: EPSG:4326
    assert sg.reports(out)[-1].notes == {
        "legacy GeoJSON crs member 'EPSG:999999' not recognised: coordinates read as "
        "longitude/latitude (EPSG:4326)": 1
    }
    metres = MALI.to_crs(32630).set_crs(4326, allow_override=True)
    with pytest.raises(sg.CRSError) as info:
        read_boundaries(metres)
    message = str(info.value)
    assert message.startswith(
        "<GeoDataFrame>: its CRS is EPSG:4326 (WGS 84), longitude/latitude, but 2 of 2 units "
        "have coordinates beyond ±180/±90 ("
    )
    assert message.endswith(
        "): they are not degrees (a projected file labelled as geographic?). Set the true "
        "CRS: fix the .prj or crs member, or read the file with geopandas, call "
        ".set_crs(<EPSG code>, allow_override=True) and pass the GeoDataFrame."
    )


def test_bad_crs_argument() -> None:
    with pytest.raises(sg.CRSError, match=r"^crs='foo' is not a CRS pyproj knows \("):
        read_boundaries(MALI.set_crs(None, allow_override=True), crs="foo")


# --- geometries: collections, empty, missing, non-finite, lines ----------------------


def test_geometry_collections_empty_and_missing_geometries() -> None:
    with np.errstate(invalid="ignore"):  # shapely warns on building a NaN coordinate
        not_finite = shapely.from_wkt("POLYGON ((0 0, NaN 1, 1 1, 0 0))")
    gdf = gpd.GeoDataFrame(
        {"pcode": list("ABCDEF"), "name": list("abcdef"), "admin_level": [1] * 6},
        geometry=[
            GeometryCollection([box(0, 0, 1, 1), LineString([(0, 0), (1, 1)])]),
            GeometryCollection([Point(0, 0)]),
            GeometryCollection(),
            None,
            Polygon(),
            not_finite,
        ],
        crs=4326,
    )
    out = read_boundaries(gdf)
    # row 1 keeps its square (the line dropped); rows 2-6 rejected: in = 1 kept + 5 rejected
    assert out["pcode"].tolist() == ["A"] and out.geometry.iloc[0].equals(box(0, 0, 1, 1))
    rep = sg.reports(out)[-1]
    assert (rep.n_in, rep.n_kept, rep.n_rejected) == (6, 1, 5)
    assert rep.notes == {"geometrycollection_to_polygons": 1}
    assert sg.rejects(out)[["row", "reason"]].values.tolist() == [
        [2, "geometry collection without polygon parts"],
        [3, "empty geometry"],
        [4, "missing geometry"],
        [5, "empty geometry"],
        [6, "coordinates not finite (NaN or infinity)"],
    ]


def test_no_unit_left_raises_with_reasons_and_fix() -> None:
    lines = gpd.GeoDataFrame(
        {"pcode": ["A", "B"], "name": ["a", "b"], "admin_level": [1, 1]},
        geometry=[box(0, 0, 1, 1).exterior, LineString([(1, 0), (2, 1)])],
        crs=4326,
    )
    with pytest.raises(sg.EmptyResultError) as info:
        read_boundaries(lines)
    assert str(info.value) == (
        "<GeoDataFrame>: no unit left: all 2 rows were rejected: not a polygon (LinearRing) "
        "(row 1); not a polygon (LineString) (row 2). The file holds lines (boundary "
        "lines?), not areas: read the boundaries' polygon layer, or build polygons with "
        "shapely.polygonize."
    )


def test_unclosed_ring_closed_while_reading(tmp_path: Path) -> None:
    # before: shapely.errors.GEOSException "Points of LinearRing do not form a closed linestring"
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"pcode": "A", "name": "a", "admin_level": 1},
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
            }
        ],
    }
    path = tmp_path / "open.geojson"
    path.write_text(json.dumps(fc), encoding="utf-8")
    out = read_boundaries(path)
    assert out.geometry.iloc[0].equals(box(0, 0, 1, 1))
    assert sg.reports(out)[-1].notes == {"unclosed rings closed while reading": 1}


# --- what is passed as path ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "got NoneType (None: was a path variable left unset?)."),
        (5, "got int."),
        (["a.geojson"], "got list."),
        (
            MALI.geometry,
            "got GeoSeries (a GeoSeries has no codes or names: build a GeoDataFrame, e.g. "
            "geopandas.GeoDataFrame({'pcode': ..., 'name': ...}, geometry=series)).",
        ),
    ],
    ids=["none", "number", "list", "geoseries"],
)
def test_path_of_the_wrong_type(value: Any, message: str) -> None:
    # before: TypeError "expected str, bytes or os.PathLike object"
    with pytest.raises(sg.InputFileError) as info:
        read_boundaries(value)
    assert str(info.value) == (
        "read_boundaries reads a file path (str or pathlib.Path) or a GeoDataFrame; " + message
    )


@LAUNDERED
def test_folders_tables_and_shapefile_parts(tmp_path: Path) -> None:
    shp = tmp_path / "units.shp"
    pyogrio.write_dataframe(MALI, shp)
    with pytest.raises(sg.InputFileError) as info:
        read_boundaries(tmp_path)
    assert str(info.value) == (
        f"{tmp_path} is a folder, not a file: pass one of the boundary files in it "
        "(found: ['units.shp'])."
    )
    csv = tmp_path / "table.csv"
    csv.write_text("pcode,name,admin_level\nA,a,1\n", encoding="utf-8")
    with pytest.raises(sg.InputFileError) as info:  # before: AttributeError (no .crs)
        read_boundaries(csv)
    assert str(info.value) == (
        f"{csv} has no geometry: it reads as a table of 3 columns ['pcode', 'name', "
        "'admin_level']. read_boundaries needs polygons: pass a vector file with polygons, "
        "or a CSV with them as WKT in a column named WKT (and crs=)."
    )
    shp.with_suffix(".dbf").unlink()
    with pytest.raises(sg.InputFileError) as info:  # before: "cannot tell ... columns []"
        read_boundaries(shp)
    assert str(info.value) == (
        f"{shp} has no units.dbf beside it, so its units have no codes or names. Copy every "
        "part of the shapefile (.shp, .shx, .dbf, .prj, .cpg) into one folder, or pass the "
        ".zip they came in."
    )


@LAUNDERED
def test_zipped_shapefiles(tmp_path: Path) -> None:
    shp_dir = tmp_path / "parts"
    shp_dir.mkdir()
    pyogrio.write_dataframe(MALI.assign(country_iso3="MLI"), shp_dir / "units.shp")
    parts = sorted(shp_dir.iterdir())
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(nested, "w") as zf:
        for part in parts:
            zf.write(part, f"adm1/{part.name}")
    out = read_boundaries(nested)  # before: GDAL "not recognized as ... supported format"
    assert out["pcode"].tolist() == ["ML01", "ML02"]
    # a canonical frame saved as a shapefile: admin_leve and country_is renamed back
    assert sg.reports(out)[-1].notes == {
        "read adm1/units.shp from a subfolder of the archive": 1,
        "canonical column names restored from 10-character shapefile names": 2,
    }
    assert out["country_iso3"].tolist() == ["MLI", "MLI"]
    assert read_boundaries(f"zip://{nested}!adm1/units.shp")["pcode"].tolist() == [
        "ML01",
        "ML02",
    ]
    with pytest.raises(sg.InputFileError) as info:
        read_boundaries(f"zip://{tmp_path / 'missing.zip'}")
    assert str(info.value) == f"Boundary archive {tmp_path / 'missing.zip'} does not exist."
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(sg.InputFileError) as info:
        read_boundaries(empty)
    assert str(info.value) == (
        f"{empty} holds no vector file (found: ['readme.txt']): zip the shapefile's parts "
        "(.shp, .shx, .dbf, .prj), a GeoPackage or a GeoJSON."
    )


# --- codes and levels ------------------------------------------------------------------


def test_numeric_pcodes_read_as_whole_number_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # before: a float column gave pcodes "101.0" and "1001.0", silently
    gdf = gpd.GeoDataFrame(
        {"code": [101.0, 1001.0, np.nan], "nom": ["a", "b", "c"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs=4326,
    )
    with caplog.at_level("WARNING", logger="sahel_geo"):
        out = read_boundaries(gdf, columns={"name": "nom", "pcode": "code"}, level=2)
    assert out["pcode"].tolist() == ["101", "1001"]
    assert sg.reports(out)[-1].notes == {"pcode column 'code' holds numbers, read as text": 2}
    assert sg.rejects(out)[["row", "reason", "column"]].values.tolist() == [
        [3, "missing pcode", "code"]  # the pcode column, whatever the order of columns=
    ]
    assert "holds numbers of 3 to 4 digits: leading zeros may have been lost" in caplog.text


@pytest.mark.parametrize(("levels", "held"), [(["one", 1], "['one']"), ([1.5, 1], "[1.5]")])
def test_admin_level_must_be_a_whole_number(levels: list[Any], held: str) -> None:
    # before: 1.5 silently became level 1 (and -1 was kept)
    with pytest.raises(sg.SchemaError) as info:
        read_boundaries(MALI.assign(admin_level=levels))
    assert str(info.value) == (
        f"admin_level must be a whole number >= 0 (0 country, 1 region, 2, 3); rows [1] "
        f"hold {held}. Fix those rows, or pass level= to give every row one level."
    )


def test_columns_must_be_a_mapping() -> None:
    with pytest.raises(sg.SchemaError) as info:  # before: AttributeError
        read_boundaries(MALI, columns=["pcode"], level=1)  # type: ignore[arg-type]
    assert str(info.value) == (
        "columns= must be a mapping of canonical names to the file's columns, e.g. "
        'columns={"pcode": "code", "name": "nom"}; got list [\'pcode\'].'
    )
