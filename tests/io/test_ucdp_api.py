"""UCDP API client: paging, token header, cache, errors; no network (the opener is replaced)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo.core.schema import EVENT_COLUMNS
from sahel_geo.io import ucdp_api


def _record(i: int, **kw: Any) -> dict[str, Any]:
    """One GED event as the API returns it (ints, ISO datetimes, nulls), in API field order."""
    rec: dict[str, Any] = dict.fromkeys(ucdp_api.UCDP_GED_COLUMNS)
    rec.update(
        id=400000 + i, relid=f"MLI-2019-1-{i}", year=2019, active_year=True,
        code_status="Clear", type_of_violence=1 + i % 3, conflict_dset_id="13623",
        conflict_new_id=13623, conflict_name="Mali: Government", dyad_dset_id="15112",
        dyad_new_id=15112, dyad_name="Government of Mali - JNIM", side_a_dset_id="130",
        side_a_new_id=130, side_a="Government of Mali", side_b_dset_id="6759",
        side_b_new_id=6759, side_b="JNIM", number_of_sources=1,
        source_article="AFP", source_office="AFP", source_date="2019-03-16",
        source_headline=f"Headline {i}", source_original="", where_prec=1 + i % 4,
        where_coordinates="Boni village", where_description="Boni", adm_1="Mopti region",
        adm_2="Douentza cercle", latitude=15.07 + i / 100, longitude=-2.17,
        geom_wkt=f"POINT (-2.17 {15.07 + i / 100})", priogrid_gid=150000, country="Mali",
        country_id=432, region="Africa", event_clarity=1, date_prec=1,
        date_start=f"2019-03-{10 + i:02d}T00:00:00", date_end=f"2019-03-{10 + i:02d}T00:00:00",
        deaths_a=1, deaths_b=2, deaths_civilians=i, deaths_unknown=0, best=3 + i, high=5 + i,
        low=3, gwnoa="432", gwnob=None,
    )  # fmt: skip
    rec.update(kw)
    return rec


class _Response:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def read(self) -> bytes:
        return self.body


class FakeAPI:
    """Serves ``records`` in pages, records every request."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.requests: list[urllib.request.Request] = []

    def __call__(self, request: urllib.request.Request, timeout: float) -> _Response:
        self.requests.append(request)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.full_url).query)
        size, page = int(query["pagesize"][0]), int(query["page"][0])
        total = len(self.records)
        pages = -(-total // size)
        body = {
            "TotalCount": total,
            "TotalPages": pages,
            "PreviousPageUrl": "",
            "NextPageUrl": "",
            "Result": self.records[page * size : (page + 1) * size],
        }
        return _Response(json.dumps(body).encode())


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeAPI:
    fake = FakeAPI([_record(i) for i in range(5)])
    monkeypatch.setattr(ucdp_api, "_urlopen", fake)
    monkeypatch.delenv("UCDP_API_TOKEN", raising=False)
    return fake


def test_pages_query_and_token(api: FakeAPI) -> None:
    ev = sg.download_ucdp(
        version="23.1",
        country=["MLI", 439, "NER"],
        start_date="2019-01-01",
        end_date="2019-12-31",
        token="secret",
        page_size=2,
    )
    assert len(api.requests) == 3
    urls = [r.full_url for r in api.requests]
    assert urls[0] == (
        "https://ucdpapi.pcr.uu.se/api/gedevents/23.1?pagesize=2&page=0&Country=432%2C439%2C436"
        "&StartDate=2019-01-01&EndDate=2019-12-31"
    )
    assert [urllib.parse.parse_qs(u.split("?")[1])["page"] for u in urls] == [["0"], ["1"], ["2"]]
    assert all(r.get_header("X-ucdp-access-token") == "secret" for r in api.requests)
    assert ev["event_id"].tolist() == ["400000", "400001", "400002", "400003", "400004"]
    assert ev["event_date"].iloc[1] == pd.Timestamp("2019-03-11")
    assert ev["event_type"].tolist()[:3] == ["state-based", "non-state", "one-sided"]
    assert ev["location_level"].tolist() == ["point", "point", "admin2", "admin1", "point"]
    assert ev["civilian_fatalities"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    report = sg.reports(ev)[-1]
    assert report.step == "download_ucdp" and report.n_in == 5 == report.n_kept
    assert "secret" not in report.source


def test_token_from_environment(api: FakeAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UCDP_API_TOKEN", "from-env")
    sg.download_ucdp(country="MLI")
    assert api.requests[0].get_header("X-ucdp-access-token") == "from-env"


def test_saved_page_is_the_local_twin(api: FakeAPI, tmp_path: Path) -> None:
    online = sg.download_ucdp(country="MLI", cache=tmp_path, page_size=1000)
    pages = sorted(tmp_path.glob("ucdp_ged_23.1_*_p0.json"))
    assert len(pages) == 1
    offline = sg.read_ucdp(pages[0])
    cols = [*EVENT_COLUMNS, "geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(online[cols]), pd.DataFrame(offline[cols]))
    assert sg.reports(offline)[-1].step == "read_ucdp"


def test_cache_answers_without_network(
    api: FakeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = sg.download_ucdp(country="BFA", cache=tmp_path, page_size=2)
    assert len(api.requests) == 3

    def offline(request: urllib.request.Request, timeout: float) -> _Response:
        raise AssertionError("network used although the pages are cached")

    monkeypatch.setattr(ucdp_api, "_urlopen", offline)
    with sg.set_options(cache_folder=str(tmp_path)):
        again = sg.download_ucdp(country="BFA", page_size=2)
    pd.testing.assert_frame_equal(pd.DataFrame(first), pd.DataFrame(again))


def test_same_builder_as_csv(api: FakeAPI, tmp_path: Path) -> None:
    online = sg.download_ucdp()
    frame = pd.DataFrame(api.records)
    frame["date_start"] = frame["date_start"].str[:10]
    frame["date_end"] = frame["date_end"].str[:10]
    path = tmp_path / "ged.csv"
    frame.to_csv(path, index=False)
    from_csv = sg.read_ucdp(path)
    cols = [c for c in EVENT_COLUMNS if c != "source"] + ["geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(online[cols]), pd.DataFrame(from_csv[cols]))


def test_rejects_are_numbered_across_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    records = [_record(i) for i in range(4)]
    records[3]["latitude"] = None
    monkeypatch.setattr(ucdp_api, "_urlopen", FakeAPI(records))
    ev = sg.download_ucdp(page_size=2)
    assert sg.rejects(ev)[["row", "reason"]].values.tolist() == [[4, "missing latitude"]]


def test_empty_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ucdp_api, "_urlopen", FakeAPI([]))
    ev = sg.download_ucdp(country="MLI", start_date="1800-01-01", end_date="1800-01-02")
    assert len(ev) == 0
    assert list(ev.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)


def _raise_http(code: int) -> Any:
    def opener(request: urllib.request.Request, timeout: float) -> _Response:
        headers = Message()
        if code == 429:
            headers["Retry-After"] = "120"
        raise urllib.error.HTTPError(request.full_url, code, "nope", headers, None)

    return opener


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (401, "needs an access token"),
        (403, "needs an access token"),
        (429, "wait 120 s. Too many requests"),
        (500, "server error"),
        (503, "server error"),
        (404, "Check the version"),
    ],
)
def test_http_errors(monkeypatch: pytest.MonkeyPatch, code: int, expected: str) -> None:
    monkeypatch.setattr(ucdp_api, "_urlopen", _raise_http(code))
    with pytest.raises(sg.NetworkError, match=rf"HTTP {code}.*{expected}"):
        sg.download_ucdp(country="MLI")


def test_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    def opener(request: urllib.request.Request, timeout: float) -> _Response:
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(ucdp_api, "_urlopen", opener)
    with pytest.raises(sg.NetworkError, match=r"Could not reach the UCDP API.*read_ucdp"):
        sg.download_ucdp()


@pytest.mark.parametrize(
    ("body", "expected"),
    [(b"<html>login</html>", "is not JSON"), (b'{"Message": "x"}', "without a 'Result' list")],
)
def test_bad_answers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, body: bytes, expected: str
) -> None:
    monkeypatch.setattr(ucdp_api, "_urlopen", lambda request, timeout: _Response(body))
    with pytest.raises(sg.NetworkError, match=expected):
        sg.download_ucdp(cache=tmp_path)
    assert list(tmp_path.iterdir()) == []  # a bad answer is never cached


def test_bad_parameters() -> None:
    with pytest.raises(sg.ConfigError, match="unknown country 'Mali'"):
        sg.download_ucdp(country="Mali")
    with pytest.raises(sg.ConfigError, match="start_date='2019-13-01' is not a date"):
        sg.download_ucdp(start_date="2019-13-01")
    with pytest.raises(sg.ConfigError, match="version must be a GED release"):
        sg.download_ucdp(version="../23.1")
    with pytest.raises(sg.ConfigError, match="page_size must be from 1 to 1000"):
        sg.download_ucdp(page_size=5000)


def test_read_ucdp_json_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(sg.InputFileError, match="is not valid JSON"):
        sg.read_ucdp(bad)
    other = tmp_path / "other.json"
    other.write_text('{"features": []}')
    with pytest.raises(sg.InputFileError, match="not a UCDP API page"):
        sg.read_ucdp(other)
    records = tmp_path / "records.json"
    records.write_text(json.dumps([_record(0), _record(1)]))
    assert sg.read_ucdp(records)["event_id"].tolist() == ["400000", "400001"]


def test_too_many_pages_is_an_error(api: FakeAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ucdp_api, "_MAX_PAGES", 2)
    with pytest.raises(sg.ConfigError, match="3 pages of 2 events, more than the 2"):
        sg.download_ucdp(page_size=2)
