"""Road networks (io/osm.py) and distances along roads (network.py).

No test touches the network: the online path runs against a monkeypatched Overpass
request function that answers with the JSON osmnx itself makes from the shipped sketch.
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest
import requests
import shapely
from pyproj import Geod, Transformer

import sahel_geo as sg
from sahel_geo.analysis import roads as nw
from sahel_geo.io import osm

ROOT = Path(__file__).resolve().parents[2]
SKETCH = osm.tri_border_roads_path()
UTM31 = "EPSG:32631"
TO_LL = Transformer.from_crs(UTM31, "EPSG:4326", always_xy=True)

# --------------------------------------------------------------------------------------------
# A tiny hand-built graph in UTM 31N (metres), lengths equal to the planar lengths:
#
#   C (510000, 1510000)
#   |
#   A ---- B ------------ D          E -- F   (a second, unreachable component)
#   0     10 km          30 km       100  105 km    (y = 1500000)
# --------------------------------------------------------------------------------------------
NODES = {
    1: (500_000.0, 1_500_000.0),  # A
    2: (510_000.0, 1_500_000.0),  # B
    3: (510_000.0, 1_510_000.0),  # C
    4: (530_000.0, 1_500_000.0),  # D
    5: (600_000.0, 1_500_000.0),  # E
    6: (605_000.0, 1_500_000.0),  # F
}
EDGES = [(1, 2, "AB"), (2, 3, "BC"), (2, 4, "BD"), (5, 6, "EF")]


def hand_graph() -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(crs=UTM31)
    for n, (x, y) in NODES.items():
        graph.add_node(n, x=x, y=y)
    for u, v, name in EDGES:
        line = shapely.LineString([NODES[u], NODES[v]])
        ref = "R1" if name in ("AB", "BD") else None
        for a, b, geom in ((u, v, line), (v, u, shapely.reverse(line))):
            graph.add_edge(
                a, b, length=line.length, geometry=geom, name=name, ref=ref, highway="primary"
            )
    return graph


def utm_points(xy: list[tuple[float, float]], **cols: list[object]) -> gpd.GeoDataFrame:
    x, y = TO_LL.transform([p[0] for p in xy], [p[1] for p in xy])
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")


@pytest.fixture(scope="module")
def sketch_graph() -> nx.MultiDiGraph:
    return sg.road_network(osm_file=SKETCH)


@pytest.fixture(scope="module")
def places() -> gpd.GeoDataFrame:
    return sg.osm_places(osm_file=SKETCH)


# --- exact distances on the hand-built graph ------------------------------------------------


def test_road_distances_exact_on_hand_graph() -> None:
    towns = utm_points([NODES[1], NODES[4]], name=["A-town", "D-town"])
    events = utm_points(
        [(505_000, 1_500_000), (510_000, 1_508_000), (522_000, 1_500_300), (602_000, 1_500_000)],
        event_id=["e1", "e2", "e3", "e4"],
    )
    before = events.copy()
    out = sg.road_distances(events, towns, hand_graph(), off_road_km=0.2)
    pd.testing.assert_frame_equal(events, before)  # input untouched
    assert out.index.equals(events.index)
    np.testing.assert_allclose(out["road_km"].to_numpy()[:3], [5.0, 18.0, 8.0], atol=1e-6)
    assert np.isnan(out["road_km"].iloc[3])
    assert out["road_target"].tolist()[:3] == ["A-town", "A-town", "D-town"]
    assert pd.isna(out["road_target"].iloc[3])
    # e3 is 300 m (UTM) off road B-D; UTM scale is 0.9996 at the central meridian.
    np.testing.assert_allclose(out["snap_km"].to_numpy(), [0, 0, 0.3 / 0.9996, 0], atol=2e-5)
    assert out["off_road"].tolist() == [False, False, True, False]
    # Straight line: geodesic to the same target.
    geod = Geod(ellps="WGS84")
    ev = out.geometry
    _, _, d = geod.inv(ev.x.iloc[1], ev.y.iloc[1], towns.geometry.x[0], towns.geometry.y[0])
    assert out["straight_km"].iloc[1] == pytest.approx(d / 1000, rel=1e-12)
    assert out["nearest_straight_target"].tolist() == ["A-town", "A-town", "D-town", "D-town"]


def test_target_on_the_same_segment_goes_straight_along_it() -> None:
    # A town 5 km east of B on B-D: an event 2 km east of B is 3 km away along B-D,
    # not 2 + 5 = 7 km through B.
    towns = utm_points([(515_000, 1_500_000)], name=["mid"])
    events = utm_points([(512_000, 1_500_000), (518_000, 1_500_000), (500_000, 1_500_000)])
    out = sg.road_distances(events, towns, hand_graph())
    np.testing.assert_allclose(out["road_km"], [3.0, 3.0, 15.0], atol=1e-6)


def test_snap_to_roads_exact() -> None:
    events = utm_points([(505_000, 1_500_400), (509_000, 1_504_000)])
    snapped = sg.snap_to_roads(events, hand_graph())
    assert snapped.crs == "EPSG:4326"
    assert snapped[["u", "v"]].values.tolist() == [[1, 2], [2, 3]]
    np.testing.assert_allclose(snapped["along_km"], [5.0, 4.0], atol=1e-6)
    np.testing.assert_allclose(snapped["snap_km"], [0.4 / 0.9996, 1.0 / 0.9996], rtol=1e-4)
    x, y = Transformer.from_crs("EPSG:4326", UTM31, always_xy=True).transform(
        snapped.geometry.x, snapped.geometry.y
    )
    np.testing.assert_allclose(x, [505_000, 510_000], atol=1e-6)
    np.testing.assert_allclose(y, [1_500_000, 1_504_000], atol=1e-6)


def test_borderlands_exact_on_hand_graph() -> None:
    crossing = utm_points([NODES[1]], name=["X"])
    boxes = [
        (509_000, 1_505_000, 511_000, 1_511_000),  # upper half of B-C: 10 + 5 km
        (529_000, 1_499_000, 531_000, 1_501_000),  # around D: 10 + 19 km
        (499_000, 1_499_000, 501_000, 1_501_000),  # holds the crossing: 0
        (700_000, 1_600_000, 710_000, 1_610_000),  # no road
        (599_000, 1_499_000, 601_000, 1_501_000),  # road, but not connected
    ]
    polys = [shapely.box(*b) for b in boxes]
    units = gpd.GeoDataFrame({"pcode": list("abcde")}, geometry=polys, crs=UTM31).to_crs(4326)
    out = sg.borderlands_by_road(units, crossing, hand_graph(), within_km=20)
    np.testing.assert_allclose(
        out["road_km_to_crossing"].to_numpy()[:3], [15.0, 29.0, 0.0], atol=1e-3
    )
    assert np.isnan(out["road_km_to_crossing"].iloc[3])
    assert np.isnan(out["road_km_to_crossing"].iloc[4])
    assert out["has_road"].tolist() == [True, True, True, False, True]
    assert out["borderland"].tolist() == [True, False, True, False, False]
    assert out["nearest_crossing"].tolist()[:3] == ["X", "X", "X"]
    assert out["nearest_crossing"].iloc[3:].isna().all()


def test_corridor_exposure_counts_and_layer() -> None:
    graph = hand_graph()
    segs = sg.road_segments(graph)
    assert segs["name"].tolist() == ["AB", "BC", "BD", "EF"]
    np.testing.assert_allclose(segs["length_km"], [10, 10, 20, 5])
    events = utm_points(
        [(505_000, 1_500_500), (510_500, 1_505_000), (520_000, 1_502_000), (509_500, 1_500_400)],
        event_date=pd.to_datetime(["2019-05-01", "2019-06-01", "2020-02-01", "2020-03-01"]),
        fatalities=[1, 2, 4, 8],
    )
    t = sg.corridor_exposure(events, segs, within_km=1.0, corridor_id="name")
    assert t.columns.tolist() == ["name", "period", "n_events", "fatalities"]
    assert len(t) == 4 * 2  # every corridor x every period, zeros included
    got = t.set_index(["name", "period"])
    y19, y20 = pd.Timestamp("2019-01-01"), pd.Timestamp("2020-01-01")
    # Event 4 is 400 m from A-B and from B-C: it counts for both.
    assert got.loc[("AB", y19), "n_events"] == 1
    assert got.loc[("AB", y20), "n_events"] == 1
    assert got.loc[("BC", y19), "n_events"] == 1
    assert got.loc[("BC", y20), "n_events"] == 1
    # Event 3 is 2 km from B-D (not counted); event 4 is 640 m from B (counted).
    assert got.loc[("BD", y20), "n_events"] == 1
    assert got.loc[("BD", y20), "fatalities"] == 8
    assert got.loc[("EF", y20), "n_events"] == 0
    assert got.loc[("BC", y20), "fatalities"] == 8
    corr = sg.road_corridors(graph, by="ref")
    assert corr["corridor"].tolist() == ["R1"]
    assert corr["length_km"].iloc[0] == pytest.approx(30.0)
    t2 = sg.corridor_exposure(events, corr, within_km=2.5)
    assert t2["n_events"].tolist() == [1, 2]
    layer = sg.corridor_layer(t2, corr)
    assert layer.crs == "EPSG:4326"
    assert layer.columns.tolist() == [
        "corridor",
        "n_events",
        "fatalities",
        "n_2019-01-01",
        "n_2020-01-01",
        "geometry",
    ]
    assert layer.iloc[0][["n_events", "fatalities"]].tolist() == [3, 13]


def test_corridor_exposure_geodesic_threshold() -> None:
    # 1.0 km in UTM is 1.0004 km on the ellipsoid at the central meridian.
    segs = sg.road_segments(hand_graph())
    ev = utm_points([(505_000, 1_501_000)], event_date=pd.to_datetime(["2020-01-01"]))
    t = sg.corridor_exposure(ev, segs, within_km=1.0, corridor_id="name", fatalities_col=None)
    assert t["n_events"].sum() == 0
    t = sg.corridor_exposure(ev, segs, within_km=1.001, corridor_id="name", fatalities_col=None)
    assert t.set_index("name").loc["AB", "n_events"] == 1


def test_corridor_exposure_period_words_and_deprecated_pandas_codes() -> None:
    graph = hand_graph()
    segs = sg.road_segments(graph)
    events = utm_points(
        [(505_000, 1_500_500), (510_500, 1_505_000), (509_500, 1_500_400)],
        event_date=pd.to_datetime(["2019-05-01", "2019-06-20", "2019-11-01"]),
        fatalities=[1, 2, 8],
    )
    default = sg.corridor_exposure(events, segs, within_km=1.0, corridor_id="name")
    yearly = sg.corridor_exposure(events, segs, within_km=1.0, corridor_id="name", freq="year")
    pd.testing.assert_frame_equal(default, yearly)
    assert yearly["period"].unique().tolist() == [pd.Timestamp("2019-01-01")]
    for word, code in (("year", "YS"), ("quarter", "QS"), ("month", "MS"), ("week", "W")):
        new = sg.corridor_exposure(events, segs, within_km=1.0, corridor_id="name", freq=word)
        with pytest.warns(FutureWarning, match=r"removed in sahel_geo 0\.3\.0.*" + word):
            old = sg.corridor_exposure(events, segs, within_km=1.0, corridor_id="name", freq=code)
        pd.testing.assert_frame_equal(new, old)
    quarterly = sg.corridor_exposure(
        events, segs, within_km=1.0, corridor_id="name", freq="quarter"
    )
    assert sorted(quarterly["period"].unique()) == [
        pd.Timestamp("2019-04-01"),
        pd.Timestamp("2019-07-01"),
        pd.Timestamp("2019-10-01"),
    ]
    with pytest.raises(sg.SchemaError, match="freq must be one of"):
        sg.corridor_exposure(events, segs, within_km=1.0, corridor_id="name", freq="decade")


# --- differential tests against networkx and osmnx ---------------------------------------


def test_road_km_matches_networkx_multi_source_dijkstra(sketch_graph: nx.MultiDiGraph) -> None:
    nodes = sorted(sketch_graph.nodes)
    sources, others = nodes[:3], nodes[3:]
    ll = ox.projection.project_graph(sketch_graph, to_latlong=True)

    def at(ns: list[int]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {"name": [str(n) for n in ns]},
            geometry=gpd.points_from_xy(
                [ll.nodes[n]["x"] for n in ns], [ll.nodes[n]["y"] for n in ns]
            ),
            crs=4326,
        )

    out = sg.road_distances(at(others), at(sources), sketch_graph)
    und = nx.Graph()
    for u, v, d in sketch_graph.edges(data=True):
        if not und.has_edge(u, v) or und[u][v]["length"] > d["length"]:
            und.add_edge(u, v, length=d["length"])
    expected = nx.multi_source_dijkstra_path_length(und, set(sources), weight="length")
    np.testing.assert_allclose(out["road_km"], [expected[n] / 1000 for n in others], rtol=1e-9)


def test_snapping_matches_osmnx_nearest_edges(sketch_graph: nx.MultiDiGraph) -> None:
    rng = np.random.default_rng(6)
    lon, lat = rng.uniform(-4, 2.4, 300), rng.uniform(12, 16.2, 300)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    ours = sg.snap_to_roads(pts, sketch_graph)
    x, y = Transformer.from_crs(4326, sketch_graph.graph["crs"], always_xy=True).transform(lon, lat)
    theirs = ox.distance.nearest_edges(sketch_graph, x, y)
    pts_xy = shapely.points(x, y)
    their_d = [
        sketch_graph.edges[e]["geometry"].distance(p) for e, p in zip(theirs, pts_xy, strict=True)
    ]
    net = sg.RoadNetwork.from_graph(sketch_graph)
    our_d = shapely.distance(net.seg_geom[ours["segment_id"].to_numpy()], pts_xy)
    # Same distance (ties at junctions may pick another segment through the same node).
    np.testing.assert_allclose(our_d, their_d, atol=1e-6)
    same = [
        tuple(sorted(e[:2])) == tuple(sorted(p))
        for e, p in zip(theirs, ours[["u", "v"]].itertuples(index=False), strict=True)
    ]
    assert np.mean(same) > 0.9


# --- the shipped sketch and the XML twin ------------------------------------------------------


def test_sketch_loads_through_osmnx_graph_from_xml() -> None:
    graph = ox.graph_from_xml(SKETCH)
    assert graph.number_of_nodes() > 5
    assert graph.number_of_edges() > 10
    text = SKETCH.read_text(encoding="utf-8")
    assert "NOT OPENSTREETMAP DATA" in text
    assert "CC0" in text


def test_sketch_is_regenerated_byte_identical() -> None:
    spec = importlib.util.spec_from_file_location(
        "build_roads_sketch", ROOT / "scripts" / "build_roads_sketch.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == SKETCH.read_text(encoding="utf-8")


def test_road_network_from_sketch(sketch_graph: nx.MultiDiGraph) -> None:
    graph = sketch_graph
    assert graph.graph["crs"] == "EPSG:32630"  # UTM 30N, the zone of the area's centre
    assert nx.is_weakly_connected(graph)
    segs = sg.road_segments(graph)
    assert segs["name"].nunique() == 12
    assert (segs["name"].str.contains(";") == False).all()  # noqa: E712 - corridors stay whole
    # Geodesic lengths, within 0.5 % of osmnx's great-circle ones.
    raw = ox.graph_from_xml(SKETCH, simplify=True)
    total_gc = sum(d["length"] for _, _, d in raw.edges(data=True)) / 2  # two-way
    assert segs["length_km"].sum() * 1000 == pytest.approx(total_gc, rel=5e-3)


def test_places_from_sketch(places: gpd.GeoDataFrame) -> None:
    towns = {
        "Mopti",
        "Gao",
        "Ménaka",
        "Djibo",
        "Dori",
        "Gorom-Gorom",
        "Ouagadougou",
        "Kaya",
        "Fada N'Gourma",
        "Niamey",
        "Tillabéri",
        "Ouallam",
        "Téra",
        "Ayorou",
    }
    assert set(places.loc[places["kind"].isin(["city", "town"]), "name"]) == towns
    assert (places["kind"] == "border_crossing").sum() == 5
    assert places.crs == "EPSG:4326"
    assert places.columns.tolist() == ["name", "kind", "osm_id", "geometry"]


def test_road_network_area_cut_and_bbox_order(places: gpd.GeoDataFrame) -> None:
    graph = sg.road_network((-2.0, 13.5, 1.0, 15.0), osm_file=SKETCH)
    full = sg.road_network(osm_file=SKETCH)
    assert 0 < graph.number_of_edges() < full.number_of_edges()
    with pytest.raises(sg.EmptyResultError, match=r"axis order \(minx, miny, maxx, maxy\)"):
        sg.road_network((13.5, -2.0, 15.0, 1.0), osm_file=SKETCH)  # lat/lon swapped
    with pytest.raises(sg.ConfigError, match=r"miny < maxy <= 90"):
        sg.road_network((-2.0, 13.5, 1.0, 95.0), osm_file=SKETCH)
    with pytest.raises(sg.ConfigError, match="minx < maxx"):
        sg.road_network((1.0, 13.5, -2.0, 15.0), osm_file=SKETCH)


def test_road_network_area_as_geodataframe() -> None:
    area = gpd.GeoDataFrame(geometry=[shapely.box(-2.0, 13.5, 1.0, 15.0)], crs=4326).to_crs(3857)
    graph = sg.road_network(area, osm_file=SKETCH)
    assert (
        graph.number_of_edges()
        == sg.road_network((-2.0, 13.5, 1.0, 15.0), osm_file=SKETCH).number_of_edges()
    )
    with pytest.raises(sg.MissingCRSError, match="set_crs"):
        sg.road_network(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)]), osm_file=SKETCH)


# --- bad inputs ---------------------------------------------------------------------------


def test_malformed_xml(tmp_path: Path) -> None:
    bad = tmp_path / "cut.osm"
    bad.write_text(SKETCH.read_text(encoding="utf-8")[:5000], encoding="utf-8")
    with pytest.raises(sg.InputFileError, match=r"cut\.osm.*not well-formed"):
        sg.road_network(osm_file=bad)
    with pytest.raises(sg.InputFileError, match="not found"):
        sg.road_network(osm_file=tmp_path / "missing.osm")
    empty = tmp_path / "empty.osm"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(sg.InputFileError, match="empty"):
        sg.road_network(osm_file=empty)


def _osm(body: str) -> str:
    head = "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6' generator='test'>\n"
    return f"{head}{body}</osm>\n"


def test_empty_graph_and_no_drivable_roads(tmp_path: Path) -> None:
    nodes_only = tmp_path / "nodes.osm"
    nodes_only.write_text(_osm("<node id='-1' lat='14' lon='0'/>\n"), encoding="utf-8")
    with pytest.raises(sg.EmptyResultError, match="no drivable road"):
        sg.road_network(osm_file=nodes_only)
    nothing = tmp_path / "nothing.osm"
    nothing.write_text(_osm(""), encoding="utf-8")
    with pytest.raises(sg.EmptyResultError, match=r"nothing\.osm"):
        sg.road_network(osm_file=nothing)
    paths = tmp_path / "paths.osm"
    paths.write_text(
        _osm(
            "<node id='-1' lat='14' lon='0'/><node id='-2' lat='14.1' lon='0'/>"
            "<node id='-3' lat='14.2' lon='0'/>"
            "<way id='-1'><nd ref='-1'/><nd ref='-2'/><tag k='highway' v='footway'/></way>"
            "<way id='-2'><nd ref='-2'/><nd ref='-3'/><tag k='highway' v='track'/></way>\n"
        ),
        encoding="utf-8",
    )
    with pytest.raises(sg.EmptyResultError, match="include_tracks=True"):
        sg.road_network(osm_file=paths)
    graph = sg.road_network(osm_file=paths, include_tracks=True)
    assert graph.number_of_edges() == 2  # the track, both ways; the footway is dropped
    assert {d["highway"] for _, _, d in graph.edges(data=True)} == {"track"}


def test_polygon_with_no_roads() -> None:
    with pytest.raises(sg.EmptyResultError, match="no road inside the area"):
        sg.road_network((10.0, 20.0, 11.0, 21.0), osm_file=SKETCH)


def test_bad_point_inputs(sketch_graph: nx.MultiDiGraph, places: gpd.GeoDataFrame) -> None:
    ev = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.0], [14.0]), crs=4326)
    with pytest.raises(sg.CRSMismatchError, match=r"EPSG:3857.*EPSG:4326.*to_crs"):
        sg.road_distances(ev.to_crs(3857), places, sketch_graph)
    with pytest.raises(sg.MissingCRSError):
        sg.road_distances(gpd.GeoDataFrame(geometry=[shapely.Point(0, 14)]), places, sketch_graph)
    mixed = gpd.GeoDataFrame(
        geometry=[shapely.Point(0, 14), shapely.box(0, 14, 1, 15), None], crs=4326
    )
    with pytest.raises(
        sg.SchemaError, match=r"2 rows are not non-empty points \(row positions 1, 2\)"
    ):
        sg.snap_to_roads(mixed, sketch_graph)
    with pytest.raises(sg.SchemaError, match="no column 'town'"):
        sg.road_distances(ev, places, sketch_graph, target_name="town")
    unprojected = ox.projection.project_graph(sketch_graph, to_latlong=True)
    with pytest.raises(sg.CRSError, match="project_graph"):
        sg.snap_to_roads(ev, unprojected)


def test_far_target_warns(sketch_graph: nx.MultiDiGraph) -> None:
    far = gpd.GeoDataFrame(
        {"name": ["Timbuktu"]}, geometry=gpd.points_from_xy([-3.0], [16.77]), crs=4326
    )
    ev = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.0], [14.0]), crs=4326)
    with pytest.warns(nw.OffNetworkWarning, match="Timbuktu"):
        out = sg.road_distances(ev, far, sketch_graph)
    assert out["road_target"].iloc[0] == "Timbuktu"


def test_road_distances_deterministic(
    sketch_graph: nx.MultiDiGraph, places: gpd.GeoDataFrame
) -> None:
    rng = np.random.default_rng(3)
    ev = gpd.GeoDataFrame(
        {"event_id": [f"e{i}" for i in range(500)]},
        geometry=gpd.points_from_xy(rng.uniform(-4, 2.4, 500), rng.uniform(12, 16.2, 500)),
        crs=4326,
    )
    net = sg.RoadNetwork.from_graph(sketch_graph)
    a = sg.road_distances(ev, places, net)
    b = sg.road_distances(ev, places, sketch_graph)
    pd.testing.assert_frame_equal(a, b)
    # Road distance is never shorter than the straight line between the road points.
    assert (a["road_km"] + a["snap_km"] + 1e-6 >= a["straight_km"]).all()


# --- the online twin, with Overpass monkeypatched ----------------------------------------------


@pytest.fixture
def fake_overpass(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Answer Overpass queries with the osmnx JSON of the sketch; record each call."""
    recorded = ox._osm_xml._overpass_json_from_xml(SKETCH, "utf-8")
    calls: list[dict[str, object]] = []

    def fake(data: dict[str, str]) -> dict[str, object]:
        calls.append(
            {
                "query": data["data"],
                "use_cache": ox.settings.use_cache,
                "cache_folder": str(ox.settings.cache_folder),
                "url": ox.settings.overpass_url,
            }
        )
        return copy.deepcopy(recorded)  # osmnx consumes the elements it parses

    monkeypatch.setattr(ox._overpass, "_overpass_request", fake)
    return calls


