"""Benchmark: read_acled on a large ACLED-style CSV against pandas.read_csv of the same file.

The file is the seeded synthetic demo table (``demo_acled_table``: 31 current-ACLED
columns, six flawed rows) written to a temporary folder. Each step runs in its own fresh
process so time and peak memory are measured alike: peak memory is the rise of the
process's peak resident set size (VmHWM, reset through /proc/self/clear_refs just before
the step). The references are ``pandas.read_csv`` alone, with its C engine and with
``engine="pyarrow"`` (multi-threaded; the issue's yardstick); ``read_acled`` = a read +
the canonical build (parsing, validation, rejects, geometry). The ratios read_acled /
read_csv are the figures to watch; absolute times depend on the machine and its load.

Usage::

    python benchmarks/bench_events.py                 # 1M rows
    python benchmarks/bench_events.py --sizes 100000 1000000 --repeat 5

Each figure is the median of ``--repeat`` fresh processes (default 3). ``frame`` is the
size of the method's result (pandas' deep memory use, plus the GEOS points of the
events, measured by making 100,000 of them), so ``peak / frame`` is the memory target.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _read_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def child(method: str, path: str) -> None:
    import logging

    import pandas as pd

    import sahel_geo as sg

    logging.disable(logging.WARNING)
    _reset_peak()
    before = _read_kib("VmRSS")
    start = time.perf_counter()
    if method == "read_csv":
        frame = pd.read_csv(path, low_memory=False)
        n_rows = len(frame)
    elif method == "read_csv_pyarrow":
        frame = pd.read_csv(path, engine="pyarrow")
        n_rows = len(frame)
    else:
        frame = sg.read_acled(path)
        n_rows = len(frame)
        report = sg.reports(frame)[-1]
        assert report.n_in == report.n_kept + report.n_rejected
    seconds = time.perf_counter() - start
    peak = _read_kib("VmHWM") - before
    size = _frame_mib(frame)
    print(
        json.dumps(
            {
                "method": method,
                "rows": n_rows,
                "seconds": seconds,
                "peak_mib": peak / 1024,
                "frame_mib": size,
            }
        )
    )


def _frame_mib(frame: object) -> float:
    """Size of the result: pandas' deep memory use, plus the GEOS points of a GeoDataFrame.

    A GEOS point is measured as the rise of the resident set when 100,000 of them are
    made (their Python objects and the GEOS coordinate sequences).
    """
    import numpy as np
    import pandas as pd
    import shapely

    assert isinstance(frame, pd.DataFrame)
    total = float(frame.memory_usage(deep=True, index=True).sum())
    if "geometry" in frame.columns:
        before = _read_kib("VmRSS")
        probe = shapely.points(np.zeros(100_000), np.zeros(100_000))
        per_point = max(_read_kib("VmRSS") - before, 0) * 1024 / len(probe)
        total += per_point * len(frame)
    return total / 2**20


def run(sizes: list[int], repeat: int, csv: Path | None = None) -> None:
    import sahel_geo as sg

    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            if csv is None:
                path = Path(tmp) / f"acled_{n}.csv"
                t0 = time.perf_counter()
                sg.demo_acled_table(n=n, seed=1).to_csv(path, index=False)
                made = time.perf_counter() - t0
                size_mb = path.stat().st_size / 1e6
                print(f"n={n:,}: wrote {size_mb:,.0f} MB demo CSV in {made:.1f} s")
            else:
                path = csv
                print(f"{path}: {path.stat().st_size / 1e6:,.0f} MB")
            methods = ("read_csv", "read_csv_pyarrow", "read_acled")
            # interleaved (A B C A B C ...): a change in the machine's load hits all alike
            runs: dict[str, list[dict[str, float]]] = {m: [] for m in methods}
            for _ in range(repeat):
                for method in methods:
                    runs[method].append(_child_run(method, path))
            results = {}
            for method in methods:
                r = {
                    k: statistics.median(x[k] for x in runs[method])
                    for k in runs[method][0]
                    if k != "method"
                }
                results[method] = r
                print(
                    f"  {method:16s} {r['seconds']:7.2f} s  peak +{r['peak_mib']:,.0f} MiB  "
                    f"frame {r['frame_mib']:,.0f} MiB  rows {r['rows']:,.0f}"
                )
            for ref in ("read_csv", "read_csv_pyarrow"):
                ratio = results["read_acled"]["seconds"] / results[ref]["seconds"]
                print(f"  read_acled / {ref} time ratio: {ratio:.2f}")
            acled = results["read_acled"]
            print(
                f"  read_acled peak / its frame: {acled['peak_mib'] / acled['frame_mib']:.2f} "
                f"(medians of {repeat} fresh processes per method)"
            )


def _child_run(method: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", method, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per method")
    parser.add_argument("--csv", type=Path, help="an existing ACLED CSV instead of demo data")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
    else:
        run([0] if args.csv else args.sizes, args.repeat, args.csv)


if __name__ == "__main__":
    main()
