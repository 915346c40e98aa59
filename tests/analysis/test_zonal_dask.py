"""Zonal statistics and values at events on dask-backed stacks (issue 13): identical to
the in-memory stack, computed in time blocks (each chunk once, never the whole stack),
on a distributed LocalCluster too."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import dask
import dask.array as da
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import Point, box

import sahel_geo as sg
from sahel_geo.analysis import _zonal_blocks
from sahel_geo.analysis._zonal_blocks import time_blocks
from sahel_geo.core.raster import Raster

STEPS, H, W = 12, 6, 8
TIMES = pd.date_range("2020-01-01", periods=STEPS, freq="MS")
T = Affine(0.25, 0, 0, 0, -0.25, 1.5)  # 6 x 8 cells of 0.25°, top-left (0, 1.5)
CHUNK = 3  # steps per dask chunk along time
STATS = [
    "count",
    "sum",
    "mean",
    "std",
    "min",
    "max",
    "median",
    "majority",
    "percentile_25",
    "nodata_frac",
    "coverage_area",
]


def _values() -> np.ndarray:
    rng = np.random.default_rng(13)
    v = rng.integers(0, 5, (STEPS, H, W)).astype(np.float64) + rng.random((STEPS, H, W)).round(2)
    v[4, 2, 3] = np.nan
    v[:, 0, 0] = -9999.0
    return v


ZONES = gpd.GeoDataFrame(  # C: smaller than a cell (no cell centre in it)
    {"pcode": ["C", "A", "B"]},
    geometry=[box(0.3, 0.3, 0.35, 0.36), box(0.1, 0.1, 1.1, 1.3), box(0.9, 0.5, 1.95, 1.45)],
    crs=4326,
)


class Counted:
    """A dask stack built chunk by chunk that counts which chunks were computed."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.reads: Counter[int] = Counter()
        self.lock = threading.Lock()
        blocks = [
            da.from_delayed(dask.delayed(self._read)(a), shape=(CHUNK, H, W), dtype=values.dtype)
            for a in range(0, STEPS, CHUNK)
        ]
        self.array = da.concatenate(blocks)

    def _read(self, start: int) -> np.ndarray:
        with self.lock:
            self.reads[start] += 1
        return self.values[start : start + CHUNK]


