"""The TOML configuration of a regional analysis run (``sahel-geo run analysis.toml``).

A config names the inputs (events, boundaries, rasters, indicator tables), the region,
the admin levels, the periods and the methods. :func:`load_config` reads it with
``tomllib`` and checks it completely before anything runs: every unknown section or key,
every value of the wrong type or out of range and every input file that does not exist
(or is a folder where a file is needed) is collected, then one
:class:`~sahel_geo.ConfigError` lists them all, each naming the key and the config file.

Dates (``[analysis] start``/``end``) are TOML dates (``start = 2012-01-01``) or ISO text
(``start = "2012-01-01"``); any other form (``"01/02/2019"``) is an error, never read
month-first. ``[run] seed`` is >= 0. ``[region] countries`` are ISO3 codes in capitals;
with the bundled boundaries every one must have units at every level of ``[analysis]
levels`` (admin-2 covers Burkina Faso only). ``[map] tiles`` is a provider name folium
knows (``"OpenStreetMap"``, ``"OpenTopoMap"``; names that need an API key are an error)
or a tile URL with ``{z}/{x}/{y}``, which needs ``[map] attribution``.

Paths are relative to the config file's folder. ``"demo"`` in place of a path (events,
drought, wasting) uses the SYNTHETIC demo data, ``"bundled"`` (boundaries) the bundled
boundaries.

The keys, their types and defaults are in :data:`SPEC`; ``examples/demo.toml`` is a
complete, commented example (the same file ships in the bundled data as ``demo.toml``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sahel_geo.core.errors import ConfigError
from sahel_geo.io.datasets import BUNDLED_COUNTRIES, bundled_path

__all__ = [
    "LAYER_FORMATS",
    "SPEC",
    "Config",
    "Key",
    "demo_config_path",
    "load_config",
    "parse_config",
]


@dataclass(frozen=True)
class Key:
    """One config key: its type, default, an extra check and its documentation."""

    kind: str  # str | int | float | bool | date | list[str] | list[int] | path|... | list[path]
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


def _fraction(v: Any) -> str | None:
    return None if 0 <= v < 1 else "must be >= 0 and < 1"


def _levels(v: Any) -> str | None:
    if not v:
        return "must name at least one level"
    bad = [x for x in v if x not in (0, 1, 2)]
    return f"levels must be 0, 1 or 2 (got {bad})" if bad else None


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_FORM = (
    "must be an ISO date YYYY-MM-DD, written as a TOML date (start = 2012-01-01) or as "
    'text (start = "2012-01-01"), or "" for none'
)


def _date_value(v: Any) -> tuple[str | None, str | None]:
    """Return ``(ISO text, None)`` for a valid date value, else ``(None, why)``."""
    if isinstance(v, dt.datetime):  # a TOML date-time: a subclass of date, so first
        return None, f"{_DATE_FORM}; got the date-time {v.isoformat()} (give the day only)"
    if isinstance(v, dt.date):
        return v.isoformat(), None
    if not isinstance(v, str):
        return None, f"{_DATE_FORM}; got {_type_name(v)} {v!r}"
    if v == "":
        return "", None
    if not _ISO_DAY.fullmatch(v.strip()):
        return None, f"{_DATE_FORM}; got {v!r} (day and month order is not guessed)"
    try:
        return dt.date.fromisoformat(v.strip()).isoformat(), None
    except ValueError as exc:
        return None, f"is not a calendar date: {v!r} ({exc})"


#: Layer formats a run can write, by config name (``[output]``), and their file suffix.
LAYER_FORMATS: dict[str, str] = {
    "geojson": ".geojson",
    "parquet": ".parquet",
    "gpkg": ".gpkg",
    "fgb": ".fgb",
    "csv": ".csv",
}


def _formats(*extra: str) -> Callable[[Any], str | None]:
    known = [*extra, *LAYER_FORMATS]

    def check(v: Any) -> str | None:
        if not v:
            return f"must name at least one format of {known}"
        bad = [x for x in v if x not in known]
        if bad:
            return f"has unknown format(s) {bad}; known: {known}"
        return "names a format twice" if len(set(v)) < len(v) else None

    return check


def _iso3_list(v: Any) -> str | None:
    bad = [c for c in v if not re.fullmatch(r"[A-Z]{3}", c)]
    if bad:
        return (
            f"must be ISO 3166-1 alpha-3 codes in capitals, e.g. ['MLI', 'BFA', 'NER']; got {bad}"
        )
    return None


SPEC: dict[str, dict[str, Key]] = {
    "run": {
        "title": Key("str", "Regional conflict analysis", "Title of the map and figures."),
        "seed": Key("int", 0, "Seed of every random step (demo data, permutations).", _nonneg),
    },
    "inputs": {
        "events": Key("path|demo", "demo", "Events file (CSV/XLSX), or 'demo' (SYNTHETIC)."),
        "events_format": Key(
            "str",
            "acled",
            "How to read the events file: acled, ucdp, auto (ACLED or UCDP GED detected by "
            "their columns) or generic (columns named event_date, latitude, longitude, ...).",
            _one_of("acled", "ucdp", "auto", "generic"),
        ),
        "demo_n": Key("int", 5000, "Rows of demo events when events = 'demo'.", _positive),
        "boundaries": Key("path|bundled", "bundled", "Boundaries file (any level), or 'bundled'."),
        "drought": Key(
            "path|demo|none",
            "",
            "Drought time stack (SPEI): a NetCDF with a time dimension or a folder of dated "
            "GeoTIFFs; 'demo'; or '' for none. A single layer (one GeoTIFF, a 2-D NetCDF) "
            "is an error: it matches no period.",
        ),
        "wasting": Key("path|demo|none", "", "Wasting raster (one layer), 'demo', or '' for none."),
        "population": Key(
            "path|demo|none",
            "",
            "People per cell (one layer, e.g. WorldPop at 100 m or 1 km), on its own grid: "
            "drought and wasting are then also averaged over the people of each unit "
            "(spei_pop_last_period, wasting_pct_pop), the population raster's cells split "
            "exactly between the cells they overlap (zonal_stats weights=). The grids must "
            "nest (one cell size a whole multiple of the other, aligned). 'demo' or '' for "
            "none.",
        ),
        "indicators": Key(
            "list[path]", [], "CSV tables by P-code (column 'pcode'), joined to the units."
        ),
        "population_column": Key(
            "str", "population", "Indicator column holding population (for rates per 100k)."
        ),
    },
    "region": {
        "countries": Key(
            "list[str]",
            ["MLI", "BFA", "NER"],
            "ISO3 codes of the study countries ([] = all). Events of other countries are "
            "left out right after reading (counted in the select_region_period step); the "
            "boundaries must hold units of every one at every level.",
            _iso3_list,
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
        "start": Key(
            "date",
            "",
            "First day of the analysis, a TOML date (2012-01-01) or ISO text "
            "('2012-01-01'); '' = first event. Earlier events are left out, counted.",
        ),
        "end": Key(
            "date",
            "",
            "Last day of the analysis (inclusive), as start; '' = last event.",
        ),
        "first_arrival_k": Key(
            "float", 1.0, "Events a unit needs in a period to count as reached.", _positive
        ),
        "spread_distance_km": Key(
            "float", 50.0, "Expansion vs relocation distance (km).", _positive
        ),
        "hotspots": Key("bool", True, "Getis-Ord Gi* hot spots of the totals."),
        "permutations": Key("int", 99, "Gi* permutations (0 = analytic only).", _nonneg),
        "drought_lags": Key("list[int]", [0, 1], "Drought lags (periods) in the conflict table."),
        "min_coverage_frac": Key(
            "float",
            0.0,
            "Raster cells covered less than this share by a unit are left out of its drought "
            "and wasting statistics (exactextract's min_coverage_frac; 0 = every cell "
            "touched, weighted by its covered share).",
            _fraction,
        ),
    },
    "output": {
        "events_formats": Key(
            "list[str]",
            ["auto"],
            "Formats of the events layer, one file each (events.<suffix>): geojson, "
            "parquet (GeoParquet), gpkg (GeoPackage), fgb (FlatGeobuf), csv (no geometry, "
            "longitude/latitude columns kept), or auto: GeoJSON up to parquet_above events, "
            "GeoParquet above (a 1M-event GeoJSON is over 1 GB and slow to open; GeoParquet "
            "is about a tenth of the size and opens in QGIS, GDAL, geopandas and DuckDB).",
            _formats("auto"),
        ),
        "units_formats": Key(
            "list[str]",
            ["geojson"],
            "Formats of the adm<L>_units layers (as events_formats, without auto).",
            _formats(),
        ),
        "parquet_above": Key(
            "int",
            100_000,
            "Events above which events_formats = ['auto'] writes GeoParquet, not GeoJSON.",
            _nonneg,
        ),
        "event_columns": Key(
            "str",
            "canonical",
            "Columns of the events layer: canonical (the canonical event columns of "
            "sahel_geo.core.schema.EVENT_COLUMNS plus every adm<L>_ unit column) or all "
            "(also every column of the source export).",
            _one_of("canonical", "all"),
        ),
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
        "tiles": Key(
            "str",
            "",
            "Tile layer: a provider name known to folium/xyzservices ('OpenStreetMap', "
            "'OpenTopoMap', 'Esri.WorldImagery', ...) or a URL with {z}/{x}/{y} (then "
            "attribution is required); '' = none: the map opens offline.",
        ),
        "attribution": Key("str", "", "Credit line of the tiles (required with a tiles URL)."),
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
    folder = Path(base)
    problems = _unknown_sections(raw)
    values: dict[str, dict[str, Any]] = {}
    for section, keys in SPEC.items():
        given = raw.get(section, {})
        given = given if isinstance(given, Mapping) else {}
        problems += _unknown_keys(section, given)
        values[section] = {
            key: _key_value(section, key, spec, given.get(key, spec.default), folder, problems)
            for key, spec in keys.items()
        }
    problems += _cross_checks(values)
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(
            f"{source}: {len(problems)} problem{'s' if len(problems) > 1 else ''}:\n{lines}"
        )
    return Config(values=values, path=None)


def _unknown_sections(raw: Mapping[str, Any]) -> list[str]:
    problems = []
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
    return problems


def _unknown_keys(section: str, given: Mapping[str, Any]) -> list[str]:
    keys = SPEC[section]
    problems = []
    for key in given:
        if key not in keys:
            hint = difflib.get_close_matches(str(key), list(keys), n=1)
            problems.append(
                f"[{section}] unknown key {key!r}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + f"; known keys: {', '.join(keys)}"
            )
    return problems


def _key_value(
    section: str, key: str, spec: Key, value: Any, folder: Path, problems: list[str]
) -> Any:
    """Return the checked value of one key (its default after a problem, noted)."""
    if spec.kind == "date":
        text, why = _date_value(value)
    else:
        text, why = value, _check_value(spec.kind, value)
    if why is None and spec.check is not None:
        why = spec.check(value)
    if why is not None:
        problems.append(f"[{section}] {key} {why}")
        return spec.default
    if spec.kind.startswith("path"):
        return _path_value(section, key, spec.kind, value, folder, problems)
    if spec.kind == "list[path]":
        paths = [_resolve(v, folder) for v in value]
        problems += [w for p in paths if (w := _file_problem(section, key, p, folder_ok=False))]
        return paths
    return float(value) if spec.kind == "float" else text


def _file_problem(section: str, key: str, p: Path, *, folder_ok: bool) -> str:
    """Why ``p`` cannot be read as this key's input ('' when it can)."""
    if not p.exists():
        return f"[{section}] {key}: file not found: {p}"
    if p.is_dir() and not folder_ok:
        return f"[{section}] {key}: {p} is a folder; give the path of a file in it"
    return ""


