"""Which boundary source a table comes from, and its columns mapped onto the canonical ones.

Private helper of :mod:`sahel_geo.io.boundaries` (see its docstring for the sources).
Pure: tables in, :class:`Mapped` columns out; no file I/O. Codes and names are cleaned
with :func:`sahel_geo.io._boundary_text.clean_text`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from sahel_geo.core.errors import SchemaError
from sahel_geo.core.schema import BOUNDARY_COLUMNS
from sahel_geo.io._boundary_text import clean_text
from sahel_geo.io._countries import iso3_from_values

__all__ = [
    "BOUNDARY_SOURCES",
    "NE_ISO_3166_2",
    "Mapped",
    "map_source",
    "ne_admin1_pcodes",
]

logger = logging.getLogger("sahel_geo.io.boundaries")  # a private helper of that module

#: Values of ``source=``.
BOUNDARY_SOURCES: Final[tuple[str, ...]] = (
    "auto",
    "sahel_geo",
    "cod-ab",
    "geoboundaries",
    "gadm",
    "naturalearth",
    "world-atlas",
    "custom",
)

#: ISO 3166-2 code of each Natural Earth admin-1 unit of Mali, Niger and Burkina Faso
#: (NE ``adm1_code`` -> code; NE's own ``iso_3166_2`` is mostly incomplete: ``ML-``).
#: The same codes are the ``pcode`` of the bundled admin-1/admin-2 files;
#: ``scripts/build_boundaries.py`` derives them from ISO 3166-2 (pycountry, by name)
#: and stops if they differ from this table.
NE_ISO_3166_2: Final[dict[str, str]] = {
    "MLI-2688": "ML-6",  # Timbuktu
    "MLI-2689": "ML-8",  # Kidal
    "MLI-2690": "ML-7",  # Gao
    "MLI-2792": "ML-BKO",  # Bamako
    "MLI-2793": "ML-1",  # Kayes
    "MLI-2794": "ML-3",  # Sikasso
    "MLI-2809": "ML-5",  # Mopti
    "MLI-2810": "ML-4",  # Ségou
    "MLI-4860": "ML-2",  # Koulikoro
    "NER-91": "NE-4",  # Maradi
    "NER-92": "NE-7",  # Zinder
    "NER-93": "NE-3",  # Dosso
    "NER-94": "NE-8",  # Niamey
    "NER-95": "NE-5",  # Tahoua
    "NER-796": "NE-2",  # Diffa
    "NER-800": "NE-1",  # Agadez
    "NER-4859": "NE-6",  # Tillabéri
    "BFA-2183": "BF-KMP",  # Kompienga
    "BFA-2184": "BF-GOU",  # Gourma
    "BFA-2799": "BF-HOU",  # Houet
    "BFA-2800": "BF-KEN",  # Kénédougou
    "BFA-2801": "BF-BAN",  # Banwa
    "BFA-2802": "BF-KOS",  # Kossi
    "BFA-2803": "BF-BAL",  # Balé
    "BFA-2804": "BF-MOU",  # Mou Houn
    "BFA-2805": "BF-OUD",  # Oudalan
    "BFA-2806": "BF-SOM",  # Soum
    "BFA-2807": "BF-NAY",  # Nayala
    "BFA-2808": "BF-SOR",  # Sourou
    "BFA-2811": "BF-BAM",  # Bam
    "BFA-2812": "BF-BLK",  # Boulkiemdé
    "BFA-2813": "BF-KOW",  # Kourwéogo
    "BFA-2814": "BF-BAZ",  # Bazéga
    "BFA-2815": "BF-KAD",  # Kadiogo
    "BFA-2816": "BF-OUB",  # Oubritenga
    "BFA-2817": "BF-PAS",  # Passoré
    "BFA-2818": "BF-ZON",  # Zondoma
    "BFA-2819": "BF-SNG",  # Sanguié
    "BFA-2820": "BF-SIS",  # Sissili
    "BFA-2821": "BF-ZIR",  # Ziro
    "BFA-2822": "BF-LOR",  # Loroum
    "BFA-2823": "BF-YAT",  # Yatenga
    "BFA-2824": "BF-NAM",  # Namentenga
    "BFA-2825": "BF-SMT",  # Sanmatenga
    "BFA-2826": "BF-BLG",  # Boulgou
    "BFA-2827": "BF-KOP",  # Koulpélogo
    "BFA-2828": "BF-GAN",  # Ganzourgou
    "BFA-2829": "BF-KOT",  # Kouritenga
    "BFA-2830": "BF-NAO",  # Nahouri
    "BFA-2831": "BF-ZOU",  # Zoundwéogo
    "BFA-2832": "BF-BGR",  # Bougouriba
    "BFA-2833": "BF-IOB",  # Ioba
    "BFA-2834": "BF-TUI",  # Tuy
    "BFA-2835": "BF-LER",  # Léraba
    "BFA-2836": "BF-COM",  # Komoé
    "BFA-2837": "BF-PON",  # Poni
    "BFA-2874": "BF-GNA",  # Gnagna
    "BFA-2875": "BF-KMD",  # Komondjari
    "BFA-2876": "BF-SEN",  # Séno
    "BFA-2877": "BF-YAG",  # Yagha
    "BFA-2878": "BF-TAP",  # Tapoa
    "BFA-5989": "BF-NOU",  # Noumbiel
}

_ISO_3166_2 = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
_NEEDS = (
    "sahel_geo: admin_level, pcode, name; "
    "cod-ab: ADM{n}_PCODE + ADM{n}_FR/_EN/_PT/_REF (or adm{n}_pcode + adm{n}_name, "
    "admin{n}Pcode + admin{n}Name_fr); "
    "geoboundaries: shapeName, shapeID (+ shapeGroup, shapeType, shapeISO); "
    "gadm: GID_{n}, NAME_{n}; "
    "naturalearth admin-1: adm1_code, name, adm0_a3; naturalearth admin-0: ADM0_A3 or ISO_A3, "
    "NAME; world-atlas: id, name; "
    'any other file: columns={"pcode": ..., "name": ...} and level='
)


@dataclass(frozen=True)
class Mapped:
    """A source's columns mapped onto the canonical ones (values per row)."""

    source: str
    level: pd.Series
    pcode: pd.Series
    name: pd.Series
    parent: pd.Series
    country: pd.Series
    used: tuple[str, ...]


