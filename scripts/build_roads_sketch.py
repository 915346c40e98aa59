"""Generate ``data/roads/tri_border_roads.osm``: a sketch of the main roads.

This is NOT OpenStreetMap data. It is a hand-drawn sketch of the main road axes of the
Liptako-Gourma tri-border area (Mali, Burkina Faso, Niger), written in real OSM XML (API 0.6)
so that it loads through ``osmnx.graph_from_xml`` exactly like an OSM extract would. Each road
is a straight polyline between real town coordinates (public facts, rounded to 4 decimals),
densified every ~10 km so the file has shape nodes for simplification to remove. Real roads
bend; lengths here are a few per cent shorter than on the ground.

Provenance:

- Town and junction coordinates: public gazetteer facts (town centres), rounded.
- Border-crossing nodes: where each sketched cross-border road meets the shared border of
  Natural Earth 10m admin-0 (public domain), computed once with shapely (see
  ``_derive_crossings``, which needs ``../shared/data/boundaries``) and written below.
- Road classes and ``ref`` values are indicative only.

Licence of the generated file: CC0 1.0 (public domain dedication), by the sahel_geo
developers. Node and way ids are negative, the OSM convention for objects that are not in
the OSM database.

Run ``python scripts/build_roads_sketch.py`` from the project root; the output is
byte-identical on every run.
"""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr

OUT = Path(__file__).resolve().parents[1] / "data" / "roads" / "tri_border_roads.osm"

# (lon, lat), rounded to 4 decimals. Towns named in the issue get place=town/city.
TOWNS: dict[str, tuple[float, float, str, str]] = {
    # name: (lon, lat, place, ISO3)
    "Mopti": (-4.1827, 14.4843, "city", "MLI"),
    "Gao": (-0.0447, 16.2717, "city", "MLI"),
    "Ménaka": (2.4022, 15.9182, "town", "MLI"),
    "Djibo": (-1.6306, 14.1022, "town", "BFA"),
    "Dori": (-0.0345, 14.0354, "town", "BFA"),
    "Gorom-Gorom": (-0.2361, 14.4439, "town", "BFA"),
    "Ouagadougou": (-1.5197, 12.3714, "city", "BFA"),
    "Kaya": (-1.0844, 13.0917, "town", "BFA"),
    "Fada N'Gourma": (0.3586, 12.0616, "town", "BFA"),
    "Niamey": (2.1254, 13.5116, "city", "NER"),
    "Tillabéri": (1.4531, 14.2117, "town", "NER"),
    "Ouallam": (2.0866, 14.3183, "town", "NER"),
    "Téra": (0.7531, 14.0078, "town", "NER"),
    "Ayorou": (0.9174, 14.7308, "town", "NER"),
}

# Junctions and shape points on the way (no place tag: they are not targets).
WAYPOINTS: dict[str, tuple[float, float]] = {
    "Douentza": (-2.9497, 15.0020),
    "Hombori": (-1.6986, 15.2847),
    "Gossi": (-1.3000, 15.8167),
    "Ansongo": (0.5019, 15.6597),
    "Banibangou": (2.0458, 15.0435),
    "Kongoussi": (-1.5333, 13.3256),
    "Arbinda": (-0.8667, 14.2333),
    "Koupéla": (-0.3517, 12.1794),
    "Kantchari": (1.5167, 12.4833),
    "Torodi": (1.7975, 13.1136),
}

# Where the sketched cross-border roads meet the Natural Earth 10m shared border.
CROSSINGS: dict[str, tuple[float, float, str]] = {
    "MLI-NER crossing (Ansongo-Ayorou road)": (0.8102, 14.9704, "MLI;NER"),
    "MLI-NER crossing (Ménaka-Banibangou road)": (2.1548, 15.3111, "MLI;NER"),
    "MLI-BFA crossing (Douentza-Djibo road)": (-2.0112, 14.3618, "MLI;BFA"),
    "BFA-NER crossing (Dori-Téra road)": (0.3940, 14.0204, "BFA;NER"),
    "BFA-NER crossing (Kantchari-Torodi road)": (1.5811, 12.6278, "BFA;NER"),
}

# name, highway, ref, stops (towns, waypoints or crossings, in order).
ROADS: list[tuple[str, str, str | None, list[str]]] = [
    ("Mopti-Gao", "trunk", "RN16", ["Mopti", "Douentza", "Hombori", "Gossi", "Gao"]),
    ("Gao-Ménaka", "primary", None, ["Gao", "Ansongo", "Ménaka"]),
    (
        "Gao-Ayorou-Niamey",
        "primary",
        None,
        ["Ansongo", "MLI-NER crossing (Ansongo-Ayorou road)", "Ayorou", "Tillabéri", "Niamey"],
    ),
    (
        "Niamey-Ouallam-Ménaka",
        "secondary",
        None,
        ["Niamey", "Ouallam", "Banibangou", "MLI-NER crossing (Ménaka-Banibangou road)", "Ménaka"],
    ),
    ("Tillabéri-Ouallam", "tertiary", None, ["Tillabéri", "Ouallam"]),
    (
        "Douentza-Djibo",
        "secondary",
        None,
        ["Douentza", "MLI-BFA crossing (Douentza-Djibo road)", "Djibo"],
    ),
    ("Ouagadougou-Djibo", "primary", "RN22", ["Ouagadougou", "Kongoussi", "Djibo"]),
    ("Djibo-Dori", "secondary", None, ["Djibo", "Arbinda", "Dori"]),
    ("Ouagadougou-Kaya-Dori", "primary", "RN3", ["Ouagadougou", "Kaya", "Dori"]),
    ("Dori-Gorom-Gorom", "secondary", None, ["Dori", "Gorom-Gorom"]),
    (
        "Dori-Téra-Niamey",
        "primary",
        None,
        ["Dori", "BFA-NER crossing (Dori-Téra road)", "Téra", "Niamey"],
    ),
    (
        "Ouagadougou-Fada-Niamey",
        "trunk",
        "RN4",
        [
            "Ouagadougou",
            "Koupéla",
            "Fada N'Gourma",
            "Kantchari",
            "BFA-NER crossing (Kantchari-Torodi road)",
            "Torodi",
            "Niamey",
        ],
    ),
]

