"""Issue 12: the run does what it was asked, on real inputs, or says exactly why not.

Region and period select the events once (counted), config and input problems stop the
run before its output folder exists, the output folder is checked and marked, and
drought, indicator and map settings the run cannot use are named errors.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin

import sahel_geo as sg
from sahel_geo.core.errors import ConfigError, EmptyResultError, SahelGeoWarning, SchemaError
from sahel_geo.workflow import products
from sahel_geo.workflow.cli import main
from sahel_geo.workflow.config import load_config, parse_config
from sahel_geo.workflow.outputs import INCOMPLETE_MARKER, check_output_folder
from sahel_geo.workflow.pipeline import run
from sahel_geo.workflow.selection import select_region_period

FAST = {"inputs": {"demo_n": 120, "drought": "", "wasting": ""}, "analysis": {"hotspots": False}}


def _cfg(tmp_path: Path, text: str, name: str = "run.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# --- 1. region and period ---------------------------------------------------------


def _events(codes: list[Any], days: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "event_id": [f"e{i}" for i in range(len(codes))],
            "country_iso3": codes,
            "event_date": pd.to_datetime(days),
        },
        geometry=gpd.points_from_xy([0.0] * len(codes), [13.0] * len(codes)),
        crs="EPSG:4326",
    )


def test_select_region_period_counts_each_row_once() -> None:
    ev = _events(
        ["BFA", "MLI", "NGA", None, "BFA", "MLI", "BFA"],
        [
            "2019-12-31",
            "2020-01-01",
            "2020-06-01",
            "2020-06-01",
            "2021-12-31",
            "2022-01-01",
            "2018-05-05",
        ],
    )
    kept, sel = select_region_period(
        ev, countries=["BFA", "MLI"], start="2020-01-01", end="2021-12-31"
    )
    # e0 before start, e1 in, e2 (NGA) and e3 (no country) outside, e4 in (the end day is
    # inside), e5 after end, e6 before start: 2 kept, 2 + 2 + 1 = 5 left out
    assert kept["event_id"].tolist() == ["e1", "e4"]
    assert sel.notes == {"outside_countries": 2, "before_start": 2, "after_end": 1}
    assert (sel.n_in, sel.n_kept, sel.n_outside) == (7, 2, 5)
    assert sel.summary() == (
        "select_region_period countries=['BFA', 'MLI'], 2020-01-01..2021-12-31: 7 in, "
        "2 kept, 5 outside the region and period (outside_countries: 2; before_start: 2; "
        "after_end: 1)"
    )


def test_select_region_period_empty_names_the_filter() -> None:
    ev = _events(["NGA", "TCD"], ["2020-01-01", "2020-01-02"])
    with pytest.raises(EmptyResultError) as err:
        select_region_period(ev, countries=["BFA"], start="2012-01-01", end="")
    msg = str(err.value)
    assert "No event is left after the run's region and period (countries=['BFA'], " in msg
    assert "2012-01-01..last event)" in msg and "outside_countries: 2" in msg
    assert "Check [region] countries" in msg


def test_run_keeps_only_region_and_period_on_real_ucdp(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = shared_data / "events" / "ucdp_ged231_sample1000.csv"
    cfg = _cfg(
        tmp_path,
        f'[run]\ntitle = "Liptako-Gourma"\n[inputs]\nevents = "{src.as_posix()}"\n'
        'events_format = "ucdp"\ndrought = ""\nwasting = ""\n'
        '[region]\ncountries = ["MLI", "BFA", "NER"]\n'
        "[analysis]\nlevels = [0]\nmap_level = 0\nhotspots = false\n"
        "start = 2012-01-01\nend = 2021-12-31\n",
    )
    seen: dict[str, Any] = {}
    figure = products.counts_by_country_figure

    def spy(events: gpd.GeoDataFrame, **kwargs: Any) -> Any:
        seen["countries"] = sorted(set(events["country_iso3"]))
        seen["title"] = kwargs["title"]
        return figure(events, **kwargs)

    monkeypatch.setattr(products, "counts_by_country_figure", spy)
    out = tmp_path / "out"
    res = run(cfg, out)
    # the sample's 12 rows in MLI/BFA/NER: 1991 (before start), 2015, 2017, 2018, 2019 x2,
    # 2020 x2, 2021, and 2022 x3 (after end): 8 kept; 1000 - 12 = 988 other countries
    expected = {"203499", "237564", "256789", "285416", "293114", "352268", "364471", "398385"}
    line = (
        "select_region_period countries=['MLI', 'BFA', 'NER'], 2012-01-01..2021-12-31: "
        "1,000 in, 8 kept, 992 outside the region and period (outside_countries: 988; "
        "before_start: 1; after_end: 3)"
    )
    assert line in res.summary
    events = gpd.read_file(out / "events.geojson")
    assert set(events["event_id"].astype(str)) == expected
    shares = pd.read_csv(out / "tables" / "country_shares.csv", dtype={"period": str})
    assert set(shares["country_iso3"]) == {"MLI", "BFA", "NER"}
    # by year: 2015 MLI 1, 2017 MLI 1, 2018 MLI 1, 2019 BFA 2, 2020 MLI 1 + BFA 1, 2021 NER 1
    assert shares.groupby("country_iso3")["events"].sum().to_dict() == {
        "BFA": 3,
        "MLI": 4,
        "NER": 1,
    }
    assert shares["period"].min() == "2015" and shares["period"].max() == "2021"
    counts = pd.read_csv(out / "tables" / "counts_adm0_year.csv", dtype={"period": str})
    assert set(counts["unit"]) == {"MLI", "BFA", "NER"} and counts["events"].sum() == 8
    assert seen == {
        "countries": ["BFA", "MLI", "NER"],
        "title": "Events by country\nLiptako-Gourma",
    }
    m = json.loads((out / "manifest.json").read_text())
    step = next(s for s in m["steps"] if s["step"] == "select_region_period")
    assert (step["n_in"], step["n_kept"]) == (1000, 8) and step["summary"] == line
    assert step["notes"] == {"outside_countries": 988, "before_start": 1, "after_end": 3}
    assert m["map"]["events"] == 8 and m["parameters"]["analysis"]["start"] == "2012-01-01"


# --- 2. levels and countries the boundaries cannot serve ----------------------------


def test_bundled_level_a_country_lacks_is_a_config_error(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, '[region]\ncountries = ["MLI", "BFA"]\n[analysis]\nlevels = [1, 2]\n')
    with pytest.raises(ConfigError) as err:
        run(cfg, tmp_path / "out")
    assert (
        "[region] countries ['MLI'] have no admin-2 units in the bundled boundaries "
        "(admin-2 covers BFA): drop level 2 from [analysis] levels"
    ) in str(err.value)
    assert not (tmp_path / "out").exists()


def test_boundaries_file_lacking_a_country_stops_before_the_folder(tmp_path: Path) -> None:
    bfa = sg.load_boundaries(1, countries=["BFA"])
    bfa.to_file(tmp_path / "bfa.geojson", driver="GeoJSON")
    cfg = _cfg(
        tmp_path,
        '[inputs]\ndemo_n = 100\ndrought = ""\nwasting = ""\nboundaries = "bfa.geojson"\n'
        '[region]\ncountries = ["BFA", "NER"]\n',
    )
    with pytest.raises(ConfigError) as err:
        run(cfg, tmp_path / "out")
    assert str(err.value).startswith(
        f"[region] countries ['NER'] have no admin-1 units in {tmp_path / 'bfa.geojson'} "
        "(it holds admin-1 units of ['BFA'])"
    )
    assert not (tmp_path / "out").exists()


def test_two_levels_from_a_one_level_file(tmp_path: Path) -> None:
    sg.load_boundaries(1, countries=["BFA"]).to_file(tmp_path / "b.geojson", driver="GeoJSON")
    cfg = _cfg(
        tmp_path,
        '[inputs]\ndemo_n = 100\ndrought = ""\nwasting = ""\nboundaries = "b.geojson"\n'
        '[region]\ncountries = ["BFA"]\n[analysis]\nlevels = [1, 2]\n',
    )
    with pytest.raises(ConfigError, match=r"levels 1 and 2 read the same 13 units from "):
        run(cfg, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_map_level_not_in_levels() -> None:
    with pytest.raises(ConfigError, match=r"map_level 2 must be one of levels \[0, 1\]"):
        parse_config({"analysis": {"levels": [0, 1], "map_level": 2}})


# --- 3. dates -----------------------------------------------------------------------


def test_native_toml_dates_are_dates(tmp_path: Path) -> None:
    cfg = load_config(_cfg(tmp_path, "[analysis]\nstart = 2012-01-01\nend = 2023-12-31\n"))
    assert (cfg["analysis"]["start"], cfg["analysis"]["end"]) == ("2012-01-01", "2023-12-31")
    assert json.dumps(cfg.as_dict())  # the manifest's parameters stay JSON


def test_non_iso_dates_are_errors_naming_the_key(tmp_path: Path) -> None:
    p = _cfg(
        tmp_path,
        '[analysis]\nstart = "01/02/2019"\nend = 2019-02-01T10:00:00\n',
    )
    with pytest.raises(ConfigError) as err:
        load_config(p)
    msg = str(err.value)
    assert (
        "[analysis] start must be an ISO date YYYY-MM-DD, written as a TOML date "
        '(start = 2012-01-01) or as text (start = "2012-01-01"), or "" for none; got '
        "'01/02/2019' (day and month order is not guessed)"
    ) in msg
    assert "[analysis] end must be an ISO date" in msg and "got the date-time 2019-02-01T10" in msg
    with pytest.raises(ConfigError, match=r"start is not a calendar date: '2019-02-30'"):
        parse_config({"analysis": {"start": "2019-02-30"}})


def test_start_after_end_with_toml_dates(tmp_path: Path) -> None:
    p = _cfg(tmp_path, "[analysis]\nstart = 2020-01-01\nend = 2019-12-31\n")
    with pytest.raises(ConfigError, match="start '2020-01-01' is after end '2019-12-31'"):
        load_config(p)


# --- 4. outputs ---------------------------------------------------------------------


def test_out_is_an_existing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "out").write_text("mine")
    cfg = _cfg(tmp_path, '[inputs]\ndemo_n = 100\ndrought = ""\nwasting = ""\n')
    assert main(["run", str(cfg), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"sahel-geo: error: the output folder {tmp_path / 'out'} is an existing file, not a "
        "folder: give --out a folder (new or existing), or move the file.\n"
    )
    assert (tmp_path / "out").read_text() == "mine"


def test_out_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the tests may run as root, which may write anywhere: the permission check is faked
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(ConfigError, match=f"the output folder {tmp_path} is not writable"):
        check_output_folder(tmp_path)
    with pytest.raises(ConfigError, match=f"cannot be created: {tmp_path} is not writable"):
        check_output_folder(tmp_path / "new" / "out")


def test_output_name_taken_by_a_folder(tmp_path: Path) -> None:
    (tmp_path / "map.html").mkdir()
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "country_shares.csv").mkdir()
    with pytest.raises(ConfigError) as err:
        run(parse_config(FAST), tmp_path)
    assert str(err.value).startswith(
        f"2 output name(s) in {tmp_path} are folders, where the run writes files: "
        f"{tmp_path / 'map.html'}, {tmp_path / 'tables' / 'country_shares.csv'}."
    )
    assert not (tmp_path / INCOMPLETE_MARKER).exists()
    # the writers' own backstop: an atomic write onto a folder is a named error
    from sahel_geo.io._atomic import atomic_write_text

    with pytest.raises(ConfigError, match="a folder of that name is in the way"):
        atomic_write_text(tmp_path / "map.html", "x")


def test_symlinked_sub_folder_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "tables").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ConfigError) as err:
        run(parse_config(FAST), out)
    assert str(err.value).startswith(
        f"{out / 'tables'} is a symbolic link (to {elsewhere}): the run writes only inside "
        "its output folder and does not follow links out of it."
    )
    assert list(elsewhere.iterdir()) == [] and (out / "tables").is_symlink()


@pytest.mark.parametrize(
    ("tiles", "attribution", "message"),
    [
        (
            "https://tiles.example.org/{z}/{x}/{y}.png",
            "",
            "[map] tiles is a URL, so [map] attribution is required",
        ),
        (
            "https://tiles.example.org/{z}/{x}.png",
            "(c) example",
            "lacks {y}: a tile URL reads like 'https://tile.example.org/{z}/{x}/{y}.png'",
        ),
        ("OpenStreetMapp", "", "[map] tiles 'OpenStreetMapp' is not a tile provider folium knows"),
        ("CartoDB positron", "", "(CartoDB.Positron) needs an API key"),
    ],
)
def test_bad_tiles(tiles: str, attribution: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"map": {"tiles": tiles, "attribution": attribution}})
    assert message in str(err.value)


def test_tile_url_with_attribution_reaches_the_map(tmp_path: Path) -> None:
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    cfg = parse_config({**FAST, "map": {"tiles": url, "attribution": "Example tiles"}})
    run(cfg, tmp_path)
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert '"https://tiles.example.org/{z}/{x}/{y}.png"' in html and "Example tiles" in html


def test_negative_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError, match=r"\[run\] seed must be >= 0"):
        parse_config({"run": {"seed": -1}})
    assert main(["demo", "--out", str(tmp_path / "o"), "--seed", "-1"]) == 1
    err = capsys.readouterr().err
    assert "[run] seed must be >= 0" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_leftover_temp_files_swept_and_incomplete_marker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tables").mkdir()
    stale = [
        tmp_path / ".map.html.sahel_geo-k2j4.tmp",
        tmp_path / "tables" / ".a.csv.sahel_geo-x.tmp",
    ]
    for p in stale:
        p.write_text("half")
    (tmp_path / "notes.tmp").write_text("the user's own")

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    with monkeypatch.context() as mp:
        mp.setattr(products, "save_figure", boom)
        with pytest.raises(KeyboardInterrupt):
            run(parse_config(FAST), tmp_path)
    assert not any(p.exists() for p in stale)
    assert (tmp_path / "notes.tmp").read_text() == "the user's own"
    marker = (tmp_path / INCOMPLETE_MARKER).read_text()
    assert "has not finished" in marker and not (tmp_path / "manifest.json").exists()
    res = run(parse_config(FAST), tmp_path)
    assert not (tmp_path / INCOMPLETE_MARKER).exists() and (tmp_path / "manifest.json").is_file()
    assert not list(tmp_path.rglob(".*.sahel_geo-*"))
    assert "RUN_INCOMPLETE" not in json.dumps(json.loads((tmp_path / "manifest.json").read_text()))
    assert "manifest" in res.files


# --- 5. drought raster without time ---------------------------------------------------


def test_single_layer_drought_is_an_error(tmp_path: Path) -> None:
    tif = tmp_path / "spei_mean.tif"
    with rasterio.open(
        tif,
        "w",
        driver="GTiff",
        height=4,
        width=4,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(-6.0, 16.0, 2.5, 2.5),
        nodata=-9999.0,
    ) as dst:
        dst.write(np.zeros((1, 4, 4), dtype="float32"))
    cfg = _cfg(
        tmp_path,
        '[inputs]\ndemo_n = 100\ndrought = "spei_mean.tif"\nwasting = ""\n'
        '[region]\ncountries = ["BFA"]\n',
    )
    with pytest.raises(ConfigError) as err:
        run(cfg, tmp_path / "out")
    assert str(err.value).startswith(
        f"[inputs] drought: {tif} holds a single raster with no time dimension, so it "
        "matches no period of the conflict x drought table. Give a time stack"
    )
    assert not (tmp_path / "out").exists()


# --- 6. indicators ------------------------------------------------------------------


def _pop_run(tmp_path: Path, rows: str, column: str = "population") -> Path:
    (tmp_path / "pop.csv").write_text(rows, encoding="utf-8")
    return _cfg(
        tmp_path,
        '[inputs]\ndemo_n = 100\ndrought = ""\nwasting = ""\nindicators = ["pop.csv"]\n'
        f'population_column = "{column}"\n[region]\ncountries = ["BFA"]\n'
        "[analysis]\nhotspots = false\n",
    )


def test_duplicate_pcodes_with_different_values(tmp_path: Path) -> None:
    cfg = _pop_run(tmp_path, "pcode,population\nBF-01,100\nBF-02,50\nBF-01,200\n")
    with pytest.raises(SchemaError) as err:
        run(cfg, tmp_path / "out")
    msg = str(err.value)
    assert msg.startswith(
        f"{tmp_path / 'pop.csv'}: Unit 'BF-01' appears in data rows 1 and 3 of the "
        "indicator table with different values (population: 100 vs 200)"
    )
    assert not (tmp_path / "out").exists()  # joined with the inputs, before the folder


def test_population_not_numbers(tmp_path: Path) -> None:
    cfg = _pop_run(tmp_path, "pcode,population\nBF-01,many\nBF-02,few\n")
    with pytest.raises(SchemaError) as err:
        run(cfg, tmp_path / "out")
    assert str(err.value).startswith(
        f"{tmp_path / 'pop.csv'}: the population column 'population' ([inputs] "
        "population_column) is not numbers (2 text values, e.g. data row 1: 'many', data "
        "row 2: 'few'), so no rate per 100k could be computed."
    )
    assert not (tmp_path / "out").exists()


def test_population_column_missing_is_said(tmp_path: Path) -> None:
    cfg = _pop_run(tmp_path, "pcode,pop_2020\nBF-01,100\nBF-02,50\n")
    with pytest.warns(SahelGeoWarning) as record:
        run(cfg, tmp_path / "out")
    assert str(record[0].message) == (
        "[inputs] population_column 'population' is in none of the indicator tables "
        "(pop.csv): no events_per_100k rates are computed. Set population_column to the "
        "column that holds population."
    )
    layer = gpd.read_file(tmp_path / "out" / "adm1_units.geojson")
    assert "pop_2020" in layer.columns and "events_per_100k" not in layer.columns


def test_indicator_column_cannot_replace_the_runs_own(tmp_path: Path) -> None:
    cfg = _pop_run(tmp_path, "pcode,population,events\nBF-01,100,7\nBF-02,50,8\n")
    with pytest.raises(SchemaError, match="column 'events' would replace the run's own"):
        run(cfg, tmp_path / "out")


# --- 7. siblings --------------------------------------------------------------------


def test_inputs_that_are_folders_or_missing(tmp_path: Path) -> None:
    (tmp_path / "ev").mkdir()
    p = _cfg(
        tmp_path,
        '[inputs]\nevents = "ev"\nboundaries = "nope.geojson"\nindicators = ["ev"]\n'
        'events_format = "acled2"\n[region]\ncountries = ["mli"]\n',
    )
    with pytest.raises(ConfigError) as err:
        load_config(p)
    msg = str(err.value)
    assert f"[inputs] events: {tmp_path / 'ev'} is a folder; give the path of a file in it" in msg
    assert f"[inputs] boundaries: file not found: {tmp_path / 'nope.geojson'}" in msg
    assert f"[inputs] indicators: {tmp_path / 'ev'} is a folder" in msg
    assert "[inputs] events_format must be one of ['acled', 'ucdp', 'auto', 'generic']" in msg
    assert "[region] countries must be ISO 3166-1 alpha-3 codes in capitals" in msg
    assert "5 problems" in msg


def test_empty_region_is_an_error_before_the_folder(tmp_path: Path) -> None:
    cfg = parse_config({**FAST, "analysis": {"hotspots": False, "start": "2030-01-01", "end": ""}})
    with pytest.raises(EmptyResultError, match=r"2030-01-01\.\.last event"):
        run(cfg, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_wasting_time_stack_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sahel_geo.workflow import inputs

    (tmp_path / "w.nc").write_bytes(b"")  # exists; its reading is replaced by a stack
    stack = sg.demo_spei(seed=1)
    monkeypatch.setattr(inputs, "open_raster", lambda *args, **kwargs: stack)
    cfg = _cfg(tmp_path, '[inputs]\ndemo_n = 100\ndrought = ""\nwasting = "w.nc"\n')
    with pytest.raises(ConfigError) as err:
        run(cfg, tmp_path / "out")
    assert str(err.value).startswith(
        f"[inputs] wasting: {tmp_path / 'w.nc'} is a time stack of {stack.values.shape[0]} "
        "layers; the run uses one wasting surface."
    )
    assert not (tmp_path / "out").exists()


def test_events_of_another_source_name_the_format_key(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "events" / "ucdp_ged231_sample1000.csv"
    cfg = _cfg(tmp_path, f'[inputs]\nevents = "{src.as_posix()}"\nevents_format = "acled"\n')
    with pytest.raises(SchemaError) as err:
        run(cfg, tmp_path / "out")
    msg = str(err.value)
    assert msg.startswith(f"read_acled: {src} is missing the column(s)")
    assert msg.endswith(
        "([inputs] events_format = 'acled': set it to the file's source, or to 'auto' to "
        "detect ACLED or UCDP GED by their columns.)"
    )
    assert not (tmp_path / "out").exists()
