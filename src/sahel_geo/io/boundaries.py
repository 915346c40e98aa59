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
``naturalearth`` admin-1 (``adm1_code``, ``name``, ``iso_3166_2``, ``adm0_a3``) or admin-0
                (``ADM0_A3``/``ISO_A3``, ``NAME``, any case). Admin-1 pcodes are ISO
                3166-2 codes, as in the bundled files (:func:`ne_admin1_pcodes`). NE's
                "admin-1" of Burkina Faso is its 45 provinces: pass ``level=2`` (parent
                left empty).
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

from sahel_geo.core.errors import CRSMismatchError, InputFileError, MissingCRSError, SchemaError
from sahel_geo.core.reports import StepReport, attach_report
from sahel_geo.core.schema import BOUNDARY_COLUMNS, WGS84
from sahel_geo.io._boundary_sources import (
    BOUNDARY_SOURCES,
    NE_ISO_3166_2,
    Mapped,
    clean_text,
    map_source,
    ne_admin1_pcodes,
)
from sahel_geo.io._topojson import is_topojson, read_topojson

__all__ = ["BOUNDARY_SOURCES", "NE_ISO_3166_2", "ne_admin1_pcodes", "read_boundaries"]

logger = logging.getLogger(__name__)

_SINGLE_LAYER: Final = frozenset({".geojson", ".json", ".shp", ".fgb", ".csv", ".geojsonl"})
_TEXT_FORMATS: Final = frozenset({".geojson", ".json", ".csv", ".gml", ".kml", ".txt"})
_MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]")


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
    >>> from sahel_geo.io.datasets import bundled_boundaries_path
    >>> adm1 = sg.read_boundaries(bundled_boundaries_path(1))
    >>> adm1[["pcode", "name"]].head(2).values.tolist()
    [['BF-01', 'Boucle du Mouhoun'], ['BF-02', 'Cascades']]
    """
    _check_source_and_level(source, level)
    notes: dict[str, int] = {}
    raw, origin = _load(path, layer, notes)
    if len(raw) == 0:
        raise InputFileError(f"{origin} holds no features.")
    raw = _reproject(raw, origin, crs, notes)
    raw = raw.reset_index(drop=True)
    attrs = _repair_mojibake(pd.DataFrame(raw.drop(columns=raw.geometry.name)), notes)
    mapped = map_source(attrs, source, level, columns, origin, notes)
    n = len(raw)
    rejected = _Rejected.for_rows(n)
    fixed = _repair_geometries(raw, rejected, notes)
    _reject_bad_pcodes(mapped, rejected)
    keep = rejected.ok()
    no_name = keep & mapped.name.isna().to_numpy()
    if no_name.any():
        notes["missing name"] = int(no_name.sum())
    out = _kept_units(_canonical(mapped, attrs), attrs, fixed, keep)
    report = StepReport(
        step="read_boundaries",
        source=origin,
        n_in=n,
        n_kept=int(keep.sum()),
        rejects=_rejects_table(attrs, rejected, keep),
        notes=notes,
    )
    attach_report(out, report)
    logger.info("%s", report.summary())
    if len(out) == 0:
        logger.warning("%s: every row was rejected: %s", origin, report.summary())
    return out


@dataclass(frozen=True)
class _Rejected:
    """Reason and column of each rejected row ("" while the row is fine)."""

    reason: np.ndarray
    column: np.ndarray

    @classmethod
    def for_rows(cls, n: int) -> _Rejected:
        """Start with ``n`` rows, none rejected."""
        return cls(np.full(n, "", dtype=object), np.full(n, "", dtype=object))

    def reject(self, mask: np.ndarray, reason: str | np.ndarray, column: str) -> None:
        """Set the reason (one, or one per masked row) and column of the masked rows."""
        self.reason[mask] = reason
        self.column[mask] = column

    def ok(self) -> np.ndarray:
        """Rows not rejected so far."""
        ok: np.ndarray = self.reason == ""
        return ok


def _check_source_and_level(source: str, level: int | None) -> None:
    """Raise on an unknown source or a level that is not an integer >= 0."""
    if source not in BOUNDARY_SOURCES:
        raise SchemaError(f"Unknown source {source!r}; use one of {list(BOUNDARY_SOURCES)}.")
    if level is not None and (isinstance(level, bool) or not isinstance(level, int) or level < 0):
        raise SchemaError(f"level must be an integer >= 0 (0 country, 1 region...); got {level!r}.")


def _repair_geometries(
    raw: gpd.GeoDataFrame, rejected: _Rejected, notes: dict[str, int]
) -> np.ndarray:
    """Reject empty and non-polygon geometries; repair invalid ones to their polygons."""
    geom_col = raw.geometry.name
    geoms = np.asarray(raw.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    rejected.reject(missing, "empty geometry", geom_col)
    type_ids = shapely.get_type_id(geoms)
    not_poly = ~missing & ~np.isin(type_ids, [3, 6, 7])
    if not_poly.any():
        kinds = np.asarray(shapely.get_type_id(geoms[not_poly]))
        names = np.array(["Point", "LineString", "LinearRing", "", "MultiPoint", "MultiLineString"])
        text = np.char.add(np.char.add("not a polygon (", names[kinds]), ")")
        rejected.reject(not_poly, text, geom_col)
    todo = ~missing & ~not_poly
    invalid = todo & ~shapely.is_valid(geoms)
    fixed = geoms.copy()
    if invalid.any():
        fixed[invalid] = shapely.make_valid(geoms[invalid])
        notes["invalid geometries repaired (make_valid)"] = int(invalid.sum())
    fixed[todo] = _polygonal(fixed[todo])
    lost = todo & (shapely.is_empty(fixed) | ~np.isin(shapely.get_type_id(fixed), [3, 6]))
    rejected.reject(lost, "no polygonal part (after repair)", geom_col)
    return fixed


def _reject_bad_pcodes(mapped: Mapped, rejected: _Rejected) -> None:
    """Reject rows without a P-code, and repeats of a (level, P-code) naming the first row."""
    pcode_col = mapped.used[0] if mapped.used else "pcode"
    pcode = mapped.pcode.to_numpy(dtype=object)
    rejected.reject(rejected.ok() & pd.isna(pcode), "missing pcode", pcode_col)
    ok = rejected.ok()
    key = pd.Series(
        [f"{lv}\x00{pc}" for lv, pc in zip(mapped.level.tolist(), pcode.tolist(), strict=True)]
    )
    key_ok = key.where(ok)
    dup = ok & key_ok.duplicated(keep="first").to_numpy()
    if dup.any():
        first = {k: i + 1 for i, k in reversed(list(enumerate(key_ok.tolist()))) if ok[i]}
        for i in np.flatnonzero(dup).tolist():
            rejected.reason[i] = (
                f"duplicate pcode {pcode[i]} (first at row {first[key_ok.iloc[i]]})"
            )
            rejected.column[i] = pcode_col


def _canonical(mapped: Mapped, attrs: pd.DataFrame) -> pd.DataFrame:
    """Return the canonical columns of every row."""
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
        named = clean_text(attrs["source"]).to_numpy(dtype=object)
        canon["source"] = np.where(pd.isna(named), "sahel_geo", named)
    return canon


def _kept_units(
    canon: pd.DataFrame, attrs: pd.DataFrame, fixed: np.ndarray, keep: np.ndarray
) -> gpd.GeoDataFrame:
    """Return the kept rows: canonical columns, the file's others, repaired geometries."""
    extra = [c for c in attrs.columns if c not in BOUNDARY_COLUMNS]
    kept = pd.concat([canon.loc[keep], attrs.loc[keep, extra]], axis=1).reset_index(drop=True)
    for col in ("pcode", "name", "parent_pcode", "country_iso3", "source"):
        kept[col] = kept[col].astype("str").where(kept[col].notna(), None)
    return gpd.GeoDataFrame(kept, geometry=list(fixed[keep]), crs=WGS84)


def _rejects_table(attrs: pd.DataFrame, rejected: _Rejected, keep: np.ndarray) -> pd.DataFrame:
    """Row number, reason and column of every rejected row, then its attributes as text."""
    rej_mask = ~keep
    rows = np.arange(1, len(attrs) + 1)
    rej_attrs = attrs.loc[rej_mask].astype("string")
    rej_attrs = rej_attrs.rename(
        columns={c: f"src_{c}" for c in rej_attrs.columns if c in {"row", "reason", "column"}}
    )
    head = pd.DataFrame(
        {
            "row": rows[rej_mask],
            "reason": pd.array(rejected.reason[rej_mask].astype(str), dtype="str"),
            "column": pd.array(rejected.column[rej_mask].astype(str), dtype="str"),
        },
        index=rej_attrs.index,
    )
    return pd.concat([head, rej_attrs], axis=1).reset_index(drop=True)