def test_online_twin_goes_through_the_same_builder(
    fake_overpass: list[dict[str, object]], tmp_path: Path
) -> None:
    bbox = (-0.6, 13.5, 0.6, 14.5)
    saved = (ox.settings.use_cache, ox.settings.cache_folder, ox.settings.overpass_url)
    with sg.set_options(cache_folder=str(tmp_path)):
        online = sg.road_network(bbox, overpass_url="https://overpass.example/api")
    offline = sg.road_network(bbox, osm_file=SKETCH)
    assert fake_overpass, "the online path must call Overpass (here: the fake)"
    call = fake_overpass[0]
    assert call["use_cache"] is True
    assert call["cache_folder"] == str(tmp_path / "osmnx")
    assert call["url"] == "https://overpass.example/api"
    assert '["highway"!~"^(abandoned|' in str(call["query"])
    assert "track" in str(call["query"])
    assert (ox.settings.use_cache, ox.settings.cache_folder, ox.settings.overpass_url) == saved
    assert online.number_of_nodes() == offline.number_of_nodes()
    assert online.number_of_edges() == offline.number_of_edges()
    a, b = sg.road_segments(online), sg.road_segments(offline)
    np.testing.assert_allclose(a["length_km"], b["length_km"], rtol=1e-12)


def test_online_without_cache_and_places(fake_overpass: list[dict[str, object]]) -> None:
    places = sg.osm_places((0.0, 13.5, 1.0, 14.5))
    assert fake_overpass[0]["use_cache"] is False
    assert places[["name", "kind"]].values.tolist() == [
        ["BFA-NER crossing (Dori-Téra road)", "border_crossing"],
        ["Téra", "town"],
    ]
    with pytest.raises(sg.ConfigError, match="needs an area"):
        sg.road_network()


