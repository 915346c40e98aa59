from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely import LineString, MultiPolygon, Point, Polygon, box

import sahel_geo as sg
from sahel_geo.io._topojson import decode_arcs, topology_to_gdf
from sahel_geo.io.boundaries import ne_admin1_pcodes, read_boundaries
from sahel_geo.io.datasets import bundled_boundaries_path

DATA = Path(__file__).resolve().parents[1] / "data"
CANON = ["admin_level", "pcode", "name", "parent_pcode", "country_iso3", "source"]


def canon(gdf: gpd.GeoDataFrame) -> list[list[Any]]:
    """Canonical columns as plain lists, missing values as None."""
    frame = gdf[CANON].astype(object)
    return frame.where(frame.notna(), None).values.tolist()


def report(gdf: gpd.GeoDataFrame) -> sg.StepReport:
    return sg.reports(gdf)[-1]


# --- TopoJSON: a hand-made topology with exact expected coordinates -------------------

# Quantized: x = q * 0.5 + 10, y = q * 0.25 + 20; arcs delta-encoded.
TOPOLOGY: dict[str, Any] = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.25], "translate": [10, 20]},
    "objects": {
        "units": {
            "type": "GeometryCollection",
            "geometries": [
                {
                    "type": "Polygon",
                    "arcs": [[0, 1]],
                    "id": "A",
                    "properties": {"shapeName": "Alpha", "shapeID": "X-A", "shapeType": "ADM1"},
                },
                {
                    "type": "Polygon",
                    "arcs": [[-1, 2]],
                    "properties": {"shapeName": "Beta", "shapeID": "X-B", "shapeType": "ADM1"},
                },
                {
                    "type": "MultiPolygon",
                    "arcs": [[[3]], [[4], [5]]],
                    "properties": {"shapeName": "Gamma", "shapeID": "X-C", "shapeType": "ADM1"},
                },
                {
                    "type": "Point",
                    "coordinates": [4, 8],
                    "properties": {"shapeName": "Delta", "shapeID": "X-D", "shapeType": "ADM1"},
                },
                {
                    "type": None,
                    "properties": {"shapeName": "Eps", "shapeID": "X-E", "shapeType": "ADM1"},
                },
                {
                    "type": "GeometryCollection",
                    "geometries": [{"type": "Polygon", "arcs": [[3]]}],
                    "properties": {"shapeName": "Zeta", "shapeID": "X-F", "shapeType": "ADM1"},
                },
                {
                    "type": "LineString",
                    "arcs": [0],
                    "properties": {"shapeName": "Eta", "shapeID": "X-G", "shapeType": "ADM1"},
                },
            ],
        },
        "second": {"type": "Point", "coordinates": [0, 0]},
    },
    "arcs": [
        [[2, 0], [0, 4]],  # (2,0) -> (2,4): the edge shared by Alpha and Beta
        [[2, 4], [-2, 0], [0, -4], [2, 0]],  # (2,4) -> (0,4) -> (0,0) -> (2,0)
        [[2, 0], [2, 0], [0, 4], [-2, 0]],  # (2,0) -> (4,0) -> (4,4) -> (2,4)
        [[10, 10], [2, 0], [0, 2], [-2, 0], [0, -2]],  # island ring
        [[20, 0], [8, 0], [0, 8], [-8, 0], [0, -8]],  # outer ring
        [[22, 2], [0, 2], [2, 0], [0, -2], [-2, 0]],  # hole
    ],
}

ALPHA = [(11, 20), (11, 21), (10, 21), (10, 20), (11, 20)]
BETA = [(11, 21), (11, 20), (12, 20), (12, 21), (11, 21)]
ISLAND = [(15, 22.5), (16, 22.5), (16, 23), (15, 23), (15, 22.5)]
OUTER = [(20, 20), (24, 20), (24, 22), (20, 22), (20, 20)]
HOLE = [(21, 20.5), (21, 21), (22, 21), (22, 20.5), (21, 20.5)]


