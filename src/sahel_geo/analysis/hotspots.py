"""Hot spots: Getis-Ord Gi*, false-discovery-rate control and emerging hot spot analysis.

* :func:`getis_ord` — local Gi* (Getis & Ord 1992; Ord & Getis 1995) per unit or cell with
  contiguity or distance-band weights, analytic and conditional-permutation p-values, and
  Benjamini-Hochberg FDR. The statistic, its moments, z-scores and p-values are those of
  ``esda.G_Local(y, w, transform=..., star=True)`` (esda 2.9), so results can be checked
  against it.
* :func:`emerging_hotspots` — ESRI's Emerging Hot Spot Analysis (ArcGIS Pro, "How Emerging
  Hot Spot Analysis works"): Gi* per location and time bin, a Mann-Kendall trend test
  (Mann 1945; Kendall 1975) per location, and the 17 published categories.
* :func:`fdr_bh` — Benjamini & Hochberg (1995) adjusted p-values.

Space-time interaction (Knox) is in :mod:`sahel_geo.analysis.knox`.

Differences from esda on the same inputs, on purpose:

- Permutations draw from ``numpy.random.Generator`` (``seed`` is an int or a
  Generator; esda uses numpy's legacy ``RandomState`` via its ``seed`` argument), so the
  same seed gives other draws: permutation p-values agree in distribution, and exactly
  when the same permutation matrix is supplied (the tests do so).
- Analytic z-scores and p-values equal esda's; row-standardised permutation p-values can
  differ on exact ties, where floating-point sums are ordered differently.
- ``fdr_bh`` returns Benjamini-Hochberg q-values (scipy's
  ``false_discovery_control``) rather than esda's single cutoff; ``q <= alpha`` selects
  the same set as ``esda.fdr(p, alpha)``.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from scipy.stats import false_discovery_control

from sahel_geo.analysis.weights import Weights, spatial_weights
from sahel_geo.core.errors import SahelGeoWarning, SchemaError

__all__ = [
    "EHSA_CATEGORIES",
    "EmergingHotSpots",
    "GetisOrd",
    "emerging_hotspots",
    "fdr_bh",
    "getis_ord",
    "gi_star_matrix",
    "mann_kendall",
]

logger = logging.getLogger(__name__)

#: The 17 categories of ArcGIS Emerging Hot Spot Analysis.
EHSA_CATEGORIES: Final[tuple[str, ...]] = (
    "new hot spot",
    "consecutive hot spot",
    "intensifying hot spot",
    "persistent hot spot",
    "diminishing hot spot",
    "sporadic hot spot",
    "oscillating hot spot",
    "historical hot spot",
    "new cold spot",
    "consecutive cold spot",
    "intensifying cold spot",
    "persistent cold spot",
    "diminishing cold spot",
    "sporadic cold spot",
    "oscillating cold spot",
    "historical cold spot",
    "no pattern detected",
)


def fdr_bh(p: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN stays NaN.

    ``scipy.stats.false_discovery_control(p, method="bh")`` on the p-values that are not
    NaN.

    A p-value is significant at false discovery rate ``alpha`` when its q-value is
    ``<= alpha``; this selects the same set as ``esda.fdr(p, alpha)`` used as a cutoff.

    Examples
    --------
    >>> fdr_bh([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    arr = np.asarray(p, dtype=float)
    out = np.full(arr.shape, np.nan)
    ok = ~np.isnan(arr)
    if ok.any():
        # scipy's Benjamini-Hochberg adjustment; NaN (no test) passes through
        out[ok] = false_discovery_control(arr[ok], method="bh")
    return out


def _with_self(w: sp.csr_matrix, transform: str) -> sp.csr_matrix:
    """Binary weights plus a self-weight of 1 (Gi*), then ``"B"`` or row-standardised ``"R"``."""
    m = (w + sp.identity(w.shape[0], format="csr")).tocsr()
    m.data[:] = 1.0
    if transform == "R":
        rs = np.asarray(m.sum(axis=1)).ravel()
        m = sp.diags(1.0 / rs) @ m
    return sp.csr_matrix(m)


def space_time_weights(ws: sp.csr_matrix, n_bins: int, time_step: int) -> sp.csr_matrix:
    """Binary space-time weights over a cube flattened bin by bin (index ``t * n + i``).

    Location ``i`` in bin ``t`` neighbours location ``j`` in bins ``t - time_step`` .. ``t``
    wherever ``ws[i, j]`` is non-zero (``ws`` holds the self-weights).
    """
    blocks = [sp.kron(sp.eye(n_bins, k=-d, format="csr"), ws) for d in range(time_step + 1)]
    cube = sp.csr_matrix(sum(blocks[1:], blocks[0]))
    cube.data[:] = 1.0
    return cube


def gi_star_matrix(
    y: NDArray[np.float64], w_star: sp.csr_matrix
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Gi* statistic, expectation, variance and z-score for one or many value columns.

    ``y`` is ``(n,)`` or ``(n, T)`` (one column per time bin); ``w_star`` already holds the
    self-weights and transform. Formulas are esda's ``G_Local.calc`` with ``star=True``:
    ``G = W y / Σy``, ``E = w_i. / n``, ``V = w_i.(n − w_i.) / ((n − 1) n²) · s² / ȳ²``.
    Columns with zero variance or zero sum give NaN z-scores.
    """
    y2 = y.reshape(len(y), -1).astype(float)
    n = y2.shape[0]
    total = y2.sum(axis=0)
    mean = total / n
    var = (y2**2).sum(axis=0) / n - mean**2
    card = np.asarray(w_star.sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (w_star @ y2) / total
        e = np.broadcast_to((card / n)[:, None], g.shape)
        v = (card * (n - card) / (n - 1) / n**2)[:, None] * (var / mean**2)[None, :]
        z = (g - e) / np.sqrt(v)
    z = np.where(np.isfinite(z), z, np.nan)
    shape = y.shape
    return g.reshape(shape), np.array(e).reshape(shape), v.reshape(shape), z.reshape(shape)


def _perm_larger(
    y: NDArray[np.float64],
    w_star: sp.csr_matrix,
    observed: NDArray[np.float64],
    ids: NDArray[np.intp],
) -> NDArray[np.int64]:
    """Count of conditional permutations with Gi* >= observed (esda's ``crand``).

    ``ids`` is ``(permutations, max_cardinality)``: draws from the ``n - 1`` other sites,
    shared by all sites as in esda (``vec_permutations``); site ``i`` uses the first
    ``k_i`` of each row, where ``k_i`` is its number of neighbours, and draw ``d`` means
    site ``d`` if ``d < i`` else ``d + 1`` (site ``i`` itself is skipped).

    Weights within a row are equal here (binary or row-standardised), so a site's
    simulated statistic is its weight times the sum of the drawn values. That sum is
    ``Σ_m y[d_m] + Σ_m [d_m >= i] (y[d_m + 1] − y[d_m])``; the second term, for every site
    at once, is a reverse cumulative sum over site positions: O(permutations × n) per
    neighbour count instead of O(permutations × Σ k_i) gathers.
    """
    n = len(y)
    self_w = w_star.diagonal().copy()
    off = sp.csr_matrix(w_star - sp.diags(self_w))
    off.eliminate_zeros()
    card = np.diff(off.indptr)
    row_w = np.zeros(n)
    has = card > 0
    row_w[has] = off.data[off.indptr[:-1][has]]
    larger = np.zeros(n, dtype=np.int64)
    scaling = y.sum()
    n_perm, kmax = ids.shape
    if kmax == 0:
        sim0 = (self_w * y) / scaling
        return np.where(sim0 >= observed, n_perm, 0).astype(np.int64)
    base = self_w * y
    yp = np.append(y, 0.0)
    chunk = max(1, 8_000_000 // n)  # permutations per block: ~64 MB per (block, n) array
    for p0 in range(0, n_perm, chunk):
        d = ids[p0 : p0 + chunk]
        a_cum = np.cumsum(y[d], axis=1)  # (P, kmax): Σ_{m<k} y[d_m]
        diff = yp[d + 1] - y[d]
        hist = np.zeros((d.shape[0], n))
        rows = np.arange(d.shape[0])
        for k in range(1, kmax + 1):  # loop over neighbour counts, vectorised over sites
            np.add.at(hist, (rows, d[:, k - 1]), diff[:, k - 1])
            sites = np.flatnonzero(card == k)
            if sites.size == 0:
                continue
            suffix = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1]  # Σ_{j >= i}
            sums = a_cum[:, k - 1][:, None] + suffix[:, sites]
            sim = (row_w[sites] * sums + base[sites]) / scaling
            larger[sites] += (sim >= observed[sites]).sum(axis=0)
        islands = np.flatnonzero(card == 0)
        if islands.size:
            larger[islands] += np.where(base[islands] / scaling >= observed[islands], d.shape[0], 0)
    return larger


def _directed_p(larger: NDArray[np.int64], permutations: int) -> NDArray[np.float64]:
    folded = np.where(permutations - larger < larger, permutations - larger, larger)
    return (folded + 1.0) / (permutations + 1.0)


@dataclass(frozen=True, eq=False)
class GetisOrd:
    """Local Gi* per zone.

    Attributes
    ----------
    table
        One row per zone (index of the zones): ``gi`` (statistic), ``expected``,
        ``variance``, ``z``, ``p_norm`` (one-sided normal tail of ``|z|``, esda's
        ``p_norm``), ``p_two_sided`` (``2 · p_norm``), ``p_sim`` (conditional permutation
        p-value, esda's directed convention ``(larger + 1) / (permutations + 1)``; NaN
        without permutations), ``q`` (Benjamini-Hochberg on ``p_sim`` when permutations
        were run, else on ``p_two_sided``), ``cluster`` (``"hot"``, ``"cold"`` or ``""`` at
        ``alpha`` on ``q`` when ``fdr`` else on the uncorrected p-value).
    alpha, permutations, transform, fdr
        The settings used.
    """

    table: pd.DataFrame
    alpha: float
    permutations: int
    transform: str
    fdr: bool = field(default=True)

    @property
    def z(self) -> pd.Series:
        """Gi* z-scores."""
        return self.table["z"]

    @property
    def p_values(self) -> pd.Series:
        """The p-value the clusters were decided on (before FDR)."""
        return self.table["p_sim"] if self.permutations else self.table["p_two_sided"]

    def summary(self) -> str:
        """One line: zones, hot and cold spots."""
        c = self.table["cluster"].value_counts()
        corr = "FDR" if self.fdr else "uncorrected"
        return (
            f"Gi* over {len(self.table):,} zones ({self.transform} weights, "
            f"{self.permutations} permutations): {int(c.get('hot', 0)):,} hot, "
            f"{int(c.get('cold', 0)):,} cold at alpha={self.alpha} ({corr})"
        )

    def __repr__(self) -> str:
        return f"<GetisOrd {self.summary()}>"

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(self.summary())}</p>" + self.table.head(10).to_html()


