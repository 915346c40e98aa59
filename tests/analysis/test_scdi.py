from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from sahel_geo.analysis.grid import PRIOGRID, SWAC_25, GridSpec
from sahel_geo.analysis.scdi import scdi, scdi_classes
from sahel_geo.core.errors import SchemaError
from sahel_geo.core.geodesy import latlon_cell_area_km2


def _ev(lon: list[float], lat: list[float], dates: list[str] | None = None) -> gpd.GeoDataFrame:
    dates = dates or ["2023-05-01"] * len(lon)
    return gpd.GeoDataFrame(
        {"event_date": pd.to_datetime(dates)},
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


def test_scdi_exact_two_pairs() -> None:
    ev = _ev([0.1, 0.1, 0.4, 0.4], [0.1, 0.2, 0.1, 0.2])
    out = scdi(ev, spec=PRIOGRID)
    assert len(out) == 1
    r = out.iloc[0]
    area = latlon_cell_area_km2(np.array([0.0]), np.array([0.5]), 0.5)[0]
    import pyproj

    d = pyproj.Geod(ellps="WGS84").inv(0.1, 0.1, 0.1, 0.2)[2] / 1000
    d2 = pyproj.Geod(ellps="WGS84").inv(0.4, 0.1, 0.4, 0.2)[2] / 1000
    assert r["events"] == 4 and r["area_km2"] == pytest.approx(area)
    assert r["density"] == pytest.approx(4 / area)
    assert r["nn_mean_km"] == pytest.approx((d + d2) / 2)
    exp = 0.5 / np.sqrt(4 / area)
    assert r["nn_expected_km"] == pytest.approx(exp)
    assert r["nn_index"] == pytest.approx((d + d2) / 2 / exp)
    assert r["nn_z"] == pytest.approx(((d + d2) / 2 - exp) / (0.26136 / np.sqrt(16 / area)))
    assert r["scdi"] == "CL" and r["duplicate_share"] == 0  # 4 / 3,077 km² is below 0.0017


def test_scdi_periods_cells_and_small_counts() -> None:
    ev = _ev(
        [0.1, 0.2, 0.1, 3.0],
        [0.1, 0.1, 0.1, 3.0],
        ["2022-01-01", "2022-06-01", "2023-01-01", "2023-01-01"],
    )
    out = scdi(ev, spec=PRIOGRID)
    assert out["events"].tolist() == [2, 1, 1]
    assert out["scdi"].tolist() == ["CL", "", ""]
    assert np.isnan(out["nn_index"].iloc[1])


def test_scdi_all_on_one_coordinate() -> None:
    ev = _ev([1.0] * 5, [14.0] * 5)
    r = scdi(ev).iloc[0]
    assert r["nn_index"] == 0 and r["duplicate_share"] == 1.0 and r["pattern"] == "C"


def test_nearest_neighbours_match_brute_force() -> None:
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(0, 2, 400), rng.uniform(13, 15, 400)
    ev = _ev(lon.tolist(), lat.tolist())
    out = scdi(ev, spec=PRIOGRID).set_index("cell_id")
    cell = ((np.floor((lat + 90) / 0.5)) * 720 + np.floor((lon + 180) / 0.5) + 1).astype(int)
    import pyproj

    geod = pyproj.Geod(ellps="WGS84")
    for c in np.unique(cell)[:6]:
        m = cell == c
        pts = np.column_stack([lon[m], lat[m]])
        if m.sum() < 2:
            continue
        dd = (
            np.array([[geod.inv(a[0], a[1], b[0], b[1])[2] / 1000 for b in pts] for a in pts])
            + np.eye(m.sum()) * 1e9
        )
        assert out.loc[c, "nn_mean_km"] == pytest.approx(dd.min(axis=1).mean(), rel=1e-3)


def test_hex_grid_and_bad_inputs() -> None:
    ev = _ev([0.1, 0.11, 0.12], [14.0, 14.0, 14.01])
    out = scdi(ev, spec=GridSpec.hexagons(20))
    assert out["area_km2"].iloc[0] == pytest.approx(3 * np.sqrt(3) / 2 * 400)
    with pytest.raises(SchemaError):
        scdi(ev, min_events=1)


def test_swac_classes_reproduced_from_swac_columns(shared_data) -> None:  # type: ignore[no-untyped-def]
    df = pd.read_csv(shared_data / "events" / "oecd_swac_scdi_2023_grid.csv")
    for year in range(1997, 2024):
        got = scdi_classes(df[f"Dns{year}"], df[f"NN_I{year}"])
        want = df[f"SCDI{year}"].replace("NANA", "").fillna("").to_numpy()
        assert (got == want).all(), year


@pytest.mark.slow
def test_swac_counts_given_back_by_scdi(shared_data) -> None:  # type: ignore[no-untyped-def]
    df = pd.read_csv(shared_data / "events" / "oecd_swac_scdi_2023_grid.csv")
    cells = gpd.GeoSeries.from_wkt(df["WKT"], crs="EPSG:4326")
    c = shapely.centroid(cells.to_numpy())
    from sahel_geo.analysis.grid import cell_index

    ids = cell_index(SWAC_25, shapely.get_x(c), shapely.get_y(c))
    b = cells.bounds.to_numpy()
    rng = np.random.default_rng(7)
    frames = []
    for year in (2012, 2018, 2023):
        n = df[f"evC{year}"].to_numpy(dtype=int)
        k = np.repeat(np.arange(len(df)), n)
        frames.append(
            pd.DataFrame(
                {
                    "lon": rng.uniform(b[k, 0], b[k, 2]),
                    "lat": rng.uniform(b[k, 1], b[k, 3]),
                    "event_date": pd.Timestamp(f"{year}-07-01"),
                }
            )
        )
    allev = pd.concat(frames, ignore_index=True)
    ev = gpd.GeoDataFrame(
        allev[["event_date"]], geometry=gpd.points_from_xy(allev.lon, allev.lat), crs="EPSG:4326"
    )
    out = scdi(ev, spec=SWAC_25)
    for year in (2012, 2018, 2023):
        got = out[out["period"].dt.year == year].set_index("cell_id")["events"]
        want = pd.Series(df[f"evC{year}"].to_numpy(), index=ids)
        want = want[want > 0]
        assert got.sort_index().to_dict() == want.sort_index().to_dict()
        # uniform random points in a cell: Clark-Evans index near 1 on average
        idx = out.loc[(out["period"].dt.year == year) & (out["events"] >= 30), "nn_index"]
        assert 0.9 < idx.mean() < 1.15


def test_duplicates_and_a_lone_location() -> None:
    ev = _ev([0.1, 0.1, 0.2, 0.4], [0.1, 0.1, 0.1, 0.3])
    r = scdi(ev, spec=PRIOGRID).iloc[0]
    import pyproj

    g = pyproj.Geod(ellps="WGS84")
    d_b = g.inv(0.2, 0.1, 0.1, 0.1)[2] / 1000  # B's nearest is the shared location A
    d_c = min(g.inv(0.4, 0.3, 0.2, 0.1)[2], g.inv(0.4, 0.3, 0.1, 0.1)[2]) / 1000
    assert r["nn_mean_km"] == pytest.approx((0 + 0 + d_b + d_c) / 4)
    assert r["duplicate_share"] == 0.5
