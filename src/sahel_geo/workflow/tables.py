"""The run's tables as people read them: named units, period labels, the columns a source fills.

The run (:mod:`sahel_geo.workflow.pipeline`) computes with P-codes and period starts
(Timestamps) and writes each table through :func:`readable_table`: beside the P-code
column ``unit`` the unit's ``name`` and ``country_iso3``, periods as ``2012``,
``2012-Q1``, ``2012-03`` or ``2012-W05``, and only the columns the source can fill
(:func:`source_columns`: UCDP's ``low``/``high`` estimates give ``fatalities_low`` and
``fatalities_high``; any civilian fatality value gives ``civilian_fatalities``).
:func:`perpetrator_counts` and :func:`perpetrator_country_totals` make the tables per
``perpetrator_group``.
"""

from __future__ import annotations

import pandas as pd

from sahel_geo.analysis.timeseries import aggregate
from sahel_geo.core.periods import Freq, period_label
from sahel_geo.core.schema import PERPETRATOR_GROUPS
from sahel_geo.core.validation import check_columns

__all__ = [
    "OPTIONAL_COLUMNS",
    "UNKNOWN_GROUP",
    "perpetrator_country_totals",
    "perpetrator_counts",
    "readable_table",
    "source_columns",
]

#: Columns of the per-unit tables that only some sources fill, and what they need.
OPTIONAL_COLUMNS: dict[str, str] = {
    "fatalities_low": "UCDP 'low' estimates (UCDP GED events)",
    "fatalities_high": "UCDP 'high' estimates (UCDP GED events)",
    "civilian_fatalities": "a 'civilian_fatalities' value on at least one event",
}


def source_columns(events: pd.DataFrame) -> tuple[str, ...]:
    """Return the optional table columns (:data:`OPTIONAL_COLUMNS`) the events can fill.

    ``fatalities_low`` and ``fatalities_high`` come with UCDP's ``low``/``high``
    estimates (a non-missing value in either column); ``civilian_fatalities`` with a
    non-missing ``civilian_fatalities`` value on any event. The run writes these columns
    only then: a column the source cannot fill is left out, not written empty.

    Parameters
    ----------
    events
        Canonical events.

    Returns
    -------
    tuple of str
        The optional columns to write, in :data:`OPTIONAL_COLUMNS` order.

    Examples
    --------
    >>> ev = pd.DataFrame({"fatalities": [1], "civilian_fatalities": [None]})
    >>> source_columns(ev)
    ()
    >>> source_columns(ev.assign(low=[0], high=[3], civilian_fatalities=[1]))
    ('fatalities_low', 'fatalities_high', 'civilian_fatalities')
    """
    ucdp = any(c in events.columns and events[c].notna().any() for c in ("low", "high"))
    civ = "civilian_fatalities" in events.columns and events["civilian_fatalities"].notna().any()
    keep = {"fatalities_low": ucdp, "fatalities_high": ucdp, "civilian_fatalities": civ}
    return tuple(c for c in OPTIONAL_COLUMNS if keep[c])


#: The group of events whose ``perpetrator_group`` is missing, in the perpetrator tables.
UNKNOWN_GROUP = "unknown"


def _group_order(groups: pd.Series) -> list[str]:
    """Return the groups present: :data:`PERPETRATOR_GROUPS` order, others, then unknown."""
    present = set(groups)
    known = [g for g in PERPETRATOR_GROUPS if g in present]
    others = sorted(present - set(PERPETRATOR_GROUPS) - {UNKNOWN_GROUP})
    return known + others + ([UNKNOWN_GROUP] if UNKNOWN_GROUP in present else [])


