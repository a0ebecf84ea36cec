"""The DuckDB layer: views that always exist with the Athena columns, run id decoding, the
health score on synthetic runs whose best configuration is known, query templates."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from local_helpers import legacy_request, sweep, write_request

from serverless_sweep.adapters.local.analytics import (
    HEALTH_TERMS,
    PARTITION_COLUMNS,
    VIEW_NAMES,
    fetch_dicts,
    health_scores,
    open_duckdb,
    render_query,
    view_columns,
)
from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.contracts.generated.v1.arrow_schemas import (
    SHARD_ERRORS_SCHEMA,
    SHARD_METRICS_UNION_SCHEMA,
    shard_metrics_schema,
)
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.handlers.parquet import metrics_parquet

REPO = Path(__file__).resolve().parents[2]
DDL = REPO / "infra" / "athena" / "ddl"
PARTITIONS = [name for name, _ in PARTITION_COLUMNS]


# -- views --------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["missing folder", "empty folder"])
def test_every_view_exists_on_a_fresh_store(tmp_path: Path, state: str) -> None:
    root = tmp_path / "store"
    if state == "empty folder":
        root.mkdir()
    con = open_duckdb(root)

    for view in VIEW_NAMES:
        assert fetch_dicts(con, f"SELECT count(*) AS n FROM {view}")[1] == [{"n": 0}]
    metrics = view_columns(con, "shard_metrics")
    assert [n for n, _ in metrics] == [*SHARD_METRICS_UNION_SCHEMA.names, *PARTITIONS]
    assert dict(metrics)["run_date"] == "DATE"
    assert dict(metrics)["conversion_rate"] == "DOUBLE"
    assert dict(metrics)["attempt"] == "INTEGER"
    errors = view_columns(con, "shard_errors")
    assert [n for n, _ in errors] == [*SHARD_ERRORS_SCHEMA.names, *PARTITIONS]
    # typical queries compile on the empty views
    con.execute("SELECT output_metadata.summary.metrics['points_processed'] FROM shard_outcomes")
    con.execute("SELECT request->>'seed', shards[1].end_index FROM runs")
    assert not (tmp_path / "store").exists() or state == "empty folder"  # never created


def _ddl_columns(table: str) -> tuple[list[str], list[str]]:
    text = (DDL / f"{table}.sql").read_text()
    body = text.split("CREATE EXTERNAL TABLE", 1)[1]
    columns_part, rest = body.split("PARTITIONED BY", 1)
    partitions_part = rest.split("\n)", 1)[0]
    pattern = re.compile(r"^\s+`(\w+)`\s", re.MULTILINE)
    return pattern.findall(columns_part), pattern.findall(partitions_part)


@pytest.mark.parametrize(
    "table", ["shard_metrics", "shard_errors", "shard_outcomes", "trip_data", "snapshot_counts"]
)
def test_views_have_the_athena_tables_columns(tmp_path: Path, table: str) -> None:
    """A query written against a view runs on the Athena table of the same name."""
    columns, partitions = _ddl_columns(table)
    assert partitions == ["run_date", "run_id", "status"]
    empty = [n for n, _ in view_columns(open_duckdb(tmp_path / "none"), table)]

    assert empty == [*columns, "dataset", *partitions]


@pytest.fixture(scope="module")
def odd_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A legacy_hash run whose run_id needs percent-encoding in keys, with one failure."""
    from local_helpers import runtime_env

    folder = tmp_path_factory.mktemp("odd")
    request = write_request(folder, legacy_request("surge/berlin=v2", failure_injection_shards=[4]))
    with runtime_env():
        result = sweep(
            "run", request, "--store", folder / "store", "--workers", "1", "--max-retries", "0"
        )
    assert result.code == 1, result.err
    return folder / "store"


