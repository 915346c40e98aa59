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
from typing import Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from folium.plugins import FastMarkerCluster, HeatMap
from numpy.typing import NDArray

from sahel_geo._errors import SchemaError
from sahel_geo._map_elements import Legend, PeriodSlider, inline_assets, js_json
from sahel_geo._raster import Raster
from sahel_geo.grid import GridSpec, events_to_cells, make_grid
from sahel_geo.io.geojson import geojson_text

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
_CLUSTER_NOTES_CHARS = 120
_POPUP_FIELDS = ("event_id", "event_date", "event_type", "actor1", "fatalities", "notes")
_NOTES_CHARS = 300
_YLORRD = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"]
_BRBG = ["#8c510a", "#d8b365", "#f6e8c3", "#f5f5f5", "#c7eae5", "#5ab4ac", "#01665e"]
_DIVERGING_HINTS = ("change", "spei", "drought", "anomaly", "pct")


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


def _escaped_frame(gdf: gpd.GeoDataFrame, columns: Sequence[str]) -> gpd.GeoDataFrame:
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
    return any(h in column.lower() for h in _DIVERGING_HINTS)


def _scale(
    vals: NDArray[np.float64], diverging: bool
) -> tuple[list[str], NDArray[np.int64], float, float]:
    """Palette, the palette index of each value (-1 for missing), and the range."""
    palette = _BRBG[::-1] if diverging else _YLORRD
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


def _fmt(v: float) -> str:
    return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def _choropleth(
    fmap: folium.Map,
    units: gpd.GeoDataFrame,
    column: str,
    *,
    label: str,
    show: bool,
) -> folium.GeoJson:
    if not pd.api.types.is_numeric_dtype(units[column]):
        raise SchemaError(f"make_map: column {column!r} must be numeric to colour the units.")
    vals = units[column].astype(float).to_numpy()
    palette, idx, vmin, vmax = _scale(vals, _is_diverging(column))
    colours = {
        str(p): (palette[i] if i >= 0 else "#cccccc")
        for p, i in zip(units["pcode"], idx, strict=True)
    }
    layer = _escaped_frame(units, ["pcode", "name", column])
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


def _popup_frame(events: gpd.GeoDataFrame, *, notes_chars: int) -> gpd.GeoDataFrame:
    """Popup fields, escaped; notes cut to ``notes_chars`` characters of the source text."""
    columns = [c for c in _POPUP_FIELDS if c in events.columns and c != "notes"]
    frame = _escaped_frame(events, columns)
    if "notes" in events.columns:
        notes = events["notes"].astype(object).where(events["notes"].notna(), None)
        cut = notes.map(
            lambda s: s if len(str(s)) <= notes_chars else str(s)[:notes_chars] + "…",
            na_action="ignore",
        )
        frame["notes"] = escape_text(cut).to_numpy()
    return frame


def _markers(events: gpd.GeoDataFrame) -> folium.GeoJson:
    frame = _popup_frame(events, notes_chars=_NOTES_CHARS)
    fields = [c for c in _POPUP_FIELDS if c in frame.columns]
    return folium.GeoJson(
        json.loads(geojson_text(frame, precision=5)),
        name="Events",
        marker=folium.CircleMarker(
            radius=3, color="#800026", fill=True, fill_opacity=0.8, weight=1
        ),
        popup=folium.GeoJsonPopup(fields=fields, max_width=320) if fields else None,
    )


_CLUSTER_CALLBACK = """function (row) {
    var m = L.circleMarker(new L.LatLng(row[0], row[1]),
        {radius: 4, color: "#800026", weight: 1, fill: true, fillOpacity: 0.8});
    m.bindPopup(function () {
        var spec = %s;
        var div = document.createElement("div");
        for (var i = 0; i < spec.fields.length; i++) {
            var v = row[i + 2];
            if (v === null) { continue; }
            if (spec.lookups[i] !== null) { v = spec.lookups[i][v]; }
            var b = document.createElement("b");
            b.textContent = spec.fields[i] + ": ";
            div.appendChild(b);
            div.appendChild(document.createTextNode(String(v)));
            div.appendChild(document.createElement("br"));
        }
        return div;
    }, {maxWidth: 320});
    return m;
}"""
_LOOKUP_FIELDS = ("event_type", "actor1")


