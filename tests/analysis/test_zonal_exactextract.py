"""Issue 14: exactextract's statistics and options in zonal_stats, checked by hand and
against exactextract itself (tiny rasters, random zones, the shared WorldPop raster)."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from shapely.geometry import box

from sahel_geo import NodataWarning, SchemaError
from sahel_geo.analysis.zonal import CellRules, cell_areas_km2, zonal_cells, zonal_stats
from sahel_geo.core.raster import Raster

ee = pytest.importorskip("exactextract")
from exactextract.raster import NumPyRasterSource  # noqa: E402

WKT = rasterio.crs.CRS.from_epsg(4326).to_wkt()
T4 = Affine(1, 0, 0, 0, -1, 4)
# 4 x 4 unit cells, x 0..4, y 0..4; -1 is nodata (bottom-right cell)
CLASSES = np.array([[1, 2, 2, 3], [1, 1, 4, 4], [5, 5, 5, 6], [7, 7, 8, -1]], dtype=float)
# box(0.5, 0.5, 4, 3.5) covers the cells by
#   row 0: 0.25 0.5 0.5 0.5      values 1 2 2 3
#   row 1: 0.5  1   1   1               1 1 4 4
#   row 2: 0.5  1   1   1               5 5 5 6
#   row 3: 0.25 0.5 0.5 0.5(nodata)     7 7 8 -
# weight per value: 1: 0.25+0.5+1 = 1.75, 2: 1.0, 3: 0.5, 4: 2.0, 5: 2.5, 6: 1.0,
# 7: 0.75, 8: 0.5 -> count 10, sum 41, sum of c x^2 209.5
ZONE = box(0.5, 0.5, 4, 3.5)


def _r(values, *, nodata=-1.0, transform=T4):
    return Raster.from_array(values, transform=transform, crs="EPSG:4326", nodata=nodata)


def _z(*geoms):
    return gpd.GeoDataFrame(
        {"pcode": [f"Z{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=4326
    )


def _src(v, tr, nodata):
    h, w = v.shape
    return NumPyRasterSource(
        v,
        xmin=tr.c,
        ymin=tr.f + tr.e * h,
        xmax=tr.c + tr.a * w,
        ymax=tr.f,
        nodata=nodata,
        srs_wkt=WKT,
    )


def _ee(v, tr, nodata, z, ops, **kw):
    return ee.exact_extract(
        _src(v, tr, nodata), z, ops, include_cols=["pcode"], output="pandas", **kw
    ).set_index("pcode")


def _ee_frac(ref_frac, ref_unique, cats):
    """exactextract's frac lists (in no set order) as a wide (zones x cats) array."""
    out = np.zeros((len(ref_frac), len(cats)))
    for i, (f, u) in enumerate(zip(ref_frac, ref_unique, strict=True)):
        out[i, np.searchsorted(cats, np.asarray(u, dtype=float))] = f
    return out


def test_categorical_statistics_by_hand():
    out = zonal_stats(
        _z(ZONE),
        _r(CLASSES),
        stats=["count", "frac", "unique", "variety", "minority", "majority", "mode", "range"],
    ).loc["Z0"]
    # shares: the weights per value above over count 10
    expect = {1: 0.175, 2: 0.1, 3: 0.05, 4: 0.2, 5: 0.25, 6: 0.1, 7: 0.075, 8: 0.05}
    assert [c for c in out.index if c.startswith("frac_")] == [f"frac_{k}" for k in expect]
    for k, share in expect.items():
        assert out[f"frac_{k}"] == pytest.approx(share, abs=1e-15)
    assert out["unique"] == (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0)
    assert out["variety"] == 8
    assert out["minority"] == 3  # 3 and 8 both weigh 0.5: the smaller value
    assert out["majority"] == out["mode"] == 5  # 2.5
    assert out["range"] == 8 - 1


