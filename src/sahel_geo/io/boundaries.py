"""Read admin boundaries from any vector file into the canonical boundaries schema.

Sources recognised by their columns (``source="auto"``), in this order:

==============  =====================================================================
``sahel_geo``   already canonical: ``admin_level``, ``pcode``, ``name`` (the bundled files,
                a previous export)
``cod-ab``      OCHA COD-AB: ``ADM{n}_PCODE`` with ``ADM{n}_FR``/``_EN``/``_PT``/``_REF``,
                ``ADM0_PCODE``; the newer lower-case ``adm{n}_pcode``/``adm{n}_name``; the
                older ``admin{n}Pcode``/``admin{n}Name_fr`` (``admin1Pcod`` in a .dbf).
                Level: the highest ``n`` present. Parent: ``ADM{n-1}_PCODE``. Name: French
                first, then English, plain name, Portuguese, reference name.
``geoboundaries`` ``shapeName``, ``shapeID``, ``shapeISO``, ``shapeGroup`` (ISO3),
                ``shapeType`` (``ADM1``...). pcode: ``shapeID``; no parent.
``gadm``        ``GID_{n}``, ``NAME_{n}``, ``GID_0``. Parent: ``GID_{n-1}``.
``naturalearth`` admin-1 (``adm1_code``, ``name``, ``code_hasc``, ``adm0_a3``) or admin-0
                (``ADM0_A3``/``ISO_A3``, ``NAME``, any case). Admin-1 pcodes follow the
                bundled files' rule (:func:`ne_admin1_pcodes`). NE's "admin-1" of Burkina
                Faso is its 45 provinces: pass ``level=2`` (parent left empty).
``world-atlas`` TopoJSON from the npm ``world-atlas`` package: ``id`` (ISO 3166-1
                numeric) and ``name`` only; level 0, pcode ISO3
==============  =====================================================================

Any other file is read with ``columns={"pcode": ..., "name": ..., "parent_pcode": ...,
"country_iso3": ...}`` (``pcode`` and ``name`` required) and ``level=``.

Rows are never dropped silently: empty or non-polygonal geometries, missing and
duplicate pcodes go to the rejects of a :class:`~sahel_geo.StepReport` attached to the
result; repaired invalid geometries, reprojection and encoding fixes are counted in its
notes.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely
from pyproj import CRS

from sahel_geo._errors import CRSMismatchError, InputFileError, MissingCRSError, SchemaError
from sahel_geo._report import StepReport, attach_report
from sahel_geo.io._countries import iso3_from_values
from sahel_geo.io._topojson import is_topojson, read_topojson
from sahel_geo.schema import BOUNDARY_COLUMNS, WGS84

__all__ = ["BOUNDARY_SOURCES", "NE_PCODE_OVERRIDES", "ne_admin1_pcodes", "read_boundaries"]

logger = logging.getLogger(__name__)

#: Values of ``source=``.
BOUNDARY_SOURCES: Final[tuple[str, ...]] = (
    "auto",
    "sahel_geo",
    "cod-ab",
    "geoboundaries",
    "gadm",
    "naturalearth",
    "world-atlas",
    "custom",
)

#: Natural Earth admin-1 units whose HASC cannot be their pcode (NE ``adm1_code`` ->
#: pcode): shared with ``scripts/build_boundaries.py`` so both give the same codes.
NE_PCODE_OVERRIDES: Final[dict[str, str]] = {
    "MLI-2792": "ML-BKO",  # Bamako: NE HASC ML.KK duplicates Koulikoro's
    "BFA-5989": "BFA-5989",  # Noumbiel: NE HASC "BF." is incomplete
}

_HASC = re.compile(r"^[A-Z]{2}\.[A-Z0-9]{2,3}$")
_NEEDS = (
    "sahel_geo: admin_level, pcode, name; "
    "cod-ab: ADM{n}_PCODE + ADM{n}_FR/_EN/_PT/_REF (or adm{n}_pcode + adm{n}_name, "
    "admin{n}Pcode + admin{n}Name_fr); "
    "geoboundaries: shapeName, shapeID (+ shapeGroup, shapeType, shapeISO); "
    "gadm: GID_{n}, NAME_{n}; "
    "naturalearth admin-1: adm1_code, name, adm0_a3; naturalearth admin-0: ADM0_A3 or ISO_A3, "
    "NAME; world-atlas: id, name; "
    'any other file: columns={"pcode": ..., "name": ...} and level='
)
_SINGLE_LAYER: Final = frozenset({".geojson", ".json", ".shp", ".fgb", ".csv", ".geojsonl"})
_TEXT_FORMATS: Final = frozenset({".geojson", ".json", ".csv", ".gml", ".kml", ".txt"})
_MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]")


@dataclass(frozen=True)
class _Mapped:
    """A source's columns mapped onto the canonical ones (values per row)."""

    source: str
    level: pd.Series
    pcode: pd.Series
    name: pd.Series
    parent: pd.Series
    country: pd.Series
    used: tuple[str, ...]


