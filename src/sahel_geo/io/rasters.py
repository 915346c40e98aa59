"""Open rasters: GeoTIFF/COG, NetCDF, Zarr, and time stacks (NetCDF/Zarr time or dated GeoTIFFs).

Every reader checks the CRS (missing: an error saying how to set it; different from the
zones: :class:`~sahel_geo.CRSMismatchError` naming both), reads the nodata value, and, when
given the zones, reads only the window that covers them.

With ``chunks=`` a NetCDF file, a Zarr store or a folder of dated GeoTIFFs opens lazily:
the :class:`~sahel_geo.Raster` holds a dask array (the ``dask`` extra) and nothing is read
until a computation needs it (zonal statistics then read one time block at a time).
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from numpy.typing import NDArray
from pyproj import CRS

from sahel_geo.core.compat import import_optional_dependency
from sahel_geo.core.errors import InputFileError, MissingCRSError, NodataWarning, SchemaError
from sahel_geo.core.progress import progress
from sahel_geo.core.raster import Raster, check_crs, normalise_nodata

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "DATE_PATTERNS",
    "Chunks",
    "Raster",
    "RasterLike",
    "as_raster",
    "open_raster",
    "parse_file_date",
    "warn_fill_values",
]

logger = logging.getLogger(__name__)

#: File-name date patterns tried in order (named groups year, month, day or dekad).
#: CHIRPS monthly ``chirps-v2.0.2022.03.tif``, dekadal ``chirps-v2.0.2022.03.2.tif``,
#: daily ``chirps-v2.0.2022.03.17.tif``, and ``20220317``/``2022-03-17``/``2022_03`` forms.
DATE_PATTERNS: tuple[str, ...] = (
    r"(?<!\d)(?P<year>(?:19|20)\d\d)[._-](?P<month>0[1-9]|1[0-2])[._-](?P<day>0[1-9]|[12]\d|3[01])(?!\d)",
    r"(?<!\d)(?P<year>(?:19|20)\d\d)[._-](?P<month>0[1-9]|1[0-2])[._-](?P<dekad>[123])(?!\d)",
    r"(?<!\d)(?P<year>(?:19|20)\d\d)(?P<month>0[1-9]|1[0-2])(?P<day>0[1-9]|[12]\d|3[01])(?!\d)",
    r"(?<!\d)(?P<year>(?:19|20)\d\d)[._-](?P<month>0[1-9]|1[0-2])(?!\d)",
)

_TIF = {".tif", ".tiff", ".gtiff", ".cog"}
_NC = {".nc", ".nc4", ".netcdf", ".cdf"}
_ZARR = {".zarr"}

#: ``chunks=`` of :func:`open_raster`: as xarray takes it (an int, ``"auto"``, ``{}`` for
#: the file's own chunks, or sizes by dimension such as ``{"time": 365}``), or None
#: to read into memory.
Chunks = int | str | dict[str, int] | None


_LAT = ("lat", "latitude", "y")
_LON = ("lon", "longitude", "x")
_TIME = ("time", "t", "date")


def parse_file_date(name: str, *, pattern: str | None = None) -> pd.Timestamp:
    """Return the date in a file name (the start of its month or dekad).

    Parameters
    ----------
    name
        File name, e.g. ``"chirps-v2.0.2022.03.tif"``.
    pattern
        A regular expression with named groups ``year``, ``month`` and optionally
        ``day`` or ``dekad`` (1-3); default: :data:`DATE_PATTERNS` in turn.

    Returns
    -------
    pandas.Timestamp
        The date; a dekad gives day 1, 11 or 21.

    Raises
    ------
    InputFileError
        No date found.

    Examples
    --------
    >>> parse_file_date("chirps-v2.0.2022.03.tif")
    Timestamp('2022-03-01 00:00:00')
    >>> parse_file_date("chirps-v2.0.2022.03.2.tif")
    Timestamp('2022-03-11 00:00:00')
    """
    stem = Path(name).name
    for pat in (pattern,) if pattern else DATE_PATTERNS:
        m = re.search(pat, stem)
        if m:
            g = m.groupdict()
            day = 1
            if g.get("day"):
                day = int(g["day"])
            elif g.get("dekad"):
                day = 1 + 10 * (int(g["dekad"]) - 1)
            try:
                return pd.Timestamp(int(g["year"]), int(g["month"]), day)
            except (ValueError, KeyError) as exc:
                raise InputFileError(f"{name!r}: bad date {m.group(0)!r}: {exc}.") from exc
    raise InputFileError(
        f"Cannot read a date from the file name {stem!r}. Name files like "
        "'chirps-v2.0.2022.03.tif' (year.month), '...2022.03.2.tif' (dekad) or "
        "'...20220317.tif', or pass date_pattern= with named groups year, month and "
        "day or dekad."
    )


def _bounds_of(zones: gpd.GeoDataFrame | None) -> tuple[float, float, float, float] | None:
    if zones is None:
        return None
    b = zones.total_bounds
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def _open_tif(
    path: Path,
    *,
    band: int,
    crs: CRS | None,
    zones: gpd.GeoDataFrame | None,
    nodata: float | None = None,
) -> Raster:
    import rasterio
    from rasterio.errors import RasterioIOError
    from rasterio.windows import Window

    try:
        with rasterio.open(path) as src:
            file_crs = CRS.from_wkt(src.crs.to_wkt()) if src.crs else None
            if band < 1 or band > src.count:
                raise InputFileError(f"{path}: band {band} requested; the file has {src.count}.")
            full = Raster(
                values=np.empty((0, 0)),
                transform=src.transform,
                crs=crs or file_crs,
                nodata=src.nodatavals[band - 1] if nodata is None else nodata,
                source=str(path),
            )
            full = _check(full, path, zones, crs_given=crs is not None, shape=src.shape)
            r0, r1, c0, c1 = _window(full, zones, src.shape)
            win = Window(c0, r0, c1 - c0, r1 - r0)
            return _read_band(src, path, band=band, win=win, crs=full.crs, nodata=full.nodata)
    except RasterioIOError as exc:
        raise InputFileError(
            f"Cannot read raster {path}: {exc}. Check that the file exists and is a complete "
            "GeoTIFF (a partial download is a common cause)."
        ) from exc


def _read_band(
    src: Any, path: Path, *, band: int, win: Any, crs: CRS | None, nodata: float | None
) -> Raster:
    """Read one band's window of an open GeoTIFF, scaled and masked (see :func:`_scaled`)."""
    values = src.read(band, window=win)
    transform = src.window_transform(win)
    masked = _dataset_mask(src, band, win)
    scale, offset = float(src.scales[band - 1]), float(src.offsets[band - 1])
    raw = Raster.from_array(values, transform=transform, crs=crs, nodata=nodata, source=str(path))
    return _scaled(raw, masked, scale=scale, offset=offset, name=path.stem)


