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

Rows are never dropped silently: missing, empty, non-finite or non-polygonal
geometries, missing and duplicate pcodes go to the rejects of a
:class:`~sahel_geo.StepReport` attached to the result; repaired invalid geometries,
GeometryCollections reduced to their polygons (``geometrycollection_to_polygons``),
unclosed rings, reprojection, numeric P-codes and encoding fixes are counted in its
notes. A file that leaves no unit raises :class:`~sahel_geo.EmptyResultError` naming
every reason and its rows.

Coordinates written ``[lat, lon]`` are an error, not a repair: when most units checked
lie outside their country's bounding box (``COUNTRY_BBOX``; the country from
``country_iso3`` or the P-code's ISO prefix) but inside it with x and y swapped, or lie
beyond latitude ±90 but in range swapped, :class:`~sahel_geo.CRSError` says how to swap
them (a silent swap would hide a broken export); a single such unit among correct ones
is rejected. A CRS that contradicts the coordinates (a projected CRS, e.g. a legacy
GeoJSON ``crs`` member ``EPSG:3857``, over degrees; a geographic CRS over metres) raises
naming both.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pycountry
import pyogrio
import pyogrio.errors
import pyogrio.raw
import pyproj.exceptions
import shapely
import shapely.errors
from pyproj import CRS

from sahel_geo.core.errors import (
    CRSError,
    CRSMismatchError,
    EmptyResultError,
    InputFileError,
    MissingCRSError,
    SchemaError,
)
from sahel_geo.core.reports import StepReport, attach_report
from sahel_geo.core.schema import BOUNDARY_COLUMNS, WGS84
from sahel_geo.io._boundary_sources import (
    BOUNDARY_SOURCES,
    NE_ISO_3166_2,
    Mapped,
    clean_text,
    has_mojibake,
    map_source,
    ne_admin1_pcodes,
    repair_mojibake,
    restore_shapefile_names,
)
from sahel_geo.io._countries import COUNTRY_BBOX, LATLON_SWAP_FIX, swapped_in_country_bbox
from sahel_geo.io._topojson import is_topojson, read_topojson

__all__ = ["BOUNDARY_SOURCES", "NE_ISO_3166_2", "ne_admin1_pcodes", "read_boundaries"]

logger = logging.getLogger(__name__)

_SINGLE_LAYER: Final = frozenset({".geojson", ".json", ".shp", ".fgb", ".csv", ".geojsonl"})
_TEXT_FORMATS: Final = frozenset({".geojson", ".json", ".csv", ".gml", ".kml", ".txt"})


# --- reading ---------------------------------------------------------------------------


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
class _Loaded:
    """What was read, under which name, and a GeoJSON file's legacy ``crs`` member."""

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


def _load(
    path: str | os.PathLike[str] | gpd.GeoDataFrame, layer: str | None, notes: dict[str, int]
) -> _Loaded:
    if isinstance(path, gpd.GeoDataFrame):
        return _Loaded(path.copy(), "<GeoDataFrame>")
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
        return _Loaded(_read_vector(inner, text, layer, notes), text)
    p = Path(text)
    if not p.exists():
        raise InputFileError(f"Boundary file {p} does not exist.")
    if p.is_dir():
        raise _folder_error(p)
    if p.stat().st_size == 0:
        raise InputFileError(f"Boundary file {p} is empty (0 bytes).")
    if is_topojson(p):
        return _Loaded(read_topojson(p, object_name=layer), str(p))
    _check_shapefile(p)
    target = _archive_member(p) if p.suffix.lower() == ".zip" else str(p)
    if target.startswith("/vsizip/"):
        notes[f"read {target.removeprefix(f'/vsizip/{p}/')} from a subfolder of the archive"] = 1
    return _Loaded(_read_vector(p, target, layer, notes), str(p), _crs_member(p))


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


def _crs_name(crs: CRS) -> str:
    return f"{crs.to_string()} ({crs.name})"


def _user_crs(crs: str | int) -> CRS:
    try:
        return CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(
            f"crs={crs!r} is not a CRS pyproj knows ({exc}). Pass e.g. crs=4326 for "
            "longitude/latitude or crs='EPSG:32630' for UTM zone 30N."
        ) from None


