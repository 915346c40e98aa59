"""SYNTHETIC demo conflict events for the Sahel, 2012-2023: not real data.

Every row made here is invented by a seeded random generator to look like an ACLED
export, so the package can be shown and tested without ACLED's licence terms. The
``source`` column says ``sahel_geo synthetic demo data``, ``source_scale`` says
``Synthetic``, every ``notes`` text starts with ``SYNTHETIC DEMO EVENT (sahel_geo), not a
real event``, and the canonical ``source`` of :func:`demo_events` is ``demo``. Never
report numbers from it.

What is realistic is the *shape* of the spread of violence from Mali into Burkina Faso
and Niger: 2012-2013 mostly northern Mali (Kidal, Gao, Timbuktu, Ménaka; about 90 %);
central Mali (Mopti region: Douentza, Djenné, Boni, Bandiagara, Koro) growing from 2015
to a third of the events; northern Burkina Faso (Djibo and Arbinda in Soum, Dori in
Séno, Gorom-Gorom in Oudalan) and western Niger (Tillabéri: Ayorou, Ouallam, Téra,
Banibangou; Tahoua: Tillia) rising from 2016-2017 after a trickle; from 2019 only, the
south-east (Burkina's Est: Fada N'Gourma, Diapaga; Centre-Nord: Kaya, Barsalogho;
Boucle du Mouhoun; Niger's southern Tillabéri and Dosso), so that Burkina Faso and Niger
hold about two thirds of the events in 2021-2023. Yearly volumes rise over time (with
the 2013 intervention peak). The yearly shares are the table ``_ZONE_SHARES`` below.
Events are jittered around the towns' public coordinates
(a few km for ``geo_precision`` 1, more for 2 and 3) and keep the town's country, ISO
code and admin names. Event types and sub-types follow rough ACLED proportions for the
region; fatalities come from a skewed (negative binomial) distribution with rare mass-
casualty events; ``geo_precision`` is mostly 1, ``time_precision`` mostly 1.

Actors are coded the way a 2023 ACLED export codes them (``civilian_targeting`` column,
numeric interaction codes), consistently with the event type: battles, explosions and
strategic developments by an armed group (``inter1`` 2, so ``perpetrator_group``
``armed_group``) against state forces (``inter2`` 1) or no one; violence against
civilians by an armed group against civilians (``inter2`` 7); protests by protesters
(6) and riots by rioters (5, ``other``) against civilians. ``civilian_targeting`` is
``Civilian targeting`` exactly where civilians are the target (``inter2`` 7: violence
against civilians and riots), so the demo's ``civilian_fatalities`` (ACLED's rule, see
:func:`sahel_geo.read_acled`) are the fatalities of those events.

Six rows are deliberately flawed so the rejects table has something to show (their
positions are drawn from the seed):

1. missing coordinates (latitude and longitude empty) -> rejected ``missing coordinates``
2. text in latitude (``"14.1N"``) -> rejected ``latitude is not a number``
3. an impossible date (``2019-02-30``) -> rejected ``event_date could not be parsed``
4. a duplicate ``event_id_cnty`` -> rejected ``duplicate event_id (first at row N)``
5. ``(0, 0)`` coordinates -> rejected ``null island coordinates (0, 0)``
6. latitude and longitude swapped (in range) -> kept and counted as
   ``likely_latlon_swap`` in the report notes, with a WARNING log line

So ``demo_events(n=n)`` keeps ``n - 5`` events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sahel_geo.core.errors import ConfigError
from sahel_geo.io._event_builder import build_events
from sahel_geo.io.events import acled_spec

__all__ = ["DEMO_SOURCE_TEXT", "demo_acled_table", "demo_events"]

#: Text of the ACLED ``source`` column of every demo row.
DEMO_SOURCE_TEXT: Final = "sahel_geo synthetic demo data"
_NOTES_PREFIX: Final = "SYNTHETIC DEMO EVENT (sahel_geo), not a real event."
_N_FLAWED: Final = 6
_MIN_N: Final = 20

_YEARS: Final = np.arange(2012, 2024)
#: Relative yearly volume (rising, with the 2013 intervention peak).
_VOLUME: Final = np.array([300, 520, 260, 420, 480, 650, 1150, 1800, 2400, 2900, 3600, 3900.0])

# country: (name, ISO 3166-1 numeric, ISO3)
_COUNTRIES: Final = {
    "MLI": ("Mali", 466),
    "BFA": ("Burkina Faso", 854),
    "NER": ("Niger", 562),
}

# Towns: (name, country ISO3, admin1, admin2, latitude, longitude, weight within zone).
# Coordinates are the towns' public, approximate positions.
_ZONES: Final[dict[str, list[tuple[str, str, str, str, float, float, float]]]] = {
    "north_mali": [
        ("Kidal", "MLI", "Kidal", "Kidal", 18.441, 1.407, 3.0),
        ("Aguelhok", "MLI", "Kidal", "Tessalit", 19.461, 0.858, 1.5),
        ("Tessalit", "MLI", "Kidal", "Tessalit", 20.198, 1.011, 1.0),
        ("Gao", "MLI", "Gao", "Gao", 16.272, -0.044, 3.0),
        ("Ansongo", "MLI", "Gao", "Ansongo", 15.659, 0.502, 1.5),
        ("Bourem", "MLI", "Gao", "Bourem", 16.955, -0.347, 1.0),
        ("Timbuktu", "MLI", "Timbuktu", "Timbuktu", 16.773, -3.007, 2.5),
        ("Goundam", "MLI", "Timbuktu", "Goundam", 16.414, -3.671, 1.0),
        ("Léré", "MLI", "Timbuktu", "Niafunke", 15.712, -4.912, 0.8),
        ("Ménaka", "MLI", "Gao", "Menaka", 15.918, 2.402, 2.0),
    ],
    "central_mali": [
        ("Douentza", "MLI", "Mopti", "Douentza", 15.002, -2.949, 2.0),
        ("Boni", "MLI", "Mopti", "Douentza", 15.071, -2.166, 1.5),
        ("Djenné", "MLI", "Mopti", "Djenne", 13.906, -4.553, 1.5),
        ("Mopti", "MLI", "Mopti", "Mopti", 14.484, -4.183, 1.5),
        ("Bandiagara", "MLI", "Mopti", "Bandiagara", 14.350, -3.610, 2.0),
        ("Koro", "MLI", "Mopti", "Koro", 14.068, -3.080, 2.0),
        ("Ténenkou", "MLI", "Mopti", "Tenenkou", 14.457, -4.917, 1.0),
        ("Niono", "MLI", "Ségou", "Niono", 14.252, -5.993, 1.0),
    ],
    "north_bfa": [
        ("Djibo", "BFA", "Sahel", "Soum", 14.102, -1.627, 3.0),
        ("Arbinda", "BFA", "Sahel", "Soum", 14.231, -0.867, 2.0),
        ("Dori", "BFA", "Sahel", "Seno", 14.035, -0.035, 2.0),
        ("Gorom-Gorom", "BFA", "Sahel", "Oudalan", 14.443, -0.236, 1.5),
        ("Sebba", "BFA", "Sahel", "Yagha", 13.437, 0.530, 1.0),
        ("Titao", "BFA", "Nord", "Loroum", 13.767, -2.070, 1.0),
        ("Ouahigouya", "BFA", "Nord", "Yatenga", 13.579, -2.421, 0.8),
    ],
    "west_niger": [
        ("Ayorou", "NER", "Tillaberi", "Tillaberi", 14.731, 0.919, 1.5),
        ("Ouallam", "NER", "Tillaberi", "Ouallam", 14.318, 2.086, 1.5),
        ("Téra", "NER", "Tillaberi", "Tera", 14.009, 0.753, 1.5),
        ("Banibangou", "NER", "Tillaberi", "Banibangou", 15.041, 2.701, 1.2),
        ("Abala", "NER", "Tillaberi", "Abala", 14.933, 3.433, 1.0),
        ("Tillabéri", "NER", "Tillaberi", "Tillaberi", 14.212, 1.453, 1.0),
        ("Tillia", "NER", "Tahoua", "Tillia", 16.137, 4.793, 1.0),
    ],
    "southeast_bfa": [
        ("Fada N'Gourma", "BFA", "Est", "Gourma", 12.062, 0.358, 2.0),
        ("Diapaga", "BFA", "Est", "Tapoa", 12.071, 1.788, 1.5),
        ("Pama", "BFA", "Est", "Kompienga", 11.249, 0.706, 1.0),
        ("Gayéri", "BFA", "Est", "Komondjari", 12.648, 0.493, 1.0),
        ("Kaya", "BFA", "Centre-Nord", "Sanmatenga", 13.092, -1.084, 1.5),
        ("Barsalogho", "BFA", "Centre-Nord", "Sanmatenga", 13.417, -1.058, 2.0),
        ("Kongoussi", "BFA", "Centre-Nord", "Bam", 13.326, -1.531, 1.0),
        ("Dédougou", "BFA", "Boucle du Mouhoun", "Mouhoun", 12.463, -3.461, 1.0),
        ("Nouna", "BFA", "Boucle du Mouhoun", "Kossi", 12.729, -3.864, 1.0),
        ("Tougan", "BFA", "Boucle du Mouhoun", "Sourou", 13.069, -3.070, 1.0),
    ],
    "south_niger": [
        ("Torodi", "NER", "Tillaberi", "Torodi", 13.118, 1.798, 1.5),
        ("Say", "NER", "Tillaberi", "Say", 13.101, 2.360, 1.0),
        ("Makalondi", "NER", "Tillaberi", "Torodi", 12.834, 1.681, 1.0),
        ("Dosso", "NER", "Dosso", "Dosso", 13.049, 3.194, 1.0),
        ("Dogondoutchi", "NER", "Dosso", "Dogondoutchi", 13.640, 4.029, 1.0),
        ("Loga", "NER", "Dosso", "Loga", 13.617, 3.233, 0.8),
    ],
}

#: Share of each zone (order of _ZONES) in each year 2012..2023 (rows sum to 1).
_ZONE_SHARES: Final = np.array(
    [
        [0.92, 0.08, 0.00, 0.00, 0.00, 0.00],  # 2012
        [0.85, 0.13, 0.01, 0.01, 0.00, 0.00],  # 2013
        [0.80, 0.15, 0.02, 0.03, 0.00, 0.00],  # 2014
        [0.55, 0.35, 0.05, 0.05, 0.00, 0.00],  # 2015
        [0.40, 0.40, 0.12, 0.08, 0.00, 0.00],  # 2016
        [0.30, 0.40, 0.18, 0.12, 0.00, 0.00],  # 2017
        [0.25, 0.35, 0.25, 0.15, 0.00, 0.00],  # 2018
        [0.15, 0.30, 0.25, 0.15, 0.10, 0.05],  # 2019
        [0.12, 0.25, 0.22, 0.13, 0.18, 0.10],  # 2020
        [0.10, 0.22, 0.20, 0.13, 0.22, 0.13],  # 2021
        [0.10, 0.20, 0.18, 0.12, 0.25, 0.15],  # 2022
        [0.10, 0.20, 0.15, 0.10, 0.28, 0.17],  # 2023
    ]
)

# (event_type, disorder_type, share, [(sub_event_type, share), ...])
_EVENT_TYPES: Final = [
    ("Battles", "Political violence", 0.34,
     [("Armed clash", 0.90), ("Government regains territory", 0.05),
      ("Non-state actor overtakes territory", 0.05)]),
    ("Violence against civilians", "Political violence", 0.36,
     [("Attack", 0.80), ("Abduction/forced disappearance", 0.18), ("Sexual violence", 0.02)]),
    ("Explosions/Remote violence", "Political violence", 0.14,
     [("Remote explosive/landmine/IED", 0.60), ("Air/drone strike", 0.25),
      ("Shelling/artillery/missile attack", 0.10), ("Suicide bomb", 0.05)]),
    ("Strategic developments", "Strategic developments", 0.09,
     [("Looting/property destruction", 0.45), ("Disrupted weapons use", 0.20),
      ("Arrests", 0.15), ("Change to group/activity", 0.10), ("Agreement", 0.05),
      ("Other", 0.05)]),
    ("Protests", "Demonstrations", 0.05,
     [("Peaceful protest", 0.90), ("Protest with intervention", 0.10)]),
    ("Riots", "Demonstrations", 0.02, [("Violent demonstration", 0.60), ("Mob violence", 0.40)]),
]  # fmt: skip

_GROUPS_EARLY: Final = np.array(
    [
        "MNLA: National Movement for the Liberation of Azawad",
        "Ansar Dine",
        "MUJAO: Movement for Unity and Jihad in West Africa",
        "AQIM: Al Qaeda in the Islamic Maghreb",
    ],
    dtype=object,  # looked up per row: pointers, not fixed-width copies of the text
)
_GROUPS_LATE: Final = np.array(
    [
        "JNIM: Group for Support of Islam and Muslims",
        "Islamic State (Sahel)",
        "JNIM: Group for Support of Islam and Muslims",
        "Unidentified Armed Group",
    ],
    dtype=object,
)

ACLED_COLUMNS: Final = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2",
    "inter2", "interaction", "civilian_targeting", "iso", "region", "country", "admin1",
    "admin2", "admin3", "location", "latitude", "longitude", "geo_precision", "source",
    "source_scale", "notes", "fatalities", "tags", "timestamp",
)  # fmt: skip


def _pick(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each row, draw an index from ``probs[rows[i]]`` (vectorised inverse CDF)."""
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(len(rows))
    idx: np.ndarray = np.minimum((u[:, None] > cum[rows]).sum(axis=1), probs.shape[1] - 1)
    return idx


