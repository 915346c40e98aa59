"""The in-memory raster every raster function takes: values, grid, CRS, nodata, times.

:func:`sahel_geo.open_raster` returns one; :meth:`Raster.from_array` builds one from a
numpy array (tests, synthetic data, other readers). Values are never modified: nodata is
described by :attr:`Raster.nodata` (and NaN, for float rasters), not written into them.

Nodata is compared exactly in the raster's own type: an integer raster's nodata is kept as
an integer (a uint64 fill of 2**64 - 1 is not rounded through float64), and a value its
type cannot hold never matches a cell. A numpy masked array's mask is honoured: masked
cells become NaN (in a float64 copy for an integer array).

The values may also be a dask array (a stack too large for memory, from
``open_raster(..., chunks=...)`` or a dask-backed DataArray): the raster then stays lazy.
Building it, :meth:`Raster.crop`, :meth:`Raster.window_for`, :meth:`Raster.to_xarray`,
the masks and the reprs compute nothing; :meth:`Raster.load` computes it, and the
analysis functions compute only the window, time block or cells they need.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from affine import Affine
from numpy.typing import NDArray
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from sahel_geo.core.compat import is_dask_collection
from sahel_geo.core.display import html_table
from sahel_geo.core.errors import CRSMismatchError, MissingCRSError, SchemaError

__all__ = ["Raster", "RasterGrid", "check_crs", "normalise_nodata"]


@dataclass(frozen=True)
class RasterGrid:
    """A raster's pixel grid, north-up: top-left corner, cell size and shape.

    Not to be confused with :class:`sahel_geo.GridSpec`, which describes an analysis grid
    (PRIO-GRID, hexagons) laid over a region.

    Attributes
    ----------
    x0, y0
        Coordinates of the top-left corner.
    dx, dy
        Cell width and height (both positive).
    height, width
        Number of rows and columns.
    """

    x0: float
    y0: float
    dx: float
    dy: float
    height: int
    width: int


@dataclass(frozen=True, eq=False)
class Raster:
    """A north-up raster or raster time stack held in memory.

    Attributes
    ----------
    values
        ``(rows, cols)`` array, or ``(time, rows, cols)`` for a time stack: a numpy array,
        or a dask array for a lazy raster (:attr:`is_lazy`).
    transform
        Affine transform of the top-left corner (north-up: no rotation, negative ``e``).
    crs
        The raster's CRS, or None when the file had none (zonal statistics then refuse it).
    nodata
        The nodata value, or None. NaN is always nodata in float rasters.
    times
        One timestamp per step of a stack (the start of each period), else None.
    name
        Variable or file name, used in messages.
    source
        Where the raster came from (a path, or ``"<array>"``).

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> r = Raster.from_array(np.ones((2, 3)), transform=Affine(1, 0, 0, 0, -1, 2),
    ...                       crs="EPSG:4326")
    >>> r.shape, r.bounds
    ((2, 3), (0.0, 0.0, 3.0, 2.0))
    """

    values: NDArray[np.generic]
    transform: Affine
    crs: CRS | None
    nodata: float | int | None = None
    times: pd.DatetimeIndex | None = None
    name: str = ""
    source: str = "<array>"

    @classmethod
    def from_array(
        cls,
        values: NDArray[np.generic],
        *,
        transform: Affine,
        crs: CRS | str | int | None,
        nodata: float | None = None,
        times: pd.DatetimeIndex | list[pd.Timestamp] | None = None,
        name: str = "",
        source: str = "<array>",
    ) -> Raster:
        """Build a raster from an array, flipping a south-up grid to north-up.

        Parameters
        ----------
        values
            2-D ``(rows, cols)`` or 3-D ``(time, rows, cols)`` array (not copied unless
            flipped). A dask array is kept lazy (nothing is computed; a masked dask
            array's mask is not read).
        transform
            Affine transform of the array's first cell corner.
        crs
            Anything :class:`pyproj.CRS` accepts, or None.
        nodata
            Nodata value or None. For an integer array it is kept as an exact integer
            of the array's type.
        times
            Timestamps of the steps of a 3-D array.
        name, source
            Used in messages.

        Returns
        -------
        Raster
            The raster.

        Examples
        --------
        >>> r = Raster.from_array(np.array([[1, 2**64 - 1]], dtype=np.uint64), crs=4326,
        ...                       transform=Affine(1, 0, 0, 0, -1, 1), nodata=2.0**64 - 1)
        >>> r.nodata == 2**64 - 1, r.valid_mask().tolist()
        (True, [[True, False]])
        """
        arr = _unmask(values)
        where = f"raster {name or source!r}"
        if arr.ndim not in (2, 3):
            raise SchemaError(f"{where}: values must be 2-D or 3-D; got shape {arr.shape}.")
        if transform.b != 0 or transform.d != 0:
            raise SchemaError(
                f"{where}: rotated grids are not supported (transform {tuple(transform)[:6]}). "
                "Warp it to a north-up grid first, e.g. with 'gdalwarp'."
            )
        if transform.e > 0:  # south-up (e.g. NetCDF with ascending latitude): flip rows
            arr = arr[..., ::-1, :]
            height = arr.shape[-2]
            transform = Affine(
                transform.a, 0.0, transform.c, 0.0, -transform.e, transform.f + transform.e * height
            )
        if transform.a <= 0:
            raise SchemaError(f"{where}: columns must run west to east (transform.a > 0).")
        idx: pd.DatetimeIndex | None = None
        if times is not None:
            idx = pd.DatetimeIndex(times)
            if arr.ndim != 3 or len(idx) != arr.shape[0]:
                raise SchemaError(
                    f"{where}: {len(idx)} times given for values of shape {arr.shape}; a time "
                    "stack needs a 3-D array with one time per step."
                )
        elif arr.ndim == 3:
            raise SchemaError(f"{where}: a 3-D array needs 'times' (one timestamp per step).")
        return cls(
            values=arr,
            transform=transform,
            crs=None if crs is None else CRS.from_user_input(crs),
            nodata=normalise_nodata(nodata, arr.dtype),
            times=idx,
            name=name,
            source=source,
        )

    @classmethod
    def from_xarray(cls, da: Any, *, crs: CRS | str | int | None = None) -> Raster:
        """Build a raster from an ``xarray.DataArray`` (rioxarray's, or CF lat/lon).

        The array is 2-D ``(y, x)`` or 3-D with a time dimension; its x/y (or
        lon/lat) coordinates are cell centres on a regular grid, either row order.
        The CRS comes from ``crs=``, else rioxarray's ``da.rio.crs``, else a grid-mapping
        coordinate's ``crs_wkt``/``spatial_ref`` attribute (what rioxarray and
        :meth:`to_xarray` write), else EPSG:4326 for ``lat``/``lon`` dimensions (CF). The
        nodata value comes from ``_FillValue``. A dask-backed array stays lazy (its
        dask array becomes :attr:`values`; nothing is computed).

        Parameters
        ----------
        da
            The DataArray.
        crs
            The CRS, when the array carries none.

        Returns
        -------
        Raster
            The raster (north-up; times for a stack).

        Raises
        ------
        SchemaError
            Dimensions, coordinates or times that do not describe a regular grid.

        Examples
        --------
        >>> import xarray as xr
        >>> da = xr.DataArray([[1.0, 2.0], [3.0, 4.0]], dims=("lat", "lon"),
        ...                   coords={"lat": [10.5, 9.5], "lon": [0.5, 1.5]})
        >>> Raster.from_xarray(da).bounds
        (0.0, 9.0, 2.0, 11.0)
        """
        where = f"DataArray {da.name!r}" if getattr(da, "name", None) else "the DataArray"
        ydim, xdim, tdim = _xarray_dims(da, where)
        xs = _regular_centres(da, xdim, where)
        ys = _regular_centres(da, ydim, where)
        dx, dy = xs[1] - xs[0], ys[1] - ys[0]
        transform = Affine(dx, 0.0, xs[0] - dx / 2, 0.0, dy, ys[0] - dy / 2)
        times = None
        if tdim is not None:
            raw_times = np.asarray(da[tdim].values)
            if not np.issubdtype(raw_times.dtype, np.datetime64):
                raise SchemaError(
                    f"{where}: its {tdim!r} coordinate holds {raw_times.dtype} values, not "
                    "dates. Decode it (xr.decode_cf) or assign datetime64 times."
                )
            times = pd.DatetimeIndex(raw_times)
        order = [d for d in (tdim, ydim, xdim) if d is not None]
        ordered = da.transpose(*order)
        values = ordered.data if is_dask_collection(ordered.data) else np.asarray(ordered.values)
        fill = da.attrs.get("_FillValue", da.encoding.get("_FillValue"))
        return cls.from_array(
            values,
            transform=transform,
            crs=crs if crs is not None else _xarray_crs(da, xdim, ydim),
            nodata=None if fill is None else float(fill),
            times=times,
            name=str(da.name or ""),
            source=f"<DataArray {da.name or ''}>".replace(" >", ">"),
        )

    def to_xarray(self) -> Any:
        """Return the raster as an ``xarray.DataArray`` (x/y centres, CRS, nodata).

        The CRS is written as a ``spatial_ref`` coordinate with ``crs_wkt`` (as rioxarray
        does), so :meth:`from_xarray` and rioxarray read it back. A lazy raster gives a
        dask-backed DataArray (nothing computed).

        Examples
        --------
        >>> r = Raster.from_array(np.arange(4.0).reshape(2, 2), crs=4326,
        ...                       transform=Affine(1, 0, 0, 0, -1, 2))
        >>> da = r.to_xarray()
        >>> da.dims, da["y"].values.tolist(), Raster.from_xarray(da).bounds == r.bounds
        (('y', 'x'), [1.5, 0.5], True)
        """
        import xarray as xr

        h, w = self.shape
        t = self.transform
        coords: dict[str, Any] = {
            "y": t.f + t.e * (np.arange(h) + 0.5),
            "x": t.c + t.a * (np.arange(w) + 0.5),
        }
        dims: tuple[str, ...] = ("y", "x")
        if self.is_stack and self.times is not None:
            coords["time"] = self.times
            dims = ("time", "y", "x")
        attrs: dict[str, Any] = {}
        if self.nodata is not None:
            attrs["_FillValue"] = self.nodata
        da = xr.DataArray(self.values, dims=dims, coords=coords, name=self.name or None)
        da.attrs.update(attrs)
        if self.crs is not None:
            wkt = self.crs.to_wkt()
            da = da.assign_coords(
                spatial_ref=xr.DataArray(0, attrs={"crs_wkt": wkt, "spatial_ref": wkt})
            )
            da.attrs["grid_mapping"] = "spatial_ref"
        return da

    @property
    def is_lazy(self) -> bool:
        """True when the values are a dask array (computed only when needed)."""
        return is_dask_collection(self.values)

    def load(self) -> Raster:
        """Return the raster with its values computed into memory (itself if already there).

        Computes the whole array (on the active dask scheduler): crop a lazy raster to
        the window you need first.
        """
        if not self.is_lazy:
            return self
        lazy: Any = self.values
        return replace(self, values=np.asarray(lazy.compute()))

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of one step."""
        return int(self.values.shape[-2]), int(self.values.shape[-1])

    @property
    def is_stack(self) -> bool:
        """True for a time stack (3-D values)."""
        return self.values.ndim == 3

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)``."""
        h, w = self.shape
        t = self.transform
        return (t.c, t.f + t.e * h, t.c + t.a * w, t.f)

    @property
    def grid(self) -> RasterGrid:
        """The grid as the coverage kernel sees it."""
        h, w = self.shape
        t = self.transform
        return RasterGrid(x0=t.c, y0=t.f, dx=t.a, dy=-t.e, height=h, width=w)

    def valid_mask(self, values: NDArray[np.generic] | None = None) -> NDArray[np.bool_]:
        """Return True where a value is data (not nodata, not NaN or infinite).

        Lazy for dask values (a dask array of booleans).
        """
        arr = self.values if values is None else values
        mask = ~self.nodata_mask(arr)
        if np.issubdtype(arr.dtype, np.floating):
            mask &= np.isfinite(arr)
        return mask

    def nodata_mask(self, values: NDArray[np.generic] | None = None) -> NDArray[np.bool_]:
        """Return True where a cell equals the nodata value, compared in the values' type.

        A NaN nodata marks the NaN cells; a nodata the values' type cannot hold (e.g.
        -9999 in a uint8 raster) marks none.
        """
        arr = self.values if values is None else values
        nod = self.nodata
        if nod is None:
            return _none_of(arr)
        if np.issubdtype(arr.dtype, np.floating):
            found = np.isnan(arr) if np.isnan(nod) else arr == nod
            return _as_bool(found)
        exact = _exact_in(nod, arr.dtype)
        if exact is None:
            return _none_of(arr)
        return _as_bool(arr == exact)

    def window_for(self, bounds: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        """Row/column slice ``(row0, row1, col0, col1)`` of the cells that meet ``bounds``."""
        h, w = self.shape
        t = self.transform
        minx, miny, maxx, maxy = bounds
        c0 = int(np.clip(np.floor((minx - t.c) / t.a), 0, w))
        c1 = int(np.clip(np.ceil((maxx - t.c) / t.a), 0, w))
        r0 = int(np.clip(np.floor((maxy - t.f) / t.e), 0, h))
        r1 = int(np.clip(np.ceil((miny - t.f) / t.e), 0, h))
        return r0, max(r1, r0), c0, max(c1, c0)

    def crop(self, row0: int, row1: int, col0: int, col1: int) -> Raster:
        """Return a view of rows ``row0:row1`` and columns ``col0:col1`` (no copy, lazy)."""
        t = self.transform
        new_t = Affine(t.a, 0.0, t.c + t.a * col0, 0.0, t.e, t.f + t.e * row0)
        return replace(self, values=self.values[..., row0:row1, col0:col1], transform=new_t)

    def _repr_html_(self) -> str:
        t = self.transform
        rows: list[tuple[str, object]] = [
            ("source", self.source),
            ("kind", f"time stack of {self.values.shape[0]} steps" if self.is_stack else "raster"),
            ("rows x columns", f"{self.shape[0]:,} x {self.shape[1]:,}"),
            ("cell size", f"{abs(t.a):g} x {abs(t.e):g}"),
            ("bounds (minx, miny, maxx, maxy)", tuple(round(b, 6) for b in self.bounds)),
            ("CRS", self.crs.to_string() if self.crs else "none"),
            ("data type", self.values.dtype),
            ("nodata", self.nodata),
        ]
        if self.is_lazy:
            rows.append(("storage", f"dask, chunks {_chunk_text(self.values)} (not loaded)"))
        if self.times is not None and len(self.times):
            rows.append(("times", f"{self.times[0].date()} to {self.times[-1].date()}"))
        return html_table(f"Raster {self.name or self.source}", rows)

    def __repr__(self) -> str:
        kind = f"stack of {self.values.shape[0]}" if self.is_stack else "raster"
        if self.is_lazy:
            kind = f"lazy {kind}"
        return (
            f"<Raster {self.name or self.source!r}: {kind} {self.shape[0]}x{self.shape[1]}, "
            f"crs={self.crs.to_string() if self.crs else None}, nodata={self.nodata}>"
        )


def check_crs(zones_crs: object, raster: Raster, *, what: str = "zones") -> None:
    """Raise unless the raster has a CRS equal to ``zones_crs``.

    Parameters
    ----------
    zones_crs
        The CRS of the vector data (a :class:`pyproj.CRS` or None).
    raster
        The raster.
    what
        Name of the vector data in the message.

    Raises
    ------
    MissingCRSError
        The raster or the vector data has no CRS.
    CRSMismatchError
        They differ; the message names both.
    """
    src = raster.source if raster.source != "<array>" else (raster.name or "the raster")
    if raster.crs is None:
        raise MissingCRSError(
            f"Raster {src!r} has no CRS. Set it when building the raster "
            "(Raster.from_array(..., crs='EPSG:4326')) or fix the file, e.g. "
            "'gdal_edit.py -a_srs EPSG:4326 <file>'."
        )
    if zones_crs is None:
        raise MissingCRSError(
            f"The {what} have no CRS. Set it with '.set_crs(\"EPSG:4326\")' if the "
            "coordinates are longitude/latitude."
        )
    same = False
    try:
        same = raster.crs.equals(CRS.from_user_input(zones_crs), ignore_axis_order=True)
    except (ProjCRSError, TypeError):  # not a CRS pyproj can read: a mismatch
        same = False
    if not same:
        zname = getattr(zones_crs, "to_string", lambda: str(zones_crs))()
        raise CRSMismatchError(
            f"CRS mismatch: the {what} are in {zname} but raster {src!r} is in "
            f"{raster.crs.to_string()}. Reproject the {what} with "
            f"'.to_crs({raster.crs.to_string()!r})' (or warp the raster)."
        )


def _none_of(arr: NDArray[np.generic]) -> NDArray[np.bool_]:
    """All-False mask of ``arr``'s shape (lazy for a dask array)."""
    if is_dask_collection(arr):
        none: NDArray[np.bool_] = np.zeros_like(arr, dtype=bool)
        return none
    return np.zeros(arr.shape, dtype=bool)


