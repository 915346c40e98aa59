"""Shared input checks whose messages say how to fix the problem.

Columns present, the storage CRS (EPSG:4326), point coordinates: every layer above calls
these instead of writing its own check, so a user sees the same message for the same
mistake wherever they make it.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from sahel_geo.core.errors import CRSMismatchError, MissingCRSError, SchemaError

__all__ = ["check_columns", "check_geographic", "point_xy", "point_xy_or_nan"]


def check_columns(frame: pd.DataFrame, columns: Iterable[str], *, what: str) -> None:
    """Raise SchemaError naming every missing column at once."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{what} lacks column(s) {missing}; it has {list(frame.columns)}. "
            "Pass a table with those columns (e.g. from sahel_geo.read_events / assign_admin) "
            "or rename yours."
        )


def check_geographic(gdf: gpd.GeoDataFrame, *, what: str) -> None:
    """Require a GeoDataFrame in EPSG:4326 (the storage CRS); say how to get there."""
    if gdf.crs is None:
        raise MissingCRSError(
            f"{what} has no CRS. If the coordinates are longitude/latitude, set it with "
            f'gdf.set_crs("EPSG:4326"); otherwise set their real CRS and reproject with '
            f'gdf.to_crs("EPSG:4326").'
        )
    if not pyproj.CRS.from_user_input(gdf.crs).equals(
        pyproj.CRS("EPSG:4326"), ignore_axis_order=True
    ):
        raise CRSMismatchError(
            f"{what} is in {gdf.crs.to_string()} but EPSG:4326 is required. "
            f'Convert it with gdf.to_crs("EPSG:4326").'
        )


def point_xy(
    gdf: gpd.GeoDataFrame, *, what: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Longitude and latitude arrays of a point layer (raise on empty or non-point rows)."""
    geom = gdf.geometry
    bad = np.flatnonzero(geom.isna().to_numpy() | (geom.geom_type.to_numpy() != "Point"))
    if bad.size:
        raise SchemaError(
            f"{what}: rows {bad[:10].tolist()} (positions) are not Point geometries "
            f"({bad.size} in all). Drop or fix them before this step."
        )
    return geom.x.to_numpy(dtype=float), geom.y.to_numpy(dtype=float)


def point_xy_or_nan(
    geoms: NDArray[np.object_], *, what: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """X and y of each point, NaN where the geometry is missing or an empty point.

    Unlike :func:`point_xy`, missing points are allowed (the caller reports them as rows
    without a location); any other geometry type raises, naming the rows.

    Parameters
    ----------
    geoms
        Array of shapely geometries (or None).
    what
        What the geometries are, for the message (e.g. ``"events"``).

    Returns
    -------
    tuple of numpy.ndarray
        x and y, float64, NaN where there is no point.

    Examples
    --------
    >>> x, y = point_xy_or_nan(np.array([shapely.Point(1, 2), None]), what="events")
    >>> x.tolist(), y.tolist()
    ([1.0, nan], [2.0, nan])
    """
    kind = shapely.get_type_id(geoms)
    bad = np.flatnonzero((kind != 0) & (kind != -1))
    if bad.size:
        rows = ", ".join(str(r) for r in bad[:10]) + (" ..." if bad.size > 10 else "")
        raise SchemaError(
            f"{what}: {bad.size} rows are not Point geometries (row positions {rows}). "
            "Drop or fix them first; every row must be a Point (or empty)."
        )
    ok = (kind == 0) & ~shapely.is_empty(geoms)
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    x[ok] = shapely.get_x(geoms[ok])
    y[ok] = shapely.get_y(geoms[ok])
    return x, y
