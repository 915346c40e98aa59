"""Folium maps: events layer choice, escaping in every mode, slider dates, rasters, assets."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine

import sahel_geo as sg
from sahel_geo.core.raster import Raster
from sahel_geo.present._map_elements import js_json
from sahel_geo.present.maps import events_layer_mode, make_map, period_colours

XSS = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=1</script>"]


@pytest.fixture(scope="module")
def adm1() -> gpd.GeoDataFrame:
    units = sg.load_boundaries(level=1, countries=["BFA"])
    return units.assign(events=np.arange(len(units)), change_pct=np.linspace(-50, 50, len(units)))


def _events(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-5.0, 2.0, n)
    lat = rng.uniform(10.0, 15.0, n)
    notes = np.where(np.arange(n) % 2 == 0, XSS[0], XSS[1])
    return gpd.GeoDataFrame(
        {
            "event_id": [f"E{i}" for i in range(n)],
            "event_date": pd.Timestamp("1997-03-01") + pd.to_timedelta(np.arange(n) % 400, "D"),
            "event_type": np.where(np.arange(n) % 3 == 0, "Battles", "<b>Riots</b>"),
            "actor1": "JNIM & <i>others</i>",
            "fatalities": np.arange(n) % 5,
            "notes": notes,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


def _html(m: object) -> str:
    return m.get_root().render()  # type: ignore[attr-defined]


def _no_raw_markup(html: str) -> None:
    for bad in (*XSS, "<b>Riots</b>", "<i>others</i>"):
        assert bad not in html, bad


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "none"),
        (1, "markers"),
        (2000, "markers"),
        (2001, "clusters"),
        (10_000, "clusters"),
        (10_001, "hexagons"),
    ],
)
def test_events_layer_mode_thresholds(n: int, expected: str) -> None:
    assert events_layer_mode(n) == expected


def test_events_layer_mode_parameters() -> None:
    assert (
        events_layer_mode(50, marker_limit=10, cluster_limit=40, aggregate="heatmap") == "heatmap"
    )
    assert events_layer_mode(50, mode="markers") == "markers"
    with pytest.raises(sg.SchemaError, match="marker_limit <= cluster_limit"):
        events_layer_mode(5, marker_limit=10, cluster_limit=5)
    with pytest.raises(sg.SchemaError, match="unknown"):
        events_layer_mode(5, mode="dots")  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["markers", "clusters", "hexagons", "heatmap"])
def test_every_mode_escapes_and_draws(
    adm1: gpd.GeoDataFrame, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    ev = _events(300)
    with caplog.at_level("INFO", logger="sahel_geo.present.maps"):
        m = make_map(adm1, events=ev, events_mode=mode)  # type: ignore[arg-type]
    assert f"300 events drawn as {mode}" in caplog.text
    html = _html(m)
    _no_raw_markup(html)
    if mode == "markers":
        assert (
            "\\u0026lt;img src=x onerror=\\u0026quot;window.__xss=1\\u0026quot;\\u0026gt;" in html
        )
        assert "circle_marker" in html or "circleMarker" in html
    if mode == "clusters":
        assert "L.markerClusterGroup" in html and "textContent" in html
        # repeated texts are sent once, in a lookup list
        assert html.count("JNIM") == 1
    if mode == "hexagons":
        assert "Events per 10 km hexagon" in html
    assert "L.heatLayer" in html


def test_hexagon_counts_add_up(adm1: gpd.GeoDataFrame) -> None:
    m = make_map(adm1, events=_events(500), events_mode="hexagons", heatmap=False)
    html = _html(m)
    blocks = re.findall(r"_add\((\{\"features\".*?\})\);\n", html)
    hex_totals = [
        sum(f["properties"]["events"] for f in json.loads(b)["features"])
        for b in blocks
        if "colour" in b
    ]
    assert hex_totals == [500]


def test_choropleth_layers_and_legends(adm1: gpd.GeoDataFrame) -> None:
    m = make_map(adm1, layers={"change_pct": "Change (%)"}, title="Events <per> unit")
    html = _html(m)
    assert html.count("sahel-legend") >= 2
    assert "Events \\u0026lt;per\\u0026gt; unit" in html  # legend title escaped, inside JSON
    assert '"Change (%)"' in html or "Change (%)" in html
    with pytest.raises(sg.SchemaError, match="layer column 'nope'"):
        make_map(adm1, layers={"nope": "x"})
    with pytest.raises(sg.SchemaError, match="must be numeric"):
        make_map(adm1.assign(events="many"))


def test_period_slider_handles_1997_and_escapes(adm1: gpd.GeoDataFrame) -> None:
    periods = pd.DataFrame(
        {
            "unit": list(adm1["pcode"]) * 2,
            "period": pd.to_datetime(["1997-01-01"] * len(adm1) + ["1998-01-01"] * len(adm1)),
            "events": list(range(len(adm1))) * 2,
        }
    )
    data = period_colours(periods)
    assert data["labels"] == ["1997-01-01", "1998-01-01"]
    codes = data["codes"]
    assert isinstance(codes, dict) and codes[adm1["pcode"].iloc[0]] == [-1, -1]  # zero: grey
    html = _html(make_map(adm1, periods=periods))
    assert "sahel-period-slider" in html and '"1997-01-01"' in html
    with pytest.raises(sg.SchemaError, match="periods table lacks"):
        make_map(adm1, periods=periods.drop(columns="period"))


def test_period_slider_labels_periods(adm1: gpd.GeoDataFrame) -> None:
    periods = pd.DataFrame(
        {
            "unit": list(adm1["pcode"]) * 2,
            "period": pd.to_datetime(["1997-01-01"] * len(adm1) + ["1997-04-01"] * len(adm1)),
            "events": list(range(len(adm1))) * 2,
        }
    )
    assert period_colours(periods, freq="quarter")["labels"] == ["1997-Q1", "1997-Q2"]
    assert period_colours(periods, freq="month")["labels"] == ["1997-01", "1997-04"]
    html = _html(make_map(adm1, periods=periods, period_freq="quarter"))
    assert '"labels": ["1997-Q1", "1997-Q2"]' in html


@pytest.mark.parametrize("mode", ["markers", "clusters"])
def test_popups_show_labels_not_column_names(adm1: gpd.GeoDataFrame, mode: str) -> None:
    ev = _events(30).assign(
        actor2="Civilians <b>(BFA)</b>",
        perpetrator_group="armed_group",
        civilian_fatalities=np.arange(30) % 2,
        actor1=None,  # missing on every event: left out of the popup
    )
    html = _html(make_map(adm1, events=ev, events_mode=mode))
    labels = [
        "Event",
        "Date",
        "Event type",
        "Actor 2",
        "Perpetrator",
        "Fatalities",
        "Civilian fatalities",
        "Notes",
    ]
    if mode == "markers":  # folium's GeoJsonPopup: fields and their aliases
        assert f"let aliases = {json.dumps(labels)}" in html
    else:  # built in the browser with textContent
        assert f'"labels": {json.dumps(labels)}' in html
    assert "Actor 1" not in html
    assert "Civilians <b>(BFA)</b>" not in html  # data text stays escaped
    _no_raw_markup(html)


def test_raster_overlay_with_colour_bar(adm1: gpd.GeoDataFrame) -> None:
    vals = np.arange(40 * 70, dtype=float).reshape(40, 70)
    vals[0, 0] = -9999.0
    r = Raster.from_array(
        vals, transform=Affine(0.1, 0, -6, 0, -0.1, 15.5), crs="EPSG:4326", nodata=-9999.0
    )
    html = _html(make_map(adm1, rasters={"Wasting (%)": r, "SPEI drought": r}))
    assert html.count("data:image/png;base64,") >= 2
    assert "Wasting (%)" in html and "SPEI drought" in html


def test_assets_inline_by_default_and_cdn_on_request(adm1: gpd.GeoDataFrame) -> None:
    html = _html(make_map(adm1, events=_events(3000)))
    assert not re.search(r'<script src="https?://', html)
    assert not re.search(r'<link rel="stylesheet" href="https?://', html)
    assert "leaflet.markercluster" in html.lower() and "/* leaflet (vendored) */" in html
    cdn = _html(make_map(adm1, assets="cdn"))
    assert '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js">' in cdn


def test_map_html_is_deterministic(adm1: gpd.GeoDataFrame) -> None:
    a = _html(make_map(adm1, events=_events(50)))
    b = _html(make_map(adm1, events=_events(50)))
    assert a == b


def test_events_without_points_are_skipped(adm1: gpd.GeoDataFrame) -> None:
    ev = _events(5)
    ev.loc[ev.index[0], "geometry"] = None
    html = _html(make_map(adm1, events=ev, events_mode="clusters"))
    assert '"E0"' not in html and '"E1"' in html


def test_js_json_cannot_close_a_script() -> None:
    text = js_json({"x": "</script><script>alert(1)</script>", "y": "a & b"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"x": "</script><script>alert(1)</script>", "y": "a & b"}


def test_large_event_sets_stay_small(adm1: gpd.GeoDataFrame) -> None:
    html = _html(make_map(adm1, events=_events(50_000)))
    assert len(html.encode()) < 2_000_000


def test_layer_names_stay_unique(adm1: gpd.GeoDataFrame) -> None:
    vals = np.ones((10, 10))
    r = Raster.from_array(vals, transform=Affine(0.1, 0, -2, 0, -0.1, 13), crs="EPSG:4326")
    html = _html(make_map(adm1, title="Same", layers={"change_pct": "Same"}, rasters={"Same": r}))
    assert '"Same (2)"' in html and '"Same (3)"' in html


def _legends(html: str) -> list[str]:
    """The class legends' inner HTML, decoded from their JSON."""
    return [json.loads(m) for m in re.findall(r"div\.innerHTML = (\"[^\n]*\");", html)]


