"""The run's region and period: one selection of the events, right after reading.

``[region] countries`` and ``[analysis] start`` / ``end`` select the events once, before
anything else sees them, so that every output (layers, tables, figures, map) covers the
region and period and nothing else. The rows left out are not bad data, so they are not
rejects: they are counted, by why, in a :class:`Selection` that the run prints and
lists in the manifest's steps (``select_region_period``)::

    outside_countries   country_iso3 not in [region] countries (a missing
                        country_iso3 counts here too)
    before_start        in the countries, event_date before [analysis] start
    after_end           in the countries, event_date after [analysis] end (the
                        whole end day is inside)

Each row is counted once, under the first reason in that order. Dates are compared
with ``event_date`` (a UCDP event's first day), as the counts are. ``start`` and ``end``
are days: a period they cut (e.g. ``start = "2012-03-15"`` with yearly periods) is
counted for its selected days only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from sahel_geo.core.errors import EmptyResultError

__all__ = ["Selection", "select_region_period"]

#: The step's name in the run's summary and manifest.
STEP = "select_region_period"


@dataclass(frozen=True)
class Selection:
    """How many events the region and period kept, and why the others were left out.

    Attributes
    ----------
    step
        ``"select_region_period"``.
    source
        The filter in words, e.g. ``countries=['BFA'], 2012-01-01..2021-12-31``.
    n_in
        Events read (kept by the reader).
    n_kept
        Events inside the region and period.
    notes
        ``outside_countries``, ``before_start``, ``after_end``: rows left out, by why
        (they add up to ``n_in - n_kept``).
    """

    step: str
    source: str
    n_in: int
    n_kept: int
    notes: Mapping[str, int] = field(default_factory=dict)

    @property
    def n_outside(self) -> int:
        """Events outside the region or period."""
        return self.n_in - self.n_kept

    def summary(self) -> str:
        """One line: events in, kept and left out by why."""
        text = f"{self.step} {self.source}: {self.n_in:,} in, {self.n_kept:,} kept"
        text += f", {self.n_outside:,} outside the region and period"
        noted = {k: v for k, v in self.notes.items() if v}
        if noted:
            text += " (" + "; ".join(f"{k}: {v:,}" for k, v in noted.items()) + ")"
        return text


def _describe(countries: Sequence[str], start: str | None, end: str | None) -> str:
    where = f"countries={list(countries)}" if countries else "all countries"
    return f"{where}, {start or 'first event'}..{end or 'last event'}"


def select_region_period(
    events: gpd.GeoDataFrame,
    *,
    countries: Sequence[str] = (),
    start: str | None = None,
    end: str | None = None,
) -> tuple[gpd.GeoDataFrame, Selection]:
    """Keep the events in the countries and between the dates; count the others.

    Parameters
    ----------
    events
        Canonical events (``country_iso3``, ``event_date``), e.g. from a reader.
    countries
        ISO3 codes to keep; empty keeps every country.
    start, end
        First and last day to keep (ISO dates); None keeps every date on that side.

    Returns
    -------
    (geopandas.GeoDataFrame, Selection)
        The rows kept, in their order, with the reader's step reports, and the counts.

    Raises
    ------
    EmptyResultError
        No event is left: the message names the filter and what each part left out.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> ev = sg.demo_events(n=300, seed=1)
    >>> kept, sel = select_region_period(ev, countries=["BFA"], start="2015-01-01")
    >>> sel.n_in == len(kept) + sum(sel.notes.values())
    True
    >>> sorted(sel.notes)
    ['after_end', 'before_start', 'outside_countries']
    """
    codes = events["country_iso3"].astype("string").str.strip().str.upper()
    if countries:
        inside = codes.isin(list(countries)).fillna(False).to_numpy(dtype=bool)
    else:
        inside = np.ones(len(events), bool)
    dates = pd.to_datetime(events["event_date"]).to_numpy()
    early = np.zeros(len(events), bool)
    late = np.zeros(len(events), bool)
    if start:
        early = dates < np.datetime64(pd.Timestamp(start))
    if end:
        late = dates >= np.datetime64(pd.Timestamp(end) + pd.Timedelta(days=1))
    notes = {
        "outside_countries": int((~inside).sum()),
        "before_start": int((inside & early).sum()),
        "after_end": int((inside & ~early & late).sum()),
    }
    keep = inside & ~early & ~late
    kept = events[keep]
    selection = Selection(
        step=STEP,
        source=_describe(countries, start, end),
        n_in=len(events),
        n_kept=int(keep.sum()),
        notes=notes,
    )
    if len(events) and not len(kept):
        raise EmptyResultError(
            f"No event is left after the run's region and period ({selection.source}): "
            f"{selection.summary()}. Check [region] countries (the events' country_iso3 "
            "codes) and [analysis] start and end against the events file."
        )
    return kept, selection