def test_views_read_a_real_run_with_decoded_run_ids(odd_run: Path) -> None:
    con = open_duckdb(odd_run)
    assert (odd_run / "run_index" / "surge%2Fberlin%3Dv2.json").exists()

    for view, expected in [
        ("shard_metrics", 8),
        ("shard_errors", 1),
        ("shard_outcomes", 5),
        ("runs", 1),
    ]:
        _, rows = fetch_dicts(con, f"SELECT run_id, count(*) AS n FROM {view} GROUP BY run_id")
        assert rows == [{"run_id": "surge/berlin=v2", "n": expected}], view
    _, outcome = fetch_dicts(
        con,
        "SELECT envelope_status, envelope_run_id, status, dataset, run_date, error_kind "
        "FROM shard_outcomes WHERE status = 'failure'",
    )
    assert outcome[0]["envelope_status"] == outcome[0]["status"] == "failure"
    assert outcome[0]["envelope_run_id"] == "surge/berlin=v2"
    assert outcome[0]["dataset"] == "shard_outcomes"
    assert outcome[0]["error_kind"] == "injected"
    sql = "SELECT total_points, shard_count, request->>'seed' AS seed FROM runs"
    _, run = fetch_dicts(con, sql)
    assert run == [{"total_points": 10, "shard_count": 5, "seed": "7"}]
    # a legacy_hash-only store still has every ride_hailing column (NULL)
    _, rows = fetch_dicts(con, "SELECT count(conversion_rate) AS n FROM shard_metrics")
    assert rows == [{"n": 0}]


def test_query_command_sees_the_views(odd_run: Path) -> None:
    result = sweep(
        "query",
        "--store",
        odd_run,
        "--format",
        "json",
        "SELECT status, count(*) AS n FROM shard_outcomes GROUP BY status ORDER BY status",
    )

    assert result.code == 0
    assert result.json() == [{"status": "failure", "n": 1}, {"status": "success", "n": 4}]


# -- health score -------------------------------------------------------------------------------


