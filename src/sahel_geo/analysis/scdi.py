"""OECD/SWAC Spatial Conflict Dynamics indicator (SCDi) per grid cell and period.

The SCDi (OECD/SWAC 2020, *Conflict Networks in North and West Africa*; Walther, Radil,
Russell & Trémolières 2021, "Introducing the Spatial Conflict Dynamics indicator of
political violence", *Terrorism and Political Violence*) describes each cell-year with at
least two events by

* its **density**: events per km² of the cell, and
* the **Clark-Evans nearest-neighbour index** (Clark & Evans 1954)
  ``R = r̄_obs / r̄_exp`` with ``r̄_exp = 0.5 / √(n / A)``; its z-score is
  ``(r̄_obs − r̄_exp) / (0.26136 / √(n² / A))``,

and classes the cell as clustered (``C``, R < 1) or dispersed (``D``, R >= 1), and high
(``H``, density above a cutoff) or low (``L``) density: ``CH``, ``CL``, ``DH``, ``DL``.
Cells with fewer than two events have no class (SWAC writes ``"NANA"``).

Beyond SWAC, each cell-period reports the share of its events that share coordinates
with another event in it: events geocoded to the same village or centroid drive ``R`` to
0 (``clustered``) whatever the real pattern, so read the index with that share beside it.

Distances: each event's nearest neighbour in its cell-period is found by chord distance on
the unit sphere and measured geodesically (WGS84). Areas: the true cell area (exact on the
ellipsoid, see :mod:`sahel_geo.analysis.grid`).

SWAC's published densities are not per true km²: the area they imply (events / density)
grows with latitude (about 1,864 km² per 25′ cell at 4°N to 2,278 km² at 33°N, while the
true area falls from 2,132 to 1,806 km²), so densities here differ from SWAC's by up to
~25 % and classes can differ near the cutoff. The default cutoff 0.0017 events/km² is
inferred from SWAC's file (every ``H`` cell-year has density > 0.00170 and every ``L`` one
<= 0.00170 in SWAC's own densities); :func:`scdi_classes` reproduces SWAC's classes exactly
from its densities and indices.
"""

from __future__ import annotations

import logging
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from sahel_geo.analysis.grid import SWAC_25, GridSpec, cell_index
from sahel_geo.core.arrays import run_starts
from sahel_geo.core.errors import SchemaError
from sahel_geo.core.geodesy import geodesic_km, latlon_cell_area_km2
from sahel_geo.core.periods import Freq, period_start
from sahel_geo.core.validation import check_columns, check_geographic, point_xy

__all__ = ["SWAC_DENSITY_CUTOFF", "scdi", "scdi_classes"]

logger = logging.getLogger(__name__)

#: Events per km² above which a cell-year is "high density" (inferred from SWAC's file).
SWAC_DENSITY_CUTOFF: Final = 0.0017
#: Clark & Evans (1954) standard error constant.
_CE_SE: Final = 0.26136


def scdi_classes(
    density: ArrayLike, nn_index: ArrayLike, *, density_cutoff: float = SWAC_DENSITY_CUTOFF
) -> NDArray[np.object_]:
    """SCDi class from density and nearest-neighbour index.

    ``C``/``D`` (index < 1 / >= 1) followed by ``H``/``L`` (density > cutoff / not);
    ``""`` where either is NaN (fewer than two events).

    Examples
    --------
    >>> scdi_classes([0.004, 0.001, 0.002, np.nan], [0.2, 0.5, 1.3, np.nan]).tolist()
    ['CH', 'CL', 'DH', '']
    """
    d = np.asarray(density, dtype=float)
    r = np.asarray(nn_index, dtype=float)
    pattern = np.where(r < 1, "C", "D")
    level = np.where(d > density_cutoff, "H", "L")
    out = np.char.add(pattern, level).astype(object)
    out[np.isnan(d) | np.isnan(r)] = ""
    return out


def _cell_area(spec: GridSpec, cell: NDArray[np.int64]) -> NDArray[np.float64]:
    if spec.kind == "hex":
        return np.full(cell.size, spec.hex_area_km2)
    n_cols = int(np.ceil(360.0 / spec.cell_deg - 1e-9))
    row = (cell - 1) // n_cols
    south = np.asarray(spec.origin[1] + row * spec.cell_deg, dtype=np.float64)
    return latlon_cell_area_km2(south, south + spec.cell_deg, spec.cell_deg)


