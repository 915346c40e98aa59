"""The ledger of an events build: why each row is rejected, and the report's notes.

Every step of :func:`sahel_geo.io._event_builder.build_events` records what it rejects
(reason and column, several reasons joined) and what it notices in one :class:`Ledger`;
:func:`rows_text` names rows in log messages. Private helper of :mod:`sahel_geo.io.events`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

__all__ = ["Ledger", "rows_text"]

#: Rows named in a log message before "...".
_LOG_ROWS: Final = 20


def _concat_reason(current: np.ndarray, mask: np.ndarray, text: str | np.ndarray) -> None:
    """Append ``text`` (a string or one per masked row) to the reasons of masked rows."""
    if not mask.any():
        return
    old = current[mask]
    add = np.asarray(text, dtype=object) if not isinstance(text, str) else text
    current[mask] = np.where(old == "", add, old + "; " + add)


@dataclass
class Ledger:
    """Why each row is rejected (reason and column, "" while it is fine) and the notes.

    Every check of :func:`~sahel_geo.io._event_builder.build_events` writes into it: a
    row can collect several reasons (joined by ``"; "``).

    Attributes
    ----------
    reason
        The reasons each row is rejected, ``""`` for a row kept so far.
    column
        The source column(s) behind each reason.
    notes
        The step report's notes (counts of what was noticed or repaired).
    """

    reason: np.ndarray
    column: np.ndarray
    notes: dict[str, int] = field(default_factory=dict)

    @classmethod
    def for_rows(cls, n: int) -> Ledger:
        """Start a ledger of ``n`` rows with nothing rejected yet."""
        return cls(np.full(n, "", dtype=object), np.full(n, "", dtype=object))

    def reject(self, mask: np.ndarray | pd.Series, text: str | np.ndarray, col: str) -> None:
        """Add ``text`` (one string, or one per row) to the reasons of the masked rows."""
        m = np.asarray(mask, dtype=bool)
        if isinstance(text, np.ndarray):
            text = text[m]
        _concat_reason(self.reason, m, text)
        _concat_reason(self.column, m, col)

    def ok(self) -> np.ndarray:
        """Rows with no reason to reject them so far."""
        ok: np.ndarray = self.reason == ""
        return ok


def rows_text(rows: np.ndarray) -> str:
    """Return the row numbers a log message names: the first 20, then how many in all.

    Parameters
    ----------
    rows
        Row numbers, in order.

    Returns
    -------
    str
        ``"3, 7"``; for 25 rows ``"1, 2, ..., 20 ... (25 rows)"``.

    Examples
    --------
    >>> rows_text(np.array([3, 7]))
    '3, 7'
    """
    shown = ", ".join(str(int(r)) for r in rows[:_LOG_ROWS])
    return shown + (f" ... ({len(rows)} rows)" if len(rows) > _LOG_ROWS else "")