def test_nodata_nan_locations_variance_by_hand():
    v = CLASSES.copy()
    v[0, 3] = np.nan  # value 3 (covered 0.5) becomes NaN
    out = zonal_stats(
        _z(ZONE),
        _r(v),
        stats=[
            "count",
            "nodata",
            "nan",
            "nodata_frac",
            "min_center_x",
            "min_center_y",
            "max_center_x",
            "max_center_y",
        ],
    ).loc["Z0"]
    assert out["count"] == 9.5
    assert out["nodata"] == 1.0  # the -1 cell (0.5) and the NaN cell (0.5)
    assert out["nan"] == 0.5
    assert out["nodata_frac"] == 1.0 / 10.5
    # min 1 first met (row-major) in cell (0, 0): centre (0.5, 3.5); max 8 in (3, 2)
    assert (out["min_center_x"], out["min_center_y"]) == (0.5, 3.5)
    assert (out["max_center_x"], out["max_center_y"]) == (2.5, 0.5)
    var = zonal_stats(_z(ZONE), _r(CLASSES), stats=["variance", "std", "stdev"]).loc["Z0"]
    # 209.5 / 10 - 4.1^2 = 4.14
    assert var["variance"] == pytest.approx(4.14, rel=1e-12)
    assert var["std"] == var["stdev"] == pytest.approx(np.sqrt(4.14), rel=1e-12)


def test_cell_rules_by_hand():
    r, z = _r(CLASSES), _z(ZONE)
    half = zonal_stats(z, r, stats=["count", "sum"], rules=CellRules(min_coverage_frac=0.5))
    # the two 0.25 cells (values 1 and 7) drop out; cells covered exactly 0.5 stay
    assert half.loc["Z0"].tolist() == [9.5, 41 - 0.25 - 7 * 0.25]
    full = zonal_stats(z, r, stats=["count"], rules=CellRules(min_coverage_frac=1.0))
    assert full.loc["Z0", "count"] == 6.0
    filled = zonal_stats(
        z, r, stats=["count", "mean", "nodata_frac"], rules=CellRules(default_value=3)
    )
    # the nodata cell (0.5) counts as a 3: (41 + 1.5) / 10.5
    assert filled.loc["Z0", "count"] == 10.5
    assert filled.loc["Z0", "mean"] == pytest.approx(42.5 / 10.5, rel=1e-15)
    assert filled.loc["Z0", "nodata_frac"] == 0.0
    w = np.ones((4, 4))
    w[0, 1] = -5  # nodata weight on value 2 (covered 0.5)
    wr = _r(w, nodata=-5)
    kept = zonal_stats(z, r, stats=["weighted_mean"], weights=wr, rules=CellRules(default_weight=2))
    # (41 + 0.5 * 2 * 2 - 0.5 * 2) / (10 + 0.5) = 42 / 10.5 = 4
    assert kept.loc["Z0", "weighted_mean"] == pytest.approx(4.0, rel=1e-15)
    with pytest.raises(SchemaError, match="min_coverage_frac"):
        CellRules(min_coverage_frac=1.5)


def test_coverage_area_by_hand():
    out = zonal_stats(_z(ZONE), _r(CLASSES), stats=["coverage_area", "area_km2"]).loc["Z0"]
    a = cell_areas_km2(_r(CLASSES))  # one area per row
    # data cells only: row 3 loses its nodata cell (0.5 of it)
    cover_rows = np.array([1.75, 3.5, 3.5, 1.25])
    assert out["coverage_area"] == pytest.approx((cover_rows * a).sum(), rel=1e-12)
    assert out["area_km2"] == pytest.approx(out["coverage_area"] + 0.5 * a[3], rel=1e-12)


def test_user_statistics_by_hand():
    def cov_sum(values, coverage):
        return float((values * coverage).sum())

    def top(values, coverage, weights):
        return float(values[np.argmax(weights)])

    w = np.arange(16.0).reshape(4, 4)
    with pytest.warns(NodataWarning, match="Z1"):
        out = zonal_stats(
            _z(ZONE, box(10, 10, 11, 11)),
            _r(CLASSES),
            stats=["mean", cov_sum, top],
            weights=_r(w),
        )
    assert out.columns.tolist() == ["mean", "cov_sum", "top"]
    assert out.loc["Z0", "cov_sum"] == 41.0
    assert out.loc["Z0", "top"] == 8.0  # heaviest weight with data: 14, value 8
    assert np.isnan(out.loc["Z1", "cov_sum"])  # no cells: not called
    with pytest.raises(SchemaError, match="name"):
        zonal_stats(_z(ZONE), _r(CLASSES), stats=[lambda v, c: 0.0])
    with pytest.raises(SchemaError, match="weights"):
        zonal_stats(_z(ZONE), _r(CLASSES), stats=[top])