def _dataset_mask(src: Any, band: int, win: Any) -> NDArray[np.bool_] | None:
    """Cells a GDAL mask band or alpha band marks invalid (None when there is none)."""
    from rasterio.enums import MaskFlags

    flags = src.mask_flag_enums[band - 1]
    if MaskFlags.per_dataset not in flags and MaskFlags.alpha not in flags:
        return None  # no mask, or one derived from nodata (handled by the nodata value)
    invalid: NDArray[np.bool_] = src.read_masks(band, window=win) == 0
    return invalid if invalid.any() else None


def _scaled(
    raw: Raster, masked: NDArray[np.bool_] | None, *, scale: float, offset: float, name: str
) -> Raster:
    """Apply a GeoTIFF's scale and offset and its mask band; invalid cells become NaN.

    Without either the raw values are returned unchanged (no copy). Otherwise the values
    become float64 ``raw * scale + offset`` with NaN on nodata and masked cells.
    """
    if scale == 1.0 and offset == 0.0 and masked is None:
        return replace(raw, name=name)
    invalid = ~raw.valid_mask()
    if masked is not None:
        invalid |= masked
    values = raw.values.astype(np.float64)
    if scale != 1.0 or offset != 0.0:
        values = values * scale + offset
        logger.info("%s: applied scale %g and offset %g", raw.source, scale, offset)
    values[invalid] = np.nan
    return Raster.from_array(
        values, transform=raw.transform, crs=raw.crs, nodata=None, name=name, source=raw.source
    )


