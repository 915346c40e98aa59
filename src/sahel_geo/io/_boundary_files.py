"""Reading boundary files as they come: paths, archives, layers and text encodings.

:func:`load` takes what :func:`sahel_geo.io.boundaries.read_boundaries` is given (a path,
a path into a .zip, a folder by mistake, a GeoDataFrame) and returns the features as read
(:class:`Loaded`), with GDAL's quirks handled: unclosed rings closed and counted, Latin-1
text in UTF-8 formats decoded, a UTF-8 .dbf without .cpg re-read, a GeoJSON file's legacy
``crs`` member kept for the CRS checks. Private helper of :mod:`sahel_geo.io.boundaries`.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import pyogrio.raw
import shapely
import shapely.errors

from sahel_geo.core.errors import InputFileError, SchemaError
from sahel_geo.io._boundary_text import has_mojibake
from sahel_geo.io._topojson import is_topojson, read_topojson

__all__ = ["Loaded", "load"]

logger = logging.getLogger("sahel_geo.io.boundaries")  # a private helper of that module

_SINGLE_LAYER: Final = frozenset({".geojson", ".json", ".shp", ".fgb", ".csv", ".geojsonl"})

_TEXT_FORMATS: Final = frozenset({".geojson", ".json", ".csv", ".gml", ".kml", ".txt"})


def _decode_latin1(raw: bytes) -> bytes:
    """Re-encode Latin-1/cp1252 text as UTF-8 bytes."""
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.encode("utf-8")


def _unreadable(path: Path | str, exc: Exception) -> InputFileError:
    return InputFileError(
        f"{path} cannot be opened as a vector file ({exc}). read_boundaries reads what "
        "GDAL reads (GeoJSON, GeoPackage, Shapefile or a .zip of one, FlatGeobuf...) and "
        "TopoJSON."
    )


def _read_frame(
    target: str, layer: str | None, encoding: str | None, notes: dict[str, int]
) -> pd.DataFrame:
    """Read with pyogrio; polygons with unclosed rings are closed (counted), not raised."""
    with warnings.catch_warnings():
        # GDAL warns once per unclosed ring; they are counted in the notes instead
        warnings.filterwarnings("ignore", "Non closed ring detected", RuntimeWarning)
        try:
            return cast(
                pd.DataFrame, pyogrio.read_dataframe(target, layer=layer, encoding=encoding)
            )
        except shapely.errors.GEOSException:
            pass  # e.g. "Points of LinearRing do not form a closed linestring"
        gdf = cast(
            pd.DataFrame,
            pyogrio.read_dataframe(target, layer=layer, encoding=encoding, on_invalid="fix"),
        )
        wkb = pyogrio.raw.read(target, layer=layer, encoding=encoding, columns=[])[2]
    as_read = shapely.from_wkb(wkb, on_invalid="ignore")
    broken = ~pd.isna(wkb) & shapely.is_missing(as_read)
    fixed = broken & ~shapely.is_missing(np.asarray(gdf.geometry.values, dtype=object))
    if fixed.any():
        notes["unclosed rings closed while reading"] = int(fixed.sum())
    if (broken & ~fixed).any():
        notes["geometries GEOS cannot read (e.g. holes without a shell): missing"] = int(
            (broken & ~fixed).sum()
        )
    return gdf


def _read_vector(
    path: Path, target: str, layer: str | None, notes: dict[str, int]
) -> gpd.GeoDataFrame:
    suffix = path.suffix.lower()
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
        gdf = _read_frame(target, layer, None, notes)
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
            gdf = _read_frame(str(copy), layer, None, notes)
        notes["attribute text decoded as Latin-1"] = 1
        logger.warning("%s is not UTF-8: decoded its text as Latin-1 (cp1252)", path)
        return _require_geometry(gdf, path)
    if suffix in {".shp", ".dbf", ".zip"} and has_mojibake(gdf):
        # A UTF-8 .dbf without .cpg is read by GDAL as ISO-8859-1: "Ségou" -> "SÃ©gou".
        try:
            fixed = _read_frame(target, layer, "UTF-8", notes)
        except UnicodeDecodeError:
            fixed = None
        if fixed is not None and not has_mojibake(fixed):
            notes["attribute text re-read as UTF-8"] = 1
            logger.warning("%s: attribute text re-read as UTF-8 (no .cpg file)", path)
            return _require_geometry(fixed, path)
    return _require_geometry(gdf, path)


def _require_geometry(frame: pd.DataFrame, path: Path) -> gpd.GeoDataFrame:
    """Return the frame as read; raise when it has no geometry column (a table)."""
    if isinstance(frame, gpd.GeoDataFrame):
        return frame
    shp = path.with_suffix(".shp")
    hint = (
        f"pass the shapefile {shp} (the .dbf holds only its attributes)"
        if path.suffix.lower() == ".dbf" and shp.exists()
        else "pass a vector file with polygons, or a CSV with them as WKT in a column "
        "named WKT (and crs=)"
    )
    raise InputFileError(
        f"{path} has no geometry: it reads as a table of {len(frame.columns)} columns "
        f"{[str(c) for c in frame.columns][:8]}. read_boundaries needs polygons: {hint}."
    )


@dataclass(frozen=True)
class Loaded:
    """What was read, under which name, and a GeoJSON file's legacy ``crs`` member.

    Attributes
    ----------
    gdf
        The features as read (a copy of a GeoDataFrame passed in).
    origin
        The file's path (GDAL's path into an archive), or ``"<GeoDataFrame>"``.
    crs_member
        The name in a GeoJSON file's legacy ``crs`` member, or None.
    """

    gdf: gpd.GeoDataFrame
    origin: str
    crs_member: str | None = None


_CRS_MEMBER = re.compile(rb'"crs"\s*:\s*\{[^}]{0,300}?"name"\s*:\s*"([^"]{1,200})"')

_VECTOR_SUFFIXES: Final = frozenset(
    {".shp", ".gpkg", ".geojson", ".json", ".topojson", ".fgb", ".kml", ".gml", ".zip"}
)


def _crs_member(path: Path) -> str | None:
    """Return the name in a GeoJSON file's legacy ``crs`` member (None without one)."""
    if path.suffix.lower() not in {".geojson", ".json"}:
        return None
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    m = _CRS_MEMBER.search(head)
    return m.group(1).decode("utf-8", "replace") if m else None


