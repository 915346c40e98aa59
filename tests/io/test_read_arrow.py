"""Differential tests: the pyarrow fast path of the CSV reader against the general path.

Every file is read twice, once as the readers do (the fast path where the file is
regular) and once with the fast path switched off (the general path: decode, record
scan, pandas' C engine); tables, layouts, events, rejects and report notes must be equal.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sahel_geo as sg
from sahel_geo.io import _csv_arrow, _tables, events

HEADER = (
    "event_id_cnty,event_date,year,time_precision,event_type,actor1,inter1,iso,country,"
    "latitude,longitude,geo_precision,fatalities,notes,empty_col"
)
GOOD = [
    "MLI1,2019-03-15,2019,1,Battles,JNIM,2,466,Mali,14.35,-3.61,1,5,a note,",
    'MLI2,2019-03-16,2019,1,Battles,"Military Forces of Mali (2016-2021)",1,466,Mali,'
    '14.40,-3.70,2,0,"with, comma",',
    'BFA3,2020-01-02,2020,2,Protests,Protesters,6,854,Burkina Faso,12.37,-1.52,1,0,"quoted ""x""",',
]
COLS = {"event_id": "id", "event_date": "d", "latitude": "lat", "longitude": "lon"}


def _general(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_tables, "arrow_head", lambda *a: None)


