"""Duplicate deliveries (Lambda's at-least-once) change nothing: one success file per shard and
the same rows as a run without chaos."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from local_helpers import matching, ride_request, sweep, write_request


def _rows(store: Path, run_id: str) -> pa.Table:
    paths = matching(store, f"dataset=shard_metrics/*/run_id={run_id}/status=success/*.parquet")
    table = pa.concat_tables([pq.read_table(store / p) for p in paths])
    return table.drop_columns(["compute_ms"]).sort_by("point_index")


def test_every_shard_delivered_twice_still_lands_once(tmp_path: Path) -> None:
    request = write_request(tmp_path, ride_request("chaos", shard_count=4))
    plain, chaotic = tmp_path / "plain", tmp_path / "chaotic"

    calm = sweep("run", request, "--store", plain, "--workers", "2", "--json")
    storm = sweep(
        "run", request, "--store", chaotic, "--workers", "2", "--chaos-duplicates", "1.0", "--json"
    )

    assert calm.code == storm.code == 0, storm.err
    assert storm.json()["status"]["succeeded_shards"] == 4
    kinds = (
        ("shard_metrics/*/*/status=success/*.parquet", "part-{}-1"),  # one file of attempt 1
        ("shard_outcomes/*/*/status=success/*.json", "part-{}"),
    )
    for kind, name in kinds:
        found = matching(chaotic, f"dataset={kind}")
        assert [Path(p).name.split(".")[0] for p in found] == [name.format(i) for i in range(4)]
    assert matching(chaotic, "dataset=shard_errors/**/*") == []
    assert matching(chaotic, "dataset=shard_outcomes/*/*/status=failure/*") == []
    # the same points, the same numbers, whichever delivery won
    calm_rows, storm_rows = _rows(plain, "chaos"), _rows(chaotic, "chaos")
    assert calm_rows.num_rows == 4
    assert storm_rows.equals(calm_rows)
