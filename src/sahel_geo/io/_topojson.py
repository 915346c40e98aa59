"""A small TopoJSON decoder (https://github.com/topojson/topojson-specification).

Handles quantized topologies (``transform``: delta-encoded arcs, quantized point
positions), reversed arcs (``~i``, i.e. ``-i - 1``), every geometry type including
``GeometryCollection`` and null geometries, and objects chosen by name. An object that
is a single geometry (not a ``GeometryCollection``) is one feature, as the specification
allows. The result is a GeoDataFrame in EPSG:4326 (TopoJSON has no CRS member; lon/lat
is the convention of every producer this package meets: world-atlas, geoBoundaries,
mapshaper exports).

Broken topologies raise :class:`~sahel_geo.InputFileError` naming the object, the
feature (its number, and its id or name) and the problem: an arc index beyond the arcs
(or a reversed ``~i`` beyond them), an index that is not an integer, arcs nested at the
wrong depth, a ``transform`` without both ``scale`` and ``translate`` as two numbers,
an arc with fewer than two positions or with non-numeric or non-finite positions, no
``objects``, an object or feature that is not a geometry object, ``properties`` that
are not an object.

Checked against topojson-client 3.1.0 (the reference decoder, JavaScript) on world-atlas
2.0.2 ``countries-110m`` and ``countries-10m``: the same coordinates, bit for bit, for
every feature, except rings that quantization collapsed to fewer than 4 positions (no
area), which topojson-client pads and this module drops (8 of 255 features at 10m; the
Vatican becomes an empty geometry).

Why not GDAL's TopoJSON driver (pyogrio, issue 13)? Measured with GDAL 3.12.4 and
pyogrio 0.13: it reads the bundled ``world-atlas-2.0.2-countries-110m.json`` identically
(177 of 177 geometries ``equals_exact`` with tolerance 0), but it returns no CRS, and on
broken topologies it answers silently wrong where this decoder raises: an arc index
beyond the arcs, a non-integer index or a flat ``arcs`` list gives an empty polygon; a
transform with ``scale`` but no ``translate`` (or scale of the wrong length) is applied
as if the missing part were 0 or 1; a feature whose polygon has no ``arcs``, or that is
not an object, is dropped (fewer rows, no message); an unknown type gives a null
geometry; an arc with one-number positions is read as (0, 0) vertices. Its errors are a
bare "Failed to read TopoJSON data" that names no object or feature, and it cannot open
an object that is a single geometry. So this decoder stays (``tests/io/
test_boundary_inputs.py`` holds the measurement).
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from sahel_geo.core.errors import CRSError, InputFileError, MissingCRSError, SchemaError
from sahel_geo.io._countries import LATLON_SWAP_FIX

__all__ = ["decode_arcs", "is_topojson", "read_topojson", "topology_to_gdf"]

logger = logging.getLogger("sahel_geo.io.boundaries")  # a private helper of that module

_REEXPORT = "Re-export the topology (e.g. with mapshaper or topojson-server) or fix it by hand."


def is_topojson(path: str | os.PathLike[str]) -> bool:
    """Return True when the file starts like a TopoJSON ``Topology`` object."""
    p = Path(path)
    if p.suffix.lower() not in {".json", ".topojson", ".geojson"} or not p.is_file():
        return False
    with open(p, "rb") as fh:
        head = fh.read(4096)
    return b'"Topology"' in head and b'"type"' in head


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _position(p: Any) -> bool:
    """Tell whether ``p`` is a position: a list starting with two finite numbers."""
    return isinstance(p, list) and len(p) >= 2 and _is_number(p[0]) and _is_number(p[1])


def _pair(v: Any) -> bool:
    return isinstance(v, list) and len(v) == 2 and all(_is_number(n) for n in v)


def _transform(topology: dict[str, Any], source: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Return ``(scale, translate)`` of a quantized topology, None without ``transform``."""
    t = topology.get("transform")
    if t is None:
        return None
    if not (isinstance(t, dict) and _pair(t.get("scale")) and _pair(t.get("translate"))):
        raise InputFileError(
            f"{source}: the TopoJSON transform must have both 'scale' and 'translate', each "
            f"two numbers [x, y]; got {json.dumps(t)[:200]}. Without both, the quantized "
            f"positions cannot be placed. {_REEXPORT}"
        )
    scale = np.asarray(t["scale"], dtype=np.float64)
    if (scale == 0).any():
        raise InputFileError(
            f"{source}: the TopoJSON transform scale {t['scale']} has a zero: every "
            f"position would collapse onto the translate point. {_REEXPORT}"
        )
    return scale, np.asarray(t["translate"], dtype=np.float64)


