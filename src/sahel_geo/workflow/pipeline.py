"""Runs end to end (run layer): a config-driven regional analysis, and the demo.

:func:`run` reads a checked :class:`~sahel_geo.workflow.config.Config` (``sahel-geo run
analysis.toml``) and writes one output folder::

    events.geojson            events with their unit at every level (GeoParquet
                              events.parquet above 100,000 events; other formats
                              and columns: [output], sahel_geo.workflow.layer_files)
    adm{L}_units.geojson      units with totals, rates, change, drought, wasting,
                              first arrival and hot spots, one file per level
    map.html                  the Folium map (offline; see sahel_geo.present.maps)
    figures/*.png             choropleth, counts by country, spread, conflict vs drought
    tables/*.csv              the numbers behind them, one table per file (below)
    rejects.csv               every row that could not be used, with its reason
    manifest.json             inputs (path, size, SHA-256, rows), parameters, versions,
                              what each step kept, the map's events layer, outputs
                              (see sahel_geo.workflow.manifest)
    RUN_INCOMPLETE            only while a run is under way, or after one that did
                              not finish (see sahel_geo.workflow.outputs)

Region and period
-----------------
``[region] countries`` and ``[analysis] start``/``end`` select the events once, right
after reading (:func:`sahel_geo.workflow.selection.select_region_period`): every output
(events layer, units layers, tables including ``country_shares``, figures, map) covers
only the region and period. The rows left out are counted, not rejected: the run's
summary and the manifest's steps list ``select_region_period`` with
``outside_countries``, ``before_start`` and ``after_end``. No event left is an
:class:`~sahel_geo.EmptyResultError` naming the filter.

Checked before the output folder exists
---------------------------------------
The config (:func:`sahel_geo.workflow.config.parse_config`), the output folder
(:func:`sahel_geo.workflow.outputs.check_output_folder`: not a file, writable, no
symbolic link for ``tables/`` or ``figures/``) and every input
(:func:`sahel_geo.workflow.inputs.read_inputs`: countries and levels the boundaries
cannot serve, indicator tables, rasters) are checked before the folder is created, so a
config or input error leaves no empty folder behind. A drought raster must be a time
stack (a NetCDF with a time dimension, or a folder of dated GeoTIFFs): a single layer
matches no period, so it is an error naming the file, not a layer dated 1970.

Tables
------
Every table reads on its own (:func:`sahel_geo.workflow.tables.readable_table`): a
per-unit table has the unit's ``name`` and ``country_iso3`` beside its P-code column
``unit`` (from the boundaries of its level), and periods are written as periods,
``2012``, ``2012-Q1``, ``2012-03`` or ``2012-W05`` (``[analysis] period``;
:func:`sahel_geo.core.periods.period_label`), not as their first day. ``{L}`` is the
admin level, ``{P}`` the period word::

    counts_adm{L}_{P}.csv     unit, name, country_iso3, period, events, fatalities
                              [, fatalities_low, fatalities_high] [, civilian_fatalities]
                              (every unit x period, zeros included)
    change_adm{L}_{P}.csv     unit, name, country_iso3, period, count, baseline,
                              change_pct, raw_change_pct, low_baseline, trend, label
                              (events, period on period: sahel_geo.period_change)
    change_civilian_fatalities_adm{L}_{P}.csv
                              the same for civilian fatalities (only with them)
    conflict_drought_adm{L}.csv
                              the counts' columns, spei_lag{N} per drought lag
                              (only with a drought raster)
    first_arrival_adm{L}.csv  unit, name, country_iso3, first_period,
                              value_at_arrival, order, reached
    spread_units_adm{L}.csv   unit, name, country_iso3, period, kind,
                              touches_earlier_affected_unit,
                              nearest_earlier_centroid_km, events
                              (sahel_geo.expansion_relocation)
    spread_periods_adm{L}.csv period, events, n_affected, n_new, n_expansion,
                              n_relocation, share_new, share_relocated, share_moved
    perpetrators_adm{L}_{P}.csv
                              unit, name, country_iso3, period, perpetrator_group,
                              and the counts' columns (only when events name a
                              perpetrator_group; rows with no event left out;
                              sahel_geo.workflow.tables.perpetrator_counts)
    country_shares.csv        period, country_iso3, events, fatalities, event_share,
                              fatality_share
    perpetrators_countries.csv
                              country_iso3, perpetrator_group and the counts' columns,
                              summed over the run's periods by the events' country
                              (only with perpetrator_group)

Columns a source cannot fill are left out, not written empty
(:func:`sahel_geo.workflow.tables.source_columns`):
``fatalities_low`` and ``fatalities_high`` appear only for UCDP events (its ``low`` and
``high`` estimates); ``civilian_fatalities`` only when an event has a value (UCDP
``deaths_civilians``, ACLED civilian-targeting events). With civilian fatalities the run
also writes their change table and the map gets a "Civilian fatalities" choropleth with
its legend; the units layer gets a ``civilian_fatalities`` total. The units layer's
``first_period`` is a period label too.

Every file is written atomically (a temporary file in the same folder, then a rename),
so an interrupted run leaves no half-written file; the manifest is written last. A run
writes ``RUN_INCOMPLETE`` first (and removes an earlier ``manifest.json``) and removes
the marker after the manifest; the next run into the folder removes the temporary files
a killed run left (``.<name>.sahel_geo-<random>.tmp``). Run again on the same inputs,
every output is byte-identical apart from the manifest's ``run_time``. :func:`run_demo`
is this run on the bundled demo config.
"""

