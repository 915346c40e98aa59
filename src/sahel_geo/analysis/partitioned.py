"""The event steps on Dask: partition by partition, with step reports that add up.

:func:`sahel_geo.assign_admin`, :func:`sahel_geo.aggregate` and
:func:`sahel_geo.values_at_events` accept a ``dask_geopandas.GeoDataFrame`` (or a dask
DataFrame) of events and hand it to the functions here. The rules are those of the
in-memory functions, applied to each partition by the in-memory functions themselves
(``map_partitions`` with the right ``meta``), so the results are the same rows with the
same values and dtypes. Nothing runs until the result is computed, on the active
scheduler: a ``dask.distributed.Client`` if one is running (a ``LocalCluster`` on one
machine, or ``Client("tcp://scheduler:8786")`` on a cluster: the same code).

Where the step reports are
--------------------------
Each partition's result carries its own step reports in ``attrs`` (the reports of the
partition's rows: rows in = kept + rejected). pandas keeps ``attrs`` in ``concat`` only
when every piece has the same ones, so ``ddf.compute()`` returns the right rows *without*
reports. To get them, compute with :func:`compute` (``sahel_geo.analysis.partitioned
.compute``): it computes the partitions, concatenates them in order and attaches the
combined reports (:func:`combine_reports`: counts and notes summed, rejects concatenated
in partition order), which :func:`sahel_geo.reports` and :func:`sahel_geo.rejects` then
read as for an in-memory frame.

:func:`aggregate_partitioned` reduces the partitions to one small table (one row per
unit × period): it returns a ``dask.delayed`` object whose ``.compute()`` (or
:func:`compute`) gives the in-memory table with its reports attached directly: the
combined reports of the steps before (the reader's, ``assign_admin``'s), then
``aggregate``'s own. (The in-memory ``aggregate`` returns only its own report: its input
frame still holds the earlier ones; a lazy input does not.)

Reports made before partitioning (say, ``read_acled``'s, in a frame passed to
``dask_geopandas.from_geopandas``) are copied by dask into every partition and into
the frame's ``_meta``: they describe the whole frame, so they are listed once, first
(:func:`whole_frame_reports`), and only the partitions' own reports are added up.

Text columns
------------
dask converts text columns of frames it is given to ``string[pyarrow]`` (its
``dataframe.convert-string`` setting, on by default); the values are the same, the
dtype is dask's. With ``dask.config.set({"dataframe.convert-string": False})`` the
dtypes too are those of the in-memory results.

Row numbers in rejects
----------------------
Rejects name rows by the partition frames' index labels (``assign_admin``'s
``coarse="drop"`` does so in memory too; ``aggregate`` gives positions in memory). For a
frame made by ``dask_geopandas.from_geopandas(events)`` from a frame with the default
``RangeIndex``, or read by :func:`sahel_geo.io.event_blocks.read_events_dask`, labels are
unique and follow the rows, and for the former they equal the in-memory positions.

Differences from the in-memory results
--------------------------------------
None in rows or values (nor in dtypes, text columns aside: see above), with one
exception: weighted ``aggregate`` sums (``weight=`` fractional) are added partition by
partition, so a float sum can differ in its last bits from the in-memory sum (added in
event order). Counts and fatalities are whole numbers and are exact.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

import pandas as pd

from sahel_geo.analysis import counts
from sahel_geo.analysis.event_values import values_at_events
from sahel_geo.analysis.join import assign_admin
from sahel_geo.core.compat import import_optional_dependency, is_dask_collection
from sahel_geo.core.errors import SchemaError
from sahel_geo.core.periods import Freq
from sahel_geo.core.reports import ATTRS_KEY, StepReport, reports
from sahel_geo.core.validation import check_columns
from sahel_geo.io.rasters import RasterLike, as_raster

__all__ = [
    "aggregate_partitioned",
    "assign_admin_partitioned",
    "combine_reports",
    "compute",
    "merge_reports",
    "partition_reports",
    "values_at_events_partitioned",
    "whole_frame_reports",
]

logger = logging.getLogger(__name__)

#: How many partial tables :func:`aggregate_partitioned` adds up in one task.
SPLIT_EVERY = 8


def _dask(purpose: str) -> ModuleType:
    """Import dask and dask-geopandas (the ``sahel_geo[dask]`` extra) or raise."""
    import_optional_dependency("dask_geopandas", purpose=purpose)
    return import_optional_dependency("dask", purpose=purpose)


def _meta_of(events: Any, what: str) -> pd.DataFrame:
    """Return the empty pandas frame describing a dask frame's partitions."""
    meta = getattr(events, "_meta", None)
    if not isinstance(meta, pd.DataFrame) or not hasattr(events, "to_delayed"):
        raise SchemaError(
            f"{what}: events must be a dask_geopandas.GeoDataFrame (or a dask DataFrame); "
            f"got {type(events).__name__}. Make one with dask_geopandas.from_geopandas(events, "
            "npartitions=...) or sahel_geo.io.event_blocks.read_events_dask(path)."
        )
    return meta