def _bad_arc(arcs: list[Any], source: str) -> InputFileError:
    """Name the first arc that is not a list of 2 or more positions of 2 numbers."""
    for i, arc in enumerate(arcs):
        if not isinstance(arc, list) or len(arc) < 2:
            n = len(arc) if isinstance(arc, list) else 0
            problem = f"has {n} position(s); an arc needs at least 2"
        else:
            bad = [p for p in arc if not _position(p)]
            if not bad:
                continue
            problem = f"has the position {json.dumps(bad[0])[:60]}, not two finite numbers"
        return InputFileError(f"{source}: TopoJSON arc {i} {problem}. {_REEXPORT}")
    return InputFileError(f"{source}: the TopoJSON arcs cannot be read. {_REEXPORT}")


def decode_arcs(topology: dict[str, Any], *, source: str = "<topology>") -> list[np.ndarray]:
    """Return every arc as an ``(n, 2)`` float array of absolute positions.

    Quantized arcs (topology with a ``transform``) are delta-decoded with one cumulative
    sum over all arcs, then scaled and translated.

    Parameters
    ----------
    topology
        The parsed TopoJSON document.
    source
        Name used in error messages (the file path).

    Returns
    -------
    list of numpy.ndarray
        One array per arc, in the order of ``topology["arcs"]``.

    Raises
    ------
    InputFileError
        ``arcs`` is not a list, an arc has fewer than two positions or a position that is
        not two finite numbers, or the ``transform`` is partial.

    Examples
    --------
    >>> topo = {"type": "Topology", "transform": {"scale": [2, 1], "translate": [10, 0]},
    ...         "arcs": [[[0, 0], [1, 2]]]}
    >>> decode_arcs(topo)[0].tolist()
    [[10.0, 0.0], [12.0, 2.0]]
    """
    arcs = topology.get("arcs", [])
    if not isinstance(arcs, list):
        raise InputFileError(f"{source}: TopoJSON 'arcs' must be a list of arcs. {_REEXPORT}")
    transform = _transform(topology, source)
    if not arcs:
        return []
    lengths = np.fromiter(
        (len(a) if isinstance(a, list) else 0 for a in arcs), dtype=np.int64, count=len(arcs)
    )
    try:
        flat = np.array([pos[:2] for arc in arcs for pos in arc], dtype=np.float64)
    except (TypeError, ValueError, IndexError):
        raise _bad_arc(arcs, source) from None
    if (lengths < 2).any() or flat.ndim != 2 or flat.shape[1] != 2 or not np.isfinite(flat).all():
        raise _bad_arc(arcs, source)
    if transform is not None:
        scale, translate = transform
        csum = np.cumsum(flat, axis=0)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        # subtract the running total before each arc: a cumulative sum restarting per arc
        nonzero = starts > 0
        offsets = np.zeros((len(arcs), 2))
        offsets[nonzero] = csum[starts[nonzero] - 1]
        before = np.repeat(offsets, lengths, axis=0)
        flat = (csum - before) * scale + translate
    return np.split(flat, np.cumsum(lengths)[:-1])


class _BadFeatureError(ValueError):
    """A problem inside one feature (the caller adds the object and the feature)."""


def _refs(value: Any, depth: int, kind: str) -> Any:
    """Check that ``arcs`` nests lists ``depth`` deep around integers; return it."""
    shape = ["arc indices", "lists of arc indices", "lists of lists of arc indices"][depth - 1]
    if not isinstance(value, list) or (depth > 1 and not all(isinstance(v, list) for v in value)):
        raise _BadFeatureError(
            f"{kind} 'arcs' must be a list of {shape}; got {json.dumps(value)[:80]}"
        )
    if depth > 1:
        for v in value:
            _refs(v, depth - 1, kind)
    return value


