"""Folium maps of the toolkit's outputs (present layer).

Every text that comes from data (ACLED ``notes``, actor and place names) is HTML-escaped
here before it reaches a popup or tooltip: folium writes tooltip and popup text into
the page as raw HTML. Every map gets deterministic element ids (:func:`stable_ids`), so
the same inputs give a byte-identical ``map.html``.

The events layer keeps the HTML small whatever the number of events: up to
``marker_limit`` events are drawn one by one, up to ``cluster_limit`` as clustered
markers, and beyond that as an aggregate (hexagons with counts, or a binned heat map).
:func:`events_layer_mode` makes that choice; it is logged and the run records it in its
manifest. A map of 1,000,000 events stays well under 10 MB of HTML
(``benchmarks/bench_map.py``).

The time slider is sahel_geo's own (a range input over period positions, labels as ISO
text made in Python), not folium's ``TimestampedGeoJson``/``TimeSliderChoropleth``: those
take epoch milliseconds, and fail for dates before 1970 (folium issues #1205 and #1273,
Leaflet.TimeDimension #83) or for series straddling 2001-09-09, where the epoch gains a
digit and string-sorted keys go out of order (folium #1268). ACLED starts in 1997.

Offline first: by default (``assets="inline"``) the JavaScript and CSS the map needs
(Leaflet, Leaflet.markercluster, Leaflet.heat) are vendored in the package and written
into the HTML, so the map opens with no network; with no tile layer (``tiles=None``, the
default) the unit boundaries alone give the reader their bearings.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element

from sahel_geo.core.errors import SchemaError
from sahel_geo.core.periods import Freq, period_label
from sahel_geo.core.raster import Raster
from sahel_geo.core.validation import check_columns
from sahel_geo.io.geojson import geojson_text
from sahel_geo.present._map_elements import Legend, PeriodSlider, inline_assets
from sahel_geo.present._map_layers import (
    YLORRD,
    clusters_layer,
    escape_text,
    escaped_frame,
    heatmap_layer,
    hexagons_layer,
    markers_layer,
    raster_image,
    scale_values,
)

__all__ = [
    "EventsMode",
    "escape_text",
    "events_layer_mode",
    "make_map",
    "period_colours",
    "stable_ids",
]

logger = logging.getLogger(__name__)

EventsMode = Literal["auto", "markers", "clusters", "hexagons", "heatmap", "none"]

_MARKER_LIMIT = 2_000
_CLUSTER_LIMIT = 10_000
_DIVERGING_HINTS = ("change", "spei", "drought", "anomaly", "pct")


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


def events_layer_mode(
    n: int,
    *,
    mode: EventsMode = "auto",
    marker_limit: int = _MARKER_LIMIT,
    cluster_limit: int = _CLUSTER_LIMIT,
    aggregate: Literal["hexagons", "heatmap"] = "hexagons",
) -> str:
    """Choose how ``n`` events are drawn: ``markers``, ``clusters``, ``hexagons`` or ``heatmap``.

    With ``mode="auto"``: markers up to ``marker_limit`` events, clustered markers up to
    ``cluster_limit``, then ``aggregate``. Any other mode is returned as given
    (``"none"`` when there are no events).

    Parameters
    ----------
    n
        Number of events.
    mode
        ``"auto"`` or a fixed choice.
    marker_limit, cluster_limit
        The thresholds (events).
    aggregate
        What to draw above ``cluster_limit``.

    Returns
    -------
    str
        The mode.

    Examples
    --------
    >>> events_layer_mode(500), events_layer_mode(5_000), events_layer_mode(10**6)
    ('markers', 'clusters', 'hexagons')
    """
    if mode not in ("auto", "markers", "clusters", "hexagons", "heatmap", "none"):
        raise SchemaError(
            f"events mode {mode!r} is unknown; use auto, markers, clusters, hexagons, "
            "heatmap or none."
        )
    if not 0 <= marker_limit <= cluster_limit:
        raise SchemaError(
            f"need 0 <= marker_limit <= cluster_limit, got {marker_limit} and {cluster_limit}."
        )
    if aggregate not in ("hexagons", "heatmap"):
        raise SchemaError(f"aggregate must be 'hexagons' or 'heatmap', got {aggregate!r}.")
    if n == 0:
        return "none"
    if mode != "auto":
        return mode
    if n <= marker_limit:
        return "markers"
    if n <= cluster_limit:
        return "clusters"
    return aggregate


def _display_units(units: gpd.GeoDataFrame, tolerance_deg: float) -> gpd.GeoDataFrame:
    """Units with boundaries simplified for display; shared borders stay shared.

    Uses ``shapely.coverage_simplify`` (the units form a coverage), falling back to
    per-polygon ``simplify`` for an invalid coverage. ``tolerance_deg <= 0`` keeps them.
    """
    if tolerance_deg <= 0 or units.empty:
        return units
    geoms = units.geometry.to_numpy()
    try:
        simple = shapely.coverage_simplify(geoms, tolerance_deg)
    except shapely.errors.GEOSException:  # pragma: no cover - not a clean coverage
        simple = shapely.simplify(geoms, tolerance_deg, preserve_topology=True)
    bad = shapely.is_empty(simple) | ~shapely.is_valid(simple)
    simple = np.where(bad, geoms, simple)
    return units.set_geometry(gpd.GeoSeries(simple, index=units.index, crs=units.crs))


def _unique_label(label: str, used: set[str]) -> str:
    """``label``, or ``label (2)``, ``(3)``... so the layer control lists every layer."""
    out, k = label, 2
    while out in used:
        out, k = f"{label} ({k})", k + 1
    used.add(out)
    return out


def _is_diverging(column: str) -> bool:
    """Whether a column or label is a change or anomaly (centred, diverging colours)."""
    return any(h in column.lower() for h in _DIVERGING_HINTS)


def _fmt(v: float) -> str:
    """Format a legend value: 3 significant digits, or a whole number from 1000 on."""
    return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def _choropleth(
    fmap: folium.Map,
    units: gpd.GeoDataFrame,
    column: str,
    *,
    label: str,
    show: bool,
) -> folium.GeoJson:
    """Add a choropleth of a numeric ``column`` (escaped tooltip) and its legend."""
    if not pd.api.types.is_numeric_dtype(units[column]):
        raise SchemaError(f"make_map: column {column!r} must be numeric to colour the units.")
    vals = units[column].astype(float).to_numpy()
    palette, idx, vmin, vmax = scale_values(vals, _is_diverging(column))
    colours = {
        str(p): (palette[i] if i >= 0 else "#cccccc")
        for p, i in zip(units["pcode"], idx, strict=True)
    }
    layer = escaped_frame(units, ["pcode", "name", column])
    gj = folium.GeoJson(
        json.loads(geojson_text(layer, precision=4)),
        name=html.escape(label),
        show=show,
        style_function=lambda f: {
            "fillColor": colours.get(str(f["properties"]["pcode"]), "#cccccc"),
            "color": "#333333",
            "weight": 1,
            "fillOpacity": 0.7,
        },
        highlight_function=lambda f: {"weight": 3},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "pcode", column],
            aliases=["Unit", "P-code", html.escape(label)],
        ),
    )
    gj.add_to(fmap)
    Legend(gj, title=label, colours=palette, labels=[_fmt(vmin), _fmt(vmax)]).add_to(fmap)
    return gj


def period_colours(
    periods: pd.DataFrame,
    *,
    value: str = "events",
    period_format: str = "%Y-%m-%d",
    freq: Freq | None = None,
) -> dict[str, object]:
    """Return the time slider's data: period labels, palette and colour codes per unit.

    Parameters
    ----------
    periods
        Long table with ``unit``, ``period`` (datetime) and ``value`` (from
        :func:`sahel_geo.aggregate`).
    value
        Column to colour by.
    period_format
        ``strftime`` format of the labels when ``freq`` is None.
    freq
        The periods' word (``"week"``, ``"month"``, ``"quarter"``, ``"year"``): labels
        read as periods, ``2012-W05``, ``2012-03``, ``2012-Q1``, ``2012``
        (:func:`sahel_geo.core.periods.period_label`), and ``period_format`` is unused.

    Returns
    -------
    dict
        ``labels`` (ISO text, any year, 1997 included), ``palette``, ``codes`` (per unit,
        a palette index per period, -1 missing), ``values`` (per unit), ``title``, ``what``.

    Examples
    --------
    >>> t = pd.DataFrame({"unit": ["A", "A"], "events": [0, 4],
    ...                   "period": pd.to_datetime(["1997-01-01", "1998-01-01"])})
    >>> period_colours(t)["labels"], period_colours(t, freq="year")["labels"]
    (['1997-01-01', '1998-01-01'], ['1997', '1998'])
    """
    check_columns(
        periods,
        ["unit", "period", value],
        what="make_map: the periods table",
        source="sahel_geo.aggregate",
    )
    wide = periods.pivot_table(index="unit", columns="period", values=value, aggfunc="sum")
    wide = wide.sort_index().reindex(sorted(wide.columns), axis=1)
    if freq is None:
        labels = [pd.Timestamp(p).strftime(period_format) for p in wide.columns]
    else:
        labels = [str(x) for x in period_label(pd.DatetimeIndex(wide.columns), freq)]
    vals = wide.to_numpy(dtype=float)
    palette, idx, _, _ = scale_values(np.where(vals > 0, vals, np.nan), False)
    idx = np.where(vals == 0, -1, idx)
    return {
        "labels": labels,
        "palette": palette,
        "codes": {str(u): [int(i) for i in row] for u, row in zip(wide.index, idx, strict=True)},
        "values": {
            str(u): [None if not np.isfinite(v) else float(v) for v in row]
            for u, row in zip(wide.index, vals, strict=True)
        },
        "title": f"{value} per period",
        "what": html.escape(value),
    }


def make_map(
    units: gpd.GeoDataFrame,
    *,
    value: str = "events",
    events: gpd.GeoDataFrame | None = None,
    title: str = "Conflict events",
    tiles: str | None = None,
    layers: Mapping[str, str] | None = None,
    periods: pd.DataFrame | None = None,
    period_value: str = "events",
    period_freq: Freq | None = None,
    rasters: Mapping[str, Raster] | None = None,
    events_mode: EventsMode = "auto",
    marker_limit: int = _MARKER_LIMIT,
    cluster_limit: int = _CLUSTER_LIMIT,
    aggregate: Literal["hexagons", "heatmap"] = "hexagons",
    hex_size_km: float = 10.0,
    heatmap: bool = True,
    heat_cell_deg: float = 0.05,
    raster_max_pixels: int = 800,
    simplify_deg: float = 0.005,
    assets: Literal["inline", "cdn"] = "inline",
) -> folium.Map:
    """Build a Folium map: choropleths per unit, events, heat map, time slider, rasters.

    Parameters
    ----------
    units
        Units (EPSG:4326) with ``pcode``, ``name`` and the numeric column ``value``.
    value
        Column of the first (visible) choropleth.
    events
        Events. Their popups show, escaped and under readable labels, the fields of
        ``sahel_geo.present._map_layers.POPUP_LABELS`` they have: ``event_id``
        ("Event"), ``event_date`` ("Date"), ``event_type`` ("Event type"), ``actor1``
        ("Actor 1"), ``actor2`` ("Actor 2"), ``perpetrator_group`` ("Perpetrator"),
        ``fatalities`` ("Fatalities"), ``civilian_fatalities`` ("Civilian fatalities"),
        ``notes`` ("Notes"); a field missing on every event is left out. Drawn as chosen
        by :func:`events_layer_mode`.
    title
        Name of the first choropleth and its legend.
    tiles
        A folium tile name or URL template, e.g. ``"OpenStreetMap"``; None (default) for
        none: the map then needs no network, boundaries still show.
    layers
        More choropleths, ``{column: label}`` (rates, change, drought, wasting), hidden
        until switched on in the layer control; each has its legend.
    periods
        Long ``unit``/``period`` table (:func:`sahel_geo.aggregate`): adds a time slider
        recolouring the units period by period (the spread).
    period_value
        Column of ``periods`` the slider shows.
    period_freq
        The periods' word: the slider labels them ``2012``, ``2012-Q1``, ``2012-03`` or
        ``2012-W05``; None (default) labels them by their first day (``2012-01-01``).
    rasters
        Image overlays, ``{label: Raster}`` (the last step of a stack), with a colour bar;
        labels containing "spei", "drought", "change" or "anomaly" get a diverging scale.
    events_mode, marker_limit, cluster_limit, aggregate
        How to draw events; see :func:`events_layer_mode`. The choice is logged.
    hex_size_km
        Hexagon side for the ``hexagons`` aggregate.
    heatmap
        Add a heat map layer of the events (binned, hidden until switched on).
    heat_cell_deg
        Bin size of the heat map (degrees).
    raster_max_pixels
        Longest side of a raster image (larger rasters are subsampled).
    simplify_deg
        Tolerance (degrees) for simplifying unit boundaries on the map (shared borders
        stay shared; 0 keeps them exact). The GeoJSON layers a run writes are exact.
    assets
        ``"inline"`` (default) writes the vendored Leaflet JS/CSS into the HTML (opens
        offline); ``"cdn"`` keeps folium's CDN links (smaller file, needs internet).

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
    _check_map_inputs(units, value=value, layers=layers or {}, assets=assets)
    fmap = _base_map(units, tiles=tiles)
    units = _display_units(units, simplify_deg)
    labels = _unique_labels([title, *(layers or {}).values(), *(rasters or {})])
    columns = [value, *(layers or {})]
    for k, (column, label) in enumerate(zip(columns, labels, strict=False)):
        _choropleth(fmap, units, column, label=label, show=k == 0)
    if periods is not None and len(periods):
        _add_period_slider(fmap, units, periods, value=period_value, freq=period_freq)
    _add_rasters(fmap, rasters or {}, labels[len(columns) :], max_pixels=raster_max_pixels)
    style = _EventsStyle(
        mode=events_mode,
        marker_limit=marker_limit,
        cluster_limit=cluster_limit,
        aggregate=aggregate,
        hex_size_km=hex_size_km,
        heatmap=heatmap,
        heat_cell_deg=heat_cell_deg,
    )
    _add_events(fmap, events, style)
    return _finish(fmap, assets=assets)


