"""The thread helper: chunked results equal one call, and threads are really used."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import shapely

import sahel_geo as sg
from sahel_geo.core import threads


def test_map_chunks_equals_one_call_and_uses_threads() -> None:
    rng = np.random.default_rng(1)
    polys = np.array([shapely.box(0, 0, 1, 1), shapely.box(0.5, 0.5, 2, 2)], dtype=object)
    shapely.prepare(polys)
    which = rng.integers(0, 2, 1001)
    x, y = rng.uniform(-0.5, 2.5, 1001), rng.uniform(-0.5, 2.5, 1001)
    names: set[str] = set()
    together = threading.Barrier(3, timeout=10)  # breaks unless 3 chunks run at once

    def contains(g: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        names.add(threading.current_thread().name)
        if threading.current_thread().name.startswith("sahel_geo"):
            together.wait()
        return np.asarray(shapely.contains_xy(g, xs, ys))

    expected = shapely.contains_xy(polys[which], x, y)
    with sg.set_options(threads=3):
        got = threads.map_chunks(contains, polys[which], x, y, min_chunk=100)
    np.testing.assert_array_equal(got, expected)
    assert len(names) == 3 and all(n.startswith("sahel_geo") for n in names)
    names.clear()
    with sg.set_options(threads=1):
        got = threads.map_chunks(contains, polys[which], x, y, min_chunk=100)
    np.testing.assert_array_equal(got, expected)
    assert names == {threading.current_thread().name}  # no thread when threads=1


def test_too_few_items_run_in_the_caller() -> None:
    with sg.set_options(threads=4):
        assert threads.map_chunks(lambda a: a * 2, np.arange(10), min_chunk=100).tolist() == [
            2 * i for i in range(10)
        ]


def test_threads_option_is_validated() -> None:
    assert threads.n_threads() >= 1
    with sg.set_options(threads=2):
        assert threads.n_threads() == 2
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(sg.ConfigError, match="threads"):
            sg.set_options(threads=bad)