def perpetrator_counts(
    events: pd.DataFrame,
    *,
    unit: str,
    freq: Freq,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    units: list[str] | None = None,
) -> pd.DataFrame:
    """Count events and fatalities per unit, period and ``perpetrator_group``, long.

    :func:`sahel_geo.aggregate` with ``by="perpetrator_group"`` gives one wide row per
    unit and period; here each group gets its own row, so that the table reads (and
    filters) by group. Summed over the groups it gives the unit × period counts.
    Events without a group count under ``"unknown"``. Rows with no event are left out
    (the unit × period counts table has the zeros).

    Parameters
    ----------
    events
        Canonical events with ``perpetrator_group`` and the unit column ``unit``.
    unit
        The unit column, e.g. ``"adm1_pcode"`` or ``"country_iso3"``.
    freq
        Period word.
    start, end
        First and last period (any date inside them).
    units
        The units to count (the others' events are left out, as in
        :func:`sahel_geo.aggregate`); default every unit of the events.

    Returns
    -------
    pandas.DataFrame
        ``unit``, ``period``, ``perpetrator_group`` (groups in
        :data:`sahel_geo.core.schema.PERPETRATOR_GROUPS` order, other values, then
        ``"unknown"``), ``events``, ``fatalities`` and, when any event has civilian
        fatalities, ``civilian_fatalities`` (missing values counting 0); sorted by unit
        (in ``units`` order), period and group.

    Examples
    --------
    >>> ev = pd.DataFrame({"adm1_pcode": ["A", "A", "B"], "fatalities": [1, 2, 5],
    ...     "event_date": pd.to_datetime(["2024-01-03", "2024-03-01", "2024-01-09"]),
    ...     "perpetrator_group": ["armed_group", "state_forces", None]})
    >>> t = perpetrator_counts(ev, unit="adm1_pcode", freq="year", start="2024", end="2024")
    >>> t[["unit", "perpetrator_group", "fatalities"]].values.tolist()
    [['A', 'state_forces', 2.0], ['A', 'armed_group', 1.0], ['B', 'unknown', 5.0]]
    """
    check_columns(events, ["perpetrator_group"], what="events")
    wide = aggregate(
        events, unit=unit, freq=freq, units=units, start=start, end=end, by="perpetrator_group"
    )
    # the groups aggregate split by (those of the events it counted), and unknown
    order = _group_order(
        pd.Series([str(c)[7:] for c in wide.columns if str(c).startswith("events_")])
    )
    measures = [
        m for m in ("events", "fatalities", "civilian_fatalities") if f"{m}_{UNKNOWN_GROUP}" in wide
    ]
    frames = [
        pd.DataFrame(
            {
                "unit": wide["unit"].to_numpy(),
                "period": wide["period"].to_numpy(),
                "perpetrator_group": g,
                "g": k,
                **{m: wide[f"{m}_{g}"].to_numpy() for m in measures},
            }
        )
        for k, g in enumerate(order)  # a few groups: one frame each
    ]
    out = pd.concat(frames, ignore_index=True)
    out = out[out["events"] > 0]
    unit_order = pd.Index(list(units) if units is not None else sorted(set(out["unit"])))
    out = out.assign(u=unit_order.get_indexer(pd.Index(out["unit"])))
    out = out.sort_values(["u", "period", "g"], kind="mergesort")
    return out.drop(columns=["u", "g"]).reset_index(drop=True)


def perpetrator_country_totals(counts: pd.DataFrame) -> pd.DataFrame:
    """Sum a :func:`perpetrator_counts` table by country over every period.

    Parameters
    ----------
    counts
        :func:`perpetrator_counts` by ``country_iso3`` (its ``unit`` holds the country).

    Returns
    -------
    pandas.DataFrame
        ``country_iso3``, ``perpetrator_group`` and the summed count columns, in the
        table's order of countries and groups.

    Examples
    --------
    >>> t = pd.DataFrame({"unit": ["MLI", "MLI"], "perpetrator_group": ["other"] * 2,
    ...     "period": pd.to_datetime(["2020-01-01", "2021-01-01"]), "events": [1, 2]})
    >>> perpetrator_country_totals(t).values.tolist()
    [['MLI', 'other', 3]]
    """
    values = [c for c in counts.columns if c not in ("unit", "period", "perpetrator_group")]
    out = counts.groupby(["unit", "perpetrator_group"], sort=False, as_index=False)[values].sum()
    return out.rename(columns={"unit": "country_iso3"})


_PERIOD_COLUMNS = ("period", "first_period")


def readable_table(
    frame: pd.DataFrame,
    *,
    freq: Freq,
    units: pd.DataFrame | None = None,
    omit: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Return a table as the run writes it: periods labelled, units named, empty columns out.

    Computations key periods by their first day; people read ``2012``, ``2012-Q1``,
    ``2012-03`` or ``2012-W05`` (:func:`sahel_geo.core.periods.period_label`). The
    ``period`` and ``first_period`` columns become such labels (missing stays missing);
    beside the P-code column ``unit`` come the unit's ``name`` and ``country_iso3``
    from ``units``; the columns named in ``omit`` are left out.

    Parameters
    ----------
    frame
        A table of the run (unit × period counts, change, first arrival, spread, ...).
    freq
        The run's period word.
    units
        Canonical boundaries of the table's level (``pcode``, ``name``,
        ``country_iso3``), or None for a table without units.
    omit
        Columns to leave out (those the source cannot fill).

    Returns
    -------
    pandas.DataFrame
        A new table; ``frame`` is not changed.

    Examples
    --------
    >>> t = pd.DataFrame({"unit": ["BF-01"], "period": pd.to_datetime(["2012-04-01"]),
    ...                   "events": [3], "civilian_fatalities": [float("nan")]})
    >>> u = pd.DataFrame({"pcode": ["BF-01"], "name": ["Boucle du Mouhoun"],
    ...                   "country_iso3": ["BFA"]})
    >>> out = readable_table(t, freq="quarter", units=u, omit=("civilian_fatalities",))
    >>> out.columns.tolist(), out["period"].tolist()
    (['unit', 'name', 'country_iso3', 'period', 'events'], ['2012-Q2'])
    """
    out = frame.drop(columns=[c for c in omit if c in frame.columns])
    for c in _PERIOD_COLUMNS:
        if c in out.columns and pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = period_label(pd.DatetimeIndex(out[c]), freq).to_numpy()
    if units is not None and "unit" in out.columns:
        named = units.drop_duplicates("pcode").set_index("pcode")
        at = list(out.columns).index("unit") + 1
        for k, c in enumerate(("name", "country_iso3")):
            out.insert(at + k, c, named[c].reindex(out["unit"].astype(str)).to_numpy())
    return out
