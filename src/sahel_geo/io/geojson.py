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
``0.000001``), never in exponent notation. Property values are written as
``json.dumps(value, ensure_ascii=False)`` writes them (floats as Python's ``repr``).

The text is built column by column with Arrow string kernels (numbers formatted as whole
columns, strings quoted as whole columns and only the few needing escapes passed through
``json.dumps``), then feature by feature, a chunk of features at a time:
:func:`write_geojson` streams the chunks to the file.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS

from sahel_geo.core.errors import CRSMismatchError, MissingCRSError, SchemaError
from sahel_geo.core.options import get_option
from sahel_geo.core.threads import n_threads
from sahel_geo.io._atomic import atomic_path

__all__ = ["geojson_text", "write_geojson"]

_HEAD = '{"type":"FeatureCollection","features":[\n'
_TAIL = "]}\n"
_CHUNK = 65_536  # features formatted (and written) at a time
_BIN = pa.large_binary()
_STR = pa.large_string()
_STR_TYPES: frozenset[type] = frozenset({str, np.str_})
_BOOL_TYPES: frozenset[type] = frozenset({bool, np.bool_})
_INT_TYPES: frozenset[type] = frozenset(
    {int, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64}
)
_FLOAT_TYPES: frozenset[type] = frozenset({float, np.float16, np.float32, np.float64})
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


# --- arrow text helpers --------------------------------------------------------------


def _lit(text: str) -> pa.Scalar:
    """Return ``text`` as a UTF-8 literal for the element-wise joins."""
    return pa.scalar(text.encode("utf-8", "surrogatepass"), _BIN)


_EMPTY = _lit("")
_NULL = _lit("null")
_QUOTE = _lit('"')


def _join(*parts: Any) -> pa.Array:
    """Element-wise concatenation of binary arrays and literals (null in, null out)."""
    return pc.binary_join_element_wise(*parts, _EMPTY)


def _binary(texts: list[str]) -> pa.Array:
    """Python strings as a binary array (lone surrogates kept, as ``str`` keeps them)."""
    return pa.array([t.encode("utf-8", "surrogatepass") for t in texts], type=_BIN)


def _as_binary(text: pa.Array) -> pa.Array:
    """Return a string array viewed as bytes (no copy)."""
    return text.cast(_BIN)


def _scatter(present_text: pa.Array, missing: np.ndarray) -> pa.Array:
    """Text of every row: ``present_text`` in order where not ``missing``, else ``null``."""
    positions = np.full(len(missing), len(present_text), dtype=np.int64)
    positions[~missing] = np.arange(len(present_text), dtype=np.int64)
    table = pa.concat_arrays([present_text, pa.array([b"null"], type=_BIN)])
    return table.take(pa.array(positions))


def _bytes_of(values: pa.Array) -> tuple[np.ndarray, memoryview]:
    """Return the offsets and the concatenated bytes of a large binary or string array."""
    n = len(values)
    buffers = values.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[values.offset : values.offset + n + 1]
    if buffers[2] is None or n == 0:
        return offsets, memoryview(b"")
    return offsets, memoryview(buffers[2])[int(offsets[0]) : int(offsets[-1])]


def _needs_escape(values: pa.Array) -> np.ndarray:
    """Return which texts hold a character ``json.dumps`` escapes (control, quote, backslash)."""
    offsets, data = _bytes_of(values)
    octets = np.frombuffer(data, dtype=np.uint8)
    # In UTF-8 these bytes only ever stand for themselves (ASCII)
    hits = np.flatnonzero((octets < 0x20) | (octets == 0x22) | (octets == 0x5C))
    special = np.zeros(len(values), dtype=bool)
    if len(hits):
        rows = np.searchsorted(offsets, hits + offsets[0], side="right") - 1
        special[rows] = True
    return special


# --- coordinates ---------------------------------------------------------------------


def _check_finite(rounded: np.ndarray) -> None:
    """Raise on NaN or infinite coordinates."""
    if not np.isfinite(rounded).all():
        raise SchemaError(
            "Geometries contain NaN or infinite coordinates, which GeoJSON cannot hold. "
            "Find them with gdf[~np.isfinite(shapely.get_coordinates(gdf.geometry)).all(1)] "
            "and fix or drop those rows."
        )


def _fixed_by_units(units: np.ndarray, precision: int) -> pa.Array:
    """Fixed-notation text of ``units / 10**precision``, trailing zeros and dot removed."""
    scale = 10**precision
    magnitude = np.abs(units).astype(np.int64)
    text = _int_text(magnitude // scale)
    if precision > 0:
        fraction = magnitude % scale
        digits = pc.utf8_lpad(pc.cast(pa.array(fraction), _STR), width=precision, padding="0")
        digits = _as_binary(pc.utf8_rtrim(digits, characters="0"))
        text = pc.if_else(pa.array(fraction != 0), _join(text, _lit("."), digits), text)
    return pc.if_else(pa.array(units < 0), _join(_lit("-"), text), text)


def _fmt_numbers(values: np.ndarray, precision: int) -> pa.Array:
    """Fixed-notation text of rounded numbers, trailing zeros removed, ``-0`` as ``0``."""
    rounded = np.round(values.astype(np.float64), precision)
    rounded[rounded == 0] = 0.0  # drop the sign of -0.0
    _check_finite(rounded)
    if precision > 12:
        # Beyond ~15 significant digits "%.Nf" shows binary noise (179.123000000000019):
        # write the shortest text that reads back to the same number instead.
        shortest = [np.format_float_positional(v, unique=True, trim="-") for v in rounded]
        return _binary(shortest)
    scaled = rounded * 10.0**precision
    units = np.rint(scaled)
    # "%.Nf" of `rounded` is the integer nearest to rounded * 10**N, written with N
    # decimals: `units` is that integer while the product is far from a half (checked)
    # and exact to well under 0.5 (|units| < 2**50). Otherwise format as "%.Nf" does.
    if len(units) == 0 or (np.abs(units).max() < 2**50 and np.abs(scaled - units).max() <= 0.25):
        return _fixed_by_units(units, precision)
    text = np.char.mod(f"%.{precision}f", rounded)
    if precision > 0:
        text = np.char.rstrip(np.char.rstrip(text, "0"), ".")
    return _binary(text.tolist())


def _coord_strings(coords: np.ndarray, precision: int) -> pa.Array:
    """``[x,y]`` (or ``[x,y,z]``) text for each coordinate row."""
    parts: list[Any] = [_lit("[")]
    for i in range(coords.shape[1]):
        parts += [_lit(",")] if i else []
        parts.append(_fmt_numbers(coords[:, i], precision))
    return _join(*parts, _lit("]"))


def _nest(items: pa.Array, offsets: np.ndarray) -> pa.Array:
    """Group consecutive ``items`` into ``[a,b,...]`` lists cut at ``offsets``."""
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, type=pa.int64()), items)
    return _join(_lit("["), pc.binary_join(lists, _lit(",")), _lit("]"))


