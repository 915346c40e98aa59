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
text made in Python, about 40 lines of script written into the page), not folium's
``TimeSliderChoropleth``/``TimestampedGeoJson``: those load their scripts from CDNs
(folium 0.20: d3 v4 from d3js.org and moment.js from cdnjs for the first; jQuery,
jQuery UI, Leaflet.TimeDimension and more from cdnjs and jsDelivr for the second), so a
map using them shows no slider offline, while this map opens with no network at all
(below). Labels made in Python also read the same in every browser and for periods of
any length (weeks, quarters) without date arithmetic in the page.

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
from numpy.typing import NDArray

from sahel_geo.core.errors import SchemaError
from sahel_geo.core.periods import Freq, period_label
from sahel_geo.core.raster import Raster
from sahel_geo.core.validation import check_columns
from sahel_geo.io.geojson import geojson_text
from sahel_geo.present._map_elements import (
    ClassLegend,
    Credits,
    LayerGroups,
    Legend,
    MapTitle,
    PeriodSlider,
    inline_assets,
)
from sahel_geo.present._map_layers import (
    EVENTS_PANE,
    YLORRD,
    clusters_layer,
    escape_text,
    escaped_frame,
    heatmap_layer,
    hexagons_layer,
    last_step,
    markers_layer,
    raster_image,
    scale_values,
)
from sahel_geo.present.basemap import BASEMAP_CREDIT, basemap_layer
from sahel_geo.present.classify import (
    KNOWN_STYLES,
    Classes,
    LayerStyle,
    classes_for,
    format_number,
)

__all__ = [
    "CITATIONS",
    "EventsMode",
    "escape_text",
    "event_credits",
    "events_layer_mode",
    "make_map",
    "period_colours",
    "stable_ids",
]

logger = logging.getLogger(__name__)
NDArrayF = NDArray[np.float64]

EventsMode = Literal["auto", "markers", "clusters", "hexagons", "heatmap", "none"]

_MARKER_LIMIT = 2_000
_CLUSTER_LIMIT = 10_000
#: Credit lines by data source (the events' ``source`` column; ``naturalearth``: the basemap).
CITATIONS: dict[str, str] = {
    "acled": "Events: Armed Conflict Location &amp; Event Data Project (ACLED), "
    "acleddata.com; Raleigh et al. 2010, Journal of Peace Research 47(5)",
    "ucdp": "Events: UCDP Georeferenced Event Dataset (GED); Sundberg &amp; Melander 2013, "
    "Journal of Peace Research 50(4); Davies, Pettersson &amp; \u00d6berg 2023",
    "demo": "Events: SYNTHETIC demo data (sahel_geo), not real events",
    "generic": "Events: user-supplied table",
    "naturalearth": BASEMAP_CREDIT,
}
_UNITS_GROUP, _EVENTS_GROUP, _RASTER_GROUP, _BASE_GROUP = "Units", "Events", "Rasters", "Base"
_RASTER_PANE, _BASEMAP_PANE = "sahel-rasters", "sahel-basemap"


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


def _fmt(v: float) -> str:
    """Format a legend value: whole numbers plainly, others to what they mean."""
    return format_number(v)


def layer_style(column: str, spec: str | LayerStyle | None) -> LayerStyle:
    """Return the style of a choropleth of ``column``: ``spec`` itself, or its known style.

    A label (``str``) keeps the style :data:`~sahel_geo.present.classify.KNOWN_STYLES`
    has for the exact column name (``gi_z``: Gi* categories; ``change_pct``: diverging at
    0; ``first_year``: years), else quantiles in a sequential palette: nothing is
    inferred from parts of a column name.

    Examples
    --------
    >>> layer_style("wasting_pct", "Wasting (%)").midpoint is None
    True
    >>> layer_style("gi_z", "Hot spots").kind
    'gi'
    """
    if isinstance(spec, LayerStyle):
        return spec
    known = KNOWN_STYLES.get(column)
    label = spec if spec is not None else (known.label if known else column)
    if known is None:
        return LayerStyle(label)
    from dataclasses import replace

    return replace(known, label=label)


