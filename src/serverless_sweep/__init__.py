"""serverless-sweep: schema-first parameter sweeps, local or on AWS Lambda, into Parquet."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

__version__ = "0.1.0"
__all__ = ["__version__", "results"]


def results(run_id: str, store: str | os.PathLike[str] | None = None) -> pa.Table:
    """Every point of a run in a local store as a ``pyarrow.Table``, in point order.

    The columns are the run's shard_metrics columns (shard_id, point_index, point_seed, model,
    attempt, compute_ms, then the model's parameters and metrics). A compacted run is read from
    its few run_metrics files; any other from its committed per-shard files (an unfinished run
    gives the points computed so far). `store` defaults to ``SWEEP_STORE`` or ``./sweep-data``.
    Convert with ``table.to_pandas()`` (pandas) or ``polars.from_arrow(table)`` (polars).

    Raises `LookupError` when the store has no such run. Imports pyarrow only when called.
    """
    from pathlib import Path

    from serverless_sweep.adapters.local.runtime import LOCAL_PREFIX
    from serverless_sweep.adapters.local.store import LocalObjectStore, store_root_from_env
    from serverless_sweep.core.keys import StorageLayout
    from serverless_sweep.handlers.results import results_table
    from serverless_sweep.handlers.runs import find_run

    root = Path(store) if store is not None else store_root_from_env()
    local = LocalObjectStore(root)
    layout = StorageLayout(LOCAL_PREFIX)
    record = find_run(local, layout, run_id) if root.is_dir() else None
    if record is None:
        raise LookupError(f"no run {run_id!r} in store {root}")
    return results_table(local, layout, record)
