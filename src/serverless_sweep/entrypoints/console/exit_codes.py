"""The exit-status contract of every local command, and its --help text.

Exit status (every local command):

* 0: the run succeeded (every shard succeeded, or the failed ones stay within the request's
  tolerated_failure_percentage); for `results` and `query`, the answer was printed;
* 1: the run failed, or is incomplete (shards missing or still pending), or a runtime error;
* 2: usage error: bad flags, an unreadable request file, a rejected request (4xx), bad SQL;
* 3: no run with that run_id in the store (`status`, `redrive`, `results`, `query --run`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_UNKNOWN_RUN: Final = 3
EXIT_INTERRUPTED: Final = 130
"""Ctrl-C or SIGTERM (128 + SIGINT, as a shell reports an interrupted command)."""

_EXIT_LINES: Final = (
    "  0  the run succeeded (all shards, or failures within tolerated_failure_percentage)",
    "  1  the run failed or is incomplete (failed, missing or pending shards), or a runtime error",
    "  2  usage error: bad flags, unreadable request file, rejected request (4xx)",
    "  3  no run with that run_id in the store",
)
EXIT_STATUS_RUN_HELP: Final = "exit status:\n" + "\n".join(_EXIT_LINES[:3])  # never 3
EXIT_STATUS_HELP: Final = "exit status:\n" + "\n".join(_EXIT_LINES)


def exit_status_of(status: Mapping[str, Any]) -> int:
    return EXIT_OK if status.get("state") == "succeeded" else EXIT_FAILED
