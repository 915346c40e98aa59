"""Layers of :mod:`sahel_geo.present.maps`: escaped text, colour scales, the events layers, rasters.

Private to the present layer. The events layers keep a page small whatever the number
of events: one GeoJSON layer of circle markers; clustered circle markers whose popups
are built in the browser from DOM text nodes (never parsed as HTML) with repeated texts
sent once; hexagons with counts; a heat map of events binned to cells.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.plugins import FastMarkerCluster, HeatMap
from numpy.typing import NDArray

from sahel_geo.analysis.grid import GridSpec, events_to_cells, make_grid
from sahel_geo.core.raster import Raster
from sahel_geo.core.validation import point_xy
from sahel_geo.io.geojson import geojson_text
from sahel_geo.present._map_elements import js_json

__all__ = [
    "BRBG",
    "EVENTS_PANE",
    "EVENT_FILL",
    "EVENT_RING",
    "POPUP_LABELS",
    "YLORRD",
    "clusters_layer",
    "escape_text",
    "escaped_frame",
    "heatmap_layer",
    "hexagons_layer",
    "last_step",
    "markers_layer",
    "raster_image",
    "scale_values",
]

_CLUSTER_NOTES_CHARS = 120
#: The event fields a popup shows, in order, each under the label people read.
POPUP_LABELS: dict[str, str] = {
    "event_id": "Event",
    "event_date": "Date",
    "event_type": "Event type",
    "actor1": "Actor 1",
    "actor2": "Actor 2",
    "perpetrator_group": "Perpetrator",
    "fatalities": "Fatalities",
    "civilian_fatalities": "Civilian fatalities",
    "notes": "Notes",
}
_NOTES_CHARS = 300
#: Event markers: black with a white ring, visible on every choropleth palette.
EVENT_FILL, EVENT_RING = "#111111", "#ffffff"
#: The pane events are drawn in, above the unit layers (make_map creates it).
EVENTS_PANE = "sahel-events"
YLORRD = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"]
BRBG = ["#8c510a", "#d8b365", "#f6e8c3", "#f5f5f5", "#c7eae5", "#5ab4ac", "#01665e"]


def escape_text(values: pd.Series) -> pd.Series:
    """Return the values as HTML-escaped text (null stays null).

    Parameters
    ----------
    values
        Any column; values are turned into text first.

    Returns
    -------
    pandas.Series
        Escaped text, safe inside HTML.

    Examples
    --------
    >>> escape_text(pd.Series(["<b>x</b>", None])).tolist()
    ['&lt;b&gt;x&lt;/b&gt;', None]
    """
    out = values.astype(object).where(values.notna(), None)
    escaped = out.map(lambda v: None if v is None else html.escape(str(v)), na_action="ignore")
    return escaped.astype(object).where(escaped.notna(), None)


def escaped_frame(gdf: gpd.GeoDataFrame, columns: Sequence[str]) -> gpd.GeoDataFrame:
    """Return ``columns`` of ``gdf`` with text escaped and dates as ISO text."""
    data: dict[str, pd.Series] = {}
    for c in (c for c in columns if c in gdf.columns):
        col = gdf[c]
        if pd.api.types.is_datetime64_any_dtype(col):
            data[c] = col.dt.strftime("%Y-%m-%d").astype(object).where(col.notna(), None)
        elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            data[c] = col
        else:
            data[c] = escape_text(col)
    return gpd.GeoDataFrame(data, geometry=gdf.geometry.to_numpy(), crs=gdf.crs)


def scale_values(
    vals: NDArray[np.float64], diverging: bool
) -> tuple[list[str], NDArray[np.int64], float, float]:
    """Palette, the palette index of each value (-1 for missing), and the range."""
    palette = BRBG[::-1] if diverging else YLORRD
    finite = vals[np.isfinite(vals)]
    if finite.size == 0:
        vmin, vmax = 0.0, 1.0
    elif diverging:
        m = float(np.abs(finite).max()) or 1.0
        vmin, vmax = -m, m
    else:
        vmin, vmax = float(finite.min()), float(finite.max())
        if vmax <= vmin:
            vmax = vmin + 1.0
    k = len(palette)
    with np.errstate(invalid="ignore"):
        idx = np.floor((vals - vmin) / (vmax - vmin) * k)
    idx = np.clip(np.nan_to_num(idx, nan=-1.0), -1, k - 1).astype(np.int64)
    idx[~np.isfinite(vals)] = -1
    return palette, idx, vmin, vmax


_CODED_FIELDS = ("perpetrator_group",)


def _coded_as_words(events: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Events with code fields in words (``armed_group`` -> ``armed group``)."""
    present = [c for c in _CODED_FIELDS if c in events.columns]
    if not present:
        return events
    out = events.copy()
    for c in present:
        col = out[c]
        out[c] = col.astype(object).where(col.isna(), col.astype(str).str.replace("_", " "))
    return out


