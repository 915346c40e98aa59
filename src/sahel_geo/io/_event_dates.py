"""Dates of events: parsed from text, spreadsheet cells or datetimes, then checked.

:func:`check_dates` parses ``event_date`` and ``date_end`` by the spec's formats (local
date kept where a UTC offset is given, spreadsheet date cells as they are) and rejects
missing, unreadable and reversed dates; :func:`check_future` rejects dates after tomorrow
or before 1900; :func:`as_ns` gives the kept dates their canonical dtype. Private helper of
:mod:`sahel_geo.io.events`, logging under its name.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Final

import numpy as np
import pandas as pd

from sahel_geo.io._event_ledger import Ledger, rows_text
from sahel_geo.io._event_spec import EventSpec

__all__ = ["as_ns", "check_dates", "check_future"]

logger = logging.getLogger("sahel_geo.io.events")  # a private helper of that module

#: A time of day followed by a UTC offset or zone letter: "T23:30:00-05:00", " 10:00Z".
_OFFSET: Final = re.compile(
    r"(?<=\d:\d\d)(?::\d\d(?:[.,]\d+)?)?\s*(?:Z|UTC|GMT|[+-]\d\d(?::?\d\d)?)\s*$",
    re.IGNORECASE,
)


def _local_time(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Drop UTC offsets from date-time text, keeping the source's local date and time.

    Converting to UTC would move an evening event in a place west of Greenwich (or a
    morning one east of it) to another calendar day; mixed offsets would not parse at
    all. Returns the text without offsets (seconds kept) and the cells that had one.
    """
    text = values.astype("str")
    has = text.str.contains(_OFFSET, na=False).to_numpy(dtype=bool) & values.notna().to_numpy()
    if not has.any():
        return values, has
    kept = text[has].str.replace(_OFFSET, _keep_seconds, regex=True)
    return values.where(~has, kept), has


def _keep_seconds(match: re.Match[str]) -> str:
    """Return the seconds part of an offset match (everything before the zone)."""
    found = re.match(r":\d\d(?:[.,]\d+)?", match.group(0))
    return found.group(0) if found else ""


