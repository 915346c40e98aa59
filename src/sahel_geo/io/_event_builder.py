"""The one canonical events builder behind every event reader.

``build_events`` turns a raw table (as read from the file, every column untouched) and an
:class:`EventSpec` (which source column feeds which canonical column, which code tables
apply) into the canonical events GeoDataFrame, with a :class:`~sahel_geo.StepReport`
holding every rejected row. Files are read by :mod:`sahel_geo.io._tables`. Both are
private: the public readers are in :mod:`sahel_geo.io.events`, and this module logs
under that public module's logger (``sahel_geo.io.events``), so a user filtering or
reading log records sees the name of the module they called.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from sahel_geo.core.errors import SchemaError
from sahel_geo.core.reports import StepReport, attach_report
from sahel_geo.core.schema import EVENT_COLUMNS, LOCATION_LEVELS, MAX_EVENT_FATALITIES, WGS84
from sahel_geo.io._countries import COUNTRY_BBOX, iso3_from_values
from sahel_geo.io._tables import TableLayout, table_layout

__all__ = ["CivilianRule", "EventSpec", "GroupRule", "build_events", "empty_reject_frame"]

# The public module's logger: records name ``sahel_geo.io.events``, the module users call.
logger = logging.getLogger("sahel_geo.io.events")

#: Canonical columns whose values are the source column's own values (no parsing, no
#: code table): a source column of the same name feeding it is merged into it.
_PASSTHROUGH: Final = frozenset(
    {"event_type", "sub_event_type", "actor1", "actor2", "notes", "fatalities",
     "civilian_fatalities"}
)  # fmt: skip
#: Fields a spec may map besides the canonical columns.
_COORDS: Final = ("latitude", "longitude")
#: Most rows looking swapped (share of rows with numeric coordinates) makes the file fail.
_SWAP_SHARE: Final = 0.5
#: Rows named in a log message before "...".
_LOG_ROWS: Final = 20


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


# --------------------------------------------------------------------------------------
# parsing whole columns
# --------------------------------------------------------------------------------------


#: A time of day followed by a UTC offset or zone letter: "T23:30:00-05:00", " 10:00Z".
_OFFSET: Final = re.compile(
    r"(?<=\d:\d\d)(?::\d\d(?:[.,]\d+)?)?\s*(?:Z|UTC|GMT|[+-]\d\d(?::?\d\d)?)\s*$",
    re.IGNORECASE,
)


def _local_time(values: pd.Series) -> tuple[pd.Series, int]:
    """Drop UTC offsets from date-time text, keeping the source's local date and time.

    Converting to UTC would move an evening event in a place west of Greenwich (or a
    morning one east of it) to another calendar day; mixed offsets would not parse at
    all. Returns the text without offsets (seconds kept) and how many cells had one.
    """
    text = values.astype("str")
    has = text.str.contains(_OFFSET, na=False).to_numpy(dtype=bool) & values.notna().to_numpy()
    if not has.any():
        return values, 0
    kept = text[has].str.replace(_OFFSET, _keep_seconds, regex=True)
    return values.where(~has, kept), int(has.sum())


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


def _parse_dates(values: pd.Series, formats: tuple[str, ...]) -> tuple[pd.Series, int]:
    """Parse dates by the formats in order; return them and the count of UTC offsets dropped.

    The dates are in microseconds (years 1 to 9999), so that a typo such as 2919 is
    a date in the future (rejected as such), not an overflow of nanosecond time.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return _naive(values).astype("datetime64[us]"), int(values.notna().sum())
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.astype("datetime64[us]"), 0
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if pd.api.types.is_bool_dtype(values.dtype):
        return out, 0
    if pd.api.types.is_numeric_dtype(values.dtype):
        # numbers are not dates; as text, 20190315 can still be a basic ISO 8601 date
        values = values.astype("str").where(values.notna())
    elif values.dtype == object:
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind not in {"string", "empty"}:
            # mixed spreadsheet cells: date cells as they are, anything else as text
            # (the per-cell type check only runs on such mixed columns)
            values = _date_cells(values, out)
    values, n_offsets = _local_time(values)
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
    return out, n_offsets


