"""Events by unit and period, and how the counts change.

* :func:`aggregate` counts events, fatalities, civilian fatalities and UCDP low/high
  fatalities per unit and period on a complete unit × period table (it lives in
  :mod:`sahel_geo.analysis.counts`, with the partial sums the Dask version shares, and is
  re-exported here).
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
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sahel_geo.analysis.counts import (
    AggregateSpec,
    PartialSums,
    add_partial_sums,
    aggregate,
    aggregate_rejects,
    aggregate_report,
    aggregate_spec,
    aggregate_table,
    check_group_labels,
    check_group_names,
    fatality_measures,
    partial_sums,
    table_units,
)
from sahel_geo.core.errors import SchemaError
from sahel_geo.core.reports import StepReport, attach_report, empty_rejects
from sahel_geo.core.schema import EQUAL_AREA_CRS
from sahel_geo.core.validation import check_columns, check_geographic

__all__ = [
    "TREND_CLASSES",
    "AggregateSpec",
    "PartialSums",
    "add_partial_sums",
    "aggregate",
    "aggregate_rejects",
    "aggregate_report",
    "aggregate_spec",
    "aggregate_table",
    "allocate_by_area",
    "check_group_labels",
    "check_group_names",
    "fatality_measures",
    "partial_sums",
    "period_change",
    "table_units",
]

logger = logging.getLogger(__name__)

#: ACLED Trendfinder change classes, from largest increase to largest decrease.
TREND_CLASSES: Final[tuple[str, ...]] = (
    "large increase",
    "moderate increase",
    "limited change",
    "large decrease",
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