def _as_bool(found: Any) -> NDArray[np.bool_]:
    """Return a comparison's result as a boolean array (a dask array stays lazy)."""
    if is_dask_collection(found):
        lazy: NDArray[np.bool_] = found.astype(bool)
        return lazy
    return np.asarray(found, dtype=bool)


def _chunk_text(values: Any) -> str:
    """Return the chunk shape of a dask array, e.g. ``(31, 312, 566)`` (first of each axis)."""
    return str(tuple(int(c[0]) for c in values.chunks))


def _unmask(values: NDArray[np.generic]) -> NDArray[np.generic]:
    """Values of a masked array with its masked cells as NaN (plain arrays untouched)."""
    if is_dask_collection(values):
        return values
    if not isinstance(values, np.ma.MaskedArray):
        return np.asarray(values)
    mask = np.ma.getmaskarray(values)
    if not mask.any():
        return np.asarray(values.data)
    dtype = values.dtype if np.issubdtype(values.dtype, np.floating) else np.float64
    out = np.array(values.data, dtype=dtype)
    out[mask] = np.nan
    return out


def _exact_in(nodata: float | int, dtype: np.dtype) -> np.generic | None:
    """``nodata`` as a scalar of an integer ``dtype``, or None if no cell can equal it."""
    if isinstance(nodata, float) and not nodata.is_integer():
        return None
    value = int(nodata)
    info = np.iinfo(dtype)
    if not info.min <= value <= info.max:
        return None
    scalar: np.generic = dtype.type(value)
    return scalar