def _same_type_geometries(geoms: np.ndarray, type_id: int, precision: int, has_z: bool) -> pa.Array:
    """GeoJSON text of geometries that all share one (non-collection) type."""
    _, coords, offsets = shapely.to_ragged_array(geoms, include_z=has_z)
    bodies = _coord_strings(coords, precision)
    if type_id != 0:  # Point: one coordinate each
        # Innermost offsets first: e.g. MultiPolygon has (ring, polygon, part) offsets.
        for off in offsets:
            bodies = _nest(bodies, np.asarray(off))
    name = _GEOM_NAMES[type_id]
    return _join(_lit(f'{{"type":"{name}","coordinates":'), bodies, _lit("}"))


def _z_by_type(geoms: np.ndarray) -> dict[int, bool]:
    """Whether all present geometries of each type have a z coordinate."""
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    type_ids = shapely.get_type_id(geoms)
    has_z = shapely.has_z(geoms)
    return {t: bool(has_z[present & (type_ids == t)].all()) for t in _GEOM_NAMES}


def _oriented(geoms: np.ndarray) -> np.ndarray:
    """Polygon rings by the right-hand rule (a copy; only polygonal geometries change)."""
    out = np.array(geoms, dtype=object)
    polygonal = np.isin(shapely.get_type_id(out), [3, 6, 7])  # (Multi)Polygon, collection
    if polygonal.any():
        out[polygonal] = shapely.orient_polygons(out[polygonal], exterior_cw=False)
    return out


def _collection_text(geom: Any, precision: int) -> str:
    """GeoJSON text of a geometry collection (or a linear ring, as its LineString)."""
    if shapely.get_type_id(geom) == 2:  # LinearRing: write as its LineString
        ring = np.array([shapely.LineString(geom)])
        return bytes(_bytes_of(_geometry_strings(ring, precision))[1]).decode("utf-8")
    parts = np.asarray(shapely.get_parts(geom))
    texts = _geometry_strings(parts, precision).to_pylist() if len(parts) else []
    kept = [t.decode("utf-8") for t in texts if t != b"null"]
    return '{"type":"GeometryCollection","geometries":[' + ",".join(kept) + "]}"


