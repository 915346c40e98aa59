"""Small Leaflet elements for :mod:`sahel_geo.present.maps`: offline assets, legends, a slider.

Private helpers of the present layer. Everything here writes data into ``<script>``
blocks through :func:`js_json`, which escapes ``<``, ``>`` and ``&`` so that no text from
data can close the script element.

Offline assets
--------------
Folium's template loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs. With
``assets="inline"`` the map carries the copies vendored in the bundled data's ``web/``
folder (Leaflet 1.9.3, Leaflet.markercluster 1.1.0, Leaflet.heat, and jQuery 3.7.1 when
the map holds a ``folium.Popup``; licences beside them, rebuilt by
``scripts/vendor_web_assets.py``) inside the HTML, and drops Bootstrap and Font Awesome,
which only folium's icon markers need (sahel_geo maps draw circle markers). The map
then opens from a shared drive or in a browser with no network at all.
"""

from __future__ import annotations

import html
import json
import logging
from typing import Any

from branca.element import Element, Figure, MacroElement
from folium import Popup
from jinja2 import Template

from sahel_geo.io.datasets import bundled_path

__all__ = [
    "ClassLegend",
    "LayerGroups",
    "Legend",
    "MapTitle",
    "PeriodSlider",
    "inline_assets",
    "js_json",
]

logger = logging.getLogger("sahel_geo.present.maps")  # a private helper of maps

# folium resource name -> vendored file
_VENDORED_JS = {
    "leaflet": "leaflet.js",
    "markerclusterjs": "leaflet.markercluster.js",
    "leaflet-heat.js": "leaflet_heat.min.js",
    "jquery": "jquery.min.js",
}
_VENDORED_CSS = {
    "leaflet_css": "leaflet.css",
    "markerclustercss": "MarkerCluster.css",
    "markerclusterdefaultcss": "MarkerCluster.Default.css",
}
# only folium's Icon / awesome markers need these; sahel_geo maps never use them
_NOT_NEEDED = {
    "bootstrap",
    "awesome_markers",
    "bootstrap_css",
    "glyphicons_css",
    "awesome_markers_font_css",
    "awesome_markers_css",
    "awesome_rotate_css",
}
_JS_ORDER = ["jquery", "leaflet", "markerclusterjs", "leaflet-heat.js"]
_CSS_ORDER = ["leaflet_css", "markerclustercss", "markerclusterdefaultcss"]


