"""The one canonical events builder behind every event reader.

``build_events`` turns a raw table (as read from the file, every column untouched) and an
:class:`EventSpec` (which source column feeds which canonical column, which code tables
apply) into the canonical events GeoDataFrame, with a :class:`~sahel_geo.StepReport`
holding every rejected row. Files are read by :mod:`sahel_geo.io._tables`. Both are
private: the public readers are in :mod:`sahel_geo.io.events`, and this module logs
under that public module's logger (``sahel_geo.io.events``), so a user filtering or
reading log records sees the name of the module they called.

This module holds :func:`build_events` (a sequence of named steps), the table-wide checks
(columns, layout), event ids, countries and the kept events and rejects tables; the
steps' own modules beside it hold the spec (``_event_spec``), the rejects ledger
(``_event_ledger``), coordinates (``_event_coords``), dates (``_event_dates``), fatality
counts (``_event_counts``) and the canonical columns from code tables, text and rules
(``_event_columns``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

from sahel_geo.core.errors import SchemaError
from sahel_geo.core.reports import StepReport, attach_report
from sahel_geo.core.schema import EVENT_COLUMNS, WGS84
from sahel_geo.io._countries import iso3_from_values
from sahel_geo.io._event_columns import Parsed, canonical_frame, civilian_flags
from sahel_geo.io._event_coords import (
    Coords,
    bbox_flags,
    check_coordinates,
    fail_on_swapped_columns,
    note_bbox,
)
from sahel_geo.io._event_counts import fatality_counts, note_estimate_order
from sahel_geo.io._event_dates import as_ns, check_dates, check_future
from sahel_geo.io._event_ledger import Ledger, rows_text
from sahel_geo.io._event_spec import CivilianRule, EventSpec, GroupRule
from sahel_geo.io._tables import TableLayout, table_layout

__all__ = [
    "CivilianRule",
    "EventSpec",
    "GroupRule",
    "build_events",
    "empty_reject_frame",
    "normalise_ids",
]


logger = logging.getLogger("sahel_geo.io.events")

#: Canonical columns whose values are the source column's own values (no parsing, no
#: code table): a source column of the same name feeding it is merged into it.
_PASSTHROUGH: Final = frozenset(
    {"event_type", "sub_event_type", "actor1", "actor2", "notes", "fatalities",
     "civilian_fatalities"}
)  # fmt: skip


def empty_reject_frame(raw_columns: list[str]) -> pd.DataFrame:
    """Rejects table with no rows and the standard columns."""
    cols = {"row": pd.Series(dtype="int64"), "reason": pd.Series(dtype="str"),
            "column": pd.Series(dtype="str")}  # fmt: skip
    for c in raw_columns:
        if c not in cols:
            cols[c] = pd.Series(dtype="string")
    return pd.DataFrame(cols)


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


def build_events(
    raw: pd.DataFrame,
    spec: EventSpec,
    *,
    origin: str,
    step: str,
    kept_before: Mapping[str, int] | None = None,
    consume: bool = False,
) -> gpd.GeoDataFrame:
    """Build the canonical events GeoDataFrame from a raw table; attach the step report.

    ``raw`` is not modified, unless ``consume=True``: then its columns are dropped as
    they are copied into the result (so a large file's table is not held twice), which
    is for a table the caller read itself and drops (the file readers). Row numbers in
    the rejects are the data row numbers of the file when ``raw`` was read by
    :func:`~sahel_geo.io._tables.read_table` (header excluded, blank lines counted: the
    spreadsheet row is ``row + 1``), else the 1-based positions in ``raw``.

    ``kept_before`` is for a table that is one part of a file (a block of
    :func:`~sahel_geo.io.event_blocks.read_events_dask`): the ids kept in the parts
    before it. A row otherwise fine whose id is among them is rejected as the in-memory
    read of the whole file rejects it, ``duplicate event_id (first at row N)``, before any
    note counts the kept rows, so the part's rejects, notes and counts are the ones the
    whole file gives these rows.

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
    kept_before
        Event ids (as :func:`normalise_ids` gives them) kept in an earlier part of the
        file, each with the file row number that kept it. Default: none.
    consume
        Drop ``raw``'s columns as they are copied (``raw`` is emptied).

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical events (EPSG:4326) with a :class:`~sahel_geo.StepReport` attached;
        rows in = rows kept + rows rejected.
    """
    _check_columns(raw, spec, origin)
    layout = table_layout(raw)
    if not (consume and raw.index.equals(pd.RangeIndex(len(raw)))):
        raw = raw.reset_index(drop=True)  # a new frame: the caller's is left whole
    n = len(raw)
    rows = np.arange(1, n + 1, dtype=np.int64)
    ledger = Ledger.for_rows(n)
    ledger.notes.update(spec.notes)
    if layout is not None:
        rows = np.asarray(layout.rows, dtype=np.int64)
        _check_layout(layout, rows, origin, ledger)
    coords = check_coordinates(raw, spec.columns, ledger)
    start, end = check_dates(raw, spec, ledger)
    check_future(start, end, spec, rows, origin, ledger)
    start, end = as_ns(start), as_ns(end)
    ids, id_col = _event_ids(raw, spec, rows, ledger)
    counts = fatality_counts(raw, spec.columns, ledger)
    if id_col:
        _reject_kept_before(ids, id_col, kept_before or {}, ledger)
        _reject_duplicate_ids(ids, id_col, rows, ledger)
    iso3 = _country_codes(raw, spec, ledger)
    bbox_swap, outside = bbox_flags(coords, iso3)
    fail_on_swapped_columns(coords, bbox_swap, spec, origin)
    keep = ledger.ok()
    note_bbox(bbox_swap, outside, keep, rows, origin, ledger)
    note_estimate_order(raw, spec, keep, rows, origin, ledger)
    civilian = civilian_flags(raw, spec)
    if civilian is not None and spec.civilian_rule is not None:
        ledger.notes[spec.civilian_rule.note] = int((civilian & keep).sum())
    parsed = Parsed(ids, start, end, iso3, counts, civilian)
    canon = canonical_frame(raw, spec, parsed, ledger)
    rejects = _rejects_table(raw, rows, ledger, keep, spec)
    gdf = _kept_events(canon, raw, coords, keep, spec, consume)
    report = StepReport(
        step=step, source=origin, n_in=n, n_kept=int(keep.sum()), rejects=rejects,
        notes=ledger.notes,
    )  # fmt: skip
    attach_report(gdf, report)
    _log_outcome(origin, report)
    return gdf


def _check_layout(layout: TableLayout, rows: np.ndarray, origin: str, ledger: Ledger) -> None:
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
            rows_text(rows[short]),
        )


def _event_ids(
    raw: pd.DataFrame, spec: EventSpec, rows: np.ndarray, ledger: Ledger
) -> tuple[pd.Series, str]:
    """Return the event ids and their source column ("" when generated from row numbers)."""
    if "event_id" in spec.columns:
        id_col = spec.columns["event_id"]
        ids = normalise_ids(raw[id_col])
        ledger.reject(ids.isna().to_numpy(), "missing event_id", id_col)
        return ids, id_col
    ids = (spec.id_prefix + "-" + pd.Series(rows, index=raw.index).astype("str")).astype("str")
    ledger.notes["generated_event_id"] = len(raw)
    return ids, ""


def normalise_ids(values: pd.Series) -> pd.Series:
    """Return event ids as the readers store them: text, trimmed, ``300380.0`` -> ``300380``.

    The one normaliser of event ids: the builder's ``event_id`` column, its duplicate
    check and the cross-block check of :func:`~sahel_geo.io.event_blocks.read_events_dask`
    all compare ids in this form.

    Parameters
    ----------
    values
        A raw id column (numbers or text).

    Returns
    -------
    pandas.Series
        Text ids, missing where the id is missing or blank.

    Examples
    --------
    >>> normalise_ids(pd.Series([300380.0, None])).tolist()
    ['300380', nan]
    >>> normalise_ids(pd.Series([" MLI1 ", "7.0"])).tolist()
    ['MLI1', '7']
    """
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


def _plain_ascii(text: pd.Series) -> bool:
    """Whether Arrow-backed text is all printable ASCII without blanks or dots (a byte scan)."""
    array = getattr(text.array, "_pa_array", None)
    if array is None:
        return False
    for chunk in array.chunks:
        data = chunk.buffers()[2]
        if data is None:
            continue
        octets = np.frombuffer(data, dtype=np.uint8)  # padding too: a zero says "no"
        if not ((octets > 0x20) & (octets < 0x7F) & (octets != 0x2E)).all():
            return False
    return True


def _odd_ids(text: pd.Series) -> pd.Series:
    """Ids with blanks around them or a ``.0`` tail (numpy string ufuncs when ids are short)."""
    if _plain_ascii(text):  # no blank and no dot anywhere: none is odd
        return pd.Series(False, index=text.index)
    present = text.notna().to_numpy()
    objs = text.fillna("").to_numpy(dtype=object)
    if len(objs) and max(map(len, objs)) <= 64:
        u = objs.astype("U")
        tail = np.strings.endswith(np.strings.rstrip(u, "0"), ".") & np.strings.endswith(u, "0")
        odd = ((np.strings.strip(u) != u) | tail) & present
        return pd.Series(odd, index=text.index)
    return text.str.contains(r"^\s|\s$|\.0+$", regex=True, na=False).astype(bool)


def _reject_kept_before(
    ids: pd.Series, id_col: str, kept_before: Mapping[str, int], ledger: Ledger
) -> None:
    """Reject the rows, fine so far, whose id was kept in an earlier part of the file.

    The reason names the row that kept the id, as for a repeat within the table.
    """
    if not kept_before:
        return
    ok = np.flatnonzero(ledger.ok())
    first = ids.iloc[ok].map(kept_before).to_numpy(dtype="float64", na_value=np.nan)
    hit = ~np.isnan(first)
    if not hit.any():
        return
    n = len(ids)
    text = np.full(n, "", dtype=object)
    text[ok[hit]] = [f"duplicate event_id (first at row {int(r)})" for r in first[hit].tolist()]
    mask = np.zeros(n, dtype=bool)
    mask[ok[hit]] = True
    ledger.reject(mask, text, id_col)


def _reject_duplicate_ids(ids: pd.Series, id_col: str, rows: np.ndarray, ledger: Ledger) -> None:
    """Reject repeats of an id among rows that are otherwise fine, naming the first row.

    The ids are factorised once (integer codes; no copy of the text): the first row of
    each code among the rows that are fine is kept, its later rows are rejected.
    """
    ok = np.flatnonzero(ledger.ok())
    codes = pd.factorize(ids)[0][ok]  # a missing id (code -1) is never fine here
    present = codes >= 0
    ok, codes = ok[present], codes[present]
    seen, first = np.unique(codes, return_index=True)
    if len(seen) == len(codes):
        return
    dup = np.ones(len(codes), dtype=bool)
    dup[first] = False
    first_at = np.zeros(int(seen[-1]) + 1, dtype=np.int64)
    first_at[seen] = ok[first]
    where = ok[dup]
    first_rows = rows[first_at[codes[dup]]]
    text = np.array([f"duplicate event_id (first at row {r})" for r in first_rows.tolist()])
    n = len(ids)
    full = np.full(n, "", dtype=object)
    full[where] = text
    dmask = np.zeros(n, dtype=bool)
    dmask[where] = True
    ledger.reject(dmask, full, id_col)


def _country_codes(raw: pd.DataFrame, spec: EventSpec, ledger: Ledger) -> pd.Series:
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
    canon: pd.DataFrame,
    raw: pd.DataFrame,
    coords: Coords,
    keep: np.ndarray,
    spec: EventSpec,
    consume: bool,
) -> gpd.GeoDataFrame:
    """Return the kept rows: canonical columns, then the source's, with points."""
    kept_cols, rename = _source_columns(raw, spec)
    rows = _Rows.of(keep)
    source = _kept_columns(raw, kept_cols, rows, consume)
    geometry = gpd.points_from_xy(coords.lon[keep], coords.lat[keep], crs=WGS84)
    canonical = _kept_columns(canon, list(canon.columns), rows, False)
    columns = {
        **{c: canonical[c] for c in canonical.columns},
        **{rename[c]: _settled(source[c]) for c in source.columns},
        "geometry": geometry,
    }
    # from the columns, uncopied: a GeoDataFrame of a frame would consolidate (copy) them
    return gpd.GeoDataFrame(columns, geometry="geometry", crs=WGS84, copy=False)


def _settled(column: pd.Series) -> pd.Series:
    """Give a Python-object column of the kept rows the type its values now share.

    A table given in memory can hold numbers and text in one column (a latitude such as
    ``"14.1N"`` among floats); once the rows with text are rejected, the kept numbers
    become a float column, as pandas would have read them from a file. Other columns are
    returned as they are. Without this, a kept column of Python floats would change type
    on a round trip through Parquet.
    """
    return column.infer_objects() if column.dtype == object else column


#: Kept rows in at most this many runs are Arrow slices of the table's text (no copy).
_MAX_RUNS: Final = 256


@dataclass(frozen=True)
class _Rows:
    """The kept rows: their positions, and their runs (start, stop) when few."""

    where: np.ndarray
    runs: np.ndarray | None

    @classmethod
    def of(cls, keep: np.ndarray) -> _Rows:
        edges = np.flatnonzero(np.diff(np.concatenate([[0], keep.astype(np.int8), [0]])))
        runs = edges.reshape(-1, 2)
        return cls(np.flatnonzero(keep), runs if len(runs) <= _MAX_RUNS else None)

    def take(self, values: pd.Series) -> pd.Series:
        """Return the kept values (RangeIndex); Arrow text as slices when the runs are few."""
        array = getattr(values.array, "_pa_array", None)
        if self.runs is None or not isinstance(values.dtype, pd.StringDtype):
            return values.take(self.where).reset_index(drop=True)
        if not isinstance(array, pa.ChunkedArray):
            return values.take(self.where).reset_index(drop=True)
        parts = [c for a, b in self.runs.tolist() for c in array.slice(a, b - a).chunks]
        sliced = pd.array(pa.chunked_array(parts, type=array.type), dtype=values.dtype)
        return pd.Series(sliced, name=values.name, copy=False)


def _kept_columns(
    frame: pd.DataFrame, columns: list[object], rows: _Rows, consume: bool
) -> pd.DataFrame:
    """Return the kept rows of the columns; ``consume`` drops each from ``frame``."""
    taken = {}
    pool = pa.default_memory_pool()
    for c in columns:
        taken[c] = rows.take(frame[c])
        if consume:
            del frame[c]
            pool.release_unused()  # give a freed column back now (mimalloc keeps it else)
    if consume:
        for c in list(frame.columns):  # merged into canonical columns: not kept
            del frame[c]
    index = pd.RangeIndex(len(rows.where))
    return pd.DataFrame(taken, index=index, columns=pd.Index(columns, dtype=object), copy=False)


def _rejects_table(
    raw: pd.DataFrame, rows: np.ndarray, ledger: Ledger, keep: np.ndarray, spec: EventSpec
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