def _check_map_inputs(
    units: gpd.GeoDataFrame, *, value: str, layers: Mapping[str, str], assets: str
) -> None:
    """Raise SchemaError for missing unit columns, unknown layer columns or assets."""
    check_columns(
        units,
        ["pcode", "name", value],
        what="make_map: the units table",
        source="sahel_geo.read_boundaries, with the value column joined",
    )
    if assets not in ("inline", "cdn"):
        raise SchemaError(f"make_map: assets must be 'inline' or 'cdn', got {assets!r}.")
    for column in layers:
        if column not in units.columns:
            raise SchemaError(
                f"make_map: layer column {column!r} is not in units; found {list(units.columns)}."
            )


def _base_map(units: gpd.GeoDataFrame, *, tiles: str | None) -> folium.Map:
    """Return an empty map fitted to the units, with a zoom range (clusters need one)."""
    minx, miny, maxx, maxy = (float(v) for v in units.total_bounds)
    fmap = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=5,
        tiles=tiles,
        control_scale=True,
    )
    # without a tile layer Leaflet has no zoom range, and marker clusters need one
    fmap.options["maxZoom"] = 18
    fmap.options["minZoom"] = 2
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def _unique_labels(labels: Sequence[str]) -> list[str]:
    """Return the labels, repeats numbered (``x``, ``x (2)``...), in order."""
    used: set[str] = set()
    return [_unique_label(label, used) for label in labels]