# --- reading ---------------------------------------------------------------------------


def _decode_latin1(raw: bytes) -> bytes:
    """Re-encode Latin-1/cp1252 text as UTF-8 bytes."""
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.encode("utf-8")


def _text_columns(df: pd.DataFrame) -> list[str]:
    return [
        c
        for c in df.columns
        if not isinstance(df[c].dtype, gpd.array.GeometryDtype)
        and (df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype))
    ]


def _has_mojibake(df: pd.DataFrame) -> bool:
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


def _repair_mojibake(df: pd.DataFrame, notes: dict[str, int]) -> pd.DataFrame:
    """Repair values double-encoded at the source (the file itself is fine UTF-8)."""
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


def _unreadable(path: Path, exc: Exception) -> InputFileError:
    return InputFileError(
        f"{path} cannot be opened as a vector file ({exc}). read_boundaries reads what "
        "GDAL reads (GeoJSON, GeoPackage, Shapefile or a .zip of one, FlatGeobuf...) and "
        "TopoJSON."
    )


def _read_vector(path: Path, layer: str | None, notes: dict[str, int]) -> gpd.GeoDataFrame:
    suffix = path.suffix.lower()
    target = str(path)
    try:
        # Listing layers scans the file: single-layer formats skip it.
        layers = (
            np.empty((0, 2))
            if suffix in _SINGLE_LAYER and layer is None
            else pyogrio.list_layers(target)
        )
    except pyogrio.errors.DataSourceError as exc:
        raise _unreadable(path, exc) from exc
    names = [str(n) for n in layers[:, 0]] if len(layers) else []
    if layer is None and len(names) > 1:
        raise SchemaError(
            f"{path} holds {len(names)} layers {names}: choose one with layer=, "
            f"e.g. layer={names[0]!r}."
        )
    if layer is not None and layer not in names:
        raise SchemaError(f"{path} has no layer {layer!r}; available: {names}.")
    try:
        gdf = pyogrio.read_dataframe(target, layer=layer)
    except pyogrio.errors.DataSourceError as exc:
        raise _unreadable(path, exc) from exc
    except UnicodeDecodeError:
        if suffix not in _TEXT_FORMATS:
            raise InputFileError(
                f"{path}: attribute text is not valid UTF-8 and its encoding is unknown. Tell "
                "GDAL: put a .cpg file holding e.g. 'LATIN1' beside a shapefile's .dbf, or "
                "re-save the file as UTF-8."
            ) from None
        # GeoJSON must be UTF-8 (RFC 7946) but files saved in Latin-1 exist (CSV too):
        # read a UTF-8 copy under the same name in a temporary folder.
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / path.name
            copy.write_bytes(_decode_latin1(path.read_bytes()))
            gdf = pyogrio.read_dataframe(copy, layer=layer)
        notes["attribute text decoded as Latin-1"] = 1
        logger.warning("%s is not UTF-8: decoded its text as Latin-1 (cp1252)", path)
        return gdf
    if suffix in {".shp", ".dbf", ".zip"} and _has_mojibake(gdf):
        # A UTF-8 .dbf without .cpg is read by GDAL as ISO-8859-1: "Ségou" -> "SÃ©gou".
        try:
            fixed = pyogrio.read_dataframe(target, layer=layer, encoding="UTF-8")
        except UnicodeDecodeError:
            fixed = None
        if fixed is not None and not _has_mojibake(fixed):
            notes["attribute text re-read as UTF-8"] = 1
            logger.warning("%s: attribute text re-read as UTF-8 (no .cpg file)", path)
            return fixed
    return gdf


