"""Attribute text of boundary files: cleaned, de-mojibaked, shapefile names restored.

:func:`clean_text` strips codes and names (whole numbers stored as floats give their
integer text); :func:`has_mojibake` and :func:`repair_mojibake` find and undo UTF-8 read as
Latin-1 (``"SÃ©gou"``); :func:`restore_shapefile_names` renames a canonical frame's
10-character shapefile fields back. Pure: tables in, tables out. Private helper of
:mod:`sahel_geo.io.boundaries`.
"""

from __future__ import annotations

import re
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["clean_text", "has_mojibake", "repair_mojibake", "restore_shapefile_names"]

_MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]")

#: The canonical columns as a shapefile's 10-character field names leave them.
_SHAPEFILE_NAMES: Final = {
    "admin_leve": "admin_level",
    "parent_pco": "parent_pcode",
    "country_is": "country_iso3",
}


def _as_text(v: object) -> str | None:
    """Return ``" ML01 "`` as ``"ML01"``, ``101.0`` as ``"101"``, blank as None."""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        v = int(v)
    return str(v).strip() or None


def clean_text(s: pd.Series) -> pd.Series:
    """Return stripped text with blanks as missing (object dtype, None for missing).

    Whole numbers stored as floats (a code column with a gap, read as ``float64``) give
    their integer text: ``101.0`` -> ``"101"``, never ``"101.0"``.

    Examples
    --------
    >>> clean_text(pd.Series([" ML01 ", 101.0, 2.5])).tolist()
    ['ML01', '101', '2.5']
    >>> clean_text(pd.Series(["", None])).isna().tolist()
    [True, True]
    """
    out = s.astype(object).where(s.notna(), None)
    out = out.map(lambda v: None if v is None else _as_text(v))
    return pd.Series(out, index=s.index, dtype=object)


def restore_shapefile_names(df: pd.DataFrame, notes: dict[str, int]) -> pd.DataFrame:
    """Rename a shapefile's truncated canonical columns back (``admin_leve``...).

    A canonical frame saved as a shapefile keeps 10-character field names:
    ``admin_leve``, ``parent_pco``, ``country_is``. Renamed columns are counted in
    ``notes``.

    Examples
    --------
    >>> notes: dict[str, int] = {}
    >>> df = pd.DataFrame(columns=["admin_leve", "pcode", "name", "country_is"])
    >>> restore_shapefile_names(df, notes).columns.tolist()
    ['admin_level', 'pcode', 'name', 'country_iso3']
    >>> notes
    {'canonical column names restored from 10-character shapefile names': 2}
    """
    if not {"pcode", "name"} <= set(df.columns):
        return df
    rename = {
        short: full
        for short, full in _SHAPEFILE_NAMES.items()
        if short in df.columns and full not in df.columns
    }
    if not rename:
        return df
    notes["canonical column names restored from 10-character shapefile names"] = len(rename)
    return df.rename(columns=rename)


def _text_columns(df: pd.DataFrame) -> list[str]:
    """Return the text (object or string dtype) columns, geometry left out."""
    return [
        c
        for c in df.columns
        if not isinstance(df[c].dtype, gpd.array.GeometryDtype)
        and (df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype))
    ]


def has_mojibake(df: pd.DataFrame) -> bool:
    """Tell whether any text column holds UTF-8 read as Latin-1 (``"SÃ©gou"``)."""
    for col in _text_columns(df):
        values = df[col].dropna().astype(str)
        if values.str.contains(_MOJIBAKE).any():
            return True
    return False


def _undo_mojibake(text: str) -> str | None:
    """``"SÃ©gou"`` -> ``"Ségou"``: UTF-8 bytes once decoded as Latin-1/cp1252; else None."""
    for codec in ("latin-1", "cp1252"):
        try:
            fixed = text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
        if fixed != text:
            return fixed
    return None


def repair_mojibake(df: pd.DataFrame, notes: dict[str, int]) -> pd.DataFrame:
    """Repair values double-encoded at the source (the file itself is fine UTF-8).

    Each repaired column is counted in ``notes``; the input frame is not modified.

    Examples
    --------
    >>> notes: dict[str, int] = {}
    >>> repair_mojibake(pd.DataFrame({"nom": ["SÃ©gou", "Kayes"]}), notes)["nom"].tolist()
    ['Ségou', 'Kayes']
    >>> notes
    {"text repaired in 'nom' (UTF-8 read as Latin-1 at the source)": 1}
    """
    out = df
    for col in _text_columns(df):
        values = df[col]
        hit = values.notna() & values.astype(str).str.contains(_MOJIBAKE)
        if not hit.any():
            continue
        lookup = {v: _undo_mojibake(str(v)) for v in values[hit].unique()}
        repaired = values[hit].map(lookup)
        done = repaired.notna()
        if done.any():
            if out is df:
                out = df.copy()
            fixed = values.astype(object).copy()
            fixed.loc[repaired.index[done]] = repaired[done]
            out[col] = fixed.astype(values.dtype)
            notes[f"text repaired in {col!r} (UTF-8 read as Latin-1 at the source)"] = int(
                done.sum()
            )
    return out