def _shown_values(vals: NDArrayF, classes: Classes, style: LayerStyle) -> list[str]:
    """Return the text a tooltip shows per unit: a formatted number, a year or a class name."""
    out = []
    for v, c in zip(vals.tolist(), classes.codes.tolist(), strict=True):
        if not np.isfinite(v):
            out.append("no data")
        elif style.kind == "year":
            out.append(str(int(v)))
        elif style.kind == "gi":
            out.append(f"{classes.labels[c]} (z = {v:.2f})")
        else:
            out.append(format_number(v, decimals=style.decimals, unit=style.unit))
    return out


def _choropleth(
    fmap: folium.Map,
    units: gpd.GeoDataFrame,
    column: str,
    *,
    style: LayerStyle,
    label: str,
    show: bool,
) -> folium.GeoJson:
    """Add a classed choropleth of ``column`` (a base layer), its tooltip and its legend."""
    if style.kind == "ehsa":
        vals_obj = units[column].astype(object).to_numpy()
        classes = classes_for(vals_obj, style)
        shown = [str(v) if v is not None and v == v else "no data" for v in vals_obj]
    else:
        if not pd.api.types.is_numeric_dtype(units[column]):
            raise SchemaError(f"make_map: column {column!r} must be numeric to colour the units.")
        vals = units[column].astype(float).to_numpy()
        classes = classes_for(vals, style)
        shown = _shown_values(vals, classes, style)
    colours = dict(zip(units["pcode"].astype(str), classes.colour_list(), strict=True))
    layer = escaped_frame(units.assign(_shown=shown), ["pcode", "name", "_shown"])
    gj = folium.GeoJson(
        json.loads(geojson_text(layer, precision=4)),
        name=html.escape(label),
        show=show,
        overlay=False,
        style_function=lambda f: {
            "fillColor": colours.get(str(f["properties"]["pcode"]), "#d9d9d9"),
            "color": "#333333",
            "weight": 1,
            "fillOpacity": 0.75,
        },
        highlight_function=lambda f: {"weight": 3},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "pcode", "_shown"],
            aliases=["Unit", "P-code", html.escape(label)],
        ),
    )
    gj.add_to(fmap)
    ClassLegend(gj, title=label, items=classes.legend(with_no_data=True)).add_to(fmap)
    return gj


