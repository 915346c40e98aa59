"""Issue 17: civilians killed per quarter and the change, from ACLED exports of both vintages.

The news question: "how many civilians were killed in Mali this quarter, and how much
more than last quarter" (the UN: 500+ civilians killed January-March 2022, "a 324% rise
over the previous quarter"). Eleven hand-made Mali events in two units (Gao, Mopti) over
three quarters (2021-Q4, 2022-Q1, 2022-Q2), written once as a current ACLED export (text
``inter1``, ``civilian_targeting``) and once as a pre-2023 export (numeric ``inter1``, no
``civilian_targeting``, dates like ``5 October 2021``). Every expected number is counted
by hand from the table below.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo.analysis.timeseries import aggregate, period_change

_PLACE = {"Gao": (16.272, -0.044), "Mopti": (14.484, -4.183)}
_CODE = {"State forces": 1, "Rebel group": 2, "Identity militia": 4, "Rioters": 5,
         "Protesters": 6, "External/Other forces": 8, "": ""}  # fmt: skip

# id, date, event_type, actor1, inter1 (current label), civilian_targeting, unit, fatalities
# group: the perpetrator_group the label maps to ("" = missing -> unknown)
EVENTS = [
    # 2021-Q4: civilian targeting Mopti 12 (row 1), Gao 8 (row 3, an IED on civilians)
    ("MLI1", "2021-10-05", "Violence against civilians", "JNIM", "Rebel group",
     "Civilian targeting", "Mopti", 12),
    ("MLI2", "2021-11-12", "Battles", "Military Forces of Mali", "State forces", "", "Mopti", 7),
    ("MLI3", "2021-12-20", "Explosions/Remote violence", "Islamic State (Sahel)",
     "Rebel group", "Civilian targeting", "Gao", 8),
    # 2022-Q1: civilian targeting Mopti 40 + 15 (rows 4, 5), Gao 30 + 0 (rows 7, 8)
    ("MLI4", "2022-01-03", "Violence against civilians", "Military Forces of Mali",
     "State forces", "Civilian targeting", "Mopti", 40),
    ("MLI5", "2022-02-14", "Violence against civilians", "Dan Na Ambassagou",
     "Identity militia", " civilian TARGETING ", "Mopti", 15),  # trimmed, any case
    ("MLI6", "2022-03-08", "Battles", "Wagner Group", "External/Other forces", "", "Gao", 9),
    ("MLI7", "2022-03-21", "Violence against civilians", "Islamic State (Sahel)",
     "Rebel group", "Civilian targeting", "Gao", 30),
    ("MLI8", "2022-03-30", "Riots", "Rioters (Mali)", "Rioters", "Civilian targeting", "Gao", 0),
    # 2022-Q2: civilian targeting Gao 5 (row 11, actor type not coded)
    ("MLI9", "2022-04-10", "Protests", "Protesters (Mali)", "Protesters", "", "Mopti", 0),
    ("MLI10", "2022-05-02", "Battles", "JNIM", "Rebel group", "", "Gao", 11),
    ("MLI11", "2022-06-15", "Violence against civilians", "Unidentified Armed Group (Mali)",
     "", "Civilian targeting", "Gao", 5),
]  # fmt: skip

CURRENT = ["event_id_cnty", "event_date", "time_precision", "event_type", "actor1", "inter1",
           "civilian_targeting", "iso", "country", "admin1", "latitude", "longitude",
           "geo_precision", "fatalities"]  # fmt: skip
OLD = ["event_id_cnty", "event_date", "time_precision", "event_type", "actor1", "inter1",
       "iso3", "country", "admin1", "latitude", "longitude", "geo_precision",
       "fatalities"]  # fmt: skip


def _write(path: Path, *, old: bool) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(OLD if old else CURRENT)
        for eid, date, etype, actor1, label, civ, unit, fat in EVENTS:
            day = pd.Timestamp(date)
            row = {
                "event_id_cnty": eid,
                "event_date": f"{day.day} {day:%B %Y}" if old else date,
                "time_precision": 1, "event_type": etype, "actor1": actor1,
                "inter1": _CODE[label] if old else label, "civilian_targeting": civ,
                "iso": 466, "iso3": "MLI", "country": "Mali", "admin1": unit,
                "latitude": _PLACE[unit][0], "longitude": _PLACE[unit][1],
                "geo_precision": 1, "fatalities": fat,
            }  # fmt: skip
            writer.writerow([row[c] for c in (OLD if old else CURRENT)])
    return path


@pytest.fixture(params=["current", "pre2023"])
def vintage(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def events(tmp_path: Path, vintage: str) -> pd.DataFrame:
    path = _write(tmp_path / f"acled_{vintage}.csv", old=vintage == "pre2023")
    return sg.read_acled(path)


def test_civilian_fatalities_per_event_and_rule_noted(events: pd.DataFrame, vintage: str) -> None:
    notes = sg.reports(events)[-1].notes
    if vintage == "current":
        # rows 1, 3, 4, 5, 7, 8, 11 say "Civilian targeting"
        assert events["civilian_fatalities"].tolist() == [12, 0, 8, 40, 15, 0, 30, 0, 0, 0, 5]
        assert notes["civilian_fatalities_from_civilian_targeting"] == 7
        assert "civilian_fatalities_from_event_type" not in notes
    else:
        # no civilian_targeting: rows 1, 4, 5, 7, 11 are "Violence against civilians"
        # (row 3, an IED on civilians, and row 8, a riot, are not counted)
        assert events["civilian_fatalities"].tolist() == [12, 0, 0, 40, 15, 0, 30, 0, 0, 0, 5]
        assert notes["civilian_fatalities_from_event_type"] == 5
        assert "civilian_fatalities_from_civilian_targeting" not in notes
    assert events["fatalities"].tolist() == [12, 7, 8, 40, 15, 9, 30, 0, 0, 11, 5]


def test_civilian_fatalities_per_unit_and_quarter(events: pd.DataFrame, vintage: str) -> None:
    table = aggregate(events, unit="admin1", freq="quarter")
    assert table["unit"].tolist() == ["Gao"] * 3 + ["Mopti"] * 3
    assert table["period"].dt.strftime("%Y-%m").tolist() == ["2021-10", "2022-01", "2022-04"] * 2
    # Gao: Q4 row 3 (8; not in a pre-2023 export), Q1 rows 7 + 8 (30 + 0), Q2 row 11 (5)
    # Mopti: Q4 row 1 (12), Q1 rows 4 + 5 (40 + 15), Q2 none (0)
    gao_q4 = 8 if vintage == "current" else 0
    assert table["civilian_fatalities"].tolist() == [gao_q4, 30, 5, 12, 55, 0]
    # all fatalities: Gao 8 | 9 + 30 + 0 | 11 + 5; Mopti 12 + 7 | 40 + 15 | 0
    assert table["fatalities"].tolist() == [8, 39, 16, 19, 55, 0]
    assert table["events"].tolist() == [1, 3, 2, 2, 2, 1]


def test_quarterly_change_in_civilians_killed(events: pd.DataFrame, vintage: str) -> None:
    national = aggregate(events, unit="country", freq="quarter")
    change = period_change(national, value="civilian_fatalities")
    assert change["unit"].tolist() == ["Mali"] * 3
    if vintage == "current":
        # 20 (12 + 8) -> 85 (55 + 30): 100 * 65 / 20 = +325 %; 85 -> 5: 100 * -80 / 85
        assert change["count"].tolist() == [20, 85, 5]
        assert change["change_pct"].iloc[1] == 325.0
        assert change["label"].tolist() == ["", "325%", "-94%"]
    else:
        # 12 -> 85: 100 * 73 / 12 = 608.33 %
        assert change["count"].tolist() == [12, 85, 5]
        assert change["change_pct"].iloc[1] == pytest.approx(100 * 73 / 12)
        assert change["label"].tolist() == ["", "608%", "-94%"]
    assert change["change_pct"].iloc[2] == pytest.approx(-100 * 80 / 85)  # -94.1
    assert change["trend"].tolist() == ["", "large increase", "large decrease"]


def test_change_per_unit() -> None:
    # wide per-unit change from the long table: Gao 8 -> 30 (+275 %), Mopti 12 -> 55
    # (100 * 43 / 12 = 358.3 %); Q2: Gao 30 -> 5 (-83.3 %), Mopti 55 -> 0 (-100 %)
    table = pd.DataFrame(
        {
            "unit": ["Gao"] * 3 + ["Mopti"] * 3,
            "period": pd.to_datetime(["2021-10-01", "2022-01-01", "2022-04-01"] * 2),
            "civilian_fatalities": [8.0, 30.0, 5.0, 12.0, 55.0, 0.0],
        }
    )
    change = period_change(table, value="civilian_fatalities")
    assert change["unit"].tolist() == ["Gao"] * 3 + ["Mopti"] * 3
    assert change["label"].tolist() == ["", "275%", "-83%", "", "358%", "-100%"]


def test_perpetrator_split_adds_up(events: pd.DataFrame, vintage: str) -> None:
    table = aggregate(events, unit="admin1", freq="quarter", by="perpetrator_group")
    groups = ["armed_group", "external_forces", "other", "state_forces", "unknown"]
    # table rows: Gao Q4, Q1, Q2, Mopti Q4, Q1, Q2. The events (number: group, killed):
    # Gao Q4: 3 armed 8; Gao Q1: 6 external 9, 7 armed 30, 8 other (rioters) 0;
    # Gao Q2: 10 armed 11, 11 unknown (no inter1) 5; Mopti Q4: 1 armed 12, 2 state 7;
    # Mopti Q1: 4 state 40, 5 armed (identity militia) 15; Mopti Q2: 9 other (protest) 0
    expected_events = {
        "armed_group": [1, 1, 1, 1, 1, 0],
        "external_forces": [0, 1, 0, 0, 0, 0],
        "other": [0, 1, 0, 0, 0, 1],
        "state_forces": [0, 0, 0, 1, 1, 0],
        "unknown": [0, 0, 1, 0, 0, 0],
    }
    expected_fatalities = {
        "armed_group": [8, 30, 11, 12, 15, 0],
        "external_forces": [0, 9, 0, 0, 0, 0],
        "other": [0, 0, 0, 0, 0, 0],
        "state_forces": [0, 0, 0, 7, 40, 0],
        "unknown": [0, 0, 5, 0, 0, 0],
    }
    gao_q4 = 8 if vintage == "current" else 0  # row 3 targets civilians, not VAC
    expected_civilian = {
        "armed_group": [gao_q4, 30, 0, 12, 15, 0],
        "external_forces": [0] * 6,
        "other": [0] * 6,
        "state_forces": [0, 0, 0, 0, 40, 0],
        "unknown": [0, 0, 5, 0, 0, 0],
    }
    for g in groups:
        assert table[f"events_{g}"].tolist() == expected_events[g], g
        assert table[f"fatalities_{g}"].tolist() == expected_fatalities[g], g
        assert table[f"civilian_fatalities_{g}"].tolist() == expected_civilian[g], g
    # overall: 5 armed-group events, 2 state, 1 external, 2 other, 1 unknown = 11
    assert {g: table[f"events_{g}"].sum() for g in groups} == {
        "armed_group": 5, "state_forces": 2, "external_forces": 1, "other": 2, "unknown": 1,
    }  # fmt: skip
    for measure in ("events", "fatalities", "civilian_fatalities"):
        parts = table[[f"{measure}_{g}" for g in groups]].sum(axis=1)
        assert parts.tolist() == table[measure].tolist(), measure
    assert table["events_armed_group"].dtype == np.int64


def test_default_output_unchanged_by_new_columns(events: pd.DataFrame) -> None:
    plain = aggregate(events, unit="admin1", freq="quarter")
    split = aggregate(events, unit="admin1", freq="quarter", by="perpetrator_group")
    assert list(plain.columns) == [
        "unit", "period", "events", "fatalities", "fatalities_low", "fatalities_high",
        "civilian_fatalities",
    ]  # fmt: skip
    pd.testing.assert_frame_equal(pd.DataFrame(split[plain.columns]), pd.DataFrame(plain))


def test_split_without_civilian_values_and_weighted() -> None:
    ev = pd.DataFrame(
        {
            "unit": ["A", "A", "B"],
            "event_date": pd.to_datetime(["2022-01-05", "2022-02-05", "2022-01-09"]),
            "fatalities": [2, 3, 4],
            "kind": ["x", None, "y"],
            "w": [0.5, 0.25, 1.0],
        }
    )
    out = aggregate(ev, unit="unit", freq="quarter", by="kind", weight="w")
    # A: x 0.5 (1 killed), unknown 0.25 (0.75); B: y 1.0 (4); no civilian columns
    assert out["events_x"].tolist() == [0.5, 0.0]
    assert out["events_unknown"].tolist() == [0.25, 0.0]
    assert out["fatalities_unknown"].tolist() == [0.75, 0.0]
    assert out["events_y"].tolist() == [0.0, 1.0]
    assert not [c for c in out.columns if c.startswith("civilian_fatalities_")]
    assert (out[["events_x", "events_y", "events_unknown"]].sum(axis=1) == out["events"]).all()


def test_split_name_clashes_raise() -> None:
    ev = pd.DataFrame(
        {
            "unit": ["A", "A"],
            "event_date": pd.to_datetime(["2022-01-05", "2022-02-05"]),
            "fatalities": [1, 1],
            "kind": ["unknown", "x"],
            "est": ["low", "x"],
        }
    )
    with pytest.raises(sg.SchemaError, match="'unknown'"):
        aggregate(ev, unit="unit", freq="quarter", by="kind")
    with pytest.raises(sg.SchemaError, match="fatalities_low"):
        aggregate(ev, unit="unit", freq="quarter", by="est")
    with pytest.raises(sg.SchemaError, match=r"lacks column\(s\) \['nope'\]"):
        aggregate(ev, unit="unit", freq="quarter", by="nope")


def test_period_change_value_errors() -> None:
    table = pd.DataFrame(
        {
            "unit": ["A", "A"],
            "period": pd.to_datetime(["2022-01-01", "2022-04-01"]),
            "civilian_fatalities": [np.nan, np.nan],
        }
    )
    with pytest.raises(sg.SchemaError, match="NaN in every row"):
        period_change(table, value="civilian_fatalities")
    with pytest.raises(sg.SchemaError, match="needs aggregate"):
        period_change(pd.Series([1.0, 2.0]), value="events")
    with pytest.raises(sg.SchemaError, match="events"):
        period_change(table, value="events")
