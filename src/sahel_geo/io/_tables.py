"""Reading tables from files: CSV text in any common encoding and container, XLSX sheets.

Private helper of the event readers (:mod:`sahel_geo.io.events`) and the indicator reader:
structural problems (missing, empty, binary or unreadable file, missing sheet, a header
naming a column twice) raise :class:`~sahel_geo.InputFileError` or
:class:`~sahel_geo.SchemaError` with the fix; the table itself comes back untouched.

What is read, and how:

- containers, told by their first bytes whatever the suffix: gzip, bzip2 and xz
  compressed files, a ZIP archive holding one CSV file (several files, or an XLSX
  workbook named ``.csv``, are errors saying what the file is);
- encodings: a byte-order mark (UTF-8, UTF-16 as Excel's "Unicode text", UTF-32), UTF-16
  without a mark (every other byte NUL), UTF-8, then cp1252 with a
  :class:`~sahel_geo.SahelGeoWarning`; ``encoding=`` overrides;
- the delimiter, sniffed from the header line: comma, semicolon (European exports with
  decimal commas), tab or pipe (``.tsv``/``.tab`` prefer tab);
- the layout of the CSV text, kept with the table (:func:`table_layout`): the row number
  of every data row as a spreadsheet shows it (blank lines counted, so they never shift
  the rows named in rejects; the spreadsheet row is ``row + 1``), the blank lines
  skipped, rows with fewer or more fields than the header, and a last row cut off by a
  partial download (the file ends inside a quoted value, or mid-row without a line end).

A plain UTF-8 CSV file whose records all have the header's field count is parsed by
pyarrow (:mod:`sahel_geo.io._csv_arrow`), typed as pandas' C engine would; every other
file takes the general path below, which gives the same table for the files both read.

Its warnings point at the first line outside the ``sahel_geo`` package (the user's call
of the public reader), never at this private module, whichever reader called it.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import sys
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sahel_geo.core.errors import InputFileError, SahelGeoWarning, SchemaError
from sahel_geo.io._csv_arrow import arrow_head, read_regular_csv
from sahel_geo.io._csv_scan import Records, count_records

__all__ = [
    "LAYOUT_KEY",
    "TableLayout",
    "check_source",
    "read_table",
    "sniff_delimiter",
    "table_layout",
]

#: Key of the :class:`TableLayout` in the ``attrs`` of a table read from a CSV file.
LAYOUT_KEY: Final = "sahel_geo_table_layout"

_DELIMITERS: Final = (",", ";", "\t", "|")
_DELIMITER_NAMES: Final = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass(frozen=True, eq=False)
class TableLayout:
    """Where each data row of a CSV file stands, and the rows that are not whole.

    Attributes
    ----------
    rows
        Row number of each data row of the table (1-based, header excluded, blank lines
        counted: the spreadsheet row is ``row + 1``).
    fields
        Number of fields each data row has in the file.
    n_header
        Number of fields of the header.
    truncated
        Why the last row is cut off ("" when it is whole).
    blank_lines
        Blank lines skipped (not data rows).
    delimiter
        The delimiter the file was read with.
    """

    rows: NDArray[np.int64]
    fields: NDArray[np.int64]
    n_header: int
    truncated: str = ""
    blank_lines: int = 0
    delimiter: str = ","

    def __post_init__(self) -> None:
        # int64 arrays, read-only: a Python tuple of 10M row numbers held ~360 MB
        for name in ("rows", "fields"):
            arr = np.array(getattr(self, name), dtype=np.int64)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TableLayout):
            return NotImplemented
        return (
            np.array_equal(self.rows, other.rows)
            and np.array_equal(self.fields, other.fields)
            and (self.n_header, self.truncated, self.blank_lines, self.delimiter)
            == (other.n_header, other.truncated, other.blank_lines, other.delimiter)
        )

    __hash__ = object.__hash__

    def __deepcopy__(self, memo: dict[int, Any]) -> TableLayout:
        # Immutable and shared on purpose: pandas deep-copies attrs on every operation.
        return self


def table_layout(raw: pd.DataFrame) -> TableLayout | None:
    """Return the layout of a table read from CSV text by :func:`read_table` (None otherwise)."""
    layout = raw.attrs.get(LAYOUT_KEY)
    if isinstance(layout, TableLayout) and len(layout.rows) == len(raw):
        return layout
    return None


def check_source(path: object, reader: str) -> None:
    """Raise unless ``path`` is a path (``str`` or ``os.PathLike``) or a DataFrame."""
    if isinstance(path, str | os.PathLike | pd.DataFrame):
        return
    raise InputFileError(
        f"{reader}: expected the path of a file (a str or pathlib.Path) or a pandas "
        f"DataFrame; got {_describe(path)}. Pass the file's path, e.g. "
        f"{reader}('events.csv'), or a table already in memory, e.g. "
        f"{reader}(pandas.read_csv('events.csv'))."
    )


def _describe(obj: object) -> str:
    if obj is None:
        return "None"
    text = repr(obj)
    short = text if len(text) <= 40 else text[:37] + "..."
    return f"{type(obj).__name__} {short}"


def _check_file(path: str | os.PathLike[str], reader: str) -> Path:
    check_source(path, reader)
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{reader}: file not found: {p}. Check the path and the folder.")
    if not p.is_file():
        raise InputFileError(f"{reader}: {p} is not a file. Pass the path of a CSV or XLSX file.")
    if p.stat().st_size == 0:
        raise InputFileError(
            f"{reader}: {p} is empty (0 bytes). The download or export probably failed: "
            "export the data again."
        )
    return p


#: Files of the sahel_geo package start with this (its folder and a separator).
_PACKAGE_PREFIX: str = str(Path(__file__).resolve().parent.parent) + os.sep


def _in_package(filename: str) -> bool:
    return str(Path(filename).resolve()).startswith(_PACKAGE_PREFIX)


def _caller_stacklevel() -> int:
    """``stacklevel`` of the first frame outside the sahel_geo package, for warnings."""
    # frame 1 is the function calling warnings.warn (stacklevel 1), frame 2 its caller
    level, frame = 2, sys._getframe(2)
    while frame.f_back is not None and _in_package(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    return level


# --------------------------------------------------------------------------------------
# bytes: containers and encodings
# --------------------------------------------------------------------------------------

_BINARY: Final = (
    (b"%PDF", "a PDF document"),
    (b"PAR1", "a Parquet file (read it with geopandas.read_parquet or pandas.read_parquet)"),
    (b"SQLite format 3", "an SQLite database or GeoPackage (read it with geopandas.read_file)"),
    (b"\xd0\xcf\x11\xe0", "an old-style .xls workbook (save it as .xlsx or .csv)"),
)


def _unpack(data: bytes, p: Path, reader: str) -> bytes:
    """Return the file's bytes out of a gzip/bzip2/xz/ZIP container (as they are otherwise)."""
    try:
        if data[:2] == b"\x1f\x8b":
            return _unpack(gzip.decompress(data), p, reader)
        if data[:3] == b"BZh":
            return _unpack(bz2.decompress(data), p, reader)
        if data[:6] == b"\xfd7zXZ\x00":
            return _unpack(lzma.decompress(data), p, reader)
    except (OSError, EOFError, ValueError, lzma.LZMAError) as exc:
        raise InputFileError(
            f"{reader}: {p} is a compressed file that cannot be decompressed ({exc}); it is "
            "probably cut off (a partial download). Download it again."
        ) from exc
    if data[:4] == b"PK\x03\x04":
        return _unzip(data, p, reader)
    for magic, what in _BINARY:
        if data.startswith(magic):
            raise InputFileError(f"{reader}: {p} is {what}, not CSV text.")
    return data


