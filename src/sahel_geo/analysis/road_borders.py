"""Borderlands by road travel distance: units or cells within T km along roads of a crossing.

A unit is a borderland when a border crossing can be reached from it within T km along
the road network, not when it lies within T km of the border line. Straight-line border
distance and border exposure are in :mod:`sahel_geo.analysis.borders`.

Pure compute on a road network (see :mod:`sahel_geo.analysis.roads`); no file or network I/O.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import Transformer

from sahel_geo.analysis.roads import (
    DistanceField,
    RoadNetwork,
    RoadPoints,
    as_network,
    distance_field,
    nearest_by_road,
    snap_targets,
)
from sahel_geo.core.errors import SchemaError
from sahel_geo.core.schema import WGS84
from sahel_geo.core.validation import check_geographic

__all__ = ["borderlands_by_road"]


def borderlands_by_road(
    units: gpd.GeoDataFrame,
    crossings: gpd.GeoDataFrame,
    network: nx.MultiDiGraph | RoadNetwork,
    *,
    within_km: float,
    crossing_name: str = "name",
    off_road_km: float = 5.0,
) -> gpd.GeoDataFrame:
    """Units or cells within ``within_km`` along roads from a border crossing.

    Borderlands by travel distance (as the OECD/SWAC borderland studies define them by
    distance to the border, but measured along roads from where the border can be crossed,
    not as a buffer). A unit's road distance is the smallest road distance from a crossing
    to any road point inside the unit: exact, because along a segment the distance to the
    nearest crossing is concave between crossings, so its minimum over a stretch inside a
    unit is at an end of the stretch (or 0 at a crossing inside the unit).

    Parameters
    ----------
    units
        Polygons (admin units, grid cells) in EPSG:4326.
    crossings
        Border-crossing points in EPSG:4326, e.g. ``osm_places(...)`` rows of kind
        ``border_crossing``.
    network
        A projected road graph or a :class:`RoadNetwork`.
    within_km
        The travel distance that makes a borderland.
    crossing_name
        Column of ``crossings`` naming them.
    off_road_km
        Crossings farther than this from a road raise an :class:`OffNetworkWarning`.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``units`` with ``has_road`` (the network enters the unit),
        ``road_km_to_crossing`` (NaN without a road or a reachable crossing),
        ``nearest_crossing`` and ``borderland`` (``road_km_to_crossing <= within_km``).

    Examples
    --------
    >>> import geopandas as gpd, shapely, sahel_geo as sg
    >>> G = sg.road_network(osm_file=sg.tri_border_roads_path())
    >>> places = sg.osm_places(osm_file=sg.tri_border_roads_path())
    >>> crossings = places[places["kind"] == "border_crossing"]
    >>> cells = gpd.GeoDataFrame({"cell": [1, 2]}, crs=4326,
    ...     geometry=[shapely.box(0.5, 13.5, 1.0, 14.5), shapely.box(-4.5, 14, -4, 14.5)])
    >>> sg.borderlands_by_road(cells, crossings, G, within_km=50)["borderland"].tolist()
    [True, False]
    """
    if not (within_km >= 0):
        raise SchemaError(f"within_km must be >= 0, got {within_km}.")
    check_geographic(units, what="units")
    net = as_network(network)
    _, c_names, c_snap = snap_targets(
        crossings, net, name_col=crossing_name, what="crossings", off_road_km=off_road_km
    )
    field = distance_field(net, c_snap)
    polys = units.to_crs(net.crs).geometry.to_numpy()
    u_idx, s_idx = net.tree.query(polys, predicate="intersects")
    has_road = np.zeros(len(units), dtype=bool)
    has_road[u_idx] = True
    if len(u_idx):
        best, which = _unit_road_m(net, polys, u_idx, s_idx, c_snap, field)
    else:
        best, which = np.full(len(units), np.inf), np.full(len(units), -1, dtype=np.int64)
    reach = np.isfinite(best) & (which >= 0)
    out = units.copy()
    out["has_road"] = has_road
    out["road_km_to_crossing"] = np.where(reach, best / 1000.0, np.nan)
    out["nearest_crossing"] = np.where(
        reach, c_names[np.where(reach, which, 0)], np.array(None, dtype=object)
    )
    out["borderland"] = out["road_km_to_crossing"].to_numpy() <= within_km
    return out


def _unit_road_m(
    net: RoadNetwork,
    polys: NDArray[np.object_],
    u_idx: NDArray[np.intp],
    s_idx: NDArray[np.intp],
    crossings: RoadPoints,
    field: DistanceField,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Return each unit's road metres to the nearest crossing, and which crossing."""
    unit_of, seg, along_m = _road_ends(net, polys, u_idx, s_idx)
    d, w = nearest_by_road(net, seg, along_m, crossings, field)
    best = np.full(len(polys), np.inf)
    which = np.full(len(polys), -1, dtype=np.int64)
    frame = pd.DataFrame({"unit": unit_of, "d": d, "w": w}).sort_values(
        ["unit", "d", "w"], kind="stable"
    )
    first = frame.drop_duplicates("unit")
    best[first["unit"].to_numpy()] = first["d"].to_numpy()
    which[first["unit"].to_numpy()] = first["w"].to_numpy()
    # A crossing whose road point lies inside the unit: distance 0.
    cx, cy = Transformer.from_crs(WGS84, net.crs, always_xy=True).transform(
        crossings.road_lonlat[:, 0], crossings.road_lonlat[:, 1]
    )
    c_road = shapely.points(cx, cy)
    cu, cc = shapely.STRtree(c_road).query(polys, predicate="dwithin", distance=0.01)
    for_unit = pd.DataFrame({"u": cu, "c": cc}).sort_values(["u", "c"]).drop_duplicates("u")
    best[for_unit["u"].to_numpy()] = 0.0
    which[for_unit["u"].to_numpy()] = for_unit["c"].to_numpy()
    return best, which


def _road_ends(
    net: RoadNetwork, polys: NDArray[np.object_], u_idx: NDArray[np.intp], s_idx: NDArray[np.intp]
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Return the ends of each stretch of road inside a unit: unit, segment, road metres.

    Along a segment the road distance to the nearest crossing is concave between
    crossings, so its minimum over a stretch lies at one of the stretch's ends.
    """
    pieces = shapely.intersection(net.seg_geom[s_idx], polys[u_idx])
    parts, part_of = shapely.get_parts(pieces, return_index=True)
    kind = shapely.get_type_id(parts)
    lines, points = kind == 1, kind == 0  # a road only touching a unit gives a point
    ends = np.concatenate(
        [
            shapely.get_point(parts[lines], 0),
            shapely.get_point(parts[lines], -1),
            parts[points],
        ]
    )
    owner = np.concatenate([part_of[lines], part_of[lines], part_of[points]])
    seg = s_idx[owner]
    frac = np.nan_to_num(shapely.line_locate_point(net.seg_geom[seg], ends, normalized=True))
    return u_idx[owner], seg, frac * net.seg_length_m[seg]