def _geometry_strings(
    geoms: np.ndarray, precision: int, z_by_type: dict[int, bool] | None = None
) -> pa.Array:
    """GeoJSON text (or ``null``) of each geometry, in order.

    ``z_by_type`` says per type whether coordinates carry z; by default, whether all
    geometries of that type in ``geoms`` have one.
    """
    z_by_type = _z_by_type(geoms) if z_by_type is None else z_by_type
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    type_ids = shapely.get_type_id(geoms)
    pieces: list[pa.Array] = []
    order = np.full(len(geoms), -1, dtype=np.int64)
    done = 0
    for type_id in sorted(_GEOM_NAMES):
        idx = np.flatnonzero(present & (type_ids == type_id))
        if len(idx):
            pieces.append(_same_type_geometries(geoms[idx], type_id, precision, z_by_type[type_id]))
            order[idx], done = np.arange(done, done + len(idx)), done + len(idx)
    # Rare: geometry collections (and linear rings) go through their parts one by one.
    rest = np.flatnonzero(present & ~np.isin(type_ids, list(_GEOM_NAMES)))
    pieces.append(_binary([_collection_text(geoms[i], precision) for i in rest.tolist()]))
    order[rest] = np.arange(done, done + len(rest))
    order[order < 0] = done + len(rest)
    pieces.append(pa.array([b"null"], type=_BIN))
    return pa.concat_arrays(pieces).take(pa.array(order))


# --- property values -----------------------------------------------------------------


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


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _float_text(values: np.ndarray) -> pa.Array:
    """Write each float as ``json.dumps`` does (Python's ``repr``); ``null`` if not finite.

    Arrow writes the same shortest round-trip digits as ``repr``; where ``repr`` writes
    fixed notation (``1e-4 <= |v| < 1e16``, and zero) and Arrow does too, the texts differ
    only by the ``.0`` that ``repr`` adds to whole numbers. Every other value is written
    by ``repr`` itself.
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    text = pc.cast(pa.array(values), _STR)
    magnitude = np.abs(values)
    with np.errstate(invalid="ignore"):
        fixed = (magnitude == 0) | ((magnitude >= 1e-4) & (magnitude < 1e16))
    fixed &= ~pc.match_substring(text, "e").to_numpy(zero_copy_only=False)
    whole = ~pc.match_substring(text, ".").to_numpy(zero_copy_only=False)
    text = _as_binary(text)
    text = pc.if_else(pa.array(whole), _join(text, _lit(".0")), text)
    finite = np.isfinite(values)
    redo = ~finite | ~fixed
    if redo.any():
        idx = np.flatnonzero(redo)
        texts = [repr(v) if math.isfinite(v) else "null" for v in values[idx].tolist()]
        text = pc.replace_with_mask(text, pa.array(redo), _binary(texts))
    return text


def _int_text(values: np.ndarray) -> pa.Array:
    """Decimal text of integers."""
    return _as_binary(pc.cast(pa.array(values), _STR))


def _bool_text(values: np.ndarray) -> pa.Array:
    """``true``/``false``."""
    return pc.if_else(pa.array(np.asarray(values, dtype=bool)), _lit("true"), _lit("false"))


def _string_text(values: pa.Array, prefix: str = "") -> pa.Array:
    """JSON string of each text (as ``json.dumps`` writes it), ``null`` for missing.

    ``prefix`` (e.g. ``,"name":``) is written before each value.
    """
    values = values.cast(_STR)
    quoted = _join(_lit(prefix + '"'), _as_binary(values), _QUOTE)
    # json.dumps(ensure_ascii=False) escapes only '"', '\\' and control characters
    special = _needs_escape(values)  # a null may be flagged too: it is written "null" anyway
    if special.any():
        escaped = [prefix + _dumps(v) for v in values.filter(pa.array(special)).to_pylist()]
        quoted = pc.replace_with_mask(quoted, pa.array(special), _binary(escaped))
    return pc.fill_null(quoted, _lit(prefix + "null"))


def _python_text(values: np.ndarray) -> pa.Array:
    """JSON text of each value, one ``json.dumps`` call each (mixed or rare types)."""
    return _binary([_dumps(_scalar(v)) for v in values.tolist()])


def _typed_text(present: np.ndarray, kinds: set[type]) -> pa.Array | None:
    """Vectorised JSON text of non-missing values of one kind (None for other kinds)."""
    if kinds <= _STR_TYPES:
        try:
            return _string_text(pa.array(present, type=_STR))
        except (UnicodeError, pa.ArrowException):  # e.g. lone surrogates
            return None
    if kinds <= _BOOL_TYPES:
        return _bool_text(present)
    if kinds <= _INT_TYPES:
        try:
            return _int_text(np.asarray(present, dtype=np.int64))
        except OverflowError:  # beyond int64: Python writes any size
            return None
    if kinds <= _FLOAT_TYPES:
        return _float_text(np.asarray(present, dtype=np.float64))
    return None


def _object_text(values: np.ndarray) -> pa.Array:
    """JSON text of each value of an object array: what ``_dumps(_scalar(v))`` writes."""
    values = np.asarray(values, dtype=object)
    missing = np.asarray(pd.isna(values), dtype=bool)  # each of these writes "null"
    present = values[~missing]
    text = _typed_text(present, set(map(type, present.tolist())))
    if text is None:
        return _python_text(values)
    return _scatter(text, missing)


# --- columns -------------------------------------------------------------------------


def _datetime_mode(s: pd.Series) -> str:
    """How a datetime column is written: ``date``, ``seconds`` or ``isoformat``."""
    valid = s[~s.isna().to_numpy()]
    if len(valid) == 0:
        return "date"
    naive = valid.dt.tz_localize(None) if s.dt.tz is not None else valid
    if bool(((naive.dt.microsecond != 0) | (naive.dt.nanosecond != 0)).any()):
        return "isoformat"
    if s.dt.tz is None and bool((naive == naive.dt.normalize()).all()):
        return "date"
    return "seconds"


def _datetime_strings(valid: pd.Series, mode: str) -> list[str]:
    """ISO 8601 text of non-missing datetimes in the column's ``mode``."""
    if mode == "date":
        return list(valid.dt.strftime("%Y-%m-%d").tolist())
    if mode == "isoformat":
        return [t.isoformat() for t in valid.tolist()]
    text = valid.dt.strftime("%Y-%m-%dT%H:%M:%S")
    if valid.dt.tz is not None:
        offset = valid.dt.strftime("%z")
        text = text + offset.str[:-2] + ":" + offset.str[-2:]
    return list(text.tolist())