from __future__ import annotations

import html
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from sahel_geo.analysis.hotspots import getis_ord
from sahel_geo.analysis.join import assign_admin
from sahel_geo.analysis.spread import country_shares, expansion_relocation, first_arrival
from sahel_geo.analysis.timeseries import aggregate, period_change
from sahel_geo.analysis.typology import conflict_climate_table
from sahel_geo.analysis.zonal import CellRules, zonal_stats
from sahel_geo.core.periods import Freq, period_start
from sahel_geo.core.progress import progress as progress_bar
from sahel_geo.core.raster import Raster
from sahel_geo.core.reports import StepReport, rejects, reports
from sahel_geo.io._atomic import atomic_write_text
from sahel_geo.workflow.config import Config, demo_config_path, load_config, parse_config
from sahel_geo.workflow.inputs import RunInputs, read_inputs
from sahel_geo.workflow.layer_files import event_layer, layer_formats, write_layer_files
from sahel_geo.workflow.manifest import build_manifest, write_manifest
from sahel_geo.workflow.outputs import (
    check_output_folder,
    finish_output_folder,
    prepare_output_folder,
)
from sahel_geo.workflow.products import (
    LevelResult,
    Presentation,
    draw_figures,
    draw_map,
    write_report_page,
)
from sahel_geo.workflow.selection import Selection
from sahel_geo.workflow.tables import (
    OPTIONAL_COLUMNS,
    perpetrator_country_totals,
    perpetrator_counts,
    readable_table,
    source_columns,
)