def getis_ord(
    zones: gpd.GeoDataFrame,
    values: ArrayLike,
    *,
    weights: Weights = "queen",
    transform: Literal["B", "R"] = "B",
    permutations: int = 999,
    seed: int | np.random.Generator | None = 0,
    alpha: float = 0.05,
    fdr: bool = True,
) -> GetisOrd:
    """Local Getis-Ord Gi* hot and cold spots.

    Gi* (Getis & Ord 1992; Ord & Getis 1995) compares the sum of values in each zone and
    its neighbours with what the same number of zones would hold at random. Each zone is
    its own neighbour (self-weight 1). ``transform="B"`` (binary) is the Ord-Getis /
    ArcGIS form; ``"R"`` row-standardises like esda's default. Analytic inference: z-score
    with esda's moments. Permutation inference: conditional randomisation (the zone's own
    value fixed, neighbours drawn from the other zones without replacement), as
    ``esda.crand``: with the same draws, binary-weight p-values equal esda's exactly (row-
    standardised ones can differ on exact ties, where floating-point sums are ordered
    differently). A zone without neighbours keeps only its own value (Gi* = its share).

    Parameters
    ----------
    zones
        Units or cells (EPSG:4326 unless ``weights`` is a matrix).
    values
        One value per zone, in the zones' order (e.g. event counts).
    weights
        ``"queen"``, ``"rook"``, a distance band in geodesic km between equal-area
        centroids, or an n × n binary sparse matrix.
    transform
        ``"B"`` binary or ``"R"`` row-standardised.
    permutations
        Number of conditional permutations (0 for analytic only).
    seed
        Seed or generator for the permutations.
    alpha
        Significance level of the ``cluster`` column.
    fdr
        Decide clusters on Benjamini-Hochberg q-values (``True``) or raw p-values.

    Returns
    -------
    GetisOrd
        Per-zone table and settings; see :class:`GetisOrd`.

    Examples
    --------
    >>> from sahel_geo.analysis.grid import make_grid, PRIOGRID
    >>> cells = make_grid((0.0, 0.0, 2.0, 2.0), spec=PRIOGRID)
    >>> res = getis_ord(cells, np.arange(16.0), permutations=0)
    >>> round(float(res.table["z"].iloc[-1]), 2)
    2.43
    """
    y = np.asarray(values, dtype=float).ravel()
    if y.size != len(zones):
        raise SchemaError(f"values has {y.size} entries but there are {len(zones)} zones.")
    if np.isnan(y).any():
        raise SchemaError(
            f"values has NaN at positions {np.flatnonzero(np.isnan(y))[:10].tolist()}."
        )
    if transform not in ("B", "R"):
        raise SchemaError(f"transform must be 'B' or 'R', got {transform!r}.")
    if len(zones) < 2:
        raise SchemaError("Gi* needs at least 2 zones.")
    w = spatial_weights(zones, weights)
    islands = int((np.diff(w.indptr) == 0).sum())
    if islands:
        logger.info("getis_ord: %d zones without neighbours (only their own value counts)", islands)
    ws = _with_self(w, transform)
    g, e, v, z = gi_star_matrix(y, ws)
    if np.isnan(z).all():
        warnings.warn(
            "getis_ord: values are constant (or all zero): Gi* z-scores are undefined (NaN).",
            SahelGeoWarning,
            stacklevel=2,
        )
    p_norm = stats.norm.sf(np.abs(z))
    p_two = 2 * p_norm
    p_sim = np.full(y.size, np.nan)
    if permutations:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        kmax = int(np.diff(w.indptr).max())
        ids = np.empty((permutations, kmax), dtype=np.intp)
        for k in range(permutations):
            ids[k] = rng.choice(y.size - 1, size=kmax, replace=False)
        p_sim = _directed_p(_perm_larger(y, ws, g, ids), permutations)
    p_use = p_sim if permutations else p_two
    q = fdr_bh(p_use)
    decide = q if fdr else p_use
    sig = decide <= alpha
    cluster = np.where(sig & (z > 0), "hot", np.where(sig & (z < 0), "cold", ""))
    table = pd.DataFrame(
        {
            "gi": g,
            "expected": e,
            "variance": v,
            "z": z,
            "p_norm": p_norm,
            "p_two_sided": p_two,
            "p_sim": p_sim,
            "q": q,
            "cluster": cluster,
        },
        index=zones.index,
    )
    return GetisOrd(
        table=table, alpha=alpha, permutations=permutations, transform=transform, fdr=fdr
    )


