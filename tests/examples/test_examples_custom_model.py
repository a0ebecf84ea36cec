"""Bring your own model (issue 14): pip-install examples/custom_model into a temporary target
directory, then list it, run a sweep with it locally and query its columns, each through the
`sweep` console entry point in a fresh process (so the entry point is found the way a user's
installed package is found: importlib.metadata over sys.path)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "custom_model"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("plugin") / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target),
         str(EXAMPLE)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if proc.returncode != 0 and "No matching distribution found for setuptools" in proc.stderr:
        pytest.skip(f"pip cannot fetch setuptools to build the example here: {proc.stderr[-300:]}")
    assert proc.returncode == 0, proc.stderr
    assert (target / "queue_sim" / "columns.json").is_file()
    return target


def sweep(site: Path, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("SWEEP_STORE", None)
    return subprocess.run(
        [sys.executable, "-m", "serverless_sweep.entrypoints.cli", *argv],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=300,
    )  # fmt: skip


def test_sweep_models_lists_the_installed_plugin(site: Path, tmp_path: Path) -> None:
    listing = sweep(site, "models", "--json", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    by_name = {entry["name"]: entry for entry in json.loads(listing.stdout)}
    assert set(by_name) == {"legacy_hash", "ride_hailing", "queue_sim"}
    plugin = by_name["queue_sim"]
    assert plugin["source"].startswith("plug-in queue_sim.model:QueueModel")
    assert "sweep-queue-model" in plugin["source"]
    assert set(plugin["parameters"]) == {
        "arrival_rate", "service_minutes", "servers", "callers", "patience_minutes",
    }  # fmt: skip
    assert {"name": "mean_wait_minutes", "type": "float64"} in plugin["columns"]
    assert plugin["presets"]["staffing"]["points"] == 12
    ddl = sweep(site, "models", "queue_sim", "--athena-ddl", cwd=tmp_path)
    assert ddl.returncode == 0, ddl.stderr
    assert "ALTER TABLE `shard_metrics` ADD COLUMNS" in ddl.stdout
    assert "`p95_wait_minutes` double COMMENT" in ddl.stdout


@pytest.fixture(scope="module")
def store(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's `sweep run examples/custom_model/sweep.json`, into a temporary store."""
    folder = tmp_path_factory.mktemp("queue")
    store = folder / "store"
    run = sweep(site, "run", str(EXAMPLE / "sweep.json"), "--store", str(store),
                "--workers", "2", "--no-progress", cwd=folder)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "coverage   100.0% (12 of 12 points)" in run.stdout
    return store


def test_the_readme_query_prints_the_table_shown(site: Path, store: Path, tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    [command] = [
        line for line in readme.splitlines() if "sweep query" in line and "queue-demo" in line
    ]
    argv = shlex.split(command)[1:]
    query = sweep(site, argv[0], "--store", str(store), *argv[1:], cwd=tmp_path)
    assert query.returncode == 0, query.stderr
    shown = readme[readme.index(command) :].split("```\n", 2)[2].split("```")[0]
    assert query.stdout == shown


def test_a_sweep_of_the_plugin_runs_locally_and_its_columns_are_queryable(
    site: Path, store: Path, tmp_path: Path
) -> None:
    sql = (
        "SELECT model, servers, arrival_rate, callers_served, callers_abandoned, callers, "
        "mean_wait_minutes, utilization FROM shard_metrics WHERE run_id = 'queue-demo' "
        "ORDER BY point_index"
    )
    query = sweep(site, "query", "--store", str(store), "--format", "json", sql, cwd=tmp_path)
    assert query.returncode == 0, query.stderr
    rows = json.loads(query.stdout)
    assert len(rows) == 12
    assert [r["servers"] for r in rows] == [8] * 4 + [10] * 4 + [12] * 4
    for row in rows:
        assert row["model"] == "queue_sim"
        assert 6.0 <= row["arrival_rate"] <= 11.0
        assert row["callers_served"] + row["callers_abandoned"] == row["callers"] == 2000
        assert row["mean_wait_minutes"] >= 0 and 0 < row["utilization"] <= 1
    # The same Sobol demand levels for every staffing level (paired comparison) ...
    assert [r["arrival_rate"] for r in rows[:4]] == [r["arrival_rate"] for r in rows[8:]]
    # ... and more agents never make the same callers wait longer on average.
    for low, high in zip(rows[:4], rows[8:], strict=True):
        assert high["mean_wait_minutes"] <= low["mean_wait_minutes"]


def test_the_plugin_vets_requests_with_its_own_parameter_schema(site: Path, tmp_path: Path) -> None:
    request = tmp_path / "bad.json"
    request.write_text(json.dumps({
        "run_id": "bad", "model": "queue_sim", "shard_count": 1,
        "dimensions": {"servers": [0], "agents": [3]},
    }))  # fmt: skip
    run = sweep(site, "run", str(request), "--store", str(tmp_path / "s"), "--no-progress",
                cwd=tmp_path)  # fmt: skip
    assert run.returncode == 2, run.stdout + run.stderr
    assert "/dimensions/agents" in run.stderr and "allowed names: arrival_rate" in run.stderr
    assert "/dimensions/servers/0" in run.stderr and "minimum" in run.stderr


def test_without_the_package_the_model_is_unknown(tmp_path: Path) -> None:
    request = tmp_path / "req.json"
    request.write_text(json.dumps({"run_id": "q", "model": "queue_sim", "shard_count": 1,
                                   "dimensions": {"servers": [3]}}))  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SWEEP_STORE")}
    run = subprocess.run(
        [sys.executable, "-m", "serverless_sweep.entrypoints.cli", "run", str(request),
         "--store", str(tmp_path / "s"), "--no-progress"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert run.returncode == 2
    assert "model must be one of: legacy_hash, ride_hailing" in run.stderr
