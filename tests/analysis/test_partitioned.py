"""The event steps on Dask: identical to the in-memory results, reports that add up."""

from __future__ import annotations

import sys

import dask
import dask.dataframe
import dask_geopandas as dg
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine

import sahel_geo as sg
from sahel_geo import MissingDependencyError, SchemaError
from sahel_geo.analysis.partitioned import compute, merge_reports
from sahel_geo.core.raster import Raster
from sahel_geo.core.reports import StepReport, empty_rejects


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    ev = sg.demo_events(n=1500, seed=7)
    # three events known only to their country (coarse at admin 1)
    ev.loc[ev.index[:3], "location_level"] = "country"
    return ev


@pytest.fixture(scope="module")
def adm1() -> pd.DataFrame:
    return sg.load_boundaries(level=1)


def _steps(frame: pd.DataFrame) -> list[str]:
    return [r.step for r in sg.reports(frame)]


@pytest.mark.parametrize("coarse", ["keep", "drop"])
def test_assign_admin_equals_in_memory(dask_client, events, adm1, coarse) -> None:
    lazy = sg.assign_admin(dg.from_geopandas(events, npartitions=4), adm1, coarse=coarse)
    assert isinstance(lazy, dg.GeoDataFrame)
    got = compute(lazy)
    ref = sg.assign_admin(events, adm1, coarse=coarse)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    assert _steps(got) == _steps(ref)  # the reader's report listed once, not 4 times
    for a, b in zip(sg.reports(got), sg.reports(ref), strict=True):
        assert a.to_dict() == b.to_dict()
    rep = sg.reports(got)[-1]
    assert rep.n_in == len(events) == rep.n_kept + rep.n_rejected
    if coarse == "drop":
        assert rep.rejects["row"].tolist() == [0, 1, 2]


def test_plain_compute_gives_the_rows(dask_client, events, adm1) -> None:
    lazy = sg.assign_admin(dg.from_geopandas(events, npartitions=3), adm1)
    pd.testing.assert_frame_equal(lazy.compute(), sg.assign_admin(events, adm1), check_exact=True)


@pytest.mark.parametrize(
    "options",
    [
        {"freq": "month"},
        {"freq": "quarter", "by": "perpetrator_group"},
        {"freq": "year", "units": "the first three units and XXX", "start": "2019", "end": "2021"},
    ],
)
def test_aggregate_equals_in_memory(dask_client, events, adm1, options) -> None:
    joined = sg.assign_admin(events, adm1)
    if "units" in options:
        options = {**options, "units": [*adm1["pcode"][:3], "XXX"]}
    lazy_joined = dg.from_geopandas(joined, npartitions=5)
    lazy = sg.aggregate(lazy_joined, unit="adm1_pcode", **options)
    got = lazy.compute()
    ref = sg.aggregate(joined, unit="adm1_pcode", **options)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    assert list(got.columns) == list(ref.columns)
    own, want = sg.reports(got)[-1], sg.reports(ref)[-1]
    assert own.to_dict() == want.to_dict()
    assert own.n_in == own.n_kept + own.n_rejected == len(joined)
    # the earlier steps' reports come before aggregate's, each once
    assert _steps(got) == [*_steps(joined), want.step]


def test_aggregate_by_a_categorical_column(dask_client, events, adm1) -> None:
    joined = sg.assign_admin(events, adm1)
    present = sorted(joined["perpetrator_group"].dropna().unique(), reverse=True)
    joined["actor"] = pd.Categorical(joined["perpetrator_group"], categories=[*present, "none"])
    lazy = dg.from_geopandas(joined, npartitions=3)
    got = sg.aggregate(lazy, unit="adm1_pcode", freq="year", by="actor").compute()
    ref = sg.aggregate(joined, unit="adm1_pcode", freq="year", by="actor")
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    # in category order (not sorted as text), as in memory
    names = [c for c in got.columns if c.startswith("events_")]
    assert names == [f"events_{v}" for v in present] + ["events_unknown"]


def test_aggregate_of_a_lazy_join_adds_up(dask_client, events, adm1) -> None:
    lazy = sg.assign_admin(dg.from_geopandas(events, npartitions=4), adm1)
    got = sg.aggregate(lazy, unit="adm1_pcode").compute()
    joined = sg.assign_admin(events, adm1)
    pd.testing.assert_frame_equal(got, sg.aggregate(joined, unit="adm1_pcode"), check_exact=True)
    join_report = sg.reports(got)[-2]
    assert join_report.to_dict() == sg.reports(joined)[-1].to_dict()


