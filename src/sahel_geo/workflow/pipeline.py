"""Runs end to end (run layer): a config-driven regional analysis, and the demo.

:func:`run` reads a checked :class:`~sahel_geo.workflow.config.Config` (``sahel-geo run
analysis.toml``) and writes one output folder::

    events.geojson            events with their unit at every level
    adm{L}_units.geojson      units with totals, rates, change, drought, wasting,
                              first arrival and hot spots, one file per level
    map.html                  the Folium map (offline; see sahel_geo.present.maps)
    figures/*.png             choropleth, counts by country, spread, conflict vs drought
    tables/*.csv              unit × period counts, change, first arrival, spread,
                              country shares, conflict × drought (per level)
    rejects.csv               every row that could not be used, with its reason
    manifest.json             inputs (path, size, SHA-256, rows), parameters, versions,
                              what each step kept, the map's events layer, outputs

Every file is written atomically (a temporary file in the same folder, then a rename),
so an interrupted run leaves no half-written file; the manifest is written last. Run
again on the same inputs, every output is byte-identical apart from the manifest's
``run_time``. :func:`run_demo` is this run on the bundled demo config.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from sahel_geo.analysis.hotspots import getis_ord
from sahel_geo.analysis.join import assign_admin
from sahel_geo.analysis.spread import country_shares, expansion_relocation, first_arrival
from sahel_geo.analysis.timeseries import aggregate, period_change, period_start
from sahel_geo.analysis.typology import conflict_climate_table
from sahel_geo.analysis.zonal import zonal_stats
from sahel_geo.core.errors import ConfigError
from sahel_geo.core.raster import Raster
from sahel_geo.core.reports import rejects, reports
from sahel_geo.core.versions import versions
from sahel_geo.io._atomic import atomic_path, atomic_write_text
from sahel_geo.io.boundaries import read_boundaries
from sahel_geo.io.datasets import bundled_boundaries_path, load_boundaries
from sahel_geo.io.demo import demo_events
from sahel_geo.io.demo_rasters import demo_spei, demo_wasting
from sahel_geo.io.events import read_acled, read_ucdp
from sahel_geo.io.geojson import write_geojson
from sahel_geo.io.indicators import read_indicators
from sahel_geo.io.rasters import open_raster
from sahel_geo.present.figures import (
    choropleth_figure,
    conflict_drought_figure,
    counts_by_country_figure,
    save_figure,
    spread_figure,
)
from sahel_geo.present.maps import events_layer_mode, make_map
from sahel_geo.workflow.config import Config, demo_config_path, load_config, parse_config

__all__ = ["RunResult", "run", "run_demo", "unit_totals"]

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class RunResult:
    """What a run wrote and the counts behind it.

    Attributes
    ----------
    out
        The output folder.
    files
        ``{name: path}`` of every file written (manifest last).
    summary
        One line per step: rows in, kept, rejected.
    events_mode
        How the map drew the events (``markers``, ``clusters``, ``hexagons``, ...).
    """

    out: Path
    files: dict[str, Path] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    events_mode: str = ""

    def __str__(self) -> str:
        lines = [*self.summary]
        if self.events_mode:
            lines.append(f"map: events drawn as {self.events_mode}")
        lines.append(f"wrote {len(self.files)} files to {self.out}:")
        lines += [f"  {name:<22} {path}" for name, path in self.files.items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(n)}</td><td>{html.escape(str(p))}</td></tr>"
            for n, p in self.files.items()
        )
        steps = "".join(f"<li>{html.escape(s)}</li>" for s in self.summary)
        return (
            f"<b>sahel_geo run</b>: {len(self.files)} files in "
            f"<code>{html.escape(str(self.out))}</code>; events drawn as "
            f"{html.escape(self.events_mode or '-')}<ul>{steps}</ul>"
            f"<table>{rows}</table>"
        )


def unit_totals(
    events: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *, unit_col: str
) -> gpd.GeoDataFrame:
    """Return ``units`` with ``events`` and ``fatalities`` totals (zeros included).

    Parameters
    ----------
    events
        Events with the unit column ``unit_col`` (from :func:`sahel_geo.assign_admin`).
    units
        Canonical boundaries whose ``pcode`` values ``unit_col`` holds.
    unit_col
        Column of ``events`` naming each event's unit, e.g. ``"adm1_pcode"``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``units`` in their order with integer ``events`` and ``fatalities`` columns.
    """
    per = aggregate(events, unit=unit_col, freq="year", units=list(units["pcode"]))
    totals = per.groupby("unit", sort=False)[["events", "fatalities"]].sum()
    out = units.copy()
    out["events"] = totals["events"].reindex(out["pcode"]).fillna(0).astype("int64").to_numpy()
    out["fatalities"] = (
        totals["fatalities"].reindex(out["pcode"]).fillna(0).astype("int64").to_numpy()
    )
    return out


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    text = frame.to_csv(
        index=False, lineterminator="\n", date_format="%Y-%m-%d", float_format="%.6g"
    )
    return atomic_write_text(path, text)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _file_entry(path: Path, *, rows: int | None, role: str) -> dict[str, Any]:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    size = sum(p.stat().st_size for p in files)
    if path.is_dir():
        h = hashlib.sha256()
        for p in files:
            h.update(p.relative_to(path).as_posix().encode() + b"\0" + _sha256(p).encode())
        digest = h.hexdigest()
    else:
        digest = _sha256(path)
    return {"role": role, "path": path.as_posix(), "size": size, "sha256": digest, "rows": rows}


def _load_events(cfg: Config, inputs: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    src = cfg["inputs"]["events"]
    if src == "demo":
        n, seed = cfg["inputs"]["demo_n"], cfg["run"]["seed"]
        events = demo_events(n=n, seed=seed)
        inputs.append(
            {
                "role": "events",
                "path": f"demo_events(n={n}, seed={seed})",
                "size": None,
                "sha256": None,
                "rows": n,
                "note": "SYNTHETIC demo events generated in memory",
            }
        )
        return events
    reader = read_acled if cfg["inputs"]["events_format"] == "acled" else read_ucdp
    events = reader(src)
    rep = reports(events)
    rows = rep[0].n_in if rep else len(events)
    inputs.append(_file_entry(Path(src), rows=int(rows), role="events"))
    return events


def _load_units(cfg: Config, level: int, inputs: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    countries = cfg["region"]["countries"] or None
    src = cfg["inputs"]["boundaries"]
    if src == "bundled":
        units = load_boundaries(level=level, countries=countries)
        entry = _file_entry(
            bundled_boundaries_path(level), rows=None, role=f"boundaries_adm{level}"
        )
        entry["path"] = f"bundled:{bundled_boundaries_path(level).name}"
    else:
        units = read_boundaries(src, level=level)
        if countries:
            units = units[units["country_iso3"].isin(countries)].reset_index(drop=True)
        entry = _file_entry(Path(src), rows=None, role=f"boundaries_adm{level}")
    if units.empty:
        raise ConfigError(
            f"no admin-{level} units for countries {countries} in {src}: check [region] "
            "countries and [analysis] levels against the boundaries file."
        )
    entry["rows"] = len(units)
    inputs.append(entry)
    return units


def _load_raster(
    cfg: Config, key: str, units: gpd.GeoDataFrame, inputs: list[dict[str, Any]]
) -> Raster | None:
    src = cfg["inputs"][key]
    if src == "":
        return None
    if src == "demo":
        seed = cfg["run"]["seed"]
        raster = demo_spei(seed=seed) if key == "drought" else demo_wasting(seed=seed)
        inputs.append(
            {
                "role": key,
                "path": f"demo_{'spei' if key == 'drought' else 'wasting'}(seed={seed})",
                "size": None,
                "sha256": None,
                "rows": int(np.prod(raster.values.shape)),
                "note": "SYNTHETIC demo raster generated in memory",
            }
        )
        return raster
    raster = open_raster(src, zones=units)
    inputs.append(_file_entry(Path(src), rows=int(np.prod(raster.values.shape)), role=key))
    return raster


_INDICATOR_META = {"pcode", "name", "admin_level", "boundary_pcode", "boundary_name", "match"}


def _indicators(cfg: Config, inputs: list[dict[str, Any]]) -> list[tuple[Path, pd.DataFrame]]:
    """Read every indicator table once (for the manifest and to see which level it fits)."""
    tables = []
    for path in cfg["inputs"]["indicators"]:
        t = read_indicators(path)
        inputs.append(_file_entry(Path(path), rows=len(t), role="indicators"))
        tables.append((Path(path), t))
    return tables


def _join_indicators(
    layer: gpd.GeoDataFrame, units: gpd.GeoDataFrame, tables: list[tuple[Path, pd.DataFrame]]
) -> gpd.GeoDataFrame:
    """Add the numeric columns of the tables whose P-codes belong to these units."""
    out = layer.copy()
    wanted = set(units["pcode"])
    for path, plain in tables:
        if "pcode" not in plain.columns or not wanted & set(plain["pcode"].dropna()):
            continue  # a table of another level: joined there
        t = read_indicators(path, boundaries=units)
        t = t[t["boundary_pcode"].notna()].drop_duplicates("boundary_pcode")
        t = t.set_index("boundary_pcode")
        for c in t.columns:
            if c in _INDICATOR_META or not pd.api.types.is_numeric_dtype(t[c]):
                continue
            out[c] = t[c].reindex(out["pcode"]).to_numpy()
    return out


def _drought_table(units: gpd.GeoDataFrame, raster: Raster, *, freq: str) -> pd.DataFrame:
    """Mean drought index per unit and analysis period (monthly steps averaged)."""
    z = zonal_stats(units, raster, stats=("mean",)).reset_index()
    if "time" not in z.columns:
        z["time"] = pd.Timestamp("1970-01-01")
    z["period"] = period_start(z["time"], freq)  # type: ignore[arg-type]
    out = pd.DataFrame(z.groupby(["pcode", "period"], as_index=False)["mean"].mean())
    return out.rename(columns={"pcode": "unit", "mean": "spei"})


def _progress_noop(step: int, total: int, what: str) -> None:
    return None


def run(
    config: Config | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
) -> RunResult:
    """Run a regional analysis from a config and write its output folder.

    Parameters
    ----------
    config
        A :class:`~sahel_geo.workflow.config.Config` or the path of a TOML config file.
    out
        Output folder (created if needed).
    progress
        Called as ``progress(step, total, what)`` before each step (the CLI shows it).

    Returns
    -------
    RunResult
        The files written, a summary of the counts and the map's events layer choice.

    Examples
    --------
    >>> import tempfile
    >>> from sahel_geo.workflow.config import parse_config
    >>> cfg = parse_config({"inputs": {"demo_n": 300, "drought": "", "wasting": ""},
    ...                     "analysis": {"hotspots": False}})
    >>> res = run(cfg, tempfile.mkdtemp())
    >>> sorted(res.files)[:3]
    ['adm1_units', 'events', 'figure_choropleth']
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    tick = progress or _progress_noop
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "figures").mkdir(exist_ok=True)
    (folder / "tables").mkdir(exist_ok=True)
    a, m = cfg["analysis"], cfg["map"]
    levels: list[int] = list(dict.fromkeys(a["levels"]))
    freq = a["period"]
    start = a["start"] or None
    end = a["end"] or None
    total = 5 + len(levels)
    inputs: list[dict[str, Any]] = []
    files: dict[str, Path] = {}
    t0 = time.perf_counter()

    tick(1, total, "reading events and boundaries")
    logger.info("run: reading inputs")
    events = _load_events(cfg, inputs)
    unit_sets = {lv: _load_units(cfg, lv, inputs) for lv in levels}
    map_units0 = unit_sets[a["map_level"]]
    drought = _load_raster(cfg, "drought", map_units0, inputs)
    wasting = _load_raster(cfg, "wasting", map_units0, inputs)
    indicators = _indicators(cfg, inputs)

    tick(2, total, "assigning events to admin units")
    joined = events
    for lv in levels:
        joined = assign_admin(joined, unit_sets[lv])
    logger.info("run: %d events assigned at levels %s", len(joined), levels)

    layers: dict[int, gpd.GeoDataFrame] = {}
    counts_by_level: dict[int, pd.DataFrame] = {}
    arrival_by_level: dict[int, pd.DataFrame] = {}
    climate_by_level: dict[int, pd.DataFrame] = {}
    for i, lv in enumerate(levels):
        tick(3 + i, total, f"admin-{lv} counts, change, spread, overlay")
        units = unit_sets[lv]
        col = f"adm{lv}_pcode"
        counts = aggregate(
            joined, unit=col, freq=freq, units=list(units["pcode"]), start=start, end=end
        )
        counts_by_level[lv] = counts
        layer = units.copy()
        tot = counts.groupby("unit", sort=False)[["events", "fatalities"]].sum()
        layer["events"] = tot["events"].reindex(layer["pcode"]).fillna(0).astype("int64").to_numpy()
        layer["fatalities"] = (
            tot["fatalities"].reindex(layer["pcode"]).fillna(0).astype("int64").to_numpy()
        )
        wide = counts.pivot_table(index="period", columns="unit", values="events", aggfunc="sum")
        change = period_change(wide.sort_index())
        last = change[change["period"] == change["period"].max()].set_index("unit")
        layer["change_pct"] = last["change_pct"].reindex(layer["pcode"]).to_numpy(dtype=float)
        layer["trend"] = last["trend"].reindex(layer["pcode"]).fillna("").to_numpy()
        if indicators:
            layer = _join_indicators(layer, units, indicators)
            pop_col = cfg["inputs"]["population_column"]
            if pop_col in layer.columns:
                pop = pd.to_numeric(layer[pop_col], errors="coerce").to_numpy(dtype=float)
                with np.errstate(divide="ignore", invalid="ignore"):
                    layer["events_per_100k"] = np.where(
                        pop > 0, layer["events"].to_numpy() / pop * 1e5, np.nan
                    )
        arrival = first_arrival(counts, k=a["first_arrival_k"])
        arrival_by_level[lv] = arrival
        layer["first_period"] = (
            arrival.set_index("unit")["first_period"].reindex(layer["pcode"]).to_numpy()
        )
        layer["first_year"] = pd.DatetimeIndex(layer["first_period"]).year.to_numpy(dtype=float)
        spread = expansion_relocation(
            counts, units, distance_km=a["spread_distance_km"], k=a["first_arrival_k"]
        )
        if drought is not None:
            dr = _drought_table(units, drought, freq=freq)
            climate = conflict_climate_table(counts, dr, lags=a["drought_lags"])
            climate_by_level[lv] = climate
            layer["spei_last_period"] = (
                dr[dr["period"] == dr["period"].max()]
                .set_index("unit")["spei"]
                .reindex(layer["pcode"])
                .to_numpy(dtype=float)
            )
            _write_csv(climate, folder / "tables" / f"conflict_drought_adm{lv}.csv")
            files[f"table_conflict_drought_adm{lv}"] = (
                folder / "tables" / f"conflict_drought_adm{lv}.csv"
            )
        if wasting is not None:
            w = zonal_stats(units, wasting, stats=("mean",))
            layer["wasting_pct"] = w["mean"].reindex(layer["pcode"]).to_numpy(dtype=float)
        if a["hotspots"] and len(layer) >= 3:
            gi = getis_ord(
                layer,
                layer["events"].to_numpy(dtype=float),
                permutations=a["permutations"],
                seed=cfg["run"]["seed"],
            )
            layer["gi_z"] = gi.table["z"].to_numpy(dtype=float)
            layer["hotspot"] = gi.table["cluster"].to_numpy()
        layers[lv] = layer
        for name, frame in (
            (f"counts_adm{lv}_{freq}", counts),
            (f"change_adm{lv}_{freq}", change),
            (f"first_arrival_adm{lv}", arrival),
            (f"spread_units_adm{lv}", spread.units),
            (f"spread_periods_adm{lv}", spread.periods),
        ):
            files[f"table_{name}"] = _write_csv(frame, folder / "tables" / f"{name}.csv")
        files[f"adm{lv}_units"] = write_geojson(layer, folder / f"adm{lv}_units.geojson")

    step = 3 + len(levels)
    tick(step, total, "writing events, tables and rejects")
    shares = country_shares(joined, freq=freq)
    files["table_country_shares"] = _write_csv(shares, folder / "tables" / "country_shares.csv")
    files["events"] = write_geojson(joined, folder / "events.geojson")
    files["rejects"] = _write_csv(rejects(joined), folder / "rejects.csv")

    tick(step + 1, total, "drawing the map")
    lv = a["map_level"]
    layer = layers[lv]
    extra = {
        c: label
        for c, label in (
            ("fatalities", "Fatalities"),
            ("first_year", "Spread: first year with events"),
            ("events_per_100k", "Events per 100k people"),
            ("change_pct", "Change in events, last period (%)"),
            ("spei_last_period", "Drought: mean SPEI, last period"),
            ("wasting_pct", "Wasting: mean prevalence per unit (%)"),
            ("gi_z", "Hot spots: Gi* z-score"),
        )
        if c in layer.columns
    }
    rasters = {}
    if drought is not None:
        rasters["Drought raster: SPEI, last month"] = drought
    if wasting is not None:
        rasters["Wasting raster: prevalence (%)"] = wasting
    mode = events_layer_mode(
        len(joined),
        mode=m["events_mode"],
        marker_limit=m["marker_limit"],
        cluster_limit=m["cluster_limit"],
        aggregate=m["aggregate"],
    )
    fmap = make_map(
        layer,
        value="events",
        events=joined,
        title=f"Events ({cfg['run']['title']})",
        tiles=m["tiles"] or None,
        layers=extra,
        periods=counts_by_level[lv],
        rasters=rasters,
        events_mode=m["events_mode"],
        marker_limit=m["marker_limit"],
        cluster_limit=m["cluster_limit"],
        aggregate=m["aggregate"],
        hex_size_km=m["hex_size_km"],
        assets=m["assets"],
    )
    with atomic_path(folder / "map.html") as tmp:
        fmap.save(str(tmp))
    files["map"] = folder / "map.html"
    logger.info("run: map written, events drawn as %s", mode)

    tick(step + 2, total, "drawing the figures")
    title = cfg["run"]["title"]
    figs = {
        "figure_choropleth": (
            choropleth_figure(layer, "events", title=f"Events per admin-{lv} unit\n{title}"),
            "choropleth_events.png",
        ),
        "figure_counts_by_country": (
            counts_by_country_figure(joined, freq=freq, title=f"Events by country\n{title}"),
            "counts_by_country.png",
        ),
        "figure_spread": (
            spread_figure(layer, arrival_by_level[lv], title=f"First arrival of violence\n{title}"),
            "spread_first_arrival.png",
        ),
    }
    if lv in climate_by_level:
        figs["figure_conflict_drought"] = (
            conflict_drought_figure(climate_by_level[lv], title=f"Conflict and drought\n{title}"),
            "conflict_drought.png",
        )
    for name, (fig, fname) in figs.items():
        files[name] = save_figure(fig, folder / "figures" / fname)

    # the readers' and joins' reports, then what each level's counts left out (and why)
    steps = list(reports(joined))
    for lv in levels:
        seen = {id(r) for r in steps}
        steps += [r for r in reports(counts_by_level[lv]) if id(r) not in seen]
    summary = [rep.summary() for rep in steps]
    manifest = {
        "sahel_geo_manifest": 1,
        "run_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": {
            "path": cfg.path.as_posix() if cfg.path else None,
            "sha256": _sha256(cfg.path) if cfg.path else None,
        },
        "parameters": cfg.as_dict(),
        "inputs": inputs,
        "steps": [
            {"step": r.step, "n_in": r.n_in, "n_kept": r.n_kept, "summary": r.summary()}
            for r in steps
        ],
        "map": {
            "events": len(joined),
            "events_mode": mode,
            "marker_limit": m["marker_limit"],
            "cluster_limit": m["cluster_limit"],
            "aggregate": m["aggregate"],
            "assets": m["assets"],
        },
        "outputs": {
            name: {
                "path": p.relative_to(folder).as_posix(),
                "size": p.stat().st_size,
                "sha256": _sha256(p),
            }
            for name, p in sorted(files.items())
        },
        "versions": versions(),
    }
    logger.info("run: finished in %.1f s", time.perf_counter() - t0)
    files["manifest"] = atomic_write_text(
        folder / "manifest.json", json.dumps(manifest, indent=1, sort_keys=False) + "\n"
    )
    return RunResult(out=folder, files=files, summary=summary, events_mode=mode)


def run_demo(
    out: str | os.PathLike[str],
    *,
    n: int = 5000,
    seed: int = 20120117,
    progress: Progress | None = None,
) -> RunResult:
    """Run the demo analysis: :func:`run` on the shipped demo config (SYNTHETIC data).

    The config is the bundled ``demo.toml`` (the same as ``examples/demo.toml``):
    SYNTHETIC demo events, the bundled admin-1 boundaries of Mali, Burkina Faso and
    Niger and the SYNTHETIC drought and wasting rasters.

    Parameters
    ----------
    out
        Output folder (created if needed).
    n
        Number of demo rows, including 6 deliberately flawed ones.
    seed
        Seed of the demo generator: the same seed gives byte-identical files.
    progress
        Progress callback, see :func:`run`.

    Returns
    -------
    RunResult
        The files written and a summary of the counts.
    """
    import tomllib

    path = demo_config_path()
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    raw["inputs"]["demo_n"] = n
    raw["run"]["seed"] = seed
    cfg = parse_config(raw, base=path.parent, source=str(path))
    cfg = Config(values=cfg.values, path=path)
    return run(cfg, out, progress=progress)
