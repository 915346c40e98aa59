"""The sahel-geo command and the demo run: files, counts, determinism, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo.workflow.cli import main
from sahel_geo.workflow.pipeline import run_demo, unit_totals


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out), "--n", "600", "--seed", "5"]) == 0
    return out


def test_demo_writes_the_files(demo_out: Path) -> None:
    names = sorted(p.name for p in demo_out.iterdir())
    assert names == [
        "adm1_units.geojson",
        "events.geojson",
        "figures",
        "manifest.json",
        "map.html",
        "rejects.csv",
        "tables",
    ]
    events = gpd.read_file(demo_out / "events.geojson")
    counts = gpd.read_file(demo_out / "adm1_units.geojson")
    rejects = pd.read_csv(demo_out / "rejects.csv")
    # 600 rows: 5 unusable flawed rows rejected, 595 kept; nothing lost
    assert len(events) == 595 and len(rejects) == 5
    assert set(rejects["step"]) == {"demo_events"}
    assert len(counts) == 30
    assert counts["events"].sum() == events["adm1_pcode"].notna().sum()
    assert (events["source"] == "demo").all()
    # no temporary files left behind
    assert not list(demo_out.rglob(".*.tmp"))


def test_demo_is_byte_identical(tmp_path: Path, demo_out: Path) -> None:
    run_demo(tmp_path, n=600, seed=5)
    for name in ("events.geojson", "adm1_units.geojson", "rejects.csv", "map.html"):
        assert (tmp_path / name).read_bytes() == (demo_out / name).read_bytes(), name


def test_demo_prints_what_it_wrote(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sahel_geo.workflow.cli",
            "demo",
            "--out",
            str(tmp_path),
            "--n",
            "100",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "wrote 16 files" in proc.stdout
    assert "100 in, 95 kept, 5 rejected" in proc.stdout
    assert str(tmp_path / "map.html") in proc.stdout


def test_cli_errors_are_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path), "--n", "3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sahel-geo: error:") and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["nonsense"])


def test_versions_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["versions"]) == 0
    out = capsys.readouterr().out
    for name in ("GEOS", "PROJ", "GDAL (rasterio)", "GDAL (pyogrio)", "shapely", "geopandas"):
        assert name in out


def test_unit_totals_zero_filled() -> None:
    adm1 = sg.load_boundaries(level=1)
    events = sg.assign_admin(sg.demo_events(n=200, seed=2), adm1)
    out = unit_totals(events, adm1, unit_col="adm1_pcode")
    assert list(out["pcode"]) == list(adm1["pcode"])
    assert out["events"].sum() == events["adm1_pcode"].notna().sum()
    assert (out["events"] >= 0).all() and out["events"].dtype == "int64"


def test_map_escapes_data_text(tmp_path: Path) -> None:
    adm1 = sg.load_boundaries(level=1).iloc[:2].assign(events=[1, 2])
    adm1.loc[adm1.index[0], "name"] = "<script>alert(1)</script>"
    events = sg.demo_events(n=30, seed=1).iloc[:3].copy()
    events["notes"] = ['<img src=x onerror="alert(1)">', "<script>x()</script>", "ok & fine"]
    fmap = sg.make_map(adm1, value="events", events=events)
    html = fmap.get_root().render()
    assert "<script>alert(1)</script>" not in html
    assert '<img src=x onerror="alert(1)">' not in html
    # the GeoJSON layer carries the escaped text (as JSON, & is \u0026)
    assert "\\u0026lt;script\\u0026gt;alert(1)" in html
    # event popups carry the escaped notes inside the GeoJSON data (& written as \u0026)
    assert "\\u0026lt;img src=x onerror=\\u0026quot;alert(1)\\u0026quot;\\u0026gt;" in html
    assert "ok \\u0026amp; fine" in html
