"""The bodies of the one-off ``sahel-geo`` commands: ``join``, ``zonal`` and ``change``.

Each function reads its inputs with the library's readers, runs the library's analysis
and returns one frame with every step's :class:`~sahel_geo.StepReport` attached
(:func:`sahel_geo.reports`); :mod:`sahel_geo.workflow.cli` parses the arguments, prints
the reports and writes the frame with :func:`sahel_geo.io.layers.write_layer`. Nothing
here computes anything the library does not.

Boundaries are named by a file path (read with :func:`~sahel_geo.read_boundaries`) or
by ``bundled`` / ``bundled:<level>`` (:func:`~sahel_geo.load_boundaries`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Final, Literal

import geopandas as gpd
import pandas as pd

from sahel_geo.analysis.join import assign_admin
from sahel_geo.analysis.timeseries import aggregate, period_change
from sahel_geo.analysis.zonal import zonal_stats
from sahel_geo.core.arrays import whole_counts
from sahel_geo.core.errors import ConfigError, InputFileError, SchemaError
from sahel_geo.core.periods import Freq, period_label
from sahel_geo.core.reports import ATTRS_KEY, StepReport, reports
from sahel_geo.io.boundaries import read_boundaries
from sahel_geo.io.datasets import load_boundaries
from sahel_geo.io.layers import EventSource, read_events_auto
from sahel_geo.io.rasters import open_raster

__all__ = ["CHANGE_VALUES", "change_table", "join_events", "load_units", "zonal_table"]

#: What ``change_table`` can count: a column of :func:`sahel_geo.aggregate`'s table.
CHANGE_VALUES: Final[tuple[str, ...]] = ("events", "fatalities", "civilian_fatalities")
Coarse = Literal["keep", "drop", "coarsen"]
Coverage = Literal["fraction", "center", "all_touched"]
_BUNDLED: Final = "bundled"


def _require_file(path: str | os.PathLike[str], what: str) -> Path:
    """Raise InputFileError naming ``what`` when ``path`` does not exist."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{what} not found: {p}. Check the path and the folder.")
    return p


def _with_reports(frame: pd.DataFrame, *sources: pd.DataFrame) -> pd.DataFrame:
    """Set ``frame``'s reports to those of ``sources``, oldest first, each once."""
    seen: dict[int, StepReport] = {}
    for source in sources:
        for rep in reports(source):
            seen.setdefault(id(rep), rep)
    frame.attrs[ATTRS_KEY] = tuple(seen.values())
    return frame


def load_units(spec: str | os.PathLike[str], *, level: int | None = None) -> gpd.GeoDataFrame:
    """Read the boundaries a command names: a file, ``bundled`` or ``bundled:<level>``.

    Parameters
    ----------
    spec
        A boundary file (any format :func:`~sahel_geo.read_boundaries` reads), or
        ``bundled`` / ``bundled:<level>`` for :func:`~sahel_geo.load_boundaries`.
    level
        Admin level: of the bundled boundaries (default 1), or to pick from a file that
        holds several (COD-AB, GADM; default the file's finest).

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical boundaries of one level.

    Raises
    ------
    ConfigError
        ``bundled:<level>`` with a bad level, or disagreeing with ``level``.
    InputFileError
        The file does not exist or cannot be read.

    Examples
    --------
    >>> len(load_units("bundled:1", level=None)) == len(load_units("bundled"))
    True
    """
    text = str(spec)
    if text == _BUNDLED or text.startswith(_BUNDLED + ":"):
        return load_boundaries(_bundled_level(text, level))
    return read_boundaries(_require_file(spec, "boundary file"), level=level)


def _bundled_level(text: str, level: int | None) -> int:
    if text == _BUNDLED:
        return 1 if level is None else level
    tail = text.split(":", 1)[1]
    if not tail.isdigit():
        raise ConfigError(
            f"{text!r}: the bundled boundaries are named bundled:<level>, e.g. bundled:1 "
            "(levels 0, 1 and 2)."
        )
    if level is not None and level != int(tail):
        raise ConfigError(
            f"{text!r} names level {tail} but the level option says {level}: give one of them."
        )
    return int(tail)