def _fast_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record whether each read took the fast path (its frame was not None)."""
    calls: list[bool] = []
    real = _tables.read_regular_csv

    def spy(*args: Any, **kwargs: Any) -> pd.DataFrame | None:
        out = real(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(_tables, "read_regular_csv", spy)
    return calls


def _read_both(
    monkeypatch: pytest.MonkeyPatch, path: Path, read: Any
) -> tuple[Any, Any, list[bool]]:
    with monkeypatch.context() as m:
        calls = _fast_calls(m)
        fast = read(path)
    with monkeypatch.context() as m:
        _general(m)
        general = read(path)
    return fast, general, calls


def _same_events(fast: Any, general: Any) -> None:
    pd.testing.assert_frame_equal(
        pd.DataFrame(fast.drop(columns="geometry")),
        pd.DataFrame(general.drop(columns="geometry")),
    )
    assert fast.geometry.to_wkb().tolist() == general.geometry.to_wkb().tolist()
    rf, rg = sg.reports(fast)[-1], sg.reports(general)[-1]
    assert (rf.n_in, rf.n_kept, rf.notes) == (rg.n_in, rg.n_kept, rg.notes)
    pd.testing.assert_frame_equal(rf.rejects, rg.rejects)


def _table(path: Path, as_text: bool = False) -> pd.DataFrame:
    return _tables.read_table(path, encoding=None, sheet=None, reader="t", as_text=as_text)[0]


def _same_table(fast: pd.DataFrame, general: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(fast, general)
    assert _tables.table_layout(fast) == _tables.table_layout(general)


@pytest.fixture(autouse=True)
def _quiet(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)


def _csv(lines: list[str], end: str = "\n", encoding: str = "utf-8") -> bytes:
    return (end.join(lines) + end).encode(encoding)


_BAD_DATES = [
    "15 March 2019", "15-March-2019", "2019-02-30", "31 Feb 2019",
    "2019-03-15T10:00:00+02:00", "2091-01-01", "1850-01-01", "2019-03", "15/03/2019",
    " 2019-03-15 ", "2019-13-01", "tomorrow",
]  # fmt: skip
_BAD_COORDS = [
    ("14.1N", "-3.6"), ("0", "0"), ("95", "10"), ("-3.6", "14.3"), ("", "-3.6"),
    ("14.3", ""), ("", ""), ('"12,5"', "-3.6"), ("  ", "1"),
]  # fmt: skip
_QUOTED_NL = 'NER4,2021-05-01,2021,1,Battles,"a\nb",2,562,Niger,13.5,2.1,1,3,x,'
_NA = "NER5,NA,2021,1,N/A,null,,562,Niger,NaN,nan,1,,None,"
_LATIN = "MLI8,2019-03-15,2019,1,Battles,A,2,466,Mali,14.3,-3.6,1,1,S\u00e9gou,"
_CLEAN = "\n".join([HEADER, *GOOD])

CASES: dict[str, tuple[bytes, bool]] = {
    # name: (file bytes, fast path expected)
    "clean": (_csv([HEADER, *GOOD]), True),
    "crlf, no final line end": ("\r\n".join([HEADER, *GOOD]).encode(), True),
    "bom": (b"\xef\xbb\xbf" + _csv([HEADER, *GOOD]), True),
    "cr line ends, quoted crlf": (
        _csv([HEADER, *GOOD, _QUOTED_NL.replace("\n", "\r\n")], "\r"),
        True,
    ),
    "mixed line ends": (
        (HEADER + "\n" + GOOD[0] + "\r\n" + GOOD[1] + "\r" + GOOD[2]).encode(),
        True,
    ),
    "quoted newline": (_csv([HEADER, *GOOD, _QUOTED_NL]), True),
    "na strings": (_csv([HEADER, *GOOD, _NA]), True),
    "bad dates every format": (
        _csv(
            [HEADER, *GOOD]
            + [
                f"X{i},{d},2019,1,Battles,A,2,466,Mali,14.3,-3.6,1,1,n,"
                for i, d in enumerate(_BAD_DATES)
            ]
        ),
        True,
    ),
    "bad coordinates": (
        _csv(
            [HEADER, *GOOD]
            + [
                f"Y{i},2019-03-15,2019,1,Battles,A,2,466,Mali,{la},{lo},1,1,n,"
                for i, (la, lo) in enumerate(_BAD_COORDS)
            ]
        ),
        True,
    ),
    "duplicate ids": (_csv([HEADER, *GOOD, GOOD[0], GOOD[1]]), True),
    "blank lines": (_csv([HEADER, "", GOOD[0], "", "", GOOD[1], GOOD[2], ""]), False),
    "ragged rows": (
        _csv([HEADER, GOOD[0], "MLI9,2019-03-15,2019", GOOD[1] + ",extra", GOOD[2] + ",,"]),
        False,
    ),
    "cut mid-row": ((_CLEAN + "\nMLI7,2019-03-1").encode(), False),
    "cut in quotes": ((_CLEAN + '\nMLI7,2019-03-15,2019,1,B,"Mil').encode(), False),
    "latin-1": (_csv([HEADER, *GOOD, _LATIN], encoding="latin-1"), False),
    "leading blank line": (b"\n" + _csv([HEADER, *GOOD]), False),
    "spaces in numbers": (_csv([_CLEAN.replace(",466,", ", 466,")]), False),
    "plus sign": (_csv([_CLEAN.replace(",466,", ",+466,")]), False),
    "semicolons, decimal commas": (
        _csv([HEADER.replace(",", ";"), GOOD[0].replace(",", ";").replace("14.35", "14,35")]),
        True,
    ),
}


@pytest.mark.filterwarnings("ignore::sahel_geo.SahelGeoWarning")  # the latin-1 file
@pytest.mark.parametrize("name", list(CASES))
def test_acled_fast_and_general_paths_agree(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, fast_expected = CASES[name]
    path = tmp_path / "acled.csv"
    path.write_bytes(data)
    try:
        fast, general, calls = _read_both(monkeypatch, path, sg.read_acled)
    except sg.SahelGeoError:  # e.g. swapped columns: both paths must raise alike
        with monkeypatch.context() as g:
            _general(g)
            with pytest.raises(sg.SahelGeoError):
                sg.read_acled(path)
        return
    _same_events(fast, general)
    assert any(calls) == fast_expected
    _same_table(_table(path), _general_table(monkeypatch, path))
    _same_table(_table(path, True), _general_table(monkeypatch, path, True))


def _general_table(monkeypatch: pytest.MonkeyPatch, path: Path, as_text: bool = False) -> Any:
    with monkeypatch.context() as m:
        _general(m)
        return _table(path, as_text)


def test_column_types_follow_pandas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Integers, floats, integers with gaps, empty, text and ambiguous columns."""
    rows = [
        ["a", "b", "c", "d", "e", "f", "g", "h", "i"],
        ["1", "1.5", "3", "", "x", "True", "0x1F", "NAN", "1e5"],
        ["2", "2", "", "", "12", "False", "0x20", "1", "2"],
    ]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path = tmp_path / "t.csv"
    path.write_text(buf.getvalue())
    with monkeypatch.context() as m:
        calls = _fast_calls(m)
        fast = _table(path)
    _same_table(fast, _general_table(monkeypatch, path))
    assert calls == [False]  # True/False and NAN columns: the general path
    path.write_text(buf.getvalue().replace("True", "t").replace("False", "f").replace("NAN", "n"))
    with monkeypatch.context() as m:
        calls = _fast_calls(m)
        fast = _table(path)
    _same_table(fast, _general_table(monkeypatch, path))
    assert calls == [True]
    assert [str(t) for t in fast.dtypes] == [
        "int64", "float64", "float64", "float64", "str", "str", "str", "str", "float64",
    ]  # fmt: skip