def _row(schema: pa.Schema, **values: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for field in schema:
        if pa.types.is_integer(field.type):
            defaults[field.name] = 0
        elif pa.types.is_floating(field.type):
            defaults[field.name] = 0.0
        elif pa.types.is_boolean(field.type):
            defaults[field.name] = False
        else:
            defaults[field.name] = "x"
    defaults.update(values)
    return defaults


def _write_run(root: Path, run_id: str, model: str, points: list[dict[str, Any]]) -> None:
    """One shard per point, committed as the child commits it: the Parquet file, then the
    success envelope naming it with its size and SHA-256 (the views read only such files)."""
    store, layout = LocalObjectStore(root), StorageLayout("")
    schema = shard_metrics_schema(model)
    for index, values in enumerate(points):
        row = _row(schema, shard_id=index, point_index=index, model=model, attempt=1, **values)
        key = layout.attempt_metrics_key("2026-01-02", run_id, index, 1)
        data = metrics_parquet(model, [row])
        store.put(key, data)
        envelope = {
            "status": "success",
            "shard_id": index,
            "attempt": 1,
            "output_metadata": {
                "metrics_key": key,
                "metrics_size": len(data),
                "metrics_sha256": hashlib.sha256(data).hexdigest(),
                "points_processed": 1,
            },
        }
        outcome_key = layout.success_outcome_key("2026-01-02", run_id, index)
        store.put(outcome_key, json.dumps(envelope).encode())


def _ride(conv: float, money: float, wait_ms: float, cancelled: int, lost: int, **extra: Any):
    return {
        "conversion_rate": conv,
        "platform_revenue": money,
        "driver_payouts": money,
        "avg_time_to_match_ms": wait_ms,
        "avg_time_to_pickup_ms": wait_ms,
        "total_riders": 100,
        "cancelled_riders": cancelled,
        "abandoned_quote_riders": lost,
        **extra,
    }


def test_health_score_ranks_a_dominating_configuration_first(tmp_path: Path) -> None:
    _write_run(
        tmp_path,
        "syn",
        "ride_hailing",
        [
            _ride(0.1, 100.0, 900_000.0, 50, 40, num_drivers=10),  # worst at everything
            _ride(0.9, 900.0, 100_000.0, 10, 10, num_drivers=30),  # best at everything
            _ride(0.5, 500.0, 500_000.0, 30, 25, num_drivers=20),  # exactly half way
        ],
    )
    # another run with far larger numbers must not move this run's scores
    _write_run(tmp_path, "other", "ride_hailing", [_ride(1.0, 1e9, 1.0, 0, 0)])

    rows = health_scores(open_duckdb(tmp_path), "syn", "ride_hailing")

    assert [(r["rank"], r["point_index"], r["num_drivers"]) for r in rows] == [
        (1, 1, 30),
        (2, 2, 20),
        (3, 0, 10),
    ]
    assert [r["health_score"] for r in rows] == pytest.approx([1.0, 0.5, 0.0])
    assert rows[0]["term_cancel_rate"] == pytest.approx(0.1)
    assert rows[0]["term_quote_abandon_rate"] == pytest.approx(0.1)


def test_a_metric_equal_at_every_point_counts_one_half(tmp_path: Path) -> None:
    flat = {"driver_payouts": 700.0}
    _write_run(
        tmp_path,
        "const",
        "ride_hailing",
        [
            {**_ride(0.1, 100.0, 900_000.0, 50, 40), **flat},
            {**_ride(0.9, 900.0, 100_000.0, 10, 10), **flat},
        ],
    )
    payouts = next(t for t in HEALTH_TERMS["ride_hailing"] if t.name == "driver_payouts")

    rows = health_scores(open_duckdb(tmp_path), "const", "ride_hailing")

    assert [r["health_score"] for r in rows] == pytest.approx(
        [1.0 - payouts.weight / 2, payouts.weight / 2]
    )


def test_trade_offs_follow_the_weights(tmp_path: Path) -> None:
    """Conversion (0.25) outweighs revenue (0.20) when everything else is equal."""
    base = _ride(0.5, 500.0, 500_000.0, 30, 20)
    _write_run(
        tmp_path,
        "trade",
        "ride_hailing",
        [
            {**base, "conversion_rate": 0.6, "platform_revenue": 400.0},
            {**base, "conversion_rate": 0.4, "platform_revenue": 600.0},
        ],
    )

    rows = health_scores(open_duckdb(tmp_path), "trade", "ride_hailing")

    assert [r["point_index"] for r in rows] == [0, 1]
    # 0.25 * 1 + the constant terms' halves vs 0.20 * 1 + the same halves
    assert rows[0]["health_score"] - rows[1]["health_score"] == pytest.approx(0.05)


def test_legacy_hash_health_score(tmp_path: Path) -> None:
    _write_run(
        tmp_path,
        "leg",
        "legacy_hash",
        [
            {"completed_rides": 10, "platform_revenue_cents": 5000, "abandoned_rides": 39},
            {"completed_rides": 209, "platform_revenue_cents": 200_000, "abandoned_rides": 0},
            {"completed_rides": 100, "platform_revenue_cents": 5000, "abandoned_rides": 0},
        ],
    )

    rows = health_scores(open_duckdb(tmp_path), "leg", "legacy_hash")

    assert [r["point_index"] for r in rows] == [1, 2, 0]
    assert rows[0]["health_score"] == pytest.approx(1.0)
    assert rows[2]["health_score"] == pytest.approx(0.0)


def test_weights_add_up_to_one() -> None:
    for terms in HEALTH_TERMS.values():
        assert sum(t.weight for t in terms) == pytest.approx(1.0)


def test_results_command_shows_parameters_and_scores(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(tmp_path, legacy_request("res", dimensions={"a": [1, 2, 3], "k": [0]}))
    assert sweep("run", request, "--store", store, "--workers", "1").code == 0

    table = sweep("results", "res", "--store", store, "--top", "2")
    every = sweep("results", "res", "--store", store, "--top", "0", "--format", "json")
    csv = sweep("results", "res", "--store", store, "--format", "csv")

    assert table.code == every.code == csv.code == 0
    header = next(line for line in table.out.splitlines() if line.startswith("rank"))
    assert header.split() == ["rank", "score", "a", "completed", "revenue_cents", "abandoned"]
    assert "health score = 0.40 completed_rides (up)" in table.out
    ranked = every.json()
    assert [r["rank"] for r in ranked] == [1, 2, 3]
    assert {r["a"] for r in ranked} == {1, 2, 3} and {r["k"] for r in ranked} == {0}
    assert csv.out.splitlines()[0].startswith("rank,health_score,a,k,point_index")
    assert sweep("results", "nope", "--store", store).code == 3


# -- templates ----------------------------------------------------------------------------------


def test_render_query_escapes_and_encodes() -> None:
    template = "SELECT * FROM t WHERE run_id = '${run_id}' AND n = ${n} -- $$5"

    duck = render_query(template, {"run_id": "o'brien/x=1", "n": 3})
    athena = render_query(template, {"run_id": "o'brien/x=1", "n": 3}, engine="athena")

    assert duck == "SELECT * FROM t WHERE run_id = 'o''brien/x=1' AND n = 3 -- $5"
    assert athena == "SELECT * FROM t WHERE run_id = 'o%27brien%2Fx%3D1' AND n = 3 -- $5"
    with pytest.raises(KeyError, match="n"):
        render_query(template, {"run_id": "r"})
