"""Offline basemap context from bundled Natural Earth data (present layer).

Countries (outlines and names) come from the bundled admin-0 boundaries
(``data/boundaries/``); rivers (the Niger named), lakes (Lake Chad named) and the
region's capitals from ``data/basemap/`` (Natural Earth 1:50m physical and 1:110m
populated places; source, licence and every change in ``data/basemap/README.md``).
All public domain. The main towns of the tri-border (Mopti, Gao, Ménaka, Djibo, Dori,
Kaya, Fada N'Gourma, Tillabéri, ...) are the ``place=city|town`` nodes of the bundled
road sketch (``data/roads/README.md``: town centres, public facts, rounded to 1e-4°):
no registry package here ships Natural Earth's 1:10m populated places.
:func:`draw_basemap` draws them under a matplotlib map figure;
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
from matplotlib import patheffects
from matplotlib.axes import Axes

from sahel_geo.io.datasets import bundled_path, load_boundaries
from sahel_geo.io.geojson import geojson_text
from sahel_geo.io.osm import osm_places, tri_border_roads_path

__all__ = ["BASEMAP_CREDIT", "Basemap", "basemap_layer", "draw_basemap", "load_basemap"]

#: The credit line for the basemap (Natural Earth asks for none; this is its wording).
BASEMAP_CREDIT = "Basemap: Natural Earth (public domain); towns: sahel_geo"
_LAND = "#f4f1ea"
_BORDER = "#8c8c8c"
_WATER = "#6baed6"
_HALO = [patheffects.withStroke(linewidth=2, foreground="white")]


@dataclass(frozen=True)
class Basemap:
    """The basemap layers (EPSG:4326).

    ``countries``, ``rivers``, ``lakes``, ``places`` (capitals) and ``towns`` (main towns
    of the tri-border that are not capitals).
    """

    countries: gpd.GeoDataFrame
    rivers: gpd.GeoDataFrame
    lakes: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    towns: gpd.GeoDataFrame


def _read(name: str) -> gpd.GeoDataFrame:
    data = json.loads(bundled_path("basemap", name).read_text(encoding="utf-8"))
    return gpd.GeoDataFrame.from_features(data["features"], crs="EPSG:4326")


@functools.lru_cache(maxsize=1)
def load_basemap() -> Basemap:
    """Load the bundled basemap context (read once, then cached; do not modify it).

    Returns
    -------
    Basemap
        Countries (``pcode``, ``name``), rivers and lakes (``name``, may be empty),
        capitals and main towns (``name``).

    Examples
    --------
    >>> sorted(load_basemap().places["name"])[:2]
    ['Abuja', 'Bamako']
    """
    countries = load_boundaries(level=0)[["pcode", "name", "geometry"]]
    places = _read("places.geojson")
    sketch = osm_places(osm_file=tri_border_roads_path())
    towns = sketch[sketch["kind"].isin(["city", "town"]) & ~sketch["name"].isin(places["name"])]
    return Basemap(
        countries=countries,
        rivers=_read("rivers.geojson"),
        lakes=_read("lakes.geojson"),
        places=places,
        towns=towns[["name", "geometry"]].sort_values("name").reset_index(drop=True),
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
                path_effects=_HALO,
            )
    towns = base.towns.to_crs(crs)
    for name, pt in zip(towns["name"], towns.geometry, strict=True):
        if minx < pt.x < maxx and miny < pt.y < maxy:
            ax.plot(pt.x, pt.y, marker="o", markersize=2, color="#333333", zorder=5)
            ax.annotate(
                str(name),
                (pt.x, pt.y),
                xytext=(2, 2),
                textcoords="offset points",
                fontsize=6,
                color="#222222",
                zorder=5,
                path_effects=_HALO,  # readable on dark classes too
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
        name="Countries, rivers, capitals (Natural Earth) and towns",
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
    kinds = ["country"] * len(labels)
    for frame, kind in ((base.places, "capital"), (base.towns, "town")):
        labels += list(zip(frame["name"].astype(str), frame.geometry, strict=True))
        kinds += [kind] * len(frame)
    for (text, pt), kind in zip(labels, kinds, strict=True):
        folium.Marker(
            [float(np.round(pt.y, 4)), float(np.round(pt.x, 4))],
            icon=folium.DivIcon(
                html=_label_html(text, kind=kind),
                class_name="sahel-basemap-label",
                icon_size=(0, 0),
            ),
            interactive=False,
        ).add_to(group)
    return group


def _label_html(text: str, *, kind: str) -> str:
    """Return a label's HTML: countries in grey capitals; capitals and towns with a mark."""
    import html

    plain = "white-space:nowrap;text-shadow:0 0 2px #fff,0 0 2px #fff"
    styles = {
        "country": "font:bold 11px sans-serif;letter-spacing:1px;color:#777;white-space:nowrap;"
        "transform:translate(-50%,-50%)",
        "capital": f"font:11px sans-serif;color:#222;{plain}",
        "town": f"font:10px sans-serif;color:#333;{plain}",
    }
    mark = {"country": "", "capital": "&#9632;&nbsp;", "town": "&#8226;&nbsp;"}[kind]
    return f'<div style="{styles[kind]}">{mark}{html.escape(text)}</div>'