def _unzip(data: bytes, p: Path, reader: str) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [
                n for n in zf.namelist() if not n.endswith("/") and not n.startswith("__MACOSX")
            ]
            if "xl/workbook.xml" in names:
                raise InputFileError(
                    f"{reader}: {p} is a ZIP/XLSX file, not CSV text. Rename it to .xlsx (a "
                    "workbook) or .zip (a zipped CSV)."
                )
            if len(names) != 1:
                raise InputFileError(
                    f"{reader}: {p} is a ZIP archive holding {len(names)} files {names[:10]}; "
                    "it must hold exactly one CSV file. Unzip it and pass the CSV file."
                )
            return _unpack(zf.read(names[0]), p, reader)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise InputFileError(
            f"{reader}: {p} is a ZIP archive that cannot be read ({exc}); it is probably cut "
            "off (a partial download). Download it again."
        ) from exc


def _bom_encoding(data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 4 and head.count(0) * 3 >= len(head):  # UTF-16 without a mark
        odd_nul = head[1::2].count(0) > head[0::2].count(0)
        return "utf-16-le" if odd_nul else "utf-16-be"
    return None


def _decode(data: bytes, encoding: str | None, p: Path, reader: str) -> str:
    """Text of the file: the given encoding, a BOM's, UTF-8, else cp1252 with a warning."""
    if encoding is not None:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"{reader}: {p} is not valid {encoding} text ({exc.reason}). Pass the "
                "file's real encoding, e.g. encoding='cp1252' or encoding='latin-1'."
            ) from exc
        except LookupError as exc:
            raise InputFileError(
                f"{reader}: encoding={encoding!r} is not a known text encoding. Pass e.g. "
                "encoding='utf-8', 'cp1252', 'latin-1' or 'utf-16'."
            ) from exc
    bom = _bom_encoding(data)
    if bom is not None and bom != "utf-8-sig":
        unit = 4 if bom == "utf-32" else 2
        try:  # a file cut mid-character (a partial download) loses that character only
            return data[: len(data) - len(data) % unit].decode(bom).removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f'{reader}: {p} looks like {bom.upper()} text (Excel\'s "Unicode text") but '
                f"is not valid {bom.upper()} ({exc.reason}). Export it again, or pass its "
                "encoding=."
            ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    warnings.warn(
        f"{p} is not UTF-8; read it as cp1252 (Windows Western European). If names "
        "look wrong (e.g. 'SÃ©gou'), pass the file's encoding, e.g. encoding='latin-1'.",
        SahelGeoWarning,
        stacklevel=_caller_stacklevel(),
    )
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{reader}: {p} is neither UTF-8 nor cp1252 text ({exc.reason}). Pass the "
            "file's encoding, e.g. encoding='latin-1' or encoding='utf-16'."
        ) from exc


