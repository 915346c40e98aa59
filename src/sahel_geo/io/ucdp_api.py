"""UCDP GED API client, with the saved JSON pages as its local-file twin.

:func:`download_ucdp` pages through ``https://ucdpapi.pcr.uu.se/api/gedevents/<version>``
with :mod:`urllib` (no extra dependency), optionally writes every page as the API sent
it into a cache folder, and feeds the records to the same builder as
:func:`~sahel_geo.read_ucdp`. A saved page can be read offline with
``read_ucdp("page.json")``; a cached query is answered from the cache without the
network.

Since 2025 the API needs an access token sent in the ``x-ucdp-access-token`` header.
Request one from UCDP (see https://ucdp.uu.se/apidocs/) and pass ``token=`` or set the
``UCDP_API_TOKEN`` environment variable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import pandas as pd

from sahel_geo.core.errors import ConfigError, NetworkError
from sahel_geo.core.options import get_option
from sahel_geo.io._atomic import atomic_write_bytes
from sahel_geo.io.events import build_ucdp, ucdp_records_frame

__all__ = ["GW_CODES", "UCDP_API_URL", "UCDP_GED_COLUMNS", "download_ucdp"]

logger = logging.getLogger(__name__)

UCDP_API_URL: Final = "https://ucdpapi.pcr.uu.se/api/gedevents/{version}"
TOKEN_ENV: Final = "UCDP_API_TOKEN"
_TOKEN_HEADER: Final = "x-ucdp-access-token"
_TIMEOUT_S: Final = 60.0
_MAX_PAGES: Final = 10_000

#: Gleditsch-Ward country codes (what the API's ``Country`` filter takes) of the
#: countries the package bundles, by ISO3.
GW_CODES: Final[dict[str, int]] = {
    "MLI": 432,
    "SEN": 433,
    "BEN": 434,
    "MRT": 435,
    "NER": 436,
    "CIV": 437,
    "GIN": 438,
    "BFA": 439,
    "GHA": 452,
    "TGO": 461,
    "NGA": 475,
    "TCD": 483,
    "DZA": 615,
}

#: The 49 columns of UCDP GED 23.1 (CSV and API), used for an empty answer.
UCDP_GED_COLUMNS: Final = (
    "id", "relid", "year", "active_year", "code_status", "type_of_violence",
    "conflict_dset_id", "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id",
    "dyad_name", "side_a_dset_id", "side_a_new_id", "side_a", "side_b_dset_id",
    "side_b_new_id", "side_b", "number_of_sources", "source_article", "source_office",
    "source_date", "source_headline", "source_original", "where_prec", "where_coordinates",
    "where_description", "adm_1", "adm_2", "latitude", "longitude", "geom_wkt",
    "priogrid_gid", "country", "country_id", "region", "event_clarity", "date_prec",
    "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown",
    "best", "high", "low", "gwnoa", "gwnob",
)  # fmt: skip


def _urlopen(request: urllib.request.Request, timeout: float) -> Any:
    """Open a URL (tests replace this function; nothing else touches the network)."""
    return urllib.request.urlopen(request, timeout=timeout)


def _country_param(country: int | str | Sequence[int | str] | None) -> str | None:
    if country is None:
        return None
    items: Sequence[int | str] = [country] if isinstance(country, int | str) else country
    codes: list[str] = []
    for item in items:
        if isinstance(item, bool):
            raise ConfigError(f"download_ucdp: country {item!r} is not a country.")
        if isinstance(item, int):
            codes.append(str(item))
        elif isinstance(item, str) and item.strip().isdigit():
            codes.append(item.strip())
        elif isinstance(item, str) and item.strip().upper() in GW_CODES:
            codes.append(str(GW_CODES[item.strip().upper()]))
        else:
            raise ConfigError(
                f"download_ucdp: unknown country {item!r}. Pass Gleditsch-Ward codes "
                f"(Mali 432, Burkina Faso 439, Niger 436) or one of the ISO3 codes "
                f"{sorted(GW_CODES)}."
            )
    return ",".join(codes)


def _date_param(value: str | dt.date | None, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    try:
        return dt.date.fromisoformat(value).strftime("%Y-%m-%d")
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"download_ucdp: {name}={value!r} is not a date; pass 'YYYY-MM-DD' or a datetime.date."
        ) from exc


def _page_url(version: str, params: dict[str, str], page: int, page_size: int) -> str:
    query = {"pagesize": str(page_size), "page": str(page), **params}
    base = UCDP_API_URL.format(version=urllib.parse.quote(version, safe="."))
    return f"{base}?{urllib.parse.urlencode(query)}"


def _fetch(url: str, token: str | None) -> bytes:
    headers = {"Accept": "application/json", "User-Agent": "sahel_geo"}
    if token:
        headers[_TOKEN_HEADER] = token
    request = urllib.request.Request(url, headers=headers)
    try:
        with _urlopen(request, _TIMEOUT_S) as response:
            data: bytes = response.read()
            return data
    except urllib.error.HTTPError as exc:
        code = exc.code
        if code in (401, 403):
            fix = (
                "The UCDP API needs an access token (since 2025): request one from UCDP "
                f"(https://ucdp.uu.se/apidocs/) and pass token= or set {TOKEN_ENV}. If you "
                "passed one, check it has not expired."
            )
        elif code == 429:
            wait = exc.headers.get("Retry-After") if exc.headers is not None else None
            fix = (
                (f"The API asks to wait {wait} s. " if wait else "")
                + "Too many requests: wait a few minutes and try again, and set a cache "
                "folder (cache= or set_options(cache_folder=...)) so pages already "
                "downloaded are not asked for again."
            )
        elif code == 404:
            fix = "Check the version (e.g. '23.1', '24.1') exists in the UCDP API."
        elif 500 <= code < 600:
            fix = (
                "The UCDP API had a server error: try again later, or read a downloaded "
                "GED CSV with read_ucdp()."
            )
        else:
            fix = "Check the query parameters."
        raise NetworkError(
            f"UCDP API answered HTTP {code} ({exc.reason}) for {url}. {fix}"
        ) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NetworkError(
            f"Could not reach the UCDP API at {url} ({reason}). Check the internet "
            "connection, or work offline: read a saved page or GED CSV with read_ucdp()."
        ) from exc


def _parse_page(data: bytes, where: str) -> dict[str, Any]:
    try:
        payload = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NetworkError(
            f"UCDP API answer for {where} is not JSON ({exc}); the service may be down or "
            "behind a login page. Try again later, or read a GED CSV with read_ucdp()."
        ) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("Result"), list):
        raise NetworkError(
            f"UCDP API answer for {where} is JSON without a 'Result' list; the API may have "
            "changed. Read a GED CSV with read_ucdp() instead."
        )
    return payload


def _check_query(version: str, page_size: int) -> None:
    """Raise ConfigError on a version that is not a GED release or a bad page size."""
    if not isinstance(version, str) or not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.]*", version):
        raise ConfigError(
            f"download_ucdp: version must be a GED release such as '23.1'; got {version!r}."
        )
    if not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= 1000:
        raise ConfigError(f"download_ucdp: page_size must be from 1 to 1000; got {page_size!r}.")


def _query_params(
    country: int | str | Sequence[int | str] | None,
    start_date: str | dt.date | None,
    end_date: str | dt.date | None,
) -> dict[str, str]:
    """Return the API's query parameters (Country, StartDate, EndDate) that are set."""
    params: dict[str, str] = {}
    for key, value in (
        ("Country", _country_param(country)),
        ("StartDate", _date_param(start_date, "start_date")),
        ("EndDate", _date_param(end_date, "end_date")),
    ):
        if value is not None:
            params[key] = value
    return params