def normalise_nodata(nodata: float | int | None, dtype: np.dtype) -> float | int | None:
    """Return a nodata value in the form the raster's type compares exactly.

    Integer rasters get an exact Python int. Readers often hand the value over as a
    float (GDAL's ``GetNoDataValue``): a float that is the float64 rounding of the type's
    maximum or minimum (``2.0**64`` for ``2**64 - 1`` in uint64) is taken as that
    extreme. Float rasters get a float.

    Parameters
    ----------
    nodata
        The value, or None.
    dtype
        The raster's data type.

    Returns
    -------
    float, int or None
        The value to store in :attr:`Raster.nodata`.

    Examples
    --------
    >>> normalise_nodata(1.8446744073709552e19, np.dtype("uint64"))
    18446744073709551615
    >>> normalise_nodata(-9999, np.dtype("float32"))
    -9999.0
    """
    if nodata is None:
        return None
    if not np.issubdtype(dtype, np.integer):
        return float(nodata)
    if isinstance(nodata, (int, np.integer)):
        return int(nodata)
    value = float(nodata)
    if np.isnan(value):
        return value  # matches no integer cell
    info = np.iinfo(dtype)
    for extreme in (int(info.max), int(info.min)):
        if value == float(extreme):
            return extreme
    return int(value) if value.is_integer() else value


