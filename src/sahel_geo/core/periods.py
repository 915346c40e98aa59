"""Periods: the period words every function takes, period starts and period labels.

One vocabulary across the package: ``"week"`` (ISO weeks, Monday to Sunday), ``"month"``,
``"quarter"`` and ``"year"``. Computations key periods by their first day (a Timestamp);
tables written for people label them as periods (``2012``, ``2012-Q1``, ``2012-03``,
``2012-W05``) with :func:`period_label`.
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
import pandas as pd

from sahel_geo.core.errors import SchemaError

__all__ = ["FREQUENCIES", "Freq", "check_freq", "period_label", "period_start"]

Freq = Literal["week", "month", "quarter", "year"]

#: pandas period aliases: weeks are ISO weeks (Monday to Sunday).
FREQUENCIES: Final[dict[str, str]] = {"week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}


def check_freq(freq: str) -> str:
    """Return the pandas period alias of a period word, or raise naming the words.

    Examples
    --------
    >>> check_freq("quarter")
    'Q'
    """
    if freq not in FREQUENCIES:
        raise SchemaError(f"freq={freq!r} is not one of {sorted(FREQUENCIES)}.")
    return FREQUENCIES[freq]


def period_start(dates: pd.Series | pd.DatetimeIndex, freq: Freq) -> pd.DatetimeIndex:
    """Start (a Timestamp) of the period each date falls in.

    Parameters
    ----------
    dates
        Dates (datetime64).
    freq
        ``"week"`` (ISO week starting Monday), ``"month"``, ``"quarter"`` or ``"year"``.

    Returns
    -------
    pandas.DatetimeIndex
        Period starts, same length as ``dates``.

    Examples
    --------
    >>> period_start(pd.Series(pd.to_datetime(["2024-02-29"])), "quarter")[0]
    Timestamp('2024-01-01 00:00:00')
    """
    idx = pd.DatetimeIndex(dates)
    return idx.to_period(check_freq(freq)).to_timestamp(how="start")


def period_label(starts: pd.Series | pd.DatetimeIndex, freq: Freq) -> pd.Index:
    """Label periods as people write them: ``2012``, ``2012-Q1``, ``2012-03``, ``2012-W05``.

    Parameters
    ----------
    starts
        Any date within each period (usually its start, from :func:`period_start`);
        missing dates give missing labels.
    freq
        The period word.

    Returns
    -------
    pandas.Index
        One label (str) per date; weeks use the ISO week-numbering year.

    Examples
    --------
    >>> d = pd.to_datetime(["2012-01-01", "2012-04-15", "2013-12-30"])
    >>> list(period_label(d, "year")), list(period_label(d, "quarter"))
    (['2012', '2012', '2013'], ['2012-Q1', '2012-Q2', '2013-Q4'])
    >>> list(period_label(d, "month")), list(period_label(d, "week"))
    (['2012-01', '2012-04', '2013-12'], ['2011-W52', '2012-W15', '2014-W01'])
    """
    idx = pd.DatetimeIndex(starts)
    check_freq(freq)
    if freq == "week":
        iso = idx.isocalendar()
        text = iso["year"].astype("string") + "-W" + iso["week"].astype("string").str.zfill(2)
        labels = pd.Index(text.astype(object), dtype=object)
    elif freq == "quarter":
        labels = pd.Index(idx.to_period("Q").strftime("%Y-Q%q"), dtype=object)
    else:
        labels = pd.Index(idx.strftime("%Y" if freq == "year" else "%Y-%m"), dtype=object)
    missing = np.asarray(idx.isna(), dtype=bool)
    out: pd.Index = labels.where(~missing, None)
    return out