def _is_number(v: object) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


def _note_numeric_codes(df: pd.DataFrame, col: str, origin: str, notes: dict[str, int]) -> None:
    """Count a P-code column stored as numbers; warn when their digit counts differ."""
    values = df[col].dropna()
    if values.empty or not values.map(_is_number).all():
        return
    notes[f"pcode column {col!r} holds numbers, read as text"] = len(values)
    digits = clean_text(values).str.len()
    if digits.nunique() > 1:
        logger.warning(
            "%s: the pcode column %r holds numbers of %d to %d digits: leading zeros may "
            "have been lost (0101 stored as 101). Store P-codes as text in the file.",
            origin,
            col,
            int(digits.min()),
            int(digits.max()),
        )


def _null(index: pd.Index) -> pd.Series:
    return pd.Series([None] * len(index), index=index, dtype=object)


def _levels_present(cols: list[str], pattern: str) -> list[int]:
    rx = re.compile(pattern)
    return sorted({int(m.group(1)) for c in cols if (m := rx.fullmatch(c))})


def _pick_level(found: list[int], level: int | None, what: str) -> int:
    if level is None:
        return found[-1]
    if level not in found:
        raise SchemaError(f"level={level} asked but the {what} columns are for levels {found}.")
    return level


def _const(index: pd.Index, value: int) -> pd.Series:
    return pd.Series(np.full(len(index), value, dtype="int64"), index=index)


def _iso3(values: pd.Series, notes: dict[str, int]) -> pd.Series:
    text = clean_text(values)
    out, unknown = iso3_from_values(pd.Series(text.to_numpy(), index=text.index, dtype="str"))
    if unknown:
        notes["country code or name not recognised"] = unknown
    return clean_text(out)


