"""read_events_dask: block by block, the same events, rejects and row numbers as in memory."""

from __future__ import annotations

import sys
from pathlib import Path

import dask_geopandas as dg
import pandas as pd
import pytest

import sahel_geo as sg
from sahel_geo import MissingDependencyError
from sahel_geo.analysis.partitioned import compute
from sahel_geo.io.demo import demo_acled_table
from sahel_geo.io.event_blocks import read_events_dask


@pytest.fixture(scope="module")
def acled_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = demo_acled_table(n=2000, seed=5)
    raw.loc[1900, "event_id_cnty"] = raw.loc[10, "event_id_cnty"]  # repeat across blocks
    path = tmp_path_factory.mktemp("blocks") / "acled.csv"
    raw.to_csv(path, index=False)
    return path


def _in_memory(path: Path) -> pd.DataFrame:
    return sg.read_acled(path)  # the in-memory reader of the whole file


def _same_report(got: sg.StepReport, ref: sg.StepReport) -> None:
    assert (got.n_in, got.n_kept) == (ref.n_in, ref.n_kept)
    assert got.n_in == got.n_kept + got.n_rejected
    pd.testing.assert_frame_equal(got.rejects, ref.rejects)
    assert dict(got.notes) == dict(ref.notes)


def test_csv_blocks_equal_the_in_memory_reader(dask_client, acled_csv) -> None:
    lazy = read_events_dask(acled_csv, blocksize=60_000)
    assert isinstance(lazy, dg.GeoDataFrame) and lazy.npartitions > 5
    assert lazy.known_divisions
    got = compute(lazy)
    ref = _in_memory(acled_csv)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), ref, check_exact=True)
    (report,) = sg.reports(got)
    assert report.source == str(acled_csv)
    _same_report(report, sg.reports(ref)[-1])


def test_readers_blocksize_reads_lazily(dask_client, acled_csv, tmp_path) -> None:
    lazy = sg.read_acled(acled_csv, blocksize=60_000)
    assert isinstance(lazy, dg.GeoDataFrame) and lazy.npartitions > 5
    got = compute(lazy)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), _in_memory(acled_csv))
    with pytest.raises(sg.InputFileError, match="blocksize= reads a file lazily"):
        sg.read_acled(demo_acled_table(n=30, seed=1), blocksize="1MB")
    ucdp = tmp_path / "ged.csv"
    pd.DataFrame(
        {
            "id": [1, 2],
            "date_start": ["2019-01-02", "2019-02-03"],
            "date_end": ["2019-01-02", "2019-02-03"],
            "latitude": [14.1, 13.5],
            "longitude": [-1.5, 2.1],
            "country": ["Burkina Faso", "Niger"],
            "type_of_violence": [1, 3],
            "side_a": ["Government of Burkina Faso", "IS Sahel"],
            "side_b": ["JNIM", "Civilians"],
            "best": [3, 5],
            "low": [3, 4],
            "high": [4, 9],
            "deaths_civilians": [0, 5],
            "where_prec": [1, 2],
            "date_prec": [1, 1],
        }
    ).to_csv(ucdp, index=False)
    lazy_ucdp = compute(sg.read_ucdp(ucdp, blocksize="1MB")).reset_index(drop=True)
    pd.testing.assert_frame_equal(lazy_ucdp, sg.read_ucdp(ucdp))


def test_duplicate_ids_found_across_blocks(dask_client, acled_csv) -> None:
    lazy = read_events_dask(acled_csv, blocksize=60_000)
    got = compute(lazy)
    rej = sg.rejects(got)
    dup = rej[rej["reason"] == "duplicate event_id (first at row 11)"]
    assert dup["row"].tolist() == [1901]
    assert dup["event_id_cnty"].tolist() == ["MLI11"]
    # the first row is kept, the repeat is not; the index is the file row - 1
    assert got.loc[10, "event_id"] == "MLI11" and 1900 not in got.index
    assert got["event_id"].is_unique


