"""Optional dependencies: a missing one names the extra that installs it."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import sahel_geo as sg
from sahel_geo.core.compat import import_optional_dependency, is_dask_collection


def test_missing_module_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dask_geopandas", None)  # import raises ImportError
    with pytest.raises(sg.MissingDependencyError, match=r"sahel_geo\[dask\]") as info:
        import_optional_dependency("dask_geopandas", purpose="Joining a dask frame")
    assert "Joining a dask frame" in str(info.value)
    assert "conda install -c conda-forge dask-geopandas" in str(info.value)


def test_present_module_is_returned() -> None:
    assert import_optional_dependency("numpy", purpose="x") is np


def test_is_dask_collection() -> None:
    import dask.array as da

    assert is_dask_collection(da.zeros(3))
    assert not is_dask_collection(np.zeros(3))