def _load(
    path: str | os.PathLike[str] | gpd.GeoDataFrame, layer: str | None, notes: dict[str, int]
) -> tuple[gpd.GeoDataFrame, str]:
    if isinstance(path, gpd.GeoDataFrame):
        return path.copy(), "<GeoDataFrame>"
    if isinstance(path, pd.DataFrame):
        raise SchemaError(
            "read_boundaries needs a file path or a GeoDataFrame; got a DataFrame without "
            "geometry. Build one with geopandas.GeoDataFrame(df, geometry=..., crs=...)."
        )
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"Boundary file {p} does not exist.")
    if p.is_file() and p.stat().st_size == 0:
        raise InputFileError(f"Boundary file {p} is empty (0 bytes).")
    if p.suffix.lower() == ".zip" and not zipfile.is_zipfile(p):
        raise InputFileError(f"{p} is not a valid zip archive.")
    if is_topojson(p):
        return read_topojson(p, object_name=layer), str(p)
    return _read_vector(p, layer, notes), str(p)


# --- source detection and mapping ------------------------------------------------------


def _text(s: pd.Series) -> pd.Series:
    """Return stripped text with blanks as missing (object dtype, None for missing)."""
    out = s.astype(object).where(s.notna(), None)
    out = out.map(lambda v: None if v is None else (str(v).strip() or None))
    return pd.Series(out, index=s.index, dtype=object)


def _null(index: pd.Index) -> pd.Series:
    return pd.Series([None] * len(index), index=index, dtype=object)


def _levels_present(cols: list[str], pattern: str) -> list[int]:
    rx = re.compile(pattern)
    return sorted({int(m.group(1)) for c in cols if (m := rx.fullmatch(c))})


def _pick_level(found: list[int], level: int | None, what: str) -> int:
    if level is None:
        return found[-1]
    if level not in found:
        raise SchemaError(f"level={level} asked but the {what} columns are for levels {found}.")
    return level


def _const(index: pd.Index, value: int) -> pd.Series:
    return pd.Series(np.full(len(index), value, dtype="int64"), index=index)


def _iso3(values: pd.Series, notes: dict[str, int]) -> pd.Series:
    text = _text(values)
    out, unknown = iso3_from_values(pd.Series(text.to_numpy(), index=text.index, dtype="str"))
    if unknown:
        notes["country code or name not recognised"] = unknown
    return _text(out)


_CODAB_PCODE = re.compile(r"(?:adm|admin)(\d)_?pcod(?:e)?", re.IGNORECASE)
#: Name columns of COD-AB level n, in order of preference (French first: the Sahel's CODs).
_CODAB_NAMES = ("fr", "en", "name", "name1", "pt", "ref")


def _codab_pcodes(cols: list[str]) -> dict[int, str]:
    """Level -> pcode column (``ADM1_PCODE``, ``adm1_pcode``, ``admin1Pcode``, ``admin1Pcod``)."""
    found: dict[int, str] = {}
    for c in cols:
        m = _CODAB_PCODE.fullmatch(c)
        if m:
            found.setdefault(int(m.group(1)), c)
    return found


def _codab_name(cols: list[str], n: int) -> str | None:
    for suffix in _CODAB_NAMES:
        if suffix == "name":
            rx = re.compile(rf"(?:adm|admin){n}_?name", re.IGNORECASE)
        elif suffix == "name1":
            rx = re.compile(rf"(?:adm|admin){n}_?name_?1", re.IGNORECASE)
        else:
            rx = re.compile(rf"(?:adm|admin){n}_?(?:name)?_?{suffix}", re.IGNORECASE)
        hit = next((c for c in cols if rx.fullmatch(c)), None)
        if hit is not None:
            return hit
    return None


