"""Distances along roads: snapping, nearest town by road, corridors, borderlands.

Pure compute on a road graph (from :func:`sahel_geo.road_network` or any projected osmnx
graph); no file or network I/O.

Conventions
-----------
- Roads are undirected: violence and people travel both ways, and one-way tags are rare
  on Sahel roads. Parallel edges between two nodes are kept for snapping; the shortest
  one carries the route.
- Edge ``length`` (metres) is the road length. :func:`sahel_geo.road_network` sets it to
  the geodesic length on the WGS84 ellipsoid; plain osmnx graphs carry great-circle lengths.
- The graph's own metric CRS (the UTM zone of its centre) is used to find the nearest road
  and the position along it. Offsets from a point to its road point, straight-line
  distances and corridor distances are then measured geodesically (:class:`pyproj.Geod`),
  so the projection never enters a reported distance beyond the position of the snap point.
- A point is placed on the network at the nearest point of the nearest road segment
  (its *road point*). Distance along roads between two points runs between their road
  points; the off-road offset is reported beside it (``snap_km``), never added silently.
- Everything is vectorised: one STRtree query snaps all points, one multi-source Dijkstra
  (:func:`scipy.sparse.csgraph.dijkstra` over the CSR matrix of the graph, ``min_only``)
  gives every node its distance to the nearest target.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from sahel_geo._errors import (
    CRSError,
    CRSMismatchError,
    EmptyResultError,
    MissingCRSError,
    SahelGeoWarning,
    SchemaError,
)
from sahel_geo.schema import WGS84

__all__ = [
    "OffNetworkWarning",
    "RoadNetwork",
    "borderlands_by_road",
    "corridor_exposure",
    "corridor_layer",
    "road_corridors",
    "road_distances",
    "road_segments",
    "snap_to_roads",
]

logger = logging.getLogger(__name__)

_GEOD: Final = Geod(ellps="WGS84")
_EARTH_RADIUS_M: Final = 6_371_008.8


class OffNetworkWarning(SahelGeoWarning):
    """Targets (towns, crossings) lie far from any road of the network."""


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A road graph as arrays, ready for vectorised snapping and routing.

    Build it once with :meth:`from_graph` and pass it to the functions of this module
    instead of the graph to save the conversion on repeated calls.

    Attributes
    ----------
    crs
        The graph's metric CRS.
    node_ids
        OSM/graph node ids, sorted; node ``i`` of the arrays is ``node_ids[i]``.
    seg_a, seg_b
        Node indices of each undirected segment, the geometry running from ``a`` to ``b``.
    seg_length_m
        Road length of each segment in metres.
    seg_geom
        Segment geometry in :attr:`crs`.
    seg_name, seg_ref, seg_highway
        Edge tags (lists of merged values joined by ``";"``), ``None`` where missing.
    """

    crs: CRS
    node_ids: np.ndarray
    seg_a: np.ndarray
    seg_b: np.ndarray
    seg_length_m: np.ndarray
    seg_geom: np.ndarray
    seg_name: np.ndarray
    seg_ref: np.ndarray
    seg_highway: np.ndarray
    tree: shapely.STRtree

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_segments(self) -> int:
        """Number of undirected segments."""
        return len(self.seg_a)

    @classmethod
    def from_graph(cls, graph: nx.MultiDiGraph) -> RoadNetwork:
        """Convert a projected osmnx graph.

        Parameters
        ----------
        graph
            A graph in a metric CRS, with edge ``length`` in metres, e.g. from
            :func:`sahel_geo.road_network`.

        Returns
        -------
        RoadNetwork
            The arrays.

        Examples
        --------
        >>> import sahel_geo as sg
        >>> net = sg.RoadNetwork.from_graph(sg.road_network(osm_file=sg.tri_border_roads_path()))
        >>> net.n_segments
        16
        """
        crs_value = graph.graph.get("crs")
        if crs_value is None:
            raise MissingCRSError(
                "The road graph has no 'crs' in graph.graph. Build it with "
                "sahel_geo.road_network or osmnx, which record it."
            )
        crs = CRS.from_user_input(crs_value)
        if not crs.is_projected:
            raise CRSError(
                f"The road graph is in {crs.to_string()}, a geographic CRS; snapping needs "
                "metres. Project it with osmnx.project_graph(G) or build it with "
                "sahel_geo.road_network (which projects to UTM)."
            )
        if graph.number_of_edges() == 0:
            raise EmptyResultError("The road graph has no edges: nothing to route on.")
        node_ids = np.array(sorted(graph.nodes), dtype=np.int64)
        xs = np.array([graph.nodes[n]["x"] for n in node_ids], dtype=float)
        ys = np.array([graph.nodes[n]["y"] for n in node_ids], dtype=float)
        rows = list(graph.edges(keys=True, data=True))
        u = np.searchsorted(node_ids, np.array([r[0] for r in rows], dtype=np.int64))
        v = np.searchsorted(node_ids, np.array([r[1] for r in rows], dtype=np.int64))
        missing = [i for i, r in enumerate(rows) if "length" not in r[3]]
        if missing:
            raise SchemaError(
                f"{len(missing)} edges of the road graph have no 'length' (first: "
                f"{rows[missing[0]][:3]}). Add lengths with osmnx.distance.add_edge_lengths."
            )
        length = np.array([float(r[3]["length"]) for r in rows])
        geoms = np.array([r[3].get("geometry") for r in rows], dtype=object)
        straight = np.array([g is None for g in geoms])
        if straight.any():
            geoms[straight] = shapely.linestrings(
                np.stack(
                    [
                        np.column_stack([xs[u[straight]], ys[u[straight]]]),
                        np.column_stack([xs[v[straight]], ys[v[straight]]]),
                    ],
                    axis=1,
                )
            )
        # Undirected: orient each edge from its lower to its higher node index; the two
        # directions of a two-way road then coincide and one is kept.
        flip = u > v
        a = np.where(flip, v, u)
        b = np.where(flip, u, v)
        geoms = geoms.copy()
        if flip.any():
            geoms[flip] = shapely.reverse(geoms[flip])
        frame = pd.DataFrame({"a": a, "b": b, "mm": np.round(length * 1000).astype(np.int64)})
        keep = ~frame.duplicated(["a", "b", "mm"]).to_numpy()
        order = np.lexsort((length[keep], b[keep], a[keep]))
        idx = np.flatnonzero(keep)[order]

        def tag(name: str) -> np.ndarray:
            out = np.empty(len(idx), dtype=object)
            for j, i in enumerate(idx):
                val = rows[i][3].get(name)
                if isinstance(val, list):
                    val = ";".join(sorted(dict.fromkeys(str(x) for x in val)))
                out[j] = None if val is None else str(val)
            return out

        seg_geom = geoms[idx]
        return cls(
            crs=crs,
            node_ids=node_ids,
            seg_a=a[idx],
            seg_b=b[idx],
            seg_length_m=length[idx],
            seg_geom=seg_geom,
            seg_name=tag("name"),
            seg_ref=tag("ref"),
            seg_highway=tag("highway"),
            tree=shapely.STRtree(seg_geom),
        )


