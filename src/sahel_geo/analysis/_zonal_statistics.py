"""Which statistics zonal statistics computes: the names, the request, the cell rules.

:data:`STATISTICS` documents every statistic :func:`sahel_geo.analysis.zonal.zonal_stats`
knows; :func:`parse_stats` checks a request (names, ``percentile_<q>``, user functions
and their arity) and :class:`CellRules` the options on which cells count. The module is
private to the package; :mod:`sahel_geo.analysis.zonal` re-exports ``STATISTICS`` and
``CellRules``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sahel_geo.core.errors import SchemaError
from sahel_geo.core.raster import Raster

__all__ = [
    "STATISTICS",
    "CellRules",
    "Stat",
    "UserStat",
    "canonical_name",
    "canonical_names",
    "needs_cells",
    "parse_stats",
    "quantile_stats",
    "user_arity",
]

#: Statistics :func:`zonal_stats` knows, besides ``percentile_<q>`` (0 <= q <= 100) and
#: user functions. "Weight" is the cell's weight: its coverage fraction (or 1 with
#: ``coverage="center"``/``"all_touched"``), times its true area with ``area_weighted``.
STATISTICS: dict[str, str] = {
    "count": "sum of the weights of the cells with data (fraction mode: covered cells)",
    "sum": "sum of value x weight",
    "mean": "sum / count",
    "min": "smallest value of a cell with weight > 0",
    "max": "largest value of a cell with weight > 0",
    "range": "max - min (rasterstats' range)",
    "std": "population standard deviation, weighted by the cells' weights",
    "stdev": "the same as std (exactextract's name)",
    "variance": "population variance, weighted by the cells' weights",
    "coefficient_of_variation": "std / mean",
    "median": "weighted median (percentile_50)",
    "majority": "value with the largest total weight (ties: exactextract the largest "
    "value, center/all_touched the smallest, as rasterstats)",
    "mode": "the same as majority (exactextract's name)",
    "minority": "value with the smallest total weight (ties: the smallest value)",
    "variety": "number of distinct values (rasterstats calls this 'unique')",
    "unique": "the distinct values, ascending, as a tuple (exactextract's unique)",
    "frac": "share of the zone's weight on each value: one column frac_<value> per value",
    "weighted_frac": "share of the zone's weight x w on each value: one column "
    "weighted_frac_<value> per value, w from 'weights'",
    "nodata": "sum of the weights of the nodata cells (nodata value, NaN or infinite)",
    "nan": "sum of the weights of the NaN cells",
    "nodata_frac": "share of the zone's weight on nodata cells",
    "area_km2": "area of the zone covered by raster cells, km² (true cell areas)",
    "coverage_area": "area of the zone covered by cells with data, km² (true cell areas)",
    "min_center_x": "x of the centre of the first cell (row-major) holding the min",
    "min_center_y": "y of the centre of the first cell (row-major) holding the min",
    "max_center_x": "x of the centre of the first cell (row-major) holding the max",
    "max_center_y": "y of the centre of the first cell (row-major) holding the max",
    "weighted_mean": "sum of value x weight x w / sum of weight x w, w from 'weights'",
    "weighted_sum": "sum of value x weight x w",
    "weighted_std": "population standard deviation weighted by weight x w",
    "weighted_stdev": "the same as weighted_std (exactextract's name)",
    "weighted_variance": "population variance weighted by weight x w",
    "weights_nodata_frac": "share of the zone's weight (cells with data) where 'weights' "
    "is nodata; those cells are left out of every weighted statistic",
}

_PCT = re.compile(r"^percentile_(\d+(?:\.\d+)?)$")

_WEIGHTED = {
    "weighted_mean",
    "weighted_sum",
    "weights_nodata_frac",
    "weighted_frac",
    "weighted_std",
    "weighted_stdev",
    "weighted_variance",
}

#: Statistics read from the gathered cells (the rest are sums over runs and cells).
_CELL_STATS = {
    "min",
    "max",
    "range",
    "median",
    "majority",
    "mode",
    "minority",
    "variety",
    "unique",
    "frac",
    "weighted_frac",
    "nan",
    "coverage_area",
    "min_center_x",
    "min_center_y",
    "max_center_x",
    "max_center_y",
    "weighted_std",
    "weighted_stdev",
    "weighted_variance",
}

#: Aliases: exactextract's names for ours.
_ALIAS = {"stdev": "std", "mode": "majority", "weighted_stdev": "weighted_std"}

#: A user statistic: ``f(values, coverage)`` or ``f(values, coverage, weights)`` -> number.
UserStat = Callable[..., object]

#: A statistic: a name from STATISTICS, ``percentile_<q>``, or a user function.
Stat = str | UserStat


@dataclass(frozen=True)
class CellRules:
    """Which covered cells count, and what nodata cells count as (exactextract's options).

    Attributes
    ----------
    min_coverage_frac
        Cells covered by less than this share of their area are ignored (a cell covered
        exactly this much counts), in every coverage mode: exactextract's
        ``min_coverage_frac``. 0 (default) keeps every covered cell.
    default_value
        Value of the raster's nodata cells; they then count as data (``count``,
        ``mean``, ``frac``... include them, ``nodata_frac`` is 0). None (default): nodata
        cells are left out. exactextract's ``default_value``.
    default_weight
        Value of the ``weights`` raster's nodata cells. None (default): those cells are
        left out of the weighted statistics only, and their share is reported as
        ``weights_nodata_frac`` (exactextract makes the weighted statistics NaN
        instead; a few missing weights should not blank a unit). exactextract's
        ``default_weight``.

    Examples
    --------
    >>> CellRules(min_coverage_frac=0.5)
    CellRules(min_coverage_frac=0.5, default_value=None, default_weight=None)
    """

    min_coverage_frac: float = 0.0
    default_value: float | None = None
    default_weight: float | None = None

    def __post_init__(self) -> None:
        f = self.min_coverage_frac
        if not isinstance(f, int | float) or not 0.0 <= float(f) <= 1.0:
            raise SchemaError(
                f"CellRules(min_coverage_frac={f!r}): the share must be a number from 0 "
                "to 1, e.g. 0.5 to ignore cells less than half covered."
            )
        for name in ("default_value", "default_weight"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int | float) or not np.isfinite(v)):
                raise SchemaError(f"CellRules({name}={v!r}): give a finite number or None.")


def user_arity(func: UserStat) -> int:
    """Return how many positional arguments a user statistic takes (2 or 3), or raise.

    Parameters
    ----------
    func
        The user's function.

    Returns
    -------
    int
        2 (``values, coverage``) or 3 (``values, coverage, weights``).

    Raises
    ------
    TypeError
        The function takes neither 2 nor 3 positional arguments.
    """
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: values, coverage
        return 2
    pos = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    req = [p for p in pos if p.default is p.empty]
    if len(req) in (2, 3):
        return len(req)
    if len(req) < 2 <= len(pos):
        return 2
    raise TypeError(
        f"User statistic {getattr(func, '__name__', func)!r} must take 2 arguments "
        "(values, coverage) or 3 (values, coverage, weights)."
    )


def _stat_name(stat: Stat) -> str:
    """Return a statistic's output column name (a function's ``__name__``)."""
    if isinstance(stat, str):
        return stat
    name = getattr(stat, "__name__", None)
    if not name or name == "<lambda>":
        raise SchemaError(
            f"User statistic {stat!r} has no name to label its column: define it with "
            "'def' (the column is named by the function's __name__)."
        )
    return str(name)


def parse_stats(
    stats: Stat | Sequence[Stat], weights: Raster | None
) -> tuple[list[str], dict[str, UserStat]]:
    """Return the output column names, in order, and the user functions by name.

    Parameters
    ----------
    stats
        Statistic names, ``percentile_<q>`` and user functions (see
        :func:`~sahel_geo.analysis.zonal.zonal_stats`).
    weights
        The weights raster, or None (weighted statistics then raise).

    Returns
    -------
    tuple
        The output column names (duplicates dropped, order kept) and the user functions
        by name.

    Raises
    ------
    SchemaError
        An unknown statistic, a bad percentile, a user function without a name, taking
        the wrong number of arguments or named twice, a weighted statistic without
        ``weights``, or no statistic at all.

    Examples
    --------
    >>> parse_stats(["count", "stdev", "count"], None)
    (['count', 'stdev'], {})
    """
    if isinstance(stats, str) or callable(stats):
        stats = [stats]
    stats = list(stats)
    funcs = {_stat_name(f): f for f in stats if not isinstance(f, str)}
    bad: list[object] = [
        s for s in stats if isinstance(s, str) and s not in STATISTICS and not _PCT.match(s)
    ]
    bad += [s for s in stats if not isinstance(s, str) and not callable(s)]
    if bad:
        raise SchemaError(
            f"Unknown statistic(s) {bad}. Known: {sorted(STATISTICS)}, 'percentile_<q>' "
            "with 0 <= q <= 100, e.g. 'percentile_90', and functions f(values, coverage) "
            "or f(values, coverage, weights) returning a number."
        )
    for s in stats:
        m = _PCT.match(s) if isinstance(s, str) else None
        if m and not 0 <= float(m.group(1)) <= 100:
            raise SchemaError(f"{s!r}: the percentile must be between 0 and 100.")
    names = [_stat_name(s) for s in stats]
    clash = sorted({n for n in names if names.count(n) > 1 and n in funcs})
    if clash:
        raise SchemaError(f"Statistics {clash} are named twice: rename the function(s).")
    for name, f in funcs.items():
        try:
            arity = user_arity(f)
        except TypeError as err:
            raise SchemaError(str(err)) from None
        if arity == 3 and weights is None:
            raise SchemaError(f"User statistic {name!r} takes weights: pass a 'weights' raster.")
    needs_w = [s for s in names if s in _WEIGHTED]
    if needs_w and weights is None:
        raise SchemaError(f"Statistic(s) {needs_w} need a 'weights' raster.")
    if not names:
        raise SchemaError("'stats' is empty: ask for at least one statistic, e.g. ['mean'].")
    return list(dict.fromkeys(names)), funcs


def canonical_names(names: list[str]) -> list[str]:
    """Resolve aliases (exactextract's names) to the statistics computed.

    Parameters
    ----------
    names
        Statistic names, in order.

    Returns
    -------
    list of str
        The statistics computed, each once, in order.

    Examples
    --------
    >>> canonical_names(["std", "stdev", "mode"])
    ['std', 'majority']
    """
    return list(dict.fromkeys(_ALIAS.get(s, s) for s in names))


def canonical_name(name: str) -> str:
    """Return the statistic computed for an output column (exactextract's aliases resolved).

    Parameters
    ----------
    name
        A statistic's name, e.g. ``"stdev"``.

    Returns
    -------
    str
        The name it is computed under, e.g. ``"std"``.

    Examples
    --------
    >>> canonical_name("mode"), canonical_name("mean")
    ('majority', 'mean')
    """
    return _ALIAS.get(name, name)


def _quantile_of(name: str) -> float:
    """Return the quantile (0..1) of ``median`` or ``percentile_<q>``."""
    m = _PCT.match(name)
    return float(m.group(1)) / 100 if m else 0.5


def quantile_stats(names: Sequence[str]) -> dict[str, float]:
    """Return the quantile (0..1) of each quantile statistic asked for, by name.

    Parameters
    ----------
    names
        Canonical statistic names (:func:`canonical_names`).

    Returns
    -------
    dict of str to float
        ``median`` -> 0.5 and ``percentile_<q>`` -> q / 100, in the order asked.

    Examples
    --------
    >>> quantile_stats(["mean", "median", "percentile_90"])
    {'median': 0.5, 'percentile_90': 0.9}
    """
    return {s: _quantile_of(s) for s in names if s == "median" or _PCT.match(s)}


def needs_cells(names: Sequence[str], funcs: dict[str, UserStat]) -> bool:
    """Return whether any statistic is read from the gathered cells (not only sums).

    Parameters
    ----------
    names
        Canonical statistic names.
    funcs
        The user functions (always read from the cells).

    Returns
    -------
    bool
        True when the covered cells must be gathered.

    Examples
    --------
    >>> needs_cells(["count", "mean"], {}), needs_cells(["median"], {})
    (False, True)
    """
    return bool(funcs) or any(s in _CELL_STATS or _PCT.match(s) for s in names)
