"""Country codes for the event readers: ISO 3166-1 alpha-3 from codes or names, bounding boxes.

Lookups go through pycountry once per distinct value (never once per row). Values that
cannot be mapped become null; the readers count them in their step report notes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

import numpy as np
import pandas as pd
import pycountry

__all__ = [
    "COUNTRY_BBOX",
    "UCDP_NAME_OVERRIDES",
    "iso3_from_names",
    "iso3_from_numeric",
    "iso3_from_values",
]

#: UCDP GED (and other common) country names that pycountry does not resolve, after
#: parentheticals are stripped ("DR Congo (Zaire)" -> "DR Congo").
UCDP_NAME_OVERRIDES: Final[dict[str, str]] = {
    "bosnia-herzegovina": "BIH",
    "brunei": "BRN",
    "cape verde": "CPV",
    "dr congo": "COD",
    "east timor": "TLS",
    "ivory coast": "CIV",
    # Kosovo has no ISO 3166-1 code; XKX is the user-assigned code used by the EU and IMF.
    "kosovo": "XKX",
    "macedonia": "MKD",
    "macedonia, fyr": "MKD",
    "palestine": "PSE",
    "republic of congo": "COG",
    "russia": "RUS",
    "turkey": "TUR",
}

#: Bounding boxes ``(minx, miny, maxx, maxy)`` in degrees of the 13 countries the
#: package bundles at admin-0 (Mali, Niger, Burkina Faso and their neighbours), from the
#: bundled Natural Earth admin-0 polygons, widened by 0.05 degrees. Used only to spot
#: likely latitude/longitude swaps; countries not listed are not checked.
COUNTRY_BBOX: Final[dict[str, tuple[float, float, float, float]]] = {
    "MLI": (-12.29, 10.10, 4.32, 25.05),
    "NER": (0.12, 11.65, 16.05, 23.57),
    "BFA": (-5.57, 9.34, 2.46, 15.14),
    "MRT": (-17.12, 14.67, -4.78, 27.35),
    "DZA": (-8.72, 18.91, 12.04, 37.14),
    "SEN": (-17.58, 12.26, -11.31, 16.74),
    "GIN": (-15.13, 7.14, -7.59, 12.73),
    "CIV": (-8.65, 4.31, -2.44, 10.79),
    "GHA": (-3.31, 4.69, 1.25, 11.22),
    "TGO": (-0.20, 6.05, 1.86, 11.19),
    "BEN": (0.72, 6.18, 3.90, 12.46),
    "NGA": (2.62, 4.22, 14.73, 13.94),
    "TCD": (13.42, 7.39, 24.05, 23.50),
}

_PAREN = re.compile(r"\s*\([^)]*\)")


@lru_cache(maxsize=4096)
def _name_to_iso3(name: str) -> str | None:
    key = _PAREN.sub("", name).strip()
    if not key:
        return None
    override = UCDP_NAME_OVERRIDES.get(key.casefold())
    if override is not None:
        return override
    try:
        return str(pycountry.countries.lookup(key).alpha_3)
    except LookupError:
        return None


@lru_cache(maxsize=1024)
def _numeric_to_iso3(code: int) -> str | None:
    country = pycountry.countries.get(numeric=f"{code:03d}")
    return None if country is None else str(country.alpha_3)


def _map_unique(values: pd.Series, lookup: dict[object, str | None]) -> pd.Series:
    out = values.map(lookup)
    return out.astype("str").where(out.notna(), None).astype("str")


def iso3_from_names(names: pd.Series) -> tuple[pd.Series, int]:
    """Map country names (UCDP style, parentheticals allowed) to ISO3.

    Returns the codes (null where unknown) and the number of non-null names not mapped.
    """
    text = names.astype("str").where(names.notna())
    uniques = text.dropna().unique()
    lookup: dict[object, str | None] = {u: _name_to_iso3(str(u)) for u in uniques}
    out = _map_unique(text, lookup)
    unknown = int((text.notna() & out.isna()).sum())
    return out, unknown


def iso3_from_numeric(codes: pd.Series) -> tuple[pd.Series, int]:
    """Map ISO 3166-1 numeric codes (``466``, ``"466"``, ``466.0``) to ISO3."""
    num = pd.to_numeric(codes, errors="coerce")
    valid = num.notna() & (num == np.floor(num))
    ints = num.where(valid)
    uniques = ints.dropna().unique()
    lookup: dict[object, str | None] = {u: _numeric_to_iso3(int(u)) for u in uniques}
    out = _map_unique(ints, lookup)
    unknown = int((codes.notna() & out.isna()).sum())
    return out, unknown


def iso3_from_values(values: pd.Series) -> tuple[pd.Series, int]:
    """Map ISO3, ISO2, numeric codes or names, whichever each value is, to ISO3."""
    text = values.astype("str").where(values.notna()).str.strip()
    uniques = text.dropna().unique()
    lookup: dict[object, str | None] = {}
    for u in uniques:
        s = str(u)
        num = pd.to_numeric(s, errors="coerce")
        if pd.notna(num) and float(num).is_integer():
            lookup[u] = _numeric_to_iso3(int(num))
        elif len(s) == 3 and s.isalpha():
            country = pycountry.countries.get(alpha_3=s.upper())
            lookup[u] = None if country is None else str(country.alpha_3)
            if lookup[u] is None:
                lookup[u] = UCDP_NAME_OVERRIDES.get(s.casefold())
        else:
            lookup[u] = _name_to_iso3(s)
    out = _map_unique(text, lookup)
    unknown = int((text.notna() & out.isna()).sum())
    return out, unknown