def test_online_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(data: dict[str, str]) -> dict[str, object]:
        raise requests.ConnectionError("no route to host")

    monkeypatch.setattr(ox._overpass, "_overpass_request", down)
    with pytest.raises(sg.NetworkError, match="osm_file"):
        sg.road_network((0.0, 14.0, 1.0, 15.0))

    monkeypatch.setattr(ox._overpass, "_overpass_request", lambda data: {"elements": []})
    with pytest.raises(sg.EmptyResultError, match="Overpass returned nothing"):
        sg.road_network((0.0, 14.0, 1.0, 15.0))

    def refused(data: dict[str, str]) -> dict[str, object]:
        raise ox._errors.ResponseStatusCodeError("400 Bad Request: query rejected")

    monkeypatch.setattr(ox._overpass, "_overpass_request", refused)
    with pytest.raises(sg.NetworkError, match="400 Bad Request"):
        sg.osm_places((0.0, 14.0, 1.0, 15.0))


def test_empty_events_and_report(places: gpd.GeoDataFrame, sketch_graph: nx.MultiDiGraph) -> None:
    empty = gpd.GeoDataFrame({"event_id": []}, geometry=[], crs=4326)
    out = sg.road_distances(empty, places, sketch_graph)
    assert len(out) == 0
    assert {"road_km", "road_target", "snap_km", "off_road"} <= set(out.columns)
    ev = gpd.GeoDataFrame(
        {"location_level": ["point", "admin1"]},
        geometry=gpd.points_from_xy([0.0, 3.5], [14.0, 17.5]),
        crs=4326,
    )
    out = sg.road_distances(ev, places, sketch_graph)
    (report,) = sg.reports(out)
    assert report.step == "road_distances"
    assert report.n_in == report.n_kept == 2
    assert report.notes["off_road"] == 1
    assert report.notes["coarse_location"] == 1


