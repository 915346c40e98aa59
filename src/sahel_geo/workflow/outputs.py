"""The run's output folder: checked before the run, prepared after its inputs are read.

:func:`check_output_folder` runs first, before any input is read, and creates nothing:

- the folder must be a folder (not an existing file) and writable, or not exist yet
  with a writable folder above it;
- ``tables/`` and ``figures/`` inside it must be real folders or absent: a symbolic
  link there is an error (the run writes only inside its output folder and never
  follows a link out of it, nor removes one: remove the link, or choose another
  folder);
- no output file name (``events.geojson``, ``tables/*.csv``, ...) may be a folder.

:func:`prepare_output_folder` runs once the inputs are read and checked, so a config
or input error leaves no folder behind. It creates the folder and its sub-folders,
removes the temporary files a killed run left (only sahel_geo's own, named
``.<name>.sahel_geo-<random>.tmp``: :func:`sahel_geo.io._atomic.sweep_temp_files`),
removes an earlier run's ``manifest.json`` (it no longer describes the folder) and
writes the marker ``RUN_INCOMPLETE``. :func:`finish_output_folder` removes the marker
after the manifest, written last, is in place: a folder with ``RUN_INCOMPLETE`` holds a
run that did not finish, a folder with ``manifest.json`` one that did.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sahel_geo.core.errors import ConfigError
from sahel_geo.io._atomic import atomic_write_text, sweep_temp_files
from sahel_geo.workflow.config import LAYER_FORMATS

__all__ = [
    "INCOMPLETE_MARKER",
    "SUB_FOLDERS",
    "check_output_folder",
    "finish_output_folder",
    "prepare_output_folder",
]

#: The file a run writes first and removes after its manifest.
INCOMPLETE_MARKER = "RUN_INCOMPLETE"
#: The run's sub-folders.
SUB_FOLDERS = ("tables", "figures")
#: The files the run writes at the top of its folder (plus adm{L}_units.geojson).
_TOP_FILES = ("map.html", "report.html", "rejects.csv", "manifest.json")
#: The layers (``<name>.<suffix>``, one file per configured format).
_LAYER_SUFFIXES = tuple(LAYER_FORMATS.values())
_OUTPUT_SUFFIXES = (".csv", ".png", ".geojson", ".html", ".json")


def _existing_parent(folder: Path) -> Path:
    here = folder.absolute()
    while not here.exists() and here != here.parent:
        here = here.parent
    return here


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def _check_place(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ConfigError(
            f"the output folder {folder} is an existing file, not a folder: give --out a "
            "folder (new or existing), or move the file."
        )
    if folder.is_dir():
        if not _writable(folder):
            raise ConfigError(
                f"the output folder {folder} is not writable: choose a folder you can write "
                "to, or change its permissions."
            )
        return
    parent = _existing_parent(folder)
    if not parent.is_dir():
        raise ConfigError(
            f"the output folder {folder} cannot be created: {parent} is a file, not a folder."
        )
    if not _writable(parent):
        raise ConfigError(
            f"the output folder {folder} cannot be created: {parent} is not writable. "
            "Choose a folder you can write to."
        )


def _in_the_way(folder: Path, levels: tuple[int, ...]) -> list[Path]:
    """Output paths that exist as folders (a rename onto them would fail half-way)."""
    stems = ["events", *(f"adm{lv}_units" for lv in levels)]
    names = [*_TOP_FILES, *(stem + sfx for stem in stems for sfx in _LAYER_SUFFIXES)]
    found = [folder / n for n in names if (folder / n).is_dir()]
    for sub in SUB_FOLDERS:
        if (folder / sub).is_dir():
            found += sorted(
                p
                for p in (folder / sub).iterdir()
                if p.suffix in _OUTPUT_SUFFIXES and p.is_dir() and not p.is_symlink()
            )
    return found


def check_output_folder(out: str | os.PathLike[str], *, levels: tuple[int, ...] = ()) -> Path:
    """Check that a run can write its outputs into ``out``; create nothing.

    Parameters
    ----------
    out
        The output folder (``--out``).
    levels
        The run's admin levels (their ``adm{L}_units.geojson`` names are checked too).

    Returns
    -------
    pathlib.Path
        ``out`` as a path.

    Raises
    ------
    ConfigError
        ``out`` is a file or not writable, ``tables/`` or ``figures/`` is a symbolic
        link or a file, or an output file name is taken by a folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> check_output_folder(d) == d, d.exists()
    (True, False)
    """
    folder = Path(out)
    _check_place(folder)
    for sub in SUB_FOLDERS:
        p = folder / sub
        if p.is_symlink():
            raise ConfigError(
                f"{p} is a symbolic link (to {os.readlink(p)}): the run writes only inside "
                "its output folder and does not follow links out of it. Remove the link "
                "(the run then creates a real folder), or choose another output folder."
            )
        if p.exists() and not p.is_dir():
            raise ConfigError(
                f"{p} is a file, but the run writes its {sub} into a folder of that name: "
                "move the file, or choose another output folder."
            )
    taken = _in_the_way(folder, levels)
    if taken:
        raise ConfigError(
            f"{len(taken)} output name(s) in {folder} are folders, where the run writes "
            f"files: {', '.join(str(p) for p in taken)}. Remove or rename them, or choose "
            "another output folder."
        )
    return folder


def prepare_output_folder(folder: Path, *, levels: tuple[int, ...] = ()) -> list[Path]:
    """Create the folder, sweep leftover temporary files and mark the run incomplete.

    Parameters
    ----------
    folder
        The output folder, checked by :func:`check_output_folder` (checked again here).
    levels
        The run's admin levels.

    Returns
    -------
    list of pathlib.Path
        The temporary files of an earlier, killed run that were removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> prepare_output_folder(d), (d / INCOMPLETE_MARKER).is_file()
    ([], True)
    """
    check_output_folder(folder, levels=levels)
    folder.mkdir(parents=True, exist_ok=True)
    swept = sweep_temp_files(folder)
    for sub in SUB_FOLDERS:
        (folder / sub).mkdir(exist_ok=True)
        swept += sweep_temp_files(folder / sub)
    (folder / "manifest.json").unlink(missing_ok=True)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    atomic_write_text(
        folder / INCOMPLETE_MARKER,
        f"A sahel-geo run started here at {started} and has not finished (or was "
        "stopped): the files in this folder may mix that run and an earlier one.\n"
        "Run it again; this file is removed when manifest.json, written last, is in place.\n",
    )
    return swept


def finish_output_folder(folder: Path) -> None:
    """Remove the ``RUN_INCOMPLETE`` marker (call after the manifest is written).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = prepare_output_folder(d)
    >>> finish_output_folder(d)
    >>> (d / INCOMPLETE_MARKER).exists()
    False
    """
    (folder / INCOMPLETE_MARKER).unlink(missing_ok=True)
