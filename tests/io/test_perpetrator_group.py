"""perpetrator_group: ACLED inter1 codes and labels, UCDP side_a, generic mappings."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo.core.schema import ACLED_INTER_CODES, ACLED_INTER_LABELS, PERPETRATOR_GROUPS

# the columns read_acled needs, current export (text inter1) or pre-2023 (numeric, iso3)
_COMMON = ["event_id_cnty", "event_date", "time_precision", "event_type", "actor1", "inter1"]
_END = ["latitude", "longitude", "geo_precision", "fatalities"]
_CURRENT = [*_COMMON, "civilian_targeting", "iso", *_END]
_OLD = [*_COMMON, "iso3", *_END]


def _acled(tmp_path: Path, name: str, header: list[str], inter1: list[str]) -> Path:
    """One Mali battle per inter1 value (ids A1, A2, ...), 3 fatalities each."""
    values = {"event_date": "2022-01-15", "time_precision": "1", "event_type": "Battles",
              "actor1": "someone", "civilian_targeting": "", "iso": "466", "iso3": "MLI",
              "latitude": "14.48", "longitude": "-4.18", "geo_precision": "1",
              "fatalities": "3"}  # fmt: skip
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for i, code in enumerate(inter1, start=1):
            row = {**values, "event_id_cnty": f"A{i}", "inter1": code}
            writer.writerow([row[c] for c in header])
    return path


def test_vocabulary_and_tables_agree() -> None:
    assert PERPETRATOR_GROUPS == ("state_forces", "armed_group", "external_forces", "other")
    assert set(ACLED_INTER_CODES.values()) == set(PERPETRATOR_GROUPS)
    assert set(ACLED_INTER_LABELS.values()) == set(PERPETRATOR_GROUPS)


def test_acled_numeric_codes_pre2023(tmp_path: Path) -> None:
    path = _acled(tmp_path, "old.csv", _OLD, ["1", "2", "3", "4", "5", "6", "7", "8", "", "9"])
    ev = sg.read_acled(path)
    assert ev["perpetrator_group"].tolist()[:8] == [
        "state_forces", "armed_group", "armed_group", "armed_group",
        "other", "other", "other", "external_forces",
    ]  # fmt: skip
    # blank inter1: missing, not unknown; code 9 is not an ACLED code: missing and noted
    assert ev["perpetrator_group"].iloc[8:].isna().all()
    assert sg.reports(ev)[-1].notes["unknown_perpetrator_group"] == 1
    assert ev["inter1"].tolist()[:8] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]  # untouched


def test_acled_text_labels_current(tmp_path: Path) -> None:
    labels = ["State forces", "Rebel group", "POLITICAL MILITIA", " identity militia ",
              "Rioters", "Protesters", "Civilians", "External/Other forces",
              "Sponsors"]  # fmt: skip
    ev = sg.read_acled(_acled(tmp_path, "cur.csv", _CURRENT, labels))
    assert ev["perpetrator_group"].tolist()[:8] == [
        "state_forces", "armed_group", "armed_group", "armed_group",
        "other", "other", "other", "external_forces",
    ]  # fmt: skip
    assert pd.isna(ev["perpetrator_group"].iloc[8])
    assert sg.reports(ev)[-1].notes["unknown_perpetrator_group"] == 1
    assert ev["inter1"].tolist() == labels  # the source column as read


def test_acled_without_inter1_gives_missing(tmp_path: Path) -> None:
    header = [c for c in _OLD if c != "inter1"]
    ev = sg.read_acled(_acled(tmp_path, "no_inter.csv", header, ["1", "2"]))
    assert ev["perpetrator_group"].isna().all()
    assert "unknown_perpetrator_group" not in sg.reports(ev)[-1].notes


def test_generic_mapping(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text(
        "date,lat,lon,who\n"
        "2022-01-01,14.0,-4.0,state_forces\n"
        "2022-01-02,14.0,-4.0, Armed_Group \n"
        "2022-01-03,14.0,-4.0,militia\n"
        "2022-01-04,14.0,-4.0,\n",
        encoding="utf-8",
    )
    cols = {"event_date": "date", "latitude": "lat", "longitude": "lon"}
    ev = sg.read_events(path, columns={**cols, "perpetrator_group": "who"})
    assert ev["perpetrator_group"].tolist()[:2] == ["state_forces", "armed_group"]
    assert ev["perpetrator_group"].iloc[2:].isna().all()
    assert sg.reports(ev)[-1].notes["unknown_perpetrator_group"] == 1  # "militia"
    assert ev["who"].tolist()[:2] == ["state_forces", " Armed_Group "]  # untouched
    assert sg.read_events(path, columns=cols)["perpetrator_group"].isna().all()


def test_ucdp_sample_government_is_state_forces(shared_data: Path) -> None:
    path = shared_data / "events" / "ucdp_ged231_sample1000.csv"
    ev = sg.read_ucdp(path)
    government = ev["side_a"].str.startswith("Government of")
    expected = government.map({True: "state_forces", False: "armed_group"})
    assert ev["perpetrator_group"].tolist() == expected.tolist()
    # the sample: 707 state-based (all by governments), 61 of the 160 one-sided events by
    # a government, 133 non-state: 768 state_forces, 232 armed_group
    assert ev["perpetrator_group"].value_counts().to_dict() == {
        "state_forces": 768,
        "armed_group": 232,
    }
    one_sided = ev["event_type"] == "one-sided"
    assert (ev.loc[one_sided, "perpetrator_group"] == "state_forces").sum() == 61
    assert "unknown_perpetrator_group" not in sg.reports(ev)[-1].notes


@pytest.mark.parametrize("side_a", ["Government of Mali", "government of Niger"])
def test_ucdp_records_government_prefix(side_a: str) -> None:
    from sahel_geo.io.events import build_ucdp

    raw = pd.DataFrame(
        {"id": [1, 2], "date_start": ["2022-01-01"] * 2, "date_end": ["2022-01-01"] * 2,
         "date_prec": [1, 1], "where_prec": [1, 1], "type_of_violence": [3, 3],
         "latitude": [14.0, 14.0], "longitude": [-4.0, -4.0], "best": [5, 2],
         "country": ["Mali", "Mali"], "side_a": [side_a, "JNIM"],
         "deaths_civilians": [5, 2]}
    )  # fmt: skip
    # records without side_b or source_headline: those canonical columns are missing
    ev = build_ucdp(raw, origin="records", step="t")
    assert ev["actor2"].isna().all() and ev["notes"].isna().all()
    assert ev["perpetrator_group"].tolist() == ["state_forces", "armed_group"]
    assert ev["civilian_fatalities"].tolist() == [5.0, 2.0]  # UCDP keeps deaths_civilians