def _check(
    r: Raster,
    path: Path,
    zones: gpd.GeoDataFrame | None,
    *,
    crs_given: bool,
    shape: tuple[int, int],
) -> Raster:
    if r.crs is None:
        raise MissingCRSError(
            f"Raster {path} has no CRS. Pass crs= to open_raster (e.g. crs='EPSG:4326' for "
            "longitude/latitude grids) or fix the file with 'gdal_edit.py -a_srs EPSG:4326'."
        )
    if zones is not None:
        check_crs(
            zones.crs,
            Raster(values=np.empty(shape), transform=r.transform, crs=r.crs, source=str(path)),
        )
    return r


def _window(
    r: Raster, zones: gpd.GeoDataFrame | None, shape: tuple[int, int]
) -> tuple[int, int, int, int]:
    if zones is None:
        return 0, shape[0], 0, shape[1]
    probe = Raster(values=np.empty(shape), transform=r.transform, crs=r.crs, source=r.source)
    bounds = _bounds_of(zones)
    assert bounds is not None
    r0, r1, c0, c1 = probe.window_for(bounds)
    if r1 <= r0 or c1 <= c0:
        raise InputFileError(
            f"The zones (bounds {tuple(round(v, 4) for v in bounds)}) do not overlap raster "
            f"{r.source} (bounds {tuple(round(v, 4) for v in probe.bounds)})."
        )
    return r0, r1, c0, c1


def _coord(ds_dims: list[str], names: tuple[str, ...]) -> str | None:
    for d in ds_dims:
        if d.lower() in names:
            return d
    return None


def _open_nc(
    path: Path,
    *,
    variable: str | None,
    crs: CRS | None,
    zones: gpd.GeoDataFrame | None,
    stack: bool | None,
    chunks: Chunks = None,
) -> Raster:
    """Open a NetCDF variable (one grid or a time stack) as a Raster, cropped to the zones.

    With ``chunks`` the values stay a lazy dask array (xarray's chunks of the file).
    """
    import xarray as xr

    if chunks is not None:
        import_optional_dependency("dask.array", purpose="open_raster(..., chunks=...)")
    try:
        ds = xr.open_dataset(path, engine="netcdf4", decode_times=True, chunks=chunks)
    except (OSError, ValueError) as exc:
        raise InputFileError(
            f"Cannot read NetCDF {path}: {exc}. Check that it is a complete NetCDF file."
        ) from exc
    with ds:  # a lazy array reopens the file when it is computed (xarray's file manager)
        return _dataset_raster(ds, path, variable=variable, crs=crs, zones=zones, stack=stack)


def _open_zarr(
    path: Path,
    *,
    variable: str | None,
    crs: CRS | None,
    zones: gpd.GeoDataFrame | None,
    stack: bool | None,
    chunks: Chunks = None,
) -> Raster:
    """Open a variable of a Zarr store (a ``.zarr`` folder) as a Raster, like NetCDF."""
    import xarray as xr

    import_optional_dependency("zarr", purpose=f"Reading the Zarr store {path}")
    if chunks is not None:
        import_optional_dependency("dask.array", purpose="open_raster(..., chunks=...)")
    try:
        ds = xr.open_zarr(path, chunks=cast(Any, chunks), decode_times=True)
    except (OSError, ValueError, KeyError) as exc:
        raise InputFileError(
            f"Cannot read Zarr store {path}: {exc}. Check that it is a complete Zarr store "
            "(a folder with .zarray/.zgroup or zarr.json metadata)."
        ) from exc
    with ds:
        return _dataset_raster(ds, path, variable=variable, crs=crs, zones=zones, stack=stack)


