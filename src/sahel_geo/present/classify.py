"""Classes and colours for maps and figures (present layer): schemes, palettes, labels.

One place decides how a value becomes a colour, so the Folium map and the matplotlib
figures agree:

- numeric values are put into classes by a scheme computed with ``mapclassify``:
  ``"quantiles"``, ``"natural_breaks"`` (Fisher-Jenks, exact and deterministic),
  ``"equal_interval"`` or ``"user"`` (``breaks=``, upper bounds, inclusive); each class
  has a label with its range, rounded to what the numbers mean (counts as whole numbers);
- a palette is diverging only when asked (``diverging=True``) or when the values cross a
  meaningful ``midpoint`` the caller names (0 for a change or SPEI), never because of a
  column name; the classes then split at the midpoint;
- years are categories, one per year, labelled ``2012`` (not ``2,012``), coloured by their
  place in the whole span so that a gap between years shows as a jump in colour;
- Getis-Ord Gi* z-scores become the seven categories people read: hot spot at 99, 95 and
  90 % confidence, not significant, cold spot at 90, 95 and 99 % (two-sided normal
  thresholds 2.576, 1.960 and 1.645); emerging hot spot categories keep their names;
- missing values are class -1, drawn in :data:`NO_DATA_COLOUR` under the legend entry
  ``"No data"``.

Palettes are ColorBrewer's colour-blind-safe schemes (YlOrRd, RdBu, BrBG, PuOr) as
resampled by matplotlib, so hex codes are fixed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from sahel_geo.analysis.hotspots import EHSA_CATEGORIES
from sahel_geo.core.errors import SchemaError

__all__ = [
    "GI_LABELS",
    "KNOWN_STYLES",
    "NO_DATA",
    "NO_DATA_COLOUR",
    "Classes",
    "LayerStyle",
    "Scheme",
    "classes_for",
    "classify",
    "format_number",
    "gi_classes",
    "human_label",
    "palette",
    "year_classes",
]

Scheme = Literal["quantiles", "natural_breaks", "equal_interval", "user"]
Kind = Literal["numeric", "year", "gi", "ehsa"]

NO_DATA = "No data"
NO_DATA_COLOUR = "#d9d9d9"
#: Gi* categories, hot to cold, with their colours (ColorBrewer RdBu, 7 classes).
GI_LABELS: tuple[str, ...] = (
    "Hot spot, 99 % confidence",
    "Hot spot, 95 % confidence",
    "Hot spot, 90 % confidence",
    "Not significant",
    "Cold spot, 90 % confidence",
    "Cold spot, 95 % confidence",
    "Cold spot, 99 % confidence",
)
_GI_COLOURS = ("#b2182b", "#ef8a62", "#fddbc7", "#f7f7f7", "#d1e5f0", "#67a9cf", "#2166ac")
_GI_Z = (2.576, 1.960, 1.645)
_SEQUENTIAL = "YlOrRd"
_DIVERGING = "RdBu_r"


@dataclass(frozen=True)
class Classes:
    """Values put into classes: a class per value, and a colour and label per class.

    Attributes
    ----------
    codes
        Class of each value (``-1``: no data).
    colours
        Hex colour per class.
    labels
        Legend text per class (``"6–20"``, ``"2012"``, ``"Hot spot, 99 % confidence"``).
    breaks
        Upper bounds of numeric classes (empty for categories).
    diverging
        Whether the palette diverges around a midpoint.
    """

    codes: NDArray[np.int64]
    colours: tuple[str, ...]
    labels: tuple[str, ...]
    breaks: tuple[float, ...] = ()
    diverging: bool = False

    def colour_list(self) -> list[str]:
        """Colour of each value, :data:`NO_DATA_COLOUR` for missing ones."""
        return [self.colours[c] if c >= 0 else NO_DATA_COLOUR for c in self.codes.tolist()]

    def legend(self, *, with_no_data: bool | None = None) -> list[tuple[str, str]]:
        """``(colour, label)`` legend entries; ``"No data"`` last when any value is missing."""
        items = list(zip(self.colours, self.labels, strict=True))
        show = bool((self.codes < 0).any()) if with_no_data is None else with_no_data
        return items + ([(NO_DATA_COLOUR, NO_DATA)] if show else [])


@dataclass(frozen=True)
class LayerStyle:
    """How one column is classed, coloured and labelled on a map or a figure.

    Attributes
    ----------
    label
        What the layer shows, for the layer control and the legend title.
    kind
        ``"numeric"`` (classes by ``scheme``), ``"year"`` (a class per year), ``"gi"``
        (Gi* z-scores: the seven confidence categories) or ``"ehsa"`` (emerging hot spot
        categories).
    scheme, k, breaks
        Numeric classes: scheme, number of classes, user breaks (upper bounds).
    midpoint
        A meaningful middle value (0 for a change or SPEI): the palette diverges around it
        when the values cross it.
    diverging
        Force (True) or forbid (False) a diverging palette; None decides by ``midpoint``.
    palette
        A matplotlib/ColorBrewer colormap name; default YlOrRd, or RdBu_r diverging.
    decimals
        Decimals of the numbers shown; None: whole numbers for whole-number data, else
        chosen from the size of the values.
    unit
        Unit written after numbers (``"%"``).
    """

    label: str
    kind: Kind = "numeric"
    scheme: Scheme = "quantiles"
    k: int = 5
    breaks: tuple[float, ...] | None = None
    midpoint: float | None = None
    diverging: bool | None = None
    palette: str | None = None
    decimals: int | None = None
    unit: str = ""


#: Styles of the columns a run's units layer has (exact names, never substrings).
KNOWN_STYLES: dict[str, LayerStyle] = {
    "events": LayerStyle("Events", scheme="natural_breaks", decimals=0),
    "fatalities": LayerStyle("Fatalities", scheme="natural_breaks", decimals=0),
    "civilian_fatalities": LayerStyle("Civilian fatalities", scheme="natural_breaks", decimals=0),
    "first_year": LayerStyle("First year with events", kind="year"),
    "events_per_100k": LayerStyle("Events per 100,000 people", decimals=1),
    "change_pct": LayerStyle("Change in events (%)", midpoint=0.0, decimals=0, unit="%"),
    "spei_last_period": LayerStyle("Mean SPEI", midpoint=0.0, palette="BrBG", decimals=2),
    "wasting_pct": LayerStyle("Wasting prevalence (%)", decimals=1, unit="%"),
    "gi_z": LayerStyle("Hot spots (Getis-Ord Gi*)", kind="gi"),
    "ehsa_category": LayerStyle("Emerging hot spots", kind="ehsa"),
}

_HUMAN = {
    "event_id": "Event",
    "event_date": "Date",
    "event_type": "Event type",
    "sub_event_type": "Sub-event type",
    "actor1": "Actor 1",
    "actor2": "Actor 2",
    "perpetrator_group": "Perpetrator",
    "civilian_fatalities": "Civilian fatalities",
    "country_iso3": "Country",
    "pcode": "P-code",
    "first_period": "First period with events",
    "change_pct": "Change (%)",
    "gi_z": "Gi* z-score",
    "events_per_100k": "Events per 100,000 people",
    "wasting_pct": "Wasting prevalence (%)",
    "spei_last_period": "Mean SPEI, last period",
}


def human_label(name: str) -> str:
    """Return the words a reader sees for a column or a code.

    ``spei_lag{N}`` reads as the SPEI of the same or an earlier period; other names lose
    their underscores (``armed_group`` -> ``armed group``).

    Examples
    --------
    >>> human_label("actor1"), human_label("spei_lag0"), human_label("armed_group")
    ('Actor 1', 'Mean SPEI, same period', 'armed group')
    """
    if name in _HUMAN:
        return _HUMAN[name]
    if name.startswith("spei_lag") and name[8:].isdigit():
        n = int(name[8:])
        if n == 0:
            return "Mean SPEI, same period"
        return f"Mean SPEI, {n} period{'s' if n > 1 else ''} earlier"
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if name in KNOWN_STYLES else text


def format_number(value: float, *, decimals: int | None = None, unit: str = "") -> str:
    """Format a number for a legend, a tooltip or a sentence.

    Whole numbers with thousands separators; otherwise ``decimals`` places, or by size:
    0 from 100 on, 1 from 10, 2 below. NaN is ``"no data"``.

    Examples
    --------
    >>> format_number(1140), format_number(4.123012621140197), format_number(12.5, unit="%")
    ('1,140', '4.12', '12.5 %')
    """
    if value is None or not math.isfinite(float(value)):
        return "no data"
    v = float(value)
    if decimals is None:
        if v == round(v):
            decimals = 0
        else:
            a = abs(v)
            decimals = 0 if a >= 100 else 1 if a >= 10 else 2
    text = f"{v:,.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]
    return f"{text} {unit}" if unit else text


def palette(name: str, k: int) -> tuple[str, ...]:
    """``k`` hex colours of a matplotlib colormap, evenly spaced (fixed, deterministic)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    try:
        cmap = colormaps[name]
    except KeyError as exc:
        raise SchemaError(
            f"palette {name!r} is not a matplotlib colormap; use e.g. YlOrRd, viridis, "
            "RdBu_r, BrBG or PuOr."
        ) from exc
    if k == 1:
        return (to_hex(cmap(0.6)),)
    # symmetric about the middle, so a diverging palette's halves match
    return tuple(to_hex(cmap(x)) for x in np.linspace(0.05, 0.95, k))


