"""Folium maps of the toolkit's outputs (present layer).

Every text that comes from data (ACLED ``notes``, actor and place names) is HTML-escaped
here before it reaches a popup or tooltip: folium writes tooltip and popup text into
the page as raw HTML.
"""

from __future__ import annotations

import html
import json
import logging

import branca.colormap as cm
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element

from sahel_geo._errors import SchemaError
from sahel_geo.io.geojson import geojson_text

__all__ = ["escape_text", "make_map", "stable_ids"]

logger = logging.getLogger(__name__)

_MARKER_LIMIT = 2_000


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
    return out.map(lambda v: None if v is None else html.escape(str(v)), na_action="ignore")


def _escaped_frame(gdf: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
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


def stable_ids(fmap: folium.Map) -> folium.Map:
    """Give every element of a map a deterministic id, so saved HTML is byte-identical.

    Folium names each element with a random ``uuid4``; this replaces them, in the order
    of the map's element tree, with counters. Returns the same map.
    """
    counter = 0
    seen: set[int] = set()

    def visit(element: Element) -> None:
        nonlocal counter
        if id(element) in seen:
            return
        seen.add(id(element))
        element._id = f"{counter:08x}"
        counter += 1
        # children, and elements held as attributes (a Popup's html, a Figure's header)
        children = list(element._children.values())
        for child in children:
            visit(child)
        # templates use the keys (the names at the time of adding): rename them too
        element._children = type(element._children)((c.get_name(), c) for c in children)
        for value in vars(element).values():
            if isinstance(value, Element):
                visit(value)

    visit(fmap)
    return fmap


def make_map(
    units: gpd.GeoDataFrame,
    *,
    value: str = "events",
    events: gpd.GeoDataFrame | None = None,
    title: str = "Conflict events",
    tiles: str | None = None,
) -> folium.Map:
    """Build a Folium map: a choropleth of ``value`` per unit and, optionally, the events.

    Works offline: with ``tiles=None`` (the default) the map has no tile layer and the
    unit boundaries alone give the reader their bearings.

    Parameters
    ----------
    units
        Units (EPSG:4326) with ``pcode``, ``name`` and the numeric column ``value``.
    value
        Column to colour the units by.
    events
        Events to show as points (with ``event_date``, ``event_type``, ``fatalities``,
        ``notes`` in the popups, escaped). More than 2,000 events are not drawn one by
        one: the choropleth carries them.
    title
        Caption of the colour legend.
    tiles
        A folium tile name or URL template, e.g. ``"OpenStreetMap"``; None for none.

    Returns
    -------
    folium.Map
        The map; in Jupyter it shows inline, ``m.save("map.html")`` writes it.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> adm1 = sg.load_boundaries(level=1).assign(events=1)
    >>> m = sg.make_map(adm1, value="events")
    >>> type(m).__name__
    'Map'
    """
    missing = [c for c in ("pcode", "name", value) if c not in units.columns]
    if missing:
        raise SchemaError(f"make_map: units lack column(s) {missing}; found {list(units.columns)}.")
    if not pd.api.types.is_numeric_dtype(units[value]):
        raise SchemaError(f"make_map: column {value!r} must be numeric to colour the units.")
    minx, miny, maxx, maxy = units.total_bounds
    fmap = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=5,
        tiles=tiles,
        control_scale=True,
    )
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    vals = units[value].astype(float).to_numpy()
    finite = vals[np.isfinite(vals)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if vmax <= vmin:
        vmax = vmin + 1.0
    cmap = cm.linear.YlOrRd_09.scale(vmin, vmax)  # type: ignore[attr-defined]
    cmap.caption = html.escape(title)
    colours = {
        str(p): (cmap(v) if np.isfinite(v) else "#cccccc")
        for p, v in zip(units["pcode"], vals, strict=True)
    }
    layer = _escaped_frame(units, ["pcode", "name", value])
    gj = folium.GeoJson(
        json.loads(geojson_text(layer, precision=5)),
        name=f"{title} by unit",
        style_function=lambda f: {
            "fillColor": colours.get(str(f["properties"]["pcode"]), "#cccccc"),
            "color": "#333333",
            "weight": 1,
            "fillOpacity": 0.7,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name", "pcode", value]),
    )
    gj.add_to(fmap)
    cmap.add_to(fmap)
    if events is not None and len(events):
        if len(events) > _MARKER_LIMIT:
            logger.info(
                "make_map: %d events is more than %d; drawn as the choropleth only",
                len(events),
                _MARKER_LIMIT,
            )
        else:
            group = folium.FeatureGroup(name="Events")
            for row in _escaped_frame(
                events, ["event_id", "event_date", "event_type", "fatalities", "notes"]
            ).itertuples():
                pt = row.geometry
                popup = "<br>".join(
                    f"<b>{k}</b>: {getattr(row, k)}"
                    for k in ("event_id", "event_date", "event_type", "fatalities", "notes")
                    if hasattr(row, k)
                )
                folium.CircleMarker(
                    location=[pt.y, pt.x],
                    radius=3,
                    color="#800026",
                    fill=True,
                    popup=folium.Popup(popup, max_width=300),
                ).add_to(group)
            group.add_to(fmap)
    folium.LayerControl().add_to(fmap)
    return stable_ids(fmap)