def test_legend_spans_the_data_not_a_diverging_guess(adm1: gpd.GeoDataFrame) -> None:
    # wasting 4..22 %: a sequential legend from 4.0 to 22.0, not -22..22 from "pct"
    units = adm1.assign(wasting_pct=np.linspace(4.0, 22.0, len(adm1)))
    html = _html(make_map(units, layers={"wasting_pct": "Wasting (%)"}))
    wasting = next(x for x in _legends(html) if "Wasting (%)" in x)
    labels = re.findall(r"<span>([^<]*)</span>", wasting)
    assert labels[0].startswith("4.0–") and labels[-2].endswith("–22.0")
    assert labels[-1] == "No data" and not any("-" in x for x in labels)


def test_gi_legend_is_categorical_and_years_print_as_years(adm1: gpd.GeoDataFrame) -> None:
    z = np.array([3.0, 2.0, 1.7, 0.0, -1.7, -2.0, -3.0, 0.5, 0.1, -0.2, 1.0, np.nan, 0.0])
    units = adm1.assign(gi_z=z, first_year=[2012.0, 2019.0, np.nan] + [2015.0] * 10)
    html = _html(make_map(units, layers={"gi_z": "Hot spots", "first_year": "First year"}))
    legends = _legends(html)
    gi = next(x for x in legends if "Hot spots" in x)
    order = [
        "Hot spot, 99 % confidence",
        "Hot spot, 95 % confidence",
        "Hot spot, 90 % confidence",
        "Not significant",
        "Cold spot, 90 % confidence",
        "Cold spot, 95 % confidence",
        "Cold spot, 99 % confidence",
        "No data",
    ]
    positions = [gi.index(label) for label in order]
    assert positions == sorted(positions)
    years = next(x for x in legends if "First year" in x)
    assert ">2012<" in years and ">2015<" in years and ">2019<" in years
    assert "2,012" not in html
    # tooltips: a class name with a rounded z-score, never 4.123012621140197
    assert "Hot spot, 99 % confidence (z = 3.00)" in html