_CODAB_PCODE = re.compile(r"(?:adm|admin)(\d)_?pcod(?:e)?", re.IGNORECASE)
#: Name columns of COD-AB level n, in order of preference (French first: the Sahel's CODs).
_CODAB_NAMES = ("fr", "en", "name", "name1", "pt", "ref")


def _codab_pcodes(cols: list[str]) -> dict[int, str]:
    """Level -> pcode column (``ADM1_PCODE``, ``adm1_pcode``, ``admin1Pcode``, ``admin1Pcod``)."""
    found: dict[int, str] = {}
    for c in cols:
        m = _CODAB_PCODE.fullmatch(c)
        if m:
            found.setdefault(int(m.group(1)), c)
    return found


def _codab_name(cols: list[str], n: int) -> str | None:
    for suffix in _CODAB_NAMES:
        if suffix == "name":
            rx = re.compile(rf"(?:adm|admin){n}_?name", re.IGNORECASE)
        elif suffix == "name1":
            rx = re.compile(rf"(?:adm|admin){n}_?name_?1", re.IGNORECASE)
        else:
            rx = re.compile(rf"(?:adm|admin){n}_?(?:name)?_?{suffix}", re.IGNORECASE)
        hit = next((c for c in cols if rx.fullmatch(c)), None)
        if hit is not None:
            return hit
    return None


def _map_codab(df: pd.DataFrame, level: int | None, notes: dict[str, int]) -> Mapped:
    cols = [str(c) for c in df.columns]
    pcodes = _codab_pcodes(cols)
    n = _pick_level(sorted(pcodes), level, "COD-AB ADMn_PCODE")
    pcode_col = pcodes[n]
    name_col = _codab_name(cols, n)
    if name_col is None:
        raise SchemaError(
            f"COD-AB file with {pcode_col} but no name column for level {n} (e.g. "
            f"ADM{n}_FR, ADM{n}_EN, adm{n}_name, admin{n}Name_fr); columns found: {cols}. "
            f"Pass columns={{'pcode': {pcode_col!r}, 'name': ...}} and level={n}."
        )
    idx = df.index
    pcode = clean_text(df[pcode_col])
    country_col = pcodes.get(0)
    if country_col is not None:
        country = _iso3(df[country_col], notes)
    else:  # COD-AB pcodes start with the ISO2 code: "ML01" -> MLI
        country = _iso3(pcode.str[:2], notes)
    parent_col = pcodes.get(n - 1) if n > 0 else None
    if n > 0 and parent_col is None:
        notes[f"no ADM{n - 1}_PCODE column: parent_pcode left empty"] = len(df)
    parent = clean_text(df[parent_col]) if parent_col is not None else _null(idx)
    used = tuple(c for c in (pcode_col, name_col, parent_col, country_col) if c is not None)
    return Mapped("cod-ab", _const(idx, n), pcode, clean_text(df[name_col]), parent, country, used)


def _map_geoboundaries(df: pd.DataFrame, level: int | None, notes: dict[str, int]) -> Mapped:
    idx = df.index
    if level is not None:
        lev = _const(idx, level)
    elif "shapeType" in df.columns:
        digits = clean_text(df["shapeType"]).str.extract(r"(\d)", expand=False)
        if digits.isna().any():
            raise SchemaError(
                "geoBoundaries shapeType must look like 'ADM1'; rows "
                f"{(np.flatnonzero(digits.isna().to_numpy()) + 1)[:10].tolist()} do not. "
                "Pass level=."
            )
        lev = digits.astype("int64")
    else:
        raise SchemaError("geoBoundaries file without shapeType: pass level=.")
    country = _iso3(df["shapeGroup"], notes) if "shapeGroup" in df.columns else _null(idx)
    used = tuple(c for c in ("shapeID", "shapeName", "shapeGroup", "shapeType") if c in df)
    return Mapped(
        "geoboundaries",
        lev,
        clean_text(df["shapeID"]),
        clean_text(df["shapeName"]),
        _null(idx),
        country,
        used,
    )