def _wrong_type(path: object) -> InputFileError:
    """Build the error for a ``path`` that is neither a path nor a GeoDataFrame."""
    hint = {
        "NoneType": " (None: was a path variable left unset?)",
        "GeoSeries": " (a GeoSeries has no codes or names: build a GeoDataFrame, e.g. "
        "geopandas.GeoDataFrame({'pcode': ..., 'name': ...}, geometry=series))",
    }.get(type(path).__name__, "")
    return InputFileError(
        "read_boundaries reads a file path (str or pathlib.Path) or a GeoDataFrame; got "
        f"{type(path).__name__}{hint}."
    )


def _archive_member(p: Path) -> str:
    """Return GDAL's path to the vector file of a .zip (in a subfolder if need be)."""
    if not zipfile.is_zipfile(p):
        raise InputFileError(f"{p} is not a valid zip archive.")
    with zipfile.ZipFile(p) as zf:
        names = [n for n in zf.namelist() if Path(n).suffix.lower() in _VECTOR_SUFFIXES]
    top = [n for n in names if "/" not in n.rstrip("/")]
    if not names:
        with zipfile.ZipFile(p) as zf:
            found = zf.namelist()[:10]
        raise InputFileError(
            f"{p} holds no vector file (found: {found}): zip the shapefile's parts (.shp, "
            ".shx, .dbf, .prj), a GeoPackage or a GeoJSON."
        )
    if top:
        return str(p)  # GDAL opens the archive itself
    if len(names) > 1:
        raise SchemaError(
            f"{p} holds {len(names)} vector files in subfolders {names[:10]}: pass one as "
            f"'{p}!{names[0]}'."
        )
    return f"/vsizip/{p}/{names[0]}"


