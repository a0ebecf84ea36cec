"""Issue 11's detail datasets end to end: the local runtime writes trip_data and
snapshot_counts, the DuckDB views read them (real Parquet), and `sweep verify` checks them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from local_helpers import ride_request, runtime_env, sweep, write_request

from serverless_sweep.adapters.local.analytics import fetch_dicts, open_duckdb, view_columns
from serverless_sweep.contracts.generated.v1.arrow_schemas import DATASET_SCHEMAS

RUN_FLAGS = ("--workers", "2", "--max-retries", "0", "--no-progress")
DETAIL = {
    "dimensions": {
        "num_riders": [60],
        "num_drivers": [4, 15],
        "surge_enabled": [False, True],
        "match_radius": [6],
    },
    "outputs": ["trips", "snapshots"],
}
KEYS = ("shard_id", "attempt")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same detail request in 3 shards and in 1, and a run without outputs."""
    folder = tmp_path_factory.mktemp("detail")
    root = folder / "store"
    with runtime_env():
        for run_id, shards, extra in (
            ("three", 3, DETAIL),
            ("one", 1, DETAIL),
            ("none", 2, {"dimensions": DETAIL["dimensions"]}),
        ):
            request = write_request(
                folder, ride_request(run_id, shard_count=shards, **extra), f"{run_id}.json"
            )
            result = sweep("run", request, "--store", root, *RUN_FLAGS)
            assert result.code == 0, result.err
            (folder / f"{run_id}.log").write_text(result.out + result.err, encoding="utf-8")
    return root


def _rows(store: Path, sql: str) -> list[dict[str, Any]]:
    return fetch_dicts(open_duckdb(store), sql)[1]


def test_views_have_the_spec_columns_and_are_empty_on_a_fresh_store(tmp_path: Path) -> None:
    con = open_duckdb(tmp_path / "nothing")
    for view in ("trip_data", "snapshot_counts"):
        names = [n for n, _ in view_columns(con, view)]
        assert names == [*DATASET_SCHEMAS[view].names, "dataset", "run_date", "run_id", "status"]
        assert fetch_dicts(con, f"SELECT count(*) AS n FROM {view}")[1] == [{"n": 0}]


def test_the_views_read_the_rows_in_order_and_a_run_without_outputs_has_none(store: Path):
    counts = _rows(
        store,
        "SELECT run_id, (SELECT count(*) FROM trip_data t WHERE t.run_id = r.run_id) AS trips, "
        "(SELECT count(*) FROM snapshot_counts s WHERE s.run_id = r.run_id) AS snaps "
        "FROM runs r ORDER BY run_id",
    )
    by_run = {row["run_id"]: (row["trips"], row["snaps"]) for row in counts}
    assert by_run["none"] == (0, 0)
    assert by_run["three"][0] > 0 and by_run["three"] == by_run["one"]
    assert by_run["three"][1] == 4 * (3 * 60 + 1)  # 4 points, t = 0, 60, ... 10800 s
    assert not list(store.glob("dataset=trip_data/*/run_id=none"))
    assert not list(store.glob("dataset=snapshot_counts/*/run_id=none"))
    # each file's rows are in (point_index, rider_id) order: read them in file order
    con = open_duckdb(store)
    ordered = con.execute(
        "SELECT point_index, rider_id FROM trip_data WHERE run_id = 'three'"
    ).fetchall()
    assert ordered == sorted(ordered)
    snapshots = con.execute(
        "SELECT point_index, snapshot_index FROM snapshot_counts WHERE run_id = 'three'"
    ).fetchall()
    assert snapshots == sorted(snapshots)


@pytest.mark.parametrize(
    ("view", "order"),
    [("trip_data", "point_index, rider_id"), ("snapshot_counts", "point_index, snapshot_index")],
)
def test_one_shard_and_three_shards_give_the_same_rows(store: Path, view: str, order: str):
    columns = [n for n in DATASET_SCHEMAS[view].names if n not in KEYS]
    select = ", ".join(columns)
    sql = f"SELECT {select} FROM {view} WHERE run_id = '%s' ORDER BY {order}"
    three, one = _rows(store, sql % "three"), _rows(store, sql % "one")
    assert three == one and len(three) > 0
    shards = _rows(store, f"SELECT DISTINCT shard_id FROM {view} WHERE run_id = 'three'")
    assert sorted(r["shard_id"] for r in shards) == [0, 1, 2]


