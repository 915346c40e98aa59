"""Progress bars for long steps, in terminals and notebooks.

Every step that can take more than a few seconds (reading a large file, joining many
events, zonal statistics over a stack, writing a layer, each step of a run) reports its
progress through :func:`progress`. It uses ``tqdm.auto``, so a notebook shows a widget
and a terminal a text bar on stderr; a bar appears only once its step has lasted
``delay`` seconds, so short calls print nothing.

Whether bars are shown is the ``progress`` option (:func:`~sahel_geo.set_options`):

- ``None`` (the default): shown in a Jupyter kernel or when stderr is a terminal, never
  in logs, pipes or CI;
- ``True``: always; ``False``: never (the tests run with ``False``).

Examples
--------
>>> import sahel_geo as sg
>>> from sahel_geo.core.progress import progress
>>> with sg.set_options(progress=False):
...     total = sum(1 for _ in progress(range(3), desc="counting", unit="item"))
>>> total
3
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TypeVar

from tqdm.auto import tqdm

from sahel_geo.core.options import get_option

__all__ = ["progress", "progress_enabled"]

T = TypeVar("T")

#: Seconds a step must last before its bar appears.
DELAY_S = 2.0


def _in_notebook() -> bool:
    """Tell whether this process is a Jupyter (ZMQ) kernel."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    get = getattr(ipython, "get_ipython", None)
    shell = get() if callable(get) else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def progress_enabled() -> bool:
    """Whether progress bars are shown now (the ``progress`` option, ``None`` = automatic).

    Returns
    -------
    bool
        ``True`` when the option is ``True``, or ``None`` and this process runs in a
        notebook kernel or has a terminal on stderr.
    """
    choice = get_option("progress")
    if choice is not None:
        return bool(choice)
    isatty = getattr(sys.stderr, "isatty", None)
    return _in_notebook() or bool(callable(isatty) and isatty())


def progress(
    iterable: Iterable[T] | None = None,
    *,
    total: float | None = None,
    desc: str,
    unit: str = "it",
    unit_scale: bool = False,
) -> tqdm[T]:
    """Return a ``tqdm.auto`` bar, or a silent stand-in when bars are off.

    Use it as an iterator (``for x in progress(items, desc=...)``) or as a context
    manager calling ``bar.update(n)``; both work whether or not the bar is shown.

    Parameters
    ----------
    iterable
        Items to iterate over, or ``None`` to update by hand.
    total
        Number of items (or bytes, rows, ...) expected; ``None`` when unknown.
    desc
        What the step does, shown before the bar (e.g. ``"reading events"``).
    unit
        Unit of ``total`` (``"rows"``, ``"B"``, ``"zones"``).
    unit_scale
        Show large counts with SI prefixes (1.2M rows, 340MB).

    Returns
    -------
    tqdm.tqdm
        The bar; disabled (no output, same interface) when :func:`progress_enabled` is
        false.
    """
    options: dict[str, Any] = {
        "total": total,
        "desc": desc,
        "unit": unit,
        "unit_scale": unit_scale,
        "disable": not progress_enabled(),
        "delay": DELAY_S,
        "leave": False,
        "dynamic_ncols": True,
    }
    return tqdm(iterable, **options)
