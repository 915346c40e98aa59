from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from shapely.geometry import Polygon, box

from sahel_geo import (
    CRSMismatchError,
    EmptyResultError,
    MissingCRSError,
    NodataWarning,
    SchemaError,
)
from sahel_geo.analysis._coverage import compute_coverage
from sahel_geo.analysis.zonal import CellRules, cell_areas_km2, zonal_stats
from sahel_geo.core.raster import Raster, RasterGrid

T4 = Affine(1, 0, 0, 0, -1, 4)  # 4 x 4 grid of unit cells, x 0..4, y 0..4


def _r(values, *, nodata=None, crs="EPSG:4326", transform=T4):
    return Raster.from_array(
        np.asarray(values, dtype=float), transform=transform, crs=crs, nodata=nodata
    )


def _z(*geoms, crs=4326):
    return gpd.GeoDataFrame(
        {"pcode": [f"Z{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=crs
    )


VALS = np.arange(16.0).reshape(4, 4)  # row 0 is the top (y 3..4)


def _dense(cov, z):
    g = cov.grid
    a = np.zeros((g.height, g.width))
    m = cov.run_zone == z
    for r, c0, c1, val in zip(
        cov.run_row[m], cov.run_col0[m], cov.run_col1[m], cov.run_value[m], strict=True
    ):
        a[r, c0:c1] += val
    m = cov.cell_zone == z
    a[cov.cell_row[m], cov.cell_col[m]] += cov.cell_cover[m]
    return a


def test_coverage_matches_shapely_cell_by_cell():
    rng = np.random.default_rng(3)
    polys = [
        shapely.Point(rng.uniform(-2, 14), rng.uniform(-2, 10)).buffer(rng.uniform(0.1, 5))
        for _ in range(20)
    ]
    polys.append(box(1, 1, 9, 7).difference(box(3.3, 2.2, 5.5, 4.4)))  # a hole
    polys.append(shapely.MultiPolygon([box(0.1, 0.1, 0.2, 0.3), box(10.5, 6.5, 11.9, 7.9)]))
    polys.append(Polygon([(2, 2), (2, 6), (6, 2)]).reverse())  # clockwise shell
    g = RasterGrid(0.0, 8.0, 1.0, 1.0, 8, 12)
    cov = compute_coverage(np.array(polys, dtype=object), g)
    cells = shapely.box(
        *np.meshgrid(np.arange(12.0), np.arange(8.0))[::1],
        np.meshgrid(np.arange(12.0), np.arange(8.0))[0] + 1,
        np.meshgrid(np.arange(12.0), np.arange(8.0))[1] + 1,
    )
    # rows count down from y=8: row r spans y 7-r .. 8-r
    cells = cells[::-1]
    for k, p in enumerate(polys):
        expect = shapely.area(shapely.intersection(p, cells))
        np.testing.assert_allclose(_dense(cov, k), expect, atol=1e-12)


def test_half_cell_and_subcell_polygons_exact():
    r = _r(VALS)
    z = _z(
        box(0, 3.5, 1, 4),  # half of the top-left cell (value 0)
        box(1.25, 3.25, 1.5, 3.5),  # inside cell value 1, 1/16 of it
        box(0, 0, 2, 4),  # the two left columns
        box(1.5, 2, 2.5, 3),
    )  # half of 5, half of 6
    out = zonal_stats(z, r, stats=["count", "sum", "mean", "min", "max", "area_km2"])
    assert out.loc["Z0", "count"] == 0.5
    assert out.loc["Z0", "mean"] == 0.0
    assert out.loc["Z1", "count"] == pytest.approx(1 / 16, abs=1e-15)
    assert out.loc["Z1", "mean"] == 1.0  # smaller than a cell and still a value
    assert out.loc["Z2", "count"] == 8.0
    assert out.loc["Z2", "sum"] == 0 + 1 + 4 + 5 + 8 + 9 + 12 + 13
    assert out.loc["Z3", "mean"] == 5.5
    assert (out.loc["Z3", "min"], out.loc["Z3", "max"]) == (5.0, 6.0)
    # coverage (1/2) x the true area of the cell (3..4 N, 1 degree wide)
    assert out.loc["Z0", "area_km2"] == pytest.approx(cell_areas_km2(r)[0] / 2, rel=1e-12)
    assert list(out.columns) == ["count", "sum", "mean", "min", "max", "area_km2"]
    assert out.index.name == "pcode"


def test_center_and_all_touched_on_tiny_polygons():
    r = _r(VALS)
    z = _z(box(1.25, 3.25, 1.5, 3.5), box(0.4, 2.4, 1.4, 3.4))
    with pytest.warns(NodataWarning, match="Z0"):
        c = zonal_stats(z, r, stats=["count", "mean"], coverage="center")
    assert c.loc["Z0", "count"] == 0 and np.isnan(c.loc["Z0", "mean"])
    assert c.loc["Z1", "count"] == 1 and c.loc["Z1", "mean"] == 4.0  # centre (0.5, 2.5)
    a = zonal_stats(z, r, stats=["count", "mean"], coverage="all_touched")
    assert a.loc["Z0", "count"] == 1 and a.loc["Z0", "mean"] == 1.0
    assert a.loc["Z1", "count"] == 4 and a.loc["Z1", "mean"] == (0 + 1 + 4 + 5) / 4


def test_nodata_zone_and_nodata_frac():
    v = VALS.copy()
    v[0, :2] = -9
    r = _r(v, nodata=-9)
    z = _z(box(0, 3, 2, 4), box(0, 2, 2, 4))
    with pytest.warns(NodataWarning, match=r"1 of 2 zones.*Z0"):
        out = zonal_stats(z, r, stats=["count", "mean", "min", "median", "nodata_frac"])
    assert out.loc["Z0", "count"] == 0
    assert out.loc["Z0", "nodata_frac"] == 1.0
    assert out.loc["Z0", ["mean", "min", "median"]].isna().all()
    assert out.loc["Z1", "nodata_frac"] == 0.5
    assert out.loc["Z1", "mean"] == 4.5


def test_weighted_mean_and_nodata_in_weights():
    r = _r(VALS)
    wv = np.ones((4, 4))
    wv[0, 0] = 3.0
    wv[0, 1] = -1  # nodata weight
    wr = _r(wv, nodata=-1)
    z = _z(box(0, 3, 2, 4))  # values 0 and 1
    out = zonal_stats(z, r, stats=["mean", "weighted_mean", "weights_nodata_frac"], weights=wr)
    assert out.loc["Z0", "mean"] == 0.5
    assert out.loc["Z0", "weighted_mean"] == 0.0  # the nodata-weight cell left out
    assert out.loc["Z0", "weights_nodata_frac"] == 0.5
    out = zonal_stats(
        z, r, stats=["weighted_mean"], weights=wr, rules=CellRules(default_weight=1.0)
    )
    assert out.loc["Z0", "weighted_mean"] == pytest.approx(0.25)


def test_percentiles_majority_std():
    r = _r([[1, 1, 2, 3], [1, 5, 5, 5], [0, 0, 0, 0], [0, 0, 0, 0]])
    z = _z(box(0, 2, 4, 4))
    out = zonal_stats(z, r, stats=["median", "percentile_25", "majority", "std"], coverage="center")
    vals = np.array([1, 1, 2, 3, 1, 5, 5, 5], dtype=float)
    assert out.loc["Z0", "median"] == np.median(vals)
    assert out.loc["Z0", "percentile_25"] == np.percentile(vals, 25)
    assert out.loc["Z0", "majority"] == 1.0  # 1 and 5 tie with 3 cells: rasterstats' lowest
    assert out.loc["Z0", "std"] == pytest.approx(np.std(vals), rel=1e-12)
    frac = zonal_stats(z, r, stats=["majority"])
    assert frac.loc["Z0", "majority"] == 5.0  # exactextract: ties go to the largest


def test_area_weighted_uses_true_cell_area():
    tr = Affine(10, 0, 0, 0, -10, 60)
    r = Raster.from_array(
        np.array([[1.0], [0.0], [0.0], [0.0], [0.0], [2.0]]), transform=tr, crs="EPSG:4326"
    )
    z = _z(box(0, 0, 10, 60))
    plain = zonal_stats(z, r, stats=["mean"])
    area = zonal_stats(z, r, stats=["mean", "count"], area_weighted=True)
    a = cell_areas_km2(r)
    assert plain.loc["Z0", "mean"] == pytest.approx(0.5)
    assert area.loc["Z0", "mean"] == pytest.approx((a[0] * 1 + a[5] * 2) / a.sum())
    assert area.loc["Z0", "count"] == pytest.approx(a.sum())
    assert a[0] < a[5]  # northern cells are smaller


def test_cell_areas_match_pyproj_geod():
    from pyproj import Geod

    tr = Affine(0.5, 0, 3, 0, -0.5, 25)
    r = Raster.from_array(np.zeros((40, 2)), transform=tr, crs="EPSG:4326")
    a = cell_areas_km2(r)
    geod = Geod(ellps="WGS84")
    for row in (0, 17, 39):
        y1 = 25 - 0.5 * row
        cell = shapely.segmentize(box(3, y1 - 0.5, 3.5, y1), 0.0005)  # edges ~ parallels
        ref = abs(geod.geometry_area_perimeter(cell)[0]) / 1e6
        assert a[row] == pytest.approx(ref, rel=1e-8)


def test_time_stack_index():
    stack = np.stack([VALS, VALS * 2, VALS * 3])
    times = pd.date_range("2020-01-01", periods=3, freq="MS")
    r = Raster.from_array(stack, transform=T4, crs="EPSG:4326", times=times)
    z = _z(box(0, 3, 2, 4), box(2, 0, 4, 1))
    out = zonal_stats(z, r, stats=["mean", "max"])
    assert out.index.names == ["pcode", "time"]
    assert len(out) == 6
    assert out.loc[("Z0", times[2]), "mean"] == 1.5
    assert out.loc[("Z1", times[1]), "max"] == 30.0


def test_bad_inputs():
    z = _z(box(0, 0, 1, 1))
    with pytest.raises(MissingCRSError, match="gdal_edit"):
        zonal_stats(z, _r(VALS, crs=None))
    with pytest.raises(CRSMismatchError, match=r"EPSG:4326.*EPSG:32631|EPSG:32631.*EPSG:4326"):
        zonal_stats(z.set_crs(32631, allow_override=True), _r(VALS))
    with pytest.raises(EmptyResultError, match="No zone overlaps"):
        zonal_stats(_z(box(50, 50, 51, 51)), _r(VALS))
    with pytest.warns(NodataWarning):
        zonal_stats(z, _r(np.full((4, 4), -9.0), nodata=-9))
    with pytest.raises(SchemaError, match="Unknown statistic"):
        zonal_stats(z, _r(VALS), stats=["avg"])
    with pytest.raises(SchemaError, match="weights"):
        zonal_stats(z, _r(VALS), stats=["weighted_mean"])
    with pytest.raises(SchemaError, match="unique"):
        zonal_stats(pd.concat([z, z]), _r(VALS))


def test_does_not_mutate_inputs():
    z = _z(box(0.5, 0.5, 2.5, 3.5))
    z0 = z.copy()
    v = VALS.copy()
    zonal_stats(z, _r(v), stats=["mean", "median"])
    pd.testing.assert_frame_equal(z, z0)
    np.testing.assert_array_equal(v, VALS)


# --- differential tests -----------------------------------------------------------------


def _random_zones(n, seed, bounds=(0.3, 0.3, 11.7, 7.7)):
    rng = np.random.default_rng(seed)
    pts = shapely.points(rng.uniform(bounds[0], bounds[2], n), rng.uniform(bounds[1], bounds[3], n))
    polys = shapely.buffer(pts, rng.uniform(0.05, 2.5, n), quad_segs=rng.integers(2, 12))
    holes = shapely.buffer(pts, 0.02)
    polys = shapely.difference(polys, holes)
    return gpd.GeoDataFrame({"pcode": [f"P{i:03d}" for i in range(n)]}, geometry=polys, crs=4326)


def _float_raster(seed):
    rng = np.random.default_rng(seed)
    v = rng.normal(10, 3, (80, 120))
    v[rng.random(v.shape) < 0.05] = -999.0
    tr = Affine(0.1, 0, 0, 0, -0.1, 8)
    return v, tr


def _ee_source(v, tr, nodata):
    from exactextract.raster import NumPyRasterSource

    h, w = v.shape
    return NumPyRasterSource(
        v,
        xmin=tr.c,
        ymin=tr.f + tr.e * h,
        xmax=tr.c + tr.a * w,
        ymax=tr.f,
        nodata=nodata,
        srs_wkt=rasterio.crs.CRS.from_epsg(4326).to_wkt(),
    )


def test_fraction_matches_exactextract():
    ee = pytest.importorskip("exactextract")
    v, tr = _float_raster(1)
    z = _random_zones(60, seed=2)
    r = Raster.from_array(v, transform=tr, crs="EPSG:4326", nodata=-999.0)
    ours = zonal_stats(
        z,
        r,
        stats=["count", "sum", "mean", "min", "max", "std", "median", "percentile_10", "majority"],
    )
    ref = ee.exact_extract(
        _ee_source(v, tr, -999.0),
        z,
        ["count", "sum", "mean", "min", "max", "stdev", "median", "quantile(q=0.1)", "majority"],
        include_cols=["pcode"],
        output="pandas",
    ).set_index("pcode")
    ref.columns = ours.columns
    for col in ["count", "sum", "mean"]:
        np.testing.assert_allclose(ours[col], ref[col], rtol=1e-8, err_msg=col)
    for col in ["min", "max", "majority"]:
        np.testing.assert_array_equal(ours[col], ref[col], err_msg=col)
    # exactextract returns these as 32-bit floats
    for col in ["std", "median", "percentile_10"]:
        np.testing.assert_allclose(ours[col], ref[col], rtol=2e-7, err_msg=col)


@pytest.mark.parametrize("mode", ["center", "all_touched"])
def test_center_all_touched_match_rasterstats(mode):
    rasterstats = pytest.importorskip("rasterstats")
    v, tr = _float_raster(4)
    z = _random_zones(60, seed=5)
    r = Raster.from_array(v, transform=tr, crs="EPSG:4326", nodata=-999.0)
    names = ["count", "sum", "mean", "min", "max", "std", "median", "percentile_75", "majority"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NodataWarning)
        ours = zonal_stats(z, r, stats=names, coverage=mode)
    with warnings.catch_warnings():  # rasterstats uses affine's deprecated '*'
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        ref = rasterstats.zonal_stats(
            list(z.geometry),
            v,
            affine=tr,
            nodata=-999.0,
            all_touched=mode == "all_touched",
            stats=names,
        )
    ref = pd.DataFrame(ref, index=ours.index).astype(float)
    np.testing.assert_array_equal(ours["count"], ref["count"].fillna(0))
    np.testing.assert_allclose(ours[names[1:]], ref[names[1:]], rtol=1e-10)


def test_real_worldpop_ne_admin1_matches_exactextract_and_rasterstats(shared_data):
    ee = pytest.importorskip("exactextract")
    rasterstats = pytest.importorskip("rasterstats")
    path = shared_data / "rasters" / "worldpop_africa_2020_10min.tif"
    z = pd.concat(
        [
            gpd.read_file(shared_data / "boundaries" / f"ne10m_admin1_{c}.geojson")
            for c in ("mli", "ner", "bfa")
        ],
        ignore_index=True,
    )
    z["pcode"] = z["adm1_code"]
    with rasterio.open(path) as src:
        arr, tr, nodata = src.read(1), src.transform, src.nodata
        r = Raster.from_array(
            arr, transform=tr, crs=src.crs.to_wkt(), nodata=nodata, source=str(path)
        )
    z = z.to_crs(r.crs)
    ours = zonal_stats(z, r, stats=["count", "sum", "mean", "max"])
    ref = ee.exact_extract(
        str(path), z, ["count", "sum", "mean", "max"], include_cols=["pcode"], output="pandas"
    ).set_index("pcode")
    np.testing.assert_allclose(ours, ref, rtol=1e-8)
    for mode in ("center", "all_touched"):
        o = zonal_stats(z, r, stats=["count", "sum", "max"], coverage=mode)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            rs = rasterstats.zonal_stats(
                list(z.geometry),
                arr,
                affine=tr,
                nodata=nodata,
                all_touched=mode == "all_touched",
                stats=["count", "sum", "max"],
            )
        rs = pd.DataFrame(rs, index=o.index).astype(float)
        np.testing.assert_array_equal(o["count"], rs["count"])
        np.testing.assert_array_equal(o["max"], rs["max"])
        # rasterstats sums float32 cells in float32
        np.testing.assert_allclose(o["sum"], rs["sum"], rtol=1e-6)


def test_edge_cut_ordering_matches_sorting():
    from sahel_geo.analysis._coverage import _cut_points, _edges

    z = _random_zones(40, seed=9)
    g = RasterGrid(0.0, 8.0, 0.1, 0.1, 80, 120)
    ua, va, ub, vb, _, _ = _edges(np.asarray(z.geometry.array), g)
    fast = _cut_points(va, ua, vb, ub, 80, 120)  # the kernel works on the transposed grid
    slow = _cut_points(va, ua, vb, ub, 80, 120, force_sort=True)
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(a, b)


def test_stack_matches_exactextract_band_by_band():
    ee = pytest.importorskip("exactextract")
    rng = np.random.default_rng(11)
    v = rng.normal(20, 4, (3, 80, 120))
    v[1, 10:30, 10:40] = -999.0
    tr = Affine(0.1, 0, 0, 0, -0.1, 8)
    times = pd.date_range("2020-01-01", periods=3, freq="MS")
    r = Raster.from_array(v, transform=tr, crs="EPSG:4326", nodata=-999.0, times=times)
    z = _random_zones(25, seed=12)
    ours = zonal_stats(z, r, stats=["count", "mean", "max"])
    for k, t in enumerate(times):
        ref = ee.exact_extract(
            _ee_source(v[k], tr, -999.0),
            z,
            ["count", "mean", "max"],
            include_cols=["pcode"],
            output="pandas",
        ).set_index("pcode")
        got = ours.xs(t, level="time")
        np.testing.assert_allclose(got[["count", "mean"]], ref[["count", "mean"]], rtol=1e-8)
        np.testing.assert_array_equal(got["max"], ref["max"])


def test_population_weighted_mean_matches_exactextract(shared_data):
    ee = pytest.importorskip("exactextract")
    path = shared_data / "rasters" / "worldpop_africa_2020_10min.tif"
    with rasterio.open(path) as src:
        pop, tr, nodata, crs = src.read(1), src.transform, src.nodata, src.crs
    weights = Raster.from_array(pop, transform=tr, crs=crs.to_wkt(), nodata=nodata)
    # a synthetic drought index on the same grid (no open drought raster is available)
    h, w = pop.shape
    yy, xx = np.mgrid[0:h, 0:w]
    drought = (np.sin(xx / 17.0) + np.cos(yy / 23.0)).astype(np.float64)
    r = Raster.from_array(drought, transform=tr, crs=crs.to_wkt())
    z = pd.concat(
        [
            gpd.read_file(shared_data / "boundaries" / f"ne10m_admin1_{c}.geojson")
            for c in ("mli", "ner", "bfa")
        ],
        ignore_index=True,
    )
    z["pcode"] = z["adm1_code"]
    ours = zonal_stats(
        z, r, stats=["mean", "weighted_mean", "weights_nodata_frac"], weights=weights
    )
    src_d = _ee_source(drought, tr, None)
    src_w = _ee_source(pop.astype(np.float64), tr, nodata)
    ref = ee.exact_extract(
        src_d,
        z,
        ["mean", "weighted_mean(default_weight=0)"],
        weights=src_w,
        include_cols=["pcode"],
        output="pandas",
    ).set_index("pcode")
    np.testing.assert_allclose(ours["mean"], ref["mean"], rtol=1e-8)
    np.testing.assert_allclose(ours["weighted_mean"], ref.iloc[:, 1], rtol=1e-8)
    assert (ours["weights_nodata_frac"] >= 0).all()


def test_batched_coverage_equals_one_batch(monkeypatch):
    import sahel_geo.analysis._coverage as cov_mod

    z = _random_zones(30, seed=21)
    g = RasterGrid(0.0, 8.0, 0.1, 0.1, 80, 120)
    geoms = np.asarray(z.geometry.array)
    one = compute_coverage(geoms, g)
    monkeypatch.setattr(cov_mod, "_PIECE_BUDGET", 50)
    many = compute_coverage(geoms, g)
    for name in (
        "run_zone",
        "run_row",
        "run_col0",
        "run_col1",
        "run_value",
        "cell_zone",
        "cell_row",
        "cell_col",
        "cell_cover",
    ):
        # same cells and runs; values equal up to the order of floating-point additions
        np.testing.assert_allclose(
            getattr(one, name), getattr(many, name), rtol=0, atol=1e-12, err_msg=name
        )


def test_stack_equals_step_by_step(monkeypatch):
    import sahel_geo.analysis._zonal_kernels as zonal_mod

    rng = np.random.default_rng(5)
    v = rng.normal(5, 2, (7, 80, 120))
    v[3, :, :20] = -999.0
    times = pd.date_range("2020-01-01", periods=7, freq="MS")
    tr = Affine(0.1, 0, 0, 0, -0.1, 8)
    stack = Raster.from_array(v, transform=tr, crs="EPSG:4326", nodata=-999.0, times=times)
    z = _random_zones(15, seed=8)
    names = [
        "count",
        "mean",
        "std",
        "min",
        "median",
        "percentile_90",
        "majority",
        "nodata_frac",
        "area_km2",
    ]
    monkeypatch.setattr(zonal_mod, "_BLOCK_CELLS", 500)  # many row blocks
    few = zonal_stats(z, stack, stats=names, area_weighted=True)
    for k, t in enumerate(times):
        single = Raster.from_array(v[k], transform=tr, crs="EPSG:4326", nodata=-999.0)
        ref = zonal_stats(z, single, stats=names, area_weighted=True)
        got = few.xs(t, level="time")
        pd.testing.assert_frame_equal(got, ref, rtol=1e-12)


def _brute_force(z, v, tr, ok):
    """count and sum per zone from shapely cell-by-cell areas, fractions rounded to float32."""
    h, w = v.shape
    xs, ys = np.meshgrid(tr.c + tr.a * np.arange(w), tr.f + tr.e * np.arange(h))
    cells = shapely.box(xs, ys + tr.e, xs + tr.a, ys)
    count, total = [], []
    for geom in z.geometry:
        frac = shapely.area(shapely.intersection(geom, cells)) / abs(tr.a * tr.e)
        frac = np.where(np.abs(frac) < 1e-12, 0.0, frac).astype(np.float32).astype(np.float64)
        frac = np.where(ok, frac, 0.0)
        count.append(frac.sum())
        total.append((frac * np.where(ok, v, 0.0)).sum())
    return np.array(count), np.array(total)


@pytest.mark.parametrize("nodata", [-9.0, np.nan, None])
def test_nan_inf_and_nodata_inside_runs(monkeypatch, nodata):
    """NaN and inf cells inside zones (in runs and boundary cells) are nodata, whatever
    the nodata value; the cheap search for nodata cells falls back to the full mask."""
    import sahel_geo.analysis._zonal_kernels as zonal_mod

    rng = np.random.default_rng(31)
    v = rng.normal(50, 5, (40, 60))
    v[rng.random(v.shape) < 0.05] = -9.0
    v[10, 5:40] = np.nan  # across the interior of several zones
    v[25, 30] = np.inf
    v[30, 3] = -np.inf
    tr = Affine(0.2, 0, 0, 0, -0.2, 8)
    z = _random_zones(25, seed=32)
    ok = np.isfinite(v) & ((v != nodata) if nodata is not None and not np.isnan(nodata) else True)
    full_calls = []
    real = zonal_mod._nodata_flat

    def spy(raster, raw, *, full):
        full_calls.append(full)
        return real(raster, raw, full=full)

    monkeypatch.setattr(zonal_mod, "_nodata_flat", spy)
    r = Raster.from_array(v, transform=tr, crs="EPSG:4326", nodata=nodata)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NodataWarning)
        out = zonal_stats(z, r, stats=["count", "sum", "mean"])
        only_count = zonal_stats(z, r, stats=["count"])
    count, total = _brute_force(z, v, tr, ok)
    np.testing.assert_allclose(out["count"], count, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out["sum"], total, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(only_count["count"], out["count"])
    assert np.isfinite(out["sum"]).all()
    assert True in full_calls  # the NaN row made a run sum NaN: redone with the full mask
    if nodata is not None:
        assert False in full_calls  # the cheap search ran first


def test_integer_raster_with_nodata_matches_float():
    rng = np.random.default_rng(41)
    v = rng.integers(0, 200, (40, 60)).astype(np.int16)
    v[rng.random(v.shape) < 0.1] = -1
    tr = Affine(0.2, 0, 0, 0, -0.2, 8)
    z = _random_zones(20, seed=42)
    stats = ["count", "sum", "mean", "std", "nodata_frac"]
    ri = Raster.from_array(v, transform=tr, crs="EPSG:4326", nodata=-1)
    rf = Raster.from_array(
        np.where(v == -1, np.nan, v.astype(np.float64)), transform=tr, crs="EPSG:4326"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NodataWarning)
        a = zonal_stats(z, ri, stats=stats)
        b = zonal_stats(z, rf, stats=stats)
    pd.testing.assert_frame_equal(a, b, rtol=1e-12)


def test_cropped_and_flipped_windows_equal_contiguous_array():
    """Boundary cells are read through a flat view of a cropped window (rows further apart
    than its width); a south-up raster (negative row stride) is read by 2-D indexing."""
    rng = np.random.default_rng(51)
    big = rng.normal(20, 4, (200, 300))
    big[rng.random(big.shape) < 0.02] = -999.0
    tr = Affine(0.1, 0, -5, 0, -0.1, 15)  # the zones (0..12, 0..8) lie well inside
    z = _random_zones(30, seed=52)
    stats = ["count", "sum", "mean", "std", "min", "max", "nodata_frac"]
    r_big = Raster.from_array(big, transform=tr, crs="EPSG:4326", nodata=-999.0)
    r0, r1, c0, c1 = r_big.window_for(tuple(z.total_bounds))
    assert (r0, c0) != (0, 0) and (r1, c1) != big.shape  # a real crop
    win = np.ascontiguousarray(big[r0:r1, c0:c1])
    r_win = Raster.from_array(
        win, transform=tr * Affine.translation(c0, r0), crs="EPSG:4326", nodata=-999.0
    )
    south_up = Raster.from_array(
        np.ascontiguousarray(big[::-1]),
        transform=Affine(0.1, 0, -5, 0, 0.1, 15 - 20),
        crs="EPSG:4326",
        nodata=-999.0,
    )
    assert south_up.values.strides[0] < 0
    a = zonal_stats(z, r_big, stats=stats)
    b = zonal_stats(z, r_win, stats=stats)
    c = zonal_stats(z, south_up, stats=stats)
    pd.testing.assert_frame_equal(a, b, rtol=1e-13)
    pd.testing.assert_frame_equal(a, c, rtol=1e-13)


def test_runs_and_boundary_cells_are_disjoint():
    z = _random_zones(40, seed=61)
    g = RasterGrid(0.0, 8.0, 0.05, 0.05, 160, 240)
    cov = compute_coverage(np.asarray(z.geometry.array), g)
    n = g.height * g.width
    owner = np.repeat(np.arange(len(cov.run_zone)), cov.run_col1 - cov.run_col0)
    start = np.cumsum(cov.run_col1 - cov.run_col0) - (cov.run_col1 - cov.run_col0)
    col = np.arange(len(owner)) - start[owner] + cov.run_col0[owner]
    run_keys = cov.run_zone[owner] * n + cov.run_row[owner] * g.width + col
    cell_keys = cov.cell_zone * n + cov.cell_row * g.width + cov.cell_col
    assert len(np.unique(run_keys)) == len(run_keys)  # runs of a zone do not overlap
    assert len(np.unique(cell_keys)) == len(cell_keys)
    assert not np.isin(run_keys, cell_keys).any()
    assert (cov.run_col1 > cov.run_col0).all()
    assert np.all(np.abs(cov.run_value - np.round(cov.run_value)) == 0)  # interior: whole cells
    assert (np.diff(cell_keys) > 0).all()  # sorted by zone, row, col


def test_argsort_packed_matches_stable_argsort():
    from sahel_geo.analysis._coverage import argsort_packed

    rng = np.random.default_rng(71)
    for kmax in (10, 2**40, 2**62):  # the last one does not fit: plain stable argsort
        key = rng.integers(0, kmax, 5000, dtype=np.int64)
        key[::7] = key[0]  # ties
        np.testing.assert_array_equal(
            argsort_packed(key, kmax), np.argsort(key, kind="stable"), err_msg=str(kmax)
        )
