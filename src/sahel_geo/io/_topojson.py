"""A small TopoJSON decoder (https://github.com/topojson/topojson-specification).

Handles quantized topologies (``transform``: delta-encoded arcs, quantized point
positions), reversed arcs (``~i``, i.e. ``-i - 1``), every geometry type including
``GeometryCollection`` and null geometries, and objects chosen by name. The result is a
GeoDataFrame in EPSG:4326 (TopoJSON has no CRS member; lon/lat is the convention of
every producer this package meets: world-atlas, geoBoundaries, mapshaper exports).

Checked against topojson-client 3.1.0 (the reference decoder, JavaScript) on world-atlas
2.0.2 ``countries-110m`` and ``countries-10m``: the same coordinates, bit for bit, for
every feature, except rings that quantization collapsed to fewer than 4 positions (no
area), which topojson-client pads and this module drops (8 of 255 features at 10m; the
Vatican becomes an empty geometry).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from sahel_geo.core.errors import InputFileError, MissingCRSError, SchemaError

__all__ = ["decode_arcs", "is_topojson", "read_topojson", "topology_to_gdf"]

logger = logging.getLogger(__name__)


def is_topojson(path: str | os.PathLike[str]) -> bool:
    """Return True when the file starts like a TopoJSON ``Topology`` object."""
    p = Path(path)
    if p.suffix.lower() not in {".json", ".topojson", ".geojson"} or not p.is_file():
        return False
    with open(p, "rb") as fh:
        head = fh.read(4096)
    return b'"Topology"' in head and b'"type"' in head


def decode_arcs(topology: dict[str, Any]) -> list[np.ndarray]:
    """Return every arc as an ``(n, 2)`` float array of absolute positions.

    Quantized arcs (topology with a ``transform``) are delta-decoded with one cumulative
    sum over all arcs, then scaled and translated.
    """
    arcs = topology.get("arcs", [])
    if not arcs:
        return []
    lengths = np.fromiter((len(a) for a in arcs), dtype=np.int64, count=len(arcs))
    flat = np.array([pos[:2] for arc in arcs for pos in arc], dtype=np.float64).reshape(-1, 2)
    transform = topology.get("transform")
    if transform is not None:
        scale = np.asarray(transform["scale"], dtype=np.float64)
        translate = np.asarray(transform["translate"], dtype=np.float64)
        csum = np.cumsum(flat, axis=0)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        # subtract the running total before each arc: a cumulative sum restarting per arc
        nonzero = starts > 0
        offsets = np.zeros((len(arcs), 2))
        offsets[nonzero] = csum[starts[nonzero] - 1]
        before = np.repeat(offsets, lengths, axis=0)
        flat = (csum - before) * scale + translate
    return np.split(flat, np.cumsum(lengths)[:-1])


def _positions(topology: dict[str, Any], coords: Any) -> np.ndarray:
    arr = np.asarray(coords, dtype=np.float64).reshape(-1, len(coords[0]) if coords else 2)[:, :2]
    transform = topology.get("transform")
    if transform is not None:
        arr = arr * np.asarray(transform["scale"]) + np.asarray(transform["translate"])
    return arr


def _line(arcs: list[np.ndarray], refs: list[int]) -> np.ndarray:
    parts = []
    for k, ref in enumerate(refs):
        arc = arcs[~ref][::-1] if ref < 0 else arcs[ref]
        parts.append(arc if k == 0 else arc[1:])
    return np.concatenate(parts) if parts else np.empty((0, 2))


def _ring(arcs: list[np.ndarray], refs: list[int]) -> np.ndarray:
    ring = _line(arcs, refs)
    if len(ring) and not np.array_equal(ring[0], ring[-1]):
        ring = np.vstack([ring, ring[:1]])
    return ring


def _polygon(arcs: list[np.ndarray], rings: list[list[int]]) -> shapely.Polygon:
    if not rings:
        return shapely.Polygon()
    coords = [_ring(arcs, r) for r in rings]
    # Quantization can collapse a tiny island or lake to fewer than 4 positions: such a
    # ring has no area, so it is left out (a polygon without its exterior is empty).
    if len(coords[0]) < 4:
        return shapely.Polygon()
    return shapely.Polygon(coords[0], [c for c in coords[1:] if len(c) >= 4])


def _geometry(
    topology: dict[str, Any], arcs: list[np.ndarray], obj: dict[str, Any]
) -> BaseGeometry | None:
    kind = obj.get("type")
    if kind is None:
        return None
    if kind == "Point":
        return shapely.Point(_positions(topology, [obj["coordinates"]])[0])
    if kind == "MultiPoint":
        return shapely.MultiPoint(_positions(topology, obj["coordinates"]))
    if kind == "LineString":
        return shapely.LineString(_line(arcs, obj["arcs"]))
    if kind == "MultiLineString":
        return shapely.MultiLineString([_line(arcs, a) for a in obj["arcs"]])
    if kind == "Polygon":
        return _polygon(arcs, obj["arcs"])
    if kind == "MultiPolygon":
        polys = [_polygon(arcs, p) for p in obj["arcs"]]
        return shapely.MultiPolygon([p for p in polys if not p.is_empty])
    if kind == "GeometryCollection":
        parts = [_geometry(topology, arcs, g) for g in obj.get("geometries", [])]
        return shapely.GeometryCollection([p for p in parts if p is not None])
    raise SchemaError(f"Unknown TopoJSON geometry type {kind!r}.")


def topology_to_gdf(
    topology: dict[str, Any], *, object_name: str | None = None, source: str = "<topology>"
) -> gpd.GeoDataFrame:
    """Turn one object of a parsed TopoJSON topology into a GeoDataFrame.

    A ``GeometryCollection`` object gives one row per member geometry (properties as
    columns, ``id`` as a column when any member has one); any other object gives one row.

    Parameters
    ----------
    topology
        The parsed JSON document.
    object_name
        Key in ``topology["objects"]``; may be omitted when there is exactly one.
    source
        Name used in error messages (the file path).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326.
    """
    if topology.get("type") != "Topology":
        raise InputFileError(f"{source} is not a TopoJSON Topology (no type 'Topology').")
    objects = topology.get("objects") or {}
    names = list(objects)
    if object_name is None:
        if len(names) != 1:
            raise SchemaError(
                f"{source} holds {len(names)} TopoJSON objects {names}: choose one with "
                f"layer=, e.g. layer={names[0]!r}."
                if names
                else f"{source} has no objects."
            )
        object_name = names[0]
    if object_name not in objects:
        raise SchemaError(f"{source} has no TopoJSON object {object_name!r}; available: {names}.")
    arcs = decode_arcs(topology)
    obj = objects[object_name]
    members = obj.get("geometries", []) if obj.get("type") == "GeometryCollection" else [obj]
    geoms = [_geometry(topology, arcs, m) for m in members]
    records = [dict(m.get("properties") or {}) for m in members]
    if any("id" in m for m in members):
        for rec, m in zip(records, members, strict=True):
            rec.setdefault("id", m.get("id"))
    gdf = gpd.GeoDataFrame(records, geometry=geoms, crs="EPSG:4326")
    bounds = gdf.total_bounds if len(gdf) else np.full(4, np.nan)
    if np.isfinite(bounds).all():
        minx, miny, maxx, maxy = bounds.tolist()
        if minx < -180.5 or maxx > 180.5 or miny < -90.5 or maxy > 90.5:
            raise MissingCRSError(
                f"{source}: TopoJSON has no CRS and its coordinates "
                f"({minx:.0f}, {miny:.0f}, {maxx:.0f}, {maxy:.0f}) are not longitude/latitude. "
                "Convert it to GeoJSON or GeoPackage with its true CRS set (e.g. mapshaper "
                "-proj, or read it with geopandas, call gdf.set_crs(...)) and pass that instead."
            )
    logger.info("decoded TopoJSON object %r of %s: %d features", object_name, source, len(gdf))
    return gdf


def read_topojson(
    path: str | os.PathLike[str], *, object_name: str | None = None
) -> gpd.GeoDataFrame:
    """Read one object of a TopoJSON file as a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    path
        The ``.json``/``.topojson`` file.
    object_name
        Key in ``objects``; may be omitted when the file holds exactly one.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per member of the object.
    """
    p = Path(path)
    try:
        with open(p, encoding="utf-8") as fh:
            topology = json.load(fh)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{p} is not valid UTF-8 JSON: {exc}.") from exc
    return topology_to_gdf(topology, object_name=object_name, source=str(p))
