"""The admin join's two ends: the boundaries and events checked, the output columns built.

Private helper of :mod:`sahel_geo.analysis.join` (the rules and how they are found are
there): :func:`check_boundaries` refuses unusable boundaries, :func:`coarse_mask` tells
which events are located only to a coarser level, :func:`new_columns` builds the
``adm{L}_`` columns as categoricals from each event's unit (no per-event string work)
and :func:`drop_coarse` moves coarse events to the rejects when asked.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from sahel_geo.core.arrays import take_blocks
from sahel_geo.core.errors import SchemaError
from sahel_geo.core.schema import LOCATION_LEVEL_RANK

__all__ = ["MATCH_TYPES", "check_boundaries", "coarse_mask", "drop_coarse", "new_columns"]


#: The values of the ``adm{L}_match`` column, in the order of the rules (see
#: :mod:`sahel_geo.analysis.join`).
MATCH_TYPES: tuple[str, ...] = (
    "inside",
    "border",
    "overlap",
    "snapped",
    "unassigned",
    "coarsened",
)


def check_boundaries(boundaries: gpd.GeoDataFrame) -> int:
    """Return the boundaries' one admin level; raise naming every problem found."""
    problems = []
    missing = [c for c in ("pcode", "name", "admin_level") if c not in boundaries.columns]
    if missing:
        problems.append(
            f"missing column(s) {missing} (found: {list(boundaries.columns)}); read the file "
            "with sahel_geo.read_boundaries() to map it onto the canonical schema"
        )
        raise SchemaError("Boundaries: " + "; ".join(problems) + ".")
    if boundaries.empty:
        raise SchemaError("Boundaries: the table is empty; there is nothing to assign to.")
    levels = pd.unique(boundaries["admin_level"])
    if len(levels) != 1:
        problems.append(
            f"several admin levels {sorted(int(v) for v in levels)}; pass one level at a time, "
            "e.g. boundaries[boundaries.admin_level == 1]"
        )
    pcodes = boundaries["pcode"]
    if pcodes.isna().any():
        rows = np.flatnonzero(pcodes.isna().to_numpy())[:10].tolist()
        problems.append(f"null pcode in row(s) {rows}")
    dup = pcodes[pcodes.duplicated(keep=False) & pcodes.notna()]
    if not dup.empty:
        problems.append(f"duplicate pcode(s) {sorted(set(dup.astype(str)))[:10]}")
    geoms = boundaries.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    bad = np.flatnonzero(~np.isin(kinds, (3, 6)) | shapely.is_empty(geoms))
    if bad.size:
        problems.append(
            f"row(s) {bad[:10].tolist()} are not (non-empty) Polygon/MultiPolygon geometries"
        )
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if invalid.size:
        problems.append(
            f"row(s) {invalid[:10].tolist()} have invalid geometries; repair them with "
            "sahel_geo.read_boundaries() or 'boundaries.make_valid()'"
        )
    if problems:
        raise SchemaError("Boundaries: " + "; ".join(problems) + ".")
    return int(levels[0])


def _categories(values: NDArray[np.object_]) -> tuple[pd.Index, NDArray[np.intp]]:
    """Return the unique non-null values (sorted) and the code of each value (-1: null)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), sort=True)
    # inferred: text categories as pandas' str dtype, as Parquet reads them back
    return pd.Index(uniques.to_numpy()), codes.astype(np.intp)


def _codes_of_units(code_of_unit: NDArray[np.intp], unit: NDArray[np.int32]) -> NDArray[Any]:
    """Categorical codes per event from each unit's code (-1 for no unit), compact dtype."""
    top = int(code_of_unit.max(initial=0))
    dtype = np.int8 if top < 127 else np.int16 if top < 32_767 else np.int32
    table = np.append(code_of_unit, -1).astype(dtype)  # unit -1 picks the -1
    return take_blocks(table, unit)  # blocks: no full-size index temporary


def coarse_mask(events: gpd.GeoDataFrame, level: int) -> NDArray[np.bool_]:
    """Return which events' location is known only to a level coarser than ``level``."""
    if "location_level" not in events.columns:
        return np.zeros(len(events), dtype=bool)
    codes, uniques = pd.factorize(events["location_level"])
    unknown = [v for v in uniques if v not in LOCATION_LEVEL_RANK]
    if unknown:
        raise SchemaError(
            f"events column 'location_level' has unknown value(s) {unknown[:5]}; "
            f"expected one of {list(LOCATION_LEVEL_RANK)} or null."
        )
    rank_of = np.array([LOCATION_LEVEL_RANK.get(v, 99) for v in uniques] + [99])
    rank = rank_of[codes]  # code -1 (null) takes the last entry: a point
    return np.asarray(rank < level)


def new_columns(
    boundaries: gpd.GeoDataFrame,
    pcodes: NDArray[np.str_],
    unit: NDArray[np.int32],
    match: NDArray[np.int8],
    is_coarse: NDArray[np.bool_],
    *,
    coarsen: bool,
) -> tuple[dict[str, Any], int]:
    """Return the pcode, name, parent_pcode and match columns, and the coarsened count.

    Categorical columns built from codes: no per-event string work, little memory. With
    ``coarsen``, coarse events lose their pcode and name (``match`` is updated in place).
    """
    parent = (
        boundaries["parent_pcode"].astype(object).to_numpy()
        if "parent_pcode" in boundaries.columns
        else np.full(len(pcodes), None, dtype=object)
    )
    names = boundaries["name"].astype(object).to_numpy()
    pcode_codes = unit.copy() if coarsen else unit
    name_cats, name_of_unit = _categories(names)
    parent_cats, parent_of_unit = _categories(parent)
    name_codes = _codes_of_units(name_of_unit, unit)
    parent_codes = _codes_of_units(parent_of_unit, unit)
    n_coarsened = 0
    if coarsen:
        to_parent = is_coarse & (unit >= 0)
        pcode_codes[to_parent] = -1
        name_codes[to_parent] = -1
        match[to_parent] = MATCH_TYPES.index("coarsened")
        n_coarsened = int(to_parent.sum())
    columns = {
        "pcode": pd.Categorical.from_codes(pcode_codes, categories=pd.Index(pcodes)),
        "name": pd.Categorical.from_codes(name_codes, categories=name_cats),
        "parent_pcode": pd.Categorical.from_codes(parent_codes, categories=parent_cats),
        "match": pd.Categorical.from_codes(match, categories=pd.Index(MATCH_TYPES)),
    }
    return columns, n_coarsened


def drop_coarse(
    out: gpd.GeoDataFrame, is_coarse: NDArray[np.bool_], level: int
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Remove the coarse events; return the rest and the rejects listing them."""
    dropped = out.loc[is_coarse]
    reasons = (
        "location known only to "
        + dropped["location_level"].astype(str)
        + f" level, coarser than admin {level}; dropped as asked (coarse='drop')"
    )
    rejected = pd.concat(
        [
            pd.DataFrame(
                {"row": dropped.index, "reason": reasons.to_numpy(), "column": "location_level"}
            ),
            pd.DataFrame(dropped.drop(columns=dropped.geometry.name)).reset_index(drop=True),
        ],
        axis=1,
    )
    return out.loc[~is_coarse], rejected