def test_borderlands_unit_touching_a_road_at_one_point() -> None:
    crossing = utm_points([NODES[1]], name=["X"])
    # A box whose corner touches A-B at x = 505000: the road point there is 5 km away.
    touch = shapely.Polygon(
        [(505_000, 1_500_000), (506_000, 1_501_000), (505_000, 1_502_000), (504_000, 1_501_000)]
    )
    units = gpd.GeoDataFrame({"pcode": ["t"]}, geometry=[touch], crs=UTM31).to_crs(4326)
    out = sg.borderlands_by_road(units, crossing, hand_graph(), within_km=6)
    assert bool(out["has_road"].iloc[0])
    assert out["road_km_to_crossing"].iloc[0] == pytest.approx(5.0, abs=1e-3)


@pytest.mark.parametrize(
    "module",
    [
        "sahel_geo.analysis.roads",
        "sahel_geo.analysis.road_corridors",
        "sahel_geo.analysis.road_borders",
        "sahel_geo.io.osm",
    ],
)
def test_docstring_examples(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_fast_snapping_equals_exact_strtree_search(sketch_graph: nx.MultiDiGraph) -> None:
    # The KD-tree path and its STRtree fallback must give the nearest road, near or far.
    net = sg.RoadNetwork.from_graph(sketch_graph)
    rng = np.random.default_rng(11)
    lon = np.concatenate([rng.uniform(-4.5, 2.8, 3000), rng.uniform(-8, 8, 200)])
    lat = np.concatenate([rng.uniform(11.8, 16.5, 3000), rng.uniform(8, 20, 200)])
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    snapped = sg.snap_to_roads(pts, net)
    x, y = Transformer.from_crs(4326, net.crs, always_xy=True).transform(lon, lat)
    xy = shapely.points(x, y)
    exact = shapely.distance(net.seg_geom[net.tree.query_nearest(xy, all_matches=False)[1]], xy)
    ours = shapely.distance(net.seg_geom[snapped["segment_id"].to_numpy()], xy)
    np.testing.assert_allclose(ours, exact, rtol=1e-9, atol=1e-6)
    # The road point is on its segment, at the reported position along it.
    rx, ry = Transformer.from_crs(4326, net.crs, always_xy=True).transform(
        snapped.geometry.x.to_numpy(), snapped.geometry.y.to_numpy()
    )
    np.testing.assert_allclose(shapely.distance(xy, shapely.points(rx, ry)), exact, atol=1e-3)
    seg = snapped["segment_id"].to_numpy()
    frac = shapely.line_locate_point(net.seg_geom[seg], shapely.points(rx, ry), normalized=True)
    np.testing.assert_allclose(
        snapped["along_km"].to_numpy(), frac * net.seg_length_m[seg] / 1000, atol=1e-5
    )


def test_fast_snapping_on_a_dense_grid() -> None:
    # Many short segments around each point: exercises the k-nearest-samples path.
    graph = nx.MultiDiGraph(crs=UTM31)
    side = 30
    for i in range(side):
        for j in range(side):
            graph.add_node(
                i * side + j, x=500_000 + i * 700.0 + (j % 3) * 90, y=1_500_000 + j * 650.0
            )
    for i in range(side):
        for j in range(side):
            for a, b in ((i * side + j, (i + 1) * side + j), (i * side + j, i * side + j + 1)):
                if b < side * side and not (b == i * side + j + 1 and j == side - 1):
                    pa = (graph.nodes[a]["x"], graph.nodes[a]["y"])
                    pb = (graph.nodes[b]["x"], graph.nodes[b]["y"])
                    line = shapely.LineString([pa, pb])
                    graph.add_edge(a, b, length=line.length, geometry=line)
    net = sg.RoadNetwork.from_graph(graph)
    rng = np.random.default_rng(5)
    x = rng.uniform(499_000, 522_000, 5000)
    y = rng.uniform(1_499_000, 1_520_000, 5000)
    lon, lat = TO_LL.transform(x, y)
    snapped = sg.snap_to_roads(
        gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326), net
    )
    xy = shapely.points(x, y)
    exact = shapely.distance(net.seg_geom[net.tree.query_nearest(xy, all_matches=False)[1]], xy)
    ours = shapely.distance(net.seg_geom[snapped["segment_id"].to_numpy()], xy)
    np.testing.assert_allclose(ours, exact, rtol=1e-9, atol=1e-6)


