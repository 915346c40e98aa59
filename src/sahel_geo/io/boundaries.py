"""Read admin boundaries from any vector file into the canonical boundaries schema.

Sources recognised by their columns (``source="auto"``), in this order:

==============  =====================================================================
``sahel_geo``   already canonical: ``admin_level``, ``pcode``, ``name`` (the bundled files,
                a previous export)
``cod-ab``      OCHA COD-AB: ``ADM{n}_PCODE`` with ``ADM{n}_FR``/``_EN``/``_PT``/``_REF``,
                ``ADM0_PCODE``; the newer lower-case ``adm{n}_pcode``/``adm{n}_name``; the
                older ``admin{n}Pcode``/``admin{n}Name_fr`` (``admin1Pcod`` in a .dbf).
                Level: the highest ``n`` present. Parent: ``ADM{n-1}_PCODE``. Name: French
                first, then English, plain name, Portuguese, reference name.
``geoboundaries`` ``shapeName``, ``shapeID``, ``shapeISO``, ``shapeGroup`` (ISO3),
                ``shapeType`` (``ADM1``...). pcode: ``shapeID``; no parent.
``gadm``        ``GID_{n}``, ``NAME_{n}``, ``GID_0``. Parent: ``GID_{n-1}``.
``naturalearth`` admin-1 (``adm1_code``, ``name``, ``iso_3166_2``, ``adm0_a3``) or admin-0
                (``ADM0_A3``/``ISO_A3``, ``NAME``, any case). Admin-1 pcodes are ISO
                3166-2 codes, as in the bundled files (:func:`ne_admin1_pcodes`). NE's
                "admin-1" of Burkina Faso is its 45 provinces: pass ``level=2`` (parent
                left empty).
``world-atlas`` TopoJSON from the npm ``world-atlas`` package: ``id`` (ISO 3166-1
                numeric) and ``name`` only; level 0, pcode ISO3
==============  =====================================================================

Any other file is read with ``columns={"pcode": ..., "name": ..., "parent_pcode": ...,
"country_iso3": ...}`` (``pcode`` and ``name`` required) and ``level=``.

Rows are never dropped silently: missing, empty, non-finite or non-polygonal
geometries, missing and duplicate pcodes go to the rejects of a
:class:`~sahel_geo.StepReport` attached to the result; repaired invalid geometries,
GeometryCollections reduced to their polygons (``geometrycollection_to_polygons``),
unclosed rings, reprojection, numeric P-codes and encoding fixes are counted in its
notes. A file that leaves no unit raises :class:`~sahel_geo.EmptyResultError` naming
every reason and its rows.

Coordinates written ``[lat, lon]`` are an error, not a repair: when most units checked
lie outside their country's bounding box (``COUNTRY_BBOX``; the country from
``country_iso3`` or the P-code's ISO prefix) but inside it with x and y swapped, or lie
beyond latitude ±90 but in range swapped, :class:`~sahel_geo.CRSError` says how to swap
them (a silent swap would hide a broken export); a single such unit among correct ones
is rejected. A CRS that contradicts the coordinates (a projected CRS, e.g. a legacy
GeoJSON ``crs`` member ``EPSG:3857``, over degrees; a geographic CRS over metres) raises
naming both.

This module holds :func:`read_boundaries` and its row checks (P-codes, rejects table);
private modules beside it hold the steps: reading files, archives, layers and encodings
(``_boundary_files``), the CRS (``_boundary_crs``), attribute text (``_boundary_text``),
the sources' columns (``_boundary_sources``) and geometry repair and the ``[lat, lon]``
check (``_boundary_geometry``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from sahel_geo.core.errors import EmptyResultError, InputFileError, SchemaError
from sahel_geo.core.reports import StepReport, attach_report
from sahel_geo.core.schema import BOUNDARY_COLUMNS, WGS84
from sahel_geo.io._boundary_crs import reproject
from sahel_geo.io._boundary_files import load
from sahel_geo.io._boundary_geometry import Rejected, check_axes, repair_geometries, rows_text
from sahel_geo.io._boundary_sources import (
    BOUNDARY_SOURCES,
    NE_ISO_3166_2,
    Mapped,
    map_source,
    ne_admin1_pcodes,
)
from sahel_geo.io._boundary_text import clean_text, repair_mojibake, restore_shapefile_names

__all__ = ["BOUNDARY_SOURCES", "NE_ISO_3166_2", "ne_admin1_pcodes", "read_boundaries"]

logger = logging.getLogger(__name__)


def read_boundaries(
    path: str | os.PathLike[str] | gpd.GeoDataFrame,
    *,
    source: str = "auto",
    level: int | None = None,
    columns: Mapping[str, str] | None = None,
    layer: str | None = None,
    crs: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read admin boundaries from a file (or a GeoDataFrame) into the canonical schema.

    Parameters
    ----------
    path
        A vector file GDAL reads (GeoJSON, GeoPackage, Shapefile, a .zip of one...), a
        TopoJSON file, or an in-memory GeoDataFrame (e.g. after ``set_crs``).
    source
        ``"auto"`` (detect from the columns and log the choice), ``"sahel_geo"``,
        ``"cod-ab"``, ``"geoboundaries"``, ``"gadm"``, ``"naturalearth"``,
        ``"world-atlas"`` or ``"custom"`` (with ``columns``).
    level
        Admin level to read (COD-AB and GADM files hold several: default the finest);
        required with ``columns``.
    columns
        Mapping of canonical names to the file's columns, for any other file:
        ``{"pcode": ..., "name": ...}`` plus optionally ``"parent_pcode"`` and
        ``"country_iso3"`` (ISO3, ISO2, numeric codes or country names).
    layer
        Layer of a multi-layer file (GeoPackage) or object of a TopoJSON topology.
    crs
        CRS of the coordinates when the file has none (a shapefile without ``.prj``, a
        CSV with a WKT column): ``4326`` for longitude/latitude. A file with a CRS keeps
        it (passing a different one raises). Anything not in EPSG:4326 is reprojected,
        and the report notes it.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326; ``admin_level``, ``pcode``, ``name``, ``parent_pcode``,
        ``country_iso3``, ``source`` first, then the file's other columns; valid
        Polygon/MultiPolygon geometries; file order. A StepReport is attached (see
        :func:`sahel_geo.reports` and :func:`sahel_geo.rejects`).

    Raises
    ------
    InputFileError
        ``path`` is not a path or a GeoDataFrame; a missing, empty, unreadable or
        geometry-less file, a folder, a shapefile without its .dbf, a broken TopoJSON.
    MissingCRSError
        The file has no CRS and ``crs`` was not given.
    CRSMismatchError
        ``crs`` disagrees with the file's own CRS, or a projected CRS labels degrees.
    CRSError
        Coordinates look like ``[lat, lon]``, are not degrees under a geographic CRS,
        or ``crs`` is not a CRS.
    SchemaError
        The columns match no known source (the message lists what each needs), or a
        mapping or level is wrong.
    EmptyResultError
        Every row was rejected (the message names the reasons, rows and the fix).

    Examples
    --------
    >>> import sahel_geo as sg
    >>> from sahel_geo.io.datasets import bundled_boundaries_path
    >>> adm1 = sg.read_boundaries(bundled_boundaries_path(1))
    >>> adm1[["pcode", "name"]].head(2).values.tolist()
    [['BF-01', 'Boucle du Mouhoun'], ['BF-02', 'Cascades']]
    """
    _check_source_and_level(source, level)
    notes: dict[str, int] = {}
    loaded = load(path, layer, notes)
    origin = loaded.origin
    if len(loaded.gdf) == 0:
        raise InputFileError(f"{origin} holds no features.")
    raw, crs_name = reproject(loaded, crs, notes)
    raw = raw.reset_index(drop=True)
    attrs = pd.DataFrame(raw.drop(columns=raw.geometry.name))
    attrs = restore_shapefile_names(repair_mojibake(attrs, notes), notes)
    mapped = map_source(attrs, source, level, columns, origin, notes)
    n = len(raw)
    rejected = Rejected.for_rows(n)
    fixed = repair_geometries(raw, rejected, notes)
    check_axes(fixed, mapped, rejected, loaded, crs_name)
    _reject_bad_pcodes(mapped, rejected)
    keep = rejected.ok()
    no_name = keep & mapped.name.isna().to_numpy()
    if no_name.any():
        notes["missing name"] = int(no_name.sum())
    out = _kept_units(_canonical(mapped, attrs), attrs, fixed, keep)
    report = StepReport(
        step="read_boundaries",
        source=origin,
        n_in=n,
        n_kept=int(keep.sum()),
        rejects=_rejects_table(attrs, rejected, keep),
        notes=notes,
    )
    _fail_when_nothing_kept(report)
    attach_report(out, report)
    logger.info("%s", report.summary())
    return out