def _check_text(text: str, p: Path, reader: str) -> None:
    head = text[:2048].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")):
        raise InputFileError(
            f"{reader}: {p} is an HTML page, not CSV text: probably a login or error page "
            "saved instead of the data. Download the export again (logged in)."
        )
    if "\x00" in text:
        raise InputFileError(
            f"{reader}: {p} is a binary file, not CSV text (it holds NUL bytes). Export the "
            "data as CSV (UTF-8) or XLSX, or pass its encoding, e.g. encoding='utf-16'."
        )


# --------------------------------------------------------------------------------------
# text: delimiter, records, layout
# --------------------------------------------------------------------------------------


def sniff_delimiter(header: str, suffix: str) -> str:
    """Return the delimiter the header line uses most (outside quotes); comma by default.

    Parameters
    ----------
    header
        The file's first line.
    suffix
        The file's suffix: ``.tsv``/``.tab`` prefer the tab when the header has one.

    Returns
    -------
    str
        One of ``,``, ``;``, tab and ``|`` (the first of equals, comma first).

    Examples
    --------
    >>> sniff_delimiter('event_id;"a;b";date', ".csv")
    ';'
    """
    counts = dict.fromkeys(_DELIMITERS, 0)
    inside = False
    for ch in header:
        if ch == '"':
            inside = not inside
        elif not inside and ch in counts:
            counts[ch] += 1
    if suffix in {".tsv", ".tab"} and counts["\t"]:
        return "\t"
    best = max(_DELIMITERS, key=lambda d: counts[d])  # first of equals: comma first
    return best if counts[best] else ","


def _header_names(header: list[str], p: Path, reader: str) -> list[str]:
    """Column names as pandas gives them (``Unnamed: i`` for blanks); a name twice raises."""
    names = [h if h.strip() else f"Unnamed: {i}" for i, h in enumerate(header)]
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        seen.setdefault(name, []).append(i)
    dupes = {n: pos for n, pos in seen.items() if len(pos) > 1}
    if dupes:
        where = "; ".join(
            f"{n!r} in columns " + " and ".join(f"{i + 1} ({_letters(i)})" for i in pos)
            for n, pos in dupes.items()
        )
        raise SchemaError(
            f"{reader}: the header of {p} names the same column twice: {where}. Rename or "
            "delete the extra column(s) so every column name is unique, then read the "
            "file again."
        )
    return names


