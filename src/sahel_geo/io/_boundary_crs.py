"""The CRS of a boundary file: assigned, checked against the coordinates, reprojected.

:func:`reproject` puts what was read into EPSG:4326: it assigns ``crs=`` to a file
without a CRS, refuses a ``crs=`` that contradicts the file's own, and refuses a
projected CRS (a legacy GeoJSON ``crs`` member ``EPSG:3857``, a wrong .prj) over
coordinates that are longitude/latitude degrees. Private helper of
:mod:`sahel_geo.io.boundaries`.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pyproj.exceptions
from pyproj import CRS

from sahel_geo.core.errors import CRSError, CRSMismatchError, MissingCRSError
from sahel_geo.core.schema import WGS84
from sahel_geo.io._boundary_files import Loaded

__all__ = ["reproject"]

logger = logging.getLogger("sahel_geo.io.boundaries")  # a private helper of that module


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


def _check_not_degrees(gdf: gpd.GeoDataFrame, loaded: Loaded, found: CRS) -> None:
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


def reproject(
    loaded: Loaded, crs: str | int | None, notes: dict[str, int]
) -> tuple[gpd.GeoDataFrame, str]:
    """Return the frame in EPSG:4326 and the name of the CRS it came in.

    Parameters
    ----------
    loaded
        The features as read.
    crs
        ``crs=`` of :func:`~sahel_geo.io.boundaries.read_boundaries`: the CRS of a file
        without one (a file with a CRS must agree), or None.
    notes
        The step report's notes (CRS assigned, reprojection, unknown legacy member).

    Returns
    -------
    tuple
        The features in EPSG:4326 and ``"<CRS> (<name>)"`` of the CRS they came in.

    Raises
    ------
    MissingCRSError
        No CRS in the file and no ``crs``.
    CRSMismatchError
        ``crs`` disagrees with the file's CRS, or a projected CRS labels degrees.
    CRSError
        ``crs`` is not a CRS pyproj knows.
    """
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


def _note_unknown_member(loaded: Loaded, notes: dict[str, int]) -> None:
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
