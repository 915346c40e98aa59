"""Benchmark: spread analytics on 1M events, 144 monthly periods, ~20,000 hexagons or
~1,300 communes.

Measured in the same run:

- events to cells (``sahel_geo.events_to_cells``, arithmetic) against a polygon join
  (``geopandas.sjoin``, ``within``) on the same events; assignments are compared;
- aggregation by unit × month (``sahel_geo.aggregate``) against a pandas
  ``groupby().size().unstack()`` on the same columns; totals compared;
- Gi* on the total counts (``sahel_geo.getis_ord``, 999 permutations) against
  ``esda.G_Local(..., star=True, transform="B", permutations=999, n_jobs=1)``; z-scores compared;
- the SCDi on SWAC's 25' grid per year (no reference implementation: timed alone);
- the Knox test on a 20,000-event sample against ``pointpats.spacetime.Knox`` (99
  permutations; pointpats on UTM 30N coordinates, ours geodesic);
- the Gi* step of emerging hot spot analysis (144 bins at once, ``sahel_geo.emerging_hotspots``
  including Mann-Kendall and the categories) against one ``esda.G_Local`` per bin
  (``permutations=0``) on the same weights; z-scores compared.

Events are synthetic: a seeded mixture of clusters drifting from central Mali towards the
tri-border and Burkina Faso / Niger over 12 years, plus background noise. numba is not
installed here, so esda runs its pure-numpy fallback; timings are noisy (2 shared cores).

Run: ``python benchmarks/bench_spread.py`` (``--events 200000`` for a quick run,
``--units communes`` for the ~1,300 geoBoundaries communes from ../shared/data).
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings
from pathlib import Path

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
from pointpats.spacetime import Knox

import sahel_geo as sg
from sahel_geo.analysis.weights import spatial_weights

BBOX = (-12.3, 9.4, 16.0, 23.5)
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def synthetic_events(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    months = 144
    t = rng.integers(0, months, n)
    frac = t / months
    n_clusters = 60
    cx0 = rng.uniform(-6, -1, n_clusters)
    cy0 = rng.uniform(13.5, 17, n_clusters)
    cx1 = rng.uniform(-3, 3.5, n_clusters)
    cy1 = rng.uniform(11.5, 15.5, n_clusters)
    k = rng.integers(0, n_clusters, n)
    lon = cx0[k] + (cx1[k] - cx0[k]) * frac + rng.normal(0, 0.35, n)
    lat = cy0[k] + (cy1[k] - cy0[k]) * frac + rng.normal(0, 0.35, n)
    noise = rng.random(n) < 0.2
    lon[noise] = rng.uniform(-11, 15, noise.sum())
    lat[noise] = rng.uniform(10, 22, noise.sum())
    lon = np.clip(lon, BBOX[0] + 0.01, BBOX[2] - 0.01)
    lat = np.clip(lat, BBOX[1] + 0.01, BBOX[3] - 0.01)
    starts = pd.date_range("2012-01-01", periods=months, freq="MS")
    dates = starts[t] + pd.to_timedelta(rng.integers(0, 28, n), unit="D")
    return gpd.GeoDataFrame(
        {
            "event_date": dates,
            "fatalities": rng.poisson(1.5, n),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


def timed(label: str, fn, results: dict):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    results[label] = time.perf_counter() - t0
    print(f"  {label:<44s} {results[label]:8.2f} s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--hex-km", type=float, default=10.0)
    ap.add_argument("--units", choices=["hex", "communes"], default="hex")
    ap.add_argument("--permutations", type=int, default=999)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--knox-events", type=int, default=20_000)
    args = ap.parse_args()
    r: dict[str, float] = {}
    print(f"events={args.events:,} units={args.units} seed={args.seed}")
    ev = timed("generate events", lambda: synthetic_events(args.events, args.seed), r)

    if args.units == "hex":
        spec = sg.GridSpec.hexagons(args.hex_km)
        zones = timed("make_grid (hexagons)", lambda: sg.make_grid(BBOX, spec=spec), r)
        zones = zones.assign(pcode=zones["cell_id"].astype(str))
        cell = timed("events_to_cells (ours)", lambda: sg.events_to_cells(ev, spec=spec), r)
        ev = ev.assign(unit=cell.astype(str).to_numpy())
        joined = timed(
            "sjoin within (geopandas, reference)",
            lambda: gpd.sjoin(ev[["geometry"]], zones[["cell_id", "geometry"]], predicate="within"),
            r,
        )
        agree = (cell.loc[joined.index].to_numpy() == joined["cell_id"].to_numpy()).mean()
        print(f"  assignment agreement with sjoin: {agree:.5f} ({len(joined):,} joined)")
    else:
        zones = gpd.read_file(
            SHARED / "boundaries" / "geoboundaries_lowest_units_mli_ner_bfa.geojson"
        )
        zones = zones.reset_index(drop=True).assign(
            pcode=lambda d: [f"u{i}" for i in range(len(d))]
        )
        joined = timed(
            "sjoin within (units)",
            lambda: gpd.sjoin(ev[["geometry"]], zones[["pcode", "geometry"]], predicate="within"),
            r,
        )
        joined = joined[~joined.index.duplicated()]
        ev = ev.assign(unit=joined["pcode"].reindex(ev.index).to_numpy())
    print(f"  zones: {len(zones):,}")

    units = zones["pcode"].tolist()
    counts = timed(
        "aggregate unit x month (ours)",
        lambda: sg.aggregate(ev, unit="unit", freq="month", units=units),
        r,
    )

    def pandas_ref() -> pd.DataFrame:
        per = ev["event_date"].dt.to_period("M")
        tab = ev.groupby(["unit", per]).size().unstack(fill_value=0)
        return tab.reindex(units, fill_value=0)

    ref = timed("groupby().size().unstack() (pandas)", pandas_ref, r)
    assert int(ref.to_numpy().sum()) == int(counts["events"].sum())
    periods = counts["period"].nunique()
    print(f"  periods: {periods}, rows: {len(counts):,}")

    wide = counts.pivot(index="unit", columns="period", values="events").reindex(units)
    total = wide.sum(axis=1).to_numpy(dtype=float)

    w = timed("queen weights (ours)", lambda: spatial_weights(zones, "queen"), r)
    res = timed(
        f"getis_ord {args.permutations} perms (ours)",
        lambda: sg.getis_ord(zones, total, weights=w, permutations=args.permutations, seed=1),
        r,
    )
    wlp = libpysal.weights.WSP(w).to_W(silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = timed(
            f"esda.G_Local {args.permutations} perms",
            lambda: esda.G_Local(
                total,
                wlp,
                transform="B",
                star=True,
                permutations=args.permutations,
                seed=1,
                n_jobs=1,
            ),
            r,
        )
    dz = np.nanmax(np.abs(res.table["z"].to_numpy() - g.Zs))
    dp = np.nanmax(np.abs(res.table["p_sim"].to_numpy() - g.p_sim))
    print(f"  max |z - esda z| = {dz:.2e}; max |p_sim - esda p_sim| = {dp:.3f} (different draws)")

    arr = wide.to_numpy(dtype=float)
    eh = timed(
        f"emerging_hotspots {arr.shape[1]} bins (ours, all steps)",
        lambda: sg.emerging_hotspots(zones, arr, weights=w),
        r,
    )

    def esda_bins() -> np.ndarray:
        out = np.empty_like(arr)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for k in range(arr.shape[1]):
                out[:, k] = esda.G_Local(
                    arr[:, k], wlp, transform="B", star=True, permutations=0
                ).Zs
        return out

    zs = timed(f"esda.G_Local x {arr.shape[1]} bins (Gi* only)", esda_bins, r)
    both = np.isfinite(zs) & np.isfinite(eh.z.to_numpy())
    print(f"  EHSA z vs esda: max abs diff {np.max(np.abs(zs[both] - eh.z.to_numpy()[both])):.2e}")
    print("  categories:", eh.categories["category"].value_counts().head(8).to_dict())

    timed("scdi, SWAC 25' grid, yearly (ours)", lambda: sg.scdi(ev), r)

    sample = ev.sample(args.knox_events, random_state=args.seed)
    kn = timed(
        f"knox_test {args.knox_events:,} events, 99 perms (ours)",
        lambda: sg.knox_test(sample, distance_km=10.0, days=14.0, permutations=99, seed=1),
        r,
    )
    utm = sample.to_crs("EPSG:32630")
    s_km = np.column_stack([utm.geometry.x, utm.geometry.y]) / 1000.0
    days = pd.DatetimeIndex(utm["event_date"])
    t_days = np.asarray((days - days.min()) / pd.Timedelta(days=1), dtype=float).reshape(-1, 1)
    ref_knox = timed(
        f"pointpats Knox {args.knox_events:,} events, 99 perms",
        lambda: Knox(s_km, t_days, delta=10.0, tau=14.0, permutations=99),
        r,
    )
    print(f"  Knox NST ours (geodesic) {kn.statistic:,} vs pointpats (UTM 30N) {ref_knox.nst:,}")

    print("\nratios (esda or pandas time / ours):")
    agg_key = "aggregate unit x month (ours)"
    print(f"  aggregation  : {r['groupby().size().unstack() (pandas)'] / r[agg_key]:6.1f}x")
    gi_ours = r[f"getis_ord {args.permutations} perms (ours)"]
    print(f"  Gi* perms    : {r[f'esda.G_Local {args.permutations} perms'] / gi_ours:6.1f}x")
    eh_ours = r[f"emerging_hotspots {arr.shape[1]} bins (ours, all steps)"]
    print(f"  EHSA Gi* step: {r[f'esda.G_Local x {arr.shape[1]} bins (Gi* only)'] / eh_ours:6.1f}x")
    kk = f"{args.knox_events:,} events, 99 perms"
    print(f"  Knox         : {r[f'pointpats Knox {kk}'] / r[f'knox_test {kk} (ours)']:6.1f}x")
    if args.units == "hex":
        sj = r["sjoin within (geopandas, reference)"]
        print(f"  cells       : {sj / r['events_to_cells (ours)']:6.1f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