def _letters(i: int) -> str:
    """Spreadsheet column letters of 0-based column ``i`` (0 -> A, 26 -> AA)."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _blank(data: bytes) -> bool:
    """Whether UTF-8 ``data`` holds only white space (as ``str.strip`` sees it)."""
    rest = data.strip()
    if not rest or 0x21 <= rest[0] <= 0x7E:  # printable ASCII: not white space
        return not rest
    return not rest.decode("utf-8").strip()


def _parse_text(
    data: bytes, sep: str, names: list[str], as_text: bool, n_records: int
) -> tuple[pd.DataFrame, bool]:
    """Parse the CSV text (UTF-8) with pandas; True when it ends inside a quoted value."""
    if _blank(data):  # header only, or blank lines after it
        empty = pd.DataFrame(
            {n: pd.Series(None, index=range(n_records), dtype=object) for n in names}
        )
        return empty, False
    options: dict[str, Any] = {"dtype": str, "keep_default_na": False, "na_values": [""]}
    kwargs = options if as_text else {"low_memory": False}
    for closed in (False, True):
        try:
            frame = pd.read_csv(
                io.BytesIO(data + b'"' if closed else data),
                encoding="utf-8",
                sep=sep,
                header=None,
                names=names,
                index_col=False,
                skip_blank_lines=False,
                **kwargs,
            )
            return frame, closed
        except pd.errors.ParserError as exc:
            if closed or "EOF inside string" not in str(exc):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _read_csv(p: Path, encoding: str | None, reader: str, *, as_text: bool = False) -> pd.DataFrame:
    """Read CSV text: the fast path for regular UTF-8 files, else the general one."""
    head = arrow_head(p, encoding, sniff_delimiter)
    if head is not None:
        names = _header_names(head.header, p, reader)
        frame = read_regular_csv(p, head, names, as_text=as_text)
        if frame is not None:
            n = len(frame)
            frame.attrs[LAYOUT_KEY] = TableLayout(
                rows=np.arange(1, n + 1, dtype=np.int64),
                fields=np.full(n, len(names), dtype=np.int64),
                n_header=len(names),
                delimiter=head.sep,
            )
            return frame
    return _read_csv_text(p, encoding, reader, as_text=as_text)


def _read_csv_text(
    p: Path, encoding: str | None, reader: str, *, as_text: bool = False
) -> pd.DataFrame:
    """Read any CSV text: decoded whole, records scanned, parsed by pandas' C engine."""
    text = _decode(_unpack(p.read_bytes(), p, reader), encoding, p, reader)
    _check_text(text, p, reader)
    stripped = text.lstrip("\r\n\t ")
    lead = text[: len(text) - len(stripped)]
    leading_lines = lead.count("\n") + lead.count("\r") - lead.count("\r\n")
    if not stripped:
        raise InputFileError(
            f"{reader}: {p} has no header row (only blank lines). Export the data again."
        )
    sep = sniff_delimiter(re.split(r"[\r\n]", stripped, maxsplit=1)[0], p.suffix.lower())
    rec = count_records(stripped, sep)
    names = _header_names(rec.header, p, reader)
    width = max(len(names), int(rec.fields.max()) if rec.fields.size else 0)
    extra = [f"__extra_field_{i}" for i in range(width - len(names))]
    try:
        frame, in_quote = _parse_text(rec.data, sep, names + extra, as_text, len(rec.fields))
    except pd.errors.ParserError as exc:
        raise InputFileError(
            f"{reader}: {p} is not a well-formed CSV file ({exc}). Check the delimiter and "
            "quoting, or re-export the file as CSV."
        ) from exc
    if len(frame) != len(rec.fields):  # the two parsers disagree: trust neither
        raise InputFileError(
            f"{reader}: {p} could not be split into rows consistently ({len(frame)} vs "
            f"{len(rec.fields)}): check its quoting, or re-export it as CSV."
        )
    return _with_layout(frame, rec, extra, _Cut(leading_lines, in_quote, stripped, sep))


@dataclass(frozen=True)
class _Cut:
    """What the layout needs to know about the text besides its records."""

    leading_lines: int
    in_quote: bool
    text: str
    sep: str


