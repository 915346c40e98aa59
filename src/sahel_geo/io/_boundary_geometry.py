"""Geometries of boundary units: rejected, repaired, and checked for ``[lat, lon]``.

:func:`repair_geometries` rejects missing, empty, non-finite and non-polygon geometries,
reduces GeometryCollections to their polygons and repairs invalid ones (``make_valid``);
:func:`check_axes` raises when most units lie where their coordinates would be with x
and y swapped (or beyond ±180/±90) and rejects an odd one out. Each rejected row's reason
is kept in a :class:`Rejected`. Private helper of :mod:`sahel_geo.io.boundaries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pycountry
import pyproj.exceptions
import shapely
from pyproj import CRS

from sahel_geo.core.errors import CRSError
from sahel_geo.io._boundary_files import Loaded
from sahel_geo.io._boundary_sources import Mapped
from sahel_geo.io._countries import COUNTRY_BBOX, LATLON_SWAP_FIX, swapped_in_country_bbox

__all__ = ["Rejected", "check_axes", "repair_geometries", "rows_text"]


@dataclass(frozen=True)
class Rejected:
    """Reason and column of each rejected row ("" while the row is fine).

    Every check of :func:`~sahel_geo.io.boundaries.read_boundaries` writes into it; the
    rejects table is built from it.

    Attributes
    ----------
    reason
        The reason each row was rejected, ``""`` for a row kept so far.
    column
        The column that made the row fail.
    """

    reason: np.ndarray
    column: np.ndarray

    @classmethod
    def for_rows(cls, n: int) -> Rejected:
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


def _nonfinite(geoms: np.ndarray) -> np.ndarray:
    """Rows with a NaN or infinite coordinate (GEOS cannot test or repair them)."""
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    bad = np.zeros(len(geoms), dtype=bool)
    bad[np.unique(index[~np.isfinite(coords).all(axis=1)])] = True
    return bad


def _collections_to_polygons(
    geoms: np.ndarray, todo: np.ndarray, rejected: Rejected, notes: dict[str, int]
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


def repair_geometries(
    raw: gpd.GeoDataFrame, rejected: Rejected, notes: dict[str, int]
) -> np.ndarray:
    """Reject missing, empty, non-finite and non-polygon geometries; repair the others.

    A GeometryCollection keeps its polygon parts (note ``geometrycollection_to_polygons``);
    invalid polygons are repaired with ``shapely.make_valid`` (counted).

    Parameters
    ----------
    raw
        The features in EPSG:4326.
    rejected
        The rows rejected so far; the rejected geometries are added.
    notes
        The step report's notes (collections reduced, geometries repaired).

    Returns
    -------
    numpy.ndarray
        The repaired geometry of every row (rejected rows as they were).
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


def rows_text(rows: np.ndarray) -> str:
    """Return ``row 3`` or ``rows 1, 2, 5`` (the first ten, then how many more).

    Parameters
    ----------
    rows
        Row numbers (1-based), in order.

    Returns
    -------
    str
        The rows as a message names them.

    Examples
    --------
    >>> rows_text(np.array([3]))
    'row 3'
    """
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


def check_axes(
    fixed: np.ndarray, mapped: Mapped, rejected: Rejected, loaded: Loaded, crs_name: str
) -> None:
    """Raise when most units are ``[lat, lon]`` or not degrees; reject the odd one out.

    A unit looks swapped when it lies beyond latitude ±90 but within range once x and y
    are swapped, or when its country is known (``country_iso3``, else the ISO 3166-1
    prefix of its P-code: ``ML01``, ``NE-8``) and in ``COUNTRY_BBOX``, and the centre of
    its bounds lies outside the country's box but inside it swapped.

    Parameters
    ----------
    fixed
        The repaired geometries (:func:`repair_geometries`).
    mapped
        The rows' canonical columns (for ``country_iso3`` and the P-codes).
    rejected
        The rows rejected so far; a swapped or out-of-range minority is added.
    loaded
        What was read (its origin and legacy ``crs`` member name the error).
    crs_name
        The CRS the file came in, for the message.

    Raises
    ------
    CRSError
        Most units checked look like ``[lat, lon]``, or most are beyond ±180/±90.
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
            f"({rows_text(idx[swapped] + 1)}).{_latitude_first_member(loaded.crs_member)} "
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
