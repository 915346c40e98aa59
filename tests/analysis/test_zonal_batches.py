"""Issue 14 (memory): zonal_stats works the zones in batches, each on its own window.

Cutting the zones into many batches (a budget of a few bytes: one zone a batch) must give
the same answers as one batch of all zones, for every kind of statistic (sums, order,
categorical, locations, user functions), for weights on the same and on a nested grid
and for zones outside the raster or empty; a stack is one batch whatever the budget (its
part is kept for every step). The grids have whole-number coordinates, so every batch
window's coverage is the same to the last bit as the whole window's.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import Polygon, box

import sahel_geo.analysis._zonal_setup as zonal_setup
from sahel_geo.analysis.zonal import CellRules, zonal_stats
from sahel_geo.core.raster import Raster

STATS = [
    "count",
    "sum",
    "mean",
    "std",
    "nodata",
    "nodata_frac",
    "area_km2",
    "coverage_area",
    "min",
    "max",
    "median",
    "percentile_90",
    "majority",
    "minority",
    "variety",
    "unique",
    "frac",
    "min_center_x",
    "max_center_y",
]
WEIGHTED = ["weighted_mean", "weighted_sum", "weights_nodata_frac", "weighted_std"]


def spread(values, coverage):
    """A user statistic: coverage-weighted range."""
    return float(values.max() - values.min()) * float(coverage.sum())


def _zones() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    geoms = []
    for _ in range(14):
        x, y = rng.uniform(0.3, 17.0), rng.uniform(0.3, 11.0)
        w, h = rng.uniform(0.4, 4.0), rng.uniform(0.4, 3.0)
        geoms.append(Polygon([(x, y), (x + w, y + 0.3 * h), (x + 0.6 * w, y + h), (x, y)]))
    geoms += [
        box(30, 30, 31, 31),
        Polygon(),
        box(2.25, 2.25, 9.75, 7.5).difference(box(4, 4, 6, 6)),
    ]
    return gpd.GeoDataFrame(
        {"pcode": [f"Z{i:02d}" for i in range(len(geoms))]}, geometry=geoms, crs=4326
    )


def _raster(steps: int = 1) -> Raster:
    rng = np.random.default_rng(11)
    v = rng.integers(0, 6, (steps, 12, 20)).astype(np.float32)
    v[rng.random(v.shape) < 0.05] = -9999
    v[0, 3, 4] = np.nan
    times = pd.date_range("2020-01-01", periods=steps, freq="MS") if steps > 1 else None
    return Raster.from_array(
        v if steps > 1 else v[0],
        transform=Affine(1, 0, 0, 0, -1, 12),
        crs="EPSG:4326",
        nodata=-9999,
        times=times,
    )


def _weights(k: int) -> Raster:
    rng = np.random.default_rng(5)
    w = rng.gamma(0.5, 40.0, (12 * k, 20 * k)).astype(np.float32)
    w[0, :3] = -1
    return Raster.from_array(
        w, transform=Affine(1 / k, 0, 0, 0, -1 / k, 12), crs="EPSG:4326", nodata=-1
    )


def _both(monkeypatch: pytest.MonkeyPatch, **kw) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The answers with one batch of all zones, and with one zone a batch."""
    with pytest.warns(Warning):
        one = zonal_stats(_zones(), **kw)
    monkeypatch.setattr(zonal_setup, "_BATCH_BYTES", 1)
    with pytest.warns(Warning):
        many = zonal_stats(_zones(), **kw)
    return one, many


def test_batches_of_one_zone_equal_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    one, many = _both(monkeypatch, raster=_raster(), stats=[*STATS, spread])
    pd.testing.assert_frame_equal(many, one, rtol=1e-13)
    assert one.loc["Z14", "count"] == 0 and np.isnan(one.loc["Z15", "mean"])


@pytest.mark.parametrize("k", [1, 4])
def test_batches_with_weights_equal_one_batch(monkeypatch: pytest.MonkeyPatch, k: int) -> None:
    stats = ["count", "mean", *WEIGHTED, "weighted_frac"]
    one, many = _both(monkeypatch, raster=_raster(), stats=stats, weights=_weights(k))
    pd.testing.assert_frame_equal(many, one, rtol=1e-13)


def test_batches_of_a_stack_equal_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = CellRules(min_coverage_frac=0.2, default_value=7.0)
    one, many = _both(
        monkeypatch, raster=_raster(steps=3), stats=["count", "mean", "median", "frac"], rules=rules
    )
    pd.testing.assert_frame_equal(many, one, rtol=1e-13)
    assert len(one) == 3 * len(_zones())


def test_batches_split_and_cover_every_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zonal_setup, "_BATCH_BYTES", 1)
    zones = _zones()
    geoms = np.asarray(zones.geometry.array, dtype=object)
    batches = zonal_setup._batches(geoms, _raster(), (1, 1), (1, 1))
    seen = np.sort(np.concatenate([z for z, _ in batches]))
    assert seen.tolist() == list(range(len(zones)))  # each zone in exactly one batch
    assert len(batches) == len(zones) - 2  # outside and empty zones join the first
    for _, (r0, r1, c0, c1) in batches:
        assert 0 <= r0 <= r1 <= 12 and 0 <= c0 <= c1 <= 20


def test_quantiles_when_the_last_zone_has_no_cells() -> None:
    # before: IndexError (the empty last zone's start was one past the cells)
    r = Raster.from_array(
        np.arange(16.0).reshape(4, 4), transform=Affine(1, 0, 0, 0, -1, 4), crs="EPSG:4326"
    )
    z = gpd.GeoDataFrame({"pcode": ["A", "B"]}, geometry=[box(0, 0, 2, 2), Polygon()], crs=4326)
    with pytest.warns(Warning):
        out = zonal_stats(z, r, stats=["median", "percentile_25"])
    assert out.loc["A"].tolist() == [10.5, 8.75]  # cells 8, 9, 12, 13
    assert out.loc["B"].isna().all()


@pytest.mark.parametrize("k", [1, 4])
def test_weights_partly_outside_equal_weights_with_nodata_there(k: int) -> None:
    full = _weights(k).values.copy()
    full[: 2 * k] = -1  # the top two rows and left three columns: nodata ...
    full[:, : 3 * k] = -1
    whole = Raster.from_array(
        full, transform=Affine(1 / k, 0, 0, 0, -1 / k, 12), crs="EPSG:4326", nodata=-1
    )
    part = Raster.from_array(  # ... or outside the weights raster
        full[2 * k :, 3 * k :], transform=Affine(1 / k, 0, 3, 0, -1 / k, 10), crs="EPSG:4326"
    )
    stats = ["weighted_mean", "weighted_sum", "weights_nodata_frac", "weighted_frac"]
    with pytest.warns(Warning):
        a = zonal_stats(_zones(), _raster(), stats=stats, weights=whole)
    with pytest.warns(Warning):
        b = zonal_stats(_zones(), _raster(), stats=stats, weights=part)
    pd.testing.assert_frame_equal(b, a, rtol=1e-13)
    assert (a["weights_nodata_frac"] > 0).any()