__all__ = [
    "OPTIONAL_COLUMNS",
    "RunResult",
    "perpetrator_country_totals",
    "perpetrator_counts",
    "readable_table",
    "run",
    "run_demo",
    "source_columns",
    "totals_from_counts",
    "unit_totals",
]

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
    events: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    unit_col: str,
    freq: Freq = "year",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
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
    freq
        Period length that ``start`` and ``end`` round to (see :func:`sahel_geo.aggregate`).
    start, end
        First and last period to count (any date inside them). Default: every event.

    Returns
    -------
    geopandas.GeoDataFrame
        ``units`` in their order with integer ``events`` and ``fatalities`` columns, and
        ``civilian_fatalities`` when the events have any (see
        :func:`sahel_geo.workflow.tables.source_columns`).

    Examples
    --------
    >>> import sahel_geo as sg
    >>> adm1 = sg.load_boundaries(level=1, countries=["NER"])
    >>> ev = sg.assign_admin(sg.demo_events(n=200, seed=1), adm1)
    >>> out = unit_totals(ev, adm1, unit_col="adm1_pcode")
    >>> len(out) == len(adm1), str(out["events"].dtype)
    (True, 'int64')
    """
    per = aggregate(
        events, unit=unit_col, freq=freq, units=list(units["pcode"]), start=start, end=end
    )
    return totals_from_counts(per, units, civilian="civilian_fatalities" in source_columns(events))


def totals_from_counts(
    counts: pd.DataFrame, units: gpd.GeoDataFrame, *, civilian: bool
) -> gpd.GeoDataFrame:
    """Return ``units`` with the totals of an :func:`sahel_geo.aggregate` table.

    The step of :func:`unit_totals` after counting, for a caller that already holds the
    counts (the run counts each level once).

    Examples
    --------
    >>> import pandas as pd, geopandas as gpd
    >>> counts = pd.DataFrame({"unit": ["A", "A"], "events": [1, 2], "fatalities": [0, 5]})
    >>> units = gpd.GeoDataFrame({"pcode": ["A", "B"]}, geometry=[None, None])
    >>> totals_from_counts(counts, units, civilian=False)[["events", "fatalities"]].values.tolist()
    [[3, 5], [0, 0]]
    """
    columns = ["events", "fatalities"] + (["civilian_fatalities"] if civilian else [])
    totals = counts.groupby("unit", sort=False)[columns].sum()
    out = units.copy()
    for c in columns:
        out[c] = totals[c].reindex(out["pcode"]).fillna(0).round().astype("int64").to_numpy()
    return out


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a table as CSV (ISO dates, 6 significant digits), atomically."""
    text = frame.to_csv(
        index=False, lineterminator="\n", date_format="%Y-%m-%d", float_format="%.6g"
    )
    return atomic_write_text(path, text)


@dataclass(frozen=True)
class _RunContext:
    """What every step of a run reads: the config, the folder, levels, periods, progress."""

    cfg: Config
    folder: Path
    levels: tuple[int, ...]
    freq: Freq
    start: str | None
    end: str | None
    tick: Progress
    total: int


@dataclass(frozen=True)
class _Overlay:
    """How the rasters are summarised per unit: the population weights and cell rule."""

    population: Raster | None
    rules: CellRules


def _unit_means(units: gpd.GeoDataFrame, raster: Raster, how: _Overlay) -> pd.DataFrame:
    """Area mean per unit (and step); with a population raster also the people's mean."""
    z = zonal_stats(units, raster, stats=("mean",), rules=how.rules)
    # a second call, not one with weights=: cells whose population is nodata (water,
    # outside the census raster) would leave the area mean too
    if how.population is not None:
        by_people = zonal_stats(
            units, raster, stats=("weighted_mean",), weights=how.population, rules=how.rules
        )
        z["people_mean"] = by_people["weighted_mean"]
    return z


def _drought_table(
    units: gpd.GeoDataFrame, raster: Raster, *, freq: str, how: _Overlay
) -> pd.DataFrame:
    """Mean drought index per unit and analysis period (monthly steps averaged)."""
    z = _unit_means(units, raster, how).reset_index()
    z["period"] = period_start(z["time"], freq)  # type: ignore[arg-type]
    cols = [c for c in ("mean", "people_mean") if c in z.columns]
    out = pd.DataFrame(z.groupby(["pcode", "period"], as_index=False)[cols].mean())
    return out.rename(columns={"pcode": "unit", "mean": "spei", "people_mean": "spei_pop"})


def _progress_noop(step: int, total: int, what: str) -> None:
    """Report no progress (the default callback)."""
    return None


