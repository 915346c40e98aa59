"""Cross-border spread of violence between units and countries.

First arrival, country shares, expansion vs relocation, the movement of the activity
centroid and lead-lag between border units.

Inputs are the long unit × period tables of :func:`sahel_geo.aggregate` (columns
``unit``, ``period``, ``events``, ``fatalities``) or canonical events. Distances between
units are geodesic between their equal-area centroids. Border distances and the
tri-border counts are in :mod:`sahel_geo.analysis.borders`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from sahel_geo.analysis.weights import centroids_lonlat, spatial_weights
from sahel_geo.core.errors import SchemaError
from sahel_geo.core.geodesy import GEOD, ecef_km, geodesic_km, pairs_within_km
from sahel_geo.core.periods import Freq, period_start
from sahel_geo.core.validation import check_columns, check_geographic, point_xy

__all__ = [
    "Spread",
    "centroid_movement",
    "country_shares",
    "expansion_relocation",
    "first_arrival",
    "lead_lag",
]

logger = logging.getLogger(__name__)


def _check_counts(counts: pd.DataFrame, value: str) -> None:
    check_columns(counts, ["unit", "period", value], what="counts", source="sahel_geo.aggregate")


def first_arrival(counts: pd.DataFrame, *, k: float = 1, value: str = "events") -> pd.DataFrame:
    """First period with at least ``k`` events for each unit, and the order units were reached.

    Parameters
    ----------
    counts
        Long unit × period table (:func:`sahel_geo.aggregate`).
    k
        Threshold (events, or ``value``) a period must reach.
    value
        Column to threshold.

    Returns
    -------
    pandas.DataFrame
        One row per unit, reached units first in order of arrival (then by unit):
        ``unit``, ``first_period`` (NaT if never reached), ``value_at_arrival``,
        ``order`` (1 for the first period in which any unit was reached; units reached in
        the same period share it; NaN if never), ``reached`` (bool).

    Examples
    --------
    >>> c = pd.DataFrame({"unit": ["A", "A", "B", "B"], "period": pd.to_datetime(
    ...     ["2020-01-01", "2020-02-01"] * 2), "events": [0, 2, 3, 0]})
    >>> first_arrival(c)[["unit", "order"]].to_dict("list")
    {'unit': ['B', 'A'], 'order': [1.0, 2.0]}
    """
    _check_counts(counts, value)
    if not k > 0:
        raise SchemaError(f"k must be > 0, got {k}.")
    hit = counts[counts[value] >= k]
    first = hit.sort_values("period").drop_duplicates("unit")
    allu = pd.DataFrame({"unit": pd.unique(counts["unit"])})
    out = allu.merge(
        first[["unit", "period", value]].rename(
            columns={"period": "first_period", value: "value_at_arrival"}
        ),
        on="unit",
        how="left",
    )
    out["order"] = out["first_period"].rank(method="dense")
    out["reached"] = out["first_period"].notna()
    return out.sort_values(["order", "unit"], na_position="last").reset_index(drop=True)


def country_shares(events: pd.DataFrame, *, freq: Freq = "year") -> pd.DataFrame:
    """Each country's share of events and fatalities per period.

    Parameters
    ----------
    events
        Canonical events with ``event_date``, ``country_iso3``, ``fatalities``.
    freq
        Period.

    Returns
    -------
    pandas.DataFrame
        ``period``, ``country_iso3``, ``events``, ``fatalities``, ``event_share``,
        ``fatality_share`` (each sums to 1 over the countries of a period; NaN in a
        period with no fatalities at all). Only periods with events appear.

    Examples
    --------
    >>> ev = pd.DataFrame({"event_date": pd.to_datetime(["2020-01-01"] * 3),
    ...     "country_iso3": ["MLI", "MLI", "BFA"], "fatalities": [1, 1, 2]})
    >>> country_shares(ev)["event_share"].round(3).tolist()
    [0.333, 0.667]
    """
    check_columns(events, ["event_date", "country_iso3", "fatalities"], what="events")
    base = pd.DataFrame(
        {
            "period": period_start(pd.DatetimeIndex(events["event_date"]), freq),
            "country_iso3": events["country_iso3"].to_numpy(),
            "fat": np.nan_to_num(events["fatalities"].to_numpy(dtype=float)),
        }
    )
    g = base.groupby(["period", "country_iso3"], sort=True)
    out = pd.DataFrame({"events": g.size(), "fatalities": g["fat"].sum()}).reset_index()
    tot = out.groupby("period")[["events", "fatalities"]].transform("sum")
    out["event_share"] = out["events"] / tot["events"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["fatality_share"] = np.where(
            tot["fatalities"] > 0, out["fatalities"] / tot["fatalities"], np.nan
        )
    return out


@dataclass(frozen=True, eq=False)
class Spread:
    """Result of :func:`expansion_relocation`.

    Attributes
    ----------
    units
        One row per newly affected unit: ``unit``, ``period`` (its first period with at
        least ``k`` events), ``kind`` (``"first"`` in the first period with any affected
        unit, else ``"expansion"`` or ``"relocation"``),
        ``touches_earlier_affected_unit`` (bool: the unit's polygon shares a border
        (``adjacency`` contiguity) with a unit affected in an earlier period),
        ``nearest_earlier_centroid_km`` (geodesic km from the unit's equal-area centroid to
        the nearest equal-area centroid of a unit affected in an earlier period; NaN in
        the first period), ``events``. The two measure different things: two large
        units can touch while their centroids lie hundreds of km apart, so
        ``touches_earlier_affected_unit=True`` with ``nearest_earlier_centroid_km=336.6``
        is consistent. Neither uses the events' own locations.
    periods
        One row per period: ``period``, ``events`` (all units), ``n_affected`` (units
        with at least ``k`` events in the period), ``n_new``, ``n_expansion``,
        ``n_relocation``, ``share_new`` (events in new units / all events),
        ``share_relocated`` (events in relocation units / all events),
        ``share_moved`` (half the sum of absolute changes in each unit's share of events
        since the previous period: the share of activity that changed place, 0–1).
    distance_km, k
        The settings.
    """

    units: pd.DataFrame
    periods: pd.DataFrame
    distance_km: float
    k: float

    def summary(self) -> str:
        """One line."""
        c = self.units["kind"].value_counts()
        return (
            f"{len(self.units):,} newly affected units over {len(self.periods)} periods: "
            f"{int(c.get('expansion', 0)):,} expansion, {int(c.get('relocation', 0)):,} "
            f"relocation (within {self.distance_km:g} km or adjacent = expansion)"
        )

    def __repr__(self) -> str:
        return f"<Spread {self.summary()}>"

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(self.summary())}</p>" + self.periods.head(12).to_html()


def expansion_relocation(
    counts: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    *,
    unit_col: str = "pcode",
    distance_km: float = 50.0,
    k: float = 1,
    adjacency: str = "queen",
) -> Spread:
    """Newly affected units per period, classed as expansion or relocation.

    A unit is *affected* in a period with at least ``k`` events, and *new* in the first
    such period. A new unit is an **expansion** when it touches (``adjacency``
    contiguity of the polygons) a unit affected in any earlier period, or when its
    equal-area centroid lies within ``distance_km`` (geodesic) of such a unit's centroid;
    else a
    **relocation** (violence appearing away from where it was): the diffusion typology of
    Cohen & Tita (1999) ("expansion" vs "relocation" contagion), as used for conflict
    spread by Schutte & Weidmann (2011).

    Parameters
    ----------
    counts
        Long unit × period table (:func:`sahel_geo.aggregate`), every unit × period.
    zones
        The units' polygons (EPSG:4326) with their id in ``unit_col``.
    distance_km
        Distance (geodesic, between equal-area centroids) that still counts as expansion.
    k
        Events that make a unit affected.
    adjacency
        ``"queen"`` or ``"rook"``.

    Returns
    -------
    Spread
        Per-unit and per-period tables; the per-unit table says for each new unit
        whether it touches an earlier-affected unit (``touches_earlier_affected_unit``)
        and how far its centroid is from the nearest earlier-affected unit's centroid
        (``nearest_earlier_centroid_km``); see :class:`Spread`.

    Examples
    --------
    >>> from shapely import box
    >>> cells = gpd.GeoDataFrame({"pcode": ["a", "b", "c"]}, crs="EPSG:4326",
    ...     geometry=[box(x, 14.0, x + 0.5, 14.5) for x in (0.0, 0.5, 1.0)])
    >>> counts = pd.DataFrame({"unit": ["a", "b", "c"] * 2, "events": [1, 0, 0, 1, 1, 1],
    ...     "period": pd.to_datetime(["2020-01-01"] * 3 + ["2021-01-01"] * 3)})
    >>> u = expansion_relocation(counts, cells, distance_km=10).units
    >>> u["kind"].tolist(), u["touches_earlier_affected_unit"].tolist()
    (['first', 'expansion', 'relocation'], [False, True, False])
    """
    _check_counts(counts, "events")
    ids, wide = _unit_by_period(counts, zones, unit_col)
    vals = wide.to_numpy(dtype=float)
    affected = vals >= k
    ever = affected.any(axis=1)
    first = np.where(ever, affected.argmax(axis=1), -1)
    links = _unit_links(zones, distance_km=distance_km, adjacency=adjacency)
    frames = [
        _new_units(p, ids=ids, periods=wide.columns, vals=vals, first=first, links=links)
        for p in np.unique(first[ever])  # loop over periods, vectorised over units
    ]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=_UNIT_COLS)
    units = rows[_UNIT_COLS].sort_values(["period", "unit"]).reset_index(drop=True)
    per = _spread_periods(units, vals=vals, affected=affected, periods=wide.columns)
    return Spread(units=units, periods=per, distance_km=float(distance_km), k=float(k))


_UNIT_COLS = [
    "unit",
    "period",
    "kind",
    "touches_earlier_affected_unit",
    "nearest_earlier_centroid_km",
    "events",
]
_PERIOD_COLS = [
    "period",
    "events",
    "n_affected",
    "n_new",
    "n_expansion",
    "n_relocation",
    "share_new",
    "share_relocated",
    "share_moved",
]


def _unit_by_period(
    counts: pd.DataFrame, zones: gpd.GeoDataFrame, unit_col: str
) -> tuple[NDArray[np.str_], pd.DataFrame]:
    """Return the zones' ids and the unit × period events table in the zones' order."""
    check_columns(zones, [unit_col], what="zones")
    check_geographic(zones, what="zones")
    ids = zones[unit_col].astype(str).to_numpy()
    if pd.Index(ids).has_duplicates:
        raise SchemaError(f"zones: {unit_col} has duplicate values; one polygon per unit.")
    wide = counts.pivot_table(
        index="unit", columns="period", values="events", aggfunc="sum", fill_value=0
    )
    wide.index = wide.index.astype(str)
    missing = sorted(set(wide.index) - set(ids))
    if missing:
        raise SchemaError(f"counts has units not in zones[{unit_col!r}]: {missing[:10]}.")
    return ids, wide.reindex(ids, fill_value=0)


@dataclass(frozen=True)
class _Links:
    """Which units touch or lie near each other, and where their centroids are."""

    adj: sp.csr_matrix  # contiguity
    link: sp.csr_matrix  # contiguity or centroids within distance_km
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    xyz: NDArray[np.float64]  # earth-centred km, for nearest-centroid searches


def _unit_links(zones: gpd.GeoDataFrame, *, distance_km: float, adjacency: str) -> _Links:
    """Return the contiguity and the within-distance links between the zones."""
    n = len(zones)
    adj = spatial_weights(zones, adjacency)
    lon, lat = centroids_lonlat(zones)
    i, j, _ = pairs_within_km(lon, lat, distance_km)
    near = sp.csr_matrix((np.ones(i.size * 2), (np.r_[i, j], np.r_[j, i])), shape=(n, n))
    link = ((adj + near) > 0).astype(np.int8).tocsr()
    return _Links(adj=adj, link=link, lon=lon, lat=lat, xyz=ecef_km(lon, lat))


def _nearest_earlier_km(
    new: NDArray[np.intp], earlier: NDArray[np.bool_], links: _Links
) -> NDArray[np.float64]:
    """Return the geodesic km from each new unit's centroid to the nearest earlier one's."""
    if not earlier.any():
        return np.full(new.size, np.nan)
    lon, lat = links.lon, links.lat
    prev = np.flatnonzero(earlier)
    n_cand = min(4, prev.size)
    _, idx = cKDTree(links.xyz[prev]).query(links.xyz[new], k=n_cand)
    cand = prev[np.asarray(idx).reshape(new.size, n_cand)]
    d = geodesic_km(
        np.repeat(lon[new], n_cand),
        np.repeat(lat[new], n_cand),
        lon[cand.ravel()],
        lat[cand.ravel()],
    )
    nearest: NDArray[np.float64] = d.reshape(new.size, n_cand).min(axis=1)
    return nearest


def _new_units(
    p: int,
    *,
    ids: NDArray[np.str_],
    periods: pd.Index,
    vals: NDArray[np.float64],
    first: NDArray[np.intp],
    links: _Links,
) -> pd.DataFrame:
    """Return the rows of the units first affected in period ``p``, classed."""
    ever = first >= 0
    new = np.flatnonzero(first == p)
    earlier = (ever & (first < p)).astype(float)
    is_exp = np.asarray(links.link[new] @ earlier).ravel() > 0
    is_adj = np.asarray(links.adj[new] @ earlier).ravel() > 0
    nearest = _nearest_earlier_km(new, earlier > 0, links)
    first_any = int(first[ever].min())
    kind = np.where(is_exp, "expansion", "relocation") if p != first_any else "first"
    return pd.DataFrame(
        {
            "unit": ids[new],
            "period": periods[p],
            "kind": kind,
            "touches_earlier_affected_unit": is_adj,
            "nearest_earlier_centroid_km": nearest,
            "events": vals[new, p],
        }
    )


def _share_moved(vals: NDArray[np.float64], total: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return half the summed absolute change of the units' shares since the last period."""
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, vals / total, 0.0)
    moved: NDArray[np.float64] = np.r_[np.nan, 0.5 * np.abs(np.diff(share, axis=1)).sum(axis=0)]
    moved[1:][(total[1:] == 0) | (total[:-1] == 0)] = np.nan
    return moved


