"""Issue 14: weights on another grid than the values (exactextract's multi-resolution case),
checked by hand and against exactextract (nested grids directly; grids that do not align
through exactextract on their common grid)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from shapely.geometry import box

from sahel_geo import SchemaError
from sahel_geo.analysis.zonal import nest_factors, zonal_cells, zonal_stats
from sahel_geo.core.raster import Raster

ee = pytest.importorskip("exactextract")
from exactextract.raster import NumPyRasterSource  # noqa: E402

WKT = rasterio.crs.CRS.from_epsg(4326).to_wkt()
STATS = ["count", "sum", "mean", "weighted_mean", "weighted_sum", "median", "majority"]


def _r(values, tr, nodata=None):
    return Raster.from_array(
        np.asarray(values, dtype=float), transform=tr, crs="EPSG:4326", nodata=nodata
    )


def _src(v, tr, nodata=None):
    h, w = v.shape
    return NumPyRasterSource(
        np.asarray(v, dtype=float),
        xmin=tr.c,
        ymin=tr.f + tr.e * h,
        xmax=tr.c + tr.a * w,
        ymax=tr.f,
        nodata=nodata,
        srs_wkt=WKT,
    )


def _z(*geoms):
    return gpd.GeoDataFrame(
        {"pcode": [f"Z{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=4326
    )


V1 = Affine(1, 0, 0, 0, -1, 2)  # 2 x 2 cells of 1°, x 0..2, y 0..2
VALUES = np.array([[1.0, 2.0], [3.0, 4.0]])


def test_nested_weights_by_hand():
    w = np.arange(64.0).reshape(8, 8)  # 0.25° cells over the same 2° x 2°
    wr = _r(w, Affine(0.25, 0, 0, 0, -0.25, 2))
    assert nest_factors(_r(VALUES, V1), wr) == (4, 4, 1, 1)
    out = zonal_stats(_z(box(0, 1, 1, 2)), _r(VALUES, V1), stats=STATS, weights=wr)
    # the zone is value cell (0, 0) (value 1): count 1 value cell, whatever the weights;
    # weights rows 0-3, cols 0-3: 0+1+2+3 + 8+..+11 + 16+..+19 + 24+..+27 = 216
    assert out.loc["Z0", ["count", "sum", "mean"]].tolist() == [1.0, 1.0, 1.0]
    assert out.loc["Z0", "weighted_sum"] == 216.0
    assert out.loc["Z0", "weighted_mean"] == 1.0


def test_grids_that_do_not_align_by_hand():
    # weights: 0.3° cells from x 0.1, y 2.1 (their lines fall between the values')
    w = np.arange(49.0).reshape(7, 7)
    wr = _r(w, Affine(0.3, 0, 0.1, 0, -0.3, 2.1))
    assert nest_factors(_r(VALUES, V1), wr) == (10, 10, 3, 3)  # common grid 0.1°
    out = zonal_stats(
        _z(box(0, 1, 1, 2)), _r(VALUES, V1), stats=["count", "weighted_sum"], weights=wr
    )
    # x 0..0.1 lies outside the weights (left out); weights cols 0-2 cover x 0.1..1.
    # rows 0 and 3 are covered 0.2 of 0.3; rows 1 and 2 wholly:
    # (0+1+2) 2/3 + (7+8+9) + (14+15+16) + (21+22+23) 2/3 = 2 + 24 + 45 + 44 = 115
    assert out.loc["Z0", "count"] == pytest.approx(1.0, abs=1e-12)
    assert out.loc["Z0", "weighted_sum"] == pytest.approx(115.0, rel=1e-12)


def _random_zones(n, seed, bounds):
    rng = np.random.default_rng(seed)
    pts = shapely.points(rng.uniform(bounds[0], bounds[2], n), rng.uniform(bounds[1], bounds[3], n))
    polys = shapely.buffer(pts, rng.uniform(0.3, 3, n), quad_segs=rng.integers(3, 12))
    return gpd.GeoDataFrame({"pcode": [f"P{i:03d}" for i in range(n)]}, geometry=polys, crs=4326)


def _ee(vsrc, wsrc, z, ops):
    return ee.exact_extract(
        vsrc, z, ops, weights=wsrc, include_cols=["pcode"], output="pandas"
    ).set_index("pcode")


@pytest.mark.parametrize("weights_finer", [True, False])
def test_nested_grids_match_exactextract(weights_finer):
    rng = np.random.default_rng(21)
    coarse = Affine(1, 0, 0, 0, -1, 10)  # 10 x 12 cells of 1°
    fine = Affine(0.25, 0, 0, 0, -0.25, 10)  # 40 x 48 cells of 0.25°
    c = rng.integers(1, 6, (10, 12)).astype(float)
    f = rng.uniform(0, 100, (40, 48))
    f[rng.random(f.shape) < 0.03] = -1
    z = _random_zones(30, 22, (0.5, 0.5, 11.5, 9.5))
    if weights_finer:
        v, tv, w, tw, nv, nw = c, coarse, f, fine, None, -1
    else:
        v, tv, w, tw, nv, nw = f, fine, c, coarse, -1, None
    ours = zonal_stats(z, _r(v, tv, nv), stats=[*STATS, "frac"], weights=_r(w, tw, nw))
    ops = ["count", "sum", "mean", "weighted_mean(default_weight=0)"]
    ops += ["weighted_sum(default_weight=0)", "median", "majority"]
    ref = _ee(_src(v, tv, nv), _src(w, tw, nw), z, [*ops, "frac", "unique"])
    k = 16.0 if weights_finer else 1.0  # exactextract counts cells of the common grid
    np.testing.assert_allclose(ours["count"], ref["count"] / k, rtol=1e-7)
    np.testing.assert_allclose(ours["sum"], ref["sum"] / k, rtol=1e-7)
    np.testing.assert_allclose(ours["mean"], ref["mean"], rtol=1e-7)
    # weights nodata: left out by us, 0 by default_weight=0 in exactextract: same sums
    np.testing.assert_allclose(
        ours["weighted_sum"], ref.iloc[:, 4] / (1 if weights_finer else 16), rtol=1e-6
    )
    np.testing.assert_allclose(ours["weighted_mean"], ref.iloc[:, 3], rtol=1e-6)
    np.testing.assert_allclose(ours["median"], ref["median"], rtol=2e-7)
    if weights_finer:  # class values: majority is exact
        np.testing.assert_array_equal(ours["majority"], ref["majority"])
        for i, (fr, u) in enumerate(zip(ref["frac"], ref["unique"], strict=True)):
            got = ours.iloc[i][[f"frac_{int(x)}" for x in u]].to_numpy(dtype=float)
            np.testing.assert_allclose(got, fr, atol=1e-7)


def test_grids_that_do_not_align_match_exactextract_on_their_common_grid():
    # values 1° from (0, 10); weights 0.3° from (0.1, 10.1): common grid 0.1°. exactextract
    # refuses these grids ("Incompatible extents"); on the common grid (values and weights
    # repeated onto it) it gives the exact-intersection answer to compare with.
    rng = np.random.default_rng(31)
    v = rng.normal(20, 5, (10, 12))
    w = rng.uniform(0, 10, (34, 41))  # x 0.1..12.4, y 10.1..-0.1
    tv, tw = Affine(1, 0, 0, 0, -1, 10), Affine(0.3, 0, 0.1, 0, -0.3, 10.1)
    z = _random_zones(25, 32, (0.5, 0.5, 11.5, 9.5))
    ours = zonal_stats(z, _r(v, tv), stats=STATS, weights=_r(w, tw))
    tc = Affine(0.1, 0, 0, 0, -0.1, 10)
    vc = np.repeat(np.repeat(v, 10, 0), 10, 1)  # 100 x 120
    rows = np.floor((10 - (np.arange(100) + 0.5) * 0.1 - 10.1) / -0.3).astype(int)
    cols = np.floor(((np.arange(120) + 0.5) * 0.1 - 0.1) / 0.3).astype(int)
    wc = np.where(
        (cols[None, :] >= 0) & (cols[None, :] < 41), w[rows][:, np.clip(cols, 0, 40)], -5.0
    )
    ops = ["count", "sum", "mean", "weighted_mean(default_weight=0)"]
    ops += ["weighted_sum(default_weight=0)", "median", "majority"]
    ref = _ee(_src(vc, tc), _src(wc, tc, -5.0), z, ops)
    np.testing.assert_allclose(ours["count"], ref["count"] / 100, rtol=1e-7)
    np.testing.assert_allclose(ours["sum"], ref["sum"] / 100, rtol=1e-7)
    np.testing.assert_allclose(ours["mean"], ref["mean"], rtol=1e-7)
    np.testing.assert_allclose(ours["weighted_mean"], ref.iloc[:, 3], rtol=1e-6)
    # ours counts each weight once per weights cell (9 common cells)
    np.testing.assert_allclose(ours["weighted_sum"], ref.iloc[:, 4] / 9, rtol=1e-6)
    np.testing.assert_allclose(ours["median"], ref["median"], rtol=2e-7)
    np.testing.assert_array_equal(ours["majority"], ref["majority"])


def test_grids_without_common_grid_and_zonal_cells_refuse():
    wr = _r(np.ones((3, 3)), Affine(0.7071, 0, 0.013, 0, -0.7071, 2))
    with pytest.raises(SchemaError, match="no common grid"):
        zonal_stats(_z(box(0, 0, 1, 1)), _r(VALUES, V1), stats=["weighted_mean"], weights=wr)
    wr = _r(np.ones((4, 4)), Affine(0.5, 0, 0, 0, -0.5, 2))
    with pytest.raises(SchemaError, match="zonal_cells needs the weights"):
        zonal_cells(_z(box(0, 0, 1, 1)), _r(VALUES, V1), weights=wr)


def test_worldpop_weights_under_coarser_values_match_exactextract(shared_data):
    path = shared_data / "rasters" / "worldpop_africa_2020_10min.tif"
    with rasterio.open(path) as src:
        pop, tr, nodata, crs = src.read(1), src.transform, src.nodata, src.crs
    # a synthetic drought index at 3 x the population's cell size (1/2° for 10')
    h, w = pop.shape[0] // 3, pop.shape[1] // 3
    yy, xx = np.mgrid[0:h, 0:w]
    drought = np.sin(xx / 7.0) + np.cos(yy / 5.0)
    td = Affine(tr.a * 3, 0, tr.c, 0, tr.e * 3, tr.f)
    z = pd.concat(
        [
            gpd.read_file(shared_data / "boundaries" / f"ne10m_admin1_{c}.geojson")
            for c in ("mli", "ner", "bfa")
        ],
        ignore_index=True,
    )
    z["pcode"] = z["adm1_code"]
    r = Raster.from_array(drought, transform=td, crs=crs.to_wkt())
    wr = Raster.from_array(pop, transform=tr, crs=crs.to_wkt(), nodata=nodata)
    ours = zonal_stats(z, r, stats=["count", "mean", "weighted_mean", "weighted_sum"], weights=wr)
    ref = _ee(
        _src(drought, td),
        _src(pop.astype(np.float64), tr, nodata),
        z,
        ["count", "mean", "weighted_mean(default_weight=0)", "weighted_sum(default_weight=0)"],
    )
    np.testing.assert_allclose(ours["count"], ref["count"] / 9, rtol=1e-7)
    np.testing.assert_allclose(ours["mean"], ref["mean"], rtol=1e-7)
    np.testing.assert_allclose(ours["weighted_mean"], ref.iloc[:, 2], rtol=1e-6)
    np.testing.assert_allclose(ours["weighted_sum"], ref.iloc[:, 3], rtol=1e-6)