def _popup_fields(events: pd.DataFrame) -> list[str]:
    """Return the :data:`POPUP_LABELS` fields the events have, all-missing ones left out."""
    return [c for c in POPUP_LABELS if c in events.columns and events[c].notna().any()]


def _popup_frame(events: gpd.GeoDataFrame, *, notes_chars: int) -> gpd.GeoDataFrame:
    """Popup fields, escaped; notes cut to ``notes_chars`` characters of the source text."""
    columns = [c for c in _popup_fields(events) if c != "notes"]
    frame = escaped_frame(_coded_as_words(events), columns)
    if "notes" in _popup_fields(events):
        notes = events["notes"].astype(object).where(events["notes"].notna(), None)
        cut = notes.map(
            lambda s: s if len(str(s)) <= notes_chars else str(s)[:notes_chars] + "…",
            na_action="ignore",
        )
        frame["notes"] = escape_text(cut).to_numpy()
    return frame


def markers_layer(events: gpd.GeoDataFrame) -> folium.GeoJson:
    """Return one circle marker per event, labelled escaped popups (notes cut to 300 chars)."""
    frame = _popup_frame(events, notes_chars=_NOTES_CHARS)
    fields = [c for c in POPUP_LABELS if c in frame.columns]
    aliases = [html.escape(POPUP_LABELS[c]) for c in fields]  # written as HTML by folium
    marker = folium.CircleMarker(
        radius=4,
        color=EVENT_RING,
        fill=True,
        fill_color=EVENT_FILL,
        fill_opacity=0.9,
        weight=1.5,
    )
    marker.options["pane"] = EVENTS_PANE  # folium's path options drop a pane
    return folium.GeoJson(
        json.loads(geojson_text(frame, precision=5)),
        name="Events",
        marker=marker,
        popup=(
            folium.GeoJsonPopup(fields=fields, aliases=aliases, max_width=320) if fields else None
        ),
    )


_CLUSTER_CALLBACK = """function (row) {
    var m = L.circleMarker(new L.LatLng(row[0], row[1]),
        {radius: 4, color: "#ffffff", weight: 1.5, fill: true, fillColor: "#111111",
         fillOpacity: 0.9, pane: "sahel-events"});
    m.bindPopup(function () {
        var spec = %s;
        var div = document.createElement("div");
        for (var i = 0; i < spec.labels.length; i++) {
            var v = row[i + 2];
            if (v === null) { continue; }
            if (spec.lookups[i] !== null) { v = spec.lookups[i][v]; }
            var b = document.createElement("b");
            b.textContent = spec.labels[i] + ": ";
            div.appendChild(b);
            div.appendChild(document.createTextNode(String(v)));
            div.appendChild(document.createElement("br"));
        }
        return div;
    }, {maxWidth: 320});
    return m;
}"""
_LOOKUP_FIELDS = ("event_type", "actor1", "actor2", "perpetrator_group")