def _folder_error(p: Path) -> InputFileError:
    found = sorted(c.name for c in p.iterdir() if c.suffix.lower() in _VECTOR_SUFFIXES)
    listing = f"found: {found[:10]}" if found else "it holds no vector file"
    return InputFileError(
        f"{p} is a folder, not a file: pass one of the boundary files in it ({listing})."
    )


def _check_shapefile(p: Path) -> None:
    """Raise when a shapefile's .dbf (its codes and names) is not beside it."""
    if p.suffix.lower() == ".shp" and not any(p.with_suffix(s).exists() for s in (".dbf", ".DBF")):
        raise InputFileError(
            f"{p} has no {p.stem}.dbf beside it, so its units have no codes or names. Copy "
            "every part of the shapefile (.shp, .shx, .dbf, .prj, .cpg) into one folder, or "
            "pass the .zip they came in."
        )


def load(
    path: str | os.PathLike[str] | gpd.GeoDataFrame, layer: str | None, notes: dict[str, int]
) -> Loaded:
    """Read a boundary file (or take a GeoDataFrame) as it is, with what it was read from.

    Parameters
    ----------
    path
        A vector file GDAL reads, a .zip of one or a path into one (``zip://a.zip!b.shp``),
        a TopoJSON file, or a GeoDataFrame.
    layer
        Layer of a multi-layer file, or object of a TopoJSON topology.
    notes
        The step report's notes; encoding fixes, closed rings and the like are counted
        here.

    Returns
    -------
    Loaded
        The features, their origin and a GeoJSON file's legacy ``crs`` member.

    Raises
    ------
    InputFileError
        Not a path or a GeoDataFrame; a missing, empty, unreadable or geometry-less file,
        a folder, a shapefile without its .dbf, an archive without a vector file.
    SchemaError
        A DataFrame without geometry, several layers and no ``layer=``, an unknown layer,
        several vector files in an archive's subfolders.
    """
    if isinstance(path, gpd.GeoDataFrame):
        return Loaded(path.copy(), "<GeoDataFrame>")
    if isinstance(path, pd.DataFrame):
        raise SchemaError(
            "read_boundaries needs a file path or a GeoDataFrame; got a DataFrame without "
            "geometry. Build one with geopandas.GeoDataFrame(df, geometry=..., crs=...)."
        )
    if not isinstance(path, str | os.PathLike):
        raise _wrong_type(path)
    text = str(os.fspath(path))
    if text.startswith(("zip://", "/vsi")) or ".zip!" in text:
        # GDAL's and fiona's paths into an archive: "zip://units.zip!adm1/units.shp"
        archive = Path(text.removeprefix("zip://").split("!")[0])
        if not text.startswith("/vsi") and not archive.is_file():
            raise InputFileError(f"Boundary archive {archive} does not exist.")
        inner = Path(text.split("!")[-1])
        return Loaded(_read_vector(inner, text, layer, notes), text)
    p = Path(text)
    if not p.exists():
        raise InputFileError(f"Boundary file {p} does not exist.")
    if p.is_dir():
        raise _folder_error(p)
    if p.stat().st_size == 0:
        raise InputFileError(f"Boundary file {p} is empty (0 bytes).")
    if is_topojson(p):
        return Loaded(read_topojson(p, object_name=layer), str(p))
    _check_shapefile(p)
    target = _archive_member(p) if p.suffix.lower() == ".zip" else str(p)
    if target.startswith("/vsizip/"):
        notes[f"read {target.removeprefix(f'/vsizip/{p}/')} from a subfolder of the archive"] = 1
    return Loaded(_read_vector(p, target, layer, notes), str(p), _crs_member(p))
