"""Offline basemap context from bundled Natural Earth data (present layer).

Countries (outlines and names) come from the bundled admin-0 boundaries
(``data/boundaries/``); rivers (the Niger named), lakes (Lake Chad named) and the
region's capitals from ``data/basemap/`` (Natural Earth 1:50m physical and 1:110m
populated places; source, licence and every change in ``data/basemap/README.md``).
All public domain. :func:`draw_basemap` draws them under a matplotlib map figure;
:func:`basemap_layer` adds them to a Folium map as one layer group under the units, with
labels that never catch the mouse.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
from matplotlib.axes import Axes

from sahel_geo.io.datasets import bundled_path, load_boundaries
from sahel_geo.io.geojson import geojson_text

__all__ = ["BASEMAP_CREDIT", "Basemap", "basemap_layer", "draw_basemap", "load_basemap"]

#: The credit line for the basemap (Natural Earth asks for none; this is its wording).
BASEMAP_CREDIT = "Basemap: Made with Natural Earth (public domain)"
_LAND = "#f4f1ea"
_BORDER = "#8c8c8c"
_WATER = "#6baed6"


@dataclass(frozen=True)
class Basemap:
    """The basemap layers (EPSG:4326): ``countries``, ``rivers``, ``lakes``, ``places``."""

    countries: gpd.GeoDataFrame
    rivers: gpd.GeoDataFrame
    lakes: gpd.GeoDataFrame
    places: gpd.GeoDataFrame


def _read(name: str) -> gpd.GeoDataFrame:
    data = json.loads(bundled_path("basemap", name).read_text(encoding="utf-8"))
    return gpd.GeoDataFrame.from_features(data["features"], crs="EPSG:4326")


@functools.lru_cache(maxsize=1)
def load_basemap() -> Basemap:
    """Load the bundled basemap context (read once, then cached; do not modify it).

    Returns
    -------
    Basemap
        Countries (``pcode``, ``name``), rivers and lakes (``name``, may be empty) and
        capitals (``name``).

    Examples
    --------
    >>> sorted(load_basemap().places["name"])[:2]
    ['Abuja', 'Bamako']
    """
    countries = load_boundaries(level=0)[["pcode", "name", "geometry"]]
    return Basemap(
        countries=countries,
        rivers=_read("rivers.geojson"),
        lakes=_read("lakes.geojson"),
        places=_read("places.geojson"),
    )


def draw_basemap(ax: Axes, *, crs: object, extent: tuple[float, float, float, float]) -> None:
    """Draw countries, lakes, rivers and capitals on ``ax`` (in ``crs``) within ``extent``.

    Parameters
    ----------
    ax
        Axes of a map figure.
    crs
        The CRS the figure is drawn in.
    extent
        ``(minx, miny, maxx, maxy)`` in ``crs``: names are written only inside it.
    """
    base = load_basemap()
    countries = base.countries.to_crs(crs)
    countries.plot(ax=ax, color=_LAND, edgecolor=_BORDER, linewidth=0.6, zorder=0)
    base.lakes.to_crs(crs).plot(ax=ax, color=_WATER, edgecolor="none", zorder=0.5)
    base.rivers.to_crs(crs).plot(ax=ax, color=_WATER, linewidth=0.7, zorder=0.5)
    minx, miny, maxx, maxy = extent
    boundary = countries.boundary
    boundary.plot(ax=ax, color=_BORDER, linewidth=0.9, zorder=3)
    points = countries.geometry.representative_point()
    for name, pt in zip(countries["name"], points, strict=True):
        if minx < pt.x < maxx and miny < pt.y < maxy:
            ax.annotate(
                str(name).upper(),
                (pt.x, pt.y),
                ha="center",
                fontsize=7,
                color="#555555",
                alpha=0.8,
                zorder=4,
            )
    places = base.places.to_crs(crs)
    for name, pt in zip(places["name"], places.geometry, strict=True):
        if minx < pt.x < maxx and miny < pt.y < maxy:
            ax.plot(pt.x, pt.y, marker="s", markersize=3, color="#111111", zorder=5)
            ax.annotate(
                str(name),
                (pt.x, pt.y),
                xytext=(3, 3),
                textcoords="offset points",
                fontsize=7,
                zorder=5,
            )
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)


def basemap_layer(*, show: bool = True, pane: str | None = None) -> folium.FeatureGroup:
    """Return a Folium layer group of the basemap: countries, lakes, rivers, capitals and names.

    The shapes are not interactive (no tooltip, clicks pass through), the names are
    plain labels (``sahel-basemap-label``) made from the bundled text, escaped.
    """
    base = load_basemap()
    group = folium.FeatureGroup(
        name="Countries, rivers, capitals (Natural Earth)",
        show=show,
        attribution=BASEMAP_CREDIT,
    )
    styles = {
        "countries": {"fillColor": _LAND, "color": _BORDER, "weight": 1.2, "fillOpacity": 0.6},
        "lakes": {"fillColor": _WATER, "color": _WATER, "weight": 0.5, "fillOpacity": 0.8},
        "rivers": {"color": _WATER, "weight": 1.5, "opacity": 0.9},
    }
    for name in ("countries", "lakes", "rivers"):
        frame = getattr(base, name)
        style = styles[name]
        folium.GeoJson(
            json.loads(geojson_text(frame[["geometry"]], precision=3)),
            style_function=lambda _f, s=style: s,
            interactive=False,
            control=False,
            pane=pane or "overlayPane",
        ).add_to(group)
    labels = [
        (str(n).upper(), p)
        for n, p in zip(
            base.countries["name"], base.countries.geometry.representative_point(), strict=True
        )
    ]
    labels += list(zip(base.places["name"].astype(str), base.places.geometry, strict=True))
    for i, (text, pt) in enumerate(labels):
        capital = i >= len(base.countries)
        folium.Marker(
            [float(np.round(pt.y, 4)), float(np.round(pt.x, 4))],
            icon=folium.DivIcon(
                html=_label_html(text, capital=capital),
                class_name="sahel-basemap-label",
                icon_size=(0, 0),
            ),
            interactive=False,
        ).add_to(group)
    return group


def _label_html(text: str, *, capital: bool) -> str:
    import html

    style = (
        "font:11px sans-serif;color:#222;white-space:nowrap;text-shadow:0 0 2px #fff,0 0 2px #fff"
        if capital
        else "font:bold 11px sans-serif;letter-spacing:1px;color:#777;white-space:nowrap;"
        "transform:translate(-50%,-50%)"
    )
    dot = "&#9632;&nbsp;" if capital else ""
    return f'<div style="{style}">{dot}{html.escape(text)}</div>'
