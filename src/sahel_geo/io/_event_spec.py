"""How a source's columns feed the canonical events schema: :class:`EventSpec` and its rules.

Each reader of :mod:`sahel_geo.io.events` describes its source with an :class:`EventSpec`
(which source column feeds which canonical column, which code tables apply), a
:class:`CivilianRule` and a :class:`GroupRule`; :func:`sahel_geo.io._event_builder.build_events`
applies it. Private: re-exported by :mod:`sahel_geo.io._event_builder`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

__all__ = ["CivilianRule", "EventSpec", "GroupRule"]

#: Fields a spec may map besides the canonical columns.
_COORDS: Final = ("latitude", "longitude")


@dataclass(frozen=True)
class CivilianRule:
    """Civilian fatalities of a source with no count of them, from a column that says so.

    ``civilian_fatalities`` is the event's ``fatalities`` where ``column`` holds one of
    ``values`` (compared trimmed and case-insensitively), else 0 (a blank cell is not
    such a value). A flagged event without a fatality count keeps NaN.

    Attributes
    ----------
    column
        Source column read (ACLED ``civilian_targeting``, or ``event_type`` in exports
        without it).
    values
        Lower-case values that mark an event as targeting civilians.
    note
        Report note counting the kept rows so marked (its value may be 0: the note
        records which rule was used).
    """

    column: str
    values: frozenset[str]
    note: str


@dataclass(frozen=True)
class GroupRule:
    """How a source column gives the canonical ``perpetrator_group``.

    Each distinct value is keyed as trimmed lower-case text (a whole number, stored as
    ``2`` or ``2.0``, as ``"2"``), then looked up in ``codes``, else matched against
    ``prefixes`` in order, else given ``default``. A missing or blank value gives a
    missing group; a value found nowhere (with ``default`` None) too, counted in the
    report note ``unknown_perpetrator_group``.

    Attributes
    ----------
    column
        Source column read (ACLED ``inter1``, UCDP ``side_a``).
    codes
        Key -> group.
    prefixes
        (lower-case prefix, group) pairs tried in order.
    default
        Group of any other non-blank value (None: missing and counted as unknown).
    """

    column: str
    codes: Mapping[str, str] = field(default_factory=dict)
    prefixes: tuple[tuple[str, str], ...] = ()
    default: str | None = None


@dataclass(frozen=True)
class EventSpec:
    """How a source's columns feed the canonical events schema.

    Attributes
    ----------
    reader
        Public function name used in messages (``"read_acled"``).
    source
        Value of the canonical ``source`` column (``acled``, ``ucdp``, ``generic``, ``demo``).
    prefix
        Prefix of source columns renamed because they collide with a canonical name.
    columns
        Canonical field (or ``latitude``/``longitude``) -> source column.
    required
        Source columns the file must have.
    country_columns
        Source columns tried in order for ``country_iso3`` (ISO3, numeric codes or names).
    date_formats
        ``pandas.to_datetime`` formats tried in order on text dates.
    location_levels, time_precisions, event_types
        Code tables applied to the numeric source codes (None: take the text as it is).
    default_location_level, default_time_precision
        Used when the spec maps no column for them.
    id_prefix
        Prefix of generated ids when ``columns`` has no ``event_id``.
    hint
        Sentence appended to missing-column errors.
    ordered_estimates
        Source columns that must be in non-decreasing order on each row (UCDP's ``low``,
        ``best``, ``high`` fatality estimates); rows out of order are kept, counted in
        the report note ``fatality_estimates_out_of_order`` and named in a warning.
    civilian_rule
        Where ``columns`` maps no ``civilian_fatalities``: the rule deriving them from
        the fatalities (None: NaN).
    perpetrator_rule
        The rule giving ``perpetrator_group`` (None, or its column absent: missing).
    notes
        Report notes the reader already knows (e.g. columns used by their canonical name).
    """

    reader: str
    source: str
    prefix: str
    columns: Mapping[str, str]
    required: tuple[str, ...]
    country_columns: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ("ISO8601",)
    location_levels: Mapping[int, str] | None = None
    time_precisions: Mapping[int, str] | None = None
    event_types: Mapping[int, str] | None = None
    default_location_level: str | None = None
    default_time_precision: str | None = None
    id_prefix: str = "row"
    hint: str = ""
    required_any: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    ordered_estimates: tuple[str, ...] = ()
    civilian_rule: CivilianRule | None = None
    perpetrator_rule: GroupRule | None = None
    notes: Mapping[str, int] = field(default_factory=dict)
