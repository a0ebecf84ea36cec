"""Compaction on this machine: `sweep run` compacts, views and `sweep results` prefer run_metrics,
`sweep compact` compacts a run finished without it, and `serverless_sweep.results` reads it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from local_helpers import legacy_request, runtime_env, sweep, write_request

import serverless_sweep
from serverless_sweep.adapters.local.analytics import fetch_dicts, open_duckdb

RUN_FLAGS = ("--workers", "2", "--max-retries", "0", "--no-progress")


def _run(folder: Path, run_id: str, **overrides: object) -> Path:
    store = folder / "store"
    request = write_request(folder, legacy_request(run_id, **overrides), f"{run_id}.json")
    with runtime_env():
        result = sweep("run", request, "--store", store, *RUN_FLAGS)
    assert result.code == 0, result.err
    return store


def _compaction_folder(store: Path, run_id: str) -> Path:
    [folder] = store.glob(f"dataset=runs/*/run_id={run_id}/status=accepted/compaction")
    return folder


def test_a_finished_run_is_compacted_once_and_preferred(tmp_path: Path) -> None:
    store = _run(tmp_path, "comp")
    committed = json.loads((_compaction_folder(store, "comp") / "committed.json").read_text())
    assert committed["rows"] == 10 and len(committed["parts"]) == 1

    con = open_duckdb(store)
    _, rows = fetch_dicts(con, "SELECT point_index FROM run_metrics ORDER BY point_index")
    assert [r["point_index"] for r in rows] == list(range(10))
    _, same = fetch_dicts(
        con,
        "SELECT count(*) AS n FROM run_metrics r JOIN shard_metrics s USING (point_index, "
        "completed_rides, platform_revenue_cents, abandoned_rides, parameters_json)",
    )
    assert same == [{"n": 10}]

    # Damage every per-shard file: `sweep results` still ranks all points (from run_metrics)
    for path in store.glob("dataset=shard_metrics/**/*.parquet"):
        path.write_bytes(b"PAR1 damaged PAR1")
    result = sweep("results", "comp", "--store", store, "--format", "json", "--top", "0")
    assert result.code == 0, result.err
    assert sorted(r["point_index"] for r in json.loads(result.out)) == list(range(10))
    assert "damaged" not in result.err


def test_sweep_compact_compacts_a_run_finished_before_compaction(tmp_path: Path) -> None:
    store = _run(tmp_path, "old")
    shutil.rmtree(_compaction_folder(store, "old"))  # what a run from before looks like
    shutil.rmtree(next(store.glob("dataset=run_metrics")))

    result = sweep("compact", "old", "--store", store)
    assert result.code == 0, result.err
    assert "compacted: 10 rows in 1 run_metrics file" in result.out
    again = sweep("compact", "old", "--store", store)
    assert again.code == 0 and "already compacted" in again.out
    assert sweep("compact", "nope", "--store", store).code == 3


def test_sweep_compact_refuses_an_incomplete_run(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(tmp_path, legacy_request("inc", failure_injection_shards=[1]))
    with runtime_env():
        assert sweep("run", request, "--store", store, *RUN_FLAGS).code == 1
    result = sweep("compact", "inc", "--store", store)
    assert result.code == 1
    assert "shard 1 has no success record" in result.err and "sweep redrive inc" in result.err
    assert "Traceback" not in result.err


def test_python_results_returns_an_arrow_table(tmp_path: Path) -> None:
    store = _run(tmp_path, "py")
    table = serverless_sweep.results("py", store=store)
    assert table.num_rows == 10
    assert table.column("point_index").to_pylist() == list(range(10))
    assert {"completed_rides", "parameters_json", "shard_id"} <= set(table.column_names)
    with pytest.raises(LookupError, match="no run 'missing'"):
        serverless_sweep.results("missing", store=store)


def test_python_results_convert_to_pandas(tmp_path: Path) -> None:
    pytest.importorskip("pandas", reason="pandas is not installed here (not a dependency)")
    frame = serverless_sweep.results("pd", store=_run(tmp_path, "pd")).to_pandas()
    assert list(frame["point_index"]) == list(range(10))


def test_python_results_convert_to_polars(tmp_path: Path) -> None:
    polars = pytest.importorskip("polars", reason="polars is not installed here (not a dependency)")
    frame = polars.from_arrow(serverless_sweep.results("pl", store=_run(tmp_path, "pl")))
    assert frame["point_index"].to_list() == list(range(10))
