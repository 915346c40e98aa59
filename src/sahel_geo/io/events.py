"""Conflict-event readers: ACLED, UCDP GED and any table with a column mapping.

Every reader returns the canonical events GeoDataFrame (``DESIGN.md``, "Canonical
schemas"): EPSG:4326 Point geometry built from the source's latitude/longitude, the
canonical columns first in :data:`~sahel_geo.core.schema.EVENT_COLUMNS` order, then every
source column of the file, untouched, in file order, then ``geometry``. All three
readers go through one private builder (``sahel_geo.io._event_builder``), so the
validation, the rejects and the column rules below are the same for every source.

Canonical columns
-----------------
``event_id`` (str; ids stored as floats such as UCDP's ``300380.0`` become ``"300380"``),
``source`` (``acled``, ``ucdp``, ``generic`` or ``demo``), ``event_date`` and ``date_end``
(``datetime64[ns]``; ``date_end`` equals ``event_date`` where the source has no end date),
``time_precision`` (``day``, ``week``, ``month``, ``year``), ``location_precision`` (the
source's own code, ``Int64``), ``location_level`` (``point``, ``admin2``, ``admin1``,
``country``), ``country_iso3`` (null where the source's country cannot be mapped:
counted in the report notes as ``unknown_country``, never a reject), ``event_type``,
``sub_event_type``, ``actor1``, ``actor2``, ``perpetrator_group`` (see below),
``fatalities`` and ``civilian_fatalities`` (``float64``, NaN where the source has none;
see below), ``notes``.

Civilian fatalities
-------------------
UCDP: ``deaths_civilians``, the civilians UCDP counts among an event's deaths. Generic
tables: the column mapped to ``civilian_fatalities``, else NaN. ACLED has no count of
civilians killed; ``civilian_fatalities`` follows ACLED's own convention (the one of its
dashboards and Trendfinder's civilian figures), the *fatalities of events that target
civilians*:

- current exports (with the ``civilian_targeting`` column): the event's ``fatalities``
  where ``civilian_targeting`` says ``Civilian targeting`` (compared trimmed and
  case-insensitively), else 0 (a blank cell is not civilian targeting);
- older exports without that column: the ``fatalities`` of events whose ``event_type``
  is ``Violence against civilians``, else 0 (the closest the older column set comes:
  explosions and mob violence aimed at civilians are not counted).

The source columns are kept untouched. The rule used is recorded in the report notes,
counting the kept rows it marks as targeting civilians:
``civilian_fatalities_from_civilian_targeting`` or ``civilian_fatalities_from_event_type``
(present, possibly 0, in every ACLED read). Limits, as ACLED states them: not every death
in an event that targets civilians is a civilian (attackers killed in it are counted
too), and civilians killed in battles or explosions not coded as civilian targeting are
not counted, so the figure is neither a count of civilian deaths nor comparable with
UCDP's ``deaths_civilians`` or the UN's counts; it is comparable across ACLED periods and
places, which is what change over time needs.

Perpetrator group
-----------------
``perpetrator_group`` (:data:`~sahel_geo.core.schema.PERPETRATOR_GROUPS`) is the kind of
actor behind the event: ``state_forces``, ``armed_group``, ``external_forces``,
``other`` or missing.

- ACLED, from ``inter1`` (the actor type of ``actor1``; ACLED codebook, "Actor type and
  interaction codes"): the numeric codes of older exports,
  :data:`~sahel_geo.core.schema.ACLED_INTER_CODES` (1 State forces -> ``state_forces``;
  2 Rebel groups, 3 Political militias, 4 Identity militias -> ``armed_group``; 8
  External/Other forces -> ``external_forces``; 5 Rioters, 6 Protesters, 7 Civilians ->
  ``other``), and the text labels of current exports,
  :data:`~sahel_geo.core.schema.ACLED_INTER_LABELS` (``State forces``, ``Rebel group``,
  ``Political militia``, ``Identity militia``, ``External/Other forces``, ``Rioters``,
  ``Protesters``, ``Civilians``; trimmed, case-insensitive). A blank ``inter1`` (or no
  such column) gives a missing group; any other value (e.g. code 0 or 9) too, counted in
  the report note ``unknown_perpetrator_group``.
- UCDP GED, from ``side_a`` (UCDP GED codebook: in state-based violence, ``side_a`` is
  always a government; in non-state violence never; in one-sided violence the
  perpetrator, a government or an organised group): ``side_a`` beginning with
  ``Government of`` (case-insensitive) -> ``state_forces`` (one-sided violence by a
  government stays ``state_forces``), any other -> ``armed_group``. Foreign governments
  (``Government of France``) are ``state_forces`` too: GED does not mark them external.
- Generic tables: the column mapped to ``perpetrator_group``, whose values must be the
  vocabulary's (trimmed, case-insensitive; others are missing and counted as
  ``unknown_perpetrator_group``); without a mapping, missing.

Source columns whose name collides with a canonical name
--------------------------------------------------------
A source column with the same name *and* the same content as a canonical column (ACLED
``event_type``, ``sub_event_type``, ``actor1``, ``actor2``, ``notes``, ``fatalities``)
*is* that canonical column: its values are kept as they are (``fatalities`` as float).
A source column with the same name but different content is kept under
``<source>_<name>``: ACLED ``source`` (its news sources) -> ``acled_source``, ACLED
``event_date`` (text) -> ``acled_event_date``, ACLED ``time_precision`` (code 1-3) ->
``acled_time_precision``, UCDP ``date_end`` (text) -> ``ucdp_date_end``; the generic
reader uses its ``source`` value as the prefix (``generic_event_date``) and the demo
events, an ACLED table, use ``acled_``. A source column named ``geometry`` is renamed
the same way.

Rejected rows
-------------
A row that cannot be used is not dropped silently: it goes to the rejects of the
:class:`~sahel_geo.StepReport` attached to the result (``sahel_geo.rejects(gdf)``), with
``row`` (1-based data row number in the file, header excluded, blank lines counted: in
a spreadsheet the row is ``row + 1``, whatever blank lines come before it; in a UCDP API
page, the position in ``Result``; in a DataFrame passed in memory, its position + 1),
``reason``, ``column`` (the file's column names) and the row's raw values as text.
Reasons, exactly:

- ``missing coordinates``, ``missing latitude``, ``missing longitude``
- ``latitude is not a number``, ``longitude is not a number`` (e.g. ``14.1N``)
- ``latitude out of range`` (outside [-90, 90]), ``longitude out of range`` (outside
  [-180, 180]), ``latitude out of range; latitude and longitude look swapped`` (the
  swapped pair would be valid)
- ``null island coordinates (0, 0)``
- ``missing event_date``, ``event_date could not be parsed``,
  ``date_end could not be parsed``, ``date_end before event_date`` (a missing
  ``date_end`` is set to ``event_date`` and counted in the notes)
- ``event_date in the future``, ``date_end in the future``: dated after tomorrow
  (today's date on the machine reading the file, one day of slack for time zones; a
  WARNING names the rows): no event has happened yet, so the date is a typo (``2091``
  for ``2019``) and the row is rejected rather than kept with a wrong date;
  ``event_date before 1900``
- ``truncated last row: the file ends inside a quoted value`` and ``truncated last row:
  the file ends mid-row (3 of 31 fields)``: a partial download (logged at WARNING);
  ``row has 7 fields, the header 5``: a delimiter inside an unquoted value shifted the
  cells (fields beyond the header that are all empty, trailing delimiters, are ignored)
- ``missing event_id``, ``duplicate event_id (first at row N)``: the first of the rows
  that are otherwise valid is kept, later ones are rejected
- ``fatalities is not a number`` (text or infinite), ``negative fatalities``,
  ``fatalities is not a whole number`` (``1.5``), ``fatalities over 100000 for one
  event (implausible)`` (:data:`~sahel_geo.core.schema.MAX_EVENT_FATALITIES`; such a
  value is a typo or a unit error, and unit totals summed from it overflow); the same
  for ``civilian_fatalities``

A row with several problems gets them all, joined with ``"; "``. Counts in = kept +
rejected, logged at INFO. Likely latitude/longitude swaps that stay in range are not
fixed: a kept point outside its country's bounding box whose swapped point falls inside
(13 countries: Mali, Niger, Burkina Faso and their neighbours) is counted in the notes
(``likely_latlon_swap``) and logged at WARNING with its rows. When more than half of the
rows look swapped, the reader raises :class:`~sahel_geo.SchemaError` instead.

Report notes (counted, not rejected): ``likely_latlon_swap``, ``outside_country_bbox``
(a kept point outside its country's bounding box, swapped or not), ``unknown_country``,
``unknown_location_precision``, ``unknown_time_precision``, ``unknown_event_type``,
``unknown_location_level``, ``unknown_perpetrator_group`` (codes outside the tables:
the canonical value is null), ``date_end_missing_set_to_event_date``,
``generated_event_id`` and, for ACLED, ``civilian_fatalities_from_civilian_targeting`` or
``civilian_fatalities_from_event_type`` (see "Civilian fatalities"); from the file's
layout and values: ``blank_lines_skipped`` (blank lines are not rows, and do not shift
the row numbers), ``short_rows`` (rows with fewer fields than the header, kept with
their missing cells empty, logged at WARNING with their rows),
``decimal_comma_coordinates`` (``12,5`` read as 12.5),
``utc_offset_dropped_local_date_kept`` (see "Dates and time zones") and, for
:func:`read_events`, ``column_used_by_its_canonical_name=<field>``.

Dates and time zones
--------------------
Dates are the source's local calendar dates. A date-time with a UTC offset
(``2019-03-15T23:30:00-05:00``, ``10:00Z``) keeps its own date and wall-clock time and
drops the offset, counted in the note ``utc_offset_dropped_local_date_kept``:
converting to UTC would move evening events west of Greenwich (and morning events east
of it) to another day, and would not give one answer for a file mixing offsets (which
are read the same way). Time-zone aware spreadsheet cells or DataFrame columns are read
as their wall-clock time too.

Structural problems raise instead of rejecting every row: a missing or 0-byte file or
an unreadable workbook/sheet (:class:`~sahel_geo.InputFileError`), missing required
columns (:class:`~sahel_geo.SchemaError` listing the missing and the found columns). A
file with a header and no data rows is legitimate (an export of a quiet month): it gives
an empty canonical GeoDataFrame with the file's columns and a report of 0 rows, and
a WARNING log line. A file whose every row is rejected also gives an empty frame (the
rejects say why) with a WARNING naming the most frequent reason.

Files
-----
What the readers take, whatever the file's suffix (told by its first bytes):

- CSV text compressed with gzip, bzip2 or xz, or in a ZIP archive holding one file
  (an archive of several files, or an XLSX workbook named ``.csv``, raises
  :class:`~sahel_geo.InputFileError` saying what the file is and what to do; so do PDF,
  Parquet, SQLite/GeoPackage, old ``.xls`` and HTML pages saved instead of the data);
- encodings: UTF-8 with or without BOM, UTF-16 and UTF-32 with a BOM (Excel's "Unicode
  text"), UTF-16 without one; a file that is not valid UTF-8 is read as cp1252 with a
  :class:`~sahel_geo.SahelGeoWarning` naming the file; pass ``encoding=`` to choose;
- delimiters: comma, semicolon, tab or pipe, sniffed from the header line (``.tsv`` and
  ``.tab`` prefer tab); semicolon exports from European spreadsheets write decimal
  commas, which are read in coordinates;
- a header naming the same column twice raises :class:`~sahel_geo.SchemaError` naming
  the columns (numbers and spreadsheet letters);
- a pandas DataFrame already in memory (``read_acled(df)``); anything else (None, a
  number) raises :class:`~sahel_geo.InputFileError` saying what is accepted.

How a CSV file is read: a plain UTF-8 file whose records all have the header's field
count (no blank lines, no ragged or cut-off rows) is parsed by ``pyarrow.csv``
(multi-threaded, a block at a time, under a progress bar) and each column given the type
pandas' C engine would infer; any other file (compressed, another encoding, blank lines,
ragged rows, a file ending inside quotes, a column the two could type differently) is
read the general way (decoded whole, its records scanned, parsed by pandas' C engine),
which tells blank lines, short, long and cut-off rows apart for the rejects and notes.
Both give the same table (tested). The readers then drop the table's columns as the
events are built, and the kept rows share the table's text where they are a few runs
of rows, so a large file is not held twice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal, overload

import geopandas as gpd
import pandas as pd

from sahel_geo.core.errors import InputFileError, SchemaError
from sahel_geo.core.schema import (
    ACLED_GEO_PRECISION,
    ACLED_INTER_CODES,
    ACLED_INTER_LABELS,
    ACLED_TIME_PRECISION,
    EVENT_COLUMNS,
    EVENT_SOURCES,
    PERPETRATOR_GROUPS,
    UCDP_DATE_PRECISION,
    UCDP_WHERE_PRECISION,
)
from sahel_geo.io._event_builder import CivilianRule, EventSpec, GroupRule, build_events
from sahel_geo.io._tables import check_source, read_table

__all__ = [
    "GENERIC_FIELDS",
    "UCDP_VIOLENCE_TYPES",
    "acled_spec",
    "build_acled",
    "build_ucdp",
    "read_acled",
    "read_events",
    "read_ucdp",
    "ucdp_records_frame",
    "ucdp_spec",
]

#: UCDP ``type_of_violence`` codes -> canonical ``event_type``.
UCDP_VIOLENCE_TYPES: Final[dict[int, str]] = {1: "state-based", 2: "non-state", 3: "one-sided"}

_ACLED_COLUMNS: Final[dict[str, str]] = {
    "event_id": "event_id_cnty",
    "event_date": "event_date",
    "time_precision": "time_precision",
    "location_precision": "geo_precision",
    "event_type": "event_type",
    "sub_event_type": "sub_event_type",
    "actor1": "actor1",
    "actor2": "actor2",
    "fatalities": "fatalities",
    "notes": "notes",
    "latitude": "latitude",
    "longitude": "longitude",
}
_ACLED_REQUIRED: Final = (
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
)

_UCDP_COLUMNS: Final[dict[str, str]] = {
    "event_id": "id",
    "event_date": "date_start",
    "date_end": "date_end",
    "time_precision": "date_prec",
    "location_precision": "where_prec",
    "event_type": "type_of_violence",
    "actor1": "side_a",
    "actor2": "side_b",
    "fatalities": "best",
    "civilian_fatalities": "deaths_civilians",
    # The headline describes the event itself; ``where_description`` (kept as a source
    # column) only describes its place.
    "notes": "source_headline",
    "latitude": "latitude",
    "longitude": "longitude",
}
_UCDP_REQUIRED: Final = (
    "id",
    "date_start",
    "date_end",
    "date_prec",
    "where_prec",
    "type_of_violence",
    "latitude",
    "longitude",
    "best",
    "country",
)

#: ACLED ``inter1`` (codes of older exports, labels of current ones) -> perpetrator_group.
_ACLED_INTER: Final[dict[str, str]] = {
    **{str(code): group for code, group in ACLED_INTER_CODES.items()},
    **ACLED_INTER_LABELS,
}
#: UCDP ``side_a``: a government, else an organised armed group (UCDP GED codebook).
_UCDP_PERPETRATOR: Final = GroupRule(
    column="side_a", prefixes=(("government of", "state_forces"),), default="armed_group"
)

#: Fields a generic ``columns=`` mapping may use: the canonical columns (but ``source``,
#: which ``read_events`` sets) and the coordinates.
GENERIC_FIELDS: Final = (*(c for c in EVENT_COLUMNS if c != "source"), "latitude", "longitude")


#: ``source`` of a table passed in memory, in messages and the report.
IN_MEMORY: Final = "<DataFrame>"


def _table(
    path: str | os.PathLike[str] | pd.DataFrame,
    *,
    encoding: str | None,
    sheet: str | int | None,
    reader: str,
) -> tuple[pd.DataFrame, str, str]:
    """Return the table, its origin for messages and the stem of generated ids."""
    check_source(path, reader)
    if isinstance(path, pd.DataFrame):
        return path, IN_MEMORY, "row"
    raw, p = read_table(path, encoding=encoding, sheet=sheet, reader=reader)
    return raw, str(p), p.stem


def acled_spec(raw: pd.DataFrame, source: str = "acled") -> EventSpec:
    """Return the builder's spec of an ACLED table: its columns, code tables and rules.

    For callers of :func:`~sahel_geo.io._event_builder.build_events` that hand it a
    table of their own (the demo generator, the blocks of
    :func:`~sahel_geo.io.event_blocks.read_events_dask`).

    Parameters
    ----------
    raw
        An ACLED table as exported (current or pre-2023 columns; only its column names
        are read).
    source
        Value of the canonical ``source`` column (``"demo"`` for the demo data).

    Returns
    -------
    EventSpec
        The spec :func:`read_acled` builds with.

    Examples
    --------
    >>> from sahel_geo.io.demo import demo_acled_table
    >>> acled_spec(demo_acled_table(n=20, seed=1)).reader
    'read_acled'
    """
    # Older ACLED files spell the same columns in capitals (EVENT_ID_CNTY, LATITUDE): the
    # names are matched case-insensitively and the file's own spelling is kept.
    exact = {str(c) for c in raw.columns}
    folded: dict[str, str] = {}
    for c in raw.columns:
        folded.setdefault(str(c).lower(), str(c))

    def name(col: str) -> str:
        return col if col in exact else folded.get(col, col)

    cols = {
        k: name(v) for k, v in _ACLED_COLUMNS.items() if name(v) in exact or v in _ACLED_REQUIRED
    }
    if name("civilian_targeting") in exact:
        civilian = CivilianRule(
            name("civilian_targeting"),
            frozenset({"civilian targeting"}),
            "civilian_fatalities_from_civilian_targeting",
        )
    else:  # pre-2023 exports: no civilian_targeting column
        civilian = CivilianRule(
            name("event_type"),
            frozenset({"violence against civilians"}),
            "civilian_fatalities_from_event_type",
        )
    return EventSpec(
        reader="read_acled",
        source=source,
        prefix="acled",
        columns=cols,
        required=tuple(name(c) for c in _ACLED_REQUIRED),
        required_any=((name("iso3"), name("iso")),),
        country_columns=(name("iso3"), name("iso")),
        date_formats=("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "ISO8601"),
        location_levels=ACLED_GEO_PRECISION,
        time_precisions=ACLED_TIME_PRECISION,
        civilian_rule=civilian,
        perpetrator_rule=GroupRule(column=name("inter1"), codes=_ACLED_INTER),
        hint=(
            "read_acled reads ACLED exports (current or pre-2023 column sets, any letter "
            "case); for other tables use read_events(path, columns={...})."
        ),
    )


def ucdp_spec(raw: pd.DataFrame) -> EventSpec:
    """Return the builder's spec of a UCDP GED table: its columns, code tables and rules.

    For callers of :func:`~sahel_geo.io._event_builder.build_events` that hand it a
    table of their own (the blocks of :func:`~sahel_geo.io.event_blocks.read_events_dask`).

    Parameters
    ----------
    raw
        A UCDP GED table (only its column names are read).

    Returns
    -------
    EventSpec
        The spec :func:`read_ucdp` builds with.

    Examples
    --------
    >>> ucdp_spec(pd.DataFrame(columns=["id", "best"])).reader
    'read_ucdp'
    """
    # optional columns (side_a/side_b, deaths_civilians, source_headline) only when the
    # table has them: a trimmed GED extract or API record set gives missing values
    present = set(raw.columns)
    return EventSpec(
        reader="read_ucdp",
        source="ucdp",
        prefix="ucdp",
        columns={k: v for k, v in _UCDP_COLUMNS.items() if v in present or v in _UCDP_REQUIRED},
        required=_UCDP_REQUIRED,
        country_columns=("country",),
        date_formats=("ISO8601",),
        location_levels=UCDP_WHERE_PRECISION,
        time_precisions=UCDP_DATE_PRECISION,
        event_types=UCDP_VIOLENCE_TYPES,
        ordered_estimates=("low", "best", "high"),
        perpetrator_rule=_UCDP_PERPETRATOR,
        hint=(
            "read_ucdp reads UCDP GED CSV files (all 49 columns) and UCDP API JSON pages; "
            "for other tables use read_events(path, columns={...})."
        ),
    )


def build_acled(
    raw: pd.DataFrame, *, source: str = "acled", origin: str, step: str
) -> gpd.GeoDataFrame:
    """Build canonical events from an in-memory ACLED table.

    The same builder as :func:`read_acled`, for a table already in memory (the demo
    generator's, for one).

    Parameters
    ----------
    raw
        An ACLED table as exported (current or pre-2023 columns), not modified.
    source
        Value of the canonical ``source`` column (``"demo"`` for the demo data).
    origin
        Where the table came from, for messages and the report.
    step
        Name of the step in the attached report.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical events, EPSG:4326, with the step report attached.

    Examples
    --------
    >>> from sahel_geo.io.demo import demo_acled_table
    >>> events = build_acled(demo_acled_table(n=20, seed=1), origin="demo", step="demo")
    >>> len(events)
    15
    """
    return build_events(raw, acled_spec(raw, source), origin=origin, step=step)


def build_ucdp(raw: pd.DataFrame, *, origin: str, step: str) -> gpd.GeoDataFrame:
    """Build canonical events from an in-memory UCDP GED table (CSV or API records).

    The same builder as :func:`read_ucdp`, for a table already in memory (the pages
    :func:`~sahel_geo.download_ucdp` fetched, for one).

    Parameters
    ----------
    raw
        A UCDP GED table (the CSV's columns, or :func:`ucdp_records_frame` of API pages),
        not modified.
    origin
        Where the table came from, for messages and the report.
    step
        Name of the step in the attached report.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical events, EPSG:4326, with the step report attached.

    Examples
    --------
    >>> events = build_ucdp(table, origin="ged.csv", step="read_ucdp")  # doctest: +SKIP
    """
    return build_events(raw, ucdp_spec(raw), origin=origin, step=step)


def ucdp_records_frame(payload: Any, origin: str) -> pd.DataFrame:
    """Turn a UCDP API page (``{"Result": [...]}``) or a list of records into a table.

    Parameters
    ----------
    payload
        The decoded JSON of one API page, or its ``Result`` list.
    origin
        Where the JSON came from, for messages.

    Returns
    -------
    pandas.DataFrame
        One row per record, the records' keys as columns.

    Raises
    ------
    InputFileError
        The JSON is not an API page or a list of records.

    Examples
    --------
    >>> ucdp_records_frame({"Result": [{"id": 1}, {"id": 2}]}, "page.json")["id"].tolist()
    [1, 2]
    """
    records: Any
    if isinstance(payload, Mapping):
        if "Result" not in payload:
            keys = sorted(str(k) for k in payload)[:10]
            raise InputFileError(
                f"{origin} is JSON but not a UCDP API page: it has no 'Result' member "
                f"(members: {keys}). Save the API's response as it comes."
            )
        records = payload["Result"]
    else:
        records = payload
    if not isinstance(records, list) or not all(isinstance(r, Mapping) for r in records):
        raise InputFileError(
            f"{origin}: the UCDP records must be a JSON list of objects (the 'Result' of an "
            "API page)."
        )
    return pd.DataFrame.from_records(records)


@overload
def read_acled(
    path: str | os.PathLike[str] | pd.DataFrame,
    *,
    encoding: str | None = None,
    blocksize: None = None,
) -> gpd.GeoDataFrame: ...
@overload
def read_acled(
    path: str | os.PathLike[str] | pd.DataFrame,
    *,
    encoding: str | None = None,
    blocksize: str | int,
) -> Any: ...
def read_acled(
    path: str | os.PathLike[str] | pd.DataFrame,
    *,
    encoding: str | None = None,
    blocksize: str | int | None = None,
) -> Any:
    """Read an ACLED export (CSV or XLSX) into the canonical events GeoDataFrame.

    Reads the current column set (``event_date`` as ``YYYY-MM-DD``, numeric ``iso``) and
    the pre-2023 one (``data_id``, ``event_id_no_cnty``, ``iso3``, ``event_date`` like
    ``15 March 2019``). ``event_id`` is ``event_id_cnty``; ``country_iso3`` comes from
    ``iso3`` or else the ISO 3166-1 numeric ``iso``; ``location_precision`` is
    ``geo_precision`` and ``location_level`` follows
    :data:`~sahel_geo.core.schema.ACLED_GEO_PRECISION`; ``time_precision`` becomes ``day``,
    ``week`` or ``month``. ``civilian_fatalities`` is ACLED's "fatalities in events
    targeting civilians": ``fatalities`` where ``civilian_targeting`` says ``Civilian
    targeting`` (trimmed, case-insensitive; blank: 0), or, in older exports without
    that column, where ``event_type`` is ``Violence against civilians`` (else 0); the
    report note ``civilian_fatalities_from_civilian_targeting`` or
    ``civilian_fatalities_from_event_type`` says which rule was used and counts the
    kept rows it marked. ACLED's own caveat applies: not all deaths in an event that
    targets civilians are civilians, and civilians killed in battles or explosions not
    coded as civilian targeting are not counted (module docstring, "Civilian
    fatalities"). ``perpetrator_group`` comes from ``inter1``, numeric codes (older
    exports) or text labels (current exports), by
    :data:`~sahel_geo.core.schema.ACLED_INTER_CODES` and
    :data:`~sahel_geo.core.schema.ACLED_INTER_LABELS` (ACLED codebook interaction
    codes); an unknown code is missing, counted as ``unknown_perpetrator_group``.
    ACLED's own ``source``, ``event_date`` and ``time_precision`` columns are kept as
    ``acled_source``, ``acled_event_date`` and ``acled_time_precision``. Column names
    are matched regardless of letter case (older files use ``EVENT_ID_CNTY``,
    ``LATITUDE``); capitalised columns keep their own names beside the canonical ones. An
    XLSX file is read from its first sheet.

    Parameters
    ----------
    path
        The ``.csv`` or ``.xlsx`` export (see the module docstring, "Files", for the
        encodings, delimiters and compressed files read), or the export already in memory
        as a pandas DataFrame (rejects then name its positions + 1 as rows, and the
        report's source is ``"<DataFrame>"``).
    encoding
        Text encoding of a CSV file; by default UTF-8, falling back to cp1252 with a
        warning.
    blocksize
        Read a file larger than memory lazily instead, into a ``dask_geopandas``
        GeoDataFrame of blocks of about this size (``"64MB"``, or bytes): see
        :func:`~sahel_geo.io.event_blocks.read_events_dask` (the ``sahel_geo[dask]``
        extra; CSV or Parquet, the same rules per block, rejects with the file's row
        numbers, duplicate ids found across blocks). None (default): read into memory.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical events (see the module docstring), with the step report attached; a
        ``dask_geopandas.GeoDataFrame`` with ``blocksize``.

    Raises
    ------
    InputFileError
        The file is missing, empty or unreadable.
    SchemaError
        Required ACLED columns are missing, or latitude and longitude look swapped.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> events = sg.read_acled("acled_sahel.csv")  # doctest: +SKIP
    >>> sg.rejects(events)[["row", "reason"]]  # doctest: +SKIP
    """
    if blocksize is not None:
        return _in_blocks(path, "acled", blocksize=blocksize, encoding=encoding)
    raw, origin, _ = _table(path, encoding=encoding, sheet=None, reader="read_acled")
    spec = acled_spec(raw, "acled")
    # a table read here is dropped column by column as the events are built (memory)
    consume = not isinstance(path, pd.DataFrame)
    return build_events(raw, spec, origin=origin, step="read_acled", consume=consume)


@overload
def read_ucdp(
    path: str | os.PathLike[str] | pd.DataFrame,
    *,
    encoding: str | None = None,
    blocksize: None = None,
) -> gpd.GeoDataFrame: ...
@overload
def read_ucdp(
    path: str | os.PathLike[str] | pd.DataFrame,
    *,
    encoding: str | None = None,
    blocksize: str | int,
) -> Any: ...
def read_ucdp(
    path: str | os.PathLike[str] | pd.DataFrame,
    *,
    encoding: str | None = None,
    blocksize: str | int | None = None,
) -> Any:
    """Read a UCDP GED file (CSV, or a saved API JSON page) into canonical events.

    ``event_id`` from ``id`` (``300380.0`` -> ``"300380"``), ``event_date``/``date_end``
    from ``date_start``/``date_end`` (the text ``date_end`` is kept as ``ucdp_date_end``),
    ``location_precision`` = ``where_prec`` with ``location_level`` from
    :data:`~sahel_geo.core.schema.UCDP_WHERE_PRECISION`, ``time_precision`` from ``date_prec``,
    ``country_iso3`` from the ``country`` name (parentheticals stripped:
    ``DR Congo (Zaire)`` -> ``COD``), ``event_type`` from ``type_of_violence``
    (state-based, non-state, one-sided), ``actor1``/``actor2`` = ``side_a``/``side_b``,
    ``fatalities`` = ``best`` (``low`` and ``high`` kept; rows where they are not in the
    order ``low <= best <= high`` are kept, counted in the report note
    ``fatality_estimates_out_of_order`` and named in a warning), ``civilian_fatalities`` =
    ``deaths_civilians``, ``notes`` = ``source_headline`` (``where_description`` is kept
    as a source column). ``perpetrator_group`` is ``state_forces`` where ``side_a``
    begins with ``Government of`` (also in one-sided violence by a government), else
    ``armed_group`` (UCDP GED codebook: ``side_a`` of state-based violence is a
    government, of non-state violence never, of one-sided violence the perpetrator).

    A ``.json`` file is read as a UCDP API page (``{"Result": [...]}``, as written by
    :func:`~sahel_geo.io.ucdp_api.download_ucdp`) or a list of records: the local-file
    twin of the API.

    Parameters
    ----------
    path
        A GED CSV (plain or compressed) or a JSON page, or a GED table already in memory
        as a pandas DataFrame (rows = its positions + 1, source ``"<DataFrame>"``).
    encoding
        Text encoding; by default UTF-8, falling back to cp1252 with a warning for CSV.
    blocksize
        Read a CSV or Parquet file larger than memory lazily, as :func:`read_acled` does
        (a ``dask_geopandas`` GeoDataFrame; the ``sahel_geo[dask]`` extra).

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical events with the step report attached (a ``dask_geopandas``
        GeoDataFrame with ``blocksize``).

    Examples
    --------
    >>> import sahel_geo as sg
    >>> events = sg.read_ucdp("ged231.csv")  # doctest: +SKIP
    >>> events.groupby("country_iso3").size()  # doctest: +SKIP
    """
    check_source(path, "read_ucdp")
    if blocksize is not None:
        return _in_blocks(path, "ucdp", blocksize=blocksize, encoding=encoding)
    if isinstance(path, pd.DataFrame):
        return build_ucdp(path, origin=IN_MEMORY, step="read_ucdp")
    p = Path(path)
    if p.suffix.lower() == ".json":
        p = _check_json(p)
        try:
            payload = json.loads(p.read_text(encoding=encoding or "utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputFileError(
                f"read_ucdp: {p} is not valid JSON ({exc}). Save the API response again."
            ) from exc
        raw = ucdp_records_frame(payload, str(p))
        if raw.columns.empty:
            raise InputFileError(
                f"read_ucdp: {p} holds no events (an empty 'Result'), so it has no columns "
                "to check. Query a period or country with events."
            )
        return build_ucdp(raw, origin=str(p), step="read_ucdp")
    raw, p = read_table(p, encoding=encoding, sheet=None, reader="read_ucdp")
    return build_events(raw, ucdp_spec(raw), origin=str(p), step="read_ucdp", consume=True)


def _in_blocks(
    path: object, source: Literal["acled", "ucdp"], *, blocksize: str | int, encoding: str | None
) -> Any:
    """Read a file lazily in blocks (:func:`~sahel_geo.io.event_blocks.read_events_dask`)."""
    if not isinstance(path, str | os.PathLike):
        raise InputFileError(
            f"read_{source}: blocksize= reads a file lazily in blocks; give the path of a "
            f"CSV or Parquet file, not a {type(path).__name__} (a table in memory is read "
            "without blocksize)."
        )
    from sahel_geo.io.event_blocks import read_events_dask

    return read_events_dask(path, source=source, blocksize=blocksize, encoding=encoding or "utf-8")


def _check_json(p: Path) -> Path:
    if not p.is_file():
        raise InputFileError(f"read_ucdp: file not found: {p}. Check the path and the folder.")
    if p.stat().st_size == 0:
        raise InputFileError(f"read_ucdp: {p} is empty (0 bytes). Download the page again.")
    return p


def read_events(
    path: str | os.PathLike[str] | pd.DataFrame,
    *,
    columns: Mapping[str, str],
    source: str = "generic",
    date_format: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read any event table (CSV or XLSX) through a column mapping.

    Parameters
    ----------
    path
        The ``.csv`` (any delimiter, encoding or compression: module docstring, "Files")
        or ``.xlsx`` file, or a table already in memory as a pandas DataFrame (rows = its
        positions + 1, source ``"<DataFrame>"``, generated ids ``row-<n>``).
    columns
        Canonical field -> the file's column. ``event_date``, ``latitude`` and
        ``longitude`` are required. A column of the file whose name *is* a canonical
        field that ``columns`` does not map (and that is not mapped to another field) is
        used for that field, e.g. a ``fatalities`` column, counted in the report note
        ``column_used_by_its_canonical_name=<field>``; a field mapped to another column
        while the file also has a column of the field's name is ambiguous and raises.
        The others are optional: ``event_id``, ``date_end``,
        ``time_precision`` (text such as ``day``, lower-cased), ``location_precision``
        (integer code), ``location_level`` (``point``, ``admin2``, ``admin1``,
        ``country``), ``country_iso3`` (ISO3, ISO2, numeric codes or names),
        ``event_type``, ``sub_event_type``, ``actor1``, ``actor2``,
        ``perpetrator_group`` (values of
        :data:`~sahel_geo.core.schema.PERPETRATOR_GROUPS`, trimmed, case-insensitive;
        others are missing and counted as ``unknown_perpetrator_group``), ``fatalities``,
        ``civilian_fatalities``, ``notes``. Without ``event_id`` the ids are generated from
        the data row number, ``"<file stem>-<row>"`` (stable for the same file); without
        ``location_level`` every event is taken as a ``point`` and without
        ``time_precision`` as ``day``.
    source
        Value of the canonical ``source`` column, one of ``acled``, ``ucdp``, ``generic``,
        ``demo``.
    date_format
        ``strftime`` format of the dates, e.g. ``"%d/%m/%Y"``; by default ISO 8601
        (``YYYY-MM-DD``, optionally with a time; a bare year or year-month such as
        ``2019-03`` is not a date and is rejected). Spreadsheet date cells are read as
        they are, whatever the format.
    encoding
        Text encoding of a CSV file; by default UTF-8, falling back to cp1252 with a
        warning.
    sheet
        Sheet name or 0-based number of an XLSX file (default: the first sheet).

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical events with the step report attached.

    Raises
    ------
    SchemaError
        ``columns`` lacks a required field, names an unknown field or a column the file
        does not have, or maps a field to one column while the file has another column
        named as that field.
    InputFileError
        ``path`` is neither a path nor a DataFrame, or the file cannot be read.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> events = sg.read_events(  # doctest: +SKIP
    ...     "incidents.csv",
    ...     columns={"event_id": "id", "event_date": "date", "latitude": "lat",
    ...              "longitude": "lon", "fatalities": "killed"},
    ...     date_format="%d/%m/%Y",
    ... )
    """
    if source not in EVENT_SOURCES:
        raise SchemaError(
            f"read_events: source must be one of {list(EVENT_SOURCES)}; got {source!r}."
        )
    unknown = [k for k in columns if k not in GENERIC_FIELDS]
    missing = [k for k in ("event_date", "latitude", "longitude") if k not in columns]
    if unknown or missing:
        problems = []
        if missing:
            problems.append(f"columns= lacks the required field(s) {missing}")
        if unknown:
            problems.append(f"columns= has unknown field(s) {unknown}")
        raise SchemaError(
            f"read_events: {'; '.join(problems)}. Map each canonical field to a column of "
            f"the file, e.g. columns={{'event_date': 'date', 'latitude': 'lat', "
            f"'longitude': 'lon'}}. Known fields: {list(GENERIC_FIELDS)}."
        )
    raw, origin, stem = _table(path, encoding=encoding, sheet=sheet, reader="read_events")
    columns, by_name = _canonical_named(columns, raw, origin)
    group = columns.get("perpetrator_group")
    spec = EventSpec(
        reader="read_events",
        source=source,
        prefix=source,
        columns={k: columns[k] for k in columns if k not in {"country_iso3", "perpetrator_group"}},
        required=tuple(dict.fromkeys(columns.values())),
        country_columns=(columns["country_iso3"],) if "country_iso3" in columns else (),
        date_formats=(date_format,) if date_format else ("ISO8601",),
        default_location_level="point",
        default_time_precision="day",
        id_prefix=stem,
        hint="Check the columns= mapping against the file's header.",
        perpetrator_rule=(
            None if group is None else GroupRule(group, codes={g: g for g in PERPETRATOR_GROUPS})
        ),
        notes={f"column_used_by_its_canonical_name={c}": len(raw) for c in by_name},
    )
    consume = not isinstance(path, pd.DataFrame)
    return build_events(raw, spec, origin=origin, step="read_events", consume=consume)


def _canonical_named(
    columns: Mapping[str, str], raw: pd.DataFrame, origin: str
) -> tuple[dict[str, str], list[str]]:
    """Add the table's columns named as canonical fields that ``columns`` leaves unmapped.

    Returns the full mapping and the fields so added. A field mapped to another column
    while the table also has a column of the field's own name is ambiguous: an error.
    """
    names = {str(c) for c in raw.columns}
    claimed = set(columns.values())
    clashes = [f for f in GENERIC_FIELDS if f in names and f in columns and columns[f] != f]
    if clashes:
        listing = "; ".join(
            f"{f!r} is mapped to column {columns[f]!r} but the table also has a column named {f!r}"
            for f in clashes
        )
        raise SchemaError(
            f"read_events: {origin}: {listing}. Which column holds the values is ambiguous: "
            f"map the field to the table's own column (e.g. columns={{..., {clashes[0]!r}: "
            f"{clashes[0]!r}}}), or rename one of the two columns."
        )
    added = [f for f in GENERIC_FIELDS if f in names and f not in columns and f not in claimed]
    return {**columns, **{f: f for f in added}}, added