def _with_layout(frame: pd.DataFrame, rec: Records, extra: list[str], cut: _Cut) -> pd.DataFrame:
    """Drop blank lines and the extra columns; attach the rows' layout."""
    n_header = len(rec.header)
    long_extra = frame[extra].notna().any(axis=1).to_numpy() if extra else None
    fields = rec.fields.copy()
    if long_extra is not None:
        # fields beyond the header that are all empty (trailing delimiters) carry nothing
        fields = np.where((fields > n_header) & ~long_extra, n_header, fields)
    rows = np.arange(1, len(frame) + 1, dtype=np.int64) + cut.leading_lines
    truncated = ""
    keep = ~rec.blank
    if len(frame) and keep[-1]:
        if cut.in_quote:
            truncated = "the file ends inside a quoted value"
        elif fields[-1] < n_header and not cut.text.endswith(("\n", "\r")):
            truncated = f"the file ends mid-row ({fields[-1]} of {n_header} fields)"
    out = frame.loc[keep, [c for c in frame.columns if c not in extra]].reset_index(drop=True)
    out.attrs[LAYOUT_KEY] = TableLayout(
        rows=rows[keep],
        fields=fields[keep],
        n_header=n_header,
        truncated=truncated,
        blank_lines=int(rec.blank.sum()),
        delimiter=cut.sep,
    )
    return out


# --------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------


def _read_excel(
    p: Path, sheet: str | int | None, reader: str, *, as_text: bool = False
) -> pd.DataFrame:
    import openpyxl

    try:
        book = openpyxl.load_workbook(p, read_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise InputFileError(
            f"{reader}: {p} is not a readable XLSX workbook ({type(exc).__name__}: {exc}). "
            "Open it in a spreadsheet program and save it as .xlsx or .csv."
        ) from exc
    names = list(book.sheetnames)
    target = _sheet_target(p, names, sheet, reader)
    ws = book[names[target] if isinstance(target, int) else target]
    header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    book.close()
    _header_names(["" if h is None else str(h) for h in header], p, reader)
    frame = pd.read_excel(
        p, sheet_name=target, engine="openpyxl", dtype=object if as_text else None
    )
    if frame.columns.empty:
        raise InputFileError(
            f"{reader}: sheet {target!r} of {p} is empty (no header row). Pass sheet= the "
            f"sheet with the data; sheets: {names}."
        )
    return frame


def _sheet_target(p: Path, names: list[str], sheet: str | int | None, reader: str) -> str | int:
    if sheet is None:
        return 0
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise InputFileError(
                f"{reader}: {p} has {len(names)} sheet(s) {names}; there is no sheet number "
                f"{sheet}. Pass sheet= one of those names or a number from 0 to {len(names) - 1}."
            )
        return sheet
    if sheet not in names:
        raise InputFileError(
            f"{reader}: {p} has no sheet {sheet!r}. Its sheets are {names}: pass "
            "sheet= one of them."
        )
    return sheet


def read_table(
    path: str | os.PathLike[str],
    *,
    encoding: str | None,
    sheet: str | int | None,
    reader: str,
    as_text: bool = False,
) -> tuple[pd.DataFrame, Path]:
    """Read a CSV (any container, encoding and common delimiter) or XLSX file.

    ``as_text=True`` keeps every CSV cell as text (only empty cells missing) and every
    XLSX cell as it is (``dtype=object``). A CSV table carries its :class:`TableLayout`
    (:func:`table_layout`). Raises InputFileError for a missing, empty, binary or
    unreadable file or a missing sheet, SchemaError for a header naming a column twice.
    """
    p = _check_file(path, reader)
    suffix = p.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        with open(p, "rb") as fh:
            if fh.read(4) == b"PK\x03\x04":
                return _read_excel(p, sheet, reader, as_text=as_text), p
    if suffix == ".xls":
        raise InputFileError(
            f"{reader}: {p} is an old-style .xls workbook. Open it in a spreadsheet program "
            "and save it as .xlsx or .csv."
        )
    if suffix in {".xlsx", ".xlsm"}:
        raise InputFileError(
            f"{reader}: {p} is not a readable XLSX workbook (it is not a ZIP file; it may be "
            "CSV text with the wrong suffix). Rename it to .csv if it is text, or open it "
            "in a spreadsheet program and save it as .xlsx."
        )
    return _read_csv(p, encoding, reader, as_text=as_text), p