def _clusters(events: gpd.GeoDataFrame) -> FastMarkerCluster:
    """Clustered circle markers; popups built in the browser with ``textContent``.

    The popup text never passes through an HTML parser (DOM text nodes), so it needs no
    escaping and cannot run as markup; repeated texts (event type, actor) are sent once,
    in a lookup list, to keep the page small.
    """
    fields = [c for c in _POPUP_FIELDS if c in events.columns]
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
    lat = np.round(np.asarray(events.geometry.y, dtype=float), 4).tolist()
    lon = np.round(np.asarray(events.geometry.x, dtype=float), 4).tolist()
    rows = [list(r) for r in zip(lat, lon, *columns, strict=True)]
    callback = _CLUSTER_CALLBACK % js_json({"fields": fields, "lookups": lookups})
    return FastMarkerCluster(rows, callback=callback, name="Events (clustered)")


def _hexagons(events: gpd.GeoDataFrame, *, size_km: float) -> tuple[folium.GeoJson, int]:
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
    palette, idx, _, _ = _scale(np.log10(vals), False)
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
    lon = np.asarray(events.geometry.x, dtype=float)
    lat = np.asarray(events.geometry.y, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    ix = np.floor(lon[ok] / cell_deg).astype(np.int64)
    iy = np.floor(lat[ok] / cell_deg).astype(np.int64)
    cells, counts = np.unique(np.column_stack([iy, ix]), axis=0, return_counts=True)
    pts = np.column_stack(
        [
            np.round((cells[:, 0] + 0.5) * cell_deg, 4),
            np.round((cells[:, 1] + 0.5) * cell_deg, 4),
            counts.astype(float),
        ]
    )
    return [[float(a), float(b), float(c)] for a, b, c in pts]


def _heatmap(events: gpd.GeoDataFrame, *, cell_deg: float, show: bool) -> HeatMap:
    pts = _heat_points(events, cell_deg=cell_deg)
    return HeatMap(pts, name="Heat map of events", show=show, radius=12, blur=10, min_opacity=0.3)


def _mercator_rows(lat: NDArray[np.float64]) -> NDArray[np.float64]:
    rad = np.radians(np.clip(lat, -85.0, 85.0))
    return np.asarray(np.log(np.tan(np.pi / 4 + rad / 2)), dtype=float)


def _raster_image(
    raster: Raster, *, diverging: bool, max_pixels: int
) -> tuple[NDArray[np.uint8], list[list[float]], list[str], float, float]:
    """RGBA image (Web-Mercator rows), bounds and legend of a raster's last step."""
    from matplotlib import colormaps

    values = np.asarray(raster.values, dtype=float)
    if values.ndim == 3:
        values = values[-1]
    valid = np.isfinite(values)
    if raster.nodata is not None:
        valid &= values != raster.nodata
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


def period_colours(
    periods: pd.DataFrame, *, value: str = "events", period_format: str = "%Y-%m-%d"
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
        ``strftime`` format of the labels.

    Returns
    -------
    dict
        ``labels`` (ISO text, any year, 1997 included), ``palette``, ``codes`` (per unit,
        a palette index per period, -1 missing), ``values`` (per unit), ``title``, ``what``.

    Examples
    --------
    >>> t = pd.DataFrame({"unit": ["A", "A"], "events": [0, 4],
    ...                   "period": pd.to_datetime(["1997-01-01", "1998-01-01"])})
    >>> period_colours(t)["labels"]
    ['1997-01-01', '1998-01-01']
    """
    missing = [c for c in ("unit", "period", value) if c not in periods.columns]
    if missing:
        raise SchemaError(
            f"make_map: the periods table lacks column(s) {missing}; found "
            f"{list(periods.columns)}. Pass the table from sahel_geo.aggregate()."
        )
    wide = periods.pivot_table(index="unit", columns="period", values=value, aggfunc="sum")
    wide = wide.sort_index().reindex(sorted(wide.columns), axis=1)
    labels = [pd.Timestamp(p).strftime(period_format) for p in wide.columns]
    vals = wide.to_numpy(dtype=float)
    palette, idx, _, _ = _scale(np.where(vals > 0, vals, np.nan), False)
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
        Events (with ``event_date``, ``event_type``, ``actor1``, ``fatalities``, ``notes``
        in the popups, escaped). Drawn as chosen by :func:`events_layer_mode`.
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
    missing = [c for c in ("pcode", "name", value) if c not in units.columns]
    if missing:
        raise SchemaError(f"make_map: units lack column(s) {missing}; found {list(units.columns)}.")
    if assets not in ("inline", "cdn"):
        raise SchemaError(f"make_map: assets must be 'inline' or 'cdn', got {assets!r}.")
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
    units = _display_units(units, simplify_deg)
    used: set[str] = set()
    _choropleth(fmap, units, value, label=_unique_label(title, used), show=True)
    for column, label in (layers or {}).items():
        if column not in units.columns:
            raise SchemaError(
                f"make_map: layer column {column!r} is not in units; found {list(units.columns)}."
            )
        _choropleth(fmap, units, column, label=_unique_label(label, used), show=False)
    if periods is not None and len(periods):
        data = period_colours(periods, value=period_value)
        base = _escaped_frame(units, ["pcode", "name"])
        slider_layer = folium.GeoJson(
            json.loads(geojson_text(base, precision=4)),
            name=f"Spread over time ({html.escape(period_value)} per period)",
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
            colours=list(_YLORRD),
            labels=["1", _fmt(float(periods[period_value].max()))],
        ).add_to(fmap)
    for raw_label, raster in (rasters or {}).items():
        diverging = _is_diverging(raw_label)
        label = _unique_label(raw_label, used)
        rgba, bounds, colours, vmin, vmax = _raster_image(
            raster, diverging=diverging, max_pixels=raster_max_pixels
        )
        overlay = folium.raster_layers.ImageOverlay(
            rgba, bounds=bounds, name=html.escape(label), show=False, pixelated=True
        )
        overlay.add_to(fmap)
        Legend(overlay, title=label, colours=colours, labels=[_fmt(vmin), _fmt(vmax)]).add_to(fmap)
    if events is not None:
        has_point = events.geometry.notna() & ~events.geometry.is_empty
        if not has_point.all():
            logger.info(
                "make_map: %d events without a point are not drawn", int((~has_point).sum())
            )
            events = events[has_point]
    n = 0 if events is None else len(events)
    mode = events_layer_mode(
        n,
        mode=events_mode,
        marker_limit=marker_limit,
        cluster_limit=cluster_limit,
        aggregate=aggregate,
    )
    logger.info("make_map: %d events drawn as %s", n, mode)
    if events is not None and mode != "none":
        if mode == "markers":
            _markers(events).add_to(fmap)
        elif mode == "clusters":
            _clusters(events).add_to(fmap)
        elif mode == "hexagons":
            hexes, top = _hexagons(events, size_km=hex_size_km)
            hexes.add_to(fmap)
            Legend(
                hexes,
                title=f"Events per {hex_size_km:g} km hexagon (log scale)",
                colours=list(_YLORRD),
                labels=["1", _fmt(float(top))],
            ).add_to(fmap)
        elif mode == "heatmap":
            _heatmap(events, cell_deg=heat_cell_deg, show=True).add_to(fmap)
        if heatmap and mode != "heatmap":
            _heatmap(events, cell_deg=heat_cell_deg, show=False).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    if assets == "inline":
        inline_assets(fmap)
    return stable_ids(fmap)
