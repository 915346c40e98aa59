"""Admin indicator tables (HDX CSV with or without an HXL row, XLSX), joined to boundaries.

Rows are joined to boundary units by P-code first; where codes differ (COD-AB ``ML09``
against the bundled ISO 3166-2 ``ML-BKO``), by name: accents, case, punctuation, generic words
("Mopti region"), alternative spellings (the boundaries' ``name_alt``, e.g.
Tombouctou/Timbuktu) and broken encodings are handled by :mod:`sahel_geo.core.names`. Tables
that carry only P-codes (WFP rainfall indicators) get their names from a ``names``
crosswalk (P-code -> name), e.g. another COD-AB table. Every unmatched name is reported.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sahel_geo.core.errors import InputFileError, SahelGeoWarning, SchemaError
from sahel_geo.core.names import NameMatch, match_names
from sahel_geo.core.reports import StepReport, attach_report, empty_rejects
from sahel_geo.io._tables import read_table

__all__ = ["MATCH_KINDS", "read_indicators", "unit_values"]

logger = logging.getLogger(__name__)

#: Values of the ``match`` column.
MATCH_KINDS: dict[str, str] = {
    "pcode": "the row's P-code is a boundary P-code",
    "pcode_loose": "same P-code once leading zeros of the number are ignored (NE001 = NE01)",
    "name": "the normalised name equals a boundary name",
    "alt_name": "the name equals one of the boundary's alternative names (name_alt)",
    "alias": "a known alternative spelling, or the name without spaces",
    "fuzzy": "the single closest spelling (e.g. Comoe/Komoé): worth a look",
    "unmatched": "no boundary has this P-code or name (reported)",
    "ambiguous": "the name fits several boundaries (reported)",
    "other_level": "the row is at another admin level than the one asked for",
    "not_joined": "no boundaries were given",
}

# Column names, most specific first (HXL tags are matched separately).
_PCODE_COLS = (
    "ADM3_PCODE",
    "adm3_pcode",
    "ADM2_PCODE",
    "adm2_pcode",
    "ADMIN2PCOD",
    "ADM1_PCODE",
    "adm1_pcode",
    "ADMIN1PCOD",
    "PCODE",
    "pcode",
    "Pcode",
    "P_CODE",
    "admin_pcode",
)
_NAME_COLS = (
    "ADM3_FR",
    "ADM3_EN",
    "adm3_name",
    "ADM2_FR",
    "ADM2_EN",
    "adm2_name",
    "ADMIN2NAME",
    "ADM1_FR",
    "ADM1_EN",
    "adm1_name",
    "ADMIN1NAME",
    "admin_name",
    "name",
    "Name",
    "NAME",
)
_LEVEL_COLS = ("adm_level", "admin_level", "level", "ADM_LEVEL")
_ISO2_TO_ISO3 = {"ML": "MLI", "NE": "NER", "BF": "BFA", "MR": "MRT", "TD": "TCD", "SN": "SEN"}


def _has_hxl_row(first_data_row: pd.Series) -> bool:
    vals = [str(v).strip() for v in first_data_row.tolist() if isinstance(v, str) and v.strip()]
    return bool(vals) and sum(v.startswith("#") for v in vals) >= max(1, len(vals) // 2)


def _read_table(
    path: Path, *, sheet: str | int | None, encoding: str | None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read the table as text (the events readers' reader); drop an HXL hashtag row."""
    raw, _ = read_table(
        path, encoding=encoding, sheet=sheet, reader="read_indicators", as_text=True
    )
    raw.attrs.clear()  # the CSV layout is the events readers' business
    hxl: dict[str, str] = {}
    if len(raw) and _has_hxl_row(raw.iloc[0]):
        hxl = {str(c): str(t).strip() for c, t in raw.iloc[0].items() if isinstance(t, str)}
        raw = raw.iloc[1:].reset_index(drop=True)
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            raw = raw.infer_objects()
    return raw, hxl


#: A number written with a decimal comma, optionally with thousands separators
#: (space, no-break space, narrow no-break space, dot, apostrophe): "1 234,5", "12,75".
_DECIMAL_COMMA = re.compile(r"[+-]?(\d{1,3}([ .\u00a0\u202f']\d{3})+|\d+)(,\d+)?")


