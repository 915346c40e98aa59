"""Benchmark sahel_geo.zonal_stats against exactextract and rasterstats, same run, same inputs.

Zones: the ~1,300 real commune polygons of Mali, Niger and Burkina Faso
(../shared/data/boundaries/geoboundaries_lowest_units_mli_ner_bfa.geojson), or, without
the shared data, 1,000 seeded Voronoi polygons over the same area.

Rasters (seeded, synthetic, EPSG:4326, float32, rainfall-like positive values, 0.5 % nodata),
over the zones' extent:
- ``0.05deg``: 0.05° (~315 x 565 cells)
- ``1km``: 1/120° (~1,900 x 3,400)
- ``300m``: 1/360° (~5,700 x 10,100, ~58 M cells)
- ``stack144``: a 144-step monthly stack on the 0.05° grid
- ``classes10``: a 10-class integer raster (values 0..9, nodata -1) on the 0.05° grid;
  statistic ``frac`` (share of each class; exactextract's lists made wide to compare)
- ``multires``: rainfall at 0.05° weighted by a population-like raster at 1/120°
  (~1 km, nested); statistics ``mean``, ``weighted_mean`` (exactextract's multi-resolution
  case; its weights nodata as 0 with ``default_weight=0``, ours left out: none here)

Peak memory and results: each (raster, tool) runs once in a fresh process; peak memory is
the growth of the process's peak resident set during the call (VmHWM after a reset, minus
the resident set before). Time: sahel_geo and exactextract run alternately in one process
(after a warm-up), best of 5 (2 for 300m) each, so that changes in machine load hit both
alike; rasterstats is timed once, in its own process. Statistics: count, sum, mean
(fraction coverage for sahel_geo and exactextract; cell centres for rasterstats). The
relative difference from exactextract is |ours - ee| / |ee| over zones with count > 0.

Usage::

    python benchmarks/bench_zonal.py            # all cases
    python benchmarks/bench_zonal.py --quick    # 0.05deg and 1km only
    python benchmarks/bench_zonal.py --cases 300m
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SAHEL_GEO_SHARED_DATA", ROOT.parent / "shared" / "data"))
COMMUNES = SHARED / "boundaries" / "geoboundaries_lowest_units_mli_ner_bfa.geojson"
CASES = {
    "0.05deg": 0.05,
    "1km": 1 / 120,
    "300m": 1 / 360,
    "stack144": 0.05,
    "classes10": 0.05,
    "multires": 0.05,
}
NODATA = -9999.0
STATS = ["count", "sum", "mean"]
STATS_CASES_RS = ("0.05deg", "1km", "300m", "stack144")  # rasterstats has no weights/frac
CASE_STATS = {"classes10": [f"frac_{k}" for k in range(10)], "multires": ["mean", "weighted_mean"]}


def stats_of(case: str) -> list[str]:
    return CASE_STATS.get(case, STATS)


def weights_values(bounds):
    """A population-like raster at 1/120° over the zones' extent (seeded, no nodata)."""
    res = 1 / 120
    minx, miny, maxx, maxy = bounds
    minx, maxy = np.floor(minx / 0.05) * 0.05, np.ceil(maxy / 0.05) * 0.05
    w = int(np.ceil((maxx - minx) / res))
    h = int(np.ceil((maxy - miny) / res))
    rng = np.random.default_rng(5)
    pop = rng.gamma(0.5, 40.0, (h, w)).astype(np.float32)
    return pop, (res, 0.0, minx, 0.0, -res, maxy)


def zones():
    import geopandas as gpd
    import shapely

    if COMMUNES.is_file():
        z = gpd.read_file(COMMUNES)
        z = z[["geometry"]].copy()
        src = f"{len(z)} geoBoundaries communes (real polygons)"
    else:
        rng = np.random.default_rng(7)
        pts = shapely.multipoints(np.c_[rng.uniform(-12, 16, 1000), rng.uniform(9.3, 25, 1000)])
        cells = shapely.get_parts(shapely.voronoi_polygons(pts))
        cells = shapely.intersection(cells, shapely.box(-12, 9.3, 16, 25))
        z = gpd.GeoDataFrame(geometry=cells, crs=4326)
        src = "1000 seeded Voronoi polygons (shared data absent)"
    z = z.set_crs(4326, allow_override=True)
    z["pcode"] = [f"Z{i:05d}" for i in range(len(z))]
    return z.reset_index(drop=True), src


