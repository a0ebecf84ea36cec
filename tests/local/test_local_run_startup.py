"""`sweep run`'s start-up and end (issue 13): what the CLI imports, how the workers start, what
`--timings` reports, the summary's head start, the frozen exit. No wall-clock assertions: the
figures themselves belong to bench/bench_parallel.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from local_helpers import legacy_request, sweep, write_request

from serverless_sweep.adapters.local._worker import WorkerClock
from serverless_sweep.adapters.local.invoker import InvokerStats
from serverless_sweep.adapters.local.runtime import (
    DEFAULT_START_METHOD,
    PRELOAD,
    PRELOAD_DEFAULT_MODEL,
    LocalRuntime,
    LocalSettings,
    _preload_modules,
)
from serverless_sweep.entrypoints.commands._follow import SummaryWarmUp
from serverless_sweep.entrypoints.console.timings import Timeline

HEAVY = ("numpy", "pyarrow", "duckdb", "pydantic")

IMPORTS_AFTER = """
import json, sys
from serverless_sweep.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps({name: name in sys.modules for name in %r}))
"""


def _imported_after(*argv: str) -> dict[str, bool]:
    proc = subprocess.run(
        [sys.executable, "-c", IMPORTS_AFTER % (HEAVY,), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    answer: dict[str, bool] = json.loads(proc.stdout.splitlines()[-1])
    return answer


def test_sweep_run_help_imports_neither_the_child_nor_the_other_commands() -> None:
    """The parser of `sweep run` alone: no numpy/pyarrow (the child's stack, once imported by
    the runtime module), no DuckDB (`query`'s and `results`' modules), no pydantic (the parent's
    contracts: imported after the workers are launched)."""
    assert _imported_after("run", "--help") == dict.fromkeys(HEAVY, False)


def test_a_typo_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    from serverless_sweep.entrypoints.cli import COMMANDS, main

    with pytest.raises(SystemExit):
        main(["rnu"])
    err = capsys.readouterr().err
    assert "invalid choice: 'rnu'" in err
    assert all(f"'{name}'" in err for name in COMMANDS)


FREEZE_AFTER = """
import gc, sys
from serverless_sweep.cli import main
sys.argv = ["sweep", "models"]
main(None if sys.argv_mode == "own" else ["models"])
print(gc.get_freeze_count())
""".replace("sys.argv_mode", "%r")


@pytest.mark.parametrize(("mode", "frozen"), [("own", True), ("embedded", False)])
def test_only_the_process_own_command_freezes_its_objects_before_exit(
    mode: str, frozen: bool
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", FREEZE_AFTER % mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (int(proc.stdout.split()[-1]) > 0) is frozen


def test_the_runtime_forks_its_workers_from_a_preloaded_fork_server(tmp_path: Path) -> None:
    assert DEFAULT_START_METHOD == "forkserver"  # Linux (where the suite runs)
    with LocalRuntime(LocalSettings(root=tmp_path / "store", workers=1)) as runtime:
        invoker = runtime.invoker
        assert invoker._mp_context.get_start_method() == "forkserver"  # type: ignore[union-attr]
        assert invoker.preload == (PRELOAD_DEFAULT_MODEL,)  # type: ignore[union-attr]
    settings = LocalSettings(root=tmp_path / "store", workers=1, start_method="spawn")
    with LocalRuntime(settings) as runtime:
        assert runtime.invoker._mp_context.get_start_method() == "spawn"  # type: ignore[union-attr]


def test_the_fork_server_warms_only_the_model_its_workers_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server warms the default model of its environment: listed only when that is the
    runtime's model; another model gets its module imported, nothing built for it."""
    monkeypatch.delenv("SWEEP_DEFAULT_MODEL", raising=False)
    assert _preload_modules("ride_hailing") == (PRELOAD_DEFAULT_MODEL,)
    assert _preload_modules("legacy_hash") == ("serverless_sweep.models.legacy_hash", PRELOAD)
    assert _preload_modules("no-such-model") == (PRELOAD,)
    monkeypatch.setenv("SWEEP_DEFAULT_MODEL", "legacy_hash")
    assert _preload_modules("legacy_hash") == (PRELOAD_DEFAULT_MODEL,)
    assert PRELOAD_DEFAULT_MODEL not in _preload_modules("ride_hailing")


def test_timings_json_accounts_for_every_attempt_and_the_run_phases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    request = write_request(tmp_path, legacy_request("leg-timings"))

    result = sweep(
        "run", request, "--store", store, "--workers", "2", "--no-progress", "--timings", "json"
    )

    assert result.code == 0, result.err
    doc = json.loads([line for line in result.err.splitlines() if line.startswith("{")][-1])
    said = [m["what"] for m in doc["marks"]]
    for what in (
        "arguments parsed (command modules imported)",
        "worker pool launched",
        "request submitted (validated, planned, recorded)",
        "dispatch job done (every shard invoked)",
        "every dispatched shard finished (wait returned)",
        "best configurations ranked",
        "workers stopped",
    ):
        assert what in said, (what, said)
    offsets = [m["at_s"] for m in doc["marks"]]
    assert offsets == sorted(offsets)
    assert sum(w["attempts"] for w in doc["workers"]) == 5  # legacy_request: 5 shards
    assert all(w["ready_s"] is not None and w["busy_s"] >= 0 for w in doc["workers"])
    shards = doc["shards"]
    assert shards["first_start_s"] <= shards["last_end_s"]
    assert shards["tail_idle_s"] >= 0
    assert doc["cpu_s"]["this_process"] > 0