def _raster(values: Any) -> Raster:
    return Raster.from_array(values, transform=T, crs=4326, nodata=-9999.0, times=TIMES)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Blocks of at most 2 chunks; records every block computed."""
    monkeypatch.setattr(_zonal_blocks, "BLOCK_BYTES", 2 * CHUNK * H * W * 8)
    seen: list[tuple[int, int]] = []
    real = _zonal_blocks._compute

    def spy(dask_mod: Any, values: Any, block: tuple[int, int]) -> np.ndarray:
        seen.append(block)
        return real(dask_mod, values, block)

    monkeypatch.setattr(_zonal_blocks, "_compute", spy)
    return seen


def test_time_blocks_group_whole_chunks() -> None:
    assert time_blocks([3, 3, 3, 3], 8, limit=48) == [(0, 6), (6, 12)]
    assert time_blocks([5, 1], 8, limit=16) == [(0, 5), (5, 6)]  # a big chunk alone
    assert time_blocks([2, 2, 1], 1, limit=100) == [(0, 5)]


@pytest.mark.filterwarnings("ignore:1 of 3 zones have no data:sahel_geo.NodataWarning")
@pytest.mark.parametrize("coverage", ["fraction", "center", "all_touched"])
def test_dask_stack_equals_in_memory(small_blocks: list[tuple[int, int]], coverage: str) -> None:
    v = _values()
    counted = Counted(v)
    eager = sg.zonal_stats(ZONES, _raster(v), stats=STATS, coverage=coverage)
    lazy = sg.zonal_stats(ZONES, _raster(counted.array), stats=STATS, coverage=coverage)
    pd.testing.assert_frame_equal(lazy, eager, check_exact=True)
    assert dict(counted.reads) == {0: 1, 3: 1, 6: 1, 9: 1}  # each chunk read once
    assert small_blocks == [(0, 6), (6, 12)]  # never the whole stack at once
    assert eager.loc[("A", TIMES[0]), "count"] > 0


def test_dask_stack_with_weights_and_area(small_blocks: list[tuple[int, int]]) -> None:
    v = _values()
    weights = Raster.from_array(
        np.arange(H * W, dtype=np.float64).reshape(H, W), transform=T, crs=4326
    )
    stats = ["weighted_mean", "weighted_sum", "mean", "frac"]
    kw: dict[str, Any] = {"stats": stats, "weights": weights, "area_weighted": True}
    eager = sg.zonal_stats(ZONES, _raster(np.floor(v)), **kw)
    lazy = sg.zonal_stats(ZONES, _raster(da.from_array(np.floor(v), chunks=(CHUNK, H, W))), **kw)
    pd.testing.assert_frame_equal(lazy, eager, check_exact=True)


def test_dask_single_raster_and_xarray_input() -> None:
    v = _values()
    one = Raster.from_array(da.from_array(v[0], chunks=(3, 4)), transform=T, crs=4326,
                            nodata=-9999.0)  # fmt: skip
    flat = sg.zonal_stats(ZONES, one, stats=STATS)
    single = Raster.from_array(v[0], transform=T, crs=4326, nodata=-9999.0)
    pd.testing.assert_frame_equal(flat, sg.zonal_stats(ZONES, single, stats=STATS))
    assert len(flat) == 3
    xa = _raster(da.from_array(v, chunks=(CHUNK, H, W))).to_xarray()
    pd.testing.assert_frame_equal(
        sg.zonal_stats(ZONES, xa, stats=STATS), sg.zonal_stats(ZONES, _raster(v), stats=STATS)
    )


@pytest.fixture
def client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    )
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def test_zonal_runs_on_a_distributed_client(client: Any) -> None:
    from distributed import get_task_stream

    v = _values()
    eager = sg.zonal_stats(ZONES, _raster(v), stats=STATS)
    lazy = _raster(da.from_array(v, chunks=(CHUNK, H, W)))
    with get_task_stream(client) as ts:
        pd.testing.assert_frame_equal(sg.zonal_stats(ZONES, lazy, stats=STATS), eager)
    assert len(ts.data) > 0  # the blocks were computed by the cluster's worker


def _events() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "event_id": ["a", "b", "c", "d", "e"],
            "event_date": pd.to_datetime(
                ["2020-05-14", "2020-06-02", "2019-01-01", None, "2020-05-31"]
            ),
        },
        geometry=[
            Point(0.3, 1.2),
            Point(0.1, 1.4),
            Point(1.0, 1.0),
            Point(0.5, 0.5),
            Point(1.1, 0.9),
        ],
        crs=4326,
    )


def test_values_at_events_reads_only_the_chunks_it_needs() -> None:
    v = _values()
    counted = Counted(v)
    ev = _events()
    eager = sg.values_at_events(ev, _raster(v), time_match="period", lags=(1,))
    lazy = sg.values_at_events(ev, _raster(counted.array), time_match="period", lags=(1,))
    pd.testing.assert_frame_equal(lazy, eager, check_exact=True)
    assert sg.reports(lazy)[-1].to_dict() == sg.reports(eager)[-1].to_dict()
    assert set(counted.reads) == {3}  # May, June and the April lags: steps 3-5 only
    assert eager["value"].notna().sum() == 2 and eager.loc["b", "na_reason"] == "nodata"


def test_values_at_events_single_dask_raster() -> None:
    v = _values()[5]
    lazy = Raster.from_array(da.from_array(v, chunks=(3, 4)), transform=T, crs=4326,
                             nodata=-9999.0)  # fmt: skip
    eager = Raster.from_array(v, transform=T, crs=4326, nodata=-9999.0)
    ev = _events()
    pd.testing.assert_frame_equal(sg.values_at_events(ev, lazy), sg.values_at_events(ev, eager))


def test_dask_stack_with_weights_on_a_finer_grid(small_blocks: list[tuple[int, int]]) -> None:
    v = _values()
    rng = np.random.default_rng(3)
    finer = Affine(0.125, 0, 0, 0, -0.125, 1.5)  # 2 x 2 weights cells per value cell
    weights = Raster.from_array(rng.random((2 * H, 2 * W)), transform=finer, crs=4326)
    kw: dict[str, Any] = {"stats": ["mean", "weighted_mean", "weighted_sum", "count"]}
    eager = sg.zonal_stats(ZONES, _raster(v), weights=weights, **kw)
    lazy_values = _raster(da.from_array(v, chunks=(CHUNK, H, W)))
    lazy_weights = Raster.from_array(da.from_array(weights.values, chunks=(5, 7)),
                                     transform=finer, crs=4326)  # fmt: skip
    lazy = sg.zonal_stats(ZONES, lazy_values, weights=lazy_weights, **kw)
    pd.testing.assert_frame_equal(lazy, eager, check_exact=True)


def _tiled(v: np.ndarray, allowed: set[tuple[int, int]]) -> da.Array:
    """A stack in (CHUNK, 3, 4) tiles; computing a tile not in ``allowed`` raises."""

    def tile(k: int, i: int, j: int) -> np.ndarray:
        if (i, j) not in allowed:
            raise AssertionError(f"tile {(i, j)} outside the zones' window was computed")
        return v[k : k + CHUNK, 3 * i : 3 * i + 3, 4 * j : 4 * j + 4]

    rows = [
        [
            [
                da.from_delayed(dask.delayed(tile)(k, i, j), shape=(CHUNK, 3, 4), dtype=v.dtype)
                for j in range(W // 4)
            ]
            for i in range(H // 3)
        ]
        for k in range(0, STEPS, CHUNK)
    ]
    return da.block(rows)


def test_only_the_zones_window_is_computed() -> None:
    v = _values()
    corner = ZONES.iloc[:1].copy()
    corner["geometry"] = [box(0.1, 0.9, 0.9, 1.4)]  # rows 0-2, columns 0-3: tile (0, 0)
    eager = sg.zonal_stats(corner, _raster(v), stats=STATS)
    lazy = sg.zonal_stats(corner, _raster(_tiled(v, {(0, 0)})), stats=STATS)
    pd.testing.assert_frame_equal(lazy, eager, check_exact=True)
    ev = _events().iloc[:2]  # both in tile (0, 0)
    pd.testing.assert_frame_equal(
        sg.values_at_events(ev, _raster(_tiled(v, {(0, 0)})), time_match="period"),
        sg.values_at_events(ev, _raster(v), time_match="period"),
    )