# --- input checks ---------------------------------------------------------------------------


def _as_network(network: nx.MultiDiGraph | RoadNetwork) -> RoadNetwork:
    return network if isinstance(network, RoadNetwork) else RoadNetwork.from_graph(network)


def _check_points(gdf: gpd.GeoDataFrame, what: str) -> np.ndarray:
    """Return lon/lat of a point layer in EPSG:4326, or raise naming rows and CRS."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(f"{what} must be a GeoDataFrame, got {type(gdf).__name__}.")
    if gdf.crs is None:
        raise MissingCRSError(
            f"{what} have no CRS. Set it with gdf.set_crs('EPSG:4326') if the coordinates "
            "are longitude/latitude."
        )
    if not gdf.crs.equals(CRS.from_user_input(WGS84)):
        raise CRSMismatchError(
            f"{what} are in {gdf.crs.to_string()}, but {WGS84} is required (the storage "
            f"CRS). Convert them with gdf.to_crs('{WGS84}')."
        )
    geoms = gdf.geometry.to_numpy()
    bad = np.flatnonzero(
        (shapely.get_type_id(geoms) != 0) | shapely.is_empty(geoms) | shapely.is_missing(geoms)
    )
    if len(bad):
        rows = ", ".join(str(r) for r in bad[:10]) + (" ..." if len(bad) > 10 else "")
        raise SchemaError(
            f"{what}: {len(bad)} rows are not non-empty points (row positions {rows}). "
            "Drop or fix them first; every row must be a Point."
        )
    return np.column_stack([shapely.get_x(geoms), shapely.get_y(geoms)])


def _check_column(gdf: pd.DataFrame, col: str, what: str) -> None:
    if col not in gdf.columns:
        raise SchemaError(
            f"{what} have no column {col!r} (columns: {', '.join(map(str, gdf.columns))}). "
            "Pass the right column name."
        )


# --- snapping -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Snap:
    seg: np.ndarray  # segment index
    along_m: np.ndarray  # road metres from the segment's node a
    snap_m: np.ndarray  # geodesic offset point -> road point
    road_lonlat: np.ndarray  # (n, 2)


def _snap(net: RoadNetwork, lonlat: np.ndarray) -> _Snap:
    n = len(lonlat)
    if n == 0:
        return _Snap(np.zeros(0, np.intp), np.zeros(0), np.zeros(0), np.zeros((0, 2)))
    to_net = Transformer.from_crs(WGS84, net.crs, always_xy=True)
    to_ll = Transformer.from_crs(net.crs, WGS84, always_xy=True)
    x, y = to_net.transform(lonlat[:, 0], lonlat[:, 1])
    pts = shapely.points(x, y)
    pairs = net.tree.query_nearest(pts, all_matches=True)
    # Ties (a point at a junction is equally near several segments): keep the lowest
    # segment index, so the result does not depend on the tree's order.
    order = np.lexsort((pairs[1], pairs[0]))
    first = np.ones(len(order), dtype=bool)
    first[1:] = pairs[0][order][1:] != pairs[0][order][:-1]
    seg = np.empty(n, dtype=np.intp)
    seg[pairs[0][order][first]] = pairs[1][order][first]
    geom = net.seg_geom[seg]
    frac = shapely.line_locate_point(geom, pts, normalized=True)
    frac = np.nan_to_num(frac, nan=0.0)  # zero-length segments
    road = shapely.line_interpolate_point(geom, frac, normalized=True)
    lon, lat = to_ll.transform(shapely.get_x(road), shapely.get_y(road))
    _, _, off = _GEOD.inv(lonlat[:, 0], lonlat[:, 1], lon, lat)
    return _Snap(seg, frac * net.seg_length_m[seg], np.asarray(off), np.column_stack([lon, lat]))


def snap_to_roads(
    points: gpd.GeoDataFrame, network: nx.MultiDiGraph | RoadNetwork
) -> gpd.GeoDataFrame:
    """Place each point at the nearest point of the nearest road.

    Parameters
    ----------
    points
        Points in EPSG:4326 (events, towns, ...).
    network
        A projected road graph or a :class:`RoadNetwork`.

    Returns
    -------
    geopandas.GeoDataFrame
        Same index as ``points``; geometry is the road point (EPSG:4326); columns
        ``segment_id`` (row of :func:`road_segments`), ``u`` and ``v`` (node ids of the
        segment), ``along_km`` (road km from ``u``), ``snap_km`` (geodesic km from the point
        to its road point).

    Examples
    --------
    >>> import geopandas as gpd, sahel_geo as sg
    >>> G = sg.road_network(osm_file=sg.tri_border_roads_path())
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([-1.0], [13.2]), crs=4326)
    >>> snapped = sg.snap_to_roads(pts, G)
    >>> round(float(snapped["snap_km"].iloc[0]), 1)
    6.9
    """
    net = _as_network(network)
    snap = _snap(net, _check_points(points, "points"))
    return gpd.GeoDataFrame(
        {
            "segment_id": snap.seg.astype(np.int64),
            "u": net.node_ids[net.seg_a[snap.seg]],
            "v": net.node_ids[net.seg_b[snap.seg]],
            "along_km": snap.along_m / 1000.0,
            "snap_km": snap.snap_m / 1000.0,
        },
        geometry=shapely.points(snap.road_lonlat) if len(snap.seg) else [],
        crs=WGS84,
        index=points.index,
    )


# --- routing --------------------------------------------------------------------------------


def _distance_field(
    net: RoadNetwork, t_seg: np.ndarray, t_along: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Road metres from every node to the nearest target, and which target.

    Each target is a virtual node joined to the two ends of its segment; one
    ``min_only`` Dijkstra from all virtual nodes at once.
    """
    n, k = net.n_nodes, len(t_seg)
    # Real segments: shortest of the parallel ones (scipy would sum duplicates).
    a, b, w = net.seg_a, net.seg_b, net.seg_length_m
    t_nodes = n + np.arange(k)
    rows = np.concatenate([a, t_nodes, t_nodes])
    cols = np.concatenate([b, net.seg_a[t_seg], net.seg_b[t_seg]])
    wts = np.concatenate([w, t_along, net.seg_length_m[t_seg] - t_along])
    lo, hi = np.minimum(rows, cols), np.maximum(rows, cols)
    frame = pd.DataFrame({"lo": lo, "hi": hi, "w": np.maximum(wts, 0.0)})
    shortest = frame[frame["lo"] != frame["hi"]].groupby(["lo", "hi"], sort=True)["w"].min()
    lo_i = shortest.index.get_level_values(0).to_numpy()
    hi_i = shortest.index.get_level_values(1).to_numpy()
    mat = sparse.csr_matrix((shortest.to_numpy(), (lo_i, hi_i)), shape=(n + k, n + k))
    dist, _, src = dijkstra(
        mat, directed=False, indices=t_nodes, min_only=True, return_predecessors=True
    )
    return dist[:n], np.where(src[:n] >= 0, src[:n] - n, -1)