def test_timings_text_names_the_phases_and_each_worker(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(tmp_path, legacy_request("leg-timings-text"))

    result = sweep("run", request, "--store", store, "--workers", "1", "--timings")

    assert result.code == 0, result.err
    assert "timings (wall clock, seconds since this process started):" in result.err
    assert "worker pool launched" in result.err
    assert "5 attempt(s) busy" in result.err
    assert "idle tail" in result.err and "cpu: this process" in result.err


def test_timeline_busy_share_and_idle_tail_from_attempts() -> None:
    """Two workers from t=10: one busy 10-14 and 14-16, the other 10-13 then idle."""
    timeline = Timeline(origin=9.0)
    clock = WorkerClock(started_at=9.5, init_at=9.6, warm_at=9.9)
    for pid, start, end in ((1, 10.0, 14.0), (1, 14.0, 16.0), (2, 10.0, 13.0)):
        event = SimpleNamespace(pid=pid, started_at=start, duration_s=end - start, worker=clock)
        timeline.on_event(event)
    timeline.on_event(SimpleNamespace(pid=None, started_at=None, duration_s=0.0, worker=None))
    timeline.mark("late", at=20.0)
    timeline.mark("early", at=9.5)

    doc = timeline.report({"between": 12.0})

    assert [m["what"] for m in doc["marks"]] == ["early", "between", "late"]
    assert doc["shards"] == {
        "first_start_s": 1.0,
        "last_end_s": 7.0,
        "span_s": 6.0,
        "busy_s": 9.0,
        "tail_idle_s": 3.0,
        "busy_share": 0.75,
    }
    [first, second] = doc["workers"]
    assert (first["attempts"], first["busy_s"], first["ready_s"]) == (2, 6.0, 0.9)
    assert (second["attempts"], second["last_end_s"]) == (1, 4.0)


def test_the_summary_warm_up_starts_once_nothing_waits_for_a_worker() -> None:
    queued = [3]
    warm = SummaryWarmUp(lambda: InvokerStats(accepted=5, queued=queued[0]))
    before = threading.active_count()
    warm.on_event()
    assert warm._thread is None  # shards still wait: their workers need the cores
    queued[0] = 0
    warm.on_event()
    started = warm._thread
    assert started is not None
    warm.on_event()
    assert warm._thread is started  # once
    warm.join()
    assert not started.is_alive()
    assert "duckdb" in sys.modules
    assert threading.active_count() <= before + 1


def test_the_summary_warm_up_waits_for_a_worker_to_fall_idle() -> None:
    """With the number of workers known: not while every worker still runs a shard (the
    warm-up would take a share of their cores), but once one of them has nothing left."""
    running = [2]
    warm = SummaryWarmUp(lambda: InvokerStats(accepted=5, queued=0, running=running[0]), 2)
    warm.on_event()
    assert warm._thread is None
    running[0] = 1
    warm.on_event()
    assert warm._thread is not None
    warm.join()


def test_the_summary_warm_up_waits_for_the_dispatch_jobs() -> None:
    """An empty queue while a dispatch job still runs is the start of the run (its first claim
    not invoked yet), not its tail: the warm-up would compete with the workers' start-up."""
    dispatching = [True]
    warm = SummaryWarmUp(lambda: InvokerStats(), 2, lambda: dispatching[0])
    warm.on_event()
    assert warm._thread is None
    dispatching[0] = False
    warm.on_event()
    assert warm._thread is not None
    warm.join()


def test_the_summary_warm_up_takes_the_invokers_word_for_an_idle_worker() -> None:
    """With pool tasks carrying groups, attempt counts say little about the workers: the
    invoker's `worker_idle` decides then, whatever the counts say."""
    idle = [False]
    warm = SummaryWarmUp(lambda: InvokerStats(), 2, lambda: False, lambda: idle[0])
    warm.on_event()
    assert warm._thread is None
    idle[0] = True
    warm.on_event()
    assert warm._thread is not None
    warm.join()


def test_start_method_spawn_runs_the_same_sweep(tmp_path: Path) -> None:
    """`--start-method spawn` (each worker its own interpreter) gives the same results."""
    request = write_request(tmp_path, legacy_request("leg-spawn"))
    answers = []
    for method in ("spawn", "forkserver"):
        store = tmp_path / method
        result = sweep(
            "run", request, "--store", store, "--workers", "2", "--json", "--start-method", method
        )
        assert result.code == 0, result.err
        answers.append(result.json()["best_configurations"])
    assert answers[0] == answers[1]


# -- the fork server's head start (serverless_sweep/cli.py, adapters/local/_preload_server.py) --


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["run", "r.json"], {"--start-method": None, "--model": None}),
        (
            ["run", "r.json", "--model", "legacy_hash", "--start-method=spawn"],
            {"--start-method": "spawn", "--model": "legacy_hash"},
        ),
        (
            ["run", "--store", "s", "--model=ride_hailing"],
            {"--start-method": None, "--model": "ride_hailing"},
        ),
        (["run", "r.json", "--", "--model", "x"], {"--start-method": None, "--model": None}),
        (["run", "r.json", "--help"], None),
        (["run", "-h"], None),
        (["run", "r.json", "--mod", "legacy_hash"], None),  # abbreviations: the parser's call
        (["run", "r.json", "--start", "spawn"], None),
        (["run", "r.json", "--model"], None),  # a value missing: the parser says so
        (["status", "r"], None),
        ([], None),
    ],
)
def test_the_head_start_reads_only_plain_spellings_of_the_server_options(
    words: list[str], expected: dict[str, str | None] | None
) -> None:
    from serverless_sweep.cli import server_options

    assert server_options(words) == expected