def test_read_events_and_ucdp_paths_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "g.csv"
    path.write_text(
        "id,d,lat,lon,fatalities\nr1,2019-03-15,14.3,-3.6,2\nr2,2019-03-16,,1,\n"
        "r1,2019-03-17,14.3,-3.6,1\nr3,2019-03-15T23:30:00-05:00,14,1,x\n"
    )
    fast, general, calls = _read_both(monkeypatch, path, lambda p: sg.read_events(p, columns=COLS))
    _same_events(fast, general)
    assert calls == [True]


def test_demo_table_paths_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "demo.csv"
    sg.demo_acled_table(n=3000, seed=3).to_csv(path, index=False)
    fast, general, calls = _read_both(monkeypatch, path, sg.read_acled)
    _same_events(fast, general)
    assert calls == [True]


_CELL = st.text(alphabet=["a", "1", ".", ",", '"', "\n", " ", "-", "é", "\r"], max_size=5)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=st.lists(st.lists(_CELL, min_size=1, max_size=4), max_size=6))
def test_messy_text_paths_agree(
    body: list[list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raw cells joined without quoting: quotes, delimiters and line ends anywhere."""
    text = "a,b,c\n" + "\n".join(",".join(cells) for cells in body)
    path = tmp_path / "m.csv"
    path.write_bytes(text.encode())
    results = []
    for general in (False, True):
        with monkeypatch.context() as m:
            if general:
                _general(m)
            try:
                results.append(("ok", _table(path), _table(path, True)))
            except sg.SahelGeoError as exc:
                results.append(("error", type(exc), None))
    assert results[0][0] == results[1][0]
    if results[0][0] == "ok":
        _same_table(results[0][1], results[1][1])
        _same_table(results[0][2], results[1][2])


def test_fast_path_only_for_plain_utf8(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n1,2\n")
    sniff = _tables.sniff_delimiter
    assert _csv_arrow.arrow_head(path, None, sniff) is not None
    assert _csv_arrow.arrow_head(path, "cp1252", sniff) is None
    path.write_bytes(b"a\n1\n")
    assert _csv_arrow.arrow_head(path, None, sniff) is None  # one column: blank lines


def test_file_readers_consume_their_table_to_the_same_events(tmp_path: Path) -> None:
    """read_acled drops its own table's columns as it builds; build_acled leaves it whole."""
    path = tmp_path / "demo.csv"
    sg.demo_acled_table(n=2000, seed=5).to_csv(path, index=False)
    raw = _tables.read_table(path, encoding=None, sheet=None, reader="read_acled")[0]
    before = raw.copy()
    built = events.build_acled(raw, origin=str(path), step="read_acled")
    pd.testing.assert_frame_equal(raw, before)  # not consumed
    _same_events(sg.read_acled(path), built)


def test_record_longer_than_a_block_takes_the_general_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "long.csv"
    path.write_bytes(_csv([HEADER, *GOOD, GOOD[0].replace("a note", "n" * 500)]))
    monkeypatch.setattr(_csv_arrow, "_BLOCK", 256)
    fast, general, calls = _read_both(monkeypatch, path, sg.read_acled)
    _same_events(fast, general)
    assert calls == [False]