def _load_page(url: str, cached: Path | None, token: str | None) -> tuple[dict[str, Any], str]:
    """Return one page (from the cache file if there is one, else fetched and cached)."""
    from_cache = cached is not None and cached.is_file()
    if cached is not None and from_cache:
        data = cached.read_bytes()
        where = str(cached)
    else:
        data = _fetch(url, token)
        where = url
    payload = _parse_page(data, where)  # validated before it is cached
    if cached is not None and not from_cache:
        atomic_write_bytes(cached, data)
    return payload, where


def download_ucdp(
    *,
    version: str = "23.1",
    country: int | str | Sequence[int | str] | None = None,
    start_date: str | dt.date | None = None,
    end_date: str | dt.date | None = None,
    token: str | None = None,
    cache: str | os.PathLike[str] | None = None,
    page_size: int = 1000,
) -> gpd.GeoDataFrame:
    """Download UCDP GED events from the UCDP API into canonical events.

    Parameters
    ----------
    version
        GED release, e.g. ``"23.1"``.
    country
        Gleditsch-Ward code(s) (Mali 432, Burkina Faso 439, Niger 436) or ISO3 codes of
        the bundled countries (``"MLI"``), one or a list. None: every country.
    start_date, end_date
        Period filter (``YYYY-MM-DD`` or ``datetime.date``), passed to the API as
        ``StartDate``/``EndDate``.
    token
        UCDP API access token; by default the ``UCDP_API_TOKEN`` environment variable.
    cache
        Folder where each page is written as the API sent it
        (``ucdp_ged_<version>_<query hash>_p<N>.json``) and read from when present, so a
        repeated query needs no network. By default ``get_option("cache_folder")``;
        None there too: pages are not written.
    page_size
        Events per page (the API allows at most 1000).

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical events, built exactly as :func:`~sahel_geo.read_ucdp` builds them; row
        numbers in the rejects count across pages (page 0 first).

    Raises
    ------
    NetworkError
        The API cannot be reached or answers with an error (401/403: token; 429: rate
        limit; 5xx: server) or with something that is not a GED page.

    Examples
    --------
    >>> import sahel_geo as sg
    >>> events = sg.download_ucdp(  # doctest: +SKIP
    ...     country=["MLI", "BFA", "NER"], start_date="2012-01-01", cache="cache/ucdp"
    ... )
    """
    _check_query(version, page_size)
    params = _query_params(country, start_date, end_date)
    token = token or os.environ.get(TOKEN_ENV) or None
    folder_value = cache if cache is not None else get_option("cache_folder")
    folder = Path(folder_value) if folder_value is not None else None
    key = json.dumps({"version": version, "page_size": page_size, **params}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]

    frames: list[pd.DataFrame] = []
    total_pages = 1
    page = 0
    first_url = _page_url(version, params, 0, page_size)
    while page < total_pages and page < _MAX_PAGES:
        url = _page_url(version, params, page, page_size)
        cached = folder / f"ucdp_ged_{version}_{digest}_p{page}.json" if folder else None
        from_cache = cached is not None and cached.is_file()
        payload, where = _load_page(url, cached, token)
        logger.info(
            "UCDP page %d: %d events (%s%s)",
            page,
            len(payload["Result"]),
            where,
            ", cached" if from_cache else "",
        )
        total_pages = int(payload.get("TotalPages") or 0)
        records = payload["Result"]
        if not records:
            break
        frames.append(ucdp_records_frame(records, where))
        page += 1

    if page >= _MAX_PAGES and page < total_pages:
        raise ConfigError(
            f"download_ucdp: the query has {total_pages:,} pages of {page_size} events, more "
            f"than the {_MAX_PAGES:,} this client fetches. Narrow it with country=, "
            "start_date= or end_date=, or download the GED CSV and use read_ucdp()."
        )
    raw = (
        pd.concat(frames, ignore_index=True, sort=False)
        if frames
        else pd.DataFrame({c: pd.Series(dtype="object") for c in UCDP_GED_COLUMNS})
    )
    return build_ucdp(raw, origin=first_url, step="download_ucdp")