def _naive(values: pd.Series) -> pd.Series:
    """Time-zone aware date-times as the local wall-clock time (never moved to UTC)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        naive: pd.Series = values.dt.tz_localize(None)
        return naive
    return values


def _to_datetime(chunk: pd.Series, fmt: str) -> pd.Series:
    """``pandas.to_datetime`` that never raises: cells it cannot read are NaT."""
    try:
        return _naive(pd.to_datetime(chunk, format=fmt, errors="coerce"))
    except (ValueError, TypeError, OverflowError):  # e.g. mixed offsets under a %z format
        one = [pd.to_datetime(v, format=fmt, errors="coerce") for v in chunk]
        naive = [v.tz_localize(None) if getattr(v, "tzinfo", None) else v for v in one]
        return pd.Series(pd.to_datetime(pd.Series(naive, dtype=object)), index=chunk.index)


def _date_cells(values: pd.Series, out: pd.Series) -> pd.Series:
    """Put spreadsheet date cells of a mixed column into ``out``; return the rest as text."""
    is_date = values.map(lambda v: isinstance(v, dt.date | np.datetime64)).astype(bool)
    if is_date.any():
        cells = [
            v.replace(tzinfo=None) if isinstance(v, dt.datetime) else v for v in values[is_date]
        ]
        out[is_date] = pd.to_datetime(pd.Series(cells, dtype=object)).to_numpy(
            dtype="datetime64[us]"
        )
    return values.where(~is_date & values.notna()).map(
        lambda v: v if isinstance(v, str) or pd.isna(v) else str(v)
    )


#: Text columns at least this long are parsed once per distinct value.
_DISTINCT_MIN: Final = 1000


def _is_text(values: pd.Series) -> bool:
    if isinstance(values.dtype, pd.StringDtype):
        return True
    return values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "string"


def _parse_dates(values: pd.Series, formats: tuple[str, ...]) -> tuple[pd.Series, int]:
    """Parse dates by the formats in order; return them and the count of UTC offsets dropped.

    The dates are in microseconds (years 1 to 9999), so that a typo such as 2919 is
    a date in the future (rejected as such), not an overflow of nanosecond time. Dates
    in exports repeat (a few thousand days for a million events): a long text column is
    parsed once per distinct value, each value parsed as it would be alone.
    """
    if len(values) >= _DISTINCT_MIN and _is_text(values):
        codes, uniques = pd.factorize(values)  # missing cells: code -1
        if 2 * len(uniques) <= len(values):
            distinct, offset = _parse_each(pd.Series(uniques, dtype=values.dtype), formats)
            taken = distinct.to_numpy()[codes]
            taken[codes < 0] = np.datetime64("NaT")
            counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
            dates = pd.Series(taken, index=values.index, dtype="datetime64[us]")
            return dates, int(counts[offset].sum())
    out, offset = _parse_each(values, formats)
    return out, int(offset.sum())


def _parse_each(values: pd.Series, formats: tuple[str, ...]) -> tuple[pd.Series, np.ndarray]:
    """Parse each date by the formats in order; the dates and the cells with a UTC offset."""
    none = np.zeros(len(values), dtype=bool)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return _naive(values).astype("datetime64[us]"), values.notna().to_numpy()
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.astype("datetime64[us]"), none
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if pd.api.types.is_bool_dtype(values.dtype):
        return out, none
    if pd.api.types.is_numeric_dtype(values.dtype):
        # numbers are not dates; as text, 20190315 can still be a basic ISO 8601 date
        values = values.astype("str").where(values.notna())
    elif values.dtype == object:
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind not in {"string", "empty"}:
            # mixed spreadsheet cells: date cells as they are, anything else as text
            # (the per-cell type check only runs on such mixed columns)
            values = _date_cells(values, out)
    values, offsets = _local_time(values)
    todo = values.notna() & out.isna()
    # parse as the values are; strip blanks only from the few that did not parse, retry
    for attempt in ("as is", "stripped"):
        text = values[todo]
        if attempt == "stripped":
            try:
                stripped = text.str.strip()
            except AttributeError:  # no strings at all (e.g. Excel numbers)
                break
            text = stripped.where(stripped.notna(), text)
        for fmt in formats:
            if not todo.any():
                break
            chunk = text[todo[text.index]]
            parsed = _to_datetime(chunk, fmt)
            if fmt == "ISO8601" and not pd.api.types.is_datetime64_dtype(chunk.dtype):
                # ISO 8601 also reads "2019" and "2019-03" (as the 1st): a year or a month
                # is not a date, so text shorter than YYYYMMDD is not accepted
                short = chunk.astype("str").str.len() < 8
                parsed = parsed.where(~short.fillna(False).astype(bool))
            out[parsed.index] = parsed.astype("datetime64[us]")
            todo = todo & out.isna()
        if not todo.any():
            break
    return out, offsets


#: Events dated before this are rejected (ACLED starts in 1997, UCDP GED in 1989).
_EARLIEST: Final = pd.Timestamp("1900-01-01")


def as_ns(dates: pd.Series) -> pd.Series:
    """Dates as ``datetime64[ns]``; the few outside its range (rejected rows) as NaT.

    Parameters
    ----------
    dates
        Dates in microseconds (:func:`check_dates`).

    Returns
    -------
    pandas.Series
        The dates in nanoseconds.
    """
    low, high = dates.min(), dates.max()
    if pd.isna(low) or (low >= pd.Timestamp.min and high <= pd.Timestamp.max):
        return dates.astype("datetime64[ns]")  # all inside (the usual case): no mask
    inside = (dates >= pd.Timestamp.min) & (dates <= pd.Timestamp.max)
    return dates.where(inside).astype("datetime64[ns]")


def check_future(
    start: pd.Series,
    end: pd.Series,
    spec: EventSpec,
    rows: np.ndarray,
    origin: str,
    ledger: Ledger,
) -> None:
    """Reject events dated after tomorrow (one day of slack for time zones) or before 1900.

    Parameters
    ----------
    start, end
        The parsed ``event_date`` and ``date_end`` (:func:`check_dates`).
    spec
        The source's spec (for the date columns).
    rows
        Each row's number in the file.
    origin
        The file, for the warning.
    ledger
        The rows' rejects and the report's notes; rejected rows and notes are added.
    """
    date_col = spec.columns["event_date"]
    ledger.reject((start < _EARLIEST).to_numpy(dtype=bool), "event_date before 1900", date_col)
    limit = pd.Timestamp(dt.date.today()) + pd.Timedelta(days=2)  # the day after tomorrow
    late = (start >= limit).to_numpy(dtype=bool)
    ledger.reject(late, "event_date in the future", date_col)
    late_end = (end >= limit).to_numpy(dtype=bool) & ~late
    if "date_end" in spec.columns:
        ledger.reject(late_end, "date_end in the future", spec.columns["date_end"])
    if late.any() or late_end.any():
        logger.warning(
            "%s: %d row(s) are dated after tomorrow (today is %s): rejected as dates in "
            "the future (a typo in the year?). Check rows %s.",
            origin,
            int((late | late_end).sum()),
            dt.date.today().isoformat(),
            rows_text(rows[late | late_end]),
        )


def check_dates(raw: pd.DataFrame, spec: EventSpec, ledger: Ledger) -> tuple[pd.Series, pd.Series]:
    """Parse event_date (and date_end, else a copy of it); reject missing and bad dates.

    UTC offsets are dropped, keeping the local date (counted); a missing ``date_end``
    is the ``event_date`` (counted).

    Parameters
    ----------
    raw
        The table as read.
    spec
        The source's spec (date columns and formats).
    ledger
        The rows' rejects and the report's notes; rejected rows and notes are added.

    Returns
    -------
    tuple of pandas.Series
        ``event_date`` and ``date_end``, in microseconds.
    """
    cols = spec.columns
    date_col = cols["event_date"]
    start, offsets = _parse_dates(raw[date_col], spec.date_formats)
    if offsets:
        ledger.notes["utc_offset_dropped_local_date_kept"] = offsets
    start_missing = raw[date_col].isna().to_numpy()
    ledger.reject(start_missing, "missing event_date", date_col)
    ledger.reject(
        start.isna().to_numpy() & ~start_missing, "event_date could not be parsed", date_col
    )
    if "date_end" not in cols:
        return start, start.copy()
    end_col = cols["date_end"]
    end, end_offsets = _parse_dates(raw[end_col], spec.date_formats)
    if end_offsets:
        ledger.notes["utc_offset_dropped_local_date_kept"] = offsets + end_offsets
    end_missing = raw[end_col].isna().to_numpy()
    ledger.reject(end.isna().to_numpy() & ~end_missing, "date_end could not be parsed", end_col)
    ledger.reject((end < start).to_numpy(), "date_end before event_date", f"{date_col}, {end_col}")
    fill = end_missing & start.notna().to_numpy()
    if fill.any():
        ledger.notes["date_end_missing_set_to_event_date"] = int(fill.sum())
    return start, end.where(~end_missing, start)
