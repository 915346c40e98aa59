from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from sahel_geo.analysis.borders import (
    border_distance,
    border_exposure,
    border_lines,
    border_units,
    distance_to_line_km,
)
from sahel_geo.analysis.grid import PRIOGRID, make_grid
from sahel_geo.analysis.spread import (
    centroid_movement,
    country_shares,
    expansion_relocation,
    first_arrival,
    lead_lag,
)
from sahel_geo.core.errors import SchemaError

GEOD = pyproj.Geod(ellps="WGS84")


def _counts(table: dict[str, list[float]]) -> pd.DataFrame:
    n = len(next(iter(table.values())))
    periods = pd.date_range("2020-01-01", periods=n, freq="MS")
    return pd.DataFrame(
        [(u, p, v) for u, vals in table.items() for p, v in zip(periods, vals, strict=True)],
        columns=["unit", "period", "events"],
    )


def test_first_arrival_exact() -> None:
    c = _counts({"A": [0, 0, 3, 1], "B": [1, 0, 0, 0], "C": [0, 0, 2, 0], "D": [0, 0, 0, 0]})
    out = first_arrival(c)
    assert out["unit"].tolist() == ["B", "A", "C", "D"]
    assert out["order"].tolist()[:3] == [1.0, 2.0, 2.0] and np.isnan(out["order"].iloc[3])
    assert out["first_period"].iloc[1] == pd.Timestamp("2020-03-01")
    assert out["reached"].tolist() == [True, True, True, False]
    k3 = first_arrival(c, k=3)
    assert k3.loc[k3.reached, "unit"].tolist() == ["A"]
    with pytest.raises(SchemaError):
        first_arrival(c, k=0)


@given(
    st.lists(st.sampled_from(["MLI", "BFA", "NER"]), min_size=1, max_size=60), st.integers(0, 10)
)
@settings(max_examples=40, deadline=None)
def test_country_shares_sum_to_one(codes: list[str], seed: int) -> None:
    rng = np.random.default_rng(seed)
    ev = pd.DataFrame(
        {
            "event_date": pd.Timestamp("2019-01-01")
            + pd.to_timedelta(rng.integers(0, 1000, len(codes)), "D"),
            "country_iso3": codes,
            "fatalities": rng.integers(0, 4, len(codes)),
        }
    )
    out = country_shares(ev, freq="year")
    s = out.groupby("period")["event_share"].sum()
    assert np.allclose(s, 1.0)
    f = out.groupby("period")["fatality_share"].sum(min_count=1).dropna()
    assert np.allclose(f, 1.0)
    assert out["events"].sum() == len(codes)


def _three() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"country_iso3": ["AAA", "BBB", "CCC"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 2, 2)],
        crs="EPSG:4326",
    )


def test_border_distance_signed_exact() -> None:
    ev = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([0.5, 1.1, 0.9], [0.5, 0.5, 0.2]), crs="EPSG:4326"
    )
    d = border_distance(ev, _three(), country="AAA")
    assert d.iloc[0] == pytest.approx(GEOD.inv(0.5, 0.5, 0.5, 0.0)[2] / 1000, abs=0.01)
    assert d.iloc[1] == pytest.approx(-GEOD.inv(1.1, 0.5, 1.0, 0.5)[2] / 1000, abs=0.01)
    assert d.iloc[2] == pytest.approx(GEOD.inv(0.9, 0.2, 1.0, 0.2)[2] / 1000, abs=0.01)
    with pytest.raises(SchemaError, match="not in the boundaries"):
        border_distance(ev, _three(), country="MLI")


def test_border_exposure_tri_border_and_pairs() -> None:
    # tri-border point is (1, 1)
    ev = gpd.GeoDataFrame(
        {
            "event_date": pd.to_datetime(["2020-01-01", "2020-02-01", "2021-01-01"]),
            "fatalities": [1, 2, 4],
        },
        geometry=gpd.points_from_xy([1.05, 1.0, 0.5], [1.0, 0.5, 0.5]),
        crs="EPSG:4326",
    )
    out = border_exposure(
        ev, _three(), countries=("AAA", "BBB", "CCC"), radii_km=(10.0,), freq="year"
    )
    tri = out[out.feature == "tri-border"].set_index("period")
    assert tri["events"].tolist() == [1, 0] and tri["fatalities"].tolist() == [1.0, 0.0]
    ab = out[out.feature == "AAA-BBB"].set_index("period")
    assert ab["events"].tolist() == [2, 0]  # (1.05, 1.0) is 5.6 km from the A-B border's end
    assert ab["share_of_events"].tolist() == [1.0, 0.0]
    assert set(out["feature"]) == {"tri-border", "AAA-BBB", "AAA-CCC", "BBB-CCC"}
    whole = border_exposure(
        ev, _three(), countries=("AAA", "BBB", "CCC"), radii_km=(10.0,), freq=None
    )
    assert whole.loc[whole.feature == "tri-border", "events"].tolist() == [1]


