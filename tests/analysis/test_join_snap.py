"""Snapping by boundary segments against the old method: whole polygons, brute force.

``_reference_snap`` is the snapping assign_admin did before it went through the segment
grid (``shapely.shortest_line`` to every unit within the search radius, geodesic
distance to its nearest point, nearest within the tolerance, ties to the smallest pcode),
written here without any index. The new method must give the same unit and the same
distance on points near boundaries: ties, points just beyond the tolerance,
multipolygons with islands, holes, tiny and large tolerances, and real communes.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, box

import sahel_geo as sg
from sahel_geo.analysis import _join_snap
from sahel_geo.analysis._join_snap import SegmentGrid, search_radius_deg, snap_to_segments

GEOD = Geod(ellps="WGS84")


def _reference_snap(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    geoms: NDArray[np.object_],
    pcodes: list[str],
    tol_km: float,
) -> tuple[list[str | None], NDArray[np.float64]]:
    """Each point's nearest unit within ``tol_km`` and its distance, by brute force."""
    out: list[str | None] = []
    kms = np.full(len(x), np.nan)
    radius = search_radius_deg(y, tol_km)
    for i, (px, py) in enumerate(zip(x, y, strict=True)):
        pt = shapely.Point(px, py)
        best: tuple[float, str] | None = None
        for geom, pcode in zip(geoms, pcodes, strict=True):
            if not shapely.dwithin(geom, pt, radius[i]):
                continue
            near = shapely.get_coordinates(shapely.shortest_line(geom, pt))[0]
            _, _, metres = GEOD.inv(px, py, near[0], near[1])
            km = metres / 1000.0
            if km <= tol_km and (best is None or (km, pcode) < best):
                best = (km, pcode)
        out.append(None if best is None else best[1])
        kms[i] = np.nan if best is None else best[0]
    return out, kms


def _snap(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    geoms: NDArray[np.object_],
    pcodes: list[str],
    tol_km: float,
) -> tuple[list[str | None], NDArray[np.float64]]:
    """The new method, shaped like the reference's answer."""
    rank = np.argsort(np.argsort(np.asarray(pcodes), kind="stable"))
    res = snap_to_segments(x, y, np.asarray(geoms, dtype=object), tol_km, rank)
    out: list[str | None] = [None] * len(x)
    kms = np.full(len(x), np.nan)
    for p, u, km in zip(res.pos, res.unit, res.km, strict=True):
        out[p] = pcodes[u]
        kms[p] = km
    return out, kms


def _assert_same(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    geoms: NDArray[np.object_],
    pcodes: list[str],
    tol_km: float,
) -> list[str | None]:
    """Assert the new snapping equals the reference on the points outside every unit."""
    pts = shapely.points(x, y)
    outside = ~np.any([shapely.intersects(g, pts) for g in geoms], axis=0)
    x, y = x[outside], y[outside]
    want, want_km = _reference_snap(x, y, geoms, pcodes, tol_km)
    got, got_km = _snap(x, y, geoms, pcodes, tol_km)
    assert got == want
    np.testing.assert_allclose(got_km, want_km, rtol=1e-12, atol=0)
    return got


