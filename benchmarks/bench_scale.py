"""Scale benchmark, events half: 50M events read, joined and aggregated on a LocalCluster.

Synthetic ACLED-like events (seeded; ids, dates as ACLED's ``YYYY-MM-DD`` text, points
clustered around the communes' representative points, a few outside every commune) are
written as partitioned Parquet (``--rows-per-file`` rows per
file) in a temporary folder, then, on a ``distributed.LocalCluster`` of ``--workers``
worker processes (one thread each, ``--worker-memory`` each):

1. ``read_events_dask(folder)``: the ACLED rules per file (a first pass counts the rows
   and hashes the ids; ids repeated across files are checked);
2. ``sg.assign_admin(events, communes)``: the ~1,300 shared communes
   (``../shared/data/boundaries``, geoBoundaries, CC BY 4.0), default snapping;
3. ``sg.aggregate(joined, unit="adm3_pcode", freq="month").compute()``: unit × month,
   partial sums per partition added up; the step reports of the three steps come back
   with the table, and the script checks that they add up (rows in = kept + rejected)
   and that the table counts every kept, assigned event.

It prints the time of each phase, rows per second, and peak memory: the peak resident
memory of the client process and of each worker process (sampled every 0.2 s from
``/proc``; workers are children of their nannies), their sum (the figure to keep under
6 GB), and the largest simultaneous total. A watchdog stops the run if the total passes
``--stop-gb``. For a reference, the in-memory path (``read_acled`` of the same rows,
``assign_admin``, ``aggregate``) runs first on ``--reference-events`` rows in a fresh
process, and the ratio of rows per second is printed (the machine is shared: both are
measured in the same run).

On a cluster of N machines the same code runs unchanged with ``Client("tcp://host:8786")``
in place of the LocalCluster: the files must then be on storage every worker reads (S3,
a shared disk); each worker reads, checks and joins its files, and only the partial
unit × month sums (a few MB) and the rejects travel to the client. The work is
embarrassingly parallel by file, so time falls about as 1/N until the first pass (the
id hashes, 8 bytes per row, gathered in the client) and the client's final sum dominate.

``--part stack`` runs ``benchmarks/scale_stack.py`` (the 30-year daily stack, written by
another benchmark module) with the remaining arguments; ``--part all`` runs both.

Usage::

    python benchmarks/bench_scale.py --events 2000000           # quick
    python benchmarks/bench_scale.py                            # 50M events
    python benchmarks/bench_scale.py --part stack -- --years 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
COMMUNES = (
    ROOT.parent
    / "shared"
    / "data"
    / "boundaries"
    / "geoboundaries_lowest_units_mli_ner_bfa.geojson"
)


ISO = {"Mali": ("MLI", 466), "Burkina Faso": ("BFA", 854), "Niger": ("NER", 562)}


def communes():
    import geopandas as gpd

    g = gpd.read_file(COMMUNES)
    return g.assign(
        admin_level=3,
        pcode=[f"C{i:04d}" for i in range(len(g))],
        country_iso3=g["country"].map(lambda c: ISO[c][0]),
    )


def write_events(folder: Path, n: int, rows_per_file: int, seed: int = 13) -> int:
    """Write n synthetic ACLED-like rows as Parquet files; return the bytes written.

    Each event lies near a random commune's representative point (normal jitter of
    0.03 degrees): most fall in that commune, some in a neighbour or just outside the
    region (snapped or unassigned), as real events cluster in places.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    units = communes()
    anchor = units.geometry.representative_point()
    ax, ay = anchor.x.to_numpy(), anchor.y.to_numpy()
    iso = units["country"].map(lambda c: ISO[c][1]).to_numpy()
    rng = np.random.default_rng(seed)
    start = np.datetime64("2012-01-01")
    types = pa.array(["Battles", "Violence against civilians", "Explosions/Remote violence"])
    total = 0
    for k, lo in enumerate(range(0, n, rows_per_file)):
        m = min(rows_per_file, n - lo)
        ids = pc.binary_join_element_wise(
            "SYN", pc.cast(pa.array(np.arange(lo, lo + m)), pa.string()), ""
        )
        days = start + rng.integers(0, 12 * 365, m).astype("timedelta64[D]")
        unit = rng.integers(0, len(ax), m)
        table = pa.table(
            {
                "event_id_cnty": ids,
                "event_date": pa.array(days.astype(str)),
                "time_precision": rng.integers(1, 4, m),
                "event_type": pc.take(types, pa.array(rng.integers(0, 3, m))),
                "latitude": np.round(ay[unit] + rng.normal(0, 0.03, m), 4),
                "longitude": np.round(ax[unit] + rng.normal(0, 0.03, m), 4),
                "geo_precision": rng.integers(1, 4, m),
                "fatalities": rng.poisson(1.5, m),
                "iso": iso[unit],
            }
        )
        path = folder / f"part-{k:05d}.parquet"
        pq.write_table(table, path)
        total += path.stat().st_size
    return total


