"""Benchmark: the size budget of sahel_geo maps (1M events under 10 MB of HTML).

For each size, seeded synthetic events (clustered around towns of the Liptako-Gourma
region, with ACLED-like notes) are drawn with ``sahel_geo.make_map`` in its automatic
mode (markers -> clusters -> hexagons; plus the binned heat map layer), and, as the
reference, with folium's own ``FastMarkerCluster`` of the bare coordinates (no popups),
the lightest layer folium offers for many points. Each case runs in its own process:
the HTML size, the time to build and render it, and the process's peak memory (rise of
VmHWM while the case runs) are printed, with the size and time ratios against folium.

This is a benchmark, not a test: timings vary with the machine's load.

Usage::

    python benchmarks/bench_map.py                       # 10k, 100k, 1M events
    python benchmarks/bench_map.py --sizes 1000000 --no-reference
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BUDGET = 10 * 1024 * 1024


def _read_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _events(n: int, seed: int = 7):  # type: ignore[no-untyped-def]
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    towns = np.array(
        [
            [-1.52, 12.37],
            [-0.35, 14.09],
            [2.11, 13.51],
            [-4.0, 14.49],
            [1.45, 14.2],
            [-0.05, 15.28],
            [0.05, 12.06],
            [-3.0, 16.27],
            [1.2, 16.4],
            [-1.5, 13.1],
        ]
    )
    pick = rng.integers(0, len(towns), n)
    xy = towns[pick] + rng.normal(0, 0.6, (n, 2))
    days = rng.integers(0, 12 * 365, n)
    notes = np.array(
        [
            "On [date], unidentified armed men attacked a village; 3 civilians killed.",
            "Clashes between JNIM and the armed forces near the market; casualties unknown.",
            "An IED struck a military convoy on the road; 2 soldiers killed, 4 wounded.",
        ]
    )
    return gpd.GeoDataFrame(
        {
            "event_id": pd.Series(np.arange(n)).map("BM{}".format),
            "event_date": pd.Timestamp("2012-01-01") + pd.to_timedelta(days, "D"),
            "event_type": np.array(["Battles", "Violence against civilians", "Explosions"])[
                pick % 3
            ],
            "actor1": np.array(["JNIM", "ISGS", "Military Forces", "Unidentified"])[pick % 4],
            "fatalities": rng.poisson(1.5, n),
            "notes": notes[pick % 3],
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs="EPSG:4326",
    )


def _case(kind: str, n: int) -> dict[str, object]:
    import sahel_geo as sg

    events = _events(n)
    units = sg.load_boundaries(level=1).assign(events=1)
    Path("/proc/self/clear_refs").write_text("5")
    base = _read_kib("VmHWM")
    t0 = time.perf_counter()
    if kind == "sahel_geo":
        import logging

        logging.basicConfig(level=logging.WARNING)
        mode = sg.events_layer_mode(n)
        fmap = sg.make_map(units, events=events)
    else:
        import folium
        from folium.plugins import FastMarkerCluster

        mode = "FastMarkerCluster (coordinates only)"
        fmap = folium.Map(tiles=None)
        lat = events.geometry.y.to_numpy().round(5).tolist()
        lon = events.geometry.x.to_numpy().round(5).tolist()
        FastMarkerCluster(list(zip(lat, lon, strict=True))).add_to(fmap)
    html = fmap.get_root().render()
    seconds = time.perf_counter() - t0
    peak = _read_kib("VmHWM") - base
    return {
        "kind": kind,
        "n": n,
        "mode": mode,
        "bytes": len(html.encode("utf-8")),
        "seconds": round(seconds, 2),
        "peak_mib": round(peak / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--case", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(_case(args.case[0], int(args.case[1]))))
        return
    print(f"{'n':>9} {'method':<10} {'events layer':<38} {'HTML MB':>8} {'s':>7} {'peak MiB':>9}")
    failed = False
    for n in args.sizes:
        rows = {}
        kinds = ["sahel_geo"] + ([] if args.no_reference else ["folium"])
        for kind in kinds:
            out = subprocess.run(
                [sys.executable, __file__, "--case", kind, str(n)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rows[kind] = r
            print(
                f"{n:>9,} {kind:<10} {r['mode']!s:<38} {r['bytes'] / 1e6:>8.2f} "
                f"{r['seconds']:>7.2f} {r['peak_mib']:>9.1f}"
            )
        ours = rows["sahel_geo"]
        if int(ours["bytes"]) > BUDGET:  # type: ignore[call-overload]
            failed = True
            print(f"  OVER BUDGET: {ours['bytes']} bytes > {BUDGET}")
        if "folium" in rows:
            ref = rows["folium"]
            print(
                f"  ratio sahel_geo / folium: size {ours['bytes'] / ref['bytes']:.3f}, "  # type: ignore[operator]
                f"time {ours['seconds'] / max(ref['seconds'], 1e-9):.2f}"  # type: ignore[operator]
            )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
