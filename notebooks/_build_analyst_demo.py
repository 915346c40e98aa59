"""Write notebooks/analyst_demo.ipynb from the cells below (outputs stripped).

Run ``python notebooks/_build_analyst_demo.py`` after editing the cells; the test suite
executes the notebook from top to bottom (tests/workflow/test_notebook.py).
"""

from __future__ import annotations

from pathlib import Path

import nbformat

CELLS: list[tuple[str, str]] = [
    (
        "markdown",
        "# Liptako-Gourma: conflict spread, drought and wasting (demo)\n\n"
        "An analyst's walk through `sahel_geo`: **load → join → overlay → spread → map → "
        "export**.\n\n"
        "**All data here are SYNTHETIC** (`sg.demo_events`, `sg.demo_spei`, `sg.demo_wasting`): "
        "they look like ACLED events and SPEI/wasting rasters but are not real. Replace "
        "them by `sg.read_acled(path)`, `sg.read_boundaries(path)` and "
        "`sg.open_raster(path)` for a real analysis.",
    ),
    (
        "code",
        "%matplotlib inline\n"
        "import tempfile\n"
        "from pathlib import Path\n\n"
        "import sahel_geo as sg\n"
        "\n"
        "OUT = Path(tempfile.mkdtemp(prefix='sahel-geo-notebook-'))\n"
        "sg.__version__",
    ),
    (
        "markdown",
        "## 1. Load\nEvents (with a report of every row that could not be used) "
        "and the bundled admin-1 boundaries of Mali, Burkina Faso and Niger.",
    ),
    (
        "code",
        "events = sg.demo_events(n=3000, seed=1)\n"
        "adm1 = sg.load_boundaries(level=1, countries=['MLI', 'BFA', 'NER'])\n"
        "for report in sg.reports(events):\n"
        "    print(report.summary())\n"
        "sg.rejects(events)[['row', 'reason', 'column']]",
    ),
    (
        "markdown",
        "## 2. Join\nEach event goes to exactly one admin-1 unit; events just "
        "outside every polygon are snapped (flagged) or reported as unassigned.",
    ),
    (
        "code",
        "joined = sg.assign_admin(events, adm1)\n"
        "print(sg.reports(joined)[-1].summary())\n"
        "joined['adm1_match'].value_counts()",
    ),
    (
        "markdown",
        "## 3. Overlay\nMean SPEI (drought) per unit and month, and mean wasting "
        "prevalence per unit (coverage-weighted zonal statistics).",
    ),
    (
        "code",
        "spei = sg.demo_spei(seed=1)\n"
        "wasting = sg.demo_wasting(seed=1)\n"
        "drought = sg.zonal_stats(adm1, spei, stats=('mean',))\n"
        "wasting_by_unit = sg.zonal_stats(adm1, wasting, stats=('mean',))\n"
        "spei, wasting_by_unit.head()",
    ),
    (
        "markdown",
        "## 4. Spread\nEvents per unit and year, first arrival, and newly affected "
        "units classed as expansion or relocation.",
    ),
    (
        "code",
        "counts = sg.aggregate(joined, unit='adm1_pcode', freq='year', "
        "units=list(adm1['pcode']))\n"
        "arrival = sg.first_arrival(counts)\n"
        "spread = sg.expansion_relocation(counts, adm1)\n"
        "spread.periods[['period', 'n_affected', 'n_new', 'n_expansion', 'n_relocation']]",
    ),
    (
        "code",
        "totals = counts.groupby('unit')['events'].sum()\n"
        "layer = adm1.assign(\n"
        "    events=totals.reindex(adm1['pcode']).fillna(0).to_numpy(),\n"
        "    wasting_pct=wasting_by_unit['mean'].reindex(adm1['pcode']).to_numpy(),\n"
        ")\n"
        "hot = sg.getis_ord(layer, layer['events'].to_numpy(float), permutations=99, seed=1)\n"
        "layer = layer.assign(gi_z=hot.table['z'].to_numpy())\n"
        "hot.table[['z', 'p_sim', 'cluster']].head()",
    ),
    (
        "markdown",
        "## 5. Map and figures\nThe map works offline (no tile server; Leaflet is "
        "inside the HTML). Switch layers in the top-right control; the slider recolours "
        "units by year.",
    ),
    (
        "code",
        "m = sg.make_map(\n"
        "    layer,\n"
        "    events=joined,\n"
        "    title='Events 2012-2023 (SYNTHETIC)',\n"
        "    layers={'wasting_pct': 'Wasting prevalence (%)', 'gi_z': 'Hot spots (Gi* z)'},\n"
        "    periods=counts,\n"
        "    rasters={'Drought (SPEI), last month': spei},\n"
        ")\n"
        "m",
    ),
    ("code", "sg.spread_figure(adm1, arrival, title='First arrival (SYNTHETIC)')"),
    (
        "code",
        "sg.choropleth_figure(\n"
        "    layer, 'wasting_pct', title='Wasting prevalence (SYNTHETIC)',\n"
        "    label='% of children under 5',\n"
        ")",
    ),
    (
        "markdown",
        "## 6. Export\nGeoJSON for QGIS, the map as HTML; or the whole analysis "
        "from a config file, with a manifest of every input and parameter.",
    ),
    (
        "code",
        "sg.write_geojson(layer, OUT / 'adm1_layer.geojson')\n"
        "m.save(str(OUT / 'map.html'))\n"
        "sorted(p.name for p in OUT.iterdir())",
    ),
    (
        "code",
        "result = sg.run_demo(OUT / 'run', n=1500)\nresult",
    ),
]


def main() -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, src) in enumerate(CELLS):
        cell = (
            nbformat.v4.new_markdown_cell(src)
            if kind == "markdown"
            else nbformat.v4.new_code_cell(src)
        )
        cell["id"] = f"cell-{i:02d}"
        nb.cells.append(cell)
    path = Path(__file__).with_name("analyst_demo.ipynb")
    nbformat.write(nb, str(path))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