# inputs that may be a folder (a folder of dated GeoTIFFs, a Zarr store)
_FOLDER_INPUTS = frozenset({"drought", "wasting", "population"})


def _path_value(
    section: str, key: str, kind: str, value: str, folder: Path, problems: list[str]
) -> Any:
    special = {"demo", "bundled", ""} & set(kind.replace("none", "").split("|"))
    if value in special or (value == "" and "none" in kind):
        return value
    if value == "":
        problems.append(f"[{section}] {key} must name a file")
        return value
    p = _resolve(value, folder)
    why = _file_problem(section, key, p, folder_ok=key in _FOLDER_INPUTS)
    if why:
        problems.append(why)
    return p


def _cross_checks(values: dict[str, dict[str, Any]]) -> list[str]:
    """Check the keys that depend on each other (levels, dates, limits, tiles)."""
    problems = []
    a = values["analysis"]
    if a["map_level"] not in a["levels"]:
        problems.append(
            f"[analysis] map_level {a['map_level']} must be one of levels {a['levels']}"
        )
    if a["start"] and a["end"] and a["start"] > a["end"]:
        problems.append(
            f"[analysis] start {a['start']!r} is after end {a['end']!r}: swap them or correct one"
        )
    m = values["map"]
    if m["marker_limit"] > m["cluster_limit"]:
        problems.append(
            f"[map] marker_limit ({m['marker_limit']}) must not exceed cluster_limit "
            f"({m['cluster_limit']})"
        )
    problems += _tiles_problems(m["tiles"], m["attribution"])
    if values["inputs"]["boundaries"] == "bundled":
        problems += _bundled_problems(values["region"]["countries"], a["levels"])
    return problems