def test_diverging_only_when_the_values_cross_the_midpoint(adm1: gpd.GeoDataFrame) -> None:
    from sahel_geo.present.classify import LayerStyle
    from sahel_geo.present.maps import layer_style

    assert layer_style("change_pct", "Change").midpoint == 0.0
    assert layer_style("wasting_pct", "W").midpoint is None
    up = adm1.assign(change_pct=np.linspace(5.0, 60.0, len(adm1)))
    html = _html(make_map(up, layers={"change_pct": "Change"}))
    change = next(x for x in _legends(html) if "Change" in x)
    assert " to " not in change  # all positive: sequential classes, no split at 0
    forced = LayerStyle("Forced", diverging=True, midpoint=0.0)
    html = _html(make_map(up, layers={"change_pct": forced}))
    assert any("Forced" in x for x in _legends(html))


def test_make_map_counts_events_itself(
    adm1: gpd.GeoDataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    units = adm1.drop(columns=["events"])
    ev = sg.demo_events(n=200, seed=3)
    with caplog.at_level("INFO", logger="sahel_geo.present.maps"):
        html = _html(make_map(units, events=ev))
    assert "per admin-1 unit (column 'events') by assigning them to the units" in caplog.text
    joined = sg.assign_admin(ev, units)
    expected = joined["adm1_pcode"].value_counts()
    for pcode, n in expected.items():
        assert re.search(f'"_shown": "{n:,}", "name": "[^"]*", "pcode": "{pcode}"', html)
    # with the level's column present it is used directly
    caplog.clear()
    with caplog.at_level("INFO", logger="sahel_geo.present.maps"):
        make_map(units, events=joined)
    assert "by their adm1_pcode column" in caplog.text


def test_title_credits_control_and_existing_map(adm1: gpd.GeoDataFrame) -> None:
    import folium

    ev = _events(20).assign(source="ucdp")
    html = _html(
        make_map(adm1, events=ev, title="Events <b>x</b>", subtitle="2012–2023 · UCDP GED")
    )
    assert "sahel-map-title" in html and "2012–2023 · UCDP GED" in html
    assert "Events <b>x</b>" not in html
    assert "Natural Earth (public domain)" in html and "Sundberg \\u0026amp; Melander 2013" in html
    assert '"collapsed": true' in html
    assert '"Units"' in html and '"Events"' in html and '"Base"' in html
    base = folium.Map(location=[12, -1], zoom_start=5, tiles=None)
    out = make_map(adm1, m=base)
    assert out is base


def test_event_popups_show_codes_in_words(adm1: gpd.GeoDataFrame) -> None:
    ev = _events(10).assign(perpetrator_group="armed_group")
    html = _html(make_map(adm1, events=ev, events_mode="markers"))
    assert "armed group" in html and "armed_group" not in html
    html = _html(make_map(adm1, events=ev, events_mode="clusters"))
    assert "armed group" in html and "armed_group" not in html


def test_basemap_has_the_tri_border_towns() -> None:
    from sahel_geo.present.basemap import load_basemap

    base = load_basemap()
    # capitals from Natural Earth; the main towns of the bundled road sketch besides them
    assert {"Bamako", "Niamey", "Ouagadougou"} <= set(base.places["name"])
    assert {"Gao", "Mopti", "Ménaka", "Djibo", "Dori", "Tillabéri"} <= set(base.towns["name"])
    assert not set(base.towns["name"]) & set(base.places["name"])
    html = sg.make_map(sg.load_boundaries(1).assign(events=1), value="events").get_root().render()
    # the label as the map's script holds it (HTML in a JSON string: escaped twice)
    assert "\\u0026#8226;\\u0026nbsp;M\\u00e9naka" in html


def test_a_lazy_stack_is_drawn_from_its_last_step_only(adm1: gpd.GeoDataFrame) -> None:
    import dask.array as da

    eager = sg.demo_spei()
    steps = eager.values.shape[0]

    def only_the_last(block: np.ndarray, block_info: dict | None = None) -> np.ndarray:
        if block_info is not None and block_info[0]["chunk-location"][0] != steps - 1:
            raise AssertionError("a step other than the last was computed")
        return block

    lazy_values = da.from_array(eager.values, chunks=(1, *eager.values.shape[1:]))
    lazy = sg.Raster.from_array(
        lazy_values.map_blocks(only_the_last, dtype=eager.values.dtype),
        transform=eager.transform,
        crs=eager.crs,
        nodata=eager.nodata,
        times=eager.times,
    )
    assert lazy.is_lazy
    assert _html(make_map(adm1, rasters={"SPEI": lazy})) == _html(
        make_map(adm1, rasters={"SPEI": eager})
    )
