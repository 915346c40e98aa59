"""Conflict, drought and malnutrition together, per unit and period.

One table per unit and period, and a simple typology of units.

The drought and wasting inputs are plain tables, so any source plugs in (the overlay's
zonal statistics per unit and period, WFP's Composite Drought Index by P-code, a survey
table):

* ``drought``: ``unit``, ``period`` (period start, same frequency as the counts) and a
  value column (default ``spei``: lower is drier, e.g. SPEI or a CHIRPS anomaly in
  standard deviations);
* ``wasting``: ``unit``, ``period`` (any frequency: each count period takes the latest
  wasting value at or before it, e.g. a yearly survey) and a value column (default
  ``wasting``: prevalence of wasting in children under five, %).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sahel_geo.analysis.timeseries import period_change
from sahel_geo.core.deprecation import deprecated_keywords
from sahel_geo.core.errors import SchemaError
from sahel_geo.core.validation import check_columns

__all__ = ["conflict_climate_table", "unit_typology"]


def conflict_climate_table(
    counts: pd.DataFrame,
    drought: pd.DataFrame,
    wasting: pd.DataFrame | None = None,
    *,
    drought_col: str = "spei",
    wasting_col: str = "wasting",
    lags: Sequence[int] = (0, 1, 2, 3),
) -> pd.DataFrame:
    """Join event counts, drought (with lags) and wasting per unit and period.

    Parameters
    ----------
    counts
        Long unit × period table (:func:`sahel_geo.aggregate`).
    drought
        ``unit``, ``period``, ``drought_col`` (one row per unit and period at the counts'
        frequency; duplicates raise).
    wasting
        ``unit``, ``period``, ``wasting_col``; or None.
    drought_col, wasting_col
        Value columns.
    lags
        Drought lags in periods: column ``{drought_col}_lag{L}`` holds the unit's value
        ``L`` periods earlier (NaN before the drought series starts).

    Returns
    -------
    pandas.DataFrame
        The counts' rows and columns, plus ``{drought_col}_lag{L}`` for each lag and
        ``wasting_col`` (latest value at or before the period; NaN if none).

    Examples
    --------
    >>> counts = pd.DataFrame({"unit": ["A"] * 3, "period": pd.to_datetime(
    ...     ["2020-01-01", "2020-02-01", "2020-03-01"]), "events": [1, 2, 6]})
    >>> dr = counts[["unit", "period"]].assign(spei=[-0.5, -1.5, -1.2])
    >>> conflict_climate_table(counts, dr, lags=(0, 1))["spei_lag1"].tolist()
    [nan, -0.5, -1.5]
    """
    check_columns(counts, ["unit", "period", "events"], what="counts", source="sahel_geo.aggregate")
    check_columns(drought, ["unit", "period", drought_col], what="drought")
    if drought.duplicated(["unit", "period"]).any():
        rows = np.flatnonzero(drought.duplicated(["unit", "period"], keep=False))[:10].tolist()
        raise SchemaError(
            f"drought has several rows for the same unit and period (positions {rows})."
        )
    if any(lag < 0 for lag in lags):
        raise SchemaError(f"lags must be >= 0, got {list(lags)}.")
    out = counts.copy()
    periods = pd.Index(sorted(pd.unique(pd.concat([counts["period"], drought["period"]]))))
    wide = drought.pivot(index="period", columns="unit", values=drought_col).reindex(periods)
    for lag in lags:
        shifted = pd.Series(
            wide.shift(lag).stack(future_stack=True), name=f"{drought_col}_lag{lag}"
        )
        out = out.merge(shifted, left_on=["period", "unit"], right_index=True, how="left")
    if wasting is not None:
        check_columns(wasting, ["unit", "period", wasting_col], what="wasting")
        left = out.reset_index(drop=False).sort_values("period")
        right = wasting[["unit", "period", wasting_col]].sort_values("period")
        right = right.astype({"period": left["period"].dtype})
        merged = pd.merge_asof(left, right, on="period", by="unit", direction="backward")
        out = merged.sort_values("index").set_index("index").rename_axis(None)
        out.index = counts.index
    return out


_LOW_BASELINE_DEFAULT: tuple[float, float] = (2.0, 5.0)


@deprecated_keywords(
    "min_baseline",
    "min_current",
    new="low_baseline",
    removed_in="0.3.0",
    translate=lambda old, _: (
        float(old.get("min_baseline", _LOW_BASELINE_DEFAULT[0])),
        float(old.get("min_current", _LOW_BASELINE_DEFAULT[1])),
    ),
)
def unit_typology(
    table: pd.DataFrame,
    *,
    drought_col: str = "spei_lag0",
    wasting_col: str = "wasting",
    baseline_periods: int = 3,
    rise_pct: float = 25.0,
    low_baseline: tuple[float, float] = _LOW_BASELINE_DEFAULT,
    drought_threshold: float = -1.0,
    wasting_threshold: float = 10.0,
) -> pd.DataFrame:
    """Type each unit-period: rising conflict × drought stress × high wasting.

    * *rising conflict*: events above the mean of the previous ``baseline_periods`` by more
      than ``rise_pct`` % (or new from zero), low baselines excepted (ACLED Trendfinder's
      rule, see :func:`sahel_geo.period_change`);
    * *drought stress*: ``drought_col <= drought_threshold`` (SPEI <= -1 is "moderately
      dry" or worse, McKee et al. 1993);
    * *high wasting*: ``wasting_col >= wasting_threshold`` (10 % is WHO/UNICEF's "high"
      prevalence of wasting, de Onis et al. 2019).

    Parameters
    ----------
    table
        From :func:`conflict_climate_table`.
    drought_col, wasting_col
        Drought and wasting columns of ``table`` (no wasting column: never high wasting).
    baseline_periods
        Periods whose mean is the baseline of the change.
    rise_pct
        Change (%) above which conflict is rising.
    low_baseline
        ``(min_baseline, min_current)``: a change from a baseline of at most
        ``min_baseline`` to at most ``min_current`` events is not a rise (the
        low-baseline rule of :func:`sahel_geo.period_change`). The keywords
        ``min_baseline=`` and ``min_current=`` still work with a :class:`FutureWarning`;
        they are removed in sahel_geo 0.3.0.
    drought_threshold, wasting_threshold
        Values at or beyond which a unit-period is in drought / has high wasting.

    Returns
    -------
    pandas.DataFrame
        ``table`` plus ``change_pct`` (against the baseline), ``rising``, ``drought``,
        ``high_wasting`` (booleans; False where the value is missing) and ``type``: the
        names of the flags that hold joined by ``" + "`` (e.g. ``"rising conflict +
        drought + high wasting"``) or ``"none"``.

    Examples
    --------
    >>> t = pd.DataFrame({"unit": ["A"] * 3, "period": [1, 2, 3], "events": [4, 4, 12],
    ...     "spei_lag0": [0.0, -1.2, -1.5], "wasting": [8.0, 12.0, 12.0]})
    >>> unit_typology(t, baseline_periods=1)["type"].tolist()
    ['none', 'drought + high wasting', 'rising conflict + drought + high wasting']
    """
    check_columns(table, ["unit", "period", "events", drought_col], what="table")
    has_wasting = wasting_col in table.columns
    wide = table.pivot_table(index="period", columns="unit", values="events", aggfunc="sum")
    min_baseline, min_current = low_baseline
    ch = period_change(
        wide, baseline_periods=baseline_periods, min_baseline=min_baseline, min_current=min_current
    )
    ch = ch[["unit", "period", "change_pct", "trend"]]
    out = table.merge(ch, on=["unit", "period"], how="left")
    out["rising"] = (out["change_pct"] > rise_pct) | (out["trend"] == "new")
    out["drought"] = (out[drought_col] <= drought_threshold).fillna(False).astype(bool)
    out["high_wasting"] = (
        (out[wasting_col] >= wasting_threshold).fillna(False).astype(bool) if has_wasting else False
    )
    names = ("rising conflict", "drought", "high wasting")
    labels = np.array(
        [
            " + ".join(n for b, n in enumerate(names) if code >> b & 1) or "none"
            for code in range(8)
        ],
        dtype=object,
    )
    flags = out[["rising", "drought", "high_wasting"]].to_numpy(dtype=np.int64)
    out["type"] = labels[flags @ np.array([1, 2, 4])]
    out.index = table.index
    return out.drop(columns=["trend"])