def _map_gadm(df: pd.DataFrame, level: int | None, notes: dict[str, int]) -> Mapped:
    cols = [str(c) for c in df.columns]
    found = _levels_present(cols, r"GID_(\d)")
    n = _pick_level(found, level, "GADM GID_n")
    name_col = f"NAME_{n}" if f"NAME_{n}" in cols else ("COUNTRY" if n == 0 else None)
    if name_col is None or name_col not in cols:
        raise SchemaError(f"GADM file with GID_{n} but no NAME_{n}; columns found: {cols}.")
    idx = df.index
    parent = clean_text(df[f"GID_{n - 1}"]) if n > 0 and f"GID_{n - 1}" in cols else _null(idx)
    country = _iso3(df["GID_0"], notes) if "GID_0" in cols else _null(idx)
    used = tuple(c for c in (f"GID_{n}", name_col, f"GID_{n - 1}", "GID_0") if c in cols)
    return Mapped(
        "gadm",
        _const(idx, n),
        clean_text(df[f"GID_{n}"]),
        clean_text(df[name_col]),
        parent,
        country,
        used,
    )


def ne_admin1_pcodes(adm1_code: pd.Series, iso_3166_2: pd.Series) -> pd.Series:
    """Return the pcodes of Natural Earth admin-1 rows: their ISO 3166-2 codes.

    The same rule as the bundled boundaries, so that a raw Natural Earth file and
    :func:`sahel_geo.load_boundaries` give the same pcodes: the code in
    :data:`NE_ISO_3166_2` for the units of Mali, Niger and Burkina Faso; elsewhere NE's
    own ``iso_3166_2`` when it is complete (``ML-BKO``, not ``ML-``) and no other row
    shares it; else the row's ``adm1_code`` (NE's HASC ``code_hasc`` is never used: it
    is another scheme, and NE gives Bamako Koulikoro's).

    Parameters
    ----------
    adm1_code
        NE ``adm1_code`` (``MLI-2792``).
    iso_3166_2
        NE ``iso_3166_2`` (``ML-BKO``, or an incomplete ``ML-``); whitespace is stripped.

    Returns
    -------
    pandas.Series
        One pcode a row (object dtype), index of ``adm1_code``.

    Examples
    --------
    >>> import pandas as pd
    >>> ne_admin1_pcodes(
    ...     pd.Series(["MLI-2792", "MLI-4860", "ZZZ-1"]), pd.Series(["ML-BKO", "ML-2", "ZZ-"])
    ... ).tolist()
    ['ML-BKO', 'ML-2', 'ZZZ-1']
    """
    adm1 = clean_text(adm1_code)
    given = clean_text(iso_3166_2)
    known = adm1.map(lambda v: NE_ISO_3166_2.get(v) if v is not None else None)
    complete = given.map(lambda v: v is not None and bool(_ISO_3166_2.match(v))).astype(bool)
    candidate = given.where(complete & known.isna(), None)
    shared = candidate.notna() & candidate.duplicated(keep=False)
    out = known.where(known.notna(), candidate.where(~shared, None))
    return out.where(out.notna(), adm1)


def _map_ne_admin1(df: pd.DataFrame, level: int | None, notes: dict[str, int]) -> Mapped:
    idx = df.index
    given = df["iso_3166_2"] if "iso_3166_2" in df.columns else _null(idx)
    pcode = ne_admin1_pcodes(df["adm1_code"], given)
    fallback = int((pcode == clean_text(df["adm1_code"])).sum())
    if fallback:
        notes["pcode is NE adm1_code (no complete ISO 3166-2 code)"] = fallback
    iso3 = clean_text(df["adm0_a3"]) if "adm0_a3" in df.columns else _null(idx)
    lev = 1 if level is None else level
    parent = iso3 if lev == 1 else _null(idx)
    used = tuple(c for c in ("adm1_code", "iso_3166_2", "name", "adm0_a3") if c in df.columns)
    return Mapped(
        "naturalearth", _const(idx, lev), pcode, clean_text(df["name"]), parent, iso3, used
    )


