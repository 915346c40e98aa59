"""Event files as analysts really have them (issue 12): every bad input a clear error or a
counted rejection naming the rows, never a raw pandas/numpy exception or a silent answer."""

from __future__ import annotations

import bz2
import gzip
import io
import logging
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import shapely

import sahel_geo as sg

COLS = {"event_id": "id", "event_date": "d", "latitude": "lat", "longitude": "lon",
        "fatalities": "f"}  # fmt: skip
HEAD = "id,d,lat,lon,f"
GOOD = "a,2019-03-15,14.5,-1.5,2"


def _read(tmp_path: Path, name: str, data: str | bytes) -> pd.DataFrame:
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return sg.read_events(p, columns=COLS)


def _rejects(ev: pd.DataFrame) -> list[list[object]]:
    return sg.rejects(ev)[["row", "reason", "column"]].values.tolist()


def _counts(ev: pd.DataFrame) -> tuple[int, int, int]:
    r = sg.reports(ev)[-1]
    assert r.n_in == r.n_kept + r.n_rejected == len(ev) + len(r.rejects)
    return r.n_in, r.n_kept, r.n_rejected


# --------------------------------------------------------------------------------------
# layout: truncation, ragged rows, blank lines
# --------------------------------------------------------------------------------------


def test_last_row_cut_mid_row_is_rejected(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # partial download: no line end after the last row, which has 3 of 5 fields
    with caplog.at_level(logging.WARNING, logger="sahel_geo"):
        ev = _read(tmp_path, "cut.csv", f"{HEAD}\n{GOOD}\nb,2019-03-16,14")
    assert _counts(ev) == (2, 1, 1)
    assert _rejects(ev) == [
        [2, "truncated last row: the file ends mid-row (3 of 5 fields); missing longitude",
         "(whole row); lon"],
    ]  # fmt: skip
    assert "the last row (row 2) is cut off" in caplog.text
    assert "download or export the file again" in caplog.text


def test_last_row_inside_a_quote_is_rejected(tmp_path: Path) -> None:
    # pandas alone raises "EOF inside string"; the row is a counted reject instead
    ev = _read(tmp_path, "q.csv", f'{HEAD},notes\n{GOOD},ok\nb,2019-03-16,14.5,-1.5,1,"Attack ne')
    assert _counts(ev) == (2, 1, 1)
    assert _rejects(ev) == [
        [2, "truncated last row: the file ends inside a quoted value", "(whole row)"]
    ]
    assert sg.rejects(ev)["notes"].tolist() == ["Attack ne"]


def test_short_and_long_rows(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    text = (
        f"{HEAD}\n{GOOD}\n"
        "b,2019-03-16,14.5,-1.5\n"  # row 2: 4 of 5 fields, ends with a line break: kept
        "c,2019-03-16,14.5,-1.5,1,extra\n"  # row 3: 6 fields: cells shifted, rejected
        "d,2019-03-16,14.5,-1.5,1,,\n"  # row 4: trailing empty fields carry nothing
    )
    with caplog.at_level(logging.WARNING, logger="sahel_geo"):
        ev = _read(tmp_path, "ragged.csv", text)
    assert _counts(ev) == (4, 3, 1)
    assert ev["event_id"].tolist() == ["a", "b", "d"]
    assert _rejects(ev) == [[3, "row has 6 fields, the header 5", "(whole row)"]]
    assert sg.reports(ev)[-1].notes["short_rows"] == 1
    assert "1 row(s) have fewer fields than the header (5)" in caplog.text
    assert "Check rows 2." in caplog.text


def test_blank_lines_do_not_shift_row_numbers(tmp_path: Path) -> None:
    # spreadsheet rows: 1-2 blank, 3 header, 4 a, 5 blank, 6 blank, 7 b (bad), 8 blank
    text = f"\n\n{HEAD}\n{GOOD}\n\n\nb,2019-03-16,,-1.5,1\n\n"
    ev = _read(tmp_path, "blank.csv", text)
    assert _counts(ev) == (2, 1, 1)
    assert _rejects(ev) == [[6, "missing latitude", "lat"]]  # spreadsheet row 7 = row + 1
    assert sg.reports(ev)[-1].notes["blank_lines_skipped"] == 3


def test_duplicate_header_name_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(
        sg.SchemaError,
        match=r"read_events: the header of .*dup\.csv names the same column twice: 'lat' in "
        r"columns 3 \(C\) and 6 \(F\)\. Rename or delete the extra column",
    ):
        _read(tmp_path, "dup.csv", f"{HEAD},lat\n{GOOD},15\n")
    book = openpyxl.Workbook()
    book.active.append(["id", "d", "lat", "lon", "f", "d"])
    book.active.append(["a", "2019-03-15", 14.5, -1.5, 2, "x"])
    book.save(tmp_path / "dup.xlsx")
    with pytest.raises(sg.SchemaError, match=r"'d' in columns 2 \(B\) and 6 \(F\)"):
        sg.read_events(tmp_path / "dup.xlsx", columns=COLS)


# --------------------------------------------------------------------------------------
# values: dates, time zones, fatalities
# --------------------------------------------------------------------------------------


def test_dates_in_the_future_and_before_1900(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = (
        f"{HEAD},end\n{GOOD},\n"
        "b,2919-03-15,14.5,-1.5,1,\n"  # a typo for 2019: beyond pandas' ns range too
        "c,2099-01-01,14.5,-1.5,1,\n"
        "d,1819-03-15,14.5,-1.5,1,\n"
        "e,2019-03-15,14.5,-1.5,1,2099-01-02\n"
    )
    p = tmp_path / "future.csv"
    p.write_text(text)
    with caplog.at_level(logging.WARNING, logger="sahel_geo"):
        ev = sg.read_events(p, columns={**COLS, "date_end": "end"})
    assert _counts(ev) == (5, 1, 4)
    assert _rejects(ev) == [
        [2, "event_date in the future", "d"],
        [3, "event_date in the future", "d"],
        [4, "event_date before 1900", "d"],
        [5, "date_end in the future", "end"],
    ]
    assert "3 row(s) are dated after tomorrow" in caplog.text and "Check rows 2, 3, 5." in (
        caplog.text
    )


def test_utc_offsets_keep_the_local_date(tmp_path: Path) -> None:
    text = (
        f"{HEAD}\n"
        "a,2019-03-15T23:30:00-05:00,14.5,-1.5,1\n"  # in UTC: 2019-03-16 04:30
        "b,2019-03-15T01:00:00+02:00,14.5,-1.5,1\n"  # mixed offsets: a ValueError before
        "c,2019-03-15 10:00Z,14.5,-1.5,1\n"
        "d,2019-03-15,14.5,-1.5,1\n"
    )
    ev = _read(tmp_path, "tz.csv", text)
    assert ev["event_date"].tolist() == [
        pd.Timestamp("2019-03-15 23:30"),
        pd.Timestamp("2019-03-15 01:00"),
        pd.Timestamp("2019-03-15 10:00"),
        pd.Timestamp("2019-03-15"),
    ]
    assert ev["event_date"].dtype == "datetime64[ns]"
    assert sg.reports(ev)[-1].notes["utc_offset_dropped_local_date_kept"] == 3


def test_time_zone_aware_frame_keeps_wall_clock() -> None:
    df = pd.DataFrame(
        {
            "d": pd.to_datetime(["2019-03-15 23:30"]).tz_localize("America/Bogota"),
            "lat": [14.5],
            "lon": [-1.5],
        }
    )
    ev = sg.read_events(df, columns={"event_date": "d", "latitude": "lat", "longitude": "lon"})
    assert ev["event_date"].tolist() == [pd.Timestamp("2019-03-15 23:30")]


def test_implausible_fatalities_are_rejected(tmp_path: Path) -> None:
    text = (
        f"{HEAD}\n{GOOD}\n"
        "b,2019-03-15,14.5,-1.5,100001\n"
        "c,2019-03-15,14.5,-1.5,9223372036854775808\n"  # overflowed unit totals before
        "d,2019-03-15,14.5,-1.5,1.5\n"
        "e,2019-03-15,14.5,-1.5,-3\n"
        "f,2019-03-15,14.5,-1.5,100000\n"  # the largest accepted
    )
    ev = _read(tmp_path, "fat.csv", text)
    assert _counts(ev) == (6, 2, 4)
    assert ev["fatalities"].tolist() == [2.0, 100000.0]
    big = "fatalities over 100000 for one event (implausible)"
    assert _rejects(ev) == [
        [2, big, "f"],
        [3, big, "f"],
        [4, "fatalities is not a whole number", "f"],
        [5, "negative fatalities", "f"],
    ]


# --------------------------------------------------------------------------------------
# read_events: canonical names in the file
# --------------------------------------------------------------------------------------


def test_canonical_named_columns_are_used(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("y,x,when,fatalities,event_type\n14.5,-1.5,2019-03-15,3,Battles\n")
    ev = sg.read_events(p, columns={"latitude": "y", "longitude": "x", "event_date": "when"})
    assert ev["fatalities"].tolist() == [3.0] and ev["event_type"].tolist() == ["Battles"]
    assert "generic_fatalities" not in ev.columns and "generic_event_type" not in ev.columns
    notes = sg.reports(ev)[-1].notes
    assert notes["column_used_by_its_canonical_name=event_type"] == 1
    assert notes["column_used_by_its_canonical_name=fatalities"] == 1


def test_canonical_name_and_mapping_clash_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("y,x,when,fatalities,killed\n14.5,-1.5,2019-03-15,3,4\n")
    with pytest.raises(
        sg.SchemaError,
        match=r"'fatalities' is mapped to column 'killed' but the table also has a column "
        r"named 'fatalities'\. Which column holds the values is ambiguous: map the field to "
        r"the table's own column \(e\.g\. columns=\{\.\.\., 'fatalities': 'fatalities'\}\), "
        r"or rename one of the two columns\.",
    ):
        sg.read_events(
            p,
            columns={
                "latitude": "y",
                "longitude": "x",
                "event_date": "when",
                "fatalities": "killed",
            },
        )


# --------------------------------------------------------------------------------------
# encodings, delimiters and containers
# --------------------------------------------------------------------------------------


def test_utf16_unicode_text_from_excel(tmp_path: Path) -> None:
    # Excel "Unicode text": UTF-16 LE with a BOM, tab-separated, CRLF, named .txt
    text = "id\td\tlat\tlon\tf\r\na\t2019-03-15\t14.5\t-1.5\t2\r\nb\t2019-03-16\t14\t1\tx\r\n"
    ev = _read(tmp_path, "export.txt", text.encode("utf-16"))
    assert ev["event_id"].tolist() == ["a"]
    assert _rejects(ev) == [[2, "fatalities is not a number", "f"]]
    no_bom = _read(tmp_path, "nobom.csv", f"{HEAD}\n{GOOD}\n".encode("utf-16-le"))
    assert no_bom["event_id"].tolist() == ["a"]


@pytest.mark.parametrize("name", ["e.csv.gz", "e.csv"])
def test_gzip_with_or_without_suffix(tmp_path: Path, name: str) -> None:
    ev = _read(tmp_path, name, gzip.compress(f"{HEAD}\n{GOOD}\n".encode()))
    assert ev["event_id"].tolist() == ["a"]


def test_zip_and_bzip2(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("events.csv", f"{HEAD}\n{GOOD}\n")
    assert _read(tmp_path, "e.zip", buf.getvalue())["event_id"].tolist() == ["a"]
    assert _read(tmp_path, "e.csv", buf.getvalue())["event_id"].tolist() == ["a"]
    assert _read(tmp_path, "b.csv", bz2.compress(f"{HEAD}\n{GOOD}\n".encode())).shape[0] == 1
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr("readme.txt", "x")
    with pytest.raises(
        sg.InputFileError,
        match=r"two\.zip is a ZIP archive holding 2 files \['events\.csv', 'readme\.txt'\]; it "
        r"must hold exactly one CSV file\. Unzip it and pass the CSV file\.",
    ):
        _read(tmp_path, "two.zip", buf.getvalue())


def test_cut_off_gzip_and_other_files(tmp_path: Path) -> None:
    data = gzip.compress(f"{HEAD}\n{GOOD}\n".encode())
    with pytest.raises(sg.InputFileError, match=r"is a compressed file that cannot be decomp"):
        _read(tmp_path, "cut.csv.gz", data[:20])
    with pytest.raises(sg.InputFileError, match=r"is an HTML page, not CSV text"):
        _read(tmp_path, "page.csv", "<!DOCTYPE html>\n<html><body>Log in</body></html>")
    with pytest.raises(sg.InputFileError, match=r"is a PDF document, not CSV text"):
        _read(tmp_path, "x.csv", b"%PDF-1.4 ...")
    with pytest.raises(sg.InputFileError, match=r"it may be CSV text with the wrong suffix"):
        _read(tmp_path, "x.xlsx", f"{HEAD}\n{GOOD}\n")


def test_semicolon_export_with_decimal_commas(tmp_path: Path) -> None:
    text = "id;d;lat;lon;f;notes\na;15/03/2019;14,5;-1,25;2;Attaque, Djibo\n"
    p = tmp_path / "fr.csv"
    p.write_bytes(text.encode("cp1252"))
    ev = sg.read_events(p, columns=COLS, date_format="%d/%m/%Y")
    point = ev.geometry.iloc[0]
    assert (shapely.get_x(point), shapely.get_y(point)) == (-1.25, 14.5)
    assert ev["notes"].tolist() == ["Attaque, Djibo"]  # the comma is not a delimiter
    assert sg.reports(ev)[-1].notes["decimal_comma_coordinates"] == 1


# --------------------------------------------------------------------------------------
# what is passed as the path
# --------------------------------------------------------------------------------------


def test_dataframes_are_read_in_memory() -> None:
    df = pd.DataFrame(
        {"id": ["a", "b"], "d": ["2019-03-15", "2019-03-16"], "lat": [14.5, None],
         "lon": [-1.5, 1.0], "f": [2, 1]},
        index=[10, 20],
    )  # fmt: skip
    ev = sg.read_events(df, columns=COLS)
    assert _counts(ev) == (2, 1, 1)
    assert _rejects(ev) == [[2, "missing latitude", "lat"]]  # position 1 + 1
    assert sg.reports(ev)[-1].source == "<DataFrame>"
    gen = sg.read_events(df, columns={"event_date": "d", "latitude": "lat", "longitude": "lon"})
    assert gen["event_id"].tolist() == ["row-1"]
    assert list(df.index) == [10, 20]  # not modified


def test_acled_and_ucdp_frames(tmp_path: Path) -> None:
    from tests.io.test_events import ACLED_HEADER, ACLED_ROWS, _ucdp_row, _write_ucdp

    acled = pd.read_csv(io.StringIO("\n".join([ACLED_HEADER, *ACLED_ROWS])))
    ev = sg.read_acled(acled)
    assert ev["event_id"].tolist() == ["MLI1001", "BFA2002", "NER3003"]
    assert sg.reports(ev)[-1].source == "<DataFrame>"
    ucdp = pd.read_csv(_write_ucdp(tmp_path, [_ucdp_row()]))
    assert sg.read_ucdp(ucdp)["event_id"].tolist() == ["300380"]


@pytest.mark.parametrize(
    ("value", "shown"), [(None, "None"), (3, "int 3"), (2.5, "float 2.5"), ([1], r"list \[1\]")]
)
def test_not_a_path(value: object, shown: str) -> None:
    for reader in (sg.read_acled, sg.read_ucdp):
        with pytest.raises(
            sg.InputFileError,
            match=rf"{reader.__name__}: expected the path of a file \(a str or pathlib\.Path\) "
            rf"or a pandas DataFrame; got {shown}\. Pass the file's path",
        ):
            reader(value)  # type: ignore[arg-type]
    with pytest.raises(sg.InputFileError, match=rf"read_events: expected .* got {shown}\."):
        sg.read_events(value, columns=COLS)  # type: ignore[arg-type]
