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
from sahel_geo.core.threads import map_chunks

__all__ = ["check_columns", "check_geographic", "point_xy", "point_xy_or_nan"]


def check_columns(
    frame: pd.DataFrame, columns: Iterable[str], *, what: str, source: str = ""
) -> None:
    """Raise one SchemaError naming every missing column at once.

    Parameters
    ----------
    frame
        The table to check.
    columns
        The columns it needs.
    what
        What the table is, for the message (e.g. ``"events"``).
    source
        Where such a table comes from, for the fix (e.g. ``"sahel_geo.aggregate"``); by
        default the readers and ``assign_admin``.

    Examples
    --------
    >>> check_columns(pd.DataFrame({"a": [1]}), ["a"], what="t")
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        origin = source or "sahel_geo.read_events / assign_admin"
        raise SchemaError(
            f"{what} lacks column(s) {missing}; it has {list(frame.columns)}. "
            f"Pass a table with those columns (e.g. from {origin}) or rename yours."
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


def _rows_text(rows: NDArray[np.intp]) -> str:
    return ", ".join(str(r) for r in rows[:10]) + (" ..." if rows.size > 10 else "")


def _xy(geoms: NDArray[np.object_]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """X and y of every geometry, NaN where it is not a non-empty point (in threads)."""
    try:
        # NaN for missing geometries and for every type but Point
        x, y = map_chunks(shapely.get_x, geoms), map_chunks(shapely.get_y, geoms)
    except shapely.errors.GEOSException:  # an empty point has no x: leave those out
        has_xy = ~shapely.is_empty(geoms)
        x, y = np.full(len(geoms), np.nan), np.full(len(geoms), np.nan)
        x[has_xy], y[has_xy] = shapely.get_x(geoms[has_xy]), shapely.get_y(geoms[has_xy])
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def point_xy(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries, *, what: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the x and y arrays of a point layer in which every row is a point.

    Every row must hold a non-empty Point with finite coordinates; all the rows that do
    not are named in one error.

    Parameters
    ----------
    gdf
        The point layer (GeoDataFrame or GeoSeries).
    what
        What the points are, for the message (e.g. ``"events"``).

    Returns
    -------
    tuple of numpy.ndarray
        x (longitude) and y (latitude), float64.

    Raises
    ------
    SchemaError
        Naming the row positions that are missing, empty or not points.

    Examples
    --------
    >>> pts = gpd.GeoSeries([shapely.Point(1, 2), shapely.Point(3, 4)])
    >>> [a.tolist() for a in point_xy(pts, what="towns")]
    [[1.0, 3.0], [2.0, 4.0]]
    """
    geoms = np.asarray(gdf.geometry.array if hasattr(gdf, "geometry") else gdf.array)
    x, y = _xy(geoms)
    bad = np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))
    if bad.size:
        raise SchemaError(
            f"{what}: {bad.size} rows are not non-empty points (row positions "
            f"{_rows_text(bad)}). Drop or fix them first; every row must be a Point."
        )
    return x, y


def point_xy_or_nan(
    geoms: NDArray[np.object_], *, what: str, hint: str = ""
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return x and y of each point, NaN where the geometry is missing or an empty point.

    Unlike :func:`point_xy`, rows without a point are allowed (the caller reports them,
    e.g. as events without a location); a geometry of any other type raises, naming the
    rows. The coordinates are read in threads for large inputs (``threads`` option).

    Parameters
    ----------
    geoms
        Array of shapely geometries (or None).
    what
        What the geometries are, for the message (e.g. ``"events"``).
    hint
        How to fix other geometry types, appended to the message; by default: use the
        centroids.

    Returns
    -------
    tuple of numpy.ndarray
        x and y, float64, NaN where there is no point.

    Raises
    ------
    SchemaError
        Naming the row positions whose geometry is not a Point.

    Examples
    --------
    >>> x, y = point_xy_or_nan(np.array([shapely.Point(1, 2), None]), what="events")
    >>> x.tolist(), y.tolist()
    ([1.0, nan], [2.0, nan])
    """
    x, y = _xy(geoms)
    no_xy = np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))
    kinds = shapely.get_type_id(geoms[no_xy])
    bad = no_xy[(kinds != 0) & (kinds != -1)]  # -1: missing geometry
    if bad.size:
        raise SchemaError(
            f"{what}: row(s) {bad[:10].tolist()} have a geometry that is not a Point "
            f"({bad.size} in all); "
            + (
                hint
                or "this step takes points (use the centroid of other shapes, e.g. gdf.centroid)."
            )
        )
    return x, y
