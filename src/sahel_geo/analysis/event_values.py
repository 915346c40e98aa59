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
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sahel_geo.core.errors import SchemaError
from sahel_geo.core.raster import Raster, check_crs
from sahel_geo.core.reports import StepReport, attach_report

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


def values_at_events(
    events: gpd.GeoDataFrame,
    raster: Raster,
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
        A single raster or a time stack (:class:`~sahel_geo.Raster`).
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
    n = len(events)
    geoms = np.asarray(events.geometry.array, dtype=object)
    bad_geom = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if (~bad_geom & (shapely.get_type_id(geoms) != 0)).any():
        raise SchemaError("values_at_events needs Point geometries (events).")
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    ok = ~bad_geom
    x[ok] = shapely.get_x(geoms[ok])
    y[ok] = shapely.get_y(geoms[ok])
    g = raster.grid
    with np.errstate(invalid="ignore"):
        col = np.floor((x - g.x0) / g.dx)
        row = np.floor((g.y0 - y) / g.dy)
    inside = ok & (col >= 0) & (col < g.width) & (row >= 0) & (row < g.height)
    ci = np.where(inside, col, 0).astype(np.int64)
    ri = np.where(inside, row, 0).astype(np.int64)
    reason = np.full(n, None, dtype=object)
    reason[~inside] = "outside_raster"
    reason[bad_geom] = "no_point"
    out: dict[str, np.ndarray] = {}
    if not raster.is_stack:
        vals = np.asarray(raster.values)[ri, ci].astype(np.float64)
        valid = raster.valid_mask()[ri, ci] & inside
        reason[inside & ~valid] = "nodata"
        out["value"] = np.where(valid, vals, np.nan)
    else:
        if date_column not in events.columns:
            raise SchemaError(f"The events have no {date_column!r} column (needed for a stack).")
        assert raster.times is not None
        dates = pd.DatetimeIndex(pd.to_datetime(events[date_column]))
        times = raster.times
        end = _period_end(times)
        has_date = ~np.asarray(dates.isna(), dtype=bool)
        step = np.searchsorted(times.values, dates.values, side="right") - 1
        in_time = has_date & (step >= 0) & (dates < end)
        valid_all = raster.valid_mask()
        for k in [0, *lag_list]:
            s = step - k
            ok_t = in_time & (s >= 0)
            si = np.where(ok_t, s, 0)
            v = np.asarray(raster.values)[si, ri, ci].astype(np.float64)
            good = inside & ok_t & valid_all[si, ri, ci]
            out["value" if k == 0 else f"value_lag{k}"] = np.where(good, v, np.nan)
            if k == 0:
                reason[inside & ~in_time] = "outside_time"
                reason[inside & ~has_date] = "no_date"
                reason[inside & in_time & ~good] = "nodata"
        out["period"] = np.where(
            in_time, times.values[np.clip(step, 0, None)], np.datetime64("NaT")
        )
    out["na_reason"] = reason
    result = pd.DataFrame(out, index=pd.Index(events[id_column].to_numpy(), name=id_column))
    counts = pd.Series(reason[reason != None]).value_counts()  # noqa: E711
    notes = {str(k): int(v) for k, v in counts.items()}
    report = StepReport(
        step="values_at_events",
        source=raster.source,
        n_in=n,
        n_kept=n,
        rejects=pd.DataFrame(columns=["row", "reason", "column"]),
        notes=notes,
    )
    attach_report(result, report)
    if notes:
        logger.info("values_at_events: %s", report.summary())
    return result
