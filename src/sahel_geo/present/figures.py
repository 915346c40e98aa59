"""PNG figures for reports (present layer): choropleth, counts over time, spread, drought.

Deterministic: every figure is drawn with fixed sizes, DPI and fonts (DejaVu Sans, which
ships with matplotlib) under a fixed ``svg.hashsalt``, through matplotlib's object API
(no pyplot state, no GUI backend), and :func:`save_figure` writes PNGs without the
``Software`` or date metadata, atomically. The same data give byte-identical files.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure

from sahel_geo.core.errors import SchemaError
from sahel_geo.core.schema import EQUAL_AREA_CRS
from sahel_geo.core.validation import check_columns
from sahel_geo.io._atomic import atomic_write_bytes

__all__ = [
    "DPI",
    "choropleth_figure",
    "conflict_drought_figure",
    "counts_by_country_figure",
    "save_figure",
    "spread_figure",
]

DPI = 100
_SIZE = (8.0, 6.0)
_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "svg.hashsalt": "sahel_geo",
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "axes.titlesize": 12,
    "path.simplify": True,
}
_MAX_COUNTRIES = 8
_COUNTRY_COLOURS = {"MLI": "#1b9e77", "BFA": "#d95f02", "NER": "#7570b3"}


@contextmanager
def _style() -> Iterator[None]:
    with rc_context(_STYLE):  # type: ignore[arg-type]
        yield


def _new_figure(size: tuple[float, float] = _SIZE) -> Figure:
    fig = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _tight(fig: Figure) -> None:
    """Tight layout; where it cannot fit (many labels), keep matplotlib's default layout."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Tight layout not applied", category=UserWarning)
        fig.tight_layout()


def choropleth_figure(
    units: gpd.GeoDataFrame, column: str, *, title: str, label: str | None = None
) -> Figure:
    """Draw a choropleth of ``column`` per unit with a colour bar and a title.

    Drawn in the equal-area CRS (ESRI:102022), so unit sizes compare honestly; units with
    no value are hatched grey.

    Parameters
    ----------
    units
        Units (EPSG:4326) with the numeric ``column``.
    column
        Column to colour by.
    title
        Figure title.
    label
        Colour-bar label (default: the column name).

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
    if column not in units.columns:
        raise SchemaError(
            f"choropleth_figure: missing column {column!r} to colour the units; "
            f"found {list(units.columns)}."
        )
    with _style():
        fig = _new_figure()
        ax = fig.add_subplot()
        data = units.to_crs(EQUAL_AREA_CRS)
        data = data.assign(_v=pd.to_numeric(data[column], errors="coerce"))
        diverging = any(h in column.lower() for h in ("change", "spei", "drought", "anomaly"))
        vals = data["_v"].to_numpy(dtype=float)
        finite = vals[np.isfinite(vals)]
        kwargs: dict[str, object] = {"cmap": "BrBG" if diverging else "YlOrRd"}
        if diverging and finite.size:
            m = float(np.abs(finite).max()) or 1.0
            kwargs.update(vmin=-m, vmax=m)
        data.plot(
            column="_v",
            ax=ax,
            legend=True,
            edgecolor="#333333",
            linewidth=0.4,
            legend_kwds={"label": label or column, "shrink": 0.7},
            missing_kwds={"color": "#dddddd", "hatch": "///", "label": "no data"},
            **kwargs,
        )
        ax.set_title(title)
        ax.set_axis_off()
        _tight(fig)
    return fig


def counts_by_country_figure(
    events: pd.DataFrame, *, freq: str = "year", title: str = "Events by country"
) -> Figure:
    """Draw events per period, one line per country (``country_iso3``).

    With more than 8 countries, the 7 with most events are drawn and the rest summed as
    ``other``.

    Parameters
    ----------
    events
        Events with ``event_date`` and ``country_iso3``.
    freq
        ``"month"``, ``"quarter"`` or ``"year"``.
    title
        Figure title.

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
    rule = {"month": "MS", "quarter": "QS", "year": "YS"}.get(freq)
    if rule is None:
        raise SchemaError(
            f"counts_by_country_figure: freq must be month, quarter or year, not {freq!r}."
        )
    ok = events["event_date"].notna()
    table = (
        events.loc[ok]
        .assign(period=events.loc[ok, "event_date"].dt.to_period(rule[0]).dt.start_time)
        .groupby(["period", "country_iso3"])
        .size()
        .unstack(fill_value=0)
        .sort_index()
    )
    if table.shape[1] > _MAX_COUNTRIES:  # the largest countries, the rest summed
        top = table.sum().sort_values(ascending=False, kind="stable").index[: _MAX_COUNTRIES - 1]
        rest = table.drop(columns=top).sum(axis=1)
        table = table[sorted(top)].assign(other=rest)
    with _style():
        fig = _new_figure((8.0, 4.5))
        ax = fig.add_subplot()
        for country in [c for c in sorted(table.columns) if c != "other"] + (
            ["other"] if "other" in table.columns else []
        ):
            ax.plot(
                table.index,
                table[country].to_numpy(),
                marker="o",
                markersize=3,
                label=str(country),
                color=_COUNTRY_COLOURS.get(str(country)),
            )
        ax.set_title(title)
        ax.set_ylabel(f"events per {freq}")
        ax.grid(alpha=0.3)
        ax.legend(title="country", loc="upper left")
        _tight(fig)
    return fig