def _decimal_comma(values: pd.Series) -> pd.Series | None:
    """Parse a text column of decimal-comma numbers; None unless every value is one."""
    text = values.dropna().astype(str).str.strip()
    if text.empty or not text.map(lambda v: _DECIMAL_COMMA.fullmatch(v) is not None).all():
        return None
    if not text.str.contains(r"[, .\u00a0\u202f']", regex=True).any():
        return None  # plain integers: pd.to_numeric already read them
    plain = values.astype("string").str.strip().str.replace(r"[ .\u00a0\u202f']", "", regex=True)
    return pd.to_numeric(plain.str.replace(",", ".", regex=False), errors="coerce")


def _numeric(df: pd.DataFrame, skip: set[str], path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Parse number columns (decimal commas too); warn about mostly-number text columns.

    Returns the table and the columns read with a decimal comma.
    """
    out = df.copy()
    comma_cols: list[str] = []
    for c in out.columns:
        if c in skip:
            continue
        present = out[c].notna()
        conv = pd.to_numeric(out[c], errors="coerce")
        if not present.any():
            continue
        if conv.notna().sum() == present.sum():
            out[c] = conv
            continue
        text = out[c].dtype == object or pd.api.types.is_string_dtype(out[c])
        comma = _decimal_comma(out[c]) if text else None
        if comma is not None:
            out[c] = comma
            comma_cols.append(str(c))
        elif conv.notna().sum() * 2 >= present.sum():
            _warn_text_numbers(path, str(c), out[c], present & conv.isna())
    return out, comma_cols


def _warn_text_numbers(path: Path, column: str, values: pd.Series, bad: pd.Series) -> None:
    """Warn that a column of mostly numbers holds some text, so it stays text."""
    rows = np.flatnonzero(bad.to_numpy())
    shown = ", ".join(f"row {r + 1}: {values.iloc[r]!r}" for r in rows[:5])
    warnings.warn(
        f"{path}: column {column!r} holds numbers but {rows.size} value(s) are not numbers "
        f"({shown}{' ...' if rows.size > 5 else ''}; data rows, 1-based), so it is kept as "
        "text and left out of rates and maps. Fix or blank those cells to use it.",
        SahelGeoWarning,
        stacklevel=4,
    )


def unit_values(table: pd.DataFrame, *, key: str = "boundary_pcode") -> pd.DataFrame:
    """Return one row per unit of a per-unit indicator table, its number columns by unit.

    Rows that repeat a unit must agree: a unit with different values in two rows is an
    error naming the unit and both rows (never the first kept silently). Rows without a
    unit (unmatched) are left out; they are already reported by :func:`read_indicators`.

    Parameters
    ----------
    table
        A table from :func:`read_indicators` (joined to boundaries).
    key
        The column naming each row's unit.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``key``: the table's number columns (not the match metadata).

    Raises
    ------
    SchemaError
        A unit appears in rows with different values.

    Examples
    --------
    >>> t = pd.DataFrame({"boundary_pcode": ["A", "A", "B"], "pop": [10, 10, 5]})
    >>> unit_values(t)["pop"].to_dict()
    {'A': 10, 'B': 5}
    """
    if key not in table.columns:
        raise SchemaError(f"The indicator table has no {key!r} column; read it with boundaries=.")
    meta = {key, "pcode", "name", "admin_level", "boundary_name", "match"}
    numbers = [
        c for c in table.columns if c not in meta and pd.api.types.is_numeric_dtype(table[c])
    ]
    rows = table[table[key].notna()]
    distinct = rows[[key, *numbers]].drop_duplicates()
    clash = distinct[key].duplicated(keep=False)
    if clash.any():
        unit = distinct.loc[clash, key].iloc[0]
        where = np.flatnonzero((rows[key] == unit).to_numpy())
        first, second = rows.iloc[where[0]], rows.iloc[where[1:]].iloc[0]
        differ = [c for c in numbers if not _same(first[c], second[c])]
        shown = ", ".join(f"{c}: {_plain(first[c])!r} vs {_plain(second[c])!r}" for c in differ[:5])
        raise SchemaError(
            f"Unit {unit!r} appears in data rows {rows.index[where[0]] + 1} and "
            f"{rows.index[where[1]] + 1} of the indicator table with different values "
            f"({shown}); "
            f"{int(clash.sum())} rows clash in all. Keep one row per unit (or aggregate "
            "them) before joining."
        )
    return distinct.set_index(key)[numbers]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _same(a: Any, b: Any) -> bool:
    return bool((pd.isna(a) and pd.isna(b)) or a == b)


def _find(
    columns: list[str], candidates: tuple[str, ...], hxl: Mapping[str, str], tags: tuple[str, ...]
) -> str | None:
    for c in candidates:
        if c in columns:
            return c
    for c, tag in hxl.items():
        if any(tag.lower().startswith(t) for t in tags):
            return c
    return None


def _loose(code: object) -> str | None:
    if not isinstance(code, str):
        return None
    m = re.fullmatch(r"\s*([A-Za-z]+)0*(\d+)\s*", code)
    return f"{m.group(1).upper()}{int(m.group(2))}" if m else None


def read_indicators(
    path: str | os.PathLike[str],
    *,
    boundaries: pd.DataFrame | None = None,
    level: int | None = None,
    names: Mapping[str, str] | pd.Series | None = None,
    pcode_column: str | None = None,
    name_column: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read an admin indicator table and join it to boundary units.

    Parameters
    ----------
    path
        HDX-style CSV (an HXL hashtag row under the header is detected and dropped; its
        tags help find the P-code and name columns) or XLSX.
    boundaries
        Canonical boundaries (``pcode``, ``name``; ``name_alt`` and ``country_iso3`` used
        when present). None: read only.
    level
        Admin level to join (rows of other levels are kept, ``match="other_level"``).
        Needs a level column (``adm_level``) in the table.
    names
        P-code -> name crosswalk for tables without names (e.g. built from a COD-AB
        table: ``cdi.drop_duplicates("ADMIN1PCOD").set_index("ADMIN1PCOD")["ADMIN1NAME"]``).
    pcode_column, name_column
        Override the detected columns.
    sheet
        XLSX sheet (default: the first).
    encoding
        Text encoding of a CSV file. By default the file is read as the event readers
        read theirs: a byte-order mark's encoding (UTF-8, or UTF-16 as Excel's "Unicode
        text"), else UTF-8, else cp1252 (Latin-1 tables) with a
        :class:`~sahel_geo.SahelGeoWarning`; compressed files and semicolon or tab
        delimiters are recognised too (:mod:`sahel_geo.io.events`, "Files"). Every CSV
        cell is read as text, then number columns are parsed.

    Returns
    -------
    pandas.DataFrame
        Every row and column of the file (numbers parsed), plus ``pcode``, ``name``,
        ``admin_level`` (when known), ``boundary_pcode``, ``boundary_name`` and ``match``
        (see :data:`MATCH_KINDS`). A :class:`~sahel_geo.StepReport` with the counts by
        match kind is attached; every unmatched or ambiguous name is listed in a
        :class:`~sahel_geo.SahelGeoWarning`.

    Raises
    ------
    InputFileError
        Unreadable file (the message says what the file is and how to read it).
    SchemaError
        No P-code or name column, ``level`` without a level column, or a header naming
        the same column twice.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> adm1 = sg.load_boundaries(1, countries=["MLI"])  # doctest: +SKIP
    >>> rain = sg.read_indicators("wfp_rainfall_mali.csv", boundaries=adm1, level=1,
    ...                           names=cod_ab_names)  # doctest: +SKIP
    """
    if not isinstance(path, str | os.PathLike):
        raise InputFileError(
            f"read_indicators: expected the path of a CSV or XLSX file (a str or "
            f"pathlib.Path); got {type(path).__name__} {path!r:.40}. Pass the table's path, "
            "e.g. read_indicators('population_adm1.csv')."
        )
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"Indicator table {p} does not exist.")
    raw, hxl = _read_table(p, sheet=sheet, encoding=encoding)
    found = _detect_columns(p, raw, hxl, pcode_column, name_column, level=level)
    df, comma_cols = _numeric(raw, {c for c in (found.pcode, found.name) if c}, p)
    out = _keyed_table(df, found, names)
    join = _join(out, boundaries, level)
    out["boundary_pcode"] = pd.array(join.b_pcode, dtype="string")
    out["boundary_name"] = pd.array(join.b_name, dtype="string")
    out["match"] = pd.array(join.match, dtype="string")
    counts = pd.Series(join.match).value_counts()
    report = StepReport(
        step="read_indicators",
        source=str(p),
        n_in=len(out),
        n_kept=len(out),
        rejects=empty_rejects(),
        notes={
            **{f"match={k}": int(v) for k, v in counts.items()},
            **{f"decimal_comma_column={c}": len(out) for c in comma_cols},
        },
    )
    attach_report(out, report)
    if join.unmatched:
        _warn_unmatched(p, join.unmatched)
    logger.info("%s", report.summary())
    return out