def mann_kendall(x: ArrayLike) -> pd.DataFrame:
    """Mann-Kendall trend test of each row of ``x`` (locations × time), vectorised.

    ``S = Σ_{i<j} sign(x_j − x_i)``; variance with the tie correction
    ``[n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18``; ``z = (S − sign(S)) / √var``; two-sided
    normal p-value (Mann 1945; Kendall 1975). NaN values count as 0.

    Returns
    -------
    pandas.DataFrame
        ``s``, ``var_s``, ``z``, ``p``, ``tau`` (Kendall's tau-a ``S / (n(n−1)/2)``).

    Examples
    --------
    >>> mann_kendall([[1, 2, 3, 4, 5]])[["s", "tau"]].to_numpy().tolist()
    [[10.0, 1.0]]
    """
    a = np.nan_to_num(np.atleast_2d(np.asarray(x, dtype=float)))
    m, n = a.shape
    s = np.zeros(m)
    for i in range(n - 1):  # loop over time steps, vectorised over locations
        s += np.sign(a[:, i + 1 :] - a[:, i : i + 1]).sum(axis=1)
    srt = np.sort(a, axis=1)
    new_run = np.ones((m, n), dtype=bool)
    new_run[:, 1:] = srt[:, 1:] != srt[:, :-1]
    run_id = np.cumsum(new_run, axis=1) - 1
    flat = (np.arange(m)[:, None] * n + run_id).ravel()
    t = np.bincount(flat, minlength=m * n).reshape(m, n).astype(float)
    ties = (t * (t - 1) * (2 * t + 5)).sum(axis=1)
    var = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, (s - np.sign(s)) / np.sqrt(var), 0.0)
    p = 2 * stats.norm.sf(np.abs(z))
    tau = s / (n * (n - 1) / 2) if n > 1 else np.zeros(m)
    return pd.DataFrame({"s": s, "var_s": var, "z": z, "p": p, "tau": tau})