def _route(
    net: RoadNetwork,
    seg: np.ndarray,
    along: np.ndarray,
    t_seg: np.ndarray,
    t_along: np.ndarray,
    dist: np.ndarray,
    src: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Road metres from points (segment, along) to the nearest target, and which target."""
    length = net.seg_length_m[seg]
    via_a = along + dist[net.seg_a[seg]]
    via_b = (length - along) + dist[net.seg_b[seg]]
    best = np.minimum(via_a, via_b)
    which = np.where(via_a <= via_b, src[net.seg_a[seg]], src[net.seg_b[seg]])
    # Targets on the point's own segment: straight along it, not through a node.
    order = np.lexsort((np.arange(len(t_seg)), t_seg))
    s_seg, s_along = t_seg[order], t_along[order]
    lo = np.searchsorted(s_seg, seg, side="left")
    hi = np.searchsorted(s_seg, seg, side="right")
    for j in range(int((hi - lo).max(initial=0))):
        has = lo + j < hi
        pos = np.minimum(lo + j, len(s_seg) - 1)
        direct = np.where(has, np.abs(along - s_along[pos]), np.inf)
        better = direct < best
        best = np.where(better, direct, best)
        which = np.where(better, order[pos], which)
    which = np.where(np.isfinite(best), which, -1)
    return best, which


def _targets(
    targets: gpd.GeoDataFrame, name_col: str, net: RoadNetwork, what: str, off_road_km: float
) -> tuple[np.ndarray, np.ndarray, _Snap]:
    lonlat = _check_points(targets, what)
    _check_column(targets, name_col, what)
    if len(targets) == 0:
        raise EmptyResultError(f"{what} are empty: pass at least one point.")
    snap = _snap(net, lonlat)
    far = snap.snap_m > off_road_km * 1000.0
    if far.any():
        names = targets[name_col].to_numpy()[far]
        warnings.warn(
            f"{int(far.sum())} of the {what} lie more than {off_road_km} km from any road "
            f"({', '.join(map(str, names[:5]))}{' ...' if far.sum() > 5 else ''}); their "
            "road distances start from their nearest road point. Check the network's extent.",
            OffNetworkWarning,
            stacklevel=3,
        )
    return lonlat, targets[name_col].to_numpy(dtype=object), snap


def _names_or_none(names: np.ndarray, idx: np.ndarray, ok: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.asarray(names[idx], dtype=object).copy()
    out[~ok] = None
    return out


def _nearest_geodesic(lonlat: np.ndarray, t_lonlat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Geodesic metres to the nearest target, and which (exact among 4 chord candidates)."""

    def unit(ll: np.ndarray) -> np.ndarray:
        lon, lat = np.radians(ll[:, 0]), np.radians(ll[:, 1])
        return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])

    k = min(4, len(t_lonlat))
    _, cand = cKDTree(unit(t_lonlat)).query(unit(lonlat), k=k)
    cand = np.asarray(cand).reshape(len(lonlat), k)
    rep = np.repeat(lonlat, k, axis=0)
    flat = cand.ravel()
    _, _, d = _GEOD.inv(rep[:, 0], rep[:, 1], t_lonlat[flat, 0], t_lonlat[flat, 1])
    d = np.asarray(d).reshape(len(lonlat), k)
    # Break exact ties by target order (deterministic).
    d_rank = np.lexsort((cand, d), axis=1)[:, 0] if k > 1 else np.zeros(len(lonlat), np.intp)
    rows = np.arange(len(lonlat))
    return d[rows, d_rank], cand[rows, d_rank]