def _check_not_degrees(gdf: gpd.GeoDataFrame, loaded: _Loaded, found: CRS) -> None:
    """Raise when a projected CRS labels coordinates that are longitude/latitude degrees."""
    bounds = np.asarray(gdf.total_bounds, dtype=float) if len(gdf) else np.full(4, np.nan)
    if not found.is_projected or not np.isfinite(bounds).all():
        return
    minx, miny, maxx, maxy = bounds.tolist()
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        return
    member = f" (its GeoJSON crs member says {loaded.crs_member!r})" if loaded.crs_member else ""
    unit = found.axis_info[0].unit_name if found.axis_info else "metre"
    raise CRSMismatchError(
        f"{loaded.origin}: its CRS is {_crs_name(found)}, in {unit}s{member}, but its "
        f"coordinates ({minx:g}, {miny:g}, {maxx:g}, {maxy:g}) look like longitude/latitude "
        "degrees: reprojecting would put every unit within metres of (0, 0), in the Gulf "
        "of Guinea. The CRS label is wrong: remove the legacy 'crs' member (GeoJSON "
        "coordinates are longitude/latitude, RFC 7946) or fix the .prj, or read the file "
        "with geopandas, call .set_crs(4326, allow_override=True) and pass the GeoDataFrame."
    )


def _reproject(
    loaded: _Loaded, crs: str | int | None, notes: dict[str, int]
) -> tuple[gpd.GeoDataFrame, str]:
    """Return the frame in EPSG:4326 and the name of the CRS it came in."""
    gdf, origin = loaded.gdf, loaded.origin
    if gdf.crs is None:
        if crs is None:
            raise MissingCRSError(
                f"{origin} has no CRS (e.g. a shapefile without its .prj, a CSV with WKT), so "
                "its coordinates cannot be placed. Say which CRS they are in: "
                "read_boundaries(path, crs=4326) for longitude/latitude, or e.g. crs=32630."
            )
        gdf = gdf.set_crs(_user_crs(crs))
        notes[f"CRS {CRS.from_user_input(crs).to_string()} assigned (crs=)"] = len(gdf)
    elif crs is not None:
        given, found = _user_crs(crs), CRS.from_user_input(gdf.crs)
        if not given.equals(found, ignore_axis_order=True):
            raise CRSMismatchError(
                f"{origin} is in {found.to_string()} ({found.name}) but crs={crs!r} "
                f"({given.name}) was passed. Drop crs= to use the file's CRS (it is "
                "reprojected to EPSG:4326), or fix the file's CRS."
            )
    found = CRS.from_user_input(gdf.crs)
    _check_not_degrees(gdf, loaded, found)
    _note_unknown_member(loaded, notes)
    if found.equals(CRS.from_user_input(WGS84), ignore_axis_order=True):
        if found.to_epsg() != 4326:  # e.g. OGC:CRS84: same coordinates, canonical label
            gdf = gdf.set_crs(WGS84, allow_override=True)
        return gdf, _crs_name(found)
    logger.info("%s: reprojected from %s to %s", origin, found.to_string(), WGS84)
    notes[f"reprojected from {found.to_string()} to {WGS84}"] = len(gdf)
    return gdf.to_crs(WGS84), _crs_name(found)


def _note_unknown_member(loaded: _Loaded, notes: dict[str, int]) -> None:
    """Count a legacy ``crs`` member GDAL ignored because nobody knows it."""
    if loaded.crs_member is None:
        return
    try:
        CRS.from_user_input(loaded.crs_member)
    except pyproj.exceptions.CRSError:
        notes[
            f"legacy GeoJSON crs member {loaded.crs_member!r} not recognised: coordinates "
            "read as longitude/latitude (EPSG:4326)"
        ] = 1


def _nonfinite(geoms: np.ndarray) -> np.ndarray:
    """Rows with a NaN or infinite coordinate (GEOS cannot test or repair them)."""
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    bad = np.zeros(len(geoms), dtype=bool)
    bad[np.unique(index[~np.isfinite(coords).all(axis=1)])] = True
    return bad


def _collections_to_polygons(
    geoms: np.ndarray, todo: np.ndarray, rejected: _Rejected, notes: dict[str, int]
) -> np.ndarray:
    """Replace GeometryCollections by their polygon parts (counted); reject the others."""
    fixed = geoms.copy()
    is_gc = todo & (shapely.get_type_id(geoms) == 7)
    if not is_gc.any():
        return fixed
    fixed[is_gc] = _polygonal(geoms[is_gc])
    none = is_gc & shapely.is_empty(fixed)
    rejected.reject(none, "geometry collection without polygon parts", "geometry")
    if (is_gc & ~none).any():
        notes["geometrycollection_to_polygons"] = int((is_gc & ~none).sum())
    return fixed


#: ISO 3166-1 alpha-2 -> alpha-3 of the countries with a bounding box.
_ISO2_OF_BBOX: Final = {
    str(getattr(pycountry.countries.get(alpha_3=k), "alpha_2", "")): k for k in COUNTRY_BBOX
}
_TYPE_NAMES: Final = ("Point", "LineString", "LinearRing", "", "MultiPoint", "MultiLineString")