def coords(geom: Any) -> list[tuple[float, float]]:
    return [tuple(map(float, c)) for c in shapely.get_coordinates(geom)]


def test_topojson_decoding_exact() -> None:
    gdf = topology_to_gdf(TOPOLOGY, object_name="units")
    assert gdf.crs.to_epsg() == 4326
    assert gdf["shapeName"].tolist() == ["Alpha", "Beta", "Gamma", "Delta", "Eps", "Zeta", "Eta"]
    assert gdf["id"].iloc[0] == "A" and pd.isna(gdf["id"].iloc[1])
    g = gdf.geometry.tolist()
    assert coords(g[0].exterior) == ALPHA
    assert coords(g[1].exterior) == BETA  # reversed arc ~0 then arc 2
    assert isinstance(g[2], MultiPolygon)
    island, holed = g[2].geoms
    assert coords(island.exterior) == ISLAND
    assert coords(holed.exterior) == OUTER
    assert [coords(r) for r in holed.interiors] == [HOLE]
    assert g[3] == Point(12, 22)  # quantized position, not delta-encoded
    assert g[4] is None
    assert g[5].geom_type == "GeometryCollection" and coords(g[5].geoms[0].exterior) == ISLAND
    assert coords(g[6]) == [(11, 20), (11, 21)]


def test_topojson_without_transform_and_object_choice() -> None:
    topo = {
        "type": "Topology",
        "objects": {"a": {"type": "Polygon", "arcs": [[0]], "properties": {"k": 1}}},
        "arcs": [[[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 0.5]]],
    }
    gdf = topology_to_gdf(topo)
    assert coords(gdf.geometry.iloc[0].exterior) == [(0.5, 0.5), (1.5, 0.5), (1.5, 1.5), (0.5, 0.5)]
    with pytest.raises(sg.SchemaError, match=r"2 TopoJSON objects \['units', 'second'\]"):
        topology_to_gdf(TOPOLOGY)
    with pytest.raises(sg.SchemaError, match="no TopoJSON object 'nope'"):
        topology_to_gdf(TOPOLOGY, object_name="nope")


def test_decode_arcs_delta() -> None:
    arcs = decode_arcs(TOPOLOGY)
    assert [a.tolist() for a in arcs[:2]] == [
        [[11.0, 20.0], [11.0, 21.0]],
        [[11.0, 21.0], [10.0, 21.0], [10.0, 20.0], [11.0, 20.0]],
    ]


def test_read_boundaries_topojson_geoboundaries(tmp_path: Path) -> None:
    path = tmp_path / "units.topojson"
    path.write_text(json.dumps(TOPOLOGY), encoding="utf-8")
    gdf = read_boundaries(path, layer="units")
    assert canon(gdf) == [
        [1, "X-A", "Alpha", None, None, "geoboundaries"],
        [1, "X-B", "Beta", None, None, "geoboundaries"],
        [1, "X-C", "Gamma", None, None, "geoboundaries"],
        [1, "X-F", "Zeta", None, None, "geoboundaries"],
    ]
    assert gdf.geometry.iloc[3].geom_type == "Polygon"  # polygon kept from the collection
    rep = report(gdf)
    assert (rep.n_in, rep.n_kept) == (7, 4)
    assert sg.rejects(gdf)[["row", "reason"]].values.tolist() == [
        [4, "not a polygon (Point)"],
        [5, "missing geometry"],  # issue 12: a null geometry, told apart from an empty one
        [7, "not a polygon (LineString)"],
    ]
    assert rep.notes == {"geometrycollection_to_polygons": 1}  # Zeta


