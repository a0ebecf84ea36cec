"""What a local worker imports before its first shard, done once in the fork server.

`LocalRuntime`'s workers are forks of one `multiprocessing` fork server (see
`LocalAsyncInvoker.start`); the server imports the modules it is given before it forks anything,
so each worker starts with them in memory instead of paying them itself: this module's import
brings in the child's stack, including what the child only imports on first use (pyarrow's
Parquet writer and compute functions, numpy's random generators), about 0.5 s of CPU per
worker on this machine (issue 13). `preload_default_model` also warms the deployment default
model up (its `warm_up()` hook: ride_hailing builds its grid), the runtime lists it only when its
workers run that model.

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
    except Exception as exc:  # the worker's warm-up meets it again and reports it
        logger.debug("preload of the default model failed: %s", exc)


preload_child()
gc.freeze()
