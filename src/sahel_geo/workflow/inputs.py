"""Reading a run's inputs once, and checking them against the config, before any output.

:func:`read_inputs` reads the events (then selects the run's region and period:
:func:`sahel_geo.workflow.selection.select_region_period`), the boundaries of every
level, the drought and wasting rasters and the indicator tables, with a manifest entry
for each. Everything that can be wrong with an input is found here, before the run
creates its output folder:

- a country of ``[region] countries`` that the boundaries have no units of at a level
  of ``[analysis] levels``, and two levels that read the same units from one file (a
  file holding one level);
- a drought raster with no time dimension (one GeoTIFF, a 2-D NetCDF): the conflict x
  drought table matches drought to periods by date, so a single layer is an error that
  names the file and what to give instead (a NetCDF with a time dimension, a folder of
  dated GeoTIFFs, or ``drought = ""``); a wasting raster that is a time stack, likewise
  (wasting is one surface);
- ``[inputs] population_column`` that is in an indicator table but not numbers (an
  error naming the table and values), or in no table (a warning: no rates).

:func:`join_indicators` joins the indicator tables' number columns to each level's units
(also before the output folder exists): one row per unit, or an error naming the unit,
both rows and the differing values (:func:`sahel_geo.io.indicators.unit_values`), never
the first row kept silently.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from sahel_geo.core.errors import ConfigError, SahelGeoWarning, SchemaError
from sahel_geo.core.raster import Raster
from sahel_geo.core.reports import reports
from sahel_geo.io.boundaries import read_boundaries
from sahel_geo.io.datasets import bundled_boundaries_path, load_boundaries
from sahel_geo.io.demo import demo_events
from sahel_geo.io.demo_rasters import demo_population, demo_spei, demo_wasting
from sahel_geo.io.events import read_acled, read_ucdp
from sahel_geo.io.indicators import read_indicators, unit_values
from sahel_geo.io.layers import read_events_auto
from sahel_geo.io.rasters import open_raster
from sahel_geo.workflow.config import Config
from sahel_geo.workflow.manifest import file_entry, generated_entry
from sahel_geo.workflow.selection import Selection, select_region_period
from sahel_geo.workflow.tables import OPTIONAL_COLUMNS, source_columns

__all__ = ["RUN_COLUMNS", "RunInputs", "join_indicators", "read_inputs"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunInputs:
    """The inputs of a run, read once, and their manifest entries (in reading order).

    Attributes
    ----------
    events
        The events of the run's region and period (the reader's reports attached).
    selection
        What the region and period kept and left out.
    units
        ``{level: units}`` of the region's countries.
    drought, wasting
        The rasters, or None when not configured.
    population
        People per cell (``[inputs] population``, on its own grid), weighting drought and
        wasting per unit by people, or None.
    indicators
        ``{level: table}``: the indicator tables' number columns per unit of each
        level, indexed by ``pcode`` (:func:`join_indicators`; no columns without tables).
    entries
        The manifest's ``inputs``.
    columns
        The optional columns the events fill (:func:`sahel_geo.workflow.tables.source_columns`).
    """

    events: gpd.GeoDataFrame
    selection: Selection
    units: dict[int, gpd.GeoDataFrame]
    drought: Raster | None
    wasting: Raster | None
    indicators: dict[int, pd.DataFrame]
    entries: list[dict[str, Any]]
    columns: tuple[str, ...]
    population: Raster | None = None

    @property
    def omit(self) -> tuple[str, ...]:
        """The optional columns the events cannot fill: left out of every table."""
        return tuple(c for c in OPTIONAL_COLUMNS if c not in self.columns)


def _load_events(cfg: Config) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Read the events (demo or a file); return them and their manifest entry."""
    src = cfg["inputs"]["events"]
    if src == "demo":
        n, seed = cfg["inputs"]["demo_n"], cfg["run"]["seed"]
        entry = generated_entry(
            role="events",
            source=f"demo_events(n={n}, seed={seed})",
            rows=n,
            note="SYNTHETIC demo events generated in memory",
        )
        return demo_events(n=n, seed=seed), entry
    fmt = cfg["inputs"]["events_format"]
    try:
        if fmt == "acled":
            events = read_acled(src)
        elif fmt == "ucdp":
            events = read_ucdp(src)
        else:
            events = read_events_auto(src, source=fmt)
    except SchemaError as exc:
        raise SchemaError(
            f"{exc} ([inputs] events_format = {fmt!r}: set it to the file's source, or to "
            "'auto' to detect ACLED or UCDP GED by their columns.)"
        ) from exc
    rep = reports(events)
    rows = rep[0].n_in if rep else len(events)
    return events, file_entry(Path(src), rows=int(rows), role="events")


