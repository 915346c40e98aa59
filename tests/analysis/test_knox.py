from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pointpats.spacetime import Knox, KnoxLocal

from sahel_geo.analysis.knox import _global, _inputs, _local, _result, knox_local, knox_test
from sahel_geo.core.errors import EmptyResultError, SchemaError


def _events(n: int = 120, seed: int = 0, crs: str = "EPSG:32630") -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 60_000, n) + 500_000
    y = rng.uniform(0, 60_000, n) + 1_500_000
    day = rng.integers(0, 200, n)
    # a space-time cluster
    x[:15] = 510_000 + rng.normal(0, 800, 15)
    y[:15] = 1_510_000 + rng.normal(0, 800, 15)
    day[:15] = 50 + rng.integers(0, 5, 15)
    return gpd.GeoDataFrame(
        {"event_date": pd.Timestamp("2020-01-01") + pd.to_timedelta(day, unit="D")},
        geometry=gpd.points_from_xy(x, y),
        crs=crs,
    )


def _pp_inputs(ev: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    s = np.column_stack([ev.geometry.x, ev.geometry.y]) / 1000.0
    d = pd.DatetimeIndex(ev["event_date"])
    t = ((d - d.min()).days.to_numpy()).astype(float).reshape(-1, 1)
    return s, t


def test_knox_global_equals_pointpats_with_same_permutations() -> None:
    ev = _events()
    s, t = _pp_inputs(ev)
    perms, seed = 99, 11
    np.random.seed(seed)  # noqa: NPY002 (the reference library uses the legacy global RNG)
    ref = Knox(s, t, delta=5.0, tau=7.0, permutations=perms)
    np.random.seed(seed)  # noqa: NPY002 (the reference library uses the legacy global RNG)
    draws = np.array([np.random.permutation(len(ev)) for _ in range(perms)])  # noqa: NPY002 (the reference library uses the legacy global RNG)
    tt, i, j = _inputs(ev, 5.0, 7.0)
    ns, nt, nst, sims = _global(tt, i, j, 7.0, draws)
    res = _result(len(ev), ns, nt, nst, sims, 5.0, 7.0)
    assert res.statistic == ref.nst
    np.testing.assert_allclose(res.observed_table, ref.observed)
    np.testing.assert_allclose(res.expected_table, ref.expected)
    assert res.p_poisson == pytest.approx(ref.p_poisson, rel=1e-12)
    assert res.p_sim == ref.p_sim
    # the public function: same statistic, p-value close
    pub = knox_test(ev, distance_km=5.0, days=7.0, permutations=999, seed=1)
    assert pub.statistic == ref.nst and pub.p_sim < 0.01
    assert "KnoxResult" in repr(pub)


def test_knox_local_equals_pointpats_with_same_permutations() -> None:
    ev = _events(80, seed=2)
    s, t = _pp_inputs(ev)
    perms, seed = 49, 5
    np.random.seed(seed)  # noqa: NPY002 (the reference library uses the legacy global RNG)
    ref = KnoxLocal(s, t, delta=5.0, tau=7.0, permutations=perms)
    np.random.seed(seed)  # noqa: NPY002 (the reference library uses the legacy global RNG)
    _ = [np.random.permutation(len(ev)) for _ in range(perms)]  # the global step's draws  # noqa: NPY002 (the reference library uses the legacy global RNG)
    draws = np.array([np.random.permutation(len(ev)) for _ in range(perms)])  # noqa: NPY002 (the reference library uses the legacy global RNG)
    tt, i, j = _inputs(ev, 5.0, 7.0)
    loc = _local(tt, i, j, 7.0, draws)
    np.testing.assert_array_equal(loc["nst"], ref.nsti)
    np.testing.assert_allclose(loc["p_hypergeom"], ref.p_hypergeom, rtol=1e-10)
    np.testing.assert_allclose(loc["p_sim"], ref.p_sims)
    pub = knox_local(ev, distance_km=5.0, days=7.0, permutations=99, seed=3)
    assert pub.index.equals(ev.index)
    assert pub["p_sim"].iloc[:15].median() < 0.2


def test_knox_geodesic_tiny_exact() -> None:
    ev = gpd.GeoDataFrame(
        {"event_date": pd.to_datetime(["2024-01-01", "2024-01-04", "2024-01-05", "2024-06-01"])},
        # 0.04° of longitude at 14°N is about 4.3 km
        geometry=gpd.points_from_xy([0.0, 0.04, 0.2, 0.0], [14.0, 14.0, 14.0, 14.0]),
        crs="EPSG:4326",
    )
    res = knox_test(ev, distance_km=5.0, days=3.0, permutations=0)
    # space pairs: (0,1) 4.3 km, (0,3), (1,3); time pairs: (0,1) 3 d, (1,2) 1 d
    assert res.observed_table[0].tolist() == [1.0, 2.0]
    assert res.observed_table[1].tolist() == [1.0, 2.0]
    assert res.expected == pytest.approx(3 * 2 / 6)
    assert np.isnan(res.p_sim)


def test_knox_bad_inputs() -> None:
    one = _events(20).iloc[:1]
    with pytest.raises(EmptyResultError):
        knox_test(one, distance_km=1, days=1)
    with pytest.raises(SchemaError):
        knox_test(_events(20), distance_km=0, days=1)
    same = gpd.GeoDataFrame(
        {"event_date": pd.to_datetime(["2024-01-01"] * 4)},
        geometry=gpd.points_from_xy([1.0] * 4, [14.0] * 4),
        crs="EPSG:4326",
    )
    res = knox_test(same, distance_km=1, days=1, permutations=9, seed=0)
    assert res.statistic == 6 and res.p_sim == 1.0  # every pair is close: no information