def _map_ne_admin0(df: pd.DataFrame, level: int | None, notes: dict[str, int]) -> Mapped:
    by_upper = {str(c).upper(): c for c in df.columns}
    idx = df.index
    iso = clean_text(df[by_upper["ISO_A3"]]) if "ISO_A3" in by_upper else _null(idx)
    iso = iso.where(iso.map(lambda v: v is not None and v != "-99").astype(bool), None)
    adm0 = clean_text(df[by_upper["ADM0_A3"]]) if "ADM0_A3" in by_upper else _null(idx)
    pcode = iso.where(iso.notna(), adm0)
    name_key = next(k for k in ("NAME", "ADMIN", "NAME_LONG") if k in by_upper)
    used = tuple(by_upper[k] for k in ("ISO_A3", "ADM0_A3", name_key) if k in by_upper)
    if level not in (None, 0):
        raise SchemaError(f"A Natural Earth admin-0 file is level 0; got level={level}.")
    return Mapped(
        "naturalearth",
        _const(idx, 0),
        pcode,
        clean_text(df[by_upper[name_key]]),
        _null(idx),
        pcode,
        used,
    )


def _map_world_atlas(df: pd.DataFrame, level: int | None, notes: dict[str, int]) -> Mapped:
    if level not in (None, 0):
        raise SchemaError(f"world-atlas countries are level 0; got level={level}.")
    iso3 = _iso3(df["id"], notes)
    return Mapped(
        "world-atlas",
        _const(df.index, 0),
        iso3,
        clean_text(df["name"]),
        _null(df.index),
        iso3,
        ("id", "name"),
    )


def _canonical_levels(df: pd.DataFrame) -> pd.Series:
    """``admin_level`` as integers; raise naming the rows that are not whole numbers >= 0."""
    lev = pd.to_numeric(df["admin_level"], errors="coerce")
    bad = (lev.isna() | (lev < 0) | (lev % 1 != 0)).to_numpy()
    if bad.any():
        rows = (np.flatnonzero(bad) + 1)[:10].tolist()
        values = df["admin_level"].to_numpy()[bad][:10].tolist()
        raise SchemaError(
            f"admin_level must be a whole number >= 0 (0 country, 1 region, 2, 3); rows "
            f"{rows} hold {values}. Fix those rows, or pass level= to give every row one level."
        )
    return lev.astype("int64")


def _map_canonical(df: pd.DataFrame, level: int | None, notes: dict[str, int]) -> Mapped:
    idx = df.index
    levels = _canonical_levels(df) if level is None else _const(idx, level)
    parent = clean_text(df["parent_pcode"]) if "parent_pcode" in df.columns else _null(idx)
    # ISO3 checked like any other source's codes ("Mali" -> MLI; unknown ones noted)
    country = _iso3(df["country_iso3"], notes) if "country_iso3" in df.columns else _null(idx)
    return Mapped(
        "sahel_geo",
        levels,
        clean_text(df["pcode"]),
        clean_text(df["name"]),
        parent,
        country,
        ("pcode", *(c for c in BOUNDARY_COLUMNS if c in df.columns and c != "pcode")),
    )


def _map_custom(
    df: pd.DataFrame, level: int | None, columns: Mapping[str, str], notes: dict[str, int]
) -> Mapped:
    allowed = {"pcode", "name", "parent_pcode", "country_iso3"}
    unknown = sorted(set(columns) - allowed)
    problems = []
    if unknown:
        problems.append(f"columns= keys {unknown} are not canonical; use {sorted(allowed)}")
    for key in ("pcode", "name"):
        if key not in columns:
            problems.append(f"columns= needs a {key!r} entry")
    absent = sorted(v for v in columns.values() if v not in df.columns)
    if absent:
        problems.append(f"columns {absent} are not in the file (found: {list(df.columns)})")
    if level is None:
        problems.append("level= is needed with columns= (0 country, 1 region, 2, 3)")
    if problems:
        raise SchemaError("Cannot map the file: " + "; ".join(problems) + ".")
    assert level is not None
    idx = df.index
    parent = clean_text(df[columns["parent_pcode"]]) if "parent_pcode" in columns else _null(idx)
    has_country = "country_iso3" in columns
    country = _iso3(df[columns["country_iso3"]], notes) if has_country else _null(idx)
    return Mapped(
        "custom",
        _const(idx, level),
        clean_text(df[columns["pcode"]]),
        clean_text(df[columns["name"]]),
        parent,
        country,
        (columns["pcode"], *(v for k, v in columns.items() if k != "pcode")),
    )


