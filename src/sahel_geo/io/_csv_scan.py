"""Record scan of CSV text: each record's field count and whether it is blank.

Private helper of :mod:`sahel_geo.io._tables`. The header is read by Python's csv module;
the records after it are counted by a vectorised scan of the UTF-8 bytes (a block at a
time) where the quoting is regular (a quoted field starts at a field start and its closing
quote ends the field), and by the csv module otherwise (irregular quotes, a file ending
inside quotes, fields over ``csv.field_size_limit``, many one-field records), which decides
every irregular case. Either way the counts are the csv module's.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from sahel_geo.core.progress import progress

__all__ = ["Records", "count_records"]


@dataclass(frozen=True)
class Records:
    """Per-record field counts and blank flags of the CSV text after the header."""

    header: list[str]
    fields: np.ndarray
    blank: np.ndarray
    body: int  # offset of the first data record in the text
    data: bytes  # the text from that offset, UTF-8


#: Bytes scanned at a time when counting fields (bounds the scan's temporary arrays).
_SCAN_BLOCK: Final = 1 << 24
#: Records without a delimiter checked one by one; more than this: csv module for all.
_MAX_ONE_FIELD: Final = 1000
_LF, _CR, _QUOTE = 0x0A, 0x0D, 0x22


def count_records(text: str, sep: str) -> Records:
    """Read the header; count each later record's fields and flag the blank ones.

    The records are counted by a vectorised scan of the bytes where the quoting is
    regular (a quoted field starts at a field start and its closing quote ends the
    field); otherwise by Python's csv module, which decides every irregular case.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=False)
    header = next(reader, [])
    body = _body_start(text, reader.line_num)
    data = text[body:].encode("utf-8")
    scanned = _scan_records(np.frombuffer(data, dtype=np.uint8), sep)
    if scanned is None:
        scanned = _read_records(reader)
    return Records(header, scanned[0], scanned[1], body, data)


def _read_records(reader: Any) -> tuple[np.ndarray, np.ndarray]:
    """Field counts and blank flags of the records left in a csv reader."""
    fields: list[int] = []
    blank: list[bool] = []
    for rec in reader:
        fields.append(len(rec))
        blank.append(len(rec) == 0 or (len(rec) == 1 and not rec[0].strip()))
    return np.asarray(fields, dtype=np.int64), np.asarray(blank, dtype=bool)


def _regular_quotes(octets: np.ndarray, sep: int) -> bool:
    """Whether every quoted field opens at a field start and closes at a field end."""
    quotes = np.flatnonzero(octets == _QUOTE)
    if len(quotes) % 2:  # ends inside a quoted value, or a stray quote
        return False
    bounds = np.array([sep, _LF, _CR, _QUOTE], dtype=np.uint8)  # a quote: a doubled ""
    opening, closing = quotes[0::2], quotes[1::2]
    before = octets[np.maximum(opening - 1, 0)]
    after = octets[np.minimum(closing + 1, len(octets) - 1)]
    return bool(
        ((opening == 0) | np.isin(before, bounds)).all()
        and ((closing == len(octets) - 1) | np.isin(after, bounds)).all()
    )


@dataclass(frozen=True)
class _Structure:
    """Record ends in the bytes and the delimiters outside quotes before each."""

    ends: np.ndarray  # index of each record's line end (len(bytes) for a last open row)
    seps_before: np.ndarray  # delimiters outside quotes before each end
    longest: int  # most bytes between two field boundaries


def _outside(positions: np.ndarray, quotes: np.ndarray, parity: int) -> np.ndarray:
    """Which sorted ``positions`` are outside quotes (an even number of quotes before)."""
    if parity:  # the block starts inside a quoted value
        quotes = np.concatenate([[-1], quotes])
    if len(quotes) % 2:  # ... or ends inside one
        quotes = np.append(quotes, np.iinfo(np.int64).max)
    # quoted stretches (open, close): the positions between them are inside
    first = np.searchsorted(positions, quotes[0::2])
    stop = np.searchsorted(positions, quotes[1::2])
    depth = np.zeros(len(positions) + 1, dtype=np.int64)
    np.add.at(depth, first, 1)
    np.add.at(depth, stop, -1)
    outside: np.ndarray = np.cumsum(depth[:-1]) == 0
    return outside


def _structure(octets: np.ndarray, sep: int) -> _Structure:
    """Find the record ends and count the delimiters outside quotes, a block at a time."""
    n = len(octets)
    ends: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    parity, seps, last, longest = 0, 0, -1, 0
    blocks = range(0, n, _SCAN_BLOCK)
    for start in progress(blocks, desc="scanning CSV records", unit="block"):
        block = octets[start : start + _SCAN_BLOCK]
        quotes = np.flatnonzero(block == _QUOTE)
        at_sep = np.flatnonzero(block == sep)
        at_sep = at_sep[_outside(at_sep, quotes, parity)]
        at_end = np.flatnonzero((block == _LF) | (block == _CR))
        after = octets[np.minimum(at_end + start + 1, n - 1)]
        crlf = (block[at_end] == _CR) & (after == _LF) & (at_end + start + 1 < n)
        at_end = at_end[~crlf]  # the CR of a CRLF is not the end: its LF is
        at_end = at_end[_outside(at_end, quotes, parity)]
        ends.append(at_end + start)
        counts.append(np.searchsorted(at_sep, at_end) + seps)
        seps += len(at_sep)
        parity = (parity + len(quotes)) % 2
        marks = np.sort(np.concatenate([at_sep, at_end])) + start
        if len(marks):
            longest = max(longest, int(np.diff(marks, prepend=last).max()))
            last = int(marks[-1])
    longest = max(longest, n - last)
    end = np.concatenate([*ends, np.zeros(0, dtype=np.int64)]).astype(np.int64)
    before = np.concatenate([*counts, np.zeros(0, dtype=np.int64)]).astype(np.int64)
    if n and (len(end) == 0 or end[-1] != n - 1):  # a last row without a line end
        end, before = np.append(end, n), np.append(before, seps)
    return _Structure(end, before, longest)


def _scan_records(octets: np.ndarray, sep: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Field counts and blank flags of the records in UTF-8 CSV bytes (None: irregular)."""
    code = ord(sep)
    if not _regular_quotes(octets, code):
        return None
    found = _structure(octets, code)
    if found.longest > csv.field_size_limit():  # the csv module raises on such fields
        return None
    starts = np.concatenate([[0], found.ends[:-1] + 1]).astype(np.int64)
    stops = found.ends.copy()
    crlf = (stops > starts) & (stops < len(octets))
    crlf[crlf] = (octets[stops[crlf]] == _LF) & (octets[stops[crlf] - 1] == _CR)
    stops[crlf] -= 1  # a CRLF line end: the CR is not part of the record
    fields = np.diff(found.seps_before, prepend=0) + 1
    fields[stops == starts] = 0  # an empty line: no field at all
    blank = fields == 0
    single = np.flatnonzero(fields == 1)
    if len(single) > _MAX_ONE_FIELD:
        return None
    for i in single.tolist():  # a single field: blank when it holds only white space
        text = octets[starts[i] : stops[i]].tobytes().decode("utf-8")
        recs = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=False))
        if len(recs) != 1:
            return None
        fields[i], blank[i] = len(recs[0]), len(recs[0]) == 1 and not recs[0][0].strip()
    return fields, blank


def _body_start(text: str, header_lines: int) -> int:
    """Offset in ``text`` just after the header's last line (its end of line included)."""
    for i, m in enumerate(re.finditer(r"\r\n|\r|\n", text), start=1):
        if i == header_lines:
            return m.end()
    return len(text)
