"""The TOML configuration of a regional analysis run (``sahel-geo run analysis.toml``).

A config names the inputs (events, boundaries, rasters, indicator tables), the region,
the admin levels, the periods and the methods. :func:`load_config` reads it with
``tomllib`` and checks it completely before anything runs: every unknown section or key,
every value of the wrong type or out of range and every input file that does not exist
is collected, then one :class:`~sahel_geo.ConfigError` lists them all, each naming the
key and the config file.

Paths are relative to the config file's folder. ``"demo"`` in place of a path (events,
drought, wasting) uses the SYNTHETIC demo data, ``"bundled"`` (boundaries) the bundled
boundaries.

The keys, their types and defaults are in :data:`SPEC`; ``examples/demo.toml`` is a
complete, commented example (the same file ships in the bundled data as ``demo.toml``).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sahel_geo.core.errors import ConfigError
from sahel_geo.io.datasets import bundled_path

__all__ = ["SPEC", "Config", "Key", "demo_config_path", "load_config", "parse_config"]


@dataclass(frozen=True)
class Key:
    """One config key: its type, default, an extra check and its documentation."""

    kind: str  # str | int | float | bool | list[str] | list[int] | path | path?|list[path]
    default: Any
    doc: str
    check: Callable[[Any], str | None] | None = None


def _one_of(*choices: str) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        return None if v in choices else f"must be one of {list(choices)}"

    return check


def _positive(v: Any) -> str | None:
    return None if v > 0 else "must be > 0"


def _nonneg(v: Any) -> str | None:
    return None if v >= 0 else "must be >= 0"


def _levels(v: Any) -> str | None:
    if not v:
        return "must name at least one level"
    bad = [x for x in v if x not in (0, 1, 2)]
    return f"levels must be 0, 1 or 2 (got {bad})" if bad else None


def _iso_date(v: Any) -> str | None:
    if v == "":
        return None
    import pandas as pd

    try:
        pd.Timestamp(v)
    except (ValueError, TypeError):
        return "must be an ISO date such as '2012-01-01' (or '' for none)"
    return None


SPEC: dict[str, dict[str, Key]] = {
    "run": {
        "title": Key("str", "Regional conflict analysis", "Title of the map and figures."),
        "seed": Key("int", 0, "Seed of every random step (demo data, permutations)."),
    },
    "inputs": {
        "events": Key("path|demo", "demo", "Events file (CSV/XLSX), or 'demo' (SYNTHETIC)."),
        "events_format": Key(
            "str", "acled", "acled or ucdp (how to read the events file).", _one_of("acled", "ucdp")
        ),
        "demo_n": Key("int", 5000, "Rows of demo events when events = 'demo'.", _positive),
        "boundaries": Key("path|bundled", "bundled", "Boundaries file (any level), or 'bundled'."),
        "drought": Key(
            "path|demo|none", "", "Drought raster (SPEI stack), 'demo', or '' for none."
        ),
        "wasting": Key("path|demo|none", "", "Wasting raster, 'demo', or '' for none."),
        "indicators": Key(
            "list[path]", [], "CSV tables by P-code (column 'pcode'), joined to the units."
        ),
        "population_column": Key(
            "str", "population", "Indicator column holding population (for rates per 100k)."
        ),
    },
    "region": {
        "countries": Key(
            "list[str]", ["MLI", "BFA", "NER"], "ISO3 codes of the study countries ([] = all)."
        ),
    },
    "analysis": {
        "levels": Key("list[int]", [1], "Admin levels to analyse (0, 1, 2).", _levels),
        "map_level": Key("int", 1, "Admin level drawn on the map and figures (one of levels)."),
        "period": Key(
            "str",
            "year",
            "week (ISO weeks), month, quarter or year: the period of the counts, the change "
            "(period on period) and the spread; tables label periods 2012-W05, 2012-03, "
            "2012-Q1, 2012.",
            _one_of("week", "month", "quarter", "year"),
        ),
        "start": Key("str", "", "First day of the analysis ('' = first event).", _iso_date),
        "end": Key("str", "", "Last day of the analysis ('' = last event).", _iso_date),
        "first_arrival_k": Key(
            "float", 1.0, "Events a unit needs in a period to count as reached.", _positive
        ),
        "spread_distance_km": Key(
            "float", 50.0, "Expansion vs relocation distance (km).", _positive
        ),
        "hotspots": Key("bool", True, "Getis-Ord Gi* hot spots of the totals."),
        "permutations": Key("int", 99, "Gi* permutations (0 = analytic only).", _nonneg),
        "drought_lags": Key("list[int]", [0, 1], "Drought lags (periods) in the conflict table."),
    },
    "map": {
        "events_mode": Key(
            "str",
            "auto",
            "auto, markers, clusters, hexagons, heatmap or none.",
            _one_of("auto", "markers", "clusters", "hexagons", "heatmap", "none"),
        ),
        "marker_limit": Key("int", 2000, "Most events drawn one by one (auto).", _nonneg),
        "cluster_limit": Key("int", 10000, "Most events drawn as clusters (auto).", _nonneg),
        "aggregate": Key(
            "str",
            "hexagons",
            "Above cluster_limit: hexagons or heatmap.",
            _one_of("hexagons", "heatmap"),
        ),
        "hex_size_km": Key("float", 10.0, "Hexagon side (km).", _positive),
        "tiles": Key("str", "", "Folium tiles name or URL ('' = none: works offline)."),
        "assets": Key("str", "inline", "inline (offline) or cdn.", _one_of("inline", "cdn")),
    },
}

_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
}


@dataclass(frozen=True)
class Config:
    """A checked run configuration.

    Attributes
    ----------
    values
        ``{section: {key: value}}`` with every key of :data:`SPEC` (defaults filled in);
        input paths are absolute :class:`~pathlib.Path` objects.
    path
        The config file, or None for a config built from a mapping.
    """

    values: dict[str, dict[str, Any]]
    path: Path | None = None

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.values[section]

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Return the values with paths as text (for the manifest)."""

        def plain(v: Any) -> Any:
            if isinstance(v, Path):
                return v.as_posix()
            if isinstance(v, list):
                return [plain(x) for x in v]
            return v

        return {s: {k: plain(v) for k, v in kv.items()} for s, kv in self.values.items()}