def _near_boundary_points(
    geoms: NDArray[np.object_], rng: np.random.Generator, n: int, spread: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Random points on the units' boundaries, moved by normal noise of ``spread`` degrees."""
    rings = shapely.get_parts(shapely.boundary(geoms))
    length = shapely.length(rings)
    pick = rng.choice(len(rings), n, p=length / length.sum())
    on = shapely.line_interpolate_point(rings[pick], rng.random(n), normalized=True)
    xy = shapely.get_coordinates(on) + rng.normal(0, spread, (n, 2))
    return xy[:, 0], xy[:, 1]


def _tiles(seed: int, gap: float) -> tuple[NDArray[np.object_], list[str]]:
    """A random tessellation of [0, 1]^2 near the equator, tiles shrunk to leave gaps."""
    rng = np.random.default_rng(seed)
    sites = shapely.multipoints(rng.uniform(0, 1, size=(10, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(sites, extend_to=box(-1, -1, 2, 2)))
    tiles = shapely.buffer(shapely.intersection(cells, box(0, 0, 1, 1)), -gap, join_style="mitre")
    tiles = tiles[~shapely.is_empty(tiles)]
    return np.asarray(tiles, dtype=object), [f"U{i:02d}" for i in range(len(tiles))]


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    gap=st.sampled_from([0.0, 0.002, 0.02]),
    tol_km=st.sampled_from([0.05, 1.0, 5.0, 40.0]),
)
def test_random_tessellations_with_gaps(seed: int, gap: float, tol_km: float) -> None:
    geoms, pcodes = _tiles(seed, gap)
    rng = np.random.default_rng(seed)
    x, y = _near_boundary_points(geoms, rng, 200, spread=tol_km / 111.0)
    _assert_same(x, y, geoms, pcodes, tol_km)


def test_ties_go_to_the_smallest_pcode() -> None:
    # (1.5, 0.5) is exactly as far from the east edge of one box as from the west edge
    # of the other; (1.5, 1.5) as far from the two boxes' top corners
    geoms = np.asarray([box(0, 0, 1, 1), box(2, 0, 3, 1)], dtype=object)
    x, y = np.array([1.5, 1.5, 1.4]), np.array([0.5, 1.5, 0.5])
    for pcodes in (["B", "A"], ["A", "B"]):
        got = _assert_same(x, y, geoms, pcodes, tol_km=200.0)
        left = pcodes[0]
        assert got == ["A", "A", left]
    _, km = _snap(x, y, geoms, ["B", "A"], 200.0)
    _, _, metres = GEOD.inv(1.5, 0.5, 2.0, 0.5)
    assert km[0] == metres / 1000.0


def test_just_within_and_just_beyond_the_tolerance() -> None:
    geoms = np.asarray([box(0, 0, 1, 1)], dtype=object)
    tol = 5.0
    lons = []
    for factor in (1 - 1e-6, 1 + 1e-6):
        lon, _, _ = GEOD.fwd(1.0, 0.5, 90.0, tol * 1000 * factor)
        lons.append(lon)
    x, y = np.array(lons), np.array([0.5, 0.5])
    got = _assert_same(x, y, geoms, ["A"], tol)
    assert got == ["A", None]
    out = sg.assign_admin(
        gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=4326),
        gpd.GeoDataFrame({"admin_level": 1, "pcode": ["A"], "name": "a"}, geometry=geoms, crs=4326),
        tolerance_km=tol,
    )
    assert out["adm1_match"].astype(str).tolist() == ["snapped", "unassigned"]
    assert out["adm1_snap_km"].iloc[0] == pytest.approx(tol * (1 - 1e-6), rel=1e-9)


def test_islands_and_holes() -> None:
    donut = Polygon(
        [(0, 0), (1, 0), (1, 1), (0, 1)], holes=[[(0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7)]]
    )
    enclave = box(0.45, 0.45, 0.55, 0.55)  # inside the hole, with a gap around it
    islands = MultiPolygon([box(2, 0, 3, 1), box(1.2, 0.45, 1.25, 0.5), box(2, 1.1, 2.1, 1.2)])
    geoms = np.asarray([donut, enclave, islands], dtype=object)
    pcodes = ["D", "E", "I"]
    rng = np.random.default_rng(11)
    x, y = _near_boundary_points(geoms, rng, 400, spread=0.03)
    # hand-picked: in the hole's gap, between the donut and an island, off an island
    x = np.concatenate((x, [0.4, 0.42, 1.1, 1.3, 2.05, 1.225]))
    y = np.concatenate((y, [0.5, 0.42, 0.47, 0.47, 1.25, 0.52]))
    got = _assert_same(x, y, geoms, pcodes, tol_km=5.0)
    assert {"D", "E", "I"} <= set(got)


@pytest.mark.parametrize("tol_km", [1e-4, 0.5, 5.0, 150.0])
def test_tolerances_tiny_to_large(tol_km: float) -> None:
    geoms, pcodes = _tiles(3, 0.01)
    rng = np.random.default_rng(3)
    x, y = _near_boundary_points(geoms, rng, 300, spread=max(tol_km, 0.01) / 111.0)
    _assert_same(x, y, geoms, pcodes, tol_km)


def test_blocks_do_not_change_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    geoms, pcodes = _tiles(5, 0.01)
    rng = np.random.default_rng(5)
    x, y = _near_boundary_points(geoms, rng, 300, spread=0.03)
    whole = _snap(x, y, geoms, pcodes, 5.0)
    monkeypatch.setattr(_join_snap, "_PAIRS_PER_BLOCK", 7)
    monkeypatch.setattr(_join_snap, "_MIN_GEODESICS", 5)
    with sg.set_options(threads=3):
        blocks = _snap(x, y, geoms, pcodes, 5.0)
    assert blocks[0] == whole[0]
    np.testing.assert_array_equal(blocks[1], whole[1])


def test_segment_grid_lists_every_segment_within_a_cell() -> None:
    geoms, _ = _tiles(8, 0.005)
    rng = np.random.default_rng(8)
    for cell in (0.003, 0.05, 0.4):
        grid = SegmentGrid(geoms, cell)
        x, y = rng.uniform(-0.5, 1.5, 500), rng.uniform(-0.5, 1.5, 500)
        near = grid.near_segments(x, y)
        segs = shapely.linestrings(
            np.stack([np.c_[grid.ax, grid.ay], np.c_[grid.bx, grid.by]], axis=1)
        )
        for i in range(len(x)):
            listed = set(near.seg[near.offsets[near.group[i]] : near.offsets[near.group[i] + 1]])
            within = np.flatnonzero(shapely.distance(segs, shapely.Point(x[i], y[i])) <= cell)
            assert set(within.tolist()) <= listed


def test_real_communes(shared_data) -> None:  # type: ignore[no-untyped-def]
    communes = gpd.read_file(
        shared_data / "boundaries" / "geoboundaries_lowest_units_mli_ner_bfa.geojson"
    )
    geoms = np.asarray(communes.geometry.to_numpy(), dtype=object)
    pcodes = [f"C{i:04d}" for i in range(len(geoms))]
    rng = np.random.default_rng(21)
    # near the region's outer edge and the gaps between communes
    region = np.asarray([shapely.union_all(geoms)], dtype=object)
    x, y = _near_boundary_points(region, rng, 6000, spread=0.04)
    pts = shapely.points(x, y)
    tree = shapely.STRtree(geoms)
    outside = np.ones(len(x), dtype=bool)
    outside[tree.query(pts, predicate="intersects")[0]] = False
    x, y = x[outside], y[outside]
    # the reference, with the STRtree only to skip units out of reach
    near_pts, near_units = tree.query(
        shapely.points(x, y), predicate="dwithin", distance=search_radius_deg(y, 5.0)
    )
    want: list[str | None] = []
    want_km = np.full(len(x), np.nan)
    for i in range(len(x)):
        units = near_units[near_pts == i]
        names, kms = _reference_snap(
            x[i : i + 1], y[i : i + 1], geoms[units], [pcodes[u] for u in units], 5.0
        )
        want.append(names[0])
        want_km[i] = kms[0]
    got, got_km = _snap(x, y, geoms, pcodes, 5.0)
    assert len(x) > 800 and sum(w is not None for w in want) > 300
    assert got == want
    np.testing.assert_allclose(got_km, want_km, rtol=1e-12, atol=0)
    # and through assign_admin: the snapped events carry the same unit and distance
    frame = communes.assign(admin_level=3, pcode=pcodes)
    events = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=4326)
    out = sg.assign_admin(events, frame)
    snapped = out["adm3_match"].astype(str).to_numpy() == "snapped"
    assert snapped.sum() == sum(w is not None for w in want)
    assert out["adm3_pcode"].astype(object).to_numpy()[snapped].tolist() == [
        w for w in want if w is not None
    ]
    np.testing.assert_allclose(
        out["adm3_snap_km"].to_numpy()[snapped], want_km[snapped], rtol=1e-12
    )
