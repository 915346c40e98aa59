"""Property-based checks of the event readers on random valid and corrupted files (issue 12).

Whatever the cells (types, text, quotes, line breaks), the encoding, the delimiter, blank
lines, compression or a cut-off end, a reader either raises a SahelGeoError or returns
events whose report adds up: rows in = kept + rejected, and every reject names the row a
spreadsheet shows (checked through each row's unique id). Deterministic (derandomize).
"""

from __future__ import annotations

import csv
import gzip
import io
import warnings
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sahel_geo as sg

COLS = {"event_id": "id", "event_date": "d", "latitude": "lat", "longitude": "lon",
        "fatalities": "f"}  # fmt: skip

_date = st.sampled_from(
    ["2019-03-15", "2019-03-15T23:30:00-05:00", "2019-03-15 01:00+02:00", "15/03/2019",
     "2919-03-15", "1819-01-01", "2019-02-30", "", "x", "2019", "20190315", " 2019-03-16 "]
)  # fmt: skip
_coord = st.one_of(
    st.floats(-200, 200, allow_nan=False).map(lambda v: f"{v:.3f}"),
    st.sampled_from(["", " ", "14,5", "14.1N", "0", "nan", "inf", '"', "1e400"]),
)
_fat = st.sampled_from(
    ["", "0", "3", "1.5", "-2", "100001", "9223372036854775808", "many", "1e400", "4.0"]
)
_note = st.sampled_from(["", "Attack, Djibo", 'He said "go"', "line\nbreak", "Ségou", ";|\t"])
_row = st.tuples(_date, _coord, _coord, _fat, _note)


def _text(rows: list[tuple[str, ...]], sep: str, blanks: list[int]) -> tuple[str, dict[int, str]]:
    """CSV text with blank lines before the given data rows; row number -> id written."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\n")
    writer.writerow(["id", "d", "lat", "lon", "f", "notes"])
    ids: dict[int, str] = {}
    row_number = 0
    for k, cells in enumerate(rows):
        for _ in range(blanks.count(k)):
            buf.write("\n")
            row_number += 1
        row_number += 1
        ids[row_number] = f"r{k}"
        writer.writerow([f"r{k}", *cells])
    return buf.getvalue(), ids


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(_row, max_size=12),
    sep=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    blanks=st.lists(st.integers(0, 12), max_size=4),
    cut=st.one_of(st.none(), st.floats(0.2, 0.999)),
    packed=st.booleans(),
)
def test_readers_never_fail_uncleanly(
    tmp_path: Path,
    rows: list[tuple[str, ...]],
    sep: str,
    encoding: str,
    blanks: list[int],
    cut: float | None,
    packed: bool,
) -> None:
    text, ids = _text(rows, sep, blanks)
    data = text.encode(encoding)
    if cut is not None:
        data = data[: max(1, int(len(data) * cut))]
    if packed:
        data = gzip.compress(data, mtime=0)
    path = tmp_path / "prop.csv"
    path.write_bytes(data)
    try:
        with warnings.catch_warnings():  # cp1252 files are read with a SahelGeoWarning
            warnings.simplefilter("ignore", sg.SahelGeoWarning)
            ev = sg.read_events(path, columns=COLS, encoding=None)
    except sg.SahelGeoError:
        return  # a clear error (e.g. a file cut inside its header) is a right answer
    report = sg.reports(ev)[-1]
    assert report.n_in == report.n_kept + report.n_rejected == len(ev) + len(report.rejects)
    assert ev["event_id"].is_unique
    if cut is None:
        assert report.n_in == len(rows)
        rej = report.rejects
        # each reject names the row its id was written on (blank lines counted)
        assert [ids[r] for r in rej["row"].tolist()] == rej["id"].astype(str).tolist()
        assert sorted(ev["event_id"].tolist() + rej["id"].tolist()) == sorted(ids.values())


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=5), st.booleans()),
            st.one_of(st.none(), _date, st.datetimes(), st.integers()),
            st.one_of(st.none(), st.floats(), _coord),
        ),
        max_size=10,
    )
)
def test_frames_never_fail_uncleanly(rows: list[tuple[object, ...]]) -> None:
    df = pd.DataFrame(rows, columns=["id", "d", "lat"], dtype=object)
    df["lon"] = 1.0
    try:
        ev = sg.read_events(
            df, columns={"event_id": "id", "event_date": "d", "latitude": "lat", "longitude": "lon"}
        )
    except sg.SahelGeoError:
        return
    report = sg.reports(ev)[-1]
    assert report.n_in == len(rows) == report.n_kept + report.n_rejected
    assert all(1 <= r <= len(rows) for r in report.rejects["row"])