def _dataset_raster(
    ds: xr.Dataset,
    path: Path,
    *,
    variable: str | None,
    crs: CRS | None,
    zones: gpd.GeoDataFrame | None,
    stack: bool | None,
) -> Raster:
    """Return a variable of an open dataset as a Raster, cropped to the zones (lazy if dask)."""
    variable = _nc_variable(ds, path, variable)
    da = ds[variable]
    ydim, xdim, tdim = _nc_dims(da, path, variable, stack=stack)
    file_crs = _nc_crs(ds, da, xdim, ydim)
    xs, ys, dx, dy = _nc_grid(ds, path, xdim, ydim)
    transform = Affine(dx, 0, xs[0] - dx / 2, 0, dy, ys[0] - dy / 2)
    head = Raster(
        values=np.empty((0, 0)), transform=transform, crs=crs or file_crs, source=str(path)
    )
    da = da.transpose(*([tdim] if tdim else []), ydim, xdim)
    shape = (len(ys), len(xs))
    _check(head, path, zones, crs_given=crs is not None, shape=shape)
    # Window in north-up rows, then mapped to the file's row order.
    nu = Raster.from_array(np.empty(shape, dtype=np.uint8), transform=transform, crs=head.crs)
    r0, r1, c0, c1 = _window(nu, zones, shape)
    if dy > 0:
        r0, r1 = shape[0] - r1, shape[0] - r0
    sub = da.isel({ydim: slice(r0, r1), xdim: slice(c0, c1)})
    values = sub.data if da.chunks is not None else sub.values  # dask: stays lazy
    nodata = da.encoding.get("_FillValue", da.attrs.get("_FillValue"))
    sub_t = Affine(dx, 0, xs[c0] - dx / 2, 0, dy, ys[r0] - dy / 2)
    times = _nc_times(ds, path, tdim) if tdim else None
    if np.issubdtype(values.dtype, np.floating):
        nodata = None if nodata is None or np.isnan(nodata) else nodata  # NaN is nodata anyway
    return Raster.from_array(
        values,
        transform=sub_t,
        crs=head.crs,
        nodata=nodata,
        times=times,
        name=variable,
        source=str(path),
    )


def _nc_times(ds: xr.Dataset, path: Path, tdim: str) -> pd.DatetimeIndex:
    """Return the dates of the time dimension; raise when they cannot be read as dates."""
    index = ds.indexes.get(tdim)
    if index is not None and hasattr(index, "to_datetimeindex"):  # cftime calendars
        return pd.DatetimeIndex(index.to_datetimeindex(time_unit="ns"))
    values = ds[tdim].values
    if not np.issubdtype(values.dtype, np.datetime64):
        units = ds[tdim].attrs.get("units")
        raise InputFileError(
            f"{path}: the time coordinate {tdim!r} holds {values.dtype} values "
            f"(units: {units!r}) that are not dates, so no step could be matched to a "
            "period. Give it CF units such as 'days since 1981-01-01' (e.g. "
            f"ncatted -a units,{tdim},o,c,'days since 1981-01-01' {path.name}), or "
            "open it with xarray, set datetime64 times and pass the DataArray."
        )
    return pd.DatetimeIndex(values)


def _nc_variable(ds: xr.Dataset, path: Path, variable: str | None) -> str:
    """Return the variable to read: the one asked for, else the first 2-D or 3-D one."""
    if variable is None:
        data_vars = [v for v in ds.data_vars if ds[v].ndim >= 2]
        if not data_vars:
            raise InputFileError(f"{path}: no 2-D or 3-D variable found.")
        variable = str(data_vars[0])
    if variable not in ds.data_vars:
        raise InputFileError(f"{path}: no variable {variable!r}; variables: {list(ds.data_vars)}.")
    return variable


def _nc_dims(
    da: xr.DataArray, path: Path, variable: str, *, stack: bool | None
) -> tuple[str, str, str | None]:
    """Return the variable's y, x and time (or None) dimensions; raise on any other."""
    dims = [str(d) for d in da.dims]
    ydim, xdim, tdim = _coord(dims, _LAT), _coord(dims, _LON), _coord(dims, _TIME)
    if ydim is None or xdim is None:
        raise InputFileError(
            f"{path}: variable {variable!r} has dims {dims}; expected lat/lon (or y/x)."
        )
    extra = [d for d in dims if d not in (ydim, xdim, tdim)]
    if extra or (tdim is None and len(dims) > 2):
        raise InputFileError(
            f"{path}: variable {variable!r} has dims {dims} and no time dimension "
            f"(looked for {list(_TIME)}). Select one slice first or rename the "
            "time dimension to 'time'."
        )
    if stack and tdim is None:
        raise InputFileError(
            f"{path}: variable {variable!r} has no time dimension (dims {dims}); a time "
            "stack needs one (named 'time')."
        )
    return ydim, xdim, tdim