# --- differential tests ----------------------------------------------------------------


def _random_zones(n, seed, bounds=(0.3, 0.3, 11.7, 7.7)):
    rng = np.random.default_rng(seed)
    pts = shapely.points(rng.uniform(bounds[0], bounds[2], n), rng.uniform(bounds[1], bounds[3], n))
    polys = shapely.buffer(pts, rng.uniform(0.05, 2.5, n), quad_segs=rng.integers(2, 12))
    return gpd.GeoDataFrame({"pcode": [f"P{i:03d}" for i in range(n)]}, geometry=polys, crs=4326)


TR = Affine(0.1, 0, 0, 0, -0.1, 8)


def _classes(seed):
    rng = np.random.default_rng(seed)
    v = rng.integers(0, 10, (80, 120)).astype(np.int32)
    v[rng.random(v.shape) < 0.05] = -1
    return v


def test_categorical_matches_exactextract():
    v = _classes(1)
    z = _random_zones(60, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NodataWarning)  # zones wholly on nodata
        ours = zonal_stats(
            z,
            _r(v, transform=TR),
            stats=["frac", "variety", "minority", "majority", "unique", "min", "max"],
        )
    ref = _ee(v, TR, -1, z, ["frac", "unique", "variety", "minority", "majority", "min", "max"])
    cats = np.arange(10.0)
    fr = ours[[f"frac_{k}" for k in range(10)]].to_numpy()
    np.testing.assert_allclose(fr, _ee_frac(ref["frac"], ref["unique"], cats), atol=1e-12)
    for col in ["variety", "minority", "majority", "min", "max"]:
        np.testing.assert_array_equal(ours[col], ref[col].astype(float), err_msg=col)
    for got, want in zip(ours["unique"], ref["unique"], strict=True):
        assert got == tuple(sorted(int(x) for x in want))


def test_weighted_frac_variance_and_locations_match_exactextract():
    v = _classes(3).astype(np.float64)
    rng = np.random.default_rng(4)
    w = rng.uniform(0, 50, v.shape)
    z = _random_zones(50, seed=5)
    names = ["weighted_frac", "weighted_stdev", "weighted_variance", "variance", "stdev"]
    names += ["min_center_x", "min_center_y", "max_center_x", "max_center_y", "range"]
    ours = zonal_stats(z, _r(v, transform=TR), stats=names, weights=_r(w, transform=TR))
    ref = ee.exact_extract(
        _src(v, TR, -1),
        z,
        [
            *("weighted_frac", "unique", "weighted_stdev", "weighted_variance", "variance"),
            *("stdev", "min_center_x", "min_center_y", "max_center_x", "max_center_y"),
            *("min", "max"),
        ],
        weights=_src(w, TR, None),
        include_cols=["pcode"],
        output="pandas",
    ).set_index("pcode")
    fr = ours[[f"weighted_frac_{k}" for k in range(10)]].to_numpy()
    wide = _ee_frac(ref["weighted_frac"], ref["unique"], np.arange(10.0))
    np.testing.assert_allclose(fr, wide, atol=1e-12)
    for col in ["weighted_stdev", "weighted_variance", "variance", "stdev"]:
        np.testing.assert_allclose(ours[col], ref[col], rtol=1e-6, err_msg=col)
    for col in ["min_center_x", "min_center_y", "max_center_x", "max_center_y"]:
        np.testing.assert_allclose(ours[col], ref[col], rtol=1e-12, err_msg=col)
    np.testing.assert_array_equal(ours["range"], ref["max"] - ref["min"])


@pytest.mark.parametrize("frac", [0.0, 0.3, 0.5, 1.0])
def test_min_coverage_frac_matches_exactextract(frac):
    rng = np.random.default_rng(6)
    v = rng.normal(10, 3, (80, 120))
    v[rng.random(v.shape) < 0.05] = -999.0
    z = _random_zones(40, seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NodataWarning)  # frac=1: small zones have no cell
        ours = zonal_stats(
            z,
            _r(v, nodata=-999.0, transform=TR),
            stats=["count", "sum", "mean", "min", "median", "frac"],
            rules=CellRules(min_coverage_frac=frac),
        )
    ops = [f"{s}(min_coverage_frac={frac})" for s in ["count", "sum", "mean", "min", "median"]]
    ref = _ee(v, TR, -999.0, z, ops)
    ref.columns = ["count", "sum", "mean", "min", "median"]
    np.testing.assert_allclose(ours["count"], ref["count"], rtol=1e-8)
    has = ours["count"] > 0
    np.testing.assert_allclose(
        ours.loc[has, ["sum", "mean"]], ref.loc[has, ["sum", "mean"]], rtol=1e-8
    )
    np.testing.assert_array_equal(ours.loc[has, "min"], ref.loc[has, "min"])
    np.testing.assert_allclose(ours.loc[has, "median"], ref.loc[has, "median"], rtol=2e-7)


