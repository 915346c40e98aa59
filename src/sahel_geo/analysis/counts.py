"""Events by unit and period: :func:`aggregate` and the partial sums it is made of.

:func:`aggregate` counts events, fatalities, civilian fatalities and UCDP low/high
fatalities per unit (any admin level or grid cell) and period (week, month, quarter,
year), on a complete unit × period table (periods with no events are rows of zeros),
optionally split by a categorical column such as ``perpetrator_group`` into wide
per-group columns that add up to the totals.

It is made of steps the Dask version (:mod:`sahel_geo.analysis.partitioned`) maps over
partitions: :func:`aggregate_spec` checks the options, :func:`partial_sums` reduces a
frame (or a partition) to its sums per unit × period met, :func:`add_partial_sums`
adds partitions' sums, :func:`aggregate_table` lays them on the complete table and
:func:`aggregate_report` reports the rows kept and rejected. One set of rules, whatever
the engine. :mod:`sahel_geo.analysis.timeseries` re-exports these names.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sahel_geo.core.compat import is_dask_collection
from sahel_geo.core.errors import EmptyResultError, SchemaError
from sahel_geo.core.periods import Freq, check_freq
from sahel_geo.core.reports import StepReport, attach_report
from sahel_geo.core.validation import check_columns

__all__ = [
    "AggregateSpec",
    "PartialSums",
    "add_partial_sums",
    "aggregate",
    "aggregate_rejects",
    "aggregate_report",
    "aggregate_spec",
    "aggregate_table",
    "check_group_labels",
    "check_group_names",
    "fatality_measures",
    "partial_sums",
    "table_units",
]

logger = logging.getLogger(__name__)


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
    extra = [c for c in (by, weight) if c]  # checked as the dask version checks them
    check_columns(events, [unit, "event_date", "fatalities", *extra], what="events")
    spec = aggregate_spec(
        events, unit=unit, freq=freq, units=units, start=start, end=end, weight=weight, by=by
    )
    # the whole frame is one partition: the same sums and table as on dask
    part = partial_sums(events, spec, positions=True)
    out = aggregate_table(part, spec)
    attach_report(out, aggregate_report(part, spec))
    return out


@dataclass(frozen=True)
class AggregateSpec:
    """The options of one :func:`aggregate` call, checked (see :func:`aggregate_spec`)."""

    unit: str
    freq: str
    alias: str  # the pandas period alias of freq
    units: tuple[Any, ...] | None
    start: pd.Period | None
    end: pd.Period | None
    weight: str | None
    by: str | None
    by_order: tuple[Any, ...] | None = None  # a categorical by column's categories


def aggregate_spec(
    events: pd.DataFrame,
    *,
    unit: str,
    freq: Freq,
    units: pd.Index | list[str] | tuple[Any, ...] | None,
    start: str | pd.Timestamp | None,
    end: str | pd.Timestamp | None,
    weight: str | None,
    by: str | None,
) -> AggregateSpec:
    """Return the options of :func:`aggregate`, checked, for :func:`partial_sums`.

    Parameters
    ----------
    events
        The events, or an empty frame with their columns and dtypes (a dask frame's
        ``_meta``): a categorical ``by`` column orders the per-group columns by its
        categories.
    unit, freq, units, start, end, weight, by
        As for :func:`aggregate`.

    Returns
    -------
    AggregateSpec
        The options, with ``start``/``end`` as periods of ``freq``.

    Raises
    ------
    SchemaError
        ``freq`` is not one of the periods :func:`aggregate` knows.
    """
    alias = check_freq(freq)
    by_order = None
    if by is not None and isinstance(events[by].dtype, pd.CategoricalDtype):
        by_order = tuple(events[by].cat.categories)  # as factorize(sort=True) orders them
    return AggregateSpec(
        unit=unit,
        freq=str(freq),
        alias=alias,
        units=None if units is None else tuple(units),
        start=None if start is None else pd.Period(start, alias),
        end=None if end is None else pd.Period(end, alias),
        weight=weight,
        by=by,
        by_order=by_order,
    )


@dataclass(frozen=True)
class PartialSums:
    """Sums of events per (unit, period) met, with what :func:`aggregate_table` needs.

    ``sums`` holds one row per (``unit``, period ``ordinal``) met by the events inside the
    units and periods asked for, with the summed measures (``events``, the fatality
    columns, ``<measure>_<label>`` per ``by`` value).
    """

    sums: pd.DataFrame
    lo: int | None  # first and last period ordinal of the events with a unit
    hi: int | None
    units: frozenset[Any]  # units met (events with a unit)
    by_values: frozenset[Any]  # non-missing values of the by column met
    civilian: bool  # some event with a unit has a civilian_fatalities value
    n_in: int
    n_kept: int
    no_unit: NDArray[Any]  # rows (positions or index labels) of the events without a unit
    outside: NDArray[Any]  # rows of the events outside the units/periods asked for


def partial_sums(
    events: pd.DataFrame, spec: AggregateSpec, *, positions: bool = False
) -> PartialSums:
    """Reduce events (a whole frame, or one partition of a dask frame) to partial sums.

    :func:`aggregate` is ``aggregate_table(partial_sums(events))``; on a dask frame, the
    partial sums of the partitions are added by :func:`add_partial_sums` before the
    table is laid out, so both follow the same rules.

    Parameters
    ----------
    events
        Events with the columns :func:`aggregate` needs.
    spec
        The call's options (:func:`aggregate_spec`).
    positions
        Name rows (in the rejects and the missing-date error) by position, as the
        in-memory :func:`aggregate` does; by default by index label, as for partitions.

    Returns
    -------
    PartialSums
        The sums per (unit, period) met and the bookkeeping of the table and report.

    Raises
    ------
    SchemaError
        An event with a unit has no ``event_date``.
    """
    has_unit = events[spec.unit].notna().to_numpy()
    if not has_unit.all():
        logger.info("aggregate: %d events without %s left out", (~has_unit).sum(), spec.unit)
    used = [spec.unit, "event_date", "fatalities", "low", "high", "civilian_fatalities"]
    used += [c for c in (spec.by, spec.weight) if c is not None]
    # only the columns summed: a filter of every column copies all of an export's text
    ev = events.loc[has_unit, [c for c in dict.fromkeys(used) if c in events.columns]]
    ords = _event_ordinals(ev, spec.alias, positions=positions)
    ucodes, uvals = pd.factorize(ev[spec.unit])  # hash each event's unit once
    inside = _inside(pd.Index(uvals), ucodes, ords, spec)
    weight = None if spec.weight is None else ev[spec.weight].to_numpy(dtype=float)
    bins = _bins(ucodes, ords, inside, weight, n_units=len(uvals))
    measures = fatality_measures(ev)
    sums = {"events": bins.sum(None)}
    sums.update({col: bins.sum(v) for col, v in measures.items() if v is not None})
    by_values: frozenset[Any] = frozenset()
    if spec.by is not None:
        by_values = _group_sums(ev[spec.by], measures, bins, sums)
    if positions:
        no_unit, outside = np.flatnonzero(~has_unit), np.flatnonzero(has_unit)[~inside]
    else:
        no_unit, outside = events.index[~has_unit].to_numpy(), ev.index[~inside].to_numpy()
    return PartialSums(
        sums=pd.DataFrame(sums, index=bins.index(uvals)),
        lo=int(ords.min()) if len(ords) else None,
        hi=int(ords.max()) if len(ords) else None,
        units=frozenset(uvals),
        by_values=by_values,
        civilian=measures["civilian_fatalities"] is not None,
        n_in=len(events),
        n_kept=int(inside.sum()),
        no_unit=no_unit,
        outside=outside,
    )


def _event_ordinals(ev: pd.DataFrame, alias: str, *, positions: bool) -> NDArray[np.int64]:
    """Return the period ordinal of each event, raising on missing dates."""
    dates = pd.DatetimeIndex(ev["event_date"])
    missing = np.asarray(dates.isna())
    if missing.any():
        where = "positions" if positions else "rows"
        bad = (np.flatnonzero(missing) if positions else ev.index[missing])[:10].tolist()
        raise SchemaError(f"events: event_date is missing at {where} {bad}; fix or drop them.")
    return np.asarray(dates.to_period(alias).asi8, dtype=np.int64)


def _inside(
    uvals: pd.Index, ucodes: NDArray[np.intp], ords: NDArray[np.int64], spec: AggregateSpec
) -> NDArray[np.bool_]:
    """Return which events are inside the units and periods asked for."""
    inside = np.ones(len(ords), dtype=bool)
    if spec.units is not None:
        inside &= np.asarray(uvals.isin(spec.units))[ucodes]
    if spec.start is not None:
        inside &= ords >= spec.start.ordinal
    if spec.end is not None:
        inside &= ords <= spec.end.ordinal
    if not inside.all():
        logger.info("aggregate: %d events outside the units/periods asked for", (~inside).sum())
    return inside


@dataclass(frozen=True)
class _Bins:
    """Each event's (unit, period) bin among those met, for weighted sums by bincount."""

    flat: NDArray[np.int64]  # bin of each event inside
    inside: NDArray[np.bool_] | None  # the events inside (None: all of them)
    weight: NDArray[np.float64] | None  # weight of each event inside (None: each counts 1)
    counts: NDArray[np.int64]  # events in each bin of flat
    keys: NDArray[np.int64]  # unit code * span + period ordinal - lo, of each bin met
    keep: NDArray[np.int64] | None  # the bins of flat met (None: all of them)
    span: int
    lo: int

    def sum(self, values: NDArray[np.float64] | None) -> NDArray[np.float64]:
        """Return the weighted sum of ``values`` (one per event; None: 1) in each bin met."""
        if values is None:  # each event counts 1, or its weight
            sums: NDArray[Any] = self.counts if self.weight is None else self._bincount(self.weight)
        else:
            v = values if self.inside is None else values[self.inside]
            sums = self._bincount(v if self.weight is None else v * self.weight)
        out: NDArray[np.float64] = np.asarray(sums, dtype=np.float64)
        return out if self.keep is None else out[self.keep]

    def _bincount(self, weights: NDArray[np.float64]) -> NDArray[np.float64]:
        sums = np.bincount(self.flat, weights=weights, minlength=len(self.counts))
        return np.asarray(sums, dtype=np.float64)  # float already (weighted): no copy

    def index(self, uvals: pd.Index) -> pd.MultiIndex:
        """Return the (unit, period ordinal) of each bin met."""
        return pd.MultiIndex.from_arrays(
            [
                np.asarray(uvals, dtype=object)[self.keys // self.span],
                self.keys % self.span + self.lo,
            ],
            names=["unit", "ordinal"],
        )


def _bins(
    ucodes: NDArray[np.intp],
    ords: NDArray[np.int64],
    inside: NDArray[np.bool_],
    weight: NDArray[np.float64] | None,
    *,
    n_units: int,
) -> _Bins:
    """Return the (unit, period) bin of each event inside, numbering only the bins met."""
    every = bool(inside.all())
    u = ucodes if every else ucodes[inside]
    o = ords if every else ords[inside]
    lo = int(o.min()) if len(o) else 0
    span = int(o.max()) - lo + 1 if len(o) else 1
    key = np.asarray(u, dtype=np.int64) * span + (o - lo)
    w = weight if weight is None or every else weight[inside]
    size = n_units * span
    keep: NDArray[np.int64] | None = None
    if size <= 2 * len(key) + 65_536:  # a dense bincount over every (unit, period) met or not
        flat, counts = key, np.bincount(key, minlength=size)
        keys = keep = np.flatnonzero(counts)
    else:  # too many bins for that: number those met
        keys, flat = np.unique(key, return_inverse=True)
        counts = np.bincount(flat, minlength=len(keys))
    return _Bins(
        flat=flat,
        inside=None if every else inside,
        weight=w,
        counts=counts,
        keys=keys,
        keep=keep,
        span=span,
        lo=lo,
    )


def _group_sums(
    values: pd.Series,
    measures: Mapping[str, NDArray[np.float64] | None],
    bins: _Bins,
    sums: dict[str, NDArray[np.float64]],
) -> frozenset[Any]:
    """Add ``<measure>_<label>`` per ``by`` value to ``sums``; return the values met."""
    codes, uniq = pd.factorize(values, sort=True)  # missing values: code -1
    labels = [*(str(v) for v in uniq), "unknown"]
    codes = np.where(codes < 0, len(labels) - 1, codes)
    split = {"events": np.ones(len(values)), "fatalities": measures["fatalities"]}
    if measures["civilian_fatalities"] is not None:
        split["civilian_fatalities"] = measures["civilian_fatalities"]
    for measure, per_event in split.items():
        assert per_event is not None
        for g, label in enumerate(labels):
            sums[f"{measure}_{label}"] = bins.sum(np.where(codes == g, per_event, 0.0))
    return frozenset(uniq)


def add_partial_sums(parts: Sequence[PartialSums]) -> PartialSums:
    """Add up the partial sums of several frames (e.g. the partitions of a dask frame).

    Parameters
    ----------
    parts
        Results of :func:`partial_sums` (or of this function), in row order.

    Returns
    -------
    PartialSums
        Their sums per (unit, period) and their bookkeeping together; a sum is NaN
        where one of its parts is (a NaN weight), as in one frame.
    """
    columns = list(dict.fromkeys(c for p in parts for c in p.sums.columns))
    stacked = pd.concat([p.sums.reindex(columns=columns, fill_value=0.0) for p in parts])
    levels = ["unit", "ordinal"]
    sums = stacked.groupby(level=levels, sort=False).sum()
    sums = sums.mask(stacked.isna().groupby(level=levels, sort=False).any())
    los = [p.lo for p in parts if p.lo is not None]
    his = [p.hi for p in parts if p.hi is not None]
    return PartialSums(
        sums=sums,
        lo=min(los) if los else None,
        hi=max(his) if his else None,
        units=frozenset().union(*(p.units for p in parts)),
        by_values=frozenset().union(*(p.by_values for p in parts)),
        civilian=any(p.civilian for p in parts),
        n_in=sum(p.n_in for p in parts),
        n_kept=sum(p.n_kept for p in parts),
        no_unit=np.concatenate([p.no_unit for p in parts]),
        outside=np.concatenate([p.outside for p in parts]),
    )


def table_units(met: Iterable[Any], units: Iterable[Any] | None) -> pd.Index:
    """Return the units of :func:`aggregate`'s table: ``units``, or those met, sorted.

    Parameters
    ----------
    met
        The units of the events.
    units
        The units asked for (``aggregate(units=...)``), or None.

    Returns
    -------
    pandas.Index
        The units, in table order.

    Raises
    ------
    SchemaError
        ``units`` has duplicate values.
    """
    unit_index: pd.Index = pd.Index(sorted(met) if units is None else list(units))
    if unit_index.has_duplicates:
        raise SchemaError("units has duplicate values; pass each unit once.")
    return unit_index


def aggregate_table(part: PartialSums, spec: AggregateSpec) -> pd.DataFrame:
    """Lay partial sums on :func:`aggregate`'s complete unit × period table.

    Parameters
    ----------
    part
        The sums of all the events (:func:`partial_sums`, :func:`add_partial_sums`).
    spec
        The call's options.

    Returns
    -------
    pandas.DataFrame
        The table of :func:`aggregate`, without its report (:func:`aggregate_report`).

    Raises
    ------
    EmptyResultError
        No event has a unit and no ``start``/``end`` was given.
    SchemaError
        Duplicate ``units``, or ``by`` values whose column names clash.
    """
    lo = spec.start if spec.start is not None else _period(part.lo, spec.alias)
    hi = spec.end if spec.end is not None else _period(part.hi, spec.alias)
    if lo is None or hi is None:
        raise EmptyResultError(
            "aggregate: no events with a unit and no start/end given: pass start= and end= "
            "to get a table of zeros."
        )
    periods = pd.period_range(lo, hi, freq=spec.alias)
    unit_index = table_units(part.units, spec.units)
    n_p = len(periods)
    out = pd.DataFrame(
        {
            "unit": np.repeat(unit_index.to_numpy(), n_p),
            "period": np.tile(periods.to_timestamp(how="start").to_numpy(), len(unit_index)),
        }
    )
    at = unit_index.get_indexer(part.sums.index.get_level_values("unit")) * n_p + (
        part.sums.index.get_level_values("ordinal").to_numpy() - (periods[0].ordinal if n_p else 0)
    )

    def dense(col: str, *, whole: bool) -> NDArray[Any]:
        values = np.zeros(len(out))
        if col in part.sums.columns:
            values[at] = part.sums[col].to_numpy(dtype=float)
        return values.round().astype(np.int64) if whole else values

    unweighted = spec.weight is None
    out["events"] = dense("events", whole=unweighted)
    for col in ("fatalities", "fatalities_low", "fatalities_high"):
        out[col] = dense(col, whole=False)
    out["civilian_fatalities"] = (
        dense("civilian_fatalities", whole=False) if part.civilian else np.nan
    )
    if spec.by is None:
        return out
    if spec.by_order is not None:  # categorical: in category order, as factorize sorts them
        labels = [str(v) for v in spec.by_order if v in part.by_values]
    else:
        labels = [str(v) for v in sorted(part.by_values)]
    check_group_labels(labels, spec.by)
    measures = ["events", "fatalities", *(["civilian_fatalities"] if part.civilian else [])]
    split = {
        f"{m}_{label}": dense(f"{m}_{label}", whole=m == "events" and unweighted)
        for m in measures
        for label in [*labels, "unknown"]
    }
    check_group_names(split, out.columns, spec.by)
    return pd.concat([out, pd.DataFrame(split, index=out.index)], axis=1)


def _period(ordinal: int | None, alias: str) -> pd.Period | None:
    return None if ordinal is None else pd.Period(ordinal=ordinal, freq=alias)


def aggregate_report(part: PartialSums, spec: AggregateSpec) -> StepReport:
    """Return :func:`aggregate`'s step report: events in, kept, and the rows left out.

    Parameters
    ----------
    part
        The sums of all the events.
    spec
        The call's options.

    Returns
    -------
    StepReport
        ``aggregate[<unit>, <freq>]``, rejects from :func:`aggregate_rejects`.
    """
    return StepReport(
        step=f"aggregate[{spec.unit}, {spec.freq}]",
        source=f"{part.n_in} events",
        n_in=part.n_in,
        n_kept=part.n_kept,
        rejects=aggregate_rejects(part.no_unit, part.outside, spec.unit),
    )


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
