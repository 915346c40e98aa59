"""Deterministic RFC 7946 GeoJSON writer.

The output is meant for version control, QGIS and web maps: lon/lat WGS84, no ``crs``
member, polygon rings oriented by the right-hand rule (exterior counter-clockwise, holes
clockwise), coordinates rounded to a fixed number of decimals, ISO 8601 dates, ``null``
for every missing value (never a ``NaN`` token), properties in the frame's column order,
features in the frame's row order, UTF-8 with non-ASCII characters kept, one feature per
line. The same frame always gives the same bytes.

Layout::

    {"type":"FeatureCollection","features":[
    {"type":"Feature","properties":{...},"geometry":{...}},
    {"type":"Feature","properties":{...},"geometry":{...}}
    ]}

Coordinates are written in fixed notation with trailing zeros removed (``1.5``, ``-3``,
``0.000001``), never in exponent notation. Property values are written as
``json.dumps(value, ensure_ascii=False)`` writes them (floats as Python's ``repr``).

The text is built column by column with Arrow string kernels (numbers formatted as whole
columns, strings quoted as whole columns and only the few needing escapes passed through
``json.dumps``; :mod:`sahel_geo.io._geojson_format`), then feature by feature, a chunk of
features at a time: :func:`write_geojson` streams the chunks to the file.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS

from sahel_geo.core.errors import CRSMismatchError, MissingCRSError, SchemaError
from sahel_geo.core.options import get_option
from sahel_geo.core.progress import progress
from sahel_geo.core.threads import n_threads
from sahel_geo.io._atomic import atomic_path
from sahel_geo.io._geojson_format import (
    BIN,
    PropertyColumn,
    binary,
    bytes_of,
    coord_strings,
    feature_lines,
    join,
    lit,
    property_column,
)

__all__ = ["geojson_text", "write_geojson"]

_HEAD = '{"type":"FeatureCollection","features":[\n'
_TAIL = "]}\n"
_CHUNK = 65_536  # features formatted (and written) at a time
_GEOM_NAMES = {
    0: "Point",
    1: "LineString",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
}


# --- checks --------------------------------------------------------------------------


def _check_frame(gdf: gpd.GeoDataFrame) -> None:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(
            f"write_geojson needs a GeoDataFrame; got a {type(gdf).__name__}. Build one with "
            "geopandas.GeoDataFrame(df, geometry=..., crs=4326)."
        )
    if gdf.crs is None:
        raise MissingCRSError(
            "The GeoDataFrame has no CRS, so its coordinates cannot be checked to be "
            "lon/lat WGS84 (RFC 7946). If they are longitude/latitude, set it with "
            "gdf.set_crs(4326); otherwise set the true CRS and reproject with gdf.to_crs(4326)."
        )
    crs = CRS.from_user_input(gdf.crs)
    if not crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        raise CRSMismatchError(
            f"GeoJSON (RFC 7946) is lon/lat WGS84 (EPSG:4326) but the GeoDataFrame is in "
            f"{crs.to_string()} ({crs.name}). Reproject it first: gdf.to_crs(4326)."
        )
    names = [str(c) for c in gdf.columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SchemaError(
            f"GeoJSON properties must have unique names; duplicated columns: {dupes}. "
            "Rename them before writing."
        )
    geo_name = gdf.geometry.name
    others = [
        str(c)
        for c in gdf.columns
        if c != geo_name and isinstance(gdf[c].dtype, gpd.array.GeometryDtype)
    ]
    if others:
        raise SchemaError(
            f"A GeoJSON feature has one geometry but the frame has other geometry columns "
            f"{others} besides the active one {geo_name!r}. Drop them or convert them to "
            "text first, e.g. gdf[col] = gdf[col].to_wkt()."
        )


# --- geometries ------------------------------------------------------------------------


def _nest(items: pa.Array, offsets: np.ndarray) -> pa.Array:
    """Group consecutive ``items`` into ``[a,b,...]`` lists cut at ``offsets``."""
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, type=pa.int64()), items)
    return join(lit("["), pc.binary_join(lists, lit(",")), lit("]"))


def _same_type_geometries(geoms: np.ndarray, type_id: int, precision: int, has_z: bool) -> pa.Array:
    """GeoJSON text of geometries that all share one (non-collection) type."""
    _, coords, offsets = shapely.to_ragged_array(geoms, include_z=has_z)
    bodies = coord_strings(coords, precision)
    if type_id != 0:  # Point: one coordinate each
        # Innermost offsets first: e.g. MultiPolygon has (ring, polygon, part) offsets.
        for off in offsets:
            bodies = _nest(bodies, np.asarray(off))
    name = _GEOM_NAMES[type_id]
    return join(lit(f'{{"type":"{name}","coordinates":'), bodies, lit("}"))


def _z_by_type(geoms: np.ndarray) -> dict[int, bool]:
    """Whether all present geometries of each type have a z coordinate."""
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    type_ids = shapely.get_type_id(geoms)
    has_z = shapely.has_z(geoms)
    return {t: bool(has_z[present & (type_ids == t)].all()) for t in _GEOM_NAMES}


def _oriented(geoms: np.ndarray) -> np.ndarray:
    """Polygon rings by the right-hand rule (a copy; only polygonal geometries change)."""
    out = np.array(geoms, dtype=object)
    polygonal = np.isin(shapely.get_type_id(out), [3, 6, 7])  # (Multi)Polygon, collection
    if polygonal.any():
        out[polygonal] = shapely.orient_polygons(out[polygonal], exterior_cw=False)
    return out


def _collection_text(geom: Any, precision: int) -> str:
    """GeoJSON text of a geometry collection (or a linear ring, as its LineString)."""
    if shapely.get_type_id(geom) == 2:  # LinearRing: write as its LineString
        ring = np.array([shapely.LineString(geom)])
        return bytes(bytes_of(_geometry_strings(ring, precision))[1]).decode("utf-8")
    parts = np.asarray(shapely.get_parts(geom))
    texts = _geometry_strings(parts, precision).to_pylist() if len(parts) else []
    kept = [t.decode("utf-8") for t in texts if t != b"null"]
    return '{"type":"GeometryCollection","geometries":[' + ",".join(kept) + "]}"


def _geometry_strings(
    geoms: np.ndarray, precision: int, z_by_type: dict[int, bool] | None = None
) -> pa.Array:
    """GeoJSON text (or ``null``) of each geometry, in order.

    ``z_by_type`` says per type whether coordinates carry z; by default, whether all
    geometries of that type in ``geoms`` have one.
    """
    z_by_type = _z_by_type(geoms) if z_by_type is None else z_by_type
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    type_ids = shapely.get_type_id(geoms)
    pieces: list[pa.Array] = []
    order = np.full(len(geoms), -1, dtype=np.int64)
    done = 0
    for type_id in sorted(_GEOM_NAMES):
        idx = np.flatnonzero(present & (type_ids == type_id))
        if len(idx):
            pieces.append(_same_type_geometries(geoms[idx], type_id, precision, z_by_type[type_id]))
            order[idx], done = np.arange(done, done + len(idx)), done + len(idx)
    # Rare: geometry collections (and linear rings) go through their parts one by one.
    rest = np.flatnonzero(present & ~np.isin(type_ids, list(_GEOM_NAMES)))
    pieces.append(binary([_collection_text(geoms[i], precision) for i in rest.tolist()]))
    order[rest] = np.arange(done, done + len(rest))
    order[order < 0] = done + len(rest)
    pieces.append(pa.array([b"null"], type=BIN))
    return pa.concat_arrays(pieces).take(pa.array(order))


# --- features ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
    """What every chunk of features needs: geometries, property columns, precision."""

    geoms: np.ndarray
    z_by_type: dict[int, bool]
    columns: list[PropertyColumn]
    digits: int

    def chunk(self, bounds: tuple[int, int]) -> memoryview:
        """Return the bytes of the features ``start:stop`` (each line ends in a comma)."""
        start, stop = bounds
        geoms = _oriented(self.geoms[start:stop])
        geom_text = _geometry_strings(geoms, self.digits, self.z_by_type)
        return bytes_of(feature_lines(geom_text, self.columns, start, stop))[1]


def _in_order(func: Callable[[Any], memoryview], items: list[Any]) -> Iterator[memoryview]:
    """Yield ``func(item)`` for each item, in order, computed a few at a time in threads.

    Arrow's kernels release the GIL, so chunks are formatted on several cores; at most
    one more chunk than threads is held at a time.
    """
    k = min(n_threads(), len(items))
    if k <= 1:
        yield from map(func, items)
        return
    with ThreadPoolExecutor(max_workers=k, thread_name_prefix="sahel_geo") as pool:
        pending: deque[Future[memoryview]] = deque()
        for item in items:
            pending.append(pool.submit(func, item))
            if len(pending) > k:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _features(
    gdf: gpd.GeoDataFrame, digits: int, done: Callable[[int], object] | None = None
) -> Iterator[memoryview]:
    """Yield the document's bytes, a chunk of features at a time.

    ``done`` is told how many features each chunk held once it is yielded (a progress
    bar's ``update``).
    """
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    columns = [property_column(c, frame[c], first=i == 0) for i, c in enumerate(frame.columns)]
    layer = _Layer(geoms, _z_by_type(geoms), columns, digits)
    n = len(gdf)
    bounds = [(start, min(start + _CHUNK, n)) for start in range(0, n, _CHUNK)]
    yield memoryview(_HEAD.encode())
    for i, data in enumerate(_in_order(layer.chunk, bounds)):
        if i < len(bounds) - 1:
            yield data
        else:  # no comma after the last feature
            yield data[:-2]
            yield memoryview(b"\n")
        if done is not None:
            done(bounds[i][1] - bounds[i][0])
    yield memoryview(_TAIL.encode())


# --- public --------------------------------------------------------------------------


def _resolve_precision(precision: int | None) -> int:
    if precision is None:
        value: int = get_option("geojson_precision")
        return value
    if not isinstance(precision, int) or isinstance(precision, bool) or not 0 <= precision <= 15:
        raise SchemaError(f"precision must be an integer from 0 to 15; got {precision!r}.")
    return precision


def geojson_text(gdf: gpd.GeoDataFrame, *, precision: int | None = None) -> str:
    """Return a GeoDataFrame as deterministic RFC 7946 GeoJSON text.

    Parameters
    ----------
    gdf
        Features to write, in EPSG:4326. Every column but the active geometry becomes a
        property, in column order; the index is not written.
    precision
        Decimal places of coordinates; default ``get_option("geojson_precision")`` (6).

    Returns
    -------
    str
        The FeatureCollection, one feature per line, ending with a newline.

    Raises
    ------
    MissingCRSError
        The frame has no CRS.
    CRSMismatchError
        The frame is not in EPSG:4326 (reproject with ``gdf.to_crs(4326)``).
    SchemaError
        Duplicate column names, extra geometry columns or non-finite coordinates.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> gdf = gpd.GeoDataFrame({"name": ["Gao"]}, geometry=[Point(0.04, 16.27)], crs=4326)
    >>> print(geojson_text(gdf), end="")
    {"type":"FeatureCollection","features":[
    {"type":"Feature","properties":{"name":"Gao"},"geometry":{"type":"Point","coordinates":[0.04,16.27]}}
    ]}
    """
    _check_frame(gdf)
    digits = _resolve_precision(precision)
    return b"".join(_features(gdf, digits)).decode("utf-8", "surrogatepass")


def write_geojson(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    precision: int | None = None,
) -> Path:
    """Write a GeoDataFrame to a deterministic RFC 7946 GeoJSON file, atomically.

    See :func:`geojson_text` for the format. The file is written to a temporary file in
    the same folder and renamed onto ``path``: a failed write leaves any old file intact.

    Parameters
    ----------
    gdf
        Features to write, in EPSG:4326.
    path
        Destination file (parent folders are created).
    precision
        Decimal places of coordinates; default ``get_option("geojson_precision")`` (6).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    MissingCRSError
        The frame has no CRS.
    CRSMismatchError
        The frame is not in EPSG:4326 (reproject with ``gdf.to_crs(4326)``).

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely import Point
    >>> gdf = gpd.GeoDataFrame({"name": ["Gao"]}, geometry=[Point(0.04, 16.27)], crs=4326)
    >>> out = write_geojson(gdf, tempfile.mkdtemp() + "/gao.geojson")
    >>> out.name
    'gao.geojson'
    """
    _check_frame(gdf)
    digits = _resolve_precision(precision)
    bar = progress(total=len(gdf), desc=f"writing {Path(path).name}", unit="features")
    with atomic_path(path) as tmp, open(tmp, "wb") as fh, bar:
        for data in _features(gdf, digits, done=bar.update):
            _check_encodable(data)
            fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return Path(path)


def _check_encodable(data: memoryview) -> None:
    """Raise UnicodeEncodeError, as writing the text would, on lone surrogates."""
    if re.search(b"\xed", data):  # lead byte of every encoded surrogate (and U+D000-U+D7FF)
        bytes(data).decode("utf-8", "surrogatepass").encode("utf-8")
