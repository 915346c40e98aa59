from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

import sahel_geo as sg
from sahel_geo.analysis.timeseries import (
    add_partial_sums,
    aggregate,
    aggregate_report,
    aggregate_spec,
    aggregate_table,
    allocate_by_area,
    partial_sums,
    period_change,
)
from sahel_geo.core.errors import EmptyResultError, SchemaError
from sahel_geo.core.periods import period_start
from sahel_geo.core.reports import reports


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "adm1_pcode": ["A", "A", "B", "A"],
            "event_date": pd.to_datetime(["2024-01-03", "2024-03-01", "2024-01-09", "2024-03-31"]),
            "fatalities": [1, 2, 5, 0],
            "civilian_fatalities": [1.0, np.nan, 2.0, 0.0],
            "low": [np.nan, np.nan, 3.0, np.nan],
            "high": [np.nan, np.nan, 9.0, np.nan],
        }
    )


def test_aggregate_exact_month() -> None:
    out = aggregate(_events(), unit="adm1_pcode", freq="month")
    assert out["unit"].tolist() == ["A"] * 3 + ["B"] * 3
    assert out["period"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02", "2024-03"] * 2
    assert out["events"].tolist() == [1, 0, 2, 1, 0, 0]
    assert out["fatalities"].tolist() == [1, 0, 2, 5, 0, 0]
    assert out["fatalities_low"].tolist() == [1, 0, 2, 3, 0, 0]
    assert out["fatalities_high"].tolist() == [1, 0, 2, 9, 0, 0]
    assert out["civilian_fatalities"].tolist() == [1, 0, 0, 2, 0, 0]


def test_aggregate_units_and_periods_with_no_events() -> None:
    out = aggregate(
        _events(), unit="adm1_pcode", freq="quarter", units=["A", "B", "C"], end="2024-12-31"
    )
    assert len(out) == 3 * 4
    assert out.loc[out.unit == "C", "events"].sum() == 0
    assert out["events"].sum() == 4


def test_aggregate_no_civilian_column_gives_nan_and_weights() -> None:
    ev = _events().drop(columns=["civilian_fatalities"]).assign(w=[0.5, 0.5, 1.0, 0.25])
    out = aggregate(ev, unit="adm1_pcode", freq="year", weight="w")
    assert out["events"].tolist() == [1.25, 1.0]
    assert out["fatalities"].tolist() == [1.5, 5.0]
    assert out["civilian_fatalities"].isna().all()


def test_aggregate_empty_raises_and_zero_table() -> None:
    ev = _events().iloc[:0]
    with pytest.raises(EmptyResultError):
        aggregate(ev, unit="adm1_pcode")
    out = aggregate(ev, unit="adm1_pcode", units=["A"], start="2024-01", end="2024-02")
    assert out["events"].tolist() == [0, 0]


def test_aggregate_week_is_iso() -> None:
    # 2024-01-07 is a Sunday: same ISO week as Monday 2024-01-01
    idx = period_start(pd.Series(pd.to_datetime(["2024-01-07", "2024-01-08"])), "week")
    assert [str(d.date()) for d in idx] == ["2024-01-01", "2024-01-08"]


def test_aggregate_bad_freq() -> None:
    with pytest.raises(SchemaError, match="freq"):
        aggregate(_events(), unit="adm1_pcode", freq="day")  # type: ignore[arg-type]


def test_period_change_324() -> None:
    s = pd.Series([118, 500], index=pd.period_range("2023-01", periods=2, freq="M"), name="x")
    out = period_change(s)
    assert out["label"].tolist() == ["", "324%"]
    assert out["change_pct"].iloc[1] == pytest.approx(100 * 382 / 118)
    assert out["trend"].tolist() == ["", "large increase"]


def test_period_change_low_baseline_and_new() -> None:
    s = pd.Series([1, 3, 0, 7, 6])
    out = period_change(s)
    assert out["low_baseline"].tolist() == [False, True, False, False, False]
    assert np.isnan(out["change_pct"].iloc[1])
    assert out["label"].iloc[1] == "low baseline (1 → 3)"
    assert out["trend"].iloc[1] == "limited change"
    assert out["trend"].iloc[2] == "large decrease"
    assert out["label"].iloc[3] == "new (0 → 7)"
    assert out["trend"].iloc[3] == "new"
    assert out["trend"].iloc[4] == "limited change"  # -14 %


def test_period_change_trendfinder_classes_mean_of_n() -> None:
    wide = pd.DataFrame(
        {"u": [10, 10, 10, 10, 13], "v": [20, 20, 20, 20, 14], "w": [8, 8, 8, 8, 9.6]}
    )
    out = period_change(wide, baseline_periods=4)
    last = out[out["period"] == 4].set_index("unit")
    assert last.loc["u", "change_pct"] == pytest.approx(30.0)
    assert last.loc["u", "trend"] == "large increase"
    assert last.loc["v", "trend"] == "large decrease"
    assert last.loc["w", "trend"] == "moderate increase"
    assert out.loc[out["period"] < 4, "baseline"].isna().all()


@given(st.lists(st.integers(0, 1000), min_size=2, max_size=30))
@settings(max_examples=50, deadline=None)
def test_period_change_property_matches_formula(xs: list[int]) -> None:
    out = period_change(pd.Series(xs), min_baseline=-1, min_current=-1)
    for k in range(1, len(xs)):
        if xs[k - 1] > 0:
            assert out["change_pct"].iloc[k] == pytest.approx(100 * (xs[k] - xs[k - 1]) / xs[k - 1])


def _alloc_inputs() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    parents = gpd.GeoDataFrame(
        {"admin_level": [1, 0], "pcode": ["P1", "C"]},
        geometry=[box(0, 0, 2, 1), box(0, 0, 3, 1)],
        crs="EPSG:4326",
    )
    units = gpd.GeoDataFrame(
        {"pcode": ["a", "b", "c"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs="EPSG:4326",
    )
    events = gpd.GeoDataFrame(
        {
            "event_id": ["e1", "e2", "e3", "e4"],
            "location_level": ["point", "admin1", "country", "admin1"],
            "adm2": ["a", None, None, None],
            "event_date": pd.to_datetime(["2024-01-01"] * 4),
            "fatalities": [1, 2, 3, 4],
        },
        geometry=[Point(0.5, 0.5), Point(1.0, 0.5), Point(1.5, 0.5), Point(10, 10)],
        crs="EPSG:4326",
    )
    return events, units, parents


def test_allocate_by_area_conserves_counts() -> None:
    events, units, parents = _alloc_inputs()
    out = allocate_by_area(events, units, parents, unit="adm2")
    w = out.groupby("event_id")["weight"].sum()
    assert w.to_dict() == pytest.approx({"e1": 1.0, "e2": 1.0, "e3": 1.0, "e4": 1.0})
    e2 = out[out.event_id == "e2"].set_index("adm2")["weight"]
    assert e2.to_dict() == pytest.approx({"a": 0.5, "b": 0.5}, rel=1e-3)
    e3 = out[out.event_id == "e3"]
    assert len(e3) == 3
    rep = reports(out)[-1]
    assert dict(rep.notes) == {"direct": 1, "area": 2, "unallocated": 1}
    agg = aggregate(out, unit="adm2", weight="weight", freq="month")
    assert agg["events"].sum() == pytest.approx(3.0)  # e4 has no unit: not counted
    assert agg.set_index("unit")["fatalities"].sum() == pytest.approx(1 + 2 + 3)


@given(
    st.lists(
        st.tuples(
            st.floats(0.01, 2.99),
            st.floats(0.01, 0.99),
            st.sampled_from(["point", "admin1", "country"]),
        ),
        min_size=1,
        max_size=25,
    )
)
@settings(max_examples=15, deadline=None)
def test_allocate_by_area_property_weights_sum_to_one(pts: list[tuple[float, float, str]]) -> None:
    _, units, parents = _alloc_inputs()
    lon, lat, lev = zip(*pts, strict=True)
    cell = ["a" if x < 1 else ("b" if x < 2 else "c") for x in lon]
    events = gpd.GeoDataFrame(
        {
            "event_id": [f"e{i}" for i in range(len(pts))],
            "location_level": list(lev),
            "adm2": [c if lv == "point" else None for c, lv in zip(cell, lev, strict=True)],
            "event_date": pd.Timestamp("2024-01-01"),
            "fatalities": 1,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    out = allocate_by_area(events, units, parents, unit="adm2")
    sums = out.groupby("event_id")["weight"].sum()
    assert np.allclose(sums.to_numpy(), 1.0)
    # admin-1 events outside parent P1 (x > 2) stay unallocated; all others are counted
    n_lost = sum(1 for x, _, lv in pts if lv == "admin1" and x > 2)
    if n_lost == len(pts):
        with pytest.raises(EmptyResultError):
            aggregate(out, unit="adm2", weight="weight", freq="month")
        return
    agg = aggregate(out, unit="adm2", weight="weight", freq="month")
    assert agg["events"].sum() == pytest.approx(len(pts) - n_lost)


def test_one_event_only() -> None:
    ev = _events().iloc[:1]
    out = aggregate(ev, unit="adm1_pcode", freq="week")
    assert out["events"].tolist() == [1]
    ch = period_change(out.set_index("period")["events"])
    assert ch["label"].tolist() == [""]


def test_aggregate_reports_events_left_out() -> None:
    ev = _events()
    ev.loc[1, "adm1_pcode"] = None
    out = aggregate(ev, unit="adm1_pcode", units=["A"], freq="month")
    rep = reports(out)[-1]
    assert (rep.n_in, rep.n_kept, rep.n_rejected) == (4, 2, 2)
    assert rep.rejected_by_reason == {"no unit": 1, "outside the units or periods asked for": 1}


def test_ucdp_low_best_high_carried_through(shared_data) -> None:  # type: ignore[no-untyped-def]
    ged = pd.read_csv(shared_data / "events" / "ucdp_ged231_sample1000.csv")
    ev = pd.DataFrame(
        {
            "country": ged["country"],
            "event_date": pd.to_datetime(ged["date_start"]),
            "fatalities": ged["best"],
            "low": ged["low"],
            "high": ged["high"],
            "civilian_fatalities": ged["deaths_civilians"],
        }
    )
    out = aggregate(ev, unit="country", freq="year")
    assert out["events"].sum() == len(ged)
    assert out["fatalities"].sum() == ged["best"].sum()
    assert out["fatalities_low"].sum() == ged["low"].sum()
    assert out["fatalities_high"].sum() == ged["high"].sum()
    assert out["civilian_fatalities"].sum() == ged["deaths_civilians"].sum()
    # carried as the source has them: UCDP GED 23.1 itself has rows with low > best or
    # best > high (13 of these 1,000), so no ordering is imposed on the sums
    assert ((ged["low"] > ged["best"]) | (ged["best"] > ged["high"])).sum() == 13


def _many_events(n: int, n_units: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "cell": rng.integers(0, n_units, n),
            "event_date": pd.Timestamp("2000-01-03")
            + pd.to_timedelta(rng.integers(0, 7000, n), "D"),
            "fatalities": rng.integers(0, 5, n).astype(float),
            "kind": np.array(["a", "b", None], dtype=object)[rng.integers(0, 3, n)],
        }
    )


@pytest.mark.parametrize("n_units", [3, 5000])  # few bins (counted densely) or many (numbered)
def test_aggregate_matches_a_groupby(n_units: int) -> None:
    ev = _many_events(400, n_units, seed=n_units)
    out = aggregate(ev, unit="cell", freq="week", by="kind")
    week = ev["event_date"].dt.to_period("W").dt.start_time
    ref = ev.groupby(["cell", week])["fatalities"].agg(["size", "sum"])
    got = out.set_index(["unit", "period"]).loc[ref.index]
    assert got["events"].tolist() == ref["size"].tolist()
    assert got["fatalities"].tolist() == ref["sum"].tolist()
    assert out["events"].sum() == len(ev) and out["fatalities"].sum() == ev["fatalities"].sum()
    split = out[["events_a", "events_b", "events_unknown"]].sum(axis=1)
    assert (split == out["events"]).all()
    assert len(out) == ev["cell"].nunique() * out["period"].nunique()


def test_aggregate_is_the_table_of_added_partial_sums() -> None:
    ev = _many_events(300, 4, seed=1)
    ev.loc[[5, 50], "cell"] = None
    ev["w"] = np.linspace(0.1, 1.0, len(ev))
    for weight, by in ((None, "kind"), ("w", None)):
        spec = aggregate_spec(
            ev,
            unit="cell",
            freq="quarter",
            units=None,
            start="2001",
            end=None,
            weight=weight,
            by=by,
        )
        pieces = [partial_sums(ev.iloc[i : i + 70], spec, positions=False) for i in (0, 70, 140)]
        pieces.append(partial_sums(ev.iloc[210:], spec, positions=False))
        got = aggregate_table(add_partial_sums(pieces), spec)
        want = aggregate(ev, unit="cell", freq="quarter", start="2001", weight=weight, by=by)
        pd.testing.assert_frame_equal(got, want, check_exact=weight is None)
        rep, own = aggregate_report(add_partial_sums(pieces), spec), reports(want)[-1]
        assert (rep.n_in, rep.n_kept, rep.n_rejected) == (own.n_in, own.n_kept, own.n_rejected)


def test_aggregate_missing_dates_named_by_position_or_label() -> None:
    ev = _events()
    ev.index = [10, 11, 12, 13]
    ev.loc[12, "event_date"] = pd.NaT
    with pytest.raises(SchemaError, match=r"missing at positions \[2\]"):
        aggregate(ev, unit="adm1_pcode")
    spec = aggregate_spec(
        ev, unit="adm1_pcode", freq="month", units=None, start=None, end=None, weight=None, by=None
    )
    with pytest.raises(SchemaError, match=r"missing at rows \[12\]"):
        partial_sums(ev, spec)


def test_aggregate_duplicate_units_raise() -> None:
    with pytest.raises(SchemaError, match="units has duplicate values"):
        aggregate(_events(), unit="adm1_pcode", units=["A", "B", "A"])


def test_aggregate_names_a_missing_weight_column() -> None:
    ev = sg.demo_events(n=50, seed=4)
    ev = sg.assign_admin(ev, sg.load_boundaries(level=1))
    with pytest.raises(sg.SchemaError, match="w_missing"):
        aggregate(ev, unit="adm1_pcode", freq="year", weight="w_missing")