@dataclass(frozen=True, eq=False)
class EmergingHotSpots:
    """Result of :func:`emerging_hotspots`.

    Attributes
    ----------
    categories
        One row per location (index of the zones): ``category`` (one of
        :data:`EHSA_CATEGORIES`), ``n_hot``, ``n_cold`` (significant bins), ``share_hot``,
        ``share_cold``, ``mk_z``, ``mk_p``, ``mk_tau`` (Mann-Kendall on the Gi* z-scores),
        ``trend`` (``"up"``, ``"down"`` or ``"none"`` at ``alpha``).
    z
        Gi* z-scores, locations × time bins.
    significance
        +1 hot, -1 cold, 0 neither, locations × time bins.
    alpha, fdr
        The settings used.
    """

    categories: pd.DataFrame
    z: pd.DataFrame
    significance: pd.DataFrame
    alpha: float
    fdr: bool

    def summary(self) -> str:
        """Return the counts per category (non-empty ones)."""
        c = self.categories["category"].value_counts()
        parts = [f"{k}: {int(c[k]):,}" for k in EHSA_CATEGORIES if k in c.index]
        return f"{len(self.categories):,} locations × {self.z.shape[1]} bins; " + "; ".join(parts)

    def __repr__(self) -> str:
        return f"<EmergingHotSpots {self.summary()}>"

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(self.summary())}</p>" + self.categories.head(10).to_html()