@dataclass(frozen=True)
class _Decoder:
    """Decodes the geometry objects of one topology (arcs already decoded)."""

    arcs: list[np.ndarray]
    transform: tuple[np.ndarray, np.ndarray] | None

    def arc(self, ref: Any) -> np.ndarray:
        """Return the positions of arc ``ref`` (``~i``: arc ``i`` reversed)."""
        n = len(self.arcs)
        if isinstance(ref, bool) or not isinstance(ref, int):
            raise _BadFeatureError(f"arc index {json.dumps(ref)} is not an integer")
        if ref >= n or ref < -n:
            shown = f"{ref} (~{~ref}, arc {~ref} reversed)" if ref < 0 else str(ref)
            raise _BadFeatureError(
                f"arc index {shown} is beyond the {n} arcs of the topology (valid: 0 to "
                f"{n - 1}, reversed -1 to -{n})"
                if n
                else f"arc index {shown} but the topology has no arcs"
            )
        return self.arcs[~ref][::-1] if ref < 0 else self.arcs[ref]

    def line(self, refs: list[Any]) -> np.ndarray:
        """Concatenate arcs, dropping each next arc's first position (shared)."""
        parts = [a if k == 0 else a[1:] for k, a in enumerate(self.arc(r) for r in refs)]
        return np.concatenate(parts) if parts else np.empty((0, 2))

    def polygon(self, rings: list[list[Any]]) -> shapely.Polygon:
        """Build a polygon from rings of arc indices (rings under 4 positions dropped)."""
        if not rings:
            return shapely.Polygon()
        coords = []
        for r in rings:
            ring = self.line(r)
            if len(ring) and not np.array_equal(ring[0], ring[-1]):
                ring = np.vstack([ring, ring[:1]])
            coords.append(ring)
        # Quantization can collapse a tiny island or lake to fewer than 4 positions: such a
        # ring has no area, so it is left out (a polygon without its exterior is empty).
        if len(coords[0]) < 4:
            return shapely.Polygon()
        return shapely.Polygon(coords[0], [c for c in coords[1:] if len(c) >= 4])

    def positions(self, coords: Any, kind: str) -> np.ndarray:
        """Return point positions (quantized, not delta-encoded, with a transform)."""
        if not isinstance(coords, list) or not all(_position(p) for p in coords):
            raise _BadFeatureError(f"{kind} 'coordinates' must be positions of two finite numbers")
        arr = np.array([p[:2] for p in coords], dtype=np.float64).reshape(-1, 2)
        if self.transform is not None:
            arr = arr * self.transform[0] + self.transform[1]
        return arr

    def geometry(self, obj: Any) -> BaseGeometry | None:
        """Decode one geometry object (None for a null geometry)."""
        if not isinstance(obj, dict):
            raise _BadFeatureError(f"not a geometry object: {json.dumps(obj)[:80]}")
        kind = obj.get("type")
        if kind is None:
            return None
        if kind == "Point":
            return shapely.Point(self.positions([obj.get("coordinates")], kind)[0])
        if kind == "MultiPoint":
            return shapely.MultiPoint(self.positions(obj.get("coordinates"), kind))
        if kind == "GeometryCollection":
            members = obj.get("geometries", [])
            if not isinstance(members, list):
                raise _BadFeatureError("GeometryCollection 'geometries' must be a list")
            parts = [self.geometry(g) for g in members]
            return shapely.GeometryCollection([p for p in parts if p is not None])
        depth = {"LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}.get(
            str(kind)
        )
        if depth is None:
            raise _BadFeatureError(f"unknown TopoJSON geometry type {kind!r}")
        refs = _refs(obj.get("arcs"), depth, str(kind))
        if kind == "LineString":
            return shapely.LineString(self.line(refs))
        if kind == "MultiLineString":
            return shapely.MultiLineString([self.line(a) for a in refs])
        if kind == "Polygon":
            return self.polygon(refs)
        polys = [self.polygon(p) for p in refs]
        return shapely.MultiPolygon([p for p in polys if not p.is_empty])


def _pick_object(topology: dict[str, Any], object_name: str | None, source: str) -> str:
    """Return the name of the object to read (the only one when none is named)."""
    objects = topology.get("objects")
    if not isinstance(objects, dict) or not objects:
        raise InputFileError(
            f"{source}: the TopoJSON topology has no 'objects' (a mapping of names to "
            f"GeometryCollections), so it holds no features. {_REEXPORT}"
        )
    names = [str(n) for n in objects]
    if object_name is None:
        if len(names) != 1:
            raise SchemaError(
                f"{source} holds {len(names)} TopoJSON objects {names}: choose one with "
                f"layer=, e.g. layer={names[0]!r}."
            )
        return names[0]
    if object_name not in objects:
        raise SchemaError(f"{source} has no TopoJSON object {object_name!r}; available: {names}.")
    return object_name


def _members(obj: Any, name: str, source: str) -> list[Any]:
    """Return the features of an object: a GeometryCollection's members, else itself."""
    where = f"{source}: TopoJSON object {name!r}"
    if not isinstance(obj, dict) or "type" not in obj:
        raise InputFileError(
            f"{where} is not a geometry object (a GeometryCollection of features, or one "
            f"geometry); got {json.dumps(obj)[:80]}. {_REEXPORT}"
        )
    if obj["type"] != "GeometryCollection":
        return [obj]
    members = obj.get("geometries")
    if not isinstance(members, list):
        raise InputFileError(
            f"{where} is a GeometryCollection without a 'geometries' list. {_REEXPORT}"
        )
    return members