def test_row_numbers_count_blank_lines(dask_client, tmp_path) -> None:
    raw = demo_acled_table(n=40, seed=2).head(12).reset_index(drop=True)
    raw.loc[8, "latitude"] = "14.1N"
    text = raw.to_csv(index=False).splitlines()
    text.insert(4, "")  # a blank line before data row 4
    path = tmp_path / "gaps.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    got = compute(read_events_dask(path, blocksize=700))
    ref = sg.read_acled(path)
    rep = sg.reports(got)[-1]
    # the file read whole, blank line and all (whose general path types the rejected
    # cells, 2019.0, where blocks keep the text, 2019: compare the rows and reasons)
    whole = sg.reports(ref)[-1]
    assert (rep.n_in, rep.n_kept, dict(rep.notes)) == (whole.n_in, whole.n_kept, dict(whole.notes))
    heads = ["row", "reason", "column"]
    pd.testing.assert_frame_equal(rep.rejects[heads], whole.rejects[heads])
    assert rep.rejects["row"].tolist() == [10, 12]  # 10: our bad latitude; 12: the demo's
    assert rep.notes["blank_lines_skipped"] == 1
    assert rep.n_in == 12
    assert list(got.index) == [r - 1 for r in (1, 2, 3, 5, 6, 7, 8, 9, 11, 13)]


def test_parquet_folder(dask_client, acled_csv, tmp_path) -> None:
    raw = pd.read_csv(acled_csv, low_memory=False)  # typed as the in-memory reader types it
    folder = tmp_path / "acled.parquet"
    folder.mkdir()
    raw.iloc[:900].to_parquet(folder / "part.0.parquet")
    raw.iloc[900:].to_parquet(folder / "part.1.parquet")
    got = compute(read_events_dask(folder))
    ref = _in_memory(acled_csv)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), ref, check_exact=True)
    _same_report(sg.reports(got)[-1], sg.reports(ref)[-1])


def test_joined_and_aggregated_from_blocks(dask_client, acled_csv) -> None:
    adm1 = sg.load_boundaries(level=1)
    lazy = sg.assign_admin(read_events_dask(acled_csv, blocksize=60_000), adm1)
    table = sg.aggregate(lazy, unit="adm1_pcode", freq="year").compute()
    ref_joined = sg.assign_admin(_in_memory(acled_csv), adm1)
    ref = sg.aggregate(ref_joined, unit="adm1_pcode", freq="year")
    pd.testing.assert_frame_equal(table, ref, check_exact=True)
    steps = [r.step for r in sg.reports(table)]
    assert steps == ["read_acled", "assign_admin[adm1]", "aggregate[adm1_pcode, year]"]
    assert sg.reports(table)[0].n_in == 2000


def test_missing_dask_geopandas_names_the_extra(acled_csv, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "dask_geopandas", None)
    with pytest.raises(MissingDependencyError, match=r"sahel_geo\[dask\]"):
        read_events_dask(acled_csv)


def test_unknown_source(acled_csv) -> None:
    with pytest.raises(sg.SchemaError, match="source must be one of"):
        read_events_dask(acled_csv, source="gdelt")  # type: ignore[arg-type]


def test_column_types_are_the_whole_files(dask_client, tmp_path) -> None:
    raw = demo_acled_table(n=300, seed=4).reset_index(drop=True)
    raw["code"] = [str(i) for i in range(len(raw))]
    raw.loc[len(raw) - 1, "code"] = "x7"  # text in the last block only: text everywhere
    raw["size"] = range(len(raw))
    raw.loc[len(raw) - 2, "size"] = None  # a gap in the last block only: floats everywhere
    path = tmp_path / "typed.csv"
    raw.to_csv(path, index=False)
    lazy = read_events_dask(path, blocksize=20_000)
    assert lazy.npartitions > 3
    got = compute(lazy)
    ref = sg.read_acled(path)
    assert str(ref["code"].dtype) == "str" and ref["size"].dtype == "float64"
    pd.testing.assert_frame_equal(got.reset_index(drop=True), ref, check_exact=True)


def _blocks_equal_whole_file(path: Path, blocksize: int, reader=sg.read_acled) -> pd.DataFrame:
    """Read ``path`` in blocks and whole; assert the same events, rejects, notes, counts."""
    source = "acled" if reader is sg.read_acled else "ucdp"
    lazy = read_events_dask(path, source=source, blocksize=blocksize)
    assert lazy.npartitions > 3
    got = compute(lazy)
    ref = reader(path)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), ref, check_exact=True)
    (report,) = sg.reports(got)
    _same_report(report, sg.reports(ref)[-1])
    return report.rejects