def clusters_layer(events: gpd.GeoDataFrame) -> FastMarkerCluster:
    """Clustered circle markers; labelled popups built in the browser with ``textContent``.

    The popup text never passes through an HTML parser (DOM text nodes), so it needs no
    escaping and cannot run as markup; repeated texts (event type, actor) are sent once,
    in a lookup list, to keep the page small.
    """
    fields = _popup_fields(events)
    events = _coded_as_words(events)
    columns: list[list[object]] = []
    lookups: list[list[str] | None] = []
    for c in fields:
        col = events[c]
        if pd.api.types.is_datetime64_any_dtype(col):
            vals = col.dt.strftime("%Y-%m-%d").astype(object).where(col.notna(), None)
            columns.append(vals.tolist())
            lookups.append(None)
        elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            num = col.astype(float)
            columns.append([None if not np.isfinite(v) else round(v, 3) for v in num.tolist()])
            lookups.append(None)
        else:
            text = col.astype(object).where(col.notna(), None)
            if c == "notes":
                text = text.map(
                    lambda v: (
                        v
                        if len(str(v)) <= _CLUSTER_NOTES_CHARS
                        else str(v)[:_CLUSTER_NOTES_CHARS] + "…"
                    ),
                    na_action="ignore",
                )
                text = text.astype(object).where(text.notna(), None)
            if c in _LOOKUP_FIELDS:
                codes, uniques = pd.factorize(text.astype(object), sort=True)
                columns.append([None if k < 0 else int(k) for k in codes.tolist()])
                lookups.append([str(u) for u in uniques])
            else:
                columns.append([None if v is None else str(v) for v in text.tolist()])
                lookups.append(None)
    x, y = point_xy(events, what="make_map: events")
    lat = np.round(y, 4).tolist()
    lon = np.round(x, 4).tolist()
    rows = [list(r) for r in zip(lat, lon, *columns, strict=True)]
    labels = [POPUP_LABELS[c] for c in fields]
    callback = _CLUSTER_CALLBACK % js_json({"labels": labels, "lookups": lookups})
    return FastMarkerCluster(rows, callback=callback, name="Events (clustered)")


def hexagons_layer(events: gpd.GeoDataFrame, *, size_km: float) -> tuple[folium.GeoJson, int]:
    """Hexagons with event counts (log colour scale), and the largest count."""
    spec = GridSpec(kind="hex", size_km=size_km, name=f"hex{size_km:g}km")
    cells = events_to_cells(events, spec=spec)
    counts = cells.value_counts().sort_index()
    # the bounding box, not the events: a GeoDataFrame extent is clipped to its union
    minx, miny, maxx, maxy = (float(v) for v in events.total_bounds)
    grid = make_grid((minx, miny, maxx, maxy), spec=spec)
    grid = grid[grid["cell_id"].isin(counts.index)].copy()
    grid["events"] = counts.reindex(grid["cell_id"]).to_numpy().astype("int64")
    vals = grid["events"].astype(float).to_numpy()
    palette, idx, _, _ = scale_values(np.log10(vals), False)
    grid["colour"] = [palette[i] for i in idx]
    layer = gpd.GeoDataFrame(
        {"events": grid["events"].to_numpy(), "colour": grid["colour"].to_numpy()},
        geometry=grid.geometry.to_numpy(),
        crs=grid.crs,
    )
    gj = folium.GeoJson(
        json.loads(geojson_text(layer, precision=4)),
        name=f"Events per {size_km:g} km hexagon",
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": f["properties"]["colour"],
            "weight": 0.5,
            "fillOpacity": 0.75,
        },
        tooltip=folium.GeoJsonTooltip(fields=["events"], aliases=["Events"]),
    )
    return gj, int(counts.max())


