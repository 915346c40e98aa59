"""What a run shows people: the map, the figures and the report page.

The last steps of :func:`sahel_geo.run`, apart from the analysis in
:mod:`sahel_geo.workflow.pipeline`: ``map.html`` (:func:`sahel_geo.make_map` with the run's
title, period and sources, and credits for every layer), ``figures/*.png`` (300 dpi,
with source credits; the spread as small multiples) and ``report.html``
(:func:`sahel_geo.present.report.write_report`: the key findings written from the
tables, the figures, the map and the main tables, self-contained and deterministic).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from sahel_geo.core.periods import Freq, period_label
from sahel_geo.core.raster import Raster
from sahel_geo.io._atomic import atomic_path
from sahel_geo.present.figures import (
    choropleth_figure,
    conflict_drought_figure,
    counts_by_country_figure,
    save_figure,
    spread_figure,
    spread_small_multiples,
)
from sahel_geo.present.maps import events_layer_mode, make_map
from sahel_geo.present.report import Citation, ReportInputs, event_citations, write_report
from sahel_geo.workflow.config import Config
from sahel_geo.workflow.inputs import RunInputs

__all__ = [
    "LevelResult",
    "Presentation",
    "draw_figures",
    "draw_map",
    "source_label",
    "write_report_page",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LevelResult:
    """One admin level's results that the map, figures, report and manifest need."""

    level: int
    layer: gpd.GeoDataFrame
    counts: pd.DataFrame
    arrival: pd.DataFrame
    climate: pd.DataFrame | None
    files: dict[str, Path]


@dataclass(frozen=True)
class Presentation:
    """What the map, figures and report of a run share: config, folder, periods, inputs."""

    cfg: Config
    folder: Path
    freq: Freq
    inputs: RunInputs


# choropleths the map offers beside the events, when the layer has the column
_MAP_LAYERS = (
    ("fatalities", "Fatalities"),
    ("civilian_fatalities", "Civilian fatalities"),
    ("first_year", "Spread: first year with events"),
    ("events_per_100k", "Events per 100k people"),
    ("change_pct", "Change in events, last period (%)"),
    ("spei_last_period", "Drought: mean SPEI, last period"),
    ("wasting_pct", "Wasting: mean prevalence per unit (%)"),
    ("gi_z", "Hot spots: Gi* z-score"),
)
_RASTER_LABELS = {
    "drought": "Drought raster: SPEI, last month",
    "wasting": "Wasting raster: prevalence (%)",
}
# the counts-by-country bars of a week run are by month (a bar per week is unreadable)
_FIGURE_FREQ: dict[str, Freq] = {
    "week": "month",
    "month": "month",
    "quarter": "quarter",
    "year": "year",
}
_SOURCE_NAMES = {"acled": "ACLED", "ucdp": "UCDP GED", "demo": "SYNTHETIC demo events"}


def source_label(events: pd.DataFrame) -> str:
    """Name the events' sources for titles and credit lines (e.g. ``"ACLED"``).

    Examples
    --------
    >>> source_label(pd.DataFrame({"source": ["ucdp", "acled", "ucdp"]}))
    'ACLED, UCDP GED'
    """
    values = events.get("source", pd.Series(dtype=object)).dropna().unique()
    found = sorted({str(s) for s in values})
    return ", ".join(_SOURCE_NAMES.get(s, s) for s in found) or "events"


def _subtitle(joined: pd.DataFrame, level: LevelResult, freq: Freq) -> str:
    """Return the period the run covers and its sources, e.g. ``"2012–2023 · ACLED"``."""
    periods = pd.DatetimeIndex(level.counts["period"]).dropna()
    span = ""
    if len(periods):
        first, last = period_label(periods[[0, -1]].sort_values(), freq)
        span = first if first == last else f"{first}–{last}"
    return " · ".join(p for p in (span, source_label(joined)) if p)


def _map_rasters(inputs: RunInputs) -> tuple[dict[str, Raster], dict[str, str]]:
    """Return the rasters the map overlays by label, and each one's source for its credit."""
    rasters: dict[str, Raster] = {}
    credits: dict[str, str] = {}
    for role, label in _RASTER_LABELS.items():
        raster = getattr(inputs, role)
        if raster is None:
            continue
        entry = next((e for e in inputs.entries if e.get("role") == role), {})
        rasters[label] = raster
        credits[label] = str(entry.get("note") or entry.get("path") or raster.source)
    return rasters, credits