def join_events(
    events: str | os.PathLike[str],
    boundaries: str | os.PathLike[str],
    *,
    events_format: EventSource = "auto",
    level: int | None = None,
    tolerance_km: float | None = None,
    coarse: Coarse = "keep",
) -> gpd.GeoDataFrame:
    """Read an events file and boundaries, and assign each event its admin unit.

    Parameters
    ----------
    events
        The events file (see :func:`sahel_geo.io.layers.read_events_auto`).
    boundaries
        A boundary file, ``bundled`` or ``bundled:<level>`` (see :func:`load_units`).
    events_format
        ``"auto"``, ``"acled"``, ``"ucdp"`` or ``"generic"``.
    level
        Admin level of the boundaries (see :func:`load_units`).
    tolerance_km, coarse
        As in :func:`sahel_geo.assign_admin`.

    Returns
    -------
    geopandas.GeoDataFrame
        :func:`sahel_geo.assign_admin`'s result, with the reader's and the join's reports.

    Examples
    --------
    >>> joined = join_events("ged231.csv", "bundled:1")  # doctest: +SKIP
    >>> joined["adm1_match"].value_counts()  # doctest: +SKIP
    """
    ev = read_events_auto(_require_file(events, "events file"), source=events_format)
    units = load_units(boundaries, level=level)
    return assign_admin(ev, units, tolerance_km=tolerance_km, coarse=coarse)


def zonal_table(
    zones: str | os.PathLike[str],
    raster: str | os.PathLike[str],
    *,
    stats: Sequence[str] = ("count", "mean"),
    weights: str | os.PathLike[str] | None = None,
    coverage: Coverage = "fraction",
    level: int | None = None,
) -> gpd.GeoDataFrame:
    """Statistics of a raster over each zone, as the zones with one column per statistic.

    Parameters
    ----------
    zones
        A boundary file, ``bundled`` or ``bundled:<level>`` (see :func:`load_units`), in
        the raster's CRS.
    raster
        A GeoTIFF, NetCDF or folder of dated GeoTIFFs (see :func:`sahel_geo.open_raster`).
    stats
        Statistic names, as in :func:`sahel_geo.zonal_stats`.
    weights
        A raster on the same grid, for the weighted statistics.
    coverage
        ``"fraction"``, ``"center"`` or ``"all_touched"``.
    level
        Admin level of the zones (see :func:`load_units`).

    Returns
    -------
    geopandas.GeoDataFrame
        The zones (all their columns, in their order) with the statistics added; for a
        time stack, one row per zone and step with a ``time`` column.

    Raises
    ------
    SchemaError
        A statistic's name is already a column of the zones.

    Examples
    --------
    >>> out = zonal_table("bundled:1", "spei.tif", stats=["mean"])  # doctest: +SKIP
    """
    units = load_units(zones, level=level)
    clash = [s for s in stats if s in units.columns or s == "time"]
    if clash:
        raise SchemaError(
            f"The zones already have column(s) {clash}, the name of a statistic asked for. "
            "Rename those columns in the zones file, or ask for other statistics."
        )
    r = open_raster(_require_file(raster, "raster"), zones=units)
    w = open_raster(_require_file(weights, "weights raster"), zones=units) if weights else None
    table = zonal_stats(units, r, stats=stats, weights=w, coverage=coverage)
    if isinstance(table.index, pd.MultiIndex):
        long = units.merge(table.reset_index(), on="pcode", how="left", sort=False)
        return _with_reports(gpd.GeoDataFrame(long, geometry=units.geometry.name), units)
    out = units.copy()
    for name in table.columns:
        out[name] = table[name].reindex(out["pcode"]).to_numpy()
    return _with_reports(out, units)


