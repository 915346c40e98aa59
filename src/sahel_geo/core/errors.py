"""Exception and warning types raised by sahel_geo.

Every error sahel_geo raises is a :class:`SahelGeoError`. Each subclass also
subclasses the built-in it resembles, so ``except ValueError`` keeps working for
code that does not know about this package. Messages name the file, column or
rows involved and say how to fix the problem.
"""

from __future__ import annotations

__all__ = [
    "CRSError",
    "CRSMismatchError",
    "ConfigError",
    "EmptyResultError",
    "FigureFormatError",
    "InputFileError",
    "MissingCRSError",
    "MissingDependencyError",
    "NetworkError",
    "NodataWarning",
    "SahelGeoError",
    "SahelGeoWarning",
    "SchemaError",
]


class SahelGeoError(Exception):
    """Base class of every error raised by sahel_geo."""


class SchemaError(SahelGeoError, ValueError):
    """A table does not have the columns, types or values the operation needs."""


class InputFileError(SahelGeoError, ValueError):
    """A file cannot be read: missing, empty, corrupt or in an unknown format."""


class CRSError(SahelGeoError, ValueError):
    """A coordinate reference system problem."""


class MissingCRSError(CRSError):
    """Data has no CRS where one is required."""


class CRSMismatchError(CRSError):
    """Two inputs are in different CRSs where the same one is required."""


class EmptyResultError(SahelGeoError, ValueError):
    """An operation would return nothing, which is almost always a mistake upstream."""


class ConfigError(SahelGeoError, ValueError):
    """An option or a run configuration is invalid."""


class FigureFormatError(SahelGeoError, ValueError):
    """A figure was asked for in a format :func:`sahel_geo.save_figure` cannot write."""


class NetworkError(SahelGeoError, ConnectionError):
    """An online source could not be reached or answered with an error."""


class MissingDependencyError(SahelGeoError, ImportError):
    """An optional dependency is needed for this operation but not installed."""


class SahelGeoWarning(UserWarning):
    """Base class of every warning issued by sahel_geo."""


class NodataWarning(SahelGeoWarning):
    """Raster values were missing (nodata) where a value was expected."""
