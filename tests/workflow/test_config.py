"""The TOML run config: defaults, every kind of problem listed with its key and file."""

from __future__ import annotations

from pathlib import Path

import pytest

import sahel_geo as sg
from sahel_geo.workflow.config import SPEC, demo_config_path, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, text: str, name: str = "analysis.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_fill_every_key() -> None:
    cfg = parse_config({})
    assert set(cfg.values) == set(SPEC)
    for section, keys in SPEC.items():
        assert set(cfg[section]) == set(keys)
    assert cfg["inputs"]["events"] == "demo"
    assert cfg["analysis"]["levels"] == [1]
    assert cfg["analysis"]["first_arrival_k"] == 1.0
    assert isinstance(cfg["analysis"]["first_arrival_k"], float)


def test_example_config_is_shipped_in_the_package() -> None:
    example = ROOT / "examples" / "demo.toml"
    assert example.read_bytes() == demo_config_path().read_bytes()
    cfg = load_config(example)
    assert cfg.path == example.resolve()
    assert cfg["inputs"]["drought"] == "demo" and cfg["run"]["seed"] == 20120117


def test_unknown_key_and_section_with_suggestions(tmp_path: Path) -> None:
    p = _write(tmp_path, '[analysis]\nperod = "month"\n\n[outptus]\nx = 1\n')
    with pytest.raises(sg.ConfigError) as err:
        load_config(p)
    msg = str(err.value)
    assert str(p) in msg and "2 problems" in msg
    assert "[analysis] unknown key 'perod' (did you mean 'period'?)" in msg
    assert "unknown section [outptus]" in msg


def test_wrong_types_are_named(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        '[inputs]\ndemo_n = "many"\n[analysis]\nlevels = 1\nhotspots = "yes"\n'
        'first_arrival_k = true\nperiod = "decade"\n[map]\nhex_size_km = -1\n',
    )
    with pytest.raises(sg.ConfigError) as err:
        load_config(p)
    msg = str(err.value)
    assert "[inputs] demo_n must be int, got str 'many'" in msg
    assert "[analysis] levels must be a list of int, got int 1" in msg
    assert "[analysis] hotspots must be bool, got str 'yes'" in msg
    assert "[analysis] first_arrival_k must be float, got bool" in msg
    assert "[analysis] period must be one of ['week', 'month', 'quarter', 'year']" in msg
    assert "[map] hex_size_km must be > 0" in msg
    assert "6 problems" in msg


def test_missing_files_are_resolved_against_the_config(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "pop.csv").write_text("pcode,population\nBF-01,100\n")
    p = _write(
        tmp_path,
        '[inputs]\nevents = "data/acled.csv"\nboundaries = "data/adm.geojson"\n'
        'indicators = ["data/pop.csv", "data/missing.csv"]\ndrought = ""\n',
    )
    with pytest.raises(sg.ConfigError) as err:
        load_config(p)
    msg = str(err.value)
    assert f"[inputs] events: file not found: {tmp_path / 'data' / 'acled.csv'}" in msg
    assert f"[inputs] boundaries: file not found: {tmp_path / 'data' / 'adm.geojson'}" in msg
    assert f"[inputs] indicators: file not found: {tmp_path / 'data' / 'missing.csv'}" in msg
    assert "pop.csv" not in msg


def test_paths_resolve_when_present(tmp_path: Path) -> None:
    (tmp_path / "ev.csv").write_text("x\n")
    cfg = load_config(_write(tmp_path, '[inputs]\nevents = "ev.csv"\n'))
    assert cfg["inputs"]["events"] == tmp_path / "ev.csv"
    assert cfg.as_dict()["inputs"]["events"] == (tmp_path / "ev.csv").as_posix()


def test_cross_key_checks() -> None:
    with pytest.raises(sg.ConfigError, match=r"map_level 2 must be one of levels \[1\]"):
        parse_config({"analysis": {"map_level": 2}})
    with pytest.raises(sg.ConfigError, match=r"marker_limit \(5000\) must not exceed"):
        parse_config({"map": {"marker_limit": 5000, "cluster_limit": 10}})
    with pytest.raises(sg.ConfigError, match="start '2020-01-01' is after end '2019-01-01'"):
        parse_config({"analysis": {"start": "2020-01-01", "end": "2019-01-01"}})
    with pytest.raises(sg.ConfigError, match="must be an ISO date"):
        parse_config({"analysis": {"start": "last spring"}})
    with pytest.raises(sg.ConfigError, match=r"levels must be 0, 1 or 2 \(got \[3\]\)"):
        parse_config({"analysis": {"levels": [3]}})


def test_section_must_be_a_table() -> None:
    with pytest.raises(sg.ConfigError, match=r"\[map\] must be a table, got str"):
        parse_config({"map": "big"})


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(sg.ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    p = _write(tmp_path, "[analysis\nlevels = [1]\n")
    with pytest.raises(sg.ConfigError, match="not valid TOML") as err:
        load_config(p)
    assert str(p) in str(err.value)
    q = tmp_path / "latin.toml"
    q.write_bytes('[run]\ntitle = "Ségou"\n'.encode("latin-1"))
    with pytest.raises(sg.ConfigError, match="not UTF-8"):
        load_config(q)


def test_config_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_config({"run": {"seed": 1.5}})
