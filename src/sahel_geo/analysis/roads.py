"""Distances along roads: the road network as arrays, snapping, nearest target by road.

Corridors (events near roads per period) are in :mod:`sahel_geo.analysis.road_corridors`,
borderlands by travel distance in :mod:`sahel_geo.analysis.road_borders`.

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
  distances are then measured geodesically (:class:`pyproj.Geod`),
  so the projection never enters a reported distance beyond the position of the snap point.
- A point is placed on the network at the nearest point of the nearest road segment
  (its *road point*). Distance along roads between two points runs between their road
  points; the off-road offset is reported beside it (``snap_km``), never added silently.
- Everything is vectorised: points are snapped together (a KD-tree of points sampled
  along the roads gives each point its candidate road pieces, checked exactly in numpy;
  the few points it cannot settle go to an exact STRtree search), one multi-source Dijkstra
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
from pyproj import CRS, Transformer
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from sahel_geo.core.arrays import run_starts
from sahel_geo.core.display import html_table
from sahel_geo.core.errors import (
    CRSError,
    EmptyResultError,
    MissingCRSError,
    SahelGeoWarning,
    SchemaError,
)
from sahel_geo.core.geodesy import GEOD
from sahel_geo.core.reports import StepReport, attach_report, empty_rejects
from sahel_geo.core.schema import WGS84
from sahel_geo.core.validation import check_geographic, point_xy

__all__ = [
    "DistanceField",
    "OffNetworkWarning",
    "RoadNetwork",
    "RoadPoints",
    "as_network",
    "distance_field",
    "nearest_by_road",
    "point_lonlat",
    "road_distances",
    "snap_targets",
    "snap_to_roads",
]

logger = logging.getLogger(__name__)


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
    tree
        STRtree of :attr:`seg_geom` (exact nearest-segment search).
    pieces
        The straight pieces of the segments and a KD-tree of points sampled along them
        (fast snapping of many points).
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
    pieces: _Pieces

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_segments(self) -> int:
        """Number of undirected segments."""
        return len(self.seg_a)

    def _repr_html_(self) -> str:
        return html_table(
            "RoadNetwork",
            [
                ("CRS", self.crs.to_string()),
                ("nodes", f"{self.n_nodes:,}"),
                ("segments", f"{self.n_segments:,}"),
                ("road length", f"{float(np.sum(self.seg_length_m)) / 1000:,.1f} km"),
            ],
        )

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
        node_ids = np.array(sorted(graph.nodes), dtype=np.int64)
        xs = np.array([graph.nodes[n]["x"] for n in node_ids], dtype=float)
        ys = np.array([graph.nodes[n]["y"] for n in node_ids], dtype=float)
        rows = [
            (u, v, k, d)
            for u, nbrs in graph.adj.items()
            for v, keyed in nbrs.items()
            for k, d in keyed.items()
        ]
        if not rows:
            raise EmptyResultError("The road graph has no edges: nothing to route on.")
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
            pieces=_Pieces.from_lines(seg_geom),
        )


@dataclass(frozen=True, eq=False)
class _Pieces:
    """The straight pieces of all segments, with a KD-tree of points sampled along them.

    Used to snap many points fast: the nearest road point of a point P lies within
    ``half`` of a sample of its piece, so within ``d0 + half`` of P, where ``d0`` is the
    distance to the nearest sample. When the k nearest samples reach past that radius they
    hold every candidate piece; otherwise the point falls back to the exact STRtree search.
    """

    p0: np.ndarray  # (m, 2) piece start
    d: np.ndarray  # (m, 2) piece vector
    length: np.ndarray  # (m,) planar length
    seg: np.ndarray  # (m,) segment of each piece
    cum0: np.ndarray  # (m,) planar metres along the segment before the piece
    seg_planar: np.ndarray  # (n_segments,) planar length of each segment
    sample_piece: np.ndarray  # piece of each sample point
    tree: cKDTree
    half: float  # largest half-distance between neighbouring samples on a piece

    @classmethod
    def from_lines(cls, lines: np.ndarray, *, max_samples: int = 5_000_000) -> _Pieces:
        coords, idx = shapely.get_coordinates(lines, return_index=True)
        same = idx[1:] == idx[:-1]
        p0, p1, seg = coords[:-1][same], coords[1:][same], idx[:-1][same]
        d = p1 - p0
        length = np.hypot(d[:, 0], d[:, 1])
        before = np.cumsum(length) - length
        first = np.searchsorted(seg, seg, side="left")
        cum0 = before - before[first]
        seg_planar = np.bincount(seg, weights=length, minlength=len(lines))
        spacing = max(500.0, float(length.sum()) / max_samples)
        n_sub = np.maximum(1, np.ceil(length / spacing)).astype(np.int64)
        sample_piece = np.repeat(np.arange(len(length)), n_sub)
        k = np.arange(len(sample_piece)) - np.repeat(np.cumsum(n_sub) - n_sub, n_sub)
        t = (k + 0.5) / n_sub[sample_piece]
        samples = p0[sample_piece] + t[:, None] * d[sample_piece]
        half = float((length / n_sub).max(initial=0.0)) / 2.0
        return cls(p0, d, length, seg, cum0, seg_planar, sample_piece, cKDTree(samples), half)


# --- input checks ---------------------------------------------------------------------------


def as_network(network: nx.MultiDiGraph | RoadNetwork) -> RoadNetwork:
    """Return ``network`` as a :class:`RoadNetwork`, converting a graph once.

    Parameters
    ----------
    network
        A projected road graph (:func:`sahel_geo.road_network`, osmnx) or a
        :class:`RoadNetwork`, returned as is.

    Returns
    -------
    RoadNetwork
        The network's arrays.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> net = as_network(sg.road_network(osm_file=sg.tri_border_roads_path()))
    >>> as_network(net) is net
    True
    """
    return network if isinstance(network, RoadNetwork) else RoadNetwork.from_graph(network)


def point_lonlat(gdf: gpd.GeoDataFrame, *, what: str) -> np.ndarray:
    """Longitude and latitude of a layer of non-empty points in EPSG:4326, or raise.

    The check every input point layer of the road functions goes through: a
    GeoDataFrame, in the storage CRS (:func:`sahel_geo.core.validation.check_geographic`),
    every row a non-empty Point (the message names the rows that are not).

    Parameters
    ----------
    gdf
        The point layer.
    what
        What the points are, for the messages (e.g. ``"events"``).

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` longitude, latitude.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([-1.0], [13.2]), crs=4326)
    >>> point_lonlat(pts, what="points").tolist()
    [[-1.0, 13.2]]
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(f"{what} must be a GeoDataFrame, got {type(gdf).__name__}.")
    check_geographic(gdf, what=what)
    return np.column_stack(point_xy(gdf, what=what))


def _check_column(gdf: pd.DataFrame, col: str, what: str) -> None:
    """Raise SchemaError when ``col`` is missing (the message tests match: "no column 'x'")."""
    if col not in gdf.columns:
        raise SchemaError(
            f"{what} have no column {col!r} (columns: {', '.join(map(str, gdf.columns))}). "
            "Pass the right column name."
        )


# --- snapping -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoadPoints:
    """Points placed on a road network: their road points.

    Attributes
    ----------
    seg
        Segment index (row of :attr:`RoadNetwork.seg_a`) of each point's road point.
    along_m
        Road metres from the segment's node ``a`` to the road point.
    snap_m
        Geodesic metres from the point to its road point.
    road_lonlat
        ``(n, 2)`` longitude, latitude of the road points.
    """

    seg: np.ndarray
    along_m: np.ndarray
    snap_m: np.ndarray
    road_lonlat: np.ndarray


def _snap(net: RoadNetwork, lonlat: np.ndarray) -> RoadPoints:
    """Road points of lon/lat points: fast by pieces, the rest by the exact STRtree search."""
    n = len(lonlat)
    if n == 0:
        return RoadPoints(np.zeros(0, np.intp), np.zeros(0), np.zeros(0), np.zeros((0, 2)))
    to_net = Transformer.from_crs(WGS84, net.crs, always_xy=True)
    to_ll = Transformer.from_crs(net.crs, WGS84, always_xy=True)
    x, y = to_net.transform(lonlat[:, 0], lonlat[:, 1])
    xy = np.column_stack([x, y])
    seg = np.empty(n, dtype=np.intp)
    frac = np.empty(n)
    road = np.empty((n, 2))
    done = np.zeros(n, dtype=bool)
    for lo in range(0, n, _SNAP_CHUNK):
        hi = min(n, lo + _SNAP_CHUNK)
        ok, s, f, r = _snap_by_pieces(net.pieces, xy[lo:hi])
        seg[lo:hi][ok], frac[lo:hi][ok], road[lo:hi][ok], done[lo:hi] = s, f, r, ok
    rest = np.flatnonzero(~done)
    if len(rest):
        logger.debug("snapping %d of %d points with the exact STRtree search", len(rest), n)
        pts = shapely.points(xy[rest])
        pairs = net.tree.query_nearest(pts, all_matches=True)
        # Ties (a point at a junction is equally near several segments): keep the lowest
        # segment index, so the result does not depend on the tree's order.
        order = np.lexsort((pairs[1], pairs[0]))
        first = run_starts(pairs[0][order])
        s_rest = np.empty(len(rest), dtype=np.intp)
        s_rest[pairs[0][order][first]] = pairs[1][order][first]
        geom = net.seg_geom[s_rest]
        f_rest = np.nan_to_num(shapely.line_locate_point(geom, pts, normalized=True), nan=0.0)
        r_pts = shapely.line_interpolate_point(geom, f_rest, normalized=True)
        seg[rest], frac[rest] = s_rest, f_rest
        road[rest] = np.column_stack([shapely.get_x(r_pts), shapely.get_y(r_pts)])
    lon, lat = to_ll.transform(road[:, 0], road[:, 1])
    _, _, off = GEOD.inv(lonlat[:, 0], lonlat[:, 1], lon, lat)
    return RoadPoints(
        seg, frac * net.seg_length_m[seg], np.asarray(off), np.column_stack([lon, lat])
    )


_SNAP_CHUNK: Final = 200_000
_SNAP_K: Final = 8


def _snap_by_pieces(
    pc: _Pieces, xy: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Snap points by their k nearest samples; return (resolved, seg, frac, road xy)."""
    k = min(_SNAP_K, len(pc.sample_piece))
    dist, ii = pc.tree.query(xy, k=k)
    dist, ii = dist.reshape(len(xy), k), ii.reshape(len(xy), k)
    # Complete when the k-th sample lies beyond the radius (or there are no more samples).
    ok = (dist[:, -1] > dist[:, 0] + pc.half) | (k == len(pc.sample_piece))
    piece = pc.sample_piece[ii[ok]]  # (m, k)
    p = xy[ok][:, None, :]
    p0, d, len2 = pc.p0[piece], pc.d[piece], pc.length[piece] ** 2
    t = np.where(len2 > 0, np.einsum("mkj,mkj->mk", p - p0, d) / np.where(len2 > 0, len2, 1), 0)
    t = np.clip(t, 0.0, 1.0)
    q = p0 + t[..., None] * d
    gap = np.hypot(q[..., 0] - p[..., 0], q[..., 1] - p[..., 1])
    # Nearest piece; within 1 nm of the nearest, the lowest segment index (deterministic).
    seg = pc.seg[piece]
    near = gap <= gap.min(axis=1, keepdims=True) + 1e-9
    pick = np.argmin(np.where(near, seg, np.iinfo(np.int64).max), axis=1)
    rows = np.arange(len(piece))
    best = piece[rows, pick]
    along = pc.cum0[best] + t[rows, pick] * pc.length[best]
    total = pc.seg_planar[pc.seg[best]]
    frac = np.where(total > 0, along / np.where(total > 0, total, 1.0), 0.0)
    return ok, pc.seg[best], np.clip(frac, 0.0, 1.0), q[rows, pick]


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
    2.6
    """
    net = as_network(network)
    snap = _snap(net, point_lonlat(points, what="points"))
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


@dataclass(frozen=True)
class DistanceField:
    """Road distance from every node of a network to its nearest target.

    Attributes
    ----------
    dist_m
        Road metres from each node to the nearest target (inf where none is reachable).
    source
        Index of that target (row of the targets), -1 where none is reachable.
    """

    dist_m: np.ndarray
    source: np.ndarray


def distance_field(net: RoadNetwork, targets: RoadPoints) -> DistanceField:
    """Road metres from every node to the nearest target, and which target.

    Each target is a virtual node joined to the two ends of its segment; one
    ``min_only`` Dijkstra runs from all virtual nodes at once. Of parallel segments
    between two nodes the shortest carries the route.

    Parameters
    ----------
    net
        The road network.
    targets
        The targets' road points, e.g. from :func:`snap_targets`.

    Returns
    -------
    DistanceField
        Distance and nearest target of every node.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> net = as_network(sg.road_network(osm_file=sg.tri_border_roads_path()))
    >>> towns = sg.osm_places(osm_file=sg.tri_border_roads_path())
    >>> _, _, points = snap_targets(towns, net, name_col="name", what="towns")
    >>> field = distance_field(net, points)
    >>> bool((field.source >= 0).all())
    True
    """
    n, k = net.n_nodes, len(targets.seg)
    t_seg, t_along = targets.seg, targets.along_m
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
    return DistanceField(dist[:n], np.where(src[:n] >= 0, src[:n] - n, -1))


def nearest_by_road(
    net: RoadNetwork,
    seg: np.ndarray,
    along_m: np.ndarray,
    targets: RoadPoints,
    field: DistanceField,
) -> tuple[np.ndarray, np.ndarray]:
    """Road metres from points on the network to the nearest target, and which target.

    A point at ``along_m`` metres along segment ``seg`` reaches a target through either
    end of its segment, or straight along the segment when the target's road point lies
    on the same segment.

    Parameters
    ----------
    net
        The road network.
    seg, along_m
        Segment index of each point and its road metres from the segment's node ``a``
        (e.g. :attr:`RoadPoints.seg` and :attr:`RoadPoints.along_m`).
    targets
        The targets' road points.
    field
        :func:`distance_field` of the same targets.

    Returns
    -------
    tuple of numpy.ndarray
        Road metres (inf when no target is reachable) and target index (-1 then).

    Examples
    --------
    >>> import numpy as np, sahel_geo as sg
    >>> net = as_network(sg.road_network(osm_file=sg.tri_border_roads_path()))
    >>> towns = sg.osm_places(osm_file=sg.tri_border_roads_path())
    >>> _, _, points = snap_targets(towns, net, name_col="name", what="towns")
    >>> field = distance_field(net, points)
    >>> d, which = nearest_by_road(net, points.seg, points.along_m, points, field)
    >>> bool(np.allclose(d, 0.0)), bool((which == np.arange(len(towns))).all())
    (True, True)
    """
    t_seg, t_along = targets.seg, targets.along_m
    dist, src = field.dist_m, field.source
    length = net.seg_length_m[seg]
    via_a = along_m + dist[net.seg_a[seg]]
    via_b = (length - along_m) + dist[net.seg_b[seg]]
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
        direct = np.where(has, np.abs(along_m - s_along[pos]), np.inf)
        better = direct < best
        best = np.where(better, direct, best)
        which = np.where(better, order[pos], which)
    which = np.where(np.isfinite(best), which, -1)
    return best, which


def snap_targets(
    targets: gpd.GeoDataFrame,
    net: RoadNetwork,
    *,
    name_col: str,
    what: str,
    off_road_km: float = 5.0,
) -> tuple[np.ndarray, np.ndarray, RoadPoints]:
    """Check and snap named target points (towns, crossings), warning on far ones.

    Parameters
    ----------
    targets
        Non-empty points in EPSG:4326 with a name column.
    net
        The road network.
    name_col
        Column of ``targets`` naming them.
    what
        What the targets are, for the messages (e.g. ``"crossings"``).
    off_road_km
        Targets farther than this (geodesic km) from any road raise an
        :class:`OffNetworkWarning` naming them.

    Returns
    -------
    tuple
        ``(n, 2)`` lon/lat of the targets, their names (object array) and their
        :class:`RoadPoints`.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> net = as_network(sg.road_network(osm_file=sg.tri_border_roads_path()))
    >>> towns = sg.osm_places(osm_file=sg.tri_border_roads_path())
    >>> lonlat, names, points = snap_targets(towns, net, name_col="name", what="towns")
    >>> len(names) == len(points.seg) == len(towns)
    True
    """
    lonlat = point_lonlat(targets, what=what)
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


def _nearest_geodesic(lonlat: np.ndarray, t_lonlat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Geodesic metres to the nearest target, and which (exact among 4 sphere candidates)."""

    def unit(ll: np.ndarray) -> np.ndarray:
        lon, lat = np.radians(ll[:, 0]), np.radians(ll[:, 1])
        return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])

    n, k = len(lonlat), min(4, len(t_lonlat))
    chord, cand = cKDTree(unit(t_lonlat)).query(unit(lonlat), k=k)
    chord, cand = np.asarray(chord).reshape(n, k), np.asarray(cand).reshape(n, k)
    angle = 2.0 * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))
    # Sphere and ellipsoid distances differ by < 0.4 %: only candidates within 1 % of the
    # nearest on the sphere can be the nearest on the ellipsoid.
    r, c = np.nonzero(angle <= angle[:, :1] * 1.01 + 1e-12)
    t = cand[r, c]
    _, _, dist = GEOD.inv(lonlat[r, 0], lonlat[r, 1], t_lonlat[t, 0], t_lonlat[t, 1])
    d = np.full((n, k), np.inf)
    d[r, c] = dist
    # Break exact ties by target order (deterministic).
    d_rank = np.lexsort((cand, d), axis=1)[:, 0] if k > 1 else np.zeros(n, np.intp)
    rows = np.arange(n)
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
        crow flies). The attached step report (:func:`sahel_geo.reports`) counts events off
        road, with no reachable target, and located only to an admin unit
        (``location_level`` other than ``"point"``: their distances are those of the
        unit's centroid).

    Notes
    -----
    For the nearest town, market and crossing separately, call it once per kind, e.g.
    ``sg.road_distances(events, places[places["kind"] == "border_crossing"], net)`` with a
    :class:`RoadNetwork` built once.

    Examples
    --------
    >>> import geopandas as gpd, sahel_geo as sg
    >>> G = sg.road_network(osm_file=sg.tri_border_roads_path())
    >>> towns = sg.osm_places(osm_file=sg.tri_border_roads_path())
    >>> ev = gpd.GeoDataFrame({"event_id": ["e1"]},
    ...     geometry=gpd.points_from_xy([-0.5], [14.2]), crs=4326)
    >>> out = sg.road_distances(ev, towns, G)
    >>> out.loc[0, "road_target"], round(float(out.loc[0, "road_km"]))
    ('Dori', 53)
    """
    if not (off_road_km >= 0):
        raise SchemaError(f"off_road_km must be >= 0, got {off_road_km}.")
    net = as_network(network)
    lonlat = point_lonlat(events, what="events")
    t_lonlat, t_names, t_snap = snap_targets(
        targets, net, name_col=target_name, what="targets", off_road_km=off_road_km
    )
    snap = _snap(net, lonlat)
    field = distance_field(net, t_snap)
    road_m, which = nearest_by_road(net, snap.seg, snap.along_m, t_snap, field)
    reach = which >= 0
    tgt = np.where(reach, which, 0)
    _, _, straight = GEOD.inv(lonlat[:, 0], lonlat[:, 1], t_lonlat[tgt, 0], t_lonlat[tgt, 1])
    near_m, near_i = (
        _nearest_geodesic(lonlat, t_lonlat) if len(lonlat) else (np.zeros(0), np.zeros(0, int))
    )
    out = events.copy()
    out["snap_km"] = snap.snap_m / 1000.0
    out["off_road"] = out["snap_km"].to_numpy() > off_road_km
    out["road_km"] = np.where(reach, road_m / 1000.0, np.nan)
    out["road_target"] = np.where(reach, t_names[tgt], np.array(None, dtype=object))
    out["straight_km"] = np.where(reach, np.asarray(straight) / 1000.0, np.nan)
    out["nearest_straight_km"] = near_m / 1000.0
    out["nearest_straight_target"] = t_names[near_i] if len(lonlat) else np.zeros(0, object)
    n_off, n_unreach = int(out["off_road"].sum()), int((~reach).sum())
    # Events located only to an admin unit sit at its centroid: their road distances
    # measure the centroid, not the event. Counted, not dropped.
    n_coarse = (
        int((events["location_level"].astype("object") != "point").sum())
        if "location_level" in events.columns
        else 0
    )
    attach_report(
        out,
        StepReport(
            step="road_distances",
            source=f"{len(targets)} targets, {net.n_segments:,} road segments",
            n_in=len(out),
            n_kept=len(out),
            rejects=empty_rejects(),
            notes={
                "off_road": n_off,
                "no_reachable_target": n_unreach,
                "coarse_location": n_coarse,
            },
        ),
    )
    logger.info(
        "road_distances: %d events, %d off road (> %s km), %d with no reachable target",
        len(out),
        n_off,
        off_road_km,
        n_unreach,
    )
    return out
