"""workflow.tables: period labels, unit names, optional columns, perpetrator counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo.workflow.tables import (
    perpetrator_country_totals,
    perpetrator_counts,
    readable_table,
    source_columns,
)

UNITS = pd.DataFrame(
    {"pcode": ["A", "B"], "name": ["Alpha", "Beta"], "country_iso3": ["MLI", "BFA"]}
)


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "adm1_pcode": ["A", "A", "A", "B", "B", None],
            "country_iso3": ["MLI", "MLI", "MLI", "BFA", "BFA", "NER"],
            "event_date": pd.to_datetime(
                ["2020-01-05", "2020-02-01", "2020-04-10", "2020-01-20", "2020-05-01", "2020-01-01"]
            ),
            "fatalities": [1, 2, 4, 8, 16, 32],
            "civilian_fatalities": [1.0, np.nan, 0.0, 8.0, np.nan, 2.0],
            "perpetrator_group": [
                "state_forces",
                "armed_group",
                "armed_group",
                None,
                "armed_group",
                "other",
            ],
        }
    )


def test_source_columns() -> None:
    ev = _events()
    assert source_columns(ev) == ("civilian_fatalities",)
    assert source_columns(ev.assign(civilian_fatalities=np.nan)) == ()
    ucdp = ev.assign(low=[0, 1, 2, 3, 4, 5], high=np.nan)
    assert source_columns(ucdp) == ("fatalities_low", "fatalities_high", "civilian_fatalities")
    assert source_columns(ev.assign(low=np.nan, high=np.nan)) == ("civilian_fatalities",)


@pytest.mark.parametrize(
    ("freq", "first", "labels"),
    [
        ("year", "2020-01-01", ["2020", "2020"]),
        ("quarter", "2020-01-01", ["2020-Q1", "2020-Q2"]),
        ("month", "2020-01-01", ["2020-01", "2020-04"]),
        ("week", "2019-12-30", ["2020-W01", "2020-W14"]),  # Monday of ISO week 2020-W01
    ],
)
def test_readable_table_labels_and_names(freq: str, first: str, labels: list[str]) -> None:
    t = pd.DataFrame(
        {
            "unit": ["B", "A", "Z"],
            "first_period": pd.to_datetime([first, "2020-04-01", None]),
            "events": [1, 2, 0],
            "fatalities_low": np.nan,
        }
    )
    out = readable_table(t, freq=freq, units=UNITS, omit=("fatalities_low",))  # type: ignore[arg-type]
    assert out.columns.tolist() == ["unit", "name", "country_iso3", "first_period", "events"]
    assert out["first_period"].tolist()[:2] == labels
    assert pd.isna(out["first_period"].iloc[2])  # never reached: no label
    # unit Z is not in the boundaries: no name rather than a wrong one
    assert out["name"].tolist()[:2] == ["Beta", "Alpha"] and pd.isna(out["name"].iloc[2])
    assert out["country_iso3"].tolist()[:2] == ["BFA", "MLI"]
    assert "fatalities_low" in t.columns  # the input is not changed


def test_perpetrator_counts_by_unit() -> None:
    ev = _events()
    t = perpetrator_counts(
        ev,
        unit="adm1_pcode",
        freq="quarter",
        start="2020-01-01",
        end="2020-06-30",
        units=["A", "B"],
    )
    # by hand, rows with events only, groups in PERPETRATOR_GROUPS order then unknown:
    #   A 2020-Q1: state_forces 1 event (1 killed, 1 civilian), armed_group 1 (2, nan -> 0)
    #   A 2020-Q2: armed_group 1 (4, 0)
    #   B 2020-Q1: unknown 1 (8, 8);  B 2020-Q2: armed_group 1 (16, nan -> 0)
    #   the event without a unit is left out, as in sg.aggregate
    got = t.assign(period=t["period"].dt.strftime("%Y-%m"))[
        ["unit", "period", "perpetrator_group", "events", "fatalities", "civilian_fatalities"]
    ]
    assert got.values.tolist() == [
        ["A", "2020-01", "state_forces", 1, 1.0, 1.0],
        ["A", "2020-01", "armed_group", 1, 2.0, 0.0],
        ["A", "2020-04", "armed_group", 1, 4.0, 0.0],
        ["B", "2020-01", "unknown", 1, 8.0, 8.0],
        ["B", "2020-04", "armed_group", 1, 16.0, 0.0],
    ]
    # summed over the groups: the unit x period counts of sg.aggregate
    counts = sg.aggregate(
        ev, unit="adm1_pcode", freq="quarter", units=["A", "B"], start="2020-01", end="2020-06"
    )
    summed = t.groupby(["unit", "period"])[["events", "fatalities"]].sum()
    expected = counts.set_index(["unit", "period"])[["events", "fatalities"]]
    assert summed.equals(expected.loc[summed.index])
    assert counts["events"].sum() == summed["events"].sum() == 5


def test_perpetrator_country_totals() -> None:
    t = perpetrator_counts(
        _events(), unit="country_iso3", freq="year", start="2020-01-01", end="2020-12-31"
    )
    totals = perpetrator_country_totals(t)
    # countries sorted (BFA, MLI, NER); MLI armed_group: 2 events, 2 + 4 killed
    assert totals[
        ["country_iso3", "perpetrator_group", "events", "fatalities"]
    ].values.tolist() == [
        ["BFA", "armed_group", 1, 16.0],
        ["BFA", "unknown", 1, 8.0],
        ["MLI", "state_forces", 1, 1.0],
        ["MLI", "armed_group", 2, 6.0],
        ["NER", "other", 1, 32.0],
    ]
    assert totals["events"].sum() == 6  # every event, the one without an admin unit too


def test_perpetrator_counts_needs_the_column() -> None:
    with pytest.raises(sg.SchemaError, match="perpetrator_group"):
        perpetrator_counts(
            _events().drop(columns="perpetrator_group"),
            unit="adm1_pcode",
            freq="year",
            start="2020",
            end="2020",
        )