def _tiles_problems(tiles: str, attribution: str) -> list[str]:
    """Check ``[map] tiles``: a known provider name or a tile URL with its attribution."""
    if tiles == "":
        return []
    if "://" in tiles or "{" in tiles:
        problems = []
        missing = [k for k in ("{x}", "{y}", "{z}") if k not in tiles]
        if missing:
            problems.append(
                f"[map] tiles URL {tiles!r} lacks {', '.join(missing)}: a tile URL reads like "
                "'https://tile.example.org/{z}/{x}/{y}.png'"
            )
        if not attribution.strip():
            problems.append(
                "[map] tiles is a URL, so [map] attribution is required: the credit line the "
                'tile provider asks for, e.g. attribution = "(c) OpenStreetMap contributors"'
            )
        return problems
    return _provider_problems(tiles)


def _provider_problems(name: str) -> list[str]:
    """Check a tile provider name as folium reads it (xyzservices' names)."""
    import xyzservices

    if name.strip().lower() == "openstreetmap":
        return []
    try:
        provider = xyzservices.providers.query_name(name)
    except ValueError:
        known = ["OpenStreetMap", *xyzservices.providers.flatten()]
        hint = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        return [
            f"[map] tiles {name!r} is not a tile provider folium knows"
            + (f" (did you mean {', '.join(map(repr, hint))}?)" if hint else "")
            + "; give a name such as 'OpenStreetMap', 'OpenTopoMap' or 'Esri.WorldImagery', "
            "a tile URL with [map] attribution, or '' for none"
        ]
    if provider.requires_token():
        return [
            f"[map] tiles {name!r} ({provider.name}) needs an API key: give its URL with your "
            "key and [map] attribution, or a provider without a key such as 'OpenStreetMap'"
        ]
    return []


def _bundled_problems(countries: list[str], levels: list[int]) -> list[str]:
    """Countries the bundled boundaries have no units of, at each configured level."""
    problems = []
    for level in dict.fromkeys(levels):
        available = BUNDLED_COUNTRIES.get(level, ())
        absent = [c for c in countries if c not in available]
        if absent:
            problems.append(
                f"[region] countries {absent} have no admin-{level} units in the bundled "
                f"boundaries (admin-{level} covers {', '.join(available)}): drop level "
                f"{level} from [analysis] levels, keep only countries it covers, or give a "
                "[inputs] boundaries file with those units"
            )
    return problems


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
    if not isinstance(path, str | os.PathLike):
        raise ConfigError(
            f"load_config: expected the path of a .toml file (a str or pathlib.Path); got "
            f"{type(path).__name__}. For a config already in memory use parse_config(dict)."
        )
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
