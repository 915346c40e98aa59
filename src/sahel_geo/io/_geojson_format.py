"""JSON text of GeoJSON property values and coordinates, built with Arrow string kernels.

Private helper of :mod:`sahel_geo.io.geojson`. Every value is written as
``json.dumps(value, ensure_ascii=False)`` writes it, ``null`` for every kind of missing:
numbers are formatted as whole columns (coordinates in fixed notation, trailing zeros
removed), strings quoted as whole columns with only the few needing escapes passed through
``json.dumps``, datetimes and categories formatted once per distinct value. A feature line
is assembled from the columns' texts and the geometry's, element-wise.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sahel_geo.core.errors import SchemaError

__all__ = [
    "BIN",
    "PropertyColumn",
    "binary",
    "bytes_of",
    "coord_strings",
    "feature_lines",
    "float_text",
    "join",
    "lit",
    "object_text",
    "property_column",
]

#: Arrow type of the JSON texts (bytes: lone surrogates pass through, as ``str`` keeps them).
BIN = pa.large_binary()
_STR = pa.large_string()

_STR_TYPES: frozenset[type] = frozenset({str, np.str_})
_BOOL_TYPES: frozenset[type] = frozenset({bool, np.bool_})
_INT_TYPES: frozenset[type] = frozenset(
    {int, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64}
)
_FLOAT_TYPES: frozenset[type] = frozenset({float, np.float16, np.float32, np.float64})


# --- arrow text helpers --------------------------------------------------------------


def lit(text: str) -> pa.Scalar:
    """Return ``text`` as a UTF-8 literal for the element-wise joins."""
    return pa.scalar(text.encode("utf-8", "surrogatepass"), BIN)


_EMPTY = lit("")
_NULL = lit("null")
_QUOTE = lit('"')


def join(*parts: Any) -> pa.Array:
    """Element-wise concatenation of binary arrays and literals (null in, null out)."""
    return pc.binary_join_element_wise(*parts, _EMPTY)


def binary(texts: list[str]) -> pa.Array:
    """Python strings as a binary array (lone surrogates kept, as ``str`` keeps them)."""
    return pa.array([t.encode("utf-8", "surrogatepass") for t in texts], type=BIN)


def _as_binary(text: pa.Array) -> pa.Array:
    """Return a string array viewed as bytes (no copy)."""
    return text.cast(BIN)


def _scatter(present_text: pa.Array, missing: np.ndarray) -> pa.Array:
    """Text of every row: ``present_text`` in order where not ``missing``, else ``null``."""
    positions = np.full(len(missing), len(present_text), dtype=np.int64)
    positions[~missing] = np.arange(len(present_text), dtype=np.int64)
    table = pa.concat_arrays([present_text, pa.array([b"null"], type=BIN)])
    return table.take(pa.array(positions))


def bytes_of(values: pa.Array) -> tuple[np.ndarray, memoryview]:
    """Return the offsets and the concatenated bytes of a large binary or string array."""
    n = len(values)
    buffers = values.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[values.offset : values.offset + n + 1]
    if buffers[2] is None or n == 0:
        return offsets, memoryview(b"")
    return offsets, memoryview(buffers[2])[int(offsets[0]) : int(offsets[-1])]


def _needs_escape(values: pa.Array) -> np.ndarray:
    """Return which texts hold a character ``json.dumps`` escapes (control, quote, backslash)."""
    offsets, data = bytes_of(values)
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
        text = pc.if_else(pa.array(fraction != 0), join(text, lit("."), digits), text)
    return pc.if_else(pa.array(units < 0), join(lit("-"), text), text)


def _fmt_numbers(values: np.ndarray, precision: int) -> pa.Array:
    """Fixed-notation text of rounded numbers, trailing zeros removed, ``-0`` as ``0``."""
    rounded = np.round(values.astype(np.float64), precision)
    rounded[rounded == 0] = 0.0  # drop the sign of -0.0
    _check_finite(rounded)
    if precision > 12:
        # Beyond ~15 significant digits "%.Nf" shows binary noise (179.123000000000019):
        # write the shortest text that reads back to the same number instead.
        shortest = [np.format_float_positional(v, unique=True, trim="-") for v in rounded]
        return binary(shortest)
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
    return binary(text.tolist())


def coord_strings(coords: np.ndarray, precision: int) -> pa.Array:
    """``[x,y]`` (or ``[x,y,z]``) text for each coordinate row."""
    parts: list[Any] = [lit("[")]
    for i in range(coords.shape[1]):
        parts += [lit(",")] if i else []
        parts.append(_fmt_numbers(coords[:, i], precision))
    return join(*parts, lit("]"))


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


def float_text(values: np.ndarray) -> pa.Array:
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
    text = pc.if_else(pa.array(whole), join(text, lit(".0")), text)
    finite = np.isfinite(values)
    redo = ~finite | ~fixed
    if redo.any():
        idx = np.flatnonzero(redo)
        texts = [repr(v) if math.isfinite(v) else "null" for v in values[idx].tolist()]
        text = pc.replace_with_mask(text, pa.array(redo), binary(texts))
    return text


def _int_text(values: np.ndarray) -> pa.Array:
    """Decimal text of integers."""
    return _as_binary(pc.cast(pa.array(values), _STR))


def _bool_text(values: np.ndarray) -> pa.Array:
    """``true``/``false``."""
    return pc.if_else(pa.array(np.asarray(values, dtype=bool)), lit("true"), lit("false"))


def _string_text(values: pa.Array, prefix: str = "") -> pa.Array:
    """JSON string of each text (as ``json.dumps`` writes it), ``null`` for missing.

    ``prefix`` (e.g. ``,"name":``) is written before each value.
    """
    values = values.cast(_STR)
    quoted = join(lit(prefix + '"'), _as_binary(values), _QUOTE)
    # json.dumps(ensure_ascii=False) escapes only '"', '\\' and control characters
    special = _needs_escape(values)  # a null may be flagged too: it is written "null" anyway
    if special.any():
        escaped = [prefix + _dumps(v) for v in values.filter(pa.array(special)).to_pylist()]
        quoted = pc.replace_with_mask(quoted, pa.array(special), binary(escaped))
    return pc.fill_null(quoted, lit(prefix + "null"))


def string_array(values: object) -> pa.Array:
    """Return text values as one Arrow large-string array.

    pandas' Arrow-backed strings may hold several chunks (e.g. from a multi-threaded CSV
    read): they are combined.
    """
    arr = pa.array(values, type=_STR)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _python_text(values: np.ndarray) -> pa.Array:
    """JSON text of each value, one ``json.dumps`` call each (mixed or rare types)."""
    return binary([_dumps(_scalar(v)) for v in values.tolist()])


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
        return float_text(np.asarray(present, dtype=np.float64))
    return None


def object_text(values: np.ndarray) -> pa.Array:
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
    text = object_text(every.astype(object).to_numpy())
    return join(lit(prefix), pa.concat_arrays([text, pa.array([b"null"], type=BIN)]))


def _numpy_text(values: np.ndarray) -> pa.Array:
    """JSON text of a numpy bool, integer or float array."""
    if values.dtype.kind == "b":
        return _bool_text(values)
    if values.dtype.kind in "iu":
        return _int_text(values)
    return float_text(values.astype(np.float64))


@dataclass(frozen=True)
class PropertyColumn:
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
                return _string_text(string_array(part.array), self.prefix)
            except (UnicodeError, pa.ArrowException):  # e.g. lone surrogates
                pass
        if self.kind == "numpy":
            text = _numpy_text(part.to_numpy())
        else:
            text = object_text(part.astype(object).to_numpy())
        return join(lit(self.prefix), text)


def property_column(name: Any, s: pd.Series, *, first: bool) -> PropertyColumn:
    """Return the :class:`PropertyColumn` of one property; column-wide choices are made here."""
    key = ("" if first else ",") + _dumps(str(name)) + ":"
    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return PropertyColumn(key, s, "datetime", datetime_mode=_datetime_mode(s))
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return PropertyColumn(key, s, "numpy")
    if isinstance(dtype, pd.CategoricalDtype):
        return PropertyColumn(key, s, "category", categories=_category_table(s, key))
    if isinstance(dtype, pd.StringDtype):
        return PropertyColumn(key, s, "string")
    return PropertyColumn(key, s, "object")


# --- features ------------------------------------------------------------------------


def feature_lines(
    geom_text: pa.Array, columns: list[PropertyColumn], start: int, stop: int
) -> pa.Array:
    """Return the feature lines (each ending ``,`` and a newline) of rows ``start:stop``."""
    parts: list[Any] = [lit('{"type":"Feature","properties":{')]
    parts += [column.text(start, stop) for column in columns]
    parts += [lit('},"geometry":'), geom_text, lit("},\n")]
    return join(*parts)
