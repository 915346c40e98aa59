"""Events by unit and period, and how the counts change.

* :func:`aggregate` counts events, fatalities, civilian fatalities and UCDP low/high
  fatalities per unit (any admin level or grid cell) and period (week, month, quarter,
  year), on a complete unit × period table (periods with no events are rows of zeros),
  optionally split by a categorical column such as ``perpetrator_group`` into wide
  per-group columns that add up to the totals.
* :func:`period_change` gives the percentage change of each period against the previous
  period or the mean of the previous N, with ACLED Trendfinder's change classes and its
  low-baseline rule, of events or of any column of :func:`aggregate`'s table
  (``value="civilian_fatalities"``: "how many more civilians were killed this quarter
  than last").
* :func:`allocate_by_area` spreads coarse events (located only to an admin-1 unit or a
  country) over finer units in proportion to their area, as fractional counts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from sahel_geo.core.compat import is_dask_collection
from sahel_geo.core.errors import EmptyResultError, SchemaError
from sahel_geo.core.periods import Freq, check_freq
from sahel_geo.core.reports import StepReport, attach_report, empty_rejects
from sahel_geo.core.schema import EQUAL_AREA_CRS
from sahel_geo.core.validation import check_columns, check_geographic

__all__ = [
    "TREND_CLASSES",
    "aggregate",
    "aggregate_rejects",
    "allocate_by_area",
    "check_group_labels",
    "check_group_names",
    "fatality_measures",
    "period_change",
]

logger = logging.getLogger(__name__)

#: ACLED Trendfinder change classes, from largest increase to largest decrease.
TREND_CLASSES: Final[tuple[str, ...]] = (
    "large increase",
    "moderate increase",
    "limited change",
    "large decrease",
)


def aggregate(
    events: pd.DataFrame,
    *,
    unit: str,
    freq: Freq = "month",
    units: pd.Index | list[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    weight: str | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Count events and fatalities per unit and period, zeros included.

    Parameters
    ----------
    events
        Canonical events (``event_date``, ``fatalities``; ``civilian_fatalities``, UCDP
        ``low``/``high`` when present) with a unit column, e.g. ``adm1_pcode`` from
        ``assign_admin`` or ``cell_id`` from :func:`sahel_geo.events_to_cells`.
    unit
        Name of the unit column. Rows whose unit is missing, or outside ``units`` /
        ``start``–``end``, are left out and listed in the attached
        :class:`~sahel_geo.StepReport` (``sahel_geo.rejects(result)``), never dropped
        silently.
    freq
        ``"week"`` (ISO weeks, Monday start), ``"month"``, ``"quarter"`` or ``"year"``.
    units
        Every unit that should appear (e.g. all P-codes of the level), so that units with
        no event get rows of zeros. Default: the units present in ``events``.
    start, end
        First and last period to include (any date inside them). Default: the span of
        the events.
    weight
        Column of fractional event weights (from :func:`allocate_by_area`); every count
        and fatality sum is weighted by it. Default: each row counts 1.
    by
        A categorical column of ``events`` (e.g. ``perpetrator_group``, ``event_type``,
        ``country_iso3``) to split the counts by. For each value ``v`` present among
        the events (sorted), wide columns ``events_<v>``, ``fatalities_<v>`` and, when
        civilian fatalities are available, ``civilian_fatalities_<v>`` are added after
        the default columns, and ``events_unknown`` (and so on) for events whose value
        is missing (always present, zeros when none is). The per-group columns add up
        to ``events``, ``fatalities`` and ``civilian_fatalities`` on every row. A value
        named ``unknown`` or giving a column name of the default table (``low``,
        ``high``) raises :class:`~sahel_geo.SchemaError`. Default: no split (the
        default columns only).

    Returns
    -------
    pandas.DataFrame
        (For a dask frame of events: a ``dask.delayed`` of this table, computed from
        partial sums per partition, whose ``.compute()`` carries the reports: see
        :func:`sahel_geo.analysis.partitioned.aggregate_partitioned`.)
        One row per unit × period (units in the order given or sorted, periods in time
        order): ``unit``, ``period`` (period start, datetime64), ``events`` (float when
        weighted, else int), ``fatalities``, ``fatalities_low``, ``fatalities_high`` (UCDP
        ``low``/``high``; for rows without them, equal to ``fatalities``: no uncertainty
        reported), ``civilian_fatalities`` (NaN everywhere when no event has the column's
        values; otherwise missing values count 0), then the ``by`` columns.

    Examples
    --------
    >>> ev = pd.DataFrame({"adm1_pcode": ["A", "A", "B"],
    ...     "event_date": pd.to_datetime(["2024-01-03", "2024-03-01", "2024-01-09"]),
    ...     "fatalities": [1, 2, 5],
    ...     "perpetrator_group": ["armed_group", "state_forces", None]})
    >>> aggregate(ev, unit="adm1_pcode", freq="month")["events"].tolist()
    [1, 0, 1, 1, 0, 0]
    >>> t = aggregate(ev, unit="adm1_pcode", freq="quarter", by="perpetrator_group")
    >>> t[["unit", "events", "events_armed_group", "events_state_forces",
    ...    "events_unknown"]].values.tolist()
    [['A', 2, 1, 1, 0], ['B', 1, 0, 0, 1]]
    """
    if is_dask_collection(events):  # a dask frame: partial sums per partition, then one table
        from sahel_geo.analysis.partitioned import aggregate_partitioned

        return aggregate_partitioned(  # type: ignore[no-any-return]
            events, unit=unit, freq=freq, units=units, start=start, end=end, weight=weight, by=by
        )
    check_columns(events, [unit, "event_date", "fatalities", *([by] if by else [])], what="events")
    alias = check_freq(freq)
    has_unit = events[unit].notna().to_numpy()
    if not has_unit.all():
        logger.info("aggregate: %d events without %s left out", int((~has_unit).sum()), unit)
    used = [unit, "event_date", "fatalities", "low", "high", "civilian_fatalities", by, weight]
    # only the columns summed: a filter of every column copies all of an export's text
    ev = events.loc[has_unit, [c for c in dict.fromkeys(used) if c in events.columns]]
    per = _event_periods(ev, alias)
    periods = _period_range(per, start, end, alias)
    unit_index = _unit_index(ev[unit], units)
    bins = _bins(ev, unit=unit, unit_index=unit_index, per=per, periods=periods, weight=weight)
    n_p = len(periods)
    out = pd.DataFrame(
        {
            "unit": np.repeat(unit_index.to_numpy(), n_p),
            "period": np.tile(periods.to_timestamp(how="start").to_numpy(), len(unit_index)),
        }
    )
    counts = bins.sum(np.ones(len(ev)))
    out["events"] = counts.round().astype(np.int64) if weight is None else counts
    for col, values in _fatality_sums(ev, bins).items():
        out[col] = values
    if by is not None:
        split = _group_sums(ev, bins, by=by, weighted=weight is not None)
        check_group_names(split, out.columns, by)
        out = pd.concat([out, pd.DataFrame(split, index=out.index)], axis=1)
    attach_report(
        out,
        StepReport(
            step=f"aggregate[{unit}, {freq}]",
            source=f"{len(events)} events",
            n_in=len(events),
            n_kept=int(bins.inside.sum()),
            rejects=_aggregate_rejects(has_unit, bins.inside, unit),
        ),
    )
    return out


