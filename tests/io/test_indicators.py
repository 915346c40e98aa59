from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from sahel_geo import InputFileError, SahelGeoWarning, SchemaError, reports
from sahel_geo.core.names import match_names, normalize_name
from sahel_geo.io.indicators import read_indicators

BOUNDS = pd.DataFrame(
    {
        "pcode": ["MLI-2688", "MLI-2809", "MLI-2810", "NER-4859", "BFA-2804", "BFA-2813"],
        "name": ["Timbuktu", "Mopti", "Ségou", "Tillabéri", "Mou Houn", "Kourwéogo"],
        "name_alt": ["Timbouctou|Tombouctou", None, None, None, None, None],
        "country_iso3": ["MLI", "MLI", "MLI", "NER", "BFA", "BFA"],
    }
)


def test_normalize_name():
    assert normalize_name("Région de Ségou") == "segou"
    assert normalize_name("TillabÃ©ri") == "tillaberi"
    assert normalize_name("Plateau-Central") == normalize_name("Plateau Central")
    assert normalize_name("MOPTI region") == "mopti"
    assert normalize_name(None) == ""


def test_match_names_alt_alias_ambiguous():
    got = match_names(
        ["Tombouctou", "Timbuktu", "mopti Region", "Mouhoun", "Nowhere"],
        BOUNDS["name"].tolist(),
        target_alt=BOUNDS["name_alt"].tolist(),
    )
    assert [m.target for m in got] == [0, 0, 1, 4, None]
    assert [m.how for m in got] == ["alt_name", "name", "name", "alias", "unmatched"]
    amb = match_names(["Centre"], ["Centre", "Centre"])
    assert amb[0].how == "ambiguous" and amb[0].target is None


def test_csv_with_hxl_row_and_names(tmp_path):
    p = tmp_path / "ind.csv"
    p.write_text(
        "admin1Pcode,admin1Name_fr,value\n#adm1+code,#adm1+name,#indicator+value\n"
        "ML06,Tombouctou,1.5\nML05,Mopti region,2\nNE06,TillabÃ©ri,3\nML99,Atlantis,4\n",
        encoding="utf-8",
    )
    with pytest.warns(SahelGeoWarning, match=r"Atlantis \(ML99"):
        out = read_indicators(p, boundaries=BOUNDS)
    assert out["value"].tolist() == [1.5, 2.0, 3.0, 4.0]
    assert out["boundary_pcode"].tolist()[:3] == ["MLI-2688", "MLI-2809", "NER-4859"]
    assert pd.isna(out["boundary_pcode"].iat[3])
    assert out["match"].tolist() == ["alt_name", "name", "name", "unmatched"]
    assert reports(out)[-1].notes == {"match=name": 2, "match=alt_name": 1, "match=unmatched": 1}


def test_csv_without_hxl_pcode_join_and_loose_codes(tmp_path):
    p = tmp_path / "ind.csv"
    p.write_text("PCODE,v\nMLI-2809,1\nML04,2\nML05,3\n", encoding="utf-8")
    b = BOUNDS.assign(pcode=["ML06", "MLI-2809", "ML004", "NE06", "BF4604", "BF5501"])
    with pytest.warns(SahelGeoWarning, match=r"<no name> \(ML05"):
        out = read_indicators(p, boundaries=b)
    assert out["match"].tolist() == ["pcode", "pcode_loose", "unmatched"]
    assert out["boundary_pcode"].tolist()[:2] == ["MLI-2809", "ML004"]
    assert out["v"].tolist() == [1, 2, 3]


def test_xlsx_and_errors(tmp_path):
    p = tmp_path / "cdi.xlsx"
    pd.DataFrame(
        {
            "ADMIN2PCOD": ["BF4604", "BF5502"],
            "ADMIN2NAME": ["Mouhoun", "Kourweogo"],
            "Mean CDI": [0.4, 0.6],
        }
    ).to_excel(p, index=False)
    out = read_indicators(p, boundaries=BOUNDS)
    assert out["boundary_pcode"].tolist() == ["BFA-2804", "BFA-2813"]
    assert out["Mean CDI"].tolist() == [0.4, 0.6]
    with pytest.raises(InputFileError, match="does not exist"):
        read_indicators(tmp_path / "missing.csv")
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="no P-code or name column"):
        read_indicators(bad)
    with pytest.raises(SchemaError, match="level"):
        read_indicators(p, level=1)


def _ne_admin1(shared_data):
    frames = []
    for c in ("mli", "ner", "bfa"):
        g = gpd.read_file(shared_data / "boundaries" / f"ne10m_admin1_{c}.geojson")
        g["country_iso3"] = c.upper()
        frames.append(g)
    z = pd.concat(frames, ignore_index=True)
    return z.rename(columns={"adm1_code": "pcode"})[["pcode", "name", "name_alt", "country_iso3"]]


def test_real_wfp_rainfall_joined_by_name_via_cdi_crosswalk(shared_data):
    ne = _ne_admin1(shared_data)
    cdi = read_indicators(shared_data / "indicators" / "wfp_cdi_adm2_waf_1981_2023.xlsx")
    names = cdi.drop_duplicates("ADMIN1PCOD").set_index("ADMIN1PCOD")["ADMIN1NAME"]
    out = read_indicators(
        shared_data / "indicators" / "wfp_rainfall_mali.csv",
        boundaries=ne[ne.country_iso3 == "MLI"],
        level=1,
        names=names,
    )
    lvl1 = out[out["admin_level"] == 1]
    assert (lvl1["match"] != "unmatched").all()
    got = lvl1.drop_duplicates("pcode").set_index("pcode")["boundary_name"].to_dict()
    assert got["ML06"] == "Timbuktu"  # Tombouctou via Natural Earth's name_alt
    assert got["ML04"] == "Ségou" and got["ML09"] == "Bamako"
    assert (out.loc[out["admin_level"] == 2, "match"] == "other_level").all()
    assert len(out) == 10207


def test_real_cdi_burkina_provinces_by_name(shared_data):
    ne = _ne_admin1(shared_data)
    bfa = ne[ne.country_iso3 == "BFA"]
    path = shared_data / "indicators" / "wfp_cdi_adm2_waf_1981_2023.xlsx"
    with pytest.warns(SahelGeoWarning, match="Mopti"):  # other countries' units: reported
        out = read_indicators(path, boundaries=bfa)
    sub = out[out["ADMIN0NAME"] == "Burkina Faso"]
    matched = sub.drop_duplicates("ADMIN2PCOD")
    assert matched["match"].value_counts().to_dict() == {"name": 42, "fuzzy": 2, "alias": 1}
