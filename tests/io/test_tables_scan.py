"""The vectorised record scan of CSV text against Python's csv module (the reference).

``_tables._scan_records`` counts each record's fields and flags blank lines from the
bytes; where the quoting is irregular it returns None and the csv module decides. Where
it answers, the answer must be the csv module's, for every text.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sahel_geo as sg
from sahel_geo.io import _csv_scan as _tables
from sahel_geo.io._tables import read_table, table_layout


def reference(text: str, sep: str) -> tuple[list[int], list[bool]]:
    """What the reader computed before the scan: one csv.reader pass."""
    fields, blank = [], []
    for rec in csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=False):
        fields.append(len(rec))
        blank.append(len(rec) == 0 or (len(rec) == 1 and not rec[0].strip()))
    return fields, blank


def scan(text: str, sep: str) -> tuple[list[int], list[bool]] | None:
    got = _tables._scan_records(np.frombuffer(text.encode(), dtype=np.uint8), sep)
    return None if got is None else (got[0].tolist(), got[1].tolist())


PIECES = ["a", "bc", ",", ";", "\t", '"', '""', "\n", "\r", "\r\n", " ", "\xa0", "é", "🙂"]


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=40),
    st.sampled_from([",", ";", "\t", "|"]),
    st.sampled_from([1, 2, 5, 1 << 24]),
)
def test_scan_agrees_with_csv_module(pieces: list[str], sep: str, block: int) -> None:
    text = "".join(pieces)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_tables, "_SCAN_BLOCK", block)
        got = scan(text, sep)
    if got is not None:
        assert got == reference(text, sep)


@pytest.mark.parametrize(
    ("text", "fields", "blank"),
    [
        ("a,b\n\n  \n c \n", [2, 0, 1, 1], [False, True, True, False]),
        ('"x,\ny",2\r\n"",\r\n', [2, 2], [False, False]),
        ('""\n" "\n', [1, 1], [True, True]),
        ("a,b,c", [3], [False]),
        ("a\rb\r\n\r", [1, 1, 0], [False, False, True]),
    ],
)
def test_scan_examples(text: str, fields: list[int], blank: list[bool]) -> None:
    assert scan(text, ",") == (fields, blank) == reference(text, ",")


@pytest.mark.parametrize("text", ['a"b,c\n', '"a"b,c\n', 'a, "b,c"\n', '"open,\n'])
def test_irregular_quoting_goes_to_the_csv_module(text: str) -> None:
    assert scan(text, ",") is None


def test_huge_field_goes_to_the_csv_module() -> None:
    text = "a," + "x" * (csv.field_size_limit() + 1) + "\n"
    assert scan(text, ",") is None


def read_both(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    fast, _ = read_table(path, encoding=None, sheet=None, reader="test")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_tables, "_scan_records", lambda *_: None)
        slow, _ = read_table(path, encoding=None, sheet=None, reader="test")
    return fast, slow


def test_demo_acled_file_same_frame_and_layout(tmp_path: Path) -> None:
    path = tmp_path / "acled.csv"
    sg.demo_acled_table(n=3000, seed=1).to_csv(path, index=False)
    fast, slow = read_both(path)
    pd.testing.assert_frame_equal(fast, slow)
    assert table_layout(fast) == table_layout(slow)


def test_ragged_blank_and_crlf_file_same_frame_and_layout(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(
        b"\r\n\r\nid,date,lat,lon,n\r\na,2019-03-16,14.5,-1.5,1\r\n\r\n"
        b'b,2019-03-16,14.5\r\n"c, quoted ""x""",2019-03-16,14.5,-1.5,1,extra\r\n'
        b"d,2019-03-16,14.5,-1.5,1,,\r\n   \r\ne,2019-03-17,14.5"
    )
    fast, slow = read_both(path)
    pd.testing.assert_frame_equal(fast, slow)
    layout = table_layout(fast)
    assert layout == table_layout(slow)
    assert layout is not None and layout.blank_lines == 2 and layout.truncated