def _type_name(v: Any) -> str:
    return type(v).__name__


def _check_value(kind: str, value: Any) -> str | None:
    """Return why ``value`` is not of ``kind`` (None when it is)."""
    if kind in _TYPES:
        if isinstance(value, bool) and kind != "bool":
            return f"must be {kind}, got bool"
        if not isinstance(value, _TYPES[kind]):
            return f"must be {kind}, got {_type_name(value)} {value!r}"
        return None
    if kind.startswith("list["):
        inner = kind[5:-1]
        if not isinstance(value, list):
            return f"must be a list of {inner}, got {_type_name(value)} {value!r}"
        base = "str" if inner == "path" else inner
        bad = [x for x in value if isinstance(x, bool) or not isinstance(x, _TYPES[base])]
        return f"must be a list of {inner}, got {bad!r}" if bad else None
    # path|demo, path|bundled, path|demo|none
    return None if isinstance(value, str) else f"must be a path (text), got {_type_name(value)}"


def _resolve(value: str, base: Path) -> Path:
    p = Path(os.path.expanduser(value))
    return p if p.is_absolute() else (base / p).resolve()


def parse_config(
    raw: Mapping[str, Any], *, base: str | os.PathLike[str] = ".", source: str = "<mapping>"
) -> Config:
    """Check a config mapping (as read from TOML) and fill in the defaults.

    Parameters
    ----------
    raw
        ``{section: {key: value}}``.
    base
        Folder relative paths are resolved against (the config file's folder).
    source
        Name of the config in messages (its path).

    Returns
    -------
    Config
        The checked config.

    Raises
    ------
    ConfigError
        Listing every unknown section or key, wrong type or value, and missing file.

    Examples
    --------
    >>> cfg = parse_config({"analysis": {"period": "month"}})
    >>> cfg["analysis"]["period"], cfg["inputs"]["events"]
    ('month', 'demo')
    >>> parse_config({"analysis": {"perod": "month"}})
    Traceback (most recent call last):
    ...
    sahel_geo.core.errors.ConfigError: <mapping>: 1 problem:
      - [analysis] unknown key 'perod' (did you mean 'period'?); known keys: ...
    """
    import difflib

    folder = Path(base)
    problems: list[str] = []
    values: dict[str, dict[str, Any]] = {}
    for section in raw:
        if section not in SPEC:
            hint = difflib.get_close_matches(str(section), list(SPEC), n=1)
            problems.append(
                f"unknown section [{section}]"
                + (f" (did you mean [{hint[0]}]?)" if hint else "")
                + f"; known sections: {', '.join(SPEC)}"
            )
        elif not isinstance(raw[section], Mapping):
            problems.append(f"[{section}] must be a table, got {_type_name(raw[section])}")
    for section, keys in SPEC.items():
        given = raw.get(section, {})
        given = given if isinstance(given, Mapping) else {}
        for key in given:
            if key not in keys:
                hint = difflib.get_close_matches(str(key), list(keys), n=1)
                problems.append(
                    f"[{section}] unknown key {key!r}"
                    + (f" (did you mean {hint[0]!r}?)" if hint else "")
                    + f"; known keys: {', '.join(keys)}"
                )
        out: dict[str, Any] = {}
        for key, spec in keys.items():
            value = given.get(key, spec.default)
            why = _check_value(spec.kind, value)
            if why is None and spec.check is not None:
                why = spec.check(value)
            if why is not None:
                problems.append(f"[{section}] {key} {why}")
                out[key] = spec.default
                continue
            if spec.kind.startswith("path"):
                special = {"demo", "bundled", ""} & set(spec.kind.replace("none", "").split("|"))
                if value in special or (value == "" and "none" in spec.kind):
                    out[key] = value
                    continue
                if value == "":
                    problems.append(f"[{section}] {key} must name a file")
                    continue
                p = _resolve(value, folder)
                if not p.exists():
                    problems.append(f"[{section}] {key}: file not found: {p}")
                out[key] = p
            elif spec.kind == "list[path]":
                paths = [_resolve(v, folder) for v in value]
                problems += [
                    f"[{section}] {key}: file not found: {p}" for p in paths if not p.exists()
                ]
                out[key] = paths
            else:
                out[key] = float(value) if spec.kind == "float" else value
        values[section] = out
    a = values["analysis"]
    if a["map_level"] not in a["levels"]:
        problems.append(
            f"[analysis] map_level {a['map_level']} must be one of levels {a['levels']}"
        )
    if a["start"] and a["end"] and str(a["start"]) > str(a["end"]):
        problems.append(f"[analysis] start {a['start']!r} is after end {a['end']!r}")
    m = values["map"]
    if m["marker_limit"] > m["cluster_limit"]:
        problems.append(
            f"[map] marker_limit ({m['marker_limit']}) must not exceed cluster_limit "
            f"({m['cluster_limit']})"
        )
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(
            f"{source}: {len(problems)} problem{'s' if len(problems) > 1 else ''}:\n{lines}"
        )
    return Config(values=values, path=None)


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and check a TOML run config.

    Parameters
    ----------
    path
        The ``.toml`` file.

    Returns
    -------
    Config
        The checked config (relative paths resolved against the file's folder).

    Raises
    ------
    ConfigError
        When the file is missing, is not valid TOML, or any key is unknown, of the wrong
        type or names a missing file (all listed at once).

    Examples
    --------
    >>> cfg = load_config(demo_config_path())
    >>> cfg["inputs"]["events"], cfg["analysis"]["levels"]
    ('demo', [1])
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {p}. Give the path of a .toml file.")
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}. Fix the syntax at that line.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not UTF-8 text ({exc}); save the config as UTF-8.") from exc
    cfg = parse_config(raw, base=p.resolve().parent, source=str(p))
    return Config(values=cfg.values, path=p.resolve())


def demo_config_path() -> Path:
    """Return the path of the example config shipped in the package (the demo run).

    Examples
    --------
    >>> demo_config_path().name
    'demo.toml'
    """
    return bundled_path("demo.toml")