def event_credits(events: pd.DataFrame | None) -> list[str]:
    """Credit lines of the events' sources (``source`` column: acled, ucdp, demo, generic).

    Examples
    --------
    >>> event_credits(pd.DataFrame({"source": ["ucdp", "ucdp"]}))[0][:28]
    'Events: UCDP Georeferenced E'
    """
    if events is None or "source" not in events.columns:
        return []
    found = sorted({str(v).lower() for v in events["source"].dropna().unique()})
    return [CITATIONS.get(s, f"Events: {html.escape(s)}") for s in found]


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
    subtitle: str | None = None,
    style: LayerStyle | None = None,
    tiles: str | None = None,
    tiles_attribution: str | None = None,
    layers: Mapping[str, str | LayerStyle] | None = None,
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
    credits: Mapping[str, str] | None = None,
    basemap: bool = True,
    m: folium.Map | None = None,
) -> folium.Map:
    """Build a Folium map: choropleths per unit, events, heat map, time slider, rasters.

    The map reads on its own: a title and subtitle, the bundled Natural Earth context
    (countries and their names, the Niger and lakes, capitals), one thematic unit layer
    at a time (radio buttons) with a class legend that has a "No data" entry, events
    drawn in black with a white ring (they stand out from every palette), rasters
    semi-transparent beneath the unit outlines, a collapsed layer control grouped into
    Base / Units / Events / Rasters, a scale bar and per-layer credits in the
    attribution (Natural Earth; ACLED or UCDP from the events' ``source``; ``credits``).

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
        Name of the first choropleth and its legend, and the map's title.
    subtitle
        Second title line (the period and source, e.g. ``"2012–2023 · ACLED"``).
    style
        How the ``value`` column is classed (:class:`~sahel_geo.present.classify.LayerStyle`:
        quantiles, natural breaks, equal interval or user breaks; a midpoint for a
        diverging palette; years; Gi* categories). Default: the known style of the
        column (:func:`layer_style`).
    tiles
        A folium tile name or URL template, e.g. ``"OpenStreetMap"``; None (default) for
        none: the map then needs no network, boundaries still show. The tiles are an
        overlay of the Base group, shown and switched off on their own: they stay under
        whichever unit layer is chosen (the unit layers are the radio choices).
    tiles_attribution
        Credit line of the tiles (HTML, as the provider gives it); required with a tile
        URL, None for a provider name (folium knows its credit).
    layers
        More choropleths, ``{column: label or LayerStyle}`` (rates, change, drought,
        wasting, ``gi_z``), hidden until chosen in the layer control; each has its
        legend. A plain label keeps the column's known style (:func:`layer_style`).
    periods
        Long ``unit``/``period`` table (:func:`sahel_geo.aggregate`): adds a time slider
        recolouring the units period by period (the spread).
    period_value
        Column of ``periods`` the slider shows.
    period_freq
        The periods' word: the slider labels them ``2012``, ``2012-Q1``, ``2012-03`` or
        ``2012-W05``; None (default) labels them by their first day (``2012-01-01``).
    rasters
        Image overlays, ``{label: Raster}`` (the last step of a stack), semi-transparent
        beneath the unit outlines, with a colour bar; the scale diverges around 0 when
        the values cross 0 (SPEI, anomalies), else it is sequential.
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
    credits
        Credit line per layer label, ``{label: text}`` (rasters' sources: ``"SPEI:
        SPEIbase v2.9, CSIC"``); shown in the attribution while the layer is on.
    basemap
        Draw the bundled Natural Earth context (default True).
    m
        An existing folium map to add the layers to (its tiles and view are kept).

    When ``events`` are given and ``units`` lack the ``value`` column (``"events"``),
    the events are counted per unit first: by the events' ``adm{L}_pcode`` column for
    the units' admin level ``L`` when present, else by assigning them to the units
    (:func:`sahel_geo.assign_admin`); the level and the way are logged.

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
    units = _with_counts(units, events, value=value)
    _check_map_inputs(units, value=value, layers=layers or {}, assets=assets)
    fmap = m if m is not None else _base_map(units)
    groups: dict[str, str] = {}
    if tiles:
        _add_tiles(fmap, tiles, attribution=tiles_attribution, groups=groups)
    _add_panes(fmap)
    if basemap:
        _add_basemap(fmap, groups)
    units = _display_units(units, simplify_deg)
    specs: dict[str, str | LayerStyle] = {value: style or title, **(layers or {})}
    styles = {c: layer_style(c, spec) for c, spec in specs.items()}
    labels = _unique_labels(
        [
            *(
                st.label if isinstance(specs[c], LayerStyle) else str(specs[c])
                for c, st in styles.items()
            ),
            *(rasters or {}),
        ]
    )
    for k, (column, label) in enumerate(zip(styles, labels, strict=False)):
        _choropleth(fmap, units, column, style=styles[column], label=label, show=k == 0)
        groups[label] = _UNITS_GROUP
    _add_outlines(fmap, units, groups)
    if periods is not None and len(periods):
        name = _add_period_slider(fmap, units, periods, value=period_value, freq=period_freq)
        groups[name] = _UNITS_GROUP
    raster_labels = labels[len(styles) :]
    _add_rasters(
        fmap, rasters or {}, raster_labels, max_pixels=raster_max_pixels, credits=credits or {}
    )
    groups.update({label: _RASTER_GROUP for label in raster_labels})
    style_ev = _EventsStyle(
        mode=events_mode,
        marker_limit=marker_limit,
        cluster_limit=cluster_limit,
        aggregate=aggregate,
        hex_size_km=hex_size_km,
        heatmap=heatmap,
        heat_cell_deg=heat_cell_deg,
    )
    for name in _add_events(fmap, events, style_ev):
        groups[name] = _EVENTS_GROUP
    MapTitle(title=title, subtitle=subtitle).add_to(fmap)
    _add_credits(fmap, events)
    return _finish(fmap, assets=assets, groups=groups)


def _with_counts(
    units: gpd.GeoDataFrame, events: gpd.GeoDataFrame | None, *, value: str
) -> gpd.GeoDataFrame:
    """Units with ``value`` counted from ``events`` when they lack it (logged, with level)."""
    if value in units.columns or events is None or value not in ("events", "fatalities"):
        return units
    levels = units["admin_level"].dropna().unique() if "admin_level" in units.columns else []
    level = int(levels[0]) if len(levels) == 1 else None
    # the units' own level: a column of another level the events carry is not theirs
    col = f"adm{level}_pcode"
    if level is not None and col in events.columns:
        joined, how = events, f"their {col} column"
    else:
        from sahel_geo.analysis.join import assign_admin

        joined = assign_admin(events, units)  # raises unless the units have one level
        how = "assigning them to the units (assign_admin)"
    if value == "fatalities" and value not in joined.columns:
        raise SchemaError(
            "make_map(value='fatalities', events=...): the events have no 'fatalities' "
            "column to sum; read them with a sahel_geo reader, or map value='events'."
        )
    # codes and weights both from ``joined`` (assign_admin may drop events)
    weights = joined[value] if value == "fatalities" else None
    frame = pd.DataFrame(
        {"unit": joined[col].to_numpy(), "w": 1 if weights is None else weights.to_numpy()}
    )
    counts = frame.groupby("unit")["w"].sum()
    out = units.assign(**{value: counts.reindex(units["pcode"]).fillna(0).to_numpy()})
    logger.info(
        "make_map: counted %d events per admin-%s unit (column %r) by %s",
        len(joined),
        level,
        value,
        how,
    )
    return out


def _add_panes(fmap: folium.Map) -> None:
    """Add the panes: basemap and rasters beneath the units, events above them."""
    folium.map.CustomPane(_BASEMAP_PANE, z_index=250, pointer_events=False).add_to(fmap)
    folium.map.CustomPane(_RASTER_PANE, z_index=350, pointer_events=False).add_to(fmap)
    folium.map.CustomPane(EVENTS_PANE, z_index=450, pointer_events=True).add_to(fmap)


def _add_basemap(fmap: folium.Map, groups: dict[str, str]) -> None:
    """Add the Natural Earth context in its own pane, under every other layer."""
    layer = basemap_layer(pane=_BASEMAP_PANE)
    layer.add_to(fmap)
    groups[layer.layer_name] = _BASE_GROUP


def _add_outlines(fmap: folium.Map, units: gpd.GeoDataFrame, groups: dict[str, str]) -> None:
    """Add a thematic choice with no fill, the outlines only (to see rasters beneath)."""
    name = "Unit outlines only"
    folium.GeoJson(
        json.loads(geojson_text(units[["geometry"]], precision=4)),
        name=name,
        show=False,
        overlay=False,
        style_function=lambda f: {"fillOpacity": 0, "color": "#333333", "weight": 1},
        interactive=False,
    ).add_to(fmap)
    groups[name] = _UNITS_GROUP


def _add_credits(fmap: folium.Map, events: gpd.GeoDataFrame | None) -> None:
    """Add credits for Natural Earth and the events' sources to Leaflet's attribution."""
    Credits([BASEMAP_CREDIT, *event_credits(events)]).add_to(fmap)


def _check_map_inputs(
    units: gpd.GeoDataFrame, *, value: str, layers: Mapping[str, object], assets: str
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


def _base_map(units: gpd.GeoDataFrame) -> folium.Map:
    """Return an empty map fitted to the units, with a zoom range (clusters need one)."""
    minx, miny, maxx, maxy = (float(v) for v in units.total_bounds)
    fmap = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=5,
        tiles=None,
        control_scale=True,
    )
    # without a tile layer Leaflet has no zoom range, and marker clusters need one
    fmap.options["maxZoom"] = 18
    fmap.options["minZoom"] = 2
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def _add_tiles(
    fmap: folium.Map, tiles: str, *, attribution: str | None, groups: dict[str, str]
) -> None:
    """Add the tiles as a shown overlay of the Base group, beneath every other layer.

    An overlay, not a base layer: the unit layers are the layer control's radio choices,
    and a base tile layer among them would be hidden whenever a unit layer is chosen.
    """
    is_url = "://" in tiles or "{" in tiles
    name = "Background tiles" if is_url else f"Background tiles ({tiles})"
    folium.TileLayer(
        tiles, attr=attribution or None, name=html.escape(name), overlay=True, show=True
    ).add_to(fmap)
    groups[name] = _BASE_GROUP


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
) -> str:
    """Add the units layer the time slider recolours, the slider and its legend."""
    data = period_colours(periods, value=value, freq=freq)
    base = escaped_frame(units, ["pcode", "name"])
    name = f"Spread over time ({html.escape(value)} per period)"
    slider_layer = folium.GeoJson(
        json.loads(geojson_text(base, precision=4)),
        name=name,
        show=False,
        overlay=False,
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
    return name


def _crosses_zero(raster: Raster) -> bool:
    """Whether a raster's last step has values both below and above 0 (SPEI, anomalies)."""
    values, ok = last_step(raster)
    return bool(ok.any() and values[ok].min() < 0 < values[ok].max())


