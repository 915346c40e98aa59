"""Fast number and id checks on Arrow-backed text equal the pandas ones they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sahel_geo.io import _event_builder, _event_coords

ODD = ["14.1N", "12,5", " 1.5", "1.5 ", "+3", "-.5", "5.", "1e3", "1E-2", "inf", "-Infinity",
       "nan", "0x10", "", "  ", "١٢", "1_000", "--1", "1.2.3", "e5", None]  # fmt: skip


@pytest.mark.parametrize("large", [False, True])
def test_coordinates_parse_as_pandas_to_numeric(large: bool) -> None:
    rng = np.random.default_rng(1)
    floats = rng.uniform(-180, 180, 3000)
    cells = [f"{v:.{k}f}" for v, k in zip(floats, rng.integers(0, 17, 3000), strict=True)]
    cells += [repr(v) for v in rng.standard_normal(500) * 10.0 ** rng.integers(-30, 30, 500)]
    cells += ODD
    array = pa.array(cells, type=pa.large_string() if large else pa.string())
    values = pd.Series(pd.arrays.ArrowStringArray(array))
    got = _event_coords._to_float(values)
    want = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy(float)
    np.testing.assert_array_equal(got, want)


def test_plain_ids_skip_the_string_checks() -> None:
    plain = pd.Series(["MLI1", "BFA22", None], dtype="str")
    assert _event_builder._plain_ascii(plain)
    for odd in (["MLI1", " MLI2"], ["12.0"], ["a\tb"], ["Ségou"]):
        values = pd.Series(odd, dtype="str")
        assert not _event_builder._plain_ascii(values)
    ids = pd.Series(["MLI1", " 7", "12.0", "x"] * 300, dtype="str")
    assert _event_builder._odd_ids(ids).tolist() == [False, True, True, False] * 300