def _datetime_text(s: pd.Series, mode: str, prefix: str) -> pa.Array:
    """JSON text of a datetime column's values, each distinct value formatted once."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    strings = _datetime_strings(pd.Series(uniques), mode) if len(uniques) else []
    table = _string_text(pa.array([*strings, None], type=_STR), prefix)  # last: null
    return table.take(pa.array(np.where(codes < 0, len(strings), codes)))


def _category_text(s: pd.Series, table: pa.Array) -> pa.Array:
    """JSON text of a categorical column from its categories' text (last entry: null)."""
    codes = np.asarray(s.cat.codes.to_numpy(), dtype=np.int64)
    return table.take(pa.array(np.where(codes < 0, len(table) - 1, codes)))


def _category_table(s: pd.Series, prefix: str) -> pa.Array:
    """JSON text of each category of a categorical column, then ``null``."""
    dtype = s.dtype
    assert isinstance(dtype, pd.CategoricalDtype)
    codes = np.arange(len(dtype.categories))
    every = pd.Series(pd.Categorical.from_codes(codes, dtype=dtype))  # each category once
    text = _object_text(every.astype(object).to_numpy())
    return _join(_lit(prefix), pa.concat_arrays([text, pa.array([b"null"], type=_BIN)]))


def _numpy_text(values: np.ndarray) -> pa.Array:
    """JSON text of a numpy bool, integer or float array."""
    if values.dtype.kind == "b":
        return _bool_text(values)
    if values.dtype.kind in "iu":
        return _int_text(values)
    return _float_text(values.astype(np.float64))