def test_aggregate_weighted_and_empty_partitions(dask_client) -> None:
    frame = pd.DataFrame(
        {
            "u": ["A", None, "B", "A", "B", "A"],
            "event_date": pd.to_datetime(
                ["2024-01-03", "2024-01-04", "2024-03-09", "2024-02-01", "2024-01-20", "2024-03-31"]
            ),
            "fatalities": [1.0, 2.0, 3.0, np.nan, 5.0, 6.0],
            "w": [0.5, 1.0, 0.25, 1.0, 0.5, 1.0],
        }
    )
    lazy = dask.dataframe.from_pandas(frame, npartitions=3)
    lazy = lazy[lazy["fatalities"] > -1]  # drops the NaN row; keeps positions as labels
    got = sg.aggregate(lazy, unit="u", weight="w").compute()
    ref = sg.aggregate(frame[frame["fatalities"] > -1], unit="u", weight="w")
    pd.testing.assert_frame_equal(got, ref)
    assert got["events"].tolist() == [0.5, 0.0, 1.0, 0.5, 0.0, 0.25]
    assert sg.reports(got)[-1].rejects["row"].tolist() == [1]


def test_aggregate_nan_weights_and_split_as_in_memory(dask_client) -> None:
    # the partitions' sums are added as one frame's are: a NaN weight makes its bin NaN
    frame = pd.DataFrame(
        {
            "u": ["A", "A", "B", "A", "B", "B", "A"],
            "event_date": pd.to_datetime(["2024-01-03"] * 3 + ["2024-02-01"] * 4),
            "fatalities": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
            "w": [0.5, np.nan, 0.25, 1.0, 0.5, 1.0, 2.0],
            "g": ["x", "y", None, "x", "x", "y", None],
        }
    )
    lazy = dask.dataframe.from_pandas(frame, npartitions=3)
    got = sg.aggregate(lazy, unit="u", weight="w", by="g").compute()
    ref = sg.aggregate(frame, unit="u", weight="w", by="g")
    pd.testing.assert_frame_equal(got, ref)
    assert np.isnan(got.loc[0, "events"]) and got.loc[1, "events"] == 3.0


def test_values_at_events_equals_in_memory(dask_client) -> None:
    times = pd.date_range("2022-01-01", periods=6, freq="MS")
    stack = Raster.from_array(
        np.arange(48.0).reshape(6, 2, 4),
        crs="EPSG:4326",
        transform=Affine(1, 0, 0, 0, -1, 2),
        times=times,
    )
    rng = np.random.default_rng(1)
    n = 40
    ev = sg.demo_events(n=60, seed=2).iloc[:n].copy()
    ev = ev.set_geometry(gpd.points_from_xy(rng.uniform(-1, 5, n), rng.uniform(-1, 3, n)), crs=4326)
    ev["event_date"] = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 220, n), "D")
    lazy = sg.values_at_events(
        dg.from_geopandas(ev, npartitions=3), stack, time_match="period", lags=(1, 2)
    )
    got = compute(lazy)
    ref = sg.values_at_events(ev, stack, time_match="period", lags=(1, 2))
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    assert sg.reports(got)[-1].to_dict() == sg.reports(ref)[-1].to_dict()


def test_merge_reports_adds_up() -> None:
    rej = pd.DataFrame({"row": [4], "reason": ["bad"], "column": ["x"]})
    a = StepReport(step="s", source="f", n_in=3, n_kept=2, rejects=rej, notes={"k": 1})
    b = StepReport(step="s", source="f", n_in=2, n_kept=2, rejects=empty_rejects(), notes={})
    m = merge_reports([a, b, a])
    assert (m.n_in, m.n_kept, m.n_rejected) == (8, 6, 2)
    assert dict(m.notes) == {"k": 2}
    assert m.rejects["row"].tolist() == [4, 4]


def test_compute_refuses_a_computed_frame(events) -> None:
    with pytest.raises(SchemaError, match="already computed"):
        compute(events)


def test_missing_dask_geopandas_names_the_extra(dask_client, events, adm1, monkeypatch) -> None:
    lazy = dg.from_geopandas(events, npartitions=2)
    monkeypatch.setitem(sys.modules, "dask_geopandas", None)
    with pytest.raises(MissingDependencyError, match=r"sahel_geo\[dask\]"):
        sg.assign_admin(lazy, adm1)
    with pytest.raises(MissingDependencyError, match=r"sahel_geo\[dask\]"):
        sg.aggregate(lazy, unit="country_iso3")
    with pytest.raises(MissingDependencyError, match=r"sahel_geo\[dask\]"):
        sg.values_at_events(
            lazy,
            Raster.from_array(
                np.zeros((2, 2)), crs="EPSG:4326", transform=Affine(1, 0, 0, 0, -1, 2)
            ),
        )
