"""The run's layer files: which columns the events layer carries, in which formats.

``[output]`` of the run config (:mod:`sahel_geo.workflow.config`) chooses:

- ``event_columns``: ``canonical`` (the default) writes the canonical event columns
  (:data:`sahel_geo.core.schema.EVENT_COLUMNS`) and every ``adm{L}_`` column the joins
  added; ``all`` also every column of the source export (ACLED has about 30 more,
  which make a 1M-event GeoJSON three times larger);
- ``events_formats`` and ``units_formats``: one file per format, ``events.geojson``,
  ``events.parquet`` (GeoParquet), ``events.gpkg``, ``events.fgb``, ``events.csv``
  (no geometry: ``longitude`` and ``latitude`` columns instead). ``auto`` (events
  only, the default) writes GeoJSON up to ``parquet_above`` events (100,000) and
  GeoParquet above: at 100,000 events a GeoJSON layer is ~36 MB against ~5 MB of
  GeoParquet, and a 1M-event GeoJSON is over 1 GB.

Every format goes through :func:`sahel_geo.io.layers.write_layer` (atomic, byte-identical
on reruns). The files appear in the run's result and manifest under the layer's name
(``events``, ``adm1_units``) for the first format and ``<name>_<format>`` for the others.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from sahel_geo.core.schema import EVENT_COLUMNS
from sahel_geo.core.validation import point_xy_or_nan
from sahel_geo.io.layers import write_layer
from sahel_geo.workflow.config import LAYER_FORMATS

__all__ = ["event_layer", "layer_formats", "write_layer_files"]

_UNIT_COLUMN = re.compile(r"adm\d_")


def event_layer(joined: gpd.GeoDataFrame, columns: str) -> gpd.GeoDataFrame:
    """Return the events layer with the columns ``[output] event_columns`` names.

    Parameters
    ----------
    joined
        The events after the joins (``adm{L}_*`` columns).
    columns
        ``"canonical"``: the canonical event columns present, the ``adm{L}_`` columns
        and the geometry; ``"all"``: every column.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer (the same frame for ``"all"``); its reports are kept.

    Examples
    --------
    >>> from shapely import Point
    >>> ev = gpd.GeoDataFrame({"event_id": ["1"], "inter1": [2], "adm1_pcode": ["ML-7"]},
    ...                       geometry=[Point(0, 15)], crs=4326)
    >>> list(event_layer(ev, "canonical").columns)
    ['event_id', 'adm1_pcode', 'geometry']
    """
    if columns == "all":
        return joined
    keep = [c for c in joined.columns if c in EVENT_COLUMNS or _UNIT_COLUMN.match(str(c))]
    layer = joined[[*keep, joined.geometry.name]]
    layer.attrs = dict(joined.attrs)
    return layer


def layer_formats(formats: list[str], *, rows: int, parquet_above: int) -> list[str]:
    """Resolve a layer's formats: ``auto`` becomes ``geojson`` or ``parquet`` by size.

    Parameters
    ----------
    formats
        Format names from the config (:data:`~sahel_geo.workflow.config.LAYER_FORMATS`
        and ``auto``).
    rows
        The layer's number of rows.
    parquet_above
        Rows above which ``auto`` means GeoParquet.

    Returns
    -------
    list of str
        Distinct format names, in the config's order.

    Examples
    --------
    >>> layer_formats(["auto", "gpkg"], rows=2_000_000, parquet_above=100_000)
    ['parquet', 'gpkg']
    >>> layer_formats(["auto"], rows=5_000, parquet_above=100_000)
    ['geojson']
    """
    auto = "parquet" if rows > parquet_above else "geojson"
    return list(dict.fromkeys(auto if f == "auto" else f for f in formats))


def _csv_frame(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``longitude``/``latitude`` columns for a CSV (which has no geometry)."""
    if "longitude" in layer.columns or "latitude" in layer.columns:
        return layer
    geoms = np.asarray(layer.geometry.array, dtype=object)
    kinds = shapely.get_type_id(geoms)
    if not np.isin(kinds, (-1, 0)).all():  # not all points: a CSV keeps the table only
        return layer
    x, y = point_xy_or_nan(geoms, what="layer")
    return layer.assign(longitude=x, latitude=y)


def write_layer_files(layer: gpd.GeoDataFrame, stem: Path, formats: list[str]) -> dict[str, Path]:
    """Write a layer once per format (``<stem>.<suffix>``); return ``{name: path}``.

    Parameters
    ----------
    layer
        The layer.
    stem
        Path without suffix (``<out>/events``); its name names the files in the result.
    formats
        Resolved format names (:func:`layer_formats`).

    Returns
    -------
    dict
        ``{stem.name: first file, f"{stem.name}_{format}": each other file}``.
    """
    files: dict[str, Path] = {}
    for i, fmt in enumerate(formats):
        frame = _csv_frame(layer) if fmt == "csv" else layer
        path = write_layer(frame, stem.with_name(stem.name + LAYER_FORMATS[fmt]))
        files[stem.name if i == 0 else f"{stem.name}_{fmt}"] = path
    return files