def _map_codab(df: pd.DataFrame, level: int | None, notes: dict[str, int]) -> _Mapped:
    cols = [str(c) for c in df.columns]
    pcodes = _codab_pcodes(cols)
    n = _pick_level(sorted(pcodes), level, "COD-AB ADMn_PCODE")
    pcode_col = pcodes[n]
    name_col = _codab_name(cols, n)
    if name_col is None:
        raise SchemaError(
            f"COD-AB file with {pcode_col} but no name column for level {n} (e.g. "
            f"ADM{n}_FR, ADM{n}_EN, adm{n}_name, admin{n}Name_fr); columns found: {cols}. "
            f"Pass columns={{'pcode': {pcode_col!r}, 'name': ...}} and level={n}."
        )
    idx = df.index
    pcode = _text(df[pcode_col])
    country_col = pcodes.get(0)
    if country_col is not None:
        country = _iso3(df[country_col], notes)
    else:  # COD-AB pcodes start with the ISO2 code: "ML01" -> MLI
        country = _iso3(pcode.str[:2], notes)
    parent_col = pcodes.get(n - 1) if n > 0 else None
    if n > 0 and parent_col is None:
        notes[f"no ADM{n - 1}_PCODE column: parent_pcode left empty"] = len(df)
    parent = _text(df[parent_col]) if parent_col is not None else _null(idx)
    used = tuple(c for c in (pcode_col, name_col, parent_col, country_col) if c is not None)
    return _Mapped("cod-ab", _const(idx, n), pcode, _text(df[name_col]), parent, country, used)


def _map_geoboundaries(df: pd.DataFrame, level: int | None, notes: dict[str, int]) -> _Mapped:
    idx = df.index
    if level is not None:
        lev = _const(idx, level)
    elif "shapeType" in df.columns:
        digits = _text(df["shapeType"]).str.extract(r"(\d)", expand=False)
        if digits.isna().any():
            raise SchemaError(
                "geoBoundaries shapeType must look like 'ADM1'; rows "
                f"{(np.flatnonzero(digits.isna().to_numpy()) + 1)[:10].tolist()} do not. "
                "Pass level=."
            )
        lev = digits.astype("int64")
    else:
        raise SchemaError("geoBoundaries file without shapeType: pass level=.")
    country = _iso3(df["shapeGroup"], notes) if "shapeGroup" in df.columns else _null(idx)
    used = tuple(c for c in ("shapeID", "shapeName", "shapeGroup", "shapeType") if c in df)
    return _Mapped(
        "geoboundaries",
        lev,
        _text(df["shapeID"]),
        _text(df["shapeName"]),
        _null(idx),
        country,
        used,
    )


def _map_gadm(df: pd.DataFrame, level: int | None, notes: dict[str, int]) -> _Mapped:
    cols = [str(c) for c in df.columns]
    found = _levels_present(cols, r"GID_(\d)")
    n = _pick_level(found, level, "GADM GID_n")
    name_col = f"NAME_{n}" if f"NAME_{n}" in cols else ("COUNTRY" if n == 0 else None)
    if name_col is None or name_col not in cols:
        raise SchemaError(f"GADM file with GID_{n} but no NAME_{n}; columns found: {cols}.")
    idx = df.index
    parent = _text(df[f"GID_{n - 1}"]) if n > 0 and f"GID_{n - 1}" in cols else _null(idx)
    country = _iso3(df["GID_0"], notes) if "GID_0" in cols else _null(idx)
    used = tuple(c for c in (f"GID_{n}", name_col, f"GID_{n - 1}", "GID_0") if c in cols)
    return _Mapped(
        "gadm", _const(idx, n), _text(df[f"GID_{n}"]), _text(df[name_col]), parent, country, used
    )


def ne_admin1_pcodes(adm1_code: pd.Series, code_hasc: pd.Series) -> pd.Series:
    """Pcodes of Natural Earth admin-1 rows: the stripped HASC when complete and unique.

    Units listed in :data:`NE_PCODE_OVERRIDES` take the code given there; a unit whose
    HASC is incomplete (``BF.``) or shared with another unit takes its ``adm1_code``.
    """
    adm1 = _text(adm1_code)
    hasc = _text(code_hasc)
    override = adm1.map(lambda v: NE_PCODE_OVERRIDES.get(v) if v is not None else None)
    complete = hasc.map(lambda v: v is not None and bool(_HASC.match(v))).astype(bool)
    candidate = hasc.where(complete & override.isna(), None)
    shared = candidate.notna() & candidate.duplicated(keep=False)
    out = candidate.where(~shared, None)
    out = out.where(out.notna(), override)
    return out.where(out.notna(), adm1)


