"""Benchmark: assign_admin against geopandas.sjoin(predicate="within").

Clustered synthetic events (seeded) over the ~1,300 real commune polygons of Mali,
Niger and Burkina Faso in ``../shared/data/boundaries`` (geoBoundaries, CC BY 4.0), in
two distributions (``--dists``):

``towns``
    60% of events in tight town clusters around 400 hot spots inside communes, the rest
    spread wider; few fall outside every commune. assign_admin runs with
    ``tolerance_km=0`` (no snapping), as sjoin does not snap.
``outside``
    The same clusters, plus 12% of events around 150 hot spots on the region's outer
    edge (a third of them tight): about 7% of all events fall outside every commune
    (outside the region, in gaps between communes), about half of those within the
    default snapping tolerance. assign_admin runs with the default ``tolerance_km``
    (5 km): its time includes snapping, which sjoin does not do.
Each method runs in its own fresh process on the same events, so time and peak memory
are measured alike (after a warm-up call on 1,000 events): peak memory is the rise of
the process's peak resident set size (VmHWM, reset through /proc/self/clear_refs after
the events are built) while the method runs. Each method runs ``--repeat`` times (each
in a fresh process, the two methods taking turns) and the median time is reported with
the range, since a shared virtual machine's timings drift by tens of percent. The clock
and the memory reading stop when the call returns: sjoin's duplicate rows (events in
several units) are resolved afterwards, uncharged.
assign_admin runs twice: with the default ``threads`` setting (the CPUs available, at
most 4) and with ``threads=1``; sjoin is single-threaded.
Assignments are compared: where sjoin finds exactly one unit, assign_admin must give the
same unit.

Usage::

    python benchmarks/bench_join.py            # 1M and 10M events, both distributions
    python benchmarks/bench_join.py --sizes 1000000 --repeat 5 --dists outside
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMUNES = (
    ROOT.parent
    / "shared"
    / "data"
    / "boundaries"
    / "geoboundaries_lowest_units_mli_ner_bfa.geojson"
)


def _read_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _outer_edge_points(communes, k: int, rng):  # type: ignore[no-untyped-def]
    """Return ``k`` random points (x, y) on the outer edge of the communes' union."""
    import numpy as np
    import shapely

    union = shapely.union_all(shapely.buffer(communes.geometry.to_numpy(), 1e-6))
    rings = shapely.get_parts(shapely.boundary(union))
    edge = rings[np.argmax(shapely.length(rings))]  # the outer ring, not the gaps
    pts = shapely.line_interpolate_point(edge, rng.random(k), normalized=True)
    return shapely.get_x(pts), shapely.get_y(pts)


def make_inputs(n: int, seed: int = 20240601, dist: str = "towns"):  # type: ignore[no-untyped-def]
    import geopandas as gpd
    import numpy as np

    communes = gpd.read_file(COMMUNES)
    communes = communes.assign(admin_level=3, pcode=[f"C{i:04d}" for i in range(len(communes))])
    rng = np.random.default_rng(seed)
    # Conflict clusters: 400 hot spots at communes' representative points, heavy-tailed
    # sizes, each a mix of tight (town) and wide (rural) spreads.
    centres = communes.geometry.representative_point()
    hot = rng.choice(len(communes), 400, replace=False)
    weight = rng.pareto(1.2, hot.size) + 1
    which = rng.choice(hot.size, n, p=weight / weight.sum())
    spread = np.where(rng.random(n) < 0.6, 0.02, 0.25)
    x = centres.x.to_numpy()[hot][which] + rng.normal(0, 1, n) * spread
    y = centres.y.to_numpy()[hot][which] + rng.normal(0, 1, n) * spread
    if dist == "outside":
        # 12% of events around 150 hot spots on the region's outer edge
        edge_rng = np.random.default_rng(seed + 1)
        ex, ey = _outer_edge_points(communes, 150, edge_rng)
        moved = np.flatnonzero(edge_rng.random(n) < 0.12)
        at = edge_rng.integers(0, ex.size, moved.size)
        wide = np.where(edge_rng.random(moved.size) < 1 / 3, 0.03, 0.2)
        x[moved] = ex[at] + edge_rng.normal(0, 1, moved.size) * wide
        y[moved] = ey[at] + edge_rng.normal(0, 1, moved.size) * wide
    events = gpd.GeoDataFrame(
        {"event_id": np.arange(n).astype(str)},
        geometry=gpd.points_from_xy(x, y),
        crs="EPSG:4326",
    )
    return events, communes


#: assign_admin with the default threads, with one thread, and the reference.
METHODS = ("assign_admin", "assign_admin-1thread", "sjoin")


#: the snapping tolerance assign_admin runs with in each distribution (None: the default)
TOLERANCE = {"towns": 0.0, "outside": None}