@dataclass(frozen=True)
class _Columns:
    """The table's P-code, name and admin-level columns (None: not found)."""

    pcode: str | None
    name: str | None
    level: str | None


@dataclass(frozen=True)
class _Join:
    """Per row: how it matched a boundary unit, and that unit's P-code and name."""

    match: np.ndarray
    b_pcode: np.ndarray
    b_name: np.ndarray
    unmatched: dict[str, int]  # "name (code, how)" -> rows, for the warning


def _detect_columns(
    p: Path,
    raw: pd.DataFrame,
    hxl: Mapping[str, str],
    pcode_column: str | None,
    name_column: str | None,
    *,
    level: int | None,
) -> _Columns:
    """Find (or check the given) P-code, name and level columns; raise when unusable."""
    cols = [str(c) for c in raw.columns]
    pcol = pcode_column or _find(cols, _PCODE_COLS, hxl, ("#adm3+code", "#adm2+code", "#adm1+code"))
    ncol = name_column or _find(cols, _NAME_COLS, hxl, ("#adm3+name", "#adm2+name", "#adm1+name"))
    for given, what in ((pcode_column, "pcode_column"), (name_column, "name_column")):
        if given is not None and given not in cols:
            raise SchemaError(f"{p}: {what}={given!r} is not a column; columns: {cols}.")
    if pcol is None and ncol is None:
        raise SchemaError(
            f"{p}: no P-code or name column found (columns: {cols}). Pass pcode_column= or "
            "name_column=."
        )
    lcol = _find(cols, _LEVEL_COLS, hxl, ("#adm+level",))
    if level is not None and lcol is None:
        raise SchemaError(f"{p}: level={level} needs a level column ({list(_LEVEL_COLS)}).")
    return _Columns(pcol, ncol, lcol)


