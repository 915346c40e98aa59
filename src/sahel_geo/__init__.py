"""sahel_geo: conflict events, admin boundaries, drought and malnutrition rasters.

Read ACLED or UCDP GED exports, put each event in exactly one admin unit, overlay
drought and malnutrition rasters, and measure how violence spread from Mali into
Burkina Faso and Niger (Liptako-Gourma). See the README and ``DESIGN.md``.
"""

from importlib.metadata import PackageNotFoundError, version

# Grouped by layer (DESIGN.md), each group sorted; kept in this order by hand.
# isort: off
# 0 base: errors, reports, options, versions
from sahel_geo.core.errors import (
    ConfigError,
    CRSError,
    CRSMismatchError,
    EmptyResultError,
    FigureFormatError,
    InputFileError,
    MissingCRSError,
    MissingDependencyError,
    NetworkError,
    NodataWarning,
    SahelGeoError,
    SahelGeoWarning,
    SchemaError,
)
from sahel_geo.core.names import match_names, normalize_name
from sahel_geo.core.options import get_option, set_options
from sahel_geo.core.reports import StepReport, rejects, reports
from sahel_geo.core.versions import show_versions

# 1 edges: readers, writers, bundled and demo data, online sources
from sahel_geo.io.boundaries import read_boundaries
from sahel_geo.io.datasets import load_boundaries
from sahel_geo.io.demo import demo_acled_table, demo_events
from sahel_geo.io.demo_rasters import (
    demo_population,
    demo_spei,
    demo_wasting,
    write_demo_rasters,
)
from sahel_geo.io.event_blocks import read_events_dask
from sahel_geo.io.events import read_acled, read_events, read_ucdp
from sahel_geo.io.geojson import geojson_text, write_geojson
from sahel_geo.io.indicators import read_indicators
from sahel_geo.io.layers import write_layer
from sahel_geo.io.osm import osm_places, road_network, tri_border_roads_path
from sahel_geo.io.rasters import Raster, open_raster
from sahel_geo.io.ucdp_api import download_ucdp

# 2 compute: join, overlay, grids, time series, spread, hot spots, roads
from sahel_geo.analysis.borders import border_distance, border_exposure, border_units
from sahel_geo.analysis.event_values import values_at_events
from sahel_geo.analysis.grid import PRIOGRID, SWAC_25, GridSpec, events_to_cells, make_grid
from sahel_geo.analysis.hotspots import (
    EmergingHotSpots,
    GetisOrd,
    emerging_hotspots,
    fdr_bh,
    getis_ord,
    mann_kendall,
)
from sahel_geo.analysis.join import MATCH_TYPES, assign_admin
from sahel_geo.analysis.knox import KnoxResult, knox_local, knox_test
from sahel_geo.analysis.partitioned import compute
from sahel_geo.analysis.road_borders import borderlands_by_road
from sahel_geo.analysis.road_corridors import (
    corridor_exposure,
    corridor_layer,
    road_corridors,
    road_segments,
)
from sahel_geo.analysis.roads import OffNetworkWarning, RoadNetwork, road_distances, snap_to_roads
from sahel_geo.analysis.scdi import scdi
from sahel_geo.analysis.spread import (
    Spread,
    centroid_movement,
    country_shares,
    expansion_relocation,
    first_arrival,
    lead_lag,
)
from sahel_geo.analysis.timeseries import aggregate, allocate_by_area, period_change
from sahel_geo.analysis.typology import conflict_climate_table, unit_typology
from sahel_geo.analysis.zonal import CellRules, cell_areas_km2, zonal_cells, zonal_stats

# 3 present: maps and figures
from sahel_geo.present.classify import LayerStyle
from sahel_geo.present.figures import (
    choropleth_figure,
    conflict_drought_figure,
    counts_by_country_figure,
    save_figure,
    spread_figure,
    spread_small_multiples,
)
from sahel_geo.present.maps import events_layer_mode, make_map
from sahel_geo.present.report import Citation, ReportInputs, build_report, write_report

# 4 run: config-driven runs
from sahel_geo.workflow.config import Config, load_config
from sahel_geo.workflow.pipeline import RunResult, run, run_demo
# isort: on

try:
    __version__ = version("sahel_geo")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "MATCH_TYPES",
    "PRIOGRID",
    "SWAC_25",
    "CRSError",
    "CRSMismatchError",
    "CellRules",
    "Citation",
    "Config",
    "ConfigError",
    "EmergingHotSpots",
    "EmptyResultError",
    "FigureFormatError",
    "GetisOrd",
    "GridSpec",
    "InputFileError",
    "KnoxResult",
    "LayerStyle",
    "MissingCRSError",
    "MissingDependencyError",
    "NetworkError",
    "NodataWarning",
    "OffNetworkWarning",
    "Raster",
    "ReportInputs",
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
    "build_report",
    "cell_areas_km2",
    "centroid_movement",
    "choropleth_figure",
    "compute",
    "conflict_climate_table",
    "conflict_drought_figure",
    "corridor_exposure",
    "corridor_layer",
    "country_shares",
    "counts_by_country_figure",
    "demo_acled_table",
    "demo_events",
    "demo_population",
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
    "read_events_dask",
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
    "spread_small_multiples",
    "tri_border_roads_path",
    "unit_typology",
    "values_at_events",
    "write_demo_rasters",
    "write_geojson",
    "write_layer",
    "write_report",
    "zonal_cells",
    "zonal_stats",
]
