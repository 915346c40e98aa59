"""Event files larger than memory, read block by block into a dask GeoDataFrame.

:func:`read_events_dask` reads an ACLED or UCDP GED export (CSV, or Parquet written
from one: a file, or a folder of files) into a lazy ``dask_geopandas.GeoDataFrame``: a
CSV file is cut into byte blocks (``dask.bytes.read_bytes``, at line ends), a Parquet
folder into its files (one block each, in name order), and each block goes
through the same builder as the in-memory reader
(:func:`~sahel_geo.io._event_builder.build_events` with the spec of
:func:`~sahel_geo.io.events.read_acled` or :func:`~sahel_geo.io.events.read_ucdp`),
once, so every row is checked, rejected or kept by the same rules.

What stays true across blocks
-----------------------------
- Row numbers are the file's: the rejects name the data row number in the file (header
  excluded, blank lines counted), as :func:`~sahel_geo.read_acled` does, and the
  frame's index is that row number minus 1 (so the index is unique, sorted and the
  divisions are known). A first pass over the blocks counts their rows.
- Column types are the file's: the first pass also records the type pandas infers for
  each column in each block, and every block is then parsed with the type the whole
  file gives (whole numbers with gaps become floats, a column with text anywhere stays
  text), as the in-memory reader's parse of the whole file does.
- Duplicate event ids are found across blocks: the first pass hashes each row's id
  (as :func:`~sahel_geo.io._event_builder.normalise_ids` gives it, the builder's own
  form); the blocks holding ids met in more than one block are built once more to find
  the first valid row of each, and each block's build is then told the ids kept in the
  blocks before it (``kept_before``): every repeat of an id but its first valid row is
  rejected with the in-memory reason ``duplicate event_id (first at row N)``, and the
  block's notes and counts are those of the whole file.
- Each partition carries its step report (``read_acled`` or ``read_ucdp``); compute
  with :func:`sahel_geo.analysis.partitioned.compute` to get the frame with one
  combined report (rows in = kept + rejected over the whole file).

Limits (where the in-memory reader does more)
---------------------------------------------
- CSV text in UTF-8 (or ``encoding=``), comma, semicolon, tab or pipe delimited (told
  from the header line); no cp1252 fallback, no compressed or XLSX files: read those
  with the in-memory readers, or convert them to Parquet first.
- A quoted value holding a line break can be cut at a block boundary: read such files
  with ``blocksize=None`` (one block) or convert them to Parquet.
- A line of delimiters only (``,,,,``) counts as a blank line; a row with more fields
  than the header raises :class:`~sahel_geo.InputFileError` naming the block (the
  in-memory reader rejects it); a cut-off last row is read as a short row.
"""

from __future__ import annotations

import contextvars
import csv
import io
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sahel_geo.core.compat import import_optional_dependency
from sahel_geo.core.errors import InputFileError, SchemaError
from sahel_geo.core.reports import ATTRS_KEY, reports
from sahel_geo.io._event_builder import build_events, normalise_ids
from sahel_geo.io._tables import LAYOUT_KEY, TableLayout, sniff_delimiter
from sahel_geo.io.events import acled_spec, ucdp_spec

__all__ = ["BLOCK_SOURCES", "read_events_dask", "whole_file_types"]

logger = logging.getLogger(__name__)

#: Sources :func:`read_events_dask` reads: the step name and the raw id column.
BLOCK_SOURCES: Final[dict[str, tuple[str, str]]] = {
    "acled": ("read_acled", "event_id_cnty"),
    "ucdp": ("read_ucdp", "id"),
}

#: True while a block is built only to learn which of its rows are valid (the blocks
#: with ids repeated across blocks, before the real build): the builder's log records
#: are dropped then, so each warning is logged once, by the block's real build, and
#: names only the rows it keeps.
_PROBING: contextvars.ContextVar[bool] = contextvars.ContextVar("_PROBING", default=False)