_X_NAMES = ("x", "lon", "longitude")
_Y_NAMES = ("y", "lat", "latitude")
_T_NAMES = ("time", "t", "date", "band")


def _xarray_dims(da: Any, where: str) -> tuple[str, str, str | None]:
    """Return a DataArray's y, x and time (or None) dimension names."""
    dims = [str(d) for d in da.dims]
    ydim = next((d for d in dims if d.lower() in _Y_NAMES), None)
    xdim = next((d for d in dims if d.lower() in _X_NAMES), None)
    rest = [d for d in dims if d not in (ydim, xdim)]
    if ydim is None or xdim is None or len(rest) > 1:
        raise SchemaError(
            f"{where} has dimensions {dims}; a raster needs y/x (or lat/lon) and at most "
            "one more, the time dimension. Select the others away first, e.g. da.isel(band=0)."
        )
    tdim = rest[0] if rest else None
    if tdim is not None and da.sizes[tdim] == 1 and tdim.lower() == "band":
        raise SchemaError(f"{where} has a single-band 'band' dimension: da.squeeze('band') first.")
    return ydim, xdim, tdim


def _regular_centres(da: Any, dim: str, where: str) -> NDArray[np.float64]:
    """Return a dimension's cell centres; raise unless they are regularly spaced."""
    if dim not in da.coords:
        raise SchemaError(f"{where} has no {dim!r} coordinate (cell centres): assign one.")
    c = np.asarray(da[dim].values, dtype=np.float64)
    if c.size < 2 or not np.allclose(np.diff(c), c[1] - c[0], rtol=1e-6, atol=0):
        raise SchemaError(
            f"{where}: the {dim!r} coordinate is not a regular grid of 2 or more cells."
        )
    return c


def _xarray_crs(da: Any, xdim: str, ydim: str) -> CRS | None:
    """Return the CRS a DataArray carries (rioxarray, grid mapping, CF lat/lon), or None."""
    rio = getattr(da, "rio", None)
    if rio is not None and getattr(rio, "crs", None) is not None:
        return CRS.from_user_input(rio.crs)
    names = [da.attrs.get("grid_mapping"), "spatial_ref", "crs"]
    for name in names:
        if name and name in da.coords:
            attrs = da.coords[name].attrs
            wkt = attrs.get("crs_wkt") or attrs.get("spatial_ref")
            if wkt:
                return CRS.from_wkt(wkt)
    if "crs" in da.attrs:
        return CRS.from_user_input(da.attrs["crs"])
    if ydim.lower() in ("lat", "latitude") and xdim.lower() in ("lon", "longitude"):
        return CRS.from_epsg(4326)
    return None