def _load_units(cfg: Config, level: int) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Read one level's admin units (the region's countries) and their manifest entry."""
    countries = cfg["region"]["countries"] or None
    src = cfg["inputs"]["boundaries"]
    if src == "bundled":
        units = load_boundaries(level=level, countries=countries)
        entry = file_entry(bundled_boundaries_path(level), rows=None, role=f"boundaries_adm{level}")
        entry["path"] = f"bundled:{bundled_boundaries_path(level).name}"
    else:
        units = read_boundaries(src, level=level)
        if countries:
            _check_countries(units, countries, level=level, source=src)
            units = units[units["country_iso3"].isin(countries)].reset_index(drop=True)
        entry = file_entry(Path(src), rows=None, role=f"boundaries_adm{level}")
    if units.empty:
        raise ConfigError(
            f"no admin-{level} units for countries {countries} in {src}: check [region] "
            "countries and [analysis] levels against the boundaries file."
        )
    entry["rows"] = len(units)
    return units, entry


def _check_countries(
    units: gpd.GeoDataFrame, countries: list[str], *, level: int, source: Path
) -> None:
    """Raise when the boundaries have no units of a configured country at this level."""
    present = set(units["country_iso3"].dropna().astype(str))
    absent = [c for c in countries if c not in present]
    if absent:
        raise ConfigError(
            f"[region] countries {absent} have no admin-{level} units in {source} (it holds "
            f"admin-{level} units of {sorted(present)}): drop them from [region] countries, "
            f"drop level {level} from [analysis] levels, or give a boundaries file with "
            "their units."
        )


def _check_distinct_levels(cfg: Config, units: dict[int, gpd.GeoDataFrame]) -> None:
    """Raise when two levels read the very same units (a file holding one level)."""
    seen: dict[tuple[str, ...], int] = {}
    for level, frame in units.items():
        key = tuple(sorted(frame["pcode"].astype(str)))
        if key in seen:
            raise ConfigError(
                f"[analysis] levels {seen[key]} and {level} read the same {len(frame)} units "
                f"from {cfg['inputs']['boundaries']}: the file holds one admin level. Keep "
                "the level it holds in [analysis] levels, or give a file per level."
            )
        seen[key] = level


#: The SYNTHETIC demo raster of each raster input.
_DEMO_RASTERS = {"drought": demo_spei, "wasting": demo_wasting, "population": demo_population}


def _demo_raster(cfg: Config, key: str) -> tuple[Raster, list[dict[str, Any]]]:
    seed = cfg["run"]["seed"]
    make = _DEMO_RASTERS[key]
    raster = make(seed=seed)
    entry = generated_entry(
        role=key,
        source=f"{make.__name__}(seed={seed})",
        rows=int(np.prod(raster.values.shape)),
        note="SYNTHETIC demo raster generated in memory",
    )
    return raster, [entry]


def _load_raster(
    cfg: Config, key: str, units: gpd.GeoDataFrame
) -> tuple[Raster | None, list[dict[str, Any]]]:
    """Open the drought, wasting or population raster (None when not set), with its entries."""
    src = cfg["inputs"][key]
    if src == "":
        return None, []
    if src == "demo":
        return _demo_raster(cfg, key)
    raster = open_raster(src, zones=units)
    if key == "drought" and not raster.is_stack:
        raise ConfigError(
            f"[inputs] drought: {src} holds a single raster with no time dimension, so it "
            "matches no period of the conflict x drought table. Give a time stack: a NetCDF "
            "with a 'time' dimension or a folder of GeoTIFFs with a date in each name "
            '(spei_2019-01.tif, ...); or drought = "" for none.'
        )
    if key != "drought" and raster.is_stack:
        raise ConfigError(
            f"[inputs] {key}: {src} is a time stack of {raster.values.shape[0]} layers; "
            f"the run uses one {key} surface. Give a single layer (e.g. the latest survey "
            f'or census estimate as one GeoTIFF), or {key} = "" for none.'
        )
    return raster, [file_entry(Path(src), rows=int(np.prod(raster.values.shape)), role=key)]


def _indicators(
    cfg: Config,
) -> tuple[list[tuple[Path, pd.DataFrame]], list[dict[str, Any]]]:
    """Read every indicator table once (for the manifest and to see which level it fits)."""
    tables = []
    entries = []
    for path in cfg["inputs"]["indicators"]:
        t = read_indicators(path)
        entries.append(file_entry(Path(path), rows=len(t), role="indicators"))
        tables.append((Path(path), t))
    _check_population(tables, cfg["inputs"]["population_column"])
    return tables, entries


def _check_population(tables: list[tuple[Path, pd.DataFrame]], column: str) -> None:
    """Raise when the population column is not numbers; warn when no table has it."""
    if not tables:
        return
    holding = [(p, t) for p, t in tables if column in t.columns]
    if not holding:
        warnings.warn(
            f"[inputs] population_column {column!r} is in none of the indicator tables "
            f"({', '.join(p.name for p, _ in tables)}): no events_per_100k rates are "
            "computed. Set population_column to the column that holds population.",
            SahelGeoWarning,
            stacklevel=4,
        )
        return
    for path, table in holding:
        values = table[column]
        if pd.api.types.is_numeric_dtype(values):
            continue
        bad = np.flatnonzero(
            (values.notna() & pd.to_numeric(values, errors="coerce").isna()).to_numpy()
        )
        shown = ", ".join(f"data row {k + 1}: {values.iloc[k]!r}" for k in bad[:3])
        raise SchemaError(
            f"{path}: the population column {column!r} ([inputs] population_column) is not "
            f"numbers ({len(bad)} text values, e.g. {shown}), so no rate per 100k could be "
            "computed. Write population as plain numbers (no thousands separators or "
            "notes), or set population_column to another column."
        )


def read_inputs(cfg: Config, levels: tuple[int, ...]) -> RunInputs:
    """Read and check the run's inputs: events, boundaries per level, rasters, indicators.

    Parameters
    ----------
    cfg
        The checked config.
    levels
        The admin levels to read boundaries of.

    Returns
    -------
    RunInputs
        The inputs, the events already limited to the region and period.

    Raises
    ------
    ConfigError
        An input the config cannot use (see the module docstring).
    EmptyResultError
        No event is inside the region and period.

    Examples
    --------
    >>> from sahel_geo.workflow.config import parse_config
    >>> cfg = parse_config({"inputs": {"demo_n": 100, "drought": "", "wasting": ""}})
    >>> got = read_inputs(cfg, (1,))
    >>> got.selection.n_in, sorted(got.units)  # 100 demo rows, 5 deliberately flawed
    (95, [1])
    """
    logger.info("run: reading inputs")
    read, events_entry = _load_events(cfg)
    a = cfg["analysis"]
    events, selection = select_region_period(
        read,
        countries=cfg["region"]["countries"],
        start=a["start"] or None,
        end=a["end"] or None,
    )
    logger.info("run: %s", selection.summary())
    loaded = {lv: _load_units(cfg, lv) for lv in levels}
    units = {lv: frame for lv, (frame, _) in loaded.items()}
    _check_distinct_levels(cfg, units)
    map_units = units[a["map_level"]]
    drought, drought_entry = _load_raster(cfg, "drought", map_units)
    wasting, wasting_entry = _load_raster(cfg, "wasting", map_units)
    population, population_entry = _load_raster(cfg, "population", map_units)
    indicators, indicator_entries = _indicators(cfg)
    return RunInputs(
        events=events,
        selection=selection,
        units=units,
        drought=drought,
        wasting=wasting,
        indicators={lv: join_indicators(frame, indicators) for lv, frame in units.items()},
        entries=[
            events_entry,
            *(entry for _, entry in loaded.values()),
            *drought_entry,
            *wasting_entry,
            *population_entry,
            *indicator_entries,
        ],
        columns=source_columns(events),
        population=population,
    )


#: Columns of a run's units layer (besides the boundaries' own): an indicator column of
#: the same name would replace them.
RUN_COLUMNS = frozenset(
    {
        "events",
        "fatalities",
        "civilian_fatalities",
        "change_pct",
        "trend",
        "first_period",
        "first_year",
        "spei_last_period",
        "spei_pop_last_period",
        "wasting_pct",
        "wasting_pct_pop",
        "gi_z",
        "hotspot",
        "events_per_100k",
    }
)


def join_indicators(
    units: gpd.GeoDataFrame, tables: list[tuple[Path, pd.DataFrame]]
) -> pd.DataFrame:
    """Return the number columns of the indicator tables of these units, one row per unit.

    Parameters
    ----------
    units
        One level's boundaries (tables are joined to them by P-code or name).
    tables
        ``(path, table)`` as read by :func:`read_inputs`; tables whose P-codes are of
        another level are skipped.

    Returns
    -------
    pandas.DataFrame
        Indexed by the units' ``pcode`` in their order (missing values where a table has
        no row for a unit): one column per number column of each table.

    Raises
    ------
    SchemaError
        A unit appears twice in a table with different values (the message names the
        file, the unit, both rows and the values), a column is in two tables, or a column
        would replace one of the run's own (:data:`RUN_COLUMNS` or a boundary column).

    Examples
    --------
    >>> import sahel_geo as sg
    >>> units = sg.load_boundaries(1, countries=["BFA"])
    >>> join_indicators(units, []).shape
    (13, 0)
    """
    out = pd.DataFrame(index=pd.Index(units["pcode"], name="pcode"))
    wanted = set(units["pcode"])
    origin: dict[str, Path] = {}
    for path, plain in tables:
        if "pcode" not in plain.columns or not wanted & set(plain["pcode"].dropna()):
            continue  # a table of another level: joined there
        try:
            values = unit_values(read_indicators(path, boundaries=units))
        except SchemaError as exc:
            raise SchemaError(f"{path}: {exc}") from exc
        for c in values.columns:
            if c in RUN_COLUMNS or c in units.columns:
                raise SchemaError(
                    f"{path}: column {c!r} would replace the run's own {c!r} column of the "
                    "units layer; rename it in the indicator table."
                )
            if c in origin:
                raise SchemaError(
                    f"column {c!r} is in two indicator tables of the same units, "
                    f"{origin[c]} and {path}; keep it in one of them."
                )
            origin[c] = path
            out[c] = values[c].reindex(out.index).to_numpy()
    return out
