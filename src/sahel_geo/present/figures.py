"""Figures for reports (present layer): maps, counts over time, spread, drought.

Print-ready: 300 dpi by default (:data:`DPI`), drawn with fixed sizes and fonts (DejaVu
Sans, shipped with matplotlib) through matplotlib's object API (no pyplot state, no GUI
backend). Every figure function takes ``ax=`` to draw into an existing axes (a panel of
a larger figure) and returns the figure. Every chart has a legend; axes are labelled in
words (``Mean SPEI, same period``, not ``mean spei_lag0``).

Map figures are drawn in the equal-area CRS (ESRI:102022) over the bundled Natural Earth
context (:mod:`sahel_geo.present.basemap`) and carry a scale bar (its length measured on
the ellipsoid at the map's middle latitude), a north arrow, a source credit line and an
inset locator map; values are put into classes (:mod:`sahel_geo.present.classify`) with
a class legend that has a "No data" entry; years are categories labelled as years.

:func:`save_figure` writes PNG, SVG or PDF by the file's suffix, deterministically (PNG
without ``Software``/date chunks, SVG with a fixed hash salt and no date, PDF without
``CreationDate``/``Producer``), atomically.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from pyproj import Geod, Transformer

from sahel_geo.core.errors import FigureFormatError, SchemaError
from sahel_geo.core.periods import Freq, period_label
from sahel_geo.core.schema import EQUAL_AREA_CRS
from sahel_geo.core.validation import check_columns
from sahel_geo.io._atomic import atomic_write_bytes
from sahel_geo.present.basemap import BASEMAP_CREDIT, draw_basemap, load_basemap
from sahel_geo.present.classify import (
    NO_DATA_COLOUR,
    Classes,
    LayerStyle,
    classes_for,
    human_label,
    year_classes,
)

__all__ = [
    "DPI",
    "FORMATS",
    "FigureFormatError",
    "choropleth_figure",
    "conflict_drought_figure",
    "counts_by_country_figure",
    "save_figure",
    "spread_figure",
    "spread_small_multiples",
]

DPI = 300
#: The formats :func:`save_figure` writes, by file suffix.
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
_SIZE = (8.0, 6.0)
_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "svg.hashsalt": "sahel_geo",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "axes.titlesize": 12,
    "path.simplify": True,
}
_MAX_COUNTRIES = 8
# Okabe-Ito, colour-blind safe
_COUNTRY_COLOURS = {"MLI": "#009E73", "BFA": "#D55E00", "NER": "#0072B2"}
_OTHER_COLOURS = ("#E69F00", "#56B4E9", "#CC79A7", "#F0E442", "#000000", "#999999")
_SKEW = 100.0  # largest / smallest non-zero count from which counts get a log scale


@contextmanager
def _style() -> Iterator[None]:
    with rc_context(_STYLE):  # type: ignore[arg-type]
        yield


class _Canvas(FigureCanvasAgg):
    """An Agg canvas that draws only when saved (or asked with ``draw()``).

    geopandas' ``plot`` ends with ``canvas.draw_idle()``, which on a plain Agg canvas
    draws the whole figure at once: a figure of 12 map panels was drawn 12 times over
    (78 of 81 % of the small multiples' time). The figures here are drawn once, by
    ``savefig`` or by a notebook's display.
    """

    def draw_idle(self, *args: Any, **kwargs: Any) -> None:
        """Skip: the figure is drawn when it is saved or shown."""


def _new_axes(ax: Axes | None, size: tuple[float, float] = _SIZE) -> tuple[Figure, Axes]:
    """Return the figure and axes to draw on: ``ax``'s, or a new figure of ``size`` inches."""
    if ax is not None:
        fig = ax.get_figure()
        if not isinstance(fig, Figure):  # pragma: no cover - a SubFigure
            raise SchemaError("figures: ax must belong to a matplotlib Figure.")
        return fig, ax
    fig = Figure(figsize=size, dpi=DPI)
    _Canvas(fig)
    return fig, fig.add_subplot()


def _tight(fig: Figure, own: bool) -> None:
    """Tight layout of a figure this module made (never of a caller's figure)."""
    if not own:
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Tight layout not applied", category=UserWarning)
        fig.tight_layout()


# --- map furniture ---------------------------------------------------------------------


def _nice_km(km: float) -> float:
    """Return the largest 1, 2 or 5 x 10^n not above ``km``."""
    if km <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(km))
    return float(max(m * exp for m in (1, 2, 5) if m * exp <= km))