def _add_rasters(
    fmap: folium.Map,
    rasters: Mapping[str, Raster],
    labels: list[str],
    *,
    max_pixels: int,
    credits: Mapping[str, str],
) -> None:
    """Add each raster as a hidden semi-transparent overlay beneath the units, with a legend."""
    for (raw_label, raster), label in zip(rasters.items(), labels, strict=True):
        rgba, bounds, colours, vmin, vmax = raster_image(
            raster, diverging=_crosses_zero(raster), max_pixels=max_pixels
        )
        credit = credits.get(raw_label) or credits.get(label)
        overlay = folium.raster_layers.ImageOverlay(
            rgba,
            bounds=bounds,
            name=html.escape(label),
            show=False,
            pixelated=True,
            opacity=0.65,
            pane=_RASTER_PANE,
            attribution=html.escape(credit) if credit else None,
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


def _add_events(
    fmap: folium.Map, events: gpd.GeoDataFrame | None, style: _EventsStyle
) -> list[str]:
    """Choose how to draw the events (logged), add their layers and return their names."""
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
    if events is None or mode == "none":
        return []
    return _draw_events(fmap, events, mode=mode, style=style)


def _draw_events(
    fmap: folium.Map, events: gpd.GeoDataFrame, *, mode: str, style: _EventsStyle
) -> list[str]:
    """Add the events layer drawn as ``mode``, and a hidden heat map when asked."""
    layers: list[folium.map.Layer] = []
    if mode == "markers":
        layers.append(markers_layer(events))
    elif mode == "clusters":
        layers.append(clusters_layer(events))
    elif mode == "hexagons":
        hexes, top = hexagons_layer(events, size_km=style.hex_size_km)
        layers.append(hexes)
        legend = Legend(
            hexes,
            title=f"Events per {style.hex_size_km:g} km hexagon (log scale)",
            colours=list(YLORRD),
            labels=["1", _fmt(float(top))],
        )
    elif mode == "heatmap":
        layers.append(heatmap_layer(events, cell_deg=style.heat_cell_deg, show=True))
    if style.heatmap and mode != "heatmap":
        layers.append(heatmap_layer(events, cell_deg=style.heat_cell_deg, show=False))
    for layer in layers:
        layer.add_to(fmap)
    if mode == "hexagons":
        legend.add_to(fmap)
    return [str(layer.layer_name) for layer in layers]


def _finish(fmap: folium.Map, *, assets: str, groups: dict[str, str]) -> folium.Map:
    """Add the collapsed, grouped layer control, inline the assets and fix the element ids."""
    control = folium.LayerControl(collapsed=True, position="topright")
    control.add_to(fmap)
    LayerGroups(control, groups=groups).add_to(fmap)
    if assets == "inline":
        inline_assets(fmap)
    return stable_ids(fmap)