def test_distance_to_line_matches_fine_reference(shared_data) -> None:  # type: ignore[no-untyped-def]
    adm0 = gpd.read_file(shared_data / "boundaries" / "ne10m_admin0_mli_ner_bfa.geojson").rename(
        columns={"ADM0_A3": "country_iso3"}
    )
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(-6, 4, 300), rng.uniform(11, 17, 300)
    line = border_lines(adm0, "MLI", "BFA")
    coarse = distance_to_line_km(lon, lat, line, resolution_km=0.5)
    fine = distance_to_line_km(lon, lat, line, resolution_km=0.02)
    assert np.all(coarse >= fine - 1e-9)
    assert np.max(coarse - fine) < 0.25
    ev = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([-8.0, -1.52], [12.65, 12.37]), crs="EPSG:4326"
    )
    d = border_distance(ev, adm0, country="MLI")  # Bamako inside, Ouagadougou outside
    assert d.iloc[0] > 100 and d.iloc[1] < -100
    adm1 = gpd.read_file(shared_data / "boundaries" / "ne10m_admin1_mli.geojson")
    adm1 = adm1.rename(columns={"adm1_code": "pcode"}).assign(country_iso3="MLI")
    names = dict(zip(adm1.pcode, adm1.name, strict=True))
    bfa = [names[p] for p in border_units(adm1, adm0, country="MLI", neighbour="BFA")]
    assert {"Mopti", "Sikasso"} <= set(bfa) and "Kidal" not in bfa
    ner = [names[p] for p in border_units(adm1, adm0, country="MLI", neighbour="NER")]
    assert set(ner) == {"Gao", "Kidal"}


def test_spread_units_touching_unit_can_have_a_far_centroid() -> None:
    """Touching and centroid distance are separate measures, named for what they measure.

    A 6-degree-wide unit affected first, then its small eastern neighbour: the polygons
    share the border at 6 E, so the neighbour touches an earlier-affected unit (an
    expansion although its centroid is beyond distance_km); centroid to centroid is
    (0 + 6) / 2 = 3 E to (6 + 6.5) / 2 = 6.25 E along ~14.25 N: 3.25 degrees of
    longitude, GEOD.inv(3.0, 14.25, 6.25, 14.25) = 350.72 km.
    """
    zones = gpd.GeoDataFrame(
        {"pcode": ["wide", "east"]},
        geometry=[box(0.0, 14.0, 6.0, 14.5), box(6.0, 14.0, 6.5, 14.5)],
        crs="EPSG:4326",
    )
    c = pd.DataFrame(
        {
            "unit": ["wide", "east"] * 2,
            "period": pd.to_datetime(["2020-01-01"] * 2 + ["2021-01-01"] * 2),
            "events": [3, 0, 0, 2],
        }
    )
    u = expansion_relocation(c, zones, distance_km=50.0).units
    assert list(u.columns) == [
        "unit",
        "period",
        "kind",
        "touches_earlier_affected_unit",
        "nearest_earlier_centroid_km",
        "events",
    ]
    assert u["kind"].tolist() == ["first", "expansion"]
    assert u["touches_earlier_affected_unit"].tolist() == [False, True]
    assert np.isnan(u["nearest_earlier_centroid_km"].iloc[0])
    assert u["nearest_earlier_centroid_km"].iloc[1] == pytest.approx(
        GEOD.inv(3.0, 14.25, 6.25, 14.25)[2] / 1000, rel=1e-3
    )