def _check_source_and_level(source: str, level: int | None) -> None:
    """Raise on an unknown source or a level that is not an integer >= 0."""
    if source not in BOUNDARY_SOURCES:
        raise SchemaError(f"Unknown source {source!r}; use one of {list(BOUNDARY_SOURCES)}.")
    if level is not None and (isinstance(level, bool) or not isinstance(level, int) or level < 0):
        raise SchemaError(f"level must be an integer >= 0 (0 country, 1 region...); got {level!r}.")


def _reject_bad_pcodes(mapped: Mapped, rejected: Rejected) -> None:
    """Reject rows without a P-code, and repeats of a (level, P-code) naming the first row."""
    pcode_col = mapped.used[0] if mapped.used else "pcode"
    pcode = mapped.pcode.to_numpy(dtype=object)
    rejected.reject(rejected.ok() & pd.isna(pcode), "missing pcode", pcode_col)
    ok = rejected.ok()
    key = pd.Series(
        [f"{lv}\x00{pc}" for lv, pc in zip(mapped.level.tolist(), pcode.tolist(), strict=True)]
    )
    key_ok = key.where(ok)
    dup = ok & key_ok.duplicated(keep="first").to_numpy()
    if dup.any():
        first = {k: i + 1 for i, k in reversed(list(enumerate(key_ok.tolist()))) if ok[i]}
        for i in np.flatnonzero(dup).tolist():
            rejected.reason[i] = (
                f"duplicate pcode {pcode[i]} (first at row {first[key_ok.iloc[i]]})"
            )
            rejected.column[i] = pcode_col


