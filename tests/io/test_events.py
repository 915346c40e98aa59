"""Event readers: exact canonical values on tiny fixtures, every bad input, the real UCDP sample."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import sahel_geo as sg
from sahel_geo.core.schema import EVENT_COLUMNS
from sahel_geo.io._countries import COUNTRY_BBOX, iso3_from_names, iso3_from_values

ACLED_HEADER = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,"
    "actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,"
    "iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,"
    "source,source_scale,notes,fatalities,tags,timestamp"
)
ACLED_ROWS = [
    "MLI1001,2019-03-15,2019,1,Political violence,Battles,Armed clash,JNIM,,2,"
    "Military Forces of Mali,,1,12,,466,Western Africa,Mali,Mopti,Douentza,Boni,Boni,"
    '15.071,-2.166,1,Le Monde,International,"On 15 March 2019, JNIM clashed with FAMa.",4,,'
    "1553212800",
    "BFA2002,2020-01-20,2020,2,Political violence,Violence against civilians,Attack,"
    "Unidentified Armed Group (Burkina Faso),,3,Civilians (Burkina Faso),,7,37,"
    "Civilian targeting,854,Western Africa,Burkina Faso,Sahel,Soum,Djibo,Djibo,14.102,"
    "-1.627,2,AIB,National,Attack near Djibo.,12,,1580000000",
    "NER3003,2021-06-01,2021,3,Strategic developments,Strategic developments,"
    "Looting/property destruction,Islamic State (Sahel),,2,,,0,20,,562,Western Africa,"
    "Niger,Tillaberi,Tillaberi,,Tillaberi,14.212,1.453,3,ActuNiger,National,Looting.,0,,"
    "1623000000",
]

OLD_HEADER = (
    "data_id,iso,event_id_cnty,event_id_no_cnty,event_date,year,time_precision,event_type,"
    "sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,"
    "region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,"
    "source_scale,notes,fatalities,timestamp,iso3"
)
OLD_ROWS = [
    "5001,466,MLI1001,1001,15 March 2019,2019,1,Battles,Armed clash,JNIM,,2,"
    "Military Forces of Mali,,1,12,Western Africa,Mali,Mopti,Douentza,Boni,Boni,15.071,"
    "-2.166,1,Le Monde,International,Clash.,4,1553212800,MLI",
    "5002,854,BFA2002,2002,20 January 2020,2020,2,Violence against civilians,Attack,"
    "Unidentified Armed Group (Burkina Faso),,3,Civilians (Burkina Faso),,7,37,"
    "Western Africa,Burkina Faso,Sahel,Soum,Djibo,Djibo,14.102,-1.627,2,AIB,National,"
    "Attack.,12,1580000000,BFA",
]


def _write(tmp_path: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def _acled_row(**kw: object) -> str:
    """One current-ACLED CSV line, defaults to a valid Mali event; kw overrides fields."""
    base = dict(zip(ACLED_HEADER.split(","), next(csv.reader([ACLED_ROWS[0]])), strict=True))
    base.update({k: "" if v is None else str(v) for k, v in kw.items()})
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(base.values())
    return buf.getvalue()


# --------------------------------------------------------------------------------------
# exact canonical values
# --------------------------------------------------------------------------------------


def test_read_acled_current_exact(tmp_path: Path) -> None:
    path = _write(tmp_path, "acled.csv", [ACLED_HEADER, *ACLED_ROWS])
    ev = sg.read_acled(path)
    assert ev.crs == "EPSG:4326"
    assert list(ev.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    assert ev.columns[-1] == "geometry"
    assert ev["event_id"].tolist() == ["MLI1001", "BFA2002", "NER3003"]
    assert (ev["source"] == "acled").all()
    assert ev["event_date"].tolist() == [
        pd.Timestamp("2019-03-15"),
        pd.Timestamp("2020-01-20"),
        pd.Timestamp("2021-06-01"),
    ]
    assert ev["event_date"].dtype == "datetime64[ns]"
    assert ev["date_end"].equals(ev["event_date"])
    assert ev["time_precision"].tolist() == ["day", "week", "month"]
    assert ev["location_precision"].tolist() == [1, 2, 3]
    assert ev["location_level"].tolist() == ["point", "admin2", "admin1"]
    assert ev["country_iso3"].tolist() == ["MLI", "BFA", "NER"]
    assert ev["event_type"].tolist() == [
        "Battles",
        "Violence against civilians",
        "Strategic developments",
    ]
    assert ev["sub_event_type"].tolist()[1] == "Attack"
    assert ev["actor1"].tolist()[0] == "JNIM"
    assert ev["actor2"].tolist()[0] == "Military Forces of Mali"
    assert pd.isna(ev["actor2"].iloc[2])
    assert ev["fatalities"].tolist() == [4.0, 12.0, 0.0]
    # issue 17 (was: all NaN): the fatalities of the "Civilian targeting" row, else 0
    assert ev["civilian_fatalities"].tolist() == [0.0, 12.0, 0.0]
    # inter1 2 (rebel group), 3 (political militia), 2
    assert ev["perpetrator_group"].tolist() == ["armed_group"] * 3
    assert ev["notes"].iloc[0] == "On 15 March 2019, JNIM clashed with FAMa."
    assert shapely.get_x(ev.geometry.values).tolist() == [-2.166, -1.627, 1.453]
    assert shapely.get_y(ev.geometry.values).tolist() == [15.071, 14.102, 14.212]
    # colliding source columns are kept under acled_<name>
    assert ev["acled_source"].tolist() == ["Le Monde", "AIB", "ActuNiger"]
    assert ev["acled_event_date"].tolist() == ["2019-03-15", "2020-01-20", "2021-06-01"]
    assert ev["acled_time_precision"].tolist() == [1, 2, 3]
    report = sg.reports(ev)[-1]
    assert (report.step, report.n_in, report.n_kept, report.n_rejected) == ("read_acled", 3, 3, 0)


def test_source_columns_untouched(tmp_path: Path) -> None:
    path = _write(tmp_path, "acled.csv", [ACLED_HEADER, *ACLED_ROWS])
    ev = sg.read_acled(path)
    raw = pd.read_csv(path)
    renamed = {"source": "acled_source", "event_date": "acled_event_date",
               "time_precision": "acled_time_precision"}  # fmt: skip
    merged = {"event_type", "sub_event_type", "actor1", "actor2", "notes", "fatalities"}
    kept = [c for c in raw.columns if c not in merged]
    got = ev[[renamed.get(c, c) for c in kept]].rename(columns={v: k for k, v in renamed.items()})
    pd.testing.assert_frame_equal(pd.DataFrame(got), raw[kept])
    # merged columns: same values (fatalities as float)
    for c in merged - {"fatalities"}:
        pd.testing.assert_series_equal(ev[c], raw[c], check_names=False)
    assert ev["fatalities"].tolist() == raw["fatalities"].astype(float).tolist()


def test_read_acled_pre2023(tmp_path: Path) -> None:
    path = _write(tmp_path, "acled_old.csv", [OLD_HEADER, *OLD_ROWS])
    ev = sg.read_acled(path)
    assert ev["event_id"].tolist() == ["MLI1001", "BFA2002"]
    assert ev["event_date"].tolist() == [pd.Timestamp("2019-03-15"), pd.Timestamp("2020-01-20")]
    assert ev["acled_event_date"].tolist() == ["15 March 2019", "20 January 2020"]
    assert ev["country_iso3"].tolist() == ["MLI", "BFA"]
    assert ev["time_precision"].tolist() == ["day", "week"]
    assert ev["location_level"].tolist() == ["point", "admin2"]
    for c in ("data_id", "event_id_no_cnty", "iso3", "iso"):
        assert c in ev.columns
    # no civilian_targeting column: "Violence against civilians" (row 2, 12 killed)
    assert ev["civilian_fatalities"].tolist() == [0.0, 12.0]
    assert sg.reports(ev)[-1].notes["civilian_fatalities_from_event_type"] == 1
    assert ev["perpetrator_group"].tolist() == ["armed_group", "armed_group"]  # inter1 2, 3


def test_read_acled_upper_case_headers(tmp_path: Path) -> None:
    path = _write(tmp_path, "acled_caps.csv", [OLD_HEADER.upper(), *OLD_ROWS])
    ev = sg.read_acled(path)
    assert ev["event_id"].tolist() == ["MLI1001", "BFA2002"]
    assert ev["event_date"].tolist() == [pd.Timestamp("2019-03-15"), pd.Timestamp("2020-01-20")]
    assert ev["country_iso3"].tolist() == ["MLI", "BFA"]
    assert ev["fatalities"].tolist() == [4.0, 12.0]
    assert ev["location_level"].tolist() == ["point", "admin2"]
    # the file's own spelling is kept beside the canonical columns
    assert ev["EVENT_DATE"].tolist() == ["15 March 2019", "20 January 2020"]
    assert ev["SOURCE"].tolist() == ["Le Monde", "AIB"]
    assert ev["NOTES"].tolist() == ev["notes"].tolist()


def test_acled_unknown_country_code_is_noted_not_rejected(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "a.csv", [ACLED_HEADER, _acled_row(iso=999), _acled_row(event_id_cnty="X2")]
    )
    ev = sg.read_acled(path)
    assert len(ev) == 2
    assert pd.isna(ev["country_iso3"].iloc[0])
    assert ev["country_iso3"].iloc[1] == "MLI"
    assert sg.reports(ev)[-1].notes["unknown_country"] == 1


def test_read_acled_xlsx_with_date_cells(tmp_path: Path) -> None:
    header = ACLED_HEADER.split(",")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Export"
    sheet.append(header)
    for line in ACLED_ROWS:
        values: list[object] = list(next(csv.reader([line])))
        for i, name in enumerate(header):
            if name in {"year", "time_precision", "iso", "geo_precision", "fatalities"}:
                values[i] = int(str(values[i]))
            elif name in {"latitude", "longitude"}:
                values[i] = float(str(values[i]))
            elif name == "event_date":
                values[i] = dt.datetime.strptime(str(values[i]), "%Y-%m-%d")
            elif values[i] == "":
                values[i] = None
        sheet.append(values)
    path = tmp_path / "acled.xlsx"
    book.save(path)
    ev = sg.read_acled(path)
    assert ev["event_id"].tolist() == ["MLI1001", "BFA2002", "NER3003"]
    assert ev["event_date"].tolist()[0] == pd.Timestamp("2019-03-15")
    assert ev["time_precision"].tolist() == ["day", "week", "month"]
    assert ev["country_iso3"].tolist() == ["MLI", "BFA", "NER"]
    assert ev["fatalities"].tolist() == [4.0, 12.0, 0.0]


def test_read_events_xlsx_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "README"
    first.append(["nothing here"])
    data = book.create_sheet("events")
    data.append(["when", "lat", "lon", "killed"])
    data.append(["2020-05-01", 14.0, -1.5, 3])
    data.append(["2020-05-02", 13.5, 1.0, None])
    data.append([dt.datetime(2020, 5, 3), 13.5, 1.0, 1])  # a date cell among text
    data.append([43954, 13.5, 1.0, 1])  # a bare number is not a date
    path = tmp_path / "events.xlsx"
    book.save(path)
    cols = {"event_date": "when", "latitude": "lat", "longitude": "lon", "fatalities": "killed"}
    ev = sg.read_events(path, columns=cols, sheet="events")
    assert ev["event_id"].tolist() == ["events-1", "events-2", "events-3"]
    assert ev["event_date"].tolist()[2] == pd.Timestamp("2020-05-03")
    assert sg.rejects(ev)[["row", "reason"]].values.tolist() == [
        [4, "event_date could not be parsed"]
    ]
    assert ev["fatalities"].tolist()[0] == 3.0
    assert pd.isna(ev["fatalities"].iloc[1])  # a missing count (nullable Int64)
    with pytest.raises(sg.InputFileError, match=r"has no sheet 'nope'.*\['README', 'events'\]"):
        sg.read_events(path, columns=cols, sheet="nope")
    with pytest.raises(sg.SchemaError, match=r"missing the column"):
        sg.read_events(path, columns=cols)  # first sheet has no such columns


def test_read_events_generic(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "incidents.csv",
        [
            # the file's "source" collides with the canonical column read_events sets (an
            # "event_date" column here would be ambiguous with the mapping: see
            # test_event_inputs.py::test_canonical_name_and_mapping_clash_is_an_error)
            "when,y,x,kind,source,country,level,killed",
            "15/03/2019,15.0,-2.0,attack,x,Mali,admin1,2",
            "16/03/2019,14.0,1.0,clash,y,NER,point,0",
            "31/02/2019,14.0,1.0,clash,z,Niger,point,0",
        ],
    )
    ev = sg.read_events(
        path,
        columns={
            "event_date": "when",
            "latitude": "y",
            "longitude": "x",
            "event_type": "kind",
            "country_iso3": "country",
            "location_level": "level",
            "fatalities": "killed",
        },
        date_format="%d/%m/%Y",
    )
    assert ev["event_id"].tolist() == ["incidents-1", "incidents-2"]
    assert (ev["source"] == "generic").all()
    assert ev["event_date"].tolist() == [pd.Timestamp("2019-03-15"), pd.Timestamp("2019-03-16")]
    assert ev["country_iso3"].tolist() == ["MLI", "NER"]
    assert ev["location_level"].tolist() == ["admin1", "point"]
    assert ev["time_precision"].tolist() == ["day", "day"]
    assert ev["event_type"].tolist() == ["attack", "clash"]
    assert ev["generic_source"].tolist() == ["x", "y"]  # colliding source column
    rej = sg.rejects(ev)
    assert rej[["row", "reason", "column"]].values.tolist() == [
        [3, "event_date could not be parsed", "when"]
    ]
    assert sg.reports(ev)[-1].notes["generated_event_id"] == 3


def test_read_events_mapping_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, "e.csv", ["d,lat,lon", "2020-01-01,1,1"])
    with pytest.raises(sg.SchemaError, match=r"lacks the required field\(s\) \['longitude'\]"):
        sg.read_events(path, columns={"event_date": "d", "latitude": "lat"})
    with pytest.raises(sg.SchemaError, match=r"unknown field\(s\) \['lat'\]"):
        sg.read_events(
            path, columns={"event_date": "d", "latitude": "lat", "longitude": "lon", "lat": "x"}
        )
    with pytest.raises(sg.SchemaError, match="source must be one of"):
        sg.read_events(
            path, columns={"event_date": "d", "latitude": "lat", "longitude": "lon"}, source="x"
        )


# --------------------------------------------------------------------------------------
# rejected rows
# --------------------------------------------------------------------------------------


def _bad_rows_file(tmp_path: Path) -> Path:
    lines = [
        ACLED_HEADER,
        _acled_row(event_id_cnty="A1"),  # 1 ok
        _acled_row(event_id_cnty="A2", latitude=None, longitude=None),  # 2
        _acled_row(event_id_cnty="A3", latitude="14.1N"),  # 3
        _acled_row(event_id_cnty="A4", latitude=95.0, longitude=10.0),  # 4 swapped, out of range
        _acled_row(event_id_cnty="A5", latitude=200.0, longitude=10.0),  # 5
        _acled_row(event_id_cnty="A6", longitude=190.0),  # 6
        _acled_row(event_id_cnty="A7", latitude=0, longitude=0),  # 7
        _acled_row(event_id_cnty="A8", event_date=None),  # 8
        _acled_row(event_id_cnty="A9", event_date="2019-13-45"),  # 9
        _acled_row(event_id_cnty="A1"),  # 10 duplicate of row 1
        _acled_row(event_id_cnty="A11", fatalities=-2),  # 11
        _acled_row(event_id_cnty="A12", latitude=-3.0, longitude=15.0),  # 12 swapped, in range
        _acled_row(event_id_cnty=None),  # 13
        _acled_row(event_id_cnty="A14", latitude=None, event_date="bad"),  # 14, two problems
        _acled_row(event_id_cnty="A15", fatalities="many"),  # 15
        _acled_row(event_id_cnty="A16", latitude=" "),  # 16 blank
        _acled_row(event_id_cnty="A17"),  # 17 ok
        _acled_row(event_id_cnty="A18", longitude=""),  # 18
    ]
    return _write(tmp_path, "bad.csv", lines)


EXPECTED_REJECTS = [
    [2, "missing coordinates", "latitude, longitude"],
    [3, "latitude is not a number", "latitude"],
    [4, "latitude out of range; latitude and longitude look swapped", "latitude"],
    [5, "latitude out of range", "latitude"],
    [6, "longitude out of range", "longitude"],
    [7, "null island coordinates (0, 0)", "latitude, longitude"],
    [8, "missing event_date", "event_date"],
    [9, "event_date could not be parsed", "event_date"],
    [10, "duplicate event_id (first at row 1)", "event_id_cnty"],
    [11, "negative fatalities", "fatalities"],
    [13, "missing event_id", "event_id_cnty"],
    [14, "missing latitude; event_date could not be parsed", "latitude; event_date"],
    [15, "fatalities is not a number", "fatalities"],
    [16, "missing latitude", "latitude"],
    [18, "missing longitude", "longitude"],
]


def test_every_bad_row_is_a_counted_reject(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _bad_rows_file(tmp_path)
    with caplog.at_level(logging.INFO, logger="sahel_geo"):
        ev = sg.read_acled(path)
    rej = sg.rejects(ev)
    assert rej[["row", "reason", "column"]].values.tolist() == EXPECTED_REJECTS
    report = sg.reports(ev)[-1]
    assert report.n_in == 18 == report.n_kept + report.n_rejected
    assert report.n_kept == 3
    assert ev["event_id"].tolist() == ["A1", "A12", "A17"]
    # the in-range swap is kept, counted and logged with its row
    assert report.notes["likely_latlon_swap"] == 1
    warn = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warn) == 1 and "Check rows 12." in warn[0].getMessage()
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any("18 in, 3 kept, 15 rejected" in m for m in info)
    # raw values of rejected rows, as text
    assert rej.loc[rej["row"] == 3, "latitude"].tolist() == ["14.1N"]
    assert rej.loc[rej["row"] == 6, "longitude"].tolist() == ["190.0"]
    assert rej["step"].unique().tolist() == ["read_acled"]


def test_date_end_rules(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "e.csv",
        [
            "id,start,end,lat,lon",
            "1,2020-01-05,2020-01-03,14,1",
            "2,2020-01-05,,14,1",
            "3,2020-01-05,soon,14,1",
            "4,2020-01-05,2020-01-09,14,1",
        ],
    )
    ev = sg.read_events(
        path,
        columns={
            "event_id": "id",
            "event_date": "start",
            "date_end": "end",
            "latitude": "lat",
            "longitude": "lon",
        },
    )
    assert ev["event_id"].tolist() == ["2", "4"]
    assert ev["date_end"].tolist() == [pd.Timestamp("2020-01-05"), pd.Timestamp("2020-01-09")]
    assert sg.rejects(ev)[["row", "reason"]].values.tolist() == [
        [1, "date_end before event_date"],
        [3, "date_end could not be parsed"],
    ]
    assert sg.reports(ev)[-1].notes["date_end_missing_set_to_event_date"] == 1


def test_duplicate_keeps_first_valid_row(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "e.csv",
        [ACLED_HEADER]
        + [_acled_row(event_id_cnty="D", latitude=None)]
        + [_acled_row(event_id_cnty="D")] * 3,
    )
    ev = sg.read_acled(path)
    assert len(ev) == 1
    assert sg.rejects(ev)[["row", "reason"]].values.tolist() == [
        [1, "missing latitude"],
        [3, "duplicate event_id (first at row 2)"],
        [4, "duplicate event_id (first at row 2)"],
    ]


def test_bbox_check_only_for_bundled_countries(tmp_path: Path) -> None:
    lines = [
        ACLED_HEADER,
        _acled_row(event_id_cnty="in"),  # Mali, inside its box
        _acled_row(event_id_cnty="far", latitude=40.0, longitude=30.0),  # Mali code, far off
        # Syria (760) has no box: a swapped-looking point is not checked
        _acled_row(event_id_cnty="syr", iso=760, latitude=36.5, longitude=35.7),
        _acled_row(event_id_cnty="ok2"),
    ]
    ev = sg.read_acled(_write(tmp_path, "b.csv", lines))
    assert len(ev) == 4
    # issue 17: every ACLED read also notes its civilian rule (no row targets civilians)
    assert sg.reports(ev)[-1].notes == {
        "outside_country_bbox": 1,
        "civilian_fatalities_from_civilian_targeting": 0,
    }


def test_tab_separated(tmp_path: Path) -> None:
    path = tmp_path / "e.tsv"
    path.write_text("d\tlat\tlon\n2020-01-01\t14.5\t-1.5\n")
    ev = sg.read_events(path, columns={"event_date": "d", "latitude": "lat", "longitude": "lon"})
    assert ev["event_id"].tolist() == ["e-1"]
    assert (shapely.get_x(ev.geometry.values)[0], shapely.get_y(ev.geometry.values)[0]) == (
        -1.5,
        14.5,
    )


def test_mostly_swapped_file_raises(tmp_path: Path) -> None:
    lines = [ACLED_HEADER] + [
        _acled_row(event_id_cnty=f"S{i}", latitude=-2.166, longitude=15.071) for i in range(3)
    ]
    path = _write(tmp_path, "swapped.csv", [*lines, _acled_row(event_id_cnty="ok")])
    with pytest.raises(sg.SchemaError, match=r"3 of 4 rows .* columns look swapped"):
        sg.read_acled(path)


def test_ucdp_float_ids_become_text() -> None:
    from sahel_geo.io._event_builder import normalise_ids

    got = normalise_ids(pd.Series([300380.0, np.nan, 12.0]))
    assert got.iloc[0] == "300380" and got.iloc[2] == "12" and pd.isna(got.iloc[1])
    got = normalise_ids(pd.Series(["MLI1", " 7.0 ", "7.5", "8.00", "80", None])).tolist()
    assert got[:5] == ["MLI1", "7", "7.5", "8", "80"] and pd.isna(got[5])
    assert normalise_ids(pd.Series(["x" * 100, " 9.0"])).tolist()[1] == "9"  # long ids


# --------------------------------------------------------------------------------------
# structural errors
# --------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(sg.InputFileError, match=r"read_acled: file not found: .*nope\.csv"):
        sg.read_acled(tmp_path / "nope.csv")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(sg.InputFileError, match=r"empty \(0 bytes\)"):
        sg.read_acled(path)
    blank = tmp_path / "blank.csv"
    blank.write_text("\n\n")
    with pytest.raises(sg.InputFileError, match="no header row"):
        sg.read_ucdp(blank)


def test_header_only_gives_empty_canonical_frame(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _write(tmp_path, "header.csv", [ACLED_HEADER])
    with caplog.at_level(logging.WARNING, logger="sahel_geo"):
        ev = sg.read_acled(path)
    assert len(ev) == 0
    assert list(ev.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    assert "acled_source" in ev.columns and "geometry" in ev.columns
    assert ev["event_date"].dtype == "datetime64[ns]"
    assert ev.crs == "EPSG:4326"
    report = sg.reports(ev)[-1]
    assert (report.n_in, report.n_kept, report.n_rejected) == (0, 0, 0)
    assert "no data rows" in caplog.text


def test_all_rows_rejected_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lines = [ACLED_HEADER, _acled_row(latitude=None), _acled_row(event_date="x")]
    with caplog.at_level(logging.WARNING, logger="sahel_geo"):
        ev = sg.read_acled(_write(tmp_path, "all_bad.csv", lines))
    assert len(ev) == 0 and sg.reports(ev)[-1].n_rejected == 2
    assert "every one of the 2 rows was rejected" in caplog.text


def test_missing_columns_lists_missing_and_found(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.csv", ["event_id_cnty,event_date,lat,lon", "A,2020-01-01,1,1"])
    with pytest.raises(sg.SchemaError) as info:
        sg.read_acled(path)
    msg = str(info.value)
    assert "read_acled" in msg and "x.csv" in msg
    assert "'latitude'" in msg and "'geo_precision'" in msg and "'iso3 or iso'" in msg
    assert "Columns found: ['event_id_cnty', 'event_date', 'lat', 'lon']" in msg
    assert "read_events" in msg


def test_xlsx_named_csv_is_a_clear_error(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    path = tmp_path / "export.csv"
    book.save(path)
    with pytest.raises(sg.InputFileError, match="ZIP/XLSX file, not CSV"):
        sg.read_acled(path)


def test_corrupt_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(sg.InputFileError, match="not a readable XLSX workbook"):
        sg.read_acled(path)


# --------------------------------------------------------------------------------------
# encodings
# --------------------------------------------------------------------------------------


def _latin1_file(tmp_path: Path) -> Path:
    lines = [
        ACLED_HEADER,
        _acled_row(event_id_cnty="L1", admin1="Ségou", location="Ségou"),
        _acled_row(
            event_id_cnty="L2",
            admin1="Tillabéri",
            location="Téra",
            iso=562,
            latitude=14.009,
            longitude=0.753,
        ),
    ]
    return _write(tmp_path, "latin1.csv", lines, encoding="latin-1")


def test_latin1_falls_back_to_cp1252_with_warning(tmp_path: Path) -> None:
    path = _latin1_file(tmp_path)
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    with pytest.warns(sg.SahelGeoWarning, match=r"latin1\.csv is not UTF-8.*encoding="):
        ev = sg.read_acled(path)
    assert ev["admin1"].tolist() == ["Ségou", "Tillabéri"]
    assert ev["location"].tolist() == ["Ségou", "Téra"]


def test_logs_and_warnings_come_from_the_public_module(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # the builder and the table reader are private modules: their log records carry the
    # public module's name, and a warning points at the caller's line, not at them
    with caplog.at_level(logging.INFO, logger="sahel_geo"):
        sg.read_acled(_write(tmp_path, "header.csv", [ACLED_HEADER]))  # WARNING: no rows
        sg.read_acled(_write(tmp_path, "ok.csv", [ACLED_HEADER, *ACLED_ROWS]))  # INFO
    names = {r.name for r in caplog.records}
    assert names == {"sahel_geo.io.events"}
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    assert not any("_event_builder" in r.name or "_tables" in r.name for r in caplog.records)
    with pytest.warns(sg.SahelGeoWarning) as record:
        sg.read_acled(_latin1_file(tmp_path))
    assert [Path(w.filename).name for w in record] == [Path(__file__).name]


def test_explicit_encoding_no_warning(tmp_path: Path) -> None:
    ev = sg.read_acled(_latin1_file(tmp_path), encoding="latin-1")  # filterwarnings=error
    assert ev["admin1"].tolist() == ["Ségou", "Tillabéri"]


def test_wrong_explicit_encoding_raises(tmp_path: Path) -> None:
    with pytest.raises(sg.InputFileError, match="is not valid utf-8 text"):
        sg.read_acled(_latin1_file(tmp_path), encoding="utf-8")


def test_utf8_bom(tmp_path: Path) -> None:
    path = _write(tmp_path, "bom.csv", [ACLED_HEADER, _acled_row(admin1="Ségou")], "utf-8-sig")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    ev = sg.read_acled(path)
    assert ev["event_id"].tolist() == ["MLI1001"]
    assert "event_id_cnty" in ev.columns
    assert ev["admin1"].iloc[0] == "Ségou"


# --------------------------------------------------------------------------------------
# UCDP
# --------------------------------------------------------------------------------------

UCDP_COLUMNS = sg.io.ucdp_api.UCDP_GED_COLUMNS


def _ucdp_row(**kw: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(UCDP_COLUMNS, "")
    row.update(
        id="300380.0", relid="MLI-2019-1", year="2019.0", type_of_violence="1.0",
        side_a="Government of Mali", side_b="JNIM", source_headline="Clash near Boni",
        where_prec="1.0", where_description="Boni village", latitude="15.071",
        longitude="-2.166", country="Mali", country_id="432.0", region="Africa",
        date_prec="1.0", date_start="2019-03-15", date_end="2019-03-15",
        deaths_civilians="1.0", best="5.0", high="7.0", low="4.0",
    )  # fmt: skip
    row.update({k: str(v) for k, v in kw.items()})
    return row


def _write_ucdp(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    path = tmp_path / "ged.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(UCDP_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_read_ucdp_exact(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _write_ucdp(
        tmp_path,
        [
            _ucdp_row(),
            _ucdp_row(
                id="300381.0",
                country="Ivory Coast",
                type_of_violence="3.0",
                where_prec="4.0",
                date_prec="4.0",
                date_start="2011-03-01",
                date_end="2011-03-31",
                latitude="6.8",
                longitude="-5.3",
            ),
            _ucdp_row(
                id="300382.0",
                country="DR Congo (Zaire)",
                type_of_violence="2.0",
                where_prec="6.0",
                date_prec="2.0",
                latitude="-2.0",
                longitude="23.0",
                date_start="2015-05-02",
                date_end="2015-05-01",
            ),
            _ucdp_row(
                id="300383.0",
                country="Atlantis",
                where_prec="9.0",
                latitude="10",
                longitude="10",
                best="0.0",
                deaths_civilians="",
            ),
        ],
    )
    with caplog.at_level(logging.WARNING, logger="sahel_geo"):
        ev = sg.read_ucdp(path)
    assert ev["event_id"].tolist() == ["300380", "300381", "300383"]
    assert (ev["source"] == "ucdp").all()
    assert ev["event_date"].tolist()[:2] == [pd.Timestamp("2019-03-15"), pd.Timestamp("2011-03-01")]
    assert ev["date_end"].tolist()[1] == pd.Timestamp("2011-03-31")
    assert ev["ucdp_date_end"].tolist() == ["2019-03-15", "2011-03-31", "2019-03-15"]
    assert ev["time_precision"].tolist() == ["day", "month", "day"]
    assert ev["location_precision"].tolist()[:2] == [1, 4]
    assert ev["location_level"].tolist()[:2] == ["point", "admin1"]
    assert pd.isna(ev["location_level"].iloc[2])  # where_prec 9 is not a UCDP code
    assert ev["country_iso3"].tolist()[:2] == ["MLI", "CIV"]
    assert pd.isna(ev["country_iso3"].iloc[2])
    assert ev["event_type"].tolist() == ["state-based", "one-sided", "state-based"]
    assert ev["actor1"].iloc[0] == "Government of Mali" and ev["actor2"].iloc[0] == "JNIM"
    assert ev["fatalities"].tolist() == [5.0, 5.0, 0.0]
    assert ev["civilian_fatalities"].tolist()[:2] == [1.0, 1.0]
    assert pd.isna(ev["civilian_fatalities"].iloc[2])  # a missing count (nullable Int64)
    assert ev["notes"].iloc[0] == "Clash near Boni"
    assert ev["low"].tolist() == [4.0, 4.0, 4.0] and ev["high"].tolist() == [7.0, 7.0, 7.0]
    assert ev["where_description"].iloc[0] == "Boni village"
    report = sg.reports(ev)[-1]
    assert sg.rejects(ev)[["row", "reason"]].values.tolist() == [[3, "date_end before event_date"]]
    # row 4: low 4 > best 0, kept as read, counted and named
    assert report.notes == {
        "unknown_country": 1,
        "unknown_location_precision": 1,
        "fatality_estimates_out_of_order": 1,
    }
    assert "1 kept row(s) break low <= best <= high" in caplog.text
    assert "Check rows 4." in caplog.text


def test_ucdp_country_names() -> None:
    names = pd.Series(
        ["Ivory Coast", "DR Congo (Zaire)", "Cambodia (Kampuchea)", "Macedonia, FYR",
         "Kingdom of eSwatini (Swaziland)", "Bosnia-Herzegovina", "Turkey",
         "Russia (Soviet Union)", "Yemen (North Yemen)", "Burkina Faso", None, "Narnia"]
    )  # fmt: skip
    codes, unknown = iso3_from_names(names)
    assert codes.tolist()[:10] == [
        "CIV", "COD", "KHM", "MKD", "SWZ", "BIH", "TUR", "RUS", "YEM", "BFA"
    ]  # fmt: skip
    assert pd.isna(codes.iloc[10]) and pd.isna(codes.iloc[11])
    assert unknown == 1
    vals, unk = iso3_from_values(pd.Series(["MLI", 466, "854", "ne", "XKX", "Mali", "ZZZ"]))
    assert vals.tolist()[:6] == ["MLI", "MLI", "BFA", "NER", "XKX", "MLI"]
    assert unk == 1


def test_real_ucdp_sample(shared_data: Path) -> None:
    path = shared_data / "events" / "ucdp_ged231_sample1000.csv"
    ev = sg.read_ucdp(path)
    report = sg.reports(ev)[-1]
    assert (report.n_in, report.n_kept, report.n_rejected) == (1000, 1000, 0)
    assert "unknown_country" not in report.notes
    # 13 rows of the sample have low > best or best > high: kept, counted
    assert report.notes["fatality_estimates_out_of_order"] == 13
    assert ev["country_iso3"].notna().all()
    assert ev["event_id"].iloc[0] == "300380"
    sahel = ev[ev["country_iso3"].isin(["MLI", "NER", "BFA"])].set_index("event_id")
    expected = {
        "256789": ("MLI", "admin1"), "203499": ("MLI", "point"), "431002": ("MLI", "point"),
        "12989": ("MLI", "point"), "398385": ("NER", "point"), "456557": ("BFA", "point"),
        "433894": ("MLI", "admin1"), "237564": ("MLI", "point"), "364471": ("BFA", "point"),
        "293114": ("BFA", "point"), "352268": ("MLI", "point"), "285416": ("BFA", "point"),
    }  # fmt: skip
    assert len(sahel) == 12
    got = {i: (r.country_iso3, r.location_level) for i, r in sahel.iterrows()}
    assert got == expected
    # every source column untouched
    raw = pd.read_csv(path)
    for c in raw.columns:
        name = "ucdp_date_end" if c == "date_end" else c
        pd.testing.assert_series_equal(ev[name], raw[c], check_names=False)


def test_country_bboxes_contain_bundled_countries() -> None:
    admin0 = sg.load_boundaries(level=0)
    assert set(admin0["country_iso3"]) == set(COUNTRY_BBOX)
    for iso3, geom in zip(admin0["country_iso3"], admin0.geometry, strict=True):
        x0, y0, x1, y1 = geom.bounds
        bx0, by0, bx1, by1 = COUNTRY_BBOX[iso3]
        assert bx0 <= x0 and by0 <= y0 and bx1 >= x1 and by1 >= y1, iso3
        assert max(x0 - bx0, y0 - by0, bx1 - x1, by1 - y1) < 0.07, iso3


# --------------------------------------------------------------------------------------
# property: whatever the rows, counts add up and kept rows are valid
# --------------------------------------------------------------------------------------

_cell_coord = st.one_of(
    st.floats(-200, 200, allow_nan=False),
    st.none(),
    st.sampled_from(["14.5", "abc", " ", "0"]),
)
_cell_date = st.one_of(
    st.none(),
    st.sampled_from(["2020-01-01", "2021-02-30", "x", "2019-12-31", "2019", " 2020-02-02"]),
    st.integers(0, 30_000_000),
    st.floats(allow_nan=True),
    st.booleans(),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)),
)
_cell_id = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", 1.0, 2, True, " a "]))
_cell_fat = st.one_of(
    st.none(), st.integers(-3, 50), st.sampled_from(["x", "1.5", True]), st.floats()
)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(_cell_id, _cell_date, _cell_coord, _cell_coord, _cell_fat), max_size=25))
def test_counts_always_add_up(rows: list[tuple[object, ...]]) -> None:
    from sahel_geo.io._event_builder import EventSpec, build_events

    raw = pd.DataFrame(rows, columns=["id", "date", "lat", "lon", "fat"], dtype=object)
    spec = EventSpec(
        reader="read_events",
        source="generic",
        prefix="generic",
        columns={
            "event_id": "id",
            "event_date": "date",
            "latitude": "lat",
            "longitude": "lon",
            "fatalities": "fat",
        },
        required=("id", "date", "lat", "lon", "fat"),
        default_location_level="point",
        default_time_precision="day",
    )
    try:
        ev = build_events(raw, spec, origin="prop", step="read_events")
    except sg.SchemaError as exc:
        assert "look swapped" in str(exc)
        return
    report = sg.reports(ev)[-1]
    assert (
        report.n_in
        == len(rows)
        == report.n_kept + report.n_rejected
        == len(ev) + len(report.rejects)
    )
    assert ev["event_id"].is_unique and ev["event_id"].notna().all()
    assert ev["event_date"].notna().all()
    x, y = shapely.get_x(ev.geometry.values), shapely.get_y(ev.geometry.values)
    assert ((np.abs(y) <= 90) & (np.abs(x) <= 180) & ~((x == 0) & (y == 0))).all()
    fat = ev["fatalities"].dropna()
    assert ((fat >= 0) & np.isfinite(fat)).all()
    rejected = report.rejects["row"].tolist()
    assert len(set(rejected)) == len(rejected) and all(1 <= r <= len(rows) for r in rejected)
    assert report.rejects["reason"].str.len().gt(0).all()


def test_iso_dates_need_a_day(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "e.csv",
        ["d,lat,lon", "2019,14,1", "2019-03,14,1", "2019-03-15,14,1", "2019-03-16 10:30,14,1"],
    )
    ev = sg.read_events(path, columns={"event_date": "d", "latitude": "lat", "longitude": "lon"})
    assert ev["event_date"].tolist() == [
        pd.Timestamp("2019-03-15"),
        pd.Timestamp("2019-03-16 10:30"),
    ]
    assert sg.rejects(ev)[["row", "reason"]].values.tolist() == [
        [1, "event_date could not be parsed"],
        [2, "event_date could not be parsed"],
    ]


def test_counts_are_nullable_integers_in_every_format(tmp_path: Path) -> None:
    import pyogrio

    from sahel_geo.io.layers import write_layer

    events = sg.demo_events(n=200, seed=2)
    assert str(events["fatalities"].dtype) == "Int64"
    assert str(events["civilian_fatalities"].dtype) == "Int64"
    text = sg.geojson_text(events.iloc[:3][["event_id", "fatalities", "geometry"]])
    assert '"fatalities":' in text and '.0,"' not in text.split('"fatalities":')[1][:8]
    info = pyogrio.read_info(write_layer(events[["fatalities", "geometry"]], tmp_path / "e.gpkg"))
    assert dict(zip(info["fields"], info["dtypes"], strict=True))["fatalities"] == "int64"