def test_corridor_layer_writes_deterministic_geojson(
    sketch_graph: nx.MultiDiGraph, tmp_path: Path
) -> None:
    import json

    corr = sg.road_corridors(sketch_graph, by="name")
    rng = np.random.default_rng(8)
    ev = gpd.GeoDataFrame(
        {
            "event_date": pd.to_datetime("2019-01-01")
            + pd.to_timedelta(rng.integers(0, 1000, 300), unit="D"),
            "fatalities": rng.integers(0, 5, 300),
        },
        geometry=gpd.points_from_xy(rng.uniform(-4, 2.4, 300), rng.uniform(12, 16.2, 300)),
        crs=4326,
    )
    layer = sg.corridor_layer(sg.corridor_exposure(ev, corr, within_km=10), corr)
    assert len(layer) == 12
    a = sg.write_geojson(layer, tmp_path / "a.geojson").read_bytes()
    layer2 = sg.corridor_layer(sg.corridor_exposure(ev, corr, within_km=10), corr)
    b = sg.write_geojson(layer2, tmp_path / "b.geojson").read_bytes()
    assert a == b
    doc = json.loads(a)
    assert doc["features"][0]["geometry"]["type"] in ("LineString", "MultiLineString")
    assert {"corridor", "n_events", "fatalities", "n_2019-01-01"} <= set(
        doc["features"][0]["properties"]
    )


