from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from sahel_geo.analysis.grid import (
    PRIOGRID,
    SWAC_25,
    GridSpec,
    cell_index,
    events_to_cells,
    make_grid,
)
from sahel_geo.core.errors import CRSMismatchError, SchemaError
from sahel_geo.core.geodesy import latlon_cell_area_km2


def test_priogrid_gid_and_extent() -> None:
    g = make_grid((-1.0, 14.0, 0.0, 15.0), spec=PRIOGRID)
    assert g["cell_id"].tolist() == [150119, 150120, 150839, 150840]
    # first and last PRIO-GRID cells
    assert cell_index(
        PRIOGRID, np.array([-179.75, 179.75]), np.array([-89.75, 89.75])
    ).tolist() == [
        1,
        259200,
    ]


def test_latlon_area_exact_on_ellipsoid() -> None:
    # the whole ellipsoid: 510,065,621.7 km² (WGS84)
    total = latlon_cell_area_km2(np.array([-90.0]), np.array([90.0]), 360.0)[0]
    assert total == pytest.approx(510_065_621.7, rel=1e-9)
    # a 0.5° cell at the equator against a finely segmented polygon in ESRI:102022-like
    # geodesic area (pyproj, densified edges follow the parallels)
    import pyproj

    geod = pyproj.Geod(ellps="WGS84")
    poly = shapely.segmentize(shapely.box(0, 10, 0.5, 10.5), 0.001)
    geod_area = abs(geod.geometry_area_perimeter(poly)[0]) / 1e6
    assert latlon_cell_area_km2(np.array([10.0]), np.array([10.5]), 0.5)[0] == pytest.approx(
        geod_area, rel=1e-6
    )


def test_grid_cell_areas_column_and_edges() -> None:
    g = make_grid((0.0, 0.0, 1.0, 0.5), spec=PRIOGRID)
    assert len(g) == 2
    assert np.allclose(g["area_km2"], latlon_cell_area_km2(np.array([0.0]), np.array([0.5]), 0.5))
    # a point on the shared edge x=0.5 goes east
    assert cell_index(PRIOGRID, np.array([0.5]), np.array([0.25]))[0] == g["cell_id"].iloc[1]


def test_hexagons_equal_area_and_assignment() -> None:
    spec = GridSpec.hexagons(25.0)
    h = make_grid((-2.0, 13.0, 2.0, 16.0), spec=spec)
    assert h["cell_id"].is_unique
    areas = h.to_crs("ESRI:102022").area.to_numpy() / 1e6
    assert np.allclose(areas, 3 * np.sqrt(3) / 2 * 25.0**2, rtol=1e-6)
    cent = h.geometry.to_crs("ESRI:102022").centroid.to_crs("EPSG:4326")
    assert (cell_index(spec, cent.x.to_numpy(), cent.y.to_numpy()) == h["cell_id"].to_numpy()).all()
    # differential: random points, arithmetic assignment agrees with a polygon join
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(-1.5, 1.5, 5000), rng.uniform(13.5, 15.5, 5000)
    ev = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    j = gpd.sjoin(ev, h, predicate="within")
    got = events_to_cells(ev, spec=spec)
    assert (got.loc[j.index].to_numpy() == j["cell_id"].to_numpy()).mean() > 0.999


def test_make_grid_from_layer_keeps_intersecting_cells() -> None:
    layer = gpd.GeoDataFrame(geometry=[shapely.box(0.1, 0.1, 0.2, 0.2)], crs="EPSG:4326")
    g = make_grid(layer, spec=PRIOGRID)
    assert len(g) == 1


def test_bad_inputs() -> None:
    with pytest.raises(SchemaError):
        make_grid((1.0, 0.0, 0.0, 1.0))
    with pytest.raises(SchemaError):
        GridSpec(kind="hex", size_km=0)
    ev = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs="EPSG:3857")
    with pytest.raises(CRSMismatchError, match="EPSG:4326"):
        events_to_cells(ev)


@pytest.mark.slow
def test_swac_grid_gives_back_swac_counts(shared_data) -> None:  # type: ignore[no-untyped-def]
    df = pd.read_csv(shared_data / "events" / "oecd_swac_scdi_2023_grid.csv")
    cells = gpd.GeoSeries.from_wkt(df["WKT"], crs="EPSG:4326")
    ours = make_grid(cells.to_frame("geometry").set_geometry("geometry"), spec=SWAC_25)
    # every SWAC cell is one of our cells, vertex for vertex (to 1e-6 degrees)
    c = shapely.centroid(cells.to_numpy())
    ids = cell_index(SWAC_25, shapely.get_x(c), shapely.get_y(c))
    assert len(np.unique(ids)) == len(df)
    mine = ours.set_index("cell_id").loc[ids]
    assert shapely.hausdorff_distance(mine.geometry.to_numpy(), cells.to_numpy()).max() < 1e-6
    # place each year's events uniformly inside SWAC's cells, give them back per cell-year
    rng = np.random.default_rng(2023)
    b = cells.bounds.to_numpy()
    for year in range(1997, 2024):
        n = df[f"evC{year}"].to_numpy(dtype=int)
        cell = np.repeat(np.arange(len(df)), n)
        lon = rng.uniform(b[cell, 0], b[cell, 2])
        lat = rng.uniform(b[cell, 1], b[cell, 3])
        ev = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
        got = events_to_cells(ev, spec=SWAC_25).value_counts()
        expect = pd.Series(n, index=ids)
        expect = expect[expect > 0]
        pd.testing.assert_series_equal(
            got.sort_index(), expect.sort_index(), check_names=False, check_index_type=False
        )


def test_priogrid_gid_equals_ucdp_priogrid_gid(shared_data) -> None:  # type: ignore[no-untyped-def]
    ged = pd.read_csv(shared_data / "events" / "ucdp_ged231_sample1000.csv")
    ged = ged.dropna(subset=["latitude", "longitude", "priogrid_gid"])
    got = cell_index(PRIOGRID, ged["longitude"].to_numpy(), ged["latitude"].to_numpy())
    assert len(ged) > 900
    assert (got == ged["priogrid_gid"].to_numpy(dtype=np.int64)).all()