def _add_period_slider(
    fmap: folium.Map,
    units: gpd.GeoDataFrame,
    periods: pd.DataFrame,
    *,
    value: str,
    freq: Freq | None,
) -> None:
    """Add the units layer the time slider recolours, the slider and its legend."""
    data = period_colours(periods, value=value, freq=freq)
    base = escaped_frame(units, ["pcode", "name"])
    slider_layer = folium.GeoJson(
        json.loads(geojson_text(base, precision=4)),
        name=f"Spread over time ({html.escape(value)} per period)",
        show=False,
        style_function=lambda f: {
            "fillColor": "#cccccc",
            "color": "#333333",
            "weight": 1,
            "fillOpacity": 0.7,
        },
    )
    slider_layer.add_to(fmap)
    PeriodSlider(slider_layer, data=data).add_to(fmap)
    Legend(
        slider_layer,
        title=str(data["title"]),
        colours=list(YLORRD),
        labels=["1", _fmt(float(periods[value].max()))],
    ).add_to(fmap)


def _add_rasters(
    fmap: folium.Map, rasters: Mapping[str, Raster], labels: list[str], *, max_pixels: int
) -> None:
    """Add each raster as a hidden image overlay with its colour bar (``labels`` shown)."""
    for (raw_label, raster), label in zip(rasters.items(), labels, strict=True):
        rgba, bounds, colours, vmin, vmax = raster_image(
            raster, diverging=_is_diverging(raw_label), max_pixels=max_pixels
        )
        overlay = folium.raster_layers.ImageOverlay(
            rgba, bounds=bounds, name=html.escape(label), show=False, pixelated=True
        )
        overlay.add_to(fmap)
        Legend(overlay, title=label, colours=colours, labels=[_fmt(vmin), _fmt(vmax)]).add_to(fmap)


