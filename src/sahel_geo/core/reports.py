"""Step reports: counts in, kept and rejected (with reasons) for a reader or a join.

A report travels with the GeoDataFrame it describes in ``gdf.attrs["sahel_geo_reports"]``
(a tuple, newest last). Reports are immutable and shared, never deep-copied, so they
survive pandas operations at no cost. Use :func:`reports` and :func:`rejects` to read them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sahel_geo.core.errors import SchemaError

__all__ = [
    "ATTRS_KEY",
    "REJECT_COLUMNS",
    "StepReport",
    "attach_report",
    "empty_rejects",
    "rejects",
    "reports",
]

ATTRS_KEY = "sahel_geo_reports"
#: The columns every step's rejects table starts with.
REJECT_COLUMNS: tuple[str, ...] = ("row", "reason", "column")


def empty_rejects() -> pd.DataFrame:
    """Return the rejects table of a step that rejected nothing.

    Examples
    --------
    >>> list(empty_rejects().columns)
    ['row', 'reason', 'column']
    """
    return pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS})


@dataclass(frozen=True, eq=False)
class StepReport:
    """What one step read, kept and rejected.

    Attributes
    ----------
    step
        The step, e.g. ``"read_acled"`` or ``"assign_admin[adm1]"``.
    source
        The file or object the step worked on.
    n_in
        Rows the step received.
    n_kept
        Rows it passed on.
    rejects
        One row per rejected input row: ``row`` (1-based row number in the file, header
        excluded, or the input index), ``reason``, ``column`` and the row's own values.
    notes
        Counts of things noticed but not rejected (e.g. likely lat/lon swaps,
        snapped events), by name.
    """

    step: str
    source: str
    n_in: int
    n_kept: int
    rejects: pd.DataFrame
    notes: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n_rej = len(self.rejects)
        if self.n_in != self.n_kept + n_rej:
            raise AssertionError(
                f"{self.step}: counts do not add up: {self.n_in} in != "
                f"{self.n_kept} kept + {n_rej} rejected"
            )

    @property
    def n_rejected(self) -> int:
        """Number of rejected rows."""
        return len(self.rejects)

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        """Rejected rows counted by reason, most frequent first."""
        if self.rejects.empty:
            return {}
        counts = Counter(self.rejects["reason"].astype(str))
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def summary(self) -> str:
        """One line: counts in, kept and rejected by reason."""
        text = f"{self.step} {self.source}: {self.n_in:,} in, {self.n_kept:,} kept"
        text += f", {self.n_rejected:,} rejected"
        if self.n_rejected:
            text += " (" + "; ".join(f"{r}: {n:,}" for r, n in self.rejected_by_reason.items())
            text += ")"
        noted = {k: v for k, v in self.notes.items() if v}
        if noted:
            text += "; noted: " + "; ".join(f"{k}: {v:,}" for k, v in noted.items())
        return text

    def __repr__(self) -> str:
        return f"<StepReport {self.summary()}>"

    def __deepcopy__(self, memo: dict[int, Any]) -> StepReport:
        # Immutable and shared on purpose: pandas deep-copies attrs on every operation.
        return self


def attach_report(obj: pd.DataFrame, report: StepReport) -> None:
    """Append ``report`` to ``obj.attrs`` (the object is one the step just created)."""
    previous = obj.attrs.get(ATTRS_KEY, ())
    obj.attrs[ATTRS_KEY] = (*previous, report)


def reports(obj: pd.DataFrame) -> tuple[StepReport, ...]:
    """Return the step reports attached to a table, oldest first.

    Parameters
    ----------
    obj
        A table returned by a sahel_geo reader or join.

    Returns
    -------
    tuple of StepReport
        Empty when the table carries no report (e.g. built by hand).

    Examples
    --------
    >>> import sahel_geo as sg
    >>> events = sg.demo_events(n=100, seed=1)
    >>> [r.step for r in sg.reports(events)]
    ['demo_events']
    """
    value = obj.attrs.get(ATTRS_KEY, ())
    if not isinstance(value, tuple):
        raise SchemaError(f"attrs[{ATTRS_KEY!r}] was overwritten with a {type(value).__name__}.")
    return value


def rejects(obj: pd.DataFrame) -> pd.DataFrame:
    """Return every rejected row of every step that produced ``obj``, in one table.

    Parameters
    ----------
    obj
        A table returned by a sahel_geo reader or join.

    Returns
    -------
    pandas.DataFrame
        Columns ``step``, ``source_file``, ``row``, ``reason``, ``column`` then the rejected rows'
        own values (as text). Empty (with those columns) when nothing was rejected.
    """
    frames = []
    for rep in reports(obj):
        if rep.rejects.empty:
            continue
        frame = rep.rejects.copy()
        frame.insert(0, "source_file", rep.source)
        frame.insert(0, "step", rep.step)
        frames.append(frame)
    base = ["step", "source_file", "row", "reason", "column"]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in base})
    return pd.concat(frames, ignore_index=True, sort=False)
