"""Zonal statistics of a lazy (dask) raster: the stack computed one time block at a time.

The zone plan is built once by the caller; :func:`block_steps` then computes the
window's values a block of time steps at a time with ``dask.compute`` (on the active
scheduler: a running ``distributed.Client`` is used by dask automatically), hands each
step to the caller's per-step function and drops the block before the next one. Memory
is bounded by two blocks (:data:`BLOCK_BYTES` each, or one dask chunk along time when a
chunk is larger: the next block is read while this one is reduced), never the whole
stack. The module is private to the package.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from sahel_geo.core.compat import import_optional_dependency
from sahel_geo.core.progress import progress

__all__ = ["BLOCK_BYTES", "block_steps", "time_blocks"]

logger = logging.getLogger("sahel_geo.analysis.zonal")  # a private helper of zonal_stats

T = TypeVar("T")

#: Largest block of time steps computed at once (bytes of values), unless one dask chunk
#: along time is larger (a chunk is never split: that would read it several times).
BLOCK_BYTES = 256 * 2**20


def time_blocks(chunks: Sequence[int], step_bytes: int, *, limit: int) -> list[tuple[int, int]]:
    """Group consecutive dask chunks along time into blocks of at most ``limit`` bytes.

    Parameters
    ----------
    chunks
        The sizes of the chunks along time (``array.chunks[0]``).
    step_bytes
        Bytes of one time step of the window.
    limit
        Largest block, in bytes; a single chunk larger than this is a block of its own.

    Returns
    -------
    list of tuple
        ``(start, stop)`` step ranges, in order, covering every step once.

    Examples
    --------
    >>> time_blocks([2, 2, 2, 1], 10, limit=40)
    [(0, 4), (4, 7)]
    """
    blocks: list[tuple[int, int]] = []
    start = stop = 0
    for size in chunks:
        if stop > start and (stop - start + size) * step_bytes > limit:
            blocks.append((start, stop))
            start = stop
        stop += size
    if stop > start:
        blocks.append((start, stop))
    return blocks


def block_steps(values: Any, per_step: Callable[[NDArray[Any]], T], *, what: str) -> list[T]:
    """Apply ``per_step`` to every time step of a dask array, one computed block at a time.

    Parameters
    ----------
    values
        A 2-D or ``(time, rows, cols)`` dask array (the zones' window).
    per_step
        Called with each step's values as a numpy array, in time order.
    what
        The raster's name, for the progress bar and the log.

    Returns
    -------
    list
        ``per_step``'s results, one per step (one for a 2-D array).
    """
    dask = import_optional_dependency("dask", purpose="Zonal statistics of a dask-backed raster")
    if values.ndim == 2:
        (arr,) = dask.compute(values)
        return [per_step(np.asarray(arr))]
    step_bytes = int(np.prod(values.shape[1:])) * values.dtype.itemsize
    blocks = time_blocks(values.chunks[0], step_bytes, limit=BLOCK_BYTES)
    logger.info(
        "%s: %d steps in %d blocks of <= %.0f MB",
        what,
        values.shape[0],
        len(blocks),
        max((b - a) * step_bytes for a, b in blocks) / 2**20,
    )
    out: list[T] = []
    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        progress(total=len(blocks), desc=f"zonal statistics of {what}", unit="block") as bar,
    ):
        # the next block is read while this one is reduced: at most two blocks in memory
        pending = pool.submit(_compute, dask, values, blocks[0])
        for i, (a, b) in enumerate(blocks):
            arr = pending.result()
            if i + 1 < len(blocks):
                pending = pool.submit(_compute, dask, values, blocks[i + 1])
            out.extend(per_step(arr[k]) for k in range(b - a))
            del arr
            bar.update(1)
    return out


def _compute(dask: Any, values: Any, block: tuple[int, int]) -> NDArray[Any]:
    """Compute one block of time steps (on the active dask scheduler) into memory."""
    (arr,) = dask.compute(values[block[0] : block[1]])
    return np.asarray(arr)
