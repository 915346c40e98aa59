"""Runs end to end (run layer): the demo analysis and, later, config-driven runs.

A run writes one output folder. Every file is written atomically (a temporary file in
the same folder, then a rename), so an interrupted run leaves no half-written file.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from sahel_geo._report import rejects, reports
from sahel_geo.datasets import load_boundaries
from sahel_geo.demo import demo_events
from sahel_geo.io._atomic import atomic_path, atomic_write_text
from sahel_geo.io.geojson import write_geojson
from sahel_geo.join import assign_admin
from sahel_geo.maps import make_map
from sahel_geo.timeseries import aggregate

__all__ = ["RunResult", "run_demo", "unit_totals"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """What a run wrote and the counts behind it."""

    out: Path
    files: dict[str, Path] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [*self.summary, f"wrote {len(self.files)} files to {self.out}:"]
        lines += [f"  {name:<14} {path}" for name, path in self.files.items()]
        return "\n".join(lines)


def unit_totals(
    events: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *, unit_col: str
) -> gpd.GeoDataFrame:
    """Return ``units`` with ``events`` and ``fatalities`` totals (zeros included).

    Parameters
    ----------
    events
        Events with the unit column ``unit_col`` (from :func:`sahel_geo.assign_admin`).
    units
        Canonical boundaries whose ``pcode`` values ``unit_col`` holds.
    unit_col
        Column of ``events`` naming each event's unit, e.g. ``"adm1_pcode"``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``units`` in their order with integer ``events`` and ``fatalities`` columns.
    """
    per = aggregate(events, unit=unit_col, freq="year", units=list(units["pcode"]))
    totals = per.groupby("unit", sort=False)[["events", "fatalities"]].sum()
    out = units.copy()
    out["events"] = totals["events"].reindex(out["pcode"]).fillna(0).astype("int64").to_numpy()
    out["fatalities"] = (
        totals["fatalities"].reindex(out["pcode"]).fillna(0).astype("int64").to_numpy()
    )
    return out


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    text = frame.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d")
    return atomic_write_text(path, text)


def run_demo(out: str | os.PathLike[str], *, n: int = 5000, seed: int = 20120117) -> RunResult:
    """Run the demo analysis on SYNTHETIC demo events and bundled boundaries.

    Writes ``events.geojson`` (events with their admin-1 unit), ``admin1_counts.geojson``
    (admin-1 polygons with event and fatality totals), ``rejects.csv`` (every row that
    could not be used, with its reason) and ``map.html`` (a Folium map).

    Parameters
    ----------
    out
        Output folder (created if needed).
    n
        Number of demo rows, including 6 deliberately flawed ones.
    seed
        Seed of the demo generator: the same seed gives byte-identical files.

    Returns
    -------
    RunResult
        The files written and a summary of the counts.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    events = demo_events(n=n, seed=seed)
    adm1 = load_boundaries(level=1)
    joined = assign_admin(events, adm1)
    counts = unit_totals(joined, adm1, unit_col="adm1_pcode")
    files = {
        "events": write_geojson(joined, folder / "events.geojson"),
        "admin1_counts": write_geojson(counts, folder / "admin1_counts.geojson"),
        "rejects": _write_csv(rejects(joined), folder / "rejects.csv"),
    }
    fmap = make_map(counts, value="events", events=joined, title="Demo events (synthetic)")
    with atomic_path(folder / "map.html") as tmp:
        fmap.save(str(tmp))
    files["map"] = folder / "map.html"
    summary = [rep.summary() for rep in reports(joined)]
    return RunResult(out=folder, files=files, summary=summary)