def _context(
    config: Config | str | os.PathLike[str], out: str | os.PathLike[str], progress: Progress | None
) -> _RunContext:
    """Check the config and the output folder (creating nothing); fix the run's settings."""
    cfg = config if isinstance(config, Config) else load_config(config)
    a = cfg["analysis"]
    levels = tuple(dict.fromkeys(a["levels"]))
    return _RunContext(
        cfg=cfg,
        folder=check_output_folder(out, levels=levels),
        levels=levels,
        freq=a["period"],
        start=a["start"] or None,
        end=a["end"] or None,
        tick=progress or _progress_noop,
        total=5 + len(levels),
    )


def _join_levels(
    events: gpd.GeoDataFrame, units: dict[int, gpd.GeoDataFrame], levels: tuple[int, ...]
) -> gpd.GeoDataFrame:
    """Assign every event its unit at each level (``adm{L}_pcode`` columns)."""
    joined = events
    for lv in levels:
        joined = assign_admin(joined, units[lv])
    logger.info("run: %d events assigned at levels %s", len(joined), list(levels))
    return joined


def _add_change(
    layer: gpd.GeoDataFrame, counts: pd.DataFrame
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Compute the change table; add the last period's ``change_pct`` and ``trend``."""
    change = period_change(counts, value="events")
    last = change[change["period"] == change["period"].max()].set_index("unit")
    out = layer.copy()
    out["change_pct"] = last["change_pct"].reindex(out["pcode"]).to_numpy(dtype=float)
    out["trend"] = last["trend"].reindex(out["pcode"]).fillna("").to_numpy()
    return out, change


def _add_indicators(
    layer: gpd.GeoDataFrame, indicators: pd.DataFrame, *, population_column: str
) -> gpd.GeoDataFrame:
    """Add the level's indicator columns and ``events_per_100k`` people."""
    if indicators.columns.empty:
        return layer
    out = layer.copy()
    for c in indicators.columns:
        out[c] = indicators[c].reindex(out["pcode"]).to_numpy()
    if population_column in out.columns:
        pop = pd.to_numeric(out[population_column], errors="coerce").to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["events_per_100k"] = np.where(pop > 0, out["events"].to_numpy() / pop * 1e5, np.nan)
    return out


def _add_first_arrival(
    layer: gpd.GeoDataFrame, counts: pd.DataFrame, *, k: float
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Compute first arrival; add each unit's ``first_period`` and ``first_year``."""
    arrival = first_arrival(counts, k=k)
    out = layer.copy()
    out["first_period"] = arrival.set_index("unit")["first_period"].reindex(out["pcode"]).to_numpy()
    out["first_year"] = pd.DatetimeIndex(out["first_period"]).year.to_numpy(dtype=float)
    return out, arrival


def _add_drought(
    layer: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    counts: pd.DataFrame,
    drought: Raster | None,
    *,
    freq: str,
    lags: list[int],
    how: _Overlay,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame | None]:
    """Compute the conflict × drought table; add the last period's mean SPEI.

    With a population raster, ``spei_pop_last_period`` is the last period's SPEI
    averaged over the unit's people rather than its area.
    """
    if drought is None:
        return layer, None
    dr = _drought_table(units, drought, freq=freq, how=how)
    climate = conflict_climate_table(counts, dr[["unit", "period", "spei"]], lags=lags)
    out = layer.copy()
    last = dr[dr["period"] == dr["period"].max()].set_index("unit")
    out["spei_last_period"] = last["spei"].reindex(out["pcode"]).to_numpy(dtype=float)
    if "spei_pop" in last.columns:
        out["spei_pop_last_period"] = last["spei_pop"].reindex(out["pcode"]).to_numpy(float)
    return out, climate


def _add_wasting(
    layer: gpd.GeoDataFrame, units: gpd.GeoDataFrame, wasting: Raster | None, how: _Overlay
) -> gpd.GeoDataFrame:
    """Add each unit's mean wasting prevalence (``wasting_pct``, and ``wasting_pct_pop``).

    ``wasting_pct_pop`` (with a population raster) is the prevalence averaged over the
    unit's people: the malnutrition exposure of its population, not of its area.
    """
    if wasting is None:
        return layer
    w = _unit_means(units, wasting, how)
    out = layer.copy()
    out["wasting_pct"] = w["mean"].reindex(out["pcode"]).to_numpy(dtype=float)
    if "people_mean" in w.columns:
        out["wasting_pct_pop"] = w["people_mean"].reindex(out["pcode"]).to_numpy(dtype=float)
    return out


def _add_hotspots(layer: gpd.GeoDataFrame, cfg: Config) -> gpd.GeoDataFrame:
    """Add Getis-Ord Gi* of the units' event totals (``gi_z``, ``hotspot``)."""
    a = cfg["analysis"]
    if not a["hotspots"] or len(layer) < 3:
        return layer
    gi = getis_ord(
        layer,
        layer["events"].to_numpy(dtype=float),
        permutations=a["permutations"],
        seed=cfg["run"]["seed"],
    )
    out = layer.copy()
    out["gi_z"] = gi.table["z"].to_numpy(dtype=float)
    out["hotspot"] = gi.table["cluster"].to_numpy()
    return out


def _write_level(
    ctx: _RunContext,
    inputs: RunInputs,
    level: int,
    layer: gpd.GeoDataFrame,
    tables: dict[str, pd.DataFrame],
) -> dict[str, Path]:
    """Write one level's tables and its units layer, readable; return ``{name: path}``.

    Every table gets its units' names, period labels and only the columns the source
    fills (:func:`readable_table`); the layer gets period labels.
    """
    files: dict[str, Path] = {}
    units = inputs.units[level]
    for name, frame in tables.items():
        table = readable_table(frame, freq=ctx.freq, units=units, omit=inputs.omit)
        files[f"table_{name}"] = _write_csv(table, ctx.folder / "tables" / f"{name}.csv")
    shown = readable_table(layer, freq=ctx.freq)
    stem = ctx.folder / f"adm{level}_units"
    files.update(write_layer_files(shown, stem, ctx.cfg["output"]["units_formats"]))
    return files


def _level_tables(
    ctx: _RunContext,
    level: int,
    counts: pd.DataFrame,
    change: pd.DataFrame,
    climate: pd.DataFrame | None,
    columns: tuple[str, ...],
) -> dict[str, pd.DataFrame]:
    """Return the level's tables by file name (before the spread and first arrival)."""
    tables: dict[str, pd.DataFrame] = {}
    if climate is not None:
        tables[f"conflict_drought_adm{level}"] = climate
    tables[f"counts_adm{level}_{ctx.freq}"] = counts
    tables[f"change_adm{level}_{ctx.freq}"] = change
    if "civilian_fatalities" in columns:
        tables[f"change_civilian_fatalities_adm{level}_{ctx.freq}"] = period_change(
            counts, value="civilian_fatalities"
        )
    return tables


def _analyse_level(
    ctx: _RunContext, inputs: RunInputs, joined: gpd.GeoDataFrame, level: int
) -> LevelResult:
    """Analyse one level: counts, totals, change, rates, spread, overlays, hot spots."""
    a = ctx.cfg["analysis"]
    units, col = inputs.units[level], f"adm{level}_pcode"
    counts = aggregate(
        joined, unit=col, freq=ctx.freq, units=list(units["pcode"]), start=ctx.start, end=ctx.end
    )
    layer = totals_from_counts(counts, units, civilian="civilian_fatalities" in inputs.columns)
    layer, change = _add_change(layer, counts)
    layer = _add_indicators(
        layer,
        inputs.indicators[level],
        population_column=ctx.cfg["inputs"]["population_column"],
    )
    layer, arrival = _add_first_arrival(layer, counts, k=a["first_arrival_k"])
    spread = expansion_relocation(
        counts, units, distance_km=a["spread_distance_km"], k=a["first_arrival_k"]
    )
    how = _Overlay(inputs.population, CellRules(min_coverage_frac=a["min_coverage_frac"]))
    layer, climate = _add_drought(
        layer, units, counts, inputs.drought, freq=ctx.freq, lags=a["drought_lags"], how=how
    )
    layer = _add_wasting(layer, units, inputs.wasting, how)
    layer = _add_hotspots(layer, ctx.cfg)
    tables = _level_tables(ctx, level, counts, change, climate, inputs.columns)
    tables[f"first_arrival_adm{level}"] = arrival
    tables[f"spread_units_adm{level}"] = spread.units
    tables[f"spread_periods_adm{level}"] = spread.periods
    if _has_groups(joined):
        tables[f"perpetrators_adm{level}_{ctx.freq}"] = perpetrator_counts(
            joined,
            unit=col,
            freq=ctx.freq,
            start=counts["period"].min(),
            end=counts["period"].max(),
            units=list(units["pcode"]),
        )
    files = _write_level(ctx, inputs, level, layer, tables)
    return LevelResult(
        level=level, layer=layer, counts=counts, arrival=arrival, climate=climate, files=files
    )


def _has_groups(events: pd.DataFrame) -> bool:
    """Whether the events name a ``perpetrator_group`` (any non-missing value)."""
    return "perpetrator_group" in events.columns and bool(events["perpetrator_group"].notna().any())


def _write_events_tables(
    ctx: _RunContext, inputs: RunInputs, joined: gpd.GeoDataFrame, shares: pd.DataFrame
) -> dict[str, Path]:
    """Write the country tables, the events layer and the rejects; return ``{name: path}``.

    ``shares`` is :func:`country_shares` of ``joined`` (the report page shows it too).
    """
    tables = ctx.folder / "tables"
    readable = readable_table(shares, freq=ctx.freq)
    files = {"table_country_shares": _write_csv(readable, tables / "country_shares.csv")}
    if _has_groups(joined) and len(joined):
        by_country = perpetrator_counts(
            joined,
            unit="country_iso3",
            freq=ctx.freq,
            start=ctx.start or joined["event_date"].min(),
            end=ctx.end or joined["event_date"].max(),
        )
        totals = readable_table(
            perpetrator_country_totals(by_country), freq=ctx.freq, omit=inputs.omit
        )
        files["table_perpetrators_countries"] = _write_csv(
            totals, tables / "perpetrators_countries.csv"
        )
    out = ctx.cfg["output"]
    layer = event_layer(joined, out["event_columns"])
    formats = layer_formats(
        out["events_formats"], rows=len(layer), parquet_above=out["parquet_above"]
    )
    files.update(write_layer_files(layer, ctx.folder / "events", formats))
    files["rejects"] = _write_csv(rejects(joined), ctx.folder / "rejects.csv")
    return files


def _step_reports(
    inputs: RunInputs, joined: gpd.GeoDataFrame, counts: list[pd.DataFrame]
) -> list[StepReport | Selection]:
    """List the reader's reports, the region and period selection, the joins, the counts."""
    steps: list[StepReport | Selection] = [*reports(inputs.events), inputs.selection]
    for table in (joined, *counts):
        seen = {id(r) for r in steps}
        steps += [r for r in reports(table) if id(r) not in seen]
    return steps


def run(
    config: Config | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
) -> RunResult:
    """Run a regional analysis from a config and write its output folder.

    The steps: check the config and the output folder, read and check the inputs and
    select the region and period, create the folder (``RUN_INCOMPLETE``), assign events
    to units at every level, then per level
    count, total, change, indicators and rates, first arrival, spread, drought,
    wasting and hot spots (:func:`unit_totals` and the tables); then the events and
    rejects, the map, the figures and, last, the manifest
    (:mod:`sahel_geo.workflow.manifest`).

    Parameters
    ----------
    config
        A :class:`~sahel_geo.workflow.config.Config` or the path of a TOML config file.
    out
        Output folder (created once the inputs are read; not a file, writable, with no
        symbolic link for ``tables/`` or ``figures/``).
    progress
        Called as ``progress(step, total, what)`` before each step (the CLI shows it).

    Returns
    -------
    RunResult
        The files written, a summary of the counts and the map's events layer choice.

    Raises
    ------
    ConfigError
        The config, the output folder or an input the config names cannot be used (see
        the module docstring); nothing is created.
    EmptyResultError
        No event in the region and period.
    SchemaError
        An indicator table with two different rows for a unit, or a population column
        that is not numbers.

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
    ctx = _context(config, out, progress)
    if progress is not None:
        return _run(ctx)
    with _StepBar(ctx.total) as bar:  # a tqdm.auto bar over the steps (progress option)
        return _run(replace(ctx, tick=bar.tick))


class _StepBar:
    """A progress bar over a run's steps, shown per the ``progress`` option."""

    def __init__(self, total: int) -> None:
        self.bar = progress_bar(total=total, desc="sahel-geo run", unit="step")

    def tick(self, step: int, total: int, what: str) -> None:
        """Mark the steps before ``step`` done; show what runs now."""
        self.bar.set_description_str(what, refresh=False)
        self.bar.update(step - 1 - self.bar.n)

    def __enter__(self) -> _StepBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()


def _run(ctx: _RunContext) -> RunResult:
    """Run every step of :func:`run` in its checked context."""
    t0 = time.perf_counter()
    ctx.tick(1, ctx.total, "reading events and boundaries")
    inputs = read_inputs(ctx.cfg, ctx.levels)
    swept = prepare_output_folder(ctx.folder, levels=ctx.levels)
    ctx.tick(2, ctx.total, "assigning events to admin units")
    joined = _join_levels(inputs.events, inputs.units, ctx.levels)
    levels: dict[int, LevelResult] = {}
    for i, lv in enumerate(ctx.levels):
        ctx.tick(3 + i, ctx.total, f"admin-{lv} counts, change, spread, overlay")
        levels[lv] = _analyse_level(ctx, inputs, joined, lv)
    files = {name: p for result in levels.values() for name, p in result.files.items()}
    step = 3 + len(ctx.levels)
    ctx.tick(step, ctx.total, "writing events, tables and rejects")
    shares = country_shares(joined, freq=ctx.freq)
    files.update(_write_events_tables(ctx, inputs, joined, shares))
    ctx.tick(step + 1, ctx.total, "drawing the map")
    shown = levels[ctx.cfg["analysis"]["map_level"]]
    look = Presentation(cfg=ctx.cfg, folder=ctx.folder, freq=ctx.freq, inputs=inputs)
    files["map"], map_info = draw_map(look, joined, shown)
    ctx.tick(step + 2, ctx.total, "drawing the figures and the report page")
    files.update(draw_figures(look, joined, shown))
    files["report"] = write_report_page(look, joined, shown, files, shares=shares)
    steps = _step_reports(inputs, joined, [result.counts for result in levels.values()])
    manifest = build_manifest(
        ctx.cfg,
        inputs=inputs.entries,
        steps=steps,
        map_info=map_info,
        outputs=files,
        folder=ctx.folder,
    )
    logger.info("run: finished in %.1f s", time.perf_counter() - t0)
    files["manifest"] = write_manifest(manifest, ctx.folder / "manifest.json")
    finish_output_folder(ctx.folder)
    summary = [rep.summary() for rep in steps]
    if swept:
        summary.append(
            f"removed {len(swept)} temporary file(s) an interrupted run left in {ctx.folder}"
        )
    return RunResult(
        out=ctx.folder, files=files, summary=summary, events_mode=map_info["events_mode"]
    )


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
