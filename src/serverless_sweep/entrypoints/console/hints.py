"""Commands suggested to the user: how to call this program again, shell-quoted."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import sys

from serverless_sweep.handlers.runs import RunRecord


def sweep_cmd() -> str:
    """How to call this program again in a suggested command: ``sweep`` when that is what the
    shell finds, else the path it was started by (``.venv/bin/sweep`` after `make run`)."""
    argv0 = sys.argv[0] if sys.argv else ""
    if os.path.basename(argv0) != "sweep":
        return "sweep"  # run as a module or from a test: the installed name is the best guess
    found = shutil.which("sweep")
    with contextlib.suppress(OSError):
        if found is not None and os.path.samefile(found, argv0):
            return "sweep"
    return shlex.quote(argv0)


def shell_quote(text: str) -> str:
    """Quote for a POSIX shell, preferring double quotes (SQL holds single quotes)."""
    if not any(c in text for c in '"$`\\!'):
        return f'"{text}"'
    return shlex.quote(text)


def hint_lines(record: RunRecord, store_opt: str) -> list[str]:
    literal = record.run_id.replace("'", "''")
    sql = (
        f"SELECT model, count(*) AS points, avg(compute_ms) AS avg_ms "
        f"FROM shard_metrics WHERE run_id = '{literal}' GROUP BY model"
    )
    run_arg = shlex.quote(record.run_id)
    cmd = sweep_cmd()
    return [
        "query them:",
        f"  {cmd} results {run_arg}{store_opt}          # every point ranked by health score",
        f"  {cmd} query{store_opt} {shell_quote(sql)}",
        f"  {cmd} query{store_opt} --run {run_arg} --file infra/athena/queries/run_profile.sql",
    ]