def test_default_value_and_weight_match_exactextract():
    rng = np.random.default_rng(8)
    v = rng.integers(1, 6, (80, 120)).astype(np.float64)
    v[rng.random(v.shape) < 0.1] = -1
    w = rng.uniform(1, 9, v.shape)
    w[rng.random(v.shape) < 0.1] = -7
    z = _random_zones(40, seed=9)
    rules = CellRules(default_value=4.0, default_weight=0.5)
    ours = zonal_stats(
        z,
        _r(v, transform=TR),
        stats=["count", "mean", "weighted_mean", "weighted_sum", "majority", "frac"],
        weights=_r(w, nodata=-7, transform=TR),
        rules=rules,
    )
    ops = ["count", "mean", "weighted_mean", "weighted_sum", "majority", "frac", "unique"]
    ref = ee.exact_extract(
        _src(v, TR, -1),
        z,
        [f"{s}(default_value=4,default_weight=0.5)" for s in ops],
        weights=_src(w, TR, -7),
        include_cols=["pcode"],
        output="pandas",
    ).set_index("pcode")
    for col in ["count", "mean", "weighted_mean", "weighted_sum"]:
        np.testing.assert_allclose(ours[col], ref[col], rtol=1e-6, err_msg=col)
    np.testing.assert_array_equal(ours["majority"], ref["majority"])
    fr = ours[[f"frac_{k}" for k in range(1, 6)]].to_numpy()
    np.testing.assert_allclose(
        fr, _ee_frac(ref["frac"], ref["unique"], np.arange(1.0, 6)), atol=1e-7
    )


def test_user_statistic_matches_exactextract():
    rng = np.random.default_rng(10)
    v = rng.normal(10, 3, (80, 120))
    w = rng.uniform(0, 5, v.shape)
    z = _random_zones(30, seed=11)

    def cw_mean(values, coverage, weights):
        return float(np.sum(values * coverage * weights) / np.sum(coverage * weights))

    def spread(values, coverage):
        return float(np.max(values) - np.min(values))

    ours = zonal_stats(z, _r(v, transform=TR), stats=[cw_mean, spread], weights=_r(w, transform=TR))
    ref = ee.exact_extract(
        _src(v, TR, None),
        z,
        [cw_mean, spread],
        weights=_src(w, TR, None),
        include_cols=["pcode"],
        output="pandas",
    ).set_index("pcode")
    np.testing.assert_allclose(ours["cw_mean"], ref["cw_mean"], rtol=1e-6)
    np.testing.assert_array_equal(ours["spread"], ref["spread"])


def _admin1(shared_data):
    z = pd.concat(
        [
            gpd.read_file(shared_data / "boundaries" / f"ne10m_admin1_{c}.geojson")
            for c in ("mli", "ner", "bfa")
        ],
        ignore_index=True,
    )
    z["pcode"] = z["adm1_code"]
    return z