def _normalise_ids(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        # ids stored as numbers (UCDP CSV: 300380.0) -> "300380"; vectorised
        num = values.astype("float64")
        whole = num.notna() & (num == np.floor(num)) & (num.abs() < 2**53)
        text = values.astype("str")
        as_int = num.where(whole).astype("Int64").astype("str")
        return as_int.where(whole, text).where(values.notna()).astype("str")
    text = values.astype("str")
    # only the few values with surrounding blanks or a ".0" tail need Python string work
    odd = _odd_ids(text)
    if odd.any():
        fixed = text[odd].str.strip().str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
        text = text.where(~odd, fixed)
    return text.where(values.notna() & (text != "")).astype("str")


def _odd_ids(text: pd.Series) -> pd.Series:
    """Ids with blanks around them or a ``.0`` tail (numpy string ufuncs when ids are short)."""
    present = text.notna().to_numpy()
    objs = text.fillna("").to_numpy(dtype=object)
    if len(objs) and max(map(len, objs)) <= 64:
        u = objs.astype("U")
        tail = np.strings.endswith(np.strings.rstrip(u, "0"), ".") & np.strings.endswith(u, "0")
        odd = ((np.strings.strip(u) != u) | tail) & present
        return pd.Series(odd, index=text.index)
    return text.str.contains(r"^\s|\s$|\.0+$", regex=True, na=False).astype(bool)


def _blank(values: pd.Series, parsed: np.ndarray) -> np.ndarray:
    """Cells that are only blanks (checked only among the cells that did not parse)."""
    out = np.zeros(len(values), dtype=bool)
    failed = np.isnan(parsed) & values.notna().to_numpy()
    if failed.any():
        text = values[failed].astype("str").str.strip()
        out[failed] = (text == "").to_numpy()
    return out


def _code_table(values: pd.Series, table: Mapping[int, str]) -> tuple[pd.Series, int]:
    num = pd.to_numeric(values, errors="coerce")
    out = num.map(dict(table)).astype("str")
    unknown = int((values.notna() & out.isna()).sum())
    return out, unknown


def _int_codes(values: pd.Series) -> pd.Series:
    num = pd.to_numeric(values, errors="coerce")
    whole = num.notna() & (num == np.floor(num))
    return num.where(whole).astype("Int64")


def _concat_reason(current: np.ndarray, mask: np.ndarray, text: str | np.ndarray) -> None:
    """Append ``text`` (a string or one per masked row) to the reasons of masked rows."""
    if not mask.any():
        return
    old = current[mask]
    add = np.asarray(text, dtype=object) if not isinstance(text, str) else text
    current[mask] = np.where(old == "", add, old + "; " + add)


def empty_reject_frame(raw_columns: list[str]) -> pd.DataFrame:
    """Rejects table with no rows and the standard columns."""
    cols = {"row": pd.Series(dtype="int64"), "reason": pd.Series(dtype="str"),
            "column": pd.Series(dtype="str")}  # fmt: skip
    for c in raw_columns:
        if c not in cols:
            cols[c] = pd.Series(dtype="string")
    return pd.DataFrame(cols)


def _rows_text(rows: np.ndarray) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:_LOG_ROWS])
    return shown + (f" ... ({len(rows)} rows)" if len(rows) > _LOG_ROWS else "")


# --------------------------------------------------------------------------------------
# the builder
# --------------------------------------------------------------------------------------


def _check_columns(raw: pd.DataFrame, spec: EventSpec, origin: str) -> None:
    have = [str(c) for c in raw.columns]
    missing = [c for c in spec.required if c not in raw.columns]
    for group in spec.required_any:
        if not any(c in raw.columns for c in group):
            missing.append(" or ".join(group))
    if missing:
        raise SchemaError(
            f"{spec.reader}: {origin} is missing the column(s) {missing} that {spec.reader} "
            f"expects. Columns found: {have}. {spec.hint}".rstrip()
        )
    dupes = sorted({c for c in have if have.count(c) > 1})
    if dupes:
        raise SchemaError(
            f"{spec.reader}: {origin} has duplicate column names {dupes}. Rename them so "
            "every column name is unique."
        )