def _nc_crs(ds: xr.Dataset, da: xr.DataArray, xdim: str, ydim: str) -> CRS | None:
    """Return the CRS of the variable's grid mapping, else EPSG:4326 for lat/lon axes."""
    gm = da.attrs.get("grid_mapping")
    if gm and gm in ds.variables:
        attrs = ds[gm].attrs
        wkt = attrs.get("crs_wkt") or attrs.get("spatial_ref")
        return CRS.from_wkt(wkt) if wkt else CRS.from_cf(attrs)
    if ydim.lower() in ("lat", "latitude") and xdim.lower() in ("lon", "longitude"):
        return CRS.from_epsg(4326)  # CF: latitude/longitude coordinates
    return None


def _nc_grid(
    ds: xr.Dataset, path: Path, xdim: str, ydim: str
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Return the x and y cell centres and steps; raise unless a regular grid of 2 x 2 up."""
    xs = np.asarray(ds[xdim].values, dtype=np.float64)
    ys = np.asarray(ds[ydim].values, dtype=np.float64)
    if len(xs) < 2 or len(ys) < 2:
        raise InputFileError(f"{path}: the grid must have at least 2 x 2 cells.")
    dx, dy = float(np.diff(xs).mean()), float(np.diff(ys).mean())
    if not (np.allclose(np.diff(xs), dx, rtol=1e-6) and np.allclose(np.diff(ys), dy, rtol=1e-6)):
        raise InputFileError(f"{path}: the coordinates are not a regular grid.")
    return xs, ys, dx, dy


def _dated_files(folder: Path, date_pattern: str | None) -> list[tuple[pd.Timestamp, Path]]:
    """Return the folder's GeoTIFFs with the date in each name, by date; raise on problems."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in _TIF)
    if not files:
        raise InputFileError(f"Folder {folder} holds no GeoTIFF (.tif) files.")
    problems, dated = [], []
    for p in files:
        try:
            dated.append((parse_file_date(p.name, pattern=date_pattern), p))
        except InputFileError:
            problems.append(p.name)
    if problems:
        raise InputFileError(
            f"Cannot read a date from {len(problems)} file name(s) in {folder}: "
            f"{problems[:10]}. Rename them (e.g. 'chirps-v2.0.2022.03.tif') or pass "
            "date_pattern= (named groups year, month, day or dekad)."
        )
    dated.sort()
    dates = pd.DatetimeIndex([d for d, _ in dated])
    dup = sorted({str(d.date()) for d in dates[dates.duplicated()]})
    if dup:
        raise InputFileError(f"Several files in {folder} have the same date: {dup[:10]}.")
    return dated


def _check_same_grid(r: Raster, first: _Grid, path: Path, first_path: Path) -> None:
    """Raise unless ``r`` (read from ``path``) lies on the grid of the stack's first file."""
    if r.shape != first.shape or r.transform != first.transform or r.crs != first.crs:
        raise InputFileError(
            f"{path} is not on the grid of {first_path} (shape {r.shape} vs {first.shape}, "
            "or a different transform or CRS): a stack needs one grid."
        )


def _open_folder(
    folder: Path,
    *,
    band: int,
    crs: CRS | None,
    zones: gpd.GeoDataFrame | None,
    date_pattern: str | None,
    nodata: float | None = None,
    lazy: bool = False,
) -> Raster:
    """Open a folder of dated GeoTIFFs as a time stack (lazy: one dask block per file)."""
    dated = _dated_files(folder, date_pattern)
    first = _open_tif(dated[0][1], band=band, crs=crs, zones=zones, nodata=nodata)
    grid = _Grid(first.shape, first.transform, first.crs, first.values.dtype)
    if lazy:
        spec = _LayerSpec(
            band=band,
            crs=crs,
            nodata=nodata,
            bounds=_bounds_of(zones),
            zones_crs=None if zones is None else zones.crs,
            first=grid,
            first_path=dated[0][1],
        )
        # the first file, read above, is the first block; the others are read when needed
        values = _lazy_layers(first.values, [p for _, p in dated[1:]], spec)
    else:
        layers = [first]
        rest = progress(dated[1:], desc=f"reading {folder.name}/", unit="files")
        for _, p in rest:
            layers.append(_open_tif(p, band=band, crs=crs, zones=zones, nodata=nodata))
            _check_same_grid(layers[-1], grid, p, dated[0][1])
        values = np.stack([r.values for r in layers])
    return Raster.from_array(
        values,
        transform=first.transform,
        crs=first.crs,
        nodata=first.nodata,
        times=pd.DatetimeIndex([d for d, _ in dated]),
        name=folder.name,
        source=str(folder),
    )


@dataclass(frozen=True)
class _Grid:
    """The window grid of a folder stack's first file, which every file must share."""

    shape: tuple[int, int]
    transform: Affine
    crs: CRS | None
    dtype: np.dtype[Any]


@dataclass(frozen=True)
class _LayerSpec:
    """What each lazily read file of a folder stack needs: the options and the first file."""

    band: int
    crs: CRS | None  # the crs= given to open_raster
    nodata: float | None  # the nodata= given to open_raster
    bounds: tuple[float, float, float, float] | None  # of the zones
    zones_crs: Any
    first: _Grid
    first_path: Path


def _read_layer(path: Path, spec: _LayerSpec) -> NDArray[np.generic]:
    """Read one file of a lazy folder stack: the same window, checks and scaling as eager."""
    zones = None
    if spec.bounds is not None:
        zones = gpd.GeoDataFrame(geometry=[shapely.box(*spec.bounds)], crs=spec.zones_crs)
    r = _open_tif(path, band=spec.band, crs=spec.crs, zones=zones, nodata=spec.nodata)
    _check_same_grid(r, spec.first, path, spec.first_path)
    return np.asarray(r.values, dtype=spec.first.dtype)


def _lazy_layers(first: NDArray[np.generic], paths: list[Path], spec: _LayerSpec) -> Any:
    """Return a ``(time, rows, cols)`` dask array: ``first``, then a block per file of ``paths``.

    Each file's block reads the window of the zones, applies the file's scale, offset and
    mask as :func:`open_raster` does, and raises :class:`InputFileError` when its file is
    not on the first file's grid (when computed). The stack takes the first file's type.
    """
    da = import_optional_dependency("dask.array", purpose="open_raster(folder, chunks=...)")
    dask = import_optional_dependency("dask", purpose="open_raster(folder, chunks=...)")
    blocks = [da.from_array(first, chunks=first.shape)]
    blocks += [
        da.from_delayed(
            dask.delayed(_read_layer)(p, spec), shape=spec.first.shape, dtype=spec.first.dtype
        )
        for p in paths
    ]
    return da.stack(blocks)


def open_raster(
    path: str | os.PathLike[str],
    *,
    zones: gpd.GeoDataFrame | None = None,
    crs: str | int | CRS | None = None,
    stack: bool | None = None,
    nodata: float | None = None,
    chunks: Chunks = None,
    variable: str | None = None,
    band: int = 1,
    date_pattern: str | None = None,
) -> Raster:
    """Open a GeoTIFF/COG, NetCDF or Zarr raster, or a folder of dated GeoTIFFs as a stack.

    Parameters
    ----------
    path
        A ``.tif``/``.tiff`` file, a ``.nc`` file or a ``.zarr`` store (their time
        dimension, if any, makes a stack), or a folder of GeoTIFFs with a date in each
        file name.
    zones
        Read only the window that covers these polygons (their CRS must be the raster's).
    crs
        CRS to use when the file has none (never overrides one it has).
    stack
        True: the result must be a time stack (a NetCDF without a time dimension is an
        error). None: whatever the file holds.
    nodata
        Nodata value to use instead of the file's (e.g. when the file has none but fills
        missing cells with -9999). None: the file's own.
    chunks
        None (default): read the values (of the zones' window) into memory. Otherwise
        open lazily, with dask (the ``sahel_geo[dask]`` extra): a NetCDF file or Zarr
        store with these xarray chunks (an int, ``"auto"``, ``{}`` for the file's own
        chunks, or ``{"time": 365}``); a folder with one block per file (any value
        but None). A lazy raster reads nothing until a computation needs it, but its
        first step, read to look for an undeclared fill value (no all-nodata warning:
        that would need every step).
    variable
        NetCDF/Zarr variable (default: the first with 2 or more dimensions).
    band
        GeoTIFF band, 1-based (default 1).
    date_pattern
        Regular expression for dates in file names (see :func:`parse_file_date`).

    Returns
    -------
    Raster
        Values, grid, CRS, nodata and, for a stack, one timestamp per step. A GeoTIFF's
        scale and offset are applied, and cells its GDAL mask or alpha band marks
        invalid become NaN (the values are then float64 with NaN as nodata).

    Raises
    ------
    InputFileError
        Missing, corrupt or unreadable file; bad file-name dates; no time dimension.
    MissingCRSError
        The file has no CRS and none was given.
    CRSMismatchError
        ``zones`` are in another CRS.
    MissingDependencyError
        ``chunks=`` without dask installed (or a Zarr store without zarr).

    Examples
    --------
    >>> import sahel_geo as sg
    >>> r = sg.open_raster("chirps/", zones=admin1)  # doctest: +SKIP
    >>> daily = sg.open_raster("chirps_daily.zarr", chunks={"time": 365})  # doctest: +SKIP
    """
    p = _raster_path(path)
    user_crs = CRS.from_user_input(crs) if crs is not None else None
    where: dict[str, Any] = {"crs": user_crs, "zones": zones}
    if p.suffix.lower() in _ZARR:
        r = _open_zarr(p, variable=variable, stack=stack, chunks=chunks, **where)
    elif p.is_dir():
        if chunks is not None:
            import_optional_dependency("dask.array", purpose="open_raster(folder, chunks=...)")
        r = _open_folder(
            p,
            band=band,
            date_pattern=date_pattern,
            nodata=nodata,
            lazy=chunks is not None,
            **where,
        )
    elif p.suffix.lower() in _NC:
        r = _open_nc(p, variable=variable, stack=stack, chunks=chunks, **where)
    elif p.suffix.lower() in _TIF:
        r = _open_tif(p, band=band, nodata=nodata, **where)
    else:
        raise InputFileError(
            f"{p}: unknown raster format {p.suffix!r}; use a GeoTIFF (.tif), NetCDF (.nc) "
            "or Zarr store (.zarr)."
        )
    if nodata is not None and p.suffix.lower() in _NC | _ZARR:
        r = replace(r, nodata=normalise_nodata(nodata, r.values.dtype))
    if stack and not r.is_stack:
        raise InputFileError(f"{p} holds a single raster, not a time stack.")
    _warn_nodata(r, p)
    logger.info("Read %r", r)
    return r


def _raster_path(path: object) -> Path:
    """Return ``path`` as an existing Path; raise for other objects or a missing file."""
    if not isinstance(path, str | os.PathLike):
        raise InputFileError(
            "open_raster: expected the path of a GeoTIFF, NetCDF or Zarr file, or of a folder "
            f"of dated GeoTIFFs (a str or pathlib.Path); got {type(path).__name__}. For an "
            "xarray DataArray use sg.Raster.from_xarray(da); for a numpy array "
            "sg.Raster.from_array(values, transform=..., crs=...)."
        )
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"Raster {p} does not exist.")
    return p


