"""Knox test for space-time interaction (global and local).

Knox (1964): among all pairs of events, count those close in space (within
``distance_km``) *and* in time (within ``days``), and compare with what independence of
space and time would give. Definitions, the 2 × 2 table, the Poisson p-value, the
permutation scheme (event times shuffled over locations) and the local statistics
(each event's number of space-time neighbours, its hypergeometric p-value and conditional
permutation p-value) are those of ``pointpats.spacetime.Knox`` / ``KnoxLocal``
(pointpats 2.5; Rogerson 2001). Thresholds are inclusive (``<=``).

Distances are geodesic km on WGS84 for events in EPSG:4326, or Euclidean in km for a
projected CRS in metres (e.g. to compare with pointpats on projected coordinates).
The pairs within ``distance_km`` are held in memory: O(number of close pairs).

Differences from pointpats on the same inputs, on purpose:

- Permutations draw from ``numpy.random.Generator`` (``seed`` is an int or a
  Generator), not from numpy's legacy global ``RandomState`` that pointpats seeds with
  ``np.random.seed``: the same seed gives other draws, so permutation p-values agree in
  distribution, not digit for digit. The statistic, the table and the analytic
  (Poisson, hypergeometric) p-values are identical.
- Distances in EPSG:4326 are geodesic km; pointpats measures Euclidean distances in the
  coordinates' units, so compare on projected coordinates in metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats
from scipy.spatial import cKDTree

from sahel_geo.core.errors import EmptyResultError, MissingCRSError, SchemaError
from sahel_geo.core.geodesy import pairs_within_km
from sahel_geo.core.validation import check_columns, point_xy

__all__ = ["KnoxResult", "knox_local", "knox_test"]


@dataclass(frozen=True, eq=False)
class KnoxResult:
    """Global Knox test.

    Attributes
    ----------
    n
        Events.
    distance_km, days
        The thresholds.
    statistic
        Pairs close in space and time (``NST``).
    expected
        Its expectation under independence, ``NS · NT / (n(n−1)/2)``.
    observed_table, expected_table
        2 × 2 tables ``[[NST, NS − NST], [NT − NST, rest]]`` (pointpats' layout).
    p_poisson
        ``1 − Poisson.cdf(NST; expected)``.
    p_sim
        ``(#{permuted NST >= NST} + 1) / (permutations + 1)``; NaN without permutations.
    permutations
        Number of permutations.
    """

    n: int
    distance_km: float
    days: float
    statistic: int
    expected: float
    observed_table: NDArray[np.float64]
    expected_table: NDArray[np.float64]
    p_poisson: float
    p_sim: float
    permutations: int

    def summary(self) -> str:
        """One line."""
        return (
            f"Knox: {self.n:,} events, {self.distance_km:g} km × {self.days:g} days: "
            f"{self.statistic:,} close pairs vs {self.expected:.1f} expected "
            f"(p_poisson={self.p_poisson:.3g}, p_sim={self.p_sim:.3g}, "
            f"{self.permutations} permutations)"
        )

    def __repr__(self) -> str:
        return f"<KnoxResult {self.summary()}>"

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(self.summary())}</p>"


def _inputs(
    events: gpd.GeoDataFrame, distance_km: float, days: float
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.intp]]:
    check_columns(events, ["event_date"], what="events")
    if not distance_km > 0 or not days >= 0:
        raise SchemaError(f"distance_km must be > 0 and days >= 0, got {distance_km}, {days}.")
    if len(events) < 2:
        raise EmptyResultError(f"the Knox test needs at least 2 events, got {len(events)}.")
    if events.crs is None:
        raise MissingCRSError("events has no CRS; set it with events.set_crs('EPSG:4326').")
    x, y = point_xy(events, what="events")
    dates = pd.DatetimeIndex(events["event_date"])
    if dates.isna().any():
        raise SchemaError("events: event_date has missing values; drop or fix them first.")
    t = np.asarray((dates - dates.min()) / pd.Timedelta(days=1), dtype=float)
    if events.crs.is_geographic:
        i, j, _ = pairs_within_km(x, y, distance_km)
    else:
        unit = events.crs.axis_info[0].unit_name if events.crs.axis_info else ""
        if unit not in ("metre", "meter"):
            raise SchemaError(
                f"events are in {events.crs.to_string()} with units {unit!r}: use EPSG:4326 "
                "or a projected CRS in metres."
            )
        pairs = cKDTree(np.column_stack([x, y])).query_pairs(
            distance_km * 1000.0, output_type="ndarray"
        )
        i, j = pairs[:, 0].astype(np.intp), pairs[:, 1].astype(np.intp)
    return t, i, j


def _n_time_pairs(t: NDArray[np.float64], tau: float) -> int:
    s = np.sort(t)
    hi = np.searchsorted(s, s + tau, side="right")
    return int((hi - np.arange(s.size) - 1).sum())


def _global(
    t: NDArray[np.float64],
    i: NDArray[np.intp],
    j: NDArray[np.intp],
    tau: float,
    perms: NDArray[np.intp],
) -> tuple[int, int, int, NDArray[np.int64]]:
    """NS, NT, NST and the permuted NSTs (one per row of ``perms``)."""
    ns = int(i.size)
    nt = _n_time_pairs(t, tau)
    nst = int((np.abs(t[i] - t[j]) <= tau).sum())
    sims = np.empty(perms.shape[0], dtype=np.int64)
    for k, rid in enumerate(perms):  # loop over permutations, vectorised over pairs
        tp = t[rid]
        sims[k] = int((np.abs(tp[i] - tp[j]) <= tau).sum())
    return ns, nt, nst, sims


def _result(
    n: int, ns: int, nt: int, nst: int, sims: NDArray[np.int64], distance_km: float, days: float
) -> KnoxResult:
    pairs = n * (n - 1) / 2
    enst = ns * nt / pairs
    observed = np.array([[nst, ns - nst], [nt - nst, pairs - ns - nt + nst]], dtype=float)
    expected = np.array([[enst, ns - enst], [nt - enst, 0.0]])
    expected[1, 1] = pairs - expected.sum()
    p_sim = float((np.sum(sims >= nst) + 1) / (sims.size + 1)) if sims.size else float("nan")
    return KnoxResult(
        n=n,
        distance_km=float(distance_km),
        days=float(days),
        statistic=nst,
        expected=float(enst),
        observed_table=observed,
        expected_table=expected,
        p_poisson=float(1 - stats.poisson.cdf(nst, enst)),
        p_sim=p_sim,
        permutations=int(sims.size),
    )


def _perms(n: int, permutations: int, seed: int | np.random.Generator | None) -> NDArray[np.intp]:
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return np.array([rng.permutation(n) for _ in range(permutations)], dtype=np.intp).reshape(
        permutations, n
    )


def knox_test(
    events: gpd.GeoDataFrame,
    *,
    distance_km: float,
    days: float,
    permutations: int = 999,
    seed: int | np.random.Generator | None = 0,
) -> KnoxResult:
    """Global Knox test of space-time interaction.

    Parameters
    ----------
    events
        Point events with ``event_date`` (EPSG:4326: geodesic distances; or a projected CRS
        in metres: Euclidean).
    distance_km
        Pairs at most this far apart are close in space.
    days
        Pairs at most this many days apart are close in time.
    permutations
        Random reassignments of event times to locations (0: Poisson p-value only).
    seed
        Seed or generator of the permutations.

    Returns
    -------
    KnoxResult
        The statistic, its expectation, 2 × 2 tables and p-values.

    Examples
    --------
    >>> import geopandas as gpd
    >>> ev = gpd.GeoDataFrame({"event_date": pd.to_datetime(["2024-01-01", "2024-01-02",
    ...     "2024-06-01", "2024-06-02"])},
    ...     geometry=gpd.points_from_xy([0, 0.01, 5, 5.01], [14, 14, 14, 14]), crs="EPSG:4326")
    >>> knox_test(ev, distance_km=5, days=3, permutations=0).statistic
    2
    """
    t, i, j = _inputs(events, distance_km, days)
    n = t.size
    ns, nt, nst, sims = _global(t, i, j, days, _perms(n, permutations, seed))
    return _result(n, ns, nt, nst, sims, distance_km, days)


def _local(
    t: NDArray[np.float64],
    i: NDArray[np.intp],
    j: NDArray[np.intp],
    tau: float,
    perms: NDArray[np.intp],
) -> pd.DataFrame:
    n = t.size
    di = np.concatenate([i, j])  # directed spatial pairs
    dj = np.concatenate([j, i])
    close_t = np.abs(t[di] - t[dj]) <= tau
    nsti = np.bincount(di, weights=close_t, minlength=n)
    nsi = np.bincount(di, minlength=n)
    s = np.sort(t)
    nti = np.searchsorted(s, t + tau, side="right") - np.searchsorted(s, t - tau, side="left") - 1
    exceed = np.zeros(n)
    for rid in perms:  # conditional: event i fixed, its neighbours' times drawn from the others
        m = rid[dj]
        m = np.where(m == di, rid[di], m)
        hit = np.abs(t[di] - t[m]) <= tau
        count = np.bincount(di, weights=hit, minlength=n)
        exceed += count >= nsti
    p_sim = (exceed + 1) / (perms.shape[0] + 1) if perms.shape[0] else np.full(n, np.nan)
    # pointpats: 1 - mean_j hypergeom.cdf(nst_i - 1, n - 1, nt_j, ns_i)
    nt_vals, nt_counts = np.unique(nti, return_counts=True)
    pairs = pd.DataFrame({"k": nsti, "ns": nsi})
    uniq = pairs.drop_duplicates().to_numpy()
    cdf = stats.hypergeom.cdf(uniq[:, :1] - 1, n - 1, nt_vals[None, :], uniq[:, 1:2])
    mean_cdf = (cdf * nt_counts[None, :]).sum(axis=1) / n
    lookup = pd.Series(1 - mean_cdf, index=pd.MultiIndex.from_arrays([uniq[:, 0], uniq[:, 1]]))
    p_hg = lookup.reindex(pd.MultiIndex.from_arrays([nsti, nsi])).to_numpy()
    return pd.DataFrame({"nst": nsti, "ns": nsi, "nt": nti, "p_hypergeom": p_hg, "p_sim": p_sim})


def knox_local(
    events: gpd.GeoDataFrame,
    *,
    distance_km: float,
    days: float,
    permutations: int = 999,
    seed: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Local Knox statistics: each event's space-time neighbours and their significance.

    Parameters
    ----------
    events, distance_km, days, permutations, seed
        As :func:`knox_test`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``events``: ``nst`` (events close to it in space and time), ``ns``
        (close in space), ``nt`` (close in time), ``p_hypergeom`` (pointpats' analytic
        p-value), ``p_sim`` (conditional permutation p-value: the event fixed, its spatial
        neighbours drawn at random from the other events, ``(#{count >= nst} + 1) /
        (permutations + 1)``).

    Examples
    --------
    >>> import geopandas as gpd
    >>> ev = gpd.GeoDataFrame({"event_date": pd.to_datetime(["2024-01-01", "2024-01-02",
    ...     "2024-06-01"])},
    ...     geometry=gpd.points_from_xy([0, 0.01, 5], [14, 14, 14]), crs="EPSG:4326")
    >>> knox_local(ev, distance_km=5, days=3, permutations=0)["nst"].tolist()
    [1.0, 1.0, 0.0]
    """
    t, i, j = _inputs(events, distance_km, days)
    out = _local(t, i, j, days, _perms(t.size, permutations, seed))
    out.index = events.index
    return out