SPACING_KM = 10.0
TIMESTAMP = "2026-01-01T00:00:00Z"


def _coords(name: str) -> tuple[float, float]:
    if name in TOWNS:
        return TOWNS[name][0], TOWNS[name][1]
    if name in WAYPOINTS:
        return WAYPOINTS[name]
    return CROSSINGS[name][0], CROSSINGS[name][1]


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    # Haversine: only used to choose how many shape nodes to put on a segment.
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _attrs(**kv: str | int | float) -> str:
    return " ".join(f"{k}={quoteattr(str(v))}" for k, v in kv.items())


def build() -> str:
    """Return the OSM XML text of the sketch."""
    node_ids: dict[str, int] = {}
    nodes: list[tuple[int, float, float, dict[str, str]]] = []
    next_id = -1

    def add_node(lon: float, lat: float, tags: dict[str, str]) -> int:
        nonlocal next_id
        nid = next_id
        next_id -= 1
        nodes.append((nid, round(lon, 5), round(lat, 5), tags))
        return nid

    for name, (lon, lat, place, iso3) in TOWNS.items():
        node_ids[name] = add_node(
            lon, lat, {"name": name, "place": place, "is_in:country_code": iso3}
        )
    for name, (lon, lat) in WAYPOINTS.items():
        node_ids[name] = add_node(lon, lat, {})
    for name, (lon, lat, between) in CROSSINGS.items():
        node_ids[name] = add_node(
            lon, lat, {"name": name, "barrier": "border_control", "sahel_geo:between": between}
        )

    ways: list[tuple[int, list[int], dict[str, str]]] = []
    way_id = -1
    for road, highway, ref, stops in ROADS:
        refs = [node_ids[stops[0]]]
        for a, b in itertools.pairwise(stops):
            pa, pb = _coords(a), _coords(b)
            n_seg = max(1, math.ceil(_km(pa, pb) / SPACING_KM))
            for i in range(1, n_seg):
                t = i / n_seg
                refs.append(add_node(pa[0] + t * (pb[0] - pa[0]), pa[1] + t * (pb[1] - pa[1]), {}))
            refs.append(node_ids[b])
        tags = {"highway": highway, "name": road, "surface": "asphalt"}
        if ref is not None:
            tags["ref"] = ref
        ways.append((way_id, refs, tags))
        way_id -= 1

    common = {"version": 1, "timestamp": TIMESTAMP, "visible": "true"}
    lines = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        "<!-- SKETCH, NOT OPENSTREETMAP DATA. Main roads of the Liptako-Gourma tri-border area",
        "     drawn as straight lines between real town coordinates (public facts); border",
        "     crossings where those lines meet the Natural Earth 10m borders (public domain).",
        "     Generated by scripts/build_roads_sketch.py in sahel_geo. Licence: CC0 1.0. -->",
        "<osm " + _attrs(version="0.6", generator="sahel_geo build_roads_sketch.py (sketch)") + ">",
    ]
    for nid, lon, lat, tags in nodes:
        head = f"  <node {_attrs(id=nid, lat=f'{lat:.5f}', lon=f'{lon:.5f}', **common)}"
        if not tags:
            lines.append(head + "/>")
            continue
        lines.append(head + ">")
        lines += [f"    <tag {_attrs(k=k, v=v)}/>" for k, v in tags.items()]
        lines.append("  </node>")
    for wid, refs, tags in ways:
        lines.append(f"  <way {_attrs(id=wid, **common)}>")
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f"    <tag {_attrs(k=k, v=v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def _derive_crossings(admin0: Path) -> None:  # pragma: no cover - one-off provenance helper
    import geopandas as gpd
    from shapely.geometry import LineString

    countries = gpd.read_file(admin0).set_index("ADM0_A3")
    for _, _, _, stops in ROADS:
        for a, b in itertools.pairwise(stops):
            line = LineString([_coords(a), _coords(b)])
            for iso3 in countries.index:
                hit = line.intersection(countries.loc[iso3].geometry.boundary)
                if not hit.is_empty:
                    print(a, b, iso3, hit)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--derive-crossings":
        _derive_crossings(Path(sys.argv[2]))
    else:
        OUT.write_text(build(), encoding="utf-8", newline="\n")
        print(f"wrote {OUT}")