def test_corridor_exposure_far_from_the_utm_central_meridian() -> None:
    # A corridor from Mauritania to Chad (28 degrees of longitude): UTM scale error is
    # several per cent at its ends, the geodesic check must still be exact.
    lons = np.round(np.arange(-12.0, 16.0001, 0.1), 6)
    line = shapely.LineString(np.column_stack([lons, np.full(len(lons), 14.0)]))
    corr = gpd.GeoDataFrame({"corridor": ["wide"]}, geometry=[line], crs=4326)
    geod = Geod(ellps="WGS84")
    lon_in, lat_in, _ = geod.fwd(15.05, 14.0, 0.0, 9_900.0)
    lon_out, lat_out, _ = geod.fwd(15.05, 14.0, 0.0, 10_100.0)
    lon_w, lat_w, _ = geod.fwd(-11.55, 14.0, 180.0, 9_900.0)
    ev = gpd.GeoDataFrame(
        {"event_date": pd.to_datetime(["2020-01-01"] * 3)},
        geometry=gpd.points_from_xy([lon_in, lon_out, lon_w], [lat_in, lat_out, lat_w]),
        crs=4326,
    )
    t = sg.corridor_exposure(ev, corr, within_km=10.0, fatalities_col=None)
    assert t["n_events"].tolist() == [2]