def _keyed_table(
    df: pd.DataFrame, found: _Columns, names: Mapping[str, str] | pd.Series | None
) -> pd.DataFrame:
    """Return a copy of the table with ``pcode``, ``name`` (crosswalk filled) and level."""
    pcol, ncol = found.pcode, found.name
    out = df.copy()
    out["pcode"] = df[pcol].astype("string").str.strip() if pcol else pd.NA
    src_names = (
        df[ncol].astype("string") if ncol else pd.Series(pd.NA, index=df.index, dtype="string")
    )
    if names is not None and pcol is not None:
        lookup = {str(k).strip(): v for k, v in dict(names).items()}
        loose_lookup = {_loose(k): v for k, v in lookup.items() if _loose(k)}
        from_x = out["pcode"].map(lambda c: lookup.get(c, loose_lookup.get(_loose(c))))
        src_names = src_names.fillna(from_x.astype("string"))
    out["name"] = src_names
    if found.level is not None:
        out["admin_level"] = pd.to_numeric(df[found.level], errors="coerce").astype("Int64")
    return out


def _join(out: pd.DataFrame, boundaries: pd.DataFrame | None, level: int | None) -> _Join:
    """Match each distinct (P-code, name) pair once, then spread the result to the rows."""
    n = len(out)
    match = np.full(n, "not_joined", dtype=object)
    b_pcode = np.full(n, None, dtype=object)
    b_name = np.full(n, None, dtype=object)
    if boundaries is None:
        return _Join(match, b_pcode, b_name, {})
    for c in ("pcode", "name"):
        if c not in boundaries.columns:
            raise SchemaError(f"The boundaries have no {c!r} column (canonical schema).")
    active = np.ones(n, dtype=bool)
    if level is not None:
        active = (out["admin_level"] == level).fillna(False).to_numpy(dtype=bool)
        match[~active] = "other_level"
    pairs = pd.DataFrame({"c": out["pcode"], "n": out["name"]})[active]
    uniq = pairs.drop_duplicates().reset_index(drop=True)
    u_match, u_target = _match_pairs(uniq, boundaries)
    pos = pd.MultiIndex.from_frame(uniq).get_indexer(pd.MultiIndex.from_frame(pairs))
    rows = np.flatnonzero(active)
    match[rows] = u_match[pos]
    tgt = u_target[pos]
    hit = tgt >= 0
    bp = np.asarray(boundaries["pcode"].astype(str).tolist(), dtype=object)
    b_pcode[rows[hit]] = bp[tgt[hit]]
    b_name[rows[hit]] = np.asarray(boundaries["name"].tolist(), dtype=object)[tgt[hit]]
    n_rows = np.bincount(pos, minlength=len(uniq))
    return _Join(match, b_pcode, b_name, _unmatched(uniq, u_match, u_target, n_rows))