def _strip(meta: pd.DataFrame, events_meta: pd.DataFrame) -> pd.DataFrame:
    """Return the empty frame of a result as dask's ``meta``.

    It keeps only the whole-frame reports of the input (:func:`whole_frame_reports`), so
    that they are known downstream; the step's report of zero rows is dropped.
    """
    out = meta.iloc[:0]
    out.attrs = {}
    inherited = whole_frame_reports(events_meta)
    if inherited:
        out.attrs[ATTRS_KEY] = inherited
    return out


def whole_frame_reports(frame: Any) -> tuple[StepReport, ...]:
    """Return the reports a dask frame holds as a whole (in its ``_meta``).

    ``dask_geopandas.from_geopandas(events)`` copies the in-memory frame's reports (the
    reader's, say) into its ``_meta`` and into *every* partition: they describe the
    whole frame, not a partition, so :func:`compute` and :func:`aggregate_partitioned`
    list them once instead of adding them up.

    Parameters
    ----------
    frame
        A dask DataFrame or GeoDataFrame (or its pandas ``_meta``).

    Returns
    -------
    tuple of StepReport
        Possibly empty.
    """
    meta = frame if isinstance(frame, pd.DataFrame) else getattr(frame, "_meta", None)
    return reports(meta) if isinstance(meta, pd.DataFrame) else ()


def partition_reports(
    frame: pd.DataFrame, inherited: Sequence[StepReport]
) -> tuple[StepReport, ...]:
    """Return a partition's own reports: its reports minus the whole-frame ones.

    Parameters
    ----------
    frame
        A computed partition.
    inherited
        The whole-frame reports (:func:`whole_frame_reports`).

    Returns
    -------
    tuple of StepReport
        The partition's reports that are not one of ``inherited`` (equal reports).
    """
    own = reports(frame)
    # equal reports: the same counts and rejects (copies after pickling, not the same
    # objects); compared without building their JSON forms
    return tuple(r for r in own if not any(r == w for w in inherited))


def assign_admin_partitioned(
    events: Any,
    boundaries: Any,
    *,
    tolerance_km: float | None = None,
    coarse: Literal["keep", "drop", "coarsen"] = "keep",
) -> Any:
    """:func:`sahel_geo.assign_admin` on each partition of a dask GeoDataFrame.

    Every event is assigned by the rules of :mod:`sahel_geo.analysis.join`, which
    depend on the event alone (no row-order effect), so partitioning does not change
    any row. The boundaries are checked here, before anything runs (the empty frame
    that gives the result's columns goes through the whole join), sent to the workers
    once, and checked again by each partition's call.

    Parameters
    ----------
    events
        A ``dask_geopandas.GeoDataFrame`` of point events in EPSG:4326.
    boundaries
        Canonical boundaries of one admin level (an in-memory GeoDataFrame).
    tolerance_km, coarse
        As for :func:`sahel_geo.assign_admin`.

    Returns
    -------
    dask_geopandas.GeoDataFrame
        Lazy; each partition is ``assign_admin`` of the events' partition, with its step
        report. Use :func:`compute` to get the frame with the combined report.

    Raises
    ------
    MissingDependencyError
        dask or dask-geopandas is not installed (``pip install 'sahel_geo[dask]'``).
    SchemaError
        Bad boundaries, options or columns (checked before anything runs).

    Examples
    --------
    >>> import dask_geopandas, sahel_geo as sg  # doctest: +SKIP
    >>> lazy = sg.assign_admin(dask_geopandas.from_geopandas(events, npartitions=4), adm2)
    ... # doctest: +SKIP
    >>> joined = compute(lazy)  # doctest: +SKIP
    """
    dask = _dask("assign_admin on a dask GeoDataFrame")
    meta = assign_admin(
        _meta_of(events, "assign_admin"), boundaries, tolerance_km=tolerance_km, coarse=coarse
    )
    shared = dask.delayed(boundaries, pure=True)
    return events.map_partitions(
        assign_admin,
        shared,
        tolerance_km=tolerance_km,
        coarse=coarse,
        meta=_strip(meta, events._meta),
    )