def spread_figure(
    units: gpd.GeoDataFrame, arrival: pd.DataFrame, *, title: str = "First arrival of violence"
) -> Figure:
    """Map each unit's first period with events (:func:`sahel_geo.first_arrival`).

    Parameters
    ----------
    units
        Units with ``pcode``.
    arrival
        The first-arrival table (``unit``, ``first_period``).
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure: one colour per arrival year, grey for units never reached.

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
    first = pd.to_datetime(arrival.set_index("unit")["first_period"])
    years = first.reindex(units["pcode"]).dt.year.to_numpy(dtype=float)
    with _style():
        fig = _new_figure()
        ax = fig.add_subplot()
        data = units.to_crs(EQUAL_AREA_CRS).assign(_year=years)
        reached = np.isfinite(years)
        if (~reached).any():
            data.loc[~reached].plot(ax=ax, color="#eeeeee", edgecolor="#999999", linewidth=0.4)
        if reached.any():
            uniq = np.unique(years[reached]).astype(int)
            from matplotlib import colormaps

            base = colormaps["plasma_r"]
            colours = [base(x) for x in np.linspace(0.1, 0.9, len(uniq))]
            cmap = ListedColormap(colours)
            # one colour class per arrival year (years need not be consecutive)
            k = len(uniq)
            norm = BoundaryNorm(np.arange(k + 1) - 0.5, k)
            cls = np.searchsorted(uniq, np.where(reached, years, uniq[0]).astype(int))
            data = data.assign(_class=cls.astype(float))
            data.loc[reached].plot(
                column="_class", ax=ax, cmap=cmap, norm=norm, edgecolor="#333333", linewidth=0.4
            )
            from matplotlib.cm import ScalarMappable

            sm = ScalarMappable(norm=norm, cmap=cmap)
            bar = fig.colorbar(sm, ax=ax, shrink=0.7, ticks=np.arange(k))
            bar.set_ticklabels([str(y) for y in uniq])
            bar.set_label("first year with events")
        ax.set_title(title)
        ax.set_axis_off()
        _tight(fig)
    return fig


def conflict_drought_figure(
    table: pd.DataFrame,
    *,
    value: str = "events",
    drought_col: str = "spei_lag0",
    title: str = "Conflict and drought",
) -> Figure:
    """Draw events per period (bars) against the units' mean drought index (line).

    Parameters
    ----------
    table
        Long unit × period table with ``period``, ``value`` and ``drought_col``
        (:func:`sahel_geo.conflict_climate_table`).
    value, drought_col
        Columns to draw.
    title
        Figure title.

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
        fig = _new_figure((8.0, 4.5))
        ax = fig.add_subplot()
        when = pd.DatetimeIndex(per.index)
        x = when.year.to_numpy() if len(per) and (when.month == 1).all() else when
        ax.bar(x, per["v"].to_numpy(), color="#fc8d59", label=value, width=0.8 if len(per) else 1)
        ax.set_ylabel(value)
        ax2 = ax.twinx()
        ax2.plot(x, per["d"].to_numpy(), color="#01665e", marker="o", markersize=3)
        ax2.axhline(0, color="#01665e", linewidth=0.6, linestyle=":")
        ax2.set_ylabel(f"mean {drought_col} (below 0: drier)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        _tight(fig)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> Path:
    r"""Write a figure as a deterministic PNG (fixed DPI, no software/date metadata), atomically.

    Parameters
    ----------
    fig
        The figure.
    path
        Target ``.png`` file.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> fig = conflict_drought_figure(pd.DataFrame({"unit": ["A"], "events": [1],
    ...     "spei_lag0": [0.1], "period": pd.to_datetime(["2019-01-01"])}))
    >>> p = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "f.png")
    >>> p.read_bytes()[:4]
    b'\x89PNG'
    """
    buf = io.BytesIO()
    with _style():
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return atomic_write_bytes(Path(path), buf.getvalue())