def test_real_world_atlas_topojson() -> None:
    """world-atlas 2.0.2 countries-110m (Natural Earth 1:110m): decoded against the bundled
    10m admin-0 (decoded from the 10m file of the same package by the same code, and checked
    against Natural Earth's own 10m GeoJSON when the data were built)."""
    gdf = read_boundaries(DATA / "world-atlas-2.0.2-countries-110m.json", layer="countries")
    rep = report(gdf)
    assert (rep.n_in, rep.n_kept, rep.rejected_by_reason) == (177, 174, {"missing pcode": 3})
    assert (gdf["source"] == "world-atlas").all() and (gdf["admin_level"] == 0).all()
    coarse = gdf.set_index("pcode").geometry
    fine = sg.load_boundaries(0).set_index("pcode").geometry
    for iso3 in ("MLI", "NER", "BFA", "NGA", "DZA"):
        a, b = fine[iso3], coarse[iso3]
        assert shapely.symmetric_difference(a, b).area < 0.1 * a.area, iso3
        np.testing.assert_allclose(a.bounds, b.bounds, atol=1.5)
    assert coarse.index.is_unique


def to_topology(gdf: gpd.GeoDataFrame, quantization: int = 100_000) -> dict[str, Any]:
    """A minimal TopoJSON encoder (one arc per ring, every other arc stored reversed)."""
    minx, miny, maxx, maxy = gdf.total_bounds
    scale = [(maxx - minx) / (quantization - 1), (maxy - miny) / (quantization - 1)]
    arcs: list[list[list[int]]] = []
    members = []

    def ring_ref(ring: Any) -> int:
        q = np.round((np.asarray(ring.coords) - [minx, miny]) / scale).astype(int)
        flip = len(arcs) % 2 == 1
        stored = q[::-1] if flip else q
        deltas = np.vstack([stored[:1], np.diff(stored, axis=0)])
        arcs.append(deltas.tolist())
        return ~(len(arcs) - 1) if flip else len(arcs) - 1

    for geom, name in zip(gdf.geometry, gdf["name"], strict=True):
        polys = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
        rings = [[[ring_ref(p.exterior)], *[[ring_ref(r)] for r in p.interiors]] for p in polys]
        members.append({"type": "MultiPolygon", "arcs": rings, "properties": {"name": name}})
    return {
        "type": "Topology",
        "transform": {"scale": scale, "translate": [minx, miny]},
        "objects": {"units": {"type": "GeometryCollection", "geometries": members}},
        "arcs": arcs,
    }


def test_real_polygons_through_topojson(shared_data: Path) -> None:
    src = gpd.read_file(
        shared_data / "boundaries" / "geoboundaries_lowest_units_mli_ner_bfa.geojson"
    )
    topo = to_topology(src)
    back = topology_to_gdf(topo, object_name="units")
    assert len(back) == len(src) == 1308
    step = max(topo["transform"]["scale"])
    dist = shapely.hausdorff_distance(back.geometry.values, src.geometry.values)
    assert float(dist.max()) <= step  # only quantization moved the vertices
    np.testing.assert_array_equal(
        shapely.get_num_coordinates(back.geometry.values),
        shapely.get_num_coordinates(src.geometry.values),
    )


# --- source detection and mapping -------------------------------------------------------

SQ = [box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2)]


def test_cod_ab_upper_case_levels(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {
            "ADM0_FR": ["Mali"] * 3,
            "ADM0_PCODE": ["ML"] * 3,
            "ADM1_FR": ["Mopti", "Mopti", "Ségou"],
            "ADM1_PCODE": ["ML05", "ML05", "ML04"],
            "ADM2_FR": ["Bandiagara", "Douentza", "Niono"],
            "ADM2_PCODE": ["ML0501", "ML0502", "ML0403"],
        },
        geometry=SQ,
        crs=4326,
    )
    path = tmp_path / "mli_adm2.geojson"
    pyogrio.write_dataframe(gdf, path)
    out = read_boundaries(path)
    assert canon(out) == [
        [2, "ML0501", "Bandiagara", "ML05", "MLI", "cod-ab"],
        [2, "ML0502", "Douentza", "ML05", "MLI", "cod-ab"],
        [2, "ML0403", "Niono", "ML04", "MLI", "cod-ab"],
    ]
    assert list(out.columns[:6]) == CANON
    assert "ADM2_FR" in out.columns  # source columns kept beside the canonical ones
    lvl1 = read_boundaries(path, level=1)
    assert canon(lvl1) == [
        [1, "ML05", "Mopti", "ML", "MLI", "cod-ab"],
        [1, "ML04", "Ségou", "ML", "MLI", "cod-ab"],
    ]
    assert sg.rejects(lvl1)[["row", "reason"]].values.tolist() == [
        [2, "duplicate pcode ML05 (first at row 1)"]
    ]
    with pytest.raises(sg.SchemaError, match="level=3 asked"):
        read_boundaries(path, level=3)


