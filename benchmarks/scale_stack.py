"""Scale benchmark, stack half: a 30-year daily stack reduced to monthly admin-2 means.

A synthetic daily rainfall-like stack (float32, seeded, ~11,000 steps for 30 years) over
Mali, Burkina Faso and Niger at 0.05° (~313 x 566 cells, ~7.8 GB of values for 30 years)
is written chunk by chunk (bounded memory: dask writes one time chunk per thread) as a
Zarr store (or NetCDF, ``--format netcdf``) in a temporary folder, then reduced to monthly
means per commune:

1. ``ours``: ``sg.open_raster(store, chunks={})`` (lazy, the store's own chunks), then
   ``sg.zonal_stats(communes, r, stats=["mean"])`` (coverage-weighted, the zone plan built
   once, the stack read in time blocks with ``dask.compute``), then the daily means of each
   commune averaged by calendar month.
2. ``xarray`` (reference, on the first ``--ref-years`` only, ours timed again on the same
   years): the commune of each cell centre rasterised once into a label grid, then per
   day ``values.groupby(labels).mean()`` (xarray's own groupby on the dask array), then
   ``resample(time="MS").mean()``. Cell-centre membership: its results are compared with
   ours run with ``coverage="center"`` (same semantics).
3. ``exactextract`` (reference, on ``--ee-steps`` steps): ``exact_extract`` with one
   ``NumPyRasterSource`` per step, statistic mean; per-step time compared with ours.

Each phase runs in a fresh process; it prints its time, the peak resident memory of the
process (VmHWM; with ``--cluster N`` also each worker's), and cells per second (steps x
cells of the window / seconds). The machine is shared (2 cores): ratios are measured in
the same run.

On a cluster of N machines the same code runs unchanged with a ``distributed.Client
(address)`` created first: ``dask.compute`` sends the blocks' reads to the workers (the
store must then be on storage every worker can read, e.g. S3 or a shared disk), while the
zone plan and the reductions stay in the client process. The reduction of one block is
cheap next to its read, so the gain is the aggregate read bandwidth of the workers.

Usage::

    python benchmarks/scale_stack.py                 # 30 years (~8 GB in /tmp)
    python benchmarks/scale_stack.py --years 2       # quick
    python benchmarks/scale_stack.py --cluster 2     # on a LocalCluster of 2 workers
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

RES = 0.05
CHUNK_DAYS = 92  # steps per time chunk of the store (~65 MB)
NAN_SHARE = 0.005  # cells that are always NaN (lakes, gaps)


# ---------------------------------------------------------------- measurement helpers


def vmhwm_mb() -> float:
    """Peak resident memory of this process (VmHWM), MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return float("nan")


def zones() -> tuple[Any, str]:
    """The ~1,300 shared communes (or 1,000 seeded Voronoi polygons without them).

    Those of ``bench_zonal.py`` (this folder is on the path of a script run from it).
    """
    from bench_zonal import zones as bench_zones

    return bench_zones()


