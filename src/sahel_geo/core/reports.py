"""Step reports: counts in, kept and rejected (with reasons) for a reader or a join.

A report travels with the GeoDataFrame it describes in ``gdf.attrs["sahel_geo_reports"]``
(a tuple, newest last). Reports are immutable and shared, never deep-copied, so they
survive pandas operations at no cost. Use :func:`reports` and :func:`rejects` to read them.

Reports also survive files that keep ``attrs``: pandas and geopandas write ``df.attrs``
as JSON into Parquet metadata (``to_parquet``), so a :class:`StepReport` is also a ``dict``
holding its JSON form (:meth:`StepReport.to_dict`: counts, notes and the rejected rows as
text). :func:`reports` turns the plain dicts that ``read_parquet`` gives back into
reports again, so ``sg.reports(gpd.read_parquet(path))`` is what was written.

The rejected rows' JSON form (one Python object per cell) is built only when something
reads the report as a mapping -- ``json.dumps``, :meth:`StepReport.to_dict` -- not when a
step makes the report: a join that drops 200,000 events spent 4.7 of its 4.9 s building
it, and millions of rejects would hold gigabytes of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sahel_geo.core.display import html_table
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
class StepReport(dict[str, Any]):
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
        # The JSON form, what json.dumps(df.attrs) writes (to_parquet): the counts now,
        # the rejected rows when it is read (_full). json's encoder skips an empty dict
        # without asking it for its items, so the stored part is never empty.
        dict.update(
            self,
            {
                "sahel_geo_step_report": 1,
                "step": str(self.step),
                "source": str(self.source),
                "n_in": int(self.n_in),
                "n_kept": int(self.n_kept),
                "notes": {str(k): int(v) for k, v in self.notes.items()},
            },
        )

    def _full(self) -> StepReport:
        """Add the rejected rows' JSON form to the mapping, once; return the report."""
        if not dict.__contains__(self, "rejects"):
            rej = self.rejects
            columns = [_json_column(rej.iloc[:, j]) for j in range(rej.shape[1])]
            rows = [list(row) for row in zip(*columns, strict=True)] if columns else []
            # two threads may both build it: the same value, set whole
            dict.__setitem__(
                self, "rejects", {"columns": [str(c) for c in rej.columns], "rows": rows}
            )
        return self

    # The mapping reads go through _full, so every reader sees the whole JSON form.
    def __getitem__(self, key: str) -> Any:
        return dict.__getitem__(self._full(), key)

    def __iter__(self) -> Iterator[str]:
        return dict.__iter__(self._full())

    def __len__(self) -> int:
        return dict.__len__(self._full())

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self._full(), key)

    def __reversed__(self) -> Iterator[str]:
        return dict.__reversed__(self._full())

    def __or__(self, other: Any) -> dict[str, Any]:  # type: ignore[override]
        return dict.copy(self._full()) | other  # type: ignore[no-any-return]

    def get(self, key: str, default: Any = None) -> Any:
        """Return the JSON form's ``key``, or ``default``."""
        return dict.get(self._full(), key, default)

    def keys(self) -> KeysView[str]:  # type: ignore[override]
        """Return the JSON form's keys."""
        return dict.keys(self._full())

    def values(self) -> ValuesView[Any]:  # type: ignore[override]
        """Return the JSON form's values."""
        return dict.values(self._full())

    def items(self) -> ItemsView[str, Any]:  # type: ignore[override]
        """Return the JSON form's items (what ``json.dumps`` asks a dict subclass for)."""
        return dict.items(self._full())

    def copy(self) -> dict[str, Any]:
        """Return the JSON form as a plain dict."""
        return dict.copy(self._full())

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if isinstance(other, StepReport):
            # the counts first, then the rejects as frames: the JSON forms only when
            # equal rejects could be held in other dtypes (e.g. read back from Parquet)
            if any(dict.get(self, k) != dict.get(other, k) for k in _HEADER):
                return False
            if self.rejects.equals(other.rejects):
                return True
            other = other._full()
        return dict.__eq__(self._full(), other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # a dict: unhashable

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled as its fields (Dask sends reports between processes): the rejects
        # travel as a frame, and the JSON form is built again only if it is read
        return (
            type(self),
            (self.step, self.source, self.n_in, self.n_kept, self.rejects, dict(self.notes)),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready data (rejected values as text).

        Examples
        --------
        >>> rep = StepReport(step="s", source="f.csv", n_in=2, n_kept=2, rejects=empty_rejects())
        >>> rep.to_dict()["n_kept"], rep.to_dict()["rejects"]["columns"]
        (2, ['row', 'reason', 'column'])
        """
        return dict(dict.items(self._full()))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StepReport:
        """Rebuild a report from :meth:`to_dict` (e.g. read back from Parquet metadata).

        Raises
        ------
        SchemaError
            If ``data`` is not a step report's JSON form.
        """
        try:
            rej = data["rejects"]
            frame = pd.DataFrame(rej["rows"], columns=rej["columns"], dtype=object)
            return cls(
                step=data["step"],
                source=data["source"],
                n_in=int(data["n_in"]),
                n_kept=int(data["n_kept"]),
                rejects=frame if len(frame.columns) else empty_rejects(),
                notes={str(k): int(v) for k, v in data.get("notes", {}).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SchemaError(
                f"attrs[{ATTRS_KEY!r}] holds an entry that is not a step report ({exc!r}). "
                "Do not edit it by hand; read reports with sahel_geo.reports()."
            ) from exc

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

    def _repr_html_(self) -> str:
        rows: list[tuple[str, object]] = [
            ("source", self.source),
            ("rows in", f"{self.n_in:,}"),
            ("kept", f"{self.n_kept:,}"),
            ("rejected", f"{self.n_rejected:,}"),
        ]
        rows += [(f"rejected: {r}", f"{n:,}") for r, n in self.rejected_by_reason.items()]
        rows += [(f"noted: {k}", f"{v:,}") for k, v in self.notes.items() if v]
        return html_table(f"Step {self.step}", rows)

    def __deepcopy__(self, memo: dict[int, Any]) -> StepReport:
        # Immutable and shared on purpose: pandas deep-copies attrs on every operation.
        return self


def attach_report(obj: pd.DataFrame, report: StepReport) -> None:
    """Append ``report`` to ``obj.attrs`` (the object is one the step just created)."""
    previous = reports(obj) if ATTRS_KEY in obj.attrs else ()
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
    if not isinstance(value, tuple | list):
        raise SchemaError(f"attrs[{ATTRS_KEY!r}] was overwritten with a {type(value).__name__}.")
    if isinstance(value, tuple) and all(isinstance(r, StepReport) for r in value):
        return value
    # read back from a file (Parquet metadata): plain dicts in a list; rebuilt once and
    # kept, so the same report objects are returned on every call
    rebuilt = tuple(r if isinstance(r, StepReport) else StepReport.from_dict(r) for r in value)
    obj.attrs[ATTRS_KEY] = rebuilt
    return rebuilt


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


#: The keys of a report's JSON form stored when it is made (all but the rejects).
_HEADER = ("sahel_geo_step_report", "step", "source", "n_in", "n_kept", "notes")


def _json_column(col: pd.Series) -> list[Any]:
    """Return a rejects column's cells as JSON values (:func:`_json_value`), None if missing.

    Numbers and text are converted a column at a time; other cells one by one.
    """
    kind = col.dtype.kind if isinstance(col.dtype, np.dtype) else "O"  # nullable: cell by cell
    if kind in "biu":
        return list(col.to_numpy().tolist())
    missing = col.isna().to_numpy()
    if kind == "f":
        values = col.to_numpy(dtype=np.float64)
        out: list[Any] = values.tolist()
        for i in np.flatnonzero(~np.isfinite(values)):
            out[i] = None if missing[i] else str(out[i])
        return out
    cells = col.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(cells, skipna=True) in ("string", "empty"):
        out = cells.tolist()
        for i in np.flatnonzero(missing):
            out[i] = None
        return out
    return [None if m else _json_value(v) for v, m in zip(cells.tolist(), missing, strict=True)]


def _json_value(value: Any) -> Any:
    """Return a rejected cell as JSON: numbers and text as they are, the rest as text."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if np.isfinite(value) else str(value)
    return str(value)
