"""Shared fixtures.

``shared_data`` is the one way tests reach the real third-party files in
``../shared/data`` (relative to the project root). Those files are never copied into
the project; when the folder is absent, the tests that need it skip with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SAHEL_GEO_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder of real third-party test data (``../shared/data``); skip when absent."""
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(
            f"real third-party data not found at {SHARED_DATA}: these tests need the "
            "shared data folder beside the project (or SAHEL_GEO_SHARED_DATA set to it)"
        )
    return SHARED_DATA


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared_data)


@pytest.fixture(autouse=True, scope="session")
def _no_progress_bars() -> None:
    """Progress bars stay off in the tests (the ``progress`` option)."""
    import sahel_geo as sg

    sg.set_options(progress=False)


@pytest.fixture(scope="module")
def dask_client() -> Iterator[object]:
    """A 2-worker in-process dask.distributed cluster, started and closed here.

    dask keeps pandas' string dtypes (``dataframe.convert-string`` off), so lazy results
    compare with the in-memory ones dtype for dtype; the dashboard takes a free port.
    """
    import dask
    import distributed

    with (
        dask.config.set({"dataframe.convert-string": False}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
