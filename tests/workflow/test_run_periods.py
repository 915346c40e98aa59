"""Runs by quarter and by week, and the tables they write: labels, names, columns.

A tiny ACLED export (two Burkina Faso regions, events placed by hand) run end to end:
the change table's ``change_pct`` is checked against a hand computation, periods read as
periods (``2022-Q1``, ``2022-W02``), every per-unit table names its units, and columns
the source cannot fill (UCDP's ``low``/``high``) are left out.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

import sahel_geo as sg
from sahel_geo.workflow.config import parse_config
from sahel_geo.workflow.pipeline import run

OUAGA = (-1.52, 12.37)  # Ouagadougou, in the Centre region
DORI = (-0.03, 14.03)  # Dori, in the Sahel region


def _unit_at(lon: float, lat: float) -> tuple[str, str]:
    """The bundled admin-1 unit (P-code, name) holding a point."""
    adm1 = sg.load_boundaries(level=1, countries=["BFA"])
    hit = adm1[adm1.contains(Point(lon, lat))]
    assert len(hit) == 1
    return str(hit["pcode"].iloc[0]), str(hit["name"].iloc[0])


def _acled_csv(path: Path, events: list[tuple[str, tuple[float, float], int]]) -> Path:
    """Write a minimal ACLED export: one row per (date, place, fatalities), armed groups."""
    rows = [
        {
            "event_id_cnty": f"BFA{i + 1}",
            "event_date": date,
            "time_precision": 1,
            "event_type": "Battles",
            "sub_event_type": "Armed clash",
            "actor1": "JNIM: Group for Support of Islam and Muslims",
            "inter1": 2,
            "actor2": "Military Forces of Burkina Faso",
            "inter2": 1,
            "iso3": "BFA",
            "country": "Burkina Faso",
            "latitude": lat,
            "longitude": lon,
            "geo_precision": 1,
            "fatalities": fat,
            "notes": "test event",
        }
        for i, (date, (lon, lat), fat) in enumerate(events)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _config(events: Path, *, period: str, start: str, end: str) -> sg.workflow.config.Config:
    return parse_config(
        {
            "inputs": {
                "events": str(events),
                "events_format": "acled",
                "drought": "",
                "wasting": "",
            },
            "region": {"countries": ["BFA"]},
            "analysis": {
                "levels": [1],
                "map_level": 1,
                "period": period,
                "start": start,
                "end": end,
                "hotspots": False,
            },
        }
    )


@pytest.fixture(scope="module")
def quarter_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("quarter")
    # Centre: 4 events in 2021-Q4, 6 in 2022-Q1; Sahel: 10 in 2021-Q4, 3 in 2022-Q1
    events = (
        [("2021-11-05", OUAGA, 1)] * 4
        + [("2022-02-10", OUAGA, 2)] * 6
        + [("2021-10-20", DORI, 3)] * 10
        + [("2022-03-30", DORI, 0)] * 3
    )
    src = _acled_csv(folder / "acled.csv", events)
    out = folder / "out"
    run(_config(src, period="quarter", start="2021-10-01", end="2022-03-31"), out)
    return out


def _table(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "tables" / name, dtype={"period": str, "first_period": str})


def test_quarter_change_is_quarter_on_quarter(quarter_run: Path) -> None:
    centre, centre_name = _unit_at(*OUAGA)
    sahel, _ = _unit_at(*DORI)
    change = _table(quarter_run, "change_adm1_quarter.csv").set_index(["unit", "period"])
    # hand computation: 100 * (current - previous) / previous
    #   Centre 2021-Q4 -> 2022-Q1: 100 * (6 - 4) / 4 = 50.0 (baseline 4 > 2: not low)
    #   Sahel:                     100 * (3 - 10) / 10 = -70.0
    assert change.loc[(centre, "2022-Q1"), "change_pct"] == 50.0
    assert change.loc[(centre, "2022-Q1"), "trend"] == "large increase"
    assert change.loc[(sahel, "2022-Q1"), "change_pct"] == -70.0
    assert change.loc[(sahel, "2022-Q1"), "trend"] == "large decrease"
    assert pd.isna(change.loc[(centre, "2021-Q4"), "change_pct"])  # no earlier quarter
    assert change.loc[(centre, "2022-Q1"), "name"] == centre_name
    assert sorted(set(change.index.get_level_values("period"))) == ["2021-Q4", "2022-Q1"]


def test_quarter_tables_read_on_their_own(quarter_run: Path) -> None:
    centre, centre_name = _unit_at(*OUAGA)
    counts = _table(quarter_run, "counts_adm1_quarter.csv")
    # ACLED has no low/high estimates: those columns are left out, not written empty
    assert list(counts.columns)[:6] == [
        "unit",
        "name",
        "country_iso3",
        "period",
        "events",
        "fatalities",
    ]
    assert "fatalities_low" not in counts.columns and "fatalities_high" not in counts.columns
    assert not counts.isna().all().any()  # no column written empty
    row = counts.set_index(["unit", "period"]).loc[(centre, "2022-Q1")]
    assert (row["name"], row["country_iso3"], row["events"], row["fatalities"]) == (
        centre_name,
        "BFA",
        6,
        12,  # 6 events x 2 fatalities
    )
    assert counts["events"].sum() == 23  # 4 + 6 + 10 + 3: every event counted
    arrival = _table(quarter_run, "first_arrival_adm1.csv").set_index("unit")
    assert arrival.loc[centre, "first_period"] == "2021-Q4"
    assert arrival.loc[centre, "name"] == centre_name
    spread = _table(quarter_run, "spread_units_adm1.csv")
    assert list(spread.columns) == [
        "unit",
        "name",
        "country_iso3",
        "period",
        "kind",
        "touches_earlier_affected_unit",
        "nearest_earlier_centroid_km",
        "events",
    ]
    assert set(spread["period"]) == {"2021-Q4"}  # both regions reached in the first quarter
    periods = _table(quarter_run, "spread_periods_adm1.csv")
    assert periods["period"].tolist() == ["2021-Q4", "2022-Q1"]
    shares = _table(quarter_run, "country_shares.csv")
    assert shares["period"].tolist() == ["2021-Q4", "2022-Q1"]
    layer = gpd.read_file(quarter_run / "adm1_units.geojson").set_index("pcode")
    assert layer.loc[centre, "first_period"] == "2021-Q4"


def test_quarter_perpetrator_tables(quarter_run: Path) -> None:
    centre, centre_name = _unit_at(*OUAGA)
    per = _table(quarter_run, "perpetrators_adm1_quarter.csv")
    # inter1 2 (rebel group) -> armed_group; zero rows left out: 2 units x 2 quarters
    assert per["perpetrator_group"].unique().tolist() == ["armed_group"]
    assert len(per) == 4
    row = per.set_index(["unit", "period"]).loc[(centre, "2022-Q1")]
    assert (row["name"], row["events"], row["fatalities"]) == (centre_name, 6, 12)
    totals = _table(quarter_run, "perpetrators_countries.csv")
    # 23 events; fatalities 4 x 1 + 6 x 2 + 10 x 3 + 3 x 0 = 46
    assert totals[
        ["country_iso3", "perpetrator_group", "events", "fatalities"]
    ].values.tolist() == [["BFA", "armed_group", 23, 46]]


def test_week_run(tmp_path: Path) -> None:
    centre, centre_name = _unit_at(*OUAGA)
    # ISO weeks: 2022-01-03..09 is 2022-W01, 2022-01-10..16 is 2022-W02
    events = [("2022-01-04", OUAGA, 1)] * 5 + [("2022-01-12", OUAGA, 0)] * 10
    src = _acled_csv(tmp_path / "acled.csv", events)
    out = tmp_path / "out"
    res = run(_config(src, period="week", start="2022-01-03", end="2022-01-16"), out)
    assert "table_change_adm1_week" in res.files
    change = _table(out, "change_adm1_week.csv").set_index(["unit", "period"])
    # 100 * (10 - 5) / 5 = 100.0
    assert change.loc[(centre, "2022-W02"), "change_pct"] == 100.0
    assert change.loc[(centre, "2022-W02"), "name"] == centre_name
    html = (out / "map.html").read_text(encoding="utf-8")
    assert '"labels": ["2022-W01", "2022-W02"]' in html  # the time slider labels weeks


def test_config_period_words() -> None:
    for word in ("week", "month", "quarter", "year"):
        assert parse_config({"analysis": {"period": word}})["analysis"]["period"] == word
    with pytest.raises(sg.ConfigError, match=r"period must be one of \['week', 'month'"):
        parse_config({"analysis": {"period": "day"}})