def _repair_geometries(
    raw: gpd.GeoDataFrame, rejected: _Rejected, notes: dict[str, int]
) -> np.ndarray:
    """Reject missing, empty, non-finite and non-polygon geometries; repair the others.

    A GeometryCollection keeps its polygon parts (note ``geometrycollection_to_polygons``);
    invalid polygons are repaired with ``shapely.make_valid`` (counted).
    """
    geom_col = raw.geometry.name
    geoms = np.asarray(raw.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms)
    rejected.reject(missing, "missing geometry", geom_col)
    empty = ~missing & shapely.is_empty(geoms)
    rejected.reject(empty, "empty geometry", geom_col)
    nonfinite = rejected.ok() & _nonfinite(geoms)
    rejected.reject(nonfinite, "coordinates not finite (NaN or infinity)", geom_col)
    kinds = shapely.get_type_id(geoms)
    not_poly = rejected.ok() & ~np.isin(kinds, [3, 6, 7])
    if not_poly.any():
        names = np.array(_TYPE_NAMES)[np.asarray(kinds[not_poly])]
        text = np.char.add(np.char.add("not a polygon (", names), ")")
        rejected.reject(not_poly, text, geom_col)
    fixed = _collections_to_polygons(geoms, rejected.ok(), rejected, notes)
    todo = rejected.ok()
    invalid = todo & ~shapely.is_valid(fixed)
    if invalid.any():
        fixed[invalid] = shapely.make_valid(fixed[invalid])
        notes["invalid geometries repaired (make_valid)"] = int(invalid.sum())
    fixed[todo] = _polygonal(fixed[todo])
    lost = todo & (shapely.is_empty(fixed) | ~np.isin(shapely.get_type_id(fixed), [3, 6]))
    rejected.reject(lost, "no polygonal part (after repair)", geom_col)
    return fixed


def _rows_text(rows: np.ndarray) -> str:
    """Return ``row 3`` or ``rows 1, 2, 5`` (the first ten, then how many more)."""
    shown = ", ".join(str(r) for r in rows[:10].tolist())
    more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
    return f"{'row' if len(rows) == 1 else 'rows'} {shown}{more}"


def _latitude_first_member(member: str | None) -> str:
    """Return a sentence naming a legacy ``crs`` member that declares latitude first."""
    try:
        axes = CRS.from_user_input(member).axis_info if member else []
    except pyproj.exceptions.CRSError:
        axes = []
    if not axes or axes[0].direction.lower() != "north":
        return ""
    return (
        f" The file's legacy crs member {member!r} declares latitude-first axis order, "
        "which these coordinates follow, but GeoJSON coordinates are [lon, lat] (RFC 7946)."
    )


def _country_for_check(mapped: Mapped) -> np.ndarray:
    """Return ``country_iso3``, else the country of a P-code's prefix (``ML01``, ``NE-8``)."""
    country = mapped.country.to_numpy(dtype=object).copy()
    pcode = pd.Series(mapped.pcode.to_numpy(dtype=object), dtype="str")
    prefix = pcode.str.extract(r"^([A-Z]{2})[-.]?[A-Z0-9]", expand=False)
    guess = prefix.map(_ISO2_OF_BBOX).to_numpy(dtype=object)
    missing = pd.isna(country)
    country[missing] = guess[missing]
    return country


