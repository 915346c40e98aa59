"""Benchmark: the whole ``sahel-geo run`` at 1M and 10M events, step by step.

The run is the demo config (``data/demo.toml``: SYNTHETIC demo events, the bundled
admin-1 units of Mali, Burkina Faso and Niger, the demo SPEI stack and wasting surface)
with ``demo_n`` events and ``permutations = 999``, in a fresh process per case. Two
layouts of the events layer, the rest unchanged (units as GeoJSON):

- ``parquet``: ``[output] events_formats = ["parquet"]`` (what ``auto`` writes above
  100,000 events);
- ``geojson``: ``events_formats = ["geojson"]``.

Each step of the run (its progress callback marks them) gets its wall time and the
peak resident memory of the process during the step (Linux VmHWM, reset at every step
through ``/proc/self/clear_refs``); the table ends with the run's total and the
process's overall peak, next to the issue's targets (1M: <= 20 s and <= 2.5 GB with
GeoParquet events, <= 35 s with GeoJSON events; 10M: <= 4 min within 12 GB). The
events are generated in memory by the demo (step 1 includes generating them), so
reading a file is measured by ``bench_events.py``, not here.

Only absolute targets apply to a whole run: no other tool runs this analysis. The
steps' own reference ratios are in ``bench_join.py`` (assign_admin vs geopandas.sjoin),
``bench_zonal.py`` (vs exactextract), ``bench_geojson.py`` (vs pyogrio) and
``bench_spread.py`` (Gi* vs esda).

Usage::

    python benchmarks/bench_run.py                        # 1M, both layouts
    python benchmarks/bench_run.py --events 10000000 --layouts parquet
    python benchmarks/bench_run.py --events 200000 --repeat 3   # median of 3
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

TARGETS = {  # (events, layout) -> (seconds, GB), from issue 15
    (1_000_000, "parquet"): (20.0, 2.5),
    (1_000_000, "geojson"): (35.0, None),
    (10_000_000, "parquet"): (240.0, 12.0),
}

_CHILD = r"""
import json, sys, time, tomllib
from pathlib import Path

def hwm_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0

def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass

import sahel_geo as sg
from sahel_geo.workflow.config import Config, demo_config_path, parse_config
from sahel_geo.workflow.pipeline import run

n, layout, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
path = demo_config_path()
raw = tomllib.loads(path.read_text(encoding="utf-8"))
raw["inputs"]["demo_n"] = n
raw["analysis"]["permutations"] = 999
raw.setdefault("output", {})["events_formats"] = [layout]
cfg = parse_config(raw, base=path.parent, source=str(path))
cfg = Config(values=cfg.values, path=path)
steps, peak_all = [], [0]
state = {"t": time.perf_counter(), "what": "checking the config"}

def tick(i, total, what):
    now, peak = time.perf_counter(), hwm_kb()
    peak_all[0] = max(peak_all[0], peak)
    steps.append((state["what"], now - state["t"], peak / 1e6))
    reset_hwm()
    state.update(t=time.perf_counter(), what=what)

t0 = time.perf_counter()
sg.set_options(progress=False)
run(cfg, out, progress=tick)
tick(0, 0, "")
total = time.perf_counter() - t0
print(json.dumps({"steps": steps, "total": total, "peak_gb": max(peak_all[0], hwm_kb()) / 1e6}))
"""


def run_case(n: int, layout: str) -> dict[str, Any]:
    """Run one case in a fresh process; return its steps, total and peak."""
    with tempfile.TemporaryDirectory(prefix="bench_run_") as tmp:
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(n), layout, str(Path(tmp) / "out")],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(f"run failed ({n}, {layout}):\n{proc.stderr[-3000:]}")
        size = sum(p.stat().st_size for p in (Path(tmp) / "out").glob("events.*"))
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["events_mb"] = size / 1e6
    return result


def _median(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median total (its steps as measured)."""
    ordered = sorted(results, key=lambda r: r["total"])
    return ordered[len(ordered) // 2]


def report(n: int, layout: str, res: dict[str, Any], totals: list[float]) -> None:
    """Print one case's table: each step's time and peak, the total against the target."""
    print(f"\n{n:,} events, events layer as {layout} ({res['events_mb']:.0f} MB written)")
    print(f"  {'step':<48} {'time s':>8} {'peak GB':>8}")
    for what, secs, peak in res["steps"]:
        print(f"  {what:<48} {secs:>8.2f} {peak:>8.2f}")
    target_s, target_gb = TARGETS.get((n, layout), (None, None))
    runs = ", ".join(f"{t:.1f}" for t in totals)
    print(
        f"  {'total (median of ' + str(len(totals)) + ': ' + runs + ')':<48} "
        f"{res['total']:>8.2f} {res['peak_gb']:>8.2f}"
    )
    if target_s is not None:
        ok_s = res["total"] <= target_s
        ok_gb = target_gb is None or res["peak_gb"] <= target_gb
        gb = f", <= {target_gb} GB" if target_gb else ""
        verdict = "met" if ok_s and ok_gb else "NOT met"
        print(f"  target <= {target_s:.0f} s{gb}: {verdict}")


def main(argv: list[str] | None = None) -> None:
    """Run the cases given on the command line and print their tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--layouts", nargs="+", default=["parquet", "geojson"])
    ap.add_argument("--repeat", type=int, default=1, help="fresh processes per case")
    args = ap.parse_args(argv)
    demo = tomllib.loads((Path(__file__).parents[1] / "data" / "demo.toml").read_text())
    print(
        f"config: data/demo.toml, demo_n = N, permutations = 999 (demo default "
        f"{demo['analysis']['permutations']}); machine: {time.strftime('%Y-%m-%d %H:%M')}"
    )
    for n in args.events:
        for layout in args.layouts:
            results = [run_case(n, layout) for _ in range(args.repeat)]
            report(n, layout, _median(results), [r["total"] for r in results])
    print("\nmedian of fresh processes; on a shared machine compare runs, not seconds")


if __name__ == "__main__":
    main()