def test_the_details_agree_with_the_points_metrics(store: Path) -> None:
    rows = _rows(
        store,
        """
        SELECT m.point_index, m.total_riders, m.completed_riders, m.cancelled_riders,
               m.abandoned_quote_riders, m.total_drivers,
               count(*) FILTER (WHERE t.outcome <> 'unresolved') AS resolved,
               count(*) FILTER (WHERE t.outcome = 'completed') AS completed,
               count(*) FILTER (WHERE t.outcome = 'cancelled') AS cancelled,
               count(*) FILTER (WHERE t.outcome = 'abandoned') AS abandoned
        FROM shard_metrics m JOIN trip_data t USING (run_id, point_index)
        WHERE m.run_id = 'three' GROUP BY ALL ORDER BY m.point_index
        """,
    )
    assert len(rows) == 4
    for row in rows:
        assert row["resolved"] == row["total_riders"]
        assert row["completed"] == row["completed_riders"]
        assert row["cancelled"] == row["cancelled_riders"]
        assert row["abandoned"] == row["abandoned_quote_riders"]
    last = _rows(
        store,
        """
        SELECT s.point_index, s.riders_completed, s.drivers_online, m.completed_riders,
               m.total_drivers, s.drivers_idle + s.drivers_en_route + s.drivers_on_trip AS drivers
        FROM snapshot_counts s JOIN shard_metrics m USING (run_id, point_index)
        WHERE s.run_id = 'three' AND s.time_s = 10800 ORDER BY s.point_index
        """,
    )
    for row in last:
        assert row["riders_completed"] == row["completed_riders"]
        assert row["drivers_online"] == row["total_drivers"] == row["drivers"]
    negative = _rows(
        store,
        "SELECT count(*) AS n FROM snapshot_counts WHERE least(riders_browsing, riders_waiting, "
        "riders_awaiting_pickup, riders_in_transit, drivers_idle) < 0",
    )
    assert negative == [{"n": 0}]


def test_verify_checks_the_detail_files(store: Path, tmp_path: Path) -> None:
    import shutil

    assert sweep("verify", "three", "--store", store).code == 0
    copy = tmp_path / "copy"
    shutil.copytree(store, copy)
    victim = next(
        copy.glob("dataset=snapshot_counts/*/run_id=three/status=success/part-1-1.parquet")
    )
    victim.write_bytes(victim.read_bytes()[:-40])
    result = sweep("verify", "three", "--store", copy)
    assert result.code == 1 and "snapshot_counts" in result.out + result.err
    # the views leave the damaged shard out (with a warning), the others still answer
    warnings: list[str] = []
    con = open_duckdb(copy, warnings=warnings)
    assert any("part-1-1.parquet" in w for w in warnings)
    shards = con.execute(
        "SELECT DISTINCT shard_id FROM snapshot_counts WHERE run_id = 'three' ORDER BY 1"
    ).fetchall()
    assert shards == [(0,), (2,)]


@pytest.mark.parametrize(("run_id", "details"), [("three", True), ("none", False)])
def test_sweep_run_lists_the_folders_the_run_filled(store: Path, run_id: str, details: bool):
    log = (store.parent / f"{run_id}.log").read_text(encoding="utf-8")
    listing = log[log.index("results (Hive-partitioned") :].split("\n\n")[0].splitlines()[1:]
    folders = dict(line.split() for line in listing)
    assert ("trip_data" in folders, "snapshot_counts" in folders) == (details, details)
    assert "run_metrics" in folders  # the compacted copy
    for name, prefix in folders.items():
        assert prefix.startswith(f"dataset={name}/") and f"run_id={run_id}/" in prefix
        if name != "shard_errors":  # no shard failed
            assert (store / prefix).is_dir(), f"{name} listed but {prefix} is missing"


def test_sweep_run_refuses_outputs_for_legacy_hash(tmp_path: Path) -> None:
    from local_helpers import legacy_request

    request = write_request(tmp_path, legacy_request("leg-out", outputs=["trips"]))
    with runtime_env():
        result = sweep("run", request, "--store", tmp_path / "store", *RUN_FLAGS)
    assert result.code == 2
    assert "legacy_hash" in result.err and "outputs" in result.err and "Traceback" not in result.err


def test_the_athena_conversion_query_agrees_with_the_points_metrics(store: Path) -> None:
    """infra/athena/queries/conversion_by_hour.sql (the committed-attempt join included) on
    DuckDB: its per-hour counts add up to each point's shard_metrics."""
    from serverless_sweep.adapters.local.analytics import render_query
    from serverless_sweep.entrypoints.console.store import load_run

    root = Path(__file__).resolve().parents[2]
    loaded = load_run(store, "three")
    assert loaded is not None
    text = (root / "infra/athena/queries/conversion_by_hour.sql").read_text()
    sql = render_query(text, {"run_id": "three", "run_date": loaded[0].run_date})
    hours = _rows(store, sql)
    metrics = _rows(
        store,
        "SELECT point_index, completed_riders, cancelled_riders FROM shard_metrics "
        "WHERE run_id = 'three' ORDER BY point_index",
    )
    assert hours and {row["point_index"] for row in hours} == {0, 1, 2, 3}
    for point in metrics:
        mine = [row for row in hours if row["point_index"] == point["point_index"]]
        assert sum(row["completed"] for row in mine) == point["completed_riders"]
        assert sum(row["cancelled"] for row in mine) == point["cancelled_riders"]
        assert sum(row["requests"] for row in mine) == 60