def _match_pairs(uniq: pd.DataFrame, boundaries: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """How each distinct pair matched and its boundary row (-1: none): P-code, then name."""
    exact, loose = _pcode_lookups(boundaries["pcode"].astype(str).tolist())
    u_codes, u_names = uniq["c"].tolist(), uniq["n"].tolist()
    u_match = np.full(len(uniq), "unmatched", dtype=object)
    u_target = np.full(len(uniq), -1, dtype=np.int64)
    todo = []
    for i, code in enumerate(u_codes):
        lk = _loose(code)
        if isinstance(code, str) and code in exact:
            u_match[i], u_target[i] = "pcode", exact[code]
        elif lk is not None and (j := loose.get(lk)) is not None:
            u_match[i], u_target[i] = "pcode_loose", j
        else:
            todo.append(i)
    if todo:
        found = _match_by_name([u_codes[i] for i in todo], [u_names[i] for i in todo], boundaries)
        for i, m in zip(todo, found, strict=True):
            u_match[i] = m.how
            u_target[i] = -1 if m.target is None else m.target
    return u_match, u_target


def _pcode_lookups(bp: list[str]) -> tuple[dict[str, int], dict[str, int | None]]:
    """Boundary row by exact P-code, and by loose P-code (None where it is not unique)."""
    exact = {c: i for i, c in enumerate(bp)}
    loose: dict[str, int | None] = {}
    for i, c in enumerate(bp):
        k = _loose(c)
        if k is not None:
            loose[k] = None if k in loose else i
    return exact, loose


def _match_by_name(
    codes: list[object], names: list[object], boundaries: pd.DataFrame
) -> list[NameMatch]:
    """Match names to boundary names, within the countries the P-codes name when all do."""
    alt = boundaries["name_alt"].tolist() if "name_alt" in boundaries.columns else None
    tgroups = groups = None
    if "country_iso3" in boundaries.columns:
        tgroups = boundaries["country_iso3"].tolist()
        groups = [_country(c) for c in codes]
        if any(g is None for g in groups):
            tgroups = groups = None
    return match_names(
        names,
        boundaries["name"].tolist(),
        target_alt=alt,
        groups=groups,
        target_groups=tgroups,
    )


def _unmatched(
    uniq: pd.DataFrame, u_match: np.ndarray, u_target: np.ndarray, n_rows: np.ndarray
) -> dict[str, int]:
    """Rows per unmatched or ambiguous pair, labelled ``name (code, how)``."""
    u_codes, u_names = uniq["c"].tolist(), uniq["n"].tolist()
    unmatched: dict[str, int] = {}
    for miss in np.flatnonzero(u_target < 0).tolist():
        nm = u_names[miss] if isinstance(u_names[miss], str) else "<no name>"
        label = f"{nm} ({u_codes[miss]}, {u_match[miss]})"
        unmatched[label] = unmatched.get(label, 0) + int(n_rows[miss])
    return unmatched


def _warn_unmatched(p: Path, unmatched: dict[str, int]) -> None:
    """Name every unmatched or ambiguous name/P-code in one warning."""
    listing = "; ".join(f"{k}: {v} rows" for k, v in sorted(unmatched.items()))
    warnings.warn(
        f"{p.name}: {len(unmatched)} names/P-codes matched no boundary unit (rows kept, "
        f"boundary_pcode empty): {listing}. Add a names= crosswalk or fix the spellings.",
        SahelGeoWarning,
        stacklevel=3,
    )


def _country(code: object) -> str | None:
    if not isinstance(code, str) or len(code) < 2:
        return None
    return _ISO2_TO_ISO3.get(code[:2].upper())