def _map_ne_admin1(df: pd.DataFrame, level: int | None, notes: dict[str, int]) -> _Mapped:
    idx = df.index
    hasc = df["code_hasc"] if "code_hasc" in df.columns else _null(idx)
    pcode = ne_admin1_pcodes(df["adm1_code"], hasc)
    iso3 = _text(df["adm0_a3"]) if "adm0_a3" in df.columns else _null(idx)
    lev = 1 if level is None else level
    parent = iso3 if lev == 1 else _null(idx)
    used = tuple(c for c in ("adm1_code", "code_hasc", "name", "adm0_a3") if c in df.columns)
    return _Mapped("naturalearth", _const(idx, lev), pcode, _text(df["name"]), parent, iso3, used)


def _map_ne_admin0(df: pd.DataFrame, level: int | None, notes: dict[str, int]) -> _Mapped:
    by_upper = {str(c).upper(): c for c in df.columns}
    idx = df.index
    iso = _text(df[by_upper["ISO_A3"]]) if "ISO_A3" in by_upper else _null(idx)
    iso = iso.where(iso.map(lambda v: v is not None and v != "-99").astype(bool), None)
    adm0 = _text(df[by_upper["ADM0_A3"]]) if "ADM0_A3" in by_upper else _null(idx)
    pcode = iso.where(iso.notna(), adm0)
    name_key = next(k for k in ("NAME", "ADMIN", "NAME_LONG") if k in by_upper)
    used = tuple(by_upper[k] for k in ("ISO_A3", "ADM0_A3", name_key) if k in by_upper)
    if level not in (None, 0):
        raise SchemaError(f"A Natural Earth admin-0 file is level 0; got level={level}.")
    return _Mapped(
        "naturalearth",
        _const(idx, 0),
        pcode,
        _text(df[by_upper[name_key]]),
        _null(idx),
        pcode,
        used,
    )


def _map_world_atlas(df: pd.DataFrame, level: int | None, notes: dict[str, int]) -> _Mapped:
    if level not in (None, 0):
        raise SchemaError(f"world-atlas countries are level 0; got level={level}.")
    iso3 = _iso3(df["id"], notes)
    return _Mapped(
        "world-atlas",
        _const(df.index, 0),
        iso3,
        _text(df["name"]),
        _null(df.index),
        iso3,
        ("id", "name"),
    )


def _map_canonical(df: pd.DataFrame, level: int | None, notes: dict[str, int]) -> _Mapped:
    idx = df.index
    lev = pd.to_numeric(df["admin_level"], errors="coerce")
    if lev.isna().any():
        bad = (np.flatnonzero(lev.isna().to_numpy()) + 1)[:10].tolist()
        raise SchemaError(f"admin_level is not a number in rows {bad}.")
    levels = lev.astype("int64")
    if level is not None:
        levels = _const(idx, level)
    parent = _text(df["parent_pcode"]) if "parent_pcode" in df.columns else _null(idx)
    country = _text(df["country_iso3"]) if "country_iso3" in df.columns else _null(idx)
    return _Mapped(
        "sahel_geo",
        levels,
        _text(df["pcode"]),
        _text(df["name"]),
        parent,
        country,
        ("pcode", *(c for c in BOUNDARY_COLUMNS if c in df.columns and c != "pcode")),
    )


def _map_custom(
    df: pd.DataFrame, level: int | None, columns: Mapping[str, str], notes: dict[str, int]
) -> _Mapped:
    allowed = {"pcode", "name", "parent_pcode", "country_iso3"}
    unknown = sorted(set(columns) - allowed)
    problems = []
    if unknown:
        problems.append(f"columns= keys {unknown} are not canonical; use {sorted(allowed)}")
    for key in ("pcode", "name"):
        if key not in columns:
            problems.append(f"columns= needs a {key!r} entry")
    absent = sorted(v for v in columns.values() if v not in df.columns)
    if absent:
        problems.append(f"columns {absent} are not in the file (found: {list(df.columns)})")
    if level is None:
        problems.append("level= is needed with columns= (0 country, 1 region, 2, 3)")
    if problems:
        raise SchemaError("Cannot map the file: " + "; ".join(problems) + ".")
    assert level is not None
    idx = df.index
    parent = _text(df[columns["parent_pcode"]]) if "parent_pcode" in columns else _null(idx)
    has_country = "country_iso3" in columns
    country = _iso3(df[columns["country_iso3"]], notes) if has_country else _null(idx)
    return _Mapped(
        "custom",
        _const(idx, level),
        _text(df[columns["pcode"]]),
        _text(df[columns["name"]]),
        parent,
        country,
        tuple(columns.values()),
    )