def test_cod_ab_lower_case_geopackage(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {
            "adm0_pcode": ["BF", "BF"],
            "adm1_name": ["Sahel", "Est"],
            "adm1_pcode": ["BF56", "BF52"],
        },
        geometry=SQ[:2],
        crs=4326,
    )
    path = tmp_path / "bfa.gpkg"
    pyogrio.write_dataframe(gdf, path, layer="adm1")
    out = read_boundaries(path)
    assert canon(out) == [
        [1, "BF56", "Sahel", "BF", "BFA", "cod-ab"],
        [1, "BF52", "Est", "BF", "BFA", "cod-ab"],
    ]
    pyogrio.write_dataframe(gdf.assign(adm1_name=["x", "y"]), path, layer="other", append=False)
    with pytest.raises(sg.SchemaError, match=r"2 layers \['adm1', 'other'\].*layer="):
        read_boundaries(path)
    assert read_boundaries(path, layer="adm1")["name"].tolist() == ["Sahel", "Est"]


def test_geoboundaries_geojson(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {
            "shapeName": ["Gao", "Kidal"],
            "shapeISO": ["ML-7", ""],
            "shapeID": ["20349B1", "20349B2"],
            "shapeGroup": ["MLI", "MLI"],
            "shapeType": ["ADM1", "ADM1"],
        },
        geometry=SQ[:2],
        crs=4326,
    )
    path = tmp_path / "geoBoundaries-MLI-ADM1.geojson"
    pyogrio.write_dataframe(gdf, path)
    out = read_boundaries(path, source="geoboundaries")
    assert canon(out) == [
        [1, "20349B1", "Gao", None, "MLI", "geoboundaries"],
        [1, "20349B2", "Kidal", None, "MLI", "geoboundaries"],
    ]


def test_gadm_zipped_shapefile(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {
            "GID_0": ["NER", "NER"],
            "NAME_0": ["Niger", "Niger"],
            "GID_1": ["NER.7_1", "NER.7_1"],
            "NAME_1": ["Tillabéri", "Tillabéri"],
            "GID_2": ["NER.7.1_1", "NER.7.2_1"],
            "NAME_2": ["Abala", "Ayérou"],
        },
        geometry=SQ[:2],
        crs=4326,
    )
    shp = tmp_path / "gadm41_NER_2.shp"
    pyogrio.write_dataframe(gdf, shp, encoding="UTF-8")
    archive = tmp_path / "gadm41_NER_2.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in sorted(tmp_path.glob("gadm41_NER_2.*")):
            if part.suffix != ".zip":
                zf.write(part, part.name)
    out = read_boundaries(archive)
    assert canon(out) == [
        [2, "NER.7.1_1", "Abala", "NER.7_1", "NER", "gadm"],
        [2, "NER.7.2_1", "Ayérou", "NER.7_1", "NER", "gadm"],
    ]


def test_natural_earth_admin1_pcodes_match_bundled() -> None:
    # issue 17: ISO 3166-2, as in the bundled files (was NE's HASC: ML.KK, NE.NI, BFA-5989)
    ne = pd.DataFrame(
        {
            "adm1_code": [
                "MLI-2792",
                "MLI-4860",
                "NER-94",
                "BFA-5989",
                "ZZZ-1",
                "ZZZ-2",
                "ZZZ-3",
                "ZZZ-4",
            ],
            "iso_3166_2": ["ML-BKO", "ML-", "NE-8", "BF-", "ZZ-A", "ZZ-B ", "ZZ-B", "ZZ-"],
        }
    )
    assert ne_admin1_pcodes(ne["adm1_code"], ne["iso_3166_2"]).tolist() == [
        "ML-BKO",
        "ML-2",  # NE's own "ML-" is incomplete: the table's code
        "NE-8",
        "BF-NOU",
        "ZZ-A",  # not in the table: NE's complete iso_3166_2
        "ZZZ-2",  # a code shared by two units is no code: adm1_code
        "ZZZ-3",
        "ZZZ-4",  # incomplete: adm1_code
    ]


