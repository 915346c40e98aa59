"""The public face: every name ``sahel_geo`` exported before the move into layer folders.

Issue 11 moved the modules into ``core/``, ``io/``, ``analysis/``, ``present/`` and
``workflow/``; no public name was lost. This list is the ``__all__`` of release 0.1.0 and
may only grow.
"""

from __future__ import annotations

import inspect

import pytest

import sahel_geo as sg

#: ``sahel_geo.__all__`` before the move (95 names).
PUBLIC_0_1: tuple[str, ...] = (
    "MATCH_TYPES",
    "PRIOGRID",
    "SWAC_25",
    "CRSError",
    "CRSMismatchError",
    "Config",
    "ConfigError",
    "EmergingHotSpots",
    "EmptyResultError",
    "GetisOrd",
    "GridSpec",
    "InputFileError",
    "KnoxResult",
    "MissingCRSError",
    "MissingDependencyError",
    "NetworkError",
    "NodataWarning",
    "OffNetworkWarning",
    "Raster",
    "RoadNetwork",
    "RunResult",
    "SahelGeoError",
    "SahelGeoWarning",
    "SchemaError",
    "Spread",
    "StepReport",
    "__version__",
    "aggregate",
    "allocate_by_area",
    "assign_admin",
    "border_distance",
    "border_exposure",
    "border_units",
    "borderlands_by_road",
    "cell_areas_km2",
    "centroid_movement",
    "choropleth_figure",
    "conflict_climate_table",
    "conflict_drought_figure",
    "corridor_exposure",
    "corridor_layer",
    "country_shares",
    "counts_by_country_figure",
    "demo_acled_table",
    "demo_events",
    "demo_spei",
    "demo_wasting",
    "download_ucdp",
    "emerging_hotspots",
    "events_layer_mode",
    "events_to_cells",
    "expansion_relocation",
    "fdr_bh",
    "first_arrival",
    "geojson_text",
    "get_option",
    "getis_ord",
    "knox_local",
    "knox_test",
    "lead_lag",
    "load_boundaries",
    "load_config",
    "make_grid",
    "make_map",
    "mann_kendall",
    "match_names",
    "normalize_name",
    "open_raster",
    "osm_places",
    "period_change",
    "read_acled",
    "read_boundaries",
    "read_events",
    "read_indicators",
    "read_ucdp",
    "rejects",
    "reports",
    "road_corridors",
    "road_distances",
    "road_network",
    "road_segments",
    "run",
    "run_demo",
    "save_figure",
    "scdi",
    "set_options",
    "show_versions",
    "snap_to_roads",
    "spread_figure",
    "tri_border_roads_path",
    "unit_typology",
    "values_at_events",
    "write_demo_rasters",
    "write_geojson",
    "zonal_stats",
)


def test_no_public_name_lost() -> None:
    assert len(PUBLIC_0_1) == 95
    missing = [n for n in PUBLIC_0_1 if not hasattr(sg, n)]
    assert not missing, missing
    assert set(PUBLIC_0_1) <= set(sg.__all__)


def test_all_lists_only_real_names() -> None:
    assert sorted(sg.__all__) == sorted(set(sg.__all__))
    assert [n for n in sg.__all__ if not hasattr(sg, n)] == []


@pytest.mark.parametrize("name", [n for n in PUBLIC_0_1 if n != "__version__"])
def test_public_names_live_in_a_layer_folder(name: str) -> None:
    obj = getattr(sg, name)
    if inspect.isfunction(obj) or inspect.isclass(obj):
        layer = obj.__module__.split(".")[1]
        assert layer in {"core", "io", "analysis", "present", "workflow"}, obj.__module__
        assert obj.__doc__, f"sg.{name} has no docstring"
