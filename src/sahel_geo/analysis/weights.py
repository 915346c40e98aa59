"""Private: binary spatial weights (contiguity or geodesic distance band) as sparse matrices."""

from __future__ import annotations

from typing import TypeAlias

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely

from sahel_geo.core.errors import SchemaError
from sahel_geo.core.geodesy import pairs_within_km
from sahel_geo.core.schema import EQUAL_AREA_CRS, WGS84
from sahel_geo.core.validation import check_geographic

__all__ = ["Weights", "centroids_lonlat", "spatial_weights"]

#: What ``weights=`` accepts: ``"queen"``, ``"rook"``, a distance band in km, or a
#: prepared n × n sparse matrix (binary, zero diagonal).
Weights: TypeAlias = str | float | int | sp.spmatrix | sp.sparray


def centroids_lonlat(zones: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Centroids computed in ESRI:102022 (equal-area), returned as lon/lat."""
    c = zones.geometry.to_crs(EQUAL_AREA_CRS).centroid.to_crs(WGS84)
    return c.x.to_numpy(dtype=float), c.y.to_numpy(dtype=float)


def _symmetric(i: np.ndarray, j: np.ndarray, n: int) -> sp.csr_matrix:
    rows = np.concatenate([i, j])
    cols = np.concatenate([j, i])
    m = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    m.data[:] = 1.0  # duplicates collapse to binary
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def spatial_weights(zones: gpd.GeoDataFrame, weights: Weights) -> sp.csr_matrix:
    """Binary spatial weights of ``zones`` (zero diagonal), as a CSR matrix.

    ``"queen"``: polygons sharing at least one point; ``"rook"``: sharing a boundary
    segment of positive length; a number: centroids (equal-area) within that many geodesic
    km; a sparse matrix: used as given (checked square, diagonal dropped).
    """
    n = len(zones)
    if sp.issparse(weights):
        m = sp.csr_matrix(weights, dtype=float)
        if m.shape != (n, n):
            raise SchemaError(f"weights matrix is {m.shape}, expected ({n}, {n}) for the zones.")
        m = sp.csr_matrix(m - sp.diags(m.diagonal()))
        m.eliminate_zeros()
        return m
    check_geographic(zones, what="zones")
    if isinstance(weights, str):
        if weights not in ("queen", "rook"):
            raise SchemaError(
                f"weights={weights!r}: use 'queen', 'rook', a distance band in km or a "
                "sparse matrix."
            )
        geoms = zones.geometry.to_numpy()
        tree = shapely.STRtree(geoms)
        i, j = tree.query(geoms, predicate="intersects")
        keep = i < j
        i, j = i[keep], j[keep]
        if weights == "rook" and i.size:
            shared = shapely.intersection(shapely.boundary(geoms[i]), shapely.boundary(geoms[j]))
            ok = shapely.length(shared) > 0
            i, j = i[ok], j[ok]
        return _symmetric(i, j, n)
    if not isinstance(weights, int | float) or isinstance(weights, bool) or not weights > 0:
        raise SchemaError(f"distance band must be > 0 km, got {weights!r}.")
    lon, lat = centroids_lonlat(zones)
    i, j, _ = pairs_within_km(lon, lat, float(weights))
    return _symmetric(i, j, n)