def _check_axes(
    fixed: np.ndarray, mapped: Mapped, rejected: _Rejected, loaded: _Loaded, crs_name: str
) -> None:
    """Raise when most units are ``[lat, lon]`` or not degrees; reject the odd one out.

    A unit looks swapped when it lies beyond latitude ±90 but within range once x and y
    are swapped, or when its country is known (``country_iso3``, else the ISO 3166-1
    prefix of its P-code: ``ML01``, ``NE-8``) and in ``COUNTRY_BBOX``, and the centre of
    its bounds lies outside the country's box but inside it swapped.
    """
    idx = np.flatnonzero(rejected.ok())
    if not len(idx):
        return
    minx, miny, maxx, maxy = shapely.bounds(fixed[idx]).T
    beyond = (minx < -180) | (maxx > 180) | (miny < -90) | (maxy > 90)
    in_range_swapped = (minx >= -90) & (maxx <= 90) & (miny >= -180) & (maxy <= 180)
    codes = _country_for_check(mapped)[idx]
    in_box_swapped, _ = swapped_in_country_bbox((minx + maxx) / 2, (miny + maxy) / 2, codes)
    by_range, by_box = beyond & in_range_swapped, ~beyond & in_box_swapped
    swapped = by_range | by_box
    checked = beyond | np.isin(codes, list(COUNTRY_BBOX))
    if swapped.any() and 2 * swapped.sum() > checked.sum():
        found = [
            f"{int(by_range.sum())} lie beyond latitude ±90 but in range with x and y swapped"
            if by_range.any()
            else "",
            f"{int(by_box.sum())} lie outside their country's bounding box but inside it "
            "with x and y swapped"
            if by_box.any()
            else "",
        ]
        raise CRSError(
            f"{loaded.origin}: coordinates look like [lat, lon]: of {int(checked.sum())} "
            f"units checked, {' and '.join(f for f in found if f)} "
            f"({_rows_text(idx[swapped] + 1)}).{_latitude_first_member(loaded.crs_member)} "
            f"{LATLON_SWAP_FIX[0].upper()}{LATLON_SWAP_FIX[1:]}."
        )
    not_degrees = beyond & ~swapped
    if 2 * not_degrees.sum() > len(idx):
        box = f"({minx.min():g}, {miny.min():g}, {maxx.max():g}, {maxy.max():g})"
        raise CRSError(
            f"{loaded.origin}: its CRS is {crs_name}, longitude/latitude, but "
            f"{int(not_degrees.sum())} of {len(idx)} units have coordinates beyond ±180/±90 "
            f"{box}: they are not degrees (a projected file labelled as geographic?). Set "
            "the true CRS: fix the .prj or crs member, or read the file with geopandas, "
            "call .set_crs(<EPSG code>, allow_override=True) and pass the GeoDataFrame."
        )
    rejected.reject(idx[swapped], "coordinates look like [lat, lon]", "geometry")
    rejected.reject(idx[not_degrees], "coordinates beyond longitude/latitude range", "geometry")


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
        ``path`` is not a path or a GeoDataFrame; a missing, empty, unreadable or
        geometry-less file, a folder, a shapefile without its .dbf, a broken TopoJSON.
    MissingCRSError
        The file has no CRS and ``crs`` was not given.
    CRSMismatchError
        ``crs`` disagrees with the file's own CRS, or a projected CRS labels degrees.
    CRSError
        Coordinates look like ``[lat, lon]``, are not degrees under a geographic CRS,
        or ``crs`` is not a CRS.
    SchemaError
        The columns match no known source (the message lists what each needs), or a
        mapping or level is wrong.
    EmptyResultError
        Every row was rejected (the message names the reasons, rows and the fix).

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
    loaded = _load(path, layer, notes)
    origin = loaded.origin
    if len(loaded.gdf) == 0:
        raise InputFileError(f"{origin} holds no features.")
    raw, crs_name = _reproject(loaded, crs, notes)
    raw = raw.reset_index(drop=True)
    attrs = pd.DataFrame(raw.drop(columns=raw.geometry.name))
    attrs = restore_shapefile_names(repair_mojibake(attrs, notes), notes)
    mapped = map_source(attrs, source, level, columns, origin, notes)
    n = len(raw)
    rejected = _Rejected.for_rows(n)
    fixed = _repair_geometries(raw, rejected, notes)
    _check_axes(fixed, mapped, rejected, loaded, crs_name)
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
    _fail_when_nothing_kept(report)
    attach_report(out, report)
    logger.info("%s", report.summary())
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


_HINTS: Final = (
    (
        ("not a polygon (LineString)", "not a polygon (LinearRing)", "not a polygon (MultiLine"),
        "The file holds lines (boundary lines?), not areas: read the boundaries' polygon "
        "layer, or build polygons with shapely.polygonize.",
    ),
    (
        ("not a polygon (Point)", "not a polygon (MultiPoint)"),
        "The file holds points (unit centroids?), not areas: read the polygon boundaries.",
    ),
    (
        ("missing geometry", "empty geometry"),
        "The features have no geometry: re-export the file with its polygons.",
    ),
    (("missing pcode",), "The pcode column is empty: check columns= and level=."),
)


def _fail_when_nothing_kept(report: StepReport) -> None:
    """Raise EmptyResultError naming every reason (and its rows) when no unit is left."""
    if report.n_kept or not report.n_in:
        return
    table = report.rejects
    parts = []
    for reason, rows in table.groupby("reason", sort=False)["row"]:
        parts.append(f"{reason} ({_rows_text(rows.to_numpy())})")
    hints = [hint for keys, hint in _HINTS if table["reason"].str.startswith(keys).any()]
    raise EmptyResultError(
        f"{report.source}: no unit left: all {report.n_in} rows were rejected: "
        + "; ".join(parts)
        + ". "
        + (" ".join(hints) if hints else "Fix the rows named above.")
    )