class Peaks:
    """Sample the resident memory of this process and its children every 0.2 s."""

    def __init__(self, stop_gb: float) -> None:
        import psutil

        self.me = psutil.Process()
        self.stop_bytes = stop_gb * 2**30
        self.peak: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self.total_peak = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import psutil

        while self.running:
            total = 0
            procs = [self.me, *self.me.children(recursive=True)]
            for p in procs:
                try:
                    rss = p.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                self.peak[p.pid] = max(self.peak.get(p.pid, 0), rss)
                self.names.setdefault(p.pid, "client" if p.pid == self.me.pid else p.name())
            self.total_peak = max(self.total_peak, total)
            if total > self.stop_bytes:
                print(f"STOP: {total / 2**30:.2f} GB in use, over --stop-gb", flush=True)
                for p in procs[1:]:
                    p.kill()
                os._exit(3)
            time.sleep(0.2)

    def stop(self) -> dict[str, float]:
        self.running = False
        self.thread.join()
        gb = {f"{self.names[pid]}[{pid}]": v / 2**30 for pid, v in self.peak.items()}
        return gb


def reference(folder: Path, n: int) -> dict[str, float]:
    """The in-memory path on the first files (run in a fresh process)."""
    import pandas as pd
    import pyarrow.parquet as pq

    import sahel_geo as sg

    files = sorted(folder.glob("*.parquet"))
    units = communes()
    t0 = time.perf_counter()
    frames, got = [], 0
    for f in files:
        frames.append(pq.read_table(f).to_pandas())
        got += len(frames[-1])
        if got >= n:
            break
    raw = pd.concat(frames, ignore_index=True).iloc[:n]
    events = sg.read_acled(raw)
    t1 = time.perf_counter()
    joined = sg.assign_admin(events, units)
    t2 = time.perf_counter()
    table = sg.aggregate(joined, unit="adm3_pcode", freq="month")
    t3 = time.perf_counter()
    peak = int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]) / 2**20
    return {
        "rows": len(raw),
        "read_s": t1 - t0,
        "join_s": t2 - t1,
        "aggregate_s": t3 - t2,
        "total_s": t3 - t0,
        "peak_gb": peak,
        "events": int(table["events"].sum()),
    }


def run_dask(folder: Path, args: argparse.Namespace) -> dict[str, object]:
    import dask
    from distributed import Client, LocalCluster

    import sahel_geo as sg
    from sahel_geo.io.event_blocks import read_events_dask

    units = communes()
    peaks = Peaks(args.stop_gb)
    with (
        dask.config.set({"distributed.worker.daemon": False}),
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=args.worker_memory,
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):
        # workers import the library before the clock starts (the reference process too)
        client.run(lambda: __import__("sahel_geo.analysis.partitioned"))
        client.run(lambda: __import__("sahel_geo.io.event_blocks"))
        t0 = time.perf_counter()
        events = read_events_dask(folder)
        t1 = time.perf_counter()
        joined = sg.assign_admin(events, units)
        table = sg.aggregate(joined, unit="adm3_pcode", freq="month").compute()
        t2 = time.perf_counter()
    per_process = peaks.stop()
    reps = sg.reports(table)
    for r in reps:
        assert r.n_in == r.n_kept + r.n_rejected, r
    read, join, agg = reps
    assert int(table["events"].sum()) == agg.n_kept == join.n_kept - agg.n_rejected
    return {
        "rows": read.n_in,
        "first_pass_s": t1 - t0,
        "read_join_aggregate_s": t2 - t1,
        "total_s": t2 - t0,
        "partitions": events.npartitions,
        "peak_gb_per_process": per_process,
        "peak_gb_sum": sum(per_process.values()),
        "peak_gb_simultaneous": peaks.total_peak / 2**30,
        "reports": [r.summary() for r in reps],
        "table_rows": len(table),
    }


