"""The run manifest: input entries, the manifest's keys and values, the atomic write."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from sahel_geo.core.reports import StepReport
from sahel_geo.core.versions import versions
from sahel_geo.workflow.config import Config, parse_config
from sahel_geo.workflow.manifest import (
    MANIFEST_VERSION,
    build_manifest,
    file_entry,
    generated_entry,
    sha256_file,
    write_manifest,
)

# SHA-256 of b"x"
SHA_X = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_sha256_and_file_entry(tmp_path: Path) -> None:
    f = _write(tmp_path / "x.txt", b"x")
    assert sha256_file(f) == SHA_X
    assert file_entry(f, role="events", rows=3) == {
        "role": "events",
        "path": f.as_posix(),
        "size": 1,
        "sha256": SHA_X,
        "rows": 3,
    }


def test_folder_entry_hashes_relative_paths_and_file_hashes(tmp_path: Path) -> None:
    store = tmp_path / "cube.zarr"
    _write(store / "b" / "1", b"x")
    _write(store / "a", b"")
    empty = hashlib.sha256(b"").hexdigest()
    expected = hashlib.sha256(b"a\0" + empty.encode() + b"b/1\0" + SHA_X.encode()).hexdigest()
    entry = file_entry(store, role="drought", rows=None)
    assert entry == {
        "role": "drought",
        "path": store.as_posix(),
        "size": 1,
        "sha256": expected,
        "rows": None,
    }


def test_generated_entry() -> None:
    assert generated_entry(role="events", source="demo_events(n=5, seed=1)", rows=5, note="n") == {
        "role": "events",
        "path": "demo_events(n=5, seed=1)",
        "size": None,
        "sha256": None,
        "rows": 5,
        "note": "n",
    }


def test_build_and_write_manifest(tmp_path: Path) -> None:
    cfg_file = _write(tmp_path / "run.toml", b"x")
    cfg = Config(values=parse_config({}).values, path=cfg_file)
    out = tmp_path / "out"
    table = _write(out / "tables" / "t.csv", b"a,b\n1,2\n")
    layer = _write(out / "events.geojson", b"x")
    rejected = pd.DataFrame({"row": [2], "reason": ["bad date"], "column": ["d"]})
    step = StepReport(step="read", source="e.csv", n_in=3, n_kept=2, rejects=rejected)
    inputs = [generated_entry(role="events", source="demo", rows=3, note="SYNTHETIC")]
    m = build_manifest(
        cfg,
        inputs=inputs,
        steps=[step],
        map_info={"events": 2, "events_mode": "markers"},
        outputs={"table_t": table, "events": layer},
        folder=out,
        run_time="2024-05-01T12:00:00Z",
    )
    assert list(m) == [
        "sahel_geo_manifest",
        "run_time",
        "config",
        "parameters",
        "inputs",
        "steps",
        "map",
        "outputs",
        "versions",
    ]
    assert m["sahel_geo_manifest"] == MANIFEST_VERSION == 1
    assert m["run_time"] == "2024-05-01T12:00:00Z"
    assert m["config"] == {"path": cfg_file.as_posix(), "sha256": SHA_X}
    assert m["parameters"] == cfg.as_dict()
    assert m["inputs"] == inputs
    assert m["steps"] == [
        {
            "step": "read",
            "n_in": 3,
            "n_kept": 2,
            "notes": {},  # every step's notes are listed since issue 12
            "summary": "read e.csv: 3 in, 2 kept, 1 rejected (bad date: 1)",
        }
    ]
    assert m["map"] == {"events": 2, "events_mode": "markers"}
    # outputs by name, paths relative to the folder
    assert m["outputs"] == {
        "events": {"path": "events.geojson", "size": 1, "sha256": SHA_X},
        "table_t": {
            "path": "tables/t.csv",
            "size": 8,
            "sha256": hashlib.sha256(b"a,b\n1,2\n").hexdigest(),
        },
    }
    assert m["versions"] == versions()

    path = write_manifest(m, out / "manifest.json")
    assert path == out / "manifest.json"
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and json.loads(text) == m
    assert text.startswith('{\n "sahel_geo_manifest": 1,\n "run_time": "2024-05-01T12:00:00Z"')
    assert not list(out.glob(".*.tmp"))


def test_in_memory_config_has_no_path_or_hash(tmp_path: Path) -> None:
    m = build_manifest(
        parse_config({}), inputs=[], steps=[], map_info={}, outputs={}, folder=tmp_path
    )
    assert list(m["parameters"]) == list(parse_config({}).values)
    assert m["config"] == {"path": None, "sha256": None}
    assert m["inputs"] == [] and m["steps"] == [] and m["outputs"] == {}
    assert len(m["run_time"]) == 20 and m["run_time"].endswith("Z")
