"""The canonical columns of events from the source's: code tables, text and rules.

:func:`canonical_frame` assembles every canonical column in schema order: the values the
checks parsed, ``time_precision``, ``location_precision`` and ``location_level`` and
``event_type`` through the spec's code tables, the source's text columns,
``perpetrator_group`` by the spec's :class:`~sahel_geo.io._event_spec.GroupRule` and
``civilian_fatalities`` by its :class:`~sahel_geo.io._event_spec.CivilianRule`
(:func:`civilian_flags`). Unknown codes are counted in the notes. Private helper of
:mod:`sahel_geo.io.events`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sahel_geo.core.arrays import whole_counts
from sahel_geo.core.schema import EVENT_COLUMNS, LOCATION_LEVELS
from sahel_geo.io._event_ledger import Ledger
from sahel_geo.io._event_spec import EventSpec, GroupRule

__all__ = [
    "Parsed",
    "canonical_frame",
    "civilian_flags",
]


@dataclass(frozen=True)
class Parsed:
    """The parsed canonical values that the checks produced.

    Attributes
    ----------
    ids
        The event ids.
    start, end
        ``event_date`` and ``date_end``.
    iso3
        ``country_iso3``.
    counts
        ``fatalities`` and ``civilian_fatalities``.
    civilian
        Rows the spec's civilian rule marks (None: no rule).
    """

    ids: pd.Series
    start: pd.Series
    end: pd.Series
    iso3: pd.Series
    counts: dict[str, pd.Series]
    civilian: np.ndarray | None  # rows the spec's civilian rule marks (None: no rule)


def _code_table(values: pd.Series, table: Mapping[int, str]) -> tuple[pd.Series, int]:
    num = pd.to_numeric(values, errors="coerce")
    out = num.map(dict(table)).astype("str")
    unknown = int((values.notna() & out.isna()).sum())
    return out, unknown


def _int_codes(values: pd.Series) -> pd.Series:
    num = pd.to_numeric(values, errors="coerce")
    whole = num.notna() & (num == np.floor(num))
    return num.where(whole).astype("Int64")


def canonical_frame(
    raw: pd.DataFrame, spec: EventSpec, parsed: Parsed, ledger: Ledger
) -> pd.DataFrame:
    """Return the canonical columns of every row (kept or not), in schema order.

    Parameters
    ----------
    raw
        The table as read.
    spec
        The source's spec (columns, code tables, defaults, rules).
    parsed
        The values the checks parsed.
    ledger
        The rows' rejects and the report's notes; rejected rows and notes are added.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`~sahel_geo.core.schema.EVENT_COLUMNS`, one row per row of
        ``raw``.
    """
    data: dict[str, pd.Series] = {}
    data["event_id"] = parsed.ids.astype("str")
    data["source"] = pd.Series(spec.source, index=raw.index, dtype="str")
    data["event_date"] = parsed.start
    data["date_end"] = parsed.end
    data["time_precision"] = _time_precision(raw, spec, ledger)
    cols = spec.columns
    if "location_precision" in cols:
        data["location_precision"] = _int_codes(raw[cols["location_precision"]])
    else:
        data["location_precision"] = pd.Series(pd.NA, index=raw.index, dtype="Int64")
    data["location_level"] = _location_level(raw, spec, ledger)
    data["country_iso3"] = parsed.iso3
    data.update(_event_text(raw, spec, ledger))
    data["perpetrator_group"] = _perpetrator_group(raw, spec, ledger)
    data["fatalities"] = whole_counts(parsed.counts["fatalities"])
    if parsed.civilian is None:
        data["civilian_fatalities"] = whole_counts(parsed.counts["civilian_fatalities"])
    else:
        civilian = parsed.counts["fatalities"].where(parsed.civilian, 0.0)
        data["civilian_fatalities"] = whole_counts(civilian)
    data["notes"] = (
        raw[cols["notes"]].astype("str")
        if "notes" in cols
        else pd.Series(np.nan, index=raw.index, dtype="str")
    )
    return pd.DataFrame(data, index=raw.index)[list(EVENT_COLUMNS)]


def _time_precision(raw: pd.DataFrame, spec: EventSpec, ledger: Ledger) -> pd.Series:
    """Canonical time_precision: the code table, the source's text, or the default."""
    if "time_precision" not in spec.columns:
        return pd.Series(spec.default_time_precision, index=raw.index, dtype="str")
    tp_src = raw[spec.columns["time_precision"]]
    if spec.time_precisions is None:
        return tp_src.astype("str").str.strip().str.lower()
    tp, unk = _code_table(tp_src, spec.time_precisions)
    if unk:
        ledger.notes["unknown_time_precision"] = unk
    return tp