def road_distances(
    events: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    network: nx.MultiDiGraph | RoadNetwork,
    *,
    target_name: str = "name",
    off_road_km: float = 5.0,
) -> gpd.GeoDataFrame:
    """Distance along roads from each event to the nearest target, with the straight line.

    Targets are towns, markets or border crossings (any points). Events and targets are
    snapped to their nearest road point; one multi-source Dijkstra from all targets gives
    every event its road distance at once.

    Parameters
    ----------
    events
        Event points in EPSG:4326 (canonical events or any points).
    targets
        Target points in EPSG:4326 with a name column.
    network
        A projected road graph (:func:`sahel_geo.road_network`) or a :class:`RoadNetwork`.
    target_name
        Column of ``targets`` naming them.
    off_road_km
        Events whose road point is farther than this (geodesic km) are flagged ``off_road``.
        Targets farther than this from any road raise an :class:`OffNetworkWarning`.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``events`` (same index and rows) with ``snap_km`` (km from the event to its
        road point), ``off_road`` (``snap_km > off_road_km``), ``road_km`` (km along roads
        between the road points of the event and of its nearest target; NaN when no target
        can be reached on the network), ``road_target`` (that target's name, None when
        unreachable), ``straight_km`` (geodesic km to that same target),
        ``nearest_straight_km`` and ``nearest_straight_target`` (the nearest target as the
        crow flies).

    Examples
    --------
    >>> import geopandas as gpd, sahel_geo as sg
    >>> G = sg.road_network(osm_file=sg.tri_border_roads_path())
    >>> towns = sg.osm_places(osm_file=sg.tri_border_roads_path())
    >>> ev = gpd.GeoDataFrame({"event_id": ["e1"]},
    ...     geometry=gpd.points_from_xy([-0.5], [14.2]), crs=4326)
    >>> out = sg.road_distances(ev, towns, G)
    >>> out.loc[0, "road_target"], round(float(out.loc[0, "road_km"]))
    ('Dori', 51)
    """
    if not (off_road_km >= 0):
        raise SchemaError(f"off_road_km must be >= 0, got {off_road_km}.")
    net = _as_network(network)
    lonlat = _check_points(events, "events")
    t_lonlat, t_names, t_snap = _targets(targets, target_name, net, "targets", off_road_km)
    snap = _snap(net, lonlat)
    dist, src = _distance_field(net, t_snap.seg, t_snap.along_m)
    road_m, which = _route(net, snap.seg, snap.along_m, t_snap.seg, t_snap.along_m, dist, src)
    reach = which >= 0
    tgt = np.where(reach, which, 0)
    _, _, straight = _GEOD.inv(lonlat[:, 0], lonlat[:, 1], t_lonlat[tgt, 0], t_lonlat[tgt, 1])
    near_m, near_i = (
        _nearest_geodesic(lonlat, t_lonlat) if len(lonlat) else (np.zeros(0), np.zeros(0, int))
    )
    out = events.copy()
    out["snap_km"] = snap.snap_m / 1000.0
    out["off_road"] = out["snap_km"].to_numpy() > off_road_km
    out["road_km"] = np.where(reach, road_m / 1000.0, np.nan)
    out["road_target"] = _names_or_none(t_names, tgt, reach)
    out["straight_km"] = np.where(reach, np.asarray(straight) / 1000.0, np.nan)
    out["nearest_straight_km"] = near_m / 1000.0
    out["nearest_straight_target"] = t_names[near_i] if len(lonlat) else np.zeros(0, object)
    n_off, n_unreach = int(out["off_road"].sum()), int((~reach).sum())
    logger.info(
        "road_distances: %d events, %d off road (> %s km), %d with no reachable target",
        len(out),
        n_off,
        off_road_km,
        n_unreach,
    )
    return out