def test_expansion_relocation_exact() -> None:
    cells = make_grid((0.0, 14.0, 3.0, 14.5), spec=PRIOGRID)  # 6 cells in a row
    cells = cells.assign(pcode=[f"c{i}" for i in range(6)])
    c = _counts(
        {
            "c0": [2, 1, 0],
            "c1": [0, 1, 0],
            "c2": [0, 0, 0],
            "c3": [0, 0, 0],
            "c4": [0, 0, 0],
            "c5": [0, 2, 4],
        }
    )
    res = expansion_relocation(c, cells, distance_km=50.0)
    u = res.units.set_index("unit")
    assert u.loc["c0", "kind"] == "first"
    assert u.loc["c1", "kind"] == "expansion" and bool(u.loc["c1", "touches_earlier_affected_unit"])
    assert u.loc["c5", "kind"] == "relocation"
    assert u.loc["c5", "nearest_earlier_centroid_km"] == pytest.approx(
        GEOD.inv(0.25, 14.25, 2.75, 14.25)[2] / 1000, rel=1e-3
    )
    p = res.periods
    assert p["n_new"].tolist() == [1, 2, 0]
    assert p["n_expansion"].tolist() == [0, 1, 0] and p["n_relocation"].tolist() == [0, 1, 0]
    assert p["share_relocated"].tolist()[1] == pytest.approx(0.5)
    # shares: [1,0,..] -> [.25,.25,0,0,0,.5] -> [0,..,1]: moved 0.75 then 0.5
    assert p["share_moved"].tolist()[1:] == pytest.approx([0.75, 0.5])
    assert np.isnan(p["share_moved"].iloc[0])
    # within 300 km, c5 is an expansion
    far = expansion_relocation(c, cells, distance_km=300.0)
    assert far.units.set_index("unit").loc["c5", "kind"] == "expansion"
    assert "Spread" in repr(res)
    with pytest.raises(SchemaError, match="not in zones"):
        expansion_relocation(_counts({"zz": [1]}), cells)


def test_expansion_relocation_keeps_its_settings() -> None:
    # The nearest-unit search used to reuse the name ``k`` and overwrite the setting.
    cells = make_grid((0.0, 14.0, 3.0, 14.5), spec=PRIOGRID).assign(
        pcode=[f"c{i}" for i in range(6)]
    )
    c = _counts({"c0": [2, 1, 0], "c5": [0, 2, 4]})
    res = expansion_relocation(c, cells, distance_km=50.0, k=2)
    assert (res.k, res.distance_km) == (2.0, 50.0)
    assert res.units["unit"].tolist() == ["c0", "c5"]


def test_expansion_relocation_no_events_and_island() -> None:
    cells = make_grid((0.0, 14.0, 1.0, 14.5), spec=PRIOGRID).assign(pcode=["a", "b"])
    res = expansion_relocation(_counts({"a": [0, 0], "b": [0, 0]}), cells)
    assert res.units.empty and res.periods["n_new"].tolist() == [0, 0]
    assert res.periods["share_new"].isna().all()


def test_centroid_movement_and_weights() -> None:
    ev = gpd.GeoDataFrame(
        {
            "event_date": pd.to_datetime(["2020-05-01", "2020-06-01", "2021-05-01"]),
            "fatalities": [1, 3, 1],
        },
        geometry=gpd.points_from_xy([0.0, 2.0, 1.0], [14.0, 14.0, 15.0]),
        crs="EPSG:4326",
    )
    out = centroid_movement(ev)
    assert out["lon"].iloc[0] == pytest.approx(1.0) and out["events"].tolist() == [2, 1]
    assert out["bearing_deg"].iloc[1] == pytest.approx(0.0, abs=0.1)
    w = centroid_movement(ev, weight="fatalities")
    assert w["lon"].iloc[0] == pytest.approx(1.5, abs=0.01)


def test_lead_lag_exact_and_bad() -> None:
    c = _counts({"M": [0, 5, 0, 0, 5, 0], "B": [0, 0, 5, 0, 0, 5]})
    out = lead_lag(c, leaders=["M"], followers=["B"], max_lag=2)
    assert out["correlation"].iloc[1] == pytest.approx(1.0)
    assert out["n_periods"].tolist() == [6, 5, 4]
    flat = lead_lag(
        _counts({"M": [1, 1, 1], "B": [0, 1, 0]}), leaders=["M"], followers=["B"], max_lag=0
    )
    assert np.isnan(flat["correlation"].iloc[0])
    with pytest.raises(SchemaError):
        lead_lag(c, leaders=["X"], followers=["B"])


def test_border_lines_disjoint_countries_raise() -> None:
    b = gpd.GeoDataFrame(
        {"country_iso3": ["A", "B"]}, geometry=[box(0, 0, 1, 1), box(5, 5, 6, 6)], crs=4326
    )
    with pytest.raises(SchemaError, match="do not share"):
        distance_to_line_km(np.array([0.5]), np.array([0.5]), border_lines(b, "A", "B"))
    assert shapely.is_empty(border_lines(b, "A", "B"))