class _QuietWhileProbing(logging.Filter):
    """Drop the builder's log records of a probing build (see ``_PROBING``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _PROBING.get()


# the builder and its step modules log under the public reader's module name
logging.getLogger("sahel_geo.io.events").addFilter(_QuietWhileProbing())


@dataclass(frozen=True)
class _Csv:
    """How to parse the blocks of one CSV file."""

    names: tuple[str, ...]
    sep: str
    encoding: str
    dtypes: dict[str, Any] | None = None  # the whole file's column types (None: infer)


@dataclass(frozen=True)
class _Job:
    """What every block needs: the file, the source, the id column."""

    origin: str
    source: str
    step: str
    id_column: str


@dataclass(frozen=True)
class _Profile:
    """First pass over one block: rows (blank lines included), types and id hashes."""

    n: int
    dtypes: dict[str, str]
    id_hashes: NDArray[np.uint64]


def read_events_dask(
    path: str | os.PathLike[str],
    *,
    source: Literal["acled", "ucdp"] = "acled",
    blocksize: str | int | None = "64MB",
    encoding: str = "utf-8",
) -> Any:
    """Read an ACLED or UCDP CSV (or Parquet) file larger than memory, lazily.

    Parameters
    ----------
    path
        A ``.csv`` export, or a ``.parquet`` file or folder of Parquet files holding the
        export's columns (row order: the files' order, then the rows').
    source
        ``"acled"`` (the rules of :func:`sahel_geo.read_acled`) or ``"ucdp"``
        (:func:`sahel_geo.read_ucdp`).
    blocksize
        Bytes per CSV block (``"64MB"``, an int, or None for one block): each block is
        one partition, read and built in memory by one worker.
    encoding
        Text encoding of the CSV file.

    Returns
    -------
    dask_geopandas.GeoDataFrame
        Lazy canonical events, one partition per block, indexed by the file row number
        minus 1; each partition carries its step report (see the module docstring).
        Two passes run now: the row count, column types and id hashes of every block
        (and, when ids repeat across blocks, the validity of those rows).

    Raises
    ------
    MissingDependencyError
        dask or dask-geopandas is not installed (``pip install 'sahel_geo[dask]'``).
    InputFileError
        The file is missing, empty, or not a CSV/Parquet file it can split.
    SchemaError
        ``source`` is unknown, or required columns are missing.

    Examples
    --------
    >>> from sahel_geo.analysis.partitioned import compute  # doctest: +SKIP
    >>> events = read_events_dask("acled_all.csv", blocksize="128MB")  # doctest: +SKIP
    >>> table = sg.aggregate(sg.assign_admin(events, adm2), unit="adm2_pcode").compute()
    ... # doctest: +SKIP
    """
    if source not in BLOCK_SOURCES:
        raise SchemaError(
            f"read_events_dask: source must be one of {list(BLOCK_SOURCES)}; got {source!r}."
        )
    dask = import_optional_dependency("dask", purpose="read_events_dask")
    import_optional_dependency("dask_geopandas", purpose="read_events_dask")
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"read_events_dask: file not found: {p}. Check the path.")
    step, id_name = BLOCK_SOURCES[source]
    if p.is_dir() or p.suffix.lower() in {".parquet", ".pq"}:
        blocks, csv_spec = _parquet_blocks(p), None
    else:
        blocks, csv_spec = _csv_blocks(dask, p, blocksize, encoding)
    columns = csv_spec.names if csv_spec else _parquet_columns(p)
    job = _Job(str(p), source, step, _id_column(columns, id_name, step, p))
    profiles = _first_pass(dask, blocks, csv_spec, job)
    if csv_spec is not None:
        csv_spec = whole_file_types(csv_spec, [pr.dtypes for pr in profiles])
    offsets = np.concatenate([[0], np.cumsum([pr.n for pr in profiles])]).astype(np.int64)
    firsts = _first_rows(dask, blocks, csv_spec, job, profiles, offsets)
    parts = [
        dask.delayed(block_events)(b, csv_spec, job, int(offsets[i]), firsts)
        for i, b in enumerate(blocks)
    ]
    meta = block_events(_meta_raw(dask, blocks, csv_spec), csv_spec, job, 0, {}).iloc[:0]
    meta.attrs = {}
    divisions = [*offsets[:-1].tolist(), max(int(offsets[-1]) - 1, int(offsets[-2]))]
    dd = _dask_dataframe(dask)
    return dd.from_delayed(parts, meta=meta, divisions=divisions, verify_meta=False)


def _dask_dataframe(dask: ModuleType) -> ModuleType:
    return import_optional_dependency("dask.dataframe", purpose="read_events_dask")


def _csv_blocks(
    dask: ModuleType, p: Path, blocksize: str | int | None, encoding: str
) -> tuple[list[Any], _Csv]:
    """Return the delayed byte blocks of a CSV file and how to parse them."""
    if p.stat().st_size == 0:
        raise InputFileError(f"read_events_dask: {p} is empty (0 bytes). Export it again.")
    with open(p, encoding=encoding, newline="") as fh:
        header = fh.readline().lstrip("\ufeff").rstrip("\r\n")
    if not header.strip():
        raise InputFileError(f"read_events_dask: {p} has no header line. Export it again.")
    sep = sniff_delimiter(header, p.suffix.lower())
    names = tuple(next(csv.reader([header], delimiter=sep)))
    dask_bytes = import_optional_dependency("dask.bytes", purpose="read_events_dask")
    _, per_file = dask_bytes.read_bytes(str(p), delimiter=b"\n", blocksize=blocksize, sample=False)
    return list(per_file[0]), _Csv(names=names, sep=sep, encoding=encoding)


@dataclass(frozen=True)
class ParquetPart:
    """One Parquet file of the input: one block (read whole by one worker)."""

    path: str
    head: int | None = None  # read only the first rows (the result's meta)


def _parquet_files(p: Path) -> list[Path]:
    """Return the Parquet files of a file or folder, in name order."""
    files = sorted(p.rglob("*.parquet")) if p.is_dir() else [p]
    if not files:
        raise InputFileError(
            f"read_events_dask: {p} is a folder without .parquet files. Pass a CSV file, a "
            "Parquet file or a folder of them."
        )
    return files


def _parquet_blocks(p: Path) -> list[Any]:
    return [ParquetPart(str(f)) for f in _parquet_files(p)]


def _parquet_columns(p: Path) -> tuple[str, ...]:
    import pyarrow.parquet as pq

    return tuple(str(c) for c in pq.read_schema(_parquet_files(p)[0]).names)


def _id_column(columns: Sequence[str], name: str, step: str, p: Path) -> str:
    """Return the file's id column (matched regardless of case, as the readers do)."""
    for c in columns:
        if c == name:
            return c
    for c in columns:
        if c.lower() == name:
            return c
    raise SchemaError(
        f"{step}: {p} is missing the column {name!r} (the event id). Columns found: "
        f"{list(columns)}."
    )


