"""What a local worker imports before its first shard, done once in the fork server.

`LocalRuntime`'s workers are forks of one `multiprocessing` fork server (see
`LocalAsyncInvoker.start`); the server imports the modules it is given before it forks anything,
so each worker starts with them in memory instead of paying them itself: this module's import
brings in the child's stack, including what the child only imports on first use (pyarrow's
Parquet writer and compute functions, numpy's random generators), about 0.5 s of CPU per
worker on this machine (issue 13). `preload_default_model` also warms the deployment default
model up (its `warm_up()` hook: ride_hailing builds its grid), the runtime lists it only when its
workers run that model.

The child's first shard also paid first calls that cost milliseconds, on the critical path of
a run's start (every worker waits for its first shard): the tiny Parquet writer's plan and its
self-check against pyarrow (12-26 ms of CPU, 30-80 ms of wall time on this machine), and the
first compaction chunk (pyarrow's table, dictionary and zstd writers: ~20 ms). `warm_model`
pays them here, once, for the model the server's workers run: the built-in model whose module
the preload list imported before this one (`_preload_server.preload_modules` names it first),
or the deployment default model (`preload_default_model`). Plug-in models are not warmed
(their schema needs the model registry's entry points); their first shard pays as before.

Each preload module ends with `gc.freeze()`: what it imported moves to the collector's permanent
generation, so no worker's garbage collection walks (and copies, page by page, from the
server's memory) the hundreds of thousands of objects of the imports, and the fork server's own
exit does not collect them either.

The fork server ignores an ImportError of a preload module and dies on anything else, and a
dead fork server starts no worker at all: every step here is guarded and only logged (the
worker's own warm-up and the first shard then meet the same problem and report it).
"""

from __future__ import annotations

import gc
import importlib
import logging
import sys
from typing import Final

logger = logging.getLogger(__name__)

CHILD_IMPORTS: Final = (
    "serverless_sweep.handlers.child",
    "serverless_sweep.handlers.compaction",
    "serverless_sweep.adapters.local.runtime",
    "numpy.random",
    "pyarrow.compute",
    "pyarrow.parquet",
)
"""The child's modules, the lazily imported ones included (its first shard imports them)."""

BUILTIN_MODEL_MODULES: Final = {
    "legacy_hash": "serverless_sweep.models.legacy_hash",
    "ride_hailing": "serverless_sweep.models.ride_hailing",
}
"""The built-in models' modules (`models.registry`): one already imported when this module
runs was named by the preload list for the server's workers."""


def preload_child() -> None:
    """Import `CHILD_IMPORTS` (each on its own: one that fails does not stop the others)."""
    for name in CHILD_IMPORTS:
        try:
            importlib.import_module(name)
        except Exception as exc:  # the shard that needs it reports it
            logger.debug("preload of %s failed: %s", name, exc)


def preload_default_model() -> None:
    """Warm the deployment default model of this process's environment up (its module and its
    `warm_up()` hook), as each worker's warm-up would."""
    try:
        from serverless_sweep.models.registry import default_model_name, get_model

        model = get_model(default_model_name())
        hook = getattr(model, "warm_up", None)
        if callable(hook):
            hook()
        warm_model(model.name)
    except Exception as exc:  # the worker's warm-up meets it again and reports it
        logger.debug("preload of the default model failed: %s", exc)


def warm_model(model: str) -> bool:
    """Pay the first calls of `model`'s shards that cost milliseconds (see the module
    docstring): its tiny Parquet plan (built and self-checked, then cached per process) and
    one compaction chunk of its schema, written to a throwaway memory store. Nothing of it
    reaches a real store or changes a result: the plan is what the first shard would build,
    the chunk is dropped. False (logged at debug level) when something failed: the first
    shard then meets it and reports it."""
    try:
        from serverless_sweep.adapters.memory import MemoryObjectStore
        from serverless_sweep.core.keys import StorageLayout
        from serverless_sweep.handlers.compaction import CommittedRows, write_chunk
        from serverless_sweep.handlers.tiny_parquet import plan_for, sample_rows
        from serverless_sweep.models.columns import metrics_schema

        schema = metrics_schema(model)
        plan_for(schema)
        rows = sample_rows(schema)
        if rows is not None:
            shards = [
                CommittedRows(index, f"warm-up-{index}", "0" * 64, [row])
                for index, row in enumerate(rows)
            ]
            store = MemoryObjectStore()
            write_chunk(store, StorageLayout(), "2000-01-01", "warm-up", model, shards)
    except Exception as exc:
        logger.debug("warm-up of model %s failed: %s", model, exc)
        return False
    return True


def warm_imported_models() -> list[str]:
    """`warm_model` for each built-in model whose module is imported already (the preload
    list's model); the names warmed."""
    names = [name for name, module in BUILTIN_MODEL_MODULES.items() if module in sys.modules]
    return [name for name in names if warm_model(name)]


preload_child()
warm_imported_models()
gc.freeze()