def grid(bounds: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres (lat descending, lon) of the 0.05° grid over ``bounds``."""
    minx, miny, maxx, maxy = bounds
    x0, y1 = np.floor(minx / RES) * RES, np.ceil(maxy / RES) * RES
    w = int(np.ceil((maxx - x0) / RES))
    h = int(np.ceil((y1 - miny) / RES))
    return y1 - RES * (np.arange(h) + 0.5), x0 + RES * (np.arange(w) + 0.5)


# ---------------------------------------------------------------- phase 1: write


def _block(t0: int, n: int, h: int, w: int) -> np.ndarray:
    """Days t0 .. t0+n-1 of the synthetic field: seasonal rain, a north-south gradient,
    seeded noise (seed = t0, so any chunk can be made alone) and a fixed NaN mask."""
    rng = np.random.default_rng(t0)
    yy = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    xx = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    out = rng.standard_normal((n, h, w), dtype=np.float32)
    for k in range(n):
        season = np.float32(np.sin(2 * np.pi * ((t0 + k) % 365) / 365))
        out[k] = 4 + 3 * season * np.cos(3 * xx) - 3 * yy + out[k]
    mask = np.random.default_rng(99).random((h, w)) < NAN_SHARE
    out[:, mask] = np.nan
    return out


def write_store(path: Path, years: int, fmt: str, bounds: tuple[float, ...]) -> dict[str, Any]:
    """Write the stack chunk by chunk (dask, bounded memory) as Zarr or NetCDF."""
    import dask
    import dask.array as da
    import pandas as pd
    import xarray as xr

    lat, lon = grid(bounds)  # type: ignore[arg-type]
    times = pd.date_range("1991-01-01", periods=round(years * 365.25), freq="D")
    n, h, w = len(times), len(lat), len(lon)
    starts = range(0, n, CHUNK_DAYS)
    blocks = [
        da.from_delayed(
            dask.delayed(_block)(s, min(CHUNK_DAYS, n - s), h, w),
            shape=(min(CHUNK_DAYS, n - s), h, w),
            dtype=np.float32,
        )
        for s in starts
    ]
    pr = xr.DataArray(
        da.concatenate(blocks),
        dims=("time", "lat", "lon"),
        coords={"time": times, "lat": lat, "lon": lon},
        name="pr",
    )
    t = time.perf_counter()
    if fmt == "zarr":
        enc = {"pr": {"chunks": (CHUNK_DAYS, h, w)}}
        pr.to_dataset().to_zarr(path, mode="w", zarr_format=2, consolidated=True, encoding=enc)
    else:
        enc = {"pr": {"chunksizes": (CHUNK_DAYS, h, w), "zlib": False}}
        pr.to_dataset().to_netcdf(path, engine="netcdf4", encoding=enc)
    secs = time.perf_counter() - t
    return {"steps": n, "rows": h, "cols": w, "seconds": secs, "gb": n * h * w * 4 / 1e9}


# ---------------------------------------------------------------- phase 2: reduce


def _client(n_workers: int) -> Any:
    if n_workers <= 0:
        return None
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    return Client(cluster)


def _worker_peaks(client: Any) -> list[float]:
    if client is None:
        return []
    return [round(v, 1) for v in client.run(vmhwm_mb).values()]


def _monthly(daily: Any) -> Any:
    """Mean of each zone's daily means by calendar month (rows: zones, then months).

    Grouped by the index codes (no per-row timestamps or zone ids are materialised).
    """
    import pandas as pd

    s = daily["mean"]
    idx = s.index
    month_of_time = pd.factorize(pd.DatetimeIndex(idx.levels[1]).to_period("M"))[0]
    return s.groupby([idx.codes[0], month_of_time[idx.codes[1]]]).mean()


def reduce_ours(store: Path, years: float | None, coverage: str, workers: int) -> dict[str, Any]:
    """Open the store lazily and reduce it to monthly commune means with sahel_geo."""
    import sahel_geo as sg

    client = _client(workers)
    z, _ = zones()
    t = time.perf_counter()
    r = sg.open_raster(store, chunks={}, zones=z)
    if years is not None:  # the first years only (a lazy crop in time)
        n = round(years * 365.25)
        r = sg.Raster.from_array(
            r.values[:n], transform=r.transform, crs=r.crs, nodata=r.nodata,
            times=r.times[:n], name=r.name, source=r.source,
        )  # fmt: skip
    with sg.set_options(progress=False):
        daily = sg.zonal_stats(z, r, stats=["mean"], coverage=coverage)  # type: ignore[arg-type]
    monthly = _monthly(daily)
    secs = time.perf_counter() - t
    steps, (h, w) = r.values.shape[0], r.shape
    out = _result("ours", secs, steps * h * w, steps, workers=_worker_peaks(client))
    out["monthly_rows"] = len(monthly)
    np.save(Path(store).with_suffix(f".ours_{coverage}.npy"), monthly.to_numpy())
    if client is not None:
        client.close()
    return out


def _result(
    tool: str, secs: float, cells: int, steps: int, *, workers: list[float]
) -> dict[str, Any]:
    return {
        "tool": tool,
        "seconds": round(secs, 2),
        "steps": steps,
        "cells_per_s": cells / secs,
        "vmhwm_mb": round(vmhwm_mb(), 1),
        "workers_vmhwm_mb": workers,
    }


def reduce_xarray(store: Path, years: float) -> dict[str, Any]:
    """The reference: a rasterised commune label grid, xarray groupby mean, monthly resample."""
    import rasterio.features
    import xarray as xr
    from affine import Affine

    z, _ = zones()
    t = time.perf_counter()
    ds = xr.open_zarr(store) if store.suffix == ".zarr" else xr.open_dataset(store, chunks={})
    pr = ds["pr"].isel(time=slice(0, round(years * 365.25)))
    lat, lon = pr["lat"].values, pr["lon"].values
    tr = Affine(RES, 0, lon[0] - RES / 2, 0, -RES, lat[0] + RES / 2)
    labels = rasterio.features.rasterize(
        ((g, i + 1) for i, g in enumerate(z.geometry)), out_shape=(len(lat), len(lon)),
        transform=tr, fill=0, dtype="int32",
    )  # fmt: skip
    lab = xr.DataArray(labels, dims=("lat", "lon"), coords={"lat": lat, "lon": lon}, name="zone")
    daily = pr.where(lab > 0).groupby(lab.where(lab > 0)).mean()
    monthly = daily.resample(time="MS").mean().compute()
    secs = time.perf_counter() - t
    cells = pr.shape[0] * pr.shape[1] * pr.shape[2]
    out = _result("xarray", secs, cells, pr.shape[0], workers=[])
    np.save(store.with_suffix(".xarray.npy"), monthly.transpose("zone", "time").values)
    np.save(store.with_suffix(".xarray_zones.npy"), monthly["zone"].values)
    return out


def reduce_ee(store: Path, steps: int) -> dict[str, Any]:
    """exactextract's mean per commune on the first ``steps`` steps, one source per step."""
    import rasterio
    import xarray as xr
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    z, _ = zones()
    ds = xr.open_zarr(store) if store.suffix == ".zarr" else xr.open_dataset(store, chunks={})
    pr = ds["pr"].isel(time=slice(0, steps)).values
    lat, lon = ds["lat"].values, ds["lon"].values
    wkt = rasterio.crs.CRS.from_epsg(4326).to_wkt()
    box = {"xmin": lon[0] - RES / 2, "xmax": lon[-1] + RES / 2,
           "ymin": lat[-1] - RES / 2, "ymax": lat[0] + RES / 2}  # fmt: skip
    sources = [NumPyRasterSource(a, srs_wkt=wkt, name=f"b{k}", **box) for k, a in enumerate(pr)]
    t = time.perf_counter()
    exact_extract(sources, z, ["mean"], output="pandas")
    secs = time.perf_counter() - t
    return _result("exactextract", secs, pr.size, steps, workers=[])


# ---------------------------------------------------------------- orchestration


def _phase(argv: list[str]) -> dict[str, Any]:
    """Run one phase in a fresh process; return its JSON result."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", *argv]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"phase {argv} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _run_phase(args: argparse.Namespace) -> None:
    store = Path(args.store)
    kind = args.phase_name
    if kind == "write":
        z, _ = zones()
        res = write_store(store, args.years, args.format, tuple(z.total_bounds))
        res["vmhwm_mb"] = round(vmhwm_mb(), 1)
    elif kind == "ours":
        res = reduce_ours(store, args.sub_years, args.coverage, args.cluster)
    elif kind == "xarray":
        res = reduce_xarray(store, args.sub_years)
    else:
        res = reduce_ee(store, args.ee_steps)
    print(json.dumps(res))


def _line(res: dict[str, Any]) -> str:
    workers = (
        f", workers' VmHWM {res['workers_vmhwm_mb']} MB" if res.get("workers_vmhwm_mb") else ""
    )
    return (
        f"  {res['tool']:12s} {res['steps']:6d} steps  {res['seconds']:8.1f} s  "
        f"{res['cells_per_s'] / 1e6:7.1f} M cells/s  peak {res['vmhwm_mb']:7.0f} MB{workers}"
    )


def _compare(store: Path) -> str:
    """Our cell-centre monthly means against xarray's, commune by commune."""
    import shapely

    ours = np.load(store.with_suffix(".ours_center.npy"))
    ref = np.load(store.with_suffix(".xarray.npy"))  # (label, month), labels with cells only
    zone_ids = np.load(store.with_suffix(".xarray_zones.npy")).astype(int) - 1
    ours_z = ours.reshape(-1, ref.shape[1])[zone_ids]
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.nanmax(np.abs(ours_z - ref) / np.abs(ref), axis=1)
    z, _ = zones()
    left, _ = shapely.STRtree(z.geometry.values).query(z.geometry.values, predicate="overlaps")
    overlapping = np.isin(zone_ids, left)
    same = diff <= 1e-6
    return (
        f"  cell-centre means vs xarray: {same.sum()} of {len(diff)} communes agree to 1e-6 "
        f"(max rel diff {np.nanmax(diff[same]):.1e}); {(~same & overlapping).sum()} of the "
        f"other {(~same).sum()} overlap a neighbour: a label raster gives a shared "
        "cell to one commune only, zonal_stats to each polygon that contains its centre"
    )


def main(argv: list[str] | None = None) -> int:
    """Write the stack, reduce it (ours, xarray, exactextract) in fresh processes, print."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--years", type=float, default=30.0, help="years of daily steps")
    ap.add_argument("--format", choices=("zarr", "netcdf"), default="zarr")
    ap.add_argument("--cluster", type=int, default=0, help="LocalCluster workers (0: none)")
    ap.add_argument("--ref-years", type=float, default=1.0, help="years for the xarray reference")
    ap.add_argument("--ee-steps", type=int, default=10, help="steps for exactextract")
    ap.add_argument("--workdir", default=None, help="folder for the store (default: a temp one)")
    ap.add_argument("--keep", action="store_true", help="keep the store")
    ap.add_argument("--reuse", action="store_true", help="reuse the store in --workdir")
    ap.add_argument("--phase", dest="phase_name", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--store", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--sub-years", type=float, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--coverage", default="fraction", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.phase_name:
        _run_phase(args)
        return 0
    return _orchestrate(args)


def _orchestrate(args: argparse.Namespace) -> int:
    work = Path(args.workdir or tempfile.mkdtemp(prefix="sahel_stack_", dir="/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    need = args.years * 365.25 * 313 * 566 * 4 * 1.1
    free = shutil.disk_usage(work).free
    if need > free * 0.8:
        print(f"Not enough disk in {work}: need ~{need / 1e9:.1f} GB, {free / 1e9:.1f} GB free.")
        return 1
    store = work / ("pr.zarr" if args.format == "zarr" else "pr.nc")
    common = ["--store", str(store), "--years", str(args.years), "--format", args.format]
    try:
        _, zsrc = zones()
        print(f"Zones: {zsrc}. Stack: {args.years:g} years daily at {RES}°, {args.format}.")
        if args.reuse and store.exists():
            print(f"  reusing {store}")
        else:
            w = _phase(["write", *common])
            print(f"  write        {w['steps']:6d} steps  {w['seconds']:8.1f} s  "
                  f"{w['gb']:.2f} GB of values ({w['rows']} x {w['cols']})  "
                  f"peak {w['vmhwm_mb']:7.0f} MB")  # fmt: skip
        full = _phase(["ours", *common, "--cluster", str(args.cluster)])
        print(_line(full) + "  (all steps -> monthly commune means)")
        sub = ["--sub-years", str(args.ref_years)]
        ours_c = _phase(["ours", *common, *sub, "--coverage", "center"])
        xr_ = _phase(["xarray", *common, *sub])
        print(_line(ours_c) + "  (cell centres, first years)")
        print(_line(xr_) + f"  ratio xarray/ours {xr_['seconds'] / ours_c['seconds']:.1f}x")
        print(_compare(store))
        ee = _phase(["ee", *common, "--ee-steps", str(args.ee_steps)])
        ours_step = full["seconds"] / full["steps"]
        ee_step = ee["seconds"] / ee["steps"]
        print(_line(ee) + f"  per step {ee_step * 1e3:.0f} ms vs ours {ours_step * 1e3:.1f} ms "
              f"(ratio {ee_step / ours_step:.1f}x)")  # fmt: skip
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
