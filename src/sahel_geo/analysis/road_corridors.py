"""Road segments, named corridors and corridor exposure (events near roads, per period).

Pure compute; no file or network I/O. Distances from events to roads are geodesic
(:data:`sahel_geo.core.geodesy.GEOD`) to the nearest point of the line: candidates are
found in the UTM zone of the lines with a margin for its scale error, then checked on the
ellipsoid.
"""

from __future__ import annotations

import warnings
from typing import Final

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from sahel_geo.analysis.roads import RoadNetwork, as_network, point_lonlat
from sahel_geo.core.errors import EmptyResultError, SchemaError
from sahel_geo.core.geodesy import GEOD
from sahel_geo.core.periods import FREQUENCIES, Freq
from sahel_geo.core.schema import WGS84
from sahel_geo.core.validation import check_columns, check_geographic

__all__ = ["corridor_exposure", "corridor_layer", "road_corridors", "road_segments"]


def road_segments(network: nx.MultiDiGraph | RoadNetwork) -> gpd.GeoDataFrame:
    """Return the road segments of a network as a line layer in EPSG:4326.

    Parameters
    ----------
    network
        A projected road graph or a :class:`RoadNetwork`.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per undirected segment, ``segment_id`` 0..n-1 (the order of
        :class:`RoadNetwork`), ``u``, ``v`` (node ids), ``name``, ``ref``, ``highway``,
        ``length_km`` (road length).

    Examples
    --------
    >>> import sahel_geo as sg
    >>> segs = sg.road_segments(sg.road_network(osm_file=sg.tri_border_roads_path()))
    >>> round(float(segs["length_km"].sum()))
    2994
    """
    net = as_network(network)
    geoms = gpd.GeoSeries(net.seg_geom, crs=net.crs).to_crs(WGS84)
    return gpd.GeoDataFrame(
        {
            "segment_id": np.arange(net.n_segments, dtype=np.int64),
            "u": net.node_ids[net.seg_a],
            "v": net.node_ids[net.seg_b],
            "name": net.seg_name,
            "ref": net.seg_ref,
            "highway": net.seg_highway,
            "length_km": net.seg_length_m / 1000.0,
        },
        geometry=geoms.to_numpy(),
        crs=WGS84,
    )


def road_corridors(network: nx.MultiDiGraph | RoadNetwork, *, by: str = "name") -> gpd.GeoDataFrame:
    """Named corridors: the road segments merged by name (or ref, or highway class).

    Parameters
    ----------
    network
        A projected road graph or a :class:`RoadNetwork`.
    by
        ``"name"``, ``"ref"`` or ``"highway"``. Segments without a value are left out
        (they are still in :func:`road_segments`). A segment osmnx merged from ways with
        different values carries them joined by ``";"`` and forms its own corridor;
        :func:`sahel_geo.road_network` keeps such ways apart.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per corridor, sorted by ``corridor``: ``corridor``, ``n_segments``,
        ``length_km``, (Multi)LineString geometry in EPSG:4326.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> cor = sg.road_corridors(sg.road_network(osm_file=sg.tri_border_roads_path()), by="ref")
    >>> cor["corridor"].tolist()
    ['RN16', 'RN22', 'RN3', 'RN4']
    """
    if by not in ("name", "ref", "highway"):
        raise SchemaError(f"by must be 'name', 'ref' or 'highway', got {by!r}.")
    segs = road_segments(network)
    segs = segs[segs[by].notna()]
    if segs.empty:
        raise EmptyResultError(f"No road segment has a {by!r} tag: choose another 'by'.")
    grouped = segs.groupby(by, sort=True)
    merged = grouped.geometry.apply(lambda s: shapely.line_merge(shapely.union_all(s.to_numpy())))
    return gpd.GeoDataFrame(
        {
            "corridor": merged.index.to_numpy(dtype=object),
            "n_segments": grouped.size().to_numpy(dtype=np.int64),
            "length_km": grouped["length_km"].sum().to_numpy(),
        },
        geometry=merged.to_numpy(),
        crs=WGS84,
    )