def change_table(
    events: str | os.PathLike[str],
    *,
    by: str | None = None,
    freq: Freq = "year",
    value: str = "events",
    boundaries: str | os.PathLike[str] | None = None,
    level: int | None = None,
    events_format: EventSource = "auto",
) -> pd.DataFrame:
    """Count events per unit and period and the change from the previous period.

    The counts are :func:`sahel_geo.aggregate`'s, the change
    :func:`sahel_geo.period_change`'s against the previous period; periods are labelled
    as people write them (``2022``, ``2022-Q1``, ``2022-03``, ``2022-W05``).

    Parameters
    ----------
    events
        The events file (see :func:`sahel_geo.io.layers.read_events_auto`).
    by
        ``"country"`` (``country_iso3``) or any column of the events (after the join when
        ``boundaries`` is given). Default: the join's ``adm<L>_pcode`` with
        ``boundaries``, else ``"country"``.
    freq
        ``"week"``, ``"month"``, ``"quarter"`` or ``"year"``.
    value
        What to count: one of :data:`CHANGE_VALUES`.
    boundaries
        Boundaries to join the events to first (see :func:`load_units`); their units
        with no event get rows of zeros when counting by the join's P-code.
    level
        Admin level of the boundaries.
    events_format
        ``"auto"``, ``"acled"``, ``"ucdp"`` or ``"generic"``.

    Returns
    -------
    pandas.DataFrame
        :func:`sahel_geo.period_change`'s table (``unit``, ``period`` as a label, the
        count under the name ``value`` with :func:`sahel_geo.aggregate`'s dtype,
        ``baseline``, ``change_pct``, ``raw_change_pct``, ``low_baseline``, ``trend``,
        ``label``), with the reader's, the join's and the aggregation's reports.

    Raises
    ------
    SchemaError
        ``by`` is not a column of the events, or ``value`` is unknown or has no values.

    Examples
    --------
    >>> table = change_table("ged231.csv", by="country", freq="quarter")  # doctest: +SKIP
    """
    if value not in CHANGE_VALUES:
        raise ConfigError(f"value must be one of {list(CHANGE_VALUES)}; got {value!r}.")
    ev = read_events_auto(_require_file(events, "events file"), source=events_format)
    units: list[str] | None = None
    unit_col = "country_iso3" if by in (None, "country") else str(by)
    if boundaries is not None:
        adm = load_units(boundaries, level=level)
        ev = assign_admin(ev, adm)
        if by is None:
            unit_col = f"adm{int(adm['admin_level'].iloc[0])}_pcode"
            units = [str(p) for p in adm["pcode"]]
    _check_change_inputs(ev, unit_col, value, events)
    counts = aggregate(ev, unit=unit_col, freq=freq, units=units)
    order = pd.unique(counts["unit"])
    wide = counts.pivot(index="period", columns="unit", values=value).reindex(columns=order)
    change = period_change(wide.sort_index()).rename(columns={"count": value})
    if pd.api.types.is_float_dtype(counts[value]):  # summed counts: 21, not 21.0
        change[value] = whole_counts(change[value])
    else:
        change[value] = change[value].astype(counts[value].dtype)  # int64 events
    change["period"] = period_label(change["period"], freq).to_numpy()
    return _with_reports(change, ev, counts)


def _check_change_inputs(
    ev: gpd.GeoDataFrame, unit_col: str, value: str, origin: str | os.PathLike[str]
) -> None:
    """Raise naming the file and the fix when the unit column or the value is missing."""
    if unit_col not in ev.columns:
        raise SchemaError(
            f"The events from {origin} have no column {unit_col!r} to count by. Count by "
            "'country' (country_iso3), by one of their columns (e.g. "
            f"{[str(c) for c in ev.columns[:8]]} ...), or give boundaries to join to and "
            "count by their units."
        )
    if not ev[unit_col].notna().any():
        raise SchemaError(
            f"The events from {origin} have no values in column {unit_col!r} (empty on "
            f"every row), so there is nothing to count by. Count by 'country' or by a "
            "column that is filled in."
        )
    if value != "events" and (value not in ev.columns or not ev[value].notna().any()):
        raise SchemaError(
            f"The events from {origin} have no {value} values (the source does not report "
            f"them, or the column is empty). Count 'events' or 'fatalities' instead."
        )