def events_part(args: argparse.Namespace) -> None:
    if not COMMUNES.is_file():
        sys.exit(f"benchmark input not found: {COMMUNES} (the shared data folder)")
    with tempfile.TemporaryDirectory(prefix="sahel_scale_", dir=args.tmp) as tmp:
        folder = Path(tmp) / "events"
        folder.mkdir()
        t = time.perf_counter()
        size = write_events(folder, args.events, args.rows_per_file)
        print(
            f"wrote {args.events:,} events in {len(list(folder.iterdir()))} Parquet files "
            f"({size / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s",
            flush=True,
        )
        ref_n = min(args.reference_events, args.events)
        ref = {}
        if ref_n:
            out = subprocess.run(
                [sys.executable, __file__, "--reference-of", str(folder), "--events", str(ref_n)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            ref = json.loads(out.strip().splitlines()[-1])
            print(
                f"in memory, {ref['rows']:,} rows: {ref['total_s']:.1f} s "
                f"(read {ref['read_s']:.1f}, join {ref['join_s']:.1f}, aggregate "
                f"{ref['aggregate_s']:.1f}), {ref['rows'] / ref['total_s']:,.0f} rows/s, "
                f"peak {ref['peak_gb']:.2f} GB",
                flush=True,
            )
        res = run_dask(folder, args)
    rate = res["rows"] / res["total_s"]
    print(
        f"dask, {res['rows']:,} rows in {res['partitions']} partitions on {args.workers} workers:"
    )
    print(
        f"  {res['total_s']:.1f} s (first pass {res['first_pass_s']:.1f} s; read+join+aggregate "
        f"{res['read_join_aggregate_s']:.1f} s), {rate:,.0f} rows/s"
    )
    for name, gb in res["peak_gb_per_process"].items():
        print(f"  peak {name}: {gb:.2f} GB")
    print(
        f"  peak memory: sum of process peaks {res['peak_gb_sum']:.2f} GB, largest "
        f"simultaneous total {res['peak_gb_simultaneous']:.2f} GB"
    )
    for line in res["reports"]:
        print("  report:", line[:200])
    if ref:
        print(f"  rows/s dask / in memory: {rate / (ref['rows'] / ref['total_s']):.2f}")


def stack_part(argv: list[str]) -> None:
    path = Path(__file__).with_name("scale_stack.py")
    if not path.is_file():
        print(f"stack part: {path} is missing (another benchmark module); skipped")
        return
    sys.path.insert(0, str(path.parent))
    import scale_stack

    scale_stack.main(argv)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000_000)
    parser.add_argument("--part", choices=["events", "stack", "all"], default="events")
    parser.add_argument("--rows-per-file", type=int, default=500_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-memory", default="2.5GB")
    parser.add_argument("--reference-events", type=int, default=1_000_000)
    parser.add_argument("--stop-gb", type=float, default=6.5)
    parser.add_argument("--tmp", default=None, help="folder for the temporary files")
    parser.add_argument("--reference-of", default=None, help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args(argv)
    if args.reference_of:
        print(json.dumps(reference(Path(args.reference_of), args.events)))
        return
    if args.part in ("events", "all"):
        events_part(args)
    if args.part in ("stack", "all"):
        stack_part([a for a in rest if a != "--"])


if __name__ == "__main__":
    main()