def test_bad_graphs() -> None:
    no_crs = hand_graph()
    del no_crs.graph["crs"]
    with pytest.raises(sg.MissingCRSError, match=r"graph\.graph"):
        sg.RoadNetwork.from_graph(no_crs)
    no_length = hand_graph()
    del no_length.edges[1, 2, 0]["length"]
    with pytest.raises(sg.SchemaError, match="add_edge_lengths"):
        sg.RoadNetwork.from_graph(no_length)
    empty = nx.MultiDiGraph(crs=UTM31)
    empty.add_node(1, x=0.0, y=0.0)
    with pytest.raises(sg.EmptyResultError, match="no edges"):
        sg.RoadNetwork.from_graph(empty)


def test_parallel_roads_route_on_the_shorter() -> None:
    # Two roads between A and B: the straight one (10 km) and a detour (14 km).
    graph = hand_graph()
    detour = shapely.LineString([NODES[1], (505_000, 1_504_898.98), NODES[2]])
    for a, b, geom in ((1, 2, detour), (2, 1, shapely.reverse(detour))):
        graph.add_edge(a, b, length=detour.length, geometry=geom, name="detour")
    net = sg.RoadNetwork.from_graph(graph)
    assert net.n_segments == 5
    towns = utm_points([NODES[1]], name=["A"])
    ev = utm_points([(510_000, 1_505_000), (505_000, 1_504_898.98)])
    out = sg.road_distances(ev, towns, net)
    # Via B on the straight road (5 + 10 km); on the detour itself, along it (7 km).
    np.testing.assert_allclose(out["road_km"], [15.0, detour.length / 2000], rtol=1e-9)