def scale_bar_km(crs: object, extent: tuple[float, float, float, float]) -> tuple[float, float]:
    """Return a scale bar for a map in ``crs``: its length in km and in map units.

    The length is measured on the WGS 84 ellipsoid along the map's middle latitude, so it
    is right where the reader looks, whatever the projection's scale factor there.

    Examples
    --------
    >>> km, units = scale_bar_km("EPSG:4326", (-5.0, 10.0, 5.0, 20.0))
    >>> km, round(units, 3)
    (200.0, 1.86)
    """
    minx, miny, maxx, maxy = extent
    to_geo = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    ymid = (miny + maxy) / 2
    lon0, lat0 = to_geo.transform(minx, ymid)
    lon1, lat1 = to_geo.transform(maxx, ymid)
    _, _, width_m = Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)
    km_per_unit = width_m / 1000.0 / (maxx - minx)
    km = _nice_km(width_m / 1000.0 / 4)
    return km, km / km_per_unit


def _map_furniture(ax: Axes, *, crs: object, credit: str) -> None:
    """Scale bar, north arrow and credit line on a map axes."""
    minx, maxx = ax.get_xlim()
    miny, maxy = ax.get_ylim()
    km, length = scale_bar_km(crs, (minx, miny, maxx, maxy))
    w, h = maxx - minx, maxy - miny
    x0, y0 = minx + 0.04 * w, miny + 0.05 * h
    for i in range(2):
        ax.add_patch(
            Rectangle(
                (x0 + i * length / 2, y0),
                length / 2,
                0.012 * h,
                facecolor="#222222" if i == 0 else "white",
                edgecolor="#222222",
                linewidth=0.6,
                zorder=6,
            )
        )
    ax.annotate(f"{km:,.0f} km", (x0 + length, y0 + 0.02 * h), fontsize=7, zorder=6, ha="right")
    ax.annotate("0", (x0, y0 + 0.02 * h), fontsize=7, zorder=6)
    ax.annotate(
        "N",
        xy=(maxx - 0.05 * w, maxy - 0.05 * h),
        xytext=(maxx - 0.05 * w, maxy - 0.15 * h),
        ha="center",
        va="center",
        fontsize=9,
        fontweight="bold",
        zorder=6,
        arrowprops={"arrowstyle": "-|>", "color": "#222222", "linewidth": 1.2},
    )
    ax.annotate(
        credit,
        (0.0, -0.01),
        xycoords="axes fraction",
        va="top",
        fontsize=6.5,
        color="#444444",
    )


def _locator_inset(ax: Axes, *, crs: object, extent: tuple[float, float, float, float]) -> None:
    """Add an inset of the wider region (bundled countries), the map's extent outlined."""
    inset = ax.inset_axes((0.78, 0.02, 0.2, 0.2))
    countries = load_basemap().countries.to_crs(crs)
    countries.plot(ax=inset, color="#e6e2da", edgecolor="#999999", linewidth=0.3)
    minx, miny, maxx, maxy = extent
    inset.add_patch(
        Rectangle(
            (minx, miny), maxx - minx, maxy - miny, fill=False, edgecolor="#d7301f", linewidth=1.0
        )
    )
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel("")
    inset.set_ylabel("")
    inset.set_facecolor("white")
    inset.set_title("Location", fontsize=6, pad=1)


def _map_frame(ax: Axes, data: gpd.GeoDataFrame, *, credit: str) -> None:
    """Basemap under, then furniture and inset over, a map of ``data`` (its CRS)."""
    minx, miny, maxx, maxy = (float(v) for v in data.total_bounds)
    pad_x, pad_y = 0.04 * (maxx - minx), 0.04 * (maxy - miny)
    extent = (minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y)
    draw_basemap(ax, crs=data.crs, extent=extent)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    _map_furniture(ax, crs=data.crs, credit=credit)
    _locator_inset(ax, crs=data.crs, extent=extent)


def _class_legend(ax: Axes, classes: Classes, *, title: str) -> None:
    """Add a legend of class swatches, "No data" last when a value is missing."""
    handles = [
        Patch(facecolor=c, edgecolor="#555555", linewidth=0.4, label=label)
        for c, label in classes.legend()
    ]
    ax.legend(
        handles=handles, title=title, loc="upper left", fontsize=7, title_fontsize=8, framealpha=0.9
    )


