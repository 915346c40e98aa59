"""The run's map and report: tiles reach the map reproducibly and beneath the unit layers,
report.html is checked like the other outputs, the country shares are computed once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sahel_geo.core.errors import ConfigError
from sahel_geo.workflow import pipeline, products
from sahel_geo.workflow.config import parse_config
from sahel_geo.workflow.outputs import INCOMPLETE_MARKER, check_output_folder
from sahel_geo.workflow.pipeline import run

FAST = {"inputs": {"demo_n": 120, "drought": "", "wasting": ""}, "analysis": {"hotspots": False}}


def _control_layers(html: str) -> tuple[str, str]:
    """The layer control's base layers (radio choices) and overlays, as the page lists them."""
    found = re.search(r"base_layers : \{(.*?)\},\s*overlays :\s*\{(.*?)\},", html, re.S)
    assert found is not None
    return found.group(1), found.group(2)


@pytest.mark.parametrize(
    "tiles",
    [
        {"tiles": "https://tiles.example.org/{z}/{x}/{y}.png", "attribution": "Example tiles"},
        {"tiles": "OpenStreetMap"},
    ],
)
def test_tiles_rerun_byte_identical_and_not_a_unit_choice(
    tmp_path: Path, tiles: dict[str, str]
) -> None:
    cfg = parse_config({**FAST, "map": tiles})
    run(cfg, tmp_path / "a")
    run(cfg, tmp_path / "b")
    a = (tmp_path / "a" / "map.html").read_bytes()
    assert a == (tmp_path / "b" / "map.html").read_bytes()
    assert (tmp_path / "a" / "report.html").read_bytes() == (
        tmp_path / "b" / "report.html"
    ).read_bytes()
    html = a.decode("utf-8")
    base, overlays = _control_layers(html)
    assert "tile_layer" not in base and "Unit outlines only" in base
    assert re.search(r'"Background tiles[^"]*" : tile_layer_[0-9a-f]{8}', overlays)
    assert len(re.findall(r"L\.tileLayer\(", html)) == 1
    if "attribution" in tiles:
        assert '"https://tiles.example.org/{z}/{x}/{y}.png"' in html
        assert '"attribution": "Example tiles"' in html


def test_report_html_taken_by_a_folder(tmp_path: Path) -> None:
    (tmp_path / "report.html").mkdir()
    with pytest.raises(ConfigError) as err:
        check_output_folder(tmp_path)
    assert str(err.value).startswith(
        f"1 output name(s) in {tmp_path} are folders, where the run writes files: "
        f"{tmp_path / 'report.html'}."
    )
    with pytest.raises(ConfigError, match="are folders, where the run writes files"):
        run(parse_config(FAST), tmp_path)
    assert not (tmp_path / INCOMPLETE_MARKER).exists()
    assert not (tmp_path / "map.html").exists()


def test_country_shares_computed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = pipeline.country_shares

    def counted(events: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
        calls.append(len(events))
        return real(events, **kwargs)

    monkeypatch.setattr(pipeline, "country_shares", counted)
    monkeypatch.setattr(products, "country_shares", counted, raising=False)
    run(parse_config(FAST), tmp_path / "once")
    assert len(calls) == 1
    monkeypatch.undo()
    run(parse_config(FAST), tmp_path / "plain")
    for name in ("report.html", "tables/country_shares.csv"):
        assert (tmp_path / "once" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()