def _classify(
    sig: NDArray[np.int8], trend: NDArray[np.int8], threshold: float
) -> NDArray[np.object_]:
    """Return the 17 categories from per-bin significance (+1/−1/0) and the MK trend sign."""
    m, t = sig.shape
    out = np.full(m, "no pattern detected", dtype=object)
    finals: list[tuple[NDArray[np.bool_], NDArray[np.object_]]] = []
    for sign, word in ((1, "hot"), (-1, "cold")):
        hot = sig == sign
        other = sig == -sign
        n_hot = hot.sum(axis=1)
        share = n_hot / t
        last = hot[:, -1]
        # length of the final run of `hot` bins
        not_hot_rev = ~hot[:, ::-1]
        run = np.where(not_hot_rev.any(axis=1), not_hot_rev.argmax(axis=1), t)
        before_run = n_hot - run  # hot bins before the final run
        other_before = other[:, :-1].any(axis=1)
        up = trend == sign  # intensifying: clustering of high values grows (cold: of low)
        down = trend == -sign
        mostly = share >= threshold
        cat = np.full(m, "", dtype=object)
        cat[last & mostly & up] = f"intensifying {word} spot"
        cat[last & mostly & down] = f"diminishing {word} spot"
        cat[last & mostly & ~up & ~down] = f"persistent {word} spot"
        rest = last & ~mostly
        cat[rest & (n_hot == 1)] = f"new {word} spot"
        cons = rest & (n_hot > 1) & (run >= 2) & (before_run == 0)
        cat[cons] = f"consecutive {word} spot"
        left = rest & (n_hot > 1) & ~cons
        cat[left & other_before] = f"oscillating {word} spot"
        cat[left & ~other_before] = f"sporadic {word} spot"
        hist = ~last & mostly
        out[hist & (out == "no pattern detected")] = f"historical {word} spot"
        finals.append((last, cat))
    # a spot significant in the final bin is classed by it, before any historical class
    for last, cat in finals:
        out[last] = cat[last]
    return out


