"""Optional dependencies: one import function whose error names the extra to install.

Dask, dask-geopandas and ``dask.distributed`` are the ``dask`` extra
(``pip install "sahel_geo[dask]"``); nothing in the core needs them. A function that
takes a dask collection imports them through :func:`import_optional_dependency`, so a
missing package gives a :class:`~sahel_geo.MissingDependencyError` naming the extra
instead of a bare ``ModuleNotFoundError``. :func:`is_dask_collection` tells whether an
object is lazy without importing dask when it is not installed.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

from sahel_geo.core.errors import MissingDependencyError

__all__ = ["EXTRAS", "import_optional_dependency", "is_dask_collection"]

#: Which extra of sahel_geo installs an optional module (by top-level module name).
EXTRAS: dict[str, tuple[str, str]] = {
    "dask": ("dask", "dask[dataframe,distributed]"),
    "distributed": ("dask", "distributed"),
    "dask_geopandas": ("dask", "dask-geopandas"),
    "zarr": ("dask", "zarr"),
}


def import_optional_dependency(name: str, *, purpose: str) -> ModuleType:
    """Import an optional module or raise :class:`MissingDependencyError` with the fix.

    Parameters
    ----------
    name
        Module name, e.g. ``"dask_geopandas"`` or ``"dask.dataframe"``.
    purpose
        What the module is needed for, used in the error message.

    Returns
    -------
    ModuleType
        The imported module.

    Raises
    ------
    MissingDependencyError
        When the module (or one it needs) cannot be imported; the message names the pip
        extra (``sahel_geo[dask]``) and the conda-forge package.
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        top = name.split(".")[0]
        extra, package = EXTRAS.get(top, ("", top))
        how = f"pip install 'sahel_geo[{extra}]'" if extra else f"pip install {package}"
        conda = package.split("[")[0]
        raise MissingDependencyError(
            f"{purpose} needs the optional package {package!r}, which cannot be imported "
            f"({exc}). Install it with {how} or 'conda install -c conda-forge {conda}'."
        ) from exc


def is_dask_collection(obj: Any) -> bool:
    """Tell whether ``obj`` is a lazy dask collection (array, dataframe, GeoDataFrame).

    Never imports dask: an object can only be a dask collection if dask is already
    imported.
    """
    if "dask" not in sys.modules:
        return False
    from dask.base import is_dask_collection as _is_dask

    return bool(_is_dask(obj))
