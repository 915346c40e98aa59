"""Analysis grids: regular latitude/longitude cells and equal-area hexagons.

* Regular lat/lon grids, with two presets: PRIO-GRID (0.5°, origin -180/-90, ``gid``
  numbering of Tollefsen, Strand & Buhaug 2012) and the OECD/SWAC 25′ grid of the Spatial
  Conflict Dynamics indicator (origin -17.525/1.65, taken from SWAC's published cells).
  Cell areas are exact on the WGS84 ellipsoid (authalic formula, Snyder 1987 eq. 3-12):
  a cell of ``Δλ`` radians between latitudes φ1 and φ2 has area ``a² Δλ (q(φ2) − q(φ1)) / 2``.
* Hexagons (pointy-top) of side ``size_km`` built in the equal-area CRS ESRI:102022 (Africa
  Albers Equal Area Conic): every hexagon has area ``3√3/2 · size_km²`` there; its
  vertices are then stored in EPSG:4326 (edges straight in Albers are very slightly curved
  in degrees: the area reported is the Albers one, which is the true one).

Points go to cells by arithmetic, not by polygon tests: ``floor`` of the offset from the
origin, so a point on a shared edge goes to the cell east / north of it; in a hexagon grid
by cube rounding of axial coordinates (a point on an edge goes to the hexagon that rounding
picks, deterministically).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from sahel_geo.core.errors import SchemaError
from sahel_geo.core.geodesy import latlon_cell_area_km2
from sahel_geo.core.schema import EQUAL_AREA_CRS, WGS84
from sahel_geo.core.validation import check_geographic, point_xy

__all__ = [
    "PRIOGRID",
    "SWAC_25",
    "GridSpec",
    "cell_index",
    "events_to_cells",
    "hex_grid",
    "make_grid",
]

_HEX_OFFSET: Final = 500_000


@dataclass(frozen=True)
class GridSpec:
    """How a grid is laid out.

    Attributes
    ----------
    kind
        ``"latlon"`` (regular cells in degrees) or ``"hex"`` (equal-area hexagons).
    cell_deg
        Cell size in degrees (latlon).
    origin
        ``(lon, lat)`` of a cell corner (latlon); cells are aligned to it.
    size_km
        Hexagon side (= centre-to-vertex distance) in km (hex).
    name
        A short label for reports.
    """

    kind: Literal["latlon", "hex"]
    cell_deg: float = 0.5
    origin: tuple[float, float] = (-180.0, -90.0)
    size_km: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("latlon", "hex"):
            raise SchemaError(f"GridSpec.kind must be 'latlon' or 'hex', got {self.kind!r}.")
        if self.kind == "latlon" and not self.cell_deg > 0:
            raise SchemaError(f"GridSpec.cell_deg must be > 0, got {self.cell_deg}.")
        if self.kind == "hex" and not self.size_km > 0:
            raise SchemaError(f"GridSpec.size_km must be > 0 for hexagons, got {self.size_km}.")

    @classmethod
    def hexagons(cls, size_km: float) -> GridSpec:
        """Equal-area hexagons of side ``size_km`` (area ``3√3/2 · size_km²``)."""
        return cls(kind="hex", size_km=float(size_km), name=f"hex{size_km:g}km")

    @property
    def hex_area_km2(self) -> float:
        """Area of one hexagon in km² (hex grids)."""
        return float(3 * np.sqrt(3) / 2 * self.size_km**2)


#: PRIO-GRID v2: 0.5° cells from (-180, -90); ``cell_id`` equals PRIO-GRID ``gid``.
PRIOGRID: Final = GridSpec(kind="latlon", cell_deg=0.5, origin=(-180.0, -90.0), name="priogrid")
#: OECD/SWAC Spatial Conflict Dynamics grid: 25 arc-minute cells aligned on (-17.525, 1.65).
SWAC_25: Final = GridSpec(kind="latlon", cell_deg=25 / 60, origin=(-17.525, 1.65), name="swac25")


def _global_cols(spec: GridSpec) -> int:
    return int(np.ceil(360.0 / spec.cell_deg - 1e-9))


def _latlon_rc(
    spec: GridSpec, lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    ox, oy = spec.origin
    # the small epsilon keeps points that sit exactly on a cell edge in float terms
    col = np.floor((lon - ox) / spec.cell_deg + 1e-9).astype(np.int64)
    row = np.floor((lat - oy) / spec.cell_deg + 1e-9).astype(np.int64)
    return row, col


def _latlon_id(spec: GridSpec, row: NDArray[np.int64], col: NDArray[np.int64]) -> NDArray[np.int64]:
    return row * _global_cols(spec) + col + 1


_TO_EA = pyproj.Transformer.from_crs(WGS84, EQUAL_AREA_CRS, always_xy=True)


def _hex_qr(
    spec: GridSpec, lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    x, y = _TO_EA.transform(lon, lat)
    s = spec.size_km * 1000.0
    qf = (np.sqrt(3) / 3 * np.asarray(x) - np.asarray(y) / 3) / s
    rf = (2 / 3 * np.asarray(y)) / s
    xf, zf = qf, rf
    yf = -xf - zf
    rx, ry, rz = np.round(xf), np.round(yf), np.round(zf)
    dx, dy, dz = np.abs(rx - xf), np.abs(ry - yf), np.abs(rz - zf)
    fix_x = (dx > dy) & (dx > dz)
    fix_y = ~fix_x & (dy > dz)
    rx = np.where(fix_x, -ry - rz, rx)
    rz = np.where(~fix_x & ~fix_y, -rx - ry, rz)
    return rz.astype(np.int64), rx.astype(np.int64)


def _hex_id(row: NDArray[np.int64], col: NDArray[np.int64]) -> NDArray[np.int64]:
    return (row + _HEX_OFFSET) * 2 * _HEX_OFFSET + (col + _HEX_OFFSET)


def cell_index(
    spec: GridSpec, lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Cell id of each longitude/latitude pair (vectorised, no polygon test).

    Examples
    --------
    >>> int(cell_index(PRIOGRID, np.array([-179.9]), np.array([-89.9]))[0])
    1
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if spec.kind == "latlon":
        row, col = _latlon_rc(spec, lon, lat)
        return _latlon_id(spec, row, col)
    row, col = _hex_qr(spec, lon, lat)
    return _hex_id(row, col)


def _latlon_grid(spec: GridSpec, bounds: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    minx, miny, maxx, maxy = bounds
    r0, c0 = _latlon_rc(spec, np.array([minx]), np.array([miny]))
    ox, oy = spec.origin
    # a maximum that falls on a cell edge does not add the cell beyond it
    r1 = int(np.ceil((maxy - oy) / spec.cell_deg - 1e-9)) - 1
    c1 = int(np.ceil((maxx - ox) / spec.cell_deg - 1e-9)) - 1
    rows = np.arange(r0[0], max(r1, r0[0]) + 1)
    cols = np.arange(c0[0], max(c1, c0[0]) + 1)
    r2, c2 = np.meshgrid(rows, cols, indexing="ij")
    rr, cc = r2.ravel(), c2.ravel()
    x0 = ox + cc * spec.cell_deg
    y0 = oy + rr * spec.cell_deg
    geoms = shapely.box(x0, y0, x0 + spec.cell_deg, y0 + spec.cell_deg)
    return gpd.GeoDataFrame(
        {
            "cell_id": _latlon_id(spec, rr, cc),
            "row": rr,
            "col": cc,
            "area_km2": latlon_cell_area_km2(y0, y0 + spec.cell_deg, spec.cell_deg),
        },
        geometry=geoms,
        crs=WGS84,
    )


def hex_grid(spec: GridSpec, bounds: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """Hexagons covering ``bounds`` (lon/lat), built in ESRI:102022; see :func:`make_grid`."""
    minx, miny, maxx, maxy = bounds
    ring = shapely.segmentize(shapely.box(minx, miny, maxx, maxy), 0.05)
    bx, by = _TO_EA.transform(*shapely.get_coordinates(ring).T)
    s = spec.size_km * 1000.0
    w, h = np.sqrt(3) * s, 1.5 * s
    r_lo = int(np.floor(np.min(by) / h)) - 1
    r_hi = int(np.ceil(np.max(by) / h)) + 1
    rows = np.arange(r_lo, r_hi + 1)
    # q range per row: x = w * (q + r/2)
    q_lo = int(np.floor(np.min(bx) / w - r_hi / 2)) - 1
    q_hi = int(np.ceil(np.max(bx) / w - r_lo / 2)) + 1
    q2, r2 = np.meshgrid(np.arange(q_lo, q_hi + 1), rows, indexing="xy")
    qq, rr = q2.ravel(), r2.ravel()
    cx = w * (qq + rr / 2)
    cy = h * rr
    region = shapely.Polygon(np.column_stack([bx, by]))
    ang = np.radians(30 + 60 * np.arange(6))
    vx = cx[:, None] + s * np.cos(ang)[None, :]
    vy = cy[:, None] + s * np.sin(ang)[None, :]
    keep = shapely.intersects(region, shapely.buffer(shapely.points(cx, cy), s))
    vx, vy, qq, rr = vx[keep], vy[keep], qq[keep], rr[keep]
    lon, lat = pyproj.Transformer.from_crs(EQUAL_AREA_CRS, WGS84, always_xy=True).transform(
        vx.ravel(), vy.ravel()
    )
    coords = np.stack([np.reshape(lon, vx.shape), np.reshape(lat, vy.shape)], axis=-1)
    coords = np.concatenate([coords, coords[:, :1, :]], axis=1)
    geoms = shapely.polygons(coords)
    out = gpd.GeoDataFrame(
        {
            "cell_id": _hex_id(rr.astype(np.int64), qq.astype(np.int64)),
            "row": rr.astype(np.int64),
            "col": qq.astype(np.int64),
            "area_km2": np.full(len(qq), spec.hex_area_km2),
        },
        geometry=geoms,
        crs=WGS84,
    )
    inter = shapely.intersects(shapely.box(minx, miny, maxx, maxy), geoms)
    return out.loc[inter].reset_index(drop=True)


def make_grid(
    extent: tuple[float, float, float, float] | gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    spec: GridSpec = PRIOGRID,
) -> gpd.GeoDataFrame:
    """Build an analysis grid over an extent.

    Parameters
    ----------
    extent
        ``(minx, miny, maxx, maxy)`` in degrees, or a layer (EPSG:4326): then only the
        cells that intersect its geometries are kept.
    spec
        :data:`PRIOGRID` (0.5°), :data:`SWAC_25` (25′), any ``GridSpec(kind="latlon",
        cell_deg=..., origin=...)``, or ``GridSpec.hexagons(size_km)``.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, one row per cell: ``cell_id`` (int64; PRIO-GRID ``gid`` for
        :data:`PRIOGRID`, ``row * n_cols_global + col + 1`` for any lat/lon grid, an
        encoding of the axial coordinates for hexagons), ``row``, ``col`` (lat/lon: index
        from the origin; hex: axial r and q), ``area_km2`` (true area: exact on the WGS84
        ellipsoid for lat/lon cells, in ESRI:102022 for hexagons), geometry. Sorted by
        ``cell_id``.

    Examples
    --------
    >>> g = make_grid((-1.0, 14.0, 0.0, 15.0), spec=PRIOGRID)
    >>> len(g), int(g["cell_id"].iloc[0])
    (4, 150119)
    """
    if isinstance(extent, gpd.GeoDataFrame | gpd.GeoSeries):
        check_geographic(gpd.GeoDataFrame(geometry=gpd.GeoSeries(extent.geometry)), what="extent")
        bounds = tuple(float(v) for v in extent.total_bounds)
        area = shapely.union_all(extent.geometry.to_numpy())
    else:
        bounds = tuple(float(v) for v in extent)
        area = None
    if len(bounds) != 4 or not (bounds[0] < bounds[2] and bounds[1] < bounds[3]):
        raise SchemaError(f"extent must be (minx, miny, maxx, maxy) with min < max, got {bounds}.")
    b4 = (bounds[0], bounds[1], bounds[2], bounds[3])
    grid = _latlon_grid(spec, b4) if spec.kind == "latlon" else hex_grid(spec, b4)
    if area is not None:
        grid = grid.loc[shapely.intersects(area, grid.geometry.to_numpy())]
    return grid.sort_values("cell_id").reset_index(drop=True)


def events_to_cells(events: gpd.GeoDataFrame, *, spec: GridSpec = PRIOGRID) -> pd.Series:
    """Return the cell id of each event (same index as ``events``).

    Parameters
    ----------
    events
        Point events in EPSG:4326.
    spec
        The grid (see :func:`make_grid`).

    Returns
    -------
    pandas.Series
        ``cell_id`` (int64) per event, named ``"cell_id"``; join it to the grid of
        :func:`make_grid` on ``cell_id``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> ev = gpd.GeoDataFrame(geometry=[Point(-179.75, -89.75)], crs="EPSG:4326")
    >>> events_to_cells(ev, spec=PRIOGRID).tolist()
    [1]
    """
    check_geographic(events, what="events")
    lon, lat = point_xy(events, what="events")
    return pd.Series(cell_index(spec, lon, lat), index=events.index, name="cell_id")
