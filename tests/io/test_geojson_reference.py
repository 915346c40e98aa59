"""Differential tests: the Arrow-based GeoJSON writer against the old pure-Python one.

The functions between the REFERENCE markers are a verbatim copy of the writer as it was
before it was vectorised (sahel_geo/io/geojson.py at commit 6ff51fc): one ``json.dumps``
per value, Python string joins. The new writer must give byte-identical text for every
input; these tests compare both on frames with every dtype, missing values, awkward
text and numbers, the demo events joined to admin units, and random frames (hypothesis).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import GeometryCollection, LineString, MultiPolygon, Point, Polygon

import sahel_geo as sg
from sahel_geo.io import _geojson_format as fmt
from sahel_geo.io import geojson as gj
from sahel_geo.io.geojson import geojson_text, write_geojson

# ======================= REFERENCE: the old writer, copied verbatim =======================

_HEAD = '{"type":"FeatureCollection","features":[\n'
_TAIL = "]}\n"
_GEOM_NAMES = {
    0: "Point",
    1: "LineString",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
}


# --- coordinates ---------------------------------------------------------------------


def _fmt_numbers(values: np.ndarray, precision: int) -> np.ndarray:
    """Fixed-notation text of rounded numbers, trailing zeros removed, ``-0`` as ``0``."""
    rounded = np.round(values.astype(np.float64), precision)
    rounded[rounded == 0] = 0.0  # drop the sign of -0.0
    if not np.isfinite(rounded).all():
        raise sg.SchemaError(
            "Geometries contain NaN or infinite coordinates, which GeoJSON cannot hold. "
            "Find them with gdf[~np.isfinite(shapely.get_coordinates(gdf.geometry)).all(1)] "
            "and fix or drop those rows."
        )
    if precision > 12:
        # Beyond ~15 significant digits "%.Nf" shows binary noise (179.123000000000019):
        # write the shortest text that reads back to the same number instead.
        shortest = [np.format_float_positional(v, unique=True, trim="-") for v in rounded]
        return np.asarray(shortest, dtype=str)
    text = np.char.mod(f"%.{precision}f", rounded)
    if precision > 0:
        text = np.char.rstrip(np.char.rstrip(text, "0"), ".")
    return text


def _coord_strings(coords: np.ndarray, precision: int) -> list[str]:
    """``[x,y]`` (or ``[x,y,z]``) text for each coordinate row."""
    if len(coords) == 0:
        return []
    cols = [_fmt_numbers(coords[:, i], precision) for i in range(coords.shape[1])]
    joined = cols[0]
    for col in cols[1:]:
        joined = np.char.add(np.char.add(joined, ","), col)
    return list(np.char.add(np.char.add("[", joined), "]").tolist())


def _nest(items: list[str], offsets: np.ndarray) -> list[str]:
    """Group consecutive ``items`` into ``[a,b,...]`` lists cut at ``offsets``."""
    starts = offsets[:-1].tolist()
    ends = offsets[1:].tolist()
    return ["[" + ",".join(items[s:e]) + "]" for s, e in zip(starts, ends, strict=True)]


def _same_type_geometries(geoms: np.ndarray, type_id: int, precision: int) -> list[str]:
    """GeoJSON text of geometries that all share one (non-collection) type."""
    has_z = bool(shapely.has_z(geoms).all())
    _, coords, offsets = shapely.to_ragged_array(geoms, include_z=has_z)
    items = _coord_strings(coords, precision)
    if type_id == 0:  # Point: one coordinate each
        bodies = items
    else:
        # Innermost offsets first: e.g. MultiPolygon has (ring, polygon, part) offsets.
        for off in offsets:
            items = _nest(items, np.asarray(off))
        bodies = items
    name = _GEOM_NAMES[type_id]
    return [f'{{"type":"{name}","coordinates":{b}}}' for b in bodies]


def _geometry_strings(geoms: np.ndarray, precision: int) -> list[str]:
    """GeoJSON text (or ``null``) of each geometry, in order."""
    out = ["null"] * len(geoms)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    type_ids = shapely.get_type_id(geoms)
    for type_id in sorted(_GEOM_NAMES):
        idx = np.flatnonzero(present & (type_ids == type_id))
        if len(idx):
            for i, text in zip(
                idx.tolist(), _same_type_geometries(geoms[idx], type_id, precision), strict=True
            ):
                out[i] = text
    # Rare: geometry collections (and linear rings) go through their parts one by one.
    rest = np.flatnonzero(present & ~np.isin(type_ids, list(_GEOM_NAMES)))
    for i in rest.tolist():
        geom = geoms[i]
        if shapely.get_type_id(geom) == 2:  # LinearRing: write as its LineString
            out[i] = _geometry_strings(np.array([shapely.LineString(geom)]), precision)[0]
            continue
        parts = np.asarray(shapely.get_parts(geom))
        kept = [s for s in _geometry_strings(parts, precision) if s != "null"]
        out[i] = '{"type":"GeometryCollection","geometries":[' + ",".join(kept) + "]}"
    return out


# --- properties ----------------------------------------------------------------------


def _scalar(value: Any) -> Any:
    """One value as a JSON-ready Python object (``None`` for every kind of missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating | decimal.Decimal):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, str):
        return value
    if isinstance(value, pd.Timestamp | dt.datetime):
        ts = pd.Timestamp(value)
        if ts.nanosecond or ts.microsecond:
            return ts.isoformat()
        return ts.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else _scalar(pd.Timestamp(value))
    if isinstance(value, pd.Timedelta | dt.timedelta | np.timedelta64):
        td = pd.Timedelta(value)
        return None if pd.isna(td) else td.isoformat()
    if isinstance(value, dict):
        return {str(k): _scalar(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_scalar(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _datetime_column(s: pd.Series) -> list[Any]:
    missing = s.isna().to_numpy()
    tz = s.dt.tz
    valid = s[~missing]
    if len(valid) == 0:
        return [None] * len(s)
    naive = valid.dt.tz_localize(None) if tz is not None else valid
    subsecond = bool(((naive.dt.microsecond != 0) | (naive.dt.nanosecond != 0)).any())
    if tz is None and not subsecond and bool((naive == naive.dt.normalize()).all()):
        text = valid.dt.strftime("%Y-%m-%d")
    elif subsecond:
        text = valid.map(lambda t: t.isoformat())
    else:
        text = valid.dt.strftime("%Y-%m-%dT%H:%M:%S")
        if tz is not None:
            offset = valid.dt.strftime("%z")
            text = text + offset.str[:-2] + ":" + offset.str[-2:]
    out: list[Any] = [None] * len(s)
    for i, t in zip(np.flatnonzero(~missing).tolist(), text.tolist(), strict=True):
        out[i] = t
    return out


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _encode_by_unique(values: pd.Series) -> list[str]:
    """JSON text of each value, encoding every distinct value once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([_dumps(_scalar(u)) for u in uniques] + ["null"], dtype=object)
    return list(table[codes].tolist())  # code -1 (missing) picks the final "null"


def _column_json(s: pd.Series) -> list[str]:
    """Return the JSON text of each value of one column (``null`` for missing)."""
    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return _encode_by_unique(pd.Series(_datetime_column(s), dtype=object))
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return list(np.where(s.to_numpy(), "true", "false").tolist())
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return [str(v) for v in s.to_numpy().tolist()]
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        arr = s.to_numpy(dtype=np.float64)
        text = [repr(v) for v in arr.tolist()]  # what json.dumps writes for a float
        for i in np.flatnonzero(~np.isfinite(arr)).tolist():
            text[i] = "null"
        return text
    values = s.astype(object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        # Only text is encoded by distinct value: factorize would merge 1, 1.0 and True.
        return _encode_by_unique(values)
    return [_dumps(_scalar(v)) for v in values.tolist()]


def _property_strings(df: pd.DataFrame) -> list[str]:
    if len(df.columns) == 0:
        return ["{}"] * len(df)
    columns = []
    for c in df.columns:
        key = _dumps(str(c)) + ":"
        columns.append([key + v for v in _column_json(df[c])])
    return ["{" + ",".join(row) + "}" for row in zip(*columns, strict=True)]


def reference_text(gdf: gpd.GeoDataFrame, *, precision: int = 6) -> str:
    """The old ``geojson_text`` (without its checks, which are unchanged)."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    geoms = np.asarray(shapely.orient_polygons(geoms, exterior_cw=False), dtype=object)
    geom_text = _geometry_strings(geoms, precision)
    props = _property_strings(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
    lines = [
        f'{{"type":"Feature","properties":{p},"geometry":{g}}}'
        for p, g in zip(props, geom_text, strict=True)
    ]
    return _HEAD + ",\n".join(lines) + ("\n" if lines else "") + _TAIL


# ===================== END REFERENCE =====================================================


def assert_same(gdf: gpd.GeoDataFrame, precision: int = 6) -> str:
    """New text == old text; returns it."""
    new = geojson_text(gdf, precision=precision)
    old = reference_text(gdf, precision=precision)
    if new != old:  # show the first differing line, not two huge strings
        for a, b in zip(new.splitlines(), old.splitlines(), strict=False):
            assert a == b
    assert new == old
    return new


@pytest.fixture(params=[3, 65_536], ids=["chunks_of_3", "one_chunk"])
def chunk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run each test with tiny chunks too (column-wide choices must hold across chunks)."""
    monkeypatch.setattr(gj, "_CHUNK", request.param)
    return int(request.param)


TEXTS = [
    "plain",
    "Ségou, Ménaka",
    'Il a dit "non"',
    "back\\slash \\n not a newline",
    "line\nbreak\r\ttab\b\f",
    "".join(chr(i) for i in range(32)) + "\x7f",
    "emoji 🙂 and 𝔘nicode ",
    "\u2028\u2029 separators, NUL \x00",
    "",
    "</script><b>&amp;</b>",
    "null",
    "日本語 العربية",
]


def every_dtype_frame() -> gpd.GeoDataFrame:
    n = 12
    ts = pd.to_datetime(["2020-01-01 10:30:05", None] + ["2021-06-30"] * (n - 2), format="mixed")
    return gpd.GeoDataFrame(
        {
            "text_obj": pd.Series(TEXTS, dtype=object),
            "text_str": pd.Series([*TEXTS[:10], None, None], dtype="str"),
            "text_py": pd.Series([*TEXTS[:11], None], dtype=pd.StringDtype("python")),
            "f64": [
                np.nan,
                np.inf,
                -np.inf,
                -0.0,
                0.0,
                1e16,
                9999999999999998.0,
                1e-4,
                9.999e-5,
                5e-324,
                1.7976931348623157e308,
                0.1 + 0.2,
            ],
            "f32": np.array(
                [0.1, 1.5, np.nan, 3e38, 1e-40, -2.5, 7, 0, 1e-5, 2**24, 1 / 3, -0.0],
                dtype=np.float32,
            ),
            "f16": np.array([0.1] * n, dtype=np.float16),
            "i64": np.array([2**53, 2**53 + 1, -(2**63), 2**63 - 1, 0, -1] * 2, dtype=np.int64),
            "u64": np.array([2**64 - 1, 0, 1, 2**63] * 3, dtype=np.uint64),
            "i8": np.arange(n, dtype=np.int8) - 6,
            "b": np.array([True, False] * 6),
            "Int64": pd.array([1, None, -(2**63), 2**63 - 1] * 3, dtype="Int64"),
            "UInt8": pd.array([255, None, 0] * 4, dtype="UInt8"),
            "Float64": pd.array([1.5, None, 1e20, -0.0] * 3, dtype="Float64"),
            "boolean": pd.array([True, None, False] * 4, dtype="boolean"),
            "day": pd.to_datetime(["2020-01-01", None] * 6),
            "time": ts,
            "sub": pd.to_datetime(["2020-01-01 00:00:00.5", "2020-01-01"] * 6, format="mixed"),
            "nano": pd.to_datetime(["2020-01-01 00:00:00.000000001", None] * 6),
            "aware": pd.to_datetime(["2020-01-01 10:00", "2020-06-01 00:00"] * 6).tz_localize(
                "Africa/Lagos"
            ),
            "aware_sub": pd.to_datetime(["2020-01-01 10:00:00.25", None] * 6).tz_localize("UTC"),
            "dates_s": pd.Series(pd.to_datetime(["1850-01-01", "2262-01-01"] * 6)).astype(
                "datetime64[s]"
            ),
            "cat_str": pd.Categorical(["a", "b", None, 'q"uote'] * 3),
            "cat_int": pd.Categorical([1, 2, None] * 4),
            "cat_date": pd.Categorical(
                pd.to_datetime(["2020-01-01", "2020-01-01 10:00"] * 6, format="mixed")
            ),
            "obj_float": pd.Series(
                [1.5, None, np.nan, 2.0, np.float32(0.1), 1e-7] * 2, dtype=object
            ),
            "obj_int": pd.Series(
                [1, None, 2**70, np.int16(3), np.uint64(2**64 - 1), 0] * 2, dtype=object
            ),
            "obj_int64": pd.Series([1, None, pd.NA, np.int16(3), -5, 0] * 2, dtype=object),
            "obj_bool": pd.Series([True, None, np.bool_(False)] * 4, dtype=object),
            "obj_mixed": pd.Series(
                [
                    True,
                    1,
                    1.0,
                    "1",
                    None,
                    [1, "a", np.nan],
                    {"k": np.int8(2)},
                    b"by\xfftes",
                    decimal.Decimal("1.10"),
                    dt.date(2020, 1, 2),
                    pd.Timedelta("1D 2h"),
                    np.datetime64("NaT"),
                ],
                dtype=object,
            ),
            "obj_dates": pd.Series([dt.date(2019, 12, 31), None] * 6, dtype=object),
            "obj_ts": pd.Series([pd.Timestamp("2020-01-01 10:00"), pd.NaT] * 6, dtype=object),
            "timedelta": pd.to_timedelta(["1 day", None] * 6),
            "complex": np.array([1 + 2j] * n),
            "empty_obj": pd.Series([None] * n, dtype=object),
            "all_nan": np.full(n, np.nan),
            'ñame "quoted"': np.arange(n),
            7: np.arange(n) * 0.5,
        },
        geometry=[
            Point(-6.2654321, 13.4312345),
            None,
            Polygon(),
            *[Point(i, -i) for i in range(9)],
        ],
        crs=4326,
    )


def test_every_dtype_identical(chunk: int) -> None:
    assert_same(every_dtype_frame())


@pytest.mark.parametrize("precision", [0, 1, 3, 6, 12, 13, 15])
def test_geometries_identical_at_each_precision(chunk: int, precision: int) -> None:
    square = Polygon([(0, 0), (0, 1), (1, 1), (1, 0)], [[(0.2, 0.2), (0.4, 0.2), (0.4, 0.4)]])
    gdf = gpd.GeoDataFrame(
        {"k": np.arange(11)},
        geometry=[
            square,
            MultiPolygon([square, Polygon([(5, 5), (5, 6), (6, 6)])]),
            LineString([(0, 0), (1.23456789, -0.000000049), (179.99999951, 89.1)]),
            shapely.MultiLineString([[(0, 0), (1, 1)], [(2, 2), (3, 3.5)]]),
            shapely.MultiPoint([(0, 0), (-1e-7, 1e-7)]),
            GeometryCollection([Point(1, 2), LineString([(0, 0), (1, 1)]), Polygon()]),
            shapely.LinearRing([(0, 0), (1, 0), (1, 1)]),
            Point(1e12, -1e12),  # beyond the fast path's exact range at high precisions
            Point(-0.0000004, 0.0000005),
            Point(0.5, 1.5),  # halves
            None,
        ],
        crs=4326,
    )
    assert_same(gdf, precision)


def test_z_coordinates_decided_for_the_whole_frame(chunk: int) -> None:
    # the first three points have z, the last not: the old writer drops z for all points
    gdf = gpd.GeoDataFrame(
        geometry=[Point(0, 0, 1), Point(1, 1, 2), Point(2, 2, 3), Point(3, 3)], crs=4326
    )
    assert_same(gdf)
    all_z = gpd.GeoDataFrame(
        geometry=[Point(0, 0, 1.5), LineString([(0, 0, 1), (1, 1, 2)])], crs=4326
    )
    assert_same(all_z)


def test_datetime_format_decided_for_the_whole_column(chunk: int) -> None:
    # midnight everywhere except the last row: every row is written with its time
    days = pd.to_datetime(["2020-01-01"] * 7 + ["2020-01-01 10:00"], format="mixed")
    gdf = gpd.GeoDataFrame({"d": days}, geometry=[Point(0, 0)] * 8, crs=4326)
    text = assert_same(gdf)
    assert '"d":"2020-01-01T00:00:00"' in text


def test_empty_and_single_feature() -> None:
    assert_same(gpd.GeoDataFrame({"a": []}, geometry=[], crs=4326))
    assert_same(gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=4326))
    assert_same(gpd.GeoDataFrame({"a": [None]}, geometry=[None], crs=4326))


def test_demo_events_joined_to_units(chunk: int, tmp_path: Path) -> None:
    events = sg.assign_admin(sg.demo_events(n=5000, seed=1), sg.load_boundaries(1))
    old = reference_text(events)
    assert geojson_text(events) == old
    assert write_geojson(events, tmp_path / "e.geojson").read_bytes() == old.encode("utf-8")
    units = sg.load_boundaries(1)
    assert_same(units)
    assert_same(units, 4)


def test_lone_surrogate_text_same_and_not_writable(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"s": pd.Series(["ok", "bad \ud800 here"], dtype=object)},
        geometry=[Point(0, 0)] * 2,
        crs=4326,
    )
    assert_same(gdf)
    with pytest.raises(UnicodeEncodeError):
        write_geojson(gdf, tmp_path / "x.geojson")
    assert list(tmp_path.iterdir()) == []
    hangul = gpd.GeoDataFrame(
        {"s": pd.Series(["\ud7a3 \ud000"], dtype=object)}, geometry=[Point(0, 0)], crs=4326
    )
    path = write_geojson(hangul, tmp_path / "h.geojson")  # \xed lead bytes, valid UTF-8
    assert path.read_bytes() == reference_text(hangul).encode("utf-8")


def test_float_text_matches_repr_on_random_bit_patterns() -> None:
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2**64, 200_000, dtype=np.uint64, endpoint=False)
    values = np.concatenate(
        [
            bits.view(np.float64),
            rng.uniform(-180, 180, 50_000),
            *(np.round(rng.uniform(-1e6, 1e6, 10_000), d) for d in range(8)),
            rng.integers(-(2**53), 2**53, 50_000).astype(np.float64),
            10.0 ** rng.uniform(-8, 20, 50_000),
        ]
    )
    got = fmt.float_text(values).to_pylist()
    expected = [repr(v).encode() if math.isfinite(v) else b"null" for v in values.tolist()]
    assert got == expected


finite = st.floats(allow_nan=False, allow_infinity=False)
any_float = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.text()),
            any_float,
            st.integers(min_value=-(2**63), max_value=2**63 - 1),
            st.one_of(st.none(), st.booleans()),
            st.one_of(st.none(), finite, st.integers(-(10**20), 10**20), st.text(max_size=3)),
            st.floats(min_value=-180, max_value=180),
            st.floats(min_value=-90, max_value=90),
        ),
        max_size=12,
    ),
    precision=st.integers(min_value=0, max_value=15),
)
def test_random_frames_identical(rows: list[tuple[Any, ...]], precision: int) -> None:
    cols = list(zip(*rows, strict=True)) if rows else [()] * 7
    gdf = gpd.GeoDataFrame(
        {
            "text": pd.Series(cols[0], dtype=object),
            "text_str": pd.Series(
                [None if t is None else t.replace("\ud800", "?") for t in cols[0]] if rows else [],
                dtype="str",
            ),
            "float": pd.Series(cols[1], dtype=np.float64),
            "int": pd.Series(cols[2], dtype=np.int64),
            "maybe_bool": pd.Series(cols[3], dtype=object),
            "mixed": pd.Series(cols[4], dtype=object),
        },
        geometry=gpd.points_from_xy(cols[5], cols[6]),
        crs=4326,
    )
    assert_same(gdf, precision)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(), max_size=20))
def test_random_text_quoted_as_json_dumps(texts: list[str]) -> None:
    arrow_ok = [t for t in texts if not any(0xD800 <= ord(c) <= 0xDFFF for c in t)]
    got = fmt.object_text(np.array([*arrow_ok, None], dtype=object)).to_pylist()
    expected = [json.dumps(t, ensure_ascii=False).encode() for t in arrow_ok] + [b"null"]
    assert got == expected
