"""Boundary inputs users get wrong (issue 12): each gives a clear error or a counted repair.

TopoJSON decoding errors, [lat, lon] coordinates, legacy GeoJSON ``crs`` members that
contradict the coordinates, geometry collections, empty and missing geometries, path
types, numeric pcodes... Every expected message and count is written out in full.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pytest
import shapely

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