HEAD_START = """
import sys
from multiprocessing import forkserver
from serverless_sweep import cli
sys.argv = ["sweep", *sys.argv[1:]]
started = cli.head_start(sys.argv[1:])
print(started, forkserver._forkserver._forkserver_pid is not None,
      forkserver._forkserver._preload_modules)
"""


@pytest.mark.parametrize(
    ("words", "started", "preload"),
    [
        (
            ["run", "r.json", "--model", "legacy_hash"],
            True,
            ["__main__", "serverless_sweep.models.legacy_hash", PRELOAD],
        ),
        (["run", "r.json", "--start-method", "spawn"], False, None),
        (["models"], False, None),
    ],
)
def test_the_head_start_starts_the_server_the_runtime_would(
    words: list[str], started: bool, preload: list[str] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server it starts preloads what the runtime would ask for; spawn gets none."""
    monkeypatch.delenv("SWEEP_DEFAULT_MODEL", raising=False)
    proc = subprocess.run(
        [sys.executable, "-c", HEAD_START, *words],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    said = proc.stdout.split(maxsplit=2)
    assert said[:2] == [str(started), str(started)]
    if preload is not None:
        assert said[2].strip() == repr(preload)


CONSOLE = """
import sys
from serverless_sweep.cli import main
sys.argv = ["sweep", *sys.argv[1:]]
raise SystemExit(main())
"""


def test_sweep_run_from_its_command_line_starts_the_server_before_the_cli_imports(
    tmp_path: Path,
) -> None:
    """The console script's path (no argv given): the server is started before the CLI module
    is imported, and the run's results are those of an in-process run without a head start."""
    request = write_request(tmp_path, legacy_request("leg-head-start"))
    argv = ["run", str(request), "--workers", "2", "--no-progress", "--json", "--timings", "json"]
    proc = subprocess.run(
        [sys.executable, "-c", CONSOLE, *argv, "--store", str(tmp_path / "a")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads([line for line in proc.stderr.splitlines() if line.startswith("{")][-1])
    said = [m["what"] for m in doc["marks"]]
    started = said.index("fork server started (preloading the workers' code)")
    assert started < said.index("sweep main entered (interpreter and CLI imported)")
    in_process = sweep(*argv[:-2], "--store", tmp_path / "b")
    assert in_process.code == 0, in_process.err
    assert (
        json.loads(proc.stdout)["best_configurations"] == in_process.json()["best_configurations"]
    )


def test_a_head_start_for_a_rejected_command_exits_as_before(tmp_path: Path) -> None:
    """The words asked for a server, the parser refuses them: the usual usage error and no
    traceback (the server, a child of this process, exits with it)."""
    proc = subprocess.run(
        [sys.executable, "-c", CONSOLE, "run", str(tmp_path / "absent.json"), "--workers", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "--workers" in proc.stderr


def test_the_head_start_names_the_registry_default_without_importing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from serverless_sweep.adapters.local import _preload_server
    from serverless_sweep.models import registry

    assert _preload_server.DEFAULT_MODEL_ENV == registry.DEFAULT_MODEL_ENV
    assert _preload_server.BUILTIN_DEFAULT_MODEL == registry.BUILTIN_DEFAULT_MODEL
    monkeypatch.delenv("SWEEP_DEFAULT_MODEL", raising=False)
    for model in (None, "ride_hailing", "legacy_hash"):
        expected = _preload_modules(model or registry.default_model_name())
        assert _preload_server._preload_for(model) == expected
    monkeypatch.setenv("SWEEP_DEFAULT_MODEL", "legacy_hash")
    assert _preload_server._preload_for(None) == (PRELOAD_DEFAULT_MODEL,)
    assert _preload_server._preload_for("ride_hailing") == _preload_modules("ride_hailing")
    proc = subprocess.run(
        [sys.executable, "-c", IMPORTED_BY_HEAD_START],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "SWEEP_DEFAULT_MODEL"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "False"]


IMPORTED_BY_HEAD_START = """
import sys
from serverless_sweep.adapters.local._preload_server import start_fork_server
print(start_fork_server(), "serverless_sweep.models.registry" in sys.modules)
"""