def values_at_events_partitioned(
    events: Any,
    raster: RasterLike,
    *,
    time_match: Literal["period"] | None = None,
    lags: Sequence[int] = (),
    date_column: str = "event_date",
    id_column: str = "event_id",
) -> Any:
    """:func:`sahel_geo.values_at_events` on each partition of a dask GeoDataFrame.

    The raster is opened once (:func:`sahel_geo.io.rasters.as_raster`) and sent to the
    workers once; each event's value depends on the event alone.

    Parameters
    ----------
    events
        A ``dask_geopandas.GeoDataFrame`` of point events in the raster's CRS.
    raster, time_match, lags, date_column, id_column
        As for :func:`sahel_geo.values_at_events`.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy, indexed by ``id_column`` in the events' order; each partition carries its
        step report. Use :func:`compute` to get the frame with the combined report.

    Raises
    ------
    MissingDependencyError
        dask or dask-geopandas is not installed.

    Examples
    --------
    >>> values = compute(sg.values_at_events(lazy_events, "spei.tif"))  # doctest: +SKIP
    """
    dask = _dask("values_at_events on a dask GeoDataFrame")
    loaded = as_raster(raster, what="values_at_events: raster")
    options: dict[str, Any] = {
        "time_match": time_match,
        "lags": tuple(lags),
        "date_column": date_column,
        "id_column": id_column,
    }
    meta = values_at_events(_meta_of(events, "values_at_events"), loaded, **options)
    shared = dask.delayed(loaded, pure=True)
    return events.map_partitions(
        values_at_events, shared, **options, meta=_strip(meta, events._meta)
    )


def compute(collection: Any, **kwargs: Any) -> Any:
    """Compute a lazy sahel_geo result and attach the combined step reports.

    Parameters
    ----------
    collection
        A dask DataFrame or GeoDataFrame returned by a partitioned step (or read by
        :func:`sahel_geo.io.event_blocks.read_events_dask`), or the ``dask.delayed`` of
        :func:`aggregate_partitioned`.
    **kwargs
        Passed to ``dask.compute`` (e.g. ``scheduler="threads"``); by default the active
        scheduler (a running ``distributed.Client``).

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        The partitions concatenated in order, with the whole-frame reports of the input
        (:func:`whole_frame_reports`, listed once) then :func:`combine_reports` of the
        partitions' own step reports in ``attrs`` (read them with
        :func:`sahel_geo.reports`).

    Raises
    ------
    SchemaError
        ``collection`` is not a dask collection.

    Examples
    --------
    >>> joined = compute(sg.assign_admin(lazy_events, adm2))  # doctest: +SKIP
    >>> sg.reports(joined)[-1].n_in == len(joined)  # doctest: +SKIP
    True
    """
    if not is_dask_collection(collection):
        raise SchemaError(
            f"compute: expected a dask collection (a lazy sahel_geo result); got "
            f"{type(collection).__name__}, which is already computed."
        )
    dask = _dask("compute")
    if not hasattr(collection, "to_delayed") or not hasattr(collection, "npartitions"):
        (result,) = dask.compute(collection, **kwargs)
        return result
    inherited = whole_frame_reports(collection)
    frames = list(dask.compute(*collection.to_delayed(), **kwargs))
    out = frames[0] if len(frames) == 1 else pd.concat(frames)
    own = combine_reports([partition_reports(f, inherited) for f in frames])
    combined = (*inherited, *own)
    out.attrs = {}
    if combined:
        out.attrs[ATTRS_KEY] = combined
    return out


