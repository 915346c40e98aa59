"""assign_admin: exact rules on tiny fixtures, errors, determinism, and sjoin agreement."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import Point, box

import sahel_geo as sg
from sahel_geo.analysis._join_index import GridIndex as _GridIndex
from sahel_geo.analysis.join import MATCH_TYPES
from sahel_geo.core import threads


def _units() -> gpd.GeoDataFrame:
    # B2 | A1 share the edge x=1; C3 overlaps A1 on [1.5, 2] x [0, 1].
    return gpd.GeoDataFrame(
        {
            "admin_level": [1, 1, 1],
            "pcode": ["B2", "A1", "C3"],
            "name": ["West", "Middle", "East"],
            "parent_pcode": ["P", "P", "Q"],
            "country_iso3": ["MLI", "BFA", "NER"],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(1.5, 0, 2.5, 1)],
        crs="EPSG:4326",
    )


def _events(rows: list[tuple[float | None, float | None, str | None]]) -> gpd.GeoDataFrame:
    geoms = [
        None if x is None else (Point() if x != x else Point(x, y))  # NaN: an empty point
        for x, y, _ in rows
    ]
    return gpd.GeoDataFrame(
        {
            "event_id": [f"e{i}" for i in range(len(rows))],
            "country_iso3": [c for _, _, c in rows],
        },
        geometry=geoms,
        crs="EPSG:4326",
    )


RULE_CASES = [
    # (x, y, country) -> (pcode, match)
    ((0.5, 0.5, None), ("B2", "inside")),
    ((1.0, 0.5, None), ("A1", "border")),  # shared edge: smallest pcode
    ((1.0, 0.5, "MLI"), ("B2", "border")),  # shared edge: the event's own country
    ((1.75, 0.5, None), ("A1", "overlap")),  # two interiors: smallest pcode
    ((1.75, 0.5, "NER"), ("C3", "overlap")),  # two interiors: own country
    ((1.75, 0.5, "TCD"), ("A1", "overlap")),  # country of no candidate: smallest pcode
    ((0.0, 0.0, None), ("B2", "border")),  # outer corner vertex
    ((2.5, 1.0, None), ("C3", "border")),  # outer corner vertex of C3
    ((1.5, 0.5, None), ("A1", "border")),  # on C3's edge, inside A1: interior wins
    ((2.51, 0.5, None), ("C3", "snapped")),  # 0.01 degree east of C3
    ((5.0, 5.0, None), (None, "unassigned")),
    ((None, None, None), (None, "unassigned")),
    ((float("nan"), float("nan"), None), (None, "unassigned")),  # POINT EMPTY
]


@pytest.mark.parametrize("cells", [10_000, 4_000_000])
def test_rules_exact(cells: int) -> None:
    events = _events([case for case, _ in RULE_CASES])
    with sg.set_options(join_index_cells=cells):
        out = sg.assign_admin(events, _units())
    got = list(
        zip(
            out["adm1_pcode"].astype(object).where(out["adm1_pcode"].notna(), None),
            out["adm1_match"].astype(str),
            strict=True,
        )
    )
    expected = [exp for _, exp in RULE_CASES]
    # (1.5, 0.5) lies on C3's western edge and inside A1's interior: "inside" A1.
    expected[8] = ("A1", "inside")
    assert got == expected
    assert len(out) == len(events)
    assert out["adm1_name"].astype(object).tolist()[:2] == ["West", "Middle"]
    assert out["adm1_parent_pcode"].astype(object).tolist()[0] == "P"


def test_snap_distance_is_geodesic() -> None:
    out = sg.assign_admin(_events([(2.51, 0.5, None)]), _units())
    _, _, metres = Geod(ellps="WGS84").inv(2.5, 0.5, 2.51, 0.5)
    assert out["adm1_snap_km"].iloc[0] == pytest.approx(metres / 1000, rel=1e-9)
    assert round(float(out["adm1_snap_km"].iloc[0]), 4) == 1.1132


def test_snap_tolerance() -> None:
    events = _events([(2.51, 0.5, None), (2.6, 0.5, None)])  # 1.11 km and 11.1 km out
    out = sg.assign_admin(events, _units(), tolerance_km=2.0)
    assert out["adm1_match"].astype(str).tolist() == ["snapped", "unassigned"]
    assert np.isnan(out["adm1_snap_km"].iloc[1])
    out = sg.assign_admin(events, _units(), tolerance_km=20.0)
    assert out["adm1_match"].astype(str).tolist() == ["snapped", "snapped"]
    out = sg.assign_admin(events, _units(), tolerance_km=0.0)
    assert out["adm1_match"].astype(str).tolist() == ["unassigned", "unassigned"]
    with sg.set_options(snap_tolerance_km=0.5):
        out = sg.assign_admin(events, _units())
    assert out["adm1_match"].astype(str).tolist() == ["unassigned", "unassigned"]


def test_report_counts_every_event() -> None:
    events = _events([case for case, _ in RULE_CASES])
    out = sg.assign_admin(events, _units())
    rep = sg.reports(out)[-1]
    assert rep.step == "assign_admin[adm1]"
    assert (rep.n_in, rep.n_kept, rep.n_rejected) == (13, 13, 0)
    counts = {m: rep.notes[f"match_{m}"] for m in MATCH_TYPES}
    assert counts == {
        "inside": 2,
        "border": 4,
        "overlap": 3,
        "snapped": 1,
        "unassigned": 3,
        "coarsened": 0,
    }
    assert sum(counts.values()) == len(events)


def test_does_not_mutate_inputs() -> None:
    events, units = _events([(0.5, 0.5, None)]), _units()
    before_e, before_u = events.copy(), units.copy()
    sg.assign_admin(events, units)
    pd.testing.assert_frame_equal(events, before_e)
    pd.testing.assert_frame_equal(units, before_u)


def test_row_order_does_not_matter() -> None:
    events = _events([case for case, _ in RULE_CASES])
    a = sg.assign_admin(events, _units())
    b = sg.assign_admin(events.iloc[::-1], _units().iloc[[2, 0, 1]])
    pd.testing.assert_series_equal(
        a["adm1_pcode"].astype(object), b["adm1_pcode"].astype(object).iloc[::-1]
    )


# --- coarse events -------------------------------------------------------------------


def _provinces() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "admin_level": [2, 2],
            "pcode": ["R1P1", "R1P2"],
            "name": ["p1", "p2"],
            "parent_pcode": ["R1", "R1"],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs="EPSG:4326",
    )


def _leveled() -> gpd.GeoDataFrame:
    ev = _events([(0.5, 0.5, None), (1.5, 0.5, None), (0.2, 0.2, None), (9, 9, None)])
    ev["location_level"] = ["point", "admin1", "admin2", "country"]
    return ev


def test_coarse_keep_flags() -> None:
    out = sg.assign_admin(_leveled(), _provinces(), coarse="keep")
    assert out["adm2_coarse"].tolist() == [False, True, False, True]
    assert out["adm2_pcode"].astype(object).tolist()[:3] == ["R1P1", "R1P2", "R1P1"]
    assert sg.reports(out)[-1].notes["coarse_events"] == 2


def test_coarse_coarsen_keeps_parent() -> None:
    out = sg.assign_admin(_leveled(), _provinces(), coarse="coarsen")
    assert out["adm2_match"].astype(str).tolist() == [
        "inside",
        "coarsened",
        "inside",
        "unassigned",
    ]
    assert pd.isna(out["adm2_pcode"].iloc[1])
    assert out["adm2_parent_pcode"].iloc[1] == "R1"
    assert sg.reports(out)[-1].notes["coarsened"] == 1


def test_coarse_drop_lists_rejects() -> None:
    events = _leveled()
    out = sg.assign_admin(events, _provinces(), coarse="drop")
    assert out["event_id"].tolist() == ["e0", "e2"]
    rej = sg.rejects(out)
    assert rej["event_id"].tolist() == ["e1", "e3"]
    assert rej["reason"].iloc[0].startswith("location known only to admin1 level")
    rep = sg.reports(out)[-1]
    assert (rep.n_in, rep.n_kept, rep.n_rejected) == (4, 2, 2)


BOWTIE = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])

# --- bad inputs ----------------------------------------------------------------------


def test_crs_mismatch_names_both() -> None:
    events = _events([(0.5, 0.5, None)]).to_crs(3857)
    with pytest.raises(sg.CRSMismatchError, match=r"EPSG:3857.*to_crs\(\"EPSG:4326\"\)"):
        sg.assign_admin(events, _units())


def test_missing_crs() -> None:
    units = _units().set_crs(None, allow_override=True)
    with pytest.raises(sg.MissingCRSError, match="set_crs"):
        sg.assign_admin(_events([(0.5, 0.5, None)]), units)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda u: u.assign(admin_level=[1, 2, 2]), "several admin levels"),
        (lambda u: u.assign(pcode=["A1", "A1", "C3"]), "duplicate pcode"),
        (lambda u: u.drop(columns="pcode"), "missing column"),
        (lambda u: u.iloc[0:0], "empty"),
        (
            lambda u: u.set_geometry(
                [
                    shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]),
                    box(1, 0, 2, 1),
                    box(3, 3, 4, 4),
                ]
            ),
            "invalid geometries",
        ),
        (
            lambda u: u.set_geometry([Point(0, 0), box(1, 0, 2, 1), box(3, 3, 4, 4)]),
            "not .* Polygon",
        ),
    ],
)
def test_bad_boundaries(change, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(sg.SchemaError, match=message):
        sg.assign_admin(_events([(0.5, 0.5, None)]), change(_units()))


def test_bad_events() -> None:
    lines = _events([(0.5, 0.5, None)]).set_geometry([shapely.LineString([(0, 0), (1, 1)])])
    with pytest.raises(sg.SchemaError, match="not a Point"):
        sg.assign_admin(lines, _units())
    mixed = _events([(0.5, 0.5, None)] * 5).set_geometry(
        [
            shapely.Point(0.5, 0.5),
            shapely.Point(),  # empty: unassigned, not an error
            shapely.MultiPoint([(0.5, 0.5)]),
            None,
            shapely.LineString(),  # empty, but not a point
        ]
    )
    with pytest.raises(sg.SchemaError, match=r"row\(s\) \[2, 4\] have a geometry that is not a"):
        sg.assign_admin(mixed, _units())
    with pytest.raises(sg.SchemaError, match="GeoDataFrame"):
        sg.assign_admin(pd.DataFrame({"a": [1]}), _units())  # type: ignore[arg-type]
    with pytest.raises(sg.SchemaError, match="coarse must be"):
        sg.assign_admin(_events([(0.5, 0.5, None)]), _units(), coarse="fine")  # type: ignore[arg-type]
    once = sg.assign_admin(_events([(0.5, 0.5, None)]), _units())
    with pytest.raises(sg.SchemaError, match="already have column"):
        sg.assign_admin(once, _units())
    bad_level = _events([(0.5, 0.5, None)]).assign(location_level=["village"])
    with pytest.raises(sg.SchemaError, match="unknown value"):
        sg.assign_admin(bad_level, _units())


# --- the lookup grid against brute force ---------------------------------------------


def _brute_force(events: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> list[tuple[object, str]]:
    """Classify each point with plain shapely predicates, rule by rule."""
    out: list[tuple[object, str]] = []
    order = np.argsort(units["pcode"].to_numpy())
    for pt in events.geometry:
        inside = [i for i in order if units.geometry.iloc[i].contains(pt)]
        touch = [i for i in order if units.geometry.iloc[i].intersects(pt)]
        if len(inside) == 1:
            out.append((units["pcode"].iloc[inside[0]], "inside"))
        elif inside:
            out.append((units["pcode"].iloc[inside[0]], "overlap"))
        elif touch:
            out.append((units["pcode"].iloc[touch[0]], "border"))
        else:
            out.append((None, "outside"))
    return out


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cells=st.sampled_from([10_000, 50_000, 400_000]))
def test_grid_matches_brute_force_on_random_tessellations(seed: int, cells: int) -> None:
    rng = np.random.default_rng(seed)
    sites = shapely.multipoints(rng.uniform(0, 10, size=(12, 2)))
    cells_poly = shapely.get_parts(shapely.voronoi_polygons(sites, extend_to=box(-1, -1, 11, 11)))
    tiles = shapely.intersection(cells_poly, box(0, 0, 10, 10))
    tiles = tiles[~shapely.is_empty(tiles)]
    units = gpd.GeoDataFrame(
        {
            "admin_level": 2,
            "pcode": [f"U{i:02d}" for i in range(len(tiles))],
            "name": "x",
        },
        geometry=tiles,
        crs="EPSG:4326",
    )
    # random points, every vertex and every edge midpoint of the tiles
    coords = shapely.get_coordinates(units.geometry.boundary)
    mids = (coords[1:] + coords[:-1]) / 2
    pts = np.vstack([rng.uniform(-0.5, 10.5, size=(300, 2)), coords, mids])
    events = gpd.GeoDataFrame(geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]), crs=4326)
    with sg.set_options(join_index_cells=cells):
        out = sg.assign_admin(events, units, tolerance_km=0.0)
    got = [
        (None if pd.isna(p) else p, "outside" if m == "unassigned" else m)
        for p, m in zip(
            out["adm2_pcode"].astype(object), out["adm2_match"].astype(str), strict=True
        )
    ]
    assert got == _brute_force(events, units)


def test_grid_index_codes_cover_every_cell() -> None:
    geoms = np.asarray(_units().geometry.to_numpy(), dtype=object)
    index = _GridIndex(geoms, 10_000)
    slots = -index.code[index.code <= -2] - 2
    # each crossed cell has its own slot (crossed cells in overlaps use the STRtree)
    assert np.unique(slots).size == slots.size
    assert slots.max() < len(index.offsets) - 1
    assert np.all(np.diff(index.offsets) >= 1)
    assert (index.code == 0).sum() > 0  # the A1/C3 overlap


# --- real data -----------------------------------------------------------------------


@pytest.mark.slow
def test_agrees_with_sjoin_on_commune_polygons(shared_data, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    communes = gpd.read_file(
        shared_data / "boundaries" / "geoboundaries_lowest_units_mli_ner_bfa.geojson"
    )
    communes = communes.assign(admin_level=3, pcode=[f"C{i:04d}" for i in range(len(communes))])
    rng = np.random.default_rng(7)
    centres = communes.geometry.representative_point()
    pick = rng.integers(0, len(communes), 30_000)
    x = centres.x.to_numpy()[pick] + rng.normal(0, 0.15, pick.size)
    y = centres.y.to_numpy()[pick] + rng.normal(0, 0.15, pick.size)
    events = gpd.GeoDataFrame(
        {"event_id": np.arange(pick.size).astype(str)},
        geometry=gpd.points_from_xy(x, y),
        crs="EPSG:4326",
    )
    out = sg.assign_admin(events, communes)
    ref = gpd.sjoin(events, communes[["pcode", "geometry"]], predicate="within", how="left")
    n_hits = ref.groupby(level=0)["pcode"].count().reindex(events.index, fill_value=0)
    single = ref[~ref.index.duplicated(keep=False)]["pcode"].reindex(events.index)
    match = out["adm3_match"].astype(str)
    # where sjoin finds exactly one unit, the rules give the same unit, matched "inside"
    one = (n_hits == 1).to_numpy()
    assert (match[one] == "inside").all()
    assert (out["adm3_pcode"].astype(object)[one] == single[one]).all()
    # where sjoin finds several, the event is an overlap, assigned to one of them
    many = (n_hits > 1).to_numpy()
    assert (match[many] == "overlap").all()
    # where sjoin finds none, the event is on a border, snapped or unassigned
    none = (n_hits == 0).to_numpy()
    assert match[none].isin(["border", "snapped", "unassigned"]).all()
    assert none.sum() > 0 and one.sum() > 25_000
    # the same answers when the exact tests run in threads (chunks of 1,000 pairs)
    monkeypatch.setattr(threads, "MIN_CHUNK", 1_000)
    with sg.set_options(threads=3):
        threaded = sg.assign_admin(events, communes)
    pd.testing.assert_frame_equal(threaded, out)


def test_first_cells_of_components() -> None:
    from scipy import ndimage

    from sahel_geo.analysis._join_index import _first_cells

    rng = np.random.default_rng(5)
    for _ in range(50):
        mask = rng.random((rng.integers(1, 30), rng.integers(1, 30))) < rng.random()
        labels, n = ndimage.label(mask)
        flat = labels.ravel()
        first = _first_cells(flat, n)
        assert first.size == n and (flat[first] == np.arange(1, n + 1)).all()
        if n > 1:  # labels not in scan order take the general path
            perm = np.concatenate(([0], rng.permutation(n) + 1))
            swapped = perm[flat]
            first = _first_cells(swapped, n)
            assert (swapped[first] == np.arange(1, n + 1)).all()


def test_unassigned_are_counted_by_reason() -> None:
    # a missing, an empty and a NaN point have no location; (50, 50) is far from any unit
    events = _events([(0.5, 0.5, None)] * 5).set_geometry(
        [
            shapely.Point(0.5, 0.5),
            None,
            shapely.Point(),
            shapely.Point(np.nan, np.nan),
            shapely.Point(50, 50),
        ]
    )
    out = sg.assign_admin(events, _units())
    assert out["adm1_match"].tolist() == ["inside"] + ["unassigned"] * 4
    notes = sg.reports(out)[-1].notes
    assert (notes["unassigned_no_location"], notes["unassigned_beyond_tolerance"]) == (3, 1)
    assert notes["match_unassigned"] == 4
