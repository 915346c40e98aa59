"""Deterministic RFC 7946 GeoJSON writer.

The output is meant for version control, QGIS and web maps: lon/lat WGS84, no ``crs``
member, polygon rings oriented by the right-hand rule (exterior counter-clockwise, holes
clockwise), coordinates rounded to a fixed number of decimals, ISO 8601 dates, ``null``
for every missing value (never a ``NaN`` token), properties in the frame's column order,
features in the frame's row order, UTF-8 with non-ASCII characters kept, one feature per
line. The same frame always gives the same bytes.

Layout::

    {"type":"FeatureCollection","features":[
    {"type":"Feature","properties":{...},"geometry":{...}},
    {"type":"Feature","properties":{...},"geometry":{...}}
    ]}

Coordinates are written in fixed notation with trailing zeros removed (``1.5``, ``-3``,
``0.000001``), never in exponent notation.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from sahel_geo.core.errors import CRSMismatchError, MissingCRSError, SchemaError
from sahel_geo.core.options import get_option
from sahel_geo.io._atomic import atomic_write_text

__all__ = ["geojson_text", "write_geojson"]

_HEAD = '{"type":"FeatureCollection","features":[\n'
_TAIL = "]}\n"
_GEOM_NAMES = {
    0: "Point",
    1: "LineString",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
}


# --- checks --------------------------------------------------------------------------


def _check_frame(gdf: gpd.GeoDataFrame) -> None:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(
            f"write_geojson needs a GeoDataFrame; got a {type(gdf).__name__}. Build one with "
            "geopandas.GeoDataFrame(df, geometry=..., crs=4326)."
        )
    if gdf.crs is None:
        raise MissingCRSError(
            "The GeoDataFrame has no CRS, so its coordinates cannot be checked to be "
            "lon/lat WGS84 (RFC 7946). If they are longitude/latitude, set it with "
            "gdf.set_crs(4326); otherwise set the true CRS and reproject with gdf.to_crs(4326)."
        )
    crs = CRS.from_user_input(gdf.crs)
    if not crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        raise CRSMismatchError(
            f"GeoJSON (RFC 7946) is lon/lat WGS84 (EPSG:4326) but the GeoDataFrame is in "
            f"{crs.to_string()} ({crs.name}). Reproject it first: gdf.to_crs(4326)."
        )
    names = [str(c) for c in gdf.columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SchemaError(
            f"GeoJSON properties must have unique names; duplicated columns: {dupes}. "
            "Rename them before writing."
        )
    geo_name = gdf.geometry.name
    others = [
        str(c)
        for c in gdf.columns
        if c != geo_name and isinstance(gdf[c].dtype, gpd.array.GeometryDtype)
    ]
    if others:
        raise SchemaError(
            f"A GeoJSON feature has one geometry but the frame has other geometry columns "
            f"{others} besides the active one {geo_name!r}. Drop them or convert them to "
            "text first, e.g. gdf[col] = gdf[col].to_wkt()."
        )


# --- coordinates ---------------------------------------------------------------------


def _fmt_numbers(values: np.ndarray, precision: int) -> np.ndarray:
    """Fixed-notation text of rounded numbers, trailing zeros removed, ``-0`` as ``0``."""
    rounded = np.round(values.astype(np.float64), precision)
    rounded[rounded == 0] = 0.0  # drop the sign of -0.0
    if not np.isfinite(rounded).all():
        raise SchemaError(
            "Geometries contain NaN or infinite coordinates, which GeoJSON cannot hold. "
            "Find them with gdf[~np.isfinite(shapely.get_coordinates(gdf.geometry)).all(1)] "
            "and fix or drop those rows."
        )
    if precision > 12:
        # Beyond ~15 significant digits "%.Nf" shows binary noise (179.123000000000019):
        # write the shortest text that reads back to the same number instead.
        shortest = [np.format_float_positional(v, unique=True, trim="-") for v in rounded]
        return np.asarray(shortest, dtype=str)
    text = np.char.mod(f"%.{precision}f", rounded)
    if precision > 0:
        text = np.char.rstrip(np.char.rstrip(text, "0"), ".")
    return text


def _coord_strings(coords: np.ndarray, precision: int) -> list[str]:
    """``[x,y]`` (or ``[x,y,z]``) text for each coordinate row."""
    if len(coords) == 0:
        return []
    cols = [_fmt_numbers(coords[:, i], precision) for i in range(coords.shape[1])]
    joined = cols[0]
    for col in cols[1:]:
        joined = np.char.add(np.char.add(joined, ","), col)
    return list(np.char.add(np.char.add("[", joined), "]").tolist())


def _nest(items: list[str], offsets: np.ndarray) -> list[str]:
    """Group consecutive ``items`` into ``[a,b,...]`` lists cut at ``offsets``."""
    starts = offsets[:-1].tolist()
    ends = offsets[1:].tolist()
    return ["[" + ",".join(items[s:e]) + "]" for s, e in zip(starts, ends, strict=True)]


def _same_type_geometries(geoms: np.ndarray, type_id: int, precision: int) -> list[str]:
    """GeoJSON text of geometries that all share one (non-collection) type."""
    has_z = bool(shapely.has_z(geoms).all())
    _, coords, offsets = shapely.to_ragged_array(geoms, include_z=has_z)
    items = _coord_strings(coords, precision)
    if type_id == 0:  # Point: one coordinate each
        bodies = items
    else:
        # Innermost offsets first: e.g. MultiPolygon has (ring, polygon, part) offsets.
        for off in offsets:
            items = _nest(items, np.asarray(off))
        bodies = items
    name = _GEOM_NAMES[type_id]
    return [f'{{"type":"{name}","coordinates":{b}}}' for b in bodies]


def _geometry_strings(geoms: np.ndarray, precision: int) -> list[str]:
    """GeoJSON text (or ``null``) of each geometry, in order."""
    out = ["null"] * len(geoms)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    type_ids = shapely.get_type_id(geoms)
    for type_id in sorted(_GEOM_NAMES):
        idx = np.flatnonzero(present & (type_ids == type_id))
        if len(idx):
            for i, text in zip(
                idx.tolist(), _same_type_geometries(geoms[idx], type_id, precision), strict=True
            ):
                out[i] = text
    # Rare: geometry collections (and linear rings) go through their parts one by one.
    rest = np.flatnonzero(present & ~np.isin(type_ids, list(_GEOM_NAMES)))
    for i in rest.tolist():
        geom = geoms[i]
        if shapely.get_type_id(geom) == 2:  # LinearRing: write as its LineString
            out[i] = _geometry_strings(np.array([shapely.LineString(geom)]), precision)[0]
            continue
        parts = np.asarray(shapely.get_parts(geom))
        kept = [s for s in _geometry_strings(parts, precision) if s != "null"]
        out[i] = '{"type":"GeometryCollection","geometries":[' + ",".join(kept) + "]}"
    return out


# --- properties ----------------------------------------------------------------------


def _scalar(value: Any) -> Any:
    """One value as a JSON-ready Python object (``None`` for every kind of missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating | decimal.Decimal):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, str):
        return value
    if isinstance(value, pd.Timestamp | dt.datetime):
        ts = pd.Timestamp(value)
        if ts.nanosecond or ts.microsecond:
            return ts.isoformat()
        return ts.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else _scalar(pd.Timestamp(value))
    if isinstance(value, pd.Timedelta | dt.timedelta | np.timedelta64):
        td = pd.Timedelta(value)
        return None if pd.isna(td) else td.isoformat()
    if isinstance(value, dict):
        return {str(k): _scalar(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_scalar(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _datetime_column(s: pd.Series) -> list[Any]:
    missing = s.isna().to_numpy()
    tz = s.dt.tz
    valid = s[~missing]
    if len(valid) == 0:
        return [None] * len(s)
    naive = valid.dt.tz_localize(None) if tz is not None else valid
    subsecond = bool(((naive.dt.microsecond != 0) | (naive.dt.nanosecond != 0)).any())
    if tz is None and not subsecond and bool((naive == naive.dt.normalize()).all()):
        text = valid.dt.strftime("%Y-%m-%d")
    elif subsecond:
        text = valid.map(lambda t: t.isoformat())
    else:
        text = valid.dt.strftime("%Y-%m-%dT%H:%M:%S")
        if tz is not None:
            offset = valid.dt.strftime("%z")
            text = text + offset.str[:-2] + ":" + offset.str[-2:]
    out: list[Any] = [None] * len(s)
    for i, t in zip(np.flatnonzero(~missing).tolist(), text.tolist(), strict=True):
        out[i] = t
    return out


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _encode_by_unique(values: pd.Series) -> list[str]:
    """JSON text of each value, encoding every distinct value once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([_dumps(_scalar(u)) for u in uniques] + ["null"], dtype=object)
    return list(table[codes].tolist())  # code -1 (missing) picks the final "null"


def _column_json(s: pd.Series) -> list[str]:
    """Return the JSON text of each value of one column (``null`` for missing)."""
    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return _encode_by_unique(pd.Series(_datetime_column(s), dtype=object))
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return list(np.where(s.to_numpy(), "true", "false").tolist())
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return [str(v) for v in s.to_numpy().tolist()]
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        arr = s.to_numpy(dtype=np.float64)
        text = [repr(v) for v in arr.tolist()]  # what json.dumps writes for a float
        for i in np.flatnonzero(~np.isfinite(arr)).tolist():
            text[i] = "null"
        return text
    values = s.astype(object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        # Only text is encoded by distinct value: factorize would merge 1, 1.0 and True.
        return _encode_by_unique(values)
    return [_dumps(_scalar(v)) for v in values.tolist()]


def _property_strings(df: pd.DataFrame) -> list[str]:
    if len(df.columns) == 0:
        return ["{}"] * len(df)
    columns = []
    for c in df.columns:
        key = _dumps(str(c)) + ":"
        columns.append([key + v for v in _column_json(df[c])])
    return ["{" + ",".join(row) + "}" for row in zip(*columns, strict=True)]


# --- public --------------------------------------------------------------------------


def _resolve_precision(precision: int | None) -> int:
    if precision is None:
        value: int = get_option("geojson_precision")
        return value
    if not isinstance(precision, int) or isinstance(precision, bool) or not 0 <= precision <= 15:
        raise SchemaError(f"precision must be an integer from 0 to 15; got {precision!r}.")
    return precision


def geojson_text(gdf: gpd.GeoDataFrame, *, precision: int | None = None) -> str:
    """Return a GeoDataFrame as deterministic RFC 7946 GeoJSON text.

    Parameters
    ----------
    gdf
        Features to write, in EPSG:4326. Every column but the active geometry becomes a
        property, in column order; the index is not written.
    precision
        Decimal places of coordinates; default ``get_option("geojson_precision")`` (6).

    Returns
    -------
    str
        The FeatureCollection, one feature per line, ending with a newline.

    Raises
    ------
    MissingCRSError
        The frame has no CRS.
    CRSMismatchError
        The frame is not in EPSG:4326 (reproject with ``gdf.to_crs(4326)``).
    SchemaError
        Duplicate column names, extra geometry columns or non-finite coordinates.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> gdf = gpd.GeoDataFrame({"name": ["Gao"]}, geometry=[Point(0.04, 16.27)], crs=4326)
    >>> print(geojson_text(gdf), end="")
    {"type":"FeatureCollection","features":[
    {"type":"Feature","properties":{"name":"Gao"},"geometry":{"type":"Point","coordinates":[0.04,16.27]}}
    ]}
    """
    _check_frame(gdf)
    digits = _resolve_precision(precision)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    geoms = np.asarray(shapely.orient_polygons(geoms, exterior_cw=False), dtype=object)
    geom_text = _geometry_strings(geoms, digits)
    props = _property_strings(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
    lines = [
        f'{{"type":"Feature","properties":{p},"geometry":{g}}}'
        for p, g in zip(props, geom_text, strict=True)
    ]
    return _HEAD + ",\n".join(lines) + ("\n" if lines else "") + _TAIL


def write_geojson(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    precision: int | None = None,
) -> Path:
    """Write a GeoDataFrame to a deterministic RFC 7946 GeoJSON file, atomically.

    See :func:`geojson_text` for the format. The file is written to a temporary file in
    the same folder and renamed onto ``path``: a failed write leaves any old file intact.

    Parameters
    ----------
    gdf
        Features to write, in EPSG:4326.
    path
        Destination file (parent folders are created).
    precision
        Decimal places of coordinates; default ``get_option("geojson_precision")`` (6).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    MissingCRSError
        The frame has no CRS.
    CRSMismatchError
        The frame is not in EPSG:4326 (reproject with ``gdf.to_crs(4326)``).

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely import Point
    >>> gdf = gpd.GeoDataFrame({"name": ["Gao"]}, geometry=[Point(0.04, 16.27)], crs=4326)
    >>> out = write_geojson(gdf, tempfile.mkdtemp() + "/gao.geojson")
    >>> out.name
    'gao.geojson'
    """
    text = geojson_text(gdf, precision=precision)
    return atomic_write_text(path, text)
