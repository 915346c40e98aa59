"""The config-driven run: output folder, manifest, determinism, golden layers, atomicity."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo.io.datasets import bundled_boundaries_path
from sahel_geo.workflow import pipeline, products
from sahel_geo.workflow.config import load_config, parse_config
from sahel_geo.workflow.pipeline import run, run_demo

GOLDEN = Path(__file__).parents[1] / "data" / "golden"
UPDATE = os.environ.get("SAHEL_GEO_UPDATE_GOLDEN") == "1"

# Small, fast and independent of the raster code: Burkina Faso, admin 1 and 2.
GOLDEN_TOML = """
[run]
title = "golden"
seed = 3
[inputs]
demo_n = 150
drought = ""
wasting = ""
indicators = ["pop.csv"]
[region]
countries = ["BFA"]
[analysis]
levels = [1, 2]
map_level = 2
period = "year"
start = "2012-01-01"
end = "2023-12-31"
permutations = 9
"""


def _golden_config(folder: Path) -> Path:
    adm1 = sg.load_boundaries(level=1, countries=["BFA"])
    pop = pd.DataFrame({"pcode": adm1["pcode"], "population": 100_000 * (adm1.index + 1)})
    pop.to_csv(folder / "pop.csv", index=False)
    p = folder / "golden.toml"
    p.write_text(GOLDEN_TOML, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def golden_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pipeline.RunResult]:
    cfg_dir = tmp_path_factory.mktemp("cfg")
    out = tmp_path_factory.mktemp("golden_out")
    return out, run(_golden_config(cfg_dir), out)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pipeline.RunResult]:
    out = tmp_path_factory.mktemp("demo_run")
    return out, run_demo(out, n=800, seed=11)


def _all_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_demo_run_writes_the_folder(demo_run: tuple[Path, pipeline.RunResult]) -> None:
    out, res = demo_run
    files = sorted(_all_files(out))
    assert files == [
        "adm1_units.geojson",
        "events.geojson",
        "figures/choropleth_events.png",
        "figures/conflict_drought.png",
        "figures/counts_by_country.png",
        "figures/spread_first_arrival.png",
        "figures/spread_small_multiples.png",
        "manifest.json",
        "map.html",
        "rejects.csv",
        "report.html",
        "tables/change_adm1_year.csv",
        # demo events have civilian fatalities and perpetrator groups (ACLED rules)
        "tables/change_civilian_fatalities_adm1_year.csv",
        "tables/conflict_drought_adm1.csv",
        "tables/country_shares.csv",
        "tables/counts_adm1_year.csv",
        "tables/first_arrival_adm1.csv",
        "tables/perpetrators_adm1_year.csv",
        "tables/perpetrators_countries.csv",
        "tables/spread_periods_adm1.csv",
        "tables/spread_units_adm1.csv",
    ]
    assert set(res.files.values()) == {out / f for f in files}
    assert res.events_mode == "markers"  # 795 events <= marker_limit 2000
    layer = gpd.read_file(out / "adm1_units.geojson")
    for col in (
        "events",
        "fatalities",
        "civilian_fatalities",
        "change_pct",
        "first_period",
        "spei_last_period",
        "wasting_pct",
        "gi_z",
        "hotspot",
    ):
        assert col in layer.columns, col
    events = gpd.read_file(out / "events.geojson")
    assert len(events) == 795 and layer["events"].sum() <= len(events)
    assert "events drawn as markers" in str(res)
    assert "<table>" in res._repr_html_()


def test_manifest(demo_run: tuple[Path, pipeline.RunResult]) -> None:
    out, _ = demo_run
    m = json.loads((out / "manifest.json").read_text())
    assert m["parameters"]["inputs"]["demo_n"] == 800 and m["parameters"]["run"]["seed"] == 11
    assert m["parameters"]["analysis"]["levels"] == [1]
    roles = [i["role"] for i in m["inputs"]]
    assert roles == ["events", "boundaries_adm1", "drought", "wasting"]
    adm1 = m["inputs"][1]
    bundled = bundled_boundaries_path(1)
    assert adm1["sha256"] == hashlib.sha256(bundled.read_bytes()).hexdigest()
    assert adm1["size"] == bundled.stat().st_size and adm1["rows"] == 30
    assert m["inputs"][0]["rows"] == 800
    assert m["map"]["events_mode"] == "markers" and m["map"]["events"] == 795
    for name, entry in m["outputs"].items():
        data = (out / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
    assert "manifest" not in m["outputs"]
    assert m["versions"]["packages"]["sahel_geo"]
    # the region and period selection follows the reader (issue 12): demo events are all
    # inside MLI/BFA/NER and 2012..2023, so it keeps every one of the 795
    assert [s["step"] for s in m["steps"]][:3] == [
        "demo_events",
        "select_region_period",
        "assign_admin[adm1]",
    ]
    sel = m["steps"][1]
    assert (sel["n_in"], sel["n_kept"]) == (795, 795)
    assert sel["notes"] == {"outside_countries": 0, "before_start": 0, "after_end": 0}
    assert m["run_time"].endswith("Z")


def test_rerun_is_byte_identical_apart_from_run_time(
    demo_run: tuple[Path, pipeline.RunResult], tmp_path: Path
) -> None:
    out, _ = demo_run
    run_demo(tmp_path, n=800, seed=11)
    a, b = _all_files(out), _all_files(tmp_path)
    assert a.keys() == b.keys()
    for name in a:
        if name == "manifest.json":
            ma, mb = json.loads(a[name]), json.loads(b[name])
            ma.pop("run_time"), mb.pop("run_time")
            assert ma == mb
        else:
            assert a[name] == b[name], name


def test_config_file_run_with_files(golden_run: tuple[Path, pipeline.RunResult]) -> None:
    out, res = golden_run
    m = json.loads((out / "manifest.json").read_text())
    pop = next(i for i in m["inputs"] if i["role"] == "indicators")
    assert pop["rows"] == 13 and len(pop["sha256"]) == 64
    assert m["config"]["path"].endswith("golden.toml") and len(m["config"]["sha256"]) == 64
    adm1 = gpd.read_file(out / "adm1_units.geojson")
    expected = adm1["events"] / adm1["population"] * 1e5
    assert adm1["events_per_100k"].tolist() == pytest.approx(expected.tolist())
    assert (out / "adm2_units.geojson").is_file()
    assert "figure_conflict_drought" not in res.files  # no drought raster given


@pytest.mark.parametrize("name", ["adm1_units.geojson", "adm2_units.geojson"])
def test_golden_layers(golden_run: tuple[Path, pipeline.RunResult], name: str) -> None:
    out, _ = golden_run
    got = (out / name).read_bytes()
    golden = GOLDEN / name
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(got)
    assert golden.is_file(), f"{golden} missing: run with SAHEL_GEO_UPDATE_GOLDEN=1"
    assert got == golden.read_bytes(), (
        f"{name} differs from the golden file; if the change is intended, regenerate with "
        "SAHEL_GEO_UPDATE_GOLDEN=1 pytest tests/test_pipeline.py -k golden"
    )


def test_bad_config_is_a_clean_error(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text('[inputs]\nevents = "missing.csv"\n[analysis]\nperiod = 5\n')
    with pytest.raises(sg.ConfigError) as err:
        run(p, tmp_path / "out")
    assert "missing.csv" in str(err.value) and "[analysis] period must be str" in str(err.value)
    assert not (tmp_path / "out").exists()


def test_interrupted_run_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(products, "save_figure", boom)
    cfg = parse_config(
        {"inputs": {"demo_n": 200, "drought": "", "wasting": ""}, "analysis": {"hotspots": False}}
    )
    with pytest.raises(KeyboardInterrupt):
        run(cfg, tmp_path)
    names = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    assert "manifest.json" not in names  # written last, only by a finished run
    assert not [n for n in names if n.endswith(".tmp")]
    # the files that were written are complete
    gpd.read_file(tmp_path / "events.geojson")
    assert (tmp_path / "map.html").read_text().rstrip().endswith("</html>")


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    cfg = parse_config(
        {"inputs": {"demo_n": 100, "drought": "", "wasting": ""}, "analysis": {"hotspots": False}}
    )
    run(cfg, tmp_path, progress=lambda i, n, what: seen.append((i, n, what)))
    assert [s[0] for s in seen] == list(range(1, 7))
    assert all(n == 6 for _, n, _ in seen)


def test_example_config_runs_from_its_file() -> None:
    cfg = load_config(Path(__file__).parents[2] / "examples" / "demo.toml")
    assert cfg["map"]["events_mode"] == "auto"


def test_run_on_real_ucdp_sample(shared_data: Path, tmp_path: Path) -> None:
    """A real UCDP GED sample (1989-2022, worldwide): hashes, row counts, pre-2001 periods."""
    src = shared_data / "events" / "ucdp_ged231_sample1000.csv"
    cfg = tmp_path / "ucdp.toml"
    cfg.write_text(
        f'[inputs]\nevents = "{src.as_posix()}"\nevents_format = "ucdp"\n'
        'drought = ""\nwasting = ""\n[region]\ncountries = []\n'
        '[analysis]\nlevels = [0]\nmap_level = 0\nhotspots = false\nstart = ""\nend = ""\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    res = run(cfg, out)
    m = json.loads((out / "manifest.json").read_text())
    ev = m["inputs"][0]
    assert ev["role"] == "events" and ev["path"] == src.as_posix()
    assert ev["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert ev["size"] == src.stat().st_size and ev["rows"] == 1000
    counts = pd.read_csv(out / "tables" / "counts_adm0_year.csv", dtype={"period": str})
    assert counts["period"].min() <= "2000"  # periods before 2001 kept
    # UCDP's low/high estimates and civilian deaths: their columns are written
    assert {"fatalities_low", "fatalities_high", "civilian_fatalities"} <= set(counts.columns)
    html = (out / "map.html").read_text(encoding="utf-8")
    assert '"1989"' in html or counts["period"].min() > "1989"
    assert res.events_mode == "markers"


def test_cli_run_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sahel_geo.workflow.cli import main

    cfg = tmp_path / "a.toml"
    cfg.write_text(
        '[inputs]\ndemo_n = 120\ndrought = ""\nwasting = ""\n[analysis]\nhotspots = false\n'
    )
    assert main(["run", str(cfg), "--out", str(tmp_path / "out"), "--progress"]) == 0
    captured = capsys.readouterr()
    # no drought raster: no conflict x drought table or figure; the demo events' civilian
    # fatalities and perpetrator groups add 3 tables (change of civilian fatalities,
    # perpetrators per unit and per country)
    assert "wrote 19 files" in captured.out and "manifest.json" in captured.out
    assert "[....................] 1/6 reading events and boundaries" in captured.err
    bad = tmp_path / "bad.toml"
    bad.write_text("[analysis]\nlevels = [7]\n")
    # a config error is a SahelGeoError: exit status 1 since fb182e8 (usage errors: 2)
    assert main(["run", str(bad), "--out", str(tmp_path / "bad_out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sahel-geo: error:") and "levels must be 0, 1 or 2" in err
    assert "Traceback" not in err


def test_demo_report_sentences_match_the_run_tables(
    demo_run: tuple[Path, pipeline.RunResult],
) -> None:
    import html
    import re

    out, _ = demo_run
    page = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    counts = pd.read_csv(out / "tables" / "counts_adm1_year.csv", dtype={"period": str})
    names = {"Mali": "MLI", "Niger": "NER", "Burkina Faso": "BFA"}
    by_country = counts.groupby(["country_iso3", "period"])[["events", "fatalities"]].sum()
    found = re.findall(
        r"(Events|Fatalities) in (Mali|Niger|Burkina Faso) rose from ([\d,]+) in (\d{4}) to "
        r"([\d,]+) in (\d{4})",
        page,
    )
    assert len(found) >= 3  # one sentence per country and measure at least
    for what, country, before, p0, after, p1 in found:
        column = what.lower()
        assert by_country.loc[(names[country], p0), column] == int(before.replace(",", ""))
        assert by_country.loc[(names[country], p1), column] == int(after.replace(",", ""))
    assert "<script" not in page.split("<iframe")[0]  # no script outside the map's iframe
