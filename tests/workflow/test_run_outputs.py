"""[output] formats and columns of the run's layers; population-weighted overlays."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

import sahel_geo as sg
from sahel_geo.core.schema import EVENT_COLUMNS
from sahel_geo.io.demo_rasters import demo_population
from sahel_geo.workflow.config import parse_config
from sahel_geo.workflow.pipeline import run

FAST: dict[str, dict[str, Any]] = {
    "inputs": {"demo_n": 150, "drought": "", "wasting": ""},
    "analysis": {"hotspots": False},
}


def _cfg(**sections: dict[str, Any]) -> Any:
    raw = copy.deepcopy(FAST)
    for name, keys in sections.items():
        raw.setdefault(name, {}).update(keys)
    return parse_config(raw)


@pytest.fixture(scope="module")
def many_formats(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("formats")
    cfg = _cfg(
        output={
            "events_formats": ["parquet", "gpkg", "fgb", "csv", "geojson"],
            "units_formats": ["geojson", "parquet"],
        }
    )
    return out, run(cfg, out)


def test_every_format_written_and_listed(many_formats: tuple[Path, Any]) -> None:
    out, res = many_formats
    for suffix in ("parquet", "gpkg", "fgb", "csv", "geojson"):
        assert (out / f"events.{suffix}").is_file(), suffix
    assert res.files["events"].name == "events.parquet"
    assert res.files["events_csv"].name == "events.csv"
    assert res.files["adm1_units_parquet"].name == "adm1_units.parquet"
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["outputs"]["events_gpkg"]["path"] == "events.gpkg"


def test_formats_hold_the_same_events(many_formats: tuple[Path, Any]) -> None:
    out, _ = many_formats
    ref = gpd.read_parquet(out / "events.parquet")
    assert len(ref) == 145  # 150 demo rows, 5 unusable
    assert str(ref["fatalities"].dtype) == "Int64"
    for suffix in ("gpkg", "fgb", "geojson"):
        other = gpd.read_file(out / f"events.{suffix}")
        if suffix == "fgb":  # FlatGeobuf's spatial index stores features in Hilbert order
            other = other.set_index("event_id").loc[ref["event_id"]].reset_index()
        assert list(other["event_id"].astype(str)) == list(ref["event_id"].astype(str)), suffix
        assert other.geometry.geom_equals_exact(ref.geometry, 1e-6).all(), suffix
        info = pyogrio.read_info(out / f"events.{suffix}")
        fields = dict(zip(info["fields"], info["dtypes"], strict=True))
        assert fields["fatalities"] in ("int32", "int64"), (suffix, fields["fatalities"])
    table = pd.read_csv(out / "events.csv")
    np.testing.assert_allclose(table["longitude"], ref.geometry.x, atol=1e-6)
    np.testing.assert_allclose(table["latitude"], ref.geometry.y, atol=1e-6)
    units = gpd.read_parquet(out / "adm1_units.parquet")
    assert units["events"].sum() == gpd.read_file(out / "adm1_units.geojson")["events"].sum()


def test_reports_survive_in_the_parquet_layer(many_formats: tuple[Path, Any]) -> None:
    out, _ = many_formats
    steps = [r.step for r in sg.reports(gpd.read_parquet(out / "events.parquet"))]
    assert steps == ["demo_events", "assign_admin[adm1]"]


def test_rerun_is_byte_identical_in_every_format(
    many_formats: tuple[Path, Any], tmp_path: Path
) -> None:
    out, _ = many_formats
    cfg = _cfg(
        output={
            "events_formats": ["parquet", "gpkg", "fgb", "csv", "geojson"],
            "units_formats": ["geojson", "parquet"],
        }
    )
    run(cfg, tmp_path)
    for p in sorted(out.glob("events.*")) + sorted(out.glob("adm1_units.*")):
        assert (tmp_path / p.name).read_bytes() == p.read_bytes(), p.name


def test_auto_switches_to_geoparquet_above_the_size(tmp_path: Path) -> None:
    small = run(_cfg(output={"parquet_above": 145}), tmp_path / "small")
    large = run(_cfg(output={"parquet_above": 144}), tmp_path / "large")
    assert small.files["events"].name == "events.geojson"
    assert large.files["events"].name == "events.parquet"
    assert not (tmp_path / "large" / "events.geojson").exists()


def test_event_columns_canonical_or_all(tmp_path: Path) -> None:
    run(_cfg(), tmp_path / "c")
    run(_cfg(output={"event_columns": "all"}), tmp_path / "a")
    canonical = gpd.read_file(tmp_path / "c" / "events.geojson")
    everything = gpd.read_file(tmp_path / "a" / "events.geojson")
    extra = [c for c in canonical.columns if c not in EVENT_COLUMNS and c != "geometry"]
    assert extra and all(c.startswith("adm1_") for c in extra)
    assert "notes" in canonical.columns and "inter1" not in canonical.columns
    assert {"inter1", "admin1", "location"} <= set(everything.columns)
    assert len(canonical) == len(everything)


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ({"events_formats": ["shp"]}, r"unknown format\(s\) \['shp'\]"),
        ({"events_formats": []}, "at least one format"),
        ({"units_formats": ["auto"]}, r"unknown format\(s\) \['auto'\]"),
        ({"events_formats": ["gpkg", "gpkg"]}, "names a format twice"),
        ({"event_columns": "some"}, "must be one of"),
        ({"parquet_above": -1}, "must be >= 0"),
    ],
)
def test_bad_output_settings(output: dict[str, Any], message: str) -> None:
    with pytest.raises(sg.ConfigError, match=message):
        _cfg(output=output)


def test_min_coverage_frac_range() -> None:
    with pytest.raises(sg.ConfigError, match=r"min_coverage_frac must be >= 0 and < 1"):
        _cfg(analysis={"min_coverage_frac": 1.0})


def test_population_weighted_overlays_equal_direct_zonal_stats(tmp_path: Path) -> None:
    cfg = _cfg(
        inputs={"drought": "demo", "wasting": "demo", "population": "demo"},
        analysis={"min_coverage_frac": 0.25},
    )
    run(cfg, tmp_path)
    layer = gpd.read_file(tmp_path / "adm1_units.geojson")
    units = sg.load_boundaries(level=1, countries=["MLI", "BFA", "NER"])
    pop = demo_population(seed=0)
    rules = sg.CellRules(min_coverage_frac=0.25)
    wasting = sg.demo_wasting(seed=0)
    direct = sg.zonal_stats(units, wasting, stats=("weighted_mean",), weights=pop, rules=rules)
    got = layer.set_index("pcode")["wasting_pct_pop"]
    np.testing.assert_allclose(got.reindex(direct.index), direct["weighted_mean"], rtol=1e-12)
    area = sg.zonal_stats(units, wasting, stats=("mean",), rules=rules)["mean"]
    np.testing.assert_allclose(layer.set_index("pcode")["wasting_pct"].reindex(area.index), area)
    # people and area means differ (towns are not spread like the area)
    assert not np.allclose(got.reindex(area.index), area)
    assert layer["spei_pop_last_period"].notna().all()


def test_population_stack_is_refused(tmp_path: Path) -> None:
    import xarray as xr

    stack = sg.demo_spei(seed=0)
    da = stack.to_xarray()
    path = tmp_path / "pop.nc"
    xr.Dataset({"pop": da}).to_netcdf(path)
    with pytest.raises(sg.ConfigError, match=r"\[inputs\] population: .* time stack"):
        run(_cfg(inputs={"population": str(path)}), tmp_path / "out")


def test_run_shows_a_step_bar_when_bars_are_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sahel_geo.core import progress as progress_module

    monkeypatch.setattr(progress_module, "DELAY_S", 0.0)
    with sg.set_options(progress=True):
        run(_cfg(), tmp_path / "on")
    assert "step" in capsys.readouterr().err
    with sg.set_options(progress=False):
        run(_cfg(), tmp_path / "off")
    assert capsys.readouterr().err == ""


def test_cli_flags_set_bars_only_for_the_command(tmp_path: Path) -> None:
    from sahel_geo.workflow.cli import main

    cfg = tmp_path / "a.toml"
    cfg.write_text('[inputs]\ndemo_n = 100\ndrought = ""\nwasting = ""\n')
    with sg.set_options(progress=None):
        assert main(["run", str(cfg), "--out", str(tmp_path / "out"), "--progress"]) == 0
        assert sg.get_option("progress") is None  # restored after the command
