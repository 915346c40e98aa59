"""The one canonical events builder behind every event reader.

``build_events`` turns a raw table (as read from the file, every column untouched) and an
:class:`EventSpec` (which source column feeds which canonical column, which code tables
apply) into the canonical events GeoDataFrame, with a :class:`~sahel_geo.StepReport`
holding every rejected row. Files are read by :mod:`sahel_geo.io._tables`. Both are
private: the public readers are in :mod:`sahel_geo.io.events`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from sahel_geo.core.errors import SchemaError
from sahel_geo.core.reports import StepReport, attach_report
from sahel_geo.core.schema import EVENT_COLUMNS, LOCATION_LEVELS, WGS84
from sahel_geo.io._countries import COUNTRY_BBOX, iso3_from_values

__all__ = ["EventSpec", "build_events", "empty_reject_frame"]

logger = logging.getLogger(__name__)

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


# --------------------------------------------------------------------------------------
# parsing whole columns
# --------------------------------------------------------------------------------------


def _parse_dates(values: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        naive: pd.Series = values.dt.tz_convert(None)
        return naive.astype("datetime64[ns]")
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.astype("datetime64[ns]")
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if pd.api.types.is_bool_dtype(values.dtype):
        return out
    if pd.api.types.is_numeric_dtype(values.dtype):
        # numbers are not dates; as text, 20190315 can still be a basic ISO 8601 date
        values = values.astype("str").where(values.notna())
    elif values.dtype == object:
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind not in {"string", "empty"}:
            # mixed spreadsheet cells: date cells as they are, anything else as text
            # (the per-cell type check only runs on such mixed columns)
            is_date = values.map(lambda v: isinstance(v, dt.date | np.datetime64)).astype(bool)
            if is_date.any():
                out[is_date] = pd.to_datetime(values[is_date]).astype("datetime64[ns]")
            values = values.where(~is_date & values.notna()).map(
                lambda v: v if isinstance(v, str) or pd.isna(v) else str(v)
            )
    todo = values.notna()
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
            parsed = pd.to_datetime(chunk, format=fmt, errors="coerce")
            if isinstance(parsed.dtype, pd.DatetimeTZDtype):
                parsed = parsed.dt.tz_convert(None)
            if fmt == "ISO8601" and chunk.dtype != "datetime64[ns]":
                # ISO 8601 also reads "2019" and "2019-03" (as the 1st): a year or a month
                # is not a date, so text shorter than YYYYMMDD is not accepted
                short = chunk.astype("str").str.len() < 8
                parsed = parsed.where(~short.fillna(False).astype(bool))
            out[parsed.index] = parsed.astype("datetime64[ns]")
            todo = todo & out.isna()
        if not todo.any():
            break
    return out


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


def build_events(
    raw: pd.DataFrame,
    spec: EventSpec,
    *,
    origin: str,
    step: str,
) -> gpd.GeoDataFrame:
    """Build the canonical events GeoDataFrame from a raw table; attach the step report.

    ``raw`` is not modified. Row numbers in the rejects are 1-based positions in ``raw``
    (the data row number in the file, header excluded).
    """
    _check_columns(raw, spec, origin)
    raw = raw.reset_index(drop=True)
    n = len(raw)
    cols = spec.columns
    rows = np.arange(1, n + 1, dtype=np.int64)
    reason = np.full(n, "", dtype=object)
    column = np.full(n, "", dtype=object)
    notes: dict[str, int] = {}

    def reject(mask: np.ndarray | pd.Series, text: str | np.ndarray, col: str) -> None:
        m = np.asarray(mask, dtype=bool)
        if isinstance(text, np.ndarray):
            text = text[m]
        _concat_reason(reason, m, text)
        _concat_reason(column, m, col)

    # -- coordinates ---------------------------------------------------------------------
    lat_col, lon_col = cols["latitude"], cols["longitude"]
    lat = pd.to_numeric(raw[lat_col], errors="coerce").to_numpy(dtype="float64")
    lon = pd.to_numeric(raw[lon_col], errors="coerce").to_numpy(dtype="float64")
    lat_missing = raw[lat_col].isna().to_numpy()
    lon_missing = raw[lon_col].isna().to_numpy()
    lat_missing = lat_missing | _blank(raw[lat_col], lat)
    lon_missing = lon_missing | _blank(raw[lon_col], lon)
    both = lat_missing & lon_missing
    reject(both, "missing coordinates", f"{lat_col}, {lon_col}")
    reject(lat_missing & ~both, "missing latitude", lat_col)
    reject(lon_missing & ~both, "missing longitude", lon_col)
    lat_text = np.isnan(lat) & ~lat_missing
    lon_text = np.isnan(lon) & ~lon_missing
    reject(lat_text, "latitude is not a number", lat_col)
    reject(lon_text, "longitude is not a number", lon_col)
    numeric = ~np.isnan(lat) & ~np.isnan(lon)
    with np.errstate(invalid="ignore"):
        lat_bad = ~np.isnan(lat) & ~(np.abs(lat) <= 90)
        lon_bad = ~np.isnan(lon) & ~(np.abs(lon) <= 180)
        swapped_range = numeric & lat_bad & ~lon_bad & (np.abs(lon) <= 90) & (np.abs(lat) <= 180)
    reject(swapped_range, "latitude out of range; latitude and longitude look swapped", lat_col)
    reject(lat_bad & ~swapped_range, "latitude out of range", lat_col)
    reject(lon_bad, "longitude out of range", lon_col)
    null_island = numeric & (lat == 0) & (lon == 0)
    reject(null_island, "null island coordinates (0, 0)", f"{lat_col}, {lon_col}")
    coords_ok = numeric & ~lat_bad & ~lon_bad & ~null_island

    # -- dates ---------------------------------------------------------------------------
    date_col = cols["event_date"]
    start = _parse_dates(raw[date_col], spec.date_formats)
    start_missing = raw[date_col].isna().to_numpy()
    start_bad = start.isna().to_numpy() & ~start_missing
    reject(start_missing, "missing event_date", date_col)
    reject(start_bad, "event_date could not be parsed", date_col)
    if "date_end" in cols:
        end_col = cols["date_end"]
        end = _parse_dates(raw[end_col], spec.date_formats)
        end_missing = raw[end_col].isna().to_numpy()
        reject(end.isna().to_numpy() & ~end_missing, "date_end could not be parsed", end_col)
        before = (end < start).to_numpy()
        reject(before, "date_end before event_date", f"{date_col}, {end_col}")
        fill = end_missing & start.notna().to_numpy()
        if fill.any():
            notes["date_end_missing_set_to_event_date"] = int(fill.sum())
        end = end.where(~end_missing, start)
    else:
        end = start.copy()

    # -- ids -----------------------------------------------------------------------------
    if "event_id" in cols:
        id_col = cols["event_id"]
        ids = _normalise_ids(raw[id_col])
        reject(ids.isna().to_numpy(), "missing event_id", id_col)
    else:
        id_col = ""
        ids = (spec.id_prefix + "-" + pd.Series(rows, index=raw.index).astype("str")).astype("str")
        notes["generated_event_id"] = n

    # -- fatalities ----------------------------------------------------------------------
    counts: dict[str, pd.Series] = {}
    for name in ("fatalities", "civilian_fatalities"):
        if name not in cols:
            counts[name] = pd.Series(np.nan, index=raw.index, dtype="float64")
            continue
        src = raw[cols[name]]
        num = pd.to_numeric(src, errors="coerce").astype("float64")
        not_number = (src.notna() & num.isna()) | np.isinf(num)
        reject(not_number.to_numpy(), f"{name} is not a number", cols[name])
        reject((num < 0).to_numpy(), f"negative {name}", cols[name])
        counts[name] = num

    # -- duplicates among rows that are otherwise fine -----------------------------------
    ok = reason == ""
    if id_col:
        ok_ids = ids[ok]
        dup = ok_ids.duplicated(keep="first")
        if dup.any():
            dup_values = ok_ids[dup]
            firsts = ok_ids[~dup & ok_ids.isin(set(dup_values))]
            first_row = pd.Series(rows[firsts.index.to_numpy()], index=firsts.to_numpy())
            where = dup_values.index.to_numpy()
            text = (
                "duplicate event_id (first at row "
                + dup_values.map(first_row).astype("int64").astype("str")
                + ")"
            ).to_numpy(dtype=object)
            full = np.full(n, "", dtype=object)
            full[where] = text
            dmask = np.zeros(n, dtype=bool)
            dmask[where] = True
            reject(dmask, full, id_col)

    # -- country -------------------------------------------------------------------------
    iso3 = pd.Series(np.nan, index=raw.index, dtype="str")
    present = [c for c in spec.country_columns if c in raw.columns]
    if present:
        has_value = pd.Series(False, index=raw.index)
        for c in present:
            codes, _ = iso3_from_values(raw[c])
            iso3 = iso3.where(iso3.notna(), codes)
            has_value |= raw[c].notna()
        unknown = int((has_value & iso3.isna()).sum())
        if unknown:
            notes["unknown_country"] = unknown

    # -- lat/lon swaps against country bounding boxes ------------------------------------
    bbox = pd.DataFrame.from_dict(COUNTRY_BBOX, orient="index", columns=["x0", "y0", "x1", "y1"])
    box = bbox.reindex(iso3.to_numpy()).to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        inside = (lon >= box[:, 0]) & (lon <= box[:, 2]) & (lat >= box[:, 1]) & (lat <= box[:, 3])
        inside_sw = (
            (lat >= box[:, 0]) & (lat <= box[:, 2]) & (lon >= box[:, 1]) & (lon <= box[:, 3])
        )
    checkable = coords_ok & ~np.isnan(box[:, 0])
    bbox_swap = checkable & ~inside & inside_sw
    outside = checkable & ~inside & ~inside_sw
    n_numeric = int(numeric.sum())
    n_swapped = int(bbox_swap.sum() + swapped_range.sum())
    if n_numeric and n_swapped > _SWAP_SHARE * n_numeric:
        raise SchemaError(
            f"{spec.reader}: in {origin}, {n_swapped} of {n_numeric} rows with numeric "
            f"coordinates look like latitude and longitude swapped: the {lat_col!r} and "
            f"{lon_col!r} columns look swapped. Swap the two column names in the file, or "
            f"read it with read_events(path, columns={{..., 'latitude': {lon_col!r}, "
            f"'longitude': {lat_col!r}}})."
        )

    # -- the canonical frame -------------------------------------------------------------
    keep = reason == ""
    n_keep = int(keep.sum())
    if bbox_swap.any():
        keep_swap = bbox_swap & keep
        notes["likely_latlon_swap"] = int(keep_swap.sum())
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
        notes["outside_country_bbox"] = int((outside & keep).sum())
    if spec.ordered_estimates and all(c in raw.columns for c in spec.ordered_estimates):
        est = [pd.to_numeric(raw[c], errors="coerce").to_numpy() for c in spec.ordered_estimates]
        with np.errstate(invalid="ignore"):
            disorder = np.logical_or.reduce([a > b for a, b in itertools.pairwise(est)]) & keep
        if disorder.any():
            names = " <= ".join(spec.ordered_estimates)
            notes["fatality_estimates_out_of_order"] = int(disorder.sum())
            logger.warning(
                "%s: %d kept row(s) break %s (kept as read; 'fatalities' is the source's "
                "best estimate). Check rows %s.",
                origin,
                int(disorder.sum()),
                names,
                _rows_text(rows[disorder]),
            )

    data: dict[str, pd.Series] = {}
    data["event_id"] = ids.astype("str")
    data["source"] = pd.Series(spec.source, index=raw.index, dtype="str")
    data["event_date"] = start
    data["date_end"] = end
    if "time_precision" in cols:
        tp_src = raw[cols["time_precision"]]
        if spec.time_precisions is not None:
            tp, unk = _code_table(tp_src, spec.time_precisions)
            if unk:
                notes["unknown_time_precision"] = unk
        else:
            tp = tp_src.astype("str").str.strip().str.lower()
        data["time_precision"] = tp
    else:
        data["time_precision"] = pd.Series(spec.default_time_precision, index=raw.index,
                                           dtype="str")  # fmt: skip
    if "location_precision" in cols:
        data["location_precision"] = _int_codes(raw[cols["location_precision"]])
    else:
        data["location_precision"] = pd.Series(pd.NA, index=raw.index, dtype="Int64")
    if "location_level" in cols:
        lvl = raw[cols["location_level"]].astype("str").str.strip().str.lower()
        bad_lvl = lvl.notna() & ~lvl.isin(LOCATION_LEVELS)
        if bad_lvl.any():
            notes["unknown_location_level"] = int(bad_lvl.sum())
        data["location_level"] = lvl.where(~bad_lvl)
    elif spec.location_levels is not None and "location_precision" in cols:
        lvl, unk = _code_table(raw[cols["location_precision"]], spec.location_levels)
        if unk:
            notes["unknown_location_precision"] = unk
        data["location_level"] = lvl
    else:
        data["location_level"] = pd.Series(spec.default_location_level, index=raw.index,
                                           dtype="str")  # fmt: skip
    data["country_iso3"] = iso3
    for name in ("event_type", "sub_event_type", "actor1", "actor2"):
        if name == "event_type" and spec.event_types is not None and name in cols:
            et, unk = _code_table(raw[cols[name]], spec.event_types)
            if unk:
                notes["unknown_event_type"] = unk
            data[name] = et
        elif name in cols:
            data[name] = raw[cols[name]].astype("str")
        else:
            data[name] = pd.Series(np.nan, index=raw.index, dtype="str")
    data["fatalities"] = counts["fatalities"]
    data["civilian_fatalities"] = counts["civilian_fatalities"]
    data["notes"] = (
        raw[cols["notes"]].astype("str")
        if "notes" in cols
        else pd.Series(np.nan, index=raw.index, dtype="str")
    )
    canon = pd.DataFrame(data, index=raw.index)[list(EVENT_COLUMNS)]

    # source columns: merged, renamed or kept as they are
    merged = {c for c, s in cols.items() if c == s and c in _PASSTHROUGH}
    used = set(EVENT_COLUMNS) | {"geometry"}
    rename: dict[str, str] = {}
    kept_cols: list[str] = []
    for c in raw.columns:
        if c in merged:
            continue
        new = str(c)
        while new in used:
            new = f"{spec.prefix}_{new}"
        used.add(new)
        rename[c] = new
        kept_cols.append(c)

    kept = pd.concat(
        [canon.loc[keep], raw.loc[keep, kept_cols].rename(columns=rename)], axis=1
    ).reset_index(drop=True)
    geometry = gpd.points_from_xy(lon[keep], lat[keep], crs=WGS84)
    gdf = gpd.GeoDataFrame(kept, geometry=geometry, crs=WGS84)

    # -- the report ----------------------------------------------------------------------
    rej_mask = ~keep
    if rej_mask.any():
        rej_raw = raw.loc[rej_mask].astype("string")
        clash = [c for c in rej_raw.columns if c in {"row", "reason", "column"}]
        rej_raw = rej_raw.rename(columns={c: f"{spec.prefix}_{c}" for c in clash})
        rejects = pd.concat(
            [
                pd.DataFrame(
                    {
                        "row": rows[rej_mask],
                        "reason": pd.array(reason[rej_mask], dtype="str"),
                        "column": pd.array(column[rej_mask], dtype="str"),
                    },
                    index=rej_raw.index,
                ),
                rej_raw,
            ],
            axis=1,
        ).reset_index(drop=True)
    else:
        rejects = empty_reject_frame([str(c) for c in raw.columns])
    report = StepReport(
        step=step, source=origin, n_in=n, n_kept=n_keep, rejects=rejects, notes=notes
    )
    attach_report(gdf, report)
    if n == 0:
        logger.warning("%s: no data rows (header only); returning an empty events table.", origin)
    elif n_keep == 0:
        top = next(iter(report.rejected_by_reason))
        logger.warning(
            "%s: every one of the %d rows was rejected (most often: %s); see "
            "sahel_geo.rejects(events). Check the file and the column mapping.",
            origin,
            n,
            top,
        )
    logger.info(report.summary())
    return gdf