def test_natural_earth_admin1_fallback_is_noted() -> None:
    ne = gpd.GeoDataFrame(
        {
            "adm1_code": ["MLI-4860", "ZZZ-4"],
            "name": ["Koulikoro", "Nowhere"],
            "iso_3166_2": ["ML-", "ZZ-"],
            "code_hasc": ["ML.KK", "ZZ.NW"],
            "adm0_a3": ["MLI", "MLI"],
        },
        geometry=SQ[:2],
        crs=4326,
    )
    out = read_boundaries(ne)
    assert canon(out) == [
        [1, "ML-2", "Koulikoro", "MLI", "MLI", "naturalearth"],
        [1, "ZZZ-4", "Nowhere", "MLI", "MLI", "naturalearth"],
    ]
    assert report(out).notes == {"pcode is NE adm1_code (no complete ISO 3166-2 code)": 1}
    assert out["code_hasc"].tolist() == ["ML.KK", "ZZ.NW"]  # source columns kept


def test_natural_earth_and_custom_mapping(tmp_path: Path) -> None:
    ne0 = gpd.GeoDataFrame(
        {"ADM0_A3": ["MLI", "SDS"], "ISO_A3": ["MLI", "-99"], "NAME": ["Mali", "S. Sudan"]},
        geometry=SQ[:2],
        crs=4326,
    )
    assert canon(read_boundaries(ne0)) == [
        [0, "MLI", "Mali", None, "MLI", "naturalearth"],
        [0, "SDS", "S. Sudan", None, "SDS", "naturalearth"],
    ]
    custom = gpd.GeoDataFrame(
        {"code": ["A1", "A2"], "label": ["Un", "Deux"], "pays": ["Burkina Faso", "Niger"]},
        geometry=SQ[:2],
        crs=4326,
    )
    out = read_boundaries(
        custom, columns={"pcode": "code", "name": "label", "country_iso3": "pays"}, level=3
    )
    assert canon(out) == [
        [3, "A1", "Un", None, "BFA", "custom"],
        [3, "A2", "Deux", None, "NER", "custom"],
    ]
    with pytest.raises(sg.SchemaError, match="level= is needed"):
        read_boundaries(custom, columns={"pcode": "code", "name": "label"})
    with pytest.raises(sg.SchemaError, match=r"columns \['nope'\] are not in the file"):
        read_boundaries(custom, columns={"pcode": "nope", "name": "label"}, level=1)


def test_unknown_columns_say_what_each_source_needs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gdf = gpd.GeoDataFrame({"foo": [1], "bar": ["x"]}, geometry=SQ[:1], crs=4326)
    path = tmp_path / "mystery.geojson"
    pyogrio.write_dataframe(gdf, path)
    with pytest.raises(sg.SchemaError, match=r"columns \['foo', 'bar'\].*cod-ab: ADM\{n\}_PCODE"):
        read_boundaries(path)
    with caplog.at_level(logging.INFO, logger="sahel_geo"):
        read_boundaries(bundled_boundaries_path(2))
    assert "read as sahel_geo boundaries (detected from its columns)" in caplog.text
    with pytest.raises(sg.SchemaError, match="Unknown source"):
        read_boundaries(path, source="osm")


# --- geometry problems, CRS, bad files ------------------------------------------------


