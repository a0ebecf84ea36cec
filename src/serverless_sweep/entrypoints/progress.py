"""Compatibility re-exports: the helpers that lived here now have one module each in
`serverless_sweep.entrypoints.console` (exit codes, arguments, store option, markers,
signals, progress bar, reports, tables and output, ranking, hints). Import from there;
this module only keeps branches written against the old name working and can be
removed once nothing imports it."""

from __future__ import annotations

from serverless_sweep.entrypoints.console.arguments import positive_float, positive_int, rate
from serverless_sweep.entrypoints.console.exit_codes import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_STATUS_HELP,
    EXIT_STATUS_RUN_HELP,
    EXIT_UNKNOWN_RUN,
    EXIT_USAGE,
    exit_status_of,
)
from serverless_sweep.entrypoints.console.hints import hint_lines, shell_quote, sweep_cmd
from serverless_sweep.entrypoints.console.markers import (
    MARKER_FOLDER,
    active_marker,
    active_pids,
    process_start_time,
)
from serverless_sweep.entrypoints.console.output import closed_pipe_ok, emit
from serverless_sweep.entrypoints.console.progress_bar import ShardProgress
from serverless_sweep.entrypoints.console.ranking import (
    BEST_SHOWN,
    DISPLAY_METRICS,
    best_lines,
    fetch_best,
    point_parameters,
    ranked_records,
    score_lines,
    swept_parameters,
)
from serverless_sweep.entrypoints.console.reports import (
    FAILURES_SHOWN,
    failure_lines,
    local_state,
    location_lines,
    run_folders,
    status_json,
    status_lines,
)
from serverless_sweep.entrypoints.console.signals import Terminated, terminate_like_interrupt
from serverless_sweep.entrypoints.console.store import (
    add_store_option,
    load_run,
    open_store,
    store_hint,
    store_root,
)
from serverless_sweep.entrypoints.console.tables import (
    dumps_json,
    format_cell,
    json_default,
    table_lines,
    write_rows,
)

__all__ = [
    "BEST_SHOWN",
    "DISPLAY_METRICS",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_STATUS_HELP",
    "EXIT_STATUS_RUN_HELP",
    "EXIT_UNKNOWN_RUN",
    "EXIT_USAGE",
    "FAILURES_SHOWN",
    "MARKER_FOLDER",
    "ShardProgress",
    "Terminated",
    "active_marker",
    "active_pids",
    "add_store_option",
    "best_lines",
    "closed_pipe_ok",
    "dumps_json",
    "emit",
    "exit_status_of",
    "failure_lines",
    "fetch_best",
    "format_cell",
    "hint_lines",
    "json_default",
    "load_run",
    "local_state",
    "location_lines",
    "open_store",
    "point_parameters",
    "positive_float",
    "positive_int",
    "process_start_time",
    "ranked_records",
    "rate",
    "run_folders",
    "score_lines",
    "shell_quote",
    "status_json",
    "status_lines",
    "store_hint",
    "store_root",
    "sweep_cmd",
    "swept_parameters",
    "table_lines",
    "terminate_like_interrupt",
    "write_rows",
]