@dataclass
class _Ledger:
    """Why each row is rejected (reason and column, "" while it is fine) and the notes."""

    reason: np.ndarray
    column: np.ndarray
    notes: dict[str, int] = field(default_factory=dict)

    @classmethod
    def for_rows(cls, n: int) -> _Ledger:
        """Start a ledger of ``n`` rows with nothing rejected yet."""
        return cls(np.full(n, "", dtype=object), np.full(n, "", dtype=object))

    def reject(self, mask: np.ndarray | pd.Series, text: str | np.ndarray, col: str) -> None:
        """Add ``text`` (one string, or one per row) to the reasons of the masked rows."""
        m = np.asarray(mask, dtype=bool)
        if isinstance(text, np.ndarray):
            text = text[m]
        _concat_reason(self.reason, m, text)
        _concat_reason(self.column, m, col)

    def ok(self) -> np.ndarray:
        """Rows with no reason to reject them so far."""
        ok: np.ndarray = self.reason == ""
        return ok


@dataclass(frozen=True)
class _Coords:
    """Parsed coordinates and what the checks found."""

    lat: np.ndarray
    lon: np.ndarray
    lat_col: str
    lon_col: str
    numeric: np.ndarray  # both coordinates are numbers
    swapped_range: np.ndarray  # latitude out of range, fine as a longitude and vice versa
    usable: np.ndarray  # numbers, in range, not (0, 0)


@dataclass(frozen=True)
class _Parsed:
    """The parsed canonical values that the checks produced."""

    ids: pd.Series
    start: pd.Series
    end: pd.Series
    iso3: pd.Series
    counts: dict[str, pd.Series]
    civilian: np.ndarray | None  # rows the spec's civilian rule marks (None: no rule)


def build_events(
    raw: pd.DataFrame,
    spec: EventSpec,
    *,
    origin: str,
    step: str,
) -> gpd.GeoDataFrame:
    """Build the canonical events GeoDataFrame from a raw table; attach the step report.

    ``raw`` is not modified. Row numbers in the rejects are the data row numbers of the
    file when ``raw`` was read by :func:`~sahel_geo.io._tables.read_table` (header
    excluded, blank lines counted: the spreadsheet row is ``row + 1``), else the 1-based
    positions in ``raw``.

    Parameters
    ----------
    raw
        The table as read from the file, every column untouched.
    spec
        Which source column feeds which canonical column, and the code tables.
    origin
        The file (or call) the table came from, for messages and the report.
    step
        Name of the step in the report (``"read_acled"``).

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical events (EPSG:4326) with a :class:`~sahel_geo.StepReport` attached;
        rows in = rows kept + rows rejected.
    """
    _check_columns(raw, spec, origin)
    layout = table_layout(raw)
    raw = raw.reset_index(drop=True)
    n = len(raw)
    rows = np.arange(1, n + 1, dtype=np.int64)
    ledger = _Ledger.for_rows(n)
    ledger.notes.update(spec.notes)
    if layout is not None:
        rows = np.asarray(layout.rows, dtype=np.int64)
        _check_layout(layout, rows, origin, ledger)
    coords = _check_coordinates(raw, spec.columns, ledger)
    start, end = _check_dates(raw, spec, ledger)
    _check_future(start, end, spec, rows, origin, ledger)
    start, end = _ns(start), _ns(end)
    ids, id_col = _event_ids(raw, spec, rows, ledger)
    counts = _fatality_counts(raw, spec.columns, ledger)
    if id_col:
        _reject_duplicate_ids(ids, id_col, rows, ledger)
    iso3 = _country_codes(raw, spec, ledger)
    bbox_swap, outside = _bbox_flags(coords, iso3)
    _fail_on_swapped_columns(coords, bbox_swap, spec, origin)
    keep = ledger.ok()
    _note_bbox(bbox_swap, outside, keep, rows, origin, ledger)
    _note_estimate_order(raw, spec, keep, rows, origin, ledger)
    civilian = _civilian_flags(raw, spec)
    if civilian is not None and spec.civilian_rule is not None:
        ledger.notes[spec.civilian_rule.note] = int((civilian & keep).sum())
    parsed = _Parsed(ids, start, end, iso3, counts, civilian)
    canon = _canonical_frame(raw, spec, parsed, ledger)
    gdf = _kept_events(canon, raw, coords, keep, spec)
    rejects = _rejects_table(raw, rows, ledger, keep, spec)
    report = StepReport(
        step=step, source=origin, n_in=n, n_kept=int(keep.sum()), rejects=rejects,
        notes=ledger.notes,
    )  # fmt: skip
    attach_report(gdf, report)
    _log_outcome(origin, report)
    return gdf