def test_repairs_and_rejects_with_reasons() -> None:
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    gdf = gpd.GeoDataFrame(
        {
            "pcode": ["A", "B", "C", "D", "A", None, "G"],
            "name": ["a", "b", "c", "d", "a2", "f", None],
            "admin_level": [1] * 7,
        },
        geometry=[SQ[0], bowtie, LineString([(0, 0), (1, 1)]), Polygon(), SQ[1], SQ[2], SQ[2]],
        crs=4326,
    )
    out = read_boundaries(gdf)
    assert out["pcode"].tolist() == ["A", "B", "G"]
    assert out.geometry.iloc[1].geom_type == "MultiPolygon"  # the bow-tie, made valid
    assert bool(out.is_valid.all())
    rep = report(out)
    assert (rep.n_in, rep.n_kept, rep.n_rejected) == (7, 3, 4)
    assert dict(rep.notes) == {"invalid geometries repaired (make_valid)": 1, "missing name": 1}
    rej = sg.rejects(out)
    assert rej[["row", "reason", "column"]].values.tolist() == [
        [3, "not a polygon (LineString)", "geometry"],
        [4, "empty geometry", "geometry"],
        [5, "duplicate pcode A (first at row 1)", "pcode"],
        [6, "missing pcode", "pcode"],
    ]
    assert rej["name"].tolist() == ["c", "d", "a2", "f"]  # the rows' own values
    assert gdf["pcode"].tolist()[0] == "A" and not gdf.geometry.iloc[1].is_valid  # untouched


def test_invalid_repair_without_area_is_rejected() -> None:
    spike = Polygon([(0, 0), (1, 1), (0, 0), (1, 1)])
    gdf = gpd.GeoDataFrame(
        {"pcode": ["S"], "name": ["s"], "admin_level": [1]}, geometry=[spike], crs=4326
    )
    # issue 12: no unit left is an error naming the reasons (was an empty frame)
    with pytest.raises(sg.EmptyResultError) as info:
        read_boundaries(gdf)
    assert str(info.value) == (
        "<GeoDataFrame>: no unit left: all 1 rows were rejected: no polygonal part (after "
        "repair) (row 1). Fix the rows named above."
    )


def test_missing_crs_raises_with_fix(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"shapeName": ["a"], "shapeID": ["1"]}, geometry=SQ[:1], crs=4326)
    shp = tmp_path / "nocrs.shp"
    pyogrio.write_dataframe(gdf, shp)
    shp.with_suffix(".prj").unlink()
    with pytest.raises(sg.MissingCRSError, match=r"nocrs.shp has no CRS.*crs=4326"):
        read_boundaries(shp, level=2)
    out = read_boundaries(shp, level=2, crs=4326)
    assert out["pcode"].tolist() == ["1"] and out.crs.to_epsg() == 4326
    assert report(out).notes == {"CRS EPSG:4326 assigned (crs=)": 1}
    fixed = gpd.read_file(shp).set_crs(4326)
    assert read_boundaries(fixed, level=2)["pcode"].tolist() == ["1"]


def test_crs_argument_conflicting_with_file_raises(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"shapeName": ["a"], "shapeID": ["1"]}, geometry=SQ[:1], crs=4326)
    with pytest.raises(sg.CRSMismatchError, match=r"EPSG:4326.*crs=32630"):
        read_boundaries(gdf, level=1, crs=32630)
    assert len(read_boundaries(gdf, level=1, crs="EPSG:4326")) == 1


def test_other_crs_reprojected_and_noted() -> None:
    gdf = gpd.GeoDataFrame(
        {"pcode": ["A"], "name": ["a"], "admin_level": [1]},
        geometry=[box(500_000, 1_500_000, 510_000, 1_510_000)],
        crs=32630,
    )
    out = read_boundaries(gdf)
    assert out.crs.to_epsg() == 4326
    expected = gdf.to_crs(4326).geometry.iloc[0]
    assert shapely.equals_exact(out.geometry.iloc[0], expected, 1e-9)
    assert report(out).notes == {"reprojected from EPSG:32630 to EPSG:4326": 1}