def _blank_to_none(values: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[out == ""] = None
    return out


def _check_n(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < _MIN_N:
        raise ConfigError(
            f"n must be an integer >= {_MIN_N} (the demo includes {_N_FLAWED} flawed rows); "
            f"got {n!r}."
        )


def demo_acled_table(*, n: int = 5000, seed: int = 20120117) -> pd.DataFrame:
    """Make a SYNTHETIC ACLED-style table of Sahel conflict events (not real data).

    Columns and types as a current ACLED CSV export has them, sorted by date then id; the
    spread, volumes and flawed rows are described in the module docstring.

    Parameters
    ----------
    n
        Number of rows, including the 6 flawed ones (at least 20).
    seed
        Seed of ``numpy.random.default_rng``: the same seed gives an identical table.

    Returns
    -------
    pandas.DataFrame
        One row per synthetic event, in ACLED's column order.

    Examples
    --------
    >>> from sahel_geo.io.demo import demo_acled_table
    >>> table = demo_acled_table(n=100, seed=1)
    >>> table["source"].unique().tolist()
    ['sahel_geo synthetic demo data']
    """
    _check_n(n)
    rng = np.random.default_rng(seed)
    columns, order = _drawn_columns(rng, n)
    table = pd.DataFrame(index=pd.RangeIndex(n))
    for name in list(columns):  # one column at a time, each draw freed once converted
        values = columns.pop(name)
        table[name] = values if name == "event_id_cnty" else _in_order(values, order)
        if table[name].dtype == object:
            table[name] = table[name].astype("str")
    return _add_flaws(table, rng)


def _drawn_columns(rng: np.random.Generator, n: int) -> tuple[dict[str, Any], np.ndarray]:
    """Draw every column (rows unsorted, ids sorted) and the rows' date order."""
    # the draws, always in this order: the same seed gives the same table
    when = _draw_dates(rng, n)
    place = _draw_places(rng, when.year_idx)
    what = _draw_event_types(rng, n)
    actors = _draw_actors(rng, what.etype, when.years, place.iso3)
    fat = _draw_fatalities(rng, what.etype)
    time_precision = 1 + _pick(rng, np.array([[0.88, 0.09, 0.03]]), np.zeros(n, dtype=int))
    text = _date_texts(when.dates)
    # rows in date order (then country, town: numeric keys, stable, deterministic)
    order = np.lexsort((place.town, actors.c_idx, text.day_num))
    columns = _acled_columns(
        when, place, what, actors, fat, time_precision, text, _event_ids(place, actors, order)
    )
    return columns, order


def _in_order(values: Any, order: np.ndarray) -> Any:
    """Take the rows in ``order``; text becomes pandas ``str`` through Arrow (no per-row copy).

    Each distinct text is converted once (:func:`pandas.factorize`); missing stays missing.
    """
    if isinstance(values, pa.Array):
        return pd.array(values.take(pa.array(order)), dtype="str")
    if values.dtype != object:
        return np.asarray(values)[order]
    codes, uniques = pd.factorize(values)
    text = pa.array(np.asarray(uniques, dtype=object), type=pa.large_string())
    taken = pa.DictionaryArray.from_arrays(pa.array(codes[order], mask=codes[order] < 0), text)
    return pd.array(taken.dictionary_decode(), dtype="str")


@dataclass(frozen=True)
class _When:
    """Drawn years (and their index in ``_YEARS``) and days."""

    year_idx: np.ndarray
    years: np.ndarray
    dates: pd.DatetimeIndex


@dataclass(frozen=True)
class _Place:
    """Drawn towns with their names, admin units and jittered coordinates."""

    town: np.ndarray
    name: np.ndarray
    iso3: np.ndarray
    adm1: np.ndarray
    adm2: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    geo_precision: np.ndarray


@dataclass(frozen=True)
class _What:
    """Drawn event types and sub-types."""

    etype: np.ndarray
    sub: np.ndarray
    e_name: np.ndarray
    disorder: np.ndarray
    s_name: np.ndarray
    sub_names: np.ndarray


@dataclass(frozen=True)
class _Actors:
    """Country, actors and interaction codes of each event."""

    c_idx: np.ndarray
    country: np.ndarray
    iso: np.ndarray
    actor1: np.ndarray
    actor2: np.ndarray
    inter1: np.ndarray
    inter2: np.ndarray
    interaction: np.ndarray
    civ_target: np.ndarray


@dataclass(frozen=True)
class _DateText:
    """Day numbers and the dates as text (short, and long for the notes)."""

    day_num: np.ndarray
    date_text: np.ndarray
    long_date: np.ndarray


def _draw_dates(rng: np.random.Generator, n: int) -> _When:
    """Draw a year by volume, then a day within it (two draws)."""
    year_idx = rng.choice(len(_YEARS), size=n, p=_VOLUME / _VOLUME.sum())
    years = _YEARS[year_idx]
    starts = pd.to_datetime(pd.Series(years).astype("str") + "-01-01").to_numpy()
    leap = (years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0))
    day = np.floor(rng.random(n) * (365 + leap)).astype("int64")
    return _When(year_idx, years, pd.DatetimeIndex(starts + day.astype("timedelta64[D]")))


def _draw_places(rng: np.random.Generator, year_idx: np.ndarray) -> _Place:
    """Draw a zone by year, a town by zone, a precision and a jitter by precision."""
    n = len(year_idx)
    zone_names = list(_ZONES)
    zone = _pick(rng, _ZONE_SHARES, year_idx)
    towns = [t for z in zone_names for t in _ZONES[z]]
    offsets = np.cumsum([0] + [len(_ZONES[z]) for z in zone_names])
    width = max(len(v) for v in _ZONES.values())
    town_w = np.zeros((len(zone_names), width))
    for i, z in enumerate(zone_names):
        w = np.array([t[6] for t in _ZONES[z]])
        town_w[i, : len(w)] = w / w.sum()
    town = offsets[zone] + _pick(rng, town_w, zone)
    t_lat = np.array([t[4] for t in towns])[town]
    t_lon = np.array([t[5] for t in towns])[town]
    geo_precision = 1 + _pick(rng, np.array([[0.80, 0.15, 0.05]]), np.zeros(n, dtype=int))
    sd = np.array([0.0, 0.02, 0.05, 0.08])[geo_precision]
    jitter = np.clip(rng.normal(size=(n, 2)), -2.5, 2.5) * sd[:, None]
    return _Place(
        town=town,
        name=np.array([t[0] for t in towns], dtype=object)[town],
        iso3=np.array([t[1] for t in towns], dtype=object)[town],
        adm1=np.array([t[2] for t in towns], dtype=object)[town],
        adm2=np.array([t[3] for t in towns], dtype=object)[town],
        lat=np.round(t_lat + jitter[:, 0], 4),
        lon=np.round(t_lon + jitter[:, 1], 4),
        geo_precision=geo_precision,
    )


def _draw_event_types(rng: np.random.Generator, n: int) -> _What:
    """Draw an event type, then a sub-type within it (two draws)."""
    type_p = np.array([[t[2] for t in _EVENT_TYPES]])
    etype = _pick(rng, type_p / type_p.sum(), np.zeros(n, dtype=int))
    sub_w = np.zeros((len(_EVENT_TYPES), max(len(t[3]) for t in _EVENT_TYPES)))
    for i, t in enumerate(_EVENT_TYPES):
        sub_w[i, : len(t[3])] = [s[1] for s in t[3]]
    sub = _pick(rng, sub_w / sub_w.sum(axis=1, keepdims=True), etype)
    sub_names = np.array(
        [[s[0] for s in t[3]] + [""] * (sub_w.shape[1] - len(t[3])) for t in _EVENT_TYPES],
        dtype=object,
    )
    return _What(
        etype=etype,
        sub=sub,
        e_name=np.array([t[0] for t in _EVENT_TYPES], dtype=object)[etype],
        disorder=np.array([t[1] for t in _EVENT_TYPES], dtype=object)[etype],
        s_name=sub_names[etype, sub],
        sub_names=sub_names,
    )


def _draw_actors(
    rng: np.random.Generator, kind: np.ndarray, years: np.ndarray, t_iso3: np.ndarray
) -> _Actors:
    """Draw the armed group; derive actors and interaction codes from the event type."""
    n = len(kind)
    cname = np.array([_COUNTRIES[c][0] for c in ("MLI", "BFA", "NER")], dtype=object)
    c_idx = np.select([t_iso3 == "MLI", t_iso3 == "BFA"], [0, 1], 2)
    country = cname[c_idx]
    iso = np.array([_COUNTRIES[c][1] for c in ("MLI", "BFA", "NER")])[c_idx]
    g = rng.integers(0, 4, size=n)
    group = np.where(years < 2017, _GROUPS_EARLY[g], _GROUPS_LATE[g]).astype(object)
    forces = ("Military Forces of " + cname)[c_idx]  # per country, then looked up
    civilians = ("Civilians (" + cname + ")")[c_idx]
    # kind: 0 battles, 1 VAC, 2 explosions, 3 strategic, 4 protests, 5 riots
    actor1 = np.select(
        [kind <= 3, kind == 4],
        [group, ("Protesters (" + cname + ")")[c_idx]],
        ("Rioters (" + cname + ")")[c_idx],
    ).astype(object)
    actor2 = np.select(
        [kind == 0, kind == 1, kind == 2, kind == 5], [forces, civilians, forces, civilians], ""
    ).astype(object)
    inter1 = np.select([kind <= 3, kind == 4], [2, 6], 5)
    inter2 = np.select([(kind == 0) | (kind == 2), (kind == 1) | (kind == 5)], [1, 7], 0)
    interaction = np.where(
        inter2 == 0, inter1 * 10, np.minimum(inter1, inter2) * 10 + np.maximum(inter1, inter2)
    )
    # ACLED flags civilian targeting where civilians are the target (inter2 7): violence
    # against civilians and, here, the riots aimed at civilians (mob violence)
    civ_target = np.array(["", "Civilian targeting"], dtype=object)[(inter2 == 7).astype(np.intp)]
    return _Actors(c_idx, country, iso, actor1, actor2, inter1, inter2, interaction, civ_target)


def _draw_fatalities(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """Draw fatalities: skewed counts, rare mass-casualty events, few for non-violent kinds."""
    n = len(kind)
    base = rng.negative_binomial(0.6, 0.18, size=n)
    mass = rng.random(n) < 0.006
    fat = np.where(mass, rng.integers(20, 160, size=n), base)
    fat = np.where(kind >= 3, np.where(rng.random(n) < 0.05, np.minimum(base, 3), 0), fat)
    out: np.ndarray = np.where(kind == 1, np.ceil(fat * 0.8), fat).astype("int64")
    return out


def _date_texts(dates: pd.DatetimeIndex) -> _DateText:
    """Format each distinct day once (a few thousand), not every row."""
    day_num = dates.to_numpy().astype("datetime64[D]").astype("int64")
    uniq, inverse = np.unique(day_num, return_inverse=True)
    udays = pd.DatetimeIndex(uniq.astype("datetime64[D]"))
    date_text = udays.strftime("%Y-%m-%d").to_numpy(dtype=object)[inverse]
    long_date = (udays.day.astype("str") + udays.strftime(" %B %Y")).to_numpy(dtype=object)
    return _DateText(day_num, date_text, long_date[inverse])


def _event_ids(place: _Place, actors: _Actors, order: np.ndarray) -> np.ndarray:
    """ACLED-style ids: ISO3 + a running number per country, in date order."""
    n = len(order)
    seq = np.zeros(n, dtype="int64")
    for k in range(3):
        mine = actors.c_idx[order] == k
        seq[mine] = np.arange(1, int(mine.sum()) + 1)
    ids: np.ndarray = place.iso3[order] + seq.astype(str).astype(object)
    return ids


def _acled_columns(
    when: _When,
    place: _Place,
    what: _What,
    actors: _Actors,
    fat: np.ndarray,
    time_precision: np.ndarray,
    text: _DateText,
    ids: np.ndarray,
) -> dict[str, object]:
    """Return the ACLED export's columns in its order (rows unsorted, ids already sorted)."""
    n = len(fat)
    kind = what.etype
    sub_lower = np.array([[x.lower() for x in r] for r in what.sub_names], dtype=object)
    parts = [text.long_date, sub_lower[kind, what.sub], place.name, place.adm1, actors.country]
    long_date, sub, town, adm1, country = (pa.array(p, type=pa.large_string()) for p in parts)
    pieces = [
        _NOTES_PREFIX + " On ", long_date, ", ", sub, " near ", town, " (", adm1, ", ",
        country, ").",
    ]  # fmt: skip
    notes = pc.binary_join_element_wise(
        *(pa.scalar(x, pa.large_string()) if isinstance(x, str) else x for x in pieces),
        pa.scalar("", pa.large_string()),
    )
    tags = np.full(n, None, dtype=object)
    tags[kind == 4] = "crowd size=no report"
    # empty ACLED text cells are empty in a CSV export, i.e. missing once read back
    none = np.full(n, None, dtype=object)
    return {
        "event_id_cnty": ids,
        "event_date": text.date_text,
        "year": when.years.astype("int64"),
        "time_precision": time_precision.astype("int64"),
        "disorder_type": what.disorder,
        "event_type": what.e_name,
        "sub_event_type": what.s_name,
        "actor1": actors.actor1,
        "assoc_actor_1": none,
        "inter1": actors.inter1.astype("int64"),
        "actor2": _blank_to_none(actors.actor2),
        "assoc_actor_2": none,
        "inter2": actors.inter2.astype("int64"),
        "interaction": actors.interaction.astype("int64"),
        "civilian_targeting": _blank_to_none(actors.civ_target.astype(object)),
        "iso": actors.iso.astype("int64"),
        "region": np.full(n, "Western Africa", dtype=object),
        "country": actors.country,
        "admin1": place.adm1,
        "admin2": place.adm2,
        "admin3": none,
        "location": place.name,
        "latitude": place.lat,
        "longitude": place.lon,
        "geo_precision": place.geo_precision.astype("int64"),
        "source": np.full(n, DEMO_SOURCE_TEXT, dtype=object),
        "source_scale": np.full(n, "Synthetic", dtype=object),
        "notes": notes,
        "fatalities": fat,
        "tags": tags,
        "timestamp": (text.day_num * 86400 + 14 * 86400).astype("int64"),
    }


def _add_flaws(table: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Overwrite six rows drawn from ``rng`` with the flaws listed in the module docstring."""
    n = len(table)
    pos = np.sort(rng.choice(np.arange(10, n), size=_N_FLAWED, replace=False))
    out = table  # this function's own table: flawed in place, not copied
    lat = out["latitude"].astype(object)
    lon = out["longitude"].astype(object)
    missing, text, bad_date, dup, null_island, swap = (int(p) for p in pos)
    lat.iloc[missing] = np.nan
    lon.iloc[missing] = np.nan
    lat.iloc[text] = f"{float(out['latitude'].iloc[text]):.1f}N"
    out.loc[bad_date, "event_date"] = "2019-02-30"
    out.loc[dup, "event_id_cnty"] = out["event_id_cnty"].iloc[int(rng.integers(0, 10))]
    lat.iloc[null_island] = 0.0
    lon.iloc[null_island] = 0.0
    lat.iloc[swap], lon.iloc[swap] = lon.iloc[swap], lat.iloc[swap]
    out["latitude"] = lat
    out["longitude"] = lon
    return out


def demo_events(*, n: int = 5000, seed: int = 20120117) -> gpd.GeoDataFrame:
    """SYNTHETIC canonical events (not real data): :func:`demo_acled_table` read as ACLED.

    The table goes through the same builder as :func:`~sahel_geo.read_acled`, with the
    canonical ``source`` set to ``demo``; the five unusable flawed rows are in the rejects
    (``sahel_geo.rejects(events)``) and the swapped row is counted as
    ``likely_latlon_swap``.

    Parameters
    ----------
    n
        Number of rows of the raw table, including the 6 flawed ones (at least 20).
    seed
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical events, EPSG:4326, with the step report ``demo_events`` attached.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> events = sg.demo_events(n=100, seed=1)
    >>> len(events), events["source"].unique().tolist()
    (95, ['demo'])
    """
    table = demo_acled_table(n=n, seed=seed)
    origin = f"demo_acled_table(n={n}, seed={seed})"
    # the table is this function's own: dropped column by column as the events are built
    spec = acled_spec(table, source="demo")
    return build_events(table, spec, origin=origin, step="demo_events", consume=True)
