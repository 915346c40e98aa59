"""Bundled data: Natural Earth admin boundaries for Mali, Niger, Burkina Faso and neighbours.

The files live in ``data/boundaries/`` of the source tree and ship in the wheel as the
``sahel_geo._bundled`` package; see ``data/boundaries/README.md`` for their provenance,
licence (public domain), every change made and their known limits.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd
import pyogrio

from sahel_geo.core.errors import InputFileError, SchemaError
from sahel_geo.core.schema import BOUNDARY_COLUMNS

__all__ = ["BUNDLED_COUNTRIES", "bundled_boundaries_path", "bundled_path", "load_boundaries"]

logger = logging.getLogger(__name__)

#: ISO3 codes of the countries in each bundled level.
BUNDLED_COUNTRIES: Final[dict[int, tuple[str, ...]]] = {
    0: (
        "MLI",
        "NER",
        "BFA",
        "MRT",
        "DZA",
        "SEN",
        "GIN",
        "CIV",
        "GHA",
        "TGO",
        "BEN",
        "NGA",
        "TCD",
    ),
    1: ("BFA", "MLI", "NER"),
    2: ("BFA",),
}

_LEVEL_NOTES: Final[dict[int, str]] = {
    0: "admin-0: 13 countries (Natural Earth 10m via world-atlas)",
    1: "admin-1: Mali 9 regions (pre-2016 layout), Niger 8 regions, Burkina Faso 13 regions",
    2: "admin-2: Burkina Faso's 45 provinces only (Natural Earth has no admin-2 for Mali/Niger)",
}


def bundled_path(*parts: str) -> Path:
    """Return the path of a file shipped in the package's one bundled-data folder.

    The folder is ``data/`` of the source tree, installed as the ``sahel_geo._bundled``
    package: ``boundaries/`` (Natural Earth), ``roads/`` (the tri-border road sketch),
    ``web/`` (the JavaScript and CSS inlined into offline maps) and ``demo.toml``.

    Parameters
    ----------
    *parts
        Path parts below the folder, e.g. ``"boundaries", "admin1.geojson"``.

    Returns
    -------
    pathlib.Path
        The file's path.

    Raises
    ------
    InputFileError
        If the file is not there (a broken install): says how to repair it.

    Examples
    --------
    >>> bundled_path("demo.toml").name
    'demo.toml'
    """
    path = Path(str(importlib.resources.files("sahel_geo._bundled").joinpath(*parts)))
    if not path.is_file():
        raise InputFileError(
            f"The bundled file {'/'.join(parts)} is missing from the installed package "
            f"(looked for {path}). Reinstall sahel_geo (python -m pip install .); for the "
            "boundaries, 'python scripts/build_boundaries.py' rebuilds them."
        )
    return path


def bundled_boundaries_path(level: int) -> Path:
    """Return the path of the bundled GeoJSON file of one admin level.

    Parameters
    ----------
    level
        0, 1 or 2.

    Returns
    -------
    pathlib.Path
        ``.../boundaries/admin{level}.geojson``.

    Examples
    --------
    >>> bundled_boundaries_path(1).name
    'admin1.geojson'
    """
    _check_level(level)
    return bundled_path("boundaries", f"admin{level}.geojson")


def _check_level(level: int) -> None:
    if isinstance(level, bool) or level not in BUNDLED_COUNTRIES:
        raise SchemaError(
            f"level must be 0, 1 or 2; got {level!r}. Bundled: " + "; ".join(_LEVEL_NOTES.values())
        )


def load_boundaries(level: int = 1, *, countries: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """Load the bundled Natural Earth admin boundaries in the canonical schema.

    Parameters
    ----------
    level
        0 (countries: Mali, Niger, Burkina Faso and their 10 neighbours), 1 (regions of
        Mali, Niger, Burkina Faso) or 2 (Burkina Faso's provinces).
    countries
        ISO3 codes to keep (e.g. ``["MLI", "BFA"]``); None keeps all of the level.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``admin_level``, ``pcode``, ``name``, ``parent_pcode``,
        ``country_iso3``, ``source``, then ``name_alt``, ``hasc``, ``iso_3166_2``,
        ``ne_adm1_code``, ``type_en`` and ``geometry``; one valid Polygon/MultiPolygon a
        row, ``pcode`` unique: ISO 3166-1 alpha-3 at level 0 (``MLI``), ISO 3166-2 at
        levels 1 and 2 (``ML-BKO``, ``BF-12``, ``BF-OUD``; equal to ``iso_3166_2``),
        with NE's HASC (``hasc``) and ``adm1_code`` (``ne_adm1_code``) as columns.

    Raises
    ------
    SchemaError
        An unknown level or country code, or a country without that level.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> adm1 = sg.load_boundaries(1, countries=["MLI"])
    >>> len(adm1), adm1.crs.to_epsg()
    (9, 4326)
    >>> sorted(sg.load_boundaries(2)["parent_pcode"].unique())[:2]
    ['BF-01', 'BF-02']
    """
    _check_level(level)
    available = BUNDLED_COUNTRIES[level]
    wanted: list[str] | None = None
    if countries is not None:
        if isinstance(countries, str):
            raise SchemaError(
                f"countries must be a list of ISO3 codes, e.g. [{countries!r}]; got a string."
            )
        wanted = [str(c).strip().upper() for c in countries]
        everywhere = sorted(set(BUNDLED_COUNTRIES[0]))
        unknown = [c for c in wanted if c not in everywhere]
        if unknown:
            raise SchemaError(
                f"Unknown country code(s) {unknown} for the bundled boundaries. Available ISO3 "
                f"codes: level 0: {', '.join(BUNDLED_COUNTRIES[0])}; "
                f"level 1: {', '.join(BUNDLED_COUNTRIES[1])}; level 2: "
                f"{', '.join(BUNDLED_COUNTRIES[2])}."
            )
        absent = [c for c in wanted if c not in available]
        if absent:
            raise SchemaError(
                f"The bundled boundaries have no admin-{level} units for {absent}: "
                f"{_LEVEL_NOTES[level]}. Countries with admin-{level}: {', '.join(available)}. "
                "For other units read a COD-AB, geoBoundaries or GADM file with "
                "sg.read_boundaries(path)."
            )
    gdf = _read_level(level)
    if wanted is not None:
        gdf = gdf[gdf["country_iso3"].isin(wanted)].reset_index(drop=True)
    return gdf.copy()  # the cached frame is never handed out


@functools.lru_cache(maxsize=3)
def _read_level(level: int) -> gpd.GeoDataFrame:
    path = bundled_boundaries_path(level)
    gdf = pyogrio.read_dataframe(path)
    gdf = gdf.set_crs(4326, allow_override=True)
    gdf["admin_level"] = gdf["admin_level"].astype("int64")
    missing = [c for c in BOUNDARY_COLUMNS if c not in gdf.columns]
    if missing:  # pragma: no cover - guards against a broken rebuild
        raise InputFileError(f"{path} lacks the canonical columns {missing}; rebuild it.")
    logger.debug("loaded %d admin-%d units from %s", len(gdf), level, path)
    return gpd.GeoDataFrame(pd.DataFrame(gdf), geometry="geometry", crs=4326)
