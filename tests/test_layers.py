"""The architecture (DESIGN.md): each module's layer is the folder it lives in.

A module imports only from its own layer or below; compute modules do no file or network
I/O; no module takes another module's private (``_name``) helpers; functions stay short
and take few parameters. Nothing here is kept by hand: a new module is checked by where
it is put.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "sahel_geo"

#: The layer of each sub-package: 0 base, 1 edges, 2 compute, 3 present, 4 run.
LAYER_OF_FOLDER: dict[str, int] = {
    "core": 0,
    "io": 1,
    "analysis": 2,
    "present": 3,
    "workflow": 4,
}
#: Modules allowed flat in src/sahel_geo/ (the package's face, which imports every layer).
TOP_LEVEL = {"__init__"}
#: At most this many modules flat in src/sahel_geo/ (issue 11).
MAX_FLAT = 8
#: Compute modules must not read or write files or touch the network.
IO_MODULES = {"urllib", "requests", "http", "socket", "rasterio", "pyogrio", "fiona"}
#: Function size limits: lines of code (no docstring, blank or comment lines) and parameters.
MAX_CODE_LINES = 80
MAX_PARAMS = 8
#: Functions allowed past MAX_CODE_LINES, each with a comment at its definition saying why.
MAX_LONG_EXCEPTIONS = 3
LONG_OK_MARK = "# long-function: "
#: Presentation calls with keyword-only options may take more parameters (issue 11), and
#: so may the raster reader, whose keyword-only options are those of the file formats
#: (like rasterio.open and xarray.open_dataset): grouping them would hide them from help().
MANY_PARAMS_OK = {"present/maps.py:make_map", "io/rasters.py:open_raster"}


def _modules() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def _name(path: Path) -> str:
    parts = path.relative_to(PKG).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("sahel_geo", *parts))


def layer_of(module: str) -> int | None:
    """Layer of a dotted module name under sahel_geo, from its folder (None: the top)."""
    parts = module.split(".")
    assert parts[0] == "sahel_geo", module
    if len(parts) == 1:
        return None
    folder = parts[1]
    if folder not in LAYER_OF_FOLDER:
        raise AssertionError(
            f"{module} is not in a layer folder ({sorted(LAYER_OF_FOLDER)}); move it into one"
        )
    return LAYER_OF_FOLDER[folder]


def _imports(tree: ast.AST, me: str, is_package: bool) -> list[tuple[ast.ImportFrom, str]]:
    """Every ``from sahel_geo... import`` in a module, with the absolute module name."""
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = me.split(".") if is_package else me.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join([*base, *([node.module] if node.module else [])])
        else:
            target = node.module or ""
        if target.split(".")[0] == "sahel_geo":
            out.append((node, target))
    return out


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_imports_go_down_the_layers(path: Path) -> None:
    me = _name(path)
    mine = layer_of(me)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for _node, target in _imports(tree, me, path.name == "__init__.py"):
        theirs = layer_of(target)
        if mine is not None and theirs is not None:
            assert theirs <= mine, f"{me} (layer {mine}) imports {target} (layer {theirs})"
    if mine == 2:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                )
                for name in names:
                    assert (name or "").split(".")[0] not in IO_MODULES, f"{me} imports {name}"
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "open":
                raise AssertionError(f"compute module {me} opens a file")


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_no_private_names_across_modules(path: Path) -> None:
    """A helper two modules need is a public function of the module whose job it is."""
    me = _name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node, target in _imports(tree, me, path.name == "__init__.py"):
        for alias in node.names:
            name = alias.name
            if not name.startswith("_") or name.startswith("__"):
                continue
            # importing a private *module* (a file or folder) is fine; its names are not
            module_path = PKG / Path(*target.split(".")[1:], name)
            if module_path.with_suffix(".py").is_file() or module_path.is_dir():
                continue
            raise AssertionError(f"{me} line {node.lineno} takes private {target}.{name}")


def test_top_level_is_small() -> None:
    flat = sorted(p.stem for p in PKG.glob("*.py"))
    assert len(flat) <= MAX_FLAT, flat
    assert set(flat) <= TOP_LEVEL, f"put {sorted(set(flat) - TOP_LEVEL)} in a layer folder"
    folders = sorted(p.name for p in PKG.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert folders == sorted(LAYER_OF_FOLDER), folders


def _code_lines(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    doc: set[int] = set()
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        doc = set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    count = 0
    for i in range(node.lineno, (node.end_lineno or node.lineno) + 1):
        text = lines[i - 1].strip()
        if i not in doc and text and not text.startswith("#"):
            count += 1
    return count


def _functions() -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef, list[str]]]:
    out = []
    for path in _modules():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        rel = path.relative_to(PKG).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                out.append((f"{rel}:{node.name}", node, lines))
    return out


def test_functions_are_short() -> None:
    long, excused = [], []
    for where, node, lines in _functions():
        n = _code_lines(lines, node)
        if n <= MAX_CODE_LINES:
            continue
        above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
        decorated = node.decorator_list and lines[node.decorator_list[0].lineno - 2].strip()
        if above.startswith(LONG_OK_MARK) or (decorated or "").startswith(LONG_OK_MARK):
            excused.append(f"{where} ({n})")
        else:
            long.append(f"{where} ({n} lines of code)")
    assert not long, f"split these into named steps: {long}"
    assert len(excused) <= MAX_LONG_EXCEPTIONS, excused


def test_functions_take_few_parameters() -> None:
    many = []
    for where, node, _ in _functions():
        a = node.args
        names = [x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
        names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
        if names[:1] in (["self"], ["cls"]):
            names = names[1:]
        if len(names) > MAX_PARAMS and where not in MANY_PARAMS_OK:
            many.append(f"{where} ({len(names)})")
    assert not many, f"more than {MAX_PARAMS} parameters: {many}"


def test_the_face_exports_every_layer_in_order() -> None:
    """``__init__`` imports its names grouped by layer: core, io, analysis, present, workflow."""
    tree = ast.parse((PKG / "__init__.py").read_text(encoding="utf-8"))
    layers = [
        layer_of(node.module)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sahel_geo.")
    ]
    assert layers == sorted(layers), layers


@pytest.mark.parametrize(
    "path", [p for p in _modules() if p.name.startswith("_") and p.name != "__init__.py"], ids=_name
)
def test_private_modules_log_under_a_public_name(path: Path) -> None:
    """Log records name the module users know (``sahel_geo.io.events``), not a private one."""
    text = path.read_text(encoding="utf-8")
    assert "getLogger(__name__)" not in text, (
        f"{_name(path)} logs as itself; use logging.getLogger('<the public module it serves>')"
    )
    for name in re.findall(r"getLogger\(\s*['\"]([^'\"]+)['\"]", text):
        parts = name.split(".")
        assert parts[0] == "sahel_geo" and not any(p.startswith("_") for p in parts), name
        assert (PKG / Path(*parts[1:])).with_suffix(".py").is_file(), f"{name}: no such module"
