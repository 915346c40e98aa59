"""The report page: sentences checked against their tables, escaping, determinism, offline."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo.present.report import (
    Citation,
    ReportInputs,
    build_report,
    findings,
    write_report,
)

XSS = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=1</script>"]
Q = pd.to_datetime(["2021-07-01", "2021-10-01", "2022-01-01"])


def _tiny() -> ReportInputs:
    """Two Mali units and one Burkina unit over three quarters, numbers chosen by hand."""
    counts = pd.DataFrame(
        {
            "unit": ["ML-5"] * 3 + ["ML-6"] * 3 + ["BF-12"] * 3,
            "period": list(Q) * 3,
            "events": [2, 10, 12, 1, 2, 8, 5, 4, 20],
            "fatalities": [0, 5, 5, 0, 0, 2, 3, 3, 30],
            "civilian_fatalities": [0.0, 15.0, 60.0, 0.0, 5.0, 25.0, 1.0, 2.0, 3.0],
        }
    )
    units = sg.load_boundaries(level=1)
    arrival = sg.first_arrival(counts)
    return ReportInputs(
        title="Tiny run",
        subtitle="2021-Q3 – 2022-Q1 · hand-made",
        counts=counts,
        freq="quarter",
        units=units,
        first_arrival=arrival,
        hotspots=pd.DataFrame({"unit": ["ML-5", "ML-6", "BF-12"], "gi_z": [2.5, -2.0, 0.3]}),
        conflict_drought=pd.DataFrame(
            {
                "unit": ["ML-5", "ML-6", "BF-12", "ML-5"],
                "period": [*Q, Q[0]],
                "events": [2, 2, 20, 10],
                "spei_lag0": [-1.0, 0.5, -0.2, 1.0],
            }
        ),
        inputs=[Citation("Events", "Hand-made fixture <test>")],
    )


def test_country_sentences_match_hand_counts() -> None:
    found = findings(_tiny())
    rises = found["Largest rises by country"]
    # Mali events per quarter: 2+1=3, 10+2=12, 12+8=20 -> largest rise 3 -> 12 (+300 %)
    # Mali fatalities: 0, 5, 7 -> 0 -> 5 has no % (zero baseline); 5 -> 7 is +40 %
    # Mali civilians: 0, 20, 85 -> 20 -> 85 = +325 % (the sentence)
    # Burkina events: 5, 4, 20 -> 4 -> 20 = +400 %; fatalities 3, 3, 30 = +900 %;
    # civilians 1, 2, 3: 1 -> 2 and 2 -> 3 fall under the low-baseline rule (<= 2 -> <= 5)
    assert rises == [
        "Events in Burkina Faso rose from 4 in 2021-Q4 to 20 in 2022-Q1 (+400 %).",
        "Events in Mali rose from 3 in 2021-Q3 to 12 in 2021-Q4 (+300 %).",
        "Fatalities in Burkina Faso rose from 3 in 2021-Q4 to 30 in 2022-Q1 (+900 %).",
        "Fatalities in Mali rose from 5 in 2021-Q4 to 7 in 2022-Q1 (+40 %).",
        "Civilian fatalities in Mali rose from 20 in 2021-Q4 to 85 in 2022-Q1 (+325 %).",
    ]
    # last quarter per unit: BF-12 4 -> 20 (+400 %), ML-6 2 -> 8 (+300 %), ML-5 10 -> 12 (+20 %)
    assert found["Largest rises by unit, last period"] == [
        "Events in Sahel (Burkina Faso) rose from 4 in 2021-Q4 to 20 in 2022-Q1 (+400 %).",
        "Events in Timbuktu (Mali) rose from 2 in 2021-Q4 to 8 in 2022-Q1 (+300 %).",
        "Events in Mopti (Mali) rose from 10 in 2021-Q4 to 12 in 2022-Q1 (+20 %).",
    ]
    # Gi*: 2.5 >= 1.96 hot, -2.0 <= -1.96 cold, 0.3 neither
    assert found["Hot spots"] == [
        "1 unit is a hot spot at 95 % confidence or more (Getis-Ord Gi*): Mopti.",
        "1 unit is a cold spot at 95 % confidence or more (Getis-Ord Gi*): Timbuktu.",
    ]
    # SPEI < 0: ML-5 2 events, BF-12 20 -> mean 11; else ML-6 2, ML-5 10 -> mean 6;
    # ranks of events [1.5, 1.5, 4, 3] and SPEI [1, 3, 2, 4], centred [-1, -1, 1.5, 0.5]
    # and [-1.5, 0.5, -0.5, 1.5]: sum of products 1.0, sums of squares 4.5 and 5.0,
    # Spearman = 1.0 / sqrt(22.5) = 0.2108 -> "0.21"
    drought = found["Conflict and drought"][0]
    assert drought.startswith(
        "Over 4 unit-periods, units averaged 11 events in periods with a mean SPEI below 0 "
        "(drier; 2 unit-periods) and 6 otherwise"
    )
    assert drought.endswith("Spearman's rank correlation of events and SPEI is 0.21.")


def test_border_arrival_sentences() -> None:
    found = findings(_tiny())["First arrival in border units"]
    # ML-5 Mopti (a border region of Mali) has events from 2021-Q3 on, ML-6 Timbuktu
    # (also on the border) too; BF-12 Sahel from 2021-Q3; no unit of Niger in the counts
    mali = next(s for s in found if " of Mali " in s)
    assert mali.startswith("Violence first reached the border units of Mali in 2021-Q3 (")
    assert "Mopti" in mali and "Timbuktu" in mali
    assert any(s.startswith("No border unit of Niger had events") for s in found)


def test_report_page_is_offline_escaped_and_deterministic(tmp_path: Path) -> None:
    from sahel_geo.present.figures import save_figure, spread_figure
    from sahel_geo.present.maps import make_map

    base = _tiny()
    units = base.units.copy()  # type: ignore[union-attr]
    units.loc[units["pcode"] == "ML-5", "name"] = XSS[0]
    fig = save_figure(
        spread_figure(units, base.first_arrival),  # type: ignore[arg-type]
        tmp_path / "spread.png",
    )
    fmap = make_map(units.assign(events=1), title=XSS[1])
    map_html = fmap.get_root().render()
    inputs = ReportInputs(
        title=f"Run {XSS[1]}",
        counts=base.counts,
        freq="quarter",
        units=units,
        first_arrival=base.first_arrival,
        hotspots=base.hotspots,
        inputs=[Citation(XSS[0], "cite <b>me</b>")],
        figures={"First arrival": fig.read_bytes()},
        map_html=map_html,
    )
    a = write_report(inputs, tmp_path / "a.html").read_bytes()
    b = write_report(inputs, tmp_path / "b.html").read_bytes()
    assert a == b
    page = a.decode("utf-8")
    for bad in (*XSS, "<b>me</b>"):
        assert bad not in page
    assert "Events in &lt;img src=x onerror=&quot;window.__xss=1&quot;&gt; (Mali)" in page
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", page)
    assert "data:image/png;base64," in page and "<iframe" in page and "srcdoc=" in page
    assert page.count("<script") == 0  # the map's scripts live escaped in srcdoc


def test_report_requires_counts() -> None:
    with pytest.raises(sg.SchemaError, match="build_report: counts"):
        build_report(ReportInputs(title="x", counts=pd.DataFrame({"unit": []}), freq="year"))


def test_sentences_on_the_ucdp_sample(shared_data: Path) -> None:
    """Each country sentence equals the country series of aggregate + period_change.

    The sample is global (12 of its 1,000 rows in Mali/Niger/Burkina Faso): counted by
    country, every country is its own unit; names from the bundled admin-0, else ISO3.
    """
    ev = sg.read_ucdp(shared_data / "events" / "ucdp_ged231_sample1000.csv")
    counts = sg.aggregate(ev, unit="country_iso3", freq="year")
    counts = counts.assign(country_iso3=counts["unit"])
    inputs = ReportInputs(title="UCDP sample", counts=counts, freq="year")
    sentences = findings(inputs)["Largest rises by country"]
    adm0 = sg.load_boundaries(level=0)
    names = dict(zip(adm0["pcode"], adm0["name"], strict=True))
    pattern = re.compile(
        r"^(\w[\w ]*) in (.+) rose from ([\d,]+) in (\d{4}) to ([\d,]+) in (\d{4}) "
        r"\(\+([\d,]+) %\)\.$"
    )
    checked = 0
    for s in sentences:
        what, where, a, pa, b, pb, pct = pattern.match(s).groups()  # type: ignore[union-attr]
        value = {
            "Events": "events",
            "Fatalities": "fatalities",
            "Civilian fatalities": "civilian_fatalities",
        }[what]
        iso = next((k for k, v in names.items() if v == where), where)
        series = counts[counts["unit"] == iso].set_index("period")[value].sort_index()
        change = sg.period_change(series)
        finite = change[np.isfinite(change["change_pct"]) & (change["change_pct"] > 0)]
        best = finite.sort_values(["change_pct", "period"], ascending=[False, True]).iloc[0]
        assert int(a.replace(",", "")) == round(best["baseline"])
        assert int(b.replace(",", "")) == round(best["count"])
        assert int(pb) == pd.Timestamp(best["period"]).year and int(pa) == int(pb) - 1
        assert int(pct.replace(",", "")) == round(best["change_pct"])
        checked += 1
    assert checked >= 10, sentences


def test_event_citations_are_plain_text() -> None:
    from sahel_geo.present.report import event_citations

    cites = event_citations(pd.DataFrame({"source": ["ucdp", "acled", None]}))
    assert [c.name for c in cites] == ["ACLED", "UCDP GED", "Natural Earth"]
    assert cites[1].citation.startswith("UCDP Georeferenced Event Dataset (GED); Sundberg & ")
    assert all("&amp;" not in c.citation for c in cites)  # escaped once, by the page
