from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sahel_geo.analysis.typology import conflict_climate_table, unit_typology
from sahel_geo.core.errors import SchemaError


def _counts() -> pd.DataFrame:
    periods = pd.date_range("2020-01-01", periods=4, freq="MS")
    return pd.DataFrame(
        {
            "unit": ["A"] * 4 + ["B"] * 4,
            "period": list(periods) * 2,
            "events": [0, 6, 6, 20, 3, 3, 2, 3],
        }
    )


def _drought() -> pd.DataFrame:
    c = _counts()[["unit", "period"]]
    return c.assign(spei=[0.1, -0.4, -1.3, -2.0, 0.5, 0.4, -1.1, 0.0])


def test_table_lags_and_wasting_asof() -> None:
    wasting = pd.DataFrame(
        {
            "unit": ["A", "A", "B"],
            "period": pd.to_datetime(["2019-07-01", "2020-03-01", "2021-01-01"]),
            "wasting": [9.0, 14.0, 20.0],
        }
    )
    t = conflict_climate_table(_counts(), _drought(), wasting, lags=(0, 2))
    a = t[t.unit == "A"]
    assert a["spei_lag0"].tolist() == [0.1, -0.4, -1.3, -2.0]
    assert a["spei_lag2"].tolist()[2:] == [0.1, -0.4] and a["spei_lag2"].isna().tolist()[:2] == [
        True,
        True,
    ]
    assert a["wasting"].tolist() == [9.0, 9.0, 14.0, 14.0]
    assert t[t.unit == "B"]["wasting"].isna().all()  # B's survey is later than every period
    assert t["events"].tolist() == _counts()["events"].tolist()
    assert len(t) == len(_counts())


def test_typology_exact() -> None:
    wasting = pd.DataFrame(
        {"unit": ["A", "B"], "period": pd.to_datetime(["2019-01-01"] * 2), "wasting": [12.0, 5.0]}
    )
    t = conflict_climate_table(_counts(), _drought(), wasting, lags=(0,))
    out = unit_typology(t, baseline_periods=1)
    a = out[out.unit == "A"]["type"].tolist()
    # A: 0 -> 6 is new (above the low-baseline limit), 6 -> 6 flat, 6 -> 20 +233 %
    assert a == [
        "high wasting",
        "rising conflict + high wasting",
        "drought + high wasting",
        "rising conflict + drought + high wasting",
    ]
    b = out[out.unit == "B"]["type"].tolist()
    assert b == ["none", "none", "drought", "none"]  # 2 -> 3 is a low baseline, not a rise
    strict = unit_typology(t, baseline_periods=1, wasting_threshold=15.0, drought_threshold=-1.5)
    assert strict[strict.unit == "A"]["type"].tolist()[-1] == "rising conflict + drought"


def test_typology_without_wasting_and_bad_inputs() -> None:
    t = conflict_climate_table(_counts(), _drought(), None, lags=(0,))
    out = unit_typology(t, baseline_periods=1)
    assert not out["high_wasting"].any()
    dup = pd.concat([_drought(), _drought().iloc[:1]])
    with pytest.raises(SchemaError, match="several rows"):
        conflict_climate_table(_counts(), dup)
    with pytest.raises(SchemaError):
        conflict_climate_table(_counts(), _drought().drop(columns="spei"))
    with pytest.raises(SchemaError):
        conflict_climate_table(_counts(), _drought(), lags=(-1,))
    assert np.isnan(out["change_pct"].iloc[0])


def test_typology_low_baseline_and_its_deprecated_keywords() -> None:
    t = conflict_climate_table(_counts(), _drought(), None, lags=(0,))
    default = unit_typology(t, baseline_periods=1)
    pd.testing.assert_frame_equal(
        default, unit_typology(t, baseline_periods=1, low_baseline=(2, 5))
    )
    loose = unit_typology(t, baseline_periods=1, low_baseline=(0.0, 0.0))
    with pytest.warns(FutureWarning, match=r"min_baseline=.*removed in sahel_geo 0\.3\.0"):
        old = unit_typology(t, baseline_periods=1, min_baseline=0.0, min_current=0.0)
    pd.testing.assert_frame_equal(loose, old)
    with pytest.warns(FutureWarning, match=r"min_current=.*low_baseline"):
        old_one = unit_typology(t, baseline_periods=1, min_current=5.0)
    pd.testing.assert_frame_equal(default, old_one)
    with pytest.raises(TypeError, match="not both"):
        unit_typology(t, low_baseline=(1, 1), min_baseline=0.0)
