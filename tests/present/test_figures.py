"""Figures: deterministic bytes in PNG/SVG/PDF, 300 dpi, legends, map furniture, years."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo.present.classify import LayerStyle
from sahel_geo.present.figures import (
    DPI,
    FigureFormatError,
    choropleth_figure,
    conflict_drought_figure,
    counts_by_country_figure,
    save_figure,
    spread_figure,
    spread_small_multiples,
)


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, i = [], 8
    while i < len(data):
        (n,) = struct.unpack(">I", data[i : i + 4])
        kind = data[i + 4 : i + 8]
        out.append((kind, data[i + 8 : i + 8 + n]))
        i += 12 + n
    return out


def _size(data: bytes) -> tuple[int, int]:
    ihdr = dict(_chunks(data))[b"IHDR"]
    w, h = struct.unpack(">II", ihdr[:8])
    return int(w), int(h)


@pytest.fixture(scope="module")
def units() -> pd.DataFrame:
    adm = sg.load_boundaries(level=1)
    return adm.assign(events=np.arange(len(adm)), change_pct=np.linspace(-40, 60, len(adm)))


def test_choropleth_is_deterministic_and_clean(units: pd.DataFrame, tmp_path: Path) -> None:
    a = save_figure(choropleth_figure(units, "events", title="Events"), tmp_path / "a.png")
    b = save_figure(choropleth_figure(units, "events", title="Events"), tmp_path / "b.png")
    data = a.read_bytes()
    assert data == b.read_bytes()
    kinds = [k for k, _ in _chunks(data)]
    assert b"tIME" not in kinds
    text = b"".join(v for k, v in _chunks(data) if k in (b"tEXt", b"iTXt", b"zTXt"))
    assert b"Software" not in text and b"matplotlib" not in text.lower()
    assert _size(data) == (8 * DPI, 6 * DPI)
    assert not list(tmp_path.glob(".*.tmp"))


def test_choropleth_missing_values_and_diverging(units: pd.DataFrame, tmp_path: Path) -> None:
    # issue 16 behaviour change: a class legend (not a colour bar), diverging only with a
    # midpoint the values cross (never from the column name), a "No data" entry
    u = units.copy()
    u.loc[u.index[:3], "change_pct"] = np.nan
    style = LayerStyle("change (%)", midpoint=0.0, decimals=0)
    fig = choropleth_figure(u, "change_pct", title="Change", style=style)
    legend = fig.axes[0].get_legend()
    assert legend.get_title().get_text() == "change (%)"
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[-1] == "No data"
    # 27 finite values from -40 to 60: classes split at 0, negatives from the blue end
    assert any(" to 0" in t for t in texts), texts
    colours = [h.get_facecolor() for h in legend.legend_handles]
    assert colours[0][2] > colours[0][0]  # the lowest class is blue (RdBu_r)
    assert colours[-2][0] > colours[-2][2]  # the highest is red
    # the same column without a midpoint: sequential, from the column name nothing follows
    seq = choropleth_figure(u, "change_pct", title="Change", style=LayerStyle("c"))
    seq_colours = [h.get_facecolor() for h in seq.axes[0].get_legend().legend_handles]
    assert seq_colours[0][0] > 0.99 and seq_colours[0][1] > 0.95  # YlOrRd's pale yellow
    with pytest.raises(sg.SchemaError, match="missing column"):
        choropleth_figure(units, "nope", title="x")


def test_counts_by_country_lines() -> None:
    ev = sg.demo_events(n=400, seed=4)
    fig = counts_by_country_figure(ev, freq="year")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == sorted(ev["country_iso3"].dropna().unique().tolist())
    total = sum(line.get_ydata().sum() for line in ax.get_lines())
    assert total == ev["event_date"].notna().sum()
    with pytest.raises(sg.SchemaError, match="freq"):
        counts_by_country_figure(ev, freq="decade")


def test_spread_figure_years(units: pd.DataFrame) -> None:
    # issue 16 behaviour change: a categorical legend of years (was a colour bar)
    arrival = pd.DataFrame(
        {
            "unit": units["pcode"],
            "first_period": pd.to_datetime(
                ["1997-01-01", "2012-01-01", None] + ["2019-01-01"] * (len(units) - 3)
            ),
        }
    )
    fig = spread_figure(units, arrival)
    legend = fig.axes[0].get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts == ["1997", "2012", "2019", "Not reached"]
    assert legend.get_title().get_text() == "First year with events"
    # period labels as the run writes them read as years too
    labelled = arrival.assign(first_period=["1997-Q1", "2012-Q3", None] + ["2019-Q2"] * 27)
    texts = [t.get_text() for t in spread_figure(units, labelled).axes[0].get_legend().get_texts()]
    assert texts == ["1997", "2012", "2019", "Not reached"]


def test_conflict_drought_two_axes(tmp_path: Path) -> None:
    t = pd.DataFrame(
        {
            "unit": ["A", "B", "A", "B"],
            "period": pd.to_datetime(["2019-01-01", "2019-01-01", "2020-01-01", "2020-01-01"]),
            "events": [1, 2, 5, 0],
            "spei_lag0": [0.5, -0.5, -1.0, -2.0],
        }
    )
    fig = conflict_drought_figure(t)
    ax, ax2 = fig.axes
    assert [p.get_height() for p in ax.patches] == [3, 5]
    assert ax2.get_lines()[0].get_ydata().tolist() == [0.0, -1.5]
    p = save_figure(fig, tmp_path / "cd.png")
    assert zlib.crc32(p.read_bytes()) == zlib.crc32(
        save_figure(fig, tmp_path / "cd2.png").read_bytes()
    )


def test_many_countries_fold_into_other() -> None:
    n = 12
    ev = pd.DataFrame(
        {
            "event_date": pd.to_datetime(["2020-05-01"] * (n * (n + 1) // 2)),
            "country_iso3": [f"C{i:02d}" for i in range(1, n + 1) for _ in range(i)],
        }
    )
    ax = counts_by_country_figure(ev).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["C06", "C07", "C08", "C09", "C10", "C11", "C12", "other"]
    other = next(line for line in ax.get_lines() if line.get_label() == "other")
    assert other.get_ydata().tolist() == [1 + 2 + 3 + 4 + 5]


def test_save_figure_formats_by_suffix(tmp_path: Path) -> None:
    t = pd.DataFrame(
        {"unit": ["A"], "events": [1], "spei_lag0": [0.1], "period": pd.to_datetime(["2019-01-01"])}
    )
    fig = conflict_drought_figure(t)
    magic = {".png": b"\x89PNG\r\n\x1a\n", ".svg": b"<?xml", ".pdf": b"%PDF-"}
    for suffix, head in magic.items():
        a = save_figure(fig, tmp_path / f"a{suffix}").read_bytes()
        b = save_figure(fig, tmp_path / f"b{suffix}").read_bytes()
        assert a.startswith(head), suffix
        assert a == b, suffix  # deterministic: no dates, fixed SVG ids
    svg = (tmp_path / "a.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "<dc:date>" not in svg
    pdf = (tmp_path / "a.pdf").read_bytes()
    assert b"/CreationDate" not in pdf and b"/Producer" not in pdf
    assert (tmp_path / "a.pdf").read_bytes()[-6:].strip().endswith(b"%%EOF")
    with pytest.raises(FigureFormatError, match=r"\.png, \.svg, \.pdf") as err:
        save_figure(fig, tmp_path / "x.jpg")
    assert isinstance(err.value, sg.SahelGeoError) and "x.jpg" in str(err.value)
    assert not (tmp_path / "x.jpg").exists()


def test_pixel_size_at_300_dpi(tmp_path: Path) -> None:
    assert DPI == 300
    ev = sg.demo_events(n=200, seed=4)
    png = save_figure(counts_by_country_figure(ev), tmp_path / "c.png").read_bytes()
    assert _size(png) == (8 * 300, int(4.5 * 300))  # 2400 x 1350 px


def test_every_chart_has_a_legend_and_readable_labels(units: pd.DataFrame) -> None:
    ev = sg.demo_events(n=300, seed=2)
    t = pd.DataFrame(
        {
            "unit": ["A", "B"],
            "period": pd.to_datetime(["2019-01-01", "2019-01-01"]),
            "events": [1, 2],
            "spei_lag0": [0.5, -0.5],
        }
    )
    cd = conflict_drought_figure(t)
    ax, ax2 = cd.axes
    assert [x.get_text() for x in ax.get_legend().get_texts()] == [
        "Events",
        "Mean SPEI, same period (below 0: drier)",
    ]
    assert ax2.get_ylabel() == "Mean SPEI, same period (below 0: drier)"
    assert "spei_lag0" not in ax2.get_ylabel()
    figs = [
        choropleth_figure(units, "events", title="E"),
        counts_by_country_figure(ev),
        cd,
    ]
    for fig in figs:
        assert fig.axes[0].get_legend() is not None


def test_map_furniture(units: pd.DataFrame) -> None:
    fig = choropleth_figure(units, "events", title="E", source="ACLED")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "N" in texts  # north arrow
    assert any(t.endswith(" km") for t in texts)  # scale bar
    credit = next(t for t in texts if t.startswith("Source: "))
    assert credit == "Source: ACLED. Basemap: Natural Earth (public domain); towns: sahel_geo."
    assert any(a.get_title() == "Location" for a in ax.child_axes)  # locator inset
    assert "Bamako" in texts and "Niamey" in texts and "MALI" in texts  # basemap names
    assert ax.get_xlabel() == "" and ax.get_ylabel() == ""  # no "Easting [metre]"


def test_scale_bar_is_measured_at_the_map_latitude() -> None:
    from sahel_geo.present.figures import scale_bar_km

    # 10 degrees of longitude at 15 N on WGS 84: about 1,075 km; a quarter rounds down
    # to 200 km, drawn over 200 / 107.5 = 1.86 degrees
    km, length = scale_bar_km("EPSG:4326", (-5.0, 10.0, 5.0, 20.0))
    assert km == 200.0 and length == pytest.approx(1.86, abs=0.005)
    km0, length0 = scale_bar_km("EPSG:4326", (-5.0, -5.0, 5.0, 5.0))  # at the equator
    assert km0 == 200.0 and length0 == pytest.approx(200 / 111.32, abs=0.005)


def test_counts_are_drawn_on_a_log_scale_when_skewed() -> None:
    ev = pd.DataFrame(
        {
            "event_date": pd.to_datetime(["2020-01-01"] * 1140 + ["2021-01-01"] * 3),
            "country_iso3": ["MLI"] * 1140 + ["NER"] * 3,
        }
    )
    ax = counts_by_country_figure(ev).axes[0]
    assert ax.get_yscale() == "symlog" and ax.get_ylabel() == "Events per year (log scale)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2020", "2021"]  # years as years
    assert counts_by_country_figure(ev, log=False).axes[0].get_yscale() == "linear"


def test_figures_draw_into_a_given_axes(units: pd.DataFrame) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4))
    left, right = fig.subplots(1, 2)
    out = choropleth_figure(units, "events", title="left", ax=left)
    assert out is fig and left.get_title() == "left"
    arrival = pd.DataFrame({"unit": units["pcode"], "first_period": pd.Timestamp("2015-01-01")})
    assert spread_figure(units, arrival, ax=right) is fig and right.get_legend() is not None


def test_spread_small_multiples_panels() -> None:
    adm = sg.load_boundaries(level=1, countries=["BFA"])
    pcodes = list(adm["pcode"])
    counts = pd.DataFrame(
        {
            "unit": pcodes * 3,
            "period": pd.to_datetime(
                ["2019-01-01"] * 13 + ["2019-04-01"] * 13 + ["2019-07-01"] * 13
            ),
            "events": [0] * 13 + [1] * 13 + [150] * 13,
        }
    )
    fig = spread_small_multiples(adm, counts, freq="quarter")
    titles = [a.get_title() for a in fig.axes]
    assert titles == ["2019-Q1", "2019-Q2", "2019-Q3"]
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == [
        "0",
        "1",
        "2–5",
        "6–20",
        "21–100",
        "more than 100",
        "No data",
    ]
    # panel colours: 0 events light grey-white, 1 event the first red, 150 the darkest
    first = fig.axes[0].collections[0].get_facecolor()[0]
    last = fig.axes[2].collections[0].get_facecolor()[0]
    assert tuple(round(float(c), 3) for c in first[:3]) == (0.969, 0.969, 0.969)
    assert tuple(round(float(c), 3) for c in last[:3]) == (0.647, 0.059, 0.082)