def _drawable_events(events: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Return the events that have a point (the others are logged, not drawn)."""
    if events is None:
        return None
    has_point = events.geometry.notna() & ~events.geometry.is_empty
    if has_point.all():
        return events
    logger.info("make_map: %d events without a point are not drawn", int((~has_point).sum()))
    return events[has_point]


@dataclass(frozen=True)
class _EventsStyle:
    """How :func:`make_map` draws the events (see :func:`events_layer_mode`)."""

    mode: EventsMode
    marker_limit: int
    cluster_limit: int
    aggregate: Literal["hexagons", "heatmap"]
    hex_size_km: float
    heatmap: bool
    heat_cell_deg: float


def _add_events(fmap: folium.Map, events: gpd.GeoDataFrame | None, style: _EventsStyle) -> None:
    """Choose how to draw the events (logged) and add their layer."""
    events = _drawable_events(events)
    n = 0 if events is None else len(events)
    mode = events_layer_mode(
        n,
        mode=style.mode,
        marker_limit=style.marker_limit,
        cluster_limit=style.cluster_limit,
        aggregate=style.aggregate,
    )
    logger.info("make_map: %d events drawn as %s", n, mode)
    if events is not None and mode != "none":
        _draw_events(fmap, events, mode=mode, style=style)


def _draw_events(
    fmap: folium.Map, events: gpd.GeoDataFrame, *, mode: str, style: _EventsStyle
) -> None:
    """Add the events layer drawn as ``mode``, and a hidden heat map when asked."""
    if mode == "markers":
        markers_layer(events).add_to(fmap)
    elif mode == "clusters":
        clusters_layer(events).add_to(fmap)
    elif mode == "hexagons":
        hexes, top = hexagons_layer(events, size_km=style.hex_size_km)
        hexes.add_to(fmap)
        Legend(
            hexes,
            title=f"Events per {style.hex_size_km:g} km hexagon (log scale)",
            colours=list(YLORRD),
            labels=["1", _fmt(float(top))],
        ).add_to(fmap)
    elif mode == "heatmap":
        heatmap_layer(events, cell_deg=style.heat_cell_deg, show=True).add_to(fmap)
    if style.heatmap and mode != "heatmap":
        heatmap_layer(events, cell_deg=style.heat_cell_deg, show=False).add_to(fmap)


def _finish(fmap: folium.Map, *, assets: str) -> folium.Map:
    """Add the layer control, inline the assets when asked and fix the element ids."""
    folium.LayerControl(collapsed=False).add_to(fmap)
    if assets == "inline":
        inline_assets(fmap)
    return stable_ids(fmap)