def merge_reports(parts: Sequence[StepReport], *, source: str | None = None) -> StepReport:
    """Merge the reports of one step over several partitions into one report.

    Parameters
    ----------
    parts
        Reports of the same step, in partition order.
    source
        The merged report's source; by default the parts' source when they all have the
        same, else their distinct sources joined with ``"; "``.

    Returns
    -------
    StepReport
        Rows in, kept and rejected summed (so they add up), rejects concatenated in
        partition order, notes summed by name.

    Examples
    --------
    >>> from sahel_geo.core.reports import empty_rejects
    >>> a = StepReport(step="s", source="f", n_in=2, n_kept=2, rejects=empty_rejects(),
    ...                notes={"x": 1})
    >>> merge_reports([a, a]).n_in, dict(merge_reports([a, a]).notes)
    (4, {'x': 2})
    """
    if not parts:
        raise SchemaError("merge_reports: no reports to merge.")
    if source is None:
        sources = list(dict.fromkeys(r.source for r in parts))
        source = "; ".join(sources)
    notes: dict[str, int] = {}
    for rep in parts:
        for key, value in rep.notes.items():
            notes[key] = notes.get(key, 0) + int(value)
    frames = [r.rejects for r in parts if len(r.rejects)]
    if not frames:
        rejected = parts[0].rejects
    elif len(frames) == 1:
        rejected = frames[0]
    else:
        rejected = pd.concat(frames, ignore_index=True, sort=False)
    return StepReport(
        step=parts[0].step,
        source=source,
        n_in=sum(r.n_in for r in parts),
        n_kept=sum(r.n_kept for r in parts),
        rejects=rejected,
        notes=notes,
    )


def combine_reports(chains: Sequence[Sequence[StepReport]]) -> tuple[StepReport, ...]:
    """Combine the step reports of partitions, step by step.

    Parameters
    ----------
    chains
        Each partition's reports (oldest first), in partition order.

    Returns
    -------
    tuple of StepReport
        One report per step name (in the order steps first appear), each the
        :func:`merge_reports` of that step's reports over the partitions.
    """
    by_step: dict[str, list[StepReport]] = {}
    for chain in chains:
        for rep in chain:
            by_step.setdefault(rep.step, []).append(rep)
    return tuple(merge_reports(parts) for parts in by_step.values())


# --------------------------------------------------------------------------------------
# aggregate: partial sums per partition, added up, then the table
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AggregatePart:
    """Partial sums of one or more partitions, with the partitions' own reports.

    The sums and the rules are :func:`sahel_geo.analysis.counts.partial_sums`'s, the
    in-memory :func:`sahel_geo.aggregate`'s own.
    """

    sums: counts.PartialSums
    chains: tuple[tuple[StepReport, ...], ...]  # the partitions' own reports


