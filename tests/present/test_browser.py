"""Maps in a real headless browser: no JavaScript errors, layers present, no XSS.

Needs Debian's ``chromium`` and ``chromium-driver``. The session fixture installs them
with apt-get when they are missing and the tests run as root (logged); if that is not
possible the tests FAIL under CI (``CI=true``) and skip elsewhere, with the reason.

The maps are served from a local ``http.server`` thread; they carry their JavaScript
and CSS inline (``make_map(assets="inline")``, the default), so the page needs no
network at all: any CDN request would fail on this closed network and show up as an
error in the console log.
"""

from __future__ import annotations

import functools
import http.server
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sahel_geo as sg
from sahel_geo.present._map_elements import inline_assets
from sahel_geo.workflow.pipeline import run_demo

pytestmark = pytest.mark.browser

log = logging.getLogger(__name__)

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
XSS = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=1</script>"]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1200,900",
]


def _missing() -> list[str]:
    return [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]


def _install() -> str:
    """Install chromium and chromium-driver with apt-get; return '' or why it failed."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not running as root, cannot apt-get install chromium chromium-driver"
    if shutil.which("apt-get") is None:
        return "apt-get is not available to install chromium chromium-driver"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "chromium-driver"],
    ):
        log.warning("browser tests: running %s", " ".join(cmd))
        print(f"browser tests: running {' '.join(cmd)}")
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{' '.join(cmd)} failed: {exc}"
        if proc.returncode != 0:
            return f"{' '.join(cmd)} exited with {proc.returncode}: {proc.stderr[-800:]}"
    return ""


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Path of Debian's chromium, installed on first use when possible."""
    missing = _missing()
    if missing:
        why = _install()
        missing = _missing()
        if missing:
            reason = f"headless Chromium is not available ({', '.join(missing)} missing): " + (
                why or "apt-get install did not provide them"
            )
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(reason)
            pytest.skip(reason)
    pytest.importorskip("selenium")
    return CHROMIUM


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A folder served over http://127.0.0.1:<port>/ from a thread."""
    folder = tmp_path_factory.mktemp("www")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    # threaded: Chrome opens speculative connections that would block a one-thread server
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager go online
    profile = tempfile.mkdtemp(prefix="sahel-geo-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _errors(driver: Any) -> list[str]:
    out = []
    for entry in driver.get_log("browser"):
        if entry.get("level") == "SEVERE" and "favicon.ico" not in entry.get("message", ""):
            out.append(entry["message"])
    return out


# Render every popup and tooltip the way Leaflet does: open the ones on the map, and
# for markers held inside a cluster group, put their content into the page exactly as
# Leaflet would (a string through innerHTML, a node appended).
_OPEN_EVERYTHING = """
var done = arguments[arguments.length - 1];
var map = null;
for (var k in window) {
    try { if (window[k] instanceof L.Map) { map = window[k]; } } catch (e) {}
}
var opened = 0;
function show(c, layer) {
    if (typeof c === "function") { c = c(layer); }
    var d = document.createElement("div");
    if (typeof c === "string") { d.innerHTML = c; } else if (c) { d.appendChild(c); }
    document.body.appendChild(d);
    opened += 1;
}
function visit(layer, inherited) {
    // a group's popup/tooltip is shown for the member under the mouse (Leaflet passes it)
    var own = inherited.slice();
    if (layer.getPopup && layer.getPopup()) { own.push(layer.getPopup()); }
    if (layer.getTooltip && layer.getTooltip()) { own.push(layer.getTooltip()); }
    if (layer.getLayers) {
        layer.getLayers().forEach(function (child) { visit(child, own); });
    } else {
        own.forEach(function (p) { show(p.getContent(), layer); });
    }
}
map.eachLayer(function (layer) {
    visit(layer, []);
    if (layer.openPopup && layer.getPopup && layer.getPopup() && layer.getLatLng) {
        layer.openPopup();
    }
});
setTimeout(function () { done(opened); }, 1500);
"""


def _load(driver: Any, url: str) -> None:
    driver.get_log("browser")  # drop what an earlier page logged
    driver.get(url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if driver.execute_script("return document.readyState") == "complete":
            break
        time.sleep(0.2)
    time.sleep(0.5)


def _layer_names(driver: Any) -> list[str]:
    # issue 16: the unit layers are radio buttons (base layers, one at a time), the
    # others check boxes: both lists are read (was the overlays only)
    names = driver.execute_script(
        "return Array.from(document.querySelectorAll("
        "'.leaflet-control-layers-list label')).map(function (l) {"
        " return l.textContent.trim(); });"
    )
    return [str(n) for n in names]


def _choose(driver: Any, prefix: str) -> None:
    """Click the layer control entry whose name starts with ``prefix``."""
    driver.execute_script(
        "var p = arguments[0];"
        "var l = Array.from(document.querySelectorAll('.leaflet-control-layers-list label'))"
        ".filter(function (x) { return x.textContent.trim().indexOf(p) === 0; })[0];"
        "l.querySelector('input').click();",
        prefix,
    )
    time.sleep(0.3)


@pytest.fixture(scope="module")
def demo_map(served: tuple[Path, str]) -> str:
    folder, base = served
    run_demo(folder / "demo", n=600, seed=5)
    return f"{base}/demo/map.html"


def test_demo_map_loads_without_errors(browser: Any, demo_map: str) -> None:
    _load(browser, demo_map)
    assert _errors(browser) == []
    assert browser.execute_script("return typeof L") == "object"
    names = _layer_names(browser)
    assert any(n.startswith("Events (") for n in names), names
    assert "Events" in names  # the 595 demo events, drawn one by one
    assert "Heat map of events" in names
    assert any(n.startswith("Spread over time") for n in names), names
    for name in (
        "Drought raster: SPEI, last month",
        "Wasting raster: prevalence (%)",
        "Wasting: mean prevalence per unit (%)",
        "Drought: mean SPEI, last period",
        "Hot spots: Gi* z-score",
        "Civilian fatalities",  # the demo events have civilian fatalities
    ):
        assert name in names, names
    assert len(names) == len(set(names))
    paths = browser.execute_script(
        "return document.querySelectorAll('path.leaflet-interactive').length"
    )
    assert paths >= 30  # the 30 admin-1 units at least
    assert browser.execute_script("return document.querySelectorAll('.sahel-legend').length") >= 1
    # the time slider shows only with its layer (issue 16), then moves and labels the period
    assert browser.execute_script("return document.querySelector('.sahel-period-slider')") is None
    _choose(browser, "Spread over time")
    label = browser.execute_script(
        "var i = document.querySelector('.sahel-period-slider input');"
        "i.value = 0; i.dispatchEvent(new Event('input'));"
        "return document.querySelector('.sahel-period-label').textContent;"
    )
    assert label.strip() == "2012"  # periods read as periods (was "2012-01-01")
    opened = browser.execute_async_script(_OPEN_EVERYTHING)
    assert opened > 595
    # popups show labelled fields, not raw column names (innerText: no script text)
    text = browser.execute_script("return document.body.innerText")
    for label in ("Event type", "Actor 1", "Perpetrator", "Fatalities", "Civilian fatalities"):
        assert label in text, label
    for raw in ("event_id", "actor1", "perpetrator_group", "civilian_fatalities"):
        assert raw not in text, raw
    assert _errors(browser) == []


def _xss_map(folder: Path, name: str, mode: str, n: int) -> Path:
    units = sg.load_boundaries(level=1, countries=["BFA"])
    units = units.assign(events=np.arange(len(units)))
    units.loc[units.index[0], "name"] = XSS[0]
    units.loc[units.index[1], "name"] = XSS[1]
    ev = sg.demo_events(n=n, seed=3)
    ev = ev[ev["country_iso3"] == "BFA"].copy()
    notes = np.array(XSS * (len(ev) // 2 + 1))[: len(ev)]
    ev["notes"] = notes
    ev["actor1"] = XSS[1]
    ev["event_type"] = XSS[0]
    periods = sg.aggregate(sg.assign_admin(ev, units), unit="adm1_pcode", freq="year")
    fmap = sg.make_map(
        units,
        events=ev,
        events_mode=mode,
        periods=periods,
        title=XSS[0],  # type: ignore[arg-type]
    )
    path = folder / name
    fmap.save(str(path))
    return path


@pytest.mark.parametrize(("mode", "n"), [("markers", 400), ("clusters", 600)])
def test_injected_notes_set_no_flag(
    browser: Any, served: tuple[Path, str], mode: str, n: int
) -> None:
    folder, base = served
    path = _xss_map(folder, f"xss_{mode}.html", mode, n)
    html = path.read_text(encoding="utf-8")
    for bad in XSS:
        assert bad not in html
    _load(browser, f"{base}/{path.name}")
    assert _errors(browser) == []
    opened = browser.execute_async_script(_OPEN_EVERYTHING)
    assert opened > 100
    # the injected text shows as text, and never ran
    assert browser.execute_script("return typeof window.__xss") == "undefined"
    text = browser.execute_script("return document.body.textContent")
    assert 'onerror="window.__xss=1"' in text
    assert _errors(browser) == []


def test_the_check_catches_unescaped_text(browser: Any, served: tuple[Path, str]) -> None:
    """Negative control: raw data text in a popup does set the flag, so the test can fail."""
    import folium

    folder, base = served
    fmap = folium.Map(tiles=None, location=[12, -1], zoom_start=6)
    fmap.options["maxZoom"] = 18
    folium.CircleMarker([12, -1], radius=5, popup=folium.Popup(XSS[0])).add_to(fmap)
    inline_assets(fmap)  # the same offline Leaflet as sahel_geo maps
    (folder / "raw.html").write_text(fmap.get_root().render(), encoding="utf-8")
    _load(browser, f"{base}/raw.html")
    browser.execute_async_script(_OPEN_EVERYTHING)
    assert browser.execute_script("return window.__xss") == 1


def test_time_slider_before_2001(browser: Any, served: tuple[Path, str]) -> None:
    """Periods in 1997, 1999 and 2003 (epoch digits change in 2001) label and colour right."""
    import pandas as pd

    folder, base = served
    units = sg.load_boundaries(level=1, countries=["BFA"]).assign(events=1)
    first = units["pcode"].iloc[0]
    periods = pd.DataFrame(
        {
            "unit": [first] * 3,
            "period": pd.to_datetime(["1997-01-01", "1999-01-01", "2003-01-01"]),
            "events": [0, 4, 9],
        }
    )
    sg.make_map(units, periods=periods).save(str(folder / "slider.html"))
    _load(browser, f"{base}/slider.html")
    assert _errors(browser) == []
    _choose(browser, "Spread over time")  # the slider shows with its layer only (issue 16)
    read = (
        "var i = document.querySelector('.sahel-period-slider input');"
        "i.value = arguments[0]; i.dispatchEvent(new Event('input'));"
        "return [document.querySelector('.sahel-period-label').textContent.trim(), i.max];"
    )
    assert browser.execute_script(read, 0) == ["1997-01-01", "2"]
    assert browser.execute_script(read, 1)[0] == "1999-01-01"
    assert browser.execute_script(read, 2)[0] == "2003-01-01"
    assert _errors(browser) == []


@pytest.mark.browser
def test_missing_chromium_fails_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without chromium and without root, the fixture's set-up reports why (no apt-get run)."""
    tb = sys.modules[__name__]
    monkeypatch.setattr(tb, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setattr(tb, "CHROMEDRIVER", tmp_path / "no-chromedriver")
    monkeypatch.setattr(tb.os, "geteuid", lambda: 1000)
    assert tb._missing() == [str(tmp_path / "no-chromium"), str(tmp_path / "no-chromedriver")]
    assert tb._install() == "not running as root, cannot apt-get install chromium chromium-driver"


def test_aggregate_layers_load(browser: Any, served: tuple[Path, str]) -> None:
    """Hexagons and the binned heat map (what large event sets become) draw with no error."""
    folder, base = served
    units = sg.load_boundaries(level=1).assign(events=1)
    ev = sg.demo_events(n=3000, seed=8)
    sg.make_map(units, events=ev, marker_limit=100, cluster_limit=1000).save(
        str(folder / "hex.html")
    )
    _load(browser, f"{base}/hex.html")
    assert _errors(browser) == []
    names = _layer_names(browser)
    assert "Events per 10 km hexagon" in names and "Heat map of events" in names
    # switch the heat map on: its canvas is drawn
    browser.execute_script(
        "Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".filter(function (l) { return l.textContent.trim() === 'Heat map of events'; })"
        "[0].querySelector('input').click();"
    )
    time.sleep(0.5)
    assert browser.execute_script("return document.querySelectorAll('canvas').length") >= 1
    legends = browser.execute_script(
        "return Array.from(document.querySelectorAll('.sahel-legend'))"
        ".map(function (d) { return d.getAttribute('data-layer'); });"
    )
    assert "Events per 10 km hexagon (log scale)" in legends
    assert _errors(browser) == []


_RECTS = """
var out = [];
document.querySelectorAll(arguments[0]).forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0) {
        out.push([el.className.toString(), r.left, r.top, r.right, r.bottom]);
    }
});
return out;
"""


def _overlaps(rects: list[list[Any]]) -> list[tuple[str, str]]:
    bad = []
    for i, (na, l1, t1, r1, b1) in enumerate(rects):
        for nb, l2, t2, r2, b2 in rects[i + 1 :]:
            if l1 < r2 and l2 < r1 and t1 < b2 and t2 < b1:
                bad.append((str(na), str(nb)))
    return bad


def test_demo_map_reads_on_its_own(browser: Any, demo_map: str) -> None:
    """What a reader sees: title, legend classes, credits, collapsed control, no overlap."""
    _load(browser, demo_map)
    assert _errors(browser) == []
    browser.save_screenshot("/tmp/issue16_map.png")
    title = browser.execute_script(
        "return document.querySelector('.sahel-map-title-main').innerText"
    )
    assert title.startswith("Events (")
    legend = browser.execute_script(
        "return Array.from(document.querySelectorAll('.sahel-legend'))"
        ".filter(function (d) { return d.offsetParent !== null; })"
        ".map(function (d) { return d.innerText; });"
    )
    assert len(legend) == 1, legend  # one thematic layer at a time, one legend
    lines = [x.strip() for x in legend[0].splitlines() if x.strip()]
    assert lines[0].startswith("Events (") and lines[-1] == "No data"
    assert all(("–" in x or x.isdigit()) for x in lines[1:-1]), lines
    credits = browser.execute_script(
        "return document.querySelector('.leaflet-control-attribution').innerText"
    )
    assert "Natural Earth (public domain)" in credits and "SYNTHETIC demo data" in credits
    collapsed = browser.execute_script(
        "var c = document.querySelector('.leaflet-control-layers');"
        "return [c.classList.contains('leaflet-control-layers-expanded'),"
        " c.getBoundingClientRect().width];"
    )
    assert collapsed[0] is False and collapsed[1] < 60
    rects = browser.execute_script(_RECTS, ".leaflet-control, .sahel-map-title")
    assert len(rects) >= 5 and _overlaps(rects) == [], rects
    # basemap names and capitals on the map
    text = browser.execute_script("return document.body.innerText")
    for name in ("MALI", "NIGER", "BURKINA FASO", "Bamako", "Niamey", "Ouagadougou"):
        assert name in text, name
    # Gi*: categorical legend, cold and hot spots by confidence
    _choose(browser, "Hot spots")
    legend = browser.execute_script(
        "return Array.from(document.querySelectorAll('.sahel-legend'))"
        ".filter(function (d) { return d.offsetParent !== null; })"
        ".map(function (d) { return d.innerText; });"
    )
    assert len(legend) == 1 and "Hot spot, 99 % confidence" in legend[0]
    assert "Cold spot, 90 % confidence" in legend[0] and "Not significant" in legend[0]
    _choose(browser, "Wasting: mean prevalence")
    legend = browser.execute_script(
        "return Array.from(document.querySelectorAll('.sahel-legend'))"
        ".filter(function (d) { return d.offsetParent !== null; })"
        ".map(function (d) { return d.innerText; });"
    )
    assert len(legend) == 1 and "-" not in legend[0].split("\n", 1)[1]  # 4..22 %, not -19..19
    assert _errors(browser) == []


def _report(folder: Path, demo_folder: Path, *, xss: bool) -> Path:
    from sahel_geo.present.report import Citation, ReportInputs, write_report

    units = sg.load_boundaries(level=1)
    if xss:
        units.loc[units["pcode"] == "ML-5", "name"] = XSS[0]
        units.loc[units["pcode"] == "BF-12", "name"] = XSS[1]
    ev = sg.demo_events(n=600, seed=5)
    joined = sg.assign_admin(ev, units)
    counts = sg.aggregate(joined, unit="adm1_pcode", freq="year", units=list(units["pcode"]))
    inputs = ReportInputs(
        title=XSS[1] if xss else "Liptako-Gourma demo (SYNTHETIC data)",
        subtitle="2012–2023 · demo events",
        counts=counts,
        freq="year",
        units=units,
        first_arrival=sg.first_arrival(counts),
        inputs=[Citation("Events", XSS[0] if xss else "SYNTHETIC demo events")],
        figures={
            "Events per unit": demo_folder / "figures" / "choropleth_events.png",
            "First arrival": demo_folder / "figures" / "spread_first_arrival.png",
        },
        map_html=demo_folder / "map.html",
    )
    return write_report(inputs, folder / ("report_xss.html" if xss else "report.html"))


def test_report_page_reads_and_runs_nothing(
    browser: Any, served: tuple[Path, str], demo_map: str
) -> None:
    folder, base = served
    path = _report(folder, folder / "demo", xss=False)
    _load(browser, f"{base}/{path.name}")
    assert _errors(browser) == []
    browser.set_window_size(1200, 2400)
    browser.save_screenshot("/tmp/issue16_report.png")
    browser.set_window_size(1200, 900)
    text = browser.execute_script("return document.body.innerText")
    assert "Liptako-Gourma demo (SYNTHETIC data)" in text and "Key findings" in text
    assert " rose from " in text and "Violence first reached the border units of" in text
    imgs = browser.execute_script(
        "return Array.from(document.images).map(function (i) { return i.naturalWidth; })"
    )
    assert len(imgs) == 2 and min(imgs) > 1000  # print-resolution figures, loaded inline
    # the map runs inside its iframe, offline: Leaflet loaded, legend shown
    browser.switch_to.frame(browser.find_element("css selector", "iframe"))
    time.sleep(1.0)
    assert browser.execute_script("return typeof L") == "object"
    assert browser.execute_script("return document.querySelectorAll('.sahel-legend').length") >= 1
    browser.switch_to.default_content()
    xss = _report(folder, folder / "demo", xss=True)
    _load(browser, f"{base}/{xss.name}")
    assert browser.execute_script("return typeof window.__xss") == "undefined"
    text = browser.execute_script("return document.body.innerText")
    assert XSS[0] in text  # shown as text, never run
    assert _errors(browser) == []
