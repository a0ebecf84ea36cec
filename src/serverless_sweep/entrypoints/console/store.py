"""The --store option and reading a run from the local store it names (read-only)."""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path
from typing import Any

from serverless_sweep.adapters.local.store import (
    STORE_ENV_VAR,
    LocalObjectStore,
    store_root_from_env,
)
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.handlers.runs import RunRecord, find_run


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        type=Path,
        metavar="DIR",
        help=f"store folder (default: ${STORE_ENV_VAR}, else ./sweep-data)",
    )


def store_root(args: argparse.Namespace) -> Path:
    """--store, else $SWEEP_STORE, else ./sweep-data; absolute, so printed paths are usable."""
    root: Path = args.store if args.store is not None else store_root_from_env()
    return Path(os.path.abspath(root))


def store_hint(args: argparse.Namespace) -> str:
    """The ``--store DIR`` to repeat in suggested commands (empty for the default store)."""
    if args.store is None:
        return ""
    return f" --store {shlex.quote(str(args.store))}"


def open_store(root: Path) -> tuple[LocalObjectStore, StorageLayout]:
    """The local store and its layout, for reading (nothing is created)."""
    # here, not at the top: `sweep run` parses its arguments (this module's option) before it
    # imports the runtime, to start the workers' fork server first (issue 13)
    from serverless_sweep.adapters.local.runtime import LOCAL_PREFIX

    return LocalObjectStore(root), StorageLayout(LOCAL_PREFIX)


def load_run(root: Path, run_id: str) -> tuple[RunRecord, dict[str, Any]] | None:
    """The run's record and its RunStatus document, or None when the store has no such run."""
    from serverless_sweep.handlers.status import run_status  # the contracts: not at start-up

    if not root.is_dir():
        return None
    store, layout = open_store(root)
    record = find_run(store, layout, run_id)
    if record is None:
        return None
    return record, run_status(store, layout, record)
