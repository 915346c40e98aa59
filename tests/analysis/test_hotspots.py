from __future__ import annotations

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pytest
import shapely

from sahel_geo.analysis.grid import PRIOGRID, make_grid
from sahel_geo.analysis.hotspots import (
    EHSA_CATEGORIES,
    _classify,
    _directed_p,
    _perm_larger,
    _with_self,
    emerging_hotspots,
    fdr_bh,
    getis_ord,
    mann_kendall,
)
from sahel_geo.analysis.weights import spatial_weights
from sahel_geo.core.errors import SahelGeoWarning, SchemaError


@pytest.fixture(scope="module")
def cells() -> gpd.GeoDataFrame:
    return make_grid((0.0, 10.0, 4.0, 14.0), spec=PRIOGRID)  # 8 x 8


@pytest.fixture(scope="module")
def y(cells: gpd.GeoDataFrame) -> np.ndarray:
    rng = np.random.default_rng(42)
    v = rng.poisson(3, len(cells)).astype(float)
    v[:10] += 15  # a hot corner
    return v


def _libpysal_w(cells: gpd.GeoDataFrame, weights: object) -> libpysal.weights.W:
    return libpysal.weights.WSP(spatial_weights(cells, weights)).to_W(silence_warnings=True)


def test_queen_and_rook_equal_libpysal(cells: gpd.GeoDataFrame) -> None:
    for ours, theirs in (("queen", libpysal.weights.Queen), ("rook", libpysal.weights.Rook)):
        w = spatial_weights(cells, ours).toarray()
        ref = theirs.from_dataframe(cells, use_index=False, silence_warnings=True).full()[0]
        assert (w == ref).all()


@pytest.mark.parametrize("transform", ["B", "R"])
@pytest.mark.parametrize("weights", ["queen", 120.0])
def test_gi_star_analytic_equals_esda(
    cells: gpd.GeoDataFrame, y: np.ndarray, transform: str, weights: object
) -> None:
    res = getis_ord(cells, y, weights=weights, transform=transform, permutations=0)  # type: ignore[arg-type]
    star = True if transform == "B" else 1.0  # binary self-weight, then row-standardised
    ref = esda.G_Local(
        y, _libpysal_w(cells, weights), transform=transform, star=star, permutations=0
    )
    t = res.table
    np.testing.assert_allclose(t["gi"], ref.Gs, rtol=1e-12)
    np.testing.assert_allclose(t["expected"], ref.EGs, rtol=1e-12)
    np.testing.assert_allclose(t["variance"], ref.VGs, rtol=1e-12)
    np.testing.assert_allclose(t["z"], ref.Zs, rtol=1e-10)
    np.testing.assert_allclose(t["p_norm"], ref.p_norm, rtol=1e-10)


def test_gi_star_permutations_equal_esda_with_same_draws(
    cells: gpd.GeoDataFrame, y: np.ndarray
) -> None:
    perms, seed = 199, 7
    wlp = _libpysal_w(cells, "queen")
    ref = esda.G_Local(y, wlp, transform="B", star=True, permutations=perms, seed=seed, n_jobs=1)
    w = spatial_weights(cells, "queen")
    kmax = int(np.diff(w.indptr).max())
    np.random.seed(seed)  # esda.crand.vec_permutations, without numba  # noqa: NPY002 (the reference library uses the legacy global RNG)
    ids = np.empty((perms, kmax), dtype=np.int64)
    for k in range(perms):
        ids[k] = np.random.choice(len(y) - 1, size=kmax, replace=False)  # noqa: NPY002 (the reference library uses the legacy global RNG)
    ws = _with_self(w, "B")
    g = (ws @ y) / y.sum()
    p = _directed_p(_perm_larger(y, ws, g, ids), perms)
    np.testing.assert_allclose(p, ref.p_sim)