def _heat_points(events: gpd.GeoDataFrame, *, cell_deg: float) -> list[list[float]]:
    """Events binned to ``cell_deg`` cells: ``[lat, lon, count]`` per occupied cell."""
    lon, lat = point_xy(events, what="make_map: events")
    ok = np.isfinite(lon) & np.isfinite(lat)
    ix = np.floor(lon[ok] / cell_deg).astype(np.int64)
    iy = np.floor(lat[ok] / cell_deg).astype(np.int64)
    if ix.size == 0:
        return []
    # one int64 key per cell, ordered as (row, column): a 1-D unique, not a row-wise one
    x0, width = ix.min(), int(ix.max() - ix.min()) + 1
    keys, counts = np.unique((iy - iy.min()) * width + (ix - x0), return_counts=True)
    cells_y, cells_x = keys // width + iy.min(), keys % width + x0
    pts = np.column_stack(
        [
            np.round((cells_y + 0.5) * cell_deg, 4),
            np.round((cells_x + 0.5) * cell_deg, 4),
            counts.astype(float),
        ]
    )
    return [[float(a), float(b), float(c)] for a, b, c in pts]


def heatmap_layer(events: gpd.GeoDataFrame, *, cell_deg: float, show: bool) -> HeatMap:
    """Return a heat map of the events binned to ``cell_deg`` cells (shown or hidden)."""
    pts = _heat_points(events, cell_deg=cell_deg)
    return HeatMap(pts, name="Heat map of events", show=show, radius=12, blur=10, min_opacity=0.3)


def _mercator_rows(lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """Web-Mercator y (radians) of latitudes, clipped to ±85°."""
    rad = np.radians(np.clip(lat, -85.0, 85.0))
    return np.asarray(np.log(np.tan(np.pi / 4 + rad / 2)), dtype=float)


def last_step(raster: Raster) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Return a raster's last step (its only one if 2-D) as float64, and where it is data.

    Only that step is read: a lazy (dask) stack computes one slice, not the whole stack.
    """
    raw = np.asarray(raster.values[-1] if raster.values.ndim == 3 else raster.values)
    return raw.astype(np.float64), np.asarray(raster.valid_mask(raw), dtype=bool)


def raster_image(
    raster: Raster, *, diverging: bool, max_pixels: int
) -> tuple[NDArray[np.uint8], list[list[float]], list[str], float, float]:
    """RGBA image (Web-Mercator rows), bounds and legend of a raster's last step."""
    from matplotlib import colormaps

    values, valid = last_step(raster)
    step = max(1, int(np.ceil(max(values.shape) / max_pixels)))
    values, valid = values[::step, ::step], valid[::step, ::step]
    minx, miny, maxx, maxy = raster.bounds
    # resample rows so the image lines up on Leaflet's Web-Mercator map
    out_rows = values.shape[0]
    y = np.linspace(
        _mercator_rows(np.array([maxy]))[0], _mercator_rows(np.array([miny]))[0], out_rows
    )
    lat = np.degrees(2 * np.arctan(np.exp(y)) - np.pi / 2)
    src = np.clip(
        ((maxy - lat) / (maxy - miny) * values.shape[0]).astype(int), 0, values.shape[0] - 1
    )
    values, valid = values[src], valid[src]
    finite = values[valid]
    if finite.size == 0:
        vmin, vmax = 0.0, 1.0
    elif diverging:
        m = float(np.nanmax(np.abs(finite))) or 1.0
        vmin, vmax = -m, m
    else:
        vmin, vmax = float(finite.min()), float(finite.max())
        vmax = vmax if vmax > vmin else vmin + 1.0
    cmap = colormaps["BrBG" if diverging else "YlOrRd"]
    norm = np.clip((np.where(valid, values, vmin) - vmin) / (vmax - vmin), 0, 1)
    rgba = np.asarray(cmap(norm, bytes=True), dtype=np.uint8)
    rgba[..., 3] = np.where(valid, 200, 0).astype(np.uint8)
    stops = [cmap(x) for x in np.linspace(0, 1, 7)]
    colours = [f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}" for r, g, b, _ in stops]
    return rgba, [[miny, minx], [maxy, maxx]], colours, vmin, vmax