def _location_level(raw: pd.DataFrame, spec: EventSpec, ledger: Ledger) -> pd.Series:
    """Canonical location_level: the source's level, its precision codes, or the default."""
    cols = spec.columns
    if "location_level" in cols:
        lvl = raw[cols["location_level"]].astype("str").str.strip().str.lower()
        bad_lvl = lvl.notna() & ~lvl.isin(LOCATION_LEVELS)
        if bad_lvl.any():
            ledger.notes["unknown_location_level"] = int(bad_lvl.sum())
        return lvl.where(~bad_lvl)
    if spec.location_levels is not None and "location_precision" in cols:
        lvl, unk = _code_table(raw[cols["location_precision"]], spec.location_levels)
        if unk:
            ledger.notes["unknown_location_precision"] = unk
        return lvl
    return pd.Series(spec.default_location_level, index=raw.index, dtype="str")


def _event_text(raw: pd.DataFrame, spec: EventSpec, ledger: Ledger) -> dict[str, pd.Series]:
    """Canonical event_type, sub_event_type, actor1 and actor2."""
    cols = spec.columns
    data: dict[str, pd.Series] = {}
    for name in ("event_type", "sub_event_type", "actor1", "actor2"):
        if name == "event_type" and spec.event_types is not None and name in cols:
            et, unk = _code_table(raw[cols[name]], spec.event_types)
            if unk:
                ledger.notes["unknown_event_type"] = unk
            data[name] = et
        elif name in cols:
            data[name] = raw[cols[name]].astype("str")
        else:
            data[name] = pd.Series(np.nan, index=raw.index, dtype="str")
    return data


def _value_key(value: object) -> str:
    """Trimmed lower-case text of a cell; a whole number (``2``, ``2.0``, ``" 2 "``) as ``"2"``."""
    text = str(value).strip().casefold()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def civilian_flags(raw: pd.DataFrame, spec: EventSpec) -> np.ndarray | None:
    """Rows the spec's civilian rule marks as targeting civilians (None: no rule applies).

    Parameters
    ----------
    raw
        The table as read.
    spec
        The source's spec (its ``civilian_rule``).

    Returns
    -------
    numpy.ndarray or None
        One flag per row; None without a rule, with a civilian count column, or without
        the rule's column.
    """
    rule = spec.civilian_rule
    if rule is None or "civilian_fatalities" in spec.columns or rule.column not in raw.columns:
        return None
    codes, uniq = pd.factorize(raw[rule.column])  # each distinct value keyed once
    hit = np.array([_value_key(v) in rule.values for v in uniq] + [False], dtype=bool)
    flags: np.ndarray = hit[codes]  # code -1 (missing) picks the trailing False
    return flags


def _group_of(key: str, rule: GroupRule) -> str | None:
    if key in rule.codes:
        return rule.codes[key]
    for prefix, group in rule.prefixes:
        if key.startswith(prefix):
            return group
    return rule.default


def _perpetrator_group(raw: pd.DataFrame, spec: EventSpec, ledger: Ledger) -> pd.Series:
    """Canonical perpetrator_group by the spec's rule; unknown values counted in the notes."""
    rule = spec.perpetrator_rule
    if rule is None or rule.column not in raw.columns:
        return pd.Series(np.nan, index=raw.index, dtype="str")
    codes, uniq = pd.factorize(raw[rule.column])
    keys = [_value_key(v) for v in uniq]
    groups = [_group_of(k, rule) if k else None for k in keys]
    unknown_idx = [i for i, (k, g) in enumerate(zip(keys, groups, strict=True)) if k and g is None]
    unknown = int(np.isin(codes, unknown_idx).sum()) if unknown_idx else 0
    if unknown:
        ledger.notes["unknown_perpetrator_group"] = unknown
    table = np.array([*groups, None], dtype=object)
    return pd.Series(table[codes], index=raw.index, dtype="str")