def _warn_nodata(r: Raster, p: Path) -> None:
    """Warn when the window read is all nodata, or holds an undeclared fill value.

    A lazy raster is only looked at for a fill value, in its first step (reading it all
    would defeat opening it lazily).
    """
    if r.is_lazy:
        lazy: Any = r.values[0] if r.is_stack else r.values
        r = replace(r, values=np.asarray(lazy.compute()), times=None)
    elif r.values.size and not r.valid_mask().any():
        warnings.warn(
            f"Raster {p} holds only nodata in the window read ({r.shape[0]} x {r.shape[1]}).",
            NodataWarning,
            stacklevel=3,
        )
    if r.nodata is None:
        warn_fill_values(r, where=str(p))


def _fill_candidates(dtype: np.dtype) -> list[float | int]:
    """Values producers write for missing cells that a file may forget to declare."""
    if np.issubdtype(dtype, np.floating):
        lowest = float(np.finfo(dtype).min)
        return [-9999.0, -99999.0, float(np.finfo(np.float32).min), lowest, 9.969209968386869e36]
    info = np.iinfo(dtype)
    out: list[float | int] = [v for v in (-9999, -99999) if info.min <= v <= info.max]
    if info.min < 0:
        out.append(int(info.min))
    elif info.bits >= 16:
        out.append(int(info.max))
    return out


