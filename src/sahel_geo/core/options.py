"""Validated package settings, usable as a context manager.

Every setting is documented here, in :data:`OPTIONS`. Unknown keys and values of
the wrong type or range raise :class:`~sahel_geo.ConfigError`.

Examples
--------
>>> import sahel_geo as sg
>>> sg.get_option("snap_tolerance_km")
5.0
>>> with sg.set_options(snap_tolerance_km=2.0):
...     sg.get_option("snap_tolerance_km")
2.0
>>> sg.get_option("snap_tolerance_km")
5.0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from sahel_geo.core.errors import ConfigError

__all__ = ["OPTIONS", "Option", "get_option", "set_options"]


@dataclass(frozen=True)
class Option:
    """One setting: its default, a validator and its documentation."""

    default: Any
    validate: Callable[[Any], bool]
    expected: str
    doc: str


def _nonneg_float(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 and v == v


def _int_range(lo: int, hi: int) -> Callable[[Any], bool]:
    def check(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi

    return check


def _opt_bool(v: Any) -> bool:
    return v is None or isinstance(v, bool)


def _opt_threads(v: Any) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 256)


def _opt_str(v: Any) -> bool:
    return v is None or isinstance(v, str)


#: Every setting, its default and what it does.
OPTIONS: dict[str, Option] = {
    "snap_tolerance_km": Option(
        5.0,
        _nonneg_float,
        "a number >= 0",
        "Geodesic distance in km within which an event outside every unit (coastline, "
        "border sliver, gap between units) is snapped to the nearest unit by "
        "assign_admin. Beyond it the event is reported as unassigned.",
    ),
    "geojson_precision": Option(
        6,
        _int_range(0, 15),
        "an integer from 0 to 15",
        "Decimal places of coordinates written by write_geojson (6 is about 0.1 m).",
    ),
    "join_index_cells": Option(
        4_000_000,
        _int_range(10_000, 100_000_000),
        "an integer from 10,000 to 100,000,000",
        "Largest size of the lookup grid assign_admin builds over the boundaries; it uses "
        "about one cell per event (at least 250,000) up to this. Larger grids resolve more "
        "events by one lookup (faster for many events) and use more memory (about 9 bytes "
        "a cell).",
    ),
    "threads": Option(
        None,
        _opt_threads,
        "None or an integer from 1 to 256",
        "Threads for the large geometry predicates of assign_admin (shapely releases the "
        "GIL while it loops). None: the CPUs this process may use, at most 4; 1: no "
        "threads. Results do not depend on it.",
    ),
    "progress": Option(
        None,
        _opt_bool,
        "None, True or False",
        "Progress bars (tqdm.auto) on steps that can take more than a few seconds: reading "
        "large files, large joins, zonal statistics over stacks, writing layers, each step "
        "of a run. None: shown in a notebook or when stderr is a terminal; True: always; "
        "False: never.",
    ),
    "cache_folder": Option(
        None,
        _opt_str,
        "a folder path or None",
        "Where online loaders cache responses. None: no cache.",
    ),
}

_current: dict[str, Any] = {k: o.default for k, o in OPTIONS.items()}


def _check(key: str, value: Any) -> None:
    if key not in OPTIONS:
        known = ", ".join(sorted(OPTIONS))
        raise ConfigError(f"Unknown option {key!r}. Known options: {known}.")
    opt = OPTIONS[key]
    if not opt.validate(value):
        raise ConfigError(f"Option {key!r} must be {opt.expected}; got {value!r}.")


def get_option(key: str) -> Any:
    """Return the current value of a setting.

    Parameters
    ----------
    key
        Name of the setting (see :data:`OPTIONS`).

    Returns
    -------
    Any
        The value in force.
    """
    if key not in OPTIONS:
        _check(key, None)
    return _current[key]


class set_options:  # noqa: N801 - lower case like xarray/rioxarray's set_options
    """Set one or more options, globally or for a ``with`` block.

    All values are validated before any is set: a bad value changes nothing.

    Parameters
    ----------
    **kwargs
        Option names and values (see :data:`OPTIONS`).

    Examples
    --------
    >>> import sahel_geo as sg
    >>> _ = sg.set_options(geojson_precision=5)  # globally
    >>> with sg.set_options(snap_tolerance_km=1.0):  # for a block
    ...     pass
    >>> _ = sg.set_options(geojson_precision=6)
    """

    def __init__(self, **kwargs: Any) -> None:
        problems = []
        for key, value in kwargs.items():
            try:
                _check(key, value)
            except ConfigError as exc:
                problems.append(str(exc))
        if problems:
            raise ConfigError(" ".join(problems))
        self._old = {k: _current[k] for k in kwargs}
        _current.update(kwargs)

    def __enter__(self) -> set_options:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _current.update(self._old)