def _within(
    lonlat: np.ndarray, lines: gpd.GeoSeries, within_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (point, line) with geodesic distance <= within_km, vectorised."""
    if len(lonlat) == 0 or len(lines) == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    crs = lines.estimate_utm_crs()
    proj_lines = lines.to_crs(crs).to_numpy()
    x, y = Transformer.from_crs(WGS84, crs, always_xy=True).transform(lonlat[:, 0], lonlat[:, 1])
    pts = shapely.points(x, y)
    # Candidates in UTM with a margin for its scale error (k ~ 1 + dlon^2 / 2 away from the
    # central meridian), then an exact geodesic check to the nearest point of the line.
    cm, _ = Transformer.from_crs(crs, WGS84, always_xy=True).transform(500_000.0, 0.0)
    minx, _, maxx, _ = lines.total_bounds
    far = max(abs(minx - cm), abs(maxx - cm), float(np.abs(lonlat[:, 0] - cm).max()))
    scale = (1.0 + np.radians(min(far, 80.0)) ** 2) / 0.9996
    margin = within_km * 1000.0 * scale * 1.01 + 1000.0
    p_idx, l_idx = shapely.STRtree(proj_lines).query(pts, predicate="dwithin", distance=margin)
    if len(p_idx) == 0:
        return p_idx, l_idx
    near = shapely.get_point(shapely.shortest_line(proj_lines[l_idx], pts[p_idx]), 0)
    lon, lat = Transformer.from_crs(crs, WGS84, always_xy=True).transform(
        shapely.get_x(near), shapely.get_y(near)
    )
    _, _, d = GEOD.inv(lonlat[p_idx, 0], lonlat[p_idx, 1], lon, lat)
    ok = np.asarray(d) <= within_km * 1000.0
    return p_idx[ok], l_idx[ok]


#: Pandas offset codes ``corridor_exposure`` took before 0.2 and the period words they mean
#: (``"D"`` has no word: days are accepted only until the codes go).
_PANDAS_CODES: Final[dict[str, str]] = {
    "YS": "year",
    "AS": "year",
    "Y": "year",
    "QS": "quarter",
    "Q": "quarter",
    "MS": "month",
    "M": "month",
    "W": "week",
    "D": "D",
}


def corridor_exposure(
    events: gpd.GeoDataFrame,
    corridors: gpd.GeoDataFrame,
    *,
    within_km: float,
    corridor_id: str = "corridor",
    freq: Freq | str = "year",
    date_col: str = "event_date",
    fatalities_col: str | None = "fatalities",
) -> pd.DataFrame:
    """Events within ``within_km`` of each road segment or corridor, per period.

    An event near two corridors counts for both (exposure, not a partition); each event
    counts once per corridor. Distances are geodesic from the event to the nearest point
    of the line.

    Parameters
    ----------
    events
        Event points in EPSG:4326 with ``date_col`` (datetime64).
    corridors
        Lines in EPSG:4326 with a unique id column, e.g. :func:`road_corridors` or
        :func:`road_segments` (``corridor_id="segment_id"``).
    within_km
        Exposure distance in km (geodesic).
    corridor_id
        Column of ``corridors`` identifying each line.
    freq
        Period, in the words of :func:`sahel_geo.aggregate`: ``"year"`` (default),
        ``"quarter"``, ``"month"`` or ``"week"`` (ISO weeks, Monday start). The pandas
        offset codes taken before (``"YS"``, ``"QS"``, ``"MS"``, ``"W"``, ``"D"``, ...)
        still work with a :class:`FutureWarning`; they are removed in sahel_geo 0.3.0.
    date_col
        Event date column.
    fatalities_col
        Column summed as ``fatalities``; None to skip.

    Returns
    -------
    pandas.DataFrame
        Long table, one row per corridor x period from the first to the last event
        period (zeros included), sorted: ``corridor_id``, ``period`` (period start),
        ``n_events``, ``fatalities`` (when asked).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd, sahel_geo as sg
    >>> cor = sg.road_corridors(sg.road_network(osm_file=sg.tri_border_roads_path()), by="ref")
    >>> ev = gpd.GeoDataFrame({"event_date": pd.to_datetime(["2020-03-01"]), "fatalities": [3]},
    ...     geometry=gpd.points_from_xy([-1.0], [13.2]), crs=4326)
    >>> t = sg.corridor_exposure(ev, cor, within_km=10)
    >>> t.loc[t["n_events"] > 0, "corridor"].tolist()
    ['RN3']
    """
    if not (within_km >= 0):
        raise SchemaError(f"within_km must be >= 0, got {within_km}.")
    alias = _period_alias(freq)
    lonlat = point_lonlat(events, what="events")
    ids = _corridor_ids(corridors, corridor_id)
    check_columns(events, [date_col] + ([fatalities_col] if fatalities_col else []), what="events")
    dates = _event_dates(events, date_col)
    p_idx, l_idx = _within(lonlat, corridors.geometry, within_km)
    period = dates.dt.to_period(alias).dt.start_time.to_numpy()
    hits = pd.DataFrame({corridor_id: ids.to_numpy()[l_idx], "period": period[p_idx]})
    agg = {"n_events": ("period", "size")}
    if fatalities_col is not None:
        hits["fatalities"] = pd.to_numeric(events[fatalities_col]).to_numpy()[p_idx]
        agg["fatalities"] = ("fatalities", "sum")
    counted = hits.groupby([corridor_id, "period"], sort=True).agg(**agg)
    if len(dates):
        periods = pd.period_range(dates.min(), dates.max(), freq=alias).start_time
    else:
        periods = pd.DatetimeIndex([])
    full = pd.MultiIndex.from_product(
        [np.sort(ids.to_numpy()), periods], names=[corridor_id, "period"]
    )
    table = counted.reindex(full, fill_value=0).reset_index()
    table["n_events"] = table["n_events"].astype(np.int64)
    return table


def _period_alias(freq: str) -> str:
    """Pandas period alias of a period word (or, deprecated, of a pandas offset code)."""
    if freq in FREQUENCIES:
        return FREQUENCIES[freq]
    if freq in _PANDAS_CODES:
        word = _PANDAS_CODES[freq]
        instead = f"freq={word!r}" if word in FREQUENCIES else f"one of {sorted(FREQUENCIES)}"
        warnings.warn(
            f"corridor_exposure(freq={freq!r}): pandas offset codes are deprecated and will "
            f"be removed in sahel_geo 0.3.0; pass {instead} (the period words of "
            "sahel_geo.aggregate).",
            FutureWarning,
            stacklevel=3,
        )
        return FREQUENCIES.get(word, word)
    raise SchemaError(f"freq must be one of {', '.join(FREQUENCIES)}, got {freq!r}.")


def _corridor_ids(corridors: gpd.GeoDataFrame, corridor_id: str) -> pd.Series:
    """Check the corridors layer (EPSG:4326, unique ids) and return its id column."""
    check_columns(corridors, [corridor_id], what="corridors")
    check_geographic(corridors, what="corridors")
    ids: pd.Series = corridors[corridor_id]
    if ids.duplicated().any():
        raise SchemaError(
            f"corridors[{corridor_id!r}] has duplicate values "
            f"({', '.join(map(str, ids[ids.duplicated()].unique()[:5]))}): ids must be unique."
        )
    return ids


def _event_dates(events: gpd.GeoDataFrame, date_col: str) -> pd.Series:
    """Return the events' dates as datetime64; raise on missing ones, naming the rows."""
    dates: pd.Series = pd.to_datetime(events[date_col])
    if dates.isna().any():
        rows = np.flatnonzero(dates.isna().to_numpy())[:10]
        raise SchemaError(
            f"events[{date_col!r}] is missing at row positions {', '.join(map(str, rows))}. "
            "Drop or date those events first."
        )
    return dates


def corridor_layer(
    exposure: pd.DataFrame,
    corridors: gpd.GeoDataFrame,
    *,
    corridor_id: str = "corridor",
) -> gpd.GeoDataFrame:
    """Join an exposure table to its lines, one feature per corridor, for a map layer.

    Parameters
    ----------
    exposure
        Output of :func:`corridor_exposure`.
    corridors
        The lines it was computed on (EPSG:4326).
    corridor_id
        Id column shared by both.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 lines sorted by id: ``corridor_id``, ``n_events`` (all periods),
        ``fatalities`` (when present), then ``n_<period start>`` per period (e.g.
        ``n_2020-01-01``). Ready for ``write_geojson``.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd, sahel_geo as sg
    >>> cor = sg.road_corridors(sg.road_network(osm_file=sg.tri_border_roads_path()), by="ref")
    >>> ev = gpd.GeoDataFrame({"event_date": pd.to_datetime(["2020-03-01"]), "fatalities": [3]},
    ...     geometry=gpd.points_from_xy([-1.0], [13.2]), crs=4326)
    >>> layer = sg.corridor_layer(sg.corridor_exposure(ev, cor, within_km=10), cor)
    >>> layer[["corridor", "n_events", "n_2020-01-01"]].values.tolist()[2]
    ['RN3', 1, 1]
    """
    check_columns(exposure, [corridor_id, "period", "n_events"], what="exposure")
    check_columns(corridors, [corridor_id], what="corridors")
    wide = exposure.pivot_table(
        index=corridor_id, columns="period", values="n_events", aggfunc="sum", fill_value=0
    )
    wide.columns = [f"n_{pd.Timestamp(c).date().isoformat()}" for c in wide.columns]
    totals = exposure.groupby(corridor_id, sort=True)[
        ["n_events"] + (["fatalities"] if "fatalities" in exposure else [])
    ].sum()
    table = totals.join(wide).reset_index()
    lines = corridors[[corridor_id, "geometry"]].to_crs(WGS84)
    out = lines.merge(table, on=corridor_id, how="left", validate="one_to_one")
    count_cols = [c for c in out.columns if c not in (corridor_id, "geometry")]
    out[count_cols] = out[count_cols].fillna(0).astype(np.int64)
    out = out.sort_values(corridor_id, kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame(out[[corridor_id, *count_cols, "geometry"]], crs=WGS84)
