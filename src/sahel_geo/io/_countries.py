"""Country codes for the readers: ISO 3166-1 alpha-3 from codes or names, bounding boxes.

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
    "LATLON_SWAP_FIX",
    "UCDP_NAME_OVERRIDES",
    "iso3_from_names",
    "iso3_from_numeric",
    "iso3_from_values",
    "swapped_in_country_bbox",
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
#: bundled Natural Earth admin-0 polygons (``load_boundaries(level=0)``), widened by 0.05
#: degrees and rounded outwards to 0.01 (a test checks they still contain the polygons).
#: Used only to spot likely latitude/longitude swaps; countries not listed are not checked.
#: A constant rather than computed at import, so reading events never loads boundaries.
COUNTRY_BBOX: Final[dict[str, tuple[float, float, float, float]]] = {
    "MLI": (-12.32, 10.09, 4.29, 25.05),
    "NER": (0.10, 11.64, 16.03, 23.57),
    "BFA": (-5.58, 9.34, 2.44, 15.13),
    "MRT": (-17.14, 14.68, -4.77, 27.34),
    "DZA": (-8.74, 18.92, 12.02, 37.15),
    "SEN": (-17.59, 12.25, -11.32, 16.75),
    "GIN": (-15.14, 7.14, -7.61, 12.73),
    "CIV": (-8.68, 4.29, -2.45, 10.78),
    "GHA": (-3.32, 4.68, 1.24, 11.22),
    "TGO": (-0.22, 6.04, 1.84, 11.19),
    "BEN": (0.71, 6.16, 3.89, 12.45),
    "NGA": (2.61, 4.22, 14.72, 13.94),
    "TCD": (13.39, 7.40, 24.04, 23.50),
}

#: How to fix coordinates written ``[lat, lon]`` (in the messages that detect them).
LATLON_SWAP_FIX: Final = (
    "swap them with shapely.ops.transform(lambda x, y: (y, x), g) or re-export with lon/lat order"
)

#: Codes outside ISO 3166-1 accepted as they are.
_EXTRA_ISO3: Final = frozenset({"XKX"})

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
    lookup: dict[object, str | None] = {}
    for u in pd.unique(values.dropna()):
        s = str(u).strip()
        num = pd.to_numeric(s, errors="coerce")
        if pd.notna(num) and float(num).is_integer():
            lookup[u] = _numeric_to_iso3(int(num))
        elif len(s) == 3 and s.isalpha():
            country = pycountry.countries.get(alpha_3=s.upper())
            if country is not None:
                lookup[u] = str(country.alpha_3)
            else:
                upper = s.upper()
                lookup[u] = upper if upper in _EXTRA_ISO3 else None
        else:
            lookup[u] = _name_to_iso3(s)
    out = _map_unique(values, lookup)
    unknown = int((values.notna() & out.isna()).sum())
    return out, unknown


def swapped_in_country_bbox(
    x: np.ndarray, y: np.ndarray, iso3: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Flag points outside their country's box whose swapped point ``(y, x)`` is inside it.

    Parameters
    ----------
    x, y
        Longitudes and latitudes as read (float arrays of one length).
    iso3
        ISO3 code of each point's country; codes not in :data:`COUNTRY_BBOX` (and
        missing codes) are not checked.

    Returns
    -------
    tuple of numpy.ndarray
        ``(swapped, outside)``: outside the box and inside it once swapped (a likely
        ``[lat, lon]`` point); outside the box either way. Both False where unchecked.

    Examples
    --------
    >>> import numpy as np
    >>> swapped, outside = swapped_in_country_bbox(
    ...     np.array([14.0, -4.0, 30.0]), np.array([-4.0, 14.0, 30.0]),
    ...     np.array(["MLI", "MLI", "MLI"], dtype=object),
    ... )
    >>> swapped.tolist(), outside.tolist()
    ([True, False, False], [False, False, True])
    """
    bbox = pd.DataFrame.from_dict(COUNTRY_BBOX, orient="index", columns=["x0", "y0", "x1", "y1"])
    box = bbox.reindex(np.asarray(iso3, dtype=object)).to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        inside = (x >= box[:, 0]) & (x <= box[:, 2]) & (y >= box[:, 1]) & (y <= box[:, 3])
        inside_sw = (y >= box[:, 0]) & (y <= box[:, 2]) & (x >= box[:, 1]) & (x <= box[:, 3])
    checkable = ~np.isnan(box[:, 0]) & np.isfinite(x) & np.isfinite(y)
    swapped: np.ndarray = checkable & ~inside & inside_sw
    outside: np.ndarray = checkable & ~inside & ~inside_sw
    return swapped, outside