def _check_coordinates(raw: pd.DataFrame, cols: Mapping[str, str], ledger: _Ledger) -> _Coords:
    """Parse latitude and longitude; reject missing, text, out-of-range and (0, 0) ones."""
    lat_col, lon_col = cols["latitude"], cols["longitude"]
    lat, lat_comma = _coordinate(raw[lat_col])
    lon, lon_comma = _coordinate(raw[lon_col])
    if (lat_comma | lon_comma).any():
        ledger.notes["decimal_comma_coordinates"] = int((lat_comma | lon_comma).sum())
    lat_missing = raw[lat_col].isna().to_numpy() | _blank(raw[lat_col], lat)
    lon_missing = raw[lon_col].isna().to_numpy() | _blank(raw[lon_col], lon)
    both = lat_missing & lon_missing
    ledger.reject(both, "missing coordinates", f"{lat_col}, {lon_col}")
    ledger.reject(lat_missing & ~both, "missing latitude", lat_col)
    ledger.reject(lon_missing & ~both, "missing longitude", lon_col)
    ledger.reject(np.isnan(lat) & ~lat_missing, "latitude is not a number", lat_col)
    ledger.reject(np.isnan(lon) & ~lon_missing, "longitude is not a number", lon_col)
    numeric = ~np.isnan(lat) & ~np.isnan(lon)
    with np.errstate(invalid="ignore"):
        lat_bad = ~np.isnan(lat) & ~(np.abs(lat) <= 90)
        lon_bad = ~np.isnan(lon) & ~(np.abs(lon) <= 180)
        swapped_range = numeric & lat_bad & ~lon_bad & (np.abs(lon) <= 90) & (np.abs(lat) <= 180)
    ledger.reject(
        swapped_range, "latitude out of range; latitude and longitude look swapped", lat_col
    )
    ledger.reject(lat_bad & ~swapped_range, "latitude out of range", lat_col)
    ledger.reject(lon_bad, "longitude out of range", lon_col)
    null_island = numeric & (lat == 0) & (lon == 0)
    ledger.reject(null_island, "null island coordinates (0, 0)", f"{lat_col}, {lon_col}")
    usable = numeric & ~lat_bad & ~lon_bad & ~null_island
    return _Coords(lat, lon, lat_col, lon_col, numeric, swapped_range, usable)


#: A number written with a decimal comma ("12,5", "-1,627").
_DECIMAL_COMMA: Final = re.compile(r"\s*[+-]?\d+,\d+\s*")


