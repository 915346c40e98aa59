"""Atomic file writes: a temporary file in the same folder, then a rename.

Temporary files are named ``.<target name>.sahel_geo-<random>.tmp`` (plus an optional
suffix a writer needs, e.g. ``.gpkg``): recognisable, so that a later run can sweep the
ones a killed run left behind (:func:`sweep_temp_files`) without touching anyone
else's files.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sahel_geo.core.errors import ConfigError

__all__ = [
    "TEMP_GLOB",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "sweep_temp_files",
]

#: The mark in every temporary file name (``.events.geojson.sahel_geo-k2j4.tmp``).
_MARK = ".sahel_geo-"
#: The glob that matches this module's temporary files (and only them).
TEMP_GLOB = f".*{_MARK}*.tmp*"


def _check_target(target: Path) -> None:
    """Raise when ``target`` is a folder (a rename onto it would fail half-way)."""
    if target.is_dir() and not target.is_symlink():
        raise ConfigError(
            f"cannot write {target}: a folder of that name is in the way. Remove or rename "
            "the folder, or write somewhere else."
        )


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is left as it was.
    Use it for writers (GDAL, matplotlib) that want a file name rather than a handle.

    Parameters
    ----------
    path
        The file to write. A symbolic link there is replaced by the file, never followed.
    suffix
        Appended to the temporary name, for writers that choose a format by suffix
        (e.g. ``".gpkg"``).

    Raises
    ------
    ConfigError
        ``path`` is an existing folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text()
    'hello'
    """
    target = Path(path)
    _check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}{_MARK}", suffix=f".tmp{suffix}", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp makes the file private (0600); give it the permissions a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8, newline line ends) to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return Path(path)


def sweep_temp_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files a killed writer left in ``folder`` (not in sub-folders).

    Only files named by :func:`atomic_path` (:data:`TEMP_GLOB`) are removed.

    Parameters
    ----------
    folder
        The folder to sweep; a missing folder holds nothing.

    Returns
    -------
    list of pathlib.Path
        The files removed, in name order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / ".map.html.sahel_geo-x1.tmp").write_text("<ht")
    >>> _ = (d / "notes.tmp").write_text("mine")
    >>> [p.name for p in sweep_temp_files(d)], sorted(p.name for p in d.iterdir())
    (['.map.html.sahel_geo-x1.tmp'], ['notes.tmp'])
    """
    d = Path(folder)
    if not d.is_dir():
        return []
    found = sorted(p for p in d.glob(TEMP_GLOB) if p.is_file() or p.is_symlink())
    for p in found:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    return found
