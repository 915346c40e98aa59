"""Zones and rasters zonal_stats refuses, or reads as an analyst means them (issue 12)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely import GeometryCollection, LineString, MultiPolygon, Point, box

import sahel_geo as sg
from sahel_geo.core.raster import Raster

T = Affine(1.0, 0, 0, 0, -1.0, 2)
R = Raster.from_array(np.array([[1.0, 2.0], [3.0, 4.0]]), transform=T, crs=4326, name="r")


def _zones(*geoms: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"pcode": [f"Z{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=4326
    )


def test_geometry_collection_uses_every_polygon_part() -> None:
    # cells: (0,0)-(1,1) holds 3, (1,1)-(2,2) holds 2; the point adds nothing
    parts = MultiPolygon([box(0, 0, 1, 1), box(1, 1, 2, 2)])
    gc = GeometryCollection([parts, Point(0.5, 0.5), LineString([(0, 0), (2, 2)])])
    nested = GeometryCollection([GeometryCollection([box(0, 0, 1, 1)]), box(1, 1, 2, 2)])
    out = sg.zonal_stats(_zones(parts, gc, nested), R, stats=["count", "sum"])
    assert out["count"].tolist() == [2.0, 2.0, 2.0]
    assert out["sum"].tolist() == [5.0, 5.0, 5.0]


def test_points_and_lines_are_refused_with_the_fix() -> None:
    zones = _zones(box(0, 0, 1, 1), Point(0.5, 0.5), LineString([(0, 0), (1, 1)]))
    with pytest.raises(
        sg.SchemaError,
        match=r"Zones \['Z1', 'Z2'\] \(2 in all\) are LineString/Point geometries, not areas: "
        r"zonal statistics need polygons\. Buffer them first",
    ):
        sg.zonal_stats(zones, R)
    only_points = GeometryCollection([Point(0, 0), Point(1, 1)])
    with pytest.raises(sg.SchemaError, match=r"Zones \['Z0'\] \(1 in all\) are MultiLineString"):
        sg.zonal_stats(_zones(only_points), R)


def test_empty_zones_frame() -> None:
    with pytest.raises(sg.EmptyResultError, match=r"zones frame is empty \(0 rows\)"):
        sg.zonal_stats(_zones().iloc[:0], R)
    with pytest.raises(sg.SchemaError, match="zones must be a GeoDataFrame of polygons"):
        sg.zonal_stats(pd.DataFrame({"pcode": ["A"]}), R)  # type: ignore[arg-type]


def test_zero_size_and_south_up_rasters_name_the_cause() -> None:
    empty = Raster.from_array(np.zeros((0, 2)), transform=T, crs=4326, name="empty")
    with pytest.raises(sg.SchemaError, match=r"Raster 'empty' has no cells \(values of shape"):
        sg.zonal_stats(_zones(box(0, 0, 1, 1)), empty)
    south_up = Raster(
        values=np.ones((2, 2)), transform=Affine(1.0, 0, 0, 0, 1.0, 0), crs=R.crs, name="su"
    )
    with pytest.raises(sg.SchemaError, match=r"Raster 'su' is not north-up.*from_array"):
        sg.zonal_stats(_zones(box(0, 0, 1, 1)), south_up)
    # the same array through from_array is flipped and works
    flipped = Raster.from_array(
        np.array([[3.0, 4.0], [1.0, 2.0]]), transform=Affine(1.0, 0, 0, 0, 1.0, 0), crs=4326
    )
    assert sg.zonal_stats(_zones(box(0, 0, 2, 2)), flipped, stats=["sum"])["sum"].iloc[0] == 10


def test_weights_nodata_of_0_1_still_works_with_a_dated_warning() -> None:
    w = Raster.from_array(np.array([[1.0, np.nan], [1.0, 1.0]]), transform=T, crs=4326)
    zones = _zones(box(0, 0, 2, 2))
    new = sg.zonal_stats(
        zones, R, stats=["weighted_sum"], weights=w, rules=sg.CellRules(default_weight=2.0)
    )
    with pytest.warns(
        FutureWarning, match=r"weights_nodata=\.\.\.\) .* removed in sahel_geo 0\.3\.0"
    ):
        old = sg.zonal_stats(zones, R, stats=["weighted_sum"], weights=w, weights_nodata=2.0)
    # 1*1 + 2*2 (nodata weight taken as 2) + 3*1 + 4*1 = 12
    assert old["weighted_sum"].iloc[0] == new["weighted_sum"].iloc[0] == 12.0
    with pytest.raises(TypeError, match=r"pass rules= or weights_nodata=, not both"):
        sg.zonal_stats(
            zones, R, weights=w, weights_nodata=2.0, rules=sg.CellRules(default_weight=1.0)
        )