# --- segments and corridors ---------------------------------------------------------------


def road_segments(network: nx.MultiDiGraph | RoadNetwork) -> gpd.GeoDataFrame:
    """Return the road segments of a network as a line layer in EPSG:4326.

    Parameters
    ----------
    network
        A projected road graph or a :class:`RoadNetwork`.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per undirected segment, ``segment_id`` 0..n-1 (the order of
        :class:`RoadNetwork`), ``u``, ``v`` (node ids), ``name``, ``ref``, ``highway``,
        ``length_km`` (road length).

    Examples
    --------
    >>> import sahel_geo as sg
    >>> segs = sg.road_segments(sg.road_network(osm_file=sg.tri_border_roads_path()))
    >>> round(float(segs["length_km"].sum()))
    3877
    """
    net = _as_network(network)
    geoms = gpd.GeoSeries(net.seg_geom, crs=net.crs).to_crs(WGS84)
    return gpd.GeoDataFrame(
        {
            "segment_id": np.arange(net.n_segments, dtype=np.int64),
            "u": net.node_ids[net.seg_a],
            "v": net.node_ids[net.seg_b],
            "name": net.seg_name,
            "ref": net.seg_ref,
            "highway": net.seg_highway,
            "length_km": net.seg_length_m / 1000.0,
        },
        geometry=geoms.to_numpy(),
        crs=WGS84,
    )


