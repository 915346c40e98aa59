"""Raster values at conflict events, matched to each event's own period and lags before it.

For a time stack, an event on 14 March 2022 in a monthly SPEI stack gets the March 2022
value (``value``) and, with ``lags=(1, 3, 6)``, the February 2022, December 2021 and
September 2021 values (``value_lag1`` ...). Lags count steps of the stack: months for a
monthly stack, dekads for a dekadal one.

Nothing is dropped: an event outside the raster, on a nodata cell, or outside the stack's
time range gets NaN and a reason in ``na_reason``; the counts by reason are logged and
attached to the result as a :class:`~sahel_geo.StepReport` (``notes``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from sahel_geo.core.errors import SchemaError
from sahel_geo.core.raster import Raster, check_crs
from sahel_geo.core.reports import StepReport, attach_report, empty_rejects
from sahel_geo.core.validation import point_xy_or_nan
from sahel_geo.io.rasters import RasterLike, as_raster

__all__ = ["NA_REASONS", "values_at_events"]

logger = logging.getLogger(__name__)

#: Why an event's value is missing.
NA_REASONS: dict[str, str] = {
    "outside_raster": "the event lies outside the raster's extent",
    "nodata": "the cell holds nodata (or NaN)",
    "outside_time": "the event's date (or the lagged date) is outside the stack's periods",
    "no_date": "the event has no date (a time stack needs one)",
    "no_point": "the event has no (or an empty) point geometry",
}


def _period_end(times: pd.DatetimeIndex) -> pd.Timestamp:
    """End (exclusive) of the last period, from the spacing of the steps."""
    if len(times) < 2:
        return times[-1] + pd.DateOffset(months=1)
    step = pd.Series(times).diff().dropna().median()
    if step >= pd.Timedelta(days=27):
        months = round(step / pd.Timedelta(days=30.4375))
        return times[-1] + pd.DateOffset(months=max(months, 1))
    if pd.Timedelta(days=8) <= step <= pd.Timedelta(days=11):  # dekads: 1, 11, 21
        last = times[-1]
        if last.day >= 21:
            return (last + pd.offsets.MonthBegin(1)).normalize()
        return last + pd.Timedelta(days=10)
    return times[-1] + step


@dataclass(frozen=True)
class _EventCells:
    """The raster cell of each event: row, column, and whether it is on the raster."""

    row: NDArray[np.int64]
    col: NDArray[np.int64]
    inside: NDArray[np.bool_]  # a point on the raster (row and col are 0 elsewhere)
    no_point: NDArray[np.bool_]  # no geometry, or an empty one


#: Masks naming why values are missing, in order: a later mask overrides an earlier one.
_Tags = list[tuple[str, NDArray[np.bool_]]]


def _check_args(
    events: gpd.GeoDataFrame,
    raster: Raster,
    time_match: Literal["period"] | None,
    lags: Sequence[int],
    id_column: str,
) -> list[int]:
    """Check the CRS, the id column, the lags and the time matching; return the lags."""
    check_crs(events.crs, raster, what="events")
    if id_column not in events.columns:
        raise SchemaError(f"The events have no {id_column!r} column (the output index).")
    lag_list = [int(k) for k in lags]
    if any(k < 1 for k in lag_list) or len(set(lag_list)) != len(lag_list):
        raise SchemaError(f"lags must be distinct positive integers; got {list(lags)}.")
    if raster.is_stack and time_match != "period":
        raise SchemaError(
            "The raster is a time stack: pass time_match='period' to take each event's own "
            "period (and lags=... for earlier periods)."
        )
    if not raster.is_stack and (time_match is not None or lag_list):
        raise SchemaError("time_match and lags need a time stack; this raster has a single layer.")
    return lag_list


def _event_cells(events: gpd.GeoDataFrame, raster: Raster) -> _EventCells:
    """Return the cell of each event's point (missing and empty geometries have none)."""
    geoms = np.asarray(events.geometry.array, dtype=object)
    no_point = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    # empty geometries of any type count as no point: only the others must be points
    points = geoms.copy()  # (a copy: the events' own geometry array stays untouched)
    points[no_point] = None
    x, y = point_xy_or_nan(points, what="events")
    g = raster.grid
    with np.errstate(invalid="ignore"):
        col = np.floor((x - g.x0) / g.dx)
        row = np.floor((g.y0 - y) / g.dy)
    inside = ~no_point & (col >= 0) & (col < g.width) & (row >= 0) & (row < g.height)
    return _EventCells(
        row=np.where(inside, row, 0).astype(np.int64),
        col=np.where(inside, col, 0).astype(np.int64),
        inside=inside,
        no_point=no_point,
    )


