"""Every infra/athena/queries/*.sql runs on DuckDB against real local runs and says the same
as `sweep status` / `sweep results`; the files keep to the SQL Athena and DuckDB share."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from local_helpers import legacy_request, ride_request, runtime_env, sweep, write_request

from serverless_sweep.adapters.local.analytics import (
    fetch_dicts,
    health_scores,
    open_duckdb,
    render_query,
    template_placeholders,
)
from serverless_sweep.entrypoints.console.store import load_run

QUERIES = Path(__file__).resolve().parents[2] / "infra" / "athena" / "queries"
QUERY_FILES = sorted(QUERIES.glob("*.sql"))
FLAGS = ("--workers", "1", "--max-retries", "0", "--no-progress")


@dataclass(frozen=True)
class Runs:
    store: Path

    def values(self, run_id: str) -> dict[str, Any]:
        loaded = load_run(self.store, run_id)
        assert loaded is not None
        record = loaded[0]
        return {
            "run_id": record.run_id,
            "run_date": record.run_date,
            "shard_count": len(record.shards),
            "total_points": record.total_points,
        }

    def query(self, name: str, run_id: str) -> list[dict[str, Any]]:
        text = render_query((QUERIES / name).read_text(), self.values(run_id))
        return fetch_dicts(open_duckdb(self.store), text)[1]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    """One store, four runs: complete, one injected failure, recovered after timeouts, and a
    tiny ride_hailing sweep."""
    folder = tmp_path_factory.mktemp("queries")
    store = folder / "store"

    def run(*args: object) -> int:
        return sweep(*(str(a) for a in args), "--store", str(store), *FLAGS).code

    with runtime_env():
        assert run("run", write_request(folder, legacy_request("q-full"), "a.json")) == 0
        failing = legacy_request("q-fail", failure_injection_shards=[2])
        assert run("run", write_request(folder, failing, "b.json")) == 1
        # a 0.5 ms Lambda timeout leaves no whole millisecond for any point: every shard
        # records a timeout failure; the redrive (900 s) then succeeds, so every shard
        # "recovered"
        recover = write_request(folder, legacy_request("q-recover"), "c.json")
        assert run("run", recover, "--timeout-s", "0.0005") == 1
        assert run("redrive", "q-recover") == 0
        assert run("run", write_request(folder, ride_request("q-ride"), "d.json")) == 0
    yield Runs(store)


def test_there_are_query_files() -> None:
    assert {p.name for p in QUERY_FILES} >= {
        "shard_coverage.sql",
        "failure_diagnostics.sql",
        "run_profile.sql",
        "best_configurations.sql",
        "best_configurations_legacy_hash.sql",
    }


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("run_id", ["q-full", "q-fail", "q-recover", "q-ride"])
def test_every_query_file_runs_on_duckdb(runs: Runs, path: Path, run_id: str) -> None:
    runs.query(path.name, run_id)  # no error, whatever the run's state or model


@pytest.mark.parametrize(
    ("run_id", "expected"),
    [
        ("q-full", (5, 0, 0, 0, 10, 1.0)),
        ("q-fail", (4, 1, 0, 0, 8, 0.8)),
        ("q-recover", (5, 0, 0, 5, 10, 1.0)),
        ("q-ride", (2, 0, 0, 0, 4, 1.0)),
    ],
)
def test_shard_coverage_agrees_with_status(
    runs: Runs, run_id: str, expected: tuple[int, ...]
) -> None:
    [row] = runs.query("shard_coverage.sql", run_id)
    status = load_run(runs.store, run_id)[1]  # type: ignore[index]

    got = (
        row["succeeded_shards"],
        row["failed_shards"],
        row["missing_shards"],
        row["recovered_shards"],
        row["points_done"],
        row["coverage"],
    )
    assert got == pytest.approx(expected)
    assert row["succeeded_shards"] == status["succeeded_shards"]
    assert row["failed_shards"] == status["failed_shards"]
    assert row["coverage"] == pytest.approx(status["coverage"])


def test_failure_diagnostics(runs: Runs) -> None:
    assert runs.query("failure_diagnostics.sql", "q-full") == []
    [failed] = runs.query("failure_diagnostics.sql", "q-fail")
    recovered = runs.query("failure_diagnostics.sql", "q-recover")

    assert (failed["error_kind"], failed["shard_id"], failed["shard_state"]) == (
        "injected",
        2,
        "failed",
    )
    assert failed["error_message"] == "Injected shard failure for verification"
    assert [r["shard_id"] for r in recovered] == [0, 1, 2, 3, 4]
    assert {(r["error_kind"], r["shard_state"], r["shards_of_kind"]) for r in recovered} == {
        ("timeout", "recovered", 5)
    }


def test_run_profile(runs: Runs) -> None:
    [full] = runs.query("run_profile.sql", "q-full")
    [failing] = runs.query("run_profile.sql", "q-fail")

    assert (full["model"], full["points"], full["shards_with_rows"]) == ("legacy_hash", 10, 5)
    assert (full["succeeded_shards"], full["failed_attempts"]) == (5, 0)
    assert 0 < full["compute_ms_min"] <= full["compute_ms_avg"] <= full["compute_ms_max"]
    assert full["points_per_compute_s"] > 0
    assert 0.0 <= full["overhead_share"] < 1.0
    assert (failing["points"], failing["failed_attempts"]) == (8, 1)


@pytest.mark.parametrize(
    ("name", "run_id", "model"),
    [
        ("best_configurations.sql", "q-ride", "ride_hailing"),
        ("best_configurations_legacy_hash.sql", "q-full", "legacy_hash"),
    ],
)
def test_best_configurations_match_the_results_command(
    runs: Runs, name: str, run_id: str, model: str
) -> None:
    from_sql = runs.query(name, run_id)
    from_python = health_scores(open_duckdb(runs.store), run_id, model, limit=10)

    assert from_sql, "no rows"
    assert [r["point_index"] for r in from_sql] == [r["point_index"] for r in from_python]
    assert [r["health_score"] for r in from_sql] == pytest.approx(
        [r["health_score"] for r in from_python]
    )


# -- the files themselves -----------------------------------------------------------------------

# DuckDB-only syntax that Athena (Trino) rejects or reads differently.
FORBIDDEN = {
    "::": "cast with CAST(x AS type)",
    "QUALIFY": "filter windows in an outer query",
    "FILTER (": "use SUM(CASE ...)",
    "EXCLUDE": "list the columns",
    "->>": "no JSON arrows in Trino",
    "ILIKE": "use lower(x) LIKE",
    "APPROX_QUANTILE": "not in Trino",
    "GROUP BY ALL": "list the columns",
    '"': "string literals are single-quoted, identifiers stay bare",
    "?": "templates use ${name}, see README.md",
}
KNOWN_PLACEHOLDERS = {"run_id", "run_date", "shard_count", "total_points"}


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.name)
def test_query_files_keep_to_the_shared_sql(path: Path) -> None:
    text = path.read_text()
    code = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
    for token, why in FORBIDDEN.items():
        assert token not in code.upper(), f"{path.name}: {token!r} ({why})"
    # integer division differs: every division is by a DOUBLE expression or a decimal literal
    for divisor in re.findall(r"/\s*([A-Za-z_(][^,\n]*)", code):
        assert divisor.lstrip("(").upper().startswith(("CAST", "NULLIF", "(")) or re.match(
            r"\(?\w+_hi - \w+_lo", divisor
        ), f"{path.name}: check the divisor {divisor!r} is DOUBLE"
    placeholders = set(template_placeholders(text))
    assert placeholders <= KNOWN_PLACEHOLDERS, path.name
    header = text.split("\n\n", 1)[0]
    for name in placeholders:
        assert f"${{{name}}}" in header, f"{path.name}: document ${{{name}}} in the header"


def test_query_command_renders_templates_from_a_run(runs: Runs) -> None:
    path = QUERIES / "shard_coverage.sql"

    result = sweep(
        "query", "--store", runs.store, "--run", "q-fail", "--file", path, "--format", "json"
    )
    csv = sweep("query", "--store", runs.store, "--run", "q-fail", "-f", path, "--format", "csv")

    assert result.code == 0, result.err
    assert result.json()[0]["coverage"] == pytest.approx(0.8)
    assert csv.out.splitlines()[0].startswith("run_id,shard_count,succeeded_shards")
    assert csv.out.splitlines()[1].startswith("q-fail,5,4,1,0,0,8,10,0.8")


def test_query_command_errors(runs: Runs) -> None:
    path = QUERIES / "run_profile.sql"
    store = ("--store", str(runs.store))

    missing = sweep("query", *store, "--file", path, "-p", "run_id=q-full")
    unknown = sweep("query", *store, "--run", "nope", "--file", path)
    bad_sql = sweep("query", *store, "SELEC 1")
    both = sweep("query", *store, "SELECT 1", "--file", path)
    params = sweep(
        "query", *store, "--file", path, "-p", "run_id=q-full", "-p", "run_date=2000-01-01"
    )

    assert (missing.code, unknown.code, bad_sql.code, both.code, params.code) == (2, 3, 2, 2, 0)
    assert "run_date" in missing.err and "--run RUN_ID fills" in missing.err
    assert "no run 'nope'" in unknown.err
    assert "syntax error" in bad_sql.err.lower()
    assert "one of the two" in both.err
    assert " 0 " in params.out.splitlines()[2]  # another date: nothing found, still one row
