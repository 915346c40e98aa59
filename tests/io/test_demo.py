"""Synthetic demo events: determinism, labels, the shape of the spread, the flawed rows."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo.io.demo import DEMO_SOURCE_TEXT, demo_acled_table, demo_events


@pytest.fixture(scope="module")
def events() -> gpd.GeoDataFrame:
    return demo_events()


def test_same_seed_identical_different_seed_different() -> None:
    a = demo_acled_table(n=500, seed=7)
    b = demo_acled_table(n=500, seed=7)
    pd.testing.assert_frame_equal(a, b)
    buf_a, buf_b = io.StringIO(), io.StringIO()
    a.to_csv(buf_a, index=False)
    b.to_csv(buf_b, index=False)
    assert buf_a.getvalue() == buf_b.getvalue()
    c = demo_acled_table(n=500, seed=8)
    assert not a.equals(c)
    ea, eb = demo_events(n=500, seed=7), demo_events(n=500, seed=7)
    pd.testing.assert_frame_equal(pd.DataFrame(ea), pd.DataFrame(eb))


def test_acled_columns_and_labels() -> None:
    table = demo_acled_table(n=200, seed=1)
    header = [
        "event_id_cnty",
        "event_date",
        "year",
        "time_precision",
        "disorder_type",
        "event_type",
        "sub_event_type",
        "actor1",
        "assoc_actor_1",
        "inter1",
        "actor2",
        "assoc_actor_2",
        "inter2",
        "interaction",
        "civilian_targeting",
        "iso",
        "region",
        "country",
        "admin1",
        "admin2",
        "admin3",
        "location",
        "latitude",
        "longitude",
        "geo_precision",
        "source",
        "source_scale",
        "notes",
        "fatalities",
        "tags",
        "timestamp",
    ]
    assert list(table.columns) == header
    assert len(table) == 200
    assert table["source"].unique().tolist() == [DEMO_SOURCE_TEXT]
    assert table["source_scale"].unique().tolist() == ["Synthetic"]
    assert table["notes"].str.startswith("SYNTHETIC DEMO EVENT (sahel_geo)").all()
    assert sg.demo_events is demo_events
    assert sg.demo_acled_table is demo_acled_table


def test_canonical_demo_events(events: gpd.GeoDataFrame) -> None:
    assert events.crs == "EPSG:4326"
    assert events["source"].unique().tolist() == ["demo"]
    assert events["event_date"].min() >= pd.Timestamp("2012-01-01")
    assert events["event_date"].max() <= pd.Timestamp("2023-12-31")
    assert events["event_id"].is_unique
    assert set(events["country_iso3"]) == {"MLI", "BFA", "NER"}
    # country name, numeric code and ISO3 agree
    pairs = set(zip(events["country"], events["iso"], events["country_iso3"], strict=True))
    assert pairs == {("Mali", 466, "MLI"), ("Burkina Faso", 854, "BFA"), ("Niger", 562, "NER")}
    assert events["event_id"].str[:3].eq(events["country_iso3"]).all()


def test_flawed_rows_are_rejected_or_noted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sahel_geo"):
        ev = demo_events(n=1000, seed=11)
    report = sg.reports(ev)[-1]
    assert report.step == "demo_events"
    assert (report.n_in, report.n_kept, report.n_rejected) == (1000, 995, 5)
    reasons = sorted(sg.rejects(ev)["reason"])
    assert reasons[0].startswith("duplicate event_id (first at row ")
    assert reasons[1:] == [
        "event_date could not be parsed",
        "latitude is not a number",
        "missing coordinates",
        "null island coordinates (0, 0)",
    ]
    # issue 17: the civilian rule is noted too (was {"likely_latlon_swap": 1}); 371 kept
    # rows have civilian_targeting "Civilian targeting" (372 in the table, one rejected)
    assert report.notes == {
        "likely_latlon_swap": 1,
        "civilian_fatalities_from_civilian_targeting": 371,
    }
    assert "likely latitude/longitude swaps" in caplog.text


def test_spread_shifts_from_mali(events: gpd.GeoDataFrame) -> None:
    year = events["event_date"].dt.year
    early = events.loc[year.between(2012, 2013), "country_iso3"]
    late = events.loc[year.between(2021, 2023), "country_iso3"]
    assert (early == "MLI").mean() > 0.8
    assert late.isin(["BFA", "NER"]).mean() > 0.5
    # volumes rise
    per_year = year.value_counts().sort_index()
    assert per_year.loc[2021:2023].sum() > 4 * per_year.loc[2012:2014].sum()
    # Burkina's south-east and Dosso only appear from 2019
    late_regions = events["admin1"].isin(["Est", "Centre-Nord", "Boucle du Mouhoun", "Dosso"])
    assert year[late_regions].min() >= 2019
    # the first two years are mostly northern Mali
    north_mali = events["admin1"].isin(["Kidal", "Gao", "Timbuktu"])
    assert north_mali[year <= 2013].mean() > 0.7


def test_types_precision_fatalities(events: gpd.GeoDataFrame) -> None:
    shares = events["event_type"].value_counts(normalize=True)
    assert shares["Battles"] + shares["Violence against civilians"] > 0.6
    assert shares["Protests"] < 0.1
    assert (events["location_precision"] == 1).mean() > 0.7
    assert set(events["location_level"]) == {"point", "admin2", "admin1"}
    assert (events["time_precision"] == "day").mean() > 0.8
    fat = events["fatalities"]
    assert fat.min() == 0 and fat.max() > 20 and fat.median() < fat.mean()
    protests = events.loc[events["event_type"] == "Protests", "actor1"]
    assert protests.str.startswith("Protesters (").all()


def test_civilian_targeting_and_inter_codes_agree(events: gpd.GeoDataFrame) -> None:
    # civilians are the target (inter2 7) exactly where civilian_targeting is flagged
    targeted = events["civilian_targeting"] == "Civilian targeting"
    assert targeted.equals(events["inter2"] == 7)
    assert set(events.loc[targeted, "event_type"]) == {"Violence against civilians", "Riots"}
    # civilian fatalities: the fatalities of those events, 0 elsewhere, and not empty
    expected = events["fatalities"].where(targeted, 0.0)
    assert events["civilian_fatalities"].equals(expected)
    assert events["civilian_fatalities"].sum() > 0
    # perpetrator group from inter1: armed groups (2) and rioters/protesters (5, 6)
    by_code = {2: "armed_group", 5: "other", 6: "other"}
    assert set(events["inter1"]) == set(by_code)
    assert events["perpetrator_group"].tolist() == events["inter1"].map(by_code).tolist()


def test_points_lie_in_their_country(events: gpd.GeoDataFrame) -> None:
    admin0 = sg.load_boundaries(level=0)[["country_iso3", "geometry"]]
    admin0 = admin0.rename(columns={"country_iso3": "polygon_iso3"})
    joined = gpd.sjoin(events, admin0, how="left", predicate="within")
    wrong = joined[joined["country_iso3"] != joined["polygon_iso3"]]
    assert len(joined) == len(events)
    assert len(wrong) == 1  # the deliberately swapped row, nowhere near its country


def test_table_round_trips_through_read_acled(tmp_path: Path) -> None:
    table = demo_acled_table(n=300, seed=5)
    path = tmp_path / "demo.csv"
    table.to_csv(path, index=False)
    from_file = sg.read_acled(path)
    direct = demo_events(n=300, seed=5)
    assert sg.reports(from_file)[-1].n_kept == len(direct) == 295
    cols = ["event_id", "event_date", "country_iso3", "event_type", "fatalities", "geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(from_file[cols]), pd.DataFrame(direct[cols]))


def test_n_validated() -> None:
    with pytest.raises(sg.ConfigError, match="n must be an integer >= 20"):
        demo_events(n=5)


def test_towns_lie_in_their_admin_units() -> None:
    import unicodedata

    from sahel_geo.io.demo import _ZONES

    def norm(name: str) -> str:
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        return plain.lower().replace(" ", "")

    towns = [t for zone in _ZONES.values() for t in zone]
    points = gpd.GeoDataFrame(
        {
            "town": [t[0] for t in towns],
            "iso3": [t[1] for t in towns],
            "adm1": [t[2] for t in towns],
            "adm2": [t[3] for t in towns],
        },
        geometry=gpd.points_from_xy([t[5] for t in towns], [t[4] for t in towns]),
        crs="EPSG:4326",
    )
    adm1 = sg.load_boundaries(level=1)[["name", "country_iso3", "geometry"]]
    got = gpd.sjoin(points, adm1, how="left", predicate="within")
    assert (got["iso3"] == got["country_iso3"]).all()
    assert [norm(a) for a in got["adm1"]] == [norm(b) for b in got["name"]]
    # Burkina Faso provinces (admin-2) too
    adm2 = sg.load_boundaries(level=2)[["name", "geometry"]].rename(columns={"name": "prov"})
    bfa = gpd.sjoin(points[points["iso3"] == "BFA"], adm2, how="left", predicate="within")
    # (Natural Earth spells Mouhoun "Mou Houn": blanks are ignored)
    assert [norm(a) for a in bfa["adm2"]] == [norm(b) for b in bfa["prov"]]
