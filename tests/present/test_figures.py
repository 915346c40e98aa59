"""PNG figures: deterministic bytes, no timestamps or software names, fixed size."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo.present.figures import (
    DPI,
    choropleth_figure,
    conflict_drought_figure,
    counts_by_country_figure,
    save_figure,
    spread_figure,
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
    u = units.copy()
    u.loc[u.index[:3], "change_pct"] = np.nan
    fig = choropleth_figure(u, "change_pct", title="Change", label="change (%)")
    bar = fig.axes[-1]
    lo, hi = bar.get_ylim()
    assert lo == pytest.approx(-hi)  # diverging scale centred on 0
    assert bar.get_ylabel() == "change (%)"
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
    arrival = pd.DataFrame(
        {
            "unit": units["pcode"],
            "first_period": pd.to_datetime(
                ["1997-01-01", "2012-01-01", None] + ["2019-01-01"] * (len(units) - 3)
            ),
        }
    )
    fig = spread_figure(units, arrival)
    bar = fig.axes[-1]
    assert [t.get_text() for t in bar.get_yticklabels()] == ["1997", "2012", "2019"]
    assert bar.get_yticks().tolist() == [0, 1, 2]


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
