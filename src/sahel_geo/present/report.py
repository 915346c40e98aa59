"""The report page (present layer): one self-contained ``report.html`` that states the findings.

:func:`build_report` turns a run's in-memory tables (:class:`ReportInputs`) into a page
with the title, the inputs and their citations, the key findings written as sentences
from the data, the figures, the map and the main tables. The page needs nothing else:
figures are inlined as ``data:`` URIs, the map as an ``<iframe srcdoc>`` (its own scripts
are inline, see :mod:`sahel_geo.present.maps`), there is no external script, style or
font. Every text that comes from data is HTML-escaped. The same inputs give the same
bytes (no dates, sorted tables).

The sentences, each computed here from the table it cites:

- the largest period-over-period rise per country (events, fatalities and civilian
  fatalities when counted): "Civilian fatalities in Mali rose from 20 in 2021-Q4 to 85
  in 2022-Q1 (+325 %)." Rises from a low baseline (at most 2, to at most 5) are not
  reported, following :func:`sahel_geo.period_change`;
- the largest rises among units in the last period;
- when violence first reached each country's border units (units touching a unit of
  another country), and how many of them were reached;
- hot spots: units at 95 % confidence or more (Gi*), and emerging hot spot categories;
- conflict against drought: events per unit-period when the mean SPEI was below 0
  against when it was not, and Spearman's rank correlation.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from sahel_geo.analysis.timeseries import period_change
from sahel_geo.analysis.weights import spatial_weights
from sahel_geo.core.errors import SchemaError
from sahel_geo.core.periods import Freq, period_label
from sahel_geo.core.validation import check_columns
from sahel_geo.io._atomic import atomic_write_text
from sahel_geo.present.classify import format_number, human_label

__all__ = [
    "Citation",
    "ReportInputs",
    "build_report",
    "event_citations",
    "findings",
    "write_report",
]

_VALUES = ("events", "fatalities", "civilian_fatalities")
_CSS = """
body{font:15px/1.5 "DejaVu Sans",Arial,sans-serif;max-width:1000px;margin:24px auto;
padding:0 16px;color:#222}
h1{font-size:26px;margin-bottom:0}h2{border-bottom:1px solid #ccc;padding-bottom:4px}
.subtitle{color:#555;margin-top:4px}figure{margin:16px 0}figure img{max-width:100%}
figcaption{color:#555;font-size:13px}table{border-collapse:collapse;font-size:13px;
margin:8px 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}
iframe{width:100%;height:620px;border:1px solid #999}.findings li{margin:6px 0}
.cite{font-size:13px;color:#444}
"""


@dataclass(frozen=True)
class Citation:
    """An input of the run and how to cite it (``name``, ``citation``, optional ``detail``)."""

    name: str
    citation: str
    detail: str = ""


@dataclass(frozen=True)
class ReportInputs:
    """What a report is built from: the run's tables, figures and map, all in memory.

    Attributes
    ----------
    title, subtitle
        The page's title and subtitle (period, source).
    counts
        Long unit × period table of :func:`sahel_geo.aggregate` (``unit``, ``period``
        datetime, ``events``, ``fatalities`` [, ``civilian_fatalities``]).
    freq
        The periods' word (``"quarter"`` ...), for period labels.
    units
        Units (``pcode``, ``name``, ``country_iso3``; geometry for border units).
    first_arrival
        :func:`sahel_geo.first_arrival` (``unit``, ``first_period``).
    country_shares
        :func:`sahel_geo.country_shares` (shown as a table).
    conflict_drought
        :func:`sahel_geo.conflict_climate_table` (``unit``, ``period``, ``events``,
        ``spei_lag0``).
    hotspots
        ``unit`` with ``gi_z`` and/or ``ehsa_category``.
    inputs
        The inputs and their citations.
    figures
        ``{caption: PNG or SVG bytes or a path}``, in order.
    map_html
        The map page (text, bytes or a path), shown in an iframe.
    country_names
        ``{ISO3: name}`` (default: the bundled admin-0 names).
    """

    title: str
    counts: pd.DataFrame
    freq: Freq
    subtitle: str = ""
    units: pd.DataFrame | None = None
    first_arrival: pd.DataFrame | None = None
    country_shares: pd.DataFrame | None = None
    conflict_drought: pd.DataFrame | None = None
    hotspots: pd.DataFrame | None = None
    inputs: Sequence[Citation] = ()
    figures: Mapping[str, bytes | str | os.PathLike[str]] = field(default_factory=dict)
    map_html: str | bytes | os.PathLike[str] | None = None
    country_names: Mapping[str, str] | None = None


def event_citations(events: pd.DataFrame) -> list[Citation]:
    """Citations of the events' sources (``source`` column), as plain text.

    The same wording as the map's credits (:data:`sahel_geo.present.maps.CITATIONS`),
    plus the basemap's.

    Examples
    --------
    >>> [c.name for c in event_citations(pd.DataFrame({"source": ["acled"]}))]
    ['ACLED', 'Natural Earth']
    """
    from sahel_geo.present.maps import CITATIONS

    values = events.get("source", pd.Series(dtype=object)).dropna().unique()
    found = sorted({str(v).lower() for v in values})
    names = {"acled": "ACLED", "ucdp": "UCDP GED", "demo": "Demo events", "generic": "Events"}
    out = [
        Citation(
            names.get(s, s), html.unescape(CITATIONS.get(s, f"Events: {s}")).split(": ", 1)[-1]
        )
        for s in found
    ]
    out.append(
        Citation("Natural Earth", html.unescape(CITATIONS["naturalearth"]).split(": ", 1)[-1])
    )
    return out


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _names(inputs: ReportInputs) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Return unit names, unit countries and country names."""
    unit_name: dict[str, str] = {}
    unit_country: dict[str, str] = {}
    if inputs.units is not None:
        u = inputs.units
        unit_name = dict(zip(u["pcode"].astype(str), u["name"].astype(str), strict=True))
        if "country_iso3" in u.columns:
            unit_country = dict(
                zip(u["pcode"].astype(str), u["country_iso3"].astype(str), strict=True)
            )
    if "country_iso3" in inputs.counts.columns:
        c = inputs.counts.drop_duplicates("unit")
        unit_country.update(zip(c["unit"].astype(str), c["country_iso3"].astype(str), strict=True))
    names = dict(inputs.country_names or {})
    if inputs.country_names is None:
        from sahel_geo.io.datasets import load_boundaries

        adm0 = load_boundaries(level=0)
        names = dict(zip(adm0["pcode"], adm0["name"], strict=True))
    return unit_name, unit_country, names


def _country_of(units: pd.Series, unit_country: Mapping[str, str]) -> pd.Series:
    """Return the country of each unit, ``unknown`` where no table names one."""
    return pd.Series(
        [unit_country.get(u, "unknown") for u in units.astype(str)], index=units.index, dtype=object
    )


def _label(period: object, freq: Freq) -> str:
    return str(period_label(pd.DatetimeIndex([pd.Timestamp(period)]), freq)[0])  # type: ignore[arg-type]


def _rise_sentence(what: str, where: str, row: pd.Series, prev: object, freq: Freq) -> str:
    pct = float(row["change_pct"])
    return (
        f"{what} in {where} rose from {format_number(float(row['baseline']))} in "
        f"{_label(prev, freq)} to {format_number(float(row['count']))} in "
        f"{_label(row['period'], freq)} ({pct:+,.0f} %)."
    )


def _previous(periods: Sequence[object]) -> dict[object, object]:
    ordered = sorted(set(periods))  # type: ignore[type-var]
    return dict(zip(ordered[1:], ordered[:-1], strict=True))


def country_rises(inputs: ReportInputs) -> list[str]:
    """Sentences: the largest period-over-period rise per country and counted value."""
    _, unit_country, names = _names(inputs)
    counts = inputs.counts.assign(unit=_country_of(inputs.counts["unit"], unit_country))
    out = []
    prev = _previous(list(counts["period"].unique()))
    for value in [v for v in _VALUES if v in counts.columns and counts[v].notna().any()]:
        by = counts.groupby(["unit", "period"], as_index=False)[value].sum()
        change = period_change(by, value=value)
        change = change[np.isfinite(change["change_pct"]) & (change["change_pct"] > 0)]
        for country, rows in change.groupby("unit", sort=True):
            best = rows.sort_values(["change_pct", "period"], ascending=[False, True]).iloc[0]
            where = names.get(str(country), str(country))
            out.append(
                _rise_sentence(
                    human_label(value).capitalize(), where, best, prev[best["period"]], inputs.freq
                )
            )
    return out


def unit_rises(inputs: ReportInputs, *, top: int = 3) -> list[str]:
    """Sentences: the ``top`` largest rises in events among units in the last period."""
    unit_name, unit_country, names = _names(inputs)
    change = period_change(inputs.counts, value="events")
    last = change["period"].max()
    prev = _previous(list(change["period"].unique()))
    rows = change[(change["period"] == last) & np.isfinite(change["change_pct"])]
    rows = rows[rows["change_pct"] > 0].sort_values(
        ["change_pct", "count", "unit"], ascending=[False, False, True]
    )
    out = []
    for _, row in rows.head(top).iterrows():
        unit = str(row["unit"])
        country = names.get(unit_country.get(unit, ""), unit_country.get(unit, ""))
        where = f"{unit_name.get(unit, unit)} ({country})" if country else unit_name.get(unit, unit)
        out.append(_rise_sentence("Events", where, row, prev[last], inputs.freq))
    return out


def _border_units(units: gpd.GeoDataFrame) -> set[str]:
    """P-codes of units that touch a unit of another country (queen contiguity)."""
    touch = spatial_weights(units, "queen").tocoo()
    country = units["country_iso3"].astype(str).to_numpy()
    cross = country[touch.row] != country[touch.col]
    return set(units["pcode"].astype(str).to_numpy()[np.unique(touch.row[cross])])


def _period_text(value: object, freq: Freq) -> str:
    if isinstance(value, pd.Timestamp | np.datetime64):
        return _label(value, freq)
    return str(value)


def border_arrivals(inputs: ReportInputs) -> list[str]:
    """Sentences: when violence first reached each country's border units."""
    units, arrival = inputs.units, inputs.first_arrival
    if not isinstance(units, gpd.GeoDataFrame) or arrival is None or units.empty:
        return []
    unit_name, _, names = _names(inputs)
    border = _border_units(units)
    first = arrival.set_index(arrival["unit"].astype(str))["first_period"]
    out = []
    for country, group in units.groupby("country_iso3", sort=True):
        pcodes = [p for p in group["pcode"].astype(str) if p in border]
        if not pcodes:
            continue
        reached = first.reindex(pcodes).dropna()
        where = names.get(str(country), str(country))
        if reached.empty:
            out.append(f"No border unit of {where} had events ({len(pcodes)} border units).")
            continue
        earliest = reached.sort_values(kind="stable")
        first_when = earliest.iloc[0]
        at_first = [str(p) for p, v in earliest.items() if v == first_when]
        firsts = sorted(unit_name.get(p, p) for p in at_first)
        when, last = (_period_text(v, inputs.freq) for v in (first_when, earliest.iloc[-1]))
        out.append(
            f"Violence first reached the border units of {where} in {when} "
            f"({', '.join(firsts)}); {len(reached)} of {len(pcodes)} border units had events "
            f"by {last}."
        )
    return out


def hotspot_sentences(inputs: ReportInputs) -> list[str]:
    """Sentences: Gi* hot and cold spots at 95 % or more, emerging hot spot categories."""
    hs = inputs.hotspots
    if hs is None or hs.empty:
        return []
    out = []
    unit_name, _, _ = _names(inputs)  # once: it is a table of every unit
    if "gi_z" in hs.columns:
        z = hs.set_index(hs["unit"].astype(str))["gi_z"].astype(float)
        for word, sel in (("hot", z >= 1.960), ("cold", z <= -1.960)):
            units = sorted(unit_name.get(u, u) for u in z.index[sel.to_numpy()])
            if units:
                out.append(
                    f"{len(units)} unit{'s are' if len(units) > 1 else ' is a'} {word} "
                    f"spot{'s' if len(units) > 1 else ''} at 95 % confidence or more "
                    f"(Getis-Ord Gi*): {', '.join(units)}."
                )
    if "ehsa_category" in hs.columns:
        for cat, group in hs.groupby("ehsa_category", sort=True):
            if str(cat) == "no pattern detected":
                continue
            units = sorted(unit_name.get(str(u), str(u)) for u in group["unit"])
            out.append(f"{str(cat).capitalize()}: {', '.join(units)}.")
    return out


def drought_sentences(inputs: ReportInputs, *, drought_col: str = "spei_lag0") -> list[str]:
    """Sentences: events per unit-period in drier (SPEI < 0) against other periods."""
    t = inputs.conflict_drought
    if t is None or drought_col not in t.columns or "events" not in t.columns:
        return []
    t = t[np.isfinite(t[drought_col].astype(float))]
    if t.empty:
        return []
    dry = t[drought_col] < 0
    mean_dry = float(t.loc[dry, "events"].mean()) if dry.any() else float("nan")
    mean_wet = float(t.loc[~dry, "events"].mean()) if (~dry).any() else float("nan")
    rho = float(t["events"].rank().corr(t[drought_col].rank())) if len(t) > 2 else float("nan")
    return [
        f"Over {len(t):,} unit-periods, units averaged {format_number(mean_dry)} "
        f"events in periods with a mean SPEI below 0 (drier; {int(dry.sum()):,} unit-periods) "
        f"and {format_number(mean_wet)} otherwise; Spearman's rank correlation "
        f"of events and SPEI is {format_number(rho, decimals=2)}."
    ]


def findings(inputs: ReportInputs) -> dict[str, list[str]]:
    """Return the key findings as sentences, by heading (see the module docstring).

    Examples
    --------
    >>> counts = pd.DataFrame({"unit": ["ML-5", "ML-5"], "country_iso3": "MLI",
    ...     "period": pd.to_datetime(["2021-10-01", "2022-01-01"]), "events": [4, 9],
    ...     "fatalities": [0, 0], "civilian_fatalities": [20.0, 85.0]})
    >>> inp = ReportInputs(title="t", counts=counts, freq="quarter",
    ...                    country_names={"MLI": "Mali"})
    >>> findings(inp)["Largest rises by country"][-1]
    'Civilian fatalities in Mali rose from 20 in 2021-Q4 to 85 in 2022-Q1 (+325 %).'
    """
    check_columns(
        inputs.counts,
        ["unit", "period", "events"],
        what="build_report: counts",
        source="sahel_geo.aggregate",
    )
    sections = {
        "Largest rises by country": country_rises(inputs),
        "Largest rises by unit, last period": unit_rises(inputs),
        "First arrival in border units": border_arrivals(inputs),
        "Hot spots": hotspot_sentences(inputs),
        "Conflict and drought": drought_sentences(inputs),
    }
    return {k: v for k, v in sections.items() if v}


def _data_uri(data: bytes | str | os.PathLike[str]) -> str:
    raw = data if isinstance(data, bytes) else Path(data).read_bytes()
    if raw.startswith(b"\x89PNG"):
        mime = "image/png"
    elif raw.lstrip().startswith((b"<?xml", b"<svg")):
        mime = "image/svg+xml"
    else:
        raise SchemaError(
            "build_report: a figure must be PNG or SVG bytes (or a path to one); write it "
            "with save_figure(fig, 'x.png') or 'x.svg'."
        )
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def _table_html(frame: pd.DataFrame, caption: str) -> str:
    shown = frame.copy()
    shown.columns = [human_label(str(c)) for c in shown.columns]
    body = shown.to_html(index=False, escape=True, border=0, na_rep="", float_format=_fmt_float)
    return f"<h3>{_esc(caption)}</h3>\n{body}"


def _fmt_float(v: float) -> str:
    return format_number(v)


def _country_table(inputs: ReportInputs) -> pd.DataFrame:
    """Return events and fatalities per country and period (the last 8 periods)."""
    _, unit_country, names = _names(inputs)
    c = inputs.counts.assign(country=_country_of(inputs.counts["unit"], unit_country))
    cols = [v for v in _VALUES if v in c.columns and c[v].notna().any()]
    t = c.groupby(["country", "period"], as_index=False)[cols].sum()
    last = sorted(t["period"].unique())[-8:]
    t = t[t["period"].isin(last)].sort_values(["period", "country"])
    t["period"] = [_label(p, inputs.freq) for p in t["period"]]
    t["country"] = [names.get(x, x) for x in t["country"]]
    return t.reset_index(drop=True)


def _unit_table(inputs: ReportInputs) -> pd.DataFrame:
    """Return the 10 units with most events over the whole run."""
    unit_name, unit_country, names = _names(inputs)
    cols = [v for v in _VALUES if v in inputs.counts.columns and inputs.counts[v].notna().any()]
    t = inputs.counts.groupby("unit", as_index=False)[cols].sum()
    t = t.sort_values(["events", "unit"], ascending=[False, True]).head(10)
    t.insert(1, "name", [unit_name.get(str(u), str(u)) for u in t["unit"]])
    t.insert(2, "country", [names.get(unit_country.get(str(u), ""), "") for u in t["unit"]])
    return t.rename(columns={"unit": "pcode"}).reset_index(drop=True)


def _map_block(map_html: str | bytes | os.PathLike[str] | None) -> str:
    if map_html is None:
        return ""
    if isinstance(map_html, bytes):
        text = map_html.decode("utf-8")
    elif isinstance(map_html, str) and map_html.lstrip().startswith("<"):
        text = map_html
    else:
        text = Path(map_html).read_text(encoding="utf-8")
    return (
        '<h2 id="map">Map</h2>\n<iframe title="Map" sandbox="allow-scripts" '
        f'srcdoc="{_esc(text)}"></iframe>\n'
    )


def build_report(inputs: ReportInputs) -> str:
    """Build the self-contained report page as HTML text (deterministic, offline).

    Parameters
    ----------
    inputs
        The run's tables, figures and map (:class:`ReportInputs`).

    Returns
    -------
    str
        The page; :func:`write_report` writes it.

    Examples
    --------
    >>> counts = pd.DataFrame({"unit": ["A", "A"], "period": pd.to_datetime(
    ...     ["2021-01-01", "2022-01-01"]), "events": [10, 30], "fatalities": [1, 2]})
    >>> page = build_report(ReportInputs(title="Demo <run>", counts=counts, freq="year"))
    >>> "<h1>Demo &lt;run&gt;</h1>" in page and "<script" not in page
    True
    """
    sections = findings(inputs)
    parts = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f"<title>{_esc(inputs.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n",
        f"<h1>{_esc(inputs.title)}</h1>\n",
        f'<p class="subtitle">{_esc(inputs.subtitle)}</p>\n' if inputs.subtitle else "",
        '<h2 id="findings">Key findings</h2>\n',
    ]
    for heading, sentences in sections.items():
        items = "".join(f"<li>{_esc(s)}</li>" for s in sentences)
        parts.append(f'<h3>{_esc(heading)}</h3>\n<ul class="findings">{items}</ul>\n')
    if not sections:
        parts.append("<p>No finding could be computed from the tables given.</p>\n")
    if inputs.figures:
        parts.append('<h2 id="figures">Figures</h2>\n')
        for caption, data in inputs.figures.items():
            parts.append(
                f'<figure><img alt="{_esc(caption)}" src="{_data_uri(data)}">'
                f"<figcaption>{_esc(caption)}</figcaption></figure>\n"
            )
    parts.append(_map_block(inputs.map_html))
    parts.append('<h2 id="tables">Tables</h2>\n')
    parts.append(_table_html(_country_table(inputs), "Events and fatalities by country"))
    parts.append(_table_html(_unit_table(inputs), "Units with most events"))
    if inputs.country_shares is not None:
        parts.append(_table_html(inputs.country_shares, "Country shares"))
    parts.append(_inputs_block(inputs.inputs))
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def _inputs_block(cites: Sequence[Citation]) -> str:
    if not cites:
        return ""
    items = "".join(
        f'<li><b>{_esc(c.name)}</b>: <span class="cite">{_esc(c.citation)}</span>'
        + (f" ({_esc(c.detail)})" if c.detail else "")
        + "</li>"
        for c in cites
    )
    return f'<h2 id="inputs">Inputs and citations</h2>\n<ul>{items}</ul>\n'


def write_report(inputs: ReportInputs, path: str | os.PathLike[str]) -> Path:
    """Write :func:`build_report`'s page to ``path`` (UTF-8, atomically).

    Examples
    --------
    >>> import tempfile
    >>> counts = pd.DataFrame({"unit": ["A"], "period": pd.to_datetime(["2021-01-01"]),
    ...                        "events": [1], "fatalities": [0]})
    >>> p = write_report(ReportInputs(title="t", counts=counts, freq="year"),
    ...                  Path(tempfile.mkdtemp()) / "report.html")
    >>> p.name
    'report.html'
    """
    return atomic_write_text(Path(path), build_report(inputs))
