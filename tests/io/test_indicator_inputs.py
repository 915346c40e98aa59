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


def test_latin1_table_read_like_the_events_reader(tmp_path: Path) -> None:
    # Latin-1 bytes (é = 0xE9) are not UTF-8: read as cp1252 with the events reader's
    # warning, never a UnicodeDecodeError; cells stay text until numbers are parsed
    p = tmp_path / "ind.csv"
    p.write_bytes("ADM1_FR,pcode,population\nSégou,ML04,3000000\n".encode("latin-1"))
    with pytest.warns(sg.SahelGeoWarning, match=r"ind\.csv is not UTF-8; read it as cp1252"):
        t = sg.read_indicators(p, boundaries=ADM1)
    assert t["ADM1_FR"].tolist() == ["Ségou"] and t["population"].tolist() == [3000000]
    assert t["boundary_name"].tolist() == ["Ségou"]
    assert t["pcode"].tolist() == ["ML04"]  # text, not a number


def test_utf16_semicolon_table_and_text_cells(tmp_path: Path) -> None:
    # Excel "Unicode text" (UTF-16, tab) and a semicolon export with a decimal comma
    p = tmp_path / "ind.txt"
    p.write_bytes("ADM1_FR\tcode\tpopulation\r\nGao\t007\t544120\r\n".encode("utf-16"))
    t = sg.read_indicators(p)
    assert t["code"].tolist() == [7] and t["population"].tolist() == [544120]
    q = tmp_path / "ind.csv"
    q.write_text("ADM1_FR;pcode;rate\nGao;ML07;12,5\n", encoding="utf-8")
    t = sg.read_indicators(q)
    assert t["pcode"].tolist() == ["ML07"] and t["rate"].tolist() == [12.5]


def test_indicator_path_errors(tmp_path: Path) -> None:
    with pytest.raises(sg.InputFileError, match=r"read_indicators: expected the path .* got "):
        sg.read_indicators(None)  # type: ignore[arg-type]
    p = tmp_path / "dup.csv"
    p.write_text("ADM1_FR,pop,pop\nGao,1,2\n", encoding="utf-8")
    with pytest.raises(sg.SchemaError, match=r"'pop' in columns 2 \(B\) and 3 \(C\)"):
        sg.read_indicators(p)