def raster_values(case: str, bounds):
    res = CASES[case]
    minx, miny, maxx, maxy = bounds
    if case == "multires":  # on whole 0.05° cells so that the 1/120° grid nests in it
        minx, maxy = np.floor(minx / 0.05) * 0.05, np.ceil(maxy / 0.05) * 0.05
    w = int(np.ceil((maxx - minx) / res))
    h = int(np.ceil((maxy - miny) / res))
    rng = np.random.default_rng(42)
    yy = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    xx = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    steps = 144 if case == "stack144" else 1
    out = np.empty((steps, h, w), dtype=np.float32)
    for t in range(steps):  # one smooth field per month plus cell noise
        ph = 2 * np.pi * t / 12
        out[t] = 60 + 40 * np.sin(3 * xx + ph) * np.cos(4 * yy) - 30 * yy
        out[t] += rng.normal(0, 5, (h, w)).astype(np.float32)
    out[rng.random(out.shape) < 0.005] = NODATA
    transform = (res, 0.0, minx, 0.0, -res, maxy)
    if case == "classes10":  # ten classes of the field, nodata kept
        cls = np.clip(((out - 20) / 10).astype(np.int32), 0, 9)
        out = np.where(out == NODATA, -1, cls).astype(np.int32)
    return (out if steps > 1 else out[0]), transform


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_ours(z, values, transform, case="0.05deg"):
    from affine import Affine

    import sahel_geo as sg
    from sahel_geo.analysis.zonal import zonal_stats

    times = None
    if values.ndim == 3:
        import pandas as pd

        times = pd.date_range("2012-01-01", periods=values.shape[0], freq="MS")
    nodata = -1 if case == "classes10" else NODATA
    r = sg.Raster.from_array(
        values,
        transform=Affine(*transform),
        crs="EPSG:4326",
        nodata=nodata,
        times=times,
    )
    names = stats_of(case)
    stats, weights = names, None
    if case == "classes10":
        stats = ["frac"]
    elif case == "multires":
        wv, wt = weights_values(tuple(z.total_bounds))
        weights = sg.Raster.from_array(wv, transform=Affine(*wt), crs="EPSG:4326")

    def call():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return zonal_stats(z, r, stats=stats, weights=weights)

    def to_array(df):
        return df.reindex(columns=names).fillna(0.0).to_numpy(dtype=np.float64)

    return call, to_array


def run_ee(z, values, transform, case="0.05deg"):
    import rasterio
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    wkt = rasterio.crs.CRS.from_epsg(4326).to_wkt()
    layers = values if values.ndim == 3 else values[None]
    nodata = -1 if case == "classes10" else NODATA

    def source(arr, tr, nod, name):
        a, _, c, _, e, f = tr
        hh, ww = arr.shape
        return NumPyRasterSource(
            arr,
            xmin=c,
            ymin=f + e * hh,
            xmax=c + a * ww,
            ymax=f,
            nodata=nod,
            srs_wkt=wkt,
            name=name,
        )

    sources = [source(layer, transform, nodata, f"b{i}") for i, layer in enumerate(layers)]
    names = stats_of(case)
    ops, weights = STATS, None
    if case == "classes10":
        ops = ["frac", "unique"]
    elif case == "multires":
        wv, wt = weights_values(tuple(z.total_bounds))
        weights = source(wv, wt, None, "w")
        ops = ["mean", "weighted_mean(default_weight=0)"]

    def call():
        src = sources if len(sources) > 1 else sources[0]
        return exact_extract(src, z, ops, weights=weights, output="pandas")

    def to_array(df):
        if case == "classes10":  # lists of shares -> one column per class
            out = np.zeros((len(df), 10))
            for i, (fr, u) in enumerate(zip(df["frac"], df["unique"], strict=True)):
                out[i, np.asarray(u, dtype=int)] = fr
            return out
        if len(sources) == 1:
            return df.iloc[:, : len(names)].to_numpy(dtype=np.float64)
        # (zone, time) order like sahel_geo: for each zone, every band
        cols = [[f"b{i}_{s}" for s in STATS] for i in range(len(sources))]
        arr = np.stack([df[c].to_numpy(dtype=np.float64) for c in cols], axis=1)
        return arr.reshape(-1, len(STATS))

    return call, to_array


def run_rs(z, values, transform, max_bands=12):
    from affine import Affine
    from rasterstats import zonal_stats as rs_zonal

    layers = values if values.ndim == 3 else values[None]
    use = layers[:max_bands]
    geoms = list(z.geometry)

    def call():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [
                rs_zonal(geoms, layer, affine=Affine(*transform), nodata=NODATA, stats=STATS)
                for layer in use
            ]

    def to_array(res):
        return None

    return call, to_array, len(layers) / len(use)


def timing_worker(case: str, tools: list[str], repeats: int) -> None:
    """Time the tools alternately in one process (best of ``repeats`` each).

    Alternating spreads any change in machine load over all tools alike, so the ratios
    are fairer than timings taken minutes apart.
    """
    z, _ = zones()
    values, transform = raster_values(case, tuple(z.total_bounds))
    calls = {}
    scale = {}
    for tool in tools:
        if tool == "ours":
            calls[tool] = run_ours(z, values, transform, case)[0]
            run_ours(z.iloc[:5], values, transform, case)[0]()  # warm-up
            scale[tool] = 1.0
        elif tool == "exactextract":
            calls[tool] = run_ee(z, values, transform, case)[0]
            scale[tool] = 1.0
        else:
            call, _, sc = run_rs(z, values, transform)
            calls[tool], scale[tool] = call, sc
    best = dict.fromkeys(tools, float("inf"))
    for _ in range(repeats):
        for tool in tools:
            t0 = time.perf_counter()
            calls[tool]()
            best[tool] = min(best[tool], time.perf_counter() - t0)
    print(json.dumps({t: best[t] * scale[t] for t in tools}))