def test_gi_star_permutations_statistically_like_esda(
    cells: gpd.GeoDataFrame, y: np.ndarray
) -> None:
    res = getis_ord(cells, y, permutations=999, seed=3)
    ref = esda.G_Local(
        y, _libpysal_w(cells, "queen"), transform="B", star=True, permutations=999, seed=3, n_jobs=1
    )
    diff = np.abs(res.table["p_sim"].to_numpy() - ref.p_sim)
    assert diff.max() < 0.06
    assert np.corrcoef(res.table["p_sim"], ref.p_sim)[0, 1] > 0.98
    # deterministic with a seed
    again = getis_ord(cells, y, permutations=999, seed=3)
    assert again.table["p_sim"].equals(res.table["p_sim"])
    raw = getis_ord(cells, y, permutations=999, seed=3, fdr=False)
    assert raw.table["cluster"].iloc[:2].tolist() == ["hot", "hot"]
    assert "GetisOrd" in repr(res) and "<p>" in res._repr_html_()


def test_fdr_matches_esda_cutoff() -> None:
    rng = np.random.default_rng(1)
    p = np.concatenate([rng.uniform(0, 0.01, 20), rng.uniform(0, 1, 200)])
    q = fdr_bh(p)
    cutoff = esda.fdr(p, 0.05)
    assert set(np.flatnonzero(q <= 0.05)) == set(np.flatnonzero(p <= cutoff))
    assert fdr_bh([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.04, 0.04])
    assert np.isnan(fdr_bh([np.nan, 0.5])[0])


def test_island_and_bad_inputs(cells: gpd.GeoDataFrame, y: np.ndarray) -> None:
    far = gpd.GeoDataFrame(geometry=[shapely.box(40, 40, 41, 41)], crs="EPSG:4326")
    zones = gpd.GeoDataFrame(
        {"cell_id": [*cells["cell_id"], 0]},
        geometry=list(cells.geometry) + list(far.geometry),
        crs="EPSG:4326",
    )
    vals = np.append(y, 5.0)
    res = getis_ord(zones, vals, permutations=99, seed=1)
    with pytest.warns(UserWarning, match="not fully connected"):  # libpysal's own warning
        ref = esda.G_Local(
            vals, _libpysal_w(zones, "queen"), transform="B", star=True, permutations=0
        )
    np.testing.assert_allclose(res.table["z"], ref.Zs, rtol=1e-10)
    assert np.isfinite(res.table["p_sim"].iloc[-1])
    with pytest.warns(SahelGeoWarning, match="constant"):
        out = getis_ord(cells, np.ones(len(cells)), permutations=0)
    assert out.table["z"].isna().all() and (out.table["cluster"] == "").all()
    with pytest.raises(SchemaError, match="entries"):
        getis_ord(cells, y[:-1])
    with pytest.raises(SchemaError, match="at least 2"):
        getis_ord(cells.iloc[:1], y[:1])
    with pytest.raises(SchemaError, match="queen"):
        getis_ord(cells, y, weights="bishop")


def test_mann_kendall_exact() -> None:
    mk = mann_kendall([[1, 3, 2, 4], [4, 3, 2, 1], [1, 1, 1, 1]])
    assert mk["s"].tolist() == [4, -6, 0]
    assert mk["var_s"].iloc[0] == pytest.approx(4 * 3 * 13 / 18)
    assert mk["z"].iloc[0] == pytest.approx(3 / np.sqrt(4 * 3 * 13 / 18))
    assert mk["var_s"].iloc[2] == 0 and mk["z"].iloc[2] == 0
    # ties: [1, 1, 2]: S = 2, var = (3*2*11 - 2*1*9) / 18
    mk2 = mann_kendall([[1, 1, 2]])
    assert mk2["s"].iloc[0] == 2 and mk2["var_s"].iloc[0] == pytest.approx((66 - 18) / 18)


def _row(s: str) -> list[int]:
    return [{"H": 1, "C": -1, ".": 0}[c] for c in s]


