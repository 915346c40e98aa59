"""Every frame the public API returns survives GeoParquet/Parquet, step reports included.

geopandas and pandas write ``df.attrs`` into the file's metadata as JSON, so a frame
holding anything else there cannot be written at all. Each case builds a small real
result, writes it with ``to_parquet``, reads it back and compares: same values, dtypes,
index and the same step reports (``sg.reports``) and rejects (``sg.rejects``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import sahel_geo as sg


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    events = sg.demo_events(n=400, seed=4)
    adm1 = sg.load_boundaries(level=1)
    adm2 = sg.load_boundaries(level=2, countries=["BFA"])
    joined = sg.assign_admin(events, adm1)
    counts = sg.aggregate(joined, unit="adm1_pcode", freq="year", units=list(adm1["pcode"]))
    return {"events": events, "adm1": adm1, "adm2": adm2, "joined": joined, "counts": counts}


def _spei_monthly(d: dict[str, Any]) -> pd.DataFrame:
    z = sg.zonal_stats(d["adm1"], sg.demo_spei(seed=1, res=0.5), stats=("mean",)).reset_index()
    z["period"] = z["time"].dt.to_period("Y").dt.to_timestamp()
    out = z.groupby(["pcode", "period"], as_index=False)["mean"].mean()
    return out.rename(columns={"pcode": "unit", "mean": "spei"})


CASES: dict[str, Callable[[dict[str, Any]], pd.DataFrame]] = {
    "read_acled": lambda d: sg.read_acled(sg.demo_acled_table(n=200, seed=2)),
    "demo_events": lambda d: d["events"],
    "load_boundaries": lambda d: d["adm1"],
    "assign_admin": lambda d: d["joined"],
    "aggregate": lambda d: d["counts"],
    "aggregate_by_group": lambda d: sg.aggregate(
        d["joined"], unit="adm1_pcode", freq="quarter", by="perpetrator_group"
    ),
    "period_change": lambda d: sg.period_change(d["counts"], value="events"),
    "first_arrival": lambda d: sg.first_arrival(d["counts"], k=1),
    "expansion_relocation.units": lambda d: sg.expansion_relocation(d["counts"], d["adm1"]).units,
    "expansion_relocation.periods": lambda d: (
        sg.expansion_relocation(d["counts"], d["adm1"]).periods
    ),
    "country_shares": lambda d: sg.country_shares(d["joined"], freq="year"),
    "centroid_movement": lambda d: sg.centroid_movement(d["events"], freq="year"),
    "zonal_stats": lambda d: sg.zonal_stats(
        d["adm1"], sg.demo_wasting(seed=1), stats=("mean", "count", "majority")
    ),
    "zonal_stats_stack": lambda d: sg.zonal_stats(d["adm1"], sg.demo_spei(seed=1, res=0.5)),
    "zonal_cells": lambda d: sg.zonal_cells(d["adm2"].head(2), sg.demo_wasting(seed=1)),
    "values_at_events": lambda d: sg.values_at_events(
        d["events"], sg.demo_spei(seed=1, res=0.5), time_match="period"
    ),
    "conflict_climate_table": lambda d: sg.conflict_climate_table(
        d["counts"], _spei_monthly(d), lags=(0, 1)
    ),
    "make_grid": lambda d: sg.make_grid(d["adm2"], spec=sg.GridSpec.hexagons(25.0)),
    "getis_ord": lambda d: (
        sg.getis_ord(
            d["adm1"], np.arange(len(d["adm1"]), dtype=float), permutations=9, seed=1
        ).table
    ),
    "knox_local": lambda d: sg.knox_local(d["events"].head(150), distance_km=50, days=30),
    "rejects": lambda d: sg.rejects(d["joined"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_parquet_round_trip(name: str, data: dict[str, Any], tmp_path: Path) -> None:
    frame = CASES[name](data)
    assert isinstance(frame, pd.DataFrame), type(frame)
    path = tmp_path / f"{name}.parquet"
    frame.to_parquet(path)
    back = gpd.read_parquet(path) if isinstance(frame, gpd.GeoDataFrame) else pd.read_parquet(path)
    assert type(back) is type(frame)
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    assert [r.to_dict() for r in sg.reports(back)] == [r.to_dict() for r in sg.reports(frame)]
    if sg.reports(frame):
        pd.testing.assert_frame_equal(
            sg.rejects(back).astype(str), sg.rejects(frame).astype(str), check_dtype=False
        )