def test_nearest_straight_target_is_the_geodesic_nearest(places: gpd.GeoDataFrame) -> None:
    rng = np.random.default_rng(21)
    lon, lat = rng.uniform(-5, 3, 2000), rng.uniform(11, 17, 2000)
    geod = Geod(ellps="WGS84")
    tl, tt = places.geometry.x.to_numpy(), places.geometry.y.to_numpy()
    _, _, d = geod.inv(
        np.repeat(lon, len(tl)), np.repeat(lat, len(tl)), np.tile(tl, 2000), np.tile(tt, 2000)
    )
    d = d.reshape(2000, len(tl))
    got_d, got_i = nw._nearest_geodesic(np.column_stack([lon, lat]), np.column_stack([tl, tt]))
    np.testing.assert_allclose(got_d, d.min(axis=1), rtol=1e-12)
    assert (got_i == d.argmin(axis=1)).all()


def test_borderlands_on_natural_earth_provinces(
    shared_data: Path, sketch_graph: nx.MultiDiGraph, places: gpd.GeoDataFrame
) -> None:
    # Real Burkina Faso provinces (Natural Earth 10m admin-1) on the sketch roads.
    provinces = gpd.read_file(shared_data / "boundaries" / "ne10m_admin1_bfa.geojson")
    crossings = places[places["kind"] == "border_crossing"]
    out = sg.borderlands_by_road(
        provinces[["name", "geometry"]], crossings, sketch_graph, within_km=60
    ).set_index("name")
    # Provinces the cross-border roads leave from: a crossing on their edge (the sketch's
    # crossing nodes are rounded to 1e-4 degrees, so within metres of the NE border).
    for name in ("Soum", "Séno", "Tapoa"):
        assert out.loc[name, "road_km_to_crossing"] < 0.05
    assert out.loc["Séno", "nearest_crossing"] == "BFA-NER crossing (Dori-Téra road)"
    assert out.loc["Gourma", "borderland"]  # Fada N'Gourma's province, ~53 km by road
    assert not out.loc["Kadiogo", "borderland"]  # Ouagadougou
    assert 150 < out.loc["Kadiogo", "road_km_to_crossing"] < 300
    assert int(out["borderland"].sum()) == 4


def test_canonical_demo_events_end_to_end(
    sketch_graph: nx.MultiDiGraph, places: gpd.GeoDataFrame
) -> None:
    events = sg.demo_events(n=300, seed=1)
    net = sg.RoadNetwork.from_graph(sketch_graph)
    out = sg.road_distances(events, places, net, off_road_km=20)
    assert len(out) == len(events)
    assert out["event_id"].tolist() == events["event_id"].tolist()
    assert out["road_km"].notna().all()  # one connected network: every event reaches a town
    assert (out["road_km"] >= 0).all()
    report = sg.reports(out)[-1]
    assert report.notes["coarse_location"] == int((events["location_level"] != "point").sum())
    corr = sg.road_corridors(net, by="name")
    table = sg.corridor_exposure(events, corr, within_km=15, freq="quarter")
    assert table["n_events"].sum() > 0
    assert set(table["corridor"]) == set(corr["corridor"])