def _detect(cols: list[str]) -> str | None:
    lower = {c.lower() for c in cols}
    upper = {c.upper() for c in cols}
    if {"admin_level", "pcode", "name"} <= set(cols):
        return "sahel_geo"
    if _codab_pcodes(cols):
        return "cod-ab"
    if {"shapeName", "shapeID"} <= set(cols):
        return "geoboundaries"
    if _levels_present(cols, r"GID_(\d)"):
        return "gadm"
    if {"adm1_code", "name"} <= set(cols):
        return "naturalearth"
    if ({"ADM0_A3", "NAME"} <= upper or {"ISO_A3", "NAME"} <= upper) and "pcode" not in lower:
        return "naturalearth"
    if set(cols) == {"id", "name"}:
        return "world-atlas"
    return None


def _map(
    df: pd.DataFrame,
    source: str,
    level: int | None,
    columns: Mapping[str, str] | None,
    origin: str,
    notes: dict[str, int],
) -> _Mapped:
    cols = [str(c) for c in df.columns]
    if columns is not None:
        if source not in ("auto", "custom"):
            raise SchemaError(f"columns= maps a custom file; it cannot go with source={source!r}.")
        return _map_custom(df, level, columns, notes)
    if source == "custom":
        raise SchemaError('source="custom" needs columns={"pcode": ..., "name": ...} and level=.')
    picked = _detect(cols) if source == "auto" else source
    if picked is None:
        raise SchemaError(
            f"{origin}: cannot tell which boundary source this is from its columns {cols}. "
            f"Each source needs: {_NEEDS}."
        )
    if source == "auto":
        logger.info("%s: read as %s boundaries (detected from its columns)", origin, picked)
    try:
        if picked == "sahel_geo":
            return _map_canonical(df, level, notes)
        if picked == "cod-ab":
            return _map_codab(df, level, notes)
        if picked == "geoboundaries":
            return _map_geoboundaries(df, level, notes)
        if picked == "gadm":
            return _map_gadm(df, level, notes)
        if picked == "naturalearth":
            if "adm1_code" in cols:
                return _map_ne_admin1(df, level, notes)
            return _map_ne_admin0(df, level, notes)
        if picked == "world-atlas":
            return _map_world_atlas(df, level, notes)
    except (KeyError, StopIteration, IndexError) as exc:
        raise SchemaError(
            f"{origin}: read as {picked} but a column is missing ({exc}); columns found: "
            f"{cols}. {picked} needs: "
            + next((n for n in _NEEDS.split("; ") if n.startswith(picked.split("-")[0])), _NEEDS)
        ) from None
    raise SchemaError(f"Unknown source {source!r}; use one of {list(BOUNDARY_SOURCES)}.")


