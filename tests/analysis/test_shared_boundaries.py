"""Functions that prepare polygons are safe when threads share the caller's polygons.

Dask runs a function on several partitions at once in threads, all with the same
boundaries. A prepared polygon shared that way can abort the process: GEOS builds its
point index on first use, and two threads building it at once corrupt the heap
("malloc(): unaligned tcache chunk detected" in ``IndexedPointInAreaLocator::buildIndex``,
seen under a dask.distributed in-process cluster). So the join and the zonal statistics
prepare private copies. The concurrent calls run in a child process: an abort there
fails this test instead of ending the whole test session.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import shapely

from sahel_geo.core.threads import private_geometries

_CONCURRENT = textwrap.dedent(
    """
    import dask
    import dask_geopandas as dg
    import distributed
    import pandas as pd
    import shapely
    import sahel_geo as sg

    events = sg.demo_events(n=1500, seed=7)
    adm1 = sg.load_boundaries(level=1)
    raster = sg.demo_wasting()
    ref = sg.assign_admin(events, adm1)
    zref = sg.zonal_stats(adm1, raster, stats=["mean"], coverage="center")

    def fresh():
        # polygons no call has used yet: their first uses race when shared
        return adm1.set_geometry(shapely.from_wkb(shapely.to_wkb(adm1.geometry.values)))

    with (
        dask.config.set({"dataframe.convert-string": False}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        for _ in range(20):
            lazy = sg.assign_admin(dg.from_geopandas(events, npartitions=4), fresh())
            pd.testing.assert_frame_equal(sg.compute(lazy), ref, check_exact=True)
            shared = fresh()
            zoned = client.gather([
                client.submit(
                    sg.zonal_stats, shared, raster, stats=["mean"], coverage="center",
                    pure=False,
                )
                for _ in range(4)
            ])
            for got in zoned:
                pd.testing.assert_frame_equal(got, zref, check_exact=True)
    print("ok")
    """
)


def test_concurrent_calls_on_shared_boundaries_agree_and_do_not_abort() -> None:
    # Before the copies, this script (20 rounds) aborted 4 runs in 4, and
    # tests/analysis/test_partitioned.py crashed 5 runs in 10 (4 aborts, 1 segfault).
    done = subprocess.run(
        [sys.executable, "-c", _CONCURRENT], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"


def test_private_geometries_are_equal_copies() -> None:
    geoms = np.array(
        [
            shapely.Polygon([(0, 0, 1), (1, 0, 2), (1, 1, 3)]),
            shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)]),
            shapely.Polygon(),
            None,
        ],
        dtype=object,
    )
    shapely.prepare(geoms)
    copies = private_geometries(geoms)
    assert copies.dtype == object and copies.shape == geoms.shape
    assert shapely.equals_identical(copies[:3], geoms[:3]).all()  # Z kept, empties kept
    assert copies[3] is None
    assert not any(c is g for c, g in zip(copies[:3], geoms[:3], strict=True))
    assert not shapely.is_prepared(copies[:3]).any()


def test_the_callers_polygons_are_left_unprepared() -> None:
    import sahel_geo as sg

    adm1 = sg.load_boundaries(level=1)
    adm1 = adm1.set_geometry(private_geometries(adm1.geometry.to_numpy()))
    sg.assign_admin(sg.demo_events(n=300, seed=1), adm1)
    sg.zonal_stats(adm1, sg.demo_wasting(), stats=["mean"], coverage="center")
    assert not shapely.is_prepared(adm1.geometry.to_numpy()).any()