@pytest.mark.parametrize(
    ("bins", "trend", "expected"),
    [
        ("..........H", 0, "new hot spot"),
        ("........HHH", 0, "consecutive hot spot"),
        ("HHHHHHHHHHH", 1, "intensifying hot spot"),
        ("HHHHHHHHHHH", 0, "persistent hot spot"),
        ("HHHHHHHHHHH", -1, "diminishing hot spot"),
        ("..H..H....H", 0, "sporadic hot spot"),
        ("..C..H....H", 0, "oscillating hot spot"),
        ("HHHHHHHHHH.", 0, "historical hot spot"),
        ("..........C", 0, "new cold spot"),
        ("........CCC", 0, "consecutive cold spot"),
        ("CCCCCCCCCCC", -1, "intensifying cold spot"),
        ("CCCCCCCCCCC", 0, "persistent cold spot"),
        ("CCCCCCCCCCC", 1, "diminishing cold spot"),
        ("C...C.....C", 0, "sporadic cold spot"),
        ("H...C.....C", 0, "oscillating cold spot"),
        ("CCCCCCCCCC.", 0, "historical cold spot"),
        ("...........", 0, "no pattern detected"),
        ("HHHHHHHHHHC", 0, "new cold spot"),  # final bin decides before history
    ],
)
def test_ehsa_categories(bins: str, trend: int, expected: str) -> None:
    sig = np.array([_row(bins)], dtype=np.int8)
    assert _classify(sig, np.array([trend], dtype=np.int8), 0.9)[0] == expected
    assert expected in EHSA_CATEGORIES


def test_ehsa_17_categories_listed() -> None:
    assert len(EHSA_CATEGORIES) == 17 and len(set(EHSA_CATEGORIES)) == 17


def test_emerging_hotspots_end_to_end_and_gi_per_bin_equals_esda(cells: gpd.GeoDataFrame) -> None:
    rng = np.random.default_rng(5)
    counts = rng.poisson(2, (len(cells), 12)).astype(float)
    counts[:4, 4:] += np.arange(8) * 4  # growing hot corner
    res = emerging_hotspots(cells, counts, fdr=True)
    wlp = _libpysal_w(cells, "queen")
    for k in (0, 11):
        ref = esda.G_Local(counts[:, k], wlp, transform="B", star=True, permutations=0)
        np.testing.assert_allclose(res.z.iloc[:, k], ref.Zs, rtol=1e-10)
    cats = res.categories
    assert set(cats["category"]) <= set(EHSA_CATEGORIES)
    assert cats["category"].iloc[0].endswith("hot spot")
    assert "EmergingHotSpots" in repr(res)
    # periods with no events: an all-zero bin is not significant anywhere
    counts[:, 3] = 0
    res0 = emerging_hotspots(cells, counts)
    assert (res0.significance.iloc[:, 3] == 0).all()
    with pytest.raises(SchemaError):
        emerging_hotspots(cells, counts[:, :1])


def test_emerging_hotspots_time_step_equals_esda_on_the_cube(cells: gpd.GeoDataFrame) -> None:
    rng = np.random.default_rng(8)
    n, t, k = len(cells), 6, 2
    counts = rng.poisson(3, (n, t)).astype(float)
    counts[:4, 3:] += 12
    res = emerging_hotspots(cells, counts, fdr=False, time_step=k)
    # reference: esda's Gi* on the flattened cube (index t * n + i) with the same
    # space-time neighbours (spatial neighbours and self, in bins t-k .. t)
    ws = spatial_weights(cells, "queen")
    neighbours: dict[int, list[int]] = {}
    for b in range(t):
        for i in range(n):
            cols = set(ws[i].indices.tolist()) | {i}
            neighbours[b * n + i] = sorted(
                s * n + j
                for s in range(max(0, b - k), b + 1)
                for j in cols
                if s * n + j != b * n + i
            )
    wlp = libpysal.weights.W(neighbours, silence_warnings=True)
    ref = esda.G_Local(counts.T.ravel(), wlp, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(res.z.to_numpy().T.ravel(), ref.Zs, rtol=1e-10)
    # time_step=0 is the per-bin analysis
    base = emerging_hotspots(cells, counts, fdr=False)
    np.testing.assert_allclose(
        base.z.to_numpy(), emerging_hotspots(cells, counts, fdr=False, time_step=0).z.to_numpy()
    )
    for bad in (-1, t, 1.5, True):
        with pytest.raises(SchemaError, match="time_step"):
            emerging_hotspots(cells, counts, time_step=bad)  # type: ignore[arg-type]
