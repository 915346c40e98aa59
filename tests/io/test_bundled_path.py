"""One bundled-data location: every shipped file is read through io.datasets.bundled_path."""

from __future__ import annotations

from pathlib import Path

import pytest

import sahel_geo as sg
from sahel_geo.io.datasets import bundled_boundaries_path, bundled_path
from sahel_geo.workflow.config import demo_config_path

ROOT = Path(__file__).resolve().parents[2]


def test_every_bundled_file_comes_from_the_one_folder() -> None:
    folder = bundled_path("demo.toml").parent
    assert bundled_boundaries_path(1) == folder / "boundaries" / "admin1.geojson"
    assert sg.tri_border_roads_path() == folder / "roads" / "tri_border_roads.osm"
    assert demo_config_path() == folder / "demo.toml"
    assert bundled_path("web", "leaflet.js").is_file()
    # the demo config shipped is the example in the repository
    assert demo_config_path().read_bytes() == (ROOT / "examples" / "demo.toml").read_bytes()


def test_no_second_data_folder_in_the_package() -> None:
    assert not (ROOT / "src" / "sahel_geo" / "data").exists()


def test_missing_bundled_file_says_how_to_repair() -> None:
    with pytest.raises(sg.InputFileError, match=r"boundaries/admin9\.geojson.*Reinstall"):
        bundled_path("boundaries", "admin9.geojson")