def js_json(value: Any) -> str:
    r"""Return ``value`` as JSON that is safe inside an HTML ``<script>`` element.

    Examples
    --------
    >>> js_json({"a": "</script><b>"})
    '{"a": "\\u003c/script\\u003e\\u003cb\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=False, allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _web_file(name: str) -> str:
    return bundled_path("web", name).read_text(encoding="utf-8")


def _walk(element: Element) -> list[Element]:
    out: list[Element] = []
    seen: set[int] = set()
    stack = [element]
    while stack:
        el = stack.pop()
        if id(el) in seen:
            continue
        seen.add(id(el))
        out.append(el)
        stack.extend(reversed(list(el._children.values())))
    return out


def inline_assets(fmap: Element) -> None:
    """Replace the map's CDN ``<script>``/``<link>`` resources by inline vendored copies.

    Resources with no vendored copy (a plugin sahel_geo does not use) keep their CDN
    link, and a warning is logged naming them.
    """
    wanted_js: set[str] = set()
    wanted_css: set[str] = set()
    elements = _walk(fmap)
    # folium fills a Popup through jQuery; nothing else sahel_geo draws needs it
    needs_jquery = any(isinstance(el, Popup) for el in elements)
    for el in elements:
        js = getattr(el, "default_js", None)
        css = getattr(el, "default_css", None)
        if js is None and css is None:
            continue
        keep_js = []
        keep_css = []
        for name, url in js or []:
            if name == "jquery" and not needs_jquery:
                continue
            if name in _VENDORED_JS:
                wanted_js.add(name)
            elif name not in _NOT_NEEDED:
                keep_js.append((name, url))
        for name, url in css or []:
            if name in _VENDORED_CSS:
                wanted_css.add(name)
            elif name not in _NOT_NEEDED:
                keep_css.append((name, url))
        if keep_js or keep_css:
            logger.warning(
                "map: no vendored copy of %s; the map loads them from their CDN",
                [n for n, _ in keep_js + keep_css],
            )
        setattr(el, "default_js", keep_js)  # noqa: B010 - folium elements, untyped
        setattr(el, "default_css", keep_css)  # noqa: B010
    figure = fmap.get_root()
    if not isinstance(figure, Figure):  # pragma: no cover - maps always sit in a Figure
        return
    for name in _CSS_ORDER:
        if name in wanted_css:
            figure.header.add_child(
                Element(
                    f"<style>/* {name} (vendored) */\n{_web_file(_VENDORED_CSS[name])}</style>"
                ),
                name=f"inline_{name}",
            )
    for name in _JS_ORDER:
        if name in wanted_js:
            figure.header.add_child(
                Element(
                    f"<script>/* {name} (vendored) */\n{_web_file(_VENDORED_JS[name])}</script>"
                ),
                name=f"inline_{name}",
            )


class Legend(MacroElement):
    """A colour-bar legend (no d3), shown while its layer is on the map.

    ``colours`` are CSS colours from low to high; ``labels`` are the texts under the
    bar (escaped here).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function() {
    var map = {{ this._parent.get_name() }};
    var layer = {{ this.layer.get_name() }};
    var legend = L.control({position: "bottomright"});
    legend.onAdd = function() {
        var div = L.DomUtil.create("div", "sahel-legend");
        div.setAttribute("data-layer", {{ this.title_json }});
        div.style.cssText = "background:white;padding:6px 8px;font:12px/1.3 sans-serif;"
            + "border:1px solid #999;border-radius:4px;min-width:180px";
        div.innerHTML = {{ this.inner_json }};
        return div;
    };
    legend.addTo(map);
    var shown = true;
    function sync() {
        var on = map.hasLayer(layer);
        if (on && !shown) { legend.addTo(map); shown = true; }
        if (!on && shown) { legend.remove(); shown = false; }
    }
    map.on("overlayadd overlayremove baselayerchange layeradd layerremove", sync);
    sync();
})();
{% endmacro %}
"""
    )

    def __init__(self, layer: Element, *, title: str, colours: list[str], labels: list[str]):
        super().__init__()
        self._name = "Legend"
        self.layer = layer
        stops = ", ".join(colours)
        ticks = "".join(
            f'<span style="flex:1;text-align:{a}">{html.escape(t)}</span>'
            for t, a in zip(
                labels,
                ["left"] + ["center"] * max(len(labels) - 2, 0) + ["right"],
                strict=False,
            )
        )
        inner = (
            f"<b>{html.escape(title)}</b>"
            f'<div style="height:10px;margin:4px 0;background:linear-gradient(to right, {stops})">'
            f'</div><div style="display:flex">{ticks}</div>'
        )
        self.title_json = js_json(title)
        self.inner_json = js_json(inner)


class PeriodSlider(MacroElement):
    """A range slider over periods that recolours a GeoJSON layer of units.

    ``codes`` maps each feature's ``pcode`` to one palette index per period; ``values``
    to the value shown in the tooltip. Period labels are ISO text made in Python. It
    exists because folium's own time sliders load their scripts from CDNs (see
    :mod:`sahel_geo.present.maps`); this one needs nothing but Leaflet, which the map
    carries inline, so it works offline.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function() {
    var map = {{ this._parent.get_name() }};
    var layer = {{ this.layer.get_name() }};
    var data = {{ this.data_json }};
    var ctl = L.control({position: "bottomleft"});
    function paint(i) {
        layer.eachLayer(function(f) {
            var p = f.feature.properties.pcode;
            var c = data.codes[p];
            var k = c === undefined ? -1 : c[i];
            f.setStyle({fillColor: k < 0 ? "#cccccc" : data.palette[k]});
            var v = data.values[p];
            f.bindTooltip(String(f.feature.properties.name) + " (" + String(p) + "): "
                + (v === undefined ? "no data" : String(v[i])) + " " + data.what
                + ", " + data.labels[i]);
        });
    }
    ctl.onAdd = function() {
        var div = L.DomUtil.create("div", "sahel-period-slider");
        div.style.cssText = "background:white;padding:6px 8px;font:12px sans-serif;"
            + "border:1px solid #999;border-radius:4px";
        var title = document.createElement("b");
        title.textContent = data.title;
        var input = document.createElement("input");
        input.type = "range"; input.min = 0; input.max = data.labels.length - 1;
        input.value = data.labels.length - 1; input.style.width = "220px";
        var label = document.createElement("span");
        label.className = "sahel-period-label";
        function update() {
            var i = parseInt(input.value, 10);
            label.textContent = " " + data.labels[i];
            paint(i);
        }
        input.addEventListener("input", update);
        div.appendChild(title); div.appendChild(document.createElement("br"));
        div.appendChild(input); div.appendChild(label);
        L.DomEvent.disableClickPropagation(div);
        setTimeout(update, 0);
        return div;
    };
    var shown = false;
    function sync() {
        var on = map.hasLayer(layer);
        if (on && !shown) { ctl.addTo(map); shown = true; }
        if (!on && shown) { ctl.remove(); shown = false; }
    }
    map.on("overlayadd overlayremove baselayerchange layeradd layerremove", sync);
    sync();
})();
{% endmacro %}
"""
    )

    def __init__(self, layer: Element, *, data: dict[str, Any]):
        super().__init__()
        self._name = "PeriodSlider"
        self.layer = layer
        self.data_json = js_json(data)


class ClassLegend(Legend):
    """A legend of class swatches (one line per class, "No data" last), with its layer.

    ``items`` are ``(colour, label)`` pairs; labels and the title are escaped here.
    """

    def __init__(self, layer: Element, *, title: str, items: list[tuple[str, str]]):
        super().__init__(layer, title=title, colours=[], labels=[])
        rows = "".join(
            '<div class="sahel-legend-item" style="display:flex;align-items:center;gap:6px">'
            f'<span style="display:inline-block;width:14px;height:12px;background:{c};'
            f'border:1px solid #666"></span><span>{html.escape(t)}</span></div>'
            for c, t in items
        )
        inner = f'<b class="sahel-legend-title">{html.escape(title)}</b><div>{rows}</div>'
        self.inner_json = js_json(inner)


class MapTitle(MacroElement):
    """A title and a subtitle at the top centre of the map (escaped text)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function() {
    var map = {{ this._parent.get_name() }};
    var data = {{ this.data_json }};
    var div = L.DomUtil.create("div", "sahel-map-title", map.getContainer());
    div.style.cssText = "position:absolute;top:10px;left:50%;transform:translateX(-50%);"
        + "z-index:800;background:rgba(255,255,255,0.9);padding:4px 12px;"
        + "border-radius:4px;border:1px solid #999;font:14px/1.3 sans-serif;"
        + "text-align:center;max-width:55%;pointer-events:none";
    var t = document.createElement("div");
    t.className = "sahel-map-title-main"; t.style.fontWeight = "bold"; t.textContent = data.title;
    div.appendChild(t);
    if (data.subtitle) {
        var s = document.createElement("div");
        s.className = "sahel-map-subtitle"; s.style.fontSize = "12px"; s.style.color = "#444";
        s.textContent = data.subtitle;
        div.appendChild(s);
    }
})();
{% endmacro %}
"""
    )

    def __init__(self, *, title: str, subtitle: str | None):
        super().__init__()
        self._name = "MapTitle"
        self.data_json = js_json({"title": title, "subtitle": subtitle or ""})


class LayerGroups(MacroElement):
    """Headings in the layer control: base, units, events, rasters (``{layer name: group}``)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function() {
    var ctl = {{ this.control.get_name() }};
    var groups = {{ this.groups_json }};
    function headings() {
        var box = ctl.getContainer();
        box.querySelectorAll(".sahel-layer-group").forEach(function (h) { h.remove(); });
        var seen = {};
        box.querySelectorAll(".leaflet-control-layers-list label").forEach(function (l) {
            var g = groups[l.textContent.trim()];
            if (g === undefined || seen[g]) { return; }
            seen[g] = true;
            var h = document.createElement("div");
            h.className = "sahel-layer-group";
            h.style.cssText = "font:bold 11px sans-serif;color:#555;margin:4px 0 2px;"
                + "text-transform:uppercase";
            h.textContent = g;
            l.parentNode.insertBefore(h, l);
        });
    }
    var update = ctl._update;
    ctl._update = function () { var r = update.apply(this, arguments); headings(); return r; };
    headings();
})();
{% endmacro %}
"""
    )

    def __init__(self, control: Element, *, groups: dict[str, str]):
        super().__init__()
        self._name = "LayerGroups"
        self.control = control
        self.groups_json = js_json(groups)


class Credits(MacroElement):
    """Credit lines added to Leaflet's attribution (HTML text, escaped by the caller)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function() {
    var map = {{ this._parent.get_name() }};
    var c = map.attributionControl || L.control.attribution().addTo(map);
    {{ this.lines_json }}.forEach(function (t) { c.addAttribution(t); });
})();
{% endmacro %}
"""
    )

    def __init__(self, lines: list[str]):
        super().__init__()
        self._name = "Credits"
        self.lines_json = js_json(lines)