def _canonical(mapped: Mapped, attrs: pd.DataFrame) -> pd.DataFrame:
    """Return the canonical columns of every row."""
    canon = pd.DataFrame(
        {
            "admin_level": mapped.level.to_numpy(dtype="int64"),
            "pcode": mapped.pcode.to_numpy(dtype=object),
            "name": mapped.name.to_numpy(dtype=object),
            "parent_pcode": mapped.parent.to_numpy(dtype=object),
            "country_iso3": mapped.country.to_numpy(dtype=object),
            "source": mapped.source,
        }
    )
    if mapped.source == "sahel_geo" and "source" in attrs.columns:
        # an already canonical file keeps the source it names (e.g. "naturalearth")
        named = clean_text(attrs["source"]).to_numpy(dtype=object)
        canon["source"] = np.where(pd.isna(named), "sahel_geo", named)
    return canon


def _kept_units(
    canon: pd.DataFrame, attrs: pd.DataFrame, fixed: np.ndarray, keep: np.ndarray
) -> gpd.GeoDataFrame:
    """Return the kept rows: canonical columns, the file's others, repaired geometries."""
    extra = [c for c in attrs.columns if c not in BOUNDARY_COLUMNS]
    kept = pd.concat([canon.loc[keep], attrs.loc[keep, extra]], axis=1).reset_index(drop=True)
    for col in ("pcode", "name", "parent_pcode", "country_iso3", "source"):
        kept[col] = kept[col].astype("str").where(kept[col].notna(), None)
    return gpd.GeoDataFrame(kept, geometry=list(fixed[keep]), crs=WGS84)


def _rejects_table(attrs: pd.DataFrame, rejected: Rejected, keep: np.ndarray) -> pd.DataFrame:
    """Row number, reason and column of every rejected row, then its attributes as text."""
    rej_mask = ~keep
    rows = np.arange(1, len(attrs) + 1)
    rej_attrs = attrs.loc[rej_mask].astype("string")
    rej_attrs = rej_attrs.rename(
        columns={c: f"src_{c}" for c in rej_attrs.columns if c in {"row", "reason", "column"}}
    )
    head = pd.DataFrame(
        {
            "row": rows[rej_mask],
            "reason": pd.array(rejected.reason[rej_mask].astype(str), dtype="str"),
            "column": pd.array(rejected.column[rej_mask].astype(str), dtype="str"),
        },
        index=rej_attrs.index,
    )
    return pd.concat([head, rej_attrs], axis=1).reset_index(drop=True)


_HINTS: Final = (
    (
        ("not a polygon (LineString)", "not a polygon (LinearRing)", "not a polygon (MultiLine"),
        "The file holds lines (boundary lines?), not areas: read the boundaries' polygon "
        "layer, or build polygons with shapely.polygonize.",
    ),
    (
        ("not a polygon (Point)", "not a polygon (MultiPoint)"),
        "The file holds points (unit centroids?), not areas: read the polygon boundaries.",
    ),
    (
        ("missing geometry", "empty geometry"),
        "The features have no geometry: re-export the file with its polygons.",
    ),
    (("missing pcode",), "The pcode column is empty: check columns= and level=."),
)


def _fail_when_nothing_kept(report: StepReport) -> None:
    """Raise EmptyResultError naming every reason (and its rows) when no unit is left."""
    if report.n_kept or not report.n_in:
        return
    table = report.rejects
    parts = []
    for reason, rows in table.groupby("reason", sort=False)["row"]:
        parts.append(f"{reason} ({rows_text(rows.to_numpy())})")
    hints = [hint for keys, hint in _HINTS if table["reason"].str.startswith(keys).any()]
    raise EmptyResultError(
        f"{report.source}: no unit left: all {report.n_in} rows were rejected: "
        + "; ".join(parts)
        + ". "
        + (" ".join(hints) if hints else "Fix the rows named above.")
    )