def _breaks(values: NDArray[np.float64], scheme: Scheme, k: int) -> list[float]:
    """Upper bounds of ``k`` classes of finite ``values`` by ``scheme`` (mapclassify)."""
    import mapclassify

    uniq = np.unique(values)
    k = max(1, min(k, len(uniq)))
    if k == 1:
        return [float(uniq[-1])]
    makers = {
        "quantiles": mapclassify.Quantiles,
        "natural_breaks": mapclassify.FisherJenks,
        "equal_interval": mapclassify.EqualInterval,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "not enough unique values": handled below
        bins = makers[scheme](values, k=k).bins
    out = sorted({float(b) for b in np.asarray(bins, dtype=float)})
    out[-1] = max(out[-1], float(values.max()))
    return out


def _span(a: str, b: str) -> str:
    """``a–b``, or ``a to b`` when a bound is negative (``-40 to -25``)."""
    return f"{a} to {b}" if a.startswith("-") or b.startswith("-") else f"{a}–{b}"


def _range_labels(
    breaks: Sequence[float], lowest: float, *, whole: bool, decimals: int | None
) -> list[str]:
    """``lo–hi`` label per class with upper bounds ``breaks`` (lower bound exclusive)."""
    labels = []
    lo = lowest
    for i, hi in enumerate(breaks):
        if whole:
            a = lo if i == 0 else math.floor(lo) + 1
            b = math.floor(hi)
            a_t, b_t = format_number(a, decimals=0), format_number(b, decimals=0)
            text = a_t if a >= b else _span(a_t, b_t)
        else:
            a_t = format_number(lo, decimals=decimals)
            b_t = format_number(hi, decimals=decimals)
            text = _span(a_t, b_t) if a_t != b_t else a_t
        labels.append(text)
        lo = hi
    return labels


def _codes(values: NDArray[np.float64], breaks: Sequence[float]) -> NDArray[np.int64]:
    finite = np.isfinite(values)
    idx = np.searchsorted(np.asarray(breaks, dtype=float), np.where(finite, values, 0.0))
    idx = np.minimum(idx, len(breaks) - 1)
    return np.where(finite, idx, -1).astype(np.int64)


def classify(
    values: ArrayLike,
    *,
    scheme: Scheme = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    midpoint: float | None = None,
    diverging: bool | None = None,
    palette_name: str | None = None,
    decimals: int | None = None,
) -> Classes:
    """Put numeric values into classes and give each a colour and a range label.

    Parameters
    ----------
    values
        Numbers; NaN is "no data" (class -1).
    scheme
        ``"quantiles"``, ``"natural_breaks"`` (Fisher-Jenks), ``"equal_interval"`` or
        ``"user"`` (with ``breaks``).
    k
        Number of classes (fewer when there are fewer distinct values).
    breaks
        Upper bounds of the classes for ``scheme="user"`` (the last is raised to the
        maximum when below it).
    midpoint, diverging
        A diverging palette when ``diverging`` is True, or when it is None and the
        values cross ``midpoint``: the classes then split at the midpoint
        (``k // 2`` on each side, at least one).
    palette_name
        A matplotlib colormap name (default YlOrRd, diverging RdBu_r).
    decimals
        Decimals of the labels' numbers (:func:`format_number`); units belong in the
        legend title (``"Change (%)"``).

    Returns
    -------
    Classes
        Codes, colours, labels and breaks.

    Examples
    --------
    >>> c = classify([1, 2, 5, 20, 1140, float("nan")], scheme="user", breaks=[1, 5, 100])
    >>> c.codes.tolist(), c.labels
    ([0, 1, 1, 2, 2, -1], ('1', '2–5', '6–1,140'))
    >>> classify([-40.0, 10.0, 60.0], k=4, midpoint=0).diverging
    True
    """
    vals = np.asarray(values, dtype=float)
    finite = vals[np.isfinite(vals)]
    if scheme not in ("quantiles", "natural_breaks", "equal_interval", "user"):
        raise SchemaError(
            f"scheme {scheme!r} is unknown; use quantiles, natural_breaks, equal_interval "
            "or user (with breaks=)."
        )
    if scheme == "user" and not breaks:
        raise SchemaError("scheme='user' needs breaks=[upper bound of each class, ...].")
    if finite.size == 0:
        return Classes(np.full(len(vals), -1, dtype=np.int64), (), ())
    whole = bool(np.all(finite == np.round(finite))) and decimals in (None, 0)
    crosses = midpoint is not None and finite.min() < midpoint < finite.max()
    div = bool(diverging) if diverging is not None else crosses
    if div:
        bins = _diverging_breaks(finite, scheme, k, breaks, midpoint or 0.0)
        colours = _diverging_colours(bins, midpoint or 0.0, palette_name or _DIVERGING)
    else:
        user = [float(b) for b in breaks] if scheme == "user" and breaks else None
        bins = sorted(set(user if user else _breaks(finite, scheme, k)))
        colours = palette(palette_name or _SEQUENTIAL, len(bins))
    if bins[-1] < finite.max():
        bins[-1] = float(finite.max())
    labels = _range_labels(bins, float(finite.min()), whole=whole, decimals=decimals)
    return Classes(_codes(vals, bins), colours, tuple(labels), tuple(bins), bool(div))


def _diverging_breaks(
    finite: NDArray[np.float64],
    scheme: Scheme,
    k: int,
    breaks: Sequence[float] | None,
    mid: float,
) -> list[float]:
    """Class bounds split at ``mid``: ``k // 2`` classes on each side by ``scheme``."""
    if scheme == "user" and breaks:
        return sorted({float(b) for b in breaks} | {mid})
    half = max(1, k // 2)
    low, high = finite[finite <= mid], finite[finite > mid]
    lower = _breaks(low, scheme, half)[:-1] if low.size else []
    upper = _breaks(high, scheme, half) if high.size else []
    return sorted(set(lower) | {mid} | set(upper))


def _diverging_colours(bins: Sequence[float], mid: float, name: str) -> tuple[str, ...]:
    """Colours of classes below ``mid`` from the cold half, above it from the warm half."""
    n_low = sum(1 for b in bins if b <= mid)
    n_high = len(bins) - n_low
    side = max(n_low, n_high, 1)
    full = palette(name, 2 * side)
    return full[side - n_low : side] + full[side : side + n_high]


def year_classes(years: ArrayLike, *, palette_name: str = "viridis") -> Classes:
    """One class per year present, labelled as a year, coloured by its place in the span.

    Examples
    --------
    >>> c = year_classes([1997, 2012, float("nan"), 2019])
    >>> c.labels, c.codes.tolist()
    (('1997', '2012', '2019'), [0, 1, -1, 2])
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    vals = np.asarray(pd.to_numeric(pd.Series(np.asarray(years)), errors="coerce"), dtype=float)
    finite = np.isfinite(vals)
    uniq = np.unique(vals[finite]).astype(int)
    if uniq.size == 0:
        return Classes(np.full(len(vals), -1, dtype=np.int64), (), ())
    span = max(int(uniq[-1] - uniq[0]), 1)
    cmap = colormaps[palette_name]
    colours = tuple(to_hex(cmap(0.9 - 0.8 * (y - uniq[0]) / span)) for y in uniq)
    codes = np.where(finite, np.searchsorted(uniq, np.where(finite, vals, uniq[0])), -1)
    return Classes(codes.astype(np.int64), colours, tuple(str(y) for y in uniq))


def gi_classes(z: ArrayLike) -> Classes:
    """Put Gi* z-scores into the seven categories (two-sided 99/95/90 % thresholds).

    Examples
    --------
    >>> gi_classes([3.0, 2.0, 1.7, 0.0, -1.7, -2.0, -3.0, float("nan")]).codes.tolist()
    [0, 1, 2, 3, 4, 5, 6, -1]
    """
    vals = np.asarray(z, dtype=float)
    a = np.abs(np.nan_to_num(vals))
    level = np.select([a >= _GI_Z[0], a >= _GI_Z[1], a >= _GI_Z[2]], [0, 1, 2], default=3)
    codes = np.where(vals > 0, level, np.where(level == 3, 3, 6 - level))
    codes = np.where(np.isfinite(vals), codes, -1).astype(np.int64)
    return Classes(codes, _GI_COLOURS, GI_LABELS)


def ehsa_classes(categories: ArrayLike) -> Classes:
    """Emerging hot spot categories present, in ArcGIS order; reds hot, blues cold."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    vals = pd.Series(np.asarray(categories, dtype=object))
    present = [c for c in EHSA_CATEGORIES if (vals == c).any()]
    reds, blues = colormaps["Reds"], colormaps["Blues"]
    colour = {}
    for i, c in enumerate(EHSA_CATEGORIES[:8]):
        colour[c] = to_hex(reds(0.95 - 0.08 * i))
    for i, c in enumerate(EHSA_CATEGORIES[8:16]):
        colour[c] = to_hex(blues(0.95 - 0.08 * i))
    colour["no pattern detected"] = "#f7f7f7"
    pos = {c: i for i, c in enumerate(present)}
    codes = np.array([pos.get(v, -1) for v in vals.tolist()], dtype=np.int64)
    return Classes(codes, tuple(colour[c] for c in present), tuple(present))


def classes_for(values: ArrayLike, style: LayerStyle) -> Classes:
    """Classes of ``values`` as ``style`` says (:class:`LayerStyle`).

    Examples
    --------
    >>> classes_for([4.0, 22.0], KNOWN_STYLES["wasting_pct"]).diverging
    False
    """
    if style.kind == "year":
        return year_classes(values)
    if style.kind == "gi":
        return gi_classes(values)
    if style.kind == "ehsa":
        return ehsa_classes(values)
    return classify(
        values,
        scheme=style.scheme,
        k=style.k,
        breaks=style.breaks,
        midpoint=style.midpoint,
        diverging=style.diverging,
        palette_name=style.palette,
        decimals=style.decimals,
    )
