"""Dates parsed once per distinct value equal dates parsed cell by cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sahel_geo.io import _event_dates

VALUES = [
    "2019-03-15", "15 March 2019", "15-March-2019", "2019-02-30", "31 Feb 2019",
    "2019-03-15T10:00:00+02:00", "2019-03-15 23:30:00-05:00", "2019-03-15T10:00Z",
    "2091-01-01", "1850-01-01", "2019-03", "2019", "15/03/2019", " 2019-03-15 ",
    "2019-13-01", "tomorrow", "", "  ", "20190315", "2919-03-15",
]  # fmt: skip
FORMATS = [("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "ISO8601"), ("ISO8601",), ("%d/%m/%Y",)]


@pytest.mark.parametrize("formats", FORMATS)
@pytest.mark.parametrize("dtype", ["str", object])
def test_distinct_values_parse_as_each_cell(formats: tuple[str, ...], dtype: object) -> None:
    rng = np.random.default_rng(0)
    cells = rng.choice(np.array([*VALUES, None], dtype=object), size=5000)
    values = pd.Series(cells, dtype=dtype)
    dates, offsets = _event_dates._parse_dates(values, formats)
    each, each_offsets = _event_dates._parse_each(values, formats)
    pd.testing.assert_series_equal(dates, each)
    assert offsets == int(each_offsets.sum()) > 0
    assert len(values) >= _event_dates._DISTINCT_MIN