def test_bad_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    with pytest.raises(sg.InputFileError, match="empty"):
        read_boundaries(empty)
    no_features = tmp_path / "none.geojson"
    no_features.write_text('{"type":"FeatureCollection","features":[]}', encoding="utf-8")
    with pytest.raises(sg.InputFileError, match="holds no features"):
        read_boundaries(no_features)
    with pytest.raises(sg.InputFileError, match="does not exist"):
        read_boundaries(tmp_path / "missing.shp")
    garbage = tmp_path / "garbage.geojson"
    garbage.write_text("this is not json", encoding="utf-8")
    with pytest.raises(sg.InputFileError, match="cannot be opened"):
        read_boundaries(garbage)
    with pytest.raises(sg.SchemaError, match="DataFrame without geometry"):
        read_boundaries(pd.DataFrame({"a": [1]}))  # type: ignore[arg-type]


# --- encodings ------------------------------------------------------------------------

LATIN = gpd.GeoDataFrame(
    {"code": ["A", "B"], "nom": ["Ségou", "Tillabéri"]}, geometry=SQ[:2], crs=4326
)


def test_latin1_shapefile_without_cpg(tmp_path: Path) -> None:
    shp = tmp_path / "latin.shp"
    pyogrio.write_dataframe(LATIN, shp, encoding="latin1")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    assert "Ségou".encode("latin-1") in shp.with_suffix(".dbf").read_bytes()
    out = read_boundaries(shp, columns={"pcode": "code", "name": "nom"}, level=1)
    assert out["name"].tolist() == ["Ségou", "Tillabéri"]


def test_utf8_shapefile_without_cpg(tmp_path: Path) -> None:
    shp = tmp_path / "utf8.shp"
    pyogrio.write_dataframe(LATIN, shp, encoding="UTF-8")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    out = read_boundaries(shp, columns={"pcode": "code", "name": "nom"}, level=1)
    assert out["name"].tolist() == ["Ségou", "Tillabéri"]
    assert report(out).notes == {"attribute text re-read as UTF-8": 1}


def test_double_encoded_values_repaired() -> None:
    gdf = gpd.GeoDataFrame(
        {
            "code": ["A", "B", "C", "D"],
            "nom": ["SÃ©gou", "Tillabéri", None, "Ã\u00a0part"],
            "note": ["ok", "DiffÃ©rent", "x", "y"],
        },
        geometry=[*SQ, box(5, 5, 6, 6)],
        crs=4326,
    )
    out = read_boundaries(gdf, columns={"pcode": "code", "name": "nom"}, level=1)
    assert out["name"].tolist()[:2] == ["Ségou", "Tillabéri"] and pd.isna(out["name"].iloc[2])
    assert out["name"].iloc[3] == "àpart"
    assert out["note"].tolist() == ["ok", "Différent", "x", "y"]
    assert report(out).notes == {
        "text repaired in 'nom' (UTF-8 read as Latin-1 at the source)": 2,
        "text repaired in 'note' (UTF-8 read as Latin-1 at the source)": 1,
        "missing name": 1,
    }
    assert gdf["nom"].iloc[0] == "SÃ©gou"  # input untouched


