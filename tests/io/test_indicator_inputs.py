"""Indicator tables as they come: decimal commas, stray text, conflicting rows (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo.io.indicators import unit_values

ADM1 = sg.load_boundaries(1, countries=["MLI"])


def _csv(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "ind.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_decimal_comma_population_is_read(tmp_path: Path) -> None:
    p = _csv(
        tmp_path,
        'ADM1_FR,population,rate\nMopti,"2 036 209","12,5"\nGao,"544 120","7,25"\n'
        'Kidal,"67 739","0,5"\n',
    )
    t = sg.read_indicators(p, boundaries=ADM1)
    assert t["population"].tolist() == [2036209, 544120, 67739]
    assert t["rate"].tolist() == [12.5, 7.25, 0.5]
    notes = sg.reports(t)[-1].notes
    assert notes["decimal_comma_column=population"] == 3 and notes["decimal_comma_column=rate"] == 3


def test_mostly_numbers_with_text_warns_naming_rows(tmp_path: Path) -> None:
    p = _csv(tmp_path, "ADM1_FR,population\nMopti,2036209\nGao,n/a\nKidal,67739\n")
    with pytest.warns(
        sg.SahelGeoWarning,
        match=r"column 'population' holds numbers but 1 value\(s\) are not numbers "
        r"\(row 2: 'n/a'; data rows, 1-based\), so it is kept as text",
    ):
        t = sg.read_indicators(p, boundaries=ADM1)
    assert t["population"].tolist() == ["2036209", "n/a", "67739"]


def test_one_row_per_unit_or_an_error_naming_both_rows(tmp_path: Path) -> None:
    p = _csv(tmp_path, "ADM1_FR,population\nMopti,100\nGao,50\nMopti,100\n")
    values = unit_values(sg.read_indicators(p, boundaries=ADM1))
    assert values["population"].to_dict() == {"ML-5": 100, "ML-7": 50}
    p2 = _csv(tmp_path, "ADM1_FR,population\nMopti,100\nGao,50\nMopti,120\n")
    with pytest.raises(
        sg.SchemaError,
        match=r"Unit 'ML-5' appears in data rows 1 and 3 of the indicator table with different "
        r"values \(population: 100 vs 120\)",
    ):
        unit_values(sg.read_indicators(p2, boundaries=ADM1))
    with pytest.raises(sg.SchemaError, match="no 'boundary_pcode' column"):
        unit_values(pd.DataFrame({"population": [1]}))