@dataclass(frozen=True)
class _Bins:
    """Each event's unit × period bin (flat index), for weighted sums by bincount."""

    flat: NDArray[np.int64]  # bin of each event inside the table
    inside: NDArray[np.bool_]  # events inside the units and periods asked for
    weight: NDArray[np.float64]  # weight of each event inside
    size: int  # number of bins (units × periods)

    def sum(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the weighted sum of ``values`` (one per event) in each bin."""
        sums = np.bincount(
            self.flat, weights=values[self.inside] * self.weight, minlength=self.size
        )
        return np.asarray(sums, dtype=np.float64)  # float already (weighted): no copy


def _event_periods(ev: pd.DataFrame, alias: str) -> pd.PeriodIndex:
    """Return the period of each event, raising on missing dates."""
    dates = pd.DatetimeIndex(ev["event_date"])
    if dates.isna().any():
        bad = np.flatnonzero(dates.isna())[:10].tolist()
        raise SchemaError(f"events: event_date is missing at positions {bad}; fix or drop them.")
    return dates.to_period(alias)


def _period_range(
    per: pd.PeriodIndex,
    start: str | pd.Timestamp | None,
    end: str | pd.Timestamp | None,
    alias: str,
) -> pd.PeriodIndex:
    """Return the periods of the table: ``start``..``end``, by default the events' span."""
    lo = pd.Period(start, alias) if start is not None else (per.min() if len(per) else None)
    hi = pd.Period(end, alias) if end is not None else (per.max() if len(per) else None)
    if lo is None or hi is None:
        raise EmptyResultError(
            "aggregate: no events with a unit and no start/end given: pass start= and end= "
            "to get a table of zeros."
        )
    return pd.period_range(lo, hi, freq=alias)


def _unit_index(unit_values: pd.Series, units: pd.Index | list[str] | None) -> pd.Index:
    """Return the units of the table: those given, or the sorted units of the events."""
    unit_index = pd.Index(sorted(unit_values.unique()) if units is None else list(units))
    if unit_index.has_duplicates:
        raise SchemaError("units has duplicate values; pass each unit once.")
    return unit_index


def _bins(
    ev: pd.DataFrame,
    *,
    unit: str,
    unit_index: pd.Index,
    per: pd.PeriodIndex,
    periods: pd.PeriodIndex,
    weight: str | None,
) -> _Bins:
    """Return the unit × period bin of each event (events outside are left out)."""
    codes, uniq = pd.factorize(ev[unit])  # hash each event's unit once
    ucode = unit_index.get_indexer(pd.Index(uniq))[codes]
    pcode = (per.asi8 - periods[0].ordinal).astype(np.int64)
    inside = (ucode >= 0) & (pcode >= 0) & (pcode < len(periods))
    if not inside.all():
        logger.info("aggregate: %d events outside the units/periods asked for", (~inside).sum())
    n_p = len(periods)
    flat = ucode[inside] * n_p + pcode[inside]
    w = np.ones(len(ev)) if weight is None else ev[weight].to_numpy(dtype=float)
    return _Bins(flat=flat, inside=inside, weight=w[inside], size=len(unit_index) * n_p)


def fatality_measures(ev: pd.DataFrame) -> dict[str, NDArray[np.float64] | None]:
    """Return the per-event values that :func:`aggregate` sums into its fatality columns.

    One home for the rules, shared by the in-memory table and the partitioned one
    (:mod:`sahel_geo.analysis.partitioned`): ``fatalities`` (missing as 0),
    ``fatalities_low`` and ``fatalities_high`` (UCDP ``low``/``high``, the event's
    ``fatalities`` where missing) and ``civilian_fatalities`` (missing as 0; None when no
    event has a value, so that the column is NaN).

    Parameters
    ----------
    ev
        Events with ``fatalities`` (and optionally ``low``, ``high``,
        ``civilian_fatalities``).

    Returns
    -------
    dict
        Column name -> one float per event (or None for ``civilian_fatalities``).

    Examples
    --------
    >>> ev = pd.DataFrame({"fatalities": [1.0, None], "high": [3.0, None]})
    >>> m = fatality_measures(ev)
    >>> m["fatalities_high"].tolist(), m["civilian_fatalities"] is None
    ([3.0, 0.0], True)
    """
    fat = np.nan_to_num(ev["fatalities"].to_numpy(dtype=float))
    out: dict[str, NDArray[np.float64] | None] = {"fatalities": fat}
    for col, src in (("fatalities_low", "low"), ("fatalities_high", "high")):
        vals = ev[src].to_numpy(dtype=float) if src in ev.columns else np.full(len(ev), np.nan)
        out[col] = np.where(np.isnan(vals), fat, vals)
    out["civilian_fatalities"] = _civilian_values(ev)
    return out


def _fatality_sums(ev: pd.DataFrame, bins: _Bins) -> dict[str, NDArray[np.float64] | float]:
    """Return the fatality columns of the table: best, UCDP low/high and civilian."""
    return {
        col: np.nan if values is None else bins.sum(values)
        for col, values in fatality_measures(ev).items()
    }


def _civilian_values(ev: pd.DataFrame) -> NDArray[np.float64] | None:
    """Civilian fatalities of each event (missing as 0), or None when none has a value."""
    if "civilian_fatalities" in ev.columns and ev["civilian_fatalities"].notna().any():
        values: NDArray[np.float64] = np.nan_to_num(ev["civilian_fatalities"].to_numpy(dtype=float))
        return values
    return None


def check_group_labels(labels: list[str], by: str) -> None:
    """Raise when two ``by`` values give the same column name, or one is ``unknown``.

    Parameters
    ----------
    labels
        The text of each distinct value of the ``by`` column (sorted by value).
    by
        The column's name, for the message.

    Raises
    ------
    SchemaError
        When the per-group column names of :func:`aggregate` would clash.
    """
    if len(set(labels)) < len(labels) or "unknown" in labels:
        raise SchemaError(
            f"aggregate: by={by!r} has values {labels} whose column names clash (two "
            "values with the same text, or a value 'unknown', the name of missing "
            f"values). Recode the {by!r} column so its values are distinct and not 'unknown'."
        )


def _group_sums(
    ev: pd.DataFrame, bins: _Bins, *, by: str, weighted: bool
) -> dict[str, NDArray[np.float64] | NDArray[np.int64]]:
    """Wide per-group columns: events, fatalities and civilian fatalities of each value."""
    codes, uniq = pd.factorize(ev[by], sort=True)  # missing values: code -1
    labels = [str(v) for v in uniq]
    check_group_labels(labels, by)
    labels.append("unknown")
    codes = np.where(codes < 0, len(labels) - 1, codes)
    measures: dict[str, NDArray[np.float64]] = {
        "events": np.ones(len(ev)),
        "fatalities": np.nan_to_num(ev["fatalities"].to_numpy(dtype=float)),
    }
    civilian = _civilian_values(ev)
    if civilian is not None:
        measures["civilian_fatalities"] = civilian
    out: dict[str, NDArray[np.float64] | NDArray[np.int64]] = {}
    for measure, values in measures.items():
        for g, label in enumerate(labels):
            sums = bins.sum(np.where(codes == g, values, 0.0))
            exact = measure == "events" and not weighted
            out[f"{measure}_{label}"] = sums.round().astype(np.int64) if exact else sums
    return out


def check_group_names(split: Mapping[str, object], columns: pd.Index, by: str) -> None:
    """Raise when a per-group column would overwrite a default column of the table.

    Parameters
    ----------
    split
        The per-group columns of :func:`aggregate`, by name.
    columns
        The default columns of the table.
    by
        The ``by`` column, for the message.

    Raises
    ------
    SchemaError
        When a name is in both.
    """
    clash = sorted(set(split) & {str(c) for c in columns})
    if clash:
        raise SchemaError(
            f"aggregate: by={by!r} would make the column(s) {clash}, which the table "
            f"already has. Recode the {by!r} values (e.g. prefix them) and try again."
        )


def _aggregate_rejects(
    has_unit: NDArray[np.bool_], inside: NDArray[np.bool_], unit: str
) -> pd.DataFrame:
    """Return the rejects table of aggregate: events without a unit, events outside."""
    return aggregate_rejects(np.flatnonzero(~has_unit), np.flatnonzero(has_unit)[~inside], unit)


def aggregate_rejects(no_unit: NDArray[Any], outside: NDArray[Any], unit: str) -> pd.DataFrame:
    """Return the rejects table of :func:`aggregate` from the rows it left out.

    Parameters
    ----------
    no_unit
        Rows of the events without a unit (positions; index labels in the partitioned
        version).
    outside
        Rows outside the units or periods asked for.
    unit
        The unit column, named in the ``column`` of every reject.

    Returns
    -------
    pandas.DataFrame
        ``row``, ``reason`` (``"no unit"``, then ``"outside the units or periods asked
        for"``) and ``column``.
    """
    return pd.DataFrame(
        {
            "row": np.concatenate([no_unit, outside]),
            "reason": ["no unit"] * no_unit.size
            + ["outside the units or periods asked for"] * outside.size,
            "column": unit,
        }
    )


def period_change(
    counts: pd.Series | pd.DataFrame,
    *,
    value: str | None = None,
    baseline_periods: int = 1,
    min_baseline: float = 2.0,
    min_current: float = 5.0,
    thresholds: tuple[float, float, float] = (-25.0, 10.0, 25.0),
) -> pd.DataFrame:
    """Percentage change of each period against the previous one or the mean of the last N.

    The change is ``100 * (current - baseline) / baseline`` where ``baseline`` is the
    previous period's count (``baseline_periods=1``) or the mean of the previous
    ``baseline_periods`` periods (ACLED Trendfinder uses 4 weeks or 52 weeks). A rise from
    118 to 500 is ``323.7`` (label ``"324%"``).

    Classes follow ACLED Trendfinder's Country Change Level (acleddata.com/trendfinder):
    *large increase* (> 25 %), *moderate increase* (> 10 % to 25 %), *limited change*
    (-25 % to 10 %), *large decrease* (< -25 %). Low-baseline rule (also Trendfinder's): when
    the baseline is at most ``min_baseline`` and the current count at most ``min_current``,
    the class is *limited change*, ``change_pct`` is NaN and the label says "low baseline",
    so 1 → 3 events is not reported as a 200 % surge.

    Parameters
    ----------
    counts
        A Series of counts indexed by period, or a wide DataFrame (periods as rows in time
        order, one column per unit); with ``value``, the long table of :func:`aggregate`
        (``unit``, ``period`` and the ``value`` column).
    value
        Column of the long table to compare: ``"events"``, ``"fatalities"``,
        ``"civilian_fatalities"``, ``"events_state_forces"`` ... It is summed per unit and
        period (one row each in :func:`aggregate`'s table), periods in time order, units
        sorted. A column that is NaN everywhere (``civilian_fatalities`` of events with
        none) raises :class:`~sahel_geo.SchemaError`. Default: ``counts`` is already a
        Series or a wide table.
    baseline_periods
        Number of previous periods whose mean is the baseline (>= 1).
    min_baseline, min_current
        The low-baseline rule's limits.
    thresholds
        The three class limits in percent (large decrease, moderate increase, large
        increase).

    Returns
    -------
    pandas.DataFrame
        Long table, one row per unit × period: ``unit`` (the Series name for a Series),
        ``period``, ``count``, ``baseline`` (NaN for the first ``baseline_periods`` periods),
        ``change_pct`` (NaN with no baseline, a zero baseline or a low baseline),
        ``raw_change_pct`` (before the low-baseline rule; inf from a zero baseline),
        ``low_baseline`` (bool), ``trend`` (a :data:`TREND_CLASSES` value, or ``"new"``
        from a zero baseline above the low-baseline limits, or ``""`` without baseline) and
        ``label`` (e.g. ``"324%"``, ``"low baseline (1 → 3)"``, ``"new (0 → 7)"``).

    Examples
    --------
    >>> s = pd.Series([118, 500], index=pd.period_range("2023-01", periods=2, freq="M"))
    >>> period_change(s)["label"].tolist()
    ['', '324%']
    >>> table = pd.DataFrame({"unit": ["MLI", "MLI"],
    ...     "period": pd.to_datetime(["2021-10-01", "2022-01-01"]),
    ...     "civilian_fatalities": [118.0, 500.0]})
    >>> period_change(table, value="civilian_fatalities")["label"].tolist()
    ['', '324%']
    """
    if baseline_periods < 1:
        raise SchemaError(f"baseline_periods must be >= 1, got {baseline_periods}.")
    lo_t, mid_t, hi_t = thresholds
    if not lo_t < mid_t < hi_t:
        raise SchemaError(f"thresholds must increase, got {thresholds}.")
    wide = _wide_counts(counts, value)
    values = wide.to_numpy(dtype=float)
    base = (
        pd.DataFrame(values)
        .rolling(baseline_periods, min_periods=baseline_periods)
        .mean()
        .shift(1)
        .to_numpy()
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = 100.0 * (values - base) / base
    raw = np.where(base == 0, np.where(values > 0, np.inf, 0.0), raw)
    low = (base <= min_baseline) & (values <= min_current)
    change = np.where(low | np.isinf(raw), np.nan, raw)
    trend = np.full(values.shape, "", dtype=object)
    has = ~np.isnan(base)
    trend[has] = "limited change"
    trend[has & (raw > mid_t)] = "moderate increase"
    trend[has & (raw > hi_t)] = "large increase"
    trend[has & (raw < lo_t)] = "large decrease"
    trend[has & np.isinf(raw)] = "new"
    trend[has & low] = "limited change"

    def _fmt(v: np.ndarray, pattern: str | None = None) -> np.ndarray:
        # format each distinct value once (few distinct counts), then look them up
        uniq, inv = np.unique(v, return_inverse=True)
        if pattern is None:
            text = [f"{x:g}" if float(x).is_integer() else f"{x:.1f}" for x in uniq]
        else:
            text = [pattern.format(x) for x in uniq]
        return np.asarray(text, dtype=object)[inv.ravel()]

    label = np.full(values.shape, "", dtype=object)
    show = has & ~low & ~np.isinf(raw)
    label[show] = _fmt(np.round(raw[show]) + 0.0, "{:.0f}%")  # + 0.0: no "-0%"
    sel = has & low
    label[sel] = "low baseline (" + _fmt(base[sel]) + " → " + _fmt(values[sel]) + ")"
    sel = has & ~low & np.isinf(raw)
    label[sel] = "new (0 → " + _fmt(values[sel]) + ")"
    n_p, n_u = values.shape
    return pd.DataFrame(
        {
            "unit": np.repeat(np.asarray(wide.columns, dtype=object), n_p),
            "period": wide.index.take(np.tile(np.arange(n_p), n_u)),
            "count": values.T.ravel(),
            "baseline": base.T.ravel(),
            "change_pct": change.T.ravel(),
            "raw_change_pct": raw.T.ravel(),
            "low_baseline": low.T.ravel(),
            "trend": trend.T.ravel(),
            "label": label.T.ravel(),
        }
    )


def _wide_counts(counts: pd.Series | pd.DataFrame, value: str | None) -> pd.DataFrame:
    """Periods as rows, units as columns: ``counts`` itself, or ``value`` of a long table."""
    if value is None:
        return counts.to_frame(counts.name) if isinstance(counts, pd.Series) else counts
    if not isinstance(counts, pd.DataFrame):
        raise SchemaError(
            f"period_change: value={value!r} needs aggregate()'s long table (unit, period, "
            f"{value}); got a Series. Pass the table, or the Series without value=."
        )
    check_columns(counts, ["unit", "period", value], what="counts")
    if len(counts) and counts[value].isna().all():
        raise SchemaError(
            f"period_change: {value!r} is NaN in every row: the events have no such "
            "values (civilian_fatalities come from ACLED's civilian targeting, UCDP's "
            "deaths_civilians or a generic table's civilian_fatalities mapping). Compare "
            "another column, e.g. value='fatalities'."
        )
    sums = counts.groupby(["period", "unit"], sort=True)[value].sum(min_count=1)
    return sums.unstack("unit").sort_index()


def _area_shares(parents: gpd.GeoDataFrame, units: gpd.GeoDataFrame, unit_col: str) -> pd.DataFrame:
    """Share of each parent polygon's area that lies in each unit (ESRI:102022)."""
    pa = parents.geometry.to_crs(EQUAL_AREA_CRS).to_numpy()
    ua = units.geometry.to_crs(EQUAL_AREA_CRS).to_numpy()
    tree = shapely.STRtree(ua)
    pi, ui = tree.query(pa, predicate="intersects")
    inter = shapely.area(shapely.intersection(pa[pi], ua[ui]))
    frame = pd.DataFrame({"parent": pi, "unit": units[unit_col].to_numpy()[ui], "area": inter})
    frame = frame[frame["area"] > 0]
    frame["share"] = frame["area"] / frame.groupby("parent")["area"].transform("sum")
    return frame[["parent", "unit", "share"]]


def allocate_by_area(
    events: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    parents: gpd.GeoDataFrame,
    *,
    unit: str,
    unit_col: str = "pcode",
    coarse_levels: tuple[str, ...] = ("admin1", "country"),
) -> pd.DataFrame:
    """Spread coarse events over finer units in proportion to area, as fractional counts.

    An event known only to an admin-1 unit or a country (``location_level``) sits at that
    unit's centroid in the source. Counting it at the centroid inflates the unit there;
    dropping it loses it. Here it is split over the finer units that cover its parent
    polygon (the one of ``parents`` at that level containing its point) with weight equal
    to each unit's share of the parent's area (ESRI:102022). Weights of one event sum to 1,
    so counts are conserved. Finer events keep weight 1 and the unit already in
    ``events[unit]``.

    Parameters
    ----------
    events
        Canonical events (EPSG:4326) with ``location_level`` and the fine unit column
        ``unit`` (filled for point/admin-2 events by ``assign_admin`` or
        :func:`sahel_geo.events_to_cells`).
    units
        The fine units (EPSG:4326) with their id in ``unit_col``.
    parents
        Coarse boundaries (EPSG:4326) with ``admin_level`` (0 for countries, 1 for admin-1).
    unit
        Name of the fine-unit column in ``events`` and in the result.
    unit_col
        Id column of ``units``.
    coarse_levels
        Location levels to allocate.

    Returns
    -------
    pandas.DataFrame
        The events' columns (no geometry), one row per event × unit it goes to, with
        ``unit`` and ``weight``, and ``allocation``: ``"direct"``, ``"area"`` or
        ``"unallocated"`` (coarse event outside every parent, or fine event without a unit:
        kept with weight 1 and no unit). A :class:`~sahel_geo.StepReport` is attached
        with the count of each treatment in ``notes``.

    Examples
    --------
    >>> table = allocate_by_area(events, adm2, adm1, unit="adm2_pcode")  # doctest: +SKIP
    >>> aggregate(table, unit="adm2_pcode", weight="weight")  # doctest: +SKIP
    """
    check_columns(events, ["location_level", unit], what="events")
    check_columns(parents, ["admin_level"], what="parents")
    check_columns(units, [unit_col], what="units")
    for g, name in ((events, "events"), (units, "units"), (parents, "parents")):
        check_geographic(g, what=name)
    data = pd.DataFrame(events.drop(columns=events.geometry.name))
    level = events["location_level"].astype(str).to_numpy()
    coarse = np.isin(level, coarse_levels)
    fine = data.loc[~coarse].copy()
    fine["weight"] = 1.0
    fine["allocation"] = np.where(fine[unit].notna(), "direct", "unallocated")
    pieces = [fine]
    level_number = {"admin1": 1, "country": 0, "admin2": 2}
    n_area = 0
    for lev in coarse_levels:
        sel = np.flatnonzero(level == lev)
        if sel.size == 0:
            continue
        par = parents[parents["admin_level"] == level_number.get(lev, -1)]
        hit = np.full(sel.size, -1)
        if len(par):
            tree = shapely.STRtree(par.geometry.to_numpy())
            ei, pi = tree.query(events.geometry.to_numpy()[sel], predicate="intersects")
            first = pd.Series(pi).groupby(ei).min()  # deterministic: lowest parent row
            hit[first.index.to_numpy()] = first.to_numpy()
            shares = _area_shares(par, units, unit_col)
        else:
            shares = pd.DataFrame({"parent": [], "unit": [], "share": []})
        sub = data.iloc[sel].drop(columns=[unit]).assign(_parent=hit, _row=np.arange(sel.size))
        merged = sub.merge(
            shares.rename(columns={"unit": unit}), left_on="_parent", right_on="parent", how="left"
        )
        merged["weight"] = merged["share"].fillna(1.0)
        merged["allocation"] = np.where(merged[unit].notna(), "area", "unallocated")
        n_area += int(merged.loc[merged["allocation"] == "area", "_row"].nunique())
        pieces.append(merged.drop(columns=["_parent", "_row", "parent", "share"]))
    out = pd.concat(pieces, ignore_index=True, sort=False)
    n_direct = int((fine["allocation"] == "direct").sum())
    n_unalloc = len(events) - n_direct - n_area
    report = StepReport(
        step="allocate_by_area",
        source=f"{len(events)} events -> {unit}",
        n_in=len(events),
        n_kept=len(events),
        rejects=empty_rejects(),
        notes={"direct": n_direct, "area": n_area, "unallocated": n_unalloc},
    )
    attach_report(out, report)
    logger.info("%s", report.summary())
    return out