def _gather(raster: Raster, index: tuple[NDArray[np.int64], ...]) -> NDArray[Any]:
    """Return the raster's values at these cells (and steps), in their own type.

    A lazy (dask) raster computes only the chunks that hold them, in one ``compute``.
    """
    if raster.is_lazy:
        lazy: Any = raster.values
        return np.asarray(lazy.vindex[index].compute())
    return np.asarray(raster.values[index])


def _values_where(
    raster: Raster, want: NDArray[np.bool_], index: tuple[NDArray[np.int64], ...]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Return the value (NaN elsewhere) and validity of the cells where ``want`` is True."""
    good = np.zeros(want.shape, dtype=bool)
    vals = np.full(want.shape, np.nan)
    if not want.any():
        return vals, good
    raw = _gather(raster, tuple(i[want] for i in index))
    good[want] = raster.valid_mask(raw)
    vals[want] = raw.astype(np.float64)
    return np.where(good, vals, np.nan), good


def _single_values(raster: Raster, cells: _EventCells) -> tuple[dict[str, NDArray[Any]], _Tags]:
    """Return the value at each event of a single raster, and the nodata events."""
    inside = cells.inside
    vals, valid = _values_where(raster, inside, (cells.row, cells.col))
    return {"value": vals}, [("nodata", inside & ~valid)]


def _stack_values(
    raster: Raster, cells: _EventCells, dates: pd.DatetimeIndex, lags: list[int]
) -> tuple[dict[str, NDArray[Any]], _Tags]:
    """Return each event's value in its own period and lags before it, and why some miss."""
    assert raster.times is not None
    ri, ci, inside = cells.row, cells.col, cells.inside
    times = raster.times
    end = _period_end(times)
    has_date = ~np.asarray(dates.isna(), dtype=bool)
    step = np.searchsorted(times.values, dates.values, side="right") - 1
    in_time = has_date & (step >= 0) & (dates < end)
    out: dict[str, NDArray[Any]] = {}
    tags: _Tags = []
    ks = [0, *lags]
    n = len(ri)
    # every (lag, event) cell at once: a lazy stack computes only the chunks they are in
    si = np.concatenate([step - k for k in ks])
    want = np.tile(inside & in_time, len(ks)) & (si >= 0)
    index = (np.where(want, si, 0), np.tile(ri, len(ks)), np.tile(ci, len(ks)))
    all_vals, all_good = _values_where(raster, want, index)
    for j, k in enumerate(ks):
        good = all_good[j * n : (j + 1) * n]
        out["value" if k == 0 else f"value_lag{k}"] = all_vals[j * n : (j + 1) * n]
        if k == 0:
            tags = [
                ("outside_time", inside & ~in_time),
                ("no_date", inside & ~has_date),
                ("nodata", inside & in_time & ~good),
            ]
    out["period"] = np.where(in_time, times.values[np.clip(step, 0, None)], np.datetime64("NaT"))
    return out, tags


def _na_reason(n: int, tags: _Tags) -> NDArray[np.object_]:
    """Return the reason each value is missing (None where it is present)."""
    reason = np.full(n, None, dtype=object)
    for name, mask in tags:
        reason[mask] = name
    return reason


def _attach_report(result: pd.DataFrame, reason: NDArray[np.object_], raster: Raster) -> None:
    """Attach the step report (counts of missing values by reason) and log it."""
    counts = pd.Series(reason[reason != None]).value_counts()  # noqa: E711
    notes = {str(k): int(v) for k, v in counts.items()}
    n = len(reason)
    report = StepReport(
        step="values_at_events",
        source=raster.source,
        n_in=n,
        n_kept=n,
        rejects=empty_rejects(),
        notes=notes,
    )
    attach_report(result, report)
    if notes:
        logger.info("values_at_events: %s", report.summary())


def values_at_events(
    events: gpd.GeoDataFrame,
    raster: RasterLike,
    *,
    time_match: Literal["period"] | None = None,
    lags: Sequence[int] = (),
    date_column: str = "event_date",
    id_column: str = "event_id",
) -> pd.DataFrame:
    """Return the raster value at each event, for its own period and lags before it.

    Parameters
    ----------
    events
        Point events (canonical events table), in the raster's CRS.
    raster
        A single raster or a time stack: a :class:`~sahel_geo.Raster`, a path, an open
        rasterio dataset or an ``xarray.DataArray`` (see :func:`sahel_geo.io.rasters.as_raster`).
    time_match
        ``"period"``: each event takes the step whose period contains its date (steps
        are period starts; the last period's length is inferred from the spacing).
        Required for a stack; must be None for a single raster.
    lags
        Steps before the event's period (positive integers), e.g. ``(1, 3, 6)`` months.
    date_column, id_column
        Columns of ``events`` with the date and the id (the output index).

    Returns
    -------
    pandas.DataFrame
        Index ``id_column``, in the events' order; columns ``value``,
        ``value_lag<k>`` for each lag, ``period`` (start of the matched step, stacks
        only) and ``na_reason`` (missing where ``value`` is present, else a key of
        :data:`NA_REASONS`; lag columns can be NaN for ``outside_time`` on their own).

    Raises
    ------
    CRSMismatchError, MissingCRSError
        CRS problems.
    SchemaError
        Missing columns, bad lags, or ``time_match`` not fitting the raster.

    Examples
    --------
    >>> import numpy as np, pandas as pd, geopandas as gpd
    >>> from affine import Affine
    >>> from shapely.geometry import Point
    >>> r = Raster.from_array(np.arange(24.0).reshape(3, 2, 4), crs="EPSG:4326",
    ...                       transform=Affine(1, 0, 0, 0, -1, 2),
    ...                       times=pd.date_range("2022-01-01", periods=3, freq="MS"))
    >>> ev = gpd.GeoDataFrame({"event_id": ["a"], "event_date": [pd.Timestamp("2022-03-14")]},
    ...                       geometry=[Point(1.5, 0.5)], crs=4326)
    >>> out = values_at_events(ev, r, time_match="period", lags=(1,))
    >>> out.loc["a", ["value", "value_lag1"]].tolist()
    [21.0, 13.0]
    """
    from sahel_geo.core.compat import is_dask_collection  # dask dispatch (issue 13)

    if is_dask_collection(events):  # the same rules, partition by partition
        from sahel_geo.analysis.partitioned import values_at_events_partitioned

        return values_at_events_partitioned(  # type: ignore[no-any-return]
            events,
            raster,
            time_match=time_match,
            lags=lags,
            date_column=date_column,
            id_column=id_column,
        )
    raster = as_raster(raster, what="values_at_events: raster")
    lag_list = _check_args(events, raster, time_match, lags, id_column)
    cells = _event_cells(events, raster)
    tags: _Tags = [("outside_raster", ~cells.inside), ("no_point", cells.no_point)]
    if not raster.is_stack:
        out, value_tags = _single_values(raster, cells)
    else:
        if date_column not in events.columns:
            raise SchemaError(f"The events have no {date_column!r} column (needed for a stack).")
        dates = pd.DatetimeIndex(pd.to_datetime(events[date_column]))
        out, value_tags = _stack_values(raster, cells, dates, lag_list)
    reason = _na_reason(len(events), tags + value_tags)
    out["na_reason"] = reason
    result = pd.DataFrame(out, index=pd.Index(events[id_column].to_numpy(), name=id_column))
    _attach_report(result, reason, raster)
    return result
