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
    python benchmarks/bench_events.py --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import contextlib
import json
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
        events = sg.read_acled(path)
        n_rows = len(events)
        report = sg.reports(events)[-1]
        assert report.n_in == report.n_kept + report.n_rejected
    seconds = time.perf_counter() - start
    peak = _read_kib("VmHWM") - before
    print(
        json.dumps({"method": method, "rows": n_rows, "seconds": seconds, "peak_mib": peak / 1024})
    )


def run(sizes: list[int]) -> None:
    import sahel_geo as sg

    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"acled_{n}.csv"
            t0 = time.perf_counter()
            sg.demo_acled_table(n=n, seed=1).to_csv(path, index=False)
            made = time.perf_counter() - t0
            size_mb = path.stat().st_size / 1e6
            print(f"n={n:,}: wrote {size_mb:,.0f} MB demo CSV in {made:.1f} s")
            results = {}
            for method in ("read_csv", "read_csv_pyarrow", "read_acled"):
                out = subprocess.run(
                    [sys.executable, __file__, "--child", method, str(path)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                results[method] = json.loads(out.stdout.strip().splitlines()[-1])
                r = results[method]
                print(
                    f"  {method:16s} {r['seconds']:7.2f} s  peak +{r['peak_mib']:,.0f} MiB  "
                    f"rows {r['rows']:,}"
                )
            for ref in ("read_csv", "read_csv_pyarrow"):
                ratio = results["read_acled"]["seconds"] / results[ref]["seconds"]
                print(f"  read_acled / {ref} time ratio: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
    else:
        run(args.sizes)


if __name__ == "__main__":
    main()