def _block_of(path: Path, blocksize: int, row: int) -> int:
    """The partition holding a file row (the divisions are row - 1)."""
    divisions = read_events_dask(path, blocksize=blocksize).divisions
    return sum(d <= row - 1 for d in divisions[:-1]) - 1


def test_repeat_across_blocks_with_swapped_coordinates(dask_client, tmp_path, caplog) -> None:
    """A later block's repeat whose coordinates are swapped: rejected as a repeat, once."""
    raw = demo_acled_table(n=400, seed=3).reset_index(drop=True)
    raw.loc[380, "event_id_cnty"] = raw.loc[5, "event_id_cnty"]
    raw.loc[380, ["latitude", "longitude"]] = raw.loc[380, ["longitude", "latitude"]].to_numpy()
    path = tmp_path / "swapped_repeat.csv"
    raw.to_csv(path, index=False)
    assert _block_of(path, 20_000, 6) < _block_of(path, 20_000, 381)
    with caplog.at_level("WARNING", logger="sahel_geo.io.events"):
        rejects = _blocks_equal_whole_file(path, 20_000)
    assert rejects.loc[rejects["row"] == 381, "reason"].tolist() == [
        "duplicate event_id (first at row 6)"
    ]
    # each block is built once with its repeats rejected: no warning names the repeat
    swaps = [r.getMessage() for r in caplog.records if "swaps" in r.getMessage()]
    assert swaps and all("381" not in m for m in swaps)


def test_repeat_across_blocks_rejected_for_its_own_reason(dask_client, tmp_path) -> None:
    """Only a row otherwise fine is a repeat, and only of a row kept: as in memory."""
    raw = demo_acled_table(n=400, seed=3).reset_index(drop=True)
    ids = raw["event_id_cnty"]
    raw.loc[370, "event_id_cnty"] = ids[5]
    raw.loc[370, "latitude"] = "14.1N"  # the later copy is unusable anyway
    raw.loc[375, "event_id_cnty"] = ids[8]
    raw.loc[8, "event_date"] = "not a date"  # the first copy is unusable: the later kept
    raw.loc[[390, 395], "event_id_cnty"] = ids[20]  # two repeats in one later block
    path = tmp_path / "repeats.csv"
    raw.to_csv(path, index=False)
    rejects = _blocks_equal_whole_file(path, 20_000).set_index("row")["reason"]
    assert rejects[371] == "latitude is not a number"
    assert rejects[9] == "event_date could not be parsed" and 376 not in rejects.index
    assert rejects[[391, 396]].tolist() == ["duplicate event_id (first at row 21)"] * 2


def test_ucdp_ids_repeated_across_blocks_in_another_spelling(dask_client, tmp_path) -> None:
    """UCDP ids read as numbers in one block, ``300380.0`` in another: one normaliser."""
    n = 240
    ids = [str(300000 + i) for i in range(n)]
    ids[200], ids[230] = "300003.0", " 300004 "  # repeats of rows 4 and 5, spelt otherwise
    pd.DataFrame(
        {
            "id": ids,
            "date_start": ["2019-01-02"] * n,
            "date_end": ["2019-01-02"] * n,
            "latitude": [14.1] * n,
            "longitude": [-1.5] * n,
            "country": ["Burkina Faso"] * n,
            "type_of_violence": [1] * n,
            "side_a": ["Government of Burkina Faso"] * n,
            "side_b": ["JNIM"] * n,
            "best": [3] * n,
            "low": [3] * n,
            "high": [4] * n,
            "deaths_civilians": [0] * n,
            "where_prec": [1] * n,
            "date_prec": [1] * n,
        }
    ).to_csv(tmp_path / "ged.csv", index=False)
    rejects = _blocks_equal_whole_file(tmp_path / "ged.csv", 4_000, reader=sg.read_ucdp)
    assert rejects[["row", "reason"]].values.tolist() == [
        [201, "duplicate event_id (first at row 4)"],
        [231, "duplicate event_id (first at row 5)"],
    ]
