"""Benchmark: write_geojson against geopandas.to_file(driver="GeoJSON") (pyogrio/GDAL).

Two inputs, built the same way for both writers:

- events: N seeded random points over Mali/Niger/Burkina Faso with 12 event-like columns
  (ids, dates, text with accents, ints, floats with NaN, bools);
- acled: ``--acled`` sizes of the demo ACLED events (``sg.demo_events``: every ACLED
  source column beside the canonical ones, 47 properties) joined to admin-1 units, the
  layer a run writes;
- communes: the ~1,300 real commune polygons of ``../shared/data/boundaries``
  (geoBoundaries, CC BY 4.0), when that folder exists.

GDAL is told the same precision (COORDINATE_PRECISION=6, RFC7946=YES). Times are the best
of ``--repeat`` runs in this process; the machine is shared, so read ratios, not seconds.
``peak`` is the rise of the process's peak resident memory during write_geojson (VmHWM,
reset before each run; Linux only), next to the size of the file written.

Usage::

    python benchmarks/bench_geojson.py                 # 10k and 100k events
    python benchmarks/bench_geojson.py --sizes 1000000 --acled 1000000 --repeat 1
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

import sahel_geo as sg

ROOT = Path(__file__).resolve().parents[1]
COMMUNES = ROOT.parent / "shared" / "data" / "boundaries"
COMMUNES = COMMUNES / "geoboundaries_lowest_units_mli_ner_bfa.geojson"


def make_events(n: int, seed: int = 7) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-12.0, 16.0, n)
    lat = rng.uniform(9.5, 24.0, n)
    fat = rng.poisson(2.0, n).astype(float)
    fat[rng.random(n) < 0.05] = np.nan
    return gpd.GeoDataFrame(
        {
            "event_id": [f"E{i:08d}" for i in range(n)],
            "source": "demo",
            "event_date": pd.Timestamp("2012-01-01")
            + pd.to_timedelta(rng.integers(0, 4000, n), unit="D"),
            "country_iso3": rng.choice(["MLI", "NER", "BFA"], n),
            "event_type": rng.choice(["Battles", "Violence against civilians", "Explosions"], n),
            "actor1": rng.choice(["JNIM", "ISGS", "Forces armées", "Koglweogo"], n),
            "fatalities": fat,
            "civilian": rng.random(n) < 0.3,
            "time_precision": rng.integers(1, 4, n),
            "notes": rng.choice(["Attaque à Ménaka.", "Embuscade près de Djibo.", ""], n),
            "lon": lon,
            "lat": lat,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )


def make_acled(n: int) -> gpd.GeoDataFrame:
    logging.disable(logging.WARNING)
    return sg.assign_admin(sg.demo_events(n=n, seed=1), sg.load_boundaries(1))


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best time (s) and largest peak memory rise (MB) of ``repeat`` runs."""
    times, peaks = [], []
    for _ in range(repeat):
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")
        before = _kib("VmRSS")
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        peaks.append(max(_kib("VmHWM") - before, 0) * 1024 / 1e6)
    return min(times), max(peaks)


def compare(label: str, gdf: gpd.GeoDataFrame, repeat: int, folder: Path) -> None:
    ours = folder / "ours.geojson"
    gdal = folder / "gdal.geojson"
    t_ours, peak = best(lambda: sg.write_geojson(gdf, ours), repeat)
    t_gdal, _ = best(
        lambda: gdf.to_file(
            gdal, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=6, RFC7946="YES"
        ),
        repeat,
    )
    print(
        f"{label:<22} write_geojson {t_ours:7.3f} s  {ours.stat().st_size / 1e6:7.2f} MB "
        f"(peak +{peak:,.0f} MB) | "
        f"to_file(GeoJSON) {t_gdal:7.3f} s  {gdal.stat().st_size / 1e6:7.2f} MB | "
        f"ratio {t_ours / t_gdal:5.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--acled", type=int, nargs="*", default=[])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in args.sizes:
            compare(f"events n={n:,}", make_events(n), args.repeat, folder)
        for n in args.acled:
            compare(f"acled n={n:,}", make_acled(n), args.repeat, folder)
        if COMMUNES.is_file():
            communes = gpd.read_file(COMMUNES)
            compare(f"communes n={len(communes):,}", communes, args.repeat, folder)
        else:
            print(f"communes: {COMMUNES} not found, skipped")


if __name__ == "__main__":
    main()