def aggregate_partitioned(
    events: Any,
    *,
    unit: str,
    freq: Freq = "month",
    units: pd.Index | list[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    weight: str | None = None,
    by: str | None = None,
) -> Any:
    """:func:`sahel_geo.aggregate` of a dask frame: partial sums, added up, one table.

    Each partition is reduced to its sums per unit × period met (and what the table
    needs: the periods' span, the units and ``by`` values met); partial sums are added
    :data:`SPLIT_EVERY` at a time; the last task lays them on the complete unit ×
    period grid. The reduction and the table are those of the in-memory function
    (:func:`~sahel_geo.analysis.counts.partial_sums`,
    :func:`~sahel_geo.analysis.counts.aggregate_table`), so the columns, order,
    zeros and dtypes are the same (``events`` int64 unless weighted).

    Parameters
    ----------
    events
        A dask DataFrame or ``dask_geopandas.GeoDataFrame`` with the columns
        :func:`sahel_geo.aggregate` needs.
    unit, freq, units, start, end, weight, by
        As for :func:`sahel_geo.aggregate`.

    Returns
    -------
    dask.delayed.Delayed
        Lazy; ``.compute()`` (or :func:`compute`) gives the table (a pandas DataFrame,
        one row per unit × period) with the combined reports of the earlier steps and
        ``aggregate``'s report attached; its rejects name rows by index label.

    Raises
    ------
    MissingDependencyError
        dask or dask-geopandas is not installed.
    SchemaError
        Missing columns or duplicate ``units`` (checked before anything runs); missing
        dates (when computed).

    Examples
    --------
    >>> table = sg.aggregate(lazy_joined, unit="adm2_pcode").compute()  # doctest: +SKIP
    """
    dask = _dask("aggregate on a dask frame")
    needed = [
        unit,
        "event_date",
        "fatalities",
        *([by] if by else []),
        *([weight] if weight else []),
    ]
    meta = _meta_of(events, "aggregate")
    check_columns(meta, needed, what="events")
    spec = counts.aggregate_spec(
        meta, unit=unit, freq=freq, units=units, start=start, end=end, weight=weight, by=by
    )
    if spec.units is not None:
        counts.table_units((), spec.units)  # duplicates: raise before anything runs
    inherited = whole_frame_reports(events)
    partials = [dask.delayed(aggregate_part)(p, spec, inherited) for p in events.to_delayed()]
    while len(partials) > 1:
        partials = [
            dask.delayed(add_parts)(partials[i : i + SPLIT_EVERY])
            for i in range(0, len(partials), SPLIT_EVERY)
        ]
    return dask.delayed(aggregate_table)(partials[0], spec, inherited)


def aggregate_part(
    part: pd.DataFrame, spec: counts.AggregateSpec, inherited: tuple[StepReport, ...]
) -> AggregatePart:
    """Reduce one partition of events to its sums per unit × period.

    Parameters
    ----------
    part
        One partition (a pandas DataFrame or GeoDataFrame).
    spec
        The call's options.
    inherited
        The whole frame's reports (:func:`whole_frame_reports`), left out of the
        partition's own.

    Returns
    -------
    AggregatePart
        The partition's sums and bookkeeping (rows named by index label).

    Raises
    ------
    SchemaError
        An event with a unit has no ``event_date``.
    """
    return AggregatePart(
        sums=counts.partial_sums(part, spec),
        chains=(partition_reports(part, inherited),),
    )


def add_parts(parts: Sequence[AggregatePart]) -> AggregatePart:
    """Add up partial sums of several partitions (in partition order).

    Parameters
    ----------
    parts
        Partial results of :func:`aggregate_part` (or of this function).

    Returns
    -------
    AggregatePart
        Their sums per unit × period and their bookkeeping together.
    """
    return AggregatePart(
        sums=counts.add_partial_sums([p.sums for p in parts]),
        chains=tuple(c for p in parts for c in p.chains),
    )


def aggregate_table(
    part: AggregatePart, spec: counts.AggregateSpec, inherited: tuple[StepReport, ...]
) -> pd.DataFrame:
    """Lay the added-up sums on the complete unit × period table, reports attached.

    Parameters
    ----------
    part
        The sums of every partition (:func:`add_parts`).
    spec
        The call's options.
    inherited
        The whole frame's reports, listed first.

    Returns
    -------
    pandas.DataFrame
        The table of :func:`sahel_geo.aggregate`, with the combined reports of the
        earlier steps and ``aggregate``'s report attached.

    Raises
    ------
    EmptyResultError
        No event has a unit and no ``start``/``end`` was given.
    """
    out = counts.aggregate_table(part.sums, spec)
    own = counts.aggregate_report(part.sums, spec)
    out.attrs[ATTRS_KEY] = (*inherited, *combine_reports(part.chains), own)
    logger.info("%s", own.summary())
    return out