def emerging_hotspots(
    zones: gpd.GeoDataFrame,
    values: pd.DataFrame | NDArray[np.float64],
    *,
    weights: Weights = "queen",
    alpha: float = 0.05,
    fdr: bool = True,
    threshold: float = 0.9,
    time_step: int = 0,
) -> EmergingHotSpots:
    """Emerging Hot Spot Analysis over a space-time series of counts.

    Follows ESRI's published method (ArcGIS Pro, "How Emerging Hot Spot Analysis works"):
    Gi* (binary weights, self included) for every location and time bin, each bin tested
    at ``alpha`` (two-sided; Benjamini-Hochberg within each bin when ``fdr``), a
    Mann-Kendall test of each location's series of Gi* z-scores, then the 17 categories:

    - *new*: significant in the final bin only;
    - *consecutive*: one uninterrupted run of at least two significant bins ending in the
      final bin, none before it, fewer than 90 % of bins significant;
    - *intensifying* / *diminishing* / *persistent*: significant in at least 90 % of bins
      including the final one, with a significant increasing / decreasing / no trend in
      clustering intensity;
    - *oscillating*: significant in the final bin, fewer than 90 %, and a significant
      spot of the opposite kind in some earlier bin;
    - *sporadic*: significant in the final bin, on and off before, fewer than 90 %, never of
      the opposite kind;
    - *historical*: not significant in the final bin but in at least 90 % of bins;
    - the same eight for cold spots, and *no pattern detected*.

    With ``time_step=0`` neighbourhoods are spatial only: each bin's Gi* is computed
    within that bin. With ``time_step=k >= 1`` (ArcGIS's "neighborhood time step", sfdep's
    ``k``) the space-time cube is one population: the neighbours of location ``i`` in bin
    ``t`` are its spatial neighbours (and itself) in bins ``t - k`` .. ``t``, and Gi* is
    computed over all locations × bins at once (mean and variance of the whole cube);
    early bins have fewer neighbours.

    Parameters
    ----------
    zones
        Locations (units or cells), EPSG:4326.
    values
        Locations × time bins (rows in the zones' order, columns in time order), e.g.
        ``aggregate(...).pivot(index="unit", columns="period", values="events")``.
    weights
        As :func:`getis_ord`.
    alpha
        Significance level for bins and the trend test.
    fdr
        Benjamini-Hochberg within each bin.
    threshold
        Share of bins that makes a spot persistent/intensifying/diminishing/historical.
    time_step
        Number of earlier bins in each neighbourhood (0: spatial only).

    Returns
    -------
    EmergingHotSpots
        Categories per location, z-scores and significance per bin.

    Examples
    --------
    >>> from sahel_geo.analysis.grid import make_grid, PRIOGRID
    >>> cells = make_grid((0.0, 0.0, 3.0, 3.0), spec=PRIOGRID)  # 6 x 6 cells
    >>> counts = np.ones((36, 10)); counts[[14, 15, 20, 21], -1] = 30
    >>> emerging_hotspots(cells, counts, fdr=False).categories["category"].iloc[14]
    'new hot spot'
    """
    arr = (
        values.to_numpy(dtype=float)
        if isinstance(values, pd.DataFrame)
        else np.asarray(values, dtype=float)
    )
    if arr.ndim != 2 or arr.shape[0] != len(zones):
        raise SchemaError(
            f"values must be locations × bins with {len(zones)} rows (the zones), "
            f"got shape {arr.shape}."
        )
    if arr.shape[1] < 2:
        raise SchemaError("emerging_hotspots needs at least 2 time bins.")
    n_bins = arr.shape[1]
    if isinstance(time_step, bool) or not isinstance(time_step, int) or not 0 <= time_step < n_bins:
        raise SchemaError(
            f"time_step must be a whole number from 0 to {n_bins - 1} (bins - 1); "
            f"got {time_step!r}."
        )
    w = spatial_weights(zones, weights)
    ws = _with_self(w, "B")
    if time_step == 0:
        _, _, _, z = gi_star_matrix(arr, ws)
    else:
        _, _, _, z_cube = gi_star_matrix(arr.T.ravel(), space_time_weights(ws, n_bins, time_step))
        z = z_cube.reshape(n_bins, -1).T
    p = 2 * stats.norm.sf(np.abs(z))
    p = np.where(np.isnan(z), 1.0, p)
    if fdr:
        p = np.column_stack([fdr_bh(p[:, k]) for k in range(p.shape[1])])  # loop over bins
    zz = np.nan_to_num(z)
    sig = np.where(p <= alpha, np.sign(zz), 0).astype(np.int8)
    mk = mann_kendall(zz)
    trend = np.where(mk["p"].to_numpy() <= alpha, np.sign(mk["s"].to_numpy()), 0).astype(np.int8)
    cats = _classify(sig, trend, threshold)
    cols = values.columns if isinstance(values, pd.DataFrame) else pd.RangeIndex(n_bins)
    table = pd.DataFrame(
        {
            "category": cats,
            "n_hot": (sig == 1).sum(axis=1),
            "n_cold": (sig == -1).sum(axis=1),
            "share_hot": (sig == 1).mean(axis=1),
            "share_cold": (sig == -1).mean(axis=1),
            "mk_z": mk["z"].to_numpy(),
            "mk_p": mk["p"].to_numpy(),
            "mk_tau": mk["tau"].to_numpy(),
            "trend": np.select([trend > 0, trend < 0], ["up", "down"], "none"),
        },
        index=zones.index,
    )
    return EmergingHotSpots(
        categories=table,
        z=pd.DataFrame(z, index=zones.index, columns=cols),
        significance=pd.DataFrame(sig, index=zones.index, columns=cols),
        alpha=alpha,
        fdr=fdr,
    )