def parse_block(
    data: Any, spec: _Csv | None, first: bool, origin: str, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Parse one byte block of the CSV file (the header line dropped from the first).

    Parameters
    ----------
    data
        The block's bytes, or a :class:`ParquetPart`.
    spec
        Column names, delimiter and encoding; None for Parquet.
    first
        Whether this is the file's first block (which starts with the header line).
    origin
        The file, for messages.
    columns
        Parquet only: the columns to read (default: all).

    Returns
    -------
    pandas.DataFrame
        One row per line of the block, blank lines included (all missing).
    """
    if isinstance(data, ParquetPart):
        if data.head is not None:
            import pyarrow.parquet as pq

            batch = next(pq.ParquetFile(data.path).iter_batches(batch_size=data.head), None)
            return pd.read_parquet(data.path).iloc[:0] if batch is None else batch.to_pandas()
        return pd.read_parquet(data.path, columns=None if columns is None else list(columns))
    assert spec is not None
    if first:
        data = data.split(b"\n", 1)[1] if b"\n" in data else b""
    if not data.strip(b"\r\n"):
        n = data.count(b"\n")
        return pd.DataFrame({c: pd.Series([None] * n, dtype=object) for c in spec.names})
    try:
        return pd.read_csv(
            io.BytesIO(data),
            sep=spec.sep,
            header=None,
            names=list(spec.names),
            index_col=False,
            skip_blank_lines=False,
            encoding=spec.encoding,
            dtype=spec.dtypes,
            low_memory=False,
        )
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
        raise InputFileError(
            f"read_events_dask: a block of {origin} cannot be parsed ({exc}). A row may have "
            "more fields than the header, or a quoted value a line break: read the file with "
            "read_acled/read_ucdp (which reject such rows) or convert it to Parquet."
        ) from exc


def _blank(frame: pd.DataFrame) -> NDArray[np.bool_]:
    return np.asarray(frame.isna().all(axis=1).to_numpy(), dtype=bool)


def _hashes(ids: pd.Series) -> NDArray[np.uint64]:
    hashed = pd.util.hash_pandas_object(ids.dropna().astype(object), index=False)
    return np.unique(hashed.to_numpy(dtype=np.uint64))


def block_profile(data: Any, spec: _Csv | None, first: bool, job: _Job) -> _Profile:
    """First pass over one block: its rows, the types pandas infers, its id hashes.

    Parameters
    ----------
    data
        The block (bytes, or a Parquet partition).
    spec
        How to parse it, None for Parquet.
    first
        Whether it is the file's first block.
    job
        The file, source and id column.

    Returns
    -------
    _Profile
        Rows (blank lines included), column types, sorted unique hashes of the ids.
    """
    frame = parse_block(data, spec, first, job.origin, columns=[job.id_column])
    return _Profile(
        n=len(frame),
        dtypes={str(c): str(t) for c, t in frame.dtypes.items()},
        id_hashes=_hashes(normalise_ids(frame[job.id_column])),
    )


def _first_pass(
    dask: ModuleType, blocks: list[Any], spec: _Csv | None, job: _Job
) -> list[_Profile]:
    tasks = [dask.delayed(block_profile)(b, spec, i == 0, job) for i, b in enumerate(blocks)]
    return list(dask.compute(*tasks))


def whole_file_types(spec: _Csv, per_block: Sequence[Mapping[str, str]]) -> _Csv:
    """Return the spec with the type each column has in the whole file.

    The types pandas' parser infers in each block, combined as it would infer them over
    the whole file: one type everywhere stays; whole numbers with gaps elsewhere become
    floats; True/False with gaps become objects; any text makes the column text.

    Parameters
    ----------
    spec
        How the blocks are parsed (types inferred).
    per_block
        Each block's inferred type of each column.

    Returns
    -------
    _Csv
        The spec with ``dtypes`` set.
    """
    dtypes: dict[str, Any] = {}
    for name in spec.names:
        kinds = {d[name] for d in per_block if name in d}
        if len(kinds) == 1 and kinds <= {"int64", "float64", "bool"}:
            dtypes[name] = kinds.pop()
        elif kinds and kinds <= {"int64", "float64"}:
            dtypes[name] = "float64"
        elif kinds and kinds <= {"bool", "float64", "object"} and "bool" in kinds:
            dtypes[name] = object
        else:
            dtypes[name] = str
    return _Csv(names=spec.names, sep=spec.sep, encoding=spec.encoding, dtypes=dtypes)


def _first_rows(
    dask: ModuleType,
    blocks: list[Any],
    spec: _Csv | None,
    job: _Job,
    profiles: list[_Profile],
    offsets: NDArray[np.int64],
) -> dict[str, int]:
    """Return the first valid row of each id met in several blocks (id -> row number)."""
    hashes = np.concatenate([pr.id_hashes for pr in profiles]) if profiles else np.array([])
    uniq, counts = np.unique(hashes, return_counts=True)
    repeated = uniq[counts > 1]
    if not repeated.size:
        return {}
    which = [i for i, pr in enumerate(profiles) if np.isin(pr.id_hashes, repeated).any()]
    tasks = [
        dask.delayed(_repeated_ids)(blocks[i], spec, job, int(offsets[i]), repeated) for i in which
    ]
    found = pd.concat(list(dask.compute(*tasks)), ignore_index=True)
    first = found.groupby("event_id", sort=False)["row"].min()
    spread = found.groupby("event_id", sort=False)["row"].size()
    first = first[spread > 1]  # ids kept in several blocks
    logger.info("read_events_dask: %d event ids are kept in more than one block", len(first))
    return {str(k): int(v) for k, v in first.items()}


def _repeated_ids(
    data: Any, spec: _Csv | None, job: _Job, offset: int, repeated: NDArray[np.uint64]
) -> pd.DataFrame:
    """Return the kept rows of one block whose id hash is among ``repeated``."""
    token = _PROBING.set(True)
    try:
        events, rows = _build(data, spec, job, offset, {})
    finally:
        _PROBING.reset(token)
    ids = events["event_id"]
    hashed = pd.util.hash_pandas_object(ids.astype(object), index=False)
    mask = np.isin(hashed.to_numpy(dtype=np.uint64), repeated)
    return pd.DataFrame({"event_id": ids.to_numpy()[mask], "row": rows[mask]})


def _build(
    data: Any, spec: _Csv | None, job: _Job, offset: int, kept_before: Mapping[str, int]
) -> tuple[gpd.GeoDataFrame, NDArray[np.int64]]:
    """Build one block with the in-memory builder; return the events and their file rows.

    ``kept_before`` holds the ids kept in the blocks before this one (id -> file row):
    the builder rejects their repeats here, as the in-memory read of the file does.
    """
    frame = parse_block(data, spec, offset == 0, job.origin)
    blank = _blank(frame) if spec is not None else np.zeros(len(frame), dtype=bool)
    rows = offset + np.arange(1, len(frame) + 1, dtype=np.int64)
    raw = frame.loc[~blank].reset_index(drop=True)
    del frame
    n_header = len(raw.columns)
    raw.attrs[LAYOUT_KEY] = TableLayout(
        rows=rows[~blank],
        fields=np.full(len(raw), n_header, dtype=np.int64),
        n_header=n_header,
        blank_lines=int(blank.sum()),
        delimiter=spec.sep if spec is not None else ",",
    )
    source = acled_spec(raw) if job.source == "acled" else ucdp_spec(raw)
    # the block's table is this function's own: dropped column by column as it is built
    events = build_events(
        raw, source, origin=job.origin, step=job.step, kept_before=kept_before, consume=True
    )
    rejected = reports(events)[-1].rejects["row"].to_numpy(dtype=np.int64)
    kept_rows = rows[~blank][~np.isin(rows[~blank], rejected)]
    return events, kept_rows


def block_events(
    data: Any, spec: _Csv | None, job: _Job, offset: int, firsts: Mapping[str, int]
) -> gpd.GeoDataFrame:
    """Build one block's canonical events, with cross-block duplicates rejected.

    Parameters
    ----------
    data
        The block (bytes, or a Parquet partition).
    spec
        How to parse it; None for Parquet.
    job
        The file, source and id column.
    offset
        Rows (blank lines included) in the blocks before this one.
    firsts
        First valid row of each id kept in several blocks (normalised id -> file row).

    Returns
    -------
    geopandas.GeoDataFrame
        The block's kept events, indexed by file row - 1, with the block's step report
        (rows in = kept + rejected, repeats of earlier blocks' ids among the rejected).
    """
    kept_before = {i: r for i, r in firsts.items() if r <= offset}  # in an earlier block
    events, rows = _build(data, spec, job, offset, kept_before)
    report = reports(events)[-1]
    events.index = pd.Index(rows - 1)
    events.attrs[ATTRS_KEY] = (report,)
    return events


def _meta_raw(dask: ModuleType, blocks: list[Any], spec: _Csv | None) -> Any:
    """Return a small piece of the first block to build the result's ``meta`` from."""
    if spec is None:
        return ParquetPart(blocks[0].path, head=50)
    (data,) = dask.compute(blocks[0])
    lines = data.split(b"\n", 51)
    if len(lines) <= 51:  # a block of 50 lines or fewer: itself (no blank line added)
        return data
    return b"\n".join(lines[:51]) + b"\n"
