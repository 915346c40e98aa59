"""The analyst notebook runs from top to bottom on the demo data, with readable output."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.mark.notebook
@pytest.mark.slow
def test_analyst_notebook_executes(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(str(NOTEBOOKS / "analyst_demo.ipynb"), as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on failure
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code)
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    by_id = {c["id"]: c for c in nb.cells}

    def data(cell_id: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for o in by_id[cell_id].get("outputs", []):
            out.update(o.get("data", {}))
        return out

    # the map shows inline (folium's iframe), the figures as PNG, the run as a summary
    assert "text/html" in data("cell-12") and "iframe" in data("cell-12")["text/html"]
    assert "image/png" in data("cell-13") and "image/png" in data("cell-14")
    summary = data("cell-17")["text/html"]
    assert "sahel_geo run" in summary and "manifest.json" in summary
    assert "assign_admin" in "".join(o.get("text", "") for o in by_id["cell-05"]["outputs"])


def test_notebook_is_stored_without_outputs() -> None:
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(str(NOTEBOOKS / "analyst_demo.ipynb"), as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