def road_corridors(network: nx.MultiDiGraph | RoadNetwork, *, by: str = "name") -> gpd.GeoDataFrame:
    """Named corridors: the road segments merged by name (or ref, or highway class).

    Parameters
    ----------
    network
        A projected road graph or a :class:`RoadNetwork`.
    by
        ``"name"``, ``"ref"`` or ``"highway"``. Segments without a value are left out
        (they are still in :func:`road_segments`).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per corridor, sorted by ``corridor``: ``corridor``, ``n_segments``,
        ``length_km``, (Multi)LineString geometry in EPSG:4326.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> cor = sg.road_corridors(sg.road_network(osm_file=sg.tri_border_roads_path()), by="ref")
    >>> cor["corridor"].tolist()
    ['RN16', 'RN22', 'RN3', 'RN4']
    """
    if by not in ("name", "ref", "highway"):
        raise SchemaError(f"by must be 'name', 'ref' or 'highway', got {by!r}.")
    segs = road_segments(network)
    segs = segs[segs[by].notna()]
    if segs.empty:
        raise EmptyResultError(f"No road segment has a {by!r} tag: choose another 'by'.")
    grouped = segs.groupby(by, sort=True)
    merged = grouped.geometry.apply(lambda s: shapely.line_merge(shapely.union_all(s.to_numpy())))
    return gpd.GeoDataFrame(
        {
            "corridor": merged.index.to_numpy(dtype=object),
            "n_segments": grouped.size().to_numpy(dtype=np.int64),
            "length_km": grouped["length_km"].sum().to_numpy(),
        },
        geometry=merged.to_numpy(),
        crs=WGS84,
    )


