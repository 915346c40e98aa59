"""Coordinates of events: parsed, checked, and tested against their country's box.

:func:`check_coordinates` reads latitude and longitude (decimal commas too) and rejects
missing, text, out-of-range and (0, 0) ones; :func:`bbox_flags`,
:func:`fail_on_swapped_columns` and :func:`note_bbox` find latitude/longitude swaps (a
whole file fails, a few rows are counted and named). Private helper of
:mod:`sahel_geo.io.events`, logging under its name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sahel_geo.core.errors import SchemaError
from sahel_geo.io._countries import COUNTRY_BBOX
from sahel_geo.io._event_ledger import Ledger, rows_text
from sahel_geo.io._event_spec import EventSpec

__all__ = ["Coords", "bbox_flags", "check_coordinates", "fail_on_swapped_columns", "note_bbox"]

logger = logging.getLogger("sahel_geo.io.events")  # a private helper of that module

#: Most rows looking swapped (share of rows with numeric coordinates) makes the file fail.
_SWAP_SHARE: Final = 0.5


@dataclass(frozen=True)
class Coords:
    """Parsed coordinates and what the checks found.

    Attributes
    ----------
    lat, lon
        The coordinates as floats (NaN where not a number).
    lat_col, lon_col
        Their source columns.
    numeric
        Both coordinates are numbers.
    swapped_range
        Latitude out of range but fine as a longitude, and vice versa.
    usable
        Numbers, in range, not (0, 0).
    """

    lat: np.ndarray
    lon: np.ndarray
    lat_col: str
    lon_col: str
    numeric: np.ndarray  # both coordinates are numbers
    swapped_range: np.ndarray  # latitude out of range, fine as a longitude and vice versa
    usable: np.ndarray  # numbers, in range, not (0, 0)


def _blank(values: pd.Series, parsed: np.ndarray) -> np.ndarray:
    """Cells that are only blanks (checked only among the cells that did not parse)."""
    out = np.zeros(len(values), dtype=bool)
    failed = np.isnan(parsed) & values.notna().to_numpy()
    if failed.any():
        text = values[failed].astype("str").str.strip()
        out[failed] = (text == "").to_numpy()
    return out


def check_coordinates(raw: pd.DataFrame, cols: Mapping[str, str], ledger: Ledger) -> Coords:
    """Parse latitude and longitude; reject missing, text, out-of-range and (0, 0) ones.

    Numbers written with a decimal comma (``"12,5"``) are read and counted.

    Parameters
    ----------
    raw
        The table as read.
    cols
        The spec's columns (``latitude`` and ``longitude`` are used).
    ledger
        The rows' rejects and the report's notes; rejected rows and notes are added.

    Returns
    -------
    Coords
        The coordinates and what the checks found.
    """
    lat_col, lon_col = cols["latitude"], cols["longitude"]
    lat, lat_comma = _coordinate(raw[lat_col])
    lon, lon_comma = _coordinate(raw[lon_col])
    if (lat_comma | lon_comma).any():
        ledger.notes["decimal_comma_coordinates"] = int((lat_comma | lon_comma).sum())
    lat_missing = raw[lat_col].isna().to_numpy() | _blank(raw[lat_col], lat)
    lon_missing = raw[lon_col].isna().to_numpy() | _blank(raw[lon_col], lon)
    both = lat_missing & lon_missing
    ledger.reject(both, "missing coordinates", f"{lat_col}, {lon_col}")
    ledger.reject(lat_missing & ~both, "missing latitude", lat_col)
    ledger.reject(lon_missing & ~both, "missing longitude", lon_col)
    ledger.reject(np.isnan(lat) & ~lat_missing, "latitude is not a number", lat_col)
    ledger.reject(np.isnan(lon) & ~lon_missing, "longitude is not a number", lon_col)
    numeric = ~np.isnan(lat) & ~np.isnan(lon)
    with np.errstate(invalid="ignore"):
        lat_bad = ~np.isnan(lat) & ~(np.abs(lat) <= 90)
        lon_bad = ~np.isnan(lon) & ~(np.abs(lon) <= 180)
        swapped_range = numeric & lat_bad & ~lon_bad & (np.abs(lon) <= 90) & (np.abs(lat) <= 180)
    ledger.reject(
        swapped_range, "latitude out of range; latitude and longitude look swapped", lat_col
    )
    ledger.reject(lat_bad & ~swapped_range, "latitude out of range", lat_col)
    ledger.reject(lon_bad, "longitude out of range", lon_col)
    null_island = numeric & (lat == 0) & (lon == 0)
    ledger.reject(null_island, "null island coordinates (0, 0)", f"{lat_col}, {lon_col}")
    usable = numeric & ~lat_bad & ~lon_bad & ~null_island
    return Coords(lat, lon, lat_col, lon_col, numeric, swapped_range, usable)


#: A number written with a decimal comma ("12,5", "-1,627").
_DECIMAL_COMMA: Final = re.compile(r"\s*[+-]?\d+,\d+\s*")


#: Plain decimal numbers, which pyarrow and pandas read alike (others go to pandas).
_PLAIN_NUMBER: Final = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _to_float(values: pd.Series) -> np.ndarray:
    """``pandas.to_numeric(values, errors="coerce")`` as floats, fast for Arrow text.

    Arrow-backed text: the plain decimal numbers are cast by pyarrow (the same correctly
    rounded values as pandas' parser), the few other cells by ``pandas.to_numeric``.
    """
    array = getattr(values.array, "_pa_array", None)
    if not isinstance(values.dtype, pd.StringDtype) or array is None:
        out: np.ndarray = pd.to_numeric(values, errors="coerce").to_numpy(
            dtype="float64", copy=True
        )
        return out
    plain = pc.fill_null(pc.match_substring_regex(array, _PLAIN_NUMBER), False)
    num = pc.cast(pc.if_else(plain, array, pa.scalar(None, array.type)), pa.float64())
    out = num.to_numpy().astype("float64", copy=True)
    other = ~plain.to_numpy() & values.notna().to_numpy()
    if other.any():
        out[other] = pd.to_numeric(values[other], errors="coerce").to_numpy(dtype="float64")
    return out


def _coordinate(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates as floats (decimal commas read); and the cells that had a decimal comma."""
    num = _to_float(values)
    comma = np.zeros(len(values), dtype=bool)
    failed = np.isnan(num) & values.notna().to_numpy()
    if failed.any():
        text = values[failed].astype("str")
        hit = text.str.fullmatch(_DECIMAL_COMMA).fillna(False).to_numpy(dtype=bool)
        if hit.any():
            where = np.flatnonzero(failed)[hit]
            num[where] = text[hit].str.replace(",", ".", regex=False).astype("float64")
            comma[where] = True
    return num, comma


def bbox_flags(coords: Coords, iso3: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Rows outside their country's box whose swapped point is inside it; rows outside.

    Parameters
    ----------
    coords
        The checked coordinates (only usable ones are tested).
    iso3
        Each row's country (rows of a country without a box are not tested).

    Returns
    -------
    tuple of numpy.ndarray
        Rows that look swapped; rows outside their country's box that do not.
    """
    bbox = pd.DataFrame.from_dict(COUNTRY_BBOX, orient="index", columns=["x0", "y0", "x1", "y1"])
    codes, countries = pd.factorize(iso3)  # a few countries: look each box up once
    boxes = bbox.reindex(np.asarray(countries, dtype=object)).to_numpy(dtype="float64")
    box = np.vstack([boxes, np.full((1, 4), np.nan)])[codes]  # code -1 (none): the NaN row
    lat, lon = coords.lat, coords.lon
    with np.errstate(invalid="ignore"):
        inside = (lon >= box[:, 0]) & (lon <= box[:, 2]) & (lat >= box[:, 1]) & (lat <= box[:, 3])
        inside_sw = (
            (lat >= box[:, 0]) & (lat <= box[:, 2]) & (lon >= box[:, 1]) & (lon <= box[:, 3])
        )
    checkable = coords.usable & ~np.isnan(box[:, 0])
    return checkable & ~inside & inside_sw, checkable & ~inside & ~inside_sw


def fail_on_swapped_columns(
    coords: Coords, bbox_swap: np.ndarray, spec: EventSpec, origin: str
) -> None:
    """Raise when most rows with numeric coordinates look like latitude/longitude swaps.

    Parameters
    ----------
    coords
        The checked coordinates.
    bbox_swap
        Rows that look swapped by their country's box (:func:`bbox_flags`).
    spec
        The source's spec (its reader names the error).
    origin
        The file, for the message.

    Raises
    ------
    SchemaError
        Over half the rows with numeric coordinates look swapped: the columns are.
    """
    n_numeric = int(coords.numeric.sum())
    n_swapped = int(bbox_swap.sum() + coords.swapped_range.sum())
    if n_numeric and n_swapped > _SWAP_SHARE * n_numeric:
        lat_col, lon_col = coords.lat_col, coords.lon_col
        raise SchemaError(
            f"{spec.reader}: in {origin}, {n_swapped} of {n_numeric} rows with numeric "
            f"coordinates look like latitude and longitude swapped: the {lat_col!r} and "
            f"{lon_col!r} columns look swapped. Swap the two column names in the file, or "
            f"read it with read_events(path, columns={{..., 'latitude': {lon_col!r}, "
            f"'longitude': {lat_col!r}}})."
        )


def note_bbox(
    bbox_swap: np.ndarray,
    outside: np.ndarray,
    keep: np.ndarray,
    rows: np.ndarray,
    origin: str,
    ledger: Ledger,
) -> None:
    """Count (and name in a warning) kept rows that look swapped or lie outside their box.

    Parameters
    ----------
    bbox_swap, outside
        Rows that look swapped, and rows outside their box (:func:`bbox_flags`).
    keep
        Rows kept.
    rows
        Each row's number in the file.
    origin
        The file, for the warning.
    ledger
        The rows' rejects and the report's notes; rejected rows and notes are added.
    """
    if bbox_swap.any():
        keep_swap = bbox_swap & keep
        ledger.notes["likely_latlon_swap"] = int(keep_swap.sum())
        if keep_swap.any():
            logger.warning(
                "%s: %d kept row(s) lie outside their country's bounding box while the "
                "swapped point (latitude as longitude) lies inside it: likely latitude/"
                "longitude swaps, kept as read. Check rows %s.",
                origin,
                int(keep_swap.sum()),
                rows_text(rows[keep_swap]),
            )
    if outside.any():
        ledger.notes["outside_country_bbox"] = int((outside & keep).sum())