def test_worldpop_classes_and_rules_match_exactextract(shared_data):
    path = shared_data / "rasters" / "worldpop_africa_2020_10min.tif"
    with rasterio.open(path) as src:
        pop, tr, nodata, crs = src.read(1), src.transform, src.nodata, src.crs
    # ten population classes (deciles of the populated cells), nodata kept
    ok = pop != nodata
    edges = np.quantile(pop[ok & (pop > 0)], np.linspace(0.1, 0.9, 9))
    cls = np.where(ok, np.searchsorted(edges, pop), -1).astype(np.int32)
    z = _admin1(shared_data).to_crs(crs.to_wkt())
    r = Raster.from_array(cls, transform=tr, crs=crs.to_wkt(), nodata=-1)
    names = ["frac", "variety", "majority", "minority", "min_center_x", "max_center_y"]
    ours = zonal_stats(z, r, stats=names)
    ref = _ee(cls, tr, -1, z, ["frac", "unique", *names[1:]])
    wide = _ee_frac(ref["frac"], ref["unique"], np.arange(10.0))
    np.testing.assert_allclose(ours[[f"frac_{k}" for k in range(10)]], wide, atol=1e-9)
    for col in names[1:]:
        np.testing.assert_allclose(ours[col], ref[col].astype(float), rtol=1e-12, err_msg=col)
    rp = Raster.from_array(pop, transform=tr, crs=crs.to_wkt(), nodata=nodata)
    ours = zonal_stats(
        z,
        rp,
        stats=["count", "sum", "coverage_area"],
        rules=CellRules(min_coverage_frac=0.5),
    )
    p64 = pop.astype(np.float64)
    ref = _ee(p64, tr, nodata, z, ["count(min_coverage_frac=0.5)", "sum(min_coverage_frac=0.5)"])
    area = _ee(
        p64, tr, nodata, z, "count(min_coverage_frac=0.5,coverage_weight=area_spherical_km2)"
    )
    np.testing.assert_allclose(ours["count"], ref.iloc[:, 0], rtol=1e-8)
    np.testing.assert_allclose(ours["sum"], ref.iloc[:, 1], rtol=1e-7)
    # ellipsoid (ours) vs exactextract's sphere of the equatorial radius, 10-25 N: -0.4..-0.6 %
    ratio = ours["coverage_area"] / area.iloc[:, 0]
    assert ((ratio > 0.993) & (ratio < 0.997)).all()


def test_zonal_cells_by_hand():
    w = np.arange(16.0).reshape(4, 4)
    z = _z(box(10, 10, 11, 11), box(2.5, 0, 4, 1))  # Z1: half of cell (3, 2), all of (3, 3)
    v = CLASSES.copy()
    v[3, 3] = 9.0
    out = zonal_cells(z, _r(v), weights=_r(w), zone="Z1")
    assert out.columns.tolist() == [
        *("pcode", "cell_id", "center_x", "center_y", "value", "weight", "coverage"),
    ]
    assert out.values.tolist() == [
        ["Z1", 14, 2.5, 0.5, 8.0, 14.0, 0.5],
        ["Z1", 15, 3.5, 0.5, 9.0, 15.0, 1.0],
    ]
    # the nodata cell is left out (as exactextract), and a cell_id counts the whole raster
    cut = zonal_cells(z, _r(CLASSES), rules=CellRules(min_coverage_frac=0.6))
    assert cut.empty
    with pytest.raises(SchemaError, match="No zone 'Z9'"):
        zonal_cells(z, _r(v), zone="Z9")


def test_zonal_cells_match_exactextract():
    rng = np.random.default_rng(12)
    v = rng.normal(10, 3, (80, 120))
    v[rng.random(v.shape) < 0.05] = -999.0
    w = rng.uniform(0, 5, v.shape)
    z = _random_zones(25, seed=13)
    ours = zonal_cells(z, _r(v, nodata=-999.0, transform=TR), weights=_r(w, transform=TR))
    ref = ee.exact_extract(
        _src(v, TR, -999.0),
        z,
        ["cell_id", "center_x", "center_y", "values", "weights", "coverage"],
        weights=_src(w, TR, None),
        include_cols=["pcode"],
        output="pandas",
    )
    ref = ref.explode(["cell_id", "center_x", "center_y", "values", "weights", "coverage"])
    ref = ref.dropna(subset=["cell_id"]).sort_values(["pcode", "cell_id"], kind="stable")
    ours = ours.sort_values(["pcode", "cell_id"], kind="stable")
    np.testing.assert_array_equal(ours["pcode"], ref["pcode"])
    np.testing.assert_array_equal(ours["cell_id"], ref["cell_id"].astype(np.int64))
    for a, b in [("center_x", "center_x"), ("center_y", "center_y"), ("value", "values")]:
        np.testing.assert_allclose(ours[a], ref[b].astype(float), rtol=1e-12, err_msg=a)
    np.testing.assert_allclose(ours["weight"], ref["weights"].astype(float), rtol=1e-12)
    np.testing.assert_allclose(ours["coverage"], ref["coverage"].astype(float), rtol=1e-7)
