"""make_map counts the events per unit itself: by the units' own level, whatever else the
events carry."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo.analysis import join
from sahel_geo.present.maps import make_map


@pytest.fixture(scope="module")
def events() -> gpd.GeoDataFrame:
    ev = sg.demo_events(n=3000, seed=11)
    return ev[ev["country_iso3"] == "BFA"].reset_index(drop=True)


def _counted(fmap: Any, value: str) -> pd.Series:
    """The values the map's first choropleth shows, by P-code, read from its GeoJSON."""
    layer = next(c for c in fmap._children.values() if type(c).__name__ == "GeoJson")
    shown = {f["properties"]["pcode"]: f["properties"]["_shown"] for f in layer.data["features"]}
    return pd.Series({k: float(v.replace(",", "")) for k, v in shown.items()}, name=value)


def _expected(joined: gpd.GeoDataFrame, units: gpd.GeoDataFrame, value: str) -> pd.Series:
    w = joined[value] if value == "fatalities" else pd.Series(1, index=joined.index)
    sums = w.groupby(joined["adm2_pcode"]).sum()
    return sums.reindex(units["pcode"]).fillna(0).astype(float)


@pytest.mark.parametrize("value", ["events", "fatalities"])
def test_events_joined_at_another_level_count_at_the_units_level(
    events: gpd.GeoDataFrame, value: str
) -> None:
    adm1 = sg.load_boundaries(level=1, countries=["BFA"])
    adm2 = sg.load_boundaries(level=2)
    at_adm1 = sg.assign_admin(events, adm1)  # carries adm1_pcode, not adm2_pcode
    expected = _expected(sg.assign_admin(events, adm2), adm2, value)
    assert expected.sum() > 100
    counted = _counted(make_map(adm2, value=value, events=at_adm1, basemap=False), value)
    pd.testing.assert_series_equal(
        counted.reindex(adm2["pcode"]), expected, check_names=False, check_index_type=False
    )
    # events joined at both levels: the admin-2 column is used as it is
    both = sg.assign_admin(at_adm1, adm2)
    counted = _counted(make_map(adm2, value=value, events=both, basemap=False), value)
    pd.testing.assert_series_equal(
        counted.reindex(adm2["pcode"]), expected, check_names=False, check_index_type=False
    )


def test_weights_come_with_the_joined_events(
    events: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the join drops events (coarse ones), codes and weights still pair up."""
    real = join.assign_admin
    dropping = lambda ev, units: real(ev, units, coarse="drop")  # noqa: E731
    monkeypatch.setattr(join, "assign_admin", dropping)
    adm2 = sg.load_boundaries(level=2)
    joined = dropping(events, adm2)
    assert len(joined) < len(events) and np.nansum(joined["fatalities"]) > 0
    counted = _counted(make_map(adm2, value="fatalities", events=events, basemap=False), "f")
    pd.testing.assert_series_equal(
        counted.reindex(adm2["pcode"]),
        _expected(joined, adm2, "fatalities"),
        check_names=False,
        check_index_type=False,
    )


def test_fatalities_without_a_fatalities_column_are_refused() -> None:
    adm1 = sg.load_boundaries(level=1)
    events = sg.demo_events(n=50, seed=2).drop(columns=["fatalities"])
    with pytest.raises(sg.SchemaError, match="no 'fatalities' column"):
        sg.make_map(adm1, value="fatalities", events=events)