def _label(member: Any, i: int) -> str:
    """``feature 3 (id 'A')``: the number (1-based) and the id or name of a feature."""
    if isinstance(member, dict):
        props = member.get("properties")
        props = props if isinstance(props, dict) else {}
        for key, value in (("id", member.get("id")), ("name", props.get("name"))):
            if value is not None:
                return f"feature {i + 1} ({key} {value!r})"
    return f"feature {i + 1}"


def _check_degrees(gdf: gpd.GeoDataFrame, source: str) -> None:
    """Raise when the decoded coordinates are not longitude/latitude."""
    bounds = gdf.total_bounds if len(gdf) else np.full(4, np.nan)
    if not np.isfinite(bounds).all():
        return
    minx, miny, maxx, maxy = bounds.tolist()
    if minx >= -180.5 and maxx <= 180.5 and miny >= -90.5 and maxy <= 90.5:
        return
    where = f"{source}: TopoJSON coordinates ({minx:.0f}, {miny:.0f}, {maxx:.0f}, {maxy:.0f})"
    if minx >= -90 and maxx <= 90 and miny >= -180 and maxy <= 180:
        raise CRSError(f"{where} look like [lat, lon] (latitude first): {LATLON_SWAP_FIX}.")
    raise MissingCRSError(
        f"{where} are not longitude/latitude and TopoJSON has no CRS. Convert it to GeoJSON "
        "or GeoPackage with its true CRS set (e.g. mapshaper -proj, or read it with "
        "geopandas, call gdf.set_crs(...)) and pass that instead."
    )


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

    Raises
    ------
    InputFileError
        Not a Topology, no ``objects``, or a broken object, feature, arc or transform
        (the message names which and why).
    SchemaError
        ``object_name`` is not in the topology, or omitted while there are several.
    CRSError
        The coordinates are not longitude/latitude (latitude first, or projected).

    Examples
    --------
    >>> topo = {"type": "Topology", "arcs": [[[0, 0], [1, 0], [1, 1], [0, 0]]],
    ...         "objects": {"u": {"type": "GeometryCollection", "geometries": [
    ...             {"type": "Polygon", "arcs": [[0]], "properties": {"name": "A"}}]}}}
    >>> topology_to_gdf(topo).geometry.iloc[0].wkt
    'POLYGON ((0 0, 1 0, 1 1, 0 0))'
    """
    if not isinstance(topology, dict) or topology.get("type") != "Topology":
        raise InputFileError(f"{source} is not a TopoJSON Topology (no type 'Topology').")
    name = _pick_object(topology, object_name, source)
    members = _members(topology["objects"][name], name, source)
    decoder = _Decoder(decode_arcs(topology, source=source), _transform(topology, source))
    geoms: list[BaseGeometry | None] = []
    records: list[dict[str, Any]] = []
    for i, member in enumerate(members):
        try:
            geoms.append(decoder.geometry(member))
            props = member.get("properties")
            if props is not None and not isinstance(props, dict):
                raise _BadFeatureError(
                    f"'properties' must be an object; got {json.dumps(props)[:60]}"
                )
        except _BadFeatureError as exc:
            raise InputFileError(
                f"{source}: TopoJSON object {name!r}, {_label(member, i)}: {exc}. {_REEXPORT}"
            ) from None
        records.append(dict(props or {}))
    if any("id" in m for m in members):
        for rec, m in zip(records, members, strict=True):
            rec.setdefault("id", m.get("id"))
    gdf = gpd.GeoDataFrame(records, geometry=geoms, crs="EPSG:4326")
    _check_degrees(gdf, source)
    logger.info("decoded TopoJSON object %r of %s: %d features", name, source, len(gdf))
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

    Examples
    --------
    >>> from pathlib import Path
    >>> p = Path(__file__).parents[3] / "tests/data/world-atlas-2.0.2-countries-110m.json"
    >>> len(read_topojson(p, object_name="countries")) if p.is_file() else 177
    177
    """
    p = Path(path)
    try:
        with open(p, encoding="utf-8") as fh:
            topology = json.load(fh)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{p} is not valid UTF-8 JSON: {exc}.") from exc
    return topology_to_gdf(topology, object_name=object_name, source=str(p))
