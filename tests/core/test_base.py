"""Base layer: errors, options, step reports, versions, packaging consistency."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo.core.reports import StepReport, attach_report

ROOT = Path(__file__).resolve().parents[2]


def test_error_hierarchy() -> None:
    for cls in (sg.SchemaError, sg.InputFileError, sg.CRSMismatchError, sg.EmptyResultError):
        assert issubclass(cls, sg.SahelGeoError) and issubclass(cls, ValueError)
    assert issubclass(sg.MissingCRSError, sg.CRSError)
    assert issubclass(sg.NetworkError, ConnectionError)
    assert issubclass(sg.MissingDependencyError, ImportError)
    assert issubclass(sg.NodataWarning, sg.SahelGeoWarning)
    assert issubclass(sg.SahelGeoWarning, UserWarning)


def test_options_validate_and_restore() -> None:
    assert sg.get_option("snap_tolerance_km") == 5.0
    with sg.set_options(snap_tolerance_km=1.5, geojson_precision=4):
        assert sg.get_option("snap_tolerance_km") == 1.5
        assert sg.get_option("geojson_precision") == 4
    assert sg.get_option("snap_tolerance_km") == 5.0
    assert sg.get_option("geojson_precision") == 6
    with pytest.raises(sg.ConfigError, match=r"Unknown option 'snap_km'.*Known options"):
        sg.set_options(snap_km=1)
    with pytest.raises(sg.ConfigError, match="must be a number >= 0; got -1"):
        sg.set_options(snap_tolerance_km=-1)
    with pytest.raises(sg.ConfigError, match="integer from 0 to 15"):
        sg.set_options(geojson_precision=True)
    # a bad value changes nothing, not even the good ones beside it
    with pytest.raises(sg.ConfigError):
        sg.set_options(geojson_precision=3, snap_tolerance_km="far")
    assert sg.get_option("geojson_precision") == 6
    with pytest.raises(sg.ConfigError, match="Unknown option"):
        sg.get_option("nope")


def test_options_restore_after_error() -> None:
    with pytest.raises(RuntimeError), sg.set_options(snap_tolerance_km=9.0):
        raise RuntimeError("boom")
    assert sg.get_option("snap_tolerance_km") == 5.0


def test_step_report_counts_and_rejects() -> None:
    rej = pd.DataFrame({"row": [2, 5], "reason": ["bad date", "bad date"], "column": "d"})
    rep = StepReport("read_x", "f.csv", n_in=10, n_kept=8, rejects=rej, notes={"swap": 1})
    assert rep.n_rejected == 2
    assert rep.rejected_by_reason == {"bad date": 2}
    assert rep.summary() == "read_x f.csv: 10 in, 8 kept, 2 rejected (bad date: 2); noted: swap: 1"
    with pytest.raises(AssertionError, match="do not add up"):
        StepReport("x", "f", n_in=3, n_kept=3, rejects=rej)
    frame = pd.DataFrame({"a": [1, 2, 3]})
    attach_report(frame, rep)
    # reports survive pandas operations and are shared, not copied
    sub = frame[frame.a > 1].copy()
    assert sg.reports(sub)[0] is rep
    out = sg.rejects(sub)
    assert out[["step", "source_file", "row", "reason"]].values.tolist() == [
        ["read_x", "f.csv", 2, "bad date"],
        ["read_x", "f.csv", 5, "bad date"],
    ]
    assert list(sg.rejects(pd.DataFrame()).columns) == [
        "step",
        "source_file",
        "row",
        "reason",
        "column",
    ]


def test_show_versions(capsys: pytest.CaptureFixture[str]) -> None:
    sg.show_versions()
    out = capsys.readouterr().out
    for key in ("sahel_geo", "GEOS", "PROJ", "GDAL (rasterio)", "GDAL (pyogrio)", "shapely"):
        assert re.search(rf"^{re.escape(key)}\s+: \S", out, flags=re.M), key
    assert sg.__version__ != "0+unknown"


def _pyproject_deps() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = meta["optional-dependencies"]
    deps = list(meta["dependencies"]) + [d for extra in extras.values() for d in extra]
    out = {}
    for dep in deps:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^]]*\])?\s*(>=\s*[^,;\s]+)?.*", dep)
        assert m, dep
        name = m.group(1).lower().replace("_", "-")
        if name != "sahel-geo":  # the test extra pulls in the dask extra
            out[name] = (m.group(3) or "").replace(" ", "")
    if "dask" in out:  # dask[distributed] is conda-forge's separate distributed package
        out["distributed"] = out["dask"]
    return out


def _conda_deps() -> dict[str, str]:
    out = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.fullmatch(r"\s*-\s+([A-Za-z0-9_.-]+)\s*(>=\s*\S+)?\s*(#.*)?", line)
        if m and m.group(1) not in ("pip", "python"):
            out[m.group(1).lower().replace("_", "-")] = (m.group(2) or "").replace(" ", "")
    return out


def test_environment_yml_in_step_with_pyproject() -> None:
    conda = _conda_deps()
    renamed = {"matplotlib": "matplotlib-base"}  # conda-forge's name without Qt
    missing, differ = [], []
    for name, bound in _pyproject_deps().items():
        cname = renamed.get(name, name)
        if cname not in conda:
            missing.append(name)
        elif conda[cname] != bound:
            differ.append(f"{name}: pyproject {bound!r} vs environment.yml {conda[cname]!r}")
    assert not missing, f"in pyproject.toml but not environment.yml: {missing}"
    assert not differ, differ
