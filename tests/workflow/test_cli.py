"""The sahel-geo command and the demo run: files, counts, determinism, errors."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo.io.layers import csv_text, write_layer
from sahel_geo.workflow.cli import main
from sahel_geo.workflow.commands import CHANGE_VALUES
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
        "report.html",
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
    assert "wrote 21 files" in proc.stdout
    assert "100 in, 95 kept, 5 rejected" in proc.stdout
    assert str(tmp_path / "map.html") in proc.stdout


def test_cli_errors_are_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a SahelGeoError exits 1 (it was 2, argparse's usage-error code, before issue 17)
    assert main(["demo", "--out", str(tmp_path), "--n", "3"]) == 1
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


# --- issue 17: join, zonal, change, --version ------------------------------------------------

UCDP_SAMPLE = "events/ucdp_ged231_sample1000.csv"
# Hand-counted tiny events table (canonical column names, read with --events-format generic):
# Mali 4 events in 2022-Q1 and 6 in 2022-Q2, Niger 1 in 2022-Q1 and none in 2022-Q2.
TINY_EVENTS = (
    "event_date,latitude,longitude,fatalities,country_iso3\n"
    + "".join(f"2022-0{m}-1{d},14.5,-3.0,1,MLI\n" for m, d in [(1, 0), (1, 1), (2, 2), (3, 3)])
    + "".join(f"2022-0{m}-1{d},14.5,-3.0,1,MLI\n" for m, d in [(4, 1), (4, 2), (5, 3)])
    + "".join(f"2022-06-1{d},14.5,-3.0,1,MLI\n" for d in (4, 5, 6))
    + "2022-02-20,14.0,2.0,5,NER\n"
)
# MLI: (6 - 4) / 4 = +50 %, a large increase (> 25 %); NER 1 -> 0 falls under the
# low-baseline rule (baseline <= 2 and current <= 5): no percentage.
TINY_CHANGE = (
    "unit,period,events,baseline,change_pct,raw_change_pct,low_baseline,trend,label\n"
    "MLI,2022-Q1,4,,,,False,,\n"
    "MLI,2022-Q2,6,4.0,50.0,50.0,False,large increase,50%\n"
    "NER,2022-Q1,1,,,,False,,\n"
    "NER,2022-Q2,0,1.0,,-100.0,True,limited change,low baseline (1 → 0)\n"
)


@pytest.fixture
def tiny_events(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.csv"
    path.write_text(TINY_EVENTS, encoding="utf-8")
    return path


def test_join_equals_the_library(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = shared_data / UCDP_SAMPLE
    out = tmp_path / "joined.geojson"
    assert main(["join", str(src), "bundled", "-o", str(out)]) == 0
    expected = sg.assign_admin(sg.read_ucdp(src), sg.load_boundaries(1))
    lib = sg.write_geojson(expected, tmp_path / "library.geojson")
    assert out.read_bytes() == lib.read_bytes()
    captured = capsys.readouterr()
    assert captured.out == f"wrote 1,000 rows to {out}\n"
    summaries = [r.summary() for r in sg.reports(expected)]
    assert summaries[0].startswith(f"read_ucdp {src}: 1,000 in, 1,000 kept")
    for line in summaries:
        assert line in captured.err.splitlines()
    # the same join written as CSV and GeoPackage
    assert main(["join", str(src), "bundled:1", "-o", str(tmp_path / "j.csv")]) == 0
    assert (tmp_path / "j.csv").read_text(encoding="utf-8") == csv_text(expected)
    assert main(["join", str(src), "bundled", "-o", str(tmp_path / "j.gpkg")]) == 0
    assert (tmp_path / "j.gpkg").read_bytes() == write_layer(
        expected,
        tmp_path / "library" / "j.gpkg",  # same layer name "j"
    ).read_bytes()


def test_join_options_reach_the_library(tiny_events: Path, tmp_path: Path) -> None:
    out = tmp_path / "j.csv"
    args = ["join", str(tiny_events), "bundled", "--level", "0", *_GENERIC]
    assert main([*args, "--tolerance-km", "1", "--coarse", "drop", "-o", str(out)]) == 0
    events = sg.read_events(
        tiny_events,
        columns={c: c for c in ("event_date", "latitude", "longitude", "fatalities")}
        | {"country_iso3": "country_iso3"},
    )
    expected = sg.assign_admin(events, sg.load_boundaries(0), tolerance_km=1, coarse="drop")
    assert out.read_text(encoding="utf-8") == csv_text(expected)
    assert set(pd.read_csv(out)["adm0_pcode"]) == {"MLI", "NER"}


def test_change_by_country_quarter_equals_the_library(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / UCDP_SAMPLE
    out = tmp_path / "change.csv"
    assert main(["change", str(src), "--by", "country", "--period", "quarter", "-o", str(out)]) == 0
    counts = sg.aggregate(sg.read_ucdp(src), unit="country_iso3", freq="quarter")
    wide = counts.pivot(index="period", columns="unit", values="events")
    expected = sg.period_change(wide).rename(columns={"count": "events"})
    expected["events"] = expected["events"].astype("int64")
    expected["period"] = (
        expected["period"].dt.year.astype(str) + "-Q" + (expected["period"].dt.quarter.astype(str))
    )
    assert out.read_text(encoding="utf-8") == csv_text(expected)
    table = pd.read_csv(out)
    assert table["events"].sum() == 1000  # every event has a country and a quarter
    assert table["period"].str.fullmatch(r"\d{4}-Q[1-4]").all()


def test_change_tiny_exact(tiny_events: Path, tmp_path: Path) -> None:
    out = tmp_path / "change.csv"
    args = ["change", str(tiny_events), "--events-format", "generic", "--period", "quarter"]
    assert main([*args, "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == TINY_CHANGE


def test_zonal_exact_means(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np
    import rasterio
    from affine import Affine
    from shapely.geometry import box

    # 2 x 3 raster of 1-degree cells, x 0-3, y 0-2:  top row 1 2 3, bottom row 4 5 6
    tif = tmp_path / "r.tif"
    with rasterio.open(
        tif,
        "w",
        driver="GTiff",
        width=3,
        height=2,
        count=1,
        dtype="float64",
        crs="EPSG:4326",
        transform=Affine(1, 0, 0, 0, -1, 2),
        nodata=-9999.0,
    ) as dst:
        dst.write(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), 1)
    zones = gpd.GeoDataFrame(
        {"admin_level": [1, 1], "pcode": ["W", "E"], "name": ["west", "east"]},
        geometry=[box(0, 0, 2, 2), box(2, 0, 3, 2)],
        crs=4326,
    )
    zpath = sg.write_geojson(zones, tmp_path / "zones.geojson")
    out = tmp_path / "zonal.csv"
    assert main(["zonal", str(zpath), str(tif), "--stats", "mean,max", "-o", str(out)]) == 0
    # W: (1 + 2 + 4 + 5) / 4 = 3, max 5; E: (3 + 6) / 2 = 4.5, max 6
    assert out.read_text(encoding="utf-8") == (
        "admin_level,pcode,name,parent_pcode,country_iso3,source,mean,max\n"
        "1,W,west,,,sahel_geo,3.0,5.0\n"
        "1,E,east,,,sahel_geo,4.5,6.0\n"
    )
    assert capsys.readouterr().err.startswith("read_boundaries ")
    # weighted by a raster of ones except 3 on the top-left cell: W (1*3 + 2 + 4 + 5) / 6 = 14/6
    wtif = tmp_path / "w.tif"
    with rasterio.open(wtif, "w", **{**rasterio.open(tif).profile}) as dst:
        dst.write(np.array([[3.0, 1.0, 1.0], [1.0, 1.0, 1.0]]), 1)
    geo = tmp_path / "zonal.geojson"
    args = ["zonal", str(zpath), str(tif), "--stats", "weighted_mean", "--weights", str(wtif)]
    assert main([*args, "--coverage", "center", "-o", str(geo)]) == 0
    got = gpd.read_file(geo)
    assert got["weighted_mean"].tolist() == pytest.approx([14 / 6, 4.5], rel=1e-12)


@pytest.mark.parametrize(
    ("command", "example"),
    [
        ("join", "sahel-geo join ged231.csv bundled --level 1 -o events_adm1.geojson"),
        ("zonal", "sahel-geo zonal bundled:1 spei.tif --stats mean,max -o spei_adm1.csv"),
        ("change", "sahel-geo change ged231.csv --by country --period quarter -o change.csv"),
    ],
)
def test_help_shows_an_example(
    command: str, example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "example:" in out and example in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"sahel-geo {version('sahel_geo')}\n"
    assert sg.__version__ == version("sahel_geo")


def _fails(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.splitlines()[-1]
    assert last.startswith("sahel-geo: error: ")
    return last


def test_bad_inputs_exit_1_naming_input_and_fix(
    tiny_events: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.csv"
    msg = _fails(["join", str(missing), "bundled", "-o", str(tmp_path / "o.csv")], capsys)
    assert str(missing) in msg and "Check the path" in msg
    msg = _fails(["join", str(tiny_events), "bundled", "-o", str(tmp_path / "o.shp")], capsys)
    assert "o.shp" in msg and ".geojson" in msg and ".csv" in msg and ".gpkg" in msg
    msg = _fails(["change", str(tiny_events), "--by", "admin9", "-o", "x.csv", *_GENERIC], capsys)
    assert "'admin9'" in msg and str(tiny_events) in msg and "--by" not in msg
    assert "Count by 'country'" in msg
    msg = _fails(["change", str(tiny_events), "-o", str(tmp_path / "c.geojson"), *_GENERIC], capsys)
    assert "c.geojson" in msg and ".csv" in msg
    # auto detection: names the columns it looked for and the way out
    msg = _fails(["join", str(tiny_events), "bundled", "-o", str(tmp_path / "o.csv")], capsys)
    assert "event_id_cnty" in msg and "where_prec" in msg and "generic" in msg
    msg = _fails(
        ["zonal", "bundled", str(tmp_path / "r.tif"), "-o", str(tmp_path / "z.csv")], capsys
    )
    assert "r.tif" in msg and "Check the path" in msg
    msg = _fails(["join", str(tiny_events), "bundled:9", "-o", "x.csv", *_GENERIC], capsys)
    assert "level must be 0, 1 or 2; got 9" in msg
    assert not list(tmp_path.glob("o.*")) and not list(tmp_path.glob("*.tmp"))


_GENERIC = ["--events-format", "generic"]


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["join"], ["zonal", "a", "b"], ["change", "x.csv", "--period", "day", "-o", "o"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
    assert "invalid choice: 'day'" in capsys.readouterr().err


def test_change_values_match_the_library() -> None:
    from sahel_geo.workflow import cli

    assert cli._CHANGE_VALUES == CHANGE_VALUES


def test_installed_entry_point(tiny_events: Path, tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("sahel-geo")
    out = tmp_path / "change.csv"
    proc = subprocess.run(
        [str(exe), "change", str(tiny_events), *_GENERIC, "--period", "quarter", "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"wrote 4 rows to {out}\n"
    assert proc.stderr.splitlines() == [
        f"read_events {tiny_events}: 11 in, 11 kept, 0 rejected; noted: generated_event_id: 11",
        "aggregate[country_iso3, quarter] 11 events: 11 in, 11 kept, 0 rejected",
    ]
    assert out.read_text(encoding="utf-8") == TINY_CHANGE
