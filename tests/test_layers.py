"""The architecture: a module imports only from its own layer or below (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "sahel_geo"

#: 0 base (and pure private helpers with no I/O), 1 edges, 2 compute, 3 present, 4 run.
LAYERS: dict[str, int] = {
    "_errors": 0,
    "options": 0,
    "schema": 0,
    "_report": 0,
    "_compat": 0,
    "_show_versions": 0,
    "_geo": 0,
    "_weights": 0,
    "_coverage": 0,
    "_raster": 0,
    "_zonal_kernels": 0,
    "_join_index": 0,
    "_threads": 0,
    "_map_elements": 0,
    "names": 0,
    "io": 1,
    "datasets": 1,
    "demo": 1,
    "demo_rasters": 1,
    "join": 2,
    "zonal": 2,
    "overlay": 2,
    "grid": 2,
    "timeseries": 2,
    "spread": 2,
    "borders": 2,
    "scdi": 2,
    "hotspots": 2,
    "knox": 2,
    "typology": 2,
    "network": 2,
    "corridors": 2,
    "borderlands": 2,
    "_map_layers": 3,
    "maps": 3,
    "figures": 3,
    "config": 4,
    "pipeline": 4,
    "cli": 4,
}
#: Compute modules must not read or write files or touch the network.
IO_MODULES = {"urllib", "requests", "http", "socket", "rasterio", "pyogrio", "fiona"}


def _layer(module: str) -> int:
    top = module.split(".")[0]
    if top not in LAYERS:
        raise AssertionError(f"module sahel_geo.{module} has no layer in tests/test_layers.py")
    return LAYERS[top]


def _modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py") if p.name != "__init__.py")


def _name(path: Path) -> str:
    return ".".join(path.relative_to(PKG).with_suffix("").parts)


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_imports_go_down_the_layers(path: Path) -> None:
    me = _name(path)
    mine = _layer(me)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("sahel_geo.")
        ):
            target = node.module.removeprefix("sahel_geo.")
            assert _layer(target) <= mine, f"{me} (layer {mine}) imports {target}"
        if mine == 2 and isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            for name in names:
                assert (name or "").split(".")[0] not in IO_MODULES, f"{me} imports {name}"
        if mine == 2 and isinstance(node, ast.Call) and getattr(node.func, "id", None) == "open":
            raise AssertionError(f"compute module {me} opens a file")
