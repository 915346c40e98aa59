"""The manifest of a run (run layer): every input, parameter, step and output, hashed.

A run's ``manifest.json`` says what went in and what came out, so that a folder of
outputs can be checked and reproduced::

    sahel_geo_manifest   format version (1)
    run_time             when the run finished (UTC, ISO 8601)
    config               the config file's path and SHA-256 (None for an in-memory config)
    parameters           every config value, defaults filled in
    inputs               per input: role, path, size, sha256, rows (and a note for
                         inputs generated in memory, e.g. the SYNTHETIC demo data)
    steps                per step: step, n_in, n_kept, notes, summary; the reader's,
                         then select_region_period (the events outside [region]
                         countries and [analysis] start..end, counted in its notes:
                         outside_countries, before_start, after_end), then the joins'
                         and the counts' (see sahel_geo.workflow.selection)
    map                  how the map drew the events
    outputs              per output file: path (relative to the folder), size, sha256
    versions             Python, GDAL/PROJ/GEOS and package versions

:func:`file_entry` and :func:`generated_entry` describe one input, :func:`build_manifest`
puts the manifest together and :func:`write_manifest` writes it atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sahel_geo.core.reports import StepReport
from sahel_geo.core.versions import versions
from sahel_geo.io._atomic import atomic_write_text
from sahel_geo.workflow.config import Config
from sahel_geo.workflow.selection import Selection

__all__ = [
    "MANIFEST_VERSION",
    "build_manifest",
    "file_entry",
    "generated_entry",
    "sha256_file",
    "write_manifest",
]

MANIFEST_VERSION = 1


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 of a file's bytes, as hex text.

    Parameters
    ----------
    path
        The file (read in 1 MiB blocks).

    Returns
    -------
    str
        64 hex digits.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_bytes(b"")
    >>> sha256_file(p)[:12]
    'e3b0c44298fc'
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_entry(path: str | os.PathLike[str], *, role: str, rows: int | None) -> dict[str, Any]:
    r"""Describe one input file (or folder) for the manifest's ``inputs``.

    Parameters
    ----------
    path
        The input. For a folder (e.g. a Zarr store) the size is that of all its files
        and the hash is the SHA-256 of their relative paths and hashes, in path order.
    role
        What the input is, e.g. ``"events"``, ``"boundaries_adm1"``, ``"drought"``.
    rows
        Rows (or raster values) read from it, None when not known yet.

    Returns
    -------
    dict
        ``role``, ``path`` (POSIX text), ``size`` (bytes), ``sha256`` and ``rows``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_bytes(b"x\n1\n")
    >>> e = file_entry(p, role="events", rows=1)
    >>> e["size"], e["rows"], e["sha256"][:8]
    (4, 1, 'daff832f')
    """
    p = Path(path)
    files = sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
    size = sum(q.stat().st_size for q in files)
    if p.is_dir():
        h = hashlib.sha256()
        for q in files:
            h.update(q.relative_to(p).as_posix().encode() + b"\0" + sha256_file(q).encode())
        digest = h.hexdigest()
    else:
        digest = sha256_file(p)
    return {"role": role, "path": p.as_posix(), "size": size, "sha256": digest, "rows": rows}


def generated_entry(*, role: str, source: str, rows: int, note: str) -> dict[str, Any]:
    """Describe an input generated in memory (no file): size and hash are None.

    Parameters
    ----------
    role
        What the input is, e.g. ``"events"``.
    source
        How it was made, e.g. ``"demo_events(n=5000, seed=1)"`` (the entry's ``path``).
    rows
        Rows (or raster values) generated.
    note
        Why there is no file, e.g. ``"SYNTHETIC demo events generated in memory"``.

    Returns
    -------
    dict
        ``role``, ``path``, ``size``, ``sha256``, ``rows`` and ``note``.

    Examples
    --------
    >>> generated_entry(role="events", source="demo_events(n=5, seed=1)", rows=5,
    ...                 note="SYNTHETIC")["sha256"] is None
    True
    """
    return {"role": role, "path": source, "size": None, "sha256": None, "rows": rows, "note": note}


def build_manifest(
    config: Config,
    *,
    inputs: Sequence[Mapping[str, Any]],
    steps: Sequence[StepReport | Selection],
    map_info: Mapping[str, Any],
    outputs: Mapping[str, Path],
    folder: Path,
    run_time: str | None = None,
) -> dict[str, Any]:
    """Put a run's manifest together (see the module docstring for its keys).

    Parameters
    ----------
    config
        The run's config: its file (hashed) and its values (``parameters``).
    inputs
        One entry per input, from :func:`file_entry` or :func:`generated_entry`.
    steps
        The step reports of the run and its region and period selection, in order.
    map_info
        How the map drew the events (the manifest's ``map``).
    outputs
        ``{name: path}`` of the files written, all inside ``folder``; listed by name.
    folder
        The output folder: output paths are written relative to it.
    run_time
        ISO 8601 time of the run; default now (UTC, whole seconds).

    Returns
    -------
    dict
        The manifest, ready for :func:`write_manifest`.

    Examples
    --------
    >>> from sahel_geo.workflow.config import parse_config
    >>> m = build_manifest(parse_config({}), inputs=[], steps=[], map_info={},
    ...                    outputs={}, folder=Path("."), run_time="2024-01-01T00:00:00Z")
    >>> list(m)[:4]
    ['sahel_geo_manifest', 'run_time', 'config', 'parameters']
    """
    when = run_time or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "sahel_geo_manifest": MANIFEST_VERSION,
        "run_time": when,
        "config": {
            "path": config.path.as_posix() if config.path else None,
            "sha256": sha256_file(config.path) if config.path else None,
        },
        "parameters": config.as_dict(),
        "inputs": [dict(entry) for entry in inputs],
        "steps": [
            {
                "step": r.step,
                "n_in": r.n_in,
                "n_kept": r.n_kept,
                "notes": {k: int(v) for k, v in r.notes.items()},
                "summary": r.summary(),
            }
            for r in steps
        ],
        "map": dict(map_info),
        "outputs": {
            name: {
                "path": p.relative_to(folder).as_posix(),
                "size": p.stat().st_size,
                "sha256": sha256_file(p),
            }
            for name, p in sorted(outputs.items())
        },
        "versions": versions(),
    }


def write_manifest(manifest: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a manifest as indented JSON, atomically (temporary file, then rename).

    Parameters
    ----------
    manifest
        From :func:`build_manifest`.
    path
        The file, usually ``<folder>/manifest.json``.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    return atomic_write_text(path, json.dumps(manifest, indent=1, sort_keys=False) + "\n")