def warn_fill_values(raster: Raster, *, where: str) -> None:
    """Warn when a raster without a nodata value holds an obvious fill value.

    -9999, -99999, the float32 or the type's lowest value, NetCDF's default fill
    (9.97e36), and for integers the type's minimum (or an unsigned type's maximum) are
    almost never data; statistics would count them as values. The
    :class:`~sahel_geo.NodataWarning` names the value, how many cells hold it, and the fix.

    Parameters
    ----------
    raster
        The raster (its nodata is None).
    where
        The file or object, for the message.
    """
    values = raster.values
    if values.size == 0:
        return
    finite = values[np.isfinite(values)] if np.issubdtype(values.dtype, np.floating) else values
    if finite.size == 0:
        return
    lo, hi = finite.min(), finite.max()
    for value in _fill_candidates(values.dtype):
        if value != lo and value != hi:  # a fill value is the lowest or highest value
            continue
        n = int(np.count_nonzero(values == value))
        if n:
            warnings.warn(
                f"Raster {where} has no nodata value, but {n:,} of {values.size:,} cells hold "
                f"{value!r}, a common fill value: statistics would count it as data. If it "
                f"marks missing cells, pass nodata={value!r} to open_raster (or set it in "
                f"the file: gdal_edit.py -a_nodata {value!r} <file>).",
                NodataWarning,
                stacklevel=3,
            )
            return


