"""Vendor the JavaScript/CSS that sahel_geo maps need into the package (offline maps).

Folium's default template loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs,
which a machine without internet (a field office, CI here) cannot reach: the map then
opens blank with JavaScript errors. ``sahel_geo.make_map(..., assets="inline")`` (the
default) writes these vendored copies into the HTML instead, so a map opens from a
shared drive with no network at all.

What is vendored (into ``data/web/``), with licences:

- Leaflet 1.9.3 (folium's version), ``leaflet.js``/``leaflet.css``, BSD-2-Clause;
  the CSS images (layer-control icon, marker icons) are inlined as ``data:`` URIs.
- Leaflet.markercluster 1.1.0 (folium's MarkerCluster version), MIT.
- Leaflet.heat (the ``leaflet_heat.min.js`` folium ships in its package), BSD-2-Clause.
- jQuery 3.7.1 (folium's version), MIT: only written into maps holding a ``folium.Popup``
  (folium fills those with jQuery); sahel_geo's own layers do not need it.

Run (needs ``npm`` and a reachable npm registry)::

    python scripts/vendor_web_assets.py
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

import folium

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "web"
PACKAGES = {"leaflet": "1.9.3", "leaflet.markercluster": "1.1.0", "jquery": "3.7.1"}


def _pack(name: str, version: str, tmp: Path) -> Path:
    subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--silent"], cwd=tmp, check=True, capture_output=True
    )
    tgz = next(tmp.glob(f"{name}-{version}.tgz"))
    dest = tmp / name
    with tarfile.open(tgz) as tar:
        tar.extractall(dest, filter="data")
    return dest / "package"


def _strip_map(text: str) -> str:
    return re.sub(r"\n?//# sourceMappingURL=\S+\s*$", "\n", text)


def _inline_images(css: str, folder: Path) -> str:
    def repl(m: re.Match[str]) -> str:
        path = folder / m.group(1)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\((images/[\w\-@.]+\.png)\)", repl, css)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        leaflet = _pack("leaflet", PACKAGES["leaflet"], tmp)
        files["leaflet.js"] = _strip_map((leaflet / "dist" / "leaflet.js").read_text("utf-8"))
        files["leaflet.css"] = _inline_images(
            (leaflet / "dist" / "leaflet.css").read_text("utf-8"), leaflet / "dist"
        )
        files["LICENSE.leaflet.txt"] = (leaflet / "LICENSE").read_text("utf-8")
        mc = _pack("leaflet.markercluster", PACKAGES["leaflet.markercluster"], tmp)
        files["leaflet.markercluster.js"] = _strip_map(
            (mc / "dist" / "leaflet.markercluster.js").read_text("utf-8")
        )
        files["MarkerCluster.css"] = (mc / "dist" / "MarkerCluster.css").read_text("utf-8")
        files["MarkerCluster.Default.css"] = (mc / "dist" / "MarkerCluster.Default.css").read_text(
            "utf-8"
        )
        files["LICENSE.markercluster.txt"] = (mc / "MIT-LICENCE.txt").read_text("utf-8")
        jq = _pack("jquery", PACKAGES["jquery"], tmp)
        files["jquery.min.js"] = _strip_map((jq / "dist" / "jquery.min.js").read_text("utf-8"))
        files["LICENSE.jquery.txt"] = (jq / "LICENSE.txt").read_text("utf-8")
    heat = Path(folium.__file__).parent / "templates" / "leaflet_heat.min.js"
    files["leaflet_heat.min.js"] = heat.read_text("utf-8")
    files["LICENSE.leaflet_heat.txt"] = (
        "Leaflet.heat (https://github.com/Leaflet/Leaflet.heat), copied from folium "
        f"{folium.__version__} (folium/templates/leaflet_heat.min.js).\n"
        "Copyright (c) 2014, Vladimir Agafonkin. BSD-2-Clause licence: redistribution in\n"
        "source and binary forms, with or without modification, is permitted provided the\n"
        "copyright notice, this list of conditions and the disclaimer are retained.\n"
        "simpleheat: Copyright (c) 2015, Vladimir Agafonkin, BSD-2-Clause.\n"
    )
    manifest = {}
    for name, text in sorted(files.items()):
        data = text.encode("utf-8")
        (OUT / name).write_bytes(data)
        manifest[name] = hashlib.sha256(data).hexdigest()
    (OUT / "assets.json").write_text(
        json.dumps({"packages": PACKAGES, "sha256": manifest}, indent=1, sort_keys=True) + "\n"
    )
    print(f"vendored {len(files)} files into {OUT}")


if __name__ == "__main__":
    main()
