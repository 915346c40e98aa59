"""Benchmark: road distances for 100k and 1M events on a ~100k-edge network, ~50 towns.

Compares, in the same run:

- ``sahel_geo.road_distances`` (vectorised snapping with one STRtree query, one multi-source
  Dijkstra over the CSR matrix, vectorised geodesic straight lines) on every event;
- a naive per-event loop on a sample: for each event, two networkx Dijkstra searches (from
  both ends of its road segment) and a minimum over the towns, extrapolated per event;
  its results are checked against ours;
- snapping alone against ``osmnx.distance.nearest_edges`` (also STRtree-based).

The network is synthetic (a jittered 2 km grid in UTM 31N, ~450 km across, both directions
of every road, as osmnx builds them); events are uniform over it; towns sit on nodes.
Each size runs in a child process so its peak RSS is its own.

Run: ``python benchmarks/bench_roads.py`` (``--sizes 100000`` for a quick run).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import shapely
from pyproj import Transformer

import sahel_geo as sg
from sahel_geo.analysis import roads as nw

CRS = "EPSG:32631"
SIDE = 225  # 225 x 225 nodes -> 100,800 undirected edges
SPACING = 2000.0
N_TOWNS = 50
NAIVE_SAMPLE = 40


def build_graph(seed: int = 0) -> nx.MultiDiGraph:
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(SIDE), np.arange(SIDE), indexing="ij")
    x = 300_000 + ii.ravel() * SPACING + rng.uniform(-400, 400, ii.size)
    y = 1_450_000 + jj.ravel() * SPACING + rng.uniform(-400, 400, ii.size)
    ids = np.arange(ii.size)
    graph = nx.MultiDiGraph(crs=CRS)
    graph.add_nodes_from((int(n), {"x": float(x[n]), "y": float(y[n])}) for n in ids)
    grid = ids.reshape(SIDE, SIDE)
    pairs = np.concatenate(
        [
            np.column_stack([grid[:-1, :].ravel(), grid[1:, :].ravel()]),
            np.column_stack([grid[:, :-1].ravel(), grid[:, 1:].ravel()]),
        ]
    )
    lines = shapely.linestrings(
        np.stack(
            [
                np.column_stack([x[pairs[:, 0]], y[pairs[:, 0]]]),
                np.column_stack([x[pairs[:, 1]], y[pairs[:, 1]]]),
            ],
            axis=1,
        )
    )
    lengths = shapely.length(lines)
    rev = shapely.reverse(lines)
    graph.add_edges_from(
        (int(u), int(v), {"length": float(w), "geometry": g, "highway": "primary"})
        for (u, v), w, g in zip(pairs, lengths, lines, strict=True)
    )
    graph.add_edges_from(
        (int(v), int(u), {"length": float(w), "geometry": g, "highway": "primary"})
        for (u, v), w, g in zip(pairs, lengths, rev, strict=True)
    )
    return graph


def towns_and_events(
    graph: nx.MultiDiGraph, n_events: int, seed: int = 1
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    to_ll = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    town_nodes = np.sort(rng.choice(graph.number_of_nodes(), N_TOWNS, replace=False))
    tx, ty = to_ll.transform(
        [graph.nodes[int(n)]["x"] for n in town_nodes],
        [graph.nodes[int(n)]["y"] for n in town_nodes],
    )
    towns = gpd.GeoDataFrame(
        {"name": [f"town{n}" for n in town_nodes]}, geometry=gpd.points_from_xy(tx, ty), crs=4326
    )
    ex = rng.uniform(300_000, 300_000 + (SIDE - 1) * SPACING, n_events)
    ey = rng.uniform(1_450_000, 1_450_000 + (SIDE - 1) * SPACING, n_events)
    lon, lat = to_ll.transform(ex, ey)
    events = gpd.GeoDataFrame(
        {"event_id": np.char.add("e", np.arange(n_events).astype(str))},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    return towns, events, town_nodes


def naive(
    graph: nx.MultiDiGraph, snapped: gpd.GeoDataFrame, town_nodes: np.ndarray, sample: np.ndarray
) -> tuple[np.ndarray, float]:
    und = nx.Graph()
    for u, v, d in graph.edges(data=True):
        und.add_edge(u, v, length=d["length"])
    towns = [int(t) for t in town_nodes]
    out = np.empty(len(sample))
    t0 = time.perf_counter()
    for i, row in enumerate(snapped.iloc[sample].itertuples()):
        da = nx.single_source_dijkstra_path_length(und, int(row.u), weight="length")
        db = nx.single_source_dijkstra_path_length(und, int(row.v), weight="length")
        length = und[int(row.u)][int(row.v)]["length"]
        along = row.along_km * 1000
        out[i] = min(
            min(along + da.get(t, np.inf), length - along + db.get(t, np.inf)) for t in towns
        )
    return out / 1000, (time.perf_counter() - t0) / len(sample)


def run_size(n_events: int) -> dict[str, float]:
    t0 = time.perf_counter()
    graph = build_graph()
    t_graph = time.perf_counter() - t0
    towns, events, town_nodes = towns_and_events(graph, n_events)
    t0 = time.perf_counter()
    net = sg.RoadNetwork.from_graph(graph)
    t_net = time.perf_counter() - t0

    t0 = time.perf_counter()
    out = sg.road_distances(events, towns, net)
    t_ours = time.perf_counter() - t0

    t0 = time.perf_counter()
    snapped = sg.snap_to_roads(events, net)
    t_snap = time.perf_counter() - t0
    x, y = Transformer.from_crs(4326, CRS, always_xy=True).transform(
        events.geometry.x.to_numpy(), events.geometry.y.to_numpy()
    )
    t0 = time.perf_counter()
    ox.distance.nearest_edges(graph, x, y)
    t_ox_snap = time.perf_counter() - t0

    _, _, t_snap_towns = nw.snap_targets(towns, net, name_col="name", what="towns")
    t0 = time.perf_counter()
    nw.distance_field(net, t_snap_towns)
    t_dijkstra = time.perf_counter() - t0

    sample = np.random.default_rng(2).choice(n_events, NAIVE_SAMPLE, replace=False)
    ref, per_event = naive(graph, snapped, town_nodes, sample)
    err = float(np.max(np.abs(ref - out["road_km"].to_numpy()[sample])))
    return {
        "n_events": n_events,
        "n_edges": net.n_segments,
        "n_nodes": net.n_nodes,
        "graph_build_s": t_graph,
        "road_network_arrays_s": t_net,
        "road_distances_s": t_ours,
        "snap_s": t_snap,
        "dijkstra_s": t_dijkstra,
        "osmnx_nearest_edges_s": t_ox_snap,
        "naive_per_event_s": per_event,
        "naive_extrapolated_s": per_event * n_events,
        "speedup_vs_naive": per_event * n_events / t_ours,
        "max_abs_diff_km_vs_naive": err,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(run_size(args.child)))
        return
    for n in args.sizes:
        res = subprocess.run(
            [sys.executable, __file__, "--child", str(n)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(res.stdout.strip().splitlines()[-1])
        print(
            f"{r['n_events']:>9,} events | network {r['n_edges']:,} edges, {r['n_nodes']:,} nodes, "
            f"{N_TOWNS} towns\n"
            f"  road_distances (snap + Dijkstra + geodesic): {r['road_distances_s']:.2f} s "
            f"({r['road_distances_s'] / r['n_events'] * 1e6:.1f} us/event); "
            f"RoadNetwork.from_graph {r['road_network_arrays_s']:.2f} s\n"
            f"  snapping alone: ours {r['snap_s']:.2f} s vs osmnx.nearest_edges "
            f"{r['osmnx_nearest_edges_s']:.2f} s "
            f"(osmnx / ours = {r['osmnx_nearest_edges_s'] / r['snap_s']:.2f}); "
            f"multi-source Dijkstra alone {r['dijkstra_s']:.2f} s\n"
            f"  naive networkx loop: {r['naive_per_event_s'] * 1e3:.0f} ms/event on {NAIVE_SAMPLE} "
            f"events -> {r['naive_extrapolated_s'] / 3600:.1f} h extrapolated; speed-up "
            f"{r['speedup_vs_naive']:,.0f}x; max |diff| {r['max_abs_diff_km_vs_naive']:.2e} km\n"
            f"  peak RSS {r['peak_rss_mb']:,.0f} MB (whole child process, graph included)"
        )


if __name__ == "__main__":
    main()
