"""How sahel_geo objects show themselves in a notebook: small escaped HTML tables."""

from __future__ import annotations

import html
from collections.abc import Iterable

__all__ = ["html_table"]


def html_table(title: str, rows: Iterable[tuple[str, object]]) -> str:
    """Return a two-column HTML table (field, value) under a bold title, all text escaped.

    Used by the ``_repr_html_`` of :class:`~sahel_geo.Raster`,
    :class:`~sahel_geo.StepReport` and :class:`~sahel_geo.RoadNetwork`.

    Parameters
    ----------
    title
        The heading (e.g. the class and name).
    rows
        ``(field, value)`` pairs; values are shown with ``str``.

    Returns
    -------
    str
        The HTML fragment.

    Examples
    --------
    >>> text = html_table("Raster <b>", [("shape", (2, 3))])
    >>> "Raster &lt;b&gt;" in text, ">(2, 3)</td>" in text
    (True, True)
    """
    cells = "".join(
        f'<tr><th style="text-align:left">{html.escape(str(k))}</th>'
        f'<td style="text-align:left">{html.escape(str(v))}</td></tr>'
        for k, v in rows
    )
    return f"<div><strong>{html.escape(title)}</strong><table>{cells}</table></div>"