def _coordinate(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates as floats (decimal commas read); and the cells that had a decimal comma."""
    num = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", copy=True)
    comma = np.zeros(len(values), dtype=bool)
    failed = np.isnan(num) & values.notna().to_numpy()
    if failed.any():
        text = values[failed].astype("str")
        hit = text.str.fullmatch(_DECIMAL_COMMA).fillna(False).to_numpy(dtype=bool)
        if hit.any():
            where = np.flatnonzero(failed)[hit]
            num[where] = text[hit].str.replace(",", ".", regex=False).astype("float64")
            comma[where] = True
    return num, comma


def _check_layout(layout: TableLayout, rows: np.ndarray, origin: str, ledger: _Ledger) -> None:
    """Reject a cut-off last row and rows with more fields than the header; note the rest."""
    fields = np.asarray(layout.fields, dtype=np.int64)
    n_header = layout.n_header
    if layout.blank_lines:
        ledger.notes["blank_lines_skipped"] = layout.blank_lines
    long = fields > n_header
    if long.any():
        text = np.array(
            [f"row has {k} fields, the header {n_header}" for k in fields], dtype=object
        )
        ledger.reject(long, text, "(whole row)")
    short = fields < n_header
    if layout.truncated and len(rows):
        cut = np.zeros(len(rows), dtype=bool)
        cut[-1] = True
        ledger.reject(cut, f"truncated last row: {layout.truncated}", "(whole row)")
        short[-1] = False
        logger.warning(
            "%s: the last row (row %d) is cut off: %s. The file looks incomplete (a partial "
            "download?): the row was rejected; download or export the file again.",
            origin,
            int(rows[-1]),
            layout.truncated,
        )
    if short.any():
        ledger.notes["short_rows"] = int(short.sum())
        logger.warning(
            "%s: %d row(s) have fewer fields than the header (%d): their missing cells are "
            "read as empty. Check rows %s.",
            origin,
            int(short.sum()),
            n_header,
            _rows_text(rows[short]),
        )


#: Events dated before this are rejected (ACLED starts in 1997, UCDP GED in 1989).
_EARLIEST: Final = pd.Timestamp("1900-01-01")


def _ns(dates: pd.Series) -> pd.Series:
    """Dates as ``datetime64[ns]``; the few outside its range (rejected rows) as NaT."""
    inside = (dates >= pd.Timestamp.min) & (dates <= pd.Timestamp.max)
    return dates.where(inside).astype("datetime64[ns]")


def _check_future(
    start: pd.Series,
    end: pd.Series,
    spec: EventSpec,
    rows: np.ndarray,
    origin: str,
    ledger: _Ledger,
) -> None:
    """Reject events dated after tomorrow (one day of slack for time zones) or before 1900."""
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
            _rows_text(rows[late | late_end]),
        )


def _check_dates(
    raw: pd.DataFrame, spec: EventSpec, ledger: _Ledger
) -> tuple[pd.Series, pd.Series]:
    """Parse event_date (and date_end, else a copy of it); reject missing and bad dates."""
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


def _event_ids(
    raw: pd.DataFrame, spec: EventSpec, rows: np.ndarray, ledger: _Ledger
) -> tuple[pd.Series, str]:
    """Return the event ids and their source column ("" when generated from row numbers)."""
    if "event_id" in spec.columns:
        id_col = spec.columns["event_id"]
        ids = _normalise_ids(raw[id_col])
        ledger.reject(ids.isna().to_numpy(), "missing event_id", id_col)
        return ids, id_col
    ids = (spec.id_prefix + "-" + pd.Series(rows, index=raw.index).astype("str")).astype("str")
    ledger.notes["generated_event_id"] = len(raw)
    return ids, ""


def _fatality_counts(
    raw: pd.DataFrame, cols: Mapping[str, str], ledger: _Ledger
) -> dict[str, pd.Series]:
    """Return fatality counts as floats (NaN when not mapped); reject bad counts.

    Rejected: text, negative, fractional and implausibly large counts (over
    :data:`~sahel_geo.core.schema.MAX_EVENT_FATALITIES`).
    """
    counts: dict[str, pd.Series] = {}
    for name in ("fatalities", "civilian_fatalities"):
        if name not in cols:
            counts[name] = pd.Series(np.nan, index=raw.index, dtype="float64")
            continue
        src = raw[cols[name]]
        num = pd.to_numeric(src, errors="coerce").astype("float64")
        not_number = (src.notna() & num.isna()) | np.isinf(num)
        ledger.reject(not_number.to_numpy(), f"{name} is not a number", cols[name])
        ledger.reject((num < 0).to_numpy(), f"negative {name}", cols[name])
        finite = num.where(~np.isinf(num))
        ledger.reject(
            (finite != np.floor(finite)).to_numpy() & finite.notna().to_numpy(),
            f"{name} is not a whole number",
            cols[name],
        )
        ledger.reject(
            (finite > MAX_EVENT_FATALITIES).to_numpy(),
            f"{name} over {MAX_EVENT_FATALITIES} for one event (implausible)",
            cols[name],
        )
        counts[name] = num
    return counts


def _reject_duplicate_ids(ids: pd.Series, id_col: str, rows: np.ndarray, ledger: _Ledger) -> None:
    """Reject repeats of an id among rows that are otherwise fine, naming the first row."""
    ok_ids = ids[ledger.ok()]
    dup = ok_ids.duplicated(keep="first")
    if not dup.any():
        return
    dup_values = ok_ids[dup]
    firsts = ok_ids[~dup & ok_ids.isin(set(dup_values))]
    first_row = pd.Series(rows[firsts.index.to_numpy()], index=firsts.to_numpy())
    where = dup_values.index.to_numpy()
    text = (
        "duplicate event_id (first at row "
        + dup_values.map(first_row).astype("int64").astype("str")
        + ")"
    ).to_numpy(dtype=object)
    n = len(ids)
    full = np.full(n, "", dtype=object)
    full[where] = text
    dmask = np.zeros(n, dtype=bool)
    dmask[where] = True
    ledger.reject(dmask, full, id_col)


def _country_codes(raw: pd.DataFrame, spec: EventSpec, ledger: _Ledger) -> pd.Series:
    """ISO3 codes from the first of the spec's country columns that has one."""
    iso3 = pd.Series(np.nan, index=raw.index, dtype="str")
    present = [c for c in spec.country_columns if c in raw.columns]
    if not present:
        return iso3
    has_value = pd.Series(False, index=raw.index)
    for c in present:
        codes, _ = iso3_from_values(raw[c])
        iso3 = iso3.where(iso3.notna(), codes)
        has_value |= raw[c].notna()
    unknown = int((has_value & iso3.isna()).sum())
    if unknown:
        ledger.notes["unknown_country"] = unknown
    return iso3


def _bbox_flags(coords: _Coords, iso3: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Rows outside their country's box whose swapped point is inside it; rows outside."""
    bbox = pd.DataFrame.from_dict(COUNTRY_BBOX, orient="index", columns=["x0", "y0", "x1", "y1"])
    box = bbox.reindex(iso3.to_numpy()).to_numpy(dtype="float64")
    lat, lon = coords.lat, coords.lon
    with np.errstate(invalid="ignore"):
        inside = (lon >= box[:, 0]) & (lon <= box[:, 2]) & (lat >= box[:, 1]) & (lat <= box[:, 3])
        inside_sw = (
            (lat >= box[:, 0]) & (lat <= box[:, 2]) & (lon >= box[:, 1]) & (lon <= box[:, 3])
        )
    checkable = coords.usable & ~np.isnan(box[:, 0])
    return checkable & ~inside & inside_sw, checkable & ~inside & ~inside_sw


def _fail_on_swapped_columns(
    coords: _Coords, bbox_swap: np.ndarray, spec: EventSpec, origin: str
) -> None:
    """Raise when most rows with numeric coordinates look like latitude/longitude swaps."""
    n_numeric = int(coords.numeric.sum())
    n_swapped = int(bbox_swap.sum() + coords.swapped_range.sum())
    if n_numeric and n_swapped > _SWAP_SHARE * n_numeric:
        lat_col, lon_col = coords.lat_col, coords.lon_col
        raise SchemaError(
            f"{spec.reader}: in {origin}, {n_swapped} of {n_numeric} rows with numeric "
            f"coordinates look like latitude and longitude swapped: the {lat_col!r} and "
            f"{lon_col!r} columns look swapped. Swap the two column names in the file, or "
            f"read it with read_events(path, columns={{..., 'latitude': {lon_col!r}, "
            f"'longitude': {lat_col!r}}})."
        )


def _note_bbox(
    bbox_swap: np.ndarray,
    outside: np.ndarray,
    keep: np.ndarray,
    rows: np.ndarray,
    origin: str,
    ledger: _Ledger,
) -> None:
    """Count (and name in a warning) kept rows that look swapped or lie outside their box."""
    if bbox_swap.any():
        keep_swap = bbox_swap & keep
        ledger.notes["likely_latlon_swap"] = int(keep_swap.sum())
        if keep_swap.any():
            logger.warning(
                "%s: %d kept row(s) lie outside their country's bounding box while the "
                "swapped point (latitude as longitude) lies inside it: likely latitude/"
                "longitude swaps, kept as read. Check rows %s.",
                origin,
                int(keep_swap.sum()),
                _rows_text(rows[keep_swap]),
            )
    if outside.any():
        ledger.notes["outside_country_bbox"] = int((outside & keep).sum())


def _note_estimate_order(
    raw: pd.DataFrame,
    spec: EventSpec,
    keep: np.ndarray,
    rows: np.ndarray,
    origin: str,
    ledger: _Ledger,
) -> None:
    """Count (and name in a warning) kept rows whose ordered estimates are out of order."""
    if not spec.ordered_estimates or not all(c in raw.columns for c in spec.ordered_estimates):
        return
    est = [pd.to_numeric(raw[c], errors="coerce").to_numpy() for c in spec.ordered_estimates]
    with np.errstate(invalid="ignore"):
        disorder = np.logical_or.reduce([a > b for a, b in itertools.pairwise(est)]) & keep
    if disorder.any():
        names = " <= ".join(spec.ordered_estimates)
        ledger.notes["fatality_estimates_out_of_order"] = int(disorder.sum())
        logger.warning(
            "%s: %d kept row(s) break %s (kept as read; 'fatalities' is the source's "
            "best estimate). Check rows %s.",
            origin,
            int(disorder.sum()),
            names,
            _rows_text(rows[disorder]),
        )


def _canonical_frame(
    raw: pd.DataFrame, spec: EventSpec, parsed: _Parsed, ledger: _Ledger
) -> pd.DataFrame:
    """Return the canonical columns of every row (kept or not), in schema order."""
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
    data["fatalities"] = parsed.counts["fatalities"]
    if parsed.civilian is None:
        data["civilian_fatalities"] = parsed.counts["civilian_fatalities"]
    else:
        data["civilian_fatalities"] = parsed.counts["fatalities"].where(parsed.civilian, 0.0)
    data["notes"] = (
        raw[cols["notes"]].astype("str")
        if "notes" in cols
        else pd.Series(np.nan, index=raw.index, dtype="str")
    )
    return pd.DataFrame(data, index=raw.index)[list(EVENT_COLUMNS)]


def _time_precision(raw: pd.DataFrame, spec: EventSpec, ledger: _Ledger) -> pd.Series:
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


def _location_level(raw: pd.DataFrame, spec: EventSpec, ledger: _Ledger) -> pd.Series:
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


def _event_text(raw: pd.DataFrame, spec: EventSpec, ledger: _Ledger) -> dict[str, pd.Series]:
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


def _civilian_flags(raw: pd.DataFrame, spec: EventSpec) -> np.ndarray | None:
    """Rows the spec's civilian rule marks as targeting civilians (None: no rule applies)."""
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


def _perpetrator_group(raw: pd.DataFrame, spec: EventSpec, ledger: _Ledger) -> pd.Series:
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


def _source_columns(raw: pd.DataFrame, spec: EventSpec) -> tuple[list[object], dict[object, str]]:
    """Source columns kept beside the canonical ones, and their names (prefixed on clash)."""
    merged = {c for c, s in spec.columns.items() if c == s and c in _PASSTHROUGH}
    used = set(EVENT_COLUMNS) | {"geometry"}
    rename: dict[object, str] = {}
    kept_cols: list[object] = []
    for c in raw.columns:
        if c in merged:
            continue
        new = str(c)
        while new in used:
            new = f"{spec.prefix}_{new}"
        used.add(new)
        rename[c] = new
        kept_cols.append(c)
    return kept_cols, rename


def _kept_events(
    canon: pd.DataFrame, raw: pd.DataFrame, coords: _Coords, keep: np.ndarray, spec: EventSpec
) -> gpd.GeoDataFrame:
    """Return the kept rows: canonical columns, then the source's, with points."""
    kept_cols, rename = _source_columns(raw, spec)
    kept = pd.concat(
        [canon.loc[keep], raw.loc[keep, kept_cols].rename(columns=rename)], axis=1
    ).reset_index(drop=True)
    geometry = gpd.points_from_xy(coords.lon[keep], coords.lat[keep], crs=WGS84)
    return gpd.GeoDataFrame(kept, geometry=geometry, crs=WGS84)


def _rejects_table(
    raw: pd.DataFrame, rows: np.ndarray, ledger: _Ledger, keep: np.ndarray, spec: EventSpec
) -> pd.DataFrame:
    """Row number, reason and column of every rejected row, then its source cells as text."""
    rej_mask = ~keep
    if not rej_mask.any():
        return empty_reject_frame([str(c) for c in raw.columns])
    rej_raw = raw.loc[rej_mask].astype("string")
    clash = [c for c in rej_raw.columns if c in {"row", "reason", "column"}]
    rej_raw = rej_raw.rename(columns={c: f"{spec.prefix}_{c}" for c in clash})
    head = pd.DataFrame(
        {
            "row": rows[rej_mask],
            "reason": pd.array(ledger.reason[rej_mask], dtype="str"),
            "column": pd.array(ledger.column[rej_mask], dtype="str"),
        },
        index=rej_raw.index,
    )
    return pd.concat([head, rej_raw], axis=1).reset_index(drop=True)


def _log_outcome(origin: str, report: StepReport) -> None:
    """Warn when nothing was read or nothing kept; log the report's summary."""
    if report.n_in == 0:
        logger.warning("%s: no data rows (header only); returning an empty events table.", origin)
    elif report.n_kept == 0:
        top = next(iter(report.rejected_by_reason))
        logger.warning(
            "%s: every one of the %d rows was rejected (most often: %s); see "
            "sahel_geo.rejects(events). Check the file and the column mapping.",
            origin,
            report.n_in,
            top,
        )
    logger.info(report.summary())
