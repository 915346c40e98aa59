"""Fast path for regular UTF-8 CSV files: pyarrow's CSV parser, pandas' C-engine types.

Private helper of :mod:`sahel_geo.io._tables`. :func:`read_regular_csv` parses a plain
(uncompressed) UTF-8 file whose every record has the header's field count with
``pyarrow.csv`` (streamed a block at a time, under a progress bar over the bytes), every
column as text, and then gives each column the dtype pandas' C engine would infer
(``int64``, ``float64`` where a number is missing or the text has a fraction, ``str``
otherwise, ``float64`` NaN for an empty column), with pandas' default missing-value
strings. It returns ``None`` -- the caller then reads the file the general way, which
decides every case and says what is wrong -- whenever the file is anything else:
compressed, not UTF-8, with a BOM other than UTF-8's, blank lines (leading or inside),
a record with more or fewer fields than the header (ragged or cut-off rows), an odd
number of quotes (ends inside a quoted value), NUL bytes, a one-column header, no data
rows, or a column whose types the two engines could read differently (numbers padded
with blanks, ``True``/``False`` columns, hexadecimal, ``NAN``, integers past int64).
The output equals the general path's frame, checked by the differential tests
(``tests/io/test_read_arrow.py``).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from sahel_geo.core.progress import progress

__all__ = ["ArrowHead", "arrow_head", "read_regular_csv"]

logger = logging.getLogger("sahel_geo.io.events")  # a private helper of the readers

#: pandas' default missing-value strings (``pandas.read_csv`` ``na_values``).
_NA_VALUES: Final = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
    "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip
#: Bytes of the file's head read to check it and parse the header.
_HEAD: Final = 1 << 16
#: Bytes parsed at a time (and the progress bar's step): small blocks keep pyarrow's
#: threads busy (2 MiB: 1.05 s against 1.38 s with 16 MiB for a 400 MB file on 2 cores);
#: a record longer than a block makes pyarrow fail, and the general reader takes over.
_BLOCK: Final = 1 << 21
#: Bytes counted at a time by the quote and NUL scan.
_SCAN_BLOCK: Final = 1 << 24
#: Leading bytes of files the fast path leaves to the general reader (containers,
#: binary formats, UTF-16/32 marks).
_NOT_PLAIN: Final = (
    b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"PK\x03\x04", b"%PDF", b"PAR1",
    b"SQLite format 3", b"\xd0\xcf\x11\xe0", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff",
)  # fmt: skip
_BOM: Final = b"\xef\xbb\xbf"
_QUOTE: Final = 0x22
#: A cell pandas could read as a number or a boolean (blanks around it allowed).
_NUMBER_LIKE: Final = (
    r"^\s*([+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|(?i:inf|infinity))"
    r"|(?i:true|false))\s*$"
)
#: The same in Python (more permissive: a cell it refuses is no number to pandas either).
_NUMBER_CELL: Final = re.compile(
    r"\s*([+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?|inf|infinity)|true|false)\s*\Z",
    re.IGNORECASE,
)
#: Bytes of a number that is not an integer (fraction, exponent, inf).
_FRACTION: Final = (b".", b"e", b"E", b"i", b"I")
_NUMBER_START: Final = re.compile(r"\s*[+-]?(\d|\.\d|(?i:inf))|(?i:true|false)\s*$")


@dataclass(frozen=True)
class ArrowHead:
    """What the fast path needs from the file's head: header, delimiter, header bytes."""

    header: list[str]
    sep: str
    header_bytes: int