@dataclass(frozen=True)
class _Column:
    """A property column and how its values are turned into JSON text."""

    prefix: str  # what comes before each value: the key (after a comma but the first)
    series: pd.Series
    kind: str  # datetime | numpy | category | string | object
    datetime_mode: str = ""
    categories: pa.Array | None = None

    def text(self, start: int, stop: int) -> pa.Array:
        """Key and JSON text of rows ``start:stop`` (binary, no nulls)."""
        part = self.series.iloc[start:stop]
        if self.kind == "datetime":
            return _datetime_text(part, self.datetime_mode, self.prefix)
        if self.kind == "category" and self.categories is not None:
            return _category_text(part, self.categories)
        if self.kind == "string":
            try:
                return _string_text(pa.array(part.array, type=_STR), self.prefix)
            except (UnicodeError, pa.ArrowException):  # e.g. lone surrogates
                pass
        if self.kind == "numpy":
            text = _numpy_text(part.to_numpy())
        else:
            text = _object_text(part.astype(object).to_numpy())
        return _join(_lit(self.prefix), text)


def _column(name: Any, s: pd.Series, *, first: bool) -> _Column:
    """Return the :class:`_Column` of one property; column-wide choices are made here."""
    key = ("" if first else ",") + _dumps(str(name)) + ":"
    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return _Column(key, s, "datetime", datetime_mode=_datetime_mode(s))
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return _Column(key, s, "numpy")
    if isinstance(dtype, pd.CategoricalDtype):
        return _Column(key, s, "category", categories=_category_table(s, key))
    if isinstance(dtype, pd.StringDtype):
        return _Column(key, s, "string")
    return _Column(key, s, "object")


# --- features ------------------------------------------------------------------------


def _feature_lines(geom_text: pa.Array, columns: list[_Column], start: int, stop: int) -> pa.Array:
    """Return the feature lines (each ending ``,`` and a newline) of rows ``start:stop``."""
    parts: list[Any] = [_lit('{"type":"Feature","properties":{')]
    parts += [column.text(start, stop) for column in columns]
    parts += [_lit('},"geometry":'), geom_text, _lit("},\n")]
    return _join(*parts)


@dataclass(frozen=True)
class _Layer:
    """What every chunk of features needs: geometries, property columns, precision."""

    geoms: np.ndarray
    z_by_type: dict[int, bool]
    columns: list[_Column]
    digits: int

    def chunk(self, bounds: tuple[int, int]) -> memoryview:
        """Return the bytes of the features ``start:stop`` (each line ends in a comma)."""
        start, stop = bounds
        geoms = _oriented(self.geoms[start:stop])
        geom_text = _geometry_strings(geoms, self.digits, self.z_by_type)
        return _bytes_of(_feature_lines(geom_text, self.columns, start, stop))[1]


def _in_order(func: Callable[[Any], memoryview], items: list[Any]) -> Iterator[memoryview]:
    """Yield ``func(item)`` for each item, in order, computed a few at a time in threads.

    Arrow's kernels release the GIL, so chunks are formatted on several cores; at most
    one more chunk than threads is held at a time.
    """
    k = min(n_threads(), len(items))
    if k <= 1:
        yield from map(func, items)
        return
    with ThreadPoolExecutor(max_workers=k, thread_name_prefix="sahel_geo") as pool:
        pending: deque[Future[memoryview]] = deque()
        for item in items:
            pending.append(pool.submit(func, item))
            if len(pending) > k:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _features(gdf: gpd.GeoDataFrame, digits: int) -> Iterator[memoryview]:
    """Yield the document's bytes, a chunk of features at a time."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    columns = [_column(c, frame[c], first=i == 0) for i, c in enumerate(frame.columns)]
    layer = _Layer(geoms, _z_by_type(geoms), columns, digits)
    n = len(gdf)
    bounds = [(start, min(start + _CHUNK, n)) for start in range(0, n, _CHUNK)]
    yield memoryview(_HEAD.encode())
    for i, data in enumerate(_in_order(layer.chunk, bounds)):
        if i < len(bounds) - 1:
            yield data
        else:  # no comma after the last feature
            yield data[:-2]
            yield memoryview(b"\n")
    yield memoryview(_TAIL.encode())


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
    return b"".join(_features(gdf, digits)).decode("utf-8", "surrogatepass")


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
    _check_frame(gdf)
    digits = _resolve_precision(precision)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        for data in _features(gdf, digits):
            _check_encodable(data)
            fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return Path(path)


def _check_encodable(data: memoryview) -> None:
    """Raise UnicodeEncodeError, as writing the text would, on lone surrogates."""
    if re.search(b"\xed", data):  # lead byte of every encoded surrogate (and U+D000-U+D7FF)
        bytes(data).decode("utf-8", "surrogatepass").encode("utf-8")