def _detect(cols: list[str]) -> str | None:
    lower = {c.lower() for c in cols}
    upper = {c.upper() for c in cols}
    if {"admin_level", "pcode", "name"} <= set(cols):
        return "sahel_geo"
    if _codab_pcodes(cols):
        return "cod-ab"
    if {"shapeName", "shapeID"} <= set(cols):
        return "geoboundaries"
    if _levels_present(cols, r"GID_(\d)"):
        return "gadm"
    if {"adm1_code", "name"} <= set(cols):
        return "naturalearth"
    if ({"ADM0_A3", "NAME"} <= upper or {"ISO_A3", "NAME"} <= upper) and "pcode" not in lower:
        return "naturalearth"
    if set(cols) == {"id", "name"}:
        return "world-atlas"
    return None


def map_source(
    df: pd.DataFrame,
    source: str,
    level: int | None,
    columns: Mapping[str, str] | None,
    origin: str,
    notes: dict[str, int],
) -> Mapped:
    """Map ``df`` onto the canonical columns (``source="auto"`` detects the source)."""
    mapped = _map_any(df, source, level, columns, origin, notes)
    if mapped.source != "world-atlas" and mapped.used and mapped.used[0] in df.columns:
        _note_numeric_codes(df, mapped.used[0], origin, notes)
    return mapped


def _map_any(
    df: pd.DataFrame,
    source: str,
    level: int | None,
    columns: Mapping[str, str] | None,
    origin: str,
    notes: dict[str, int],
) -> Mapped:
    cols = [str(c) for c in df.columns]
    if columns is not None:
        if not isinstance(columns, Mapping):
            raise SchemaError(
                "columns= must be a mapping of canonical names to the file's columns, e.g. "
                f'columns={{"pcode": "code", "name": "nom"}}; got {type(columns).__name__} '
                f"{columns!r}."
            )
        if source not in ("auto", "custom"):
            raise SchemaError(f"columns= maps a custom file; it cannot go with source={source!r}.")
        return _map_custom(df, level, columns, notes)
    if source == "custom":
        raise SchemaError('source="custom" needs columns={"pcode": ..., "name": ...} and level=.')
    picked = _detect(cols) if source == "auto" else source
    if picked is None:
        raise SchemaError(
            f"{origin}: cannot tell which boundary source this is from its columns {cols}. "
            f"Each source needs: {_NEEDS}."
        )
    if source == "auto":
        logger.info("%s: read as %s boundaries (detected from its columns)", origin, picked)
    try:
        if picked == "sahel_geo":
            return _map_canonical(df, level, notes)
        if picked == "cod-ab":
            return _map_codab(df, level, notes)
        if picked == "geoboundaries":
            return _map_geoboundaries(df, level, notes)
        if picked == "gadm":
            return _map_gadm(df, level, notes)
        if picked == "naturalearth":
            if "adm1_code" in cols:
                return _map_ne_admin1(df, level, notes)
            return _map_ne_admin0(df, level, notes)
        if picked == "world-atlas":
            return _map_world_atlas(df, level, notes)
    except (KeyError, StopIteration, IndexError) as exc:
        raise SchemaError(
            f"{origin}: read as {picked} but a column is missing ({exc}); columns found: "
            f"{cols}. {picked} needs: "
            + next((n for n in _NEEDS.split("; ") if n.startswith(picked.split("-")[0])), _NEEDS)
        ) from None
    raise SchemaError(f"Unknown source {source!r}; use one of {list(BOUNDARY_SOURCES)}.")