def scdi(
    events: gpd.GeoDataFrame,
    *,
    spec: GridSpec = SWAC_25,
    freq: Freq = "year",
    density_cutoff: float = SWAC_DENSITY_CUTOFF,
    min_events: int = 2,
) -> pd.DataFrame:
    """Spatial Conflict Dynamics indicator per grid cell and period.

    Parameters
    ----------
    events
        Point events (EPSG:4326) with ``event_date``.
    spec
        The grid: :data:`sahel_geo.analysis.grid.SWAC_25` (SWAC's), PRIO-GRID or hexagons.
    freq
        Period (SWAC: ``"year"``).
    density_cutoff
        Events per km² above which density is high.
    min_events
        Fewest events for an index (SWAC: 2).

    Returns
    -------
    pandas.DataFrame
        One row per cell-period with at least one event, sorted by ``cell_id`` then
        ``period``: ``cell_id``, ``period``, ``events``, ``area_km2``, ``density``
        (events/km²), ``nn_mean_km`` (mean nearest-neighbour distance), ``nn_expected_km``
        (``0.5 / √(n/A)``), ``nn_index`` (Clark-Evans R), ``nn_z``, ``duplicate_share``
        (share of events sharing coordinates with another event of the cell-period),
        ``pattern`` (``C``/``D``), ``density_class`` (``H``/``L``), ``scdi`` (``CH``,
        ``CL``, ``DH``, ``DL``; ``""`` below ``min_events``). Indices are NaN below
        ``min_events``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> ev = gpd.GeoDataFrame({"event_date": pd.to_datetime(["2023-03-01"] * 3)},
    ...     geometry=gpd.points_from_xy([0.0, 0.0, 0.1], [14.0, 14.0, 14.0]), crs="EPSG:4326")
    >>> scdi(ev)[["events", "duplicate_share", "scdi"]].to_dict("records")
    [{'events': 3, 'duplicate_share': 0.6666666666666666, 'scdi': 'CL'}]
    """
    check_geographic(events, what="events")
    check_columns(events, ["event_date"], what="events")
    if min_events < 2:
        raise SchemaError(
            f"min_events must be >= 2 (a nearest neighbour needs two), got {min_events}."
        )
    lon, lat = point_xy(events, what="events")
    cell = cell_index(spec, lon, lat)
    period = period_start(pd.DatetimeIndex(events["event_date"]), freq)
    ccode, cuniq = pd.factorize(cell)
    pcode, puniq = pd.factorize(period)
    gid, kuniq = pd.factorize(ccode.astype(np.int64) * len(puniq) + pcode)
    n_groups = len(kuniq)
    counts = np.bincount(gid, minlength=n_groups)
    # events sharing coordinates inside a cell-period: their nearest neighbour is at 0 km
    order = np.lexsort((lat, lon, gid))
    first_of_run = run_starts(gid[order], lon[order], lat[order])
    same = ~first_of_run[1:]  # the event shares cell-period and location with the previous
    dup = np.zeros(lon.size, dtype=bool)
    dup[order[1:][same]] = True
    dup[order[:-1][same]] = True
    dup_per_group = np.bincount(gid, weights=dup, minlength=n_groups)
    # the others: nearest other location of the same cell-period, searched among distinct
    # locations only (duplicates slow k-d trees down); groups pushed apart on a 4th axis
    nn_km = np.zeros(lon.size)
    reps = order[first_of_run]  # one event per distinct (cell-period, location)
    n_loc = np.bincount(gid[reps], minlength=n_groups)
    lone_pos = np.flatnonzero(~dup[reps] & (n_loc[gid[reps]] >= 2))  # alone at its place
    lone = reps[lone_pos]
    if lone.size:
        lo, la = np.radians(lon[reps]), np.radians(lat[reps])
        xyz = np.column_stack(
            [np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la), gid[reps] * 10.0]
        )
        tree = cKDTree(xyz, balanced_tree=False, compact_nodes=False)
        _, idx = tree.query(xyz[lone_pos], k=2)
        j = reps[idx[:, 1]]  # distinct locations: the nearest other is the second hit
        nn_km[lone] = geodesic_km(lon[lone], lat[lone], lon[j], lat[j])
    nn_sum = np.bincount(gid, weights=nn_km, minlength=n_groups)
    cells = np.asarray(cuniq, dtype=np.int64)[kuniq // len(puniq)]
    area = _cell_area(spec, cells)
    density = counts / area
    enough = counts >= min_events
    with np.errstate(divide="ignore", invalid="ignore"):
        r_obs = np.where(enough, nn_sum / counts, np.nan)
        r_exp = np.where(enough, 0.5 / np.sqrt(counts / area), np.nan)
        index = r_obs / r_exp
        z = (r_obs - r_exp) / (_CE_SE / np.sqrt(counts**2 / area))
    classes = scdi_classes(density, index, density_cutoff=density_cutoff)
    out = pd.DataFrame(
        {
            "cell_id": cells,
            "period": pd.DatetimeIndex(puniq)[kuniq % len(puniq)],
            "events": counts,
            "area_km2": area,
            "density": density,
            "nn_mean_km": r_obs,
            "nn_expected_km": r_exp,
            "nn_index": index,
            "nn_z": z,
            "duplicate_share": dup_per_group / counts,
            "pattern": np.where(enough, np.where(index < 1, "C", "D"), ""),
            "density_class": np.where(enough, np.where(density > density_cutoff, "H", "L"), ""),
            "scdi": classes,
        }
    )
    return out.sort_values(["cell_id", "period"]).reset_index(drop=True)
