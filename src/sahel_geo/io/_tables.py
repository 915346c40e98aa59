"""Reading event tables from files: CSV (with the encoding fallback) and XLSX sheets.

Private helper of the event readers (:mod:`sahel_geo.io.events`): structural problems
(missing, empty or unreadable file, missing sheet) raise
:class:`~sahel_geo.InputFileError` with the fix; the table itself comes back untouched.
Its warnings point at the first line outside the ``sahel_geo`` package (the user's call
of the public reader), never at this private module, whichever reader called it.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import pandas as pd

from sahel_geo.core.errors import InputFileError, SahelGeoWarning

__all__ = ["read_table"]


def _check_file(path: str | os.PathLike[str], reader: str) -> Path:
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


def _read_csv(p: Path, encoding: str | None, sep: str, reader: str) -> pd.DataFrame:
    def attempt(enc: str) -> pd.DataFrame:
        return pd.read_csv(p, encoding=enc, sep=sep, low_memory=False)

    try:
        if encoding is not None:
            try:
                return attempt(encoding)
            except UnicodeDecodeError as exc:
                raise InputFileError(
                    f"{reader}: {p} is not valid {encoding} text ({exc.reason}). Pass the "
                    "file's real encoding, e.g. encoding='cp1252' or encoding='latin-1'."
                ) from exc
        try:
            return attempt("utf-8-sig")
        except UnicodeDecodeError:
            pass
        warnings.warn(
            f"{p} is not UTF-8; read it as cp1252 (Windows Western European). If names "
            "look wrong (e.g. 'SÃ©gou'), pass the file's encoding, e.g. encoding='latin-1'.",
            SahelGeoWarning,
            stacklevel=_caller_stacklevel(),
        )
        try:
            return attempt("cp1252")
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"{reader}: {p} is neither UTF-8 nor cp1252 text ({exc.reason}). Pass the "
                "file's encoding, e.g. encoding='latin-1' or encoding='utf-16'."
            ) from exc
    except pd.errors.EmptyDataError as exc:
        raise InputFileError(
            f"{reader}: {p} has no header row (only blank lines). Export the data again."
        ) from exc
    except pd.errors.ParserError as exc:
        raise InputFileError(
            f"{reader}: {p} is not a well-formed CSV file ({exc}). Check the delimiter and "
            "quoting, or re-export the file as CSV."
        ) from exc


def _read_excel(p: Path, sheet: str | int | None, reader: str) -> pd.DataFrame:
    import openpyxl

    try:
        book = openpyxl.load_workbook(p, read_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise InputFileError(
            f"{reader}: {p} is not a readable XLSX workbook ({type(exc).__name__}: {exc}). "
            "Open it in a spreadsheet program and save it as .xlsx or .csv."
        ) from exc
    names = list(book.sheetnames)
    book.close()
    if sheet is None:
        target: str | int = 0
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise InputFileError(
                f"{reader}: {p} has {len(names)} sheet(s) {names}; there is no sheet number "
                f"{sheet}. Pass sheet= one of those names or a number from 0 to {len(names) - 1}."
            )
        target = sheet
    else:
        if sheet not in names:
            raise InputFileError(
                f"{reader}: {p} has no sheet {sheet!r}. Its sheets are {names}: pass "
                "sheet= one of them."
            )
        target = sheet
    frame = pd.read_excel(p, sheet_name=target, engine="openpyxl")
    if frame.columns.empty:
        raise InputFileError(
            f"{reader}: sheet {target!r} of {p} is empty (no header row). Pass sheet= the "
            f"sheet with the data; sheets: {names}."
        )
    return frame


def read_table(
    path: str | os.PathLike[str],
    *,
    encoding: str | None,
    sheet: str | int | None,
    reader: str,
) -> tuple[pd.DataFrame, Path]:
    """Read a CSV (any delimiter by suffix: ``.tsv``/``.tab`` are tab-separated) or XLSX file.

    Raises InputFileError for a missing, empty or unreadable file or a missing sheet.
    """
    p = _check_file(path, reader)
    suffix = p.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _read_excel(p, sheet, reader), p
    if suffix == ".xls":
        raise InputFileError(
            f"{reader}: {p} is an old-style .xls workbook. Open it in a spreadsheet program "
            "and save it as .xlsx or .csv."
        )
    with open(p, "rb") as fh:
        magic = fh.read(4)
    if magic == b"PK\x03\x04" and suffix not in {".zip"}:
        raise InputFileError(
            f"{reader}: {p} is a ZIP/XLSX file, not CSV text. Rename it to .xlsx (a "
            "workbook) or .zip (a zipped CSV)."
        )
    sep = "\t" if suffix in {".tsv", ".tab"} else ","
    return _read_csv(p, encoding, sep, reader), p
