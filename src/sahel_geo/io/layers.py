"""Writing a table or layer by its file suffix, and reading an events file of any source.

:func:`write_layer` picks the format from the suffix of the path:

- ``.geojson`` / ``.json``: :func:`~sahel_geo.write_geojson` (RFC 7946, deterministic).
- ``.csv``: the table without its geometry column, UTF-8, LF line ends, no index,
  floats as the shortest text that reads back to the same number (as in the GeoJSON
  writer), missing values empty, dates as pandas writes them (``2024-01-03`` when
  every value is a midnight, else ``2024-01-03 12:00:00``). Events keep their source
  latitude/longitude columns, so nothing but the geometry object is left out.
- ``.gpkg``: a GeoPackage with one layer (named after the file), written by pyogrio.
- ``.fgb``: FlatGeobuf (one layer, with its spatial index), written by pyogrio. The
  index stores the features in Hilbert-curve order, so they read back in that order,
  not the frame's: join on an id column rather than by position.
- ``.parquet``: GeoParquet (geopandas ``to_parquet``, WKB geometries; a table without
  geometry as plain Parquet). The step reports travel in the file's metadata
  (``df.attrs``): ``sg.reports(gpd.read_parquet(path))`` gives them back.

Every file is written atomically: a temporary file in the same folder, renamed onto the
path only when complete. GeoJSON and CSV are byte-identical for the same frame.
GeoPackage output is as deterministic as GDAL allows: the ``last_change`` timestamps
GDAL stores are pinned to :data:`GPKG_TIMESTAMP`, so two writes of the same frame with
the same GDAL and SQLite versions give the same bytes; other GDAL or SQLite versions may
lay the file out differently. FlatGeobuf and Parquet hold no timestamps: the same frame
gives the same bytes with the same library versions.

:func:`detect_event_source` tells an ACLED export from a UCDP GED file by its columns and
:func:`read_events_auto` reads either (or a table with canonical column names) with the
matching reader.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final, Literal, cast

import geopandas as gpd
import pandas as pd

from sahel_geo.core.errors import ConfigError, InputFileError, SchemaError
from sahel_geo.io._atomic import atomic_path, atomic_write_text
from sahel_geo.io._tables import check_source, read_table
from sahel_geo.io.events import (
    GENERIC_FIELDS,
    build_acled,
    build_ucdp,
    read_acled,
    read_events,
    read_ucdp,
    ucdp_records_frame,
)
from sahel_geo.io.geojson import write_geojson

__all__ = [
    "ACLED_MARKERS",
    "GPKG_TIMESTAMP",
    "LAYER_SUFFIXES",
    "UCDP_MARKERS",
    "EventSource",
    "check_layer_path",
    "csv_text",
    "detect_event_source",
    "read_events_auto",
    "write_layer",
]

EventSource = Literal["auto", "acled", "ucdp", "generic"]

#: Suffixes :func:`write_layer` writes, and the format of each.
LAYER_SUFFIXES: Final[dict[str, str]] = {
    ".geojson": "GeoJSON (RFC 7946)",
    ".json": "GeoJSON (RFC 7946)",
    ".csv": "CSV, without geometry",
    ".gpkg": "GeoPackage",
    ".fgb": "FlatGeobuf",
    ".parquet": "GeoParquet (plain Parquet for a table without geometry)",
}
#: Columns every ACLED export has (matched regardless of letter case).
ACLED_MARKERS: Final[tuple[str, ...]] = ("event_id_cnty", "geo_precision")
#: Columns every UCDP GED file or API page has.
UCDP_MARKERS: Final[tuple[str, ...]] = ("where_prec", "best", "side_a")
#: ``last_change`` timestamp written into GeoPackages, so that writes are reproducible.
GPKG_TIMESTAMP: Final = "1970-01-01T00:00:00.000Z"
_GENERIC_REQUIRED: Final = ("event_date", "latitude", "longitude")


# --- writing ---------------------------------------------------------------------------


def write_layer(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table or layer to ``path`` in the format its suffix names, atomically.

    Parameters
    ----------
    frame
        A GeoDataFrame (any format) or a DataFrame without geometry (``.csv``, ``.gpkg``).
    path
        Destination: ``.geojson``/``.json``, ``.csv`` or ``.gpkg`` (see the module
        docstring for each format). Parent folders are created; an existing file is
        replaced as a whole (a GeoPackage's other layers too).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ConfigError
        The suffix is not one of :data:`LAYER_SUFFIXES`, or GeoJSON asked for a table
        without geometry (see :func:`check_layer_path`).
    SchemaError
        Duplicate column names, or a column GDAL cannot store in a GeoPackage (complex
        numbers, time deltas); the old file is left as it was.

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely import Point
    >>> gdf = gpd.GeoDataFrame({"name": ["Gao"]}, geometry=[Point(0.04, 16.27)], crs=4326)
    >>> out = write_layer(gdf, tempfile.mkdtemp() + "/gao.csv")
    >>> print(out.read_text(), end="")
    name
    Gao
    """
    p = check_layer_path(path, geometry=isinstance(frame, gpd.GeoDataFrame))
    suffix = p.suffix.lower()
    _check_unique_columns(frame, p)
    if suffix in (".geojson", ".json"):
        return write_geojson(frame, p)
    if suffix == ".csv":
        return atomic_write_text(p, csv_text(frame))
    if suffix == ".parquet":
        return _write_parquet(frame, p)
    return _write_ogr(frame, p, driver="FlatGeobuf" if suffix == ".fgb" else "GPKG")


