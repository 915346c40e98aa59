"""make_map's tiles: in the page before the stable ids, an overlay beneath the unit layers."""

from __future__ import annotations

import re

import folium
import numpy as np
import pytest

import sahel_geo as sg
from sahel_geo.present.maps import make_map


def _control_layers(html: str) -> tuple[str, str]:
    """The layer control's base layers (radio choices) and overlays, as the page lists them."""
    found = re.search(r"base_layers : \{(.*?)\},\s*overlays :\s*\{(.*?)\},", html, re.S)
    assert found is not None
    return found.group(1), found.group(2)


@pytest.mark.parametrize(
    ("tiles", "attribution", "name"),
    [
        ("OpenStreetMap", None, "Background tiles (OpenStreetMap)"),
        ("https://t.example.org/{z}/{x}/{y}.png", "&copy; Example", "Background tiles"),
    ],
)
def test_tiles_overlay_beneath_the_unit_choices(
    tiles: str, attribution: str | None, name: str
) -> None:
    units = sg.load_boundaries(level=1, countries=["BFA"])
    units = units.assign(events=np.arange(len(units)))

    def page() -> str:
        fmap = make_map(units, tiles=tiles, tiles_attribution=attribution, basemap=False)
        return fmap.get_root().render()

    html = page()
    assert html == page()  # ids stable with the tile layer too
    base, overlays = _control_layers(html)
    assert "tile_layer" not in base and "geo_json" in base
    assert re.search(f'"{re.escape(name)}" : tile_layer_[0-9a-f]{{8}}', overlays)
    assert f'"{name}": "Base"' in html  # listed under the Base heading
    assert len(re.findall(r"L\.tileLayer\(", html)) == 1
    if attribution:
        assert '"attribution": "\\u0026copy; Example"' in html


def test_no_tiles_no_tile_layer() -> None:
    units = sg.load_boundaries(level=1, countries=["BFA"]).assign(events=1)
    html = make_map(units, basemap=False).get_root().render()
    assert "L.tileLayer(" not in html
    fmap = folium.Map(tiles=None)
    assert make_map(units, m=fmap, tiles="OpenStreetMap") is fmap
    assert "L.tileLayer(" in fmap.get_root().render()
