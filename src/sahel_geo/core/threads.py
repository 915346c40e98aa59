"""Run a GIL-releasing vectorised function over chunks of its inputs in threads.

Shapely's vectorised predicates and accessors release the GIL while they loop over
geometries, so chunks of one large call run on several cores at once. The result is
the same as one call on the whole input (chunks are concatenated in order).

The number of threads is the ``threads`` option (:mod:`sahel_geo.core.options`); ``None``
means the CPUs this process may use, at most 4.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from sahel_geo.core.options import get_option

__all__ = ["MIN_CHUNK", "map_chunks", "n_threads", "private_geometries"]

#: Fewer items than this per thread are not worth a thread.
MIN_CHUNK = 50_000


def n_threads() -> int:
    """Return the number of threads to use (the ``threads`` option, resolved)."""
    value = get_option("threads")
    if value is not None:
        return int(value)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


def map_chunks(
    func: Callable[..., NDArray[Any]], *arrays: NDArray[Any], min_chunk: int | None = None
) -> NDArray[Any]:
    """Return ``func(*arrays)``, computed on chunks of the arrays in threads.

    ``func`` must be element-wise along the first axis (its output row ``i`` depends on
    row ``i`` of each input only) and release the GIL to gain anything; every array must
    have the same length. ``min_chunk``: fewest items per thread (default
    :data:`MIN_CHUNK`).
    """
    n = len(arrays[0])
    k = min(n_threads(), n // max(MIN_CHUNK if min_chunk is None else min_chunk, 1))
    if k <= 1:
        return func(*arrays)
    cuts = np.linspace(0, n, k + 1).astype(np.intp)
    with ThreadPoolExecutor(max_workers=k, thread_name_prefix="sahel_geo") as pool:
        parts = [
            pool.submit(func, *(a[lo:hi] for a in arrays)) for lo, hi in itertools.pairwise(cuts)
        ]
        return np.concatenate([p.result() for p in parts])


def private_geometries(geoms: NDArray[np.object_]) -> NDArray[np.object_]:
    """Return copies of ``geoms`` that belong to the caller alone (same coordinates and Z).

    A prepared geometry is not safe to share between threads: :func:`shapely.prepare`
    stores its prepared form on the object, and GEOS builds that form's point index on
    first use, so two threads preparing or first querying the same object at once
    corrupt it (the process aborts). The caller's polygons may be shared that way, e.g.
    by Dask running one function on several partitions in threads with the same
    boundaries. Functions that prepare geometries they did not create prepare these
    copies instead, which also leaves the caller's objects as they were.
    """
    # the coordinates passed through unchanged (half the time of a WKB round trip)
    return np.asarray(shapely.transform(geoms, _same, include_z=True), dtype=object)


def _same(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    return coords