def test_latin1_geojson(tmp_path: Path) -> None:
    path = tmp_path / "latin.geojson"
    path.write_bytes(sg.geojson_text(LATIN).encode("latin-1"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    out = read_boundaries(path, columns={"pcode": "code", "name": "nom"}, level=1)
    assert out["name"].tolist() == ["Ségou", "Tillabéri"]
    assert report(out).notes == {"attribute text decoded as Latin-1": 1}


def test_latin1_csv_with_wkt(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    text = "WKT,code,nom\n"
    text += "".join(
        f'"{g.wkt}",{c},{n}\n'
        for g, c, n in zip(SQ, "ABC", ["Ségou", "Kayes", "Tahoua"], strict=True)
    )
    path.write_bytes(text.encode("latin-1"))
    out = read_boundaries(path, columns={"pcode": "code", "name": "nom"}, level=1, crs=4326)
    assert out["name"].tolist() == ["Ségou", "Kayes", "Tahoua"]
    assert out.geometry.iloc[0].equals(SQ[0])
    assert report(out).notes == {
        "attribute text decoded as Latin-1": 1,
        "CRS EPSG:4326 assigned (crs=)": 3,
    }


def test_cod_ab_older_camel_case_names() -> None:
    gdf = gpd.GeoDataFrame(
        {
            "admin0Pcod": ["NE", "NE"],
            "admin1Name": ["Tillabéri", "Tahoua"],
            "admin1Pcod": ["NE006", "NE005"],
            "admin1Na_1": ["x", "y"],
        },
        geometry=SQ[:2],
        crs=4326,
    )
    assert canon(read_boundaries(gdf)) == [
        [1, "NE006", "Tillabéri", "NE", "NER", "cod-ab"],
        [1, "NE005", "Tahoua", "NE", "NER", "cod-ab"],
    ]


# --- real files -------------------------------------------------------------------------


@pytest.mark.parametrize("level", [0, 1, 2])
def test_bundled_files_round_trip(level: int) -> None:
    out = read_boundaries(bundled_boundaries_path(level))
    ref = sg.load_boundaries(level)
    assert canon(out) == [[*row[:5], "naturalearth"] for row in canon(ref)]
    assert bool(shapely.equals_exact(out.geometry.values, ref.geometry.values, 0).all())
    assert report(out).n_rejected == 0 and not report(out).notes


def test_real_geoboundaries_communes(shared_data: Path) -> None:
    path = shared_data / "boundaries" / "geoboundaries_lowest_units_mli_ner_bfa.geojson"
    assert pyogrio.read_info(path)["fields"].tolist() == ["name", "shape_id", "country", "region"]
    out = read_boundaries(
        path, columns={"pcode": "shape_id", "name": "name", "country_iso3": "country"}, level=3
    )
    assert out.groupby("country_iso3").size().to_dict() == {"BFA": 391, "MLI": 658, "NER": 259}
    rep = report(out)
    assert (rep.n_in, rep.n_kept, rep.n_rejected) == (1308, 1308, 0)
    # 8 names are double-encoded in the file itself ("FerkÃ©ssÃ©dougou"): repaired, noted
    assert rep.notes == {"text repaired in 'name' (UTF-8 read as Latin-1 at the source)": 8}
    assert "Ferkéssédougou" in set(out["name"])
    assert not out["name"].str.contains("Ã").any()
    assert bool(out.is_valid.all()) and set(out.geom_type) <= {"Polygon", "MultiPolygon"}
    assert "region" in out.columns


@pytest.mark.parametrize(("iso3", "n"), [("mli", 9), ("ner", 8), ("bfa", 45)])
def test_real_natural_earth_admin1(shared_data: Path, iso3: str, n: int) -> None:
    out = read_boundaries(shared_data / "boundaries" / f"ne10m_admin1_{iso3}.geojson")
    assert len(out) == n and report(out).n_rejected == 0
    assert (out["source"] == "naturalearth").all()
    assert (out["country_iso3"] == iso3.upper()).all()
    bundled = sg.load_boundaries(2 if iso3 == "bfa" else 1, countries=[iso3.upper()])
    assert set(out["pcode"]) == set(bundled["pcode"])
    # unit by unit: the raw file's adm1_code gets the bundled unit's pcode
    assert dict(zip(out["adm1_code"], out["pcode"], strict=True)) == dict(
        zip(bundled["ne_adm1_code"], bundled["pcode"], strict=True)
    )
    assert "pcode is NE adm1_code (no complete ISO 3166-2 code)" not in report(out).notes


def test_real_natural_earth_admin0(shared_data: Path) -> None:
    out = read_boundaries(shared_data / "boundaries" / "ne10m_admin0_mli_ner_bfa.geojson")
    assert canon(out) == [
        [0, "MLI", "Mali", None, "MLI", "naturalearth"],
        [0, "NER", "Niger", None, "NER", "naturalearth"],
        [0, "BFA", "Burkina Faso", None, "BFA", "naturalearth"],
    ]
    assert out.crs.to_epsg() == 4326  # OGC:CRS84 in the file, labelled EPSG:4326