def arrow_head(p: Path, encoding: str | None, sniff: Any) -> ArrowHead | None:
    """Check the file's head for the fast path; its header and delimiter (None: no).

    ``sniff(header_line, suffix)`` returns the delimiter (the general reader's rule).
    """
    named = None if encoding is None else encoding.lower().replace("_", "-")
    if named not in {None, "utf-8", "utf8", "utf-8-sig"}:
        return None
    with open(p, "rb") as fh:
        head = fh.read(_HEAD)
    if head.startswith(_NOT_PLAIN) or b"\x00" in head:
        return None
    if head.startswith(_BOM) and named in {"utf-8", "utf8"}:
        return None  # the general reader keeps the mark in the first name, as asked
    start = len(_BOM) if head.startswith(_BOM) else 0
    line_end = re.search(rb"\r\n|\r|\n", head[start:])
    if line_end is None or not head[start : start + 1].strip():
        return None  # no whole header line in the head, or leading blank lines
    try:
        line = head[start : start + line_end.start()].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if line.lstrip().lower().startswith(("<!doctype html", "<html")) or line.count('"') % 2:
        return None  # an HTML page, or a header spanning lines: the general reader
    sep = sniff(line, p.suffix.lower())
    header = next(csv.reader(io.StringIO(line), delimiter=sep, strict=False), [])
    if len(header) < 2:
        return None
    return ArrowHead(header, sep, start + line_end.end())


class _Scan(threading.Thread):
    """Count the quotes and look for NUL bytes after the header, beside the parse.

    The count runs in its own thread while pyarrow parses (pyarrow releases the GIL):
    an odd count means the file ends inside a quoted value, which pyarrow reads as if
    the quote were closed.
    """

    def __init__(self, p: Path, offset: int) -> None:
        super().__init__(daemon=True)
        self._p, self._offset = p, offset
        self.quotes = 0
        self.nul = False

    def run(self) -> None:
        buf = bytearray(_SCAN_BLOCK)
        octets = np.frombuffer(buf, dtype=np.uint8)
        with open(self._p, "rb") as fh:
            fh.seek(self._offset)
            while n := fh.readinto(buf):
                self.quotes += int(np.count_nonzero(octets[:n] == _QUOTE))  # no GIL held
                self.nul = self.nul or buf.find(b"\x00", 0, n) >= 0


def _options(names: list[str], sep: str, as_text: bool) -> dict[str, Any]:
    return {
        "read_options": pa_csv.ReadOptions(
            column_names=names, skip_rows=1, block_size=_BLOCK, use_threads=True
        ),
        "parse_options": pa_csv.ParseOptions(
            delimiter=sep, newlines_in_values=True, ignore_empty_lines=False
        ),
        "convert_options": pa_csv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            null_values=[""] if as_text else list(_NA_VALUES),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    }


def _parse(p: Path, head: ArrowHead, names: list[str], as_text: bool) -> pa.Table | None:
    """Parse the records after the header as text columns (None: not a regular file)."""
    size = p.stat().st_size
    scan = _Scan(p, head.header_bytes)
    scan.start()
    batches = []
    options = _options(names, head.sep, as_text)
    try:
        with (
            progress(total=size, desc=f"reading {p.name}", unit="B", unit_scale=True) as bar,
            pa.input_stream(str(p)) as stream,
        ):
            bar.update(head.header_bytes)
            reader = pa_csv.open_csv(stream, **options)
            for batch in reader:  # a batch per block of bytes
                batches.append(batch)
                bar.update(min(_BLOCK, size - bar.n))
        table = pa.Table.from_batches(batches, schema=_text_schema(names))
    except (pa.ArrowException, OSError, ValueError) as exc:
        logger.debug("%s: the general CSV reader takes over (%s)", p, exc)
        return None
    finally:
        scan.join()
    if scan.nul or scan.quotes % 2 or table.num_rows == 0 or _empty_rows(table):
        return None
    return table


def _text_schema(names: list[str]) -> pa.Schema:
    return pa.schema([(n, pa.string()) for n in names])


def _empty_rows(table: pa.Table) -> bool:
    """Whether some row has no value at all (pyarrow reads an empty line so).

    The general reader tells an empty line (skipped, counted) from a row of empty cells.
    """
    fullest = min(table.columns, key=lambda c: c.null_count)
    if fullest.null_count == 0:
        return False
    empty = pc.is_null(fullest)
    for column in table.columns:
        if column.null_count:
            empty = pc.and_(empty, pc.is_null(column))
        else:
            return False
    return bool(pc.any(empty).as_py())


def _first_value(column: pa.ChunkedArray) -> Any:
    for chunk in column.chunks:
        if chunk.null_count < len(chunk):
            return chunk.drop_null()[0].as_py()
    return None


def _any(mask: pa.ChunkedArray | pa.Array) -> bool:
    return bool(pc.any(mask).as_py())