def check_layer_path(path: str | os.PathLike[str], *, geometry: bool) -> Path:
    """Check that :func:`write_layer` can write a table to ``path``, before computing it.

    Parameters
    ----------
    path
        The destination.
    geometry
        Whether the table will have geometries (GeoJSON needs them).

    Returns
    -------
    pathlib.Path
        ``path`` as a Path.

    Raises
    ------
    ConfigError
        The suffix is not one of :data:`LAYER_SUFFIXES`, or GeoJSON for a table without
        geometry.

    Examples
    --------
    >>> check_layer_path("change.csv", geometry=False).name
    'change.csv'
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in LAYER_SUFFIXES:
        known = ", ".join(f"{s} ({f})" for s, f in LAYER_SUFFIXES.items())
        raise ConfigError(
            f"Cannot write {p}: unknown output suffix {p.suffix or '(none)'!r}. Use one of {known}."
        )
    if suffix in (".geojson", ".json", ".fgb") and not geometry:
        raise ConfigError(
            f"Cannot write {p}: {LAYER_SUFFIXES[suffix]} needs geometries and this table has "
            "none. Write it as .csv, .parquet or .gpkg instead."
        )
    return p


def _check_unique_columns(frame: pd.DataFrame, p: Path) -> None:
    names = [str(c) for c in frame.columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SchemaError(
            f"Cannot write {p}: duplicated column names {dupes}. Rename them before writing."
        )


def _float_text(value: object) -> str:
    """Shortest text that reads back to the same float (Python's ``repr``)."""
    return repr(float(cast(float, value)))


def csv_text(frame: pd.DataFrame) -> str:
    """Return a table as deterministic CSV text, without the (active) geometry column.

    Parameters
    ----------
    frame
        Any table; the active geometry of a GeoDataFrame is left out, other geometry
        columns are written as WKT.

    Returns
    -------
    str
        Header and rows, LF line ends; see the module docstring for the formats.

    Examples
    --------
    >>> print(csv_text(pd.DataFrame({"a": [0.1, None], "b": ["x", "y"]})), end="")
    a,b
    0.1,x
    ,y
    """
    table = pd.DataFrame(frame)
    if isinstance(frame, gpd.GeoDataFrame):
        table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    for col in table.columns:
        if isinstance(table[col].dtype, gpd.array.GeometryDtype):
            table[col] = gpd.GeoSeries(table[col]).to_wkt()
    text: str = table.to_csv(index=False, lineterminator="\n", float_format=_float_text)
    return text


@contextlib.contextmanager
def _atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` with its suffix; rename it on success.

    :func:`sahel_geo.io._atomic.atomic_path` names it (so a later run's sweep knows it),
    keeping the target's suffix: GDAL picks drivers by suffix. The empty file it makes
    is removed first (GDAL and pyarrow create their own); SQLite journals of a
    GeoPackage never outlive the write.
    """
    with atomic_path(target, suffix=target.suffix) as tmp:
        tmp.unlink()
        try:
            yield tmp
        finally:
            for leftover in (f"{tmp}-journal", f"{tmp}-wal", f"{tmp}-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(leftover).unlink()


_OGR_NAMES: Final = {"GPKG": "a GeoPackage", "FlatGeobuf": "FlatGeobuf"}


def _write_ogr(frame: pd.DataFrame, p: Path, *, driver: str) -> Path:
    """Write a GeoPackage or FlatGeobuf through pyogrio, timestamps pinned, atomically."""
    import pyogrio

    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_TIMESTAMP})
    try:
        with _atomic_file(p) as tmp:
            pyogrio.write_dataframe(frame, tmp, driver=driver, layer=p.stem)
    except Exception as exc:  # pyogrio and GDAL raise many types; the old file is intact
        raise SchemaError(
            f"Cannot write {p} as {_OGR_NAMES[driver]}: {type(exc).__name__}: {exc}. Convert the "
            "column it names to text or numbers first, or write .geojson or .csv."
        ) from exc
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    return p


def _write_parquet(frame: pd.DataFrame, p: Path) -> Path:
    """Write GeoParquet (or Parquet for a plain table) with the reports in its metadata."""
    try:
        with _atomic_file(p) as tmp:
            frame.to_parquet(tmp, index=False)
    except (TypeError, ValueError, ImportError) as exc:  # pyarrow type errors among them
        raise SchemaError(
            f"Cannot write {p} as Parquet: {type(exc).__name__}: {exc}. Convert the column "
            "it names to text or numbers first, or write .gpkg or .csv."
        ) from exc
    return p


# --- reading events --------------------------------------------------------------------


def detect_event_source(
    columns: Iterable[object], *, origin: str = "the table"
) -> Literal["acled", "ucdp"]:
    """Tell an ACLED export from a UCDP GED file by its column names.

    ACLED has all of :data:`ACLED_MARKERS` (``event_id_cnty``, ``geo_precision``), UCDP all
    of :data:`UCDP_MARKERS` (``where_prec``, ``best``, ``side_a``); names are matched
    regardless of letter case.

    Parameters
    ----------
    columns
        The table's column names.
    origin
        Where the columns come from, for the error message (e.g. the file name).

    Returns
    -------
    str
        ``"acled"`` or ``"ucdp"``.

    Raises
    ------
    SchemaError
        Neither or both sets of columns are there; the message names the columns looked
        for and those found.

    Examples
    --------
    >>> detect_event_source(["id", "where_prec", "best", "side_a", "latitude"])
    'ucdp'
    >>> detect_event_source(["EVENT_ID_CNTY", "GEO_PRECISION", "LATITUDE"])
    'acled'
    """
    have = {str(c).strip().lower() for c in columns}
    acled = all(c in have for c in ACLED_MARKERS)
    ucdp = all(c in have for c in UCDP_MARKERS)
    if acled != ucdp:
        return "acled" if acled else "ucdp"
    found = [c for c in (*ACLED_MARKERS, *UCDP_MARKERS) if c in have]
    what = "both" if acled else "neither"
    raise SchemaError(
        f"Cannot tell the source of the events in {origin}: it has {what} the ACLED columns "
        f"{list(ACLED_MARKERS)} and the UCDP GED columns {list(UCDP_MARKERS)} (found: "
        f"{found or 'none of them'}). Name the source: acled, ucdp, or generic for a table "
        f"whose columns carry the canonical names (at least {list(_GENERIC_REQUIRED)})."
    )


def read_events_auto(
    path: str | os.PathLike[str] | pd.DataFrame,
    *,
    source: EventSource = "auto",
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read an events file with the reader its source needs, detecting the source.

    Parameters
    ----------
    path
        An ACLED export (CSV/XLSX), a UCDP GED CSV or API JSON page, or a CSV/XLSX whose
        columns carry the canonical names (``source="generic"``); or such a table
        already in memory (a pandas DataFrame).
    source
        ``"auto"`` (:func:`detect_event_source` on the file's header), ``"acled"``
        (:func:`~sahel_geo.read_acled`), ``"ucdp"`` (:func:`~sahel_geo.read_ucdp`) or
        ``"generic"``: :func:`~sahel_geo.read_events` with every column named like a
        canonical field (``event_date``, ``latitude``, ``longitude`` required; ``event_id``,
        ``fatalities``, ``country_iso3``, ... used when present).
    encoding
        Text encoding of a CSV file (default UTF-8, falling back to cp1252 with a warning).

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical events with the reader's step report attached: the same frame the
        matching reader returns.

    Raises
    ------
    InputFileError
        Missing, empty or unreadable file.
    SchemaError
        The source cannot be told (``"auto"``), or a generic table lacks the required
        columns.

    Examples
    --------
    >>> events = read_events_auto("ged231.csv")  # doctest: +SKIP
    >>> events["source"].iloc[0]  # doctest: +SKIP
    'ucdp'
    """
    if source not in ("auto", "acled", "ucdp", "generic"):
        raise ConfigError(
            f"source must be one of 'auto', 'acled', 'ucdp', 'generic'; got {source!r}."
        )
    check_source(path, "read_events_auto")
    if source == "acled":
        return read_acled(path, encoding=encoding)
    if source == "ucdp":
        return read_ucdp(path, encoding=encoding)
    if isinstance(path, pd.DataFrame):
        return _frame_auto(path, source)
    p = Path(path)
    if p.suffix.lower() == ".json":
        return _read_json_auto(p, source, encoding)
    raw, p = read_table(p, encoding=encoding, sheet=None, reader="read_events_auto")
    if source == "generic":
        return read_events(p, columns=_generic_columns(raw.columns, p), encoding=encoding)
    if detect_event_source(raw.columns, origin=str(p)) == "acled":
        return build_acled(raw, origin=str(p), step="read_acled")
    return build_ucdp(raw, origin=str(p), step="read_ucdp")


def _frame_auto(frame: pd.DataFrame, source: EventSource) -> gpd.GeoDataFrame:
    """Read a table already in memory with the reader its columns call for."""
    origin = "<DataFrame>"
    if source == "generic":
        return read_events(frame, columns=_generic_columns(frame.columns, Path(origin)))
    if detect_event_source(frame.columns, origin=origin) == "acled":
        return read_acled(frame)
    return read_ucdp(frame)


def _read_json_auto(p: Path, source: EventSource, encoding: str | None) -> gpd.GeoDataFrame:
    """Read a ``.json`` events file: a UCDP API page (the only JSON events source)."""
    if source == "generic":
        raise InputFileError(
            f"{p}: generic events are read from CSV or XLSX, not JSON. Save the table as CSV."
        )
    if not p.is_file():
        raise InputFileError(
            f"read_events_auto: file not found: {p}. Check the path and the folder."
        )
    try:
        payload = json.loads(p.read_text(encoding=encoding or "utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{p} is not valid JSON ({exc}). Save the file again.") from exc
    if detect_event_source(ucdp_records_frame(payload, str(p)).columns, origin=str(p)) != "ucdp":
        raise InputFileError(
            f"{p}: ACLED events are read from CSV or XLSX exports, not JSON. Export the data "
            "as CSV from the ACLED data export tool."
        )
    return read_ucdp(p, encoding=encoding)


def _generic_columns(columns: pd.Index, p: Path) -> dict[str, str]:
    """Map every canonical field named as a column of the file onto that column."""
    names = {str(c) for c in columns}
    missing = [f for f in _GENERIC_REQUIRED if f not in names]
    if missing:
        raise SchemaError(
            f"{p}: generic events need columns named {list(_GENERIC_REQUIRED)}; it lacks "
            f"{missing} (its columns: {sorted(names)}). Rename the file's columns to the "
            "canonical names, or call sahel_geo.read_events with a columns= mapping."
        )
    return {f: f for f in GENERIC_FIELDS if f in names}