def worker(case: str, tool: str, repeats: int, out_npy: str) -> None:
    z, _ = zones()
    values, transform = raster_values(case, tuple(z.total_bounds))
    scale = 1.0
    if tool == "ours":
        call, conv = run_ours(z, values, transform, case)
    elif tool == "exactextract":
        call, conv = run_ee(z, values, transform, case)
    else:
        call, conv, scale = run_rs(z, values, transform)
    # warm-up on a few zones (imports, caches), not timed
    if tool == "ours":
        warm_call, _ = run_ours(z.iloc[:5], values, transform, case)
        warm_call()
    base = _rss_mb()
    reset = _reset_peak()
    best = float("inf")
    result = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - t0)
    peak = (_peak_mb() - base) if reset else float("nan")
    arr = conv(result)
    if arr is not None:
        np.save(out_npy, arr)
    print(json.dumps({"time": best * scale, "peak_mb": peak, "scaled": scale}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cases", nargs="*", default=None)
    ap.add_argument("--no-rasterstats", action="store_true")
    ap.add_argument("--worker", nargs=4, metavar=("CASE", "TOOL", "REPEATS", "OUT"))
    ap.add_argument("--timing-worker", nargs=3, metavar=("CASE", "TOOLS", "REPEATS"))
    args = ap.parse_args()
    if args.worker:
        case, tool, repeats, out = args.worker
        worker(case, tool, int(repeats), out)
        return
    if args.timing_worker:
        case, tools_csv, repeats = args.timing_worker
        timing_worker(case, tools_csv.split(","), int(repeats))
        return
    quick = ["0.05deg", "1km", "classes10", "multires"]
    cases = args.cases or (quick if args.quick else list(CASES))
    z, src = zones()
    print(f"zones: {src}; machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    tools = ["ours", "exactextract"] + ([] if args.no_rasterstats else ["rasterstats"])
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            v, _ = raster_values(case, tuple(z.total_bounds)) if case != "300m" else (None, None)
            shape = v.shape if v is not None else "~5.7k x 10.1k"
            print(f"\n== {case}: raster {shape}")
            res = {}
            case_tools = (
                tools if case in STATS_CASES_RS else [t for t in tools if t != "rasterstats"]
            )
            for tool in case_tools:  # memory and results: one fresh process per tool
                out = str(Path(tmp) / f"{case}_{tool}.npy")
                p = subprocess.run(
                    [sys.executable, __file__, "--worker", case, tool, "1", out],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if p.returncode != 0:
                    print(f"  {tool}: FAILED\n{p.stderr[-2000:]}")
                    continue
                res[tool] = json.loads(p.stdout.strip().splitlines()[-1])
            # time: all tools alternately in one process, best of the repeats
            repeats = 2 if case == "300m" else 5
            fast = [t for t in tools if t in res and t != "rasterstats"]
            p = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--timing-worker",
                    case,
                    ",".join(fast),
                    str(repeats),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if p.returncode == 0:
                for t, v in json.loads(p.stdout.strip().splitlines()[-1]).items():
                    res[t]["time"] = v
            else:
                print(f"  timing FAILED\n{p.stderr[-2000:]}")
            for tool in tools:
                if tool not in res:
                    continue
                note = f" (alternating, best of {repeats})" if tool in fast else ""
                if res[tool]["scaled"] != 1:
                    note = f" (12 of 144 bands, time x{res[tool]['scaled']:.0f}; single run)"
                elif tool == "rasterstats":
                    note = " (single run)"
                print(
                    f"  {tool:13s} {res[tool]['time']:9.3f} s   peak +"
                    f"{res[tool]['peak_mb']:8.1f} MB{note}"
                )
            if "ours" in res:
                for tool in ("exactextract", "rasterstats"):
                    if tool in res:
                        speed = res[tool]["time"] / res["ours"]["time"]
                        mem = res["ours"]["peak_mb"] / max(res[tool]["peak_mb"], 1e-9)
                        print(f"  speed: sahel_geo is {speed:.2f}x {tool}; memory {mem:.2f}x")
            fo, fe = (
                Path(tmp) / f"{case}_ours.npy",
                Path(tmp) / f"{case}_exactextract.npy",
            )
            if fo.is_file() and fe.is_file():
                a, b = np.load(fo), np.load(fe)
                if case == "classes10":  # shares: absolute differences
                    d = np.abs(a - b).max(axis=1)
                    print(f"  frac  vs exactextract: max abs diff {d.max():.2e} over all classes")
                    continue
                ok = np.isfinite(b).all(axis=1) & (np.abs(b[:, 0]) > 0)
                rel = np.abs(a[ok] - b[ok]) / np.abs(b[ok])
                for j, s in enumerate(stats_of(case)):
                    r = rel[:, j]
                    print(
                        f"  {s:13s} vs exactextract: max rel diff {r.max():.2e}, "
                        f"99th pct {np.percentile(r, 99):.2e}, "
                        f"share <= 1e-9: {np.mean(r <= 1e-9):.4f}"
                    )


if __name__ == "__main__":
    main()
