"""Canonical column names, CRS constants and source-code tables.

These are the names every module uses; see ``DESIGN.md`` ("Canonical schemas").
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ACLED_GEO_PRECISION",
    "ACLED_INTER_CODES",
    "ACLED_INTER_LABELS",
    "ACLED_TIME_PRECISION",
    "BOUNDARY_COLUMNS",
    "EQUAL_AREA_CRS",
    "EVENT_COLUMNS",
    "EVENT_SOURCES",
    "LOCATION_LEVELS",
    "LOCATION_LEVEL_RANK",
    "MAX_EVENT_FATALITIES",
    "PERPETRATOR_GROUPS",
    "UCDP_DATE_PRECISION",
    "UCDP_WHERE_PRECISION",
    "WGS84",
]

#: Storage and exchange CRS of every layer.
WGS84: Final = "EPSG:4326"
#: Africa Albers Equal Area Conic: areas and densities.
EQUAL_AREA_CRS: Final = "ESRI:102022"

#: Largest fatality count accepted for one event: above it a count is a typo or a unit
#: error (UCDP GED's largest single-event ``best`` estimate is in the low tens of
#: thousands), and summing such values overflows integer unit totals.
MAX_EVENT_FATALITIES: Final = 100_000

#: Canonical event columns, in output order (source columns follow them).
EVENT_COLUMNS: Final[tuple[str, ...]] = (
    "event_id",
    "source",
    "event_date",
    "date_end",
    "time_precision",
    "location_precision",
    "location_level",
    "country_iso3",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "perpetrator_group",
    "fatalities",
    "civilian_fatalities",
    "notes",
)

#: Vocabulary of the canonical ``perpetrator_group`` column: the kind of actor behind an
#: event (its first actor, ACLED ``actor1`` / UCDP ``side_a``), missing where unknown.
#:
#: - ``state_forces``: a state's military, police or other forces acting for it (ACLED
#:   interaction code 1 "State forces"; UCDP ``side_a`` "Government of ...", also in
#:   one-sided violence by a government).
#: - ``armed_group``: non-state armed organisations (ACLED 2 "Rebel group", 3 "Political
#:   militia", 4 "Identity militia"; UCDP ``side_a`` of non-state and one-sided violence
#:   that is not a government).
#: - ``external_forces``: ACLED 8 "External/Other forces" (international forces, private
#:   security firms, unidentified foreign forces). UCDP has no such category.
#: - ``other``: ACLED 5 "Rioters", 6 "Protesters", 7 "Civilians".
PERPETRATOR_GROUPS: Final[tuple[str, ...]] = (
    "state_forces",
    "armed_group",
    "external_forces",
    "other",
)

#: ACLED ``inter1`` interaction codes of the pre-2023 exports (ACLED codebook, "Actor
#: type and interaction codes") -> ``perpetrator_group``.
ACLED_INTER_CODES: Final[dict[int, str]] = {
    1: "state_forces",  # State forces
    2: "armed_group",  # Rebel groups
    3: "armed_group",  # Political militias
    4: "armed_group",  # Identity militias
    5: "other",  # Rioters
    6: "other",  # Protesters
    7: "other",  # Civilians
    8: "external_forces",  # External/Other forces
}

#: ACLED ``inter1`` text labels of the current exports (lower case; matched trimmed and
#: case-insensitively) -> ``perpetrator_group``; the same actor types as
#: :data:`ACLED_INTER_CODES`.
ACLED_INTER_LABELS: Final[dict[str, str]] = {
    "state forces": "state_forces",
    "rebel group": "armed_group",
    "political militia": "armed_group",
    "identity militia": "armed_group",
    "rioters": "other",
    "protesters": "other",
    "civilians": "other",
    "external/other forces": "external_forces",
}

EVENT_SOURCES: Final[tuple[str, ...]] = ("acled", "ucdp", "generic", "demo")

#: Spatial precision of an event, finest first.
LOCATION_LEVELS: Final[tuple[str, ...]] = ("point", "admin2", "admin1", "country")

#: The admin level an event's location is known to: ``point`` is finer than any level.
LOCATION_LEVEL_RANK: Final[dict[str, int]] = {"point": 99, "admin2": 2, "admin1": 1, "country": 0}

#: ACLED ``geo_precision`` (ACLED codebook): 1 the named town itself, 2 a place near a
#: town or a part of a region (coordinates of the nearest town / admin-2), 3 only the
#: larger region is known (coordinates of its capital or centroid).
ACLED_GEO_PRECISION: Final[dict[int, str]] = {1: "point", 2: "admin2", 3: "admin1"}

#: ACLED ``time_precision``: 1 day, 2 week, 3 month.
ACLED_TIME_PRECISION: Final[dict[int, str]] = {1: "day", 2: "week", 3: "month"}

#: UCDP GED ``where_prec`` (UCDP GED codebook): 1 exact place, 2 within about 25 km of a
#: known place, 3 second-order admin unit, 4 first-order admin unit, 5 a part of the
#: country larger than an admin-1 unit, a linear feature or between places, 6 only the
#: country, 7 international waters or airspace. 5 is treated as admin-1 and 7 as country
#: (the coarsest level the toolkit knows).
UCDP_WHERE_PRECISION: Final[dict[int, str]] = {
    1: "point",
    2: "point",
    3: "admin2",
    4: "admin1",
    5: "admin1",
    6: "country",
    7: "country",
}

#: UCDP GED ``date_prec``: 1 exact day, 2 within 2-6 days, 3 week, 4 month, 5 year.
UCDP_DATE_PRECISION: Final[dict[int, str]] = {
    1: "day",
    2: "week",
    3: "week",
    4: "month",
    5: "year",
}

#: Canonical boundary columns, in output order.
BOUNDARY_COLUMNS: Final[tuple[str, ...]] = (
    "admin_level",
    "pcode",
    "name",
    "parent_pcode",
    "country_iso3",
    "source",
)