def _spread_periods(
    units: pd.DataFrame,
    *,
    vals: NDArray[np.float64],
    affected: NDArray[np.bool_],
    periods: pd.Index,
) -> pd.DataFrame:
    """Return the per-period table of a :class:`Spread` from its new-units table."""
    total = vals.sum(axis=0)
    per = pd.DataFrame({"period": periods, "events": total, "n_affected": affected.sum(axis=0)})
    by = units.groupby("period")
    for name, kind in (("n_expansion", "expansion"), ("n_relocation", "relocation")):
        per[name] = (
            per["period"]
            .map(units[units["kind"] == kind].groupby("period").size())
            .fillna(0)
            .astype(int)
        )
    per["n_new"] = per["period"].map(by.size()).fillna(0).astype(int)
    ev_new = per["period"].map(by["events"].sum()).fillna(0.0)
    ev_rel = (
        per["period"]
        .map(units[units["kind"] == "relocation"].groupby("period")["events"].sum())
        .fillna(0.0)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        per["share_new"] = np.where(total > 0, ev_new / total, np.nan)
        per["share_relocated"] = np.where(total > 0, ev_rel / total, np.nan)
    per["share_moved"] = _share_moved(vals, total)
    return per[_PERIOD_COLS]


def centroid_movement(
    events: gpd.GeoDataFrame, *, freq: Freq = "year", weight: str | None = None
) -> pd.DataFrame:
    """Centre of activity per period and how far and where it moved.

    The centre is the mean of the events' unit vectors on the sphere (the spherical
    mean centre), optionally weighted (e.g. by ``fatalities``); the step is the geodesic
    distance and initial azimuth from the previous period's centre.

    Returns
    -------
    pandas.DataFrame
        ``period``, ``events``, ``lon``, ``lat``, ``step_km`` (NaN for the first period),
        ``bearing_deg`` (clockwise from north).

    Examples
    --------
    >>> import geopandas as gpd
    >>> ev = gpd.GeoDataFrame({"event_date": pd.to_datetime(["2020-05-01", "2021-05-01"])},
    ...     geometry=gpd.points_from_xy([0.0, 0.0], [14.0, 15.0]), crs="EPSG:4326")
    >>> centroid_movement(ev)["step_km"].round(1).tolist()
    [nan, 110.6]
    """
    check_geographic(events, what="events")
    check_columns(events, ["event_date"], what="events")
    lon, lat = point_xy(events, what="events")
    w = np.ones(lon.size) if weight is None else np.nan_to_num(events[weight].to_numpy(dtype=float))
    lo, la = np.radians(lon), np.radians(lat)
    per = period_start(pd.DatetimeIndex(events["event_date"]), freq)
    frame = pd.DataFrame(
        {
            "period": per,
            "x": np.cos(la) * np.cos(lo) * w,
            "y": np.cos(la) * np.sin(lo) * w,
            "z": np.sin(la) * w,
            "n": 1,
        }
    )
    g = frame.groupby("period", sort=True).sum()
    gx, gy, gz = (g[c].to_numpy(dtype=float) for c in ("x", "y", "z"))
    clon = np.degrees(np.arctan2(gy, gx))
    clat = np.degrees(np.arctan2(gz, np.hypot(gx, gy)))
    out = pd.DataFrame({"period": g.index, "events": g["n"].to_numpy(), "lon": clon, "lat": clat})
    step = np.full(len(out), np.nan)
    bearing = np.full(len(out), np.nan)
    if len(out) > 1:
        az, _, dist = GEOD.inv(clon[:-1], clat[:-1], clon[1:], clat[1:])
        step[1:] = np.asarray(dist) / 1000
        b = np.mod(np.asarray(az, dtype=float), 360.0)
        bearing[1:] = np.where(b >= 360.0 - 1e-9, 0.0, b)
    out["step_km"] = step
    out["bearing_deg"] = bearing
    return out


def lead_lag(
    counts: pd.DataFrame,
    *,
    leaders: Sequence[str],
    followers: Sequence[str],
    max_lag: int = 6,
    value: str = "events",
) -> pd.DataFrame:
    """Cross-correlation of the summed period counts of two groups of units at lags 0..L.

    ``corr(x_t, y_{t+lag})`` (Pearson) where ``x`` is the leaders' total (e.g. Mali's border
    units) and ``y`` the followers' (e.g. Burkina Faso's or Niger's border units): a peak at
    ``lag > 0`` means the followers' violence tends to follow the leaders' by that many
    periods. Use :func:`sahel_geo.border_units` to pick the units.

    Returns
    -------
    pandas.DataFrame
        ``lag``, ``correlation`` (NaN when either series is constant over the overlap),
        ``n_periods`` (periods in the overlap).

    Examples
    --------
    >>> c = pd.DataFrame({"unit": ["M"] * 6 + ["B"] * 6,
    ...     "period": list(range(6)) * 2, "events": [0, 5, 0, 0, 5, 0, 0, 0, 5, 0, 0, 5]})
    >>> lead_lag(c, leaders=["M"], followers=["B"], max_lag=2)["correlation"].round(2).tolist()
    [-0.5, 1.0, -0.58]
    """
    _check_counts(counts, value)
    if max_lag < 0:
        raise SchemaError(f"max_lag must be >= 0, got {max_lag}.")
    for name, grp in (("leaders", leaders), ("followers", followers)):
        absent = sorted(set(grp) - set(counts["unit"]))
        if absent or not grp:
            raise SchemaError(f"{name}: units {absent} are not in counts (or none given).")
    wide = counts.pivot_table(
        index="period", columns="unit", values=value, aggfunc="sum", fill_value=0
    )
    x = wide[list(leaders)].sum(axis=1).to_numpy(dtype=float)
    y = wide[list(followers)].sum(axis=1).to_numpy(dtype=float)
    rows = []
    for lag in range(max_lag + 1):  # loop over lags
        a, b = x[: x.size - lag], y[lag:]
        if a.size < 2 or a.std() == 0 or b.std() == 0:
            rows.append((lag, np.nan, a.size))
            continue
        rows.append((lag, float(np.corrcoef(a, b)[0, 1]), a.size))
    return pd.DataFrame(rows, columns=["lag", "correlation", "n_periods"])
