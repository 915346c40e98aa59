"""Optional dependencies behind one import function with an install hint."""

from __future__ import annotations

import importlib
from types import ModuleType

from sahel_geo.core.errors import MissingDependencyError

__all__ = ["import_optional_dependency"]

_PIP_NAMES = {"exactextract": "exactextract", "rasterstats": "rasterstats", "esda": "esda"}


def import_optional_dependency(name: str, *, purpose: str) -> ModuleType:
    """Import an optional module or raise :class:`MissingDependencyError` with a hint.

    Parameters
    ----------
    name
        Module name, e.g. ``"exactextract"``.
    purpose
        What the module is needed for, used in the error message.

    Returns
    -------
    ModuleType
        The imported module.
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        pip_name = _PIP_NAMES.get(name, name.split(".")[0])
        raise MissingDependencyError(
            f"{purpose} needs the optional package {pip_name!r}, which is not installed. "
            f"Install it with 'python -m pip install {pip_name}' "
            f"or 'conda install -c conda-forge {pip_name}'."
        ) from exc
