"""Fatality counts of events: read as numbers, implausible ones rejected, estimates checked.

:func:`fatality_counts` reads ``fatalities`` and ``civilian_fatalities`` and rejects text,
negative, fractional and implausibly large counts; :func:`note_estimate_order` counts and
names rows whose low/best/high estimates are out of order (kept as read). Private helper
of :mod:`sahel_geo.io.events`, logging under its name.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from sahel_geo.core.schema import MAX_EVENT_FATALITIES
from sahel_geo.io._event_ledger import Ledger, rows_text
from sahel_geo.io._event_spec import EventSpec

__all__ = ["fatality_counts", "note_estimate_order"]

logger = logging.getLogger("sahel_geo.io.events")  # a private helper of that module


def fatality_counts(
    raw: pd.DataFrame, cols: Mapping[str, str], ledger: Ledger
) -> dict[str, pd.Series]:
    """Return fatality counts as floats (NaN when not mapped); reject bad counts.

    Rejected: text, negative, fractional and implausibly large counts (over
    :data:`~sahel_geo.core.schema.MAX_EVENT_FATALITIES`).

    Parameters
    ----------
    raw
        The table as read.
    cols
        The spec's columns (``fatalities`` and ``civilian_fatalities``).
    ledger
        The rows' rejects and the report's notes; rejected rows and notes are added.

    Returns
    -------
    dict of str to pandas.Series
        ``fatalities`` and ``civilian_fatalities`` as floats.
    """
    counts: dict[str, pd.Series] = {}
    for name in ("fatalities", "civilian_fatalities"):
        if name not in cols:
            counts[name] = pd.Series(np.nan, index=raw.index, dtype="float64")
            continue
        src = raw[cols[name]]
        num = pd.to_numeric(src, errors="coerce").astype("float64")
        not_number = (src.notna() & num.isna()) | np.isinf(num)
        ledger.reject(not_number.to_numpy(), f"{name} is not a number", cols[name])
        ledger.reject((num < 0).to_numpy(), f"negative {name}", cols[name])
        finite = num.where(~np.isinf(num))
        ledger.reject(
            (finite != np.floor(finite)).to_numpy() & finite.notna().to_numpy(),
            f"{name} is not a whole number",
            cols[name],
        )
        ledger.reject(
            (finite > MAX_EVENT_FATALITIES).to_numpy(),
            f"{name} over {MAX_EVENT_FATALITIES} for one event (implausible)",
            cols[name],
        )
        counts[name] = num
    return counts


def note_estimate_order(
    raw: pd.DataFrame,
    spec: EventSpec,
    keep: np.ndarray,
    rows: np.ndarray,
    origin: str,
    ledger: Ledger,
) -> None:
    """Count (and name in a warning) kept rows whose ordered estimates are out of order.

    Parameters
    ----------
    raw
        The table as read.
    spec
        The source's spec (its ``ordered_estimates``, e.g. UCDP's low, best, high).
    keep
        Rows kept.
    rows
        Each row's number in the file.
    origin
        The file, for the warning.
    ledger
        The rows' rejects and the report's notes; rejected rows and notes are added.
    """
    if not spec.ordered_estimates or not all(c in raw.columns for c in spec.ordered_estimates):
        return
    est = [pd.to_numeric(raw[c], errors="coerce").to_numpy() for c in spec.ordered_estimates]
    with np.errstate(invalid="ignore"):
        disorder = np.logical_or.reduce([a > b for a, b in itertools.pairwise(est)]) & keep
    if disorder.any():
        names = " <= ".join(spec.ordered_estimates)
        ledger.notes["fatality_estimates_out_of_order"] = int(disorder.sum())
        logger.warning(
            "%s: %d kept row(s) break %s (kept as read; 'fatalities' is the source's "
            "best estimate). Check rows %s.",
            origin,
            int(disorder.sum()),
            names,
            rows_text(rows[disorder]),
        )