def run_one(method: str, n: int, dist: str, out: str) -> None:
    import gc

    import geopandas as gpd
    import numpy as np

    import sahel_geo as sg

    events, communes = make_inputs(n, dist=dist)
    tol = TOLERANCE[dist]
    if method == "assign_admin-1thread":
        sg.set_options(threads=1)
        method = "assign_admin"
    # warm-up on 1,000 events: imports and first-call set-up are not what is measured
    if method == "assign_admin":
        sg.assign_admin(events.iloc[:1000], communes, tolerance_km=tol)
    else:
        gpd.sjoin(events.iloc[:1000], communes[["pcode", "geometry"]], predicate="within")
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        how = "VmHWM"
    except OSError:
        how = "VmHWM (not reset: includes building the inputs)"
    base = _read_kib("VmRSS")
    # Timed: the call alone. sjoin's duplicate rows (an event in several units) are
    # resolved after the clock stops, so sjoin is not charged for that step.
    if method == "assign_admin":
        t0 = time.perf_counter()
        res = sg.assign_admin(events, communes, tolerance_km=tol)
        seconds = time.perf_counter() - t0
        peak = _read_kib("VmHWM") - base
        pcode = res["adm3_pcode"].astype(object).to_numpy()
        match = res["adm3_match"].astype(str).to_numpy()
    else:
        t0 = time.perf_counter()
        res = gpd.sjoin(events, communes[["pcode", "geometry"]], predicate="within", how="left")
        seconds = time.perf_counter() - t0
        peak = _read_kib("VmHWM") - base
        counts = res.groupby(level=0)["pcode"].count()
        single = res[~res.index.duplicated(keep=False)]["pcode"]
        pcode = single.reindex(events.index).to_numpy(dtype=object)
        hits = counts.reindex(events.index).to_numpy()
        match = np.where(hits == 1, "one", np.where(hits == 0, "none", "other"))
    np.save(out + ".pcode.npy", pcode.astype(str))
    np.save(out + ".match.npy", match.astype(str))
    Path(out + ".json").write_text(
        json.dumps({"seconds": seconds, "peak_mib": peak / 1024, "memory": how})
    )


def measure(n: int, dist: str, repeat: int, tmp: str) -> dict[str, dict]:  # type: ignore[type-arg]
    """Run every method ``repeat`` times in fresh processes; return medians and answers."""
    import numpy as np

    result: dict[str, dict] = {}  # type: ignore[type-arg]
    runs: dict[str, list[float]] = {m: [] for m in METHODS}
    for rep in range(repeat):
        for method in METHODS:
            out = f"{tmp}/{method}-{dist}-{n}-{rep}"
            subprocess.run(
                [sys.executable, __file__, "--child", method, str(n), dist, out], check=True
            )
            res = json.loads(Path(out + ".json").read_text())
            runs[method].append(res["seconds"])
            if rep == 0:
                result[method] = res
                result[method]["pcode"] = np.load(out + ".pcode.npy")
                result[method]["match"] = np.load(out + ".match.npy")
            else:
                result[method]["peak_mib"] = max(result[method]["peak_mib"], res["peak_mib"])
    for method, times in runs.items():
        result[method]["seconds"] = float(np.median(times))
        result[method]["range"] = (min(times), max(times))
    return result


def report(n: int, dist: str, repeat: int, result: dict[str, dict]) -> None:  # type: ignore[type-arg]
    """Print the times, ratios to sjoin, memory and agreement of one size and distribution."""
    import numpy as np

    s = result["sjoin"]
    one = s["match"] == "one"
    outside = s["match"] == "none"
    print(
        f"{dist}, n={n:,} (tolerance_km={TOLERANCE[dist]}; outside every commune per sjoin: "
        f"{100 * outside.mean():.1f}%): sjoin {s['seconds']:.2f} s ({s['range'][0]:.2f}-"
        f"{s['range'][1]:.2f}), {s['peak_mib']:.0f} MiB; median of {repeat} fresh runs, "
        f"memory as {s['memory']}"
    )
    for method in METHODS[:2]:
        a = result[method]
        same = (a["pcode"][one] == s["pcode"][one]).sum()
        inside_elsewhere = ((a["match"] == "inside") & ~one).sum()
        print(
            f"    {method:21s} {a['seconds']:6.2f} s ({a['range'][0]:.2f}-"
            f"{a['range'][1]:.2f}) {a['peak_mib']:6.0f} MiB | speed-up "
            f"x{s['seconds'] / a['seconds']:.2f}, memory ratio "
            f"{a['peak_mib'] / max(s['peak_mib'], 1e-9):.2f} | agrees with sjoin on "
            f"{same:,} of {one.sum():,} events it puts in one unit; 'inside' where "
            f"sjoin did not find one unit: {inside_elsewhere:,}"
        )
    a = result["assign_admin"]
    print(
        "    matches: "
        + ", ".join(
            f"{k} {v:,}" for k, v in zip(*np.unique(a["match"], return_counts=True), strict=True)
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--dists", nargs="+", default=list(TOLERANCE), choices=list(TOLERANCE))
    parser.add_argument("--repeat", type=int, default=3, help="fresh runs per method")
    parser.add_argument(
        "--child", nargs=4, metavar=("METHOD", "N", "DIST", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        run_one(args.child[0], int(args.child[1]), args.child[2], args.child[3])
        return
    if not COMMUNES.is_file():
        sys.exit(f"benchmark input not found: {COMMUNES} (the shared data folder)")
    import tempfile

    print(f"polygons: {COMMUNES.name}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            for dist in args.dists:
                report(n, dist, args.repeat, measure(n, dist, args.repeat, tmp))


if __name__ == "__main__":
    main()
