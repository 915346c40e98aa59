"""The spread analytics on the foundation's own outputs: demo events, bundled boundaries,
assign_admin. Invariants only (counts conserved, shapes, shares), no golden numbers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo.analysis.hotspots import EHSA_CATEGORIES


@pytest.fixture(scope="module")
def inputs():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sg.SahelGeoWarning)  # demo data's own notes
        ev = sg.demo_events(n=3000, seed=7)
    b0 = sg.load_boundaries(0)
    b1 = sg.load_boundaries(1, countries=["MLI", "BFA", "NER"])
    return ev, b0, b1


def test_pipeline_end_to_end(inputs) -> None:  # type: ignore[no-untyped-def]
    ev, b0, b1 = inputs
    joined = sg.assign_admin(ev, b1)
    counts = sg.aggregate(joined, unit="adm1_pcode", freq="quarter", units=b1["pcode"].tolist())
    rep = sg.reports(counts)[-1]
    assert counts["events"].sum() == rep.n_kept == joined["adm1_pcode"].notna().sum()
    arrival = sg.first_arrival(counts, k=3)
    assert set(arrival["unit"]) == set(b1["pcode"])
    spread = sg.expansion_relocation(counts, b1, distance_km=100.0)
    reached_k1 = sg.first_arrival(counts, k=1)["reached"].sum()
    assert len(spread.units) == reached_k1
    assert (spread.periods["n_new"] == spread.periods["n_new"].astype(int)).all()
    wide = counts.pivot(index="unit", columns="period", values="events").reindex(b1["pcode"])
    gi = sg.getis_ord(b1, wide.sum(axis=1).to_numpy(), permutations=99, seed=0)
    assert len(gi.table) == len(b1)
    eh = sg.emerging_hotspots(b1, wide.to_numpy(dtype=float))
    assert eh.categories["category"].isin(EHSA_CATEGORIES).all()
    shares = sg.country_shares(ev, freq="year")
    assert np.allclose(shares.groupby("period")["event_share"].sum(), 1.0)
    dist = sg.border_distance(ev, b0, country="MLI")
    inside = (ev["country_iso3"] == "MLI").to_numpy()
    assert (dist.to_numpy()[inside] > -5).mean() > 0.95  # events in Mali are inside (±snapping)
    exposure = sg.border_exposure(ev, b0, radii_km=(50.0,), freq=None)
    assert set(exposure["feature"]) == {"tri-border", "MLI-BFA", "MLI-NER", "BFA-NER"}
    mli = sg.border_units(b1, b0, country="MLI", neighbour="BFA")
    bfa = sg.border_units(b1, b0, country="BFA", neighbour="MLI")
    ll = sg.lead_lag(counts, leaders=mli, followers=bfa, max_lag=4)
    assert ll["lag"].tolist() == [0, 1, 2, 3, 4]


def test_allocation_on_a_grid_conserves_events(inputs) -> None:  # type: ignore[no-untyped-def]
    ev, b0, b1 = inputs
    cells = sg.make_grid(b1, spec=sg.PRIOGRID)
    cell = sg.events_to_cells(ev, spec=sg.PRIOGRID)
    fine = ev.assign(cell_id=cell.where(ev["location_level"].isin(["point", "admin2"])))
    parents = pd.concat([b0, b1], ignore_index=True)
    table = sg.allocate_by_area(fine, cells, parents, unit="cell_id", unit_col="cell_id")
    notes = sg.reports(table)[-1].notes
    assert sum(notes.values()) == len(ev)
    assert table.groupby("event_id")["weight"].sum().to_numpy() == pytest.approx(1.0)
    counts = sg.aggregate(table, unit="cell_id", weight="weight", freq="year")
    allocated = table.loc[table["allocation"] != "unallocated", "weight"].sum()
    assert counts["events"].sum() == pytest.approx(allocated)


def test_scdi_and_knox_on_demo(inputs) -> None:  # type: ignore[no-untyped-def]
    ev, _, _ = inputs
    out = sg.scdi(ev)
    assert out["events"].sum() == len(ev)
    assert set(out["scdi"]) <= {"CH", "CL", "DH", "DL", ""}
    k = sg.knox_test(ev.iloc[:800], distance_km=20.0, days=14.0, permutations=49, seed=0)
    assert 0 < k.p_sim <= 1