def _within(
    lonlat: np.ndarray, lines: gpd.GeoSeries, within_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (point, line) with geodesic distance <= within_km, vectorised."""
    if len(lonlat) == 0 or len(lines) == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    crs = lines.estimate_utm_crs()
    proj_lines = lines.to_crs(crs).to_numpy()
    x, y = Transformer.from_crs(WGS84, crs, always_xy=True).transform(lonlat[:, 0], lonlat[:, 1])
    pts = shapely.points(x, y)
    # Candidates in UTM with a margin for its scale error (< 1 % within 8 deg of the
    # central meridian), then an exact geodesic check to the nearest point of the line.
    margin = within_km * 1000.0 * 1.02 + 1000.0
    p_idx, l_idx = shapely.STRtree(proj_lines).query(pts, predicate="dwithin", distance=margin)
    if len(p_idx) == 0:
        return p_idx, l_idx
    near = shapely.get_point(shapely.shortest_line(proj_lines[l_idx], pts[p_idx]), 0)
    lon, lat = Transformer.from_crs(crs, WGS84, always_xy=True).transform(
        shapely.get_x(near), shapely.get_y(near)
    )
    _, _, d = _GEOD.inv(lonlat[p_idx, 0], lonlat[p_idx, 1], lon, lat)
    ok = np.asarray(d) <= within_km * 1000.0
    return p_idx[ok], l_idx[ok]


def corridor_exposure(
    events: gpd.GeoDataFrame,
    corridors: gpd.GeoDataFrame,
    *,
    within_km: float,
    corridor_id: str = "corridor",
    freq: str = "YS",
    date_col: str = "event_date",
    fatalities_col: str | None = "fatalities",
) -> pd.DataFrame:
    """Events within ``within_km`` of each road segment or corridor, per period.

    An event near two corridors counts for both (exposure, not a partition); each event
    counts once per corridor. Distances are geodesic from the event to the nearest point
    of the line.

    Parameters
    ----------
    events
        Event points in EPSG:4326 with ``date_col`` (datetime64).
    corridors
        Lines in EPSG:4326 with a unique id column, e.g. :func:`road_corridors` or
        :func:`road_segments` (``corridor_id="segment_id"``).
    within_km
        Exposure distance in km (geodesic).
    corridor_id
        Column of ``corridors`` identifying each line.
    freq
        Period (pandas offset alias): ``"YS"`` years, ``"QS"`` quarters, ``"MS"`` months.
    date_col
        Event date column.
    fatalities_col
        Column summed as ``fatalities``; None to skip.

    Returns
    -------
    pandas.DataFrame
        Long table, one row per corridor x period from the first to the last event
        period (zeros included), sorted: ``corridor_id``, ``period`` (period start),
        ``n_events``, ``fatalities`` (when asked).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd, sahel_geo as sg
    >>> cor = sg.road_corridors(sg.road_network(osm_file=sg.tri_border_roads_path()), by="ref")
    >>> ev = gpd.GeoDataFrame({"event_date": pd.to_datetime(["2020-03-01"]), "fatalities": [3]},
    ...     geometry=gpd.points_from_xy([-1.0], [13.2]), crs=4326)
    >>> t = sg.corridor_exposure(ev, cor, within_km=10)
    >>> t.loc[t["n_events"] > 0, "corridor"].tolist()
    ['RN3']
    """
    if not (within_km >= 0):
        raise SchemaError(f"within_km must be >= 0, got {within_km}.")
    lonlat = _check_points(events, "events")
    _check_column(events, date_col, "events")
    _check_column(corridors, corridor_id, "corridors")
    if fatalities_col is not None:
        _check_column(events, fatalities_col, "events")
    if corridors.crs is None or not corridors.crs.equals(CRS.from_user_input(WGS84)):
        raise CRSMismatchError(
            f"corridors are in {corridors.crs.to_string() if corridors.crs else 'no CRS'}, "
            f"but {WGS84} is required. Convert them with gdf.to_crs('{WGS84}')."
        )
    ids = corridors[corridor_id]
    if ids.duplicated().any():
        raise SchemaError(
            f"corridors[{corridor_id!r}] has duplicate values "
            f"({', '.join(map(str, ids[ids.duplicated()].unique()[:5]))}): ids must be unique."
        )
    dates = pd.to_datetime(events[date_col])
    if dates.isna().any():
        rows = np.flatnonzero(dates.isna().to_numpy())[:10]
        raise SchemaError(
            f"events[{date_col!r}] is missing at row positions {', '.join(map(str, rows))}. "
            "Drop or date those events first."
        )
    p_idx, l_idx = _within(lonlat, corridors.geometry, within_km)
    period = dates.dt.to_period(_period_alias(freq)).dt.start_time.to_numpy()
    hits = pd.DataFrame({corridor_id: ids.to_numpy()[l_idx], "period": period[p_idx]})
    agg = {"n_events": ("period", "size")}
    if fatalities_col is not None:
        hits["fatalities"] = pd.to_numeric(events[fatalities_col]).to_numpy()[p_idx]
        agg["fatalities"] = ("fatalities", "sum")
    counted = hits.groupby([corridor_id, "period"], sort=True).agg(**agg)
    if len(dates):
        periods = pd.period_range(dates.min(), dates.max(), freq=_period_alias(freq)).start_time
    else:
        periods = pd.DatetimeIndex([])
    full = pd.MultiIndex.from_product(
        [np.sort(ids.to_numpy()), periods], names=[corridor_id, "period"]
    )
    table = counted.reindex(full, fill_value=0).reset_index()
    table["n_events"] = table["n_events"].astype(np.int64)
    return table


def _period_alias(freq: str) -> str:
    aliases = {
        "YS": "Y",
        "AS": "Y",
        "Y": "Y",
        "QS": "Q",
        "Q": "Q",
        "MS": "M",
        "M": "M",
        "W": "W",
        "D": "D",
    }
    if freq not in aliases:
        raise SchemaError(f"freq must be one of {', '.join(aliases)}, got {freq!r}.")
    return aliases[freq]


def corridor_layer(
    exposure: pd.DataFrame,
    corridors: gpd.GeoDataFrame,
    *,
    corridor_id: str = "corridor",
) -> gpd.GeoDataFrame:
    """Join an exposure table to its lines, one feature per corridor, for a map layer.

    Parameters
    ----------
    exposure
        Output of :func:`corridor_exposure`.
    corridors
        The lines it was computed on (EPSG:4326).
    corridor_id
        Id column shared by both.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 lines sorted by id: ``corridor_id``, ``n_events`` (all periods),
        ``fatalities`` (when present), then ``n_<period start>`` per period (e.g.
        ``n_2020-01-01``). Ready for ``write_geojson``.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd, sahel_geo as sg
    >>> cor = sg.road_corridors(sg.road_network(osm_file=sg.tri_border_roads_path()), by="ref")
    >>> ev = gpd.GeoDataFrame({"event_date": pd.to_datetime(["2020-03-01"]), "fatalities": [3]},
    ...     geometry=gpd.points_from_xy([-1.0], [13.2]), crs=4326)
    >>> layer = sg.corridor_layer(sg.corridor_exposure(ev, cor, within_km=10), cor)
    >>> layer[["corridor", "n_events", "n_2020-01-01"]].values.tolist()[2]
    ['RN3', 1, 1]
    """
    for col in (corridor_id, "period", "n_events"):
        _check_column(exposure, col, "exposure")
    _check_column(corridors, corridor_id, "corridors")
    wide = exposure.pivot_table(
        index=corridor_id, columns="period", values="n_events", aggfunc="sum", fill_value=0
    )
    wide.columns = [f"n_{pd.Timestamp(c).date().isoformat()}" for c in wide.columns]
    totals = exposure.groupby(corridor_id, sort=True)[
        ["n_events"] + (["fatalities"] if "fatalities" in exposure else [])
    ].sum()
    table = totals.join(wide).reset_index()
    lines = corridors[[corridor_id, "geometry"]].to_crs(WGS84)
    out = lines.merge(table, on=corridor_id, how="left", validate="one_to_one")
    count_cols = [c for c in out.columns if c not in (corridor_id, "geometry")]
    out[count_cols] = out[count_cols].fillna(0).astype(np.int64)
    out = out.sort_values(corridor_id, kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame(out[[corridor_id, *count_cols, "geometry"]], crs=WGS84)


# --- borderlands ---------------------------------------------------------------------------


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
    if units.crs is None:
        raise MissingCRSError("units have no CRS. Set it with gdf.set_crs('EPSG:4326').")
    if not units.crs.equals(CRS.from_user_input(WGS84)):
        raise CRSMismatchError(
            f"units are in {units.crs.to_string()}, but {WGS84} is required. Convert them "
            f"with gdf.to_crs('{WGS84}')."
        )
    net = _as_network(network)
    _, c_names, c_snap = _targets(crossings, crossing_name, net, "crossings", off_road_km)
    dist, src = _distance_field(net, c_snap.seg, c_snap.along_m)

    polys = units.to_crs(net.crs).geometry.to_numpy()
    u_idx, s_idx = net.tree.query(polys, predicate="intersects")
    best = np.full(len(units), np.inf)
    which = np.full(len(units), -1, dtype=np.int64)
    has_road = np.zeros(len(units), dtype=bool)
    if len(u_idx):
        has_road[u_idx] = True
        pieces = shapely.intersection(net.seg_geom[s_idx], polys[u_idx])
        parts, part_of = shapely.get_parts(pieces, return_index=True)
        lines = shapely.get_type_id(parts) == 1
        parts, part_of = parts[lines], part_of[lines]
        ends = np.concatenate([shapely.get_point(parts, 0), shapely.get_point(parts, -1)])
        owner = np.concatenate([part_of, part_of])
        seg = s_idx[owner]
        frac = np.nan_to_num(shapely.line_locate_point(net.seg_geom[seg], ends, normalized=True))
        d, w = _route(net, seg, frac * net.seg_length_m[seg], c_snap.seg, c_snap.along_m, dist, src)
        unit_of = u_idx[owner]
        frame = pd.DataFrame({"unit": unit_of, "d": d, "w": w}).sort_values(
            ["unit", "d", "w"], kind="stable"
        )
        first = frame.drop_duplicates("unit")
        best[first["unit"].to_numpy()] = first["d"].to_numpy()
        which[first["unit"].to_numpy()] = first["w"].to_numpy()
        # A crossing whose road point lies inside the unit: distance 0.
        cx, cy = Transformer.from_crs(WGS84, net.crs, always_xy=True).transform(
            c_snap.road_lonlat[:, 0], c_snap.road_lonlat[:, 1]
        )
        c_road = shapely.points(cx, cy)
        cu, cc = shapely.STRtree(c_road).query(polys, predicate="dwithin", distance=0.01)
        for_unit = pd.DataFrame({"u": cu, "c": cc}).sort_values(["u", "c"]).drop_duplicates("u")
        best[for_unit["u"].to_numpy()] = 0.0
        which[for_unit["u"].to_numpy()] = for_unit["c"].to_numpy()
    reach = np.isfinite(best) & (which >= 0)
    out = units.copy()
    out["has_road"] = has_road
    out["road_km_to_crossing"] = np.where(reach, best / 1000.0, np.nan)
    out["nearest_crossing"] = _names_or_none(c_names, np.where(reach, which, 0), reach)
    out["borderland"] = out["road_km_to_crossing"].to_numpy() <= within_km
    return out