def _numbers(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Return the column as pandas' C engine types it (None: the engines may disagree)."""
    if _has_bytes(column, (b"x", b"X")):  # pyarrow reads hexadecimal integers, pandas not
        return None if _all_number_like(column) else column
    fraction = _has_bytes(column, _FRACTION)
    if not fraction:
        try:
            whole = pc.cast(column, pa.int64())
            return whole if column.null_count == 0 else pc.cast(whole, pa.float64())
        except pa.ArrowInvalid:
            pass
    try:
        real = pc.cast(column, pa.float64())
    except pa.ArrowInvalid as exc:  # text, unless every cell could still be a number to pandas
        return None if _all_number_like(column, _failed_cell(exc)) else column
    if not fraction or _any(pc.is_nan(real)):
        return None  # integers pyarrow would not read ("+5", past int64), or "NAN"
    return real


def _failed_cell(exc: Exception) -> str | None:
    found = re.search(r"Failed to parse string: '(.*)' as a scalar", str(exc), re.DOTALL)
    return found.group(1) if found else None


def _chunk_text(chunk: pa.Array) -> bytes:
    """Return the UTF-8 bytes of a string array's values (its slice only)."""
    offsets, data = chunk.buffers()[1:3]
    if data is None or not len(chunk):
        return b""
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    bounds = np.frombuffer(offsets, dtype=width)[[chunk.offset, chunk.offset + len(chunk)]]
    text: bytes = data.to_pybytes()[int(bounds[0]) : int(bounds[1])]
    return text


def _has_bytes(column: pa.ChunkedArray, needles: tuple[bytes, ...]) -> bool:
    """Whether the text of a string column holds any of the bytes (a memchr per chunk)."""
    for chunk in column.chunks:
        text = _chunk_text(chunk)
        if any(n in text for n in needles):
            return True
    return False


def _all_number_like(column: pa.ChunkedArray, failed: str | None = None) -> bool:
    """Whether every cell could be a number or a boolean to pandas.

    A cell pyarrow failed on, then the first thousand, are checked in Python first (its
    classes match more than RE2's: a "no" there is a "no" here too).
    """
    if failed is not None and not _NUMBER_CELL.match(failed):
        return False
    sample = column.slice(0, 1000).drop_null().to_pylist()
    if not all(_NUMBER_CELL.match(v) for v in sample):
        return False
    return bool(pc.all(pc.match_substring_regex(column, _NUMBER_LIKE)).as_py())


def _typed(table: pa.Table, as_text: bool) -> pa.Table | None:
    """Give each text column pandas' C-engine type (None: a column is ambiguous)."""
    if as_text:
        return table
    columns = []
    for column in table.columns:
        if column.null_count == len(column):
            columns.append(pc.cast(column, pa.float64()))  # pandas: an empty column is NaN
            continue
        first = _first_value(column)
        if not _NUMBER_START.match(first):
            columns.append(column)
            continue
        typed = _numbers(column)
        if typed is None:
            return None
        columns.append(typed)
    return pa.table(columns, names=table.column_names)


def read_regular_csv(
    p: Path, head: ArrowHead, names: list[str], *, as_text: bool
) -> pd.DataFrame | None:
    """Read a regular UTF-8 CSV file as pandas' C engine would (None: not regular).

    Parameters
    ----------
    p
        The file.
    head
        Its header and delimiter (:func:`arrow_head`).
    names
        The column names to give the table (the header's, blanks named as pandas does).
    as_text
        Keep every cell as text (only empty cells missing), else pandas' inferred types.

    Returns
    -------
    pandas.DataFrame or None
        The table (``RangeIndex``), or None when the file is not regular (module
        docstring): the caller reads it the general way.
    """
    table = _parse(p, head, names, as_text)
    if table is None:
        return None
    typed = _typed(table, as_text)
    if typed is None:
        logger.debug("%s: a column may be typed differently; the general reader takes over", p)
        return None
    del table
    frame: pd.DataFrame = typed.to_pandas(split_blocks=True, self_destruct=True)
    del typed
    # the parse's blocks and the text of the numeric columns are free now: mimalloc keeps
    # freed memory for pyarrow, while the event build allocates from malloc; give it back
    pa.default_memory_pool().release_unused()
    return frame