#: What raster functions take: a Raster, a path, an open rasterio dataset, or an
#: xarray DataArray (rioxarray's, or with lat/lon coordinates).
RasterLike = Any


def as_raster(
    obj: RasterLike, *, zones: gpd.GeoDataFrame | None = None, what: str = "raster"
) -> Raster:
    """Return ``obj`` as a :class:`~sahel_geo.Raster`, whatever form it comes in.

    Parameters
    ----------
    obj
        A :class:`Raster` (returned as is), a path to a GeoTIFF/NetCDF/folder
        (:func:`open_raster`, reading only the window of ``zones``), an open rasterio
        dataset (its file, band 1), or an ``xarray.DataArray``
        (:meth:`Raster.from_xarray`; a dask-backed one stays lazy).
    zones
        Zones whose window to read from a file.
    what
        The argument's name, for the message.

    Returns
    -------
    Raster
        The raster.

    Raises
    ------
    SchemaError
        ``obj`` is none of those.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> da = xr.DataArray(np.ones((2, 2)), dims=("lat", "lon"),
    ...                   coords={"lat": [1.5, 0.5], "lon": [0.5, 1.5]})
    >>> as_raster(da).shape
    (2, 2)
    """
    if isinstance(obj, Raster):
        return obj
    if isinstance(obj, str | os.PathLike):
        return open_raster(obj, zones=zones)
    if type(obj).__module__.startswith("rasterio") and hasattr(obj, "name"):
        return open_raster(obj.name, zones=zones)
    if type(obj).__name__ == "DataArray":
        return Raster.from_xarray(obj)
    raise SchemaError(
        f"{what} must be a sahel_geo Raster, a path to a GeoTIFF or NetCDF file (or a folder "
        "of dated GeoTIFFs), an open rasterio dataset or an xarray DataArray; got "
        f"{type(obj).__name__}."
    )