def _draw_classes(ax: Axes, data: gpd.GeoDataFrame, classes: Classes) -> None:
    """Fill the units with their class colours (missing: hatched grey), no axis labels."""
    colours = classes.colour_list()
    missing = classes.codes < 0
    data.plot(ax=ax, color=colours, edgecolor="#333333", linewidth=0.4, zorder=1)
    if missing.any():
        data.loc[missing].plot(
            ax=ax,
            color=NO_DATA_COLOUR,
            edgecolor="#333333",
            hatch="///",
            linewidth=0.4,
            zorder=1,
        )
    ax.set_xlabel("")  # geopandas labels the axes with the CRS's names: a map needs none
    ax.set_ylabel("")


def _credit(source: str | None) -> str:
    return f"Source: {source}. {BASEMAP_CREDIT}." if source else f"{BASEMAP_CREDIT}."


# --- figures ---------------------------------------------------------------------------


def choropleth_figure(
    units: gpd.GeoDataFrame,
    column: str,
    *,
    title: str,
    label: str | None = None,
    style: LayerStyle | None = None,
    source: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Draw a classed choropleth of ``column`` per unit, with a class legend and map furniture.

    Drawn in the equal-area CRS (ESRI:102022) over Natural Earth context, with a scale
    bar, north arrow, credit line and locator inset. Units with no value are hatched grey
    under a "No data" legend entry.

    Parameters
    ----------
    units
        Units (EPSG:4326) with the numeric ``column``.
    column
        Column to colour by.
    title
        Figure title.
    label
        Legend title (default: the style's label, else the column in words).
    style
        Classes and colours (:class:`~sahel_geo.present.classify.LayerStyle`): scheme
        (quantiles, natural breaks, equal interval, user breaks), a midpoint for a
        diverging palette. Default: the known style of ``column``, else quantiles.
    source
        Data source for the credit line (``"ACLED"``, ``"UCDP GED 24.1"``).
    ax
        Draw into this axes instead of a new 8 x 6 inch figure.

    Returns
    -------
    matplotlib.figure.Figure
        Save it with :func:`save_figure`.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> fig = choropleth_figure(sg.load_boundaries(level=1).assign(v=1.0), "v", title="t")
    >>> fig.get_size_inches().tolist()
    [8.0, 6.0]
    """
    from sahel_geo.present.classify import KNOWN_STYLES

    if column not in units.columns:
        raise SchemaError(
            f"choropleth_figure: missing column {column!r} to colour the units; "
            f"found {list(units.columns)}."
        )
    style = style or KNOWN_STYLES.get(column) or LayerStyle(human_label(column))
    with _style():
        fig, ax = _new_axes(ax)
        data = units.to_crs(EQUAL_AREA_CRS)
        vals = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)
        classes = classes_for(vals, style)
        _map_frame(ax, data, credit=_credit(source))
        _draw_classes(ax, data, classes)
        _class_legend(ax, classes, title=label or style.label)
        ax.set_title(title)
        _tight(fig, ax is fig.axes[0] and len(fig.axes) <= 2)
    return fig


def _country_table(events: pd.DataFrame, freq: Freq) -> pd.DataFrame:
    """Events per period (rows) and country (columns), the largest 7 + ``other`` beyond 8."""
    ok = events["event_date"].notna()
    rule = {"week": "W", "month": "M", "quarter": "Q", "year": "Y"}[freq]
    table = (
        events.loc[ok]
        .assign(period=events.loc[ok, "event_date"].dt.to_period(rule).dt.start_time)
        .groupby(["period", "country_iso3"])
        .size()
        .unstack(fill_value=0)
        .sort_index()
    )
    if table.shape[1] > _MAX_COUNTRIES:  # the largest countries, the rest summed
        top = table.sum().sort_values(ascending=False, kind="stable").index[: _MAX_COUNTRIES - 1]
        rest = table.drop(columns=top).sum(axis=1)
        table = table[sorted(top)].assign(other=rest)
    return table


def _skewed(values: Any) -> bool:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    return bool(v.size and v.max() / v.min() >= _SKEW)


def counts_by_country_figure(
    events: pd.DataFrame,
    *,
    freq: str = "year",
    title: str = "Events by country",
    log: bool | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Draw events per period, one line per country (``country_iso3``), with a legend.

    With more than 8 countries, the 7 with most events are drawn and the rest summed as
    ``other``. Periods are labelled as periods (``2012``, ``2012-Q1``).

    Parameters
    ----------
    events
        Events with ``event_date`` and ``country_iso3``.
    freq
        ``"week"``, ``"month"``, ``"quarter"`` or ``"year"``.
    title
        Figure title.
    log
        Log y axis; None (default) when the counts are skewed (the largest non-zero
        count at least 100 times the smallest).
    ax
        Draw into this axes.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> fig = counts_by_country_figure(sg.demo_events(n=100, seed=1))
    >>> fig.axes[0].get_title()
    'Events by country'
    """
    check_columns(events, ["event_date", "country_iso3"], what="counts_by_country_figure: events")
    if freq not in ("week", "month", "quarter", "year"):
        raise SchemaError(
            f"counts_by_country_figure: freq must be week, month, quarter or year, not {freq!r}."
        )
    table = _country_table(events, freq)  # type: ignore[arg-type]
    order = [c for c in sorted(table.columns) if c != "other"]
    order += ["other"] if "other" in table.columns else []
    with _style():
        fig, ax = _new_axes(ax, (8.0, 4.5))
        x = np.arange(len(table))
        spare = iter(_OTHER_COLOURS)
        for country in order:
            colour = _COUNTRY_COLOURS.get(str(country)) or next(spare, None)
            ax.plot(
                x,
                table[country].to_numpy(),
                marker="o",
                markersize=3,
                label=str(country),
                color=colour,
            )
        labels = [str(v) for v in period_label(pd.DatetimeIndex(table.index), freq)]  # type: ignore[arg-type]
        step = max(1, len(labels) // 12)
        ax.set_xticks(x[::step], labels[::step], rotation=45 if step > 1 or len(x) > 8 else 0)
        use_log = _skewed(table.to_numpy()) if log is None else log
        if use_log:
            ax.set_yscale("symlog", linthresh=1)
        ax.set_ylim(bottom=0)  # counts: no negative axis (symlog would draw one)
        ax.set_title(title)
        ax.set_xlabel(freq.capitalize())
        ax.set_ylabel(f"Events per {freq}" + (" (log scale)" if use_log else ""))
        ax.grid(alpha=0.3)
        ax.legend(title="Country", loc="upper left", bbox_to_anchor=(1.01, 1.0))  # off the lines
        _tight(fig, True)
    return fig


def spread_figure(
    units: gpd.GeoDataFrame,
    arrival: pd.DataFrame,
    *,
    title: str = "First arrival of violence",
    source: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Map each unit's first year with events (:func:`sahel_geo.first_arrival`).

    One category per arrival year, labelled as a year and coloured by its place in the
    whole span (a gap between years shows as a jump in colour); units never reached are
    "Not reached". Map furniture as :func:`choropleth_figure`.

    Parameters
    ----------
    units
        Units with ``pcode``.
    arrival
        The first-arrival table (``unit``, ``first_period``: dates or period labels).
    title
        Figure title.
    source
        Data source for the credit line.
    ax
        Draw into this axes.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> adm = sg.load_boundaries(level=1)
    >>> arr = pd.DataFrame({"unit": adm["pcode"], "first_period": pd.Timestamp("2015-01-01")})
    >>> spread_figure(adm, arr).axes[0].get_title()
    'First arrival of violence'
    """
    check_columns(units, ["pcode"], what="spread_figure: units")
    check_columns(
        arrival,
        ["unit", "first_period"],
        what="spread_figure: the arrival table",
        source="sahel_geo.first_arrival",
    )
    first = arrival.set_index("unit")["first_period"]
    years = _years(first.reindex(units["pcode"]))
    classes = year_classes(years)
    with _style():
        fig, ax = _new_axes(ax)
        data = units.to_crs(EQUAL_AREA_CRS)
        _map_frame(ax, data, credit=_credit(source))
        _draw_classes(ax, data, classes)
        handles = [
            Patch(facecolor=c, edgecolor="#555555", linewidth=0.4, label=t)
            for c, t in zip(classes.colours, classes.labels, strict=True)
        ]
        if (classes.codes < 0).any():
            handles.append(
                Patch(
                    facecolor=NO_DATA_COLOUR, edgecolor="#555555", hatch="///", label="Not reached"
                )
            )
        ax.legend(
            handles=handles,
            title="First year with events",
            loc="upper left",
            fontsize=7,
            title_fontsize=8,
            ncols=2 if len(handles) > 10 else 1,
        )
        ax.set_title(title)
        _tight(fig, True)
    return fig


def _years(values: pd.Series) -> np.ndarray:
    """Years of dates or period labels (``2012``, ``2012-Q1``, ``2012-03``); NaN missing."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return np.asarray(values.dt.year.to_numpy(dtype=float), dtype=float)
    text = values.astype("string").str.slice(0, 4)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)


def conflict_drought_figure(
    table: pd.DataFrame,
    *,
    value: str = "events",
    drought_col: str = "spei_lag0",
    title: str = "Conflict and drought",
    ax: Axes | None = None,
) -> Figure:
    """Draw events per period (bars) against the units' mean drought index (line).

    One legend names both series; the axes read ``Events`` and ``Mean SPEI, same period
    (below 0: drier)``.

    Parameters
    ----------
    table
        Long unit × period table with ``period``, ``value`` and ``drought_col``
        (:func:`sahel_geo.conflict_climate_table`).
    value, drought_col
        Columns to draw.
    title
        Figure title.
    ax
        Draw into this axes (a twin axes is added for the drought line).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (two y axes).

    Examples
    --------
    >>> t = pd.DataFrame({"unit": ["A", "A"], "events": [1, 3], "spei_lag0": [0.1, -1.2],
    ...                   "period": pd.to_datetime(["2019-01-01", "2020-01-01"])})
    >>> len(conflict_drought_figure(t).axes)
    2
    """
    check_columns(
        table,
        ["period", value, drought_col],
        what="conflict_drought_figure: the table",
        source="sahel_geo.conflict_climate_table",
    )
    per = table.groupby("period").agg(v=(value, "sum"), d=(drought_col, "mean")).sort_index()
    with _style():
        fig, ax = _new_axes(ax, (8.0, 4.5))
        when = pd.DatetimeIndex(per.index)
        x = when.year.to_numpy() if len(per) and (when.month == 1).all() else when
        bar_label = human_label(value).capitalize() if value != "events" else "Events"
        ax.bar(
            x, per["v"].to_numpy(), color="#E69F00", label=bar_label, width=0.8 if len(per) else 1
        )
        ax.set_ylabel(bar_label)
        ax2 = ax.twinx()
        line_label = f"{human_label(drought_col)} (below 0: drier)"
        ax2.plot(
            x, per["d"].to_numpy(), color="#0072B2", marker="o", markersize=3, label=line_label
        )
        ax2.axhline(0, color="#0072B2", linewidth=0.6, linestyle=":")
        ax2.set_ylabel(line_label)
        handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
        ax.legend(handles=handles, loc="upper left", fontsize=8)
        ax.set_xlabel("Period")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        _tight(fig, True)
    return fig


#: Classes of event counts per unit and period in :func:`spread_small_multiples`.
SPREAD_BREAKS = (0.0, 1.0, 5.0, 20.0, 100.0)


def spread_small_multiples(
    units: gpd.GeoDataFrame,
    counts: pd.DataFrame,
    *,
    value: str = "events",
    freq: Freq = "year",
    periods: Sequence[object] | None = None,
    ncols: int = 4,
    title: str = "Spread of violence",
    source: str | None = None,
) -> Figure:
    """Small multiples of the spread: events per unit, one map panel per period.

    Every panel shares one set of classes (0, 1, 2–5, 6–20, 21–100, more), so panels
    compare; one legend, one scale bar and credit (on the last panel).

    Parameters
    ----------
    units
        Units (EPSG:4326) with ``pcode``.
    counts
        Long table ``unit``, ``period`` (datetime), ``value`` (:func:`sahel_geo.aggregate`).
    value
        Column to map.
    freq
        The periods' word, for the panel titles (``2012``, ``2012-Q1``).
    periods
        The periods to draw (default: all, at most 16, the latest ones).
    ncols
        Panels per row.
    title, source
        Figure title and the credit's data source.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, one axes per panel (plus the legend's).

    Examples
    --------
    >>> import sahel_geo as sg
    >>> adm = sg.load_boundaries(level=1, countries=["BFA"])
    >>> c = pd.DataFrame({"unit": list(adm["pcode"]) * 2, "events": 1,
    ...     "period": pd.to_datetime(["2019-01-01"] * 13 + ["2020-01-01"] * 13)})
    >>> [a.get_title() for a in spread_small_multiples(adm, c).axes[:2]]
    ['2019', '2020']
    """
    check_columns(units, ["pcode"], what="spread_small_multiples: units")
    check_columns(
        counts,
        ["unit", "period", value],
        what="spread_small_multiples: counts",
        source="sahel_geo.aggregate",
    )
    wide = counts.pivot_table(index="unit", columns="period", values=value, aggfunc="sum")
    chosen = sorted(wide.columns)[-16:] if periods is None else [pd.Timestamp(p) for p in periods]  # type: ignore[arg-type]
    data = units.to_crs(EQUAL_AREA_CRS)
    n = max(len(chosen), 1)
    rows = math.ceil(n / ncols)
    cols = min(ncols, n)
    with _style():
        fig = Figure(figsize=(2.4 * cols, 2.2 * rows + 0.9), dpi=DPI)
        _Canvas(fig)
        axes = [fig.add_subplot(rows, cols, i + 1) for i in range(n)]
        labels = [str(v) for v in period_label(pd.DatetimeIndex(chosen), freq)]
        for ax, period, label in zip(axes, chosen, labels, strict=False):
            vals = wide.get(period, pd.Series(dtype=float)).reindex(data["pcode"])
            data.plot(
                ax=ax,
                color=_spread_colours(vals.to_numpy(dtype=float)),
                edgecolor="#555555",
                linewidth=0.3,
            )
            ax.set_title(label, fontsize=9)
            ax.set_axis_off()
        if axes:
            _map_furniture_small(axes[-1], data, source)
        fig.suptitle(title, fontsize=12)
        _spread_legend(fig, value)
        fig.subplots_adjust(left=0.02, right=0.98, top=0.9, bottom=0.14, wspace=0.05, hspace=0.15)
    return fig


_SPREAD_COLOURS = ("#f7f7f7", "#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
_SPREAD_LABELS = ("0", "1", "2–5", "6–20", "21–100", "more than 100")


def _spread_colours(vals: np.ndarray) -> list[str]:
    idx = np.searchsorted(np.asarray(SPREAD_BREAKS), np.nan_to_num(vals), side="left")
    return [
        NO_DATA_COLOUR if not np.isfinite(v) else _SPREAD_COLOURS[min(int(i), 5)]
        for v, i in zip(vals, idx, strict=True)
    ]


def _spread_legend(fig: Figure, value: str) -> None:
    handles = [
        Patch(facecolor=c, edgecolor="#555555", linewidth=0.4, label=t)
        for c, t in zip(_SPREAD_COLOURS, _SPREAD_LABELS, strict=True)
    ]
    handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="#555555", label="No data"))
    fig.legend(
        handles=handles,
        loc="lower center",
        ncols=len(handles),
        fontsize=7,
        title=f"{human_label(value).capitalize()} per unit and period",
        title_fontsize=8,
        frameon=False,
    )


def _map_furniture_small(ax: Axes, data: gpd.GeoDataFrame, source: str | None) -> None:
    minx, miny, maxx, maxy = (float(v) for v in data.total_bounds)
    km, length = scale_bar_km(data.crs, (minx, miny, maxx, maxy))
    ax.plot([minx, minx + length], [miny, miny], color="#222222", linewidth=2)
    ax.annotate(
        f"{km:,.0f} km", (minx, miny), xytext=(0, 3), textcoords="offset points", fontsize=6
    )
    ax.annotate("N ↑", (0.95, 0.9), xycoords="axes fraction", fontsize=7, ha="right")
    ax.figure.text(0.01, 0.005, _credit(source), fontsize=6, color="#444444")


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = DPI) -> Path:
    r"""Write a figure as PNG, SVG or PDF by the file's suffix, deterministically, atomically.

    PNG without ``Software``/date metadata, SVG with a fixed hash salt and no date, PDF
    without ``CreationDate`` or ``Producer``: the same figure gives the same bytes.

    Parameters
    ----------
    fig
        The figure.
    path
        Target file: ``.png``, ``.svg`` or ``.pdf`` (:data:`FORMATS`).
    dpi
        Resolution of a PNG (and of raster parts of SVG/PDF); default 300.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    FigureFormatError
        For any other suffix, naming the supported ones.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> fig = conflict_drought_figure(pd.DataFrame({"unit": ["A"], "events": [1],
    ...     "spei_lag0": [0.1], "period": pd.to_datetime(["2019-01-01"])}))
    >>> p = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "f.pdf")
    >>> p.read_bytes()[:5]
    b'%PDF-'
    """
    target = Path(path)
    fmt = FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise FigureFormatError(
            f"save_figure: cannot write {str(target)!r}: the suffix {target.suffix!r} is not "
            f"one of {', '.join(FORMATS)}; name the file .png (print, 300 dpi), .svg or .pdf "
            "(vector)."
        )
    metadata: dict[str, Any] = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "Producer": None, "Creator": None},
    }[fmt]
    buf = io.BytesIO()
    with _style():
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
    return atomic_write_bytes(target, buf.getvalue())