# --- geometry checks -------------------------------------------------------------------


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep the polygonal parts of each geometry (collections from make_valid)."""
    out = geoms.copy()
    type_ids = shapely.get_type_id(geoms)
    mixed = np.flatnonzero(type_ids == 7)  # GeometryCollection
    for i in mixed.tolist():
        parts = shapely.get_parts(geoms[i])
        polys = [p for p in parts if shapely.get_type_id(p) in (3, 6)]
        out[i] = shapely.union_all(polys) if polys else shapely.Polygon()
    return out


def _reproject(
    gdf: gpd.GeoDataFrame, origin: str, crs: str | int | None, notes: dict[str, int]
) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        if crs is None:
            raise MissingCRSError(
                f"{origin} has no CRS (e.g. a shapefile without its .prj, a CSV with WKT), so "
                "its coordinates cannot be placed. Say which CRS they are in: "
                "read_boundaries(path, crs=4326) for longitude/latitude, or e.g. crs=32630."
            )
        gdf = gdf.set_crs(crs)
        notes[f"CRS {CRS.from_user_input(crs).to_string()} assigned (crs=)"] = len(gdf)
    elif crs is not None:
        given, found = CRS.from_user_input(crs), CRS.from_user_input(gdf.crs)
        if not given.equals(found, ignore_axis_order=True):
            raise CRSMismatchError(
                f"{origin} is in {found.to_string()} ({found.name}) but crs={crs!r} "
                f"({given.name}) was passed. Drop crs= to use the file's CRS (it is "
                "reprojected to EPSG:4326), or fix the file's CRS."
            )
    found = CRS.from_user_input(gdf.crs)
    if found.equals(CRS.from_user_input(WGS84), ignore_axis_order=True):
        if found.to_epsg() != 4326:  # e.g. OGC:CRS84: same coordinates, canonical label
            gdf = gdf.set_crs(WGS84, allow_override=True)
        return gdf
    logger.info("%s: reprojected from %s to %s", origin, found.to_string(), WGS84)
    notes[f"reprojected from {found.to_string()} to {WGS84}"] = len(gdf)
    return gdf.to_crs(WGS84)


# --- public ----------------------------------------------------------------------------


def read_boundaries(
    path: str | os.PathLike[str] | gpd.GeoDataFrame,
    *,
    source: str = "auto",
    level: int | None = None,
    columns: Mapping[str, str] | None = None,
    layer: str | None = None,
    crs: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read admin boundaries from a file (or a GeoDataFrame) into the canonical schema.

    Parameters
    ----------
    path
        A vector file GDAL reads (GeoJSON, GeoPackage, Shapefile, a .zip of one...), a
        TopoJSON file, or an in-memory GeoDataFrame (e.g. after ``set_crs``).
    source
        ``"auto"`` (detect from the columns and log the choice), ``"sahel_geo"``,
        ``"cod-ab"``, ``"geoboundaries"``, ``"gadm"``, ``"naturalearth"``,
        ``"world-atlas"`` or ``"custom"`` (with ``columns``).
    level
        Admin level to read (COD-AB and GADM files hold several: default the finest);
        required with ``columns``.
    columns
        Mapping of canonical names to the file's columns, for any other file:
        ``{"pcode": ..., "name": ...}`` plus optionally ``"parent_pcode"`` and
        ``"country_iso3"`` (ISO3, ISO2, numeric codes or country names).
    layer
        Layer of a multi-layer file (GeoPackage) or object of a TopoJSON topology.
    crs
        CRS of the coordinates when the file has none (a shapefile without ``.prj``, a
        CSV with a WKT column): ``4326`` for longitude/latitude. A file with a CRS keeps
        it (passing a different one raises). Anything not in EPSG:4326 is reprojected,
        and the report notes it.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326; ``admin_level``, ``pcode``, ``name``, ``parent_pcode``,
        ``country_iso3``, ``source`` first, then the file's other columns; valid
        Polygon/MultiPolygon geometries; file order. A StepReport is attached (see
        :func:`sahel_geo.reports` and :func:`sahel_geo.rejects`).

    Raises
    ------
    InputFileError
        Missing, empty or unreadable file.
    MissingCRSError
        The file has no CRS and ``crs`` was not given.
    CRSMismatchError
        ``crs`` disagrees with the file's own CRS.
    SchemaError
        The columns match no known source (the message lists what each needs), or a
        mapping or level is wrong.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> from sahel_geo.datasets import bundled_boundaries_path
    >>> adm1 = sg.read_boundaries(bundled_boundaries_path(1))
    >>> adm1[["pcode", "name"]].head(2).values.tolist()
    [['BF-01', 'Boucle du Mouhoun'], ['BF-02', 'Cascades']]
    """
    if source not in BOUNDARY_SOURCES:
        raise SchemaError(f"Unknown source {source!r}; use one of {list(BOUNDARY_SOURCES)}.")
    if level is not None and (isinstance(level, bool) or not isinstance(level, int) or level < 0):
        raise SchemaError(f"level must be an integer >= 0 (0 country, 1 region...); got {level!r}.")
    notes: dict[str, int] = {}
    raw, origin = _load(path, layer, notes)
    if len(raw) == 0:
        raise InputFileError(f"{origin} holds no features.")
    raw = _reproject(raw, origin, crs, notes)
    raw = raw.reset_index(drop=True)
    attrs = _repair_mojibake(pd.DataFrame(raw.drop(columns=raw.geometry.name)), notes)
    mapped = _map(attrs, source, level, columns, origin, notes)

    n = len(raw)
    rows = np.arange(1, n + 1)
    reason = np.full(n, "", dtype=object)
    column = np.full(n, "", dtype=object)

    geoms = np.asarray(raw.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    reason[missing] = "empty geometry"
    column[missing] = raw.geometry.name
    type_ids = shapely.get_type_id(geoms)
    not_poly = ~missing & ~np.isin(type_ids, [3, 6, 7])
    if not_poly.any():
        kinds = np.asarray(shapely.get_type_id(geoms[not_poly]))
        names = np.array(["Point", "LineString", "LinearRing", "", "MultiPoint", "MultiLineString"])
        reason[not_poly] = np.char.add(np.char.add("not a polygon (", names[kinds]), ")")
        column[not_poly] = raw.geometry.name
    todo = ~missing & ~not_poly
    invalid = todo & ~shapely.is_valid(geoms)
    fixed = geoms.copy()
    if invalid.any():
        fixed[invalid] = shapely.make_valid(geoms[invalid])
        notes["invalid geometries repaired (make_valid)"] = int(invalid.sum())
    fixed[todo] = _polygonal(fixed[todo])
    lost = todo & (shapely.is_empty(fixed) | ~np.isin(shapely.get_type_id(fixed), [3, 6]))
    reason[lost] = "no polygonal part (after repair)"
    column[lost] = raw.geometry.name

    ok = reason == ""
    pcode = mapped.pcode.to_numpy(dtype=object)
    no_code = ok & pd.isna(pcode)
    reason[no_code] = "missing pcode"
    column[no_code] = mapped.used[0] if mapped.used else "pcode"
    ok = reason == ""
    key = pd.Series(
        [f"{lv}\x00{pc}" for lv, pc in zip(mapped.level.tolist(), pcode.tolist(), strict=True)]
    )
    key_ok = key.where(ok)
    dup = ok & key_ok.duplicated(keep="first").to_numpy()
    if dup.any():
        first = {k: i + 1 for i, k in reversed(list(enumerate(key_ok.tolist()))) if ok[i]}
        for i in np.flatnonzero(dup).tolist():
            reason[i] = f"duplicate pcode {pcode[i]} (first at row {first[key_ok.iloc[i]]})"
            column[i] = mapped.used[0] if mapped.used else "pcode"
    keep = reason == ""
    no_name = keep & mapped.name.isna().to_numpy()
    if no_name.any():
        notes["missing name"] = int(no_name.sum())

    canon = pd.DataFrame(
        {
            "admin_level": mapped.level.to_numpy(dtype="int64"),
            "pcode": mapped.pcode.to_numpy(dtype=object),
            "name": mapped.name.to_numpy(dtype=object),
            "parent_pcode": mapped.parent.to_numpy(dtype=object),
            "country_iso3": mapped.country.to_numpy(dtype=object),
            "source": mapped.source,
        }
    )
    if mapped.source == "sahel_geo" and "source" in attrs.columns:
        # an already canonical file keeps the source it names (e.g. "naturalearth")
        named = _text(attrs["source"]).to_numpy(dtype=object)
        canon["source"] = np.where(pd.isna(named), "sahel_geo", named)
    extra = [c for c in attrs.columns if c not in BOUNDARY_COLUMNS]
    kept = pd.concat([canon.loc[keep], attrs.loc[keep, extra]], axis=1).reset_index(drop=True)
    for col in ("pcode", "name", "parent_pcode", "country_iso3", "source"):
        kept[col] = kept[col].astype("str").where(kept[col].notna(), None)
    out = gpd.GeoDataFrame(kept, geometry=list(fixed[keep]), crs=WGS84)

    rej_mask = ~keep
    rej_attrs = attrs.loc[rej_mask].astype("string")
    rej_attrs = rej_attrs.rename(
        columns={c: f"src_{c}" for c in rej_attrs.columns if c in {"row", "reason", "column"}}
    )
    rejects = pd.concat(
        [
            pd.DataFrame(
                {
                    "row": rows[rej_mask],
                    "reason": pd.array(reason[rej_mask].astype(str), dtype="str"),
                    "column": pd.array(column[rej_mask].astype(str), dtype="str"),
                },
                index=rej_attrs.index,
            ),
            rej_attrs,
        ],
        axis=1,
    ).reset_index(drop=True)
    report = StepReport(
        step="read_boundaries",
        source=origin,
        n_in=n,
        n_kept=int(keep.sum()),
        rejects=rejects,
        notes=notes,
    )
    attach_report(out, report)
    logger.info("%s", report.summary())
    if len(out) == 0:
        logger.warning("%s: every row was rejected: %s", origin, report.summary())
    return out