def draw_map(
    look: Presentation, joined: gpd.GeoDataFrame, level: LevelResult
) -> tuple[Path, dict[str, Any]]:
    """Write ``map.html`` for the map level; return its path and the manifest's ``map``."""
    m = look.cfg["map"]
    limits = {k: m[k] for k in ("marker_limit", "cluster_limit", "aggregate")}
    mode = events_layer_mode(len(joined), mode=m["events_mode"], **limits)
    rasters, credits = _map_rasters(look.inputs)
    fmap = make_map(
        level.layer,
        value="events",
        events=joined,
        title=f"Events ({look.cfg['run']['title']})",
        subtitle=_subtitle(joined, level, look.freq),
        tiles=m["tiles"] or None,
        tiles_attribution=m["attribution"] or None,
        layers={c: label for c, label in _MAP_LAYERS if c in level.layer.columns},
        periods=level.counts,
        period_freq=look.freq,
        rasters=rasters,
        credits=credits,
        events_mode=m["events_mode"],
        hex_size_km=m["hex_size_km"],
        assets=m["assets"],
        **limits,
    )
    path = look.folder / "map.html"
    with atomic_path(path) as tmp:
        fmap.save(str(tmp))
    logger.info("run: map written, events drawn as %s", mode)
    info = {"events": len(joined), "events_mode": mode, **limits, "assets": m["assets"]}
    return path, info


def draw_figures(
    look: Presentation, joined: gpd.GeoDataFrame, level: LevelResult
) -> dict[str, Path]:
    """Draw and save the figures of the map level; return ``{name: path}``."""
    title, lv, layer = look.cfg["run"]["title"], level.level, level.layer
    source = source_label(joined)
    figs = {
        "figure_choropleth": (
            choropleth_figure(
                layer, "events", title=f"Events per admin-{lv} unit\n{title}", source=source
            ),
            "choropleth_events.png",
        ),
        "figure_counts_by_country": (
            counts_by_country_figure(
                joined, freq=_FIGURE_FREQ[look.freq], title=f"Events by country\n{title}"
            ),
            "counts_by_country.png",
        ),
        "figure_spread": (
            spread_figure(
                layer, level.arrival, title=f"First arrival of violence\n{title}", source=source
            ),
            "spread_first_arrival.png",
        ),
        "figure_spread_small_multiples": (
            spread_small_multiples(
                layer,
                level.counts,
                freq=look.freq,
                title=f"Spread of violence\n{title}",
                source=source,
            ),
            "spread_small_multiples.png",
        ),
    }
    if level.climate is not None:
        figs["figure_conflict_drought"] = (
            conflict_drought_figure(level.climate, title=f"Conflict and drought\n{title}"),
            "conflict_drought.png",
        )
    return {
        name: save_figure(fig, look.folder / "figures" / fname)
        for name, (fig, fname) in figs.items()
    }


_FIGURE_CAPTIONS = {
    "figure_choropleth": "Events per unit",
    "figure_counts_by_country": "Events by country",
    "figure_spread": "First arrival",
    "figure_spread_small_multiples": "Spread by period",
    "figure_conflict_drought": "Conflict and drought",
}


def write_report_page(
    look: Presentation,
    joined: gpd.GeoDataFrame,
    level: LevelResult,
    files: Mapping[str, Path],
    *,
    shares: pd.DataFrame,
) -> Path:
    """Write ``report.html``: the findings, figures, map and tables of the map level.

    ``shares`` is the run's :func:`sahel_geo.country_shares` of ``joined`` (computed
    once, for ``tables/country_shares.csv`` too).
    """
    layer = level.layer
    hotspots = None
    if "gi_z" in layer.columns:
        hotspots = pd.DataFrame(layer[["pcode", "gi_z"]]).rename(columns={"pcode": "unit"})
    inputs = [
        *event_citations(joined),
        *(Citation(str(e["role"]), str(e.get("note") or e["path"])) for e in look.inputs.entries),
    ]
    report = ReportInputs(
        title=look.cfg["run"]["title"],
        subtitle=_subtitle(joined, level, look.freq),
        counts=level.counts,
        freq=look.freq,
        units=look.inputs.units[level.level],
        first_arrival=level.arrival,
        country_shares=shares,
        conflict_drought=level.climate,
        hotspots=hotspots,
        inputs=inputs,
        figures={cap: files[name] for name, cap in _FIGURE_CAPTIONS.items() if name in files},
        map_html=files.get("map"),
    )
    return write_report(report, look.folder / "report.html")
