"""``show_versions()``: what to paste into a bug report."""

from __future__ import annotations

import importlib
import platform
import sys
from importlib.metadata import PackageNotFoundError, version

__all__ = ["show_versions"]

_PACKAGES = (
    "sahel_geo",
    "numpy",
    "pandas",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "rasterio",
    "xarray",
    "folium",
    "osmnx",
    "networkx",
    "scipy",
    "matplotlib",
)


def _pkg_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _libraries() -> dict[str, str]:
    libs: dict[str, str] = {}
    try:
        shapely = importlib.import_module("shapely")
        libs["GEOS"] = str(shapely.geos_version_string)
    except ImportError:  # pragma: no cover - shapely is a hard dependency
        libs["GEOS"] = "unknown"
    try:
        pyproj = importlib.import_module("pyproj")
        libs["PROJ"] = str(pyproj.proj_version_str)
        libs["PROJ data"] = str(pyproj.datadir.get_data_dir())
    except ImportError:  # pragma: no cover
        libs["PROJ"] = "unknown"
    try:
        rasterio = importlib.import_module("rasterio")
        libs["GDAL (rasterio)"] = str(rasterio.__gdal_version__)
    except ImportError:  # pragma: no cover
        libs["GDAL (rasterio)"] = "unknown"
    try:
        pyogrio = importlib.import_module("pyogrio")
        libs["GDAL (pyogrio)"] = str(pyogrio.__gdal_version_string__)
    except ImportError:  # pragma: no cover
        libs["GDAL (pyogrio)"] = "unknown"
    return libs


def versions() -> dict[str, dict[str, str]]:
    """Return the versions ``show_versions`` prints, as a nested dict."""
    return {
        "system": {
            "python": sys.version.replace("\n", " "),
            "platform": platform.platform(),
        },
        "libraries": _libraries(),
        "packages": {name: _pkg_version(name) for name in _PACKAGES},
    }


def show_versions() -> None:
    """Print the versions of sahel_geo, its dependencies and GDAL, PROJ and GEOS.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> sg.show_versions()  # doctest: +SKIP
    """
    for section, entries in versions().items():
        print(f"\n{section.upper()}")
        print("-" * len(section))
        width = max(len(k) for k in entries)
        for key, value in entries.items():
            print(f"{key:<{width}} : {value}")
